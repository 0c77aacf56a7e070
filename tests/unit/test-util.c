/* test-util.c - buffers, RFC 3339 times, numbers, hex, base64, the retry
 * policy and jq programs; the message format (msg.c), the shared options
 * (opts.c) and cs_getenv. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cs.h"
#include "msg.h"
#include "jqprog.h"
#include "opts.h"
#include "retry.h"
#include "tap.h"

static void
test_buf(void)
{
	struct buf b = BUF_INIT;
	int i;
	char *s;

	buf_adds(&b, "abc");
	buf_addc(&b, '-');
	buf_printf(&b, "%d:%s", 42, "x");
	is_str(b.data, "abc-42:x", "buf_add/addc/printf");
	for (i = 0; i < 1000; i++)
		buf_printf(&b, "%0100d", i);
	is_int(b.len, 8 + 100000, "buf grows past many reallocations");
	buf_reset(&b);
	is_str(b.data, "", "buf_reset empties");
	buf_adds(&b, "keep");
	s = buf_detach(&b);
	is_str(s, "keep", "buf_detach hands the string over");
	ok(b.data == NULL && b.len == 0, "and resets the buffer");
	free(s);
	buf_free(&b);
}

static void
test_time(void)
{
	static const struct {
		const char *in;
		long long ms; /* -1: invalid */
	} cases[] = {
		{ "2018-02-04T23:18:32.866Z", 1517786312866LL },
		{ "1970-01-01T00:00:00Z", 0 },
		{ "2000-02-29T12:00:00Z", 951825600000LL },
		{ "2018-02-04T23:18:32.8Z", 1517786312800LL },
		{ "2018-02-04T23:18:32.123456789Z", 1517786312123LL },
		{ "2018-02-05T01:18:32.866+02:00", 1517786312866LL },
		{ "2018-02-04t23:18:32z", 1517786312000LL },
		{ "2016-12-31T23:59:60Z", 1483228800000LL },
		{ "2018-02-30T00:00:00Z", -1 },
		{ "1900-02-29T00:00:00Z", -1 },
		{ "2018-13-01T00:00:00Z", -1 },
		{ "2018-02-04T25:61:00Z", -1 },
		{ "2018-02-04T23:18:60Z", -1 },
		{ "2018-02-04T23:18:32", -1 },
		{ "2018-02-04T23:18:32.Z", -1 },
		{ "2018-02-04 23:18:32Z", -1 },
		{ "2018-2-4T23:18:32Z", -1 },
		{ "2018-02-04T23:18:32Zjunk", -1 },
		{ "", -1 },
	};
	size_t i;
	char out[32];

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int64_t ms = 0;
		int rc = cs_parse_rfc3339(cases[i].in, strlen(cases[i].in), &ms);

		if (cases[i].ms < 0)
			ok(rc == -1, "rfc3339 rejects '%s'", cases[i].in);
		else
			ok(rc == 0 && ms == cases[i].ms, "rfc3339 '%s' = %lld (got %lld)", cases[i].in,
			    cases[i].ms, (long long)ms);
	}
	cs_fmt_rfc3339(out, 1517786312866LL);
	is_str(out, "2018-02-04T23:18:32.866Z", "rfc3339 format");
	cs_fmt_rfc3339(out, 0);
	is_str(out, "1970-01-01T00:00:00.000Z", "rfc3339 format of the epoch");
}

static void
test_codecs(void)
{
	struct buf b = BUF_INIT;
	unsigned long long v;
	char hex[9];
	static const char *const plain[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	static const char *const enc[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy" };
	size_t i;

	for (i = 0; i < 7; i++) {
		buf_reset(&b);
		cs_base64_encode(&b, (const unsigned char *)plain[i], strlen(plain[i]));
		is_str(b.data ? b.data : "", enc[i], "base64 of '%s'", plain[i]);
		buf_reset(&b);
		ok(cs_base64_decode(&b, enc[i], strlen(enc[i])) == 0 && b.len == strlen(plain[i]) &&
		    memcmp(b.data ? b.data : "", plain[i], b.len) == 0, "base64 decode of '%s'", enc[i]);
	}
	buf_reset(&b);
	ok(cs_base64_decode(&b, "Zm9", 3) == -1, "base64: bad length rejected");
	ok(cs_base64_decode(&b, "Zm9*", 4) == -1, "base64: bad character rejected");
	cs_hex(hex, (const unsigned char *)"\x01\xab\xff\x00", 4);
	is_str(hex, "01abff00", "hex");
	ok(cs_parse_uint("123", 1000, &v) == 0 && v == 123, "parse_uint");
	ok(cs_parse_uint("1001", 1000, &v) == -1, "parse_uint: over the maximum");
	ok(cs_parse_uint("-1", 1000, &v) == -1 && cs_parse_uint("1x", 1000, &v) == -1 &&
	    cs_parse_uint("", 1000, &v) == -1, "parse_uint: not numbers");
	buf_free(&b);
}

static void
test_retry(void)
{
	struct retry_policy p;
	uint64_t rng = 42;
	unsigned i, w, maxw = 0;

	retry_policy_default(&p);
	for (i = 0; i < 1000; i++) {
		w = retry_backoff_ms(&p, 1, &rng);
		if (w > maxw)
			maxw = w;
	}
	ok(maxw >= 1 && maxw <= p.base_ms + 1, "attempt 1 waits within [1, base] (max %u)", maxw);
	for (i = 0, maxw = 0; i < 1000; i++) {
		w = retry_backoff_ms(&p, 30, &rng);
		if (w > maxw)
			maxw = w;
	}
	ok(maxw <= p.cap_ms + 1 && maxw > p.cap_ms / 2, "late attempts are capped (max %u)", maxw);
	{
		/* exponential: the ceiling doubles each attempt; full jitter: uniform in [0, ceiling] */
		unsigned a, ceil, minw, bad = 0;
		double sum;

		for (a = 1, ceil = p.base_ms; a <= 10; a++, ceil = ceil * 2 > p.cap_ms ? p.cap_ms : ceil * 2) {
			for (i = 0, maxw = 0, minw = ~0u, sum = 0; i < 4000; i++) {
				w = retry_backoff_ms(&p, a, &rng);
				maxw = w > maxw ? w : maxw;
				minw = w < minw ? w : minw;
				sum += w;
			}
			if (maxw > ceil + 1 || maxw < ceil * 0.95 || minw > ceil * 0.05 + 1 ||
			    sum / 4000 < ceil * 0.45 || sum / 4000 > ceil * 0.55 + 1) {
				printf("# attempt %u: ceiling %u, min %u, max %u, mean %.0f\n", a, ceil, minw, maxw,
				    sum / 4000);
				bad++;
			}
		}
		ok(bad == 0, "backoff: the ceiling doubles from the base up to the cap, waits uniform below it");
	}
	ok(retry_allowed(&p, 3, 1000, 100), "within the budget");
	ok(!retry_allowed(&p, 3, p.budget_ms, 100), "past the budget");
	p.max_attempts = 3;
	ok(!retry_allowed(&p, 3, 0, 1), "past the attempts");
	ok(retry_is_retryable(0, ""), "network errors are retried");
	ok(retry_is_retryable(500, "InternalFailure") && retry_is_retryable(503, ""), "5xx retried");
	ok(retry_is_retryable(400, "ProvisionedThroughputExceededException") &&
	    retry_is_retryable(400, "ThrottlingException") && retry_is_retryable(400, "LimitExceededException") &&
	    retry_is_retryable(400, "RequestLimitExceeded"), "throttling retried");
	ok(!retry_is_retryable(400, "ValidationException") && !retry_is_retryable(400, "ResourceNotFoundException") &&
	    !retry_is_retryable(403, "AccessDeniedException"), "client errors are not");
	ok(!retry_is_retryable(400, "UnrecognizedClientException") && !retry_is_retryable(400, "InvalidArgumentException") &&
	    !retry_is_retryable(400, "ResourceInUseException") && !retry_is_retryable(400, "ConditionalCheckFailedException") &&
	    !retry_is_retryable(400, "SerializationException") && !retry_is_retryable(404, ""),
	    "other client errors are not either");
	ok(retry_is_retryable(429, "") && retry_is_retryable(400, "ThrottlingException") &&
	    retry_is_retryable(502, "") && retry_is_retryable(504, ""), "429, 502 and 504 are retried");
	ok(retry_is_clock_skew("InvalidSignatureException", "Signature expired: 2015 is now earlier than 2016"),
	    "an expired signature is a clock skew");
	ok(!retry_is_clock_skew("InvalidSignatureException", "The request signature we calculated does not match"),
	    "a wrong signature is not");
}

static void
test_jq(void)
{
	struct cs_err err;
	struct jqprog *p;
	jv out;

	p = jqprog_compile(".ip", &err);
	ok(p != NULL, "compile .ip");
	ok(jqprog_first(p, jv_parse("{\"ip\":\"1.2.3.4\"}"), &out, &err) == 1 &&
	    strcmp(jv_string_value(out), "1.2.3.4") == 0, "run .ip");
	jv_free(out);
	ok(jqprog_first(p, jv_parse("[1]"), &out, &err) == -1, "a runtime error is reported");
	ok(strstr(err.msg, "Cannot index array") != NULL, "with jq's message: %s", err.msg);
	jqprog_free(p);
	p = jqprog_compile("empty", &err);
	ok(jqprog_first(p, jv_parse("{}"), &out, &err) == 0, "no output");
	jqprog_free(p);
	ok(jqprog_compile(".a | ", &err) == NULL, "a syntax error fails to compile");
	ok(strstr(err.msg, "invalid jq program '.a | '") != NULL, "naming the program: %s", err.msg);
	ok(jqprog_compile("@/nonexistent/prog.jq", &err) == NULL &&
	    strstr(err.msg, "cannot open '/nonexistent/prog.jq'") != NULL, "@FILE that is missing: %s", err.msg);
}

/* run FN in a child with stdout and stderr captured into OUT; its exit status */
static int
child(void (*fn)(void), struct buf *out)
{
	int fds[2], st = -1;
	char chunk[4096];
	ssize_t n;
	pid_t pid;

	buf_reset(out);
	buf_adds(out, "");
	fflush(stdout);
	if (pipe(fds))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		dup2(fds[1], STDERR_FILENO);
		close(fds[0]);
		close(fds[1]);
		fn();
		fflush(stdout);
		_exit(0);
	}
	close(fds[1]);
	while ((n = read(fds[0], chunk, sizeof chunk)) > 0)
		buf_add(out, chunk, (size_t)n);
	close(fds[0]);
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void warn_one(void) { errno = ENOENT; cs_warn("cannot open '%s'", "x.ndjson"); cs_warnx("%d records", 3); }
static void usage_one(void) { cs_usage_error("--rejects: the field '%s' is empty", "f"); }
static void die_one(void) { cs_die(CS_EXIT_INPUT, "cannot read '%s'", "y"); }
static void bad_timeout(void) { struct cs_opts o; cs_opts_init(&o); cs_opts_handle(&o, CS_OPT_TIMEOUT, "12x", "usage"); }
static void bad_endpoint(void) { struct cs_opts o; cs_opts_init(&o); cs_opts_handle(&o, CS_OPT_ENDPOINT_URL, "ftp://x", "usage"); }
static void help(void) { struct cs_opts o; cs_opts_init(&o); cs_opts_handle(&o, 'h', NULL, "usage: cs-test\n"); }

static int
has_opt(const struct option *o, const char *name)
{
	for (; o->name; o++)
		if (strcmp(o->name, name) == 0)
			return 1;
	return 0;
}

static void
test_msg_opts(void)
{
	static const struct option mine[] = { { "rejects", required_argument, NULL, CS_OPT_TOOL }, { NULL, 0, NULL, 0 } };
	struct option *lo;
	struct cs_opts o;
	struct buf out = BUF_INIT;

	cs_setprog("/usr/local/bin/cs-test");
	is_str(cs_prog(), "cs-test", "cs_setprog keeps the base name");
	is_int(child(warn_one, &out), 0, "cs_warn returns");
	is_str(out.data, "cs-test: cannot open 'x.ndjson': No such file or directory\ncs-test: 3 records\n",
	    "messages: 'prog: what: why', one line each");
	is_int(child(usage_one, &out), CS_EXIT_USAGE, "cs_usage_error exits with the usage code");
	is_str(out.data, "cs-test: --rejects: the field 'f' is empty\ntry 'cs-test --help'\n",
	    "and gives a hint");
	is_int(child(die_one, &out), CS_EXIT_INPUT, "cs_die exits with the status given");
	is_str(out.data, "cs-test: cannot read 'y'\n", "with one line");

	lo = cs_opts_longopts(mine, 1);
	ok(has_opt(lo, "rejects") && has_opt(lo, "region") && has_opt(lo, "profile") &&
	    has_opt(lo, "endpoint-url") && has_opt(lo, "verbose") && has_opt(lo, "quiet") &&
	    has_opt(lo, "version") && has_opt(lo, "help"), "longopts: the tool's and every shared one");
	free(lo);
	lo = cs_opts_longopts(mine, 0);
	ok(has_opt(lo, "rejects") && !has_opt(lo, "region") && !has_opt(lo, "endpoint-url") &&
	    has_opt(lo, "version"), "longopts: no AWS options for a tool that talks to none");
	free(lo);

	cs_opts_init(&o);
	ok(cs_opts_handle(&o, CS_OPT_REGION, "eu-west-1", "") == 1 && strcmp(o.region, "eu-west-1") == 0,
	    "--region is taken");
	ok(cs_opts_handle(&o, CS_OPT_ENDPOINT_URL, "http://127.0.0.1:4567", "") == 1 &&
	    strcmp(o.endpoint_url, "http://127.0.0.1:4567") == 0, "--endpoint-url is taken");
	ok(cs_opts_handle(&o, 'v', NULL, "") == 1 && cs_opts_handle(&o, 'v', NULL, "") == 1 && o.verbose == 2,
	    "-v counts");
	ok(cs_opts_handle(&o, CS_OPT_TIMEOUT, "1500", "") == 1 && o.timeout_ms == 1500, "--timeout MS");
	ok(cs_opts_handle(&o, CS_OPT_TOOL, "x", "") == 0, "a tool's own option is left to the tool");
	is_int(child(bad_timeout, &out), CS_EXIT_USAGE, "--timeout 12x is a usage error");
	ok(strstr(out.data, "cs-test: --timeout: '12x' is not a number") == out.data, "named, with the value");
	is_int(child(bad_endpoint, &out), CS_EXIT_USAGE, "--endpoint-url ftp://x is a usage error");
	is_int(child(help, &out), 0, "--help exits 0");
	is_str(out.data, "usage: cs-test\n", "with the usage on stdout");

	setenv("CS_TEST_VAR", "", 1);
	ok(cs_getenv("CS_TEST_VAR") == NULL, "cs_getenv: an empty variable is unset");
	setenv("CS_TEST_VAR", "x", 1);
	is_str(cs_getenv("CS_TEST_VAR"), "x", "cs_getenv: a set one is its value");
	unsetenv("CS_TEST_VAR");
	buf_free(&out);
}

int
main(void)
{
	test_buf();
	test_time();
	test_codecs();
	test_retry();
	test_jq();
	test_msg_opts();
	return done_testing();
}
