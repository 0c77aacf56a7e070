/*
 * test-batchqueue-batches.c - cs-tail --exec's batching engine (lib/engines/batchqueue.h)
 * over a real runner: batches of batch_size in order, each shard one batch
 * at a time, the shard held once a whole batch waits; the sequence number
 * a checkpoint may move to after each batch; a KPL aggregate's pieces kept
 * together; the batch window; a closed shard's end after its last batch;
 * a shard dropped (its lease lost) while its batch runs.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "batchqueue.h"

static char dir[] = "/tmp/cs-test-batchqueue.XXXXXX";

struct seen {
	int batches, nck;
	size_t sizes[16];
	char last[16][32];
	int ends;
	char end_shard[64];
	int abandoned;
};

static void
on_done(void *ctx, const struct batchexec_batch *b)
{
	struct seen *s = ctx;

	if (s->batches < 16)
		s->sizes[s->batches] = b->n;
	s->batches++;
	s->abandoned += b->abandoned != 0;
}

/* the checkpoint may move: kept in the order told */
static void
on_checkpoint(void *ctx, const char *shard, const char *seq, long subseq)
{
	struct seen *s = ctx;

	(void)shard;
	(void)subseq;
	if (s->nck < 16)
		snprintf(s->last[s->nck], sizeof s->last[0], "%s", seq);
	s->nck++;
}

static void
on_end(void *ctx, const char *shard)
{
	struct seen *s = ctx;

	s->ends++;
	snprintf(s->end_shard, sizeof s->end_shard, "%s", shard);
}

/* run runner and trigger until nothing is left, at most 10 s */
static void
drive(struct batchexec_runner *r, struct batchqueue *tg)
{
	struct cs_err err;
	int fatal = 0, i;

	for (i = 0; i < 1000; i++) {
		int w = batchexec_poll(r, &fatal, &err), t = batchqueue_tick(tg);
		struct pollfd p = { batchexec_fd(r), POLLIN, 0 };

		if (t >= 0 && (w < 0 || t < w))
			w = t;
		if (!batchexec_busy(r) && t < 0)
			break;
		poll(&p, 1, w < 0 || w > 10 ? 10 : w);
	}
}

/* a line of record SEQ: a whole record (SUBSEQ -1), or piece SUBSEQ of an aggregate */
static void
add(struct batchqueue *tg, const char *seq, long subseq, int last_piece)
{
	char line[64];

	snprintf(line, sizeof line, "{\"seq\":%.40s}\n", seq);
	batchqueue_add(tg, line, strlen(line), seq, subseq, last_piece);
}

static struct batchqueue *
trigger(struct batchexec_runner *r, struct seen *s, unsigned size, unsigned window)
{
	struct batchqueue_config c;

	memset(&c, 0, sizeof c);
	memset(s, 0, sizeof *s);
	c.batch_size = size;
	c.batch_window = window;
	c.stream = "click-stream";
	c.bx = r;
	c.done = on_done;
	c.checkpoint = on_checkpoint;
	c.end = on_end;
	c.ctx = s;
	return batchqueue_new(&c);
}

int
main(void)
{
	struct batchexec_config bc;
	struct batchexec_runner *r;
	struct batchqueue *tg;
	struct seen s;
	struct cs_err err;
	char cmd[300], path[300], text[512];
	enum shardreader_verdict v;
	FILE *f;
	size_t n;
	uint64_t t0;
	int i, fatal;

	if (!mkdtemp(dir))
		return 1;
	memset(&bc, 0, sizeof bc);
	snprintf(cmd, sizeof cmd, "cat >>'%s/out'", dir);
	bc.cmd = cmd;
	bc.stream = "click-stream";
	bc.parallel = 4;
	bc.backoff_ms = 1;
	if (!(r = batchexec_new(&bc, &err)))
		return 1;

	/* 7 records, batches of 3 */
	tg = trigger(r, &s, 3, 0);
	batchqueue_begin(tg, "shardId-000000000000");
	for (i = 1; i <= 7; i++) {
		snprintf(text, sizeof text, "%d", i);
		add(tg, text, -1, 1);
	}
	v = batchqueue_end(tg, 0);
	is_int(v, SHARDREADER_HOLD, "a whole batch waits behind the running one: the shard is held");
	drive(r, tg);
	is_int(s.batches, 3, "three batches");
	ok(s.sizes[0] == 3 && s.sizes[1] == 3 && s.sizes[2] == 1, "of 3, 3 and 1 records");
	ok(strcmp(s.last[0], "3") == 0 && strcmp(s.last[1], "6") == 0 && strcmp(s.last[2], "7") == 0,
	    "the checkpoint may move to 3, 6, 7");
	snprintf(path, sizeof path, "%s/out", dir);
	f = fopen(path, "r");
	n = f ? fread(text, 1, sizeof text - 1, f) : 0;
	text[n] = '\0';
	if (f)
		fclose(f);
	is_str(text, "{\"seq\":1}\n{\"seq\":2}\n{\"seq\":3}\n{\"seq\":4}\n{\"seq\":5}\n{\"seq\":6}\n"
	    "{\"seq\":7}\n", "the command saw every line once, in order");
	is_int(s.ends, 0, "an open shard does not end");
	batchqueue_free(tg);

	/* a KPL aggregate's pieces stay together; few records: read on */
	tg = trigger(r, &s, 2, 0);
	batchqueue_begin(tg, "shardId-000000000000");
	add(tg, "10", 0, 0);
	add(tg, "10", 1, 1);
	add(tg, "11", -1, 1);
	v = batchqueue_end(tg, 0);
	is_int(v, SHARDREADER_CONTINUE, "less than a batch waits: read on");
	drive(r, tg);
	ok(s.batches == 2 && s.sizes[0] == 2 && s.sizes[1] == 1, "the aggregate's two pieces in one batch");
	ok(strcmp(s.last[0], "10") == 0 && strcmp(s.last[1], "11") == 0, "checkpoints after whole records");
	batchqueue_free(tg);

	/* the batch window: a small batch waits for it, then goes */
	tg = trigger(r, &s, 100, 150);
	batchqueue_begin(tg, "shardId-000000000000");
	add(tg, "20", -1, 1);
	batchqueue_end(tg, 0);
	i = batchqueue_tick(tg);
	ok(i > 0 && i <= 150, "waiting for the window (%d ms left)", i);
	is_int(s.batches, 0, "nothing sent yet");
	usleep(200 * 1000);
	drive(r, tg);
	is_int(s.batches, 1, "sent once the window passed");
	batchqueue_free(tg);

	/* a closed shard: its end once its last batch is done */
	tg = trigger(r, &s, 10, 0);
	batchqueue_begin(tg, "shardId-000000000009");
	add(tg, "30", -1, 1);
	v = batchqueue_end(tg, 1);
	is_int(v, SHARDREADER_HOLD, "the shard's end is held until its last batch is done");
	is_int(s.ends, 0, "not ended yet");
	drive(r, tg);
	ok(s.batches == 1 && s.ends == 1 && strcmp(s.end_shard, "shardId-000000000009") == 0,
	    "ended after its last batch");
	batchqueue_free(tg);

	/* stopped: nothing more is started */
	tg = trigger(r, &s, 1, 0);
	batchqueue_stop(tg);
	batchqueue_begin(tg, "shardId-000000000000");
	add(tg, "40", -1, 1);
	batchqueue_end(tg, 0);
	drive(r, tg);
	is_int(s.batches, 0, "after batchqueue_stop no batch starts");
	batchqueue_free(tg);

	batchexec_free(r, &err);

	/*
	 * The lease lost while its batch runs: the command is killed at once,
	 * the batch comes back abandoned, what was queued behind it never runs,
	 * and no checkpoint moves.  Taken again, the shard goes on from the
	 * records it is given again.
	 */
	bc.cmd = "if grep -q slow; then sleep 30; fi";
	if (!(r = batchexec_new(&bc, &err)))
		return 1;
	tg = trigger(r, &s, 2, 0);
	batchqueue_begin(tg, "shardId-000000000001");
	batchqueue_add(tg, "{\"slow\":50}\n", 12, "50", -1, 1);
	add(tg, "51", -1, 1);
	add(tg, "52", -1, 1);
	batchqueue_end(tg, 0);
	batchexec_poll(r, &fatal, &err);
	is_int(batchexec_running(r), 1, "the batch of 50 and 51 runs");
	t0 = cs_now_ms();
	batchqueue_drop(tg, "shardId-000000000001");
	is_int(batchexec_running(r), 0, "its shard dropped: the command killed at once");
	drive(r, tg);
	ok(s.batches == 1 && s.abandoned == 1, "the batch handed back abandoned, 52 never run "
	    "(%d batches, %d abandoned)", s.batches, s.abandoned);
	is_int(s.nck, 0, "no checkpoint moved");
	ok(cs_now_ms() - t0 < 5000, "not waited for (%llu ms)", (unsigned long long)(cs_now_ms() - t0));
	batchqueue_begin(tg, "shardId-000000000001");
	add(tg, "50", -1, 1);
	add(tg, "51", -1, 1);
	batchqueue_end(tg, 0);
	drive(r, tg);
	ok(s.batches == 2 && s.abandoned == 1 && s.nck == 1 && strcmp(s.last[0], "51") == 0,
	    "taken again: the records read again delivered, the checkpoint after 51");
	batchqueue_free(tg);
	batchexec_free(r, &err);

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 1;
	return done_testing();
}
