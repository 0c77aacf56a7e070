#!/bin/sh
# cs-validate: the man page is clean and its EXAMPLES do what they say.
# Each ".Bd -literal" block of EXAMPLES whose first line starts with "$ "
# is run with sh in a directory holding the capture the page names; the
# block's other lines are the expected output (stdout and stderr).
. "$(dirname "$0")/lib.sh"

man=$SRC_DIR/man/cs-validate.1

test_expect_success 'mandoc -Tlint is clean' '
	mandoc -Tlint -W warning "$man"
'

test_expect_success 'the page documents every option of --help' '
	cs-validate --help | grep -o -e "--[a-z-]*" | sort -u >opts &&
	while read -r o; do
		grep -q -F -e "Fl -${o#--}" "$man" || { echo "undocumented: $o"; exit 1; }
	done <opts
'

# split EXAMPLES into ex-N/cmd and ex-N/expected
awk '
/^\.Sh / { inex = ($2 == "EXAMPLES"); next }
!inex { next }
/^\.Bd -literal/ { inb = 1; first = 1; next }
/^\.Ed/ { if (inb && d) { close(d "/cmd"); close(d "/expected") } inb = 0; d = ""; next }
inb {
	line = $0
	gsub(/\\e/, "\\", line); gsub(/\\&/, "", line)
	if (first) {
		first = 0
		if (line !~ /^\$ /) { inb = 0; next }
		n++; d = sprintf("ex-%02d", n); system("mkdir -p " d)
		print substr(line, 3) > (d "/cmd"); printf "" > (d "/expected")
		next
	}
	print line > (d "/expected")
}
' "$man"

test_expect_success 'the page has examples to run' '
	test -f ex-01/cmd && test -f ex-05/cmd
'

test_expect_success 'setup: the capture of the examples' '
	gen-records --count 100 --seed 3 --bad-ratio 0.1 >capture.ndjson
'

for d in ex-*; do
	test_expect_success "example: $(cat "$d/cmd")" "
		sh -c \"\$(cat $d/cmd)\" >$d/out 2>&1 &&
		test_cmp $d/expected $d/out
	"
done

test_done
