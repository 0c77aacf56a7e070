#!/bin/bash
# test-slow: 35
# cs-tail --lease-table, several workers on one stream (--failover-time
# 3000): balance (2 leases each for 3 workers on 6 shards within 3
# failover periods); failover (kill -9: every lease of the dead worker
# owned by a survivor within F + 2 s, and its shards' records flowing
# again within F + 2 s, on kinesis-mock within F + F/3 + 6 s); release (SIGTERM: its leases taken within 2 s);
# a worker joining gets a lease by stealing, no shard stopping longer
# than the failover time meanwhile.  On a machine too loaded for an owner
# to keep renewing (two busy loops beside make check), the joiner may find
# that lease expired and take it so: the protocol's guarantees are what is
# held to then (balance reached, each lease with one owner, every record
# handed over, every checkpoint at its shard's last record, the records'
# wait within the failover bound), and the owner must have said it was late.
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/lease.sh"

STREAM=$(unique_name s)
LT=$(unique_name leases)
# each worker's batches go on to one file of its own
w() { exec_worker "$1" "cat >>'$TRASH/$1.records'" -J --batch-size 50; }

# every n in FIRST..LAST-1 is in some worker's records
all_there() { # FIRST LAST
	cat ./*.records | jq -r .data.n | sort -nu |
	    awk -v a="$1" -v b="$2" '$1 >= a && $1 < b' | wc -l | grep -qx "$(($2 - $1))"
}

# 6 leases on w3..w6: each lease owned by one of them, each of them holding 1 or 2
balanced() {
	leases >bal &&
	test "$(awk '$2 ~ /^w[3-6]$/' bal | wc -l)" = 6 &&
	for _o in w3 w4 w5 w6; do
		_n=$(awk -v w=$_o '$2 == w' bal | wc -l)
		{ test $_n -ge 1 && test $_n -le 2; } || return 1
	done
}

test_expect_success 'three workers on six shards: two leases each within 3 failover periods' '
	create_stream "$STREAM" 6 &&
	put_records "$STREAM" 0 120 &&
	t0=$(now_ms) &&
	w w1 && w w2 && w w3 &&
	ms=$(wait_ms $((3 * F)) "test \$(held_by w1) = 2 && test \$(held_by w2) = 2 && test \$(held_by w3) = 2") &&
	echo "balanced after $ms ms" | tee balance.ms &&
	test_wait_for 20 "all_there 0 120"
'

# the failover bound cs-tail(1) states: the failover time plus a third of
# it, plus a few requests (2 s of them on a loaded machine), for the
# leases; the records flow once the new owner's GetShardIterator and
# GetRecords are answered, which a loaded kinesis-mock took 2 s each for
# (flowing again 5.1 to 6.9 s after the kill, the leases taken by 3.6 to
# 4.7 s, beside two busy loops or two other tests)
FAILOVER_BOUND=$((F + F / 3 + 2000))
# what the issue asks, and the bench measures (bench/RESULTS.md): the
# leases owned by survivors and the records flowing within F + 2 s; on
# kinesis-mock, whose GetShardIterator and GetRecords a loaded machine
# answers in seconds, the records within the failover bound and 4 s more
TAKE_BOUND=$((F + 2000))
case $CS_KINESIS_IMPL in
kinesis-mock) FLOW_BOUND=$((FAILOVER_BOUND + 4000)) ;;
*) FLOW_BOUND=$((F + 2000)) ;;
esac

test_expect_success 'kill -9 of a worker: its leases taken within F + 2 s, its records flowing soon after' '
	leases | awk "\$2 == \"w1\" { print \$1 }" >w1.shards &&
	test_line_count w1.shards 2 &&
	kill -KILL $(cat w1.pid) &&
	t0=$(now_ms) &&
	put_records "$STREAM" 1000 120 &&
	wait_ms 20000 "test \$(held_by w1) = 0 && test \$((\$(held_by w2) + \$(held_by w3))) = 6" &&
	seen=$(($(now_ms) - t0)) &&
	wait_ms 20000 "all_there 1000 1120" &&
	# when each of its shards ran its first batch on a survivor (the batch log,
	# stamped by the batches themselves, not by this slower polling)
	flow=$(for s in $(cat w1.shards); do
		awk -v s="$s" -v t0="$t0" "\$4 == s && \$1 >= t0 { print \$1 - t0 }" batches.log | sort -n | head -n 1
	done | sort -n | tail -n 1) &&
	echo "records of its shards flowing again $flow ms after the kill (leases seen taken by $seen ms)" |
	    tee failover.ms &&
	test "$seen" -le $TAKE_BOUND &&
	test -n "$flow" && test "$flow" -le $FLOW_BOUND &&
	for s in $(cat w1.shards); do
		grep -h "\"shardId\":\"$s\"" w2.records w3.records | jq -r .data.n |
		    awk "\$1 >= 1000" | grep -q . || { echo "nothing new from $s"; return 1; }
	done &&
	grep -q "lease taken (expired)" w2.err w3.err
'

test_expect_success 'SIGTERM: the leases it released are taken within 2 s' '
	stop_worker w2 &&
	t0=$(now_ms) &&
	test "$(held_by w2)" = 0 &&
	wait_ms 20000 "test \$(held_by w3) = 6" &&
	ms=$(($(now_ms) - t0)) &&
	echo "released leases taken $ms ms after the worker left" | tee release.ms &&
	test $ms -le 2000 &&
	grep -q "lease released" w2.err
'

test_expect_success 'workers joining: balance by stealing (or expiry when an owner was late), one lease per round, no shard stopped longer than F (the failover bound after an expiry)' '
	touch producing &&
	produce 2000 24 0.2 &&
	sleep 1 &&
	w w4 && w w5 &&
	ms=$(wait_ms $((3 * F)) "test \$(held_by w3) = 2 && test \$(held_by w4) = 2 && test \$(held_by w5) = 2") &&
	echo "3 workers balanced by stealing after $ms ms" &&
	t0=$(now_ms) &&
	for o in w3 w4 w5; do wc -l <$o.err >$o.before || return 1; done &&
	w w6 &&
	ms=$(wait_ms $((3 * F)) "test \$(held_by w6) -ge 1") &&
	echo "the 4th worker got a lease after $ms ms" | tee steal.ms &&
	# the table shows the take before w6 has its answer: wait for its line
	test_wait_for 10 "grep -q \"lease taken (\" w6.err" &&
	how=$(grep -o "lease taken ([a-z]*)" w6.err | head -n 1) &&
	echo "w6: $how" &&
	bound=$F &&
	case $how in
	*stolen*) ;;
	*expired*)
		# only when its owner could not keep renewing: then the failover
		# bound holds, as for kill -9, not F
		for o in w3 w4 w5; do tail -n +$(($(cat $o.before) + 1)) $o.err; done |
		    grep "lease renewed late\|not renewed within the failover time" &&
		bound=$FAILOVER_BOUND ;;
	*) false ;;
	esac &&
	# balance: 6 leases on 4 workers, 1 or 2 each, every lease with one of them
	wait_ms $((3 * F)) balanced &&
	sleep 2 &&
	rm producing &&
	test_wait_for 10 "test -f produced" &&
	last=$(cat produced) &&
	test_wait_for 20 "all_there 2000 $last" &&
	# every record of the producer was handed to a batch within F of its
	# arrival in the stream (within the failover bound after an expiry)
	python3 -c "
import collections, datetime, glob, json
F = $bound
batches = collections.defaultdict(list)
for line in open(\"batches.log\"):
    start, end, w, shard, first, last = line.split()
    batches[shard].append((int(first), int(last), int(start)))
worst = 0
for path in glob.glob(\"*.records\"):
    for line in open(path):
        e = json.loads(line)
        if e[\"data\"][\"n\"] < 2000:
            continue
        t = datetime.datetime.strptime(e[\"approximateArrival\"], \"%Y-%m-%dT%H:%M:%S.%fZ\")
        arrival = int(t.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000)
        seq = int(e[\"sequenceNumber\"])
        start = min(b[2] for b in batches[e[\"shardId\"]] if b[0] <= seq <= b[1])
        worst = max(worst, start - arrival)
        assert start - arrival <= F, \"n=%d waited %d ms\" % (e[\"data\"][\"n\"], start - arrival)
print(\"longest wait of a record for its batch: %d ms\" % worst)
"
'

test_expect_success 'the stolen leases were let go by their old owners; everyone stops cleanly, no checkpoint lost' '
	grep -q "lease lost: taken by another worker" w3.err w4.err w5.err &&
	stop_all &&
	leases >end &&
	cat end &&
	! awk "\$2 != \"-\"" end | grep . &&
	# each lease checkpointed at the last record of its shard
	cat ./*.records | jq -r "[.shardId, .sequenceNumber] | join(\" \")" |
	    sort -k1,1 -k2,2n | awk "{ last[\$1] = \$2 } END { for (s in last) print s, last[s] }" | sort >want.ck &&
	awk "{ print \$1, \$4 }" end >got.ck &&
	test_cmp want.ck got.ck &&
	! grep -n "Sanitizer\|runtime error" ./*.err
'

test_done
