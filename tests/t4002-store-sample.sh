#!/bin/bash
# cs-store: the sample's table (IP, Timestamp) and mapping file; duplicate
# keys in a batch; the later record wins whatever --parallel; replaying the
# same input leaves the table exactly as one clean run did.
. "$(dirname "$0")/lib.sh"
services_need
E=$CS_DYNAMODB_ENDPOINT
MAP=$SRC_DIR/scripts/sample-mapping.jq

test_expect_success 'setup: the sample table and generated records' '
	T=$(unique_name sample) &&
	echo "$T" >table &&
	create_table "$T" IP Timestamp &&
	gen-records --count 300 --seed 42 >records &&
	test_line_count records 300
'

test_expect_success 'the mapping file writes the sample'"'"'s item shape' '
	T=$(cat table) &&
	cs-store -t "$T" --endpoint-url "$E" -m @"$MAP" records &&
	scan_sorted "$T" >scan1 &&
	test_line_count scan1 300 &&
	head -n 1 records | python3 -c "
import json, sys
r = json.loads(sys.stdin.readline())
want = {\"IP\": r[\"ip\"], \"Timestamp\": r[\"timestamp\"], \"Browser\": r[\"browser\"], \"URL\": r[\"url\"],
        \"Referrer\": r[\"referrer\"], \"OS\": r[\"os\"], \"Country\": r[\"country\"], \"Language\": r[\"language\"]}
want = {k: {\"S\": v} for k, v in want.items()}
items = [json.loads(l) for l in open(\"scan1\")]
assert want in items, want
"
'

test_expect_success 'missing fields are omitted, as the sample did' '
	T=$(cat table) &&
	echo "{\"ip\":\"10.0.0.1\",\"timestamp\":\"2018-02-04T23:18:32.866Z\",\"browser\":\"Chrome\"}" >partial &&
	cs-store -t "$T" --endpoint-url "$E" -m @"$MAP" partial &&
	dynamodb GetItem "{\"TableName\":\"$T\",\"Key\":{\"IP\":{\"S\":\"10.0.0.1\"},\"Timestamp\":{\"S\":\"2018-02-04T23:18:32.866Z\"}}}" >got &&
	echo "{\"Item\":{\"IP\":{\"S\":\"10.0.0.1\"},\"Timestamp\":{\"S\":\"2018-02-04T23:18:32.866Z\"},\"Browser\":{\"S\":\"Chrome\"}}}" >expect &&
	python3 -c "import json,sys; sys.exit(json.load(open(\"got\")) != json.load(open(\"expect\")))"
'

test_expect_success 'replaying the same input leaves the table exactly as it was' '
	T=$(unique_name replay) &&
	create_table "$T" IP Timestamp &&
	cs-store -t "$T" --endpoint-url "$E" -m @"$MAP" records &&
	scan_sorted "$T" >first &&
	cs-store -t "$T" --endpoint-url "$E" -m @"$MAP" --parallel 7 --batch-size 3 records &&
	scan_sorted "$T" >second &&
	test_cmp first second &&
	head -n 150 records >half &&
	cs-store -t "$T" --endpoint-url "$E" -m @"$MAP" half records &&
	scan_sorted "$T" >third &&
	test_cmp first third
'

test_expect_success 'duplicate keys in one batch are collapsed: the later wins, counted' '
	T=$(unique_name dup) &&
	create_table "$T" IP Timestamp &&
	cat >dups <<-\EOF &&
	{"IP":"1.1.1.1","Timestamp":"t1","v":"first"}
	{"IP":"2.2.2.2","Timestamp":"t1","v":"other"}
	{"IP":"1.1.1.1","Timestamp":"t1","v":"second"}
	{"IP":"1.1.1.1","Timestamp":"t2","v":"same ip, other time"}
	{"IP":"1.1.1.1","Timestamp":"t1","v":"third"}
	EOF
	cs-store -t "$T" --endpoint-url "$E" --stats dups 2>err &&
	grep "5 records: 3 written, 2 collapsed, 0 skipped, 0 rejected; 1 requests" err &&
	dynamodb GetItem "{\"TableName\":\"$T\",\"Key\":{\"IP\":{\"S\":\"1.1.1.1\"},\"Timestamp\":{\"S\":\"t1\"}}}" >got &&
	grep "\"v\":{\"S\":\"third\"}" got
'

test_expect_success 'many writes of few keys, many requests in flight: the last record of each key wins' '
	T=$(unique_name order) &&
	create_table "$T" IP Timestamp &&
	python3 -c "
for i in range(400):
    print(\"{\\\"IP\\\":\\\"k%d\\\",\\\"Timestamp\\\":\\\"t\\\",\\\"seq\\\":%d}\" % (i % 7, i))
" >many &&
	cs-store -t "$T" --endpoint-url "$E" --parallel 16 --batch-size 2 many &&
	scan_sorted "$T" >got &&
	python3 -c "
import json
last = {}
for l in open(\"many\"):
    r = json.loads(l); last[r[\"IP\"]] = r[\"seq\"]
got = {json.loads(l)[\"IP\"][\"S\"]: int(json.loads(l)[\"seq\"][\"N\"]) for l in open(\"got\")}
assert got == last, (got, last)
"
'

test_expect_success 'with a partial last batch and input from a pipe' '
	T=$(unique_name pipe) &&
	create_table "$T" IP Timestamp &&
	head -n 37 records | cs-store -t "$T" --endpoint-url "$E" -m @"$MAP" &&
	scan_sorted "$T" >got &&
	test_line_count got 37
'

test_done
