#!/bin/sh
# cs-put: when the service refuses for good (no such stream), the records
# it refused are summed up in one line, but a record rejected for its own
# reason (here: too large) still gets its own line with that reason.
. "$(dirname "$0")/lib.sh"
services_need

test_expect_success 'a too-large record behind a refused one keeps its own reason' '
	python3 -c "
import sys
sys.stdout.write(\"{\\\"a\\\":1}\n\")
sys.stdout.write(\"{\\\"big\\\":\\\"\" + \"x\" * (1100 * 1024) + \"\\\"}\n\")
" >in &&
	test_expect_code 5 cs-put -s no-such-stream --endpoint-url "$CS_KINESIS_ENDPOINT" in 2>err &&
	cat err &&
	grep -q "^cs-put: in:2: .*over the limit" err &&
	grep -q "ResourceNotFoundException.*(1 record not delivered)" err &&
	test_line_count err 2
'

test_done
