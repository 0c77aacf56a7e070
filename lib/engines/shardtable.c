/* shardtable.c - the shard bookkeeping both stream readers share (see shardtable.h). */
#include <stdlib.h>
#include <string.h>

#include "kpl.h"
#include "shardtable.h"

struct shard *
shardtable_find(const struct shardtable *t, const char *id)
{
	size_t i;

	if (!id)
		return NULL;
	for (i = 0; i < t->n; i++)
		if (strcmp(t->s[i]->id, id) == 0)
			return t->s[i];
	return NULL;
}

static int
selected(const struct shardtable *t, const char *id)
{
	size_t i;

	if (!t->cfg.shards)
		return 1;
	for (i = 0; i < t->cfg.nshards; i++)
		if (strcmp(t->cfg.shards[i], id) == 0)
			return 1;
	return 0;
}

static const struct checkpoint_entry *
ck_entry(const struct shardtable *t, const char *id)
{
	return t->cfg.ck && id ? checkpoint_get(t->cfg.ck, id) : NULL;
}

void
shardtable_fail(struct shardtable *t, const char *op, const struct shard *s, const struct cs_err *e)
{
	if (t->fatal)
		return;
	t->fatal = 1;
	cs_err_set(&t->fatal_err, "%s on '%s/%s': %s", op, t->cfg.stream, s->id, e->msg);
	memcpy(t->fatal_err.code, e->code, sizeof e->code);
}

int
shardtable_fatal(const struct shardtable *t, int *fatal, struct cs_err *err)
{
	if (!t->fatal)
		return 0;
	*fatal = 1;
	*err = t->fatal_err;
	return -1;
}

void
shardtable_listed(struct shardtable *t, const struct kinesis_shard *ks, size_t nks)
{
	size_t i;

	if (t->cfg.on_shards)
		t->cfg.on_shards(t->cfg.gate_ctx, ks, nks);
	for (i = 0; i < nks; i++) {
		struct shard *s = shardtable_find(t, ks[i].id);
		const struct checkpoint_entry *e;

		if (s) {
			s->closed = ks[i].seq_end != NULL;
			continue;
		}
		if (!selected(t, ks[i].id))
			continue;
		s = cs_calloc(1, t->ops.shard_size);
		s->millis_behind = -1;
		s->skip_subseq = -1;
		s->id = cs_strdup(ks[i].id);
		s->parent = ks[i].parent ? cs_strdup(ks[i].parent) : NULL;
		s->adj = ks[i].adjacent_parent ? cs_strdup(ks[i].adjacent_parent) : NULL;
		s->closed = ks[i].seq_end != NULL;
		s->known_at_start = !t->listed_once;
		s->st = t->cfg.may_read ? SHARD_UNOWNED : SHARD_WAIT_PARENTS;
		kinesis_records_init(&s->rs);
		e = ck_entry(t, s->id);
		if (e && e->finished)
			s->st = SHARD_SKIPPED;
		else if (!e && s->known_at_start && s->closed && t->cfg.start.type == KINESIS_LATEST)
			s->st = SHARD_SKIPPED;
		if (t->n == t->cap) {
			t->cap = t->cap ? t->cap * 2 : 16;
			t->s = cs_realloc(t->s, t->cap * sizeof *t->s);
		}
		t->s[t->n++] = s;
	}
	t->listed_once = 1;
	t->relist_due = cs_now_ms() + t->cfg.relist_ms;
}

int
shardtable_relist(struct shardtable *t, struct aws_client *lc, struct cs_err *err)
{
	struct kinesis_shard *ks = NULL;
	size_t nks = 0;

	if (kinesis_list_shards(lc, t->cfg.stream, &ks, &nks, err) < 0)
		return -1;
	shardtable_listed(t, ks, nks);
	kinesis_shards_free(ks, nks);
	return 0;
}

void
shardtable_list_failed(struct shardtable *t, const struct cs_err *e)
{
	if (strcmp(e->code, "ResourceNotFoundException") == 0) {
		if (!t->fatal) {
			t->fatal = 1;
			t->fatal_err = *e;
		}
	} else {
		t->relist_due = cs_now_ms() + 1000;   /* a passing failure: try again soon */
	}
}

int
shardtable_init(struct shardtable *t, struct aws_client *lc, const struct shardreader_config *cfg,
    const struct shardtable_ops *ops, struct cs_err *err)
{
	size_t i;

	memset(t, 0, sizeof *t);
	t->cfg = *cfg;
	t->ops = *ops;
	if (!t->cfg.relist_ms)
		t->cfg.relist_ms = 10000;
	if (shardtable_relist(t, lc, err) < 0)
		return -1;
	for (i = 0; i < cfg->nshards; i++) {
		if (!shardtable_find(t, cfg->shards[i])) {
			cs_err_set(err, "stream '%s' has no shard '%s'", cfg->stream, cfg->shards[i]);
			snprintf(err->code, sizeof err->code, "NoSuchShard");
			return -1;
		}
	}
	return 0;
}

void
shardtable_free(struct shardtable *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		struct shard *s = t->s[i];

		t->ops.free(s);
		free(s->id);
		free(s->parent);
		free(s->adj);
		free(s->pos_seq);
		free(s->skip_seq);
		kinesis_records_free(&s->rs);
		free(s);
	}
	free(t->s);
	t->s = NULL;
	t->n = t->cap = 0;
}

/* --- the order of reading ------------------------------------------------- */

static int
parent_done(const struct shardtable *t, const char *id)
{
	const struct checkpoint_entry *e;
	const struct shard *p;

	if (!id)
		return 1;
	e = ck_entry(t, id);
	if (e && e->finished)
		return 1;
	/* shared: a parent without a lease was cleaned up, or never to be read */
	if (t->cfg.may_read && !e)
		return 1;
	p = shardtable_find(t, id);
	/* a parent past the retention period, or one left to another worker (--shards) */
	if (!p)
		return 1;
	return p->st == SHARD_FINISHED || p->st == SHARD_SKIPPED;
}

static int
parent_finished_before(const struct shardtable *t, const char *id)
{
	const struct checkpoint_entry *e = ck_entry(t, id);
	const struct shard *p = shardtable_find(t, id);

	return (e && e->finished) || (p && p->st == SHARD_FINISHED);
}

/* Where S starts, once its parents are done. */
static void
choose_start(const struct shardtable *t, struct shard *s)
{
	const struct checkpoint_entry *e = ck_entry(t, s->id);
	const struct kinesis_position *st = &t->cfg.start;

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
		/* a lease's checkpoint, maybe of an aggregate only partly handled: AT it */
		s->pos.type = KINESIS_AT_SEQUENCE_NUMBER;
		s->pos_seq = cs_strdup(e->seq);
		s->skip_seq = cs_strdup(e->seq);
	} else if (e && e->seq) {
		s->pos.type = KINESIS_AFTER_SEQUENCE_NUMBER;
		s->pos_seq = cs_strdup(e->seq);
	} else if (st->type == KINESIS_AT_TIMESTAMP) {
		s->pos = *st;
	} else if (st->type == KINESIS_LATEST && s->known_at_start &&
	    !parent_finished_before(t, s->parent) && !parent_finished_before(t, s->adj)) {
		s->pos.type = KINESIS_LATEST;
	} else if ((st->type == KINESIS_AT_SEQUENCE_NUMBER ||
	    st->type == KINESIS_AFTER_SEQUENCE_NUMBER) && selected(t, s->id) && t->cfg.shards) {
		s->pos.type = st->type;
		s->pos_seq = cs_strdup(st->seq);
	} else {
		s->pos.type = KINESIS_TRIM_HORIZON;
	}
	s->pos.seq = s->pos_seq;
}

void
shardtable_start_ready(struct shardtable *t, uint64_t now)
{
	size_t i;
	int changed;

	do {
		changed = 0;
		for (i = 0; i < t->n; i++) {
			struct shard *s = t->s[i];

			if (s->st == SHARD_WAIT_PARENTS && parent_done(t, s->parent) &&
			    parent_done(t, s->adj)) {
				choose_start(t, s);
				s->st = SHARD_READY;
				s->next_due = now;
				changed = 1;
			}
		}
	} while (changed);
}

void
shardtable_finished(struct shardtable *t, struct shard *s)
{
	s->st = SHARD_FINISHED;
	t->relist_due = cs_now_ms();   /* its children may be new to us */
}

/* --- shared reading ------------------------------------------------------- */

int
shardtable_active(enum shard_state st)
{
	return st == SHARD_READY || st == SHARD_STARTING || st == SHARD_IDLE ||
	    st == SHARD_READING || st == SHARD_HELD || st == SHARD_HELD_END;
}

int
shardtable_gate(struct shardtable *t)
{
	size_t i;

	if (!t->cfg.may_read)
		return 0;
	for (i = 0; i < t->n; i++) {
		struct shard *s = t->s[i];
		int may = t->cfg.may_read(t->cfg.gate_ctx, s->id);

		if (s->st == SHARD_UNOWNED && may)
			s->st = SHARD_WAIT_PARENTS;
		else if (!may && (s->st == SHARD_WAIT_PARENTS || shardtable_active(s->st)))
			t->ops.drop(s);
	}
	return 1;   /* shared: leases come and go; only a stop ends the reading */
}

int
shardtable_ours(struct shardtable *t, struct shard *s)
{
	if (!t->cfg.may_read || t->stopping || t->cfg.may_read(t->cfg.gate_ctx, s->id))
		return 1;
	t->ops.drop(s);
	return 0;
}

void
shardtable_taken(struct shardtable *t, const char *shard)
{
	if (!shardtable_find(t, shard))
		t->relist_due = cs_now_ms();   /* a child of a reshard, not listed yet */
}

void
shardtable_drop(struct shardtable *t, const char *shard)
{
	struct shard *s = shardtable_find(t, shard);

	if (s && (s->st == SHARD_WAIT_PARENTS || shardtable_active(s->st)))
		t->ops.drop(s);
}

/* --- an answer's records ---------------------------------------------------- */

static int
is_first(const struct kinesis_records *rs, const char *seq)
{
	const struct kinesis_record *f = &rs->rec[0];

	return f->seq_len == strlen(seq) && memcmp(KREC_SEQ(rs, f), seq, f->seq_len) == 0;
}

size_t
shardtable_take(struct shardtable *t, struct shard *s, int *until_hit)
{
	struct kinesis_records *rs = &s->rs;
	size_t i, raw;

	*until_hit = 0;
	/*
	 * Resumed inside an aggregate: its first user records were handled.
	 * Left out of the first records delivered since the start, whatever
	 * came before them (answers or events with no records, a renewal of
	 * a subscription that brought none): until then the skip waits.
	 */
	if (s->skip_subseq >= 0 && rs->n) {
		if (s->pos_seq && is_first(rs, s->pos_seq))
			rs->skip_subseq = s->skip_subseq;
		s->skip_subseq = -1;
	}
	if (s->skip_seq && rs->n) {
		const struct kinesis_record *f = &rs->rec[0];

		/* resumed AT a checkpoint: that record was done, unless only part of an aggregate */
		if (is_first(rs, s->skip_seq) && !kpl_is_aggregate(KREC_DATA(rs, f), f->data_len)) {
			memmove(rs->rec, rs->rec + 1, (rs->n - 1) * sizeof *rs->rec);
			rs->n--;
		}
		free(s->skip_seq);
		s->skip_seq = NULL;
	}
	raw = rs->n;
	if (t->cfg.until_ms) {
		for (i = 0; i < rs->n; i++)
			if (rs->rec[i].arrival_ms > t->cfg.until_ms)
				break;
		if (i < rs->n) {
			rs->n = i;
			*until_hit = 1;
		}
	}
	if (rs->n) {
		t->records += rs->n;
		if (rs->rec[rs->n - 1].arrival_ms)
			s->last_arrival_ms = rs->rec[rs->n - 1].arrival_ms;
	}
	s->millis_behind = rs->millis_behind;
	return raw;
}

enum shard_state
shardtable_hand_on(struct shardtable *t, struct shard *s, int until_hit, int at_end, size_t raw)
{
	struct kinesis_records *rs = &s->rs;
	enum shardreader_verdict v = SHARDREADER_CONTINUE;
	int caught_up = raw == 0 && rs->millis_behind <= 0;

	if (rs->n || at_end)
		v = t->cfg.on_records(t->cfg.ctx, s->id, rs, at_end);
	/* the consumer copied what it keeps: an idle shard holds no megabytes */
	if (rs->arena.cap > (1u << 20) || rs->cap > 4096)
		kinesis_records_free(rs);
	if (until_hit)
		return SHARD_STOPPED;
	if (at_end)
		return v == SHARDREADER_HOLD ? SHARD_HELD_END : SHARD_FINISHED;
	if (t->cfg.exit_at_end && caught_up)
		return SHARD_CAUGHTUP;
	/* --until in the past and nothing more to read: no later record can qualify */
	if (t->cfg.until_ms && caught_up && cs_wall_ms() > t->cfg.until_ms)
		return SHARD_STOPPED;
	return v == SHARDREADER_HOLD ? SHARD_HELD : SHARD_READING;
}

int
shardtable_lag(const struct shardtable *t, size_t i, struct shardreader_lag *lag)
{
	if (i >= t->n)
		return -1;
	lag->shard = t->s[i]->id;
	lag->millis_behind = t->s[i]->millis_behind;
	lag->last_arrival_ms = t->s[i]->last_arrival_ms;
	lag->active = t->s[i]->st != SHARD_FINISHED && t->s[i]->st != SHARD_SKIPPED &&
	    t->s[i]->st != SHARD_UNOWNED;
	return 0;
}
