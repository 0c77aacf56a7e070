/*
 * shardrate.h - each shard's write allowance, for cs-put --aggregate: a
 * token bucket per shard of a shardmap holding one second's worth of
 * Kinesis's write limits (1 MiB and 1,000 records a second).  Aggregating,
 * cs-put paces each shard as the KPL does: what it sends beyond the limits
 * would only come back throttled, and the backoff of the retries would
 * leave the shard idle.
 *
 * A shard found out of allowance while a request is built is marked
 * blocked until the next build: its later records wait too, unlooked at.
 */
#ifndef CS_SHARDRATE_H
#define CS_SHARDRATE_H

#include <stddef.h>
#include <stdint.h>

#include "shardmap.h"

struct shardrate {
	const struct shardmap *map;  /* borrowed; the buckets start anew when it is read again */
	size_t fill;                 /* bytes a new Kinesis record waits for room for */
	struct shardrate_bucket {
		double bytes, recs;
		uint64_t ms;
	} *b;
	size_t nb;
	unsigned long loads;         /* the map's loads the buckets are of */
	unsigned long *blocked;      /* blocked[s] == gen: shard s out of allowance this build */
	unsigned long *started;      /* started[s] == gen: a Kinesis record for shard s this build */
	size_t nblocked;
	unsigned long gen;
};

/*
 * MAP: the shards; FILL: the bytes a new Kinesis record (an aggregate)
 * waits for room for, so that aggregates of a few records do not cost units.
 */
void shardrate_init(struct shardrate *sr, const struct shardmap *map, size_t fill);
void shardrate_free(struct shardrate *sr);

/*
 * 0 when sending BYTES more (and one more Kinesis record when ENTRY) to
 * shard S (its index in the map; <0: not known, always allowed) at NOW
 * would go past its write limits: *WAKE is then when it would not (not
 * sooner than SHARDRATE_WAKE_MS, so that the shards' aggregates share
 * requests).  A new Kinesis record waits for room to fill it (FILL); the
 * shard's first of a build for room for SHARDRATE_BATCH of them (at most
 * a second's worth): a shard at its limit sends a few aggregates about
 * every SHARDRATE_BATCH * 50 ms, not one each time room for one comes
 * back (a request of four aggregates a quarter as often: less work for
 * each, and their MD5s taken eight at once), and a shard with room sends
 * at once, as before.
 */
#define SHARDRATE_WAKE_MS 100
#define SHARDRATE_BATCH 4
int shardrate_allows(struct shardrate *sr, long s, int entry, size_t bytes, uint64_t now,
    uint64_t *wake);
/* Take what was sent to shard S from its allowance. */
void shardrate_charge(struct shardrate *sr, long s, int entry, size_t bytes, uint64_t now);

/* A new request is built: no shard is blocked. */
void shardrate_begin(struct shardrate *sr);
/* 1 when a Kinesis record for shard S was charged in this build. */
int shardrate_started(const struct shardrate *sr, long s);
/* 1 when shard S was blocked in this build. */
int shardrate_blocked(const struct shardrate *sr, long s);
/* Block shard S for the rest of this build: 1, or 0 when S is not one of the map's. */
int shardrate_block(struct shardrate *sr, long s);

#endif
