/*
 * creds_sts.c - the two STS calls of the credential chain, in the Query
 * protocol (a form POST, an XML answer):
 *
 *   AssumeRole                  signed (SigV4, service "sts") with the
 *                               source credentials
 *   AssumeRoleWithWebIdentity   unsigned: the web identity token is the proof
 *
 * The endpoint is the SDKs': AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, the
 * profile's services section ("sts = / endpoint_url = ..."), the
 * profile's endpoint_url, else the regional https://sts.REGION.amazonaws.com.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "awserror.h"
#include "credsint.h"
#include "sigv4.h"
#include "xml.h"

#define STS_VERSION "2011-06-15"
#define STS_CTYPE "application/x-www-form-urlencoded; charset=utf-8"

/* NAME=VALUE of a form, VALUE percent-encoded (unreserved characters kept) */
static void
form_add(struct buf *b, const char *name, const char *value)
{
	if (b->len)
		buf_addc(b, '&');
	buf_adds(b, name);
	buf_addc(b, '=');
	sigv4_uri_encode(b, value, strlen(value), NULL);
}

/* the Host header and path of URL; -1 when it is not http(s)://HOST[/PATH] */
static int
url_parts(const char *url, char **host, char **path)
{
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
		return -1;
	if (http_url_split(url, host, path) < 0)
		return -1;
	return strchr(*path, '?') ? -1 : 0;
}

char *
creds_sts_region(const struct creds_provider *p)
{
	char *r;

	if (p->region)
		return cs_strdup(p->region);
	r = awsconf_get(p->profile, "region");
	if (r && *r)
		return r;
	free(r);
	/* the SDKs' global default region for STS when none is configured */
	return cs_strdup("us-east-1");
}

char *
creds_sts_endpoint(const struct creds_provider *p, const char *region)
{
	return awsconf_endpoint_profile(NULL, "sts", region, p->profile);
}

/* see credsint.h: the text never grows, and the search goes on after each replacement */
void
creds_scrub(char *msg, const char *secret)
{
	static const char red[] = "(redacted)";
	size_t n = secret ? strlen(secret) : 0, r = sizeof red - 1;
	char *at = msg;

	if (n < 8)
		return;
	while ((at = strstr(at, secret)) != NULL) {
		if (n >= r) {
			memcpy(at, red, r);
			memmove(at + r, at + n, strlen(at + n) + 1);
			at += r;
		} else {
			/* a short secret: blanked out in place */
			memset(at, '*', n);
			at += n;
		}
	}
}

/*
 * The Credentials of an STS answer of ACTION.  0, or -1 with err naming
 * WHAT (never quoting the answer).
 */
static int
parse_answer(const char *action, const char *body, size_t len, const char *what,
    const char *source, struct aws_creds *out, struct cs_err *err)
{
	static const char *const field[] = { "AccessKeyId", "SecretAccessKey", "SessionToken",
		"Expiration" };
	const char *v[4];
	struct xml_doc d;
	struct cs_err xerr;
	struct buf path = BUF_INIT;
	int64_t exp = 0;
	size_t i;
	int rc = -1;

	if (xml_parse(&d, body, len, &xerr) < 0) {
		cs_err_set(err, "%s: the answer is %s", what, xerr.msg);
		return -1;
	}
	for (i = 0; i < 4; i++) {
		buf_reset(&path);
		buf_printf(&path, "%sResponse/%sResult/Credentials/%s", action, action, field[i]);
		v[i] = xml_path_text(&d, path.data);
		if (!v[i] || !*v[i]) {
			cs_err_set(err, "%s: the answer has no %s%s", what, field[i],
			    xml_path(&d, path.data) < 0 ? "" : " value");
			goto out;
		}
	}
	if (cs_parse_rfc3339(v[3], strlen(v[3]), &exp) < 0 || exp <= 0) {
		cs_err_set(err, "%s: the answer's Expiration is not an RFC 3339 time", what);
		goto out;
	}
	creds_set(out, v[0], v[1], v[2], exp, source);
	rc = 0;
out:
	buf_free(&path);
	xml_free(&d);
	return rc;
}

/* POST the form BODY to STS, signed with SIGN unless NULL; the answer's credentials into OUT. */
static int
sts_call(struct creds_provider *p, const char *action, const struct buf *body,
    const struct aws_creds *sign, const char *what, const char *source, struct aws_creds *out,
    struct cs_err *err)
{
	struct buf h[4], shown = BUF_INIT;
	const char *hp[4];
	char *region = creds_sts_region(p), *url = creds_sts_endpoint(p, region);
	char *host = NULL, *path = NULL;
	struct sigv4_output so;
	struct http_response resp;
	size_t nh = 0, i;
	int rc = -1;

	http_response_init(&resp);
	sigv4_output_init(&so);
	for (i = 0; i < 4; i++)
		buf_init(&h[i]);
	http_url_shown(url ? url : "", &shown); /* for messages */
	if (!url || url_parts(url, &host, &path) < 0) {
		cs_err_set(err, "%s: bad STS endpoint URL '%s'", what, shown.data);
		goto out;
	}
	buf_printf(&h[nh++], "Content-Type: %s", STS_CTYPE);
	if (sign) {
		struct sigv4_header sh[2] = { { "Host", host }, { "Content-Type", STS_CTYPE } };
		struct sigv4_input in = {
			.method = "POST", .path = path, .query = NULL,
			.headers = sh, .nheaders = 2,
			.body = body->data, .body_len = body->len,
			.region = region, .service = "sts",
			.access_key = sign->access_key, .secret_key = sign->secret_key,
			.session_token = sign->session_token,
			.now = time(NULL),
			.normalize_path = 1, .sign_body = 0,
		};

		if (sigv4_sign(&in, &so, err) < 0)
			goto out;
		buf_printf(&h[nh++], "X-Amz-Date: %s", so.amz_date);
		buf_printf(&h[nh++], "Authorization: %s", so.authorization.data);
		if (sign->session_token && *sign->session_token)
			buf_printf(&h[nh++], "X-Amz-Security-Token: %s", sign->session_token);
	}
	for (i = 0; i < nh; i++)
		hp[i] = h[i].data;
	if (http_simple_secret("POST", url, hp, nh, body->data, body->len, CREDS_STS_TIMEOUT_MS,
	    p->ca_bundle, &resp) < 0 || resp.status == 0) {
		cs_err_set(err, "%s: no answer from STS at %s: %s", what, shown.data,
		    resp.error[0] ? resp.error : "failed");
		goto out;
	}
	if (resp.status != 200) {
		struct cs_err serr;

		aws_parse_error_reason(resp.body.data ? resp.body.data : "", resp.body.len,
		    resp.status, resp.reason, &serr);
		if (sign) {
			creds_scrub(serr.msg, sign->secret_key);
			creds_scrub(serr.msg, sign->session_token);
		}
		cs_err_set(err, "%s: STS at %s answered %s", what, shown.data, serr.msg);
		snprintf(err->code, sizeof err->code, "%s", serr.code);
		err->http_status = (int)resp.status;
		goto out;
	}
	if (parse_answer(action, resp.body.data ? resp.body.data : "", resp.body.len, what, source,
	    out, err) < 0)
		goto out;
	rc = 0;
out:
	creds_response_wipe_free(&resp);
	for (i = 0; i < 4; i++)
		buf_wipe_free(&h[i]);
	sigv4_output_free(&so);
	free(host);
	free(path);
	buf_free(&shown);
	free(region);
	free(url);
	return rc;
}

static void
common_params(struct buf *form, const char *action, const struct sts_role *r)
{
	char name[64], dur[32];

	form_add(form, "Action", action);
	form_add(form, "Version", STS_VERSION);
	form_add(form, "RoleArn", r->role_arn);
	if (r->session_name && *r->session_name) {
		form_add(form, "RoleSessionName", r->session_name);
	} else {
		/* the SDKs name an unnamed session after the time; so does cs */
		snprintf(name, sizeof name, "cs-session-%lld", (long long)time(NULL));
		form_add(form, "RoleSessionName", name);
	}
	if (r->duration_s) {
		snprintf(dur, sizeof dur, "%ld", r->duration_s);
		form_add(form, "DurationSeconds", dur);
	}
}

int
creds_sts_assume_role(struct creds_provider *p, const struct sts_role *r,
    const struct aws_creds *source_creds, const char *what, const char *source,
    struct aws_creds *out, struct cs_err *err)
{
	struct buf form = BUF_INIT;
	int rc;

	common_params(&form, "AssumeRole", r);
	if (r->external_id && *r->external_id)
		form_add(&form, "ExternalId", r->external_id);
	rc = sts_call(p, "AssumeRole", &form, source_creds, what, source, out, err);
	buf_wipe_free(&form);
	return rc;
}

int
creds_sts_web_identity(struct creds_provider *p, const struct sts_role *r, const char *token,
    const char *what, const char *source, struct aws_creds *out, struct cs_err *err)
{
	struct buf form = BUF_INIT;
	int rc;

	common_params(&form, "AssumeRoleWithWebIdentity", r);
	form_add(&form, "WebIdentityToken", token);
	rc = sts_call(p, "AssumeRoleWithWebIdentity", &form, NULL, what, source, out, err);
	creds_scrub(err->msg, token);
	buf_wipe_free(&form);
	return rc;
}
