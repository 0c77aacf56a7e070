#!/usr/bin/env python3
"""dynamodb-faults.py - a loopback stub in front of dynalite for the faults
dynalite never produces: items left in UnprocessedItems, throttling, 500s.
python3 standard library only.

    dynamodb-faults.py --upstream URL --port-file FILE --log FILE [--plan PLAN]
                       [--always unprocessed|throttle|500] [--keys IP,Timestamp]

Every request not given a fault is forwarded to URL unchanged and its
answer returned.  BatchWriteItem requests take the next step of PLAN
(comma-separated; when it is used up, requests are forwarded, or get the
--always fault):
    pass            forward
    unprocessed:N   forward all but the last N items; answer with the
                    service's own answer plus those N in UnprocessedItems
    throttle        400 ProvisionedThroughputExceededException, not forwarded
    throttling      400 ThrottlingException, not forwarded
    500             500 InternalServerError, not forwarded
    invalid         400 ValidationException, not forwarded
--log gets one JSON line per BatchWriteItem / PutItem request:
    {"n":1,"op":"BatchWriteItem","step":"unprocessed:2","keys":["a|b",...],
     "unprocessed":["c|d",...]}
where a key is the values of the --keys attributes joined by "|", and
"t0", "t1" when the request came and when it was answered (monotonic s).
--delay-ms holds every BatchWriteItem / PutItem answer that long (so that
requests overlap).
The port is written to the port file once the stub listens.
"""
import argparse
import http.server
import json
import os
import sys
import threading
import time
import urllib.error
import urllib.request

lock = threading.Lock()
state = {"n": 0, "plan": [], "always": None}
args = None


def key_of(item):
    vals = []
    for k in args.keys.split(","):
        av = item.get(k, {})
        vals.append(str(next(iter(av.values()))) if av else "")
    return "|".join(vals)


def forward(handler, body):
    req = urllib.request.Request(args.upstream + handler.path, data=body, method="POST")
    for h in ("Content-Type", "X-Amz-Target", "X-Amz-Date", "Authorization",
              "X-Amz-Security-Token"):
        v = handler.headers.get(h)
        if v is not None:
            req.add_header(h, v)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def error(code, status, message):
    return status, json.dumps({"__type": "com.amazonaws.dynamodb.v20120810#" + code,
                               "message": message}).encode()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        op = self.headers.get("X-Amz-Target", "").split(".")[-1]
        entry = None
        t0 = time.monotonic()
        if op in ("BatchWriteItem", "PutItem"):
            with lock:
                state["n"] += 1
                n = state["n"]
                step = state["plan"].pop(0) if state["plan"] else (state["always"] or "pass")
            doc = json.loads(body)
            entry = {"n": n, "op": op, "step": step}
            if op == "PutItem":
                entry["keys"] = [key_of(doc["Item"])]
                step = step if step in ("throttle", "throttling", "500", "invalid") else "pass"
            else:
                (table, reqs), = doc["RequestItems"].items()
                entry["keys"] = [key_of(r["PutRequest"]["Item"]) for r in reqs]
            if step == "throttle":
                status, out = error("ProvisionedThroughputExceededException", 400,
                                    "The level of configured provisioned throughput for the table was exceeded.")
            elif step == "throttling":
                status, out = error("ThrottlingException", 400, "Rate of requests exceeds the allowed throughput.")
            elif step == "invalid":
                status, out = error("ValidationException", 400, "One or more parameter values were invalid")
            elif step == "500":
                status, out = error("InternalServerError", 500, "Internal server error")
            elif step.startswith("unprocessed") and op == "BatchWriteItem":
                k = len(reqs) if step == "unprocessed" else min(int(step.split(":")[1]), len(reqs))
                keep, left = reqs[:len(reqs) - k], reqs[len(reqs) - k:]
                entry["unprocessed"] = [key_of(r["PutRequest"]["Item"]) for r in left]
                if keep:
                    doc["RequestItems"][table] = keep
                    status, out = forward(self, json.dumps(doc).encode())
                    ans = json.loads(out) if status == 200 else None
                else:
                    status, ans = 200, {}
                if status == 200:
                    ans["UnprocessedItems"] = {table: left}
                    out = json.dumps(ans).encode()
            else:
                status, out = forward(self, body)
            if args.delay_ms:
                time.sleep(args.delay_ms / 1000.0)
            entry["status"] = status
            entry["t0"], entry["t1"] = t0, time.monotonic()
        else:
            status, out = forward(self, body)
        if entry and args.log:
            with lock, open(args.log, "a") as f:
                f.write(json.dumps(entry) + "\n")
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.0")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)


def main():
    global args
    p = argparse.ArgumentParser()
    p.add_argument("--upstream", required=True)
    p.add_argument("--port-file", required=True)
    p.add_argument("--log")
    p.add_argument("--plan", default="")
    p.add_argument("--always", choices=["unprocessed", "throttle", "throttling", "500", "invalid"])
    p.add_argument("--keys", default="IP,Timestamp")
    p.add_argument("--delay-ms", type=int, default=0)
    args = p.parse_args()
    args.upstream = args.upstream.rstrip("/")
    state["plan"] = [s for s in args.plan.split(",") if s]
    state["always"] = args.always
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, args.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
