/* jqprog.c - user expressions as jq programs, run by libjq (see jqprog.h). */
#include <errno.h>
#include <jq.h>
#include <stdlib.h>
#include <string.h>

#include "jqprog.h"

struct jqprog {
	jq_state *jq;
	struct buf errors;   /* compile messages, collected by the callback */
};

/* libjq reports compile errors through this callback: keep them (consumes msg) */
static void
collect(void *ctx, jv msg)
{
	struct jqprog *p = ctx;

	if (jv_get_kind(msg) == JV_KIND_STRING) {
		const char *s = jv_string_value(msg);

		/* one line: jq's messages quote the program over several */
		if (p->errors.len)
			buf_adds(&p->errors, "; ");
		for (; *s; s++) {
			if (*s == '\n' || *s == '\t') {
				if (p->errors.len && p->errors.data[p->errors.len - 1] != ' ')
					buf_addc(&p->errors, ' ');
			} else {
				buf_addc(&p->errors, *s);
			}
		}
		while (p->errors.len && p->errors.data[p->errors.len - 1] == ' ')
			p->errors.data[--p->errors.len] = '\0';
	}
	jv_free(msg);
}

static char *
read_file(const char *path, struct cs_err *err)
{
	struct buf b = BUF_INIT;
	int not_opened;

	if (cs_read_file(path, 0, &b, &not_opened) < 0) {
		cs_err_set(err, "cannot %s '%s': %s", not_opened ? "open" : "read", path,
		    strerror(errno));
		buf_free(&b);
		return NULL;
	}
	return buf_detach(&b);
}

struct jqprog *
jqprog_compile(const char *program, struct cs_err *err)
{
	struct jqprog *p = cs_calloc(1, sizeof *p);
	char *text = NULL;
	const char *src = program;

	if (program[0] == '@') {
		text = read_file(program + 1, err);
		if (!text) {
			free(p);
			return NULL;
		}
		src = text;
	}
	p->jq = jq_init();
	if (!p->jq) {
		cs_err_set(err, "cannot start jq");
		free(text);
		free(p);
		return NULL;
	}
	jq_set_error_cb(p->jq, collect, p);
	if (!jq_compile(p->jq, src)) {
		cs_err_set(err, "invalid jq program '%s': %s", program,
		    p->errors.len ? p->errors.data : "does not compile");
		free(text);
		jqprog_free(p);
		return NULL;
	}
	free(text);
	return p;
}

void
jqprog_start(struct jqprog *p, jv input)
{
	jq_start(p->jq, input, 0);
}

int
jqprog_next(struct jqprog *p, jv *out, struct cs_err *err)
{
	jv v = jq_next(p->jq);

	if (jv_is_valid(v)) {
		*out = v;
		return 1;
	}
	if (jv_invalid_has_msg(jv_copy(v))) {
		jv msg = jv_invalid_get_msg(v);

		if (jv_get_kind(msg) == JV_KIND_STRING) {
			cs_err_set(err, "%s", jv_string_value(msg));
		} else {
			jv s = jv_dump_string(msg, 0);

			cs_err_set(err, "%s (not a string)", jv_string_value(s));
			jv_free(s);
			msg = jv_null();
		}
		jv_free(msg);
		return -1;
	}
	jv_free(v);
	return 0;
}

int
jqprog_first(struct jqprog *p, jv input, jv *out, struct cs_err *err)
{
	jqprog_start(p, input);
	return jqprog_next(p, out, err);
}

void
jqprog_free(struct jqprog *p)
{
	if (!p)
		return;
	if (p->jq)
		jq_teardown(&p->jq);
	buf_free(&p->errors);
	free(p);
}
