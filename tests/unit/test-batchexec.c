/*
 * test-batchexec.c - the --exec batch runner with a real shell: a batch
 * on the command's standard input, its environment, retries with their
 * count, the on-failure line (to a file, or to the log without one), and
 * bisection down to the one record that fails.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batchexec.h"
#include "tap.h"

static char dir[] = "/tmp/cs-test-batchexec.XXXXXX";

struct seen {
	int done;
	size_t failed;
};

static void
on_done(void *ctx, struct batchexec_batch *b)
{
	struct seen *s = ctx;

	s->done++;
	s->failed += b->failed;
	batchexec_batch_free(b);
	free(b);
}

static struct buf logged = BUF_INIT;

static int
on_log(void *ctx, const char *line, size_t len)
{
	(void)ctx;
	buf_add(&logged, line, len);
	buf_addc(&logged, '\n');
	return 0;
}

/* poll the runner until it has nothing left, at most 10 s */
static void
drain(struct batchexec_runner *r)
{
	struct cs_err err;
	int fatal = 0, i;

	for (i = 0; i < 1000; i++) {
		int w = batchexec_poll(r, &fatal, &err);
		struct pollfd p = { batchexec_fd(r), POLLIN, 0 };

		if (!batchexec_busy(r) || fatal)
			break;
		poll(&p, 1, w < 0 || w > 10 ? 10 : w);
	}
}

static struct batchexec_batch *
batch(const char *const *lines, size_t n)
{
	struct batchexec_batch *b = cs_malloc(sizeof *b);
	char seq[32];
	size_t i;

	batchexec_batch_init(b, "shardId-000000000001");
	for (i = 0; i < n; i++) {
		snprintf(seq, sizeof seq, "%zu", 100 + i);
		batchexec_batch_add(b, lines[i], strlen(lines[i]), seq, -1, 1);
	}
	return b;
}

static char *
slurp(const char *name)
{
	static char text[8192];
	char path[256];
	FILE *f;
	size_t n;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	text[0] = '\0';
	if (!(f = fopen(path, "r")))
		return text;
	n = fread(text, 1, sizeof text - 1, f);
	text[n] = '\0';
	fclose(f);
	return text;
}

int
main(void)
{
	static const char *const lines[] = { "{\"n\":1}\n", "{\"n\":2}\n", "{\"bad\":3}\n", "{\"n\":4}\n" };
	struct batchexec_config cfg;
	struct batchexec_runner *r;
	struct seen s;
	struct cs_err err;
	char cmd[512], fail[300];

	if (!mkdtemp(dir))
		return 1;

	/* delivered: the lines on stdin, the environment set */
	memset(&cfg, 0, sizeof cfg);
	snprintf(cmd, sizeof cmd, "cat >>'%s/out'; echo \"$CS_STREAM $CS_SHARD_ID $CS_BATCH_SIZE "
	    "$CS_FIRST_SEQUENCE $CS_LAST_SEQUENCE $CS_ATTEMPT\" >>'%s/env'", dir, dir);
	cfg.cmd = cmd;
	cfg.stream = "click-stream";
	cfg.parallel = 2;
	cfg.backoff_ms = 1;
	r = batchexec_new(&cfg, &err);
	ok(r != NULL, "a runner");
	if (!r)
		return done_testing();
	memset(&s, 0, sizeof s);
	batchexec_submit(r, batch(lines, 2), on_done, NULL, &s);
	drain(r);
	ok(s.done == 1 && s.failed == 0, "one batch done, nothing failed");
	is_str(slurp("out"), "{\"n\":1}\n{\"n\":2}\n", "the command read the batch's lines");
	is_str(slurp("env"), "click-stream shardId-000000000001 2 100 101 1\n",
	    "stream, shard, size, first and last sequence number, attempt");
	is_int(batchexec_stats(r)->runs, 1, "one run");
	ok(batchexec_free(r, &err) == 0, "freed");

	/* failing: retried, then the on-failure line */
	snprintf(fail, sizeof fail, "%s/failed", dir);
	cfg.cmd = "cat >/dev/null; exit 3";
	cfg.max_retries = 2;
	cfg.on_failure = fail;
	r = batchexec_new(&cfg, &err);
	memset(&s, 0, sizeof s);
	batchexec_submit(r, batch(lines, 2), on_done, NULL, &s);
	drain(r);
	ok(s.done == 1 && s.failed == 2, "the batch done, its 2 records failed");
	is_int(batchexec_stats(r)->runs, 3, "1 + 2 runs");
	is_int(batchexec_stats(r)->reruns, 2, "2 of them re-runs");
	ok(strstr(slurp("failed"), "\"count\":2") && strstr(slurp("failed"), "{\"n\":2}"),
	    "the on-failure line holds the records");
	ok(batchexec_free(r, &err) == 0, "freed");

	/* bisect: only the bad record fails */
	cfg.cmd = "! grep -q bad";
	cfg.max_retries = 0;
	cfg.bisect = 1;
	cfg.on_failure = NULL;
	cfg.failure_log.fn = on_log;
	r = batchexec_new(&cfg, &err);
	memset(&s, 0, sizeof s);
	batchexec_submit(r, batch(lines, 4), on_done, NULL, &s);
	drain(r);
	ok(s.done == 1 && s.failed == 1, "bisected: 1 of 4 records failed");
	ok(strstr(logged.data ? logged.data : "", "\"count\":1") &&
	    strstr(logged.data, "{\"bad\":3}") && !strstr(logged.data, "{\"n\":1}"),
	    "without a file the failure line goes to the log, the bad record alone");
	ok(logged.len && logged.data[logged.len - 1] == '\n' &&
	    !memchr(logged.data, '\n', logged.len - 1), "one line");
	ok(batchexec_free(r, &err) == 0, "freed");

	/* a shutdown abandons what waits */
	cfg.cmd = "cat >/dev/null";
	cfg.parallel = 1;
	r = batchexec_new(&cfg, &err);
	memset(&s, 0, sizeof s);
	batchexec_submit(r, batch(lines, 1), on_done, NULL, &s);
	batchexec_submit(r, batch(lines, 1), on_done, NULL, &s);
	batchexec_drain(r);
	drain(r);
	ok(s.done == 2, "both batches done (%d), the queued one abandoned", s.done);
	ok(batchexec_free(r, &err) == 0, "freed");

	buf_free(&logged);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 1;
	return done_testing();
}
