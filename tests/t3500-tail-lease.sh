#!/bin/sh
# cs-tail --lease-table: the table created when missing, positions kept in
# it, leases released on SIGTERM; items with exactly the KCL 2.x names and
# types; a table a KCL 2.x worker wrote (SHARD_END, a sub-sequence number,
# a lease of a worker gone) resumed from its checkpoints; --max-leases;
# --from latest for new leases, and the default worker id; a renewal late.
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/lease.sh"

STREAM=$(unique_name s)
LT=$(unique_name leases)

test_expect_success 'usage: --lease-table excludes --checkpoint; its options need it' '
	test_expect_code 2 cs-tail -s x --lease-table t --checkpoint ck &&
	test_expect_code 2 cs-tail -s x --worker-id w &&
	test_expect_code 2 cs-tail -s x --failover-time 3000 &&
	test_expect_code 2 cs-tail -s x --lease-table t --failover-time 10 &&
	test_expect_code 2 cs-tail -s x --lease-table t --shards shardId-000000000000 &&
	test_expect_code 2 cs-tail -s x --lease-table "" 2>err &&
	grep -q "empty" err
'

test_expect_success 'one worker: the table created (on demand, leaseKey S), every shard read' '
	create_stream "$STREAM" 2 &&
	put_records "$STREAM" 0 40 &&
	worker w1 -J &&
	test_wait_for 30 "test \$(grep -c \"\" w1.out) -ge 40" &&
	dynamodb DescribeTable "{\"TableName\":\"$LT\"}" >desc &&
	jq -e ".Table.KeySchema == [{\"AttributeName\":\"leaseKey\",\"KeyType\":\"HASH\"}]" desc &&
	jq -e ".Table.AttributeDefinitions == [{\"AttributeName\":\"leaseKey\",\"AttributeType\":\"S\"}]" desc &&
	jq -e ".Table.BillingModeSummary.BillingMode == \"PAY_PER_REQUEST\"" desc &&
	test "$(held_by w1)" = 2 &&
	grep -q "lease taken (free)" w1.err &&
	python3 "$TEST_DIR/data/tail-check.py" w1.out 40
'

test_expect_success 'SIGTERM: the last checkpoints written, every lease released' '
	test_wait_for 10 "! leases | grep -q \" TRIM_HORIZON\$\"" &&
	stop_worker w1 &&
	leases >after &&
	cat after &&
	test $(wc -l <after) = 2 &&
	! awk "\$2 != \"-\"" after | grep . &&
	! awk "\$4 !~ /^[0-9]+\$/" after | grep . &&
	grep -q "lease released" w1.err
'

test_expect_success 'a new worker resumes from the lease checkpoints: nothing read twice' '
	put_records "$STREAM" 40 10 &&
	worker w2 -J &&
	test_wait_for 30 "test \$(grep -c \"\" w2.out) -ge 10" &&
	sleep 1 &&
	stop_worker w2 &&
	test_line_count w2.out 10 &&
	jq -r .data.n w2.out | sort -n | xargs >got &&
	echo "40 41 42 43 44 45 46 47 48 49" >want &&
	test_cmp want got
'

# the KCL 2.x lease attributes and their types
cat >kcl-types <<\EOF
checkpoint S
checkpointSubSequenceNumber N
childShardIds SS
endingHashKey S
leaseCounter N
leaseKey S
leaseOwner S
ownerSwitchesSinceCheckpoint N
parentShardId SS
pendingCheckpoint S
pendingCheckpointSubSequenceNumber N
startingHashKey S
EOF

test_expect_success 'the items cs wrote have the KCL 2.x names and types only' '
	dynamodb Scan "{\"TableName\":\"$LT\"}" |
	    jq -r ".Items[] | to_entries[] | \"\(.key) \(.value | keys[0])\"" | sort -u >ours &&
	cat ours &&
	comm -23 ours kcl-types >extra &&
	test_must_be_empty extra &&
	grep -q "^leaseCounter N\$" ours && grep -q "^checkpointSubSequenceNumber N\$" ours &&
	grep -q "^ownerSwitchesSinceCheckpoint N\$" ours && grep -q "^startingHashKey S\$" ours
'

# --- a table a KCL 2.x application left behind ---------------------------------
K=$(unique_name kcl)
KT=$(unique_name kcl-leases)
H=170141183460469231731687303715884105728     # 2^127: the split point

put_at() { # HASH DATA-BASE64
	kinesis PutRecord "{\"StreamName\":\"$K\",\"PartitionKey\":\"p\",\"ExplicitHashKey\":\"$1\",\"Data\":\"$2\"}" >/dev/null
}
b64() { printf "%s" "$1" | base64 -w0; }
# the sequence number of the record whose data (or first user record) has n = N
seq_of() { jq -r "select(.data.n == $1) | .sequenceNumber" all | head -n 1; }

test_expect_success 'KCL fixture: a split stream, records before and after' '
	create_stream "$K" 1 &&
	for n in 0 1 2 3 4; do put_at 1 "$(b64 "{\"n\":$n}")" || return 1; done &&
	kinesis SplitShard "{\"StreamName\":\"$K\",\"ShardToSplit\":\"shardId-000000000000\",\"NewStartingHashKey\":\"$H\"}" &&
	test_wait_for 20 "kinesis DescribeStream \"{\\\"StreamName\\\":\\\"$K\\\"}\" | grep -q \"\\\"StreamStatus\\\":\\\"ACTIVE\\\"\"" &&
	for n in 100 101 102 103 104 105; do put_at 1 "$(b64 "{\"n\":$n}")" || return 1; done &&
	put_at "$H" "$(python3 "$TEST_DIR/data/kpl-aggregate.py" "u={\"n\":200}" "u={\"n\":201}" "u={\"n\":202}")" &&
	for n in 203 204; do put_at "$H" "$(b64 "{\"n\":$n}")" || return 1; done &&
	cs-tail -s "$K" -e -J >all &&
	test_line_count all 16
'

# an item as DynamoDBLeaseSerializer.toDynamoRecord writes it (plus an attribute of someone else's)
kcl_item() { # SHARD COUNTER CHECKPOINT SUBSEQ [EXTRA-ATTRIBUTES]
	dynamodb PutItem "{\"TableName\":\"$KT\",\"Item\":{\"leaseKey\":{\"S\":\"$1\"},\"leaseCounter\":{\"N\":\"$2\"},\"ownerSwitchesSinceCheckpoint\":{\"N\":\"1\"},\"checkpoint\":{\"S\":\"$3\"},\"checkpointSubSequenceNumber\":{\"N\":\"$4\"}${5:+,$5}}}" >/dev/null
}

test_expect_success 'KCL fixture: the lease table a KCL 2.x worker wrote' '
	create_table "$KT" leaseKey &&
	kcl_item shardId-000000000000 12 SHARD_END 0 \
	    "\"childShardIds\":{\"SS\":[\"shardId-000000000001\",\"shardId-000000000002\"]},\"startingHashKey\":{\"S\":\"0\"},\"endingHashKey\":{\"S\":\"340282366920938463463374607431768211455\"}" &&
	kcl_item shardId-000000000001 40 "$(seq_of 102)" 0 \
	    "\"leaseOwner\":{\"S\":\"kcl-worker-gone\"},\"parentShardId\":{\"SS\":[\"shardId-000000000000\"]},\"pendingCheckpoint\":{\"S\":\"$(seq_of 101)\"},\"pendingCheckpointSubSequenceNumber\":{\"N\":\"0\"},\"operatorNote\":{\"S\":\"keep me\"}" &&
	kcl_item shardId-000000000002 3 "$(seq_of 200)" 1 \
	    "\"parentShardId\":{\"SS\":[\"shardId-000000000000\"]}"
'

test_expect_success 'cs resumes it: SHARD_END not read again, each child after its checkpoint' '
	STREAM=$K LT=$KT worker k1 -J &&
	test_wait_for 30 "test \$(grep -c \"\" k1.out) -ge 6" &&
	sleep 1 &&
	STREAM=$K LT=$KT stop_worker k1 &&
	jq -r .data.n k1.out | sort -n | xargs >got &&
	# shard 1: after 102; shard 2: the aggregate checkpointed at its user record 1
	# goes on from user record 2
	echo "103 104 105 202 203 204" >want &&
	test_cmp want got &&
	grep -q "shardId-000000000001: lease taken (expired)" k1.err
'

test_expect_success 'the KCL items keep what cs does not write; checkpoints as the KCL writes them' '
	dynamodb GetItem "{\"TableName\":\"$KT\",\"Key\":{\"leaseKey\":{\"S\":\"shardId-000000000001\"}}}" >one &&
	cat one &&
	jq -e ".Item.operatorNote.S == \"keep me\"" one &&
	jq -e ".Item.pendingCheckpoint == null" one &&
	jq -e ".Item.checkpointSubSequenceNumber.N == \"0\"" one &&
	jq -e ".Item.ownerSwitchesSinceCheckpoint.N == \"0\"" one &&
	jq -e ".Item.leaseOwner == null" one &&
	jq -e "(.Item.leaseCounter.N | tonumber) > 41" one &&
	jq -e ".Item.parentShardId.SS == [\"shardId-000000000000\"]" one &&
	test "$(jq -r .Item.checkpoint.S one)" = "$(seq_of 105)"
'

test_expect_success 'the parent at SHARD_END was cleaned up once both children had started' '
	dynamodb GetItem "{\"TableName\":\"$KT\",\"Key\":{\"leaseKey\":{\"S\":\"shardId-000000000000\"}}}" >parent &&
	jq -e ".Item == null" parent &&
	test "$(dynamodb Scan "{\"TableName\":\"$KT\"}" | jq .Count)" = 2
'

test_expect_success '--max-leases 1: one lease of two held, the other left to others' '
	STREAM=$(unique_name max) LT=$(unique_name max-leases) &&
	create_stream "$STREAM" 2 &&
	put_records "$STREAM" 0 20 &&
	worker m1 -J --max-leases 1 &&
	test_wait_for 30 "test \$(held_by m1) = 1 && test -s m1.out" &&
	sleep $((2 * F / 1000)) &&
	test "$(held_by m1)" = 1 &&
	stop_worker m1 &&
	test $(jq -r .shardId m1.out | sort -u | wc -l) = 1
'

test_expect_success '--from latest: a new lease starts at LATEST; the worker id is HOST:PID by default' '
	STREAM=$(unique_name latest) LT=$(unique_name latest-leases) &&
	create_stream "$STREAM" 1 &&
	put_records "$STREAM" 0 10 &&
	{ cs-tail -s "$STREAM" --lease-table "$LT" --failover-time "$F" -v -J --from latest \
	    >latest.out 2>latest.err </dev/null & } &&
	lpid=$! &&
	test_wait_for 30 "leases | grep -qx \"shardId-000000000000 $(hostname):$lpid [0-9]* LATEST\"" &&
	test_wait_for 10 "grep -q \"GetShardIterator -> 200\" latest.err" &&
	put_records "$STREAM" 10 5 &&
	test_wait_for 30 "test \$(grep -c \"\" latest.out) -ge 5" &&
	sleep 1 &&
	kill -TERM $lpid && { wait $lpid; test $? = 6; } &&
	jq -r .data.n latest.out | sort -n | xargs >got &&
	echo "10 11 12 13 14" >want &&
	test_cmp want got
'

test_expect_success 'a worker paused past half the failover time renews late, says so, and keeps its lease' '
	STREAM=$(unique_name late) LT=$(unique_name late-leases) &&
	create_stream "$STREAM" 1 &&
	F=6000 worker r1 -J &&
	test_wait_for 30 "test \$(held_by r1) = 1" &&
	c0=$(leases | cut -d" " -f3) &&
	kill -STOP $(cat r1.pid) &&
	sleep 4 &&
	kill -CONT $(cat r1.pid) &&
	test_wait_for 10 "grep -q \"shardId-000000000000: lease renewed late\" r1.err" &&
	! grep -q "lease lost" r1.err &&
	test "$(held_by r1)" = 1 &&
	test "$(leases | cut -d" " -f3)" -gt "$c0" &&
	stop_worker r1
'

test_expect_success 'no sanitizer report' '
	! grep -n "Sanitizer\|runtime error" w1.err w2.err k1.err m1.err latest.err r1.err
'

test_done
