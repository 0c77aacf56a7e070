#!/bin/bash
# put.sh - cs-put against the boto3 peer (bench/put_peer.py), putting the
# same generated records into the same local kinesalite.
#
#   bench/put.sh            (or via bench/run.sh; not part of make check)
#
# Starts its own kinesalite (scripts/services.sh), generates RECORDS
# (default 100,000) seed-shaped records (scripts/gen-records), and puts
# them, each run into a fresh stream of SHARDS shards (default 4) of a
# freshly started kinesalite: bin/cs-put (default options) and the peer
# (500 records a PutRecords, failed entries re-sent).  Wall time and CPU
# time (user + system) of each process come from /usr/bin/time; every run
# is checked by reading the stream back (every shard, GetRecords) and
# counting its records.  The goal: cs-put's CPU per record at most 1/10 of
# the peer's, its wall time no worse.  Prints a Markdown section on
# stdout; the log goes to stderr.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
export PATH=$top/bin:$top/scripts:$PATH
export LC_ALL=C.UTF-8
export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-AKIDLOCAL}
export AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-localsecret}
export AWS_REGION=${AWS_REGION:-us-east-1}

RECORDS=${RECORDS:-100000}
SEED=${SEED:-1}
SHARDS=${SHARDS:-4}

[ -x bin/cs-put ] || { echo "put: build first (make)" >&2; exit 1; }
/usr/bin/python3 -c 'import boto3' 2>/dev/null || { echo "put: needs python3-boto3" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cs-bench-put.XXXXXX")
trap 'scripts/services.sh stop "$tmp/svc" kinesis >/dev/null 2>&1; rm -rf "$tmp"' EXIT
scripts/services.sh start "$tmp/svc" kinesis >&2
. "$tmp/svc/services.env"
E=$CS_KINESIS_ENDPOINT

echo "put: generating $RECORDS records (seed $SEED)" >&2
gen-records --count "$RECORDS" --seed "$SEED" >"$tmp/in.ndjson"
bytes=$(wc -c <"$tmp/in.ndjson")

count() { # STREAM: records in it, over every shard
	/usr/bin/python3 - "$E" "$1" <<'PY'
import sys, boto3
c = boto3.client("kinesis", endpoint_url=sys.argv[1], region_name="us-east-1")
n = 0
for s in c.list_shards(StreamName=sys.argv[2])["Shards"]:
    it = c.get_shard_iterator(StreamName=sys.argv[2], ShardId=s["ShardId"],
                              ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    while it:
        r = c.get_records(ShardIterator=it, Limit=10000)
        n += len(r["Records"])
        if not r["Records"] and r.get("MillisBehindLatest", 0) == 0:
            break
        it = r.get("NextShardIterator")
print(n)
PY
}

# run NAME CMD...: a fresh stream in a fresh kinesalite, CMD timed; sets wall cpu
streams=0
run() {
	name=$1
	shift
	streams=$((streams + 1))
	S=bench-put-$streams
	scripts/services.sh restart "$tmp/svc" kinesis >&2
	scripts/services.sh create-stream "$E" "$S" "$SHARDS"
	echo "put: $name" >&2
	cmd=()
	for a in "$@"; do cmd+=("${a//@STREAM@/$S}"); done
	/usr/bin/time -f '%e %U %S' -o "$tmp/time" "${cmd[@]}" >/dev/null 2>>"$tmp/log"
	read -r wall user sys <"$tmp/time"
	cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
	n=$(count "$S")
	[ "$n" = "$RECORDS" ] || { echo "put: $name put $n records, not $RECORDS" >&2; cat "$tmp/log" >&2; exit 1; }
}
us_per() { awk -v c="$1" -v n="$RECORDS" 'BEGIN { printf "%.1f", c * 1e6 / n }'; }
per_s() { awk -v w="$1" -v n="$RECORDS" 'BEGIN { printf "%d", (w > 0 ? n / w : 0) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }'; }
verdict() { awk -v r="$1" -v lim="$2" 'BEGIN { print (r <= lim ? "met" : "NOT met") }'; }

run "cs-put" bin/cs-put -s @STREAM@ --endpoint-url "$E" "$tmp/in.ndjson"
cs_wall=$wall cs_cpu=$cpu
run "boto3 peer" /usr/bin/python3 bench/put_peer.py "$E" @STREAM@ "$tmp/in.ndjson"
py_wall=$wall py_cpu=$cpu
run "cs-put -k .ip" bin/cs-put -s @STREAM@ --endpoint-url "$E" -k .ip "$tmp/in.ndjson"
csk_wall=$wall csk_cpu=$cpu

cpu_r=$(ratio "$cs_cpu" "$py_cpu") wall_r=$(ratio "$cs_wall" "$py_wall")

cat <<MD
## cs-put: NDJSON into Kinesis

$RECORDS generated records ($bytes bytes, \`gen-records --count $RECORDS --seed $SEED\`), each run into
a fresh $SHARDS-shard stream of a freshly started local kinesalite; cs-put with its defaults
(500 records a request, 4 in flight, key = hash of the record), the peer is boto3
$(/usr/bin/python3 -c 'import boto3; print(boto3.__version__)') \`put_records\` (bench/put_peer.py: 500 a request, one at a time, failed entries
re-sent). CPU is user + system time of the whole process, start-up included; every
stream was read back (GetRecords over every shard) and held all $RECORDS records.

| producer | wall s | records/s | CPU s | CPU µs/record |
|---|---:|---:|---:|---:|
| cs-put | $cs_wall | $(per_s "$cs_wall") | $cs_cpu | $(us_per "$cs_cpu") |
| boto3 peer | $py_wall | $(per_s "$py_wall") | $py_cpu | $(us_per "$py_cpu") |
| cs-put -k .ip (jq path, keys kept in order) | $csk_wall | $(per_s "$csk_wall") | $csk_cpu | $(us_per "$csk_cpu") |

- CPU per record, cs-put / peer: **$cpu_r** (goal ≤ 0.1: $(verdict "$cpu_r" 0.1)).
- Wall time, cs-put / peer: **$wall_r** (goal ≤ 1: $(verdict "$wall_r" 1)).
- kinesalite (node, one thread) does most of the work in both; the two cores of the
  machine are shared by the producer and kinesalite.
MD
