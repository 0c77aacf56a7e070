#!/bin/sh
# cs-put against tests/stubs/kinesis-faults.py: PutRecords answers with
# failed entries (only those are sent again, each key's order kept),
# throttled / failing / dropped requests, and a retry budget that runs out.
. "$(dirname "$0")/lib.sh"

stub_start() { stub_run kinesis-faults.py "$@"; } # NAME ARGS...: STUB=its endpoint
check() { python3 "$SRC_DIR/tests/put/check-stub-log.py" "$@"; }

test_expect_success 'setup' '
	gen-records --count 3000 --seed 3 >in
'

test_expect_success_here 'partial failures: only the failed entries are sent again, every record lands once' '
	stub_start partial --fail-ratio 0.4 --seed 5 &&
	cs-put -s st --endpoint-url "$STUB" --results res --stats --metrics-file m.prom in 2>err &&
	stub_stop partial &&
	check in partial.log >summary &&
	cat summary &&
	! grep -q "entries failed: 0," summary &&
	test_line_count res 3000 &&
	test $(grep -c "^{\"Code\":\"PutRecordSuccessful\"" res) -eq 3000 &&
	n=$(sed -n "s/entries failed: \([0-9]*\),.*/\1/p" summary) &&
	grep -q " $n entries re-sent" err &&
	# each failed entry was throttled (ProvisionedThroughputExceededException), as cs(7) counts it
	grep -qx "cs_put_entries_resent_total $n" m.prom &&
	grep -qx "cs_put_entries_throttled_total $n" m.prom
'

test_expect_success_here '-k: each key lands in input order despite the failures' '
	stub_start ordered --fail-ratio 0.5 --seed 9 &&
	cs-put -s st --endpoint-url "$STUB" -k .browser --parallel 4 --batch-size 100 in &&
	stub_stop ordered &&
	check --ordered in ordered.log
'

test_expect_success_here 'a constant key (the sample'"'"'s "0") stays in order too' '
	stub_start constant --fail-ratio 0.5 --seed 11 &&
	head -n 1000 in >in1k &&
	cs-put -s st --endpoint-url "$STUB" -k "\"0\"" --batch-size 50 in1k &&
	stub_stop constant &&
	check --ordered in1k constant.log
'

test_expect_success_here 'throttled, failing and dropped requests are sent again whole, nothing lost' '
	stub_start whole --throttle 2 --error500 2 --drop 1 &&
	head -n 1200 in >in12 &&
	cs-put -s st --endpoint-url "$STUB" --stats in12 2>err &&
	stub_stop whole &&
	check in12 whole.log >summary &&
	grep -q "requests failed: 5$" summary &&
	grep -q " 5 requests re-sent" err
'

test_expect_success_here 'entries that keep failing past the retry budget are rejected with the service'"'"'s code' '
	stub_start always --fail-ratio 1 &&
	head -n 20 in >in20 &&
	test_expect_code 1 cs-put -s st --endpoint-url "$STUB" --retry-budget 300 \
		--rejects rej --results res in20 2>err &&
	stub_stop always &&
	test_must_be_empty err &&
	test_line_count rej 20 &&
	test $(grep -c "\"error\":\"ProvisionedThroughputExceededException\",\"reason\":\"Rate exceeded for shard shardId-0000000000[0-9][0-9] in stream st\"" rej) -eq 20 &&
	test $(grep -c "^{\"Code\":\"ProvisionedThroughputExceededException\"" res) -eq 20 &&
	python3 -c "
import json
rj = [json.loads(l)[\"record\"] for l in open(\"rej\")]
assert rj == open(\"in20\").read().split(\"\\n\")[:-1]
"
'

test_expect_success 'a service that cannot be reached: exit 5 after the budget, one line' '
	port=$("$SRC_DIR/scripts/services.sh" freeport) &&
	test_expect_code 5 cs-put -s st --endpoint-url "http://127.0.0.1:$port" --retry-budget 300 in20 2>err &&
	test_line_count err 1 &&
	grep -q "^cs-put: PutRecords on '"'"'st'"'"': cannot reach http://127.0.0.1:$port" err
'

test_done
