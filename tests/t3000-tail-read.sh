#!/bin/sh
# test-slow: 65 (on kinesis-mock; about 25 on kinesalite)
# cs-tail: a multi-shard stream read back complete and in order; starting
# positions; output forms; KPL aggregates; errors.
. "$(dirname "$0")/lib.sh"
services_need
E=$CS_KINESIS_ENDPOINT
S=$(unique_name four)

tail_() { cs-tail --endpoint-url "$E" "$@"; }

put_one() { # STREAM KEY BASE64
	kinesis PutRecord "{\"StreamName\":\"$1\",\"PartitionKey\":\"$2\",\"Data\":\"$3\"}" >/dev/null
}

check_envelopes() { python3 "$TEST_DIR/data/tail-check.py" "$@"; }

test_expect_success '--help and --version' '
	cs-tail --help >out &&
	grep -q "^usage: cs-tail -s STREAM" out &&
	grep -q -- "--checkpoint FILE" out &&
	cs-tail --version | grep -q "^cs-tail "
'

test_expect_success 'usage errors exit 2 with one line' '
	test_expect_code 2 cs-tail 2>err &&
	grep -q "^cs-tail: no stream: give -s STREAM" err &&
	test_expect_code 2 cs-tail -s x --from yesterday 2>err &&
	grep -q "^cs-tail: --from: .yesterday. is not" err &&
	test_expect_code 2 cs-tail -s x --from after:123 2>err &&
	grep -q "need --shards naming exactly one shard" err &&
	test_expect_code 2 cs-tail -s x --until soon 2>err &&
	test_expect_code 2 cs-tail -s x --bisect 2>err &&
	test_expect_code 2 cs-tail -s x -n 0 2>err
'

test_expect_success 'a stream that does not exist: exit 5, the service'"'"'s error' '
	test_expect_code 5 tail_ -s "$S-missing" -e >out 2>err &&
	test_must_be_empty out &&
	grep -q "^cs-tail: ListShards on .$S-missing.: ResourceNotFoundException: " err
'

test_expect_success 'setup: 4 shards, 3000 records' '
	create_stream "$S" 4 &&
	put_records "$S" 0 3000
'

test_expect_success 'read back complete, in per-shard and per-key order (-J)' '
	tail_ -s "$S" -e -J >env 2>err &&
	test_must_be_empty err &&
	test_line_count env 3000 &&
	check_envelopes env 3000 &&
	python3 -c "import json,sys; s={json.loads(l)[\"shardId\"] for l in open(\"env\")}; assert len(s)==4, s"
'

test_expect_success 'default output: the records as they were put' '
	tail_ -s "$S" -e >out &&
	python3 "$TEST_DIR/data/tail-records.py" x 0 3000 |
	python3 -c "
import base64, json, sys
for body in sys.stdin:
    for r in json.loads(body)[\"Records\"]:
        print(base64.b64decode(r[\"Data\"]).decode())" | sort >want &&
	sort out >got &&
	test_cmp want got
'

test_expect_success '-n stops after COUNT records' '
	tail_ -s "$S" -n 7 >out &&
	test_line_count out 7
'

test_expect_success '--shards reads only those shards' '
	tail_ -s "$S" -e -J --shards shardId-000000000001,shardId-000000000002 >two &&
	grep -c "" two >n && test "$(cat n)" -gt 0 &&
	! grep -v "\"shardId\":\"shardId-00000000000[12]\"" two &&
	test_expect_code 2 tail_ -s "$S" -e --shards shardId-000000000009 2>err &&
	grep -q "has no shard .shardId-000000000009." err
'

test_expect_success '--from after:SEQ and at:SEQ with one shard' '
	grep "\"shardId\":\"shardId-000000000003\"" env >s3 &&
	total=$(grep -c "" s3) &&
	seq=$(sed -n 5p s3 | python3 -c "import json,sys; print(json.load(sys.stdin)[\"sequenceNumber\"])") &&
	tail_ -s "$S" -e -J --shards shardId-000000000003 --from "after:$seq" >after &&
	test_line_count after $((total - 5)) &&
	tail -n +6 s3 | cut -d, -f1-4 >want && cut -d, -f1-4 after >got && test_cmp want got &&
	tail_ -s "$S" -e -J --shards shardId-000000000003 --from "at:$seq" >at &&
	test_line_count at $((total - 4))
'

test_expect_success '--from latest -e: nothing old' '
	tail_ -s "$S" -e --from latest >out &&
	test_must_be_empty out
'

test_expect_success '--from TIME and --until TIME' '
	test_expect_code 2 tail_ -s "$S" -e --from 2999-01-01T00:00:00Z 2>err &&
	grep -q "is in the future" err &&
	tail_ -s "$S" -e --until 2000-01-01T00:00:00Z >out &&
	test_must_be_empty out &&
	tail_ -s "$S" -e --from 2000-01-01T00:00:00Z --until 2999-01-01T00:00:00Z >out &&
	test_line_count out 3000
'

test_expect_success 'following: a new record appears promptly' '
	F=$(unique_name follow) &&
	create_stream "$F" 1 &&
	{ cs-tail --endpoint-url "$E" -s "$F" >fout 2>ferr & echo $! >pid; } &&
	sleep 1 &&
	put_one "$F" a "$(printf "{\"ip\":\"1.1.1.1\"}" | base64 -w0)" &&
	test_wait_for 5 "test -s fout" &&
	kill -TERM $(cat pid) &&
	test_wait_for 5 "! kill -0 $(cat pid) 2>/dev/null" &&
	echo "{\"ip\":\"1.1.1.1\"}" >want &&
	test_cmp want fout
'

test_expect_success 'data that is not one JSON line comes out as an envelope; double-encoded stays' '
	O=$(unique_name odd) &&
	create_stream "$O" 1 &&
	put_one "$O" a "$(printf "plain text" | base64 -w0)" &&
	put_one "$O" b "$(printf "{\"a\":\n1}" | base64 -w0)" &&
	put_one "$O" c "$(printf "\377\376\000x" | base64 -w0)" &&
	sleep 0.1 && mid=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ) && sleep 0.1 &&
	put_one "$O" d "$(printf "%s" "\"{\\\"ip\\\":\\\"0.0.0.0\\\"}\"" | base64 -w0)" &&
	put_one "$O" e "$(printf "{\"x\":1}\n" | base64 -w0)" &&
	tail_ -s "$O" -e >out &&
	test_line_count out 5 &&
	python3 -c "
import base64, json
lines = [json.loads(l) for l in open(\"out\")]
assert base64.b64decode(lines[0][\"dataBase64\"]) == b\"plain text\", lines[0]
assert base64.b64decode(lines[1][\"dataBase64\"]) == b\"{\\\"a\\\":\\n1}\"
assert base64.b64decode(lines[2][\"dataBase64\"]) == b\"\\xff\\xfe\\x00x\"
assert lines[2][\"partitionKey\"] == \"c\"
" &&
	sed -n 4p out >got4 && printf "%s\n" "\"{\\\"ip\\\":\\\"0.0.0.0\\\"}\"" >want4 && test_cmp want4 got4 &&
	sed -n 5p out >got5 && echo "{\"x\":1}" >want5 && test_cmp want5 got5 &&
	tail_ -s "$O" -e --from "$mid" >late &&
	sed -n 4,5p out >want && test_cmp want late &&
	tail_ -s "$O" -e --until "$mid" >early &&
	sed -n 1,3p out >want && test_cmp want early
'

test_expect_success 'a KPL aggregate is de-aggregated; a corrupt one passes through' '
	K=$(unique_name kpl) &&
	create_stream "$K" 1 &&
	agg=$(python3 "$TEST_DIR/data/kpl-aggregate.py" "u1={\"n\":1}" "u2={\"n\":2}" "u1={\"n\":3}") &&
	put_one "$K" outer "$agg" &&
	bad=$(python3 "$TEST_DIR/data/kpl-aggregate.py" --corrupt "u1={\"n\":4}") &&
	put_one "$K" outer "$bad" &&
	tail_ -s "$K" -e >out 2>err &&
	printf "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n" >want &&
	head -n 3 out >got && test_cmp want got &&
	test_line_count out 4 &&
	grep -q "corrupt KPL aggregate: the MD5 digest does not match; passed through as it is" err &&
	sed -n 4p out | python3 -c "
import base64, json, sys
e = json.load(sys.stdin)
assert base64.b64decode(e[\"dataBase64\"]) == base64.b64decode(\"$bad\")" &&
	tail_ -s "$K" -e -J >env 2>/dev/null &&
	python3 -c "
import json
es = [json.loads(l) for l in open(\"env\")]
assert [e[\"partitionKey\"] for e in es[:3]] == [\"u1\", \"u2\", \"u1\"], es
assert [e[\"subSequenceNumber\"] for e in es[:3]] == [0, 1, 2]
assert len({e[\"sequenceNumber\"] for e in es[:3]}) == 1
assert \"subSequenceNumber\" not in es[3]"
'

test_expect_success 'EPIPE on stdout is a clean stop' '
	tail_ -s "$S" -e | head -n 3 >out &&
	test_line_count out 3
'

test_done
