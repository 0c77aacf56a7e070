/*
 * batchexec.h - the --exec runner: a batch of NDJSON records on the
 * standard input of `SHELL -o pipefail -c CMD`, retried, optionally
 * bisected, and when nothing helps written to the on-failure file, so one
 * bad record never stalls its shard.
 *
 * The shell and the process of each run are handler.h's: bash (on PATH,
 * else /bin/bash) or the one given, with pipefail, so a failure of any
 * stage of a pipeline fails the batch (`sh -c` would only see the last
 * stage, and records would be lost silently).  A shell that has no
 * pipefail (dash) is run as `SHELL -c CMD`, and batchexec_shell() says
 * so, for the caller to warn.
 *
 * Each run is a child in a process group of its own, under a small guard
 * process that dies with us and then kills the whole group: a SIGKILL of
 * the tool leaves no command running.  The batch is
 * given as a sealed in-memory file (memfd), so a command that dies half
 * way changes nothing.  The command gets CS_STREAM, CS_SHARD_ID,
 * CS_FIRST_SEQUENCE, CS_LAST_SEQUENCE, CS_BATCH_SIZE and CS_ATTEMPT in
 * its environment.
 *
 * A failed run (exit status not 0, or killed by a signal) is retried
 * after a backoff up to max_retries times; with bisect, a failed batch
 * of more than one record is first split in halves, each run on its own
 * (left first), down to the record that fails.
 *
 * As Lambda's trigger (lib/lambda.h): with event, the items are the
 * records of Lambda's Kinesis event and the command is given
 * {"Records":[...]}; with report, the command's standard output is its
 * answer (ReportBatchItemFailures): the items before the lowest sequence
 * number it reports are done, the rest is retried (with bisect, the
 * reported record alone first, then the ones after it); an answer that
 * does not parse fails the run.  With max_age_s, the records at the head
 * of a range that arrived longer ago than that are written to the
 * on-failure output unrun ("RecordAgeExceeded") before each run.  Each
 * on-failure line carries Lambda's description of the batch.
 */
#ifndef CS_BATCHEXEC_H
#define CS_BATCHEXEC_H

#include <stddef.h>
#include <stdint.h>

#include "cs.h"

struct batchexec_item {
	size_t off, len;   /* the line in lines, its newline included */
	char *seq;         /* the record's sequence number */
	long subseq;       /* a user record of a KPL aggregate but its last: its index; else -1 */
	int ck_ok;         /* the last piece of a Kinesis record (a checkpoint may stop after it;
	                      after another piece of an aggregate, with its SUBSEQ) */
	int64_t arrival_ms; /* its approximate arrival time, unix ms (0: not known) */
	uint64_t tag;      /* the caller's, copied along */
};

struct batchexec_batch {
	char *shard;
	struct buf lines;
	struct batchexec_item *it;
	size_t n, cap;
	uint64_t started_ms; /* monotonic: when its first run started (0: never ran) */
	/* when done */
	size_t failed;     /* records written to the on-failure output */
	int abandoned;     /* stopped before it was done (shutdown) */
};

void batchexec_batch_init(struct batchexec_batch *b, const char *shard);
void batchexec_batch_free(struct batchexec_batch *b);
/*
 * Append one record: LINE (with its newline), its sequence number and
 * sub-sequence number.  The new item (arrival_ms, tag 0).
 */
struct batchexec_item *batchexec_batch_add(struct batchexec_batch *b, const char *line, size_t len, const char *seq,
    long subseq, int ck_ok);
/* Append item I of batch FROM to B, all of it. */
void batchexec_batch_copy(struct batchexec_batch *b, const struct batchexec_batch *from, size_t i);

struct batchexec_config {
	const char *cmd;
	const char *stream;
	unsigned parallel;        /* runs at once (>= 1) */
	unsigned max_retries;     /* retries of a failing run */
	int bisect;
	unsigned backoff_ms;      /* first wait before a retry, doubled each time (capped at 30 s) */
	const char *on_failure;   /* file (appended to), or NULL: the failure line to FAILURE_LOG */
	struct cs_log failure_log; /* without ON_FAILURE: each failure line (the tool writes it on stderr) */
	const char *shell;        /* the shell (a path, or a name looked up on PATH); NULL: bash, else /bin/sh */
	int event;                /* items are Lambda event records, given as {"Records":[...]} */
	int report;               /* the command's stdout is a ReportBatchItemFailures answer */
	unsigned max_age_s;       /* older records go to on-failure unrun (0: no limit) */
	const char *stream_arn;   /* for the on-failure lines (NULL: left out) */
};

/* Called when a batch is done: delivered, or its failures written.  The runner no longer uses B. */
typedef void (*batchexec_done_fn)(void *ctx, struct batchexec_batch *b);
/* Items [LO, HI) of B are done (delivered, or written to the on-failure output), before the batch is. */
typedef void (*batchexec_progress_fn)(void *ctx, struct batchexec_batch *b, size_t lo, size_t hi);

struct batchexec_runner;

struct batchexec_runner *batchexec_new(const struct batchexec_config *cfg, struct cs_err *err);
/*
 * The shell that runs CMD (a path), and in *PIPEFAIL whether it runs with
 * -o pipefail (found out once, in batchexec_new, by a run of `SHELL -o pipefail -c :`).
 */
const char *batchexec_shell(const struct batchexec_runner *r, int *pipefail);
/* Close the on-failure file; -1 with err when a write failed.  Kills what still runs. */
int batchexec_free(struct batchexec_runner *r, struct cs_err *err);
/*
 * Queue B (consumed until DONE is called).  Batches run in the order
 * submitted as slots free.  PROGRESS (may be NULL) is told of the items
 * done as they are.
 */
void batchexec_submit(struct batchexec_runner *r, struct batchexec_batch *b, batchexec_done_fn done, batchexec_progress_fn progress,
    void *ctx);
/* An fd that becomes readable when a child ends (for aws_run's extra fd). */
int batchexec_fd(const struct batchexec_runner *r);
/*
 * Reap ended runs, start due ones, call DONE of finished batches.
 * Returns the ms until a retry is due, or -1.  -1 with err->msg set and
 * *fatal on a failure to write the on-failure output or to start a run.
 */
int batchexec_poll(struct batchexec_runner *r, int *fatal, struct cs_err *err);
/* Runs of CMD started, and of them the re-runs of a failed range (retries, bisect halves not counted). */
struct batchexec_stats {
	unsigned long runs;
	unsigned long reruns;
};
const struct batchexec_stats *batchexec_stats(const struct batchexec_runner *r);
/* Batches queued, running or waiting to retry. */
size_t batchexec_busy(const struct batchexec_runner *r);
/* Runs in progress (children alive). */
size_t batchexec_running(const struct batchexec_runner *r);
/* Shutdown: start nothing new; drop queued and waiting batches (DONE with abandoned set). */
void batchexec_drain(struct batchexec_runner *r);
/*
 * SHARD's batches are not ours any more (its lease was lost): a running
 * one is killed (its whole group), and they all come back abandoned at
 * the next batchexec_poll, none started again.
 */
void batchexec_cancel(struct batchexec_runner *r, const char *shard);
/* Kill every running command's group and abandon their batches. */
void batchexec_abandon(struct batchexec_runner *r);

#endif
