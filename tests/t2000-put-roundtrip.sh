#!/bin/sh
# cs-put: records into kinesalite and back with the stream's own API:
# nothing missing, nothing extra, bytes unchanged (non-ASCII included);
# results in input order; the exit status of each outcome.
. "$(dirname "$0")/lib.sh"
services_need

S=$(unique_name rt)
S1=$(unique_name one)
# kinesis-mock takes seconds per PutRecords of 500: a tenth there
N=20000
[ "$CS_KINESIS_IMPL" = kinesis-mock ] && N=2000

test_expect_success "setup: a stream of 4 shards, $N records with non-ASCII text" '
	create_stream "$S" 4 &&
	gen-records --count $((N - 10)) --seed 7 >in &&
	{
		printf "%s\n" "{\"ip\":\"10.0.0.1\",\"country\":\"日本\",\"note\":\"emoji 😀 and \\\\\"quotes\\\\\"\"}"
		printf "%s\n" "{\"ip\":\"10.0.0.2\",\"country\":\"Česko\",\"language\":\"cs-cz\"}"
		printf "%s\n" "{\"ip\":\"10.0.0.3\",\"country\":\"Sri Lanka\",\"tab\":\"a\\tb\"}"
		printf "%s\n" "{\"ip\":\"10.0.0.4\",\"url\":\"http://example.com/ü?q=ß\"}"
		printf "%s\n" "not JSON at all, but a record all the same"
		printf "%s\n" "{\"ip\":\"10.0.0.5\",\"country\":\"Ελλάδα\"}"
		printf "%s\n" "{\"ip\":\"10.0.0.6\",\"country\":\"Россия\"}"
		printf "%s\n" "{\"ip\":\"10.0.0.7\",\"country\":\"مصر\"}"
		printf "%s\n" "{\"ip\":\"10.0.0.8\",\"country\":\"대한민국\"}"
		printf "%s\n" "{\"ip\":\"10.0.0.9\",\"country\":\"Việt Nam\"}"
	} >>in &&
	test_line_count in $N
'

test_expect_success "$N records go in (exit 0, quiet on a pipe)" '
	cs-put -s "$S" --endpoint-url "$CS_KINESIS_ENDPOINT" --results results in >out 2>err &&
	test_must_be_empty out &&
	test_must_be_empty err
'

test_expect_success 'read back over every shard: exactly the input, byte for byte' '
	readback "$S" >back &&
	test_line_count back $N &&
	LC_ALL=C sort in >in.sorted &&
	LC_ALL=C sort back >back.sorted &&
	cmp in.sorted back.sorted
'

test_expect_success 'the default key spreads records over every shard' '
	test $(grep -o "\"ShardId\":\"[^\"]*\"" results | sort -u | wc -l) -eq 4
'

test_expect_success 'results: one line per record, in input order, all successful' '
	test_line_count results $N &&
	test $(grep -c "^{\"Code\":\"PutRecordSuccessful\",\"ShardId\":\"shardId-[0-9]*\",\"SequenceNumber\":\"[0-9]*\",\"source\":\"in\",\"line\":[0-9]*}$" results) -eq $N &&
	sed "s/.*\"line\":\([0-9]*\)}$/\1/" results >lines &&
	seq $N >want &&
	test_cmp want lines
'

test_expect_success 'stdin, CRLF and blank lines: the data is the line without its end' '
	create_stream "$S1" 1 &&
	printf "{\"a\":1}\r\n\n   \n{\"a\":2}\n{\"a\":3}" |
	cs-put -s "$S1" --endpoint-url "$CS_KINESIS_ENDPOINT" &&
	readback "$S1" >back1 &&
	printf "{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n" >want1 &&
	test_cmp want1 back1
'

test_expect_success 'AWS_ENDPOINT_URL_KINESIS names the endpoint too; -k keeps a key on one shard' '
	printf "{\"ip\":\"1.1.1.1\",\"n\":%d}\n" 1 2 3 4 5 6 7 8 9 10 >keyed &&
	AWS_ENDPOINT_URL_KINESIS=$CS_KINESIS_ENDPOINT cs-put -s "$S" -k .ip --results kres keyed &&
	test $(grep -o "shardId-[0-9]*" kres | sort -u | wc -l) -eq 1 &&
	readback "$S" --keys | grep "^1\.1\.1\.1	" | cut -f2 >kback &&
	test_cmp keyed kback
'

test_expect_success 'a stream that does not exist: exit 5, one clear line' '
	printf "{\"a\":1}\n{\"a\":2}\n" >two &&
	test_expect_code 5 cs-put -s no-such-stream --endpoint-url "$CS_KINESIS_ENDPOINT" two 2>err &&
	echo "cs-put: PutRecords on '"'"'no-such-stream'"'"': ResourceNotFoundException: $(kinesis_no_stream_message no-such-stream) (2 records not delivered)" >want &&
	test_cmp want err
'

test_expect_success 'with --rejects the refused records are kept there, results say why' '
	test_expect_code 5 cs-put -s no-such-stream --endpoint-url "$CS_KINESIS_ENDPOINT" \
		--rejects rej --results res two 2>err &&
	test_line_count rej 2 &&
	test_line_count res 2 &&
	grep -c "\"error\":\"ResourceNotFoundException\"" rej | grep -qx 2 &&
	grep -c "^{\"Code\":\"ResourceNotFoundException\"" res | grep -qx 2
'

test_expect_success 'an input that cannot be opened: exit 3, the others still go' '
	printf "{\"b\":1}\n" >ok1 &&
	test_expect_code 3 cs-put -s "$S1" --endpoint-url "$CS_KINESIS_ENDPOINT" missing ok1 2>err &&
	grep -qx "cs-put: cannot open '"'"'missing'"'"': No such file or directory" err &&
	readback "$S1" | grep -qx "{\"b\":1}"
'

test_expect_success 'usage: no stream is exit 2 with a hint; --help is exit 0 on stdout' '
	test_expect_code 2 cs-put in 2>err &&
	grep -q "try '"'"'cs-put --help'"'"'" err &&
	cs-put --help >help &&
	grep -q "^usage: cs-put -s STREAM" help &&
	test_expect_code 2 cs-put -s x --parallel 0 in 2>err &&
	test_expect_code 2 cs-put -s x --bogus 2>err
'

test_expect_success '--stats prints the summary even on a pipe; secrets never' '
	cs-put -s "$S1" --endpoint-url "$CS_KINESIS_ENDPOINT" --stats -v ok1 2>err &&
	grep -q "^cs-put: 1 records, 1 delivered" err &&
	! grep -q "$AWS_SECRET_ACCESS_KEY" err
'

test_done
