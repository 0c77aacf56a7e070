/* test-ddbitem.c - JSON to DynamoDB items: types, numbers, keys, sizes; jq numbers kept exact. */
#include <stdlib.h>
#include <string.h>

#include "ddbitem.h"
#include "dynamodb.h"
#include "jvexact.h"
#include "tap.h"

static struct ddb_keyschema ks_s = { "IP", 'S', "Timestamp", 'S' };
static struct ddb_keyschema ks_n = { "id", 'N', NULL, 0 };

/* convert TEXT with KS; the item JSON, or "ERR Code: reason" */
static char out[1 << 16];
static const char *
conv(const struct ddb_keyschema *ks, const char *text, const char *ttl)
{
	struct ddb_conv cv;
	struct json_doc d;
	struct ddb_item it;

	ddb_conv_init(&cv, ks);
	cv.ttl_attr = ttl;
	cv.ttl_value = 1700000000;
	json_doc_init(&d, 0);
	ddb_item_init(&it);
	if (json_parse(&d, text, strlen(text)) != 0)
		snprintf(out, sizeof out, "BADJSON %s", d.err);
	else if (ddb_item_from_json(&cv, &d, 0, &it) != 0)
		snprintf(out, sizeof out, "ERR %s: %s", ddb_item_error_code(it.error), it.reason);
	else
		snprintf(out, sizeof out, "%s", it.json.data);
	ddb_item_free(&it);
	json_doc_free(&d);
	ddb_conv_free(&cv);
	return out;
}

static size_t
size_of(const struct ddb_keyschema *ks, const char *text)
{
	struct ddb_conv cv;
	struct json_doc d;
	struct ddb_item it;
	size_t sz;

	ddb_conv_init(&cv, ks);
	json_doc_init(&d, 0);
	ddb_item_init(&it);
	json_parse(&d, text, strlen(text));
	sz = ddb_item_from_json(&cv, &d, 0, &it) == 0 ? it.size : 0;
	ddb_item_free(&it);
	json_doc_free(&d);
	ddb_conv_free(&cv);
	return sz;
}

/* the canonical key of TEXT, hex */
static char keyhex[1024];
static const char *
key_of(const struct ddb_keyschema *ks, const char *text)
{
	struct ddb_conv cv;
	struct json_doc d;
	struct ddb_item it;

	ddb_conv_init(&cv, ks);
	json_doc_init(&d, 0);
	ddb_item_init(&it);
	json_parse(&d, text, strlen(text));
	if (ddb_item_from_json(&cv, &d, 0, &it) == 0)
		cs_hex(keyhex, (const unsigned char *)it.key.data, it.key.len < 500 ? it.key.len : 500);
	else
		strcpy(keyhex, "ERR");
	ddb_item_free(&it);
	json_doc_free(&d);
	ddb_conv_free(&cv);
	return keyhex;
}

static const char *
num(const char *s)
{
	struct buf c = BUF_INIT;
	char why[200];

	if (ddb_number(s, strlen(s), &c, NULL, why, sizeof why) != 0)
		snprintf(out, sizeof out, "ERR %s", why);
	else
		snprintf(out, sizeof out, "%s", c.data);
	buf_free(&c);
	return out;
}

static size_t
numsize(const char *s)
{
	size_t sz = 0;

	ddb_number(s, strlen(s), NULL, &sz, NULL, 0);
	return sz;
}

static void
test_types(void)
{
	is_str(conv(&ks_s, "{\"IP\":\"1.2.3.4\",\"Timestamp\":\"t\",\"s\":\"x\",\"n\":12.50,"
	    "\"t\":true,\"f\":false,\"z\":null,\"l\":[1,\"a\",[]],\"m\":{\"k\":{}},\"e\":\"\"}", NULL),
	    "{\"IP\":{\"S\":\"1.2.3.4\"},\"Timestamp\":{\"S\":\"t\"},\"s\":{\"S\":\"x\"},"
	    "\"n\":{\"N\":\"12.50\"},\"t\":{\"BOOL\":true},\"f\":{\"BOOL\":false},"
	    "\"z\":{\"NULL\":true},\"l\":{\"L\":[{\"N\":\"1\"},{\"S\":\"a\"},{\"L\":[]}]},"
	    "\"m\":{\"M\":{\"k\":{\"M\":{}}}},\"e\":{\"S\":\"\"}}",
	    "every JSON type maps to its AttributeValue, numbers and strings verbatim");
	is_str(conv(&ks_s, "{\"IP\":\"a\\u00e9\\n\",\"Timestamp\":\"\xe2\x82\xac\"}", NULL),
	    "{\"IP\":{\"S\":\"a\\u00e9\\n\"},\"Timestamp\":{\"S\":\"\xe2\x82\xac\"}}",
	    "escapes and UTF-8 copied as they are");
	is_str(conv(&ks_s, "{\"IP\":\"a\",\"Timestamp\":\"b\",\"x\":1,\"x\":2,\"m\":{\"y\":1,\"\\u0079\":3}}", NULL),
	    "{\"IP\":{\"S\":\"a\"},\"Timestamp\":{\"S\":\"b\"},\"x\":{\"N\":\"2\"},\"m\":{\"M\":{\"\\u0079\":{\"N\":\"3\"}}}}",
	    "a repeated member name keeps its last value (escaped names too)");
	is_str(conv(&ks_s, "{\"IP\":\"a\",\"Timestamp\":\"b\",\"exp\":5}", "exp"),
	    "{\"IP\":{\"S\":\"a\"},\"Timestamp\":{\"S\":\"b\"},\"exp\":{\"N\":\"1700000000\"}}",
	    "--ttl stamps the attribute, replacing the record's own");
	is_str(conv(NULL, "{\"a\":1}", NULL), "{\"a\":{\"N\":\"1\"}}", "no key schema: no key checks");
}

static void
test_numbers(void)
{
	is_str(num("0"), "0", "zero");
	is_str(num("-0.000e5"), "0", "zero in any form");
	is_str(num("12.50"), "125E1", "trailing zeros dropped");
	is_str(num("-0.00123"), "-123E-3", "negative fraction");
	is_str(num("1e5"), "1E5", "exponent form");
	is_str(num("10E-1"), "1E0", "10E-1 is 1");
	is_str(num("12345678901234567890123456789012345678"), "12345678901234567890123456789012345678E37",
	    "38 digits are fine");
	is_str(num("1234567890123456789012345678901234567.8"), "12345678901234567890123456789012345678E36",
	    "38 digits with a point are fine");
	is_str(num("123456789012345678901234567890123456789"),
	    "ERR has 39 significant digits, more than DynamoDB's 38", "39 digits are not");
	is_str(num("100000000000000000000000000000000000000000000"), "1E44",
	    "trailing zeros of an integer are not significant");
	is_str(num("1E-130"), "1E-130", "1E-130 is the smallest");
	is_str(num("0.1e-129"), "1E-130", "... in any form");
	is_str(num("1E-131"), "ERR is smaller in magnitude than DynamoDB's limit 1E-130", "1E-131 is too small");
	is_str(num("9.9999999999999999999999999999999999999E+125"),
	    "99999999999999999999999999999999999999E125", "the largest");
	is_str(num("-9.9999999999999999999999999999999999999E125"),
	    "-99999999999999999999999999999999999999E125", "the most negative");
	is_str(num("1E126"), "ERR is larger in magnitude than DynamoDB's limit "
	    "9.9999999999999999999999999999999999999E+125", "1E126 is too large");
	is_str(num("10E125"), "ERR is larger in magnitude than DynamoDB's limit "
	    "9.9999999999999999999999999999999999999E+125", "10E125 is too large");
	is_str(num("1e99999999999999999999"), "ERR is larger in magnitude than DynamoDB's limit "
	    "9.9999999999999999999999999999999999999E+125", "a huge exponent does not overflow");
	is_str(num("1e-99999999999999999999"), "ERR is smaller in magnitude than DynamoDB's limit 1E-130",
	    "a huge negative exponent neither");
	is_str(num("abc"), "ERR is not a number", "not a number");
	is_int(numsize("0"), 1, "size of 0");
	is_int(numsize("1"), 2, "size of 1");
	is_int(numsize("12"), 2, "size of 12 (even digits, odd exponent)");
	is_int(numsize("-12"), 3, "size of -12");
	is_int(numsize("1.2"), 3, "size of 1.2 (even digits, even exponent)");
	is_str(conv(&ks_s, "{\"IP\":\"a\",\"Timestamp\":\"b\",\"big\":1E200}", NULL),
	    "ERR InvalidNumber: attribute 'big': number 1E200 is larger in magnitude than DynamoDB's limit "
	    "9.9999999999999999999999999999999999999E+125", "an item with a number out of range is refused");
	is_str(conv(&ks_s, "{\"IP\":\"a\",\"Timestamp\":\"b\",\"l\":[1,[1E-200]]}", NULL),
	    "ERR InvalidNumber: attribute 'l': number 1E-200 is smaller in magnitude than DynamoDB's limit 1E-130",
	    "... nested too");
}

static void
test_keys(void)
{
	is_str(conv(&ks_s, "[1]", NULL), "ERR NotAnObject: not a JSON object", "an array is not an item");
	is_str(conv(&ks_s, "\"x\"", NULL), "ERR NotAnObject: not a JSON object", "a string is not an item");
	is_str(conv(&ks_s, "{\"Timestamp\":\"b\"}", NULL), "ERR MissingKey: missing key attribute 'IP'",
	    "missing hash key");
	is_str(conv(&ks_s, "{\"IP\":\"a\"}", NULL), "ERR MissingKey: missing key attribute 'Timestamp'",
	    "missing range key");
	is_str(conv(&ks_s, "{\"IP\":1,\"Timestamp\":\"b\"}", NULL),
	    "ERR KeyType: key attribute 'IP' must be a string (S)", "wrong key type");
	is_str(conv(&ks_s, "{\"IP\":\"a\",\"Timestamp\":null}", NULL),
	    "ERR KeyType: key attribute 'Timestamp' must be a string (S)", "null key");
	is_str(conv(&ks_n, "{\"id\":\"1\"}", NULL),
	    "ERR KeyType: key attribute 'id' must be a number (N)", "a string for a number key");
	is_str(conv(&ks_s, "{\"IP\":\"\",\"Timestamp\":\"b\"}", NULL),
	    "ERR EmptyKey: key attribute 'IP' is an empty string", "empty key");
	is_str(conv(&ks_n, "{\"id\":1E300}", NULL),
	    "ERR InvalidNumber: key attribute 'id' is larger in magnitude than DynamoDB's limit "
	    "9.9999999999999999999999999999999999999E+125", "a key number out of range");
	is_str(conv(&ks_s, "{\"IP\":\"a\",\"Timestamp\":\"b\",\"\":1}", NULL),
	    "ERR InvalidItem: empty attribute name", "empty attribute name");
	{
		char a[1024];

		strcpy(a, key_of(&ks_s, "{\"IP\":\"a\",\"Timestamp\":\"b\",\"x\":1}"));
		is_str(key_of(&ks_s, "{\"Timestamp\":\"b\",\"IP\":\"\\u0061\"}"), a,
		    "equal keys in different spellings give one canonical key");
		strcpy(a, key_of(&ks_s, "{\"IP\":\"ab\",\"Timestamp\":\"c\"}"));
		ok(strcmp(a, key_of(&ks_s, "{\"IP\":\"a\",\"Timestamp\":\"bc\"}")) != 0, "keys do not run together");
		strcpy(a, key_of(&ks_n, "{\"id\":1}"));
		is_str(key_of(&ks_n, "{\"id\":1.0}"), a, "1.0 and 1 are one number key");
		is_str(key_of(&ks_n, "{\"id\":10e-1}"), a, "10e-1 and 1 are one number key");
	}
}

static void
test_sizes(void)
{
	struct buf b = BUF_INIT;
	size_t i;

	is_int(size_of(&ks_s, "{\"IP\":\"a\",\"Timestamp\":\"bc\"}"), 2 + 1 + 9 + 2, "names and strings in bytes");
	is_int(size_of(&ks_s, "{\"IP\":\"\\u00e9\",\"Timestamp\":\"b\"}"), 2 + 2 + 9 + 1, "escapes sized decoded");
	is_int(size_of(NULL, "{\"l\":[true,null]}"), 1 + 3 + 2 * (1 + 1), "list: 3 + 1 per element");
	is_int(size_of(NULL, "{\"m\":{\"ab\":1}}"), 1 + 3 + (1 + 2 + 2), "map: 3 + name + 1 per member");
	buf_adds(&b, "{\"IP\":\"a\",\"Timestamp\":\"b\",\"x\":\"");
	for (i = 0; i < DDB_MAX_ITEM_SIZE - 14; i++)
		buf_addc(&b, 'x');
	buf_adds(&b, "\"}");
	ok(strncmp(conv(&ks_s, b.data, NULL), "{\"IP\"", 5) == 0, "an item of exactly 400 KB is fine");
	b.len -= 2;
	buf_adds(&b, "x\"}");
	is_str(conv(&ks_s, b.data, NULL),
	    "ERR ItemTooLarge: item is 409601 bytes, over DynamoDB's limit of 409600 (400 KB)",
	    "one byte more is too large");
	buf_reset(&b);
	buf_adds(&b, "{\"IP\":\"a\",\"Timestamp\":\"b\",\"x\":");
	for (i = 0; i < 40; i++)
		buf_addc(&b, '[');
	for (i = 0; i < 40; i++)
		buf_addc(&b, ']');
	buf_adds(&b, "}");
	is_str(conv(&ks_s, b.data, NULL), "ERR InvalidItem: attribute 'x': nested deeper than DynamoDB's 32 levels",
	    "too deep");
	buf_free(&b);
}

static int nkeys;
static void
count_key(void *ctx, const char *key, size_t len)
{
	(void)ctx;
	(void)key;
	(void)len;
	nkeys++;
}

static void
test_answers(void)
{
	struct ddb_keyschema ks;
	struct cs_err err;
	const char *desc = "{\"Table\":{\"AttributeDefinitions\":[{\"AttributeName\":\"IP\",\"AttributeType\":\"S\"},"
	    "{\"AttributeName\":\"Timestamp\",\"AttributeType\":\"S\"}],\"TableName\":\"click-stream-table\","
	    "\"KeySchema\":[{\"AttributeName\":\"IP\",\"KeyType\":\"HASH\"},{\"AttributeName\":\"Timestamp\","
	    "\"KeyType\":\"RANGE\"}],\"TableStatus\":\"ACTIVE\"}}";
	const char *un = "{\"UnprocessedItems\":{\"click-stream-table\":[{\"PutRequest\":{\"Item\":"
	    "{\"IP\":{\"S\":\"a\"},\"Timestamp\":{\"S\":\"b\"},\"x\":{\"N\":\"1\"}}}},"
	    "{\"PutRequest\":{\"Item\":{\"IP\":{\"S\":\"c\"},\"Timestamp\":{\"S\":\"d\"}}}}]}}";

	cs_err_clear(&err);
	is_int(ddb_parse_describe(desc, strlen(desc), &ks, &err), 0, "DescribeTable parsed");
	is_str(ks.hash, "IP", "hash key");
	is_str(ks.range, "Timestamp", "range key");
	ok(ks.hash_type == 'S' && ks.range_type == 'S', "key types");
	is_int(ddb_parse_unprocessed(un, strlen(un), "click-stream-table", &ks, count_key, NULL, &err), 2,
	    "two unprocessed items");
	is_int(nkeys, 2, "... each one reported");
	is_int(ddb_parse_unprocessed("{\"UnprocessedItems\":{}}", 23, "click-stream-table", &ks, count_key,
	    NULL, &err), 0, "none unprocessed");
	is_int(ddb_parse_unprocessed("{}", 2, "click-stream-table", &ks, count_key, NULL, &err), 0,
	    "no UnprocessedItems member");
	nkeys = 0;
	is_int(ddb_parse_unprocessed("{\"UnprocessedItems\":{\"click-stream-table\":[{\"PutRequest\":{\"Item\":"
	    "{\"IP\":{\"S\":\"a\"},\"Timestamp\":{\"S\":\"b\"}}}},{\"PutRequest\":{\"Item\":{\"IP\":{\"N\":\"1\"}}}}]}}",
	    130, "click-stream-table", &ks, count_key, NULL, &err), -1, "an item without the key: not understood");
	is_int(nkeys, 0, "... and none reported");
	ddb_keyschema_free(&ks);
	is_int(ddb_parse_describe("{\"Table\":{}}", 12, &ks, &err), -1, "no KeySchema");
	is_str(err.msg, "DescribeTable: answer has no Table.KeySchema", "... said so");
}

static const char *
viajq(const char *input, const char *prog_text)
{
	struct jvexact x;
	struct json_doc d;
	struct buf b = BUF_INIT;
	char why[300];
	jv in, v;

	(void)prog_text;
	jvexact_init(&x);
	json_doc_init(&d, 0);
	json_parse(&d, input, strlen(input));
	jvexact_scan(&x, &d);
	in = jv_parse(input);
	v = jv_copy(in);
	if (jvexact_dump(&x, v, &b, why, sizeof why) != 0)
		snprintf(out, sizeof out, "ERR %s", why);
	else
		snprintf(out, sizeof out, "%s", b.data);
	jv_free(v);
	jv_free(in);
	buf_free(&b);
	json_doc_free(&d);
	jvexact_free(&x);
	return out;
}

static void
test_jvexact(void)
{
	char s[40];

	is_str(viajq("{\"a\":12345678901234567890123,\"b\":0.1,\"c\":[1E-130,\"x\"]}", "."),
	    "{\"a\":12345678901234567890123,\"b\":0.1,\"c\":[1E-130,\"x\"]}",
	    "numbers through jq come back with the input's exact text");
	is_str(viajq("{\"a\":12345678901234567890,\"b\":12345678901234567891}", "."),
	    "ERR numbers 12345678901234567890 and 12345678901234567891 differ beyond the 17 digits "
	    "that jq keeps, so -m cannot tell which one it gave", "two inputs jq cannot tell apart: refused");
	is_str(viajq("{\"a\":1.0,\"b\":1}", "."), "{\"a\":1.0,\"b\":1.0}",
	    "equal values in two spellings: the first spelling");
	jvexact_fmt_double(0.1, s, sizeof s);
	is_str(s, "0.1", "computed numbers in the shortest form");
	jvexact_fmt_double(1.0 / 3, s, sizeof s);
	is_str(s, "0.3333333333333333", "... that reads back the same");
}

int
main(void)
{
	test_types();
	test_numbers();
	test_keys();
	test_sizes();
	test_answers();
	test_jvexact();
	return done_testing();
}
