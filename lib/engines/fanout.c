/* fanout.c - every shard of a stream through SubscribeToShard (see fanout.h). */
#include <stdlib.h>
#include <string.h>

#include "eventstream.h"
#include "fanout.h"
#include "kpl.h"

#define FO_STALL_S 60            /* a subscription silent this long is dead (the service sends every 5 s) */
#define FO_IN_USE_WAIT_MS 5000   /* ResourceInUseException: the wait the service documents */
#define FO_MAX_FAILS 10          /* subscriptions in a row that brought no event: give up */
#define FO_MAX_BUFFERED (64u << 20)

enum fstate {
	F_WAIT_PARENTS,   /* a parent is not finished yet */
	F_READY,          /* to subscribe at next_due */
	F_LIVE,           /* subscribed (or its last bytes still to handle) */
	F_HELD,           /* the consumer holds it: stream paused */
	F_HELD_END,       /* held, and its last records were delivered */
	F_CAUGHTUP,       /* -e: nothing more for now */
	F_STOPPED,        /* --until reached, or the reader stopped */
	F_FINISHED,       /* read to its end */
	F_SKIPPED,        /* finished before this run, or closed at start with --from latest */
	F_UNOWNED,        /* shared reading: not ours to read now (no lease) */
};

struct fshard {
	struct fanout *f;
	char *id, *parent, *adj;
	int closed, known_at_start;
	enum fstate st;
	struct kinesis_position pos;   /* the first subscription's start */
	char *pos_seq;
	long skip_subseq;         /* >= 0: resumed inside the aggregate at pos_seq (checkpoint) */
	char *skip_seq;           /* resume_at: drop this record when it comes first (not an aggregate) */
	char *cont;                    /* ContinuationSequenceNumber of the last event handled */
	struct aws_stream *stream;
	int ended, end_ok;             /* the stream ended (DONE called) */
	struct cs_err end_err;
	uint64_t sub_start, next_due;
	unsigned fails;                /* subscriptions in a row without an event */
	int got_event;                 /* in this subscription */
	struct buf in;                 /* bytes received, not yet decoded */
	size_t in_off;
	struct kinesis_records rs;
	struct kinesis_subscribe_event ev;
	int64_t millis_behind;         /* of the last event, -1 before one */
	int64_t last_arrival_ms;       /* of the last record handed on, 0 before one */
};

struct fanout {
	struct aws_client *c, *lc;
	struct shardreader_config cfg;
	char *consumer_arn;
	fo_note_fn note;
	struct fshard **s;
	size_t n, cap;
	int listed_once, stopping, fatal;
	struct cs_err fatal_err;
	uint64_t relist_due;
	unsigned renew_ms;
	int progressed;                /* a shard finished: its children may start at once */
	unsigned long long records;
	unsigned long subscriptions;
	struct buf req;
};

static struct fshard *
find(const struct fanout *f, const char *id)
{
	size_t i;

	if (!id)
		return NULL;
	for (i = 0; i < f->n; i++)
		if (strcmp(f->s[i]->id, id) == 0)
			return f->s[i];
	return NULL;
}

static int
selected(const struct fanout *f, const char *id)
{
	size_t i;

	if (!f->cfg.shards)
		return 1;
	for (i = 0; i < f->cfg.nshards; i++)
		if (strcmp(f->cfg.shards[i], id) == 0)
			return 1;
	return 0;
}

static const struct checkpoint_entry *
ck_entry(const struct fanout *f, const char *id)
{
	return f->cfg.ck ? checkpoint_get(f->cfg.ck, id) : NULL;
}

static void
note(struct fanout *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
note(struct fanout *f, const char *fmt, ...)
{
	char msg[CS_ERRMAX + 256];
	va_list ap;

	if (!f->note)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	f->note(f->cfg.ctx, msg);
}

static void
set_fatal(struct fanout *f, const struct fshard *s, const struct cs_err *e)
{
	if (f->fatal)
		return;
	f->fatal = 1;
	cs_err_set(&f->fatal_err, "SubscribeToShard on '%s/%s': %s", f->cfg.stream, s->id, e->msg);
	memcpy(f->fatal_err.code, e->code, sizeof e->code);
}

static void
merge(struct fanout *f, const struct kinesis_shard *ks, size_t nks)
{
	size_t i;

	if (f->cfg.on_shards)
		f->cfg.on_shards(f->cfg.gate_ctx, ks, nks);
	for (i = 0; i < nks; i++) {
		struct fshard *s = find(f, ks[i].id);
		const struct checkpoint_entry *e;

		if (s) {
			s->closed = ks[i].seq_end != NULL;
			continue;
		}
		if (!selected(f, ks[i].id))
			continue;
		s = cs_calloc(1, sizeof *s);
		s->skip_subseq = -1;
		s->f = f;
		s->millis_behind = -1;
		s->id = cs_strdup(ks[i].id);
		s->parent = ks[i].parent ? cs_strdup(ks[i].parent) : NULL;
		s->adj = ks[i].adjacent_parent ? cs_strdup(ks[i].adjacent_parent) : NULL;
		s->closed = ks[i].seq_end != NULL;
		s->known_at_start = !f->listed_once;
		s->st = f->cfg.may_read ? F_UNOWNED : F_WAIT_PARENTS;
		buf_init(&s->in);
		kinesis_records_init(&s->rs);
		kinesis_subscribe_event_init(&s->ev);
		e = ck_entry(f, s->id);
		if (e && e->finished)
			s->st = F_SKIPPED;
		else if (!e && s->known_at_start && s->closed && f->cfg.start.type == KINESIS_LATEST)
			s->st = F_SKIPPED;
		if (f->n == f->cap) {
			f->cap = f->cap ? f->cap * 2 : 16;
			f->s = cs_realloc(f->s, f->cap * sizeof *f->s);
		}
		f->s[f->n++] = s;
	}
	f->listed_once = 1;
}

static int
relist(struct fanout *f, struct cs_err *err)
{
	struct kinesis_shard *ks = NULL;
	size_t nks = 0;

	f->relist_due = cs_now_ms() + f->cfg.relist_ms;
	if (kinesis_list_shards(f->lc, f->cfg.stream, &ks, &nks, err) < 0)
		return -1;
	merge(f, ks, nks);
	kinesis_shards_free(ks, nks);
	return 0;
}

static int
parent_done(const struct fanout *f, const char *id)
{
	const struct checkpoint_entry *e;
	const struct fshard *p;

	if (!id)
		return 1;
	e = ck_entry(f, id);
	if (e && e->finished)
		return 1;
	/* shared: a parent without a lease was cleaned up, or never to be read */
	if (f->cfg.may_read && !e)
		return 1;
	p = find(f, id);
	if (!p)
		return 1;   /* past the retention period, or not ours (--shards) */
	return p->st == F_FINISHED || p->st == F_SKIPPED;
}

static int
parent_finished_before(const struct fanout *f, const char *id)
{
	const struct checkpoint_entry *e = id ? ck_entry(f, id) : NULL;
	const struct fshard *p = find(f, id);

	return (e && e->finished) || (p && p->st == F_FINISHED);
}

/* where S starts, once its parents are done: as the polling reader decides */
static void
choose_start(struct fanout *f, struct fshard *s)
{
	const struct checkpoint_entry *e = ck_entry(f, s->id);
	const struct kinesis_position *st = &f->cfg.start;

	free(s->pos_seq);
	s->pos_seq = NULL;
	memset(&s->pos, 0, sizeof s->pos);
	s->skip_subseq = -1;
	free(s->skip_seq);
	s->skip_seq = NULL;
	if (e && e->seq && e->subseq >= 0) {
		/* stopped inside a KPL aggregate: from it again, its first user records left out */
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
	    !parent_finished_before(f, s->parent) && !parent_finished_before(f, s->adj)) {
		s->pos.type = KINESIS_LATEST;
	} else if ((st->type == KINESIS_AT_SEQUENCE_NUMBER ||
	    st->type == KINESIS_AFTER_SEQUENCE_NUMBER) && selected(f, s->id) && f->cfg.shards) {
		s->pos.type = st->type;
		s->pos_seq = cs_strdup(st->seq);
	} else {
		s->pos.type = KINESIS_TRIM_HORIZON;
	}
	s->pos.seq = s->pos_seq;
}

/* --- one subscription ------------------------------------------------------ */

static int
on_data(void *ctx, const char *p, size_t n)
{
	struct fshard *s = ctx;

	if (s->in.len - s->in_off + n > FO_MAX_BUFFERED)
		return -1;
	buf_add(&s->in, p, n);
	return 0;
}

static void
on_done(void *ctx, const struct aws_result *res)
{
	struct fshard *s = ctx;

	s->stream = NULL;
	s->ended = 1;
	s->end_ok = res->ok;
	s->end_err = res->err;
}

static void
drop_stream(struct fshard *s)
{
	aws_stream_cancel(s->stream);
	s->stream = NULL;
	s->ended = 0;
	buf_reset(&s->in);
	s->in_off = 0;
}

/*
 * Shared reading: the shard is no longer ours.  The subscription goes at once
 * with what it brought and was not handed on; whoever reads it next starts
 * from the lease's checkpoint, not from our continuation.
 */
static void
drop(struct fshard *s)
{
	drop_stream(s);
	free(s->cont);
	s->cont = NULL;
	s->fails = 0;
	s->st = F_UNOWNED;
}

static int
ours(struct fanout *f, struct fshard *s)
{
	if (!f->cfg.may_read || f->stopping || f->cfg.may_read(f->cfg.gate_ctx, s->id))
		return 1;
	drop(s);
	return 0;
}

static void
subscribe(struct fanout *f, struct fshard *s)
{
	struct kinesis_position pos = s->pos;
	struct cs_err err;

	cs_err_clear(&err);
	if (s->cont) {
		/* a renewal: right after the last event handled */
		pos.type = KINESIS_AFTER_SEQUENCE_NUMBER;
		pos.seq = s->cont;
	}
	kinesis_subscribe_body(&f->req, f->consumer_arn, s->id, &pos);
	drop_stream(s);
	s->got_event = 0;
	s->sub_start = cs_now_ms();
	f->subscriptions++;
	s->stream = aws_stream_start(f->c, "SubscribeToShard", f->req.data, f->req.len, FO_STALL_S,
	    on_data, on_done, s, &err);
	if (!s->stream) {
		set_fatal(f, s, &err);
		s->st = F_STOPPED;
		return;
	}
	s->st = F_LIVE;
}

/* the subscription ended early: try again from the same place after WAIT_MS */
static void
retry_later(struct fanout *f, struct fshard *s, unsigned wait_ms, const struct cs_err *why)
{
	drop_stream(s);
	if (f->stopping) {
		s->st = F_STOPPED;
		return;
	}
	if (!s->got_event)
		s->fails++;
	if (s->fails >= FO_MAX_FAILS) {
		struct cs_err e = *why;
		size_t l = strlen(e.msg);

		snprintf(e.msg + l, sizeof e.msg - l, " (gave up after %u subscriptions)", s->fails);
		set_fatal(f, s, &e);
		s->st = F_STOPPED;
		return;
	}
	if (!wait_ms) {
		unsigned n = s->fails < 6 ? s->fails : 6;

		wait_ms = 250u << n;
	}
	note(f, "SubscribeToShard on '%s/%s': %s; subscribing again in %.1f s", f->cfg.stream,
	    s->id, why->msg, wait_ms / 1000.0);
	s->st = F_READY;
	s->next_due = cs_now_ms() + wait_ms;
}

/* the service's verdict on a failed subscription: give up, or when to try again */
static void
failed(struct fanout *f, struct fshard *s, const struct cs_err *e)
{
	const char *code = e->code;

	if (strcmp(code, "ResourceInUseException") == 0) {
		retry_later(f, s, FO_IN_USE_WAIT_MS, e);
	} else if (strcmp(code, "ResourceNotFoundException") == 0 ||
	    strcmp(code, "AccessDeniedException") == 0 ||
	    strcmp(code, "InvalidArgumentException") == 0 ||
	    strcmp(code, "ValidationException") == 0 ||
	    strcmp(code, "UnrecognizedClientException") == 0 ||
	    strcmp(code, "CredentialsError") == 0) {
		drop_stream(s);
		set_fatal(f, s, e);
		s->st = F_STOPPED;
	} else {
		retry_later(f, s, 0, e);
	}
}

static void
shard_finished(struct fanout *f, struct fshard *s)
{
	drop_stream(s);
	s->st = F_FINISHED;
	f->progressed = 1;
	f->relist_due = cs_now_ms();   /* its children may be new to us */
}

/* one SubscribeToShardEvent */
static void
handle_event(struct fanout *f, struct fshard *s, const struct es_message *m)
{
	struct kinesis_records *rs = &s->rs;
	struct kinesis_subscribe_event *ev = &s->ev;
	struct cs_err e;
	size_t raw, i;
	int until_hit = 0, at_end;
	enum shardreader_verdict v = SHARDREADER_CONTINUE;

	cs_err_clear(&e);
	if (kinesis_parse_subscribe_event((const char *)m->payload, m->payload_len, rs, ev, &e) < 0) {
		snprintf(e.code, sizeof e.code, "MalformedEvent");
		retry_later(f, s, 0, &e);
		return;
	}
	s->got_event = 1;
	s->fails = 0;
	if (s->skip_subseq >= 0 && rs->n) {
		const struct kinesis_record *first = &rs->rec[0];

		if (!s->cont && s->pos_seq && first->seq_len == strlen(s->pos_seq) &&
		    memcmp(KREC_SEQ(rs, first), s->pos_seq, first->seq_len) == 0)
			rs->skip_subseq = s->skip_subseq;
		s->skip_subseq = -1;
	}
	if (s->skip_seq && rs->n) {
		const struct kinesis_record *first = &rs->rec[0];

		/* resumed AT a lease's checkpoint: that record was done, unless only part of an aggregate */
		if (first->seq_len == strlen(s->skip_seq) &&
		    memcmp(KREC_SEQ(rs, first), s->skip_seq, first->seq_len) == 0 &&
		    !kpl_is_aggregate(KREC_DATA(rs, first), first->data_len)) {
			memmove(rs->rec, rs->rec + 1, (rs->n - 1) * sizeof *rs->rec);
			rs->n--;
		}
		free(s->skip_seq);
		s->skip_seq = NULL;
	}
	raw = rs->n;
	if (f->cfg.until_ms) {
		for (i = 0; i < rs->n; i++)
			if (rs->rec[i].arrival_ms > f->cfg.until_ms)
				break;
		if (i < rs->n) {
			rs->n = i;
			until_hit = 1;
		}
	}
	/*
	 * The end of a shard: the service's last event has no continuation (and
	 * names the children).  An emulator that never says so: a shard the
	 * list shows closed, whose subscription is caught up with nothing more.
	 */
	at_end = !until_hit && (!ev->continuation ||
	    (s->closed && raw == 0 && rs->millis_behind <= 0));
	if (rs->n) {
		f->records += rs->n;
		if (rs->rec[rs->n - 1].arrival_ms)
			s->last_arrival_ms = rs->rec[rs->n - 1].arrival_ms;
	}
	s->millis_behind = rs->millis_behind;
	if (ev->continuation) {
		free(s->cont);
		s->cont = cs_strdup(ev->continuation);
	}
	if (rs->n || at_end)
		v = f->cfg.on_records(f->cfg.ctx, s->id, rs, at_end);
	if (rs->arena.cap > (1u << 20) || rs->cap > 4096)
		kinesis_records_free(rs);
	if (until_hit) {
		drop_stream(s);
		s->st = F_STOPPED;
	} else if (at_end) {
		if (v == SHARDREADER_HOLD) {
			drop_stream(s);   /* nothing more will come */
			s->st = F_HELD_END;
		} else {
			shard_finished(f, s);
		}
	} else if (f->cfg.exit_at_end && raw == 0 && rs->millis_behind <= 0) {
		drop_stream(s);
		s->st = F_CAUGHTUP;
	} else if (f->cfg.until_ms && raw == 0 && rs->millis_behind <= 0 &&
	    cs_wall_ms() > f->cfg.until_ms) {
		drop_stream(s);
		s->st = F_STOPPED;
	} else if (v == SHARDREADER_HOLD) {
		if (s->stream)
			aws_stream_pause(s->stream, 1);
		s->st = F_HELD;
	}
}

/* one message of the stream */
static void
handle_message(struct fanout *f, struct fshard *s, const struct es_message *m)
{
	struct cs_err e;

	cs_err_clear(&e);
	if (strcmp(m->message_type, "event") == 0) {
		if (strcmp(m->event_type, "SubscribeToShardEvent") == 0)
			handle_event(f, s, m);
		/* initial-response, and events we do not know: nothing to do */
		return;
	}
	if (strcmp(m->message_type, "exception") == 0) {
		snprintf(e.code, sizeof e.code, "%s", m->exception_type[0] ? m->exception_type : "Exception");
		/* the payload is {"message": "..."}: shown as it is, bounded */
		cs_err_set(&e, "%s: %.*s", e.code, (int)(m->payload_len < 300 ? m->payload_len : 300),
		    (const char *)m->payload);
	} else if (strcmp(m->message_type, "error") == 0) {
		snprintf(e.code, sizeof e.code, "%s", m->error_code[0] ? m->error_code : "Error");
		cs_err_set(&e, "%s: %s", e.code, m->error_message);
	} else {
		snprintf(e.code, sizeof e.code, "MalformedEvent");
		cs_err_set(&e, "event stream: a message of type '%s'", m->message_type);
	}
	failed(f, s, &e);
}

/* decode and handle what S has received, until it is held or all is done */
static void
drain(struct fanout *f, struct fshard *s)
{
	if (!ours(f, s))
		return;   /* its records are another worker's now */
	while (s->st == F_LIVE && s->in_off < s->in.len) {
		struct es_message m;
		struct cs_err e;
		size_t used, need;
		int r;

		cs_err_clear(&e);
		r = es_decode((const unsigned char *)s->in.data + s->in_off, s->in.len - s->in_off, &m,
		    &used, &need, &e);
		if (r == 0)
			break;
		if (r < 0) {
			snprintf(e.code, sizeof e.code, "CorruptFrame");
			retry_later(f, s, 0, &e);
			return;
		}
		s->in_off += used;
		handle_message(f, s, &m);
	}
	if (s->in_off && (s->in_off == s->in.len || s->in_off > (1u << 20))) {
		memmove(s->in.data, s->in.data + s->in_off, s->in.len - s->in_off);
		s->in.len -= s->in_off;
		s->in_off = 0;
	}
	if (s->st != F_LIVE || !s->ended)
		return;
	/* the stream ended and everything it brought is handled */
	if (s->end_ok && s->in_off == s->in.len) {
		/* the service closed it (5 minutes are up): renew at once */
		if (!s->got_event)
			s->fails++;
		drop_stream(s);
		s->st = f->stopping ? F_STOPPED : F_READY;
		s->next_due = cs_now_ms();
	} else if (s->end_ok) {
		struct cs_err e;

		cs_err_clear(&e);
		cs_err_set(&e, "event stream: the connection ended inside a message");
		snprintf(e.code, sizeof e.code, "CorruptFrame");
		retry_later(f, s, 0, &e);
	} else {
		failed(f, s, &s->end_err);
	}
}

/* --- the reader -------------------------------------------------------------- */

struct fanout *
fo_new(struct aws_client *c, struct aws_client *lc, const struct shardreader_config *cfg,
    const char *consumer_arn, fo_note_fn note_fn, struct cs_err *err)
{
	struct fanout *f = cs_calloc(1, sizeof *f);
	size_t i;

	f->c = c;
	f->lc = lc;
	f->cfg = *cfg;
	f->note = note_fn;
	f->consumer_arn = cs_strdup(consumer_arn);
	if (!f->cfg.relist_ms)
		f->cfg.relist_ms = 10000;
	buf_init(&f->req);
	if (relist(f, err) < 0) {
		fo_free(f);
		return NULL;
	}
	for (i = 0; i < cfg->nshards; i++) {
		if (!find(f, cfg->shards[i])) {
			cs_err_set(err, "stream '%s' has no shard '%s'", cfg->stream, cfg->shards[i]);
			snprintf(err->code, sizeof err->code, "NoSuchShard");
			fo_free(f);
			return NULL;
		}
	}
	return f;
}

void
fo_free(struct fanout *f)
{
	size_t i;

	if (!f)
		return;
	for (i = 0; i < f->n; i++) {
		struct fshard *s = f->s[i];

		aws_stream_cancel(s->stream);
		free(s->id);
		free(s->parent);
		free(s->adj);
		free(s->pos_seq);
		free(s->skip_seq);
		free(s->cont);
		buf_free(&s->in);
		kinesis_records_free(&s->rs);
		kinesis_subscribe_event_free(&s->ev);
		free(s);
	}
	free(f->s);
	free(f->consumer_arn);
	buf_free(&f->req);
	free(f);
}

static int
active(enum fstate st)
{
	return st == F_READY || st == F_LIVE || st == F_HELD || st == F_HELD_END;
}

void
fo_drop(struct fanout *f, const char *shard)
{
	struct fshard *s = find(f, shard);

	if (s && (s->st == F_WAIT_PARENTS || active(s->st)))
		drop(s);
}

int
fo_step(struct fanout *f, int *fatal, struct cs_err *err)
{
	uint64_t now = cs_now_ms();
	int64_t wait = -1;
	size_t i;
	int busy = 0, changed;

	*fatal = 0;
	if (f->fatal)
		goto fatal;
	if (f->stopping)
		return -1;
	if (now >= f->relist_due) {
		struct cs_err e;

		cs_err_clear(&e);
		if (relist(f, &e) < 0) {
			if (strcmp(e.code, "ResourceNotFoundException") == 0) {
				f->fatal = 1;
				f->fatal_err = e;
				goto fatal;
			}
			f->relist_due = now + 1000;   /* a passing failure: try again soon */
		}
	}
	if (f->cfg.may_read) {
		for (i = 0; i < f->n; i++) {
			struct fshard *s = f->s[i];
			int may = f->cfg.may_read(f->cfg.gate_ctx, s->id);

			if (s->st == F_UNOWNED && may)
				s->st = F_WAIT_PARENTS;
			else if (!may && (s->st == F_WAIT_PARENTS || active(s->st)))
				drop(s);
		}
		busy = 1;   /* shared: leases come and go; only a stop ends the reading */
	}
	do {
		changed = 0;
		for (i = 0; i < f->n; i++) {
			struct fshard *s = f->s[i];

			if (s->st == F_WAIT_PARENTS && parent_done(f, s->parent) && parent_done(f, s->adj)) {
				choose_start(f, s);
				s->st = F_READY;
				s->next_due = now;
				changed = 1;
			}
		}
	} while (changed);
	for (i = 0; i < f->n && !f->fatal; i++) {
		struct fshard *s = f->s[i];

		if (s->st == F_READY && s->next_due <= now)
			subscribe(f, s);
		if (s->st == F_LIVE) {
			drain(f, s);
			/* for the tests: renew before the service would */
			if (s->st == F_LIVE && f->renew_ms && s->got_event &&
			    cs_now_ms() - s->sub_start >= f->renew_ms) {
				drop_stream(s);
				s->st = F_READY;
				s->next_due = cs_now_ms();
			}
		}
		if (s->st == F_READY) {
			int64_t w = s->next_due > now ? (int64_t)(s->next_due - now) : 0;

			if (wait < 0 || w < wait)
				wait = w;
		}
		if (s->st == F_LIVE && f->renew_ms) {
			int64_t w = (int64_t)(s->sub_start + f->renew_ms) - (int64_t)now;

			if (w < 0)
				w = 50;
			if (wait < 0 || w < wait)
				wait = w;
		}
		if (active(s->st))
			busy = 1;
	}
	if (f->fatal)
		goto fatal;
	if (f->progressed) {
		f->progressed = 0;
		return 0;   /* again at once: children to list and start */
	}
	if (!busy)
		return -1;
	{
		int64_t rl = f->relist_due > now ? (int64_t)(f->relist_due - now) : 0;

		if (wait < 0 || rl < wait)
			wait = rl;
	}
	if (wait < 0 || wait > 1000)
		wait = 1000;
	return (int)wait;
fatal:
	*fatal = 1;
	*err = f->fatal_err;
	return -1;
}

void
fo_release(struct fanout *f, const char *shard)
{
	struct fshard *s = find(f, shard);

	if (!s)
		return;
	if (s->st == F_HELD) {
		if (f->stopping) {
			drop_stream(s);
			s->st = F_STOPPED;
			return;
		}
		s->st = F_LIVE;
		if (s->stream)
			aws_stream_pause(s->stream, 0);
	} else if (s->st == F_HELD_END) {
		shard_finished(f, s);
	}
}

void
fo_stop(struct fanout *f)
{
	size_t i;

	f->stopping = 1;
	for (i = 0; i < f->n; i++) {
		struct fshard *s = f->s[i];

		if (s->st != F_FINISHED && s->st != F_SKIPPED) {
			drop_stream(s);
			s->st = F_STOPPED;
		}
	}
}

int
fo_shard_lag(const struct fanout *f, size_t i, struct shardreader_lag *lag)
{
	if (i >= f->n)
		return -1;
	lag->shard = f->s[i]->id;
	lag->millis_behind = f->s[i]->millis_behind;
	lag->last_arrival_ms = f->s[i]->last_arrival_ms;
	lag->active = f->s[i]->st != F_FINISHED && f->s[i]->st != F_SKIPPED &&
	    f->s[i]->st != F_UNOWNED;
	return 0;
}

size_t
fo_nshards(const struct fanout *f)
{
	return f->n;
}

unsigned long long
fo_records(const struct fanout *f)
{
	return f->records;
}

unsigned long
fo_subscriptions(const struct fanout *f)
{
	return f->subscriptions;
}

void
fo_set_renew_ms(struct fanout *f, unsigned ms)
{
	f->renew_ms = ms;
}
