/*
 * md5.h - MD5 (RFC 1321), for what Kinesis itself hashes with it: the
 * hash key of a partition key, once per record, and the digest that ends
 * a KPL aggregate.  OpenSSL's EVP interface looks the algorithm up and
 * cleans up at every call, which costs several times the hashing of a
 * short key; this is plain code with no setup.  Not for security.
 */
#ifndef CS_MD5_H
#define CS_MD5_H

#include <stddef.h>
#include <stdint.h>

struct md5 {
	uint32_t h[4];
	uint64_t len;             /* bytes so far */
	unsigned char buf[64];    /* a partial block */
};

void md5_init(struct md5 *m);
void md5_update(struct md5 *m, const void *p, size_t n);
void md5_final(struct md5 *m, unsigned char out[16]);
/* The MD5 of P[0..n) into OUT. */
void md5(const void *p, size_t n, unsigned char out[16]);

#endif
