/*
 * creds_profile.c - the credentials of the profile in use, from the
 * shared config and credentials files, in the AWS CLI's order within a
 * profile:
 *
 *   role_arn + web_identity_token_file   web identity (creds_webid.c)
 *   role_arn + source_profile            assume role, signed with the source
 *   role_arn + credential_source         profile's credentials, or those of
 *                                        Environment, Ec2InstanceMetadata,
 *                                        EcsContainer
 *   sso_session / sso_start_url          IAM Identity Center (creds_sso.c)
 *   aws_access_key_id ...                static keys
 *   credential_process                   a command (creds_process.c)
 *
 * A source profile is read as botocore reads it: its static keys first
 * (so "source_profile = itself" works), else its own role, web identity,
 * IAM Identity Center or credential_process.  A chain that comes back to
 * a profile already in it is refused, as is one longer than
 * CREDS_MAX_CHAIN.  mfa_serial needs a person to type a code: refused.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "credsint.h"

struct walk {
	struct creds_provider *p;
	struct awsconf c;
	const char *chain[CREDS_MAX_CHAIN];  /* the profiles entered, in order */
	int n;
};

/* the file that holds KEY for PROFILE, for messages */
static const char *
file_of(const struct awsconf *c, const char *profile, const char *key)
{
	return ini_get(&c->cred, profile, key) ? c->cred_path : c->conf_path;
}

static const char *
val(const struct walk *w, const char *name, const char *key)
{
	const char *v = awsconf_value(&w->c, name, key);

	return v && *v ? v : NULL;
}

/* static keys of NAME: 1 set, 0 none, -1 half a pair */
static int
static_keys(struct walk *w, const char *name, struct aws_creds *out, struct cs_err *err)
{
	const char *ak = val(w, name, "aws_access_key_id");
	const char *sk = val(w, name, "aws_secret_access_key");
	struct buf source = BUF_INIT;

	if (!ak && !sk)
		return 0;
	if (!ak || !sk) {
		cs_err_set(err, "AWS profile '%s' in '%s' has %s but no %s", name,
		    file_of(&w->c, name, ak ? "aws_access_key_id" : "aws_secret_access_key"),
		    ak ? "aws_access_key_id" : "aws_secret_access_key",
		    ak ? "aws_secret_access_key" : "aws_access_key_id");
		return -1;
	}
	buf_printf(&source, "profile %s", name);
	creds_set(out, ak, sk, val(w, name, "aws_session_token"), 0, source.data);
	buf_free(&source);
	return 1;
}

/* role_arn, role_session_name, external_id, duration_seconds of NAME; -1 with err on a bad duration */
static int
role_of(struct walk *w, const char *name, struct sts_role *r, struct cs_err *err)
{
	const char *d = val(w, name, "duration_seconds");
	unsigned long long n;

	memset(r, 0, sizeof *r);
	r->role_arn = val(w, name, "role_arn");
	r->session_name = val(w, name, "role_session_name");
	r->external_id = val(w, name, "external_id");
	if (d) {
		if (cs_parse_uint(d, 43200, &n) < 0 || n < 900) {
			cs_err_set(err, "AWS profile '%s' in '%s': duration_seconds '%s' is not a number "
			    "of seconds from 900 to 43200", name, file_of(&w->c, name, "duration_seconds"), d);
			return -1;
		}
		r->duration_s = (long)n;
	}
	return 0;
}

static int resolve(struct walk *w, const char *name, int as_source, struct aws_creds *out,
    struct cs_err *err);

/* the credentials a role of NAME is assumed with */
static int
role_source(struct walk *w, const char *name, struct aws_creds *src, struct cs_err *err)
{
	const char *sp = val(w, name, "source_profile");
	const char *cs = val(w, name, "credential_source");
	struct buf tried = BUF_INIT;
	int i, rc = -1;

	if (sp && cs) {
		cs_err_set(err, "AWS profile '%s' in '%s' has both source_profile and "
		    "credential_source: give one", name, file_of(&w->c, name, "role_arn"));
		return -1;
	}
	if (!sp && !cs) {
		cs_err_set(err, "AWS profile '%s' in '%s' has role_arn but neither source_profile nor "
		    "credential_source", name, file_of(&w->c, name, "role_arn"));
		return -1;
	}
	if (cs) {
		if (strcasecmp(cs, "Environment") == 0)
			rc = creds_env_keys(src, &tried, err);
		else if (strcasecmp(cs, "Ec2InstanceMetadata") == 0)
			rc = creds_imds(w->p, src, &tried, err);
		else if (strcasecmp(cs, "EcsContainer") == 0)
			rc = creds_container(w->p, src, &tried, err);
		else {
			cs_err_set(err, "AWS profile '%s' in '%s': credential_source '%s' is not one of "
			    "Environment, Ec2InstanceMetadata, EcsContainer", name,
			    file_of(&w->c, name, "credential_source"), cs);
			goto out;
		}
		if (rc == 0) {
			cs_err_set(err, "AWS profile '%s': credential_source %s gave no credentials: "
			    "tried %s", name, cs, tried.data);
			rc = -1;
		}
		goto out;
	}
	if (strcmp(sp, name) == 0) {
		/* a profile that is its own source: its static keys */
		rc = static_keys(w, name, src, err);
		if (rc == 0) {
			cs_err_set(err, "AWS profile '%s' is its own source_profile but has no "
			    "aws_access_key_id", name);
			rc = -1;
		}
		goto out;
	}
	for (i = 0; i < w->n; i++) {
		if (strcmp(w->chain[i], sp) == 0) {
			struct buf loop = BUF_INIT;
			int j;

			for (j = i; j < w->n; j++)
				buf_printf(&loop, "%s -> ", w->chain[j]);
			buf_adds(&loop, sp);
			cs_err_set(err, "AWS profile '%s': source_profile makes a loop: %s", name, loop.data);
			buf_free(&loop);
			goto out;
		}
	}
	if (!awsconf_has_profile(&w->c, sp)) {
		cs_err_set(err, "AWS profile '%s': its source_profile '%s' is not in '%s' or '%s'",
		    name, sp, w->c.cred_path, w->c.conf_path);
		goto out;
	}
	rc = resolve(w, sp, 1, src, err);
	if (rc == 0) {
		cs_err_set(err, "AWS profile '%s': its source_profile '%s' has no credentials", name, sp);
		rc = -1;
	}
out:
	buf_free(&tried);
	return rc;
}

static int
assume_role(struct walk *w, const char *name, struct aws_creds *out, struct cs_err *err)
{
	struct aws_creds src;
	struct sts_role r;
	struct buf what = BUF_INIT, source = BUF_INIT;
	int rc = -1;

	memset(&src, 0, sizeof src);
	if (val(w, name, "mfa_serial")) {
		cs_err_set(err, "AWS profile '%s' in '%s' has mfa_serial: assuming its role needs an MFA "
		    "code typed by a person, which cs does not ask for (get temporary credentials "
		    "first, e.g. with credential_process)", name, file_of(&w->c, name, "mfa_serial"));
		return -1;
	}
	if (role_of(w, name, &r, err) < 0 || role_source(w, name, &src, err) < 0)
		goto out;
	buf_printf(&what, "assume role %s of profile '%s' (with %s)", r.role_arn, name, src.source);
	buf_printf(&source, "profile %s (assume role)", name);
	if (creds_sts_assume_role(w->p, &r, &src, what.data, source.data, out, err) < 0)
		goto out;
	rc = 1;
out:
	aws_creds_clear(&src);
	buf_free(&what);
	buf_free(&source);
	return rc;
}

static int
web_identity(struct walk *w, const char *name, struct aws_creds *out, struct cs_err *err)
{
	struct sts_role r;
	struct buf what = BUF_INIT, source = BUF_INIT;
	const char *file = val(w, name, "web_identity_token_file");
	int rc;

	if (role_of(w, name, &r, err) < 0)
		return -1;
	buf_printf(&what, "web identity of profile '%s' (token file '%s', role %s)", name, file,
	    r.role_arn);
	buf_printf(&source, "profile %s (web identity)", name);
	rc = creds_webid(w->p, &r, file, what.data, source.data, out, err);
	buf_free(&what);
	buf_free(&source);
	return rc;
}

/* 1 found, 0 the profile gives none, -1 err */
static int
resolve(struct walk *w, const char *name, int as_source, struct aws_creds *out,
    struct cs_err *err)
{
	const char *cp;
	int rc;

	if (w->n == CREDS_MAX_CHAIN) {
		cs_err_set(err, "AWS profile '%s': more than %d profiles in its source_profile chain",
		    w->chain[0], CREDS_MAX_CHAIN);
		return -1;
	}
	w->chain[w->n++] = name;
	if (as_source && (rc = static_keys(w, name, out, err)) != 0)
		goto out;
	if (val(w, name, "role_arn")) {
		rc = val(w, name, "web_identity_token_file") ? web_identity(w, name, out, err)
		    : assume_role(w, name, out, err);
		goto out;
	}
	if (val(w, name, "web_identity_token_file")) {
		cs_err_set(err, "AWS profile '%s' in '%s' has web_identity_token_file but no role_arn",
		    name, file_of(&w->c, name, "web_identity_token_file"));
		rc = -1;
		goto out;
	}
	if (val(w, name, "sso_session") || val(w, name, "sso_start_url") ||
	    val(w, name, "sso_account_id")) {
		rc = creds_sso(w->p, &w->c, name, out, err);
		goto out;
	}
	if (!as_source && (rc = static_keys(w, name, out, err)) != 0)
		goto out;
	cp = val(w, name, "credential_process");
	rc = cp ? creds_process(name, cp, file_of(&w->c, name, "credential_process"), out, err) : 0;
out:
	w->n--;
	return rc;
}

int
creds_profile(struct creds_provider *p, struct aws_creds *out, struct buf *tried,
    struct cs_err *err)
{
	const char *name = awsconf_profile_name(p->profile);
	int named = (p->profile && *p->profile) || cs_getenv("AWS_PROFILE");
	struct walk w;
	struct cs_err ferr;
	int rc = 0;

	memset(&w, 0, sizeof w);
	w.p = p;
	if (awsconf_load(&w.c, &ferr) < 0) {
		cs_err_set(err, "AWS credentials of profile '%s': %s", name, ferr.msg);
		rc = -1;
		goto out;
	}
	if (!awsconf_has_profile(&w.c, name)) {
		if (named) {
			cs_err_set(err, "AWS profile '%s' not found in '%s' or '%s'", name,
			    w.c.cred_path, w.c.conf_path);
			rc = -1;
		} else {
			creds_tried_add(tried, "profile '%s' in %s and %s", name, w.c.cred_path,
			    w.c.conf_path);
		}
		goto out;
	}
	rc = resolve(&w, name, 0, out, err);
	if (rc == 0)
		creds_tried_add(tried, "profile '%s' in %s and %s (no credentials in it)", name,
		    w.c.cred_path, w.c.conf_path);
out:
	awsconf_free(&w.c);
	return rc;
}
