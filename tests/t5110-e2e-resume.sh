#!/bin/bash
# A run that stops before the end of its input (the service down past the
# retry budget, a signal) names, in its last message, the first line it did
# not take: "stopped before FILE:LINE".  The rejects hold every line before
# it, and "tail -n +LINE FILE" resumes: nothing lost, nothing twice.
. "$(dirname "$0")/lib.sh"
services_need
MAP=$SRC_DIR/scripts/sample-mapping.jq
DEAD=http://127.0.0.1:$(services.sh freeport)

# the resume point of the last line of stderr FILE: "stopped before IN:LINE: ..."
resume_line() { # ERR INPUT
	tail -n 1 "$1" | sed -n "s/^cs-[a-z]*: stopped before $2:\([0-9]*\): it and the lines after it were not read.*/\1/p"
}
# the "line" members of rejects file RJ are exactly 1 .. LINE-1
rejects_are_lines_before() { # RJ LINE
	python3 -c '
import json, sys
got = sorted(json.loads(l)["line"] for l in open(sys.argv[1]))
want = list(range(1, int(sys.argv[2])))
assert got == want, "rejects hold lines %s..%s (%d), want 1..%d" % (
    got[:1], got[-1:], len(got), int(sys.argv[2]) - 1)
' "$1" "$2"
}

test_expect_success 'setup' '
	gen-records --count 5000 --seed 5110 >in &&
	head -n 10 in >ten
'

test_expect_success 'cs-put, endpoint down past the budget: rejects and the resume point account for every line' '
	test_expect_code 5 cs-put -s s --endpoint-url $DEAD --retry-budget 3000 --rejects rj in 2>err &&
	line=$(resume_line err in) &&
	test -n "$line" && test "$line" -gt 1 && test "$line" -le 5000 &&
	rejects_are_lines_before rj "$line" &&
	echo "$line" >put.line
'

test_expect_success 'cs-put: tail -n +LINE resumes, nothing lost, nothing twice' '
	line=$(cat put.line) &&
	S=$(unique_name put) &&
	create_stream "$S" 2 &&
	tail -n "+$line" in | cs-put -s "$S" --endpoint-url "$CS_KINESIS_ENDPOINT" &&
	readback "$S" >stream &&
	python3 -c "import json; [print(json.loads(l)[\"record\"]) for l in open(\"rj\")]" >rejected &&
	cat rejected stream | LC_ALL=C sort >got &&
	LC_ALL=C sort in >want &&
	test_cmp want got
'

test_expect_success 'cs-put, SIGTERM with files to come: the stop point and the files not opened' '
	{ head -n 300 in >a && tail -n 20 in >b; } || exit 1
	cs-put -s s --endpoint-url $DEAD --rate 100 --results res a b 2>err &
	pid=$! &&
	sleep 1.5 &&
	kill -TERM $pid &&
	{ wait $pid; rc=$?; } &&
	test $rc -eq 6 &&
	line=$(resume_line err a) &&
	test -n "$line" && test "$line" -gt 1 && test "$line" -le 300 &&
	tail -n 1 err | grep -q "were not read, nor b\$" &&
	test_line_count res $((line - 1))
'

test_expect_success 'cs-put: all input read, then the service fails: no stop point' '
	test_expect_code 5 cs-put -s s --endpoint-url $DEAD --retry-budget 500 --rejects rj10 ten 2>err &&
	test_line_count rj10 10 &&
	! grep "stopped before" err
'

test_expect_success 'cs-store, connections reset past the budget: rejects and the resume point account for every line' '
	T=$(unique_name store) &&
	create_table "$T" IP Timestamp &&
	stub_run faultproxy.py reset --upstream "$CS_DYNAMODB_ENDPOINT" --reset 1 \
	    --ops BatchWriteItem || exit 1
	test_expect_code 5 cs-store -t "$T" -m @"$MAP" --endpoint-url "$STUB" --retry-budget 2000 \
	    --rejects srj in 2>err
	rc=$?
	stub_stop reset
	test $rc -eq 0 &&
	line=$(resume_line err in) &&
	test -n "$line" && test "$line" -gt 1 && test "$line" -le 5000 &&
	rejects_are_lines_before srj "$line"
'

test_done
