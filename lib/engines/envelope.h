/*
 * envelope.h - one Kinesis record as one JSON line (cs-tail -J), and back
 * (cs-put --envelope).
 *
 *   {"stream":"click-stream","shardId":"shardId-000000000000",
 *    "sequenceNumber":"4959...","partitionKey":"0",
 *    "approximateArrival":"2018-02-04T23:18:32.866Z","data":{"ip":...}}
 *
 * "data" holds the record's bytes verbatim when they are exactly one JSON
 * value on one line (valid UTF-8, no CR or LF, no blanks around the
 * value); otherwise "dataBase64" holds them base64-encoded.  Either way
 * envelope_parse() gives back the exact bytes.  A record de-aggregated
 * from a KPL aggregate also carries "subSequenceNumber" (its index) and,
 * when its producer gave one, its "explicitHashKey" (decimal); GetRecords
 * does not tell a plain record's explicit hash key.
 * envelope_parse() ignores members it does not know.
 */
#ifndef CS_ENVELOPE_H
#define CS_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#include "cs.h"
#include "json.h"

struct envelope {
	const char *stream;
	const char *shard;
	const char *seq;
	long subseq;            /* -1: not from a KPL aggregate */
	const char *key;        /* partition key */
	size_t keylen;
	int64_t arrival_ms;     /* 0: not known (the member is left out) */
	const char *data;
	size_t len;
	const char *ehk;        /* explicit hash key, NULL when none (or not known) */
	size_t ehklen;
};

/*
 * 1 when DATA[0..n) is exactly one JSON value on one line: valid UTF-8,
 * no CR or LF anywhere, no blanks before or after the value.  DOC is a
 * scratch document (json_doc_init'ed by the caller, reused across calls).
 */
int envelope_is_json_line(struct json_doc *doc, const char *data, size_t n);

/* Append E as one JSON line, with its newline, to OUT.  DOC: scratch, as above. */
void envelope_format(struct buf *out, const struct envelope *e, struct json_doc *doc);

/*
 * 1 when DOC (a parsed line) looks like an envelope: an object with
 * "shardId" and "sequenceNumber" (strings) and "data" or "dataBase64".
 * One pass over the top-level members, no copy: cheap enough for every
 * record of a filter (cs-validate).  Then envelope_parse() reads it.
 */
int envelope_detect(const struct json_doc *doc);

/*
 * Parse one envelope line LINE[0..n) (its newline already stripped):
 * the record's exact bytes are appended to DATA and its partition key to
 * KEY (both reset first; a key given as "partitionKeyBase64", for keys that
 * are not UTF-8, is decoded).  DOC: scratch, as above.  -1 with err when the
 * line is not a JSON object, lacks "partitionKey" (a non-empty string) or
 * both "data" and "dataBase64", or the base64 is bad.
 */
int envelope_parse(struct json_doc *doc, const char *line, size_t n, struct buf *data,
    struct buf *key, struct cs_err *err);
/*
 * After envelope_parse() succeeded on DOC: its "explicitHashKey" (a
 * string) into EHK (reset first), 1; 0 when it has none.
 */
int envelope_ehk(const struct json_doc *doc, struct buf *ehk);

#endif
