/* err.c - errors handed up (struct cs_err), lines handed to a log callback, the exit status (see cs.h). */
#include <stdarg.h>
#include <stdio.h>

#include "cs.h"

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
cs_logf(const struct cs_log *l, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;
	int rc;

	if (!l || !l->fn)
		return 0;
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	rc = l->fn(l->ctx, b.data ? b.data : "", b.len);
	buf_free(&b);
	return rc;
}
