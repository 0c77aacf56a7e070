/* shardrate.c - each shard's write allowance, as token buckets (see shardrate.h). */
#include <stdlib.h>
#include <string.h>

#include "shardrate.h"

/* Kinesis's write limits per shard (PutRecords beyond them is throttled) */
#define SHARD_BYTES_PER_S (1024.0 * 1024.0)
#define SHARD_RECORDS_PER_S 1000.0

void
shardrate_init(struct shardrate *sr, const struct shardmap *map, size_t fill)
{
	memset(sr, 0, sizeof *sr);
	sr->map = map;
	sr->fill = fill;
}

void
shardrate_free(struct shardrate *sr)
{
	free(sr->b);
	free(sr->blocked);
	free(sr->started);
	memset(sr, 0, sizeof *sr);
}

/* Shard S's bucket at NOW, NULL when not known (no map, or a shard not in it). */
static struct shardrate_bucket *
bucket(struct shardrate *sr, long s, uint64_t now)
{
	const struct shardmap *m = sr->map;
	struct shardrate_bucket *r;
	double dt;

	if (s < 0 || !m)
		return NULL;
	if (sr->loads != m->loads || sr->nb < m->nshards) {
		free(sr->b);
		sr->nb = m->nshards;
		sr->b = cs_calloc(sr->nb + 1, sizeof *sr->b);
		sr->loads = m->loads;
	}
	if ((size_t)s >= sr->nb)
		return NULL;
	r = &sr->b[s];
	if (!r->ms) {
		r->bytes = SHARD_BYTES_PER_S;
		r->recs = SHARD_RECORDS_PER_S;
	} else if (now > r->ms) {
		dt = (double)(now - r->ms) / 1000.0;
		r->bytes = r->bytes + dt * SHARD_BYTES_PER_S;
		if (r->bytes > SHARD_BYTES_PER_S)
			r->bytes = SHARD_BYTES_PER_S;
		r->recs = r->recs + dt * SHARD_RECORDS_PER_S;
		if (r->recs > SHARD_RECORDS_PER_S)
			r->recs = SHARD_RECORDS_PER_S;
	}
	r->ms = now;
	return r;
}

int
shardrate_allows(struct shardrate *sr, long s, int entry, size_t bytes, uint64_t now,
    uint64_t *wake)
{
	struct shardrate_bucket *r = bucket(sr, s, now);
	double need_b, need_r, ms, want = (double)bytes;

	if (entry && want < (double)sr->fill)
		want = (double)sr->fill;
	/* the shard's first new one of the build: room for a few */
	if (entry && !shardrate_started(sr, s)) {
		double batch = (double)sr->fill * SHARDRATE_BATCH;

		if (batch > SHARD_BYTES_PER_S)
			batch = SHARD_BYTES_PER_S;
		if (want < batch)
			want = batch;
	}
	if (!r || (want <= r->bytes && (!entry || r->recs >= 1.0)))
		return 1;
	need_b = want > r->bytes ? (want - r->bytes) / SHARD_BYTES_PER_S : 0;
	need_r = entry && r->recs < 1.0 ? (1.0 - r->recs) / SHARD_RECORDS_PER_S : 0;
	ms = 1000.0 * (need_b > need_r ? need_b : need_r) + 1;
	if (ms < SHARDRATE_WAKE_MS)
		ms = SHARDRATE_WAKE_MS;
	*wake = now + (uint64_t)ms;
	return 0;
}

void
shardrate_charge(struct shardrate *sr, long s, int entry, size_t bytes, uint64_t now)
{
	struct shardrate_bucket *r = bucket(sr, s, now);

	if (!r)
		return;
	r->bytes -= (double)bytes;
	if (entry)
		r->recs -= 1.0;
	if (entry && (size_t)s < sr->nblocked)
		sr->started[s] = sr->gen;
}

void
shardrate_begin(struct shardrate *sr)
{
	if (sr->nblocked < sr->map->nshards) {
		free(sr->blocked);
		free(sr->started);
		sr->nblocked = sr->map->nshards;
		sr->blocked = cs_calloc(sr->nblocked, sizeof *sr->blocked);
		sr->started = cs_calloc(sr->nblocked, sizeof *sr->started);
	}
	sr->gen++;
}

int
shardrate_started(const struct shardrate *sr, long s)
{
	return s >= 0 && (size_t)s < sr->nblocked && sr->started[s] == sr->gen;
}

int
shardrate_blocked(const struct shardrate *sr, long s)
{
	return s >= 0 && (size_t)s < sr->nblocked && sr->blocked[s] == sr->gen;
}

int
shardrate_block(struct shardrate *sr, long s)
{
	if (s < 0 || (size_t)s >= sr->nblocked)
		return 0;
	sr->blocked[s] = sr->gen;
	return 1;
}
