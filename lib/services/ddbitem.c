/* ddbitem.c - JSON text to a DynamoDB item (see ddbitem.h). */
#include <stdlib.h>
#include <string.h>

#include "ddbitem.h"

static const char *const error_codes[] = {
	[DDB_ITEM_OK] = "",
	[DDB_ITEM_NOT_OBJECT] = "NotAnObject",
	[DDB_ITEM_MISSING_KEY] = "MissingKey",
	[DDB_ITEM_KEY_TYPE] = "KeyType",
	[DDB_ITEM_EMPTY_KEY] = "EmptyKey",
	[DDB_ITEM_TOO_LARGE] = "ItemTooLarge",
	[DDB_ITEM_NUMBER] = "InvalidNumber",
	[DDB_ITEM_INVALID] = "InvalidItem",
};

const char *
ddb_item_error_code(enum ddb_item_error e)
{
	if ((unsigned)e >= sizeof error_codes / sizeof error_codes[0])
		return "InvalidItem";
	return error_codes[e];
}

void
ddb_keyschema_free(struct ddb_keyschema *ks)
{
	free(ks->hash);
	free(ks->range);
	memset(ks, 0, sizeof *ks);
}

void
ddb_conv_init(struct ddb_conv *cv, const struct ddb_keyschema *ks)
{
	memset(cv, 0, sizeof *cv);
	cv->ks = ks;
}

void
ddb_conv_free(struct ddb_conv *cv)
{
	buf_free(&cv->scratch);
}

void
ddb_item_init(struct ddb_item *it)
{
	memset(it, 0, sizeof *it);
}

void
ddb_item_free(struct ddb_item *it)
{
	buf_free(&it->json);
	buf_free(&it->key);
}

/* --- numbers ---------------------------------------------------------------- */

int
ddb_number(const char *s, size_t n, struct buf *canon, size_t *size, char *why, size_t whylen)
{
	size_t i = 0, ndig = 0, first = 0, last = 0;
	long long point = 0;    /* digits before the decimal point */
	long long lead = 0;     /* leading zeros (before the first significant digit) */
	long long exp = 0, e;
	int neg = 0, seen = 0, esign = 1, in_frac = 0;
	char tmp[64];

	if (i < n && s[i] == '-') {
		neg = 1;
		i++;
	}
	/* the mantissa: digits with at most one point */
	for (; i < n && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.'); i++) {
		if (s[i] == '.') {
			if (in_frac)
				goto bad;
			in_frac = 1;
			continue;
		}
		if (!in_frac)
			point++;
		if (s[i] != '0') {
			if (!seen) {
				seen = 1;
				first = i;
			}
			last = i;
		} else if (!seen) {
			lead++;
		}
	}
	if (point == 0 && !in_frac)
		goto bad;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			esign = s[i++] == '-' ? -1 : 1;
		if (i >= n || s[i] < '0' || s[i] > '9')
			goto bad;
		for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			if (exp < 1000000000LL)
				exp = exp * 10 + (s[i] - '0');
		exp *= esign;
	}
	if (i != n)
		goto bad;
	if (!seen) {
		/* zero, whatever its form */
		if (canon)
			buf_addc(canon, '0');
		if (size)
			*size = 1;
		return 0;
	}
	/* significant digits from first to last, the point not counted */
	for (i = first; i <= last; i++)
		if (s[i] != '.')
			ndig++;
	/* value = d1.d2d3... x 10^e */
	e = point - lead - 1 + exp;
	if (ndig > DDB_MAX_DIGITS) {
		if (why)
			snprintf(why, whylen, "has %zu significant digits, more than DynamoDB's %d",
			    ndig, DDB_MAX_DIGITS);
		return -1;
	}
	if (e > 125) {
		if (why)
			snprintf(why, whylen, "is larger in magnitude than DynamoDB's limit "
			    "9.9999999999999999999999999999999999999E+125");
		return -1;
	}
	if (e < -130) {
		if (why)
			snprintf(why, whylen, "is smaller in magnitude than DynamoDB's limit 1E-130");
		return -1;
	}
	if (canon) {
		if (neg)
			buf_addc(canon, '-');
		for (i = first; i <= last; i++)
			if (s[i] != '.')
				buf_addc(canon, s[i]);
		snprintf(tmp, sizeof tmp, "E%lld", e);
		buf_adds(canon, tmp);
	}
	if (size)
		/* the stored form: two digits a byte, an exponent byte, a sign byte */
		*size = 1 + (ndig + 1) / 2 + ((ndig % 2) || (e % 2) ? 0 : 1) + (size_t)neg;
	return 0;
bad:
	if (why)
		snprintf(why, whylen, "is not a number");
	return -1;
}

/* --- the conversion ------------------------------------------------------- */

struct walk {
	struct ddb_conv *cv;
	const struct json_doc *d;
	struct ddb_item *it;
};

static int
refuse(struct ddb_item *it, enum ddb_item_error e, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
refuse(struct ddb_item *it, enum ddb_item_error e, const char *fmt, ...)
{
	va_list ap;

	it->error = e;
	va_start(ap, fmt);
	vsnprintf(it->reason, sizeof it->reason, fmt, ap);
	va_end(ap);
	return -1;
}

/* the decoded length of string token T */
static size_t
str_len(struct walk *w, int t)
{
	const struct json_tok *k = &w->d->tok[t];

	if (!k->escaped)
		return k->len;
	buf_reset(&w->cv->scratch);
	json_str_decode(w->d, t, &w->cv->scratch);
	return w->cv->scratch.len;
}

/* the name of member key token T, shortened for a message */
static const char *
name_for_msg(struct walk *w, int t, char *out, size_t outlen)
{
	buf_reset(&w->cv->scratch);
	json_str_decode(w->d, t, &w->cv->scratch);
	snprintf(out, outlen, "%.*s%s", (int)(w->cv->scratch.len > 64 ? 64 : w->cv->scratch.len),
	    w->cv->scratch.data ? w->cv->scratch.data : "", w->cv->scratch.len > 64 ? "..." : "");
	return out;
}

static int
names_equal(const struct json_doc *d, int a, int b, struct buf *tmp)
{
	const struct json_tok *x = &d->tok[a], *y = &d->tok[b];
	int eq;

	if (!x->escaped && !y->escaped)
		return x->len == y->len && memcmp(d->text + x->start, d->text + y->start, x->len) == 0;
	buf_reset(tmp);
	json_str_decode(d, a, tmp);
	eq = json_str_eq(d, b, tmp->data ? tmp->data : "", tmp->len);
	return eq;
}

struct member {
	int key;          /* token of the name */
	char *name;       /* decoded name (large objects only) */
	size_t len;
};

static int
member_cmp(const void *a, const void *b)
{
	const struct member *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->name, y->name, n);

	if (c)
		return c;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return x->key < y->key ? -1 : x->key > y->key;
}

/*
 * Mark in SKIP[m] the members of object OBJ that a later member of the
 * same name overrides.  Returns SKIP (caller frees) or NULL when none.
 */
static char *
overridden(const struct json_doc *d, int obj, struct buf *tmp)
{
	uint32_t n = d->tok[obj].size, m, j;
	int *keys;
	char *skip = NULL;

	if (n < 2)
		return NULL;
	keys = cs_malloc(n * sizeof *keys);
	for (m = 0, j = (uint32_t)obj + 1; m < n; m++, j = d->tok[j + 1].next)
		keys[m] = (int)j;
	if (n <= 32) {
		for (m = 0; m + 1 < n; m++)
			for (j = m + 1; j < n; j++)
				if (names_equal(d, keys[m], keys[j], tmp)) {
					if (!skip)
						skip = cs_calloc(n, 1);
					skip[m] = 1;
					break;
				}
	} else {
		struct member *mem = cs_malloc(n * sizeof *mem);

		for (m = 0; m < n; m++) {
			buf_reset(tmp);
			json_str_decode(d, keys[m], tmp);
			mem[m].key = (int)m;
			mem[m].len = tmp->len;
			mem[m].name = cs_malloc(tmp->len + 1);
			memcpy(mem[m].name, tmp->data ? tmp->data : "", tmp->len);
		}
		qsort(mem, n, sizeof *mem, member_cmp);
		for (m = 0; m + 1 < n; m++)
			if (mem[m].len == mem[m + 1].len && memcmp(mem[m].name, mem[m + 1].name, mem[m].len) == 0) {
				if (!skip)
					skip = cs_calloc(n, 1);
				skip[mem[m].key] = 1;
			}
		for (m = 0; m < n; m++)
			free(mem[m].name);
		free(mem);
	}
	free(keys);
	return skip;
}

/* append the raw text of string token T with its quotes (valid JSON as it stands) */
static void
add_raw_string(struct buf *out, const struct json_doc *d, int t)
{
	buf_addc(out, '"');
	buf_add(out, d->text + d->tok[t].start, d->tok[t].len);
	buf_addc(out, '"');
}

/* convert value token T at nesting DEPTH; adds its size to *SIZE */
static int
value(struct walk *w, int t, unsigned depth, size_t *size)
{
	const struct json_doc *d = w->d;
	const struct json_tok *k = &d->tok[t];
	struct buf *out = &w->it->json;
	char why[160];
	size_t sz;
	uint32_t m, j;
	char *skip;
	int first;

	switch (k->type) {
	case JSON_STRING:
		buf_adds(out, "{\"S\":");
		add_raw_string(out, d, t);
		buf_addc(out, '}');
		*size += str_len(w, t);
		return 0;
	case JSON_NUMBER:
		if (ddb_number(d->text + k->start, k->len, NULL, &sz, why, sizeof why))
			return refuse(w->it, DDB_ITEM_NUMBER, "number %.*s%s %s", (int)(k->len > 60 ? 60 : k->len),
			    d->text + k->start, k->len > 60 ? "..." : "", why);
		buf_adds(out, "{\"N\":\"");
		buf_add(out, d->text + k->start, k->len);
		buf_adds(out, "\"}");
		*size += sz;
		return 0;
	case JSON_TRUE:
	case JSON_FALSE:
	case JSON_NULL:
		buf_adds(out, k->type == JSON_TRUE ? "{\"BOOL\":true}" :
		    k->type == JSON_FALSE ? "{\"BOOL\":false}" : "{\"NULL\":true}");
		*size += 1;
		return 0;
	case JSON_ARRAY:
		if (depth >= DDB_MAX_DEPTH)
			return refuse(w->it, DDB_ITEM_INVALID, "nested deeper than DynamoDB's %u levels",
			    DDB_MAX_DEPTH);
		buf_adds(out, "{\"L\":[");
		*size += 3;
		for (m = 0, j = (uint32_t)t + 1; m < k->size; m++, j = d->tok[j].next) {
			if (m)
				buf_addc(out, ',');
			*size += 1;
			if (value(w, (int)j, depth + 1, size))
				return -1;
		}
		buf_adds(out, "]}");
		return 0;
	case JSON_OBJECT:
		if (depth >= DDB_MAX_DEPTH)
			return refuse(w->it, DDB_ITEM_INVALID, "nested deeper than DynamoDB's %u levels",
			    DDB_MAX_DEPTH);
		buf_adds(out, "{\"M\":{");
		*size += 3;
		skip = overridden(d, t, &w->cv->scratch);
		first = 1;
		for (m = 0, j = (uint32_t)t + 1; m < k->size; m++, j = d->tok[j + 1].next) {
			if (skip && skip[m])
				continue;
			if (!first)
				buf_addc(out, ',');
			first = 0;
			add_raw_string(out, d, (int)j);
			buf_addc(out, ':');
			*size += 1 + str_len(w, (int)j);
			if (value(w, (int)j + 1, depth + 1, size)) {
				free(skip);
				return -1;
			}
		}
		free(skip);
		buf_adds(out, "}}");
		return 0;
	}
	return refuse(w->it, DDB_ITEM_INVALID, "unexpected token");
}

static const char *
type_name(char t)
{
	switch (t) {
	case 'S': return "a string (S)";
	case 'N': return "a number (N)";
	case 'B': return "binary (B), which JSON cannot express";
	}
	return "?";
}

static void
key_add(struct buf *key, char type, const char *s, size_t n)
{
	uint32_t len = (uint32_t)n;

	buf_addc(key, type);
	buf_add(key, &len, sizeof len);
	buf_add(key, s, n);
}

/* check key attribute NAME (value token V) and add it to the canonical key */
static int
key_value(struct walk *w, const char *name, char type, int v)
{
	const struct json_doc *d = w->d;
	const struct json_tok *k = &d->tok[v];
	struct buf *key = &w->it->key;
	size_t before = key->len;

	if (type == 'S' && k->type == JSON_STRING) {
		if (k->len == 0)
			return refuse(w->it, DDB_ITEM_EMPTY_KEY, "key attribute '%s' is an empty string", name);
		buf_addc(key, 'S');
		buf_add(key, "\0\0\0\0", 4);
		json_str_decode(d, v, key);
		{
			uint32_t len = (uint32_t)(key->len - before - 5);

			memcpy(key->data + before + 1, &len, 4);
		}
		return 0;
	}
	if (type == 'N' && k->type == JSON_NUMBER) {
		struct buf c = BUF_INIT;
		char why[160];

		if (ddb_number(d->text + k->start, k->len, &c, NULL, why, sizeof why)) {
			buf_free(&c);
			return refuse(w->it, DDB_ITEM_NUMBER, "key attribute '%s' %s", name, why);
		}
		key_add(key, 'N', c.data, c.len);
		buf_free(&c);
		return 0;
	}
	return refuse(w->it, DDB_ITEM_KEY_TYPE, "key attribute '%s' must be %s", name, type_name(type));
}

int
ddb_item_from_json(struct ddb_conv *cv, const struct json_doc *doc, int t, struct ddb_item *it)
{
	struct walk w = { cv, doc, it };
	const struct json_tok *k = &doc->tok[t];
	const struct ddb_keyschema *ks = cv->ks;
	size_t size = 0, ttl_len = cv->ttl_attr ? strlen(cv->ttl_attr) : 0;
	int hv = -1, rv = -1, first = 1;
	uint32_t m, j;
	char *skip = NULL, nm[80];

	buf_reset(&it->json);
	buf_reset(&it->key);
	it->error = DDB_ITEM_OK;
	it->reason[0] = '\0';
	it->size = 0;
	if (k->type != JSON_OBJECT)
		return refuse(it, DDB_ITEM_NOT_OBJECT, "not a JSON object");
	if (ks) {
		hv = json_obj_get(doc, t, ks->hash, strlen(ks->hash));
		if (hv < 0)
			return refuse(it, DDB_ITEM_MISSING_KEY, "missing key attribute '%s'", ks->hash);
		if (key_value(&w, ks->hash, ks->hash_type, hv))
			return -1;
		if (ks->range) {
			rv = json_obj_get(doc, t, ks->range, strlen(ks->range));
			if (rv < 0)
				return refuse(it, DDB_ITEM_MISSING_KEY, "missing key attribute '%s'", ks->range);
			if (key_value(&w, ks->range, ks->range_type, rv))
				return -1;
		}
	}
	buf_addc(&it->json, '{');
	skip = overridden(doc, t, &cv->scratch);
	for (m = 0, j = (uint32_t)t + 1; m < k->size; m++, j = doc->tok[j + 1].next) {
		if (skip && skip[m])
			continue;
		if (doc->tok[j].len == 0) {
			free(skip);
			return refuse(it, DDB_ITEM_INVALID, "empty attribute name");
		}
		if (ttl_len && json_str_eq(doc, (int)j, cv->ttl_attr, ttl_len))
			continue;
		if (!first)
			buf_addc(&it->json, ',');
		first = 0;
		add_raw_string(&it->json, doc, (int)j);
		buf_addc(&it->json, ':');
		size += str_len(&w, (int)j);
		if (value(&w, (int)j + 1, 0, &size)) {
			free(skip);
			if (it->error == DDB_ITEM_NUMBER || it->error == DDB_ITEM_INVALID) {
				struct buf r = BUF_INIT;

				/* the reason, named by its attribute, cut to fit */
				buf_printf(&r, "attribute '%s': %s", name_for_msg(&w, (int)j, nm, sizeof nm),
				    it->reason);
				snprintf(it->reason, sizeof it->reason, "%s", r.data);
				buf_free(&r);
			}
			return -1;
		}
	}
	free(skip);
	if (cv->ttl_attr) {
		char num[32];
		size_t nsz = 0;

		snprintf(num, sizeof num, "%lld", (long long)cv->ttl_value);
		if (!first)
			buf_addc(&it->json, ',');
		json_escape(&it->json, cv->ttl_attr, ttl_len);
		buf_adds(&it->json, ":{\"N\":\"");
		buf_adds(&it->json, num);
		buf_adds(&it->json, "\"}");
		ddb_number(num, strlen(num), NULL, &nsz, NULL, 0);
		size += ttl_len + nsz;
	}
	buf_addc(&it->json, '}');
	it->size = size;
	if (size > DDB_MAX_ITEM_SIZE)
		return refuse(it, DDB_ITEM_TOO_LARGE, "item is %zu bytes, over DynamoDB's limit of %u (400 KB)",
		    size, DDB_MAX_ITEM_SIZE);
	return 0;
}

/* --- keys of AttributeValue JSON ------------------------------------------------ */

static int
av_key(const char *name, char type, const struct json_doc *d, int item, struct buf *key)
{
	int av = json_obj_get(d, item, name, strlen(name)), v;
	char t[2] = { type, 0 };

	if (av < 0)
		return -1;
	v = json_obj_get(d, av, t, 1);
	if (v < 0 || d->tok[v].type != JSON_STRING)
		return -1;
	if (type == 'N') {
		struct buf s = BUF_INIT, c = BUF_INIT;
		int rc;

		json_str_decode(d, v, &s);
		rc = ddb_number(s.data ? s.data : "", s.len, &c, NULL, NULL, 0);
		if (rc == 0)
			key_add(key, 'N', c.data, c.len);
		buf_free(&s);
		buf_free(&c);
		return rc;
	} else {
		size_t before = key->len;
		uint32_t len;

		buf_addc(key, type);
		buf_add(key, "\0\0\0\0", 4);
		json_str_decode(d, v, key);
		len = (uint32_t)(key->len - before - 5);
		memcpy(key->data + before + 1, &len, 4);
	}
	return 0;
}

int
ddb_key_from_av(const struct ddb_keyschema *ks, const struct json_doc *doc, int item,
    struct buf *key)
{
	if (item < 0 || (uint32_t)item >= doc->ntok || doc->tok[item].type != JSON_OBJECT)
		return -1;
	if (av_key(ks->hash, ks->hash_type, doc, item, key))
		return -1;
	if (ks->range && av_key(ks->range, ks->range_type, doc, item, key))
		return -1;
	return 0;
}
