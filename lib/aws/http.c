/* http.c - HTTP over libcurl with keep-alive and requests in flight (see http.h). */
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http.h"

#define HTTP_BODY_MAX (64u << 20) /* larger answers are cut off: no AWS JSON answer comes near */

struct xfer {
	CURL *easy;
	struct curl_slist *hdrs;
	struct http_response resp;
	http_done_fn done;
	void *ctx;
	http_data_fn on_data;       /* a streaming request */
	int toobig, aborted;
	char errbuf[CURL_ERROR_SIZE];
	struct xfer *prev, *next;   /* the client's transfers in flight */
};

struct http_client {
	CURLM *multi;
	struct http_options o;
	char *ca_bundle;
	int inflight;
	int secret;       /* answers may hold credentials: wiped after use; 1: no proxy either */
	struct xfer *live;
	CURL **idle;      /* easy handles kept for reuse */
	size_t nidle, capidle;
};

static void
global_init(void)
{
	static int done;

	if (!done) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		done = 1;
	}
}

void
http_response_init(struct http_response *r)
{
	memset(r, 0, sizeof *r);
	buf_init(&r->body);
}

void
http_response_free(struct http_response *r)
{
	buf_free(&r->body);
}

static size_t
on_body(char *p, size_t sz, size_t n, void *ud)
{
	struct xfer *x = ud;

	if (x->on_data) {
		long status = 0;

		curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
		if (status >= 200 && status < 300) {
			if (x->on_data(x->ctx, p, sz * n) < 0) {
				x->aborted = 1;
				return 0;
			}
			return sz * n;
		}
	}
	if (x->resp.body.len + sz * n > HTTP_BODY_MAX) {
		x->toobig = 1;
		return 0;
	}
	buf_add(&x->resp.body, p, sz * n);
	return sz * n;
}

static size_t
on_header(char *p, size_t sz, size_t n, void *ud)
{
	struct http_response *r = ud;
	size_t len = sz * n;

	if (len > 5 && strncmp(p, "HTTP/", 5) == 0) {
		/* the status line (each one, after a 100 Continue too): keep its reason phrase */
		size_t i = 5, j, k = 0;

		while (i < len && p[i] != ' ')
			i++;
		while (i < len && p[i] == ' ')
			i++;
		while (i < len && p[i] >= '0' && p[i] <= '9')
			i++;
		while (i < len && p[i] == ' ')
			i++;
		j = len;
		while (j > i && (p[j - 1] == '\r' || p[j - 1] == '\n' || p[j - 1] == ' '))
			j--;
		for (; i < j && k + 1 < sizeof r->reason; i++)
			r->reason[k++] = p[i] >= 0x20 && p[i] < 0x7f ? p[i] : '?';
		r->reason[k] = '\0';
	} else if (len > 5 && strncasecmp(p, "date:", 5) == 0) {
		size_t i = 5, j;

		while (i < len && (p[i] == ' ' || p[i] == '\t'))
			i++;
		j = len;
		while (j > i && (p[j - 1] == '\r' || p[j - 1] == '\n' || p[j - 1] == ' '))
			j--;
		if (j - i < sizeof r->date) {
			memcpy(r->date, p + i, j - i);
			r->date[j - i] = '\0';
		}
	}
	return len;
}

static void
setup_easy(CURL *e, const char *ca_bundle, long connect_ms, long total_ms)
{
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, total_ms);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_USERAGENT, "cs/" CS_VERSION);
	if (ca_bundle)
		curl_easy_setopt(e, CURLOPT_CAINFO, ca_bundle);
}

struct http_client *
http_client_new(const struct http_options *o)
{
	struct http_client *c = cs_calloc(1, sizeof *c);
	const char *ca;

	global_init();
	if (o)
		c->o = *o;
	if (c->o.connect_timeout_ms <= 0)
		c->o.connect_timeout_ms = 5000;
	if (c->o.timeout_ms <= 0)
		c->o.timeout_ms = 30000;
	if (c->o.max_connections <= 0)
		c->o.max_connections = 8;
	ca = c->o.ca_bundle ? c->o.ca_bundle : cs_getenv("AWS_CA_BUNDLE");
	c->ca_bundle = ca ? cs_strdup(ca) : NULL;
	c->o.ca_bundle = c->ca_bundle;
	c->multi = curl_multi_init();
	if (c->o.http2)
		curl_multi_setopt(c->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
	curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS, c->o.max_connections);
	curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, c->o.max_connections * 2);
	return c;
}

static void
xfer_free(struct xfer *x, int wipe)
{
	if (wipe)
		buf_wipe_free(&x->resp.body);
	curl_slist_free_all(x->hdrs);
	http_response_free(&x->resp);
	free(x);
}

void
http_client_free(struct http_client *c)
{
	size_t i;

	if (!c)
		return;
	/* abandon whatever is still in flight, without calling back */
	while (c->live) {
		struct xfer *x = c->live;

		c->live = x->next;
		curl_multi_remove_handle(c->multi, x->easy);
		curl_easy_cleanup(x->easy);
		xfer_free(x, c->secret);
	}
	for (i = 0; i < c->nidle; i++)
		curl_easy_cleanup(c->idle[i]);
	free(c->idle);
	curl_multi_cleanup(c->multi);
	free(c->ca_bundle);
	free(c);
}

static struct xfer *
start(struct http_client *c, const char *method, const char *url,
    const char *const *headers, size_t nheaders, const char *body, size_t len,
    long stall_s, http_data_fn on_data, http_done_fn done, void *ctx)
{
	struct xfer *x = cs_calloc(1, sizeof *x);
	size_t i;

	http_response_init(&x->resp);
	x->done = done;
	x->ctx = ctx;
	x->on_data = on_data;
	if (c->nidle) {
		x->easy = c->idle[--c->nidle];
		curl_easy_reset(x->easy);
	} else {
		x->easy = curl_easy_init();
	}
	setup_easy(x->easy, c->ca_bundle, c->o.connect_timeout_ms, on_data ? 0 : c->o.timeout_ms);
	if (on_data && stall_s > 0) {
		curl_easy_setopt(x->easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(x->easy, CURLOPT_LOW_SPEED_TIME, stall_s);
	}
	if (c->o.http2) {
		if (strncmp(url, "http://", 7) != 0) {
			curl_easy_setopt(x->easy, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
		} else if (!c->inflight) {
			/*
			 * HTTP/2 without TLS, by prior knowledge.  libcurl 7.88 (Debian
			 * 12) fails such a transfer when it reuses a connection (curl
			 * issue 10634): the first transfer opens a fresh connection by
			 * prior knowledge, the ones started while it lives ask for
			 * HTTP/2 and are multiplexed onto it.
			 */
			curl_easy_setopt(x->easy, CURLOPT_HTTP_VERSION,
			    (long)CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE);
			curl_easy_setopt(x->easy, CURLOPT_FRESH_CONNECT, 1L);
		} else {
			curl_easy_setopt(x->easy, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2_0);
		}
		/* wait for the connection being set up rather than open another */
		curl_easy_setopt(x->easy, CURLOPT_PIPEWAIT, 1L);
	}
	if (c->secret == 1)
		curl_easy_setopt(x->easy, CURLOPT_NOPROXY, "*");
	for (i = 0; i < nheaders; i++)
		x->hdrs = curl_slist_append(x->hdrs, headers[i]);
	x->hdrs = curl_slist_append(x->hdrs, "Expect:");
	x->hdrs = curl_slist_append(x->hdrs, "Accept:");
	curl_easy_setopt(x->easy, CURLOPT_URL, url);
	curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, x->hdrs);
	curl_easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(x->easy, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(x->easy, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(x->easy, CURLOPT_HEADERDATA, &x->resp);
	curl_easy_setopt(x->easy, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(x->easy, CURLOPT_PRIVATE, x);
	if (strcmp(method, "GET") != 0) {
		/* borrowed, not copied: the caller keeps it until DONE */
		curl_easy_setopt(x->easy, CURLOPT_POSTFIELDS, len ? body : "");
		curl_easy_setopt(x->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
		if (strcmp(method, "POST") != 0)
			curl_easy_setopt(x->easy, CURLOPT_CUSTOMREQUEST, method);
	}
	curl_multi_add_handle(c->multi, x->easy);
	x->next = c->live;
	if (c->live)
		c->live->prev = x;
	c->live = x;
	c->inflight++;
	return x;
}

void
http_start(struct http_client *c, const char *method, const char *url,
    const char *const *headers, size_t nheaders, const char *body, size_t len,
    http_done_fn done, void *ctx)
{
	start(c, method, url, headers, nheaders, body, len, 0, NULL, done, ctx);
}

struct http_xfer *
http_start_stream(struct http_client *c, const char *method, const char *url,
    const char *const *headers, size_t nheaders, const char *body, size_t len,
    long stall_s, http_data_fn on_data, http_done_fn done, void *ctx)
{
	return (struct http_xfer *)start(c, method, url, headers, nheaders, body, len, stall_s,
	    on_data, done, ctx);
}

void
http_pause(struct http_xfer *hx, int pause)
{
	struct xfer *x = (struct xfer *)hx;

	curl_easy_pause(x->easy, pause ? CURLPAUSE_RECV : CURLPAUSE_CONT);
}

static void
unlink_xfer(struct http_client *c, struct xfer *x)
{
	c->inflight--;
	if (x->prev)
		x->prev->next = x->next;
	else
		c->live = x->next;
	if (x->next)
		x->next->prev = x->prev;
}

void
http_cancel(struct http_client *c, struct http_xfer *hx)
{
	struct xfer *x = (struct xfer *)hx;

	curl_multi_remove_handle(c->multi, x->easy);
	unlink_xfer(c, x);
	/* a handle cut off mid-answer: not kept for reuse */
	curl_easy_cleanup(x->easy);
	xfer_free(x, c->secret);
}

/* the HTTP version E was answered in, "" before any answer */
static const char *
http_version_name(CURL *e)
{
	long v = 0;

	curl_easy_getinfo(e, CURLINFO_HTTP_VERSION, &v);
	switch (v) {
	case CURL_HTTP_VERSION_1_0:
		return "HTTP/1.0";
	case CURL_HTTP_VERSION_1_1:
		return "HTTP/1.1";
	case CURL_HTTP_VERSION_2_0:
		return "HTTP/2";
#if LIBCURL_VERSION_NUM >= 0x074200 /* 7.66: HTTP/3 */
	case CURL_HTTP_VERSION_3:
		return "HTTP/3";
#endif
	default:
		return "";
	}
}

static void
finish(struct http_client *c, CURL *e, CURLcode res)
{
	struct xfer *x;

	curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&x);
	curl_multi_remove_handle(c->multi, e);
	unlink_xfer(c, x);
	curl_easy_getinfo(e, CURLINFO_TOTAL_TIME, &x->resp.seconds);
	x->resp.version = http_version_name(e);
	if (res == CURLE_OK) {
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &x->resp.status);
	} else {
		x->resp.status = 0;
		snprintf(x->resp.error, sizeof x->resp.error, "%s",
		    x->toobig ? "answer too large" : x->aborted ? "ended by the reader" :
		    x->errbuf[0] ? x->errbuf : curl_easy_strerror(res));
		/* what a retry cannot mend: certificates, CA files, protocols, URLs */
		switch (res) {
		case CURLE_UNSUPPORTED_PROTOCOL:
		case CURLE_URL_MALFORMAT:
		case CURLE_PEER_FAILED_VERIFICATION:
		case CURLE_SSL_CERTPROBLEM:
		case CURLE_SSL_CIPHER:
		case CURLE_SSL_CACERT_BADFILE:
		case CURLE_SSL_CRL_BADFILE:
		case CURLE_SSL_ISSUER_ERROR:
		case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
			x->resp.permanent = 1;
			break;
		default:
			break;
		}
	}
	/* keep the handle (and so its connection) for the next request */
	if (c->nidle == c->capidle) {
		c->capidle = c->capidle ? c->capidle * 2 : 8;
		c->idle = cs_realloc(c->idle, c->capidle * sizeof *c->idle);
	}
	c->idle[c->nidle++] = e;
	x->done(x->ctx, &x->resp);
	x->easy = NULL;
	xfer_free(x, c->secret);
}

static int
drain(struct http_client *c)
{
	CURLMsg *m;
	int q, n = 0;

	while ((m = curl_multi_info_read(c->multi, &q)) != NULL) {
		if (m->msg == CURLMSG_DONE) {
			finish(c, m->easy_handle, m->data.result);
			n++;
		}
	}
	return n;
}

int
http_run(struct http_client *c, int timeout_ms, int extra_fd)
{
	int running;
	struct curl_waitfd wfd;

	curl_multi_perform(c->multi, &running);
	if (drain(c))
		return c->inflight;
	wfd.fd = extra_fd;
	wfd.events = CURL_WAIT_POLLIN;
	wfd.revents = 0;
	if (timeout_ms > 0)
		curl_multi_poll(c->multi, extra_fd >= 0 ? &wfd : NULL, extra_fd >= 0 ? 1 : 0,
		    timeout_ms, NULL);
	curl_multi_perform(c->multi, &running);
	drain(c);
	return c->inflight;
}

int
http_inflight(const struct http_client *c)
{
	return c->inflight;
}

void
http_wakeup(struct http_client *c)
{
	curl_multi_wakeup(c->multi);
}

int
http_url_split(const char *url, char **host, char **path)
{
	const char *p = strstr(url, "://"), *slash;
	size_t hl;

	if (!p)
		return -1;
	p += 3;
	slash = strchr(p, '/');
	hl = slash ? (size_t)(slash - p) : strlen(p);
	if (hl == 0 || memchr(p, '@', hl) || memchr(p, '?', hl))
		return -1;
	*host = cs_strndup(p, hl);
	/* curl leaves the default port out of Host: do the same */
	if (strncmp(url, "http://", 7) == 0 && hl > 3 && strcmp(*host + hl - 3, ":80") == 0)
		(*host)[hl - 3] = '\0';
	if (strncmp(url, "https://", 8) == 0 && hl > 4 && strcmp(*host + hl - 4, ":443") == 0)
		(*host)[hl - 4] = '\0';
	*path = cs_strdup(slash && slash[1] ? slash : "/");
	return 0;
}

void
http_url_shown(const char *url, struct buf *out)
{
	const char *host = strstr(url, "://"), *at = NULL, *p;
	size_t end;

	host = host ? host + 3 : url;
	/* the authority ends at the path, query or fragment; its user information at its last '@' */
	end = strcspn(host, "/?#");
	for (p = host; p < host + end; p++)
		if (*p == '@')
			at = p;
	if (at)
		buf_printf(out, "%.*s%s", (int)(host - url), url, at + 1);
	else
		buf_adds(out, url);
}

struct simple_ctx {
	struct http_response *out;
	int done;
};

static void
simple_done(void *ctx, struct http_response *r)
{
	struct simple_ctx *sc = ctx;

	sc->out->status = r->status;
	buf_reset(&sc->out->body);
	buf_add(&sc->out->body, r->body.data ? r->body.data : "", r->body.len);
	memcpy(sc->out->date, r->date, sizeof r->date);
	memcpy(sc->out->reason, r->reason, sizeof r->reason);
	memcpy(sc->out->error, r->error, sizeof r->error);
	sc->out->seconds = r->seconds;
	sc->done = 1;
}

/*
 * One transfer through a private client: the same code path, no shared
 * state.  A signal counted in cs_signalled while it waits ends it at once
 * (status 0, "interrupted").
 */
static int
simple(const char *method, const char *url, const char *const *headers, size_t nheaders,
    const char *body, size_t len, long timeout_ms, const char *ca_bundle, int secret,
    struct http_response *resp)
{
	struct http_options o = { 0 };
	struct simple_ctx sc = { resp, 0 };
	sig_atomic_t seen = cs_signalled;
	struct http_client *c;
	struct xfer *x;

	o.connect_timeout_ms = timeout_ms;
	o.timeout_ms = timeout_ms;
	o.max_connections = 1;
	o.ca_bundle = ca_bundle;
	c = http_client_new(&o);
	c->secret = secret;
	x = start(c, method, url, headers, nheaders, body, len, 0, NULL, simple_done, &sc);
	while (!sc.done) {
		/* a signal ends the wait at once, as it ends a retry's */
		if (cs_signalled != seen) {
			http_cancel(c, (struct http_xfer *)x);
			resp->status = 0;
			snprintf(resp->error, sizeof resp->error, "interrupted");
			break;
		}
		http_run(c, 100, -1);
	}
	http_client_free(c);
	return resp->status ? 0 : -1;
}

int
http_simple(const char *method, const char *url, const char *const *headers,
    size_t nheaders, const char *body, size_t len, long timeout_ms,
    struct http_response *resp)
{
	/* metadata services answer with credentials, on a link-local address */
	return simple(method, url, headers, nheaders, body, len, timeout_ms, NULL, 1, resp);
}

int
http_simple_secret(const char *method, const char *url, const char *const *headers,
    size_t nheaders, const char *body, size_t len, long timeout_ms, const char *ca_bundle,
    struct http_response *resp)
{
	return simple(method, url, headers, nheaders, body, len, timeout_ms, ca_bundle, 2, resp);
}
