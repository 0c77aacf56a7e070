/* dynamodb.c - DynamoDB requests and answers (see dynamodb.h). */
#include <string.h>

#include "dynamodb.h"
#include "json.h"

void
ddb_describe_request(struct buf *out, const char *table)
{
	buf_adds(out, "{\"TableName\":");
	json_escape_str(out, table);
	buf_addc(out, '}');
}

void
ddb_batch_begin(struct buf *out, const char *table)
{
	buf_adds(out, "{\"RequestItems\":{");
	json_escape_str(out, table);
	buf_adds(out, ":[");
}

void
ddb_batch_put(struct buf *out, const char *item, size_t len, int first)
{
	if (!first)
		buf_addc(out, ',');
	buf_adds(out, "{\"PutRequest\":{\"Item\":");
	buf_add(out, item, len);
	buf_adds(out, "}}");
}

void
ddb_batch_end(struct buf *out)
{
	buf_adds(out, "]}}");
}

void
ddb_put_new_request(struct buf *out, const char *table, const char *item, size_t len,
    const char *hash)
{
	buf_adds(out, "{\"TableName\":");
	json_escape_str(out, table);
	buf_adds(out, ",\"Item\":");
	buf_add(out, item, len);
	buf_adds(out, ",\"ConditionExpression\":\"attribute_not_exists(#k)\","
	    "\"ExpressionAttributeNames\":{\"#k\":");
	json_escape_str(out, hash);
	buf_adds(out, "}}");
}

#define GET(d, obj, lit) json_obj_get((d), (obj), lit, sizeof lit - 1)

/* the AttributeType of NAME in the AttributeDefinitions array DEFS, or 0 */
static char
attr_type(const struct json_doc *d, int defs, const char *name)
{
	uint32_t m, j;

	if (defs < 0 || d->tok[defs].type != JSON_ARRAY)
		return 0;
	for (m = 0, j = (uint32_t)defs + 1; m < d->tok[defs].size; m++, j = d->tok[j].next) {
		int n = GET(d, (int)j, "AttributeName"), t = GET(d, (int)j, "AttributeType");

		if (n < 0 || t < 0 || d->tok[t].type != JSON_STRING || !json_str_eq(d, n, name, strlen(name)))
			continue;
		if (json_str_eq(d, t, "S", 1))
			return 'S';
		if (json_str_eq(d, t, "N", 1))
			return 'N';
		if (json_str_eq(d, t, "B", 1))
			return 'B';
		return 0;
	}
	return 0;
}

int
ddb_parse_describe(const char *body, size_t len, struct ddb_keyschema *ks, struct cs_err *err)
{
	struct json_doc d;
	int table, keys, defs, rc = -1;
	uint32_t m, j;

	memset(ks, 0, sizeof *ks);
	json_doc_init(&d, 64);
	if (json_parse(&d, body, len)) {
		cs_err_set(err, "DescribeTable: answer is not JSON: %s", d.err);
		goto out;
	}
	table = GET(&d, 0, "Table");
	keys = GET(&d, table, "KeySchema");
	defs = GET(&d, table, "AttributeDefinitions");
	if (keys < 0 || d.tok[keys].type != JSON_ARRAY) {
		cs_err_set(err, "DescribeTable: answer has no Table.KeySchema");
		goto out;
	}
	for (m = 0, j = (uint32_t)keys + 1; m < d.tok[keys].size; m++, j = d.tok[j].next) {
		int n = GET(&d, (int)j, "AttributeName"), t = GET(&d, (int)j, "KeyType");
		char **name, *type;

		if (n < 0 || t < 0 || d.tok[n].type != JSON_STRING || d.tok[t].type != JSON_STRING) {
			cs_err_set(err, "DescribeTable: a KeySchema element lacks AttributeName or KeyType");
			goto out;
		}
		if (json_str_eq(&d, t, "HASH", 4)) {
			name = &ks->hash;
			type = &ks->hash_type;
		} else if (json_str_eq(&d, t, "RANGE", 5)) {
			name = &ks->range;
			type = &ks->range_type;
		} else {
			cs_err_set(err, "DescribeTable: unknown KeyType in KeySchema");
			goto out;
		}
		if (*name) {
			cs_err_set(err, "DescribeTable: KeySchema has two keys of one type");
			goto out;
		}
		*name = json_str_dup(&d, n);
		*type = attr_type(&d, defs, *name);
		if (!**name || !*type) {
			cs_err_set(err, "DescribeTable: key attribute '%s' has no known AttributeType", *name);
			goto out;
		}
	}
	if (!ks->hash) {
		cs_err_set(err, "DescribeTable: KeySchema has no HASH key");
		goto out;
	}
	rc = 0;
out:
	if (rc)
		ddb_keyschema_free(ks);
	json_doc_free(&d);
	return rc;
}

int
ddb_parse_unprocessed(const char *body, size_t len, const char *table,
    const struct ddb_keyschema *ks, ddb_key_fn fn, void *ctx, struct cs_err *err)
{
	struct json_doc d;
	struct buf key = BUF_INIT, all = BUF_INIT;
	int un, list, rc = -1, count = 0;
	uint32_t m, j;
	size_t off;

	json_doc_init(&d, 64);
	if (json_parse(&d, body, len)) {
		cs_err_set(err, "BatchWriteItem: answer is not JSON: %s", d.err);
		goto out;
	}
	if (d.tok[0].type != JSON_OBJECT) {
		cs_err_set(err, "BatchWriteItem: answer is not a JSON object");
		goto out;
	}
	un = GET(&d, 0, "UnprocessedItems");
	if (un < 0 || d.tok[un].type == JSON_NULL) {
		rc = 0;
		goto out;
	}
	if (d.tok[un].type != JSON_OBJECT) {
		cs_err_set(err, "BatchWriteItem: UnprocessedItems is not an object");
		goto out;
	}
	list = json_obj_get(&d, un, table, strlen(table));
	if (list < 0) {
		if (d.tok[un].size) {
			cs_err_set(err, "BatchWriteItem: UnprocessedItems names another table");
			goto out;
		}
		rc = 0;
		goto out;
	}
	if (d.tok[list].type != JSON_ARRAY) {
		cs_err_set(err, "BatchWriteItem: UnprocessedItems of '%s' is not an array", table);
		goto out;
	}
	/* every key first, so that FN sees all of them or none */
	for (m = 0, j = (uint32_t)list + 1; m < d.tok[list].size; m++, j = d.tok[j].next) {
		int put = GET(&d, (int)j, "PutRequest"), item = GET(&d, put, "Item");
		uint32_t n;

		buf_reset(&key);
		if (item < 0 || ddb_key_from_av(ks, &d, item, &key)) {
			cs_err_set(err, "BatchWriteItem: an unprocessed item has no PutRequest with the table's key");
			goto out;
		}
		n = (uint32_t)key.len;
		buf_add(&all, &n, sizeof n);
		buf_add(&all, key.data, key.len);
		count++;
	}
	for (off = 0; off < all.len;) {
		uint32_t n;

		memcpy(&n, all.data + off, sizeof n);
		fn(ctx, all.data + off + sizeof n, n);
		off += sizeof n + n;
	}
	rc = count;
out:
	buf_free(&key);
	buf_free(&all);
	json_doc_free(&d);
	return rc;
}
