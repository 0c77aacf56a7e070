/* test-envelope.c - the -J envelope: format, and parse back the exact bytes. */
#include <string.h>

#include "envelope.h"
#include "tap.h"

static void
round_trip(struct json_doc *doc, const char *data, size_t len, const char *want_member,
    const char *title)
{
	struct envelope e = { "s", "shardId-000000000001", "4959", -1, "pk", 2, 1517786312866, data, len, NULL, 0 };
	struct buf line = BUF_INIT, d = BUF_INIT, k = BUF_INIT;
	struct cs_err err;

	envelope_format(&line, &e, doc);
	ok(line.len && line.data[line.len - 1] == '\n' && !memchr(line.data, '\n', line.len - 1),
	    "%s: one line", title);
	ok(strstr(line.data, want_member) != NULL, "%s: has %s", title, want_member);
	ok(envelope_parse(doc, line.data, line.len - 1, &d, &k, &err) == 0, "%s: parses", title);
	ok(d.len == len && (len == 0 || memcmp(d.data, data, len) == 0), "%s: exact data back", title);
	is_str(k.data, "pk", "%s: key back", title);
	buf_free(&line);
	buf_free(&d);
	buf_free(&k);
}

int
main(void)
{
	struct json_doc doc;
	struct buf line = BUF_INIT, d = BUF_INIT, k = BUF_INIT;
	struct cs_err err;
	struct envelope e = { "click-stream", "shardId-000000000000", "1", 3, "0", 1, 1517786312866,
	    "{\"ip\":\"0.0.0.0\"}", 16, NULL, 0 };

	json_doc_init(&doc, JSON_DEFAULT_DEPTH);
	envelope_format(&line, &e, &doc);
	is_str(line.data, "{\"stream\":\"click-stream\",\"shardId\":\"shardId-000000000000\","
	    "\"sequenceNumber\":\"1\",\"subSequenceNumber\":3,\"partitionKey\":\"0\","
	    "\"approximateArrival\":\"2018-02-04T23:18:32.866Z\",\"data\":{\"ip\":\"0.0.0.0\"}}\n",
	    "exact envelope");

	/* a de-aggregated user record's explicit hash key, out and back */
	{
		struct envelope x = e;
		struct buf h = BUF_INIT;

		x.ehk = "85070591730234615865843651857942052864";
		x.ehklen = strlen(x.ehk);
		buf_reset(&line);
		envelope_format(&line, &x, &doc);
		ok(strstr(line.data, ",\"explicitHashKey\":\"85070591730234615865843651857942052864\",\"partitionKey\":\"0\"") != NULL,
		    "explicit hash key in the envelope: %s", line.data);
		ok(envelope_parse(&doc, line.data, line.len - 1, &d, &k, &err) == 0 && envelope_ehk(&doc, &h) == 1 &&
		    strcmp(h.data, x.ehk) == 0, "and back");
		ok(envelope_parse(&doc, "{\"partitionKey\":\"a\",\"data\":1}", 29, &d, &k, &err) == 0 &&
		    envelope_ehk(&doc, &h) == 0 && h.len == 0, "none: none");
		buf_free(&h);
	}

	round_trip(&doc, "{\"a\":[1,2,{\"b\":null}]}", 22, "\"data\":{", "object");
	round_trip(&doc, "\"{\\\"ip\\\":\\\"0.0.0.0\\\"}\"", 22, "\"data\":\"{", "double-encoded string");
	round_trip(&doc, "42", 2, "\"data\":42", "number");
	round_trip(&doc, "{\"a\":1}\n", 8, "dataBase64", "trailing newline");
	round_trip(&doc, " {\"a\":1}", 8, "dataBase64", "leading blank");
	round_trip(&doc, "not json", 8, "dataBase64", "text");
	round_trip(&doc, "\x00\xff\xfe", 3, "dataBase64", "binary");
	round_trip(&doc, "", 0, "dataBase64", "empty");
	round_trip(&doc, "{\"a\":\"caf\xc3\xa9\"}", 13, "\"data\":{", "UTF-8");
	round_trip(&doc, "{\"a\":\"\xc3\"}", 9, "dataBase64", "bad UTF-8");

	ok(envelope_is_json_line(&doc, "{}", 2), "{} is a JSON line");
	ok(!envelope_is_json_line(&doc, "{}\r", 3), "CR is not");
	ok(!envelope_is_json_line(&doc, "{\n}", 3), "LF inside is not");

	ok(envelope_parse(&doc, "[1]", 3, &d, &k, &err) < 0, "array refused");
	ok(envelope_parse(&doc, "{\"data\":1}", 10, &d, &k, &err) < 0, "no key refused");
	ok(strstr(err.msg, "partitionKey") != NULL, "reason: %s", err.msg);
	ok(envelope_parse(&doc, "{\"partitionKey\":\"a\"}", 20, &d, &k, &err) < 0, "no data refused");
	ok(envelope_parse(&doc, "{\"partitionKey\":\"a\",\"dataBase64\":\"@@@@\"}", 39, &d, &k,
	    &err) < 0, "bad base64 refused");
	ok(envelope_parse(&doc, "{\"partitionKey\":\"a\\u00e9\",\"dataBase64\":\"YQ==\"}", 46, &d, &k,
	    &err) == 0 && d.len == 1 && d.data[0] == 'a' && strcmp(k.data, "a\xc3\xa9") == 0,
	    "escaped key decoded, base64 data");
	json_doc_free(&doc);
	buf_free(&line);
	buf_free(&d);
	buf_free(&k);
	return done_testing();
}
