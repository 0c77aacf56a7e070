#!/bin/bash
# demo.sh - the sample's whole flow, locally (what 'make demo' runs after
# installing the dependencies and building bin/).
#
#  1. starts kinesalite and dynalite on free loopback ports, in a temporary
#     directory;
#  2. creates the stream click-stream and the table click-stream-table
#     (partition key IP, sort key Timestamp, both strings), as the sample;
#  3. starts the sample's endpoint, cs-put --listen, and the sample's
#     consumer, cs-tail --exec 'cs-validate | cs-store' with a checkpoint;
#  4. POSTs the sample's own record to /report with curl and shows the answer;
#  5. replays a generated capture (with some ineligible records) through cs-put;
#  6. waits until the consumer has caught up, shows the items in the table,
#     the rejects by reason, and checks that the counts add up
#     (sent = stored + rejected), failing loudly when they do not;
#  7. serves a web page from another port that includes the collector's
#     /beacon.js; headless Chromium (when installed) opens it, clicks a link
#     and leaves, and the page views and the click are shown in the table
#     (without Chromium: the page's address, to open in a browser);
#  8. stops everything it started.
#
#   scripts/demo.sh [-k]      -k: keep the temporary directory
#   DEMO_COUNT=N              records in the generated capture (default 1000)
#   DEMO_BIN=DIR              the tools from DIR instead of bin/ (the tests
#                             run the demo with the sanitizer build)
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
keep=
[ "${1:-}" = -k ] && keep=1

count=${DEMO_COUNT:-1000}
stream=click-stream
table=click-stream-table

# the tools of this checkout; local credentials only, never the user's own
bindir=${DEMO_BIN:-$top/bin}
export PATH=$bindir:$top/scripts:$PATH
export AWS_ACCESS_KEY_ID=AKIDLOCALDEMO AWS_SECRET_ACCESS_KEY=local-demo-secret
export AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
unset AWS_SESSION_TOKEN AWS_PROFILE AWS_DEFAULT_PROFILE AWS_ENDPOINT_URL 2>/dev/null || true
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
export LC_ALL=C.UTF-8

for t in cs-put cs-tail cs-validate cs-store; do
	[ -x "$bindir/$t" ] || { echo "demo: $bindir/$t is missing: run 'make' first" >&2; exit 1; }
done

# the sample's own record, as its README sends it (../shared/seed.md)
seed_record='{
    "ip": "0.0.0.0",
    "timestamp": "2018-02-04T23:18:32.866Z",
    "browser": "Chrome",
    "url": "http://adroitlogic.com/products/ultraesb-x",
    "referrer": "http://adroitlogic.com",
    "os": "Windows",
    "country": "Sri Lanka",
    "language": "en-us"
}'

work=$(mktemp -d "${TMPDIR:-/tmp}/cs-demo.XXXXXX")
pids=
started=$(date +%s)

cleanup() {
	rc=$?
	trap - EXIT INT TERM
	for p in $pids; do kill -TERM "$p" 2>/dev/null || true; done
	for p in $pids; do
		i=0
		while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
		kill -KILL "$p" 2>/dev/null || true
	done
	scripts/services.sh stop "$work/svc" >/dev/null 2>&1 || true
	if [ -n "$keep" ] || [ $rc -ne 0 ]; then
		echo "demo: files kept in $work" >&2
	else
		rm -rf "$work"
	fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { printf '\n== %s\n' "$*"; }
fail() { echo "demo: FAILED: $*" >&2; exit 1; }

# --- 1. services ------------------------------------------------------------
step "starting kinesalite and dynalite on loopback"
scripts/services.sh start "$work/svc" >/dev/null
. "$work/svc/services.env"
export AWS_ENDPOINT_URL_KINESIS=$CS_KINESIS_ENDPOINT
export AWS_ENDPOINT_URL_DYNAMODB=$CS_DYNAMODB_ENDPOINT
echo "kinesis:  $CS_KINESIS_ENDPOINT"
echo "dynamodb: $CS_DYNAMODB_ENDPOINT"

# --- 2. stream and table ----------------------------------------------------
step "creating stream $stream (2 shards) and table $table (IP, Timestamp)"
scripts/services.sh create-stream "$CS_KINESIS_ENDPOINT" "$stream" 2
scripts/services.sh create-table "$CS_DYNAMODB_ENDPOINT" "$table" IP Timestamp

# --- 3. endpoint and consumer -----------------------------------------------
port=$(scripts/services.sh freeport)
# a tiny country database for loopback addresses (a real one comes from MaxMind)
geoip=
if perl -MMaxMind::DB::Writer::Tree -e 1 2>/dev/null && scripts/make-mmdb.pl "$work/local.mmdb"; then
	geoip="--geoip $work/local.mmdb"
fi
step "starting the endpoint: cs-put --listen 127.0.0.1:$port -s $stream $geoip"
cs-put --stats --listen "127.0.0.1:$port" -s "$stream" $geoip 2>"$work/listen.log" &
pids="$pids $!"

# The consumer's command, run once per batch (100 records of one shard on
# stdin).  Its rejects go to a file named after the batch: cs-validate
# --rejects starts its file afresh.  bash with pipefail: a batch whose
# cs-validate failed must fail (and be retried), not count as stored.
mkdir "$work/rejects"
cat >"$work/store-batch.sh" <<EOF
#!/bin/bash
set -o pipefail
cs-validate --rejects "$work/rejects/\$CS_SHARD_ID.\$CS_FIRST_SEQUENCE.ndjson" |
    cs-store -t $table -m @'$top/scripts/sample-mapping.jq'
EOF
chmod +x "$work/store-batch.sh"
step "starting the consumer: cs-tail -s $stream --checkpoint ck --exec store-batch.sh"
sed -n '3,$s/^/    /p' "$work/store-batch.sh"
cs-tail -s "$stream" --checkpoint "$work/click-stream.ck" --on-failure "$work/failed.ndjson" \
    --exec "$work/store-batch.sh" 2>"$work/consumer.log" &
pids="$pids $!"

i=0
until curl -s -o /dev/null -X OPTIONS "http://127.0.0.1:$port/report"; do
	i=$((i + 1))
	[ $i -lt 100 ] || { cat "$work/listen.log" >&2; fail "the endpoint did not start"; }
	sleep 0.1
done

# --- 4. the sample's request ------------------------------------------------
step "POST /report with the sample's own record"
printf '%s\n' "$seed_record"
echo "--> the answer:"
curl -sS -i -X POST -H 'Content-Type: application/json' --data-binary "$seed_record" \
    "http://127.0.0.1:$port/report" | tr -d '\r' | tee "$work/answer.txt" |
    grep -iv '^\(date\|connection\|content-length\):'
echo
head -n 1 "$work/answer.txt" | grep -q ' 200' || fail "the endpoint did not answer 200"
grep -q '"Code":"PutRecordSuccessful"' "$work/answer.txt" || fail "the answer is not the sample's"

# --- 5. a capture replayed through cs-put -----------------------------------
step "replaying a generated capture of $count records (5% ineligible) through cs-put"
gen-records --count "$count" --seed 1 --bad-ratio 0.05 \
    --start-time 2026-01-01T00:00:00.000Z >"$work/capture.ndjson"
cs-put -s "$stream" --stats --rejects "$work/put-rejects.ndjson" "$work/capture.ndjson" 2>&1 |
    sed 's/^/  /'
[ ! -s "$work/put-rejects.ndjson" ] || fail "cs-put could not deliver some records"

# what should come out: cs-validate on the capture itself
sent=$((count + 1))
eligible=$(( $(cs-validate "$work/capture.ndjson" 2>/dev/null | wc -l) + 1 ))
ineligible=$((sent - eligible))
echo "sent: $sent (1 by POST /report, $count by cs-put): $eligible eligible, $ineligible not"

# --- 6. caught up? ----------------------------------------------------------
scan_count() {
	python3 - "$CS_DYNAMODB_ENDPOINT" "$table" <<'EOF'
import json, subprocess, sys
ep, table = sys.argv[1], sys.argv[2]
n, start = 0, None
while True:
    req = {"TableName": table, "Select": "COUNT"}
    if start:
        req["ExclusiveStartKey"] = start
    out = subprocess.run(["scripts/services.sh", "call", ep, "dynamodb", "Scan", json.dumps(req)],
                         check=True, capture_output=True, text=True).stdout
    r = json.loads(out)
    n += r["Count"]
    start = r.get("LastEvaluatedKey")
    if not start:
        break
print(n)
EOF
}
# distinct rejected records (a batch run twice writes its rejects twice)
rejects_count() {
	cat "$work"/rejects/*.ndjson 2>/dev/null |
	    python3 -c 'import sys, json
seen = set()
for line in sys.stdin:
    r = json.loads(line)
    seen.add(r.get("record", r.get("record_base64")))
print(len(seen))'
}

step "waiting for the consumer to catch up"
deadline=$(( $(date +%s) + 40 ))
while :; do
	stored=$(scan_count)
	rejected=$(rejects_count)
	printf '\r  stored %d of %d, rejected %d of %d ' "$stored" "$eligible" "$rejected" "$ineligible"
	[ "$stored" -ge "$eligible" ] && [ "$rejected" -ge "$ineligible" ] && break
	if [ "$(date +%s)" -ge $deadline ]; then
		echo
		tail -n 20 "$work/consumer.log" >&2
		fail "the consumer did not catch up within 40 s"
	fi
	sleep 0.5
done
echo

step "the table $table"
scripts/services.sh call "$CS_DYNAMODB_ENDPOINT" dynamodb Scan \
    "{\"TableName\":\"$table\",\"Limit\":3}" >"$work/scan3.json"
scripts/services.sh call "$CS_DYNAMODB_ENDPOINT" dynamodb GetItem \
    "{\"TableName\":\"$table\",\"Key\":{\"IP\":{\"S\":\"0.0.0.0\"},\"Timestamp\":{\"S\":\"2018-02-04T23:18:32.866Z\"}}}" \
    >"$work/seeditem.json"
python3 - "$stored" "$work/seeditem.json" "$work/scan3.json" <<'EOF'
import json, sys
def plain(item):
    return {k: next(iter(v.values())) for k, v in item.items()}
print("%s items; the sample's record:" % sys.argv[1])
seed = json.load(open(sys.argv[2])).get("Item")
print("  " + json.dumps(plain(seed), ensure_ascii=False) if seed else "  (missing!)")
print("and a few others:")
for it in json.load(open(sys.argv[3]))["Items"]:
    print("  " + json.dumps(plain(it), ensure_ascii=False))
EOF
grep -q '"Item"' "$work/seeditem.json" || fail "the sample's record is not in the table"

step "the rejects, by reason"
cat "$work"/rejects/*.ndjson | python3 -c 'import sys, json, collections, base64
seen, by = set(), collections.Counter()
example = {}
for line in sys.stdin:
    r = json.loads(line)
    rec = r.get("record", r.get("record_base64"))
    if rec in seen:
        continue
    seen.add(rec)
    why = r.get("error", "?")
    field = r.get("reason", "").split(":", 1)[0]
    if why == "InvalidField" or why == "MissingField":
        why += " " + field
    try:
        env = json.loads(r.get("record", ""))
    except ValueError:
        env = None
    if isinstance(env, dict) and "dataBase64" in env and "shardId" in env:
        # data that is not JSON text (broken JSON, invalid UTF-8, a NUL
        # byte) comes out of cs-tail as an envelope holding it in base64
        why = "not JSON text (a cs-tail envelope)"
        data = base64.b64decode(env["dataBase64"])
        example.setdefault(why, repr(data)[:60])
    by[why] += 1
    example.setdefault(why, r.get("reason", ""))
for why, n in by.most_common():
    print("%5d  %-42s e.g. %s" % (n, why, example[why][:60]))'

step "counts"
total=$((stored + rejected))
printf '  sent     %6d\n  stored   %6d\n  rejected %6d\n' "$sent" "$stored" "$rejected"
if [ "$stored" -ne "$eligible" ] || [ "$rejected" -ne "$ineligible" ] || [ "$total" -ne "$sent" ]; then
	fail "the counts do not add up: sent $sent != stored $stored + rejected $rejected"
fi
echo "  sent = stored + rejected: $sent = $stored + $rejected"
[ ! -s "$work/failed.ndjson" ] || fail "the consumer gave up on some batches (see failed.ndjson)"

# --- 7. a web page ----------------------------------------------------------
site_port=$(scripts/services.sh freeport)
mkdir "$work/site"
cat >"$work/site/index.html" <<EOF
<!doctype html>
<html><head><meta charset="utf-8"><title>cs demo shop</title>
<script async src="http://127.0.0.1:$port/beacon.js"></script>
</head><body>
<h1>cs demo shop</h1>
<p><a id="product" href="product.html">See the product</a></p>
</body></html>
EOF
cat >"$work/site/product.html" <<EOF
<!doctype html>
<html><head><meta charset="utf-8"><title>the product</title>
<script async src="http://127.0.0.1:$port/beacon.js"></script>
</head><body><h1>The product</h1><p><a href="index.html">Back</a></p></body></html>
EOF
(cd "$work/site" && exec python3 -m http.server -b 127.0.0.1 "$site_port" >/dev/null 2>&1) &
pids="$pids $!"
page=http://127.0.0.1:$site_port/index.html
step "a web page with the collector's script, served on another port: $page"
echo "  its one line: <script async src=\"http://127.0.0.1:$port/beacon.js\"></script>"
# the items of the demo site's pages in the table, oldest first
site_items() {
	python3 - "$CS_DYNAMODB_ENDPOINT" "$table" "http://127.0.0.1:$site_port/" <<'PY'
import json, subprocess, sys
ep, table, prefix = sys.argv[1:4]
req = {"TableName": table, "FilterExpression": "begins_with(#u, :u)",
       "ExpressionAttributeNames": {"#u": "URL"},
       "ExpressionAttributeValues": {":u": {"S": prefix}}}
out = subprocess.run(["scripts/services.sh", "call", ep, "dynamodb", "Scan", json.dumps(req)],
                     check=True, capture_output=True, text=True).stdout
for it in sorted(json.loads(out)["Items"], key=lambda i: i["Timestamp"]["S"]):
    print("  " + json.dumps({k: next(iter(v.values())) for k, v in it.items()}, ensure_ascii=False))
PY
}
if [ -z "$geoip" ]; then
	echo "(no country database, as libmaxmind-db-writer-perl is missing: the browser's records"
	echo " would lack a country and cs-validate would reject them; scripts/deps.sh test installs it)"
elif command -v chromium >/dev/null 2>&1; then
	echo "headless Chromium opens it, clicks 'See the product', and leaves"
	scripts/browse.py visit "$page" product || scripts/browse.py visit "$page" product ||
	    fail "Chromium could not visit the page"
	deadline=$(( $(date +%s) + 20 ))
	until [ "$(site_items | wc -l)" -ge 3 ]; do
		[ "$(date +%s)" -lt $deadline ] || fail "the page views and the click did not reach the table"
		sleep 0.5
	done
	echo "in the table, oldest first: the page view of index.html, the click on its link, the"
	echo "page view of product.html (url, referrer, browser, os and language from the browser;"
	echo "ip and country added by the collector):"
	site_items
else
	echo "Chromium is not installed: open $page in a browser"
	echo "on this machine and click the link; the page view and the click arrive in the table."
	if [ -t 0 ]; then
		echo "waiting up to 2 minutes for them (Ctrl-C to skip)..."
		deadline=$(( $(date +%s) + 120 ))
		until [ "$(site_items | wc -l)" -ge 2 ] || [ "$(date +%s)" -ge $deadline ]; do sleep 1; done
		site_items
	fi
fi

step "stopping"
for p in $pids; do kill -TERM "$p" 2>/dev/null || true; done
for p in $pids; do wait "$p" 2>/dev/null || true; done
pids=
echo "the endpoint said:"
sed 's/^/  /' "$work/listen.log"
echo "the consumer's checkpoint (it resumes there when started again):"
sed 's/^/  /' "$work/click-stream.ck"
[ ! -s "$work/consumer.log" ] || { echo "the consumer said:"; sed 's/^/  /' "$work/consumer.log"; }
echo "done in $(( $(date +%s) - started )) s"
