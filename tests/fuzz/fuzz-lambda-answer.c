/*
 * fuzz-lambda-answer.c - arbitrary bytes as the answer of a command to a
 * batch (--report-failures, lib/lambda.c), and as what it said when it
 * failed (lambda_error_text).
 *
 * Checked: no crash, leak or bad read; a verdict is success (no failure),
 * a partial failure whose lowest item is in the batch and names one of
 * its sequence numbers, or the whole batch failed with a one-line reason;
 * the failure text is valid UTF-8 without a newline once its first line
 * is taken, at most 300 bytes when it is not an error document.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "lambda.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *seqs[] = { "1", "2", "2", "30", "495903382714902566085596925383615710959215" };
#define NSEQ (sizeof seqs / sizeof *seqs)

static const char *
seq_at(void *ctx, size_t i)
{
	(void)ctx;
	return seqs[i];
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_doc doc;
	struct lambda_answer a;
	struct cs_err err;
	struct buf b = BUF_INIT;
	size_t bad, n;

	json_doc_init(&doc, JSON_DEFAULT_DEPTH);
	for (n = 1; n <= NSEQ; n++) {
		err.msg[0] = '\0';
		if (lambda_answer_parse(&doc, (const char *)data, size, seq_at, NULL, n, &a, &err) < 0) {
			if (!err.msg[0] || strchr(err.msg, '\n') || a.failures)
				abort();
		} else if (a.failures && a.lowest >= n) {
			abort();
		} else if (a.failures && a.lowest > 0 && strcmp(seqs[a.lowest - 1], seqs[a.lowest]) == 0) {
			abort();   /* the first item of its record */
		}
	}
	lambda_error_text(&doc, (const char *)data, size, &b);
	if (b.len && !utf8_valid(b.data, b.len, &bad))
		abort();
	buf_free(&b);
	json_doc_free(&doc);
	return 0;
}
