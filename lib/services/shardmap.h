/*
 * shardmap.h - the open shards of a stream by hash key range: which
 * shard a partition key or an explicit hash key maps to, as Kinesis
 * places records (the MD5 of the partition key as a 128-bit big-endian
 * number, or the explicit hash key, within a shard's HashKeyRange).
 *
 * Loaded with ListShards, blocking (before anything is in flight) or in
 * the background over aws_submit() (when a put lands on a shard the map
 * did not expect: the stream was resharded).
 */
#ifndef CS_SHARDMAP_H
#define CS_SHARDMAP_H

#include <stddef.h>

#include "aws.h"
#include "kinesis.h"
#include "u128.h"

struct shardmap_range {
	u128 lo, hi;
	size_t shard;            /* index in shards */
};

struct shardmap {
	struct kinesis_shard *shards;  /* every shard ListShards gave (closed ones too) */
	size_t nshards;
	struct shardmap_range *r;      /* the open shards, by lo */
	size_t n;
	unsigned long loads;           /* maps taken so far */
	/* a background reload */
	int loading;
	struct aws_client *c;
	char *stream, *token;
	struct kinesis_shard *next;    /* the pages read so far */
	size_t nnext;
	struct buf body;
	struct cs_err err;             /* of the last failed reload */
};

void shardmap_init(struct shardmap *m);
void shardmap_free(struct shardmap *m);
/* Take S[0..n) (ownership too) as the map. */
void shardmap_set(struct shardmap *m, struct kinesis_shard *s, size_t n);
/* ListShards on STREAM, blocking.  -1 with err (the map is left as it was). */
int shardmap_load(struct shardmap *m, struct aws_client *c, const char *stream, struct cs_err *err);
/*
 * Start reading the map again in the background (every page), unless a
 * reload is under way already; M->loading is 1 until it is done (the new
 * map taken) or failed (the old one kept, m->err says why).
 */
void shardmap_reload(struct shardmap *m, struct aws_client *c, const char *stream);

/* The hash key of a partition key: MD5 as a 128-bit number. */
u128 shardmap_key_hash(const char *key, size_t keylen);
/* The same for KEYS[0..n) into OUT[0..n), eight at a time where the CPU allows. */
void shardmap_key_hashes(const char *const *keys, const size_t *lens, size_t n, u128 *out);
/* The shard (an index in m->shards) whose open range holds H, or -1. */
long shardmap_find(const struct shardmap *m, u128 h);
/* The shard named ID (an index in m->shards), or -1. */
long shardmap_by_id(const struct shardmap *m, const char *id);
/* 1 when shard index I's hash key range holds H. */
int shardmap_holds(const struct shardmap *m, size_t i, u128 h);

#endif
