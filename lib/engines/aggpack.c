/* aggpack.c - user records packed into KPL aggregates per shard (see aggpack.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aggpack.h"
#include "kpl.h"
#include "md5.h"

#define NONE SIZE_MAX
/* aggregates made (and their MD5s taken) at once */
#define MADE 8

/* 16 bytes: a request's thousands are walked entry by entry, members of many entries between */
struct member {
	void *ctx;
	size_t next;             /* the entry's next member, NONE at the end */
};

struct pentry {
	long shard;
	size_t n, head, tail;    /* members */
	size_t bytes;            /* as PutRecords counts it: plain, or the aggregate and "a" */
	struct kpl_builder *kb;  /* NULL: alone (never aggregated) */
	struct agg_user first;   /* for the plain form */
	u128 hash;               /* the first one's hash key: the aggregate's explicit hash key */
	char ehk[40];
	unsigned long made;      /* == the packer's made: its bytes are in out[slot] */
	size_t slot;
};

struct aggpack {
	size_t max_bytes;
	const struct shardmap *m;
	struct pentry *e;
	size_t n, cap;
	size_t bytes;            /* the entries' bytes, added up */
	struct member *mem;
	size_t nmem, memcap;
	struct kpl_builder **pool;  /* builders, pool[0..npool) handed out this request */
	size_t npool, poolcap;
	struct kpl_builder empty;   /* stays empty: the size of a record alone */
	struct buf out[MADE];       /* the aggregates aggpack_entry made last */
	unsigned long made;         /* counts the makings */
	/* the open entry of each shard this request: open[s] valid when stamp[s] == gen */
	size_t *open;
	unsigned long *stamp;
	size_t nopen;
	unsigned long gen;
	/* the last placement asked for, kept for the add that follows its cost */
	const void *last_ctx, *last_data, *last_key;
	int have_last;
	u128 last_hash;
	uint64_t last_keyhash;   /* its key's MD5 (64 bits), what the key tables file it under */
	long last_shard;
	size_t last_size;        /* its open entry's size with it, when have_size */
	int have_size;
};

struct aggpack *
aggpack_new(size_t max_bytes)
{
	struct aggpack *p = cs_calloc(1, sizeof *p);

	if (max_bytes > AGG_MAX_BYTES)
		max_bytes = AGG_MAX_BYTES;
	p->max_bytes = max_bytes ? max_bytes : AGG_DEFAULT_BYTES;
	kpl_builder_init(&p->empty);
	return p;
}

void
aggpack_free(struct aggpack *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < MADE; i++)
		buf_free(&p->out[i]);
	for (i = 0; i < p->poolcap; i++)
		if (p->pool[i]) {
			kpl_builder_free(p->pool[i]);
			free(p->pool[i]);
		}
	kpl_builder_free(&p->empty);
	free(p->e);
	free(p->mem);
	free(p->pool);
	free(p->open);
	free(p->stamp);
	free(p);
}

void
aggpack_begin(struct aggpack *p, const struct shardmap *m)
{
	size_t i;

	for (i = 0; i < p->npool; i++)
		kpl_builder_reset(p->pool[i]);
	p->npool = 0;
	p->n = p->nmem = 0;
	p->bytes = 0;
	p->m = m;
	p->have_last = 0;
	p->gen++;
	if (m && m->nshards > p->nopen) {
		p->open = cs_realloc(p->open, m->nshards * sizeof *p->open);
		p->stamp = cs_realloc(p->stamp, m->nshards * sizeof *p->stamp);
		memset(p->stamp + p->nopen, 0, (m->nshards - p->nopen) * sizeof *p->stamp);
		p->nopen = m->nshards;
	}
}

u128
aggpack_hash(const struct agg_user *u)
{
	u128 h;

	if (u->ehk && u128_parse_dec(u->ehk, strlen(u->ehk), &h) == 0)
		return h;
	return shardmap_key_hash(u->key, u->keylen);
}

/* U as the builder takes it, placed (place) first, its key filed under its MD5 */
static struct kpl_record
as_kpl(const struct aggpack *p, const struct agg_user *u)
{
	struct kpl_record r = { u->key, u->keylen, u->ehk, u->ehk ? strlen(u->ehk) : 0, u->data, u->len,
		p->last_keyhash };

	return r;
}

static void
place(struct aggpack *p, const struct agg_user *u)
{
	if (p->have_last && p->last_ctx == u->ctx && p->last_data == u->data && p->last_key == u->key)
		return;
	p->have_last = 1;
	p->have_size = 0;
	p->last_ctx = u->ctx;
	p->last_data = u->data;
	p->last_key = u->key;
	p->last_hash = u->hash ? *u->hash : aggpack_hash(u);
	/*
	 * Without an explicit hash key, the hash key is the key's MD5: the
	 * key tables file the key under it (no hash of their own, the key's
	 * bytes not read again).  With one, the key's MD5 is taken here, so
	 * that a key is filed the same way whichever records it comes with:
	 * else it would be in an aggregate's table twice.
	 */
	p->last_keyhash = (uint64_t)(u->ehk ? shardmap_key_hash(u->key, u->keylen) : p->last_hash);
	if (u->hash && u->shard)
		p->last_shard = p->m ? *u->shard : -1;
	else
		p->last_shard = p->m ? shardmap_find(p->m, p->last_hash) : -1;
}

/* the open entry of U's shard, or NULL */
static struct pentry *
open_entry(struct aggpack *p)
{
	long s = p->last_shard;

	if (s < 0 || (size_t)s >= p->nopen || p->stamp[s] != p->gen)
		return NULL;
	return &p->e[p->open[s]];
}

/* 1 when U could go in an aggregate at all: placed, and small enough alone */
static int
aggregatable(struct aggpack *p, const struct agg_user *u)
{
	struct kpl_record r = as_kpl(p, u);

	return p->last_shard >= 0 && kpl_builder_size_with(&p->empty, &r) <= p->max_bytes;
}

void
aggpack_cost(struct aggpack *p, const struct agg_user *u, int *new_entry, size_t *growth)
{
	struct pentry *e;

	place(p, u);
	*new_entry = 1;
	*growth = u->len + u->keylen;
	if ((e = open_entry(p))) {
		struct kpl_record r = as_kpl(p, u);
		size_t size = kpl_builder_size_with(e->kb, &r);

		p->last_size = size;
		p->have_size = 1;
		if (size <= p->max_bytes) {
			*new_entry = 0;
			*growth = size + strlen(AGG_PARTITION_KEY) - e->bytes;
		}
	}
}

long
aggpack_cost_shard(const struct aggpack *p)
{
	return p->have_last ? p->last_shard : -1;
}

static struct kpl_builder *
builder_get(struct aggpack *p)
{
	if (p->npool == p->poolcap) {
		size_t cap = p->poolcap ? p->poolcap * 2 : 16;

		p->pool = cs_realloc(p->pool, cap * sizeof *p->pool);
		memset(p->pool + p->poolcap, 0, (cap - p->poolcap) * sizeof *p->pool);
		p->poolcap = cap;
	}
	if (!p->pool[p->npool]) {
		p->pool[p->npool] = cs_malloc(sizeof **p->pool);
		kpl_builder_init(p->pool[p->npool]);
	}
	return p->pool[p->npool++];
}

void
aggpack_add(struct aggpack *p, const struct agg_user *u)
{
	struct kpl_record r;
	struct pentry *e;
	struct member *mb;
	size_t size = 0;

	place(p, u);
	r = as_kpl(p, u);
	e = open_entry(p);
	if (e) {
		/* the cost asked just before computed it: the open entry has not changed since */
		size = p->have_size ? p->last_size : kpl_builder_size_with(e->kb, &r);
		if (size > p->max_bytes)
			e = NULL;
	}
	if (!e) {
		if (p->n == p->cap) {
			size_t cap = p->cap ? p->cap * 2 : 64;

			p->e = cs_realloc(p->e, cap * sizeof *p->e);
			memset(p->e + p->cap, 0, (cap - p->cap) * sizeof *p->e);
			p->cap = cap;
		}
		e = &p->e[p->n];
		e->shard = p->last_shard;
		e->n = 0;
		e->head = e->tail = NONE;
		e->first = *u;
		e->hash = p->last_hash;
		e->kb = NULL;
		e->made = 0;
		e->bytes = u->len + u->keylen;
		p->bytes += e->bytes;
		if (aggregatable(p, u)) {
			e->kb = builder_get(p);
			p->open[p->last_shard] = p->n;
			p->stamp[p->last_shard] = p->gen;
		}
		p->n++;
	} else {
		p->bytes -= e->bytes;
		e->bytes = size + strlen(AGG_PARTITION_KEY);
		p->bytes += e->bytes;
	}
	if (e->kb)
		kpl_builder_add(e->kb, &r);
	if (p->nmem == p->memcap) {
		p->memcap = p->memcap ? p->memcap * 2 : 1024;
		p->mem = cs_realloc(p->mem, p->memcap * sizeof *p->mem);
	}
	mb = &p->mem[p->nmem];
	mb->ctx = u->ctx;
	mb->next = NONE;
	if (e->tail == NONE)
		e->head = p->nmem;
	else
		p->mem[e->tail].next = p->nmem;
	e->tail = p->nmem++;
	e->n++;
	p->have_last = 0;
}

size_t
aggpack_count(const struct aggpack *p)
{
	return p->n;
}

size_t
aggpack_bytes(const struct aggpack *p)
{
	return p->bytes;
}

void
aggpack_members(struct aggpack *p, size_t i, struct agg_entry *out, void **ctx)
{
	struct pentry *e = &p->e[i];
	size_t j, k;

	out->shard = e->shard;
	out->n = e->n;
	if (e->n == 1) {
		out->data = e->first.data;
		out->len = e->first.len;
		out->key = e->first.key;
		out->keylen = e->first.keylen;
		out->ehk = e->first.ehk;
	} else {
		u128_fmt_dec(e->ehk, e->hash);
		out->data = NULL;
		out->len = kpl_builder_size(e->kb);
		out->key = AGG_PARTITION_KEY;
		out->keylen = strlen(AGG_PARTITION_KEY);
		out->ehk = e->ehk;
	}
	if (ctx)
		for (j = e->head, k = 0; j != NONE; j = p->mem[j].next)
			ctx[k++] = p->mem[j].ctx;
}

/* the bytes of aggregate I and of the next ones after it, up to MADE: their MD5s taken at once */
static void
make(struct aggpack *p, size_t i)
{
	const void *pb[MADE] = { 0 };
	size_t n[MADE] = { 0 }, start[MADE], k = 0;
	unsigned char md[MADE][16];

	p->made++;
	for (; i < p->n && k < MADE; i++) {
		struct pentry *e = &p->e[i];

		if (e->n < 2)
			continue;
		buf_reset(&p->out[k]);
		start[k] = kpl_builder_write(e->kb, &p->out[k]);
		pb[k] = p->out[k].data + start[k];
		n[k] = p->out[k].len - start[k];
		e->made = p->made;
		e->slot = k++;
	}
	md5_many(pb, n, k, md);
	for (i = 0; i < k; i++)
		buf_add(&p->out[i], md[i], KPL_DIGEST_LEN);
}

void
aggpack_entry(struct aggpack *p, size_t i, struct agg_entry *out, void **ctx)
{
	struct pentry *e = &p->e[i];

	aggpack_members(p, i, out, ctx);
	if (out->n > 1) {
		if (e->made != p->made || !e->made)
			make(p, i);
		out->data = p->out[e->slot].data;
		out->len = p->out[e->slot].len;
	}
}
