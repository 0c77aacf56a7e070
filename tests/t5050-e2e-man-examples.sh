#!/bin/bash
# test-slow: 40
# t5050-e2e-man-examples: man/cs.7 is mandoc-lint clean and its EXAMPLES
# run: every literal block of that section is taken from the page as it is
# and run against private kinesalite and dynalite (the stream click-stream
# and the table click-stream-table, as the page expects).
. "$(dirname "$0")/lib.sh"
services_start || { say "Bail out! cannot start kinesalite and dynalite"; exit 1; }
export AWS_ENDPOINT_URL_KINESIS=$CS_KINESIS_ENDPOINT
export AWS_ENDPOINT_URL_DYNAMODB=$CS_DYNAMODB_ENDPOINT
page=$SRC_DIR/man/cs.7
check="python3 $TEST_DIR/e2e-check.py"

test_man_lint "$page" 'mandoc -Tlint: no warning or error'

test_expect_success 'the EXAMPLES section has its literal blocks' '
	awk "
	/^\\.Sh / { ex = (\$2 == \"EXAMPLES\") }
	ex && /^\\.Bd -literal/ { n++; f = sprintf(\"example%d.sh\", n); inb = 1; next }
	ex && /^\\.Ed/ { inb = 0; next }
	inb { gsub(/\\\\e/, \"\\\\\"); print > f }
	" "$page" &&
	ls example*.sh &&
	test $(ls example*.sh | wc -l) -ge 4 &&
	grep -l "cs-tail -s click-stream -e |" example*.sh >pipeline &&
	grep -l "^# drain.sh" example*.sh >cron &&
	grep -l "^# store-batch.sh" example*.sh >batch &&
	grep -l -- "--replay-speed" example*.sh >replay &&
	grep -l -- "--listen" example*.sh >listen &&
	grep -l "^# worker.sh" example*.sh >workers
'

test_expect_success 'setup: the stream, the table, a capture and the mapping' '
	create_stream click-stream 2 &&
	create_table click-stream-table IP Timestamp &&
	cp "$SRC_DIR/scripts/sample-mapping.jq" . &&
	gen-records --count 300 --seed 5050 --bad-ratio 0.05 >capture.ndjson &&
	cs-validate --rejects expected-rejects.ndjson capture.ndjson >expected.ndjson &&
	$check keys expected.ndjson >expected-keys
'

test_expect_success 'example: a shell pipeline' '
	cat $(cat pipeline) &&
	timeout 60 sh -e $(cat pipeline) &&
	$check scan "$CS_DYNAMODB_ENDPOINT" click-stream-table >got-keys &&
	$check cmp-keys expected-keys got-keys &&
	$check cmp-rejects expected-rejects.ndjson rejects.ndjson
'

test_expect_success 'example: the cron job drains the stream and exits, twice' '
	cat $(cat cron) $(cat batch) &&
	cp $(cat cron) drain.sh &&
	cp $(cat batch) store-batch.sh &&
	chmod +x drain.sh store-batch.sh &&
	timeout 60 ./drain.sh &&
	test -s click-stream.ck &&
	cp click-stream.ck ck.first &&
	timeout 60 ./drain.sh &&
	test_cmp ck.first click-stream.ck &&
	$check scan "$CS_DYNAMODB_ENDPOINT" click-stream-table >got-keys &&
	$check cmp-keys expected-keys got-keys &&
	$check cmp-rejects expected-rejects.ndjson rejects/*.ndjson
'

test_expect_success 'example: replay of a capture at ten times its pace' '
	cat $(cat replay) &&
	gen-records --count 12 --seed 5051 >capture.ndjson &&
	start=$(date +%s%N) &&
	timeout 60 sh -e $(cat replay) &&
	end=$(date +%s%N) &&
	test_must_be_empty failed.ndjson &&
	python3 -c "import json, sys
from datetime import datetime
ts = [datetime.strptime(json.loads(l)[\"timestamp\"], \"%Y-%m-%dT%H:%M:%S.%fZ\") for l in open(\"capture.ndjson\")]
span = (ts[-1] - ts[0]).total_seconds() / 10
took = ($end - $start) / 1e9
print(\"original span / 10: %.2f s, replay took %.2f s\" % (span, took))
sys.exit(0 if span * 0.8 - 0.1 <= took <= span * 1.5 + 2 else 1)"
'

test_expect_success 'example: the sample'"'"'s endpoint' '
	port=$(services.sh freeport) &&
	sed "s/127\.0\.0\.1:8080/127.0.0.1:$port/g" $(cat listen) >listen.sh &&
	cat listen.sh &&
	gen-records --count 1 --seed 5052 >record.json &&
	sed "s/&\$/\& echo \$! >listen.pid; sleep 1/" listen.sh >listen-run.sh &&
	timeout 30 sh -e listen-run.sh >answer.json &&
	kill $(cat listen.pid) &&
	cat answer.json &&
	grep "\"Code\":\"PutRecordSuccessful\"" answer.json
'

test_expect_success 'example: two workers on two machines share the stream' '
	cat $(cat workers) &&
	dynamodb DeleteTable "{\"TableName\":\"click-stream-table\"}" >/dev/null &&
	test_wait_for 10 "! dynamodb DescribeTable \"{\\\"TableName\\\":\\\"click-stream-table\\\"}\" >/dev/null 2>&1" &&
	create_table click-stream-table IP Timestamp &&
	# what the stream holds now, with the records of the earlier examples
	cs-tail -q -s click-stream -e | cs-validate --rejects all-rejects.ndjson >all.ndjson &&
	$check keys all.ndjson >all-keys &&
	cp $(cat workers) worker.sh && chmod +x worker.sh &&
	for m in a b; do
		mkdir -p "machine-$m/bin" &&
		printf "#!/bin/sh\necho machine-$m\n" >"machine-$m/bin/hostname" &&
		chmod +x "machine-$m/bin/hostname" &&
		cp worker.sh store-batch.sh sample-mapping.jq "machine-$m/" &&
		{ (cd "machine-$m" && PATH=$PWD/bin:$PATH exec ./worker.sh 2>worker.err) & echo $! >"machine-$m.pid"; } ||
		return 1
	done &&
	test_wait_for 60 "$check scan \"$CS_DYNAMODB_ENDPOINT\" click-stream-table >got-keys && cmp -s all-keys got-keys" &&
	# both machines hold leases (the one that came second may have stolen its share
	# after the records were all in: on a loaded machine that comes later)
	printf "machine-a\nmachine-b\n" >want &&
	{ test_wait_for 60 "dynamodb Scan \"{\\\"TableName\\\":\\\"click-stream-leases\\\"}\" >leases.json &&
	    jq -r \".Items[].leaseOwner.S // empty\" leases.json | sort -u >owners && cmp -s want owners" || :; } &&
	test_cmp want owners &&
	kill -TERM $(cat machine-a.pid) $(cat machine-b.pid) &&
	test_wait_for 20 "! kill -0 $(cat machine-a.pid) 2>/dev/null && ! kill -0 $(cat machine-b.pid) 2>/dev/null" &&
	dynamodb Scan "{\"TableName\":\"click-stream-leases\"}" >leases.json &&
	test "$(jq "[.Items[] | select(.leaseOwner)] | length" leases.json)" = 0 &&
	$check cmp-keys all-keys got-keys &&
	$check cmp-rejects all-rejects.ndjson machine-*/rejects/*.ndjson &&
	test_must_be_empty machine-a/worker.err && test_must_be_empty machine-b/worker.err
'

test_done
