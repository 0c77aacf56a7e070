/*
 * test-putter-agg.c - the batching engine aggregating (dry-run mode, no
 * service, a map of four open shards): the records a shard out of
 * allowance holds back are not walked past again by every request built
 * for the other shards, and each key's order holds across shards (records
 * of one key on two shards by their explicit hash keys).
 */
#include <stdlib.h>
#include <string.h>

#include "aggpack.h"
#include "cs.h"
#include "putter.h"
#include "shardmap.h"
#include "shards4.h"
#include "tap.h"

#define MAXREC 4000

/* explicit hash keys inside shard 1's and shard 2's ranges */
#define EHK1 "42"
#define EHK2 "85070591730234615865843651857942052900"

struct seen {
	unsigned long batches, done, ok;
	uint64_t next_seq;
	int in_order;
	unsigned long batch_of[MAXREC];  /* by seq: the batch it went in (1-based) */
	char key_of[MAXREC][16];
};

static void
on_batch(void *arg, unsigned long no, const struct put_record *const *recs, size_t n, size_t bytes)
{
	struct seen *s = arg;
	size_t i;

	(void)bytes;
	s->batches++;
	for (i = 0; i < n; i++)
		if (recs[i]->seq < MAXREC) {
			s->batch_of[recs[i]->seq] = no;
			snprintf(s->key_of[recs[i]->seq], sizeof s->key_of[0], "%.*s",
			    (int)recs[i]->keylen, recs[i]->key);
		}
}

static void
on_done(void *arg, const struct put_record *rec, const struct put_result *res)
{
	struct seen *s = arg;

	if (rec->seq != s->next_seq)
		s->in_order = 0;
	s->next_seq++;
	s->done++;
	s->ok += res->ok;
}

static struct putter *
dry_agg(struct seen *s, struct shardmap *m)
{
	struct put_config cfg = { 0 };

	memset(s, 0, sizeof *s);
	s->in_order = 1;
	cfg.stream = "test";
	cfg.ordered = 1;
	cfg.ordered_keys = 1;
	cfg.aggregate_bytes = AGG_DEFAULT_BYTES;
	cfg.map = m;
	cfg.done = on_done;
	cfg.dry_run = on_batch;
	cfg.arg = s;
	return putter_new(&cfg, NULL);
}

/* a key whose hash key lies on shard SHARD (an index in the map), the Nth such */
static void
key_on(const struct shardmap *m, long shard, int n, char *out, size_t size)
{
	int i;

	for (i = 0;; i++) {
		snprintf(out, size, "k%d", i);
		if (shardmap_find(m, shardmap_key_hash(out, strlen(out))) == shard && n-- == 0)
			return;
	}
}

/* until every record is done (each shard paced to 1 MiB/s: a few seconds at most) */
static void
drain(struct putter *p)
{
	int i;

	putter_flush(p);
	for (i = 0; i < 400 && putter_outstanding(p); i++)
		putter_run(p, 20, -1);
}

/* 1 when the records of each key went in batches in input order */
static int
keys_in_order(const struct seen *s, unsigned long n)
{
	unsigned long i, j;

	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (strcmp(s->key_of[i], s->key_of[j]) == 0 && s->batch_of[j] < s->batch_of[i])
				return 0;
	return 1;
}

int
main(void)
{
	static struct seen s;
	struct shardmap m;
	struct putter *p;
	char data[1000], key[16];
	unsigned long i, n = 0, before;

	shardmap_init(&m);
	four_shards(&m);
	memset(data, 'x', sizeof data);

	/*
	 * 1,500 records of 1,000 bytes for shard 1 (more than its second's
	 * allowance: about 500 wait), then 100 for shard 2.  Shard 2's leave
	 * at once; and the builds that find shard 1 out of allowance do not
	 * walk past its waiting records each time.
	 */
	p = dry_agg(&s, &m);
	for (i = 0; i < 1500; i++, n++) {
		key_on(&m, 1, (int)(i % 50), key, sizeof key);
		putter_add(p, data, sizeof data, key, strlen(key), NULL, "t", n + 1, NULL);
	}
	for (i = 0; i < 100; i++, n++) {
		key_on(&m, 2, (int)(i % 10), key, sizeof key);
		putter_add(p, data, sizeof data, key, strlen(key), NULL, "t", n + 1, NULL);
	}
	putter_flush(p);
	for (i = 0; i < 20; i++)
		putter_run(p, 0, -1);
	for (i = 1500; i < 1600 && s.batch_of[i]; i++)
		;
	is_int(i, 1600, "shard 2's records left at once, past shard 1's waiting ones");
	ok(s.done < 1500, "shard 1's records wait for its allowance (%lu done)", s.done);
	before = putter_stats(p)->looked_at;
	ok(before < 2 * 1600, "20 turns looked at %lu records, not the waiting ones again each time",
	    before);
	drain(p);
	ok(s.done == 1600 && s.ok == 1600 && s.in_order, "every record delivered, DONE in input order");
	ok(keys_in_order(&s, 1600), "each key's records in order");
	putter_free(p);

	/*
	 * Key "e" on two shards by its explicit hash keys, while shard 1 is
	 * out of allowance: its records on shard 2 wait behind its earlier
	 * ones on shard 1 (the lists of shard 1 must be looked at then).
	 */
	p = dry_agg(&s, &m);
	n = 0;
	for (i = 0; i < 1100; i++, n++) {
		key_on(&m, 1, (int)(i % 50), key, sizeof key);
		putter_add(p, data, sizeof data, key, strlen(key), NULL, "t", n + 1, NULL);
	}
	for (i = 0; i < 20; i++, n++)
		putter_add(p, data, 100, "e", 1, i % 2 ? EHK2 : EHK1, "t", n + 1, NULL);
	drain(p);
	ok(s.done == n && s.ok == n && s.in_order, "every record delivered, DONE in input order");
	ok(s.batch_of[1100] > 1, "the first record of 'e' (on shard 1) waited for its allowance");
	ok(keys_in_order(&s, n), "the records of 'e' went in input order across its two shards");
	putter_free(p);

	/*
	 * Records on all four shards, shard 1's waiting for its allowance;
	 * the map read again (a reshard: the lists placed again), then a hard
	 * interrupt: every record not sent is rejected, all DONE in input
	 * order.  (The lists were once taken apart one record at a time,
	 * each time looking at every list.)
	 */
	p = dry_agg(&s, &m);
	n = 0;
	for (i = 0; i < 3000; i++, n++) {
		key_on(&m, i % 3 ? 1 : 1 + (long)(i % 4), (int)(i % 40), key, sizeof key);
		putter_add(p, data, sizeof data, key, strlen(key), NULL, "t", n + 1, NULL);
	}
	putter_flush(p);
	for (i = 0; i < 5; i++)
		putter_run(p, 0, -1);
	before = s.done;
	four_shards(&m);
	putter_run(p, 0, -1);
	putter_interrupt(p, 1);
	drain(p);
	ok(before < 3000 && s.done == 3000 && s.ok < 3000 && s.ok >= before && s.in_order,
	    "a reshard, then an interrupt: %lu delivered, the other %lu rejected, DONE in input order",
	    s.ok, 3000 - s.ok);
	putter_free(p);

	/* freed with records still pending: nothing read after it was freed (ASan) */
	p = dry_agg(&s, &m);
	for (i = 0; i < 3000; i++) {
		key_on(&m, 1, (int)(i % 40), key, sizeof key);
		putter_add(p, data, sizeof data, key, strlen(key), NULL, "t", i + 1, NULL);
	}
	putter_flush(p);
	putter_run(p, 0, -1);
	ok(s.done < 3000, "freed with %lu records outstanding", 3000 - s.done);
	putter_free(p);

	shardmap_free(&m);
	printf("1..%d\n", tap_n);
	return tap_failed != 0;
}
