#!/bin/sh
# cs-tail on kinesis-mock, for what kinesalite does not implement: a start
# AT_TIMESTAMP past the last record (kinesalite never answers), reading while
# MillisBehindLatest > 0 (always 0 on kinesalite), UpdateShardCount.
. "$(dirname "$0")/lib.sh"
kinesis_mock_need
S=$(unique_name ts)
B=$(unique_name behind)
U=$(unique_name scale)

km() { "$SRC_DIR/scripts/services.sh" call "$KM" kinesis "$@"; }
tail_() { timeout 60 cs-tail --endpoint-url "$KM" "$@"; }
now_ms() { date -u +%Y-%m-%dT%H:%M:%S.%3NZ; }
ns() { jq -c .data.n "$1" | sort -n; } # the n of each envelope of FILE, sorted

# put records FIRST..FIRST+COUNT-1 of tail-records.py, BATCH to a PutRecords call
put_km() { # STREAM FIRST COUNT BATCH
	python3 - "$@" <<-'EOF' >bodies &&
	import base64, json, sys
	stream, first, count, per = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
	recs = []
	for n in range(first, first + count):
	    d = json.dumps({"n": n, "k": "k%d" % (n % 7)}, separators=(",", ":")).encode()
	    recs.append({"PartitionKey": "k%d" % (n % 7), "Data": base64.b64encode(d).decode()})
	for i in range(0, len(recs), per):
	    print(json.dumps({"StreamName": stream, "Records": recs[i:i + per]}))
	EOF
	while read -r body; do
		km PutRecords "$body" >put.out || return 1
		grep -q '"FailedRecordCount":0' put.out || { cat put.out; return 1; }
	done <bodies
}

test_expect_success 'setup: a stream of 2 shards, 20 records, then a moment later T' '
	"$SRC_DIR/scripts/services.sh" create-stream "$KM" "$S" 2 &&
	put_km "$S" 0 20 20 &&
	sleep 1.2 &&
	now_ms >T &&
	sleep 0.2
'

test_expect_success '--from T, no record at or after T: nothing, and -e exits 0 at once' '
	start=$(date +%s) &&
	tail_ -s "$S" -e -J --from "$(cat T)" >out 2>err &&
	test_must_be_empty out &&
	test_must_be_empty err &&
	test $(($(date +%s) - start)) -lt 20
'

test_expect_success '--from T: exactly the records put after T, whatever came before' '
	put_km "$S" 20 10 5 &&
	tail_ -s "$S" -e -J --from "$(cat T)" >out &&
	ns out >got &&
	seq 20 29 >want &&
	test_cmp want got &&
	tail_ -s "$S" -e -J >all &&
	python3 "$TEST_DIR/data/tail-check.py" all 30
'

test_expect_success 'setup: 60 records on one shard, put over a second (MillisBehindLatest > 0)' '
	"$SRC_DIR/scripts/services.sh" create-stream "$KM" "$B" 1 &&
	for i in 0 1 2 3 4 5; do
		put_km "$B" $((i * 10)) 10 10 && sleep 0.2 || exit 1
	done &&
	km GetShardIterator "{\"StreamName\":\"$B\",\"ShardId\":\"shardId-000000000000\",\"ShardIteratorType\":\"TRIM_HORIZON\"}" |
	    jq -r .ShardIterator >it &&
	km GetRecords "{\"ShardIterator\":\"$(cat it)\",\"Limit\":10}" | jq .MillisBehindLatest >behind &&
	test "$(cat behind)" -gt 0
'

test_expect_success 'behind: read again at once, every record once in order, -e only when caught up' '
	tail_ -s "$B" -e -J --limit 10 -v >out 2>err &&
	python3 "$TEST_DIR/data/tail-check.py" out 60 &&
	test $(grep -c "GetRecords -> 200" err) -eq 7 &&
	! grep -v -e "-> 200" -e "^cs-tail: 60 records" -e "^cs-tail: credentials from " err
'

test_expect_success 'UpdateShardCount 2 -> 3 between puts: every record once, each key in order' '
	"$SRC_DIR/scripts/services.sh" create-stream "$KM" "$U" 2 &&
	put_km "$U" 0 100 50 &&
	km UpdateShardCount "{\"StreamName\":\"$U\",\"TargetShardCount\":3,\"ScalingType\":\"UNIFORM_SCALING\"}" &&
	test_wait_for 20 "km DescribeStreamSummary \"{\\\"StreamName\\\":\\\"$U\\\"}\" | grep -q ACTIVE" &&
	put_km "$U" 100 100 50 &&
	tail_ -s "$U" -e -J >out &&
	python3 "$TEST_DIR/data/tail-check.py" out 200 &&
	test $(jq -r .shardId out | sort -u | wc -l) -gt 2
'

test_done
