/* kpl.c - KPL aggregated records: split and build (see kpl.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "kpl.h"

void
kpl_agg_init(struct kpl_agg *a)
{
	memset(a, 0, sizeof *a);
}

void
kpl_agg_free(struct kpl_agg *a)
{
	free(a->rec);
	free(a->keys);
	free(a->ehks);
	free(a->keylens);
	free(a->ehklens);
	memset(a, 0, sizeof *a);
}

int
kpl_is_aggregate(const void *p, size_t n)
{
	return n >= KPL_MAGIC_LEN + KPL_DIGEST_LEN && memcmp(p, KPL_MAGIC, KPL_MAGIC_LEN) == 0;
}

/* --- protobuf reading ------------------------------------------------------ */

struct pb {
	const unsigned char *p, *end;
};

static int
pb_varint(struct pb *b, uint64_t *v)
{
	uint64_t x = 0;
	int shift = 0;

	while (b->p < b->end) {
		unsigned c = *b->p++;

		if (shift == 63 && c > 1)
			return -1;
		x |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			*v = x;
			return 0;
		}
		shift += 7;
		if (shift > 63)
			return -1;
	}
	return -1;
}

/* The next field: its number, wire type, and for length-delimited ones the bytes. */
static int
pb_field(struct pb *b, uint64_t *field, unsigned *wire, uint64_t *val, struct pb *sub)
{
	uint64_t key, len;

	if (pb_varint(b, &key) < 0)
		return -1;
	*field = key >> 3;
	*wire = (unsigned)(key & 7);
	if (*field == 0)
		return -1;
	switch (*wire) {
	case 0:
		return pb_varint(b, val);
	case 1:
		if (b->end - b->p < 8)
			return -1;
		b->p += 8;
		return 0;
	case 2:
		if (pb_varint(b, &len) < 0 || len > (uint64_t)(b->end - b->p))
			return -1;
		sub->p = b->p;
		sub->end = b->p + len;
		b->p += len;
		return 0;
	case 5:
		if (b->end - b->p < 4)
			return -1;
		b->p += 4;
		return 0;
	}
	return -1;
}

static void
table_add(const char ***tab, size_t **lens, size_t *n, size_t *cap, const struct pb *s)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 8;
		*tab = cs_realloc(*tab, *cap * sizeof **tab);
		*lens = cs_realloc(*lens, *cap * sizeof **lens);
	}
	(*tab)[*n] = (const char *)s->p;
	(*lens)[*n] = (size_t)(s->end - s->p);
	(*n)++;
}

/* A Record message; its indexes are checked once the tables are known. */
struct raw_rec {
	uint64_t key_index, ehk_index;
	int has_key, has_ehk, has_data;
	struct pb data;
};

static int
parse_record(struct pb *m, struct raw_rec *r)
{
	uint64_t field, val = 0;
	unsigned wire;
	struct pb sub = { NULL, NULL };

	memset(r, 0, sizeof *r);
	while (m->p < m->end) {
		if (pb_field(m, &field, &wire, &val, &sub) < 0)
			return -1;
		if (field == 1 && wire == 0) {
			r->key_index = val;
			r->has_key = 1;
		} else if (field == 2 && wire == 0) {
			r->ehk_index = val;
			r->has_ehk = 1;
		} else if (field == 3 && wire == 2) {
			r->data = sub;
			r->has_data = 1;
		} else if (field <= 3) {
			return -1;  /* a known field with the wrong wire type */
		}
	}
	return r->has_key && r->has_data ? 0 : -1;
}

int
kpl_deaggregate(const void *p, size_t n, struct kpl_agg *a, struct cs_err *err)
{
	const unsigned char *s = p;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	struct pb b, sub = { NULL, NULL }, rb;
	struct raw_rec rr;
	uint64_t field, val;
	unsigned wire;
	size_t nrec = 0;

	a->n = a->nkeys = a->nehks = 0;
	if (!kpl_is_aggregate(p, n)) {
		cs_err_set(err, "not a KPL aggregate: no magic number");
		return -1;
	}
	b.p = s + KPL_MAGIC_LEN;
	b.end = s + n - KPL_DIGEST_LEN;
	if (!EVP_Digest(b.p, (size_t)(b.end - b.p), md, &mdlen, EVP_md5(), NULL) ||
	    mdlen != KPL_DIGEST_LEN || memcmp(md, b.end, KPL_DIGEST_LEN) != 0) {
		cs_err_set(err, "corrupt KPL aggregate: the MD5 digest does not match");
		return -1;
	}
	/* first pass: the tables, and how many records */
	rb = b;
	while (rb.p < rb.end) {
		if (pb_field(&rb, &field, &wire, &val, &sub) < 0)
			goto bad;
		if (field >= 1 && field <= 3 && wire != 2)
			goto bad;
		if (field == 1)
			table_add(&a->keys, &a->keylens, &a->nkeys, &a->keycap, &sub);
		else if (field == 2)
			table_add(&a->ehks, &a->ehklens, &a->nehks, &a->ehkcap, &sub);
		else if (field == 3)
			nrec++;
	}
	if (nrec > a->cap) {
		a->cap = nrec;
		a->rec = cs_realloc(a->rec, a->cap * sizeof *a->rec);
	}
	/* second pass: the records */
	rb = b;
	while (rb.p < rb.end) {
		struct kpl_record *r;

		if (pb_field(&rb, &field, &wire, &val, &sub) < 0)
			goto bad;
		if (field != 3)
			continue;
		if (parse_record(&sub, &rr) < 0)
			goto bad;
		if (rr.key_index >= a->nkeys || (rr.has_ehk && rr.ehk_index >= a->nehks)) {
			cs_err_set(err, "corrupt KPL aggregate: record %zu names a key not in the table",
			    a->n);
			a->n = 0;
			return -1;
		}
		r = &a->rec[a->n++];
		r->key = a->keys[rr.key_index];
		r->keylen = a->keylens[rr.key_index];
		r->ehk = rr.has_ehk ? a->ehks[rr.ehk_index] : NULL;
		r->ehklen = rr.has_ehk ? a->ehklens[rr.ehk_index] : 0;
		r->data = (const char *)rr.data.p;
		r->len = (size_t)(rr.data.end - rr.data.p);
	}
	return 0;
bad:
	a->n = 0;
	cs_err_set(err, "corrupt KPL aggregate: bad protobuf");
	return -1;
}

/* --- building ----------------------------------------------------------------- */

static void
put_varint(struct buf *out, uint64_t v)
{
	while (v >= 0x80) {
		buf_addc(out, (char)(v | 0x80));
		v >>= 7;
	}
	buf_addc(out, (char)v);
}

static void
put_bytes(struct buf *out, unsigned field, const char *p, size_t n)
{
	put_varint(out, (uint64_t)field << 3 | 2);
	put_varint(out, n);
	buf_add(out, p, n);
}

static size_t
intern(const char **tab, size_t *lens, size_t *n, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (lens[i] == len && memcmp(tab[i], s, len) == 0)
			return i;
	tab[*n] = s;
	lens[*n] = len;
	return (*n)++;
}

void
kpl_aggregate(struct buf *out, const struct kpl_record *recs, size_t n)
{
	const char **keys = cs_calloc(n + 1, sizeof *keys), **ehks = cs_calloc(n + 1, sizeof *ehks);
	size_t *keylens = cs_calloc(n + 1, sizeof *keylens), *ehklens = cs_calloc(n + 1, sizeof *ehklens);
	size_t *ki = cs_calloc(n + 1, sizeof *ki), *ei = cs_calloc(n + 1, sizeof *ei);
	size_t nk = 0, ne = 0, i, start;
	struct buf rec = BUF_INIT;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;

	for (i = 0; i < n; i++) {
		ki[i] = intern(keys, keylens, &nk, recs[i].key, recs[i].keylen);
		if (recs[i].ehk)
			ei[i] = intern(ehks, ehklens, &ne, recs[i].ehk, recs[i].ehklen);
	}
	buf_add(out, KPL_MAGIC, KPL_MAGIC_LEN);
	start = out->len;
	for (i = 0; i < nk; i++)
		put_bytes(out, 1, keys[i], keylens[i]);
	for (i = 0; i < ne; i++)
		put_bytes(out, 2, ehks[i], ehklens[i]);
	for (i = 0; i < n; i++) {
		buf_reset(&rec);
		put_varint(&rec, 1 << 3 | 0);
		put_varint(&rec, ki[i]);
		if (recs[i].ehk) {
			put_varint(&rec, 2 << 3 | 0);
			put_varint(&rec, ei[i]);
		}
		put_bytes(&rec, 3, recs[i].data, recs[i].len);
		put_bytes(out, 3, rec.data, rec.len);
	}
	EVP_Digest(out->data + start, out->len - start, md, &mdlen, EVP_md5(), NULL);
	buf_add(out, md, KPL_DIGEST_LEN);
	buf_free(&rec);
	free(keys);
	free(ehks);
	free(keylens);
	free(ehklens);
	free(ki);
	free(ei);
}
