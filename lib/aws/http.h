/*
 * http.h - HTTP over libcurl: a client with a pool of keep-alive
 * connections and several requests in flight (curl multi).
 *
 * TLS verification is always on; AWS_CA_BUNDLE (or http_options.ca_bundle)
 * names an extra CA file.
 */
#ifndef CS_HTTP_H
#define CS_HTTP_H

#include <stddef.h>

#include "cs.h"

struct http_options {
	long connect_timeout_ms;  /* default 5000 */
	long timeout_ms;          /* whole request; default 30000 */
	const char *ca_bundle;    /* NULL: AWS_CA_BUNDLE, else the system's */
	long max_connections;     /* per host; default 8 */
	int http2;                /* HTTP/2, every request of a host multiplexed on one
	                           * connection: negotiated over TLS, prior knowledge
	                           * over plain http:// (as AWS event streams need) */
};

struct http_response {
	long status;            /* 0 when no answer was had */
	struct buf body;
	char date[64];          /* the Date header, for clock-skew correction */
	char reason[64];        /* the status line's reason phrase ("Forbidden"), or "" */
	char error[256];        /* transport error, when status is 0 */
	int permanent;          /* a transport error that no retry can heal (TLS, bad URL, CA file) */
	double seconds;         /* total time */
	const char *version;    /* the HTTP version answered in: "HTTP/1.1", "HTTP/2"; "" if none */
};

struct http_client;

typedef void (*http_done_fn)(void *ctx, struct http_response *resp);

struct http_client *http_client_new(const struct http_options *o);
void http_client_free(struct http_client *c);
/*
 * Start a request.  HEADERS are "Name: value" strings (copied); BODY is
 * borrowed: it must stay as it is until DONE is called.  DONE is called
 * from http_run() with the response, which is only valid during the call.
 */
void http_start(struct http_client *c, const char *method, const char *url,
    const char *const *headers, size_t nheaders, const char *body, size_t len,
    http_done_fn done, void *ctx);
/*
 * A streaming request: like http_start, but the body of a 2xx answer goes
 * to ON_DATA piece by piece as it arrives (ON_DATA returns -1 to end the
 * transfer with an error), and an error answer's body is kept in
 * resp.body for DONE as usual.  No limit on the whole request; a
 * transfer that receives nothing for STALL_S seconds ends with an error.
 * Returns the transfer, for http_pause and http_cancel, valid until DONE.
 */
typedef int (*http_data_fn)(void *ctx, const char *p, size_t n);
struct http_xfer;
struct http_xfer *http_start_stream(struct http_client *c, const char *method,
    const char *url, const char *const *headers, size_t nheaders, const char *body,
    size_t len, long stall_s, http_data_fn on_data, http_done_fn done, void *ctx);
/* Stop taking the answer in (HTTP/2 flow control then holds the sender back), or go on. */
void http_pause(struct http_xfer *x, int pause);
/* End a transfer now: DONE is not called. */
void http_cancel(struct http_client *c, struct http_xfer *x);

/*
 * Move transfers on, waiting at most TIMEOUT_MS for activity on them or
 * on EXTRA_FD (-1 for none), and call the DONE of each finished one.
 * Returns the number still in flight.
 */
int http_run(struct http_client *c, int timeout_ms, int extra_fd);
int http_inflight(const struct http_client *c);
/* Cut http_run's wait short from another thread or a signal handler. */
void http_wakeup(struct http_client *c);

/*
 * The Host header value curl sends for URL (without the default port of
 * its scheme), and its path ("/" when none), malloc'ed, for signing.  -1
 * when URL has no "://", or an empty host or one with '@' or '?' in it.
 */
int http_url_split(const char *url, char **host, char **path);

/* URL onto OUT without the user information ("user:password@") of its authority: for messages. */
void http_url_shown(const char *url, struct buf *out);

/*
 * A blocking request with its own short-lived connection (metadata
 * services).  A signal counted in cs_signalled while it waits ends it at
 * once: -1, RESP's status 0 and its error "interrupted".
 */
int http_simple(const char *method, const char *url, const char *const *headers,
    size_t nheaders, const char *body, size_t len, long timeout_ms,
    struct http_response *resp);
/*
 * Like http_simple, for remote services whose answers hold credentials
 * (STS, the IAM Identity Center portal): the proxy settings are honoured,
 * CA_BUNDLE (NULL: AWS_CA_BUNDLE) names extra CAs, buffers are wiped.
 */
int http_simple_secret(const char *method, const char *url, const char *const *headers,
    size_t nheaders, const char *body, size_t len, long timeout_ms, const char *ca_bundle,
    struct http_response *resp);
void http_response_init(struct http_response *r);
void http_response_free(struct http_response *r);

#endif
