/*
 * ndjson.h - a line reader for newline-delimited input.
 *
 * One line = one record.  The reader strips the LF and a CR before it,
 * a UTF-8 byte order mark at the very start, and skips lines that are
 * empty (or only blanks).  A line longer than the cap is skipped whole
 * and reported as NDJSON_TOOLONG, never cut into a false record.  The line
 * number of the last line returned is in r->lineno (1-based, counting
 * skipped lines too), so every problem can be named "FILE:LINE".
 */
#ifndef CS_NDJSON_H
#define CS_NDJSON_H

#include <stddef.h>
#include <stdint.h>

#include "cs.h"

#define NDJSON_DEFAULT_MAXLINE (2u << 20) /* above Kinesis's 1 MiB record limit */
#define NDJSON_PREFIX_MAX 1024            /* bytes of an overlong line kept for the report */

enum ndjson_status {
	NDJSON_AGAIN = -2,   /* read() was interrupted by a signal: check flags, call again */
	NDJSON_READERR = -1, /* read error: errno is set */
	NDJSON_EOF = 0,
	NDJSON_LINE = 1,     /* *line, *len: the line, without its end */
	NDJSON_TOOLONG = 2,  /* the line was over the cap and was skipped; *line, *len: its first bytes */
};

struct ndjson_reader {
	int fd;
	int own_fd;
	char *name;       /* "<stdin>" or the path */
	uint64_t lineno;  /* line number of the last line returned */
	size_t maxline;
	char *buf;
	size_t cap, pos, end;
	int eof;
	int at_start;     /* nothing read yet: a BOM may follow */
	uint64_t bytes;   /* bytes read so far */
	int discarding;   /* inside an overlong line */
	char prefix[NDJSON_PREFIX_MAX];
	size_t prefixlen;
	uint64_t toolong_len; /* after NDJSON_TOOLONG: the whole line's length (its LF excluded) */
};

/* Open PATH ("-" or NULL: standard input).  -1 with err on failure. */
int ndjson_open(struct ndjson_reader *r, const char *path, size_t maxline, struct cs_err *err);
/* Read from an already open descriptor, named NAME in messages (not closed). */
void ndjson_init_fd(struct ndjson_reader *r, int fd, const char *name, size_t maxline);
/* The next line.  *line points into the reader's buffer, valid until the next call. */
enum ndjson_status ndjson_next(struct ndjson_reader *r, const char **line, size_t *len);
/* 1 when a whole line (or EOF) is buffered, so ndjson_next() will not block. */
int ndjson_ready(const struct ndjson_reader *r);
void ndjson_close(struct ndjson_reader *r);

#endif
