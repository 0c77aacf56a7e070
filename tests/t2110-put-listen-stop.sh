#!/bin/sh
# kinesis: kinesalite only (tests the HTTP side of --listen: stop and slow clients)
# cs-put --listen under attack (issue 10, defects 1 and 2): SIGTERM under
# keep-alive load answers what was received, refuses the rest, prints the
# summary and exits 0, every time and at once; slow clients from one
# address do not starve the others.
. "$(dirname "$0")/lib.sh"
services_need

# start the endpoint on a free port with OPTIONS... (pid in $pid, URL in $url)
start_listen() {
	port=$("$SRC_DIR/scripts/services.sh" freeport) || return 1
	cs-put -s "$S" --endpoint-url "$CS_KINESIS_ENDPOINT" --listen "127.0.0.1:$port" --no-enrich "$@" 2>err &
	pid=$!
	url=http://127.0.0.1:$port/report
	test_wait_for 20 "curl -s -o /dev/null -X OPTIONS $url" || { kill $pid; return 1; }
}

test_expect_success_here 'setup: a stream' '
	S=$(unique_name stop) &&
	create_stream "$S" 2
'

for run in 1 2 3; do
	test_expect_success "SIGTERM under 32 keep-alive clients (run $run): exit 0, summary, every 200 in the stream" '
		S=$(unique_name stop$run) &&
		create_stream "$S" 2 &&
		start_listen --stats || exit 1
		python3 "$TEST_DIR/listen/keepalive-load.py" "$url" 32 6 load &
		loader=$!
		sleep 1.5
		kill -TERM $pid
		t0=$(date +%s%N)
		wait $pid; rc=$?
		t1=$(date +%s%N)
		wait $loader
		test $rc -eq 0 &&
		test $(( (t1 - t0) / 1000000 )) -lt 2000 &&
		grep -q "^cs-put: [0-9]* requests: [0-9]* answered 200" err &&
		! grep -q "Fatal error" err &&
		grep "^200 " load | cut -d" " -f3 | sort >ok &&
		test -s ok &&
		readback "$S" | sort >back &&
		comm -23 ok back >lost &&
		test_must_be_empty lost &&
		! grep -v -e "^200 " -e "^503 - " -e "^refused " load
	'
done

test_expect_success 'after 2,000 bad requests an idle endpoint stops at once' '
	start_listen &&
	for i in $(seq 40); do
		printf "url = \"%s\"\n" $(for j in $(seq 50); do echo "$url"; done) >cfg &&
		curl -s -K cfg -X POST --data-binary "x=1" -o /dev/null -o /dev/null >/dev/null || return 1
	done &&
	curl -s -o /dev/null -w "%{http_code}\n" -X POST --data-binary "x=1" "$url" >code &&
	echo 400 >want && test_cmp want code &&
	sleep 0.3 &&
	kill -TERM $pid &&
	t0=$(date +%s%N) &&
	{ wait $pid; rc=$?; } &&
	t1=$(date +%s%N) &&
	test $rc -eq 0 &&
	echo "stopped in $(( (t1 - t0) / 1000000 )) ms" &&
	test $(( (t1 - t0) / 1000000 )) -lt 1000
'

test_expect_success 'the limits: per address 64 by default, connections sized to the descriptor limit' '
	start_listen -v &&
	kill -TERM $pid && wait $pid &&
	# the hard limit, at most 2^20 (LISTEN_MAX_FDS), less 64 for the rest
	fds=$(ulimit -Hn) &&
	{ test "$fds" != unlimited && test "$fds" -le 1048576 || fds=1048576; } &&
	grep "listening on" err &&
	grep -q "; $((fds - 64)) connections at most, 64 per address" err
'

test_expect_success 'SIGTERM waits for a record being retried; a second signal gives it up: 503 Interrupted, exit 0' '
	stub_run faultproxy.py p500 --upstream "$CS_KINESIS_ENDPOINT" --error 1 || exit 1
	port=$("$SRC_DIR/scripts/services.sh" freeport) || exit 1
	cs-put -s "$S" --endpoint-url "$STUB" --listen "127.0.0.1:$port" --no-enrich \
	    --retry-budget 60000 2>err2 &
	pid=$!
	url=http://127.0.0.1:$port/report
	test_wait_for 20 "curl -s -o /dev/null -X OPTIONS $url" &&
	{ curl -s -o ans -w "%{http_code}\n" -X POST --data-binary "{\"n\":1}" "$url" >code & } &&
	test_wait_for 10 "grep -q . p500.log" &&
	kill -TERM $pid &&
	sleep 1 &&
	kill -0 $pid &&
	test ! -s code &&
	t0=$(date +%s%N) &&
	kill -TERM $pid &&
	{ wait $pid; rc=$?; } &&
	t1=$(date +%s%N) &&
	stub_stop p500 &&
	test_wait_for 5 "test -s code" &&
	cat code ans &&
	test $rc -eq 0 &&
	test $(( (t1 - t0) / 1000000 )) -lt 3000 &&
	echo 503 >want && test_cmp want code &&
	grep -q "\"Code\":\"Interrupted\"" ans
'

test_expect_success 'a connection silent for 10 s is closed: before its request, half-way through its headers, kept alive after one' '
	start_listen &&
	python3 - $port <<-\EOF &&
	import socket, sys, threading, time
	port = int(sys.argv[1])
	def closed_after(first):
	    s = socket.create_connection(("127.0.0.1", port))
	    s.settimeout(30)
	    if first:
	        s.sendall(first)
	    if first.endswith(b"\r\n\r\n"):   # a whole request: read its answer first
	        assert s.recv(4096).startswith(b"HTTP/1.1 2")
	    t0 = time.time()
	    try:
	        while s.recv(4096):
	            pass
	    except ConnectionResetError:
	        pass
	    return time.time() - t0
	cases = [b"", b"POST /report HTTP/1.1\r\nHost: a\r\n",
	         b"OPTIONS /report HTTP/1.1\r\nHost: a\r\n\r\n"]
	took = [None] * len(cases)
	def run(i):
	    took[i] = closed_after(cases[i])
	ts = [threading.Thread(target=run, args=(i,)) for i in range(len(cases))]
	[t.start() for t in ts]
	[t.join() for t in ts]
	print("closed after", ["%.1f s" % t for t in took])
	assert all(9 <= t <= 15 for t in took), took
	EOF
	kill -TERM $pid && wait $pid
'

test_expect_success '--max-connections-per-ip 2: a third connection from the address is closed at once' '
	start_listen --max-connections-per-ip 2 -v &&
	python3 - $port <<-\EOF &&
	import socket, sys, time
	port = int(sys.argv[1])
	two = [socket.create_connection(("127.0.0.1", port)) for _ in range(2)]
	time.sleep(0.3)
	third = socket.create_connection(("127.0.0.1", port))
	third.settimeout(5)
	try:
	    got = third.recv(1)
	except ConnectionResetError:
	    got = b""
	assert got == b"", got
	for s in two:   # the first two are still served
	    s.settimeout(5)
	    s.sendall(b"OPTIONS /report HTTP/1.1\r\nHost: a\r\n\r\n")
	    answer = s.recv(100)
	    assert answer.startswith(b"HTTP/1.1 2"), answer
	EOF
	kill -TERM $pid && wait $pid &&
	grep -q " connections at most, 2 per address" err
'

# 2,000, as issue 10 asks, unless the hard limit on open files leaves fewer
# to this shell (the client needs one for each)
nslow=2000
hard=$(ulimit -Hn)
[ "$hard" = unlimited ] || [ "$hard" -ge 2200 ] || nslow=$((hard - 200))
test_expect_success "$nslow slow clients from 127.0.0.2: clients from 127.0.0.1 still answered, p99 < 1 s" '
	start_listen &&
	python3 "$TEST_DIR/listen/slow-clients.py" 127.0.0.1 $port $nslow 20 >slow
	kill -TERM $pid; wait $pid; rc=$?
	cat slow &&
	test $rc -eq 0 &&
	grep -q "^answered 20 of 20, p99 [0-9]* ms; $nslow slow connections" slow &&
	p99=$(sed "s/.*p99 \([0-9]*\) ms.*/\1/" slow) &&
	test "$p99" -lt 1000
'

test_expect_success 'with --max-connections 200, 300 slow clients from one address leave room for others' '
	start_listen --max-connections 200 &&
	python3 "$TEST_DIR/listen/slow-clients.py" 127.0.0.1 $port 300 10 >slow
	kill -TERM $pid; wait $pid; rc=$?
	cat slow &&
	test $rc -eq 0 &&
	grep -q "^answered 10 of 10" slow
'

test_done
