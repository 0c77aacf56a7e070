#!/bin/bash
# run.sh - run every test: the C unit tests (build/asan/unit/*) and the shell
# tests (tests/t*.sh), three at a time, against one shared set of local services
# (kinesalite, dynalite, kinesis-mock).  The cs-put and cs-tail tests that use
# Kinesis (t2*, t3*) run twice: on kinesalite, and as NAME@kinesis-mock on
# kinesis-mock, a second implementation of Kinesis (CS_KINESIS_IMPL says which).
# Each test prints TAP; this prints a line per test and closes with
# "N passed, N failed" (counting test cases).  Exit 1 if any failed.
#
#   tests/run.sh [PATTERN...]     only the tests whose name contains a pattern
#                                 (kinesis-mock: only the runs on kinesis-mock)
#   JOBS=N tests/run.sh           run N at a time (default 3: most tests wait on
#                                 the emulators, so a third keeps the two cores busy)
#   TEST_LIMIT=S tests/run.sh     seconds a test may take (default 120; a test
#                                 that needs more says so in a line
#                                 "# test-limit: S" near its top)
#
# Two marker lines near the top of a test (in its first 10 lines) steer this:
#   # test-slow: S               the test takes about S seconds on a loaded
#                                2-core machine: the tests so marked start
#                                first, longest first (the others follow in
#                                name order), so that no long test is left
#                                to run alone at the end
#   # kinesis: kinesalite only (why)
#                                a t2*/t3* test whose use of Kinesis is
#                                incidental (man pages, a browser, the HTTP
#                                side of --listen, a local lock) runs on
#                                kinesalite only, not again on kinesis-mock
#   # kinesis: kinesis-mock only (why)
#                                a test that puts its stream on kinesis-mock
#                                itself (what kinesalite lacks) runs once
#
# Each test runs in a session and process group of its own (setsid): one
# that runs past TEST_LIMIT is killed with everything it started (SIGKILL to
# the group and to the session, where timeout(1) makes groups of its own;
# no handler and no hung leak checker can hold that up) and counted as
# failed, by name; whatever a test leaves running is killed too.
set -u
cd "$(dirname "$0")/.."
top=$(pwd)
# each run its own folder, so that two runs side by side do not mix
out=$top/tests/out/run-$$
rm -rf "$out"
mkdir -p "$out"
export CS_BIN=$top/build/asan/bin

tests=()
for f in build/asan/unit/test-* tests/t[0-9]*.sh tests/fuzz/check.sh; do
	[ -x "$f" ] || [ -f "$f" ] || continue
	runs=$f
	case $f in
	tests/t[23]*.sh) # the cs-put and cs-tail tests that talk to Kinesis (the
		# lease tests through tests/lease.sh, which calls services_need)
		grep -q -e services_need -e services_start -e '/lease\.sh"' "$f" &&
			! sed -n 1,10p "$f" | grep -q '^# kinesis: \(kinesalite\|kinesis-mock\) only' &&
			runs="$f $f@kinesis-mock" ;;
	esac
	for r in $runs; do
		if [ $# -gt 0 ]; then
			keep=
			# the path, or the name shown (t3000-tail-read@kinesis-mock)
			shown=$(basename "${r%@*}" .sh)
			case $r in *@*) shown=$shown@${r#*@} ;; esac
			for p in "$@"; do case "$r $shown" in *"$p"*) keep=1 ;; esac; done
			[ -n "$keep" ] || continue
		fi
		tests+=("$r")
	done
done

# the run order: the slow tests first, longest first (sort -s keeps name
# order otherwise); the report below stays in name order
slow() {
	case $1 in *.sh*) sed -n '1,10s/^# test-slow: \([0-9][0-9]*\).*/\1/p' "${1%@*}" ;; esac
}
mapfile -t order < <(for r in "${tests[@]}"; do
	s=$(slow "$r")
	printf '%s\t%s\n' "${s:-0}" "$r"
done | sort -s -t "$(printf '\t')" -k1,1nr | cut -f2-)

svc=$(mktemp -d "${TMPDIR:-/tmp}/cs-services.XXXXXX")
if ! scripts/services.sh start "$svc" all >"$out/services.log" 2>&1; then
	cat "$out/services.log" >&2
	echo "run: cannot start kinesalite, dynalite and kinesis-mock" >&2
	exit 1
fi
. "$svc/services.env"
export CS_KINESIS_ENDPOINT CS_DYNAMODB_ENDPOINT CS_KINESIS_MOCK_ENDPOINT
trap 'scripts/services.sh stop "$svc" all >/dev/null 2>&1; rm -rf "$svc"' EXIT

run_one() {
	f=${1%@*} # tests/tNNNN-x.sh@kinesis-mock: that test, on kinesis-mock
	name=$(basename "$f" .sh)
	case $1 in
	*@kinesis-mock)
		name=$name@kinesis-mock
		export CS_KINESIS_IMPL=kinesis-mock CS_KINESIS_ENDPOINT=$CS_KINESIS_MOCK_ENDPOINT ;;
	esac
	start=$(date +%s)
	limit=$TEST_LIMIT
	case $f in
	*.sh)
		set -- bash "$f"
		l=$(sed -n '1,10s/^# test-limit: \([0-9][0-9]*\).*/\1/p' "$f")
		[ -n "$l" ] && limit=$l
		;;
	*) set -- "$f" ;;
	esac
	# a background job of this (non-interactive) shell is no group leader, so
	# setsid does not fork: the test's pid is its session and group id
	setsid "$@" >"$out/$name.tap" 2>"$out/$name.err" </dev/null &
	pid=$!
	timedout=
	# until it ends (a zombie: it is ours to reap) or its time is up
	while read -r _ _ state _ 2>/dev/null <"/proc/$pid/stat" && [ "$state" != Z ]; do
		if [ $(($(date +%s) - start)) -ge "$limit" ]; then
			kill -KILL -- -"$pid" 2>/dev/null
			pkill -KILL -s "$pid" 2>/dev/null
			timedout=1
			break
		fi
		sleep 0.2
	done
	wait "$pid" 2>/dev/null
	rc=$?
	# what the test left running: its group, and the groups of its own that
	# timeout(1) makes inside the test's session
	kill -KILL -- -"$pid" 2>/dev/null
	pkill -KILL -s "$pid" 2>/dev/null
	echo "$rc $(($(date +%s) - start)) $timedout" >"$out/$name.rc"
}
export -f run_one
export out
export TEST_LIMIT=${TEST_LIMIT:-120}

printf '%s\n' "${order[@]}" | xargs -P "${JOBS:-3}" -I{} bash -c 'run_one "$@"' _ {}

passed=0 failed=0 skipped=0 bad=()
for f in "${tests[@]}"; do
	name=$(basename "${f%@*}" .sh)
	case $f in *@*) name=$name@${f#*@} ;; esac
	read -r rc secs timedout <"$out/$name.rc"
	p=$(grep -c '^ok ' "$out/$name.tap")
	s=$(grep -c '^ok .*# SKIP' "$out/$name.tap")
	n=$(grep -c '^not ok ' "$out/$name.tap")
	plan=$(grep -c '^1\.\.[0-9]' "$out/$name.tap")
	if [ "$rc" -ne 0 ] && [ "$n" -eq 0 ]; then
		n=1 # died, or failed outside a test case
	fi
	[ "$plan" -eq 0 ] && [ "$n" -eq 0 ] && n=1 # no plan: did not finish
	[ -n "$timedout" ] && [ "$n" -eq 0 ] && n=1
	passed=$((passed + p - s)) failed=$((failed + n)) skipped=$((skipped + s))
	if [ "$n" -eq 0 ]; then
		printf '%-40s ok   (%d tests, %ds)\n' "$name" "$p" "$secs"
	elif [ -n "$timedout" ]; then
		printf '%-40s FAIL (timed out: killed after %ds, with all it started)\n' "$name" "$secs"
		echo "not ok - $name timed out after ${secs}s: killed" >>"$out/$name.tap"
		bad+=("$name")
	else
		printf '%-40s FAIL (%d failed, exit %d, %ds)\n' "$name" "$n" "$rc" "$secs"
		bad+=("$name")
	fi
done
for name in "${bad[@]}"; do
	echo
	echo "=== $name"
	grep -v '^ok ' "$out/$name.tap" | head -n 60
	tail -n 20 "$out/$name.err"
done
[ ${#bad[@]} -eq 0 ] && rm -rf "$out"
echo
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
