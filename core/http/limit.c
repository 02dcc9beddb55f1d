/*
 * limit.c - the per-account limiter: a token bucket with a cost per
 * request, fed by each platform's dialect.
 *
 * Each platform says, in its own headers or body, how much of its budget
 * is left (http.h: struct ps_http_dialect).  The limiter keeps, per
 * (platform, account), the last count it was told, takes each request's
 * cost when it is sent, refills at the window's reset or continuously as
 * the platform says, and makes the next request wait while the bucket
 * cannot pay its cost and keep the reserve, so the platform never has to
 * refuse us.  A platform without a dialect is only subject to the retry
 * policy's Retry-After.
 */
#include "http_int.h"

#include <curl/curl.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pearlsync/platform.h"

int64_t
ps_http_response_header_number(const ps_http_response *r, const char *name)
{
	const char *v = r != NULL ? ps_http_response_header(r, name) : NULL;
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
	int64_t s = ps_http_response_header_number(r, "Retry-After"), at, ref;

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

/* --- dialects ----------------------------------------------------------- */

static const ps_http_dialect no_dialect = {
	"requests", NULL, NULL, NULL, NULL, -1, -1, -1, NULL, 0,
};

const ps_http_dialect *
ps_http__dialect(ps_platform p)
{
	const ps_platform_ops *ops = ps_platform_ops_of(p);

	return ops != NULL && ops->rate != NULL ? ops->rate : &no_dialect;
}

long
ps_http__cost(const ps_http_request *req)
{
	const ps_http_dialect *d = ps_http__dialect(req->platform);
	long c = req->cost > 0 ? req->cost : d->cost != NULL ? d->cost(req) : 1;

	return c < 0 ? 0 : c;
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
		    int create, int64_t now)
{
	const ps_http_dialect *d;
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
	memset(s, 0, sizeof(*s));
	s->account = ps_util__strdup(account);
	if (s->account == NULL)
		return NULL;
	d = ps_http__dialect(p);
	s->platform = p;
	s->dialect = d;
	/* what is assumed until a reply says: the dialect's defaults */
	s->quota = d->default_quota >= 0 ? d->default_quota : -1;
	s->remaining = s->quota;
	s->window_ms = d->default_window_ms > 0 ? d->default_window_ms : -1;
	s->refill_per_s =
		d->default_refill_per_s > 0 ? d->default_refill_per_s : -1;
	s->reset_at = -1;
	s->refill_at = now;
	s->pace_left = -1;
	s->last_sent = -1;
	s->peak = -1;
	s->span_ms = -1;
	s->multi_before = -1;
	s->multi_cost = 0;
	s->multi_pct = 100;
	l->n++;
	return s;
}

void
ps_http__limit_roll(ps_http__limit *s, int64_t now)
{
	if (s->refill_per_s > 0 && s->remaining >= 0 && now > s->refill_at) {
		int64_t dt = now - s->refill_at, gained;

		/* whole units only; the rest of the time is kept for later */
		if (dt > INT64_MAX / s->refill_per_s)
			dt = INT64_MAX / s->refill_per_s;
		gained = dt * s->refill_per_s / 1000;
		if (gained > 0) {
			s->refill_at += (gained * 1000 + s->refill_per_s - 1) /
					s->refill_per_s;
			if (gained > LONG_MAX - s->remaining)
				gained = LONG_MAX - s->remaining;
			s->remaining += (long)gained;
		}
		if (s->quota >= 0 && s->remaining >= s->quota) {
			s->remaining = s->quota;
			s->refill_at = now;
		}
	} else if (s->remaining < 0 || s->refill_per_s <= 0) {
		s->refill_at = now;
	}
	if (s->reset_at < 0 || now < s->reset_at)
		return;
	/* a fresh window: full quota if we know it */
	s->remaining = s->quota;
	if (s->quota >= 0)
		s->pace_left = s->quota;
	s->refill_at = now;
	if (s->window_ms > 0) {
		int64_t behind = (now - s->reset_at) / s->window_ms + 1;
		s->reset_at += behind * s->window_ms;
	} else {
		s->reset_at = -1;
	}
}

int64_t
ps_http__limit_wait_ms(const ps_http__limit *s, int64_t now, int reserve,
		       long cost)
{
	int64_t need, wait = -1;

	if (s->remaining < 0)
		return 0;
	need = (int64_t)reserve + cost - s->remaining;
	if (s->quota >= 0 && s->remaining >= s->quota)
		return 0; /* full: waiting would not add a unit */
	if (need <= 0)
		return 0;
	if (s->quota >= 0 && need > s->quota - s->remaining)
		need = s->quota - s->remaining; /* wait until full, at most */
	if (s->refill_per_s > 0) {
		int64_t r = s->refill_per_s, part = now - s->refill_at;

		if (need > INT64_MAX / 1000 - r)
			need = INT64_MAX / 1000 - r;
		if (part < 0 || part > 1000)
			part = 0;
		wait = (need * 1000 - part * r + r - 1) / r;
		if (wait < 1)
			wait = 1;
	}
	if (s->reset_at >= 0 && now < s->reset_at &&
	    (wait < 0 || s->reset_at - now < wait))
		wait = s->reset_at - now;
	/* short, but the platform said neither when nor how fast: go */
	return wait < 0 ? 0 : wait;
}

void
ps_http__limit_waited(ps_http__limit *s, int64_t now, int reserve, long cost)
{
	ps_http__limit_roll(s, now);
	if (ps_http__limit_wait_ms(s, now, reserve, cost) != 0) {
		/* waited the cap, not the whole way: the count is stale */
		s->remaining = -1;
		s->reset_at = -1;
	}
}

void
ps_http__limit_sent(ps_http__limit *s, long cost, int64_t now)
{
	s->multi_cost = cost > 1 ? cost : 0;
	s->multi_before = s->remaining;
	if (s->remaining >= 0) {
		s->remaining = s->remaining > cost ? s->remaining - cost : 0;
		s->pace_left = s->remaining;
	}
	s->last_sent = now;
	/* a window of known length the platform has not timed: from now */
	if (s->reset_at < 0 && s->window_ms > 0 && s->remaining >= 0 &&
	    s->dialect->default_window_ms > 0)
		s->reset_at = now + s->window_ms;
}

void
ps_http__limit_observe(ps_http__limit *s, const ps_http_response *r,
		       int64_t now)
{
	const ps_http_dialect *d = s->dialect;
	ps_http_budget_hint h = {-1, -1, -1, -1, -1};

	if (d->read == NULL || r->status == 0 || !d->read(&h, r) ||
	    h.remaining < 0)
		return;
	if (s->multi_cost > 1 && s->multi_before >= 0) {
		/* a window's roll in between only makes the drop smaller:
		 * the share is a floor, one unit at the least */
		long drop = s->multi_before - h.remaining;

		if (drop < 1)
			drop = 1;
		if (drop > s->multi_cost)
			drop = s->multi_cost;
		s->multi_pct = (int)(drop * 100 / s->multi_cost);
		if (s->multi_pct < 1)
			s->multi_pct = 1;
	}
	s->multi_cost = 0;
	s->remaining = h.remaining;
	s->pace_left = h.remaining;
	/* the reply's own request was in the bucket too */
	if (h.remaining < LONG_MAX && h.remaining + 1 > s->peak)
		s->peak = h.remaining + 1;
	if (h.reset_ms > s->span_ms)
		s->span_ms = h.reset_ms;
	s->refill_at = now;
	s->reset_at = h.reset_ms >= 0 ? now + h.reset_ms : -1;
	if (h.window_ms > 0)
		s->window_ms = h.window_ms;
	if (h.quota >= 0)
		s->quota = h.quota;
	if (h.refill_per_s >= 0)
		s->refill_per_s = h.refill_per_s;
}

/* --- pacing ------------------------------------------------------------- */

/*
 * The quota and window pacing assumes: the platform's when said; else the
 * most units seen in the bucket and the longest reset period seen (the
 * first request into an empty rolling window is told the whole window).
 * A restart in the middle of a window underestimates the quota, which
 * only makes the pacing slower.  A refilling bucket's window is the time
 * it takes to refill from empty.
 */
static void
pace_terms(const ps_http__limit *s, long *out_q, int64_t *out_w)
{
	long q = s->quota >= 0 ? s->quota : s->peak;
	int64_t w = s->window_ms > 0 ? s->window_ms : s->span_ms;

	if (w <= 0 && q > 0 && s->refill_per_s > 0)
		w = (int64_t)q * 1000 / s->refill_per_s;
	*out_q = q > 0 ? q : -1;
	*out_w = w > 0 ? w : -1;
}

/* The units pacing counts as left: the count now, or the last known. */
static long
pace_left(const ps_http__limit *s)
{
	return s->remaining >= 0 ? s->remaining : s->pace_left;
}

/* The burst share of quota q, at least one unit. */
static long
pace_burst(long q, int burst_pct)
{
	long b = (long)((int64_t)q * burst_pct / 100);

	return b < 1 ? 1 : b;
}

/*
 * Below the burst share requests go at the quota's own rate, which is
 * what a rolling window gives back under a steady load, so the count
 * holds still there; only below a quarter of the share (the floor) does
 * the spacing grow, as floor / left, so a window that gives back less
 * than it is asked for runs dry slowly instead of at once.
 */
static long
pace_floor(long b)
{
	return b / 4 < 1 ? 1 : b / 4;
}

int64_t
ps_http__limit_pace_ms(const ps_http__limit *s, int64_t now, int burst_pct,
		       long cost)
{
	long q, left, b;
	int64_t w, interval, due;

	if (!s->dialect->pace || burst_pct <= 0 || s->last_sent < 0)
		return 0;
	pace_terms(s, &q, &w);
	left = pace_left(s);
	if (q < 0 || w < 0 || left < 0)
		return 0;
	b = pace_burst(q, burst_pct > 100 ? 100 : burst_pct);
	if (left > b)
		return 0;
	if (left < 1)
		left = 1; /* the limiter's own wait covers an empty bucket */
	if (cost < 1)
		cost = 1;
	/* (w / q) * cost, and * (floor / left) near empty; no overflow for
	 * any sane w */
	interval = w * cost / q;
	if (cost > 1) /* as the platform charged the last such request */
		interval = interval * s->multi_pct / 100;
	if (left < pace_floor(b))
		interval = interval * pace_floor(b) / left;
	due = s->last_sent + interval;
	return due > now ? due - now : 0;
}

void
ps_http__limit_pace(const ps_http__limit *s, int64_t now, int burst_pct,
		    long *out_quota, int64_t *out_window_ms, long *out_left,
		    double *out_rate)
{
	long q, left, b;
	int64_t w;

	(void)now;
	pace_terms(s, &q, &w);
	left = pace_left(s);
	*out_quota = q;
	*out_window_ms = w;
	*out_left = left;
	*out_rate = 0;
	if (!s->dialect->pace || burst_pct <= 0 || q < 0 || w < 0 || left < 0 ||
	    left > pace_burst(q, burst_pct > 100 ? 100 : burst_pct))
		return;
	/* units per second at the spacing pace_ms keeps */
	*out_rate = (double)q * 1000.0 / (double)w;
	b = pace_floor(pace_burst(q, burst_pct > 100 ? 100 : burst_pct));
	if (left < b)
		*out_rate =
			*out_rate * (double)(left < 1 ? 1 : left) / (double)b;
}
