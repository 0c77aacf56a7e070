#!/bin/sh
# cs-tail's exit status follows the one rule of every tool (cs_exit_status):
# when several failures happen, the first of 5, 4, 6, 3, 1 wins, not the
# last one seen.
. "$(dirname "$0")/lib.sh"
services_need
S=$(unique_name rule)

test_expect_success 'setup: one shard, 3 records' '
	create_stream "$S" 1 &&
	put_records "$S" 0 3
'

# the first GetRecords passes, every later one gets a 500 until the budget
# is spent (the service fails for good: 5); meanwhile the batch fails and
# cannot be written to the on-failure output (4): 5 comes first
test_expect_success 'the service fails, then the on-failure output: exit 5, not 4' '
	stub_run faultproxy.py p --upstream "$CS_KINESIS_ENDPOINT" --ops GetRecords --error 1 \
	    --skip 3 || exit 1
	cs-tail -s "$S" --endpoint-url "$STUB" --retry-budget 300 --max-retries 0 \
	    --exec "cat >/dev/null; sleep 1; exit 1" --on-failure /dev/full 2>err
	rc=$?
	stub_stop p
	cat err &&
	grep -n "GetRecords on .$S/shardId-000000000000.: " err | head -n 1 | cut -d: -f1 >a &&
	grep -n "cannot write ./dev/full." err | head -n 1 | cut -d: -f1 >b &&
	test -s a && test -s b && test "$(cat a)" -lt "$(cat b)" &&
	test $rc -eq 5
'

test_done
