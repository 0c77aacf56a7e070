/*
 * lease.h - several readers of one stream share its shards through a
 * DynamoDB lease table, with the Kinesis Client Library 2.x's schema and
 * protocol, so that a cs worker and a KCL 2.x worker read each other's
 * table.
 *
 * One item per shard, hash key leaseKey (S, the shard id):
 *   leaseOwner (S)                  the worker holding it; absent: free
 *   leaseCounter (N)                bumped by every renewal, take, checkpoint
 *   checkpoint (S)                  a sequence number, or TRIM_HORIZON,
 *                                   LATEST, AT_TIMESTAMP, SHARD_END
 *   checkpointSubSequenceNumber (N) the user record in a KPL aggregate
 *   ownerSwitchesSinceCheckpoint (N)
 *   parentShardId (SS), childShardIds (SS)
 *   startingHashKey, endingHashKey (S)
 *   pendingCheckpoint (S), pendingCheckpointSubSequenceNumber (N): removed
 *   by a checkpoint, as the KCL does; every other attribute is left alone
 *   (items are changed with conditional UpdateItem only).
 *
 * The protocol (the KCL's):
 *   - a worker renews each lease it holds every failover/3, on condition
 *     that leaseCounter is the value it last wrote; a failed condition
 *     means the lease was taken: the shard stops at once (on_lost);
 *   - a worker holds a lease only while its last successful renewal was
 *     sent less than failover ms ago (its own clock, monotonic), so a
 *     paused worker (SIGSTOP) gives its shards up before anyone else may
 *     take them;
 *   - every worker scans the table every failover/6; a lease whose
 *     leaseCounter this observer has not seen move for failover ms is
 *     expired (no clocks of two machines are ever compared);
 *   - the target per worker is ceil(leases / workers) (workers: the
 *     owners of leases not expired, and this one), capped by max_leases;
 *     below it a worker takes expired or free leases, and when there are
 *     none steals one lease per scan from the most loaded worker, if that
 *     one is above the target (or at it while this one needs two or more);
 *   - a checkpoint is written into the lease, on condition of owner and
 *     counter, with the lease's next renewal (one write does both; at
 *     once for SHARD_END and when leaving): a zombie never moves a
 *     checkpoint of a lease it lost;
 *   - leaving, a worker removes leaseOwner from its leases (the KCL's
 *     eviction), so others take them at their next scan;
 *   - a lease at SHARD_END is never taken; it is deleted once each of its
 *     children's leases has a checkpoint past the initial position.
 *
 * The engine is driven by the caller's loop like the shard reader:
 * lease_step() starts what is due (renewals, a scan, takes, checkpoints)
 * on an async DynamoDB client, and returns how long the caller may wait.
 */
#ifndef CS_LEASE_H
#define CS_LEASE_H

#include <stddef.h>
#include <stdint.h>

#include "aws.h"
#include "checkpoint.h"
#include "json.h"
#include "kinesis.h"

/* One lease as the table holds it, and what this worker knows of it. */
struct lease {
	char *key;
	char *owner;             /* NULL: no owner */
	long long counter;
	char *checkpoint;        /* NULL when absent */
	long long subseq;
	long long owner_switches;
	char **parents;          /* parentShardId */
	size_t nparents;
	char **children;         /* childShardIds */
	size_t nchildren;
	char *hash_start, *hash_end;
	/*
	 * in the table, but not readable as a lease (an attribute of the wrong
	 * type): only its key is known; it is neither taken nor forgotten, and
	 * the shards it is a parent of wait
	 */
	int unreadable;

	/* the observer: when leaseCounter was last seen to move (monotonic ms; 0: never) */
	uint64_t last_change;
	/* held by this worker */
	int held;
	uint64_t renewed;        /* when the last successful renewal (or take, checkpoint) was sent */
	int busy;                /* a request on it in flight */
	char *want_ck;           /* a checkpoint to write (a sequence number or SHARD_END) */
	long want_sub;           /* and its checkpointSubSequenceNumber */
};

/* The table's view: every lease of the last scan. */
struct lease_view {
	struct lease **l;
	size_t n, cap;
};

void lease_view_free(struct lease_view *v);
struct lease *lease_view_find(const struct lease_view *v, const char *key);

/* --- the item: pure, for the unit tests ------------------------------------- */
/*
 * Fill L (freed first with lease_clear) from the AttributeValue map
 * ITEM of DOC.  0, or -1 with err when leaseKey is missing or an
 * attribute has the wrong type.
 */
int lease_from_item(struct lease *l, const struct json_doc *doc, int item, struct cs_err *err);
void lease_clear(struct lease *l);
/* The item of L, as the KCL's serializer writes it (for PutItem). */
void lease_to_item(struct buf *out, const struct lease *l);
/* 1 when CK is one of the initial positions TRIM_HORIZON, LATEST, AT_TIMESTAMP (or NULL). */
int lease_ck_initial(const char *ck);

/* --- the taker's choice: pure --------------------------------------------- */
/*
 * Merge the leases of a scan made at NOW into V (KCL's rule: a lease
 * new to the observer is renewed as of now if owned, never if free; one
 * whose counter moved is renewed as of now).  SCANNED are consumed.
 * Leases held by this worker keep their own state.  An unreadable item
 * (only its key known, UNREADABLE set) stays in the view, its lease's
 * other fields emptied, until a scan reads it again or finds it gone.
 */
void lease_view_merge(struct lease_view *v, struct lease **scanned, size_t n, uint64_t now);
/* 1 when L is free or expired as seen at NOW. */
int lease_expired(const struct lease *l, uint64_t now, unsigned failover_ms);

struct lease_choice {
	struct lease **take;     /* leases to take (expired or free), or the one to steal */
	size_t n;
	int steal;               /* take[0] is stolen from its owner */
	int target;
	int workers;
};
/*
 * Which leases worker ME should take now.  RND picks among candidates
 * (rand()-like; NULL: the first ones).  C->take is malloc'd.
 */
void lease_choose(const struct lease_view *v, const char *me, uint64_t now,
    unsigned failover_ms, unsigned max_leases, unsigned (*rnd)(void *), void *rctx,
    struct lease_choice *c);

/* --- the engine ----------------------------------------------------------- */
enum lease_event {
	LEASE_TAKEN,      /* a lease is ours: its shard may be read from its checkpoint */
	LEASE_LOST,       /* taken by another, or not renewed in time: stop its shard now */
	LEASE_RENEWED_LATE,
	LEASE_RELEASED,
	LEASE_ENDED,      /* SHARD_END written, the lease let go */
	LEASE_UNREADABLE, /* an item of the table cannot be read as a lease (once a key; detail: why) */
};

typedef void (*lease_event_fn)(void *ctx, enum lease_event ev, const struct lease *l,
    const char *detail);

struct lease_config {
	const char *table;
	const char *stream;
	const char *worker;
	unsigned failover_ms;     /* 10000 by default, as the KCL */
	unsigned max_leases;      /* 0: no cap */
	const char *initial;      /* checkpoint of created leases: TRIM_HORIZON, LATEST, AT_TIMESTAMP */
	lease_event_fn on_event;
	void *ctx;
};

struct lease_stats {
	unsigned long scans, renewals, takes, steals, checkpoints, releases, creates, deletes;
	unsigned long lost, failed;
};

struct lease_mgr;

/*
 * A lease engine over DDB (a client of its own; blocking calls are made
 * on it here only).  Creates the table when missing (on-demand, hash key
 * leaseKey S), waits until it is active, scans it once.  NULL with err.
 */
struct lease_mgr *lease_open(struct aws_client *ddb, const struct lease_config *cfg,
    struct cs_err *err);
void lease_free(struct lease_mgr *m);

/*
 * Shard sync: create the leases the shards KS lack (free, at the
 * initial position, with their parents), except for a closed shard one
 * of whose children already has a lease (its lease was cleaned up), and
 * with LATEST a closed shard listed at the first sync.  Async, each
 * PutItem conditional on the lease not existing.
 */
void lease_sync(struct lease_mgr *m, const struct kinesis_shard *ks, size_t n);

/* Start what is due; the ms until something is next due.  -1 with *fatal and err. */
int lease_step(struct lease_mgr *m, int *fatal, struct cs_err *err);
/* 1 when SHARD's lease is held, and renewed less than failover ms ago. */
int lease_held(struct lease_mgr *m, const char *shard);
/*
 * 1 when every parent of SHARD's lease is at SHARD_END or has no lease any
 * more (an unreadable item is a lease: it is not done).
 */
int lease_parents_done(const struct lease_mgr *m, const char *shard);
/*
 * The checkpoint layer's view of the leases (a checkpoint whose ops are
 * the lease table's): entries follow the leases' checkpoints; commit
 * writes the dirty entries of held leases into them (async; a lease
 * found lost is reported by on_lost and its checkpoint dropped).  Owned
 * by M.
 */
struct checkpoint *lease_checkpoint(struct lease_mgr *m);
/* Leaving: write pending checkpoints, then release every lease held; blocks up to WAIT_MS. */
void lease_release_all(struct lease_mgr *m, unsigned wait_ms);
/* Requests in flight. */
int lease_inflight(const struct lease_mgr *m);
/* Leases held now. */
size_t lease_nheld(const struct lease_mgr *m);
const struct lease_stats *lease_stats(const struct lease_mgr *m);
struct aws_client *lease_client(struct lease_mgr *m);

#endif
