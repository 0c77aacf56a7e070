/*
 * fuzz-ndjson.c - arbitrary bytes through the line reader and the JSON
 * scanner.  The first byte picks the line cap (small caps exercise the
 * overlong path).  Checked: no line holds a LF, a line fits the cap, an
 * overlong line's prefix fits NDJSON_PREFIX_MAX and its length exceeds the
 * cap, line numbers grow, every input byte is read once; a parsed
 * document is valid UTF-8 and its tokens stay inside the text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "json.h"
#include "ndjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_doc(const struct json_doc *d, const char *s, size_t n)
{
	uint32_t i;

	if (!utf8_valid(s, n, NULL))
		abort();
	if (d->ntok == 0)
		abort();
	for (i = 0; i < d->ntok; i++) {
		const struct json_tok *t = &d->tok[i];

		if (t->type == JSON_NONE || t->type > JSON_NULL)
			abort();
		if ((size_t)t->start + t->len > n)
			abort();
		if (t->next <= i || t->next > d->ntok)
			abort();
		if (t->type == JSON_OBJECT) {
			struct buf b = BUF_INIT;
			uint32_t k = i + 1, m;

			/* every member name must be found again */
			for (m = 0; m < t->size; m++) {
				if (k + 1 >= d->ntok || d->tok[k].type != JSON_STRING)
					abort();
				buf_reset(&b);
				json_str_decode(d, (int)k, &b);
				if (json_obj_get(d, (int)i, b.data ? b.data : "", b.len) < 0)
					abort();
				k = d->tok[k + 1].next;
			}
			if (k != t->next)
				abort();
			buf_free(&b);
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ndjson_reader r;
	struct json_doc d;
	const char *line;
	size_t len, maxline;
	uint64_t last = 0;
	enum ndjson_status st;
	int fd;

	if (size < 1)
		return 0;
	maxline = 1 + data[0] % 64 * 8;
	if (data[0] & 0x80)
		maxline = NDJSON_DEFAULT_MAXLINE;
	data++, size--;
	fd = memfd_create("fuzz", 0);
	if (fd < 0)
		return 0;
	if (size && write(fd, data, size) != (ssize_t)size)
		abort();
	lseek(fd, 0, SEEK_SET);
	ndjson_init_fd(&r, fd, "fuzz", maxline);
	json_doc_init(&d, 32);
	while ((st = ndjson_next(&r, &line, &len)) != NDJSON_EOF) {
		if (st == NDJSON_AGAIN)
			continue;
		if (st == NDJSON_READERR)
			abort();
		if (r.lineno <= last)
			abort();
		last = r.lineno;
		if (st == NDJSON_TOOLONG) {
			if (len > NDJSON_PREFIX_MAX || r.toolong_len <= maxline || len > r.toolong_len)
				abort();
			continue;
		}
		if (len == 0 || len > maxline || memchr(line, '\n', len))
			abort();
		if (json_parse(&d, line, len) == 0)
			check_doc(&d, line, len);
		else if (!d.err[0])
			abort();
	}
	if (r.bytes != size)
		abort();
	json_doc_free(&d);
	ndjson_close(&r);
	close(fd);
	return 0;
}
