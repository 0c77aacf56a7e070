#!/bin/bash
# cs-store on a slow stream (as behind cs-tail): a record is written when it
# comes, not when a batch of 25 has filled or the input has ended.
. "$(dirname "$0")/lib.sh"
services_need
E=$CS_DYNAMODB_ENDPOINT
T=$(unique_name stream)

has() { dynamodb GetItem "{\"TableName\":\"$T\",\"Key\":{\"IP\":{\"S\":\"$1\"},\"Timestamp\":{\"S\":\"t\"}}}" | grep -q "\"Item\""; }

test_expect_success 'setup' '
	create_table "$T" IP Timestamp &&
	mkfifo fifo
'

test_expect_success_here 'each record of a slow pipe is written while the pipe stays open' '
	{ cs-store -t "$T" --endpoint-url "$E" --stats <fifo 2>err & pid=$!; } &&
	exec 3>fifo &&
	echo "{\"IP\":\"first\",\"Timestamp\":\"t\"}" >&3 &&
	test_wait_for 10 "has first" &&
	echo "{\"IP\":\"second\",\"Timestamp\":\"t\"}" >&3 &&
	test_wait_for 10 "has second" &&
	exec 3>&- &&
	wait $pid &&
	grep "2 records: 2 written, 0 collapsed, 0 skipped, 0 rejected; 2 requests" err
'

test_expect_success 'SIGTERM while waiting for input: nothing pending, exit 6' '
	{ sleep 30 >fifo & spid=$!; } &&
	{ cs-store -t "$T" --endpoint-url "$E" <fifo 2>err & pid=$!; } &&
	sleep 0.5 &&
	kill -TERM $pid &&
	{ wait $pid; rc=$?; } ;
	kill $spid ;
	test "$rc" = 6
'

test_done
