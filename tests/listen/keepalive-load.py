#!/usr/bin/env python3
"""keepalive-load.py URL N SECONDS OUT - N keep-alive clients POST a record
to URL again and again for at most SECONDS (or until the server stops
answering), each on one connection (reopened when the server closes it).
Writes to OUT one line per answer: "STATUS SEQUENCE-NUMBER-or--"; and at
the end a line "refused K" with the requests that got no answer."""
import http.client, json, sys, threading, time, urllib.parse

url, n, secs, out = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
u = urllib.parse.urlsplit(url)
lock = threading.Lock()
lines, refused = [], [0]
deadline = time.monotonic() + secs


def client(i):
    conn, k, fails = None, 0, 0
    while time.monotonic() < deadline and fails < 3:
        k += 1
        body = json.dumps({"client": i, "n": k}, separators=(",", ":"))
        try:
            if conn is None:
                conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
            conn.request("POST", u.path, body, {"Content-Type": "application/json"})
            r = conn.getresponse()
            data = r.read()
            seq = "-"
            if r.status == 200:
                seq = json.loads(data)["Data"]["SequenceNumber"]
            with lock:
                lines.append("%d %s %s" % (r.status, seq, body))
            if r.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = None
            fails = 0
        except (OSError, http.client.HTTPException):
            with lock:
                refused[0] += 1
            fails += 1
            if conn is not None:
                conn.close()
            conn = None
            time.sleep(0.05)


ts = [threading.Thread(target=client, args=(i,)) for i in range(n)]
for t in ts:
    t.start()
for t in ts:
    t.join()
with open(out, "w") as f:
    for l in lines:
        f.write(l + "\n")
    f.write("refused %d\n" % refused[0])
