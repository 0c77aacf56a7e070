#!/bin/sh
# cs-tail --exec defaults: batches of 100 records per shard (README,
# cs-tail(1) "default 100, as the sample's trigger"); a failing batch is
# run 1 + 3 times (--max-retries default 3) before the --on-failure file.
. "$(dirname "$0")/lib.sh"
services_need
E=$CS_KINESIS_ENDPOINT
S=$(unique_name execdef)

test_expect_success 'setup: 1 shard, 250 records' '
	create_stream "$S" 1 &&
	seq 250 | sed "s/.*/{\"n\":&}/" >in &&
	cs-put --endpoint-url "$E" -s "$S" in
'

test_expect_success '--exec with no --batch-size: batches of 100, 100, 50, in order' '
	cs-tail --endpoint-url "$E" -s "$S" -e --exec "wc -l >>sizes; echo \$CS_BATCH_SIZE >>envsizes" &&
	printf "%s\n" 100 100 50 >want &&
	sed "s/^ *//" sizes >got &&
	test_cmp want got &&
	test_cmp want envsizes
'

test_expect_success 'a failing batch, no --max-retries: 4 runs, then --on-failure, exit 1' '
	F=$(unique_name execfail) &&
	create_stream "$F" 1 &&
	echo "{\"n\":1}" >one &&
	cs-put --endpoint-url "$E" -s "$F" one &&
	test_expect_code 1 cs-tail --endpoint-url "$E" -s "$F" -e \
	    --exec "echo \$CS_ATTEMPT >>attempts; exit 3" --on-failure failed 2>err &&
	printf "%s\n" 1 2 3 4 >want &&
	test_cmp want attempts &&
	test_line_count failed 1 &&
	grep -q "after 4 attempts" failed
'

test_done
