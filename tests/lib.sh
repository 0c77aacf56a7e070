# tests/lib.sh - a small test library in the manner of git's t/test-lib.sh.
#
#   . "$(dirname "$0")/lib.sh"
#   test_expect_success 'title' '
#       cmd1 &&
#       cmd2
#   '
#   test_done
#
# Each script runs in its own temporary directory ($TRASH, the current
# directory) and prints TAP.  The binaries under test are found on PATH
# (tests/run.sh puts the sanitizer build first).  Services shared by a
# run come in CS_KINESIS_ENDPOINT / CS_DYNAMODB_ENDPOINT; a script that
# must stop or break them starts its own with services_start.  Kinesis is
# kinesalite, or kinesis-mock when CS_KINESIS_IMPL=kinesis-mock (tests/run.sh
# runs the cs-put and cs-tail tests on both); CS_KINESIS_MOCK_ENDPOINT is
# kinesis-mock's in every run, for the tests of what only it implements.

set -u
TEST_DIR=$(cd "$(dirname "$0")" && pwd)
SRC_DIR=$(cd "$TEST_DIR/.." && pwd)
TEST_NAME=$(basename "$0" .sh)
: "${CS_BIN:=$SRC_DIR/build/asan/bin}"
PATH=$CS_BIN:$SRC_DIR/scripts:$PATH
export PATH

TRASH=$(mktemp -d "${TMPDIR:-/tmp}/cs-$TEST_NAME.XXXXXX")
cd "$TRASH" || exit 1

# a clean, pinned AWS environment: nothing from the user's machine leaks in
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_ENDPOINT_URL AWS_ENDPOINT_URL_KINESIS \
    AWS_ENDPOINT_URL_DYNAMODB AWS_CONTAINER_CREDENTIALS_RELATIVE_URI \
    AWS_CONTAINER_CREDENTIALS_FULL_URI AWS_CONTAINER_AUTHORIZATION_TOKEN \
    AWS_CA_BUNDLE AWS_DEFAULT_REGION 2>/dev/null
export AWS_ACCESS_KEY_ID=AKIDCSTESTEXAMPLE
export AWS_SECRET_ACCESS_KEY=cstestSecretKeyDoNotPrint0123456789abcdef
export AWS_REGION=us-east-1
export AWS_CONFIG_FILE=$TRASH/.aws-config
export AWS_SHARED_CREDENTIALS_FILE=$TRASH/.aws-credentials
export AWS_EC2_METADATA_DISABLED=true
# Leaks are checked at each tool's exit, with LeakSanitizer's stop-the-world
# (ptrace).  A SIGCONT sent to a tool as it exits discards the tracer's
# SIGSTOP and hangs the tool for ever: stop a tool with kill, or with
# `timeout --foreground` (plain timeout signals its whole group, SIGCONT too).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:exitcode=99}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:exitcode=99}
export LC_ALL=C.UTF-8

test_count=0
test_failed=0
test_services_dirs=

say() { printf '%s\n' "$*"; }

test_expect_success() {
	if [ $# -ne 2 ]; then
		say "bug in the test script: test_expect_success takes 2 arguments" >&2
		exit 1
	fi
	test_count=$((test_count + 1))
	if (eval "$2") >"$TRASH/.out.$test_count" 2>&1 </dev/null; then
		say "ok $test_count - $1"
	else
		test_failed=$((test_failed + 1))
		say "not ok $test_count - $1"
		sed 's/^/#	/' "$TRASH/.out.$test_count" | tail -n 40
		say "#	in: $2" | head -n 30
	fi
}

# the same, run in the current shell so that the test may set variables
test_expect_success_here() {
	test_count=$((test_count + 1))
	if eval "$2" >"$TRASH/.out.$test_count" 2>&1 </dev/null; then
		say "ok $test_count - $1"
	else
		test_failed=$((test_failed + 1))
		say "not ok $test_count - $1"
		sed 's/^/#	/' "$TRASH/.out.$test_count" | tail -n 40
	fi
}

# a test that cannot run here; under CI (CI set, as .ci/run has it), where
# make check has installed everything, a skip would hide a regression: it fails.
# A peer that make check does not install (moto: not packaged on every Debian)
# is skipped everywhere: test_skip_optional.
test_skip() { # TITLE REASON
	test_count=$((test_count + 1))
	if [ "${TEST_SKIP_OPTIONAL:-}" = 1 ]; then
		say "ok $test_count - $1 # SKIP $2"
		return
	fi
	if [ -n "${CI:-}" ] && [ "$CI" != false ]; then
		test_failed=$((test_failed + 1))
		say "not ok $test_count - $1 # not run under CI: $2"
	else
		say "ok $test_count - $1 # SKIP $2"
	fi
}

test_skip_optional() { # TITLE REASON
	TEST_SKIP_OPTIONAL=1
	test_skip "$@"
	TEST_SKIP_OPTIONAL=
}

# the command must fail the ordinary way: exit 1..125, not a crash or a sanitizer report
test_must_fail() {
	"$@"
	rc=$?
	if [ $rc -eq 0 ]; then
		echo "test_must_fail: command succeeded: $*" >&2
		return 1
	elif [ $rc -eq 99 ] || [ $rc -gt 125 ]; then
		echo "test_must_fail: command died with status $rc: $*" >&2
		return 1
	fi
	return 0
}

# the command must exit with exactly CODE
test_expect_code() {
	want=$1
	shift
	"$@"
	rc=$?
	if [ "$rc" != "$want" ]; then
		echo "test_expect_code: wanted $want, got $rc: $*" >&2
		return 1
	fi
	return 0
}

test_cmp() { diff -u "$1" "$2"; }

# FILE must be empty
test_must_be_empty() {
	if [ -s "$1" ]; then
		echo "'$1' is not empty:" >&2
		head -n 20 "$1" >&2
		return 1
	fi
}

# the file must have exactly N lines
test_line_count() { # FILE N
	n=$(wc -l <"$1")
	[ "$n" -eq "$2" ] || { echo "$1 has $n lines, wanted $2" >&2; return 1; }
}

# wait up to SECONDS for a shell condition to hold
test_wait_for() { # SECONDS CONDITION
	i=0
	while ! eval "$2"; do
		i=$((i + 1))
		[ $i -le $(($1 * 10)) ] || { echo "timed out waiting for: $2" >&2; return 1; }
		sleep 0.1
	done
}

# --- local services -------------------------------------------------------
# which Kinesis the tests talk to: kinesalite, or kinesis-mock
: "${CS_KINESIS_IMPL:=kinesalite}"
case $CS_KINESIS_IMPL in
kinesalite|kinesis-mock) ;;
*) say "Bail out! CS_KINESIS_IMPL is kinesalite or kinesis-mock, not '$CS_KINESIS_IMPL'"; exit 1 ;;
esac
export CS_KINESIS_IMPL

# start private services in DIR (default: $TRASH/svc) and load their
# endpoints; "kinesis" is the implementation of CS_KINESIS_IMPL
services_start() { # [DIR] [both|kinesis|dynamodb|kinesis-mock]
	d=${1:-$TRASH/svc}
	what=${2:-both}
	if [ "$CS_KINESIS_IMPL" = kinesis-mock ]; then
		case $what in
		both) what=kinesis-mock,dynamodb ;;
		kinesis) what=kinesis-mock ;;
		esac
	fi
	"$SRC_DIR/scripts/services.sh" start "$d" "$what" >/dev/null || return 1
	test_services_dirs="$test_services_dirs $d"
	. "$d/services.env"
	if [ "$CS_KINESIS_IMPL" = kinesis-mock ] && [ -n "${CS_KINESIS_MOCK_ENDPOINT:-}" ]; then
		CS_KINESIS_ENDPOINT=$CS_KINESIS_MOCK_ENDPOINT
	fi
	export CS_KINESIS_ENDPOINT CS_DYNAMODB_ENDPOINT CS_KINESIS_MOCK_ENDPOINT 2>/dev/null || true
}

# the shared services of the run, else private ones
services_need() {
	if [ -z "${CS_KINESIS_ENDPOINT:-}" ] || [ -z "${CS_DYNAMODB_ENDPOINT:-}" ]; then
		services_start || { say "Bail out! cannot start $CS_KINESIS_IMPL and dynalite"; exit 1; }
	fi
	export CS_KINESIS_ENDPOINT CS_DYNAMODB_ENDPOINT
}

# kinesis-mock's endpoint in KM: the run's, else a private one (for the
# tests of what kinesalite lacks: AT_TIMESTAMP past the last record,
# MillisBehindLatest, UpdateShardCount, enhanced fan-out)
kinesis_mock_need() {
	if [ -z "${CS_KINESIS_MOCK_ENDPOINT:-}" ]; then
		"$SRC_DIR/scripts/services.sh" start "$TRASH/kmsvc" kinesis-mock >/dev/null ||
		    { say "Bail out! cannot start kinesis-mock"; exit 1; }
		test_services_dirs="$test_services_dirs $TRASH/kmsvc"
		. "$TRASH/kmsvc/services.env"
	fi
	KM=$CS_KINESIS_MOCK_ENDPOINT
	export CS_KINESIS_MOCK_ENDPOINT
}

# a name unique to this script and run, for streams and tables
unique_name() { echo "cs-$TEST_NAME-$1-$$"; }

kinesis() { "$SRC_DIR/scripts/services.sh" call "$CS_KINESIS_ENDPOINT" kinesis "$@"; }

# the message of the Kinesis under test for a stream NAME that does not
# exist: each implementation words it its own way, and cs passes it on as is
kinesis_no_stream_message() { # NAME
	case $CS_KINESIS_IMPL in
	kinesis-mock) echo "Stream arn arn:aws:kinesis:$AWS_REGION:000000000000:stream/$1 not found" ;;
	*) echo "Stream $1 under account 000000000000 not found." ;;
	esac
}

# put COUNT numbered test records from FIRST into STREAM with PutRecords
# (tests/data/tail-records.py makes the bodies, KEYS partition keys), every one accepted
put_records() { # STREAM FIRST COUNT [KEYS]
	python3 "$TEST_DIR/data/tail-records.py" "$@" >bodies &&
	while read -r body; do
		kinesis PutRecords "$body" >put.out || return 1
		grep -q '"FailedRecordCount":0' put.out || { cat put.out; return 1; }
	done <bodies
}
dynamodb() { "$SRC_DIR/scripts/services.sh" call "$CS_DYNAMODB_ENDPOINT" dynamodb "$@"; }
create_stream() { "$SRC_DIR/scripts/services.sh" create-stream "$CS_KINESIS_ENDPOINT" "$@"; }
create_table() { "$SRC_DIR/scripts/services.sh" create-table "$CS_DYNAMODB_ENDPOINT" "$@"; }

# the records of stream NAME, read back with the stream's own API (tests/put/readback.py)
readback() { python3 "$SRC_DIR/tests/put/readback.py" "$CS_KINESIS_ENDPOINT" "$@"; } # NAME...

# every item of TABLE, one canonical JSON line each, sorted (one page: keep tables small)
scan_sorted() { # TABLE
	dynamodb Scan "{\"TableName\":\"$1\"}" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert "LastEvaluatedKey" not in d, "more than one page"
for line in sorted(json.dumps(i, sort_keys=True, ensure_ascii=False) for i in d["Items"]):
    print(line)
'
}

# start tests/stubs/SCRIPT in the background as NAME (--port-file NAME.port
# --log NAME.log ARGS...), its pid in NAME.pid; once it listens, its URL in
# $STUB.  A stub that does not come up within 20 s is stopped, and this fails.
stub_run() { # SCRIPT NAME ARGS...
	stub_script=$1 stub_name=$2
	shift 2
	python3 "$TEST_DIR/stubs/$stub_script" --port-file "$stub_name.port" --log "$stub_name.log" "$@" &
	echo $! >"$stub_name.pid"
	test_wait_for 20 "test -s $stub_name.port" ||
	    { kill "$(cat "$stub_name.pid")" 2>/dev/null; return 1; }
	STUB=http://127.0.0.1:$(cat "$stub_name.port")
}
stub_stop() { kill "$(cat "$1.pid")" 2>/dev/null; } # NAME

# write FILE, a batch command for cs-tail --exec: cs-validate, its rejects in
# a new file in REJDIR, into cs-store [OPTIONS] -t TABLE with the sample's
# mapping (stderr appended to LOG, if given).  A bash script: /bin/sh (dash)
# has no pipefail, and a batch whose cs-validate failed must fail.
e2e_consumer() { # FILE REJDIR TABLE [OPTIONS [LOG]]
	{
		echo '#!/bin/bash'
		echo 'set -o pipefail'
		echo "cs-validate --rejects \"\$(mktemp '$2/b.XXXXXX')\" |"
		echo "    cs-store ${4:+$4 }-t '$3' -m @'$SRC_DIR/scripts/sample-mapping.jq'${5:+ 2>>'$5'}"
	} >"$1" &&
	chmod +x "$1"
}

# --- man pages ------------------------------------------------------------
# PAGE is mandoc-lint clean (no warning, no error)
test_man_lint() { # PAGE [TITLE]
	test_expect_success "${2:-mandoc -Tlint is clean}" "
		mandoc -Tlint -W warning '$1'
	"
}

# every long option TOOL --help lists has its ".Fl" in PAGE
man_documents_options() { # TOOL PAGE
	"$1" --help | grep -o -e "--[a-z-]*" | sort -u >opts &&
	while read -r o; do
		grep -q -F -e "Fl -${o#--}" "$2" || { echo "undocumented: $o"; return 1; }
	done <opts
}

# every STATUS has its ".It STATUS" in the EXIT STATUS section of PAGE
man_documents_exit_status() { # PAGE STATUS...
	p=$1
	shift
	for s in "$@"; do
		sed -n "/^\.Sh EXIT STATUS/,/^\.Sh/p" "$p" | grep -qx ".It $s" ||
		    { echo "exit status $s not documented"; return 1; }
	done
}

# man/TOOL.1 (then in $man_page) is lint clean and documents every option
# of TOOL --help, and each STATUS given in EXIT STATUS
test_man_page() { # TOOL [STATUS...]
	man_page=$SRC_DIR/man/$1.1
	man_tool=$1
	shift
	man_statuses="$*"
	test_man_lint "$man_page"
	if [ -z "$man_statuses" ]; then
		test_expect_success 'the page documents every option of --help' '
			man_documents_options "$man_tool" "$man_page"
		'
	else
		test_expect_success 'the page documents every option of --help, and every exit status' '
			man_documents_options "$man_tool" "$man_page" &&
			man_documents_exit_status "$man_page" $man_statuses
		'
	fi
}

# split the EXAMPLES of $man_page into ex-NN/cmd and ex-NN/expected: each
# ".Bd -literal" block whose first line starts with "$ " is that command,
# its other lines what it prints (stdout and stderr); and a test that the
# page has examples ex-01 to ex-LAST at least
test_man_examples_split() { # LAST
	awk '
	/^\.Sh / { inex = ($2 == "EXAMPLES"); next }
	!inex { next }
	/^\.Bd -literal/ { inb = 1; first = 1; next }
	/^\.Ed/ { if (inb && d) { close(d "/cmd"); close(d "/expected") } inb = 0; d = ""; next }
	inb {
		line = $0
		gsub(/\\e/, "\\", line); gsub(/\\&/, "", line)
		if (first) {
			first = 0
			if (line !~ /^\$ /) { inb = 0; next }
			n++; d = sprintf("ex-%02d", n); system("mkdir -p " d)
			print substr(line, 3) > (d "/cmd"); printf "" > (d "/expected")
			next
		}
		print line > (d "/expected")
	}
	' "$man_page"
	test_expect_success 'the page has examples to run' "
		test -f ex-01/cmd && test -f ex-$1/cmd
	"
}

# a test for each example: sh -c CMD prints exactly what the page says
# (stdout and stderr) and exits 0; with --any-status, whatever its status
test_man_examples_run() { # [--any-status]
	for man_ex in ex-*; do
		if [ "${1:-}" = --any-status ]; then
			test_expect_success "example: $(cat "$man_ex/cmd")" "
				{ sh -c \"\$(cat $man_ex/cmd)\" >$man_ex/out 2>&1; true; } &&
				test_cmp $man_ex/expected $man_ex/out
			"
		else
			test_expect_success "example: $(cat "$man_ex/cmd")" "
				sh -c \"\$(cat $man_ex/cmd)\" >$man_ex/out 2>&1 &&
				test_cmp $man_ex/expected $man_ex/out
			"
		fi
	done
}

test_cleanup() {
	for d in $test_services_dirs; do
		"$SRC_DIR/scripts/services.sh" stop "$d" >/dev/null 2>&1
	done
	# kill what the script left in the background
	jobs -p 2>/dev/null | xargs -r kill 2>/dev/null
	cd /
	if [ "$test_failed" -eq 0 ] && [ -z "${CS_KEEP_TRASH:-}" ]; then
		rm -rf "$TRASH"
	else
		echo "# trash kept in $TRASH"
	fi
}

test_done() {
	say "1..$test_count"
	test_cleanup
	[ "$test_failed" -eq 0 ]
	exit $?
}

trap 'test_cleanup' INT TERM
