/* hash.c - 64-bit hashes of byte strings (see hash.h). */
#include <string.h>

#include "hash.h"

uint64_t
hash_fnv1a(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

uint64_t
hash64(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 0xcbf29ce484222325ull, g = 0x9e3779b97f4a7c15ull;
	size_t i = 0;

	/* two lanes of eight bytes a step, FNV-style, then a murmur3 finalizer */
	for (; i + 16 <= n; i += 16) {
		uint64_t w, x;

		memcpy(&w, s + i, 8);
		memcpy(&x, s + i + 8, 8);
		h = (h ^ w) * 0x100000001b3ull;
		g = (g ^ x) * 0xff51afd7ed558ccdull;
		h ^= h >> 29;
		g ^= g >> 31;
	}
	h ^= g * 0xc4ceb9fe1a85ec53ull;
	for (; i < n; i++) {
		h ^= s[i];
		h *= 0x100000001b3ull;
	}
	h ^= (uint64_t)n;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}
