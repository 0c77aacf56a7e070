/*
 * shards4.h - a shard map for the unit tests: four open shards splitting
 * the hash key space evenly (indexes 1 to 4), and their closed parent
 * (index 0), as a split of a split leaves a stream.
 */
#ifndef CS_TEST_SHARDS4_H
#define CS_TEST_SHARDS4_H

#include <stdio.h>

#include "cs.h"
#include "shardmap.h"

static void
four_shards(struct shardmap *m)
{
	static const char *ranges[5][2] = {
		{ "0", "340282366920938463463374607431768211455" },  /* the closed parent */
		{ "0", "85070591730234615865843651857942052863" },
		{ "85070591730234615865843651857942052864", "170141183460469231731687303715884105727" },
		{ "170141183460469231731687303715884105728", "255211775190703847597530955573826158591" },
		{ "255211775190703847597530955573826158592", "340282366920938463463374607431768211455" },
	};
	struct kinesis_shard *s = cs_calloc(5, sizeof *s);
	size_t i;

	for (i = 0; i < 5; i++) {
		char id[32];

		snprintf(id, sizeof id, "shardId-%012zu", i);
		s[i].id = cs_strdup(id);
		s[i].hash_start = cs_strdup(ranges[i][0]);
		s[i].hash_end = cs_strdup(ranges[i][1]);
		s[i].seq_start = cs_strdup("1");
		if (i == 0)
			s[i].seq_end = cs_strdup("2");
	}
	shardmap_set(m, s, 5);
}

#endif
