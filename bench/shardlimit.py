#!/usr/bin/env python3
"""shardlimit.py - a loopback proxy in front of kinesalite that enforces the
per-shard write limits of Kinesis Data Streams, which kinesalite does not:
each shard takes at most RECORDS records and BYTES bytes (data and
partition key) a second; a PutRecords entry beyond either fails with
ProvisionedThroughputExceededException, as the service answers, and the
rest of the request goes on to kinesalite.  It also counts what was
accepted: Kinesis records, PUT payload units (each record in 25 KB
chunks, rounded up) and on-demand billed kilobytes (each record rounded
up to 1 KB).

usage: shardlimit.py --upstream URL --port-file FILE --stats FILE
                     [--records N] [--bytes N] [--unlimited] [--sink]

Each shard's allowance is a token bucket holding at most one second's
worth, refilled continuously.  The shard of an entry is found as Kinesis
finds it: its ExplicitHashKey, else the MD5 of its PartitionKey, within
a shard's hash key range (ListShards on the first PutRecords of a
stream).  Other operations pass through unchanged.  The counts are
written to the stats file (JSON) after every PutRecords.  With --sink,
PutRecords is answered here, every entry accepted on the shard its hash
key maps to (sequence numbers counted up), and nothing is stored: for
counting what a million records cost without waiting for kinesalite to
store them one by one.
"""
import argparse
import base64
import hashlib
import http.client
import json
import math
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class State:
    def __init__(self, a):
        self.a = a
        u = urllib.parse.urlparse(a.upstream)
        self.host, self.port = u.hostname, u.port
        self.lock = threading.Lock()
        self.maps = {}
        self.seq = 0
        self.buckets = {}
        self.stats = {"requests": 0, "entries": 0, "accepted": 0, "throttled": 0,
                      "bytes": 0, "payload_units": 0, "billed_kb": 0}

    def upstream(self, headers, body):
        c = http.client.HTTPConnection(self.host, self.port, timeout=60)
        c.request("POST", "/", body=body, headers=headers)
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, r.getheader("Content-Type", "application/x-amz-json-1.1"), data

    def shard_map(self, stream, headers):
        if stream not in self.maps:
            h = dict(headers)
            h["X-Amz-Target"] = "Kinesis_20131202.ListShards"
            st, _, data = self.upstream(h, json.dumps({"StreamName": stream}).encode())
            shards = json.loads(data)["Shards"] if st == 200 else []
            self.maps[stream] = [(int(s["HashKeyRange"]["StartingHashKey"]),
                                  int(s["HashKeyRange"]["EndingHashKey"]), s["ShardId"])
                                 for s in shards
                                 if "EndingSequenceNumber" not in s.get("SequenceNumberRange", {})]
        return self.maps[stream]

    def take(self, shard, size, now):
        a = self.a
        b = self.buckets.get(shard)
        if b is None:
            b = self.buckets[shard] = [float(a.records), float(a.bytes), now]
        dt = now - b[2]
        b[2] = now
        b[0] = min(float(a.records), b[0] + dt * a.records)
        b[1] = min(float(a.bytes), b[1] + dt * a.bytes)
        if a.unlimited or (b[0] >= 1 and b[1] >= size):
            b[0] -= 1
            b[1] -= size
            return True
        return False


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        st = self.server.state
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        target = self.headers.get("X-Amz-Target", "")
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in ("host", "content-length", "connection")}
        if not target.endswith(".PutRecords"):
            status, ctype, data = st.upstream(headers, body)
            return self.answer(status, ctype, data)
        req = json.loads(body)
        stream = req.get("StreamName") or req.get("StreamARN", "").split("/")[-1]
        results = [None] * len(req["Records"])
        keep = []
        with st.lock:
            shards = st.shard_map(stream, headers)
            now = time.monotonic()
            for i, e in enumerate(req["Records"]):
                size = len(base64.b64decode(e["Data"])) + len(e["PartitionKey"].encode())
                h = int(e["ExplicitHashKey"]) if "ExplicitHashKey" in e else \
                    int(hashlib.md5(e["PartitionKey"].encode()).hexdigest(), 16)
                shard = next((s for lo, hi, s in shards if lo <= h <= hi), "?")
                st.stats["entries"] += 1
                if st.take(shard, size, now):
                    keep.append((i, size))
                else:
                    st.stats["throttled"] += 1
                    results[i] = {"ErrorCode": "ProvisionedThroughputExceededException",
                                  "ErrorMessage": "Rate exceeded for shard %s in stream %s under account 000000000000." % (shard, stream)}
            st.stats["requests"] += 1
        failed = len(req["Records"]) - len(keep)
        if keep and st.a.sink:
            with st.lock:
                for i, size in keep:
                    e = req["Records"][i]
                    h = int(e["ExplicitHashKey"]) if "ExplicitHashKey" in e else \
                        int(hashlib.md5(e["PartitionKey"].encode()).hexdigest(), 16)
                    st.seq += 1
                    results[i] = {"ShardId": next((s for lo, hi, s in shards if lo <= h <= hi), "?"),
                                  "SequenceNumber": "%056d" % st.seq}
                    st.stats["accepted"] += 1
                    st.stats["bytes"] += size
                    st.stats["payload_units"] += max(1, math.ceil(size / 25600))
                    st.stats["billed_kb"] += max(1, math.ceil(size / 1024))
        elif keep:
            sub = dict(req)
            sub["Records"] = [req["Records"][i] for i, _ in keep]
            status, ctype, data = st.upstream(headers, json.dumps(sub).encode())
            if status != 200:
                return self.answer(status, ctype, data)
            ans = json.loads(data)
            with st.lock:
                for (i, size), r in zip(keep, ans["Records"]):
                    results[i] = r
                    if "ErrorCode" in r:
                        failed += 1
                        continue
                    st.stats["accepted"] += 1
                    st.stats["bytes"] += size
                    st.stats["payload_units"] += max(1, math.ceil(size / 25600))
                    st.stats["billed_kb"] += max(1, math.ceil(size / 1024))
        with st.lock:
            with open(st.a.stats + ".tmp", "w") as f:
                json.dump(st.stats, f)
            import os
            os.replace(st.a.stats + ".tmp", st.a.stats)
        out = json.dumps({"FailedRecordCount": failed, "Records": results}).encode()
        self.answer(200, "application/x-amz-json-1.1", out)

    def answer(self, status, ctype, data):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--upstream", required=True)
    p.add_argument("--port-file", required=True)
    p.add_argument("--stats", required=True)
    p.add_argument("--records", type=int, default=1000)
    p.add_argument("--bytes", type=int, default=1 << 20)
    p.add_argument("--unlimited", action="store_true")
    p.add_argument("--sink", action="store_true")
    a = p.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.state = State(a)
    with open(a.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.replace(a.port_file + ".tmp", a.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
