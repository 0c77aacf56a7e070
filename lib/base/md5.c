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

/* a = b + rotl(a + f(b, c, d) + w[g] + k[i], s) */
#define V_STEP(f, a, b, c, d, g, i, s) do { \
	a = _mm256_add_epi32(_mm256_add_epi32(a, f(b, c, d)), \
	    _mm256_add_epi32(w[g], _mm256_set1_epi32((int)md5_k[i]))); \
	a = _mm256_add_epi32(b, V_ROTL(a, s)); \
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

/* AVX2: each function of RFC 1321 in three operations, a rotation in three */
#define MD5X8_NAME md5_x8_avx2
#define MD5X8_TARGET __attribute__((target("avx2")))
#define V_F(b, c, d) _mm256_xor_si256(d, _mm256_and_si256(b, _mm256_xor_si256(c, d)))
#define V_G(b, c, d) _mm256_xor_si256(c, _mm256_and_si256(d, _mm256_xor_si256(b, c)))
#define V_H(b, c, d) _mm256_xor_si256(_mm256_xor_si256(b, c), d)
#define V_I(b, c, d) _mm256_xor_si256(c, _mm256_or_si256(b, _mm256_xor_si256(d, _mm256_set1_epi32(-1))))
#define V_ROTL(a, s) _mm256_or_si256(_mm256_slli_epi32(a, s), _mm256_srli_epi32(a, 32 - (s)))
#include "md5x8.h"

/*
 * AVX-512 on the same eight lanes (AVX512VL): each function one ternary
 * logic operation (its truth table of b, c, d as the immediate), each
 * rotation one instruction: about two fifths fewer per step.
 */
#define MD5X8_NAME md5_x8_avx512
#define MD5X8_TARGET __attribute__((target("avx2,avx512f,avx512vl")))
#define V_F(b, c, d) _mm256_ternarylogic_epi32(b, c, d, 0xca)  /* (b & c) | (~b & d) */
#define V_G(b, c, d) _mm256_ternarylogic_epi32(b, c, d, 0xe4)  /* (b & d) | (c & ~d) */
#define V_H(b, c, d) _mm256_ternarylogic_epi32(b, c, d, 0x96)  /* b ^ c ^ d */
#define V_I(b, c, d) _mm256_ternarylogic_epi32(b, c, d, 0x39)  /* c ^ (b | ~d) */
#define V_ROTL(a, s) _mm256_rol_epi32(a, s)
#include "md5x8.h"

typedef void md5_x8_fn(const unsigned char *const *, const size_t *, size_t, unsigned char (*)[16]);

static int
has_avx512(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl");
}

static int
has_avx2(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx2");
}

/* the eight-lane ones, best first, and what the CPU must have for each */
static const struct md5_impl {
	const char *name;
	int (*ok)(void);
	md5_x8_fn *fn;
} md5_impls[] = {
	{ "avx512", has_avx512, md5_x8_avx512 },
	{ "avx2", has_avx2, md5_x8_avx2 },
};
#else
#include <string.h>
#define MD5_LANES 8

typedef void md5_x8_fn(const unsigned char *const *, const size_t *, size_t, unsigned char (*)[16]);

static const struct md5_impl {
	const char *name;
	int (*ok)(void);
	md5_x8_fn *fn;
} md5_impls[] = { { "", NULL, NULL } };
#endif

#define NIMPLS (sizeof md5_impls / sizeof md5_impls[0])

/* the eight-lane MD5 md5_many uses: the first the CPU has, NULL for none (one at a time) */
static md5_x8_fn *md5_x8;
static int md5_x8_chosen;

int
md5_use(const char *name)
{
	size_t i;

	md5_x8_chosen = 1;
	md5_x8 = NULL;
	for (i = 0; i < NIMPLS; i++)
		if (md5_impls[i].fn && (!name || strcmp(name, md5_impls[i].name) == 0) &&
		    md5_impls[i].ok()) {
			md5_x8 = md5_impls[i].fn;
			return 0;
		}
	return name && strcmp(name, "one") == 0 ? 0 : -1;
}

void
md5_many(const void *const *p, const size_t *n, size_t count, unsigned char (*out)[16])
{
	size_t i;

	if (!md5_x8_chosen)
		md5_use(NULL);
	if (count > 1 && md5_x8) {
		for (i = 0; i < count; i += MD5_LANES)
			md5_x8((const unsigned char *const *)p + i, n + i,
			    count - i < MD5_LANES ? count - i : MD5_LANES, out + i);
		return;
	}
	for (i = 0; i < count; i++)
		md5(p[i], n[i], out[i]);
}
