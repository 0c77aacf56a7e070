/* input.c - the lines of FILE... or standard input, without blocking (see input.h). */
#include <errno.h>
#include <poll.h>
#include <string.h>

#include "input.h"

static char *stdin_only[] = { "-" };

void
input_init(struct input *in, char **files, int nfiles, size_t maxline)
{
	memset(in, 0, sizeof *in);
	if (nfiles == 0) {
		files = stdin_only;
		nfiles = 1;
	}
	in->files = files;
	in->nfiles = nfiles;
	in->maxline = maxline;
	in->r.fd = -1;
}

static int
readable(int fd)
{
	struct pollfd pfd = { fd, POLLIN, 0 };

	return poll(&pfd, 1, 0) > 0;
}

enum input_status
input_next(struct input *in, const char **line, size_t *len, struct cs_err *err)
{
	for (;;) {
		enum ndjson_status st;

		if (!in->open) {
			const char *f;

			if (in->next == in->nfiles)
				return INPUT_END;
			f = in->files[in->next++];
			if (ndjson_open(&in->r, f, in->maxline, err) != 0)
				return INPUT_ERROR;
			in->open = 1;
			in->source = strcmp(f, "-") == 0 ? "<stdin>" : f;
		}
		if (!ndjson_ready(&in->r) && !readable(in->r.fd))
			return INPUT_WAIT;
		st = ndjson_next(&in->r, line, len);
		switch (st) {
		case NDJSON_LINE:
			return INPUT_LINE;
		case NDJSON_TOOLONG:
			return INPUT_TOOLONG;
		case NDJSON_AGAIN:
			return INPUT_AGAIN;
		case NDJSON_READERR:
			cs_err_set(err, "cannot read '%s': %s", in->r.name, strerror(errno));
			input_close(in);
			return INPUT_ERROR;
		case NDJSON_EOF:
			input_close(in);
			break;
		}
	}
}

int
input_fd(const struct input *in)
{
	return in->open ? in->r.fd : -1;
}

static const char *
name_of(const struct input *in, int i)
{
	return strcmp(in->files[i], "-") == 0 ? "<stdin>" : in->files[i];
}

int
input_unread(const struct input *in, struct buf *where, struct buf *later)
{
	const struct ndjson_reader *r = &in->r;
	int i = in->next;

	/* the open file has no line left: what follows starts with the next file */
	if (in->open && !(r->eof && r->pos == r->end && !r->discarding)) {
		buf_printf(where, "%s:%llu", in->source, (unsigned long long)r->lineno + 1);
	} else if (i < in->nfiles) {
		buf_printf(where, "%s:1", name_of(in, i));
		i++;
	} else {
		return 0;
	}
	for (; i < in->nfiles; i++)
		buf_printf(later, "%s%s", later->len ? ", " : "", name_of(in, i));
	return 1;
}

int
input_unread_msg(const struct input *in, struct buf *msg)
{
	struct buf where = BUF_INIT, later = BUF_INIT;
	int r = input_unread(in, &where, &later);

	if (r) {
		buf_printf(msg, "stopped before %s: it and the lines after it were not read", where.data);
		if (later.len)
			buf_printf(msg, ", nor %s", later.data);
	}
	buf_free(&where);
	buf_free(&later);
	return r;
}

void
input_close(struct input *in)
{
	if (!in->open)
		return;
	ndjson_close(&in->r);
	in->open = 0;
}
