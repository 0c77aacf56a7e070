/*
 * leaseint.h - what the lease table's files (lease.c, lease_item.c,
 * lease_view.c) share; not for use outside them.
 */
#ifndef CS_LEASEINT_H
#define CS_LEASEINT_H

#include "lease.h"

/* the KCL 2.x's attribute names */
#define K_KEY "leaseKey"
#define K_OWNER "leaseOwner"
#define K_COUNTER "leaseCounter"
#define K_CK "checkpoint"
#define K_SUB "checkpointSubSequenceNumber"
#define K_SWITCHES "ownerSwitchesSinceCheckpoint"
#define K_PARENTS "parentShardId"
#define K_CHILDREN "childShardIds"
#define K_HSTART "startingHashKey"
#define K_HEND "endingHashKey"
#define K_PENDING "pendingCheckpoint"
#define K_PENDING_SUB "pendingCheckpointSubSequenceNumber"
#define SHARD_END "SHARD_END"

/* lease_clear(L), then free(L); NULL is fine */
void lease_destroy(struct lease *l);
/* 1 when L's checkpoint is SHARD_END */
int lease_at_end(const struct lease *l);
/* NAME:{"S":V} onto B */
void lease_value_s(struct buf *b, const char *name, const char *v);
/* {"SS":[V...]} onto OUT */
void lease_ss_value(struct buf *out, char *const *v, size_t n);
/* append L to V (V owns it then) */
void lease_view_add(struct lease_view *v, struct lease *l);
/* the table's fields of S into L, the worker's own fields of L kept; S is left empty */
void lease_take_fields(struct lease *l, struct lease *s);

#endif
