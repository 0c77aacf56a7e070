/*
 * creds.c - AWS credentials, in the order the AWS SDKs look for them
 * (see creds.h): environment, shared files (credential_process included),
 * container credentials, EC2 instance metadata (IMDSv2).
 *
 * Each source is one function that answers 1 (credentials found), 0 (not
 * configured or not there: a note for the "tried" list) or -1 (configured
 * but broken: an error naming the source).  Credentials with an expiry
 * are fetched again from the same source when they expire within five
 * minutes.  No secret key, session token or answer body that may hold
 * them ever goes into a message.
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "awsconf.h"
#include "creds.h"
#include "http.h"
#include "json.h"

extern char **environ;

#define REFRESH_BEFORE_MS (5 * 60 * 1000)
#define IMDS_TIMEOUT_MS 1000
#define CONTAINER_TIMEOUT_MS 2000
#define PROCESS_MAX_OUTPUT (64 * 1024)
#define PROCESS_TIMEOUT_MS (2 * 60 * 1000) /* it may ask for an MFA code on the terminal */
#define IMDS_DEFAULT "http://169.254.169.254"
#define CONTAINER_HOST "http://169.254.170.2"

enum source {
	SRC_NONE,
	SRC_ENV,
	SRC_PROFILE,     /* static keys or credential_process */
	SRC_CONTAINER,
	SRC_IMDS,
};

struct creds_provider {
	char *profile;          /* --profile, or NULL */
	struct aws_creds cur;
	int have;
	enum source src;        /* the source that gave cur */
};

typedef int (*source_fn)(struct creds_provider *p, struct aws_creds *out, struct buf *tried,
    struct cs_err *err);

static int64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
wipe_free(char *s)
{
	if (s) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

static void
buf_wipe_free(struct buf *b)
{
	if (b->data)
		OPENSSL_cleanse(b->data, b->cap);
	buf_free(b);
}

/* an HTTP answer that may hold credentials */
static void
response_wipe_free(struct http_response *r)
{
	buf_wipe_free(&r->body);
	http_response_free(r);
}

void
aws_creds_clear(struct aws_creds *c)
{
	wipe_free(c->access_key);
	wipe_free(c->secret_key);
	wipe_free(c->session_token);
	memset(c, 0, sizeof *c);
}

static void
tried_add(struct buf *tried, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* one more entry of the "tried" list */
static void
tried_add(struct buf *tried, const char *fmt, ...)
{
	va_list ap;

	if (tried->len)
		buf_adds(tried, ", ");
	va_start(ap, fmt);
	buf_vprintf(tried, fmt, ap);
	va_end(ap);
}

static void
set_creds(struct aws_creds *c, const char *ak, const char *sk, const char *tok, int64_t exp,
    const char *source)
{
	c->access_key = cs_strdup(ak);
	c->secret_key = cs_strdup(sk);
	c->session_token = tok && *tok ? cs_strdup(tok) : NULL;
	c->expires_ms = exp;
	snprintf(c->source, sizeof c->source, "%s", source);
}

/*
 * Credentials from a JSON answer (credential_process, container, IMDS):
 * names of the key fields differ (SessionToken or Token).  WHAT names the
 * source for messages.  0, or -1 with err (never quoting the answer).
 */
static int
creds_from_json(const char *text, size_t len, int process, struct aws_creds *out,
    const char *source, const char *what, struct cs_err *err)
{
	struct json_doc d;
	struct buf ak = BUF_INIT, sk = BUF_INIT, tok = BUF_INIT, exps = BUF_INIT;
	const char *tokkey = process ? "SessionToken" : "Token";
	int t_ak, t_sk, t_tok, t_exp, t, rc = -1;
	int64_t exp = 0;

	json_doc_init(&d, 32);
	if (json_parse(&d, text, len) < 0 || d.ntok == 0 || d.tok[0].type != JSON_OBJECT) {
		cs_err_set(err, "%s: the answer is not a JSON object", what);
		goto out;
	}
	if (process) {
		t = json_obj_get(&d, 0, "Version", 7);
		if (t < 0 || d.tok[t].type != JSON_NUMBER || d.tok[t].len != 1 ||
		    text[d.tok[t].start] != '1') {
			cs_err_set(err, "%s: the answer has no \"Version\": 1", what);
			goto out;
		}
	} else {
		t = json_obj_get(&d, 0, "Code", 4);
		if (t >= 0 && !(d.tok[t].type == JSON_STRING && json_str_eq(&d, t, "Success", 7))) {
			cs_err_set(err, "%s: the answer's Code is not \"Success\"", what);
			goto out;
		}
	}
	t_ak = json_obj_get(&d, 0, "AccessKeyId", 11);
	t_sk = json_obj_get(&d, 0, "SecretAccessKey", 15);
	t_tok = json_obj_get(&d, 0, tokkey, strlen(tokkey));
	t_exp = json_obj_get(&d, 0, "Expiration", 10);
	if (t_ak < 0 || d.tok[t_ak].type != JSON_STRING || d.tok[t_ak].len == 0) {
		cs_err_set(err, "%s: the answer has no AccessKeyId", what);
		goto out;
	}
	if (t_sk < 0 || d.tok[t_sk].type != JSON_STRING || d.tok[t_sk].len == 0) {
		cs_err_set(err, "%s: the answer has no SecretAccessKey", what);
		goto out;
	}
	if (t_tok >= 0 && d.tok[t_tok].type != JSON_STRING && d.tok[t_tok].type != JSON_NULL) {
		cs_err_set(err, "%s: the answer's %s is not a string", what, tokkey);
		goto out;
	}
	if (t_exp >= 0 && d.tok[t_exp].type == JSON_STRING) {
		json_str_decode(&d, t_exp, &exps);
		if (cs_parse_rfc3339(exps.data ? exps.data : "", exps.len, &exp) < 0 || exp <= 0) {
			cs_err_set(err, "%s: the answer's Expiration is not an RFC 3339 time", what);
			goto out;
		}
	} else if (t_exp >= 0 && d.tok[t_exp].type != JSON_NULL) {
		cs_err_set(err, "%s: the answer's Expiration is not a string", what);
		goto out;
	}
	json_str_decode(&d, t_ak, &ak);
	json_str_decode(&d, t_sk, &sk);
	if (t_tok >= 0 && d.tok[t_tok].type == JSON_STRING)
		json_str_decode(&d, t_tok, &tok);
	if (strlen(ak.data) != ak.len || strlen(sk.data) != sk.len ||
	    (tok.data && strlen(tok.data) != tok.len)) {
		cs_err_set(err, "%s: the answer's credentials hold a NUL character", what);
		goto out;
	}
	set_creds(out, ak.data, sk.data, tok.data, exp, source);
	rc = 0;
out:
	buf_wipe_free(&ak);
	buf_wipe_free(&sk);
	buf_wipe_free(&tok);
	buf_free(&exps);
	json_doc_free(&d);
	return rc;
}

/* --- 1. the environment ------------------------------------------------- */

static int
from_env(struct creds_provider *p, struct aws_creds *out, struct buf *tried, struct cs_err *err)
{
	const char *ak = cs_getenv("AWS_ACCESS_KEY_ID");
	const char *sk = cs_getenv("AWS_SECRET_ACCESS_KEY");

	(void)p;
	if (!ak && !sk) {
		tried_add(tried, "environment (AWS_ACCESS_KEY_ID)");
		return 0;
	}
	if (!ak || !sk) {
		cs_err_set(err, "AWS credentials in the environment: %s is set but %s is not",
		    ak ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
		    ak ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
		return -1;
	}
	set_creds(out, ak, sk, cs_getenv("AWS_SESSION_TOKEN"), 0, "environment");
	return 1;
}

/* --- 2. the shared files and credential_process -------------------------- */

/*
 * Run COMMAND with sh -c, its stdout into OUT (at most
 * PROCESS_MAX_OUTPUT bytes), stdin from /dev/null (stdin may be the
 * tool's data), stderr shared with us.  Killed after PROCESS_TIMEOUT_MS.
 * 0 when it exited 0; else -1 with WHY saying how it ended.
 */
static int
run_process(const char *command, struct buf *out, char *why, size_t whylen)
{
	posix_spawn_file_actions_t fa;
	char *argv[4];
	int fds[2], status, rc = -1, toobig = 0, timedout = 0;
	uint64_t deadline = cs_now_ms() + PROCESS_TIMEOUT_MS;
	pid_t pid;
	char chunk[4096];
	ssize_t n;

	if (pipe2(fds, O_CLOEXEC) < 0) {
		snprintf(why, whylen, "cannot make a pipe: %s", strerror(errno));
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	argv[0] = (char *)"sh";
	argv[1] = (char *)"-c";
	argv[2] = (char *)command;
	argv[3] = NULL;
	errno = posix_spawn(&pid, "/bin/sh", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (errno) {
		snprintf(why, whylen, "cannot run /bin/sh: %s", strerror(errno));
		close(fds[0]);
		return -1;
	}
	for (;;) {
		struct pollfd pfd = { fds[0], POLLIN, 0 };
		uint64_t now = cs_now_ms();
		int pr;

		if (now >= deadline) {
			timedout = 1;
			kill(pid, SIGKILL);
			break;
		}
		pr = poll(&pfd, 1, (int)(deadline - now));
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr == 0)
			continue; /* the deadline check above ends it */
		n = read(fds[0], chunk, sizeof chunk);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break;
		if (out->len + (size_t)n > PROCESS_MAX_OUTPUT)
			toobig = 1;
		else
			buf_add(out, chunk, (size_t)n);
	}
	OPENSSL_cleanse(chunk, sizeof chunk);
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			snprintf(why, whylen, "cannot wait for it: %s", strerror(errno));
			return -1;
		}
	}
	if (timedout)
		snprintf(why, whylen, "no answer within %d seconds", PROCESS_TIMEOUT_MS / 1000);
	else if (WIFSIGNALED(status))
		snprintf(why, whylen, "killed by signal %d", WTERMSIG(status));
	else if (WEXITSTATUS(status) != 0)
		snprintf(why, whylen, "exit status %d", WEXITSTATUS(status));
	else if (toobig)
		snprintf(why, whylen, "its answer is larger than %d bytes", PROCESS_MAX_OUTPUT);
	else
		rc = 0;
	return rc;
}

static int
credential_process(const char *profile, const char *command, const char *file,
    struct aws_creds *out, struct cs_err *err)
{
	struct buf answer = BUF_INIT, what = BUF_INIT, source = BUF_INIT;
	char why[128];
	int rc = -1;

	buf_printf(&what, "credential_process of profile '%s' in '%s'", profile, file);
	buf_printf(&source, "profile %s (credential_process)", profile);
	if (run_process(command, &answer, why, sizeof why) < 0) {
		/* its output may hold secrets: it is not quoted */
		cs_err_set(err, "%s failed: %s", what.data, why);
		goto out;
	}
	if (creds_from_json(answer.data ? answer.data : "", answer.len, 1, out, source.data,
	    what.data, err) < 0)
		goto out;
	rc = 1;
out:
	buf_wipe_free(&answer);
	buf_free(&what);
	buf_free(&source);
	return rc;
}

/* the file that holds KEY for PROFILE, for messages */
static const char *
file_of(const struct awsconf *c, const char *profile, const char *key)
{
	return ini_get(&c->cred, profile, key) ? c->cred_path : c->conf_path;
}

static int
from_profile(struct creds_provider *p, struct aws_creds *out, struct buf *tried,
    struct cs_err *err)
{
	static const char *unsupported[] = {
		"role_arn", "web_identity_token_file", "sso_session", "sso_start_url",
	};
	const char *name = awsconf_profile_name(p->profile);
	int named = (p->profile && *p->profile) || cs_getenv("AWS_PROFILE");
	const char *ak, *sk, *cp;
	struct awsconf c;
	struct buf source = BUF_INIT;
	struct cs_err ferr;
	size_t i;
	int rc = 0;

	if (awsconf_load(&c, &ferr) < 0) {
		cs_err_set(err, "AWS credentials of profile '%s': %s", name, ferr.msg);
		rc = -1;
		goto out;
	}
	if (!awsconf_has_profile(&c, name)) {
		if (named) {
			cs_err_set(err, "AWS profile '%s' not found in '%s' or '%s'", name,
			    c.cred_path, c.conf_path);
			rc = -1;
		} else {
			tried_add(tried, "profile '%s' in %s and %s", name, c.cred_path, c.conf_path);
		}
		goto out;
	}
	ak = awsconf_value(&c, name, "aws_access_key_id");
	sk = awsconf_value(&c, name, "aws_secret_access_key");
	if ((ak && *ak) || (sk && *sk)) {
		if (!ak || !*ak || !sk || !*sk) {
			cs_err_set(err, "AWS profile '%s' in '%s' has %s but no %s", name,
			    file_of(&c, name, ak && *ak ? "aws_access_key_id" : "aws_secret_access_key"),
			    ak && *ak ? "aws_access_key_id" : "aws_secret_access_key",
			    ak && *ak ? "aws_secret_access_key" : "aws_access_key_id");
			rc = -1;
			goto out;
		}
		buf_printf(&source, "profile %s", name);
		set_creds(out, ak, sk, awsconf_value(&c, name, "aws_session_token"), 0, source.data);
		rc = 1;
		goto out;
	}
	cp = awsconf_value(&c, name, "credential_process");
	if (cp && *cp) {
		rc = credential_process(name, cp, file_of(&c, name, "credential_process"), out, err);
		goto out;
	}
	for (i = 0; i < sizeof unsupported / sizeof unsupported[0]; i++) {
		if (awsconf_value(&c, name, unsupported[i])) {
			cs_err_set(err, "AWS profile '%s' in '%s' uses %s, which cs does not support "
			    "(give it credential_process instead)", name,
			    file_of(&c, name, unsupported[i]), unsupported[i]);
			rc = -1;
			goto out;
		}
	}
	tried_add(tried, "profile '%s' in %s and %s (no credentials in it)", name, c.cred_path,
	    c.conf_path);
out:
	buf_free(&source);
	awsconf_free(&c);
	return rc;
}

/* --- 3. container credentials (ECS, EKS) --------------------------------- */

/* FULL_URI must be https, or http to a loopback or container address (as the SDKs require) */
static int
full_uri_allowed(const char *url)
{
	static const char *hosts[] = {
		"127.", "localhost", "[::1]", "169.254.170.2", "169.254.170.23", "[fd00:ec2::23]",
	};
	const char *h, *end;
	size_t i, n;

	if (strncasecmp(url, "https://", 8) == 0)
		return 1;
	if (strncasecmp(url, "http://", 7) != 0)
		return 0;
	h = url + 7;
	end = h + strcspn(h, "/?#");
	if (memchr(h, '@', (size_t)(end - h)))
		return 0;
	for (i = 0; i < sizeof hosts / sizeof hosts[0]; i++) {
		n = strlen(hosts[i]);
		if ((size_t)(end - h) < n || strncasecmp(h, hosts[i], n) != 0)
			continue;
		if (hosts[i][n - 1] == '.') /* 127.x.y.z */
			return strspn(h, "0123456789.") == strcspn(h, ":/?#");
		if (h + n == end || h[n] == ':')
			return 1;
	}
	return 0;
}

/* The authorization token: the file's contents (trailing newline dropped), else the variable. */
static int
container_token(struct buf *tok, struct cs_err *err)
{
	const char *file = cs_getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	const char *v = cs_getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN");
	char chunk[1024];
	size_t n;
	FILE *f;

	if (file) {
		f = fopen(file, "rb");
		if (!f) {
			cs_err_set(err, "container credentials: cannot read "
			    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE '%s': %s", file, strerror(errno));
			return -1;
		}
		while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && tok->len < 16384)
			buf_add(tok, chunk, n);
		OPENSSL_cleanse(chunk, sizeof chunk);
		fclose(f);
		while (tok->len && (tok->data[tok->len - 1] == '\n' || tok->data[tok->len - 1] == '\r'))
			tok->data[--tok->len] = '\0';
	} else if (v) {
		buf_adds(tok, v);
	}
	if (tok->len && (memchr(tok->data, '\n', tok->len) || memchr(tok->data, '\r', tok->len) ||
	    strlen(tok->data) != tok->len)) {
		cs_err_set(err, "container credentials: the authorization token holds a line break");
		return -1;
	}
	return 0;
}

static int
from_container(struct creds_provider *p, struct aws_creds *out, struct buf *tried,
    struct cs_err *err)
{
	const char *rel = cs_getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	const char *full = cs_getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	struct buf url = BUF_INIT, tok = BUF_INIT, hdr = BUF_INIT, what = BUF_INIT;
	struct http_response resp;
	const char *headers[1];
	int rc = -1;

	(void)p;
	http_response_init(&resp);
	if (!rel && !full) {
		tried_add(tried, "container credentials (not configured)");
		rc = 0;
		goto out;
	}
	if (rel)
		buf_printf(&url, "%s%s%s", CONTAINER_HOST, rel[0] == '/' ? "" : "/", rel);
	else
		buf_adds(&url, full);
	{
		/* named in messages without any user:password it may hold */
		const char *host = strstr(url.data, "://"), *at;

		host = host ? host + 3 : url.data;
		at = strchr(host, '@');
		if (at && at < host + strcspn(host, "/"))
			buf_printf(&what, "container credentials from %.*s%s", (int)(host - url.data),
			    url.data, at + 1);
		else
			buf_printf(&what, "container credentials from %s", url.data);
	}
	if (!rel && !full_uri_allowed(full)) {
		cs_err_set(err, "container credentials: AWS_CONTAINER_CREDENTIALS_FULL_URI "
		    "must use https, or http to a loopback or container address");
		goto out;
	}
	if (container_token(&tok, err) < 0)
		goto out;
	if (tok.len)
		buf_printf(&hdr, "Authorization: %s", tok.data);
	headers[0] = hdr.data;
	if (http_simple("GET", url.data, headers, tok.len ? 1 : 0, NULL, 0, CONTAINER_TIMEOUT_MS,
	    &resp) < 0 || resp.status == 0) {
		cs_err_set(err, "%s: no answer: %s", what.data, resp.error[0] ? resp.error : "failed");
		goto out;
	}
	if (resp.status != 200) {
		cs_err_set(err, "%s: HTTP %ld", what.data, resp.status);
		goto out;
	}
	if (creds_from_json(resp.body.data ? resp.body.data : "", resp.body.len, 0, out,
	    "container", what.data, err) < 0)
		goto out;
	rc = 1;
out:
	response_wipe_free(&resp);
	buf_free(&url);
	buf_wipe_free(&tok);
	buf_wipe_free(&hdr);
	buf_free(&what);
	return rc;
}

/* --- 4. EC2 instance metadata, IMDSv2 ------------------------------------ */

static int
role_name_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 128)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || strchr("+=,.@_-", s[i])))
			return 0;
	return 1;
}

static int
from_imds(struct creds_provider *p, struct aws_creds *out, struct buf *tried, struct cs_err *err)
{
	static const char creds_path[] = "/latest/meta-data/iam/security-credentials/";
	const char *dis = cs_getenv("AWS_EC2_METADATA_DISABLED");
	const char *ep = cs_getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	struct buf base = BUF_INIT, url = BUF_INIT, hdr = BUF_INIT, role = BUF_INIT;
	struct http_response resp;
	const char *headers[1];
	size_t n;
	int rc = -1;

	(void)p;
	http_response_init(&resp);
	if (dis && strcasecmp(dis, "true") == 0) {
		tried_add(tried, "EC2 instance metadata (disabled by AWS_EC2_METADATA_DISABLED)");
		rc = 0;
		goto out;
	}
	buf_adds(&base, ep ? ep : IMDS_DEFAULT);
	while (base.len > 0 && base.data[base.len - 1] == '/')
		base.data[--base.len] = '\0';

	/* the session token */
	buf_printf(&url, "%s/latest/api/token", base.data);
	headers[0] = "X-aws-ec2-metadata-token-ttl-seconds: 21600";
	if (http_simple("PUT", url.data, headers, 1, NULL, 0, IMDS_TIMEOUT_MS, &resp) < 0 ||
	    resp.status == 0) {
		/* not on EC2: the usual end of the chain */
		tried_add(tried, "EC2 instance metadata (no answer from %s: %s)", base.data,
		    resp.error[0] ? resp.error : "failed");
		rc = 0;
		goto out;
	}
	if (resp.status == 403) {
		tried_add(tried, "EC2 instance metadata (%s refuses tokens: HTTP 403)", base.data);
		rc = 0;
		goto out;
	}
	if (resp.status != 200 || resp.body.len == 0 || resp.body.len > 4096 ||
	    strcspn(resp.body.data, "\r\n") != resp.body.len) {
		cs_err_set(err, "EC2 instance metadata at %s: the token request answered %s%ld",
		    base.data, resp.status == 200 ? "a bad token with HTTP " : "HTTP ", resp.status);
		goto out;
	}
	buf_printf(&hdr, "X-aws-ec2-metadata-token: %s", resp.body.data);
	headers[0] = hdr.data;
	response_wipe_free(&resp);
	http_response_init(&resp);

	/* the role */
	buf_reset(&url);
	buf_printf(&url, "%s%s", base.data, creds_path);
	if (http_simple("GET", url.data, headers, 1, NULL, 0, IMDS_TIMEOUT_MS, &resp) < 0 ||
	    resp.status == 0) {
		cs_err_set(err, "EC2 instance metadata at %s: no answer for the role: %s", base.data,
		    resp.error[0] ? resp.error : "failed");
		goto out;
	}
	if (resp.status == 404) {
		tried_add(tried, "EC2 instance metadata at %s (no instance role)", base.data);
		rc = 0;
		goto out;
	}
	if (resp.status != 200) {
		cs_err_set(err, "EC2 instance metadata at %s: the role request answered HTTP %ld",
		    base.data, resp.status);
		goto out;
	}
	n = resp.body.data ? strcspn(resp.body.data, "\r\n") : 0;
	if (n == 0) {
		tried_add(tried, "EC2 instance metadata at %s (no instance role)", base.data);
		rc = 0;
		goto out;
	}
	if (!role_name_ok(resp.body.data, n)) {
		cs_err_set(err, "EC2 instance metadata at %s: the role name is not valid", base.data);
		goto out;
	}
	buf_add(&role, resp.body.data, n);
	http_response_free(&resp);
	http_response_init(&resp);

	/* the role's credentials */
	buf_reset(&url);
	buf_printf(&url, "%s%s%s", base.data, creds_path, role.data);
	if (http_simple("GET", url.data, headers, 1, NULL, 0, IMDS_TIMEOUT_MS, &resp) < 0 ||
	    resp.status == 0) {
		cs_err_set(err, "EC2 instance metadata at %s: no answer for role '%s': %s", base.data,
		    role.data, resp.error[0] ? resp.error : "failed");
		goto out;
	}
	if (resp.status != 200) {
		cs_err_set(err, "EC2 instance metadata at %s: role '%s' answered HTTP %ld", base.data,
		    role.data, resp.status);
		goto out;
	}
	buf_reset(&base);
	buf_printf(&base, "EC2 instance metadata at %s, role '%s'",
	    ep ? ep : IMDS_DEFAULT, role.data);
	if (creds_from_json(resp.body.data ? resp.body.data : "", resp.body.len, 0, out, "imds",
	    base.data, err) < 0)
		goto out;
	rc = 1;
out:
	response_wipe_free(&resp);
	buf_free(&base);
	buf_free(&url);
	buf_wipe_free(&hdr);
	buf_free(&role);
	return rc;
}

/* --- the chain ------------------------------------------------------------ */

static const struct {
	enum source src;
	source_fn fn;
} chain[] = {
	{ SRC_ENV, from_env },
	{ SRC_PROFILE, from_profile },
	{ SRC_CONTAINER, from_container },
	{ SRC_IMDS, from_imds },
};

struct creds_provider *
creds_provider_new(const char *profile)
{
	struct creds_provider *p = cs_calloc(1, sizeof *p);

	p->profile = profile && *profile ? cs_strdup(profile) : NULL;
	return p;
}

void
creds_provider_free(struct creds_provider *p)
{
	if (!p)
		return;
	aws_creds_clear(&p->cur);
	free(p->profile);
	free(p);
}

void
creds_invalidate(struct creds_provider *p)
{
	aws_creds_clear(&p->cur);
	p->have = 0;
	p->src = SRC_NONE;
}

/* Run the whole chain: the first source that answers wins. */
static int
find(struct creds_provider *p, struct cs_err *err)
{
	struct buf tried = BUF_INIT;
	struct aws_creds c;
	size_t i;
	int rc = 0;

	memset(&c, 0, sizeof c);
	for (i = 0; i < sizeof chain / sizeof chain[0]; i++) {
		rc = chain[i].fn(p, &c, &tried, err);
		if (rc != 0)
			break;
	}
	if (rc > 0) {
		p->cur = c;
		p->have = 1;
		p->src = chain[i].src;
	} else if (rc == 0) {
		cs_err_set(err, "no AWS credentials: tried %s", tried.data);
	}
	buf_free(&tried);
	return rc > 0 ? 0 : -1;
}

/* Ask the source that gave the current credentials again. */
static int
refresh(struct creds_provider *p, struct cs_err *err)
{
	struct buf tried = BUF_INIT;
	struct aws_creds c;
	size_t i;
	int rc = 0;

	memset(&c, 0, sizeof c);
	for (i = 0; i < sizeof chain / sizeof chain[0]; i++)
		if (chain[i].src == p->src)
			rc = chain[i].fn(p, &c, &tried, err);
	if (rc > 0) {
		aws_creds_clear(&p->cur);
		p->cur = c;
	} else if (rc == 0) {
		cs_err_set(err, "cannot refresh the AWS credentials from %s: no longer there: %s",
		    p->cur.source, tried.data);
	}
	buf_free(&tried);
	return rc > 0 ? 0 : -1;
}

int
creds_get(struct creds_provider *p, const struct aws_creds **out, struct cs_err *err)
{
	int64_t now = wall_ms();

	*out = NULL;
	if (p->have && p->cur.expires_ms != 0 && p->cur.expires_ms - now < REFRESH_BEFORE_MS) {
		struct cs_err rerr;

		if (refresh(p, &rerr) < 0) {
			if (p->cur.expires_ms <= now) {
				cs_err_set(err, "AWS credentials from %s have expired: %s", p->cur.source,
				    rerr.msg);
				creds_invalidate(p);
				return -1;
			}
			/* still valid for a while: use them, try again next time */
		}
	}
	if (!p->have && find(p, err) < 0)
		return -1;
	*out = &p->cur;
	return 0;
}
