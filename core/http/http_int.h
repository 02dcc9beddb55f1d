/*
 * http_int.h - declarations shared by the files of the http module only.
 *
 * http.c runs requests and the retry loop; limit.c holds the per-platform
 * rules (which headers carry rate-limit state, what a throttle looks like,
 * which hint says how long to wait) and the per-account limiter state;
 * breaker.c the per-account circuit breaker kept beside it.
 */
#ifndef PEARLSYNC_HTTP_INT_H
#define PEARLSYNC_HTTP_INT_H

#include "internal.h"
#include "pearlsync/http.h"

/* What one response said about its rate-limit window; -1: not said. */
typedef struct ps_http__limit_hint {
	long remaining;    /* requests left in the current window */
	int64_t reset_ms;  /* ms from now until the window resets */
	int64_t window_ms; /* length of a window */
	long quota;        /* requests per window */
} ps_http__limit_hint;

/*
 * The rules of one platform.  Any slot may be NULL (the platform has no
 * such rule).  Slots never allocate and never fail.
 */
typedef struct ps_http__platform_ops {
	/*
	 * limit_read - fill *out from r's headers.  Returns non-zero when r
	 * carried at least the remaining count; *out fields the platform did
	 * not send are -1.
	 */
	int (*limit_read)(ps_http__limit_hint *out, const ps_http_response *r);
	/*
	 * is_throttle - non-zero when r, whose status is not 429, is still
	 * the platform saying "too many requests" (429 always is).
	 */
	int (*is_throttle)(const ps_http_response *r);
	/*
	 * throttle_hint_ms - the wait in ms the platform asks for before the
	 * throttled response r is retried, or -1 when it gave none.
	 * retry_after_ms is r's generic Retry-After as ms (-1: none); the
	 * platform decides whether its own headers come before it.  A NULL
	 * slot means retry_after_ms.
	 */
	int64_t (*throttle_hint_ms)(const ps_http_response *r,
				    int64_t retry_after_ms);
} ps_http__platform_ops;

/* The rules for p (a table with NULL slots for an unknown value). */
const ps_http__platform_ops *ps_http__platform(ps_platform p);

/*
 * ps_http__header_number - the value of header name in r as a
 * non-negative integer, or -1 when absent or not a number.
 */
int64_t ps_http__header_number(const ps_http_response *r, const char *name);

/*
 * ps_http__retry_after_ms - r's Retry-After as a wait in ms, or -1 when
 * absent or unreadable.  Delay-seconds are taken as they are; an
 * HTTP-date is counted from r's Date header when it has a readable one
 * (the server's own clock, so skew does not matter), else from wall_now
 * (unix ms).  A date in the past is a wait of 0.
 */
int64_t ps_http__retry_after_ms(const ps_http_response *r, int64_t wall_now);

/*
 * The circuit breaker of one (platform, account), kept in breaker.c.
 * Closed while opened is 0.
 */
typedef struct ps_http__breaker {
	int failures;       /* in a row, since the platform last answered */
	int opened;         /* times opened since then; 0: closed */
	int error;          /* PS_ENET or PS_EREMOTE: what the last one was */
	long status;        /* the last failure's HTTP status; 0: none */
	int64_t since_wall; /* unix ms of the first failure in the row */
	int64_t retry_at;   /* clock ms: the probe may go (while opened) */
	int64_t cooldown;   /* ms, the last cool-down */
} ps_http__breaker;

/*
 * ps_http__breaker_wait_ms - ms from now until b lets a request through
 * (0: closed, or its probe may go).
 */
int64_t ps_http__breaker_wait_ms(const ps_http__breaker *b, int64_t now);

/*
 * ps_http__breaker_record - what one attempt said about the platform.
 * failed: no response (error PS_ENET) or a non-throttle 5xx (PS_EREMOTE,
 * status); otherwise the platform answered and b closes.  now is clock
 * ms, wall unix ms, hint_ms the reply's Retry-After (-1: none).  The
 * thresholds are o's breaker_* options.
 */
void ps_http__breaker_record(ps_http__breaker *b, const ps_http_options *o,
			     int failed, int error, long status, int64_t now,
			     int64_t wall, int64_t hint_ms);

/*
 * ps_http__breaker_refuse - set the operator's detail for a request not
 * sent because b is open at now, and return b's error code.
 */
int ps_http__breaker_refuse(const ps_http__breaker *b, ps_platform p,
			    const char *method, const char *endpoint,
			    int64_t now);

/* Limiter state of one (platform, account). */
typedef struct ps_http__limit {
	ps_platform platform;
	char *account;     /* owned; "" when the request gave none */
	long remaining;    /* -1: unknown */
	long quota;        /* -1: unknown */
	int64_t window_ms; /* -1: unknown */
	int64_t reset_at;  /* absolute, clock ms; -1: unknown */
	ps_http__breaker breaker;
} ps_http__limit;

/* The limiter table of one client. */
typedef struct ps_http__limits {
	ps_http__limit *v; /* owned */
	size_t n, cap;
} ps_http__limits;

void ps_http__limits_dispose(ps_http__limits *l);

/*
 * ps_http__limit_find - the state for (p, account), created (unknown) when
 * create is set.  NULL when absent or out of memory.  Borrowed from l.
 */
ps_http__limit *ps_http__limit_find(ps_http__limits *l, ps_platform p,
				    const char *account, int create);

/*
 * ps_http__limit_roll - bring s up to date at now: once the reset time
 * has passed the window is fresh (remaining = quota, or unknown).
 */
void ps_http__limit_roll(ps_http__limit *s, int64_t now);

/*
 * ps_http__limit_wait_ms - how long to wait at now before sending so as
 * not to be throttled: the time to the reset when at most reserve requests
 * are left, else 0.
 */
int64_t ps_http__limit_wait_ms(const ps_http__limit *s, int64_t now,
			       int reserve);

/* ps_http__limit_sent - one request is about to use the window. */
void ps_http__limit_sent(ps_http__limit *s);

/* ps_http__limit_observe - take what r says about the window at now. */
void ps_http__limit_observe(ps_http__limit *s, const ps_http_response *r,
			    int64_t now);

#endif
