#!/bin/bash
# test-slow: 25
# cs-tail --lease-table, a worker that slept through a reshard: it saw the
# parent's lease half read, was stopped (SIGSTOP), and meanwhile another
# worker read the parent to its end, took both children and cleaned the
# parent's lease up.  Woken, it takes a child from the other (balance) and
# must read it: the parent is gone from the table, so it is done.  (It
# once kept the parent's last checkpoint it had seen, waited for that
# parent for ever and renewed the child's lease all the while: the child's
# records were never read.  Seen in t3530.)  A child it did not know of
# yet is listed at once, not at the next listing 10 s on.
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/lease.sh"

STREAM=$(unique_name s)
LT=$(unique_name leases)
H=170141183460469231731687303715884105728     # 2^127: the split point

# every n in FIRST..LAST-1 is in some worker's output
all_there() { # FIRST LAST
	cat w1.out w2.out | jq -r .data.n | sort -nu |
	    awk -v a="$1" -v b="$2" '$1 >= a && $1 < b' | wc -l | grep -qx "$(($2 - $1))"
}
# the checkpoint of SHARD's lease ("-" when there is no lease)
ck_of() { leases | awk -v s="$1" '$1 == s { print $4; f = 1 } END { if (!f) print "-" }'; } # SHARD

test_expect_success 'w2 sees the parent half read, then sleeps' '
	create_stream "$STREAM" 1 &&
	put_records "$STREAM" 0 40 &&
	worker w1 -J --max-leases 2 &&
	test_wait_for 30 "test \$(held_by w1) = 1 && all_there 0 40" &&
	test_wait_for 10 "ck_of shardId-000000000000 | grep -q ^[0-9]" &&
	worker w2 -J &&
	test_wait_for 10 "grep -q \"Scan -> 200\" w2.err" &&
	sleep 0.5 &&
	kill -STOP $(cat w2.pid) &&
	test "$(held_by w2)" = 0
'

test_expect_success 'meanwhile the parent is split, read to its end and cleaned up' '
	kinesis SplitShard "{\"StreamName\":\"$STREAM\",\"ShardToSplit\":\"shardId-000000000000\",\"NewStartingHashKey\":\"$H\"}" &&
	test_wait_for 20 "kinesis DescribeStream \"{\\\"StreamName\\\":\\\"$STREAM\\\"}\" | grep -q \"\\\"StreamStatus\\\":\\\"ACTIVE\\\"\"" &&
	put_records "$STREAM" 40 60 &&
	test_wait_for 30 "all_there 40 100 && test \"\$(ck_of shardId-000000000000)\" = -" &&
	leases >leases.txt &&
	cat leases.txt &&
	test "$(held_by w1)" = 2
'

test_expect_success 'woken, w2 takes a child and reads it' '
	kill -CONT $(cat w2.pid) &&
	test_wait_for 30 "test \$(held_by w2) = 1" &&
	put_records "$STREAM" 100 60 &&
	test_wait_for 30 "all_there 100 160 && test -s w2.out" &&
	leases &&
	jq -r .shardId w2.out | sort -u >w2.shards &&
	cat w2.shards &&
	grep -q "shardId-00000000000[12]" w2.shards
'

test_expect_success 'both stop with status 6; no sanitizer report' '
	stop_all &&
	! grep -n "Sanitizer\|runtime error" w1.err w2.err
'

test_done
