/* pool.c - chunked memory for items freed in about the order made (see pool.h). */
#include <stdlib.h>

#include "cs.h"
#include "pool.h"

struct pool_chunk {
	size_t used, cap;
	unsigned long live;      /* items carved here and not put back yet */
	char mem[];
};

/* C is empty and not being carved: keep it as the spare, or free it */
static void
retire(struct pool *p, struct pool_chunk *c)
{
	if (!p->spare && c->cap == POOL_CHUNK_SIZE)
		p->spare = c;
	else
		free(c);
}

void *
pool_get(struct pool *p, size_t size, struct pool_chunk **owner)
{
	struct pool_chunk *c = p->cur;
	void *m;

	size = (size + 15) & ~(size_t)15;
	if (!c || c->used + size > c->cap) {
		struct pool_chunk *n;

		if (c && c->live == 0 && size <= c->cap) {
			n = c; /* empty already: start it over */
		} else if (size <= POOL_CHUNK_SIZE && p->spare) {
			n = p->spare;
			p->spare = NULL;
		} else {
			size_t cap = size > POOL_CHUNK_SIZE ? size : POOL_CHUNK_SIZE;

			n = cs_malloc(sizeof *n + cap);
			n->cap = cap;
		}
		n->used = 0;
		n->live = 0;
		/* the old chunk now belongs to its items: the last one frees it */
		if (c && c != n && c->live == 0)
			retire(p, c);
		p->cur = c = n;
	}
	m = c->mem + c->used;
	c->used += size;
	c->live++;
	*owner = c;
	return m;
}

void
pool_put(struct pool *p, struct pool_chunk *c)
{
	if (--c->live || c == p->cur)
		return;
	retire(p, c);
}

void
pool_free(struct pool *p)
{
	free(p->cur);
	free(p->spare);
	p->cur = p->spare = NULL;
}
