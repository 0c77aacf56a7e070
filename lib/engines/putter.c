/*
 * putter.c - PutRecords batching and per-entry retries (see putter.h).
 * Its parts live apart: the records in a pool (lib/base/pool.h), their
 * results in input order in a ring (lib/base/seqring.h), the keys in
 * flight in lib/engines/keyorder.h, the request body and the answer in
 * the Kinesis layer (lib/services/putrecords.h); aggregating, the KPL
 * aggregates in lib/engines/aggpack.h and each shard's pacing to its
 * write limits in lib/engines/shardrate.h.
 */
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "aggpack.h"
#include "json.h"
#include "keyorder.h"
#include "pool.h"
#include "putrecords.h"
#include "putter.h"
#include "retry.h"
#include "seqring.h"
#include "shardrate.h"
#include "u128.h"

enum { R_PENDING, R_INFLIGHT, R_DONE };

/* records asked for this far ahead of a loop over a request's (prefetched) */
#define PREFETCH 8

/* one record in the engine, its bytes after it (from the record pool) */
struct rec {
	struct rec *next;        /* in its pending list */
	size_t q;                /* which pending list: its shard's when aggregating */
	struct pool_chunk *chunk;
	uint64_t seq;
	uint64_t keyhash;        /* with ORDERED_KEYS */
	struct keyorder_ent *kent; /* with ORDERED_KEYS, while in flight: its key's entry */
	uint64_t due_ms;         /* should leave by then (arrival + linger, or retry time) */
	uint64_t ready_ms;       /* not before (retry backoff) */
	uint64_t first_ms;       /* first attempt */
	unsigned attempts;
	int state;
	int ok;
	int http_status;
	const char *source;
	uint64_t line;
	void *ctx;
	char *data, *key, *ehk;
	size_t len, keylen;
	long subseq;             /* its index in the aggregate it was last sent in, -1: plain */
	uint64_t hash_hi, hash_lo; /* aggregating: its hash key, once staged (the pool aligns to 8) */
	char *res_a, *res_b;     /* shard id + sequence number, or code + message */
	struct shared_res *res;  /* or these, shared by the records of one aggregate */
};

/* The result of an accepted aggregate, kept once for its records that wait for their turn. */
struct shared_res {
	unsigned long refs;
	char *a, *b;
};

static struct shared_res *
shared_new(const char *a, const char *b)
{
	size_t la = strlen(a) + 1, lb = strlen(b) + 1;
	struct shared_res *s = cs_malloc(sizeof *s + la + lb);

	s->refs = 1;
	s->a = (char *)(s + 1);
	s->b = s->a + la;
	memcpy(s->a, a, la);
	memcpy(s->b, b, lb);
	return s;
}

static void
shared_put(struct shared_res *s)
{
	if (s && --s->refs == 0)
		free(s);
}

/*
 * One PutRecords request: N entries (Kinesis records) of BYTES, holding
 * NRECS records.  Entry I holds recs[first[I] .. first[I + 1]); without
 * aggregation each entry is one record (FIRST is NULL).
 */
struct batch {
	struct putter *p;
	unsigned long no;
	size_t n, bytes;
	size_t nrecs, cap;
	struct rec **recs;
	size_t *first;
	char **predicted;        /* aggregating: entry I's predicted shard id (NULL: not placed) */
};

struct putter {
	struct put_config cfg;
	struct aws_client *c;
	struct retry_policy pol;
	uint64_t rng;
	/*
	 * The pending records, each list in input order.  Aggregating, one
	 * list per shard (q[s] for the shard of index s in the map, the last
	 * for records no shard holds): a build takes them merged by input
	 * order, and passes over a shard out of allowance without walking
	 * its records.  Else one list.
	 */
	struct pendq {
		struct rec *head, *tail;
	} *q;
	size_t nq, qcap;
	unsigned long q_loads;   /* the map's loads the lists are placed by */
	struct rec **cur, **prev;  /* build: each list's next record, and the one before it */
	/* build: the lists with records left, by their next record's seq (kept here: no look at the record) */
	struct heapent {
		uint64_t seq;
		size_t q;
	} *heap;
	size_t nheap;
	/* aggregating: the last records added, their keys' MD5s to be taken eight at once */
	struct rec *stage[8];
	size_t nstage;
	size_t npending;
	size_t nretries;         /* pending records waiting for a retry (out of arrival order) */
	size_t pending_bytes;
	uint64_t now_ms;         /* the clock as of the last pump: a cheap "now" for new records */
	unsigned inflight;       /* batches */
	int flushing, interrupted, hard;
	int stalled;             /* the last build found nothing it could take */
	uint64_t wake_ms;        /* the earliest retry that is not ready yet */
	/*
	 * Aggregating: the last build stopped with every shard out of
	 * allowance, the map's load it was of, and until when: no build
	 * before then could take a record, unless an answer comes in between.
	 */
	uint64_t out_until;
	unsigned long out_loads;
	unsigned long ehk_added;   /* records added with an explicit hash key */
	unsigned long batchno;
	/* input order */
	uint64_t next_seq;
	unsigned long ndone;     /* DONE called */
	struct seqring ring;     /* ORDERED: outstanding records by seq */
	size_t window;
	struct keyorder keys;    /* ORDERED_KEYS: keys in flight */
	/* failure for good */
	int failed;
	struct cs_err err;
	char *fail_code;
	struct put_stats stats;
	struct buf body;
	struct json_doc doc;
	struct buf tmp;
	struct pool pool;        /* the records */
	struct aggpack *agg;     /* AGGREGATE_BYTES: the packer */
	struct shardrate rate;   /* AGGREGATE_BYTES: each shard paced to its write limits */
};

static void
rec_free(struct putter *p, struct rec *r)
{
	free(r->res_a);
	free(r->res_b);
	shared_put(r->res);
	pool_put(&p->pool, r->chunk);
}

/* --- the pending lists -------------------------------------------------------- */

/* N empty pending lists (the records they held are elsewhere by now) */
static void
queues_reset(struct putter *p, size_t n)
{
	if (n > p->qcap) {
		p->q = cs_realloc(p->q, n * sizeof *p->q);
		p->cur = cs_realloc(p->cur, n * sizeof *p->cur);
		p->prev = cs_realloc(p->prev, n * sizeof *p->prev);
		p->heap = cs_realloc(p->heap, n * sizeof *p->heap);
		p->qcap = n;
	}
	memset(p->q, 0, n * sizeof *p->q);
	p->nq = n;
}

/* the list of R: its shard's when aggregating (its hash key worked out when staged), else the one */
static size_t
queue_of(struct putter *p, struct rec *r)
{
	long s;

	if (!p->agg)
		return 0;
	s = shardmap_find(p->cfg.map, (u128)r->hash_hi << 64 | r->hash_lo);
	return s >= 0 && (size_t)s + 1 < p->nq ? (size_t)s : p->nq - 1;
}

static void
queue_append(struct putter *p, struct rec *r)
{
	struct pendq *q = &p->q[r->q];

	r->next = NULL;
	if (q->tail)
		q->tail->next = r;
	else
		q->head = r;
	q->tail = r;
}

static struct rec *sort_list(struct rec *list);

/*
 * Every pending record, taken off the lists, as one list in input order
 * (the lists chained, then sorted: not a scan of every list per record,
 * which cost the pending records times the shards of the map).
 */
static struct rec *
take_all(struct putter *p)
{
	struct rec *all = NULL, **t = &all;
	size_t i;

	for (i = 0; i < p->nq; i++) {
		if (!p->q[i].head)
			continue;
		*t = p->q[i].head;
		t = &p->q[i].tail->next;
		p->q[i].head = p->q[i].tail = NULL;
	}
	*t = NULL;
	return p->nq > 1 ? sort_list(all) : all;
}

/* aggregating: the records placed again by the map as it is now, if it was read again since */
static void
queues_sync(struct putter *p)
{
	struct rec *all, *r;

	if (!p->agg || p->q_loads == p->cfg.map->loads)
		return;
	all = take_all(p);
	queues_reset(p, p->cfg.map->nshards + 1);
	p->q_loads = p->cfg.map->loads;
	while ((r = all)) {
		all = r->next;
		r->q = queue_of(p, r);
		queue_append(p, r);
	}
}

/*
 * Aggregating: the records staged by putter_add get their hash keys (the
 * MD5s of their partition keys, eight at a time: md5_many) and go to
 * their shards' lists, in input order.  Done before anything looks at the
 * lists.
 */
static void
stage_flush(struct putter *p)
{
	const char *keys[8];
	size_t lens[8], i, n = 0;
	struct rec *todo[8];
	u128 h[8];

	if (!p->nstage)
		return;
	for (i = 0; i < p->nstage; i++)
		if (!p->stage[i]->ehk) {  /* with one, its hash key was set when it came */
			todo[n] = p->stage[i];
			keys[n] = todo[n]->key;
			lens[n] = todo[n]->keylen;
			n++;
		}
	shardmap_key_hashes(keys, lens, n, h);
	for (i = 0; i < n; i++) {
		todo[i]->hash_hi = (uint64_t)(h[i] >> 64);
		todo[i]->hash_lo = (uint64_t)h[i];
	}
	queues_sync(p);
	for (i = 0; i < p->nstage; i++) {
		struct rec *r = p->stage[i];

		r->q = queue_of(p, r);
		queue_append(p, r);
	}
	p->nstage = 0;
}

/*
 * The lists being merged by input order in a build: a heap of list
 * indexes, by the seq of each one's next record (p->cur).
 */
static void
heap_push(struct putter *p, size_t i)
{
	size_t k = p->nheap++;
	uint64_t seq = p->cur[i]->seq;

	while (k > 0 && seq < p->heap[(k - 1) / 2].seq) {
		p->heap[k] = p->heap[(k - 1) / 2];
		k = (k - 1) / 2;
	}
	p->heap[k].seq = seq;
	p->heap[k].q = i;
}

/* the top's next record moved on (its seq now SEQ): the top back in its place */
static void
heap_down(struct putter *p, uint64_t seq)
{
	size_t k = 0, c;
	struct heapent top = { seq, p->heap[0].q };

	while ((c = 2 * k + 1) < p->nheap) {
		if (c + 1 < p->nheap && p->heap[c + 1].seq < p->heap[c].seq)
			c++;
		if (p->heap[c].seq >= top.seq)
			break;
		p->heap[k] = p->heap[c];
		k = c;
	}
	p->heap[k] = top;
}

static void
heap_drop_top(struct putter *p)
{
	p->heap[0] = p->heap[--p->nheap];
	if (p->nheap)
		heap_down(p, p->heap[0].seq);
}

/*
 * Aggregating, the records read ahead that may wait.  A request holds
 * thousands of user records: room for a few requests' worth, but the
 * shards' write limits pace them out at 1 MiB a second each, so two
 * seconds' worth of the open shards (at 256 bytes a record) is all the
 * backlog that can be of use.  More only holds memory, and the records
 * wait so long that they have left the caches when they go (on 4 shards,
 * the few requests' worth was 25 s of records).
 */
static size_t
agg_window(const struct putter *p)
{
	size_t most = (size_t)(p->cfg.parallel + 1) * AGG_BATCH_RECORDS;
	size_t paced = p->cfg.map->n * (2 * (1u << 20) / 256);

	if (paced < AGG_BATCH_RECORDS)
		paced = AGG_BATCH_RECORDS;
	return paced < most ? paced : most;
}

struct putter *
putter_new(const struct put_config *cfg, struct aws_client *c)
{
	struct putter *p = cs_calloc(1, sizeof *p);

	p->cfg = *cfg;
	if (!p->cfg.parallel)
		p->cfg.parallel = 4;
	if (!p->cfg.max_records || p->cfg.max_records > PUT_MAX_RECORDS)
		p->cfg.max_records = PUT_MAX_RECORDS;
	if (!p->cfg.retry_budget_ms)
		p->cfg.retry_budget_ms = RETRY_BUDGET_MS;
	p->c = c;
	retry_policy_default(&p->pol);
	p->pol.budget_ms = p->cfg.retry_budget_ms;
	p->pol.max_attempts = p->cfg.max_attempts;
	p->rng = retry_seed();
	p->window = (size_t)p->cfg.parallel * p->cfg.max_records + PUT_MAX_RECORDS * 2;
	if (p->cfg.aggregate_bytes && p->cfg.map) {
		p->agg = aggpack_new(p->cfg.aggregate_bytes);
		shardrate_init(&p->rate, p->cfg.map, p->cfg.aggregate_bytes);
		p->window = agg_window(p);
	} else {
		p->cfg.aggregate_bytes = 0;
	}
	queues_reset(p, p->agg ? p->cfg.map->nshards + 1 : 1);
	if (p->agg)
		p->q_loads = p->cfg.map->loads;
	if (p->cfg.ordered)
		seqring_init(&p->ring, p->window);
	if (p->cfg.ordered_keys)
		keyorder_init(&p->keys);
	json_doc_init(&p->doc, 8);
	return p;
}

void
putter_free(struct putter *p)
{
	struct rec *r, *n;
	size_t i;

	if (!p)
		return;
	/*
	 * Only records still here if the caller gave up early.  The ring
	 * first: it points at pending records too (not DONE, not freed
	 * there), which the lists then free.
	 */
	if (p->cfg.ordered) {
		for (i = 0; i <= p->ring.mask; i++) {
			struct rec *x = seqring_slot(&p->ring, i);

			if (x && x->state == R_DONE)
				rec_free(p, x);
		}
		seqring_free(&p->ring);
	}
	for (i = 0; i < p->nstage; i++)
		rec_free(p, p->stage[i]);
	for (i = 0; i < p->nq; i++)
		for (r = p->q[i].head; r; r = n) {
			n = r->next;
			rec_free(p, r);
		}
	free(p->q);
	free(p->cur);
	free(p->prev);
	free(p->heap);
	if (p->cfg.ordered_keys)
		keyorder_free(&p->keys);
	pool_free(&p->pool);
	aggpack_free(p->agg);
	shardrate_free(&p->rate);
	free(p->fail_code);
	buf_free(&p->body);
	buf_free(&p->tmp);
	json_doc_free(&p->doc);
	free(p);
}

/* --- results ---------------------------------------------------------------- */

/* DONE for R, with its results A and B (shard + sequence number, or code + message) */
static void
call_done(struct putter *p, struct rec *r, const char *a, const char *b)
{
	struct put_record pr = { r->seq, r->data, r->len, r->key, r->keylen, r->ehk,
		r->source, r->line, r->ctx };
	struct put_result res = { 0 };

	res.ok = r->ok;
	res.attempts = r->attempts;
	res.subseq = r->subseq;
	if (r->ok) {
		res.shard_id = a;
		res.sequence_number = b;
	} else {
		res.code = a;
		res.message = b;
		res.http_status = r->http_status;
	}
	if (p->cfg.done)
		p->cfg.done(p->cfg.arg, &pr, &res);
	p->ndone++;
	rec_free(p, r);
}

static void
emit(struct putter *p)
{
	struct rec *r;

	while ((r = seqring_front(&p->ring)) && r->state == R_DONE) {
		seqring_pop(&p->ring);
		call_done(p, r, r->res ? r->res->a : r->res_a, r->res ? r->res->b : r->res_b);
	}
}

/*
 * R's fate is known: A and B are shard + sequence number, or code +
 * message; SHARED (may be NULL) holds the same two, for R to keep
 * instead of copies while it waits for its turn.
 */
static void
complete_shared(struct putter *p, struct rec *r, int ok, const char *a, const char *b,
    struct shared_res *shared)
{
	r->state = R_DONE;
	r->ok = ok;
	if (ok) {
		p->stats.delivered++;
		p->stats.bytes += r->len;
	} else {
		p->stats.rejected++;
	}
	if (!p->cfg.ordered) {
		call_done(p, r, a ? a : "", b ? b : "");
	} else if (r->seq == p->ring.next) {
		/* the next in input order: no need to keep the results */
		seqring_pop(&p->ring);
		call_done(p, r, a ? a : "", b ? b : "");
		emit(p);
	} else if (shared) {
		shared->refs++;
		r->res = shared;
	} else {
		r->res_a = cs_strdup(a ? a : "");
		r->res_b = cs_strdup(b ? b : "");
	}
}

static void
complete(struct putter *p, struct rec *r, int ok, const char *a, const char *b)
{
	complete_shared(p, r, ok, a, b, NULL);
}

static struct rec *
rec_new(struct putter *p, const char *data, size_t len, const char *key, size_t keylen,
    const char *ehk, const char *source, uint64_t line, void *ctx)
{
	size_t ehklen = ehk ? strlen(ehk) : 0;
	struct pool_chunk *c;
	struct rec *r = pool_get(&p->pool, sizeof *r + len + 1 + keylen + 1 + (ehk ? ehklen + 1 : 0),
	    &c);
	char *s = (char *)(r + 1);

	memset(r, 0, sizeof *r);
	r->chunk = c;
	r->data = s;
	memcpy(s, data, len);
	s[len] = '\0';
	r->len = len;
	r->key = s + len + 1;
	if (keylen)
		memcpy(r->key, key, keylen);
	r->key[keylen] = '\0';
	r->keylen = keylen;
	if (ehk) {
		r->ehk = r->key + keylen + 1;
		memcpy(r->ehk, ehk, ehklen + 1);
	}
	r->source = source;
	r->line = line;
	r->ctx = ctx;
	r->subseq = -1;
	r->seq = p->next_seq++;
	if (p->cfg.ordered)
		seqring_set(&p->ring, r->seq, r);
	p->stats.records++;
	return r;
}

uint64_t
putter_reject(struct putter *p, const char *data, size_t len, const char *source,
    uint64_t line, const char *code, const char *message, void *ctx)
{
	struct rec *r = rec_new(p, data, len, NULL, 0, NULL, source, line, ctx);
	uint64_t seq = r->seq;

	complete(p, r, 0, code, message);
	return seq;
}

uint64_t
putter_add(struct putter *p, const char *data, size_t len, const char *key, size_t keylen,
    const char *ehk, const char *source, uint64_t line, void *ctx)
{
	struct rec *r;
	u128 v;
	size_t chars;
	uint64_t seq;

	if (p->failed) {
		r = rec_new(p, data, len, NULL, 0, NULL, source, line, ctx);
		seq = r->seq;
		r->http_status = p->err.http_status;
		complete(p, r, 0, p->fail_code, p->err.msg);
		return seq;
	}
	if (len + keylen > PUT_MAX_RECORD_BYTES) {
		buf_reset(&p->tmp);
		buf_printf(&p->tmp, "record of %zu bytes (data and partition key) is over the limit of %u bytes",
		    len + keylen, PUT_MAX_RECORD_BYTES);
		return putter_reject(p, data, len, source, line, "RecordTooLarge", p->tmp.data, ctx);
	}
	chars = utf8_len(key, keylen);
	if (chars < 1 || chars > PUT_MAX_KEY_CHARS) {
		buf_reset(&p->tmp);
		buf_printf(&p->tmp, "partition key of %zu characters: it must have 1 to %d",
		    chars, PUT_MAX_KEY_CHARS);
		return putter_reject(p, data, len, source, line, "InvalidPartitionKey", p->tmp.data, ctx);
	}
	if (ehk && u128_parse_dec(ehk, strlen(ehk), &v) != 0) {
		buf_reset(&p->tmp);
		buf_adds(&p->tmp, "explicit hash key ");
		json_escape_str(&p->tmp, ehk);
		buf_adds(&p->tmp, " is not a decimal number from 0 to 2^128-1");
		return putter_reject(p, data, len, source, line, "InvalidExplicitHashKey", p->tmp.data, ctx);
	}
	r = rec_new(p, data, len, key, keylen, ehk, source, line, ctx);
	seq = r->seq;
	if (ehk)
		p->ehk_added++;
	if (p->cfg.ordered_keys)
		r->keyhash = keyorder_hash(key, keylen);
	if (!p->now_ms)
		p->now_ms = cs_now_ms();
	r->due_ms = p->now_ms + p->cfg.linger_ms;
	r->state = R_PENDING;
	if (p->agg) {
		/* its hash key: the explicit hash key just read, else its key's MD5, eight at once */
		if (ehk) {
			r->hash_hi = (uint64_t)(v >> 64);
			r->hash_lo = (uint64_t)v;
		}
		p->stage[p->nstage++] = r;
		if (p->nstage == sizeof p->stage / sizeof p->stage[0])
			stage_flush(p);
	} else {
		r->q = 0;
		queue_append(p, r);
	}
	p->npending++;
	p->pending_bytes += len + keylen;
	return seq;
}

int
putter_accepting(const struct putter *p)
{
	return p->next_seq - p->ndone < p->window;
}

unsigned long
putter_outstanding(const struct putter *p)
{
	return (unsigned long)(p->next_seq - p->ndone);
}

void
putter_flush(struct putter *p)
{
	p->flushing = 1;
}

/* drop every pending record as rejected with CODE and MSG */
static void
reject_pending(struct putter *p, const char *code, const char *msg)
{
	struct rec *r, *next;

	stage_flush(p);
	/* in input order, as they came */
	for (r = take_all(p); r; r = next) {
		next = r->next;
		r->next = NULL;
		complete(p, r, 0, code, msg);
	}
	p->npending = 0;
	p->nretries = 0;
	p->pending_bytes = 0;
}

void
putter_interrupt(struct putter *p, int hard)
{
	p->interrupted = 1;
	p->flushing = 1;
	if (hard && !p->hard) {
		p->hard = 1;
		if (p->c)
			aws_cancel_retries(p->c);
		reject_pending(p, "Interrupted", "not sent: interrupted");
	}
}

int
putter_failed(const struct putter *p, struct cs_err *err)
{
	if (p->failed && err)
		*err = p->err;
	return p->failed;
}

const struct put_stats *
putter_stats(const struct putter *p)
{
	return &p->stats;
}

/* --- batches ---------------------------------------------------------------- */

static struct batch *
batch_new(struct putter *p)
{
	struct batch *b = cs_calloc(1, sizeof *b);

	b->p = p;
	b->cap = p->agg ? 1024 : p->cfg.max_records;
	b->recs = cs_malloc(b->cap * sizeof *b->recs);
	return b;
}

static void
batch_free(struct batch *b)
{
	size_t i;

	if (b->predicted)
		for (i = 0; i < b->n; i++)
			free(b->predicted[i]);
	free(b->predicted);
	free(b->first);
	free(b->recs);
	free(b);
}

static void
batch_push(struct batch *b, struct rec *r)
{
	if (b->nrecs == b->cap) {
		b->cap *= 2;
		b->recs = cs_realloc(b->recs, b->cap * sizeof *b->recs);
	}
	b->recs[b->nrecs++] = r;
}

/* the records of B (taken in input order) grouped by the aggregates the packer made */
static void
batch_group(struct putter *p, struct batch *b)
{
	const struct shardmap *m = p->cfg.map;
	size_t i, j, k = 0;

	b->n = aggpack_count(p->agg);
	b->bytes = aggpack_bytes(p->agg);
	b->first = cs_malloc((b->n + 1) * sizeof *b->first);
	b->predicted = cs_calloc(b->n + 1, sizeof *b->predicted);
	for (i = 0; i < b->n; i++) {
		struct agg_entry e;

		b->first[i] = k;
		aggpack_members(p->agg, i, &e, (void **)b->recs + k);
		for (j = 0; j < e.n; j++) {
			if (j + PREFETCH < e.n)
				__builtin_prefetch(b->recs[k + j + PREFETCH], 1);
			b->recs[k + j]->subseq = e.n > 1 ? (long)j : -1;
		}
		if (e.shard >= 0)
			b->predicted[i] = cs_strdup(m->shards[e.shard].id);
		k += e.n;
	}
	b->first[b->n] = k;
}

/*
 * Take what may leave now from the pending lists (merged by input order)
 * into a new batch (NULL: nothing).
 */
static struct batch *
build(struct putter *p, uint64_t now)
{
	struct batch *b = NULL;
	struct rec *r, *next;
	int ok = p->cfg.ordered_keys;
	unsigned misses = 0, rate_misses = 0;
	size_t shards_blocked = 0, i;
	/*
	 * A shard out of allowance in this build: its later records wait too,
	 * and are not looked at, unless a key may have records on other shards
	 * (explicit hash keys) that they must hold back.
	 */
	int skip_blocked = p->agg && !(ok && p->ehk_added);

	p->wake_ms = 0;
	p->out_until = 0;
	if (ok)
		keyorder_begin(&p->keys);
	if (p->agg) {
		queues_sync(p);
		aggpack_begin(p->agg, p->cfg.map);
		shardrate_begin(&p->rate);
	}
	p->nheap = 0;
	for (i = 0; i < p->nq; i++) {
		p->prev[i] = NULL;
		if ((p->cur[i] = p->q[i].head))
			heap_push(p, i);
	}
	while (p->nheap) {
		size_t qi = p->heap[0].q, size;
		int take, full = 0, entry = 0;
		/* aggregating, the lists are the shards of the map as it is now */
		long shard = p->agg && qi + 1 < p->nq ? (long)qi : -1;
		u128 h;
		struct agg_user u;

		r = p->cur[qi];
		p->stats.looked_at++;
		if (skip_blocked && shardrate_blocked(&p->rate, shard)) {
			heap_drop_top(p);
			continue;
		}
		next = p->cur[qi] = r->next;
		if (next) {
			/*
			 * Its next one is looked at a few records from now: asked for
			 * now, it is in the cache by then (the records of a request
			 * are megabytes, read once in arrival order).
			 */
			if (next->next) {
				const char *h = (const char *)next->next;

				/* its header's three lines (the build reads a field of each) */
				__builtin_prefetch(h);
				__builtin_prefetch(h + 64);
				__builtin_prefetch(h + 128);
			}
			heap_down(p, next->seq);
		} else {
			heap_drop_top(p);
		}
		size = r->len + r->keylen;
		take = r->ready_ms <= now;
		u = (struct agg_user){ r->key, r->keylen, r->ehk, r->data, r->len, r, NULL, NULL };
		if (!take && (!p->wake_ms || r->ready_ms < p->wake_ms))
			p->wake_ms = r->ready_ms;
		if (take && p->agg) {
			uint64_t wake = 0;

			h = (u128)r->hash_hi << 64 | r->hash_lo;
			u.hash = &h;
			u.shard = &shard;  /* its list's */
			if (shardrate_blocked(&p->rate, shard)) {
				take = 0;
				goto decided;
			}
			/* the request's limits count Kinesis records: aggregates, or records sent plain */
			aggpack_cost(p->agg, &u, &entry, &size);
			shard = aggpack_cost_shard(p->agg);
			full = b && ((entry && b->n >= p->cfg.max_records) ||
			    b->bytes + size > PUT_MAX_BATCH_BYTES);
			if (!full && !shardrate_allows(&p->rate, shard, entry, size, now, &wake)) {
				take = 0;
				if (!p->wake_ms || wake < p->wake_ms)
					p->wake_ms = wake;
				/* every shard out of allowance: nothing further can go, nor until the earliest wake */
				if (shardrate_block(&p->rate, shard) && ++shards_blocked >= p->cfg.map->n) {
					p->out_until = p->wake_ms;
					p->out_loads = p->cfg.map->loads;
					break;
				}
				/* other shards' records may still go, but not at any cost of looking */
				if (++rate_misses > 4096)
					break;
			}
		} else if (take && b) {
			full = b->bytes + size > PUT_MAX_BATCH_BYTES;
		}
decided:
		if (full) {
			/*
			 * Keeping each key's order, a smaller record further on may still
			 * fit; but a request holds thousands of records when aggregating:
			 * looking at every pending one each time would cost more than it packs.
			 */
			if (!ok || (p->agg && ++misses > 64))
				break;
			take = 0;
		}
		/*
		 * A record held back by its shard's allowance holds back the later
		 * records of its key by that alone while every record of a key maps
		 * to the same shard (no explicit hash key): the shard stays blocked
		 * for the rest of the build.
		 */
		if (ok && !(p->agg && !p->ehk_added && !take && shardrate_blocked(&p->rate, shard)))
			take = (r->kent = keyorder_take_ent(&p->keys, r->key, r->keylen, r->keyhash,
			    take)) != NULL;
		if (!take) {
			p->prev[qi] = r;
			continue;
		}
		if (!b)
			b = batch_new(p);
		if (p->prev[qi])
			p->prev[qi]->next = next;
		else
			p->q[qi].head = next;
		if (p->q[qi].tail == r)
			p->q[qi].tail = p->prev[qi];
		r->next = NULL;
		p->npending--;
		if (r->ready_ms)
			p->nretries--;
		p->pending_bytes -= r->len + r->keylen;
		batch_push(b, r);
		if (p->agg) {
			shardrate_charge(&p->rate, shard, entry, size, now);
			aggpack_add(p->agg, &u);
			b->n = aggpack_count(p->agg);
			b->bytes = aggpack_bytes(p->agg);
			continue;
		}
		b->n++;
		b->bytes += size;
		if (b->n >= p->cfg.max_records)
			break;
	}
	if (ok)
		keyorder_end(&p->keys);
	if (b && p->agg)
		batch_group(p, b);
	return b;
}

static int
by_seq(const void *x, const void *y)
{
	const struct rec *a = *(struct rec *const *)x, *b = *(struct rec *const *)y;

	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* LIST in input order (aggregates group records by shard, not in input order) */
static struct rec *
sort_list(struct rec *list)
{
	struct rec *r, **v;
	size_t n = 0, i;

	for (r = list; r; r = r->next)
		n++;
	if (n < 2)
		return list;
	v = cs_malloc(n * sizeof *v);
	for (r = list, i = 0; r; r = r->next)
		v[i++] = r;
	qsort(v, n, sizeof *v, by_seq);
	for (i = 0; i + 1 < n; i++)
		v[i]->next = v[i + 1];
	v[n - 1]->next = NULL;
	list = v[0];
	free(v);
	return list;
}

/* LIST (in input order) merged into pending list I by input order */
static void
merge_into(struct putter *p, size_t i, struct rec *list)
{
	struct pendq *q = &p->q[i];
	struct rec head = { 0 }, *t = &head, *a = q->head;

	while (a && list) {
		if (list->seq < a->seq) {
			t->next = list;
			list = list->next;
		} else {
			t->next = a;
			a = a->next;
		}
		t = t->next;
	}
	t->next = a ? a : list;
	q->head = head.next;
	if (!a)
		for (q->tail = t; q->tail->next; q->tail = q->tail->next)
			;
}

/* put the retried records (a list in input order) back among the pending ones */
static void
requeue(struct putter *p, struct rec *list)
{
	struct rec *r, *n;
	struct pendq *parts;
	size_t i;

	stage_flush(p);
	queues_sync(p);
	parts = cs_calloc(p->nq, sizeof *parts);
	for (r = list; r; r = n) {
		n = r->next;
		p->npending++;
		p->nretries++;
		p->pending_bytes += r->len + r->keylen;
		r->q = queue_of(p, r);
		r->next = NULL;
		if (parts[r->q].tail)
			parts[r->q].tail->next = r;
		else
			parts[r->q].head = r;
		parts[r->q].tail = r;
	}
	for (i = 0; i < p->nq; i++)
		if (parts[i].head)
			merge_into(p, i, parts[i].head);
	free(parts);
}

static int
is_fatal(const struct putter *p, const struct aws_result *res)
{
	int st = res->err.http_status;

	if (p->hard || strcmp(res->err.code, "Interrupted") == 0)
		return 0; /* a signal, not the service, ended it */
	if (st == 0 || retry_is_fatal(st, res->err.code))
		return 1; /* no answer within the budget, no credentials, no stream */
	/*
	 * More than the shared classifier, on purpose: every entry of a
	 * PutRecords request was checked before it was sent (size, key,
	 * explicit hash key), so any other client error is about what all
	 * requests share (the stream, the account), not one record.  cs-store
	 * cannot say that of a BatchWriteItem, and splits instead.
	 */
	return st >= 400 && st < 500 && !retry_is_throttle(res->err.code);
}

static void
batch_failed(struct putter *p, struct batch *b, const char *code, const char *msg, int status)
{
	size_t i;

	for (i = 0; i < b->nrecs; i++) {
		b->recs[i]->http_status = status;
		complete(p, b->recs[i], 0, code, msg);
	}
}

/*
 * Entry I of B was accepted on SHARD: 1 when its records may count as
 * delivered there.  An entry placed by a map that is out of date (the
 * stream was resharded) lands where Kinesis now puts its explicit hash
 * key: the map is read again, and an aggregate some of whose records do
 * not belong to that shard has all of them put again (a KCL consumer
 * skips the whole aggregate: its records must arrive again, on their own
 * shards), onto *RT, the retry list.
 */
static int
landed_right(struct putter *p, struct batch *b, size_t i, const char *shard, const char *seq,
    uint64_t now, struct rec ***rt)
{
	struct shardmap *m = p->cfg.map;
	size_t j, first = b->first[i], last = b->first[i + 1];
	long si;
	int fits = 1;

	if (!b->predicted[i] || strcmp(b->predicted[i], shard) == 0)
		return 1;
	p->stats.wrong_shard++;
	if (p->c)
		shardmap_reload(m, p->c, p->cfg.stream);
	if (last - first < 2)
		return 1;  /* a plain record: Kinesis placed it by its own key */
	si = shardmap_by_id(m, shard);
	/* every record of an aggregate had its hash key worked out when it was packed */
	for (j = first; j < last && fits; j++)
		fits = si >= 0 && shardmap_holds(m, (size_t)si,
		    (u128)b->recs[j]->hash_hi << 64 | b->recs[j]->hash_lo);
	if (fits)
		return 1;
	p->stats.kinesis_records++;  /* in the stream all the same */
	for (j = first; j < last; j++) {
		struct rec *r = b->recs[j];

		/* past its budget it stays where it landed: there, at least, it is in the stream */
		if (p->interrupted || p->failed || !retry_allowed(&p->pol, r->attempts,
		    now - r->first_ms, 0)) {
			complete(p, r, 1, shard, seq);
			continue;
		}
		r->ready_ms = r->due_ms = now;
		r->state = R_PENDING;
		**rt = r;
		*rt = &r->next;
		p->stats.entry_retries++;
	}
	return 0;
}

static void
on_answer(void *ctx, const struct aws_result *res)
{
	struct batch *b = ctx;
	struct putter *p = b->p;
	struct rec *retry = NULL, **rt = &retry;
	struct buf a = BUF_INIT, m = BUF_INIT;
	uint64_t now = cs_now_ms();
	size_t i;
	int t;

	p->inflight--;
	p->stalled = 0;
	p->out_until = 0;
	if (p->cfg.ordered_keys)
		for (i = 0; i < b->nrecs; i++) {
			/* thousands of records, aggregating, long out of the cache: asked for ahead */
			if (i + PREFETCH < b->nrecs)
				__builtin_prefetch(b->recs[i + PREFETCH]);
			keyorder_release(&p->keys, b->recs[i]->kent);
		}
	if (!res->ok) {
		const char *code = res->err.code[0] ? res->err.code : "RequestFailed";
		const char *msg = res->err.msg;
		size_t cl = strlen(res->err.code);

		/* the client's message reads "Code: message": keep the message */
		if (cl && strncmp(msg, res->err.code, cl) == 0 && strncmp(msg + cl, ": ", 2) == 0)
			msg += cl + 2;
		if (is_fatal(p, res) && !p->failed && !p->cfg.keep_going) {
			p->failed = 1;
			p->fail_code = cs_strdup(code);
			cs_err_set(&p->err, "PutRecords on '%s': %s", p->cfg.stream, res->err.msg);
			snprintf(p->err.code, sizeof p->err.code, "%s", code);
			p->err.http_status = res->err.http_status;
		}
		batch_failed(p, b, code, msg, res->err.http_status);
		if (p->failed)
			reject_pending(p, p->fail_code, p->err.msg);
		batch_free(b);
		return;
	}
	if (!p->cfg.want_ids && !p->agg && putrecords_all_ok(res->body->data, res->body->len)) {
		for (i = 0; i < b->n; i++)
			complete(p, b->recs[i], 1, "", "");
		p->stats.kinesis_records += b->n;
		batch_free(b);
		return;
	}
	if ((t = putrecords_parse(&p->doc, res->body->data, res->body->len, b->n)) < 0) {
		batch_failed(p, b, "InvalidResponse", "PutRecords answer does not match the request", 502);
		batch_free(b);
		return;
	}
	for (i = 0; i < b->n; i++) {
		size_t j, first = b->first ? b->first[i] : i, last = b->first ? b->first[i + 1] : i + 1;

		if (putrecords_entry(&p->doc, &t, &a, &m)) {
			/* a failed aggregate: each of its records is retried (packed again), or fails */
			int again = retry_is_throttle(a.data) || strcmp(a.data, "InternalFailure") == 0;

			if (retry_is_throttle(a.data))
				p->stats.throttled++;
			for (j = first; j < last; j++) {
				struct rec *r = b->recs[j];
				unsigned wait = retry_backoff_ms(&p->pol, r->attempts, &p->rng);

				if (again && !p->interrupted && !p->failed &&
				    retry_allowed(&p->pol, r->attempts, now - r->first_ms, wait)) {
					r->ready_ms = r->due_ms = now + wait;
					r->state = R_PENDING;
					*rt = r;
					rt = &r->next;
					p->stats.entry_retries++;
				} else {
					complete(p, r, 0, a.data, m.len ? m.data : a.data);
				}
			}
			continue;
		}
		if (b->predicted && !landed_right(p, b, i, a.data, m.data, now, &rt))
			continue;
		p->stats.kinesis_records++;
		if (last - first > 1) {
			struct shared_res *sh = p->cfg.ordered ? shared_new(a.data, m.data) : NULL;

			p->stats.aggregated += last - first;
			for (j = first; j < last; j++) {
				if (j + PREFETCH < last)
					__builtin_prefetch(b->recs[j + PREFETCH]);
				complete_shared(p, b->recs[j], 1, a.data, m.data, sh);
			}
			shared_put(sh);
			continue;
		}
		complete(p, b->recs[first], 1, a.data, m.data);
	}
	*rt = NULL;
	if (retry) {
		if (p->failed || p->hard) {
			struct rec *n;

			for (; retry; retry = n) {
				n = retry->next;
				complete(p, retry, 0, p->failed ? p->fail_code : "Interrupted",
				    p->failed ? p->err.msg : "not re-sent: interrupted");
			}
		} else {
			requeue(p, p->agg ? sort_list(retry) : retry);
		}
	}
	buf_free(&a);
	buf_free(&m);
	batch_free(b);
}

static void
send_batch(struct putter *p, struct batch *b, uint64_t now)
{
	struct buf *o = &p->body;
	size_t i;

	b->no = ++p->batchno;
	for (i = 0; i < b->nrecs; i++) {
		struct rec *r = b->recs[i];

		if (!r->attempts++)
			r->first_ms = now;
		r->state = R_INFLIGHT;
	}
	if (p->cfg.dry_run) {
		/* the records, each with its own key: where each one goes */
		const struct put_record **v = cs_malloc(b->nrecs * sizeof *v);
		struct put_record *pr = cs_malloc(b->nrecs * sizeof *pr);

		for (i = 0; i < b->nrecs; i++) {
			struct rec *r = b->recs[i];

			pr[i] = (struct put_record){ r->seq, r->data, r->len, r->key, r->keylen,
				r->ehk, r->source, r->line, r->ctx };
			v[i] = &pr[i];
		}
		p->cfg.dry_run(p->cfg.arg, b->no, v, b->nrecs, b->bytes);
		free(v);
		free(pr);
		/* answered at once: the keys are no longer in flight (else their later records wait for ever) */
		for (i = 0; i < b->nrecs && p->cfg.ordered_keys; i++)
			keyorder_release(&p->keys, b->recs[i]->kent);
		for (i = 0; i < b->nrecs; i++)
			complete(p, b->recs[i], 1, "", "");
		batch_free(b);
		return;
	}
	putrecords_begin(o, p->cfg.stream, b->n, b->bytes);
	for (i = 0; i < b->n; i++) {
		struct rec *r = b->recs[i];
		struct agg_entry e;

		if (p->agg) {
			/* the packer still holds this request's user records (build came just before) */
			aggpack_entry(p->agg, i, &e, NULL);
			putrecords_add(o, i, e.data, e.len, e.key, e.keylen, e.ehk);
			continue;
		}
		putrecords_add(o, i, r->data, r->len, r->key, r->keylen, r->ehk);
	}
	putrecords_end(o);
	p->inflight++;
	p->stats.batches++;
	aws_submit(p->c, "PutRecords", o->data, o->len, on_answer, b);
}

/* the earliest due time among pending records, 0 when none */
static uint64_t
min_due(const struct putter *p)
{
	const struct rec *r;
	uint64_t m = 0;

	size_t i;

	/* without retries each list is in arrival order: its head is due first */
	for (i = 0; i < p->nq; i++)
		for (r = p->q[i].head; r; r = p->nretries ? r->next : NULL)
			if (!m || r->due_ms < m)
				m = r->due_ms;
	return m;
}

static void
pump(struct putter *p)
{
	uint64_t now = p->now_ms = cs_now_ms();

	stage_flush(p);
	while (p->npending && p->inflight < p->cfg.parallel && !p->failed) {
		struct batch *b;
		size_t enough = p->agg ? AGG_BATCH_RECORDS : p->cfg.max_records;

		if (p->agg && p->cfg.map->loading)
			break;  /* records are placed by the map being read again */
		/*
		 * Every shard was out of allowance at the last build, and nothing
		 * has come back since: a build now would find the same, having
		 * looked at every record up to the last shard's first one again.
		 */
		if (p->out_until > now && p->out_loads == p->cfg.map->loads) {
			p->stalled = 1;
			break;
		}
		if (!(p->flushing || p->npending >= enough ||
		    p->pending_bytes >= PUT_MAX_BATCH_BYTES || min_due(p) <= now))
			break;
		if (!(b = build(p, now))) {
			p->stalled = 1;
			break;
		}
		p->stalled = 0;
		send_batch(p, b, now);
	}
}

unsigned long
putter_run(struct putter *p, int timeout_ms, int extra_fd)
{
	uint64_t now, due;
	int wait = timeout_ms;

	pump(p);
	now = cs_now_ms();
	if (p->npending && p->inflight < p->cfg.parallel && !p->failed &&
	    !(p->agg && p->cfg.map->loading)) {
		due = p->stalled ? p->wake_ms : min_due(p);
		if (due && due <= now)
			wait = 0;
		else if (due && due - now < (uint64_t)wait)
			wait = (int)(due - now);
	}
	if (p->c && aws_inflight(p->c) > 0) {
		aws_run(p->c, wait, extra_fd);
	} else if (wait > 0) {
		struct pollfd pfd = { extra_fd, POLLIN, 0 };

		poll(&pfd, extra_fd >= 0 ? 1 : 0, wait);
	}
	pump(p);
	return putter_outstanding(p);
}
