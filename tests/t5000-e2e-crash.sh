#!/bin/bash
# test-slow: 170
# test-limit: 240 (seconds: tests/run.sh kills it after that; see there; about 30 s idle)
# t5000-e2e-crash: 50,000 records through cs-put, cs-tail --exec with a
# checkpoint, cs-validate and cs-store, while the consumer's whole process
# tree is killed with SIGKILL at random moments and restarted.  At the end
# the table holds every eligible record exactly once by key, and the
# rejects hold every ineligible record.
#
# How rejects are counted: delivery to the --exec command is at-least-once,
# so a batch that was running when the consumer was killed runs again and
# writes its rejects again.  Each batch writes its own rejects file; the
# test reduces every reject to the original record's bytes and requires
# every ineligible input record to be there (at least as often as in the
# input) and nothing else: duplicates from re-delivery are counted and
# shown, not failed.
#
#   T5000_RECORDS=N   records (default 50000)
#   T5000_KILLS=N     kills (default 6)
#   T5000_SEED=N      seed of the kill moments (default 5000)
. "$(dirname "$0")/lib.sh"
services_need
export AWS_ENDPOINT_URL_KINESIS=$CS_KINESIS_ENDPOINT
export AWS_ENDPOINT_URL_DYNAMODB=$CS_DYNAMODB_ENDPOINT

N=${T5000_RECORDS:-50000}
KILLS=${T5000_KILLS:-6}
SEED=${T5000_SEED:-5000}
stream=$(unique_name s)
table=$(unique_name t)
check="python3 $TEST_DIR/e2e-check.py"
e2e_consumer consume.sh "$TRASH/rej" "$table" -q
consumer_cmd=$TRASH/consume.sh

# every process of the tree rooted at PID, deepest first
tree() { # PID
	for c in $(pgrep -P "$1"); do tree "$c"; done
	echo "$1"
}

start_consumer() {
	setsid cs-tail -q -s "$stream" --checkpoint ck --exec "$consumer_cmd" \
	    --batch-size 500 --parallel 4 --max-retries 10 --on-failure failed.ndjson \
	    2>>consumer.log </dev/null &
	echo $! >consumer.pid
}

# SIGKILL the consumer: its process group and every descendant, at once
kill_consumer() {
	pid=$(cat consumer.pid)
	victims=$(tree "$pid")
	kill -KILL -- "-$pid" $victims 2>/dev/null
	# and what its session forked meanwhile (a batch's guard, in a group
	# of its own), until nothing of it is left
	pkill -KILL -s "$pid" 2>/dev/null
	i=0
	while { kill -0 "$pid" 2>/dev/null || pgrep -s "$pid" >/dev/null; } && [ $i -lt 100 ]; do
		sleep 0.05
		pkill -KILL -s "$pid" 2>/dev/null
		i=$((i + 1))
	done
	echo "$(date +%T.%N | cut -c1-12) killed $(echo $victims | wc -w) processes of the consumer" >>kills.log
}

test_expect_success 'setup: the input, what should come out, stream and table' '
	gen-records --count $N --seed 5000 --bad-ratio 0.05 \
	    --double-encoded-ratio 0.05 >input.ndjson &&
	cs-validate --rejects expected-rejects.ndjson input.ndjson >expected.ndjson &&
	$check keys expected.ndjson >expected-keys &&
	test $(wc -l <expected-keys) -gt $((N * 9 / 10)) &&
	test $(wc -l <expected-rejects.ndjson) -gt $((N / 25)) &&
	create_stream "$stream" 2 &&
	create_table "$table" IP Timestamp &&
	mkdir rej
'

test_expect_success "put and consume while the consumer is killed $KILLS times" '
	(cs-put -q -s "$stream" --rejects put-rejects.ndjson input.ndjson 2>put.log
	 echo $? >put.rc) &
	RANDOM=$SEED
	k=0
	start_consumer &&
	# the first kill once the consumer has made progress (a checkpoint)
	test_wait_for 60 "test -s ck" &&
	while [ $k -lt $KILLS ]; do
		# a random moment, 0.3 to 2.0 s after the (re)start
		ms=$((300 + RANDOM % 1700))
		sleep "$(printf "%d.%03d" $((ms / 1000)) $((ms % 1000)))"
		kill_consumer
		k=$((k + 1))
		echo "kill $k after ${ms} ms; checkpoint: $(sed "s/\"sequenceNumber\":\"[0-9]*\([0-9]\{6\}\)\"/...\1/g" ck 2>/dev/null)" >>kills.log
		start_consumer
	done &&
	test_wait_for 120 "test -f put.rc" &&
	echo "$(date +%T) put done" >>kills.log &&
	test "$(cat put.rc)" = 0 &&
	test_must_be_empty put-rejects.ndjson &&
	sleep 1 &&
	kill_consumer &&
	cat kills.log &&
	test $(grep -c "^kill " kills.log) -ge 5
'

test_expect_success 'a last run drains the stream from the checkpoint and exits' '
	date +%T &&
	timeout 300 cs-tail -q -s "$stream" -e --checkpoint ck --batch-size 500 --exec "$consumer_cmd" \
	    --max-retries 10 --on-failure failed.ndjson \
	    2>>consumer.log </dev/null &&
	date +%T
'

test_expect_success 'the table holds every eligible record exactly once by key' '
	{ test ! -s failed.ndjson || { echo "batches given up:"; head -c 2000 failed.ndjson; false; }; } &&
	$check scan "$CS_DYNAMODB_ENDPOINT" "$table" >got-keys &&
	$check cmp-keys expected-keys got-keys
'

test_expect_success 'the rejects hold every ineligible record, nothing else' '
	$check cmp-rejects expected-rejects.ndjson rej/b.*
'

test_expect_success 'no sanitizer report from any run of the tools' '
	! grep -n "Sanitizer\|runtime error" consumer.log put.log
'

test_done
