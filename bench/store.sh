#!/bin/bash
# store.sh - cs-store against boto3's batch_writer (bench/store_peer.py),
# writing the same generated records into the same local dynalite.
#
#   bench/store.sh            (or via bench/run.sh; not part of make check)
#
# Starts its own dynalite (scripts/services.sh), generates RECORDS (default
# 20,000) seed-shaped records with unique keys (scripts/gen-records), and
# writes them, each run into a fresh table of a freshly started dynalite:
#   - bin/cs-store, records as they are (table keyed ip/timestamp);
#   - the peer, the same;
#   - bin/cs-store -m @scripts/sample-mapping.jq and the peer with the same
#     mapping in Python (table keyed IP/Timestamp).
# Wall time and CPU time (user + system) of each process come from
# /usr/bin/time; every run is checked by a Scan count.  The goal: cs-store's
# CPU per item at most 1/10 of the peer's, its wall time at most half.
# Prints a Markdown section on stdout; the log goes to stderr.
. "$(dirname "$0")/lib.sh"

RECORDS=${RECORDS:-20000}
SEED=${SEED:-1}
PARALLEL=${PARALLEL:-4}

bench_need bin/cs-store /usr/bin/time boto3
bench_tmp
bench_own_services dynamodb

echo "store: generating $RECORDS records (seed $SEED)" >&2
gen-records --count "$RECORDS" --seed "$SEED" >"$tmp/in.ndjson"

count() { # TABLE: items in it, over every page
	/usr/bin/python3 - "$E" "$1" <<'PY'
import sys, boto3
t = boto3.resource("dynamodb", endpoint_url=sys.argv[1], region_name="us-east-1").Table(sys.argv[2])
n, kw = 0, {"Select": "COUNT"}
while True:
    r = t.scan(**kw)
    n += r["Count"]
    if "LastEvaluatedKey" not in r:
        break
    kw["ExclusiveStartKey"] = r["LastEvaluatedKey"]
print(n)
PY
}

# run NAME HASH RANGE CMD...: a fresh table, CMD timed; sets wall cpu
tables=0
run() {
	name=$1 hk=$2 rk=$3
	shift 3
	tables=$((tables + 1))
	T=bench-store-$tables
	# a fresh dynalite for every run: it slows down as it fills
	scripts/services.sh restart "$tmp/svc" dynamodb >&2
	scripts/services.sh create-table "$E" "$T" "$hk" "$rk"
	echo "store: $name" >&2
	cmd=()
	for a in "$@"; do cmd+=("${a//@TABLE@/$T}"); done
	bench_time "${cmd[@]}" >/dev/null 2>>"$tmp/log"
	n=$(count "$T")
	[ "$n" = "$RECORDS" ] || { echo "store: $name wrote $n items, not $RECORDS" >&2; cat "$tmp/log" >&2; exit 1; }
}

run "cs-store" ip timestamp bin/cs-store -t @TABLE@ --endpoint-url "$E" --parallel "$PARALLEL" "$tmp/in.ndjson"
cs_wall=$wall cs_cpu=$cpu
run "boto3 batch_writer" ip timestamp /usr/bin/python3 bench/store_peer.py "$E" @TABLE@ "$tmp/in.ndjson"
py_wall=$wall py_cpu=$cpu
run "cs-store -m @scripts/sample-mapping.jq" IP Timestamp bin/cs-store -t @TABLE@ --endpoint-url "$E" \
    --parallel "$PARALLEL" -m @scripts/sample-mapping.jq "$tmp/in.ndjson"
csm_wall=$wall csm_cpu=$cpu
run "boto3 batch_writer, mapped" IP Timestamp /usr/bin/python3 bench/store_peer.py "$E" @TABLE@ "$tmp/in.ndjson" --map
pym_wall=$wall pym_cpu=$cpu

cpu_r=$(ratio "$cs_cpu" "$py_cpu") wall_r=$(ratio "$cs_wall" "$py_wall")
cpum_r=$(ratio "$csm_cpu" "$pym_cpu") wallm_r=$(ratio "$csm_wall" "$pym_wall")

cat <<MD
## cs-store: NDJSON into DynamoDB

$RECORDS generated records (\`gen-records --count $RECORDS --seed $SEED\`, unique keys), each run
into a fresh table of a freshly started local dynalite; cs-store with \`--parallel $PARALLEL\`, the peer is
boto3 $(boto3_version) \`Table.batch_writer\` (bench/store_peer.py, one request at a time).
CPU is user + system time of the whole process, start-up included; every table was
checked by a Scan to hold all $RECORDS items.

| writer | wall s | items/s | CPU s | CPU µs/item |
|---|---:|---:|---:|---:|
| cs-store | $cs_wall | $(per_s "$cs_wall") | $cs_cpu | $(us_per "$cs_cpu") |
| boto3 batch_writer | $py_wall | $(per_s "$py_wall") | $py_cpu | $(us_per "$py_cpu") |
| cs-store -m @scripts/sample-mapping.jq | $csm_wall | $(per_s "$csm_wall") | $csm_cpu | $(us_per "$csm_cpu") |
| boto3 batch_writer, same mapping in Python | $pym_wall | $(per_s "$pym_wall") | $pym_cpu | $(us_per "$pym_cpu") |

- CPU per item, cs-store / peer: **$cpu_r** (goal ≤ 0.1: $(at_most "$cpu_r" 0.1)).
- Wall time, cs-store / peer: **$wall_r** (goal ≤ 0.5: $(at_most "$wall_r" 0.5)).
- With the jq mapping (no goal set; libjq runs the program for every record):
  CPU per item $cpum_r of the peer's, wall time $wallm_r.
- dynalite (node, one thread) does most of the work in both; the two cores of the
  machine are shared by the writer and dynalite.
MD
