/*
 * rate.c - ShipHero's API metering, as the limiter's dialect.
 *
 * ShipHero meters credits, not requests: each reply's body says, in
 * extensions.throttling.user_quota, how many credits are left, how many
 * the bucket holds and how many come back per second; an operation runs
 * only when the bucket holds its complexity (queries.c reserves it).  Out
 * of credits, ShipHero answers 200 with an error of code 30 whose
 * time_remaining ("6 seconds") says when to try again.
 */
#include "platforms/shiphero/shiphero_int.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

/* An integer member, or -1. */
static long
sh_rate__long(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	json_int_t n;

	if (!json_is_integer(v))
		return -1;
	n = json_integer_value(v);
	return n < 0 ? -1 : n > LONG_MAX ? LONG_MAX : (long)n;
}

int
ps_sh__quota_read(ps_sh_quota *q, const char *body, size_t len)
{
	json_t *doc, *t, *uq;
	int ok = 0;

	q->credits_remaining = q->max_available = q->increment_rate = -1;
	q->last_cost = -1;
	if (body == NULL || len == 0)
		return 0;
	doc = json_loadb(body, len, 0, NULL);
	t = json_object_get(json_object_get(doc, "extensions"), "throttling");
	uq = json_object_get(t, "user_quota");
	if (json_is_object(uq)) {
		q->credits_remaining = sh_rate__long(uq, "credits_remaining");
		q->max_available = sh_rate__long(uq, "max_available");
		q->increment_rate = sh_rate__long(uq, "increment_rate");
		q->last_cost = sh_rate__long(t, "cost");
		ok = q->credits_remaining >= 0;
	}
	json_decref(doc);
	return ok;
}

/* "6 seconds", "10", 6: the leading count of seconds, or -1. */
static long
sh_rate__seconds(const json_t *v)
{
	const char *s;
	char *end;
	long n;

	if (json_is_integer(v))
		return json_integer_value(v) < 0 ? -1
						 : (long)json_integer_value(v);
	if (!json_is_string(v))
		return -1;
	s = json_string_value(v);
	while (*s == ' ')
		s++;
	if (*s < '0' || *s > '9')
		return -1;
	n = strtol(s, &end, 10);
	return n < 0 ? -1 : n;
}

/* 1 when needle occurs in body[0..len) (a cheap look before parsing). */
static int
sh_rate__mentions(const char *body, size_t len, const char *needle)
{
	size_t n = strlen(needle), i;

	for (i = 0; i + n <= len; i++)
		if (body[i] == needle[0] && memcmp(body + i, needle, n) == 0)
			return 1;
	return 0;
}

long
ps_sh__throttle_seconds(const char *body, size_t len)
{
	json_t *doc, *errs, *e;
	size_t i;
	long s = -1;

	if (body == NULL || !sh_rate__mentions(body, len, "\"errors\""))
		return -1;
	doc = json_loadb(body, len, 0, NULL);
	errs = json_object_get(doc, "errors");
	json_array_foreach (errs, i, e) {
		const json_t *code = json_object_get(e, "code");

		if (json_is_integer(code) && json_integer_value(code) == 30) {
			s = sh_rate__seconds(
				json_object_get(e, "time_remaining"));
			if (s < 0)
				s = 0;
			break;
		}
	}
	json_decref(doc);
	return s;
}

static int
sh_rate__read(ps_http_budget_hint *out, const ps_http_response *r)
{
	ps_sh_quota q;

	if (!ps_sh__quota_read(&q, r->body, r->body_len))
		return 0;
	out->remaining = q.credits_remaining;
	out->quota = q.max_available;
	out->refill_per_s = q.increment_rate;
	out->reset_ms = -1;
	out->window_ms = -1;
	return 1;
}

static int
sh_rate__is_throttle(const ps_http_response *r)
{
	return r->status == 200 &&
	       ps_sh__throttle_seconds(r->body, r->body_len) >= 0;
}

/*
 * The error's time_remaining plus one second (it is rounded down); a 429
 * without one falls back to Retry-After.
 */
static int64_t
sh_rate__throttle_hint_ms(const ps_http_response *r, int64_t retry_after_ms)
{
	long s = ps_sh__throttle_seconds(r->body, r->body_len);

	if (s >= 0)
		return ((int64_t)s + 1) * 1000;
	return retry_after_ms;
}

/* The complexity of the operation; the token endpoints cost nothing. */
static long
sh_rate__cost(const ps_http_request *req)
{
	const ps_sh__op *op = ps_sh__op_by_endpoint(req->endpoint);

	return op != NULL ? op->cost : 0;
}

const ps_http_dialect ps_sh__rate_dialect = {
	.unit = "credits",
	.read = sh_rate__read,
	.is_throttle = sh_rate__is_throttle,
	.throttle_hint_ms = sh_rate__throttle_hint_ms,
	.cost = sh_rate__cost,
	/* the original published bucket; the first reply says the real one */
	.default_quota = 1001,
	.default_refill_per_s = 15,
	.default_window_ms = -1,
	.is_refusal = NULL,
};
