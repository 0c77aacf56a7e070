#!/bin/sh
# cs-put --listen serves GET /metrics (cs(7), METRICS): scraped during a load,
# its counters match what the load sent exactly (records, status codes), the
# connections open what is open; the text passes promtool; --metrics-listen
# moves it to an address of its own.
. "$(dirname "$0")/lib.sh"
services_need
S=$(unique_name st)

metric() { awk -v k="$2" '$1 == k { print $2 }' "$1"; }

# the load: 60 single records, 20 arrays of 3, 15 bodies that are not JSON,
# 5 GETs of a page that does not exist, 8 at a time (and before them the
# GET /beacon.js that saw the collector up: 81 answers 200); scraping /metrics
# (SCRAPE) while it runs; every answer's status in codes
cat >load.py <<'EOF'
import concurrent.futures, json, sys, urllib.request, urllib.error
base, scrape = sys.argv[1], sys.argv[2]
reqs = [("POST", "/report", json.dumps({"ip": "10.0.0.%d" % i, "timestamp": "2018-02-04T23:18:32.%03dZ" % i}))
        for i in range(60)]
reqs += [("POST", "/report", json.dumps([{"ip": "10.1.%d.%d" % (i, j)} for j in range(3)])) for i in range(20)]
reqs += [("POST", "/report", "{not json %d" % i) for i in range(15)]
reqs += [("GET", "/nothing-here", None) for i in range(5)]
def one(r):
    m, path, body = r
    req = urllib.request.Request(base + path, data=body.encode() if body else None, method=m,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=20) as a:
            return a.status
    except urllib.error.HTTPError as e:
        return e.code
scrapes = []
with concurrent.futures.ThreadPoolExecutor(8) as ex:
    futs = [ex.submit(one, r) for r in reqs]
    for k in range(3):
        with urllib.request.urlopen(scrape, timeout=20) as a:
            scrapes.append(a.read().decode())
    codes = [f.result() for f in futs]
for i, s in enumerate(scrapes):
    open("during.%d" % i, "w").write(s)
print("\n".join(str(c) for c in codes))
EOF

start_listen() { # PORT [OPTIONS]
	p=$1; shift
	cs-put -s "$S" --endpoint-url "$CS_KINESIS_ENDPOINT" --listen "127.0.0.1:$p" "$@" 2>err &
	echo $! >pid
	test_wait_for 20 "curl -s -o /dev/null http://127.0.0.1:$p/beacon.js"
}

test_expect_success 'setup: a stream of 4 shards, a collector' '
	create_stream "$S" 4 &&
	port=$("$SRC_DIR/scripts/services.sh" freeport) &&
	echo $port >port &&
	start_listen $port --metrics-file final.prom
'

test_expect_success 'scraped during a load: valid text; after it, exact counts' '
	port=$(cat port) &&
	python3 load.py http://127.0.0.1:$port http://127.0.0.1:$port/metrics >codes &&
	test "$(grep -c "^200$" codes)" = 80 &&
	test "$(grep -c "^400$" codes)" = 15 &&
	test "$(grep -c "^404$" codes)" = 5 &&
	for f in during.*; do promtool check metrics <$f || exit 1; done &&
	test_wait_for 5 "curl -s http://127.0.0.1:$port/metrics >after &&
	    grep -q \"^cs_put_records_total{result=\\\"delivered\\\"} 120\$\" after &&
	    grep -q \"^cs_put_http_requests_total{code=\\\"200\\\"} 81\$\" after" &&
	test "$(metric after "cs_put_http_requests_total{code=\"400\"}")" = 15 &&
	test "$(metric after "cs_put_http_requests_total{code=\"404\"}")" = 5 &&
	test "$(metric after "cs_put_http_request_duration_seconds_count")" = 101 &&
	test "$(metric after "cs_put_http_requests_in_flight")" = 0 &&
	test "$(metric after "cs_put_putrecords_calls_total")" -ge 1 &&
	test "$(metric after "cs_put_entries_resent_total")" = 0 &&
	promtool check metrics <after &&
	for f in during.*; do
		d=$(metric $f "cs_put_records_total{result=\"delivered\"}") &&
		test "${d:-0}" -le 120 || exit 1
	done
'

# the gauge as of the last refresh of what /metrics serves: the scrape's own
# connection may be in it or not
conns_within() { # LOW HIGH
	curl -s http://127.0.0.1:$port/metrics >conns &&
	awk -v lo="$1" -v hi="$2" "/^cs_put_http_connections_open / { ok = \$2 >= lo && \$2 <= hi } END { exit !ok }" conns
}

test_expect_success 'connections open: five idle clients counted, then gone' '
	port=$(cat port) &&
	{ python3 -c "
import os, socket, sys, time
held = [socket.create_connection((\"127.0.0.1\", $port)) for _ in range(5)]
open(\"holding\", \"w\").close()
while not os.path.exists(\"release\"):
    time.sleep(0.05)
" & } &&
	test_wait_for 10 "test -f holding" &&
	test_wait_for 10 "conns_within 5 6" &&
	touch release &&
	wait &&
	test_wait_for 10 "conns_within 0 1"
'

test_expect_success 'SIGTERM: the metrics file is written at exit' '
	kill -TERM "$(cat pid)" &&
	test_wait_for 20 "! kill -0 $(cat pid) 2>/dev/null" &&
	test "$(metric final.prom "cs_put_exit_status")" = 0 &&
	test "$(metric final.prom "cs_put_records_total{result=\"delivered\"}")" = 120 &&
	test "$(metric final.prom "cs_put_http_requests_total{code=\"400\"}")" = 15 &&
	promtool check metrics <final.prom
'

test_expect_success '--metrics-listen: /metrics on its own address, not on the public one' '
	port=$("$SRC_DIR/scripts/services.sh" freeport) &&
	mport=$("$SRC_DIR/scripts/services.sh" freeport) &&
	start_listen $port --metrics-listen 127.0.0.1:$mport --metrics-file m.prom &&
	curl -s -o /dev/null -w "%{http_code}\n" -X POST --data-binary "{\"ip\":\"10.9.9.9\"}" \
	    http://127.0.0.1:$port/report >code &&
	test "$(cat code)" = 200 &&
	test "$(curl -s -o /dev/null -w "%{http_code}" http://127.0.0.1:$port/metrics)" = 404 &&
	test_wait_for 5 "curl -s http://127.0.0.1:$mport/metrics >m &&
	    grep -q \"^cs_put_http_requests_total{code=\\\"200\\\"} 2\$\" m" &&
	curl -s -D hdr -o /dev/null http://127.0.0.1:$mport/metrics &&
	grep -i "^content-type: text/plain; version=0.0.4" hdr &&
	test "$(curl -s -o /dev/null -w "%{http_code}" http://127.0.0.1:$mport/other)" = 404 &&
	kill -TERM "$(cat pid)" &&
	test_wait_for 20 "! kill -0 $(cat pid) 2>/dev/null" &&
	test "$(metric m.prom "cs_put_exit_status")" = 0 &&
	test "$(metric m.prom "cs_put_records_total{result=\"delivered\"}")" = 1 &&
	promtool check metrics <m.prom
'

test_expect_success '--metrics-listen without --listen is a usage error' '
	test_expect_code 2 cs-put -s "$S" --metrics-listen 127.0.0.1:1 </dev/null
'

test_done
