/*
 * input.h - the lines of FILE... (standard input when there is none, or
 * for "-"), one file after another, without blocking.
 *
 * A tool's loop asks for the next line; when none is there yet it waits
 * for input_fd() together with its own timers and requests, then asks
 * again.  A file that cannot be opened or read is reported once and the
 * next one follows.
 */
#ifndef CS_INPUT_H
#define CS_INPUT_H

#include <stddef.h>

#include "cs.h"
#include "ndjson.h"

enum input_status {
	INPUT_LINE,     /* *line, *len: the line r.lineno of SOURCE */
	INPUT_TOOLONG,  /* as NDJSON_TOOLONG: *line, *len its first bytes, r.toolong_len its length */
	INPUT_WAIT,     /* no whole line yet: wait for input_fd() to be readable, then ask again */
	INPUT_AGAIN,    /* a read was interrupted by a signal: check the flags, then ask again */
	INPUT_ERROR,    /* an input could not be opened or read (err); ask again for the next one */
	INPUT_END,      /* every input was read */
};

struct input {
	char **files;
	int nfiles, next;       /* next: the index of the file after the open one */
	size_t maxline;
	int open;               /* r is open */
	struct ndjson_reader r;     /* the file being read: r.name, r.lineno */
	const char *source;     /* its name, "<stdin>" or the path: it outlives the reader */
};

/* Read FILES (NFILES of them; none: standard input), lines of at most MAXLINE bytes. */
void input_init(struct input *in, char **files, int nfiles, size_t maxline);
/* The next line, opening the next file where one ends.  Never blocks. */
enum input_status input_next(struct input *in, const char **line, size_t *len,
    struct cs_err *err);
/* The descriptor to wait on after INPUT_WAIT. */
int input_fd(const struct input *in);
/*
 * Where the input stopped, for a run that stops before its end: 0 when every
 * line was read; else 1 with "FILE:LINE" on WHERE, the first line not taken
 * (so that "tail -n +LINE FILE" resumes), and the files after it, not opened
 * either, on LATER ("b.ndjson, c.ndjson"; nothing when there is none).
 */
int input_unread(const struct input *in, struct buf *where, struct buf *later);
/* The message of a run that stopped early ("stopped before a:3001: ..."); 0 when all was read. */
int input_unread_msg(const struct input *in, struct buf *msg);
/* Close the file being read, if any (the rest of the input is left unread). */
void input_close(struct input *in);

#endif
