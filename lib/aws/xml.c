/*
 * xml.c - the strict XML element reader of xml.h.
 *
 * One pass over the text with an explicit stack of open elements; each
 * element becomes a node linked to its parent and siblings.  Errors say
 * what is wrong and the byte offset, never the text (it may hold a key).
 */
#include <stdlib.h>
#include <string.h>

#include "xml.h"

struct parser {
	const char *s;
	size_t len, i;
	struct xml_doc *d;
	struct buf *texts;        /* the text being gathered, one per open element */
	int stack[XML_MAX_DEPTH];
	int depth;
	int last_child[XML_MAX_DEPTH];
	struct cs_err *err;
};

static int
fail(struct parser *p, const char *what)
{
	cs_err_set(p->err, "not well-formed XML: %s at byte %zu", what, p->i);
	return -1;
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* XML name characters, the ASCII subset; any byte >= 0x80 is allowed (UTF-8) */
static int
name_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || c >= 0x80;
}

static int
name_char(unsigned char c)
{
	return name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

static int
starts(const struct parser *p, const char *lit)
{
	size_t n = strlen(lit);

	return p->len - p->i >= n && memcmp(p->s + p->i, lit, n) == 0;
}

static void
skip_space(struct parser *p)
{
	while (p->i < p->len && is_space(p->s[p->i]))
		p->i++;
}

/* a name at p->i: its start and length, or -1 */
static int
read_name(struct parser *p, size_t *start, size_t *n)
{
	*start = p->i;
	if (p->i >= p->len || !name_start((unsigned char)p->s[p->i]))
		return fail(p, "a name was expected");
	while (p->i < p->len && name_char((unsigned char)p->s[p->i]))
		p->i++;
	*n = p->i - *start;
	return 0;
}

static void
add_utf8(struct buf *b, unsigned long cp)
{
	if (cp < 0x80) {
		buf_addc(b, (char)cp);
	} else if (cp < 0x800) {
		buf_addc(b, (char)(0xC0 | (cp >> 6)));
		buf_addc(b, (char)(0x80 | (cp & 0x3F)));
	} else if (cp < 0x10000) {
		buf_addc(b, (char)(0xE0 | (cp >> 12)));
		buf_addc(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
		buf_addc(b, (char)(0x80 | (cp & 0x3F)));
	} else {
		buf_addc(b, (char)(0xF0 | (cp >> 18)));
		buf_addc(b, (char)(0x80 | ((cp >> 12) & 0x3F)));
		buf_addc(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
		buf_addc(b, (char)(0x80 | (cp & 0x3F)));
	}
}

/* an entity or character reference at p->i ('&'), decoded onto OUT (may be NULL) */
static int
read_ref(struct parser *p, struct buf *out)
{
	static const struct {
		const char *name;
		char c;
	} ents[] = { { "lt;", '<' }, { "gt;", '>' }, { "amp;", '&' }, { "quot;", '"' },
		{ "apos;", '\'' } };
	size_t k;

	p->i++;
	if (p->i < p->len && p->s[p->i] == '#') {
		unsigned long cp = 0;
		int hex = 0, digits = 0;

		p->i++;
		if (p->i < p->len && p->s[p->i] == 'x') {
			hex = 1;
			p->i++;
		}
		for (; p->i < p->len && p->s[p->i] != ';'; p->i++, digits++) {
			char c = p->s[p->i];
			int v;

			if (c >= '0' && c <= '9')
				v = c - '0';
			else if (hex && c >= 'a' && c <= 'f')
				v = c - 'a' + 10;
			else if (hex && c >= 'A' && c <= 'F')
				v = c - 'A' + 10;
			else
				return fail(p, "a bad character reference");
			cp = cp * (hex ? 16 : 10) + (unsigned long)v;
			if (cp > 0x10FFFF)
				return fail(p, "a character reference out of range");
		}
		if (p->i >= p->len || digits == 0)
			return fail(p, "a bad character reference");
		p->i++;
		/* the characters XML allows: no NUL, no other C0 but tab and line ends, no surrogates */
		if ((cp < 0x20 && cp != 0x9 && cp != 0xA && cp != 0xD) ||
		    (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE || cp == 0xFFFF)
			return fail(p, "a character reference to a character XML forbids");
		if (out)
			add_utf8(out, cp);
		return 0;
	}
	for (k = 0; k < sizeof ents / sizeof ents[0]; k++) {
		if (starts(p, ents[k].name)) {
			p->i += strlen(ents[k].name);
			if (out)
				buf_addc(out, ents[k].c);
			return 0;
		}
	}
	return fail(p, "an unknown entity");
}

/* attributes up to '>' or '/>'; p->i after them. */
static int
read_attrs(struct parser *p)
{
	size_t names[32], lens[32], nattr = 0, start, n, k;

	for (;;) {
		size_t before = p->i;

		skip_space(p);
		if (p->i >= p->len)
			return fail(p, "a tag that does not end");
		if (p->s[p->i] == '>' || p->s[p->i] == '/')
			return 0;
		if (p->i == before)
			return fail(p, "no blank before an attribute");
		if (read_name(p, &start, &n) < 0)
			return -1;
		for (k = 0; k < nattr; k++)
			if (lens[k] == n && memcmp(p->s + names[k], p->s + start, n) == 0)
				return fail(p, "an attribute given twice");
		if (nattr == sizeof names / sizeof names[0])
			return fail(p, "too many attributes");
		names[nattr] = start;
		lens[nattr++] = n;
		skip_space(p);
		if (p->i >= p->len || p->s[p->i] != '=')
			return fail(p, "an attribute without '='");
		p->i++;
		skip_space(p);
		if (p->i >= p->len || (p->s[p->i] != '"' && p->s[p->i] != '\''))
			return fail(p, "an attribute value without quotes");
		{
			char q = p->s[p->i++];

			while (p->i < p->len && p->s[p->i] != q) {
				if (p->s[p->i] == '<')
					return fail(p, "'<' in an attribute value");
				if (p->s[p->i] == '&') {
					if (read_ref(p, NULL) < 0)
						return -1;
					continue;
				}
				p->i++;
			}
			if (p->i >= p->len)
				return fail(p, "an attribute value that does not end");
			p->i++;
		}
	}
}

static int
new_node(struct parser *p, size_t start, size_t n)
{
	struct xml_doc *d = p->d;
	struct xml_node *x;
	const char *colon = memchr(p->s + start, ':', n);
	int id;

	if (d->count >= XML_MAX_NODES)
		return fail(p, "too many elements");
	if (d->count == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 16;
		d->n = cs_realloc(d->n, (size_t)d->cap * sizeof *d->n);
	}
	id = d->count++;
	x = &d->n[id];
	if (colon) {
		/* "prefix:local": one colon, both parts names */
		size_t pre = (size_t)(colon - (p->s + start));

		if (pre == 0 || pre + 1 == n || memchr(colon + 1, ':', n - pre - 1) ||
		    !name_start((unsigned char)colon[1])) {
			d->count--;
			return fail(p, "a bad element name");
		}
		start += pre + 1;
		n -= pre + 1;
	}
	x->name = cs_strndup(p->s + start, n);
	x->text = NULL;
	x->parent = p->depth ? p->stack[p->depth - 1] : -1;
	x->first_child = -1;
	x->next = -1;
	if (p->depth) {
		int last = p->last_child[p->depth - 1];

		if (last < 0)
			d->n[x->parent].first_child = id;
		else
			d->n[last].next = id;
		p->last_child[p->depth - 1] = id;
	}
	return id;
}

/* the raw name of an open element, for matching its end tag */
struct rawname {
	size_t start, n;
};

static int
parse(struct parser *p)
{
	struct rawname raw[XML_MAX_DEPTH];
	int root_done = 0;

	if (starts(p, "\xEF\xBB\xBF"))
		p->i += 3;
	while (p->i < p->len) {
		char c = p->s[p->i];

		if (c == '\0')
			return fail(p, "a NUL byte");
		if (c != '<') {
			if (c == '&') {
				if (!p->depth)
					return fail(p, "text outside the root element");
				if (read_ref(p, &p->texts[p->depth - 1]) < 0)
					return -1;
				continue;
			}
			if (!p->depth && !is_space(c))
				return fail(p, "text outside the root element");
			if (c == '>' && p->i >= 2 && p->s[p->i - 1] == ']' && p->s[p->i - 2] == ']')
				return fail(p, "']]>' in text");
			if (p->depth)
				buf_addc(&p->texts[p->depth - 1], c);
			p->i++;
			continue;
		}
		if (starts(p, "<?")) {
			/* the XML declaration, or a processing instruction */
			const char *end = memmem(p->s + p->i + 2, p->len - p->i - 2, "?>", 2);

			if (!end)
				return fail(p, "a processing instruction that does not end");
			p->i = (size_t)(end - p->s) + 2;
			continue;
		}
		if (starts(p, "<!--")) {
			const char *end = memmem(p->s + p->i + 4, p->len - p->i - 4, "--", 2);

			if (!end || (size_t)(end - p->s) + 2 >= p->len || end[2] != '>')
				return fail(p, "a comment that does not end with '-->'");
			p->i = (size_t)(end - p->s) + 3;
			continue;
		}
		if (starts(p, "<![CDATA[")) {
			const char *from = p->s + p->i + 9, *end;

			if (!p->depth)
				return fail(p, "CDATA outside the root element");
			end = memmem(from, p->len - p->i - 9, "]]>", 3);
			if (!end)
				return fail(p, "a CDATA section that does not end");
			if (memchr(from, '\0', (size_t)(end - from)))
				return fail(p, "a NUL byte");
			buf_add(&p->texts[p->depth - 1], from, (size_t)(end - from));
			p->i = (size_t)(end - p->s) + 3;
			continue;
		}
		if (starts(p, "<!"))
			return fail(p, "a DOCTYPE or declaration (not accepted)");
		if (starts(p, "</")) {
			size_t start, n;
			int id;

			p->i += 2;
			if (!p->depth)
				return fail(p, "an end tag with no element open");
			if (read_name(p, &start, &n) < 0)
				return -1;
			if (n != raw[p->depth - 1].n ||
			    memcmp(p->s + start, p->s + raw[p->depth - 1].start, n) != 0)
				return fail(p, "an end tag that does not match its start tag");
			skip_space(p);
			if (p->i >= p->len || p->s[p->i] != '>')
				return fail(p, "an end tag that does not end with '>'");
			p->i++;
			id = p->stack[p->depth - 1];
			p->d->n[id].text = buf_detach(&p->texts[p->depth - 1]);
			if (!p->d->n[id].text)
				p->d->n[id].text = cs_strdup("");
			if (--p->depth == 0)
				root_done = 1;
			continue;
		}
		/* a start tag */
		{
			size_t start, n;
			int id;

			p->i++;
			if (root_done)
				return fail(p, "a second root element");
			if (p->depth == XML_MAX_DEPTH)
				return fail(p, "elements nested too deep");
			if (read_name(p, &start, &n) < 0)
				return -1;
			if ((id = new_node(p, start, n)) < 0)
				return -1;
			if (read_attrs(p) < 0)
				return -1;
			if (p->s[p->i] == '/') {
				p->i++;
				if (p->i >= p->len || p->s[p->i] != '>')
					return fail(p, "'/' not followed by '>'");
				p->i++;
				p->d->n[id].text = cs_strdup("");
				if (p->depth == 0)
					root_done = 1;
				continue;
			}
			p->i++; /* '>' */
			raw[p->depth].start = start;
			raw[p->depth].n = n;
			p->stack[p->depth] = id;
			p->last_child[p->depth] = -1;
			buf_reset(&p->texts[p->depth]);
			p->depth++;
		}
	}
	if (p->depth)
		return fail(p, "an element that is never closed");
	if (!root_done)
		return fail(p, "no root element");
	return 0;
}

int
xml_parse(struct xml_doc *d, const char *text, size_t len, struct cs_err *err)
{
	struct parser p;
	struct buf texts[XML_MAX_DEPTH];
	int i, rc;

	memset(d, 0, sizeof *d);
	memset(&p, 0, sizeof p);
	for (i = 0; i < XML_MAX_DEPTH; i++)
		buf_init(&texts[i]);
	p.s = text ? text : "";
	p.len = text ? len : 0;
	p.d = d;
	p.texts = texts;
	p.err = err;
	rc = parse(&p);
	for (i = 0; i < XML_MAX_DEPTH; i++)
		buf_wipe_free(&texts[i]);
	/* elements left open (after an error) have no text yet */
	for (i = 0; i < d->count; i++)
		if (!d->n[i].text)
			d->n[i].text = cs_strdup("");
	if (rc < 0)
		xml_free(d);
	return rc;
}

void
xml_free(struct xml_doc *d)
{
	int i;

	for (i = 0; i < d->count; i++) {
		free(d->n[i].name);
		cs_wipe_free(d->n[i].text);
	}
	free(d->n);
	memset(d, 0, sizeof *d);
}

int
xml_child(const struct xml_doc *d, int node, const char *name)
{
	int c;

	if (node < 0 || node >= d->count)
		return -1;
	for (c = d->n[node].first_child; c >= 0; c = d->n[c].next)
		if (strcmp(d->n[c].name, name) == 0)
			return c;
	return -1;
}

int
xml_path(const struct xml_doc *d, const char *path)
{
	int node = -1;

	if (d->count == 0)
		return -1;
	while (*path) {
		size_t n = strcspn(path, "/");
		char name[128];

		if (n == 0 || n >= sizeof name)
			return -1;
		memcpy(name, path, n);
		name[n] = '\0';
		if (node < 0)
			node = strcmp(d->n[0].name, name) == 0 ? 0 : -1;
		else
			node = xml_child(d, node, name);
		if (node < 0)
			return -1;
		path += n;
		if (*path == '/')
			path++;
	}
	return node;
}

const char *
xml_path_text(const struct xml_doc *d, const char *path)
{
	int n = xml_path(d, path);

	return n < 0 ? NULL : d->n[n].text;
}
