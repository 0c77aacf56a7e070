#!/usr/bin/python3
# tail-records.py STREAM FIRST COUNT [KEYS]: PutRecords request bodies, one per
# line (500 records each), of the records {"ip":...,"timestamp":...,"n":N,"k":"kK"}
# for N in FIRST..FIRST+COUNT-1, with partition key "kK", K = N % KEYS.
import base64, json, sys

stream, first, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
keys = int(sys.argv[4]) if len(sys.argv) > 4 else 37
batch = []
for n in range(first, first + count):
    k = "k%d" % (n % keys)
    rec = {"ip": "10.0.%d.%d" % (n // 250 % 250, n % 250 + 1),
           "timestamp": "2018-02-04T23:18:32.866Z", "n": n, "k": k}
    data = json.dumps(rec, separators=(",", ":")).encode()
    batch.append({"PartitionKey": k, "Data": base64.b64encode(data).decode()})
    if len(batch) == 500:
        print(json.dumps({"StreamName": stream, "Records": batch}))
        batch = []
if batch:
    print(json.dumps({"StreamName": stream, "Records": batch}))
