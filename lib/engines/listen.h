/*
 * listen.h - the sample's endpoint: POST /report, each body one JSON
 * record, put through the putter (libmicrohttpd).
 *
 * Answers, all with "Access-Control-Allow-Origin: *" and (but 204)
 * "Content-Type: application/json":
 *   200 {"Code":"PutRecordSuccessful","Message":"Record was successfully put to STREAM",
 *        "Data":{"ShardId":"...","SequenceNumber":"..."}}   once the record is in the stream
 *   4xx/5xx {"Code":"...","Message":"..."}                  the service's code and status,
 *        or 400 InvalidJSON, 413 RecordTooLarge, 404 NotFound, 405 MethodNotAllowed
 *   204 to OPTIONS (CORS pre-flight)
 *
 * The body is put with its insignificant blanks removed (one line), not
 * re-encoded as a JSON string as the sample did.  HTTP handling runs on
 * libmicrohttpd's thread; records reach the putter, and answers go back,
 * on the thread that calls listen_serve().
 */
#ifndef CS_LISTEN_H
#define CS_LISTEN_H

#include <signal.h>
#include <stddef.h>

#include "cs.h"
#include "putkey.h"
#include "putter.h"

#define LISTEN_MAX_BODY PUT_MAX_RECORD_BYTES
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
	int verbose;                /* say where it listens */
	put_done_fn chain;          /* called too for each record's fate (rejects), or NULL */
	void *chain_arg;
};

struct listen_stats {
	unsigned long requests;
	unsigned long ok;             /* 200: a record put */
	unsigned long other;          /* 204: pre-flights */
	unsigned long client_errors, server_errors;
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
/* The limits in force (the connection limit lowered to the descriptor limit). */
void listen_limits(const struct listener *l, unsigned *max_connections, unsigned *per_ip);

/* --- request handling without a socket (for tests and the fuzzer) ---------- */

/* An answer: status, JSON body, and whether it is the CORS pre-flight or a 405. */
struct listen_answer {
	int status;
	struct buf body;
	int preflight;              /* 204: add the Access-Control-Allow-* headers */
	int allow;                  /* 405: add "Allow: POST, OPTIONS" */
};

/*
 * Decide about one complete request: 1 when the body is a record to put
 * (RECORD gets it, blanks removed), 0 when ANS holds the answer to give
 * at once.  TOO_LARGE: the body went over LISTEN_MAX_BODY (BODY holds
 * its start).
 */
int listen_request(const char *method, const char *url, const char *body, size_t len,
    int too_large, struct buf *record, struct listen_answer *ans);
/* The answer to a record's fate. */
void listen_answer_put(struct listen_answer *ans, const char *stream,
    const struct put_result *res);
/* An error answer {"Code":CODE,"Message":MSG} with STATUS. */
void listen_answer_error(struct listen_answer *ans, int status, const char *code,
    const char *msg);
/* Copy the valid JSON text S[0..n) to OUT without its insignificant blanks. */
void listen_minify(struct buf *out, const char *s, size_t n);

#endif
