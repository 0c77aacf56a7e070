/*
 * fuzz-ddb-response.c - arbitrary bytes as what DynamoDB answers and what
 * cs-store converts.  The first byte picks the parser:
 *   0  a DescribeTable answer: a key schema found has a hash key and types
 *   1  a BatchWriteItem answer: UnprocessedItems, every key reported once
 *   2  a record: the item made from it is valid JSON, its key non-empty
 *   3  a number's text: canonical form and size when accepted
 *   4  a record through jq and back (jvexact): valid JSON again
 *   5  an error answer (aws_parse_error): a code and a message always
 * None may crash, leak or read out of bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jv.h>

#include "awserror.h"
#include "ddbitem.h"
#include "dynamodb.h"
#include "json.h"
#include "jvexact.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int reported;

static void
count_key(void *ctx, const char *key, size_t len)
{
	(void)ctx;
	if (!key || !len)
		__builtin_trap();
	reported++;
}

static void
must_be_json(const char *s, size_t n)
{
	struct json_doc d;

	json_doc_init(&d, 0);
	if (json_parse(&d, s, n) != 0)
		__builtin_trap();
	json_doc_free(&d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ddb_keyschema ks = { "IP", 'S', "n", 'N' };
	const char *s = (const char *)data + 1;
	size_t n;
	struct cs_err err;

	if (size < 1)
		return 0;
	n = size - 1;
	cs_err_clear(&err);
	switch (data[0] % 6) {
	case 0: {
		struct ddb_keyschema got;

		if (ddb_parse_describe(s, n, &got, &err) == 0) {
			if (!got.hash || !*got.hash || !got.hash_type || (got.range && !got.range_type))
				__builtin_trap();
			ddb_keyschema_free(&got);
		} else if (got.hash || got.range || !err.msg[0]) {
			__builtin_trap();
		}
		break;
	}
	case 1: {
		int k;

		reported = 0;
		k = ddb_parse_unprocessed(s, n, "click-stream-table", &ks, count_key, NULL, &err);
		if (k >= 0 ? k != reported : reported != 0 || !err.msg[0])
			__builtin_trap();
		break;
	}
	case 2: {
		struct json_doc d;
		struct ddb_conv cv;
		struct ddb_item it;

		json_doc_init(&d, 0);
		ddb_conv_init(&cv, data[0] & 8 ? &ks : NULL);
		cv.ttl_attr = data[0] & 16 ? "exp" : NULL;
		ddb_item_init(&it);
		if (json_parse(&d, s, n) == 0) {
			if (ddb_item_from_json(&cv, &d, 0, &it) == 0) {
				must_be_json(it.json.data, it.json.len);
				if (cv.ks && !it.key.len)
					__builtin_trap();
			} else if (!it.error || !it.reason[0]) {
				__builtin_trap();
			}
		}
		ddb_item_free(&it);
		ddb_conv_free(&cv);
		json_doc_free(&d);
		break;
	}
	case 3: {
		struct buf c = BUF_INIT;
		size_t sz = 0;
		char why[200];

		if (ddb_number(s, n, &c, &sz, why, sizeof why) == 0) {
			if (!c.len || !sz || sz > 40)
				__builtin_trap();
		}
		buf_free(&c);
		break;
	}
	case 4: {
		struct json_doc d;
		struct jvexact x;
		struct buf b = BUF_INIT;
		char why[300];

		if (n > 4096)
			break;
		json_doc_init(&d, 64);
		jvexact_init(&x);
		if (json_parse(&d, s, n) == 0) {
			jv v = jv_parse_sized(s, (int)n);

			jvexact_scan(&x, &d);
			if (jv_is_valid(v) && jvexact_dump(&x, v, &b, why, sizeof why) == 0)
				must_be_json(b.data, b.len);
			jv_free(v);
		}
		buf_free(&b);
		jvexact_free(&x);
		json_doc_free(&d);
		break;
	}
	case 5:
		aws_parse_error(s, n, 400 + (data[0] >> 3) % 200, &err);
		if (!err.code[0] || !err.msg[0] || !memchr(err.code, 0, sizeof err.code) ||
		    !memchr(err.msg, 0, sizeof err.msg))
			__builtin_trap();
		break;
	}
	return 0;
}
