#!/bin/sh
# cs-tail -J | cs-put --envelope: a stream copied record for record, the
# exact bytes and partition keys kept.
. "$(dirname "$0")/lib.sh"
services_need
E=$CS_KINESIS_ENDPOINT
A=$(unique_name from)
B=$(unique_name to)

put_one() { # STREAM KEY BASE64
	kinesis PutRecord "{\"StreamName\":\"$1\",\"PartitionKey\":\"$2\",\"Data\":\"$3\"}" >/dev/null
}

# the (partition key, data) pairs of a -J dump, sorted
pairs() {
	python3 -c "
import base64, json, sys
out = []
for l in open(sys.argv[1]):
    e = json.loads(l)
    # data is the last member: its exact text
    d = base64.b64decode(e[\"dataBase64\"]) if \"dataBase64\" in e else l[l.index(\",\\\"data\\\":\") + 8:-2].encode()
    out.append((e[\"partitionKey\"], base64.b64encode(d).decode()))
for k, d in sorted(out):
    print(k, d)" "$1"
}

test_expect_success 'setup: records of every kind' '
	create_stream "$A" 2 &&
	create_stream "$B" 3 &&
	put_one "$A" k1 "$(printf "{\"ip\":\"1.2.3.4\",\"n\":1}" | base64 -w0)" &&
	put_one "$A" "ké" "$(printf "{\"a\":\"caf\303\251\"}" | base64 -w0)" &&
	put_one "$A" k3 "$(printf "plain text\nwith a newline" | base64 -w0)" &&
	put_one "$A" k4 "$(printf "\377\376\000\001" | base64 -w0)" &&
	put_one "$A" k5 "$(printf "%s" "\"{\\\"ip\\\":\\\"0.0.0.0\\\"}\"" | base64 -w0)" &&
	put_one "$A" k6 "$(printf "[1, 2,  3]" | base64 -w0)" &&
	for i in $(seq 1 30); do put_one "$A" "p$i" "$(printf "{\"n\":$i}" | base64 -w0)" || exit 1; done
'

test_expect_success 'cs-tail -J | cs-put --envelope copies the stream exactly' '
	cs-tail --endpoint-url "$E" -s "$A" -e -J >a.env &&
	test_line_count a.env 36 &&
	cs-put --endpoint-url "$E" -s "$B" --envelope <a.env 2>put.err &&
	cs-tail --endpoint-url "$E" -s "$B" -e -J >b.env &&
	test_line_count b.env 36 &&
	pairs a.env >a.pairs &&
	pairs b.env >b.pairs &&
	test_cmp a.pairs b.pairs
'

test_expect_success 'the copy keeps each partition key on the shard its hash names' '
	python3 -c "
import json
shard = {}
for l in open(\"b.env\"):
    e = json.loads(l)
    assert shard.setdefault(e[\"partitionKey\"], e[\"shardId\"]) == e[\"shardId\"]
"
'

test_done
