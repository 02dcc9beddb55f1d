/*
 * rate.c - BigCommerce's API metering, as the limiter's dialect.
 *
 * Every reply, 429 included, carries X-Rate-Limit-Requests-Left,
 * -Requests-Quota, -Time-Window-Ms and -Time-Reset-Ms: a quota of
 * requests per window per store.
 */
#include "rate_int.h"

#include <limits.h>
#include <stddef.h>

static long
bc_rate__long(const ps_http_response *r, const char *name)
{
	int64_t v = ps_http_response_header_number(r, name);

	return v > LONG_MAX ? LONG_MAX : (long)v;
}

static int
bc_rate__read(ps_http_budget_hint *out, const ps_http_response *r)
{
	out->remaining = bc_rate__long(r, "X-Rate-Limit-Requests-Left");
	out->quota = bc_rate__long(r, "X-Rate-Limit-Requests-Quota");
	out->reset_ms =
		ps_http_response_header_number(r, "X-Rate-Limit-Time-Reset-Ms");
	out->window_ms = ps_http_response_header_number(
		r, "X-Rate-Limit-Time-Window-Ms");
	out->refill_per_s = -1;
	return out->remaining >= 0;
}

/*
 * On 429: Reset-Ms first (to the millisecond), then X-Retry-After
 * (seconds), then a generic Retry-After.
 */
static int64_t
bc_rate__throttle_hint_ms(const ps_http_response *r, int64_t retry_after_ms)
{
	int64_t ms =
		ps_http_response_header_number(r, "X-Rate-Limit-Time-Reset-Ms");
	int64_t s;

	if (ms >= 0)
		return ms;
	s = ps_http_response_header_number(r, "X-Retry-After");
	if (s >= 0 && s <= INT64_MAX / 1000)
		return s * 1000;
	return retry_after_ms;
}

const ps_http_dialect ps_bc__rate_dialect = {
	.unit = "requests",
	.read = bc_rate__read,
	.is_throttle = NULL,
	.throttle_hint_ms = bc_rate__throttle_hint_ms,
	.cost = NULL,
	.default_quota = -1,
	.default_refill_per_s = -1,
	.default_window_ms = -1,
};
