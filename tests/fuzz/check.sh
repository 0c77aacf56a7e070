#!/bin/sh
# test-slow: 55
# test-limit: 240 (seconds: tests/run.sh kills it after that; see there)
# check.sh - the short fuzz run of 'make check': each harness for a few
# seconds (FUZZ_CHECK_SECONDS), as one TAP test per harness.
cd "$(dirname "$0")/../.."
secs=${FUZZ_CHECK_SECONDS:-4}
n=0
fail=0
for f in build/fuzz/fuzz-*; do
	[ -x "$f" ] || continue
	n=$((n + 1))
	name=$(basename "$f")
	tmp=$(mktemp -d)
	seeds=
	[ -d "tests/fuzz/corpus/$name" ] && seeds="tests/fuzz/corpus/$name"
	if "$f" -max_total_time="$secs" -max_len=16384 -timeout=10 -rss_limit_mb=2048 \
	    -artifact_prefix="$tmp/" "$tmp" $seeds >"$tmp/log" 2>&1; then
		echo "ok $n - $name runs ${secs}s clean"
	else
		echo "not ok $n - $name"
		tail -n 30 "$tmp/log" | sed 's/^/#	/'
		# the input that failed, so that a CI log is enough to reproduce it
		for a in "$tmp"/crash-* "$tmp"/leak-* "$tmp"/timeout-* "$tmp"/oom-*; do
			[ -f "$a" ] || continue
			echo "#	$(basename "$a"), $(wc -c <"$a") bytes, base64 (first 4 KB):"
			head -c 4096 "$a" | base64 -w 76 | sed 's/^/#	/'
		done
		fail=1
	fi
	rm -rf "$tmp"
done
if [ "$n" -eq 0 ]; then
	n=1
	echo "not ok 1 - no fuzz harness was built (make fuzzers)"
	fail=1
fi
echo "1..$n"
exit $fail
