#!/bin/sh
# cs-tail following an idle shard polls it at most five times a second
# (cs-tail(1): "every 200 ms, as the service allows"), and does poll it.
. "$(dirname "$0")/lib.sh"
services_need
E=$CS_KINESIS_ENDPOINT
S=$(unique_name poll)

test_expect_success 'setup: 1 shard, 1 record' '
	create_stream "$S" 1 &&
	echo "{\"n\":1}" >in &&
	cs-put --endpoint-url "$E" -s "$S" in
'

test_expect_success 'following an idle shard for 3 s: 3 to 16 GetRecords calls, the record out once' '
	test_expect_code 6 timeout --preserve-status 3 cs-tail --endpoint-url "$E" -s "$S" -v >out 2>err &&
	echo "{\"n\":1}" >want &&
	test_cmp want out &&
	n=$(grep -c "GetRecords -> 200" err) &&
	echo "# $n GetRecords calls in 3 s" &&
	test $n -ge 3 && test $n -le 16
'

test_done
