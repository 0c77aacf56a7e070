/* md5.c - MD5 as RFC 1321 describes it (see md5.h). */
#include <string.h>

#include "md5.h"

/* the sines of RFC 1321 section 3.4: floor(abs(sin(i + 1)) * 2^32) */
static const uint32_t K[64] = {
	0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
	0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
	0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
	0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
	0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
	0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
	0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
	0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
};

/* the four rounds' functions */
#define F(x, y, z) ((z) ^ ((x) & ((y) ^ (z))))
#define G(x, y, z) ((y) ^ ((z) & ((x) ^ (y))))
#define H(x, y, z) ((x) ^ (y) ^ (z))
#define I(x, y, z) ((y) ^ ((x) | ~(z)))
/* one of the 64 steps: a = b + ((a + f(b, c, d) + w + k) <<< s) */
#define STEP(f, a, b, c, d, w, k, s) \
	do { \
		(a) += f((b), (c), (d)) + (w) + (k); \
		(a) = ((a) << (s) | (a) >> (32 - (s))) + (b); \
	} while (0)

static void
block(uint32_t h[4], const unsigned char *p)
{
	uint32_t w[16], a = h[0], b = h[1], c = h[2], d = h[3];
	unsigned i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 | (uint32_t)p[4 * i + 2] << 16 |
		    (uint32_t)p[4 * i + 3] << 24;
	STEP(F, a, b, c, d, w[0], K[0], 7);
	STEP(F, d, a, b, c, w[1], K[1], 12);
	STEP(F, c, d, a, b, w[2], K[2], 17);
	STEP(F, b, c, d, a, w[3], K[3], 22);
	STEP(F, a, b, c, d, w[4], K[4], 7);
	STEP(F, d, a, b, c, w[5], K[5], 12);
	STEP(F, c, d, a, b, w[6], K[6], 17);
	STEP(F, b, c, d, a, w[7], K[7], 22);
	STEP(F, a, b, c, d, w[8], K[8], 7);
	STEP(F, d, a, b, c, w[9], K[9], 12);
	STEP(F, c, d, a, b, w[10], K[10], 17);
	STEP(F, b, c, d, a, w[11], K[11], 22);
	STEP(F, a, b, c, d, w[12], K[12], 7);
	STEP(F, d, a, b, c, w[13], K[13], 12);
	STEP(F, c, d, a, b, w[14], K[14], 17);
	STEP(F, b, c, d, a, w[15], K[15], 22);
	STEP(G, a, b, c, d, w[1], K[16], 5);
	STEP(G, d, a, b, c, w[6], K[17], 9);
	STEP(G, c, d, a, b, w[11], K[18], 14);
	STEP(G, b, c, d, a, w[0], K[19], 20);
	STEP(G, a, b, c, d, w[5], K[20], 5);
	STEP(G, d, a, b, c, w[10], K[21], 9);
	STEP(G, c, d, a, b, w[15], K[22], 14);
	STEP(G, b, c, d, a, w[4], K[23], 20);
	STEP(G, a, b, c, d, w[9], K[24], 5);
	STEP(G, d, a, b, c, w[14], K[25], 9);
	STEP(G, c, d, a, b, w[3], K[26], 14);
	STEP(G, b, c, d, a, w[8], K[27], 20);
	STEP(G, a, b, c, d, w[13], K[28], 5);
	STEP(G, d, a, b, c, w[2], K[29], 9);
	STEP(G, c, d, a, b, w[7], K[30], 14);
	STEP(G, b, c, d, a, w[12], K[31], 20);
	STEP(H, a, b, c, d, w[5], K[32], 4);
	STEP(H, d, a, b, c, w[8], K[33], 11);
	STEP(H, c, d, a, b, w[11], K[34], 16);
	STEP(H, b, c, d, a, w[14], K[35], 23);
	STEP(H, a, b, c, d, w[1], K[36], 4);
	STEP(H, d, a, b, c, w[4], K[37], 11);
	STEP(H, c, d, a, b, w[7], K[38], 16);
	STEP(H, b, c, d, a, w[10], K[39], 23);
	STEP(H, a, b, c, d, w[13], K[40], 4);
	STEP(H, d, a, b, c, w[0], K[41], 11);
	STEP(H, c, d, a, b, w[3], K[42], 16);
	STEP(H, b, c, d, a, w[6], K[43], 23);
	STEP(H, a, b, c, d, w[9], K[44], 4);
	STEP(H, d, a, b, c, w[12], K[45], 11);
	STEP(H, c, d, a, b, w[15], K[46], 16);
	STEP(H, b, c, d, a, w[2], K[47], 23);
	STEP(I, a, b, c, d, w[0], K[48], 6);
	STEP(I, d, a, b, c, w[7], K[49], 10);
	STEP(I, c, d, a, b, w[14], K[50], 15);
	STEP(I, b, c, d, a, w[5], K[51], 21);
	STEP(I, a, b, c, d, w[12], K[52], 6);
	STEP(I, d, a, b, c, w[3], K[53], 10);
	STEP(I, c, d, a, b, w[10], K[54], 15);
	STEP(I, b, c, d, a, w[1], K[55], 21);
	STEP(I, a, b, c, d, w[8], K[56], 6);
	STEP(I, d, a, b, c, w[15], K[57], 10);
	STEP(I, c, d, a, b, w[6], K[58], 15);
	STEP(I, b, c, d, a, w[13], K[59], 21);
	STEP(I, a, b, c, d, w[4], K[60], 6);
	STEP(I, d, a, b, c, w[11], K[61], 10);
	STEP(I, c, d, a, b, w[2], K[62], 15);
	STEP(I, b, c, d, a, w[9], K[63], 21);
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
}

void
md5_init(struct md5 *m)
{
	m->h[0] = 0x67452301;
	m->h[1] = 0xefcdab89;
	m->h[2] = 0x98badcfe;
	m->h[3] = 0x10325476;
	m->len = 0;
}

void
md5_update(struct md5 *m, const void *data, size_t n)
{
	const unsigned char *p = data;
	size_t have = (size_t)(m->len & 63);

	m->len += n;
	if (have) {
		size_t take = 64 - have < n ? 64 - have : n;

		memcpy(m->buf + have, p, take);
		p += take;
		n -= take;
		if (have + take < 64)
			return;
		block(m->h, m->buf);
	}
	for (; n >= 64; p += 64, n -= 64)
		block(m->h, p);
	if (n)
		memcpy(m->buf, p, n);
}

void
md5_final(struct md5 *m, unsigned char out[16])
{
	static const unsigned char pad[64] = { 0x80 };
	unsigned char bits[8];
	uint64_t len = m->len * 8;
	size_t have = (size_t)(m->len & 63);
	unsigned i;

	for (i = 0; i < 8; i++)
		bits[i] = (unsigned char)(len >> (8 * i));
	md5_update(m, pad, have < 56 ? 56 - have : 120 - have);
	md5_update(m, bits, 8);
	for (i = 0; i < 16; i++)
		out[i] = (unsigned char)(m->h[i / 4] >> (8 * (i % 4)));
}

void
md5(const void *p, size_t n, unsigned char out[16])
{
	struct md5 m;

	md5_init(&m);
	md5_update(&m, p, n);
	md5_final(&m, out);
}
