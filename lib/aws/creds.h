/*
 * creds.h - AWS credentials, found in this order (cs(7), CREDENTIALS, sets
 * it beside the SDKs' orders):
 *
 *   1. AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN
 *   2. web identity: AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN
 *      (1 and 2 are skipped when --profile names the profile, as in the AWS CLI)
 *   3. the profile (--profile, AWS_PROFILE, else "default") of the shared
 *      files: a role (web identity, source_profile, credential_source),
 *      IAM Identity Center, static keys, credential_process
 *   4. ECS/EKS container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI
 *      or _FULL_URI, with AWS_CONTAINER_AUTHORIZATION_TOKEN[_FILE])
 *   5. EC2 instance role via IMDSv2 (unless AWS_EC2_METADATA_DISABLED=true;
 *      AWS_EC2_METADATA_SERVICE_ENDPOINT overrides the address)
 *
 * Temporary credentials are refreshed before they expire.  Secrets are
 * never put in an error message.
 */
#ifndef CS_CREDS_H
#define CS_CREDS_H

#include <stdint.h>

#include "cs.h"

struct aws_creds {
	char *access_key;
	char *secret_key;
	char *session_token;   /* NULL when none */
	int64_t expires_ms;    /* unix time in ms; 0 = does not expire */
	char source[64];       /* "environment", "profile default", "container", "imds", ... */
};

struct creds_provider;

/* PROFILE: --profile, or NULL for AWS_PROFILE / "default".  Does no I/O yet. */
struct creds_provider *creds_provider_new(const char *profile);
/* The region for STS calls (assume role, web identity); NULL: the profile's. */
void creds_provider_region(struct creds_provider *p, const char *region);
/* Extra CAs for STS and the IAM Identity Center portal (the config's ca_bundle); NULL: AWS_CA_BUNDLE. */
void creds_provider_ca_bundle(struct creds_provider *p, const char *ca_bundle);
/*
 * Current credentials, found or refreshed as needed (refreshed when they
 * expire within 5 minutes; after a failed refresh, those in hand are
 * returned while valid, and the next refresh is tried 30 s later).  The
 * pointer stays valid until the next call.
 * -1 with err naming every source tried when none gives credentials.
 */
int creds_get(struct creds_provider *p, const struct aws_creds **out, struct cs_err *err);
/* Forget cached credentials (after the service rejected them), so the next get re-reads. */
void creds_invalidate(struct creds_provider *p);
void creds_provider_free(struct creds_provider *p);
/* Wipe and free the strings of C. */
void aws_creds_clear(struct aws_creds *c);

#endif
