/* rejects.c - the rejects output (see rejects.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "rejects.h"

/* a file's lines are gathered here and written whole, never split */
#define REJECTS_FLUSH_AT (64u << 10)

struct rejects {
	FILE *f;          /* stdout for "-"; NULL for a file or for stderr lines */
	int fd;           /* the file, opened for appending; -1 when none */
	char *path;
	unsigned long count;
	struct rejects_by_error *by_error; /* counts by error code, in order of first sight */
	size_t nby_error, capby_error;
	int failed;
	int saved_errno;
	struct buf line;
	struct buf pending;
	struct cs_log log;  /* without a file: where the lines go */
};

struct rejects *
rejects_open(const char *path, struct cs_err *err)
{
	struct rejects *r = cs_calloc(1, sizeof *r);

	r->fd = -1;
	if (path && strcmp(path, "-") == 0) {
		r->f = stdout;
	} else if (path) {
		/*
		 * Appended to, never truncated: a rejects file may hold the
		 * records of an earlier run, or of the other processes of the
		 * same run (one per batch under cs-tail --exec), and each line
		 * goes out in one write(2) so that they never mix.
		 */
		r->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
		if (r->fd < 0) {
			cs_err_set(err, "cannot open '%s': %s", path, strerror(errno));
			free(r);
			return NULL;
		}
		r->path = cs_strdup(path);
	}
	return r;
}

void
rejects_set_log(struct rejects *r, const struct cs_log *log)
{
	r->log = *log;
}

void
rejects_format(struct buf *out, const struct reject *rj)
{
	size_t bad;

	buf_adds(out, "{\"source\":");
	json_escape_str(out, rj->source);
	if (rj->line)
		buf_printf(out, ",\"line\":%llu", (unsigned long long)rj->line);
	buf_adds(out, ",\"error\":");
	json_escape_str(out, rj->error ? rj->error : "Rejected");
	buf_adds(out, ",\"reason\":");
	json_escape_str(out, rj->reason);
	if (rj->extra && *rj->extra) {
		buf_addc(out, ',');
		buf_adds(out, rj->extra);
	}
	if (rj->data) {
		if (utf8_valid(rj->data, rj->len, &bad)) {
			buf_adds(out, ",\"record\":");
			json_escape(out, rj->data, rj->len);
		} else {
			buf_adds(out, ",\"record_base64\":\"");
			cs_base64_encode(out, (const unsigned char *)rj->data, rj->len);
			buf_addc(out, '"');
		}
	}
	buf_adds(out, "}\n");
}

/* write the gathered lines in one go; -1 (and failed) on error */
static int
write_pending(struct rejects *r)
{
	if (r->pending.len && !r->failed && cs_write_all(r->fd, r->pending.data, r->pending.len, NULL) != 0) {
		r->failed = 1;
		r->saved_errno = errno;
	}
	buf_reset(&r->pending);
	return r->failed ? -1 : 0;
}

/* one more reject with error code CODE (one table entry per distinct code) */
static void
count_error(struct rejects *r, const char *code)
{
	size_t i;

	if (!code || !*code)
		code = "Rejected"; /* as the line says */
	for (i = 0; i < r->nby_error; i++)
		if (strcmp(r->by_error[i].error, code) == 0) {
			r->by_error[i].count++;
			return;
		}
	if (r->nby_error == r->capby_error) {
		r->capby_error = r->capby_error ? 2 * r->capby_error : 8;
		r->by_error = cs_realloc(r->by_error, r->capby_error * sizeof *r->by_error);
	}
	r->by_error[r->nby_error].error = cs_strdup(code);
	r->by_error[r->nby_error++].count = 1;
}

int
rejects_write(struct rejects *r, const struct reject *rj)
{
	r->count++;
	count_error(r, rj->error);
	if (!r->f && r->fd < 0) {
		if (rj->line)
			cs_logf(&r->log, "%s:%llu: %s", rj->source, (unsigned long long)rj->line,
			    rj->reason);
		else
			cs_logf(&r->log, "%s: %s", rj->source, rj->reason);
		return 0;
	}
	if (r->fd >= 0) {
		rejects_format(&r->pending, rj);
		if (r->pending.len >= REJECTS_FLUSH_AT)
			return write_pending(r);
		return r->failed ? -1 : 0;
	}
	buf_reset(&r->line);
	rejects_format(&r->line, rj);
	if (fwrite(r->line.data, 1, r->line.len, r->f) != r->line.len) {
		r->failed = 1;
		return -1;
	}
	return 0;
}

int
rejects_flush(struct rejects *r, struct cs_err *err)
{
	if (!r || (!r->f && r->fd < 0))
		return 0;
	if (r->fd >= 0)
		write_pending(r);
	else if (fflush(r->f) != 0 || ferror(r->f))
		r->failed = 1, r->saved_errno = errno;
	if (r->failed) {
		cs_err_set(err, "write error on '%s': %s", r->path ? r->path : "standard output",
		    strerror(r->saved_errno ? r->saved_errno : EIO));
		return -1;
	}
	return 0;
}

const struct rejects_by_error *
rejects_errors(const struct rejects *r, size_t *n)
{
	*n = r ? r->nby_error : 0;
	return r ? r->by_error : NULL;
}

unsigned long
rejects_count(const struct rejects *r)
{
	return r ? r->count : 0;
}

int
rejects_close(struct rejects *r, struct cs_err *err)
{
	int rc = 0;

	if (!r)
		return 0;
	if (r->f || r->fd >= 0)
		rc = rejects_flush(r, err);
	if (r->fd >= 0) {
		if (rc == 0 && fsync(r->fd) != 0 && errno != EINVAL && errno != EROFS) {
			cs_err_set(err, "cannot sync '%s': %s", r->path, strerror(errno));
			rc = -1;
		}
		if (close(r->fd) != 0 && rc == 0) {
			cs_err_set(err, "write error on '%s': %s", r->path, strerror(errno));
			rc = -1;
		}
	}
	buf_free(&r->line);
	buf_free(&r->pending);
	free(r->path);
	for (size_t i = 0; i < r->nby_error; i++)
		free(r->by_error[i].error);
	free(r->by_error);
	free(r);
	return rc;
}
