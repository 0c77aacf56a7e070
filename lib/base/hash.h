/*
 * hash.h - 64-bit hashes of byte strings (not for security): FNV-1a, and
 * a faster, better mixed one for longer inputs (the default partition key
 * of cs-put is 16 hex digits of it).
 */
#ifndef CS_HASH_H
#define CS_HASH_H

#include <stddef.h>
#include <stdint.h>

/* FNV-1a of P[0..n) (hash tables of short keys). */
uint64_t hash_fnv1a(const void *p, size_t n);
/* Two FNV-style lanes of 8 bytes a step, then a murmur3 finalizer: well mixed in every bit. */
uint64_t hash64(const void *p, size_t n);

#endif
