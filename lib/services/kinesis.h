/*
 * kinesis.h - the Kinesis Data Streams API as the tools use it:
 * ListShards (every page), GetShardIterator and GetRecords, as request
 * bodies to build and responses to parse, plus blocking helpers over
 * aws_call().
 *
 * Parsing functions take the response body and never call the service,
 * so they can be fuzzed and unit-tested alone.
 */
#ifndef CS_KINESIS_H
#define CS_KINESIS_H

#include <stddef.h>
#include <signal.h>
#include <stdint.h>

#include "aws.h"
#include "cs.h"
#include "json.h"
#include "u128.h"

/* One shard as ListShards describes it.  Strings are owned (malloc'd). */
struct kinesis_shard {
	char *id;               /* "shardId-000000000000" */
	char *parent;           /* ParentShardId, NULL when none */
	char *adjacent_parent;  /* AdjacentParentShardId (merges), NULL when none */
	char *hash_start;       /* HashKeyRange.StartingHashKey, decimal string (0 .. 2^128-1) */
	char *hash_end;         /* HashKeyRange.EndingHashKey, decimal string */
	char *seq_start;        /* SequenceNumberRange.StartingSequenceNumber */
	char *seq_end;          /* SequenceNumberRange.EndingSequenceNumber: NULL while the shard is open */
};

/*
 * Every shard of STREAM, following NextToken until the last page, in the
 * order the service gives them (by shard id).  *OUT is an array of *N
 * shards, freed with kinesis_shards_free().  -1 with err (err->code is the
 * service's error code, e.g. "ResourceNotFoundException"; err->msg reads
 * "ListShards on 'STREAM': ResourceNotFoundException: ...").
 */
int kinesis_list_shards(struct aws_client *c, const char *stream,
    struct kinesis_shard **out, size_t *n, struct cs_err *err);
void kinesis_shards_free(struct kinesis_shard *s, size_t n);
/* The shard named ID in S[0..n), or NULL. */
const struct kinesis_shard *kinesis_shard_find(const struct kinesis_shard *s, size_t n,
    const char *id);

/* The ListShards request body: the first page (TOKEN NULL) or the next one. */
void kinesis_list_shards_body(struct buf *out, const char *stream, const char *token);
/*
 * Parse one ListShards response: its shards are appended to *SHARDS and *N
 * (grown with realloc), *NEXT_TOKEN set to the NextToken (malloc'd) or
 * NULL on the last page.  -1 with err on a malformed answer (nothing
 * appended then).
 */
int kinesis_parse_list_shards(const char *body, size_t len, struct kinesis_shard **shards,
    size_t *n, char **next_token, struct cs_err *err);

/* --- GetShardIterator ---------------------------------------------------- */
enum kinesis_iter_type {
	KINESIS_TRIM_HORIZON,
	KINESIS_LATEST,
	KINESIS_AT_SEQUENCE_NUMBER,
	KINESIS_AFTER_SEQUENCE_NUMBER,
	KINESIS_AT_TIMESTAMP,
};

/* Where to start reading a shard. */
struct kinesis_position {
	enum kinesis_iter_type type;
	const char *seq;        /* AT_/AFTER_SEQUENCE_NUMBER */
	int64_t timestamp_ms;   /* AT_TIMESTAMP: unix milliseconds */
};

/* "TRIM_HORIZON", "AFTER_SEQUENCE_NUMBER", ... */
const char *kinesis_iter_type_name(enum kinesis_iter_type t);
void kinesis_get_shard_iterator_body(struct buf *out, const char *stream, const char *shard,
    const struct kinesis_position *pos);
/* The ShardIterator of a GetShardIterator answer, malloc'd into *ITERATOR.  -1 with err. */
int kinesis_parse_shard_iterator(const char *body, size_t len, char **iterator,
    struct cs_err *err);
/* Blocking GetShardIterator.  -1 with err ("GetShardIterator on 'STREAM/SHARD': CODE: ..."). */
int kinesis_get_shard_iterator(struct aws_client *c, const char *stream, const char *shard,
    const struct kinesis_position *pos, char **iterator, struct cs_err *err);

/* --- GetRecords ----------------------------------------------------------- */
/* LIMIT 0: the service's default (10,000). */
void kinesis_get_records_body(struct buf *out, const char *iterator, unsigned limit);

/*
 * One record of a GetRecords answer.  Its bytes live in the owning
 * kinesis_records' arena, addressed by offset (the arena may move while
 * it is filled): use KREC_DATA/KREC_KEY/KREC_SEQ to reach them.
 */
struct kinesis_record {
	size_t data_off, data_len;  /* the record's data, base64-decoded */
	size_t key_off, key_len;    /* PartitionKey */
	size_t seq_off, seq_len;    /* SequenceNumber */
	int64_t arrival_ms;         /* ApproximateArrivalTimestamp, unix ms (0 when absent) */
};

struct kinesis_records {
	struct kinesis_record *rec;
	size_t n, cap;
	struct buf arena;           /* every record's bytes, NUL after each piece */
	char *next_iterator;        /* NULL: the shard is closed and read to its end */
	int64_t millis_behind;      /* MillisBehindLatest, -1 when absent */
	long skip_subseq;           /* >= 0: the first record is a KPL aggregate whose user records
	                               0..skip_subseq were handled before (a checkpoint inside it):
	                               leave them out; -1 otherwise (set by the reader, not parsed) */
	struct json_doc doc;        /* the parser's tokens, kept between answers */
};

#define KREC_DATA(rs, r) ((rs)->arena.data + (r)->data_off)
#define KREC_KEY(rs, r) ((rs)->arena.data + (r)->key_off)
#define KREC_SEQ(rs, r) ((rs)->arena.data + (r)->seq_off)

void kinesis_records_init(struct kinesis_records *rs);
void kinesis_records_reset(struct kinesis_records *rs);  /* n = 0, keep memory */
void kinesis_records_free(struct kinesis_records *rs);
/*
 * Parse a GetRecords answer into RS (reset first).  -1 with err on a
 * malformed answer (a record without data or sequence number, bad
 * base64, ...).
 */
int kinesis_parse_get_records(const char *body, size_t len, struct kinesis_records *rs,
    struct cs_err *err);

/* --- enhanced fan-out ------------------------------------------------------ */
/* The SubscribeToShard request body (StartingPosition from POS). */
void kinesis_subscribe_body(struct buf *out, const char *consumer_arn, const char *shard,
    const struct kinesis_position *pos);

/* What a SubscribeToShardEvent says besides its records.  Owned strings. */
struct kinesis_subscribe_event {
	char *continuation;     /* ContinuationSequenceNumber; NULL: the shard ended */
	int has_children;       /* ChildShards was given (the shard ended) */
	char **children;        /* their ShardIds */
	size_t nchildren;
};
void kinesis_subscribe_event_init(struct kinesis_subscribe_event *ev);
void kinesis_subscribe_event_free(struct kinesis_subscribe_event *ev);
/*
 * Parse the JSON payload of a SubscribeToShardEvent: its records into RS
 * (reset first; MillisBehindLatest too), the rest into EV.  -1 with err.
 */
int kinesis_parse_subscribe_event(const char *body, size_t len, struct kinesis_records *rs,
    struct kinesis_subscribe_event *ev, struct cs_err *err);

/* The stream's ARN (DescribeStreamSummary), malloc'd.  Blocking; -1 with err. */
int kinesis_stream_arn(struct aws_client *c, const char *stream, char **arn, struct cs_err *err);
/*
 * The consumer NAME of the stream STREAM_ARN, registered when it does not
 * exist (*REGISTERED then 1), waited for until ACTIVE (at most WAIT_MS; a
 * nonzero *STOP, set by a signal, ends the wait): its ConsumerARN,
 * malloc'd.  Blocking; -1 with err.
 */
int kinesis_consumer_ensure(struct aws_client *c, const char *stream_arn, const char *name,
    unsigned wait_ms, const volatile sig_atomic_t *stop, char **consumer_arn,
    int *registered, struct cs_err *err);
/* DeregisterStreamConsumer.  Blocking; -1 with err. */
int kinesis_consumer_deregister(struct aws_client *c, const char *consumer_arn,
    struct cs_err *err);

/*
 * Compare two sequence numbers (decimal strings, up to 128 bits):
 * <0, 0, >0 like strcmp.
 */
int kinesis_seq_cmp(const char *a, const char *b);

/*
 * The shard a partition key maps to: MD5 of KEY as a 128-bit big-endian
 * number, compared with each open shard's hash key range.  Returns the
 * index in S, or -1 when no open shard covers it.
 */
long kinesis_shard_for_key(const struct kinesis_shard *s, size_t n, const char *key,
    size_t keylen);
/* The same for an explicit hash key HASH (decimal); -1 also when HASH is not one. */
long kinesis_shard_for_hash(const struct kinesis_shard *s, size_t n, const char *hash);
/* The MD5 of partition key KEY as a 128-bit big-endian number: where the key goes. */
u128 kinesis_key_hash(const char *key, size_t keylen);
/* The same for KEYS[0..n) into OUT[0..n), eight at a time where the CPU allows (md5_many). */
void kinesis_key_hashes(const char *const *keys, const size_t *lens, size_t n, u128 *out);
/* The same as a decimal string (up to 39 digits) into OUT. */
void kinesis_hash_key(char out[48], const char *key, size_t keylen);

#endif
