#!/bin/bash
# tail.sh - cs-tail -e against a boto3 reader (bench/tail_peer.py), reading
# the same records from the same local kinesalite; and the latency from
# put to stdout of a following cs-tail.
#
#   bench/tail.sh             (or via bench/run.sh; not part of make check)
#
# Starts its own kinesalite (scripts/services.sh), fills a stream of SHARDS
# (default 4) shards with RECORDS (default 100,000) seed-shaped records
# (scripts/gen-records | bin/cs-put, or PutRecords calls when cs-put is not
# built), then reads them all with bin/cs-tail -e and with the peer, each
# timed by /usr/bin/time and checked for the record count.  The goal:
# cs-tail's CPU per record at most 1/10 of the peer's, its wall time no
# worse.  Then LATENCY (default 200) records are put one at a time while
# cs-tail follows, and p50/p99 of put-to-stdout are reported (goal: within
# 500 ms on loopback).  Prints a Markdown section on stdout; the log goes
# to stderr.
. "$(dirname "$0")/lib.sh"

RECORDS=${RECORDS:-100000}
SHARDS=${SHARDS:-4}
LATENCY=${LATENCY:-200}
SEED=${SEED:-1}

bench_need bin/cs-tail /usr/bin/time boto3
bench_tmp
bench_own_services kinesis
S=bench-tail

scripts/services.sh create-stream "$E" "$S" "$SHARDS"
echo "tail: putting $RECORDS records into $SHARDS shards" >&2
gen-records --count "$RECORDS" --seed "$SEED" --bad-ratio 0 >"$tmp/in.ndjson"
if [ -x bin/cs-put ]; then
	cs-put -q -s "$S" --endpoint-url "$E" "$tmp/in.ndjson" >&2
else
	/usr/bin/python3 - "$E" "$S" "$tmp/in.ndjson" <<'PY'
import sys, boto3
k = boto3.client("kinesis", endpoint_url=sys.argv[1], region_name="us-east-1")
lines = open(sys.argv[3], "rb").read().splitlines()
for i in range(0, len(lines), 500):
    recs = [{"Data": l, "PartitionKey": str(i + j)} for j, l in enumerate(lines[i:i + 500])]
    while recs:
        r = k.put_records(StreamName=sys.argv[2], Records=recs)
        recs = [x for x, y in zip(recs, r["Records"]) if "ErrorCode" in y]
PY
fi

bench_read "cs-tail -e" cs-tail -s "$S" -e --endpoint-url "$E"
sort "$tmp/out" >"$tmp/cs.sorted"
cs_wall=$wall cs_cpu=$cpu
bench_read "boto3 peer" /usr/bin/python3 bench/tail_peer.py "$E" "$S"
sort "$tmp/out" >"$tmp/peer.sorted"
peer_wall=$wall peer_cpu=$cpu
cmp -s "$tmp/cs.sorted" "$tmp/peer.sorted" || { echo "tail: cs-tail and the peer read different records" >&2; exit 1; }

scripts/services.sh create-stream "$E" "$S-follow" "$SHARDS"
echo "tail: latency, $LATENCY records while following" >&2
read -r p50 p99 pmax < <(/usr/bin/python3 bench/tail_latency.py "$E" "$S-follow" "$LATENCY" \
    "$top/bin/cs-tail" -s "$S-follow" --endpoint-url "$E")

cpu_ratio=$(ratio "$cs_cpu" "$peer_cpu")
wall_ratio=$(ratio "$cs_wall" "$peer_wall")
cat <<MD
## cs-tail: reading a stream (bench/tail.sh)

$RECORDS records in $SHARDS shards of a local kinesalite, read to the end
(\`cs-tail -e\`) and by a boto3 loop over ListShards, GetShardIterator and
GetRecords (\`bench/tail_peer.py\`); both outputs hold the same records.
CPU is user + system time of the reading process (kinesalite not counted).

| reader | wall s | CPU s | CPU µs/record | records/s |
|---|---:|---:|---:|---:|
| cs-tail -e | $cs_wall | $cs_cpu | $(us_per "$cs_cpu") | $(per_s "$cs_wall") |
| boto3 peer | $peer_wall | $peer_cpu | $(us_per "$peer_cpu") | $(per_s "$peer_wall") |

- CPU per record, cs-tail / peer: **$cpu_ratio** (goal ≤ 0.1: $(at_most "$cpu_ratio" 0.1))
- wall time, cs-tail / peer: **$wall_ratio** (goal ≤ 1: $(at_most "$wall_ratio" 1))
- put → stdout while following ($LATENCY records put one at a time, 50 ms apart, $SHARDS shards):
  p50 **$p50 ms**, p99 **$p99 ms**, max $pmax ms (goal ≤ 500 ms: $(at_most "$p99" 500))
MD
