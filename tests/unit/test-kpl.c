/* test-kpl.c - KPL aggregates: build, split, and corrupt ones refused. */
#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>

#include "kpl.h"
#include "tap.h"

/* a tiny deterministic generator, for sizes around the varint boundaries */
static unsigned
next_rand(unsigned long long *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return (unsigned)(*s >> 33);
}

/*
 * Record I of the many-records case, from SEED: a key of 150, an explicit
 * hash key for every third, sizes across the varint boundaries (127/128,
 * 16383/16384), data from DATA.  KEY and EHK hold its strings.
 */
static struct kpl_record
gen_record(unsigned long long *seed, size_t i, const char *data, char key[40], char ehk[40])
{
	static const size_t lens[] = { 0, 1, 125, 126, 127, 128, 129, 16370, 16383, 16384 };
	struct kpl_record x;

	snprintf(key, 40, "key-%u", next_rand(seed) % 150);
	snprintf(ehk, 40, "%u", next_rand(seed) % 40);
	x.key = key;
	x.keylen = strlen(key);
	x.ehk = i % 3 ? NULL : ehk;
	x.ehklen = x.ehk ? strlen(ehk) : 0;
	x.len = i % 7 ? next_rand(seed) % 300 : lens[i % 10];
	x.data = data + next_rand(seed) % 1000;
	x.keyhash = 0;
	return x;
}

static void
builder_tests(struct kpl_agg *a)
{
	struct kpl_builder kb;
	struct buf out = BUF_INIT, data = BUF_INIT;
	struct cs_err err;
	/* the wire bytes, worked out by hand from the .proto: tables first, then records */
	static const unsigned char want[] = {
		0x0a, 0x02, 'k', '1', 0x0a, 0x02, 'k', '2',   /* partition_key_table */
		0x12, 0x01, '5',                              /* explicit_hash_key_table */
		0x1a, 0x05, 0x08, 0x00, 0x1a, 0x01, 'a',      /* Record{0, data "a"} */
		0x1a, 0x08, 0x08, 0x01, 0x10, 0x00, 0x1a, 0x02, 'b', 'c', /* Record{1, ehk 0, "bc"} */
		0x1a, 0x05, 0x08, 0x00, 0x1a, 0x01, 'd',      /* k1 again: no new table entry */
	};
	struct kpl_record r[3] = {
		{ "k1", 2, NULL, 0, "a", 1, 0 },
		{ "k2", 2, "5", 1, "bc", 2, 0 },
		{ "k1", 2, NULL, 0, "d", 1, 0 },
	};
	unsigned char md[16];
	unsigned mdlen;
	unsigned long long seed = 42;
	size_t i, predicted, ok_sizes = 0, n;
	int same;

	kpl_builder_init(&kb);
	is_int(kpl_builder_size(&kb), KPL_OVERHEAD, "an empty builder weighs the magic and the digest");
	for (i = 0; i < 3; i++) {
		predicted = kpl_builder_size_with(&kb, &r[i]);
		kpl_builder_add(&kb, &r[i]);
		is_int(kpl_builder_size(&kb), predicted, "size predicted exactly before record %zu", i);
	}
	kpl_builder_finish(&kb, &out);
	is_int(out.len, KPL_OVERHEAD + sizeof want, "finished aggregate has the predicted size");
	ok(out.len == KPL_OVERHEAD + sizeof want && memcmp(out.data, KPL_MAGIC, 4) == 0 &&
	    memcmp(out.data + 4, want, sizeof want) == 0, "protobuf bytes as the .proto lays them out");
	EVP_Digest(want, sizeof want, md, &mdlen, EVP_md5(), NULL);
	ok(out.len >= 16 && memcmp(out.data + out.len - 16, md, 16) == 0, "trailer is the MD5 of the protobuf");

	/* reset and reuse: the tables start over */
	kpl_builder_reset(&kb);
	is_int(kpl_builder_size(&kb), KPL_OVERHEAD, "reset empties it");
	kpl_builder_add(&kb, &r[1]);
	buf_reset(&out);
	kpl_builder_finish(&kb, &out);
	ok(kpl_deaggregate(out.data, out.len, a, &err) == 0 && a->n == 1 && a->nkeys == 1 &&
	    a->rec[0].keylen == 2 && memcmp(a->rec[0].key, "k2", 2) == 0 && a->rec[0].ehklen == 1,
	    "after a reset: one record, its key at index 0");

	/* many records, sizes across the varint boundaries (127/128, 16383/16384) */
	kpl_builder_reset(&kb);
	buf_reset(&data);
	for (i = 0; i < 20000; i++)
		buf_addc(&data, (char)next_rand(&seed));
	n = 300;
	for (i = 0; i < n; i++) {
		char key[40], ehk[40];
		struct kpl_record x = gen_record(&seed, i, data.data, key, ehk);

		predicted = kpl_builder_size_with(&kb, &x);
		kpl_builder_add(&kb, &x);
		ok_sizes += kpl_builder_size(&kb) == predicted;
	}
	is_int(ok_sizes, n, "every size predicted exactly (keys new and repeated, long data)");
	buf_reset(&out);
	kpl_builder_finish(&kb, &out);
	is_int(out.len, kpl_builder_size(&kb), "finished size");
	ok(kpl_deaggregate(out.data, out.len, a, &err) == 0 && a->n == n, "it splits into %zu", n);
	ok(a->nkeys <= 150 && a->nkeys > 100, "each key once in the table (%zu)", a->nkeys);

	/* the same records again from the seed: each one back, in order */
	seed = 42;
	for (i = 0; i < 20000; i++)
		next_rand(&seed);
	same = a->n == n;
	for (i = 0; same && i < n; i++) {
		char key[40], ehk[40];
		struct kpl_record x = gen_record(&seed, i, data.data, key, ehk);

		same = a->rec[i].keylen == x.keylen && memcmp(a->rec[i].key, key, x.keylen) == 0 &&
		    a->rec[i].len == x.len && memcmp(a->rec[i].data, x.data, x.len) == 0 &&
		    (x.ehk ? a->rec[i].ehklen == x.ehklen && memcmp(a->rec[i].ehk, ehk, x.ehklen) == 0 :
		    a->rec[i].ehk == NULL);
		if (!same)
			printf("# record %zu differs\n", i);
	}
	ok(same, "every record back with its key, explicit hash key and data");

	/*
	 * The caller's hash of each key (kpl_record.keyhash) files the keys
	 * and changes no byte: a good one, and one that is the same for every
	 * key (every lookup a collision, told apart by the bytes).
	 */
	for (int how = 0; how < 2; how++) {
		struct kpl_builder kh;
		struct buf out2 = BUF_INIT;

		kpl_builder_init(&kh);
		seed = 42;
		for (i = 0; i < 20000; i++)
			next_rand(&seed);
		ok_sizes = 0;
		for (i = 0; i < n; i++) {
			char key[40], ehk[40];
			struct kpl_record x = gen_record(&seed, i, data.data, key, ehk);
			unsigned char kmd[16];
			uint64_t h;

			EVP_Digest(key, strlen(key), kmd, &mdlen, EVP_md5(), NULL);
			memcpy(&h, kmd + 8, 8);
			x.keyhash = how ? 0x5a5a5a5a00000000ull : h;
			predicted = kpl_builder_size_with(&kh, &x);
			kpl_builder_add(&kh, &x);
			ok_sizes += kpl_builder_size(&kh) == predicted;
		}
		kpl_builder_finish(&kh, &out2);
		is_int(ok_sizes, n, "given hashes (%s): every size predicted exactly", how ? "all the same" : "MD5");
		ok(out2.len == out.len && memcmp(out2.data, out.data, out.len) == 0,
		    "given hashes (%s): the same bytes as the builder's own", how ? "all the same" : "MD5");
		kpl_builder_free(&kh);
		buf_free(&out2);
	}
	kpl_builder_free(&kb);
	buf_free(&out);
	buf_free(&data);
}

int
main(void)
{
	struct kpl_record in[3] = {
		{ "k1", 2, NULL, 0, "{\"a\":1}", 7, 0 },
		{ "k2", 2, "123", 3, "", 0, 0 },
		{ "k1", 2, NULL, 0, "\x00\xff\x01", 3, 0 },
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
	builder_tests(&a);
	kpl_agg_free(&a);
	buf_free(&b);
	return done_testing();
}
