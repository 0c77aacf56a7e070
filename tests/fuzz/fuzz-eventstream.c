/*
 * fuzz-eventstream.c - the event stream decoder on arbitrary bytes, fed
 * whole and in pieces: it never reads outside what it was given, decodes
 * the same messages however the bytes arrive, and a message it encodes
 * decodes back to the same headers and payload.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eventstream.h"

/* decode every message of P[0..n), giving the decoder at most STEP new bytes at a time */
static size_t
decode_all(const uint8_t *p, size_t n, size_t step, uint32_t *sum)
{
	struct es_message m;
	struct cs_err err;
	size_t off = 0, have = 0, used, need, count = 0;

	*sum = 0;
	for (;;) {
		int r;

		if (have < n - off) {
			have += step;
			if (have > n - off)
				have = n - off;
		}
		/* a copy of exactly the bytes given, so that ASan sees any read past them */
		uint8_t *cp = malloc(have ? have : 1);
		memcpy(cp, p + off, have);
		r = es_decode(cp, have, &m, &used, &need, &err);
		if (r == 1) {
			if (used > have || m.payload + m.payload_len > cp + have || need != used)
				abort();
			*sum = *sum * 31 + (uint32_t)m.payload_len + (uint32_t)strlen(m.event_type);
			count++;
			off += used;
			have -= used;
		}
		free(cp);
		if (r < 0 || (r == 0 && have == n - off))
			return count;
		if (r == 0 && need <= have)
			abort(); /* asked for no more than it had */
	}
}

static void
round_trip(const uint8_t *data, size_t size)
{
	char name[2][40], value[2][300];
	const char *np[2] = { name[0], name[1] }, *vp[2] = { value[0], value[1] };
	struct buf out = BUF_INIT;
	struct es_message m;
	struct cs_err err;
	size_t used, need, i, vl;

	if (size < 3)
		return;
	strcpy(name[0], ":event-type");
	strcpy(name[1], ":exception-type");
	vl = data[0] % 60;
	for (i = 0; i < vl; i++)
		value[0][i] = (char)('a' + data[(1 + i) % size] % 26);
	value[0][vl] = '\0';
	strcpy(value[1], "X");
	es_encode(&out, np, vp, 1 + data[1] % 2, data + 2, size - 2);
	if (es_decode((const unsigned char *)out.data, out.len, &m, &used, &need, &err) != 1 ||
	    used != out.len || strcmp(m.event_type, value[0]) != 0 ||
	    m.payload_len != size - 2 || memcmp(m.payload, data + 2, size - 2) != 0)
		abort();
	buf_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t a, b;
	size_t na, nb;

	na = decode_all(data, size, size ? size : 1, &a);
	nb = decode_all(data, size, 7, &b);
	if (na != nb || a != b)
		abort();
	round_trip(data, size);
	return 0;
}
