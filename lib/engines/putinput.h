/*
 * putinput.h - cs-put taking a line of input: its partition key and
 * explicit hash key (from putkey, or from a cs-tail -J envelope), the
 * checks (a bad line, an envelope that is not one, a line too long go to
 * the putter's rejects with their reason), and the pacing of --rate and
 * --replay-speed (lib/engines/pace.h): a record not due yet is held back
 * (one at a time) by the pacer until it is due.  A line is parsed once:
 * the document putkey made of the record serves the pacing too.
 */
#ifndef CS_PUTINPUT_H
#define CS_PUTINPUT_H

#include <stddef.h>
#include <stdint.h>

#include "cs.h"
#include "json.h"
#include "pace.h"
#include "putkey.h"
#include "putter.h"

struct putinput_config {
	struct putter *p;        /* borrowed: records are handed to it */
	struct putkey *keys;     /* borrowed */
	int envelope;            /* lines are cs-tail -J envelopes */
	int keyexpr, ehkexpr;    /* a key / an explicit hash key expression was given */
	double rate, replay;     /* see pace.h (0: none) */
};

struct putinput {
	struct putinput_config cfg;
	struct pacer pacer;
	struct json_doc doc;
	struct buf key, ehk, data, scratch;
};

void putinput_init(struct putinput *pi, const struct putinput_config *cfg);
void putinput_free(struct putinput *pi);

/*
 * Line LINE of SOURCE, S[0..n) (no newline): handed to the putter, or
 * rejected; or, when MAY_HOLD and pacing says it is not due yet, held back
 * (1).  SOURCE must outlive the putter's use of it.
 */
int putinput_take(struct putinput *pi, const char *s, size_t n, const char *source,
    uint64_t line, int may_hold);
/* A line of TOOLONG bytes, S[0..n) its first ones: rejected ("RecordTooLarge"). */
void putinput_toolong(struct putinput *pi, const char *s, size_t n, const char *source,
    uint64_t line, size_t toolong);
/* When the held record is due (ms since the epoch), or 0 when none is held. */
uint64_t putinput_held_due(const struct putinput *pi);
/* Hand the held record (if any) to the putter now. */
void putinput_release(struct putinput *pi);
/* Hand it over if it is due now; 1 while one is still held back (read no further). */
int putinput_release_due(struct putinput *pi);
/* The ms until the held record is due, at most CAP; -1 when none is held. */
int putinput_wait_ms(const struct putinput *pi, int cap);

#endif
