/*
 * test-pace.c - pacing for cs-put --rate and --replay-speed: the due time
 * of each record from the first one's start, by rate, by timestamps, by
 * the later of the two; a record without a usable timestamp paced by the
 * rate alone.
 */
#include <string.h>

#include "pace.h"
#include "tap.h"

#define REC(ts) "{\"timestamp\":\"" ts "\",\"x\":1}"

static uint64_t
due(struct pacer *pc, const char *s)
{
	uint64_t d = pacer_due(pc, s, strlen(s));

	return d ? d - pc->start_ms : 0;
}

int
main(void)
{
	struct pacer pc;

	pacer_init(&pc, 0, 0);
	ok(!pacer_on(&pc), "no rate, no replay: off");
	pacer_free(&pc);

	pacer_init(&pc, 10, 0);
	ok(pacer_on(&pc), "a rate: on");
	is_int(due(&pc, "{}"), 0, "rate 10/s: the first at once");
	is_int(due(&pc, "{}"), 100, "the second 100 ms after the start");
	is_int(due(&pc, "{}"), 200, "the third 200 ms after");
	is_int(pc.paced, 3, "three paced");
	pacer_free(&pc);

	pacer_init(&pc, 0, 2);
	is_int(due(&pc, REC("2018-02-04T23:18:30.000Z")), 0, "replay x2: the first at once");
	is_int(due(&pc, REC("2018-02-04T23:18:31.000Z")), 500, "1 s later in the data: 500 ms");
	is_int(due(&pc, REC("2018-02-04T23:18:34.000Z")), 2000, "4 s later: 2000 ms");
	is_int(due(&pc, "{\"x\":1}"), 0, "no timestamp: at once (no rate)");
	is_int(due(&pc, "not json"), 0, "not JSON: at once");
	is_int(due(&pc, REC("2018-02-04T23:18:29.000Z")), 0, "earlier than the first: at once");
	pacer_free(&pc);

	pacer_init(&pc, 1, 10);
	is_int(due(&pc, REC("2018-02-04T23:18:30.000Z")), 0, "rate and replay: the first at once");
	is_int(due(&pc, REC("2018-02-04T23:18:30.100Z")), 1000, "the rate is later: 1000 ms");
	is_int(due(&pc, REC("2018-02-04T23:19:00.000Z")), 3000, "the replay is later: 3000 ms");
	pacer_free(&pc);
	return done_testing();
}
