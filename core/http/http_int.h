/*
 * http_int.h - declarations shared by the files of the http module only.
 *
 * http.c runs requests and the retry loop; limit.c the per-account
 * limiter, a token bucket fed by each platform's dialect (http.h: the
 * plug-in says which reply fields carry the budget, what a throttle looks
 * like, how long it asks to wait, what a request costs); breaker.c the
 * per-account circuit breaker kept beside it.
 */
#ifndef PEARLSYNC_HTTP_INT_H
#define PEARLSYNC_HTTP_INT_H

#include "internal.h"
#include "pearlsync/http.h"

/*
 * ps_http__dialect - the dialect of platform p (its plug-in's rate slot),
 * or a table with NULL slots when p has none.  Never NULL.
 */
const ps_http_dialect *ps_http__dialect(ps_platform p);

/* ps_http__cost - the units req will use by its platform's dialect. */
long ps_http__cost(const ps_http_request *req);

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

/*
 * Limiter state of one (platform, account): a bucket of units that fills
 * up at reset_at (a window) or continuously at refill_per_s.
 */
typedef struct ps_http__limit {
	ps_platform platform;
	char *account; /* owned; "" when the request gave none */
	const ps_http_dialect *dialect; /* never NULL */
	long remaining;                 /* -1: unknown */
	long quota;                     /* -1: unknown */
	int64_t window_ms;              /* -1: unknown */
	int64_t reset_at;               /* absolute, clock ms; -1: unknown */
	long refill_per_s;              /* -1 or 0: no continuous refill */
	int64_t refill_at; /* clock ms remaining was last refilled to */
	/*
	 * Pacing (ps_http__limit_pace_ms).  A rolling window's reset only
	 * gives back its oldest requests, and the roll forgets the count
	 * then; pace_left keeps the last count known so the spacing does
	 * not lapse for the request after each reset.
	 */
	long pace_left;    /* last remaining known, -1: never */
	int64_t last_sent; /* clock ms of the last request sent, -1: none */
	long peak;         /* the most units seen in the bucket (quota guess) */
	int64_t span_ms;   /* the longest reset period seen (window guess) */
	/*
	 * What a request declaring several units (a Brightpearl
	 * multi-message) was really charged, as a share of what it declared:
	 * the count before it was sent less the count its reply gave.  The
	 * limiter still makes such a request wait until the bucket can pay
	 * all it declares (never a refusal whichever way the platform
	 * counts); only the pacing spaces it by what the platform charged.
	 */
	long multi_before; /* remaining when it was sent, -1: unknown */
	long multi_cost;   /* the units it declared, 0: none in flight */
	int multi_pct;     /* charged / declared, percent (1..100) */
	ps_http__breaker breaker;
} ps_http__limit;

/* The limiter table of one client. */
typedef struct ps_http__limits {
	ps_http__limit *v; /* owned */
	size_t n, cap;
} ps_http__limits;

void ps_http__limits_dispose(ps_http__limits *l);

/*
 * ps_http__limit_find - the state for (p, account), created when create
 * is set (at now: unknown, or the dialect's defaults).  NULL when absent
 * or out of memory.  Borrowed from l.
 */
ps_http__limit *ps_http__limit_find(ps_http__limits *l, ps_platform p,
				    const char *account, int create,
				    int64_t now);

/*
 * ps_http__limit_roll - bring s up to date at now: once the reset time
 * has passed the window is fresh (remaining = quota, or unknown); a
 * refilling bucket gains what the time since its last refill gave.
 */
void ps_http__limit_roll(ps_http__limit *s, int64_t now);

/*
 * ps_http__limit_wait_ms - how long to wait at now (after a roll) before
 * sending a request of cost units, so that reserve units stay in the
 * bucket: the time to the window's reset, or until enough units have
 * refilled (the sooner); 0 when it can pay, when the budget is unknown,
 * or when the platform said neither when nor how fast it refills.  A
 * cost larger than the whole quota waits until the bucket is full.
 */
int64_t ps_http__limit_wait_ms(const ps_http__limit *s, int64_t now,
			       int reserve, long cost);

/*
 * ps_http__limit_waited - after waiting for s up to now: roll, and when
 * the bucket still cannot pay cost (the wait was capped), forget the count
 * so the request goes rather than wait again.
 */
void ps_http__limit_waited(ps_http__limit *s, int64_t now, int reserve,
			   long cost);

/*
 * ps_http__limit_pace_ms - how long to wait at now (after a roll) before
 * sending a request of cost units so that the budget is spread over its
 * window instead of spent and then waited for: 0 while more than
 * burst_pct percent of the quota is left (a burst goes at once); below
 * that, requests are spaced window / quota ms from the last one sent (the
 * quota's own rate: what a rolling window gives back under a steady load,
 * so the count holds still), and below a quarter of the burst share (the
 * floor) by that times floor / left, so a window that gives back less
 * than is asked of it empties slowly, not at once.  The quota and window are
 * the platform's when it says them, else the most units and the longest
 * reset period seen.  0 when either is unknown, or for a dialect that
 * does not pace.
 */
int64_t ps_http__limit_pace_ms(const ps_http__limit *s, int64_t now,
			       int burst_pct, long cost);

/*
 * ps_http__limit_pace - what pacing means for s at now (after a roll):
 * the quota and window it assumes (-1: unknown), the units left (-1:
 * unknown) and the rate it allows in units per second (0: not pacing).
 */
void ps_http__limit_pace(const ps_http__limit *s, int64_t now, int burst_pct,
			 long *out_quota, int64_t *out_window_ms,
			 long *out_left, double *out_rate);

/* ps_http__limit_sent - a request of cost units is about to go at now. */
void ps_http__limit_sent(ps_http__limit *s, long cost, int64_t now);

/* ps_http__limit_observe - take what r says about the budget at now. */
void ps_http__limit_observe(ps_http__limit *s, const ps_http_response *r,
			    int64_t now);

#endif
