#!/usr/bin/env python3
"""metadata.py - a loopback stand-in for the EC2 instance metadata service
(IMDSv2) and the ECS/EKS container credentials endpoint, for the credential
chain tests.  python3 standard library only.

    metadata.py [--port N] [--port-file F] [--log F] [--expires-in SECS]
                [--role NAME] [--auth-token T] [--mode MODE]

IMDSv2:
    PUT /latest/api/token            needs X-aws-ec2-metadata-token-ttl-seconds;
                                     answers a fresh token
    GET /latest/meta-data/iam/security-credentials/        the role name
    GET /latest/meta-data/iam/security-credentials/ROLE    the role's credentials
    (both GETs answer 401 without a valid X-aws-ec2-metadata-token)
Container:
    GET /container/creds             the credentials; with --auth-token, 401
                                     unless Authorization equals it

Every answer of credentials carries a new key id (ASIASTUBIMDS0001, ...,
ASIASTUBCONT0001, ...) and expires --expires-in seconds from now.

--mode breaks things on purpose: "error" (500 for credentials), "badjson"
(credentials that are not JSON), "norole" (404 for the role listing),
"notoken" (403 for the token PUT).

--port 0 (the default) picks a free port; the port is written to
--port-file (atomically) once the server listens.  --log appends one line
per request: "METHOD PATH token=<the token header or -> auth=<the
Authorization header or ->".  Binds 127.0.0.1 only.  Stops on SIGTERM.
"""
import argparse
import datetime
import http.server
import json
import os
import secrets
import signal
import sys
import threading

CREDS_PATH = "/latest/meta-data/iam/security-credentials/"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--log")
    ap.add_argument("--expires-in", type=int, default=3600)
    ap.add_argument("--role", default="cs-test-role")
    ap.add_argument("--auth-token")
    ap.add_argument("--mode", default="ok",
                    choices=["ok", "error", "badjson", "norole", "notoken"])
    args = ap.parse_args()

    lock = threading.Lock()
    state = {"tokens": set(), "imds": 0, "container": 0}

    def creds(kind):
        with lock:
            state[kind] += 1
            n = state[kind]
        exp = datetime.datetime.now(datetime.timezone.utc) + \
            datetime.timedelta(seconds=args.expires_in)
        tag = "IMDS" if kind == "imds" else "CONT"
        return {
            "Code": "Success",
            "LastUpdated": datetime.datetime.now(datetime.timezone.utc)
            .strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Type": "AWS-HMAC",
            "AccessKeyId": "ASIASTUB%s%04d" % (tag, n),
            "SecretAccessKey": "stub-%s-secret-%d" % (tag.lower(), n),
            "Token": "stub-%s-token-%d" % (tag.lower(), n),
            "Expiration": exp.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *a):
            pass

        def note(self):
            if not args.log:
                return
            line = "%s %s token=%s auth=%s\n" % (
                self.command, self.path,
                self.headers.get("X-aws-ec2-metadata-token", "-"),
                self.headers.get("Authorization", "-"))
            with lock:
                with open(args.log, "a") as f:
                    f.write(line)

        def answer(self, status, body, ctype="text/plain"):
            data = body.encode() if isinstance(body, str) else body
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def token_ok(self):
            t = self.headers.get("X-aws-ec2-metadata-token")
            with lock:
                return t is not None and t in state["tokens"]

        def send_creds(self, kind):
            if args.mode == "error":
                return self.answer(500, "internal error")
            if args.mode == "badjson":
                return self.answer(200, "{\"AccessKeyId\": \"ASIA", "application/json")
            self.answer(200, json.dumps(creds(kind)), "application/json")

        def do_PUT(self):
            self.note()
            n = int(self.headers.get("Content-Length") or 0)
            if n:
                self.rfile.read(n)
            if self.path != "/latest/api/token":
                return self.answer(404, "not found")
            if args.mode == "notoken":
                return self.answer(403, "forbidden")
            ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds")
            if not ttl or not ttl.isdigit():
                return self.answer(400, "missing or bad TTL header")
            t = "stub-imds-session-" + secrets.token_hex(8)
            with lock:
                state["tokens"].add(t)
            self.answer(200, t)

        def do_GET(self):
            self.note()
            if self.path == "/container/creds":
                if args.auth_token is not None and \
                        self.headers.get("Authorization") != args.auth_token:
                    return self.answer(401, "unauthorized")
                return self.send_creds("container")
            if self.path.startswith(CREDS_PATH):
                if not self.token_ok():
                    return self.answer(401, "unauthorized")
                role = self.path[len(CREDS_PATH):]
                if role == "":
                    if args.mode == "norole":
                        return self.answer(404, "not found")
                    return self.answer(200, args.role + "\n")
                if role != args.role:
                    return self.answer(404, "not found")
                return self.send_creds("imds")
            self.answer(404, "not found")

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    srv.daemon_threads = True
    port = srv.server_address[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.rename(tmp, args.port_file)
    else:
        print(port, flush=True)

    def stop(*_):
        threading.Thread(target=srv.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    srv.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
