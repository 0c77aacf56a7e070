#!/bin/bash
# cs-store: the man page is clean and its EXAMPLES do what they say, run in
# order against a private dynalite.  Each ".Bd -literal" block of EXAMPLES
# whose first line starts with "$ " is run with sh; the block's other lines
# are the expected output (stdout and stderr; the exit status is not checked).
. "$(dirname "$0")/lib.sh"

test_man_page cs-store
test_man_examples_split 05

test_expect_success_here 'setup: a private dynalite, the sample table, the capture' '
	services_start "$TRASH/svc" dynamodb &&
	export AWS_ENDPOINT_URL_DYNAMODB=$CS_DYNAMODB_ENDPOINT &&
	create_table click-stream-table IP Timestamp &&
	ln -s "$SRC_DIR/scripts" scripts &&
	gen-records --count 100 --seed 3 --bad-ratio 0.1 >capture.ndjson
'

test_man_examples_run --any-status

test_expect_success 'the last example stamped the time to live' '
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
