#!/bin/sh
# test-slow: 45
# cs-tail --exec: batches through a command; a poisoned record isolated by
# bisection, retried, written to the on-failure file, the shard moving on;
# the checkpoint following finished batches; signals and SIGKILL.
. "$(dirname "$0")/lib.sh"
services_need
E=$CS_KINESIS_ENDPOINT
S=$(unique_name exec)

tail_() { cs-tail --endpoint-url "$E" "$@"; }

put_one() { # STREAM KEY JSON
	kinesis PutRecord "{\"StreamName\":\"$1\",\"PartitionKey\":\"$2\",\"Data\":\"$(printf "%s" "$3" | base64 -w0)\"}" >/dev/null
}

# the command: keeps each batch it saw; fails on a poisoned one, else appends it to delivered
cat >cmd.sh <<'EOF'
b=$(mktemp batch.XXXXXX)
cat >"$b"
echo "$CS_SHARD_ID $CS_FIRST_SEQUENCE $CS_LAST_SEQUENCE $CS_BATCH_SIZE $CS_ATTEMPT" >>env.log
if grep -q poison "$b"; then exit 3; fi
cat "$b" >>delivered
EOF

test_expect_success 'setup: 2 shards, 41 records, one poisoned' '
	create_stream "$S" 2 &&
	for i in $(seq 1 40); do
		put_one "$S" "k$((i % 2))" "{\"n\":$i}" || exit 1
		if [ $i = 17 ]; then put_one "$S" k1 "{\"n\":\"poison\"}" || exit 1; fi
	done
'

test_expect_success 'poisoned record: retried, isolated, on-failure file, shard moves on' '
	test_expect_code 1 tail_ -s "$S" -e --exec "sh $TRASH/cmd.sh" --batch-size 8 --bisect \
	    --max-retries 2 --on-failure failed.ndjson --checkpoint ck 2>err &&
	cat err &&
	seq 1 40 | sed "s/.*/{\"n\":&}/" | sort >want &&
	sort delivered >got &&
	test_cmp want got &&
	test_line_count failed.ndjson 1 &&
	python3 -c "
import json
f = json.load(open(\"failed.ndjson\"))
assert f[\"records\"] == [{\"n\": \"poison\"}], f
assert f[\"count\"] == 1 and f[\"firstSequenceNumber\"] == f[\"lastSequenceNumber\"]
assert f[\"reason\"] == \"exit status 3 after 3 attempts\", f[\"reason\"]
assert f[\"stream\"] == \"$S\" and f[\"shardId\"].startswith(\"shardId-\")
" &&
	grep -q "1 of 8 records failed" err &&
	test $(grep -c " 1 3$" env.log) -eq 1 &&
	awk "{ if (\$4 > 8) exit 1 }" env.log
'

test_expect_success 'the checkpoint moved past everything: a restart runs nothing' '
	: >delivered && : >env.log &&
	tail_ -s "$S" -e --exec "sh $TRASH/cmd.sh" --checkpoint ck &&
	test_must_be_empty delivered &&
	test_must_be_empty env.log
'

test_expect_success 'without --bisect the whole batch goes to the on-failure file' '
	rm -f delivered &&
	test_expect_code 1 tail_ -s "$S" -e --exec "sh $TRASH/cmd.sh" --batch-size 100 \
	    --max-retries 0 --on-failure whole.ndjson 2>err &&
	python3 -c "
import json
fs = [json.loads(l) for l in open(\"whole.ndjson\")]
assert len(fs) == 1 and fs[0][\"count\"] == len(fs[0][\"records\"]) > 1, fs
assert {\"n\": \"poison\"} in fs[0][\"records\"]
assert fs[0][\"reason\"] == \"exit status 3 after 1 attempts\"
"
'

# the window is long enough to hold the three puts even on a loaded machine
# (each put_one starts a cs-put: up to a second or more under ASan and load,
# with kinesis-mock slower than kinesalite); a window of 1.5 s cut the batch
# after two records there.  The reads in between are 200 ms apart.
test_expect_success 'a batch window gathers records of several reads' '
	W=$(unique_name window) &&
	create_stream "$W" 1 &&
	: >env.log && rm -f delivered &&
	{ cs-tail --endpoint-url "$E" -s "$W" --exec "sh $TRASH/cmd.sh" --batch-size 50 --batch-window 6000 & echo $! >pid; } &&
	sleep 0.5 &&
	for i in 1 2 3; do put_one "$W" k "{\"n\":$i}"; sleep 0.3; done &&
	test_wait_for 15 "test -s delivered" &&
	kill -TERM $(cat pid) &&
	test_wait_for 10 "! kill -0 $(cat pid) 2>/dev/null" &&
	test_line_count delivered 3 &&
	test_line_count env.log 1
'

# the sequence number checkpoint CK holds for its one shard
ck_seq() { python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(list(d["shards"].values())[0]["sequenceNumber"])' "$1"; }

test_expect_success 'SIGTERM: a hung batch is abandoned after the grace period, not checkpointed' '
	H=$(unique_name hang) &&
	create_stream "$H" 1 &&
	put_one "$H" k "{\"n\":0}" &&
	tail_ -s "$H" -e -J --checkpoint hck >first &&
	first=$(python3 -c "import json, sys; print(json.load(sys.stdin)[\"sequenceNumber\"])" <first) &&
	test "$(ck_seq hck)" = "$first" &&
	put_one "$H" k "{\"n\":1}" &&
	{ cs-tail --endpoint-url "$E" -s "$H" --exec "sleep 97.$$" --grace 500 --checkpoint hck 2>herr & echo $! >pid; } &&
	test_wait_for 10 "pgrep -f \"^sleep 97.$$\" >/dev/null" &&
	kill -TERM $(cat pid) &&
	{ wait $(cat pid); echo $? >rc; } &&
	echo 6 >want && test_cmp want rc &&
	test_wait_for 5 "! pgrep -f \"^sleep 97.$$\" >/dev/null" &&
	grep -q "abandoning 1 running batches" herr &&
	test "$(ck_seq hck)" = "$first"
'

test_expect_success 'SIGKILL of cs-tail takes the running command along' '
	H2=$(unique_name hang2) &&
	create_stream "$H2" 1 &&
	put_one "$H2" k "{\"n\":1}" &&
	{ cs-tail --endpoint-url "$E" -s "$H2" --exec "sleep 98.$$ | cat" & echo $! >pid; } &&
	test_wait_for 10 "pgrep -f \"^sleep 98.$$\" >/dev/null" &&
	kill -9 $(cat pid) &&
	test_wait_for 5 "! pgrep -f \"^sleep 98.$$\" >/dev/null"
'

test_expect_success 'the batches of one shard run in order; shards in parallel' '
	P=$(unique_name par) &&
	create_stream "$P" 1 &&
	for i in $(seq 1 30); do put_one "$P" k "{\"n\":$i}" || exit 1; done &&
	rm -f delivered &&
	tail_ -s "$P" -e --exec "sh $TRASH/cmd.sh" --batch-size 7 --parallel 4 &&
	seq 1 30 | sed "s/.*/{\"n\":&}/" >want &&
	test_cmp want delivered
'

test_expect_success 'kill -9 at random moments, restart: every record delivered (at least once)' '
	K=$(unique_name kill) &&
	create_stream "$K" 2 &&
	python3 "$TEST_DIR/data/tail-records.py" "$K" 0 600 >bodies &&
	while read -r body; do kinesis PutRecords "$body" >/dev/null || exit 1; done <bodies &&
	# the handler is itself crash-safe: a batch counts once its file is
	# whole (a kill -9 of cs-tail kills the handler too, and may cut its
	# write short; an append straight to one file would keep a cut line)
	mkdir kd &&
	runs=0 &&
	while :; do
		runs=$((runs + 1)) &&
		test $runs -lt 60 || { echo "no end after $runs runs"; exit 1; }
		cs-tail --endpoint-url "$E" -s "$K" -e -J --batch-size 20 --checkpoint kck \
		    --exec "sleep 0.05; t=\$(mktemp kd/part.XXXXXX) && cat >\$t && mv \$t \$t.done" 2>>kerr &
		pid=$! &&
		sleep 0.$(( $(od -An -N1 -tu1 /dev/urandom) % 5 + 2 )) &&
		# after 20 kills the run goes to its end (a slower Kinesis may
		# never let a run finish within the kill delay)
		if [ $runs -lt 20 ] && kill -9 $pid 2>/dev/null; then
			wait $pid
		else
			wait $pid && break
		fi
	done &&
	echo "runs: $runs" &&
	test $runs -gt 2 &&
	cat kd/*.done >kdelivered &&
	python3 "$TEST_DIR/data/tail-check.py" kdelivered 600 --dups-ok &&
	test_wait_for 5 "! pgrep -f \"^sleep 0.05\" >/dev/null"
'

test_done
