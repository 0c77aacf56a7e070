/*
 * listen.h - cs-put --listen: the sample's endpoint, grown into a
 * collector a web page can use (libmicrohttpd).
 *
 *   POST /report (or /Prod/report)   one JSON record, a JSON array of
 *        records, or NDJSON (one record a line, whatever the Content-Type:
 *        text/plain as navigator.sendBeacon sends it, application/x-ndjson)
 *   GET /beacon.js                   the page script (lib/engines/beacon.js,
 *        compiled in)
 *   OPTIONS                          the CORS pre-flight
 *
 * A single record gets the sample's answers:
 *   200 {"Code":"PutRecordSuccessful","Message":"Record was successfully put to STREAM",
 *        "Data":{"ShardId":"...","SequenceNumber":"..."}}   once the record is in the stream
 *   4xx/5xx {"Code":"...","Message":"..."}                  the service's code and status,
 *        or 400 InvalidJSON, 413 RecordTooLarge, 404 NotFound, 405 MethodNotAllowed
 * An array or NDJSON gets one answer for all, in the shape of PutRecords:
 *   {"Code":"PutRecordsSuccessful"|"PutRecordsFailed","Message":"...",
 *    "FailedRecordCount":N,"Records":[{"ShardId":...,"SequenceNumber":...}
 *    or {"ErrorCode":...,"ErrorMessage":...}, ... in the body's order]}
 * with 200 only when every record is in the stream, else the highest
 * status among the failed records.
 *
 * CORS: without an Origin header "Access-Control-Allow-Origin: *" (the
 * sample's); with one, that origin and "Access-Control-Allow-Credentials:
 * true" (what a browser needs for sendBeacon and for fetch with
 * credentials), when it is allowed: any origin, or those of the
 * allow-list.  A request from an origin not on the list gets 403.
 *
 * Enrichment (unless NO_ENRICH): a record without "ip" gets the peer's
 * address (X-Forwarded-For's last address with TRUST_FORWARDED), one
 * without "timestamp" the server's clock, one without "country" the
 * country of its ip in the GeoIP database; with OVERRIDE the server's
 * values replace the client's.  "Without": absent, null or "".
 *
 * Each record is put with its insignificant blanks removed (one line).
 * HTTP handling runs on libmicrohttpd's thread; records reach the
 * putter, and answers go back, on the thread that calls listen_serve().
 */
#ifndef CS_LISTEN_H
#define CS_LISTEN_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "cs.h"
#include "metrics.h"
#include "geoip.h"
#include "putkey.h"
#include "putter.h"

#define LISTEN_MAX_BODY PUT_MAX_RECORD_BYTES
#define LISTEN_MAX_RECORDS 500      /* records in one request */
#define LISTEN_IDLE_TIMEOUT 10      /* s: a connection silent that long is closed */
#define LISTEN_GRACE_MS 5000        /* after a signal, for the last answers to go out */
#define LISTEN_FD_RESERVE 64        /* descriptors kept for the rest of the process */
#define LISTEN_MAX_FDS (1u << 20)   /* the descriptor limit is raised to this at most */
#define LISTEN_PER_IP 64            /* the default limit of connections per address */

struct listen_config {
	const char *addr;           /* "127.0.0.1:8080", "[::1]:8080", ":8080" (all addresses) */
	const char *stream;         /* for the success message */
	unsigned max_connections;   /* 0: as many as the descriptor limit allows */
	unsigned max_per_ip;        /* connections from one address at once; 0: no limit */
	int verbose;                /* say where it listens, to LOG */
	struct cs_log log;          /* "listening on ADDR (port N): POST /report; ..." */
	const char *const *allow_origins; /* NULL: every origin; else the list, NULL-ended */
	int trust_forwarded;        /* the client's address from X-Forwarded-For */
	int override;               /* the server's ip, timestamp, country replace the client's */
	int no_enrich;              /* put records as they came */
	const struct geoip *geo;    /* country lookups, or NULL */
	put_done_fn chain;          /* called too for each record's fate (rejects), or NULL */
	void *chain_arg;
	/*
	 * Metrics, or NULL: each answer counted by status code
	 * (cs_put_http_requests_total{code}) and timed from the request's
	 * arrival to its answer (cs_put_http_request_duration_seconds).
	 * METRICS_TEXT, when set, answers GET /metrics on this address (from
	 * libmicrohttpd's thread); TICK is called on the serving thread at
	 * least every 200 ms.
	 */
	struct cs_metrics *metrics;
	void (*metrics_text)(void *ctx, struct buf *out);
	void (*tick)(void *ctx);
	void *metrics_ctx;
};

struct listen_stats {
	unsigned long requests;
	unsigned long ok;             /* 200: records put */
	unsigned long other;          /* 204: pre-flights */
	unsigned long client_errors, server_errors;
	unsigned long records;        /* records received in the requests */
};

struct listener;

struct listener *listen_new(const struct listen_config *lc, struct cs_err *err);
void listen_free(struct listener *l);
/* The putter's DONE for records of the listener (arg: the listener). */
void listen_put_done(void *arg, const struct put_record *rec, const struct put_result *res);
/*
 * Serve until *STOP changes (a signal): then take no new connections,
 * answer every request in flight, and return 0.  -1 with err when the
 * address cannot be bound.
 */
int listen_serve(struct listener *l, struct putter *p, struct putkey *k,
    volatile sig_atomic_t *stop, struct cs_err *err);
void listen_get_stats(const struct listener *l, struct listen_stats *s);
/* Requests received and not yet answered, and connections open (0 when not serving). */
void listen_load(struct listener *l, unsigned long *in_flight, unsigned long *connections);
/* The limits in force (the connection limit lowered to the descriptor limit). */
void listen_limits(const struct listener *l, unsigned *max_connections, unsigned *per_ip);

/* --- request handling without a socket (for tests and the fuzzer) ---------- */

/* An answer: status, body, and what its headers need. */
struct listen_answer {
	int status;
	struct buf body;
	int preflight;              /* 204: add the Access-Control-Allow-* headers */
	int allow;                  /* 405: add "Allow: METHODS" */
	int script;                 /* the body is beacon.js (body empty here) */
	const char *methods;        /* of the path: "POST, OPTIONS" or "GET, HEAD, OPTIONS" */
};

/* One request as it came. */
struct listen_in {
	const char *method, *url;
	const char *origin;         /* the Origin header, or NULL */
	const char *forwarded;      /* X-Forwarded-For, or NULL */
	const char *peer;           /* the peer's address as text ("" when unknown) */
	const char *body;
	size_t len;
	int too_large;              /* the body went over LISTEN_MAX_BODY (BODY holds its start) */
	int64_t now_ms;             /* the wall clock, ms since the epoch */
};

enum { LI_PUT, LI_OK, LI_FAILED };

/* One record of a request and its fate. */
struct listen_item {
	struct buf record;          /* what to put (blanks removed, enriched); refused at once:
	                               its text as it came, for the rejects output */
	int state;                  /* LI_PUT: to be put; then LI_OK or LI_FAILED */
	int status;                 /* LI_FAILED: its HTTP status */
	char *code, *message;       /* LI_FAILED */
	char *shard_id, *sequence_number; /* LI_OK */
	void *owner;                /* the request (listen.c) */
	size_t line;                /* where it is in the body, for the rejects: its line
	                               (NDJSON) or element number (an array), from 1 */
};

struct listen_batch {
	struct listen_item *items;
	size_t n, cap;
	int single;                 /* the body was one JSON object: the sample's answers */
};

/*
 * Decide about one complete request: the number of records to put (B
 * holds them, LI_PUT, with those already refused, LI_FAILED), or 0 when
 * ANS holds the answer to give at once (an error, the pre-flight, the
 * script, or a batch whose every record was refused: B then holds them,
 * for the rejects output).
 */
int listen_request(const struct listen_config *cfg, const struct listen_in *in,
    struct listen_batch *b, struct listen_answer *ans);
/* 1 when ORIGIN may use the endpoint (CFG's allow-list, or any). */
int listen_origin_allowed(const struct listen_config *cfg, const char *origin);
/* Record a record's fate in IT. */
void listen_item_result(struct listen_item *it, const struct put_result *res);
/* The answer to a batch whose every record has its fate. */
void listen_answer_batch(struct listen_answer *ans, const char *stream,
    const struct listen_batch *b);
void listen_batch_free(struct listen_batch *b);
/* The answer to a single record's fate (the sample's). */
void listen_answer_put(struct listen_answer *ans, const char *stream,
    const struct put_result *res);
/* An error answer {"Code":CODE,"Message":MSG} with STATUS. */
void listen_answer_error(struct listen_answer *ans, int status, const char *code,
    const char *msg);
/* Copy the valid JSON text S[0..n) to OUT without its insignificant blanks. */
void listen_minify(struct buf *out, const char *s, size_t n);
/*
 * Add the server's fields to the record REC (a minified JSON object):
 * IP and TS (NULL: none) when the record lacks them, or always with
 * OVERRIDE; then the country of the record's ip from GEO (may be NULL).
 */
void listen_enrich(struct buf *rec, const char *ip, const char *ts, const struct geoip *geo,
    int override);

/* beacon.js, compiled in (build/gen/beacon.c, made from lib/engines/beacon.js) */
extern const unsigned char cs_beacon_js[];
extern const size_t cs_beacon_js_len;

#endif
