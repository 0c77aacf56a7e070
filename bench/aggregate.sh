#!/bin/bash
# aggregate.sh - cs-put with and without --aggregate (KPL aggregation per
# shard): what Kinesis is sent and billed, and how fast a shard fills.
#
#   bench/aggregate.sh      (or via bench/run.sh; not part of make check)
#
# 1. Counts: RECORDS generated records (default 1,000,000; scripts/gen-records)
#    put with -k .ip into a SHARDS-shard stream (default 4) through
#    bench/shardlimit.py --unlimited, which counts what was accepted: Kinesis
#    records, PUT payload units (25 KB chunks of each record, rounded up) and
#    on-demand billed KB (each record rounded up to 1 KB; data and partition
#    key).  The aggregated run goes on to a fresh kinesalite and is read back
#    whole (cs-tail -e --limit 200, which splits the aggregates: 200 of them
#    are 10 MB, what one GetRecords gives at most); the plain one is
#    answered by the proxy itself (--sink: kinesalite stores a million
#    separate records too slowly for a bench of minutes).  CPU time (user +
#    system) of cs-put from /usr/bin/time.
# 2. Speed per shard: a 1-shard stream behind bench/shardlimit.py enforcing
#    the service's write limits (1,000 records/s and 1 MiB/s per shard,
#    ProvisionedThroughputExceededException beyond); PLAIN_N records
#    (default 15,000) plain and AGG_N (default 60,000) aggregated, records per
#    second of wall time.
# Prints a Markdown section on stdout; the log goes to stderr.
. "$(dirname "$0")/lib.sh"

RECORDS=${RECORDS:-1000000}
SEED=${SEED:-1}
SHARDS=${SHARDS:-4}
PLAIN_N=${PLAIN_N:-15000}
AGG_N=${AGG_N:-60000}

bench_need bin/cs-put bin/cs-tail /usr/bin/time python3
bench_tmp
bench_own_services kinesis

echo "aggregate: generating $RECORDS records (seed $SEED)" >&2
gen-records --count "$RECORDS" --seed "$SEED" >"$tmp/in.ndjson"
bytes=$(wc -c <"$tmp/in.ndjson")

# proxy NAME [shardlimit options]: start bench/shardlimit.py in front of $E; sets P (its URL)
proxy() {
	name=$1
	shift
	rm -f "$tmp/$name.port"
	python3 bench/shardlimit.py --upstream "$E" --port-file "$tmp/$name.port" \
	    --stats "$tmp/$name.stats" "$@" 2>>"$tmp/log" &
	bench_pids="$bench_pids $!"
	proxy_pid=$!
	i=0
	until [ -s "$tmp/$name.port" ]; do
		i=$((i + 1))
		[ $i -lt 100 ] || { echo "aggregate: the proxy did not start" >&2; exit 1; }
		sleep 0.1
	done
	P=http://127.0.0.1:$(cat "$tmp/$name.port")
}
stat_of() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }

# count NAME SINK CS-PUT-OPTIONS...: a fresh stream, all records through the counting proxy
count() {
	name=$1 sink=$2
	shift 2
	bench_fresh_stream "$SHARDS"
	proxy "$name" --unlimited $sink
	echo "aggregate: $name" >&2
	bench_time bin/cs-put -s "$S" --endpoint-url "$P" -k .ip --stats "$@" "$tmp/in.ndjson" \
	    >/dev/null 2>>"$tmp/log"
	kill "$proxy_pid"
	grep -q " $RECORDS delivered" "$tmp/log" || { echo "aggregate: $name: not all delivered" >&2; cat "$tmp/log" >&2; exit 1; }
	[ -n "$sink" ] && return
	got=$(bin/cs-tail -s "$S" --endpoint-url "$E" -e --limit 200 | wc -l)
	[ "$got" = "$RECORDS" ] || { echo "aggregate: $name: $got records read back, not $RECORDS" >&2; cat "$tmp/log" >&2; exit 1; }
}

count plain --sink
p_wall=$wall p_cpu=$cpu
p_krec=$(stat_of "$tmp/plain.stats" accepted) p_units=$(stat_of "$tmp/plain.stats" payload_units)
p_kb=$(stat_of "$tmp/plain.stats" billed_kb)
count agg "" --aggregate
a_wall=$wall a_cpu=$cpu
a_krec=$(stat_of "$tmp/agg.stats" accepted) a_units=$(stat_of "$tmp/agg.stats" payload_units)
a_kb=$(stat_of "$tmp/agg.stats" billed_kb)

# rate NAME N CS-PUT-OPTIONS...: N records into a 1-shard stream behind the limits; sets r_s
rate() {
	name=$1 n=$2
	shift 2
	bench_fresh_stream 1
	proxy "$name" --records 1000 --bytes 1048576
	head -n "$n" "$tmp/in.ndjson" >"$tmp/rate.ndjson"
	echo "aggregate: $name, $n records through the limits" >&2
	bench_time bin/cs-put -s "$S" --endpoint-url "$P" -k .ip --stats "$@" "$tmp/rate.ndjson" \
	    >/dev/null 2>>"$tmp/log"
	kill "$proxy_pid"
	r_s=$(awk -v n="$n" -v w="$wall" 'BEGIN { printf "%d", n / w }')
	r_thr=$(stat_of "$tmp/$name.stats" throttled)
	got=$(bin/cs-tail -s "$S" --endpoint-url "$E" -e --limit 200 | wc -l)
	[ "$got" = "$n" ] || { echo "aggregate: $name: $got records read back, not $n" >&2; cat "$tmp/log" >&2; exit 1; }
}
rate limited-plain "$PLAIN_N"
pr_s=$r_s pr_wall=$wall pr_thr=$r_thr
rate limited-agg "$AGG_N" --aggregate
ar_s=$r_s ar_wall=$wall ar_thr=$r_thr

fmt() { printf "%'d" "$1"; }
div() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }'; }
us() { awk -v c="$1" -v n="$RECORDS" 'BEGIN { printf "%.2f", c * 1e6 / n }'; }
units_x=$(div "$p_units" "$a_units") kb_x=$(div "$p_kb" "$a_kb") rate_x=$(div "$ar_s" "$pr_s")
cpu_r=$(ratio "$a_cpu" "$p_cpu")
goal() { awk -v r="$1" -v g="$2" 'BEGIN { print (r >= g ? "met" : "NOT met") }'; }

cat <<MD
## cs-put --aggregate: KPL aggregation per shard

$(fmt "$RECORDS") generated records ($(fmt "$bytes") bytes, \`gen-records --count $RECORDS --seed $SEED\`, about
$((bytes / RECORDS)) bytes each), put with \`-k .ip\` into a $SHARDS-shard stream through bench/shardlimit.py, a
loopback proxy counting what the stream accepted. The aggregated run went on to a fresh kinesalite and
was read back with cs-tail (which splits the aggregates): all $(fmt "$RECORDS") records. The plain run was
answered by the proxy itself (kinesalite stores a million separate records too slowly). PUT payload
units: each Kinesis record in 25 KB chunks, rounded up (provisioned streams); billed KB: each Kinesis
record rounded up to 1 KB (on-demand streams); both count data and partition key.

| cs-put | Kinesis records | PUT payload units | on-demand billed KB | wall s | CPU s | CPU µs/record |
|---|---:|---:|---:|---:|---:|---:|
| plain | $(fmt "$p_krec") | $(fmt "$p_units") | $(fmt "$p_kb") | $p_wall | $p_cpu | $(us "$p_cpu") |
| --aggregate (51,200-byte aggregates) | $(fmt "$a_krec") | $(fmt "$a_units") | $(fmt "$a_kb") | $a_wall | $a_cpu | $(us "$a_cpu") |

- PUT payload units: **${units_x}x fewer** with --aggregate (goal ≥ 50x: $(goal "$units_x" 50)).
- On-demand billed KB: **${kb_x}x fewer** (goal ≥ 4x: $(goal "$kb_x" 4)).
- CPU per record, --aggregate / plain: **$cpu_r** (goal ≤ 1: $(at_most "$cpu_r" 1)). Aggregating adds
  work per record (its hash key, an MD5, to find its shard; the protobuf; the MD5 of each
  aggregate) and the pacing of each shard to its write limits (the plain run is not paced:
  the proxy takes everything at once, which a real 4-shard stream would throttle).
- Billed KB: each user record still carries its own bytes and its partition key inside the
  aggregate (about 233 + 18 bytes here, every key distinct), so 1 KB per record can shrink
  about 4x at most for records this size; the rounding waste itself is gone.

Speed per shard: a 1-shard stream behind bench/shardlimit.py enforcing the service's write limits
per shard (1,000 records/s and 1 MiB/s, as token buckets holding one second's worth; entries beyond
fail with ProvisionedThroughputExceededException and cs-put re-sends them with backoff).

| cs-put | records | wall s | records/s per shard | entries throttled |
|---|---:|---:|---:|---:|
| plain | $(fmt "$PLAIN_N") | $pr_wall | $(fmt "$pr_s") | $(fmt "$pr_thr") |
| --aggregate | $(fmt "$AGG_N") | $ar_wall | $(fmt "$ar_s") | $(fmt "$ar_thr") |

- Records per second per shard: **${rate_x}x** with --aggregate (goal ≥ 4x: $(goal "$rate_x" 4)).
  Plain records stop at the 1,000 records/s limit; aggregates at the 1 MiB/s one.
MD
