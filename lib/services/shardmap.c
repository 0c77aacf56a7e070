/* shardmap.c - which shard a hash key maps to (see shardmap.h). */
#include <stdlib.h>
#include <string.h>

#include "shardmap.h"

void
shardmap_init(struct shardmap *m)
{
	memset(m, 0, sizeof *m);
}

static void
drop_next(struct shardmap *m)
{
	kinesis_shards_free(m->next, m->nnext);
	m->next = NULL;
	m->nnext = 0;
	free(m->token);
	m->token = NULL;
}

void
shardmap_free(struct shardmap *m)
{
	kinesis_shards_free(m->shards, m->nshards);
	free(m->r);
	drop_next(m);
	free(m->stream);
	buf_free(&m->body);
	shardmap_init(m);
}

static int
range_cmp(const void *a, const void *b)
{
	const struct shardmap_range *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

void
shardmap_set(struct shardmap *m, struct kinesis_shard *s, size_t n)
{
	size_t i;

	kinesis_shards_free(m->shards, m->nshards);
	free(m->r);
	m->shards = s;
	m->nshards = n;
	m->r = cs_calloc(n + 1, sizeof *m->r);
	m->n = 0;
	for (i = 0; i < n; i++) {
		struct shardmap_range *r = &m->r[m->n];

		if (s[i].seq_end || !s[i].hash_start || !s[i].hash_end ||
		    u128_parse_dec(s[i].hash_start, strlen(s[i].hash_start), &r->lo) < 0 ||
		    u128_parse_dec(s[i].hash_end, strlen(s[i].hash_end), &r->hi) < 0 || r->lo > r->hi)
			continue;
		r->shard = i;
		m->n++;
	}
	qsort(m->r, m->n, sizeof *m->r, range_cmp);
	m->loads++;
}

int
shardmap_load(struct shardmap *m, struct aws_client *c, const char *stream, struct cs_err *err)
{
	struct kinesis_shard *s = NULL;
	size_t n = 0;

	if (kinesis_list_shards(c, stream, &s, &n, err) < 0)
		return -1;
	shardmap_set(m, s, n);
	return 0;
}

static void
reload_page(struct shardmap *m);

static void
on_page(void *ctx, const struct aws_result *res)
{
	struct shardmap *m = ctx;
	char *next = NULL;
	struct cs_err e;

	cs_err_clear(&e);
	free(m->token);
	m->token = NULL;
	if (!res->ok) {
		cs_err_set(&m->err, "ListShards on '%s': %s", m->stream, res->err.msg);
	} else if (kinesis_parse_list_shards(res->body->data ? res->body->data : "", res->body->len,
	    &m->next, &m->nnext, &next, &e) < 0) {
		cs_err_set(&m->err, "ListShards on '%s': %s", m->stream, e.msg);
	} else if (next) {
		m->token = next;
		reload_page(m);
		return;
	} else {
		shardmap_set(m, m->next, m->nnext);
		m->next = NULL;
		m->nnext = 0;
	}
	drop_next(m);
	m->loading = 0;
}

static void
reload_page(struct shardmap *m)
{
	kinesis_list_shards_body(&m->body, m->stream, m->token);
	aws_submit(m->c, "ListShards", m->body.data, m->body.len, on_page, m);
}

void
shardmap_reload(struct shardmap *m, struct aws_client *c, const char *stream)
{
	if (m->loading)
		return;
	m->loading = 1;
	m->c = c;
	if (!m->stream || strcmp(m->stream, stream) != 0) {
		free(m->stream);
		m->stream = cs_strdup(stream);
	}
	drop_next(m);
	cs_err_clear(&m->err);
	reload_page(m);
}

u128
shardmap_key_hash(const char *key, size_t keylen)
{
	return kinesis_key_hash(key, keylen);
}

void
shardmap_key_hashes(const char *const *keys, const size_t *lens, size_t n, u128 *out)
{
	kinesis_key_hashes(keys, lens, n, out);
}

long
shardmap_find(const struct shardmap *m, u128 h)
{
	size_t lo = 0, hi = m->n;

	/* the last range starting at or below H */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->r[mid].lo <= h)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || h > m->r[lo - 1].hi)
		return -1;
	return (long)m->r[lo - 1].shard;
}

long
shardmap_by_id(const struct shardmap *m, const char *id)
{
	size_t i;

	for (i = 0; i < m->nshards; i++)
		if (strcmp(m->shards[i].id, id) == 0)
			return (long)i;
	return -1;
}

int
shardmap_holds(const struct shardmap *m, size_t i, u128 h)
{
	u128 lo, hi;
	const struct kinesis_shard *s;

	if (i >= m->nshards)
		return 0;
	s = &m->shards[i];
	return s->hash_start && s->hash_end &&
	    u128_parse_dec(s->hash_start, strlen(s->hash_start), &lo) == 0 &&
	    u128_parse_dec(s->hash_end, strlen(s->hash_end), &hi) == 0 && h >= lo && h <= hi;
}
