/*
 * test-shardrate.c - each shard's write allowance: a full second's worth at
 * first, spent by what is sent, refilled with time, a new aggregate waiting
 * for room to fill it (the first of a build for room for a few), the shards
 * blocked within one build, and the buckets started anew when the map is
 * read again.
 */
#include "shardrate.h"
#include "tap.h"

#define MIB (1024 * 1024)

int
main(void)
{
	struct shardmap m = { 0 };
	struct shardrate sr;
	uint64_t wake = 0, t = 1000000;

	m.nshards = m.n = 2;
	m.loads = 1;
	shardrate_init(&sr, &m, 50000);
	ok(shardrate_allows(&sr, 0, 1, 1000, t, &wake), "a fresh shard allows a record");
	ok(shardrate_allows(&sr, -1, 1, 5 * MIB, t, &wake), "a shard not known is not paced");
	ok(shardrate_allows(&sr, 7, 1, 5 * MIB, t, &wake), "nor one out of the map");
	shardrate_charge(&sr, 0, 1, MIB - 10000, t);
	ok(shardrate_allows(&sr, 0, 0, 10000, t, &wake), "the last bytes of the second go into an aggregate");
	wake = 0;
	ok(!shardrate_allows(&sr, 0, 1, 1000, t, &wake), "a new aggregate waits for room to fill it");
	is_int(wake - t, 182, "the shard's first of a build, for room for SHARDRATE_BATCH: 190,000 bytes in 182 ms");
	ok(shardrate_allows(&sr, 1, 1, 1000, t, &wake), "another shard has its own allowance");
	shardrate_charge(&sr, 0, 0, 10000, t);
	ok(!shardrate_allows(&sr, 0, 0, 10, t, &wake), "spent: not even a byte more");
	ok(!shardrate_allows(&sr, 0, 0, MIB / 2, t, &wake), "nor half a MiB");
	is_int(wake - t, 501, "which comes in 500 ms (and 1)");
	ok(shardrate_allows(&sr, 0, 0, 100000, t + 100, &wake), "100 ms later, 100 KiB is there again");
	ok(shardrate_allows(&sr, 0, 1, 900000, t + 2000, &wake), "full again after a second");
	ok(!shardrate_allows(&sr, 0, 0, 2 * MIB, t + 5000, &wake), "never more than a second's worth");

	m.loads = 2;
	for (int i = 0; i < 1000; i++)
		shardrate_charge(&sr, 1, 1, 1, t);
	ok(!shardrate_allows(&sr, 1, 1, 1, t, &wake), "1,000 records spend a second's records");
	is_int(wake - t, SHARDRATE_WAKE_MS, "and it waits");
	m.loads = 3;
	ok(shardrate_allows(&sr, 1, 1, 1, t, &wake), "a map read again starts the buckets anew");

	shardrate_begin(&sr);
	ok(!shardrate_blocked(&sr, 0) && !shardrate_blocked(&sr, 1), "a build begins with no shard blocked");
	ok(shardrate_block(&sr, 1), "block shard 1");
	ok(!shardrate_block(&sr, 2) && !shardrate_block(&sr, -1), "shards out of the map are not blocked");
	ok(shardrate_blocked(&sr, 1) && !shardrate_blocked(&sr, 0), "shard 1 only");
	shardrate_begin(&sr);
	ok(!shardrate_blocked(&sr, 1), "the next build forgets it");

	/* a shard's first aggregate of a build waits for room for a few, the next ones for one each */
	m.loads = 4;
	shardrate_begin(&sr);
	ok(!shardrate_started(&sr, 1), "a build begins with no shard started");
	ok(shardrate_allows(&sr, 1, 1, 1000, t, &wake), "a shard with room sends at once");
	shardrate_charge(&sr, 1, 1, 900000, t);
	ok(shardrate_started(&sr, 1) && !shardrate_started(&sr, 0), "shard 1 started");
	ok(shardrate_allows(&sr, 1, 1, 1000, t, &wake), "148,576 bytes left: room for one more this build");
	shardrate_begin(&sr);
	ok(!shardrate_started(&sr, 1), "the next build forgets it");
	wake = 0;
	ok(!shardrate_allows(&sr, 1, 1, 1000, t, &wake), "the next build's first waits for room for 4");
	is_int(wake - t, SHARDRATE_WAKE_MS, "51,424 bytes come in 49 ms: it waits SHARDRATE_WAKE_MS");
	ok(shardrate_allows(&sr, 1, 0, 1000, t, &wake), "bytes added to an aggregate of the build do not wait");
	shardrate_free(&sr);

	/* aggregates of a MiB: the first of a build waits for a second's worth, no more */
	m.loads = 5;
	shardrate_init(&sr, &m, MIB);
	shardrate_begin(&sr);
	ok(shardrate_allows(&sr, 0, 1, 1000, t, &wake), "a full bucket holds the batch of 1 MiB aggregates");
	shardrate_free(&sr);
	return done_testing();
}
