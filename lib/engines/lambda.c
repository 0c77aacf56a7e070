/* lambda.c - Lambda's Kinesis event, its answer, its failure record (see lambda.h). */
#include <inttypes.h>
#include <string.h>

#include "lambda.h"

/* S[0..n) onto OUT with each byte that is not valid UTF-8 as U+FFFD. */
static void
add_lossy(struct buf *out, const char *s, size_t n)
{
	size_t bad;

	while (n) {
		if (utf8_valid(s, n, &bad)) {
			buf_add(out, s, n);
			break;
		}
		buf_add(out, s, bad);
		buf_adds(out, "\xef\xbf\xbd");
		s += bad + 1;
		n -= bad + 1;
	}
}

/* S[0..n) as a JSON string; a byte that is not valid UTF-8 becomes U+FFFD. */
static void
escape_lossy(struct buf *out, const char *s, size_t n)
{
	struct buf clean = BUF_INIT;
	size_t bad;

	if (utf8_valid(s, n, &bad)) {
		json_escape(out, s, n);
		return;
	}
	add_lossy(&clean, s, n);
	json_escape(out, clean.data ? clean.data : "", clean.len);
	buf_free(&clean);
}

static void
str(struct buf *out, const char *s)
{
	escape_lossy(out, s ? s : "", s ? strlen(s) : 0);
}

void
lambda_record(struct buf *out, const struct lambda_source *src, const char *shard,
    const char *seq, const char *key, size_t keylen, int64_t arrival_ms, const void *data,
    size_t len)
{
	int64_t secs = arrival_ms >= 0 ? arrival_ms / 1000 : (arrival_ms - 999) / 1000;

	buf_adds(out, "{\"kinesis\":{\"kinesisSchemaVersion\":\"1.0\",\"partitionKey\":");
	escape_lossy(out, key, keylen);
	buf_adds(out, ",\"sequenceNumber\":");
	str(out, seq);
	buf_adds(out, ",\"data\":\"");
	cs_base64_encode(out, data, len);
	buf_printf(out, "\",\"approximateArrivalTimestamp\":%" PRId64 ".%03d},", secs,
	    (int)(arrival_ms - secs * 1000));
	buf_adds(out, "\"eventSource\":\"aws:kinesis\",\"eventVersion\":\"1.0\",\"eventID\":\"");
	/* shard ids and sequence numbers are [a-zA-Z0-9_.-]: nothing to escape */
	buf_adds(out, shard);
	buf_addc(out, ':');
	buf_adds(out, seq);
	buf_adds(out, "\",\"eventName\":\"aws:kinesis:record\",\"invokeIdentityArn\":");
	str(out, src->identity_arn);
	buf_adds(out, ",\"awsRegion\":");
	str(out, src->region);
	buf_adds(out, ",\"eventSourceARN\":");
	str(out, src->stream_arn);
	buf_addc(out, '}');
}

/* Whether N bytes of TEXT are all blanks. */
static int
blank(const char *text, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strchr(" \t\r\n", text[i]) || !text[i])
			return 0;
	return 1;
}

int
lambda_answer_parse(struct json_doc *doc, const char *text, size_t n, lambda_seq_fn seq,
    void *ctx, size_t nitems, struct lambda_answer *a, struct cs_err *err)
{
	const struct json_tok *t;
	struct buf id = BUF_INIT;
	int list, item, v;
	uint32_t k;
	size_t i;
	int rc = -1;

	memset(a, 0, sizeof *a);
	if (blank(text, n))
		return 0;
	if (json_parse(doc, text, n) < 0) {
		cs_err_set(err, "the answer is not JSON: %s", doc->err);
		return -1;
	}
	t = &doc->tok[0];
	if (t->type == JSON_NULL)
		return 0;
	if (t->type != JSON_OBJECT) {
		cs_err_set(err, "the answer is not an object with batchItemFailures");
		return -1;
	}
	list = json_obj_get(doc, 0, "batchItemFailures", 17);
	if (list < 0 || doc->tok[list].type == JSON_NULL)
		return 0;
	if (doc->tok[list].type != JSON_ARRAY) {
		cs_err_set(err, "the answer's batchItemFailures is not an array");
		return -1;
	}
	for (k = 0, item = list + 1; k < doc->tok[list].size; k++, item = (int)doc->tok[item].next) {
		if (doc->tok[item].type != JSON_OBJECT) {
			cs_err_set(err, "the answer's batchItemFailures[%u] is not an object", k);
			goto out;
		}
		v = json_obj_get(doc, item, "itemIdentifier", 14);
		if (v < 0 || doc->tok[v].type != JSON_STRING) {
			cs_err_set(err, "the answer's batchItemFailures[%u] has no itemIdentifier string", k);
			goto out;
		}
		buf_reset(&id);
		json_str_decode(doc, v, &id);
		if (id.len == 0) {
			cs_err_set(err, "the answer's batchItemFailures[%u] has an empty itemIdentifier", k);
			goto out;
		}
		for (i = 0; i < nitems; i++)
			if (strcmp(seq(ctx, i), id.data) == 0 && strlen(id.data) == id.len)
				break;
		if (i == nitems) {
			/* quoted and escaped: the identifier is the command's, newlines and all */
			struct buf shown = BUF_INIT;
			size_t cut = id.len > 64 ? 64 : id.len;

			while (cut > 0 && cut < id.len && ((unsigned char)id.data[cut] & 0xC0) == 0x80)
				cut--;  /* not inside a UTF-8 character */
			json_escape(&shown, id.data, cut);
			cs_err_set(err, "the answer names %s%s, not a sequence number of the batch",
			    shown.data, cut < id.len ? "..." : "");
			buf_free(&shown);
			goto out;
		}
		if (a->failures == 0 || i < a->lowest)
			a->lowest = i;
		a->failures++;
	}
	rc = 0;
out:
	if (rc < 0)
		memset(a, 0, sizeof *a);
	buf_free(&id);
	return rc;
}

const char *
lambda_condition_name(enum lambda_condition c)
{
	return c == LAMBDA_RECORD_TOO_OLD ? "RecordAgeExceeded" : "RetryAttemptsExhausted";
}

static void
arrival(struct buf *out, const char *name, int64_t ms)
{
	char ts[32];

	if (!ms)
		return;
	cs_fmt_rfc3339(ts, ms);
	buf_printf(out, ",\"%s\":\"%s\"", name, ts);
}

void
lambda_failure_members(struct buf *out, enum lambda_condition c, unsigned invokes,
    const struct lambda_batch_info *bi)
{
	buf_printf(out, ",\"condition\":\"%s\"", lambda_condition_name(c));
	if (invokes)
		buf_printf(out, ",\"approximateInvokeCount\":%u", invokes);
	buf_adds(out, ",\"KinesisBatchInfo\":{\"shardId\":");
	str(out, bi->shard);
	buf_adds(out, ",\"startSequenceNumber\":");
	str(out, bi->first_seq);
	buf_adds(out, ",\"endSequenceNumber\":");
	str(out, bi->last_seq);
	arrival(out, "approximateArrivalOfFirstRecord", bi->first_arrival_ms);
	arrival(out, "approximateArrivalOfLastRecord", bi->last_arrival_ms);
	buf_printf(out, ",\"batchSize\":%zu", bi->size);
	if (bi->stream_arn) {
		buf_adds(out, ",\"streamArn\":");
		str(out, bi->stream_arn);
	}
	buf_addc(out, '}');
}

void
lambda_error_text(struct json_doc *doc, const char *text, size_t n, struct buf *out)
{
	const char *nl;
	int type, msg;

	while (n && strchr(" \t\r\n", *text) && *text) {
		text++;
		n--;
	}
	if (n && json_parse(doc, text, n) == 0 && doc->tok[0].type == JSON_OBJECT &&
	    (msg = json_obj_get(doc, 0, "errorMessage", 12)) >= 0 &&
	    doc->tok[msg].type == JSON_STRING) {
		type = json_obj_get(doc, 0, "errorType", 9);
		if (type >= 0 && doc->tok[type].type == JSON_STRING) {
			json_str_decode(doc, type, out);
			buf_adds(out, ": ");
		}
		json_str_decode(doc, msg, out);
		return;
	}
	nl = memchr(text, '\n', n);
	if (nl)
		n = (size_t)(nl - text);
	if (n && text[n - 1] == '\r')
		n--;
	if (n > 300)
		n = 300;
	add_lossy(out, text, n);
}
