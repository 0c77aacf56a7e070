/* test-aws.c - the AWS client against kinesalite and against a scripted
 * loopback stub: retries of throttling, 500s and dropped connections, no
 * retry of client errors, the time budget, clock-skew correction. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "aws.h"
#include "tap.h"

static char dir[] = "/tmp/cs-test-aws.XXXXXX";
static pid_t stub_pid;
static char stub_url[64];

static void
stub_stop(void)
{
	if (stub_pid > 0) {
		kill(stub_pid, SIGTERM);
		waitpid(stub_pid, NULL, 0);
		stub_pid = 0;
	}
}

/* start tests/stubs/scripted.py with SCRIPT (JSON); a fresh log each time */
static void
stub_start(const char *script)
{
	char path[256], port[32] = "", log[256];
	FILE *f;
	int i;

	stub_stop();
	snprintf(path, sizeof path, "%s/script.json", dir);
	f = fopen(path, "w");
	fputs(script, f);
	fclose(f);
	snprintf(log, sizeof log, "%s/log", dir);
	unlink(log);
	snprintf(port, sizeof port, "%s/port", dir);
	unlink(port);
	stub_pid = fork();
	if (stub_pid == 0) {
		execlp("python3", "python3", SRCDIR "/tests/stubs/scripted.py", path, port, log, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 100; i++) {
		f = fopen(port, "r");
		if (f) {
			int p = 0;

			if (fscanf(f, "%d", &p) == 1)
				snprintf(stub_url, sizeof stub_url, "http://127.0.0.1:%d", p);
			fclose(f);
			return;
		}
		usleep(50000);
	}
}

static int
log_lines(void)
{
	char path[256], line[65536];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof path, "%s/log", dir);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof line, f))
		n++;
	fclose(f);
	return n;
}

static struct aws_client *
client(const char *url, unsigned budget)
{
	struct cs_opts o;
	struct cs_err err;
	struct aws_client *c;

	cs_opts_init(&o);
	o.endpoint_url = url;
	o.region = "us-east-1";
	o.retry_budget_ms = budget;
	o.timeout_ms = 2000;
	c = aws_client_new(&o, "kinesis", &err);
	if (!c)
		printf("# %s\n", err.msg);
	return c;
}

static int
call(const char *url, unsigned budget, struct buf *resp, struct cs_err *err, struct aws_stats *st)
{
	struct aws_client *c = client(url, budget);
	int rc;

	rc = aws_call(c, "ListStreams", "{}", 2, resp, err);
	*st = *aws_client_stats(c);
	aws_client_free(c);
	return rc;
}

int
main(void)
{
	const char *kin = getenv("CS_KINESIS_ENDPOINT");
	struct buf resp = BUF_INIT;
	struct cs_err err;
	struct aws_stats st;
	uint64_t t0;

	setenv("AWS_ACCESS_KEY_ID", "AKIDUNITTEST", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "unitTestSecretKey", 1);
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	if (!mkdtemp(dir))
		return 1;

	if (kin) {
		ok(call(kin, 5000, &resp, &err, &st) == 0, "ListStreams on kinesalite");
		ok(strstr(resp.data, "StreamNames") != NULL, "the answer is the service's: %s", resp.data);
	} else {
		ok(1, "kinesalite # SKIP CS_KINESIS_ENDPOINT not set");
		ok(1, "kinesalite # SKIP CS_KINESIS_ENDPOINT not set");
	}

	/* the drop comes first, on a fresh connection, which curl itself never retries */
	stub_start("[{\"drop\":true},{\"status\":400,\"body\":{\"__type\":\"ProvisionedThroughputExceededException\",\"message\":\"slow down\"}},"
	    "{\"status\":500,\"body\":\"oops\"},{\"status\":200,\"body\":{\"StreamNames\":[]}}]");
	ok(call(stub_url, 20000, &resp, &err, &st) == 0, "dropped connection, throttle, 500, then success");
	is_int(st.requests, 4, "four requests sent");
	is_int(st.retries, 3, "three of them retries");
	is_int(st.throttled, 1, "one throttled");
	is_int(log_lines(), 4, "the stub saw four requests");

	stub_start("[{\"status\":400,\"body\":{\"__type\":\"com.amazon.coral.validate#ValidationException\",\"message\":\"1 validation error\"}}]");
	ok(call(stub_url, 20000, &resp, &err, &st) == -1, "a client error fails");
	is_str(err.code, "ValidationException", "with the service's code");
	is_str(err.msg, "ValidationException: 1 validation error", "and message");
	is_int(st.requests, 1, "and is not retried");

	stub_start("[{\"status\":403,\"body\":{\"__type\":\"AccessDeniedException\",\"Message\":\"no\"}}]");
	ok(call(stub_url, 20000, &resp, &err, &st) == -1 && st.requests == 1, "access denied is not retried");
	is_str(err.code, "AccessDeniedException", "Message with a capital M is read too");

	stub_start("[{\"status\":503,\"body\":\"\"}]");
	t0 = cs_now_ms();
	ok(call(stub_url, 600, &resp, &err, &st) == -1, "always 503: fails within the budget");
	ok(cs_now_ms() - t0 < 3000, "in about the budget's time (%llu ms)", (unsigned long long)(cs_now_ms() - t0));
	ok(st.requests > 1, "after several attempts (%lu)", st.requests);
	ok(strstr(err.msg, "gave up after") != NULL, "saying it gave up: %s", err.msg);

	{
		/* the service's clock is an hour ahead: adopt it and sign again */
		char script[512], date[64];
		time_t ahead = time(NULL) + 3600;
		struct tm tm;

		gmtime_r(&ahead, &tm);
		strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
		snprintf(script, sizeof script,
		    "[{\"status\":400,\"headers\":{\"Date\":\"%s\"},\"body\":{\"__type\":\"InvalidSignatureException\","
		    "\"message\":\"Signature expired: 20260101T000000Z is now earlier than ...\"}},"
		    "{\"status\":200,\"body\":{}}]", date);
		stub_start(script);
		ok(call(stub_url, 20000, &resp, &err, &st) == 0, "clock skew corrected once");
		is_int(st.requests, 2, "with one more request");
	}

	stub_start("[{\"status\":400,\"body\":{\"__type\":\"InvalidSignatureException\",\"message\":\"Signature expired: x\"}}]");
	ok(call(stub_url, 20000, &resp, &err, &st) == -1 && st.requests == 2,
	    "a skew that does not go away is not retried forever (%lu requests)", st.requests);

	ok(call("http://127.0.0.1:1", 300, &resp, &err, &st) == -1, "nothing listening fails");
	is_str(err.code, "NetworkError", "as a network error");
	ok(strstr(err.msg, "cannot reach http://127.0.0.1:1") != NULL, "naming the endpoint: %s", err.msg);

	{
		/* keep-alive: three calls on one client come over one connection */
		struct aws_client *c;
		char path[256], line[65536];
		FILE *f;
		int ports[3] = { 0 }, n = 0, i;

		stub_start("[{\"status\":200,\"body\":{}}]");
		c = client(stub_url, 5000);
		for (i = 0; i < 3; i++)
			aws_call(c, "ListStreams", "{}", 2, &resp, &err);
		aws_client_free(c);
		snprintf(path, sizeof path, "%s/log", dir);
		f = fopen(path, "r");
		while (f && n < 3 && fgets(line, sizeof line, f)) {
			char *p = strstr(line, "\"peer\": ");

			ports[n++] = p ? atoi(p + 8) : -1;
		}
		if (f)
			fclose(f);
		ok(n == 3 && ports[0] > 0 && ports[0] == ports[1] && ports[1] == ports[2],
		    "one connection reused for three requests (%d %d %d)", ports[0], ports[1], ports[2]);
		ok(strstr(line, "\"Authorization\": \"AWS4-HMAC-SHA256 Credential=AKIDUNITTEST/") != NULL,
		    "requests are signed");
		ok(strstr(line, "unitTestSecretKey") == NULL, "the secret key is never sent");
	}

	stub_stop();
	buf_free(&resp);
	{
		char cmd[300];

		snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
		if (system(cmd) != 0)
			return 1;
	}
	return done_testing();
}
