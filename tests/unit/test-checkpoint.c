/* test-checkpoint.c - the file checkpoint: set, finish, commit, reload. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checkpoint.h"
#include "tap.h"

int
main(void)
{
	char dir[] = "/tmp/cs-test-checkpoint.XXXXXX", path[256], cmd[300];
	struct checkpoint *ck;
	const struct checkpoint_entry *e;
	struct cs_err err;
	FILE *f;

	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof path, "%s/ck.json", dir);
	ck = checkpoint_open_file(path, "s1", &err);
	ok(ck != NULL, "a missing file is an empty checkpoint");
	if (!ck)
		return done_testing();
	is_int(ck->n, 0, "no entries");
	ok(checkpoint_commit(ck, &err) == 0 && access(path, F_OK) != 0, "nothing to commit, no file");
	checkpoint_set(ck, "shardId-000000000000", "100");
	checkpoint_set(ck, "shardId-000000000001", "200");
	checkpoint_finish(ck, "shardId-000000000001", "201");
	checkpoint_forget(ck, "shardId-000000000009");
	checkpoint_set(ck, "shardId-000000000000", "101");
	ok(checkpoint_commit(ck, &err) == 0, "commit");
	ok(access(path, F_OK) == 0, "file written");
	snprintf(cmd, sizeof cmd, "%s.tmp", path);
	ok(access(cmd, F_OK) != 0, "no temporary file left");
	checkpoint_close(ck);

	ck = checkpoint_open_file(path, "s1", &err);
	ok(ck != NULL, "reopened");
	if (!ck)
		return done_testing();
	e = checkpoint_get(ck, "shardId-000000000000");
	ok(e && e->seq && strcmp(e->seq, "101") == 0 && !e->finished, "shard 0 at 101");
	e = checkpoint_get(ck, "shardId-000000000001");
	ok(e && e->seq && strcmp(e->seq, "201") == 0 && e->finished, "shard 1 finished at 201");
	ok(checkpoint_get(ck, "shardId-000000000002") == NULL, "unknown shard");
	checkpoint_load_entry(ck, "shardId-000000000009", "901", 0, 1, -1);
	checkpoint_forget(ck, "shardId-000000000000");
	checkpoint_forget(ck, "shardId-000000000007");
	ok(checkpoint_get(ck, "shardId-000000000000") == NULL && ck->n == 2, "forgotten");
	e = checkpoint_get(ck, "shardId-000000000009");
	ok(e && strcmp(e->seq, "901") == 0 && e->resume_at, "the others kept");
	e = checkpoint_get(ck, "shardId-000000000001");
	ok(e && strcmp(e->seq, "201") == 0 && e->finished, "the others kept, in order");
	checkpoint_forget(ck, "shardId-000000000009");
	checkpoint_set(ck, "shardId-000000000000", "101");

	/* checkpoint_sync: the first commits, the next within CHECKPOINT_SYNC_MS waits unless forced */
	checkpoint_set(ck, "shardId-000000000000", "102");
	ok(checkpoint_sync(ck, 0, &err) == 0 && ck->commits == 1 && !ck->dirty, "sync commits");
	checkpoint_set(ck, "shardId-000000000000", "103");
	ok(checkpoint_sync(ck, 0, &err) == 0 && ck->commits == 1 && ck->dirty,
	    "sync soon after waits");
	ok(checkpoint_sync(ck, 1, &err) == 0 && ck->commits == 2 && !ck->dirty,
	    "a forced sync commits");
	checkpoint_set(ck, "shardId-000000000000", "104");
	usleep((CHECKPOINT_SYNC_MS + 20) * 1000);
	ok(checkpoint_sync(ck, 0, &err) == 0 && ck->commits == 3, "sync commits again later");
	{
		struct checkpoint *two;

		two = checkpoint_open_file(path, "s1", &err);
		ok(two == NULL, "open twice: the second refused while the first holds it");
		ok(strstr(err.msg, "in use by another reader") && strcmp(err.code, "CheckpointInUse") == 0,
		    "reason: %s", err.msg);
		checkpoint_close(two);
	}
	/* inside a KPL aggregate: the sub-sequence number is kept, and dropped past the record */
	checkpoint_set_sub(ck, "shardId-000000000000", "105", 29);
	ok(checkpoint_commit(ck, &err) == 0, "commit inside an aggregate");
	checkpoint_close(ck);
	ck = checkpoint_open_file(path, "s1", &err);
	ok(ck != NULL, "closed: free to open again");
	if (!ck)
		return done_testing();
	e = checkpoint_get(ck, "shardId-000000000000");
	ok(e && e->seq && strcmp(e->seq, "105") == 0 && e->subseq == 29, "at 105, user record 29");
	e = checkpoint_get(ck, "shardId-000000000001");
	ok(e && e->subseq == -1, "a whole record has no sub-sequence number");
	checkpoint_set(ck, "shardId-000000000000", "105");
	e = checkpoint_get(ck, "shardId-000000000000");
	ok(e && e->subseq == -1 && ck->dirty, "the aggregate done whole: none");
	{
		struct buf t = BUF_INIT;

		checkpoint_set_sub(ck, "shardId-000000000000", "106", 0);
		checkpoint_format(ck, &t);
		ok(strstr(t.data, "\"sequenceNumber\":\"106\",\"subSequenceNumber\":0,") != NULL,
		    "written after the sequence number: %s", t.data);
		buf_free(&t);
	}
	checkpoint_close(ck);

	ck = checkpoint_open_file(path, "other", &err);
	ok(ck == NULL, "another stream's checkpoint refused");
	ok(strstr(err.msg, "'s1'") != NULL, "reason: %s", err.msg);

	f = fopen(path, "w");
	fputs("{\"stream\":\"s1\",\"shards\":[]}", f);
	fclose(f);
	ok(checkpoint_open_file(path, "s1", &err) == NULL, "malformed refused: %s", err.msg);

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 1;
	return done_testing();
}
