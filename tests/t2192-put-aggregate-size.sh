#!/bin/sh
# cs-put --aggregate: the size of each aggregate, read back raw from the
# stream.  The KPL bounds an aggregate by AggregationMaxSize (51,200 by
# default) counting its bytes as sent, magic, protobuf and MD5
# (KinesisRecord::accurate_size), not its partition key "a"; cs-put counts
# the same.  Every aggregate stays within the bound, and the full ones come
# close to it: one more of the input's user records would not have fitted.
. "$(dirname "$0")/lib.sh"
services_need
E=$CS_KINESIS_ENDPOINT
AGG="node $TEST_DIR/data/kinesis-agg.js"

# check_sizes RAW MAX: every aggregate of RAW (readback --json) at most MAX
# bytes, all but the last of the request within one user record of it
check_sizes() {
	python3 - "$1" "$2" in.ndjson <<'PY'
import base64, json, sys
raw, limit, inp = sys.argv[1], int(sys.argv[2]), sys.argv[3]
# what one user record can add at most: its data, its key in the table and
# the protobuf's tags, lengths and index (3 varints of at most 3 bytes, 4 tags)
cost = max(len(l) + len(json.loads(l)["ip"]) + 13 for l in open(inp, "rb").read().splitlines())
sizes = []
for l in open(raw):
    r = json.loads(l)
    d = base64.b64decode(r["Data"])
    assert d[:4] == b"\xf3\x89\x9a\xc2", "a record sent plain: %d bytes" % len(d)
    assert r["PartitionKey"] == "a", r["PartitionKey"]
    sizes.append(len(d))
sizes.sort()
assert sizes[-1] <= limit, "an aggregate of %d bytes, over %d" % (sizes[-1], limit)
short = [s for s in sizes if s <= limit - cost]
assert len(short) <= 1, "aggregates not full: %r (limit %d, a user record adds up to %d)" % (short, limit, cost)
print("%d aggregates, %d to %d bytes (limit %d)" % (len(sizes), sizes[0], sizes[-1], limit))
PY
}

test_expect_success 'setup: 3,000 records' '
	gen-records --count 3000 --seed 11 >in.ndjson
'

S=$(unique_name default)
test_expect_success 'by default each aggregate is at most 51,200 bytes, and the full ones close to it' '
	create_stream "$S" 1 &&
	cs-put --endpoint-url "$E" -s "$S" -k .ip --aggregate --linger 5000 --stats in.ndjson 2>err &&
	cat err &&
	grep -q "3000 delivered" err &&
	readback "$S" --json >raw.ndjson &&
	check_sizes raw.ndjson 51200 >summary &&
	cat summary &&
	n=$(sed "s/ .*//" summary) &&
	test "$n" -ge 12 &&
	$AGG deagg <raw.ndjson >users.ndjson &&
	test_line_count users.ndjson 3000
'

S2=$(unique_name explicit)
test_expect_success '--aggregate-max-bytes 10000: each at most 10,000 bytes, the full ones close to it' '
	create_stream "$S2" 1 &&
	cs-put --endpoint-url "$E" -s "$S2" -k .ip --aggregate --aggregate-max-bytes 10000 \
	    --linger 5000 --stats in.ndjson 2>err2 &&
	grep -q "3000 delivered" err2 &&
	readback "$S2" --json >raw2.ndjson &&
	check_sizes raw2.ndjson 10000 >summary2 &&
	cat summary2 &&
	n=$(sed "s/ .*//" summary2) &&
	test "$n" -ge 70 &&
	$AGG deagg <raw2.ndjson >users2.ndjson &&
	test_line_count users2.ndjson 3000
'

test_done
