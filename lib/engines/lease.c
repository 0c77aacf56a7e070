/* lease.c - a DynamoDB lease table shared with KCL 2.x workers (see lease.h). */
#include <stdlib.h>
#include <string.h>

#include "lease.h"

#define K_KEY "leaseKey"
#define K_OWNER "leaseOwner"
#define K_COUNTER "leaseCounter"
#define K_CK "checkpoint"
#define K_SUB "checkpointSubSequenceNumber"
#define K_SWITCHES "ownerSwitchesSinceCheckpoint"
#define K_PARENTS "parentShardId"
#define K_CHILDREN "childShardIds"
#define K_HSTART "startingHashKey"
#define K_HEND "endingHashKey"
#define K_PENDING "pendingCheckpoint"
#define K_PENDING_SUB "pendingCheckpointSubSequenceNumber"
#define SHARD_END "SHARD_END"

#define GET(d, obj, lit) ((obj) < 0 ? -1 : json_obj_get((d), (obj), lit, sizeof lit - 1))

/* --- the item ---------------------------------------------------------------- */

static void
free_list(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
lease_clear(struct lease *l)
{
	free(l->key);
	free(l->owner);
	free(l->checkpoint);
	free_list(l->parents, l->nparents);
	free_list(l->children, l->nchildren);
	free(l->hash_start);
	free(l->hash_end);
	free(l->want_ck);
	memset(l, 0, sizeof *l);
}

static void
lease_free1(struct lease *l)
{
	if (!l)
		return;
	lease_clear(l);
	free(l);
}

int
lease_ck_initial(const char *ck)
{
	return !ck || strcmp(ck, "TRIM_HORIZON") == 0 || strcmp(ck, "LATEST") == 0 ||
	    strcmp(ck, "AT_TIMESTAMP") == 0;
}

/* the string of attribute NAME's {"T":...} of type TYPE ("S" or "N"), or NULL; *BAD when of another type */
static char *
av_get(const struct json_doc *d, int item, const char *name, const char *type, int *bad)
{
	int a = json_obj_get(d, item, name, strlen(name)), v;
	struct buf b = BUF_INIT;

	if (a < 0 || d->tok[a].type == JSON_NULL)
		return NULL;
	v = d->tok[a].type == JSON_OBJECT ? json_obj_get(d, a, type, 1) : -1;
	if (v < 0 || d->tok[v].type != JSON_STRING) {
		*bad = 1;
		return NULL;
	}
	json_str_decode(d, v, &b);
	return b.data ? buf_detach(&b) : cs_strdup("");
}

static int
av_num(const struct json_doc *d, int item, const char *name, long long *out, int *bad)
{
	char *s = av_get(d, item, name, "N", bad), *end;

	*out = 0;
	if (!s)
		return 0;
	*out = strtoll(s, &end, 10);
	if (end == s || *end)
		*bad = 1;
	free(s);
	return 0;
}

static char **
av_ss(const struct json_doc *d, int item, const char *name, size_t *n, int *bad)
{
	int a = json_obj_get(d, item, name, strlen(name)), v;
	char **out = NULL;
	uint32_t k, j;

	*n = 0;
	if (a < 0 || d->tok[a].type == JSON_NULL)
		return NULL;
	v = d->tok[a].type == JSON_OBJECT ? json_obj_get(d, a, "SS", 2) : -1;
	if (v < 0 || d->tok[v].type != JSON_ARRAY) {
		*bad = 1;
		return NULL;
	}
	for (k = 0, j = (uint32_t)v + 1; k < d->tok[v].size; k++, j = d->tok[j].next) {
		struct buf b = BUF_INIT;

		if (d->tok[j].type != JSON_STRING) {
			*bad = 1;
			continue;
		}
		json_str_decode(d, (int)j, &b);
		out = cs_realloc(out, (*n + 1) * sizeof *out);
		out[(*n)++] = b.data ? buf_detach(&b) : cs_strdup("");
	}
	return out;
}

int
lease_from_item(struct lease *l, const struct json_doc *doc, int item, struct cs_err *err)
{
	int bad = 0;

	lease_clear(l);
	if (item < 0 || doc->tok[item].type != JSON_OBJECT) {
		cs_err_set(err, "a lease item is not an object");
		return -1;
	}
	l->key = av_get(doc, item, K_KEY, "S", &bad);
	l->owner = av_get(doc, item, K_OWNER, "S", &bad);
	av_num(doc, item, K_COUNTER, &l->counter, &bad);
	l->checkpoint = av_get(doc, item, K_CK, "S", &bad);
	av_num(doc, item, K_SUB, &l->subseq, &bad);
	av_num(doc, item, K_SWITCHES, &l->owner_switches, &bad);
	l->parents = av_ss(doc, item, K_PARENTS, &l->nparents, &bad);
	l->children = av_ss(doc, item, K_CHILDREN, &l->nchildren, &bad);
	l->hash_start = av_get(doc, item, K_HSTART, "S", &bad);
	l->hash_end = av_get(doc, item, K_HEND, "S", &bad);
	if (!l->key || !*l->key || bad) {
		cs_err_set(err, "lease item%s%s: %s", l->key ? " " : "", l->key ? l->key : "",
		    !l->key || !*l->key ? "no leaseKey string" : "an attribute of the wrong type");
		lease_clear(l);
		return -1;
	}
	return 0;
}

/* NAME:{"S":V} */
static void
value_s(struct buf *b, const char *name, const char *v)
{
	json_escape_str(b, name);
	buf_adds(b, ":{\"S\":");
	json_escape_str(b, v);
	buf_addc(b, '}');
}

static void
add_s(struct buf *out, const char *name, const char *v, int *first)
{
	if (!*first)
		buf_addc(out, ',');
	*first = 0;
	value_s(out, name, v);
}

static void
add_n(struct buf *out, const char *name, long long v, int *first)
{
	if (!*first)
		buf_addc(out, ',');
	*first = 0;
	json_escape_str(out, name);
	buf_printf(out, ":{\"N\":\"%lld\"}", v);
}

static void
ss_value(struct buf *out, char *const *v, size_t n)
{
	size_t i;

	buf_adds(out, "{\"SS\":[");
	for (i = 0; i < n; i++) {
		if (i)
			buf_addc(out, ',');
		json_escape_str(out, v[i]);
	}
	buf_adds(out, "]}");
}

void
lease_to_item(struct buf *out, const struct lease *l)
{
	int first = 1;

	buf_addc(out, '{');
	add_s(out, K_KEY, l->key, &first);
	add_n(out, K_COUNTER, l->counter, &first);
	if (l->owner)
		add_s(out, K_OWNER, l->owner, &first);
	add_n(out, K_SWITCHES, l->owner_switches, &first);
	add_s(out, K_CK, l->checkpoint ? l->checkpoint : "TRIM_HORIZON", &first);
	add_n(out, K_SUB, l->subseq, &first);
	if (l->nparents) {
		buf_adds(out, ",\"" K_PARENTS "\":");
		ss_value(out, l->parents, l->nparents);
	}
	if (l->nchildren) {
		buf_adds(out, ",\"" K_CHILDREN "\":");
		ss_value(out, l->children, l->nchildren);
	}
	if (l->hash_start && l->hash_end) {
		add_s(out, K_HSTART, l->hash_start, &first);
		add_s(out, K_HEND, l->hash_end, &first);
	}
	buf_addc(out, '}');
}

/* --- the view and the taker's choice ----------------------------------------- */

void
lease_view_free(struct lease_view *v)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		lease_free1(v->l[i]);
	free(v->l);
	memset(v, 0, sizeof *v);
}

struct lease *
lease_view_find(const struct lease_view *v, const char *key)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		if (strcmp(v->l[i]->key, key) == 0)
			return v->l[i];
	return NULL;
}

static void
view_add(struct lease_view *v, struct lease *l)
{
	if (v->n == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 16;
		v->l = cs_realloc(v->l, v->cap * sizeof *v->l);
	}
	v->l[v->n++] = l;
}

/* move the table's fields of S into L (the worker's own fields of L stay) */
static void
take_fields(struct lease *l, struct lease *s)
{
	struct lease keep = *l;

	/* the table's part from S, the local part from L */
	*l = *s;
	l->last_change = keep.last_change;
	l->held = keep.held;
	l->renewed = keep.renewed;
	l->busy = keep.busy;
	l->want_ck = keep.want_ck;
	keep.want_ck = NULL;
	lease_clear(&keep);
	memset(s, 0, sizeof *s);
}

void
lease_view_merge(struct lease_view *v, struct lease **scanned, size_t n, uint64_t now)
{
	size_t i, j;
	char *seen = cs_calloc(v->n + 1, 1);
	size_t old_n = v->n;

	for (i = 0; i < n; i++) {
		struct lease *s = scanned[i], *l = NULL;

		for (j = 0; j < old_n; j++)
			if (strcmp(v->l[j]->key, s->key) == 0) {
				l = v->l[j];
				seen[j] = 1;
				break;
			}
		if (!l) {
			/* new to this observer: owned means renewed as of now; free means never */
			s->last_change = s->owner ? now : 0;
			view_add(v, s);
			scanned[i] = NULL;
			continue;
		}
		if (l->held || l->busy) {
			/* ours, or a request on it in flight: our own answers say more than a scan */
			lease_free1(s);
			scanned[i] = NULL;
			continue;
		}
		if (s->counter != l->counter)
			l->last_change = now;
		take_fields(l, s);
		lease_free1(s);
		scanned[i] = NULL;
	}
	/* leases gone from the table (cleaned up) leave the view, unless held */
	for (i = j = 0; i < v->n; i++) {
		if (i < old_n && !seen[i] && !v->l[i]->held && !v->l[i]->busy) {
			lease_free1(v->l[i]);
			continue;
		}
		v->l[j++] = v->l[i];
	}
	v->n = j;
	free(seen);
}

static int
at_end(const struct lease *l)
{
	return l->checkpoint && strcmp(l->checkpoint, SHARD_END) == 0;
}

int
lease_expired(const struct lease *l, uint64_t now, unsigned failover_ms)
{
	if (!l->owner)
		return 1;
	return l->last_change == 0 || now - l->last_change > failover_ms;
}

struct wcount {
	const char *owner;
	int n;
};

static unsigned
pick(size_t n, unsigned (*rnd)(void *), void *rctx)
{
	return rnd && n ? rnd(rctx) % (unsigned)n : 0;
}

void
lease_choose(const struct lease_view *v, const char *me, uint64_t now,
    unsigned failover_ms, unsigned max_leases, unsigned (*rnd)(void *), void *rctx,
    struct lease_choice *c)
{
	struct lease **avail = cs_calloc(v->n + 1, sizeof *avail);
	struct wcount *w = cs_calloc(v->n + 2, sizeof *w);
	size_t navail = 0, nw = 0, nleases = 0, i, k;
	int mine = 0, target, need;

	memset(c, 0, sizeof *c);
	c->take = cs_calloc(v->n + 1, sizeof *c->take);
	w[nw].owner = me;
	w[nw++].n = 0;
	for (i = 0; i < v->n; i++) {
		const struct lease *l = v->l[i];
		const char *owner;

		if (at_end(l))
			continue;   /* nothing to read: neither counted nor taken */
		nleases++;
		if (l->held) {
			owner = me;
		} else if (l->busy) {
			continue;
		} else if (lease_expired(l, now, failover_ms)) {
			avail[navail++] = v->l[i];
			continue;
		} else {
			owner = l->owner;
		}
		if (strcmp(owner, me) == 0 && !l->held) {
			/* ours in the table, given up here (not renewed in time): take it again */
			avail[navail++] = v->l[i];
			continue;
		}
		for (k = 0; k < nw; k++)
			if (strcmp(w[k].owner, owner) == 0)
				break;
		if (k == nw) {
			w[nw].owner = owner;
			w[nw++].n = 0;
		}
		w[k].n++;
	}
	mine = w[0].n;
	c->workers = (int)nw;
	if (nleases == 0)
		goto out;
	if (nw >= nleases)
		target = 1;
	else
		target = (int)(nleases / nw + (nleases % nw ? 1 : 0));
	if (max_leases && target > (int)max_leases)
		target = (int)max_leases;
	c->target = target;
	need = target - mine;
	if (need <= 0)
		goto out;
	if (navail) {
		while (need > 0 && navail) {
			unsigned p = pick(navail, rnd, rctx);

			c->take[c->n++] = avail[p];
			avail[p] = avail[--navail];
			need--;
		}
		goto out;
	}
	/* nothing free: steal one from the most loaded worker */
	{
		size_t most = 0;
		int steal;

		for (k = 1; k < nw; k++)
			if (w[k].n > w[most].n)
				most = k;
		if (most == 0 || w[most].n < target)
			goto out;
		steal = w[most].n - target;
		if (steal > need)
			steal = need;
		if (need > 1 && steal == 0)
			steal = 1;
		if (steal <= 0)
			goto out;
		navail = 0;
		for (i = 0; i < v->n; i++) {
			const struct lease *l = v->l[i];

			if (!l->held && !l->busy && !at_end(l) && l->owner &&
			    strcmp(l->owner, w[most].owner) == 0)
				avail[navail++] = v->l[i];
		}
		if (navail) {
			c->take[c->n++] = avail[pick(navail, rnd, rctx)];
			c->steal = 1;
		}
	}
out:
	free(avail);
	free(w);
}

/* --- the engine ------------------------------------------------------------------ */

struct lease_mgr {
	struct aws_client *c;
	struct lease_config cfg;
	struct lease_view v;
	struct checkpoint *ck;
	uint64_t next_scan;
	int scanning;
	int scan_ready;              /* a scan ended: the taker is to run */
	struct lease **scanned;      /* the pages of the scan in progress */
	size_t nscanned;
	uint64_t scan_start;
	int synced_once;
	int inflight;
	int fatal;
	struct cs_err fatal_err;
	struct lease_stats stats;
	struct buf req;
	uint64_t rng;
	/* shards of the last listing, for childShardIds */
	struct kinesis_shard *ks;
	size_t nks;
};

/* one request's context */
struct op {
	struct lease_mgr *m;
	enum { OP_RENEW, OP_TAKE, OP_CK, OP_RELEASE, OP_CREATE, OP_DELETE, OP_SCAN } kind;
	char *key;
	long long counter;        /* the counter the request expects */
	uint64_t sent;
	char *ck;                 /* OP_CK: what was written */
	long sub;                 /* and its sub-sequence number */
	int steal;
	char *from;               /* OP_TAKE: the owner it had */
};

static unsigned
rnd_next(void *ctx)
{
	uint64_t *s = ctx;

	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (unsigned)(*s >> 16);
}

static void
emit(struct lease_mgr *m, enum lease_event ev, const struct lease *l, const char *detail)
{
	if (m->cfg.on_event)
		m->cfg.on_event(m->cfg.ctx, ev, l, detail);
}

static void
op_free(struct op *o)
{
	free(o->key);
	free(o->ck);
	free(o->from);
	free(o);
}

static struct op *
op_new(struct lease_mgr *m, int kind, const char *key)
{
	struct op *o = cs_calloc(1, sizeof *o);

	o->m = m;
	o->kind = kind;
	o->key = key ? cs_strdup(key) : NULL;
	o->sent = cs_now_ms();
	return o;
}

static void
req_begin(struct buf *b, const char *table, const char *key)
{
	buf_reset(b);
	buf_adds(b, "{\"TableName\":");
	json_escape_str(b, table);
	if (key) {
		buf_adds(b, ",\"Key\":{\"" K_KEY "\":{\"S\":");
		json_escape_str(b, key);
		buf_adds(b, "}}");
	}
}

static void on_answer(void *ctx, const struct aws_result *r);

static void
submit(struct lease_mgr *m, struct op *o, const char *op)
{
	m->inflight++;
	aws_submit(m->c, op, m->req.data, m->req.len, on_answer, o);
}

/* the shard's children in the last listing */
static size_t
children_of(const struct lease_mgr *m, const char *id, char **out, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < m->nks && n < max; i++)
		if ((m->ks[i].parent && strcmp(m->ks[i].parent, id) == 0) ||
		    (m->ks[i].adjacent_parent && strcmp(m->ks[i].adjacent_parent, id) == 0))
			out[n++] = m->ks[i].id;
	return n;
}

static void
send_renew(struct lease_mgr *m, struct lease *l)
{
	struct op *o = op_new(m, OP_RENEW, l->key);

	o->counter = l->counter;
	req_begin(&m->req, m->cfg.table, l->key);
	buf_adds(&m->req, ",\"ConditionExpression\":\"#c = :c AND #o = :o\","
	    "\"UpdateExpression\":\"SET #c = :n\","
	    "\"ExpressionAttributeNames\":{\"#c\":\"" K_COUNTER "\",\"#o\":\"" K_OWNER "\"},"
	    "\"ExpressionAttributeValues\":{");
	buf_printf(&m->req, "\":c\":{\"N\":\"%lld\"},\":n\":{\"N\":\"%lld\"},", l->counter,
	    l->counter + 1);
	value_s(&m->req, ":o", m->cfg.worker);
	buf_adds(&m->req, "}}");
	l->busy = 1;
	m->stats.renewals++;
	submit(m, o, "UpdateItem");
}

static void
send_take(struct lease_mgr *m, struct lease *l, int steal)
{
	struct op *o = op_new(m, OP_TAKE, l->key);
	int switch_owner = l->owner && strcmp(l->owner, m->cfg.worker) != 0;

	o->counter = l->counter;
	o->steal = steal;
	o->from = l->owner ? cs_strdup(l->owner) : NULL;
	req_begin(&m->req, m->cfg.table, l->key);
	buf_printf(&m->req, ",\"ConditionExpression\":\"#c = :c\","
	    "\"UpdateExpression\":\"SET #c = :n, #o = :o%s\","
	    "\"ExpressionAttributeNames\":{\"#c\":\"" K_COUNTER "\",\"#o\":\"" K_OWNER "\"%s},"
	    "\"ReturnValues\":\"ALL_NEW\",\"ExpressionAttributeValues\":{",
	    switch_owner ? " ADD #s :one" : "",
	    switch_owner ? ",\"#s\":\"" K_SWITCHES "\"" : "");
	buf_printf(&m->req, "\":c\":{\"N\":\"%lld\"},\":n\":{\"N\":\"%lld\"},", l->counter,
	    l->counter + 1);
	if (switch_owner)
		buf_adds(&m->req, "\":one\":{\"N\":\"1\"},");
	value_s(&m->req, ":o", m->cfg.worker);
	buf_adds(&m->req, "}}");
	l->busy = 1;
	m->stats.takes++;
	if (steal)
		m->stats.steals++;
	submit(m, o, "UpdateItem");
}

static void
send_checkpoint(struct lease_mgr *m, struct lease *l)
{
	struct op *o = op_new(m, OP_CK, l->key);
	int end = strcmp(l->want_ck, SHARD_END) == 0;
	char *kids[16];
	size_t nkids = end ? children_of(m, l->key, kids, 16) : 0;

	o->counter = l->counter;
	o->ck = l->want_ck;
	o->sub = l->want_sub;
	l->want_ck = NULL;
	req_begin(&m->req, m->cfg.table, l->key);
	/* at SHARD_END the lease is let go in the same write: nothing is left to read */
	buf_printf(&m->req, ",\"ConditionExpression\":\"#c = :c AND #o = :o\","
	    "\"UpdateExpression\":\"SET #c = :n, #k = :k, #ks = :sub, #s = :zero%s"
	    " REMOVE #p, #ps%s\","
	    "\"ExpressionAttributeNames\":{\"#c\":\"" K_COUNTER "\",\"#o\":\"" K_OWNER "\","
	    "\"#k\":\"" K_CK "\",\"#ks\":\"" K_SUB "\",\"#s\":\"" K_SWITCHES "\","
	    "\"#p\":\"" K_PENDING "\",\"#ps\":\"" K_PENDING_SUB "\"%s},"
	    "\"ExpressionAttributeValues\":{",
	    nkids ? ", #ch = :ch" : "", end ? ", #o" : "",
	    nkids ? ",\"#ch\":\"" K_CHILDREN "\"" : "");
	buf_printf(&m->req, "\":c\":{\"N\":\"%lld\"},\":n\":{\"N\":\"%lld\"},"
	    "\":zero\":{\"N\":\"0\"},\":sub\":{\"N\":\"%ld\"},", l->counter, l->counter + 1, o->sub);
	if (nkids) {
		buf_adds(&m->req, "\":ch\":");
		ss_value(&m->req, kids, nkids);
		buf_addc(&m->req, ',');
	}
	value_s(&m->req, ":k", o->ck);
	buf_addc(&m->req, ',');
	value_s(&m->req, ":o", m->cfg.worker);
	buf_adds(&m->req, "}}");
	l->busy = 1;
	m->stats.checkpoints++;
	submit(m, o, "UpdateItem");
}

static void
send_release(struct lease_mgr *m, struct lease *l)
{
	struct op *o = op_new(m, OP_RELEASE, l->key);

	o->counter = l->counter;
	req_begin(&m->req, m->cfg.table, l->key);
	buf_adds(&m->req, ",\"ConditionExpression\":\"#o = :o\","
	    "\"UpdateExpression\":\"SET #c = #c + :one REMOVE #o\","
	    "\"ExpressionAttributeNames\":{\"#c\":\"" K_COUNTER "\",\"#o\":\"" K_OWNER "\"},"
	    "\"ExpressionAttributeValues\":{\":one\":{\"N\":\"1\"},");
	value_s(&m->req, ":o", m->cfg.worker);
	buf_adds(&m->req, "}}");
	l->busy = 1;
	m->stats.releases++;
	submit(m, o, "UpdateItem");
}

static void
send_delete(struct lease_mgr *m, struct lease *l)
{
	struct op *o = op_new(m, OP_DELETE, l->key);

	req_begin(&m->req, m->cfg.table, l->key);
	buf_adds(&m->req, ",\"ConditionExpression\":\"#k = :k\","
	    "\"ExpressionAttributeNames\":{\"#k\":\"" K_CK "\"},"
	    "\"ExpressionAttributeValues\":{\":k\":{\"S\":\"" SHARD_END "\"}}}");
	l->busy = 1;
	m->stats.deletes++;
	submit(m, o, "DeleteItem");
}

static void
send_scan(struct lease_mgr *m, const char *start_key, size_t len)
{
	struct op *o = op_new(m, OP_SCAN, NULL);

	req_begin(&m->req, m->cfg.table, NULL);
	buf_adds(&m->req, ",\"ConsistentRead\":true");
	if (start_key) {
		buf_adds(&m->req, ",\"ExclusiveStartKey\":");
		buf_add(&m->req, start_key, len);
	}
	buf_addc(&m->req, '}');
	if (!start_key) {
		m->scanning = 1;
		m->scan_start = cs_now_ms();
		m->stats.scans++;
	}
	submit(m, o, "Scan");
}

/* the checkpoint entry of L follows the table (not dirty) */
static void
ck_follow(struct lease_mgr *m, const struct lease *l)
{
	const char *ck = l->checkpoint;

	if (!m->ck)
		return;
	if (ck && strcmp(ck, SHARD_END) == 0)
		checkpoint_load_entry(m->ck, l->key, NULL, 1, 0, -1);
	else if (!lease_ck_initial(ck))
		/* inside an aggregate: its user records through SUBSEQ left out; else AT it, skipped */
		checkpoint_load_entry(m->ck, l->key, ck, 0, 1, l->subseq > 0 ? l->subseq : -1);
	else
		checkpoint_load_entry(m->ck, l->key, NULL, 0, 0, -1);
}

static void
lose(struct lease_mgr *m, struct lease *l, const char *why)
{
	if (!l->held)
		return;
	l->held = 0;
	free(l->want_ck);
	l->want_ck = NULL;
	m->stats.lost++;
	checkpoint_drop_dirty(m->ck, l->key);
	emit(m, LEASE_LOST, l, why);
}

static void
took(struct lease_mgr *m, struct lease *l, uint64_t sent, const char *detail)
{
	l->held = 1;
	l->renewed = sent;
	l->last_change = sent;
	ck_follow(m, l);
	emit(m, LEASE_TAKEN, l, detail);
}

static int
conditional(const struct aws_result *r)
{
	return strcmp(r->err.code, "ConditionalCheckFailedException") == 0;
}

static void
scan_page(struct lease_mgr *m, const struct aws_result *r)
{
	struct json_doc d;
	int items, lek;
	uint32_t k, j;
	struct cs_err e;

	json_doc_init(&d, 32);
	if (json_parse(&d, r->body->data ? r->body->data : "", r->body->len) < 0 ||
	    (items = GET(&d, 0, "Items")) < 0 || d.tok[items].type != JSON_ARRAY) {
		m->stats.failed++;
		m->scanning = 0;
		goto out;
	}
	for (k = 0, j = (uint32_t)items + 1; k < d.tok[items].size; k++, j = d.tok[j].next) {
		struct lease *l = cs_calloc(1, sizeof *l);

		if (lease_from_item(l, &d, (int)j, &e) < 0) {
			free(l);
			continue;   /* not a lease of ours to judge: leave it alone */
		}
		m->scanned = cs_realloc(m->scanned, (m->nscanned + 1) * sizeof *m->scanned);
		m->scanned[m->nscanned++] = l;
	}
	lek = GET(&d, 0, "LastEvaluatedKey");
	if (lek >= 0 && d.tok[lek].type == JSON_OBJECT) {
		const char *p = d.text + d.tok[lek].start;

		send_scan(m, p, d.tok[lek].len);
		goto out;
	}
	lease_view_merge(&m->v, m->scanned, m->nscanned, m->scan_start);
	for (k = 0; k < m->nscanned; k++)
		lease_free1(m->scanned[k]);
	free(m->scanned);
	m->scanned = NULL;
	m->nscanned = 0;
	m->scanning = 0;
	for (k = 0; k < m->v.n; k++)
		if (!m->v.l[k]->held)
			ck_follow(m, m->v.l[k]);
	m->scan_ready = 1;
out:
	json_doc_free(&d);
}

static void
on_answer(void *ctx, const struct aws_result *r)
{
	struct op *o = ctx;
	struct lease_mgr *m = o->m;
	struct lease *l = o->key ? lease_view_find(&m->v, o->key) : NULL;

	m->inflight--;
	if (l)
		l->busy = 0;
	switch (o->kind) {
	case OP_SCAN:
		if (r->ok)
			scan_page(m, r);
		else {
			m->stats.failed++;
			m->scanning = 0;
		}
		break;
	case OP_RENEW:
		if (!l)
			break;
		if (r->ok) {
			l->counter = o->counter + 1;
			l->last_change = o->sent;
			if (!l->held) {
				/* given up locally (late), but still ours in the table: hold it again */
				took(m, l, o->sent, "renewed late");
			} else {
				if (o->sent - l->renewed > m->cfg.failover_ms / 2)
					emit(m, LEASE_RENEWED_LATE, l, NULL);
				l->renewed = o->sent;
			}
		} else if (conditional(r)) {
			lose(m, l, "taken by another worker");
		} else {
			m->stats.failed++;
		}
		break;
	case OP_TAKE:
		if (!l)
			break;
		if (r->ok) {
			struct json_doc d;
			int attrs;
			struct lease fresh;
			struct cs_err e;

			memset(&fresh, 0, sizeof fresh);
			json_doc_init(&d, 32);
			if (json_parse(&d, r->body->data ? r->body->data : "", r->body->len) == 0 &&
			    (attrs = GET(&d, 0, "Attributes")) >= 0 &&
			    lease_from_item(&fresh, &d, attrs, &e) == 0) {
				take_fields(l, &fresh);
			} else {
				l->counter = o->counter + 1;
				free(l->owner);
				l->owner = cs_strdup(m->cfg.worker);
			}
			json_doc_free(&d);
			took(m, l, o->sent, o->steal ? "stolen" : o->from ? "expired" : "free");
		} else {
			m->stats.failed += !conditional(r);
		}
		break;
	case OP_CK:
		if (!l)
			break;
		if (r->ok) {
			l->counter = o->counter + 1;
			free(l->checkpoint);
			l->checkpoint = cs_strdup(o->ck);
			l->subseq = o->sub;
			l->renewed = o->sent;
			l->last_change = o->sent;
			if (strcmp(o->ck, SHARD_END) == 0) {
				l->held = 0;
				free(l->owner);
				l->owner = NULL;
				ck_follow(m, l);
				emit(m, LEASE_ENDED, l, NULL);
			}
		} else if (conditional(r)) {
			lose(m, l, "taken by another worker: checkpoint not written");
		} else {
			/* keep it to write again, unless a newer one is waiting */
			if (!l->want_ck && l->held) {
				l->want_ck = cs_strdup(o->ck);
				l->want_sub = o->sub;
			}
			m->stats.failed++;
		}
		break;
	case OP_RELEASE:
		if (l) {
			l->held = 0;
			if (r->ok) {
				free(l->owner);
				l->owner = NULL;
				l->counter++;
				emit(m, LEASE_RELEASED, l, NULL);
			}
		}
		break;
	case OP_CREATE:
		if (r->ok)
			m->stats.creates++;
		break;
	case OP_DELETE:
		break;
	}
	op_free(o);
}

/* --- setup --------------------------------------------------------------------------- */

static int
call(struct lease_mgr *m, const char *op, struct buf *resp, struct cs_err *err)
{
	return aws_call(m->c, op, m->req.data, m->req.len, resp, err);
}

static int
table_ready(struct lease_mgr *m, struct cs_err *err)
{
	struct buf resp = BUF_INIT;
	struct cs_err e;
	uint64_t deadline;
	int rc = -1, created = 0;

	req_begin(&m->req, m->cfg.table, NULL);
	buf_addc(&m->req, '}');
	if (call(m, "DescribeTable", &resp, &e) < 0) {
		if (strcmp(e.code, "ResourceNotFoundException") != 0) {
			cs_err_set(err, "lease table '%s': %s", m->cfg.table, e.msg);
			memcpy(err->code, e.code, sizeof e.code);
			goto out;
		}
		req_begin(&m->req, m->cfg.table, NULL);
		buf_adds(&m->req, ",\"AttributeDefinitions\":[{\"AttributeName\":\"" K_KEY "\","
		    "\"AttributeType\":\"S\"}],\"KeySchema\":[{\"AttributeName\":\"" K_KEY "\","
		    "\"KeyType\":\"HASH\"}],\"BillingMode\":\"PAY_PER_REQUEST\"}");
		if (call(m, "CreateTable", &resp, &e) < 0 &&
		    strcmp(e.code, "ResourceInUseException") != 0) {
			cs_err_set(err, "creating lease table '%s': %s", m->cfg.table, e.msg);
			memcpy(err->code, e.code, sizeof e.code);
			goto out;
		}
		created = 1;
	}
	deadline = cs_now_ms() + 120000;
	for (;;) {
		if (resp.data && strstr(resp.data, "\"TableStatus\":\"ACTIVE\""))
			break;
		if (cs_now_ms() > deadline || cs_signalled) {
			cs_err_set(err, "lease table '%s': not active %s", m->cfg.table,
			    cs_signalled ? "(interrupted)" : "after 120 s");
			goto out;
		}
		if (created)
			cs_sleep_ms(200);
		created = 1;
		req_begin(&m->req, m->cfg.table, NULL);
		buf_addc(&m->req, '}');
		if (call(m, "DescribeTable", &resp, &e) < 0) {
			cs_err_set(err, "lease table '%s': %s", m->cfg.table, e.msg);
			memcpy(err->code, e.code, sizeof e.code);
			goto out;
		}
	}
	rc = 0;
out:
	buf_free(&resp);
	return rc;
}

static int
lease_ck_load(struct checkpoint *ck, struct cs_err *err)
{
	(void)ck;
	(void)err;
	return 0;
}

static int
lease_ck_store(struct checkpoint *ck, struct cs_err *err)
{
	struct lease_mgr *m = ck->impl;
	size_t i;

	(void)err;
	for (i = 0; i < ck->n; i++) {
		const struct checkpoint_entry *e = &ck->e[i];
		struct lease *l;

		if (!e->dirty)
			continue;
		l = lease_view_find(&m->v, e->shard);
		if (!l || !lease_held(m, e->shard) || (!e->finished && !e->seq))
			continue;   /* lost: the next owner reads it again */
		free(l->want_ck);
		l->want_ck = cs_strdup(e->finished ? SHARD_END : e->seq);
		/* the KCL's: the last user record handled of an aggregate; 0 for a whole record */
		l->want_sub = !e->finished && e->subseq >= 0 ? e->subseq : 0;
		/* written with the lease's next renewal (lease_step), SHARD_END at once */
		if (!l->busy && e->finished)
			send_checkpoint(m, l);
	}
	return 0;
}

static void
lease_ck_close(struct checkpoint *ck)
{
	ck->impl = NULL;
}

static const struct checkpoint_ops lease_ck_ops = {
	"lease", lease_ck_load, lease_ck_store, lease_ck_close,
};

struct lease_mgr *
lease_open(struct aws_client *ddb, const struct lease_config *cfg, struct cs_err *err)
{
	struct lease_mgr *m = cs_calloc(1, sizeof *m);

	m->c = ddb;
	m->cfg = *cfg;
	if (!m->cfg.failover_ms)
		m->cfg.failover_ms = 10000;
	if (!m->cfg.initial)
		m->cfg.initial = "TRIM_HORIZON";
	m->rng = cs_now_ms() * 2654435761u + (uint64_t)(uintptr_t)m;
	if (!m->rng)
		m->rng = 1;
	buf_init(&m->req);
	m->ck = cs_calloc(1, sizeof *m->ck);
	m->ck->ops = &lease_ck_ops;
	m->ck->impl = m;
	m->ck->stream = cs_strdup(cfg->stream);
	if (table_ready(m, err) < 0)
		goto fail;
	/* the first scan, blocking, so that the reader starts from the table's checkpoints */
	send_scan(m, NULL, 0);
	while (m->scanning && !cs_signalled)
		aws_run(m->c, 100, -1);
	if (m->scanning || m->stats.failed) {
		cs_err_set(err, "lease table '%s': the first scan failed", m->cfg.table);
		goto fail;
	}
	/* the scan's end set every entry of the checkpoint from its lease (ck_follow) */
	m->next_scan = cs_now_ms();
	return m;
fail:
	lease_free(m);
	return NULL;
}

void
lease_free(struct lease_mgr *m)
{
	size_t i;

	if (!m)
		return;
	/* answers still due would reach freed memory: wait for them, briefly */
	for (i = 0; m->inflight && i < 50; i++)
		aws_run(m->c, 100, -1);
	lease_view_free(&m->v);
	for (i = 0; i < m->nscanned; i++)
		lease_free1(m->scanned[i]);
	free(m->scanned);
	kinesis_shards_free(m->ks, m->nks);
	checkpoint_close(m->ck);
	buf_free(&m->req);
	free(m);
}

/* a child of ID (in the listing) already has a lease */
static int
child_leased(const struct lease_mgr *m, const char *id)
{
	char *kids[16];
	size_t n = children_of(m, id, kids, 16), i;

	for (i = 0; i < n; i++)
		if (lease_view_find(&m->v, kids[i]))
			return 1;
	return 0;
}

void
lease_sync(struct lease_mgr *m, const struct kinesis_shard *ks, size_t n)
{
	size_t i;

	/* keep the listing: children for SHARD_END writes and for the rule below */
	kinesis_shards_free(m->ks, m->nks);
	m->ks = cs_calloc(n + 1, sizeof *m->ks);
	m->nks = n;
	for (i = 0; i < n; i++) {
		m->ks[i].id = cs_strdup(ks[i].id);
		m->ks[i].parent = ks[i].parent ? cs_strdup(ks[i].parent) : NULL;
		m->ks[i].adjacent_parent = ks[i].adjacent_parent ? cs_strdup(ks[i].adjacent_parent) : NULL;
		m->ks[i].seq_end = ks[i].seq_end ? cs_strdup(ks[i].seq_end) : NULL;
	}
	for (i = 0; i < n; i++) {
		struct lease l;
		struct op *o;
		char *parents[2];
		struct buf item = BUF_INIT;

		if (lease_view_find(&m->v, ks[i].id))
			continue;
		if (ks[i].seq_end && child_leased(m, ks[i].id))
			continue;   /* finished and cleaned up long ago */
		if (ks[i].seq_end && !m->synced_once && strcmp(m->cfg.initial, "LATEST") == 0)
			continue;   /* --from latest: closed shards are not read */
		memset(&l, 0, sizeof l);
		l.key = ks[i].id;
		l.checkpoint = (char *)m->cfg.initial;
		l.nparents = 0;
		if (ks[i].parent)
			parents[l.nparents++] = ks[i].parent;
		if (ks[i].adjacent_parent)
			parents[l.nparents++] = ks[i].adjacent_parent;
		l.parents = parents;
		l.hash_start = ks[i].hash_start;
		l.hash_end = ks[i].hash_end;
		lease_to_item(&item, &l);
		req_begin(&m->req, m->cfg.table, NULL);
		buf_adds(&m->req, ",\"Item\":");
		buf_add(&m->req, item.data, item.len);
		buf_adds(&m->req, ",\"ConditionExpression\":\"attribute_not_exists(#k)\","
		    "\"ExpressionAttributeNames\":{\"#k\":\"" K_KEY "\"}}");
		buf_free(&item);
		o = op_new(m, OP_CREATE, NULL);
		submit(m, o, "PutItem");
		/* seen at the next scan; until then a placeholder keeps it from being created twice */
		{
			struct lease *p = cs_calloc(1, sizeof *p);

			p->key = cs_strdup(ks[i].id);
			p->checkpoint = cs_strdup(m->cfg.initial);
			view_add(&m->v, p);
		}
	}
	m->synced_once = 1;
	m->next_scan = cs_now_ms();
}

/* the SHARD_END leases whose children have all started */
static void
cleanup(struct lease_mgr *m)
{
	size_t i, j, k;

	for (i = 0; i < m->v.n; i++) {
		struct lease *p = m->v.l[i];
		int kids = 0, started = 1;

		if (!at_end(p) || p->busy || p->owner)
			continue;
		for (j = 0; j < m->v.n; j++) {
			struct lease *c = m->v.l[j];

			for (k = 0; k < c->nparents; k++)
				if (strcmp(c->parents[k], p->key) == 0)
					break;
			if (k == c->nparents)
				continue;
			kids++;
			if (lease_ck_initial(c->checkpoint))
				started = 0;
		}
		if (kids && started)
			send_delete(m, p);
	}
}

int
lease_step(struct lease_mgr *m, int *fatal, struct cs_err *err)
{
	uint64_t now = cs_now_ms();
	unsigned F = m->cfg.failover_ms;
	int64_t wait;
	size_t i;

	*fatal = 0;
	if (m->fatal) {
		*fatal = 1;
		*err = m->fatal_err;
		return -1;
	}
	/* held leases not renewed in time are given up before anyone may take them */
	for (i = 0; i < m->v.n; i++) {
		struct lease *l = m->v.l[i];

		if (l->held && now - l->renewed >= F)
			lose(m, l, "not renewed within the failover time");
	}
	/*
	 * Each held lease every failover/3: its checkpoint, when it moved,
	 * rides on that renewal (one write does both); SHARD_END goes at once,
	 * its children wait for it.
	 */
	for (i = 0; i < m->v.n; i++) {
		struct lease *l = m->v.l[i];

		if (!l->held || l->busy)
			continue;
		if (l->want_ck && strcmp(l->want_ck, SHARD_END) == 0)
			send_checkpoint(m, l);
		else if (now - l->renewed >= F / 3)
			l->want_ck ? send_checkpoint(m, l) : send_renew(m, l);
	}
	if (m->scan_ready) {
		/* a scan just ended: take, steal, clean up */
		struct lease_choice c;

		m->scan_ready = 0;
		lease_choose(&m->v, m->cfg.worker, now, F, m->cfg.max_leases, rnd_next, &m->rng, &c);
		for (i = 0; i < c.n; i++)
			send_take(m, c.take[i], c.steal);
		free(c.take);
		cleanup(m);
		m->next_scan = now + F / 6;
	} else if (!m->scanning && now >= m->next_scan) {
		send_scan(m, NULL, 0);
	}
	/* until the next renewal due, or while one is in flight the failover time, or the next scan */
	wait = F / 3;
	for (i = 0; i < m->v.n; i++) {
		const struct lease *l = m->v.l[i];
		int64_t due = (int64_t)(l->renewed + (l->busy ? F : F / 3)) - (int64_t)now;

		if (l->held && due < wait)
			wait = due;
	}
	if (!m->scanning && (int64_t)m->next_scan - (int64_t)now < wait)
		wait = (int64_t)m->next_scan - (int64_t)now;
	if (wait < 0)
		wait = 0;
	return (int)wait;
}

int
lease_held(struct lease_mgr *m, const char *shard)
{
	struct lease *l = lease_view_find(&m->v, shard);

	if (!l || !l->held)
		return 0;
	if (cs_now_ms() - l->renewed >= m->cfg.failover_ms) {
		lose(m, l, "not renewed within the failover time");
		return 0;
	}
	return 1;
}

int
lease_parents_done(const struct lease_mgr *m, const char *shard)
{
	const struct lease *l = lease_view_find(&m->v, shard);
	size_t i;

	if (!l)
		return 0;
	for (i = 0; i < l->nparents; i++) {
		const struct lease *p = lease_view_find(&m->v, l->parents[i]);

		if (p && !at_end(p))
			return 0;
	}
	return 1;
}

struct checkpoint *
lease_checkpoint(struct lease_mgr *m)
{
	return m->ck;
}

void
lease_release_all(struct lease_mgr *m, unsigned wait_ms)
{
	uint64_t deadline = cs_now_ms() + wait_ms;
	size_t i;
	int pending;

	for (;;) {
		pending = 0;
		for (i = 0; i < m->v.n; i++) {
			struct lease *l = m->v.l[i];

			if (!l->held)
				continue;
			if (l->busy) {
				pending = 1;
			} else if (l->want_ck) {
				send_checkpoint(m, l);
				pending = 1;
			} else {
				send_release(m, l);
				pending = 1;
			}
		}
		if ((!pending && !m->inflight) || cs_now_ms() >= deadline)
			break;
		aws_run(m->c, 50, -1);
	}
}

int
lease_inflight(const struct lease_mgr *m)
{
	return m->inflight;
}

size_t
lease_nheld(const struct lease_mgr *m)
{
	size_t i, n = 0;

	for (i = 0; i < m->v.n; i++)
		n += m->v.l[i]->held != 0;
	return n;
}

const struct lease_stats *
lease_stats(const struct lease_mgr *m)
{
	return &m->stats;
}

struct aws_client *
lease_client(struct lease_mgr *m)
{
	return m->c;
}
