/*
 * awsconf.c - the shared AWS config and credentials files, the profile,
 * the region and the endpoint (see awsconf.h).
 */
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "awsconf.h"

const char *
awsconf_profile_name(const char *cli)
{
	const char *p;

	if (cli && *cli)
		return cli;
	p = cs_getenv("AWS_PROFILE");
	return p ? p : "default";
}

static const char *
home_dir(void)
{
	const char *h = cs_getenv("HOME");
	struct passwd *pw;

	if (h)
		return h;
	pw = getpwuid(getuid());
	return pw && pw->pw_dir ? pw->pw_dir : "/";
}

char *
awsconf_home_path(const char *rel)
{
	struct buf b = BUF_INIT;

	buf_printf(&b, "%s/%s", home_dir(), rel);
	return buf_detach(&b);
}

/* VAR's value ("~/" expanded), else ~/.aws/NAME.  Malloc'ed. */
static char *
file_path(const char *var, const char *name)
{
	const char *v = cs_getenv(var);
	struct buf b = BUF_INIT;

	if (v && strncmp(v, "~/", 2) == 0)
		buf_printf(&b, "%s/%s", home_dir(), v + 2);
	else if (v)
		buf_adds(&b, v);
	else
		buf_printf(&b, "%s/.aws/%s", home_dir(), name);
	return buf_detach(&b);
}

int
awsconf_load(struct awsconf *c, struct cs_err *err)
{
	struct cs_err e2;
	int a, b;

	memset(c, 0, sizeof *c);
	ini_init(&c->cred);
	ini_init(&c->conf);
	c->cred_path = file_path("AWS_SHARED_CREDENTIALS_FILE", "credentials");
	c->conf_path = file_path("AWS_CONFIG_FILE", "config");
	a = ini_load(&c->cred, c->cred_path, err);
	b = ini_load(&c->conf, c->conf_path, a < 0 ? &e2 : err);
	c->cred_found = a > 0;
	c->conf_found = b > 0;
	return a < 0 || b < 0 ? -1 : 0;
}

void
awsconf_free(struct awsconf *c)
{
	free(c->cred_path);
	free(c->conf_path);
	ini_free(&c->cred);
	ini_free(&c->conf);
	memset(c, 0, sizeof *c);
}

/* the config file's section for PROFILE: "[default]" or "[profile NAME]" */
static const char *
conf_value(const struct awsconf *c, const char *profile, const char *key)
{
	struct buf sect = BUF_INIT;
	const char *v = NULL;

	if (strcmp(profile, "default") == 0)
		v = ini_get(&c->conf, "default", key);
	if (!v) {
		buf_printf(&sect, "profile %s", profile);
		v = ini_get(&c->conf, sect.data, key);
	}
	buf_free(&sect);
	return v;
}

const char *
awsconf_value(const struct awsconf *c, const char *profile, const char *key)
{
	const char *v = ini_get(&c->cred, profile, key);

	return v ? v : conf_value(c, profile, key);
}

int
awsconf_has_profile(const struct awsconf *c, const char *profile)
{
	struct buf sect = BUF_INIT;
	int has;

	buf_printf(&sect, "profile %s", profile);
	has = ini_has_section(&c->cred, profile) || ini_has_section(&c->conf, sect.data) ||
	    (strcmp(profile, "default") == 0 && ini_has_section(&c->conf, "default"));
	buf_free(&sect);
	return has;
}

int
awsconf_lookup(const char *profile, const char *key, char **value, struct cs_err *err)
{
	struct awsconf c;
	const char *v;
	int rc;

	*value = NULL;
	rc = awsconf_load(&c, err);
	v = awsconf_value(&c, awsconf_profile_name(profile), key);
	if (v)
		*value = cs_strdup(v);
	awsconf_free(&c);
	if (rc < 0)
		return -1;
	return v ? 1 : 0;
}

char *
awsconf_get(const char *profile, const char *key)
{
	struct cs_err err;
	char *v;

	awsconf_lookup(profile, key, &v, &err);
	return v;
}

/* a region goes into host names: letters, digits and '-' only */
static int
region_ok(const char *r)
{
	if (!*r)
		return 0;
	for (; *r; r++)
		if (!((*r >= 'a' && *r <= 'z') || (*r >= 'A' && *r <= 'Z') ||
		    (*r >= '0' && *r <= '9') || *r == '-'))
			return 0;
	return 1;
}

char *
awsconf_region(const char *cli, const char *profile, struct cs_err *err)
{
	const char *from = "--region", *r = cli && *cli ? cli : NULL;
	struct awsconf c;
	char *out = NULL;
	int rc = 0;

	if (!r && (r = cs_getenv("AWS_REGION")))
		from = "AWS_REGION";
	if (!r && (r = cs_getenv("AWS_DEFAULT_REGION")))
		from = "AWS_DEFAULT_REGION";
	if (r) {
		if (!region_ok(r)) {
			cs_err_set(err, "invalid region '%s' (from %s)", r, from);
			return NULL;
		}
		return cs_strdup(r);
	}
	profile = awsconf_profile_name(profile);
	rc = awsconf_load(&c, err);
	if (rc == 0) {
		r = awsconf_value(&c, profile, "region");
		if (r && !region_ok(r))
			cs_err_set(err, "invalid region '%s' in profile '%s'", r, profile);
		else if (r)
			out = cs_strdup(r);
		else
			cs_err_set(err, "no AWS region: tried --region, AWS_REGION, AWS_DEFAULT_REGION "
			    "and 'region' of profile '%s' in '%s' and '%s'", profile, c.cred_path,
			    c.conf_path);
	}
	awsconf_free(&c);
	return out;
}

static int
env_true(const char *name)
{
	const char *v = cs_getenv(name);

	return v && strcasecmp(v, "true") == 0;
}

/* the services section's sub-key: "[services NAME]" then "SERVICE =" then "  KEY = v"; borrowed */
static const char *
service_value(const struct awsconf *c, const char *profile, const char *service, const char *key)
{
	struct buf sect = BUF_INIT, k = BUF_INIT;
	const char *name = awsconf_value(c, awsconf_profile_name(profile), "services"), *v = NULL;

	if (name && *name) {
		buf_printf(&sect, "services %s", name);
		buf_printf(&k, "%s.%s", service, key);
		v = ini_get(&c->conf, sect.data, k.data);
	}
	buf_free(&sect);
	buf_free(&k);
	return v;
}

char *
awsconf_service_value(const char *profile, const char *service, const char *key)
{
	struct awsconf c;
	struct cs_err err;
	const char *v;
	char *out;

	awsconf_load(&c, &err);
	v = service_value(&c, profile, service, key);
	out = v ? cs_strdup(v) : NULL;
	awsconf_free(&c);
	return out;
}

char *
awsconf_endpoint_profile(const char *cli, const char *service, const char *region,
    const char *profile)
{
	struct buf var = BUF_INIT, url = BUF_INIT;
	const char *v, *s;

	if (cli && *cli)
		return cs_strdup(cli);
	if (!env_true("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")) {
		/* AWS_ENDPOINT_URL_<SERVICE>: upper case, other than letters and digits as '_' */
		buf_adds(&var, "AWS_ENDPOINT_URL_");
		for (s = service; *s; s++) {
			char ch = *s;

			if (ch >= 'a' && ch <= 'z')
				ch = (char)(ch - 32);
			else if (!((ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')))
				ch = '_';
			buf_addc(&var, ch);
		}
		v = cs_getenv(var.data);
		if (!v)
			v = cs_getenv("AWS_ENDPOINT_URL");
		buf_free(&var);
		if (v)
			return cs_strdup(v);
		{
			/* the services section's, else the profile's: the files read once */
			struct awsconf c;
			struct cs_err err;
			char *p = NULL;

			awsconf_load(&c, &err);
			v = service_value(&c, profile, service, "endpoint_url");
			if (!v || !*v)
				v = awsconf_value(&c, awsconf_profile_name(profile), "endpoint_url");
			if (v && *v)
				p = cs_strdup(v);
			awsconf_free(&c);
			if (p)
				return p;
		}
	}
	if (!region || !*region)
		return NULL;
	buf_printf(&url, "https://%s.%s.amazonaws.com%s", service, region,
	    strncmp(region, "cn-", 3) == 0 ? ".cn" : "");
	return buf_detach(&url);
}

char *
awsconf_endpoint(const char *cli, const char *service, const char *region)
{
	return awsconf_endpoint_profile(cli, service, region, NULL);
}

int
awsconf_retry(const char *profile, unsigned *max_attempts, struct cs_err *err)
{
	const char *from = "AWS_MAX_ATTEMPTS", *v = cs_getenv("AWS_MAX_ATTEMPTS");
	const char *name = awsconf_profile_name(profile);
	struct awsconf c;
	struct cs_err lerr;
	unsigned long long n;
	int rc = -1;

	*max_attempts = 0;
	awsconf_load(&c, &lerr);
	if (!v) {
		v = awsconf_value(&c, name, "max_attempts");
		from = "max_attempts in the config file";
	}
	if (v && (cs_parse_uint(v, 1000, &n) < 0 || n == 0)) {
		cs_err_set(err, "%s '%s' is not a number of attempts from 1 to 1000", from, v);
		goto out;
	}
	if (v)
		*max_attempts = (unsigned)n;
	v = cs_getenv("AWS_RETRY_MODE");
	from = "AWS_RETRY_MODE";
	if (!v) {
		v = awsconf_value(&c, name, "retry_mode");
		from = "retry_mode in the config file";
	}
	/* each mode maps onto the one retry policy (cs(7), RETRIES) */
	if (v && strcmp(v, "standard") != 0 && strcmp(v, "adaptive") != 0 &&
	    strcmp(v, "legacy") != 0) {
		cs_err_set(err, "%s '%s' is not standard, adaptive or legacy", from, v);
		goto out;
	}
	rc = 0;
out:
	awsconf_free(&c);
	return rc;
}

char *
awsconf_ca_bundle(const char *profile, const char **from)
{
	const char *v = cs_getenv("AWS_CA_BUNDLE");
	char *c;

	*from = "AWS_CA_BUNDLE";
	if (v)
		return cs_strdup(v);
	*from = "ca_bundle in the config file";
	c = awsconf_get(profile, "ca_bundle");
	if (c && *c && strncmp(c, "~/", 2) == 0) {
		char *h = awsconf_home_path(c + 2);

		free(c);
		return h;
	}
	if (c && !*c) {
		free(c);
		c = NULL;
	}
	return c;
}

/* the settings cs reads, and those only the AWS CLI's own display uses (quietly ignored) */
static const char *const known[] = {
	"region", "aws_access_key_id", "aws_secret_access_key", "aws_session_token",
	"credential_process", "role_arn", "source_profile", "credential_source", "external_id",
	"role_session_name", "duration_seconds", "mfa_serial", "web_identity_token_file",
	"sso_session", "sso_start_url", "sso_region", "sso_account_id", "sso_role_name",
	"sso_registration_scopes", "endpoint_url", "services", "max_attempts", "retry_mode",
	"ca_bundle", "output", "cli_pager", "cli_auto_prompt", "cli_timestamp_format",
	"cli_binary_format", "cli_history", "cli_follow_urlparam",
};

static int
known_key(const char *k)
{
	size_t i;

	if (strcmp(k, "s3") == 0 || strcmp(k, "s3api") == 0 || strncmp(k, "s3.", 3) == 0 ||
	    strncmp(k, "s3api.", 6) == 0)
		return 1; /* the AWS CLI's s3 transfer settings */
	for (i = 0; i < sizeof known / sizeof known[0]; i++)
		if (strcmp(k, known[i]) == 0)
			return 1;
	return 0;
}

static void
unsupported_in(const struct ini *ini, const char *section, const char *profile,
    const char *path, struct buf *out)
{
	size_t i, j;

	for (i = 0; i < ini->n; i++) {
		const struct ini_entry *e = &ini->e[i];
		int seen = 0;

		if (!e->key || strcmp(e->section, section) != 0 || known_key(e->key))
			continue;
		for (j = 0; j < i && !seen; j++)
			seen = ini->e[j].key && strcmp(ini->e[j].section, section) == 0 &&
			    strcmp(ini->e[j].key, e->key) == 0;
		if (!seen)
			buf_printf(out, "setting '%s' of profile '%s' in '%s' is not supported by cs: "
			    "ignored\n", e->key, profile, path);
	}
}

void
awsconf_unsupported(const char *profile, struct buf *out)
{
	struct awsconf c;
	struct cs_err err;
	struct buf sect = BUF_INIT;
	const char *name = awsconf_profile_name(profile);

	awsconf_load(&c, &err);
	unsupported_in(&c.cred, name, name, c.cred_path, out);
	buf_printf(&sect, "profile %s", name);
	unsupported_in(&c.conf, sect.data, name, c.conf_path, out);
	if (strcmp(name, "default") == 0)
		unsupported_in(&c.conf, "default", name, c.conf_path, out);
	buf_free(&sect);
	awsconf_free(&c);
}

void
awsconf_env_shadows(const char *cli_profile, struct buf *out)
{
	static const char *const keys[] = {
		"role_arn", "web_identity_token_file", "sso_session", "sso_start_url",
		"credential_process", "aws_access_key_id",
	};
	const char *env = cs_getenv("AWS_PROFILE");
	struct awsconf c;
	struct cs_err err;
	size_t i;

	if ((cli_profile && *cli_profile) || !env || !cs_getenv("AWS_ACCESS_KEY_ID"))
		return;
	awsconf_load(&c, &err);
	for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		const char *v = awsconf_value(&c, env, keys[i]);

		if (v && *v) {
			buf_printf(out, "AWS_PROFILE '%s' has %s, but AWS_ACCESS_KEY_ID is set and the "
			    "environment keys come first, as in the AWS SDKs (--profile %s uses the "
			    "profile)\n", env, keys[i], env);
			break;
		}
	}
	awsconf_free(&c);
}
