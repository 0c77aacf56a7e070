/*
 * putresult.h - cs-put's per-record outcome: the --results line of a
 * record, and whether a record not delivered fell to the failure that
 * stopped the whole run (counted, reported once) or to its own reason
 * (written to the rejects).
 */
#ifndef CS_PUTRESULT_H
#define CS_PUTRESULT_H

#include "cs.h"
#include "putter.h"

/*
 * 1 when RES (not delivered) is the putter's failure for good: the service
 * refused every record from then on, so one line at the end says so
 * rather than one per record.  A record refused for its own reason (too
 * large, a bad key) gives 0.
 */
int putresult_is_failure(const struct putter *p, const struct put_result *res);

/*
 * Append to B (reset first) the --results line of REC, newline included:
 *   {"Code":"PutRecordSuccessful","ShardId":...,"SequenceNumber":...,"source":...,"line":N}
 *   (with "SubSequenceNumber":I after the sequence number for a user record of a KPL aggregate)
 *   {"Code":CODE,"Message":MSG,"source":...,"line":N}
 * ("line" left out when REC->line is 0).
 */
void putresult_format(struct buf *b, const struct put_record *rec, const struct put_result *res);

#endif
