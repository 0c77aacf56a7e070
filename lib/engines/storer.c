/* storer.c - the write engine of cs-store (see storer.h). */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "dynamodb.h"
#include "json.h"
#include "keytab.h"
#include "storer.h"

struct keyent;

/* one write: an item and the record it came from */
struct rec {
	struct rec *next;       /* in a key's held list */
	struct keyent *ent;
	unsigned idx;           /* position in its batch */
	const char *source;
	uint64_t line;
	char *key, *item, *data;
	size_t keylen, itemlen, datalen;
	int unprocessed;        /* named in UnprocessedItems of the last answer */
};

/* the writes of one key: the one in a batch or in flight, and those after it */
struct keyent {
	struct keytab_node node;   /* first: the key */
	struct rec *active;     /* in the open batch, a queued batch, or in flight */
	int sent;               /* active is past the open batch */
	struct rec *held, *held_tail;
};

struct batch {
	struct storer *s;
	struct batch *next;     /* in the ready or the waiting list */
	struct rec *recs[STORER_MAX_BATCH];
	unsigned n;
	size_t bytes;           /* the request body, near enough */
	unsigned attempts;      /* requests sent for it so far */
	uint64_t first_ms;      /* when it was first sent */
	uint64_t due_ms;        /* when waiting: time of the re-send */
};

struct storer {
	struct aws_client *c;
	struct storer_conf conf;
	char *table;
	storer_reject_fn reject;
	void *ctx;
	struct storer_stats st;

	struct keytab keys;

	struct batch *open;
	struct batch *ready, *ready_tail;   /* closed, not yet sent */
	unsigned nready;
	struct batch *waiting;              /* re-sends, by due time */
	unsigned inflight;
	unsigned long nheld;
	size_t body_overhead;

	int aborting;
	char abort_code[64];
	char abort_msg[256];
	int fatal;
	struct cs_err fatal_err;
	uint64_t rng;
	struct buf body;
};

/* --- keys ----------------------------------------------------------------------- */

static struct keyent *
key_get(struct storer *s, struct rec *r)
{
	struct keyent *e = (struct keyent *)keytab_find(&s->keys, r->key, r->keylen);

	if (e)
		return e;
	e = cs_calloc(1, sizeof *e);
	keytab_insert(&s->keys, &e->node, r->key, r->keylen);
	return e;
}

static void
key_drop(struct storer *s, struct keyent *e)
{
	keytab_remove(&s->keys, &e->node);
	free(e);
}

static void
key_free(struct keytab_node *n)
{
	struct keyent *e = (struct keyent *)n;
	struct rec *h, *hn;

	for (h = e->held; h; h = hn) {
		hn = h->next;
		free(h);
	}
	free(e);
}

/* --- records ----------------------------------------------------------------- */

static struct rec *
rec_new(const struct ddb_item *it, const char *source, uint64_t line, const char *data, size_t len)
{
	size_t kl = it->key.len, il = it->json.len;
	struct rec *r = cs_malloc(sizeof *r + kl + il + len + 3);
	char *p = (char *)(r + 1);

	memset(r, 0, sizeof *r);
	r->key = p;
	memcpy(p, it->key.data ? it->key.data : "", kl);
	p[kl] = '\0';
	r->keylen = kl;
	p += kl + 1;
	r->item = p;
	memcpy(p, it->json.data ? it->json.data : "", il);
	p[il] = '\0';
	r->itemlen = il;
	p += il + 1;
	r->data = p;
	if (len)
		memcpy(p, data, len);
	p[len] = '\0';
	r->datalen = len;
	r->source = source;
	r->line = line;
	return r;
}

static void
rec_reject(struct storer *s, struct rec *r, const char *code, const char *msg)
{
	struct storer_reject rj = { r->source, r->line, r->data, r->datalen, code, msg };

	s->st.rejected++;
	s->reject(s->ctx, &rj);
}

/* --- batches -------------------------------------------------------------- */

static size_t
rec_bytes(const struct rec *r)
{
	return r->itemlen + sizeof "{\"PutRequest\":{\"Item\":}},";
}

static struct batch *
batch_new(struct storer *s)
{
	struct batch *b = cs_calloc(1, sizeof *b);

	b->s = s;
	b->bytes = s->body_overhead;
	return b;
}

static void
ready_push(struct storer *s, struct batch *b, int front)
{
	b->next = NULL;
	if (front) {
		b->next = s->ready;
		s->ready = b;
		if (!s->ready_tail)
			s->ready_tail = b;
	} else if (s->ready_tail) {
		s->ready_tail->next = b;
		s->ready_tail = b;
	} else {
		s->ready = s->ready_tail = b;
	}
	s->nready++;
}

static struct batch *
ready_pop(struct storer *s)
{
	struct batch *b = s->ready;

	if (b) {
		s->ready = b->next;
		if (!s->ready)
			s->ready_tail = NULL;
		s->nready--;
	}
	return b;
}

static void
close_open(struct storer *s)
{
	struct batch *b = s->open;
	unsigned i;

	if (!b || !b->n)
		return;
	s->open = NULL;
	for (i = 0; i < b->n; i++)
		b->recs[i]->ent->sent = 1;
	ready_push(s, b, 0);
}

static unsigned
batch_cap(const struct storer *s)
{
	return s->conf.new_only ? 1 : s->conf.batch_max;
}

/* put R (whose key has no active write) into the open batch */
static void
open_add(struct storer *s, struct rec *r)
{
	struct batch *b = s->open;

	if (b && (b->n >= batch_cap(s) || b->bytes + rec_bytes(r) > STORER_MAX_REQUEST)) {
		close_open(s);
		b = NULL;
	}
	if (!b)
		b = s->open = batch_new(s);
	r->idx = b->n;
	b->recs[b->n++] = r;
	b->bytes += rec_bytes(r);
	r->ent->active = r;
	r->ent->sent = 0;
	if (b->n >= batch_cap(s))
		close_open(s);
}

static void submit_some(struct storer *s);

/* the write R of its key is over (written, kept or rejected): let the next one go */
static void
release(struct storer *s, struct rec *r)
{
	struct keyent *e = r->ent;
	struct rec *h;

	free(r);
	e->active = NULL;
	while ((h = e->held) != NULL) {
		e->held = h->next;
		if (!e->held)
			e->held_tail = NULL;
		h->next = NULL;
		s->nheld--;
		if (!s->aborting) {
			open_add(s, h);
			return;
		}
		rec_reject(s, h, s->abort_code, s->abort_msg);
		free(h);
	}
	key_drop(s, e);
}

static void
batch_build(struct storer *s, struct batch *b)
{
	unsigned i;

	buf_reset(&s->body);
	if (s->conf.new_only) {
		ddb_put_new_request(&s->body, s->table, b->recs[0]->item, b->recs[0]->itemlen,
		    s->conf.ks->hash);
		return;
	}
	ddb_batch_begin(&s->body, s->table);
	for (i = 0; i < b->n; i++)
		ddb_batch_put(&s->body, b->recs[i]->item, b->recs[i]->itemlen, i == 0);
	ddb_batch_end(&s->body);
}

static void done(void *ctx, const struct aws_result *res);

static void
send_batch(struct storer *s, struct batch *b)
{
	batch_build(s, b);
	if (!b->attempts)
		b->first_ms = cs_now_ms();
	b->attempts++;
	s->inflight++;
	aws_submit(s->c, s->conf.new_only ? "PutItem" : "BatchWriteItem", s->body.data, s->body.len,
	    done, b);
}

/* re-sends that are due first, then new batches, while there is room */
static void
submit_some(struct storer *s)
{
	uint64_t now = cs_now_ms();

	while (s->inflight < s->conf.parallel && s->waiting && s->waiting->due_ms <= now) {
		struct batch *b = s->waiting;

		s->waiting = b->next;
		s->st.resends++;
		s->st.resent_items += b->n;
		send_batch(s, b);
	}
	while (s->inflight < s->conf.parallel && s->ready)
		send_batch(s, ready_pop(s));
}

static void
wait_push(struct storer *s, struct batch *b)
{
	struct batch **pp = &s->waiting;

	while (*pp && (*pp)->due_ms <= b->due_ms)
		pp = &(*pp)->next;
	b->next = *pp;
	*pp = b;
}

/* every item of B rejected with CODE and MSG; B freed */
static void
batch_reject(struct storer *s, struct batch *b, const char *code, const char *msg)
{
	unsigned i;

	for (i = 0; i < b->n; i++) {
		rec_reject(s, b->recs[i], code, msg);
		release(s, b->recs[i]);
	}
	free(b);
}

/* mark the item of KEY as unprocessed */
static void
mark_unprocessed(void *ctx, const char *key, size_t len)
{
	struct batch *b = ctx;
	unsigned i;

	for (i = 0; i < b->n; i++)
		if (b->recs[i]->keylen == len && memcmp(b->recs[i]->key, key, len) == 0)
			b->recs[i]->unprocessed = 1;
}

/*
 * errors after which no request can succeed: stop the run.  Only these: a
 * BatchWriteItem refused with another client error may have been spoilt
 * by one of its items (it is then split, see on_failure).
 */
static int
is_fatal(const struct cs_err *e)
{
	return retry_is_fatal(e->http_status, e->code);
}

static void
on_success(struct storer *s, struct batch *b, const struct aws_result *res)
{
	struct cs_err err;
	unsigned i, left = 0;
	int n;

	if (s->conf.new_only) {
		s->st.written++;
		release(s, b->recs[0]);
		free(b);
		return;
	}
	for (i = 0; i < b->n; i++)
		b->recs[i]->unprocessed = 0;
	cs_err_clear(&err);
	n = ddb_parse_unprocessed(res->body && res->body->data ? res->body->data : "{}",
	    res->body ? res->body->len : 2, s->table, s->conf.ks, mark_unprocessed, b, &err);
	if (n < 0) {
		/* the items may or may not be written: replaying them is safe */
		batch_reject(s, b, "InvalidResponse", err.msg);
		return;
	}
	for (i = 0; i < b->n; i++) {
		struct rec *r = b->recs[i];

		if (r->unprocessed) {
			r->idx = left;
			b->recs[left++] = r;
		} else {
			s->st.written++;
			release(s, r);
		}
	}
	b->n = left;
	if (!left) {
		free(b);
		return;
	}
	if (s->aborting) {
		batch_reject(s, b, s->abort_code, s->abort_msg);
		return;
	}
	{
		uint64_t now = cs_now_ms();
		unsigned wait = retry_backoff_ms(&s->conf.retry, b->attempts, &s->rng);
		char msg[160];

		if (!retry_allowed(&s->conf.retry, b->attempts, now - b->first_ms, wait)) {
			snprintf(msg, sizeof msg, "BatchWriteItem on '%s': still in UnprocessedItems after %u attempts",
			    s->table, b->attempts);
			batch_reject(s, b, "UnprocessedItems", msg);
			return;
		}
		b->due_ms = now + wait;
		wait_push(s, b);
	}
}

static void
done(void *ctx, const struct aws_result *res)
{
	struct batch *b = ctx;
	struct storer *s = b->s;
	const char *op = s->conf.new_only ? "PutItem" : "BatchWriteItem";
	char msg[CS_ERRMAX + 300];
	unsigned i;

	s->inflight--;
	s->st.requests++;
	if (res->ok) {
		on_success(s, b, res);
		submit_some(s);
		return;
	}
	if (s->conf.new_only && strcmp(res->err.code, "ConditionalCheckFailedException") == 0) {
		s->st.exists++;
		release(s, b->recs[0]);
		free(b);
		submit_some(s);
		return;
	}
	if (!s->aborting && b->n > 1 && res->err.http_status >= 400 && res->err.http_status < 500 &&
	    !res->err.retryable && !is_fatal(&res->err)) {
		/* one item spoilt the batch: send each alone, so only it is refused */
		s->st.splits++;
		for (i = b->n; i-- > 0;) {
			struct batch *one = batch_new(s);

			one->recs[0] = b->recs[i];
			one->recs[0]->idx = 0;
			one->n = 1;
			one->bytes += rec_bytes(one->recs[0]);
			ready_push(s, one, 1);
		}
		free(b);
		submit_some(s);
		return;
	}
	snprintf(msg, sizeof msg, "%s on '%s': %s", op, s->table, res->err.msg);
	if (!s->fatal && !s->aborting && is_fatal(&res->err)) {
		s->fatal = 1;
		s->fatal_err = res->err;
		snprintf(s->fatal_err.msg, sizeof s->fatal_err.msg, "%.*s", (int)sizeof s->fatal_err.msg - 1, msg);
	}
	batch_reject(s, b, res->err.code[0] ? res->err.code : (s->aborting ? s->abort_code : "RequestFailed"), msg);
	submit_some(s);
}

/* --- the interface -------------------------------------------------------------- */

struct storer *
storer_new(struct aws_client *c, const struct storer_conf *conf, storer_reject_fn reject, void *ctx)
{
	struct storer *s = cs_calloc(1, sizeof *s);
	struct buf t = BUF_INIT;

	s->c = c;
	s->conf = *conf;
	if (!s->conf.parallel)
		s->conf.parallel = 1;
	if (!s->conf.batch_max || s->conf.batch_max > STORER_MAX_BATCH)
		s->conf.batch_max = STORER_MAX_BATCH;
	s->table = cs_strdup(conf->table);
	s->reject = reject;
	s->ctx = ctx;
	keytab_init(&s->keys);
	s->rng = retry_seed();
	json_escape_str(&t, s->table);
	s->body_overhead = t.len + sizeof "{\"RequestItems\":{:[]}}";
	buf_free(&t);
	return s;
}

void
storer_add(struct storer *s, const struct ddb_item *it, const char *source, uint64_t line,
    const char *data, size_t len)
{
	struct rec *r = rec_new(it, source, line, data, len);
	struct keyent *e;
	char msg[160];

	s->st.added++;
	if (s->aborting) {
		rec_reject(s, r, s->abort_code, s->abort_msg);
		free(r);
		return;
	}
	if (s->body_overhead + rec_bytes(r) > STORER_MAX_REQUEST) {
		snprintf(msg, sizeof msg, "item needs %zu bytes of request, over DynamoDB's 16 MB limit",
		    rec_bytes(r));
		rec_reject(s, r, "ItemTooLarge", msg);
		free(r);
		return;
	}
	e = r->ent = key_get(s, r);
	if (!e->active) {
		open_add(s, r);
	} else if (!e->sent && !s->conf.new_only) {
		/* the same key in the open batch: the later write replaces it there */
		struct rec *old = e->active;

		r->idx = old->idx;
		s->open->recs[old->idx] = r;
		s->open->bytes += rec_bytes(r) - rec_bytes(old);
		e->active = r;
		s->st.collapsed++;
		free(old);
		if (s->open->bytes > STORER_MAX_REQUEST) {
			/* the larger item no longer fits: move it to a batch of its own */
			struct batch *b = s->open;

			b->recs[r->idx] = b->recs[--b->n];
			b->recs[r->idx]->idx = r->idx;
			b->bytes -= rec_bytes(r);
			close_open(s);
			e->active = NULL;
			open_add(s, r);
		}
	} else if (!s->conf.new_only && e->held) {
		/* one write of the key is in flight and one waits: the later replaces the waiting one */
		free(e->held);
		e->held = e->held_tail = r;
		s->st.collapsed++;
	} else {
		if (e->held_tail)
			e->held_tail->next = r;
		else
			e->held = r;
		e->held_tail = r;
		s->nheld++;
	}
	submit_some(s);
}

int
storer_accepting(const struct storer *s)
{
	return s->nready == 0 && s->nheld < 4096;
}

void
storer_flush(struct storer *s)
{
	close_open(s);
	submit_some(s);
}

int
storer_busy(const struct storer *s)
{
	return (s->open && s->open->n) || s->ready || s->waiting || s->inflight || s->nheld;
}

int
storer_idle(const struct storer *s)
{
	return !s->inflight && !s->waiting;
}

static void
wait_fd(int fd, int timeout_ms)
{
	struct pollfd p = { fd, POLLIN, 0 };

	if (fd < 0) {
		if (timeout_ms > 0)
			cs_sleep_ms((unsigned)timeout_ms);
		return;
	}
	(void)poll(&p, 1, timeout_ms);
}

void
storer_run(struct storer *s, int timeout_ms, int extra_fd)
{
	uint64_t now;

	submit_some(s);
	now = cs_now_ms();
	if (s->waiting) {
		uint64_t due = s->waiting->due_ms;
		int until = due > now ? (int)(due - now) : 0;

		if (until < timeout_ms)
			timeout_ms = until;
	}
	if (!s->inflight) {
		wait_fd(extra_fd, timeout_ms);
	} else {
		aws_run(s->c, timeout_ms, extra_fd);
	}
	submit_some(s);
}

void
storer_abort(struct storer *s, const char *code, const char *message)
{
	struct batch *b;

	if (s->aborting)
		return;
	s->aborting = 1;
	snprintf(s->abort_code, sizeof s->abort_code, "%s", code);
	snprintf(s->abort_msg, sizeof s->abort_msg, "%s", message);
	aws_cancel_retries(s->c);
	close_open(s);
	while ((b = ready_pop(s)) != NULL)
		batch_reject(s, b, code, message);
	while ((b = s->waiting) != NULL) {
		s->waiting = b->next;
		batch_reject(s, b, code, message);
	}
	/* held writes are rejected as the write before them lands */
}

int
storer_fatal(const struct storer *s, struct cs_err *err)
{
	if (s->fatal && err)
		*err = s->fatal_err;
	return s->fatal;
}

const struct storer_stats *
storer_stats(const struct storer *s)
{
	return &s->st;
}

void
storer_free(struct storer *s)
{
	size_t i;

	if (!s)
		return;
	/* nothing should be left; free whatever is, quietly */
	keytab_free(&s->keys, key_free);
	if (s->open) {
		for (i = 0; i < s->open->n; i++)
			free(s->open->recs[i]);
		free(s->open);
	}
	free(s->table);
	buf_free(&s->body);
	free(s);
}
