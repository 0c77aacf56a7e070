/*
 * retry.h - the one retry policy of every tool.
 *
 * Throttling errors, HTTP 5xx and network errors are retried with
 * exponential backoff and full jitter (a random wait in [0, min(cap,
 * base * 2^attempt)]), within a total time budget; client errors are not.
 */
#ifndef CS_RETRY_H
#define CS_RETRY_H

#include <stdint.h>

#define RETRY_BASE_MS 50u
#define RETRY_CAP_MS 5000u
#define RETRY_BUDGET_MS 120000u

struct retry_policy {
	unsigned base_ms;
	unsigned cap_ms;
	unsigned budget_ms;    /* total time from the first attempt; 0 = try once */
	unsigned max_attempts; /* 0 = as many as the budget allows */
};

void retry_policy_default(struct retry_policy *p);
/* The wait before attempt number ATTEMPT+1 (ATTEMPT >= 1 failed so far). */
unsigned retry_backoff_ms(const struct retry_policy *p, unsigned attempt, uint64_t *rng);
/* 1 when another attempt fits: ATTEMPTS made so far, ELAPSED ms since the first, WAIT ms to come. */
int retry_allowed(const struct retry_policy *p, unsigned attempts, uint64_t elapsed_ms, unsigned wait_ms);
/* 1 for the throttling error codes (ProvisionedThroughputExceededException, ...). */
int retry_is_throttle(const char *code);
/* 1 when a failure is worth retrying: HTTP_STATUS 0 means a network error. */
int retry_is_retryable(int http_status, const char *code);
/*
 * 1 when a failure that outlived the retries concerns every request
 * alike, so that no later one can succeed: no answer at all (network, no
 * credentials), the credentials or the signature refused, the table or
 * stream missing.  The one "failed for good" classifier; cs-put's putter
 * adds to it (lib/engines/putter.c says why).
 */
int retry_is_fatal(int http_status, const char *code);
/* 1 when CODE says our clock is off (RequestTimeTooSkewed, InvalidSignatureException "Signature expired", ...). */
int retry_is_clock_skew(const char *code, const char *message);
/* A seed for the jitter generator; xorshift64 step. */
uint64_t retry_seed(void);
uint64_t retry_rand(uint64_t *state);

#endif
