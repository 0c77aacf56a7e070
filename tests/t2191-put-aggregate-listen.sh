#!/bin/sh
# cs-put --listen --aggregate: concurrent reports packed per shard,
# checked with AWS Labs' aws-kinesis-agg (npm).
. "$(dirname "$0")/lib.sh"
services_need
E=$CS_KINESIS_ENDPOINT
AGG="node $TEST_DIR/data/kinesis-agg.js"

test_expect_success '--listen --aggregate: concurrent reports packed per shard, each one back' '
	W=$(unique_name listen) &&
	create_stream "$W" 2 &&
	port=$("$SRC_DIR/scripts/services.sh" freeport) &&
	{ cs-put -s "$W" --endpoint-url "$E" --listen "127.0.0.1:$port" --no-enrich -k .ip \
	    --aggregate --linger 300 2>lerr & echo $! >lpid; } &&
	test_wait_for 20 "curl -s -o /dev/null -X OPTIONS http://127.0.0.1:$port/report" &&
	for i in $(seq 40); do
		curl -s -o /dev/null -w "%{http_code}\n" -X POST \
		    --data-binary "{\"ip\":\"10.2.0.$i\",\"n\":$i}" "http://127.0.0.1:$port/report" >>lcodes &
	done &&
	test_wait_for 30 "test \$(cat lcodes 2>/dev/null | wc -l) -ge 40" &&
	kill -TERM $(cat lpid) && wait $(cat lpid) &&
	test $(grep -c "^200$" lcodes) = 40 &&
	readback "$W" --json >lraw &&
	test $(grep -c "" lraw) -lt 20 &&
	$AGG deagg <lraw >lusers &&
	test $(grep -c "" lusers) = 40 &&
	for i in $(seq 40); do grep -q "\"partitionKey\":\"10.2.0.$i\"" lusers || return 1; done
'

test_done
