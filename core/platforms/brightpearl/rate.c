/*
 * rate.c - Brightpearl's API metering, as the limiter's dialect.
 *
 * Every reply carries brightpearl-requests-remaining and
 * brightpearl-next-throttle-period (ms until the minute's quota resets);
 * the quota itself is not said.  Over the cap Brightpearl answers 503
 * with a "too many requests" body; its burst limit answers 429 with
 * Retry-After.
 */
#include "rate_int.h"

#include <limits.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#define BP_REMAINING "brightpearl-requests-remaining"
#define BP_PERIOD "brightpearl-next-throttle-period"

static int
bp_rate__read(ps_http_budget_hint *out, const ps_http_response *r)
{
	int64_t rem = ps_http_response_header_number(r, BP_REMAINING);

	out->remaining = rem > LONG_MAX ? LONG_MAX : (long)rem;
	out->reset_ms = ps_http_response_header_number(r, BP_PERIOD);
	out->window_ms = -1;
	out->quota = -1;
	out->refill_per_s = -1;
	return rem >= 0;
}

/*
 * The throttle is a 503 whose body says "You have sent too many requests.
 * Please wait before sending another request"; any other 503 is an
 * outage.
 */
static int
bp_rate__is_throttle(const ps_http_response *r)
{
	static const char needle[] = "too many requests";
	size_t n = sizeof(needle) - 1, i;

	if (r->status != 503 || r->body == NULL)
		return 0;
	for (i = 0; i + n <= r->body_len; i++) {
		if (strncasecmp(r->body + i, needle, n) == 0)
			return 1;
	}
	return 0;
}

/*
 * A 429 (the burst limit) says how long in Retry-After; the period header
 * is on every reply and counts to the end of the whole minute's window, so
 * it is the wait only for the 503 throttle, which carries no Retry-After.
 */
static int64_t
bp_rate__throttle_hint_ms(const ps_http_response *r, int64_t retry_after_ms)
{
	if (retry_after_ms >= 0)
		return retry_after_ms;
	return ps_http_response_header_number(r, BP_PERIOD);
}

/*
 * Brightpearl answers some client mistakes with a 500 whose error code
 * names them: CMNC-044 "Invalid patch operation (op) for given path" and
 * CMNC-018 "The filter ... cannot be parsed" (vicvans20/ruby-brightpearl
 * spec/fixtures/order_patch_error_operation.yml, order_search_bad_param.yml).
 * Asking again would get the same answer.
 */
int
ps_bp__is_refusal(const ps_http_response *r)
{
	static const char *const codes[] = {"\"CMNC-044\"", "\"CMNC-018\""};
	size_t c, i, n;

	if (r->status < 500 || r->body == NULL)
		return 0;
	for (c = 0; c < sizeof(codes) / sizeof(codes[0]); c++) {
		n = strlen(codes[c]);
		for (i = 0; i + n <= r->body_len; i++)
			if (memcmp(r->body + i, codes[c], n) == 0)
				return 1;
	}
	return 0;
}

const ps_http_dialect ps_bp__rate_dialect = {
	.unit = "requests",
	.read = bp_rate__read,
	.is_throttle = bp_rate__is_throttle,
	.throttle_hint_ms = bp_rate__throttle_hint_ms,
	.cost = NULL,
	.default_quota = -1,
	.default_refill_per_s = -1,
	.default_window_ms = -1,
	.is_refusal = ps_bp__is_refusal,
	/* 200 a minute: spent at once, the rest of the minute waits */
	.pace = 1,
};
