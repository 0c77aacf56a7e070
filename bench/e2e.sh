#!/bin/bash
# e2e.sh - end-to-end latency: from POST /report (cs-put --listen) to the
# item in the table (cs-tail --exec 'cs-validate | cs-store' done with the
# batch holding it).  Prints one Markdown section.  Run by bench/run.sh, or
# alone (it starts its own services when CS_KINESIS_ENDPOINT is unset).
#
#   E2E_REQUESTS=N     requests (default 400)
#   E2E_RATE=R         requests per second (default 50)
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
export PATH=$top/bin:$top/scripts:$PATH
export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-AKIDLOCAL}
export AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-localsecret}
export AWS_REGION=${AWS_REGION:-us-east-1}
export LC_ALL=C.UTF-8

n=${E2E_REQUESTS:-400}
rate=${E2E_RATE:-50}

work=$(mktemp -d "${TMPDIR:-/tmp}/cs-e2e.XXXXXX")
own= pids=
cleanup() {
	for p in $pids; do kill -TERM "$p" 2>/dev/null || true; done
	for p in $pids; do wait "$p" 2>/dev/null || true; done
	[ -n "$own" ] && scripts/services.sh stop "$work/svc" >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT
if [ -z "${CS_KINESIS_ENDPOINT:-}" ] || [ -z "${CS_DYNAMODB_ENDPOINT:-}" ]; then
	scripts/services.sh start "$work/svc" >/dev/null
	own=1
	. "$work/svc/services.env"
fi
export AWS_ENDPOINT_URL_KINESIS=$CS_KINESIS_ENDPOINT
export AWS_ENDPOINT_URL_DYNAMODB=$CS_DYNAMODB_ENDPOINT

stream=e2e-$$
table=e2e-$$
scripts/services.sh create-stream "$CS_KINESIS_ENDPOINT" "$stream" 2
scripts/services.sh create-table "$CS_DYNAMODB_ENDPOINT" "$table" IP Timestamp

port=$(scripts/services.sh freeport)
cs-put --listen "127.0.0.1:$port" -s "$stream" 2>"$work/listen.log" &
pids="$pids $!"
# After cs-store has written a batch, stamp each of its records with the
# time: that is when its item is in the table.
cat >"$work/consume.sh" <<EOF
#!/bin/sh
set -e
b=\$(mktemp "$work/batch.XXXXXX")
cs-validate --rejects "\$b.rej" >"\$b"
cs-store -q -t "$table" -m @"$top/scripts/sample-mapping.jq" "\$b"
now=\$(date +%s%N)
sed "s/^/\$now /" "\$b" >>"$work/stored.txt"
rm -f "\$b" "\$b.rej"
EOF
chmod +x "$work/consume.sh"
cs-tail -s "$stream" --from latest --checkpoint "$work/ck" --exec "$work/consume.sh" \
    2>"$work/tail.log" &
pids="$pids $!"

i=0
until curl -s -o /dev/null -X OPTIONS "http://127.0.0.1:$port/report"; do
	i=$((i + 1)); [ $i -lt 100 ] || { cat "$work/listen.log" >&2; exit 1; }
	sleep 0.1
done
sleep 1 # let cs-tail reach the end of each shard

python3 - "$port" "$n" "$rate" "$work/sent.txt" <<'EOF'
import http.client, json, sys, time
port, n, rate, out = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
t0 = time.time()
with open(out, "w") as f:
    for i in range(n):
        due = t0 + i / rate
        d = due - time.time()
        if d > 0:
            time.sleep(d)
        ts = "2026-01-01T00:%02d:%02d.%03dZ" % (i // 60000 % 60, i // 1000 % 60, i % 1000)
        rec = {"ip": "10.0.%d.%d" % (i // 256 % 256, i % 256), "timestamp": ts,
               "browser": "Chrome", "url": "http://example.com/p/%d" % i,
               "referrer": "", "os": "Linux", "country": "Sri Lanka", "language": "en-us"}
        body = json.dumps(rec)
        start = time.time_ns()
        c.request("POST", "/report", body, {"Content-Type": "application/json"})
        r = c.getresponse()
        r.read()
        if r.status != 200:
            sys.exit("e2e: POST /report answered %d" % r.status)
        f.write("%d %s %s\n" % (start, rec["ip"], ts))
EOF

# wait until every record is stored (at most 60 s)
i=0
while [ "$(cut -d' ' -f1 --complement "$work/stored.txt" 2>/dev/null | sort -u | wc -l)" -lt "$n" ]; do
	i=$((i + 1))
	[ $i -lt 600 ] || { echo "e2e: not every record reached the table" >&2; tail "$work/tail.log" >&2; exit 1; }
	sleep 0.1
done

python3 - "$work/sent.txt" "$work/stored.txt" "$n" "$rate" <<'EOF'
import json, sys
sent = {}
for line in open(sys.argv[1]):
    t, ip, ts = line.split()
    sent[(ip, ts)] = int(t)
done = {}
for line in open(sys.argv[2]):
    t, rec = line.split(" ", 1)
    r = json.loads(rec)
    k = (r["ip"], r["timestamp"])
    if k not in done:
        done[k] = int(t)
lat = sorted((done[k] - sent[k]) / 1e6 for k in sent)
def pct(p):
    return lat[min(len(lat) - 1, int(round(p / 100.0 * len(lat) + 0.5)) - 1)]
print("## End to end: POST /report to the item in the table")
print()
print("%s requests, one at a time at %s per second, to `cs-put --listen`; the" % (sys.argv[3], sys.argv[4]))
print("consumer `cs-tail --exec 'cs-validate | cs-store' --checkpoint` (batches of")
print("up to 100, as the sample's trigger) stamps each record when `cs-store` has")
print("written its batch.  Latency from the request leaving the client to that stamp:")
print()
print("| p50 (ms) | p90 (ms) | p99 (ms) | max (ms) |")
print("|---:|---:|---:|---:|")
print("| %.1f | %.1f | %.1f | %.1f |" % (pct(50), pct(90), pct(99), lat[-1]))
print()
EOF
