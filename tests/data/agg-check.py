#!/usr/bin/env python3
"""agg-check.py - check a stream written by cs-put --aggregate.

usage: agg-check.py INPUT RESULTS SHARDS RAW USERS TAIL [--rejects FILE]

  INPUT    the NDJSON lines given to cs-put (-k .ip: each line's key is its "ip")
  RESULTS  cs-put --results (one line per input line, in input order)
  SHARDS   the ListShards answer after the run (JSON)
  RAW      every Kinesis record of the stream (tests/put/readback.py --json)
  USERS    RAW split by AWS Labs' library (tests/data/kinesis-agg.js deagg)
  TAIL     cs-tail -J of the stream
  --rejects FILE  cs-put --rejects: lines not delivered must be there instead

Checks, failing with a message on the first broken one:
  - every input line is delivered (a result naming a shard, a sequence
    number and, inside an aggregate, a sub-sequence number) or rejected,
    never both, and the user record the result names, as the library
    splits it, has the line's bytes and its partition key;
  - every aggregate a result names lies on the shard that holds the hash
    key of each of its user records (MD5 of the partition key, against
    the HashKeyRange of the shard in SHARDS);
  - an aggregate no result names (one cs-put put again after a reshard)
    holds a user record outside its shard's range (a KCL consumer skips
    it whole), and each of its user records was delivered elsewhere;
  - cs-tail -J gives exactly the user records the library gives: same
    sequence and sub-sequence numbers, partition keys and bytes.
Prints a summary line: Kinesis records, aggregates, user records.
"""
import base64
import hashlib
import json
import sys


def fail(msg):
    sys.stderr.write("agg-check: " + msg + "\n")
    sys.exit(1)


def main():
    args = sys.argv[1:]
    rejects_path = None
    if "--rejects" in args:
        i = args.index("--rejects")
        rejects_path = args[i + 1]
        del args[i:i + 2]
    inp, res, shards_p, raw_p, users_p, tail_p = args
    lines = open(inp, "rb").read().split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    results = [json.loads(l) for l in open(res, encoding="utf-8")]
    if len(results) != len(lines):
        fail("%d results for %d input lines" % (len(results), len(lines)))
    shards = {s["ShardId"]: (int(s["HashKeyRange"]["StartingHashKey"]),
                             int(s["HashKeyRange"]["EndingHashKey"]))
              for s in json.load(open(shards_p))["Shards"]}
    raw = [json.loads(l) for l in open(raw_p)]
    users = {}
    by_record = {}
    for l in open(users_p):
        u = json.loads(l)
        k = (u["sequenceNumber"], u.get("subSequenceNumber", -1))
        if k in users:
            fail("user record %r twice" % (k,))
        users[k] = u
        by_record.setdefault(u["sequenceNumber"], []).append(u)
    nagg = sum(1 for r in raw if base64.b64decode(r["Data"])[:4] == b"\xf3\x89\x9a\xc2")
    rejected = set()
    if rejects_path:
        for l in open(rejects_path, encoding="utf-8"):
            j = json.loads(l)
            rejected.add(j["line"])

    def h(key):
        return int(hashlib.md5(key.encode()).hexdigest(), 16)

    named = set()
    delivered = 0
    for n, (line, r) in enumerate(zip(lines, results), 1):
        if r["line"] != n:
            fail("result %d names line %s" % (n, r["line"]))
        if r["Code"] != "PutRecordSuccessful":
            if n not in rejected:
                fail("line %d failed (%s) and is not in the rejects" % (n, r["Code"]))
            continue
        if n in rejected:
            fail("line %d delivered and rejected" % n)
        delivered += 1
        k = (r["SequenceNumber"], r.get("SubSequenceNumber", -1))
        u = users.get(k)
        if u is None:
            fail("line %d: no user record %r in the stream" % (n, k))
        if u["shardId"] != r["ShardId"]:
            fail("line %d: result says %s, the record is on %s" % (n, r["ShardId"], u["shardId"]))
        if base64.b64decode(u["data"]) != line:
            fail("line %d: the user record's bytes differ" % n)
        ip = json.loads(line)["ip"]
        if u["partitionKey"] != ip:
            fail("line %d: partition key %r, not %r" % (n, u["partitionKey"], ip))
        named.add(r["SequenceNumber"])
    for r in raw:
        seq, shard = r["SequenceNumber"], r["ShardId"]
        lo, hi = shards[shard]
        us = by_record.get(seq, [])
        inside = all(lo <= h(u["partitionKey"]) <= hi for u in us)
        if seq in named and not inside:
            fail("Kinesis record %s on %s holds a user record of another shard" % (seq, shard))
        if seq not in named and inside:
            fail("Kinesis record %s on %s: no result names it, yet it is where it belongs" % (seq, shard))
    misplaced = sum(1 for r in raw if r["SequenceNumber"] not in named)
    # cs-tail: the same user records as the library
    tail = {}
    for l in open(tail_p, "rb"):
        e = json.loads(l)
        k = (e["sequenceNumber"], e.get("subSequenceNumber", -1))
        if k in tail:
            fail("cs-tail gave %r twice" % (k,))
        if "dataBase64" in e:
            data = base64.b64decode(e["dataBase64"])
        else:
            # "data" is the envelope's last member, the record's bytes verbatim
            data = l[l.index(b',"data":') + 8:].rstrip(b"\n")[:-1]
        tail[k] = (e["shardId"], e["partitionKey"], data)
    lib = {k: (u["shardId"], u["partitionKey"], base64.b64decode(u["data"])) for k, u in users.items()}
    if set(tail) != set(lib):
        fail("cs-tail gave %d user records, the library %d (%d differ)" %
             (len(tail), len(lib), len(set(tail) ^ set(lib))))
    for k in lib:
        if tail[k][:2] != lib[k][:2]:
            fail("user record %r: cs-tail %r, library %r" % (k, tail[k][:2], lib[k][:2]))
        if tail[k][2] != lib[k][2]:
            fail("user record %r: bytes differ between cs-tail and the library" % (k,))
    print("%d Kinesis records (%d aggregates, %d put again after a reshard), %d user records,"
          " %d lines delivered, %d rejected" % (len(raw), nagg, misplaced, len(users), delivered,
                                                len(rejected)))


if __name__ == "__main__":
    main()
