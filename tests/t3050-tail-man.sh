#!/bin/sh
# kinesis: kinesalite only (checks the man page's text and examples; Kinesis only incidental)
# cs-tail: the man page is clean and its EXAMPLES do what they say.
# Each ".Bd -literal" block of EXAMPLES whose first line starts with "$ "
# is run with sh against a one-shard stream holding three of the sample's
# records ("click-stream" in the page stands for this test's own names);
# the block's other lines are the expected output (stdout and stderr).
. "$(dirname "$0")/lib.sh"
services_need
S=$(unique_name cs)

test_man_page cs-tail
test_man_examples_split 07

test_expect_success 'setup: the stream of the examples, a copy, a table' '
	create_stream "$S" 1 &&
	create_stream "$S-copy" 1 &&
	create_table "$S-table" IP Timestamp &&
	for ip in 0.0.0.0 10.0.0.2 10.0.0.3; do
		r="{\"ip\":\"$ip\",\"timestamp\":\"2018-02-04T23:18:32.866Z\",\"browser\":\"Chrome\",\"url\":\"http://adroitlogic.com/products/ultraesb-x\",\"referrer\":\"http://adroitlogic.com\",\"os\":\"Windows\",\"country\":\"Sri Lanka\",\"language\":\"en-us\"}"
		kinesis PutRecord "{\"StreamName\":\"$S\",\"PartitionKey\":\"0\",\"Data\":\"$(printf "%s" "$r" | base64 -w0)\"}" >/dev/null || exit 1
	done
'

ln -s "$SRC_DIR/scripts" scripts
export AWS_ENDPOINT_URL_KINESIS=$CS_KINESIS_ENDPOINT AWS_ENDPOINT_URL_DYNAMODB=$CS_DYNAMODB_ENDPOINT
for d in ex-*; do
	sed -i "s/click-stream/$S/g" "$d/cmd"
	test_expect_success "example: $(cat "$d/cmd")" "
		timeout 60 sh -c \"\$(cat $d/cmd)\" >$d/out 2>&1 &&
		test_cmp $d/expected $d/out
	"
done

test_expect_success 'the trigger example stored the records; the copy holds them' '
	dynamodb Scan "{\"TableName\":\"$S-table\",\"Select\":\"COUNT\"}" | grep -q "\"Count\":3" &&
	cs-tail --endpoint-url "$CS_KINESIS_ENDPOINT" -s "$S-copy" -e | wc -l | grep -qx 3
'

test_done
