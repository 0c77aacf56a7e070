/*
 * phash.h - partition-key helpers: the default key of a record and
 * 128-bit decimal hash keys (shard ranges, explicit hash keys).  The MD5
 * hash key of a partition key is kinesis_hash_key() in kinesis.h.
 */
#ifndef CS_PHASH_H
#define CS_PHASH_H

#include <stddef.h>
#include <stdint.h>

typedef unsigned __int128 phash_u128;

/* A 64-bit hash of P[0..n), well mixed (FNV-1a with a final avalanche). */
uint64_t phash64(const void *p, size_t n);
/* The default partition key of a record: 16 lower-case hex digits of phash64 (out: 17 bytes). */
void phash_default_key(char out[17], const void *data, size_t n);
/* Parse a decimal 0..2^128-1 (no sign, no blanks).  0, or -1 when invalid. */
int phash_parse_dec(const char *s, size_t n, phash_u128 *out);
/* Format V in decimal (out: 40 bytes). */
void phash_fmt_dec(char out[40], phash_u128 v);
/* Number of Unicode code points in valid UTF-8 S[0..n). */
size_t phash_utf8_len(const char *s, size_t n);

#endif
