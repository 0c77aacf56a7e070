#!/usr/bin/env python3
"""kinesis-expire.py - a loopback proxy in front of kinesalite that makes
shard iterators expire (kinesalite only expires them after 5 minutes).
python3 standard library only.

    kinesis-expire.py --upstream URL --port-file FILE --log FILE [--every N]

Every Nth GetRecords request (default 3) is answered 400
ExpiredIteratorException without being forwarded; everything else is
forwarded unchanged.  --log gets one line per GetRecords: "expired" or
"passed".  The port is written to the port file once it listens.
"""
import argparse
import http.client
import json
import os
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ap = argparse.ArgumentParser()
ap.add_argument("--upstream", required=True)
ap.add_argument("--port-file", required=True)
ap.add_argument("--log", required=True)
ap.add_argument("--every", type=int, default=3)
args = ap.parse_args()
up = urllib.parse.urlsplit(args.upstream)
lock = threading.Lock()
count = [0]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def answer(self, status, body, ctype="application/x-amz-json-1.1"):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        op = self.headers.get("X-Amz-Target", "").split(".", 1)[-1]
        if op == "GetRecords":
            with lock:
                count[0] += 1
                expire = count[0] % args.every == 0
                with open(args.log, "a") as f:
                    f.write("expired\n" if expire else "passed\n")
            if expire:
                msg = {"__type": "ExpiredIteratorException",
                       "message": "Iterator expired (kinesis-expire.py)"}
                return self.answer(400, json.dumps(msg).encode())
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in ("connection", "keep-alive", "content-length")}
        c = http.client.HTTPConnection(up.hostname, up.port, timeout=30)
        c.request("POST", self.path, body, headers)
        r = c.getresponse()
        data = r.read()
        c.close()
        self.answer(r.status, data, r.getheader("Content-Type") or "application/x-amz-json-1.1")


srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
tmp = args.port_file + ".tmp"
with open(tmp, "w") as f:
    f.write("%d\n" % srv.server_address[1])
os.rename(tmp, args.port_file)
srv.serve_forever()
