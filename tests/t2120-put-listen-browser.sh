#!/bin/sh
# test-slow: 40
# kinesis: kinesalite only (tests the browser and HTTP side of --listen)
# cs-put --listen as a collector that web pages use (issue 16): headless
# Chromium loads a page from another loopback port that includes
# /beacon.js, clicks a link and leaves; the page view and the click, and
# every other way a page can send (sendBeacon with a JSON Blob, text or
# NDJSON; fetch with JSON, with credentials, an array) arrive in the
# stream, enriched (ip, country from a MaxMind DB built here), pass
# cs-validate and reach the table through cs-tail | cs-validate | cs-store.
# Then the pre-flights as a browser sends them, --allow-origin,
# X-Forwarded-For and --override, with curl.  And a page that stays open and
# visible: its click reaches the stream on the script's timer, within
# seconds, while the page is still open.
. "$(dirname "$0")/lib.sh"
services_need

S=$(unique_name br)
T=$(unique_name brt)
CP=$("$SRC_DIR/scripts/services.sh" freeport)
SP=$("$SRC_DIR/scripts/services.sh" freeport)
C=http://127.0.0.1:$CP
P=http://127.0.0.1:$SP

# start the collector on CP with OPTIONS... (its pid in $cpid)
collector() {
	cs-put -s "$S" --endpoint-url "$CS_KINESIS_ENDPOINT" --listen "127.0.0.1:$CP" --stats "$@" \
		2>collector.err &
	cpid=$!
	test_wait_for 20 "curl -s -o /dev/null $C/beacon.js" || { kill $cpid; return 1; }
}
stop_collector() { kill -TERM $cpid && wait $cpid; }

# the records of FILE (read back from the stream) whose member NAME is VALUE
records() { python3 -c '
import json, sys
for l in sys.stdin:
    r = json.loads(l)
    if r.get(sys.argv[1]) == sys.argv[2]:
        print(l, end="")' "$2" "$3" <"$1"; }

if ! command -v chromium >/dev/null || ! perl -MMaxMind::DB::Writer::Tree -e 1 2>/dev/null; then
	test_skip 'the browser tests' 'chromium or libmaxmind-db-writer-perl missing (scripts/deps.sh test)'
	test_done
fi

test_expect_success_here 'setup: a MaxMind DB, a stream, a table, the site on another port, the collector' '
	perl "$SRC_DIR/scripts/make-mmdb.pl" geo.mmdb &&
	create_stream "$S" 1 &&
	create_table "$T" IP Timestamp &&
	mkdir site &&
	cat >site/page1.html <<-EOF &&
	<!doctype html><html><head><title>one</title>
	<script async src="$C/beacon.js" data-field-site="shop"></script></head>
	<body><p>Page one. <a id="next" href="page2.html">Page two</a></p></body></html>
	EOF
	cat >site/page2.html <<-EOF &&
	<!doctype html><html><head><title>two</title>
	<script async src="$C/beacon.js"></script></head><body><p>Page two.</p></body></html>
	EOF
	cat >site/page3.html <<-EOF &&
	<!doctype html><html><head><title>three</title>
	<script src="$C/beacon.js" data-no-pageview></script></head><body><p>Page three.</p></body></html>
	EOF
	cat >site/api.html <<-EOF || return 1
	<!doctype html><html><head><script>window.COLLECTOR = "$C";</script></head><body></body></html>
	EOF
	(cd site && exec python3 -m http.server -b 127.0.0.1 $SP >/dev/null 2>&1) &
	SITE_PID=$!
	test_wait_for 20 "curl -s -o /dev/null $P/page1.html" &&
	collector --geoip geo.mmdb
'

test_expect_success 'GET /beacon.js: the script of the repository, as JavaScript' '
	curl -s -D headers -o got "$C/beacon.js" &&
	cmp "$SRC_DIR/lib/engines/beacon.js" got &&
	grep -qi "^Content-Type: text/javascript; charset=utf-8" headers &&
	# "a few kilobytes", no build step: small, and no import or require
	n=$(wc -c <got) && echo "beacon.js: $n bytes" && test "$n" -lt 8192 &&
	! grep -q -e "^import " -e "require(" got
'

test_expect_success 'Chromium: a page view, a click on a link, the next page, leaving; every way to send' '
	browse.py visit "$P/page1.html" next eval "$P/api.html" "$TEST_DIR/listen/api-cases.js" \
		eval "$P/page3.html" "$TEST_DIR/listen/fallback.js" >api.out &&
	cat api.out &&
	python3 - api.out <<-\EOF
	import json, sys
	r = json.loads(open(sys.argv[1]).readline())
	assert r["beaconBlob"] is True and r["beaconText"] is True and r["beaconNdjson"] is True, r
	assert r["fetchJson"] == [200, "PutRecordSuccessful"], r
	assert r["fetchCredentials"] == [200, "PutRecordSuccessful"], r
	assert r["fetchArray"] == [200, "PutRecordsSuccessful", 0, 2], r
	EOF
'

test_expect_success 'the page view, the click and the next page view are in the stream, as the page saw them' '
	test_wait_for 10 "test \$(readback $S | wc -l) -ge 12" &&
	readback "$S" >all &&
	records all event pageview >views &&
	records all event click >clicks &&
	test_line_count views 2 &&
	test_line_count clicks 1 &&
	python3 - "$P" <<-\EOF
	import json, sys
	P = sys.argv[1]
	v = [json.loads(l) for l in open("views")]
	c = json.loads(open("clicks").read())
	one = [r for r in v if r["url"] == P + "/page1.html"][0]
	two = [r for r in v if r["url"] == P + "/page2.html"][0]
	assert one["referrer"] == "" and one["site"] == "shop", one
	assert two["referrer"] == P + "/page1.html" and "site" not in two, two
	assert c["url"] == P + "/page1.html" and c["target"] == P + "/page2.html" and c["site"] == "shop", c
	for r in v + [c]:
	    assert r["ip"] == "127.0.0.1" and r["country"] == "Testland", r
	    assert r["browser"] and r["os"] == "Linux", r
	    assert r["language"] == r["language"].lower() and r["language"], r
	    assert len(r["timestamp"]) == 24 and r["timestamp"].endswith("Z"), r
	EOF
'

test_expect_success 'the sendBeacon and fetch records, and fetch when sendBeacon refuses: each once, enriched' '
	for c in beacon-blob beacon-text beacon-ndjson-1 beacon-ndjson-2 fetch-json \
	    fetch-json-credentials fetch-array-1 fetch-array-2 fetch-fallback; do
		records all case $c >one &&
		test_line_count one 1 &&
		grep -q "\"ip\":\"127.0.0.1\",\"country\":\"Testland\"}$" one || return 1
	done &&
	test_line_count all 12 &&
	records all case fetch-fallback | grep -q "\"event\":\"custom\""
'

test_expect_success_here 'the pre-flights were asked and answered (Chromium caches them: one at least)' '
	stop_collector &&
	cat collector.err &&
	n=$(sed -n "s/.* answered 200, \([0-9]*\) 204, 0 4xx, 0 5xx; 12 records received; 12 records delivered$/\1/p" collector.err) &&
	test "$n" -ge 1
'

test_expect_success 'every record passes cs-validate and reaches the table: cs-tail | cs-validate | cs-store' '
	cs-tail -s "$S" --endpoint-url "$CS_KINESIS_ENDPOINT" -e |
	    cs-validate --rejects rej |
	    cs-store -t "$T" --endpoint-url "$CS_DYNAMODB_ENDPOINT" -m @"$SRC_DIR/scripts/sample-mapping.jq" &&
	test_must_be_empty rej &&
	scan_sorted "$T" >items &&
	test_line_count items 12 &&
	grep "\"URL\": {\"S\": \"$P/page2.html\"}" items >item &&
	grep -q "\"Referrer\": {\"S\": \"$P/page1.html\"}" item &&
	grep -q "\"Country\": {\"S\": \"Testland\"}" item &&
	grep -q "\"IP\": {\"S\": \"127.0.0.1\"}" item
'

# A page that stays open and visible: its batches leave on the script's timer
# (a second after the first record waits), not only when the page is hidden
# or closed.  The issue says within a second or two of each event; the test
# allows 5 s from the click (the page's timestamp) to the stream's arrival
# time, for a loaded machine (two cores shared with ASan builds and Chromium
# starting), and the page holds 7 s: a script that sent only on hide or close
# would miss both.
test_expect_success 'Chromium: a click on a page that stays open and visible is in the stream within seconds, the page still open' '
	cat >site/page4.html <<-EOF &&
	<!doctype html><html><head><title>four</title>
	<script src="$C/beacon.js" data-no-pageview data-field-case="open-page"></script></head>
	<body><p>Page four. <button id="buy">Buy</button></p></body></html>
	EOF
	collector --geoip geo.mmdb &&
	{ browse.py eval "$P/page4.html" "$TEST_DIR/listen/open-page.js" >open.out 2>open.err & } &&
	bpid=$! &&
	test_wait_for 20 "readback $S | grep -q open-page" &&
	# browse.py prints what the page saw at the end of its 7 s, before it
	# closes the tab: nothing yet, the page is still open
	test_must_be_empty open.out;
	rc=$?; wait $bpid; brc=$?; stop_collector; cat open.out open.err collector.err &&
	test $rc -eq 0 && test $brc -eq 0 &&
	python3 - open.out <<-\EOF &&
	import json, sys
	r = json.loads(open(sys.argv[1]).readline())
	assert r["wasVisible"] == "visible" and r["visibility"] == "visible" and r["seen"] == [], r
	assert len(r["sends"]) == 1 and r["sends"][0] < 5000 and r["heldMs"] >= 7000, r
	EOF
	readback --json "$S" | python3 -c "
import base64, datetime, json, sys
got = []
for l in sys.stdin:
    k = json.loads(l)
    r = json.loads(base64.b64decode(k[\"Data\"]))
    if r.get(\"case\") == \"open-page\":
        t = datetime.datetime.fromisoformat(r[\"timestamp\"].replace(\"Z\", \"+00:00\")).timestamp()
        got.append((r, k[\"ApproximateArrivalTimestamp\"] - t))
assert len(got) == 1, got
r, late = got[0]
print(\"in the stream %.3f s after the click\" % late)
assert r[\"event\"] == \"click\" and r[\"target\"] == \"buy\" and r[\"ip\"] == \"127.0.0.1\", r
assert 0 <= late < 5, late
"
'

# a pre-flight as Chromium sends it for sendBeacon with a JSON Blob
preflight() { # ORIGIN
	curl -s -o /dev/null -D - -X OPTIONS -H "Origin: $1" -H "Access-Control-Request-Method: POST" \
		-H "Access-Control-Request-Headers: content-type" -H "Sec-Fetch-Mode: cors" \
		-H "Sec-Fetch-Site: same-site" -H "Sec-Fetch-Dest: empty" "$C/report" |
	    tr -d "\r" | grep -v "^Date: "
}

test_expect_success 'the pre-flight of a page: its origin, credentials, the method and header asked' '
	collector &&
	preflight "$P" >got &&
	stop_collector &&
	printf "HTTP/1.1 204 No Content\nAccess-Control-Allow-Origin: %s\nAccess-Control-Allow-Credentials: true\nVary: Origin, Access-Control-Request-Headers\nAccess-Control-Allow-Methods: POST, OPTIONS\nAccess-Control-Allow-Headers: content-type\nAccess-Control-Max-Age: 86400\n\n" "$P" >want &&
	test_cmp want got
'

test_expect_success '--allow-origin: the origins listed get CORS, another one no CORS and 403 for a report' '
	collector --allow-origin "$P" --allow-origin https://shop.example &&
	preflight https://shop.example >ok &&
	preflight https://evil.example >no &&
	curl -s -o ans -w "%{http_code}\n" -H "Origin: https://evil.example" --data-binary "{\"n\":1}" \
		"$C/report" >code &&
	stop_collector &&
	grep -q "^Access-Control-Allow-Origin: https://shop.example$" ok &&
	! grep -q "^Access-Control-Allow" no &&
	echo 403 >want && test_cmp want code &&
	grep -q "\"Code\":\"ForbiddenOrigin\"" ans &&
	test_must_fail cs-put --listen 127.0.0.1:1 -s x --allow-origin shop.example 2>err &&
	grep -q "is not an origin" err
'

test_expect_success 'X-Forwarded-For only with --trust-forwarded; --override; a country by ISO code' '
	collector --geoip geo.mmdb --trust-forwarded &&
	curl -s -o /dev/null -H "X-Forwarded-For: 6.6.6.6, 192.0.2.5" --data-binary "{\"case\":\"xff\"}" "$C/report" &&
	stop_collector &&
	collector --geoip geo.mmdb &&
	curl -s -o /dev/null -H "X-Forwarded-For: 192.0.2.5" --data-binary "{\"case\":\"untrusted\"}" "$C/report" &&
	curl -s -o /dev/null --data-binary "{\"case\":\"kept\",\"ip\":\"10.0.0.1\",\"country\":\"Ours\",\"timestamp\":\"2026-01-01T00:00:00.000Z\"}" "$C/report" &&
	stop_collector &&
	collector --geoip geo.mmdb --override &&
	curl -s -o /dev/null --data-binary "{\"case\":\"override\",\"ip\":\"10.0.0.1\",\"country\":\"Ours\"}" "$C/report" &&
	stop_collector &&
	readback "$S" >all2 &&
	records all2 case xff | grep -q "\"ip\":\"192.0.2.5\",\"timestamp\":\"[^\"]*\",\"country\":\"EX\"}$" &&
	records all2 case untrusted | grep -q "\"ip\":\"127.0.0.1\",\"timestamp\":\"[^\"]*\",\"country\":\"Testland\"}$" &&
	records all2 case kept | grep -q "^{\"case\":\"kept\",\"ip\":\"10.0.0.1\",\"country\":\"Ours\",\"timestamp\":\"2026-01-01T00:00:00.000Z\"}$" &&
	records all2 case override | grep -q "^{\"case\":\"override\",\"ip\":\"127.0.0.1\",\"timestamp\":\"[^\"]*\",\"country\":\"Testland\"}$"
'

test_expect_success '--geoip with a file that is not a MaxMind DB: exit 3, one line' '
	echo nope >bad.mmdb &&
	test_expect_code 3 cs-put -s x --listen 127.0.0.1:1 --geoip bad.mmdb 2>err &&
	test_line_count err 1 &&
	grep -q "^cs-put: --geoip: .bad.mmdb.: " err
'

kill $SITE_PID 2>/dev/null
test_done
