#!/bin/sh
# cs-tail: a split and a merge while following: parents before children,
# nothing lost or repeated; finished shards kept in the checkpoint.
. "$(dirname "$0")/lib.sh"
services_need
E=$CS_KINESIS_ENDPOINT
R=$(unique_name reshard)

tail_() { cs-tail --endpoint-url "$E" "$@"; }

wait_active() {
	test_wait_for 20 "kinesis DescribeStream '{\"StreamName\":\"$1\"}' | grep -q '\"StreamStatus\":\"ACTIVE\"'"
}

S0=shardId-000000000000 S1=shardId-000000000001 S2=shardId-000000000002 S3=shardId-000000000003

test_expect_success 'split and merge while following' '
	create_stream "$R" 1 &&
	{ cs-tail --endpoint-url "$E" -s "$R" -J --checkpoint ck >out 2>err & echo $! >pid; } &&
	put_records "$R" 0 400 &&
	test_wait_for 10 "test \$(grep -c \"\" out) -ge 100" &&
	kinesis SplitShard "{\"StreamName\":\"$R\",\"ShardToSplit\":\"$S0\",\"NewStartingHashKey\":\"170141183460469231731687303715884105728\"}" &&
	wait_active "$R" &&
	put_records "$R" 400 400 &&
	kinesis MergeShards "{\"StreamName\":\"$R\",\"ShardToMerge\":\"$S1\",\"AdjacentShardToMerge\":\"$S2\"}" &&
	wait_active "$R" &&
	put_records "$R" 800 400 &&
	test_wait_for 40 "test \$(grep -c \"\" out) -ge 1200" &&
	sleep 1 &&
	kill -TERM $(cat pid) &&
	test_wait_for 10 "! kill -0 $(cat pid) 2>/dev/null" &&
	cat err &&
	test_must_be_empty err &&
	python3 "$TEST_DIR/data/tail-check.py" out 1200 --lineage $S0:$S1 --lineage $S0:$S2 \
	    --lineage $S1,$S2:$S3
'

test_expect_success 'the checkpoint marks the closed shards finished' '
	python3 -c "
import json
c = json.load(open(\"ck\"))
s = c[\"shards\"]
assert c[\"stream\"] == \"$R\"
for k in (\"$S0\", \"$S1\", \"$S2\"):
    assert s[k][\"finished\"] is True, (k, s)
assert s[\"$S3\"][\"finished\"] is False
"
'

test_expect_success 'a restart from the checkpoint repeats nothing' '
	tail_ -s "$R" -e -J --checkpoint ck >again &&
	test_must_be_empty again
'

test_expect_success 'read from the start with -e: the same lineage order' '
	tail_ -s "$R" -e -J >all &&
	python3 "$TEST_DIR/data/tail-check.py" all 1200 --lineage $S0:$S1 --lineage $S0:$S2 \
	    --lineage $S1,$S2:$S3
'

test_expect_success '--from latest starts open shards at their end, skips closed ones' '
	{ cs-tail --endpoint-url "$E" -s "$R" --from latest -J >late & echo $! >pid2; } &&
	sleep 1.5 &&
	put_records "$R" 1200 10 &&
	test_wait_for 10 "test \$(grep -c \"\" late) -ge 10" &&
	kill -TERM $(cat pid2) &&
	test_wait_for 10 "! kill -0 $(cat pid2) 2>/dev/null" &&
	test_line_count late 10 &&
	! grep -v "\"shardId\":\"$S3\"" late
'

test_done
