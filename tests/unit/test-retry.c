/*
 * test-retry.c - the one retry policy: backoff with full jitter within
 * its cap, the budget and the attempt limit, and the classifiers
 * (throttling, worth retrying, failed for good, clock skew).
 */
#include <string.h>

#include "retry.h"
#include "tap.h"

int
main(void)
{
	struct retry_policy p;
	uint64_t rng = 42;
	unsigned a, w, max = 0;
	int over = 0;

	retry_policy_default(&p);
	is_int(p.base_ms, RETRY_BASE_MS, "default base");
	is_int(p.cap_ms, RETRY_CAP_MS, "default cap");
	is_int(p.budget_ms, RETRY_BUDGET_MS, "default budget");

	/* full jitter: a wait in [1, min(cap, base * 2^(attempt-1)) + 1] */
	for (a = 1; a <= 20; a++) {
		unsigned i, bound = RETRY_BASE_MS << (a > 10 ? 9 : a - 1);

		if (bound > RETRY_CAP_MS)
			bound = RETRY_CAP_MS;
		for (i = 0; i < 200; i++) {
			w = retry_backoff_ms(&p, a, &rng);
			if (w < 1 || w > bound + 1)
				over = 1;
			if (w > max)
				max = w;
		}
	}
	ok(!over, "every wait within base * 2^(attempt-1) and the cap, never 0");
	ok(max > RETRY_CAP_MS / 2, "the waits grow toward the cap (largest %u ms)", max);

	ok(retry_allowed(&p, 1, 0, 100), "a retry within the budget");
	ok(!retry_allowed(&p, 1, RETRY_BUDGET_MS - 50, 100), "not one that would end past the budget");
	p.max_attempts = 3;
	ok(retry_allowed(&p, 2, 0, 10), "attempt 3 of 3 allowed");
	ok(!retry_allowed(&p, 3, 0, 10), "attempt 4 of 3 not");
	p.max_attempts = 0;
	p.budget_ms = 0;
	ok(!retry_allowed(&p, 1, 0, retry_backoff_ms(&p, 1, &rng)), "budget 0: tried once");

	ok(retry_is_throttle("ProvisionedThroughputExceededException"), "throttle: PTEE");
	ok(retry_is_throttle("ThrottlingException"), "throttle: ThrottlingException");
	ok(!retry_is_throttle("ValidationException"), "not a throttle: ValidationException");

	ok(retry_is_retryable(0, ""), "retryable: no answer");
	ok(retry_is_retryable(503, "ServiceUnavailable"), "retryable: 503");
	ok(retry_is_retryable(429, ""), "retryable: 429");
	ok(retry_is_retryable(400, "ProvisionedThroughputExceededException"), "retryable: throttled 400");
	ok(!retry_is_retryable(400, "ValidationException"), "not retryable: ValidationException");

	ok(retry_is_fatal(0, ""), "for good: no answer at all");
	ok(retry_is_fatal(400, "ResourceNotFoundException"), "for good: no such stream or table");
	ok(retry_is_fatal(403, "AccessDeniedException"), "for good: access denied");
	ok(retry_is_fatal(400, "ExpiredTokenException"), "for good: expired token");
	ok(!retry_is_fatal(400, "ValidationException"), "not for good: one request's fault");
	ok(!retry_is_fatal(500, ""), "not for good: a 500 without a code");

	ok(retry_is_clock_skew("RequestTimeTooSkewed", NULL), "skew: RequestTimeTooSkewed");
	ok(retry_is_clock_skew("InvalidSignatureException", "Signature expired: 2018 is now earlier"),
	    "skew: an expired signature");
	ok(!retry_is_clock_skew("InvalidSignatureException", "The request signature we calculated"),
	    "not skew: a wrong signature");
	return done_testing();
}
