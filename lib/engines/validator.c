/*
 * validator.c - one record through cs-validate's rules, to the output or
 * the rejects (see validator.h).
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clickstream.h"
#include "envelope.h"
#include "json.h"
#include "validator.h"

/* the output, written in large blocks with write(2) */
#define OUT_CAP (256u << 10)
struct out {
	int fd;
	char *buf;
	size_t len;
	int failed;   /* a write error was reported */
	int closed;   /* the reader went away (EPIPE): a quiet stop */
	size_t lines; /* line ends in BUF */
	unsigned long long written; /* lines written whole, their line end included */
};

struct validator {
	struct validator_config cfg;
	int rejects_failed;   /* rejects_write failed: write no more */

	struct cs_record rec;
	/* an envelope's record: its bytes, key (unused), members for the reject */
	struct json_doc edoc;
	struct buf edata, ekey, eextra;
	struct out out;
	unsigned long long nread, neligible, nrejected;
	struct validator_reason *reasons;
	size_t nreasons;
};

static int
out_flush(struct out *o, struct cs_err *err)
{
	size_t done = 0;
	ssize_t w;

	while (done < o->len && !o->failed && !o->closed) {
		w = write(o->fd, o->buf + done, o->len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			/* a non-blocking output, left so by a parent: wait until it takes more */
			struct pollfd p = { .fd = o->fd, .events = POLLOUT };

			poll(&p, 1, 1000);
			continue;
		}
		if (w < 0 && errno == EPIPE) {
			o->closed = 1;
		} else if (w <= 0) {
			cs_err_set(err, "write error on standard output: %s", strerror(errno));
			o->failed = 1;
		} else {
			done += (size_t)w;
		}
	}
	if (done == o->len) {
		o->written += o->lines;
	} else {
		/* stopped part way: the lines whose end went out were written */
		const char *p = o->buf, *end = o->buf + done;

		while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
			o->written++;
			p++;
		}
	}
	o->len = 0;
	o->lines = 0;
	return o->failed || o->closed ? -1 : 0;
}

static int
out_line(struct out *o, const char *s, size_t n, struct cs_err *err)
{
	if (o->len + n + 1 > OUT_CAP) {
		if (out_flush(o, err))
			return -1;
		if (n + 1 > OUT_CAP) {
			/* a line bigger than the buffer: write it through */
			char *keep = o->buf;
			int rc;

			o->buf = (char *)s;
			o->len = n;
			rc = out_flush(o, err);
			o->buf = keep;
			if (rc)
				return -1;
			o->buf[o->len++] = '\n';
			o->lines++;
			return 0;
		}
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len++] = '\n';
	o->lines++;
	return 0;
}

struct validator *
validator_new(const struct validator_config *cfg)
{
	struct validator *V = cs_calloc(1, sizeof *V);

	V->cfg = *cfg;
	cs_record_init(&V->rec, 0);
	json_doc_init(&V->edoc, JSON_DEFAULT_DEPTH);
	V->out.fd = cfg->out_fd;
	V->out.buf = cs_malloc(OUT_CAP);
	return V;
}

void
validator_free(struct validator *V)
{
	if (!V)
		return;
	free(V->reasons);
	free(V->out.buf);
	cs_record_free(&V->rec);
	json_doc_free(&V->edoc);
	buf_free(&V->edata);
	buf_free(&V->ekey);
	buf_free(&V->eextra);
	free(V);
}

static void
count_reason(struct validator *V, const struct cs_verdict *v)
{
	const char *key = v->field[0] ? v->field : v->error;
	size_t i;

	for (i = 0; i < V->nreasons; i++)
		if (strcmp(V->reasons[i].key, key) == 0)
			break;
	if (i == V->nreasons) {
		V->reasons = cs_realloc(V->reasons, (i + 1) * sizeof *V->reasons);
		snprintf(V->reasons[i].key, sizeof V->reasons[i].key, "%s", key);
		V->reasons[i].n = 0;
		V->nreasons++;
	}
	V->reasons[i].n++;
}

static int
reject(struct validator *V, const char *source, uint64_t lineno, const struct cs_verdict *v,
    const char *line, size_t len, const char *extra)
{
	struct reject rj = {
		.source = source,
		.line = lineno,
		.error = v->error,
		.reason = v->reason,
		.data = line,
		.len = len,
		.extra = extra,
	};

	V->nrejected++;
	count_reason(V, v);
	if (V->rejects_failed)
		return VALIDATOR_REJECTS;
	if (V->cfg.before_reject)
		V->cfg.before_reject(V->cfg.arg);
	if (rejects_write(V->cfg.rejects, &rj)) {
		V->rejects_failed = 1;
		return VALIDATOR_REJECTS;
	}
	return VALIDATOR_OK;
}

/* the --where expressions on the parsed record; 0, or -1 with v */
static int
check_where(struct validator *V, struct cs_verdict *v)
{
	struct cs_err err;
	jv rec, res;
	size_t i;
	int rc;

	rec = jv_parse_sized(V->rec.text, (int)V->rec.len);
	if (!jv_is_valid(rec)) {
		jv msg = jv_invalid_get_msg(rec);

		v->error = "WhereError";
		v->field[0] = '\0';
		snprintf(v->reason, sizeof v->reason, "jq cannot read the record: %s",
		    jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg) : "invalid");
		jv_free(msg);
		return -1;
	}
	for (i = 0; i < V->cfg.nwhere; i++) {
		cs_err_clear(&err);
		rc = jqprog_first(V->cfg.where[i], jv_copy(rec), &res, &err);
		if (rc < 0) {
			v->error = "WhereError";
			v->field[0] = '\0';
			snprintf(v->reason, sizeof v->reason, "--where '%.150s': %.200s",
			    V->cfg.where_src[i], err.msg);
			break;
		}
		if (rc == 0 || jv_get_kind(res) != JV_KIND_TRUE) {
			if (rc)
				jv_free(res);
			v->error = "WhereFailed";
			v->field[0] = '\0';
			snprintf(v->reason, sizeof v->reason, "--where '%.300s' was not true",
			    V->cfg.where_src[i]);
			break;
		}
		jv_free(res);
	}
	jv_free(rec);
	return i < V->cfg.nwhere ? -1 : 0;
}

/* Append the raw text of string token T of the envelope as member NAME to EEXTRA. */
static void
extra_member(struct validator *V, const char *name, const char *line)
{
	int t = json_obj_get(&V->edoc, 0, name, strlen(name));
	const struct json_tok *k;

	if (t < 0)
		return;
	k = &V->edoc.tok[t];
	if (V->eextra.len)
		buf_addc(&V->eextra, ',');
	buf_printf(&V->eextra, "\"%s\":", name);
	if (k->type == JSON_STRING)
		buf_add(&V->eextra, line + k->start - 1, (size_t)k->len + 2);
	else
		buf_add(&V->eextra, line + k->start, k->len);
}

/*
 * LINE (parsed into V->rec) is a cs-tail envelope: put its record's bytes
 * in EDATA and its shard and sequence number in EEXTRA.  0 when it is not
 * an envelope after all (envelope_parse refuses it): validate it as it is.
 */
static int
unwrap(struct validator *V, const char *line, size_t len)
{
	struct cs_err err;

	if (!envelope_detect(&V->rec.doc))
		return 0;
	if (envelope_parse(&V->edoc, line, len, &V->edata, &V->ekey, &err) < 0)
		return 0;
	buf_reset(&V->eextra);
	extra_member(V, "shardId", line);
	extra_member(V, "sequenceNumber", line);
	extra_member(V, "subSequenceNumber", line);
	buf_addc(&V->eextra, '\0');
	V->eextra.len--;
	return 1;
}

static int
line_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int
validator_line(struct validator *V, const char *source, uint64_t lineno,
    const char *line, size_t len, struct cs_err *err)
{
	struct cs_verdict v;
	const char *rec = line, *extra = NULL, *d;
	size_t reclen = len, n, i;

	V->nread++;
	if (cs_record_parse(&V->rec, line, len, &v))
		goto rejected;
	if (!V->rec.double_encoded && unwrap(V, line, len)) {
		/* the record inside: rejected as itself, written as itself */
		rec = V->edata.data;
		reclen = V->edata.len;
		extra = V->eextra.data;
		/* the blanks around it (a producer's newline) are not the record */
		d = rec;
		n = reclen;
		while (n && line_blank(d[0]))
			d++, n--;
		while (n && line_blank(d[n - 1]))
			n--;
		if (cs_record_parse(&V->rec, d, n, &v))
			goto rejected;
		/* a record over several lines: its line ends are between tokens, make them blanks */
		if (V->rec.text == d && (memchr(d, '\n', n) || memchr(d, '\r', n)))
			for (i = 0; i < n; i++)
				if (d[i] == '\n' || d[i] == '\r')
					V->edata.data[(size_t)(d - rec) + i] = ' ';
	}
	if (V->cfg.default_rules && cs_record_check(&V->rec, &v))
		goto rejected;
	for (i = 0; i < V->cfg.nrequire; i++)
		if (cs_record_require(&V->rec, V->cfg.require[i], &v))
			goto rejected;
	if (V->cfg.nwhere && check_where(V, &v))
		goto rejected;
	V->neligible++;
	if (extra && V->cfg.keep_envelope) {
		if (out_line(&V->out, line, len, err))
			return VALIDATOR_OUTPUT;
	} else if (out_line(&V->out, V->rec.text, V->rec.len, err)) {
		return VALIDATOR_OUTPUT;
	}
	return VALIDATOR_OK;
rejected:
	return reject(V, source, lineno, &v, rec, reclen, extra);
}

int
validator_toolong(struct validator *V, const char *source, uint64_t lineno,
    const char *prefix, size_t len, uint64_t total, size_t maxline, struct cs_err *err)
{
	struct cs_verdict v = { .error = "LineTooLong" };
	size_t bad;

	(void)err;
	V->nread++;
	/* the kept prefix may end inside a UTF-8 character: end it before */
	if (!utf8_valid(prefix, len, &bad) && len - bad < 4 && (unsigned char)prefix[bad] >= 0xc0)
		len = bad;
	if (total)
		snprintf(v.reason, sizeof v.reason, "line is %llu bytes, over the %zu-byte limit",
		    (unsigned long long)total, maxline);
	else
		snprintf(v.reason, sizeof v.reason, "line is over the %zu-byte limit", maxline);
	return reject(V, source, lineno, &v, prefix, len, len < total ? "\"truncated\":true" : NULL);
}

int
validator_flush(struct validator *V, struct cs_err *err)
{
	return out_flush(&V->out, err) ? VALIDATOR_OUTPUT : VALIDATOR_OK;
}

size_t
validator_pending(const struct validator *V)
{
	return V->out.len;
}

int
validator_out_failed(const struct validator *V)
{
	return V->out.failed;
}

int
validator_out_closed(const struct validator *V)
{
	return V->out.closed;
}

unsigned long long
validator_nwritten(const struct validator *V)
{
	return V->out.written;
}

unsigned long long
validator_nread(const struct validator *V)
{
	return V->nread;
}

unsigned long long
validator_neligible(const struct validator *V)
{
	return V->neligible;
}

unsigned long long
validator_nrejected(const struct validator *V)
{
	return V->nrejected;
}

/* the summary's order: the eight fields, other fields, then the record-level errors */
static int
reason_rank(const char *key)
{
	static const char *const codes[] = {
		"InvalidJSON", "InvalidUTF8", "TooDeep", "NotAnObject", "LineTooLong",
		"WhereFailed", "WhereError",
	};
	int i;

	for (i = 0; i < CS_NFIELDS; i++)
		if (strcmp(key, cs_field_names[i]) == 0)
			return i;
	for (i = 0; i < (int)(sizeof codes / sizeof codes[0]); i++)
		if (strcmp(key, codes[i]) == 0)
			return 100 + i;
	return 50;
}

static int
reason_cmp(const void *a, const void *b)
{
	const struct validator_reason *x = a, *y = b;
	int rx = reason_rank(x->key), ry = reason_rank(y->key);

	if (rx != ry)
		return rx < ry ? -1 : 1;
	return strcmp(x->key, y->key);
}

const struct validator_reason *
validator_reasons(struct validator *V, size_t *n)
{
	if (V->nreasons)
		qsort(V->reasons, V->nreasons, sizeof *V->reasons, reason_cmp);
	*n = V->nreasons;
	return V->reasons;
}
