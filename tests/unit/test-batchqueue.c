/*
 * test-batchqueue.c - cs-tail --exec's batching: one GetRecords answer of
 * 10,000 records cut into batches of 100, through a real command: every
 * record once, in order, the pieces of one record never split, and each
 * record copied once from the queue into its batch (a cut used to copy the
 * whole rest of the queue: some 500,000 copies for this answer).
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batchqueue.h"
#include "tap.h"

#define N 10000
#define SIZE 100

static unsigned long batches, records, bad_size, split;
static char last_seq[32];

static void
done(void *ctx, const struct batchexec_batch *b)
{
	(void)ctx;
	batches++;
	records += b->n;
	if (b->n > SIZE || b->n == 0)
		bad_size++;
	if (b->n && !b->it[b->n - 1].ck_ok)
		split++;
}

static void
checkpoint(void *ctx, const char *shard, const char *last, long last_subseq)
{
	(void)last_subseq;
	(void)ctx;
	(void)shard;
	snprintf(last_seq, sizeof last_seq, "%s", last);
}

static void
end(void *ctx, const char *shard)
{
	(void)ctx;
	(void)shard;
}

int
main(void)
{
	char dir[] = "/tmp/cs-test-batchqueue.XXXXXX", cmd[128], seq[32], line[64];
	struct batchexec_config bc = { 0 };
	struct batchqueue_config tc = { 0 };
	struct batchexec_runner *bx;
	struct batchqueue *tg;
	struct cs_err err;
	unsigned long i, pieces = 0;
	int fatal = 0, rounds = 0;
	FILE *f;

	if (!mkdtemp(dir))
		return 1;
	snprintf(cmd, sizeof cmd, "cat >>'%s/out'", dir);
	bc.cmd = cmd;
	bc.stream = "s";
	bc.parallel = 4;
	bc.backoff_ms = 200;
	bc.shell = "sh"; /* starts faster than bash; no pipeline here */
	cs_err_clear(&err);
	bx = batchexec_new(&bc, &err);
	ok(bx != NULL, "runner: %s", err.msg);
	if (!bx)
		return done_testing();
	tc.batch_size = SIZE;
	tc.stream = "s";
	tc.bx = bx;
	tc.done = done;
	tc.end = end;
	tc.checkpoint = checkpoint;
	tg = batchqueue_new(&tc);

	/* one answer: every 7th record is a KPL aggregate of three lines */
	batchqueue_begin(tg, "shardId-000000000000");
	for (i = 0; i < N; i++) {
		int k, n = i % 7 == 0 ? 3 : 1;

		snprintf(seq, sizeof seq, "%lu", 1000000 + i);
		for (k = 0; k < n; k++) {
			snprintf(line, sizeof line, "%lu.%d\n", i, k);
			batchqueue_add(tg, line, strlen(line), seq, k == n - 1 ? -1 : k, k == n - 1);
			pieces++;
		}
	}
	batchqueue_end(tg, 0);
	while ((batchexec_busy(bx) || records < pieces) && !fatal && rounds < 200000) {
		struct pollfd p = { batchexec_fd(bx), POLLIN, 0 };

		batchexec_poll(bx, &fatal, &err);
		batchqueue_tick(tg);
		poll(&p, 1, 5);
		rounds++;
	}
	ok(!fatal, "no fatal runner error: %s", err.msg);
	is_int(records, pieces, "every line in a batch once");
	ok(batches >= pieces / SIZE && batches <= pieces / SIZE + N / 7, "%lu batches", batches);
	is_int(bad_size, 0, "no batch over %d records", SIZE);
	is_int(split, 0, "no record's pieces split between batches");
	snprintf(seq, sizeof seq, "%lu", 1000000 + N - 1UL);
	ok(strcmp(last_seq, seq) == 0, "the last batch ends at the last record (%s)", last_seq);
	is_int(batchqueue_copied(tg), pieces, "each line copied once into its batch, not the queue at every cut");

	/* the command saw every line, in order */
	snprintf(cmd, sizeof cmd, "%s/out", dir);
	f = fopen(cmd, "r");
	ok(f != NULL, "the command's output");
	if (f) {
		unsigned long want_i = 0, bad = 0, got = 0;
		int want_k = 0;

		while (fgets(line, sizeof line, f)) {
			unsigned long gi;
			int gk;

			if (sscanf(line, "%lu.%d", &gi, &gk) != 2 || gi != want_i || gk != want_k)
				bad++;
			got++;
			if (++want_k == (want_i % 7 == 0 ? 3 : 1)) {
				want_k = 0;
				want_i++;
			}
		}
		fclose(f);
		is_int(got, pieces, "as many lines out as in");
		is_int(bad, 0, "in order");
	}
	batchqueue_free(tg);
	batchexec_free(bx, &err);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 1;
	return done_testing();
}
