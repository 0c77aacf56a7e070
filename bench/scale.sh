#!/bin/bash
# scale.sh - how each tool's time and peak memory grow with the input, from
# 10k records up: memory should stay flat, time grow linearly.  Prints one
# Markdown section.  Run by bench/run.sh (which starts the services), or
# alone: it starts its own services when CS_KINESIS_ENDPOINT is unset.
#
#   SCALE_SIZES="10000 100000 1000000"          sizes for cs-validate (a file)
#   SCALE_SERVICE_SIZES="10000 100000 1000000"  sizes for cs-put, cs-tail and
#       cs-store, whose wall time is mostly the emulators' (kinesalite,
#       dynalite): the 1M step takes about 4 minutes on 2 cores; drop it
#       (SCALE_SERVICE_SIZES="10000 100000") for a quicker run
. "$(dirname "$0")/lib.sh"
set -o pipefail

sizes=${SCALE_SIZES:-10000 100000 1000000}
svc_sizes=${SCALE_SERVICE_SIZES:-10000 100000 1000000}

bench_need bin/cs-put bin/cs-tail bin/cs-validate bin/cs-store /usr/bin/time
bench_tmp
bench_services

max=0
for n in $sizes $svc_sizes; do [ "$n" -gt "$max" ] && max=$n; done
echo "scale: generating $max records" >&2
gen-records --count "$max" --seed 11 --bad-ratio 0.05 >"$tmp/all.ndjson"

# one measured run: TOOL N CMD... -> a row in $tmp/rows; stdin/stdout as given
measure() { # TOOL N CMD...
	tool=$1 n=$2
	shift 2
	if ! /usr/bin/time -v -o "$tmp/time.txt" "$@"; then
		echo "scale: $tool on $n records failed" >&2
		tail -n 5 "$tmp/err.txt" >&2 || true
		printf '| %s | %d | failed | | | |\n' "$tool" "$n" >>"$tmp/rows"
		return 0
	fi
	awk -v tool="$tool" -v n="$n" -F': ' '
	/Elapsed \(wall clock\)/ {
		k = split($2, t, ":"); wall = 0
		for (i = 1; i <= k; i++) wall = wall * 60 + t[i]
	}
	/User time/ { user = $2 }
	/System time/ { sys = $2 }
	/Maximum resident set size/ { rss = $2 }
	END {
		cpu = user + sys
		printf "| %s | %d | %.2f | %.2f | %.1f | %.2f |\n", tool, n, wall, cpu,
		    rss / 1024, (n > 0 ? cpu * 1e6 / n : 0)
	}' "$tmp/time.txt" >>"$tmp/rows"
}

cat <<EOF
## Scale: time and memory from $(echo "$sizes $svc_sizes" | tr ' ' '\n' | sort -n | head -n 1) records up

Each tool on the first N records of one generated capture (5% ineligible),
measured with \`/usr/bin/time -v\`: wall time, CPU time (user+sys), peak
resident memory, and CPU per record.  Memory should stay flat as N grows and
time grow linearly.  cs-put, cs-tail and cs-store talk to kinesalite and
dynalite on loopback, whose own speed bounds their wall time; their CPU
column is the tool's alone.

EOF

for n in $sizes; do
	head -n "$n" "$tmp/all.ndjson" >"$tmp/in.ndjson"
	measure cs-validate "$n" cs-validate --rejects "$tmp/rej.ndjson" "$tmp/in.ndjson" \
	    >/dev/null 2>"$tmp/err.txt" </dev/null
done

for n in $svc_sizes; do
	head -n "$n" "$tmp/all.ndjson" >"$tmp/in.ndjson"
	stream=scale-$n-$$
	table=scale-$n-$$
	scripts/services.sh create-stream "$CS_KINESIS_ENDPOINT" "$stream" 2
	scripts/services.sh create-table "$CS_DYNAMODB_ENDPOINT" "$table" IP Timestamp
	echo "scale: $n records" >&2
	measure cs-put "$n" cs-put -q -s "$stream" "$tmp/in.ndjson" \
	    >/dev/null 2>"$tmp/err.txt" </dev/null
	measure cs-tail "$n" cs-tail -q -s "$stream" -e \
	    >"$tmp/tail.ndjson" 2>"$tmp/err.txt" </dev/null
	got=$(wc -l <"$tmp/tail.ndjson")
	[ "$got" -eq "$n" ] || echo "scale: cs-tail read $got records of $n" >&2
	cs-validate "$tmp/in.ndjson" 2>/dev/null >"$tmp/ok.ndjson"
	measure cs-store "$(wc -l <"$tmp/ok.ndjson")" \
	    cs-store -q -t "$table" -m @scripts/sample-mapping.jq "$tmp/ok.ndjson" \
	    >/dev/null 2>"$tmp/err.txt" </dev/null
	scripts/services.sh call "$CS_KINESIS_ENDPOINT" kinesis DeleteStream \
	    "{\"StreamName\":\"$stream\"}" >/dev/null 2>&1 || true
	scripts/services.sh call "$CS_DYNAMODB_ENDPOINT" dynamodb DeleteTable \
	    "{\"TableName\":\"$table\"}" >/dev/null 2>&1 || true
done
echo '| tool | records | wall (s) | CPU (s) | peak RSS (MB) | CPU µs/record |'
echo '|---|---:|---:|---:|---:|---:|'
sort -s -t '|' -k 2,2 "$tmp/rows"
echo
