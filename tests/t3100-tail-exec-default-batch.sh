#!/bin/sh
# cs-tail --exec without --batch-size: batches of 100 records per shard
# (README, cs-tail(1) "default 100, as the sample's trigger").
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

test_done
