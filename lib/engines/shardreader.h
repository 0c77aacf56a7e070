/*
 * shardreader.h - read every shard of a Kinesis stream, the way a
 * consumer must: one state machine per shard, GetRecords for several
 * shards in flight (aws_submit), at most one GetRecords per shard per
 * min_interval_ms (the service allows 5 per second), parents read to
 * their end before their children start (so each partition key's order
 * holds), shards re-listed while following, expired iterators renewed
 * after the last record read.
 *
 * The reader hands the records of each GetRecords answer to a callback;
 * the callback may hold the shard (SHARDREADER_HOLD: no more reads on it until
 * shardreader_release()), which is how a slow consumer (cs-tail --exec) pushes back
 * and how a shard's end waits until its last records are handled.
 *
 * Driven by the caller's loop: shardreader_step() starts what is due and returns
 * how long the caller may wait in aws_run() before calling it again.
 */
#ifndef CS_SHARDREADER_H
#define CS_SHARDREADER_H

#include <stddef.h>
#include <stdint.h>

#include "aws.h"
#include "checkpoint.h"
#include "kinesis.h"

enum shardreader_verdict {
	SHARDREADER_CONTINUE = 0,   /* records handled: read on */
	SHARDREADER_HOLD = 1,       /* keep the shard still until shardreader_release() */
};

/*
 * Records of shard SHARD (RS->n may be 0).  AT_END: the shard is closed
 * and this was its last answer; once the callback has returned
 * SHARDREADER_CONTINUE (or the shard was released), the shard is finished and its
 * children may start.
 */
typedef enum shardreader_verdict (*shardreader_records_fn)(void *ctx, const char *shard,
    struct kinesis_records *rs, int at_end);

struct shardreader_config {
	const char *stream;
	/* where shards without a checkpoint start: trim horizon, latest, a time, a sequence number */
	struct kinesis_position start;
	const char *const *shards;   /* only these shards (NULL: all) */
	size_t nshards;
	int64_t until_ms;            /* stop a shard at its first record that arrived after (0: none) */
	int exit_at_end;             /* -e: stop once every shard is caught up */
	unsigned limit;              /* GetRecords Limit (0: the service's default) */
	unsigned min_interval_ms;    /* between two GetRecords of one shard (200) */
	unsigned relist_ms;          /* re-list shards while following (10000) */
	const struct checkpoint *ck; /* positions to resume from (may be NULL); only read */
	int verbose;
	shardreader_records_fn on_records;
	void *ctx;
	/*
	 * Shared reading (a lease table): a shard is read only while
	 * may_read() says so; one that it stops allowing is dropped at once
	 * (its answers in flight discarded, its iterator forgotten) and read
	 * again from its checkpoint entry when allowed again.  A parent with
	 * no checkpoint entry (no lease) counts as done.  Checkpoint entries
	 * with resume_at start AT their sequence number, that record skipped
	 * unless it is a KPL aggregate.  NULL: every shard is read.
	 */
	int (*may_read)(void *ctx, const char *shard);
	/* Every listing of the stream, before it is merged (e.g. for the lease table's shard sync). */
	void (*on_shards)(void *ctx, const struct kinesis_shard *ks, size_t n);
	void *gate_ctx;
};

struct shardreader;

/*
 * A reader over C (async GetShardIterator/GetRecords) and LC (blocking
 * ListShards; a second client, so a blocking call never runs C's
 * callbacks).  Lists the shards once: -1 with err when that fails (the
 * stream does not exist, ...).  Unknown --shards are an error too.
 */
struct shardreader *shardreader_new(struct aws_client *c, struct aws_client *lc,
    const struct shardreader_config *cfg, struct cs_err *err);
void shardreader_free(struct shardreader *r);
/*
 * Start the reads and iterator requests that are due.  Returns the ms
 * until something is next due (for aws_run's timeout), or -1 when
 * nothing is left to do (every shard finished, stopped or caught up with
 * -e) and nothing is in flight.  -1 with *FATAL set and err filled on an
 * error that stops the run.
 */
int shardreader_step(struct shardreader *r, int *fatal, struct cs_err *err);
/* Let a held shard read on. */
void shardreader_release(struct shardreader *r, const char *shard);
/* Stop reading: no new requests; shardreader_step returns -1 once nothing is in flight. */
void shardreader_stop(struct shardreader *r);
/*
 * How far behind a shard is (shardtable_lag).  MILLIS_BEHIND is the last
 * answer's MillisBehindLatest (-1 before an answer, or when the service gave
 * none); LAST_ARRIVAL_MS the approximate arrival (unix ms) of the last record
 * handed on (0: none yet).
 */
struct shardreader_lag {
	const char *shard;
	int64_t millis_behind;
	int64_t last_arrival_ms;
	int active;           /* being read: not finished, before or in this run, and ours to read */
};
/*
 * The reader's shards (shardtable.h): their lag, how many, the records
 * handed on; shardtable_drop() for shared reading (see may_read).
 */
struct shardtable *shardreader_shards(struct shardreader *r);

#endif
