#!/usr/bin/env python3
"""kinesis-faults - a loopback Kinesis stand-in for the faults kinesalite
will not produce: PutRecords answers with some entries failed, whole
requests throttled, HTTP 500, dropped connections.

usage: kinesis-faults.py --port-file FILE --log FILE [options]

  --port-file FILE     write the port (bound on 127.0.0.1, chosen freely) here
  --log FILE           one JSON line per entry received:
                       {"req":N,"key":K,"data":D,"result":"ok"|"failed"|"request-failed"}
                       (D is the data decoded as UTF-8)
  --shards N           hash buckets standing in for shards (default 4)
  --fail-ratio R       in each request, each bucket is over its limit with
                       probability R: its entries from a random position to
                       the end of the request fail with
                       ProvisionedThroughputExceededException, as a shard
                       over its throughput does (default 0)
  --throttle N         the first N PutRecords requests are refused whole (HTTP 400,
                       ProvisionedThroughputExceededException)
  --error500 N         the next N requests get HTTP 500 InternalFailure
  --drop N             the next N requests get their connection closed unanswered
  --seed S             random seed (default 1)

Only PutRecords is served; other operations get a 400 UnknownOperationException.
"""
import argparse
import base64
import hashlib
import json
import random
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class State:
    def __init__(self, a):
        self.a = a
        self.lock = threading.Lock()
        self.rng = random.Random(a.seed)
        self.req = 0
        self.seq = 0
        self.throttle = a.throttle
        self.error500 = a.error500
        self.drop = a.drop
        self.log = open(a.log, "a", encoding="utf-8")

    def write(self, req, key, data, result):
        self.log.write(json.dumps({"req": req, "key": key, "data": data, "result": result},
                                  ensure_ascii=False) + "\n")
        self.log.flush()


def bucket(key, n):
    return int(hashlib.md5(key.encode("utf-8")).hexdigest(), 16) % n


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def answer(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        st = self.server.st
        n = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(n)
        target = self.headers.get("X-Amz-Target", "")
        if not target.endswith(".PutRecords"):
            self.answer(400, {"__type": "UnknownOperationException", "message": target})
            return
        body = json.loads(raw)
        recs = body["Records"]
        with st.lock:
            st.req += 1
            req = st.req
            fault = None
            if st.drop > 0:
                st.drop -= 1
                fault = "drop"
            elif st.throttle > 0:
                st.throttle -= 1
                fault = "throttle"
            elif st.error500 > 0:
                st.error500 -= 1
                fault = "500"
            if fault:
                for r in recs:
                    st.write(req, r["PartitionKey"],
                             base64.b64decode(r["Data"]).decode("utf-8", "replace"),
                             "request-failed")
            if fault == "drop":
                self.close_connection = True
                try:
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                return
            if fault == "throttle":
                self.answer(400, {"__type": "ProvisionedThroughputExceededException",
                                  "message": "Rate exceeded for stream " + body.get("StreamName", "")})
                return
            if fault == "500":
                self.answer(500, {"__type": "InternalFailure", "message": "stub: internal failure"})
                return
            # which buckets are over their limit in this request, and from where
            over = {}
            for b in range(st.a.shards):
                if st.a.fail_ratio >= 1:
                    over[b] = 0
                elif st.rng.random() < st.a.fail_ratio:
                    over[b] = st.rng.randrange(0, max(1, len(recs)))
            out = []
            failed = 0
            seen = {}
            for r in recs:
                key = r["PartitionKey"]
                data = base64.b64decode(r["Data"]).decode("utf-8", "replace")
                b = bucket(key, st.a.shards)
                pos = seen.get(b, 0)
                seen[b] = pos + 1
                if b in over and pos >= over[b]:
                    failed += 1
                    out.append({"ErrorCode": "ProvisionedThroughputExceededException",
                                "ErrorMessage": "Rate exceeded for shard shardId-%012d in stream %s"
                                % (b, body.get("StreamName", ""))})
                    st.write(req, key, data, "failed")
                else:
                    st.seq += 1
                    out.append({"SequenceNumber": "%056d" % st.seq,
                                "ShardId": "shardId-%012d" % b})
                    st.write(req, key, data, "ok")
        self.answer(200, {"FailedRecordCount": failed, "Records": out})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--shards", type=int, default=4)
    ap.add_argument("--fail-ratio", type=float, default=0.0)
    ap.add_argument("--throttle", type=int, default=0)
    ap.add_argument("--error500", type=int, default=0)
    ap.add_argument("--drop", type=int, default=0)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.st = State(a)
    with open(a.port_file + ".tmp", "w") as f:
        f.write("%d\n" % srv.server_address[1])
    import os
    os.rename(a.port_file + ".tmp", a.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
