#!/bin/bash
# test-slow: 95
# test-limit: 240 (seconds: tests/run.sh kills it after that; see there; about 30 s idle)
# t5010-e2e-faults: the whole flow (cs-put, cs-tail --exec with a checkpoint,
# cs-validate, cs-store) through tests/stubs/faultproxy.py, a loopback proxy
# in front of kinesalite and of dynalite that answers some requests with
# throttling (400 ProvisionedThroughputExceededException / ThrottlingException),
# 500s and 503s, resets connections before or after the service saw the
# request, cuts answers short, holds answers back past the tools' --timeout
# (so the request is abandoned and sent again), and fails part of
# PutRecords and BatchWriteItem batches.  Same end result as without faults:
# every eligible record in the table once by key, every ineligible one in
# the rejects; and the retries show in the tools' summaries.
#
#   T5010_RECORDS=N   records (default 5000)
#   T5010_SEED=N      the proxies' seed (default 5010)
. "$(dirname "$0")/lib.sh"
services_need

N=${T5010_RECORDS:-5000}
SEED=${T5010_SEED:-5010}
stream=$(unique_name s)
table=$(unique_name t)
check="python3 $TEST_DIR/e2e-check.py"
faults="--throttle 0.08 --error 0.06 --reset 0.03 --cut 0.03 --lost 0.04 --truncate 0.03
    --slow 0.04 --slow-ms 2500 --partial 0.10"

start_proxy() { # NAME UPSTREAM
	stub_run faultproxy.py "$1" --upstream "$2" --seed "$SEED" $faults --stats "$1.stats" 2>"$1.err"
}

stop_proxies() {
	for p in kproxy dproxy; do
		[ -f $p.pid ] && kill "$(cat $p.pid)" 2>/dev/null
	done
	return 0
}

e2e_consumer consume.sh "$TRASH/rej" "$table" "--stats --timeout 2000" "$TRASH/store.log"

test_expect_success 'setup: input, expected output, stream, table, proxies' '
	gen-records --count $N --seed $SEED --bad-ratio 0.05 \
	    --double-encoded-ratio 0.05 >input.ndjson &&
	cs-validate --rejects expected-rejects.ndjson input.ndjson >expected.ndjson &&
	$check keys expected.ndjson >expected-keys &&
	create_stream "$stream" 2 &&
	create_table "$table" IP Timestamp &&
	start_proxy kproxy "$CS_KINESIS_ENDPOINT" &&
	start_proxy dproxy "$CS_DYNAMODB_ENDPOINT" &&
	mkdir rej
'

kproxy=http://127.0.0.1:$(cat kproxy.port 2>/dev/null)
dproxy=http://127.0.0.1:$(cat dproxy.port 2>/dev/null)
export AWS_ENDPOINT_URL_KINESIS=$kproxy AWS_ENDPOINT_URL_DYNAMODB=$dproxy

test_expect_success 'cs-put delivers every record through the faults, retrying' '
	cs-put -s "$stream" --stats --timeout 2000 --batch-size 50 --rejects put-rejects.ndjson \
	    input.ndjson 2>put.log &&
	cat put.log &&
	test_must_be_empty put-rejects.ndjson &&
	grep "$N delivered" put.log &&
	grep -E " [1-9][0-9]* entries re-sent| [1-9][0-9]* requests re-sent" put.log
'

test_expect_success 'cs-tail --exec drains the stream through the faults' '
	timeout 240 cs-tail -v -s "$stream" -e --checkpoint ck --timeout 2000 \
	    --batch-size 200 --max-retries 10 --on-failure failed.ndjson \
	    --exec "$TRASH/consume.sh" 2>tail.log </dev/null &&
	test_must_be_empty failed.ndjson &&
	tail -n 5 tail.log &&
	grep "(retry)" tail.log
'

test_expect_success 'the faults happened: each kind, and on both services' '
	cat kproxy.stats dproxy.stats &&
	for f in throttle error reset cut lost truncate slow partial; do
		cat kproxy.stats dproxy.stats | grep -q "\"$f\": [1-9]" ||
		{ echo "no $f fault injected"; return 1; }
	done &&
	for p in kproxy dproxy; do
		for f in throttle error reset partial; do
			grep -q "\"$f\": [1-9]" $p.stats ||
			{ echo "$p: no $f fault injected"; return 1; }
		done
	done
'

test_expect_success 'cs-store retried: its summaries show retries' '
	grep "retries" store.log | head -n 5 &&
	grep -v " 0 retries (0 items re-sent)" store.log | grep -q "[1-9][0-9]* retries"
'

test_expect_success 'the table holds every eligible record exactly once by key' '
	$check scan "$CS_DYNAMODB_ENDPOINT" "$table" >got-keys &&
	$check cmp-keys expected-keys got-keys
'

test_expect_success 'the rejects hold every ineligible record, nothing else' '
	$check cmp-rejects expected-rejects.ndjson rej/b.*
'

test_expect_success 'no sanitizer report, no record given up' '
	! grep -n "Sanitizer\|runtime error" put.log tail.log store.log &&
	! grep -n "records failed" tail.log
'

stop_proxies
test_done
