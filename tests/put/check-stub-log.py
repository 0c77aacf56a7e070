#!/usr/bin/env python3
"""check-stub-log.py INPUT LOG - check what tests/stubs/kinesis-faults.py
received from cs-put against the input:
- every input line was accepted exactly once, nothing else was;
- only failed entries were sent again: a record was received once plus
  once per time it failed (entry failures and whole-request failures);
- each partition key's accepted records are in input order (--ordered).
Prints "entries failed: N, requests failed: M" and exits 1 on a problem."""
import collections
import json
import sys


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    ordered = "--ordered" in sys.argv
    inp = open(args[0], encoding="utf-8").read().split("\n")[:-1]
    log = [json.loads(l) for l in open(args[1], encoding="utf-8")]
    ok = [x for x in log if x["result"] == "ok"]
    bad = 0
    if sorted(x["data"] for x in ok) != sorted(inp):
        print("accepted records differ from the input: %d accepted, %d input" % (len(ok), len(inp)))
        bad = 1
    got = collections.Counter(x["data"] for x in log)
    failed = collections.Counter(x["data"] for x in log if x["result"] != "ok")
    for d, n in got.items():
        if n != 1 + failed[d]:
            print("sent %d times, failed %d times: %s" % (n, failed[d], d[:80]))
            bad = 1
            break
    if ordered:
        pos = {l: i for i, l in enumerate(inp)}
        bykey = collections.defaultdict(list)
        for x in ok:
            bykey[x["key"]].append(pos[x["data"]])
        for k, v in bykey.items():
            if v != sorted(v):
                print("key %s: accepted out of input order" % k)
                bad = 1
    print("entries failed: %d, requests failed: %d" % (
        sum(1 for x in log if x["result"] == "failed"),
        len({x["req"] for x in log if x["result"] == "request-failed"})))
    return bad


if __name__ == "__main__":
    sys.exit(main())
