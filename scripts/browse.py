#!/usr/bin/env python3
"""browse.py - drive headless Chromium over the DevTools protocol (a pipe,
no extra package), as a visitor would, for the tests and the demo.

  browse.py [--chromium PATH] [--timeout S] STEP...

Steps, run in order in one browser:
  visit URL ID     open URL in a new tab, wait for it to load, click the
                   element with id ID (a link to another page), wait for
                   that page to load, then close the tab: the page is
                   hidden and unloaded, as when a visitor leaves
  eval URL FILE    open URL in a new tab, run the JavaScript of FILE (an
                   expression, awaited if it is a promise) and print its
                   value as one JSON line; then close the tab

Chromium runs headless with a new empty profile in a temporary folder,
without sandbox (for root), GPU, QUIC, first-run or background traffic.
Exit status: 0 when every step ran, 1 otherwise (the reason on stderr)."""
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time


class Browser:
    def __init__(self, path, timeout):
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="cs-chromium.")
        r1, w1 = os.pipe()   # we write commands, Chromium reads them on fd 3
        r2, w2 = os.pipe()   # Chromium writes answers on fd 4, we read them

        def fds():
            # through copies: r1 or w2 may be 3 or 4 already (and close on exec)
            a, b = os.dup(r1), os.dup(w2)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.proc = subprocess.Popen(
            [path, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--disable-extensions", "--no-default-browser-check",
             "--user-data-dir=" + self.profile, "--remote-debugging-pipe", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=fds, close_fds=False)
        os.close(r1)
        os.close(w2)
        self.w, self.r = w1, r2
        self.buf = b""
        self.next_id = 0
        self.events = []

    def send(self, method, params=None, session=None):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.w, json.dumps(msg).encode() + b"\0")
        return self.next_id

    def _read(self, until):
        while b"\0" not in self.buf:
            left = until - time.monotonic()
            if left <= 0:
                raise TimeoutError("no answer from Chromium")
            ready, _, _ = select.select([self.r], [], [], left)
            if ready:
                chunk = os.read(self.r, 65536)
                if not chunk:
                    raise EOFError("Chromium went away")
                self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None, session=None):
        want = self.send(method, params, session)
        until = time.monotonic() + self.timeout
        while True:
            m = self._read(until)
            if m.get("id") == want:
                if "error" in m:
                    raise RuntimeError("%s: %s" % (method, m["error"].get("message")))
                return m.get("result", {})
            self.events.append(m)

    def wait_event(self, method, session):
        until = time.monotonic() + self.timeout
        while True:
            for i, m in enumerate(self.events):
                if m.get("method") == method and m.get("sessionId") == session:
                    del self.events[i]
                    return m
            self.events.append(self._read(until))

    def open(self, url):
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        self.call("Page.enable", session=session)
        self.call("Runtime.enable", session=session)
        self.call("Page.navigate", {"url": url}, session)
        self.wait_event("Page.loadEventFired", session)
        return target, session

    def evaluate(self, session, expr):
        r = self.call("Runtime.evaluate", {"expression": expr, "awaitPromise": True,
                                           "returnByValue": True}, session)
        if "exceptionDetails" in r:
            d = r["exceptionDetails"]
            raise RuntimeError("JavaScript: %s" % d.get("exception", {}).get("description", d.get("text")))
        return r["result"].get("value")

    def close(self):
        try:
            self.call("Browser.close")
        except Exception:
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self.w)
        os.close(self.r)
        shutil.rmtree(self.profile, ignore_errors=True)


def main(argv):
    path, timeout = shutil.which("chromium") or "chromium", 20.0
    while argv and argv[0].startswith("--"):
        if argv[0] == "--chromium":
            path = argv[1]
        elif argv[0] == "--timeout":
            timeout = float(argv[1])
        else:
            sys.exit("browse.py: unknown option %s" % argv[0])
        argv = argv[2:]
    steps = []
    while argv:
        if len(argv) < 3 or argv[0] not in ("visit", "eval"):
            sys.exit(__doc__)
        steps.append(argv[:3])
        argv = argv[3:]
    b = Browser(path, timeout)
    try:
        for kind, url, arg in steps:
            target, session = b.open(url)
            if kind == "visit":
                time.sleep(0.3)
                b.evaluate(session, "document.getElementById(%s).click(), true" % json.dumps(arg))
                b.wait_event("Page.loadEventFired", session)
                time.sleep(0.3)
            else:
                with open(arg) as f:
                    print(json.dumps(b.evaluate(session, f.read())), flush=True)
            b.call("Target.closeTarget", {"targetId": target})
        # the beacons of closed tabs are sent by the browser process: give them a moment
        time.sleep(0.5)
    except Exception as e:
        print("browse.py: %s" % e, file=sys.stderr)
        return 1
    finally:
        b.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
