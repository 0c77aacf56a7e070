#!/bin/bash
# cs-tail --lease-table, nothing lost and nothing done twice at once:
# cs-put keeps putting while three workers run --exec 'cs-validate |
# cs-store' into a table; one is killed (SIGKILL) and restarted, one paused
# (SIGSTOP) past the failover time and resumed, one stopped (SIGTERM) and
# restarted, and a shard is split meanwhile.  At the end the table holds
# every eligible record exactly once by key, the rejects every ineligible
# one, and the batch log shows no shard run by two workers at once beyond
# one renewal period.
#
#   T3530_RECORDS=N   records (default 3000)
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/lease.sh"

N=${T3530_RECORDS:-3000}
STREAM=$(unique_name s)
LT=$(unique_name leases)
table=$(unique_name t)
check="python3 $TEST_DIR/e2e-check.py"
e2e_consumer consume.sh "$TRASH/rej" "$table" -q
w() { exec_worker "$1" "$TRASH/consume.sh" --batch-size 100 --max-retries 10 --on-failure failed.ndjson; }

test_expect_success 'setup: the input, what should come out, stream and table' '
	gen-records --count $N --seed 3530 --bad-ratio 0.05 >input.ndjson &&
	cs-validate --rejects expected-rejects.ndjson input.ndjson >expected.ndjson &&
	$check keys expected.ndjson >expected-keys &&
	create_stream "$STREAM" 2 &&
	create_table "$table" IP Timestamp &&
	mkdir rej
'

test_expect_success 'put while workers are killed, paused, stopped, restarted, and a shard splits' '
	(cs-put -q -s "$STREAM" --rate 250 --rejects put-rejects.ndjson input.ndjson 2>put.log
	 echo $? >put.rc) &
	w w1 && w w2 && w w3 &&
	sleep 2 &&
	kill -KILL $(cat w1.pid) && echo "$(now_ms) w1 killed" >>events &&
	sleep 1 &&
	kinesis SplitShard "{\"StreamName\":\"$STREAM\",\"ShardToSplit\":\"shardId-000000000000\",\"NewStartingHashKey\":\"85070591730234615865843651857942052864\"}" &&
	echo "$(now_ms) shardId-000000000000 split" >>events &&
	w w1 && echo "$(now_ms) w1 restarted" >>events &&
	sleep 1 &&
	kill -STOP $(cat w2.pid) && echo "$(now_ms) w2 paused" >>events &&
	sleep $((F / 1000 + 2)) &&
	kill -CONT $(cat w2.pid) && echo "$(now_ms) w2 resumed" >>events &&
	sleep 1 &&
	stop_worker w3 && echo "$(now_ms) w3 stopped" >>events &&
	w w3 && echo "$(now_ms) w3 restarted" >>events &&
	test_wait_for 60 "test -f put.rc" &&
	test "$(cat put.rc)" = 0 &&
	test_must_be_empty put-rejects.ndjson &&
	cat events
'

test_expect_success 'the table holds every eligible record exactly once by key' '
	test_wait_for 60 "$check scan \"$CS_DYNAMODB_ENDPOINT\" \"$table\" >got-keys && cmp -s expected-keys got-keys" ;
	$check cmp-keys expected-keys got-keys &&
	leases >leases.txt &&
	cat leases.txt &&
	stop_all &&
	{ test ! -s failed.ndjson || { echo "batches given up:"; head -c 2000 failed.ndjson; false; }; }
'

test_expect_success 'the rejects hold every ineligible record, nothing else' '
	$check cmp-rejects expected-rejects.ndjson rej/b.*
'

test_expect_success 'the split shard: its children were read after its last batch began' '
	python3 -c "
last, first = {}, {}
for line in open(\"batches.log\"):
    s, e, w, shard = line.split()[:4]
    last[shard] = max(last.get(shard, 0), int(s))
    first[shard] = min(first.get(shard, 1 << 62), int(s))
p = \"shardId-000000000000\"
for c in (\"shardId-000000000002\", \"shardId-000000000003\"):
    assert c in first, \"no batch of \" + c
    assert first[c] > last[p], (c, first[c], last[p])
print(\"children started after the parent\")
"
'

test_expect_success 'no shard ran on two workers at once beyond one renewal period' '
	python3 "$TEST_DIR/overlap.py" batches.log $RENEW
'

test_expect_success 'no sanitizer report from any worker' '
	! grep -n "Sanitizer\|runtime error" ./*.err put.log
'

test_done
