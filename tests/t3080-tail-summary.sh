#!/bin/sh
# cs-tail's summary on stderr at the end, in the shape of cs-put's and
# cs-store's: records, shards, lines and bytes, the --exec batches
# (failed, runs, re-runs), requests and retries.  Shown when stderr is a
# terminal, with -v or --stats; silent otherwise.
. "$(dirname "$0")/lib.sh"
services_need
export AWS_ENDPOINT_URL_KINESIS=$CS_KINESIS_ENDPOINT
S=$(unique_name s)

put_one() { # KEY JSON
	kinesis PutRecord "{\"StreamName\":\"$S\",\"PartitionKey\":\"$1\",\"Data\":\"$(printf "%s" "$2" | base64 -w0)\"}" >/dev/null
}

test_expect_success 'setup: 2 shards, 5 records, one poisoned' '
	create_stream "$S" 2 &&
	for i in 1 2 3 4; do put_one "k$i" "{\"n\":$i}" || exit 1; done &&
	put_one k1 "{\"n\":\"poison\"}"
'

test_expect_success 'silent when stderr is not a terminal' '
	cs-tail -s "$S" -e >out 2>err &&
	test_line_count out 5 &&
	test_must_be_empty err
'

test_expect_success '--stats: one line, the counts exact' '
	cs-tail -s "$S" -e --stats >out 2>err &&
	bytes=$(wc -c <out) &&
	test_line_count err 1 &&
	sed -E "s/[0-9]+ requests/R requests/" err >got &&
	echo "cs-tail: 5 records from 2 shards: 5 lines ($bytes bytes) written; R requests, 0 retries" >expect &&
	test_cmp expect got
'

test_expect_success '--stats with -q still prints it; -n counts the lines written' '
	cs-tail -s "$S" -e -q --stats -n 2 >out 2>err &&
	test_line_count out 2 &&
	grep -q "^cs-tail: [0-9]* records from [0-9]* shards: 2 lines ($(wc -c <out) bytes) written; " err
'

test_expect_success '-v: the summary with the time taken' '
	cs-tail -s "$S" -e -v >out 2>err &&
	grep -E "^cs-tail: 5 records from 2 shards: 5 lines \([0-9]+ bytes\) written; [0-9]+ requests, 0 retries; [0-9.]+ s, [0-9]+ records/s$" err
'

test_expect_success '--exec: batches, the failed one, runs and re-runs' '
	cat >cmd.sh <<-\EOF &&
	if grep -q poison; then exit 3; fi
	EOF
	test_expect_code 1 cs-tail -s "$S" -e --stats --exec "sh $TRASH/cmd.sh" --batch-size 100 \
	    --max-retries 2 --on-failure failed.ndjson >out 2>err &&
	cat err &&
	test_must_be_empty out &&
	bytes=$(cs-tail -s "$S" -e | wc -c) &&
	n=$(jq .count failed.ndjson) &&
	sed -E "s/[0-9]+ requests/R requests/" err | grep "^cs-tail: 5 records" >got &&
	echo "cs-tail: 5 records from 2 shards: 5 lines ($bytes bytes) in 2 batches, 1 failed ($n lines to the on-failure output), 4 runs, 2 re-runs; R requests, 0 retries" >expect &&
	test_cmp expect got
'

test_expect_success 'stderr a terminal: progress, then the summary' '
	python3 - "$S" <<-\EOF >tty.out &&
	import os, pty, subprocess, sys
	m, s = pty.openpty()
	p = subprocess.Popen(["cs-tail", "-s", sys.argv[1], "-e"], stdout=subprocess.DEVNULL, stderr=s)
	os.close(s)
	out = b""
	while True:
	    try:
	        d = os.read(m, 4096)
	    except OSError:
	        break
	    if not d:
	        break
	    out += d
	sys.stdout.write(out.decode().replace("\r", "<CR>").replace("\x1b[K", "<EL>"))
	sys.exit(p.wait())
	EOF
	cat tty.out &&
	grep -q "cs-tail: 5 records from 2 shards: 5 lines ([0-9]* bytes) written; [0-9]* requests, 0 retries; [0-9.]* s, [0-9]* records/s" tty.out
'

test_done
