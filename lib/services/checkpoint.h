/*
 * checkpoint.h - where a reader of a stream keeps its place: for each
 * shard, the sequence number of the last record fully handled, and
 * whether the shard was read to its end (closed by a reshard, finished).
 *
 * The positions live in memory; a backend (an ops table) loads them once
 * and stores them on checkpoint_commit().  The file backend stores the
 * whole set atomically (temporary file, fsync, rename, fsync of the
 * directory), so a crash leaves either the old or the new checkpoint.
 * The lease table (lib/engines/lease.h) implements the same ops: it writes
 * only the entries marked dirty, on condition of the lease's owner.
 *
 * File format (one JSON object):
 *   {"stream":"click-stream","shards":{"shardId-000000000000":
 *     {"sequenceNumber":"4959...","finished":false}, ...}}
 * An entry that stops inside a KPL aggregate also has "subSequenceNumber":
 * the index of the last user record of it handled (as a KCL lease keeps
 * checkpointSubSequenceNumber); a reader resumes at that record's
 * sequence number and leaves out the user records up to that index.
 */
#ifndef CS_CHECKPOINT_H
#define CS_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "cs.h"

struct checkpoint_entry {
	char *shard;
	char *seq;       /* last sequence number handled; NULL: none yet */
	long subseq;     /* -1: SEQ handled whole; else its user records 0..SUBSEQ (a KPL aggregate) */
	int finished;    /* read to the end of a closed shard */
	int dirty;       /* changed since the last commit */
	int resume_at;   /* SEQ may be only partly handled (a lease's checkpoint, maybe of a
	                  * KPL aggregate): read again from it, at-least-once */
};

struct checkpoint;

struct checkpoint_ops {
	const char *name;   /* "file", "lease" */
	/* fill ck->e from the store; a store that does not exist yet is empty */
	int (*load)(struct checkpoint *ck, struct cs_err *err);
	/* persist every entry (or the dirty ones), atomically for one call */
	int (*store)(struct checkpoint *ck, struct cs_err *err);
	void (*close)(struct checkpoint *ck);
};

struct checkpoint {
	const struct checkpoint_ops *ops;
	void *impl;                 /* the backend's own state */
	char *stream;
	struct checkpoint_entry *e;
	size_t n, cap;
	int dirty;
	unsigned long commits;
	uint64_t last_sync_ms;      /* when checkpoint_sync() last committed */
};

/* checkpoint_sync() commits at most this often unless forced */
#define CHECKPOINT_SYNC_MS 200

/*
 * Open the file checkpoint PATH for STREAM and load it.  A missing file is
 * an empty checkpoint (created at the first commit); a file that names
 * another stream or does not parse is an error.  PATH.lock is locked until
 * checkpoint_close(): a checkpoint open elsewhere is refused at once (err.code
 * "CheckpointInUse").
 */
struct checkpoint *checkpoint_open_file(const char *path, const char *stream,
    struct cs_err *err);
/* The entry of SHARD, or NULL. */
const struct checkpoint_entry *checkpoint_get(const struct checkpoint *ck, const char *shard);
/* Record that SHARD was handled through SEQ. */
void checkpoint_set(struct checkpoint *ck, const char *shard, const char *seq);
/* The same, through user record SUBSEQ of the aggregate SEQ (-1: SEQ whole). */
void checkpoint_set_sub(struct checkpoint *ck, const char *shard, const char *seq, long subseq);
/* Record that SHARD was read to its end (LAST_SEQ may be NULL). */
void checkpoint_finish(struct checkpoint *ck, const char *shard, const char *last_seq);
/*
 * Set SHARD's entry as the store holds it (not dirty): SEQ (may be NULL)
 * and FINISHED; RESUME_AT and SUBSEQ (-1: none) as in struct checkpoint_entry.  For a backend
 * whose entries change under the reader (the lease table).
 */
void checkpoint_load_entry(struct checkpoint *ck, const char *shard, const char *seq,
    int finished, int resume_at, long subseq);
/* Forget SHARD's change not stored yet (its lease was lost: the next owner reads it again). */
void checkpoint_drop_dirty(struct checkpoint *ck, const char *shard);
/*
 * Forget SHARD's entry, stored or not (its lease left the table: the
 * backend no longer holds a position for it).
 */
void checkpoint_forget(struct checkpoint *ck, const char *shard);
/* Store the changes, if any.  -1 with err. */
int checkpoint_commit(struct checkpoint *ck, struct cs_err *err);
/*
 * Commit when FORCE or when CHECKPOINT_SYNC_MS have passed since the last
 * commit of checkpoint_sync(); a reader that moves through thousands of
 * records a second writes its checkpoint a few times a second, not once
 * per answer.  -1 with err when the commit fails.
 */
int checkpoint_sync(struct checkpoint *ck, int force, struct cs_err *err);
/* Free (without committing). */
void checkpoint_close(struct checkpoint *ck);

/* The file format: the JSON text of CK (with a newline), and back into CK's entries. */
void checkpoint_format(const struct checkpoint *ck, struct buf *out);
int checkpoint_parse(struct checkpoint *ck, const char *text, size_t len, struct cs_err *err);

#endif
