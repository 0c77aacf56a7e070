/*
 * tailfmt.c - a Kinesis record as cs-tail's output lines (see tailfmt.h).
 */
#include <string.h>

#include "envelope.h"
#include "tailfmt.h"

void
tailfmt_init(struct tailfmt *f, const char *stream, int envelope)
{
	memset(f, 0, sizeof *f);
	f->stream = stream;
	f->envelope = envelope;
	json_doc_init(&f->doc, JSON_DEFAULT_DEPTH);
	kpl_agg_init(&f->agg);
}

void
tailfmt_free(struct tailfmt *f)
{
	json_doc_free(&f->doc);
	kpl_agg_free(&f->agg);
}

/* One record as one line onto OUT: the data when it is a JSON line, else the envelope. */
static void
format_one(struct tailfmt *f, struct buf *out, const char *shard, const char *seq, long subseq,
    const char *key, size_t keylen, const char *ehk, size_t ehklen, int64_t arrival,
    const char *data, size_t len)
{
	struct envelope e = { f->stream, shard, seq, subseq, key, keylen, arrival, data, len, ehk,
		ehklen };

	if (!f->envelope) {
		size_t n = len;

		/* one trailing newline (as a line-oriented producer leaves it) is not part of the JSON */
		if (n && data[n - 1] == '\n') {
			n--;
			if (n && data[n - 1] == '\r')
				n--;
		}
		if (envelope_is_json_line(&f->doc, data, n)) {
			buf_add(out, data, n);
			buf_addc(out, '\n');
			return;
		}
	}
	envelope_format(out, &e, &f->doc);
}

int
tailfmt_record(struct tailfmt *f, struct buf *out, const char *shard,
    const struct kinesis_records *rs, const struct kinesis_record *r, tailfmt_line_fn each,
    void *ctx, struct cs_err *err)
{
	const char *data = KREC_DATA(rs, r), *seq = KREC_SEQ(rs, r);
	size_t i, start, from = 0;
	int rc = 0;

	/* resumed inside this aggregate: its first user records were handled before */
	if (r == &rs->rec[0] && rs->skip_subseq >= 0)
		from = (size_t)rs->skip_subseq + 1;
	if (kpl_is_aggregate(data, r->data_len)) {
		if (kpl_deaggregate(data, r->data_len, &f->agg, err) == 0) {
			for (i = from; i < f->agg.n; i++) {
				const struct kpl_record *k = &f->agg.rec[i];
				int last = i + 1 == f->agg.n;

				start = out->len;
				format_one(f, out, shard, seq, (long)i, k->key, k->keylen, k->ehk, k->ehklen,
				    r->arrival_ms, k->data, k->len);
				if (each)
					each(ctx, out->data + start, out->len - start, seq,
					    last ? -1 : (long)i, last);
			}
			if (f->agg.n)
				return 0;
		} else {
			rc = -1;
		}
	}
	if (from)
		return rc;  /* a checkpoint inside a record that is no aggregate: it was handled */
	start = out->len;
	format_one(f, out, shard, seq, -1, KREC_KEY(rs, r), r->key_len, NULL, 0, r->arrival_ms, data,
	    r->data_len);
	if (each)
		each(ctx, out->data + start, out->len - start, seq, -1, 1);
	return rc;
}
