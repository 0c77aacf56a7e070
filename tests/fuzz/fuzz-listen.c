/*
 * fuzz-listen.c - the request handling of cs-put --listen without a
 * socket: arbitrary method, path and body through listen_request(), and
 * arbitrary fates of its records through listen_answer_batch().
 *
 * Input: byte 0 picks the method, byte 1 the path, byte 2's bits the
 * body over the limit, the peer, X-Forwarded-For, Origin and the options
 * (no enrichment, override, trusted forwarding, an allow-list); the rest
 * is the body.  Checked: each record to put is a JSON object on one line;
 * every answer but the pre-flight and the script is a JSON object with a
 * string "Code" and "Message", its status 2xx to 5xx, 200 exactly when
 * every record succeeded.
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
	if (a->preflight || a->script) {
		if ((a->preflight ? a->status != 204 : a->status != 200) || a->body.len)
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

/* a record to put: one line, a JSON object */
static void
check_record(const struct listen_item *it)
{
	struct json_doc d;

	if (memchr(it->record.data, '\n', it->record.len) || memchr(it->record.data, '\r', it->record.len))
		abort();
	json_doc_init(&d, JSON_DEFAULT_DEPTH);
	if (json_parse(&d, it->record.data, it->record.len) != 0 || d.tok[0].type != JSON_OBJECT)
		abort();
	json_doc_free(&d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const methods[] = { "POST", "GET", "OPTIONS", "PUT", "post", "" };
	static const char *const paths[] = { "/report", "/Prod/report", "/", "/beacon.js", "/x" };
	static const char *const list[] = { "https://a.example", NULL };
	struct listen_config cfg = { 0 };
	struct listen_answer a = { 0 };
	struct listen_batch b = { 0 };
	struct listen_in in = { 0 };
	int n;

	if (size < 3)
		return 0;
	in.method = methods[data[0] % 6];
	in.url = paths[data[1] % 5];
	in.too_large = data[2] & 1;
	in.body = (const char *)data + 3;
	in.len = size - 3;
	in.peer = (data[2] & 2) ? "2001:db8::1" : "192.0.2.7";
	in.forwarded = (data[2] & 4) ? "198.51.100.1, x" : "203.0.113.9";
	in.origin = (data[2] & 8) ? "https://b.example" : NULL;
	in.now_ms = 1767323045678LL;
	cfg.stream = "s";
	cfg.no_enrich = data[2] & 16;
	cfg.override = data[2] & 32;
	cfg.trust_forwarded = data[2] & 64;
	cfg.allow_origins = (data[2] & 128) ? list : NULL;
	n = listen_request(&cfg, &in, &b, &a);
	if (n == 0) {
		check_answer(&a);
	} else {
		size_t i;
		int k = 0;

		if (b.n > LISTEN_MAX_RECORDS)
			abort();
		/* give each record a fate from the input, then the answer of all */
		for (i = 0; i < b.n; i++) {
			struct put_result r = { 0 };

			if (b.items[i].state != LI_PUT)
				continue;
			check_record(&b.items[i]);
			k++;
			r.ok = (data[(i + 1) % size] & 1);
			r.shard_id = "shardId-000000000000";
			r.sequence_number = "1";
			r.code = (data[(i + 1) % size] & 2) ? "InternalFailure" : "NetworkError";
			r.message = "x";
			r.http_status = data[(i + 1) % size] >> 2;
			listen_item_result(&b.items[i], &r);
		}
		if (k != n)
			abort();
		listen_answer_batch(&a, "s", &b);
		check_answer(&a);
		if ((a.status == 200) != (a.body.len && strstr(a.body.data, "Successful") != NULL))
			abort();
	}
	listen_batch_free(&b);
	buf_free(&a.body);
	return 0;
}
