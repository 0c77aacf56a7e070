#!/bin/sh
# cs-tail and KPL aggregates: it splits what AWS Labs' aws-kinesis-agg
# (npm) aggregates, exactly; the envelope keeps a user record's explicit
# hash key; a checkpoint stops inside an aggregate (sub-sequence number).
. "$(dirname "$0")/lib.sh"
services_need
E=$CS_KINESIS_ENDPOINT
AGG="node $TEST_DIR/data/kinesis-agg.js"

put() { cs-put --endpoint-url "$E" "$@"; }
tail_() { cs-tail --endpoint-url "$E" "$@"; }

test_expect_success 'setup: 2,000 records' '
	gen-records --count 2000 --seed 7 >in.ndjson
'

L=$(unique_name lib)
test_expect_success 'cs-tail splits what aws-kinesis-agg aggregates, exactly' '
	create_stream "$L" 1 &&
	head -n 2000 in.ndjson | python3 -c "
import json, sys
for i, l in enumerate(sys.stdin):
    r = json.loads(l)
    print(json.dumps({\"partitionKey\": r[\"ip\"], \"data\": r}))
" >users-in &&
	$AGG agg <users-in >envelopes &&
	test $(grep -c "" envelopes) -lt 50 &&
	put -s "$L" -E envelopes &&
	tail_ -s "$L" -e -J >lib-tail &&
	python3 -c "
import json
want = [json.loads(l) for l in open(\"users-in\")]
got = [json.loads(l) for l in open(\"lib-tail\")]
assert len(got) == len(want), (len(got), len(want))
for w, g in zip(want, got):
    assert g[\"partitionKey\"] == w[\"partitionKey\"], (g, w)
    assert g[\"data\"] == w[\"data\"], (g, w)
assert got[1][\"subSequenceNumber\"] == 1
"
'

test_expect_success 'cs-tail -J keeps a user record explicit hash key; cs-put -E puts it back with it' '
	X=$(unique_name ehk) &&
	create_stream "$X" 2 &&
	printf "%s\n" "{\"ip\":\"10.0.0.1\",\"h\":\"1\"}" "{\"ip\":\"10.0.0.2\",\"h\":\"2\"}" >ehk-in &&
	put -s "$X" -k .ip --explicit-hash-key .h --aggregate ehk-in &&
	tail_ -s "$X" -e -J >ehk-tail &&
	grep -q "\"explicitHashKey\":\"1\",\"partitionKey\":\"10.0.0.1\"" ehk-tail &&
	Y=$(unique_name ehk2) &&
	create_stream "$Y" 2 &&
	put -s "$Y" -E --results ehk-res ehk-tail &&
	test_line_count ehk-res 2 &&
	! grep -v "shardId-000000000000" ehk-res
'

C=$(unique_name ck)
test_expect_success 'cs-tail checkpoints stop inside an aggregate, and resume after its last user record out' '
	create_stream "$C" 1 &&
	head -n 100 in.ndjson >in100 &&
	put -s "$C" -k .ip --aggregate --results res100 in100 &&
	test $(grep -c "\"SubSequenceNumber\":99" res100) = 1 &&
	tail_ -s "$C" -e -n 30 --checkpoint ck >part1 &&
	grep -q "\"subSequenceNumber\":29," ck &&
	tail_ -s "$C" -e -n 50 --checkpoint ck >part2 &&
	grep -q "\"subSequenceNumber\":79," ck &&
	tail_ -s "$C" -e --checkpoint ck >part3 &&
	! grep -q subSequenceNumber ck &&
	cat part1 part2 part3 >parts &&
	test_cmp in100 parts &&
	tail_ -s "$C" -e --checkpoint ck >again &&
	test_must_be_empty again
'

test_expect_success 'cs-tail --exec: a batch that ends inside an aggregate moves the checkpoint there' '
	tail_ -s "$C" -e --checkpoint ck2 --batch-size 30 --exec "cat >>xgot; cat ck2 >>cks 2>/dev/null; :" &&
	test_cmp in100 xgot &&
	grep -o "\"subSequenceNumber\":[0-9]*" cks >subs &&
	printf "%s\n" "\"subSequenceNumber\":29" "\"subSequenceNumber\":59" "\"subSequenceNumber\":89" >want-subs &&
	test_cmp want-subs subs &&
	! grep -q subSequenceNumber ck2
'

kinesis_mock_need
test_expect_success '--consumer (enhanced fan-out, on kinesis-mock) resumes inside an aggregate too' '
	F=$(unique_name fanout) &&
	"$SRC_DIR/scripts/services.sh" create-stream "$KM" "$F" 1 &&
	cs-put --endpoint-url "$KM" -s "$F" -k .ip --aggregate in100 &&
	cs-tail --endpoint-url "$KM" -s "$F" -e -n 40 --checkpoint ckf >f1 &&
	grep -q "\"subSequenceNumber\":39," ckf &&
	timeout 90 cs-tail --endpoint-url "$KM" -s "$F" -e --consumer agg1 --checkpoint ckf >f2 &&
	cat f1 f2 >fparts &&
	test_cmp in100 fparts
'

test_done
