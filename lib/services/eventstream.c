/* eventstream.c - the AWS event stream framing (see eventstream.h). */
#include <string.h>

#include <zlib.h>

#include "eventstream.h"

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t
crc(const unsigned char *p, size_t n)
{
	return (uint32_t)crc32(0L, p, (uInt)n);
}

/* copy a string header's value into DST (NUL-terminated); -1 when it does not fit */
static int
keep(char *dst, size_t cap, const unsigned char *v, size_t n)
{
	if (n >= cap)
		return -1;
	memcpy(dst, v, n);
	dst[n] = '\0';
	return 0;
}

static const struct {
	const char *name;
	size_t off, cap;
} kept[] = {
	{ ":message-type", offsetof(struct es_message, message_type), sizeof ((struct es_message *)0)->message_type },
	{ ":event-type", offsetof(struct es_message, event_type), sizeof ((struct es_message *)0)->event_type },
	{ ":content-type", offsetof(struct es_message, content_type), sizeof ((struct es_message *)0)->content_type },
	{ ":exception-type", offsetof(struct es_message, exception_type), sizeof ((struct es_message *)0)->exception_type },
	{ ":error-code", offsetof(struct es_message, error_code), sizeof ((struct es_message *)0)->error_code },
	{ ":error-message", offsetof(struct es_message, error_message), sizeof ((struct es_message *)0)->error_message },
};

static int
headers(const unsigned char *p, size_t n, struct es_message *m, struct cs_err *err)
{
	size_t i = 0, k;

	while (i < n) {
		const unsigned char *name;
		size_t nl, vl;
		unsigned type;

		nl = p[i++];
		if (nl == 0 || nl > n - i) {
			cs_err_set(err, "event stream: a header name is cut short");
			return -1;
		}
		name = p + i;
		i += nl;
		if (i >= n) {
			cs_err_set(err, "event stream: a header has no type");
			return -1;
		}
		type = p[i++];
		switch (type) {
		case 0: case 1: vl = 0; break;                /* true, false */
		case 2: vl = 1; break;                        /* byte */
		case 3: vl = 2; break;                        /* short */
		case 4: vl = 4; break;                        /* integer */
		case 5: case 8: vl = 8; break;                /* long, timestamp */
		case 9: vl = 16; break;                       /* uuid */
		case 6: case 7:                               /* byte array, string */
			if (n - i < 2) {
				cs_err_set(err, "event stream: a header value length is cut short");
				return -1;
			}
			vl = (size_t)p[i] << 8 | p[i + 1];
			i += 2;
			break;
		default:
			cs_err_set(err, "event stream: a header of unknown type %u", type);
			return -1;
		}
		if (vl > n - i) {
			cs_err_set(err, "event stream: a header value is cut short");
			return -1;
		}
		if (type == 7) {
			for (k = 0; k < sizeof kept / sizeof kept[0]; k++) {
				if (strlen(kept[k].name) != nl || memcmp(kept[k].name, name, nl) != 0)
					continue;
				if (keep((char *)m + kept[k].off, kept[k].cap, p + i, vl) < 0) {
					cs_err_set(err, "event stream: header %s is too long (%zu bytes)",
					    kept[k].name, vl);
					return -1;
				}
			}
		}
		i += vl;
	}
	return 0;
}

int
es_decode(const unsigned char *buf, size_t len, struct es_message *m, size_t *used,
    size_t *need, struct cs_err *err)
{
	uint32_t total, hlen;

	memset(m, 0, sizeof *m);
	*used = 0;
	if (need)
		*need = 12;
	if (len < 12)
		return 0;
	total = be32(buf);
	hlen = be32(buf + 4);
	if (crc(buf, 8) != be32(buf + 8)) {
		cs_err_set(err, "event stream: the prelude's CRC does not match");
		return -1;
	}
	if (total < 16 || total > ES_MAX_MESSAGE) {
		cs_err_set(err, "event stream: a message of %u bytes", total);
		return -1;
	}
	if (hlen > ES_MAX_HEADERS || hlen > total - 16) {
		cs_err_set(err, "event stream: %u bytes of headers in a message of %u", hlen, total);
		return -1;
	}
	if (need)
		*need = total;
	if (len < total)
		return 0;
	if (crc(buf, total - 4) != be32(buf + total - 4)) {
		cs_err_set(err, "event stream: the message's CRC does not match");
		return -1;
	}
	if (headers(buf + 12, hlen, m, err) < 0)
		return -1;
	m->payload = buf + 12 + hlen;
	m->payload_len = total - 16 - hlen;
	*used = total;
	return 1;
}

static void
put32(struct buf *out, uint32_t v)
{
	unsigned char b[4] = { (unsigned char)(v >> 24), (unsigned char)(v >> 16),
	    (unsigned char)(v >> 8), (unsigned char)v };

	buf_add(out, b, 4);
}

void
es_encode(struct buf *out, const char *const *names, const char *const *values,
    size_t nheaders, const void *payload, size_t len)
{
	size_t start = out->len, hlen = 0, i;

	for (i = 0; i < nheaders; i++)
		hlen += 1 + strlen(names[i]) + 1 + 2 + strlen(values[i]);
	put32(out, (uint32_t)(12 + hlen + len + 4));
	put32(out, (uint32_t)hlen);
	put32(out, crc((unsigned char *)out->data + start, 8));
	for (i = 0; i < nheaders; i++) {
		size_t nl = strlen(names[i]), vl = strlen(values[i]);

		buf_addc(out, (char)nl);
		buf_add(out, names[i], nl);
		buf_addc(out, 7);
		buf_addc(out, (char)(vl >> 8));
		buf_addc(out, (char)vl);
		buf_add(out, values[i], vl);
	}
	if (len)
		buf_add(out, payload, len);
	put32(out, crc((unsigned char *)out->data + start, out->len - start));
}
