/* test-aws.c - the AWS client against kinesalite and against a scripted
 * loopback stub: retries of throttling, 500s and dropped connections, no
 * retry of client errors, the time budget, clock-skew correction; TLS
 * against a loopback HTTPS stub with a self-signed certificate
 * (AWS_CA_BUNDLE, verification always on); what -v prints (never a
 * secret). */
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "aws.h"
#include "http.h"
#include "msg.h"
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
client_err(const char *url, unsigned budget, struct cs_err *errp)
{
	struct aws_config o;
	struct cs_err err;
	struct aws_client *c;

	aws_config_init(&o);
	o.endpoint_url = url;
	o.region = "us-east-1";
	o.retry_budget_ms = budget;
	o.timeout_ms = 2000;
	c = aws_client_new(&o, "kinesis", &err);
	if (!c)
		printf("# %s\n", err.msg);
	if (errp)
		*errp = err;
	return c;
}

static struct aws_client *
client(const char *url, unsigned budget)
{
	return client_err(url, budget, NULL);
}

static int
call(const char *url, unsigned budget, struct buf *resp, struct cs_err *err, struct aws_stats *st)
{
	struct aws_client *c = client_err(url, budget, err);
	int rc;

	memset(st, 0, sizeof *st);
	if (!c)
		return -1;

	rc = aws_call(c, "ListStreams", "{}", 2, resp, err);
	*st = *aws_client_stats(c);
	aws_client_free(c);
	return rc;
}

/* a loopback HTTPS server answering every POST with 200 {} (python3 ssl) */
static const char tls_server[] =
    "import http.server, ssl, sys\n"
    "class H(http.server.BaseHTTPRequestHandler):\n"
    "    protocol_version = 'HTTP/1.1'\n"
    "    def log_message(self, *a): pass\n"
    "    def do_POST(self):\n"
    "        self.rfile.read(int(self.headers.get('Content-Length') or 0))\n"
    "        b = b'{\"StreamNames\":[]}'\n"
    "        self.send_response(200)\n"
    "        self.send_header('Content-Length', str(len(b)))\n"
    "        self.end_headers()\n"
    "        self.wfile.write(b)\n"
    "s = http.server.ThreadingHTTPServer(('127.0.0.1', 0), H)\n"
    "ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)\n"
    "ctx.load_cert_chain(sys.argv[1], sys.argv[2])\n"
    "s.socket = ctx.wrap_socket(s.socket, server_side=True)\n"
    "open(sys.argv[3] + '.tmp', 'w').write(str(s.server_address[1]))\n"
    "import os; os.rename(sys.argv[3] + '.tmp', sys.argv[3])\n"
    "s.serve_forever()\n";

/* a self-signed certificate DIR/NAME.pem (key DIR/NAME.key) for SAN; 0 on success */
static int
make_cert(const char *name, const char *san)
{
	char cmd[1024];

	snprintf(cmd, sizeof cmd,
	    "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
	    "-keyout %s/%s.key -out %s/%s.pem -days 2 -subj /CN=cs-test "
	    "-addext subjectAltName=%s >/dev/null 2>&1", dir, name, dir, name, san);
	return system(cmd);
}

/* start the HTTPS server with certificate NAME; its URL in URL */
static pid_t
tls_start(const char *name, char *url, size_t urlsz)
{
	char cert[256], key[256], port[256];
	pid_t pid;
	FILE *f;
	int i;

	snprintf(cert, sizeof cert, "%s/%s.pem", dir, name);
	snprintf(key, sizeof key, "%s/%s.key", dir, name);
	snprintf(port, sizeof port, "%s/%s.port", dir, name);
	unlink(port);
	pid = fork();
	if (pid == 0) {
		execlp("python3", "python3", "-c", tls_server, cert, key, port, (char *)NULL);
		_exit(127);
	}
	url[0] = '\0';
	for (i = 0; i < 100 && !url[0]; i++) {
		f = fopen(port, "r");
		if (f) {
			int p = 0;

			if (fscanf(f, "%d", &p) == 1)
				snprintf(url, urlsz, "https://127.0.0.1:%d", p);
			fclose(f);
		} else {
			usleep(50000);
		}
	}
	return pid;
}

static void
tls_stop(pid_t pid)
{
	if (pid > 0) {
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
	}
}

/* the whole of file PATH, NUL-terminated (at most 64 KiB) */
static char *
slurp(const char *path)
{
	static char text[65536];
	FILE *f = fopen(path, "r");
	size_t n = 0;

	if (f) {
		n = fread(text, 1, sizeof text - 1, f);
		fclose(f);
	}
	text[n] = '\0';
	return text;
}

static void
tls_tests(struct buf *resp)
{
	struct cs_err err;
	struct aws_stats st;
	char good[96], wrong[96], both[512], missing[300];
	pid_t pg, pw;
	uint64_t t0;

	if (make_cert("good", "IP:127.0.0.1") || make_cert("wrong", "DNS:wrong.invalid")) {
		ok(1, "tls # SKIP openssl cannot make a certificate");
		return;
	}
	pg = tls_start("good", good, sizeof good);
	pw = tls_start("wrong", wrong, sizeof wrong);
	ok(good[0] && wrong[0], "tls: two HTTPS stubs started (%s, %s)", good, wrong);

	unsetenv("AWS_CA_BUNDLE");
	t0 = cs_now_ms();
	ok(call(good, 20000, resp, &err, &st) == -1, "tls: a self-signed certificate is refused");
	ok(strstr(err.msg, "certificate") != NULL, "tls: saying why: %s", err.msg);
	is_int(st.requests, 1, "tls: at once: a retry cannot mend a certificate");
	printf("# tls: refused after %lu request(s), %llu ms\n", st.requests,
	    (unsigned long long)(cs_now_ms() - t0));

	snprintf(both, sizeof both, "%s/both.pem", dir);
	{
		char cmd[1024];

		snprintf(cmd, sizeof cmd, "cat %s/good.pem %s/wrong.pem >%s", dir, dir, both);
		if (system(cmd) != 0)
			printf("# cannot join the certificates\n");
	}
	setenv("AWS_CA_BUNDLE", both, 1);
	ok(call(good, 2000, resp, &err, &st) == 0, "tls: AWS_CA_BUNDLE naming the certificate: accepted");
	ok(strstr(resp->data, "StreamNames") != NULL, "tls: and the answer read: %s", resp->data);

	ok(call(wrong, 300, resp, &err, &st) == -1,
	    "tls: a trusted certificate for another host name is refused (host verification on)");
	ok(strstr(err.msg, "wrong.invalid") != NULL || strstr(err.msg, "certificate") != NULL ||
	    strstr(err.msg, "SSL") != NULL, "tls: saying why: %s", err.msg);

	snprintf(missing, sizeof missing, "%s/no-such-bundle.pem", dir);
	setenv("AWS_CA_BUNDLE", missing, 1);
	ok(call(good, 20000, resp, &err, &st) == -1, "tls: AWS_CA_BUNDLE naming a missing file fails");
	ok(strstr(err.msg, missing) != NULL, "tls: naming the file: %s", err.msg);
	is_int(st.requests, 0, "tls: before any request is sent");

	setenv("AWS_CA_BUNDLE", "", 1);
	ok(call(good, 300, resp, &err, &st) == -1, "tls: an empty AWS_CA_BUNDLE is unset: still verified");
	unsetenv("AWS_CA_BUNDLE");
	{
		/* the shared config file's ca_bundle, with no AWS_CA_BUNDLE */
		char conf[300];
		FILE *f;

		snprintf(conf, sizeof conf, "%s/ca.config", dir);
		f = fopen(conf, "w");
		if (f) {
			fprintf(f, "[default]\nca_bundle = %s\n", both);
			fclose(f);
		}
		setenv("AWS_CONFIG_FILE", conf, 1);
		ok(call(good, 2000, resp, &err, &st) == 0, "tls: the config's ca_bundle naming the certificate: accepted");
		ok(strstr(resp->data, "StreamNames") != NULL, "tls: and the answer read: %s", resp->data);
		unsetenv("AWS_CONFIG_FILE");
		ok(call(good, 300, resp, &err, &st) == -1, "tls: without it, refused again");
	}
	tls_stop(pg);
	tls_stop(pw);
}

/*
 * -v, with a session token: each request's method, URL, status and time on
 * stderr, on success and on every kind of failure, and never the
 * Authorization header, the secret key or the session token, neither there
 * nor in the errors.
 */
static void
verbose_tests(struct buf *resp)
{
	static const char *const scripts[] = {
		"[{\"status\":200,\"body\":{\"StreamNames\":[]}}]",
		"[{\"status\":400,\"body\":{\"__type\":\"ThrottlingException\",\"message\":\"slow\"}},{\"status\":200,\"body\":{}}]",
		"[{\"status\":403,\"body\":{\"__type\":\"UnrecognizedClientException\",\"message\":\"The security token included in the request is invalid.\"}}]",
		"[{\"status\":400,\"body\":{\"__type\":\"ValidationException\",\"message\":\"bad\"}}]",
		"[{\"status\":500,\"body\":\"oops\"}]",
		"[{\"drop\":true}]",
	};
	char path[256], errs[8192] = "", line[128];
	struct aws_client *c;
	struct aws_config o;
	struct cs_err err;
	const char *text;
	int saved, fd;
	size_t i;

	setenv("AWS_SESSION_TOKEN", "unitTestSessionTokenXYZ", 1);
	snprintf(path, sizeof path, "%s/verbose.err", dir);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fd, STDERR_FILENO);
	close(fd);
	for (i = 0; i < sizeof scripts / sizeof scripts[0]; i++) {
		stub_start(scripts[i]);
		aws_config_init(&o);
		o.endpoint_url = stub_url;
		o.region = "us-east-1";
		o.retry_budget_ms = 400;
		o.timeout_ms = 2000;
		o.verbose = 1;
		o.log.fn = cs_log_warn;	/* the trace as the tools print it */
		c = aws_client_new(&o, "kinesis", &err);
		if (!c)
			continue;
		cs_err_clear(&err);
		if (aws_call(c, "ListStreams", "{}", 2, resp, &err))
			snprintf(errs + strlen(errs), sizeof errs - strlen(errs), "%s\n", err.msg);
		if (i == 0)
			snprintf(line, sizeof line, "POST %s ", stub_url);
		aws_client_free(c);
	}
	/* and where nothing listens */
	aws_config_init(&o);
	o.endpoint_url = "http://127.0.0.1:1";
	o.region = "us-east-1";
	o.retry_budget_ms = 200;
	o.verbose = 1;
	o.log.fn = cs_log_warn;	/* the trace as the tools print it */
	c = aws_client_new(&o, "kinesis", &err);
	if (c) {
		if (aws_call(c, "ListStreams", "{}", 2, resp, &err))
			snprintf(errs + strlen(errs), sizeof errs - strlen(errs), "%s\n", err.msg);
		aws_client_free(c);
	}
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);

	text = slurp(path);
	ok(strstr(text, line) != NULL, "-v: method and URL (%s)", line);
	ok(strstr(text, "ListStreams -> 200 (") != NULL, "-v: the operation and the status");
	ok(strstr(text, " ms)") != NULL, "-v: the time taken");
	ok(strstr(text, "-> 400") && strstr(text, "-> 403") && strstr(text, "-> 500") && strstr(text, "-> 0"),
	    "-v: failures too (400, 403, 500, no answer)");
	ok(strstr(text, "(retry)") != NULL, "-v: retries marked");
	ok(strstr(text, "unitTestSecretKey") == NULL && strstr(errs, "unitTestSecretKey") == NULL,
	    "-v: never the secret key");
	ok(strstr(text, "unitTestSessionTokenXYZ") == NULL && strstr(errs, "unitTestSessionTokenXYZ") == NULL,
	    "-v: never the session token");
	ok(strstr(text, "Authorization") == NULL && strstr(text, "AWS4-HMAC-SHA256") == NULL &&
	    strstr(text, "Signature=") == NULL && strstr(errs, "Signature=") == NULL,
	    "-v: never the Authorization header");
	ok(strstr(text, "X-Amz-Security-Token") == NULL && strstr(text, "x-amz-security-token") == NULL,
	    "-v: never the token header");
	{
		/* the token was sent, so the test would have seen it if printed */
		char lp[256];

		snprintf(lp, sizeof lp, "%s/log", dir);
		ok(strstr(slurp(lp), "unitTestSessionTokenXYZ") != NULL, "-v: the session token was in the requests");
	}
	if (tap_failed)
		printf("# what -v printed:\n%s# the errors:\n%s", text, errs);
	unsetenv("AWS_SESSION_TOKEN");
}

/* a loopback port whose accept queue is full: a connect there hangs (Linux drops the SYNs) */
static const char full_backlog[] =
    "import socket, sys, time, os\n"
    "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(0)\n"
    "port = s.getsockname()[1]; held = []\n"
    "for i in range(8):\n"
    "    c = socket.socket(); c.setblocking(False)\n"
    "    try: c.connect(('127.0.0.1', port))\n"
    "    except BlockingIOError: pass\n"
    "    held.append(c)\n"
    "time.sleep(0.2)\n"
    "open(sys.argv[1] + '.tmp', 'w').write(str(port)); os.rename(sys.argv[1] + '.tmp', sys.argv[1])\n"
    "time.sleep(60)\n";

static void
count_done(void *ctx, const struct aws_result *r)
{
	int *n = ctx;

	if (r->ok)
		(*n)++;
}

/* the whole-request timeout, and several requests in flight at once (curl multi) */
static void
http_tests(struct buf *resp)
{
	struct aws_client *c;
	struct aws_config o;
	struct cs_err err;
	struct aws_stats st;
	uint64_t t0, el;
	int done = 0, i, left;

	stub_start("[{\"status\":200,\"delay_ms\":3000,\"body\":{}}]");
	aws_config_init(&o);
	o.endpoint_url = stub_url;
	o.region = "us-east-1";
	o.retry_budget_ms = 1;
	o.timeout_ms = 300;
	c = aws_client_new(&o, "kinesis", &err);
	t0 = cs_now_ms();
	ok(c && aws_call(c, "ListStreams", "{}", 2, resp, &err) == -1, "timeout: a slow answer fails");
	el = cs_now_ms() - t0;
	ok(el < 2000, "timeout: after about the timeout, not the answer's 3 s (%llu ms)", (unsigned long long)el);
	ok(strstr(err.msg, "imed out") != NULL, "timeout: saying so: %s", err.msg);
	aws_client_free(c);

	{
		/* the connect timeout, apart from the whole-request one */
		char port[256], url[64] = "";
		pid_t pid;
		FILE *f;

		snprintf(port, sizeof port, "%s/backlog.port", dir);
		pid = fork();
		if (pid == 0) {
			execlp("python3", "python3", "-c", full_backlog, port, (char *)NULL);
			_exit(127);
		}
		for (i = 0; i < 100 && !url[0]; i++) {
			int p = 0;

			if ((f = fopen(port, "r"))) {
				if (fscanf(f, "%d", &p) == 1)
					snprintf(url, sizeof url, "http://127.0.0.1:%d", p);
				fclose(f);
			} else {
				usleep(50000);
			}
		}
		o.endpoint_url = url;
		o.connect_timeout_ms = 300;
		o.timeout_ms = 10000;
		c = aws_client_new(&o, "kinesis", &err);
		t0 = cs_now_ms();
		ok(c && aws_call(c, "ListStreams", "{}", 2, resp, &err) == -1, "connect timeout: a connect that hangs fails");
		el = cs_now_ms() - t0;
		ok(el < 2000, "connect timeout: after the connect timeout, not the request's 10 s (%llu ms)",
		    (unsigned long long)el);
		ok(strstr(err.msg, "onnect") != NULL, "connect timeout: saying so: %s", err.msg);
		aws_client_free(c);
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
		o.endpoint_url = stub_url;
		o.connect_timeout_ms = 0;
	}

	stub_start("[{\"status\":200,\"delay_ms\":600,\"body\":{}}]");
	o.retry_budget_ms = 5000;
	o.timeout_ms = 5000;
	c = aws_client_new(&o, "kinesis", &err);
	t0 = cs_now_ms();
	for (i = 0; i < 4; i++)
		aws_submit(c, "ListStreams", "{}", 2, count_done, &done);
	for (i = 0; i < 200 && (left = aws_run(c, 100, -1)) > 0; i++)
		;
	el = cs_now_ms() - t0;
	st = *aws_client_stats(c);
	aws_client_free(c);
	is_int(done, 4, "in flight: four requests answered");
	is_int(st.requests, 4, "in flight: each sent once");
	ok(el < 1800, "in flight: together, not one after the other (%llu ms for 4 x 600 ms)",
	    (unsigned long long)el);
	is_int(log_lines(), 4, "in flight: the stub saw four");
}

/* how many lines of the stub's log hold NEEDLE */
static int
log_count(const char *needle)
{
	char path[256], line[65536];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof path, "%s/log", dir);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof line, f))
		if (strstr(line, needle))
			n++;
	if (f)
		fclose(f);
	return n;
}

/*
 * Temporary credentials over a client's life: a credential_process whose
 * answers expire within the refresh window is asked again before each
 * request, and an ExpiredTokenException makes the client read them again
 * and send once more.
 */
static void
refresh_tests(struct buf *resp)
{
	char conf[256], script[256], text[1024];
	struct aws_client *c;
	struct cs_err err;
	struct aws_stats st;
	FILE *f;

	snprintf(script, sizeof script, "%s/creds.sh", dir);
	f = fopen(script, "w");
	fprintf(f, "#!/bin/sh\n"
	    "n=$(cat %s/creds.count 2>/dev/null || echo 0); n=$((n + 1)); echo $n >%s/creds.count\n"
	    "exp=$(date -u -d \"+$1 seconds\" +%%Y-%%m-%%dT%%H:%%M:%%SZ)\n"
	    "printf '{\"Version\":1,\"AccessKeyId\":\"AKIDPROC%%d\",\"SecretAccessKey\":\"procSecret\","
	    "\"SessionToken\":\"procToken\",\"Expiration\":\"%%s\"}\\n' $n $exp\n", dir, dir);
	fclose(f);
	chmod(script, 0700);
	snprintf(conf, sizeof conf, "%s/config", dir);
	f = fopen(conf, "w");
	fprintf(f, "[default]\ncredential_process = %s 60\n[profile hour]\ncredential_process = %s 3600\n",
	    script, script);
	fclose(f);
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	setenv("AWS_CONFIG_FILE", conf, 1);
	snprintf(text, sizeof text, "%s/no-credentials", dir);
	setenv("AWS_SHARED_CREDENTIALS_FILE", text, 1);

	stub_start("[{\"status\":200,\"body\":{}}]");
	c = client(stub_url, 5000);
	ok(c && aws_call(c, "ListStreams", "{}", 2, resp, &err) == 0 &&
	    aws_call(c, "ListStreams", "{}", 2, resp, &err) == 0, "refresh: two calls on one client");
	aws_client_free(c);
	ok(log_count("Credential=AKIDPROC1/") == 1 && log_count("Credential=AKIDPROC2/") == 1,
	    "refresh: credentials expiring within minutes are fetched again for the next request");

	{
		struct aws_config o;

		stub_start("[{\"status\":400,\"body\":{\"__type\":\"ExpiredTokenException\",\"message\":\"The security token included in the request is expired\"}},"
		    "{\"status\":200,\"body\":{}}]");
		aws_config_init(&o);
		o.endpoint_url = stub_url;
		o.region = "us-east-1";
		o.profile = "hour";
		o.retry_budget_ms = 5000;
		c = aws_client_new(&o, "kinesis", &err);
		ok(c && aws_call(c, "ListStreams", "{}", 2, resp, &err) == 0,
		    "refresh: ExpiredTokenException makes the client read its credentials again");
		st = *aws_client_stats(c);
		aws_client_free(c);
		is_int(st.requests, 2, "refresh: and send once more");
		ok(log_count("Credential=AKIDPROC3/") == 1 && log_count("Credential=AKIDPROC4/") == 1,
		    "refresh: the second request signed with the new credentials");
	}

	unsetenv("AWS_CONFIG_FILE");
	unsetenv("AWS_SHARED_CREDENTIALS_FILE");
	setenv("AWS_ACCESS_KEY_ID", "AKIDUNITTEST", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "unitTestSecretKey", 1);
}

/* the client takes region and endpoint as awsconf resolves them, and signs for that region */
static void
resolve_tests(struct buf *resp)
{
	struct aws_client *c;
	struct aws_config o;
	struct cs_err err;

	stub_start("[{\"status\":200,\"body\":{}}]");
	setenv("AWS_REGION", "eu-west-3", 1);
	setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1", 1);
	setenv("AWS_ENDPOINT_URL_KINESIS", stub_url, 1);
	aws_config_init(&o);
	o.retry_budget_ms = 2000;
	c = aws_client_new(&o, "kinesis", &err);
	ok(c && strcmp(aws_client_region(c), "eu-west-3") == 0, "resolve: AWS_REGION");
	ok(c && strcmp(aws_client_endpoint(c), stub_url) == 0,
	    "resolve: AWS_ENDPOINT_URL_KINESIS beats AWS_ENDPOINT_URL");
	ok(c && aws_call(c, "ListStreams", "{}", 2, resp, &err) == 0 &&
	    log_count("/eu-west-3/kinesis/aws4_request") == 1, "resolve: signed for eu-west-3 and kinesis");
	aws_client_free(c);
	o.region = "ap-south-1";
	o.endpoint_url = "http://127.0.0.1:2";
	c = aws_client_new(&o, "kinesis", &err);
	ok(c && strcmp(aws_client_region(c), "ap-south-1") == 0 &&
	    strcmp(aws_client_endpoint(c), "http://127.0.0.1:2") == 0, "resolve: --region and --endpoint-url first");
	aws_client_free(c);
	unsetenv("AWS_ENDPOINT_URL");
	unsetenv("AWS_ENDPOINT_URL_KINESIS");
	o.endpoint_url = NULL;
	c = aws_client_new(&o, "dynamodb", &err);
	ok(c && strcmp(aws_client_endpoint(c), "https://dynamodb.ap-south-1.amazonaws.com") == 0,
	    "resolve: else the regional endpoint");
	aws_client_free(c);
	unsetenv("AWS_REGION");
	aws_config_init(&o);
	setenv("AWS_CONFIG_FILE", "/nonexistent/config", 1);
	setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials", 1);
	c = aws_client_new(&o, "kinesis", &err);
	ok(c == NULL && strstr(err.msg, "no AWS region") != NULL, "resolve: no region is an error: %s", err.msg);
	unsetenv("AWS_CONFIG_FILE");
	unsetenv("AWS_SHARED_CREDENTIALS_FILE");
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
		{
			/* the second request is signed with the service's clock, an hour ahead */
			char path[256], line[65536], *d = NULL;
			struct tm t2;
			FILE *f;
			int n = 0;
			long off = 0;

			snprintf(path, sizeof path, "%s/log", dir);
			f = fopen(path, "r");
			while (f && fgets(line, sizeof line, f) && ++n < 2)
				;
			if (f)
				fclose(f);
			if (n == 2)
				d = strstr(line, "\"X-Amz-Date\": \"");
			memset(&t2, 0, sizeof t2);
			if (d && strptime(d + 15, "%Y%m%dT%H%M%SZ", &t2))
				off = (long)(timegm(&t2) - time(NULL));
			ok(off > 3600 - 120 && off < 3600 + 120, "and re-signed with the service's time (%ld s ahead)", off);
		}
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

	{
		/* URLs in messages: any user:password of the authority left out */
		static const char *const urls[][2] = {
			{ "http://u:pw@127.0.0.1:9/x@y", "http://127.0.0.1:9/x@y" },
			{ "https://pw@h.example", "https://h.example" },
			{ "http://127.0.0.1:9/a@b", "http://127.0.0.1:9/a@b" },
			{ "h.example", "h.example" },
			{ "https://u:p@ss@h.example/x", "https://h.example/x" },
			{ "http://u:pw@h.example?q=a@b", "http://h.example?q=a@b" },
		};
		size_t i;

		for (i = 0; i < sizeof urls / sizeof urls[0]; i++) {
			struct buf b = BUF_INIT;

			http_url_shown(urls[i][0], &b);
			is_str(b.data, urls[i][1], "shown: %s", urls[i][0]);
			buf_free(&b);
		}
	}

	http_tests(&resp);
	refresh_tests(&resp);
	resolve_tests(&resp);
	tls_tests(&resp);
	verbose_tests(&resp);

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
