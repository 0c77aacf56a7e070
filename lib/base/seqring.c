/* seqring.c - items handed out in number order (see seqring.h). */
#include <stdlib.h>

#include "cs.h"
#include "seqring.h"

void
seqring_init(struct seqring *q, size_t window)
{
	size_t cap = 1;

	while (cap < window + 1)
		cap *= 2;
	q->slot = cs_calloc(cap, sizeof *q->slot);
	q->mask = cap - 1;
	q->next = 0;
}

void
seqring_free(struct seqring *q)
{
	free(q->slot);
	q->slot = NULL;
}
