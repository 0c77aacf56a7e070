/* keytab.c - a hash table of byte-string keys (see keytab.h). */
#include <stdlib.h>
#include <string.h>

#include "cs.h"
#include "hash.h"
#include "keytab.h"

#define KEYTAB_INITIAL 1024

uint64_t
keytab_hash(const char *p, size_t n)
{
	return hash_fnv1a(p, n);
}

void
keytab_init(struct keytab *t)
{
	t->size = KEYTAB_INITIAL;
	t->tab = cs_calloc(t->size, sizeof *t->tab);
	t->n = 0;
	t->borrowed = 0;
}

void
keytab_init_borrowed(struct keytab *t)
{
	keytab_init(t);
	t->borrowed = 1;
}

void
keytab_free(struct keytab *t, void (*free_node)(struct keytab_node *))
{
	size_t i;

	for (i = 0; t->tab && i < t->size; i++) {
		struct keytab_node *e, *next;

		for (e = t->tab[i]; e; e = next) {
			next = e->next;
			if (!t->borrowed)
				free(e->key);
			if (free_node)
				free_node(e);
		}
	}
	free(t->tab);
	memset(t, 0, sizeof *t);
}

struct keytab_node *
keytab_find_hashed(const struct keytab *t, const char *key, size_t len, uint64_t h)
{
	struct keytab_node *e;

	for (e = t->tab[h & (t->size - 1)]; e; e = e->next)
		if (e->hash == h && e->keylen == len && memcmp(e->key, key, len) == 0)
			return e;
	return NULL;
}

struct keytab_node *
keytab_find(const struct keytab *t, const char *key, size_t len)
{
	return keytab_find_hashed(t, key, len, keytab_hash(key, len));
}

static void
grow(struct keytab *t)
{
	size_t ns = t->size * 2, i;
	struct keytab_node **nt = cs_calloc(ns, sizeof *nt), *e, *next;

	for (i = 0; i < t->size; i++)
		for (e = t->tab[i]; e; e = next) {
			next = e->next;
			e->next = nt[e->hash & (ns - 1)];
			nt[e->hash & (ns - 1)] = e;
		}
	free(t->tab);
	t->tab = nt;
	t->size = ns;
}

void
keytab_insert(struct keytab *t, struct keytab_node *node, const char *key, size_t len)
{
	keytab_insert_hashed(t, node, key, len, keytab_hash(key, len));
}

void
keytab_insert_hashed(struct keytab *t, struct keytab_node *node, const char *key, size_t len,
    uint64_t h)
{
	if (t->n >= t->size)
		grow(t);
	node->hash = h;
	if (t->borrowed) {
		node->key = (char *)key;
	} else {
		node->key = cs_malloc(len ? len : 1);
		memcpy(node->key, key, len);
	}
	node->keylen = len;
	node->next = t->tab[node->hash & (t->size - 1)];
	t->tab[node->hash & (t->size - 1)] = node;
	t->n++;
}

void
keytab_remove(struct keytab *t, struct keytab_node *node)
{
	struct keytab_node **pp = &t->tab[node->hash & (t->size - 1)];

	while (*pp != node)
		pp = &(*pp)->next;
	*pp = node->next;
	if (!t->borrowed)
		free(node->key);
	node->key = NULL;
	t->n--;
}
