#!/usr/bin/python3
"""put_peer.py - the peer of cs-put: what a user would write with boto3.

    put_peer.py ENDPOINT STREAM FILE

Reads NDJSON records from FILE (one line, one record, its newline cut)
and puts them with PutRecords, 500 records (and at most 5 MiB) a request,
the partition key the MD5 of the record in hex; the entries a response
marks failed are sent again, with exponential backoff, until none is
left.  Prints the number of records put.  Run with Debian's
/usr/bin/python3 and python3-boto3.
"""
import hashlib
import os
import sys
import time

import boto3


def put(client, stream, batch):
    wait = 0.05
    while batch:
        r = client.put_records(StreamName=stream, Records=batch)
        if not r.get("FailedRecordCount"):
            return
        batch = [e for e, res in zip(batch, r["Records"]) if "ErrorCode" in res]
        time.sleep(wait)
        wait = min(wait * 2, 5)


def main():
    endpoint, stream, path = sys.argv[1:4]
    client = boto3.client("kinesis", endpoint_url=endpoint,
                          region_name=os.environ.get("AWS_REGION", "us-east-1"))
    batch, size, n = [], 0, 0
    with open(path, "rb") as f:
        for line in f:
            data = line.rstrip(b"\n").rstrip(b"\r")
            if not data.strip():
                continue
            key = hashlib.md5(data).hexdigest()
            if len(batch) == 500 or size + len(data) + len(key) > 5 << 20:
                put(client, stream, batch)
                batch, size = [], 0
            batch.append({"Data": data, "PartitionKey": key})
            size += len(data) + len(key)
            n += 1
    if batch:
        put(client, stream, batch)
    print(n)


if __name__ == "__main__":
    main()
