/* ini.c - the INI dialect of the shared AWS config and credentials files (see ini.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ini.h"

#define INI_MAX_FILE (4u << 20) /* a config file is small: refuse a huge one */

void
ini_init(struct ini *ini)
{
	ini->e = NULL;
	ini->n = ini->cap = 0;
}

void
ini_free(struct ini *ini)
{
	size_t i;

	for (i = 0; i < ini->n; i++) {
		free(ini->e[i].section);
		free(ini->e[i].key);
		cs_wipe_free(ini->e[i].value);
	}
	free(ini->e);
	ini_init(ini);
}

static int
blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Trim S[0..*n) of blanks at both ends: returns the new start. */
static const char *
trim(const char *s, size_t *n)
{
	while (*n > 0 && blank(s[0])) {
		s++;
		(*n)--;
	}
	while (*n > 0 && blank(s[*n - 1]))
		(*n)--;
	return s;
}

/* S[0..n) with each run of blanks made one space: "[profile   x]" is "profile x" */
static char *
collapse(const char *s, size_t n)
{
	char *out = cs_malloc(n + 1);
	size_t i, j = 0;

	for (i = 0; i < n; i++) {
		if (blank(s[i])) {
			if (j > 0 && out[j - 1] != ' ')
				out[j++] = ' ';
		} else {
			out[j++] = s[i];
		}
	}
	out[j] = '\0';
	return out;
}

/* "key = value" in LINE[0..len): the key and value, trimmed; -1 when there is no '=' or no key */
static int
split_kv(const char *line, size_t len, const char **k, size_t *klen, const char **v, size_t *vlen)
{
	const char *eq = memchr(line, '=', len);

	if (!eq)
		return -1;
	*klen = (size_t)(eq - line);
	*k = trim(line, klen);
	*vlen = len - (size_t)(eq + 1 - line);
	*v = trim(eq + 1, vlen);
	return *klen ? 0 : -1;
}

/* key or section marker (KEY NULL) */
static struct ini_entry *
add(struct ini *ini, const char *section, const char *key, size_t keylen,
    const char *value, size_t valuelen)
{
	struct ini_entry *e;
	size_t i;

	if (ini->n == ini->cap) {
		ini->cap = ini->cap ? ini->cap * 2 : 16;
		ini->e = cs_realloc(ini->e, ini->cap * sizeof *ini->e);
	}
	e = &ini->e[ini->n++];
	e->section = cs_strdup(section);
	e->key = key ? cs_strndup(key, keylen) : NULL;
	if (e->key)
		for (i = 0; e->key[i]; i++)
			if (e->key[i] >= 'A' && e->key[i] <= 'Z')
				e->key[i] = (char)(e->key[i] + 32);
	e->value = value ? cs_strndup(value, valuelen) : NULL;
	return e;
}

void
ini_parse(struct ini *ini, const char *text, size_t n)
{
	const char *p = text, *end = text + n;
	char *section = NULL;
	/* the last key of the section: continuation lines go to it, unless it opened a sub-section */
	long last = -1;
	int in_sub = 0;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *line;
		size_t len;
		int indented;

		if (!eol)
			eol = end;
		len = (size_t)(eol - p);
		indented = len > 0 && blank(p[0]) && p[0] != '\r';
		line = trim(p, &len);
		p = eol < end ? eol + 1 : end;
		if (len == 0 || line[0] == '#' || line[0] == ';')
			continue;
		if (memchr(line, '\0', len)) {
			/* not text: the line is dropped (a broken header owns what follows) */
			if (line[0] == '[') {
				free(section);
				section = NULL;
			}
			last = -1;
			continue;
		}
		if (indented && section && last >= 0) {
			/* a line under a key: a sub-section's entry or a continuation */
			struct ini_entry *e = &ini->e[last];
			struct buf b = BUF_INIT;

			if (in_sub) {
				/* "endpoint_url = URL" under "kinesis =": key "kinesis.endpoint_url" */
				size_t klen, vlen;
				const char *k, *v;
				char *parent;

				if (split_kv(line, len, &k, &klen, &v, &vlen) < 0)
					continue;
				buf_printf(&b, "%s.%.*s", e->key, (int)klen, k);
				parent = buf_detach(&b);
				add(ini, section, parent, strlen(parent), v, vlen);
				free(parent);
				continue;
			}
			buf_adds(&b, e->value);
			buf_addc(&b, '\n');
			buf_add(&b, line, len);
			cs_wipe_free(e->value);
			e->value = buf_detach(&b);
			continue;
		}
		if (line[0] == '[') {
			const char *close = memchr(line, ']', len);
			size_t slen;
			const char *s;

			free(section);
			section = NULL;
			last = -1;
			in_sub = 0;
			if (!close)
				continue; /* a broken header: its keys belong nowhere */
			slen = (size_t)(close - line - 1);
			s = trim(line + 1, &slen);
			section = collapse(s, slen);
			add(ini, section, NULL, 0, NULL, 0);
			continue;
		}
		if (!section) {
			continue;
		} else {
			size_t klen, vlen;
			const char *k, *v;

			last = -1;
			in_sub = 0;
			if (split_kv(line, len, &k, &klen, &v, &vlen) < 0)
				continue;
			add(ini, section, k, klen, v, vlen);
			last = (long)ini->n - 1;
			in_sub = vlen == 0;
		}
	}
	free(section);
}

int
ini_load(struct ini *ini, const char *path, struct cs_err *err)
{
	struct buf b = BUF_INIT;
	int not_opened, rc = -1;

	if (cs_read_file(path, INI_MAX_FILE, &b, &not_opened) < 0) {
		if (not_opened && (errno == ENOENT || errno == ENOTDIR))
			rc = 0;
		else if (!not_opened && errno == EFBIG)
			cs_err_set(err, "cannot read '%s': larger than %u bytes", path, INI_MAX_FILE);
		else
			cs_err_set(err, "cannot read '%s': %s", path, strerror(errno));
		goto out;
	}
	ini_parse(ini, b.data ? b.data : "", b.len);
	rc = 1;
out:
	buf_wipe_free(&b);
	return rc;
}

const char *
ini_get(const struct ini *ini, const char *section, const char *key)
{
	size_t i = ini->n;

	while (i-- > 0) {
		const struct ini_entry *e = &ini->e[i];

		if (e->key && strcmp(e->section, section) == 0 && strcasecmp(e->key, key) == 0)
			return e->value;
	}
	return NULL;
}

int
ini_has_section(const struct ini *ini, const char *section)
{
	size_t i;

	for (i = 0; i < ini->n; i++)
		if (strcmp(ini->e[i].section, section) == 0)
			return 1;
	return 0;
}
