#!/usr/bin/python3
"""tail_latency.py - put to stdout latency of a following cs-tail.

    tail_latency.py ENDPOINT STREAM COUNT CS-TAIL-ARGS...

Starts cs-tail (following the stream), then puts COUNT records one at a
time with boto3 (one every 50 ms, each holding its put time), and measures
for each how long after the start of its PutRecord call its line came out
of cs-tail's stdout.  Prints "p50 p99 max" in milliseconds.
"""
import json
import os
import subprocess
import sys
import threading
import time

import boto3


def main():
    endpoint, stream, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    tail = subprocess.Popen(sys.argv[4:], stdout=subprocess.PIPE)
    k = boto3.client("kinesis", endpoint_url=endpoint, region_name=os.environ.get("AWS_REGION", "us-east-1"))
    lat, done = [], threading.Event()

    def reader():
        for line in tail.stdout:
            now = time.time()
            rec = json.loads(line)
            lat.append((now - rec["t"]) * 1000.0)
            if len(lat) == count:
                break
        done.set()

    th = threading.Thread(target=reader, daemon=True)
    th.start()
    time.sleep(1.5)  # let it list the shards and reach the end of each
    for i in range(count):
        t = time.time()
        k.put_record(StreamName=stream, PartitionKey="p%d" % i,
                     Data=json.dumps({"n": i, "t": t}).encode())
        time.sleep(0.05)
    done.wait(30)
    tail.terminate()
    tail.wait()
    lat.sort()
    if len(lat) < count:
        print("lost %d of %d" % (count - len(lat), count), file=sys.stderr)
        sys.exit(1)
    p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
    print("%.0f %.0f %.0f" % (p(0.50), p(0.99), lat[-1]))


if __name__ == "__main__":
    main()
