/*
 * test-putinput.c - cs-put taking its input lines (no service): every line
 * ends delivered or rejected with its reason, a record paced by --rate is
 * held back and handed over on release; and --dry-run's shard placement
 * by explicit hash key.
 */
#include <string.h>

#include "putdry.h"
#include "putinput.h"
#include "putter.h"
#include "tap.h"

struct seen {
	unsigned long done, ok, rejected;
	char last_code[64];
};

static void
on_batch(void *arg, unsigned long no, const struct put_record *const *recs, size_t n, size_t bytes)
{
	(void)arg;
	(void)no;
	(void)recs;
	(void)n;
	(void)bytes;
}

static void
on_done(void *arg, const struct put_record *rec, const struct put_result *res)
{
	struct seen *s = arg;

	(void)rec;
	s->done++;
	if (res->ok) {
		s->ok++;
	} else {
		s->rejected++;
		snprintf(s->last_code, sizeof s->last_code, "%s", res->code);
	}
}

static void
drain(struct putter *p)
{
	int i;

	putter_flush(p);
	for (i = 0; i < 1000 && putter_outstanding(p); i++)
		putter_run(p, 0, -1);
}

#define L(s) s, strlen(s)

int
main(void)
{
	struct seen s = { 0 };
	struct put_config cfg = { 0 };
	struct putinput_config ic = { 0 };
	struct putinput pi;
	struct putter *p;
	struct cs_err err;
	char big[64];
	struct kinesis_shard sh[3] = {
		{ "closed", NULL, NULL, "0", "340282366920938463463374607431768211455", "1", "2" },
		{ "low", NULL, NULL, "0", "170141183460469231731687303715884105727", "1", NULL },
		{ "high", NULL, NULL, "170141183460469231731687303715884105728",
		  "340282366920938463463374607431768211455", "1", NULL },
	};
	struct put_record r = { 0 };

	cfg.stream = "test";
	cfg.done = on_done;
	cfg.dry_run = on_batch;
	cfg.arg = &s;
	p = putter_new(&cfg, NULL);
	cs_err_clear(&err);
	ic.p = p;
	ic.keys = putkey_new(".k", NULL, &err);
	ic.keyexpr = 1;
	ic.rate = 1;
	ok(ic.keys != NULL, "key expression .k");
	putinput_init(&pi, &ic);

	/* at 1 record a second: the first leaves now, the second is held */
	is_int(putinput_take(&pi, L("{\"k\":\"a\"}"), "t", 1, 1), 0, "first record handed over");
	is_int(putinput_held_due(&pi), 0, "nothing held");
	is_int(putinput_take(&pi, L("{\"k\":\"b\"}"), "t", 2, 1), 1, "second record held back");
	ok(putinput_held_due(&pi) > cs_now_ms(), "held until later");
	putinput_release(&pi);
	is_int(putinput_held_due(&pi), 0, "released: nothing held");
	/* not allowed to hold (a signal came): handed over at once */
	is_int(putinput_take(&pi, L("{\"k\":\"c\"}"), "t", 3, 0), 0, "third record handed over");
	/* bad lines are rejected with their reason */
	is_int(putinput_take(&pi, L("not json"), "t", 4, 0), 0, "bad line taken");
	memset(big, 'x', sizeof big);
	putinput_toolong(&pi, big, sizeof big, "t", 5, 2000000);
	drain(p);
	is_int(s.done, 5, "every line ends delivered or rejected");
	is_int(s.ok, 3, "three delivered");
	is_int(s.rejected, 2, "two rejected");
	is_str(s.last_code, "RecordTooLarge", "the long line's reason");
	putinput_free(&pi);
	putkey_free(ic.keys);
	putter_free(p);

	/* --dry-run placement by explicit hash key: open shards only */
	r.key = "k";
	r.keylen = 1;
	r.ehk = "0";
	is_str(putdry_shard_of(sh, 3, &r), "low", "hash key 0: the low open shard");
	r.ehk = "340282366920938463463374607431768211455";
	is_str(putdry_shard_of(sh, 3, &r), "high", "hash key 2^128-1: the high one");
	r.ehk = "x";
	is_str(putdry_shard_of(sh, 3, &r), "-", "not a number: no shard");
	r.ehk = "0";
	is_str(putdry_shard_of(NULL, 0, &r), "-", "shards unknown");
	r.ehk = NULL;
	ok(putdry_shard_of(sh, 3, &r)[0] != 'c', "by partition key: an open shard");
	return done_testing();
}
