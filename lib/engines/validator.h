/*
 * validator.h - cs-validate's work on one record: parse it (a cs-tail
 * envelope opened, a double-encoded record decoded), apply the rules,
 * then write it to the output or send it to the rejects with its reason;
 * and keep the counts, by reason, for a summary.
 *
 * The eligible records go to an output descriptor, buffered and written
 * in large blocks; the rejects go to a struct rejects (lib/rejects.h)
 * that the caller opened and keeps.  Nothing here prints: a failure to
 * write is returned in a struct cs_err for the caller to report.
 */
#ifndef CS_VALIDATOR_H
#define CS_VALIDATOR_H

#include <stddef.h>
#include <stdint.h>

#include "cs.h"
#include "jqprog.h"
#include "rejects.h"

struct validator_config {
	int out_fd;                      /* the eligible records, one per line */
	struct rejects *rejects;         /* borrowed: the caller opens and closes it */
	struct jqprog *const *where;     /* borrowed: NWHERE compiled --where expressions */
	const char *const *where_src;    /* their text, for the reasons */
	size_t nwhere;
	const char *const *require;      /* borrowed: NREQUIRE field names */
	size_t nrequire;
	int default_rules;               /* the eight built-in rules */
	int keep_envelope;               /* write an eligible envelope as it is */
	/* NULL, or called before each reject is written (a progress line to clear) */
	void (*before_reject)(void *arg);
	void *arg;
};

/* counts by reason: a field name ("ip") or an error code ("InvalidJSON") */
struct validator_reason {
	char key[64];
	unsigned long long n;
};

/*
 * What validator_line, validator_toolong and validator_flush return:
 * go on, or stop reading.  With VALIDATOR_OUTPUT, ERR holds the write
 * error on the output, or is empty when its reader went away (EPIPE: a
 * quiet stop).  With VALIDATOR_REJECTS, rejects_write() failed: the
 * validator writes no more rejects, and rejects_close() tells why.
 */
enum validator_rc {
	VALIDATOR_OK = 0,
	VALIDATOR_OUTPUT = -1,
	VALIDATOR_REJECTS = -2,
};

/* CFG is copied; what it points to must outlive the validator. */
struct validator *validator_new(const struct validator_config *cfg);
void validator_free(struct validator *v);

/* LINE[0..len) (no line end), line LINENO of SOURCE (borrowed). */
int validator_line(struct validator *v, const char *source, uint64_t lineno,
    const char *line, size_t len, struct cs_err *err);
/*
 * A line over MAXLINE bytes, of which PREFIX[0..len) was kept; TOTAL is
 * the whole line's length (0 when not known): rejected as LineTooLong.
 */
int validator_toolong(struct validator *v, const char *source, uint64_t lineno,
    const char *prefix, size_t len, uint64_t total, size_t maxline, struct cs_err *err);
/* Write what is buffered for the output: VALIDATOR_OK or VALIDATOR_OUTPUT (also after an earlier failure). */
int validator_flush(struct validator *v, struct cs_err *err);
/* Bytes waiting in the output buffer. */
size_t validator_pending(const struct validator *v);
/* The output had a write error (not EPIPE). */
int validator_out_failed(const struct validator *v);
/* The output's reader went away (EPIPE). */
int validator_out_closed(const struct validator *v);
/* Eligible records written to the output whole (their line end too): less than eligible after a failure. */
unsigned long long validator_nwritten(const struct validator *v);

unsigned long long validator_nread(const struct validator *v);
unsigned long long validator_neligible(const struct validator *v);
unsigned long long validator_nrejected(const struct validator *v);
/* The counts by reason in the summary's order (the eight fields, other fields, record-level errors); *N set. */
const struct validator_reason *validator_reasons(struct validator *v, size_t *n);

#endif
