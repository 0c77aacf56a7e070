#!/bin/sh
# cs-put --aggregate: KPL aggregates per shard, checked with AWS Labs'
# aws-kinesis-agg (npm); cs-tail splits them, and splits the library's own.
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
	! grep -q " 0 entries re-sent" err5 &&
	test $(grep -c PutRecordSuccessful res5) = 3000
'

L=$(unique_name lib)
test_expect_success 'cs-tail splits what aws-kinesis-agg aggregates, exactly' '
	create_stream "$L" 1 &&
	head -n 2000 in.ndjson | python3 -c "
import json, sys
for i, l in enumerate(sys.stdin):
    r = json.loads(l)
    print(json.dumps({\"partitionKey\": r[\"ip\"], \"data\": r}))
" >users-in &&
	$AGG agg <users-in >envelopes &&
	test $(grep -c "" envelopes) -lt 50 &&
	put -s "$L" -E envelopes &&
	tail_ -s "$L" -e -J >lib-tail &&
	python3 -c "
import json
want = [json.loads(l) for l in open(\"users-in\")]
got = [json.loads(l) for l in open(\"lib-tail\")]
assert len(got) == len(want), (len(got), len(want))
for w, g in zip(want, got):
    assert g[\"partitionKey\"] == w[\"partitionKey\"], (g, w)
    assert g[\"data\"] == w[\"data\"], (g, w)
assert got[1][\"subSequenceNumber\"] == 1
"
'

test_expect_success 'cs-tail -J keeps a user record explicit hash key; cs-put -E puts it back with it' '
	X=$(unique_name ehk) &&
	create_stream "$X" 2 &&
	printf "%s\n" "{\"ip\":\"10.0.0.1\",\"h\":\"1\"}" "{\"ip\":\"10.0.0.2\",\"h\":\"2\"}" >ehk-in &&
	put -s "$X" -k .ip --explicit-hash-key .h --aggregate ehk-in &&
	tail_ -s "$X" -e -J >ehk-tail &&
	grep -q "\"explicitHashKey\":\"1\",\"partitionKey\":\"10.0.0.1\"" ehk-tail &&
	Y=$(unique_name ehk2) &&
	create_stream "$Y" 2 &&
	put -s "$Y" -E --results ehk-res ehk-tail &&
	! grep -v "shardId-000000000000" ehk-res
'

test_expect_success '--listen --aggregate: concurrent reports packed per shard, each one back' '
	W=$(unique_name listen) &&
	create_stream "$W" 2 &&
	port=$("$SRC_DIR/scripts/services.sh" freeport) &&
	{ cs-put -s "$W" --endpoint-url "$E" --listen "127.0.0.1:$port" --no-enrich -k .ip \
	    --aggregate --linger 300 2>lerr & echo $! >lpid; } &&
	test_wait_for 20 "curl -s -o /dev/null -X OPTIONS http://127.0.0.1:$port/report" &&
	for i in $(seq 40); do
		curl -s -o /dev/null -w "%{http_code}\n" -X POST \
		    --data-binary "{\"ip\":\"10.2.0.$i\",\"n\":$i}" "http://127.0.0.1:$port/report" >>lcodes &
	done &&
	wait_curls=0 && while [ $(grep -c "" lcodes 2>/dev/null || echo 0) -lt 40 ] && [ $wait_curls -lt 200 ]; do
		sleep 0.1; wait_curls=$((wait_curls + 1)); done &&
	kill -TERM $(cat lpid) && wait $(cat lpid) &&
	test $(grep -c "^200$" lcodes) = 40 &&
	readback "$W" --json >lraw &&
	test $(grep -c "" lraw) -lt 20 &&
	$AGG deagg <lraw >lusers &&
	test $(grep -c "" lusers) = 40 &&
	for i in $(seq 40); do grep -q "\"partitionKey\":\"10.2.0.$i\"" lusers || return 1; done
'

C=$(unique_name ck)
test_expect_success 'cs-tail checkpoints stop inside an aggregate, and resume after its last user record out' '
	create_stream "$C" 1 &&
	head -n 100 in.ndjson >in100 &&
	put -s "$C" -k .ip --aggregate --results res100 in100 &&
	test $(grep -c "\"SubSequenceNumber\":99" res100) = 1 &&
	tail_ -s "$C" -e -n 30 --checkpoint ck >part1 &&
	grep -q "\"subSequenceNumber\":29," ck &&
	tail_ -s "$C" -e -n 50 --checkpoint ck >part2 &&
	grep -q "\"subSequenceNumber\":79," ck &&
	tail_ -s "$C" -e --checkpoint ck >part3 &&
	! grep -q subSequenceNumber ck &&
	cat part1 part2 part3 >parts &&
	test_cmp in100 parts &&
	tail_ -s "$C" -e --checkpoint ck >again &&
	test_must_be_empty again
'

test_expect_success 'cs-tail --exec: a batch that ends inside an aggregate moves the checkpoint there' '
	tail_ -s "$C" -e --checkpoint ck2 --batch-size 30 --exec "cat >>xgot; cat ck2 >>cks 2>/dev/null; :" &&
	test_cmp in100 xgot &&
	grep -o "\"subSequenceNumber\":[0-9]*" cks >subs &&
	printf "%s\n" "\"subSequenceNumber\":29" "\"subSequenceNumber\":59" "\"subSequenceNumber\":89" >want-subs &&
	test_cmp want-subs subs &&
	! grep -q subSequenceNumber ck2
'

test_expect_success '--aggregate-max-bytes alone, or out of range, is a usage error' '
	test_expect_code 2 cs-put -s x --aggregate-max-bytes 1000 </dev/null &&
	test_expect_code 2 cs-put -s x --aggregate --aggregate-max-bytes 1048576 </dev/null
'

test_done
