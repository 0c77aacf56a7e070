/* report.c - the metrics file and the JSON summary of a run (see report.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "cs.h"
#include "msg.h"
#include "report.h"

struct cs_report {
	char *prefix;
	char *path;          /* --metrics-file, or NULL */
	int stats_json;
	cs_report_fill_fn fill;
	void *ctx;
	struct cs_metrics *m;
	uint64_t last_write; /* monotonic ms */
	unsigned period_ms;
	double started, last_success; /* unix seconds */
	uint64_t done;       /* what FILL said last */
	int warned;          /* a failed write is said once */
	/* GET /metrics: the last rendering, for the server's thread */
	int publishing;
	uint64_t last_publish;
	pthread_mutex_t mu;
	struct buf cached;
};

static double
unix_now(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + (double)(tv.tv_usec / 1000) / 1000.0;
}

static void
name(struct buf *b, const char *prefix, const char *rest)
{
	buf_reset(b);
	buf_adds(b, prefix);
	buf_adds(b, rest);
}

struct cs_report *
cs_report_new(const char *prefix, const char *metrics_file, int stats_json,
    cs_report_fill_fn fill, void *ctx)
{
	struct cs_report *r = cs_calloc(1, sizeof *r);
	struct buf n = BUF_INIT;

	r->prefix = cs_strdup(prefix);
	r->path = metrics_file ? cs_strdup(metrics_file) : NULL;
	r->stats_json = stats_json;
	r->fill = fill;
	r->ctx = ctx;
	r->m = cs_metrics_new();
	pthread_mutex_init(&r->mu, NULL);
	buf_init(&r->cached);
	r->started = unix_now();
	r->last_write = cs_now_ms();
	r->period_ms = CS_REPORT_PERIOD_MS;
	name(&n, prefix, "_start_time_seconds");
	cs_metrics_declare_set(r->m, CS_METRIC_GAUGE, n.data,
	    "When the run began, in unix seconds.", r->started);
	name(&n, prefix, "_last_success_timestamp_seconds");
	cs_metrics_declare_set(r->m, CS_METRIC_GAUGE, n.data,
	    "The last time records were delivered or handled, in unix seconds (0: not yet).", 0);
	buf_free(&n);
	return r;
}

void
cs_report_period(struct cs_report *r, unsigned ms)
{
	if (r && ms)
		r->period_ms = ms;
}

void
cs_report_free(struct cs_report *r)
{
	if (!r)
		return;
	cs_metrics_free(r->m);
	pthread_mutex_destroy(&r->mu);
	buf_free(&r->cached);
	free(r->prefix);
	free(r->path);
	free(r);
}

struct cs_metrics *
cs_report_metrics(struct cs_report *r)
{
	return r->m;
}

static void
refill(struct cs_report *r)
{
	struct buf n = BUF_INIT;
	uint64_t done;

	if (r->fill && (done = r->fill(r->m, r->prefix, r->ctx)) != r->done) {
		r->done = done;
		r->last_success = unix_now();
	}
	name(&n, r->prefix, "_last_success_timestamp_seconds");
	cs_metrics_set(r->m, n.data, "", r->last_success);
	buf_free(&n);
}

void
cs_report_snapshot(struct cs_report *r)
{
	if (r)
		refill(r);
}

static int
write_file(struct cs_report *r)
{
	struct cs_err err;

	r->last_write = cs_now_ms();
	if (cs_metrics_write_file(r->m, r->path, &err) == 0)
		return 0;
	if (!r->warned)
		cs_warnx("%s", err.msg);
	r->warned = 1;
	return -1;
}

static void
publish(struct cs_report *r)
{
	struct buf b = BUF_INIT;

	refill(r);
	cs_metrics_render(r->m, &b);
	pthread_mutex_lock(&r->mu);
	buf_free(&r->cached);
	r->cached = b;
	pthread_mutex_unlock(&r->mu);
	r->last_publish = cs_now_ms();
}

void
cs_report_publish(struct cs_report *r)
{
	r->publishing = 1;
	publish(r);
}

void
cs_report_cached(void *arg, struct buf *out)
{
	struct cs_report *r = arg;

	pthread_mutex_lock(&r->mu);
	buf_add(out, r->cached.data ? r->cached.data : "", r->cached.len);
	pthread_mutex_unlock(&r->mu);
}

void
cs_report_tick(struct cs_report *r)
{
	uint64_t now;

	if (!r)
		return;
	now = cs_now_ms();
	if (r->publishing && now - r->last_publish >= CS_REPORT_PUBLISH_MS)
		publish(r);
	if (!r->path || now - r->last_write < r->period_ms)
		return;
	refill(r);
	write_file(r);
}

void
cs_report_render(struct cs_report *r, struct buf *out)
{
	refill(r);
	cs_metrics_render(r->m, out);
}

int
cs_report_final(struct cs_report *r, int exit_status)
{
	struct buf n = BUF_INIT;
	int rc = 0;

	if (!r)
		return 0;
	refill(r);
	name(&n, r->prefix, "_exit_status");
	cs_metrics_declare_set(r->m, CS_METRIC_GAUGE, n.data,
	    "The exit status of the run (written at its end; see cs(7), EXIT STATUS).", exit_status);
	if (r->path && write_file(r) != 0)
		rc = -1;
	if (r->stats_json) {
		buf_reset(&n);
		cs_metrics_render_json(r->m, &n);
		buf_addc(&n, '\n');
		fflush(stderr);
		fputs(n.data, stderr);
		fflush(stderr);
	}
	buf_free(&n);
	return rc;
}

int
cs_report_end(struct cs_report *r, int status, struct buf *unread)
{
	if (r) {
		if (cs_report_final(r, status) && status == CS_EXIT_OK)
			status = CS_EXIT_OUTPUT;
		cs_report_free(r);
	}
	if (unread->len)
		cs_warnx("%s", unread->data);
	buf_free(unread);
	return status;
}

void
cs_report_aws(struct cs_metrics *m, const char *prefix, const struct aws_stats *s)
{
	struct buf n = BUF_INIT;

	name(&n, prefix, "_requests_total");
	cs_metrics_declare_set(m, CS_METRIC_COUNTER, n.data,
	    "HTTP requests sent to AWS, re-sends included.", s ? (double)s->requests : 0);
	name(&n, prefix, "_request_retries_total");
	cs_metrics_declare_set(m, CS_METRIC_COUNTER, n.data,
	    "Requests that were re-sends of a failed one.", s ? (double)s->retries : 0);
	name(&n, prefix, "_throttled_total");
	cs_metrics_declare_set(m, CS_METRIC_COUNTER, n.data,
	    "Answers with a throttling error (the request was retried).", s ? (double)s->throttled : 0);
	buf_free(&n);
}

void
cs_report_rejects(struct cs_metrics *m, const char *prefix, const struct rejects *rj)
{
	struct buf n = BUF_INIT, l = BUF_INIT;
	const struct rejects_by_error *be;
	size_t i, ne;

	be = rejects_errors(rj, &ne);
	name(&n, prefix, "_rejects_total");
	cs_metrics_declare(m, CS_METRIC_COUNTER, n.data,
	    "Records sent to the rejects output, by reason (its error code).", NULL, 0);
	for (i = 0; i < ne; i++) {
		buf_reset(&l);
		cs_metrics_label(&l, "reason", be[i].error);
		cs_metrics_set(m, n.data, l.data, (double)be[i].count);
	}
	buf_free(&n);
	buf_free(&l);
}
