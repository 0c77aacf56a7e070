#!/bin/sh
# scripts/lambda-run: a Lambda handler, Node.js or Python, run once on the
# event on stdin; its answer alone on stdout, its logs on stderr; errors
# and timeouts as Lambda's error document with exit status 1.
. "$(dirname "$0")/lib.sh"

cat >event.json <<'EOF'
{"Records":[{"kinesis":{"kinesisSchemaVersion":"1.0","partitionKey":"0","sequenceNumber":"42","data":"eyJpcCI6IjAuMC4wLjAifQ==","approximateArrivalTimestamp":1517786312.866},"eventSource":"aws:kinesis","eventVersion":"1.0","eventID":"shardId-000000000000:42","eventName":"aws:kinesis:record","invokeIdentityArn":"arn:aws:iam::111122223333:root","awsRegion":"us-east-1","eventSourceARN":"arn:aws:kinesis:us-east-1:111122223333:stream/click-stream"}]}
EOF

test_expect_success 'setup: handlers' '
	cat >async.mjs <<-\EOF &&
	export const handler = async (event, context) => {
		console.log("decoded", Buffer.from(event.Records[0].kinesis.data, "base64").toString());
		return {
			name: context.functionName, arn: context.invokedFunctionArn,
			id: typeof context.awsRequestId, left: context.getRemainingTimeInMillis() > 0,
			batchItemFailures: [{ itemIdentifier: event.Records[0].kinesis.sequenceNumber }],
		};
	};
	EOF
	cat >cb.js <<-\EOF &&
	exports.handler = (event, context, callback) => {
		setTimeout(() => callback(null, { n: event.Records.length }), 20);
	};
	exports.throws = async () => { throw new TypeError("bad record"); };
	exports.cberr = (e, c, cb) => cb(new Error("called back with an error"));
	exports.slow = () => new Promise((r) => setTimeout(r, 10000));
	EOF
	cat >fn.py <<-\EOF
	import base64
	def lambda_handler(event, context):
	    print("decoded", base64.b64decode(event["Records"][0]["kinesis"]["data"]).decode())
	    return {"name": context.function_name, "arn": context.invoked_function_arn,
	            "left": context.get_remaining_time_in_millis() > 0, "batchItemFailures": []}
	def throws(event, context):
	    raise ValueError("bad record")
	EOF
'

test_expect_success 'an async Node.js handler: its answer on stdout, its log on stderr' '
	lambda-run async.mjs <event.json >out 2>err &&
	test_line_count out 1 &&
	jq -e ".name == \"async\" and .arn == \"arn:aws:lambda:us-east-1:111122223333:function:async\"
	    and .id == \"string\" and .left and .batchItemFailures[0].itemIdentifier == \"42\"" out &&
	grep -q "decoded {\"ip\":\"0.0.0.0\"}" err
'

test_expect_success 'a callback-style handler, and Lambda spelling MODULE.FN' '
	lambda-run cb.js <event.json >out &&
	echo "{\"n\":1}" >want &&
	test_cmp want out &&
	lambda-run -n my-fn cb.handler <event.json >out &&
	test_cmp want out
'

test_expect_success 'a throw, a callback error: exit 1, the error document as the answer' '
	test_expect_code 1 lambda-run cb.js:throws <event.json >out 2>err &&
	jq -e ".errorType == \"TypeError\" and .errorMessage == \"bad record\"" out &&
	grep -q "Invoke Error" err &&
	test_expect_code 1 lambda-run cb.js:cberr <event.json >out 2>err &&
	jq -e ".errorMessage == \"called back with an error\"" out
'

test_expect_success 'the timeout (-t) ends the handler as Lambda would' '
	test_expect_code 1 lambda-run -t 1 cb.js:slow <event.json >out 2>err &&
	jq -e ".errorType == \"Sandbox.Timedout\" and .errorMessage == \"Task timed out after 1.00 seconds\"" out
'

test_expect_success 'a handler that is not there: exit 2, Runtime.HandlerNotFound' '
	test_expect_code 2 lambda-run cb.js:nothing <event.json >out 2>err &&
	jq -e ".errorType == \"Runtime.HandlerNotFound\"" out &&
	test_expect_code 2 lambda-run missing.js <event.json >out 2>err &&
	grep -q "no such file" err
'

test_expect_success 'a Python handler: print goes to stderr, the answer to stdout' '
	lambda-run -n py-fn fn.py <event.json >out 2>err &&
	test_line_count out 1 &&
	jq -e ".name == \"py-fn\" and .left and .arn == \"arn:aws:lambda:us-east-1:111122223333:function:py-fn\"
	    and .batchItemFailures == []" out &&
	grep -q "decoded {\"ip\":\"0.0.0.0\"}" err &&
	test_expect_code 1 lambda-run fn.py:throws <event.json >out 2>err &&
	jq -e ".errorType == \"ValueError\" and .errorMessage == \"bad record\"" out
'

test_done
