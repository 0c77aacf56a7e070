/*
 * storer.h - the write engine of cs-store: items into a DynamoDB table
 * with BatchWriteItem (or PutItem for "new only"), several requests in
 * flight, nothing lost and nothing reordered.
 *
 * - A batch holds at most 25 items and 16 MB of request.  A second write
 *   of a key already in the batch replaces the first there ("collapsed":
 *   the later wins, as two PutItems in a row would).
 * - A write of a key that is in flight waits until the earlier write is
 *   acknowledged, so two requests in flight never hold the same key and
 *   the later record always lands last, whatever --parallel is.
 * - UnprocessedItems are re-sent, alone, after a backoff with jitter,
 *   until written or the retry budget is spent.
 * - Whatever is not written ends in the reject callback with the
 *   service's error code and message.
 */
#ifndef CS_STORER_H
#define CS_STORER_H

#include <stddef.h>
#include <stdint.h>

#include "aws.h"
#include "cs.h"
#include "ddbitem.h"
#include "retry.h"

#define STORER_MAX_BATCH 25u
#define STORER_MAX_REQUEST (16u << 20)  /* 16 MB */

struct storer_conf {
	const char *table;
	const struct ddb_keyschema *ks;
	unsigned parallel;           /* requests in flight, >= 1 */
	unsigned batch_max;          /* items per BatchWriteItem, 1..25 */
	int new_only;                /* PutItem with attribute_not_exists(hash key) */
	struct retry_policy retry;   /* for re-sending UnprocessedItems */
};

struct storer_stats {
	unsigned long added;        /* items given to storer_add */
	unsigned long written;      /* acknowledged by the service */
	unsigned long collapsed;    /* replaced by a later write of their key before being sent */
	unsigned long exists;       /* new-only: the key was there already, the item kept */
	unsigned long rejected;     /* handed to the reject callback */
	unsigned long requests;     /* requests completed */
	unsigned long resends;      /* requests that re-sent UnprocessedItems */
	unsigned long resent_items; /* items in them */
	unsigned long splits;       /* batches refused whole and re-sent item by item */
};

/* One record that was not written, for the rejects output. */
struct storer_reject {
	const char *source;
	uint64_t line;
	const char *data;     /* the original record */
	size_t len;
	const char *code;     /* the service's error code, or ours ("Unprocessed", "Interrupted") */
	const char *message;
};
typedef void (*storer_reject_fn)(void *ctx, const struct storer_reject *r);

struct storer;

struct storer *storer_new(struct aws_client *c, const struct storer_conf *conf,
    storer_reject_fn reject, void *ctx);
void storer_free(struct storer *s);

/*
 * Add the converted item IT (its json and key) of the record DATA read
 * at SOURCE:LINE.  Everything is copied but SOURCE, which must live as
 * long as the storer.  May send a request.
 */
void storer_add(struct storer *s, const struct ddb_item *it, const char *source,
    uint64_t line, const char *data, size_t len);
/* 1 when more input may be added now (else run until it is). */
int storer_accepting(const struct storer *s);
/* Send the partly filled batch now (input is slow, or at its end). */
void storer_flush(struct storer *s);
/* 1 while anything is not yet acknowledged: batches, held writes, requests, re-sends. */
int storer_busy(const struct storer *s);
/* 1 when nothing is in flight or waiting (reading input may block). */
int storer_idle(const struct storer *s);
/*
 * Move requests on: wait at most TIMEOUT_MS for an answer, a re-send
 * coming due, or EXTRA_FD readable (-1 for none); call the callbacks.
 */
void storer_run(struct storer *s, int timeout_ms, int extra_fd);
/*
 * Stop: everything not yet sent goes to the reject callback with CODE
 * and MESSAGE, re-sends are given up, requests in flight still finish.
 */
void storer_abort(struct storer *s, const char *code, const char *message);
/* 1 (with err) when an answer showed that no further request can succeed. */
int storer_fatal(const struct storer *s, struct cs_err *err);
const struct storer_stats *storer_stats(const struct storer *s);

#endif
