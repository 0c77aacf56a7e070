#!/usr/bin/env python3
"""sts.py - a loopback stand-in for STS and the IAM Identity Center portal,
for what moto's server cannot answer with signature checks on
(AssumeRoleWithWebIdentity is unsigned; the portal's GetRoleCredentials).
It CHECKS what it is sent and refuses what is wrong.  python3 standard
library only.

    sts.py [--port N] [--port-file F] [--log F] [--expires-in SECS]
           [--key AKID:SECRET]... [--external-id ROLEARN=ID]...
           [--token-file F] [--sso-token T] [--sso-account A] [--sso-role R]

POST / (form, Query protocol):
  Action=AssumeRole                  needs a valid SigV4 signature (service
        "sts") by one of the --key pairs or of credentials this stub issued
        (their X-Amz-Security-Token too); a role given in --external-id
        needs that ExternalId.  Else 403 with the XML error shape.
  Action=AssumeRoleWithWebIdentity   must be unsigned; WebIdentityToken must
        equal the current content of --token-file (read at each request:
        the tests rotate it).  Else 400 InvalidIdentityToken, whose message
        quotes the token received.
  RoleArn and RoleSessionName are required (400 ValidationError).
GET /federation/credentials?account_id=A&role_name=R
        header x-amz-sso_bearer_token must equal --sso-token (else 401
        UnauthorizedException), account and role those given.

Issued credentials: ASIASTUBSTS0001, ... with secret stub-sts-secret-N and
token stub-sts-token-N, expiring --expires-in seconds from now.

--log appends one line per request: "ACTION key=<signing key or -> sig=<ok,
bad or none> role=<RoleArn> session=<RoleSessionName> ext=<ExternalId or
-> duration=<DurationSeconds or -> token=<ok, bad or -> -> STATUS".  Binds
127.0.0.1 only; the port is written to --port-file once it listens.
"""
import argparse
import datetime
import hashlib
import hmac
import http.server
import json
import os
import signal
import sys
import threading
import urllib.parse
from xml.sax.saxutils import escape


def sigv4_ok(method, path, query, headers, body, secret_of):
    """Check the Authorization header: (key id, True/False), or (None, None) when unsigned."""
    auth = headers.get("Authorization")
    if not auth:
        return None, None
    try:
        algo, rest = auth.split(" ", 1)
        parts = dict(p.strip().split("=", 1) for p in rest.split(","))
        cred = parts["Credential"].split("/")
        akid, date, region, service = cred[0], cred[1], cred[2], cred[3]
        signed = parts["SignedHeaders"].split(";")
        sig = parts["Signature"]
    except (ValueError, KeyError, IndexError):
        return None, False
    secret = secret_of(akid, headers.get("X-Amz-Security-Token"))
    if algo != "AWS4-HMAC-SHA256" or secret is None or service != "sts":
        return akid, False
    canon_headers = "".join(
        "%s:%s\n" % (h, " ".join((headers.get(h) or "").split())) for h in signed)
    canon = "\n".join([method, path or "/", query, canon_headers, ";".join(signed),
                       hashlib.sha256(body).hexdigest()])
    amz_date = headers.get("X-Amz-Date", "")
    scope = "/".join([date, region, service, "aws4_request"])
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                     hashlib.sha256(canon.encode()).hexdigest()])
    k = ("AWS4" + secret).encode()
    for part in (date, region, service, "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    want = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
    return akid, hmac.compare_digest(want, sig) and "host" in signed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--log")
    ap.add_argument("--expires-in", type=int, default=3600)
    ap.add_argument("--key", action="append", default=[])
    ap.add_argument("--external-id", action="append", default=[])
    ap.add_argument("--token-file")
    ap.add_argument("--sso-token")
    ap.add_argument("--sso-account", default="111122223333")
    ap.add_argument("--sso-role", default="Developer")
    args = ap.parse_args()

    lock = threading.Lock()
    keys = dict(k.split(":", 1) for k in args.key)
    tokens = {}  # issued key id -> session token
    ext = dict(e.split("=", 1) for e in args.external_id)
    state = {"n": 0}

    def secret_of(akid, token):
        with lock:
            if akid in keys and (akid not in tokens or tokens[akid] == token):
                return keys[akid]
        return None

    def issue():
        with lock:
            state["n"] += 1
            n = state["n"]
            akid = "ASIASTUBSTS%04d" % n
            keys[akid] = "stub-sts-secret-%d" % n
            tokens[akid] = "stub-sts-token-%d" % n
        exp = datetime.datetime.now(datetime.timezone.utc) + \
            datetime.timedelta(seconds=args.expires_in)
        return akid, keys[akid], tokens[akid], exp

    def note(line):
        if args.log:
            with lock:
                with open(args.log, "a") as f:
                    f.write(line + "\n")

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *a):
            pass

        def answer(self, status, body, ctype="text/xml"):
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def error(self, status, code, msg):
            self.answer(status, '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/'
                        '2011-06-15/"><Error><Type>Sender</Type><Code>%s</Code><Message>%s'
                        '</Message></Error><RequestId>stub</RequestId></ErrorResponse>'
                        % (code, escape(msg)))

        def do_GET(self):
            u = urllib.parse.urlsplit(self.path)
            q = dict(urllib.parse.parse_qsl(u.query))
            tok = self.headers.get("x-amz-sso_bearer_token")
            status = 200
            if u.path != "/federation/credentials":
                status = 404
            elif tok is None or tok != args.sso_token:
                status = 401
            elif q.get("account_id") != args.sso_account or q.get("role_name") != args.sso_role:
                status = 403
            note("GetRoleCredentials account=%s role=%s token=%s -> %d" % (
                q.get("account_id", "-"), q.get("role_name", "-"),
                "ok" if tok == args.sso_token else ("bad" if tok else "-"), status))
            if status == 401:
                return self.answer(401, json.dumps({"message": "Session token not found or "
                                                               "invalid"}),
                                   "application/json")
            if status != 200:
                return self.answer(status, json.dumps({"message": "no"}), "application/json")
            akid, sk, st, exp = issue()
            self.answer(200, json.dumps({"roleCredentials": {
                "accessKeyId": akid, "secretAccessKey": sk, "sessionToken": st,
                "expiration": int(exp.timestamp() * 1000)}}), "application/json")

        def do_POST(self):
            n = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(n) if n else b""
            form = dict(urllib.parse.parse_qsl(body.decode("utf-8", "replace")))
            action = form.get("Action", "-")
            u = urllib.parse.urlsplit(self.path)
            akid, sig = sigv4_ok("POST", u.path, u.query, self.headers, body, secret_of)
            role, session = form.get("RoleArn"), form.get("RoleSessionName")
            tokstate = "-"
            status, code, msg = 200, None, None
            if action == "AssumeRole":
                if sig is not True:
                    status, code, msg = 403, "SignatureDoesNotMatch", "bad or no signature"
                elif role in ext and form.get("ExternalId") != ext[role]:
                    status, code, msg = 403, "AccessDenied", "wrong external id"
            elif action == "AssumeRoleWithWebIdentity":
                want = None
                if args.token_file and os.path.exists(args.token_file):
                    with open(args.token_file) as f:
                        want = f.read().strip()
                got = form.get("WebIdentityToken")
                tokstate = "ok" if got and got == want else "bad"
                if sig is not None:
                    status, code, msg = 400, "InvalidRequest", "must not be signed"
                elif tokstate != "ok":
                    # quotes what it got, as a careless service might: cs must not repeat it
                    status, code, msg = 400, "InvalidIdentityToken", \
                        "token not accepted: %s" % got
            else:
                status, code, msg = 400, "InvalidAction", "unknown action"
            if status == 200 and (not role or not session):
                status, code, msg = 400, "ValidationError", "RoleArn and RoleSessionName needed"
            note("%s key=%s sig=%s role=%s session=%s ext=%s duration=%s token=%s -> %d" % (
                action, akid or "-", {True: "ok", False: "bad", None: "none"}[sig],
                role or "-", session or "-", form.get("ExternalId", "-"),
                form.get("DurationSeconds", "-"), tokstate, status))
            if status != 200:
                return self.error(status, code, msg)
            ak, sk, st, exp = issue()
            self.answer(200, (
                '<%sResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">\n'
                '  <%sResult>\n    <Credentials>\n'
                '      <AccessKeyId>%s</AccessKeyId>\n'
                '      <SecretAccessKey>%s</SecretAccessKey>\n'
                '      <SessionToken>%s</SessionToken>\n'
                '      <Expiration>%s</Expiration>\n'
                '    </Credentials>\n  </%sResult>\n'
                '  <ResponseMetadata><RequestId>stub</RequestId></ResponseMetadata>\n'
                '</%sResponse>\n') % (action, action, ak, sk, st,
                                      exp.strftime("%Y-%m-%dT%H:%M:%SZ"), action, action))

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % srv.server_address[1])
        os.rename(tmp, args.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
