/*
 * test-creds.c - the credential chain: environment, shared files,
 * credential_process, container credentials and IMDSv2 (against
 * tests/stubs/metadata.py on 127.0.0.1), refresh before expiry, and the
 * messages when nothing or something broken is found: they name the
 * source and never hold a secret.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "creds.h"
#include "credsint.h"
#include "http.h"
#include "tap.h"

static char dir[] = "/tmp/cs-creds.XXXXXX";
static char stub_script[4096];

/* every error message seen, to check at the end that none holds a secret */
static struct buf errors = BUF_INIT;

static void
clear_env(void)
{
	static const char *vars[] = {
		"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
		"AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
		"AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
		"AWS_EC2_METADATA_SERVICE_ENDPOINT", "AWS_EC2_METADATA_DISABLED",
	};
	size_t i;

	for (i = 0; i < sizeof vars / sizeof vars[0]; i++)
		unsetenv(vars[i]);
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	/* nothing leaves the machine: STS is a closed loopback port */
	setenv("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9", 1);
}

static char *path_of(const char *name);

/* point AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE into the temporary folder */
static void
use_files(void)
{
	char *cred = path_of("credentials"), *conf = path_of("config");

	setenv("AWS_SHARED_CREDENTIALS_FILE", cred, 1);
	setenv("AWS_CONFIG_FILE", conf, 1);
	free(cred);
	free(conf);
}

static char *
path_of(const char *name)
{
	struct buf b = BUF_INIT;

	buf_printf(&b, "%s/%s", dir, name);
	return buf_detach(&b);
}

static void
write_file(const char *name, const char *text, int mode)
{
	char *path = path_of(name);
	FILE *f = fopen(path, "w");

	if (!f) {
		perror(path);
		exit(1);
	}
	fputs(text, f);
	fclose(f);
	chmod(path, (mode_t)mode);
	free(path);
}

static void
remove_file(const char *name)
{
	char *path = path_of(name);

	unlink(path);
	free(path);
}

static char *
read_file(const char *name)
{
	char *path = path_of(name);
	struct buf b = BUF_INIT;
	char chunk[4096];
	size_t n;
	FILE *f = fopen(path, "r");

	free(path);
	buf_adds(&b, "");
	if (!f)
		return buf_detach(&b);
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	return buf_detach(&b);
}

static int
count(const char *hay, const char *needle)
{
	int n = 0;

	while ((hay = strstr(hay, needle))) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

/*
 * One lookup with a new provider.  Returns creds_get's result; on success
 * *out gets a copy (caller clears), on failure ERR holds the message.
 */
static int
lookup(const char *profile, struct aws_creds *out, struct cs_err *err)
{
	struct creds_provider *p = creds_provider_new(profile);
	const struct aws_creds *c;
	int rc;

	memset(out, 0, sizeof *out);
	cs_err_clear(err);
	rc = creds_get(p, &c, err);
	if (rc == 0) {
		out->access_key = cs_strdup(c->access_key);
		out->secret_key = cs_strdup(c->secret_key);
		out->session_token = c->session_token ? cs_strdup(c->session_token) : NULL;
		out->expires_ms = c->expires_ms;
		memcpy(out->source, c->source, sizeof out->source);
	} else {
		buf_adds(&errors, err->msg);
		buf_addc(&errors, '\n');
	}
	creds_provider_free(p);
	return rc;
}

/* --- the stub -------------------------------------------------------------- */

struct stub {
	pid_t pid;
	int port;
	char url[64];
};

/* Start tests/stubs/metadata.py with ARGS (NULL-terminated); it logs to DIR/stub.log. */
static int
stub_start(struct stub *s, const char *const *args)
{
	char *pf = path_of("stub.port"), *log = path_of("stub.log");
	const char *argv[24];
	int i = 0, j, waited;

	remove_file("stub.port");
	remove_file("stub.log");
	argv[i++] = "python3";
	argv[i++] = stub_script;
	argv[i++] = "--port-file";
	argv[i++] = pf;
	argv[i++] = "--log";
	argv[i++] = log;
	for (j = 0; args && args[j] && i < 22; j++)
		argv[i++] = args[j];
	argv[i] = NULL;
	fflush(stdout);
	s->pid = fork();
	if (s->pid == 0) {
		execvp("python3", (char *const *)argv);
		_exit(127);
	}
	s->port = 0;
	for (waited = 0; s->pid > 0 && waited < 100; waited++) {
		char *text = read_file("stub.port");

		s->port = atoi(text);
		free(text);
		if (s->port > 0)
			break;
		usleep(50 * 1000);
	}
	free(pf);
	free(log);
	snprintf(s->url, sizeof s->url, "http://127.0.0.1:%d", s->port);
	return s->port > 0 ? 0 : -1;
}

static void
stub_stop(struct stub *s)
{
	int status;

	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		waitpid(s->pid, &status, 0);
	}
	s->pid = 0;
}

/* --- the cases ------------------------------------------------------------- */

static void
test_env(void)
{
	struct aws_creds c;
	struct cs_err err;

	clear_env();
	use_files();
	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "SECRETMARK-env", 1);
	setenv("AWS_SESSION_TOKEN", "TOKENMARK-env", 1);
	write_file("credentials", "[default]\naws_access_key_id = AKIDFILE\n"
	    "aws_secret_access_key = SECRETMARK-file\n", 0600);
	if (ok(lookup(NULL, &c, &err) == 0, "env: found")) {
		is_str(c.access_key, "AKIDENV", "env: key id (beats the credentials file)");
		is_str(c.secret_key, "SECRETMARK-env", "env: secret");
		is_str(c.session_token, "TOKENMARK-env", "env: session token");
		is_str(c.source, "environment", "env: source");
		is_int(c.expires_ms, 0, "env: does not expire");
	}
	aws_creds_clear(&c);
	ok(c.access_key == NULL && c.secret_key == NULL && c.source[0] == '\0',
	    "aws_creds_clear empties the struct");

	setenv("AWS_SESSION_TOKEN", "", 1);
	if (ok(lookup(NULL, &c, &err) == 0, "env: an empty AWS_SESSION_TOKEN"))
		ok(c.session_token == NULL, "env: counts as no token");
	aws_creds_clear(&c);

	unsetenv("AWS_SECRET_ACCESS_KEY");
	ok(lookup(NULL, &c, &err) == -1 && strstr(err.msg, "environment") &&
	    strstr(err.msg, "AWS_SECRET_ACCESS_KEY is not"),
	    "env: a key id without a secret is broken: %s", err.msg);
	unsetenv("AWS_ACCESS_KEY_ID");
	setenv("AWS_SECRET_ACCESS_KEY", "SECRETMARK-env", 1);
	ok(lookup(NULL, &c, &err) == -1 && strstr(err.msg, "AWS_ACCESS_KEY_ID is not"),
	    "env: a secret without a key id is broken: %s", err.msg);
	remove_file("credentials");
}

static void
test_files(void)
{
	struct aws_creds c;
	struct cs_err err;
	char *cred = path_of("credentials"), *conf = path_of("config");

	clear_env();
	use_files();
	write_file("credentials",
	    "[default]\n"
	    "aws_access_key_id = AKIDDEFAULT\n"
	    "aws_secret_access_key = SECRETMARK-default\n"
	    "[temp]\n"
	    "aws_access_key_id = AKIDTEMP\n"
	    "aws_secret_access_key = SECRETMARK-temp\n"
	    "aws_session_token = TOKENMARK-temp\n"
	    "[halfway]\n"
	    "aws_access_key_id = AKIDHALF\n", 0600);
	write_file("config",
	    "[profile fromconfig]\n"
	    "aws_access_key_id = AKIDCONF\n"
	    "aws_secret_access_key = SECRETMARK-conf\n"
	    "[profile regiononly]\n"
	    "region = eu-west-1\n"
	    "[profile assume]\n"
	    "role_arn = arn:aws:iam::123456789012:role/x\n"
	    "source_profile = default\n", 0600);

	if (ok(lookup(NULL, &c, &err) == 0, "files: default profile")) {
		is_str(c.access_key, "AKIDDEFAULT", "files: [default] of the credentials file");
		is_str(c.secret_key, "SECRETMARK-default", "files: its secret");
		is_str(c.source, "profile default", "files: source names the profile");
	}
	aws_creds_clear(&c);
	setenv("AWS_PROFILE", "temp", 1);
	if (ok(lookup(NULL, &c, &err) == 0, "files: AWS_PROFILE")) {
		is_str(c.access_key, "AKIDTEMP", "files: AWS_PROFILE picks [temp]");
		is_str(c.session_token, "TOKENMARK-temp", "files: aws_session_token");
	}
	aws_creds_clear(&c);
	if (ok(lookup("fromconfig", &c, &err) == 0, "files: --profile"))
		is_str(c.access_key, "AKIDCONF", "files: --profile beats AWS_PROFILE; [profile x] of config");
	aws_creds_clear(&c);
	/* issue 10, defect 4: --profile is explicit and removes the environment keys; AWS_PROFILE does not */
	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "SECRETMARK-env", 1);
	if (ok(lookup(NULL, &c, &err) == 0, "files: AWS_PROFILE with environment keys"))
		is_str(c.access_key, "AKIDENV", "files: AWS_PROFILE alone: the environment keys first");
	aws_creds_clear(&c);
	if (ok(lookup("temp", &c, &err) == 0, "files: --profile with environment keys"))
		is_str(c.access_key, "AKIDTEMP", "files: --profile: the profile, not the environment");
	aws_creds_clear(&c);
	ok(lookup("regiononly", &c, &err) == -1 &&
	    strstr(err.msg, "environment (AWS_ACCESS_KEY_ID, skipped: --profile given)"),
	    "files: --profile without credentials says the environment was skipped: %s", err.msg);
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("AWS_PROFILE");

	ok(lookup("halfway", &c, &err) == -1 && strstr(err.msg, "profile 'halfway'") &&
	    strstr(err.msg, cred) && strstr(err.msg, "no aws_secret_access_key"),
	    "files: a key id without a secret is broken: %s", err.msg);
	ok(lookup("nosuch", &c, &err) == -1 && strstr(err.msg, "profile 'nosuch' not found"),
	    "files: a named profile that does not exist: %s", err.msg);
	ok(lookup("assume", &c, &err) == -1 && strstr(err.msg, "assume role") &&
	    strstr(err.msg, "profile 'assume'") && strstr(err.msg, "127.0.0.1:9"),
	    "files: a role_arn profile calls STS: %s", err.msg);
	ok(lookup("regiononly", &c, &err) == -1 &&
	    strstr(err.msg, "profile 'regiononly' in ") && strstr(err.msg, "(no credentials in it)") &&
	    strstr(err.msg, "EC2 instance metadata (disabled"),
	    "files: a profile without credentials goes on down the chain: %s", err.msg);

	remove_file("credentials");
	mkdir(cred, 0700);
	ok(lookup(NULL, &c, &err) == -1 && strstr(err.msg, "cannot read") && strstr(err.msg, cred),
	    "files: an unreadable credentials file is an error: %s", err.msg);
	rmdir(cred);
	remove_file("config");
	free(cred);
	free(conf);
}

static void
test_process(void)
{
	struct creds_provider *p;
	const struct aws_creds *cp;
	struct aws_creds c;
	struct cs_err err;
	char *script = path_of("proc.sh"), *counter = path_of("proc.count");
	struct buf conf = BUF_INIT, text = BUF_INIT;
	char exp[32], *log;
	int n;

	clear_env();
	use_files();
	/* a script that counts its runs and answers with an expiry given by $1 seconds */
	buf_printf(&text,
	    "#!/bin/sh\n"
	    "n=$(( $(cat '%s' 2>/dev/null || echo 0) + 1 ))\n"
	    "echo $n > '%s'\n"
	    "case $1 in\n"
	    "fail) echo '{\"SecretAccessKey\": \"SECRETMARK-leak00\"}'; echo 'vault said: no'; "
	    "echo 'cannot reach the vault with SECRETMARK-leak00' >&2; echo 'second line' >&2; exit 3 ;;\n"
	    "noisy) echo 'helper: secret key=SECRETMARK-noisy0000000 ok' >&2; "
	    "echo '{\"Version\": 1, \"AccessKeyId\": \"AKIDNOISY\", \"SecretAccessKey\": \"SECRETMARK-noisy\"}' ;;\n"
	    "junk) echo 'SECRETMARK-junk is not json' ;;\n"
	    "v2) echo '{\"Version\": 2, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"SECRETMARK-v2\"}' ;;\n"
	    "nosecret) echo '{\"Version\": 1, \"AccessKeyId\": \"A\"}' ;;\n"
	    "badexp) echo '{\"Version\": 1, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"SECRETMARK-x\", \"Expiration\": \"soon\"}' ;;\n"
	    "stdin) echo '{\"Version\": 1, \"AccessKeyId\": \"AKIDSTDIN'$(cat | wc -c)'\", \"SecretAccessKey\": \"SECRETMARK-in\"}' ;;\n"
	    "flaky) if [ $n -eq 1 ]; then exp=$(date -u -d '+60 seconds' +%%Y-%%m-%%dT%%H:%%M:%%SZ); "
	    "printf '{\"Version\": 1, \"AccessKeyId\": \"AKIDFLAKY\", \"SecretAccessKey\": \"SECRETMARK-f\", "
	    "\"Expiration\": \"%%s\"}\\n' $exp; else echo 'vault down' >&2; exit 1; fi ;;\n"
	    "static) echo '{\"Version\": 1, \"AccessKeyId\": \"AKIDPROC'$n'\", \"SecretAccessKey\": \"SECRETMARK-proc\"}' ;;\n"
	    "*) exp=$(date -u -d \"+$1 seconds\" +%%Y-%%m-%%dT%%H:%%M:%%SZ)\n"
	    "   printf '{\"Version\": 1, \"AccessKeyId\": \"AKIDPROC%%s\", \"SecretAccessKey\": \"SECRETMARK-proc\", "
	    "\"SessionToken\": \"TOKENMARK-proc\", \"Expiration\": \"%%s\"}\\n' $n $exp ;;\n"
	    "esac\n", counter, counter);
	write_file("proc.sh", text.data, 0700);
	buf_printf(&conf,
	    "[default]\ncredential_process = %s 3600\n"
	    "[profile short]\ncredential_process = %s 60\n"
	    "[profile fail]\ncredential_process = %s fail\n"
	    "[profile junk]\ncredential_process = %s junk\n"
	    "[profile v2]\ncredential_process = %s v2\n"
	    "[profile nosecret]\ncredential_process = %s nosecret\n"
	    "[profile badexp]\ncredential_process = %s badexp\n"
	    "[profile static]\ncredential_process = \"%s\" static\n"
	    "[profile flaky]\ncredential_process = %s flaky\n"
	    "[profile missing]\ncredential_process = %s/no-such-program\n"
	    "[profile stdin]\ncredential_process = %s stdin\n"
	    "[profile noisy]\ncredential_process = %s noisy\n",
	    script, script, script, script, script, script, script, script, script, dir, script, script);
	write_file("config", conf.data, 0600);

	if (ok(lookup(NULL, &c, &err) == 0, "process: found (%s)", err.msg)) {
		is_str(c.access_key, "AKIDPROC1", "process: key id");
		is_str(c.secret_key, "SECRETMARK-proc", "process: secret");
		is_str(c.session_token, "TOKENMARK-proc", "process: session token");
		is_str(c.source, "profile default (credential_process)", "process: source");
		ok(c.expires_ms > 0, "process: Expiration parsed");
		cs_fmt_rfc3339(exp, c.expires_ms);
	}
	aws_creds_clear(&c);
	if (ok(lookup("static", &c, &err) == 0, "process: without Expiration (%s)", err.msg))
		is_int(c.expires_ms, 0, "process: without Expiration does not expire");
	aws_creds_clear(&c);

	/* refresh: one hour left is kept, one minute left is fetched again */
	remove_file("proc.count");
	p = creds_provider_new(NULL);
	ok(creds_get(p, &cp, &err) == 0 && creds_get(p, &cp, &err) == 0 &&
	    strcmp(cp->access_key, "AKIDPROC1") == 0, "process: credentials valid for an hour are reused");
	log = read_file("proc.count");
	n = atoi(log);
	free(log);
	is_int(n, 1, "process: run once for two gets");
	creds_invalidate(p);
	ok(creds_get(p, &cp, &err) == 0 && strcmp(cp->access_key, "AKIDPROC2") == 0,
	    "process: creds_invalidate makes the next get run it again");
	creds_provider_free(p);
	remove_file("proc.count");
	p = creds_provider_new("short");
	ok(creds_get(p, &cp, &err) == 0 && strcmp(cp->access_key, "AKIDPROC1") == 0,
	    "process: credentials expiring in a minute");
	ok(creds_get(p, &cp, &err) == 0 && strcmp(cp->access_key, "AKIDPROC2") == 0,
	    "process: are fetched again by the next get");
	creds_provider_free(p);

	/* a refresh that fails while the credentials are valid: they serve, and no new try at once */
	remove_file("proc.count");
	p = creds_provider_new("flaky");
	ok(creds_get(p, &cp, &err) == 0 && strcmp(cp->access_key, "AKIDFLAKY") == 0,
	    "process: flaky: credentials expiring in a minute");
	ok(creds_get(p, &cp, &err) == 0 && strcmp(cp->access_key, "AKIDFLAKY") == 0,
	    "process: flaky: its refresh fails, the valid credentials still serve");
	ok(creds_get(p, &cp, &err) == 0 && creds_get(p, &cp, &err) == 0,
	    "process: flaky: and serve the gets after");
	log = read_file("proc.count");
	n = atoi(log);
	free(log);
	is_int(n, 2, "process: flaky: one failed refresh, not one per get");
	creds_provider_free(p);

	{
		/* issue 10, defect 8: its stderr is captured, shown once on failure, cleaned */
		int saved = dup(2), fd;
		char *said, *path = path_of("stderr.out");

		fflush(stderr);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 2);
		close(fd);
		ok(lookup("fail", &c, &err) == -1 &&
		    strstr(err.msg, "credential_process of profile 'fail'") &&
		    strstr(err.msg, "exit status 3"), "process: failure named: %s", err.msg);
		is_int(count(err.msg, "cannot reach the vault with (redacted) | second line"), 1,
		    "process: its stderr shown once, on one line, the answer's secret removed");
		ok(!strstr(err.msg, "vault said"), "process: its stdout is not shown");
		ok(lookup("noisy", &c, &err) == 0 && strcmp(c.access_key, "AKIDNOISY") == 0,
		    "process: a helper that speaks on stderr and succeeds");
		aws_creds_clear(&c);
		fflush(stderr);
		dup2(saved, 2);
		close(saved);
		said = read_file("stderr.out");
		is_str(said, "", "process: nothing of its stderr reaches ours");
		free(said);
		free(path);
		remove_file("stderr.out");
	}
	ok(lookup("junk", &c, &err) == -1 && strstr(err.msg, "profile 'junk'") &&
	    strstr(err.msg, "not a JSON object"), "process: an answer that is not JSON: %s", err.msg);
	ok(lookup("v2", &c, &err) == -1 && strstr(err.msg, "Version"),
	    "process: Version 2 refused: %s", err.msg);
	ok(lookup("nosecret", &c, &err) == -1 && strstr(err.msg, "no SecretAccessKey"),
	    "process: an answer without a secret: %s", err.msg);
	ok(lookup("badexp", &c, &err) == -1 && strstr(err.msg, "Expiration"),
	    "process: a bad Expiration: %s", err.msg);
	if (ok(lookup("stdin", &c, &err) == 0, "process: reading its stdin (%s)", err.msg))
		is_str(c.access_key, "AKIDSTDIN0", "process: its stdin is /dev/null, not ours");
	aws_creds_clear(&c);
	ok(lookup("missing", &c, &err) == -1 && strstr(err.msg, "exit status 127"),
	    "process: a program that does not exist: %s", err.msg);

	remove_file("config");
	remove_file("proc.sh");
	remove_file("proc.count");
	buf_free(&conf);
	buf_free(&text);
	free(script);
	free(counter);
	(void)exp;
}

static void
test_container(void)
{
	static const char *const args[] = { "--auth-token", "AUTHMARK-1", NULL };
	struct stub s;
	struct aws_creds c;
	struct cs_err err;
	struct buf url = BUF_INIT;
	char *tokfile = path_of("token"), *log;

	clear_env();
	if (!ok(stub_start(&s, args) == 0, "container: stub started")) {
		stub_stop(&s);
		return;
	}
	buf_printf(&url, "%s/container/creds", s.url);
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url.data, 1);
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "AUTHMARK-1", 1);
	if (ok(lookup(NULL, &c, &err) == 0, "container: found (%s)", err.msg)) {
		is_str(c.access_key, "ASIASTUBCONT0001", "container: key id");
		is_str(c.secret_key, "stub-cont-secret-1", "container: secret");
		is_str(c.session_token, "stub-cont-token-1", "container: token");
		is_str(c.source, "container", "container: source");
		ok(c.expires_ms > 0, "container: expiry");
	}
	aws_creds_clear(&c);

	/* the token file wins over the variable */
	write_file("token", "AUTHMARK-1\n", 0600);
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "AUTHMARK-wrong", 1);
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", tokfile, 1);
	if (ok(lookup(NULL, &c, &err) == 0, "container: token from the file (%s)", err.msg))
		is_str(c.access_key, "ASIASTUBCONT0002", "container: fetched again");
	aws_creds_clear(&c);
	log = read_file("stub.log");
	is_int(count(log, "GET /container/creds token=- auth=AUTHMARK-1\n"), 2,
	    "container: the authorization token was sent each time");
	free(log);
	{
		/* credential_source = EcsContainer signs AssumeRole with the container's credentials */
		char *path = path_of("config");

		write_file("config", "[profile onecs]\nrole_arn = arn:aws:iam::1:role/x\n"
		    "credential_source = EcsContainer\n", 0600);
		setenv("AWS_CONFIG_FILE", path, 1);
		ok(lookup("onecs", &c, &err) == -1 && strstr(err.msg, "(with container): no answer from STS"),
		    "container: credential_source = EcsContainer: %s", err.msg);
		unsetenv("AWS_CONFIG_FILE");
		remove_file("config");
		free(path);
	}

	unsetenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	ok(lookup(NULL, &c, &err) == -1 && strstr(err.msg, "container credentials from") &&
	    strstr(err.msg, "HTTP 401") && !strstr(err.msg, "AUTHMARK"),
	    "container: a wrong token gives 401, named: %s", err.msg);
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://example.com/creds", 1);
	ok(lookup(NULL, &c, &err) == -1 && strstr(err.msg, "must use https"),
	    "container: http to a non-loopback host refused: %s", err.msg);
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1.example.com/creds", 1);
	ok(lookup(NULL, &c, &err) == -1 && strstr(err.msg, "must use https"),
	    "container: a host that only starts like 127. refused: %s", err.msg);
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://user:pw-SECRETMARK@example.com/creds", 1);
	ok(lookup(NULL, &c, &err) == -1 && !strstr(err.msg, "SECRETMARK"),
	    "container: a refused URI is not repeated with its password: %s", err.msg);
	stub_stop(&s);
	remove_file("token");
	buf_free(&url);
	free(tokfile);
}

static void
test_imds(void)
{
	static const char *const ok_args[] = { NULL };
	static const char *const short_args[] = { "--expires-in", "60", NULL };
	static const char *const err_args[] = { "--mode", "error", NULL };
	static const char *const json_args[] = { "--mode", "badjson", NULL };
	static const char *const norole_args[] = { "--mode", "norole", NULL };
	static const char *const notoken_args[] = { "--mode", "notoken", NULL };
	struct creds_provider *p;
	const struct aws_creds *cp;
	struct http_response resp;
	struct aws_creds c;
	struct cs_err err;
	struct buf url = BUF_INIT;
	struct stub s;
	char *log;

	clear_env();
	if (!ok(stub_start(&s, ok_args) == 0, "imds: stub started"))
		return;
	/* the stub wants the token: a GET without it is refused */
	buf_printf(&url, "%s/latest/meta-data/iam/security-credentials/", s.url);
	http_response_init(&resp);
	http_simple("GET", url.data, NULL, 0, NULL, 0, 2000, &resp);
	is_int(resp.status, 401, "imds stub: a GET without the token gets 401");
	http_response_free(&resp);
	remove_file("stub.log");

	/* disabled: not even asked */
	setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", s.url, 1);
	ok(lookup(NULL, &c, &err) == -1 && strstr(err.msg, "disabled by AWS_EC2_METADATA_DISABLED"),
	    "imds: disabled: %s", err.msg);
	log = read_file("stub.log");
	is_str(log, "", "imds: disabled means no request");
	free(log);

	unsetenv("AWS_EC2_METADATA_DISABLED");
	if (ok(lookup(NULL, &c, &err) == 0, "imds: found (%s)", err.msg)) {
		is_str(c.access_key, "ASIASTUBIMDS0001", "imds: key id");
		is_str(c.secret_key, "stub-imds-secret-1", "imds: secret");
		is_str(c.session_token, "stub-imds-token-1", "imds: token");
		is_str(c.source, "imds", "imds: source");
		ok(c.expires_ms > 0, "imds: expiry");
	}
	aws_creds_clear(&c);
	log = read_file("stub.log");
	is_int(count(log, "PUT /latest/api/token token=- "), 1, "imds: one token PUT");
	is_int(count(log, "GET /latest/meta-data/iam/security-credentials/ token=stub-imds-session-"), 1,
	    "imds: role listed with the token");
	is_int(count(log, "GET /latest/meta-data/iam/security-credentials/cs-test-role token=stub-imds-session-"), 1,
	    "imds: role's credentials fetched with the token");
	is_int(count(log, "GET /latest/meta-data/iam/security-credentials/cs-test-role token=-"), 0,
	    "imds: never a GET without the token");
	free(log);

	/* expiring in an hour: kept */
	remove_file("stub.log");
	p = creds_provider_new(NULL);
	ok(creds_get(p, &cp, &err) == 0 && creds_get(p, &cp, &err) == 0 &&
	    strcmp(cp->access_key, "ASIASTUBIMDS0002") == 0,
	    "imds: credentials valid for an hour are reused");
	log = read_file("stub.log");
	is_int(count(log, "PUT /latest/api/token"), 1, "imds: asked once for two gets");
	free(log);
	creds_invalidate(p);
	ok(creds_get(p, &cp, &err) == 0 && strcmp(cp->access_key, "ASIASTUBIMDS0003") == 0,
	    "imds: creds_invalidate makes the next get ask again");
	creds_provider_free(p);

	/* the chain's order, every source answering: env, files, container, IMDS */
	{
		struct buf cu = BUF_INIT;

		buf_printf(&cu, "%s/container/creds", s.url);
		setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", cu.data, 1);
		if (ok(lookup(NULL, &c, &err) == 0, "chain: container and IMDS answer (%s)", err.msg))
			is_str(c.source, "container", "chain: the container beats IMDS");
		aws_creds_clear(&c);
		use_files();
		write_file("credentials", "[default]\naws_access_key_id = AKIDCHAINFILE\n"
		    "aws_secret_access_key = chain-file-secret\n", 0600);
		if (ok(lookup(NULL, &c, &err) == 0, "chain: files, container and IMDS answer (%s)", err.msg))
			is_str(c.access_key, "AKIDCHAINFILE", "chain: the credentials file beats the container");
		aws_creds_clear(&c);
		setenv("AWS_ACCESS_KEY_ID", "AKIDCHAINENV", 1);
		setenv("AWS_SECRET_ACCESS_KEY", "chain-env-secret", 1);
		if (ok(lookup(NULL, &c, &err) == 0, "chain: all four answer (%s)", err.msg))
			is_str(c.access_key, "AKIDCHAINENV", "chain: the environment beats them all");
		aws_creds_clear(&c);
		unsetenv("AWS_ACCESS_KEY_ID");
		unsetenv("AWS_SECRET_ACCESS_KEY");
		unsetenv("AWS_SHARED_CREDENTIALS_FILE");
		unsetenv("AWS_CONFIG_FILE");
		unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
		remove_file("credentials");
		buf_free(&cu);
	}
	stub_stop(&s);

	/* expiring in a minute: fetched again */
	if (ok(stub_start(&s, short_args) == 0, "imds: short-lived stub started")) {
		setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", s.url, 1);
		p = creds_provider_new(NULL);
		ok(creds_get(p, &cp, &err) == 0 && strcmp(cp->access_key, "ASIASTUBIMDS0001") == 0,
		    "imds: credentials expiring in a minute");
		ok(creds_get(p, &cp, &err) == 0 && strcmp(cp->access_key, "ASIASTUBIMDS0002") == 0,
		    "imds: are fetched again by the next get");
		creds_provider_free(p);
		log = read_file("stub.log");
		is_int(count(log, "PUT /latest/api/token"), 2, "imds: a new token for the refresh");
		free(log);
	}
	stub_stop(&s);

	if (ok(stub_start(&s, err_args) == 0, "imds: failing stub started")) {
		setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", s.url, 1);
		ok(lookup(NULL, &c, &err) == -1 && strstr(err.msg, "EC2 instance metadata at") &&
		    strstr(err.msg, "HTTP 500"), "imds: an error answer is named: %s", err.msg);
	}
	stub_stop(&s);
	if (ok(stub_start(&s, json_args) == 0, "imds: bad-JSON stub started")) {
		setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", s.url, 1);
		ok(lookup(NULL, &c, &err) == -1 && strstr(err.msg, "EC2 instance metadata at") &&
		    strstr(err.msg, "not a JSON object"), "imds: a bad answer is named: %s", err.msg);
	}
	stub_stop(&s);
	if (ok(stub_start(&s, norole_args) == 0, "imds: role-less stub started")) {
		setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", s.url, 1);
		ok(lookup(NULL, &c, &err) == -1 && strstr(err.msg, "no AWS credentials: tried") &&
		    strstr(err.msg, "(no instance role)"), "imds: no role: %s", err.msg);
	}
	stub_stop(&s);
	if (ok(stub_start(&s, notoken_args) == 0, "imds: token-refusing stub started")) {
		setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", s.url, 1);
		ok(lookup(NULL, &c, &err) == -1 && strstr(err.msg, "refuses tokens: HTTP 403"),
		    "imds: token refused: %s", err.msg);
	}
	stub_stop(&s);
	if (ok(stub_start(&s, ok_args) == 0, "imds: stub started again")) {
		setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", s.url, 1);
		/* issue 14: credential_source = Ec2InstanceMetadata signs AssumeRole with the instance role */
		char *path = path_of("config");

		write_file("config", "[profile onec2]\nrole_arn = arn:aws:iam::1:role/x\n"
		    "credential_source = Ec2InstanceMetadata\n", 0600);
		setenv("AWS_CONFIG_FILE", path, 1);
		ok(lookup("onec2", &c, &err) == -1 && strstr(err.msg, "(with imds): no answer from STS"),
		    "imds: credential_source = Ec2InstanceMetadata: %s", err.msg);
		unsetenv("AWS_CONFIG_FILE");
		remove_file("config");
		free(path);
	}
	stub_stop(&s);

	/* nobody listening: the end of the chain, named */
	setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", s.url, 1);
	ok(lookup(NULL, &c, &err) == -1 && strstr(err.msg, "no AWS credentials: tried") &&
	    strstr(err.msg, "EC2 instance metadata (no answer from http://127.0.0.1:"),
	    "imds: no answer: %s", err.msg);
	buf_free(&url);
}

/* issue 14: roles, web identity and IAM Identity Center profiles that are wrong before any call */
static void
test_roles(void)
{
	struct aws_creds c;
	struct cs_err err;
	struct buf conf = BUF_INIT;

	clear_env();
	use_files();
	write_file("credentials", "[static]\naws_access_key_id = AKIDSTATIC\n"
	    "aws_secret_access_key = SECRETMARK-static\n", 0600);
	buf_printf(&conf,
	    "[profile a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = b\n"
	    "[profile b]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = c\n"
	    "[profile c]\nrole_arn = arn:aws:iam::1:role/c\nsource_profile = a\n"
	    "[profile both]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = static\n"
	    "credential_source = Environment\n"
	    "[profile neither]\nrole_arn = arn:aws:iam::1:role/x\n"
	    "[profile badsrc]\nrole_arn = arn:aws:iam::1:role/x\ncredential_source = Laptop\n"
	    "[profile envsrc]\nrole_arn = arn:aws:iam::1:role/x\ncredential_source = Environment\n"
	    "[profile mfa]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = static\n"
	    "mfa_serial = arn:aws:iam::1:mfa/me\n"
	    "[profile dur]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = static\n"
	    "duration_seconds = 60\n"
	    "[profile gone]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = nosuch\n"
	    "[profile self]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = self\n"
	    "aws_access_key_id = AKIDSELF\naws_secret_access_key = SECRETMARK-self\n"
	    "[profile web]\nrole_arn = arn:aws:iam::1:role/w\nweb_identity_token_file = %s/none\n"
	    "[profile webnorole]\nweb_identity_token_file = %s/none\n"
	    "[profile sso]\nsso_session = s\nsso_account_id = 1\nsso_role_name = r\n"
	    "[profile ssohalf]\nsso_start_url = https://x/start\nsso_account_id = 1\n"
	    "[sso-session s]\nsso_start_url = https://x/start\nsso_region = us-east-1\n"
	    /* cs(7)'s chain table, 3a to 3e: each profile also has every kind below its own */
	    "[profile order-a]\nrole_arn = arn:aws:iam::1:role/w\nweb_identity_token_file = %s/none\n"
	    "source_profile = static\nsso_session = s\nsso_account_id = 1\nsso_role_name = r\n"
	    "aws_access_key_id = AKIDORDERA\naws_secret_access_key = SECRETMARK-ordera\n"
	    "credential_process = /bin/false\n"
	    "[profile order-b]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = static\n"
	    "sso_session = s\nsso_account_id = 1\nsso_role_name = r\n"
	    "aws_access_key_id = AKIDORDERB\naws_secret_access_key = SECRETMARK-orderb\n"
	    "credential_process = /bin/false\n"
	    "[profile order-c]\nsso_session = s\nsso_account_id = 1\nsso_role_name = r\n"
	    "aws_access_key_id = AKIDORDERC\naws_secret_access_key = SECRETMARK-orderc\n"
	    "credential_process = /bin/false\n"
	    "[profile order-d]\naws_access_key_id = AKIDORDERD\n"
	    "aws_secret_access_key = SECRETMARK-orderd\ncredential_process = /bin/false\n",
	    dir, dir, dir);
	write_file("config", conf.data, 0600);
	buf_free(&conf);

	ok(lookup("a", &c, &err) == -1 && strstr(err.msg, "source_profile makes a loop: a -> b -> c -> a"),
	    "roles: a loop of source profiles refused, named: %s", err.msg);
	ok(lookup("both", &c, &err) == -1 && strstr(err.msg, "both source_profile and credential_source"),
	    "roles: source_profile and credential_source together: %s", err.msg);
	ok(lookup("neither", &c, &err) == -1 && strstr(err.msg, "neither source_profile nor"),
	    "roles: role_arn alone: %s", err.msg);
	ok(lookup("badsrc", &c, &err) == -1 && strstr(err.msg, "credential_source 'Laptop' is not one of"),
	    "roles: an unknown credential_source: %s", err.msg);
	ok(lookup("envsrc", &c, &err) == -1 && strstr(err.msg, "credential_source Environment gave no "
	    "credentials: tried environment (AWS_ACCESS_KEY_ID)"),
	    "roles: credential_source = Environment with none there: %s", err.msg);
	setenv("AWS_ACCESS_KEY_ID", "AKIDENVSRC", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "SECRETMARK-envsrc", 1);
	ok(lookup("envsrc", &c, &err) == -1 && strstr(err.msg, "(with environment): no answer from STS"),
	    "roles: credential_source = Environment signs with them, even with --profile: %s", err.msg);
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	ok(lookup("mfa", &c, &err) == -1 && strstr(err.msg, "has mfa_serial") &&
	    strstr(err.msg, "typed by a person"), "roles: mfa_serial refused: %s", err.msg);
	ok(lookup("dur", &c, &err) == -1 && strstr(err.msg, "duration_seconds '60'"),
	    "roles: a duration out of range: %s", err.msg);
	ok(lookup("gone", &c, &err) == -1 && strstr(err.msg, "its source_profile 'nosuch' is not in"),
	    "roles: a missing source profile: %s", err.msg);
	ok(lookup("self", &c, &err) == -1 && strstr(err.msg, "(with profile self): no answer from STS"),
	    "roles: a profile that is its own source signs with its own keys: %s", err.msg);
	ok(lookup("web", &c, &err) == -1 && strstr(err.msg, "cannot read the web identity token file"),
	    "web identity: a missing token file: %s", err.msg);
	ok(lookup("webnorole", &c, &err) == -1 && strstr(err.msg, "web_identity_token_file but no role_arn"),
	    "web identity: no role: %s", err.msg);
	setenv("AWS_WEB_IDENTITY_TOKEN_FILE", "/nonexistent/token", 1);
	ok(lookup(NULL, &c, &err) == -1 && strstr(err.msg, "AWS_ROLE_ARN is not"),
	    "web identity: the token file without AWS_ROLE_ARN: %s", err.msg);
	setenv("AWS_ROLE_ARN", "arn:aws:iam::1:role/w", 1);
	/* AWS_PROFILE names a profile with keys: web identity (2) still comes before it (3) */
	setenv("AWS_PROFILE", "static", 1);
	ok(lookup(NULL, &c, &err) == -1 && strstr(err.msg, "'/nonexistent/token'"),
	    "web identity from the environment: the file is named, before AWS_PROFILE's keys: %s",
	    err.msg);
	unsetenv("AWS_PROFILE");
	ok(lookup("static", &c, &err) == 0 && strcmp(c.access_key, "AKIDSTATIC") == 0,
	    "web identity from the environment: skipped with --profile");
	aws_creds_clear(&c);
	unsetenv("AWS_WEB_IDENTITY_TOKEN_FILE");
	unsetenv("AWS_ROLE_ARN");
	setenv("HOME", dir, 1);
	ok(lookup("sso", &c, &err) == -1 && strstr(err.msg, "no cached token") &&
	    strstr(err.msg, "/.aws/sso/cache/a0f1490a20d0211c997b44bc357e1972deab8ae3.json") &&
	    strstr(err.msg, "run 'aws sso login --sso-session s'"),
	    "sso: the cache file named as the SDKs name it: %s", err.msg);
	ok(lookup("ssohalf", &c, &err) == -1 && strstr(err.msg, "needs sso_start_url, sso_region"),
	    "sso: a profile without sso_region and sso_role_name: %s", err.msg);

	/* within a profile, the kind is taken in cs(7)'s order: 3a, 3b, 3c, 3d, 3e */
	ok(lookup("order-a", &c, &err) == -1 && strstr(err.msg, "web identity of profile 'order-a'"),
	    "order: role_arn + web_identity_token_file (3a) before source_profile: %s", err.msg);
	ok(lookup("order-b", &c, &err) == -1 &&
	    strstr(err.msg, "of profile 'order-b' (with profile static): no answer from STS"),
	    "order: role_arn + source_profile (3b) before IAM Identity Center: %s", err.msg);
	ok(lookup("order-c", &c, &err) == -1 && strstr(err.msg, "no cached token"),
	    "order: IAM Identity Center (3c) before static keys: %s", err.msg);
	ok(lookup("order-d", &c, &err) == 0 && strcmp(c.access_key, "AKIDORDERD") == 0,
	    "order: static keys (3d) before credential_process (3e)");
	aws_creds_clear(&c);
	remove_file("config");
	remove_file("credentials");
}

/* creds_scrub: every occurrence, in place, and an end even when the secret looks like its mask */
static void
test_scrub(void)
{
	char m1[] = "a SECRETMARK-s1 b SECRETMARK-s1", m2[] = "key=short123 ok", m3[] = "x ******** y",
	    m4[] = "x (redacted) y", m5[] = "short";

	creds_scrub(m1, "SECRETMARK-s1");
	is_str(m1, "a (redacted) b (redacted)", "scrub: each occurrence");
	creds_scrub(m2, "short123");
	is_str(m2, "key=******** ok", "scrub: a secret shorter than (redacted) blanked in place");
	creds_scrub(m3, "********");
	is_str(m3, "x ******** y", "scrub: a secret of stars ends");
	creds_scrub(m4, "(redacted)");
	is_str(m4, "x (redacted) y", "scrub: a secret that is its own mask ends");
	creds_scrub(m5, "short");
	is_str(m5, "short", "scrub: under 8 bytes left alone");
}

/* cs(7): source_profile chains of up to 16 profiles */
static void
test_chain_length(void)
{
	struct aws_creds c;
	struct cs_err err;
	struct buf conf = BUF_INIT;
	int i;

	clear_env();
	use_files();
	/* c0 -> ... -> c15 (16 profiles, c15 with keys); d0 -> ... -> d16 (17) */
	for (i = 0; i < 15; i++)
		buf_printf(&conf, "[profile c%d]\nrole_arn = arn:aws:iam::1:role/c%d\n"
		    "source_profile = c%d\n", i, i, i + 1);
	buf_printf(&conf, "[profile c15]\naws_access_key_id = AKIDC15\n"
	    "aws_secret_access_key = SECRETMARK-c15\n");
	for (i = 0; i < 16; i++)
		buf_printf(&conf, "[profile d%d]\nrole_arn = arn:aws:iam::1:role/d%d\n"
		    "source_profile = d%d\n", i, i, i + 1);
	buf_printf(&conf, "[profile d16]\naws_access_key_id = AKIDD16\n"
	    "aws_secret_access_key = SECRETMARK-d16\n");
	write_file("config", conf.data, 0600);
	ok(lookup("c0", &c, &err) == -1 &&
	    strstr(err.msg, "role/c14 of profile 'c14' (with profile c15): no answer from STS"),
	    "chain: 16 profiles are followed to the keys: %s", err.msg);
	ok(lookup("d0", &c, &err) == -1 &&
	    strstr(err.msg, "AWS profile 'd0': more than 16 profiles in its source_profile chain"),
	    "chain: a 17th is refused: %s", err.msg);
	remove_file("config");
	buf_free(&conf);
}

static void
test_nothing(void)
{
	struct aws_creds c;
	struct cs_err err;
	struct buf want = BUF_INIT;

	clear_env();
	buf_printf(&want, "no AWS credentials: tried environment (AWS_ACCESS_KEY_ID), "
	    "web identity (AWS_WEB_IDENTITY_TOKEN_FILE), "
	    "profile 'default' in %s/.aws/credentials and %s/.aws/config, "
	    "container credentials (not configured), "
	    "EC2 instance metadata (disabled by AWS_EC2_METADATA_DISABLED)", dir, dir);
	ok(lookup(NULL, &c, &err) == -1, "nothing: fails");
	is_str(err.msg, want.data, "nothing: one line naming every source tried");
	buf_free(&want);
}

int
main(int argc, char **argv)
{
	struct stat st;
	const char *slash;

	(void)argc;
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(stub_script, sizeof stub_script, "tests/stubs/metadata.py");
	slash = strrchr(argv[0], '/');
	if (stat(stub_script, &st) != 0 && slash)
		snprintf(stub_script, sizeof stub_script, "%.*s/../../../tests/stubs/metadata.py",
		    (int)(slash - argv[0]), argv[0]);
	setenv("HOME", dir, 1);
	/* the stub is on loopback: no proxy in between */
	unsetenv("http_proxy");
	unsetenv("all_proxy");
	unsetenv("ALL_PROXY");

	test_scrub();
	test_nothing();
	test_env();
	test_files();
	test_process();
	test_container();
	test_imds();
	test_roles();
	test_chain_length();

	ok(errors.len > 0 && !strstr(errors.data, "SECRETMARK") && !strstr(errors.data, "TOKENMARK") &&
	    !strstr(errors.data, "AUTHMARK") && !strstr(errors.data, "stub-"),
	    "no secret, token or answer body in any error message");
	buf_free(&errors);
	remove_file("stub.port");
	remove_file("stub.log");
	is_int(rmdir(dir), 0, "the temporary folder is left empty");
	return done_testing();
}
