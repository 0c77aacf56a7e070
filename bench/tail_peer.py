#!/usr/bin/python3
"""tail_peer.py - the peer of cs-tail -e: what a user would write with boto3.

    tail_peer.py ENDPOINT STREAM

Lists the shards (ListShards, every page), and reads each one from
TRIM_HORIZON with GetShardIterator and GetRecords (10,000 a call) until it
is caught up (an empty answer with MillisBehindLatest 0, or the end of a
closed shard), writing each record's data as one line on stdout.
Run with Debian's /usr/bin/python3 and python3-boto3.
"""
import os
import sys

import boto3


def main():
    endpoint, stream = sys.argv[1:3]
    k = boto3.client("kinesis", endpoint_url=endpoint, region_name=os.environ.get("AWS_REGION", "us-east-1"))
    shards, kw = [], {"StreamName": stream}
    while True:
        r = k.list_shards(**kw)
        shards += r["Shards"]
        if not r.get("NextToken"):
            break
        kw = {"NextToken": r["NextToken"]}
    out = sys.stdout.buffer
    n = 0
    for s in shards:
        it = k.get_shard_iterator(StreamName=stream, ShardId=s["ShardId"],
                                  ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        while it:
            r = k.get_records(ShardIterator=it, Limit=10000)
            for rec in r["Records"]:
                out.write(rec["Data"])
                out.write(b"\n")
                n += 1
            it = r.get("NextShardIterator")
            if not r["Records"] and r.get("MillisBehindLatest", 0) == 0:
                break
    out.flush()
    print(n, file=sys.stderr)


if __name__ == "__main__":
    main()
