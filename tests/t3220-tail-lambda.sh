#!/bin/sh
# cs-tail --exec as Lambda's Kinesis trigger, against kinesalite: the event
# (--event lambda) field by field, partial batch responses
# (--report-failures) with the checkpoint and retries Lambda's way, an
# answer that does not parse, --max-record-age, and Lambda's batch
# description on each on-failure line.
. "$(dirname "$0")/lib.sh"
services_need
E=$CS_KINESIS_ENDPOINT
S=$(unique_name ev)

tail_() { cs-tail --endpoint-url "$E" "$@"; }
put_one() { # STREAM KEY BASE64
	kinesis PutRecord "{\"StreamName\":\"$1\",\"PartitionKey\":\"$2\",\"Data\":\"$3\"}" >/dev/null
}
# the sequence number of record N (1-based) of stream $1's first shard
seq_of() { readback "$1" --seq | sed -n "${2}p" | cut -f1; }

test_expect_success 'setup: a stream with JSON, binary and a KPL aggregate' '
	create_stream "$S" 1 &&
	put_records "$S" 1 3 &&
	put_one "$S" bin "AAH+/w==" &&
	agg=$(python3 "$TEST_DIR/data/kpl-aggregate.py" "u1={\"n\":1}" "u2={\"n\":2}") &&
	echo "$agg" >agg.b64 &&
	put_one "$S" outer "$agg" &&
	kinesis DescribeStreamSummary "{\"StreamName\":\"$S\"}" >summary.json &&
	kinesis GetShardIterator "{\"StreamName\":\"$S\",\"ShardId\":\"shardId-000000000000\",\"ShardIteratorType\":\"TRIM_HORIZON\"}" >it.json &&
	kinesis GetRecords "{\"ShardIterator\":$(jq .ShardIterator it.json)}" >records.json &&
	test "$(jq ".Records | length" records.json)" = 5
'

test_expect_success '--event lambda: one event per batch, on stdin, as Lambda builds it' '
	tail_ -s "$S" -e --event lambda --exec "cat >>events" &&
	test_line_count events 1 &&
	python3 - "$S" <<-\EOF
	import base64, json, sys
	stream = sys.argv[1]
	ev = json.loads(open("events").read())
	arn = json.load(open("summary.json"))["StreamDescriptionSummary"]["StreamARN"]
	recs = json.load(open("records.json"))["Records"]
	assert list(ev) == ["Records"], list(ev)
	assert len(ev["Records"]) == len(recs) == 5, len(ev["Records"])
	account = arn.split(":")[4]
	for e, r in zip(ev["Records"], recs):
	    k = e["kinesis"]
	    assert list(k) == ["kinesisSchemaVersion", "partitionKey", "sequenceNumber", "data",
	                       "approximateArrivalTimestamp"], list(k)
	    assert k["kinesisSchemaVersion"] == "1.0"
	    assert k["partitionKey"] == r["PartitionKey"]
	    assert k["sequenceNumber"] == r["SequenceNumber"]
	    # the exact bytes of the record, whatever they are (a KPL aggregate as it is)
	    assert base64.b64decode(k["data"]) == base64.b64decode(r["Data"]), k["data"]
	    assert isinstance(k["approximateArrivalTimestamp"], float)
	    assert abs(k["approximateArrivalTimestamp"] - r["ApproximateArrivalTimestamp"]) < 0.0005, \
	        (k["approximateArrivalTimestamp"], r["ApproximateArrivalTimestamp"])
	    assert e["eventSource"] == "aws:kinesis"
	    assert e["eventVersion"] == "1.0"
	    assert e["eventID"] == "shardId-000000000000:" + r["SequenceNumber"], e["eventID"]
	    assert e["eventName"] == "aws:kinesis:record"
	    assert e["invokeIdentityArn"] == "arn:aws:iam::%s:root" % account, e["invokeIdentityArn"]
	    assert e["awsRegion"] == "us-east-1"
	    assert e["eventSourceARN"] == arn, e["eventSourceARN"]
	    assert arn.endswith(":stream/" + stream), arn
	assert json.loads(base64.b64decode(ev["Records"][0]["kinesis"]["data"]))["n"] == 1
	assert base64.b64decode(ev["Records"][4]["kinesis"]["data"])[:4] == b"\xf3\x89\x9a\xc2"
	EOF
'

test_expect_success '--invoke-identity-arn; --batch-size cuts the event' '
	tail_ -s "$S" -e --event lambda --batch-size 2 --invoke-identity-arn arn:aws:iam::1:role/fn \
	    --exec "jq -c \"([.Records[].invokeIdentityArn] | unique) + [(.Records | length)]\" >>ids" &&
	printf "%s\n" "[\"arn:aws:iam::1:role/fn\",2]" "[\"arn:aws:iam::1:role/fn\",2]" \
	    "[\"arn:aws:iam::1:role/fn\",1]" >want &&
	test_cmp want ids
'

test_expect_success 'bad uses of the options are refused' '
	test_expect_code 2 tail_ -s "$S" --event lambda 2>err &&
	grep -q "go with --exec" err &&
	test_expect_code 2 tail_ -s "$S" --exec cat --event json 2>err &&
	test_expect_code 2 tail_ -s "$S" --exec cat --parallel-per-shard 11 2>err &&
	test_expect_code 2 tail_ -s "$S" --exec cat --invoke-identity-arn x 2>err
'

# a handler in a shell: logs its batch, reports record n=3 and n=8 (from the data) as failed
test_expect_success 'setup: 10 records, a handler reporting one poisoned record per batch' '
	P=$(unique_name poison) && echo "$P" >P &&
	create_stream "$P" 1 &&
	put_records "$P" 1 10 &&
	readback "$P" --seq | cut -f1 >seqs &&
	cat >handler.sh <<-\EOF &&
	#!/bin/bash
	# the event on stdin; answer on stdout; log: ATTEMPT N1,N2,... CHECKPOINT
	ev=$(cat)
	ns=$(jq -r "[.Records[].kinesis.data | @base64d | fromjson | .n] | map(tostring) | join(\",\")" <<<"$ev")
	ck=$(jq -r ".shards[\"shardId-000000000000\"].sequenceNumber // \"-\"" ck 2>/dev/null || echo -)
	echo "$CS_ATTEMPT $ns $ck" >>runs
	jq -c "{batchItemFailures: [.Records[] | select(.kinesis.data | @base64d | fromjson | .n % 5 == 3)
	    | {itemIdentifier: .kinesis.sequenceNumber}]}" <<<"$ev"
	EOF
	chmod +x handler.sh
'

test_expect_success '--report-failures: done up to the record reported, the rest retried from it, then to --on-failure' '
	P=$(cat P) &&
	test_expect_code 1 tail_ -s "$P" -e --event lambda --report-failures --batch-size 5 \
	    --max-retries 2 --checkpoint ck --on-failure failed --exec ./handler.sh 2>err &&
	s2=$(sed -n 2p seqs) && s5=$(sed -n 5p seqs) && s7=$(sed -n 7p seqs) && s10=$(sed -n 10p seqs) &&
	cat >want <<-EOF &&
	1 1,2,3,4,5 -
	2 3,4,5 $s2
	3 3,4,5 $s2
	1 6,7,8,9,10 $s5
	2 8,9,10 $s7
	3 8,9,10 $s7
	EOF
	test_cmp want runs &&
	test_line_count failed 2 &&
	jq -e "select(.count == 3 and .condition == \"RetryAttemptsExhausted\" and .approximateInvokeCount == 3
	    and (.reason | test(\"reported .* as failed, after 3 attempts\")))" failed >/dev/null &&
	test "$(jq -c "[.records[].kinesis.data | @base64d | fromjson | .n]" failed | tr "\n" " ")" = "[3,4,5] [8,9,10] " &&
	test "$(jq -r ".shards[\"shardId-000000000000\"].sequenceNumber" ck)" = "$s10"
'

test_expect_success 'each on-failure line has Lambda'"'"'s batch description beside the records' '
	P=$(cat P) &&
	arn=$(kinesis DescribeStreamSummary "{\"StreamName\":\"$P\"}" | jq -r .StreamDescriptionSummary.StreamARN) &&
	s3=$(sed -n 3p seqs) && s5=$(sed -n 5p seqs) &&
	head -n 1 failed | jq -e --arg arn "$arn" --arg s3 "$s3" --arg s5 "$s5" "
	    .KinesisBatchInfo.shardId == \"shardId-000000000000\" and
	    .KinesisBatchInfo.startSequenceNumber == \$s3 and .KinesisBatchInfo.endSequenceNumber == \$s5 and
	    .KinesisBatchInfo.batchSize == 3 and .KinesisBatchInfo.streamArn == \$arn and
	    (.KinesisBatchInfo.approximateArrivalOfFirstRecord | test(\"^20[0-9-]+T[0-9:.]+Z\$\")) and
	    (.KinesisBatchInfo.approximateArrivalOfLastRecord | test(\"^20[0-9-]+T[0-9:.]+Z\$\")) and
	    .firstSequenceNumber == \$s3 and (.records | length) == 3"
'

test_expect_success '--report-failures --bisect: the reported record alone to --on-failure, the rest goes on' '
	P=$(cat P) && rm -f runs ck &&
	test_expect_code 1 tail_ -s "$P" -e --event lambda --report-failures --bisect --batch-size 5 \
	    --max-retries 1 --checkpoint ck --on-failure failed2 --exec ./handler.sh 2>err &&
	cut -d" " -f1,2 runs >got &&
	printf "%s\n" "1 1,2,3,4,5" "2 3" "1 4,5" "1 6,7,8,9,10" "2 8" "1 9,10" >want &&
	test_cmp want got &&
	test "$(jq -c "[.records[].kinesis.data | @base64d | fromjson | .n]" failed2 | tr "\n" " ")" = "[3] [8] "
'

test_expect_success '--report-failures in NDJSON mode: the same answer, sequence numbers from CS_ variables' '
	P=$(cat P) && rm -f ck &&
	cat >nd.sh <<-\EOF &&
	#!/bin/bash
	# fail the first record of each batch once: report CS_FIRST_SEQUENCE on attempt 1
	cat >/dev/null
	if [ "$CS_ATTEMPT" = 1 ]; then
		echo "{\"batchItemFailures\":[{\"itemIdentifier\":\"$CS_FIRST_SEQUENCE\"}]}"
	fi
	echo "$CS_ATTEMPT $CS_BATCH_SIZE" >>ndruns
	EOF
	chmod +x nd.sh &&
	tail_ -s "$P" -e --report-failures --batch-size 5 --exec ./nd.sh &&
	printf "%s\n" "1 5" "2 5" "1 5" "2 5" >want &&
	test_cmp want ndruns
'

test_expect_success 'an answer that does not parse, or names a record not in the batch, fails the whole batch' '
	P=$(cat P) &&
	test_expect_code 1 tail_ -s "$P" -e --event lambda --report-failures --batch-size 10 \
	    --max-retries 1 --on-failure bad --exec "cat >/dev/null; echo \"{not json\"" 2>err &&
	test_line_count bad 1 &&
	jq -e "select(.count == 10 and .approximateInvokeCount == 2 and
	    (.reason | startswith(\"the answer is not JSON\")) and (.reason | endswith(\"after 2 attempts\")))" bad &&
	test_expect_code 1 tail_ -s "$P" -e --report-failures --batch-size 10 --max-retries 0 \
	    --on-failure bad2 --exec "cat >/dev/null; echo \"{\\\"batchItemFailures\\\":[{\\\"itemIdentifier\\\":\\\"1\\\"}]}\"" &&
	jq -e "select(.count == 10 and (.reason | test(\"not a sequence number of the batch\")))" bad2 &&
	test_expect_code 1 tail_ -s "$P" -e --report-failures --batch-size 10 --max-retries 0 \
	    --on-failure bad3 --exec "cat >/dev/null; echo \"{\\\"batchItemFailures\\\":[{\\\"itemIdentifier\\\":\\\"\\\"}]}\"" &&
	jq -e "select(.count == 10 and (.reason | test(\"empty itemIdentifier\")))" bad3
'

test_expect_success 'no answer, or an empty list, is success' '
	P=$(cat P) &&
	tail_ -s "$P" -e --event lambda --report-failures --exec "cat >/dev/null" &&
	tail_ -s "$P" -e --event lambda --report-failures --exec "cat >/dev/null; echo \"{\\\"batchItemFailures\\\":[]}\""
'

test_expect_success 'a failing command: its error document in the on-failure reason' '
	P=$(cat P) &&
	test_expect_code 1 tail_ -s "$P" -e --event lambda --batch-size 10 --max-retries 0 --on-failure err1 \
	    --exec "cat >/dev/null; echo \"{\\\"errorType\\\":\\\"TypeError\\\",\\\"errorMessage\\\":\\\"bad record\\\"}\"; exit 1" &&
	jq -e "select(.reason == \"exit status 1 after 1 attempts: TypeError: bad record\")" err1
'

test_expect_success '--max-record-age: old records to --on-failure unrun, the shard moves on' '
	A=$(unique_name age) &&
	create_stream "$A" 1 &&
	put_records "$A" 1 3 &&
	sleep 6 &&
	put_records "$A" 4 2 &&
	tail_ -s "$A" -e --event lambda --max-record-age 4 --checkpoint ack --on-failure old \
	    --exec "jq -c \"[.Records[].kinesis.data | @base64d | fromjson | .n]\" >>ran"; test $? = 1 &&
	echo "[4,5]" >want &&
	test_cmp want ran &&
	test_line_count old 1 &&
	jq -e "select(.condition == \"RecordAgeExceeded\" and .count == 3 and .KinesisBatchInfo.batchSize == 3
	    and (has(\"approximateInvokeCount\") | not) and (.reason | test(\"max-record-age\")))" old &&
	test "$(jq -r ".shards[\"shardId-000000000000\"].sequenceNumber" ack)" = "$(seq_of "$A" 5)"
'

test_done
