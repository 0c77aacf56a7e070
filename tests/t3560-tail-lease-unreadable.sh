#!/bin/sh
# test-slow: 20
# cs-tail --lease-table and an item it cannot read as a lease (an
# attribute of the wrong type: written by neither cs nor the KCL).  The
# parent of a split shard has such an item: it is neither taken nor taken
# for gone, so its children wait (they once counted it cleaned up, its
# checkpoint entry forgotten at the scan's end, and were read before it:
# order across the reshard lost), and it is said once, on one line naming
# the table and the leaseKey.  Mended, the parent is read, then its
# children.  Removed, it counts as cleaned up: its children go on.
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/lease.sh"

STREAM=$(unique_name s)
LT=$(unique_name leases)
H=170141183460469231731687303715884105728     # 2^127: the split point
P=shardId-000000000000

put_at() { # HASH N
	kinesis PutRecord "{\"StreamName\":\"$STREAM\",\"PartitionKey\":\"p\",\"ExplicitHashKey\":\"$1\",\"Data\":\"$(printf "{\"n\":%s}" "$2" | base64 -w0)\"}" >/dev/null
}
parent_item() { # CHECKPOINT-VALUE COUNTER
	dynamodb PutItem "{\"TableName\":\"$LT\",\"Item\":{\"leaseKey\":{\"S\":\"$P\"},\"leaseCounter\":{\"N\":\"$2\"},\"checkpoint\":$1}}" >/dev/null
}
said() { grep -c "lease table '$LT': lease item $P: an attribute of the wrong type (checkpoint)" "$1"; } # ERR

test_expect_success 'setup: a split shard, records in the parent and in both children' '
	create_stream "$STREAM" 1 &&
	for n in 0 1 2 3 4; do put_at 1 $n || return 1; done &&
	kinesis SplitShard "{\"StreamName\":\"$STREAM\",\"ShardToSplit\":\"$P\",\"NewStartingHashKey\":\"$H\"}" &&
	test_wait_for 20 "kinesis DescribeStream \"{\\\"StreamName\\\":\\\"$STREAM\\\"}\" | grep -q \"\\\"StreamStatus\\\":\\\"ACTIVE\\\"\"" &&
	for n in 100 101 102; do put_at 1 $n && put_at "$H" $((n + 100)) || return 1; done &&
	create_table "$LT" leaseKey &&
	# the parent lease with its checkpoint a number
	parent_item "{\"N\":\"7\"}" 5
'

test_expect_success 'the parent item unreadable: said once, nothing read, the children wait' '
	worker w1 -J &&
	# the children have leases, taken by w1, and many scans go by
	test_wait_for 20 "test \$(held_by w1) = 2" &&
	test_wait_for 20 "test \$(grep -c \"Scan -> 200\" w1.err) -ge 8" &&
	cat w1.err | grep -v " -> 200" &&
	test_must_be_empty w1.out &&
	test "$(said w1.err)" = 1 &&
	# the item is left as it was
	leases | grep -q "^$P - 5 null\$"
'

test_expect_success 'mended: the parent read, then its children; still said once' '
	parent_item "{\"S\":\"TRIM_HORIZON\"}" 6 &&
	test_wait_for 30 "test \$(grep -c \"\" w1.out) -ge 11" &&
	sleep 1 &&
	test_line_count w1.out 11 &&
	jq -r .data.n w1.out >order &&
	# the parent (n < 100) to its end before either child
	awk "\$1 >= 100 { c = 1 } \$1 < 100 && c { bad = 1 } END { exit bad }" order &&
	test "$(sort -n order | xargs)" = "0 1 2 3 4 100 101 102 200 201 202" &&
	test "$(said w1.err)" = 1 &&
	stop_worker w1
'

test_expect_success 'removed, an unreadable parent counts as cleaned up: its children are read' '
	# another table, the parent item with parentShardId a string, not a string set
	LT=$LT-2 &&
	create_table "$LT" leaseKey &&
	dynamodb PutItem "{\"TableName\":\"$LT\",\"Item\":{\"leaseKey\":{\"S\":\"$P\"},\"leaseCounter\":{\"N\":\"3\"},\"checkpoint\":{\"S\":\"TRIM_HORIZON\"},\"parentShardId\":{\"S\":\"shardId-x\"}}}" >/dev/null &&
	worker w2 -J &&
	test_wait_for 20 "test \$(held_by w2) = 2" &&
	test_wait_for 20 "test \$(grep -c \"Scan -> 200\" w2.err) -ge 8" &&
	test_must_be_empty w2.out &&
	test "$(grep -c "lease table .$LT.: lease item $P: an attribute of the wrong type (parentShardId)" w2.err)" = 1 &&
	dynamodb DeleteItem "{\"TableName\":\"$LT\",\"Key\":{\"leaseKey\":{\"S\":\"$P\"}}}" >/dev/null &&
	test_wait_for 30 "test \$(grep -c \"\" w2.out) -ge 6" &&
	sleep 1 &&
	test "$(jq -r .data.n w2.out | sort -n | xargs)" = "100 101 102 200 201 202" &&
	stop_worker w2 &&
	! grep -n "Sanitizer\|runtime error" ./*.err
'

test_done
