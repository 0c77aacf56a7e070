#!/bin/sh
# cs-tail against faults kinesalite does not make: expired iterators
# (renewed after the last record read: nothing skipped or repeated), and
# throttling, 500s, resets and truncated answers on the reads.
. "$(dirname "$0")/lib.sh"
services_need
S=$(unique_name faults)

test_expect_success 'setup: 2 shards, 1000 records' '
	create_stream "$S" 2 &&
	put_records "$S" 0 1000
'

test_expect_success 'expired iterators are renewed: nothing skipped or repeated' '
	{ python3 "$TEST_DIR/stubs/kinesis-expire.py" --upstream "$CS_KINESIS_ENDPOINT" \
	    --port-file port --log expire.log --every 3 & echo $! >stub.pid; } &&
	test_wait_for 10 "test -s port" &&
	cs-tail --endpoint-url "http://127.0.0.1:$(cat port)" -s "$S" -e -J --limit 30 >out 2>err;
	rc=$?; kill $(cat stub.pid); test $rc = 0 &&
	test_must_be_empty err &&
	test $(grep -c expired expire.log) -gt 5 &&
	python3 "$TEST_DIR/data/tail-check.py" out 1000
'

test_expect_success 'throttling, 500s, resets, truncated answers: retried, nothing lost or repeated' '
	{ python3 "$TEST_DIR/stubs/faultproxy.py" --upstream "$CS_KINESIS_ENDPOINT" \
	    --port-file fport --seed 7 --ops GetRecords,GetShardIterator,ListShards \
	    --throttle 0.1 --error 0.1 --reset 0.05 --lost 0.05 --truncate 0.05 \
	    --stats stats.json & echo $! >proxy.pid; } &&
	test_wait_for 10 "test -s fport" &&
	cs-tail --endpoint-url "http://127.0.0.1:$(cat fport)" -s "$S" -e -J --limit 50 >out2 2>err2;
	rc=$?; kill $(cat proxy.pid); test $rc = 0 &&
	cat stats.json &&
	python3 "$TEST_DIR/data/tail-check.py" out2 1000
'

test_done
