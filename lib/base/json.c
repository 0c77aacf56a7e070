/* json.c - a strict JSON scanner producing a flat token array (see json.h). */
#include <stdlib.h>
#include <string.h>

#include "json.h"

void
json_doc_init(struct json_doc *d, unsigned max_depth)
{
	memset(d, 0, sizeof *d);
	d->max_depth = max_depth ? max_depth : JSON_DEFAULT_DEPTH;
}

void
json_doc_free(struct json_doc *d)
{
	free(d->tok);
	d->tok = NULL;
	d->ntok = d->cap = 0;
}

static int
fail(struct json_doc *d, size_t pos, const char *what)
{
	if (pos >= d->textlen)
		snprintf(d->err, sizeof d->err, "invalid JSON: truncated (%s)", what);
	else if (d->text[pos] == '\0')
		snprintf(d->err, sizeof d->err, "NUL byte at byte %zu", pos + 1);
	else
		snprintf(d->err, sizeof d->err, "invalid JSON at byte %zu: %s", pos + 1, what);
	d->errpos = pos;
	return -1;
}

static int
fail_utf8(struct json_doc *d, size_t pos)
{
	snprintf(d->err, sizeof d->err, "invalid UTF-8 at byte %zu", pos + 1);
	d->errpos = pos;
	return -1;
}

static int
new_tok(struct json_doc *d, int type, size_t start)
{
	struct json_tok *t;

	if (d->ntok == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 64;
		d->tok = cs_realloc(d->tok, d->cap * sizeof *d->tok);
	}
	t = &d->tok[d->ntok];
	t->type = (uint8_t)type;
	t->escaped = 0;
	t->start = (uint32_t)start;
	t->len = 0;
	t->size = 0;
	t->next = d->ntok + 1;
	return (int)d->ntok++;
}

/* length of the UTF-8 sequence at s (n bytes left), 0 if invalid */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	unsigned c = s[0];

	if (c < 0x80)
		return 1;
	if (c < 0xc2)
		return 0;
	if (c < 0xe0)
		return n >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c < 0xf0) {
		if (n < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if (c == 0xe0 && s[1] < 0xa0)
			return 0; /* overlong */
		if (c == 0xed && s[1] >= 0xa0)
			return 0; /* surrogate */
		return 3;
	}
	if (c < 0xf5) {
		if (n < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 ||
		    (s[3] & 0xc0) != 0x80)
			return 0;
		if (c == 0xf0 && s[1] < 0x90)
			return 0; /* overlong */
		if (c == 0xf4 && s[1] >= 0x90)
			return 0; /* > U+10FFFF */
		return 4;
	}
	return 0;
}

size_t
utf8_len(const char *s, size_t n)
{
	size_t i, cp = 0;

	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			cp++;
	return cp;
}

int
utf8_valid(const char *s, size_t n, size_t *bad)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;

	while (i < n) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		k = utf8_seq(p + i, n - i);
		if (!k) {
			if (bad)
				*bad = i;
			return 0;
		}
		i += k;
	}
	return 1;
}

static int
hex4(const unsigned char *p, unsigned *out)
{
	unsigned v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		unsigned c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			v |= (c | 0x20) - 'a' + 10;
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* scan a string starting after its opening quote; returns the index of the closing quote */
static int
scan_string(struct json_doc *d, size_t i, size_t *close, int *escaped)
{
	const unsigned char *s = (const unsigned char *)d->text;
	size_t n = d->textlen, k;
	unsigned u, lo;

	*escaped = 0;
	for (;;) {
		/* fast path over plain ASCII */
		while (i < n && s[i] >= 0x20 && s[i] < 0x80 && s[i] != '"' && s[i] != '\\')
			i++;
		if (i >= n)
			return fail(d, i, "unterminated string");
		if (s[i] == '"') {
			*close = i;
			return 0;
		}
		if (s[i] == '\\') {
			*escaped = 1;
			if (i + 1 >= n)
				return fail(d, n, "unterminated string");
			switch (s[i + 1]) {
			case '"': case '\\': case '/': case 'b': case 'f':
			case 'n': case 'r': case 't':
				i += 2;
				continue;
			case 'u':
				if (n - i < 6 || hex4(s + i + 2, &u))
					return fail(d, i, "bad \\u escape");
				i += 6;
				if (u >= 0xdc00 && u <= 0xdfff)
					return fail(d, i - 6, "lone low surrogate in \\u escape");
				if (u >= 0xd800 && u <= 0xdbff) {
					if (n - i < 6 || s[i] != '\\' || s[i + 1] != 'u' ||
					    hex4(s + i + 2, &lo) || lo < 0xdc00 || lo > 0xdfff)
						return fail(d, i - 6, "lone high surrogate in \\u escape");
					i += 6;
				}
				continue;
			default:
				return fail(d, i, "bad escape in string");
			}
		}
		if (s[i] < 0x20)
			return fail(d, i, s[i] == 0 ? "NUL byte" : "control character in string");
		k = utf8_seq(s + i, n - i);
		if (!k)
			return fail_utf8(d, i);
		i += k;
	}
}

static size_t
scan_number(const unsigned char *s, size_t i, size_t n)
{
	size_t st = i;

	if (i < n && s[i] == '-')
		i++;
	if (i < n && s[i] == '0')
		i++;
	else if (i < n && s[i] >= '1' && s[i] <= '9')
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	else
		return st;
	if (i < n && s[i] == '.') {
		size_t f = ++i;

		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == f)
			return st;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		size_t e;

		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		e = i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == e)
			return st;
	}
	return i;
}

static size_t
skip_ws(const unsigned char *s, size_t i, size_t n)
{
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
		i++;
	return i;
}

int
json_parse(struct json_doc *d, const char *text, size_t n)
{
	const unsigned char *s = (const unsigned char *)text;
	uint32_t stack_small[64], *stack = stack_small;
	unsigned depth = 0;
	size_t i, close;
	int t, esc, rc = -1;
	/* what is expected next: a value, or (in a container) ',' / closer */
	enum { VALUE, AFTER } want = VALUE;

	d->text = text;
	d->textlen = n;
	d->ntok = 0;
	d->err[0] = '\0';
	if (n > UINT32_MAX)
		return fail(d, 0, "document too large");

	i = skip_ws(s, 0, n);
	for (;;) {
		struct json_tok *top = depth ? &d->tok[stack[depth - 1]] : NULL;

		if (want == AFTER) {
			i = skip_ws(s, i, n);
			if (!top) {
				if (i != n) {
					fail(d, i, "unexpected data after the value");
					goto out;
				}
				rc = 0;
				goto out;
			}
			if (i < n && s[i] == ',') {
				i = skip_ws(s, i + 1, n);
				if (top->type == JSON_OBJECT) {
					if (i >= n || s[i] != '"') {
						fail(d, i, "expected a member name");
						goto out;
					}
					goto key;
				}
				want = VALUE;
				continue;
			}
			if (i < n && s[i] == (top->type == JSON_OBJECT ? '}' : ']')) {
				top->len = (uint32_t)(i + 1 - top->start);
				top->next = d->ntok;
				depth--;
				i++;
				continue;
			}
			fail(d, i, top->type == JSON_OBJECT ? "expected ',' or '}'" : "expected ',' or ']'");
			goto out;
		}

		/* a value */
		i = skip_ws(s, i, n);
		if (i >= n) {
			fail(d, i, "expected a value");
			goto out;
		}
		if (top)
			top->size++;
		switch (s[i]) {
		case '{':
		case '[':
			if (depth >= d->max_depth) {
				snprintf(d->err, sizeof d->err, "nesting deeper than %u levels", d->max_depth);
				d->errpos = i;
				goto out;
			}
			if (depth == 64 && stack == stack_small) {
				/* deep documents are rare: allocate the big stack only then */
				stack = cs_malloc(d->max_depth * sizeof *stack);
				memcpy(stack, stack_small, sizeof stack_small);
			}
			t = new_tok(d, s[i] == '{' ? JSON_OBJECT : JSON_ARRAY, i);
			stack[depth++] = (uint32_t)t;
			i = skip_ws(s, i + 1, n);
			if (i < n && s[i] == (s[d->tok[t].start] == '{' ? '}' : ']')) {
				d->tok[t].len = (uint32_t)(i + 1 - d->tok[t].start);
				d->tok[t].next = d->ntok;
				depth--;
				i++;
				want = AFTER;
				continue;
			}
			if (d->tok[t].type == JSON_ARRAY) {
				want = VALUE;
				continue;
			}
			if (i >= n || s[i] != '"') {
				fail(d, i, "expected a member name");
				goto out;
			}
		key:
			/* an object member: "key" : value */
			t = new_tok(d, JSON_STRING, i + 1);
			if (scan_string(d, i + 1, &close, &esc))
				goto out;
			d->tok[t].len = (uint32_t)(close - i - 1);
			d->tok[t].escaped = (uint8_t)esc;
			i = skip_ws(s, close + 1, n);
			if (i >= n || s[i] != ':') {
				fail(d, i, "expected ':'");
				goto out;
			}
			i++;
			want = VALUE; /* the value counts the member in the object's size */
			continue;
		case '"':
			t = new_tok(d, JSON_STRING, i + 1);
			if (scan_string(d, i + 1, &close, &esc))
				goto out;
			d->tok[t].len = (uint32_t)(close - i - 1);
			d->tok[t].escaped = (uint8_t)esc;
			i = close + 1;
			break;
		case 't':
		case 'f':
		case 'n': {
			/* the three literals, told apart by their first letter */
			const char *word = s[i] == 't' ? "true" : s[i] == 'f' ? "false" : "null";
			size_t wl = s[i] == 'f' ? 5 : 4;

			if (n - i < wl || memcmp(s + i, word, wl)) {
				fail(d, i, "unexpected character");
				goto out;
			}
			t = new_tok(d, s[i] == 't' ? JSON_TRUE : s[i] == 'f' ? JSON_FALSE : JSON_NULL, i);
			d->tok[t].len = (uint32_t)wl;
			i += wl;
			break;
		}
		default:
			close = scan_number(s, i, n);
			if (close == i) {
				if (s[i] >= 0x80 && !utf8_seq(s + i, n - i))
					fail_utf8(d, i);
				else
					fail(d, i, top ? "expected a value" : "not a JSON value");
				goto out;
			}
			t = new_tok(d, JSON_NUMBER, i);
			d->tok[t].len = (uint32_t)(close - i);
			i = close;
			break;
		}
		want = AFTER;
	}
out:
	if (stack != stack_small)
		free(stack);
	return rc;
}

/* decode the \uXXXX escape(s) at p into UTF-8; returns bytes of input used */
static size_t
decode_u(const unsigned char *p, struct buf *out)
{
	unsigned u = 0, lo = 0;
	size_t used = 6;
	char o[4];
	int n;

	hex4(p + 2, &u);
	if (u >= 0xd800 && u <= 0xdbff) {
		hex4(p + 8, &lo);
		u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
		used = 12;
	}
	if (u < 0x80) {
		o[0] = (char)u;
		n = 1;
	} else if (u < 0x800) {
		o[0] = (char)(0xc0 | u >> 6);
		o[1] = (char)(0x80 | (u & 0x3f));
		n = 2;
	} else if (u < 0x10000) {
		o[0] = (char)(0xe0 | u >> 12);
		o[1] = (char)(0x80 | (u >> 6 & 0x3f));
		o[2] = (char)(0x80 | (u & 0x3f));
		n = 3;
	} else {
		o[0] = (char)(0xf0 | u >> 18);
		o[1] = (char)(0x80 | (u >> 12 & 0x3f));
		o[2] = (char)(0x80 | (u >> 6 & 0x3f));
		o[3] = (char)(0x80 | (u & 0x3f));
		n = 4;
	}
	buf_add(out, o, (size_t)n);
	return used;
}

void
json_str_decode(const struct json_doc *d, int t, struct buf *out)
{
	const struct json_tok *k = &d->tok[t];
	const unsigned char *s = (const unsigned char *)d->text + k->start;
	size_t i = 0, n = k->len, run;

	if (!k->escaped) {
		buf_add(out, s, n);
		return;
	}
	while (i < n) {
		const unsigned char *bs = memchr(s + i, '\\', n - i);

		run = bs ? (size_t)(bs - (s + i)) : n - i;
		buf_add(out, s + i, run);
		i += run;
		if (i >= n)
			break;
		switch (s[i + 1]) {
		case 'b': buf_addc(out, '\b'); break;
		case 'f': buf_addc(out, '\f'); break;
		case 'n': buf_addc(out, '\n'); break;
		case 'r': buf_addc(out, '\r'); break;
		case 't': buf_addc(out, '\t'); break;
		case 'u':
			i += decode_u(s + i, out);
			continue;
		default: buf_addc(out, (char)s[i + 1]); break;
		}
		i += 2;
	}
}

int
json_str_eq(const struct json_doc *d, int t, const char *str, size_t n)
{
	const struct json_tok *k = &d->tok[t];
	struct buf b = BUF_INIT;
	int eq;

	if (k->type != JSON_STRING)
		return 0;
	if (!k->escaped)
		return k->len == n && memcmp(d->text + k->start, str, n) == 0;
	json_str_decode(d, t, &b);
	eq = b.len == n && memcmp(b.data, str, n) == 0;
	buf_free(&b);
	return eq;
}

int
json_obj_get(const struct json_doc *d, int obj, const char *key, size_t keylen)
{
	uint32_t i, m, found = 0;
	int res = -1;

	if (obj < 0 || (uint32_t)obj >= d->ntok || d->tok[obj].type != JSON_OBJECT)
		return -1;
	i = (uint32_t)obj + 1;
	for (m = 0; m < d->tok[obj].size; m++) {
		/* i: the key, i + 1: its value */
		if (json_str_eq(d, (int)i, key, keylen)) {
			res = (int)i + 1;
			found++;
		}
		i = d->tok[i + 1].next;
	}
	(void)found;
	return res;
}

void
json_escape(struct buf *out, const char *str, size_t n)
{
	static const char hx[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run;

	buf_grow(out, n + 2);
	buf_addc(out, '"');
	while (i < n) {
		run = 0;
		while (i + run < n && s[i + run] >= 0x20 && s[i + run] != '"' && s[i + run] != '\\')
			run++;
		buf_add(out, s + i, run);
		i += run;
		if (i >= n)
			break;
		switch (s[i]) {
		case '"': buf_add(out, "\\\"", 2); break;
		case '\\': buf_add(out, "\\\\", 2); break;
		case '\n': buf_add(out, "\\n", 2); break;
		case '\r': buf_add(out, "\\r", 2); break;
		case '\t': buf_add(out, "\\t", 2); break;
		case '\b': buf_add(out, "\\b", 2); break;
		case '\f': buf_add(out, "\\f", 2); break;
		default: {
			char u[6] = { '\\', 'u', '0', '0', hx[s[i] >> 4], hx[s[i] & 15] };

			buf_add(out, u, 6);
		}
		}
		i++;
	}
	buf_addc(out, '"');
}

char *
json_str_dup(const struct json_doc *d, int t)
{
	struct buf b = BUF_INIT;

	if (t < 0 || d->tok[t].type != JSON_STRING)
		return NULL;
	if (!d->tok[t].escaped)
		return cs_strndup(d->text + d->tok[t].start, d->tok[t].len);
	json_str_decode(d, t, &b);
	if (!b.data)
		return cs_strdup("");
	return buf_detach(&b);
}

char *
json_get_str(const struct json_doc *d, int obj, const char *key)
{
	return json_str_dup(d, json_obj_get(d, obj, key, strlen(key)));
}

int
json_get_str_buf(const struct json_doc *d, int obj, const char *key, struct buf *out)
{
	int t = json_obj_get(d, obj, key, strlen(key));

	buf_reset(out);
	buf_adds(out, "");
	if (t < 0 || d->tok[t].type != JSON_STRING)
		return 0;
	json_str_decode(d, t, out);
	return 1;
}

void
json_escape_str(struct buf *out, const char *s)
{
	json_escape(out, s ? s : "", s ? strlen(s) : 0);
}
