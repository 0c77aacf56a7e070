#!/bin/sh
# cs-tail --consumer when a subscription goes wrong, against a loopback stub
# (tests/stubs/subscribe-faults.js: no local Kinesis sends bad frames): a
# frame with a wrong CRC and an exception event each end their subscription
# with a message and a retry from after the last event handled; nothing is
# skipped or repeated, and the shard's last event ends it.  Then the service
# ending subscriptions early (as it does after 5 minutes) while records keep
# arriving: each time cs-tail subscribes again from the continuation it was
# given.
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

test_expect_success 'subscriptions the service ends early while records arrive: resumed from each continuation, every record once, in order' '
	node "$TEST_DIR/stubs/subscribe-faults.js" port2 ends.log ends &
	echo $! >stub.pid &&
	test_wait_for 20 "test -s port2" &&
	timeout 60 cs-tail --endpoint-url "http://127.0.0.1:$(cat port2)" -s s --consumer c -e >out 2>err;
	rc=$?; kill $(cat stub.pid); cat err ends.log; test $rc -eq 0 &&
	seq 0 39 | sed "s/.*/{\"n\":&}/" >want &&
	test_cmp want out &&
	test $(wc -l <ends.log) -ge 5 &&
	# a chain: TRIM_HORIZON first, then each from the last continuation of
	# the one before, the last one ending the shard
	awk "NR == 1 { ok = \$1 == \"TRIM_HORIZON\" }
	     NR > 1 { ok = ok && \$1 == \"AFTER_SEQUENCE_NUMBER\" && \$2 == prev && \$2 % 2 == 0 }
	     { prev = \$3 } END { exit !(ok && prev == \"END\") }" ends.log
'

test_done
