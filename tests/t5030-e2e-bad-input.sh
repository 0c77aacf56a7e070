#!/bin/bash
# t5030-e2e-bad-input: the bad-input matrix (broken JSON, binary, invalid
# UTF-8, a NUL byte, a huge line, deep nesting, values that are not
# objects, empty, blank and CRLF lines, a BOM, no final newline) into every
# tool, alone and as the whole pipeline, under the sanitizers: no crash,
# every bad record rejected exactly once with its reason, every good one
# delivered.
. "$(dirname "$0")/lib.sh"
services_need
export AWS_ENDPOINT_URL_KINESIS=$CS_KINESIS_ENDPOINT
export AWS_ENDPOINT_URL_DYNAMODB=$CS_DYNAMODB_ENDPOINT

stream=$(unique_name s)
table=$(unique_name t)
table2=$(unique_name t2)
check="python3 $TEST_DIR/e2e-check.py"
map=$SRC_DIR/scripts/sample-mapping.jq

# bad.ndjson: one case per line; kinds: KIND per line number
test_expect_success 'setup: the matrix, a stream and tables' '
	python3 - <<-\EOF &&
	import json
	def good(i):
	    return json.dumps({"ip": "10.1.0.%d" % i, "timestamp": "2026-03-01T00:00:%02d.000Z" % i,
	                       "browser": "Chrome", "url": "http://example.com/%d" % i, "referrer": "",
	                       "os": "Linux", "country": "Česko", "language": "cs-cz"},
	                      ensure_ascii=False).encode()
	L = [
	    (b"\xef\xbb\xbf" + good(1), "good"),                  # 1 a BOM starts the file
	    (good(2) + b"\r", "good"),                            # 2 CRLF
	    (b"", "empty"),                                       # 3
	    (b"\r", "empty"),                                     # 4 an empty CRLF line
	    (b"{\"ip\":\"10.1.0.9\",\"timestamp\":", "broken"),   # 5 truncated
	    (b"{\"ip\" \"x\"}", "broken"),                        # 6
	    (bytes(range(256)).replace(b"\n", b""), "binary"),    # 7 every byte
	    (b"\x00\x01\x02\xff\xfe", "binary"),                  # 8
	    (good(3).replace(b"Linux", b"Lin\xffux"), "utf8"),    # 9 invalid UTF-8
	    (good(4).replace(b"Chrome", b"Chr\xc3"), "utf8"),     # 10 truncated sequence
	    (b"{\"ip\":\"" + b"9" * (3 << 20) + b"\"}", "huge"),  # 11 3 MiB
	    (b"[" * 100000 + b"]" * 100000, "deep"),              # 12
	    (b"{\"a\":" * 5000 + b"1" + b"}" * 5000, "deep"),     # 13
	    (good(5).replace(b"Chrome", b"Chr\x00ome"), "nul"),   # 14 a NUL byte
	    (b"null", "notobj"),                                  # 15
	    (b"[1,2]", "notobj"),                                 # 16
	    (good(6), "good"),                                    # 17
	    (json.dumps(good(7).decode()).encode(), "good2"),     # 18 double-encoded
	    (b"  \t ", "empty"),                                  # 19 blank
	    (good(8), "good"),                                    # 20 no final newline
	]
	with open("bad.ndjson", "wb") as f:
	    f.write(b"\n".join(b for b, k in L))
	with open("kinds", "w") as f:
	    for i, (b, k) in enumerate(L):
	        f.write("%d %s\n" % (i + 1, k))
	EOF
	create_stream "$stream" 1 &&
	create_table "$table" IP Timestamp &&
	create_table "$table2" IP Timestamp
'

# the line numbers of the kinds given, one per line
lines_of() { awk -v k=" $* " 'index(k, " " $2 " ") { print $1 }' kinds; }
# the line numbers of a rejects file, one per line, sorted
reject_lines() { python3 -c 'import json, sys
for l in open(sys.argv[1], "rb"):
    r = json.loads(l)
    assert r.get("error") and r.get("reason"), r
    print(r["line"])' "$1" | sort -n; }

test_expect_success 'cs-validate: good records out, each bad one rejected once with its reason' '
	cs-validate --stats --rejects v.rej bad.ndjson >v.out 2>v.err &&
	cat v.err &&
	test_line_count v.out 5 &&
	lines_of broken binary utf8 huge deep nul notobj >expect &&
	reject_lines v.rej >actual &&
	test_cmp expect actual &&
	$check keys v.out >v.keys &&
	printf "10.1.0.%d\t2026-03-01T00:00:%02d.000Z\n" 1 1 2 2 6 6 7 7 8 8 >expect &&
	test_cmp expect v.keys
'

test_expect_success 'cs-store: objects with the keys stored, every other line rejected once' '
	test_expect_code 1 cs-store --stats -t "$table2" -m @"$map" --rejects s.rej \
	    bad.ndjson 2>s.err &&
	cat s.err &&
	lines_of broken binary utf8 huge deep nul notobj good2 >expect &&
	reject_lines s.rej >actual &&
	test_cmp expect actual &&
	$check scan "$CS_DYNAMODB_ENDPOINT" "$table2" >s.keys &&
	printf "10.1.0.%d\t2026-03-01T00:00:%02d.000Z\n" 1 1 2 2 6 6 8 8 >expect &&
	test_cmp expect s.keys
'

test_expect_success 'cs-put: every line but the huge one delivered, that one rejected' '
	test_expect_code 1 cs-put --stats -s "$stream" --rejects p.rej --results p.res \
	    bad.ndjson 2>p.err &&
	cat p.err &&
	lines_of huge >expect &&
	reject_lines p.rej >actual &&
	test_cmp expect actual &&
	grep RecordTooLarge p.rej &&
	test_line_count p.res 17 &&
	test $(grep -c PutRecordSuccessful p.res) = 16
'

test_expect_success 'cs-tail: all 16 records back, every line valid JSON' '
	cs-tail -s "$stream" -e >t.out 2>t.err &&
	test_line_count t.out 16 &&
	python3 -c "import json, sys
for l in open(\"t.out\", \"rb\"):
    json.loads(l)"
'

test_expect_success 'the pipeline: the 5 eligible stored, the 11 others rejected exactly once' '
	mkdir rej &&
	printf "%s\n" "#!/bin/bash" "set -o pipefail" \
	    "cs-validate --rejects \"\$(mktemp $TRASH/rej/b.XXXXXX)\" | cs-store -t $table -m @$map" \
	    >consume.sh &&
	chmod +x consume.sh &&
	cs-tail -s "$stream" -e --checkpoint ck --on-failure failed.ndjson \
	    --exec "$TRASH/consume.sh" 2>pipe.err &&
	test_must_be_empty failed.ndjson &&
	$check scan "$CS_DYNAMODB_ENDPOINT" "$table" >pipe.keys &&
	test_cmp v.keys pipe.keys &&
	grep -v "\"line\":$(lines_of huge)," v.rej >expect.rej &&
	$check cmp-rejects expect.rej rej/b.* >cmp.out &&
	cat cmp.out &&
	grep "got 11 lines" cmp.out &&
	grep "repeated by re-delivery 0," cmp.out
'

test_expect_success 'cs-put --listen: each bad body a 4xx in the sample'"'"'s error shape, good ones 200' '
	port=$(services.sh freeport) &&
	{ cs-put -s "$stream" --listen 127.0.0.1:$port 2>l.err & } &&
	pid=$! &&
	test_wait_for 20 "curl -s -o /dev/null -X OPTIONS http://127.0.0.1:$port/report" &&
	python3 - $port <<-\EOF >l.out &&
	import http.client, json, sys
	port = int(sys.argv[1])
	kinds = dict(l.split() for l in open("kinds"))
	bodies = open("bad.ndjson", "rb").read().split(b"\n")
	bad = 0
	for i, body in enumerate(bodies, 1):
	    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
	    c.request("POST", "/report", body, {"Content-Type": "application/json"})
	    r = c.getresponse()
	    ans = json.loads(r.read())
	    k = kinds[str(i)]
	    shape = 400 <= r.status < 500 and set(ans) == {"Code", "Message"}
	    if k == "good" and i != 1:
	        ok = r.status == 200
	    elif i == 1 or k == "good2":
	        # a BOM, or the double-encoded form: either answer will do
	        ok = r.status == 200 or shape
	    else:
	        ok = shape
	    print(i, k, r.status, ans.get("Code"), "ok" if ok else "WRONG")
	    bad += not ok
	sys.exit(bad)
	EOF
	cat l.out &&
	kill -TERM $pid &&
	wait $pid &&
	test_must_be_empty l.err
'

test_expect_success 'no sanitizer report from any tool' '
	! grep -n "Sanitizer\|runtime error" *.err
'

test_done
