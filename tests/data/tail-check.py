#!/usr/bin/python3
# tail-check.py FILE COUNT [--dups-ok] [--lineage A,B:C ...]: checks the
# cs-tail -J envelopes in FILE, records made by tail-records.py: every line
# valid JSON; per shard, sequence numbers rising; per partition key, n
# rising (after the last repeat, with --dups-ok); n = 0..COUNT-1 all there,
# each once (unless --dups-ok).  --lineage P1,P2:C: every record of the
# parents comes before the first record of the child.
import json, sys

path, want = sys.argv[1], int(sys.argv[2])
args = sys.argv[3:]
dups_ok = "--dups-ok" in args
lineage = [args[i + 1] for i, a in enumerate(args) if a == "--lineage"]
seen, last_seq, last_n, first, last = set(), {}, {}, {}, {}
for i, line in enumerate(open(path, "rb"), 1):
    e = json.loads(line)
    s, q, n = e["shardId"], int(e["sequenceNumber"]), e["data"]["n"]
    if not dups_ok:
        assert q > last_seq.get(s, -1), "line %d: shard %s out of order" % (i, s)
        assert n > last_n.get(e["partitionKey"], -1), "line %d: key %s out of order" % (i, e["partitionKey"])
        assert n not in seen, "line %d: n=%d repeated" % (i, n)
    last_seq[s] = q
    last_n[e["partitionKey"]] = n
    seen.add(n)
    first.setdefault(s, i)
    last[s] = i
missing = set(range(want)) - seen
assert not missing, "%d of %d records missing, e.g. %s" % (len(missing), want, sorted(missing)[:5])
assert len(seen) == want, "records beyond the %d put" % want
for rule in lineage:
    parents, child = rule.split(":")
    for p in parents.split(","):
        assert p in last and child in first, "no records of %s or %s" % (p, child)
        assert last[p] < first[child], "%s (to line %d) after child %s (from line %d)" % (
            p, last[p], child, first[child])
