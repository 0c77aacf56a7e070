#!/usr/bin/env python3
"""scripted.py - a loopback HTTP stub that answers from a script, to inject the
faults a real service will not produce on demand (throttling, 500s, dropped
connections, slow answers, a skewed clock).

    scripted.py SCRIPT.json PORTFILE LOGFILE

SCRIPT is a JSON list of answers, used in order, one per request; the last
one repeats.  Each answer is an object:
    {"status": 400, "body": {...} or "text", "headers": {"Date": "..."},
     "delay_ms": 0, "drop": false}
"drop": true closes the connection without an answer.  The port chosen is
written to PORTFILE; each request is logged to LOGFILE as one JSON line:
{"n": 1, "method": "POST", "path": "/", "headers": {...}, "body": "..."}.
"""
import http.server
import json
import socketserver
import sys
import threading
import time

script = json.load(open(sys.argv[1]))
portfile, logfile = sys.argv[2], sys.argv[3]
lock = threading.Lock()
count = [0]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def handle_any(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        with lock:
            count[0] += 1
            i = count[0]
            ans = script[min(i - 1, len(script) - 1)]
            with open(logfile, "a") as f:
                f.write(json.dumps({"n": i, "peer": self.client_address[1], "method": self.command, "path": self.path,
                                    "headers": dict(self.headers.items()),
                                    "body": body.decode("utf-8", "replace")}) + "\n")
        if ans.get("delay_ms"):
            time.sleep(ans["delay_ms"] / 1000.0)
        if ans.get("drop"):
            self.close_connection = True
            self.connection.close()
            return
        b = ans.get("body", "")
        if not isinstance(b, str):
            b = json.dumps(b)
        data = b.encode()
        self.send_response(ans.get("status", 200))
        for k, v in ans.get("headers", {}).items():
            self.send_header(k, v)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_POST = do_GET = do_PUT = handle_any


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


srv = Server(("127.0.0.1", 0), Handler)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
