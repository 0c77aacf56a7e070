/* opts.c - the options every tool shares (see opts.h). */
#include <curl/curl.h>
#include <jq.h>
#include <openssl/opensslv.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aws.h"
#include "cs.h"
#include "awsconf.h"
#include "msg.h"
#include "opts.h"

static const struct option aws_opts[] = {
	{ "region", required_argument, NULL, CS_OPT_REGION },
	{ "profile", required_argument, NULL, CS_OPT_PROFILE },
	{ "endpoint-url", required_argument, NULL, CS_OPT_ENDPOINT_URL },
	{ "connect-timeout", required_argument, NULL, CS_OPT_CONNECT_TIMEOUT },
	{ "timeout", required_argument, NULL, CS_OPT_TIMEOUT },
	{ "retry-budget", required_argument, NULL, CS_OPT_RETRY_BUDGET },
	{ "max-attempts", required_argument, NULL, CS_OPT_MAX_ATTEMPTS },
};

static const struct option common_opts[] = {
	{ "verbose", no_argument, NULL, 'v' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, CS_OPT_VERSION },
	{ "metrics-file", required_argument, NULL, CS_OPT_METRICS_FILE },
	{ "stats-json", no_argument, NULL, CS_OPT_STATS_JSON },
	{ "metrics-interval", required_argument, NULL, CS_OPT_METRICS_INTERVAL },
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

const char cs_opts_help_aws[] =
    "AWS options:\n"
    "      --region REGION        region (else AWS_REGION, AWS_DEFAULT_REGION, the profile)\n"
    "      --profile NAME         profile of the shared config files (else AWS_PROFILE)\n"
    "      --endpoint-url URL     service endpoint (else AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL)\n"
    "      --connect-timeout MS   connect timeout per request (default 5000)\n"
    "      --timeout MS           time limit of one request (default 30000)\n"
    "      --retry-budget MS      total time to keep retrying a failing request (default 120000)\n"
    "      --max-attempts N       attempts per request, 0 for as many as the budget allows (default 0)\n";

const char cs_opts_help_common[] =
    "  -v, --verbose              more detail on stderr (repeat for more); never secrets\n"
    "  -q, --quiet                no progress or summary on stderr, only errors\n"
    "      --metrics-file FILE    write metrics to FILE every 5 s and at exit (Prometheus text)\n"
    "      --metrics-interval MS  how often --metrics-file is rewritten (default 5000)\n"
    "      --stats-json           the closing summary as one JSON object on stderr\n"
    "  -h, --help                 this help\n"
    "      --version              the version\n";

char *
cs_opts_help(const char *usage, int aws, const char *tail)
{
	struct buf b = BUF_INIT;

	buf_adds(&b, usage);
	if (aws) {
		buf_addc(&b, '\n');
		buf_adds(&b, cs_opts_help_aws);
	}
	buf_adds(&b, cs_opts_help_common);
	if (tail)
		buf_adds(&b, tail);
	return buf_detach(&b);
}

void
cs_opts_init(struct cs_opts *o)
{
	struct aws_config d;

	/* the AWS defaults are the AWS layer's */
	aws_config_init(&d);
	memset(o, 0, sizeof *o);
	o->connect_timeout_ms = d.connect_timeout_ms;
	o->timeout_ms = d.timeout_ms;
	o->retry_budget_ms = d.retry_budget_ms;
	o->stop = &cs_signalled;
	o->metrics_interval_ms = 5000;
}

void
cs_opts_aws(const struct cs_opts *o, struct aws_config *cfg)
{
	aws_config_init(cfg);
	cfg->region = o->region;
	cfg->profile = o->profile;
	cfg->endpoint_url = o->endpoint_url;
	cfg->connect_timeout_ms = o->connect_timeout_ms;
	cfg->timeout_ms = o->timeout_ms;
	cfg->retry_budget_ms = o->retry_budget_ms;
	cfg->max_attempts = o->max_attempts;
	cfg->verbose = o->verbose;
	cfg->stop = o->stop;
	cfg->log.fn = cs_log_warn;
	cfg->log.ctx = NULL;
}

struct aws_client *
cs_opts_client(const struct cs_opts *o, const char *service, struct cs_err *err)
{
	struct aws_config cfg;

	cs_opts_aws(o, &cfg);
	return aws_client_new(&cfg, service, err);
}

struct option *
cs_opts_longopts(const struct option *tool, int aws)
{
	size_t nt = 0, n = 0;
	struct option *all;

	while (tool && tool[nt].name)
		nt++;
	all = cs_calloc(nt + NELEM(aws_opts) + NELEM(common_opts) + 1, sizeof *all);
	if (nt)
		memcpy(all, tool, nt * sizeof *all);
	n = nt;
	if (aws) {
		memcpy(all + n, aws_opts, sizeof aws_opts);
		n += NELEM(aws_opts);
	}
	memcpy(all + n, common_opts, sizeof common_opts);
	return all;
}

unsigned long long
cs_opt_number(const char *name, const char *arg, unsigned long long min, unsigned long long max)
{
	unsigned long long v;

	if (cs_parse_uint(arg, max, &v) || v < min)
		cs_usage_error("--%s: '%s' is not a number from %llu to %llu", name, arg, min, max);
	return v;
}

void
cs_opts_bad(char **argv, const char *shortopts)
{
	const char *arg = optind > 0 ? argv[optind - 1] : NULL;
	const char *p;

	if (optopt > 0 && optopt <= UCHAR_MAX) {
		/* a short option: unknown, or known and wanting its argument */
		p = strchr(shortopts, optopt);
		if (p && p[1] == ':')
			cs_usage_error("option '-%c' needs an argument", optopt);
		cs_usage_error("unknown option '-%c'", optopt);
	}
	if (arg && arg[0] == '-' && arg[1] == '-') {
		int n = (int)strcspn(arg, "=");

		if (optopt)
			cs_usage_error("option '%.*s' needs an argument", n, arg);
		cs_usage_error("unknown option '%.*s'", n, arg);
	}
	cs_usage_error("unknown option '%s'", arg ? arg : "?");
}

void
cs_print_version(void)
{
	curl_version_info_data *c = curl_version_info(CURLVERSION_NOW);

	printf("%s %s (libcurl/%s %s jq)\n", cs_prog(), CS_VERSION, c->version,
	    OPENSSL_VERSION_TEXT);
}

int
cs_opts_handle(struct cs_opts *o, int opt, const char *arg, const char *usage)
{
	switch (opt) {
	case 'v':
		o->verbose++;
		return 1;
	case 'q':
		o->quiet = 1;
		return 1;
	case 'h':
		fputs(usage, stdout);
		exit(cs_close_stdout() ? CS_EXIT_OUTPUT : CS_EXIT_OK);
	case CS_OPT_VERSION:
		cs_print_version();
		exit(cs_close_stdout() ? CS_EXIT_OUTPUT : CS_EXIT_OK);
	case CS_OPT_REGION:
		o->region = arg;
		return 1;
	case CS_OPT_PROFILE:
		o->profile = arg;
		return 1;
	case CS_OPT_ENDPOINT_URL:
		if (strncmp(arg, "http://", 7) && strncmp(arg, "https://", 8))
			cs_usage_error("--endpoint-url: '%s' is not an http:// or https:// URL", arg);
		o->endpoint_url = arg;
		return 1;
	case CS_OPT_CONNECT_TIMEOUT:
		o->connect_timeout_ms = (long)cs_opt_number("connect-timeout", arg, 0, 3600000);
		return 1;
	case CS_OPT_TIMEOUT:
		o->timeout_ms = (long)cs_opt_number("timeout", arg, 0, 3600000);
		return 1;
	case CS_OPT_RETRY_BUDGET:
		o->retry_budget_ms = (unsigned)cs_opt_number("retry-budget", arg, 0, 86400000);
		return 1;
	case CS_OPT_MAX_ATTEMPTS:
		o->max_attempts = (unsigned)cs_opt_number("max-attempts", arg, 0, 1000000);
		return 1;
	case CS_OPT_METRICS_FILE:
		if (!*arg)
			cs_usage_error("--metrics-file: the file name is empty");
		o->metrics_file = arg;
		return 1;
	case CS_OPT_STATS_JSON:
		o->stats_json = 1;
		return 1;
	case CS_OPT_METRICS_INTERVAL:
		o->metrics_interval_ms = (unsigned)cs_opt_number("metrics-interval", arg, 100, 3600000);
		return 1;
	}
	return 0;
}

void
cs_opts_finish(struct cs_opts *o)
{
	o->progress = !o->quiet && isatty(STDERR_FILENO);
}

void
cs_opts_warn_aws_config(const struct cs_opts *o)
{
	static int done;
	struct buf w = BUF_INIT;
	char *line, *nl;

	if (done)
		return;
	done = 1;
	awsconf_env_shadows(o->profile, &w);
	awsconf_unsupported(o->profile, &w);
	for (line = w.data; line && *line; line = nl + 1) {
		nl = strchr(line, '\n');
		*nl = '\0';
		cs_warnx("warning: %s", line);
	}
	buf_free(&w);
}
