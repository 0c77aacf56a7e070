/* md5.c - MD5 through OpenSSL, its algorithm fetched once (see md5.h). */
#include <pthread.h>
#include <stdlib.h>

#include <openssl/evp.h>

#include "md5.h"

static EVP_MD *md5_md;
static pthread_once_t md5_once = PTHREAD_ONCE_INIT;

static void
md5_fetch(void)
{
	md5_md = EVP_MD_fetch(NULL, "MD5", NULL);
}

void
md5(const void *p, size_t n, unsigned char out[16])
{
	unsigned len = 0;

	pthread_once(&md5_once, md5_fetch);
	/* only out of memory fails: as cs_malloc does */
	if (!md5_md || !EVP_Digest(p, n, out, &len, md5_md, NULL) || len != 16)
		abort();
}

/*
 * Eight at once (md5_many): the eight inputs in the eight 32-bit lanes of
 * AVX2 registers, one 64-byte block of each per round, as RFC 1321 steps
 * them.  A lane whose input has ended keeps its state (blended back).
 */
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#define MD5_LANES 8

static const uint32_t md5_k[64] = {
	0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
	0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
	0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
	0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
	0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
	0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
	0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
	0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
};

#define V_F(b, c, d) _mm256_xor_si256(d, _mm256_and_si256(b, _mm256_xor_si256(c, d)))
#define V_G(b, c, d) _mm256_xor_si256(c, _mm256_and_si256(d, _mm256_xor_si256(b, c)))
#define V_H(b, c, d) _mm256_xor_si256(_mm256_xor_si256(b, c), d)
#define V_I(b, c, d) _mm256_xor_si256(c, _mm256_or_si256(b, _mm256_xor_si256(d, ones)))
/* a = b + rotl(a + f(b, c, d) + w[g] + k[i], s) */
#define V_STEP(f, a, b, c, d, g, i, s) do { \
	a = _mm256_add_epi32(_mm256_add_epi32(a, f(b, c, d)), \
	    _mm256_add_epi32(w[g], _mm256_set1_epi32((int)md5_k[i]))); \
	a = _mm256_add_epi32(b, _mm256_or_si256(_mm256_slli_epi32(a, s), _mm256_srli_epi32(a, 32 - (s)))); \
} while (0)

/* W[i]: the 32-bit word I of the 32 bytes at Q[l] + OFF, for each lane L (an 8 x 8 transpose) */
__attribute__((target("avx2")))
static inline void
transpose8(__m256i *w, const unsigned char *const *q, size_t off)
{
	__m256i r[8], t[8], u[8];
	int l;

	for (l = 0; l < 8; l++)
		r[l] = _mm256_loadu_si256((const __m256i *)(q[l] + off));
	for (l = 0; l < 8; l += 2) {
		t[l] = _mm256_unpacklo_epi32(r[l], r[l + 1]);
		t[l + 1] = _mm256_unpackhi_epi32(r[l], r[l + 1]);
	}
	for (l = 0; l < 8; l += 4) {
		u[l] = _mm256_unpacklo_epi64(t[l], t[l + 2]);
		u[l + 1] = _mm256_unpackhi_epi64(t[l], t[l + 2]);
		u[l + 2] = _mm256_unpacklo_epi64(t[l + 1], t[l + 3]);
		u[l + 3] = _mm256_unpackhi_epi64(t[l + 1], t[l + 3]);
	}
	for (l = 0; l < 4; l++) {
		w[l] = _mm256_permute2x128_si256(u[l], u[l + 4], 0x20);
		w[l + 4] = _mm256_permute2x128_si256(u[l], u[l + 4], 0x31);
	}
}

__attribute__((target("avx2")))
static void
md5_x8(const unsigned char *const *p, const size_t *n, size_t count, unsigned char (*out)[16])
{
	static const unsigned char zero[64];
	unsigned char tail[MD5_LANES][128];
	size_t full[MD5_LANES], blocks[MD5_LANES], most = 0, l, k, i;
	uint32_t st[4][MD5_LANES], nb[MD5_LANES];
	const __m256i ones = _mm256_set1_epi32(-1);
	__m256i a = _mm256_set1_epi32(0x67452301), b = _mm256_set1_epi32((int)0xefcdab89);
	__m256i c = _mm256_set1_epi32((int)0x98badcfe), d = _mm256_set1_epi32(0x10325476);
	__m256i nbv;

	/* each lane: its whole blocks in place, the rest and the padding in TAIL */
	for (l = 0; l < MD5_LANES; l++) {
		size_t rest, t;
		uint64_t bits;

		if (l >= count) {
			full[l] = blocks[l] = 0;
			nb[l] = 0;
			continue;
		}
		full[l] = n[l] / 64;
		rest = n[l] % 64;
		t = rest < 56 ? 64 : 128;
		memcpy(tail[l], p[l] + full[l] * 64, rest);
		tail[l][rest] = 0x80;
		memset(tail[l] + rest + 1, 0, t - 8 - rest - 1);
		bits = (uint64_t)n[l] * 8;
		for (i = 0; i < 8; i++)
			tail[l][t - 8 + i] = (unsigned char)(bits >> (8 * i));
		blocks[l] = full[l] + t / 64;
		nb[l] = (uint32_t)blocks[l];
		if (blocks[l] > most)
			most = blocks[l];
	}
	nbv = _mm256_loadu_si256((const __m256i *)nb);
	for (k = 0; k < most; k++) {
		const unsigned char *q[MD5_LANES];
		__m256i w[16], a0 = a, b0 = b, c0 = c, d0 = d, on;

		for (l = 0; l < MD5_LANES; l++)
			q[l] = k < full[l] ? p[l] + k * 64 : k < blocks[l] ? tail[l] + (k - full[l]) * 64 : zero;
		/* the block's 16 little-endian words, word i of every lane in w[i] */
		transpose8(w, q, 0);
		transpose8(w + 8, q, 32);
		for (i = 0; i < 16; i += 4) {
			V_STEP(V_F, a, b, c, d, i, i, 7);
			V_STEP(V_F, d, a, b, c, i + 1, i + 1, 12);
			V_STEP(V_F, c, d, a, b, i + 2, i + 2, 17);
			V_STEP(V_F, b, c, d, a, i + 3, i + 3, 22);
		}
		for (i = 16; i < 32; i += 4) {
			V_STEP(V_G, a, b, c, d, (5 * i + 1) & 15, i, 5);
			V_STEP(V_G, d, a, b, c, (5 * i + 6) & 15, i + 1, 9);
			V_STEP(V_G, c, d, a, b, (5 * i + 11) & 15, i + 2, 14);
			V_STEP(V_G, b, c, d, a, (5 * i + 16) & 15, i + 3, 20);
		}
		for (i = 32; i < 48; i += 4) {
			V_STEP(V_H, a, b, c, d, (3 * i + 5) & 15, i, 4);
			V_STEP(V_H, d, a, b, c, (3 * i + 8) & 15, i + 1, 11);
			V_STEP(V_H, c, d, a, b, (3 * i + 11) & 15, i + 2, 16);
			V_STEP(V_H, b, c, d, a, (3 * i + 14) & 15, i + 3, 23);
		}
		for (i = 48; i < 64; i += 4) {
			V_STEP(V_I, a, b, c, d, (7 * i) & 15, i, 6);
			V_STEP(V_I, d, a, b, c, (7 * i + 7) & 15, i + 1, 10);
			V_STEP(V_I, c, d, a, b, (7 * i + 14) & 15, i + 2, 15);
			V_STEP(V_I, b, c, d, a, (7 * i + 21) & 15, i + 3, 21);
		}
		a = _mm256_add_epi32(a, a0);
		b = _mm256_add_epi32(b, b0);
		c = _mm256_add_epi32(c, c0);
		d = _mm256_add_epi32(d, d0);
		/* the lanes past their last block keep what they had */
		on = _mm256_cmpgt_epi32(nbv, _mm256_set1_epi32((int)k));
		a = _mm256_blendv_epi8(a0, a, on);
		b = _mm256_blendv_epi8(b0, b, on);
		c = _mm256_blendv_epi8(c0, c, on);
		d = _mm256_blendv_epi8(d0, d, on);
	}
	_mm256_storeu_si256((__m256i *)st[0], a);
	_mm256_storeu_si256((__m256i *)st[1], b);
	_mm256_storeu_si256((__m256i *)st[2], c);
	_mm256_storeu_si256((__m256i *)st[3], d);
	for (l = 0; l < count; l++)
		for (i = 0; i < 16; i++)
			out[l][i] = (unsigned char)(st[i / 4][l] >> (8 * (i % 4)));
}

static int
md5_x8_ok(void)
{
	static int ok = -1;

	if (ok < 0) {
		__builtin_cpu_init();
		ok = __builtin_cpu_supports("avx2") != 0;
	}
	return ok;
}
#else
#define MD5_LANES 8
static void
md5_x8(const unsigned char *const *p, const size_t *n, size_t count, unsigned char (*out)[16])
{
	(void)p, (void)n, (void)count, (void)out;
}

static int
md5_x8_ok(void)
{
	return 0;
}
#endif

void
md5_many(const void *const *p, const size_t *n, size_t count, unsigned char (*out)[16])
{
	size_t i;

	if (count > 1 && md5_x8_ok()) {
		for (i = 0; i < count; i += MD5_LANES)
			md5_x8((const unsigned char *const *)p + i, n + i,
			    count - i < MD5_LANES ? count - i : MD5_LANES, out + i);
		return;
	}
	for (i = 0; i < count; i++)
		md5(p[i], n[i], out[i]);
}
