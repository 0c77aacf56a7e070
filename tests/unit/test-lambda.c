/* test-lambda.c - Lambda's Kinesis event, the answer of a function, the failure record. */
#include <string.h>

#include "lambda.h"
#include "tap.h"

static const char *seqs[] = { "100", "200", "200", "300" };

static const char *
seq_at(void *ctx, size_t i)
{
	(void)ctx;
	return seqs[i];
}

/* parse ANSWER against seqs[lo..hi) */
static int
answer(struct json_doc *doc, const char *text, size_t nitems, struct lambda_answer *a,
    struct cs_err *err)
{
	return lambda_answer_parse(doc, text, strlen(text), seq_at, NULL, nitems, a, err);
}

int
main(void)
{
	struct lambda_source src = { "arn:aws:kinesis:us-east-1:000000000000:stream/click-stream",
	    "us-east-1", "arn:aws:iam::000000000000:root" };
	struct lambda_batch_info bi = { "shardId-000000000000", "100", "300", 1517786312866,
	    1517786313000, 4, "arn:aws:kinesis:us-east-1:000000000000:stream/click-stream" };
	struct buf b = BUF_INIT;
	struct json_doc doc;
	struct lambda_answer a;
	struct cs_err err;
	int r;

	json_doc_init(&doc, JSON_DEFAULT_DEPTH);

	/* --- the event ------------------------------------------------------------- */
	lambda_record(&b, &src, "shardId-000000000000", "49590338271490256608559692538361571095921575989136588898",
	    "0", 1, 1517786312866, "{\"ip\":\"0.0.0.0\"}", 16);
	is_str(b.data, "{\"kinesis\":{\"kinesisSchemaVersion\":\"1.0\",\"partitionKey\":\"0\","
	    "\"sequenceNumber\":\"49590338271490256608559692538361571095921575989136588898\","
	    "\"data\":\"eyJpcCI6IjAuMC4wLjAifQ==\",\"approximateArrivalTimestamp\":1517786312.866},"
	    "\"eventSource\":\"aws:kinesis\",\"eventVersion\":\"1.0\","
	    "\"eventID\":\"shardId-000000000000:49590338271490256608559692538361571095921575989136588898\","
	    "\"eventName\":\"aws:kinesis:record\",\"invokeIdentityArn\":\"arn:aws:iam::000000000000:root\","
	    "\"awsRegion\":\"us-east-1\","
	    "\"eventSourceARN\":\"arn:aws:kinesis:us-east-1:000000000000:stream/click-stream\"}",
	    "one record, field by field as Lambda gives it");
	ok(json_parse(&doc, b.data, b.len) == 0, "it is JSON");

	buf_reset(&b);
	lambda_record(&b, &src, "s", "1", "k\xff", 2, 5, "\x00\x01\xfe", 3);
	ok(strstr(b.data, "\"partitionKey\":\"k\xef\xbf\xbd\"") != NULL, "a bad byte of a key is U+FFFD");
	ok(strstr(b.data, "\"data\":\"AAH+\"") != NULL, "binary data in base64");
	ok(strstr(b.data, "\"approximateArrivalTimestamp\":0.005}") != NULL,
	    "arrival in seconds with milliseconds");
	ok(json_parse(&doc, b.data, b.len) == 0, "it is JSON");

	buf_reset(&b);
	lambda_record(&b, &src, "s", "1", "k", 1, 1000, "", 0);
	ok(strstr(b.data, "\"data\":\"\",\"approximateArrivalTimestamp\":1.000}") != NULL,
	    "empty data, whole second");

	/* --- the answer -------------------------------------------------------------- */
	ok(answer(&doc, "", 4, &a, &err) == 0 && a.failures == 0, "no answer: success");
	ok(answer(&doc, " \n", 4, &a, &err) == 0 && a.failures == 0, "blanks: success");
	ok(answer(&doc, "null", 4, &a, &err) == 0 && a.failures == 0, "null: success");
	ok(answer(&doc, "{}", 4, &a, &err) == 0 && a.failures == 0, "{}: success");
	ok(answer(&doc, "{\"batchItemFailures\":[]}\n", 4, &a, &err) == 0 && a.failures == 0,
	    "an empty list: success");
	ok(answer(&doc, "{\"batchItemFailures\":null}", 4, &a, &err) == 0 && a.failures == 0,
	    "a null list: success");

	r = answer(&doc, "{\"batchItemFailures\":[{\"itemIdentifier\":\"300\"},{\"itemIdentifier\":\"200\"}]}",
	    4, &a, &err);
	ok(r == 0 && a.failures == 2 && a.lowest == 1,
	    "two reported: the lowest is the first item of its record (got %d, %zu, %zu)", r,
	    a.failures, a.lowest);
	r = answer(&doc, "{\"batchItemFailures\":[{\"itemIdentifier\":\"100\"}]}", 4, &a, &err);
	ok(r == 0 && a.failures == 1 && a.lowest == 0, "the first item reported");

	ok(answer(&doc, "{\"batchItemFailures\":[{\"itemIdentifier\":\"300\"}]}", 2, &a, &err) < 0 &&
	    strstr(err.msg, "not a sequence number of the batch"), "not in the batch: %s", err.msg);
	ok(answer(&doc, "{\"batchItemFailures\":[{\"itemIdentifier\":\"9\\nx\\u0001\"}]}", 4, &a, &err) < 0 &&
	    !strchr(err.msg, '\n') && strstr(err.msg, "names \"9\\nx\\u0001\", not"),
	    "an identifier with a newline: quoted and escaped, one line (found by fuzzing): %s", err.msg);
	ok(answer(&doc, "{\"batchItemFailures\":[{\"itemIdentifier\":\"\"}]}", 4, &a, &err) < 0 &&
	    strstr(err.msg, "empty"), "empty identifier: %s", err.msg);
	ok(answer(&doc, "{\"batchItemFailures\":[{\"itemIdentifier\":null}]}", 4, &a, &err) < 0,
	    "null identifier: %s", err.msg);
	ok(answer(&doc, "{\"batchItemFailures\":[{\"ItemIdentifier\":\"100\"}]}", 4, &a, &err) < 0,
	    "a wrong key name: %s", err.msg);
	ok(answer(&doc, "{\"batchItemFailures\":[{\"itemIdentifier\":100}]}", 4, &a, &err) < 0,
	    "a number for an identifier: %s", err.msg);
	ok(answer(&doc, "{\"batchItemFailures\":[\"100\"]}", 4, &a, &err) < 0,
	    "an item that is not an object: %s", err.msg);
	ok(answer(&doc, "{\"batchItemFailures\":{}}", 4, &a, &err) < 0, "a list that is not an array: %s",
	    err.msg);
	ok(answer(&doc, "{\"batchItemFailures\":[", 4, &a, &err) < 0 && strstr(err.msg, "not JSON"),
	    "not JSON: %s", err.msg);
	ok(answer(&doc, "ok", 4, &a, &err) < 0 && strstr(err.msg, "not JSON"), "text: %s", err.msg);
	ok(answer(&doc, "\"Successfully processed 4 records.\"", 4, &a, &err) < 0 &&
	    strstr(err.msg, "not an object"), "a JSON string: %s", err.msg);
	ok(answer(&doc, "{}\n{}", 4, &a, &err) < 0, "two values: %s", err.msg);

	/* --- the failure record ---------------------------------------------------------- */
	buf_reset(&b);
	lambda_failure_members(&b, LAMBDA_RETRIES_EXHAUSTED, 4, &bi);
	is_str(b.data, ",\"condition\":\"RetryAttemptsExhausted\",\"approximateInvokeCount\":4,"
	    "\"KinesisBatchInfo\":{\"shardId\":\"shardId-000000000000\",\"startSequenceNumber\":\"100\","
	    "\"endSequenceNumber\":\"300\",\"approximateArrivalOfFirstRecord\":\"2018-02-04T23:18:32.866Z\","
	    "\"approximateArrivalOfLastRecord\":\"2018-02-04T23:18:33.000Z\",\"batchSize\":4,"
	    "\"streamArn\":\"arn:aws:kinesis:us-east-1:000000000000:stream/click-stream\"}",
	    "retries exhausted, as Lambda's KinesisBatchInfo");
	buf_reset(&b);
	bi.first_arrival_ms = bi.last_arrival_ms = 0;
	bi.stream_arn = NULL;
	lambda_failure_members(&b, LAMBDA_RECORD_TOO_OLD, 0, &bi);
	is_str(b.data, ",\"condition\":\"RecordAgeExceeded\","
	    "\"KinesisBatchInfo\":{\"shardId\":\"shardId-000000000000\",\"startSequenceNumber\":\"100\","
	    "\"endSequenceNumber\":\"300\",\"batchSize\":4}",
	    "too old, never run, nothing unknown made up");

	buf_free(&b);
	json_doc_free(&doc);
	printf("1..%d\n", tap_n);
	return tap_failed != 0;
}
