/*
 * putdry.h - cs-put --dry-run: the shard each record would go to, and the
 * text that shows a batch instead of sending it.
 */
#ifndef CS_PUTDRY_H
#define CS_PUTDRY_H

#include <stddef.h>

#include "cs.h"
#include "kinesis.h"
#include "putter.h"

/*
 * The id of the open shard record R goes to (by its explicit hash key when
 * it has one, else by the MD5 of its partition key), or "-" when none does
 * or SHARDS is NULL (the shards are not known).  Borrows everything.
 */
const char *putdry_shard_of(const struct kinesis_shard *shards, size_t nshards,
    const struct put_record *r);

/*
 * Append to B (reset first) batch NO of N records (BYTES in all):
 *   batch NO: N records, BYTES bytes
 *     SOURCE:LINE<tab>SHARD<tab>"KEY"[<tab>EHK]
 * SHARDS as for putdry_shard_of().
 */
void putdry_format_batch(struct buf *b, const struct kinesis_shard *shards, size_t nshards,
    unsigned long no, const struct put_record *const *recs, size_t n, size_t bytes);

#endif
