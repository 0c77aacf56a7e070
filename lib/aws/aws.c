/* aws.c - calls to AWS JSON-protocol services (see aws.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "aws.h"
#include "awserror.h"
#include "awsconf.h"
#include "creds.h"
#include "http.h"
#include "json.h"
#include "retry.h"
#include "sigv4.h"
#include "xml.h"

struct call {
	struct aws_client *c;
	char op[64];
	char *body;
	size_t len;
	aws_done_fn done;
	void *ctx;
	unsigned attempts;
	uint64_t start_ms;
	uint64_t due_ms;          /* when a waiting retry is to be sent */
	int creds_retried;        /* expired credentials re-read once */
	struct cs_err last;       /* why the last attempt failed, while a retry waits */
	struct call *next;        /* in the client's list of waiting retries */
};

struct aws_client {
	struct http_client *http;
	struct creds_provider *creds;
	char *service;            /* signing name and endpoint prefix */
	const char *target;       /* X-Amz-Target prefix */
	const char *ctype;
	char *endpoint;           /* the URL requests go to */
	char *shown;              /* ENDPOINT without any user:password in it: for messages */
	char *host;               /* Host header value, as curl sends it */
	char *path;               /* the URL's path, "/" by default */
	char *region;
	char *ca_bundle;          /* AWS_CA_BUNDLE or the config's ca_bundle */
	struct retry_policy pol;
	uint64_t rng;
	long skew_s;              /* the service's clock minus ours */
	int verbose;
	struct cs_log log;         /* where the -v trace goes */
	int sending;              /* calls in HTTP flight */
	struct call *waiting;     /* calls waiting to be retried */
	int cancelled;
	const volatile sig_atomic_t *stop; /* the run is stopping: no retry waits */
	struct aws_stats stats;
	struct http_options ho;   /* what c->http was made with */
	char creds_said[64];      /* -v: the credentials' source last named, */
	int64_t creds_exp_said;   /* and their expiry */
};

/* a streaming call (aws_stream_start) */
struct aws_stream {
	struct aws_client *c;
	char op[64];
	char *body;
	size_t len;
	struct http_xfer *x;
	aws_data_fn on_data;
	aws_done_fn done;
	void *ctx;
};

static const struct {
	const char *service, *target, *ctype;
} services[] = {
	{ "kinesis", "Kinesis_20131202", "application/x-amz-json-1.1" },
	{ "dynamodb", "DynamoDB_20120810", "application/x-amz-json-1.0" },
};

void
aws_config_init(struct aws_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->connect_timeout_ms = 5000;
	cfg->timeout_ms = 30000;
	cfg->retry_budget_ms = RETRY_BUDGET_MS;
	cfg->stop = &cs_signalled;
}

struct aws_client *
aws_client_new(const struct aws_config *o, const char *service, struct cs_err *err)
{
	struct aws_client *c;
	struct http_options ho = { 0 };
	const char *profile = awsconf_profile_name(o->profile);
	size_t i;

	for (i = 0; i < sizeof services / sizeof services[0]; i++)
		if (strcmp(services[i].service, service) == 0)
			break;
	if (i == sizeof services / sizeof services[0]) {
		cs_err_set(err, "unknown service '%s'", service);
		return NULL;
	}
	c = cs_calloc(1, sizeof *c);
	c->service = cs_strdup(service);
	c->target = services[i].target;
	c->ctype = services[i].ctype;
	c->region = awsconf_region(o->region, profile, err);
	if (!c->region)
		goto fail;
	c->endpoint = awsconf_endpoint_profile(o->endpoint_url, service, c->region, o->profile);
	{
		struct buf shown = BUF_INIT;

		http_url_shown(c->endpoint, &shown);
		c->shown = buf_detach(&shown);
	}
	if (http_url_split(c->endpoint, &c->host, &c->path)) {
		cs_err_set(err, "bad endpoint URL '%s'", c->shown);
		goto fail;
	}
	{
		/* a CA file that cannot be read fails here, not after a retry budget */
		const char *from;

		c->ca_bundle = awsconf_ca_bundle(o->profile, &from);
		if (c->ca_bundle && access(c->ca_bundle, R_OK) != 0) {
			cs_err_set(err, "%s '%s': %s", from, c->ca_bundle, strerror(errno));
			goto fail;
		}
	}
	c->creds = creds_provider_new(o->profile);
	creds_provider_region(c->creds, c->region);
	creds_provider_ca_bundle(c->creds, c->ca_bundle);
	retry_policy_default(&c->pol);
	c->pol.budget_ms = o->retry_budget_ms;
	c->pol.max_attempts = o->max_attempts;
	if (!c->pol.max_attempts && awsconf_retry(o->profile, &c->pol.max_attempts, err) < 0)
		goto fail;
	c->rng = retry_seed();
	c->verbose = o->verbose;
	ho.ca_bundle = c->ca_bundle;
	c->stop = o->stop;
	c->log = o->log;
	ho.connect_timeout_ms = o->connect_timeout_ms;
	ho.timeout_ms = o->timeout_ms;
	ho.max_connections = 64;
	c->ho = ho;
	c->http = http_client_new(&ho);
	return c;
fail:
	aws_client_free(c);
	return NULL;
}

void
aws_client_free(struct aws_client *c)
{
	if (!c)
		return;
	http_client_free(c->http);
	while (c->waiting) {
		struct call *k = c->waiting;

		c->waiting = k->next;
		free(k->body);
		free(k);
	}
	if (c->creds)
		creds_provider_free(c->creds);
	free(c->service);
	free(c->endpoint);
	free(c->shown);
	free(c->host);
	free(c->path);
	free(c->region);
	free(c->ca_bundle);
	free(c);
}

const char *
aws_client_endpoint(const struct aws_client *c)
{
	return c->shown;
}

const char *
aws_client_region(const struct aws_client *c)
{
	return c->region;
}

const struct aws_stats *
aws_client_stats(const struct aws_client *c)
{
	return &c->stats;
}

static void
finish(struct call *k, int ok, struct buf *body, struct cs_err *err)
{
	struct aws_result r;

	memset(&r, 0, sizeof r);
	r.ok = ok;
	r.body = body;
	r.attempts = k->attempts;
	if (err)
		r.err = *err;
	k->done(k->ctx, &r);
	free(k->body);
	free(k);
}

static void on_http(void *ctx, struct http_response *resp);

/* a signal asked the run to stop: a failed request is not tried again */
static int
stopping(const struct aws_client *c)
{
	return c->cancelled || (c->stop && *c->stop);
}

/*
 * K failed with LAST and ends because the run stops: say so, LAST after
 * HOW ("not retried after " a failed attempt, "" what the signal cut short)
 */
static void
finish_interrupted(struct call *k, const char *how, const struct cs_err *last)
{
	struct cs_err err;

	cs_err_clear(&err);
	snprintf(err.code, sizeof err.code, "Interrupted");
	if (last && last->msg[0])
		cs_err_set(&err, "interrupted: %s%s", how, last->msg);
	else
		cs_err_set(&err, "interrupted");
	finish(k, 0, NULL, &err);
}

/*
 * The headers of a signed call of OP with BODY: "Name: value" strings in
 * H[0..*NH) (buffers the caller wipes and frees).  -1 with err (its code
 * CredentialsError or SigningError).
 */
static int
sign_call(struct aws_client *c, const char *op, const char *body, size_t len,
    struct buf h[6], size_t *pnh, struct cs_err *err)
{
	const struct aws_creds *cr;
	struct sigv4_output so;
	struct sigv4_header sh[4];
	size_t nh = 0, i;
	char target[128];

	for (i = 0; i < 6; i++)
		buf_init(&h[i]);
	*pnh = 0;
	if (creds_get(c->creds, &cr, err)) {
		snprintf(err->code, sizeof err->code, "CredentialsError");
		return -1;
	}
	if (c->verbose && (strcmp(cr->source, c->creds_said) != 0 ||
	    cr->expires_ms != c->creds_exp_said)) {
		/* -v: where the credentials come from, when first had and when renewed (no secret) */
		char until[32] = "";

		if (cr->expires_ms)
			cs_fmt_rfc3339(until, cr->expires_ms);
		cs_logf(&c->log, "credentials from %s%s%s", cr->source,
		    cr->expires_ms ? ", temporary, until " : "", until);
		snprintf(c->creds_said, sizeof c->creds_said, "%s", cr->source);
		c->creds_exp_said = cr->expires_ms;
	}
	snprintf(target, sizeof target, "%s.%s", c->target, op);
	sh[0].name = "Host", sh[0].value = c->host;
	sh[1].name = "Content-Type", sh[1].value = c->ctype;
	sh[2].name = "X-Amz-Target", sh[2].value = target;

	struct sigv4_input in = {
		.method = "POST", .path = c->path, .query = NULL,
		.headers = sh, .nheaders = 3,
		.body = body, .body_len = len,
		.region = c->region, .service = c->service,
		.access_key = cr->access_key, .secret_key = cr->secret_key,
		.session_token = cr->session_token,
		.now = time(NULL) + c->skew_s,
		.normalize_path = 1, .sign_body = 0,
	};
	sigv4_output_init(&so);
	if (sigv4_sign(&in, &so, err)) {
		sigv4_output_free(&so);
		snprintf(err->code, sizeof err->code, "SigningError");
		return -1;
	}
	buf_printf(&h[nh++], "Content-Type: %s", c->ctype);
	buf_printf(&h[nh++], "X-Amz-Target: %s", target);
	buf_printf(&h[nh++], "X-Amz-Date: %s", so.amz_date);
	buf_printf(&h[nh++], "Authorization: %s", so.authorization.data);
	if (cr->session_token && *cr->session_token)
		buf_printf(&h[nh++], "X-Amz-Security-Token: %s", cr->session_token);
	sigv4_output_free(&so);
	*pnh = nh;
	return 0;
}

static void
wipe_headers(struct buf h[6])
{
	size_t i;

	for (i = 0; i < 6; i++)
		buf_wipe_free(&h[i]); /* it held a token */
}

static void
send_call(struct call *k)
{
	struct aws_client *c = k->c;
	struct cs_err err;
	struct buf h[6];
	const char *hp[6];
	size_t nh = 0, i;

	cs_err_clear(&err);
	/* a first attempt still goes out when a signal came; a retry does not */
	if (c->cancelled || (k->attempts && stopping(c))) {
		finish_interrupted(k, "not retried after ", k->last.msg[0] ? &k->last : NULL);
		return;
	}
	if (sign_call(c, k->op, k->body, k->len, h, &nh, &err) < 0) {
		wipe_headers(h);
		if (stopping(c))
			finish_interrupted(k, "", &err); /* a fetch of credentials the signal cut short */
		else
			finish(k, 0, NULL, &err);
		return;
	}
	for (i = 0; i < nh; i++)
		hp[i] = h[i].data;
	k->attempts++;
	c->stats.requests++;
	if (k->attempts > 1)
		c->stats.retries++;
	c->sending++;
	http_start(c->http, "POST", c->endpoint, hp, nh, k->body, k->len, on_http, k);
	wipe_headers(h);
}

/* seconds since the epoch of an HTTP date, "Thu, 26 Nov 2026 20:30:14 GMT"; -1 if not one */
static time_t
http_date(const char *s)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof tm);
	end = strptime(s, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (!end)
		return -1;
	return timegm(&tm);
}

static void
on_http(void *ctx, struct http_response *resp)
{
	struct call *k = ctx;
	struct aws_client *c = k->c;
	struct cs_err err;
	unsigned wait;
	uint64_t now = cs_now_ms();

	c->sending--;
	cs_err_clear(&err);
	/* -v: the trace the user asked for, to the tool's log */
	if (c->verbose)
		cs_logf(&c->log, "POST %s %s -> %ld (%.0f ms%s%s)%s", c->shown, k->op, resp->status,
		    resp->seconds * 1000, resp->version && resp->version[0] ? ", " : "",
		    resp->version ? resp->version : "", k->attempts > 1 ? " (retry)" : "");
	if (resp->status == 200) {
		finish(k, 1, &resp->body, NULL);
		return;
	}
	err.http_status = (int)resp->status;
	if (resp->status == 0) {
		snprintf(err.code, sizeof err.code, "NetworkError");
		cs_err_set(&err, "cannot reach %s: %s", c->shown, resp->error);
	} else {
		aws_error_from_response(resp, &err);
	}
	if (retry_is_throttle(err.code))
		c->stats.throttled++;

	/* a clock off by minutes: adopt the service's and sign again, once */
	if (resp->status && retry_is_clock_skew(err.code, err.msg) && k->attempts < 2 && resp->date[0]) {
		time_t theirs = http_date(resp->date);

		if (theirs > 0) {
			c->skew_s = (long)(theirs - time(NULL));
			send_call(k);
			return;
		}
	}
	/* credentials that expired under us: read them again, once */
	if (!k->creds_retried && (strcmp(err.code, "ExpiredTokenException") == 0 ||
	    strcmp(err.code, "ExpiredToken") == 0)) {
		k->creds_retried = 1;
		creds_invalidate(c->creds);
		send_call(k);
		return;
	}
	err.retryable = !resp->permanent && retry_is_retryable(err.http_status, err.code);
	if (err.retryable && stopping(c)) {
		finish_interrupted(k, "not retried after ", &err);
		return;
	}
	if (err.retryable) {
		wait = retry_backoff_ms(&c->pol, k->attempts, &c->rng);
		if (retry_allowed(&c->pol, k->attempts, now - k->start_ms, wait)) {
			k->due_ms = now + wait;
			k->last = err;
			k->next = c->waiting;
			c->waiting = k;
			return;
		}
		size_t l = strlen(err.msg);
		snprintf(err.msg + l, sizeof err.msg - l, " (gave up after %u attempt%s in %.1f s)",
		    k->attempts, k->attempts == 1 ? "" : "s", (double)(now - k->start_ms) / 1000.0);
	}
	finish(k, 0, NULL, &err);
}

void
aws_submit(struct aws_client *c, const char *op, const char *body, size_t len,
    aws_done_fn done, void *ctx)
{
	struct call *k = cs_calloc(1, sizeof *k);

	k->c = c;
	snprintf(k->op, sizeof k->op, "%s", op);
	k->body = cs_strndup(body, len);
	k->len = len;
	k->done = done;
	k->ctx = ctx;
	k->start_ms = cs_now_ms();
	send_call(k);
}

int
aws_inflight(const struct aws_client *c)
{
	int n = c->sending;
	const struct call *k;

	for (k = c->waiting; k; k = k->next)
		n++;
	return n;
}

int
aws_run(struct aws_client *c, int timeout_ms, int extra_fd)
{
	uint64_t now = cs_now_ms(), next = 0;
	struct call **pp, *k, *due = NULL;

	/* send the retries whose wait is over */
	for (pp = &c->waiting; (k = *pp) != NULL;) {
		if (k->due_ms <= now || stopping(c)) {
			*pp = k->next;
			k->next = due;
			due = k;
		} else {
			if (!next || k->due_ms < next)
				next = k->due_ms;
			pp = &k->next;
		}
	}
	while (due) {
		k = due;
		due = k->next;
		k->next = NULL;
		send_call(k);
	}
	if (next && (int64_t)(next - now) < timeout_ms)
		timeout_ms = (int)(next - now);
	if (timeout_ms < 0)
		timeout_ms = 0;
	http_run(c->http, timeout_ms, extra_fd);
	return aws_inflight(c);
}

void
aws_cancel_retries(struct aws_client *c)
{
	c->cancelled = 1;
	http_wakeup(c->http);
}

struct sync_ctx {
	int done;
	int ok;
	struct buf *resp;
	struct cs_err *err;
};

static void
sync_done(void *ctx, const struct aws_result *r)
{
	struct sync_ctx *s = ctx;

	s->done = 1;
	s->ok = r->ok;
	if (r->ok) {
		buf_reset(s->resp);
		buf_add(s->resp, r->body->data ? r->body->data : "", r->body->len);
	} else if (s->err) {
		*s->err = r->err;
	}
}

int
aws_call(struct aws_client *c, const char *op, const char *body, size_t len,
    struct buf *resp, struct cs_err *err)
{
	struct sync_ctx s = { 0, 0, resp, err };

	aws_submit(c, op, body, len, sync_done, &s);
	while (!s.done)
		aws_run(c, 100, -1);
	return s.ok ? 0 : -1;
}

/* --- streaming calls ------------------------------------------------------ */
void
aws_client_use_http2(struct aws_client *c)
{
	if (c->ho.http2)
		return;
	http_client_free(c->http);
	c->ho.http2 = 1;
	c->http = http_client_new(&c->ho);
}

static int
stream_data(void *ctx, const char *p, size_t n)
{
	struct aws_stream *s = ctx;

	return s->on_data(s->ctx, p, n);
}

static void
stream_done(void *ctx, struct http_response *resp)
{
	struct aws_stream *s = ctx;
	struct aws_client *c = s->c;
	struct aws_result r;

	memset(&r, 0, sizeof r);
	r.attempts = 1;
	c->sending--;
	if (c->verbose)
		cs_logf(&c->log, "POST %s %s -> %ld (%.0f ms%s%s, stream ended)", c->shown, s->op,
		    resp->status, resp->seconds * 1000, resp->version && resp->version[0] ? ", " : "",
		    resp->version ? resp->version : "");
	if (resp->status == 200 && !resp->error[0]) {
		r.ok = 1;
		r.body = &resp->body;
	} else if (resp->status == 0 || (resp->status == 200 && resp->error[0])) {
		r.err.http_status = (int)resp->status;
		snprintf(r.err.code, sizeof r.err.code, "NetworkError");
		cs_err_set(&r.err, "%s from %s: %s", s->op, c->shown, resp->error);
	} else {
		r.err.http_status = (int)resp->status;
		aws_error_from_response(resp, &r.err);
		if (retry_is_throttle(r.err.code))
			c->stats.throttled++;
	}
	s->x = NULL;
	s->done(s->ctx, &r);
	free(s->body);
	free(s);
}

struct aws_stream *
aws_stream_start(struct aws_client *c, const char *op, const char *body, size_t len,
    long stall_s, aws_data_fn on_data, aws_done_fn done, void *ctx, struct cs_err *err)
{
	struct aws_stream *s;
	struct buf h[6];
	const char *hp[6];
	size_t nh, i;

	if (stopping(c)) {
		cs_err_set(err, "interrupted");
		snprintf(err->code, sizeof err->code, "Interrupted");
		return NULL;
	}
	if (sign_call(c, op, body, len, h, &nh, err) < 0) {
		wipe_headers(h);
		return NULL;
	}
	s = cs_calloc(1, sizeof *s);
	s->c = c;
	snprintf(s->op, sizeof s->op, "%s", op);
	s->body = cs_strndup(body, len);
	s->len = len;
	s->on_data = on_data;
	s->done = done;
	s->ctx = ctx;
	for (i = 0; i < nh; i++)
		hp[i] = h[i].data;
	c->stats.requests++;
	c->sending++;
	s->x = http_start_stream(c->http, "POST", c->endpoint, hp, nh, s->body, s->len, stall_s,
	    stream_data, stream_done, s);
	wipe_headers(h);
	return s;
}

void
aws_stream_pause(struct aws_stream *s, int pause)
{
	if (s->x)
		http_pause(s->x, pause);
}

void
aws_stream_cancel(struct aws_stream *s)
{
	if (!s)
		return;
	if (s->x) {
		http_cancel(s->c->http, s->x);
		s->c->sending--;
	}
	free(s->body);
	free(s);
}
