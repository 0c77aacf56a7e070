/*
 * fuzz-putrecords-answer.c - arbitrary bytes as the answer to PutRecords,
 * straight into the Kinesis layer's parser (lib/services/putrecords.h),
 * the one cs-put's delivery engine reads answers with.
 *
 * Input: byte 0 picks how many records the request had (1 to 8); the rest
 * is the answer's body.  Checked: no crash, leak or bad read; an answer
 * is either refused or gives exactly one entry per record, each one
 * accepted or failed with a non-empty error code, its strings never NULL;
 * the quick "nothing failed" test never reads past the body.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cs.h"
#include "json.h"
#include "putrecords.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct json_doc d;
	static int init;
	struct buf a = BUF_INIT, b = BUF_INIT;
	const char *body;
	size_t n, len, i;
	char *copy;
	int t;

	if (size < 1)
		return 0;
	if (!init) {
		json_doc_init(&d, 8);
		init = 1;
	}
	n = (size_t)(data[0] & 7) + 1;
	len = size - 1;
	/* an exact copy, so that a read past the end is caught */
	copy = malloc(len ? len : 1);
	memcpy(copy, data + 1, len);
	body = copy;
	(void)putrecords_all_ok(body, len);
	t = putrecords_parse(&d, body, len, n);
	if (t >= 0) {
		for (i = 0; i < n; i++) {
			int failed = putrecords_entry(&d, &t, &a, &b);

			if (!a.data || !b.data)
				__builtin_trap();
			if (failed && !a.len)
				__builtin_trap();
		}
	}
	buf_free(&a);
	buf_free(&b);
	free(copy);
	return 0;
}
