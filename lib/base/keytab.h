/*
 * keytab.h - a hash table of byte-string keys, intrusive: the caller's
 * struct begins with a struct keytab_node, and owns its memory.  The one
 * "keys in flight" table: cs-store keeps one entry per key that has a
 * write in flight or waiting, cs-put one per partition key with a batch
 * in flight (lib/engines/keyorder.h).
 */
#ifndef CS_KEYTAB_H
#define CS_KEYTAB_H

#include <stddef.h>
#include <stdint.h>

struct keytab_node {
	struct keytab_node *next;   /* hash chain */
	uint64_t hash;
	char *key;                  /* a copy, freed by keytab_remove (unless borrowed) */
	size_t keylen;
};

struct keytab {
	struct keytab_node **tab;
	size_t size;                /* a power of two */
	size_t n;
	int borrowed;               /* the keys are the caller's, not copies */
};

void keytab_init(struct keytab *t);
/*
 * A table whose keys are not copied: the caller keeps each key's bytes
 * as they were, where they were, while its node is in the table (in the
 * node's own memory, say: one allocation, and the key next to the node).
 */
void keytab_init_borrowed(struct keytab *t);
/* Free the table; FREE_NODE (may be NULL) is called on every node left. */
void keytab_free(struct keytab *t, void (*free_node)(struct keytab_node *));
struct keytab_node *keytab_find(const struct keytab *t, const char *key, size_t len);
/* Put NODE under a copy of KEY (which must not be there yet); under KEY itself when borrowed. */
void keytab_insert(struct keytab *t, struct keytab_node *node, const char *key, size_t len);
/* The table's hash of KEY (FNV-1a), and the two calls above with it worked out already. */
uint64_t keytab_hash(const char *key, size_t len);
struct keytab_node *keytab_find_hashed(const struct keytab *t, const char *key, size_t len,
    uint64_t hash);
void keytab_insert_hashed(struct keytab *t, struct keytab_node *node, const char *key,
    size_t len, uint64_t hash);
/* Take NODE out and free its key copy (none when borrowed); the caller frees NODE. */
void keytab_remove(struct keytab *t, struct keytab_node *node);

#endif
