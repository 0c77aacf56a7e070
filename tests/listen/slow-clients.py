#!/usr/bin/env python3
"""slow-clients.py HOST PORT SLOW ORDINARY - SLOW connections from 127.0.0.2
that start a request and send one more header line each second, never
ending it; while they are open, ORDINARY requests from 127.0.0.1, one after
the other, each on a new connection.  Prints "answered A of ORDINARY, p99 MS"
(a request without an answer within 2 s counts as not answered), and how
many slow connections were made.  Bounded: connecting the slow ones takes
6 s at most.  The soft limit on open files is raised to the hard one, so
that a shell's usual 1,024 does not cap the slow ones."""
import http.client, resource, socket, sys, threading, time

host, port, nslow, nord = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if soft != resource.RLIM_INFINITY and (hard == resource.RLIM_INFINITY or hard > soft):
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
slow, stop = [], threading.Event()
until = time.monotonic() + 6
for i in range(nslow):
    if time.monotonic() > until:
        break
    s = socket.socket()
    s.bind(("127.0.0.2", 0))
    s.settimeout(0.1)
    try:
        s.connect((host, port))
        s.sendall(b"POST /report HTTP/1.1\r\nHost: x\r\n")
    except OSError:
        s.close()
        continue
    slow.append(s)


def trickle():
    while not stop.wait(1):
        for s in slow:
            try:
                s.send(b"X-Slow: 1\r\n", socket.MSG_DONTWAIT)
            except OSError:
                pass


t = threading.Thread(target=trickle)
t.start()
time.sleep(0.5)
times = []
for i in range(nord):
    t0 = time.monotonic()
    try:
        c = http.client.HTTPConnection(host, port, timeout=2, source_address=("127.0.0.1", 0))
        c.request("POST", "/report", '{"ordinary":%d}' % i)
        r = c.getresponse()
        r.read()
        c.close()
        if r.status == 200:
            times.append(time.monotonic() - t0)
    except (OSError, http.client.HTTPException):
        pass
stop.set()
t.join()
for s in slow:
    s.close()
times.sort()
p99 = times[min(len(times) - 1, int(len(times) * 0.99))] * 1000 if times else float("inf")
print("answered %d of %d, p99 %.0f ms; %d slow connections" % (len(times), nord, p99, len(slow)))
