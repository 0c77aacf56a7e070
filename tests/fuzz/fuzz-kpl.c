/* fuzz-kpl.c - KPL de-aggregation, the envelope and its parse on arbitrary bytes. */
#include <stdint.h>
#include <string.h>

#include "envelope.h"
#include "kpl.h"

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
		struct kpl_record r = { "k", 1, NULL, 0, (const char *)data, size };

		kpl_aggregate(&b, &r, 1);
		if (kpl_deaggregate(b.data, b.len, &a, &err) != 0 || a.n != 1 || a.rec[0].len != size ||
		    (size && memcmp(a.rec[0].data, data, size) != 0))
			__builtin_trap();
	}
	/* any bytes as data: the envelope gives them back exactly */
	{
		struct envelope e = { "s", "shardId-000000000000", "1", -1, (const char *)data,
		    size ? size : 0, 0, (const char *)data, size };

		if (size == 0)
			e.key = "k", e.keylen = 1;
		envelope_format(&out, &e, &doc);
		if (envelope_parse(&doc, out.data, out.len - 1, &d, &k, &err) != 0 || d.len != size ||
		    (size && memcmp(d.data, data, size) != 0) || k.len != e.keylen ||
		    memcmp(k.data, e.key, e.keylen) != 0)
			__builtin_trap();
	}
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
