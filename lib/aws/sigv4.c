/*
 * sigv4.c - AWS Signature Version 4 for HTTP headers.
 *
 * One static function per step of the spec:
 *   canonical_uri / canonical_query / canonical_headers  -> canonical_request
 *   string_to_sign -> signing_key -> signature -> authorization
 * The time is an input, so the tests pin it.
 *
 * Path encoding: with normalize_path (every service but S3) the path has
 * its dot segments and repeated slashes removed and every byte outside
 * the unreserved set is percent-encoded, '%' included: a path that was
 * already encoded is encoded a second time, as AWS wants for those
 * services.  Without normalize_path (S3) the path is kept as given and
 * encoded once: an existing "%XY" escape is left alone.
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "sigv4.h"

#define ALGORITHM "AWS4-HMAC-SHA256"

/* a header as it goes into the canonical request */
struct canon_hdr {
	char *name;     /* lower-cased */
	char *value;    /* trimmed, blanks collapsed */
	size_t order;   /* position in the input, to keep duplicates in order */
};

/* a query parameter, both halves already encoded */
struct canon_param {
	char *key;
	char *value;
};

static int
is_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
}

static int
is_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f');
}

static int
hex_val(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return c - 'A' + 10;
}

/* see sigv4.h */
void
sigv4_uri_encode(struct buf *b, const char *s, size_t n, const char *keep)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (is_unreserved(c) || (c && keep && strchr(keep, c))) {
			buf_addc(b, (char)c);
		} else {
			buf_addc(b, '%');
			buf_addc(b, hex[c >> 4]);
			buf_addc(b, hex[c & 15]);
		}
	}
}

/* Decode "%XY" escapes of S[0..n) onto B ('+' stays a '+'). */
static void
uri_decode(struct buf *b, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && is_hex((unsigned char)s[i + 1]) &&
		    is_hex((unsigned char)s[i + 2])) {
			buf_addc(b, (char)(hex_val((unsigned char)s[i + 1]) * 16 +
			    hex_val((unsigned char)s[i + 2])));
			i += 2;
		} else {
			buf_addc(b, s[i]);
		}
	}
}

static void
sha256_hex(char out[65], const void *p, size_t n)
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256(p ? p : (const void *)"", n, md);
	cs_hex(out, md, sizeof md);
}

static int
hmac(unsigned char out[32], const void *key, size_t keylen, const void *msg, size_t n)
{
	unsigned int len = 32;

	return HMAC(EVP_sha256(), key, (int)keylen, msg, n, out, &len) ? 0 : -1;
}

/*
 * Remove "." and ".." segments and empty segments (repeated slashes)
 * from the path S[0..n).  The result starts with '/', and ends with '/'
 * when the input's last segment did (or was a dot segment).
 */
static void
normalize_path(struct buf *out, const char *s, size_t n)
{
	size_t *starts = cs_calloc(n / 2 + 2, sizeof *starts);
	size_t depth = 0, i = 0;
	int trailing = 0;

	buf_addc(out, '/');
	while (i < n) {
		size_t j = i;

		while (j < n && s[j] != '/')
			j++;
		if (j == i) {
			trailing = 1;
		} else if (j - i == 1 && s[i] == '.') {
			trailing = 1;
		} else if (j - i == 2 && s[i] == '.' && s[i + 1] == '.') {
			if (depth > 0)
				out->len = starts[--depth];
			out->data[out->len] = '\0';
			trailing = 1;
		} else {
			starts[depth++] = out->len;
			if (out->len > 1)
				buf_addc(out, '/');
			buf_add(out, s + i, j - i);
			trailing = 0;
		}
		i = j + 1;
		if (j < n && j + 1 == n)
			trailing = 1;
	}
	if (trailing && out->len > 1)
		buf_addc(out, '/');
	free(starts);
}

/* Step 1a: the canonical URI. */
static void
canonical_uri(struct buf *b, const char *path, int normalize)
{
	struct buf tmp = BUF_INIT;
	size_t i, n;

	if (!path || !*path)
		path = "/";
	n = strlen(path);
	if (normalize) {
		normalize_path(&tmp, path, n);
		sigv4_uri_encode(b, tmp.data, tmp.len, "/");
	} else {
		if (path[0] != '/')
			buf_addc(b, '/');
		/* encode once: existing escapes stay */
		for (i = 0; i < n; i++) {
			if (path[i] == '%' && i + 2 < n && is_hex((unsigned char)path[i + 1]) &&
			    is_hex((unsigned char)path[i + 2])) {
				buf_addc(b, '%');
				buf_addc(b, (char)(path[i + 1] >= 'a' ? path[i + 1] - 32 : path[i + 1]));
				buf_addc(b, (char)(path[i + 2] >= 'a' ? path[i + 2] - 32 : path[i + 2]));
				i += 2;
			} else {
				sigv4_uri_encode(b, path + i, 1, "/");
			}
		}
	}
	buf_free(&tmp);
}

static int
cmp_param(const void *a, const void *b)
{
	const struct canon_param *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c ? c : strcmp(x->value, y->value);
}

/* Step 1b: the canonical query string: each name and value decoded then re-encoded, sorted. */
static void
canonical_query(struct buf *b, const char *query)
{
	struct canon_param *p = NULL;
	size_t np = 0, cap = 0, i;
	const char *s = query;
	struct buf raw = BUF_INIT, enc = BUF_INIT;

	if (!query)
		return;
	while (*s) {
		const char *end = strchr(s, '&');
		const char *eq;
		size_t len = end ? (size_t)(end - s) : strlen(s);

		if (len > 0) {
			if (np == cap) {
				cap = cap ? cap * 2 : 8;
				p = cs_realloc(p, cap * sizeof *p);
			}
			eq = memchr(s, '=', len);
			buf_reset(&raw);
			buf_reset(&enc);
			uri_decode(&raw, s, eq ? (size_t)(eq - s) : len);
			sigv4_uri_encode(&enc, raw.data, raw.len, NULL);
			p[np].key = cs_strdup(enc.data ? enc.data : "");
			buf_reset(&raw);
			buf_reset(&enc);
			if (eq)
				uri_decode(&raw, eq + 1, len - (size_t)(eq + 1 - s));
			sigv4_uri_encode(&enc, raw.data ? raw.data : "", raw.len, NULL);
			p[np].value = cs_strdup(enc.data ? enc.data : "");
			np++;
		}
		s += len;
		if (*s == '&')
			s++;
	}
	if (np)
		qsort(p, np, sizeof *p, cmp_param);
	for (i = 0; i < np; i++) {
		if (i)
			buf_addc(b, '&');
		buf_adds(b, p[i].key);
		buf_addc(b, '=');
		buf_adds(b, p[i].value);
		free(p[i].key);
		free(p[i].value);
	}
	free(p);
	buf_free(&raw);
	buf_free(&enc);
}

static int
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* A header value trimmed, with every run of blanks (folded lines included) made one space. */
static char *
trim_value(const char *v)
{
	struct buf b = BUF_INIT;
	int pending = 0;

	buf_adds(&b, "");
	for (; v && *v; v++) {
		if (is_blank(*v)) {
			pending = b.len > 0;
			continue;
		}
		if (pending)
			buf_addc(&b, ' ');
		pending = 0;
		buf_addc(&b, *v);
	}
	return buf_detach(&b);
}

static int
cmp_hdr(const void *a, const void *b)
{
	const struct canon_hdr *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* the headers that the signer itself adds: a caller's copy of them is ignored */
static int
signer_header(const char *name)
{
	return !strcasecmp(name, "x-amz-date") || !strcasecmp(name, "x-amz-security-token") ||
	    !strcasecmp(name, "x-amz-content-sha256") || !strcasecmp(name, "authorization");
}

static void
add_hdr(struct canon_hdr *h, size_t *n, const char *name, const char *value)
{
	char *p;

	h[*n].name = cs_strdup(name);
	for (p = h[*n].name; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p + 32);
	h[*n].value = trim_value(value);
	h[*n].order = *n;
	(*n)++;
}

/*
 * Step 1c: canonical headers ("name:value\n" each, duplicates joined
 * with ',') onto CH, and the signed header list ("a;b;c") onto SH.
 */
static void
canonical_headers(struct buf *ch, struct buf *sh, const struct sigv4_input *in,
    const struct sigv4_output *out)
{
	struct canon_hdr *h = cs_calloc(in->nheaders + 3, sizeof *h);
	size_t n = 0, i;

	for (i = 0; i < in->nheaders; i++)
		if (in->headers[i].name && !signer_header(in->headers[i].name))
			add_hdr(h, &n, in->headers[i].name, in->headers[i].value);
	add_hdr(h, &n, "x-amz-date", out->amz_date);
	if (in->session_token && *in->session_token)
		add_hdr(h, &n, "x-amz-security-token", in->session_token);
	if (in->sign_body)
		add_hdr(h, &n, "x-amz-content-sha256", out->payload_hash);
	qsort(h, n, sizeof *h, cmp_hdr);
	for (i = 0; i < n; i++) {
		if (i > 0 && strcmp(h[i].name, h[i - 1].name) == 0) {
			/* a repeated name: its value joins the line above */
			ch->len--; /* the '\n' */
			buf_addc(ch, ',');
		} else {
			if (i > 0)
				buf_addc(sh, ';');
			buf_adds(sh, h[i].name);
			buf_adds(ch, h[i].name);
			buf_addc(ch, ':');
		}
		buf_adds(ch, h[i].value);
		buf_addc(ch, '\n');
	}
	for (i = 0; i < n; i++) {
		free(h[i].name);
		cs_wipe_free(h[i].value);
	}
	free(h);
}

/* Step 1: the canonical request; SIGNED gets the signed header list. */
static void
canonical_request(const struct sigv4_input *in, struct sigv4_output *out, struct buf *signed_hdrs)
{
	struct buf *b = &out->canonical_request;
	struct buf ch = BUF_INIT;

	buf_adds(b, in->method);
	buf_addc(b, '\n');
	canonical_uri(b, in->path, in->normalize_path);
	buf_addc(b, '\n');
	canonical_query(b, in->query);
	buf_addc(b, '\n');
	canonical_headers(&ch, signed_hdrs, in, out);
	buf_add(b, ch.data, ch.len);
	buf_addc(b, '\n');
	buf_add(b, signed_hdrs->data, signed_hdrs->len);
	buf_addc(b, '\n');
	buf_adds(b, out->payload_hash);
	buf_wipe_free(&ch);
}

/* Step 2: the string to sign. */
static void
string_to_sign(struct sigv4_output *out, const char *scope)
{
	char hash[65];

	sha256_hex(hash, out->canonical_request.data, out->canonical_request.len);
	buf_printf(&out->string_to_sign, ALGORITHM "\n%s\n%s\n%s", out->amz_date, scope, hash);
}

/* Step 3: the signing key, HMAC chain over date, region, service and "aws4_request". */
static int
signing_key(unsigned char key[32], const struct sigv4_input *in, const char *date)
{
	struct buf k = BUF_INIT;
	unsigned char a[32], b[32];
	int rc = -1;

	buf_printf(&k, "AWS4%s", in->secret_key);
	if (hmac(a, k.data, k.len, date, strlen(date)) < 0 ||
	    hmac(b, a, 32, in->region, strlen(in->region)) < 0 ||
	    hmac(a, b, 32, in->service, strlen(in->service)) < 0 ||
	    hmac(key, a, 32, "aws4_request", 12) < 0)
		goto out;
	rc = 0;
out:
	buf_wipe_free(&k);
	OPENSSL_cleanse(a, sizeof a);
	OPENSSL_cleanse(b, sizeof b);
	return rc;
}

/* Step 4: the signature and the Authorization header's value. */
static int
authorization(const struct sigv4_input *in, struct sigv4_output *out, const char *date,
    const char *scope, const struct buf *signed_hdrs)
{
	unsigned char key[32], sig[32];
	int rc;

	rc = signing_key(key, in, date);
	if (rc == 0)
		rc = hmac(sig, key, 32, out->string_to_sign.data, out->string_to_sign.len);
	OPENSSL_cleanse(key, sizeof key);
	if (rc < 0)
		return -1;
	cs_hex(out->signature, sig, sizeof sig);
	buf_printf(&out->authorization, ALGORITHM " Credential=%s/%s, SignedHeaders=%s, Signature=%s",
	    in->access_key, scope, signed_hdrs->data, out->signature);
	return 0;
}

void
sigv4_output_init(struct sigv4_output *out)
{
	memset(out, 0, sizeof *out);
	buf_init(&out->canonical_request);
	buf_init(&out->string_to_sign);
	buf_init(&out->authorization);
}

void
sigv4_output_free(struct sigv4_output *out)
{
	/* the canonical request holds the session token */
	buf_wipe_free(&out->canonical_request);
	buf_free(&out->string_to_sign);
	buf_free(&out->authorization);
	memset(out, 0, sizeof *out);
}

int
sigv4_sign(const struct sigv4_input *in, struct sigv4_output *out, struct cs_err *err)
{
	struct buf signed_hdrs = BUF_INIT, scope = BUF_INIT;
	char date[9];
	struct tm tm;
	int rc = -1;

	buf_reset(&out->canonical_request);
	buf_reset(&out->string_to_sign);
	buf_reset(&out->authorization);
	if (!in->method || !in->region || !*in->region || !in->service || !*in->service ||
	    !in->access_key || !*in->access_key || !in->secret_key || !*in->secret_key) {
		cs_err_set(err, "cannot sign the request: %s missing",
		    !in->method ? "method" : !in->region || !*in->region ? "region" :
		    !in->service || !*in->service ? "service" :
		    !in->access_key || !*in->access_key ? "access key id" : "secret access key");
		return -1;
	}
	if (!gmtime_r(&in->now, &tm) ||
	    strftime(out->amz_date, sizeof out->amz_date, "%Y%m%dT%H%M%SZ", &tm) != 16) {
		cs_err_set(err, "cannot sign the request: bad time");
		return -1;
	}
	memcpy(date, out->amz_date, 8);
	date[8] = '\0';
	sha256_hex(out->payload_hash, in->body, in->body ? in->body_len : 0);
	buf_printf(&scope, "%s/%s/%s/aws4_request", date, in->region, in->service);

	canonical_request(in, out, &signed_hdrs);
	string_to_sign(out, scope.data);
	if (authorization(in, out, date, scope.data, &signed_hdrs) < 0) {
		cs_err_set(err, "cannot sign the request: HMAC-SHA256 failed");
		goto out;
	}
	rc = 0;
out:
	buf_free(&signed_hdrs);
	buf_free(&scope);
	return rc;
}
