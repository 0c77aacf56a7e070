/*
 * cs-validate - pass eligible clickstream records, reject the others with a reason.
 *
 *   cs-validate [--rejects FILE] [--where EXPR]... [--require FIELD]...
 *               [--no-default-rules] [--max-line BYTES] [-c] [-qv] [FILE...]
 *
 * Reads NDJSON (stdin when no FILE or "-"), writes each eligible record
 * to stdout as it came (a double-encoded one decoded), and each other
 * one to the rejects output (lib/rejects.h) with its reason.  A cs-tail
 * envelope (lib/envelope.h) is opened: the record inside is validated and
 * written (or rejected with its shard and sequence number).
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clickstream.h"
#include "cs.h"
#include "envelope.h"
#include "jqprog.h"
#include "json.h"
#include "ndjson.h"
#include "opts.h"
#include "rejects.h"

static const char usage[] =
    "usage: cs-validate [OPTIONS] [FILE...]\n"
    "Write the eligible clickstream records of the NDJSON input (stdin when no FILE\n"
    "or '-') to stdout, unchanged; send every other record to the rejects output\n"
    "with its reason.\n"
    "\n"
    "      --rejects FILE         rejected records as NDJSON lines in FILE\n"
    "                             (default: one line each on stderr)\n"
    "      --where EXPR           also require the jq expression EXPR to give true\n"
    "                             (repeatable; @FILE reads it from FILE)\n"
    "      --require FIELD        also require FIELD to be a non-empty string (repeatable)\n"
    "      --no-default-rules     skip the eight built-in clickstream rules\n"
    "      --max-line BYTES       reject lines longer than BYTES (default 2097152)\n"
    "      --keep-envelope        write an eligible cs-tail envelope as it is, not its data\n"
    "  -c, --stats                counts by reason on stderr at the end (also --count)\n";
static const char usage_tail[] =
    "\n"
    "Exit status: 0 all input read (rejects are data), 2 usage error, 3 an input\n"
    "could not be opened or read, 4 stdout or the rejects file could not be written,\n"
    "6 interrupted.  See cs-validate(1).\n";

enum {
	OPT_REJECTS = CS_OPT_TOOL,
	OPT_WHERE,
	OPT_REQUIRE,
	OPT_NO_DEFAULT_RULES,
	OPT_MAX_LINE,
	OPT_KEEP_ENVELOPE,
};

static const char shortopts[] = "c" CS_OPTS_SHORT;
static const struct option longopts[] = {
	{ "rejects", required_argument, NULL, OPT_REJECTS },
	{ "where", required_argument, NULL, OPT_WHERE },
	{ "require", required_argument, NULL, OPT_REQUIRE },
	{ "no-default-rules", no_argument, NULL, OPT_NO_DEFAULT_RULES },
	{ "max-line", required_argument, NULL, OPT_MAX_LINE },
	{ "keep-envelope", no_argument, NULL, OPT_KEEP_ENVELOPE },
	{ "stats", no_argument, NULL, 'c' },
	{ "count", no_argument, NULL, 'c' },
	{ NULL, 0, NULL, 0 },
};

/* stdout, written in large blocks with write(2) */
#define OUT_CAP (256u << 10)
struct out {
	char *buf;
	size_t len;
	int failed;   /* a write error was reported */
	int closed;   /* the reader went away (EPIPE): a quiet stop */
};

static int
out_flush(struct out *o)
{
	size_t done = 0;
	ssize_t w;

	while (done < o->len && !o->failed && !o->closed) {
		w = write(STDOUT_FILENO, o->buf + done, o->len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			/* a non-blocking stdout, left so by a parent: wait until it takes more */
			struct pollfd p = { .fd = STDOUT_FILENO, .events = POLLOUT };

			poll(&p, 1, 1000);
			continue;
		}
		if (w < 0 && errno == EPIPE) {
			o->closed = 1;
		} else if (w <= 0) {
			cs_warn("write error on standard output");
			o->failed = 1;
		} else {
			done += (size_t)w;
		}
	}
	o->len = 0;
	return o->failed || o->closed ? -1 : 0;
}

static int
out_line(struct out *o, const char *s, size_t n)
{
	if (o->len + n + 1 > OUT_CAP) {
		if (out_flush(o))
			return -1;
		if (n + 1 > OUT_CAP) {
			/* a line bigger than the buffer: write it through */
			char *keep = o->buf;
			int rc;

			o->buf = (char *)s;
			o->len = n;
			rc = out_flush(o);
			o->buf = keep;
			if (rc)
				return -1;
			o->buf[o->len++] = '\n';
			return 0;
		}
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len++] = '\n';
	return 0;
}

/* counts by reason, in the order first seen */
struct reason_count {
	char key[64];
	unsigned long long n;
};

struct validator {
	struct cs_opts opts;
	const char *rejects_path;
	struct rejects *rejects;
	const char **where_src;
	struct jqprog **where;
	size_t nwhere;
	const char **require;
	size_t nrequire;
	int default_rules;
	int stats;
	int keep_envelope;
	size_t maxline;

	struct cs_record rec;
	/* an envelope's record: its bytes, key (unused), members for the reject */
	struct json_doc edoc;
	struct buf edata, ekey, eextra;
	struct out out;
	unsigned long long nread, neligible, nrejected;
	struct reason_count *reasons;
	size_t nreasons;
	int status;
	int stop;     /* output failed or closed: read no more */
	uint64_t t0, last_progress;
	int progress_shown;  /* a progress line is on the terminal */
	char *help;   /* the --help text */
};

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

static void
reject(struct validator *V, struct nd_reader *rd, const struct cs_verdict *v,
    const char *line, size_t len, const char *extra)
{
	struct reject rj = {
		.source = rd->name,
		.line = rd->lineno,
		.error = v->error,
		.reason = v->reason,
		.data = line,
		.len = len,
		.extra = extra,
	};
	struct cs_err err;

	V->nrejected++;
	count_reason(V, v);
	if (V->progress_shown && !V->rejects_path) {
		/* the reject's line replaces the progress line, which comes back later */
		cs_progress_clear();
		V->progress_shown = 0;
	}
	if (rejects_write(V->rejects, &rj)) {
		cs_err_clear(&err);
		rejects_close(V->rejects, &err);
		V->rejects = NULL;
		cs_warnx("%s", err.msg[0] ? err.msg : "cannot write the rejects");
		V->status = CS_EXIT_OUTPUT;
		V->stop = 1;
	}
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
	for (i = 0; i < V->nwhere; i++) {
		cs_err_clear(&err);
		rc = jqprog_first(V->where[i], jv_copy(rec), &res, &err);
		if (rc < 0) {
			v->error = "WhereError";
			v->field[0] = '\0';
			snprintf(v->reason, sizeof v->reason, "--where '%.150s': %.200s", V->where_src[i], err.msg);
			break;
		}
		if (rc == 0 || jv_get_kind(res) != JV_KIND_TRUE) {
			if (rc)
				jv_free(res);
			v->error = "WhereFailed";
			v->field[0] = '\0';
			snprintf(v->reason, sizeof v->reason, "--where '%.300s' was not true", V->where_src[i]);
			break;
		}
		jv_free(res);
	}
	jv_free(rec);
	return i < V->nwhere ? -1 : 0;
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

static void
one_line(struct validator *V, struct nd_reader *rd, const char *line, size_t len)
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
	if (V->default_rules && cs_record_check(&V->rec, &v))
		goto rejected;
	for (i = 0; i < V->nrequire; i++)
		if (cs_record_require(&V->rec, V->require[i], &v))
			goto rejected;
	if (V->nwhere && check_where(V, &v))
		goto rejected;
	V->neligible++;
	if (extra && V->keep_envelope) {
		if (out_line(&V->out, line, len))
			V->stop = 1;
	} else if (out_line(&V->out, V->rec.text, V->rec.len)) {
		V->stop = 1;
	}
	return;
rejected:
	reject(V, rd, &v, rec, reclen, extra);
}

static void
too_long(struct validator *V, struct nd_reader *rd, const char *prefix, size_t len)
{
	struct cs_verdict v = { .error = "LineTooLong" };
	size_t bad;

	V->nread++;
	/* the kept prefix may end inside a UTF-8 character: end it before */
	if (!utf8_valid(prefix, len, &bad) && len - bad < 4 && (unsigned char)prefix[bad] >= 0xc0)
		len = bad;
	if (rd->toolong_len)
		snprintf(v.reason, sizeof v.reason, "line is %llu bytes, over the %zu-byte limit",
		    (unsigned long long)rd->toolong_len, rd->maxline);
	else
		snprintf(v.reason, sizeof v.reason, "line is over the %zu-byte limit", rd->maxline);
	reject(V, rd, &v, prefix, len, len < rd->toolong_len ? "\"truncated\":true" : NULL);
}

static void
progress(struct validator *V, int final)
{
	uint64_t now = cs_now_ms(), el;

	if (!final && now - V->last_progress < 1000)
		return;
	V->last_progress = now;
	V->progress_shown = !final;
	el = now - V->t0 ? now - V->t0 : 1;
	fprintf(stderr, "\r%s: %llu read, %llu eligible, %llu rejected, %llu records/s%s",
	    cs_prog(), V->nread, V->neligible, V->nrejected, V->nread * 1000 / el,
	    final ? "\n" : "");
	fflush(stderr);
}

/*
 * Before a read that would block (a pipe from cs-tail -f, a terminal),
 * hand on what is buffered: the next filter must not wait for a buffer to
 * fill.  A fast input is never waiting, so this costs nothing there.
 */
static void
flush_if_idle(struct validator *V, struct nd_reader *rd)
{
	struct pollfd p = { .fd = rd->fd, .events = POLLIN };
	struct cs_err err;

	if (nd_ready(rd) || poll(&p, 1, 0) != 0)
		return;
	if (V->out.len && out_flush(&V->out))
		V->stop = 1;
	cs_err_clear(&err);
	if (V->rejects && rejects_flush(V->rejects, &err)) {
		rejects_close(V->rejects, &err);
		V->rejects = NULL;
		cs_warnx("%s", err.msg);
		V->status = CS_EXIT_OUTPUT;
		V->stop = 1;
	}
}

static void
validate_file(struct validator *V, const char *path)
{
	struct stat st;
	int stream;
	struct nd_reader rd;
	struct cs_err err;
	const char *line;
	size_t len;
	enum nd_status ns;

	cs_err_clear(&err);
	if (nd_open(&rd, path, V->maxline, &err)) {
		cs_warnx("%s", err.msg);
		V->status = CS_EXIT_INPUT;
		return;
	}
	stream = fstat(rd.fd, &st) == 0 && !S_ISREG(st.st_mode);
	while (!V->stop && !cs_signalled) {
		if (stream)
			flush_if_idle(V, &rd);
		if (V->stop)
			break;
		ns = nd_next(&rd, &line, &len);
		if (ns == ND_LINE) {
			one_line(V, &rd, line, len);
		} else if (ns == ND_TOOLONG) {
			too_long(V, &rd, line, len);
		} else if (ns == ND_AGAIN) {
			continue;
		} else if (ns == ND_READERR) {
			cs_warn("cannot read '%s'", rd.name);
			V->status = CS_EXIT_INPUT;
			break;
		} else {
			break;
		}
		if (V->opts.progress)
			progress(V, 0);
	}
	if (V->opts.verbose)
		cs_warnx("%s: %llu lines", rd.name, (unsigned long long)rd.lineno);
	nd_close(&rd);
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
	const struct reason_count *x = a, *y = b;
	int rx = reason_rank(x->key), ry = reason_rank(y->key);

	if (rx != ry)
		return rx < ry ? -1 : 1;
	return strcmp(x->key, y->key);
}

static void
summary(struct validator *V)
{
	struct buf b = BUF_INIT;
	size_t i;

	qsort(V->reasons, V->nreasons, sizeof *V->reasons, reason_cmp);

	buf_printf(&b, "%llu read, %llu eligible, %llu rejected", V->nread, V->neligible,
	    V->nrejected);
	for (i = 0; i < V->nreasons; i++)
		buf_printf(&b, "%s%s: %llu", i ? ", " : " (", V->reasons[i].key, V->reasons[i].n);
	if (V->nreasons)
		buf_addc(&b, ')');
	cs_warnx("%s", b.data);
	buf_free(&b);
}

/*
 * Refuse, before anything is opened for writing, an output that is one of
 * the inputs: --rejects naming an input would empty it, and stdout
 * appending to an input would read its own output for ever.  --rejects
 * naming the file stdout goes to would mix the two.
 */
static void
check_outputs(const char *rejects_path, char **files, int nfiles)
{
	struct stat out, rej, in;
	int have_out, have_rej, i;

	have_out = fstat(STDOUT_FILENO, &out) == 0 && S_ISREG(out.st_mode);
	have_rej = rejects_path && stat(rejects_path, &rej) == 0 && S_ISREG(rej.st_mode);
	if (!have_out && !have_rej)
		return;
	if (have_out && have_rej && out.st_dev == rej.st_dev && out.st_ino == rej.st_ino)
		cs_usage_error("--rejects '%s' is also standard output", rejects_path);
	for (i = 0; i < (nfiles ? nfiles : 1); i++) {
		const char *f = nfiles ? files[i] : "-";
		int stdin_ = strcmp(f, "-") == 0;

		if ((stdin_ ? fstat(STDIN_FILENO, &in) : stat(f, &in)) != 0 || !S_ISREG(in.st_mode))
			continue;
		if (have_rej && in.st_dev == rej.st_dev && in.st_ino == rej.st_ino)
			cs_usage_error("--rejects '%s' is also an input", rejects_path);
		if (have_out && in.st_dev == out.st_dev && in.st_ino == out.st_ino)
			cs_usage_error("standard output is also the input '%s'", stdin_ ? "<stdin>" : f);
	}
}

int
main(int argc, char **argv)
{
	struct validator V;
	struct option *lo;
	struct cs_err err;
	int c, i;

	cs_setprog(argv[0]);
	memset(&V, 0, sizeof V);
	cs_opts_init(&V.opts);
	V.default_rules = 1;
	V.maxline = ND_DEFAULT_MAXLINE;
	V.where_src = cs_calloc((size_t)argc, sizeof *V.where_src);
	V.require = cs_calloc((size_t)argc, sizeof *V.require);

	V.help = cs_opts_help(usage, 0, usage_tail);
	lo = cs_opts_longopts(longopts, 0);
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, lo, NULL)) != -1) {
		switch (c) {
		case OPT_REJECTS:
			if (strcmp(optarg, "-") == 0 || !*optarg)
				cs_usage_error("--rejects: standard output carries the eligible records; give a file");
			V.rejects_path = optarg;
			break;
		case OPT_WHERE:
			V.where_src[V.nwhere++] = optarg;
			break;
		case OPT_REQUIRE:
			if (!*optarg)
				cs_usage_error("--require: the field name is empty");
			V.require[V.nrequire++] = optarg;
			break;
		case OPT_NO_DEFAULT_RULES:
			V.default_rules = 0;
			break;
		case OPT_MAX_LINE:
			V.maxline = (size_t)cs_opt_number("max-line", optarg, 1, 1u << 30);
			break;
		case OPT_KEEP_ENVELOPE:
			V.keep_envelope = 1;
			break;
		case 'c':
			V.stats = 1;
			break;
		case '?':
			cs_opts_bad(argv, shortopts);
		default:
			if (!cs_opts_handle(&V.opts, c, optarg, V.help))
				cs_usage_error("unknown option");
		}
	}
	free(lo);
	cs_opts_finish(&V.opts);

	V.where = cs_calloc(V.nwhere + 1, sizeof *V.where);
	for (i = 0; i < (int)V.nwhere; i++) {
		cs_err_clear(&err);
		V.where[i] = jqprog_compile(V.where_src[i], &err);
		if (!V.where[i])
			cs_usage_error("--where: %s", err.msg);
	}
	check_outputs(V.rejects_path, argv + optind, argc - optind);
	cs_err_clear(&err);
	V.rejects = rejects_open(V.rejects_path, &err);
	if (!V.rejects)
		cs_die(CS_EXIT_OUTPUT, "%s", err.msg);

	cs_signals(cs_count_signal);
	cs_record_init(&V.rec, 0);
	json_doc_init(&V.edoc, JSON_DEFAULT_DEPTH);
	V.out.buf = cs_malloc(OUT_CAP);
	V.t0 = V.last_progress = cs_now_ms();

	if (optind >= argc)
		validate_file(&V, NULL);
	for (i = optind; i < argc && !V.stop && !cs_signalled; i++)
		validate_file(&V, argv[i]);

	if (!V.stop)
		out_flush(&V.out);
	if (V.out.failed)
		V.status = CS_EXIT_OUTPUT;
	cs_err_clear(&err);
	if (V.rejects && rejects_close(V.rejects, &err)) {
		cs_warnx("%s", err.msg);
		V.status = CS_EXIT_OUTPUT;
	}
	if (V.opts.progress)
		progress(&V, 1);
	if (V.stats || (!V.opts.quiet && ((!V.rejects_path && V.nrejected) || V.opts.progress)))
		summary(&V);
	if (cs_signalled && V.status == CS_EXIT_OK)
		V.status = CS_EXIT_INTERRUPTED;

	for (i = 0; i < (int)V.nwhere; i++)
		jqprog_free(V.where[i]);
	free(V.where);
	free(V.where_src);
	free(V.require);
	free(V.reasons);
	free(V.out.buf);
	cs_record_free(&V.rec);
	json_doc_free(&V.edoc);
	buf_free(&V.edata);
	buf_free(&V.ekey);
	buf_free(&V.eextra);
	free(V.help);
	return V.status;
}
