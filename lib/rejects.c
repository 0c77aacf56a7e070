/* rejects.c - the rejects output (see rejects.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "rejects.h"

struct rejects {
	FILE *f;          /* NULL: stderr lines */
	int own;          /* f was opened here */
	char *path;
	unsigned long count;
	int failed;
	struct buf line;
};

struct rejects *
rejects_open(const char *path, struct cs_err *err)
{
	struct rejects *r = cs_calloc(1, sizeof *r);

	if (path && strcmp(path, "-") == 0) {
		r->f = stdout;
	} else if (path) {
		r->f = fopen(path, "we");
		if (!r->f) {
			cs_err_set(err, "cannot open '%s': %s", path, strerror(errno));
			free(r);
			return NULL;
		}
		r->own = 1;
		r->path = cs_strdup(path);
	}
	return r;
}

void
rejects_format(struct buf *out, const struct reject *rj)
{
	size_t bad;

	buf_adds(out, "{\"source\":");
	json_escape(out, rj->source ? rj->source : "", rj->source ? strlen(rj->source) : 0);
	if (rj->line)
		buf_printf(out, ",\"line\":%llu", (unsigned long long)rj->line);
	buf_adds(out, ",\"error\":");
	json_escape(out, rj->error ? rj->error : "Rejected", strlen(rj->error ? rj->error : "Rejected"));
	buf_adds(out, ",\"reason\":");
	json_escape(out, rj->reason ? rj->reason : "", rj->reason ? strlen(rj->reason) : 0);
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

int
rejects_write(struct rejects *r, const struct reject *rj)
{
	r->count++;
	if (!r->f) {
		if (rj->line)
			cs_warnx("%s:%llu: %s", rj->source, (unsigned long long)rj->line, rj->reason);
		else
			cs_warnx("%s: %s", rj->source, rj->reason);
		return 0;
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
	if (!r || !r->f)
		return 0;
	if (fflush(r->f) != 0 || ferror(r->f) || r->failed) {
		r->failed = 1;
		cs_err_set(err, "write error on '%s': %s", r->path ? r->path : "standard output",
		    strerror(errno ? errno : EIO));
		return -1;
	}
	return 0;
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
	if (r->f) {
		if (fflush(r->f) != 0 || ferror(r->f) || r->failed) {
			cs_err_set(err, "write error on '%s': %s", r->path ? r->path : "standard output",
			    strerror(errno ? errno : EIO));
			rc = -1;
		} else if (r->own && fsync(fileno(r->f)) != 0 && errno != EINVAL && errno != EROFS) {
			cs_err_set(err, "cannot sync '%s': %s", r->path, strerror(errno));
			rc = -1;
		}
		if (r->own && fclose(r->f) != 0 && rc == 0) {
			cs_err_set(err, "write error on '%s': %s", r->path, strerror(errno));
			rc = -1;
		}
	}
	buf_free(&r->line);
	free(r->path);
	free(r);
	return rc;
}
