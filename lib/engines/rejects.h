/*
 * rejects.h - the rejects output: where every record that is not
 * delivered ends, with its reason.
 *
 * With a file (--rejects FILE, "-" for stdout) each reject is one NDJSON line:
 *   {"source":"capture.ndjson","line":12,"error":"InvalidField",
 *    "reason":"ip: not an IPv4 or IPv6 address","record":"<the line>"}
 * "record" holds the original line as a JSON string; a line that is not
 * valid UTF-8 is kept exactly as "record_base64" instead.  Extra members
 * (a shard, a sequence number, ...) can be added by the caller.
 * Without a file each reject is one line "SOURCE:LINE: reason" handed to
 * the log given with rejects_set_log (the tool prints it on stderr as
 * "prog: SOURCE:LINE: reason").
 */
#ifndef CS_REJECTS_H
#define CS_REJECTS_H

#include <stddef.h>
#include <stdint.h>

#include "cs.h"

struct reject {
	const char *source;   /* file name, "<stdin>", "POST /report", ... */
	uint64_t line;        /* 0 when there is none */
	const char *error;    /* a short code: "InvalidJSON", "ProvisionedThroughputExceededException" */
	const char *reason;   /* one human sentence, no newline */
	const char *data;     /* the original record */
	size_t len;
	const char *extra;    /* NULL, or JSON members to add: "\"shard\":\"x\",\"seq\":\"1\"" */
};

struct rejects;

/*
 * PATH: a file, created if need be and appended to (never truncated: it may
 * hold an earlier run's rejects, or another process's of this run; each
 * line is written whole), "-" for stdout, NULL for stderr lines.
 */
struct rejects *rejects_open(const char *path, struct cs_err *err);
/* Where the lines go without a file (PATH NULL); without a log they go nowhere. */
void rejects_set_log(struct rejects *r, const struct cs_log *log);
int rejects_write(struct rejects *r, const struct reject *rj);
/* Push what was written so far to the file (a reader downstream sees it); -1 with err on a write error. */
int rejects_flush(struct rejects *r, struct cs_err *err);
/* Flush (and fsync a file) and close; -1 with err when anything failed to be written. */
int rejects_close(struct rejects *r, struct cs_err *err);
unsigned long rejects_count(const struct rejects *r);
/* The counts by error code ("InvalidJSON", "ip", ...), in order of first sight; *N set. */
struct rejects_by_error {
	char *error;
	unsigned long count;
};
const struct rejects_by_error *rejects_errors(const struct rejects *r, size_t *n);
/* Append the JSON line of RJ (with its newline) to OUT, as written to a file. */
void rejects_format(struct buf *out, const struct reject *rj);

#endif
