#!/usr/bin/env python3
"""readback.py ENDPOINT STREAM - every record of every shard of STREAM,
read with the stream's own API (ListShards, GetShardIterator TRIM_HORIZON,
GetRecords until the shard is caught up) through scripts/services.sh call,
written to stdout as one line per record: the data, base64-decoded, as is.
With --keys: "KEY<TAB>DATA" per line; with --seq: "SEQUENCENUMBER<TAB>DATA";
with --json: each record as GetRecords gives it, its "ShardId" added, one
JSON line each (what tests/data/kinesis-agg.js deagg reads)."""
import base64
import json
import os
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
services = os.path.join(here, "..", "..", "scripts", "services.sh")


def call(endpoint, op, body):
    out = subprocess.run([services, "call", endpoint, "kinesis", op, json.dumps(body)],
                         check=True, stdout=subprocess.PIPE).stdout
    return json.loads(out)


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    keys = "--keys" in sys.argv
    seqs = "--seq" in sys.argv
    raw = "--json" in sys.argv
    endpoint, stream = args
    shards = call(endpoint, "ListShards", {"StreamName": stream})["Shards"]
    out = sys.stdout.buffer
    for s in shards:
        it = call(endpoint, "GetShardIterator", {"StreamName": stream, "ShardId": s["ShardId"],
                                                 "ShardIteratorType": "TRIM_HORIZON"})["ShardIterator"]
        while it:
            r = call(endpoint, "GetRecords", {"ShardIterator": it, "Limit": 10000})
            for rec in r["Records"]:
                if raw:
                    rec["ShardId"] = s["ShardId"]
                    out.write(json.dumps(rec).encode() + b"\n")
                    continue
                if keys:
                    out.write(rec["PartitionKey"].encode() + b"\t")
                if seqs:
                    out.write(rec["SequenceNumber"].encode() + b"\t")
                out.write(base64.b64decode(rec["Data"]) + b"\n")
            if not r["Records"] and r.get("MillisBehindLatest", 0) == 0:
                break
            it = r.get("NextShardIterator")
    return 0


if __name__ == "__main__":
    sys.exit(main())
