/*
 * putinput.c - keys, checks and pacing of cs-put's input lines (see putinput.h).
 */
#include <string.h>

#include "envelope.h"
#include "putinput.h"

void
putinput_init(struct putinput *pi, const struct putinput_config *cfg)
{
	memset(pi, 0, sizeof *pi);
	pi->cfg = *cfg;
	pacer_init(&pi->pacer, cfg->rate, cfg->replay);
	json_doc_init(&pi->doc, JSON_DEFAULT_DEPTH);
}

void
putinput_free(struct putinput *pi)
{
	pacer_free(&pi->pacer);
	json_doc_free(&pi->doc);
	buf_free(&pi->key);
	buf_free(&pi->ehk);
	buf_free(&pi->data);
	buf_free(&pi->scratch);
}

void
putinput_release(struct putinput *pi)
{
	pacer_release(&pi->pacer, pi->cfg.p);
}

int
putinput_release_due(struct putinput *pi)
{
	return pacer_release_due(&pi->pacer, pi->cfg.p, cs_now_ms());
}

uint64_t
putinput_held_due(const struct putinput *pi)
{
	return pacer_held_due(&pi->pacer);
}

int
putinput_wait_ms(const struct putinput *pi, int cap)
{
	return pacer_wait_ms(&pi->pacer, cs_now_ms(), cap);
}

int
putinput_take(struct putinput *pi, const char *s, size_t n, const char *source, uint64_t line,
    int may_hold)
{
	struct cs_err err;
	const struct json_doc *doc = NULL;   /* the record, when putkey parsed it */
	const char *data = s;
	size_t len = n;
	uint64_t due;

	cs_err_clear(&err);
	if (pi->cfg.envelope) {
		if (envelope_parse(&pi->doc, s, n, &pi->data, &pi->key, &err) != 0) {
			putter_reject(pi->cfg.p, s, n, source, line, "InvalidEnvelope", err.msg, NULL);
			return 0;
		}
		data = pi->data.data ? pi->data.data : "";
		len = pi->data.len;
		/* its own explicit hash key goes with it, unless -k or --explicit-hash-key place it anew */
		envelope_ehk(&pi->doc, &pi->ehk);
		if ((pi->cfg.keyexpr || pi->cfg.ehkexpr) &&
		    putkey_get(pi->cfg.keys, data, len, pi->cfg.keyexpr ? &pi->key : &pi->scratch,
		    &pi->ehk, &err) != 0) {
			putter_reject(pi->cfg.p, data, len, source, line, err.code, err.msg, NULL);
			return 0;
		}
		if (pi->cfg.keyexpr || pi->cfg.ehkexpr)
			doc = putkey_doc(pi->cfg.keys);
	} else if (putkey_get(pi->cfg.keys, s, n, &pi->key, &pi->ehk, &err) != 0) {
		putter_reject(pi->cfg.p, s, n, source, line, err.code, err.msg, NULL);
		return 0;
	} else {
		doc = putkey_doc(pi->cfg.keys);
	}
	if (!pi->key.data)
		buf_adds(&pi->key, "");
	due = pacer_on(&pi->pacer) ? pacer_due_doc(&pi->pacer, data, len, doc) : 0;
	if (due && due > cs_now_ms() && may_hold) {
		pacer_hold(&pi->pacer, due, data, len, pi->key.data, pi->key.len, pi->ehk.data,
		    pi->ehk.len, source, line);
		return 1;
	}
	putter_add(pi->cfg.p, data, len, pi->key.data, pi->key.len,
	    pi->ehk.len ? pi->ehk.data : NULL, source, line, NULL);
	return 0;
}

void
putinput_toolong(struct putinput *pi, const char *s, size_t n, const char *source,
    uint64_t line, size_t toolong)
{
	struct buf m = BUF_INIT;

	buf_printf(&m, "line of %zu bytes is over the limit of %u bytes (record and partition key)",
	    toolong, PUT_MAX_RECORD_BYTES);
	putter_reject(pi->cfg.p, s, n, source, line, "RecordTooLarge", m.data, NULL);
	buf_free(&m);
}
