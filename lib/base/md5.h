/*
 * md5.h - MD5, for what Kinesis itself hashes with it: the hash key of a
 * partition key, once per record, and the digest that ends a KPL
 * aggregate.  OpenSSL's, with the algorithm fetched once: EVP_md5() at
 * every call looks it up again, which costs twice the hashing of a short
 * key.  Not for security.
 */
#ifndef CS_MD5_H
#define CS_MD5_H

#include <stddef.h>

/* The MD5 of P[0..n) into OUT. */
void md5(const void *p, size_t n, unsigned char out[16]);
/*
 * The MD5 of each of P[i][0..n[i]) into OUT[i], i < COUNT: eight at once
 * where the CPU has AVX2 (a KPL aggregate's digest, a request's worth at a
 * time: one MD5 is a serial chain, eight in the lanes of a vector cost
 * little more than one; AVX-512's ternary logic and rotation where it has
 * them), else one after another as md5().
 */
void md5_many(const void *const *p, const size_t *n, size_t count, unsigned char (*out)[16]);
/*
 * Which way md5_many goes: "avx512" (AVX512VL), "avx2", "one" (one at a
 * time), or NULL for the best the CPU has (what it does unless told).
 * -1 when the CPU lacks it: md5_many then goes one at a time until told
 * again.  For tests and benches.
 */
int md5_use(const char *name);

#endif
