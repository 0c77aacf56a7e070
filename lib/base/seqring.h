/*
 * seqring.h - items numbered 0, 1, 2, ... handed out in that order: each
 * item is set at its number, and taken from the front only when the
 * front one is there.  cs-put's results in input order: a record's fate
 * may be known before an earlier one's, and waits here until then.  At
 * most WINDOW numbers are outstanding at once.
 */
#ifndef CS_SEQRING_H
#define CS_SEQRING_H

#include <stddef.h>
#include <stdint.h>

struct seqring {
	void **slot;
	size_t mask;       /* slots - 1 (a power of two > window) */
	uint64_t next;     /* the number at the front */
};

void seqring_init(struct seqring *q, size_t window);
void seqring_free(struct seqring *q);

/* ITEM for number SEQ (next <= SEQ < next + window). */
static inline void
seqring_set(struct seqring *q, uint64_t seq, void *item)
{
	q->slot[seq & q->mask] = item;
}

/* The item at the front, or NULL when it was not set yet. */
static inline void *
seqring_front(const struct seqring *q)
{
	return q->slot[q->next & q->mask];
}

/* Take the front item out: the next number is at the front. */
static inline void
seqring_pop(struct seqring *q)
{
	q->slot[q->next & q->mask] = NULL;
	q->next++;
}

/* Every slot, set or not (for freeing what is left): slot I of 0 .. mask. */
static inline void *
seqring_slot(const struct seqring *q, size_t i)
{
	return q->slot[i];
}

#endif
