#!/bin/bash
# metrics.sh - what the metrics cost: each tool on the same input with and
# without --metrics-file (rewritten every 100 ms, 50 times as often as the
# default), in one run, alternating, ROUNDS times each; the CPU time ratio.
#
#   bench/metrics.sh            (or via bench/run.sh; not part of make check)
#
# RECORDS (default 300,000) seed-shaped records: cs-validate reads them all;
# cs-put --dry-run batches them (no service: the tool's own CPU alone);
# cs-store, cs-tail and cs-put against the local services take PUT_RECORDS
# (default 20,000) of them.  Then the cost of GET /metrics: cs-put --listen
# under wrk (POST /report, SCRAPE_S seconds, default 10) with /metrics
# scraped every 100 ms and not at all, alternating, ROUNDS times each; the
# CPU time of cs-put per request answered.  Prints a Markdown section on
# stdout.
. "$(dirname "$0")/lib.sh"

RECORDS=${RECORDS:-300000}
PUT_RECORDS=${PUT_RECORDS:-20000}
ROUNDS=${ROUNDS:-3}

bench_need bin/cs-validate bin/cs-put bin/cs-tail bin/cs-store /usr/bin/time
bench_tmp
bench_services

gen-records --count "$RECORDS" --seed 3 --bad-ratio 0.05 >"$tmp/in.ndjson"
head -n "$PUT_RECORDS" "$tmp/in.ndjson" | bin/cs-validate --rejects /dev/null >"$tmp/small.ndjson"
S=cs-bench-metrics-$$
T=cs-bench-metrics-$$
scripts/services.sh create-stream "$CS_KINESIS_ENDPOINT" "$S" 2 >/dev/null
scripts/services.sh create-table "$CS_DYNAMODB_ENDPOINT" "$T" IP Timestamp >/dev/null
bin/cs-put -s "$S" "$tmp/small.ndjson"

# the CPU seconds of CMD..., the best of ROUNDS runs, with and without the file
best_of() { # VAR CMD...
	var=$1
	shift
	best=
	for _ in $(seq "$ROUNDS"); do
		bench_time "$@" >/dev/null 2>&1 </dev/null
		best=$(awk -v a="${best:-1e9}" -v b="$cpu" 'BEGIN { print (b < a ? b : a) }')
	done
	eval "$var=\$best"
}

row() { # TOOL CMD...
	tool=$1
	shift
	best_of off "$@"
	best_of on "$@" --metrics-file "$tmp/m.prom" --metrics-interval 100
	echo "| $tool | $off | $on | $(ratio "$on" "$off") |"
	echo "metrics: $tool: $off s without, $on s with" >&2
}

echo "## Metrics: what --metrics-file costs"
echo
echo "CPU seconds (user + sys), best of $ROUNDS runs each, without and with"
echo "\`--metrics-file\` rewritten every 100 ms (the default is every 5 s)."
echo
echo "| tool | without | with | ratio |"
echo "|---|---|---|---|"
row "cs-validate, $RECORDS records" bin/cs-validate --rejects /dev/null "$tmp/in.ndjson"
row "cs-put --dry-run, $RECORDS records" bin/cs-put -s "$S" --dry-run --rejects /dev/null "$tmp/in.ndjson"
row "cs-tail -e, $PUT_RECORDS records" bin/cs-tail -s "$S" -e
row "cs-store, $PUT_RECORDS records" bin/cs-store -t "$T" -m @scripts/sample-mapping.jq "$tmp/small.ndjson"
row "cs-put into kinesalite, $PUT_RECORDS records" bin/cs-put -s "$S" "$tmp/small.ndjson"
echo
echo "A ratio near 1 is the goal: the counters are the summary's own, copied"
echo "into the registry only when the file is written."

# --- GET /metrics under load ---------------------------------------------------
SCRAPE_S=${SCRAPE_S:-10}
if command -v wrk >/dev/null 2>&1; then
	cat >"$tmp/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"ip":"0.0.0.0","timestamp":"2018-02-04T23:18:32.866Z","browser":"Chrome","url":"http://adroitlogic.com/products/ultraesb-x","referrer":"http://adroitlogic.com","os":"Windows","country":"Sri Lanka","language":"en-us"}'
LUA
	# cs-put --listen under wrk for SCRAPE_S s, /metrics scraped every 100 ms
	# when SCRAPE is 1: sets us (CPU µs of cs-put per request answered)
	listen_run() { # SCRAPE
		port=$(scripts/services.sh freeport)
		bin/cs-put -s "$S" --listen "127.0.0.1:$port" 2>"$tmp/listen.log" &
		lpid=$!
		bench_pids=$lpid
		bench_wait_listen "$port" "$tmp/listen.log"
		if [ "$1" = 1 ]; then
			(while :; do curl -s -o /dev/null "http://127.0.0.1:$port/metrics"; sleep 0.1; done) &
			spid=$!
		fi
		wrk -t2 -c16 -d"${SCRAPE_S}s" -s "$tmp/post.lua" "http://127.0.0.1:$port/report" >"$tmp/wrk.out"
		if [ "$1" = 1 ]; then
			kill "$spid"
			wait "$spid" 2>/dev/null || :
		fi
		# utime + stime of cs-put, in clock ticks, before it stops
		ticks=$(awk '{ print $14 + $15 }' "/proc/$lpid/stat")
		kill -TERM "$lpid"
		wait "$lpid" || { echo "metrics: cs-put --listen exited $?" >&2; cat "$tmp/listen.log" >&2; exit 1; }
		bench_pids=
		total=$(awk '/requests in/ { print $1 }' "$tmp/wrk.out")
		us=$(awk -v t="$ticks" -v hz="$(getconf CLK_TCK)" -v n="$total" 'BEGIN { printf "%.2f", t / hz * 1e6 / n }')
		echo "metrics: /metrics scraped=$1: $total requests, $us µs CPU each" >&2
	}
	best_off= best_on=
	for _ in $(seq "$ROUNDS"); do
		listen_run 0
		best_off=$(awk -v a="${best_off:-1e9}" -v b="$us" 'BEGIN { print (b < a ? b : a) }')
		listen_run 1
		best_on=$(awk -v a="${best_on:-1e9}" -v b="$us" 'BEGIN { print (b < a ? b : a) }')
	done
	echo
	echo "GET /metrics: \`cs-put --listen\` under \`wrk -t2 -c16 -d${SCRAPE_S}s\` (POST /report into"
	echo "kinesalite), with /metrics scraped every 100 ms (Prometheus scrapes every 15 s by"
	echo "default) and not scraped; CPU of cs-put per request answered, best of $ROUNDS runs each."
	echo
	echo "| cs-put --listen | not scraped | scraped every 100 ms | ratio |"
	echo "|---|---|---|---|"
	echo "| CPU µs per request | $best_off | $best_on | $(ratio "$best_on" "$best_off") |"
else
	echo
	echo "GET /metrics: not measured (wrk is not installed)."
fi
