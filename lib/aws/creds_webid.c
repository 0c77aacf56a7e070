/*
 * creds_webid.c - web identity (EKS service accounts, CI OIDC tokens):
 * a token file and a role, exchanged with STS AssumeRoleWithWebIdentity.
 * The file is read again at every refresh (Kubernetes rotates it); its
 * content is never shown.
 */
#include <errno.h>
#include <openssl/crypto.h>
#include <string.h>

#include "credsint.h"

#define TOKEN_MAX (64 * 1024)

int
creds_webid(struct creds_provider *p, const struct sts_role *r, const char *token_file,
    const char *what, const char *source, struct aws_creds *out, struct cs_err *err)
{
	struct buf tok = BUF_INIT;
	int not_opened, rc = -1;

	if (cs_read_file(token_file, TOKEN_MAX, &tok, &not_opened) < 0) {
		cs_err_set(err, "%s: cannot read the web identity token file '%s': %s", what,
		    token_file, errno == EFBIG ? "larger than 64 KiB" : strerror(errno));
		goto out;
	}
	while (tok.len && strchr(" \t\r\n", tok.data[tok.len - 1]))
		tok.data[--tok.len] = '\0';
	if (tok.len == 0) {
		cs_err_set(err, "%s: the web identity token file '%s' is empty", what, token_file);
		goto out;
	}
	if (strlen(tok.data) != tok.len) {
		cs_err_set(err, "%s: the web identity token file '%s' holds a NUL byte", what,
		    token_file);
		goto out;
	}
	rc = creds_sts_web_identity(p, r, tok.data, what, source, out, err) < 0 ? -1 : 1;
out:
	buf_wipe_free(&tok);
	return rc;
}

int
creds_webid_env(struct creds_provider *p, struct aws_creds *out, struct buf *tried,
    struct cs_err *err)
{
	const char *file = cs_getenv("AWS_WEB_IDENTITY_TOKEN_FILE");
	const char *arn = cs_getenv("AWS_ROLE_ARN");
	struct sts_role r = { 0 };
	struct buf what = BUF_INIT;
	int rc;

	if (!file && !arn) {
		creds_tried_add(tried, "web identity (AWS_WEB_IDENTITY_TOKEN_FILE)");
		return 0;
	}
	if (creds_profile_explicit(p)) {
		/* as the AWS CLI: a profile named on the command line wins over the environment */
		creds_tried_add(tried, "web identity from the environment (skipped: --profile given)");
		return 0;
	}
	if (!file) {
		creds_tried_add(tried, "web identity (AWS_ROLE_ARN without AWS_WEB_IDENTITY_TOKEN_FILE)");
		return 0;
	}
	if (!arn) {
		cs_err_set(err, "web identity: AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN "
		    "is not");
		return -1;
	}
	r.role_arn = arn;
	r.session_name = cs_getenv("AWS_ROLE_SESSION_NAME");
	buf_printf(&what, "web identity (AWS_WEB_IDENTITY_TOKEN_FILE '%s', role %s)", file, arn);
	rc = creds_webid(p, &r, file, what.data, "web identity (environment)", out, err);
	buf_free(&what);
	return rc;
}
