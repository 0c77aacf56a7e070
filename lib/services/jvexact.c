/* jvexact.c - jq's output as JSON text, with the input's numbers exact (see jvexact.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ddbitem.h"
#include "jvexact.h"

struct jvexact_num {
	double d;
	const char *text;   /* the input's text */
	size_t len;
	char *canon;        /* its value in canonical form, to compare texts */
};

void
jvexact_init(struct jvexact *x)
{
	memset(x, 0, sizeof *x);
}

static void
clear(struct jvexact *x)
{
	size_t i;

	for (i = 0; i < x->n; i++)
		free(x->v[i].canon);
	x->n = 0;
	x->sorted = 0;
}

void
jvexact_free(struct jvexact *x)
{
	clear(x);
	free(x->v);
	memset(x, 0, sizeof *x);
}

void
jvexact_fmt_double(double d, char *out, size_t outlen)
{
	int p;

	for (p = 15; p <= 17; p++) {
		snprintf(out, outlen, "%.*g", p, d);
		if (strtod(out, NULL) == d)
			return;
	}
}

void
jvexact_scan(struct jvexact *x, const struct json_doc *doc)
{
	uint32_t i;
	char tmp[400];

	clear(x);
	for (i = 0; i < doc->ntok; i++) {
		const struct json_tok *t = &doc->tok[i];
		struct jvexact_num *e;
		struct buf c = BUF_INIT;

		if (t->type != JSON_NUMBER)
			continue;
		if (x->n == x->cap) {
			x->cap = x->cap ? x->cap * 2 : 16;
			x->v = cs_realloc(x->v, x->cap * sizeof *x->v);
		}
		e = &x->v[x->n++];
		e->text = doc->text + t->start;
		e->len = t->len;
		snprintf(tmp, sizeof tmp, "%.*s", (int)(t->len < sizeof tmp - 1 ? t->len : sizeof tmp - 1),
		    e->text);
		e->d = strtod(tmp, NULL);
		if (ddb_number(e->text, e->len, &c, NULL, NULL, 0) == 0 && c.data)
			e->canon = buf_detach(&c);
		else
			e->canon = cs_strndup(e->text, e->len);
		buf_free(&c);
	}
}

static int
num_cmp(const void *a, const void *b)
{
	double x = ((const struct jvexact_num *)a)->d, y = ((const struct jvexact_num *)b)->d;

	return x < y ? -1 : x > y;
}

static int
number(struct jvexact *x, double d, struct buf *out, char *why, size_t whylen)
{
	char tmp[40];
	size_t lo = 0, hi, i;

	if (!isfinite(d)) {
		snprintf(why, whylen, "the -m program made a number that is not finite");
		return -1;
	}
	if (!x->sorted) {
		qsort(x->v, x->n, sizeof *x->v, num_cmp);
		x->sorted = 1;
	}
	hi = x->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (x->v[mid].d < d)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < x->n && x->v[lo].d == d) {
		for (i = lo + 1; i < x->n && x->v[i].d == d; i++)
			if (strcmp(x->v[i].canon, x->v[lo].canon) != 0) {
				snprintf(why, whylen, "numbers %.*s and %.*s differ beyond the 17 digits "
				    "that jq keeps, so -m cannot tell which one it gave",
				    (int)(x->v[lo].len > 50 ? 50 : x->v[lo].len), x->v[lo].text,
				    (int)(x->v[i].len > 50 ? 50 : x->v[i].len), x->v[i].text);
				return -1;
			}
		buf_add(out, x->v[lo].text, x->v[lo].len);
		return 0;
	}
	jvexact_fmt_double(d, tmp, sizeof tmp);
	buf_adds(out, tmp);
	return 0;
}

int
jvexact_dump(struct jvexact *x, jv v, struct buf *out, char *why, size_t whylen)
{
	int i, n, first, rc = 0;

	switch (jv_get_kind(v)) {
	case JV_KIND_INVALID:
		snprintf(why, whylen, "the -m program gave an invalid value");
		return -1;
	case JV_KIND_NULL:
		buf_adds(out, "null");
		return 0;
	case JV_KIND_TRUE:
		buf_adds(out, "true");
		return 0;
	case JV_KIND_FALSE:
		buf_adds(out, "false");
		return 0;
	case JV_KIND_NUMBER:
		return number(x, jv_number_value(v), out, why, whylen);
	case JV_KIND_STRING:
		json_escape(out, jv_string_value(v), (size_t)jv_string_length_bytes(jv_copy(v)));
		return 0;
	case JV_KIND_ARRAY:
		buf_addc(out, '[');
		n = jv_array_length(jv_copy(v));
		for (i = 0; i < n && rc == 0; i++) {
			jv e = jv_array_get(jv_copy(v), i);

			if (i)
				buf_addc(out, ',');
			rc = jvexact_dump(x, e, out, why, whylen);
			jv_free(e);
		}
		buf_addc(out, ']');
		return rc;
	case JV_KIND_OBJECT:
		buf_addc(out, '{');
		first = 1;
		for (i = jv_object_iter(v); jv_object_iter_valid(v, i) && rc == 0;
		    i = jv_object_iter_next(v, i)) {
			jv k = jv_object_iter_key(v, i), e = jv_object_iter_value(v, i);

			if (!first)
				buf_addc(out, ',');
			first = 0;
			json_escape(out, jv_string_value(k), (size_t)jv_string_length_bytes(jv_copy(k)));
			buf_addc(out, ':');
			rc = jvexact_dump(x, e, out, why, whylen);
			jv_free(k);
			jv_free(e);
		}
		buf_addc(out, '}');
		return rc;
	}
	snprintf(why, whylen, "the -m program gave a value of unknown kind");
	return -1;
}
