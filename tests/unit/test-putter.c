/*
 * test-putter.c - the batching engine in dry-run mode (no service):
 * batch limits (500 records, 5 MiB), record limits (1 MiB, key of 1 to 256
 * characters, explicit hash key), DONE once per record in input order;
 * and the helpers of partition keys: the default key, 128-bit decimals, UTF-8 length.
 */
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "putkey.h"
#include "putter.h"
#include "u128.h"
#include "tap.h"

struct seen {
	unsigned long batches;
	size_t sizes[64];
	size_t bytes[64];
	unsigned long done, ok, rejected;
	uint64_t next_seq;
	int in_order;
	char last_code[64];
};

static void
on_batch(void *arg, unsigned long no, const struct put_record *const *recs, size_t n, size_t bytes)
{
	struct seen *s = arg;

	(void)recs;
	(void)no;
	if (s->batches < 64) {
		s->sizes[s->batches] = n;
		s->bytes[s->batches] = bytes;
	}
	s->batches++;
}

static void
on_done(void *arg, const struct put_record *rec, const struct put_result *res)
{
	struct seen *s = arg;

	if (rec->seq != s->next_seq)
		s->in_order = 0;
	s->next_seq++;
	s->done++;
	if (res->ok) {
		s->ok++;
	} else {
		s->rejected++;
		snprintf(s->last_code, sizeof s->last_code, "%s", res->code);
	}
}

static struct putter *
dry(struct seen *s, unsigned max_records, int ordered)
{
	struct put_config cfg = { 0 };

	memset(s, 0, sizeof *s);
	s->in_order = 1;
	cfg.stream = "test";
	cfg.ordered = ordered;
	cfg.max_records = max_records;
	cfg.done = on_done;
	cfg.dry_run = on_batch;
	cfg.arg = s;
	return putter_new(&cfg, NULL);
}

static void
drain(struct putter *p)
{
	int i;

	putter_flush(p);
	for (i = 0; i < 1000 && putter_outstanding(p); i++)
		putter_run(p, 0, -1);
}

int
main(void)
{
	struct seen s;
	struct putter *p;
	char *big = malloc(PUT_MAX_RECORD_BYTES + 10);
	char key[300];
	unsigned long i;

	/* 1,200 small records: 500 + 500 + 200 */
	p = dry(&s, 0, 1);
	for (i = 0; i < 1200; i++) {
		while (!putter_accepting(p))
			putter_run(p, 0, -1);
		putter_add(p, "{\"a\":1}", 7, "k", 1, NULL, "t", i + 1, NULL);
	}
	drain(p);
	is_int(s.batches, 3, "1,200 records make 3 batches");
	ok(s.sizes[0] == 500 && s.sizes[1] == 500 && s.sizes[2] == 200, "of 500, 500 and 200 records");
	ok(s.done == 1200 && s.ok == 1200 && s.in_order, "DONE once per record, in input order");
	putter_free(p);

	/* 6 records of 1 MiB (data + key): 5 fit in 5 MiB, then 1 */
	memset(big, 'x', PUT_MAX_RECORD_BYTES + 10);
	p = dry(&s, 0, 1);
	for (i = 0; i < 6; i++)
		putter_add(p, big, PUT_MAX_RECORD_BYTES - 1, "k", 1, NULL, "t", i + 1, NULL);
	drain(p);
	is_int(s.batches, 2, "six 1 MiB records make 2 batches");
	ok(s.sizes[0] == 5 && s.bytes[0] == 5u * PUT_MAX_RECORD_BYTES, "the first holds 5 MiB exactly");
	putter_free(p);

	/* limits of one record */
	p = dry(&s, 0, 0);
	putter_add(p, big, PUT_MAX_RECORD_BYTES, "k", 1, NULL, "t", 1, NULL);
	is_str(s.last_code, "RecordTooLarge", "1 MiB of data and a key is too large");
	putter_add(p, "x", 1, "", 0, NULL, "t", 2, NULL);
	is_str(s.last_code, "InvalidPartitionKey", "an empty key is rejected");
	memset(key, 'k', sizeof key);
	putter_add(p, "x", 1, key, 257, NULL, "t", 3, NULL);
	is_str(s.last_code, "InvalidPartitionKey", "a key of 257 characters is rejected");
	s.last_code[0] = '\0';
	putter_add(p, "x", 1, key, 256, NULL, "t", 4, NULL);
	putter_add(p, "x", 1, "\xc3\xbc\xc3\xbc", 4, NULL, "t", 5, NULL);
	is_str(s.last_code, "", "256 characters pass; characters are counted, not bytes");
	putter_add(p, "x", 1, "k", 1, "340282366920938463463374607431768211456", "t", 6, NULL);
	is_str(s.last_code, "InvalidExplicitHashKey", "an explicit hash key of 2^128 is rejected");
	s.last_code[0] = '\0';
	putter_add(p, "x", 1, "k", 1, "340282366920938463463374607431768211455", "t", 7, NULL);
	is_str(s.last_code, "", "2^128-1 passes");
	drain(p);
	ok(s.done == 7 && s.rejected == 4, "every record has its fate");
	putter_free(p);

	/* in input order, rejects included */
	p = dry(&s, 0, 1);
	putter_add(p, "x", 1, "k", 1, NULL, "t", 1, NULL);
	putter_add(p, "x", 1, "", 0, NULL, "t", 2, NULL);
	putter_add(p, "x", 1, "k", 1, NULL, "t", 3, NULL);
	is_int(s.done, 0, "a reject waits for the records before it");
	drain(p);
	ok(s.done == 3 && s.rejected == 1 && s.in_order, "rejected and sent records come out in input order");
	putter_free(p);

	/* --batch-size */
	p = dry(&s, 7, 1);
	for (i = 0; i < 20; i++)
		putter_add(p, "x", 1, "k", 1, NULL, "t", i + 1, NULL);
	drain(p);
	ok(s.batches == 3 && s.sizes[0] == 7 && s.sizes[2] == 6, "a batch size of 7: 7, 7, 6");
	putter_free(p);

	/* the default key (putkey), 128-bit decimals (u128), UTF-8 length (json) */
	{
		char k1[17], k2[17];
		u128 v;
		char d[40];

		putkey_default_key(k1, "abc", 3);
		putkey_default_key(k2, "abd", 3);
		ok(strlen(k1) == 16 && strcmp(k1, k2) != 0, "default keys: 16 hex digits, differ");
		ok(u128_parse_dec("0", 1, &v) == 0 && v == 0, "decimal 0");
		ok(u128_parse_dec("12a", 3, &v) != 0 && u128_parse_dec("", 0, &v) != 0, "bad decimals");
		u128_parse_dec("340282366920938463463374607431768211455", 39, &v);
		u128_fmt_dec(d, v);
		is_str(d, "340282366920938463463374607431768211455", "2^128-1 round trip");
		is_int(utf8_len("a\xc3\xbc\xe6\x97\xa5", 6), 3, "UTF-8 characters counted");
	}

	free(big);
	printf("1..%d\n", tap_n);
	return tap_failed != 0;
}
