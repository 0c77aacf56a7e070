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
 * written (or rejected with its shard and sequence number).  The work on
 * each record is lib/validator.c's; this file reads the inputs and reports.
 */
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cs.h"
#include "msg.h"
#include "jqprog.h"
#include "ndjson.h"
#include "opts.h"
#include "rejects.h"
#include "report.h"
#include "validator.h"

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

struct cli {
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

	struct validator *val;
	struct cs_report *report; /* --metrics-file, --stats-json */
	int input_failed, output_failed; /* the exit status follows cs_exit_status's rule */
	int stop;     /* output failed or closed: read no more */
	uint64_t t0, last_progress;
	int progress_shown;  /* a progress line is on the terminal */
	char *help;   /* the --help text */
};

/* before a reject's line on stderr: it replaces the progress line, which comes back later */
static void
clear_progress(void *arg)
{
	struct cli *V = arg;

	if (V->progress_shown && !V->rejects_path) {
		cs_progress_clear();
		V->progress_shown = 0;
	}
}

/* what a validator_* call returned: report a failure, stop on any */
static void
check_rc(struct cli *V, int rc, const struct cs_err *err)
{
	struct cs_err cerr;

	if (rc == VALIDATOR_OK)
		return;
	V->stop = 1;
	if (rc == VALIDATOR_OUTPUT) {
		if (err->msg[0])
			cs_warnx("%s", err->msg);
		return;
	}
	cs_err_clear(&cerr);
	rejects_close(V->rejects, &cerr);
	V->rejects = NULL;
	cs_warnx("%s", cerr.msg[0] ? cerr.msg : "cannot write the rejects");
	V->output_failed = 1;
}

static void
progress(struct cli *V, int final)
{
	uint64_t now = cs_now_ms(), el;

	if (!final && now - V->last_progress < 1000)
		return;
	V->last_progress = now;
	V->progress_shown = !final;
	el = now - V->t0 ? now - V->t0 : 1;
	fprintf(stderr, "\r%s: %llu read, %llu eligible, %llu rejected, %llu records/s%s",
	    cs_prog(), validator_nread(V->val), validator_neligible(V->val),
	    validator_nrejected(V->val), validator_nread(V->val) * 1000 / el,
	    final ? "\n" : "");
	fflush(stderr);
}

/*
 * Before a read that would block (a pipe from cs-tail -f, a terminal),
 * hand on what is buffered: the next filter must not wait for a buffer to
 * fill.  A fast input is never waiting, so this costs nothing there.
 */
static void
flush_if_idle(struct cli *V, struct ndjson_reader *rd)
{
	struct pollfd p = { .fd = rd->fd, .events = POLLIN };
	struct cs_err err;

	if (ndjson_ready(rd) || poll(&p, 1, 0) != 0)
		return;
	cs_err_clear(&err);
	if (validator_pending(V->val) && validator_flush(V->val, &err)) {
		if (err.msg[0])
			cs_warnx("%s", err.msg);
		V->stop = 1;
	}
	cs_err_clear(&err);
	if (V->rejects && rejects_flush(V->rejects, &err)) {
		rejects_close(V->rejects, &err);
		V->rejects = NULL;
		cs_warnx("%s", err.msg);
		V->output_failed = 1;
		V->stop = 1;
	}
}

static void
validate_file(struct cli *V, const char *path)
{
	struct stat st;
	int stream;
	struct ndjson_reader rd;
	struct cs_err err;
	const char *line;
	size_t len;
	enum ndjson_status ns;

	cs_err_clear(&err);
	if (ndjson_open(&rd, path, V->maxline, &err)) {
		cs_warnx("%s", err.msg);
		V->input_failed = 1;
		return;
	}
	stream = fstat(rd.fd, &st) == 0 && !S_ISREG(st.st_mode);
	while (!V->stop && !cs_signalled) {
		if (stream)
			flush_if_idle(V, &rd);
		if (V->stop)
			break;
		ns = ndjson_next(&rd, &line, &len);
		if (ns == NDJSON_LINE) {
			cs_err_clear(&err);
			check_rc(V, validator_line(V->val, rd.name, rd.lineno, line, len, &err), &err);
		} else if (ns == NDJSON_TOOLONG) {
			cs_err_clear(&err);
			check_rc(V, validator_toolong(V->val, rd.name, rd.lineno, line, len,
			    rd.toolong_len, rd.maxline, &err), &err);
		} else if (ns == NDJSON_AGAIN) {
			continue;
		} else if (ns == NDJSON_READERR) {
			cs_warn("cannot read '%s'", rd.name);
			V->input_failed = 1;
			break;
		} else {
			break;
		}
		if (V->opts.progress)
			progress(V, 0);
		cs_report_tick(V->report);
	}
	if (V->opts.verbose)
		cs_warnx("%s: %llu lines", rd.name, (unsigned long long)rd.lineno);
	ndjson_close(&rd);
}

/* the counters of the summary, for the metrics file and --stats-json */
static uint64_t
fill_metrics(struct cs_metrics *m, const char *prefix, void *arg)
{
	struct cli *V = arg;
	const struct validator_reason *r;
	struct buf l = BUF_INIT;
	size_t i, nr;

	(void)prefix;
	cs_metrics_declare_set(m, CS_METRIC_COUNTER, "cs_validate_records_read_total",
	    "Records read from the inputs.", (double)validator_nread(V->val));
	cs_metrics_declare(m, CS_METRIC_COUNTER, "cs_validate_records_total",
	    "Records handled, by result: eligible (written out) or rejected.", NULL, 0);
	cs_metrics_set(m, "cs_validate_records_total", "result=\"eligible\"",
	    (double)validator_neligible(V->val));
	cs_metrics_set(m, "cs_validate_records_total", "result=\"rejected\"",
	    (double)validator_nrejected(V->val));
	cs_metrics_declare(m, CS_METRIC_COUNTER, "cs_validate_rejects_total",
	    "Rejected records by reason: the field that failed, or a record-level error code.",
	    NULL, 0);
	r = validator_reasons(V->val, &nr);
	for (i = 0; i < nr; i++) {
		buf_reset(&l);
		cs_metrics_label(&l, "reason", r[i].key);
		cs_metrics_set(m, "cs_validate_rejects_total", l.data, (double)r[i].n);
	}
	buf_free(&l);
	return validator_nread(V->val);
}

static void
summary(struct cli *V)
{
	struct buf b = BUF_INIT;
	const struct validator_reason *r;
	size_t i, n;

	r = validator_reasons(V->val, &n);
	if (validator_out_failed(V->val) || validator_out_closed(V->val))
		/* what reached the output, not what was meant for it */
		buf_printf(&b, "%llu read, %llu eligible written, %llu not (standard output %s), "
		    "%llu rejected", validator_nread(V->val), validator_nwritten(V->val),
		    validator_neligible(V->val) - validator_nwritten(V->val),
		    validator_out_failed(V->val) ? "failed" : "closed", validator_nrejected(V->val));
	else
		buf_printf(&b, "%llu read, %llu eligible, %llu rejected", validator_nread(V->val),
		    validator_neligible(V->val), validator_nrejected(V->val));
	for (i = 0; i < n; i++)
		buf_printf(&b, "%s%s: %llu", i ? ", " : " (", r[i].key, r[i].n);
	if (n)
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
	struct cli V;
	struct validator_config vc;
	struct option *lo;
	struct cs_err err;
	int c, i;

	cs_setprog(argv[0]);
	memset(&V, 0, sizeof V);
	cs_opts_init(&V.opts);
	V.default_rules = 1;
	V.maxline = NDJSON_DEFAULT_MAXLINE;
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
	rejects_set_log(V.rejects, &cs_warn_log);

	cs_signals(cs_count_signal);
	memset(&vc, 0, sizeof vc);
	vc.out_fd = STDOUT_FILENO;
	vc.rejects = V.rejects;
	vc.where = V.where;
	vc.where_src = V.where_src;
	vc.nwhere = V.nwhere;
	vc.require = V.require;
	vc.nrequire = V.nrequire;
	vc.default_rules = V.default_rules;
	vc.keep_envelope = V.keep_envelope;
	vc.before_reject = clear_progress;
	vc.arg = &V;
	V.val = validator_new(&vc);
	V.t0 = V.last_progress = cs_now_ms();
	if (V.opts.metrics_file || V.opts.stats_json) {
		V.report = cs_report_new("cs_validate", V.opts.metrics_file, V.opts.stats_json,
		    fill_metrics, &V);
		cs_report_period(V.report, V.opts.metrics_interval_ms);
	}

	if (optind >= argc)
		validate_file(&V, NULL);
	for (i = optind; i < argc && !V.stop && !cs_signalled; i++)
		validate_file(&V, argv[i]);

	cs_err_clear(&err);
	if (!V.stop && validator_flush(V.val, &err) && err.msg[0])
		cs_warnx("%s", err.msg);
	if (validator_out_failed(V.val))
		V.output_failed = 1;
	cs_err_clear(&err);
	if (V.rejects && rejects_close(V.rejects, &err)) {
		cs_warnx("%s", err.msg);
		V.output_failed = 1;
	}
	if (V.opts.progress)
		progress(&V, 1);
	if (!V.opts.stats_json && (V.stats || (!V.opts.quiet && ((!V.rejects_path && validator_nrejected(V.val)) || V.opts.progress))))
		summary(&V);
	if (V.report) {
		if (cs_report_final(V.report, cs_exit_status(0, V.output_failed, cs_signalled != 0,
		    V.input_failed, 0)))
			V.output_failed = 1;
		cs_report_free(V.report);
	}

	for (i = 0; i < (int)V.nwhere; i++)
		jqprog_free(V.where[i]);
	free(V.where);
	free(V.where_src);
	free(V.require);
	validator_free(V.val);
	free(V.help);
	/* rejects are data, not failures: nothing is "undelivered" here */
	return cs_exit_status(0, V.output_failed, cs_signalled != 0, V.input_failed, 0);
}
