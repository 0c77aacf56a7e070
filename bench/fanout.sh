#!/bin/bash
# fanout.sh - cs-tail --consumer (enhanced fan-out: SubscribeToShard over
# HTTP/2) against polling (GetRecords), on a local kinesis-mock: CPU per
# record reading a stream to its end, put-to-stdout latency while
# following, and three readers of one stream at once.
#
#   bench/fanout.sh           (or via bench/run.sh; not part of make check)
#
# RECORDS (default 3000) records in SHARDS (default 2) shards; LATENCY
# (default 40) records put one at a time while following.  kinesis-mock
# pushes a subscription's events once a second and has no throughput
# limits: what fan-out removes on the service (the shared 2 MB/s and five
# reads per second of a shard, and the polling interval) is not there to
# be seen, and its latency floor is the emulator's tick, not the service's.
. "$(dirname "$0")/lib.sh"

RECORDS=${RECORDS:-3000}
SHARDS=${SHARDS:-2}
LATENCY=${LATENCY:-40}

bench_need bin/cs-tail bin/cs-put /usr/bin/time
bench_tmp
bench_svc=1
scripts/services.sh start "$tmp/svc" kinesis-mock >&2
. "$tmp/svc/services.env"
E=$CS_KINESIS_MOCK_ENDPOINT
S=bench-fanout

scripts/services.sh create-stream "$E" "$S" "$SHARDS"
echo "fanout: putting $RECORDS records into $SHARDS shards" >&2
gen-records --count "$RECORDS" --seed 1 --bad-ratio 0 >"$tmp/in.ndjson"
cs-put -q -s "$S" --endpoint-url "$E" "$tmp/in.ndjson" >&2

bench_read "polling" cs-tail -s "$S" -e --endpoint-url "$E"
poll_wall=$wall poll_cpu=$cpu
bench_read "fan-out" cs-tail -s "$S" -e --endpoint-url "$E" --consumer bench
efo_wall=$wall efo_cpu=$cpu

# three readers at once, of each kind (fan-out: three consumers, registered
# beforehand): wall time until the last is done
three() { # polling|fanout
	start=$(date +%s.%N)
	for i in 1 2 3; do
		if [ "$1" = fanout ]; then set -- fanout --consumer "bench$i"; else set -- polling; fi
		cs-tail -s "$S" -e --endpoint-url "$E" "${@:2}" >"$tmp/three.$i" 2>>"$tmp/log" &
		set -- "$1"
	done
	wait
	for i in 1 2 3; do [ "$(wc -l <"$tmp/three.$i")" = "$RECORDS" ] || { echo "fanout: a reader lost records" >&2; exit 1; }; done
	awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }'
}
echo "fanout: three readers of each kind" >&2
for i in 2 3; do cs-tail -s "$S" -e --endpoint-url "$E" --consumer "bench$i" >/dev/null 2>>"$tmp/log"; done
poll3=$(three polling)
efo3=$(three fanout)

scripts/services.sh create-stream "$E" "$S-follow" "$SHARDS"
echo "fanout: latency, $LATENCY records while following" >&2
read -r pp50 pp99 ppmax < <(python3 bench/fanout_latency.py "$E" "$S-follow" "$LATENCY" \
    "$top/bin/cs-tail" -s "$S-follow" --endpoint-url "$E" --from latest)
read -r fp50 fp99 fpmax < <(python3 bench/fanout_latency.py "$E" "$S-follow" "$LATENCY" \
    "$top/bin/cs-tail" -s "$S-follow" --endpoint-url "$E" --from latest --consumer lat)

cat <<MD
## cs-tail --consumer: enhanced fan-out against polling (bench/fanout.sh)

$RECORDS records in $SHARDS shards of a local kinesis-mock, read to the end
by \`cs-tail -e\` polling (GetRecords) and with \`--consumer\`
(SubscribeToShard over one HTTP/2 connection). CPU is user + system time of
cs-tail (kinesis-mock not counted).

| | wall (s) | CPU (s) | CPU per record (µs) |
|---|---:|---:|---:|
| polling | $poll_wall | $poll_cpu | $(us_per "$poll_cpu") |
| --consumer | $efo_wall | $efo_cpu | $(us_per "$efo_cpu") |

Three readers of the same stream at once, until the last is done: polling
$poll3 s, three consumers $efo3 s. kinesis-mock has no per-shard read
limit, so the sharing that fan-out removes on the service is not seen here.

Put to stdout while following ($LATENCY records, one every 50 ms, each put
with one PutRecord call through curl), ms:

| | p50 | p99 | max |
|---|---:|---:|---:|
| polling (200 ms interval) | $pp50 | $pp99 | $ppmax |
| --consumer | $fp50 | $fp99 | $fpmax |

kinesis-mock sends a subscription's events once a second, and a record
shows up in them 1 to 2 s after its PutRecord (seen with curl alone, no
cs-tail involved): that, not the reader, is the fan-out figure here. The
service pushes records as they arrive (about 70 ms typical, as AWS
documents), which the emulator does not let one see.
MD
