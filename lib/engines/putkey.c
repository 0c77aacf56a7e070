/* putkey.c - partition keys of records (see putkey.h). */
#include <jv.h>
#include <stdlib.h>
#include <string.h>

#include "jqprog.h"
#include "json.h"
#include "hash.h"
#include "putkey.h"

#define PATH_MAX_PARTS 8

struct expr {
	const char *text;
	struct jqprog *prog;
	/* a simple path: .a.b.c */
	size_t nparts;
	const char *part[PATH_MAX_PARTS];
	size_t partlen[PATH_MAX_PARTS];
};

struct putkey {
	int has_key, has_ehk;
	struct expr key, ehk;
	struct json_doc doc;
	int parsed;          /* doc holds the current record */
};

/* ".ip", ".a.b": fill the parts; 0 when EXPR is not such a path */
static int
simple_path(struct expr *e, const char *s)
{
	e->nparts = 0;
	while (*s == '.') {
		const char *p = ++s;

		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
			return 0;
		while ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_' ||
		    (*s >= '0' && *s <= '9'))
			s++;
		if (e->nparts == PATH_MAX_PARTS)
			return 0;
		e->part[e->nparts] = p;
		e->partlen[e->nparts++] = (size_t)(s - p);
	}
	return *s == '\0' && e->nparts > 0;
}

static int
expr_init(struct expr *e, const char *text, struct cs_err *err)
{
	memset(e, 0, sizeof *e);
	e->text = text;
	if (!(e->prog = jqprog_compile(text, err)))
		return -1;
	if (text[0] != '@')
		simple_path(e, text);
	return 0;
}

struct putkey *
putkey_new(const char *keyexpr, const char *ehkexpr, struct cs_err *err)
{
	struct putkey *k = cs_calloc(1, sizeof *k);

	json_doc_init(&k->doc, JSON_DEFAULT_DEPTH);
	if (keyexpr) {
		if (expr_init(&k->key, keyexpr, err) != 0)
			goto fail;
		k->has_key = 1;
	}
	if (ehkexpr) {
		if (expr_init(&k->ehk, ehkexpr, err) != 0)
			goto fail;
		k->has_ehk = 1;
	}
	return k;
fail:
	putkey_free(k);
	return NULL;
}

void
putkey_free(struct putkey *k)
{
	if (!k)
		return;
	jqprog_free(k->key.prog);
	jqprog_free(k->ehk.prog);
	json_doc_free(&k->doc);
	free(k);
}

int
putkey_is_expr(const struct putkey *k)
{
	return k->has_key;
}

/* the value of E over the record, as a string onto OUT; -1 with the reason in err->msg */
static int
eval_jq(struct expr *e, const char *data, size_t n, struct buf *out, struct cs_err *err)
{
	jv in = jv_parse_sized(data, (int)n), v;
	int rc;

	if (!jv_is_valid(in)) {
		jv_free(in);
		cs_err_set(err, "not JSON");
		return -1;
	}
	rc = jqprog_first(e->prog, in, &v, err);
	if (rc < 0) {
		char m[CS_ERRMAX];

		snprintf(m, sizeof m, "%s", err->msg);
		cs_err_set(err, "%s: %s", e->text, m);
		return -1;
	}
	if (rc == 0) {
		cs_err_set(err, "%s gives no value", e->text);
		return -1;
	}
	if (jv_get_kind(v) == JV_KIND_STRING) {
		buf_add(out, jv_string_value(v), (size_t)jv_string_length_bytes(jv_copy(v)));
	} else if (jv_get_kind(v) == JV_KIND_NUMBER) {
		jv s = jv_dump_string(jv_copy(v), 0);

		buf_adds(out, jv_string_value(s));
		jv_free(s);
	} else {
		static const char *const what[] = {
			[JV_KIND_INVALID] = "nothing", [JV_KIND_NULL] = "null",
			[JV_KIND_FALSE] = "false", [JV_KIND_TRUE] = "true",
			[JV_KIND_NUMBER] = "a number", [JV_KIND_STRING] = "a string",
			[JV_KIND_ARRAY] = "an array", [JV_KIND_OBJECT] = "an object",
		};

		cs_err_set(err, "%s gives %s, not a string", e->text, what[jv_get_kind(v)]);
		jv_free(v);
		return -1;
	}
	jv_free(v);
	return 0;
}

/* the simple path of E over the parsed record: 1 done, 0 ask jq */
static int
eval_path(struct putkey *k, struct expr *e, struct buf *out)
{
	int t = 0;
	size_t i;

	for (i = 0; i < e->nparts; i++) {
		if (k->doc.tok[t].type != JSON_OBJECT)
			return 0;
		t = json_obj_get(&k->doc, t, e->part[i], e->partlen[i]);
		if (t < 0)
			return 0;
	}
	if (k->doc.tok[t].type != JSON_STRING)
		return 0;
	json_str_decode(&k->doc, t, out);
	return 1;
}

static int
eval(struct putkey *k, struct expr *e, const char *data, size_t n, struct buf *out,
    struct cs_err *err)
{
	if (!k->parsed) {
		if (json_parse(&k->doc, data, n) != 0) {
			cs_err_set(err, "not JSON: %s", k->doc.err);
			snprintf(err->code, sizeof err->code, "InvalidJSON");
			return -1;
		}
		k->parsed = 1;
	}
	if (e->nparts && eval_path(k, e, out))
		return 0;
	return eval_jq(e, data, n, out, err);
}

void
putkey_default_key(char out[17], const void *data, size_t n)
{
	static const char hx[] = "0123456789abcdef";
	uint64_t h = hash64(data, n);
	int i;

	for (i = 15; i >= 0; i--) {
		out[i] = hx[h & 15];
		h >>= 4;
	}
	out[16] = '\0';
}


const struct json_doc *
putkey_doc(const struct putkey *k)
{
	return k->parsed ? &k->doc : NULL;
}

int
putkey_get(struct putkey *k, const char *data, size_t n, struct buf *key, struct buf *ehk,
    struct cs_err *err)
{
	cs_err_clear(err);
	buf_reset(key);
	if (ehk)
		buf_reset(ehk);
	k->parsed = 0;
	if (!k->has_key) {
		buf_grow(key, 17);
		putkey_default_key(key->data, data, n);
		key->len = 16;
	} else if (eval(k, &k->key, data, n, key, err) != 0) {
		if (strcmp(err->code, "InvalidJSON") != 0)
			snprintf(err->code, sizeof err->code, "InvalidPartitionKey");
		return -1;
	}
	if (k->has_ehk && ehk && eval(k, &k->ehk, data, n, ehk, err) != 0) {
		if (strcmp(err->code, "InvalidJSON") != 0)
			snprintf(err->code, sizeof err->code, "InvalidExplicitHashKey");
		return -1;
	}
	return 0;
}
