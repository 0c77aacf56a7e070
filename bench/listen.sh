#!/bin/bash
# listen.sh - load on cs-put --listen (the sample's POST /report) with wrk.
#
#   bench/listen.sh            (or via bench/run.sh; not part of make check)
#
# Starts its own kinesalite (scripts/services.sh) and a fresh stream of
# SHARDS shards (default 4), serves it with bin/cs-put --listen on a free
# loopback port, and runs wrk for DURATION seconds (default 10) with
# CONNECTIONS connections (default 64) on THREADS threads (default 2), each
# request POSTing the sample's record.  Reports requests/s and the latency
# percentiles, then stops cs-put (SIGTERM: what is in flight is answered),
# reads the stream back and checks that every 200 is backed by a record.
# Goal: at least 5,000 requests/s with p99 under 100 ms.  Prints a
# Markdown section on stdout; the log goes to stderr.
. "$(dirname "$0")/lib.sh"

DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
SHARDS=${SHARDS:-4}

bench_need bin/cs-put wrk boto3
bench_tmp
bench_own_services kinesis
S=click-stream
scripts/services.sh create-stream "$E" "$S" "$SHARDS"
port=$(scripts/services.sh freeport)

bin/cs-put -s "$S" --endpoint-url "$E" --listen "127.0.0.1:$port" --stats 2>"$tmp/listen.log" &
pid=$!
bench_pids=$pid
bench_wait_listen "$port" "$tmp/listen.log"

cat >"$tmp/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"ip":"0.0.0.0","timestamp":"2018-02-04T23:18:32.866Z","browser":"Chrome","url":"http://adroitlogic.com/products/ultraesb-x","referrer":"http://adroitlogic.com","os":"Windows","country":"Sri Lanka","language":"en-us"}'
LUA

echo "listen: wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s" >&2
wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$tmp/post.lua" \
    "http://127.0.0.1:$port/report" >"$tmp/wrk.out"
cat "$tmp/wrk.out" >&2
kill -TERM "$pid"
wait "$pid" || { echo "listen: cs-put exited $?" >&2; cat "$tmp/listen.log" >&2; exit 1; }
bench_pids=
cat "$tmp/listen.log" >&2

records=$(bench_count_stream "$E" "$S")

w=$tmp/wrk.out
rps=$(awk '/^Requests\/sec:/ { printf "%d", $2 }' "$w")
total=$(awk '/requests in/ { print $1 }' "$w")
non2xx=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$w")
non2xx=${non2xx:-0}
errors=$(awk '/Socket errors:/ { sub(/^ *Socket errors: */, ""); print }' "$w")
ok=$((total - non2xx))
pct() { awk -v p="$1" '$1 == p { print $2 }' "$w"; }
p50=$(pct 50%) p90=$(pct 90%) p99=$(pct 99%)
ms() { # wrk's "12.34ms" / "1.20s" / "850.00us" in ms
	awk -v v="$1" 'BEGIN { if (v ~ /us$/) printf "%.2f", v / 1000; else if (v ~ /ms$/) printf "%.2f", v + 0;
		else if (v ~ /s$/) printf "%.2f", v * 1000; else print v }'
}
p99ms=$(ms "$p99")
served=$(sed -n 's/.*: \([0-9]*\) requests: \([0-9]*\) answered 200.*/\2/p' "$tmp/listen.log")
verdict() { [ "$1" = yes ] && echo met || echo "NOT met"; }
rate_ok=$(awk -v r="$rps" 'BEGIN { print (r >= 5000 ? "yes" : "no") }')
p99_ok=$(awk -v p="$p99ms" 'BEGIN { print (p < 100 ? "yes" : "no") }')
delivered=$(sed -n 's/.*; \([0-9]*\) records delivered.*/\1/p' "$tmp/listen.log")
backed=$([ "$records" -ge "$ok" ] && [ "$records" -ge "${served:-0}" ] && [ "$records" = "${delivered:-$records}" ] && echo yes || echo no)

cat <<MD
## cs-put --listen: POST /report under load

\`wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s\` on loopback, each request POSTing the sample's record to
\`cs-put --listen\` (defaults: linger 2 ms, 4 PutRecords in flight), which puts into a $SHARDS-shard
stream of a local kinesalite; wrk, cs-put and kinesalite share the machine's two cores.

| requests/s | requests | 2xx | other | p50 | p90 | p99 |
|---:|---:|---:|---:|---:|---:|---:|
| $rps | $total | $ok | $non2xx | $p50 | $p90 | $p99 |

- Goal ≥ 5,000 requests/s: $(verdict "$rate_ok"); p99 < 100 ms: $(verdict "$p99_ok").
- Records in the stream afterwards: $records (cs-put counted ${delivered:-?} delivered); 2xx answers seen
  by wrk: $ok, 200 answers sent by cs-put: ${served:-?}. The requests wrk abandons when it stops are
  still put, but their connections are gone before the answer. Every 200 backed by a record: $(verdict "$backed").
${errors:+- wrk socket errors: $errors}
MD
