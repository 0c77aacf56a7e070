/*
 * putter.h - the delivery engine of cs-put: records in, PutRecords
 * batches out, every record ending delivered or rejected with a reason.
 *
 * - A batch holds at most 500 records and 5 MiB (data + partition keys);
 *   a record (data + key) is at most 1 MiB, else it is rejected as
 *   RecordTooLarge without being sent.
 * - A batch leaves when it is full, when the oldest waiting record has
 *   waited LINGER ms, or at once after putter_flush().
 * - At most PARALLEL batches are in flight.
 * - Entries a PutRecords answer marks failed with a retryable code
 *   (ProvisionedThroughputExceededException, InternalFailure) are re-sent
 *   alone, with backoff, within the retry budget; the others are rejected.
 * - With ORDERED_KEYS, records with the same partition key are never in
 *   two requests at once, and a record waiting for its retry holds back
 *   the later records of its key: what Kinesis accepts, it accepts in
 *   input order per key (except when one PutRecords answer fails an entry
 *   and accepts a later one of the same key: Kinesis itself reorders then).
 * - DONE is called once per record: in input order with ORDERED, else as
 *   soon as its fate is known.
 * - With AGGREGATE_BYTES, the records of a request are packed into KPL
 *   aggregates per shard (lib/engines/aggpack.h), placed by MAP: a record
 *   is then a user record, an entry of the request one aggregate (or one
 *   record sent plain).  A failed entry is retried, its user records each
 *   re-packed; an aggregate accepted on a shard the map did not predict,
 *   holding user records outside that shard's range, has the map read
 *   again and its user records put again (a KCL consumer skips such an
 *   aggregate whole).  DONE still comes once per user record, with the
 *   aggregate's shard and sequence number and its own sub-sequence number.
 *
 * Single-threaded: every call from the same thread.
 */
#ifndef CS_PUTTER_H
#define CS_PUTTER_H

#include <stddef.h>
#include <stdint.h>

#include "aws.h"
#include "cs.h"
#include "shardmap.h"

#define PUT_MAX_RECORDS 500
#define PUT_MAX_BATCH_BYTES (5u << 20)
#define PUT_MAX_RECORD_BYTES (1u << 20)
#define PUT_MAX_KEY_CHARS 256

/* The fate of one record, as given to DONE. */
struct put_result {
	int ok;
	const char *shard_id;        /* when ok */
	const char *sequence_number; /* when ok */
	const char *code;            /* when !ok: "RecordTooLarge", "ProvisionedThroughputExceededException", ... */
	const char *message;
	int http_status;             /* when !ok: the service's HTTP status of a whole-request failure, else 0 */
	unsigned attempts;           /* requests the record was part of */
	long subseq;                 /* when ok: its index in the KPL aggregate, -1 when sent plain */
};

/* One record as DONE sees it (borrowed: valid during the call). */
struct put_record {
	uint64_t seq;                /* 0-based input order */
	const char *data;
	size_t len;
	const char *key;             /* partition key */
	size_t keylen;
	const char *ehk;             /* explicit hash key, or NULL */
	const char *source;          /* as given to putter_add */
	uint64_t line;
	void *ctx;                   /* as given to putter_add */
};

typedef void (*put_done_fn)(void *arg, const struct put_record *rec,
    const struct put_result *res);
/* --dry-run: called for each batch instead of sending it. */
typedef void (*put_batch_fn)(void *arg, unsigned long batchno,
    const struct put_record *const *recs, size_t n, size_t bytes);

struct put_config {
	const char *stream;          /* name, or an ARN ("arn:...") */
	unsigned parallel;           /* batches in flight; default 4 */
	unsigned linger_ms;          /* default 20 */
	unsigned max_records;        /* per batch, <= 500 (default 500) */
	int ordered;                 /* DONE in input order */
	int ordered_keys;            /* keep each key's order (see above) */
	int keep_going;              /* a failure for good rejects its batch only (the
	                                endpoint: later requests may succeed) */
	int want_ids;                /* DONE needs each shard id and sequence number
	                                (else they may be "" when every entry succeeded) */
	unsigned retry_budget_ms;    /* per record, from its first attempt; default RETRY_BUDGET_MS */
	unsigned max_attempts;       /* per record; 0: as the budget allows */
	size_t aggregate_bytes;      /* >0: KPL aggregates of at most this many bytes (<= AGG_MAX_BYTES) */
	struct shardmap *map;        /* with AGGREGATE_BYTES: the stream's shards (read again on a reshard) */
	put_done_fn done;
	put_batch_fn dry_run;        /* non-NULL: do not send */
	void *arg;                   /* for DONE and DRY_RUN */
};

struct put_stats {
	unsigned long records;       /* handed in */
	unsigned long delivered;
	unsigned long rejected;
	unsigned long long bytes;    /* data bytes delivered */
	unsigned long batches;       /* PutRecords requests (re-sends included) */
	unsigned long entry_retries; /* entries re-sent after a partial failure */
	unsigned long request_retries; /* whole requests re-sent by the client */
	unsigned long throttled;     /* entries refused with a throttling code */
	unsigned long kinesis_records; /* entries accepted: aggregates and plain records */
	unsigned long aggregated;    /* records delivered inside an aggregate */
	unsigned long wrong_shard;   /* aggregates accepted on a shard the map did not predict */
	unsigned long looked_at;     /* pending records the builds of requests looked at */
};

struct putter;

/* C may be NULL in dry-run mode.  Never fails. */
struct putter *putter_new(const struct put_config *cfg, struct aws_client *c);
void putter_free(struct putter *p);

/*
 * Hand a record over (copied).  KEY is the partition key (valid UTF-8);
 * EHK the explicit hash key in decimal, or NULL.  SOURCE must live as
 * long as the putter.  A record that cannot be sent (too large, bad key)
 * is rejected at once (DONE is called, maybe later in ordered mode).
 * Returns the record's sequence number.
 */
uint64_t putter_add(struct putter *p, const char *data, size_t len, const char *key,
    size_t keylen, const char *ehk, const char *source, uint64_t line, void *ctx);
/* A record that is rejected before it can be sent, kept in the input order. */
uint64_t putter_reject(struct putter *p, const char *data, size_t len, const char *source,
    uint64_t line, const char *code, const char *message, void *ctx);

/* 1 while the engine takes more records without growing without bound. */
int putter_accepting(const struct putter *p);
/* Records handed in whose DONE has not been called yet. */
unsigned long putter_outstanding(const struct putter *p);
/* Send whatever waits, without waiting for LINGER (end of input). */
void putter_flush(struct putter *p);
/*
 * A signal came: send what waits now, and reject failed entries instead of
 * retrying them.  HARD (a second signal): also give up waiting retries of
 * whole requests; only the requests on the wire are still answered.
 */
void putter_interrupt(struct putter *p, int hard);

/*
 * Send batches that are due, then wait at most TIMEOUT_MS for answers (or
 * for EXTRA_FD to be readable, -1 for none; the wait ends sooner when a
 * batch falls due), and handle them.  Returns putter_outstanding().
 */
unsigned long putter_run(struct putter *p, int timeout_ms, int extra_fd);

/*
 * 1 when the service refused for good (stream not found, credentials):
 * ERR holds "PutRecords on 'STREAM': Code: message".  Every record in the
 * engine has then been rejected with that code, and later ones are too
 * (unless KEEP_GOING: then only the batch that met the failure).
 */
int putter_failed(const struct putter *p, struct cs_err *err);
const struct put_stats *putter_stats(const struct putter *p);

#endif
