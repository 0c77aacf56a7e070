/*
 * msg.h - the one message format of every tool: "prog: what: why" on
 * stderr; usage errors, progress, closing stdout.  The tool layer: only
 * cmd/ and lib/tool call these (the library below hands its lines to a
 * struct cs_log, and the tool gives it cs_log_warn or cs_log_raw).
 */
#ifndef CS_MSG_H
#define CS_MSG_H

#include "cs.h"

/* The program name, set once by main() before anything is printed. */
void cs_setprog(const char *argv0);
const char *cs_prog(void);
void cs_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* like cs_warnx with ": strerror(errno)" appended */
void cs_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* one line and "try 'PROG --help'" on stderr, exit CS_EXIT_USAGE */
void cs_usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
/* only "try 'PROG --help'" (after getopt_long has said what is wrong), exit CS_EXIT_USAGE */
void cs_usage_try(void) __attribute__((noreturn));
void cs_die(int status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));
/* The progress line on stderr (a terminal): "\rPROG: " and the text, the rest of the line cleared, no newline. */
void cs_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Clear the progress line, before a message or the summary takes its place. */
void cs_progress_clear(void);
/* Flush and close stdout; on failure print a message and return -1. */
int cs_close_stdout(void);

/* cs_log_fn: LINE as one message, "PROG: LINE" (as cs_warnx). */
int cs_log_warn(void *ctx, const char *line, size_t len);
/* cs_log_fn: LINE as it is, with a newline, in one write to stderr (a JSON line). */
int cs_log_raw(void *ctx, const char *line, size_t len);
/* The two as logs to give the library. */
extern const struct cs_log cs_warn_log, cs_raw_log;

#endif
