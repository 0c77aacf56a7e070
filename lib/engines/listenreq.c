/*
 * listenreq.c - cs-put --listen's request logic, without a socket: what a
 * request asks (the path, the method, CORS's allow-list), its body taken
 * apart into records (one object, an array, NDJSON), each record minified
 * and enriched (ip, timestamp, country), and the answers, the sample's for
 * one record or PutRecords's shape for several (see listen.h).  listen.c
 * serves them over libmicrohttpd.
 */
#include <stdlib.h>
#include <string.h>

#include "clickstream.h"
#include "json.h"
#include "listen.h"
#include "retry.h"

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
	it->line = b->n;
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
		buf_add(&it->record, d->text + d->tok[t].start, d->tok[t].len);
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
				struct listen_item *it = add_item(b);
				struct buf m = BUF_INIT;

				buf_printf(&m, "line %zu is not JSON: %s", lineno, d.err);
				item_fail(it, 400, "InvalidJSON", m.data);
				buf_add(&it->record, body + pos, end - pos);
				buf_free(&m);
				it->line = lineno;
			} else {
				take_object(cfg, b, &d, 0, ip, ts, what);
				b->items[b->n - 1].line = lineno;
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
