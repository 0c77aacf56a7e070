/*
 * sigv4.h - AWS Signature Version 4 for HTTP headers.
 *
 * One static function per step of the spec (canonical request, string
 * to sign, signing key, authorization header).  The time is passed in so
 * tests can pin it.  Passes every case of the AWS header-signing suite
 * (tests/sigv4/).
 */
#ifndef CS_SIGV4_H
#define CS_SIGV4_H

#include <stddef.h>
#include <time.h>

#include "cs.h"

struct sigv4_header {
	const char *name;   /* as sent; compared case-insensitively */
	const char *value;  /* raw value: may hold runs of blanks or folded lines */
};

struct sigv4_input {
	const char *method;
	const char *path;    /* the raw request path, without the query */
	const char *query;   /* the raw query string after '?', or NULL */
	const struct sigv4_header *headers; /* every header to sign, Host included */
	size_t nheaders;
	const void *body;
	size_t body_len;
	const char *region;
	const char *service;
	const char *access_key;
	const char *secret_key;
	const char *session_token; /* NULL or "" when none */
	time_t now;          /* seconds since the epoch, UTC */
	int normalize_path;  /* remove dot segments and repeated slashes (every service but S3) */
	int sign_body;       /* add and sign x-amz-content-sha256 */
};

/*
 * The signer adds X-Amz-Date, and X-Amz-Security-Token when a token is
 * given (and x-amz-content-sha256 with sign_body) to the signed headers:
 * the caller must send them too, with the values below.
 */
struct sigv4_output {
	char amz_date[17];          /* 20150830T123600Z */
	char payload_hash[65];      /* hex SHA-256 of the body */
	char signature[65];
	struct buf canonical_request;
	struct buf string_to_sign;
	struct buf authorization;   /* the Authorization header's value */
};

void sigv4_output_init(struct sigv4_output *out);
void sigv4_output_free(struct sigv4_output *out);
int sigv4_sign(const struct sigv4_input *in, struct sigv4_output *out, struct cs_err *err);
/*
 * S[0..n) percent-encoded onto B as SigV4 encodes (RFC 3986: every byte
 * but the unreserved ones, upper-case hex); KEEP lists other bytes left
 * as they are (NULL: none).  Also what a Query-protocol form value needs.
 */
void sigv4_uri_encode(struct buf *b, const char *s, size_t n, const char *keep);

#endif
