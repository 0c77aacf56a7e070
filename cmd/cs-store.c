/*
 * cs-store - write NDJSON records as items of a DynamoDB table: batched,
 * in order by key, idempotent, never lost.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "aws.h"
#include "cs.h"
#include "msg.h"
#include "ddbitem.h"
#include "dynamodb.h"
#include "input.h"
#include "jqprog.h"
#include "json.h"
#include "jvexact.h"
#include "ndjson.h"
#include "opts.h"
#include "rejects.h"
#include "report.h"
#include "retry.h"
#include "storer.h"

#define STORE_MAXLINE (8u << 20)

static const char usage[] =
    "usage: cs-store -t TABLE [OPTIONS] [FILE...]\n"
    "Write NDJSON records (one line, one JSON object) as items of a DynamoDB table.\n"
    "\n"
    "  -t, --table NAME           the table\n"
    "  -m, --map EXPR|@FILE       jq program turning each record into the item\n"
    "                             (no output: the record is skipped)\n"
    "      --rejects FILE         write records not written there as NDJSON ('-': stdout)\n"
    "      --parallel N           requests in flight, 1..64 (default 4)\n"
    "      --batch-size N         items per BatchWriteItem, 1..25 (default 25)\n"
    "      --condition new-only   never overwrite: PutItem if the key is not there yet\n"
    "      --condition overwrite  the later record wins (the default)\n"
    "      --ttl ATTR=SECONDS     stamp ATTR with the time SECONDS from now (unix seconds)\n"
    "      --stats                print the summary even when stderr is not a terminal\n";

static const char usage_tail[] =
    "\nExit status: 0 all written, 1 some records rejected, 2 usage error, 3 an input\n"
    "could not be read, 4 the rejects could not be written, 5 the service or the\n"
    "credentials failed, 6 interrupted.  See cs-store(1).\n";

enum {
	OPT_REJECTS = CS_OPT_TOOL,
	OPT_PARALLEL,
	OPT_BATCH,
	OPT_CONDITION,
	OPT_TTL,
	OPT_STATS,
};

static const char shortopts[] = "t:m:" CS_OPTS_SHORT;
static const struct option longopts[] = {
	{ "table", required_argument, NULL, 't' },
	{ "map", required_argument, NULL, 'm' },
	{ "rejects", required_argument, NULL, OPT_REJECTS },
	{ "parallel", required_argument, NULL, OPT_PARALLEL },
	{ "batch-size", required_argument, NULL, OPT_BATCH },
	{ "condition", required_argument, NULL, OPT_CONDITION },
	{ "ttl", required_argument, NULL, OPT_TTL },
	{ "stats", no_argument, NULL, OPT_STATS },
	{ NULL, 0, NULL, 0 },
};

struct app {
	struct cs_opts o;
	struct buf unread;       /* where the input stopped, when it did before its end */
	const char *table, *map, *rejects_path;
	unsigned parallel, batch;
	int new_only, stats;
	char *ttl_attr;
	long long ttl_secs;

	struct aws_client *c;
	struct ddb_keyschema ks;
	struct ddb_conv cv;
	struct storer *s;
	struct rejects *rj;
	struct jqprog *prog;
	struct jvexact jx;
	struct json_doc doc, mdoc;
	struct ddb_item item;
	struct buf mapped;
	unsigned long records, skipped, early_rejects;
	struct cs_report *report; /* --metrics-file, --stats-json */
	int out_failed, input_failed;
};

/* --- rejects ------------------------------------------------------------------ */

static void
reject(struct app *a, const char *source, uint64_t line, const char *code, const char *reason,
    const char *data, size_t len)
{
	struct reject rj = { source, line, code, reason, data, len, NULL };

	if (a->o.progress && !a->rejects_path)
		cs_progress_clear(); /* the reject's line, not after the progress */
	if (rejects_write(a->rj, &rj) != 0)
		a->out_failed = 1;
}

static void
on_storer_reject(void *ctx, const struct storer_reject *r)
{
	reject(ctx, r->source, r->line, r->code, r->message, r->data, r->len);
}

static void
early_reject(struct app *a, const char *source, uint64_t line, const char *code,
    const char *reason, const char *data, size_t len)
{
	a->early_rejects++;
	reject(a, source, line, code, reason, data, len);
}

/* --- one record ---------------------------------------------------------------- */

static void
convert_and_add(struct app *a, const struct json_doc *doc, const char *source, uint64_t line,
    const char *s, size_t n)
{
	if (a->ttl_attr)
		a->cv.ttl_value = (int64_t)time(NULL) + a->ttl_secs;
	if (ddb_item_from_json(&a->cv, doc, 0, &a->item) != 0) {
		early_reject(a, source, line, ddb_item_error_code(a->item.error), a->item.reason, s, n);
		return;
	}
	storer_add(a->s, &a->item, source, line, s, n);
}

static const char *
kind_name(jv_kind k)
{
	switch (k) {
	case JV_KIND_NULL: return "null";
	case JV_KIND_TRUE: case JV_KIND_FALSE: return "a boolean";
	case JV_KIND_NUMBER: return "a number";
	case JV_KIND_STRING: return "a string";
	case JV_KIND_ARRAY: return "an array";
	default: return "not a value";
	}
}

static void
map_record(struct app *a, const char *source, uint64_t line, const char *s, size_t n)
{
	struct cs_err err;
	char why[300];
	int rc, outputs = 0;
	jv out;

	jvexact_scan(&a->jx, &a->doc);
	jqprog_start(a->prog, jv_parse_sized(s, (int)n));
	for (;;) {
		cs_err_clear(&err);
		rc = jqprog_next(a->prog, &out, &err);
		if (rc == 0)
			break;
		if (rc < 0) {
			char m[CS_ERRMAX + 32];

			snprintf(m, sizeof m, "-m: %s", err.msg);
			early_reject(a, source, line, "MappingError", m, s, n);
			return;
		}
		outputs++;
		if (jv_get_kind(out) != JV_KIND_OBJECT) {
			snprintf(why, sizeof why, "-m gave %s, not an object", kind_name(jv_get_kind(out)));
			early_reject(a, source, line, "NotAnObject", why, s, n);
			jv_free(out);
			continue;
		}
		buf_reset(&a->mapped);
		rc = jvexact_dump(&a->jx, out, &a->mapped, why, sizeof why);
		jv_free(out);
		if (rc != 0) {
			early_reject(a, source, line, "InvalidNumber", why, s, n);
			continue;
		}
		if (json_parse(&a->mdoc, a->mapped.data, a->mapped.len) != 0) {
			early_reject(a, source, line, "MappingError", a->mdoc.err, s, n);
			continue;
		}
		convert_and_add(a, &a->mdoc, source, line, s, n);
	}
	if (!outputs)
		a->skipped++;
}

static void
take_line(struct app *a, const char *s, size_t n, const char *source, uint64_t line)
{
	a->records++;
	if (json_parse(&a->doc, s, n) != 0) {
		early_reject(a, source, line, "InvalidJSON", a->doc.err, s, n);
		return;
	}
	if (a->doc.tok[0].type != JSON_OBJECT) {
		early_reject(a, source, line, "NotAnObject", "not a JSON object", s, n);
		return;
	}
	if (a->prog)
		map_record(a, source, line, s, n);
	else
		convert_and_add(a, &a->doc, source, line, s, n);
}

/* --- the summary ------------------------------------------------------------------- */

/* the counters of the summary, for the metrics file and --stats-json */
static uint64_t
fill_metrics(struct cs_metrics *m, const char *prefix, void *arg)
{
	struct app *a = arg;
	const struct storer_stats *s = storer_stats(a->s);

	cs_metrics_declare_set(m, CS_METRIC_COUNTER, "cs_store_records_read_total",
	    "Records read from the inputs.", (double)a->records);
	cs_metrics_declare(m, CS_METRIC_COUNTER, "cs_store_records_total",
	    "Records by result: written (acknowledged by DynamoDB), collapsed (replaced by a later "
	    "record of their key before being sent), exists (--new-only: kept), skipped, rejected.",
	    NULL, 0);
	cs_metrics_set(m, "cs_store_records_total", "result=\"written\"", (double)s->written);
	cs_metrics_set(m, "cs_store_records_total", "result=\"collapsed\"", (double)s->collapsed);
	cs_metrics_set(m, "cs_store_records_total", "result=\"exists\"", (double)s->exists);
	cs_metrics_set(m, "cs_store_records_total", "result=\"skipped\"", (double)a->skipped);
	cs_metrics_set(m, "cs_store_records_total", "result=\"rejected\"",
	    (double)(s->rejected + a->early_rejects));
	cs_metrics_declare_set(m, CS_METRIC_COUNTER, "cs_store_batch_writes_total",
	    "BatchWriteItem requests completed.", (double)s->requests);
	cs_metrics_declare_set(m, CS_METRIC_COUNTER, "cs_store_items_resent_total",
	    "Items re-sent after DynamoDB returned them unprocessed.", (double)s->resent_items);
	cs_report_aws(m, prefix, aws_client_stats(a->c));
	if (a->rj)
		cs_report_rejects(m, prefix, a->rj);
	return s->written + s->collapsed + s->exists;
}

static void
summary(struct app *a, uint64_t t0, int final)
{
	const struct storer_stats *s = storer_stats(a->s);
	const struct aws_stats *as = aws_client_stats(a->c);
	double secs = (double)(cs_now_ms() - t0) / 1000.0;
	double rate = secs > 0 ? (double)s->written / secs : 0;
	unsigned long rejected = s->rejected + a->early_rejects;

	if (!final) {
		cs_progress("%lu written, %lu rejected, %.0f items/s", s->written, rejected, rate);
		return;
	}
	if (a->o.progress)
		cs_progress_clear();
	fprintf(stderr, "%s: %lu records: %lu written, %lu collapsed, ", cs_prog(), a->records,
	    s->written, s->collapsed);
	if (a->new_only)
		fprintf(stderr, "%lu exist (kept), ", s->exists);
	fprintf(stderr, "%lu skipped, %lu rejected; %lu requests, %lu retries (%lu items re-sent)",
	    a->skipped, rejected, s->requests, as->retries + s->resends, s->resent_items);
	/* the timing only where it is read, not where output is compared */
	if (a->o.verbose || a->o.progress)
		fprintf(stderr, "; %.1f s, %.0f items/s", secs, rate);
	fputc('\n', stderr);
}

/* --- input ------------------------------------------------------------------------- */

/* 0: done; 1: interrupted; 2: stopped by a service failure */
static int
run_files(struct app *a, char **files, int nfiles)
{
	struct input in;
	struct cs_err err;
	int reading = 1, stopped = 0;
	uint64_t t0 = cs_now_ms(), last_progress = t0;

	/* the names of the inputs outlive their reader: the storer reports records after EOF */
	input_init(&in, files, nfiles, STORE_MAXLINE);
	for (;;) {
		int wait_fd = -1, timeout = 200;

		if (cs_signalled && !stopped) {
			stopped = 1;
			reading = 0;
			storer_abort(a->s, "Interrupted", "not written: cs-store was interrupted");
		}
		if (!stopped && storer_fatal(a->s, &err)) {
			char m[CS_ERRMAX + 64];

			stopped = 2;
			reading = 0;
			cs_warnx("%s", err.msg);
			snprintf(m, sizeof m, "not written: the run stopped after %s", err.msg);
			storer_abort(a->s, err.code[0] ? err.code : "ServiceError", m);
		}
		for (int k = 0; reading && k < 256 && storer_accepting(a->s); k++) {
			const char *s;
			size_t n;
			enum input_status st;

			cs_err_clear(&err);
			st = input_next(&in, &s, &n, &err);
			if (st == INPUT_END) {
				reading = 0;
				break;
			}
			if (st == INPUT_ERROR) {
				cs_warnx("%s", err.msg);
				a->input_failed = 1;
				continue;
			}
			if (st == INPUT_WAIT) {
				/* the input is slow: send what there is, then wait for either */
				storer_flush(a->s);
				wait_fd = input_fd(&in);
				break;
			}
			if (st == INPUT_AGAIN)
				break;
			if (st == INPUT_TOOLONG) {
				char m[160];

				a->records++;
				snprintf(m, sizeof m, "line is over the limit of %u bytes", STORE_MAXLINE);
				early_reject(a, in.source, in.r.lineno, "RecordTooLarge", m, s, n);
				continue;
			}
			take_line(a, s, n, in.source, in.r.lineno);
		}
		if (!reading)
			storer_flush(a->s);
		if (!reading && !storer_busy(a->s))
			break;
		if (reading && storer_accepting(a->s) && wait_fd < 0)
			timeout = 0;
		storer_run(a->s, timeout, wait_fd);
		if (a->o.progress && cs_now_ms() - last_progress >= 1000) {
			last_progress = cs_now_ms();
			summary(a, t0, 0);
		}
		cs_report_tick(a->report);
	}
	/* stopped early: the rest of the input is not read; say from where, last */
	if (stopped)
		input_unread_msg(&in, &a->unread);
	input_close(&in);
	if (!a->o.stats_json && (a->stats || a->o.verbose || a->o.progress))
		summary(a, t0, 1);
	return stopped;
}

/* --- setup ----------------------------------------------------------------------------- */

static void
parse_ttl(struct app *a, const char *arg)
{
	const char *eq = strrchr(arg, '=');
	unsigned long long v;

	if (!eq || eq == arg || cs_parse_uint(eq + 1, 100ULL * 365 * 86400, &v))
		cs_usage_error("--ttl: '%s' is not ATTR=SECONDS", arg);
	a->ttl_attr = cs_strndup(arg, (size_t)(eq - arg));
	a->ttl_secs = (long long)v;
}

static void
describe(struct app *a)
{
	struct buf req = BUF_INIT, resp = BUF_INIT;
	struct cs_err err;

	cs_err_clear(&err);
	ddb_describe_request(&req, a->table);
	if (aws_call(a->c, "DescribeTable", req.data, req.len, &resp, &err) != 0)
		cs_die(strcmp(err.code, "Interrupted") == 0 ? CS_EXIT_INTERRUPTED : CS_EXIT_SERVICE,
		    "DescribeTable on '%s': %s", a->table, err.msg);
	if (ddb_parse_describe(resp.data ? resp.data : "", resp.len, &a->ks, &err) != 0)
		cs_die(CS_EXIT_SERVICE, "table '%s': %s", a->table, err.msg);
	buf_free(&req);
	buf_free(&resp);
	if (a->o.verbose)
		cs_warnx("table '%s': hash key '%s' (%c)%s%s%s", a->table, a->ks.hash, a->ks.hash_type,
		    a->ks.range ? ", range key '" : "", a->ks.range ? a->ks.range : "",
		    a->ks.range ? "'" : "");
	if (a->ttl_attr && (strcmp(a->ttl_attr, a->ks.hash) == 0 ||
	    (a->ks.range && strcmp(a->ttl_attr, a->ks.range) == 0)))
		cs_usage_error("--ttl: '%s' is a key attribute of table '%s'", a->ttl_attr, a->table);
}

int
main(int argc, char **argv)
{
	struct app a;
	struct option *lo;
	struct storer_conf conf;
	struct cs_err err;
	char *help;
	int c, stopped, status;

	cs_setprog(argv[0]);
	memset(&a, 0, sizeof a);
	cs_opts_init(&a.o);
	help = cs_opts_help(usage, 1, usage_tail);
	a.parallel = 4;
	a.batch = STORER_MAX_BATCH;
	lo = cs_opts_longopts(longopts, 1);
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, lo, NULL)) != -1) {
		switch (c) {
		case 't': a.table = optarg; break;
		case 'm': a.map = optarg; break;
		case OPT_REJECTS: a.rejects_path = optarg; break;
		case OPT_PARALLEL: a.parallel = (unsigned)cs_opt_number("parallel", optarg, 1, 64); break;
		case OPT_BATCH: a.batch = (unsigned)cs_opt_number("batch-size", optarg, 1, STORER_MAX_BATCH); break;
		case OPT_CONDITION:
			if (strcmp(optarg, "new-only") == 0)
				a.new_only = 1;
			else if (strcmp(optarg, "overwrite") == 0)
				a.new_only = 0;
			else
				cs_usage_error("--condition: '%s' is not new-only or overwrite", optarg);
			break;
		case OPT_TTL: free(a.ttl_attr); parse_ttl(&a, optarg); break;
		case OPT_STATS: a.stats = 1; break;
		case '?': cs_opts_bad(argv, shortopts);
		default:
			if (!cs_opts_handle(&a.o, c, optarg, help))
				cs_usage_error("unknown option");
		}
	}
	free(lo);
	free(help);
	cs_opts_finish(&a.o);
	cs_opts_warn_aws_config(&a.o);
	if (!a.table)
		cs_usage_error("no table: give -t TABLE");
	if (strlen(a.table) < 3 || strlen(a.table) > 255)
		cs_usage_error("-t: '%s' is not a table name (3 to 255 characters)", a.table);

	cs_err_clear(&err);
	if (a.map && !(a.prog = jqprog_compile(a.map, &err)))
		cs_usage_error("-m: %s", err.msg);
	if (!(a.rj = rejects_open(a.rejects_path, &err)))
		cs_die(CS_EXIT_OUTPUT, "%s", err.msg);
	rejects_set_log(a.rj, &cs_warn_log);
	cs_signals(cs_count_signal);
	if (!(a.c = cs_opts_client(&a.o, "dynamodb", &err)))
		cs_die(CS_EXIT_SERVICE, "%s", err.msg);
	describe(&a);

	json_doc_init(&a.doc, JSON_DEFAULT_DEPTH);
	json_doc_init(&a.mdoc, JSON_DEFAULT_DEPTH);
	jvexact_init(&a.jx);
	ddb_item_init(&a.item);
	ddb_conv_init(&a.cv, &a.ks);
	a.cv.ttl_attr = a.ttl_attr;

	memset(&conf, 0, sizeof conf);
	conf.table = a.table;
	conf.ks = &a.ks;
	conf.parallel = a.parallel;
	conf.batch_max = a.batch;
	conf.new_only = a.new_only;
	retry_policy_default(&conf.retry);
	conf.retry.budget_ms = a.o.retry_budget_ms;
	conf.retry.max_attempts = a.o.max_attempts;
	a.s = storer_new(a.c, &conf, on_storer_reject, &a);
	if (a.o.metrics_file || a.o.stats_json) {
		a.report = cs_report_new("cs_store", a.o.metrics_file, a.o.stats_json, fill_metrics, &a);
		cs_report_period(a.report, a.o.metrics_interval_ms);
	}

	stopped = run_files(&a, argv + optind, argc - optind);

	cs_report_snapshot(a.report);
	if (rejects_close(a.rj, &err) != 0) {
		cs_warnx("%s", err.msg);
		a.out_failed = 1;
	}
	a.rj = NULL;
	if (cs_close_stdout() != 0)
		a.out_failed = 1;
	status = cs_exit_status(stopped == 2, a.out_failed, stopped == 1, a.input_failed,
	    storer_stats(a.s)->rejected || a.early_rejects);
	status = cs_report_end(a.report, status, &a.unread);

	storer_free(a.s);
	aws_client_free(a.c);
	jqprog_free(a.prog);
	jvexact_free(&a.jx);
	ddb_conv_free(&a.cv);
	ddb_item_free(&a.item);
	ddb_keyschema_free(&a.ks);
	json_doc_free(&a.doc);
	json_doc_free(&a.mdoc);
	buf_free(&a.mapped);
	free(a.ttl_attr);
	return status;
}
