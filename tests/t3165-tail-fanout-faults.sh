#!/bin/sh
# cs-tail --consumer when a subscription goes wrong, against a loopback stub
# (tests/stubs/subscribe-faults.js: no local Kinesis sends bad frames): a
# frame with a wrong CRC and an exception event each end their subscription
# with a message and a retry from after the last event handled; nothing is
# skipped or repeated, and the shard's last event ends it.
. "$(dirname "$0")/lib.sh"

test_expect_success 'a corrupt frame, then an exception event: retried from the same place, every record once' '
	node "$TEST_DIR/stubs/subscribe-faults.js" port subs.log &
	echo $! >stub.pid &&
	test_wait_for 20 "test -s port" &&
	timeout 60 cs-tail --endpoint-url "http://127.0.0.1:$(cat port)" -s s --consumer c -e >out 2>err;
	rc=$?; kill $(cat stub.pid); cat err; test $rc -eq 0 &&
	seq 0 11 | sed "s/.*/{\"n\":&}/" >want &&
	test_cmp want out &&
	grep -q "the message.s CRC does not match; subscribing again" err &&
	grep -q "InternalFailure: {\"message\":\"stub failure\"}; subscribing again" err &&
	test_line_count subs.log 3 &&
	sed -n 1p subs.log | grep -q "\"Type\":\"TRIM_HORIZON\"" &&
	sed -n 2p subs.log | grep -q "\"Type\":\"AFTER_SEQUENCE_NUMBER\",\"SequenceNumber\":\"104\"" &&
	sed -n 3p subs.log | grep -q "\"Type\":\"AFTER_SEQUENCE_NUMBER\",\"SequenceNumber\":\"104\""
'

test_done
