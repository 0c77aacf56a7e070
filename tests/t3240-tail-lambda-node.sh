#!/bin/sh
# A Node.js function written for Lambda (the sample's processor: keep the
# records with ip and timestamp, write each as the sample's item, keyed by
# IP and Timestamp as its table was), run unchanged by cs-tail through
# scripts/lambda-run; the records it reports go to --on-failure alone.
. "$(dirname "$0")/lib.sh"
services_need
E=$CS_KINESIS_ENDPOINT
S=$(unique_name node)

test_expect_success 'setup: 30 records, some double-encoded, some the sample would not keep; the function' '
	create_stream "$S" 1 &&
	gen-records --count 30 --bad-ratio 0.3 --seed 7 --double-encoded-ratio 0.2 --kinds truncated,broken,notobject,missing,url >in &&
	cs-put --endpoint-url "$E" -s "$S" --rejects rejected in &&
	readback "$S" >stream &&
	mkdir items &&
	cat >index.js <<-\EOF
	// The processor of the sample as a Lambda function, with ReportBatchItemFailures:
	// a record with ip and timestamp becomes the item of the sample, written under its
	// key (IP, Timestamp), as PutItem would; any other record is reported.
	const crypto = require("crypto");
	const fs = require("fs");
	const path = require("path");

	const dir = process.env.ITEMS_DIR || "items";

	exports.handler = async (event, context) => {
		const batchItemFailures = [];
		for (const record of event.Records) {
			let data;
			try {
				data = JSON.parse(Buffer.from(record.kinesis.data, "base64").toString("utf8"));
				if (typeof data === "string")
					data = JSON.parse(data);   // the proxy of the sample encoded twice
			} catch (e) {
				data = null;
			}
			if (!data || typeof data !== "object" || data.ip == null || data.timestamp == null) {
				console.log(`${context.awsRequestId}: not eligible: ${record.kinesis.sequenceNumber}`);
				batchItemFailures.push({ itemIdentifier: record.kinesis.sequenceNumber });
				continue;
			}
			const item = {
				IP: data.ip, Timestamp: data.timestamp, Browser: data.browser, URL: data.url,
				Referrer: data.referrer, OS: data.os, Country: data.country, Language: data.language,
			};
			const key = crypto.createHash("sha1").update(JSON.stringify([data.ip, data.timestamp])).digest("hex");
			fs.writeFileSync(path.join(dir, key + ".json"), JSON.stringify(item));
		}
		return { batchItemFailures };
	};
	EOF
'

test_expect_success 'cs-tail --event lambda --report-failures --bisect runs it through lambda-run' '
	test_expect_code 1 cs-tail --endpoint-url "$E" -s "$S" -e --event lambda --report-failures \
	    --bisect --max-retries 0 --batch-size 10 --checkpoint ck --on-failure failed \
	    --exec "lambda-run -t 60 -n click-stream-processor index.js" 2>err &&
	grep -q "not eligible" err &&
	python3 - <<-\EOF
	import base64, glob, json
	want, bad = {}, []
	for line in open("stream", "rb"):
	    raw = line.rstrip(b"\n")
	    try:
	        d = json.loads(raw.decode("utf-8"))
	        if isinstance(d, str):
	            d = json.loads(d)
	    except ValueError:
	        d = None
	    if not isinstance(d, dict) or d.get("ip") is None or d.get("timestamp") is None:
	        bad.append(raw)
	        continue
	    names = ["ip", "timestamp", "browser", "url", "referrer", "os", "country", "language"]
	    attrs = ["IP", "Timestamp", "Browser", "URL", "Referrer", "OS", "Country", "Language"]
	    want[json.dumps([d["ip"], d["timestamp"]])] = {a: d[n] for a, n in zip(attrs, names) if n in d}
	got = sorted(json.dumps(json.load(open(f)), sort_keys=True) for f in glob.glob("items/*.json"))
	assert got == sorted(json.dumps(i, sort_keys=True) for i in want.values()), (len(got), len(want))
	failed = [json.loads(l) for l in open("failed")]
	assert all(f["count"] == 1 and f["condition"] == "RetryAttemptsExhausted" for f in failed)
	out = [base64.b64decode(f["records"][0]["kinesis"]["data"]) for f in failed]
	assert out == bad, (out, bad)
	print("# %d items written, %d records to --on-failure" % (len(got), len(out)))
	assert got and out
	EOF
'

test_expect_success 'the checkpoint is at the last record; a second run finds nothing to do' '
	test "$(jq -r ".shards[\"shardId-000000000000\"].sequenceNumber" ck)" = \
	    "$(readback "$S" --seq | tail -n 1 | cut -f1)" &&
	cs-tail --endpoint-url "$E" -s "$S" -e --event lambda --report-failures --checkpoint ck \
	    --exec "lambda-run index.js; echo ran >>ran" &&
	! test -e ran
'

test_expect_success 'a KPL aggregate comes whole, as under Lambda: the function splits it with aws-kinesis-agg' '
	G=$(unique_name agg) &&
	create_stream "$G" 1 &&
	agg=$(python3 "$TEST_DIR/data/kpl-aggregate.py" "u1={\"n\":1}" "u2={\"n\":2}" "u1={\"n\":3}") &&
	kinesis PutRecord "{\"StreamName\":\"$G\",\"PartitionKey\":\"outer\",\"Data\":\"$agg\"}" >/dev/null &&
	cat >deagg.js <<-EOF &&
	const agg = require("$SRC_DIR/scripts/node/node_modules/aws-kinesis-agg");
	const fs = require("fs");
	exports.handler = async (event) => {
		for (const record of event.Records)
			agg.deaggregateSync(record.kinesis, true, (err, users) => {
				if (err)
					throw err;
				for (const u of users)
					fs.appendFileSync("users", [record.eventID, u.partitionKey, u.subSequenceNumber,
					    Buffer.from(u.data, "base64").toString()].join(" ") + "\n");
			});
		return { batchItemFailures: [] };
	};
	EOF
	cs-tail --endpoint-url "$E" -s "$G" -e --event lambda --report-failures \
	    --exec "lambda-run -t 60 deagg.js" &&
	seq=$(readback "$G" --seq | head -n 1 | cut -f1) &&
	cat >want <<-EOF &&
	shardId-000000000000:$seq u1 0 {"n":1}
	shardId-000000000000:$seq u2 1 {"n":2}
	shardId-000000000000:$seq u1 2 {"n":3}
	EOF
	test_cmp want users
'

test_done
