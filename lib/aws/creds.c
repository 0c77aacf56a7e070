/*
 * creds.c - the credential chain (see creds.h), the environment provider
 * and what the providers share (credsint.h).  The other providers:
 * creds_profile.c (the shared files: static keys, credential_process,
 * assume role, web identity, IAM Identity Center), creds_process.c,
 * creds_sts.c, creds_sso.c, creds_meta.c (container and instance
 * metadata).
 *
 * Credentials with an expiry are fetched again from the same source when
 * they expire within five minutes; when that fails while they are still
 * valid, not again for 30 seconds: a source that is down (STS timing out
 * after 10 s) must not hold up every request.
 */
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "credsint.h"
#include "json.h"

#define REFRESH_BEFORE_MS (5 * 60 * 1000)
/* after a failed refresh, the credentials in hand serve this long before the next try */
#define REFRESH_RETRY_MS (30 * 1000)

enum source {
	SRC_NONE,
	SRC_ENV,
	SRC_WEBID_ENV,
	SRC_PROFILE,     /* whatever the profile is: keys, process, role, web identity, SSO */
	SRC_CONTAINER,
	SRC_IMDS,
};

/* an HTTP answer that may hold credentials */
void
creds_response_wipe_free(struct http_response *r)
{
	buf_wipe_free(&r->body);
	http_response_free(r);
}

int
creds_name_ok(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || (s[i] && strchr("+=,.@_-", s[i]))))
			return 0;
	return n > 0;
}

void
aws_creds_clear(struct aws_creds *c)
{
	cs_wipe_free(c->access_key);
	cs_wipe_free(c->secret_key);
	cs_wipe_free(c->session_token);
	memset(c, 0, sizeof *c);
}

/* one more entry of the "tried" list */
void
creds_tried_add(struct buf *tried, const char *fmt, ...)
{
	va_list ap;

	if (tried->len)
		buf_adds(tried, ", ");
	va_start(ap, fmt);
	buf_vprintf(tried, fmt, ap);
	va_end(ap);
}

void
creds_set(struct aws_creds *c, const char *ak, const char *sk, const char *tok, int64_t exp,
    const char *source)
{
	c->access_key = cs_strdup(ak);
	c->secret_key = cs_strdup(sk);
	c->session_token = tok && *tok ? cs_strdup(tok) : NULL;
	c->expires_ms = exp;
	snprintf(c->source, sizeof c->source, "%s", source);
}

/* see credsint.h */
int
creds_from_json(const char *text, size_t len, int process, struct aws_creds *out,
    const char *source, const char *what, struct cs_err *err)
{
	struct json_doc d;
	struct buf ak = BUF_INIT, sk = BUF_INIT, tok = BUF_INIT, exps = BUF_INIT;
	const char *tokkey = process ? "SessionToken" : "Token";
	int t_ak, t_sk, t_tok, t_exp, t, rc = -1;
	int64_t exp = 0;

	json_doc_init(&d, 32);
	if (json_parse(&d, text, len) < 0 || d.ntok == 0 || d.tok[0].type != JSON_OBJECT) {
		cs_err_set(err, "%s: the answer is not a JSON object", what);
		goto out;
	}
	if (process) {
		t = json_obj_get(&d, 0, "Version", 7);
		if (t < 0 || d.tok[t].type != JSON_NUMBER || d.tok[t].len != 1 ||
		    text[d.tok[t].start] != '1') {
			cs_err_set(err, "%s: the answer has no \"Version\": 1", what);
			goto out;
		}
	} else {
		t = json_obj_get(&d, 0, "Code", 4);
		if (t >= 0 && !(d.tok[t].type == JSON_STRING && json_str_eq(&d, t, "Success", 7))) {
			cs_err_set(err, "%s: the answer's Code is not \"Success\"", what);
			goto out;
		}
	}
	t_ak = json_obj_get(&d, 0, "AccessKeyId", 11);
	t_sk = json_obj_get(&d, 0, "SecretAccessKey", 15);
	t_tok = json_obj_get(&d, 0, tokkey, strlen(tokkey));
	t_exp = json_obj_get(&d, 0, "Expiration", 10);
	if (t_ak < 0 || d.tok[t_ak].type != JSON_STRING || d.tok[t_ak].len == 0) {
		cs_err_set(err, "%s: the answer has no AccessKeyId", what);
		goto out;
	}
	if (t_sk < 0 || d.tok[t_sk].type != JSON_STRING || d.tok[t_sk].len == 0) {
		cs_err_set(err, "%s: the answer has no SecretAccessKey", what);
		goto out;
	}
	if (t_tok >= 0 && d.tok[t_tok].type != JSON_STRING && d.tok[t_tok].type != JSON_NULL) {
		cs_err_set(err, "%s: the answer's %s is not a string", what, tokkey);
		goto out;
	}
	if (t_exp >= 0 && d.tok[t_exp].type == JSON_STRING) {
		json_str_decode(&d, t_exp, &exps);
		if (cs_parse_rfc3339(exps.data ? exps.data : "", exps.len, &exp) < 0 || exp <= 0) {
			cs_err_set(err, "%s: the answer's Expiration is not an RFC 3339 time", what);
			goto out;
		}
	} else if (t_exp >= 0 && d.tok[t_exp].type != JSON_NULL) {
		cs_err_set(err, "%s: the answer's Expiration is not a string", what);
		goto out;
	}
	json_str_decode(&d, t_ak, &ak);
	json_str_decode(&d, t_sk, &sk);
	if (t_tok >= 0 && d.tok[t_tok].type == JSON_STRING)
		json_str_decode(&d, t_tok, &tok);
	if (strlen(ak.data) != ak.len || strlen(sk.data) != sk.len ||
	    (tok.data && strlen(tok.data) != tok.len)) {
		cs_err_set(err, "%s: the answer's credentials hold a NUL character", what);
		goto out;
	}
	creds_set(out, ak.data, sk.data, tok.data, exp, source);
	rc = 0;
out:
	buf_wipe_free(&ak);
	buf_wipe_free(&sk);
	buf_wipe_free(&tok);
	buf_free(&exps);
	json_doc_free(&d);
	return rc;
}

/* --- 1. the environment ------------------------------------------------- */

int
creds_env(struct creds_provider *p, struct aws_creds *out, struct buf *tried, struct cs_err *err)
{
	if (creds_profile_explicit(p)) {
		/* as the AWS CLI: a profile named on the command line wins over the environment */
		if (cs_getenv("AWS_ACCESS_KEY_ID") || cs_getenv("AWS_SECRET_ACCESS_KEY"))
			creds_tried_add(tried, "environment (AWS_ACCESS_KEY_ID, skipped: --profile given)");
		return 0;
	}
	return creds_env_keys(out, tried, err);
}

int
creds_env_keys(struct aws_creds *out, struct buf *tried, struct cs_err *err)
{
	const char *ak = cs_getenv("AWS_ACCESS_KEY_ID");
	const char *sk = cs_getenv("AWS_SECRET_ACCESS_KEY");

	if (!ak && !sk) {
		creds_tried_add(tried, "environment (AWS_ACCESS_KEY_ID)");
		return 0;
	}
	if (!ak || !sk) {
		cs_err_set(err, "AWS credentials in the environment: %s is set but %s is not",
		    ak ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
		    ak ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
		return -1;
	}
	creds_set(out, ak, sk, cs_getenv("AWS_SESSION_TOKEN"), 0, "environment");
	return 1;
}

/* --- the chain ------------------------------------------------------------ */

static const struct {
	enum source src;
	creds_source_fn fn;
} chain[] = {
	{ SRC_ENV, creds_env },
	{ SRC_WEBID_ENV, creds_webid_env },
	{ SRC_PROFILE, creds_profile },
	{ SRC_CONTAINER, creds_container },
	{ SRC_IMDS, creds_imds },
};

struct creds_provider *
creds_provider_new(const char *profile)
{
	struct creds_provider *p = cs_calloc(1, sizeof *p);

	p->profile = profile && *profile ? cs_strdup(profile) : NULL;
	return p;
}

void
creds_provider_region(struct creds_provider *p, const char *region)
{
	free(p->region);
	p->region = region && *region ? cs_strdup(region) : NULL;
}

void
creds_provider_ca_bundle(struct creds_provider *p, const char *ca_bundle)
{
	free(p->ca_bundle);
	p->ca_bundle = ca_bundle && *ca_bundle ? cs_strdup(ca_bundle) : NULL;
}

int
creds_profile_explicit(const struct creds_provider *p)
{
	return p->profile != NULL;
}

void
creds_provider_free(struct creds_provider *p)
{
	if (!p)
		return;
	aws_creds_clear(&p->cur);
	free(p->profile);
	free(p->region);
	free(p->ca_bundle);
	free(p);
}

void
creds_invalidate(struct creds_provider *p)
{
	aws_creds_clear(&p->cur);
	p->have = 0;
	p->src = SRC_NONE;
	p->retry_at_ms = 0;
}

/*
 * Fetch credentials: with none in hand, down the whole chain (the first
 * source that answers wins); else a refresh, from the source that gave
 * the current ones only.
 */
static int
fetch(struct creds_provider *p, struct cs_err *err)
{
	int only = p->have ? p->src : SRC_NONE;
	struct buf tried = BUF_INIT;
	struct aws_creds c;
	size_t i;
	int rc = 0;

	memset(&c, 0, sizeof c);
	for (i = 0; i < sizeof chain / sizeof chain[0]; i++) {
		if (only != SRC_NONE && (int)chain[i].src != only)
			continue;
		rc = chain[i].fn(p, &c, &tried, err);
		if (rc != 0)
			break;
	}
	if (rc > 0) {
		aws_creds_clear(&p->cur);
		p->cur = c;
		p->have = 1;
		p->src = chain[i].src;
	} else if (rc == 0 && only != SRC_NONE) {
		cs_err_set(err, "cannot refresh the AWS credentials from %s: no longer there: %s",
		    p->cur.source, tried.data);
	} else if (rc == 0) {
		cs_err_set(err, "no AWS credentials: tried %s", tried.data);
	}
	buf_free(&tried);
	return rc > 0 ? 0 : -1;
}

int
creds_get(struct creds_provider *p, const struct aws_creds **out, struct cs_err *err)
{
	int64_t now = cs_wall_ms();

	*out = NULL;
	if (p->have && p->cur.expires_ms != 0 && p->cur.expires_ms - now < REFRESH_BEFORE_MS &&
	    (now >= p->retry_at_ms || p->cur.expires_ms <= now)) {
		struct cs_err rerr;

		if (fetch(p, &rerr) < 0) {
			if (p->cur.expires_ms <= now) {
				cs_err_set(err, "AWS credentials from %s have expired: %s", p->cur.source,
				    rerr.msg);
				creds_invalidate(p);
				return -1;
			}
			/* still valid for a while: use them, try again a little later */
			p->retry_at_ms = now + REFRESH_RETRY_MS;
		}
	}
	if (!p->have && fetch(p, err) < 0)
		return -1;
	*out = &p->cur;
	return 0;
}
