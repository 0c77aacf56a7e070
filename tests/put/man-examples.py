#!/usr/bin/env python3
"""man-examples.py PAGE OUTDIR - split the EXAMPLES of an mdoc page into
OUTDIR/ex-NN/{cmd,expected}: in each .Bd -literal block, lines starting
with "$ " are commands (run together as one sh script), the others the
output they print (stdout and stderr).  "..." in an expected line
stands for any text.  With --check DIR: compare DIR/out with
DIR/expected that way."""
import os
import re
import sys


def unescape(line):
    return line.replace("\\e", "\\").replace("\\&", "")


def split(page, outdir):
    inex = inb = False
    n = 0
    cmd = exp = None
    for line in open(page, encoding="utf-8").read().split("\n"):
        if line.startswith(".Sh "):
            inex = line.split()[1] == "EXAMPLES"
            continue
        if not inex:
            continue
        if line.startswith(".Bd -literal"):
            inb, cmd, exp = True, [], []
            continue
        if line.startswith(".Ed") and inb:
            inb = False
            if cmd:
                n += 1
                d = os.path.join(outdir, "ex-%02d" % n)
                os.makedirs(d, exist_ok=True)
                open(os.path.join(d, "cmd"), "w").write("\n".join(cmd) + "\n")
                open(os.path.join(d, "expected"), "w").write("".join(l + "\n" for l in exp))
            continue
        if inb:
            line = unescape(line)
            if line.startswith("$ "):
                cmd.append(line[2:])
            else:
                exp.append(line)
    print(n)


def check(d):
    # a last line without its newline (curl's answer) counts as ended
    exp = open(os.path.join(d, "expected"), encoding="utf-8").read().rstrip("\n").split("\n")
    out = open(os.path.join(d, "out"), encoding="utf-8").read().rstrip("\n").split("\n")
    ok = len(exp) == len(out)
    for e, o in zip(exp, out):
        pat = "^" + ".*".join(re.escape(p) for p in e.split("...")) + "$"
        if not re.match(pat, o, re.S):
            ok = False
    if not ok:
        sys.stdout.write("expected:\n" + "\n".join(exp) + "got:\n" + "\n".join(out))
    return 0 if ok else 1


if __name__ == "__main__":
    if sys.argv[1] == "--check":
        sys.exit(check(sys.argv[2]))
    split(sys.argv[1], sys.argv[2])
