/*
 * listen.c - cs-put --listen: POST /report (a record, an array, NDJSON),
 * GET /beacon.js, CORS and enrichment, over libmicrohttpd, through the
 * putter (see listen.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clickstream.h"
#include "json.h"
#include "listen.h"
#include "netaddr.h"
#include "retry.h"

enum { Q_RECEIVING, Q_QUEUED, Q_ANSWERED };

/* one request; lives from its first callback to MHD's "completed" notice */
struct lreq {
	struct listener *l;
	struct MHD_Connection *conn;
	struct buf body;
	int too_large;
	int state;
	int close;                 /* answer with "Connection: close" */
	char peer[64];             /* the peer's address */
	uint64_t t0;               /* when it came (monotonic ms) */
	struct lreq *next;         /* in the inbox */
	size_t target_len;         /* the request target's length up to a NUL byte, if any */
	int begun;                 /* on_request has seen it */
	int nul;                   /* the target holds a NUL byte, raw or as %00: it names nothing */
	struct listen_batch b;     /* its records */
	size_t pending;            /* records without their fate yet */
	struct listen_answer ans;
};

struct listener {
	struct listen_config cfg;
	struct sockaddr_storage sa;
	socklen_t salen;
	struct MHD_Daemon *d;
	int wake[2];
	pthread_mutex_t mu;
	struct lreq *inbox, **inbox_tail;
	int stopping;              /* a signal came: no new request is taken */
	unsigned long suspended;   /* requests waiting for their record's fate */
	unsigned long unsent;      /* requests queued whose answer has not gone out yet */
	unsigned long in_flight;   /* requests received, not answered */
	struct listen_stats st;
};

/* --- request logic (no socket) ---------------------------------------------- */

void
listen_answer_error(struct listen_answer *ans, int status, const char *code, const char *msg)
{
	ans->status = status;
	buf_reset(&ans->body);
	buf_adds(&ans->body, "{\"Code\":");
	json_escape_str(&ans->body, code);
	buf_adds(&ans->body, ",\"Message\":");
	json_escape_str(&ans->body, msg);
	buf_addc(&ans->body, '}');
}

void
listen_minify(struct buf *out, const char *s, size_t n)
{
	size_t i, run = 0;
	int in_str = 0;

	buf_grow(out, n);
	for (i = 0; i < n; i++) {
		char ch = s[i];

		if (in_str) {
			if (ch == '\\')
				i++;
			else if (ch == '"')
				in_str = 0;
			continue;
		}
		if (ch == '"') {
			in_str = 1;
		} else if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') {
			buf_add(out, s + run, i - run);
			run = i + 1;
		}
	}
	if (run < n)
		buf_add(out, s + run, n - run);
}

static int
is_report_path(const char *url)
{
	return strcmp(url, "/report") == 0 || strcmp(url, "/Prod/report") == 0;
}

static int
is_script_path(const char *url)
{
	return strcmp(url, "/beacon.js") == 0;
}

int
listen_origin_allowed(const struct listen_config *cfg, const char *origin)
{
	const char *const *o;

	if (!cfg->allow_origins)
		return 1;
	for (o = cfg->allow_origins; *o; o++)
		if (strcmp(*o, origin) == 0)
			return 1;
	return 0;
}

static struct listen_item *
add_item(struct listen_batch *b)
{
	struct listen_item *it;

	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 4;
		b->items = cs_realloc(b->items, b->cap * sizeof *b->items);
	}
	it = &b->items[b->n++];
	memset(it, 0, sizeof *it);
	return it;
}

static void
item_fail(struct listen_item *it, int status, const char *code, const char *msg)
{
	it->state = LI_FAILED;
	it->status = status;
	free(it->code);
	free(it->message);
	it->code = cs_strdup(code);
	it->message = cs_strdup(msg);
}

void
listen_batch_free(struct listen_batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		struct listen_item *it = &b->items[i];

		buf_free(&it->record);
		free(it->code);
		free(it->message);
		free(it->shard_id);
		free(it->sequence_number);
	}
	free(b->items);
	memset(b, 0, sizeof *b);
}

/* the text of the value token T: strings with their quotes */
static void
value_span(const struct json_doc *d, int t, size_t *start, size_t *end)
{
	const struct json_tok *k = &d->tok[t];

	if (k->type == JSON_STRING) {
		*start = k->start - 1;
		*end = k->start + k->len + 1;
	} else {
		*start = k->start;
		*end = k->start + k->len;
	}
}

/* "absent, null or empty": the server may fill it in */
static int
missing(const struct json_doc *d, int t)
{
	return t < 0 || d->tok[t].type == JSON_NULL ||
	    (d->tok[t].type == JSON_STRING && d->tok[t].len == 0);
}

static const char *const enrich_fields[] = { "ip", "timestamp", "country" };

void
listen_enrich(struct buf *rec, const char *ip, const char *ts, const struct geoip *geo,
    int override)
{
	struct json_doc d;
	struct buf out = BUF_INIT, country = BUF_INIT, client_ip = BUF_INIT;
	const char *val[3] = { ip, ts, NULL };
	int replace[3] = { 0, 0, 0 }, any = 0, f, first = 1;
	uint32_t i, m;

	json_doc_init(&d, JSON_DEFAULT_DEPTH);
	if (json_parse(&d, rec->data, rec->len) != 0 || d.tok[0].type != JSON_OBJECT)
		goto out;
	for (f = 0; f < 2; f++) {
		int t = json_obj_get(&d, 0, enrich_fields[f], strlen(enrich_fields[f]));

		replace[f] = val[f] && (override || missing(&d, t));
	}
	/* the country of the ip the record ends with */
	if (geo) {
		int t = json_obj_get(&d, 0, "country", 7);

		if (override || missing(&d, t)) {
			const char *look = replace[0] ? ip : NULL;

			if (!look) {
				int it = json_obj_get(&d, 0, "ip", 2);

				if (it >= 0 && d.tok[it].type == JSON_STRING) {
					json_str_decode(&d, it, &client_ip);
					buf_addc(&client_ip, '\0');
					look = client_ip.data;
				}
			}
			/* an address only: never a name to resolve */
			if (look && cs_valid_ip(look, strlen(look)) && geoip_country(geo, look, &country)) {
				buf_addc(&country, '\0');
				val[2] = country.data;
				replace[2] = 1;
			}
		}
	}
	for (f = 0; f < 3; f++)
		any |= replace[f];
	if (!any)
		goto out;
	buf_addc(&out, '{');
	i = 1;
	for (m = 0; m < d.tok[0].size; m++) {
		int skip = 0;
		size_t vs, ve;

		for (f = 0; f < 3; f++)
			if (replace[f] && json_str_eq(&d, (int)i, enrich_fields[f], strlen(enrich_fields[f])))
				skip = 1;
		if (!skip) {
			value_span(&d, (int)i + 1, &vs, &ve);
			if (!first)
				buf_addc(&out, ',');
			first = 0;
			buf_add(&out, d.text + d.tok[i].start - 1, ve - (d.tok[i].start - 1));
		}
		i = d.tok[i + 1].next;
	}
	for (f = 0; f < 3; f++) {
		if (!replace[f])
			continue;
		if (!first)
			buf_addc(&out, ',');
		first = 0;
		json_escape_str(&out, enrich_fields[f]);
		buf_addc(&out, ':');
		json_escape_str(&out, val[f]);
	}
	buf_addc(&out, '}');
	buf_reset(rec);
	buf_add(rec, out.data, out.len);
out:
	json_doc_free(&d);
	buf_free(&out);
	buf_free(&country);
	buf_free(&client_ip);
}

/* the client's address: X-Forwarded-For's last entry when trusted and valid, else the peer */
static void
client_ip(const struct listen_config *cfg, const struct listen_in *in, char *out, size_t size)
{
	if (cfg->trust_forwarded && in->forwarded && *in->forwarded) {
		const char *s = strrchr(in->forwarded, ',');
		size_t n;

		s = s ? s + 1 : in->forwarded;
		while (*s == ' ' || *s == '\t')
			s++;
		n = strlen(s);
		while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
			n--;
		if (n > 0 && n < size && cs_valid_ip(s, n)) {
			memcpy(out, s, n);
			out[n] = '\0';
			return;
		}
	}
	snprintf(out, size, "%s", in->peer ? in->peer : "");
}

/* the record at D's token T (an object) into a new item, or a refused item */
static void
take_object(const struct listen_config *cfg, struct listen_batch *b, const struct json_doc *d,
    int t, const char *ip, const char *ts, const char *what)
{
	struct listen_item *it = add_item(b);

	if (d->tok[t].type != JSON_OBJECT) {
		char m[96];

		snprintf(m, sizeof m, "%s is not a JSON object", what);
		item_fail(it, 400, "InvalidJSON", m);
		return;
	}
	listen_minify(&it->record, d->text + d->tok[t].start, d->tok[t].len);
	if (!cfg->no_enrich)
		listen_enrich(&it->record, ip, ts, cfg->geo, cfg->override);
	it->state = LI_PUT;
}

/* NDJSON: each line that is not blank a record */
static void
take_lines(const struct listen_config *cfg, struct listen_batch *b, const char *body,
    size_t len, const char *ip, const char *ts)
{
	struct json_doc d;
	size_t pos = 0, lineno = 0;

	json_doc_init(&d, JSON_DEFAULT_DEPTH);
	while (pos < len && b->n <= LISTEN_MAX_RECORDS) {
		const char *nl = memchr(body + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - body) : len, i;
		int blank = 1;

		lineno++;
		for (i = pos; i < end; i++)
			if (body[i] != ' ' && body[i] != '\t' && body[i] != '\r')
				blank = 0;
		if (!blank) {
			char what[48];

			snprintf(what, sizeof what, "line %zu", lineno);
			if (json_parse(&d, body + pos, end - pos) != 0) {
				struct buf m = BUF_INIT;

				buf_printf(&m, "line %zu is not JSON: %s", lineno, d.err);
				item_fail(add_item(b), 400, "InvalidJSON", m.data);
				buf_free(&m);
			} else {
				take_object(cfg, b, &d, 0, ip, ts, what);
			}
		}
		pos = end + 1;
	}
	json_doc_free(&d);
}

/* more than one line that is not blank */
static int
several_lines(const char *s, size_t n)
{
	size_t i, lines = 0;
	int text = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '\n') {
			lines += text;
			text = 0;
		} else if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r') {
			text = 1;
		}
	}
	return lines + text > 1;
}

static int
count_to_put(const struct listen_batch *b)
{
	size_t i;
	int n = 0;

	for (i = 0; i < b->n; i++)
		n += b->items[i].state == LI_PUT;
	return n;
}

int
listen_request(const struct listen_config *cfg, const struct listen_in *in,
    struct listen_batch *b, struct listen_answer *ans)
{
	struct json_doc d;
	char ip[64], ts[32], m[160];
	const char *body = in->body ? in->body : "";
	int rc = 0;

	ans->preflight = ans->allow = ans->script = 0;
	ans->methods = "POST, OPTIONS";
	listen_batch_free(b);
	if (is_script_path(in->url)) {
		ans->methods = "GET, HEAD, OPTIONS";
		buf_reset(&ans->body);
		if (strcmp(in->method, "OPTIONS") == 0) {
			ans->status = 204;
			ans->preflight = 1;
		} else if (strcmp(in->method, "GET") == 0 || strcmp(in->method, "HEAD") == 0) {
			ans->status = 200;
			ans->script = 1;
		} else {
			listen_answer_error(ans, 405, "MethodNotAllowed", "only GET is allowed on /beacon.js");
			ans->allow = 1;
		}
		return 0;
	}
	if (!is_report_path(in->url)) {
		listen_answer_error(ans, 404, "NotFound",
		    "no such resource: only POST /report and GET /beacon.js are served");
		return 0;
	}
	if (strcmp(in->method, "OPTIONS") == 0) {
		ans->status = 204;
		ans->preflight = 1;
		buf_reset(&ans->body);
		return 0;
	}
	if (strcmp(in->method, "POST") != 0) {
		listen_answer_error(ans, 405, "MethodNotAllowed", "only POST is allowed on /report");
		ans->allow = 1;
		return 0;
	}
	if (in->origin && !listen_origin_allowed(cfg, in->origin)) {
		struct buf e = BUF_INIT;

		buf_adds(&e, "origin ");
		json_escape(&e, in->origin, strnlen(in->origin, 200));
		buf_adds(&e, " is not allowed to report here");
		listen_answer_error(ans, 403, "ForbiddenOrigin", e.data);
		buf_free(&e);
		return 0;
	}
	if (in->too_large) {
		snprintf(m, sizeof m, "request body is over the limit of %u bytes", LISTEN_MAX_BODY);
		listen_answer_error(ans, 413, "RecordTooLarge", m);
		return 0;
	}
	if (in->len == 0) {
		listen_answer_error(ans, 400, "InvalidJSON", "request body is empty: send one JSON record");
		return 0;
	}
	client_ip(cfg, in, ip, sizeof ip);
	cs_fmt_rfc3339(ts, in->now_ms);
	json_doc_init(&d, JSON_DEFAULT_DEPTH);
	if (json_parse(&d, body, in->len) == 0) {
		if (d.tok[0].type == JSON_OBJECT) {
			b->single = 1;
			take_object(cfg, b, &d, 0, *ip ? ip : NULL, ts, "the body");
		} else if (d.tok[0].type == JSON_ARRAY) {
			uint32_t i = 1, k, objects = 0;

			/* an array with no object in it is no batch of records */
			for (k = 0; k < d.tok[0].size; k++) {
				objects += d.tok[i].type == JSON_OBJECT;
				i = d.tok[i].next;
			}
			if (d.tok[0].size && !objects) {
				listen_answer_error(ans, 400, "InvalidJSON", "request body is not a JSON object");
				goto out;
			}
			i = 1;

			for (k = 0; k < d.tok[0].size && b->n <= LISTEN_MAX_RECORDS; k++) {
				char what[48];

				snprintf(what, sizeof what, "record %u", k + 1);
				take_object(cfg, b, &d, (int)i, *ip ? ip : NULL, ts, what);
				i = d.tok[i].next;
			}
			if (b->n == 0) {
				listen_answer_error(ans, 400, "InvalidJSON", "request body is an empty array: send records");
				goto out;
			}
		} else {
			listen_answer_error(ans, 400, "InvalidJSON", "request body is not a JSON object");
			goto out;
		}
	} else if (several_lines(body, in->len)) {
		take_lines(cfg, b, body, in->len, *ip ? ip : NULL, ts);
	} else {
		struct buf e = BUF_INIT;

		buf_printf(&e, "request body is not JSON: %s", d.err);
		listen_answer_error(ans, 400, "InvalidJSON", e.data);
		buf_free(&e);
		goto out;
	}
	if (b->n > LISTEN_MAX_RECORDS) {
		snprintf(m, sizeof m, "request body has more than %u records", LISTEN_MAX_RECORDS);
		listen_answer_error(ans, 413, "TooManyRecords", m);
		listen_batch_free(b);
		goto out;
	}
	rc = count_to_put(b);
	if (rc == 0)
		listen_answer_batch(ans, cfg->stream ? cfg->stream : "", b);
out:
	json_doc_free(&d);
	return rc;
}

/* the HTTP status of a record's failure */
static int
fail_status(const struct put_result *res)
{
	if (res->http_status >= 400)
		return res->http_status;
	if (strcmp(res->code, "RecordTooLarge") == 0)
		return 413;
	if (retry_is_throttle(res->code) || strncmp(res->code, "Invalid", 7) == 0)
		return 400;
	if (strcmp(res->code, "NetworkError") == 0 || strcmp(res->code, "Interrupted") == 0)
		return 503;
	return 500;
}

/*
 * The service's own errors are passed on, as the sample did; ours
 * (credentials, signing, the network) would tell a stranger about this
 * machine's files and addresses: they stay in our own log.
 */
static const char *
public_message(const struct put_result *res)
{
	if (strcmp(res->code, "CredentialsError") == 0 || strcmp(res->code, "SigningError") == 0 ||
	    strcmp(res->code, "NetworkError") == 0 || strcmp(res->code, "Interrupted") == 0)
		return "the record could not be put to the stream; the endpoint's log says why";
	return res->message ? res->message : "";
}

void
listen_answer_put(struct listen_answer *ans, const char *stream, const struct put_result *res)
{
	struct buf *b = &ans->body;

	ans->preflight = ans->allow = ans->script = 0;
	if (!res->ok) {
		listen_answer_error(ans, fail_status(res), res->code, public_message(res));
		return;
	}
	ans->status = 200;
	buf_reset(b);
	buf_adds(b, "{\"Code\":\"PutRecordSuccessful\",\"Message\":");
	{
		struct buf m = BUF_INIT;

		buf_adds(&m, "Record was successfully put to ");
		buf_adds(&m, stream);
		json_escape(b, m.data, m.len);
		buf_free(&m);
	}
	buf_adds(b, ",\"Data\":{\"ShardId\":");
	json_escape_str(b, res->shard_id);
	buf_adds(b, ",\"SequenceNumber\":");
	json_escape_str(b, res->sequence_number);
	buf_adds(b, "}}");
}

void
listen_item_result(struct listen_item *it, const struct put_result *res)
{
	if (res->ok) {
		it->state = LI_OK;
		it->shard_id = cs_strdup(res->shard_id ? res->shard_id : "");
		it->sequence_number = cs_strdup(res->sequence_number ? res->sequence_number : "");
	} else {
		item_fail(it, fail_status(res), res->code, public_message(res));
	}
}

void
listen_answer_batch(struct listen_answer *ans, const char *stream, const struct listen_batch *b)
{
	struct buf *o = &ans->body, m = BUF_INIT;
	size_t i, failed = 0;
	int status = 200;

	ans->preflight = ans->allow = ans->script = 0;
	if (b->single && b->n == 1) {
		const struct listen_item *it = &b->items[0];
		struct put_result r;

		memset(&r, 0, sizeof r);
		if (it->state == LI_OK) {
			r.ok = 1;
			r.shard_id = it->shard_id;
			r.sequence_number = it->sequence_number;
			listen_answer_put(ans, stream, &r);
		} else {
			listen_answer_error(ans, it->status, it->code ? it->code : "InternalFailure",
			    it->message ? it->message : "");
		}
		return;
	}
	for (i = 0; i < b->n; i++) {
		if (b->items[i].state != LI_OK) {
			failed++;
			if (b->items[i].status > status || status == 200)
				status = b->items[i].status > 200 ? b->items[i].status : 500;
		}
	}
	ans->status = failed ? status : 200;
	buf_reset(o);
	buf_adds(o, failed ? "{\"Code\":\"PutRecordsFailed\",\"Message\":" :
	    "{\"Code\":\"PutRecordsSuccessful\",\"Message\":");
	if (failed)
		buf_printf(&m, "%zu of %zu records could not be put to %s", failed, b->n, stream);
	else
		buf_printf(&m, "%zu record%s successfully put to %s", b->n,
		    b->n == 1 ? " was" : "s were", stream);
	json_escape(o, m.data, m.len);
	buf_printf(o, ",\"FailedRecordCount\":%zu,\"Records\":[", failed);
	for (i = 0; i < b->n; i++) {
		const struct listen_item *it = &b->items[i];

		if (i)
			buf_addc(o, ',');
		if (it->state == LI_OK) {
			buf_adds(o, "{\"ShardId\":");
			json_escape_str(o, it->shard_id);
			buf_adds(o, ",\"SequenceNumber\":");
			json_escape_str(o, it->sequence_number);
		} else {
			const char *c = it->code ? it->code : "InternalFailure";
			const char *msg = it->message ? it->message : "";

			buf_adds(o, "{\"ErrorCode\":");
			json_escape_str(o, c);
			buf_adds(o, ",\"ErrorMessage\":");
			json_escape_str(o, msg);
		}
		buf_addc(o, '}');
	}
	buf_adds(o, "]}");
	buf_free(&m);
}

/* --- libmicrohttpd ------------------------------------------------------------- */

/* the CORS headers of an answer to a request with ORIGIN (NULL: none) */
static void
add_cors(struct listener *l, struct lreq *q, struct MHD_Response *r, const char *origin)
{
	struct listen_answer *a = &q->ans;

	if (!origin) {
		MHD_add_response_header(r, "Access-Control-Allow-Origin", "*");
	} else if (listen_origin_allowed(&l->cfg, origin)) {
		/*
		 * The origin itself and credentials allowed: "*" is refused for
		 * a request that carries credentials, as sendBeacon's always do.
		 */
		MHD_add_response_header(r, "Access-Control-Allow-Origin", origin);
		MHD_add_response_header(r, "Access-Control-Allow-Credentials", "true");
	}
	if (origin || a->preflight)
		MHD_add_response_header(r, "Vary", a->preflight ?
		    "Origin, Access-Control-Request-Headers" : "Origin");
	if (a->preflight && (!origin || listen_origin_allowed(&l->cfg, origin))) {
		const char *h = MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND,
		    "Access-Control-Request-Headers");
		const char *pn = MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND,
		    "Access-Control-Request-Private-Network");

		MHD_add_response_header(r, "Access-Control-Allow-Methods", a->methods);
		MHD_add_response_header(r, "Access-Control-Allow-Headers", h && *h ? h : "Content-Type");
		MHD_add_response_header(r, "Access-Control-Max-Age", "86400");
		if (pn && strcmp(pn, "true") == 0)
			MHD_add_response_header(r, "Access-Control-Allow-Private-Network", "true");
	}
}

static enum MHD_Result
respond(struct listener *l, struct lreq *q)
{
	struct listen_answer *a = &q->ans;
	struct MHD_Response *r;
	enum MHD_Result rc;
	const char *origin = MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND, "Origin");

	if (a->script)
		r = MHD_create_response_from_buffer(cs_beacon_js_len, (void *)cs_beacon_js,
		    MHD_RESPMEM_PERSISTENT);
	else
		r = MHD_create_response_from_buffer(a->body.len, a->body.data ? a->body.data : (char *)"",
		    MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	add_cors(l, q, r, origin);
	if (a->script) {
		MHD_add_response_header(r, "Content-Type", "text/javascript; charset=utf-8");
		MHD_add_response_header(r, "Cache-Control", "public, max-age=3600");
	} else if (!a->preflight) {
		MHD_add_response_header(r, "Content-Type", "application/json");
	}
	if (a->allow)
		MHD_add_response_header(r, "Allow", a->methods);
	pthread_mutex_lock(&l->mu);
	if (l->stopping)
		q->close = 1;
	pthread_mutex_unlock(&l->mu);
	/* stopping: the client is told not to send another request on this connection */
	if (q->close)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
	rc = MHD_queue_response(q->conn, (unsigned)a->status, r);
	MHD_destroy_response(r);
	if (l->cfg.metrics) {
		char code[32];

		snprintf(code, sizeof code, "code=\"%d\"", a->status);
		cs_metrics_add(l->cfg.metrics, "cs_put_http_requests_total", code, 1);
		cs_metrics_observe(l->cfg.metrics, "cs_put_http_request_duration_seconds", "",
		    (double)(cs_now_ms() - q->t0) / 1000.0);
	}
	pthread_mutex_lock(&l->mu);
	l->st.requests++;
	if (a->status == 200)
		l->st.ok++;
	else if (a->status < 300)
		l->st.other++;
	else if (a->status < 500)
		l->st.client_errors++;
	else
		l->st.server_errors++;
	pthread_mutex_unlock(&l->mu);
	return rc;
}

/* the peer's address as text, an IPv4-mapped IPv6 address as IPv4 */
static void
peer_text(struct MHD_Connection *conn, char *out, size_t size)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn,
	    MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	*out = '\0';
	if (!sa)
		return;
	if (sa->sa_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
		    (socklen_t)size);
	} else if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a6 = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;

		if (IN6_IS_ADDR_V4MAPPED(a6))
			inet_ntop(AF_INET, a6->s6_addr + 12, out, (socklen_t)size);
		else
			inet_ntop(AF_INET6, a6, out, (socklen_t)size);
	}
}

static int64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* GET /metrics: the text exposition format, not counted among the requests */
static enum MHD_Result
metrics_page(struct listener *l, struct lreq *q)
{
	struct MHD_Response *r;
	struct buf b = BUF_INIT;
	enum MHD_Result rc;

	l->cfg.metrics_text(l->cfg.metrics_ctx, &b);
	r = MHD_create_response_from_buffer(b.len, b.data ? b.data : (char *)"",
	    MHD_RESPMEM_MUST_COPY);
	buf_free(&b);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	rc = MHD_queue_response(q->conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return rc;
}

static struct lreq *
new_request(struct listener *l, struct MHD_Connection *conn)
{
	struct lreq *q = cs_calloc(1, sizeof *q);

	q->l = l;
	q->conn = conn;
	q->t0 = cs_now_ms();
	peer_text(conn, q->peer, sizeof q->peer);
	pthread_mutex_lock(&l->mu);
	l->in_flight++;
	pthread_mutex_unlock(&l->mu);
	return q;
}

/*
 * A request line was read (MHD_OPTION_URI_LOG_CALLBACK): URI is its target as
 * sent, up to a NUL byte if it holds one.  libmicrohttpd hands on_request the
 * target cut at a NUL, raw or unescaped from %00: "/report<NUL>x" would be
 * taken for "/report".  Its length here, against the target's whole length in
 * on_request, tells.
 */
static void *
on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct lreq *q = new_request(cls, conn);

	q->target_len = strlen(uri);
	q->nul = strstr(uri, "%00") != NULL;
	return q;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
    const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct listener *l = cls;
	struct lreq *q = *con_cls;
	struct listen_in in;
	ssize_t w;
	int n;

	if (!q || !q->begun) {
		if (!q)
			*con_cls = q = new_request(l, conn);
		q->begun = 1;
		/*
		 * The version follows the target in the request line, which
		 * libmicrohttpd keeps whole: a target longer than on_uri saw it
		 * holds a NUL byte.
		 */
		if (version > url && (size_t)(version - url) <= 65536 &&
		    (size_t)(version - url) - 1 > q->target_len)
			q->nul = 1;
		return MHD_YES;
	}
	if (*upload_size) {
		if (!q->too_large && q->body.len + *upload_size <= LISTEN_MAX_BODY)
			buf_add(&q->body, upload, *upload_size);
		else
			q->too_large = 1;
		*upload_size = 0;
		return MHD_YES;
	}
	if (q->state == Q_ANSWERED)
		return respond(l, q);
	if (q->state == Q_QUEUED)
		return MHD_YES; /* not for us: still waiting */
	if (l->cfg.metrics_text && strcmp(url, "/metrics") == 0 &&
	    (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0))
		return metrics_page(l, q);
	memset(&in, 0, sizeof in);
	in.method = method;
	in.url = q->nul ? "(a target with a NUL byte)" : url;
	in.origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
	in.forwarded = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Forwarded-For");
	in.peer = q->peer;
	in.body = q->body.data ? q->body.data : "";
	in.len = q->body.len;
	in.too_large = q->too_large;
	in.now_ms = wall_ms();
	n = listen_request(&l->cfg, &in, &q->b, &q->ans);
	buf_free(&q->body);
	if (n == 0) {
		pthread_mutex_lock(&l->mu);
		l->st.records += q->b.n;
		pthread_mutex_unlock(&l->mu);
		return respond(l, q);
	}
	/*
	 * Queue it, unless the endpoint is stopping: then a request that
	 * arrives on a connection kept alive is refused, so that no
	 * connection is suspended once the serving loop has seen the last
	 * one answered (libmicrohttpd aborts when stopped with one).  The
	 * check and the count are under one lock with the flag's setting.
	 */
	pthread_mutex_lock(&l->mu);
	if (l->stopping) {
		pthread_mutex_unlock(&l->mu);
		listen_batch_free(&q->b);
		listen_answer_error(&q->ans, 503, "ServiceUnavailable",
		    "the endpoint is stopping: send the request again later");
		q->close = 1;
		return respond(l, q);
	}
	l->st.records += q->b.n;
	q->pending = (size_t)n;
	q->state = Q_QUEUED;
	MHD_suspend_connection(conn);
	l->suspended++;
	l->unsent++;
	q->next = NULL;
	*l->inbox_tail = q;
	l->inbox_tail = &q->next;
	pthread_mutex_unlock(&l->mu);
	do
		w = write(l->wake[1], "", 1);
	while (w < 0 && errno == EINTR);
	return MHD_YES;
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct listener *l = cls;
	struct lreq *q = *con_cls;

	(void)conn;
	(void)toe;
	if (!q)
		return;
	pthread_mutex_lock(&l->mu);
	if (q->state != Q_RECEIVING)
		l->unsent--;
	l->in_flight--;
	pthread_mutex_unlock(&l->mu);
	buf_free(&q->body);
	listen_batch_free(&q->b);
	buf_free(&q->ans.body);
	free(q);
	*con_cls = NULL;
}

/* every record of request Q has its fate: answer it (on the serving thread) */
static void
answer(struct listener *l, struct lreq *q)
{
	listen_answer_batch(&q->ans, l->cfg.stream, &q->b);
	pthread_mutex_lock(&l->mu);
	q->state = Q_ANSWERED;
	l->suspended--;
	pthread_mutex_unlock(&l->mu);
	MHD_resume_connection(q->conn);
}

void
listen_put_done(void *arg, const struct put_record *rec, const struct put_result *res)
{
	struct listener *l = arg;
	struct listen_item *it = rec->ctx;
	struct lreq *q;

	if (l->cfg.chain)
		l->cfg.chain(l->cfg.chain_arg, rec, res);
	if (!it)
		return;
	listen_item_result(it, res);
	q = it->owner;
	if (--q->pending == 0)
		answer(l, q);
}

/*
 * The connections that fit under the file-descriptor limit (its soft
 * limit raised to the hard one first), less what the rest of the
 * process needs; WANT (0: as many as fit) is lowered to that.
 */
static unsigned
connection_room(unsigned want)
{
	struct rlimit rl;
	rlim_t room;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return want ? want : 1024;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < rl.rlim_max) {
		struct rlimit up = rl;

		up.rlim_cur = rl.rlim_max;
		if (up.rlim_cur == RLIM_INFINITY || up.rlim_cur > LISTEN_MAX_FDS)
			up.rlim_cur = LISTEN_MAX_FDS;
		if (up.rlim_cur > rl.rlim_cur && setrlimit(RLIMIT_NOFILE, &up) == 0)
			rl = up;
	}
	room = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > LISTEN_MAX_FDS ? LISTEN_MAX_FDS :
	    rl.rlim_cur;
	room = room > LISTEN_FD_RESERVE + 16 ? room - LISTEN_FD_RESERVE : 16;
	if (want && want < room)
		return want;
	return (unsigned)room;
}

void
listen_limits(const struct listener *l, unsigned *max_connections, unsigned *per_ip)
{
	*max_connections = l->cfg.max_connections;
	*per_ip = l->cfg.max_per_ip;
}

struct listener *
listen_new(const struct listen_config *lc, struct cs_err *err)
{
	struct listener *l = cs_calloc(1, sizeof *l);

	l->cfg = *lc;
	l->cfg.max_connections = connection_room(lc->max_connections);
	l->wake[0] = l->wake[1] = -1;
	if (cs_parse_listen_addr("--listen", lc->addr, &l->sa, &l->salen, err) != 0) {
		free(l);
		return NULL;
	}
	if (pipe2(l->wake, O_NONBLOCK | O_CLOEXEC) != 0) {
		cs_err_set(err, "cannot make a pipe: %s", strerror(errno));
		free(l);
		return NULL;
	}
	pthread_mutex_init(&l->mu, NULL);
	l->inbox_tail = &l->inbox;
	return l;
}

void
listen_free(struct listener *l)
{
	if (!l)
		return;
	if (l->d)
		MHD_stop_daemon(l->d);
	close(l->wake[0]);
	close(l->wake[1]);
	pthread_mutex_destroy(&l->mu);
	free(l);
}

void
listen_load(struct listener *l, unsigned long *in_flight, unsigned long *connections)
{
	const union MHD_DaemonInfo *di = l->d ? MHD_get_daemon_info(l->d,
	    MHD_DAEMON_INFO_CURRENT_CONNECTIONS) : NULL;

	pthread_mutex_lock(&l->mu);
	*in_flight = l->in_flight;
	pthread_mutex_unlock(&l->mu);
	*connections = di ? di->num_connections : 0;
}

void
listen_get_stats(const struct listener *l, struct listen_stats *s)
{
	*s = l->st;
}

/* hand what came in over to the putter */
static void
take_inbox(struct listener *l, struct putter *p, struct putkey *k, struct buf *key,
    struct buf *ehk)
{
	struct lreq *q, *next;
	char drain[256];

	while (read(l->wake[0], drain, sizeof drain) > 0)
		;
	pthread_mutex_lock(&l->mu);
	q = l->inbox;
	l->inbox = NULL;
	l->inbox_tail = &l->inbox;
	pthread_mutex_unlock(&l->mu);
	for (; q; q = next) {
		size_t i, last = 0;

		next = q->next;
		/*
		 * The fate of the last record to put may answer Q at once, and Q
		 * is gone when the answer is out: nothing of Q is read after it.
		 */
		for (i = 0; i < q->b.n; i++)
			if (q->b.items[i].state == LI_PUT)
				last = i;
		for (i = 0; i <= last; i++) {
			struct listen_item *it = &q->b.items[i];
			uint64_t line = q->b.single ? 0 : i + 1;
			struct cs_err err;

			if (it->state != LI_PUT)
				continue;
			it->owner = q;
			cs_err_clear(&err);
			if (putkey_get(k, it->record.data, it->record.len, key, ehk, &err) != 0)
				putter_reject(p, it->record.data, it->record.len, "POST /report", line,
				    err.code, err.msg, it);
			else
				putter_add(p, it->record.data, it->record.len, key->data, key->len,
				    ehk->len ? ehk->data : NULL, "POST /report", line, it);
		}
	}
}

int
listen_serve(struct listener *l, struct putter *p, struct putkey *k,
    volatile sig_atomic_t *stop, struct cs_err *err)
{
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_ALLOW_SUSPEND_RESUME;
	struct buf key = BUF_INIT, ehk = BUF_INIT;
	sig_atomic_t seen = *stop;
	int stopping = 0;

	if (l->sa.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	l->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, l,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&l->sa,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)l->cfg.max_connections,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)l->cfg.max_per_ip,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)LISTEN_IDLE_TIMEOUT,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, l,
	    MHD_OPTION_URI_LOG_CALLBACK, on_uri, l,
	    MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1,
	    MHD_OPTION_END);
	if (!l->d) {
		cs_err_set(err, "cannot listen on '%s': %s", l->cfg.addr,
		    errno ? strerror(errno) : "libmicrohttpd refused");
		return -1;
	}
	if (l->cfg.verbose) {
		const union MHD_DaemonInfo *di = MHD_get_daemon_info(l->d, MHD_DAEMON_INFO_BIND_PORT);

		cs_logf(&l->cfg.log, "listening on %s (port %u): POST /report; %u connections at most, "
		    "%u per address", l->cfg.addr, di ? (unsigned)di->port : 0, l->cfg.max_connections,
		    l->cfg.max_per_ip);
	}
	for (;;) {
		unsigned long waiting;

		if (*stop != seen) {
			seen = *stop;
			if (!stopping) {
				MHD_socket fd;

				stopping = 1;
				/* from now on no request is queued (on_request refuses) */
				pthread_mutex_lock(&l->mu);
				l->stopping = 1;
				pthread_mutex_unlock(&l->mu);
				/* no new connections: the listening socket is ours to close */
				fd = MHD_quiesce_daemon(l->d);
				if (fd != MHD_INVALID_SOCKET)
					close(fd);
				putter_flush(p);
			} else {
				putter_interrupt(p, 1);
			}
		}
		take_inbox(l, p, k, &key, &ehk);
		putter_run(p, stopping ? 50 : 200, l->wake[0]);
		if (l->cfg.tick)
			l->cfg.tick(l->cfg.metrics_ctx);
		pthread_mutex_lock(&l->mu);
		waiting = l->suspended + (l->inbox != NULL);
		pthread_mutex_unlock(&l->mu);
		if (stopping && waiting == 0 && putter_outstanding(p) == 0)
			break;
	}
	buf_free(&key);
	buf_free(&ehk);
	/*
	 * Every queued request has its answer and none can be queued any
	 * more: let the answers go out (LISTEN_GRACE_MS at most, for clients
	 * that do not read them) before the daemon and its connections go.
	 */
	{
		uint64_t until = cs_now_ms() + LISTEN_GRACE_MS;
		unsigned long unsent = 1;

		while (unsent && cs_now_ms() < until) {
			pthread_mutex_lock(&l->mu);
			unsent = l->unsent;
			pthread_mutex_unlock(&l->mu);
			if (unsent)
				cs_sleep_ms(5);
		}
	}
	MHD_stop_daemon(l->d);
	l->d = NULL;
	return 0;
}
