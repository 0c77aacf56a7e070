/*
 * aggpack.h - the user records of one PutRecords request packed into
 * KPL aggregates, one shard at a time (cs-put --aggregate).
 *
 * Each user record goes with the records of the shard its own hash key
 * (its explicit hash key, else the MD5 of its partition key) maps to in
 * the shard map, so every user record of an aggregate belongs to the
 * shard the aggregate lands on: the aggregate's explicit hash key is its
 * first user record's hash key, its partition key "a" (as the KPL).
 *   - An aggregate grows up to MAX_BYTES (magic, protobuf and MD5), then
 *     the shard's next user records start another one.
 *   - A user record that cannot be aggregated (alone it would be over
 *     MAX_BYTES, or no open shard holds its hash key) is an entry alone.
 *   - An "aggregate" of one user record is sent as that record, plain.
 * The request's entries are in the order their first user record came.
 */
#ifndef CS_AGGPACK_H
#define CS_AGGPACK_H

#include <stddef.h>

#include "cs.h"
#include "u128.h"
#include "shardmap.h"

/* The default and largest MAX_BYTES: the KPL's default, and 1 MiB less the key "a". */
#define AGG_DEFAULT_BYTES 51200
#define AGG_MAX_BYTES ((1u << 20) - 1)
#define AGG_PARTITION_KEY "a"
/* User records a request may hold when aggregating: 5 MiB of the smallest likely ones */
#define AGG_BATCH_RECORDS 20480

/* One user record as the packer sees it (borrowed until aggpack_begin). */
struct agg_user {
	const char *key;
	size_t keylen;
	const char *ehk;         /* decimal, or NULL */
	const char *data;
	size_t len;
	void *ctx;               /* the caller's */
	const u128 *hash;  /* its hash key worked out before (aggpack_hash), or NULL */
	const long *shard; /* with HASH: its shard in the map found before (-1: none), or NULL */
};

/* One Kinesis record of the request, as aggpack_entry gives it. */
struct agg_entry {
	long shard;              /* predicted shard (index in the map), -1: not placed */
	size_t n;                /* user records: 1 plain, more aggregated */
	const char *data;        /* the bytes to send (see aggpack_entry) */
	size_t len;
	const char *key;         /* partition key: the record's own, or "a" */
	size_t keylen;
	const char *ehk;         /* explicit hash key (decimal), or NULL */
};

struct aggpack;

struct aggpack *aggpack_new(size_t max_bytes);
void aggpack_free(struct aggpack *p);
/* Start an empty request, placing by M (may be NULL or empty: nothing aggregates). */
void aggpack_begin(struct aggpack *p, const struct shardmap *m);
/* The hash key of U: its explicit hash key (valid decimal, as the caller checked), else MD5 of its key. */
u128 aggpack_hash(const struct agg_user *u);
/*
 * What adding U would do: *NEW_ENTRY 1 when it adds a Kinesis record to
 * the request, *GROWTH how many bytes (data and partition keys, as
 * PutRecords counts them) the request would grow by.
 */
void aggpack_cost(struct aggpack *p, const struct agg_user *u, int *new_entry, size_t *growth);
/* The shard (index in the map) the record of the last aggpack_cost maps to, -1: none. */
long aggpack_cost_shard(const struct aggpack *p);
void aggpack_add(struct aggpack *p, const struct agg_user *u);
/* Entries so far, and bytes (data and partition keys). */
size_t aggpack_count(const struct aggpack *p);
size_t aggpack_bytes(const struct aggpack *p);
/*
 * Entry I, and its user records' ctx in order into CTX[0..n) (CTX may be
 * NULL).  An aggregate's bytes are made from the user records' data
 * (which must not have changed since they were added) into memory of the
 * packer's, with those of the next 7 aggregates (their MD5s taken at
 * once: md5_many): valid until a call for an entry not made with them, or
 * aggpack_begin.  Asked for in order, each is made once, at the last
 * moment, still in the cache for what reads it next (the request's base64).
 */
void aggpack_entry(struct aggpack *p, size_t i, struct agg_entry *e, void **ctx);
/* The same without the bytes: e->data NULL for an aggregate (e->len what it will weigh). */
void aggpack_members(struct aggpack *p, size_t i, struct agg_entry *e, void **ctx);

#endif
