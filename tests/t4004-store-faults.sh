#!/bin/bash
# cs-store against a stub in front of dynalite: UnprocessedItems re-sent
# (and only they), throttling and 500s retried, what never gets through
# rejected with the reason, SIGINT finishing what is in flight.
. "$(dirname "$0")/lib.sh"
services_need
E=$CS_DYNAMODB_ENDPOINT
MAP=$SRC_DIR/scripts/sample-mapping.jq

# start_stub NAME ARGS...: the stub in front of dynalite; its URL in $STUB
start_stub() { stub_run dynamodb-faults.py "$1" --upstream "$E" "${@:2}"; }

gen-records --count 120 --seed 9 >records

test_expect_success_here 'UnprocessedItems, throttling and 500s: everything written in the end' '
	T=$(unique_name faults) &&
	create_table "$T" IP Timestamp &&
	start_stub a --plan "unprocessed:3,throttle,unprocessed:25,500,throttling,unprocessed:1,pass,unprocessed:2" &&
	cs-store -t "$T" --endpoint-url "$STUB" -m @"$MAP" --stats --metrics-file m.prom records 2>err &&
	grep "120 records: 120 written, 0 collapsed, 0 skipped, 0 rejected" err &&
	# cs(7): the items DynamoDB handed back unprocessed, each counted once per return
	n=$(python3 -c "import json; print(sum(len(json.loads(l).get(\"unprocessed\", [])) for l in open(\"a.log\")))") &&
	test "$n" -gt 0 &&
	grep -qx "cs_store_items_resent_total $n" m.prom &&
	awk -v now="$(date +%s)" "/^cs_store_last_success_timestamp_seconds / { ok = \$2 > now - 120 && \$2 <= now + 1 } END { exit !ok }" m.prom &&
	dynamodb Scan "{\"TableName\":\"$T\",\"Select\":\"COUNT\"}" >count &&
	grep "\"Count\":120" count
'

test_expect_success 'only the unprocessed items (and the refused requests) were sent again' '
	python3 -c "
import collections, json
sent = collections.Counter(); extra = collections.Counter()
for l in open(\"a.log\"):
    e = json.loads(l)
    sent.update(e[\"keys\"])
    extra.update(e.get(\"unprocessed\", []))
    if e[\"status\"] != 200:
        extra.update(e[\"keys\"])
assert sum(extra.values()) > 30, extra
for k, n in sent.items():
    assert n == 1 + extra[k], (k, n, extra[k])
assert len(sent) == 120, len(sent)
"
'

test_expect_success_here 'items never processed: rejected with the reason once the budget is spent, exit 1' '
	T=$(unique_name never) &&
	create_table "$T" IP Timestamp &&
	start_stub b --always unprocessed &&
	head -n 30 records >thirty &&
	test_expect_code 1 cs-store -t "$T" --endpoint-url "$STUB" -m @"$MAP" --retry-budget 400 \
	    --rejects rj thirty &&
	test_line_count rj 30 &&
	grep -c "\"error\":\"UnprocessedItems\",\"reason\":\"BatchWriteItem on '"'"'$T'"'"': still in UnprocessedItems after" rj >n &&
	echo 30 >expect && test_cmp expect n &&
	python3 -c "
import json
recs = [json.loads(l)[\"record\"] for l in open(\"rj\")]
assert sorted(recs) == sorted(l.rstrip(\"\n\") for l in open(\"thirty\"))
"
'

test_expect_success_here 'throttled for good: rejected with the service'"'"'s code and message' '
	T=$(unique_name throttled) &&
	create_table "$T" IP Timestamp &&
	start_stub c --always throttle &&
	head -n 5 records >five &&
	test_expect_code 1 cs-store -t "$T" --endpoint-url "$STUB" -m @"$MAP" --retry-budget 300 five 2>err &&
	test_line_count err 5 &&
	grep "five:1: BatchWriteItem on '"'"'$T'"'"': ProvisionedThroughputExceededException: The level of configured provisioned throughput for the table was exceeded. (gave up after" err
'

test_expect_success_here 'requests in flight at once never share a key; the last record of each key wins' '
	T=$(unique_name overlap) &&
	create_table "$T" IP Timestamp &&
	start_stub f --delay-ms 30 --plan "pass,unprocessed:1,pass,unprocessed:2,pass,unprocessed:1,throttle,pass,unprocessed:3" &&
	python3 -c "
for i in range(300):
    print(\"{\\\"IP\\\":\\\"k%d\\\",\\\"Timestamp\\\":\\\"t\\\",\\\"seq\\\":%d}\" % (i % 11, i))
" >keys300 &&
	cs-store -t "$T" --endpoint-url "$STUB" --parallel 8 --batch-size 3 --stats keys300 2>err &&
	grep " 0 rejected" err &&
	python3 -c "
import json
log = [json.loads(l) for l in open(\"f.log\")]
overlaps = 0
for i, a in enumerate(log):
    for b in log[i + 1:]:
        if a[\"t0\"] < b[\"t1\"] and b[\"t0\"] < a[\"t1\"]:
            overlaps += 1
            assert not set(a[\"keys\"]) & set(b[\"keys\"]), (a, b)
assert overlaps > 10, overlaps
" &&
	dynamodb Scan "{\"TableName\":\"$T\"}" >scan &&
	python3 -c "
import json
last = {}
for l in open(\"keys300\"):
    r = json.loads(l); last[r[\"IP\"]] = r[\"seq\"]
got = {i[\"IP\"][\"S\"]: int(i[\"seq\"][\"N\"]) for i in json.load(open(\"scan\"))[\"Items\"]}
assert got == last, (got, last)
"
'

test_expect_success_here 'a batch refused whole (ValidationException) is sent again item by item' '
	T=$(unique_name split) &&
	create_table "$T" IP Timestamp &&
	start_stub e --plan "invalid,pass,invalid" &&
	head -n 4 records >four &&
	test_expect_code 1 cs-store -t "$T" --endpoint-url "$STUB" -m @"$MAP" --parallel 1 --rejects rj3 four &&
	python3 -c "
import json
log = [json.loads(l) for l in open(\"e.log\")]
assert [len(e[\"keys\"]) for e in log] == [4, 1, 1, 1, 1], log
" &&
	test_line_count rj3 1 &&
	grep "\"line\":2,\"error\":\"ValidationException\",\"reason\":\"BatchWriteItem on '"'"'$T'"'"': ValidationException: One or more parameter values were invalid\"" rj3 &&
	dynamodb Scan "{\"TableName\":\"$T\",\"Select\":\"COUNT\"}" >count &&
	grep "\"Count\":3" count
'

test_expect_success_here 'SIGINT: requests in flight finish, the rest goes to the rejects, exit 6' '
	T=$(unique_name sigint) &&
	create_table "$T" IP Timestamp &&
	start_stub d --always unprocessed &&
	{ cs-store -t "$T" --endpoint-url "$STUB" -m @"$MAP" --stats --rejects rj2 records 2>err & pid=$!; } &&
	test_wait_for 10 "test -s d.log" &&
	sleep 0.3 &&
	kill -INT $pid &&
	{ wait $pid; rc=$?; } ;
	test "$rc" = 6 &&
	test_line_count rj2 120 &&
	grep "120 records: 0 written" err &&
	grep -c "\"error\":\"Interrupted\"" rj2
'

test_done
