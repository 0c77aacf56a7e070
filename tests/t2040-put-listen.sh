#!/bin/sh
# cs-put --listen: the sample's POST /report endpoint, answers byte for
# byte (curl -i), every 200 backed by a record in the stream, concurrent
# requests batched, SIGTERM answers what is in flight.
. "$(dirname "$0")/lib.sh"
services_need

S=$(unique_name report)
PORT=$("$SRC_DIR/scripts/services.sh" freeport)
URL=http://127.0.0.1:$PORT

# curl -i without the Date header, CRs removed (grep ends the last line)
ask() { curl -si "$@" | tr -d '\r' | grep -v '^Date: '; }

cat >sample.json <<\SAMPLE
{
    "ip": "0.0.0.0",
    "timestamp": "2018-02-04T23:18:32.866Z",
    "browser": "Chrome",
    "url": "http://adroitlogic.com/products/ultraesb-x",
    "referrer": "http://adroitlogic.com",
    "os": "Windows",
    "country": "Sri Lanka",
    "language": "en-us"
}
SAMPLE

# an error answer: STATUS-LINE CODE MESSAGE [EXTRA-HEADER]
want_error() {
	body="{\"Code\":\"$2\",\"Message\":\"$3\"}"
	printf "HTTP/1.1 %s\nAccess-Control-Allow-Origin: *\nContent-Type: application/json\n" "$1"
	[ -n "${4:-}" ] && printf "%s\n" "$4"
	printf "Content-Length: %d\n\n%s\n" "${#body}" "$body"
}

test_expect_success_here 'setup: a stream and the endpoint' '
	create_stream "$S" 1 || return 1
	cs-put -s "$S" --endpoint-url "$CS_KINESIS_ENDPOINT" --listen "127.0.0.1:$PORT" --no-enrich -v 2>listen.err &
	LISTEN_PID=$!
	test_wait_for 20 "curl -s -o /dev/null -X OPTIONS $URL/report"
'

test_expect_success 'POST /report with the sample record: 200, exactly the sample'"'"'s answer' '
	ask -X POST -H "Content-Type: application/json" --data-binary @sample.json "$URL/report" >got &&
	seq=$(sed -n "s/.*\"SequenceNumber\":\"\([0-9]*\)\".*/\1/p" got) &&
	test -n "$seq" &&
	body="{\"Code\":\"PutRecordSuccessful\",\"Message\":\"Record was successfully put to $S\",\"Data\":{\"ShardId\":\"shardId-000000000000\",\"SequenceNumber\":\"$seq\"}}" &&
	printf "HTTP/1.1 200 OK\nAccess-Control-Allow-Origin: *\nContent-Type: application/json\nContent-Length: %d\n\n%s\n" "${#body}" "$body" >want &&
	test_cmp want got &&
	readback "$S" --seq >back &&
	printf "%s\t%s\n" "$seq" "{\"ip\":\"0.0.0.0\",\"timestamp\":\"2018-02-04T23:18:32.866Z\",\"browser\":\"Chrome\",\"url\":\"http://adroitlogic.com/products/ultraesb-x\",\"referrer\":\"http://adroitlogic.com\",\"os\":\"Windows\",\"country\":\"Sri Lanka\",\"language\":\"en-us\"}" >want-back &&
	test_cmp want-back back
'

test_expect_success 'a body that is not JSON: 400 InvalidJSON' '
	ask -X POST --data-binary "ip=0.0.0.0" "$URL/report" >got &&
	want_error "400 Bad Request" InvalidJSON "request body is not JSON: invalid JSON at byte 1: not a JSON value" >want &&
	test_cmp want got
'

test_expect_success 'JSON that is not an object, and an empty body: 400' '
	ask -X POST --data-binary "[1,2]" "$URL/report" >got &&
	want_error "400 Bad Request" InvalidJSON "request body is not a JSON object" >want &&
	test_cmp want got &&
	ask -X POST --data-binary "" "$URL/report" >got &&
	want_error "400 Bad Request" InvalidJSON "request body is empty: send one JSON record" >want &&
	test_cmp want got
'

test_expect_success 'a body over 1 MiB: 413 RecordTooLarge' '
	python3 -c "import sys; sys.stdout.write(\"{\\\"pad\\\":\\\"\" + \"x\" * 1048576 + \"\\\"}\")" >big.json &&
	ask -H "Expect:" -X POST --data-binary @big.json "$URL/report" >got &&
	want_error "413 Content Too Large" RecordTooLarge "request body is over the limit of 1048576 bytes" >want &&
	test_cmp want got
'

test_expect_success 'GET: 405 with Allow; another path: 404' '
	ask "$URL/report" >got &&
	want_error "405 Method Not Allowed" MethodNotAllowed "only POST is allowed on /report" "Allow: POST, OPTIONS" >want &&
	test_cmp want got &&
	ask -X POST --data-binary @sample.json "$URL/elsewhere" >got &&
	want_error "404 Not Found" NotFound "no such resource: only POST /report and GET /beacon.js are served" >want &&
	test_cmp want got
'

test_expect_success 'OPTIONS pre-flight: 204 with the CORS headers, the origin itself with credentials' '
	ask -X OPTIONS -H "Origin: http://example.com" -H "Access-Control-Request-Method: POST" \
		-H "Access-Control-Request-Headers: content-type" "$URL/report" >got &&
	printf "HTTP/1.1 204 No Content\nAccess-Control-Allow-Origin: http://example.com\nAccess-Control-Allow-Credentials: true\nVary: Origin, Access-Control-Request-Headers\nAccess-Control-Allow-Methods: POST, OPTIONS\nAccess-Control-Allow-Headers: content-type\nAccess-Control-Max-Age: 86400\n\n" >want &&
	test_cmp want got &&
	ask -X OPTIONS "$URL/report" >got &&
	printf "HTTP/1.1 204 No Content\nAccess-Control-Allow-Origin: *\nVary: Origin, Access-Control-Request-Headers\nAccess-Control-Allow-Methods: POST, OPTIONS\nAccess-Control-Allow-Headers: Content-Type\nAccess-Control-Max-Age: 86400\n\n" >want &&
	test_cmp want got
'

test_expect_success '200 concurrent requests: all 200, each a record, batched into fewer calls' '
	seq 200 | xargs -P 20 -I{} curl -s -o /dev/null -w "%{http_code}\n" -X POST \
		--data-binary "{\"n\":{},\"text\":\"Česko 日本\"}" "$URL/report" >codes &&
	test $(grep -c "^200$" codes) -eq 200 &&
	readback "$S" >back &&
	test_line_count back 201 &&
	for i in $(seq 200); do echo "{\"n\":$i,\"text\":\"Česko 日本\"}"; done | sort >want &&
	grep -v "^{\"ip\"" back | sort >got &&
	test_cmp want got &&
	calls=$(grep -c "PutRecords -> 200" listen.err) &&
	test $calls -gt 0 && test $calls -lt 200
'

test_expect_success_here 'SIGTERM: stops, exit 0' '
	kill -TERM $LISTEN_PID &&
	{ wait $LISTEN_PID; rc=$?; } &&
	test $rc -eq 0 &&
	! curl -s -o /dev/null "$URL/report"
'

test_expect_success 'a stream that does not exist: the service'"'"'s status and code, request after request' '
	port=$("$SRC_DIR/scripts/services.sh" freeport) || exit 1
	cs-put -s no-such-stream --endpoint-url "$CS_KINESIS_ENDPOINT" --listen "127.0.0.1:$port" 2>err &
	pid=$!
	trap "kill $pid ${stub:-} 2>/dev/null" EXIT
	test_wait_for 20 "curl -s -o /dev/null -X OPTIONS http://127.0.0.1:$port/report" &&
	ask -X POST --data-binary @sample.json "http://127.0.0.1:$port/report" >got
	ask -X POST --data-binary @sample.json "http://127.0.0.1:$port/report" >got2
	kill -TERM $pid
	wait $pid
	want_error "400 Bad Request" ResourceNotFoundException "$(kinesis_no_stream_message no-such-stream)" >want &&
	test_cmp want got &&
	test_cmp want got2
'

test_expect_success 'SIGTERM while a request waits for its retries: it is still answered 200' '
	stub_run kinesis-faults.py stub --throttle 4 || exit 1
	stub=$(cat stub.pid)
	trap "kill $stub 2>/dev/null" EXIT
	port=$("$SRC_DIR/scripts/services.sh" freeport) || exit 1
	cs-put -s st --endpoint-url "$STUB" --listen "127.0.0.1:$port" &
	pid=$!
	trap "kill $pid ${stub:-} 2>/dev/null" EXIT
	test_wait_for 20 "curl -s -o /dev/null -X OPTIONS http://127.0.0.1:$port/report" || exit 1
	curl -s -o answer -w "%{http_code}\n" -X POST --data-binary @sample.json "http://127.0.0.1:$port/report" >code &
	curlpid=$!
	sleep 0.2
	kill -TERM $pid
	wait $curlpid
	wait $pid; rc=$?
	kill $stub
	test $rc -eq 0 &&
	echo 200 >want && test_cmp want code &&
	grep -q "^{\"Code\":\"PutRecordSuccessful\"" answer &&
	test $(grep -c "\"result\": \"ok\"" stub.log) -eq 1
'

test_expect_success '-k .ip: a record without the key gets 400, the run still exits 0' '
	port=$("$SRC_DIR/scripts/services.sh" freeport) || exit 1
	cs-put -s "$S" --endpoint-url "$CS_KINESIS_ENDPOINT" --listen "127.0.0.1:$port" -k .ip \
		--no-enrich --rejects rej 2>err &
	pid=$!
	trap "kill $pid ${stub:-} 2>/dev/null" EXIT
	test_wait_for 20 "curl -s -o /dev/null -X OPTIONS http://127.0.0.1:$port/report" || exit 1
	ask -X POST --data-binary "{\"n\":1}" "http://127.0.0.1:$port/report" >got
	kill -TERM $pid
	wait $pid; rc=$?
	test $rc -eq 0 &&
	want_error "400 Bad Request" InvalidPartitionKey ".ip gives null, not a string" >want &&
	test_cmp want got &&
	echo "{\"source\":\"POST /report\",\"error\":\"InvalidPartitionKey\",\"reason\":\".ip gives null, not a string\",\"record\":\"{\\\"n\\\":1}\"}" >want-rej &&
	test_cmp want-rej rej &&
	test_must_be_empty err
'

test_expect_success 'records refused at once (a line not JSON, an element not an object) are in the rejects too' '
	port=$("$SRC_DIR/scripts/services.sh" freeport) || exit 1
	cs-put -s "$S" --endpoint-url "$CS_KINESIS_ENDPOINT" --listen "127.0.0.1:$port" \
		--no-enrich --rejects rej-once 2>err-once &
	pid=$!
	trap "kill $pid ${stub:-} 2>/dev/null" EXIT
	test_wait_for 20 "curl -s -o /dev/null -X OPTIONS http://127.0.0.1:$port/report" || exit 1
	printf "{\"n\":1}\n{bad\n" | curl -s -o got1 -w "%{http_code}\n" -X POST --data-binary @- \
		"http://127.0.0.1:$port/report" >code1 &&
	curl -s -o got2 -w "%{http_code}\n" -X POST --data-binary "[{\"n\":2},7]" \
		"http://127.0.0.1:$port/report" >code2 &&
	printf "{x\n{y\n" | curl -s -o got3 -w "%{http_code}\n" -X POST --data-binary @- \
		"http://127.0.0.1:$port/report" >code3 &&
	printf "\n{\"n\":3}\n\n{z\n" | curl -s -o got4 -w "%{http_code}\n" -X POST --data-binary @- \
		"http://127.0.0.1:$port/report" >code4 &&
	kill -TERM $pid
	wait $pid; rc=$?
	test $rc -eq 0 &&
	printf "400\n400\n400\n400\n" >want-codes && cat code1 code2 code3 code4 >codes &&
	test_cmp want-codes codes &&
	grep -q "\"FailedRecordCount\":1," got1 && grep -q "\"FailedRecordCount\":1," got2 &&
	grep -q "\"FailedRecordCount\":2," got3 &&
	cat >want-rej <<-\EOF &&
	{"source":"POST /report","line":2,"error":"InvalidJSON","reason":"line 2 is not JSON: invalid JSON at byte 2: expected a member name","record":"{bad"}
	{"source":"POST /report","line":2,"error":"InvalidJSON","reason":"record 2 is not a JSON object","record":"7"}
	{"source":"POST /report","line":1,"error":"InvalidJSON","reason":"line 1 is not JSON: invalid JSON at byte 2: expected a member name","record":"{x"}
	{"source":"POST /report","line":2,"error":"InvalidJSON","reason":"line 2 is not JSON: invalid JSON at byte 2: expected a member name","record":"{y"}
	{"source":"POST /report","line":4,"error":"InvalidJSON","reason":"line 4 is not JSON: invalid JSON at byte 2: expected a member name","record":"{z"}
	EOF
	test_cmp want-rej rej-once &&
	test_must_be_empty err-once
'

test_expect_success 'a bad --listen address is a usage error' '
	test_expect_code 2 cs-put -s x --listen nonsense 2>err &&
	grep -q "^cs-put: --listen: '"'"'nonsense'"'"' is not ADDR:PORT" err
'

test_done
