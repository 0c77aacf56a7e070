/*
 * awsconf.h - the shared AWS config and credentials files, and how the
 * region and endpoint are chosen.
 *
 * Files: AWS_CONFIG_FILE (default ~/.aws/config, sections "[default]" and
 * "[profile NAME]") and AWS_SHARED_CREDENTIALS_FILE (default
 * ~/.aws/credentials, sections "[NAME]").
 */
#ifndef CS_AWSCONF_H
#define CS_AWSCONF_H

#include "cs.h"
#include "ini.h"

/* HOME (else the user's home directory) and "/REL".  Malloc'ed. */
char *awsconf_home_path(const char *rel);
/* The profile in use: CLI (may be NULL), else AWS_PROFILE, else "default". */
const char *awsconf_profile_name(const char *cli);
/*
 * Value of KEY for PROFILE, looked up in the credentials file first (for
 * the aws_* keys) then the config file.  Malloc'ed, or NULL when absent.
 */
char *awsconf_get(const char *profile, const char *key);
/*
 * The region: CLI, AWS_REGION, AWS_DEFAULT_REGION, the profile's "region".
 * Malloc'ed, or NULL with err saying what was tried.
 */
char *awsconf_region(const char *cli, const char *profile, struct cs_err *err);
/*
 * The endpoint URL for SERVICE ("kinesis", "dynamodb"): CLI, then
 * AWS_ENDPOINT_URL_<SERVICE>, then AWS_ENDPOINT_URL, then
 * https://SERVICE.REGION.amazonaws.com (.com.cn in cn- regions).  Malloc'ed.
 */
char *awsconf_endpoint(const char *cli, const char *service, const char *region);

/*
 * Added: the endpoint with the services section's "SERVICE.endpoint_url",
 * then the profile's "endpoint_url", between AWS_ENDPOINT_URL and the
 * regional default (PROFILE NULL: AWS_PROFILE or
 * "default").  AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true skips the
 * variables and the profile.  NULL when REGION is NULL and nothing is
 * configured.  awsconf_endpoint() is this with PROFILE NULL.
 */
char *awsconf_endpoint_profile(const char *cli, const char *service, const char *region,
    const char *profile);

/*
 * KEY of SERVICE in the services section the profile names (profile
 * "services = NAME", config "[services NAME]", "SERVICE =" and the
 * indented "KEY = value" under it).  Malloc'ed, or NULL.  SERVICE is the
 * SDKs' service id in lower case: kinesis, dynamodb, sts, sso.
 */
char *awsconf_service_value(const char *profile, const char *service, const char *key);

/*
 * The retry settings: AWS_MAX_ATTEMPTS, else the profile's max_attempts
 * (*MAX_ATTEMPTS, 0 when neither); AWS_RETRY_MODE, else retry_mode,
 * checked to be standard, adaptive or legacy (each maps onto the one
 * policy).  0, or -1 with err naming the bad value and where it is from.
 */
int awsconf_retry(const char *profile, unsigned *max_attempts, struct cs_err *err);
/* AWS_CA_BUNDLE, else the profile's ca_bundle ("~/" expanded); *FROM names which.  Malloc'ed or NULL. */
char *awsconf_ca_bundle(const char *profile, const char **from);

/*
 * The settings of the profile in use (PROFILE NULL: AWS_PROFILE or
 * "default") that cs does not read, one line each onto OUT ("setting 'x'
 * of profile 'p' in 'FILE' is not supported by cs: ignored"), for the
 * tool to warn about once.  The AWS CLI's display settings (output,
 * cli_*) and its s3 sub-section are not named: they concern no SDK.
 */
void awsconf_unsupported(const char *profile, struct buf *out);

/*
 * When AWS_PROFILE (and no CLI_PROFILE) names a profile with credentials
 * of its own while AWS_ACCESS_KEY_ID is set, one line onto OUT saying
 * that the environment keys win (the SDKs' rule), for the tool to warn.
 */
void awsconf_env_shadows(const char *cli_profile, struct buf *out);

/* Added: the two files, read once, for callers that look up many keys. */
struct awsconf {
	char *cred_path;     /* AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials */
	char *conf_path;     /* AWS_CONFIG_FILE or ~/.aws/config */
	struct ini cred, conf;
	int cred_found, conf_found;  /* the file exists (and was read) */
};
/* Read both files (a missing one is empty).  -1 with err when one exists but cannot be read (the other is still read). */
int awsconf_load(struct awsconf *c, struct cs_err *err);
void awsconf_free(struct awsconf *c);
/* KEY of PROFILE: credentials file "[PROFILE]" first, then config "[profile PROFILE]" ("[default]"). Borrowed, or NULL. */
const char *awsconf_value(const struct awsconf *c, const char *profile, const char *key);
/* 1 when either file has a section for PROFILE. */
int awsconf_has_profile(const struct awsconf *c, const char *profile);
/* Like awsconf_get, but 1 found (*value malloc'ed), 0 absent, -1 with err when a file cannot be read. */
int awsconf_lookup(const char *profile, const char *key, char **value, struct cs_err *err);

#endif
