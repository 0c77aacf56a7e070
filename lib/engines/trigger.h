/*
 * trigger.h - cs-tail --exec's batching, the way a Lambda trigger does it:
 * the records of each shard are queued, cut into batches of batch_size
 * (or fewer once batch_window ms have passed since the oldest of them
 * came, or at the shard's end), and handed to the batch runner
 * (lib/batchexec.h) one batch per shard at a time, so each shard's
 * batches run in order while shards run in parallel.
 *
 * It pushes back on the shard reader: a shard is held (SR_HOLD) once a
 * whole batch waits behind the running one, and at its end until its last
 * batch is done; it is released (sr_release) when its queue is low again.
 *
 * It is the shard reader's consumer (tg_records is an sr_records_fn):
 * each record is formatted as cs-tail's output lines (lib/tailfmt.h) and
 * queued; the caller only wires reader, trigger and runner together.
 *
 * When a batch is done, done() is told the last sequence number of it
 * that a checkpoint may move to (the last Kinesis record of it not left
 * undone, and the sub-sequence number of its last user record done when
 * the batch ends inside a KPL aggregate, -1 otherwise); when a closed shard's last batch is done, end() is called
 * (the checkpoint may mark the shard finished).
 */
#ifndef CS_TRIGGER_H
#define CS_TRIGGER_H

#include <stddef.h>

#include "batchexec.h"
#include "shardreader.h"
#include "tailfmt.h"

/*
 * B done (delivered, or its failures written; or abandoned by a shutdown,
 * B->abandoned set).  LAST: the sequence number a checkpoint may move to,
 * or NULL (always NULL for an abandoned batch).  B is freed after.
 */
typedef void (*tg_done_fn)(void *ctx, const struct bx_batch *b, const char *last,
    long last_subseq);
/* Every record of the closed shard SHARD is done. */
typedef void (*tg_end_fn)(void *ctx, const char *shard);
/* A record that could not be formatted as it should (it was queued as it is): MSG, one line. */
typedef void (*tg_warn_fn)(void *ctx, const char *msg);

struct tg_config {
	unsigned batch_size;       /* records per batch (>= 1) */
	unsigned batch_window;     /* ms to wait to fill a batch (0: none) */
	const char *stream;        /* for the output lines (tailfmt) */
	int envelope;              /* -J: every record as its envelope */
	struct bx_runner *bx;      /* borrowed */
	tg_done_fn done;
	tg_end_fn end;
	tg_warn_fn warn;
	void *ctx;
};

struct trigger;

struct trigger *tg_new(const struct tg_config *cfg);
void tg_free(struct trigger *tg);
/*
 * The reader whose shards are held and released (borrowed; set once the
 * reader exists, since the reader is created with tg_records as its
 * consumer).  Without a reader nothing is released (for tests).
 */
void tg_set_reader(struct trigger *tg, struct shardreader *sr);
/* The same for another reader with the same consumer interface (fanout.h). */
void tg_set_releaser(struct trigger *tg, void (*rel)(void *rctx, const char *shard),
    void *rctx);

/* The shard reader's consumer: an answer's records, formatted and queued (CTX: the trigger). */
enum sr_verdict tg_records(void *ctx, const char *shard, struct kinesis_records *rs, int at_end);

/*
 * The same by lines: tg_begin(), then tg_add() for each line, then
 * tg_end(), whose verdict is the one for the shard reader.
 */
void tg_begin(struct trigger *tg, const char *shard);
/* Queue LINE[0..len) (its newline included) of record SEQ; LAST_PIECE: the record's last line. */
void tg_add(struct trigger *tg, const char *line, size_t len, const char *seq, long subseq,
    int last_piece);
/* AT_END: the shard is closed and that was its last answer. */
enum sr_verdict tg_end(struct trigger *tg, int at_end);

/* Records copied from the queues into batches so far: each record once (a cut costs what it takes). */
unsigned long long tg_copied(const struct trigger *tg);
/* Start the batches that are due; the ms until the first batch window ends, or -1. */
int tg_tick(struct trigger *tg);
/*
 * Shared reading: SHARD is not ours any more (its lease was lost).  Its
 * queued records are dropped and its batch with the runner is cancelled
 * (killed when running, bx_cancel); done() gets no sequence number for it
 * (the next owner reads it again).
 */
void tg_drop(struct trigger *tg, const char *shard);
/* Shutdown: no batch is started any more (the queues stay as they are). */
void tg_stop(struct trigger *tg);

#endif
