#!/usr/bin/python3
"""store_peer.py - the peer of cs-store: what a user would write with boto3.

    store_peer.py ENDPOINT TABLE FILE [--map]

Reads NDJSON records from FILE and writes each as an item of TABLE with
boto3's Table.batch_writer (25 items a request, unprocessed items re-sent,
duplicate keys dropped by overwrite_by_pkeys), numbers as Decimal so that
none is rounded.  With --map, the item is the sample's shape (IP,
Timestamp, ...), as scripts/sample-mapping.jq makes it.
Run with Debian's /usr/bin/python3 and python3-boto3.
"""
import json
import os
import sys
from decimal import Decimal

import boto3

SAMPLE = [("IP", "ip"), ("Timestamp", "timestamp"), ("Browser", "browser"), ("URL", "url"),
          ("Referrer", "referrer"), ("OS", "os"), ("Country", "country"), ("Language", "language")]


def main():
    endpoint, table, path = sys.argv[1:4]
    mapped = "--map" in sys.argv[4:]
    ddb = boto3.resource("dynamodb", endpoint_url=endpoint, region_name=os.environ.get("AWS_REGION", "us-east-1"))
    t = ddb.Table(table)
    keys = [k["AttributeName"] for k in t.key_schema]
    n = 0
    with t.batch_writer(overwrite_by_pkeys=keys) as bw, open(path, encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line, parse_float=Decimal, parse_int=Decimal)
            if mapped:
                rec = {a: rec[k] for a, k in SAMPLE if rec.get(k) is not None}
            bw.put_item(Item=rec)
            n += 1
    print(n)


if __name__ == "__main__":
    main()
