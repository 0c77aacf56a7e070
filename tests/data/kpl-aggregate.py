#!/usr/bin/python3
# kpl-aggregate.py [--corrupt] KEY=DATA...: a KPL aggregated record of the
# given user records, base64 on stdout.  The protobuf and MD5 trailer are
# written by hand here (no KPL library), as the KPL documents them.
import base64, hashlib, sys

def varint(v):
    out = b""
    while v >= 0x80:
        out += bytes([v & 0x7F | 0x80])
        v >>= 7
    return out + bytes([v])

def field(num, payload):
    return varint(num << 3 | 2) + varint(len(payload)) + payload

args = sys.argv[1:]
corrupt = args and args[0] == "--corrupt"
if corrupt:
    args = args[1:]
keys, pb, recs = [], b"", b""
for a in args:
    k, d = a.split("=", 1)
    if k not in keys:
        keys.append(k)
    rec = varint(1 << 3 | 0) + varint(keys.index(k)) + field(3, d.encode())
    recs += field(3, rec)
for k in keys:
    pb += field(1, k.encode())
pb += recs
digest = hashlib.md5(pb).digest()
if corrupt:
    digest = bytes([digest[0] ^ 0xFF]) + digest[1:]
sys.stdout.write(base64.b64encode(b"\xf3\x89\x9a\xc2" + pb + digest).decode())
