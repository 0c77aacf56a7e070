/* retry.c - the one retry policy of every tool (see retry.h). */
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "retry.h"

void
retry_policy_default(struct retry_policy *p)
{
	p->base_ms = RETRY_BASE_MS;
	p->cap_ms = RETRY_CAP_MS;
	p->budget_ms = RETRY_BUDGET_MS;
	p->max_attempts = 0;
}

uint64_t
retry_rand(uint64_t *s)
{
	uint64_t x = *s ? *s : 0x9e3779b97f4a7c15ull;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

uint64_t
retry_seed(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^ ((uint64_t)getpid() << 40) ^ 1;
}

unsigned
retry_backoff_ms(const struct retry_policy *p, unsigned attempt, uint64_t *rng)
{
	uint64_t ceil = p->base_ms;
	unsigned i;

	for (i = 1; i < attempt && ceil < p->cap_ms; i++)
		ceil *= 2;
	if (ceil > p->cap_ms)
		ceil = p->cap_ms;
	/* full jitter: uniform in [0, ceil], never below 1 ms */
	return (unsigned)(retry_rand(rng) % (ceil + 1)) + 1;
}

int
retry_allowed(const struct retry_policy *p, unsigned attempts, uint64_t elapsed_ms, unsigned wait_ms)
{
	if (p->max_attempts && attempts >= p->max_attempts)
		return 0;
	return elapsed_ms + wait_ms <= p->budget_ms;
}

int
retry_is_throttle(const char *code)
{
	static const char *const codes[] = {
		"ProvisionedThroughputExceededException", "ThrottlingException",
		"LimitExceededException", "RequestLimitExceeded", "Throttling",
		"ThrottledException", "TooManyRequestsException", "RequestThrottled",
		"RequestThrottledException", "KMSThrottlingException", NULL,
	};
	int i;

	for (i = 0; code && codes[i]; i++)
		if (strcmp(code, codes[i]) == 0)
			return 1;
	return 0;
}

int
retry_is_retryable(int http_status, const char *code)
{
	if (http_status == 0 || http_status >= 500 || http_status == 429)
		return 1;
	if (retry_is_throttle(code))
		return 1;
	if (code && (strcmp(code, "InternalFailure") == 0 || strcmp(code, "ServiceUnavailable") == 0 ||
	    strcmp(code, "InternalServerError") == 0 || strcmp(code, "TransactionInProgressException") == 0))
		return 1;
	return 0;
}

int
retry_is_fatal(int http_status, const char *code)
{
	static const char *const codes[] = {
		"ResourceNotFoundException", "AccessDeniedException", "UnrecognizedClientException",
		"InvalidSignatureException", "MissingAuthenticationTokenException",
		"IncompleteSignatureException", "ExpiredTokenException", "InvalidClientTokenId",
		"MissingAuthenticationToken", "AccessDenied", "SignatureDoesNotMatch",
		"NetworkError", "CredentialsError", "SigningError",
	};
	size_t i;

	if (!code || !code[0])
		return http_status == 0; /* no answer at all after every retry, or no credentials */
	for (i = 0; i < sizeof codes / sizeof codes[0]; i++)
		if (strcmp(code, codes[i]) == 0)
			return 1;
	return 0;
}

int
retry_is_clock_skew(const char *code, const char *message)
{
	if (!code)
		return 0;
	if (strcmp(code, "RequestTimeTooSkewed") == 0 || strcmp(code, "RequestExpired") == 0 ||
	    strcmp(code, "RequestInTheFuture") == 0)
		return 1;
	return strcmp(code, "InvalidSignatureException") == 0 && message &&
	    (strstr(message, "Signature expired") || strstr(message, "Signature not yet current"));
}
