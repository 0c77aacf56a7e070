#!/usr/bin/env python3
"""e2e-check.py - the end-to-end tests' (tests/t5*) checks of what reached
the table and the rejects.

    e2e-check.py keys FILE
        the (ip, timestamp) of each NDJSON object of FILE, one "ip<TAB>ts"
        line each, sorted (the expected keys: FILE is cs-validate's output)
    e2e-check.py scan ENDPOINT TABLE
        every item's (IP, Timestamp) of TABLE, sorted, one "ip<TAB>ts" line
        each (a paginated Scan through scripts/services.sh call)
    e2e-check.py cmp-keys EXPECTED GOT
        the two key lists must be equal: no key missing, none extra, none
        twice; prints what differs
    e2e-check.py cmp-rejects EXPECTED GOT...
        EXPECTED: cs-validate's rejects for the input; GOT: the rejects files
        of the run.  Each reject is reduced to the original record's bytes
        (its "record" or "record_base64"; a cs-tail envelope in "record" is
        unwrapped to its data).  Rejects are at-least-once (a batch re-run
        after a crash writes its rejects again), so the test counts records,
        not lines: every ineligible record must be there at least as many
        times as in the input, and nothing else may be there.  A torn last
        line (its writer was killed mid-write) is skipped and counted.
"""
import base64
import collections
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SERVICES = os.path.join(HERE, "..", "scripts", "services.sh")


def keys(path):
    out = []
    with open(path, "rb") as f:
        for line in f:
            if not line.strip():
                continue
            r = json.loads(line)
            out.append("%s\t%s" % (r["ip"], r["timestamp"]))
    return sorted(out)


def scan(endpoint, table):
    out, start = [], None
    while True:
        req = {"TableName": table, "ProjectionExpression": "IP, #t",
               "ExpressionAttributeNames": {"#t": "Timestamp"}}
        if start:
            req["ExclusiveStartKey"] = start
        p = subprocess.run([SERVICES, "call", endpoint, "dynamodb", "Scan", json.dumps(req)],
                           capture_output=True, text=True)
        if p.returncode != 0:
            sys.exit("e2e-check: Scan failed: %s %s" % (p.stdout, p.stderr))
        r = json.loads(p.stdout)
        for it in r["Items"]:
            out.append("%s\t%s" % (it["IP"]["S"], it["Timestamp"]["S"]))
        start = r.get("LastEvaluatedKey")
        if not start:
            return sorted(out)


def cmp_keys(exp_path, got_path):
    exp = [l.rstrip("\n") for l in open(exp_path, encoding="utf-8")]
    got = [l.rstrip("\n") for l in open(got_path, encoding="utf-8")]
    ce, cg = collections.Counter(exp), collections.Counter(got)
    missing = sorted((ce - cg).elements())
    extra = sorted((cg - ce).elements())
    twice = sorted(k for k, n in cg.items() if n > 1)
    print("keys: expected %d, got %d, missing %d, extra %d, twice %d"
          % (len(exp), len(got), len(missing), len(extra), len(twice)))
    for what, l in (("missing", missing), ("extra", extra), ("twice", twice)):
        for k in l[:10]:
            print("  %s: %s" % (what, k))
    return 0 if not missing and not extra and not twice else 1


def original(r):
    """The bytes of the record a reject line stands for."""
    if "record_base64" in r:
        return base64.b64decode(r["record_base64"])
    rec = r.get("record", "")
    try:
        env = json.loads(rec)
    except (ValueError, RecursionError):
        env = None
    if isinstance(env, dict) and "sequenceNumber" in env and "shardId" in env:
        if "dataBase64" in env:
            return base64.b64decode(env["dataBase64"])
        if "data" in env:
            d = env["data"]
            return (d if isinstance(d, str) else json.dumps(d, separators=(",", ":"))).encode()
    return rec.encode("utf-8", "surrogateescape")


TORN = [0]


def rejects(paths):
    """Counts of original records.  The last line of a file may be torn (no
    newline, not JSON) when its writer was killed: it is skipped and counted
    in TORN, as the killed batch runs again."""
    c = collections.Counter()
    for p in paths:
        with open(p, "rb") as f:
            for line in f:
                if not line.strip():
                    continue
                try:
                    r = json.loads(line)
                except ValueError:
                    if line.endswith(b"\n"):
                        raise
                    TORN[0] += 1
                    continue
                c[original(r)] += 1
    return c


def cmp_rejects(exp_path, got_paths):
    exp, got = rejects([exp_path]), rejects(got_paths)
    missing = [(k, n - got[k]) for k, n in exp.items() if got[k] < n]
    extra = [k for k in got if k not in exp]
    repeated = sum(max(0, got[k] - exp[k]) for k in got if k in exp)
    print("rejects: expected %d (%d distinct), got %d lines; missing %d, extra %d, "
          "repeated by re-delivery %d, torn by a kill %d"
          % (sum(exp.values()), len(exp), sum(got.values()), len(missing), len(extra), repeated,
             TORN[0]))
    for k, n in missing[:10]:
        print("  missing (%d): %r" % (n, k[:120]))
    for k in extra[:10]:
        print("  extra: %r" % k[:120])
    return 0 if not missing and not extra else 1


def main():
    a = sys.argv[1:]
    if a[:1] == ["keys"] and len(a) == 2:
        sys.stdout.write("".join(k + "\n" for k in keys(a[1])))
    elif a[:1] == ["scan"] and len(a) == 3:
        sys.stdout.write("".join(k + "\n" for k in scan(a[1], a[2])))
    elif a[:1] == ["cmp-keys"] and len(a) == 3:
        return cmp_keys(a[1], a[2])
    elif a[:1] == ["cmp-rejects"] and len(a) >= 2:
        return cmp_rejects(a[1], a[2:])
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
