/*
 * putresult.c - the --results line of a record and the failure test (see putresult.h).
 */
#include <string.h>

#include "json.h"
#include "putresult.h"

int
putresult_is_failure(const struct putter *p, const struct put_result *res)
{
	struct cs_err fail;

	return !res->ok && putter_failed(p, &fail) && strcmp(res->code, fail.code) == 0;
}

void
putresult_format(struct buf *b, const struct put_record *rec, const struct put_result *res)
{
	buf_reset(b);
	if (res->ok) {
		buf_adds(b, "{\"Code\":\"PutRecordSuccessful\",\"ShardId\":");
		json_escape_str(b, res->shard_id);
		buf_adds(b, ",\"SequenceNumber\":");
		json_escape_str(b, res->sequence_number);
		if (res->subseq >= 0)
			buf_printf(b, ",\"SubSequenceNumber\":%ld", res->subseq);
	} else {
		buf_adds(b, "{\"Code\":");
		json_escape_str(b, res->code);
		buf_adds(b, ",\"Message\":");
		json_escape_str(b, res->message);
	}
	buf_adds(b, ",\"source\":");
	json_escape_str(b, rec->source);
	if (rec->line)
		buf_printf(b, ",\"line\":%llu", (unsigned long long)rec->line);
	buf_adds(b, "}\n");
}
