#!/bin/bash
# metrics.sh - what the metrics cost: each tool on the same input with and
# without --metrics-file (rewritten every 100 ms, 50 times as often as the
# default), in one run, alternating, ROUNDS times each; the CPU time ratio.
#
#   bench/metrics.sh            (or via bench/run.sh; not part of make check)
#
# RECORDS (default 300,000) seed-shaped records: cs-validate reads them all;
# cs-put --dry-run batches them (no service: the tool's own CPU alone);
# cs-store and cs-tail against the local services read PUT_RECORDS (default
# 20,000) of them.  Prints a Markdown section on stdout.
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
echo
echo "A ratio near 1 is the goal: the counters are the summary's own, copied"
echo "into the registry only when the file is written."
