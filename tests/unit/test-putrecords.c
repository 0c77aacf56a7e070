/*
 * test-putrecords.c - the PutRecords request body and answer as the
 * Kinesis layer builds and reads them, and cs-put's keys in flight
 * (keyorder): a key in one batch at a time, a held record holding back
 * the later ones of its key.
 */
#include <string.h>

#include "keyorder.h"
#include "putrecords.h"
#include "tap.h"

/* a record of KEY offered to the build: its key's entry when it may go */
static struct keyorder_ent *
take(struct keyorder *k, const char *key, int want)
{
	return keyorder_take_ent(k, key, strlen(key), keyorder_hash(key, strlen(key)), want);
}

int
main(void)
{
	struct buf o = BUF_INIT, a = BUF_INIT, b = BUF_INIT;
	struct json_doc d;
	struct keyorder k;
	struct keyorder_ent *a1, *a2;
	const char *ans;
	int t;

	putrecords_begin(&o, "click-stream", 2, 10);
	putrecords_add(&o, 0, "hi", 2, "k\"1", 3, NULL);
	putrecords_add(&o, 1, "", 0, "k2", 2, "42");
	putrecords_end(&o);
	is_str(o.data, "{\"StreamName\":\"click-stream\",\"Records\":[{\"Data\":\"aGk=\","
	    "\"PartitionKey\":\"k\\\"1\"},{\"Data\":\"\",\"PartitionKey\":\"k2\","
	    "\"ExplicitHashKey\":\"42\"}]}", "the body: name, data in base64, keys escaped");
	putrecords_begin(&o, "arn:aws:kinesis:us-east-1:1:stream/s", 0, 0);
	ok(strncmp(o.data, "{\"StreamARN\":", 13) == 0, "an ARN goes as StreamARN");

	ok(putrecords_all_ok("{\"FailedRecordCount\":0,\"Records\":[]}", 36), "nothing failed, unparsed");
	ok(!putrecords_all_ok("{\"FailedRecordCount\":01}", 24), "not when the count goes on");
	ok(!putrecords_all_ok("{\"FailedRecordCount\":1}", 23), "not when one failed");

	json_doc_init(&d, 8);
	ans = "{\"FailedRecordCount\":1,\"Records\":[{\"ShardId\":\"shardId-1\",\"SequenceNumber\":\"9\"},"
	    "{\"ErrorCode\":\"ProvisionedThroughputExceededException\",\"ErrorMessage\":\"slow\"},"
	    "{\"ErrorCode\":\"InternalFailure\"}]}";
	ok(putrecords_parse(&d, ans, strlen(ans), 2) < 0, "an answer of 3 entries to 2 records refused");
	t = putrecords_parse(&d, ans, strlen(ans), 3);
	ok(t > 0, "an answer of 3 entries to 3 records");
	ok(putrecords_entry(&d, &t, &a, &b) == 0 && strcmp(a.data, "shardId-1") == 0 &&
	    strcmp(b.data, "9") == 0, "the first accepted: shard and sequence number");
	ok(putrecords_entry(&d, &t, &a, &b) == 1 &&
	    strcmp(a.data, "ProvisionedThroughputExceededException") == 0 &&
	    strcmp(b.data, "slow") == 0, "the second failed: code and message");
	ok(putrecords_entry(&d, &t, &a, &b) == 1 && strcmp(a.data, "InternalFailure") == 0 &&
	    b.data && b.len == 0, "the third failed without a message: \"\"");
	ok(putrecords_parse(&d, "[]", 2, 0) < 0, "not an object: refused");
	json_doc_free(&d);

	keyorder_init(&k);
	keyorder_begin(&k);
	ok((a1 = take(&k, "a", 1)) != NULL, "build 1 takes a record of a");
	ok((a2 = take(&k, "a", 1)) != NULL, "and another of a (same batch)");
	ok(!take(&k, "b", 0), "a record of b waits (not ready)");
	ok(!take(&k, "b", 1), "so the later ones of b wait too");
	keyorder_end(&k);
	is_int(keyorder_inflight(&k), 1, "one key in flight");
	keyorder_begin(&k);
	ok(!take(&k, "a", 1), "build 2: a is in flight elsewhere");
	ok(take(&k, "b", 1) != NULL, "b may go now");
	keyorder_end(&k);
	keyorder_release(&k, a1);
	keyorder_release(&k, a2);
	keyorder_begin(&k);
	ok(take(&k, "a", 1) != NULL, "a answered: it may go again");
	keyorder_end(&k);
	keyorder_free(&k);

	/* by entry: taken, released without a look-up */
	keyorder_init(&k);
	keyorder_begin(&k);
	{
		struct keyorder_ent *e1 = keyorder_take_ent(&k, "c", 1, keyorder_hash("c", 1), 1);
		struct keyorder_ent *e2 = keyorder_take_ent(&k, "c", 1, keyorder_hash("c", 1), 1);

		ok(e1 && e1 == e2, "two records of c: the same entry");
		ok(!keyorder_take_ent(&k, "d", 1, keyorder_hash("d", 1), 0), "a record that waits: no entry");
		keyorder_end(&k);
		keyorder_begin(&k);
		ok(!keyorder_take_ent(&k, "c", 1, keyorder_hash("c", 1), 1), "c in flight: the next build waits");
		keyorder_end(&k);
		keyorder_release(&k, e1);
		is_int(keyorder_inflight(&k), 1, "one of c answered: c still in flight");
		keyorder_release(&k, e2);
		is_int(keyorder_inflight(&k), 0, "both answered: no key in flight");
		keyorder_begin(&k);
		ok(keyorder_take_ent(&k, "c", 1, keyorder_hash("c", 1), 1) != NULL, "c may go again");
		keyorder_end(&k);
	}
	keyorder_free(&k);

	buf_free(&o);
	buf_free(&a);
	buf_free(&b);
	return done_testing();
}
