#!/bin/bash
# cs-store: the man page is clean and its EXAMPLES do what they say, run in
# order against a private dynalite.  Each ".Bd -literal" block of EXAMPLES
# whose first line starts with "$ " is run with sh; the block's other lines
# are the expected output (stdout and stderr; the exit status is not checked).
. "$(dirname "$0")/lib.sh"

man=$SRC_DIR/man/cs-store.1

test_expect_success 'mandoc -Tlint is clean' '
	mandoc -Tlint -W warning "$man"
'

test_expect_success 'the page documents every option of --help' '
	cs-store --help | grep -o -e "--[a-z-]*" | sort -u >opts &&
	while read -r o; do
		grep -q -F -e "Fl -${o#--}" "$man" || { echo "undocumented: $o"; exit 1; }
	done <opts
'

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

test_expect_success_here 'setup: a private dynalite, the sample table, the capture' '
	services_start "$TRASH/svc" dynamodb &&
	export AWS_ENDPOINT_URL_DYNAMODB=$CS_DYNAMODB_ENDPOINT &&
	"$SRC_DIR/scripts/services.sh" create-table "$CS_DYNAMODB_ENDPOINT" click-stream-table IP Timestamp &&
	ln -s "$SRC_DIR/scripts" scripts &&
	gen-records --count 100 --seed 3 --bad-ratio 0.1 >capture.ndjson
'

for d in ex-*; do
	test_expect_success "example: $(cat "$d/cmd")" "
		{ sh -c \"\$(cat $d/cmd)\" >$d/out 2>&1; true; } &&
		test_cmp $d/expected $d/out
	"
done

test_expect_success 'the last example stamped the time to live' '
	dynamodb() { "$SRC_DIR/scripts/services.sh" call "$CS_DYNAMODB_ENDPOINT" dynamodb "$@"; } &&
	head -n 1 capture.ndjson | python3 -c "
import json, sys
r = json.loads(sys.stdin.readline())
print(json.dumps({\"TableName\": \"click-stream-table\", \"Key\": {\"IP\": {\"S\": r[\"ip\"]}, \"Timestamp\": {\"S\": r[\"timestamp\"]}}}))
" >key &&
	dynamodb GetItem "$(cat key)" >got &&
	grep "\"ExpiresAt\":{\"N\":" got &&
	grep "\"Raw\":{\"M\":" got
'

test_done
