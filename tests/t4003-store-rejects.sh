#!/bin/bash
# cs-store: every reason a record is refused before any request, in the
# rejects output with source, line, code, reason and the record; exit codes.
. "$(dirname "$0")/lib.sh"
services_need
E=$CS_DYNAMODB_ENDPOINT
T=$(unique_name rej)

test_expect_success 'setup' '
	create_table "$T" IP Timestamp
'

cat >input <<'EOF'
{"IP":"1.1.1.1","Timestamp":"a","ok":1}
{"IP":"1.1.1.1","Timestamp":
[1,2,3]
{"Timestamp":"a"}
{"IP":"1.1.1.2"}
{"IP":17,"Timestamp":"a"}
{"IP":"","Timestamp":"a"}
{"IP":"1.1.1.3","Timestamp":"a","n":1E200}
{"IP":"1.1.1.4","Timestamp":"a","n":123456789012345678901234567890123456789}
{"IP":"1.1.1.5","Timestamp":"a","":"no name"}
{"IP":"1.1.1.6","Timestamp":"a","ok":2}
EOF

test_expect_success 'each bad record is rejected with its reason; the good ones are written; exit 1' '
	python3 -c "print(\"{\\\"IP\\\":\\\"big\\\",\\\"Timestamp\\\":\\\"a\\\",\\\"x\\\":\\\"\" + \"x\" * 409600 + \"\\\"}\")" >>input &&
	test_expect_code 1 cs-store -t "$T" --endpoint-url "$E" --rejects rejects.ndjson input >out 2>err &&
	test_must_be_empty out &&
	test_must_be_empty err &&
	python3 -c "
import json
for l in open(\"rejects.ndjson\"):
    r = json.loads(l)
    print(r[\"source\"], r[\"line\"], r[\"error\"], r[\"reason\"][:80], len(r[\"record\"]))
" >got &&
	cat >expect <<-\EOF &&
	input 2 InvalidJSON invalid JSON: truncated (expected a value) 28
	input 3 NotAnObject not a JSON object 7
	input 4 MissingKey missing key attribute '"'"'IP'"'"' 17
	input 5 MissingKey missing key attribute '"'"'Timestamp'"'"' 16
	input 6 KeyType key attribute '"'"'IP'"'"' must be a string (S) 25
	input 7 EmptyKey key attribute '"'"'IP'"'"' is an empty string 25
	input 8 InvalidNumber attribute '"'"'n'"'"': number 1E200 is larger in magnitude than DynamoDB'"'"'s limit 9.99999 42
	input 9 InvalidNumber attribute '"'"'n'"'"': number 123456789012345678901234567890123456789 has 39 significant 76
	input 10 InvalidItem empty attribute name 45
	input 12 ItemTooLarge item is 409616 bytes, over DynamoDB'"'"'s limit of 409600 (400 KB) 409635
	EOF
	test_cmp expect got &&
	dynamodb Scan "{\"TableName\":\"$T\",\"Select\":\"COUNT\"}" >count &&
	grep "\"Count\":2" count
'

test_expect_success 'the rejected line is kept exactly in "record"' '
	sed -n 1p rejects.ndjson | python3 -c "import json,sys; print(json.load(sys.stdin)[\"record\"])" >rec &&
	sed -n 2p input >expect &&
	test_cmp expect rec
'

test_expect_success 'without --rejects: one line per reject on stderr naming FILE:LINE' '
	head -n 4 input >four &&
	test_expect_code 1 cs-store -t "$T" --endpoint-url "$E" four 2>err &&
	cat >expect <<-\EOF &&
	cs-store: four:2: invalid JSON: truncated (expected a value)
	cs-store: four:3: not a JSON object
	cs-store: four:4: missing key attribute '"'"'IP'"'"'
	EOF
	test_cmp expect err
'

test_expect_success '-m: no output skips (counted), an error or a non-object rejects' '
	printf "%s\n" "{\"ip\":\"a\",\"t\":\"1\",\"keep\":true}" "{\"ip\":\"b\",\"t\":\"1\",\"keep\":false}" \
	    "{\"ip\":\"c\",\"t\":\"1\",\"keep\":\"boom\"}" "{\"ip\":\"d\",\"t\":\"1\",\"keep\":\"str\"}" >m &&
	test_expect_code 1 cs-store -t "$T" --endpoint-url "$E" --stats --rejects rj \
	    -m "if .keep == true then {IP: .ip, Timestamp: .t} elif .keep == false then empty elif .keep == \"boom\" then error(\"boom\") else \"x\" end" m 2>err &&
	grep "4 records: 1 written, 0 collapsed, 1 skipped, 2 rejected" err &&
	grep "\"line\":3,\"error\":\"MappingError\",\"reason\":\"-m: boom\"" rj &&
	grep "\"line\":4,\"error\":\"NotAnObject\",\"reason\":\"-m gave a string, not an object\"" rj
'

test_expect_success '-m: two numbers jq cannot tell apart are rejected, not rounded' '
	echo "{\"IP\":\"n\",\"Timestamp\":\"1\",\"a\":12345678901234567890,\"b\":12345678901234567891}" >amb &&
	test_expect_code 1 cs-store -t "$T" --endpoint-url "$E" -m . amb 2>err &&
	grep "amb:1: numbers 12345678901234567890 and 12345678901234567891 differ beyond the 17 digits" err
'

test_expect_success 'a line over the size limit is rejected, the next one written' '
	python3 -c "print(\"{\\\"IP\\\":\\\"huge\\\",\\\"Timestamp\\\":\\\"a\\\",\\\"x\\\":\\\"\" + \"x\" * (9 << 20) + \"\\\"}\")" >huge &&
	echo "{\"IP\":\"after-huge\",\"Timestamp\":\"a\"}" >>huge &&
	test_expect_code 1 cs-store -t "$T" --endpoint-url "$E" --stats huge 2>err &&
	grep "huge:1: line is over the limit of 8388608 bytes" err &&
	grep "2 records: 1 written" err
'

test_expect_success 'a table that does not exist: the service'"'"'s error, exit 5' '
	test_expect_code 5 cs-store -t no-such-table --endpoint-url "$E" input 2>err &&
	echo "cs-store: DescribeTable on '"'"'no-such-table'"'"': ResourceNotFoundException: Requested resource not found: Table: no-such-table not found" >expect &&
	test_cmp expect err
'

test_expect_success 'no service at the endpoint: exit 5' '
	port=$(services.sh freeport) &&
	test_expect_code 5 cs-store -t "$T" --endpoint-url "http://127.0.0.1:$port" --retry-budget 300 input 2>err &&
	grep "^cs-store: DescribeTable on '"'"'$T'"'"': " err
'

test_expect_success 'an unreadable input: the others are written, exit 3' '
	head -n 1 input >one &&
	test_expect_code 3 cs-store -t "$T" --endpoint-url "$E" no-such-file one 2>err &&
	grep "cannot open '"'"'no-such-file'"'"'" err
'

test_expect_success 'the rejects output cannot be written: exit 4' '
	test_expect_code 4 cs-store -t "$T" --endpoint-url "$E" --rejects /dev/full four 2>err &&
	grep "/dev/full" err
'

test_expect_success 'usage errors: exit 2' '
	test_expect_code 2 cs-store input 2>err && grep "no table" err &&
	test_expect_code 2 cs-store -t "$T" --parallel 0 input 2>err &&
	test_expect_code 2 cs-store -t "$T" --batch-size 26 input 2>err &&
	test_expect_code 2 cs-store -t "$T" --condition sometimes input 2>err &&
	test_expect_code 2 cs-store -t "$T" --ttl expires input 2>err &&
	test_expect_code 2 cs-store -t "$T" -m "{" input 2>err && grep "^cs-store: -m: " err &&
	test_expect_code 2 cs-store -t "$T" --endpoint-url "$E" --ttl IP=60 input 2>err &&
	grep "is a key attribute" err
'

test_done
