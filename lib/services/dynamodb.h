/*
 * dynamodb.h - the DynamoDB requests and answers cs-store needs:
 * DescribeTable's key schema and BatchWriteItem's UnprocessedItems.
 * Parsing only (no I/O), so that the fuzzer can reach every line.
 */
#ifndef CS_DYNAMODB_H
#define CS_DYNAMODB_H

#include <stddef.h>

#include "cs.h"
#include "ddbitem.h"

/* {"TableName":"t"} */
void ddb_describe_request(struct buf *out, const char *table);
/* The key schema of a DescribeTable answer.  0, or -1 with err. */
int ddb_parse_describe(const char *body, size_t len, struct ddb_keyschema *ks,
    struct cs_err *err);

/* A BatchWriteItem request of PutRequests, {"RequestItems":{TABLE:[...]}}, in steps. */
void ddb_batch_begin(struct buf *out, const char *table);
void ddb_batch_put(struct buf *out, const char *item, size_t len, int first);
void ddb_batch_end(struct buf *out);
/* A PutItem request of ITEM on condition that no item has its key: attribute_not_exists(HASH). */
void ddb_put_new_request(struct buf *out, const char *table, const char *item, size_t len,
    const char *hash);

typedef void (*ddb_key_fn)(void *ctx, const char *key, size_t keylen);
/*
 * Call FN with the canonical key (see ddbitem.h) of every PutRequest
 * left in a BatchWriteItem answer's UnprocessedItems for TABLE.  The
 * number of them, or -1 with err when the answer is not understood.
 */
int ddb_parse_unprocessed(const char *body, size_t len, const char *table,
    const struct ddb_keyschema *ks, ddb_key_fn fn, void *ctx, struct cs_err *err);

#endif
