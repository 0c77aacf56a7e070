/*
 * trigger.c - per-shard batches for the --exec runner (see trigger.h).
 */
#include <stdlib.h>
#include <string.h>

#include "trigger.h"

/* one shard's records waiting for the command */
struct tg_shard {
	char *id;
	struct bx_batch q;       /* records read; q.it[head ..] are not in a batch yet */
	size_t head;             /* the first of them: those before went into batches */
	uint64_t first_ms;       /* when the oldest of them was queued */
	int running;             /* a batch of this shard is with the runner */
	int held;                /* the reader holds the shard for us */
	int end;                 /* its last records were delivered */
	int stale;               /* the running batch was dropped: it moves no checkpoint */
	struct tg_shard *next;
};

struct trigger {
	struct tg_config cfg;
	struct shardreader *sr;  /* NULL: nothing to release (or rel below) */
	void (*rel)(void *rctx, const char *shard);  /* another reader's release */
	void *rctx;
	struct tailfmt fmt;
	struct buf out;          /* one record's lines at a time (the queue copies them) */
	struct tg_shard *xs;
	struct tg_shard *cur;    /* the shard whose records are being queued */
	int stop;
	unsigned long long copied; /* records copied from a queue into a batch */
};

struct trigger *
tg_new(const struct tg_config *cfg)
{
	struct trigger *tg = cs_calloc(1, sizeof *tg);

	tg->cfg = *cfg;
	tailfmt_init(&tg->fmt, cfg->stream, cfg->envelope);
	buf_init(&tg->out);
	return tg;
}

void
tg_set_reader(struct trigger *tg, struct shardreader *sr)
{
	tg->sr = sr;
}

void
tg_set_releaser(struct trigger *tg, void (*rel)(void *rctx, const char *shard), void *rctx)
{
	tg->rel = rel;
	tg->rctx = rctx;
}

void
tg_free(struct trigger *tg)
{
	if (!tg)
		return;
	while (tg->xs) {
		struct tg_shard *x = tg->xs;

		tg->xs = x->next;
		bx_batch_free(&x->q);
		free(x->id);
		free(x);
	}
	tailfmt_free(&tg->fmt);
	buf_free(&tg->out);
	free(tg);
}

void
tg_stop(struct trigger *tg)
{
	tg->stop = 1;
}

static struct tg_shard *
shard(struct trigger *tg, const char *id)
{
	struct tg_shard *x;

	for (x = tg->xs; x; x = x->next)
		if (strcmp(x->id, id) == 0)
			return x;
	x = cs_calloc(1, sizeof *x);
	x->id = cs_strdup(id);
	bx_batch_init(&x->q, id);
	x->next = tg->xs;
	tg->xs = x;
	return x;
}

static void dispatch(struct trigger *tg, struct tg_shard *x);

/* X's records read and not in a batch yet */
static size_t
queued(const struct tg_shard *x)
{
	return x->q.n - x->head;
}

/*
 * The first N queued records of X into batch B.  Each record is copied once,
 * into its batch, and the front of the queue moves on: a cut costs what it
 * takes, not what stays (a whole GetRecords answer of 10,000 records, cut
 * 100 at a time, was copied again at every cut).  The space behind the front
 * is reclaimed when the queue empties, or when it is larger than what is
 * left (so each record is moved at most about once).
 */
static void
take(struct trigger *tg, struct tg_shard *x, size_t n, struct bx_batch *b)
{
	struct bx_batch *q = &x->q;
	size_t i, off, rest;

	for (i = x->head; i < x->head + n; i++) {
		struct bx_item *it = &q->it[i];

		bx_batch_add(b, q->lines.data + it->off, it->len, it->seq, it->subseq, it->ck_ok);
		tg->copied++;
		free(it->seq);
		it->seq = NULL;
	}
	x->head += n;
	rest = queued(x);
	if (rest == 0) {
		q->n = 0;
		x->head = 0;
		buf_reset(&q->lines);
	} else if (x->head >= rest) {
		off = q->it[x->head].off;
		memmove(q->lines.data, q->lines.data + off, q->lines.len - off);
		q->lines.len -= off;
		q->lines.data[q->lines.len] = '\0';
		memmove(q->it, q->it + x->head, rest * sizeof *q->it);
		for (i = 0; i < rest; i++)
			q->it[i].off -= off;
		q->n = rest;
		x->head = 0;
	}
}

void
tg_begin(struct trigger *tg, const char *id)
{
	struct tg_shard *x = shard(tg, id);

	if (queued(x) == 0)
		x->first_ms = cs_now_ms();
	tg->cur = x;
}

void
tg_add(struct trigger *tg, const char *line, size_t len, const char *seq, long subseq,
    int last_piece)
{
	bx_batch_add(&tg->cur->q, line, len, seq, subseq, last_piece);
}

enum sr_verdict
tg_end(struct trigger *tg, int at_end)
{
	struct tg_shard *x = tg->cur;

	tg->cur = NULL;
	x->end = at_end;
	dispatch(tg, x);
	/* read on while a batch runs, until a whole batch waits behind it */
	if (at_end || queued(x) >= tg->cfg.batch_size) {
		x->held = 1;
		return SR_HOLD;
	}
	return SR_CONTINUE;
}

static void
queue_line(void *ctx, const char *line, size_t len, const char *seq, long subseq, int last_piece)
{
	tg_add(ctx, line, len, seq, subseq, last_piece);
}

enum sr_verdict
tg_records(void *ctx, const char *shard, struct kinesis_records *rs, int at_end)
{
	struct trigger *tg = ctx;
	struct cs_err err;
	size_t i;

	tg_begin(tg, shard);
	for (i = 0; i < rs->n; i++) {
		const struct kinesis_record *r = &rs->rec[i];

		buf_reset(&tg->out);
		if (tailfmt_record(&tg->fmt, &tg->out, shard, rs, r, queue_line, tg, &err) < 0 &&
		    tg->cfg.warn) {
			struct buf m = BUF_INIT;

			buf_printf(&m, "%s/%s: record %s: %s; passed through as it is",
			    tg->cfg.stream, shard, KREC_SEQ(rs, r), err.msg);
			tg->cfg.warn(tg->cfg.ctx, m.data);
			buf_free(&m);
		}
	}
	return tg_end(tg, at_end);
}

static void
batch_done(void *ctx, struct bx_batch *b)
{
	struct trigger *tg = ctx;
	struct tg_shard *x = shard(tg, b->shard);
	const char *last = NULL;
	long last_subseq = -1;
	size_t i;

	x->running = 0;
	if (!b->abandoned && !x->stale)
		for (i = 0; i < b->n; i++)
			if (b->it[i].ck_ok || b->it[i].subseq >= 0) {
				/* a piece of an aggregate: the checkpoint stops inside it */
				last = b->it[i].seq;
				last_subseq = b->it[i].ck_ok ? -1 : b->it[i].subseq;
			}
	x->stale = 0;
	tg->cfg.done(tg->cfg.ctx, b, last, last_subseq);
	bx_batch_free(b);
	free(b);
	if (!tg->stop)
		dispatch(tg, x);
}

static void
release(struct trigger *tg, struct tg_shard *x)
{
	x->held = 0;
	if (tg->sr)
		sr_release(tg->sr, x->id);
	else if (tg->rel)
		tg->rel(tg->rctx, x->id);
}

/* Start X's next batch when it is due; release the shard when its queue is low. */
static void
dispatch(struct trigger *tg, struct tg_shard *x)
{
	unsigned size = tg->cfg.batch_size, window = tg->cfg.batch_window;
	const struct bx_item *front = x->q.it + x->head;
	struct bx_batch *b;
	size_t n, nq = queued(x);

	if (x->running || tg->stop)
		return;
	if (nq && (nq >= size || x->end || !window || cs_now_ms() - x->first_ms >= window)) {
		n = nq < size ? nq : size;
		/* a KPL aggregate's pieces stay together when they fit */
		while (n < nq && n > 1 && !front[n - 1].ck_ok)
			n--;
		if (!front[n - 1].ck_ok)
			n = nq < size ? nq : size;
		b = cs_malloc(sizeof *b);
		bx_batch_init(b, x->id);
		/* the first N go, the rest stays queued */
		take(tg, x, n, b);
		x->first_ms = cs_now_ms();
		x->running = 1;
		bx_submit(tg->cfg.bx, b, batch_done, tg);
	} else if (nq == 0 && x->end) {
		tg->cfg.end(tg->cfg.ctx, x->id);
		x->end = 0;
		release(tg, x);
	}
	if (x->held && !x->end && queued(x) < size)
		release(tg, x);
}

void
tg_drop(struct trigger *tg, const char *id)
{
	struct tg_shard *x;

	for (x = tg->xs; x; x = x->next) {
		if (strcmp(x->id, id) != 0)
			continue;
		bx_batch_free(&x->q);
		bx_batch_init(&x->q, x->id);
		x->head = 0;
		x->end = 0;
		x->held = 0;
		x->stale = x->running;
		if (x->running)
			bx_cancel(tg->cfg.bx, x->id);
	}
}

unsigned long long
tg_copied(const struct trigger *tg)
{
	return tg->copied;
}

int
tg_tick(struct trigger *tg)
{
	struct tg_shard *x;
	int64_t wait = -1;
	uint64_t now = cs_now_ms();

	for (x = tg->xs; x; x = x->next) {
		dispatch(tg, x);
		if (queued(x) && !x->running && tg->cfg.batch_window) {
			int64_t w = (int64_t)(x->first_ms + tg->cfg.batch_window) - (int64_t)now;

			if (w < 0)
				w = 0;
			if (wait < 0 || w < wait)
				wait = w;
		}
	}
	return (int)wait;
}
