/*
 * pace.h - when a record may leave under cs-put's --rate and
 * --replay-speed: at most RATE records a second from the first one on,
 * and no sooner than its "timestamp" (RFC 3339) after the first record's,
 * divided by REPLAY.  A record without a usable "timestamp" is paced by
 * the rate alone.
 *
 * Pacing's one home: when a record may leave, and the one record held
 * back until then (pacer_hold), handed to the putter once it is due.
 */
#ifndef CS_PACE_H
#define CS_PACE_H

#include <stddef.h>
#include <stdint.h>

#include "cs.h"
#include "json.h"
#include "putter.h"

/* the record read but held back until it is due */
struct pace_held {
	uint64_t due;            /* 0: none held */
	struct buf data, key, ehk;
	const char *source;
	uint64_t line;
};

struct pacer {
	double rate;             /* records per second (0: no limit) */
	double replay;           /* replay speed (0: no replay) */
	uint64_t start_ms;       /* when the first record was paced */
	uint64_t paced;          /* records paced so far */
	int64_t ts0;             /* the first record's timestamp (0: none yet) */
	struct json_doc doc;
	struct pace_held held;
};

void pacer_init(struct pacer *pc, double rate, double replay);
void pacer_free(struct pacer *pc);
/* 1 when records are paced at all */
int pacer_on(const struct pacer *pc);
/* When the record DATA[0..len) may leave (ms since the epoch; 0: now). */
uint64_t pacer_due(struct pacer *pc, const char *data, size_t len);
/* The same with DATA already parsed into DOC (NULL: not parsed, or not JSON: parsed here). */
uint64_t pacer_due_doc(struct pacer *pc, const char *data, size_t len,
    const struct json_doc *doc);

/* Hold the record (copied) until DUE; one at a time (none may be held yet). */
void pacer_hold(struct pacer *pc, uint64_t due, const char *data, size_t len,
    const char *key, size_t keylen, const char *ehk, size_t ehklen, const char *source,
    uint64_t line);
/* When the held record is due, 0 when none is held. */
uint64_t pacer_held_due(const struct pacer *pc);
/* Hand the held record (if any) to P now. */
void pacer_release(struct pacer *pc, struct putter *p);
/* Hand it over if it is due by NOW; 1 while one is still held back. */
int pacer_release_due(struct pacer *pc, struct putter *p, uint64_t now);
/* The ms until the held record is due (0: now), at most CAP; -1 when none is held. */
int pacer_wait_ms(const struct pacer *pc, uint64_t now, int cap);

#endif
