#!/bin/sh
# cs-put: --dry-run, --envelope (a cs-tail -J capture replayed with its
# keys), --explicit-hash-key, --rate and --replay-speed.
. "$(dirname "$0")/lib.sh"
services_need

S=$(unique_name src)
C=$(unique_name copy)

test_expect_success 'setup' '
	create_stream "$S" 2 &&
	create_stream "$C" 3 &&
	gen-records --count 30 --seed 6 >in
'

test_expect_success '--dry-run: batches and shards, nothing sent' '
	cs-put -s "$S" --endpoint-url "$CS_KINESIS_ENDPOINT" -k .ip --batch-size 4 --dry-run in >out &&
	test $(grep -c "^batch " out) -eq 8 &&
	head -n 1 out | grep -qx "batch 1: 4 records, [0-9]* bytes" &&
	test $(grep -c "^  in:[0-9]*	shardId-00000000000[01]	\"" out) -eq 30 &&
	readback "$S" >back &&
	test_must_be_empty back
'

test_expect_success '--dry-run places records where Kinesis puts them' '
	cs-put -s "$S" --endpoint-url "$CS_KINESIS_ENDPOINT" -k .ip --dry-run in >out &&
	sed -n "s/^  in:\([0-9]*\)	\(shardId-[0-9]*\)	.*/\1 \2/p" out >planned &&
	cs-put -s "$S" --endpoint-url "$CS_KINESIS_ENDPOINT" -k .ip --results res in &&
	sed "s/.*\"ShardId\":\"\([^\"]*\)\".*\"line\":\([0-9]*\)}$/\2 \1/" res >actual &&
	test_cmp planned actual
'

test_expect_success '--dry-run: the records of one key in batch after batch (none waits for an answer)' '
	for i in 1 2 3 4 5; do echo "{\"ip\":\"192.0.2.1\",\"n\":$i}"; done >same &&
	timeout -k 2 20 cs-put -s "$S" --endpoint-url "$CS_KINESIS_ENDPOINT" -k .ip --batch-size 2 \
	    --dry-run same >out &&
	test $(grep -c "^batch " out) -eq 3 &&
	test $(grep -c "^  same:[0-9]*	shardId-" out) -eq 5
'

test_expect_success '--dry-run without a reachable service: a warning, shards unknown, exit 0' '
	port=$("$SRC_DIR/scripts/services.sh" freeport) &&
	cs-put -s "$S" --endpoint-url "http://127.0.0.1:$port" --dry-run in >out 2>err &&
	test $(grep -c "^  in:[0-9]*	-	\"[0-9a-f]*\"$" out) -eq 30 &&
	grep -q "^cs-put: no shard placement: ListShards on" err
'

test_expect_success '--dry-run still reports the records it would reject' '
	printf "{\"ip\":\"1.1.1.1\"}\n{\"x\":1}\n" >two &&
	test_expect_code 1 cs-put -s "$S" --endpoint-url "$CS_KINESIS_ENDPOINT" -k .ip --dry-run two >out 2>err &&
	grep -qx "cs-put: two:2: .ip gives null, not a string" err &&
	test $(grep -c "^  two:" out) -eq 1
'

test_expect_success '--envelope: a cs-tail -J capture goes into another stream, keys kept' '
	cs-tail -s "$S" -J -e --endpoint-url "$CS_KINESIS_ENDPOINT" >capture &&
	test_line_count capture 30 &&
	cs-put -s "$C" -E --endpoint-url "$CS_KINESIS_ENDPOINT" capture &&
	readback "$S" --keys | sort >want &&
	readback "$C" --keys | sort >got &&
	test_cmp want got
'

test_expect_success '--envelope: a line that is not an envelope is rejected' '
	printf "{\"data\":1}\n" >notenv &&
	test_expect_code 1 cs-put -s "$C" -E --endpoint-url "$CS_KINESIS_ENDPOINT" --rejects rej notenv &&
	grep -q "\"error\":\"InvalidEnvelope\"" rej
'

test_expect_success '--explicit-hash-key picks the shard' '
	printf "{\"h\":\"0\"}\n{\"h\":\"340282366920938463463374607431768211455\"}\n" >ehk &&
	cs-put -s "$C" --endpoint-url "$CS_KINESIS_ENDPOINT" --explicit-hash-key .h --results res ehk &&
	grep -o "shardId-[0-9]*" res >shards &&
	printf "shardId-000000000000\nshardId-000000000002\n" >want &&
	test_cmp want shards
'

test_expect_success '--rate 100: 50 records take half a second or more' '
	head -n 25 in >r25 && cat r25 r25 >r50 &&
	start=$(date +%s%N) &&
	cs-put -s "$C" --endpoint-url "$CS_KINESIS_ENDPOINT" --rate 100 r50 &&
	ms=$(( ($(date +%s%N) - start) / 1000000 )) &&
	echo "took $ms ms" &&
	test $ms -ge 480
'

test_expect_success '--replay-speed 4: 2 s of timestamps take about half a second' '
	for t in 00.000 01.000 02.000; do
		echo "{\"timestamp\":\"2018-02-04T23:18:$t""Z\",\"t\":\"$t\"}"
	done >paced &&
	start=$(date +%s%N) &&
	cs-put -s "$C" --endpoint-url "$CS_KINESIS_ENDPOINT" --replay-speed 4 paced &&
	ms=$(( ($(date +%s%N) - start) / 1000000 )) &&
	echo "took $ms ms" &&
	test $ms -ge 480 && test $ms -lt 5000
'

test_expect_success '--rate and --replay-speed take positive numbers only' '
	test_expect_code 2 cs-put -s "$C" --rate 0 in 2>err &&
	test_expect_code 2 cs-put -s "$C" --replay-speed -1 in 2>err &&
	grep -q "^cs-put: --replay-speed: '"'"'-1'"'"' is not a positive number" err
'

test_done
