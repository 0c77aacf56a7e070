/*
 * lease_item.c - a lease as the KCL 2.x's DynamoDBLeaseSerializer writes
 * it: read from an item, written back with the same names and types (see
 * lease.h).
 */
#include <stdlib.h>
#include <string.h>

#include "leaseint.h"

static void
free_list(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
lease_clear(struct lease *l)
{
	free(l->key);
	free(l->owner);
	free(l->checkpoint);
	free_list(l->parents, l->nparents);
	free_list(l->children, l->nchildren);
	free(l->hash_start);
	free(l->hash_end);
	free(l->want_ck);
	memset(l, 0, sizeof *l);
}

void
lease_destroy(struct lease *l)
{
	if (!l)
		return;
	lease_clear(l);
	free(l);
}

int
lease_ck_initial(const char *ck)
{
	return !ck || strcmp(ck, "TRIM_HORIZON") == 0 || strcmp(ck, "LATEST") == 0 ||
	    strcmp(ck, "AT_TIMESTAMP") == 0;
}

/*
 * the string of attribute NAME's {"T":...} of type TYPE ("S" or "N"), or
 * NULL; *BAD names the first attribute found of another type
 */
static char *
av_get(const struct json_doc *d, int item, const char *name, const char *type, const char **bad)
{
	int a = json_obj_get(d, item, name, strlen(name)), v;
	struct buf b = BUF_INIT;

	if (a < 0 || d->tok[a].type == JSON_NULL)
		return NULL;
	v = d->tok[a].type == JSON_OBJECT ? json_obj_get(d, a, type, 1) : -1;
	if (v < 0 || d->tok[v].type != JSON_STRING) {
		if (!*bad)
			*bad = name;
		return NULL;
	}
	json_str_decode(d, v, &b);
	return b.data ? buf_detach(&b) : cs_strdup("");
}

static int
av_num(const struct json_doc *d, int item, const char *name, long long *out, const char **bad)
{
	char *s = av_get(d, item, name, "N", bad), *end;

	*out = 0;
	if (!s)
		return 0;
	*out = strtoll(s, &end, 10);
	if ((end == s || *end) && !*bad)
		*bad = name;
	free(s);
	return 0;
}

static char **
av_ss(const struct json_doc *d, int item, const char *name, size_t *n, const char **bad)
{
	int a = json_obj_get(d, item, name, strlen(name)), v;
	char **out = NULL;
	uint32_t k, j;

	*n = 0;
	if (a < 0 || d->tok[a].type == JSON_NULL)
		return NULL;
	v = d->tok[a].type == JSON_OBJECT ? json_obj_get(d, a, "SS", 2) : -1;
	if (v < 0 || d->tok[v].type != JSON_ARRAY) {
		if (!*bad)
			*bad = name;
		return NULL;
	}
	for (k = 0, j = (uint32_t)v + 1; k < d->tok[v].size; k++, j = d->tok[j].next) {
		struct buf b = BUF_INIT;

		if (d->tok[j].type != JSON_STRING) {
			if (!*bad)
				*bad = name;
			continue;
		}
		json_str_decode(d, (int)j, &b);
		out = cs_realloc(out, (*n + 1) * sizeof *out);
		out[(*n)++] = b.data ? buf_detach(&b) : cs_strdup("");
	}
	return out;
}

int
lease_from_item(struct lease *l, const struct json_doc *doc, int item, struct cs_err *err)
{
	const char *bad = NULL;

	lease_clear(l);
	if (item < 0 || doc->tok[item].type != JSON_OBJECT) {
		cs_err_set(err, "a lease item is not an object");
		return -1;
	}
	l->key = av_get(doc, item, K_KEY, "S", &bad);
	l->owner = av_get(doc, item, K_OWNER, "S", &bad);
	av_num(doc, item, K_COUNTER, &l->counter, &bad);
	l->checkpoint = av_get(doc, item, K_CK, "S", &bad);
	av_num(doc, item, K_SUB, &l->subseq, &bad);
	av_num(doc, item, K_SWITCHES, &l->owner_switches, &bad);
	l->parents = av_ss(doc, item, K_PARENTS, &l->nparents, &bad);
	l->children = av_ss(doc, item, K_CHILDREN, &l->nchildren, &bad);
	l->hash_start = av_get(doc, item, K_HSTART, "S", &bad);
	l->hash_end = av_get(doc, item, K_HEND, "S", &bad);
	if (!l->key || !*l->key || bad) {
		if (!l->key || !*l->key)
			cs_err_set(err, "lease item%s%s: no leaseKey string", l->key ? " " : "",
			    l->key ? l->key : "");
		else
			cs_err_set(err, "lease item %s: an attribute of the wrong type (%s)", l->key, bad);
		lease_clear(l);
		return -1;
	}
	return 0;
}

/* NAME:{"S":V} */
void
lease_value_s(struct buf *b, const char *name, const char *v)
{
	json_escape_str(b, name);
	buf_adds(b, ":{\"S\":");
	json_escape_str(b, v);
	buf_addc(b, '}');
}

static void
add_s(struct buf *out, const char *name, const char *v, int *first)
{
	if (!*first)
		buf_addc(out, ',');
	*first = 0;
	lease_value_s(out, name, v);
}

static void
add_n(struct buf *out, const char *name, long long v, int *first)
{
	if (!*first)
		buf_addc(out, ',');
	*first = 0;
	json_escape_str(out, name);
	buf_printf(out, ":{\"N\":\"%lld\"}", v);
}

void
lease_ss_value(struct buf *out, char *const *v, size_t n)
{
	size_t i;

	buf_adds(out, "{\"SS\":[");
	for (i = 0; i < n; i++) {
		if (i)
			buf_addc(out, ',');
		json_escape_str(out, v[i]);
	}
	buf_adds(out, "]}");
}

void
lease_to_item(struct buf *out, const struct lease *l)
{
	int first = 1;

	buf_addc(out, '{');
	add_s(out, K_KEY, l->key, &first);
	add_n(out, K_COUNTER, l->counter, &first);
	if (l->owner)
		add_s(out, K_OWNER, l->owner, &first);
	add_n(out, K_SWITCHES, l->owner_switches, &first);
	add_s(out, K_CK, l->checkpoint ? l->checkpoint : "TRIM_HORIZON", &first);
	add_n(out, K_SUB, l->subseq, &first);
	if (l->nparents) {
		buf_adds(out, ",\"" K_PARENTS "\":");
		lease_ss_value(out, l->parents, l->nparents);
	}
	if (l->nchildren) {
		buf_adds(out, ",\"" K_CHILDREN "\":");
		lease_ss_value(out, l->children, l->nchildren);
	}
	if (l->hash_start && l->hash_end) {
		add_s(out, K_HSTART, l->hash_start, &first);
		add_s(out, K_HEND, l->hash_end, &first);
	}
	buf_addc(out, '}');
}

/* the lease is at SHARD_END */
int
lease_at_end(const struct lease *l)
{
	return l->checkpoint && strcmp(l->checkpoint, SHARD_END) == 0;
}
