/* shardreader.c - every shard of a stream, in lineage order (see shardreader.h). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kpl.h"
#include "shardreader.h"

enum sstate {
	S_WAIT_PARENTS,   /* a parent is not finished yet */
	S_NEED_ITER,      /* ready: wants an iterator */
	S_ITER_INFLIGHT,
	S_IDLE,           /* has an iterator, waits for its next read */
	S_GET_INFLIGHT,
	S_HELD,           /* the consumer holds it */
	S_HELD_END,       /* held, and its last records were delivered */
	S_CAUGHTUP,       /* -e: nothing more for now */
	S_STOPPED,        /* --until reached, or the reader stopped */
	S_FINISHED,       /* read to its end */
	S_SKIPPED,        /* finished before this run (checkpoint), or closed at start with --from latest */
	S_UNOWNED,        /* shared reading: not ours to read now */
};

struct sshard {
	struct shardreader *r;
	char *id, *parent, *adj;
	int closed;
	int known_at_start;
	enum sstate st;
	char *iter;
	char *last_seq;           /* of the last record delivered */
	struct kinesis_position pos;
	char *pos_seq;            /* owned copy for pos.seq */
	char *skip_seq;           /* resume_at: drop this record when it comes first (not an aggregate) */
	unsigned gen;             /* bumped when dropped: answers of an older generation are discarded */
	long skip_subseq;         /* >= 0: resumed inside the aggregate at pos_seq (checkpoint) */
	uint64_t next_due;
	unsigned throttled;       /* consecutive throttled reads */
	int64_t millis_behind;    /* of the last answer, -1 before one (or when absent) */
	int64_t last_arrival_ms;  /* approximate arrival of the last record handed on, 0 before one */
	struct kinesis_records rs;
};

struct shardreader {
	struct aws_client *c, *lc;
	struct shardreader_config cfg;
	struct sshard **s;
	size_t n, cap;
	int listed_once;
	uint64_t relist_due;
	int relisting;               /* a ListShards (page) in flight */
	struct kinesis_shard *lst;   /* the pages so far */
	size_t nlst;
	int stopping;
	int fatal;
	struct cs_err fatal_err;
	unsigned long long records;
	struct buf req;
};

/* what a request of shard S carries: the answer is S's only if S was not dropped since */
struct sreq {
	struct sshard *s;
	unsigned gen;
};

static struct sreq *
sreq_new(struct sshard *s)
{
	struct sreq *q = cs_malloc(sizeof *q);

	q->s = s;
	q->gen = s->gen;
	return q;
}

static struct sshard *
find(const struct shardreader *r, const char *id)
{
	size_t i;

	if (!id)
		return NULL;
	for (i = 0; i < r->n; i++)
		if (strcmp(r->s[i]->id, id) == 0)
			return r->s[i];
	return NULL;
}

static int
selected(const struct shardreader *r, const char *id)
{
	size_t i;

	if (!r->cfg.shards)
		return 1;
	for (i = 0; i < r->cfg.nshards; i++)
		if (strcmp(r->cfg.shards[i], id) == 0)
			return 1;
	return 0;
}

static const struct checkpoint_entry *
ck_entry(const struct shardreader *r, const char *id)
{
	return r->cfg.ck ? checkpoint_get(r->cfg.ck, id) : NULL;
}

static void
set_fatal(struct shardreader *r, const char *op, const struct sshard *s, const struct cs_err *e)
{
	if (r->fatal)
		return;
	r->fatal = 1;
	cs_err_set(&r->fatal_err, "%s on '%s/%s': %s", op, r->cfg.stream, s->id, e->msg);
	memcpy(r->fatal_err.code, e->code, sizeof e->code);
}

/* Add the shards of a listing we do not know yet. */
static void
merge(struct shardreader *r, const struct kinesis_shard *ks, size_t nks)
{
	size_t i;

	if (r->cfg.on_shards)
		r->cfg.on_shards(r->cfg.gate_ctx, ks, nks);
	for (i = 0; i < nks; i++) {
		struct sshard *s = find(r, ks[i].id);
		const struct checkpoint_entry *e;

		if (s) {
			s->closed = ks[i].seq_end != NULL;
			continue;
		}
		if (!selected(r, ks[i].id))
			continue;
		s = cs_calloc(1, sizeof *s);
		s->r = r;
		s->millis_behind = -1;
		s->skip_subseq = -1;
		s->id = cs_strdup(ks[i].id);
		s->parent = ks[i].parent ? cs_strdup(ks[i].parent) : NULL;
		s->adj = ks[i].adjacent_parent ? cs_strdup(ks[i].adjacent_parent) : NULL;
		s->closed = ks[i].seq_end != NULL;
		s->known_at_start = !r->listed_once;
		s->st = r->cfg.may_read ? S_UNOWNED : S_WAIT_PARENTS;
		kinesis_records_init(&s->rs);
		e = ck_entry(r, s->id);
		if (e && e->finished)
			s->st = S_SKIPPED;
		else if (!e && s->known_at_start && s->closed && r->cfg.start.type == KINESIS_LATEST)
			s->st = S_SKIPPED;
		if (r->n == r->cap) {
			r->cap = r->cap ? r->cap * 2 : 16;
			r->s = cs_realloc(r->s, r->cap * sizeof *r->s);
		}
		r->s[r->n++] = s;
	}
	r->listed_once = 1;
}

static int
relist(struct shardreader *r, struct cs_err *err)
{
	struct kinesis_shard *ks = NULL;
	size_t nks = 0;

	if (kinesis_list_shards(r->lc, r->cfg.stream, &ks, &nks, err) < 0)
		return -1;
	merge(r, ks, nks);
	kinesis_shards_free(ks, nks);
	r->relist_due = cs_now_ms() + r->cfg.relist_ms;
	return 0;
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
		if (next && !r->stopping) {
			list_page(r, next);
			free(next);
			return;
		}
		free(next);
		merge(r, r->lst, r->nlst);
		r->relist_due = cs_now_ms() + r->cfg.relist_ms;
	} else if (!res->ok && strcmp(res->err.code, "ResourceNotFoundException") == 0 &&
	    !r->fatal) {
		r->fatal = 1;
		cs_err_set(&r->fatal_err, "ListShards on '%s': %s", r->cfg.stream, res->err.msg);
		memcpy(r->fatal_err.code, res->err.code, sizeof res->err.code);
	} else {
		r->relist_due = cs_now_ms() + 1000;   /* a passing failure: try again soon */
	}
	kinesis_shards_free(r->lst, r->nlst);
	r->lst = NULL;
	r->nlst = 0;
	r->relisting = 0;
}

static void
list_page(struct shardreader *r, const char *token)
{
	kinesis_list_shards_body(&r->req, r->cfg.stream, token);
	aws_submit(r->c, "ListShards", r->req.data, r->req.len, on_list, r);
}

static int
parent_done(const struct shardreader *r, const char *id)
{
	const struct checkpoint_entry *e;
	const struct sshard *p;

	if (!id)
		return 1;
	e = ck_entry(r, id);
	if (e && e->finished)
		return 1;
	/* shared: a parent without a lease was cleaned up, or never to be read */
	if (r->cfg.may_read && !e)
		return 1;
	p = find(r, id);
	/* a parent past the retention period, or one left to another worker (--shards) */
	if (!p)
		return 1;
	return p->st == S_FINISHED || p->st == S_SKIPPED;
}

static int
parent_finished_before(const struct shardreader *r, const char *id)
{
	const struct checkpoint_entry *e = id ? ck_entry(r, id) : NULL;
	const struct sshard *p = find(r, id);

	return (e && e->finished) || (p && p->st == S_FINISHED);
}

/* Where S starts, once its parents are done. */
static void
choose_start(struct shardreader *r, struct sshard *s)
{
	const struct checkpoint_entry *e = ck_entry(r, s->id);
	const struct kinesis_position *st = &r->cfg.start;

	free(s->pos_seq);
	s->pos_seq = NULL;
	memset(&s->pos, 0, sizeof s->pos);
	free(s->skip_seq);
	s->skip_seq = NULL;
	s->skip_subseq = -1;
	if (e && e->seq && e->subseq >= 0) {
		/* stopped inside a KPL aggregate: read it again, its first user records left out */
		s->pos.type = KINESIS_AT_SEQUENCE_NUMBER;
		s->pos_seq = cs_strdup(e->seq);
		s->skip_subseq = e->subseq;
	} else if (e && e->seq && e->resume_at) {
		s->pos.type = KINESIS_AT_SEQUENCE_NUMBER;
		s->pos_seq = cs_strdup(e->seq);
		s->skip_seq = cs_strdup(e->seq);
	} else if (e && e->seq) {
		s->pos.type = KINESIS_AFTER_SEQUENCE_NUMBER;
		s->pos_seq = cs_strdup(e->seq);
	} else if (st->type == KINESIS_AT_TIMESTAMP) {
		s->pos = *st;
	} else if (st->type == KINESIS_LATEST && s->known_at_start &&
	    !parent_finished_before(r, s->parent) && !parent_finished_before(r, s->adj)) {
		s->pos.type = KINESIS_LATEST;
	} else if ((st->type == KINESIS_AT_SEQUENCE_NUMBER ||
	    st->type == KINESIS_AFTER_SEQUENCE_NUMBER) && selected(r, s->id) && r->cfg.shards) {
		s->pos.type = st->type;
		s->pos_seq = cs_strdup(st->seq);
	} else {
		s->pos.type = KINESIS_TRIM_HORIZON;
	}
	s->pos.seq = s->pos_seq;
}

static int
active(enum sstate st)
{
	return st == S_NEED_ITER || st == S_ITER_INFLIGHT || st == S_IDLE ||
	    st == S_GET_INFLIGHT || st == S_HELD || st == S_HELD_END;
}

/* shared reading: the shard is no longer ours; what is in flight for it is discarded */
static void
drop(struct sshard *s)
{
	s->gen++;
	s->st = S_UNOWNED;
	free(s->iter);
	s->iter = NULL;
	free(s->last_seq);
	s->last_seq = NULL;
}

void
shardreader_drop(struct shardreader *r, const char *shard)
{
	struct sshard *s = find(r, shard);

	if (s && (s->st == S_WAIT_PARENTS || active(s->st)))
		drop(s);
}

static void
shard_finished(struct sshard *s)
{
	s->st = S_FINISHED;
	free(s->iter);
	s->iter = NULL;
	s->r->relist_due = cs_now_ms();   /* its children may be new to us */
}

static void
on_iter(void *ctx, const struct aws_result *res)
{
	struct sreq *q = ctx;
	struct sshard *s = q->s;
	struct shardreader *r = s->r;
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
			s->st = r->stopping ? S_STOPPED : S_IDLE;
			s->next_due = cs_now_ms();
			return;
		}
		set_fatal(r, "GetShardIterator", s, &e);
		s->st = S_STOPPED;
		return;
	}
	if (r->stopping || strcmp(res->err.code, "Interrupted") == 0) {
		s->st = S_STOPPED;
		return;
	}
	if (strcmp(res->err.code, "ProvisionedThroughputExceededException") == 0 ||
	    strcmp(res->err.code, "LimitExceededException") == 0) {
		s->st = S_NEED_ITER;   /* the client already backed off; try again later */
		s->next_due = cs_now_ms() + 2000;
		return;
	}
	set_fatal(r, "GetShardIterator", s, &res->err);
	s->st = S_STOPPED;
}

static void
on_get(void *ctx, const struct aws_result *res)
{
	struct sreq *q = ctx;
	struct sshard *s = q->s;
	struct shardreader *r = s->r;
	struct kinesis_records *rs = &s->rs;
	struct cs_err e;
	uint64_t now = cs_now_ms();
	size_t raw, i;
	int until_hit = 0, at_end;
	enum shardreader_verdict v = SHARDREADER_CONTINUE;

	cs_err_clear(&e);
	if (q->gen != s->gen) {
		free(q);
		return;     /* dropped meanwhile: the records are another worker's now */
	}
	free(q);
	if (r->cfg.may_read && !r->stopping && !r->cfg.may_read(r->cfg.gate_ctx, s->id)) {
		drop(s);
		return;
	}
	if (!res->ok) {
		if (r->stopping || strcmp(res->err.code, "Interrupted") == 0) {
			s->st = S_STOPPED;
		} else if (strcmp(res->err.code, "ExpiredIteratorException") == 0) {
			/* renew after the last record read, else from where we started */
			if (s->last_seq) {
				free(s->pos_seq);
				s->pos_seq = cs_strdup(s->last_seq);
				s->pos.type = KINESIS_AFTER_SEQUENCE_NUMBER;
				s->pos.seq = s->pos_seq;
			}
			s->st = S_NEED_ITER;
			s->next_due = now;
		} else if (strcmp(res->err.code, "ProvisionedThroughputExceededException") == 0 ||
		    strcmp(res->err.code, "LimitExceededException") == 0) {
			unsigned wait = 1000u << (s->throttled < 3 ? s->throttled : 3);

			s->throttled++;
			s->st = S_IDLE;
			s->next_due = now + wait;
		} else {
			set_fatal(r, "GetRecords", s, &res->err);
			s->st = S_STOPPED;
		}
		return;
	}
	s->throttled = 0;
	if (kinesis_parse_get_records(res->body->data ? res->body->data : "", res->body->len, rs,
	    &e) < 0) {
		set_fatal(r, "GetRecords", s, &e);
		s->st = S_STOPPED;
		return;
	}
	if (s->skip_seq && rs->n) {
		const struct kinesis_record *f = &rs->rec[0];

		/* resumed AT a checkpoint: that record was done, unless only part of an aggregate */
		if (strcmp(KREC_SEQ(rs, f), s->skip_seq) == 0 &&
		    !kpl_is_aggregate(KREC_DATA(rs, f), f->data_len)) {
			memmove(rs->rec, rs->rec + 1, (rs->n - 1) * sizeof *rs->rec);
			rs->n--;
		}
		free(s->skip_seq);
		s->skip_seq = NULL;
	}
	raw = rs->n;
	if (r->cfg.until_ms) {
		for (i = 0; i < rs->n; i++)
			if (rs->rec[i].arrival_ms > r->cfg.until_ms)
				break;
		if (i < rs->n) {
			rs->n = i;
			until_hit = 1;
		}
	}
	if (rs->n) {
		const struct kinesis_record *last = &rs->rec[rs->n - 1];

		free(s->last_seq);
		s->last_seq = cs_strndup(KREC_SEQ(rs, last), last->seq_len);
		r->records += rs->n;
		if (last->arrival_ms)
			s->last_arrival_ms = last->arrival_ms;
	}
	s->millis_behind = rs->millis_behind;
	free(s->iter);
	s->iter = rs->next_iterator;
	rs->next_iterator = NULL;
	at_end = !s->iter && !until_hit;
	if (s->skip_subseq >= 0 && rs->n) {
		const struct kinesis_record *first = &rs->rec[0];

		if (s->pos_seq && first->seq_len == strlen(s->pos_seq) &&
		    memcmp(KREC_SEQ(rs, first), s->pos_seq, first->seq_len) == 0)
			rs->skip_subseq = s->skip_subseq;
		s->skip_subseq = -1;
	}
	if (rs->n || at_end)
		v = r->cfg.on_records(r->cfg.ctx, s->id, rs, at_end);
	/* the consumer copied what it keeps: an idle shard holds no megabytes */
	if (rs->arena.cap > (1u << 20) || rs->cap > 4096)
		kinesis_records_free(rs);
	if (until_hit) {
		s->st = S_STOPPED;
	} else if (at_end) {
		if (v == SHARDREADER_HOLD)
			s->st = S_HELD_END;
		else
			shard_finished(s);
	} else if (r->stopping) {
		s->st = S_STOPPED;
	} else {
		s->st = v == SHARDREADER_HOLD ? S_HELD : S_IDLE;
		if (r->cfg.exit_at_end && raw == 0 && rs->millis_behind <= 0)
			s->st = S_CAUGHTUP;
		/* --until in the past and nothing more to read: no later record can qualify */
		if (r->cfg.until_ms && raw == 0 && rs->millis_behind <= 0 &&
		    cs_wall_ms() > r->cfg.until_ms)
			s->st = S_STOPPED;
		/* at most one read per interval, counted from the start of this
		 * one; a shard that answered with records, or that is still
		 * behind (an empty answer with MillisBehindLatest > 0, as the
		 * service gives over a gap), is read again as soon as that allows */
		s->next_due = s->next_due + r->cfg.min_interval_ms;
		if (s->next_due < now && raw == 0 && rs->millis_behind <= 0)
			s->next_due = now + r->cfg.min_interval_ms / 2;
	}
}

struct shardreader *
shardreader_new(struct aws_client *c, struct aws_client *lc, const struct shardreader_config *cfg,
    struct cs_err *err)
{
	struct shardreader *r = cs_calloc(1, sizeof *r);
	size_t i;

	r->c = c;
	r->lc = lc;
	r->cfg = *cfg;
	if (!r->cfg.min_interval_ms)
		r->cfg.min_interval_ms = 200;
	if (!r->cfg.relist_ms)
		r->cfg.relist_ms = 10000;
	buf_init(&r->req);
	if (relist(r, err) < 0) {
		shardreader_free(r);
		return NULL;
	}
	for (i = 0; i < cfg->nshards; i++) {
		if (!find(r, cfg->shards[i])) {
			cs_err_set(err, "stream '%s' has no shard '%s'", cfg->stream, cfg->shards[i]);
			snprintf(err->code, sizeof err->code, "NoSuchShard");
			shardreader_free(r);
			return NULL;
		}
	}
	return r;
}

void
shardreader_free(struct shardreader *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->n; i++) {
		struct sshard *s = r->s[i];

		free(s->id);
		free(s->parent);
		free(s->adj);
		free(s->iter);
		free(s->last_seq);
		free(s->pos_seq);
		free(s->skip_seq);
		kinesis_records_free(&s->rs);
		free(s);
	}
	free(r->s);
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
	int busy = 0, changed;

	*fatal = 0;
	if (r->fatal) {
		*fatal = 1;
		*err = r->fatal_err;
		return -1;
	}
	if (r->stopping)
		return aws_inflight(r->c) ? 100 : -1;
	if (now >= r->relist_due && !r->relisting) {
		r->relisting = 1;
		list_page(r, NULL);
	}
	if (r->cfg.may_read) {
		for (i = 0; i < r->n; i++) {
			struct sshard *s = r->s[i];
			int may = r->cfg.may_read(r->cfg.gate_ctx, s->id);

			if (s->st == S_UNOWNED && may)
				s->st = S_WAIT_PARENTS;
			else if (!may && (s->st == S_WAIT_PARENTS || active(s->st)))
				drop(s);
		}
		busy = 1;   /* shared: leases come and go; only a stop ends the reading */
	}
	do {
		changed = 0;
		for (i = 0; i < r->n; i++) {
			struct sshard *s = r->s[i];

			if (s->st == S_WAIT_PARENTS && parent_done(r, s->parent) &&
			    parent_done(r, s->adj)) {
				choose_start(r, s);
				s->st = S_NEED_ITER;
				s->next_due = now;
				changed = 1;
			}
		}
	} while (changed);
	for (i = 0; i < r->n; i++) {
		struct sshard *s = r->s[i];

		if ((s->st == S_NEED_ITER || s->st == S_IDLE) && s->next_due > now) {
			if (wait < 0 || (int64_t)(s->next_due - now) < wait)
				wait = (int64_t)(s->next_due - now);
		} else if (s->st == S_NEED_ITER) {
			kinesis_get_shard_iterator_body(&r->req, r->cfg.stream, s->id, &s->pos);
			s->st = S_ITER_INFLIGHT;
			aws_submit(r->c, "GetShardIterator", r->req.data, r->req.len, on_iter,
			    sreq_new(s));
		} else if (s->st == S_IDLE) {
			kinesis_get_records_body(&r->req, s->iter, r->cfg.limit);
			s->st = S_GET_INFLIGHT;
			s->next_due = now;
			aws_submit(r->c, "GetRecords", r->req.data, r->req.len, on_get, sreq_new(s));
		}
		if (active(s->st))
			busy = 1;
	}
	if (r->fatal) {
		*fatal = 1;
		*err = r->fatal_err;
		return -1;
	}
	if (!busy && !aws_inflight(r->c) && !r->relisting) {
		/* every shard finished, stopped or caught up */
		return -1;
	}
	if (!r->cfg.exit_at_end) {
		int64_t rl = r->relist_due > now ? (int64_t)(r->relist_due - now) : 0;

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
	struct sshard *s = find(r, shard);

	if (!s)
		return;
	if (s->st == S_HELD) {
		s->st = r->stopping ? S_STOPPED : S_IDLE;
		if (s->next_due < cs_now_ms())
			s->next_due = cs_now_ms();
	} else if (s->st == S_HELD_END) {
		shard_finished(s);
	}
}

void
shardreader_stop(struct shardreader *r)
{
	size_t i;

	r->stopping = 1;
	for (i = 0; i < r->n; i++)
		if (r->s[i]->st != S_GET_INFLIGHT && r->s[i]->st != S_ITER_INFLIGHT &&
		    r->s[i]->st != S_FINISHED && r->s[i]->st != S_SKIPPED)
			r->s[i]->st = S_STOPPED;
}

int
shardreader_shard_lag(const struct shardreader *r, size_t i, struct shardreader_lag *lag)
{
	if (i >= r->n)
		return -1;
	lag->shard = r->s[i]->id;
	lag->millis_behind = r->s[i]->millis_behind;
	lag->last_arrival_ms = r->s[i]->last_arrival_ms;
	lag->active = r->s[i]->st != S_FINISHED && r->s[i]->st != S_SKIPPED &&
	    r->s[i]->st != S_UNOWNED;
	return 0;
}

size_t
shardreader_nshards(const struct shardreader *r)
{
	return r->n;
}

unsigned long long
shardreader_records(const struct shardreader *r)
{
	return r->records;
}
