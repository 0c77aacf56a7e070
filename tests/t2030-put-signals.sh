#!/bin/sh
# cs-put: SIGTERM and SIGINT stop the reading, what was read is delivered
# or rejected (never half-consumed), the summary is printed, exit 6.
. "$(dirname "$0")/lib.sh"
services_need

# the results file must be a prefix of the input, all delivered, and the
# stream must hold exactly those records
check_prefix() { # INPUT RESULTS STREAM
	n=$(wc -l <"$2") &&
	test "$n" -gt 0 &&
	test "$n" -lt "$(wc -l <"$1")" &&
	test "$(grep -c "^{\"Code\":\"PutRecordSuccessful\"" "$2")" -eq "$n" &&
	sed "s/.*\"line\":\([0-9]*\)}$/\1/" "$2" >lines &&
	seq "$n" >want-lines &&
	test_cmp want-lines lines &&
	head -n "$n" "$1" | LC_ALL=C sort >want-data &&
	readback "$3" | LC_ALL=C sort >got-data &&
	test_cmp want-data got-data
}

test_expect_success 'setup' '
	gen-records --count 3000 --seed 4 >in
'

for sig in TERM INT; do
	S=$(unique_name "$sig")
	test_expect_success "SIG$sig mid-run: exit 6, consumed = delivered, the rest unread" "
		create_stream $S 2 || exit 1
		cs-put -s $S --endpoint-url \"\$CS_KINESIS_ENDPOINT\" --rate 500 --stats \
			--results res in 2>err &
		pid=\$! &&
		sleep 1.5 &&
		kill -$sig \$pid &&
		{ wait \$pid; rc=\$?; } &&
		test \$rc -eq 6 &&
		check_prefix in res $S &&
		grep -q '^cs-put: [0-9]* records, [0-9]* delivered' err
	"
done

S=$(unique_name pipe)
test_expect_success 'a pipe that stays open (tail -f): records go at once; SIGTERM ends the wait' '
	create_stream "$S" 1 && mkfifo fifo || exit 1
	{ printf "{\"n\":1}\n{\"n\":2}\n"; sleep 30; } >fifo &
	writer=$!
	cs-put -s "$S" --endpoint-url "$CS_KINESIS_ENDPOINT" --results res2 fifo &
	pid=$!
	test_wait_for 10 "readback $S | grep -c . | grep -qx 2" &&
	kill -TERM $pid &&
	{ wait $pid; rc=$?; } &&
	kill $writer 2>/dev/null;
	test $rc -eq 6 &&
	test_line_count res2 2
'

test_expect_success 'a second signal gives up retries at once (the stub keeps failing)' '
	stub_run kinesis-faults.py stub --fail-ratio 1 || exit 1
	stub=$(cat stub.pid)
	trap "kill $stub 2>/dev/null" EXIT
	head -n 50 in >in50 || exit 1
	cs-put -s st --endpoint-url "$STUB" --rejects rej --results res3 in50 &
	pid=$!
	sleep 1 &&
	kill -TERM $pid && sleep 0.3 && kill -TERM $pid 2>/dev/null;
	{ wait $pid; rc=$?; } &&
	kill $stub &&
	test $rc -eq 6 &&
	test_line_count res3 50 &&
	test_line_count rej 50
'

test_done
