/*
 * test-sigv4.c - every case of the AWS SigV4 header-signing suite in
 * tests/sigv4/: the canonical request, the string to sign, the signature
 * and the signed request, byte for byte.  Then a few cases of our own.
 */
#include <dirent.h>
#include <errno.h>
#include <jv.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sigv4.h"
#include "tap.h"

static char *
slurp(const char *dir, const char *name, size_t *len)
{
	char path[8192];
	struct buf b = BUF_INIT;
	char chunk[4096];
	size_t n;
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "rb");
	if (!f)
		return NULL;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	if (len)
		*len = b.len;
	return buf_detach(&b);
}

/* a request.txt, taken apart */
struct req {
	char *method;
	char *path;
	char *query;
	char *head_line;               /* the request line as written */
	struct sigv4_header h[32];
	char *raw_headers;             /* the header lines as written, for the signed request */
	size_t nh;
	const char *body;
	size_t body_len;
	char *text;
};

static void
req_free(struct req *r)
{
	size_t i;

	free(r->method);
	free(r->path);
	free(r->query);
	free(r->head_line);
	free(r->raw_headers);
	for (i = 0; i < r->nh; i++) {
		free((char *)r->h[i].name);
		free((char *)r->h[i].value);
	}
	free(r->text);
}

static int
parse_request(char *text, size_t len, struct req *r)
{
	char *p = text, *end = text + len, *eol, *sp, *http, *q;
	struct buf raw = BUF_INIT;

	memset(r, 0, sizeof *r);
	r->text = text;
	eol = memchr(p, '\n', (size_t)(end - p));
	if (!eol)
		eol = end;
	r->head_line = cs_strndup(p, (size_t)(eol - p));
	sp = strchr(r->head_line, ' ');
	http = strstr(r->head_line, " HTTP/");
	if (!sp || !http || http < sp)
		return -1;
	r->method = cs_strndup(r->head_line, (size_t)(sp - r->head_line));
	r->path = cs_strndup(sp + 1, (size_t)(http - sp - 1));
	q = strchr(r->path, '?');
	if (q) {
		r->query = cs_strdup(q + 1);
		*q = '\0';
	}
	p = eol < end ? eol + 1 : end;
	while (p < end) {
		char *colon;

		eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		if (eol == p) { /* blank line: the body follows */
			p = eol + 1;
			break;
		}
		buf_add(&raw, p, (size_t)(eol - p));
		buf_addc(&raw, '\n');
		if ((*p == ' ' || *p == '\t') && r->nh > 0) {
			/* a folded line continues the value above */
			struct buf v = BUF_INIT;

			buf_adds(&v, r->h[r->nh - 1].value);
			buf_addc(&v, '\n');
			buf_add(&v, p, (size_t)(eol - p));
			free((char *)r->h[r->nh - 1].value);
			r->h[r->nh - 1].value = buf_detach(&v);
		} else {
			colon = memchr(p, ':', (size_t)(eol - p));
			if (!colon || r->nh == 32)
				return -1;
			r->h[r->nh].name = cs_strndup(p, (size_t)(colon - p));
			r->h[r->nh].value = cs_strndup(colon + 1, (size_t)(eol - colon - 1));
			r->nh++;
		}
		p = eol < end ? eol + 1 : end;
	}
	r->raw_headers = buf_detach(&raw);
	r->body = p;
	r->body_len = (size_t)(end - p);
	return 0;
}

static char *
jstr(jv obj, const char *k1, const char *k2)
{
	jv v = jv_object_get(jv_copy(obj), jv_string(k1));
	char *s = NULL;

	if (k2 && jv_get_kind(v) == JV_KIND_OBJECT)
		v = jv_object_get(v, jv_string(k2));
	if (jv_get_kind(v) == JV_KIND_STRING)
		s = cs_strdup(jv_string_value(v));
	jv_free(v);
	return s;
}

static int
jbool(jv obj, const char *k)
{
	jv v = jv_object_get(jv_copy(obj), jv_string(k));
	int t = jv_get_kind(v) == JV_KIND_TRUE;

	jv_free(v);
	return t;
}

static void
run_case(const char *dir, const char *name)
{
	char cdir[6144];
	char *ctx_text, *req_text, *want_creq, *want_sts, *want_sig, *want_signed;
	size_t ctx_len = 0, req_len = 0;
	char *ak, *sk, *tok, *region, *service, *ts;
	struct sigv4_input in;
	struct sigv4_output out;
	struct cs_err err;
	struct req r;
	struct buf sreq = BUF_INIT;
	int64_t ms = 0;
	jv ctx;

	snprintf(cdir, sizeof cdir, "%s/%s", dir, name);
	ctx_text = slurp(cdir, "context.json", &ctx_len);
	req_text = slurp(cdir, "request.txt", &req_len);
	want_creq = slurp(cdir, "header-canonical-request.txt", NULL);
	want_sts = slurp(cdir, "header-string-to-sign.txt", NULL);
	want_sig = slurp(cdir, "header-signature.txt", NULL);
	want_signed = slurp(cdir, "header-signed-request.txt", NULL);
	if (!ctx_text || !req_text || !want_creq || !want_sts || !want_sig || !want_signed) {
		ok(0, "%s: all six files present", name);
		goto done0;
	}
	ctx = jv_parse_sized(ctx_text, (int)ctx_len);
	if (!ok(jv_get_kind(ctx) == JV_KIND_OBJECT, "%s: context.json parses", name)) {
		jv_free(ctx);
		goto done0;
	}
	ak = jstr(ctx, "credentials", "access_key_id");
	sk = jstr(ctx, "credentials", "secret_access_key");
	tok = jstr(ctx, "credentials", "token");
	region = jstr(ctx, "region", NULL);
	service = jstr(ctx, "service", NULL);
	ts = jstr(ctx, "timestamp", NULL);
	if (!ok(parse_request(req_text, req_len, &r) == 0, "%s: request.txt parses", name) ||
	    !ok(ts && cs_parse_rfc3339(ts, strlen(ts), &ms) == 0, "%s: timestamp parses", name))
		goto done;

	memset(&in, 0, sizeof in);
	in.method = r.method;
	in.path = r.path;
	in.query = r.query;
	in.headers = r.h;
	in.nheaders = r.nh;
	in.body = r.body;
	in.body_len = r.body_len;
	in.region = region;
	in.service = service;
	in.access_key = ak;
	in.secret_key = sk;
	/* omit_session_token: the token is sent but added after signing */
	in.session_token = jbool(ctx, "omit_session_token") ? NULL : tok;
	in.now = (time_t)(ms / 1000);
	in.normalize_path = jbool(ctx, "normalize");
	in.sign_body = jbool(ctx, "sign_body");

	sigv4_output_init(&out);
	if (ok(sigv4_sign(&in, &out, &err) == 0, "%s: signs", name)) {
		is_str(out.canonical_request.data, want_creq, "%s: canonical request", name);
		is_str(out.string_to_sign.data, want_sts, "%s: string to sign", name);
		is_str(out.signature, want_sig, "%s: signature", name);
		/* the signed request, as the suite writes it */
		buf_adds(&sreq, r.head_line);
		buf_addc(&sreq, '\n');
		buf_adds(&sreq, r.raw_headers);
		if (tok)
			buf_printf(&sreq, "X-Amz-Security-Token:%s\n", tok);
		buf_printf(&sreq, "X-Amz-Date:%s\n", out.amz_date);
		if (in.sign_body)
			buf_printf(&sreq, "x-amz-content-sha256:%s\n", out.payload_hash);
		buf_printf(&sreq, "Authorization:%s\n\n", out.authorization.data);
		buf_add(&sreq, r.body, r.body_len);
		is_str(sreq.data, want_signed, "%s: signed request (Authorization header)", name);
	}
	sigv4_output_free(&out);
done:
	req_free(&r);
	req_text = NULL;
	jv_free(ctx);
	free(ak);
	free(sk);
	free(tok);
	free(region);
	free(service);
	free(ts);
	buf_free(&sreq);
done0:
	free(ctx_text);
	free(req_text);
	free(want_creq);
	free(want_sts);
	free(want_sig);
	free(want_signed);
}

static int
is_case(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

static const char *
suite_dir(const char *argv0)
{
	static char path[4096];
	struct stat st;
	const char *slash;

	if (stat("tests/sigv4", &st) == 0 && S_ISDIR(st.st_mode))
		return "tests/sigv4";
	/* build/asan/unit/test-sigv4 -> tests/sigv4 */
	slash = strrchr(argv0, '/');
	if (slash) {
		snprintf(path, sizeof path, "%.*s/../../../tests/sigv4", (int)(slash - argv0), argv0);
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
			return path;
	}
	return NULL;
}

static int
starts(const char *s, const char *prefix)
{
	return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* sign a request of our own; return the canonical request (caller frees) */
static char *
canon(const char *method, const char *path, const char *query, int normalize,
    const struct sigv4_header *h, size_t nh, const char *token)
{
	struct sigv4_input in;
	struct sigv4_output out;
	struct cs_err err;
	char *s = NULL;

	memset(&in, 0, sizeof in);
	in.method = method;
	in.path = path;
	in.query = query;
	in.headers = h;
	in.nheaders = nh;
	in.region = "us-east-1";
	in.service = "kinesis";
	in.access_key = "AKIDEXAMPLE";
	in.secret_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
	in.session_token = token;
	in.now = 1440938160;
	in.normalize_path = normalize;
	sigv4_output_init(&out);
	if (sigv4_sign(&in, &out, &err) == 0)
		s = buf_detach(&out.canonical_request);
	sigv4_output_free(&out);
	return s;
}

static void
own_cases(void)
{
	struct sigv4_header host = { "Host", "localhost:4567" };
	struct sigv4_header h[3] = {
		{ "Host", "localhost:4567" },
		{ "X-Amz-Date", "19990101T000000Z" },   /* a caller's copy is ignored */
		{ "Authorization", "stale" },
	};
	struct sigv4_input in;
	struct sigv4_output out;
	struct cs_err err;
	char *s;

	s = canon("GET", "/a/b/../c/./d//", NULL, 1, &host, 1, NULL);
	ok(starts(s, "GET\n/a/c/d/\n"), "normalize: dot segments and repeated slashes");
	free(s);
	s = canon("GET", "/a/b/..", NULL, 1, &host, 1, NULL);
	ok(starts(s, "GET\n/a/\n"), "normalize: trailing '..' leaves a slash");
	free(s);
	s = canon("GET", "/../..", NULL, 1, &host, 1, NULL);
	ok(starts(s, "GET\n/\n"), "normalize: '..' above the root stays at the root");
	free(s);
	s = canon("GET", "/a%20b", NULL, 1, &host, 1, NULL);
	ok(starts(s, "GET\n/a%2520b\n"), "normalize: an encoded path is encoded again");
	free(s);
	s = canon("GET", "/a%20b c", NULL, 0, &host, 1, NULL);
	ok(starts(s, "GET\n/a%20b%20c\n"), "unnormalized: existing escapes kept, once encoded");
	free(s);
	s = canon("GET", "", NULL, 1, &host, 1, NULL);
	ok(starts(s, "GET\n/\n"), "empty path is '/'");
	free(s);
	s = canon("GET", "/", "b=2&a=%7e&a=1&c&&d=x+y%2F", 1, &host, 1, NULL);
	ok(starts(s, "GET\n/\na=1&a=~&b=2&c=&d=x%2By%2F\n"),
	    "query: decoded, re-encoded, sorted by key then value");
	free(s);
	s = canon("POST", "/", NULL, 1, h, 3, "TOKEN");
	ok(s && strstr(s, "x-amz-date:20150830T123600Z\nx-amz-security-token:TOKEN\n\n"
	    "host;x-amz-date;x-amz-security-token\n") != NULL,
	    "caller's X-Amz-Date and Authorization ignored; token signed");
	free(s);

	memset(&in, 0, sizeof in);
	in.method = "POST";
	in.path = "/";
	in.headers = &host;
	in.nheaders = 1;
	in.region = "us-east-1";
	in.service = "kinesis";
	in.access_key = "AKID";
	in.secret_key = "";
	sigv4_output_init(&out);
	ok(sigv4_sign(&in, &out, &err) == -1 && strstr(err.msg, "secret access key"),
	    "a missing secret key is an error: %s", err.msg);
	sigv4_output_free(&out);
}

int
main(int argc, char **argv)
{
	struct dirent **list;
	const char *dir;
	int n, i, ncases = 0;

	(void)argc;
	dir = suite_dir(argv[0]);
	if (!ok(dir != NULL, "the suite folder tests/sigv4 is found"))
		return done_testing();
	n = scandir(dir, &list, is_case, alphasort);
	ok(n > 0, "the suite folder can be listed");
	for (i = 0; i < n; i++) {
		char p[6144];
		struct stat st;

		snprintf(p, sizeof p, "%s/%s", dir, list[i]->d_name);
		if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
			run_case(dir, list[i]->d_name);
			ncases++;
		}
		free(list[i]);
	}
	free(list);
	is_int(ncases, 38, "every case folder of the suite was run");
	own_cases();
	return done_testing();
}
