/*
 * batchqueue.h - the per-shard batch queue of cs-tail --exec, batching the
 * way a Lambda trigger does:
 * the records of each shard are queued, cut into batches of batch_size
 * (or fewer once batch_window ms have passed since the oldest of them
 * came, or at the shard's end), and handed to the batch runner
 * (lib/batchexec.h) one batch per shard at a time, so each shard's
 * batches run in order while shards run in parallel.
 *
 * With lanes > 1 (Lambda's ParallelizationFactor) each shard's records
 * are routed by the hash of their partition key to one of that many
 * lanes, each batched on its own: up to that many batches of a shard run
 * at once, and the records of one key stay in order.  The checkpoint then
 * moves only past records that are done, and every record before them.
 *
 * It pushes back on the shard reader: a shard is held (SHARDREADER_HOLD) once a
 * whole batch waits behind the running one, and at its end until its last
 * batch is done; it is released (shardreader_release) when its queue is low again.
 *
 * It is the shard reader's consumer (batchqueue_records is a shardreader_records_fn):
 * each record is formatted as cs-tail's output lines (lib/tailfmt.h), or
 * as one record of Lambda's event (lib/lambda.h), and queued; the caller
 * only wires reader, trigger and runner together.
 *
 * As records are done (delivered, or written to the on-failure output),
 * checkpoint() is told the last sequence number a checkpoint may move to:
 * the last Kinesis record done with every record before it, and the
 * sub-sequence number of its last user record done when that is inside a
 * KPL aggregate, -1 otherwise.  When a batch is done, done() is told (for
 * counting); when a closed shard's last record is done, end() is called
 * (the checkpoint may mark the shard finished).
 */
#ifndef CS_BATCHQUEUE_H
#define CS_BATCHQUEUE_H

#include <stddef.h>

#include "batchexec.h"
#include "lambda.h"
#include "shardreader.h"
#include "tailfmt.h"

/*
 * B done (delivered, or its failures written; or abandoned by a shutdown,
 * B->abandoned set).  B is freed after.
 */
typedef void (*batchqueue_done_fn)(void *ctx, const struct batchexec_batch *b);
/* The checkpoint of SHARD may move to SEQ (inside it, after user record SUBSEQ, when >= 0). */
typedef void (*batchqueue_checkpoint_fn)(void *ctx, const char *shard, const char *seq, long subseq);
/* Every record of the closed shard SHARD is done. */
typedef void (*batchqueue_end_fn)(void *ctx, const char *shard);
/* A record that could not be formatted as it should (it was queued as it is): MSG, one line. */
typedef void (*batchqueue_warn_fn)(void *ctx, const char *msg);

struct batchqueue_config {
	unsigned batch_size;       /* records per batch (>= 1) */
	unsigned batch_window;     /* ms to wait to fill a batch (0: none) */
	const char *stream;        /* for the output lines (tailfmt) */
	int envelope;              /* -J: every record as its envelope */
	struct batchexec_runner *bx;      /* borrowed */
	batchqueue_done_fn done;
	batchqueue_end_fn end;
	batchqueue_warn_fn warn;
	void *ctx;
	batchqueue_checkpoint_fn checkpoint;
	unsigned lanes;            /* batches of one shard at once, by key (0: 1) */
	const struct lambda_source *lambda;   /* NULL: NDJSON lines; else Lambda's event records */
};

struct batchqueue;

struct batchqueue *batchqueue_new(const struct batchqueue_config *cfg);
void batchqueue_free(struct batchqueue *tg);
/*
 * The reader whose shards are held and released (borrowed; set once the
 * reader exists, since the reader is created with batchqueue_records as its
 * consumer).  Without a reader nothing is released (for tests).
 */
void batchqueue_set_reader(struct batchqueue *tg, struct shardreader *sr);
/* The same for another reader with the same consumer interface (fanout.h). */
void batchqueue_set_releaser(struct batchqueue *tg, void (*rel)(void *rctx, const char *shard),
    void *rctx);

/* The shard reader's consumer: an answer's records, formatted and queued (CTX: the batch queue). */
enum shardreader_verdict batchqueue_records(void *ctx, const char *shard, struct kinesis_records *rs, int at_end);

/*
 * The same by lines: batchqueue_begin(), then batchqueue_add() for each line, then
 * batchqueue_end(), whose verdict is the one for the shard reader.
 */
void batchqueue_begin(struct batchqueue *tg, const char *shard);
/* Queue LINE[0..len) (its newline included) of record SEQ; LAST_PIECE: the record's last line. */
void batchqueue_add(struct batchqueue *tg, const char *line, size_t len, const char *seq, long subseq,
    int last_piece);
/* The lane (0..lanes-1) the records of partition key KEY[0..n) go to. */
unsigned batchqueue_lane_of(const char *key, size_t n, unsigned lanes);
/* AT_END: the shard is closed and that was its last answer. */
enum shardreader_verdict batchqueue_end(struct batchqueue *tg, int at_end);

/* Records copied from the queues into batches so far: each record once (a cut costs what it takes). */
unsigned long long batchqueue_copied(const struct batchqueue *tg);
/* Start the batches that are due; the ms until the first batch window ends, or -1. */
int batchqueue_tick(struct batchqueue *tg);
/*
 * Shared reading: SHARD is not ours any more (its lease was lost).  Its
 * queued records are dropped and forgotten; its batches with the runner
 * are cancelled (killed when running, batchexec_cancel) and move no checkpoint
 * (the next owner reads them again).
 */
void batchqueue_drop(struct batchqueue *tg, const char *shard);
/* Shutdown: no batch is started any more (the queues stay as they are). */
void batchqueue_stop(struct batchqueue *tg);

#endif
