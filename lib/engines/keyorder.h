/*
 * keyorder.h - cs-put's partition keys in flight, so that records of one
 * key are never in two PutRecords requests at once and a record that
 * waits (for its retry, or for room in a batch) holds back the later
 * records of its key.  One entry per key in flight, in the keys-in-flight
 * table (lib/base/keytab.h).
 *
 * Use, for one batch being built: keyorder_begin(), then keyorder_take_ent()
 * for each candidate record in input order, then keyorder_end().  When
 * the answer comes, keyorder_release() for each record the batch held.
 */
#ifndef CS_KEYORDER_H
#define CS_KEYORDER_H

#include <stddef.h>
#include <stdint.h>

#include "keytab.h"

struct keyorder_ent;

struct keyorder {
	struct keytab t;
	uint32_t gen;                 /* the batch being built */
	struct keyorder_ent *touched; /* entries this build made to hold a key back */
	struct keyorder_ent *spare;   /* freed entries, for reuse */
};

void keyorder_init(struct keyorder *k);
void keyorder_free(struct keyorder *k);
/* The hash to give the calls below (worked out once per record). */
uint64_t keyorder_hash(const char *key, size_t len);
void keyorder_begin(struct keyorder *k);
/*
 * Whether the record of KEY may go into the batch being built: WANT (it
 * is ready and fits) and its key neither in flight in another batch nor
 * held back by an earlier record of this build.  When it may, the key is
 * in flight and its entry is given, for keyorder_release when the record
 * is answered (no look-up of the key then: with thousands of keys in
 * flight, each look-up is a few cache misses); when not, NULL, and the
 * later records of KEY are held back until keyorder_end().
 */
struct keyorder_ent *keyorder_take_ent(struct keyorder *k, const char *key, size_t len,
    uint64_t hash, int want);
void keyorder_end(struct keyorder *k);
/* A record taken earlier, by the entry keyorder_take_ent gave for it, is answered. */
void keyorder_release(struct keyorder *k, struct keyorder_ent *e);
/* Keys in flight. */
size_t keyorder_inflight(const struct keyorder *k);

#endif
