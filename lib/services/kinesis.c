/* kinesis.c - ListShards, GetShardIterator, GetRecords (see kinesis.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


#include "json.h"
#include "kinesis.h"
#include "md5.h"

/* --- small JSON helpers over json.h -------------------------------------- */

/* The number member KEY of OBJ as a double; 0 with *found 0 when absent. */
static double
get_num(const struct json_doc *d, int obj, const char *key, int *found)
{
	int t = json_obj_get(d, obj, key, strlen(key));
	char tmp[64];
	size_t n;

	*found = 0;
	if (t < 0 || d->tok[t].type != JSON_NUMBER)
		return 0;
	n = d->tok[t].len < sizeof tmp - 1 ? d->tok[t].len : sizeof tmp - 1;
	memcpy(tmp, d->text + d->tok[t].start, n);
	tmp[n] = '\0';
	*found = 1;
	return strtod(tmp, NULL);
}

static int
parse_object(struct json_doc *d, const char *body, size_t len, const char *op,
    struct cs_err *err)
{
	if (json_parse(d, body, len) < 0) {
		cs_err_set(err, "%s: malformed answer: %s", op, d->err);
		return -1;
	}
	if (d->tok[0].type != JSON_OBJECT) {
		cs_err_set(err, "%s: malformed answer: not a JSON object", op);
		return -1;
	}
	return 0;
}

/* --- ListShards ------------------------------------------------------------ */

static void
shard_free(struct kinesis_shard *s)
{
	free(s->id);
	free(s->parent);
	free(s->adjacent_parent);
	free(s->hash_start);
	free(s->hash_end);
	free(s->seq_start);
	free(s->seq_end);
}

void
kinesis_shards_free(struct kinesis_shard *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		shard_free(&s[i]);
	free(s);
}

const struct kinesis_shard *
kinesis_shard_find(const struct kinesis_shard *s, size_t n, const char *id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(s[i].id, id) == 0)
			return &s[i];
	return NULL;
}

void
kinesis_list_shards_body(struct buf *out, const char *stream, const char *token)
{
	buf_reset(out);
	if (token) {
		buf_adds(out, "{\"NextToken\":");
		json_escape_str(out, token);
	} else {
		buf_adds(out, "{\"StreamName\":");
		json_escape_str(out, stream);
	}
	buf_adds(out, ",\"MaxResults\":1000}");
}

int
kinesis_parse_list_shards(const char *body, size_t len, struct kinesis_shard **shards,
    size_t *n, char **next_token, struct cs_err *err)
{
	struct json_doc d;
	struct kinesis_shard *add = NULL;
	size_t nadd = 0, i;
	int arr, t, r = -1;
	uint32_t k;

	*next_token = NULL;
	json_doc_init(&d, 32);
	if (parse_object(&d, body, len, "ListShards", err) < 0)
		goto out;
	arr = json_obj_get(&d, 0, "Shards", 6);
	if (arr < 0 || d.tok[arr].type != JSON_ARRAY) {
		cs_err_set(err, "ListShards: malformed answer: no Shards array");
		goto out;
	}
	add = cs_calloc(d.tok[arr].size + 1, sizeof *add);
	for (t = arr + 1, k = 0; k < d.tok[arr].size; k++, t = (int)d.tok[t].next) {
		struct kinesis_shard *s = &add[nadd];
		int sub;

		if (d.tok[t].type != JSON_OBJECT) {
			cs_err_set(err, "ListShards: malformed answer: a shard is not an object");
			goto out;
		}
		nadd++;
		s->id = json_get_str(&d, t, "ShardId");
		s->parent = json_get_str(&d, t, "ParentShardId");
		s->adjacent_parent = json_get_str(&d, t, "AdjacentParentShardId");
		sub = json_obj_get(&d, t, "HashKeyRange", 12);
		if (sub >= 0 && d.tok[sub].type == JSON_OBJECT) {
			s->hash_start = json_get_str(&d, sub, "StartingHashKey");
			s->hash_end = json_get_str(&d, sub, "EndingHashKey");
		}
		sub = json_obj_get(&d, t, "SequenceNumberRange", 19);
		if (sub >= 0 && d.tok[sub].type == JSON_OBJECT) {
			s->seq_start = json_get_str(&d, sub, "StartingSequenceNumber");
			s->seq_end = json_get_str(&d, sub, "EndingSequenceNumber");
		}
		if (!s->id || !*s->id || !s->hash_start || !s->hash_end || !s->seq_start) {
			cs_err_set(err, "ListShards: malformed answer: a shard lacks its id, "
			    "hash key range or starting sequence number");
			goto out;
		}
	}
	*next_token = json_get_str(&d, 0, "NextToken");
	if (nadd) {
		*shards = cs_realloc(*shards, (*n + nadd) * sizeof **shards);
		memcpy(*shards + *n, add, nadd * sizeof *add);
		*n += nadd;
		nadd = 0;
	}
	r = 0;
out:
	for (i = 0; i < nadd; i++)
		shard_free(&add[i]);
	free(add);
	json_doc_free(&d);
	return r;
}

static void
call_error(struct cs_err *err, const char *op, const char *what, const struct cs_err *e)
{
	char code[sizeof e->code];
	char msg[sizeof e->msg];

	memcpy(code, e->code, sizeof code);
	memcpy(msg, e->msg, sizeof msg);
	cs_err_set(err, "%s on '%s': %s", op, what, msg);
	memcpy(err->code, code, sizeof code);
	err->http_status = e->http_status;
	err->retryable = e->retryable;
}

int
kinesis_list_shards(struct aws_client *c, const char *stream, struct kinesis_shard **out,
    size_t *n, struct cs_err *err)
{
	struct buf req = BUF_INIT, resp = BUF_INIT;
	struct kinesis_shard *all = NULL;
	size_t nall = 0;
	char *token = NULL, *next = NULL;
	struct cs_err e;
	int r = -1, pages = 0;

	cs_err_clear(&e);
	do {
		kinesis_list_shards_body(&req, stream, token);
		buf_reset(&resp);
		if (aws_call(c, "ListShards", req.data, req.len, &resp, &e) < 0) {
			call_error(err, "ListShards", stream, &e);
			goto out;
		}
		if (kinesis_parse_list_shards(resp.data ? resp.data : "", resp.len, &all, &nall,
		    &next, &e) < 0) {
			call_error(err, "ListShards", stream, &e);
			goto out;
		}
		free(token);
		token = next;
		next = NULL;
		if (++pages > 100000) {
			cs_err_set(err, "ListShards on '%s': the pages never end", stream);
			goto out;
		}
	} while (token);
	*out = all;
	*n = nall;
	all = NULL;
	nall = 0;
	r = 0;
out:
	kinesis_shards_free(all, nall);
	free(token);
	buf_free(&req);
	buf_free(&resp);
	return r;
}

/* --- GetShardIterator -------------------------------------------------------- */

const char *
kinesis_iter_type_name(enum kinesis_iter_type t)
{
	switch (t) {
	case KINESIS_TRIM_HORIZON: return "TRIM_HORIZON";
	case KINESIS_LATEST: return "LATEST";
	case KINESIS_AT_SEQUENCE_NUMBER: return "AT_SEQUENCE_NUMBER";
	case KINESIS_AFTER_SEQUENCE_NUMBER: return "AFTER_SEQUENCE_NUMBER";
	case KINESIS_AT_TIMESTAMP: return "AT_TIMESTAMP";
	}
	return "TRIM_HORIZON";
}

void
kinesis_get_shard_iterator_body(struct buf *out, const char *stream, const char *shard,
    const struct kinesis_position *pos)
{
	buf_reset(out);
	buf_adds(out, "{\"StreamName\":");
	json_escape_str(out, stream);
	buf_adds(out, ",\"ShardId\":");
	json_escape_str(out, shard);
	buf_printf(out, ",\"ShardIteratorType\":\"%s\"", kinesis_iter_type_name(pos->type));
	if (pos->type == KINESIS_AT_SEQUENCE_NUMBER || pos->type == KINESIS_AFTER_SEQUENCE_NUMBER) {
		buf_adds(out, ",\"StartingSequenceNumber\":");
		json_escape_str(out, pos->seq);
	} else if (pos->type == KINESIS_AT_TIMESTAMP) {
		int64_t ms = pos->timestamp_ms;

		/* seconds with a fraction, as the service wants */
		buf_printf(out, ",\"Timestamp\":%s%lld.%03d", ms < 0 ? "-" : "",
		    (long long)(llabs(ms) / 1000), (int)(llabs(ms) % 1000));
	}
	buf_addc(out, '}');
}

int
kinesis_parse_shard_iterator(const char *body, size_t len, char **iterator, struct cs_err *err)
{
	struct json_doc d;
	int r = -1;

	*iterator = NULL;
	json_doc_init(&d, 8);
	if (parse_object(&d, body, len, "GetShardIterator", err) < 0)
		goto out;
	*iterator = json_get_str(&d, 0, "ShardIterator");
	if (!*iterator || !**iterator) {
		free(*iterator);
		*iterator = NULL;
		cs_err_set(err, "GetShardIterator: malformed answer: no ShardIterator");
		goto out;
	}
	r = 0;
out:
	json_doc_free(&d);
	return r;
}

int
kinesis_get_shard_iterator(struct aws_client *c, const char *stream, const char *shard,
    const struct kinesis_position *pos, char **iterator, struct cs_err *err)
{
	struct buf req = BUF_INIT, resp = BUF_INIT;
	char what[512];
	struct cs_err e;
	int r = -1;

	cs_err_clear(&e);
	snprintf(what, sizeof what, "%s/%s", stream, shard);
	kinesis_get_shard_iterator_body(&req, stream, shard, pos);
	if (aws_call(c, "GetShardIterator", req.data, req.len, &resp, &e) < 0 ||
	    kinesis_parse_shard_iterator(resp.data ? resp.data : "", resp.len, iterator, &e) < 0)
		call_error(err, "GetShardIterator", what, &e);
	else
		r = 0;
	buf_free(&req);
	buf_free(&resp);
	return r;
}

/* --- GetRecords ---------------------------------------------------------------- */

void
kinesis_get_records_body(struct buf *out, const char *iterator, unsigned limit)
{
	buf_reset(out);
	buf_adds(out, "{\"ShardIterator\":");
	json_escape_str(out, iterator);
	if (limit)
		buf_printf(out, ",\"Limit\":%u", limit);
	buf_addc(out, '}');
}

void
kinesis_records_init(struct kinesis_records *rs)
{
	memset(rs, 0, sizeof *rs);
	buf_init(&rs->arena);
	rs->millis_behind = -1;
	rs->skip_subseq = -1;
	json_doc_init(&rs->doc, 32);
}

void
kinesis_records_reset(struct kinesis_records *rs)
{
	rs->n = 0;
	buf_reset(&rs->arena);
	free(rs->next_iterator);
	rs->next_iterator = NULL;
	rs->millis_behind = -1;
	rs->skip_subseq = -1;
}

void
kinesis_records_free(struct kinesis_records *rs)
{
	free(rs->rec);
	buf_free(&rs->arena);
	free(rs->next_iterator);
	json_doc_free(&rs->doc);
	memset(rs, 0, sizeof *rs);
	rs->millis_behind = -1;
	rs->skip_subseq = -1;
	json_doc_init(&rs->doc, 32);
}

/* Append string token T (decoded) to the arena with a NUL; its offset and length. */
static void
arena_str(struct kinesis_records *rs, const struct json_doc *d, int t, size_t *off, size_t *len)
{
	*off = rs->arena.len;
	if (d->tok[t].escaped)
		json_str_decode(d, t, &rs->arena);
	else
		buf_add(&rs->arena, d->text + d->tok[t].start, d->tok[t].len);
	*len = rs->arena.len - *off;
	buf_addc(&rs->arena, '\0');
}

static int
parse_record(struct kinesis_records *rs, const struct json_doc *d, int t, struct cs_err *err)
{
	struct kinesis_record *r;
	struct buf tmp = BUF_INIT;
	int data, key, seq, found, bad;
	double at;

	if (d->tok[t].type != JSON_OBJECT) {
		cs_err_set(err, "GetRecords: malformed answer: a record is not an object");
		return -1;
	}
	data = json_obj_get(d, t, "Data", 4);
	key = json_obj_get(d, t, "PartitionKey", 12);
	seq = json_obj_get(d, t, "SequenceNumber", 14);
	if (data < 0 || seq < 0 || key < 0 || d->tok[data].type != JSON_STRING ||
	    d->tok[seq].type != JSON_STRING || d->tok[key].type != JSON_STRING) {
		cs_err_set(err, "GetRecords: malformed answer: a record lacks Data, "
		    "PartitionKey or SequenceNumber");
		return -1;
	}
	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? rs->cap * 2 : 64;
		rs->rec = cs_realloc(rs->rec, rs->cap * sizeof *rs->rec);
	}
	r = &rs->rec[rs->n];
	r->data_off = rs->arena.len;
	if (d->tok[data].escaped) {
		json_str_decode(d, data, &tmp);
		bad = cs_base64_decode(&rs->arena, tmp.data ? tmp.data : "", tmp.len);
		buf_free(&tmp);
	} else {
		bad = cs_base64_decode(&rs->arena, d->text + d->tok[data].start, d->tok[data].len);
	}
	if (bad) {
		rs->arena.len = r->data_off;
		cs_err_set(err, "GetRecords: malformed answer: a record's Data is not base64");
		return -1;
	}
	r->data_len = rs->arena.len - r->data_off;
	buf_addc(&rs->arena, '\0');
	arena_str(rs, d, key, &r->key_off, &r->key_len);
	arena_str(rs, d, seq, &r->seq_off, &r->seq_len);
	at = get_num(d, t, "ApproximateArrivalTimestamp", &found);
	r->arrival_ms = found && isfinite(at) && fabs(at) < 1e14 ? (int64_t)llround(at * 1000.0) : 0;
	rs->n++;
	return 0;
}

/*
 * What a GetRecords answer and a SubscribeToShardEvent share: the Records
 * into RS, MillisBehindLatest, and the string member NEXT (NextShardIterator,
 * ContinuationSequenceNumber) into *NEXT_OUT, NULL when absent or empty.  WHAT
 * names the message in errors ("GetRecords: malformed answer").
 */
static int
parse_records(struct kinesis_records *rs, const char *body, size_t len, const char *op,
    const char *what, const char *next, char **next_out, struct cs_err *err)
{
	struct json_doc *d = &rs->doc;
	int arr, t, found;
	uint32_t k;
	double mb;

	if (parse_object(d, body, len, op, err) < 0)
		return -1;
	arr = json_obj_get(d, 0, "Records", 7);
	if (arr < 0 || d->tok[arr].type != JSON_ARRAY) {
		cs_err_set(err, "%s: no Records array", what);
		return -1;
	}
	for (t = arr + 1, k = 0; k < d->tok[arr].size; k++, t = (int)d->tok[t].next)
		if (parse_record(rs, d, t, err) < 0)
			return -1;
	*next_out = json_get_str(d, 0, next);
	if (*next_out && !**next_out) {
		free(*next_out);
		*next_out = NULL;
	}
	mb = get_num(d, 0, "MillisBehindLatest", &found);
	rs->millis_behind = found && mb >= 0 && mb < 1e15 ? (int64_t)mb : -1;
	return 0;
}

int
kinesis_parse_get_records(const char *body, size_t len, struct kinesis_records *rs,
    struct cs_err *err)
{
	kinesis_records_reset(rs);
	if (parse_records(rs, body, len, "GetRecords", "GetRecords: malformed answer",
	    "NextShardIterator", &rs->next_iterator, err) < 0) {
		kinesis_records_reset(rs);
		return -1;
	}
	return 0;
}

/* --- sequence numbers and hash keys ----------------------------------------------- */

int
kinesis_seq_cmp(const char *a, const char *b)
{
	size_t la, lb;

	while (*a == '0' && a[1])
		a++;
	while (*b == '0' && b[1])
		b++;
	la = strlen(a);
	lb = strlen(b);
	if (la != lb)
		return la < lb ? -1 : 1;
	return strcmp(a, b);
}

/* A decimal string to a 128-bit number; -1 when it is not one. */
static int
dec_u128(const char *s, u128 *out)
{
	return s ? u128_parse_dec(s, strlen(s), out) : -1;
}

static u128
big_endian(const unsigned char md[16])
{
	u128 v = 0;
	unsigned i;

	for (i = 0; i < 16; i++)
		v = v << 8 | md[i];
	return v;
}

u128
kinesis_key_hash(const char *key, size_t keylen)
{
	unsigned char md[16];

	md5(key, keylen, md);
	return big_endian(md);
}

void
kinesis_key_hashes(const char *const *keys, const size_t *lens, size_t n, u128 *out)
{
	unsigned char md[8][16];
	const void *p[8];
	size_t i, j, k;

	for (i = 0; i < n; i += k) {
		k = n - i < 8 ? n - i : 8;
		for (j = 0; j < k; j++)
			p[j] = keys[i + j];   /* as pointers of md5_many's type, not one cast over */
		md5_many(p, lens + i, k, md);
		for (j = 0; j < k; j++)
			out[i + j] = big_endian(md[j]);
	}
}

void
kinesis_hash_key(char out[48], const char *key, size_t keylen)
{
	u128_fmt_dec(out, kinesis_key_hash(key, keylen));
}

/* The open shard whose hash key range holds H, or -1. */
static long
shard_for_u128(const struct kinesis_shard *s, size_t n, u128 h)
{
	u128 lo, hi;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i].seq_end)
			continue;
		if (dec_u128(s[i].hash_start, &lo) < 0 || dec_u128(s[i].hash_end, &hi) < 0)
			continue;
		if (h >= lo && h <= hi)
			return (long)i;
	}
	return -1;
}

long
kinesis_shard_for_key(const struct kinesis_shard *s, size_t n, const char *key, size_t keylen)
{
	return shard_for_u128(s, n, kinesis_key_hash(key, keylen));
}

long
kinesis_shard_for_hash(const struct kinesis_shard *s, size_t n, const char *hash)
{
	u128 h;

	return dec_u128(hash, &h) < 0 ? -1 : shard_for_u128(s, n, h);
}

/* --- enhanced fan-out ------------------------------------------------------ */

void
kinesis_subscribe_body(struct buf *out, const char *consumer_arn, const char *shard,
    const struct kinesis_position *pos)
{
	buf_reset(out);
	buf_adds(out, "{\"ConsumerARN\":");
	json_escape_str(out, consumer_arn);
	buf_adds(out, ",\"ShardId\":");
	json_escape_str(out, shard);
	buf_printf(out, ",\"StartingPosition\":{\"Type\":\"%s\"", kinesis_iter_type_name(pos->type));
	if (pos->type == KINESIS_AT_SEQUENCE_NUMBER || pos->type == KINESIS_AFTER_SEQUENCE_NUMBER) {
		buf_adds(out, ",\"SequenceNumber\":");
		json_escape_str(out, pos->seq);
	} else if (pos->type == KINESIS_AT_TIMESTAMP) {
		int64_t ms = pos->timestamp_ms;

		buf_printf(out, ",\"Timestamp\":%s%lld.%03d", ms < 0 ? "-" : "",
		    (long long)(llabs(ms) / 1000), (int)(llabs(ms) % 1000));
	}
	buf_adds(out, "}}");
}

void
kinesis_subscribe_event_init(struct kinesis_subscribe_event *ev)
{
	memset(ev, 0, sizeof *ev);
}

void
kinesis_subscribe_event_free(struct kinesis_subscribe_event *ev)
{
	size_t i;

	free(ev->continuation);
	for (i = 0; i < ev->nchildren; i++)
		free(ev->children[i]);
	free(ev->children);
	memset(ev, 0, sizeof *ev);
}

int
kinesis_parse_subscribe_event(const char *body, size_t len, struct kinesis_records *rs,
    struct kinesis_subscribe_event *ev, struct cs_err *err)
{
	struct json_doc *d = &rs->doc;
	int arr, t, r = -1;
	uint32_t k;

	kinesis_records_reset(rs);
	kinesis_subscribe_event_free(ev);
	if (parse_records(rs, body, len, "SubscribeToShardEvent",
	    "SubscribeToShardEvent: malformed event", "ContinuationSequenceNumber",
	    &ev->continuation, err) < 0)
		goto out;
	arr = json_obj_get(d, 0, "ChildShards", 11);
	if (arr >= 0 && d->tok[arr].type == JSON_ARRAY) {
		ev->has_children = 1;
		for (t = arr + 1, k = 0; k < d->tok[arr].size; k++, t = (int)d->tok[t].next) {
			char *id = d->tok[t].type == JSON_OBJECT ? json_get_str(d, t, "ShardId") : NULL;

			if (!id) {
				cs_err_set(err, "SubscribeToShardEvent: malformed event: a child shard without ShardId");
				goto out;
			}
			ev->children = cs_realloc(ev->children, (ev->nchildren + 1) * sizeof *ev->children);
			ev->children[ev->nchildren++] = id;
		}
	}
	r = 0;
out:
	if (r < 0) {
		kinesis_records_reset(rs);
		kinesis_subscribe_event_free(ev);
	}
	return r;
}

/* the string member KEY of member OBJ of a blocking call's answer */
static int
answer_str(const struct buf *resp, const char *obj, const char *key, char **out,
    const char *op, struct cs_err *err)
{
	struct json_doc d;
	int o, r = -1;

	*out = NULL;
	json_doc_init(&d, 32);
	if (parse_object(&d, resp->data ? resp->data : "", resp->len, op, err) < 0)
		goto done;
	o = obj ? json_obj_get(&d, 0, obj, strlen(obj)) : 0;
	if (o >= 0 && d.tok[o].type == JSON_OBJECT)
		*out = json_get_str(&d, o, key);
	if (!*out)
		cs_err_set(err, "%s: malformed answer: no %s", op, key);
	else
		r = 0;
done:
	json_doc_free(&d);
	return r;
}

int
kinesis_stream_arn(struct aws_client *c, const char *stream, char **arn, struct cs_err *err)
{
	struct buf req = BUF_INIT, resp = BUF_INIT;
	struct cs_err e;
	int r = -1;

	cs_err_clear(&e);
	buf_adds(&req, "{\"StreamName\":");
	json_escape_str(&req, stream);
	buf_addc(&req, '}');
	if (aws_call(c, "DescribeStreamSummary", req.data, req.len, &resp, &e) < 0) {
		cs_err_set(err, "DescribeStreamSummary on '%s': %s", stream, e.msg);
		memcpy(err->code, e.code, sizeof e.code);
	} else {
		r = answer_str(&resp, "StreamDescriptionSummary", "StreamARN", arn,
		    "DescribeStreamSummary", err);
	}
	buf_free(&req);
	buf_free(&resp);
	return r;
}

/* DescribeStreamConsumer: 0 with *STATUS and *ARN (malloc'd), -1 with err */
static int
describe_consumer(struct aws_client *c, const char *stream_arn, const char *name,
    char **status, char **arn, struct cs_err *err)
{
	struct buf req = BUF_INIT, resp = BUF_INIT;
	int r = -1;

	*status = *arn = NULL;
	buf_adds(&req, "{\"StreamARN\":");
	json_escape_str(&req, stream_arn);
	buf_adds(&req, ",\"ConsumerName\":");
	json_escape_str(&req, name);
	buf_addc(&req, '}');
	if (aws_call(c, "DescribeStreamConsumer", req.data, req.len, &resp, err) == 0 &&
	    answer_str(&resp, "ConsumerDescription", "ConsumerStatus", status,
	    "DescribeStreamConsumer", err) == 0 &&
	    answer_str(&resp, "ConsumerDescription", "ConsumerARN", arn,
	    "DescribeStreamConsumer", err) == 0)
		r = 0;
	if (r < 0) {
		free(*status);
		free(*arn);
		*status = *arn = NULL;
	}
	buf_free(&req);
	buf_free(&resp);
	return r;
}

static int
interrupted(const volatile sig_atomic_t *stop, struct cs_err *err)
{
	if (stop && *stop) {
		cs_err_set(err, "interrupted");
		snprintf(err->code, sizeof err->code, "Interrupted");
		return 1;
	}
	return 0;
}

int
kinesis_consumer_ensure(struct aws_client *c, const char *stream_arn, const char *name,
    unsigned wait_ms, const volatile sig_atomic_t *stop, char **consumer_arn,
    int *registered, struct cs_err *err)
{
	struct buf req = BUF_INIT, resp = BUF_INIT;
	uint64_t deadline = cs_now_ms() + wait_ms;
	unsigned pause = 100;
	int r = -1;

	*consumer_arn = NULL;
	*registered = 0;
	for (;;) {
		char *status = NULL, *arn = NULL;
		struct cs_err e;
		struct timespec ts;

		cs_err_clear(&e);
		if (interrupted(stop, err))
			break;
		if (describe_consumer(c, stream_arn, name, &status, &arn, &e) == 0) {
			if (strcmp(status, "ACTIVE") == 0) {
				free(status);
				*consumer_arn = arn;
				r = 0;
				break;
			}
			free(status);
			free(arn);
		} else if (strcmp(e.code, "ResourceNotFoundException") == 0 && !*registered) {
			/* not there: register it (once; then wait for it to be ACTIVE) */
			buf_reset(&req);
			buf_adds(&req, "{\"StreamARN\":");
			json_escape_str(&req, stream_arn);
			buf_adds(&req, ",\"ConsumerName\":");
			json_escape_str(&req, name);
			buf_addc(&req, '}');
			cs_err_clear(&e);
			if (aws_call(c, "RegisterStreamConsumer", req.data, req.len, &resp, &e) == 0)
				*registered = 1;
			else if (strcmp(e.code, "ResourceInUseException") != 0) {
				/* in use: registered meanwhile by another reader, or being deleted */
				cs_err_set(err, "RegisterStreamConsumer '%s': %s", name, e.msg);
				memcpy(err->code, e.code, sizeof e.code);
				break;
			}
			continue;
		} else if (strcmp(e.code, "ResourceNotFoundException") != 0) {
			cs_err_set(err, "DescribeStreamConsumer '%s': %s", name, e.msg);
			memcpy(err->code, e.code, sizeof e.code);
			break;
		}
		if (cs_now_ms() >= deadline) {
			cs_err_set(err, "consumer '%s' is not ACTIVE after %u s", name, wait_ms / 1000);
			snprintf(err->code, sizeof err->code, "ConsumerNotActive");
			break;
		}
		ts.tv_sec = pause / 1000;
		ts.tv_nsec = (long)(pause % 1000) * 1000000L;
		nanosleep(&ts, NULL);   /* a signal cuts it short */
		if (pause < 1000)
			pause *= 2;
	}
	buf_free(&req);
	buf_free(&resp);
	return r;
}

int
kinesis_consumer_deregister(struct aws_client *c, const char *consumer_arn, struct cs_err *err)
{
	struct buf req = BUF_INIT, resp = BUF_INIT;
	struct cs_err e;
	int r = 0;

	cs_err_clear(&e);
	buf_adds(&req, "{\"ConsumerARN\":");
	json_escape_str(&req, consumer_arn);
	buf_addc(&req, '}');
	if (aws_call(c, "DeregisterStreamConsumer", req.data, req.len, &resp, &e) < 0) {
		cs_err_set(err, "DeregisterStreamConsumer: %s", e.msg);
		memcpy(err->code, e.code, sizeof e.code);
		r = -1;
	}
	buf_free(&req);
	buf_free(&resp);
	return r;
}
