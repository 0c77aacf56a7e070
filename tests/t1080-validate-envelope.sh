#!/bin/sh
# cs-validate on cs-tail envelopes: cs-tail writes a record whose data is
# not one line of JSON (broken JSON, invalid UTF-8, a NUL byte, too deep)
# as an envelope ("dataBase64"), and with -J every record.  cs-validate
# validates the record inside: an eligible one is written as its data, a
# rejected one is rejected for what is wrong with its data, the reject
# holding the data verbatim and the shard and sequence number.
. "$(dirname "$0")/lib.sh"
services_need
E=$CS_KINESIS_ENDPOINT

good='{"ip":"0.0.0.0","timestamp":"2018-02-04T23:18:32.866Z","browser":"Chrome","url":"http://adroitlogic.com/products/ultraesb-x","referrer":"http://adroitlogic.com","os":"Windows","country":"Sri Lanka","language":"en-us"}'

# env SEQ DATA-JSON: an envelope with "data"
env() { printf '{"stream":"s","shardId":"shardId-000000000001","sequenceNumber":"%s","partitionKey":"k","approximateArrival":"2026-11-26T21:00:00.000Z","data":%s}\n' "$1" "$2"; }
# env64 SEQ PRINTF-FORMAT: an envelope with "dataBase64" of the bytes printf makes
env64() { printf '{"stream":"s","shardId":"shardId-000000000001","sequenceNumber":"%s","partitionKey":"k","dataBase64":"%s"}\n' "$1" "$(printf "$2" | base64 -w0)"; }
reasons() { jq -r '"\(.line) \(.error) \(.shardId) \(.sequenceNumber) \(.reason)"' "$1"; }

test_expect_success 'an eligible record in an envelope: its data written, the same bytes' '
	env 1 "$good" >in &&
	env64 2 "$good\n" >>in &&
	env64 3 "\r\n  $good\r\n" >>in &&
	rm -f rej && cs-validate --rejects rej in >out 2>err &&
	printf "%s\n%s\n%s\n" "$good" "$good" "$good" >expect &&
	test_cmp expect out &&
	test_must_be_empty rej &&
	test_must_be_empty err
'

test_expect_success 'bad data: the reason about the data, the data and its position in the reject' '
	env 1 "{\"ip\":\"0.0.0.0\"}" >in &&
	env64 2 "{\"ip\":" >>in &&
	env64 3 "{\"ip\":\"\\377\"}" >>in &&
	env64 4 "{\"ip\":\"a\\000b\"}" >>in &&
	python3 -c "import base64, sys
d = b\"[\" * 300 + b\"]\" * 300
print(\"{\\\"stream\\\":\\\"s\\\",\\\"shardId\\\":\\\"shardId-000000000001\\\",\\\"sequenceNumber\\\":\\\"5\\\",\\\"partitionKey\\\":\\\"k\\\",\\\"dataBase64\\\":\\\"%s\\\"}\" % base64.b64encode(d).decode())" >>in &&
	env64 6 "\\001\\002\\377binary" >>in &&
	env 7 "[1,2]" >>in &&
	rm -f rej && cs-validate --rejects rej in >out &&
	test_must_be_empty out &&
	reasons rej >got &&
	cat >expect <<-\EOF &&
	1 MissingField shardId-000000000001 1 timestamp: missing
	2 InvalidJSON shardId-000000000001 2 invalid JSON: truncated (expected a value)
	3 InvalidUTF8 shardId-000000000001 3 invalid UTF-8 at byte 8
	4 InvalidJSON shardId-000000000001 4 NUL byte at byte 9
	5 TooDeep shardId-000000000001 5 nesting deeper than 256 levels
	6 InvalidJSON shardId-000000000001 6 invalid JSON at byte 1: not a JSON value
	7 NotAnObject shardId-000000000001 7 the record is an array, not an object
	EOF
	test_cmp expect got &&
	jq -r "select(.line == 1) | .record" rej >got &&
	echo "{\"ip\":\"0.0.0.0\"}" >expect &&
	test_cmp expect got &&
	jq -r "select(.line == 3) | .record_base64" rej | base64 -d >got &&
	printf "{\"ip\":\"\\377\"}" >expect &&
	cmp expect got &&
	test "$(jq -c "select(.line == 4) | .record" rej)" = "\"{\\\"ip\\\":\\\"a\\u0000b\\\"}\"" &&
	! grep -q stream rej
'

test_expect_success 'the rejects on stderr name the line and the reason about the data' '
	env64 9 "{\"ip\":" >in &&
	cs-validate in 2>err &&
	grep -q "^cs-validate: in:1: invalid JSON: truncated" err
'

test_expect_success 'a KPL piece keeps its subSequenceNumber in the reject' '
	printf "{\"stream\":\"s\",\"shardId\":\"shardId-000000000001\",\"sequenceNumber\":\"8\",\"subSequenceNumber\":3,\"partitionKey\":\"k\",\"data\":{}}\n" >in &&
	rm -f rej && cs-validate --rejects rej in &&
	test "$(jq -c "[.sequenceNumber, .subSequenceNumber, .record]" rej)" = "[\"8\",3,\"{}\"]"
'

test_expect_success 'data over several lines: written on one line' '
	env64 1 "{\"ip\":\"0.0.0.0\",\n\"timestamp\":\"2018-02-04T23:18:32.866Z\",\"browser\":\"Chrome\",\"url\":\"http://a.example\",\"referrer\":\"\",\"os\":\"W\",\"country\":\"C\",\r\n\"language\":\"en-us\"}\n" >in &&
	rm -f rej && cs-validate --rejects rej in >out &&
	test_must_be_empty rej &&
	test_line_count out 1 &&
	jq -e ".language == \"en-us\"" out
'

test_expect_success 'a double-encoded record in an envelope is decoded, as on a line of its own' '
	env 1 "$(printf "%s" "$good" | jq -R .)" >in &&
	cs-validate in >out &&
	echo "$good" >expect &&
	test_cmp expect out
'

test_expect_success '--keep-envelope: an eligible envelope written as it is' '
	env 1 "$good" >in &&
	env64 2 "{\"ip\":" >>in &&
	rm -f rej && cs-validate --keep-envelope --rejects rej in >out &&
	head -n 1 in >expect &&
	test_cmp expect out &&
	test "$(jq -r .record rej)" = "{\"ip\":"
'

test_expect_success 'not an envelope: an object without data, or with an empty partition key' '
	echo "{\"shardId\":\"x\",\"sequenceNumber\":\"1\",\"partitionKey\":\"k\"}" >in &&
	echo "{\"shardId\":\"x\",\"sequenceNumber\":\"1\",\"partitionKey\":\"\",\"data\":{}}" >>in &&
	rm -f rej && cs-validate --no-default-rules --rejects rej in >out &&
	test_cmp in out
'

test_expect_success 'through kinesalite: cs-tail (plain and -J) | cs-validate, nothing lost' '
	S=$(unique_name s) &&
	create_stream "$S" 1 &&
	put() { "$SRC_DIR/scripts/services.sh" call "$E" kinesis PutRecord "{\"StreamName\":\"$S\",\"PartitionKey\":\"k\",\"Data\":\"$1\"}" >/dev/null; } &&
	put "$(printf "%s" "$good" | base64 -w0)" &&
	put "$(printf "{\"ip\":" | base64 -w0)" &&
	put "$(printf "\\377\\376bin" | base64 -w0)" &&
	put "$(printf "%s\n" "$good" | base64 -w0)" &&
	cs-tail --endpoint-url "$E" -s "$S" -e >tail.out &&
	rm -f rej && cs-validate --rejects rej tail.out >out &&
	printf "%s\n%s\n" "$good" "$good" >expect &&
	test_cmp expect out &&
	jq -r "\"\(.line) \(.error)\"" rej >got &&
	printf "2 InvalidJSON\n3 InvalidUTF8\n" >expect &&
	test_cmp expect got &&
	test "$(jq -r "select(.line == 2) | .record" rej)" = "{\"ip\":" &&
	test "$(jq -r "select(.line == 3) | .sequenceNumber" rej)" = "$(sed -n 3p tail.out | jq -r .sequenceNumber)" &&
	cs-tail --endpoint-url "$E" -s "$S" -e -J >tailj.out &&
	rm -f rej && cs-validate --rejects rejj tailj.out >outj &&
	test_cmp out outj &&
	jq -r "\"\(.line) \(.error) \(.record // .record_base64)\"" rejj >got &&
	printf "2 InvalidJSON {\"ip\":\n3 InvalidUTF8 %s\n" "$(printf "\\377\\376bin" | base64 -w0)" >expect &&
	test_cmp expect got
'

test_done
