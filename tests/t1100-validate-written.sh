#!/bin/sh
# cs-validate's summary after standard output fails says how many eligible
# records were written, whole, and how many were not: never all of them as
# "eligible" when some never reached the output.  And its exit status
# follows the one rule of every tool (cs_exit_status), not the last failure.
. "$(dirname "$0")/lib.sh"

test_expect_success 'setup' '
	gen-records --count 3000 --seed 1100 --bad-ratio 0.1 >in
'

# a file size limit: the write that crosses it is cut, the next fails (EFBIG)
test_expect_success 'stdout fails part way: the summary counts what was written' '
	( trap "" XFSZ; ulimit -f 64; exec cs-validate --stats --rejects rj in >out 2>err )
	test $? -eq 4 &&
	cat err &&
	grep -q "^cs-validate: write error on standard output" err &&
	w=$(wc -l <out) &&
	test "$w" -gt 0 &&
	line=$(grep "^cs-validate: [0-9]* read, " err) &&
	echo "$line" | grep -q "^cs-validate: [0-9]* read, $w eligible written, [0-9]* not (standard output failed), [0-9]* rejected" &&
	set -- $(echo "$line" | sed "s/^cs-validate: \([0-9]*\) read, \([0-9]*\) eligible written, \([0-9]*\) not .*, \([0-9]*\) rejected.*/\1 \2 \3 \4/") &&
	test "$3" -gt 0 &&
	test $(($2 + $3 + $4)) -eq "$1" &&
	test "$(wc -l <rj)" -eq "$4"
'

test_expect_success 'stdout fine: eligible, as before' '
	cs-validate --stats --rejects rj2 in >out2 2>err2 &&
	grep -q "^cs-validate: 3000 read, $(wc -l <out2) eligible, $(wc -l <rj2) rejected" err2
'

test_expect_success 'an input that cannot be opened, then a signal: exit 6 (interrupted first), not 3' '
	mkfifo fifo &&
	{ echo "{}"; sleep 30; } >fifo &
	writer=$!
	cs-validate no-such-file fifo >out3 2>err3 &
	pid=$!
	test_wait_for 10 "test -s out3 || grep -q . err3" &&
	sleep 0.5 &&
	kill -TERM $pid &&
	{ wait $pid; rc=$?; } &&
	kill $writer 2>/dev/null
	cat err3 &&
	grep -q "no-such-file" err3 &&
	test $rc -eq 6
'

test_done
