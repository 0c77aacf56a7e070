/*
 * kpl.h - records aggregated by the Kinesis Producer Library.
 *
 * An aggregate is one Kinesis record holding many user records:
 *   magic F3 89 9A C2, a protobuf AggregatedRecord, the MD5 of the protobuf.
 *   message AggregatedRecord {
 *     repeated string partition_key_table = 1;
 *     repeated string explicit_hash_key_table = 2;
 *     repeated Record records = 3;
 *   }
 *   message Record {
 *     required uint64 partition_key_index = 1;
 *     optional uint64 explicit_hash_key_index = 2;
 *     required bytes data = 3;
 *     repeated Tag tags = 4;     (skipped)
 *   }
 */
#ifndef CS_KPL_H
#define CS_KPL_H

#include <stddef.h>
#include <stdint.h>

#include "cs.h"

#define KPL_MAGIC "\xF3\x89\x9A\xC2"
#define KPL_MAGIC_LEN 4
#define KPL_DIGEST_LEN 16

/* One user record; the pointers point into the aggregate's bytes. */
struct kpl_record {
	const char *key;    /* its partition key */
	size_t keylen;
	const char *ehk;    /* its explicit hash key, NULL when none */
	size_t ehklen;
	const char *data;
	size_t len;
	/*
	 * Building: a hash of KEY the caller already has (a well-mixed 64 bits,
	 * the same for the same key: its MD5's, say), else 0 and the builder
	 * hashes it.  Unused when splitting.
	 */
	uint64_t keyhash;
};

struct kpl_agg {
	struct kpl_record *rec;
	size_t n, cap;
	/* the tables, (pointer, length) pairs into the aggregate */
	const char **keys, **ehks;
	size_t *keylens, *ehklens;
	size_t nkeys, nehks, keycap, ehkcap;
};

void kpl_agg_init(struct kpl_agg *a);
void kpl_agg_free(struct kpl_agg *a);
/* 1 when P[0..n) starts with the magic and is long enough to be an aggregate. */
int kpl_is_aggregate(const void *p, size_t n);
/*
 * Split the aggregate P[0..n) into A's records (pointing into P, which
 * must outlive them).  -1 with err when it is corrupt (bad digest, bad
 * protobuf, an index out of its table); A is then empty.
 */
int kpl_deaggregate(const void *p, size_t n, struct kpl_agg *a, struct cs_err *err);
/* Build an aggregate of RECS[0..n) onto OUT (each key and explicit hash key put in the tables once). */
void kpl_aggregate(struct buf *out, const struct kpl_record *recs, size_t n);

/*
 * An aggregate built one user record at a time, its exact size known
 * before a record is added (what --aggregate-max-bytes needs).  The
 * protobuf is written as the KPL's own serializer writes it: the
 * partition key table (field 1), the explicit hash key table (field 2),
 * then the records (field 3), each Record with its partition key index,
 * its explicit hash key index when it has one, and its data; no tags.
 * The keys are copied, the data is not: each record's data must stay as
 * it is until kpl_builder_finish (the aggregate is written out once, from
 * where the data lies, not copied in a second time).
 */
struct kpl_table {
	unsigned field;          /* 1: partition keys, 2: explicit hash keys */
	struct buf enc;          /* the table's fields, encoded (tag, length, bytes) */
	struct kpl_slot *slot;   /* open addressing: string -> index */
	size_t n, cap;
	struct kpl_ent {
		uint32_t off, len;   /* string I's bytes in enc */
	} *ent;
};

struct kpl_builder {
	struct kpl_table keys, ehks;
	struct buf recs;         /* each Record field's start, encoded: all but its data's bytes */
	struct kpl_ref {
		const char *data;    /* borrowed */
		size_t len;
		size_t end;          /* where its start ends in recs */
	} *ref;
	size_t n, cap;           /* records */
	size_t datalen;          /* their data, added up */
};

/* Magic number and digest: what an aggregate weighs beyond its protobuf. */
#define KPL_OVERHEAD (KPL_MAGIC_LEN + KPL_DIGEST_LEN)

void kpl_builder_init(struct kpl_builder *b);
void kpl_builder_reset(struct kpl_builder *b);  /* empty, memory kept */
void kpl_builder_free(struct kpl_builder *b);
/* The bytes the aggregate would have now (KPL_OVERHEAD when empty). */
size_t kpl_builder_size(const struct kpl_builder *b);
/* What adding R would make kpl_builder_size(): exact, nothing added. */
size_t kpl_builder_size_with(const struct kpl_builder *b, const struct kpl_record *r);
void kpl_builder_add(struct kpl_builder *b, const struct kpl_record *r);
/* The aggregate (magic, protobuf, MD5) appended to OUT; B is left as it is. */
void kpl_builder_finish(const struct kpl_builder *b, struct buf *out);
/*
 * The same without the MD5, for a caller that hashes many aggregates at
 * once (md5_many): the offset in OUT where the protobuf starts; the
 * aggregate is whole once the MD5 of OUT[start..len) is appended.
 */
size_t kpl_builder_write(const struct kpl_builder *b, struct buf *out);

#endif
