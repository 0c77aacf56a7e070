/*
 * credsint.h - what the credential providers (creds_*.c) share; not for
 * use outside lib/aws/creds*.c.
 *
 * Each provider answers 1 (credentials found), 0 (not configured or not
 * there: a note added to the "tried" list) or -1 (configured but broken:
 * an error naming the source).  No secret key, session token, web
 * identity token or answer body that may hold them ever goes into a
 * message.
 */
#ifndef CS_CREDSINT_H
#define CS_CREDSINT_H

#include <stdint.h>

#include "awsconf.h"
#include "creds.h"
#include "http.h"

#define CREDS_STS_TIMEOUT_MS 10000
#define CREDS_MAX_CHAIN 16        /* profiles in one source_profile chain */

struct creds_provider {
	char *profile;          /* --profile, or NULL */
	char *region;           /* for STS; NULL: the profile's region */
	struct aws_creds cur;
	int have;
	int src;                /* the chain entry that gave cur */
	char *ca_bundle;        /* the config file's ca_bundle, else NULL */
	int64_t retry_at_ms;    /* after a failed refresh: no other before this (unix ms) */
};

/* the provider functions of the chain */
typedef int (*creds_source_fn)(struct creds_provider *p, struct aws_creds *out,
    struct buf *tried, struct cs_err *err);

void creds_response_wipe_free(struct http_response *r);
/*
 * 1 when S[0..n) is not empty and holds only the characters of IAM names
 * (letters, digits, "+=,.@_-"): safe in a URL path or query as it is.
 */
int creds_name_ok(const char *s, size_t n);
void creds_tried_add(struct buf *tried, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void creds_set(struct aws_creds *c, const char *ak, const char *sk, const char *tok, int64_t exp,
    const char *source);
/*
 * Credentials from a JSON answer (credential_process when PROCESS, else
 * container or IMDS).  WHAT names the source for messages.  0, or -1
 * with err (never quoting the answer).
 */
int creds_from_json(const char *text, size_t len, int process, struct aws_creds *out,
    const char *source, const char *what, struct cs_err *err);

/* creds.c */
int creds_env(struct creds_provider *p, struct aws_creds *out, struct buf *tried,
    struct cs_err *err);
/* the environment keys, even when --profile was given (credential_source = Environment) */
int creds_env_keys(struct aws_creds *out, struct buf *tried, struct cs_err *err);
/* creds_sso.c: IAM Identity Center, for profile NAME of C */
int creds_sso(struct creds_provider *p, const struct awsconf *c, const char *name,
    struct aws_creds *out, struct cs_err *err);
/* creds_meta.c */
int creds_container(struct creds_provider *p, struct aws_creds *out, struct buf *tried,
    struct cs_err *err);
int creds_imds(struct creds_provider *p, struct aws_creds *out, struct buf *tried,
    struct cs_err *err);
/* creds_process.c: credential_process COMMAND of PROFILE, set in FILE */
int creds_process(const char *profile, const char *command, const char *file,
    struct aws_creds *out, struct cs_err *err);
/* creds_profile.c: the profile in use, whatever kind it is */
int creds_profile(struct creds_provider *p, struct aws_creds *out, struct buf *tried,
    struct cs_err *err);
/* creds_webid.c: AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN */
int creds_webid_env(struct creds_provider *p, struct aws_creds *out, struct buf *tried,
    struct cs_err *err);
/* creds_sts.c */
struct sts_role {
	const char *role_arn;
	const char *session_name;  /* NULL: cs-session-UNIXTIME */
	const char *external_id;   /* NULL when none */
	long duration_s;           /* 0: STS's default (one hour) */
};
/* The region and endpoint of STS (malloc'ed). */
char *creds_sts_region(const struct creds_provider *p);
char *creds_sts_endpoint(const struct creds_provider *p, const char *region);
/* AssumeRole signed with SOURCE_CREDS.  0, or -1 with err naming WHAT (and STS's code). */
int creds_sts_assume_role(struct creds_provider *p, const struct sts_role *r,
    const struct aws_creds *source_creds, const char *what, const char *source,
    struct aws_creds *out, struct cs_err *err);
/* AssumeRoleWithWebIdentity with TOKEN, unsigned. */
int creds_sts_web_identity(struct creds_provider *p, const struct sts_role *r, const char *token,
    const char *what, const char *source, struct aws_creds *out, struct cs_err *err);
/*
 * Replace in place each occurrence in MSG of SECRET (8 bytes or more) with
 * "(redacted)", or with as many '*' when SECRET is shorter than that.
 */
void creds_scrub(char *msg, const char *secret);
/* creds_webid.c: a web identity TOKEN_FILE read (again) and sent with ROLE; LABEL names it */
int creds_webid(struct creds_provider *p, const struct sts_role *r, const char *token_file,
    const char *what, const char *source, struct aws_creds *out, struct cs_err *err);

/* 1 when the profile was named on the command line (--profile): environment credentials are skipped */
int creds_profile_explicit(const struct creds_provider *p);

#endif
