/*
 * jqprog.h - user expressions (--where, -k, -m) as jq programs run by libjq.
 */
#ifndef CS_JQPROG_H
#define CS_JQPROG_H

#include <jv.h>

#include "cs.h"

struct jqprog;

/* Compile PROGRAM; "@FILE" reads the program from FILE.  NULL with err on failure. */
struct jqprog *jqprog_compile(const char *program, struct cs_err *err);
/* Start a run on INPUT (consumes it). */
void jqprog_start(struct jqprog *p, jv input);
/* The next output: 1 and *out (caller owns), 0 when there are no more, -1 on error (err). */
int jqprog_next(struct jqprog *p, jv *out, struct cs_err *err);
/* Convenience: the first output only.  1 / 0 / -1 as jqprog_next (consumes input). */
int jqprog_first(struct jqprog *p, jv input, jv *out, struct cs_err *err);
void jqprog_free(struct jqprog *p);

#endif
