/* fuzz-kpl.c - KPL de-aggregation, aggregation round trips, the envelope and its parse on arbitrary bytes. */
#include <stdint.h>
#include <string.h>

#include "envelope.h"
#include "kpl.h"

/*
 * The input cut into user records (each piece: a length byte for the key,
 * one for the explicit hash key, two for the data, then those bytes),
 * built one at a time: each size predicted exactly, and the aggregate
 * splits back into the same records, in order.
 */
static void
builder_round_trip(const uint8_t *data, size_t size)
{
	static struct kpl_record in[4096];
	struct kpl_builder kb;
	struct kpl_agg a;
	struct cs_err err;
	struct buf out = BUF_INIT;
	size_t n = 0, pos = 0, i;

	kpl_builder_init(&kb);
	kpl_agg_init(&a);
	while (pos + 4 <= size && n < sizeof in / sizeof in[0]) {
		size_t kl = data[pos] % 8 + 1, el = data[pos + 1] % 4, dl = data[pos + 2] | (size_t)data[pos + 3] << 8;
		struct kpl_record *r = &in[n];
		size_t predicted;

		pos += 4;
		if (kl + el + dl > size - pos)
			break;
		r->key = (const char *)data + pos;
		r->keylen = kl;
		r->ehk = el ? (const char *)data + pos + kl : NULL;
		r->ehklen = el;
		r->data = (const char *)data + pos + kl + el;
		r->len = dl;
		pos += kl + el + dl;
		predicted = kpl_builder_size_with(&kb, r);
		kpl_builder_add(&kb, r);
		if (kpl_builder_size(&kb) != predicted)
			__builtin_trap();
		n++;
	}
	kpl_builder_finish(&kb, &out);
	if (out.len != kpl_builder_size(&kb) || kpl_deaggregate(out.data, out.len, &a, &err) != 0 ||
	    a.n != n)
		__builtin_trap();
	for (i = 0; i < n; i++) {
		const struct kpl_record *x = &in[i], *y = &a.rec[i];

		if (x->keylen != y->keylen || memcmp(x->key, y->key, x->keylen) != 0 ||
		    x->len != y->len || (x->len && memcmp(x->data, y->data, x->len) != 0) ||
		    !x->ehk != !y->ehk || x->ehklen != y->ehklen ||
		    (x->ehk && memcmp(x->ehk, y->ehk, x->ehklen) != 0))
			__builtin_trap();
	}
	kpl_builder_free(&kb);
	kpl_agg_free(&a);
	buf_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kpl_agg a;
	struct cs_err err;
	struct buf b = BUF_INIT, out = BUF_INIT, d = BUF_INIT, k = BUF_INIT;
	struct json_doc doc;
	size_t i;

	kpl_agg_init(&a);
	json_doc_init(&doc, 64);
	/* as is, and with the magic in front and a good digest behind */
	if (kpl_deaggregate(data, size, &a, &err) == 0) {
		for (i = 0; i < a.n; i++)
			if (a.rec[i].key < (const char *)data || a.rec[i].data + a.rec[i].len >
			    (const char *)data + size)
				__builtin_trap();
	}
	{
		struct kpl_record r = { "k", 1, NULL, 0, (const char *)data, size, 0 };

		kpl_aggregate(&b, &r, 1);
		if (kpl_deaggregate(b.data, b.len, &a, &err) != 0 || a.n != 1 || a.rec[0].len != size ||
		    (size && memcmp(a.rec[0].data, data, size) != 0))
			__builtin_trap();
	}
	/* any bytes as data: the envelope gives them back exactly */
	{
		struct envelope e = { "s", "shardId-000000000000", "1", -1, (const char *)data,
		    size ? size : 0, 0, (const char *)data, size, NULL, 0 };

		if (size == 0)
			e.key = "k", e.keylen = 1;
		envelope_format(&out, &e, &doc);
		if (envelope_parse(&doc, out.data, out.len - 1, &d, &k, &err) != 0 || d.len != size ||
		    (size && memcmp(d.data, data, size) != 0) || k.len != e.keylen ||
		    memcmp(k.data, e.key, e.keylen) != 0)
			__builtin_trap();
	}
	builder_round_trip(data, size);
	/* and as an envelope line itself */
	envelope_parse(&doc, (const char *)data, size, &d, &k, &err);
	kpl_agg_free(&a);
	json_doc_free(&doc);
	buf_free(&b);
	buf_free(&out);
	buf_free(&d);
	buf_free(&k);
	return 0;
}
