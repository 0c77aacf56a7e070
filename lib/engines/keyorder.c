/* keyorder.c - partition keys in flight (see keyorder.h). */
#include <stdlib.h>
#include <string.h>

#include "cs.h"
#include "keyorder.h"

struct keyorder_ent {
	struct keytab_node node;      /* first: the key, in KEY below */
	uint32_t inflight;            /* records of the key in requests */
	uint32_t taken_gen;           /* the last build that took a record of it */
	uint32_t blocked_gen;         /* the last build that held it back */
	struct keyorder_ent *next;    /* in touched or spare */
	size_t cap;                   /* bytes KEY has room for */
	char key[];                   /* the key's bytes: one allocation with the entry */
};

/* room for the keys of most records: a spare entry fits the next key without a realloc */
#define KEY_ROOM 48

void
keyorder_init(struct keyorder *k)
{
	keytab_init_borrowed(&k->t);
	k->gen = 0;
	k->touched = k->spare = NULL;
}

static void
free_node(struct keytab_node *n)
{
	free(n);
}

void
keyorder_free(struct keyorder *k)
{
	struct keyorder_ent *e, *n;

	keytab_free(&k->t, free_node);
	for (e = k->spare; e; e = n) {
		n = e->next;
		free(e);
	}
	k->touched = k->spare = NULL;
}

uint64_t
keyorder_hash(const char *key, size_t len)
{
	return keytab_hash(key, len);
}

void
keyorder_begin(struct keyorder *k)
{
	k->gen++;
	if (k->gen == 0)
		k->gen = 1;
	k->touched = NULL;
}

static void
drop(struct keyorder *k, struct keyorder_ent *e)
{
	keytab_remove(&k->t, &e->node);
	e->next = k->spare;
	k->spare = e;
}

struct keyorder_ent *
keyorder_take_ent(struct keyorder *k, const char *key, size_t len, uint64_t hash, int want)
{
	struct keyorder_ent *e = (struct keyorder_ent *)keytab_find_hashed(&k->t, key, len, hash);

	if (!e) {
		if ((e = k->spare)) {
			k->spare = e->next;
		} else {
			e = cs_malloc(sizeof *e + KEY_ROOM);
			e->cap = KEY_ROOM;
		}
		if (e->cap < len) {
			e = cs_realloc(e, sizeof *e + len);
			e->cap = len;
		}
		if (len)
			memcpy(e->key, key, len);
		e->inflight = 0;
		e->taken_gen = e->blocked_gen = 0;
		keytab_insert_hashed(&k->t, &e->node, e->key, len, hash);
		/*
		 * Made for this build to hold its key back: gone again at its
		 * end.  One made for a record taken stays in flight until the
		 * answer, and is not walked past again (a request of thousands
		 * of records, aggregating, made as many).
		 */
		if (!want) {
			e->next = k->touched;
			k->touched = e;
		}
	}
	if (e->blocked_gen == k->gen || (e->inflight && e->taken_gen != k->gen))
		want = 0;
	if (!want) {
		e->blocked_gen = k->gen;
		return NULL;
	}
	e->inflight++;
	e->taken_gen = k->gen;
	return e;
}

void
keyorder_end(struct keyorder *k)
{
	struct keyorder_ent *e, *n;

	for (e = k->touched; e; e = n) {
		n = e->next;
		drop(k, e);
	}
	k->touched = NULL;
}

void
keyorder_release(struct keyorder *k, struct keyorder_ent *e)
{
	if (e && e->inflight && --e->inflight == 0)
		drop(k, e);
}

size_t
keyorder_inflight(const struct keyorder *k)
{
	return k->t.n;
}
