#!/bin/sh
# cs-tail --exec runs CMD with pipefail (bash -o pipefail -c CMD): a
# pipeline whose first stage fails fails the batch, which is retried and
# then written to the on-failure file; the checkpoint never moves past a
# batch that did not succeed.  /bin/sh is dash here: it has no pipefail,
# and `sh -c` would count such a batch as done and lose its records.
. "$(dirname "$0")/lib.sh"
services_need
export AWS_ENDPOINT_URL_KINESIS=$CS_KINESIS_ENDPOINT
export AWS_ENDPOINT_URL_DYNAMODB=$CS_DYNAMODB_ENDPOINT

S=$(unique_name s)
T=$(unique_name t)
map=$SRC_DIR/scripts/sample-mapping.jq
check="python3 $TEST_DIR/e2e-check.py"
bad="cs-validate --rejects /nonexistent/x | cs-store -q -t $T -m @$map"

test_expect_success 'setup: 300 records in a stream, an empty table' '
	create_stream "$S" 1 &&
	create_table "$T" IP Timestamp &&
	gen-records --count 300 --seed 7 >in.ndjson &&
	cs-put -q -s "$S" in.ndjson
'

test_expect_success 'a failing first stage fails the batch: retried, on-failure, nothing stored' '
	test_expect_code 1 cs-tail -s "$S" -e --exec "$bad" --checkpoint ck \
	    --max-retries 1 --on-failure failed.ndjson 2>err &&
	cat err &&
	grep -q "cannot open" err &&
	test_line_count failed.ndjson 3 &&
	python3 -c "
import json
fs = [json.loads(l) for l in open(\"failed.ndjson\")]
assert sum(f[\"count\"] for f in fs) == 300, fs
assert all(f[\"reason\"] == \"exit status 4 after 2 attempts\" for f in fs), fs
recs = [json.dumps(r, ensure_ascii=False, separators=(\",\", \":\")) for f in fs for r in f[\"records\"]]
assert recs == open(\"in.ndjson\", encoding=\"utf-8\").read().splitlines(), \"records differ\"
" &&
	$check scan "$CS_DYNAMODB_ENDPOINT" "$T" >keys &&
	test_must_be_empty keys
'

# the sequence number checkpoint CK holds for its one shard
ck_seq() { python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(list(d["shards"].values())[0]["sequenceNumber"])' "$1"; }

test_expect_success 'SIGTERM while a batch keeps failing: abandoned, the checkpoint stays before it' '
	S2=$(unique_name s2) &&
	create_stream "$S2" 1 &&
	cs-put -q -s "$S2" in.ndjson &&
	cs-tail -s "$S2" -e -J -n 100 >first100 &&
	want=$(tail -n 1 first100 | python3 -c "import json, sys; print(json.load(sys.stdin)[\"sequenceNumber\"])") &&
	{ cs-tail -s "$S2" -e --checkpoint ck2 --max-retries 1000 --exec \
	    "if mkdir once 2>/dev/null; then cat >/dev/null; else echo \$CS_ATTEMPT >>attempts; $bad; fi" \
	    2>err2 & echo $! >pid; } &&
	test_wait_for 20 "test \$(cat attempts 2>/dev/null | wc -l) -ge 3" &&
	kill -TERM $(cat pid) &&
	{ wait $(cat pid); echo $? >rc; } &&
	echo 6 >want && test_cmp want rc &&
	test "$(ck_seq ck2)" = "$want" &&
	! grep -q "records failed" err2 &&
	$check scan "$CS_DYNAMODB_ENDPOINT" "$T" >keys &&
	test_must_be_empty keys
'

test_expect_success 'a pipeline that succeeds: all 300 stored, the checkpoint at the end' '
	cs-tail -s "$S" -e --exec "cs-validate | cs-store -q -t $T -m @$map" --checkpoint ok.ck &&
	$check scan "$CS_DYNAMODB_ENDPOINT" "$T" >keys &&
	test_line_count keys 300 &&
	grep -q "sequenceNumber\":\"[0-9]" ok.ck
'

test_expect_success 'false | cat: the first stage alone decides the failure' '
	test_expect_code 1 cs-tail -s "$S" -e --exec "false | cat >/dev/null" --max-retries 0 \
	    --on-failure f2.ndjson 2>err &&
	test_line_count f2.ndjson 3
'

# a shell without the pipefail option, as dash is, whatever /bin/sh is here
cat >nopf <<'EOF'
#!/bin/bash
if [ "$1" = -o ] && [ "$2" = pipefail ]; then echo "nopf: pipefail: no such option" >&2; exit 2; fi
exec bash "$@"
EOF
chmod +x nopf

test_expect_success 'a --shell without pipefail (as dash): a warning, and SHELL -c as before' '
	cs-tail -s "$S" -e --shell "$TRASH/nopf" --exec "false | cat >/dev/null" --max-retries 0 \
	    --on-failure f3.ndjson 2>err &&
	cat err &&
	grep -q "^cs-tail: $TRASH/nopf has no pipefail" err &&
	test_must_be_empty f3.ndjson
'

test_expect_success '--shell names a shell on PATH; a missing one is a usage error' '
	cs-tail -s "$S" -e -v --shell bash --exec "cat >/dev/null" 2>err &&
	grep -q "^cs-tail: --exec: /.*/bash -o pipefail -c CMD" err &&
	test_expect_code 2 cs-tail -s "$S" -e --shell no-such-shell-$$ --exec cat 2>err &&
	grep -q "shell .no-such-shell-$$.: not an executable file on PATH" err &&
	test_expect_code 2 cs-tail -s "$S" -e --shell bash 2>err &&
	grep -q "go with --exec" err
'

test_done
