/* test-aws-error.c - aws_parse_error(): the service's code and message,
 * and never the session token that a signature error may quote. */
#include <string.h>

#include "aws.h"
#include "tap.h"

#define TOKEN "IQoJb3JpZ2luX2VjEXAMPLEtokenVALUE+/="

static void
err_of(const char *body, struct cs_err *e)
{
	aws_parse_error(body, strlen(body), 400, e);
}

int
main(void)
{
	struct cs_err e;
	static const char sig[] =
	    "{\"__type\":\"InvalidSignatureException\",\"message\":\"The request signature we "
	    "calculated does not match the signature you provided.\\n\\nThe Canonical String "
	    "for this request should have been\\n'POST\\n/\\n\\ncontent-type:application/"
	    "x-amz-json-1.1\\nhost:kinesis.us-east-1.amazonaws.com\\nx-amz-date:20261126T120000Z"
	    "\\nx-amz-security-token:" TOKEN "\\nx-amz-target:Kinesis_20131202.PutRecords\\n'\"}";
	static const char query[] =
	    "{\"__type\":\"AccessDeniedException\",\"Message\":\"denied for "
	    "/?X-Amz-Security-Token=" TOKEN "&X-Amz-Date=1\"}";

	aws_parse_error(sig, sizeof sig - 1, 400, &e);
	is_str(e.code, "InvalidSignatureException", "the service's code");
	ok(strstr(e.msg, TOKEN) == NULL, "the session token quoted by a signature error is not kept");
	ok(strstr(e.msg, "x-amz-security-token:(redacted)\nx-amz-target:") != NULL,
	    "it is replaced, the rest of the message kept");
	ok(strncmp(e.msg, "InvalidSignatureException: The request signature", 48) == 0,
	    "the message starts as before");

	aws_parse_error(query, sizeof query - 1, 403, &e);
	ok(strstr(e.msg, TOKEN) == NULL, "nor one in a query string");
	is_str(e.msg, "AccessDeniedException: denied for /?X-Amz-Security-Token=(redacted)&X-Amz-Date=1",
	    "the query parameter redacted");

	err_of("{\"__type\":\"x#ThrottlingException\",\"message\":\"Rate exceeded\"}", &e);
	is_str(e.msg, "ThrottlingException: Rate exceeded", "an ordinary message unchanged");
	err_of("{\"message\":\"header X-Amz-Security-Token: " TOKEN " was sent\"}", &e);
	is_str(e.msg, "HTTP400: header X-Amz-Security-Token: (redacted) was sent",
	    "a header written with a blank after the colon redacted too");
	err_of("{\"message\":\"x-amz-security-token\"}", &e);
	is_str(e.msg, "HTTP400: x-amz-security-token", "the bare name unchanged");
	return done_testing();
}
