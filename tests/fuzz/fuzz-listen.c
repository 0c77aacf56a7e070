/*
 * fuzz-listen.c - the request handling of cs-put --listen without a
 * socket: arbitrary method, path and body through listen_request(), and
 * arbitrary results through listen_answer_put().
 *
 * Input: byte 0 picks the method, byte 1 the path, byte 2 bit 0 says the
 * body went over the limit; the rest is the body.  Checked: a body taken
 * as a record is a JSON object on one line, no longer than the body, that
 * parses to the same tokens; every answer but the pre-flight is a JSON
 * object with a string "Code" and "Message", its status 2xx to 5xx.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "listen.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_answer(const struct listen_answer *a)
{
	struct json_doc d;
	int c, m;

	if (a->status < 200 || a->status > 599)
		abort();
	if (a->preflight) {
		if (a->status != 204 || a->body.len)
			abort();
		return;
	}
	json_doc_init(&d, 16);
	if (json_parse(&d, a->body.data, a->body.len) != 0 || d.tok[0].type != JSON_OBJECT)
		abort();
	c = json_obj_get(&d, 0, "Code", 4);
	m = json_obj_get(&d, 0, "Message", 7);
	if (c < 0 || m < 0 || d.tok[c].type != JSON_STRING || d.tok[m].type != JSON_STRING)
		abort();
	json_doc_free(&d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const methods[] = { "POST", "GET", "OPTIONS", "PUT", "post", "" };
	static const char *const paths[] = { "/report", "/Prod/report", "/", "/report/", "/x" };
	struct listen_answer a = { 0 };
	struct buf rec = BUF_INIT;
	const char *body;
	size_t len;

	if (size < 3)
		return 0;
	body = (const char *)data + 3;
	len = size - 3;
	if (listen_request(methods[data[0] % 6], paths[data[1] % 5], body, len, data[2] & 1, &rec, &a)) {
		struct json_doc d1, d2;

		if (rec.len > len || memchr(rec.data, '\n', rec.len) || memchr(rec.data, '\r', rec.len))
			abort();
		json_doc_init(&d1, JSON_DEFAULT_DEPTH);
		json_doc_init(&d2, JSON_DEFAULT_DEPTH);
		if (json_parse(&d1, body, len) != 0 || json_parse(&d2, rec.data, rec.len) != 0)
			abort();
		if (d2.tok[0].type != JSON_OBJECT || d1.ntok != d2.ntok)
			abort();
		for (uint32_t i = 0; i < d1.ntok; i++)
			if (d1.tok[i].type != d2.tok[i].type || d1.tok[i].size != d2.tok[i].size)
				abort();
		json_doc_free(&d1);
		json_doc_free(&d2);

		/* the body's pieces as the fate of the record */
		if (utf8_valid(body, len, NULL) && !memchr(body, '\0', len)) {
			struct put_result r = { 0 };
			char *s = cs_strndup(body, len), *half = s + len / 2;

			/* keep the halves valid UTF-8: cut at a character start */
			while (half > s && ((unsigned char)*half & 0xc0) == 0x80)
				half--;
			r.ok = data[2] & 2;
			r.shard_id = r.code = half;
			r.sequence_number = r.message = "x";
			r.http_status = data[2] >> 2;
			listen_answer_put(&a, s, &r);
			check_answer(&a);
			free(s);
		}
	} else {
		check_answer(&a);
	}
	buf_free(&rec);
	buf_free(&a.body);
	return 0;
}
