/*
 * test-storer.c - cs-store's write engine against dynalite (the endpoint
 * tests/run.sh starts, CS_DYNAMODB_ENDPOINT): every item written, in
 * batches of at most 25; two writes of a key, the later lands last; a
 * missing table fails for good and every item ends rejected with the
 * service's code.  Without the endpoint the test is skipped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aws.h"
#include "ddbitem.h"
#include "storer.h"
#include "tap.h"

struct seen {
	unsigned long rejected;
	char code[128];
};

static void
on_reject(void *ctx, const struct storer_reject *r)
{
	struct seen *s = ctx;

	s->rejected++;
	snprintf(s->code, sizeof s->code, "%s", r->code);
}

/* add N records {"id":"k<i % keys>","n":i} and run until everything is acknowledged */
static void
store(struct storer *st, int n, int keys)
{
	struct ddb_keyschema ks = { "id", 'S', NULL, 0 };
	struct ddb_conv cv;
	struct ddb_item it;
	struct json_doc d;
	char line[128];
	int i;

	ddb_conv_init(&cv, &ks);
	ddb_item_init(&it);
	json_doc_init(&d, 8);
	for (i = 0; i < n; i++) {
		snprintf(line, sizeof line, "{\"id\":\"k%d\",\"n\":%d}", i % keys, i);
		if (json_parse(&d, line, strlen(line)) != 0 || ddb_item_from_json(&cv, &d, 0, &it) != 0)
			continue;
		for (int w = 0; w < 100 && !storer_accepting(st); w++)
			storer_run(st, 100, -1);
		storer_add(st, &it, "unit", (uint64_t)i + 1, line, strlen(line));
	}
	storer_flush(st);
	for (i = 0; i < 600 && storer_busy(st); i++) {
		struct cs_err err;

		storer_run(st, 100, -1);
		if (storer_fatal(st, &err))
			/* as cs-store does: what waits is not sent */
			storer_abort(st, err.code, "not written: the run stopped");
	}
	json_doc_free(&d);
	ddb_item_free(&it);
	ddb_conv_free(&cv);
}

int
main(void)
{
	const char *ep = getenv("CS_DYNAMODB_ENDPOINT");
	struct ddb_keyschema ks = { "id", 'S', NULL, 0 };
	struct aws_config ac;
	struct aws_client *c;
	struct storer_conf conf;
	struct storer *st;
	struct seen s;
	struct cs_err err;
	struct buf body = BUF_INIT, resp = BUF_INIT;
	char table[64];

	if (!ep || !*ep) {
		printf("1..0 # SKIP no CS_DYNAMODB_ENDPOINT (tests/run.sh starts dynalite)\n");
		return 0;
	}
	setenv("AWS_ACCESS_KEY_ID", "AKIDUNIT", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "unitsecret", 1);
	aws_config_init(&ac);
	ac.endpoint_url = ep;
	ac.region = "us-east-1";
	ac.retry_budget_ms = 5000;
	c = aws_client_new(&ac, "dynamodb", &err);
	ok(c != NULL, "a client");
	if (!c)
		return done_testing();
	snprintf(table, sizeof table, "unit-storer-%d", (int)getpid());
	buf_printf(&body, "{\"TableName\":\"%s\",\"AttributeDefinitions\":[{\"AttributeName\":\"id\","
	    "\"AttributeType\":\"S\"}],\"KeySchema\":[{\"AttributeName\":\"id\",\"KeyType\":\"HASH\"}],"
	    "\"BillingMode\":\"PAY_PER_REQUEST\"}", table);
	ok(aws_call(c, "CreateTable", body.data, body.len, &resp, &err) == 0, "table created");
	usleep(200 * 1000);

	memset(&conf, 0, sizeof conf);
	conf.table = table;
	conf.ks = &ks;
	conf.parallel = 4;
	conf.batch_max = STORER_MAX_BATCH;
	retry_policy_default(&conf.retry);
	memset(&s, 0, sizeof s);
	st = storer_new(c, &conf, on_reject, &s);
	store(st, 100, 40);
	is_int(storer_stats(st)->added, 100, "100 added");
	is_int(storer_stats(st)->written + storer_stats(st)->collapsed, 100,
	    "each written or replaced by a later write of its key");
	is_int(s.rejected, 0, "none rejected");
	ok(storer_stats(st)->requests * STORER_MAX_BATCH >= storer_stats(st)->written,
	    "in batches of at most 25 (%lu requests for %lu items)", storer_stats(st)->requests,
	    storer_stats(st)->written);
	ok(!storer_fatal(st, &err), "no failure for good");
	storer_free(st);

	buf_reset(&body);
	buf_printf(&body, "{\"TableName\":\"%s\",\"Key\":{\"id\":{\"S\":\"k3\"}},\"ConsistentRead\":true}",
	    table);
	ok(aws_call(c, "GetItem", body.data, body.len, &resp, &err) == 0 &&
	    strstr(resp.data, "\"N\":\"83\""), "k3 holds its last write (n 83 of 3, 43, 83)");

	conf.table = "unit-storer-no-such-table";
	memset(&s, 0, sizeof s);
	st = storer_new(c, &conf, on_reject, &s);
	store(st, 30, 30);
	ok(storer_fatal(st, &err), "a missing table fails for good: %s", err.msg);
	is_int(s.rejected, 30, "every item rejected");
	is_str(s.code, "ResourceNotFoundException", "with the service's code");
	storer_free(st);

	buf_reset(&body);
	buf_printf(&body, "{\"TableName\":\"%s\"}", table);
	aws_call(c, "DeleteTable", body.data, body.len, &resp, &err);
	aws_client_free(c);
	buf_free(&body);
	buf_free(&resp);
	return done_testing();
}
