/*
 * pace.c - pacing records by rate and by their timestamps (see pace.h).
 */
#include <string.h>

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
	memset(&pc->held, 0, sizeof pc->held);
}

void
pacer_free(struct pacer *pc)
{
	json_doc_free(&pc->doc);
	buf_free(&pc->held.data);
	buf_free(&pc->held.key);
	buf_free(&pc->held.ehk);
}

int
pacer_on(const struct pacer *pc)
{
	return pc->rate > 0 || pc->replay > 0;
}

uint64_t
pacer_due(struct pacer *pc, const char *data, size_t len)
{
	return pacer_due_doc(pc, data, len, NULL);
}

uint64_t
pacer_due_doc(struct pacer *pc, const char *data, size_t len, const struct json_doc *doc)
{
	uint64_t due = 0;

	if (!pc->start_ms)
		pc->start_ms = cs_now_ms();
	if (pc->rate > 0)
		due = pc->start_ms + (uint64_t)((double)pc->paced * 1000.0 / pc->rate);
	if (pc->replay > 0 && !doc && json_parse(&pc->doc, data, len) == 0)
		doc = &pc->doc;
	if (pc->replay > 0 && doc && doc->tok[0].type == JSON_OBJECT) {
		int t = json_obj_get(doc, 0, "timestamp", 9);
		int64_t ts;

		if (t >= 0 && doc->tok[t].type == JSON_STRING &&
		    cs_parse_rfc3339(data + doc->tok[t].start, doc->tok[t].len, &ts) == 0) {
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

void
pacer_hold(struct pacer *pc, uint64_t due, const char *data, size_t len, const char *key,
    size_t keylen, const char *ehk, size_t ehklen, const char *source, uint64_t line)
{
	struct pace_held *h = &pc->held;

	buf_reset(&h->data);
	buf_add(&h->data, data, len);
	buf_reset(&h->key);
	buf_add(&h->key, key, keylen);
	buf_reset(&h->ehk);
	if (ehklen)
		buf_add(&h->ehk, ehk, ehklen);
	h->source = source;
	h->line = line;
	h->due = due;
}

uint64_t
pacer_held_due(const struct pacer *pc)
{
	return pc->held.due;
}

void
pacer_release(struct pacer *pc, struct putter *p)
{
	struct pace_held *h = &pc->held;

	if (!h->due)
		return;
	h->due = 0;
	putter_add(p, h->data.data, h->data.len, h->key.data, h->key.len,
	    h->ehk.len ? h->ehk.data : NULL, h->source, h->line, NULL);
}

int
pacer_release_due(struct pacer *pc, struct putter *p, uint64_t now)
{
	if (!pc->held.due)
		return 0;
	if (pc->held.due > now)
		return 1;
	pacer_release(pc, p);
	return 0;
}

int
pacer_wait_ms(const struct pacer *pc, uint64_t now, int cap)
{
	uint64_t due = pc->held.due;

	if (!due)
		return -1;
	if (due <= now)
		return 0;
	return due - now > (uint64_t)cap ? cap : (int)(due - now);
}
