#!/bin/sh
# run.sh SECONDS - run every fuzz harness (build/fuzz/fuzz-*) for SECONDS each,
# starting from its corpus in tests/fuzz/corpus/NAME (new finds are kept in
# build/fuzz/corpus/NAME, crashes in build/fuzz/crashes/).
set -u
cd "$(dirname "$0")/../.."
secs=${1:-60}
status=0
mkdir -p build/fuzz/crashes
for f in build/fuzz/fuzz-*; do
	[ -x "$f" ] || continue
	name=$(basename "$f")
	mkdir -p "build/fuzz/corpus/$name"
	seeds=
	[ -d "tests/fuzz/corpus/$name" ] && seeds="tests/fuzz/corpus/$name"
	echo "fuzz: $name for ${secs}s" >&2
	if ! "$f" -max_total_time="$secs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
	    -artifact_prefix="build/fuzz/crashes/$name-" -print_final_stats=0 \
	    "build/fuzz/corpus/$name" $seeds >"build/fuzz/$name.log" 2>&1; then
		echo "fuzz: $name FAILED (see build/fuzz/$name.log)" >&2
		tail -n 30 "build/fuzz/$name.log" >&2
		status=1
	fi
done
exit $status
