/*
 * fuzz-xml.c - arbitrary bytes through the XML element reader (xml.c) and
 * through the error-answer parser that uses it (aws_parse_error_reason).
 *
 * Checked: no crash, leak or bad read; a document that is accepted has a
 * root with no parent, every node's links stay inside the tree and lead
 * back to their parent, names are non-empty without ':' and texts are
 * NUL-free strings; an error message is one line that never quotes the
 * input (a marker "QUOTEDSECRET" in the input never shows in it); the
 * error parser always gives a code and a message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "awserror.h"
#include "xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_tree(const struct xml_doc *d)
{
	int i, c, seen = 0;

	if (d->count < 1 || d->n[0].parent != -1)
		abort();
	for (i = 0; i < d->count; i++) {
		const struct xml_node *x = &d->n[i];

		if (!x->name || !x->name[0] || strchr(x->name, ':') || !x->text)
			abort();
		if (i > 0 && (x->parent < 0 || x->parent >= i))
			abort();
		for (c = x->first_child; c >= 0; c = d->n[c].next) {
			if (c <= i || c >= d->count || d->n[c].parent != i)
				abort();
			seen++;
		}
	}
	if (seen != d->count - 1)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xml_doc d;
	struct cs_err err;

	cs_err_clear(&err);
	if (xml_parse(&d, (const char *)data, size, &err) == 0) {
		check_tree(&d);
		(void)xml_path_text(&d, "ErrorResponse/Error/Code");
		xml_free(&d);
	} else {
		if (strchr(err.msg, '\n') || strstr(err.msg, "QUOTEDSECRET"))
			abort();
	}
	aws_parse_error_reason((const char *)data, size, 403, "Forbidden", &err);
	if (!err.code[0] || !err.msg[0])
		abort();
	return 0;
}
