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
. "$(dirname "$0")/lib.sh"

RECORDS=${RECORDS:-100000}
SEED=${SEED:-1}
SHARDS=${SHARDS:-4}

bench_need bin/cs-put /usr/bin/time boto3
bench_tmp
bench_own_services kinesis

echo "put: generating $RECORDS records (seed $SEED)" >&2
gen-records --count "$RECORDS" --seed "$SEED" >"$tmp/in.ndjson"
bytes=$(wc -c <"$tmp/in.ndjson")

# run NAME CMD...: a fresh stream in a fresh kinesalite, CMD timed; sets wall cpu
run() {
	name=$1
	shift
	bench_fresh_stream "$SHARDS"
	echo "put: $name" >&2
	cmd=()
	for a in "$@"; do cmd+=("${a//@STREAM@/$S}"); done
	bench_time "${cmd[@]}" >/dev/null 2>>"$tmp/log"
	n=$(bench_count_stream "$E" "$S")
	[ "$n" = "$RECORDS" ] || { echo "put: $name put $n records, not $RECORDS" >&2; cat "$tmp/log" >&2; exit 1; }
}

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
$(boto3_version) \`put_records\` (bench/put_peer.py: 500 a request, one at a time, failed entries
re-sent). CPU is user + system time of the whole process, start-up included; every
stream was read back (GetRecords over every shard) and held all $RECORDS records.

| producer | wall s | records/s | CPU s | CPU µs/record |
|---|---:|---:|---:|---:|
| cs-put | $cs_wall | $(per_s "$cs_wall") | $cs_cpu | $(us_per "$cs_cpu") |
| boto3 peer | $py_wall | $(per_s "$py_wall") | $py_cpu | $(us_per "$py_cpu") |
| cs-put -k .ip (jq path, keys kept in order) | $csk_wall | $(per_s "$csk_wall") | $csk_cpu | $(us_per "$csk_cpu") |

- CPU per record, cs-put / peer: **$cpu_r** (goal ≤ 0.1: $(at_most "$cpu_r" 0.1)).
- Wall time, cs-put / peer: **$wall_r** (goal ≤ 1: $(at_most "$wall_r" 1)).
- kinesalite (node, one thread) does most of the work in both; the two cores of the
  machine are shared by the producer and kinesalite.
MD
