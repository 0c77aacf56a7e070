/* test-listen.c - the answers of cs-put --listen, without a socket. */
#include <string.h>

#include "listen.h"
#include "putter.h"
#include "tap.h"

static const char *
answer(const char *code, const char *message, int http_status, int *status)
{
	static struct listen_answer ans;
	struct put_result res;

	memset(&res, 0, sizeof res);
	res.code = code;
	res.message = message;
	res.http_status = http_status;
	buf_free(&ans.body);
	listen_answer_put(&ans, "click-stream", &res);
	*status = ans.status;
	return ans.body.data;
}

int
main(void)
{
	int st;
	const char *b;
	struct put_result ok = { 1, "shardId-000000000001", "4968", NULL, NULL, 0, 1 };
	struct listen_answer ans;

	memset(&ans, 0, sizeof ans);
	listen_answer_put(&ans, "click-stream", &ok);
	is_int(ans.status, 200, "a record in the stream: 200");
	is_str(ans.body.data, "{\"Code\":\"PutRecordSuccessful\",\"Message\":\"Record was successfully put "
	    "to click-stream\",\"Data\":{\"ShardId\":\"shardId-000000000001\",\"SequenceNumber\":\"4968\"}}",
	    "the sample's answer");
	buf_free(&ans.body);

	b = answer("ResourceNotFoundException", "Stream click-stream under account 000000000000 not found.", 400, &st);
	is_int(st, 400, "a service error: its status");
	is_str(b, "{\"Code\":\"ResourceNotFoundException\",\"Message\":\"Stream click-stream under account "
	    "000000000000 not found.\"}", "and its code and message, as the sample");

	b = answer("CredentialsError", "credential_process of profile 'x' in '/home/u/.aws/config' failed", 0, &st);
	is_int(st, 500, "no credentials: 500");
	ok(strstr(b, "/home/u") == NULL && strstr(b, "credential_process") == NULL,
	    "without the local details: %s", b);
	ok(strstr(b, "\"Code\":\"CredentialsError\"") != NULL, "but with the code");

	b = answer("NetworkError", "cannot reach http://10.1.2.3:4567: Connection refused", 0, &st);
	is_int(st, 503, "service unreachable: 503");
	ok(strstr(b, "10.1.2.3") == NULL, "without the address: %s", b);
	answer("RecordTooLarge", "x", 0, &st);
	return done_testing();
}
