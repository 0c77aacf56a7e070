#!/bin/bash
# test-slow: 45
# t5060-e2e-demo: scripts/demo.sh (what 'make demo' runs) works from start
# to end: the sample's answer, the counts that add up, everything it
# started stopped.  It runs the tools under test (the sanitizer build,
# through DEMO_BIN) rather than bin/.
. "$(dirname "$0")/lib.sh"
export DEMO_BIN=$CS_BIN

test_expect_success 'scripts/demo.sh runs to the end in under a minute' '
	start=$(date +%s) &&
	DEMO_COUNT=400 timeout 60 "$SRC_DIR/scripts/demo.sh" -k >demo.out 2>demo.err;
	rc=$?
	cat demo.out demo.err | tail -n 30
	test $rc = 0 &&
	test $(($(date +%s) - start)) -lt 60
'

test_expect_success 'it showed the sample'"'"'s answer and counts that add up' '
	grep "^HTTP/1.1 200" demo.out &&
	grep "^Access-Control-Allow-Origin: \*" demo.out &&
	grep "\"Code\":\"PutRecordSuccessful\",\"Message\":\"Record was successfully put to click-stream\"" demo.out &&
	grep "\"IP\": \"0.0.0.0\", \"Timestamp\": \"2018-02-04T23:18:32.866Z\"" demo.out &&
	grep "sent = stored + rejected: 401 = 381 + 20" demo.out
'

if command -v chromium >/dev/null && perl -MMaxMind::DB::Writer::Tree -e 1 2>/dev/null; then
	test_expect_success 'it showed the page views and the click of headless Chromium in the table' '
		sed -n "/^== a web page/,/^== stopping/p" demo.out >page.out &&
		test $(grep -c "^  {\"IP\": \"127.0.0.1\", .*\"Browser\": \"[^\"]" page.out) -eq 3 &&
		# two pages seen: the third item is the click, on index.html (the table keeps
		# the sample'"'"'s attributes only, so its "event" is not there to show)
		test $(grep -c "\"URL\": \"http://127.0.0.1:[0-9]*/index.html\", \"Referrer\": \"\"" page.out) -eq 2 &&
		grep -q "\"URL\": \"http://127.0.0.1:[0-9]*/product.html\", \"Referrer\": \"http://127.0.0.1:[0-9]*/index.html\"" page.out
	'
else
	test_skip 'it showed the page views and the click of headless Chromium' 'no chromium or MaxMind DB writer'
fi

test_expect_success 'it stopped everything it started' '
	dir=$(sed -n "s/^demo: files kept in //p" demo.err) &&
	test -d "$dir" &&
	# services.sh stop ran (it removes the pid file of each service it stopped)
	test -f "$dir/svc/services.env" &&
	! ls "$dir"/svc/*.pid 2>/dev/null &&
	! pgrep -f "$dir" &&
	# kinesalite, dynalite and the endpoint, each named by the demo, no longer answer
	sed -n "s/^kinesis: *//p; s/^dynamodb: *//p" demo.out >urls &&
	sed -n "s|.*cs-put --listen \([0-9.:]*\) .*|http://\1/report|p" demo.out | head -n 1 >>urls &&
	test_line_count urls 3 &&
	for url in $(cat urls); do
		echo "$url is closed" &&
		! curl -s -o /dev/null --max-time 2 "$url" || { echo "$url still answers"; return 1; }
	done &&
	rm -rf "$dir"
'

test_done
