/* ndjson.c - the line reader of every tool (see ndjson.h). */
#include <errno.h>
#include <poll.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ndjson.h"

#define NDJSON_CHUNK (64u << 10)

void
ndjson_init_fd(struct ndjson_reader *r, int fd, const char *name, size_t maxline)
{
	memset(r, 0, sizeof *r);
	r->fd = fd;
	r->name = cs_strdup(name);
	r->maxline = maxline ? maxline : NDJSON_DEFAULT_MAXLINE;
	r->at_start = 1;
}

int
ndjson_open(struct ndjson_reader *r, const char *path, size_t maxline, struct cs_err *err)
{
	int fd;

	if (!path || strcmp(path, "-") == 0) {
		ndjson_init_fd(r, 0, "<stdin>", maxline);
		return 0;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		cs_err_set(err, "cannot open '%s': %s", path, strerror(errno));
		return -1;
	}
	ndjson_init_fd(r, fd, path, maxline);
	r->own_fd = 1;
	return 0;
}

void
ndjson_close(struct ndjson_reader *r)
{
	if (r->own_fd && r->fd >= 0)
		close(r->fd);
	free(r->buf);
	free(r->name);
	r->buf = NULL;
	r->name = NULL;
	r->fd = -1;
}

int
ndjson_ready(const struct ndjson_reader *r)
{
	return r->eof || (r->end > r->pos && memchr(r->buf + r->pos, '\n', r->end - r->pos));
}

/* read more input after the unread part; 0, NDJSON_AGAIN or NDJSON_READERR */
static int
fill(struct ndjson_reader *r)
{
	ssize_t got;
	size_t want = r->maxline + 1 + NDJSON_CHUNK;

	if (r->pos > 0 && (r->pos == r->end || r->cap - r->end < NDJSON_CHUNK)) {
		memmove(r->buf, r->buf + r->pos, r->end - r->pos);
		r->end -= r->pos;
		r->pos = 0;
	}
	if (r->cap - r->end < NDJSON_CHUNK) {
		size_t cap = r->cap ? r->cap * 2 : 2 * NDJSON_CHUNK;

		if (cap > want)
			cap = want;
		if (cap < r->end + NDJSON_CHUNK)
			cap = r->end + NDJSON_CHUNK;
		r->buf = cs_realloc(r->buf, cap);
		r->cap = cap;
	}
	got = read(r->fd, r->buf + r->end, r->cap - r->end);
	if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		/* a descriptor left non-blocking by whoever started us: wait as read(2) would */
		struct pollfd p = { .fd = r->fd, .events = POLLIN };

		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			return NDJSON_READERR;
		return NDJSON_AGAIN;
	}
	if (got < 0)
		return errno == EINTR ? NDJSON_AGAIN : NDJSON_READERR;
	if (got == 0)
		r->eof = 1;
	r->end += (size_t)got;
	r->bytes += (uint64_t)got;
	return 0;
}

static int
blank(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return 0;
	return 1;
}

static void
keep_prefix(struct ndjson_reader *r, const char *s, size_t n)
{
	size_t room = NDJSON_PREFIX_MAX - r->prefixlen;

	if (n > room)
		n = room;
	memcpy(r->prefix + r->prefixlen, s, n);
	r->prefixlen += n;
}

enum ndjson_status
ndjson_next(struct ndjson_reader *r, const char **line, size_t *len)
{
	for (;;) {
		char *p = r->buf ? r->buf + r->pos : NULL;
		size_t avail = r->end - r->pos, n;
		char *nl;
		int rc;

		if (r->at_start) {
			if (avail < 3 && !r->eof) {
				if ((rc = fill(r)) != 0)
					return rc;
				continue;
			}
			if (avail >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
				r->pos += 3;
			r->at_start = 0;
			continue;
		}
		nl = avail ? memchr(p, '\n', avail) : NULL;
		if (r->discarding) {
			if (nl || r->eof) {
				n = nl ? (size_t)(nl - p) : avail;
				keep_prefix(r, p, n);
				r->toolong_len += n;
				r->pos += nl ? n + 1 : n;
				r->discarding = 0;
				r->lineno++;
				*line = r->prefix;
				*len = r->prefixlen;
				return NDJSON_TOOLONG;
			}
			keep_prefix(r, p, avail);
			r->toolong_len += avail;
			r->pos = r->end;
			if ((rc = fill(r)) != 0)
				return rc;
			continue;
		}
		if (!nl && !r->eof && avail <= r->maxline) {
			if ((rc = fill(r)) != 0)
				return rc;
			continue;
		}
		if (!nl && r->eof && avail == 0)
			return NDJSON_EOF;
		n = nl ? (size_t)(nl - p) : avail;
		if (n > r->maxline + (n > 0 && p[n - 1] == '\r')) {
			if (!nl && !r->eof) {
				/* start discarding the rest of this line */
				r->prefixlen = 0;
				keep_prefix(r, p, avail);
				r->toolong_len = avail;
				r->pos = r->end;
				r->discarding = 1;
				continue;
			}
			r->prefixlen = 0;
			keep_prefix(r, p, n);
			r->toolong_len = n;
			r->pos += nl ? n + 1 : n;
			r->lineno++;
			*line = r->prefix;
			*len = r->prefixlen;
			return NDJSON_TOOLONG;
		}
		r->pos += nl ? n + 1 : n;
		r->lineno++;
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n == 0 || blank(p, n))
			continue;
		*line = p;
		*len = n;
		return NDJSON_LINE;
	}
}
