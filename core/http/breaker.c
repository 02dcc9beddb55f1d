/*
 * breaker.c - the circuit breaker of each (platform, account).
 *
 * A platform that is down costs every request its whole retry budget of
 * backoff, one request after another, so without a breaker an outage
 * makes each log entry wait seconds before failing and a pass over many
 * entries takes minutes.  The breaker counts failures in a row that say
 * the platform is down (no response, or a 5xx other than a throttle, which
 * the limiter handles); at the threshold it opens and ps_http_send fails
 * at once, with a detail the operator can read, until the cool-down ends.
 * Then one request goes through as a probe (the client is used by one
 * thread, so the next request is the only one): any answer closes the
 * breaker, a failure opens it again for twice as long, up to the cap (or
 * for as long as the reply's Retry-After asks, when that is longer).
 * Its state lives beside the limiter's, in ps_http__limit.
 */
#include "http_int.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t
ps_http__breaker_wait_ms(const ps_http__breaker *b, int64_t now)
{
	if (b->opened == 0 || now >= b->retry_at)
		return 0;
	return b->retry_at - now;
}

/*
 * The next cool-down: the first, then doubled, capped.  A longer hint (the
 * reply's Retry-After) wins even past the cap, which only bounds our own
 * guess: a platform that says when it will be back is not probed sooner;
 * the hint is bounded by max_wait_ms like any other wait it asks for.
 */
static int64_t
next_cooldown(const ps_http__breaker *b, const ps_http_options *o,
	      int64_t hint_ms)
{
	int64_t cap = o->breaker_cooldown_cap_ms, c;

	if (cap < o->breaker_cooldown_ms)
		cap = o->breaker_cooldown_ms;
	if (b->opened == 0 || b->cooldown <= 0)
		c = o->breaker_cooldown_ms;
	else
		c = b->cooldown > cap / 2 ? cap : b->cooldown * 2;
	if (c > cap)
		c = cap;
	if (o->max_wait_ms > 0 && hint_ms > o->max_wait_ms)
		hint_ms = o->max_wait_ms;
	if (hint_ms > c)
		c = hint_ms;
	return c > 0 ? c : 0;
}

void
ps_http__breaker_record(ps_http__breaker *b, const ps_http_options *o,
			int failed, int error, long status, int64_t now,
			int64_t wall, int64_t hint_ms)
{
	if (!failed) {
		memset(b, 0, sizeof(*b));
		return;
	}
	if (b->failures == 0)
		b->since_wall = wall;
	if (b->failures < INT_MAX)
		b->failures++;
	b->error = error;
	b->status = status;
	if (o->breaker_threshold <= 0)
		return;
	/* a failed probe, or the threshold reached: open (again) */
	if (b->opened > 0 || b->failures >= o->breaker_threshold) {
		b->cooldown = next_cooldown(b, o, hint_ms);
		b->retry_at = now + b->cooldown;
		b->opened++;
	}
}

int
ps_http__breaker_refuse(const ps_http__breaker *b, ps_platform p,
			const char *method, const char *endpoint, int64_t now)
{
	int64_t wait = ps_http__breaker_wait_ms(b, now);
	time_t t = (time_t)(b->since_wall / 1000);
	char since[16] = "?", last[32] = "";
	struct tm tm;

	if (localtime_r(&t, &tm) != NULL)
		strftime(since, sizeof(since), "%H:%M:%S", &tm);
	if (b->status > 0)
		snprintf(last, sizeof(last), ", last HTTP %ld", b->status);
	return ps_error_set(b->error != 0 ? b->error : PS_ENET,
			    "%s unreachable since %s (%d failure%s%s); next "
			    "try in %lld s (%s %s not sent)",
			    ps_platform_title(p), since, b->failures,
			    b->failures == 1 ? "" : "s", last,
			    (long long)((wait + 999) / 1000), method, endpoint);
}
