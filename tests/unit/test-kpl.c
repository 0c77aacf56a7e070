/* test-kpl.c - KPL aggregates: build, split, and corrupt ones refused. */
#include <string.h>

#include <openssl/evp.h>

#include "kpl.h"
#include "tap.h"

int
main(void)
{
	struct kpl_record in[3] = {
		{ "k1", 2, NULL, 0, "{\"a\":1}", 7 },
		{ "k2", 2, "123", 3, "", 0 },
		{ "k1", 2, NULL, 0, "\x00\xff\x01", 3 },
	};
	struct buf b = BUF_INIT;
	struct kpl_agg a;
	struct cs_err err;
	size_t i;

	kpl_agg_init(&a);
	kpl_aggregate(&b, in, 3);
	ok(kpl_is_aggregate(b.data, b.len), "built aggregate starts with the magic");
	ok(kpl_deaggregate(b.data, b.len, &a, &err) == 0, "aggregate splits");
	is_int(a.n, 3, "three records");
	is_int(a.nkeys, 2, "two distinct keys in the table");
	for (i = 0; i < 3 && i < a.n; i++) {
		ok(a.rec[i].keylen == in[i].keylen && memcmp(a.rec[i].key, in[i].key, in[i].keylen) == 0,
		    "record %zu key", i);
		ok(a.rec[i].len == in[i].len && memcmp(a.rec[i].data, in[i].data, in[i].len) == 0,
		    "record %zu data", i);
	}
	ok(a.n > 1 && a.rec[1].ehk && a.rec[1].ehklen == 3, "explicit hash key kept");
	ok(a.n > 0 && a.rec[0].ehk == NULL, "no explicit hash key");

	/* a flipped byte: the digest no longer matches */
	b.data[6] ^= 1;
	ok(kpl_deaggregate(b.data, b.len, &a, &err) < 0, "corrupt aggregate refused");
	ok(strstr(err.msg, "MD5") != NULL, "reason names the digest: %s", err.msg);
	is_int(a.n, 0, "no records from a corrupt one");
	b.data[6] ^= 1;
	ok(kpl_deaggregate(b.data, b.len - 1, &a, &err) < 0, "truncated aggregate refused");
	ok(!kpl_is_aggregate("\xF3\x89\x9A", 3), "too short is not an aggregate");
	ok(!kpl_is_aggregate("{\"ip\":\"1.2.3.4\",\"timestamp\":\"x\"}", 33), "JSON is not an aggregate");
	ok(kpl_deaggregate("{\"ip\":1}", 8, &a, &err) < 0, "no magic refused");

	/* an index out of the table, with a good digest */
	{
		static const char bad_pb[] = { 0x0a, 0x01, 'k', 0x1a, 0x05, 0x08, 0x05, 0x1a, 0x01, 'x' };
		struct buf c = BUF_INIT;
		unsigned char md[16];
		unsigned mdlen;

		buf_add(&c, KPL_MAGIC, 4);
		buf_add(&c, bad_pb, sizeof bad_pb);
		EVP_Digest(bad_pb, sizeof bad_pb, md, &mdlen, EVP_md5(), NULL);
		buf_add(&c, md, 16);
		ok(kpl_deaggregate(c.data, c.len, &a, &err) < 0, "key index out of the table refused");
		buf_free(&c);
	}
	/* empty aggregate: no records */
	buf_reset(&b);
	kpl_aggregate(&b, in, 0);
	ok(kpl_deaggregate(b.data, b.len, &a, &err) == 0 && a.n == 0, "empty aggregate");
	kpl_agg_free(&a);
	buf_free(&b);
	return done_testing();
}
