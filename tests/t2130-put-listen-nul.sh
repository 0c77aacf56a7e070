#!/bin/sh
# kinesis: kinesalite only (tests request-target parsing of --listen)
# cs-put --listen: a request target holding a NUL byte, raw or as %00, names
# no resource: "POST /report<NUL>x" is not answered as POST /report, and
# nothing is put; "/report" and "/report?query" still are.
. "$(dirname "$0")/lib.sh"
services_need
S=$(unique_name nul)

# send each request line of FILE (Python bytes literals) with BODY, print the status of each
cat >raw.py <<'PYEOF'
import ast, socket, sys
port, body = int(sys.argv[1]), sys.argv[3].encode()
for line in open(sys.argv[2]):
    target = ast.literal_eval(line)
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"POST " + target + b" HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
              b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)
    data = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        data += d
    print(data.split(b"\r\n")[0].decode().split(" ")[1], target.decode("latin-1").replace("\0", "<NUL>"))
PYEOF

test_expect_success 'a NUL in the target: 404, nothing put; /report and /report?q: 200' '
	{ create_stream "$S" 1 && port=$(services.sh freeport); } || exit 1
	cs-put -s "$S" --endpoint-url "$CS_KINESIS_ENDPOINT" --listen "127.0.0.1:$port" 2>err &
	pid=$!
	trap "kill $pid 2>/dev/null" EXIT
	test_wait_for 20 "curl -s -o /dev/null -X OPTIONS http://127.0.0.1:$port/report" || exit 1
	cat >targets <<-\TEOF &&
	b"/report%00x"
	b"/report\0x"
	b"/report\0"
	b"/Prod/report%00"
	b"/report"
	b"/report?x=1"
	TEOF
	python3 raw.py $port targets "{\"ip\":\"1.2.3.4\",\"n\":1}" >got &&
	cat >want <<-\WEOF &&
	404 /report%00x
	404 /report<NUL>x
	404 /report<NUL>
	404 /Prod/report%00
	200 /report
	200 /report?x=1
	WEOF
	test_cmp want got &&
	kill -TERM $pid && wait $pid &&
	test "$(readback "$S" | wc -l)" -eq 2
'

test_done
