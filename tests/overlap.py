#!/usr/bin/env python3
"""overlap.py BATCHLOG RENEW_MS - no shard processed by two workers at once
beyond one renewal period.

BATCHLOG: lines "START END WORKER SHARD FIRST LAST" (ms), one per --exec
batch that ended (tests/lease.sh; a batch killed with its worker, or
because its worker lost the lease, leaves no line).  For every two batches
of one shard run by different workers, the time both ran must be at most
RENEW_MS: a worker learns that its lease was taken at its next renewal and
then kills its running batch of that shard.  Prints the longest such time.
A log where no shard ran batches on two workers (no lease changed hands)
checks nothing: that fails too.
"""
import collections
import sys

runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) < 6:
        continue   # a line torn by a kill
    runs[f[3]].append((int(f[0]), int(f[1]), f[2]))
renew = int(sys.argv[2])
worst, bad = 0, []
for shard, rs in runs.items():
    rs.sort()
    for i, a in enumerate(rs):
        for b in rs[i + 1:]:
            if b[0] > a[1]:
                break          # sorted by start: no later one overlaps a
            if b[2] == a[2]:
                continue
            d = min(a[1], b[1]) - b[0]
            worst = max(worst, d)
            if d > renew:
                bad.append("%s: %s %s and %s %s" % (shard, a[2], a[:2], b[2], b[:2]))
print("batches: %d; the longest time two workers ran a batch of one shard at once: %d ms"
      % (sum(len(r) for r in runs.values()), worst))
moved = [s for s, rs in runs.items() if len({r[2] for r in rs}) > 1]
print("shards that ran on more than one worker: %d" % len(moved))
if not moved:
    print("no shard ran on two workers: the log shows no takeover to check")
    sys.exit(1)
if bad:
    print("\n".join(bad[:10]))
    sys.exit(1)
