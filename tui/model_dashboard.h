/*
 * model_dashboard.h - the figures on the dashboard, read from the store
 * in one go: the worker's heartbeat, log counts per flow (today and in
 * total), the last successful sync, API usage per platform, orders per
 * hour over the last day, and alerts.  No curses: unit tested.
 */
#ifndef PEARLSYNC_MODEL_DASHBOARD_H
#define PEARLSYNC_MODEL_DASHBOARD_H

#include <stddef.h>
#include <stdint.h>

#include "pearlsync/alerts.h"
#include "pearlsync/flow.h"
#include "pearlsync/store.h"

#define PS_DASH_FLOWS_MAX 16
#define PS_DASH_HOURS 24

/* One row per registered flow (registry order) whose platforms are not
 * switched off, then other flows seen in the log (by name). */
typedef struct ps_dash_flow {
	char name[64];
	int64_t today[PS_ENTRY_STATUS_COUNT]; /* updated since local midnight */
	int64_t total[PS_ENTRY_STATUS_COUNT];
	int paused; /* named in sync.paused_flows (the worker skips it) */
} ps_dash_flow;

typedef struct ps_dash_platform {
	int64_t requests;  /* HTTP requests in the last hour */
	int64_t throttled; /* of which 429 / throttled */
	int64_t failed;    /* of which 5xx, network, auth refused */
	/* the API budget as the worker last recorded it (ps_store_budget) */
	int64_t remaining;    /* units left, -1 unknown */
	int64_t quota;        /* units in a full budget, -1 unknown */
	char unit[16];        /* "requests", "credits"; "" unknown */
	int64_t remaining_at; /* ms when remaining was recorded, 0 unknown */
	int off;              /* switched off (its enabled setting) */
	/* while the running worker paces this platform (its budget is
	 * short): "pacing 3.3 requests/s; waiting: notes_bc; holding:
	 * order_import_bc" (PS_WORKER_PACING_CACHE); "" otherwise */
	char pacing[160];
} ps_dash_platform;

typedef enum ps_dash_worker {
	PS_DASH_WORKER_NEVER = 0, /* no heartbeat row */
	PS_DASH_WORKER_RUNNING,
	PS_DASH_WORKER_STOPPED /* heartbeat older than the stale limit */
} ps_dash_worker;

typedef struct ps_dashboard {
	int64_t now;
	ps_dash_worker worker;
	int64_t worker_pid;
	int64_t heartbeat_age_ms;
	int64_t worker_started_at;
	/* as written by the worker: "running; flow: why it is skipped..." */
	char worker_state[640];

	ps_dash_flow flows[PS_DASH_FLOWS_MAX];
	size_t n_flows;
	int64_t total_today[PS_ENTRY_STATUS_COUNT];
	int64_t total[PS_ENTRY_STATUS_COUNT];

	int64_t last_synced_at; /* ms, 0 = never */
	char last_synced_order[64];

	ps_dash_platform platforms[PS_PLATFORM_MAX]; /* by platform id */

	/* order imports recorded per hour (UTC hours);
	 * hourly[PS_DASH_HOURS - 1] = this hour */
	int64_t hourly[PS_DASH_HOURS];
	/* always 0: the hourly figures come from the store's kept totals
	 * and are complete (once a capped scan of the newest entries) */
	int hourly_capped;

	int n_missing; /* required settings without a value */
	char missing[512];
	ps_alerts alerts; /* pearlsync/alerts.h, worst first */
} ps_dashboard;

/*
 * ps_dashboard_load - fill d from st as of now (unix ms).  An order is a
 * log entry of kind "order.import" (BigCommerce and DSCO imports alike),
 * counted in the hour it was first recorded.
 * The API budget of each platform, when the worker records it, is read
 * from the store's budgets (ps_store_budget_list; the newest account's
 * when a platform has several).  The alerts are ps_alerts_load's, given
 * the failed entries counted here.  Returns 0 or a store PS_E*.
 */
int ps_dashboard_load(ps_dashboard *d, ps_store *st, int64_t now);

/*
 * ps_dashboard_load_pacing - fill each platform's pacing line of d from the
 * worker's pacing row, when the worker runs and wrote it within 30 s of
 * d->now.  Called by ps_dashboard_load; never fails (a row it cannot read
 * leaves the lines empty).
 */
void ps_dashboard_load_pacing(ps_dashboard *d, ps_store *st);

/*
 * ps_dashboard_budget - platform's budget as the dashboard shows it, into
 * buf: "170/200 requests, 12s ago" ("170 requests, ..." without a quota),
 * or "unknown".  Returns buf.
 */
char *ps_dashboard_budget(char *buf, size_t cap, const ps_dashboard *d,
			  ps_platform platform);

/*
 * ps_dashboard_sparkline - the hourly figures as UTF-8 block characters
 * (one per hour, oldest first) into buf; ascii nonzero uses " .:-=+*#%@".
 * Returns buf.
 */
char *ps_dashboard_sparkline(char *buf, size_t cap, const ps_dashboard *d,
			     int ascii);

/*
 * An operator request sent from the dashboard (store.h: the worker
 * answers it on its next pass) and what became of it.
 */
typedef enum ps_dash_req_state {
	PS_DASH_REQ_NONE = 0, /* nothing sent */
	PS_DASH_REQ_WAITING,  /* queued, the worker has not answered */
	PS_DASH_REQ_DONE,     /* answered */
	PS_DASH_REQ_FAILED    /* answered with a failure, or gone */
} ps_dash_req_state;

typedef struct ps_dash_request {
	int64_t id;
	ps_request_kind kind;
	char flow[64];
	ps_dash_req_state state;
	char result[160]; /* the worker's outcome text */
} ps_dash_request;

/*
 * ps_dashboard_request - queue kind for flow (ps_store_request_add) and
 * track it in r (state WAITING).  Returns 0 or a store PS_E* (r is then
 * unchanged).
 */
int ps_dashboard_request(ps_dash_request *r, ps_store *st, ps_request_kind kind,
			 const char *flow, int64_t now);

/*
 * ps_dashboard_request_poll - read r's answer from st: DONE, or FAILED
 * when the worker's outcome reports a failure ("failed: ...", "no flow
 * ...") or the request is gone.  Nothing to do unless WAITING.  Returns
 * 0 or a store PS_E*.
 */
int ps_dashboard_request_poll(ps_dash_request *r, ps_store *st);

/*
 * ps_dashboard_request_text - r for the status line into buf:
 * "pause order_import_bc: waiting for worker" ("waiting, no worker"
 * when d has no running worker), when answered the worker's outcome
 * "order_import_bc: paused", "pause order_import_bc failed: ...", and ""
 * for NONE.  Returns buf.
 */
char *ps_dashboard_request_text(char *buf, size_t cap, const ps_dash_request *r,
				const ps_dashboard *d);

/*
 * ps_dashboard_flow_listed - non-zero when flow f is listed before it has
 * entries (dashboard rows, the log's flow picker): both its platforms are
 * switched on (a platform's enabled setting, such as dsco.enabled, is
 * unset or true).  A flow with entries is listed anyway.
 */
int ps_dashboard_flow_listed(ps_store *st, const ps_flow_ops *f);

#endif
