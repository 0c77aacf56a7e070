#!/bin/sh
# cs-put and cs-store talk on stderr only when it is a terminal (cs(7):
# "A progress line is written to stderr only when stderr is a terminal"):
# silent on a pipe, the summary on a terminal, nothing with -q.
. "$(dirname "$0")/lib.sh"
services_need
S=$(unique_name st)
T=$(unique_name tb)
P="--endpoint-url $CS_KINESIS_ENDPOINT"
D="--endpoint-url $CS_DYNAMODB_ENDPOINT"

test_expect_success 'setup: a stream, a table, 5 records' '
	create_stream "$S" 1 &&
	create_table "$T" IP Timestamp &&
	for i in 1 2 3 4 5; do
		echo "{\"IP\":\"10.0.0.$i\",\"Timestamp\":\"2018-02-04T23:18:3$i.000Z\"}"
	done >in
'

test_expect_success 'cs-put: silent on a pipe; the summary on a terminal; -q: nothing' '
	cs-put $P -s "$S" in 2>err &&
	test_must_be_empty err &&
	script -qec "cs-put $P -s $S in" /dev/null >tty &&
	grep "cs-put: 5 records, 5 delivered" tty &&
	script -qec "cs-put -q $P -s $S in" /dev/null >tty &&
	test_must_be_empty tty
'

test_expect_success 'cs-store: silent on a pipe; the summary on a terminal; -q: nothing' '
	cs-store $D -t "$T" in 2>err &&
	test_must_be_empty err &&
	script -qec "cs-store $D -t $T in" /dev/null >tty &&
	grep "cs-store: 5 records: 5 written" tty &&
	script -qec "cs-store -q $D -t $T in" /dev/null >tty &&
	test_must_be_empty tty
'

test_done
