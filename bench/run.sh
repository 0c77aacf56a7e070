#!/bin/bash
# run.sh - what 'make bench' runs: every other bench/*.sh script (but
# lib.sh, which they source), one after the other, against one shared pair
# of local services, collecting their Markdown output into bench/RESULTS.md
# under a header that describes the machine and the versions measured.
#
#   bench/run.sh [PATTERN...]     only the scripts whose name contains a pattern
#   BENCH_OUT=FILE bench/run.sh   write FILE instead of bench/RESULTS.md
#
# Each script prints one Markdown section on stdout (its log goes to
# bench/out/NAME.log) and finds the tools in bin/ (first on PATH), the
# services in CS_KINESIS_ENDPOINT / CS_DYNAMODB_ENDPOINT, and may start
# its own.  A failing script is noted in the results and the run goes on.
set -u
cd "$(dirname "$0")/.."
top=$(pwd)
out=${BENCH_OUT:-$top/bench/RESULTS.md}
logs=$top/bench/out
mkdir -p "$logs"

export PATH=$top/bin:$top/scripts:$PATH
export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-AKIDLOCAL}
export AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-localsecret}
export AWS_REGION=${AWS_REGION:-us-east-1}
export LC_ALL=C.UTF-8

# the tools against their peers first, then the whole system; others after
order="validate put listen tail store e2e scale"
all=
for n in $order; do [ -f "bench/$n.sh" ] && all="$all bench/$n.sh"; done
for f in bench/*.sh; do
	case " $all " in *" $f "*) continue ;; esac
	all="$all $f"
done
scripts=()
for f in $all; do
	case $f in bench/run.sh|bench/lib.sh) continue ;; esac # lib.sh: sourced by the others
	if [ $# -gt 0 ]; then
		keep=
		for p in "$@"; do case $f in *"$p"*) keep=1 ;; esac; done
		[ -n "$keep" ] || continue
	fi
	scripts+=("$f")
done

npmver() { # PACKAGE
	sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' \
	    "scripts/node/node_modules/$1/package.json" 2>/dev/null | head -n 1
}

machine() {
	cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
	[ -n "$cpu" ] || cpu=$(uname -m)
	cores=$(nproc 2>/dev/null || echo '?')
	mem=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
	os=$(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")
	cc=$(${CC:-cc} --version 2>/dev/null | head -n 1)
	curlv=$(curl --version 2>/dev/null | head -n 1 | cut -d' ' -f1-2)
	jqv=$(jq --version 2>/dev/null || echo 'not installed')
	# the boto3 peers run with Debian's python3 (bench_need boto3), whatever python3 is first on PATH
	boto=$(/usr/bin/python3 -c 'import boto3; print(boto3.__version__)' 2>/dev/null || echo 'not installed')
	py=$(/usr/bin/python3 --version 2>/dev/null | cut -d' ' -f2)
	node=$(node --version 2>/dev/null)
	csv=$(bin/cs-validate --version 2>/dev/null | head -n 1)
	echo "# Benchmark results"
	echo
	echo "Written by \`make bench\` (bench/run.sh) on $(date -u '+%Y-%m-%d %H:%M UTC')."
	echo "Every figure below was measured in this one run, on this machine, side by"
	echo "side with its peer, against local kinesalite and dynalite on loopback."
	echo "Reproduce with \`make bench\` (or \`bench/run.sh NAME\` for one script)."
	echo
	echo "| | |"
	echo "|---|---|"
	echo "| CPU | $cpu |"
	echo "| cores | $cores |"
	echo "| memory | $mem |"
	echo "| OS | $os, kernel $(uname -r) |"
	echo "| compiler | $cc |"
	echo "| cs | ${csv:-?} |"
	echo "| kinesalite | $(npmver kinesalite) (node $node) |"
	echo "| dynalite | $(npmver dynalite) |"
	echo "| jq | $jqv |"
	echo "| boto3 | $boto (python $py) |"
	echo "| curl | $curlv |"
	echo
}

svc=$(mktemp -d "${TMPDIR:-/tmp}/cs-bench.XXXXXX")
cleanup() {
	scripts/services.sh stop "$svc" >/dev/null 2>&1
	rm -rf "$svc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
if ! scripts/services.sh start "$svc" >"$logs/services.log" 2>&1; then
	cat "$logs/services.log" >&2
	echo "bench: cannot start kinesalite and dynalite" >&2
	exit 1
fi
. "$svc/services.env"
export CS_KINESIS_ENDPOINT CS_DYNAMODB_ENDPOINT

tmp=$out.tmp
machine >"$tmp"
status=0
for f in "${scripts[@]}"; do
	name=$(basename "$f" .sh)
	echo "bench: $name" >&2
	start=$(date +%s)
	if bash "$f" >"$logs/$name.md" 2>"$logs/$name.log"; then
		cat "$logs/$name.md" >>"$tmp"
	else
		rc=$?
		status=1
		echo "bench: $name FAILED (exit $rc), see bench/out/$name.log" >&2
		tail -n 5 "$logs/$name.log" >&2
		cat "$logs/$name.md" >>"$tmp"
		printf '\n**%s failed (exit %d)**: its figures above, if any, are incomplete.\n' \
		    "$name" "$rc" >>"$tmp"
	fi
	echo >>"$tmp"
	echo "bench: $name took $(($(date +%s) - start)) s" >&2
done
mv "$tmp" "$out"
echo "bench: wrote ${out#$top/}" >&2
exit $status
