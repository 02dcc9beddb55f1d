/*
 * anomalies.c - figures far from the usual (anomalies.h).
 *
 * One read of the hourly buckets covers the order drop and the failure
 * spike of every flow: hours [H - 24 * days - 1, H] for the current hour
 * H, at most (24 * days + 2) rows per flow (338 with the 14-day default).
 * The platforms' throttle episodes come from the worker's record
 * (ps_auth_states_load), the inventory passes from one cache row per
 * flow.  Nothing names a platform or a flow.
 */
#include "pearlsync/anomalies.h"
#include "internal.h"
#include "setting_keys.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pearlsync/alerts.h"
#include "pearlsync/flow.h"
#include "pearlsync/platform.h"
#include "pearlsync/settings.h"

#define HOUR_MS 3600000LL
#define MAX_DAYS 90
#define STOCK_PASS_PREFIX "stock_pass."

const char *
ps_anomaly_kind_name(ps_anomaly_kind kind)
{
	switch (kind) {
	case PS_ANOMALY_ORDER_DROP:
		return "order_drop";
	case PS_ANOMALY_FAILURE_SPIKE:
		return "failure_spike";
	case PS_ANOMALY_THROTTLED:
		return "throttled";
	case PS_ANOMALY_ZERO_STOCK:
		return "zero_stock";
	case PS_ANOMALY_KIND_COUNT:
	default:
		return "?";
	}
}

/* ---- settings ----------------------------------------------------------- */

typedef struct limits {
	int64_t days, drop_percent, min_usual, spike_points, failure_min;
	int64_t throttle_s, zero_skus;
} limits;

static int64_t
setting_int(ps_store *st, const char *key, int64_t fallback)
{
	int64_t v;

	if (ps_settings_get_int(&v, st, key) < 0) {
		ps_error_clear();
		return fallback;
	}
	return v;
}

static void
limits_load(limits *l, ps_store *st)
{
	l->days = setting_int(st, PS_SET_ALERTS_HISTORY_DAYS, 14);
	if (l->days < 2 || l->days > MAX_DAYS)
		l->days = 14;
	l->drop_percent = setting_int(st, PS_SET_ALERTS_ORDER_DROP_PERCENT, 25);
	l->min_usual = setting_int(st, PS_SET_ALERTS_ORDER_MIN_USUAL, 5);
	l->spike_points =
		setting_int(st, PS_SET_ALERTS_FAILURE_SPIKE_POINTS, 20);
	l->failure_min = setting_int(st, PS_SET_ALERTS_FAILURE_MIN, 5);
	l->throttle_s = setting_int(st, PS_SET_ALERTS_THROTTLE_SECONDS, 900);
	l->zero_skus = setting_int(st, PS_SET_ALERTS_ZERO_STOCK_SKUS, 20);
}

static ps_anomaly *
anomaly_new(ps_anomalies *out, ps_anomaly_kind kind, const char *subject)
{
	ps_anomaly *a;

	if (out->n == PS_ANOMALIES_MAX)
		return NULL;
	a = &out->v[out->n++];
	memset(a, 0, sizeof(*a));
	a->kind = kind;
	ps_util__strlcpy(a->subject, subject, sizeof(a->subject));
	return a;
}

/* ---- the hourly buckets ------------------------------------------------- */

/* One flow's buckets over the compared hours, indexed by H - hour. */
typedef struct flow_hours {
	char flow[64];
	int64_t orders[24 * MAX_DAYS + 2];
	int64_t synced[24 * MAX_DAYS + 2];
	int64_t failed[24 * MAX_DAYS + 2];
} flow_hours;

typedef struct hours_ctx {
	flow_hours *f;
	size_t n, cap;
	int64_t hour; /* H */
	size_t span;  /* buckets kept per flow */
	int oom;
} hours_ctx;

static int
on_hour(int64_t hour, const char *flow, int64_t orders, int64_t synced,
	int64_t failed, void *payload)
{
	hours_ctx *c = payload;
	size_t i, back;

	if (hour > c->hour || (size_t)(c->hour - hour) >= c->span)
		return 0;
	back = (size_t)(c->hour - hour);
	for (i = 0; i < c->n && strcmp(c->f[i].flow, flow) != 0; i++)
		;
	if (i == c->n) {
		if (c->n == c->cap) {
			size_t cap = c->cap ? c->cap * 2 : 8;
			flow_hours *nf = realloc(c->f, cap * sizeof(*nf));

			if (nf == NULL) {
				c->oom = 1;
				return 1;
			}
			c->f = nf;
			c->cap = cap;
		}
		memset(&c->f[i], 0, sizeof(c->f[i]));
		ps_util__strlcpy(c->f[i].flow, flow, sizeof(c->f[i].flow));
		c->n++;
	}
	c->f[i].orders[back] = orders;
	c->f[i].synced[back] = synced;
	c->f[i].failed[back] = failed;
	return 0;
}

/*
 * The 60 minutes ending k days before now: for k = 0 the current bucket
 * (the minutes of this hour so far) and the rest from the previous one;
 * for a past day the same minutes of its two buckets.
 */
static double
window(const int64_t *b, int k, double frac)
{
	size_t at = (size_t)k * 24;

	if (k == 0)
		return (double)b[0] + (double)b[1] * (1.0 - frac);
	return (double)b[at] * frac + (double)b[at + 1] * (1.0 - frac);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void
order_drop(ps_anomalies *out, const flow_hours *f, const limits *l, int days,
	   double frac)
{
	double v[MAX_DAYS], median, now_orders;
	ps_anomaly *a;
	int k, any = 0;

	if (days < (l->days + 1) / 2)
		return; /* not enough history yet */
	for (k = 1; k <= days; k++) {
		v[k - 1] = window(f->orders, k, frac);
		any |= v[k - 1] > 0;
	}
	if (!any)
		return; /* a flow that imports no orders */
	qsort(v, (size_t)days, sizeof(v[0]), cmp_double);
	median = days % 2 ? v[days / 2] : (v[days / 2 - 1] + v[days / 2]) / 2.0;
	now_orders = window(f->orders, 0, frac);
	if ((a = anomaly_new(out, PS_ANOMALY_ORDER_DROP, f->flow)) == NULL)
		return;
	a->value = now_orders;
	a->usual = median;
	a->threshold = median * (double)l->drop_percent / 100.0;
	a->days = days;
	a->active = median >= (double)l->min_usual && now_orders < a->threshold;
}

static void
failure_spike(ps_anomalies *out, const flow_hours *f, const limits *l,
	      size_t span, double frac)
{
	double failed = window(f->failed, 0, frac);
	double done = failed + window(f->synced, 0, frac);
	double past_failed = 0, past_done = 0;
	ps_anomaly *a;
	size_t i;

	/* the past days: whole hours before the last hour's window */
	for (i = 2; i < span; i++) {
		past_failed += (double)f->failed[i];
		past_done += (double)f->failed[i] + (double)f->synced[i];
	}
	if (done <= 0 && past_done <= 0)
		return;
	if ((a = anomaly_new(out, PS_ANOMALY_FAILURE_SPIKE, f->flow)) == NULL)
		return;
	a->count = (int64_t)(failed + 0.5);
	a->total = (int64_t)(done + 0.5);
	a->value = done > 0 ? failed / done : 0;
	a->usual = past_done > 0 ? past_failed / past_done : 0;
	a->threshold = a->usual + (double)l->spike_points / 100.0;
	a->active = a->count >= l->failure_min && a->value > a->threshold;
}

static int
hourly(ps_anomalies *out, ps_store *st, const limits *l, int64_t now)
{
	hours_ctx c = {NULL, 0, 0, now / HOUR_MS, 0, 0};
	double frac = (double)(now % HOUR_MS) / (double)HOUR_MS;
	int64_t first;
	size_t i, span;
	int days, error;

	error = ps_store_log_first_hour(&first, st);
	if (error == PS_ENOTFOUND) {
		ps_error_clear();
		return 0;
	}
	if (error < 0)
		return error;
	/* the days whose two buckets are both kept */
	days = (int)((c.hour - 1 - first) / 24);
	if (days > l->days)
		days = (int)l->days;
	if (days < 0)
		days = 0;
	span = (size_t)l->days * 24 + 2;
	c.span = span;
	error = ps_store_log_hours(st, c.hour - (int64_t)span + 1, c.hour + 1,
				   on_hour, &c);
	if (error == 0 && c.oom)
		error = ps_error_set(PS_ENOMEM, "out of memory (anomalies)");
	for (i = 0; error == 0 && i < c.n; i++) {
		order_drop(out, &c.f[i], l, days, frac);
		failure_spike(out, &c.f[i], l, span, frac);
	}
	free(c.f);
	return error;
}

/* ---- platforms and passes ----------------------------------------------- */

static int
throttled(ps_anomalies *out, ps_store *st, const limits *l, int64_t now)
{
	const ps_platform_ops *const *p;
	ps_auth_state rec[PS_PLATFORM_MAX];
	int error;

	if ((error = ps_auth_states_load(rec, st, 0)) < 0)
		return error;
	for (p = ps_platforms_all(); *p != NULL; p++) {
		const ps_auth_state *r = &rec[(*p)->id];
		ps_anomaly *a;
		int ongoing = r->throttled_at_ms > 0 &&
			      now - r->throttled_at_ms <= PS_THROTTLE_GAP_MS &&
			      r->throttled_since_ms > 0;

		if (r->throttled_at_ms <= 0)
			continue;
		if ((a = anomaly_new(out, PS_ANOMALY_THROTTLED, (*p)->name)) ==
		    NULL)
			break;
		/* from the episode's first throttle answer to its last */
		a->since = ongoing ? r->throttled_since_ms : 0;
		a->value = ongoing ? (double)(r->throttled_at_ms -
					      r->throttled_since_ms) /
					     1000.0
				   : 0;
		a->threshold = (double)l->throttle_s;
		a->active = ongoing && a->value >= a->threshold;
	}
	return 0;
}

static int
stock_passes(ps_anomalies *out, ps_store *st, const limits *l, int64_t now)
{
	const ps_flow_ops *const *f;
	char kind[96], *text;
	int error;

	for (f = ps_flows_all(); *f != NULL; f++) {
		json_t *doc;
		ps_anomaly *a;
		const char *skus;

		snprintf(kind, sizeof(kind), STOCK_PASS_PREFIX "%s",
			 (*f)->name);
		text = NULL;
		error = ps_store_cache_get(&text, NULL, st, kind);
		if (error == PS_ENOTFOUND) {
			ps_error_clear();
			continue;
		}
		if (error < 0)
			return error;
		doc = json_loads(text, 0, NULL);
		free(text);
		if (!json_is_object(doc) ||
		    (a = anomaly_new(out, PS_ANOMALY_ZERO_STOCK, (*f)->name)) ==
			    NULL) {
			json_decref(doc);
			continue;
		}
		a->since = json_integer_value(json_object_get(doc, "at"));
		a->count = json_integer_value(json_object_get(doc, "zeroed"));
		a->total = json_integer_value(json_object_get(doc, "products"));
		skus = json_string_value(json_object_get(doc, "skus"));
		ps_util__strlcpy(a->detail, skus ? skus : "",
				 sizeof(a->detail));
		a->value = (double)a->count;
		a->threshold = (double)l->zero_skus;
		a->active = a->count >= l->zero_skus &&
			    now - a->since <= PS_STOCK_PASS_FRESH_MS;
		json_decref(doc);
	}
	return 0;
}

int
ps_stock_pass_record(ps_store *st, const char *flow, int64_t now,
		     int64_t products, int64_t zeroed, const char *skus)
{
	char kind[96], *text;
	json_t *doc;
	int error;

	if (st == NULL || flow == NULL)
		return ps_error_set(PS_EINVAL, "ps_stock_pass_record: NULL");
	snprintf(kind, sizeof(kind), STOCK_PASS_PREFIX "%s", flow);
	doc = json_pack("{sI sI sI ss}", "at", (json_int_t)now, "products",
			(json_int_t)products, "zeroed", (json_int_t)zeroed,
			"skus", skus != NULL ? skus : "");
	text = doc != NULL ? json_dumps(doc, JSON_COMPACT) : NULL;
	json_decref(doc);
	if (text == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory (stock pass)");
	error = ps_store_cache_set(st, kind, text, now);
	free(text);
	return error;
}

int
ps_anomalies_load(ps_anomalies *out, ps_store *st, int64_t now)
{
	limits l;
	int error;

	memset(out, 0, sizeof(*out));
	if (st == NULL)
		return ps_error_set(PS_EINVAL, "ps_anomalies_load: NULL");
	limits_load(&l, st);
	if ((error = hourly(out, st, &l, now)) < 0 ||
	    (error = throttled(out, st, &l, now)) < 0 ||
	    (error = stock_passes(out, st, &l, now)) < 0)
		return error;
	return 0;
}

/* ---- words -------------------------------------------------------------- */

static void
duration(char *buf, size_t cap, double s)
{
	long long t = (long long)s;

	if (t < 60)
		snprintf(buf, cap, "%llds", t);
	else if (t < 3600)
		snprintf(buf, cap, "%lldm", t / 60);
	else
		snprintf(buf, cap, "%lldh %lldm", t / 3600, t % 3600 / 60);
}

void
ps_anomaly_describe(const ps_anomaly *a, char *what, size_t what_cap, char *fix,
		    size_t fix_cap)
{
	const ps_platform_ops *ops;
	char d[32];

	switch (a->kind) {
	case PS_ANOMALY_ORDER_DROP:
		snprintf(what, what_cap,
			 "%s: %.0f order(s) in the last hour, usually %.0f "
			 "at this hour (median of %d days): below %.0f",
			 a->subject, a->value, a->usual, a->days, a->threshold);
		snprintf(fix, fix_cap,
			 "check the store takes orders and still sends them "
			 "(pearlsync check-connection); threshold: "
			 "alerts.order_drop_percent");
		break;
	case PS_ANOMALY_FAILURE_SPIKE:
		snprintf(what, what_cap,
			 "%s: %lld of %lld entries failed in the last hour "
			 "(%.0f%%), usually %.0f%%",
			 a->subject, (long long)a->count, (long long)a->total,
			 a->value * 100.0, a->usual * 100.0);
		snprintf(fix, fix_cap,
			 "read the reasons: sync log (4), filter failed (s), "
			 "or pearlsync logs --status failed; r or R retries "
			 "once fixed");
		break;
	case PS_ANOMALY_THROTTLED:
		duration(d, sizeof(d), a->value);
		ops = ps_platform_ops_named(a->subject);
		snprintf(what, what_cap,
			 "%s has been throttling us for %s without a pause",
			 ops != NULL ? ops->title : a->subject, d);
		snprintf(fix, fix_cap,
			 "find what else spends the API quota, or raise "
			 "sync.poll_interval_seconds; threshold: "
			 "alerts.throttle_seconds");
		break;
	case PS_ANOMALY_ZERO_STOCK:
		snprintf(what, what_cap,
			 "%s set %lld of %lld SKUs to zero in its last pass "
			 "(%s)",
			 a->subject, (long long)a->count, (long long)a->total,
			 a->detail);
		snprintf(fix, fix_cap,
			 "check the source's stock and the warehouses chosen "
			 "in setup (a warehouse left out counts as none); "
			 "threshold: alerts.zero_stock_skus");
		break;
	case PS_ANOMALY_KIND_COUNT:
	default:
		snprintf(what, what_cap, "?");
		snprintf(fix, fix_cap, "?");
		break;
	}
}
