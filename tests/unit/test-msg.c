/* test-msg.c - messages, the progress line and the exit status (lib/msg.c). */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cs.h"
#include "msg.h"
#include "opts.h"
#include "tap.h"

static char path[] = "/tmp/test-msg.XXXXXX";

/* what went to stderr since the last call */
static const char *
stderr_text(void)
{
	static char text[4096];
	FILE *f;
	size_t n;

	fflush(stderr);
	f = fopen(path, "r");
	n = f ? fread(text, 1, sizeof text - 1, f) : 0;
	text[n] = '\0';
	if (f)
		fclose(f);
	if (!freopen(path, "w", stderr))
		exit(1);
	return text;
}

/* the exit status and stderr of F run in a child */
static int
child(void (*f)(void), const char **err)
{
	pid_t pid;
	int st;

	fflush(stdout); /* the child's exit must not write the TAP lines again */
	pid = fork();
	if (pid == 0) {
		f();
		_exit(99);
	}
	waitpid(pid, &st, 0);
	*err = stderr_text();
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void usage_try(void) { cs_usage_try(); }
static void usage_error(void) { cs_usage_error("--x: '%s' is not good", "y"); }
static void opt_number_bad(void) { cs_opt_number("parallel", "0", 1, 64); }
static void opt_number_junk(void) { cs_opt_number("limit", "9x", 0, 10); }

int
main(void)
{
	const char *err;
	int fd = mkstemp(path);

	if (fd < 0 || !freopen(path, "w", stderr)) {
		perror("mkstemp");
		return 1;
	}
	close(fd);
	cs_setprog("/usr/bin/cs-test");

	is_int(cs_exit_status(0, 0, 0, 0, 0), CS_EXIT_OK, "nothing wrong: 0");
	is_int(cs_exit_status(0, 0, 0, 0, 1), CS_EXIT_UNDELIVERED, "rejects: 1");
	is_int(cs_exit_status(0, 0, 0, 1, 1), CS_EXIT_INPUT, "an input before rejects");
	is_int(cs_exit_status(0, 0, 1, 1, 1), CS_EXIT_INTERRUPTED, "interrupted before an input");
	is_int(cs_exit_status(0, 1, 1, 1, 1), CS_EXIT_OUTPUT, "an output before interrupted");
	is_int(cs_exit_status(1, 1, 1, 1, 1), CS_EXIT_SERVICE, "the service before all");

	cs_progress("%d read, %s", 12, "3 rejected");
	is_str(stderr_text(), "\rcs-test: 12 read, 3 rejected\033[K", "the progress line, no newline");
	cs_progress_clear();
	is_str(stderr_text(), "\r\033[K", "cleared");

	is_int(child(usage_try, &err), CS_EXIT_USAGE, "cs_usage_try: exit 2");
	is_str(err, "try 'cs-test --help'\n", "and only the hint");
	is_int(child(usage_error, &err), CS_EXIT_USAGE, "cs_usage_error: exit 2");
	is_str(err, "cs-test: --x: 'y' is not good\ntry 'cs-test --help'\n", "the message, then the hint");
	is_int(child(opt_number_bad, &err), CS_EXIT_USAGE, "a number below the range: exit 2");
	is_str(err, "cs-test: --parallel: '0' is not a number from 1 to 64\ntry 'cs-test --help'\n",
	    "its message");
	is_int(child(opt_number_junk, &err), CS_EXIT_USAGE, "not a number: exit 2");
	is_str(err, "cs-test: --limit: '9x' is not a number from 0 to 10\ntry 'cs-test --help'\n",
	    "its message");
	is_int(cs_opt_number("parallel", "64", 1, 64), 64, "a number at the top of the range");
	unlink(path);
	return done_testing();
}
