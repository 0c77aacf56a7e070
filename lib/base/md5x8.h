/*
 * md5x8.h - the body of an eight-lane MD5 (see md5.c, which includes it
 * once per instruction set): MD5X8_NAME(p, n, count, out), compiled for
 * MD5X8_TARGET, stepping with V_F, V_G, V_H, V_I and V_ROTL.
 */
MD5X8_TARGET
static void
MD5X8_NAME(const unsigned char *const *p, const size_t *n, size_t count, unsigned char (*out)[16])
{
	static const unsigned char zero[64];
	unsigned char tail[MD5_LANES][128];
	size_t full[MD5_LANES], blocks[MD5_LANES], most = 0, l, k, i;
	uint32_t st[4][MD5_LANES], nb[MD5_LANES];
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


#undef MD5X8_NAME
#undef MD5X8_TARGET
#undef V_F
#undef V_G
#undef V_H
#undef V_I
#undef V_ROTL
