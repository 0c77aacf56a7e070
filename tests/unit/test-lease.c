/*
 * test-lease.c - the lease table's pure parts: an item as the KCL 2.x
 * serializer writes it, read and written back with the same names and
 * types; expiry by the observed leaseCounter; the taker's choice (take
 * the expired, target ceil(leases / workers), steal one from the most
 * loaded).
 */
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "lease.h"
#include "tap.h"

static struct lease *
mk(const char *key, const char *owner, long long counter, const char *ck)
{
	struct lease *l = cs_calloc(1, sizeof *l);

	l->key = cs_strdup(key);
	l->owner = owner ? cs_strdup(owner) : NULL;
	l->counter = counter;
	l->checkpoint = cs_strdup(ck ? ck : "TRIM_HORIZON");
	return l;
}

/* a view of N leases, owned per OWNERS[i] (NULL: free), all renewed as of NOW */
static void
view_of(struct lease_view *v, size_t n, const char *const *owners, const char *me,
    uint64_t now)
{
	size_t i;
	char key[32];

	memset(v, 0, sizeof *v);
	for (i = 0; i < n; i++) {
		struct lease *l;

		snprintf(key, sizeof key, "shardId-%012zu", i);
		l = mk(key, owners[i], 5, NULL);
		l->last_change = owners[i] ? now : 0;
		if (owners[i] && strcmp(owners[i], me) == 0) {
			l->held = 1;
			l->renewed = now;
		}
		if (v->n == v->cap) {
			v->cap = v->cap ? v->cap * 2 : 8;
			v->l = cs_realloc(v->l, v->cap * sizeof *v->l);
		}
		v->l[v->n++] = l;
	}
}

static int
count_owner(const struct lease_choice *c, const char *owner)
{
	size_t i;
	int n = 0;

	for (i = 0; i < c->n; i++)
		n += c->take[i]->owner && strcmp(c->take[i]->owner, owner) == 0;
	return n;
}

static void
test_item(void)
{
	/* what DynamoDBLeaseSerializer.toDynamoRecord writes for a closed parent */
	static const char kcl[] =
	    "{\"leaseKey\":{\"S\":\"shardId-000000000001\"},\"leaseCounter\":{\"N\":\"42\"},"
	    "\"leaseOwner\":{\"S\":\"kcl-worker-1\"},\"ownerSwitchesSinceCheckpoint\":{\"N\":\"3\"},"
	    "\"checkpoint\":{\"S\":\"49590338271490256608559692538361571095921575989136588818\"},"
	    "\"checkpointSubSequenceNumber\":{\"N\":\"7\"},"
	    "\"parentShardId\":{\"SS\":[\"shardId-000000000000\"]},"
	    "\"childShardIds\":{\"SS\":[\"shardId-000000000002\",\"shardId-000000000003\"]},"
	    "\"startingHashKey\":{\"S\":\"0\"},\"endingHashKey\":{\"S\":\"170141183460469231731687303715884105727\"},"
	    "\"pendingCheckpoint\":{\"S\":\"4959\"},\"pendingCheckpointSubSequenceNumber\":{\"N\":\"0\"}}";
	struct json_doc d;
	struct lease l, back;
	struct buf out = BUF_INIT;
	struct cs_err err;
	static const char bad1[] = "{\"leaseKey\":{\"S\":\"a\"},\"leaseCounter\":{\"S\":\"1\"}}";
	static const char bad2[] = "{\"leaseOwner\":{\"S\":\"a\"}}";

	memset(&l, 0, sizeof l);
	memset(&back, 0, sizeof back);
	json_doc_init(&d, 16);
	ok(json_parse(&d, kcl, strlen(kcl)) == 0, "the KCL item parses");
	ok(lease_from_item(&l, &d, 0, &err) == 0, "a KCL 2.x item is a lease");
	is_str(l.key, "shardId-000000000001", "leaseKey");
	is_str(l.owner, "kcl-worker-1", "leaseOwner");
	is_int(l.counter, 42, "leaseCounter");
	is_str(l.checkpoint, "49590338271490256608559692538361571095921575989136588818", "checkpoint");
	is_int(l.subseq, 7, "checkpointSubSequenceNumber");
	is_int(l.owner_switches, 3, "ownerSwitchesSinceCheckpoint");
	ok(l.nparents == 1 && strcmp(l.parents[0], "shardId-000000000000") == 0, "parentShardId SS");
	ok(l.nchildren == 2 && strcmp(l.children[1], "shardId-000000000003") == 0, "childShardIds SS");
	is_str(l.hash_end, "170141183460469231731687303715884105727", "endingHashKey");

	lease_to_item(&out, &l);
	json_doc_free(&d);
	json_doc_init(&d, 16);
	ok(json_parse(&d, out.data, out.len) == 0, "our item is JSON");
	ok(lease_from_item(&back, &d, 0, &err) == 0 && back.counter == 42 && back.subseq == 7 &&
	    strcmp(back.checkpoint, l.checkpoint) == 0 && back.nchildren == 2 &&
	    back.nparents == 1 && strcmp(back.owner, "kcl-worker-1") == 0,
	    "written back, read again: the same lease");
	ok(strstr(out.data, "\"leaseCounter\":{\"N\":\"42\"}") &&
	    strstr(out.data, "\"checkpointSubSequenceNumber\":{\"N\":\"7\"}") &&
	    strstr(out.data, "\"ownerSwitchesSinceCheckpoint\":{\"N\":\"3\"}") &&
	    strstr(out.data, "\"parentShardId\":{\"SS\":[\"shardId-000000000000\"]}") &&
	    strstr(out.data, "\"leaseOwner\":{\"S\":\"kcl-worker-1\"}"),
	    "our item has the KCL's names and types");
	lease_clear(&back);
	json_doc_free(&d);

	/* a free lease: no leaseOwner attribute at all, as the KCL writes it */
	free(l.owner);
	l.owner = NULL;
	buf_reset(&out);
	lease_to_item(&out, &l);
	ok(!strstr(out.data, "leaseOwner"), "a free lease has no leaseOwner");

	/* wrong types are refused, not guessed */
	json_doc_init(&d, 16);
	ok(json_parse(&d, bad1, strlen(bad1)) == 0 &&
	    lease_from_item(&back, &d, 0, &err) < 0 && strstr(err.msg, "wrong type (leaseCounter)"),
	    "leaseCounter as S: refused");
	json_doc_free(&d);
	json_doc_init(&d, 16);
	ok(json_parse(&d, bad2, strlen(bad2)) == 0 &&
	    lease_from_item(&back, &d, 0, &err) < 0, "no leaseKey: refused");
	json_doc_free(&d);
	lease_clear(&l);
	buf_free(&out);

	ok(lease_ck_initial("TRIM_HORIZON") && lease_ck_initial("LATEST") &&
	    lease_ck_initial("AT_TIMESTAMP") && !lease_ck_initial("SHARD_END") &&
	    !lease_ck_initial("4959"), "initial positions");
}

static void
test_expiry(void)
{
	struct lease_view v;
	struct lease **s;
	struct lease *l;

	memset(&v, 0, sizeof v);
	s = cs_calloc(2, sizeof *s);
	s[0] = mk("a", "w1", 1, NULL);
	s[1] = mk("b", NULL, 0, NULL);
	lease_view_merge(&v, s, 2, 1000);
	l = lease_view_find(&v, "a");
	ok(l && l->last_change == 1000, "a new owned lease: renewed as of the scan");
	ok(!lease_expired(l, 3999, 3000), "not expired within the failover time");
	ok(lease_expired(l, 4001, 3000), "expired once its counter stood still longer");
	ok(lease_expired(lease_view_find(&v, "b"), 1000, 3000), "a free lease is available at once");

	/* the counter moves: renewed as of this scan, whatever the clocks of others */
	s[0] = mk("a", "w1", 2, NULL);
	s[1] = mk("b", NULL, 0, NULL);
	lease_view_merge(&v, s, 2, 3500);
	l = lease_view_find(&v, "a");
	ok(l->last_change == 3500 && !lease_expired(l, 6000, 3000), "a moved counter renews it");
	/* the counter stands still: the old time stays */
	s[0] = mk("a", "w1", 2, NULL);
	s[1] = mk("b", NULL, 0, NULL);
	lease_view_merge(&v, s, 2, 5000);
	ok(lease_view_find(&v, "a")->last_change == 3500, "an unmoved counter keeps its time");
	ok(lease_expired(lease_view_find(&v, "a"), 6501, 3000), "and expires from it");
	/* a lease gone from the table leaves the view */
	s[0] = mk("a", "w1", 2, NULL);
	lease_view_merge(&v, s, 1, 5200);
	ok(lease_view_find(&v, "b") == NULL && v.n == 1, "a deleted lease leaves the view");
	free(s);
	lease_view_free(&v);
}

static void
test_choose(void)
{
	struct lease_view v;
	struct lease_choice c;
	const char *six_w1[] = { "w1", "w1", "w1", "w1", "w1", "w1" };
	const char *free6[] = { NULL, NULL, NULL, NULL, NULL, NULL };
	const char *bal[] = { "w1", "w1", "w2", "w2", "w3", "w3" };
	const char *uneven[] = { "w1", "w1", "w1", "w2", "w2", "w3" };
	uint64_t now = 100000;

	/* alone with 6 free leases: take them all */
	view_of(&v, 6, free6, "me", now);
	lease_choose(&v, "me", now, 3000, 0, NULL, NULL, &c);
	ok(c.n == 6 && !c.steal && c.target == 6 && c.workers == 1, "alone: takes all 6 free");
	free(c.take);
	/* capped by --max-leases */
	lease_choose(&v, "me", now, 3000, 4, NULL, NULL, &c);
	ok(c.n == 4 && c.target == 4, "--max-leases 4: takes 4");
	free(c.take);
	lease_view_free(&v);

	/* a second worker beside one holding 6: steals one per round */
	view_of(&v, 6, six_w1, "me", now);
	lease_choose(&v, "me", now, 3000, 0, NULL, NULL, &c);
	ok(c.n == 1 && c.steal && c.target == 3 && c.workers == 2 && count_owner(&c, "w1") == 1,
	    "needs 3, nothing free: steals exactly one from w1");
	free(c.take);
	lease_view_free(&v);

	/* balanced 2/2/2: a fourth worker steals one (needs 2, the most loaded is at target) */
	view_of(&v, 6, bal, "me", now);
	lease_choose(&v, "me", now, 3000, 0, NULL, NULL, &c);
	ok(c.n == 1 && c.steal && c.target == 2 && c.workers == 4, "4th worker: steals one");
	free(c.take);
	lease_view_free(&v);

	/* 3/2/1 with me as w3 holding 1: target 2, w1 is above it: steal one from w1 */
	view_of(&v, 6, uneven, "w3", now);
	lease_choose(&v, "w3", now, 3000, 0, NULL, NULL, &c);
	ok(c.n == 1 && c.steal && count_owner(&c, "w1") == 1, "steals from the most loaded");
	free(c.take);
	/* w2 holding 2 = target: takes nothing */
	lease_view_free(&v);
	view_of(&v, 6, uneven, "w2", now);
	lease_choose(&v, "w2", now, 3000, 0, NULL, NULL, &c);
	ok(c.n == 0, "at the target: takes nothing");
	free(c.take);
	lease_view_free(&v);

	/* 6 leases over 4 workers at 2/2/1/1: the 1s need 1, the 2s are at target: stable */
	{
		const char *st[] = { "w1", "w1", "w2", "w2", "w3", "w4" };

		view_of(&v, 6, st, "w4", now);
		lease_choose(&v, "w4", now, 3000, 0, NULL, NULL, &c);
		ok(c.n == 0, "2/2/1/1: no stealing back and forth");
		free(c.take);
		lease_view_free(&v);
	}

	/* w1 dies: its leases stop moving; after the failover time they are taken, not stolen */
	view_of(&v, 6, bal, "w2", now);
	v.l[0]->last_change = v.l[1]->last_change = now - 3001;
	lease_choose(&v, "w2", now, 3000, 0, NULL, NULL, &c);
	ok(c.n == 1 && !c.steal && c.workers == 2 && c.target == 3 && count_owner(&c, "w1") == 1,
	    "expired leases of a dead worker: taken up to the target (3 of 6 over 2 live workers)");
	free(c.take);
	/* not yet expired: nothing */
	v.l[0]->last_change = v.l[1]->last_change = now - 2999;
	lease_choose(&v, "w2", now, 3000, 0, NULL, NULL, &c);
	ok(c.n == 0, "within the failover time: not taken");
	free(c.take);
	lease_view_free(&v);

	/* SHARD_END leases are neither counted nor taken */
	view_of(&v, 2, free6, "me", now);
	free(v.l[0]->checkpoint);
	v.l[0]->checkpoint = cs_strdup("SHARD_END");
	lease_choose(&v, "me", now, 3000, 0, NULL, NULL, &c);
	ok(c.n == 1 && strcmp(c.take[0]->key, "shardId-000000000001") == 0,
	    "a lease at SHARD_END is not taken");
	free(c.take);
	lease_view_free(&v);
}

/* an item the scan could not read: kept by key, neither taken nor forgotten */
static void
test_unreadable(void)
{
	struct lease_view v;
	struct lease **s;
	struct lease *l;
	struct lease_choice c;

	memset(&v, 0, sizeof v);
	s = cs_calloc(2, sizeof *s);
	s[0] = mk("p", NULL, 4, "SHARD_END");
	s[1] = mk("c", NULL, 0, NULL);
	lease_view_merge(&v, s, 2, 1000);
	/* the parent's item turns unreadable: only its key comes */
	s[0] = cs_calloc(1, sizeof *s[0]);
	s[0]->key = cs_strdup("p");
	s[0]->unreadable = 1;
	s[1] = mk("c", NULL, 0, NULL);
	lease_view_merge(&v, s, 2, 2000);
	l = lease_view_find(&v, "p");
	ok(l && l->unreadable && !l->checkpoint && !l->owner && v.n == 2,
	    "an unreadable item stays in the view, what it said before forgotten");
	lease_choose(&v, "me", 2000, 3000, 0, NULL, NULL, &c);
	ok(c.n == 1 && strcmp(c.take[0]->key, "c") == 0 && c.target == 1,
	    "an unreadable lease is neither counted nor taken");
	free(c.take);
	/* mended */
	s[0] = mk("p", NULL, 5, NULL);
	s[1] = mk("c", NULL, 0, NULL);
	lease_view_merge(&v, s, 2, 3000);
	l = lease_view_find(&v, "p");
	ok(l && !l->unreadable && l->counter == 5, "mended, it is a lease again");
	free(s);
	lease_view_free(&v);
}

int
main(void)
{
	test_item();
	test_expiry();
	test_choose();
	test_unreadable();
	return done_testing();
}
