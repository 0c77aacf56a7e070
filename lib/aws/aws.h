/*
 * aws.h - calls to an AWS JSON-protocol service (Kinesis, DynamoDB):
 * endpoint and region resolution, credentials, SigV4, the retry policy,
 * clock-skew correction and the service's own error code and message.
 */
#ifndef CS_AWS_H
#define CS_AWS_H

#include <stddef.h>

#include "cs.h"

struct aws_client;

struct aws_stats {
	unsigned long requests;   /* HTTP requests sent, retries included */
	unsigned long retries;    /* requests that were re-sends */
	unsigned long throttled;  /* answers with a throttling error */
};

/* The outcome of one call, after every retry. */
struct aws_result {
	int ok;
	struct buf *body;        /* the response body (JSON) when ok */
	struct cs_err err;       /* when !ok: err.code = the service's error code */
	unsigned attempts;
};

typedef void (*aws_done_fn)(void *ctx, const struct aws_result *r);

/*
 * What a client is set up from (the tools fill it from their shared
 * options, lib/tool/opts.h: cs_opts_aws).  NULL strings: the environment
 * and the AWS config files decide.
 */
struct aws_config {
	const char *region;
	const char *profile;
	const char *endpoint_url;
	long connect_timeout_ms;    /* default 5000 */
	long timeout_ms;            /* default 30000 per request */
	unsigned retry_budget_ms;   /* default RETRY_BUDGET_MS */
	unsigned max_attempts;      /* 0: as the budget allows */
	int verbose;                /* a line to LOG for every request */
	/* non-zero once the run is to stop (default &cs_signalled): retries end at once */
	const volatile sig_atomic_t *stop;
	struct cs_log log;          /* the -v trace: "POST URL Op -> 200 (12 ms)" */
};

/* The defaults. */
void aws_config_init(struct aws_config *cfg);

/*
 * A client for SERVICE ("kinesis" or "dynamodb"), set up from CFG.
 * Credentials are looked for at the first request.
 */
struct aws_client *aws_client_new(const struct aws_config *cfg, const char *service,
    struct cs_err *err);
void aws_client_free(struct aws_client *c);
/* The endpoint URL in use (any user:password in it left out: for messages). */
const char *aws_client_endpoint(const struct aws_client *c);
const char *aws_client_region(const struct aws_client *c);

/*
 * Send operation OP (e.g. "PutRecords") with JSON BODY (copied).  Whole-
 * request failures that the policy retries (throttling, 5xx, network) are
 * retried inside; DONE is called once, from aws_run(), with the final
 * outcome (or from aws_submit() itself when the request cannot even be
 * sent, e.g. no credentials).
 */
void aws_submit(struct aws_client *c, const char *op, const char *body, size_t len,
    aws_done_fn done, void *ctx);
/* Move requests on (see http_run).  Returns the number still in flight or waiting to retry. */
int aws_run(struct aws_client *c, int timeout_ms, int extra_fd);
int aws_inflight(const struct aws_client *c);
/* Blocking call: 0 with RESP filled, or -1 with err. */
int aws_call(struct aws_client *c, const char *op, const char *body, size_t len,
    struct buf *resp, struct cs_err *err);
const struct aws_stats *aws_client_stats(const struct aws_client *c);
/* Ask in-flight retry waits to end early: pending retries fail at once with "interrupted". */
void aws_cancel_retries(struct aws_client *c);

/*
 * Streaming calls, for answers that are event streams (SubscribeToShard).
 * aws_client_use_http2 makes C speak HTTP/2, its requests multiplexed on
 * one connection (prior knowledge over http://), before any request.
 * aws_stream_start sends OP signed as usual, once (no retry: the caller
 * decides); the bytes of a 200 answer go to ON_DATA as they arrive
 * (return -1 to end the stream), and DONE is called from aws_run() when
 * the stream ends: ok when the service ended it, else err (an error
 * answer's code and message, or NetworkError).  A stream that receives
 * nothing for STALL_S seconds ends with NetworkError.  NULL with err when
 * it cannot even be sent (credentials); DONE is then never called.
 */
typedef int (*aws_data_fn)(void *ctx, const char *p, size_t n);
struct aws_stream;
void aws_client_use_http2(struct aws_client *c);
struct aws_stream *aws_stream_start(struct aws_client *c, const char *op, const char *body,
    size_t len, long stall_s, aws_data_fn on_data, aws_done_fn done, void *ctx,
    struct cs_err *err);
/* Stop taking the answer in (flow control holds the service back), or go on. */
void aws_stream_pause(struct aws_stream *s, int pause);
/* End a stream now (DONE is not called) and free it; NULL is fine. */
void aws_stream_cancel(struct aws_stream *s);

#endif
