#!/bin/bash
# cs-store through the fault proxy (throttling, 500s, resets, lost answers,
# truncated answers, UnprocessedItems): the table ends exactly as a clean
# run leaves it, the last record of each key winning, nothing rejected.
. "$(dirname "$0")/lib.sh"
services_need
E=$CS_DYNAMODB_ENDPOINT

test_expect_success 'setup: three passes over 600 keys, each pass changing every item' '
	gen-records --count 600 --seed 5 >base &&
	python3 -c "
import json
base = [json.loads(l) for l in open(\"base\")]
for p in range(3):
    for r in base:
        r = dict(r, ip=r[\"ip\"], timestamp=r[\"timestamp\"], pass_=p)
        print(json.dumps(r))
" >records &&
	test_line_count records 1800
'

test_expect_success 'a clean run' '
	T=$(unique_name clean) && echo "$T" >clean.name &&
	create_table "$T" ip timestamp &&
	cs-store -t "$T" --endpoint-url "$E" records &&
	scan_sorted "$T" >clean &&
	test_line_count clean 600 &&
	grep -c "\"pass_\": {\"N\": \"2\"}" clean >n && echo 600 >expect && test_cmp expect n
'

start_proxy() {
	stub_run faultproxy.py fp --upstream "$E" \
	    --seed 7 --throttle 0.1 --error 0.1 --reset 0.05 --lost 0.05 --truncate 0.05 --partial 0.25 \
	    --ops BatchWriteItem
}

test_expect_success_here 'the same through the fault proxy: the same table' '
	T=$(unique_name chaos) &&
	create_table "$T" ip timestamp &&
	start_proxy &&
	cs-store -t "$T" --endpoint-url "http://127.0.0.1:$(cat fp.port)" --parallel 8 --batch-size 10 \
	    --retry-budget 30000 --stats records 2>err &&
	grep "1800 records: " err &&
	grep " 0 rejected" err &&
	scan_sorted "$T" >chaos &&
	test_cmp clean chaos
'

test_expect_success 'the proxy did inject each kind of fault' '
	for f in throttle error reset lost truncate partial; do
		grep -q "\"fault\": *\"$f\"" fp.log || { echo "no $f"; exit 1; }
	done
'

test_done
