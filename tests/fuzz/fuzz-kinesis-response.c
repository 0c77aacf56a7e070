/* fuzz-kinesis-response.c - GetRecords, ListShards, GetShardIterator answers and checkpoint files. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "kinesis.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct kinesis_records rs;
	struct kinesis_shard *sh = NULL;
	size_t n = 0, i;
	char *tok = NULL, *it = NULL;
	struct cs_err err;

	kinesis_records_init(&rs);
	if (kinesis_parse_get_records(s, size, &rs, &err) == 0) {
		for (i = 0; i < rs.n; i++) {
			const struct kinesis_record *r = &rs.rec[i];

			if (r->data_off + r->data_len > rs.arena.len || r->seq_off + r->seq_len > rs.arena.len ||
			    r->key_off + r->key_len > rs.arena.len || KREC_SEQ(&rs, r)[r->seq_len] != '\0')
				__builtin_trap();
		}
	}
	kinesis_records_free(&rs);
	if (kinesis_parse_list_shards(s, size, &sh, &n, &tok, &err) == 0) {
		for (i = 0; i < n; i++)
			if (!sh[i].id || !sh[i].hash_start || !sh[i].hash_end || !sh[i].seq_start)
				__builtin_trap();
		if (n)
			kinesis_shard_for_key(sh, n, s, size);
	}
	kinesis_shards_free(sh, n);
	free(tok);
	if (kinesis_parse_shard_iterator(s, size, &it, &err) == 0 && !it)
		__builtin_trap();
	free(it);
	{
		struct checkpoint ck;

		memset(&ck, 0, sizeof ck);
		ck.stream = "s";
		checkpoint_parse(&ck, s, size, &err);
		for (i = 0; i < ck.n; i++) {
			free(ck.e[i].shard);
			free(ck.e[i].seq);
		}
		free(ck.e);
	}
	if (size < 64) {
		char a[64], b[64];
		size_t h = size / 2;

		memcpy(a, s, h);
		a[h] = '\0';
		memcpy(b, s + h, size - h);
		b[size - h] = '\0';
		if (strlen(a) == h && strlen(b) == size - h &&
		    (kinesis_seq_cmp(a, b) > 0) != (kinesis_seq_cmp(b, a) < 0))
			__builtin_trap();
	}
	return 0;
}
