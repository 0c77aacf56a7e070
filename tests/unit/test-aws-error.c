/* test-aws-error.c - aws_parse_error(): the service's code and message,
 * and never the session token that a signature error may quote. */
#include <string.h>

#include "awserror.h"
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

	/* issue 10, defect 5: answers that are not JSON */
	err_of("<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error>"
	    "<Type>Sender</Type><Code>InvalidClientTokenId</Code><Message>The security token "
	    "included in the request is invalid.</Message></Error><RequestId>1</RequestId>"
	    "</ErrorResponse>", &e);
	is_str(e.code, "InvalidClientTokenId", "the code of a Query-protocol XML error");
	is_str(e.msg, "InvalidClientTokenId: The security token included in the request is invalid.",
	    "its message");
	err_of("<?xml version=\"1.0\"?>\n<Error><Code>AccessDenied</Code><Message>no &amp; no"
	    "</Message></Error>", &e);
	is_str(e.msg, "AccessDenied: no & no", "the REST-XML error shape");
	err_of("<Response><Errors><Error><Code>AuthFailure</Code><Message>m</Message></Error>"
	    "</Errors></Response>", &e);
	is_str(e.msg, "AuthFailure: m", "the EC2 error shape");
	err_of("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<ErrorResponse><Errors><Error><Code>"
	    "SignatureDoesNotMatch</Code><Message>m2</Message><Type>Sender</Type></Error></Errors>"
	    "</ErrorResponse>", &e);
	is_str(e.msg, "SignatureDoesNotMatch: m2", "moto's error shape");
	aws_parse_error_reason("<html>\n<head><title>502 Bad Gateway</title></head>\n<body>x</body>"
	    "</html>\n", 67, 502, "Bad Gateway", &e);
	is_str(e.msg, "HTTP502: HTTP 502 Bad Gateway: 502 Bad Gateway",
	    "HTML: the status line and the first line of text");
	aws_parse_error_reason("Forbidden by proxy\r\nsecond line", 31, 403, "Forbidden", &e);
	is_str(e.msg, "HTTP403: HTTP 403 Forbidden: Forbidden by proxy", "plain text: its first line");
	aws_parse_error_reason("", 0, 403, "Forbidden", &e);
	is_str(e.msg, "HTTP403: HTTP status 403 Forbidden", "no body: the status line");
	err_of("<Error><Code>X</Code><Message>token X-Amz-Security-Token=" TOKEN "</Message></Error>", &e);
	ok(strstr(e.msg, TOKEN) == NULL, "a token in an XML message redacted");
	err_of("<Error><Code>X</Code>", &e);
	ok(strncmp(e.msg, "HTTP400: HTTP 400: ", 19) == 0, "broken XML: shown as text: %s", e.msg);
	return done_testing();
}
