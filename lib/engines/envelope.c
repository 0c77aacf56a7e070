/* envelope.c - one Kinesis record as one JSON line, and back (see envelope.h). */
#include <string.h>

#include "envelope.h"

/* The bytes of token T's whole value in the text (a string with its quotes). */
static void
value_extent(const struct json_doc *d, int t, size_t *start, size_t *end)
{
	const struct json_tok *k = &d->tok[t];

	if (k->type == JSON_STRING) {
		*start = k->start - 1;
		*end = (size_t)k->start + k->len + 1;
	} else {
		*start = k->start;
		*end = (size_t)k->start + k->len;
	}
}

int
envelope_is_json_line(struct json_doc *doc, const char *data, size_t n)
{
	size_t s, e;

	if (n == 0 || memchr(data, '\n', n) || memchr(data, '\r', n))
		return 0;
	if (json_parse(doc, data, n) < 0)
		return 0;
	value_extent(doc, 0, &s, &e);
	return s == 0 && e == n;
}

int
envelope_detect(const struct json_doc *doc)
{
	const struct json_tok *o, *k, *val;
	const char *name;
	uint32_t i = 1, m;
	int have = 0;

	if (doc->ntok == 0)
		return 0;
	o = &doc->tok[0];
	if (o->type != JSON_OBJECT || o->size < 3)
		return 0;
	for (m = 0; m < o->size; m++, i = val->next) {
		k = &doc->tok[i];
		val = &doc->tok[i + 1];
		if (k->escaped)
			continue;
		name = doc->text + k->start;
		switch (k->len) {
		case 4:
			if (memcmp(name, "data", 4) == 0)
				have |= 4;
			break;
		case 7:
			if (memcmp(name, "shardId", 7) == 0 && val->type == JSON_STRING)
				have |= 1;
			break;
		case 10:
			if (memcmp(name, "dataBase64", 10) == 0 && val->type == JSON_STRING)
				have |= 4;
			break;
		case 14:
			if (memcmp(name, "sequenceNumber", 14) == 0 && val->type == JSON_STRING)
				have |= 2;
			break;
		}
	}
	return have == 7;
}

void
envelope_format(struct buf *out, const struct envelope *e, struct json_doc *doc)
{
	char ts[32];

	buf_adds(out, "{\"stream\":");
	json_escape_str(out, e->stream);
	buf_adds(out, ",\"shardId\":");
	json_escape_str(out, e->shard);
	buf_adds(out, ",\"sequenceNumber\":");
	json_escape_str(out, e->seq);
	if (e->subseq >= 0)
		buf_printf(out, ",\"subSequenceNumber\":%ld", e->subseq);
	if (e->ehk) {
		buf_adds(out, ",\"explicitHashKey\":");
		json_escape(out, e->ehk, e->ehklen);
	}
	buf_adds(out, ",\"partitionKey\":");
	if (utf8_valid(e->key, e->keylen, NULL)) {
		json_escape(out, e->key, e->keylen);
	} else {
		/* Kinesis keys are Unicode; a KPL aggregate could still hold anything */
		buf_addc(out, '"');
		buf_addc(out, '"');
		buf_adds(out, ",\"partitionKeyBase64\":\"");
		cs_base64_encode(out, (const unsigned char *)e->key, e->keylen);
		buf_addc(out, '"');
	}
	if (e->arrival_ms) {
		cs_fmt_rfc3339(ts, e->arrival_ms);
		buf_adds(out, ",\"approximateArrival\":\"");
		buf_adds(out, ts);
		buf_addc(out, '"');
	}
	if (envelope_is_json_line(doc, e->data, e->len)) {
		buf_adds(out, ",\"data\":");
		buf_add(out, e->data, e->len);
	} else {
		buf_adds(out, ",\"dataBase64\":\"");
		cs_base64_encode(out, (const unsigned char *)e->data, e->len);
		buf_addc(out, '"');
	}
	buf_adds(out, "}\n");
}

int
envelope_parse(struct json_doc *doc, const char *line, size_t n, struct buf *data,
    struct buf *key, struct cs_err *err)
{
	int t, k;
	size_t s, e;

	buf_reset(data);
	buf_reset(key);
	if (json_parse(doc, line, n) < 0) {
		cs_err_set(err, "not an envelope: %s", doc->err);
		return -1;
	}
	if (doc->tok[0].type != JSON_OBJECT) {
		cs_err_set(err, "not an envelope: not a JSON object");
		return -1;
	}
	k = json_obj_get(doc, 0, "partitionKeyBase64", 18);
	if (k >= 0 && doc->tok[k].type == JSON_STRING) {
		struct buf tmp = BUF_INIT;
		int bad;

		json_str_decode(doc, k, &tmp);
		bad = cs_base64_decode(key, tmp.data ? tmp.data : "", tmp.len);
		buf_free(&tmp);
		if (bad || key->len == 0) {
			cs_err_set(err, "envelope: \"partitionKeyBase64\" is not base64");
			return -1;
		}
	} else {
		k = json_obj_get(doc, 0, "partitionKey", 12);
		if (k < 0 || doc->tok[k].type != JSON_STRING || doc->tok[k].len == 0) {
			cs_err_set(err, "envelope: no \"partitionKey\" (a non-empty string)");
			return -1;
		}
		json_str_decode(doc, k, key);
	}
	t = json_obj_get(doc, 0, "data", 4);
	if (t >= 0) {
		value_extent(doc, t, &s, &e);
		buf_add(data, line + s, e - s);
		return 0;
	}
	t = json_obj_get(doc, 0, "dataBase64", 10);
	if (t < 0 || doc->tok[t].type != JSON_STRING) {
		cs_err_set(err, "envelope: neither \"data\" nor \"dataBase64\"");
		return -1;
	}
	if (doc->tok[t].escaped) {
		struct buf tmp = BUF_INIT;
		int bad;

		json_str_decode(doc, t, &tmp);
		bad = cs_base64_decode(data, tmp.data ? tmp.data : "", tmp.len);
		buf_free(&tmp);
		if (bad)
			goto bad64;
	} else if (cs_base64_decode(data, line + doc->tok[t].start, doc->tok[t].len) < 0) {
		goto bad64;
	}
	if (!data->data) {
		buf_grow(data, 1);
		data->data[0] = '\0';
	}
	return 0;
bad64:
	buf_reset(data);
	cs_err_set(err, "envelope: \"dataBase64\" is not base64");
	return -1;
}

int
envelope_ehk(const struct json_doc *doc, struct buf *ehk)
{
	int t = json_obj_get(doc, 0, "explicitHashKey", 15);

	buf_reset(ehk);
	if (t < 0 || doc->tok[t].type != JSON_STRING)
		return 0;
	json_str_decode(doc, t, ehk);
	return 1;
}
