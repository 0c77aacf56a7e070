/* test-listen.c - the requests and answers of cs-put --listen, without a socket. */
#include <stdlib.h>
#include <string.h>

#include "listen.h"
#include "putter.h"
#include "tap.h"

static const char *
answer(const char *code, const char *message, int http_status, int *status)
{
	static struct listen_answer ans;
	struct put_result res;

	memset(&res, 0, sizeof res);
	res.code = code;
	res.message = message;
	res.http_status = http_status;
	buf_free(&ans.body);
	listen_answer_put(&ans, "click-stream", &res);
	*status = ans.status;
	return ans.body.data;
}


static struct listen_config cfg;
static struct listen_batch batch;
static struct listen_answer la;

/* METHOD URL BODY through listen_request from 10.1.2.3 at 2026-01-02T03:04:05.678Z */
static int
req(const char *method, const char *url, const char *body, const char *origin, const char *xff)
{
	struct listen_in in;

	memset(&in, 0, sizeof in);
	in.method = method;
	in.url = url;
	in.body = body;
	in.len = strlen(body);
	in.origin = origin;
	in.forwarded = xff;
	in.peer = "10.1.2.3";
	in.now_ms = 1767323045678LL;
	return listen_request(&cfg, &in, &batch, &la);
}

static const char *
rec(size_t i)
{
	static struct buf b;

	buf_reset(&b);
	buf_add(&b, batch.items[i].record.data, batch.items[i].record.len);
	buf_addc(&b, '\0');
	return b.data;
}

static void
requests(void)
{
	struct buf b = BUF_INIT;
	const char *pretty = "{\n  \"a\" : \"x y\\\" z\" ,\n  \"b\": [ 1, 2 ]\n}\n";
	struct put_result ok1 = { 1, "shardId-000000000000", "1", NULL, NULL, 0, 1, -1 };
	struct put_result bad = { 0, NULL, NULL, "ProvisionedThroughputExceededException", "Rate exceeded", 0, 3, -1 };
	const char *ro[] = { "https://shop.example", NULL };

	listen_minify(&b, pretty, strlen(pretty));
	is_str(b.data, "{\"a\":\"x y\\\" z\",\"b\":[1,2]}", "minify keeps strings, drops blanks");
	buf_free(&b);
	cfg.stream = "click-stream";

	cfg.no_enrich = 1;
	ok(req("POST", "/report", pretty, NULL, NULL) == 1 && batch.single, "a JSON object is one record");
	is_str(rec(0), "{\"a\":\"x y\\\" z\",\"b\":[1,2]}", "put as it came, blanks removed (--no-enrich)");
	ok(req("POST", "/report", "[]", NULL, NULL) == 0 && la.status == 400, "an empty array is a 400");
	ok(req("POST", "/report", "42", NULL, NULL) == 0 && la.status == 400 &&
	    strstr(la.body.data, "not a JSON object"), "a number is a 400");
	ok(req("PUT", "/report", "{}", NULL, NULL) == 0 && la.status == 405 && la.allow,
	    "PUT is a 405 with Allow");
	ok(req("OPTIONS", "/report", "", NULL, NULL) == 0 && la.status == 204 && la.preflight,
	    "OPTIONS is the pre-flight");
	ok(req("GET", "/beacon.js", "", NULL, NULL) == 0 && la.status == 200 && la.script,
	    "GET /beacon.js is the script");
	ok(cs_beacon_js_len > 1000 && memcmp(cs_beacon_js, "/*", 2) == 0, "the script is compiled in");
	ok(req("POST", "/beacon.js", "{}", NULL, NULL) == 0 && la.status == 405, "POST /beacon.js is a 405");
	ok(req("POST", "/x", "{}", NULL, NULL) == 0 && la.status == 404, "another path is a 404");

	/* batches */
	ok(req("POST", "/report", "[{\"a\":1}, 2, {\"b\" : 3}]", NULL, NULL) == 2 && !batch.single &&
	    batch.n == 3, "an array: a record per element");
	ok(batch.items[1].state == LI_FAILED && strcmp(batch.items[1].code, "InvalidJSON") == 0,
	    "an element that is not an object is refused on its own");
	is_str(rec(2), "{\"b\":3}", "each element minified");
	ok(req("POST", "/report", "{\"a\":1}\r\n\n{\"b\":2}\nnope\n", NULL, NULL) == 2 && batch.n == 3,
	    "NDJSON: a record per line that is not blank");
	ok(batch.items[2].state == LI_FAILED && strstr(batch.items[2].message, "line 4 is not JSON"),
	    "a line that is not JSON is refused, named by its line");
	is_str(rec(0), "{\"a\":1}", "the CR of CRLF is no part of the record");
	listen_item_result(&batch.items[0], &ok1);
	listen_item_result(&batch.items[1], &bad);
	listen_answer_batch(&la, "click-stream", &batch);
	is_int(la.status, 400, "a batch with failures: the highest failure status");
	is_str(la.body.data, "{\"Code\":\"PutRecordsFailed\",\"Message\":\"2 of 3 records could not be put to "
	    "click-stream\",\"FailedRecordCount\":2,\"Records\":[{\"ShardId\":\"shardId-000000000000\","
	    "\"SequenceNumber\":\"1\"},{\"ErrorCode\":\"ProvisionedThroughputExceededException\","
	    "\"ErrorMessage\":\"Rate exceeded\"},{\"ErrorCode\":\"InvalidJSON\",\"ErrorMessage\":\"line 4 is "
	    "not JSON: invalid JSON at byte 1: unexpected character\"}]}", "each record's fate, in order");
	ok(req("POST", "/report", "[{\"a\":1}]", NULL, NULL) == 1, "an array of one");
	listen_item_result(&batch.items[0], &ok1);
	listen_answer_batch(&la, "click-stream", &batch);
	ok(la.status == 200 && strstr(la.body.data, "\"Code\":\"PutRecordsSuccessful\",\"Message\":\"1 record "
	    "was successfully put to click-stream\",\"FailedRecordCount\":0"), "200 when every record is in");
	ok(req("POST", "/report", "{\"a\":1}", NULL, NULL) == 1, "a single record");
	listen_item_result(&batch.items[0], &ok1);
	listen_answer_batch(&la, "click-stream", &batch);
	is_str(la.body.data, "{\"Code\":\"PutRecordSuccessful\",\"Message\":\"Record was successfully put to "
	    "click-stream\",\"Data\":{\"ShardId\":\"shardId-000000000000\",\"SequenceNumber\":\"1\"}}",
	    "the single record's answer is the sample's");
	{
		struct buf many = BUF_INIT;
		int i;

		for (i = 0; i < LISTEN_MAX_RECORDS + 1; i++)
			buf_adds(&many, "{}\n");
		buf_addc(&many, '\0');
		ok(req("POST", "/report", many.data, NULL, NULL) == 0 && la.status == 413 &&
		    strstr(la.body.data, "TooManyRecords"), "more than 500 records: 413");
		buf_free(&many);
	}

	/* enrichment */
	cfg.no_enrich = 0;
	ok(req("POST", "/report", "{\"url\":\"http://a.example/\"}", NULL, NULL) == 1, "a browser's record");
	is_str(rec(0), "{\"url\":\"http://a.example/\",\"ip\":\"10.1.2.3\",\"timestamp\":\"2026-01-02T03:04:05.678Z\"}",
	    "ip from the peer, timestamp from the clock");
	req("POST", "/report", "{\"ip\":\"1.1.1.1\",\"timestamp\":\"2018-02-04T23:18:32.866Z\",\"x\":[1]}", NULL, NULL);
	is_str(rec(0), "{\"ip\":\"1.1.1.1\",\"timestamp\":\"2018-02-04T23:18:32.866Z\",\"x\":[1]}",
	    "the client's fields are kept");
	req("POST", "/report", "{\"ip\":null,\"timestamp\":\"\",\"a\":{\"ip\":1}}", NULL, "9.9.9.9");
	is_str(rec(0), "{\"a\":{\"ip\":1},\"ip\":\"10.1.2.3\",\"timestamp\":\"2026-01-02T03:04:05.678Z\"}",
	    "null and empty count as missing; X-Forwarded-For is not trusted by default");
	cfg.override = 1;
	cfg.trust_forwarded = 1;
	req("POST", "/report", "{\"ip\":\"1.1.1.1\",\"n\":1,\"ip\":\"2.2.2.2\"}", NULL, "6.6.6.6, 7.7.7.7 ");
	is_str(rec(0), "{\"n\":1,\"ip\":\"7.7.7.7\",\"timestamp\":\"2026-01-02T03:04:05.678Z\"}",
	    "--override: the server's fields replace the client's (every copy); trusted: the last forwarded");
	req("POST", "/report", "{}", NULL, "not-an-address");
	is_str(rec(0), "{\"ip\":\"10.1.2.3\",\"timestamp\":\"2026-01-02T03:04:05.678Z\"}",
	    "a forwarded address that is not one: the peer's");
	cfg.override = cfg.trust_forwarded = 0;

	/* origins */
	ok(listen_origin_allowed(&cfg, "https://any.example"), "every origin by default");
	cfg.allow_origins = ro;
	ok(listen_origin_allowed(&cfg, "https://shop.example") && !listen_origin_allowed(&cfg, "https://evil.example"),
	    "with a list, those of the list");
	ok(req("POST", "/report", "{}", "https://evil.example", NULL) == 0 && la.status == 403 &&
	    strstr(la.body.data, "ForbiddenOrigin"), "a report from another origin: 403");
	ok(req("POST", "/report", "{}", NULL, NULL) == 1, "a report without an Origin (not a browser) is taken");
	cfg.allow_origins = NULL;
	listen_batch_free(&batch);
	buf_free(&la.body);
}

int
main(void)
{
	int st;
	const char *b;
	struct put_result ok = { 1, "shardId-000000000001", "4968", NULL, NULL, 0, 1, -1 };
	struct listen_answer ans;

	memset(&ans, 0, sizeof ans);
	listen_answer_put(&ans, "click-stream", &ok);
	is_int(ans.status, 200, "a record in the stream: 200");
	is_str(ans.body.data, "{\"Code\":\"PutRecordSuccessful\",\"Message\":\"Record was successfully put "
	    "to click-stream\",\"Data\":{\"ShardId\":\"shardId-000000000001\",\"SequenceNumber\":\"4968\"}}",
	    "the sample's answer");
	buf_free(&ans.body);

	b = answer("ResourceNotFoundException", "Stream click-stream under account 000000000000 not found.", 400, &st);
	is_int(st, 400, "a service error: its status");
	is_str(b, "{\"Code\":\"ResourceNotFoundException\",\"Message\":\"Stream click-stream under account "
	    "000000000000 not found.\"}", "and its code and message, as the sample");

	b = answer("CredentialsError", "credential_process of profile 'x' in '/home/u/.aws/config' failed", 0, &st);
	is_int(st, 500, "no credentials: 500");
	ok(strstr(b, "/home/u") == NULL && strstr(b, "credential_process") == NULL,
	    "without the local details: %s", b);
	ok(strstr(b, "\"Code\":\"CredentialsError\"") != NULL, "but with the code");

	b = answer("NetworkError", "cannot reach http://10.1.2.3:4567: Connection refused", 0, &st);
	is_int(st, 503, "service unreachable: 503");
	ok(strstr(b, "10.1.2.3") == NULL, "without the address: %s", b);
	answer("RecordTooLarge", "x", 0, &st);
	requests();
	return done_testing();
}
