/*
 * creds_sso.c - IAM Identity Center (SSO): the token that 'aws sso login'
 * cached, exchanged at the portal's GetRoleCredentials for the role's
 * credentials.  No login flow of our own, and no refresh of the token:
 * when it has expired the message says to run 'aws sso login'.
 *
 *   [profile dev]                     [sso-session corp]
 *   sso_session = corp                sso_start_url = https://corp.awsapps.com/start
 *   sso_account_id = 111122223333     sso_region = us-east-1
 *   sso_role_name = Developer
 *
 * or the legacy form, sso_start_url and sso_region in the profile.  The
 * cached token is ~/.aws/sso/cache/SHA1.json, SHA1 the hex SHA-1 of the
 * session name (of the start URL in the legacy form), as the SDKs name it.
 */
#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "awserror.h"
#include "credsint.h"
#include "json.h"

#define SSO_TIMEOUT_MS 10000
#define TOKEN_FILE_MAX (1024 * 1024)

static void
sha1_hex(const char *s, char out[41])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	EVP_Digest(s, strlen(s), md, &n, EVP_sha1(), NULL);
	cs_hex(out, md, n);
}

/* a JSON string member of object 0, decoded onto OUT; 0, or -1 when missing or not a string */
static int
json_string(const struct json_doc *d, const char *key, struct buf *out)
{
	int t = json_obj_get(d, 0, key, strlen(key));

	if (t < 0 || d->tok[t].type != JSON_STRING)
		return -1;
	json_str_decode(d, t, out);
	return out->data && strlen(out->data) == out->len ? 0 : -1;
}

/* the cached token: 1 read (TOKEN set, *EXP its expiry), -1 with err */
static int
read_token(const char *path, const char *login, struct buf *token, int64_t *exp,
    struct cs_err *err)
{
	struct buf text = BUF_INIT, when = BUF_INIT;
	struct json_doc d;
	int not_opened, rc = -1;

	json_doc_init(&d, 16);
	if (cs_read_file(path, TOKEN_FILE_MAX, &text, &not_opened) < 0) {
		if (not_opened && errno == ENOENT)
			cs_err_set(err, "IAM Identity Center: no cached token '%s': run '%s'", path, login);
		else
			cs_err_set(err, "IAM Identity Center: cannot read the cached token '%s': %s",
			    path, strerror(errno));
		goto out;
	}
	if (json_parse(&d, text.data ? text.data : "", text.len) < 0 || d.ntok == 0 ||
	    d.tok[0].type != JSON_OBJECT || json_string(&d, "accessToken", token) < 0 ||
	    token->len == 0) {
		cs_err_set(err, "IAM Identity Center: the cached token '%s' has no accessToken: run '%s'",
		    path, login);
		goto out;
	}
	if (json_string(&d, "expiresAt", &when) < 0) {
		cs_err_set(err, "IAM Identity Center: the cached token '%s' has no expiresAt: run '%s'",
		    path, login);
		goto out;
	}
	/* the AWS CLI v1 wrote "2026-11-30T12:00:00UTC" */
	if (when.len > 3 && strcmp(when.data + when.len - 3, "UTC") == 0) {
		when.len -= 3;
		buf_addc(&when, 'Z');
	}
	if (cs_parse_rfc3339(when.data, when.len, exp) < 0) {
		cs_err_set(err, "IAM Identity Center: the cached token '%s' has a bad expiresAt: run '%s'",
		    path, login);
		goto out;
	}
	rc = 1;
out:
	buf_wipe_free(&text);
	buf_free(&when);
	json_doc_free(&d);
	return rc;
}

/* the portal's answer: {"roleCredentials":{"accessKeyId":...,"expiration":MS}} */
static int
parse_role_creds(const char *body, size_t len, const char *what, const char *source,
    struct aws_creds *out, struct cs_err *err)
{
	struct json_doc d;
	struct buf ak = BUF_INIT, sk = BUF_INIT, tok = BUF_INIT;
	int rc_obj, t, rc = -1;
	unsigned long long exp = 0;

	json_doc_init(&d, 16);
	if (json_parse(&d, body, len) < 0 || d.ntok == 0 || d.tok[0].type != JSON_OBJECT ||
	    (rc_obj = json_obj_get(&d, 0, "roleCredentials", 15)) < 0 ||
	    d.tok[rc_obj].type != JSON_OBJECT) {
		cs_err_set(err, "%s: the answer has no roleCredentials object", what);
		goto out;
	}
	{
		static const char *const keys[] = { "accessKeyId", "secretAccessKey", "sessionToken" };
		struct buf *dst[] = { &ak, &sk, &tok };
		size_t i;

		for (i = 0; i < 3; i++) {
			t = json_obj_get(&d, rc_obj, keys[i], strlen(keys[i]));
			if (t < 0 || d.tok[t].type != JSON_STRING || d.tok[t].len == 0) {
				cs_err_set(err, "%s: the answer has no %s", what, keys[i]);
				goto out;
			}
			json_str_decode(&d, t, dst[i]);
			if (strlen(dst[i]->data) != dst[i]->len) {
				cs_err_set(err, "%s: the answer's %s holds a NUL character", what, keys[i]);
				goto out;
			}
		}
	}
	t = json_obj_get(&d, rc_obj, "expiration", 10);
	if (t >= 0 && d.tok[t].type == JSON_NUMBER) {
		char num[32];

		snprintf(num, sizeof num, "%.*s", (int)d.tok[t].len, body + d.tok[t].start);
		if (cs_parse_uint(num, (unsigned long long)INT64_MAX, &exp) < 0)
			exp = 0;
	}
	if (exp == 0) {
		cs_err_set(err, "%s: the answer has no expiration in milliseconds", what);
		goto out;
	}
	creds_set(out, ak.data, sk.data, tok.data, (int64_t)exp, source);
	rc = 0;
out:
	buf_wipe_free(&ak);
	buf_wipe_free(&sk);
	buf_wipe_free(&tok);
	json_doc_free(&d);
	return rc;
}

int
creds_sso(struct creds_provider *p, const struct awsconf *c, const char *name,
    struct aws_creds *out, struct cs_err *err)
{
	const char *session = awsconf_value(c, name, "sso_session");
	const char *account = awsconf_value(c, name, "sso_account_id");
	const char *role = awsconf_value(c, name, "sso_role_name");
	const char *start = awsconf_value(c, name, "sso_start_url");
	const char *region = awsconf_value(c, name, "sso_region");
	struct buf sect = BUF_INIT, login = BUF_INIT, path = BUF_INIT, token = BUF_INIT;
	struct buf url = BUF_INIT, hdr = BUF_INIT, what = BUF_INIT, source = BUF_INIT, shown = BUF_INIT;
	struct http_response resp;
	const char *headers[1];
	char hex[41], *base = NULL, *home = NULL;
	int64_t exp = 0;
	int rc = -1;

	http_response_init(&resp);
	if (session && *session) {
		const char *s_start, *s_region;

		buf_printf(&sect, "sso-session %s", session);
		if (!ini_has_section(&c->conf, sect.data)) {
			cs_err_set(err, "AWS profile '%s': its sso_session '%s' has no [sso-session %s] "
			    "section in '%s'", name, session, session, c->conf_path);
			goto out;
		}
		s_start = ini_get(&c->conf, sect.data, "sso_start_url");
		s_region = ini_get(&c->conf, sect.data, "sso_region");
		if ((start && s_start && strcmp(start, s_start) != 0) ||
		    (region && s_region && strcmp(region, s_region) != 0)) {
			cs_err_set(err, "AWS profile '%s': its sso_start_url or sso_region differs from "
			    "those of [sso-session %s]", name, session);
			goto out;
		}
		start = s_start;
		region = s_region;
		buf_printf(&login, "aws sso login --sso-session %s", session);
		sha1_hex(session, hex);
	} else {
		buf_printf(&login, "aws sso login --profile %s", name);
		if (start && *start)
			sha1_hex(start, hex);
	}
	if (!start || !*start || !region || !*region || !account || !*account || !role || !*role) {
		cs_err_set(err, "AWS profile '%s' in '%s': IAM Identity Center needs sso_start_url, "
		    "sso_region (in the profile or its sso-session), sso_account_id and sso_role_name",
		    name, c->conf_path);
		goto out;
	}
	if (!creds_name_ok(account, strlen(account)) || !creds_name_ok(role, strlen(role)) ||
	    !creds_name_ok(region, strlen(region))) {
		cs_err_set(err, "AWS profile '%s': sso_account_id, sso_role_name or sso_region holds "
		    "a character they cannot have", name);
		goto out;
	}
	home = awsconf_home_path(".aws/sso/cache");
	buf_printf(&path, "%s/%s.json", home, hex);
	if (read_token(path.data, login.data, &token, &exp, err) < 0)
		goto out;
	if (exp <= cs_wall_ms()) {
		char when[32];

		cs_fmt_rfc3339(when, exp);
		cs_err_set(err, "IAM Identity Center: the token cached in '%s' expired at %s: run '%s'",
		    path.data, when, login.data);
		goto out;
	}
	base = awsconf_endpoint_profile(NULL, "sso", NULL, p->profile);
	if (base) {
		while (*base && base[strlen(base) - 1] == '/')
			base[strlen(base) - 1] = '\0';
		buf_adds(&url, base);
	} else {
		buf_printf(&url, "https://portal.sso.%s.amazonaws.com", region);
	}
	buf_printf(&url, "/federation/credentials?account_id=%s&role_name=%s", account, role);
	http_url_shown(url.data, &shown); /* for messages */
	buf_printf(&hdr, "x-amz-sso_bearer_token: %s", token.data);
	headers[0] = hdr.data;
	buf_printf(&what, "IAM Identity Center role %s of account %s (profile '%s')", role, account,
	    name);
	buf_printf(&source, "profile %s (IAM Identity Center)", name);
	if (http_simple_secret("GET", url.data, headers, 1, NULL, 0, SSO_TIMEOUT_MS, p->ca_bundle,
	    &resp) < 0 || resp.status == 0) {
		cs_err_set(err, "%s: no answer from %s: %s", what.data, shown.data,
		    resp.error[0] ? resp.error : "failed");
		goto out;
	}
	if (resp.status == 401 || resp.status == 403) {
		cs_err_set(err, "%s: the portal no longer accepts the token cached in '%s' (HTTP %ld): "
		    "run '%s'", what.data, path.data, resp.status, login.data);
		goto out;
	}
	if (resp.status != 200) {
		struct cs_err serr;

		aws_parse_error_reason(resp.body.data ? resp.body.data : "", resp.body.len,
		    resp.status, resp.reason, &serr);
		creds_scrub(serr.msg, token.data);
		cs_err_set(err, "%s: the portal at %s answered %s", what.data, shown.data, serr.msg);
		goto out;
	}
	if (parse_role_creds(resp.body.data ? resp.body.data : "", resp.body.len, what.data,
	    source.data, out, err) < 0)
		goto out;
	rc = 1;
out:
	creds_response_wipe_free(&resp);
	buf_wipe_free(&token);
	buf_wipe_free(&hdr);
	buf_free(&sect);
	buf_free(&login);
	buf_free(&path);
	buf_free(&url);
	buf_free(&shown);
	buf_free(&what);
	buf_free(&source);
	free(base);
	free(home);
	return rc;
}
