#!/bin/bash
# cs-store --condition new-only (never overwrite) and --ttl.
. "$(dirname "$0")/lib.sh"
services_need
E=$CS_DYNAMODB_ENDPOINT
T=$(unique_name cond)

get_v() { dynamodb GetItem "{\"TableName\":\"$T\",\"Key\":{\"IP\":{\"S\":\"$1\"},\"Timestamp\":{\"S\":\"t\"}}}"; }

test_expect_success 'setup: a table holding one item' '
	create_table "$T" IP Timestamp &&
	dynamodb PutItem "{\"TableName\":\"$T\",\"Item\":{\"IP\":{\"S\":\"old\"},\"Timestamp\":{\"S\":\"t\"},\"v\":{\"S\":\"old\"}}}" >/dev/null
'

test_expect_success 'new-only: existing keys are kept (counted, not an error), the first record of a new key wins' '
	cat >in <<-\EOF &&
	{"IP":"old","Timestamp":"t","v":"new"}
	{"IP":"fresh","Timestamp":"t","v":"first"}
	{"IP":"fresh","Timestamp":"t","v":"second"}
	{"IP":"other","Timestamp":"t","v":"x"}
	EOF
	cs-store -t "$T" --endpoint-url "$E" --condition new-only --parallel 4 --stats in 2>err &&
	grep "4 records: 2 written, 0 collapsed, 2 exist (kept), 0 skipped, 0 rejected" err &&
	get_v old | grep "\"v\":{\"S\":\"old\"}" &&
	get_v fresh | grep "\"v\":{\"S\":\"first\"}" &&
	get_v other | grep "\"v\":{\"S\":\"x\"}"
'

test_expect_success 'new-only twice over the same input changes nothing' '
	cs-store -t "$T" --endpoint-url "$E" --condition new-only --stats in 2>err &&
	grep "4 records: 0 written, 0 collapsed, 4 exist (kept)" err &&
	get_v fresh | grep "\"v\":{\"S\":\"first\"}"
'

test_expect_success 'overwrite (the default): the later record wins' '
	cs-store -t "$T" --endpoint-url "$E" --condition overwrite in &&
	get_v old | grep "\"v\":{\"S\":\"new\"}" &&
	get_v fresh | grep "\"v\":{\"S\":\"second\"}"
'

test_expect_success '--ttl stamps now + SECONDS as a number, replacing the record'"'"'s own' '
	echo "{\"IP\":\"ttl\",\"Timestamp\":\"t\",\"expires\":\"soon\"}" >ttl &&
	now=$(date +%s) &&
	cs-store -t "$T" --endpoint-url "$E" --ttl expires=3600 ttl &&
	get_v ttl >got &&
	n=$(python3 -c "import json; print(json.load(open(\"got\"))[\"Item\"][\"expires\"][\"N\"])") &&
	test "$n" -ge $((now + 3600)) &&
	test "$n" -le $((now + 3610))
'

test_done
