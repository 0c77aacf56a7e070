/*
 * lambda.h - cs-tail --exec as AWS Lambda's Kinesis trigger: the event a
 * function is given (--event lambda), the answer it may give back
 * (--report-failures, Lambda's ReportBatchItemFailures), and the batch
 * description Lambda sends to an on-failure destination.
 *
 * The event, field by field as Lambda builds it:
 *
 *   {"Records":[{"kinesis":{"kinesisSchemaVersion":"1.0",
 *     "partitionKey":"0","sequenceNumber":"4959...",
 *     "data":"eyJpcCI6...","approximateArrivalTimestamp":1517786312.866},
 *     "eventSource":"aws:kinesis","eventVersion":"1.0",
 *     "eventID":"shardId-000000000000:4959...",
 *     "eventName":"aws:kinesis:record",
 *     "invokeIdentityArn":"arn:aws:iam::123456789012:role/...",
 *     "awsRegion":"us-east-1",
 *     "eventSourceARN":"arn:aws:kinesis:us-east-1:123456789012:stream/click-stream"}]}
 *
 * One element per Kinesis record: a KPL aggregate is one element holding
 * the whole aggregate, as Lambda gives it (a handler de-aggregates it with
 * the KPL de-aggregation modules, as it must under Lambda).
 *
 * The answer: {"batchItemFailures":[{"itemIdentifier":"SEQ"},...]}.
 * Success: no answer, blanks, null, an object without batchItemFailures,
 * or an empty or null list.  The batch failed as a whole: an answer that
 * is not JSON, a JSON value that is not an object, a list that is not an
 * array, an item without a string itemIdentifier, an empty identifier,
 * or one that is not a sequence number of the batch.  Otherwise the
 * lowest sequence number reported is where the batch is retried from.
 */
#ifndef CS_LAMBDA_H
#define CS_LAMBDA_H

#include <stddef.h>
#include <stdint.h>

#include "cs.h"
#include "json.h"

/* What every record of a stream shares in the event. */
struct lambda_source {
	const char *stream_arn;     /* eventSourceARN: the stream's ARN as the service reports it */
	const char *region;         /* awsRegion */
	const char *identity_arn;   /* invokeIdentityArn */
};

/* The event around its records: OPEN, the records joined by SEP, CLOSE. */
#define LAMBDA_EVENT_OPEN "{\"Records\":["
#define LAMBDA_EVENT_SEP ","
#define LAMBDA_EVENT_CLOSE "]}"

/*
 * One Kinesis record (of shard SHARD) as one element of the event's
 * Records array, appended to OUT (no newline).  ARRIVAL_MS: its
 * ApproximateArrivalTimestamp in unix ms.  A partition key that is not
 * valid UTF-8 (the service never gives one) has each bad byte as U+FFFD.
 */
void lambda_record(struct buf *out, const struct lambda_source *src, const char *shard,
    const char *seq, const char *key, size_t keylen, int64_t arrival_ms, const void *data,
    size_t len);

/* The sequence number of the I-th item of a batch (for the answer's check). */
typedef const char *(*lambda_seq_fn)(void *ctx, size_t i);

struct lambda_answer {
	size_t failures;    /* items reported; 0: the batch succeeded */
	size_t lowest;      /* with failures: the first item (index) whose sequence number was reported */
};

/*
 * Read the answer TEXT[0..n) to a batch of NITEMS items whose sequence
 * numbers SEQ gives, in order (items of one Kinesis record, as lines of a
 * KPL aggregate, share one).  0 with *A filled, or -1 with err saying why
 * the batch failed as a whole.  DOC: a scratch document.
 */
int lambda_answer_parse(struct json_doc *doc, const char *text, size_t n, lambda_seq_fn seq,
    void *ctx, size_t nitems, struct lambda_answer *a, struct cs_err *err);

/* Why a batch went to the on-failure output, as Lambda's requestContext.condition says it. */
enum lambda_condition {
	LAMBDA_RETRIES_EXHAUSTED,   /* "RetryAttemptsExhausted" */
	LAMBDA_RECORD_TOO_OLD,      /* "RecordAgeExceeded" */
};
const char *lambda_condition_name(enum lambda_condition c);

/* What Lambda's on-failure record says of the batch (KinesisBatchInfo). */
struct lambda_batch_info {
	const char *shard;
	const char *first_seq, *last_seq;
	int64_t first_arrival_ms, last_arrival_ms;   /* 0: not known (left out) */
	size_t size;
	const char *stream_arn;                      /* NULL: left out */
};

/*
 * Append the members Lambda's on-failure record has, as members of an
 * object being written (a leading comma, no braces):
 *   ,"condition":"RetryAttemptsExhausted","approximateInvokeCount":4,
 *    "KinesisBatchInfo":{"shardId":...,"startSequenceNumber":...,
 *    "endSequenceNumber":...,"approximateArrivalOfFirstRecord":"...Z",
 *    "approximateArrivalOfLastRecord":"...Z","batchSize":N,"streamArn":...}
 * INVOKES: the runs of the batch (0 when it never ran: left out).
 */
void lambda_failure_members(struct buf *out, enum lambda_condition c, unsigned invokes,
    const struct lambda_batch_info *bi);

/*
 * What a failed run said, in one line onto OUT: "errorType: errorMessage"
 * of Lambda's error document (as scripts/lambda-run writes it), else the
 * first line of TEXT[0..n), at most 300 bytes; valid UTF-8 either way.
 */
void lambda_error_text(struct json_doc *doc, const char *text, size_t n, struct buf *out);

#endif
