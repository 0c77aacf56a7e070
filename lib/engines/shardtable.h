/*
 * shardtable.h - the shards of a stream as a reader of it keeps them, the
 * part the polling reader (shardreader.c) and the fan-out reader
 * (fanout.c) share: the shard list (listed at start, each re-listing
 * merged in), parents read to their end before their children, where a
 * shard starts (its checkpoint, else --from, --shards), shared reading's
 * may_read() gate, what an answer's records become before the consumer
 * has them (the checkpointed record skipped, --until's cut), what the
 * shard does after (finished, held, caught up, stopped), and how far
 * behind each shard is.
 *
 * A reader keeps its own state for a shard (an iterator; a subscription)
 * in a struct that begins with struct shard: the table allocates
 * ops->shard_size bytes, zeroed, for each shard it learns of.
 */
#ifndef CS_SHARDTABLE_H
#define CS_SHARDTABLE_H

#include <stddef.h>
#include <stdint.h>

#include "shardreader.h"

enum shard_state {
	SHARD_WAIT_PARENTS,   /* a parent is not finished yet */
	SHARD_READY,          /* to start at next_due: an iterator (polling), a subscription (fan-out) */
	SHARD_STARTING,       /* polling: its GetShardIterator in flight */
	SHARD_IDLE,           /* polling: has an iterator, waits for its next read */
	SHARD_READING,        /* polling: its GetRecords in flight; fan-out: subscribed */
	SHARD_HELD,           /* the consumer holds it */
	SHARD_HELD_END,       /* held, and its last records were delivered */
	SHARD_CAUGHTUP,       /* -e: nothing more for now */
	SHARD_STOPPED,        /* --until reached, or the reader stopped */
	SHARD_FINISHED,       /* read to its end */
	SHARD_SKIPPED,        /* finished before this run (checkpoint), or closed at start with --from latest */
	SHARD_UNOWNED,        /* shared reading: not ours to read now (no lease) */
};

struct shard {
	char *id, *parent, *adj;
	int closed;
	int known_at_start;
	enum shard_state st;
	struct kinesis_position pos;  /* where reading starts (the first iterator or subscription) */
	char *pos_seq;                /* owned copy for pos.seq */
	char *skip_seq;               /* resume_at: drop this record when it comes first (not an aggregate) */
	long skip_subseq;             /* >= 0: resumed inside the aggregate at pos_seq (checkpoint) */
	uint64_t next_due;
	int64_t millis_behind;        /* of the last answer, -1 before one (or when absent) */
	int64_t last_arrival_ms;      /* approximate arrival of the last record handed on, 0 before one */
	struct kinesis_records rs;    /* the answer being handled */
};

struct shardtable_ops {
	size_t shard_size;                  /* the reader's struct, beginning with struct shard */
	void (*drop)(struct shard *s);      /* shared reading: S is no longer ours (state SHARD_UNOWNED) */
	void (*free)(struct shard *s);      /* free the reader's part of S (the table frees the rest) */
};

struct shardtable {
	struct shardreader_config cfg;
	struct shardtable_ops ops;
	struct shard **s;             /* in the order they were listed */
	size_t n, cap;
	int listed_once;
	uint64_t relist_due;
	int stopping;
	int fatal;
	struct cs_err fatal_err;
	unsigned long long records;   /* handed on */
};

/*
 * Fill T from CFG (relist_ms defaulted) and list the shards once, a
 * blocking ListShards on LC: -1 with err when that fails (the stream does
 * not exist, ...) or --shards names a shard that is not there (code
 * NoSuchShard).  T is to be freed with shardtable_free() either way.
 */
int shardtable_init(struct shardtable *t, struct aws_client *lc, const struct shardreader_config *cfg,
    const struct shardtable_ops *ops, struct cs_err *err);
void shardtable_free(struct shardtable *t);
struct shard *shardtable_find(const struct shardtable *t, const char *id);

/* A whole listing of the stream: the shards new to us added, the next listing due after relist_ms. */
void shardtable_listed(struct shardtable *t, const struct kinesis_shard *ks, size_t n);
/* List again now, blocking, on LC: -1 with err (for shardtable_list_failed). */
int shardtable_relist(struct shardtable *t, struct aws_client *lc, struct cs_err *err);
/* A listing failed with E: fatal when the stream is gone, else tried again in a second. */
void shardtable_list_failed(struct shardtable *t, const struct cs_err *e);
/* The first error that stops the run: "OP on 'stream/shard': E". */
void shardtable_fail(struct shardtable *t, const char *op, const struct shard *s, const struct cs_err *e);
/* When the run is to stop on an error: -1 with *FATAL and ERR set; else 0. */
int shardtable_fatal(const struct shardtable *t, int *fatal, struct cs_err *err);

/* Being read (or about to be): ready, reading, or held by the consumer. */
int shardtable_active(enum shard_state st);
/*
 * Shared reading: take up the shards may_read() allows now, drop (ops->drop)
 * those it no longer allows.  1 when reading is shared (it ends only on a
 * stop), 0 without may_read.
 */
int shardtable_gate(struct shardtable *t);
/* Shared reading: S, unless may_read() still allows it, is dropped: 0 then. */
int shardtable_ours(struct shardtable *t, struct shard *s);
/* Shared reading: SHARD is ours now; the list is taken again at once when SHARD is new to it. */
void shardtable_taken(struct shardtable *t, const char *shard);
/* Shared reading: drop SHARD at once if it is waiting or being read (see may_read). */
void shardtable_drop(struct shardtable *t, const char *shard);
/* The shards whose parents are done: where each starts is chosen, SHARD_READY due at NOW. */
void shardtable_start_ready(struct shardtable *t, uint64_t now);
/* S was read to its end: its children may start, and may be new to us. */
void shardtable_finished(struct shardtable *t, struct shard *s);

/*
 * S->rs holds an answer (or event) just parsed: leave out what the
 * checkpoint already had (in the first records delivered since S started:
 * the checkpoint's record, or the user records of its aggregate handled),
 * cut at --until (*UNTIL_HIT), count what is left.  Returns how many
 * records came before the cut.
 */
size_t shardtable_take(struct shardtable *t, struct shard *s, int *until_hit);
/*
 * Hand S->rs to the consumer (when it has records, or AT_END: the shard's
 * last answer) and return what S becomes: SHARD_STOPPED (--until reached
 * or past), SHARD_FINISHED or SHARD_HELD_END (at its end: the reader calls
 * shardtable_finished() for the first), SHARD_CAUGHTUP (-e), SHARD_HELD
 * (the consumer holds it), or SHARD_READING: read on.  RAW as
 * shardtable_take() returned it.
 */
enum shard_state shardtable_hand_on(struct shardtable *t, struct shard *s, int until_hit, int at_end,
    size_t raw);

int shardtable_lag(const struct shardtable *t, size_t i, struct shardreader_lag *lag);

#endif
