#!/bin/sh
# test-slow: 120 (on kinesis-mock; about 30 on kinesalite)
# test-limit: 240 (seconds: 20,000 records and a reshard, twice slower under ASan on a busy machine)
# cs-put --aggregate: KPL aggregates per shard across a reshard, read back
# exactly by cs-tail and by AWS Labs' aws-kinesis-agg (npm); limits, plain
# singles, per-user-record results and rejects.
. "$(dirname "$0")/lib.sh"
services_need
E=$CS_KINESIS_ENDPOINT
AGG="node $TEST_DIR/data/kinesis-agg.js"

put() { cs-put --endpoint-url "$E" "$@"; }
tail_() { cs-tail --endpoint-url "$E" "$@"; }
wait_active() {
	test_wait_for 20 "kinesis DescribeStream '{\"StreamName\":\"$1\"}' | grep -q '\"StreamStatus\":\"ACTIVE\"'"
}
# the stream read back: raw records, split by the library, and by cs-tail -J; then checked
check_stream() { # STREAM [agg-check options]
	s=$1
	shift
	kinesis ListShards "{\"StreamName\":\"$s\"}" >shards.json &&
	readback "$s" --json >raw.ndjson &&
	$AGG deagg <raw.ndjson >users.ndjson &&
	tail_ -s "$s" -e -J >tail.ndjson &&
	python3 "$TEST_DIR/data/agg-check.py" in.ndjson res.ndjson shards.json raw.ndjson \
	    users.ndjson tail.ndjson "$@" >summary &&
	cat summary
}

test_expect_success 'setup: 20,000 records' '
	gen-records --count 20000 --seed 7 >in.ndjson
'

R=$(unique_name reshard)
test_expect_success '20,000 records -k .ip --aggregate across a split: each once, on its own shard' '
	create_stream "$R" 2 &&
	{ put -s "$R" -k .ip --aggregate --rate 5000 --linger 200 --results res.ndjson --stats in.ndjson \
	    2>err & echo $! >pid; } &&
	test_wait_for 10 "test \$(grep -c \"\" res.ndjson 2>/dev/null || echo 0) -ge 2000" &&
	kinesis SplitShard "{\"StreamName\":\"$R\",\"ShardToSplit\":\"shardId-000000000000\",\"NewStartingHashKey\":\"85070591730234615865843651857942052864\"}" &&
	wait_active "$R" &&
	test_wait_for 30 "! kill -0 \$(cat pid) 2>/dev/null" &&
	wait $(cat pid); echo $? >rc; cat err &&
	test "$(cat rc)" = 0 &&
	grep -q "20000 delivered" err &&
	check_stream "$R" &&
	n=$(sed "s/ Kinesis records.*//" summary) &&
	test "$n" -lt 1000
'

test_expect_success 'the results: the aggregate shard, sequence number and sub-sequence number' '
	head -n 1 res.ndjson | grep -q "\"SubSequenceNumber\":[0-9]" &&
	test $(grep -c "\"SubSequenceNumber\":" res.ndjson) -gt 19000
'

S=$(unique_name small)
test_expect_success '--aggregate-max-bytes bounds each aggregate; an aggregate of one is the record itself' '
	create_stream "$S" 4 &&
	head -n 3000 in.ndjson >in3 &&
	put -s "$S" -k .ip --aggregate --aggregate-max-bytes 2000 --results res3 in3 &&
	readback "$S" --json >raw3 &&
	python3 -c "
import base64, json, sys
n = big = plain = 0
for l in open(\"raw3\"):
    d = base64.b64decode(json.loads(l)[\"Data\"])
    n += 1
    big = max(big, len(d))
    plain += d[:4] != b\"\\xf3\\x89\\x9a\\xc2\"
assert big <= 2000, big
assert n > 3000 * 230 // 2000, n
print(n, big, plain)
" &&
	printf "%s\n" "{\"ip\":\"10.1.1.1\",\"n\":1}" >one &&
	put -s "$S" -k .ip --aggregate --results res1 one &&
	! grep -q SubSequenceNumber res1 &&
	seq=$(sed "s/.*\"SequenceNumber\":\"\\([0-9]*\\)\".*/\\1/" res1) &&
	readback "$S" --json | grep "\"$seq\"" | python3 -c "
import base64, json, sys
r = json.loads(sys.stdin.read())
assert base64.b64decode(r[\"Data\"]) == b\"{\\\"ip\\\":\\\"10.1.1.1\\\",\\\"n\\\":1}\", r
assert r[\"PartitionKey\"] == \"10.1.1.1\", r
"
'

test_expect_success 'a record too large to aggregate is sent alone, plain' '
	python3 -c "print(\"{\\\"ip\\\":\\\"10.9.9.9\\\",\\\"pad\\\":\\\"\" + \"x\" * 60000 + \"\\\"}\")" >big &&
	head -n 5 in.ndjson >>big &&
	put -s "$S" -k .ip --aggregate --results resb big &&
	test_line_count resb 6 &&
	head -n 1 resb | grep -v -q SubSequenceNumber
'

F=$(unique_name faults)
test_expect_success 'a failed aggregate: each of its records rejected with its own line and reason' '
	create_stream "$F" 2 &&
	stub_run faultproxy.py fp --upstream "$E" --partial 1 --ops PutRecords --seed 3 &&
	head -n 4000 in.ndjson >in4 &&
	printf "%s\n" "{\"no\":\"ip\"}" >>in4 &&
	test_expect_code 1 cs-put --endpoint-url "$STUB" -s "$F" -k .ip --aggregate --max-attempts 1 \
	    --aggregate-max-bytes 20000 --results res4 --rejects rej4 in4 &&
	stub_stop fp &&
	test_line_count res4 4001 &&
	python3 -c "
import json
res = [json.loads(l) for l in open(\"res4\")]
rej = [json.loads(l) for l in open(\"rej4\")]
bad = {r[\"line\"] for r in res if r[\"Code\"] != \"PutRecordSuccessful\"}
assert bad == {r[\"line\"] for r in rej}, \"rejects and failed results differ\"
assert 4001 in bad
thr = [r for r in rej if r[\"error\"] == \"ProvisionedThroughputExceededException\"]
assert len(thr) >= 20, len(thr)   # whole aggregates failed: many user records each
lines = open(\"in4\", \"rb\").read().split(b\"\\n\")
for r in thr:
    assert r[\"record\"].encode() == lines[r[\"line\"] - 1], r
print(len(thr), \"user records of failed aggregates rejected\")
"
'

test_expect_success 'with retries allowed the same faults lose nothing' '
	stub_run faultproxy.py fp2 --upstream "$E" --partial 1 --ops PutRecords --seed 5 &&
	G=$(unique_name retry) &&
	create_stream "$G" 2 &&
	cs-put --endpoint-url "$STUB" -s "$G" -k .ip --aggregate --aggregate-max-bytes 20000 \
	    --results res5 --stats in3 2>err5 &&
	stub_stop fp2 &&
	cat err5 &&
	grep -q "3000 delivered" err5 &&
	grep -q " [1-9][0-9]* entries re-sent" err5 &&
	test $(grep -c PutRecordSuccessful res5) = 3000
'

test_expect_success '--aggregate-max-bytes alone, or out of range, is a usage error' '
	test_expect_code 2 cs-put -s x --aggregate-max-bytes 1000 </dev/null &&
	test_expect_code 2 cs-put -s x --aggregate --aggregate-max-bytes 1048576 </dev/null
'

test_done
