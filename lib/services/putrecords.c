/* putrecords.c - the PutRecords request body and answer (see putrecords.h). */
#include <string.h>

#include "putrecords.h"

void
putrecords_begin(struct buf *o, const char *stream, size_t n, size_t bytes)
{
	buf_reset(o);
	buf_grow(o, bytes / 3 * 4 + n * 64 + 256);
	buf_adds(o, strncmp(stream, "arn:", 4) == 0 ? "{\"StreamARN\":" : "{\"StreamName\":");
	json_escape_str(o, stream);
	buf_adds(o, ",\"Records\":[");
}

void
putrecords_add(struct buf *o, size_t i, const char *data, size_t len, const char *key,
    size_t keylen, const char *ehk)
{
	buf_adds(o, i ? ",{\"Data\":\"" : "{\"Data\":\"");
	cs_base64_encode(o, (const unsigned char *)data, len);
	buf_adds(o, "\",\"PartitionKey\":");
	json_escape(o, key, keylen);
	if (ehk) {
		buf_adds(o, ",\"ExplicitHashKey\":\"");
		buf_adds(o, ehk);
		buf_addc(o, '"');
	}
	buf_addc(o, '}');
}

void
putrecords_end(struct buf *o)
{
	buf_adds(o, "]}");
}

int
putrecords_all_ok(const char *s, size_t n)
{
	static const char lit[] = "\"FailedRecordCount\":0";
	const char *m = memmem(s, n, lit, sizeof lit - 1);
	size_t after;

	if (!m)
		return 0;
	after = (size_t)(m - s) + sizeof lit - 1;
	return after < n && (s[after] == ',' || s[after] == '}' || s[after] == ' ' ||
	    s[after] == '\n' || s[after] == '\r' || s[after] == '\t');
}

int
putrecords_parse(struct json_doc *d, const char *body, size_t len, size_t n)
{
	int arr;

	if (json_parse(d, body, len) != 0 || d->tok[0].type != JSON_OBJECT ||
	    (arr = json_obj_get(d, 0, "Records", 7)) < 0 ||
	    d->tok[arr].type != JSON_ARRAY || d->tok[arr].size != n)
		return -1;
	return arr + 1;
}

int
putrecords_entry(const struct json_doc *d, int *t, struct buf *a, struct buf *b)
{
	int obj = *t, failed;

	*t = (int)d->tok[obj].next;
	failed = json_get_str_buf(d, obj, "ErrorCode", a) && a->len;
	if (failed)
		json_get_str_buf(d, obj, "ErrorMessage", b);
	else {
		json_get_str_buf(d, obj, "ShardId", a);
		json_get_str_buf(d, obj, "SequenceNumber", b);
	}
	return failed;
}
