/*
 * creds_process.c - credential_process: a command whose standard output
 * is the JSON document the AWS CLI defines.
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include "credsint.h"

extern char **environ;

#define PROCESS_MAX_OUTPUT (64 * 1024)
#define PROCESS_TIMEOUT_MS (2 * 60 * 1000) /* it may ask for an MFA code on the terminal */

#define PROCESS_MAX_STDERR (16 * 1024)
#define STDERR_SHOWN 400 /* bytes of its stderr in the error message */

/*
 * Run COMMAND with sh -c: its stdout into OUT (at most
 * PROCESS_MAX_OUTPUT bytes), its stderr into ERRTEXT (at most
 * PROCESS_MAX_STDERR, the rest dropped), stdin from /dev/null (stdin may
 * be the tool's data).  Its stderr is never passed through: a helper may
 * print a secret there.  Killed after PROCESS_TIMEOUT_MS.  0 when it
 * exited 0; else -1 with WHY saying how it ended.
 */
static int
run_process(const char *command, struct buf *out, struct buf *errtext, char *why, size_t whylen)
{
	posix_spawn_file_actions_t fa;
	char *argv[4];
	int fds[2], efds[2], status, rc = -1, toobig = 0, timedout = 0, open_fds = 2;
	uint64_t deadline = cs_now_ms() + PROCESS_TIMEOUT_MS;
	pid_t pid;
	char chunk[4096];
	ssize_t n;

	if (pipe2(fds, O_CLOEXEC) < 0) {
		snprintf(why, whylen, "cannot make a pipe: %s", strerror(errno));
		return -1;
	}
	if (pipe2(efds, O_CLOEXEC) < 0) {
		snprintf(why, whylen, "cannot make a pipe: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	posix_spawn_file_actions_adddup2(&fa, efds[1], 2);
	argv[0] = (char *)"sh";
	argv[1] = (char *)"-c";
	argv[2] = (char *)command;
	argv[3] = NULL;
	errno = posix_spawn(&pid, "/bin/sh", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	close(efds[1]);
	if (errno) {
		snprintf(why, whylen, "cannot run /bin/sh: %s", strerror(errno));
		close(fds[0]);
		close(efds[0]);
		return -1;
	}
	while (open_fds > 0) {
		struct pollfd pfd[2] = { { fds[0], POLLIN, 0 }, { efds[0], POLLIN, 0 } };
		uint64_t now = cs_now_ms();
		int pr, k;

		if (now >= deadline) {
			timedout = 1;
			kill(pid, SIGKILL);
			break;
		}
		pr = poll(pfd, 2, (int)(deadline - now));
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			continue; /* the deadline check above ends it */
		for (k = 0; k < 2; k++) {
			if (pfd[k].fd < 0 || !(pfd[k].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			n = read(pfd[k].fd, chunk, sizeof chunk);
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n <= 0) {
				close(pfd[k].fd);
				if (k == 0)
					fds[0] = -1;
				else
					efds[0] = -1;
				open_fds--;
				continue;
			}
			if (k == 1) {
				if (errtext->len + (size_t)n <= PROCESS_MAX_STDERR)
					buf_add(errtext, chunk, (size_t)n);
			} else if (out->len + (size_t)n > PROCESS_MAX_OUTPUT) {
				toobig = 1;
			} else {
				buf_add(out, chunk, (size_t)n);
			}
		}
	}
	OPENSSL_cleanse(chunk, sizeof chunk);
	if (fds[0] >= 0)
		close(fds[0]);
	if (efds[0] >= 0)
		close(efds[0]);
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

/*
 * The values of "SecretAccessKey", "SessionToken" and "Token" in the
 * answer, read leniently: a failed helper's output need not be valid JSON
 * to hold its secret.
 */
static void
secrets_of(const char *text, size_t len, struct buf *vals, size_t *nvals, size_t max)
{
	static const char *const keys[] = { "\"SecretAccessKey\"", "\"SessionToken\"", "\"Token\"" };
	size_t i;

	*nvals = 0;
	for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		const char *at = text, *end = text + len;
		size_t kl = strlen(keys[i]);

		while (*nvals < max && (at = memmem(at, (size_t)(end - at), keys[i], kl)) != NULL) {
			const char *v = at + kl, *q;

			while (v < end && (*v == ' ' || *v == '\t' || *v == ':'))
				v++;
			at += kl;
			if (v >= end || *v != '"')
				continue;
			v++;
			q = memchr(v, '"', (size_t)(end - v));
			if (!q || q == v)
				continue;
			buf_add(&vals[(*nvals)++], v, (size_t)(q - v));
		}
	}
}

/*
 * What the process said on stderr, for the error message: one line (line
 * ends as " | ", other control characters as '?'), at most STDERR_SHOWN
 * bytes, with every secret the tool knows removed: those of its answer,
 * of the environment and any run of 16 or more characters that looks
 * like a key ([A-Za-z0-9+/=]) after "secret" or "token" in the text.
 */
static void
stderr_line(const struct buf *errtext, const struct buf *answer, struct buf *line)
{
	struct buf vals[8] = { BUF_INIT, BUF_INIT, BUF_INIT, BUF_INIT, BUF_INIT, BUF_INIT, BUF_INIT,
		BUF_INIT };
	struct buf text = BUF_INIT;
	const char *env[] = { cs_getenv("AWS_SECRET_ACCESS_KEY"), cs_getenv("AWS_SESSION_TOKEN") };
	size_t nvals, i;
	char *scratch;

	if (!errtext->len)
		return;
	for (i = 0; i < errtext->len; i++) {
		unsigned char ch = (unsigned char)errtext->data[i];

		if (ch == '\n') {
			if (i + 1 < errtext->len)
				buf_adds(&text, " | ");
		} else if (ch == '\r') {
			continue;
		} else {
			buf_addc(&text, ch < 0x20 || ch == 0x7f ? '?' : (char)ch);
		}
	}
	while (text.len && text.data[text.len - 1] == ' ')
		text.data[--text.len] = '\0';
	if (!text.len) {
		buf_free(&text);
		return;
	}
	secrets_of(answer->data ? answer->data : "", answer->len, vals, &nvals, 8);
	/* every redaction below leaves the text as long or shorter: done in place */
	scratch = text.data;
	for (i = 0; i < nvals; i++)
		creds_scrub(scratch, vals[i].data);
	for (i = 0; i < 2; i++)
		creds_scrub(scratch, env[i]);
	{
		/* a key-like run after the word secret or token */
		char *w = scratch;

		while (*w) {
			char *hit = NULL, *q;
			size_t k;

			for (q = w; *q && !hit; q++)
				if (strncasecmp(q, "secret", 6) == 0 || strncasecmp(q, "token", 5) == 0)
					hit = q;
			if (!hit)
				break;
			q = hit + strcspn(hit, " :=\"'");
			q += strspn(q, " :=\"'");
			for (k = 0; q[k] && (isalnum((unsigned char)q[k]) || strchr("+/=_-", q[k])); k++)
				;
			if (k >= 16) {
				memmove(q + 10, q + k, strlen(q + k) + 1);
				memcpy(q, "(redacted)", 10);
				q += 10;
			} else {
				q = hit + 1;
			}
			w = q;
		}
	}
	if (strlen(scratch) > STDERR_SHOWN) {
		scratch[STDERR_SHOWN] = '\0';
		buf_adds(line, scratch);
		buf_adds(line, "...");
	} else {
		buf_adds(line, scratch);
	}
	for (i = 0; i < 8; i++)
		buf_wipe_free(&vals[i]);
	buf_wipe_free(&text);
}

int
creds_process(const char *profile, const char *command, const char *file,
    struct aws_creds *out, struct cs_err *err)
{
	struct buf answer = BUF_INIT, errtext = BUF_INIT, what = BUF_INIT, source = BUF_INIT;
	struct buf said = BUF_INIT;
	char why[128];
	int rc = -1;

	buf_printf(&what, "credential_process of profile '%s' in '%s'", profile, file);
	buf_printf(&source, "profile %s (credential_process)", profile);
	if (run_process(command, &answer, &errtext, why, sizeof why) < 0) {
		/* its stdout may hold secrets: it is not quoted; its stderr, cleaned, once */
		stderr_line(&errtext, &answer, &said);
		cs_err_set(err, "%s failed: %s%s%s", what.data, why, said.len ? ": " : "",
		    said.len ? said.data : "");
		goto out;
	}
	if (creds_from_json(answer.data ? answer.data : "", answer.len, 1, out, source.data,
	    what.data, err) < 0)
		goto out;
	rc = 1;
out:
	buf_wipe_free(&answer);
	buf_wipe_free(&errtext);
	buf_wipe_free(&said);
	buf_free(&what);
	buf_free(&source);
	return rc;
}
