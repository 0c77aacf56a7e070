/*
 * creds_meta.c - container credentials (ECS, EKS) and the EC2 instance
 * role through the instance metadata service (IMDSv2).
 */
#include <errno.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "credsint.h"

#define IMDS_TIMEOUT_MS 1000
#define CONTAINER_TIMEOUT_MS 2000
#define IMDS_DEFAULT "http://169.254.169.254"
#define CONTAINER_HOST "http://169.254.170.2"

/* --- 3. container credentials (ECS, EKS) --------------------------------- */

/* FULL_URI must be https, or http to a loopback or container address (as the SDKs require) */
static int
full_uri_allowed(const char *url)
{
	static const char *hosts[] = {
		"127.", "localhost", "[::1]", "169.254.170.2", "169.254.170.23", "[fd00:ec2::23]",
	};
	const char *h, *end;
	size_t i, n;

	if (strncasecmp(url, "https://", 8) == 0)
		return 1;
	if (strncasecmp(url, "http://", 7) != 0)
		return 0;
	h = url + 7;
	end = h + strcspn(h, "/?#");
	if (memchr(h, '@', (size_t)(end - h)))
		return 0;
	for (i = 0; i < sizeof hosts / sizeof hosts[0]; i++) {
		n = strlen(hosts[i]);
		if ((size_t)(end - h) < n || strncasecmp(h, hosts[i], n) != 0)
			continue;
		if (hosts[i][n - 1] == '.') /* 127.x.y.z */
			return strspn(h, "0123456789.") == strcspn(h, ":/?#");
		if (h + n == end || h[n] == ':')
			return 1;
	}
	return 0;
}

/* The authorization token: the file's contents (trailing newline dropped), else the variable. */
static int
container_token(struct buf *tok, struct cs_err *err)
{
	const char *file = cs_getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	const char *v = cs_getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN");
	char chunk[1024];
	size_t n;
	FILE *f;

	if (file) {
		f = fopen(file, "rb");
		if (!f) {
			cs_err_set(err, "container credentials: cannot read "
			    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE '%s': %s", file, strerror(errno));
			return -1;
		}
		while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && tok->len < 16384)
			buf_add(tok, chunk, n);
		OPENSSL_cleanse(chunk, sizeof chunk);
		fclose(f);
		while (tok->len && (tok->data[tok->len - 1] == '\n' || tok->data[tok->len - 1] == '\r'))
			tok->data[--tok->len] = '\0';
	} else if (v) {
		buf_adds(tok, v);
	}
	if (tok->len && (memchr(tok->data, '\n', tok->len) || memchr(tok->data, '\r', tok->len) ||
	    strlen(tok->data) != tok->len)) {
		cs_err_set(err, "container credentials: the authorization token holds a line break");
		return -1;
	}
	return 0;
}

int
creds_container(struct creds_provider *p, struct aws_creds *out, struct buf *tried,
    struct cs_err *err)
{
	const char *rel = cs_getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	const char *full = cs_getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	struct buf url = BUF_INIT, tok = BUF_INIT, hdr = BUF_INIT, what = BUF_INIT;
	struct http_response resp;
	const char *headers[1];
	int rc = -1;

	(void)p;
	http_response_init(&resp);
	if (!rel && !full) {
		creds_tried_add(tried, "container credentials (not configured)");
		rc = 0;
		goto out;
	}
	if (rel)
		buf_printf(&url, "%s%s%s", CONTAINER_HOST, rel[0] == '/' ? "" : "/", rel);
	else
		buf_adds(&url, full);
	/* named in messages without any user:password it may hold */
	buf_adds(&what, "container credentials from ");
	http_url_shown(url.data, &what);
	if (!rel && !full_uri_allowed(full)) {
		cs_err_set(err, "container credentials: AWS_CONTAINER_CREDENTIALS_FULL_URI "
		    "must use https, or http to a loopback or container address");
		goto out;
	}
	if (container_token(&tok, err) < 0)
		goto out;
	if (tok.len)
		buf_printf(&hdr, "Authorization: %s", tok.data);
	headers[0] = hdr.data;
	if (http_simple("GET", url.data, headers, tok.len ? 1 : 0, NULL, 0, CONTAINER_TIMEOUT_MS,
	    &resp) < 0 || resp.status == 0) {
		cs_err_set(err, "%s: no answer: %s", what.data, resp.error[0] ? resp.error : "failed");
		goto out;
	}
	if (resp.status != 200) {
		cs_err_set(err, "%s: HTTP %ld", what.data, resp.status);
		goto out;
	}
	if (creds_from_json(resp.body.data ? resp.body.data : "", resp.body.len, 0, out,
	    "container", what.data, err) < 0)
		goto out;
	rc = 1;
out:
	creds_response_wipe_free(&resp);
	buf_free(&url);
	buf_wipe_free(&tok);
	buf_wipe_free(&hdr);
	buf_free(&what);
	return rc;
}

/* --- 4. EC2 instance metadata, IMDSv2 ------------------------------------ */

int
creds_imds(struct creds_provider *p, struct aws_creds *out, struct buf *tried, struct cs_err *err)
{
	static const char creds_path[] = "/latest/meta-data/iam/security-credentials/";
	const char *dis = cs_getenv("AWS_EC2_METADATA_DISABLED");
	const char *ep = cs_getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	struct buf base = BUF_INIT, url = BUF_INIT, hdr = BUF_INIT, role = BUF_INIT, shown = BUF_INIT;
	struct http_response resp;
	const char *headers[1];
	size_t n;
	int rc = -1;

	(void)p;
	http_response_init(&resp);
	if (dis && strcasecmp(dis, "true") == 0) {
		creds_tried_add(tried, "EC2 instance metadata (disabled by AWS_EC2_METADATA_DISABLED)");
		rc = 0;
		goto out;
	}
	buf_adds(&base, ep ? ep : IMDS_DEFAULT);
	while (base.len > 0 && base.data[base.len - 1] == '/')
		base.data[--base.len] = '\0';
	http_url_shown(base.data, &shown); /* for messages */

	/* the session token */
	buf_printf(&url, "%s/latest/api/token", base.data);
	headers[0] = "X-aws-ec2-metadata-token-ttl-seconds: 21600";
	if (http_simple("PUT", url.data, headers, 1, NULL, 0, IMDS_TIMEOUT_MS, &resp) < 0 ||
	    resp.status == 0) {
		/* not on EC2: the usual end of the chain */
		creds_tried_add(tried, "EC2 instance metadata (no answer from %s: %s)", shown.data,
		    resp.error[0] ? resp.error : "failed");
		rc = 0;
		goto out;
	}
	if (resp.status == 403) {
		creds_tried_add(tried, "EC2 instance metadata (%s refuses tokens: HTTP 403)", shown.data);
		rc = 0;
		goto out;
	}
	if (resp.status != 200 || resp.body.len == 0 || resp.body.len > 4096 ||
	    strcspn(resp.body.data, "\r\n") != resp.body.len) {
		cs_err_set(err, "EC2 instance metadata at %s: the token request answered %s%ld",
		    shown.data, resp.status == 200 ? "a bad token with HTTP " : "HTTP ", resp.status);
		goto out;
	}
	buf_printf(&hdr, "X-aws-ec2-metadata-token: %s", resp.body.data);
	headers[0] = hdr.data;
	creds_response_wipe_free(&resp);
	http_response_init(&resp);

	/* the role */
	buf_reset(&url);
	buf_printf(&url, "%s%s", base.data, creds_path);
	if (http_simple("GET", url.data, headers, 1, NULL, 0, IMDS_TIMEOUT_MS, &resp) < 0 ||
	    resp.status == 0) {
		cs_err_set(err, "EC2 instance metadata at %s: no answer for the role: %s", shown.data,
		    resp.error[0] ? resp.error : "failed");
		goto out;
	}
	if (resp.status == 404) {
		creds_tried_add(tried, "EC2 instance metadata at %s (no instance role)", shown.data);
		rc = 0;
		goto out;
	}
	if (resp.status != 200) {
		cs_err_set(err, "EC2 instance metadata at %s: the role request answered HTTP %ld",
		    shown.data, resp.status);
		goto out;
	}
	n = resp.body.data ? strcspn(resp.body.data, "\r\n") : 0;
	if (n == 0) {
		creds_tried_add(tried, "EC2 instance metadata at %s (no instance role)", shown.data);
		rc = 0;
		goto out;
	}
	if (n > 128 || !creds_name_ok(resp.body.data, n)) {
		cs_err_set(err, "EC2 instance metadata at %s: the role name is not valid", shown.data);
		goto out;
	}
	buf_add(&role, resp.body.data, n);
	http_response_free(&resp);
	http_response_init(&resp);

	/* the role's credentials */
	buf_reset(&url);
	buf_printf(&url, "%s%s%s", base.data, creds_path, role.data);
	if (http_simple("GET", url.data, headers, 1, NULL, 0, IMDS_TIMEOUT_MS, &resp) < 0 ||
	    resp.status == 0) {
		cs_err_set(err, "EC2 instance metadata at %s: no answer for role '%s': %s", shown.data,
		    role.data, resp.error[0] ? resp.error : "failed");
		goto out;
	}
	if (resp.status != 200) {
		cs_err_set(err, "EC2 instance metadata at %s: role '%s' answered HTTP %ld", shown.data,
		    role.data, resp.status);
		goto out;
	}
	buf_reset(&base);
	buf_adds(&base, "EC2 instance metadata at ");
	http_url_shown(ep ? ep : IMDS_DEFAULT, &base);
	buf_printf(&base, ", role '%s'", role.data);
	if (creds_from_json(resp.body.data ? resp.body.data : "", resp.body.len, 0, out, "imds",
	    base.data, err) < 0)
		goto out;
	rc = 1;
out:
	creds_response_wipe_free(&resp);
	buf_free(&base);
	buf_free(&shown);
	buf_free(&url);
	buf_wipe_free(&hdr);
	buf_free(&role);
	return rc;
}

