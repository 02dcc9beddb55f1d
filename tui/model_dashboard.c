/*
 * model_dashboard.c - gathers the dashboard's figures (model_dashboard.h).
 *
 * Every figure comes from totals the store keeps as the log is written
 * (the schema's triggers), never from counting the log: the totals by
 * flow and status (log_state_counts), "today" from the quarter-hour
 * buckets of the last update (log_recent), the hourly orders from the
 * log by hour (log_hourly).  A refresh reads a few hundred small rows
 * whether the log holds a thousand entries or ten million; the other
 * reads are single index seeks (the last synced entry) or small tables.
 */
#include "model_dashboard.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pearlsync/flow.h"
#include "pearlsync/platform.h"
#include "pearlsync/settings.h"
#include "pearlsync/worker.h"
#include "tui.h"

#define HOUR_MS 3600000LL

struct count_ctx {
	ps_dashboard *d;
	int today;
};

struct hourly_ctx {
	ps_dashboard *d;
	int64_t first; /* hour (unix ms / HOUR_MS) of hourly[0] */
};

static ps_dash_flow *
flow_slot(ps_dashboard *d, const char *name)
{
	size_t i;

	for (i = 0; i < d->n_flows; i++)
		if (strcmp(d->flows[i].name, name) == 0)
			return &d->flows[i];
	if (d->n_flows == PS_DASH_FLOWS_MAX)
		return NULL;
	snprintf(d->flows[d->n_flows].name, sizeof(d->flows[0].name), "%s",
		 name);
	return &d->flows[d->n_flows++];
}

static int
on_count(const char *flow, ps_entry_status status, int64_t count, void *payload)
{
	struct count_ctx *c = payload;
	ps_dash_flow *f;

	/* the totals keep groups that emptied: no row for those */
	if (status < 0 || status >= PS_ENTRY_STATUS_COUNT || count == 0)
		return 0;
	if (c->today)
		c->d->total_today[status] += count;
	else
		c->d->total[status] += count;
	if ((f = flow_slot(c->d, flow)) == NULL)
		return 0; /* more flows than rows: totals still count */
	if (c->today)
		f->today[status] += count;
	else
		f->total[status] += count;
	return 0;
}

static int
on_http(int64_t bucket, ps_platform platform, const char *endpoint,
	const char *outcome, int64_t count, void *payload)
{
	ps_dashboard *d = payload;
	ps_dash_platform *p;

	(void)bucket;
	(void)endpoint;
	if ((unsigned)platform >= PS_PLATFORM_MAX)
		return 0;
	p = &d->platforms[platform];
	p->requests += count;
	/* the worker writes ps_http_outcome_name(): "ok", "client-error",
	 * "auth", "throttled", "server-error", "network" */
	if (strcmp(outcome, "429") == 0 || strstr(outcome, "throttl") != NULL)
		p->throttled += count;
	else if (outcome[0] == '5' || strstr(outcome, "server") != NULL ||
		 strcmp(outcome, "network") == 0 ||
		 strcmp(outcome, "timeout") == 0 ||
		 strcmp(outcome, "auth") == 0)
		p->failed += count;
	return 0;
}

static int
load_worker(ps_dashboard *d, ps_store *st)
{
	ps_heartbeat hb;
	int error;

	ps_heartbeat_init(&hb);
	error = ps_store_heartbeat_get(&hb, st);
	if (error == PS_ENOTFOUND)
		return 0;
	if (error < 0)
		return error;
	d->worker_pid = hb.pid;
	d->heartbeat_age_ms = d->now - hb.beat_at;
	d->worker_started_at = hb.started_at;
	d->worker = d->heartbeat_age_ms > PS_HEARTBEAT_STALE_MS
			    ? PS_DASH_WORKER_STOPPED
			    : PS_DASH_WORKER_RUNNING;
	snprintf(d->worker_state, sizeof(d->worker_state), "%s",
		 hb.state != NULL ? hb.state : "");
	ps_heartbeat_dispose(&hb);
	return 0;
}

static int
load_last_synced(ps_dashboard *d, ps_store *st)
{
	ps_log_query q = PS_LOG_QUERY_INIT;
	ps_log_entry *rows = NULL;
	size_t n = 0;
	int error;

	q.status = PS_ENTRY_SYNCED;
	q.limit = 1;
	if ((error = ps_store_log_list(&rows, &n, st, &q)) < 0)
		return error;
	if (n > 0) {
		d->last_synced_at = rows[0].synced_at;
		snprintf(d->last_synced_order, sizeof(d->last_synced_order),
			 "%s",
			 rows[0].order_number ? rows[0].order_number : "");
	}
	ps_log_entries_free(rows, n);
	return 0;
}

static int
on_hour(int64_t hour, const char *flow, int64_t orders, int64_t synced,
	int64_t failed, void *payload)
{
	struct hourly_ctx *c = payload;

	(void)flow;
	(void)synced;
	(void)failed;
	if (hour >= c->first && hour < c->first + PS_DASH_HOURS)
		c->d->hourly[hour - c->first] += orders;
	return 0;
}

/* Order imports recorded per hour, from the store's hourly totals. */
static int
load_hourly(ps_dashboard *d, ps_store *st)
{
	struct hourly_ctx c;

	c.d = d;
	c.first = d->now / HOUR_MS - (PS_DASH_HOURS - 1);
	return ps_store_log_hours(st, c.first, c.first + PS_DASH_HOURS, on_hour,
				  &c);
}

/* The newest recorded budget of each platform. */
static int
load_budgets(ps_dashboard *d, ps_store *st)
{
	ps_store_budget *v = NULL;
	size_t n = 0, i;
	int error;

	for (i = 0; i < PS_PLATFORM_MAX; i++) {
		const ps_platform_ops *ops = ps_platform_ops_of((ps_platform)i);

		d->platforms[i].remaining = -1;
		d->platforms[i].quota = -1;
		d->platforms[i].off =
			ops != NULL && !ps_platform_switched_on(ops, st);
	}
	if ((error = ps_store_budget_list(&v, &n, st)) < 0)
		return error;
	for (i = 0; i < n; i++) {
		ps_dash_platform *p;

		if ((unsigned)v[i].platform >= PS_PLATFORM_MAX)
			continue;
		p = &d->platforms[v[i].platform];
		if (p->remaining >= 0 && p->remaining_at >= v[i].updated_at)
			continue;
		p->remaining = v[i].remaining;
		p->quota = v[i].quota;
		p->remaining_at = v[i].updated_at;
		snprintf(p->unit, sizeof(p->unit), "%s",
			 v[i].unit ? v[i].unit : "");
	}
	ps_store_budgets_free(v, n);
	return 0;
}

char *
ps_dashboard_budget(char *buf, size_t cap, const ps_dashboard *d,
		    ps_platform platform)
{
	const ps_dash_platform *p;
	char left[32], quota[40] = "", age[32];

	if (cap == 0)
		return buf;
	if ((unsigned)platform >= PS_PLATFORM_MAX ||
	    d->platforms[platform].remaining < 0) {
		snprintf(buf, cap, "unknown");
		return buf;
	}
	p = &d->platforms[platform];
	ps_tui_format_count(left, sizeof(left), p->remaining);
	if (p->quota >= 0) {
		quota[0] = '/';
		ps_tui_format_count(quota + 1, sizeof(quota) - 1, p->quota);
	}
	ps_tui_format_age(age, sizeof(age),
			  d->now > p->remaining_at ? d->now - p->remaining_at
						   : 0);
	snprintf(buf, cap, "%s%s %s, %s ago", left, quota,
		 p->unit[0] ? p->unit : "requests", age);
	return buf;
}

/* Kept apart from the counts above: one row, read once per load. */
void
ps_dashboard_load_pacing(ps_dashboard *d, ps_store *st)
{
	ps_worker_pacing pc[PS_PLATFORM_MAX];
	const ps_platform_ops *const *p;
	char line[sizeof(d->platforms[0].pacing) - sizeof("pacing ") + 1];

	if (d->worker != PS_DASH_WORKER_RUNNING)
		return;
	if (ps_worker_pacing_load(pc, st, d->now) < 0) {
		ps_error_clear();
		return;
	}
	for (p = ps_platforms_all(); *p != NULL; p++) {
		const ps_worker_pacing *one = &pc[(*p)->id];

		if (!one->known || !one->short_budget)
			continue;
		snprintf(d->platforms[(*p)->id].pacing,
			 sizeof(d->platforms[0].pacing), "pacing %s",
			 ps_worker_pacing_describe(line, sizeof(line), one));
	}
}

/* Which flows the operator paused: setting sync.paused_flows. */
static int
load_paused(ps_dashboard *d, ps_store *st)
{
	char *list = NULL;
	size_t i;
	int error;

	if ((error = ps_settings_paused_flows(&list, st)) < 0)
		return error;
	for (i = 0; i < d->n_flows; i++)
		d->flows[i].paused =
			ps_settings_list_contains(list, d->flows[i].name);
	free(list);
	return 0;
}

/* Non-zero unless platform id's switch (dsco.enabled, ...) is off. */
static int
platform_on(ps_store *st, ps_platform id)
{
	const ps_platform_ops *ops = ps_platform_ops_of(id);
	int on = 1;

	if (ops == NULL || ops->enabled_setting == NULL)
		return 1;
	if (ps_settings_get_bool(&on, st, ops->enabled_setting) < 0) {
		ps_error_clear();
		return 1;
	}
	return on;
}

int
ps_dashboard_flow_listed(ps_store *st, const ps_flow_ops *f)
{
	return platform_on(st, f->source) && platform_on(st, f->target);
}

int
ps_dashboard_load(ps_dashboard *d, ps_store *st, int64_t now)
{
	ps_alerts_options opts = PS_ALERTS_OPTIONS_INIT;
	const ps_flow_ops *const *f;
	struct count_ctx c;
	int error;

	memset(d, 0, sizeof(*d));
	d->now = now;
	if ((error = load_worker(d, st)) < 0)
		return error;
	/* every registered flow between platforms that are switched on has
	 * a row, even before its first entry (the others once they have
	 * entries) */
	for (f = ps_flows_all(); *f != NULL; f++)
		if (ps_dashboard_flow_listed(st, *f))
			flow_slot(d, (*f)->name);
	c.d = d;
	c.today = 0;
	if ((error = ps_store_log_state_counts(st, on_count, &c)) < 0)
		return error;
	c.today = 1;
	if ((error = ps_store_log_recent_counts(st, ps_tui_day_start(now),
						on_count, &c)) < 0)
		return error;
	if ((error = load_paused(d, st)) < 0)
		return error;
	if ((error = load_last_synced(d, st)) < 0)
		return error;
	if ((error = ps_store_http_count_foreach(st, now - HOUR_MS, on_http,
						 d)) < 0)
		return error;
	if ((error = load_budgets(d, st)) < 0)
		return error;
	ps_dashboard_load_pacing(d, st);
	if ((error = load_hourly(d, st)) < 0)
		return error;
	error = ps_settings_missing_required(d->missing, sizeof(d->missing),
					     st);
	if (error < 0)
		return error;
	d->n_missing = error;

	opts.failed = d->total[PS_ENTRY_FAILED];
	if ((error = ps_alerts_load(&d->alerts, st, now, &opts)) < 0)
		return error;
	return 0;
}

char *
ps_dashboard_sparkline(char *buf, size_t cap, const ps_dashboard *d, int ascii)
{
	static const char *const blocks[] = {" ", "▁", "▂", "▃", "▄",
					     "▅", "▆", "▇", "█"};
	static const char levels[] = " .:-=+*#%@";
	int64_t max = 0;
	size_t o = 0, len;
	int i, lvl;
	const char *s;
	char one[2];

	for (i = 0; i < PS_DASH_HOURS; i++)
		if (d->hourly[i] > max)
			max = d->hourly[i];
	if (cap > 0)
		buf[0] = '\0';
	for (i = 0; i < PS_DASH_HOURS; i++) {
		if (ascii) {
			lvl = max == 0 ? 0
				       : (int)((d->hourly[i] * 9 + max - 1) /
					       max);
			one[0] = levels[lvl];
			one[1] = '\0';
			s = one;
		} else {
			lvl = max == 0 ? 0
				       : (int)((d->hourly[i] * 8 + max - 1) /
					       max);
			s = blocks[lvl];
		}
		len = strlen(s);
		if (o + len + 1 > cap)
			break;
		memcpy(buf + o, s, len);
		o += len;
		buf[o] = '\0';
	}
	return buf;
}

int
ps_dashboard_request(ps_dash_request *r, ps_store *st, ps_request_kind kind,
		     const char *flow, int64_t now)
{
	int64_t id;
	int error;

	if ((error = ps_store_request_add(&id, st, kind, flow, now)) < 0)
		return error;
	memset(r, 0, sizeof(*r));
	r->id = id;
	r->kind = kind;
	snprintf(r->flow, sizeof(r->flow), "%s", flow ? flow : "");
	r->state = PS_DASH_REQ_WAITING;
	return 0;
}

int
ps_dashboard_request_poll(ps_dash_request *r, ps_store *st)
{
	ps_request q;
	const char *res;
	int error;

	if (r->state != PS_DASH_REQ_WAITING)
		return 0;
	ps_request_init(&q);
	error = ps_store_request_get(&q, st, r->id);
	if (error == PS_ENOTFOUND) {
		ps_error_clear();
		r->state = PS_DASH_REQ_FAILED;
		snprintf(r->result, sizeof(r->result), "request %lld is gone",
			 (long long)r->id);
		return 0;
	}
	if (error < 0)
		return error;
	if (q.done_at > 0) {
		res = q.result ? q.result : "";
		snprintf(r->result, sizeof(r->result), "%s", res);
		/* the worker's wording (worker.c handle_request) */
		r->state = strncmp(res, "failed", 6) == 0 ||
					   strncmp(res, "no flow", 7) == 0 ||
					   strncmp(res, "bad entry", 9) == 0
				   ? PS_DASH_REQ_FAILED
				   : PS_DASH_REQ_DONE;
	}
	ps_request_dispose(&q);
	return 0;
}

static const char *
request_verb(ps_request_kind kind)
{
	switch (kind) {
	case PS_REQUEST_PAUSE_FLOW:
		return "pause";
	case PS_REQUEST_RESUME_FLOW:
		return "resume";
	case PS_REQUEST_RUN_FLOW:
		return "run";
	case PS_REQUEST_RETRY_FAILED:
		return "retry";
	default:
		return ps_request_kind_name(kind);
	}
}

char *
ps_dashboard_request_text(char *buf, size_t cap, const ps_dash_request *r,
			  const ps_dashboard *d)
{
	const char *res = r->result;
	size_t n = strlen(r->flow);

	if (cap == 0)
		return buf;
	switch (r->state) {
	case PS_DASH_REQ_WAITING:
		/* short: the key bar shares the line */
		snprintf(buf, cap, "%s %s: waiting%s", request_verb(r->kind),
			 r->flow,
			 d != NULL && d->worker != PS_DASH_WORKER_RUNNING
				 ? ", no worker"
				 : " for worker");
		break;
	case PS_DASH_REQ_DONE:
		/* "flow NAME paused" -> "NAME: paused" */
		if (strncmp(res, "flow ", 5) == 0 &&
		    strncmp(res + 5, r->flow, n) == 0 && res[5 + n] == ' ')
			res += 6 + n;
		if (strncmp(res, "is ", 3) == 0)
			res += 3;
		snprintf(buf, cap, "%s: %s", r->flow, res);
		break;
	case PS_DASH_REQ_FAILED:
		snprintf(buf, cap, "%s %s failed: %s", request_verb(r->kind),
			 r->flow,
			 strncmp(res, "failed: ", 8) == 0 ? res + 8 : res);
		break;
	default:
		buf[0] = '\0';
	}
	return buf;
}
