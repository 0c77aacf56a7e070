#!/bin/bash
# kinesis: kinesalite only (tests the lock on the checkpoint file)
# Two cs-tail runs on one --checkpoint: the second is refused at once with a
# clear message (the first holds CK.lock); the first keeps working; once it
# has exited the checkpoint is free again.
. "$(dirname "$0")/lib.sh"
services_need
E=$CS_KINESIS_ENDPOINT
S=$(unique_name lock)

# the sequence number the checkpoint CK holds for the stream's one shard
ck_seq() { python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(list(d["shards"].values())[0]["sequenceNumber"])' "$1"; }
# the sequence number of the last line of envelopes FILE
last_seq() { tail -n 1 "$1" | python3 -c 'import json, sys; print(json.load(sys.stdin)["sequenceNumber"])'; }

test_expect_success 'setup: one shard, 20 records' '
	create_stream "$S" 1 &&
	put_records "$S" 0 20
'

test_expect_success 'a second run on the same checkpoint is refused at once; the first goes on' '
	cs-tail --endpoint-url "$E" -s "$S" -J --checkpoint ck >first 2>first.err &
	pid=$!
	trap "kill $pid 2>/dev/null" EXIT
	test_wait_for 20 "test -s first && test \$(wc -l <first) -eq 20 && test -s ck" &&
	start=$(date +%s%N) &&
	test_expect_code 3 timeout -s KILL 10 cs-tail --endpoint-url "$E" -s "$S" -J --checkpoint ck >second 2>second.err &&
	ms=$((($(date +%s%N) - start) / 1000000)) &&
	echo "refused in $ms ms" &&
	test "$ms" -lt 5000 &&
	test_must_be_empty second &&
	grep -q "^cs-tail: checkpoint: .ck. is in use by another reader (process $pid holds .ck.lock.): one run at a time per checkpoint\$" second.err &&
	kill -0 $pid &&
	put_records "$S" 20 5 &&
	test_wait_for 20 "test \$(wc -l <first) -eq 25" &&
	python3 "$TEST_DIR/data/tail-check.py" first 25 &&
	test_wait_for 10 "test \"\$(ck_seq ck)\" = \"\$(last_seq first)\"" &&
	kill -TERM $pid &&
	{ wait $pid; rc=$?; } &&
	test $rc -eq 6 &&
	test "$(ck_seq ck)" = "$(last_seq first)"
'

test_expect_success 'the first run gone, the checkpoint is free: the next run resumes after it' '
	put_records "$S" 25 3 &&
	cs-tail --endpoint-url "$E" -s "$S" -e -J --checkpoint ck >third &&
	test_line_count third 3 &&
	test "$(ck_seq ck)" = "$(last_seq third)"
'

test_expect_success 'with --exec too: a second run is refused, and runs no batch' '
	cs-tail --endpoint-url "$E" -s "$S" --checkpoint ck2 --exec "cat >>batches" 2>exec.err &
	pid=$!
	trap "kill $pid 2>/dev/null" EXIT
	test_wait_for 20 "test -s ck2" &&
	test_expect_code 3 timeout -s KILL 10 cs-tail --endpoint-url "$E" -s "$S" --checkpoint ck2 \
	    --exec "cat >>batches2" 2>second.err &&
	test ! -e batches2 &&
	grep -q "in use by another reader" second.err &&
	kill -TERM $pid &&
	{ wait $pid; rc=$?; } &&
	test $rc -eq 6 &&
	test_line_count batches 28
'

test_expect_success 'kill -9 while a batch runs: the checkpoint is free at once, even with the batch guard stopped' '
	cs-tail --endpoint-url "$E" -s "$S" --checkpoint ck3 --batch-size 5 \
	    --exec "cat >/dev/null; sleep 30" 2>k.err &
	pid=$!
	trap "kill -9 $pid 2>/dev/null" EXIT
	test_wait_for 20 "pgrep -P $pid >/dev/null" &&
	guard=$(pgrep -P $pid | head -n 1) &&
	# the guard (a copy of cs-tail, no exec) holds the command'"'"'s descriptors only
	ls /proc/$guard/fd | sort -n | tr "\n" " " >guard.fds &&
	echo "the guard'"'"'s descriptors: $(cat guard.fds)" &&
	test "$(cat guard.fds)" = "0 1 2 " &&
	# a guard that has not yet answered our death holds nothing of ours
	kill -STOP $guard &&
	kill -9 $pid ||
	{ kill -9 $pid; kill -CONT $guard; exit 1; }
	wait $pid
	timeout -s KILL 10 cs-tail --endpoint-url "$E" -s "$S" --checkpoint ck3 \
	    -e -n 1 >one 2>third.err;
	rc=$?; kill -CONT $guard; test $rc -eq 0 &&
	! grep "in use" third.err &&
	test_line_count one 1
'

test_done
