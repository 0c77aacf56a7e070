/* fanout.c - every shard of a stream through SubscribeToShard (see fanout.h). */
#include <stdlib.h>
#include <string.h>

#include "eventstream.h"
#include "fanout.h"
#include "shardtable.h"

#define FO_STALL_S 60            /* a subscription silent this long is dead (the service sends every 5 s) */
#define FO_IN_USE_WAIT_MS 5000   /* ResourceInUseException: the wait the service documents */
#define FO_MAX_FAILS 10          /* subscriptions in a row that brought no event: give up */
#define FO_MAX_BUFFERED (64u << 20)

/*
 * A shard as fan-out reads it: the table's part, then its subscription
 * (SHARD_READING: subscribed, or its last bytes still to handle; SHARD_HELD:
 * the stream paused).
 */
struct fshard {
	struct shard sh;
	char *cont;                    /* ContinuationSequenceNumber of the last event handled */
	struct aws_stream *stream;
	int ended, end_ok;             /* the stream ended (DONE called) */
	struct cs_err end_err;
	uint64_t sub_start;
	unsigned fails;                /* subscriptions in a row without an event */
	int got_event;                 /* in this subscription */
	struct buf in;                 /* bytes received, not yet decoded */
	size_t in_off;
	struct kinesis_subscribe_event ev;
};

struct fanout {
	struct shardtable t;
	struct aws_client *c, *lc;
	char *consumer_arn;
	fo_note_fn note;
	unsigned renew_ms;
	int progressed;                /* a shard finished: its children may start at once */
	unsigned long subscriptions;
	struct buf req;
};

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
	f->note(f->t.cfg.ctx, msg);
}

static void
set_fatal(struct fanout *f, const struct fshard *s, const struct cs_err *e)
{
	shardtable_fail(&f->t, "SubscribeToShard", &s->sh, e);
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
drop(struct shard *sh)
{
	struct fshard *s = (struct fshard *)sh;

	drop_stream(s);
	free(s->cont);
	s->cont = NULL;
	s->fails = 0;
	sh->st = SHARD_UNOWNED;
}

static void
free_shard(struct shard *sh)
{
	struct fshard *s = (struct fshard *)sh;

	aws_stream_cancel(s->stream);
	free(s->cont);
	buf_free(&s->in);
	kinesis_subscribe_event_free(&s->ev);
}

static void
subscribe(struct fanout *f, struct fshard *s)
{
	struct kinesis_position pos = s->sh.pos;
	struct cs_err err;

	cs_err_clear(&err);
	if (s->cont) {
		/* a renewal: right after the last event handled */
		pos.type = KINESIS_AFTER_SEQUENCE_NUMBER;
		pos.seq = s->cont;
	}
	kinesis_subscribe_body(&f->req, f->consumer_arn, s->sh.id, &pos);
	drop_stream(s);
	s->got_event = 0;
	s->sub_start = cs_now_ms();
	f->subscriptions++;
	s->stream = aws_stream_start(f->c, "SubscribeToShard", f->req.data, f->req.len, FO_STALL_S,
	    on_data, on_done, s, &err);
	if (!s->stream) {
		set_fatal(f, s, &err);
		s->sh.st = SHARD_STOPPED;
		return;
	}
	s->sh.st = SHARD_READING;
}

/* the subscription ended early: try again from the same place after WAIT_MS */
static void
retry_later(struct fanout *f, struct fshard *s, unsigned wait_ms, const struct cs_err *why)
{
	drop_stream(s);
	if (f->t.stopping) {
		s->sh.st = SHARD_STOPPED;
		return;
	}
	if (!s->got_event)
		s->fails++;
	if (s->fails >= FO_MAX_FAILS) {
		struct cs_err e = *why;
		size_t l = strlen(e.msg);

		snprintf(e.msg + l, sizeof e.msg - l, " (gave up after %u subscriptions)", s->fails);
		set_fatal(f, s, &e);
		s->sh.st = SHARD_STOPPED;
		return;
	}
	if (!wait_ms) {
		unsigned n = s->fails < 6 ? s->fails : 6;

		wait_ms = 250u << n;
	}
	note(f, "SubscribeToShard on '%s/%s': %s; subscribing again in %.1f s", f->t.cfg.stream,
	    s->sh.id, why->msg, wait_ms / 1000.0);
	s->sh.st = SHARD_READY;
	s->sh.next_due = cs_now_ms() + wait_ms;
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
		s->sh.st = SHARD_STOPPED;
	} else {
		retry_later(f, s, 0, e);
	}
}

static void
shard_finished(struct fanout *f, struct fshard *s)
{
	drop_stream(s);
	shardtable_finished(&f->t, &s->sh);
	f->progressed = 1;
}

/* one SubscribeToShardEvent */
static void
handle_event(struct fanout *f, struct fshard *s, const struct es_message *m)
{
	struct kinesis_records *rs = &s->sh.rs;
	struct kinesis_subscribe_event *ev = &s->ev;
	struct cs_err e;
	size_t raw;
	int until_hit, at_end;
	enum shard_state st;

	cs_err_clear(&e);
	if (kinesis_parse_subscribe_event((const char *)m->payload, m->payload_len, rs, ev, &e) < 0) {
		snprintf(e.code, sizeof e.code, "MalformedEvent");
		retry_later(f, s, 0, &e);
		return;
	}
	s->got_event = 1;
	s->fails = 0;
	/*
	 * The skip of a resume inside an aggregate applies to the first records
	 * delivered, however many events without records came first (each
	 * sets a continuation: it was once taken for a renewal past the
	 * aggregate, and its first user records were handed over again).
	 */
	raw = shardtable_take(&f->t, &s->sh, &until_hit);
	/*
	 * The end of a shard: the service's last event has no continuation (and
	 * names the children).  An emulator that never says so: a shard the
	 * list shows closed, whose subscription is caught up with nothing more.
	 */
	at_end = !until_hit && (!ev->continuation ||
	    (s->sh.closed && raw == 0 && rs->millis_behind <= 0));
	if (ev->continuation) {
		free(s->cont);
		s->cont = cs_strdup(ev->continuation);
	}
	st = shardtable_hand_on(&f->t, &s->sh, until_hit, at_end, raw);
	if (st == SHARD_FINISHED) {
		shard_finished(f, s);
	} else if (st == SHARD_HELD) {
		if (s->stream)
			aws_stream_pause(s->stream, 1);
		s->sh.st = st;
	} else if (st != SHARD_READING) {
		drop_stream(s);   /* nothing more will come, or is wanted */
		s->sh.st = st;
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
	if (!shardtable_ours(&f->t, &s->sh))
		return;   /* its records are another worker's now */
	while (s->sh.st == SHARD_READING && s->in_off < s->in.len) {
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
	if (s->sh.st != SHARD_READING || !s->ended)
		return;
	/* the stream ended and everything it brought is handled */
	if (s->end_ok && s->in_off == s->in.len && s->got_event) {
		/* the service closed it (5 minutes are up): renew at once, as the KCL does */
		drop_stream(s);
		s->sh.st = f->t.stopping ? SHARD_STOPPED : SHARD_READY;
		s->sh.next_due = cs_now_ms();
	} else if (s->end_ok && s->in_off == s->in.len) {
		struct cs_err e;

		/*
		 * Closed cleanly before a single event: not the service's 5
		 * minutes, and again at once it would be a loop of requests.
		 * Tried again with backoff, and given up after FO_MAX_FAILS.
		 */
		cs_err_clear(&e);
		cs_err_set(&e, "the subscription ended with no event");
		snprintf(e.code, sizeof e.code, "NoEvent");
		retry_later(f, s, 0, &e);
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
	static const struct shardtable_ops ops = { sizeof(struct fshard), drop, free_shard };
	struct fanout *f = cs_calloc(1, sizeof *f);

	f->c = c;
	f->lc = lc;
	f->note = note_fn;
	f->consumer_arn = cs_strdup(consumer_arn);
	buf_init(&f->req);
	if (shardtable_init(&f->t, lc, cfg, &ops, err) < 0) {
		fo_free(f);
		return NULL;
	}
	return f;
}

void
fo_free(struct fanout *f)
{
	if (!f)
		return;
	shardtable_free(&f->t);
	free(f->consumer_arn);
	buf_free(&f->req);
	free(f);
}

int
fo_step(struct fanout *f, int *fatal, struct cs_err *err)
{
	uint64_t now = cs_now_ms();
	int64_t wait = -1;
	size_t i;
	int busy;

	*fatal = 0;
	if (shardtable_fatal(&f->t, fatal, err))
		return -1;
	if (f->t.stopping)
		return -1;
	if (now >= f->t.relist_due) {
		struct cs_err e;

		cs_err_clear(&e);
		if (shardtable_relist(&f->t, f->lc, &e) < 0) {
			shardtable_list_failed(&f->t, &e);
			if (shardtable_fatal(&f->t, fatal, err))
				return -1;
		}
	}
	busy = shardtable_gate(&f->t);
	shardtable_start_ready(&f->t, now);
	for (i = 0; i < f->t.n && !f->t.fatal; i++) {
		struct fshard *s = (struct fshard *)f->t.s[i];

		if (s->sh.st == SHARD_READY && s->sh.next_due <= now)
			subscribe(f, s);
		if (s->sh.st == SHARD_READING) {
			drain(f, s);
			/* for the tests: renew before the service would */
			if (s->sh.st == SHARD_READING && f->renew_ms && s->got_event &&
			    cs_now_ms() - s->sub_start >= f->renew_ms) {
				drop_stream(s);
				s->sh.st = SHARD_READY;
				s->sh.next_due = cs_now_ms();
			}
		}
		if (s->sh.st == SHARD_READY) {
			int64_t w = s->sh.next_due > now ? (int64_t)(s->sh.next_due - now) : 0;

			if (wait < 0 || w < wait)
				wait = w;
		}
		if (s->sh.st == SHARD_READING && f->renew_ms) {
			int64_t w = (int64_t)(s->sub_start + f->renew_ms) - (int64_t)now;

			if (w < 0)
				w = 50;
			if (wait < 0 || w < wait)
				wait = w;
		}
		if (shardtable_active(s->sh.st))
			busy = 1;
	}
	if (shardtable_fatal(&f->t, fatal, err))
		return -1;
	if (f->progressed) {
		f->progressed = 0;
		return 0;   /* again at once: children to list and start */
	}
	if (!busy)
		return -1;
	{
		int64_t rl = f->t.relist_due > now ? (int64_t)(f->t.relist_due - now) : 0;

		if (wait < 0 || rl < wait)
			wait = rl;
	}
	if (wait < 0 || wait > 1000)
		wait = 1000;
	return (int)wait;
}

void
fo_release(struct fanout *f, const char *shard)
{
	struct fshard *s = (struct fshard *)shardtable_find(&f->t, shard);

	if (!s)
		return;
	if (s->sh.st == SHARD_HELD) {
		if (f->t.stopping) {
			drop_stream(s);
			s->sh.st = SHARD_STOPPED;
			return;
		}
		s->sh.st = SHARD_READING;
		if (s->stream)
			aws_stream_pause(s->stream, 0);
	} else if (s->sh.st == SHARD_HELD_END) {
		shard_finished(f, s);
	}
}

void
fo_stop(struct fanout *f)
{
	size_t i;

	f->t.stopping = 1;
	for (i = 0; i < f->t.n; i++) {
		struct fshard *s = (struct fshard *)f->t.s[i];

		if (s->sh.st != SHARD_FINISHED && s->sh.st != SHARD_SKIPPED) {
			drop_stream(s);
			s->sh.st = SHARD_STOPPED;
		}
	}
}

struct shardtable *
fo_shards(struct fanout *f)
{
	return &f->t;
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
