/*
 * fuzz-validate.c - arbitrary bytes as one record, through everything
 * cs-validate does with a line: parse (with double-encoding), the eight
 * rules, a --require, and the reject line.  Checked: a verdict always has
 * an error code and a reason; an eligible record's text is an object, and
 * a decoded one has no line end; the reject line is one line of valid JSON; the value
 * checks agree with inet_pton() on addresses.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clickstream.h"
#include "json.h"
#include "rejects.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* the single-value checks on the raw bytes, cross-checked where a libc oracle exists */
static void
check_values(const char *s, size_t n)
{
	char z[64];
	unsigned char a[16];

	cs_valid_timestamp(s, n);
	cs_valid_url(s, n);
	cs_valid_referrer(s, n);
	cs_valid_language(s, n);
	if (n < sizeof z && !memchr(s, '\0', n)) {
		memcpy(z, s, n);
		z[n] = '\0';
		if (cs_valid_ipv4(s, n) != (inet_pton(AF_INET, z, a) == 1))
			abort();
		if (cs_valid_ipv6(s, n) != (inet_pton(AF_INET6, z, a) == 1))
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct cs_record r;
	struct cs_verdict v;
	struct buf out = BUF_INIT;
	struct json_doc d;
	int rc;

	check_values(s, size);
	cs_record_init(&r, 64);
	rc = cs_record_parse(&r, s, size, &v);
	if (rc == 0) {
		/* a decoded record must not bring line ends of its own */
		if (r.doc.tok[0].type != JSON_OBJECT || (r.double_encoded &&
		    (memchr(r.text, '\n', r.len) || memchr(r.text, '\r', r.len))))
			abort();
		rc = cs_record_check(&r, &v);
		if (rc == 0)
			rc = cs_record_require(&r, "session", &v);
	}
	if (rc) {
		struct reject rj = { "fuzz", 1, v.error, v.reason, s, size, NULL };

		if (!v.error || !v.reason[0] || memchr(v.reason, '\n', strlen(v.reason)))
			abort();
		rejects_format(&out, &rj);
		/* one line of JSON */
		if (out.len == 0 || out.data[out.len - 1] != '\n' ||
		    memchr(out.data, '\n', out.len - 1))
			abort();
		json_doc_init(&d, 0);
		if (json_parse(&d, out.data, out.len - 1) != 0 || d.tok[0].type != JSON_OBJECT)
			abort();
		json_doc_free(&d);
	}
	buf_free(&out);
	cs_record_free(&r);
	return 0;
}
