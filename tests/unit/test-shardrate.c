/*
 * test-shardrate.c - each shard's write allowance: a full second's worth at
 * first, spent by what is sent, refilled with time, a new aggregate waiting
 * for room to fill it, the shards blocked within one build, and the buckets
 * started anew when the map is read again.
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
	is_int(wake - t, SHARDRATE_WAKE_MS, "40,000 bytes come in 39 ms: it waits SHARDRATE_WAKE_MS");
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
	shardrate_free(&sr);
	return done_testing();
}
