#!/bin/sh
# kinesis: kinesis-mock only (its stream is on kinesis-mock in every run: enhanced fan-out)
# cs-tail --lease-table with --consumer: two workers sharing a stream of
# kinesis-mock through enhanced fan-out, the lease table on dynalite.  Each
# subscribes only to the shards it holds the lease of, from the lease's
# checkpoint; a lease lost (stolen to balance) drops its subscription at
# once; a worker stopped with SIGTERM hands its shards on with their last
# checkpoints.  Every record once, in order.
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/lease.sh"
kinesis_mock_need
# the stream on kinesis-mock (kinesalite has no SubscribeToShard)
CS_KINESIS_ENDPOINT=$KM
export CS_KINESIS_ENDPOINT AWS_ENDPOINT_URL_KINESIS=$KM

STREAM=$(unique_name s)
LT=$(unique_name leases)
w() { worker "$1" -J --consumer app; }
lines() { cat "$1.out" 2>/dev/null | wc -l; } # NAME

test_expect_success 'one worker: every shard subscribed to, every record, checkpoints in the leases' '
	create_stream "$STREAM" 4 &&
	put_records "$STREAM" 0 200 &&
	w w1 &&
	test_wait_for 30 "test \$(lines w1) -ge 200" &&
	test "$(held_by w1)" = 4 &&
	test_wait_for 10 "! leases | grep -q \" TRIM_HORIZON\$\"" &&
	grep -q "consumer .app. registered" w1.err &&
	! grep -q "GetRecords\|GetShardIterator" w1.err
'

test_expect_success 'a second worker: two leases each; the stolen ones dropped by the first at once' '
	w w2 &&
	wait_ms $((6 * F)) "test \$(held_by w1) = 2 && test \$(held_by w2) = 2" &&
	test_wait_for 10 "test \$(grep -c \"lease lost\" w1.err) -ge 2" &&
	put_records "$STREAM" 200 200 &&
	test_wait_for 30 "test \$((\$(lines w1) + \$(lines w2))) -ge 400" &&
	sleep 1 &&
	# each of the new records from the worker that holds its shard, and only from it
	leases | awk "{ print \$1, \$2 }" >owners &&
	for x in w1 w2; do
		jq -r "select(.data.n >= 200) | .shardId" $x.out | sort -u >$x.shards &&
		awk -v w=$x "\$2 == w { print \$1 }" owners >$x.want &&
		test_cmp $x.want $x.shards || return 1
	done &&
	cat w1.out w2.out >all &&
	python3 "$TEST_DIR/data/tail-check.py" all 400
'

test_expect_success 'SIGTERM to the first: its shards go on from its checkpoints on the second, every record once' '
	stop_worker w1 &&
	grep -q "lease released" w1.err &&
	wait_ms 20000 "test \$(held_by w2) = 4" &&
	put_records "$STREAM" 400 200 &&
	test_wait_for 30 "test \$((\$(lines w1) + \$(lines w2))) -ge 600" &&
	sleep 1 &&
	stop_all &&
	cat w1.out w2.out >all &&
	python3 "$TEST_DIR/data/tail-check.py" all 600 &&
	test $(jq -r "select(.data.n >= 400) | .shardId" w2.out | sort -u | wc -l) = 4 &&
	! grep -n "Sanitizer\|runtime error" w1.err w2.err
'

test_done
