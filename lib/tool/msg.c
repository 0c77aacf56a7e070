/* msg.c - the one message format of every tool: "prog: what: why"; usage errors, progress, exit status. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cs.h"

static const char *progname = "cs";

void
cs_setprog(const char *argv0)
{
	const char *slash = argv0 ? strrchr(argv0, '/') : NULL;

	if (argv0)
		progname = slash ? slash + 1 : argv0;
}

const char *
cs_prog(void)
{
	return progname;
}

static void
vwarn(int with_errno, const char *fmt, va_list ap)
{
	int saved = errno;
	struct buf b = BUF_INIT;

	/* build the whole line first so concurrent writers never interleave */
	buf_printf(&b, "%s: ", progname);
	buf_vprintf(&b, fmt, ap);
	if (with_errno)
		buf_printf(&b, ": %s", strerror(saved));
	buf_addc(&b, '\n');
	fwrite(b.data, 1, b.len, stderr);
	fflush(stderr);
	buf_free(&b);
	errno = saved;
}

void
cs_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(0, fmt, ap);
	va_end(ap);
}

void
cs_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(1, fmt, ap);
	va_end(ap);
}

void
cs_usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(0, fmt, ap);
	va_end(ap);
	cs_usage_try();
}

void
cs_usage_try(void)
{
	fprintf(stderr, "try '%s --help'\n", progname);
	exit(CS_EXIT_USAGE);
}

void
cs_die(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(0, fmt, ap);
	va_end(ap);
	exit(status);
}

void
cs_progress(const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	buf_printf(&b, "\r%s: ", progname);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	buf_adds(&b, "\033[K");
	fwrite(b.data, 1, b.len, stderr);
	fflush(stderr);
	buf_free(&b);
}

void
cs_progress_clear(void)
{
	fputs("\r\033[K", stderr);
}

int
cs_exit_status(int service, int output, int interrupted, int input, int undelivered)
{
	if (service)
		return CS_EXIT_SERVICE;
	if (output)
		return CS_EXIT_OUTPUT;
	if (interrupted)
		return CS_EXIT_INTERRUPTED;
	if (input)
		return CS_EXIT_INPUT;
	return undelivered ? CS_EXIT_UNDELIVERED : CS_EXIT_OK;
}

int
cs_close_stdout(void)
{
	int bad = ferror(stdout);

	if (fclose(stdout) != 0 && errno != EPIPE)
		bad = 1;
	if (bad && errno != EPIPE) {
		cs_warn("write error on standard output");
		return -1;
	}
	return 0;
}

void
cs_err_clear(struct cs_err *e)
{
	e->msg[0] = '\0';
	e->code[0] = '\0';
	e->http_status = 0;
	e->retryable = 0;
}

void
cs_err_set(struct cs_err *e, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
}
