#!/bin/sh
# Rejects files are appended to, never truncated (closing note, the
# man pages): cs-put --rejects, cs-store --rejects, cs-tail --on-failure,
# each run twice into the same file keeps the first run's lines.
. "$(dirname "$0")/lib.sh"
services_need
S=$(unique_name st)
T=$(unique_name tb)
P="--endpoint-url $CS_KINESIS_ENDPOINT"
D="--endpoint-url $CS_DYNAMODB_ENDPOINT"

test_expect_success 'setup: a stream, a table' '
	create_stream "$S" 1 &&
	create_table "$T" IP Timestamp
'

test_expect_success 'cs-put --rejects: two runs, two rejects' '
	echo "{\"n\":1}" >nokey &&
	test_expect_code 1 cs-put $P -s "$S" -k .ip --rejects rej nokey 2>err &&
	test_expect_code 1 cs-put $P -s "$S" -k .ip --rejects rej nokey 2>err &&
	test_line_count rej 2 &&
	test $(grep -c "\"error\":\"InvalidPartitionKey\"" rej) -eq 2
'

test_expect_success 'cs-store --rejects: two runs, two rejects' '
	echo "{\"IP\":\"10.0.0.1\"}" >nosort &&
	test_expect_code 1 cs-store $D -t "$T" --rejects srej nosort 2>err &&
	test_expect_code 1 cs-store $D -t "$T" --rejects srej nosort 2>err &&
	test_line_count srej 2
'

test_expect_success 'cs-tail --on-failure: two runs, two failed batches' '
	echo "{\"n\":2}" >one &&
	cs-put $P -s "$S" one &&
	test_expect_code 1 cs-tail $P -s "$S" -e --exec "exit 3" --max-retries 0 --on-failure f 2>err &&
	test_expect_code 1 cs-tail $P -s "$S" -e --exec "exit 3" --max-retries 0 --on-failure f 2>err &&
	test_line_count f 2
'

test_done
