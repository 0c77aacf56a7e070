/* test-aggpack.c - user records packed into KPL aggregates, one shard at a time. */
#include <stdlib.h>
#include <string.h>

#include "aggpack.h"
#include "kpl.h"
#include "shardmap.h"
#include "shards4.h"
#include "tap.h"

struct urec {
	char key[32];
	char ehk[48];
	char data[300];
	size_t len;
	int seen;
};

int
main(void)
{
	struct shardmap m;
	struct aggpack *p;
	static struct urec u[3000];
	struct kpl_agg a;
	struct cs_err err;
	size_t i, j, n = 3000, sum = 0, users = 0, bad_place = 0, bad_cost = 0, over = 0, plain = 0;
	size_t entries_predicted = 0;
	unsigned long long seed = 7;

	shardmap_init(&m);
	four_shards(&m);
	is_int(m.n, 4, "four open shards in the map, the closed one left out");
	ok(shardmap_find(&m, 0) == 1, "hash 0 on the first open shard");
	ok(shardmap_find(&m, ~(u128)0) == 4, "the largest hash on the last");
	{
		u128 h;

		u128_parse_dec("170141183460469231731687303715884105728", 39, &h);
		ok(shardmap_find(&m, h) == 3 && shardmap_find(&m, h - 1) == 2, "a range's first hash is its own");
	}
	ok(shardmap_by_id(&m, "shardId-000000000003") == 3, "by id");

	p = aggpack_new(4000);
	kpl_agg_init(&a);
	aggpack_begin(p, &m);
	for (i = 0; i < n; i++) {
		struct agg_user x = { 0 };
		int ne;
		size_t growth, before_n = aggpack_count(p), before_b = aggpack_bytes(p);

		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		snprintf(u[i].key, sizeof u[i].key, "10.0.%u.%u", (unsigned)(seed >> 40) % 8,
		    (unsigned)(seed >> 50) % 200);
		u[i].len = i % 500 == 7 ? 5000 : 20 + (seed >> 33) % 250;  /* some over the limit alone */
		memset(u[i].data, 'a' + (int)(i % 26), sizeof u[i].data);
		snprintf(u[i].data, sizeof u[i].data, "{\"n\":%zu}", i);
		x.key = u[i].key;
		x.keylen = strlen(u[i].key);
		x.ehk = NULL;
		if (i % 10 == 3) {
			u128_fmt_dec(u[i].ehk, (u128)seed << 64 | seed);
			x.ehk = u[i].ehk;
		}
		x.data = u[i].len > sizeof u[i].data ? NULL : u[i].data;
		if (!x.data) {
			static char big[5000];

			memset(big, 'z', sizeof big);
			x.data = big;
		}
		x.len = u[i].len;
		x.ctx = &u[i];
		aggpack_cost(p, &x, &ne, &growth);
		aggpack_add(p, &x);
		if (aggpack_count(p) != before_n + (size_t)ne || aggpack_bytes(p) != before_b + growth)
			bad_cost++;
		entries_predicted += (size_t)ne;
	}
	is_int(bad_cost, 0, "every cost foretold: new entry or not, and the bytes");
	ok(aggpack_count(p) < n / 10, "%zu records in %zu Kinesis records", n, aggpack_count(p));
	for (i = 0; i < aggpack_count(p); i++) {
		struct agg_entry e;
		void *ctx[3000];
		u128 eh;

		aggpack_entry(p, i, &e, ctx);
		sum += e.len + e.keylen;
		users += e.n;
		if (e.n == 1) {
			struct urec *r = ctx[0];

			plain++;
			if (e.len != r->len || strcmp(e.key, r->key) != 0)
				bad_place++;
			if (r->len > 4000)
				over++;
			r->seen++;
			continue;
		}
		if (e.len > 4000)
			bad_place++;
		if (strcmp(e.key, "a") != 0 || !e.ehk || u128_parse_dec(e.ehk, strlen(e.ehk), &eh) != 0 ||
		    !shardmap_holds(&m, (size_t)e.shard, eh))
			bad_place++;
		if (kpl_deaggregate(e.data, e.len, &a, &err) != 0 || a.n != e.n) {
			bad_place++;
			continue;
		}
		for (j = 0; j < a.n; j++) {
			struct urec *r = ctx[j];
			u128 h;

			h = a.rec[j].ehk ? 0 : shardmap_key_hash(a.rec[j].key, a.rec[j].keylen);
			if (a.rec[j].ehk)
				u128_parse_dec(a.rec[j].ehk, a.rec[j].ehklen, &h);
			if (!shardmap_holds(&m, (size_t)e.shard, h) || a.rec[j].keylen != strlen(r->key) ||
			    memcmp(a.rec[j].key, r->key, a.rec[j].keylen) != 0 || a.rec[j].len != r->len)
				bad_place++;
			r->seen++;
		}
	}
	is_int(bad_place, 0, "every user record of an aggregate on the aggregate's shard, the aggregate's hash key there too");
	is_int(users, n, "every user record in one entry");
	for (i = 0, j = 0; i < n; i++)
		j += u[i].seen == 1;
	is_int(j, n, "each exactly once");
	is_int(sum, aggpack_bytes(p), "the request's bytes add up");
	is_int(over, 6, "the records over the limit alone are sent alone, plain");
	ok(plain >= over, "plain entries: %zu", plain);

	/* without a map nothing is aggregated */
	aggpack_begin(p, NULL);
	for (i = 0; i < 10; i++) {
		struct agg_user x = { u[i].key, strlen(u[i].key), NULL, u[i].data, 10, &u[i], NULL, NULL };

		aggpack_add(p, &x);
	}
	is_int(aggpack_count(p), 10, "no map: ten plain records");
	/* the same key ten times, one shard: one aggregate; a second request starts afresh */
	aggpack_begin(p, &m);
	for (i = 0; i < 10; i++) {
		struct agg_user x = { "k", 1, NULL, u[i].data, 10, &u[i], NULL, NULL };

		aggpack_add(p, &x);
	}
	is_int(aggpack_count(p), 1, "one key: one aggregate");
	{
		struct agg_entry e;

		aggpack_entry(p, 0, &e, NULL);
		ok(e.n == 10 && kpl_deaggregate(e.data, e.len, &a, &err) == 0 && a.n == 10 && a.nkeys == 1,
		    "ten user records, the key once in the table");
	}
	/*
	 * the same key with and without an explicit hash key (the key's own
	 * MD5, so the same shard): one aggregate, the key once in its table
	 */
	aggpack_begin(p, &m);
	{
		char ehk[40];
		struct agg_user x = { "k", 1, NULL, "x", 1, &u[0], NULL, NULL };
		struct agg_user y = { "k", 1, ehk, "y", 1, &u[1], NULL, NULL };
		struct agg_entry e;

		u128_fmt_dec(ehk, shardmap_key_hash("k", 1));
		aggpack_add(p, &x);
		aggpack_add(p, &y);
		aggpack_add(p, &x);
		aggpack_entry(p, 0, &e, NULL);
		ok(aggpack_count(p) == 1 && e.n == 3, "a key with and without an explicit hash key: one aggregate");
		ok(kpl_deaggregate(e.data, e.len, &a, &err) == 0 && a.n == 3 && a.nkeys == 1 && a.nehks == 1,
		    "and the key once in its table");
	}
	/* one record: plain, with its own key and explicit hash key */
	aggpack_begin(p, &m);
	{
		struct agg_user x = { "k", 1, "12345", "{}", 2, NULL, NULL, NULL };
		struct agg_entry e;

		aggpack_add(p, &x);
		aggpack_entry(p, 0, &e, NULL);
		ok(e.n == 1 && e.len == 2 && memcmp(e.data, "{}", 2) == 0 && strcmp(e.key, "k") == 0 &&
		    e.ehk && strcmp(e.ehk, "12345") == 0, "an aggregate of one is the plain record");
	}
	aggpack_free(p);
	kpl_agg_free(&a);
	shardmap_free(&m);

	/* the hash keys of many partition keys at once, as one by one */
	{
		char keys[21][24];
		const char *kp[21];
		size_t lens[21], k, same = 0;
		u128 h[21];

		for (k = 0; k < 21; k++) {
			snprintf(keys[k], sizeof keys[k], "%zu.%zu.key-%zu", k * 7, k * k, k);
			kp[k] = keys[k];
			lens[k] = k == 3 ? 0 : strlen(keys[k]);
		}
		shardmap_key_hashes(kp, lens, 21, h);
		for (k = 0; k < 21; k++)
			same += h[k] == shardmap_key_hash(kp[k], lens[k]);
		is_int(same, 21, "21 keys hashed together: each as alone");
	}
	return done_testing();
}
