#!/bin/sh
# test-slow: 60
# cs-tail --checkpoint: killed with SIGKILL again and again, restarted,
# nothing skipped; the checkpoint file always whole.
. "$(dirname "$0")/lib.sh"
services_need
E=$CS_KINESIS_ENDPOINT
S=$(unique_name ck)

tail_() { cs-tail --endpoint-url "$E" "$@"; }

test_expect_success 'setup: 2 shards, 2000 records' '
	create_stream "$S" 2 &&
	put_records "$S" 0 2000
'

# When to kill: a run first lists the shards and gets an iterator per shard
# from the checkpoint, which takes 0.5 s and more on kinesis-mock on a loaded
# machine (GetShardIterator AFTER_SEQUENCE_NUMBER alone up to 300 ms there):
# killed at a fixed 0.3-0.8 s, run after run made no progress and the loop
# found no end.  So most runs are killed at a random moment (0-0.5 s) after
# their first move of the checkpoint (or after 10 s), some at once (0.1-0.3 s,
# while starting); every other run moves the checkpoint, the loop ends.
ck_now() { cat ck 2>/dev/null || echo none; }
test_expect_success 'kill -9 at random moments, restart: nothing skipped' '
	: >all &&
	runs=0 &&
	while :; do
		runs=$((runs + 1)) &&
		test $runs -lt 60 || { echo "no end after $runs runs"; exit 1; }
		r=$(od -An -N1 -tu1 /dev/urandom) &&
		was=$(ck_now)
		cs-tail --endpoint-url "$E" -s "$S" -e -J --limit 40 --checkpoint ck >>all 2>>err &
		pid=$! &&
		if [ $((r % 5)) -eq 0 ]; then
			sleep 0.$((r % 3 + 1))
		else
			i=0 &&
			while [ $i -lt 100 ] && kill -0 $pid 2>/dev/null &&
			    [ "$(ck_now)" = "$was" ]; do
				sleep 0.1; i=$((i + 1))
			done &&
			sleep 0.$((r % 6))
		fi &&
		if kill -9 $pid 2>/dev/null; then
			wait $pid
			python3 -c "import json; json.load(open(\"ck\"))" 2>/dev/null ||
			    test ! -e ck || { echo "checkpoint not whole"; cat ck; exit 1; }
		else
			wait $pid && break
		fi
	done &&
	echo "runs: $runs" &&
	test $runs -gt 2 &&
	python3 "$TEST_DIR/data/tail-check.py" all 2000 --dups-ok &&
	tail_ -s "$S" -e -J --checkpoint ck >again &&
	test_must_be_empty again
'

test_expect_success 'resume goes on after the checkpoint: new records only' '
	put_records "$S" 2000 50 &&
	tail_ -s "$S" -e -J --checkpoint ck >more &&
	test_line_count more 50 &&
	python3 -c "
import json
ns = sorted(json.loads(l)[\"data\"][\"n\"] for l in open(\"more\"))
assert ns == list(range(2000, 2050)), ns"
'

test_expect_success 'a checkpoint of another stream is refused' '
	test_expect_code 3 tail_ -s "$S-other" -e --checkpoint ck 2>err &&
	grep -q "checkpoint: .ck.: the checkpoint is of stream .$S., not .$S-other." err
'

# a directory where the temporary file goes: no write can succeed, even as root
test_expect_success 'a checkpoint that cannot be written: exit 4' '
	mkdir ck4.tmp &&
	test_expect_code 4 tail_ -s "$S" -e --checkpoint ck4 >out 2>err &&
	test -s out &&
	grep -q "cannot open .ck4.tmp.: Is a directory" err &&
	test ! -e ck4
'

test_done
