/*
 * batchqueue.c - per-shard batches for the --exec runner (see batchqueue.h).
 */
#include <stdlib.h>
#include <string.h>

#include "batchqueue.h"
#include "hash.h"

/* one lane of a shard: records of its keys waiting for the command */
struct batchqueue_lane {
	struct batchexec_batch q;       /* records read; q.it[head ..] are not in a batch yet */
	size_t head;             /* the first of them: those before went into batches */
	uint64_t first_ms;       /* when the oldest of them was queued */
	struct batchexec_batch *running; /* its batch with the runner, or NULL */
};

/* a record queued, in the order read: the checkpoint moves past those done */
struct batchqueue_entry {
	char *seq;
	long subseq;             /* a user record of a KPL aggregate but its last: its index; else -1 */
	unsigned char ck_ok;     /* the last piece of a Kinesis record */
	unsigned char done;
};

struct batchqueue_shard {
	char *id;
	struct batchqueue_lane *lane;    /* cfg.lanes of them */
	struct batchqueue_entry *led;    /* entries [head, n) are at positions base, base + 1, ... */
	size_t head, n, cap;
	uint64_t base;
	int held;                /* the reader holds the shard for us */
	int end;                 /* its last records were delivered */
	struct batchqueue_shard *next;
};

struct batchqueue {
	struct batchqueue_config cfg;
	struct shardreader *sr;  /* NULL: nothing to release (or rel below) */
	void (*rel)(void *rctx, const char *shard);  /* another reader's release */
	void *rctx;
	struct tailfmt fmt;
	struct buf out;          /* one record's lines at a time (the queue copies them) */
	struct buf last;         /* scratch: the sequence number the checkpoint moves to */
	struct batchqueue_shard *xs;
	struct batchqueue_shard *cur;    /* the shard whose records are being queued */
	unsigned cur_lane;       /* ... the lane of the record being queued */
	int64_t cur_arrival;     /* ... and its arrival */
	int stop;
	unsigned long long copied; /* records copied from a queue into a batch */
};

struct batchqueue *
batchqueue_new(const struct batchqueue_config *cfg)
{
	struct batchqueue *tg = cs_calloc(1, sizeof *tg);

	tg->cfg = *cfg;
	if (!tg->cfg.lanes)
		tg->cfg.lanes = 1;
	tailfmt_init(&tg->fmt, cfg->stream, cfg->envelope);
	buf_init(&tg->out);
	buf_init(&tg->last);
	return tg;
}

void
batchqueue_set_reader(struct batchqueue *tg, struct shardreader *sr)
{
	tg->sr = sr;
}

void
batchqueue_set_releaser(struct batchqueue *tg, void (*rel)(void *rctx, const char *shard), void *rctx)
{
	tg->rel = rel;
	tg->rctx = rctx;
}

void
batchqueue_free(struct batchqueue *tg)
{
	size_t i;

	if (!tg)
		return;
	while (tg->xs) {
		struct batchqueue_shard *x = tg->xs;

		tg->xs = x->next;
		for (i = 0; i < tg->cfg.lanes; i++)
			batchexec_batch_free(&x->lane[i].q);
		for (i = x->head; i < x->n; i++)
			free(x->led[i].seq);
		free(x->led);
		free(x->lane);
		free(x->id);
		free(x);
	}
	tailfmt_free(&tg->fmt);
	buf_free(&tg->out);
	buf_free(&tg->last);
	free(tg);
}

void
batchqueue_stop(struct batchqueue *tg)
{
	tg->stop = 1;
}

unsigned
batchqueue_lane_of(const char *key, size_t n, unsigned lanes)
{
	return lanes <= 1 ? 0 : (unsigned)(hash_fnv1a(key, n) % lanes);
}

static struct batchqueue_shard *
shard(struct batchqueue *tg, const char *id)
{
	struct batchqueue_shard *x;
	unsigned i;

	for (x = tg->xs; x; x = x->next)
		if (strcmp(x->id, id) == 0)
			return x;
	x = cs_calloc(1, sizeof *x);
	x->id = cs_strdup(id);
	x->lane = cs_calloc(tg->cfg.lanes, sizeof *x->lane);
	for (i = 0; i < tg->cfg.lanes; i++)
		batchexec_batch_init(&x->lane[i].q, id);
	x->next = tg->xs;
	tg->xs = x;
	return x;
}

/* L's records read and not in a batch yet */
static size_t
lane_queued(const struct batchqueue_lane *l)
{
	return l->q.n - l->head;
}

/*
 * The first N queued records of lane L into batch B.  Each record is copied
 * once, into its batch, and the front of the queue moves on: a cut costs
 * what it takes, not what stays.  The space behind the front is reclaimed
 * when the queue empties, or when it is larger than what is left (so each
 * record is moved at most about once).
 */
static void
take(struct batchqueue *tg, struct batchqueue_lane *l, size_t n, struct batchexec_batch *b)
{
	struct batchexec_batch *q = &l->q;
	size_t i, off, rest;

	for (i = l->head; i < l->head + n; i++) {
		batchexec_batch_copy(b, q, i);
		tg->copied++;
		free(q->it[i].seq);
		q->it[i].seq = NULL;
	}
	l->head += n;
	rest = lane_queued(l);
	if (rest == 0) {
		q->n = 0;
		l->head = 0;
		buf_reset(&q->lines);
	} else if (l->head >= rest) {
		off = q->it[l->head].off;
		memmove(q->lines.data, q->lines.data + off, q->lines.len - off);
		q->lines.len -= off;
		q->lines.data[q->lines.len] = '\0';
		memmove(q->it, q->it + l->head, rest * sizeof *q->it);
		for (i = 0; i < rest; i++)
			q->it[i].off -= off;
		q->n = rest;
		l->head = 0;
	}
}

static size_t
queued(const struct batchqueue *tg, const struct batchqueue_shard *x, size_t *most)
{
	size_t n = 0, m = 0;
	unsigned i;

	for (i = 0; i < tg->cfg.lanes; i++) {
		size_t k = lane_queued(&x->lane[i]);

		n += k;
		if (k > m)
			m = k;
	}
	if (most)
		*most = m;
	return n;
}

static int
running(const struct batchqueue *tg, const struct batchqueue_shard *x)
{
	unsigned i;

	for (i = 0; i < tg->cfg.lanes; i++)
		if (x->lane[i].running)
			return 1;
	return 0;
}

static void dispatch(struct batchqueue *tg, struct batchqueue_shard *x);

void
batchqueue_begin(struct batchqueue *tg, const char *id)
{
	tg->cur = shard(tg, id);
	tg->cur_lane = 0;
	tg->cur_arrival = 0;
}

void
batchqueue_add(struct batchqueue *tg, const char *line, size_t len, const char *seq, long subseq,
    int last_piece)
{
	struct batchqueue_shard *x = tg->cur;
	struct batchqueue_lane *l = &x->lane[tg->cur_lane];
	struct batchexec_item *it;

	if (lane_queued(l) == 0)
		l->first_ms = cs_now_ms();
	if (x->n == x->cap) {
		if (x->head > x->n / 2) {
			/* drop the entries already passed */
			memmove(x->led, x->led + x->head, (x->n - x->head) * sizeof *x->led);
			x->n -= x->head;
			x->head = 0;
		} else {
			x->cap = x->cap ? x->cap * 2 : 256;
			x->led = cs_realloc(x->led, x->cap * sizeof *x->led);
		}
	}
	x->led[x->n].seq = cs_strdup(seq);
	x->led[x->n].subseq = subseq;
	x->led[x->n].ck_ok = (unsigned char)!!last_piece;
	x->led[x->n].done = 0;
	it = batchexec_batch_add(&l->q, line, len, seq, subseq, last_piece);
	it->arrival_ms = tg->cur_arrival;
	it->tag = x->base + (x->n - x->head);
	x->n++;
}

enum shardreader_verdict
batchqueue_end(struct batchqueue *tg, int at_end)
{
	struct batchqueue_shard *x = tg->cur;
	size_t most;

	tg->cur = NULL;
	x->end = at_end;
	dispatch(tg, x);
	/* read on while batches run, until a whole batch waits behind one */
	queued(tg, x, &most);
	if (at_end || most >= tg->cfg.batch_size) {
		x->held = 1;
		return SHARDREADER_HOLD;
	}
	return SHARDREADER_CONTINUE;
}

static void
queue_line(void *ctx, const char *line, size_t len, const char *seq, long subseq, int last_piece)
{
	batchqueue_add(ctx, line, len, seq, subseq, last_piece);
}

enum shardreader_verdict
batchqueue_records(void *ctx, const char *shard, struct kinesis_records *rs, int at_end)
{
	struct batchqueue *tg = ctx;
	struct cs_err err;
	size_t i;

	batchqueue_begin(tg, shard);
	for (i = 0; i < rs->n; i++) {
		const struct kinesis_record *r = &rs->rec[i];

		tg->cur_lane = batchqueue_lane_of(KREC_KEY(rs, r), r->key_len, tg->cfg.lanes);
		tg->cur_arrival = r->arrival_ms;
		buf_reset(&tg->out);
		if (tg->cfg.lambda) {
			/* one element of Lambda's event per Kinesis record (an aggregate as it is) */
			lambda_record(&tg->out, tg->cfg.lambda, shard, KREC_SEQ(rs, r), KREC_KEY(rs, r),
			    r->key_len, r->arrival_ms, KREC_DATA(rs, r), r->data_len);
			buf_addc(&tg->out, '\n');
			batchqueue_add(tg, tg->out.data, tg->out.len, KREC_SEQ(rs, r), -1, 1);
			continue;
		}
		if (tailfmt_record(&tg->fmt, &tg->out, shard, rs, r, queue_line, tg, &err) < 0 &&
		    tg->cfg.warn) {
			struct buf m = BUF_INIT;

			buf_printf(&m, "%s/%s: record %s: %s; passed through as it is",
			    tg->cfg.stream, shard, KREC_SEQ(rs, r), err.msg);
			tg->cfg.warn(tg->cfg.ctx, m.data);
			buf_free(&m);
		}
	}
	return batchqueue_end(tg, at_end);
}

/* Items [LO, HI) of B done: the checkpoint moves past what is done with all before it. */
static void
batch_progress(void *ctx, struct batchexec_batch *b, size_t lo, size_t hi)
{
	struct batchqueue *tg = ctx;
	struct batchqueue_shard *x = shard(tg, b->shard);
	long subseq = -1;
	int moved = 0;
	size_t i;

	for (i = lo; i < hi; i++) {
		uint64_t pos = b->it[i].tag;

		if (pos >= x->base && pos - x->base < x->n - x->head)
			x->led[x->head + (pos - x->base)].done = 1;
	}
	while (x->head < x->n && x->led[x->head].done) {
		struct batchqueue_entry *e = &x->led[x->head];

		if (e->ck_ok || e->subseq >= 0) {
			/* a piece of an aggregate: the checkpoint stops inside it */
			buf_reset(&tg->last);
			buf_adds(&tg->last, e->seq);
			subseq = e->ck_ok ? -1 : e->subseq;
			moved = 1;
		}
		free(e->seq);
		x->head++;
		x->base++;
	}
	if (x->head == x->n)
		x->head = x->n = 0;
	if (moved && tg->cfg.checkpoint)
		tg->cfg.checkpoint(tg->cfg.ctx, x->id, tg->last.data, subseq);
}

static void
batch_done(void *ctx, struct batchexec_batch *b)
{
	struct batchqueue *tg = ctx;
	struct batchqueue_shard *x = shard(tg, b->shard);
	unsigned i;

	for (i = 0; i < tg->cfg.lanes; i++)
		if (x->lane[i].running == b)
			x->lane[i].running = NULL;
	tg->cfg.done(tg->cfg.ctx, b);
	batchexec_batch_free(b);
	free(b);
	if (!tg->stop)
		dispatch(tg, x);
}

static void
release(struct batchqueue *tg, struct batchqueue_shard *x)
{
	x->held = 0;
	if (tg->sr)
		shardreader_release(tg->sr, x->id);
	else if (tg->rel)
		tg->rel(tg->rctx, x->id);
}

/* Start lane L's next batch when it is due. */
static void
dispatch_lane(struct batchqueue *tg, struct batchqueue_shard *x, struct batchqueue_lane *l)
{
	unsigned size = tg->cfg.batch_size, window = tg->cfg.batch_window;
	const struct batchexec_item *front = l->q.it + l->head;
	struct batchexec_batch *b;
	size_t n, nq = lane_queued(l);

	if (l->running || !nq)
		return;
	if (!(nq >= size || x->end || !window || cs_now_ms() - l->first_ms >= window))
		return;
	n = nq < size ? nq : size;
	/* a KPL aggregate's pieces stay together when they fit */
	while (n < nq && n > 1 && !front[n - 1].ck_ok)
		n--;
	if (!front[n - 1].ck_ok)
		n = nq < size ? nq : size;
	b = cs_malloc(sizeof *b);
	batchexec_batch_init(b, x->id);
	/* the first N go, the rest stays queued */
	take(tg, l, n, b);
	l->first_ms = cs_now_ms();
	l->running = b;
	batchexec_submit(tg->cfg.bx, b, batch_done, batch_progress, tg);
}

/* Start X's batches that are due; release the shard when its queues are low. */
static void
dispatch(struct batchqueue *tg, struct batchqueue_shard *x)
{
	size_t most;
	unsigned i;

	if (tg->stop)
		return;
	for (i = 0; i < tg->cfg.lanes; i++)
		dispatch_lane(tg, x, &x->lane[i]);
	if (x->end && queued(tg, x, NULL) == 0 && !running(tg, x) && x->head == x->n) {
		tg->cfg.end(tg->cfg.ctx, x->id);
		x->end = 0;
		release(tg, x);
	}
	queued(tg, x, &most);
	if (x->held && !x->end && most < tg->cfg.batch_size)
		release(tg, x);
}

void
batchqueue_drop(struct batchqueue *tg, const char *id)
{
	struct batchqueue_shard *x;
	size_t i;
	int running = 0;

	for (x = tg->xs; x; x = x->next) {
		if (strcmp(x->id, id) != 0)
			continue;
		for (i = 0; i < tg->cfg.lanes; i++) {
			batchexec_batch_free(&x->lane[i].q);
			batchexec_batch_init(&x->lane[i].q, x->id);
			x->lane[i].head = 0;
			running |= x->lane[i].running != NULL;
		}
		/* what is queued or running moves no checkpoint: its positions are forgotten */
		for (i = x->head; i < x->n; i++)
			free(x->led[i].seq);
		x->base += x->n - x->head;
		x->head = x->n = 0;
		x->end = 0;
		x->held = 0;
		if (running)
			batchexec_cancel(tg->cfg.bx, x->id);
	}
}

unsigned long long
batchqueue_copied(const struct batchqueue *tg)
{
	return tg->copied;
}

int
batchqueue_tick(struct batchqueue *tg)
{
	struct batchqueue_shard *x;
	int64_t wait = -1;
	uint64_t now = cs_now_ms();
	unsigned i;

	for (x = tg->xs; x; x = x->next) {
		dispatch(tg, x);
		if (!tg->cfg.batch_window)
			continue;
		for (i = 0; i < tg->cfg.lanes; i++) {
			const struct batchqueue_lane *l = &x->lane[i];
			int64_t w;

			if (!lane_queued(l) || l->running)
				continue;
			w = (int64_t)(l->first_ms + tg->cfg.batch_window) - (int64_t)now;
			if (w < 0)
				w = 0;
			if (wait < 0 || w < wait)
				wait = w;
		}
	}
	return (int)wait;
}
