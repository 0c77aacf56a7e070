#!/usr/bin/python3
"""fanout_latency.py - put to stdout latency of a following cs-tail, on any
local Kinesis, without boto3: records are put one at a time with
scripts/services.sh call (curl), each holding its put time.

    fanout_latency.py ENDPOINT STREAM COUNT CS-TAIL-ARGS...

Prints "p50 p99 max" in milliseconds, from the start of each PutRecord
call to its line on cs-tail's stdout.
"""
import base64
import json
import os
import subprocess
import sys
import threading
import time

here = os.path.dirname(os.path.abspath(__file__))
services = os.path.join(here, "..", "scripts", "services.sh")


def main():
    endpoint, stream, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    tail = subprocess.Popen(sys.argv[4:], stdout=subprocess.PIPE)
    lat, done = [], threading.Event()

    def reader():
        for line in tail.stdout:
            now = time.time()
            lat.append((now - json.loads(line)["t"]) * 1000.0)
            if len(lat) == count:
                break
        done.set()

    threading.Thread(target=reader, daemon=True).start()
    time.sleep(4)  # let it list the shards, register, subscribe
    for i in range(count):
        data = base64.b64encode(json.dumps({"t": time.time(), "i": i}).encode()).decode()
        body = json.dumps({"StreamName": stream, "Data": data, "PartitionKey": str(i)})
        subprocess.run([services, "call", endpoint, "kinesis", "PutRecord", body],
                       check=True, stdout=subprocess.DEVNULL)
        time.sleep(0.05)
    done.wait(30)
    tail.terminate()
    tail.wait()
    if len(lat) < count:
        sys.exit("fanout_latency: %d of %d records came out" % (len(lat), count))
    lat.sort()
    print("%.0f %.0f %.0f" % (lat[len(lat) // 2], lat[min(len(lat) - 1, len(lat) * 99 // 100)], lat[-1]))


if __name__ == "__main__":
    main()
