/*
 * jvexact.h - jq's output as JSON text, with the input's numbers exact.
 *
 * libjq 1.6 holds every number as a double, so a number of more than
 * about 17 significant digits comes out of a jq program rounded.  Before
 * running the program, note the text of every number of the input
 * (jvexact_scan); when the output holds a double that one of them
 * parses to, the input's text is written instead.  A double that two
 * different input numbers share (12345678901234567890 and ...891) cannot
 * be told apart: jvexact_dump refuses it with a reason.  Numbers the
 * program computes are written in the shortest form that reads back to
 * the same double.
 */
#ifndef CS_JVEXACT_H
#define CS_JVEXACT_H

#include <jv.h>

#include "cs.h"
#include "json.h"

struct jvexact_num;

struct jvexact {
	struct jvexact_num *v;
	size_t n, cap;
	int sorted;
};

void jvexact_init(struct jvexact *x);
void jvexact_free(struct jvexact *x);
/* Forget the last record's numbers and note those of DOC (which must outlive the dumps). */
void jvexact_scan(struct jvexact *x, const struct json_doc *doc);
/* Append V (borrowed) as JSON text to OUT.  0, or -1 with a reason in WHY. */
int jvexact_dump(struct jvexact *x, jv v, struct buf *out, char *why, size_t whylen);
/* The shortest text that reads back as D (finite), into OUT (>= 32 bytes). */
void jvexact_fmt_double(double d, char *out, size_t outlen);

#endif
