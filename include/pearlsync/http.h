/*
 * http.h - the one HTTP client: libcurl with timeouts, keep-alive, TLS
 * verification, a response size cap, a per-account rate limiter fed by what
 * each platform's replies say about its budget, and a retry policy.
 *
 * A ps_http is used by one thread at a time.  Connectors build a
 * ps_http_request (URL, headers, body), call ps_http_send() and read the
 * ps_http_response.  The clock, sleep and random source are injected through
 * the options so that tests assert exact retry schedules without sleeping.
 *
 * What ps_http_send() returns:
 *   0              a final HTTP response is in *out: any 2xx, and any 4xx
 *                  other than 401/403/429 (a data error is data: the
 *                  connector reads the status and body);
 *   PS_EAUTH       401 or 403, at once, never retried;
 *   PS_ERATELIMIT  429 or the dialect's throttle still after the budget;
 *   PS_EREMOTE     500/502/503/504 still after the budget; any other 5xx
 *                  at once (not retried);
 *   PS_EHTTP       a 1xx/3xx final status (redirects are never followed);
 *   PS_ENET        connection refused, reset, dropped, truncated body, DNS,
 *                  after the budget;
 *   PS_ETIMEOUT    connect or total timeout, after the budget;
 *   PS_ETLS        certificate or handshake failure (never retried);
 *   PS_ETOOBIG     the body passed options.max_body (never retried);
 *   PS_ESTOPPED    *options.cancel became non-zero while waiting;
 *   PS_EINVAL      a malformed request (NULL fields, bad URL);
 *   PS_ENOMEM      out of memory.
 * While the breaker of (platform, account) is open (see the options) no
 * request is sent: PS_ENET or PS_EREMOTE (what the failures were) at once,
 * the detail saying "Brightpearl unreachable since 14:02:11 (5 failures,
 * last HTTP 503); next try in 20 s (GET order-service/order not sent)".
 *
 * On a non-zero return *out still holds the last attempt's response (status
 * 0 and an empty body when that attempt got no complete response), so the
 * caller can log it; always ps_http_response_dispose it.
 *
 * Waits (backoff, hints, limiter) go through options.clock in slices of at
 * most PS_HTTP_WAIT_SLICE_MS, checking options.cancel before each slice; a
 * transfer already under way is never interrupted.
 */
#ifndef PEARLSYNC_HTTP_H
#define PEARLSYNC_HTTP_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "pearlsync/common.h"

/* Longest single sleep between two looks at the cancel flag. */
#define PS_HTTP_WAIT_SLICE_MS 250

/*
 * How one platform meters its API (the limiter's dialect): defined below,
 * supplied by each platform plug-in (platform.h).
 */
typedef struct ps_http_dialect ps_http_dialect;

/* Injected time.  now_ms is monotonic milliseconds; sleep_ms blocks. */
typedef struct ps_clock {
	int64_t (*now_ms)(void *ctx);
	void (*sleep_ms)(void *ctx, int64_t ms);
	void *ctx;
} ps_clock;

/* Injected randomness for jitter: uniform 64-bit values. */
typedef struct ps_random {
	uint64_t (*next)(void *ctx);
	void *ctx;
} ps_random;

/* The real clock (CLOCK_MONOTONIC, nanosleep) and a random source. */
const ps_clock *ps_clock_system(void);

/*
 * The real wall clock: now_ms is unix milliseconds (CLOCK_REALTIME, so it
 * may step), sleep_ms is the same as ps_clock_system()'s.  For callers that
 * stamp times kept across restarts; the http module itself never uses it.
 */
const ps_clock *ps_clock_wall(void);
const ps_random *ps_random_system(void);

typedef struct ps_http_options {
	long connect_timeout_ms; /* per attempt */
	long total_timeout_ms;   /* per attempt, whole transfer */
	size_t max_body;         /* bytes; larger responses fail PS_ETOOBIG */
	const char *ca_file;     /* NULL: the system bundle */
	int max_attempts;        /* attempts per request, >= 1 */
	int64_t backoff_base_ms; /* first backoff ceiling */
	int64_t backoff_cap_ms;  /* ceiling never exceeds this */
	int64_t max_wait_ms;     /* a single wait (hint or limiter) cap */
	int limiter_reserve;     /* budget units kept back */
	const ps_clock *clock;   /* NULL: ps_clock_system() */
	const ps_random *random; /* NULL: ps_random_system() */
	const volatile sig_atomic_t *cancel; /* optional stop flag */
	/*
	 * Wall time (unix ms), read only to turn a Retry-After HTTP-date
	 * into a wait when the reply has no Date header.  NULL:
	 * ps_clock_wall().
	 */
	const ps_clock *wall;
	/*
	 * The circuit breaker of each (platform, account): after
	 * breaker_threshold failures in a row that say the platform is down
	 * (no response, or a 5xx that is not a throttle) requests to it fail
	 * at once for breaker_cooldown_ms; then one request goes through as
	 * a probe.  Any answer closes the breaker; a failed probe opens it
	 * again for twice the last cool-down, at most
	 * breaker_cooldown_cap_ms, or for the reply's Retry-After when
	 * that is longer (at most max_wait_ms).  0: no breaker.
	 * The defaults (5 failures, 5 s, capped at 10 s) cost a platform
	 * that is down six probes a minute, and notice its return within
	 * 10 s however long it was down: a longer cap would leave a backlog
	 * that built up during a long outage waiting up to the cap after
	 * recovery.
	 */
	int breaker_threshold;
	int64_t breaker_cooldown_ms;
	int64_t breaker_cooldown_cap_ms;
	/*
	 * The share of a pacing platform's quota (percent, 1..100) kept for
	 * bursts: above it requests go at once, below it they go at the
	 * quota's own rate (window / quota apart), and slower still below a
	 * quarter of it (struct ps_http_dialect, pace).  0: no pacing.  25
	 * lets a lone order go at once and keeps Brightpearl's rolling
	 * window from running dry under a steady load.
	 */
	int pace_burst_pct;
} ps_http_options;

#define PS_HTTP_OPTIONS_INIT                                                   \
	{                                                                      \
		10000, 60000, (size_t)32 << 20, NULL, 6, 500, 30000, 120000,   \
			2, NULL, NULL, NULL, NULL, 5, 5000, 10000, 25          \
	}

typedef struct ps_http ps_http;

/*
 * ps_http_new - a client with a copy of opts (NULL: defaults).  Strings in
 * opts are copied; the clock, random source and cancel flag are borrowed
 * and must outlive the client.  Call ps_lib_init() first.  *out is NULL on
 * failure.  Returns 0 or PS_ENOMEM.
 */
int ps_http_new(ps_http **out, const ps_http_options *opts);

/* ps_http_free - close connections and free; NULL is fine. */
void ps_http_free(ps_http *h);

typedef struct ps_http_request {
	ps_platform platform; /* picks the rate-limit and throttle rules */
	const char *account;  /* limiter key: account code or store hash */
	const char *method;   /* "GET", "POST", "PUT", "PATCH", "DELETE" */
	const char *url;      /* absolute, query included */
	const char *endpoint; /* counter label, e.g. "order-service/order" */
	/*
	 * "Name: value" strings, NULL-ended, or NULL.  When a body is sent
	 * without a Content-Type, "application/json" is added; without an
	 * Accept, "application/json" is added.  Values are never logged.
	 */
	const char *const *headers;
	const char *body; /* request body or NULL */
	size_t body_len;
	/*
	 * Non-zero when repeating the request cannot create a second object
	 * (GET, PUT, DELETE, searches).  A POST that may have reached the
	 * server (the connection dropped after sending) is retried only if
	 * this is set; otherwise the error is returned so the caller can
	 * look the object up before trying again.  Such a request is sent
	 * on a new connection (libcurl would otherwise re-send it by itself
	 * when a kept-alive connection turns out to be closed).
	 */
	int idempotent;
	/*
	 * The units this request uses when the caller knows better than the
	 * platform's dialect (a Brightpearl multi-message declares its
	 * messages); 0: the dialect's cost.
	 */
	long cost;
} ps_http_request;

typedef struct ps_http_header {
	char *name;  /* as received */
	char *value; /* trimmed */
} ps_http_header;

typedef struct ps_http_response {
	long status; /* 0 when no response was received */
	char *body;  /* owned, NUL-terminated (may be "") */
	size_t body_len;
	ps_http_header *headers; /* owned */
	size_t nheaders;
	int attempts;      /* requests actually sent */
	int64_t waited_ms; /* time spent in backoff and limiter waits */
} ps_http_response;

#define PS_HTTP_RESPONSE_INIT                                                  \
	{                                                                      \
		0, NULL, 0, NULL, 0, 0, 0                                      \
	}

/*
 * What one reply said about the budget of its (platform, account), in the
 * platform's unit (requests, credits); -1: not said.
 */
typedef struct ps_http_budget_hint {
	long remaining;    /* units left now */
	long quota;        /* units in a full budget */
	int64_t reset_ms;  /* ms from now until a fixed window resets */
	int64_t window_ms; /* the length of such a window */
	long refill_per_s; /* units given back per second (a bucket) */
} ps_http_budget_hint;

/*
 * struct ps_http_dialect - how one platform meters its API, for the
 * limiter of each (platform, account).  One const table per platform,
 * supplied by its plug-in (platform.h: ps_platform_ops.rate).  Every
 * function slot may be NULL; none allocates, fails or keeps a pointer
 * into the response.
 *
 * The budget is a token bucket of `unit`s.  A request pays its cost when
 * it is sent; it waits first when the bucket cannot pay the cost and keep
 * options.limiter_reserve units back.  The bucket fills up again either
 * all at once when a window resets (reset_ms: remaining becomes the
 * quota, or unknown when the quota is not known), or continuously at
 * refill_per_s (up to the quota when known).  While remaining is unknown
 * nothing waits.
 */
struct ps_http_dialect {
	/* What the budget counts, plural: "requests", "credits". */
	const char *unit;
	/*
	 * read - fill *out from reply r: its headers, or its body (r->body,
	 * r->body_len bytes, NUL-terminated) for a platform that reports the
	 * budget there.  Fields not said are -1.  Returns non-zero when r
	 * said at least the remaining count; 0 leaves the budget as it is.
	 * Called for every reply, throttles included.  NULL: no reply feeds
	 * the budget.
	 */
	int (*read)(ps_http_budget_hint *out, const ps_http_response *r);
	/*
	 * is_throttle - non-zero when r, whose status is not 429, is still
	 * the platform refusing for the rate (429 always is): a 503 with a
	 * telling body, or a 200 whose body is an out-of-credits error.
	 * Such a reply is retried like a 429.  NULL: only 429.
	 */
	int (*is_throttle)(const ps_http_response *r);
	/*
	 * throttle_hint_ms - how long the platform asks to wait before the
	 * throttled reply r is retried, in ms, or -1 when it did not say.
	 * retry_after_ms is r's generic Retry-After as ms (-1: none); the
	 * dialect decides whether its own fields come first.  NULL:
	 * retry_after_ms.
	 */
	int64_t (*throttle_hint_ms)(const ps_http_response *r,
				    int64_t retry_after_ms);
	/*
	 * cost - the units req will use, known before it is sent (>= 0).
	 * NULL: 1.
	 */
	long (*cost)(const ps_http_request *req);
	/*
	 * What is assumed before any reply said otherwise (-1: nothing):
	 * a fresh budget starts full at default_quota, refills at
	 * default_refill_per_s, and a window of default_window_ms starts
	 * with the first request.  A reply's hint replaces them.
	 */
	long default_quota;
	long default_refill_per_s;
	int64_t default_window_ms;
	/*
	 * is_refusal - non-zero when r, a 5xx, is the platform refusing the
	 * request itself (a client mistake it answers with a 500, such as
	 * Brightpearl's invalid JSON-Patch op): handled like a 4xx, neither
	 * retried nor counted by the breaker.  NULL: no 5xx is.
	 */
	int (*is_refusal)(const ps_http_response *r);
	/*
	 * pace - non-zero: once the bucket is down to options.pace_burst_pct
	 * percent of its quota, requests are spaced out over the window
	 * (ps_http_send) instead of spending the rest at once and then
	 * waiting for the reset.  For a platform whose quota is tight
	 * enough that merchants feel the wait (Brightpearl's 200 a minute).
	 */
	int pace;
};

/* What the limiter knows of one (platform, account)'s budget. */
typedef struct ps_http_budget {
	long remaining;   /* units left now, -1: unknown */
	long quota;       /* -1: unknown */
	const char *unit; /* static: "requests" unless the dialect says */
} ps_http_budget;

/*
 * ps_http_send - perform req with rate limiting and retries; see the top
 * of this file for the return codes.  *out must be PS_HTTP_RESPONSE_INIT
 * or disposed.  The detail (ps_error_last) names the platform, endpoint
 * and cause, never a credential.
 *
 * Before each attempt the limiter for (req->platform, req->account) waits
 * until the budget can pay the request's cost and still keep
 * options.limiter_reserve units (see struct ps_http_dialect): until the
 * window resets, or until enough units have refilled.  After a retryable
 * failure (network error, timeout, 429, 500/502/503/504, the dialect's
 * throttle) the wait before attempt n+1 is the platform's hint when it
 * gave one, capped by max_wait_ms: on a 5xx, Retry-After (seconds or an
 * HTTP-date, counted from the reply's Date header when it has one); on a
 * throttle, the dialect's throttle_hint_ms (its own headers or body,
 * before or after Retry-After as the platform means them); otherwise a
 * uniformly random value in [0, min(backoff_cap_ms, backoff_base_ms *
 * 2^(n-1))] (full jitter).
 */
int ps_http_send(ps_http_response *out, ps_http *h, const ps_http_request *req);

/* The most transfers ps_http_send_many runs at once. */
#define PS_HTTP_PARALLEL_MAX 8

/*
 * ps_http_send_many - the first attempt of each of the n requests, up to
 * parallel (1..PS_HTTP_PARALLEL_MAX) at once over kept-alive connections,
 * for reads whose round trips would otherwise add up (one per order).  It
 * never waits and never retries: a request that is not idempotent, or
 * that the rate limiter would make wait, is not sent.  Each request that
 * is sent counts against the limiter, is counted and is logged as
 * ps_http_send does.  errors[i] is 0 when outs[i] holds a complete
 * response (any status: the caller classifies it); otherwise a PS_E*
 * code (not sent, or the transfer failed) and the caller sends request i
 * again with ps_http_send and its whole retry policy.  Every outs[i] is
 * to be disposed.  Returns 0, or an error when the multi interface
 * itself failed (the requests not answered then have errors[i] < 0).
 */
int ps_http_send_many(ps_http_response *outs, int *errors, ps_http *h,
		      const ps_http_request *reqs, size_t n, size_t parallel);

/* ps_http_response_dispose - free what *r owns and reset it. */
void ps_http_response_dispose(ps_http_response *r);

/*
 * ps_http_response_header - the value of the first header named name
 * (case-insensitive) or NULL.  Borrowed from r.
 */
const char *ps_http_response_header(const ps_http_response *r,
				    const char *name);

/*
 * ps_http_response_header_number - the value of the header name in r as a
 * non-negative integer, or -1 when absent or not one.  For dialects.
 */
int64_t ps_http_response_header_number(const ps_http_response *r,
				       const char *name);

/*
 * ps_http_response_json - parse r's body as JSON into *out (new reference).
 * Returns 0 or PS_EPARSE with the detail naming line and column:
 * "invalid JSON from bigcommerce (line 1, column 17): ...".
 */
int ps_http_response_json(json_t **out, const ps_http_response *r,
			  ps_platform platform);

/*
 * What one attempt of a request was, for an observer (the worker's audit
 * trail): never a body, a header, a query string or the URL's host.
 * Strings are borrowed for the call.
 */
typedef struct ps_http_exchange {
	ps_platform platform;
	const char *method;
	const char *path;     /* the URL's path alone: "/orders/7" */
	const char *endpoint; /* the request's counter label, or "-" */
	long status;          /* 0: no response */
	int error;            /* PS_E* of a transport failure, or 0 */
	int64_t elapsed_ms;
	int64_t bytes; /* request body + response body */
} ps_http_exchange;

typedef void (*ps_http_observe_fn)(void *ctx, const ps_http_exchange *x);

/*
 * ps_http_set_observer - call fn(ctx, x) after every attempt of every
 * request h sends (retries included), from the sending thread; NULL fn
 * stops it.  fn must not send through h.
 */
void ps_http_set_observer(ps_http *h, ps_http_observe_fn fn, void *ctx);

/* Outcome classes counted per platform and endpoint. */
typedef enum ps_http_outcome {
	PS_HTTP_OUT_OK = 0,    /* 2xx */
	PS_HTTP_OUT_CLIENT,    /* other 4xx */
	PS_HTTP_OUT_AUTH,      /* 401/403 */
	PS_HTTP_OUT_THROTTLED, /* 429, or the dialect's throttle */
	PS_HTTP_OUT_SERVER,    /* 5xx */
	PS_HTTP_OUT_NETWORK,   /* no response: refused, reset, timeout */
	PS_HTTP_OUT_COUNT
} ps_http_outcome;

const char *ps_http_outcome_name(ps_http_outcome o);

/*
 * ps_http_counts_foreach - call fn for every (platform, endpoint, outcome)
 * counted since creation or the last reset, with the number of attempts.
 * Strings are borrowed for the call.  ps_http_counts_reset clears them
 * (the worker flushes counts to the store, then resets).
 */
typedef void (*ps_http_count_fn)(void *ctx, ps_platform platform,
				 const char *endpoint, ps_http_outcome outcome,
				 int64_t count);
void ps_http_counts_foreach(const ps_http *h, ps_http_count_fn fn, void *ctx);
void ps_http_counts_reset(ps_http *h);

/*
 * ps_http_breaker_wait_ms - for schedulers: the ms until a request to
 * platform (any account) is sent again, the longest over its accounts: 0
 * when none of its breakers is open or a probe may go now.  *out_open
 * (may be NULL) is set non-zero while a breaker of platform is open,
 * including when its probe is due (send one request, not a batch).  h
 * NULL: 0 and closed.
 */
int64_t ps_http_breaker_wait_ms(const ps_http *h, ps_platform platform,
				int *out_open);

/*
 * ps_http_limit_remaining - the units (requests, credits) the limiter
 * believes are left now for (platform, account), or -1 when unknown.
 */
long ps_http_limit_remaining(const ps_http *h, ps_platform platform,
			     const char *account);

/*
 * ps_http_limit_budget - what the limiter knows of (platform, account)'s
 * budget now, into *out.  Returns non-zero when the remaining count is
 * known; 0 (and *out unknown, unit still set) otherwise.
 */
int ps_http_limit_budget(ps_http_budget *out, const ps_http *h,
			 ps_platform platform, const char *account);

/* What the limiter's pacing means for a platform now (ps_http_limit_pace). */
typedef struct ps_http_pace {
	long left;         /* units believed left, -1: unknown */
	long quota;        /* said or guessed, -1: unknown */
	int64_t window_ms; /* said or guessed, -1: unknown */
	double rate;       /* units per second allowed while pacing, 0: none */
	int short_budget;  /* left is at or below the burst share: pacing */
} ps_http_pace;

/*
 * ps_http_limit_pace - the pacing state of platform's tightest account
 * (the fewest units left), into *out: for schedulers that hold work so
 * batches form, and lower-priority work back, while a budget is short.
 * Returns non-zero when a count is known; 0 (and *out unknown) otherwise
 * or when h is NULL.
 */
int ps_http_limit_pace(ps_http_pace *out, const ps_http *h,
		       ps_platform platform);

#endif
