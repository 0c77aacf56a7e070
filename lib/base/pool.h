/*
 * pool.h - memory for items made and freed in about the same order (the
 * records of cs-put): carved one after another from chunks of 1 MiB, each
 * chunk freed (or kept as the one spare) when its last item goes.  This
 * saves a malloc and a free per item.  An item larger than a chunk gets a
 * chunk of its own.
 */
#ifndef CS_POOL_H
#define CS_POOL_H

#include <stddef.h>

#define POOL_CHUNK_SIZE (1u << 20)

struct pool_chunk;

struct pool {
	struct pool_chunk *cur;     /* being carved */
	struct pool_chunk *spare;   /* one empty chunk kept for reuse */
};

#define POOL_INIT { NULL, NULL }

/* SIZE bytes (16-byte aligned); *OWNER is the chunk to give back to pool_put. */
void *pool_get(struct pool *p, size_t size, struct pool_chunk **owner);
/* An item of chunk C is no longer used. */
void pool_put(struct pool *p, struct pool_chunk *c);
/* Free the chunks (every item must have been put back, or be dropped with them). */
void pool_free(struct pool *p);

#endif
