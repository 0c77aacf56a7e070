#!/bin/sh
# cs-tail following an idle shard polls it at most five times a second
# (cs-tail(1): "every 200 ms, as the service allows"), and does poll it.
. "$(dirname "$0")/lib.sh"
services_need
E=$CS_KINESIS_ENDPOINT
S=$(unique_name poll)

test_expect_success 'setup: 1 shard, 1 record' '
	create_stream "$S" 1 &&
	echo "{\"n\":1}" >in &&
	cs-put --endpoint-url "$E" -s "$S" in
'

# --foreground: timeout signals cs-tail alone, with SIGTERM only.  Without it,
# timeout also sends SIGTERM and then SIGCONT to its whole process group; a
# SIGCONT that arrives while LeakSanitizer stops the world at cs-tail's exit
# discards the SIGSTOP of the tracer's PTRACE_ATTACH, and the tracer then
# waits for a stop that never comes, forever (1 run in 4 hung in make check).
test_expect_success 'following an idle shard for 3 s: 3 to 16 GetRecords calls, the record out once' '
	test_expect_code 6 timeout --foreground --preserve-status 3 cs-tail --endpoint-url "$E" -s "$S" -v >out 2>err &&
	echo "{\"n\":1}" >want &&
	test_cmp want out &&
	n=$(grep -c "GetRecords -> 200" err) &&
	echo "# $n GetRecords calls in 3 s" &&
	test $n -ge 3 && test $n -le 16 &&
	# each line of the -v trace: the status, the time, the HTTP version
	test $(grep -c "GetRecords -> 200 ([0-9]* ms, HTTP/1.1)\$" err) -eq $n
'

test_done
