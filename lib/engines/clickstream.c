/* clickstream.c - the eligibility rules of a clickstream record (see clickstream.h). */
#include <string.h>
#include <strings.h>

#include "clickstream.h"

const char *const cs_field_names[CS_NFIELDS] = {
	"ip", "timestamp", "browser", "url", "referrer", "os", "country", "language",
};

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
is_alpha(int c)
{
	return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

static int
is_xdigit(int c)
{
	return is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

/* --- ip ------------------------------------------------------------------- */

int
cs_valid_ipv4(const char *s, size_t n)
{
	size_t i = 0, st;
	unsigned v;
	int part;

	for (part = 0; part < 4; part++) {
		if (part > 0) {
			if (i >= n || s[i] != '.')
				return 0;
			i++;
		}
		st = i;
		v = 0;
		while (i < n && is_digit(s[i]) && i - st < 3)
			v = v * 10 + (unsigned)(s[i++] - '0');
		if (i == st || v > 255 || (s[st] == '0' && i - st > 1))
			return 0;
	}
	return i == n;
}

int
cs_valid_ipv6(const char *s, size_t n)
{
	size_t i = 0, st;
	int groups = 0, dbl = 0;

	if (n < 2 || n > 45)
		return 0;
	if (s[0] == ':') {
		if (s[1] != ':')
			return 0;
		dbl = 1;
		i = 2;
		if (i == n)
			return 1;
	}
	for (;;) {
		st = i;
		while (i < n && is_xdigit(s[i]) && i - st < 5)
			i++;
		if (i < n && s[i] == '.') {
			/* an embedded IPv4 address takes the last two groups */
			if (groups > 6 || !cs_valid_ipv4(s + st, n - st))
				return 0;
			groups += 2;
			break;
		}
		if (i == st || i - st > 4)
			return 0;
		groups++;
		if (i == n)
			break;
		if (s[i] != ':' || groups >= 8)
			return 0;
		i++;
		if (i < n && s[i] == ':') {
			if (dbl)
				return 0;
			dbl = 1;
			i++;
			if (i == n)
				break;
		} else if (i == n) {
			return 0;
		}
	}
	return dbl ? groups <= 7 : groups == 8;
}

int
cs_valid_ip(const char *s, size_t n)
{
	return memchr(s, ':', n) ? cs_valid_ipv6(s, n) : cs_valid_ipv4(s, n);
}

/* --- timestamp ------------------------------------------------------------ */

/* the shape YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z, without the calendar */
static int
ts_shape(const char *s, size_t n)
{
	static const char pat[] = "dddd-dd-ddTdd:dd:dd";
	size_t i;

	if (n < 20 || n > 30 || s[n - 1] != 'Z')
		return 0;
	for (i = 0; i < 19; i++)
		if (pat[i] == 'd' ? !is_digit(s[i]) : s[i] != pat[i])
			return 0;
	if (n == 20)
		return 1;
	if (s[19] != '.' || n < 22)
		return 0;
	for (i = 20; i < n - 1; i++)
		if (!is_digit(s[i]))
			return 0;
	return 1;
}

int
cs_valid_timestamp(const char *s, size_t n)
{
	int64_t ms;

	return ts_shape(s, n) && cs_parse_rfc3339(s, n, &ms) == 0;
}

/* --- url ------------------------------------------------------------------ */

/* a host name: labels of letters, digits, '-', '_', '~', %XX or non-ASCII, split by dots */
static int
valid_hostname(const char *s, size_t n)
{
	size_t i, label = 0;
	int numeric = 1;

	if (n == 0 || n > 253 || s[0] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (label == 0)
				return 0;
			label = 0;
			continue;
		}
		if (++label > 63)
			return 0;
		if (!is_digit(c))
			numeric = 0;
		if (is_alpha(c) || is_digit(c) || c == '-' || c == '_' || c == '~' || c >= 0x80)
			continue;
		if (c == '%' && i + 2 < n && is_xdigit(s[i + 1]) && is_xdigit(s[i + 2])) {
			i += 2;
			continue;
		}
		return 0;
	}
	/* all digits and dots: it claims to be an IPv4 address, so it must be one */
	if (numeric)
		return cs_valid_ipv4(s, n);
	return 1;
}

int
cs_valid_url(const char *s, size_t n)
{
	size_t i, a, end, at, hs, he;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c == 0x7f || c == '"' || c == '<' || c == '>' || c == '\\')
			return 0;
	}
	if (n >= 7 && strncasecmp(s, "http://", 7) == 0)
		a = 7;
	else if (n >= 8 && strncasecmp(s, "https://", 8) == 0)
		a = 8;
	else
		return 0;
	/* the authority: [userinfo@]host[:port] up to the path, query or fragment */
	for (end = a; end < n && s[end] != '/' && s[end] != '?' && s[end] != '#'; end++)
		;
	hs = a;
	for (at = a; at < end; at++)
		if (s[at] == '@')
			hs = at + 1;
	if (hs < end && s[hs] == '[') {
		const char *rb = memchr(s + hs, ']', end - hs);

		if (!rb || !cs_valid_ipv6(s + hs + 1, (size_t)(rb - s) - hs - 1))
			return 0;
		he = (size_t)(rb - s) + 1;
		if (he < end && s[he] != ':')
			return 0;
	} else {
		for (he = hs; he < end && s[he] != ':'; he++)
			;
		if (!valid_hostname(s + hs, he - hs))
			return 0;
	}
	if (he < end) {
		/* a port: 1 to 5 digits, 1-65535 */
		unsigned long port = 0;
		size_t p = he + 1;

		if (p == end || end - p > 5)
			return 0;
		for (; p < end; p++) {
			if (!is_digit(s[p]))
				return 0;
			port = port * 10 + (unsigned long)(s[p] - '0');
		}
		if (port == 0 || port > 65535)
			return 0;
	}
	return 1;
}

int
cs_valid_referrer(const char *s, size_t n)
{
	return n == 0 || cs_valid_url(s, n);
}

/* --- language ------------------------------------------------------------- */

int
cs_valid_language(const char *s, size_t n)
{
	size_t i = 0, st;

	while (i < n && is_alpha(s[i]))
		i++;
	if (i < 2 || i > 3)
		return 0;
	while (i < n) {
		if (s[i] != '-')
			return 0;
		st = ++i;
		while (i < n && (is_alpha(s[i]) || is_digit(s[i])))
			i++;
		if (i == st || i - st > 8)
			return 0;
	}
	return 1;
}

/* --- messages ------------------------------------------------------------- */

void
cs_quote_value(struct buf *out, const char *value, size_t n, size_t max)
{
	const unsigned char *s = (const unsigned char *)value;
	size_t i = 0, used = 0, k;

	buf_addc(out, '\'');
	while (i < n) {
		unsigned char c = s[i];

		k = 1;
		if (c >= 0x80) {
			/* the whole UTF-8 sequence (the text is valid UTF-8) */
			while (i + k < n && (s[i + k] & 0xc0) == 0x80)
				k++;
		}
		if (used + k > max) {
			buf_adds(out, "...");
			break;
		}
		if (c < 0x20 || c == 0x7f) {
			buf_printf(out, "\\x%02x", c);
		} else if (c == '\'' || c == '\\') {
			buf_addc(out, '\\');
			buf_addc(out, (char)c);
		} else {
			buf_add(out, s + i, k);
		}
		used += k;
		i += k;
	}
	buf_addc(out, '\'');
}

static void
verdict(struct cs_verdict *v, const char *error, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void
verdict(struct cs_verdict *v, const char *error, const char *field, const char *fmt, ...)
{
	va_list ap;

	v->error = error;
	snprintf(v->field, sizeof v->field, "%s", field);
	va_start(ap, fmt);
	vsnprintf(v->reason, sizeof v->reason, fmt, ap);
	va_end(ap);
}

static const char *
kind_name(int type)
{
	switch (type) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_NUMBER: return "a number";
	case JSON_TRUE: case JSON_FALSE: return "a boolean";
	case JSON_NULL: return "null";
	}
	return "nothing";
}

/* --- records -------------------------------------------------------------- */

void
cs_record_init(struct cs_record *r, unsigned max_depth)
{
	memset(r, 0, sizeof *r);
	json_doc_init(&r->doc, max_depth);
	buf_init(&r->inner);
	buf_init(&r->scratch);
}

void
cs_record_free(struct cs_record *r)
{
	json_doc_free(&r->doc);
	buf_free(&r->inner);
	buf_free(&r->scratch);
}

/* a json_parse() failure as a verdict */
static int
parse_failed(struct cs_record *r, const char *prefix, struct cs_verdict *v)
{
	const char *e = r->doc.err;
	const char *code = "InvalidJSON";

	if (strncmp(e, "invalid UTF-8", 13) == 0)
		code = "InvalidUTF8";
	else if (strncmp(e, "nesting deeper", 14) == 0)
		code = "TooDeep";
	verdict(v, code, "", "%s%s", prefix, e);
	return -1;
}

static int
blank_char(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int
cs_record_parse(struct cs_record *r, const char *line, size_t n, struct cs_verdict *v)
{
	const struct json_tok *t;
	char *p;
	size_t m, i;

	v->error = NULL;
	v->field[0] = v->reason[0] = '\0';
	r->double_encoded = 0;
	r->text = line;
	r->len = n;
	if (json_parse(&r->doc, line, n))
		return parse_failed(r, "", v);
	t = &r->doc.tok[0];
	if (t->type == JSON_OBJECT)
		return 0;
	if (t->type != JSON_STRING) {
		verdict(v, "NotAnObject", "", "the record is %s, not an object", kind_name(t->type));
		return -1;
	}
	/* a JSON string: the original proxy's double-encoded record? */
	buf_reset(&r->inner);
	json_str_decode(&r->doc, 0, &r->inner);
	p = r->inner.data ? r->inner.data : "";
	m = r->inner.len;
	while (m > 0 && blank_char(p[0]))
		p++, m--;
	while (m > 0 && blank_char(p[m - 1]))
		m--;
	if (m == 0 || p[0] != '{') {
		verdict(v, "NotAnObject", "", "the record is a string, not an object");
		return -1;
	}
	if (json_parse(&r->doc, p, m))
		return parse_failed(r, "double-encoded record: ", v);
	/* line ends between tokens would split the output line: make them blanks */
	for (i = 0; i < m; i++)
		if (p[i] == '\n' || p[i] == '\r')
			p[i] = ' ';
	r->text = p;
	r->len = m;
	r->double_encoded = 1;
	return 0;
}

/* the value of string token T: raw when it has no escapes, else decoded into scratch */
static void
str_value(struct cs_record *r, int t, const char **s, size_t *n)
{
	const struct json_tok *k = &r->doc.tok[t];

	if (!k->escaped) {
		*s = r->doc.text + k->start;
		*n = k->len;
		return;
	}
	buf_reset(&r->scratch);
	json_str_decode(&r->doc, t, &r->scratch);
	*s = r->scratch.data;
	*n = r->scratch.len;
}

static int
field_of_key(struct cs_record *r, int t)
{
	const char *s;
	size_t n;
	int f;

	str_value(r, t, &s, &n);
	if (n < 2 || n > 9)
		return -1;
	for (f = 0; f < CS_NFIELDS; f++)
		if (cs_field_names[f][0] == s[0] && strlen(cs_field_names[f]) == n &&
		    memcmp(cs_field_names[f], s, n) == 0)
			return f;
	return -1;
}

static int
all_blank(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!blank_char(s[i]))
			return 0;
	return 1;
}

#define QUOTE_MAX 80

static int
field_invalid(struct cs_record *r, struct cs_verdict *v, const char *field,
    const char *s, size_t n, const char *what)
{
	struct buf b = BUF_INIT;

	cs_quote_value(&b, s, n, QUOTE_MAX);
	verdict(v, "InvalidField", field, "%s: %s %s", field, b.data, what);
	buf_free(&b);
	(void)r;
	return -1;
}

int
cs_record_check(struct cs_record *r, struct cs_verdict *v)
{
	int idx[CS_NFIELDS], f, t;
	uint32_t i, m;
	const struct json_doc *d = &r->doc;
	const char *s;
	size_t n;

	for (f = 0; f < CS_NFIELDS; f++)
		idx[f] = -1;
	/* one pass over the members; a repeated member: the last one counts */
	i = 1;
	for (m = 0; m < d->tok[0].size; m++) {
		f = field_of_key(r, (int)i);
		if (f >= 0)
			idx[f] = (int)i + 1;
		i = d->tok[i + 1].next;
	}
	for (f = 0; f < CS_NFIELDS; f++) {
		const char *name = cs_field_names[f];

		t = idx[f];
		if (t < 0) {
			verdict(v, "MissingField", name, "%s: missing", name);
			return -1;
		}
		if (d->tok[t].type != JSON_STRING) {
			verdict(v, "InvalidField", name, "%s: %s, not a string", name,
			    kind_name(d->tok[t].type));
			return -1;
		}
		str_value(r, t, &s, &n);
		switch (f) {
		case CS_F_IP:
			if (!cs_valid_ip(s, n))
				return field_invalid(r, v, name, s, n, "is not an IPv4 or IPv6 address");
			break;
		case CS_F_TIMESTAMP:
			if (!ts_shape(s, n))
				return field_invalid(r, v, name, s, n,
				    "is not an RFC 3339 UTC date-time like 2018-02-04T23:18:32.866Z");
			if (!cs_valid_timestamp(s, n))
				return field_invalid(r, v, name, s, n, "is not a real date and time");
			break;
		case CS_F_URL:
			if (!cs_valid_url(s, n))
				return field_invalid(r, v, name, s, n, "is not an absolute http or https URL");
			break;
		case CS_F_REFERRER:
			if (!cs_valid_referrer(s, n))
				return field_invalid(r, v, name, s, n,
				    "is neither empty nor an absolute http or https URL");
			break;
		case CS_F_LANGUAGE:
			if (!cs_valid_language(s, n))
				return field_invalid(r, v, name, s, n, "is not a language tag like en-us");
			break;
		default: /* browser, os, country */
			if (all_blank(s, n)) {
				verdict(v, "InvalidField", name, "%s: empty", name);
				return -1;
			}
		}
	}
	return 0;
}

int
cs_record_require(struct cs_record *r, const char *field, struct cs_verdict *v)
{
	int t = json_obj_get(&r->doc, 0, field, strlen(field));
	const char *s;
	size_t n;

	if (t < 0) {
		verdict(v, "MissingField", field, "%s: missing", field);
		return -1;
	}
	if (r->doc.tok[t].type != JSON_STRING) {
		verdict(v, "InvalidField", field, "%s: %s, not a string", field,
		    kind_name(r->doc.tok[t].type));
		return -1;
	}
	str_value(r, t, &s, &n);
	if (all_blank(s, n)) {
		verdict(v, "InvalidField", field, "%s: empty", field);
		return -1;
	}
	return 0;
}
