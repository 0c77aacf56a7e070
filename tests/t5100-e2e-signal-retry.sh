#!/bin/bash
# A signal while a request is being retried ends the wait at once: cs-put,
# cs-tail and cs-store with the endpoint down (a closed loopback port) or
# answering 500 stop within seconds of SIGTERM or SIGINT, not when the retry
# budget is spent; they exit 6, and nothing is counted as done that was not
# (what was read and not delivered is in the rejects, as Interrupted).
. "$(dirname "$0")/lib.sh"
services_need
MAP=$SRC_DIR/scripts/sample-mapping.jq
BUDGET=--retry-budget=60000

# nothing listens there
DEAD=http://127.0.0.1:$(services.sh freeport)

# run CMD... in the background, send SIG after SECS, wait; the status in $rc,
# the milliseconds from the signal to the exit in $ms
signal_after() { # SIG SECS CMD...
	sig=$1 secs=$2
	shift 2
	"$@" &
	pid=$!
	sleep "$secs"
	t=$(date +%s%N)
	kill -"$sig" $pid
	wait $pid
	rc=$?
	ms=$((($(date +%s%N) - t) / 1000000))
}
# it stopped within 3 s of the signal (the budget is 60 s), status 6
stopped_at_once() {
	test "$rc" -eq 6 && test "$ms" -lt 3000 ||
	    { echo "exit $rc, $ms ms after SIG$sig" >&2; return 1; }
}
# every line of INPUT is in the rejects file RJ, as Interrupted
all_interrupted() { # INPUT RJ
	test_line_count "$2" "$(wc -l <"$1")" &&
	test "$(grep -c '"error":"Interrupted"' "$2")" -eq "$(wc -l <"$1")" &&
	python3 -c '
import json, sys
got = sorted(json.loads(l)["record"] for l in open(sys.argv[2]))
want = sorted(l.rstrip("\n") for l in open(sys.argv[1]))
assert got == want, "the rejects are not the input"
' "$1" "$2"
}

test_expect_success 'setup' '
	gen-records --count 40 --seed 5090 >in
'

for sig in TERM INT; do
	test_expect_success "cs-put, endpoint down: SIG$sig ends the retries at once, exit 6" "
		signal_after $sig 1 cs-put -s s --endpoint-url $DEAD $BUDGET --stats \
		    --rejects rj-put-$sig in 2>err &&
		stopped_at_once &&
		all_interrupted in rj-put-$sig &&
		grep -q '^cs-put: 40 records, 0 delivered' err
	"
done

test_expect_success 'cs-put, every request answered 500: SIGTERM ends the retries at once' '
	S=$(unique_name put500) &&
	create_stream "$S" 1 &&
	stub_run faultproxy.py p500 --upstream "$CS_KINESIS_ENDPOINT" --error 1 || exit 1
	signal_after TERM 1 cs-put -s "$S" --endpoint-url "$STUB" $BUDGET --rejects rj500 in &&
	stub_stop p500 &&
	stopped_at_once &&
	all_interrupted in rj500 &&
	test "$(readback "$S" | wc -l)" -eq 0
'

for sig in TERM INT; do
	test_expect_success "cs-tail, endpoint down: SIG$sig ends the ListShards retries at once, exit 6" "
		signal_after $sig 1 cs-tail -s s --endpoint-url $DEAD $BUDGET >out 2>err &&
		stopped_at_once &&
		test_must_be_empty out
	"
done

test_expect_success 'cs-tail, GetRecords answered 500: SIGTERM ends the retries at once, the checkpoint did not move' '
	S=$(unique_name tail500) &&
	create_stream "$S" 1 &&
	put_records "$S" 1 5 &&
	cs-tail -s "$S" --endpoint-url "$CS_KINESIS_ENDPOINT" -e -n 2 --checkpoint ck >first &&
	test_line_count first 2 &&
	cp ck ck.before &&
	stub_run faultproxy.py t500 --upstream "$CS_KINESIS_ENDPOINT" --error 1 \
	    --ops GetRecords,GetShardIterator || exit 1
	signal_after TERM 1.5 cs-tail -s "$S" --endpoint-url "$STUB" $BUDGET --checkpoint ck >out 2>err &&
	stub_stop t500 &&
	stopped_at_once &&
	test_must_be_empty out &&
	test_cmp ck.before ck
'

test_expect_success 'cs-store, endpoint down: SIGTERM ends the DescribeTable retries at once, exit 6' '
	signal_after TERM 1 cs-store -t table --endpoint-url $DEAD $BUDGET in 2>err &&
	stopped_at_once
'

test_expect_success 'cs-store, BatchWriteItem answered 500: SIGINT ends the retries at once, all rejected' '
	T=$(unique_name store500) &&
	create_table "$T" IP Timestamp &&
	stub_run faultproxy.py d500 --upstream "$CS_DYNAMODB_ENDPOINT" --error 1 \
	    --ops BatchWriteItem || exit 1
	signal_after INT 1.5 cs-store -t "$T" -m @"$MAP" --endpoint-url "$STUB" $BUDGET \
	    --rejects rj-store in 2>err &&
	stub_stop d500 &&
	stopped_at_once &&
	all_interrupted in rj-store &&
	dynamodb Scan "{\"TableName\":\"$T\",\"Select\":\"COUNT\"}" >count &&
	grep -q "\"Count\":0" count
'

# STS that takes 60 s to answer (its fetch would wait out its 10 s limit)
slow_sts() { # NAME
	echo '[{"status": 500, "body": "late", "delay_ms": 60000}]' >"$1.json" &&
	python3 "$TEST_DIR/stubs/scripted.py" "$1.json" "$1.port" "$1.log" &
	echo $! >"$1.pid"
	test_wait_for 20 "test -s $1.port" && STS=http://127.0.0.1:$(cat "$1.port")
}
# CMD... with web identity credentials from STS, no other credentials (in
# the background, the subshell becomes CMD: the signal goes to it)
with_webid() {
	echo token >webtoken &&
	exec env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN \
	    AWS_WEB_IDENTITY_TOKEN_FILE="$PWD/webtoken" \
	    AWS_ROLE_ARN=arn:aws:iam::123456789012:role/web AWS_ENDPOINT_URL_STS="$STS" "$@"
}

test_expect_success 'cs-put, credentials from an STS that does not answer: SIGTERM ends the fetch at once, exit 6' '
	slow_sts sts1 &&
	signal_after TERM 1 with_webid cs-put -s s --endpoint-url $DEAD $BUDGET --stats \
	    --rejects rj-sts in 2>err &&
	stub_stop sts1 &&
	stopped_at_once &&
	all_interrupted in rj-sts &&
	grep -q "no answer from STS at http://127.0.0.1:[0-9]*: interrupted" rj-sts &&
	test $(grep -c "" sts1.log) -eq 1
'

test_expect_success 'cs-store, credentials from an STS that does not answer: SIGINT ends the fetch at once, exit 6' '
	slow_sts sts2 &&
	signal_after INT 1 with_webid cs-store -t table --endpoint-url $DEAD $BUDGET in 2>err &&
	stub_stop sts2 &&
	stopped_at_once
'

test_done
