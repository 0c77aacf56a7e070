/*
 * putdry.c - shard placement and the batch text of cs-put --dry-run (see putdry.h).
 */
#include <string.h>

#include "json.h"
#include "phash.h"
#include "putdry.h"

const char *
putdry_shard_of(const struct kinesis_shard *shards, size_t nshards, const struct put_record *r)
{
	long i = -1;

	if (!shards)
		return "-";
	if (r->ehk) {
		phash_u128 h, lo, hi;
		size_t j;

		if (phash_parse_dec(r->ehk, strlen(r->ehk), &h) == 0)
			for (j = 0; j < nshards && i < 0; j++)
				if (!shards[j].seq_end &&
				    phash_parse_dec(shards[j].hash_start, strlen(shards[j].hash_start), &lo) == 0 &&
				    phash_parse_dec(shards[j].hash_end, strlen(shards[j].hash_end), &hi) == 0 &&
				    h >= lo && h <= hi)
					i = (long)j;
	} else {
		i = kinesis_shard_for_key(shards, nshards, r->key, r->keylen);
	}
	return i < 0 ? "-" : shards[i].id;
}

void
putdry_format_batch(struct buf *b, const struct kinesis_shard *shards, size_t nshards,
    unsigned long no, const struct put_record *const *recs, size_t n, size_t bytes)
{
	size_t i;

	buf_reset(b);
	buf_printf(b, "batch %lu: %zu record%s, %zu bytes\n", no, n, n == 1 ? "" : "s", bytes);
	for (i = 0; i < n; i++) {
		const struct put_record *r = recs[i];

		buf_printf(b, "  %s:%llu\t%s\t", r->source, (unsigned long long)r->line,
		    putdry_shard_of(shards, nshards, r));
		json_escape(b, r->key, r->keylen);
		if (r->ehk)
			buf_printf(b, "\t%s", r->ehk);
		buf_addc(b, '\n');
	}
}
