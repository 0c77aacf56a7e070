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

#endif
