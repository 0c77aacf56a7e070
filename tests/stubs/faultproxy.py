#!/usr/bin/env python3
"""faultproxy.py - a loopback HTTP proxy between the tools and kinesalite or
dynalite that injects the faults a real service shows under load: throttling
answers, 500s, connections reset mid-request (before or after the request
reached the service), truncated answers, slow answers, and partial failures
inside PutRecords / BatchWriteItem.  python3 standard library only.

    faultproxy.py --upstream URL --port-file FILE [OPTIONS]

Options (rates are probabilities per request, 0 to 1; at most one fault is
chosen per request, in the order listed):
    --seed N          the faults drawn for request number k depend only on
                      (N, k): a run with the same seed and the same order of
                      requests gets the same faults (default 1)
    --throttle P      400 ProvisionedThroughputExceededException or
                      ThrottlingException, in the service's JSON error shape
    --error P         500 InternalFailure / InternalServerError
    --reset P         the connection is reset once the request has been read,
                      before the service sees it
    --cut P           the connection is reset halfway through the request
                      body (the client may still be sending)
    --lost P          the request is forwarded, then the connection is reset:
                      the service acted, the client never hears of it
    --truncate P      the service's answer is cut in half, then the connection
                      is reset
    --slow P          the answer is held for --slow-ms milliseconds (default 1500)
    --partial P       PutRecords: some entries fail with
                      ProvisionedThroughputExceededException (not forwarded);
                      BatchWriteItem: some items come back in UnprocessedItems
    --ops LIST        only requests whose X-Amz-Target operation is in LIST
                      (comma-separated, e.g. PutRecords,GetRecords) get faults
    --skip N          the first N requests pass untouched (default 0)
    --log FILE        one JSON line per request: n, op, fault, status
    --stats FILE      counts of requests by fault, as one JSON object,
                      rewritten after every request

The port chosen is written to the port file (atomically) once the proxy
listens.  Stop it with SIGTERM.
"""
import argparse
import http.client
import http.server
import json
import os
import random
import signal
import socket
import socketserver
import struct
import sys
import threading
import time
import urllib.parse

FAULTS = ("throttle", "error", "reset", "cut", "lost", "truncate", "slow", "partial")

ap = argparse.ArgumentParser(description="fault-injecting loopback proxy")
ap.add_argument("--upstream", required=True)
ap.add_argument("--port-file", required=True)
ap.add_argument("--port", type=int, default=0)
ap.add_argument("--seed", type=int, default=1)
for f in FAULTS:
    ap.add_argument("--" + f, type=float, default=0.0)
ap.add_argument("--slow-ms", type=int, default=1500)
ap.add_argument("--ops", default="")
ap.add_argument("--skip", type=int, default=0)
ap.add_argument("--log", default="")
ap.add_argument("--stats", default="")
args = ap.parse_args()

up = urllib.parse.urlsplit(args.upstream)
UP_HOST, UP_PORT = up.hostname, up.port or 80
OPS = set(o for o in args.ops.split(",") if o)

lock = threading.Lock()
counter = [0]
stats = {"requests": 0, "passed": 0}
for f in FAULTS:
    stats[f] = 0
logf = open(args.log, "a", buffering=1) if args.log else None
local = threading.local()

KINESIS_ERR = {
    "throttle": [(400, "ProvisionedThroughputExceededException",
                  "Rate exceeded for shard shardId-000000000000 in stream under account 000000000000.")],
    "error": [(500, "InternalFailure", None),
              (503, "ServiceUnavailable", "Service Unavailable")],
}
DDB = "com.amazonaws.dynamodb.v20120810#"
DDB_ERR = {
    "throttle": [(400, DDB + "ProvisionedThroughputExceededException",
                  "The level of configured provisioned throughput for the table was exceeded. "
                  "Consider increasing your provisioning level with the UpdateTable API."),
                 (400, "com.amazon.coral.availability#ThrottlingException",
                  "Rate of requests exceeds the allowed throughput.")],
    "error": [(500, DDB + "InternalServerError", "Internal server error")],
}


def choose(n, op):
    """The fault for request number N (1-based), or None: deterministic in (seed, N)."""
    rng = random.Random("%d:%d" % (args.seed, n))
    x = rng.random()
    if n <= args.skip or (OPS and op not in OPS):
        return None, rng
    acc = 0.0
    for f in FAULTS:
        acc += getattr(args, f)
        if x < acc:
            return f, rng
    return None, rng


def save_stats():
    if not args.stats:
        return
    tmp = args.stats + ".tmp"
    with open(tmp, "w") as f:
        json.dump(stats, f)
    os.replace(tmp, args.stats)


def upstream():
    c = getattr(local, "conn", None)
    if c is None:
        c = http.client.HTTPConnection(UP_HOST, UP_PORT, timeout=60)
        local.conn = c
    return c


def forward(method, path, headers, body):
    """Send the request to the service: (status, headers, body)."""
    for attempt in (1, 2):
        c = upstream()
        try:
            c.request(method, path, body=body, headers=headers)
            r = c.getresponse()
            data = r.read()
            return r.status, r.getheaders(), data
        except (OSError, http.client.HTTPException):
            c.close()
            local.conn = None
            if attempt == 2:
                raise


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def reset(self):
        # SO_LINGER 0: close() sends RST, not FIN
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.close_connection = True
        try:
            self.connection.close()
        except OSError:
            pass

    def answer(self, status, headers, body):
        self.send_response_only(status)
        for k, v in headers:
            if k.lower() in ("content-length", "connection", "transfer-encoding",
                             "keep-alive", "date", "server"):
                continue
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def error_answer(self, svc, kind, rng):
        table = KINESIS_ERR if svc == "kinesis" else DDB_ERR
        status, typ, msg = rng.choice(table[kind])
        obj = {"__type": typ}
        if msg is not None:
            obj["message"] = msg
        ct = "application/x-amz-json-1.1" if svc == "kinesis" else "application/x-amz-json-1.0"
        self.answer(status, [("Content-Type", ct),
                             ("x-amzn-RequestId", "faultproxy-%08x" % rng.getrandbits(32))],
                    json.dumps(obj).encode())
        return status

    def partial(self, op, headers, body, rng):
        """Fail part of a batch without forwarding that part. None: not applicable."""
        try:
            req = json.loads(body)
        except ValueError:
            return None
        if op == "PutRecords" and isinstance(req.get("Records"), list) and len(req["Records"]) > 1:
            recs = req["Records"]
            fail = set(i for i in range(len(recs)) if rng.random() < 0.3)
            if not fail or len(fail) == len(recs):
                fail = {rng.randrange(len(recs))}
            keep = [r for i, r in enumerate(recs) if i not in fail]
            req["Records"] = keep
            status, h, data = forward("POST", self.path, headers, json.dumps(req).encode())
            if status != 200:
                return status, h, data
            res = json.loads(data)
            it = iter(res.get("Records", []))
            out = []
            nfail = 0
            for i in range(len(recs)):
                if i in fail:
                    out.append({"ErrorCode": "ProvisionedThroughputExceededException",
                                "ErrorMessage": "Rate exceeded for shard shardId-000000000000 "
                                                "in stream under account 000000000000."})
                    nfail += 1
                else:
                    e = next(it)
                    if "ErrorCode" in e:
                        nfail += 1
                    out.append(e)
            res["Records"] = out
            res["FailedRecordCount"] = nfail
            return 200, h, json.dumps(res).encode()
        if op == "BatchWriteItem" and isinstance(req.get("RequestItems"), dict):
            held = {}
            sent = {}
            for table, reqs in req["RequestItems"].items():
                for r in reqs:
                    (held if rng.random() < 0.3 else sent).setdefault(table, []).append(r)
            if not held:
                return None
            if sent:
                req["RequestItems"] = sent
                status, h, data = forward("POST", self.path, headers, json.dumps(req).encode())
                if status != 200:
                    return status, h, data
                res = json.loads(data)
            else:
                h = [("Content-Type", "application/x-amz-json-1.0")]
                res = {"UnprocessedItems": {}}
            un = res.setdefault("UnprocessedItems", {})
            for table, reqs in held.items():
                un.setdefault(table, []).extend(reqs)
            return 200, h, json.dumps(res).encode()
        return None

    def do_POST(self):
        target = self.headers.get("X-Amz-Target", "")
        svc = "dynamodb" if target.startswith("DynamoDB") else "kinesis"
        op = target.split(".", 1)[-1]
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in ("connection", "keep-alive", "proxy-connection",
                                        "content-length")}
        with lock:
            counter[0] += 1
            k = counter[0]
        fault, rng = choose(k, op)
        n = int(self.headers.get("Content-Length") or 0)
        if fault == "cut":
            n //= 2
        body = self.rfile.read(n) if n else b""
        status = None
        try:
            if fault in ("reset", "cut"):
                self.reset()
            elif fault in ("throttle", "error"):
                status = self.error_answer(svc, fault, rng)
            elif fault == "lost":
                forward("POST", self.path, headers, body)
                self.reset()
            elif fault == "truncate":
                status, h, data = forward("POST", self.path, headers, body)
                self.send_response_only(status)
                for hk, hv in h:
                    if hk.lower() not in ("content-length", "connection", "transfer-encoding",
                                          "keep-alive", "date", "server"):
                        self.send_header(hk, hv)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data[:len(data) // 2])
                self.wfile.flush()
                self.reset()
            else:
                res = None
                if fault == "slow":
                    time.sleep(args.slow_ms / 1000.0)
                elif fault == "partial":
                    res = self.partial(op, headers, body, rng)
                    if res is None:
                        fault = None
                if res is None:
                    res = forward("POST", self.path, headers, body)
                status = res[0]
                self.answer(*res)
        except (OSError, http.client.HTTPException, ValueError) as e:
            # the service itself is down or broke the connection: say so as a 502
            # unless the client is gone
            try:
                self.answer(502, [("Content-Type", "text/plain")],
                            ("faultproxy: upstream: %s\n" % e).encode())
                status = 502
            except OSError:
                self.close_connection = True
        with lock:
            stats["requests"] += 1
            stats[fault or "passed"] += 1
            if logf:
                logf.write(json.dumps({"n": k, "op": op, "fault": fault, "status": status}) + "\n")
            save_stats()

    def do_GET(self):
        # health check: the proxy answers itself
        body = b"faultproxy\n"
        self.answer(200, [("Content-Type", "text/plain")], body)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def main():
    srv = Server(("127.0.0.1", args.port), Handler)

    def stop(*_):
        threading.Thread(target=srv.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    save_stats()
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.replace(tmp, args.port_file)
    srv.serve_forever()
    with lock:
        save_stats()
    sys.stderr.write("faultproxy: %s\n" % json.dumps(stats))


if __name__ == "__main__":
    main()
