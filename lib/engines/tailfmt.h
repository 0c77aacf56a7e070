/*
 * tailfmt.h - a Kinesis record as cs-tail's output lines: the data itself
 * when it is one JSON value on one line (one trailing newline, or CRLF,
 * left out), else its envelope (lib/envelope.h); always the envelope with
 * -J.  A KPL aggregate becomes one line per user record.
 */
#ifndef CS_TAILFMT_H
#define CS_TAILFMT_H

#include <stddef.h>

#include "cs.h"
#include "json.h"
#include "kinesis.h"
#include "kpl.h"

struct tailfmt {
	const char *stream;
	int envelope;            /* -J: the envelope for every record */
	struct json_doc doc;     /* scratch */
	struct kpl_agg agg;      /* scratch */
};

void tailfmt_init(struct tailfmt *f, const char *stream, int envelope);
void tailfmt_free(struct tailfmt *f);

/*
 * Called after each line appended: LINE[0..len) (its newline included,
 * valid until OUT next grows), the record's sequence number, SUBSEQ the
 * user record's index in a KPL aggregate when it is not the last one (-1
 * for the last piece, or a plain record: a checkpoint there is past the
 * whole record), and whether this was the last piece of the Kinesis record.
 */
typedef void (*tailfmt_line_fn)(void *ctx, const char *line, size_t len, const char *seq,
    long subseq, int last_piece);

/*
 * Append record R of RS (of shard SHARD) to OUT as one line, or one per
 * user record of a KPL aggregate; EACH (may be NULL) is called after every
 * line.  When R is RS's first record and RS->skip_subseq >= 0, the user
 * records up to that index are left out (handled before a restart).  -1 with err when R is a corrupt aggregate: it was then appended
 * as one record, as it is.
 */
int tailfmt_record(struct tailfmt *f, struct buf *out, const char *shard,
    const struct kinesis_records *rs, const struct kinesis_record *r, tailfmt_line_fn each,
    void *ctx, struct cs_err *err);

#endif
