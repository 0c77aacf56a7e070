/*
 * pace.h - when a record may leave under cs-put's --rate and
 * --replay-speed: at most RATE records a second from the first one on,
 * and no sooner than its "timestamp" (RFC 3339) after the first record's,
 * divided by REPLAY.  A record without a usable "timestamp" is paced by
 * the rate alone.
 */
#ifndef CS_PACE_H
#define CS_PACE_H

#include <stddef.h>
#include <stdint.h>

#include "json.h"

struct pacer {
	double rate;             /* records per second (0: no limit) */
	double replay;           /* replay speed (0: no replay) */
	uint64_t start_ms;       /* when the first record was paced */
	uint64_t paced;          /* records paced so far */
	int64_t ts0;             /* the first record's timestamp (0: none yet) */
	struct json_doc doc;
};

void pacer_init(struct pacer *pc, double rate, double replay);
void pacer_free(struct pacer *pc);
/* 1 when records are paced at all */
int pacer_on(const struct pacer *pc);
/* When the record DATA[0..len) may leave (ms since the epoch; 0: now). */
uint64_t pacer_due(struct pacer *pc, const char *data, size_t len);

#endif
