/* msg.c - the one message format of every tool: "prog: what: why"; usage errors, progress (see msg.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cs.h"
#include "msg.h"

static const char *progname = "cs";

static void
say_oom(void)
{
	static const char m[] = ": out of memory\n";

	/* no allocation here: two writes, whatever they give */
	if (write(2, progname, strlen(progname)) > 0)
		(void)!write(2, m, sizeof m - 1);
}

void
cs_setprog(const char *argv0)
{
	const char *slash = argv0 ? strrchr(argv0, '/') : NULL;

	if (argv0)
		progname = slash ? slash + 1 : argv0;
	cs_set_oom_handler(say_oom);
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

const struct cs_log cs_warn_log = { cs_log_warn, NULL };
const struct cs_log cs_raw_log = { cs_log_raw, NULL };

int
cs_log_warn(void *ctx, const char *line, size_t len)
{
	(void)ctx;
	cs_warnx("%.*s", (int)len, line);
	return 0;
}

int
cs_log_raw(void *ctx, const char *line, size_t len)
{
	struct buf b = BUF_INIT;
	int rc;

	(void)ctx;
	/* one write, so that the line never mixes with another writer's */
	buf_add(&b, line, len);
	buf_addc(&b, '\n');
	rc = cs_write_all(2, b.data, b.len, NULL);
	buf_free(&b);
	return rc;
}
