/*
 * lease.c - the lease engine: renewals, scans, takes, checkpoints and
 * releases on a DynamoDB lease table shared with KCL 2.x workers (see
 * lease.h; the item in lease_item.c, the taker's choice in lease_view.c).
 */
#include <stdlib.h>
#include <string.h>

#include "leaseint.h"

#define GET(d, obj, lit) ((obj) < 0 ? -1 : json_obj_get((d), (obj), lit, sizeof lit - 1))

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
	/* the keys of the unreadable items already said (LEASE_UNREADABLE) */
	char **said;
	size_t nsaid;
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
	lease_value_s(&m->req, ":o", m->cfg.worker);
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
	lease_value_s(&m->req, ":o", m->cfg.worker);
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
		lease_ss_value(&m->req, kids, nkids);
		buf_addc(&m->req, ',');
	}
	lease_value_s(&m->req, ":k", o->ck);
	buf_addc(&m->req, ',');
	lease_value_s(&m->req, ":o", m->cfg.worker);
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
	lease_value_s(&m->req, ":o", m->cfg.worker);
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

/*
 * Item J of the scan could not be read as a lease (E): when it has a
 * leaseKey string, a lease with that key only, marked unreadable, so that
 * the merge keeps it (not taken, its checkpoint entry not forgotten, its
 * children waiting), and said once a key.
 */
static struct lease *
unreadable(struct lease_mgr *m, const struct json_doc *d, int j, const struct cs_err *e)
{
	int k = json_obj_get(d, j, K_KEY, sizeof K_KEY - 1);
	char *key = k >= 0 && d->tok[k].type == JSON_OBJECT ? json_get_str(d, k, "S") : NULL;
	struct lease *l;
	size_t i;

	if (!key || !*key) {
		free(key);
		return NULL;   /* not a lease of any shard */
	}
	l = cs_calloc(1, sizeof *l);
	l->key = key;
	l->unreadable = 1;
	for (i = 0; i < m->nsaid; i++)
		if (strcmp(m->said[i], key) == 0)
			return l;
	m->said = cs_realloc(m->said, (m->nsaid + 1) * sizeof *m->said);
	m->said[m->nsaid++] = cs_strdup(key);
	emit(m, LEASE_UNREADABLE, l, e->msg);
	return l;
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
			/* not a lease of ours to judge: left alone, but not taken for gone */
			free(l);
			if (!(l = unreadable(m, &d, (int)j, &e)))
				continue;
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
		lease_destroy(m->scanned[k]);
	free(m->scanned);
	m->scanned = NULL;
	m->nscanned = 0;
	m->scanning = 0;
	for (k = 0; k < m->v.n; k++)
		if (!m->v.l[k]->held)
			ck_follow(m, m->v.l[k]);
	/*
	 * A lease gone from the table (a finished parent cleaned up by another
	 * worker while this one slept) takes its entry along: an entry left
	 * as it was would hold the shard's children back for ever, since the
	 * readers take a parent without an entry for cleaned up.
	 */
	if (m->ck)
		for (k = m->ck->n; k-- > 0;)
			if (!lease_view_find(&m->v, m->ck->e[k].shard))
				checkpoint_forget(m->ck, m->ck->e[k].shard);
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
				lease_take_fields(l, &fresh);
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
		lease_destroy(m->scanned[i]);
	free(m->scanned);
	kinesis_shards_free(m->ks, m->nks);
	for (i = 0; i < m->nsaid; i++)
		free(m->said[i]);
	free(m->said);
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
			lease_view_add(&m->v, p);
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

		if (!lease_at_end(p) || p->busy || p->owner)
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

		if (p && !lease_at_end(p))
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

