#!/bin/sh
# cs-tail --parallel-per-shard (Lambda's ParallelizationFactor): batches of
# one shard run at once, the records of each partition key stay in order,
# and the checkpoint never moves past a batch that has not succeeded yet;
# with a checkpoint file, and with a lease table (the lease's checkpoint).
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/lease.sh"
E=$CS_KINESIS_ENDPOINT
S=$(unique_name lanes)
STREAM=$S
LT=$(unique_name leases)

# keys.log and runs of the batches in the current folder: every record once,
# each key in order, at least two batches at once
check_lanes() {
	python3 - <<-\EOF
	import json
	seen = {}
	for line in open("keys.log"):
	    k, n = json.loads(line)
	    seen.setdefault(k, []).append(n)
	assert sorted(n for ns in seen.values() for n in ns) == list(range(1, 81))
	for k, ns in seen.items():
	    assert ns == sorted(ns), (k, ns)
	runs = [tuple(map(float, l.split()[:2])) for l in open("runs")]
	events = sorted([(s, 1) for s, e in runs] + [(e, -1) for s, e in runs])
	now = most = 0
	for t, d in events:
	    now += d
	    most = max(most, now)
	print("# %d runs, at most %d at once" % (len(runs), most))
	assert most >= 2, most
	EOF
}

# the checkpoint read by the runs never went past the batch that failed before it succeeded
check_ck() {
	python3 - <<-\EOF
	failed = int(open("failed-first").read())
	runs = [l.split() for l in open("runs")]
	ok_end = [float(r[1]) for r in runs if int(r[3]) == failed]
	assert len(ok_end) == 1, ok_end
	# checkpoints read (by the time logged after the read) before that batch had succeeded
	during = [int(r[2]) for r in runs if float(r[4]) < ok_end[0]]
	print("# %d runs started while the batch from %d had not succeeded" % (len(during), failed))
	assert during, "no run started while the failing batch was retried"
	assert all(ck < failed for ck in during), (during, failed)
	EOF
}

test_expect_success 'setup: 1 shard, 80 records over 8 partition keys' '
	create_stream "$S" 1 &&
	put_records "$S" 1 80 8 &&
	readback "$S" --seq | cut -f1 >seqs &&
	test_line_count seqs 80 &&
	cat >batch.sh <<-\EOF &&
	#!/bin/bash
	# log: when it ran, the checkpoint it found (and by when), its first record;
	# the batch with n=13 fails twice.  The checkpoint: the file ck, or with
	# LT set the checkpoint of the lease
	start=$(date +%s.%N)
	if [ -n "$LT" ]; then
		ck=$("$SRC_DIR/scripts/services.sh" call "$CS_DYNAMODB_ENDPOINT" dynamodb GetItem \
		    "{\"TableName\":\"$LT\",\"Key\":{\"leaseKey\":{\"S\":\"shardId-000000000000\"}},\"ConsistentRead\":true}" |
		    jq -r ".Item.checkpoint.S // \"0\"")
		case $ck in *[!0-9]*) ck=0 ;; esac
	else
		ck=$(jq -r ".shards[\"shardId-000000000000\"].sequenceNumber // \"0\"" ck 2>/dev/null || echo 0)
	fi
	read_by=$(date +%s.%N)
	lines=$(cat)
	sleep 0.5
	if grep -q "\"n\":13," <<<"$lines" && [ "$CS_ATTEMPT" -le 2 ]; then
		echo "$CS_FIRST_SEQUENCE" >failed-first
		exit 1
	fi
	out=$(jq -c "[.k, .n]" <<<"$lines")
	printf "%s\n" "$out" >>keys.log
	echo "$start $(date +%s.%N) $ck $CS_FIRST_SEQUENCE $read_by" >>runs
	EOF
	chmod +x batch.sh
'

test_expect_success '--parallel-per-shard 4: every record once, each key in order, batches at once' '
	cs-tail --endpoint-url "$E" -s "$S" -e --batch-size 4 --parallel-per-shard 4 --parallel 4 \
	    --checkpoint ck --exec ./batch.sh 2>err &&
	test_line_count keys.log 80 &&
	check_lanes
'

test_expect_success 'the checkpoint never went past the failing batch before it succeeded; at the end, the last record' '
	check_ck &&
	test "$(jq -r ".shards[\"shardId-000000000000\"].sequenceNumber" ck)" = "$(tail -n 1 seqs)"
'

test_expect_success 'with --lease-table: the same, the lease checkpoint never past the failing batch' '
	mkdir lease && (
		cd lease &&
		export LT SRC_DIR CS_DYNAMODB_ENDPOINT &&
		worker w1 --batch-size 4 --parallel-per-shard 4 --exec ../batch.sh &&
		test_wait_for 60 "test -f keys.log && test \$(grep -c \"\" keys.log) -ge 80 &&
		    test \"\$(leases | cut -d\" \" -f4)\" = \"$(tail -n 1 ../seqs)\"" &&
		stop_worker w1 &&
		test_line_count keys.log 80 &&
		check_lanes &&
		check_ck
	)
'

test_done
