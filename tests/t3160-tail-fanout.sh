#!/bin/sh
# test-slow: 200
# test-limit: 300
# cs-tail --consumer: enhanced fan-out on kinesis-mock (RegisterStreamConsumer,
# SubscribeToShard over HTTP/2, one connection for every shard): every record
# once in per-shard order, across renewals, a reshard, a checkpoint, --exec,
# --from (a sequence number, a time) read as polling reads it.
. "$(dirname "$0")/lib.sh"
kinesis_mock_need
S=$(unique_name efo)
R=$(unique_name efo-reshard)

km() { "$SRC_DIR/scripts/services.sh" call "$KM" kinesis "$@"; }
tail_() { timeout 90 cs-tail --endpoint-url "$KM" "$@"; }
put_km() { CS_KINESIS_ENDPOINT=$KM put_records "$@"; } # STREAM FIRST COUNT
S0=shardId-000000000000 S1=shardId-000000000001 S2=shardId-000000000002

# established TCP connections of process PID to kinesis-mock
tcp_to_km() { # PID
	port=$(printf "%04X" "${KM##*:}")
	for i in $(ls -l /proc/$1/fd 2>/dev/null | sed -n "s/.*socket:\[\([0-9]*\)\].*/\1/p"); do
		awk -v i="$i" -v p=":$port" '$10 == i && $4 == "01" && substr($3, length($3) - 4) == p' \
		    /proc/net/tcp /proc/net/tcp6
	done | wc -l
}

test_expect_success 'setup: a stream of 3 shards, 600 records' '
	"$SRC_DIR/scripts/services.sh" create-stream "$KM" "$S" 3 &&
	put_km "$S" 0 600
'

test_expect_success '--consumer registers the consumer, reads every shard: all records once, in order' '
	tail_ -s "$S" -e -J --consumer app1 -v >out 2>err &&
	python3 "$TEST_DIR/data/tail-check.py" out 600 &&
	test $(jq -r .shardId out | sort -u | wc -l) -eq 3 &&
	grep -q "consumer .app1. registered: arn:aws:kinesis:" err &&
	! grep -q "GetRecords\|GetShardIterator" err &&
	km DescribeStreamConsumer "{\"StreamARN\":\"arn:aws:kinesis:$AWS_REGION:000000000000:stream/$S\",\"ConsumerName\":\"app1\"}" |
	    grep -q "\"ConsumerStatus\":\"ACTIVE\""
'

test_expect_success 'a second run finds the consumer, and reads the same' '
	tail_ -s "$S" -e -J --consumer app1 -v >out2 2>err &&
	grep -q "consumer .app1. found" err &&
	sort out >a && sort out2 >b &&
	test_cmp a b
'

test_expect_success 'one connection for every shard; renewed subscriptions (CS_TAIL_RENEW_MS) while records come: no gap, no repeat' '
	{ CS_TAIL_RENEW_MS=1500 cs-tail --endpoint-url "$KM" -s "$S" -J --consumer app2 --stats \
	    >follow 2>ferr & echo $! >pid; } &&
	test_wait_for 60 "test \$(grep -c \"\" follow) -ge 600" &&
	n=$(tcp_to_km $(cat pid)) &&
	echo "connections to kinesis-mock: $n (one for the 3 subscriptions, one for ListShards)" &&
	# and, for a moment after every subscription ended at once (a renewal
	# whose ResourceInUseException waits overlapped), the old connection
	# idle in the pool beside the fresh one: never one per shard
	test "$n" -ge 1 && test "$n" -le 3 &&
	for i in 1 2 3 4; do put_km "$S" $((600 + (i - 1) * 50)) 50 && sleep 1 || exit 1; done &&
	test_wait_for 90 "test \$(grep -c \"\" follow) -ge 800" &&
	sleep 2 &&
	kill -TERM $(cat pid) &&
	test_wait_for 10 "! kill -0 $(cat pid) 2>/dev/null" &&
	python3 "$TEST_DIR/data/tail-check.py" follow 800 &&
	n=$(grep -o "[0-9]* subscriptions" ferr | cut -d" " -f1) &&
	echo "subscriptions: $n" &&
	test "$n" -gt 6
'

test_expect_success 'a second reader of the same consumer: ResourceInUseException, tried again after 5 s' '
	{ cs-tail --endpoint-url "$KM" -s "$S" --consumer app1 >first.out 2>first.err & echo $! >pid1; } &&
	# every shard has delivered: its three subscriptions are live (one
	# may first have waited out a ResourceInUseException of the runs before)
	test_wait_for 60 "test \$(grep -c \"\" first.out) -ge 800" &&
	# and share one HTTP/2 connection (beside, at most, the one of its
	# other calls): HTTP/1.1 would need one each
	n=$(tcp_to_km $(cat pid1)) &&
	echo "connections to kinesis-mock: $n" &&
	test "$n" -ge 1 && test "$n" -le 2 &&
	{ tail_ -s "$S" -e -J --consumer app1 >second 2>second.err & echo $! >pid2; } &&
	test_wait_for 20 "grep -q ResourceInUseException second.err" &&
	kill -TERM $(cat pid1) &&
	wait $(cat pid2) &&
	grep -q "ResourceInUseException.*subscribing again in 5.0 s" second.err &&
	python3 "$TEST_DIR/data/tail-check.py" second 800
'

test_expect_success '--checkpoint: a restart goes on after it, new records only' '
	tail_ -s "$S" -e -J --consumer app1 --checkpoint ck >c1 &&
	python3 "$TEST_DIR/data/tail-check.py" c1 800 &&
	put_km "$S" 800 30 &&
	tail_ -s "$S" -e -J --consumer app1 --checkpoint ck >c2 &&
	jq -c .data.n c2 | sort -n >got &&
	seq 800 829 >want &&
	test_cmp want got
'

test_expect_success '--exec: batches per shard, the checkpoint moved, KPL-free data as with polling' '
	tail_ -s "$S" -e --consumer app1 --batch-size 50 --exec "cat >>delivered" --checkpoint eck &&
	test_line_count delivered 830 &&
	tail_ -s "$S" -e --consumer app1 --exec "cat >>again" --checkpoint eck &&
	! test -s again
'

test_expect_success '--from with --consumer: after:SEQ on its shard, and a time; the same as polling reads' '
	seq=$(jq -r "select(.shardId == \"$S0\") | .sequenceNumber" out | sed -n 10p) &&
	test -n "$seq" &&
	tail_ -s "$S" -e -J --consumer app1 --shards $S0 --from "after:$seq" >f1 &&
	cs-tail --endpoint-url "$KM" -s "$S" -e -J --shards $S0 --from "after:$seq" >p1 &&
	jq -c .data.n p1 >want &&
	jq -c .data.n f1 >got &&
	test_cmp want got &&
	test "$(head -n 1 got)" = "$(jq -c "select(.shardId == \"$S0\") | .data.n" out | sed -n 11p)" &&
	sleep 1.2 && t=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ) && sleep 1.2 &&
	put_km "$S" 900 20 &&
	tail_ -s "$S" -e -J --consumer app1 --from "$t" >f2 &&
	jq -c .data.n f2 | sort -n >got &&
	seq 900 919 >want &&
	test_cmp want got
'

test_expect_success 'KPL aggregates (cs-put --aggregate) come out as their user records, as with polling' '
	A=$(unique_name efo-agg) &&
	"$SRC_DIR/scripts/services.sh" create-stream "$KM" "$A" 2 &&
	gen-records --count 300 --seed 5 --bad-ratio 0 >agg.in &&
	cs-put --endpoint-url "$KM" -s "$A" -k .ip --aggregate agg.in &&
	tail_ -s "$A" -e >agg.poll &&
	tail_ -s "$A" -e --consumer app1 -J >agg.env &&
	test $(jq -r .sequenceNumber agg.env | sort -u | wc -l) -lt 300 &&
	sort agg.in >want.sorted &&
	sort agg.poll >got.poll &&
	test_cmp want.sorted got.poll &&
	jq -c .data agg.env | sort >got.efo &&
	test_cmp want.sorted got.efo
'

test_expect_success 'after a reshard: parents before children, every record once' '
	"$SRC_DIR/scripts/services.sh" create-stream "$KM" "$R" 1 &&
	put_km "$R" 0 200 &&
	km SplitShard "{\"StreamName\":\"$R\",\"ShardToSplit\":\"$S0\",\"NewStartingHashKey\":\"170141183460469231731687303715884105728\"}" &&
	test_wait_for 20 "km DescribeStreamSummary \"{\\\"StreamName\\\":\\\"$R\\\"}\" | grep -q ACTIVE" &&
	put_km "$R" 200 200 &&
	tail_ -s "$R" -e -J --consumer app1 >rs &&
	python3 "$TEST_DIR/data/tail-check.py" rs 400 --lineage $S0:$S1 --lineage $S0:$S2
'

test_expect_success '--deregister removes the consumer at exit' '
	tail_ -s "$S" -e --consumer gone --deregister -v >/dev/null 2>err &&
	grep -q "consumer .gone. deregistered" err &&
	test_wait_for 10 "km DescribeStreamConsumer \"{\\\"StreamARN\\\":\\\"arn:aws:kinesis:$AWS_REGION:000000000000:stream/$S\\\",\\\"ConsumerName\\\":\\\"gone\\\"}\" 2>/dev/null | grep -q ResourceNotFoundException"
'

test_expect_success 'usage: --deregister needs --consumer; --limit is for polling' '
	test_expect_code 2 cs-tail -s "$S" --deregister 2>err &&
	grep -q "deregister goes with --consumer" err &&
	test_expect_code 2 cs-tail -s "$S" --consumer x --limit 5 2>err &&
	grep -q "limit is for GetRecords" err
'

test_done
