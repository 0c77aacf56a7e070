/*
 * putrecords.h - the Kinesis PutRecords call as bytes: the request body
 * to build and the answer to read.  Plain functions over buffers, so the
 * answer parser is fuzzed alone (tests/fuzz/fuzz-putrecords-answer.c);
 * the delivery engine that batches and retries is lib/engines/putter.c.
 *
 * Request: {"StreamName":S (or "StreamARN" for an ARN),"Records":[
 *   {"Data":BASE64,"PartitionKey":K[,"ExplicitHashKey":"D"]}, ...]}
 * Answer:  {"FailedRecordCount":N,"Records":[{"ShardId":..,"SequenceNumber":..}
 *   or {"ErrorCode":..,"ErrorMessage":..}, ...]}, one entry per record, in order.
 */
#ifndef CS_PUTRECORDS_H
#define CS_PUTRECORDS_H

#include <stddef.h>

#include "cs.h"
#include "json.h"

/* Start a body for STREAM (a name, or an ARN "arn:..."); N records of BYTES (data + keys) will follow. */
void putrecords_begin(struct buf *o, const char *stream, size_t n, size_t bytes);
/* One record; I is its index in the request (0 for the first).  EHK: decimal, or NULL. */
void putrecords_add(struct buf *o, size_t i, const char *data, size_t len, const char *key,
    size_t keylen, const char *ehk);
void putrecords_end(struct buf *o);

/*
 * 1 when answer BODY says no entry failed ("FailedRecordCount":0), found
 * without parsing it: the literal can only be the member itself (inside
 * a JSON string its quotes would be escaped).
 */
int putrecords_all_ok(const char *body, size_t len);
/*
 * Parse BODY as the answer to a request of N records into D.  The token
 * of the first entry (of N), or -1 when the answer does not match the
 * request (not JSON, no Records array of N entries).
 */
int putrecords_parse(struct json_doc *d, const char *body, size_t len, size_t n);
/*
 * The entry at token *T (then moved to the next entry): 1 when it failed,
 * with A its ErrorCode and B its ErrorMessage ("" when absent); 0 when it
 * was accepted, with A its ShardId and B its SequenceNumber ("" when
 * absent).  A and B are reset first; their data is never NULL after.
 */
int putrecords_entry(const struct json_doc *d, int *t, struct buf *a, struct buf *b);

#endif
