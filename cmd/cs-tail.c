/*
 * cs-tail - a Kinesis stream out as NDJSON: every shard, in lineage order,
 * resumable from a checkpoint, or batch by batch through a command
 * (--exec, the sample's Lambda trigger).
 *
 * One loop: the shard reader (lib/engines/shardreader.c) starts requests,
 * aws_run() waits for answers or a child's end.  The answers' records go
 * to on_records_print, which writes them, or with --exec straight to the
 * trigger (lib/engines/batchqueue.c), which formats and batches them for the
 * runner (lib/engines/batchexec.c); this file only wires them together
 * and counts.  The checkpoint follows what was handed over (throttled by
 * checkpoint_sync).  One stop sequence, stop().  Signal handlers only set
 * a flag.
 */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "aws.h"
#include "batchexec.h"
#include "checkpoint.h"
#include "cs.h"
#include "fanout.h"
#include "msg.h"
#include "kinesis.h"
#include "kpl.h"
#include "lease.h"
#include "lambda.h"
#include "opts.h"
#include "report.h"
#include "shardreader.h"
#include "shardtable.h"
#include "tailfmt.h"
#include "batchqueue.h"

static const char usage_tool[] =
    "usage: cs-tail -s STREAM [OPTIONS]\n"
    "Write the records of every shard of a Kinesis stream to stdout, one NDJSON line each.\n"
    "\n"
    "  -s, --stream NAME          the stream (required)\n"
    "      --from POS             where to start: trim-horizon (default), latest, an RFC 3339\n"
    "                             time, or at:SEQ / after:SEQ (with --shards naming one shard)\n"
    "      --until TIME           stop at the first record that arrived after TIME (RFC 3339)\n"
    "  -e, --exit                 exit once every shard is caught up (default: follow)\n"
    "  -n, --count N              stop after N records\n"
    "      --shards LIST          only these shards (comma-separated ids)\n"
    "  -J, --envelope             one JSON envelope per record (stream, shard, sequence number,\n"
    "                             partition key, arrival time, data)\n"
    "      --checkpoint FILE      resume from FILE and keep it up to date\n"
    "      --lease-table TABLE    share the stream with other workers through the DynamoDB lease\n"
    "                             table TABLE (KCL 2.x); positions live there (not with --checkpoint)\n"
    "      --worker-id ID         this worker's name in the lease table (default: HOST:PID)\n"
    "      --failover-time MS     a lease not renewed for MS is taken over (default 10000)\n"
    "      --max-leases N         hold at most N leases (default: no limit)\n"
    "      --exec CMD             pipe batches of records to 'bash -o pipefail -c CMD'\n"
    "                             (per shard, in order)\n"
    "      --shell PATH           the shell that runs CMD (default: bash, else /bin/sh)\n"
    "      --batch-size N         records per batch (default 100)\n"
    "      --batch-window MS      wait up to MS to fill a batch (default 0)\n"
    "      --max-retries N        retries of a failing batch (default 3)\n"
    "      --bisect               split a failing batch in halves to isolate the bad record\n"
    "      --on-failure FILE      where batches that keep failing go (default: stderr)\n"
    "      --parallel N           batches running at once, over all shards (default 4)\n"
    "      --parallel-per-shard N batches of one shard at once, keys kept in order, 1..10 (default 1)\n"
    "      --event FORMAT         what CMD is given: ndjson (default), or lambda: Lambda's Kinesis event\n"
    "      --report-failures      CMD's stdout names the records that failed, as Lambda's\n"
    "                             ReportBatchItemFailures: {\"batchItemFailures\":[...]}\n"
    "      --max-record-age S     records older than S seconds go to --on-failure unrun\n"
    "      --invoke-identity-arn ARN  invokeIdentityArn in the event (default: the stream's account)\n"
    "      --grace MS             on SIGINT/SIGTERM, wait up to MS for running batches (default 30000)\n"
    "      --limit N              records per GetRecords request, 1..10000 (default 10000)\n"
    "      --consumer NAME        read as the registered stream consumer NAME (enhanced fan-out:\n"
    "                             SubscribeToShard over HTTP/2; registered when missing)\n"
    "      --deregister           with --consumer: deregister the consumer at exit\n"
    "      --stats                print the summary even when stderr is not a terminal\n";

enum {
	OPT_FROM = CS_OPT_TOOL,
	OPT_UNTIL,
	OPT_SHARDS,
	OPT_CHECKPOINT,
	OPT_EXEC,
	OPT_BATCH_SIZE,
	OPT_BATCH_WINDOW,
	OPT_MAX_RETRIES,
	OPT_BISECT,
	OPT_ON_FAILURE,
	OPT_PARALLEL,
	OPT_GRACE,
	OPT_LIMIT,
	OPT_SHELL,
	OPT_STATS,
	OPT_LEASE_TABLE,
	OPT_WORKER_ID,
	OPT_FAILOVER_TIME,
	OPT_MAX_LEASES,
	OPT_CONSUMER,
	OPT_DEREGISTER,
	OPT_EVENT,
	OPT_REPORT,
	OPT_MAX_AGE,
	OPT_PER_SHARD,
	OPT_IDENTITY,
};

static const char shortopts[] = "s:en:J" CS_OPTS_SHORT;
static const struct option longopts[] = {
	{ "stream", required_argument, NULL, 's' },
	{ "from", required_argument, NULL, OPT_FROM },
	{ "until", required_argument, NULL, OPT_UNTIL },
	{ "exit", no_argument, NULL, 'e' },
	{ "count", required_argument, NULL, 'n' },
	{ "shards", required_argument, NULL, OPT_SHARDS },
	{ "envelope", no_argument, NULL, 'J' },
	{ "checkpoint", required_argument, NULL, OPT_CHECKPOINT },
	{ "exec", required_argument, NULL, OPT_EXEC },
	{ "batch-size", required_argument, NULL, OPT_BATCH_SIZE },
	{ "batch-window", required_argument, NULL, OPT_BATCH_WINDOW },
	{ "max-retries", required_argument, NULL, OPT_MAX_RETRIES },
	{ "bisect", no_argument, NULL, OPT_BISECT },
	{ "on-failure", required_argument, NULL, OPT_ON_FAILURE },
	{ "parallel", required_argument, NULL, OPT_PARALLEL },
	{ "grace", required_argument, NULL, OPT_GRACE },
	{ "limit", required_argument, NULL, OPT_LIMIT },
	{ "shell", required_argument, NULL, OPT_SHELL },
	{ "stats", no_argument, NULL, OPT_STATS },
	{ "lease-table", required_argument, NULL, OPT_LEASE_TABLE },
	{ "worker-id", required_argument, NULL, OPT_WORKER_ID },
	{ "failover-time", required_argument, NULL, OPT_FAILOVER_TIME },
	{ "max-leases", required_argument, NULL, OPT_MAX_LEASES },
	{ "consumer", required_argument, NULL, OPT_CONSUMER },
	{ "deregister", no_argument, NULL, OPT_DEREGISTER },
	{ "event", required_argument, NULL, OPT_EVENT },
	{ "report-failures", no_argument, NULL, OPT_REPORT },
	{ "max-record-age", required_argument, NULL, OPT_MAX_AGE },
	{ "parallel-per-shard", required_argument, NULL, OPT_PER_SHARD },
	{ "invoke-identity-arn", required_argument, NULL, OPT_IDENTITY },
	{ NULL, 0, NULL, 0 },
};

struct tail {
	struct cs_opts o;
	const char *stream;
	int envelope;
	unsigned long long count;      /* -n; 0: no limit */
	unsigned long long written;
	const char *ckpath;
	const char *exec;
	unsigned batch_size, batch_window, max_retries, parallel, grace;
	int bisect;
	const char *on_failure;
	const char *shell;
	int stats;
	const char *lease_table;
	const char *worker_id;
	unsigned failover_ms, max_leases;

	struct shardreader *sr;
	struct lease_mgr *lm;          /* --lease-table; t.ck is its checkpoint then */
	const char *consumer;          /* --consumer: read with enhanced fan-out */
	int deregister;
	char *consumer_arn;
	struct fanout *fo;             /* instead of sr, with --consumer */
	struct shardtable *shards;     /* the shards of either reader */
	struct checkpoint *ck;
	struct batchexec_runner *bx;
	struct batchqueue *tg;
	struct tailfmt fmt;            /* plain output; --exec: the trigger formats */
	struct buf out;
	int stop;                      /* -n reached, or stdout closed */
	int failed[8];                 /* the kinds of failure so far, by CS_EXIT_ code */
	unsigned long failed_batches;
	/* for the summary */
	unsigned long long bytes;          /* of the lines written, or handed to CMD by batches done */
	unsigned long batches;             /* --exec batches done (delivered or failed) */
	unsigned long long failed_lines;   /* lines of them written to the on-failure output */
	unsigned long abandoned;           /* batches left undone by a shutdown */
	/* --metrics-file, --stats-json */
	struct cs_report *report;
	struct aws_client *c, *lc;
	int report_frozen;                 /* the run's parts are freed: fill no more */
	/* as Lambda's trigger */
	int lambda, event_given, report_failures;
	unsigned max_age, per_shard;
	const char *identity_arn;
	char *stream_arn, *default_identity;
	struct lambda_source src;
};

/*
 * The one stop sequence: nothing new is read, queued or started; batches
 * waiting for the command are dropped (running ones end, or are abandoned
 * after the grace period).  STATUS, when not 0, is the failure that stops it.
 */
static void
stop(struct tail *t, int status)
{
	t->failed[status] = 1;
	t->stop = 1;
	if (t->tg)
		batchqueue_stop(t->tg);
	if (t->sr)
		shardreader_stop(t->sr);
	if (t->fo)
		fo_stop(t->fo);
	if (t->bx)
		batchexec_drain(t->bx);
}

/* The exit status, by the one rule of cs_exit_status (a usage error, found before the run, first). */
static int
exit_status(const struct tail *t)
{
	if (t->failed[CS_EXIT_USAGE])
		return CS_EXIT_USAGE;
	return cs_exit_status(t->failed[CS_EXIT_SERVICE], t->failed[CS_EXIT_OUTPUT],
	    t->failed[CS_EXIT_INTERRUPTED], t->failed[CS_EXIT_INPUT], t->failed[CS_EXIT_UNDELIVERED]);
}

/* Let the checkpoint store what moved (the checkpoint layer throttles unless FORCE). */
static void
commit(struct tail *t, int force)
{
	struct cs_err err;

	if (t->ck && checkpoint_sync(t->ck, force, &err) < 0) {
		cs_warnx("%s", err.msg);
		stop(t, CS_EXIT_OUTPUT);
	}
}

/* Record R of RS as its lines onto OUT; EACH (may be NULL) after every line. */
static void
format_record(struct tail *t, const char *shard, const struct kinesis_records *rs,
    const struct kinesis_record *r, tailfmt_line_fn each)
{
	struct cs_err err;

	if (tailfmt_record(&t->fmt, &t->out, shard, rs, r, each, NULL, &err) < 0)
		cs_warnx("%s/%s: record %s: %s; passed through as it is", t->stream, shard,
		    KREC_SEQ(rs, r), err.msg);
}

/* Plain output: write the records, then let the checkpoint follow. */
static enum shardreader_verdict
on_records_print(void *ctx, const char *shard, struct kinesis_records *rs, int at_end)
{
	struct tail *t = ctx;
	const char *last = NULL;
	long last_subseq = -1;
	size_t i, lines;

	if (t->stop)
		return SHARDREADER_CONTINUE;
	buf_reset(&t->out);
	for (i = 0; i < rs->n; i++) {
		const struct kinesis_record *r = &rs->rec[i];
		size_t before = t->out.len;

		format_record(t, shard, rs, r, NULL);
		lines = 1;
		if (t->count || kpl_is_aggregate(KREC_DATA(rs, r), r->data_len)) {
			lines = 0;
			for (const char *p = t->out.data + before; p < t->out.data + t->out.len; p++)
				lines += *p == '\n';
		}
		if (t->count && t->written + lines >= t->count) {
			/*
			 * cut after the COUNTth line; inside a KPL aggregate the checkpoint
			 * keeps the sub-sequence number of the last user record written
			 */
			size_t keep = (size_t)(t->count - t->written), k = 0;
			long from = r == &rs->rec[0] && rs->skip_subseq >= 0 ? rs->skip_subseq + 1 : 0;
			const char *p = t->out.data + before;

			while (k < keep) {
				p = memchr(p, '\n', (size_t)(t->out.data + t->out.len - p)) + 1;
				k++;
			}
			t->out.len = (size_t)(p - t->out.data);
			t->written += keep;
			last = KREC_SEQ(rs, r);
			if (keep < lines)
				last_subseq = from + (long)keep - 1;
			t->stop = 1;
			at_end = 0;
			break;
		}
		t->written += lines;
		last = KREC_SEQ(rs, r);
	}
	/*
	 * All of it to stdout, unbuffered: once written the records are with
	 * the reader of the pipe (or the file), so the checkpoint may move past
	 * them.  A signal while the reader does not read gives up (EINTR)
	 * rather than block the shutdown.
	 */
	if (t->out.len &&
	    cs_write_all(STDOUT_FILENO, t->out.data, t->out.len, &cs_signalled) < 0) {
		int quiet = errno == EPIPE || errno == EINTR;

		if (!quiet)
			cs_warn("cannot write to stdout");
		stop(t, quiet ? 0 : CS_EXIT_OUTPUT);
		return SHARDREADER_CONTINUE;
	}
	t->bytes += t->out.len;
	if (t->ck) {
		if (last)
			checkpoint_set_sub(t->ck, shard, last, last_subseq);
		if (at_end)
			checkpoint_finish(t->ck, shard, NULL);
		commit(t, at_end || t->stop);
	}
	if (t->stop)
		stop(t, 0);
	return SHARDREADER_CONTINUE;
}

/* --- --exec: the trigger (lib/batchqueue.h) reads, formats and batches; here the results -- */

static void
warn_line(void *ctx, const char *msg)
{
	(void)ctx;
	cs_warnx("%s", msg);
}

/* A batch done: count it, warn of its failures, let the checkpoint follow. */
static void
batch_done(void *ctx, const struct batchexec_batch *b)
{
	struct tail *t = ctx;

	if (b->abandoned) {
		t->abandoned++;
		return;
	}
	t->batches++;
	t->bytes += b->lines.len;
	if (t->report && b->started_ms)
		cs_metrics_observe(cs_report_metrics(t->report), "cs_tail_batch_duration_seconds", "",
		    (double)(cs_now_ms() - b->started_ms) / 1000.0);
	t->failed_lines += b->failed;
	if (b->failed) {
		t->failed_batches++;
		if (t->o.progress)
			cs_progress_clear();
		cs_warnx("%s/%s: %zu of %zu records failed (%s .. %s)%s%s", t->stream, b->shard,
		    b->failed, b->n, b->it[0].seq, b->it[b->n - 1].seq,
		    t->on_failure ? ", written to " : "", t->on_failure ? t->on_failure : "");
	}
	t->written += b->n;
}

/* Every record of SHARD up to SEQ is done: the checkpoint follows. */
static void
batch_checkpoint(void *ctx, const char *shard, const char *seq, long subseq)
{
	struct tail *t = ctx;

	if (t->ck) {
		checkpoint_set_sub(t->ck, shard, seq, subseq);
		commit(t, 1);
	}
}

/*
 * --event lambda: what every record of the event shares.  The stream's
 * ARN as the service reports it (DescribeStreamSummary), the region, and
 * the identity (by default the root of the stream's account: cs-tail has
 * no execution role of a function to name).  -1 with err.
 */
static int
lambda_source(struct tail *t, struct aws_client *c, struct cs_err *err)
{
	size_t i;

	if (kinesis_stream_arn(c, t->stream, &t->stream_arn, err) < 0)
		return -1;
	t->src.stream_arn = t->stream_arn;
	t->src.region = aws_client_region(c);
	if (t->identity_arn) {
		t->src.identity_arn = t->identity_arn;
		return 0;
	}
	/* arn:PARTITION:kinesis:REGION:ACCOUNT:stream/NAME: arn:PARTITION:iam::ACCOUNT:root */
	{
		const char *f[6];
		struct buf b = BUF_INIT;

		f[0] = t->stream_arn;
		for (i = 1; i < 6; i++)
			f[i] = f[i - 1] && strchr(f[i - 1], ':') ? strchr(f[i - 1], ':') + 1 : NULL;
		if (f[5])
			buf_printf(&b, "arn:%.*s:iam::%.*s:root", (int)(f[2] - f[1] - 1), f[1],
			    (int)(f[5] - f[4] - 1), f[4]);
		else
			buf_adds(&b, "");
		t->default_identity = buf_detach(&b);
	}
	t->src.identity_arn = t->default_identity;
	return 0;
}

/* A closed shard's last batch done. */
static void
shard_done(void *ctx, const char *shard)
{
	struct tail *t = ctx;

	if (t->ck) {
		checkpoint_finish(t->ck, shard, NULL);
		commit(t, 1);
	}
}

/* --- --lease-table ---------------------------------------------------------------- */

static void
on_lease(void *ctx, enum lease_event ev, const struct lease *l, const char *detail)
{
	struct tail *t = ctx;

	switch (ev) {
	case LEASE_TAKEN:
		if (t->shards)
			shardtable_taken(t->shards, l->key);
		if (t->o.verbose)
			cs_warnx("%s/%s: lease taken (%s), checkpoint %s", t->stream, l->key,
			    detail ? detail : "free", l->checkpoint ? l->checkpoint : "TRIM_HORIZON");
		break;
	case LEASE_LOST:
		/* stop at once: nothing of it is checkpointed; the new owner reads it again */
		if (t->shards)
			shardtable_drop(t->shards, l->key);
		if (t->tg)
			batchqueue_drop(t->tg, l->key);
		if (t->o.verbose)
			cs_warnx("%s/%s: lease lost: %s", t->stream, l->key, detail ? detail : "");
		break;
	case LEASE_RENEWED_LATE:
		if (t->o.verbose)
			cs_warnx("%s/%s: lease renewed late", t->stream, l->key);
		break;
	case LEASE_RELEASED:
		if (t->o.verbose)
			cs_warnx("%s/%s: lease released", t->stream, l->key);
		break;
	case LEASE_ENDED:
		if (t->o.verbose)
			cs_warnx("%s/%s: lease at SHARD_END, let go", t->stream, l->key);
		break;
	case LEASE_UNREADABLE:
		/* once a key: neither cs nor the KCL wrote it so; someone must mend it */
		cs_warnx("lease table '%s': %s: not read, its shard and children wait until it is mended",
		    t->lease_table, detail ? detail : l->key);
		break;
	}
}

static int
may_read(void *ctx, const char *shard)
{
	struct tail *t = ctx;

	return lease_held(t->lm, shard) && lease_parents_done(t->lm, shard);
}

static void
on_shards(void *ctx, const struct kinesis_shard *ks, size_t n)
{
	struct tail *t = ctx;

	lease_sync(t->lm, ks, n);
}

/* --- the summary ------------------------------------------------------------------- */

/* the lag of shard I, from either reader; -1 past the last (or before a reader) */
static int
shard_lag(const struct tail *t, size_t i, struct shardreader_lag *lag)
{
	return t->shards ? shardtable_lag(t->shards, i, lag) : -1;
}

/* the largest MillisBehindLatest of the shards being read (-1: none known), and its shard */
static int64_t
max_behind(const struct tail *t, const char **shard)
{
	struct shardreader_lag lag;
	int64_t max = -1;
	size_t i;

	*shard = NULL;
	for (i = 0; shard_lag(t, i, &lag) == 0; i++)
		if (lag.active && lag.millis_behind > max) {
			max = lag.millis_behind;
			*shard = lag.shard;
		}
	return max;
}

/* a batch runs from its first start to its end, retries included: 10 ms to 15 min */
static const double batch_buckets[] = { 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
	60, 120, 300, 900 };

/* the counters of the summary and each shard's lag, for the metrics file and --stats-json */
static uint64_t
fill_metrics(struct cs_metrics *m, const char *prefix, void *arg)
{
	struct tail *t = arg;
	struct aws_stats as = { 0 };
	struct buf l = BUF_INIT;
	struct shardreader_lag lag;
	int64_t now;
	size_t i, held;

	if (t->report_frozen)
		return t->written;
	cs_metrics_declare(m, CS_METRIC_COUNTER, "cs_tail_records_read_total",
	    "Records read from the shards (user records: KPL aggregates split).", NULL, 0);
	cs_metrics_set(m, "cs_tail_records_read_total", "",
	    t->shards ? (double)t->shards->records : 0);
	cs_metrics_declare(m, CS_METRIC_COUNTER, "cs_tail_records_handled_total",
	    "Records written to stdout, or handed to the --exec command by the batches done.",
	    NULL, 0);
	cs_metrics_set(m, "cs_tail_records_handled_total", "", (double)t->written);
	cs_metrics_declare(m, CS_METRIC_COUNTER, "cs_tail_handled_bytes_total",
	    "Bytes of the lines written, or handed to the command by the batches done.", NULL, 0);
	cs_metrics_set(m, "cs_tail_handled_bytes_total", "", (double)t->bytes);
	if (t->c)
		as = *aws_client_stats(t->c);
	if (t->lc) {
		as.requests += aws_client_stats(t->lc)->requests;
		as.retries += aws_client_stats(t->lc)->retries;
		as.throttled += aws_client_stats(t->lc)->throttled;
	}
	cs_report_aws(m, prefix, &as);
	cs_metrics_declare(m, CS_METRIC_GAUGE, "cs_tail_behind_latest_seconds",
	    "How far the shard's reader is behind its newest record: MillisBehindLatest of the "
	    "last GetRecords answer, in seconds.", NULL, 0);
	cs_metrics_declare(m, CS_METRIC_GAUGE, "cs_tail_last_record_age_seconds",
	    "Now minus the approximate arrival time of the last record handed on, per shard.",
	    NULL, 0);
	now = (int64_t)time(NULL) * 1000;
	/* only the shards read now: one finished, or whose lease went elsewhere, drops out */
	cs_metrics_clear(m, "cs_tail_behind_latest_seconds");
	cs_metrics_clear(m, "cs_tail_last_record_age_seconds");
	for (i = 0, held = 0; shard_lag(t, i, &lag) == 0; i++) {
		if (!lag.active)
			continue;
		held++;
		buf_reset(&l);
		cs_metrics_label(&l, "shard", lag.shard);
		if (t->lease_table)
			cs_metrics_label(&l, "worker", t->worker_id);
		if (lag.millis_behind >= 0)
			cs_metrics_set(m, "cs_tail_behind_latest_seconds", l.data,
			    (double)lag.millis_behind / 1000.0);
		if (lag.last_arrival_ms)
			cs_metrics_set(m, "cs_tail_last_record_age_seconds", l.data,
			    (double)(now > lag.last_arrival_ms ? now - lag.last_arrival_ms : 0) / 1000.0);
	}
	if (t->lease_table) {
		buf_reset(&l);
		cs_metrics_label(&l, "worker", t->worker_id);
		cs_metrics_declare(m, CS_METRIC_GAUGE, "cs_tail_leases_held",
		    "Shards this worker holds the lease of and reads now.", NULL, 0);
		cs_metrics_set(m, "cs_tail_leases_held", l.data, (double)held);
	}
	if (t->exec) {
		const struct batchexec_stats *bs = t->bx ? batchexec_stats(t->bx) : NULL;

		cs_metrics_declare(m, CS_METRIC_COUNTER, "cs_tail_batches_total",
		    "--exec batches done, by result: ok, failed (to the on-failure output), "
		    "abandoned (left undone by a shutdown).", NULL, 0);
		cs_metrics_set(m, "cs_tail_batches_total", "result=\"ok\"",
		    (double)(t->batches - t->failed_batches));
		cs_metrics_set(m, "cs_tail_batches_total", "result=\"failed\"",
		    (double)t->failed_batches);
		cs_metrics_set(m, "cs_tail_batches_total", "result=\"abandoned\"",
		    (double)t->abandoned);
		cs_metrics_declare(m, CS_METRIC_COUNTER, "cs_tail_batch_runs_total",
		    "Runs of the --exec command, retries included.", NULL, 0);
		cs_metrics_set(m, "cs_tail_batch_runs_total", "", bs ? (double)bs->runs : 0);
		cs_metrics_declare(m, CS_METRIC_COUNTER, "cs_tail_batch_retries_total",
		    "Runs that were retries of a failed batch (or of a part of it).", NULL, 0);
		cs_metrics_set(m, "cs_tail_batch_retries_total", "", bs ? (double)bs->reruns : 0);
		cs_metrics_declare(m, CS_METRIC_COUNTER, "cs_tail_failed_records_total",
		    "Records written to the on-failure output.", NULL, 0);
		cs_metrics_set(m, "cs_tail_failed_records_total", "", (double)t->failed_lines);
	}
	buf_free(&l);
	return t->written;
}

static struct aws_client *summary_ddb;
/* --- enhanced fan-out ----------------------------------------------------- */
static void
release_fanout(void *fo, const char *shard)
{
	fo_release(fo, shard);
}

static void
fanout_note(void *ctx, const char *msg)
{
	(void)ctx;
	cs_warnx("%s", msg);
}

/*
 * --consumer: the consumer registered (when missing) and ACTIVE, then the
 * fan-out reader over C, made HTTP/2 (one connection for every shard).
 */
static int
open_fanout(struct tail *t, struct aws_client *c, struct aws_client *lc,
    const struct shardreader_config *cfg, struct cs_err *err)
{
	char *stream_arn = NULL, *renew;
	int registered = 0;

	if (kinesis_stream_arn(lc, t->stream, &stream_arn, err) < 0)
		return -1;
	if (kinesis_consumer_ensure(lc, stream_arn, t->consumer, 300000, &cs_signalled,
	    &t->consumer_arn, &registered, err) < 0) {
		free(stream_arn);
		return -1;
	}
	free(stream_arn);
	if (t->o.verbose)
		cs_warnx("consumer '%s' %s: %s", t->consumer, registered ? "registered" : "found",
		    t->consumer_arn);
	aws_client_use_http2(c);
	if (!(t->fo = fo_new(c, lc, cfg, t->consumer_arn, fanout_note, err)))
		return -1;
	/* for the tests: renew each subscription after that many ms */
	if ((renew = getenv("CS_TAIL_RENEW_MS")) && atoi(renew) > 0)
		fo_set_renew_ms(t->fo, (unsigned)atoi(renew));
	return 0;
}

static void
summary(struct tail *t, struct aws_client *c, struct aws_client *lc, uint64_t t0, int final)
{
	unsigned long long records = t->shards ? t->shards->records : 0;
	size_t nshards = t->shards ? t->shards->n : 0;
	double secs = (double)(cs_now_ms() - t0) / 1000.0;
	double rate = secs > 0 ? (double)records / secs : 0;
	unsigned long requests = 0, retries = 0;
	struct buf b = BUF_INIT;

	if (!final) {
		const char *shard;
		int64_t behind = max_behind(t, &shard);

		if (behind > 0)
			cs_progress("%llu records read from %zu shards, %llu lines %s, %.0f records/s, "
			    "%.1f s behind (%s)", records, nshards, t->written,
			    t->exec ? "through the command" : "written", rate, (double)behind / 1000.0,
			    shard);
		else
			cs_progress("%llu records read from %zu shards, %llu lines %s, %.0f records/s",
			    records, nshards, t->written, t->exec ? "through the command" : "written",
			    rate);
		return;
	}
	if (c) {
		requests += aws_client_stats(c)->requests;
		retries += aws_client_stats(c)->retries;
	}
	if (lc) {
		requests += aws_client_stats(lc)->requests;
		retries += aws_client_stats(lc)->retries;
	}
	if (t->o.progress)
		cs_progress_clear();
	buf_printf(&b, "%llu records from %zu shards: %llu lines (%llu bytes) ", records, nshards,
	    t->written, t->bytes);
	if (t->bx) {
		const struct batchexec_stats *bs = batchexec_stats(t->bx);

		buf_printf(&b, "in %lu batches, %lu failed (%llu lines to the on-failure output), "
		    "%lu runs, %lu re-runs", t->batches, t->failed_batches, t->failed_lines,
		    bs->runs, bs->reruns);
		if (t->abandoned)
			buf_printf(&b, ", %lu abandoned", t->abandoned);
	} else {
		buf_adds(&b, "written");
	}
	buf_printf(&b, "; %lu requests, %lu retries", requests, retries);
	if (t->fo)
		buf_printf(&b, ", %lu subscriptions", fo_subscriptions(t->fo));
	{
		const char *shard;
		int64_t behind = max_behind(t, &shard);

		/* said when it matters: stopped while behind (caught up, it is 0) */
		if (behind > 0)
			buf_printf(&b, "; at most %.1f s behind (%s)", (double)behind / 1000.0, shard);
	}
	if (t->lm) {
		const struct lease_stats *ls = lease_stats(t->lm);

		buf_printf(&b, "; lease table: %lu requests (%lu renewals, %lu scans, %lu takes of "
		    "which %lu steals, %lu checkpoints, %lu releases), %lu leases lost",
		    aws_client_stats(summary_ddb)->requests, ls->renewals, ls->scans, ls->takes,
		    ls->steals, ls->checkpoints, ls->releases, ls->lost);
	}
	/* the timing only where it is read, not where output is compared */
	if (t->o.verbose || t->o.progress)
		buf_printf(&b, "; %.1f s, %.0f records/s", secs, rate);
	cs_warnx("%s", b.data);
	buf_free(&b);
}

/* --- setup -------------------------------------------------------------------------- */

static void
parse_from(const char *arg, struct kinesis_position *pos)
{
	memset(pos, 0, sizeof *pos);
	if (strcmp(arg, "trim-horizon") == 0) {
		pos->type = KINESIS_TRIM_HORIZON;
	} else if (strcmp(arg, "latest") == 0) {
		pos->type = KINESIS_LATEST;
	} else if (strncmp(arg, "at:", 3) == 0 || strncmp(arg, "after:", 6) == 0) {
		const char *seq = strchr(arg, ':') + 1;

		if (!*seq || strspn(seq, "0123456789") != strlen(seq))
			cs_usage_error("--from: '%s': the sequence number is not a number", arg);
		pos->type = arg[1] == 't' ? KINESIS_AT_SEQUENCE_NUMBER : KINESIS_AFTER_SEQUENCE_NUMBER;
		pos->seq = seq;
	} else if (cs_parse_rfc3339(arg, strlen(arg), &pos->timestamp_ms) == 0) {
		pos->type = KINESIS_AT_TIMESTAMP;
		if (pos->timestamp_ms > (int64_t)time(NULL) * 1000 + 1000)
			cs_usage_error("--from: '%s' is in the future", arg);
	} else {
		cs_usage_error("--from: '%s' is not trim-horizon, latest, an RFC 3339 time, "
		    "at:SEQ or after:SEQ", arg);
	}
}

static char **
split_list(const char *arg, size_t *n)
{
	char *copy = cs_strdup(arg), *p, *save = NULL;
	char **v = NULL;

	*n = 0;
	for (p = strtok_r(copy, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
		v = cs_realloc(v, (*n + 1) * sizeof *v);
		v[(*n)++] = cs_strdup(p);
	}
	free(copy);
	return v;
}

int
main(int argc, char **argv)
{
	struct tail t;
	struct shardreader_config cfg;
	struct option *lo;
	struct aws_client *c = NULL, *lc = NULL, *ddb = NULL;
	struct cs_err err;
	char worker[300];
	int lwait = 0;
	char *help;
	char **shards = NULL;
	size_t nshards = 0, i;
	int opt, fatal = 0, interrupted = 0, shardreader_failed = 0;
	uint64_t stop_deadline = 0, next_progress = 0, t0 = cs_now_ms();

	cs_setprog(argv[0]);
	/* answers of megabytes, one after another: keep their memory instead of mapping it anew */
	mallopt(M_MMAP_THRESHOLD, 64 << 20);
	mallopt(M_TRIM_THRESHOLD, 128 << 20);
	memset(&t, 0, sizeof t);
	memset(&cfg, 0, sizeof cfg);
	cs_opts_init(&t.o);
	t.batch_size = 100;
	t.max_retries = 3;
	t.parallel = 4;
	t.grace = 30000;
	cfg.start.type = KINESIS_TRIM_HORIZON;
	help = cs_opts_help(usage_tool, 1, NULL);
	lo = cs_opts_longopts(longopts, 1);
	opterr = 0;
	while ((opt = getopt_long(argc, argv, shortopts, lo, NULL)) != -1) {
		switch (opt) {
		case 's': t.stream = optarg; break;
		case OPT_FROM: parse_from(optarg, &cfg.start); break;
		case OPT_UNTIL:
			if (cs_parse_rfc3339(optarg, strlen(optarg), &cfg.until_ms) < 0)
				cs_usage_error("--until: '%s' is not an RFC 3339 time", optarg);
			if (cfg.until_ms == 0)
				cfg.until_ms = 1;
			break;
		case 'e': cfg.exit_at_end = 1; break;
		case 'n': t.count = cs_opt_number("count", optarg, 1, 1ULL << 62); break;
		case OPT_SHARDS: shards = split_list(optarg, &nshards); break;
		case 'J': t.envelope = 1; break;
		case OPT_CHECKPOINT: t.ckpath = optarg; break;
		case OPT_EXEC: t.exec = optarg; break;
		case OPT_BATCH_SIZE: t.batch_size = (unsigned)cs_opt_number("batch-size", optarg, 1, 10000); break;
		case OPT_BATCH_WINDOW: t.batch_window = (unsigned)cs_opt_number("batch-window", optarg, 0, 300000); break;
		case OPT_MAX_RETRIES: t.max_retries = (unsigned)cs_opt_number("max-retries", optarg, 0, 10000); break;
		case OPT_BISECT: t.bisect = 1; break;
		case OPT_ON_FAILURE: t.on_failure = optarg; break;
		case OPT_PARALLEL: t.parallel = (unsigned)cs_opt_number("parallel", optarg, 1, 1024); break;
		case OPT_GRACE: t.grace = (unsigned)cs_opt_number("grace", optarg, 0, 3600000); break;
		case OPT_LIMIT: cfg.limit = (unsigned)cs_opt_number("limit", optarg, 1, 10000); break;
		case OPT_SHELL: t.shell = optarg; break;
		case OPT_STATS: t.stats = 1; break;
		case OPT_LEASE_TABLE: t.lease_table = optarg; break;
		case OPT_WORKER_ID: t.worker_id = optarg; break;
		case OPT_FAILOVER_TIME: t.failover_ms = (unsigned)cs_opt_number("failover-time", optarg, 300, 3600000); break;
		case OPT_MAX_LEASES: t.max_leases = (unsigned)cs_opt_number("max-leases", optarg, 1, 100000); break;
		case OPT_CONSUMER:
			if (!*optarg || strlen(optarg) > 128)
				cs_usage_error("--consumer: a name of 1 to 128 characters");
			t.consumer = optarg;
			break;
		case OPT_DEREGISTER: t.deregister = 1; break;
		case OPT_EVENT:
			if (strcmp(optarg, "lambda") == 0)
				t.lambda = 1;
			else if (strcmp(optarg, "ndjson") != 0)
				cs_usage_error("--event: '%s' is not ndjson or lambda", optarg);
			t.event_given = 1;
			break;
		case OPT_REPORT: t.report_failures = 1; break;
		case OPT_MAX_AGE: t.max_age = (unsigned)cs_opt_number("max-record-age", optarg, 1, 604800); break;
		case OPT_PER_SHARD: t.per_shard = (unsigned)cs_opt_number("parallel-per-shard", optarg, 1, 10); break;
		case OPT_IDENTITY: t.identity_arn = optarg; break;
		case '?':
			cs_opts_bad(argv, shortopts);
		default:
			if (!cs_opts_handle(&t.o, opt, optarg, help))
				cs_usage_error("unknown option");
		}
	}
	free(lo);
	free(help);
	if (optind < argc)
		cs_usage_error("unexpected argument '%s'", argv[optind]);
	if (!t.stream || !*t.stream)
		cs_usage_error("no stream: give -s STREAM");
	if ((cfg.start.type == KINESIS_AT_SEQUENCE_NUMBER ||
	    cfg.start.type == KINESIS_AFTER_SEQUENCE_NUMBER) && nshards != 1)
		cs_usage_error("--from at:SEQ and after:SEQ need --shards naming exactly one shard");
	if (!t.exec && (t.on_failure || t.bisect || t.shell || t.event_given || t.report_failures ||
	    t.max_age || t.per_shard || t.identity_arn))
		cs_usage_error("--on-failure, --bisect, --shell, --event, --report-failures, "
		    "--max-record-age, --parallel-per-shard and --invoke-identity-arn go with --exec");
	if (t.identity_arn && !t.lambda)
		cs_usage_error("--invoke-identity-arn goes with --event lambda");
	if (t.exec && t.count)
		cs_usage_error("--count does not go with --exec");
	if (!t.lease_table && (t.worker_id || t.failover_ms || t.max_leases))
		cs_usage_error("--worker-id, --failover-time and --max-leases go with --lease-table");
	if (t.lease_table) {
		if (!*t.lease_table)
			cs_usage_error("--lease-table: empty table name");
		if (t.ckpath)
			cs_usage_error("--lease-table and --checkpoint are exclusive: positions live in the lease table");
		if (nshards)
			cs_usage_error("--shards does not go with --lease-table: the leases share the shards out");
		if (cfg.exit_at_end || cfg.until_ms || t.count)
			cs_usage_error("--exit, --until and --count do not go with --lease-table: "
			    "a worker shares a stream it follows");
		if (t.worker_id && !*t.worker_id)
			cs_usage_error("--worker-id: empty");
	}
	if (t.deregister && !t.consumer)
		cs_usage_error("--deregister goes with --consumer");
	if (t.consumer && cfg.limit)
		cs_usage_error("--limit is for GetRecords, not --consumer");
	cs_opts_finish(&t.o);
	cs_opts_warn_aws_config(&t.o);
	cs_signals(cs_count_signal);

	tailfmt_init(&t.fmt, t.stream, t.envelope);
	buf_init(&t.out);
	if (t.o.metrics_file || t.o.stats_json) {
		t.report = cs_report_new("cs_tail", t.o.metrics_file, t.o.stats_json, fill_metrics, &t);
		cs_report_period(t.report, t.o.metrics_interval_ms);
		cs_metrics_declare(cs_report_metrics(t.report), CS_METRIC_HISTOGRAM,
		    "cs_tail_batch_duration_seconds",
		    "How long an --exec batch took, from its first run to its end, retries included.",
		    batch_buckets, sizeof batch_buckets / sizeof batch_buckets[0]);
	}
	if (!(c = cs_opts_client(&t.o, "kinesis", &err)) || !(lc = cs_opts_client(&t.o, "kinesis", &err))) {
		cs_warnx("%s", err.msg);
		t.failed[CS_EXIT_SERVICE] = 1;
		goto out;
	}
	t.c = c;
	t.lc = lc;
	if (t.ckpath && !(t.ck = checkpoint_open_file(t.ckpath, t.stream, &err))) {
		cs_warnx("checkpoint: %s", err.msg);
		t.failed[CS_EXIT_INPUT] = 1;
		goto out;
	}
	if (t.lease_table) {
		/* the table with DynamoDB's endpoint settings: --endpoint-url names Kinesis's */
		struct cs_opts dopts = t.o;
		struct lease_config lc_ = { 0 };
		char host[256];

		dopts.endpoint_url = NULL;
		if (!(ddb = cs_opts_client(&dopts, "dynamodb", &err))) {
			cs_warnx("%s", err.msg);
			t.failed[CS_EXIT_SERVICE] = 1;
			goto out;
		}
		if (!t.worker_id) {
			if (gethostname(host, sizeof host) < 0)
				snprintf(host, sizeof host, "localhost");
			host[sizeof host - 1] = '\0';
			snprintf(worker, sizeof worker, "%s:%ld", host, (long)getpid());
			t.worker_id = worker;
		}
		lc_.table = t.lease_table;
		lc_.stream = t.stream;
		lc_.worker = t.worker_id;
		lc_.failover_ms = t.failover_ms ? t.failover_ms : 10000;
		lc_.max_leases = t.max_leases;
		lc_.initial = cfg.start.type == KINESIS_LATEST ? "LATEST" :
		    cfg.start.type == KINESIS_AT_TIMESTAMP ? "AT_TIMESTAMP" : "TRIM_HORIZON";
		lc_.on_event = on_lease;
		lc_.ctx = &t;
		if (!(t.lm = lease_open(ddb, &lc_, &err))) {
			cs_warnx("%s", err.msg);
			t.failed[cs_signalled ? CS_EXIT_INTERRUPTED : CS_EXIT_SERVICE] = 1;
			goto out;
		}
		t.ck = lease_checkpoint(t.lm);
		summary_ddb = ddb;
		if (t.o.verbose)
			cs_warnx("lease table '%s' on %s: worker '%s', failover %u ms", t.lease_table,
			    aws_client_endpoint(ddb), t.worker_id, lc_.failover_ms);
	}
	if (t.lambda && lambda_source(&t, c, &err) < 0) {
		cs_warnx("%s", err.msg);
		t.failed[CS_EXIT_SERVICE] = 1;
		goto out;
	}
	if (t.exec) {
		struct batchexec_config bc = { t.exec, t.stream, t.parallel, t.max_retries, t.bisect, 200,
		    t.on_failure, cs_raw_log, t.shell, t.lambda, t.report_failures, t.max_age, t.stream_arn };
		const char *sh;
		int pipefail;

		if (!(t.bx = batchexec_new(&bc, &err))) {
			cs_warnx("%s", err.msg);
			t.failed[t.shell && strncmp(err.msg, "shell ", 6) == 0 ? CS_EXIT_USAGE :
			    CS_EXIT_OUTPUT] = 1;
			goto out;
		}
		sh = batchexec_shell(t.bx, &pipefail);
		if (!pipefail && strchr(t.exec, '|'))
			cs_warnx("%s has no pipefail: a failing command of a pipeline in --exec "
			    "fails the batch only when it is the last one", sh);
		else if (t.o.verbose)
			cs_warnx("--exec: %s -o pipefail -c CMD", sh);
	}
	cfg.stream = t.stream;
	cfg.shards = (const char *const *)shards;
	cfg.nshards = nshards;
	cfg.ck = t.ck;
	cfg.verbose = t.o.verbose;
	if (t.lm) {
		cfg.may_read = may_read;
		cfg.on_shards = on_shards;
		cfg.gate_ctx = &t;
	}
	if (t.bx) {
		struct batchqueue_config tc = { t.batch_size, t.batch_window, t.stream, t.envelope, t.bx,
		    batch_done, shard_done, warn_line, &t, batch_checkpoint, t.per_shard,
		    t.lambda ? &t.src : NULL };

		t.tg = batchqueue_new(&tc);
		cfg.on_records = batchqueue_records;
		cfg.ctx = t.tg;
	} else {
		cfg.on_records = on_records_print;
		cfg.ctx = &t;
	}
	if (t.consumer ? open_fanout(&t, c, lc, &cfg, &err) < 0 :
	    !(t.sr = shardreader_new(c, lc, &cfg, &err))) {
		cs_warnx("%s", err.msg);
		t.failed[strcmp(err.code, "NoSuchShard") == 0 ? CS_EXIT_USAGE :
		    strcmp(err.code, "Interrupted") == 0 ? CS_EXIT_INTERRUPTED : CS_EXIT_SERVICE] = 1;
		goto out;
	}
	t.shards = t.fo ? fo_shards(t.fo) : shardreader_shards(t.sr);
	if (t.tg && t.fo)
		batchqueue_set_releaser(t.tg, release_fanout, t.fo);
	if (t.tg && t.sr)
		batchqueue_set_reader(t.tg, t.sr);

	for (;;) {
		int wait, w;

		if (cs_signalled && !interrupted) {
			interrupted = 1;
			stop(&t, 0);     /* nothing new is written or started */
			aws_cancel_retries(c);
			if (t.bx)
				stop_deadline = cs_now_ms() + t.grace;
		}
		/* what moved since the last commit is stored within the throttle, not at the next records */
		if (t.ck && !t.stop)
			commit(&t, 0);
		if (t.lm) {
			/* the lease table's answers first: a lost lease stops its shard before its records go on */
			aws_run(ddb, 0, -1);
			lwait = lease_step(t.lm, &fatal, &err);
		}
		wait = t.fo ? fo_step(t.fo, &fatal, &err) : shardreader_step(t.sr, &fatal, &err);
		if (fatal && !shardreader_failed) {
			shardreader_failed = 1;
			cs_warnx("%s", err.msg);
			stop(&t, CS_EXIT_SERVICE);
		}
		if (t.lm && wait >= 0) {
			/* the table's answers arrive on another client: look at them often */
			if (wait > lwait)
				wait = lwait;
			if (wait > 50)
				wait = 50;
		}
		if (t.bx) {
			w = batchexec_poll(t.bx, &fatal, &err);
			if (fatal) {
				cs_warnx("%s", err.msg);
				stop(&t, CS_EXIT_OUTPUT);
			}
			if (w >= 0 && (wait < 0 || w < wait))
				wait = w;
			w = interrupted || fatal ? -1 : batchqueue_tick(t.tg);
			if (w >= 0 && (wait < 0 || w < wait))
				wait = w;
			if (stop_deadline && cs_now_ms() >= stop_deadline && batchexec_running(t.bx)) {
				cs_warnx("abandoning %zu running batches after the grace period",
				    batchexec_running(t.bx));
				batchexec_abandon(t.bx);
				stop_deadline = 0;
				continue;
			}
			if (batchexec_busy(t.bx)) {
				if (wait < 0 || wait > 200)
					wait = 200;
			} else if (wait < 0 && !aws_inflight(c)) {
				break;
			}
		} else if (wait < 0 && !aws_inflight(c)) {
			break;
		}
		if (wait < 0)
			wait = 100;
		if (t.o.progress && cs_now_ms() >= next_progress) {
			summary(&t, c, lc, t0, 0);
			next_progress = cs_now_ms() + 1000;
			if (wait > 1000)
				wait = 1000;
		}
		if (t.report) {
			cs_report_tick(t.report);
			if (wait > 250)
				wait = 250;
		}
		aws_run(c, wait, t.bx ? batchexec_fd(t.bx) : -1);
	}
	if (t.ck) {
		if (checkpoint_commit(t.ck, &err) < 0) {
			if (t.o.progress)
				cs_progress_clear();
			cs_warnx("%s", err.msg);
			t.failed[CS_EXIT_OUTPUT] = 1;
		}
	}
	/* leaving: the last checkpoints written, the leases let go for others to take at once */
	if (t.lm)
		lease_release_all(t.lm, 5000);
	if (!t.o.stats_json && (t.stats || t.o.verbose || t.o.progress))
		summary(&t, c, lc, t0, 1);
	t.failed[CS_EXIT_INTERRUPTED] |= interrupted;
	t.failed[CS_EXIT_UNDELIVERED] |= t.failed_batches != 0;
out:
	cs_report_snapshot(t.report);
	t.report_frozen = 1;
	if (t.bx && batchexec_free(t.bx, &err) < 0) {
		cs_warnx("%s", err.msg);
		t.failed[CS_EXIT_OUTPUT] = 1;
	}
	batchqueue_free(t.tg);
	shardreader_free(t.sr);
	fo_free(t.fo);
	/* lease_free below waits for answers in flight, whose events reach on_lease: nothing freed there */
	t.tg = NULL;
	t.sr = NULL;
	t.fo = NULL;
	t.shards = NULL;
	if (t.consumer_arn && t.deregister) {
		if (kinesis_consumer_deregister(lc, t.consumer_arn, &err) < 0) {
			cs_warnx("consumer '%s': %s", t.consumer, err.msg);
			t.failed[CS_EXIT_SERVICE] = 1;
		} else if (t.o.verbose) {
			cs_warnx("consumer '%s' deregistered", t.consumer);
		}
	}
	free(t.consumer_arn);
	if (t.lm)
		lease_free(t.lm);
	else
		checkpoint_close(t.ck);
	aws_client_free(ddb);
	aws_client_free(c);
	aws_client_free(lc);
	tailfmt_free(&t.fmt);
	buf_free(&t.out);
	free(t.stream_arn);
	free(t.default_identity);
	for (i = 0; i < nshards; i++)
		free(shards[i]);
	free(shards);
	if (cs_close_stdout() != 0)
		t.failed[CS_EXIT_OUTPUT] = 1;
	if (t.report) {
		if (cs_report_final(t.report, exit_status(&t)))
			t.failed[CS_EXIT_OUTPUT] = 1;
		cs_report_free(t.report);
	}
	return exit_status(&t);
}
