#!/bin/sh
# cs-put: records that cannot be sent (too large, no usable partition key,
# not JSON under -k) end in the rejects output, exactly, with the others
# delivered; exit 1.
. "$(dirname "$0")/lib.sh"
services_need

S=$(unique_name rj)

test_expect_success 'setup' '
	create_stream "$S" 2 &&
	cat >keyed <<-\EOF_IN &&
	{"ip":"1.2.3.4","n":1}
	not json
	{"n":3}
	{"ip":42,"n":4}
	{"ip":"","n":5}
	{"ip":{"a":1},"n":6}
	[1,2]
	{"ip":"ü-1","n":8}
	{"ip":true,"n":9}
	EOF_IN
	cat >want-rejects <<-\EOF_RJ
	{"source":"keyed","line":2,"error":"InvalidJSON","reason":"not JSON: invalid JSON at byte 1: unexpected character","record":"not json"}
	{"source":"keyed","line":3,"error":"InvalidPartitionKey","reason":".ip gives null, not a string","record":"{\"n\":3}"}
	{"source":"keyed","line":5,"error":"InvalidPartitionKey","reason":"partition key of 0 characters: it must have 1 to 256","record":"{\"ip\":\"\",\"n\":5}"}
	{"source":"keyed","line":6,"error":"InvalidPartitionKey","reason":".ip gives an object, not a string","record":"{\"ip\":{\"a\":1},\"n\":6}"}
	{"source":"keyed","line":7,"error":"InvalidPartitionKey","reason":".ip: Cannot index array with string \"ip\"","record":"[1,2]"}
	{"source":"keyed","line":9,"error":"InvalidPartitionKey","reason":".ip gives true, not a string","record":"{\"ip\":true,\"n\":9}"}
	EOF_RJ
'

test_expect_success '-k .ip: records without a usable key are rejected exactly, exit 1' '
	test_expect_code 1 cs-put -s "$S" --endpoint-url "$CS_KINESIS_ENDPOINT" -k .ip \
		--rejects rejects --results results keyed 2>err &&
	test_must_be_empty err &&
	test_cmp want-rejects rejects &&
	test_line_count results 9 &&
	cut -d, -f1 results >codes &&
	cat >want-codes <<-\EOF &&
	{"Code":"PutRecordSuccessful"
	{"Code":"InvalidJSON"
	{"Code":"InvalidPartitionKey"
	{"Code":"PutRecordSuccessful"
	{"Code":"InvalidPartitionKey"
	{"Code":"InvalidPartitionKey"
	{"Code":"InvalidPartitionKey"
	{"Code":"PutRecordSuccessful"
	{"Code":"InvalidPartitionKey"
	EOF
	test_cmp want-codes codes
'

rm -f each && test_expect_success 'without --rejects each reject is one line on stderr naming FILE:LINE' '
	test_expect_code 1 cs-put -s "$S" --endpoint-url "$CS_KINESIS_ENDPOINT" -k .ip keyed 2>err &&
	cat >want <<-\EOF &&
	cs-put: keyed:2: not JSON: invalid JSON at byte 1: unexpected character
	cs-put: keyed:3: .ip gives null, not a string
	cs-put: keyed:5: partition key of 0 characters: it must have 1 to 256
	cs-put: keyed:6: .ip gives an object, not a string
	cs-put: keyed:7: .ip: Cannot index array with string "ip"
	cs-put: keyed:9: .ip gives true, not a string
	EOF
	test_cmp want err
'

test_expect_success 'without -k, a line that is not JSON is still a record' '
	printf "not json\n" | cs-put -s "$S" --endpoint-url "$CS_KINESIS_ENDPOINT"
'

test_expect_success 'a partition key of 257 characters is rejected, 256 pass' '
	k256=$(printf "%0256d" 0) &&
	printf "{\"k\":\"%s\"}\n{\"k\":\"%s1\"}\n" "$k256" "$k256" >long &&
	test_expect_code 1 cs-put -s "$S" --endpoint-url "$CS_KINESIS_ENDPOINT" -k .k \
		--rejects rej long &&
	test_line_count rej 1 &&
	grep -q "^{\"source\":\"long\",\"line\":2,\"error\":\"InvalidPartitionKey\",\"reason\":\"partition key of 257 characters: it must have 1 to 256\"" rej
'

test_expect_success 'records over 1 MiB (data and key) are rejected whole, up to 1 MiB pass' '
	python3 -c "
def rec(n):
    pre, post = \"{\\\"pad\\\":\\\"\", \"\\\"}\"
    return pre + \"x\" * (n - len(pre) - len(post)) + post
import sys
# the default key is 16 characters: 1048560 + 16 is exactly 1 MiB
sys.stdout.write(\"\\n\".join([rec(1048560), rec(1048561), rec(20), rec(2 * 1048576 + 10), rec(30)]) + \"\\n\")
" >big &&
	rm -f rej &&
	test_expect_code 1 cs-put -s "$S" --endpoint-url "$CS_KINESIS_ENDPOINT" \
		--rejects rej --results res big &&
	test_line_count rej 2 &&
	python3 -c "
import json
lines = open(\"big\").read().split(\"\\n\")
rj = [json.loads(l) for l in open(\"rej\")]
assert [r[\"line\"] for r in rj] == [2, 4], rj
assert all(r[\"error\"] == \"RecordTooLarge\" for r in rj)
assert rj[0][\"reason\"] == \"record of 1048577 bytes (data and partition key) is over the limit of 1048576 bytes\", rj[0][\"reason\"]
assert rj[0][\"record\"] == lines[1]
assert rj[1][\"reason\"] == \"line of 2097162 bytes is over the limit of 1048576 bytes (record and partition key)\", rj[1][\"reason\"]
assert lines[3].startswith(rj[1][\"record\"]) and len(rj[1][\"record\"]) == 1024
codes = [json.loads(l)[\"Code\"] for l in open(\"res\")]
assert codes == [\"PutRecordSuccessful\", \"RecordTooLarge\", \"PutRecordSuccessful\", \"RecordTooLarge\", \"PutRecordSuccessful\"], codes
"
'

test_expect_success 'records that are not UTF-8 keep their bytes in record_base64' '
	printf "{\"ip\":\"\\377\"}\n" >bad8 &&
	rm -f rej && test_expect_code 1 cs-put -s "$S" --endpoint-url "$CS_KINESIS_ENDPOINT" -k .ip --rejects rej bad8 &&
	grep -q "\"error\":\"InvalidJSON\".*\"record_base64\":\"eyJpcCI6Iv8ifQ==\"}$" rej
'

rm -f or && test_expect_success 'an unwritable --rejects or --results file is exit 4 before anything is sent' '
	test_expect_code 4 cs-put -s "$S" --endpoint-url "$CS_KINESIS_ENDPOINT" --rejects no/such/dir keyed 2>err &&
	grep -q "^cs-put: cannot open '"'"'no/such/dir'"'"'" err &&
	test_expect_code 4 cs-put -s "$S" --endpoint-url "$CS_KINESIS_ENDPOINT" --results no/such/dir keyed
'

test_expect_success 'a full disk under --results is exit 4' '
	if test -w /dev/full; then
		test_expect_code 4 cs-put -s "$S" --endpoint-url "$CS_KINESIS_ENDPOINT" --results /dev/full keyed 2>err &&
		grep -q "write error" err
	fi
'

test_expect_success 'a jq expression that does not compile is a usage error' '
	test_expect_code 2 cs-put -s "$S" -k ".ip |||" keyed 2>err &&
	grep -q "^cs-put: invalid jq program" err
'

test_done
