/* kpl.c - KPL aggregated records: split and build (see kpl.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kpl.h"
#include "md5.h"

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
	unsigned char md[KPL_DIGEST_LEN];
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
	md5(b.p, (size_t)(b.end - b.p), md);
	if (memcmp(md, b.end, KPL_DIGEST_LEN) != 0) {
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

/*
 * A slot of a table's index: its string's tag (32 bits of its hash, the
 * top one set: 0 marks an empty slot; its low bits are where the slot is
 * looked for) and the string's index; where its bytes are is in the
 * table's ent[index].  Eight bytes, so the index of an aggregate's few
 * hundred keys stays within a few cache lines.
 */
struct kpl_slot {
	uint32_t h;
	uint32_t index;
};

static size_t
varint_len(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

/* V as a varint at P (room for 10 bytes); returns the byte after it */
static char *
varint_at(char *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (char)(v | 0x80);
		v >>= 7;
	}
	*p++ = (char)v;
	return p;
}

static void
put_varint(struct buf *out, uint64_t v)
{
	char tmp[10];

	buf_add(out, tmp, (size_t)(varint_at(tmp, v) - tmp));
}

/* a length-delimited field: its tag (one byte for fields 1..15), its length, its bytes */
static size_t
bytes_field_len(size_t n)
{
	return 1 + varint_len(n) + n;
}

/*
 * Eight bytes at a time, each word multiplied in and its high half folded
 * down.  Only for a string the caller has no hash of (kpl_record.keyhash).
 */
static uint64_t
str_hash(const char *s, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ n, w;

	for (; n >= 8; s += 8, n -= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	if (n) {
		w = 0;
		memcpy(&w, s, n);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	h *= 0xc4ceb9fe1a85ec53ull;
	return h ^ h >> 29;
}

/* the hash the table files S under: the caller's, else its own */
static uint64_t
key_hash(uint64_t given, const char *s, size_t n)
{
	return given ? given : str_hash(s, n);
}

static uint32_t
tag_of(uint64_t h)
{
	return (uint32_t)(h >> 32) | 0x80000000u;
}

/* the slot of S in T (hash H): the one holding it, or the empty one where it would go */
static struct kpl_slot *
table_slot(const struct kpl_table *t, const char *s, size_t n, uint64_t h)
{
	uint32_t tag = tag_of(h);
	size_t j;

	for (j = tag & (t->cap - 1); t->slot[j].h; j = (j + 1) & (t->cap - 1))
		if (t->slot[j].h == tag && t->ent[t->slot[j].index].len == n &&
		    memcmp(t->enc.data + t->ent[t->slot[j].index].off, s, n) == 0)
			break;
	return &t->slot[j];
}

/* S's index in T, or T->n (the index it would get) when it is not there */
static size_t
table_find(const struct kpl_table *t, const char *s, size_t n, uint64_t h)
{
	const struct kpl_slot *e;

	if (!t->n)
		return 0;
	e = table_slot(t, s, n, h);
	return e->h ? e->index : t->n;
}

static size_t
table_intern(struct kpl_table *t, const char *s, size_t n, uint64_t h)
{
	struct kpl_slot *e;

	if (2 * (t->n + 1) > t->cap) {
		struct kpl_slot *old = t->slot;
		size_t oldcap = t->cap, i;

		t->cap = t->cap ? t->cap * 2 : 16;
		t->slot = cs_calloc(t->cap, sizeof *t->slot);
		t->ent = cs_realloc(t->ent, t->cap / 2 * sizeof *t->ent);
		for (i = 0; i < oldcap; i++)
			if (old[i].h) {
				size_t j;

				for (j = old[i].h & (t->cap - 1); t->slot[j].h;
				    j = (j + 1) & (t->cap - 1))
					;
				t->slot[j] = old[i];
			}
		free(old);
	}
	e = table_slot(t, s, n, h);
	if (e->h)
		return e->index;
	put_varint(&t->enc, (uint64_t)t->field << 3 | 2);
	put_varint(&t->enc, n);
	e->h = tag_of(h);
	e->index = (uint32_t)t->n;
	t->ent[t->n].off = (uint32_t)t->enc.len;
	t->ent[t->n].len = (uint32_t)n;
	if (n)
		buf_add(&t->enc, s, n);
	return t->n++;
}

static void
table_reset(struct kpl_table *t)
{
	buf_reset(&t->enc);
	if (t->n)
		memset(t->slot, 0, t->cap * sizeof *t->slot);
	t->n = 0;
}

void
kpl_builder_init(struct kpl_builder *b)
{
	memset(b, 0, sizeof *b);
	b->keys.field = 1;
	b->ehks.field = 2;
}

void
kpl_builder_reset(struct kpl_builder *b)
{
	table_reset(&b->keys);
	table_reset(&b->ehks);
	buf_reset(&b->recs);
	b->n = 0;
	b->datalen = 0;
}

void
kpl_builder_free(struct kpl_builder *b)
{
	buf_free(&b->keys.enc);
	buf_free(&b->ehks.enc);
	free(b->keys.slot);
	free(b->ehks.slot);
	free(b->keys.ent);
	free(b->ehks.ent);
	buf_free(&b->recs);
	free(b->ref);
	kpl_builder_init(b);
}

size_t
kpl_builder_size(const struct kpl_builder *b)
{
	return KPL_OVERHEAD + b->keys.enc.len + b->ehks.enc.len + b->recs.len + b->datalen;
}

/* the length of R's Record message, given its indexes */
static size_t
record_len(const struct kpl_record *r, size_t ki, size_t ei)
{
	size_t n = 1 + varint_len(ki) + bytes_field_len(r->len);

	if (r->ehk)
		n += 1 + varint_len(ei);
	return n;
}

size_t
kpl_builder_size_with(const struct kpl_builder *b, const struct kpl_record *r)
{
	size_t size = kpl_builder_size(b), ki, ei = 0;

	ki = table_find(&b->keys, r->key, r->keylen, key_hash(r->keyhash, r->key, r->keylen));
	if (ki == b->keys.n)
		size += bytes_field_len(r->keylen);
	if (r->ehk) {
		ei = table_find(&b->ehks, r->ehk, r->ehklen, str_hash(r->ehk, r->ehklen));
		if (ei == b->ehks.n)
			size += bytes_field_len(r->ehklen);
	}
	return size + bytes_field_len(record_len(r, ki, ei));
}

void
kpl_builder_add(struct kpl_builder *b, const struct kpl_record *r)
{
	size_t ki = table_intern(&b->keys, r->key, r->keylen, key_hash(r->keyhash, r->key, r->keylen));
	size_t ei = 0;
	char start[60], *o = start;  /* the Record's start, all but its data: 6 varints at most */

	if (r->ehk)
		ei = table_intern(&b->ehks, r->ehk, r->ehklen, str_hash(r->ehk, r->ehklen));
	o = varint_at(o, 3 << 3 | 2);
	o = varint_at(o, record_len(r, ki, ei));
	o = varint_at(o, 1 << 3 | 0);
	o = varint_at(o, ki);
	if (r->ehk) {
		o = varint_at(o, 2 << 3 | 0);
		o = varint_at(o, ei);
	}
	o = varint_at(o, 3 << 3 | 2);
	o = varint_at(o, r->len);
	buf_add(&b->recs, start, (size_t)(o - start));
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 64;
		b->ref = cs_realloc(b->ref, b->cap * sizeof *b->ref);
	}
	b->ref[b->n].data = r->data;
	b->ref[b->n].len = r->len;
	b->ref[b->n].end = b->recs.len;
	b->datalen += r->len;
	b->n++;
}

void
kpl_builder_finish(const struct kpl_builder *b, struct buf *out)
{
	unsigned char md[KPL_DIGEST_LEN];
	size_t start = kpl_builder_write(b, out);

	md5(out->data + start, out->len - start, md);
	buf_add(out, md, KPL_DIGEST_LEN);
}

size_t
kpl_builder_write(const struct kpl_builder *b, struct buf *out)
{
	size_t start, i, from = 0;
	char *o;

	buf_grow(out, kpl_builder_size(b));
	buf_add(out, KPL_MAGIC, KPL_MAGIC_LEN);
	start = out->len;
	buf_add(out, b->keys.enc.data, b->keys.enc.len);
	buf_add(out, b->ehks.enc.data, b->ehks.enc.len);
	/* each Record's start, then its data from where it lies (room made above) */
	o = out->data + out->len;
	for (i = 0; i < b->n; i++) {
		const struct kpl_ref *f = &b->ref[i];

		/* the data lies where each record came in, long ago: asked for a few records ahead */
		if (i + 4 < b->n) {
			const char *d = b->ref[i + 4].data;
			size_t k;

			for (k = 0; k < b->ref[i + 4].len && k < 512; k += 64)
				__builtin_prefetch(d + k);
		}
		memcpy(o, b->recs.data + from, f->end - from);
		o += f->end - from;
		if (f->len)
			memcpy(o, f->data, f->len);
		o += f->len;
		from = f->end;
	}
	out->len = (size_t)(o - out->data);
	out->data[out->len] = '\0';
	return start;
}

void
kpl_aggregate(struct buf *out, const struct kpl_record *recs, size_t n)
{
	struct kpl_builder b;
	size_t i;

	kpl_builder_init(&b);
	for (i = 0; i < n; i++)
		kpl_builder_add(&b, &recs[i]);
	kpl_builder_finish(&b, out);
	kpl_builder_free(&b);
}
