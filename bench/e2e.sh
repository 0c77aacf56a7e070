#!/bin/bash
# e2e.sh - end-to-end latency: from POST /report (cs-put --listen) to the
# item in the table (cs-tail --exec 'cs-validate | cs-store' done with the
# batch holding it).  Prints one Markdown section.  Run by bench/run.sh, or
# alone (it starts its own services when CS_KINESIS_ENDPOINT is unset).
#
#   E2E_REQUESTS=N     requests (default 400)
#   E2E_RATE=R         requests per second (default 50)
. "$(dirname "$0")/lib.sh"
set -o pipefail

n=${E2E_REQUESTS:-400}
rate=${E2E_RATE:-50}

bench_need bin/cs-put bin/cs-tail bin/cs-validate bin/cs-store
bench_tmp
bench_services

stream=e2e-$$
table=e2e-$$
scripts/services.sh create-stream "$CS_KINESIS_ENDPOINT" "$stream" 2
scripts/services.sh create-table "$CS_DYNAMODB_ENDPOINT" "$table" IP Timestamp

port=$(scripts/services.sh freeport)
cs-put --listen "127.0.0.1:$port" -s "$stream" 2>"$tmp/listen.log" &
bench_pids="$bench_pids $!"
# After cs-store has written a batch, stamp each of its records with the
# time: that is when its item is in the table.
cat >"$tmp/consume.sh" <<EOF
#!/bin/sh
set -e
b=\$(mktemp "$tmp/batch.XXXXXX")
cs-validate --rejects "\$b.rej" >"\$b"
cs-store -q -t "$table" -m @"$top/scripts/sample-mapping.jq" "\$b"
now=\$(date +%s%N)
sed "s/^/\$now /" "\$b" >>"$tmp/stored.txt"
rm -f "\$b" "\$b.rej"
EOF
chmod +x "$tmp/consume.sh"
cs-tail -s "$stream" --from latest --checkpoint "$tmp/ck" --exec "$tmp/consume.sh" \
    2>"$tmp/tail.log" &
bench_pids="$bench_pids $!"

bench_wait_listen "$port" "$tmp/listen.log"
sleep 1 # let cs-tail reach the end of each shard

python3 - "$port" "$n" "$rate" "$tmp/sent.txt" <<'EOF'
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
while [ "$(cut -d' ' -f1 --complement "$tmp/stored.txt" 2>/dev/null | sort -u | wc -l)" -lt "$n" ]; do
	i=$((i + 1))
	[ $i -lt 600 ] || { echo "e2e: not every record reached the table" >&2; tail "$tmp/tail.log" >&2; exit 1; }
	sleep 0.1
done

python3 - "$tmp/sent.txt" "$tmp/stored.txt" "$n" "$rate" <<'EOF'
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
