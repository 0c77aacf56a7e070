/* phash.c - partition-key hashing (see phash.h). */
#include <string.h>

#include "phash.h"

uint64_t
phash64(const void *p, size_t n)
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

void
phash_default_key(char out[17], const void *data, size_t n)
{
	static const char hx[] = "0123456789abcdef";
	uint64_t h = phash64(data, n);
	int i;

	for (i = 15; i >= 0; i--) {
		out[i] = hx[h & 15];
		h >>= 4;
	}
	out[16] = '\0';
}

int
phash_parse_dec(const char *s, size_t n, phash_u128 *out)
{
	const phash_u128 max = ~(phash_u128)0;
	phash_u128 v = 0;
	size_t i;

	if (n == 0 || n > 39)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return -1;
		d = (unsigned)(s[i] - '0');
		if (v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

void
phash_fmt_dec(char out[40], phash_u128 v)
{
	char tmp[40];
	int i = 0, j = 0;

	do {
		tmp[i++] = (char)('0' + (int)(v % 10));
		v /= 10;
	} while (v);
	while (i > 0)
		out[j++] = tmp[--i];
	out[j] = '\0';
}

size_t
phash_utf8_len(const char *s, size_t n)
{
	size_t i, cp = 0;

	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			cp++;
	return cp;
}
