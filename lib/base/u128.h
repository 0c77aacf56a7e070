/*
 * u128.h - 128-bit unsigned numbers in decimal: Kinesis hash keys (shard
 * ranges, explicit hash keys, the MD5 of a partition key) are numbers
 * from 0 to 2^128-1 written in decimal.
 */
#ifndef CS_U128_H
#define CS_U128_H

#include <stddef.h>

typedef unsigned __int128 u128;

/* Parse a decimal 0..2^128-1 (1 to 39 digits, no sign, no blanks).  0, or -1 when invalid. */
int u128_parse_dec(const char *s, size_t n, u128 *out);
/* Format V in decimal (out: 40 bytes). */
void u128_fmt_dec(char out[40], u128 v);

#endif
