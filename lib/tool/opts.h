/*
 * opts.h - the options every AWS tool shares, parsed in one place.
 *
 *   --region R  --profile P  --endpoint-url URL  -v/--verbose  -q/--quiet
 *   --connect-timeout MS  --timeout MS  --retry-budget MS  --max-attempts N
 *   --metrics-file FILE  --metrics-interval MS  --stats-json  --help  --version
 *
 * A tool builds its getopt_long table with cs_opts_longopts(), puts
 * CS_OPTS_SHORT in its short-option string, and hands every option it
 * does not know to cs_opts_handle().
 */
#ifndef CS_OPTS_H
#define CS_OPTS_H

#include <getopt.h>
#include <limits.h>
#include <signal.h>

#define CS_OPTS_SHORT "vqh"

/* Long-only options get values above UCHAR_MAX; tools start theirs at CS_OPT_TOOL. */
enum {
	CS_OPT_REGION = UCHAR_MAX + 1,
	CS_OPT_PROFILE,
	CS_OPT_ENDPOINT_URL,
	CS_OPT_VERSION,
	CS_OPT_CONNECT_TIMEOUT,
	CS_OPT_TIMEOUT,
	CS_OPT_RETRY_BUDGET,
	CS_OPT_MAX_ATTEMPTS,
	CS_OPT_METRICS_FILE,
	CS_OPT_STATS_JSON,
	CS_OPT_METRICS_INTERVAL,
	CS_OPT_TOOL = UCHAR_MAX + 64,
};

struct cs_opts {
	const char *region;
	const char *profile;
	const char *endpoint_url;
	int verbose;
	int quiet;
	int progress;               /* stderr is a terminal and not quiet */
	long connect_timeout_ms;    /* default 5000 */
	long timeout_ms;            /* default 30000 per request */
	unsigned retry_budget_ms;   /* default RETRY_BUDGET_MS (lib/aws/retry.h) */
	unsigned max_attempts;      /* 0: as the budget allows */
	const char *metrics_file;   /* --metrics-file: node_exporter textfile format, or NULL */
	unsigned metrics_interval_ms; /* --metrics-interval: how often the file is rewritten (5000) */
	int stats_json;             /* --stats-json: the closing summary as JSON on stderr */
	/* non-zero once the run is to stop (default &cs_signalled): retries end at once */
	const volatile sig_atomic_t *stop;
};

void cs_opts_init(struct cs_opts *o);
struct aws_config;
struct aws_client;
struct cs_err;
/* The AWS client's configuration from O (lib/aws/aws.h), its -v trace to stderr. */
void cs_opts_aws(const struct cs_opts *o, struct aws_config *cfg);
/* aws_client_new() for SERVICE with that configuration. */
struct aws_client *cs_opts_client(const struct cs_opts *o, const char *service,
    struct cs_err *err);
/*
 * A getopt_long table: TOOL's options followed by the shared ones and a
 * terminator.  AWS is 0 for tools that talk to no service (cs-validate):
 * then only -v, -q, --help and --version are added.  Caller frees.
 */
struct option *cs_opts_longopts(const struct option *tool, int aws);
/*
 * Handle shared option OPT.  1 when it was one (--help and --version print
 * and exit 0: USAGE is the tool's help text), 0 when it is the tool's own;
 * a bad value is a usage error.
 */
int cs_opts_handle(struct cs_opts *o, int opt, const char *arg, const char *usage);
/* The value of option --NAME: ARG, a whole number from MIN to MAX; anything else is a usage error. */
unsigned long long cs_opt_number(const char *name, const char *arg, unsigned long long min,
    unsigned long long max);
/* After parsing: decide progress (stderr a tty, not quiet). */
void cs_opts_finish(struct cs_opts *o);
/* The text of the shared options, for a tool's --help. */
extern const char cs_opts_help_aws[];
extern const char cs_opts_help_common[];
/*
 * A tool's whole --help: USAGE, the shared options (after a blank line,
 * the AWS ones first, when AWS), then TAIL (NULL: none).  Caller frees.
 */
char *cs_opts_help(const char *usage, int aws, const char *tail);
/*
 * Warn, once per run, about each setting of the profile in use that cs
 * does not support (lib/aws reports them: awsconf_unsupported).
 */
void cs_opts_warn_aws_config(const struct cs_opts *o);
/*
 * getopt_long returned '?' (SHORTOPTS: the tool's short-option string):
 * say what was wrong in the house format
 * ("cs-put: unknown option '--foo'", "cs-put: option '-s' needs an
 * argument") with the hint, and exit CS_EXIT_USAGE.  Tools set opterr = 0
 * so that getopt itself prints nothing.
 */
void cs_opts_bad(char **argv, const char *shortopts) __attribute__((noreturn));
/* "cs-put 0.1.0 (libcurl/7.88.1 OpenSSL/3.0.x jq-1.6)" on stdout. */
void cs_print_version(void);

#endif
