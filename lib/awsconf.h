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

#endif
