#!/bin/sh
# The house's rules (README, Layout), kept by a test rather than by memory:
# lib/ is in layers (base, aws, services, engines, tool) and a file includes
# headers of its own layer or those below, never above; nothing below
# lib/tool prints or exits (the exceptions named: a forked child's _exit,
# the out-of-memory abort, and the data written to stdout on purpose).
. "$(dirname "$0")/lib.sh"

test_expect_success 'no include runs back up a layer' '
	python3 - "$SRC_DIR/lib" <<-\EOF
	import os, re, sys
	top = sys.argv[1]
	layers = ["base", "aws", "services", "engines", "tool"]
	home = {}
	for i, d in enumerate(layers):
	    for f in os.listdir(os.path.join(top, d)):
	        if f.endswith(".h"):
	            assert f not in home, "header %s in two layers" % f
	            home[f] = i
	bad = []
	for i, d in enumerate(layers):
	    for f in sorted(os.listdir(os.path.join(top, d))):
	        if not f.endswith((".c", ".h")):
	            continue
	        for n, line in enumerate(open(os.path.join(top, d, f)), 1):
	            m = re.match(r"\s*#\s*include\s+\"([^\"]+)\"", line)
	            if m and home.get(m.group(1), -1) > i:
	                bad.append("lib/%s/%s:%d includes %s (lib/%s)" %
	                           (d, f, n, m.group(1), layers[home[m.group(1)]]))
	print("\n".join(bad))
	sys.exit(1 if bad else 0)
	EOF
'

# the calls and names each C file below lib/tool uses, comments and strings
# left out: "FILE:LINE: NAME" for each of NAMES
uses() { # NAMES (a regular expression)
	python3 - "$SRC_DIR" "$1" <<-\EOF
	import glob, os, re, sys
	top, names = sys.argv[1], re.compile(r"(?<![\w.>])(" + sys.argv[2] + r")\b")
	lit = re.compile(r"/\*.*?\*/|//[^\n]*|\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'", re.S)
	for d in ("base", "aws", "services", "engines"):
	    for f in sorted(glob.glob(os.path.join(top, "lib", d, "*.c"))):
	        text = open(f).read()
	        # blank out comments and literals, keeping the line breaks
	        text = lit.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)
	        for n, line in enumerate(text.split("\n"), 1):
	            for m in names.finditer(line):
	                print("%s:%d: %s" % (os.path.relpath(f, top), n, m.group(1)))
	EOF
}

test_expect_success 'nothing below lib/tool prints or exits' '
	uses "(?:printf|fprintf|vfprintf|dprintf|puts|fputs|putchar|perror|exit|abort|err|errx|warn|warnx)(?=\\s*\\()" >calls &&
	cat calls &&
	# allowed: the out-of-memory abort of the allocator and of the digest set-up
	grep -v -e "^lib/base/buf.c:[0-9]*: abort\$" -e "^lib/base/md5.c:[0-9]*: abort\$" calls >left ||:
	test_must_be_empty left
'

test_expect_success 'below lib/tool, stdout is the rejects output "-" only, stderr never' '
	uses "stdout|stderr" >streams &&
	cat streams &&
	test_line_count streams 1 &&
	grep -q "^lib/engines/rejects.c:[0-9]*: stdout\$" streams
'

test_done
