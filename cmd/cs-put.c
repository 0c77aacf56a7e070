/*
 * cs-put - put NDJSON records into a Kinesis stream, batched, retried,
 * never lost; or serve the sample's POST /report endpoint (--listen).
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aggpack.h"
#include "aws.h"
#include "cs.h"
#include "msg.h"
#include "input.h"
#include "geoip.h"
#include "kinesis.h"
#include "listen.h"
#include "metricsd.h"
#include "ndjson.h"
#include "opts.h"
#include "putdry.h"
#include "putinput.h"
#include "putkey.h"
#include "putresult.h"
#include "putter.h"
#include "rejects.h"
#include "report.h"

static const char usage[] =
    "usage: cs-put -s STREAM [OPTIONS] [FILE...]\n"
    "       cs-put -s STREAM --listen ADDR:PORT [OPTIONS]\n"
    "Put NDJSON records (one line, one record) into a Kinesis stream.\n"
    "\n"
    "  -s, --stream NAME          the stream (a name or an ARN)\n"
    "  -k, --partition-key EXPR   jq expression giving each record's partition key\n"
    "                             (default: a hash of the record's bytes)\n"
    "      --explicit-hash-key EXPR  jq expression giving an explicit hash key (decimal)\n"
    "  -E, --envelope             input lines are cs-tail -J envelopes: put their data\n"
    "                             with their partition key\n"
    "      --rejects FILE         write records not delivered there as NDJSON ('-': stdout)\n"
    "      --results FILE         one NDJSON line per input record, in input order\n"
    "      --linger MS            wait at most MS for a batch to fill (default 20)\n"
    "      --parallel N           PutRecords requests in flight (default 4)\n"
    "      --batch-size N         records per PutRecords request, 1..500 (default 500)\n"
    "      --aggregate            pack records into KPL aggregated records, per shard\n"
    "      --aggregate-max-bytes N  with --aggregate: bytes an aggregate may reach\n"
    "                             (default 51200, at most 1048575)\n"
    "      --rate N               at most N records per second\n"
    "      --replay-speed X       pace records by their \"timestamp\", X times as fast\n"
    "      --dry-run              send nothing: print the batches and each record's shard\n"
    "      --stats                print the summary even when stderr is not a terminal\n"
    "      --listen ADDR:PORT     serve POST /report (a record, an array, NDJSON) and\n"
    "                             GET /beacon.js, the page script\n"
    "      --max-connections N    with --listen: connections at once (default: as many\n"
    "                             as the file-descriptor limit allows)\n"
    "      --max-connections-per-ip N  with --listen: connections from one address at\n"
    "                             once (default 64; 0: no limit)\n"
    "      --allow-origin ORIGIN  with --listen: take reports from pages of ORIGIN only\n"
    "                             (again for more; default: every origin)\n"
    "      --geoip FILE           with --listen: add each record's \"country\" from this\n"
    "                             MaxMind DB file (.mmdb)\n"
    "      --trust-forwarded      with --listen: the client's address is the last one of\n"
    "                             X-Forwarded-For (behind a load balancer)\n"
    "      --override             with --listen: the server's ip, timestamp and country\n"
    "                             replace the client's\n"
    "      --no-enrich            with --listen: put records as they came\n"
    "      --metrics-listen ADDR:PORT  with --listen: serve GET /metrics there instead of\n"
    "                             on the --listen address\n";

static const char usage_tail[] =
    "\nExit status: 0 all delivered, 1 some records rejected, 2 usage error, 3 an input\n"
    "could not be read, 4 the results or rejects could not be written, 5 the service\n"
    "or the credentials failed, 6 interrupted.  See cs-put(1).\n";

enum {
	OPT_EHK = CS_OPT_TOOL,
	OPT_REJECTS,
	OPT_RESULTS,
	OPT_LINGER,
	OPT_PARALLEL,
	OPT_BATCH,
	OPT_AGG,
	OPT_AGG_BYTES,
	OPT_RATE,
	OPT_REPLAY,
	OPT_DRY,
	OPT_STATS,
	OPT_LISTEN,
	OPT_MAXCONN,
	OPT_PERIP,
	OPT_ALLOW_ORIGIN,
	OPT_GEOIP,
	OPT_TRUST_FWD,
	OPT_OVERRIDE,
	OPT_NO_ENRICH,
	OPT_METRICS_LISTEN,
};

static const char shortopts[] = "s:k:E" CS_OPTS_SHORT;
static const struct option longopts[] = {
	{ "stream", required_argument, NULL, 's' },
	{ "partition-key", required_argument, NULL, 'k' },
	{ "explicit-hash-key", required_argument, NULL, OPT_EHK },
	{ "envelope", no_argument, NULL, 'E' },
	{ "rejects", required_argument, NULL, OPT_REJECTS },
	{ "results", required_argument, NULL, OPT_RESULTS },
	{ "linger", required_argument, NULL, OPT_LINGER },
	{ "parallel", required_argument, NULL, OPT_PARALLEL },
	{ "batch-size", required_argument, NULL, OPT_BATCH },
	{ "aggregate", no_argument, NULL, OPT_AGG },
	{ "aggregate-max-bytes", required_argument, NULL, OPT_AGG_BYTES },
	{ "rate", required_argument, NULL, OPT_RATE },
	{ "replay-speed", required_argument, NULL, OPT_REPLAY },
	{ "dry-run", no_argument, NULL, OPT_DRY },
	{ "stats", no_argument, NULL, OPT_STATS },
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "max-connections", required_argument, NULL, OPT_MAXCONN },
	{ "max-connections-per-ip", required_argument, NULL, OPT_PERIP },
	{ "allow-origin", required_argument, NULL, OPT_ALLOW_ORIGIN },
	{ "geoip", required_argument, NULL, OPT_GEOIP },
	{ "trust-forwarded", no_argument, NULL, OPT_TRUST_FWD },
	{ "override", no_argument, NULL, OPT_OVERRIDE },
	{ "no-enrich", no_argument, NULL, OPT_NO_ENRICH },
	{ "metrics-listen", required_argument, NULL, OPT_METRICS_LISTEN },
	{ NULL, 0, NULL, 0 },
};

struct app {
	struct cs_opts o;
	struct buf unread;       /* where the input stopped, when it did before its end */
	const char *stream;
	const char *keyexpr, *ehkexpr;
	int envelope, dry_run, stats;
	const char *rejects_path, *results_path, *listen, *metrics_listen;
	unsigned linger, parallel, batch, maxconn, per_ip;
	int per_ip_set, trust_forwarded, override, no_enrich;
	const char **origins;     /* --allow-origin, NULL-ended; NULL: every origin */
	size_t norigins;
	const char *geoip_path;
	struct geoip *geo;
	int linger_set;
	int aggregate;
	size_t agg_bytes;
	struct shardmap map;      /* --aggregate: the stream's shards */
	unsigned long unsent;     /* records not delivered after a failure for good */
	struct listener *listener;
	double rate, replay;

	struct aws_client *c;
	struct putter *p;
	struct putkey *keys;
	struct rejects *rj;
	FILE *results;
	int out_failed;
	struct buf line;
	struct putinput pin;     /* taking lines: keys, checks, pacing */
	/* dry run: shards for placement */
	struct kinesis_shard *shards;
	size_t nshards;
	int have_shards;
	int input_failed;
	struct cs_report *report; /* --metrics-file, --stats-json, GET /metrics */
	struct metricsd *metricsd; /* --metrics-listen */
};

/* the listener's serving loop keeps the metrics current */
static void
report_tick(void *report)
{
	cs_report_tick(report);
}

static double
positive(const char *name, const char *arg)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || !(v > 0) || !isfinite(v))
		cs_usage_error("--%s: '%s' is not a positive number", name, arg);
	return v;
}

/* an origin for --allow-origin: scheme://host[:port], as a browser sends it */
static void
add_origin(struct app *a, const char *o)
{
	const char *h = strstr(o, "://");

	if (!h || h == o || !h[3] || strchr(h + 3, '/'))
		cs_usage_error("--allow-origin: '%s' is not an origin like https://www.example.com", o);
	a->origins = cs_realloc(a->origins, (a->norigins + 2) * sizeof *a->origins);
	a->origins[a->norigins++] = o;
	a->origins[a->norigins] = NULL;
}

/* --- results and rejects ----------------------------------------------------- */

static void
on_done(void *arg, const struct put_record *rec, const struct put_result *res)
{
	struct app *a = arg;
	struct buf *b = &a->line;

	if (!a->rejects_path && putresult_is_failure(a->p, res)) {
		a->unsent++;
	} else if (!res->ok) {
		struct reject rj = { rec->source, rec->line, res->code, res->message, rec->data,
			rec->len, NULL };

		if (rejects_write(a->rj, &rj) != 0)
			a->out_failed = 1;
	}
	if (!a->results || a->dry_run)
		return;
	putresult_format(b, rec, res);
	if (fwrite(b->data, 1, b->len, a->results) != b->len)
		a->out_failed = 1;
}

/* --- dry run ----------------------------------------------------------------- */

static void
on_dry_batch(void *arg, unsigned long no, const struct put_record *const *recs, size_t n,
    size_t bytes)
{
	struct app *a = arg;
	struct buf *b = &a->line;

	if (a->map.nshards)  /* --aggregate took them */
		putdry_format_batch(b, a->map.shards, a->map.nshards, no, recs, n, bytes);
	else
		putdry_format_batch(b, a->have_shards ? a->shards : NULL, a->nshards, no, recs, n, bytes);
	if (fwrite(b->data, 1, b->len, stdout) != b->len)
		a->out_failed = 1;
}

static void
dry_run_shards(struct app *a)
{
	struct cs_err err;

	cs_err_clear(&err);
	if (!a->o.max_attempts)
		a->o.max_attempts = 2;
	a->c = cs_opts_client(&a->o, "kinesis", &err);
	if (!a->c || kinesis_list_shards(a->c, a->stream, &a->shards, &a->nshards, &err) != 0) {
		cs_warnx("no shard placement: %s", err.msg);
		return;
	}
	a->have_shards = 1;
}

/* --- the summary ------------------------------------------------------------------- */

/* the counters of the summary, for the metrics file and --stats-json */
static uint64_t
fill_metrics(struct cs_metrics *m, const char *prefix, void *arg)
{
	struct app *a = arg;
	const struct put_stats *s;

	if (!a->p)
		return 0;
	s = putter_stats(a->p);
	if (a->listener) {
		unsigned long in_flight, conns;

		listen_load(a->listener, &in_flight, &conns);
		cs_metrics_declare_set(m, CS_METRIC_GAUGE, "cs_put_http_requests_in_flight",
		    "Requests received and not answered yet.", (double)in_flight);
		cs_metrics_declare_set(m, CS_METRIC_GAUGE, "cs_put_http_connections_open",
		    "Client connections open.", (double)conns);
	}
	cs_metrics_declare_set(m, CS_METRIC_COUNTER, "cs_put_records_read_total",
	    "Records taken in (lines read, or records of the requests received).", (double)s->records);
	cs_metrics_declare(m, CS_METRIC_COUNTER, "cs_put_records_total",
	    "Records by result: delivered (in the stream) or rejected.", NULL, 0);
	cs_metrics_set(m, "cs_put_records_total", "result=\"delivered\"", (double)s->delivered);
	cs_metrics_set(m, "cs_put_records_total", "result=\"rejected\"", (double)s->rejected);
	cs_metrics_declare_set(m, CS_METRIC_COUNTER, "cs_put_delivered_bytes_total",
	    "Data bytes of the records delivered.", (double)s->bytes);
	cs_metrics_declare_set(m, CS_METRIC_COUNTER, "cs_put_putrecords_calls_total",
	    "PutRecords requests, re-sends included.", (double)s->batches);
	cs_metrics_declare_set(m, CS_METRIC_COUNTER, "cs_put_entries_resent_total",
	    "Records re-sent after a partial failure of PutRecords.", (double)s->entry_retries);
	cs_metrics_declare_set(m, CS_METRIC_COUNTER, "cs_put_entries_throttled_total",
	    "Records refused with a throttling error code (and re-sent).", (double)s->throttled);
	if (a->aggregate) {
		cs_metrics_declare_set(m, CS_METRIC_COUNTER, "cs_put_kinesis_records_total",
		    "Kinesis records accepted: KPL aggregates and records sent plain.",
		    (double)s->kinesis_records);
		cs_metrics_declare_set(m, CS_METRIC_COUNTER, "cs_put_aggregated_records_total",
		    "Records delivered inside a KPL aggregate.", (double)s->aggregated);
	}
	if (a->c)
		cs_report_aws(m, prefix, aws_client_stats(a->c));
	if (a->rj)
		cs_report_rejects(m, prefix, a->rj);
	return s->delivered;
}

static void
summary(struct app *a, uint64_t t0, int final)
{
	const struct put_stats *s = putter_stats(a->p);
	const struct aws_stats *as = a->c && !a->dry_run ? aws_client_stats(a->c) : NULL;
	double secs = (double)(cs_now_ms() - t0) / 1000.0;
	double rate = secs > 0 ? (double)s->delivered / secs : 0;
	char krec[64] = "";

	if (!final) {
		cs_progress("%lu records delivered, %lu rejected, %.0f records/s", s->delivered,
		    s->rejected, rate);
		return;
	}
	if (a->o.progress)
		cs_progress_clear();
	if (a->aggregate && !a->dry_run)
		snprintf(krec, sizeof krec, ", in %lu Kinesis records", s->kinesis_records);
	fprintf(stderr, "%s: %lu records, %lu delivered (%llu bytes%s), %lu rejected; "
	    "%lu batches, %lu entries re-sent, %lu requests re-sent; %.1f s, %.0f records/s\n",
	    cs_prog(), s->records, s->delivered, s->bytes, krec, s->rejected, s->batches,
	    s->entry_retries, as ? as->retries : 0, secs, rate);
}

/* --- main ---------------------------------------------------------------------------- */

static int
run_files(struct app *a, char **files, int nfiles)
{
	struct input in;
	struct cs_err err;
	int reading = 1, interrupted = 0, seen = 0;
	uint64_t t0 = cs_now_ms(), last_progress = t0;

	/* the names of the inputs outlive their reader: the putter keeps them */
	input_init(&in, files, nfiles, NDJSON_DEFAULT_MAXLINE);
	for (;;) {
		int wait_fd = -1, timeout = 200;

		if (cs_signalled != seen) {
			seen = cs_signalled;
			if (!interrupted) {
				interrupted = 1;
				putinput_release(&a->pin);
				reading = 0;
				putter_interrupt(a->p, 0);
			} else {
				putter_interrupt(a->p, 1);
			}
		}
		if (putter_failed(a->p, NULL) && reading) {
			/* a record read but held back for pacing is consumed: account for it */
			putinput_release(&a->pin);
			reading = 0;
		}
		/* read what is there, up to a batch at a time */
		for (int k = 0; reading && k < PUT_MAX_RECORDS && putter_accepting(a->p); k++) {
			const char *s;
			size_t n;
			enum input_status st;

			if (putinput_held_due(&a->pin)) {
				if (putinput_release_due(&a->pin))
					break;  /* not due yet */
				continue;
			}
			cs_err_clear(&err);
			st = input_next(&in, &s, &n, &err);
			if (st == INPUT_END) {
				reading = 0;
				putter_flush(a->p);
				break;
			}
			if (st == INPUT_ERROR) {
				cs_warnx("%s", err.msg);
				a->input_failed = 1;
				continue;
			}
			if (st == INPUT_WAIT) {
				wait_fd = input_fd(&in);
				break;
			}
			if (st == INPUT_AGAIN)
				break;
			if (st == INPUT_TOOLONG) {
				putinput_toolong(&a->pin, s, n, in.source, in.r.lineno, in.r.toolong_len);
				continue;
			}
			if (putinput_take(&a->pin, s, n, in.source, in.r.lineno, !cs_signalled))
				break;
		}
		if (!reading && putter_outstanding(a->p) == 0)
			break;
		if (putinput_held_due(&a->pin)) {
			timeout = putinput_wait_ms(&a->pin, 200);
		} else if (reading && putter_accepting(a->p) && wait_fd < 0) {
			timeout = 0;
		}
		putter_run(a->p, timeout, wait_fd);
		if (a->o.progress && cs_now_ms() - last_progress >= 1000) {
			last_progress = cs_now_ms();
			summary(a, t0, 0);
		}
		cs_report_tick(a->report);
	}
	/* stopped early: the rest of the input is not read; say from where, last */
	input_unread_msg(&in, &a->unread);
	input_close(&in);
	if (!a->o.stats_json && (a->stats || a->o.verbose || a->o.progress))
		summary(a, t0, 1);
	return interrupted;
}

int
main(int argc, char **argv)
{
	struct app a;
	struct option *lo;
	struct put_config cfg;
	struct cs_err err;
	char *help;
	int c, interrupted = 0, service_failed = 0, status;

	cs_setprog(argv[0]);
	/*
	 * Request bodies are megabytes, made and freed many times a second:
	 * keep them on the heap rather than mapping fresh zeroed pages for
	 * each one (a third of the CPU time otherwise goes to page faults).
	 */
	mallopt(M_MMAP_THRESHOLD, 64 << 20);
	mallopt(M_TRIM_THRESHOLD, 128 << 20);
	memset(&a, 0, sizeof a);
	cs_opts_init(&a.o);
	a.linger = 20;
	a.parallel = 4;
	a.batch = PUT_MAX_RECORDS;
	a.per_ip = LISTEN_PER_IP;
	lo = cs_opts_longopts(longopts, 1);
	help = cs_opts_help(usage, 1, usage_tail);
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, lo, NULL)) != -1) {
		switch (c) {
		case 's': a.stream = optarg; break;
		case 'k': a.keyexpr = optarg; break;
		case OPT_EHK: a.ehkexpr = optarg; break;
		case 'E': a.envelope = 1; break;
		case OPT_REJECTS: a.rejects_path = optarg; break;
		case OPT_RESULTS: a.results_path = optarg; break;
		case OPT_LINGER:
			a.linger = (unsigned)cs_opt_number("linger", optarg, 0, 600000);
			a.linger_set = 1;
			break;
		case OPT_PARALLEL: a.parallel = (unsigned)cs_opt_number("parallel", optarg, 1, 256); break;
		case OPT_BATCH: a.batch = (unsigned)cs_opt_number("batch-size", optarg, 1, PUT_MAX_RECORDS); break;
		case OPT_AGG: a.aggregate = 1; break;
		case OPT_AGG_BYTES:
			a.agg_bytes = (size_t)cs_opt_number("aggregate-max-bytes", optarg, 1, AGG_MAX_BYTES);
			break;
		case OPT_RATE: a.rate = positive("rate", optarg); break;
		case OPT_REPLAY: a.replay = positive("replay-speed", optarg); break;
		case OPT_DRY: a.dry_run = 1; break;
		case OPT_STATS: a.stats = 1; break;
		case OPT_LISTEN: a.listen = optarg; break;
		case OPT_MAXCONN: a.maxconn = (unsigned)cs_opt_number("max-connections", optarg, 1, LISTEN_MAX_FDS); break;
		case OPT_PERIP:
			a.per_ip = (unsigned)cs_opt_number("max-connections-per-ip", optarg, 0, LISTEN_MAX_FDS);
			a.per_ip_set = 1;
			break;
		case OPT_ALLOW_ORIGIN: add_origin(&a, optarg); break;
		case OPT_METRICS_LISTEN: a.metrics_listen = optarg; break;
		case OPT_GEOIP: a.geoip_path = optarg; break;
		case OPT_TRUST_FWD: a.trust_forwarded = 1; break;
		case OPT_OVERRIDE: a.override = 1; break;
		case OPT_NO_ENRICH: a.no_enrich = 1; break;
		case '?':
			cs_opts_bad(argv, shortopts);
		default:
			if (!cs_opts_handle(&a.o, c, optarg, help))
				cs_usage_error("unknown option");
		}
	}
	free(lo);
	free(help);
	cs_opts_finish(&a.o);
	cs_opts_warn_aws_config(&a.o);
	if (!a.stream)
		cs_usage_error("no stream: give -s STREAM");
	if (!*a.stream)
		cs_usage_error("-s: the stream name is empty");
	if (a.listen && optind < argc)
		cs_usage_error("--listen takes no input files");
	if (a.agg_bytes && !a.aggregate)
		cs_usage_error("--aggregate-max-bytes goes with --aggregate");
	if (a.listen && (a.dry_run || a.envelope || a.results_path || a.rate > 0 || a.replay > 0))
		cs_usage_error("--listen does not go with --dry-run, --envelope, --results, --rate or --replay-speed");
	if (!a.listen && (a.origins || a.geoip_path || a.trust_forwarded || a.override || a.no_enrich ||
	    a.per_ip_set || a.maxconn || a.metrics_listen))
		cs_usage_error("--allow-origin, --geoip, --trust-forwarded, --override, --no-enrich, "
		    "--metrics-listen and --max-connections* go with --listen only");
	if (a.no_enrich && (a.geoip_path || a.override || a.trust_forwarded))
		cs_usage_error("--no-enrich does not go with --geoip, --override or --trust-forwarded");
	/* behind a load balancer every connection comes from the balancer */
	if (a.trust_forwarded && !a.per_ip_set)
		a.per_ip = 0;
	if (a.geoip_path && !(a.geo = geoip_open(a.geoip_path, &err)))
		cs_die(CS_EXIT_INPUT, "%s", err.msg);

	cs_err_clear(&err);
	if (!(a.keys = putkey_new(a.keyexpr, a.ehkexpr, &err)))
		cs_usage_error("%s", err.msg);
	if (!(a.rj = rejects_open(a.rejects_path, &err)))
		cs_die(CS_EXIT_OUTPUT, "%s", err.msg);
	rejects_set_log(a.rj, &cs_warn_log);
	if (a.results_path) {
		a.results = strcmp(a.results_path, "-") == 0 ? stdout : fopen(a.results_path, "we");
		if (!a.results)
			cs_die(CS_EXIT_OUTPUT, "cannot open '%s': %s", a.results_path, strerror(errno));
	}
	cs_signals(cs_count_signal);
	/* --listen answers what it received before it stops: the signal does not end its retries */
	if (a.listen)
		a.o.stop = NULL;

	if (a.dry_run) {
		dry_run_shards(&a);
	} else if (!(a.c = cs_opts_client(&a.o, "kinesis", &err))) {
		cs_die(CS_EXIT_SERVICE, "%s", err.msg);
	}
	shardmap_init(&a.map);
	if (a.aggregate) {
		/* records are grouped by the shard they map to: the map first, before anything is read */
		if (a.dry_run) {
			if (a.have_shards) {
				shardmap_set(&a.map, a.shards, a.nshards);
				a.shards = NULL;
				a.nshards = 0;
				a.have_shards = 0;
			}
		} else if (shardmap_load(&a.map, a.c, a.stream, &err) != 0) {
			cs_die(CS_EXIT_SERVICE, "--aggregate needs the stream's shards: %s", err.msg);
		}
	}

	memset(&cfg, 0, sizeof cfg);
	cfg.stream = a.stream;
	cfg.parallel = a.parallel;
	cfg.linger_ms = a.linger;
	cfg.max_records = a.batch;
	cfg.ordered = !a.listen;
	cfg.ordered_keys = a.envelope || putkey_is_expr(a.keys);
	cfg.want_ids = a.results_path || a.listen;
	cfg.retry_budget_ms = a.o.retry_budget_ms;
	cfg.max_attempts = a.o.max_attempts;
	if (a.aggregate) {
		cfg.aggregate_bytes = a.agg_bytes ? a.agg_bytes : AGG_DEFAULT_BYTES;
		cfg.map = &a.map;
	}
	cfg.done = on_done;
	cfg.dry_run = a.dry_run ? on_dry_batch : NULL;
	cfg.arg = &a;
	if (a.o.metrics_file || a.o.stats_json || a.listen) {
		a.report = cs_report_new("cs_put", a.o.metrics_file, a.o.stats_json, fill_metrics, &a);
		cs_report_period(a.report, a.o.metrics_interval_ms);
	}
	if (a.listen) {
		struct listen_config lc = { 0 };
		struct cs_metrics *m = cs_report_metrics(a.report);

		cs_metrics_declare(m, CS_METRIC_COUNTER, "cs_put_http_requests_total",
		    "Requests answered, by HTTP status code (GET /metrics not counted).", NULL, 0);
		cs_metrics_declare(m, CS_METRIC_HISTOGRAM, "cs_put_http_request_duration_seconds",
		    "From a request received to its answer sent: every record of it in the stream, "
		    "or refused.", NULL, 0);
		lc.metrics = m;
		lc.metrics_text = a.metrics_listen ? NULL : cs_report_cached;
		lc.tick = report_tick;
		lc.metrics_ctx = a.report;

		lc.addr = a.listen;
		lc.stream = a.stream;
		lc.max_connections = a.maxconn;
		lc.max_per_ip = a.per_ip;
		lc.allow_origins = a.origins;
		lc.trust_forwarded = a.trust_forwarded;
		lc.override = a.override;
		lc.no_enrich = a.no_enrich;
		lc.geo = a.geo;
		lc.verbose = a.o.verbose;
		lc.log = cs_warn_log;
		lc.chain = on_done;
		lc.chain_arg = &a;
		if (!(a.listener = listen_new(&lc, &err)))
			cs_usage_error("%s", err.msg);
		cfg.done = listen_put_done;
		cfg.arg = a.listener;
		cfg.keep_going = 1;
		if (!a.linger_set)
			cfg.linger_ms = 2;
	}
	a.p = putter_new(&cfg, a.dry_run ? NULL : a.c);
	if (a.listen) {
		cs_report_publish(a.report);
		if (a.metrics_listen &&
		    !(a.metricsd = metricsd_start(a.metrics_listen, cs_report_cached, a.report, &err)))
			cs_die(CS_EXIT_USAGE, "%s", err.msg);
	}
	{
		struct putinput_config ic = { 0 };

		ic.p = a.p;
		ic.keys = a.keys;
		ic.envelope = a.envelope;
		ic.keyexpr = a.keyexpr != NULL;
		ic.ehkexpr = a.ehkexpr != NULL;
		ic.rate = a.rate;
		ic.replay = a.replay;
		putinput_init(&a.pin, &ic);
	}

	if (a.listen) {
		struct listen_stats ls;

		if (listen_serve(a.listener, a.p, a.keys, &cs_signalled, &err) != 0) {
			cs_warnx("%s", err.msg);
			service_failed = 1;
		}
		listen_get_stats(a.listener, &ls);
		if (a.stats || a.o.verbose)
			cs_warnx("%lu requests: %lu answered 200, %lu 204, %lu 4xx, %lu 5xx; "
			    "%lu records received; %lu records delivered",
			    ls.requests, ls.ok, ls.other, ls.client_errors, ls.server_errors,
			    ls.records, putter_stats(a.p)->delivered);
	} else {
		interrupted = run_files(&a, argv + optind, argc - optind);
	}

	if (putter_failed(a.p, &err)) {
		if (a.unsent)
			cs_warnx("%s (%lu record%s not delivered)", err.msg, a.unsent,
			    a.unsent == 1 ? "" : "s");
		else
			cs_warnx("%s", err.msg);
		service_failed = 1;
	}
	cs_report_snapshot(a.report);
	if (rejects_close(a.rj, &err) != 0) {
		cs_warnx("%s", err.msg);
		a.out_failed = 1;
	}
	a.rj = NULL;
	if (a.results && a.results != stdout && (fflush(a.results) || ferror(a.results) ||
	    fclose(a.results))) {
		cs_warn("write error on '%s'", a.results_path);
		a.out_failed = 1;
	}
	if (cs_close_stdout() != 0)
		a.out_failed = 1;
	/* with --listen, the endpoint told each client of its rejects already */
	status = cs_exit_status(service_failed, a.out_failed, interrupted, a.input_failed,
	    putter_stats(a.p)->rejected && !a.listen);
	metricsd_stop(a.metricsd);
	status = cs_report_end(a.report, status, &a.unread);
	putter_free(a.p);
	listen_free(a.listener);
	geoip_close(a.geo);
	free(a.origins);
	putkey_free(a.keys);
	kinesis_shards_free(a.shards, a.nshards);
	shardmap_free(&a.map);
	aws_client_free(a.c);
	putinput_free(&a.pin);
	buf_free(&a.line);
	return status;
}
