/* test-md5.c - MD5: the RFC 1321 test suite, and agreement with OpenSSL's EVP_md5() on many lengths. */
#include <string.h>

#include <openssl/evp.h>

#include "cs.h"
#include "md5.h"
#include "tap.h"

static void
hex(char out[33], const unsigned char d[16])
{
	cs_hex(out, d, 16);
}

int
main(void)
{
	static const char *suite[][2] = {
		{ "", "d41d8cd98f00b204e9800998ecf8427e" },
		{ "a", "0cc175b9c0f1b6a831c399e269772661" },
		{ "abc", "900150983cd24fb0d6963f7d28e17f72" },
		{ "message digest", "f96b697d7cb7938d525a2f31aaf161d0" },
		{ "abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b" },
		{ "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
		  "d174ab98d277d9f5a5611c2c9f419d9f" },
		{ "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
		  "57edf4a22be3c955ac49da2e2107b67a" },
	};
	unsigned char d[16], want[16], data[1000];
	char h[33];
	unsigned mdlen, i, n, bad = 0;
	unsigned long long seed = 1;

	for (i = 0; i < sizeof suite / sizeof suite[0]; i++) {
		md5(suite[i][0], strlen(suite[i][0]), d);
		hex(h, d);
		is_str(h, suite[i][1], "RFC 1321: \"%.20s\"", suite[i][0]);
	}
	for (i = 0; i < sizeof data; i++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		data[i] = (unsigned char)(seed >> 56);
	}
	for (n = 0; n <= sizeof data; n++) {
		EVP_Digest(data, n, want, &mdlen, EVP_md5(), NULL);
		md5(data, n, d);
		bad += memcmp(d, want, 16) != 0;
	}
	is_int(bad, 0, "as OpenSSL's for every length 0 to 1000");

	/*
	 * md5_many: 1 to 20 inputs of lengths across the block and padding
	 * edges, as OpenSSL's MD5, each way it can go on this CPU (the others skipped)
	 */
	for (const char *const *way = (const char *const[]){ "avx512", "avx2", "one", NULL }; *way; way++) {
		static const size_t edge[] = { 0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 999, 1000 };
		const void *in[20];
		size_t len[20], count, j;
		unsigned char got[20][16];
		unsigned rounds = 0;

		if (md5_use(*way) != 0) {
			skip("md5_many by %s: this CPU lacks it", *way);
			continue;
		}
		bad = 0;
		for (count = 1; count <= 20; count++)
			for (i = 0; i < 40; i++, rounds++) {
				for (j = 0; j < count; j++) {
					seed = seed * 6364136223846793005ull + 1442695040888963407ull;
					len[j] = i % 2 ? edge[(seed >> 33) % 13] : (seed >> 33) % 1001;
					in[j] = data + (len[j] < 1000 ? (seed >> 20) % (1001 - len[j]) : 0);
				}
				md5_many(in, len, count, got);
				for (j = 0; j < count; j++) {
					EVP_Digest(in[j], len[j], want, &mdlen, EVP_md5(), NULL);
					bad += memcmp(want, got[j], 16) != 0;
				}
			}
		is_int(bad, 0, "md5_many by %s as OpenSSL's EVP_md5() on %u sets of 1 to 20 inputs", *way, rounds);
	}
	md5_use(NULL);
	ok(md5_use("no-such-way") == -1, "an unknown way refused");
	md5_use(NULL);
	return done_testing();
}
