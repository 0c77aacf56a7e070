/*
 * awserror.h - what an AWS error answer says: its code and message, from
 * the JSON protocol's shape or the XML ones (STS, SSO, IMDS, proxies), with
 * any session token it quotes redacted.
 */
#ifndef CS_AWSERROR_H
#define CS_AWSERROR_H

#include "cs.h"
#include "http.h"

/*
 * The error code and message of RESP, an answer that is not a success,
 * into ERR (its code, then "CODE: message"): the JSON shape (__type,
 * message), else the XML shapes; else the status line and the first line
 * of text of the body.
 */
void aws_error_from_response(const struct http_response *resp, struct cs_err *err);
/*
 * The service's error code and message in an error answer BODY of HTTP
 * STATUS, filled into ERR as a failed call reports them (for the fuzzer).
 */
void aws_parse_error(const char *body, size_t len, long status, struct cs_err *err);
/*
 * The same with the status line's REASON phrase (may be NULL).  The JSON
 * shape (__type, message) first, then the XML shapes (ErrorResponse/Error
 * of the Query protocol, Error of REST-XML, Response/Errors/Error of EC2,
 * ErrorResponse/Errors/Error of moto:
 * Code, Message); any other body gives "HTTP 403 Forbidden: " and its
 * first line of text, markup dropped.
 */
void aws_parse_error_reason(const char *body, size_t len, long status, const char *reason,
    struct cs_err *err);
/* Put "(redacted)" in place of each x-amz-security-token value quoted in MSG. */
void aws_redact_token(struct buf *msg);

#endif
