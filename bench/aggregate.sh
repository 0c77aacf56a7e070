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
#    separate records too slowly for a bench of minutes).
#    CPU per record: REPS pairs of runs (default 3), plain then aggregated,
#    each answered by the proxy (--sink), CPU time (user + system) from
#    /usr/bin/time; the median of each, so that a neighbour's burst on the
#    machine does not decide.  Twice: into the SHARDS-shard stream, where
#    aggregating paces each shard to its write limits (about a minute for a
#    million records) and plain is not paced (nothing throttles it here; a
#    real 4-shard stream would); and into a stream of WIDE shards (default
#    48), enough for neither run to be held back: the work alone.
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
REPS=${REPS:-3}
WIDE=${WIDE:-48}

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

# count NAME SINK CS-PUT-OPTIONS...: a fresh stream (of $SHARDS, or SH shards), all records
# through the counting proxy, each record's partition key -k .ip (or KEY)
count() {
	name=$1 sink=$2
	shift 2
	bench_fresh_stream "${SH:-$SHARDS}"
	proxy "$name" --unlimited $sink
	echo "aggregate: $name" >&2
	bench_time bin/cs-put -s "$S" --endpoint-url "$P" -k "${KEY:-.ip}" --stats "$@" "$tmp/in.ndjson" \
	    >/dev/null 2>"$tmp/$name.log"
	kill "$proxy_pid"
	cat "$tmp/$name.log" >>"$tmp/log"
	grep -q " $RECORDS delivered" "$tmp/$name.log" ||
	    { echo "aggregate: $name: not all delivered" >&2; cat "$tmp/$name.log" >&2; exit 1; }
	[ -n "$sink" ] && return
	got=$(bin/cs-tail -s "$S" --endpoint-url "$E" -e --limit 200 | wc -l)
	[ "$got" = "$RECORDS" ] || { echo "aggregate: $name: $got records read back, not $RECORDS" >&2; cat "$tmp/log" >&2; exit 1; }
}

count plain --sink
p_wall=$wall
p_krec=$(stat_of "$tmp/plain.stats" accepted) p_units=$(stat_of "$tmp/plain.stats" payload_units)
p_kb=$(stat_of "$tmp/plain.stats" billed_kb)
count agg "" --aggregate
a_wall=$wall
a_krec=$(stat_of "$tmp/agg.stats" accepted) a_units=$(stat_of "$tmp/agg.stats" payload_units)
a_kb=$(stat_of "$tmp/agg.stats" billed_kb)
# a key that repeats within an aggregate (16 countries; a session's or a device's id would
# too): each stored once per aggregate.  On the wide stream, not paced: only counted.
KEY=.country SH=$WIDE count agg-shared --sink --aggregate
s_wall=$wall
s_krec=$(stat_of "$tmp/agg-shared.stats" accepted) s_units=$(stat_of "$tmp/agg-shared.stats" payload_units)
s_kb=$(stat_of "$tmp/agg-shared.stats" billed_kb)

# cpu NAME SHARDS: REPS pairs, plain then --aggregate, into a SHARDS-shard
# stream through the sink; sets c_plain c_agg (median CPU s) and c_all (each run's)
median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
cpu() {
	name=$1 shards=$2
	bench_fresh_stream "$shards"
	proxy "$name" --unlimited --sink
	pl= ag=
	for i in $(seq "$REPS"); do
		echo "aggregate: CPU, $shards shards, pair $i of $REPS" >&2
		bench_time bin/cs-put -s "$S" --endpoint-url "$P" -k .ip --stats "$tmp/in.ndjson" >/dev/null 2>>"$tmp/log"
		pl="$pl $cpu"
		bench_time bin/cs-put -s "$S" --endpoint-url "$P" -k .ip --stats --aggregate "$tmp/in.ndjson" \
		    >/dev/null 2>>"$tmp/log"
		ag="$ag $cpu"
	done
	kill "$proxy_pid"
	[ "$(grep -c " $RECORDS delivered" "$tmp/log")" -ge $((2 * REPS)) ] ||
	    { echo "aggregate: CPU runs: not all delivered" >&2; cat "$tmp/log" >&2; exit 1; }
	: >"$tmp/log"
	c_plain=$(echo "$pl" | median) c_agg=$(echo "$ag" | median)
	c_all="plain:$pl; --aggregate:$ag"
}
: >"$tmp/log"
cpu cpu-paced "$SHARDS"
cp_plain=$c_plain cp_agg=$c_agg cp_all=$c_all
cpu cpu-wide "$WIDE"
cw_plain=$c_plain cw_agg=$c_agg cw_all=$c_all

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
s_units_x=$(div "$p_units" "$s_units") s_kb_x=$(div "$p_kb" "$s_kb")
cpu_p=$(ratio "$cp_agg" "$cp_plain") cpu_w=$(ratio "$cw_agg" "$cw_plain")
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

| cs-put | Kinesis records | PUT payload units | on-demand billed KB | wall s |
|---|---:|---:|---:|---:|
| plain | $(fmt "$p_krec") | $(fmt "$p_units") | $(fmt "$p_kb") | $p_wall |
| --aggregate (51,200-byte aggregates) | $(fmt "$a_krec") | $(fmt "$a_units") | $(fmt "$a_kb") | $a_wall |
| --aggregate, \`-k .country\` ($WIDE shards, not read back) | $(fmt "$s_krec") | $(fmt "$s_units") | $(fmt "$s_kb") | $s_wall |

- PUT payload units: **${units_x}x fewer** with --aggregate (goal ≥ 50x: $(goal "$units_x" 50)).
- On-demand billed KB: **${kb_x}x fewer** with \`-k .ip\` (goal ≥ 4x: $(goal "$kb_x" 4)); **${s_kb_x}x
  fewer** with a key that repeats, \`-k .country\` ($(goal "$s_kb_x" 4); sent plain, each record is
  1 KB billed whatever its key).
- Billed KB: each user record still carries its own bytes and its partition key inside the
  aggregate, and the format's own bytes (about 10.5: the Record's tag and length, its key's
  index, its data's tag and length, the key table entry's tag and length).  With every key
  distinct (\`-k .ip\`: 233 + 18 + 10.5 bytes a record here) 1 KB per record can shrink
  1024 / 261 = 3.9x at most for records this size, however they are packed; the rounding
  waste itself is gone.  A key that repeats within an aggregate is stored once in it.

CPU per record: the median of $REPS runs each (plain and --aggregate taking turns), CPU time
(user + system) of cs-put, every run answered by the proxy (nothing stored).

| stream | plain µs/record | --aggregate µs/record | --aggregate / plain |
|---|---:|---:|---:|
| $SHARDS shards: aggregating paced to each shard's write limits, plain not | $(us "$cp_plain") | $(us "$cp_agg") | **$cpu_p** |
| $WIDE shards: neither held back | $(us "$cw_plain") | $(us "$cw_agg") | **$cpu_w** |

- CPU per record no worse with --aggregate (goal ≤ 1): $(at_most "$cpu_w" 1) where neither run is
  held back ($cpu_w); $(at_most "$cpu_p" 1) on $SHARDS shards ($cpu_p), where aggregating is paced to
  the shards' write limits (a million records take a minute, sent a few aggregates at a time as
  the allowance comes back: hundreds of requests and wake-ups where the wide stream needs
  tens) and plain runs at once, which a real $SHARDS-shard stream would throttle.
- Each run's CPU s, $SHARDS shards: $cp_all. $WIDE shards: $cw_all.

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
