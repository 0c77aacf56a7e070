/*
 * putdry.c - shard placement and the batch text of cs-put --dry-run (see putdry.h).
 */
#include "json.h"
#include "putdry.h"

const char *
putdry_shard_of(const struct kinesis_shard *shards, size_t nshards, const struct put_record *r)
{
	long i;

	if (!shards)
		return "-";
	i = r->ehk ? kinesis_shard_for_hash(shards, nshards, r->ehk) :
	    kinesis_shard_for_key(shards, nshards, r->key, r->keylen);
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
