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
	buf_free(&pi->hdata);
	buf_free(&pi->hkey);
	buf_free(&pi->hehk);
}

void
putinput_release(struct putinput *pi)
{
	if (!pi->held_due)
		return;
	pi->held_due = 0;
	putter_add(pi->cfg.p, pi->hdata.data, pi->hdata.len, pi->hkey.data, pi->hkey.len,
	    pi->hehk.len ? pi->hehk.data : NULL, pi->hsource, pi->hline, NULL);
}

uint64_t
putinput_held_due(const struct putinput *pi)
{
	return pi->held_due;
}

int
putinput_take(struct putinput *pi, const char *s, size_t n, const char *source, uint64_t line,
    int may_hold)
{
	struct cs_err err;
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
	} else if (putkey_get(pi->cfg.keys, s, n, &pi->key, &pi->ehk, &err) != 0) {
		putter_reject(pi->cfg.p, s, n, source, line, err.code, err.msg, NULL);
		return 0;
	}
	if (!pi->key.data)
		buf_adds(&pi->key, "");
	due = pacer_on(&pi->pacer) ? pacer_due(&pi->pacer, data, len) : 0;
	if (due && due > cs_now_ms() && may_hold) {
		buf_reset(&pi->hdata);
		buf_add(&pi->hdata, data, len);
		buf_reset(&pi->hkey);
		buf_add(&pi->hkey, pi->key.data, pi->key.len);
		buf_reset(&pi->hehk);
		if (pi->ehk.len)
			buf_add(&pi->hehk, pi->ehk.data, pi->ehk.len);
		pi->hsource = source;
		pi->hline = line;
		pi->held_due = due;
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
