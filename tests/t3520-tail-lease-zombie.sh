#!/bin/bash
# cs-tail --lease-table: a zombie.  A worker paused (SIGSTOP) while its
# batches run loses its leases after the failover time; resumed (SIGCONT),
# it stops those shards at once and never moves their checkpoints: each
# lease's checkpoint, read every 100 ms throughout, only goes forward; no
# shard runs batches on two workers at once beyond one renewal period.
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/lease.sh"

STREAM=$(unique_name s)
LT=$(unique_name leases)
# slow batches, so that one is running when the worker is paused
w() { exec_worker "$1" "touch '$TRASH/$1.busy'; sleep 0.3; cat >>'$TRASH/$1.records'; rm -f '$TRASH/$1.busy'" -J --batch-size 10; }

# every lease's checkpoint, every 100 ms, until 'watching' is removed: "MS SHARD CHECKPOINT"
watch_checkpoints() {
	(
		while [ -f watching ]; do
			t=$(now_ms)
			leases | awk -v t="$t" "{ print t, \$1, \$4 }" >>checkpoints.log
			sleep 0.1
		done
	) &
}

test_expect_success 'two workers, one lease each, records flowing' '
	create_stream "$STREAM" 2 &&
	touch producing watching &&
	produce 0 20 0.1 &&
	w w1 && w w2 &&
	wait_ms $((3 * F)) "test \$(held_by w1) = 1 && test \$(held_by w2) = 1" &&
	test_wait_for 10 "test -s w1.records && test -s w2.records" &&
	watch_checkpoints
'

test_expect_success 'w1 paused with a batch running: w2 takes its lease after the failover time' '
	test_wait_for 10 "test -f w1.busy" &&
	leases | awk "\$2 == \"w1\" { print \$1 }" >w1.shard &&
	test_line_count w1.shard 1 &&
	kill -STOP $(cat w1.pid) &&
	now_ms >stopped &&
	wait_ms $((F + 5000)) "test \$(held_by w2) = 2" &&
	echo "taken $(($(now_ms) - $(cat stopped))) ms after the pause" &&
	sleep 1
'

test_expect_success 'w1 resumed: it gives the lease up at once and writes no checkpoint of it' '
	kill -CONT $(cat w1.pid) &&
	now_ms >resumed &&
	test_wait_for 5 "grep -q \"$(cat w1.shard): lease lost\" w1.err" &&
	sleep 3 &&
	rm producing &&
	test_wait_for 10 "test -f produced" &&
	test_wait_for 30 "test \$(cat w1.records w2.records | jq -r .data.n | sort -nu | wc -l) = $(cat produced)" &&
	rm watching &&
	sleep 0.5 &&
	stop_all &&
	grep "lease lost" w1.err &&
	# each checkpoint only moves forward (a zombie writing its old position would move it back)
	python3 -c "
import collections
last = {}
n = collections.Counter()
for line in open(\"checkpoints.log\"):
    t, shard, ck = line.split()
    if not ck.isdigit():
        continue
    assert int(ck) >= last.get(shard, 0), \"%s went back at %s\" % (shard, t)
    last[shard] = int(ck)
    n[shard] += 1
print(\"checkpoints read:\", dict(n))
assert min(n.values()) > 5
"
'

test_expect_success 'no shard ran on two workers at once beyond one renewal period' '
	python3 "$TEST_DIR/overlap.py" batches.log $RENEW
'

test_expect_success 'no sanitizer report' '
	! grep -n "Sanitizer\|runtime error" w1.err w2.err
'

test_done
