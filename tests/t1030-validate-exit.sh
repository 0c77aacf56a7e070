#!/bin/sh
# cs-validate: exit status.  0 when all input was read (rejects are data),
# 3 when an input could not be read (the others still are), 4 when stdout
# or the rejects file could not be written; a closed pipe is a quiet stop.
. "$(dirname "$0")/lib.sh"

good='{"ip":"0.0.0.0","timestamp":"2018-02-04T23:18:32.866Z","browser":"Chrome","url":"http://adroitlogic.com/products/ultraesb-x","referrer":"http://adroitlogic.com","os":"Windows","country":"Sri Lanka","language":"en-us"}'

test_expect_success 'rejects are data: exit 0, also under pipefail' '
	printf "%s\n{}\n" "$good" >in &&
	cs-validate in >out 2>err &&
	bash -o pipefail -c "cs-validate in 2>/dev/null | cat >/dev/null"
'

test_expect_success 'a missing file: exit 3, the other files are still read' '
	printf "%s\n" "$good" >a &&
	test_expect_code 3 cs-validate a missing a >out 2>err &&
	test_line_count out 2 &&
	echo "cs-validate: cannot open '"'"'missing'"'"': No such file or directory" >expect &&
	test_cmp expect err
'

test_expect_success 'an unreadable input (a directory): exit 3, the others are read' '
	mkdir d &&
	printf "%s\n" "$good" >a &&
	test_expect_code 3 cs-validate d a >out 2>err &&
	test_line_count out 1 &&
	grep "^cs-validate: cannot read '"'"'d'"'"': Is a directory" err
'

test_expect_success 'a full disk on stdout: exit 4 with one message' '
	gen-records --count 5000 --seed 3 >in &&
	test_expect_code 4 cs-validate in >/dev/full 2>err &&
	test_line_count err 1 &&
	grep "^cs-validate: write error on standard output: No space left on device" err
'

test_expect_success 'a small input on a full disk fails too (at the final flush)' '
	printf "%s\n" "$good" >in &&
	test_expect_code 4 cs-validate in >/dev/full 2>err &&
	grep "No space left on device" err
'

test_expect_success 'a full disk for the rejects file: exit 4' '
	printf "{}\n" >in &&
	test_expect_code 4 cs-validate --rejects /dev/full in >out 2>err &&
	grep "^cs-validate: write error on '"'"'/dev/full'"'"'" err
'

test_expect_success 'many rejects on a full disk: one message, the run stops' '
	gen-records --count 20000 --seed 3 --bad-ratio 1 >in &&
	test_expect_code 4 cs-validate --rejects /dev/full in >out 2>err &&
	test_line_count err 1
'

test_expect_success 'a rejects file that cannot be created: exit 4 before reading' '
	printf "%s\n" "$good" >in &&
	test_expect_code 4 cs-validate --rejects no/such/dir/rej in >out 2>err &&
	test_must_be_empty out &&
	grep "^cs-validate: cannot open '"'"'no/such/dir/rej'"'"'" err
'

test_expect_success 'a reader that goes away: a quiet stop, exit 0' '
	gen-records --count 50000 --seed 4 >in &&
	{ cs-validate in 2>err; echo $? >rc; } | head -n 1 >out &&
	test_line_count out 1 &&
	test "$(cat rc)" = 0 &&
	test_must_be_empty err
'

test_expect_success 'SIGTERM: what was read is written, exit 6' '
	mkfifo fifo &&
	{ printf "%s\n" "$good"; touch written; sleep 5; } >fifo &
	writer=$! &&
	{ cs-validate fifo >out 2>err & } &&
	pid=$! &&
	test_wait_for 10 "test -f written" &&
	sleep 0.2 &&
	kill -TERM $pid &&
	{ wait $pid; rc=$?; } ;
	kill $writer 2>/dev/null;
	test "$rc" = 6 &&
	printf "%s\n" "$good" >expect &&
	test_cmp expect out
'

test_expect_success 'an output that is also an input: exit 2 before anything is written' '
	printf "%s\n{}\n" "$good" >in &&
	cp in keep &&
	ln in other-name &&
	test_expect_code 2 cs-validate --rejects in in 2>err &&
	test "$(head -n 1 err)" = "cs-validate: --rejects '"'"'in'"'"' is also an input" &&
	test_expect_code 2 cs-validate --rejects other-name keep in 2>err &&
	grep -q "is also an input" err &&
	test_expect_code 2 cs-validate in >>in 2>err &&
	test "$(head -n 1 err)" = "cs-validate: standard output is also the input '"'"'in'"'"'" &&
	test_expect_code 2 cs-validate <in >>in 2>err &&
	grep -q "also the input '"'"'<stdin>'"'"'" err &&
	test_cmp keep in
'

test_expect_success '--rejects naming the file stdout goes to: exit 2' '
	printf "%s\n{}\n" "$good" >in &&
	test_expect_code 2 cs-validate --rejects both in >both 2>err &&
	test "$(head -n 1 err)" = "cs-validate: --rejects '"'"'both'"'"' is also standard output"
'

test_expect_success 'other regular files and devices as outputs are fine' '
	printf "%s\n{}\n" "$good" >in &&
	cs-validate --rejects rej in >out &&
	test_line_count out 1 && test_line_count rej 1 &&
	cs-validate --rejects /dev/null in >/dev/null </dev/null
'

test_expect_success 'usage error: exit 2' '
	test_expect_code 2 cs-validate --no-such-option 2>err
'

test_done
