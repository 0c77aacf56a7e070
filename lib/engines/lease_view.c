/*
 * lease_view.c - what this worker sees of the lease table: the leases of
 * the last scan merged into its view, when a lease is expired, and the
 * taker's choice (see lease.h).  Pure: no requests, no clock.
 */
#include <stdlib.h>
#include <string.h>

#include "leaseint.h"

void
lease_view_free(struct lease_view *v)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		lease_destroy(v->l[i]);
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

void
lease_view_add(struct lease_view *v, struct lease *l)
{
	if (v->n == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 16;
		v->l = cs_realloc(v->l, v->cap * sizeof *v->l);
	}
	v->l[v->n++] = l;
}

/* move the table's fields of S into L (the worker's own fields of L stay) */
void
lease_take_fields(struct lease *l, struct lease *s)
{
	struct lease keep = *l;

	/* the table's part from S, the local part from L */
	*l = *s;
	l->last_change = keep.last_change;
	l->held = keep.held;
	l->renewed = keep.renewed;
	l->busy = keep.busy;
	l->want_ck = keep.want_ck;
	l->want_sub = keep.want_sub;
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
			lease_view_add(v, s);
			scanned[i] = NULL;
			continue;
		}
		if (l->held || l->busy) {
			/* ours, or a request on it in flight: our own answers say more than a scan */
			lease_destroy(s);
			scanned[i] = NULL;
			continue;
		}
		if (s->counter != l->counter)
			l->last_change = now;
		lease_take_fields(l, s);
		lease_destroy(s);
		scanned[i] = NULL;
	}
	/* leases gone from the table (cleaned up) leave the view, unless held */
	for (i = j = 0; i < v->n; i++) {
		if (i < old_n && !seen[i] && !v->l[i]->held && !v->l[i]->busy) {
			lease_destroy(v->l[i]);
			continue;
		}
		v->l[j++] = v->l[i];
	}
	v->n = j;
	free(seen);
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

		if (lease_at_end(l))
			continue;   /* nothing to read: neither counted nor taken */
		if (l->unreadable && !l->held)
			continue;   /* whose it is, and where, is not known: left alone */
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

			if (!l->held && !l->busy && !lease_at_end(l) && l->owner &&
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
