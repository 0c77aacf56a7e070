#!/bin/sh
# cs-tail --consumer when a subscription goes wrong, against a loopback stub
# (tests/stubs/subscribe-faults.js: no local Kinesis sends bad frames): a
# frame with a wrong CRC and an exception event each end their subscription
# with a message and a retry from after the last event handled; nothing is
# skipped or repeated, and the shard's last event ends it.  Then the service
# ending subscriptions early (as it does after 5 minutes) while records keep
# arriving: each time cs-tail subscribes again from the continuation it was
# given.  Then the TCP connection reset (an RST) in the middle of a
# subscription, after some events and inside the next one: one line naming
# the shard, a new subscription after the last continuation handled (not the
# torn event's), every record once, and a checkpoint that was never past it;
# a run stopped after the reset and started again from its checkpoint reads
# the rest, nothing twice.  Subscriptions that end cleanly with no event
# at all: each subscribed again after a backoff (0.5, 1, 2 s), not at once.
# A resume inside a KPL aggregate whose subscription's first event has no
# records: the aggregate's user records already handled are left out of
# the first records delivered, not handed over again.
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

test_expect_success 'the connection reset mid-subscription: said once, resumed after the last continuation, every record once, the checkpoint never past it' '
	node "$TEST_DIR/stubs/subscribe-faults.js" port3 rst.log reset ck &
	echo $! >stub.pid &&
	test_wait_for 20 "test -s port3" &&
	timeout 60 cs-tail --endpoint-url "http://127.0.0.1:$(cat port3)" -s s --consumer c -e \
		--checkpoint ck >out 2>err;
	rc=$?; kill $(cat stub.pid); cat err rst.log; test $rc -eq 0 &&
	seq 0 11 | sed "s/.*/{\"n\":&}/" >want &&
	test_cmp want out &&
	# one line, naming the shard and the reset, and the retry
	test_line_count err 1 &&
	grep -q "^cs-tail: SubscribeToShard on .s/shardId-000000000000.: .*reset.*; subscribing again" err &&
	test_line_count rst.log 3 &&
	sed -n 1p rst.log | grep -q "\"Type\":\"TRIM_HORIZON\"" &&
	sed -n 2p rst.log | grep -q "\"Type\":\"AFTER_SEQUENCE_NUMBER\",\"SequenceNumber\":\"106\"" &&
	# the checkpoint as the new subscription found it, and at the end
	sed -n 3p rst.log | grep -q "\"shardId-000000000000\":{\"sequenceNumber\":\"106\",\"finished\":false}" &&
	tr -d " \n" <ck | grep -q "\"shardId-000000000000\":{\"sequenceNumber\":\"112\",\"finished\":true}"
'

test_expect_success 'stopped after the reset, started again from its checkpoint: the rest, nothing twice' '
	rm -f ck rst.log &&
	node "$TEST_DIR/stubs/subscribe-faults.js" port4 rst.log reset ck &
	echo $! >stub.pid &&
	test_wait_for 20 "test -s port4" &&
	# not under timeout(1): it would send the signal twice, to cs-tail and
	# to its process group, and LeakSanitizer'"'"'s exit check then sometimes
	# hangs
	{ cs-tail --endpoint-url "http://127.0.0.1:$(cat port4)" -s s --consumer c -e \
		--checkpoint ck >out1 2>err & } &&
	tail_pid=$! &&
	# the new subscription is in: the stub waits 500 ms before it answers
	test_wait_for 20 "test -f rst.log && test \$(wc -l <rst.log) -ge 2";
	kill -TERM $tail_pid &&
	test_wait_for 20 "! kill -0 $tail_pid 2>/dev/null" || kill -KILL $tail_pid;
	wait $tail_pid; rc=$?; cat err; test $rc -eq 6 &&
	grep -q "\"sequenceNumber\":\"106\"" ck &&
	timeout 60 cs-tail --endpoint-url "http://127.0.0.1:$(cat port4)" -s s --consumer c -e \
		--checkpoint ck >out2 2>err;
	rc=$?; kill $(cat stub.pid); cat err rst.log; test $rc -eq 0 &&
	seq 0 11 | sed "s/.*/{\"n\":&}/" >want &&
	cat out1 out2 >out &&
	test_cmp want out &&
	test_line_count out1 6 &&
	grep ConsumerARN rst.log | tail -n 1 | grep -q "\"Type\":\"AFTER_SEQUENCE_NUMBER\",\"SequenceNumber\":\"106\""
'

test_expect_success 'subscriptions ended with no event: subscribed again after a backoff, not at once' '
	node "$TEST_DIR/stubs/subscribe-faults.js" port5 silent.log silent &
	echo $! >stub.pid &&
	test_wait_for 20 "test -s port5" &&
	timeout 60 cs-tail --endpoint-url "http://127.0.0.1:$(cat port5)" -s s --consumer c -e >out 2>err;
	rc=$?; kill $(cat stub.pid); cat err silent.log; test $rc -eq 0 &&
	seq 0 11 | sed "s/.*/{\"n\":&}/" >want &&
	test_cmp want out &&
	# three silent ones, then the one that reads the shard: no more
	test_line_count silent.log 4 &&
	grep -c "ended with no event; subscribing again in" err | grep -qx 3 &&
	grep -q "subscribing again in 0.5 s" err &&
	grep -q "subscribing again in 2.0 s" err &&
	# the waits between them, at least the first backoff each (the stub
	# ends each answer 100 ms after it began; their growth is in the
	# messages above: a loaded machine may lengthen any wait, not shorten)
	awk "NR > 1 { w = \$1 - prev; print w; if (w < 500) bad = 1 } { prev = \$1 }
	     END { exit bad }" silent.log
'

test_expect_success 'resumed inside an aggregate, the first event empty: the user records handled are not repeated' '
	for n in 0 1 2 3 4; do echo "{\"partitionKey\":\"k\",\"data\":{\"n\":$n}}"; done |
	    node "$TEST_DIR/data/kinesis-agg.js" agg >agg &&
	test_line_count agg 1 &&
	node "$TEST_DIR/stubs/subscribe-faults.js" port6 agg.log aggempty agg &
	echo $! >stub.pid &&
	test_wait_for 20 "test -s port6" &&
	timeout 60 cs-tail --endpoint-url "http://127.0.0.1:$(cat port6)" -s s --consumer c -e \
		-n 2 --checkpoint ack >aout1 2>err &&
	tr -d " \n" <ack | grep -q "\"sequenceNumber\":\"101\",\"subSequenceNumber\":1," &&
	timeout 60 cs-tail --endpoint-url "http://127.0.0.1:$(cat port6)" -s s --consumer c -e \
		--checkpoint ack >aout2 2>>err;
	rc=$?; kill $(cat stub.pid); cat err agg.log; test $rc -eq 0 &&
	printf "{\"n\":%s}\n" 0 1 >want1 &&
	test_cmp want1 aout1 &&
	printf "{\"n\":%s}\n" 2 3 4 100 101 >want2 &&
	test_cmp want2 aout2 &&
	tail -n 1 agg.log | grep -q "\"Type\":\"AT_SEQUENCE_NUMBER\",\"SequenceNumber\":\"101\""
'

test_done
