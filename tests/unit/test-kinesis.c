/* test-kinesis.c - request bodies and answers of ListShards, GetShardIterator, GetRecords. */
#include <stdlib.h>
#include <string.h>

#include "kinesis.h"
#include "tap.h"

int
main(void)
{
	struct buf b = BUF_INIT;
	struct kinesis_shard *sh = NULL;
	struct kinesis_records rs;
	struct kinesis_position pos = { KINESIS_AFTER_SEQUENCE_NUMBER, "123", 0 };
	struct cs_err err;
	size_t n = 0;
	char *tok = NULL, *it = NULL, hk[48];
	const char *page1 = "{\"Shards\":[{\"ShardId\":\"shardId-000000000000\","
	    "\"HashKeyRange\":{\"StartingHashKey\":\"0\",\"EndingHashKey\":\"170141183460469231731687303715884105727\"},"
	    "\"SequenceNumberRange\":{\"StartingSequenceNumber\":\"100\",\"EndingSequenceNumber\":\"200\"}},"
	    "{\"ShardId\":\"shardId-000000000001\",\"ParentShardId\":\"shardId-000000000000\","
	    "\"HashKeyRange\":{\"StartingHashKey\":\"0\",\"EndingHashKey\":\"340282366920938463463374607431768211455\"},"
	    "\"SequenceNumberRange\":{\"StartingSequenceNumber\":\"300\"}}],\"NextToken\":\"tok\\/1\"}";
	const char *recs = "{\"Records\":[{\"Data\":\"eyJhIjoxfQ==\",\"PartitionKey\":\"k\\u00e9\","
	    "\"SequenceNumber\":\"49590\",\"ApproximateArrivalTimestamp\":1.517786312866E9},"
	    "{\"Data\":\"\",\"PartitionKey\":\"k\",\"SequenceNumber\":\"49591\"}],"
	    "\"NextShardIterator\":\"AAA\",\"MillisBehindLatest\":1500}";

	kinesis_list_shards_body(&b, "click-stream", NULL);
	is_str(b.data, "{\"StreamName\":\"click-stream\",\"MaxResults\":1000}", "first ListShards page");
	kinesis_list_shards_body(&b, "click-stream", "t");
	is_str(b.data, "{\"NextToken\":\"t\",\"MaxResults\":1000}", "next page: the token alone");

	ok(kinesis_parse_list_shards(page1, strlen(page1), &sh, &n, &tok, &err) == 0, "ListShards parsed");
	is_int(n, 2, "two shards");
	is_str(tok, "tok/1", "NextToken decoded");
	ok(n == 2 && sh[0].seq_end && strcmp(sh[0].seq_end, "200") == 0 && !sh[0].parent, "closed parent");
	ok(n == 2 && !sh[1].seq_end && sh[1].parent && strcmp(sh[1].parent, "shardId-000000000000") == 0,
	    "open child with its parent");
	ok(kinesis_shard_find(sh, n, "shardId-000000000001") == &sh[1], "find");
	is_int(kinesis_shard_for_key(sh, n, "x", 1), 1, "a key maps to the open shard only");
	free(tok);
	ok(kinesis_parse_list_shards("{\"Shards\":[{\"ShardId\":\"a\"}]}", 29, &sh, &n, &tok, &err) < 0,
	    "a shard without its ranges is refused");
	is_int(n, 2, "nothing appended on error");
	kinesis_shards_free(sh, n);

	kinesis_get_shard_iterator_body(&b, "s", "shardId-000000000000", &pos);
	is_str(b.data, "{\"StreamName\":\"s\",\"ShardId\":\"shardId-000000000000\","
	    "\"ShardIteratorType\":\"AFTER_SEQUENCE_NUMBER\",\"StartingSequenceNumber\":\"123\"}",
	    "GetShardIterator AFTER_SEQUENCE_NUMBER");
	pos.type = KINESIS_AT_TIMESTAMP;
	pos.timestamp_ms = 1517786312866;
	kinesis_get_shard_iterator_body(&b, "s", "x", &pos);
	ok(strstr(b.data, "\"Timestamp\":1517786312.866}") != NULL, "AT_TIMESTAMP in seconds: %s", b.data);
	ok(kinesis_parse_shard_iterator("{\"ShardIterator\":\"AB\"}", 22, &it, &err) == 0 &&
	    strcmp(it, "AB") == 0, "iterator");
	free(it);
	ok(kinesis_parse_shard_iterator("{}", 2, &it, &err) < 0, "no iterator refused");

	kinesis_get_records_body(&b, "AB", 50);
	is_str(b.data, "{\"ShardIterator\":\"AB\",\"Limit\":50}", "GetRecords body");
	kinesis_records_init(&rs);
	ok(kinesis_parse_get_records(recs, strlen(recs), &rs, &err) == 0, "GetRecords parsed: %s", err.msg);
	is_int(rs.n, 2, "two records");
	ok(rs.n == 2 && rs.rec[0].data_len == 7 && memcmp(KREC_DATA(&rs, &rs.rec[0]), "{\"a\":1}", 7) == 0,
	    "data decoded");
	ok(rs.n == 2 && strcmp(KREC_KEY(&rs, &rs.rec[0]), "k\xc3\xa9") == 0, "key unescaped");
	ok(rs.n == 2 && strcmp(KREC_SEQ(&rs, &rs.rec[1]), "49591") == 0, "sequence number");
	is_int(rs.n ? rs.rec[0].arrival_ms : 0, 1517786312866, "arrival in ms");
	is_int(rs.n == 2 ? rs.rec[1].data_len : 99, 0, "empty data");
	is_str(rs.next_iterator, "AAA", "next iterator");
	is_int(rs.millis_behind, 1500, "MillisBehindLatest");
	ok(kinesis_parse_get_records("{\"Records\":[],\"MillisBehindLatest\":0}", 37, &rs, &err) == 0 &&
	    rs.n == 0 && rs.next_iterator == NULL, "closed shard's end: no next iterator");
	ok(kinesis_parse_get_records("{\"Records\":[{\"Data\":\"@@@@\",\"PartitionKey\":\"k\","
	    "\"SequenceNumber\":\"1\"}]}", 70, &rs, &err) < 0, "bad base64 refused");
	ok(kinesis_parse_get_records("{\"Records\":[{\"Data\":\"YQ=\",\"PartitionKey\":\"k\","
	    "\"SequenceNumber\":\"1\"}]}", 69, &rs, &err) < 0, "bad length refused");
	kinesis_records_free(&rs);

	ok(kinesis_seq_cmp("9", "10") < 0, "9 < 10");
	ok(kinesis_seq_cmp("49590338271490256608559692538361571095921575989136588898",
	    "49590338271490256608559692538361571095921575989136588899") < 0, "long numbers");
	ok(kinesis_seq_cmp("007", "7") == 0, "leading zeros");
	kinesis_hash_key(hk, "", 0);
	is_str(hk, "281949768489412648962353822266799178366", "MD5 of the empty key as a number");
	buf_free(&b);
	return done_testing();
}
