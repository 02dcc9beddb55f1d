/*
 * limit.c - per-platform throttling rules and the per-account limiter.
 *
 * Each platform tells the client how much of its quota is left, in its own
 * headers.  The limiter keeps, per (platform, account), the last count it
 * was told, counts down one per request it sends, and makes the next
 * request wait for the window's reset when only the reserve is left, so the
 * platform never has to refuse us.  Platforms that send nothing (DSCO and
 * ShipHero for now) are only subject to the retry policy's Retry-After.
 */
#include "http_int.h"

#include <curl/curl.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

int64_t
ps_http__header_number(const ps_http_response *r, const char *name)
{
	const char *v = ps_http_response_header(r, name);
	char *end;
	long long n;

	if (v == NULL || *v < '0' || *v > '9')
		return -1;
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno != 0 || end == v || n < 0)
		return -1;
	while (*end == ' ' || *end == '\t')
		end++;
	return *end == '\0' ? (int64_t)n : -1;
}

/* An HTTP-date (any of the three forms RFC 9110 allows) as unix s, or -1. */
static int64_t
http_date(const char *v)
{
	time_t t;

	if (v == NULL || *v == '\0')
		return -1;
	t = curl_getdate(v, NULL);
	return t < 0 ? -1 : (int64_t)t;
}

int64_t
ps_http__retry_after_ms(const ps_http_response *r, int64_t wall_now)
{
	const char *v = ps_http_response_header(r, "Retry-After");
	int64_t s = ps_http__header_number(r, "Retry-After"), at, ref;

	if (s >= 0)
		return s > INT64_MAX / 1000 ? -1 : s * 1000;
	if ((at = http_date(v)) < 0)
		return -1;
	ref = http_date(ps_http_response_header(r, "Date"));
	if (ref < 0)
		ref = wall_now / 1000;
	if (at <= ref)
		return 0;
	return at - ref > INT64_MAX / 1000 ? -1 : (at - ref) * 1000;
}

/* --- Brightpearl ------------------------------------------------------- */

/*
 * Every reply carries brightpearl-requests-remaining and
 * brightpearl-next-throttle-period (ms until the minute's quota resets).
 */
static int
bp_limit_read(ps_http__limit_hint *out, const ps_http_response *r)
{
	int64_t rem =
		ps_http__header_number(r, "brightpearl-requests-remaining");

	out->remaining = rem > LONG_MAX ? LONG_MAX : (long)rem;
	out->reset_ms =
		ps_http__header_number(r, "brightpearl-next-throttle-period");
	out->window_ms = -1;
	out->quota = -1;
	return rem >= 0;
}

/*
 * Over the cap Brightpearl answers 503 with the string body "You have sent
 * too many requests. Please wait before sending another request"; any
 * other 503 is an outage.
 */
static int
bp_is_throttle(const ps_http_response *r)
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
bp_throttle_hint_ms(const ps_http_response *r, int64_t retry_after_ms)
{
	if (retry_after_ms >= 0)
		return retry_after_ms;
	return ps_http__header_number(r, "brightpearl-next-throttle-period");
}

/* --- BigCommerce ------------------------------------------------------- */

/* The four X-Rate-Limit-* headers, on every reply including 429. */
static int
bc_limit_read(ps_http__limit_hint *out, const ps_http_response *r)
{
	int64_t rem = ps_http__header_number(r, "X-Rate-Limit-Requests-Left");
	int64_t quota =
		ps_http__header_number(r, "X-Rate-Limit-Requests-Quota");

	out->remaining = rem > LONG_MAX ? LONG_MAX : (long)rem;
	out->reset_ms = ps_http__header_number(r, "X-Rate-Limit-Time-Reset-Ms");
	out->window_ms =
		ps_http__header_number(r, "X-Rate-Limit-Time-Window-Ms");
	out->quota = quota > LONG_MAX ? LONG_MAX : (long)quota;
	return rem >= 0;
}

/*
 * On 429: Reset-Ms first (to the millisecond), then X-Retry-After
 * (seconds), then a generic Retry-After.
 */
static int64_t
bc_throttle_hint_ms(const ps_http_response *r, int64_t retry_after_ms)
{
	int64_t ms = ps_http__header_number(r, "X-Rate-Limit-Time-Reset-Ms");
	int64_t s;

	if (ms >= 0)
		return ms;
	s = ps_http__header_number(r, "X-Retry-After");
	if (s >= 0 && s <= INT64_MAX / 1000)
		return s * 1000;
	return retry_after_ms;
}

static const ps_http__platform_ops platform_ops[PS_PLATFORM_COUNT] = {
	[PS_PLATFORM_BRIGHTPEARL] = {bp_limit_read, bp_is_throttle,
				     bp_throttle_hint_ms},
	[PS_PLATFORM_BIGCOMMERCE] = {bc_limit_read, NULL, bc_throttle_hint_ms},
	/* DSCO and ShipHero: generic Retry-After only, for now */
	[PS_PLATFORM_DSCO] = {NULL, NULL, NULL},
	[PS_PLATFORM_SHIPHERO] = {NULL, NULL, NULL},
};

static const ps_http__platform_ops no_ops = {NULL, NULL, NULL};

const ps_http__platform_ops *
ps_http__platform(ps_platform p)
{
	return (unsigned)p < PS_PLATFORM_COUNT ? &platform_ops[p] : &no_ops;
}

/* --- the limiter -------------------------------------------------------- */

void
ps_http__limits_dispose(ps_http__limits *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++)
		free(l->v[i].account);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

ps_http__limit *
ps_http__limit_find(ps_http__limits *l, ps_platform p, const char *account,
		    int create)
{
	ps_http__limit *s;
	size_t i;

	if (account == NULL)
		account = "";
	for (i = 0; i < l->n; i++) {
		if (l->v[i].platform == p &&
		    strcmp(l->v[i].account, account) == 0)
			return &l->v[i];
	}
	if (!create)
		return NULL;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 4;
		ps_http__limit *v = realloc(l->v, cap * sizeof(*v));
		if (v == NULL)
			return NULL;
		l->v = v;
		l->cap = cap;
	}
	s = &l->v[l->n];
	s->account = ps_util__strdup(account);
	if (s->account == NULL)
		return NULL;
	s->platform = p;
	s->remaining = -1;
	s->quota = -1;
	s->window_ms = -1;
	s->reset_at = -1;
	memset(&s->breaker, 0, sizeof(s->breaker));
	l->n++;
	return s;
}

void
ps_http__limit_roll(ps_http__limit *s, int64_t now)
{
	if (s->reset_at < 0 || now < s->reset_at)
		return;
	/* a fresh window: full quota if we know it */
	s->remaining = s->quota;
	if (s->window_ms > 0) {
		int64_t behind = (now - s->reset_at) / s->window_ms + 1;
		s->reset_at += behind * s->window_ms;
	} else {
		s->reset_at = -1;
	}
}

int64_t
ps_http__limit_wait_ms(const ps_http__limit *s, int64_t now, int reserve)
{
	if (s->remaining < 0 || s->remaining > reserve || s->reset_at < 0 ||
	    now >= s->reset_at)
		return 0;
	return s->reset_at - now;
}

void
ps_http__limit_sent(ps_http__limit *s)
{
	if (s->remaining > 0)
		s->remaining--;
}

void
ps_http__limit_observe(ps_http__limit *s, const ps_http_response *r,
		       int64_t now)
{
	const ps_http__platform_ops *ops = ps_http__platform(s->platform);
	ps_http__limit_hint h;

	if (ops->limit_read == NULL || r->status == 0 ||
	    !ops->limit_read(&h, r))
		return;
	s->remaining = h.remaining;
	s->reset_at = h.reset_ms >= 0 ? now + h.reset_ms : -1;
	if (h.window_ms > 0)
		s->window_ms = h.window_ms;
	if (h.quota >= 0)
		s->quota = h.quota;
}
