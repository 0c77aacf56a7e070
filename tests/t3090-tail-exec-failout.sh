#!/bin/sh
# cs-tail --exec: when a failed batch cannot be written to the on-failure
# output (a full disk), the run stops with status 4 instead of hanging or
# killing its own process group, and the checkpoint stays before the batch.
. "$(dirname "$0")/lib.sh"
services_need
E=$CS_KINESIS_ENDPOINT
S=$(unique_name failout)

tail_() { cs-tail --endpoint-url "$E" "$@"; }

test_expect_success 'setup: one shard, 3 records' '
	create_stream "$S" 1 &&
	for i in 1 2 3; do
		kinesis PutRecord "{\"StreamName\":\"$S\",\"PartitionKey\":\"k\",\"Data\":\"$(printf "{\"n\":%s}" $i | base64 -w0)\"}" >/dev/null || exit 1
	done
'

test_expect_success 'on-failure output full: status 4, in bounded time' '
	test_expect_code 4 timeout -k 5 30 sh -c "exec cs-tail --endpoint-url \"$E\" -s \"$S\" -e \
	    --exec false --max-retries 0 --on-failure /dev/full --checkpoint ck" 2>err &&
	cat err &&
	grep -q "cannot write '"'"'/dev/full'"'"'" err
'

test_expect_success 'the checkpoint did not move past the batch: a restart delivers it' '
	tail_ -s "$S" -e --exec "cat >>got" --checkpoint ck &&
	printf "{\"n\":%s}\n" 1 2 3 >want &&
	test_cmp want got
'

test_done
