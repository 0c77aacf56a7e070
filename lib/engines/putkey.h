/*
 * putkey.h - the partition key (and explicit hash key) of a record, as
 * cs-put computes it: a jq expression over the record (-k EXPR,
 * --explicit-hash-key EXPR), or by default a hash of the record's bytes.
 *
 * A simple path (".ip", ".a.b") is looked up with the JSON scanner, and
 * anything else goes to libjq.  A string result is the key; a number is
 * turned into its text; anything else rejects the record.
 */
#ifndef CS_PUTKEY_H
#define CS_PUTKEY_H

#include <stddef.h>

#include "cs.h"
#include "json.h"

struct putkey;

/* KEYEXPR NULL: the default key.  EHKEXPR NULL: no explicit hash key.  NULL with err. */
struct putkey *putkey_new(const char *keyexpr, const char *ehkexpr, struct cs_err *err);
void putkey_free(struct putkey *k);
/* 1 when keys come from expressions (the order of each key matters to the user). */
int putkey_is_expr(const struct putkey *k);
/*
 * The keys of record DATA[0..n): KEY is set (reset first), and EHK too when
 * an explicit hash key expression was given (else left empty).  -1 with
 * err->code "InvalidJSON", "InvalidPartitionKey" or "InvalidExplicitHashKey"
 * and err->msg the reason.
 */
/* The default partition key of a record: 16 lower-case hex digits of hash64 (out: 17 bytes). */
void putkey_default_key(char out[17], const void *data, size_t n);
/*
 * The record as putkey_get() last parsed it (the data it was given), or
 * NULL when it did not parse it (the default key needs no parse): so that
 * one parse serves the key and the pacing.
 */
const struct json_doc *putkey_doc(const struct putkey *k);
int putkey_get(struct putkey *k, const char *data, size_t n, struct buf *key,
    struct buf *ehk, struct cs_err *err);

#endif
