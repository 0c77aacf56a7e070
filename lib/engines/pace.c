/*
 * pace.c - pacing records by rate and by their timestamps (see pace.h).
 */
#include "cs.h"
#include "pace.h"

void
pacer_init(struct pacer *pc, double rate, double replay)
{
	pc->rate = rate;
	pc->replay = replay;
	pc->start_ms = 0;
	pc->paced = 0;
	pc->ts0 = 0;
	json_doc_init(&pc->doc, JSON_DEFAULT_DEPTH);
}

void
pacer_free(struct pacer *pc)
{
	json_doc_free(&pc->doc);
}

int
pacer_on(const struct pacer *pc)
{
	return pc->rate > 0 || pc->replay > 0;
}

uint64_t
pacer_due(struct pacer *pc, const char *data, size_t len)
{
	uint64_t due = 0;

	if (!pc->start_ms)
		pc->start_ms = cs_now_ms();
	if (pc->rate > 0)
		due = pc->start_ms + (uint64_t)((double)pc->paced * 1000.0 / pc->rate);
	if (pc->replay > 0 && json_parse(&pc->doc, data, len) == 0 &&
	    pc->doc.tok[0].type == JSON_OBJECT) {
		int t = json_obj_get(&pc->doc, 0, "timestamp", 9);
		int64_t ts;

		if (t >= 0 && pc->doc.tok[t].type == JSON_STRING &&
		    cs_parse_rfc3339(data + pc->doc.tok[t].start, pc->doc.tok[t].len, &ts) == 0) {
			if (!pc->ts0)
				pc->ts0 = ts;
			if (ts > pc->ts0) {
				uint64_t d = pc->start_ms + (uint64_t)((double)(ts - pc->ts0) / pc->replay);

				if (d > due)
					due = d;
			}
		}
	}
	pc->paced++;
	return due;
}
