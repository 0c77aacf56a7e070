/* shardreader.c - every shard of a stream, in lineage order (see shardreader.h). */
#include <stdlib.h>
#include <string.h>

#include "shardreader.h"
#include "shardtable.h"

/* a shard as polling reads it: the table's part, then an iterator */
struct sshard {
	struct shard sh;
	char *iter;
	char *last_seq;           /* of the last record delivered */
	unsigned gen;             /* bumped when dropped: answers of an older generation are discarded */
	unsigned throttled;       /* consecutive throttled reads */
};

struct shardreader {
	struct shardtable t;
	struct aws_client *c;
	int relisting;               /* a ListShards (page) in flight */
	struct kinesis_shard *lst;   /* the pages so far */
	size_t nlst;
	struct buf req;
};

/* what a request of shard S carries: the answer is S's only if S was not dropped since */
struct sreq {
	struct shardreader *r;
	struct sshard *s;
	unsigned gen;
};

static struct sreq *
sreq_new(struct shardreader *r, struct sshard *s)
{
	struct sreq *q = cs_malloc(sizeof *q);

	q->r = r;
	q->s = s;
	q->gen = s->gen;
	return q;
}

static void list_page(struct shardreader *r, const char *token);

static void
on_list(void *ctx, const struct aws_result *res)
{
	struct shardreader *r = ctx;
	char *next = NULL;
	struct cs_err e;

	cs_err_clear(&e);
	if (res->ok && kinesis_parse_list_shards(res->body->data ? res->body->data : "",
	    res->body->len, &r->lst, &r->nlst, &next, &e) == 0) {
		if (next && !r->t.stopping) {
			list_page(r, next);
			free(next);
			return;
		}
		free(next);
		shardtable_listed(&r->t, r->lst, r->nlst);
	} else {
		if (!res->ok) {
			/* as the blocking listing says it */
			cs_err_set(&e, "ListShards on '%s': %s", r->t.cfg.stream, res->err.msg);
			memcpy(e.code, res->err.code, sizeof e.code);
		}
		shardtable_list_failed(&r->t, &e);
	}
	kinesis_shards_free(r->lst, r->nlst);
	r->lst = NULL;
	r->nlst = 0;
	r->relisting = 0;
}

static void
list_page(struct shardreader *r, const char *token)
{
	kinesis_list_shards_body(&r->req, r->t.cfg.stream, token);
	aws_submit(r->c, "ListShards", r->req.data, r->req.len, on_list, r);
}

/* shared reading: the shard is no longer ours; what is in flight for it is discarded */
static void
drop(struct shard *sh)
{
	struct sshard *s = (struct sshard *)sh;

	s->gen++;
	sh->st = SHARD_UNOWNED;
	free(s->iter);
	s->iter = NULL;
	free(s->last_seq);
	s->last_seq = NULL;
}

static void
free_shard(struct shard *sh)
{
	struct sshard *s = (struct sshard *)sh;

	free(s->iter);
	free(s->last_seq);
}

static void
shard_finished(struct shardreader *r, struct sshard *s)
{
	shardtable_finished(&r->t, &s->sh);
	free(s->iter);
	s->iter = NULL;
}

static void
on_iter(void *ctx, const struct aws_result *res)
{
	struct sreq *q = ctx;
	struct shardreader *r = q->r;
	struct sshard *s = q->s;
	struct cs_err e;

	cs_err_clear(&e);
	if (q->gen != s->gen) {
		free(q);
		return;     /* dropped meanwhile */
	}
	free(q);
	if (res->ok) {
		free(s->iter);
		s->iter = NULL;
		if (kinesis_parse_shard_iterator(res->body->data ? res->body->data : "", res->body->len,
		    &s->iter, &e) == 0) {
			s->sh.st = r->t.stopping ? SHARD_STOPPED : SHARD_IDLE;
			s->sh.next_due = cs_now_ms();
			return;
		}
		shardtable_fail(&r->t, "GetShardIterator", &s->sh, &e);
		s->sh.st = SHARD_STOPPED;
		return;
	}
	if (r->t.stopping || strcmp(res->err.code, "Interrupted") == 0) {
		s->sh.st = SHARD_STOPPED;
		return;
	}
	if (strcmp(res->err.code, "ProvisionedThroughputExceededException") == 0 ||
	    strcmp(res->err.code, "LimitExceededException") == 0) {
		s->sh.st = SHARD_READY;   /* the client already backed off; try again later */
		s->sh.next_due = cs_now_ms() + 2000;
		return;
	}
	shardtable_fail(&r->t, "GetShardIterator", &s->sh, &res->err);
	s->sh.st = SHARD_STOPPED;
}

/* a GetRecords that failed: the reading goes on, or the run stops */
static void
get_failed(struct shardreader *r, struct sshard *s, const struct cs_err *err, uint64_t now)
{
	if (r->t.stopping || strcmp(err->code, "Interrupted") == 0) {
		s->sh.st = SHARD_STOPPED;
	} else if (strcmp(err->code, "ExpiredIteratorException") == 0) {
		/* renew after the last record read, else from where we started */
		if (s->last_seq) {
			free(s->sh.pos_seq);
			s->sh.pos_seq = cs_strdup(s->last_seq);
			s->sh.pos.type = KINESIS_AFTER_SEQUENCE_NUMBER;
			s->sh.pos.seq = s->sh.pos_seq;
		}
		s->sh.st = SHARD_READY;
		s->sh.next_due = now;
	} else if (strcmp(err->code, "ProvisionedThroughputExceededException") == 0 ||
	    strcmp(err->code, "LimitExceededException") == 0) {
		unsigned wait = 1000u << (s->throttled < 3 ? s->throttled : 3);

		s->throttled++;
		s->sh.st = SHARD_IDLE;
		s->sh.next_due = now + wait;
	} else {
		shardtable_fail(&r->t, "GetRecords", &s->sh, err);
		s->sh.st = SHARD_STOPPED;
	}
}

static void
on_get(void *ctx, const struct aws_result *res)
{
	struct sreq *q = ctx;
	struct shardreader *r = q->r;
	struct sshard *s = q->s;
	struct kinesis_records *rs = &s->sh.rs;
	struct cs_err e;
	uint64_t now = cs_now_ms();
	size_t raw;
	int until_hit, at_end;
	enum shard_state st;

	cs_err_clear(&e);
	if (q->gen != s->gen) {
		free(q);
		return;     /* dropped meanwhile: the records are another worker's now */
	}
	free(q);
	if (!shardtable_ours(&r->t, &s->sh))
		return;
	if (!res->ok) {
		get_failed(r, s, &res->err, now);
		return;
	}
	s->throttled = 0;
	if (kinesis_parse_get_records(res->body->data ? res->body->data : "", res->body->len, rs,
	    &e) < 0) {
		shardtable_fail(&r->t, "GetRecords", &s->sh, &e);
		s->sh.st = SHARD_STOPPED;
		return;
	}
	raw = shardtable_take(&r->t, &s->sh, &until_hit);
	if (rs->n) {
		const struct kinesis_record *last = &rs->rec[rs->n - 1];

		free(s->last_seq);
		s->last_seq = cs_strndup(KREC_SEQ(rs, last), last->seq_len);
	}
	free(s->iter);
	s->iter = rs->next_iterator;
	rs->next_iterator = NULL;
	at_end = !s->iter && !until_hit;
	st = shardtable_hand_on(&r->t, &s->sh, until_hit, at_end, raw);
	if (st == SHARD_FINISHED) {
		shard_finished(r, s);
		return;
	}
	if (!until_hit && !at_end) {
		if (r->t.stopping) {
			st = SHARD_STOPPED;
		} else {
			/* at most one read per interval, counted from the start of
			 * this one; a shard that answered with records, or that is
			 * still behind (an empty answer with MillisBehindLatest > 0,
			 * as the service gives over a gap), is read again as soon as
			 * that allows */
			s->sh.next_due = s->sh.next_due + r->t.cfg.min_interval_ms;
			if (s->sh.next_due < now && raw == 0 && s->sh.millis_behind <= 0)
				s->sh.next_due = now + r->t.cfg.min_interval_ms / 2;
			if (st == SHARD_READING)
				st = SHARD_IDLE;
		}
	}
	s->sh.st = st;
}

struct shardreader *
shardreader_new(struct aws_client *c, struct aws_client *lc, const struct shardreader_config *cfg,
    struct cs_err *err)
{
	static const struct shardtable_ops ops = { sizeof(struct sshard), drop, free_shard };
	struct shardreader *r = cs_calloc(1, sizeof *r);

	r->c = c;
	buf_init(&r->req);
	if (shardtable_init(&r->t, lc, cfg, &ops, err) < 0) {
		shardreader_free(r);
		return NULL;
	}
	if (!r->t.cfg.min_interval_ms)
		r->t.cfg.min_interval_ms = 200;
	return r;
}

void
shardreader_free(struct shardreader *r)
{
	if (!r)
		return;
	shardtable_free(&r->t);
	kinesis_shards_free(r->lst, r->nlst);
	buf_free(&r->req);
	free(r);
}

int
shardreader_step(struct shardreader *r, int *fatal, struct cs_err *err)
{
	uint64_t now = cs_now_ms();
	int64_t wait = -1;
	size_t i;
	int busy;

	*fatal = 0;
	if (shardtable_fatal(&r->t, fatal, err))
		return -1;
	if (r->t.stopping)
		return aws_inflight(r->c) ? 100 : -1;
	if (now >= r->t.relist_due && !r->relisting) {
		r->relisting = 1;
		list_page(r, NULL);
	}
	busy = shardtable_gate(&r->t);
	shardtable_start_ready(&r->t, now);
	for (i = 0; i < r->t.n; i++) {
		struct sshard *s = (struct sshard *)r->t.s[i];

		if ((s->sh.st == SHARD_READY || s->sh.st == SHARD_IDLE) && s->sh.next_due > now) {
			if (wait < 0 || (int64_t)(s->sh.next_due - now) < wait)
				wait = (int64_t)(s->sh.next_due - now);
		} else if (s->sh.st == SHARD_READY) {
			kinesis_get_shard_iterator_body(&r->req, r->t.cfg.stream, s->sh.id, &s->sh.pos);
			s->sh.st = SHARD_STARTING;
			aws_submit(r->c, "GetShardIterator", r->req.data, r->req.len, on_iter,
			    sreq_new(r, s));
		} else if (s->sh.st == SHARD_IDLE) {
			kinesis_get_records_body(&r->req, s->iter, r->t.cfg.limit);
			s->sh.st = SHARD_READING;
			s->sh.next_due = now;
			aws_submit(r->c, "GetRecords", r->req.data, r->req.len, on_get, sreq_new(r, s));
		}
		if (shardtable_active(s->sh.st))
			busy = 1;
	}
	if (shardtable_fatal(&r->t, fatal, err))
		return -1;
	if (!busy && !aws_inflight(r->c) && !r->relisting) {
		/* every shard finished, stopped or caught up */
		return -1;
	}
	if (!r->t.cfg.exit_at_end) {
		int64_t rl = r->t.relist_due > now ? (int64_t)(r->t.relist_due - now) : 0;

		if (!r->relisting && (wait < 0 || rl < wait))
			wait = rl;
	}
	if (wait < 0)
		wait = 1000;
	return (int)wait;
}

void
shardreader_release(struct shardreader *r, const char *shard)
{
	struct sshard *s = (struct sshard *)shardtable_find(&r->t, shard);

	if (!s)
		return;
	if (s->sh.st == SHARD_HELD) {
		s->sh.st = r->t.stopping ? SHARD_STOPPED : SHARD_IDLE;
		if (s->sh.next_due < cs_now_ms())
			s->sh.next_due = cs_now_ms();
	} else if (s->sh.st == SHARD_HELD_END) {
		shard_finished(r, s);
	}
}

void
shardreader_stop(struct shardreader *r)
{
	size_t i;

	r->t.stopping = 1;
	for (i = 0; i < r->t.n; i++) {
		struct shard *s = r->t.s[i];

		if (s->st != SHARD_READING && s->st != SHARD_STARTING &&
		    s->st != SHARD_FINISHED && s->st != SHARD_SKIPPED)
			s->st = SHARD_STOPPED;
	}
}

struct shardtable *
shardreader_shards(struct shardreader *r)
{
	return &r->t;
}
