/*
 * screen_dashboard.c - the first screen: is the worker alive, how the sync
 * is going per flow, API usage, orders per hour and what needs attention.
 * The figures are gathered by model_dashboard.c on open and every refresh.
 *
 * A flow row is selected (Up/Down, j/k); p pauses or resumes it, n runs
 * it now and R retries its failed entries.  Those are operator requests
 * the worker answers on its next pass: the status line follows the last
 * one (waiting, done, failed) on every refresh.
 */
#include "tui.h"

#include <langinfo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model_dashboard.h"
#include "pearlsync/platform.h"

/*
 * On a database of millions of entries the counts cost a few hundred ms,
 * so the refresh timer reloads only after REFRESH_FACTOR times the last
 * load's cost (at least every tick otherwise): the console stays
 * responsive and a small database still updates every tick.
 */
#define REFRESH_FACTOR 20

struct dash {
	ps_dashboard d;
	ps_tui_list list;    /* the selected flow row */
	ps_dash_request req; /* the last request sent from here */
	double loaded_at;    /* monotonic ms of the last load */
	double cost;         /* ms the last load took */
};

static double
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int
dash_reload(void *state, ps_tui *tui)
{
	struct dash *s = state;
	double t0 = mono_ms();
	int error;

	/* the answer first: a flow the worker has just paused then shows
	 * paused in the figures read after it */
	error = ps_dashboard_request_poll(&s->req, ps_tui_store(tui));
	if (error == 0)
		error = ps_dashboard_load(&s->d, ps_tui_store(tui),
					  ps_tui_now(tui));
	ps_tui_list_set_count(&s->list, s->d.n_flows);
	s->loaded_at = mono_ms();
	s->cost = s->loaded_at - t0;
	return error;
}

static int
dash_open(void **out, ps_tui *tui, const void *arg)
{
	struct dash *s;
	int error;

	(void)arg;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	if ((error = dash_reload(s, tui)) < 0) {
		free(s);
		return error;
	}
	*out = s;
	return 0;
}

static void
dash_close(void *state)
{
	free(state);
}

static void
draw_worker(const ps_dashboard *d, ps_tui *tui, int row)
{
	char age[32], started[32];

	ps_tui_text(tui, row, 1, 0, PS_TUI_HEADING, "Worker");
	switch (d->worker) {
	case PS_DASH_WORKER_NEVER:
		ps_tui_text(tui, row, 14, 0, PS_TUI_BAD, "never started");
		return;
	case PS_DASH_WORKER_STOPPED:
		ps_tui_textf(tui, row, 14, 0, PS_TUI_BAD,
			     "stopped (last heartbeat %s ago, pid %lld)",
			     ps_tui_format_age(age, sizeof(age),
					       d->heartbeat_age_ms),
			     (long long)d->worker_pid);
		return;
	default:
		ps_tui_textf(tui, row, 14, 0, PS_TUI_GOOD,
			     "%s, pid %lld, heartbeat %s ago, since %s",
			     d->worker_state[0] ? d->worker_state : "running",
			     (long long)d->worker_pid,
			     ps_tui_format_age(age, sizeof(age),
					       d->heartbeat_age_ms),
			     ps_tui_format_time(started, sizeof(started),
						d->worker_started_at));
	}
}

static void
counts_row(ps_tui *tui, int row, const char *name, const int64_t *today,
	   const int64_t *total, ps_tui_attr attr)
{
	char a[24], b[24], c[24], x[24], y[24], z[24];

	ps_tui_text(tui, row, 1, 20, attr, name);
	ps_tui_textf(tui, row, 22, 0, attr, "%7s %7s %7s %8s %8s %8s",
		     ps_tui_format_count(a, sizeof(a),
					 today[PS_ENTRY_PENDING] +
						 today[PS_ENTRY_IN_FLIGHT]),
		     ps_tui_format_count(b, sizeof(b), today[PS_ENTRY_SYNCED]),
		     ps_tui_format_count(c, sizeof(c), today[PS_ENTRY_FAILED]),
		     ps_tui_format_count(x, sizeof(x),
					 total[PS_ENTRY_PENDING] +
						 total[PS_ENTRY_IN_FLIGHT]),
		     ps_tui_format_count(y, sizeof(y), total[PS_ENTRY_SYNCED]),
		     ps_tui_format_count(z, sizeof(z), total[PS_ENTRY_FAILED]));
}

static void
dash_draw(void *state, ps_tui *tui)
{
	struct dash *s = state;
	const ps_dashboard *d = &s->d;
	const ps_platform_ops *const *ops;
	int rows = ps_tui_body_rows(tui), row = 0, p, max_flows;
	char t[32], spark[PS_DASH_HOURS * 4 + 1];
	size_t i;
	int64_t peak = 0;

	draw_worker(d, tui, row++);
	ps_tui_text(tui, row, 1, 0, PS_TUI_HEADING, "Last sync");
	if (d->last_synced_at > 0)
		ps_tui_textf(
			tui, row, 14, 0, PS_TUI_NORMAL, "%s%s%s",
			ps_tui_format_time(t, sizeof(t), d->last_synced_at),
			d->last_synced_order[0] ? ", order " : "",
			d->last_synced_order);
	else
		ps_tui_text(tui, row, 14, 0, PS_TUI_DIM, "never");
	row += 2;

	ps_tui_text(tui, row, 22, 0, PS_TUI_DIM,
		    "-------- today -------- ---------- total ---------");
	row++;
	ps_tui_text(tui, row, 1, 0, PS_TUI_HEADING,
		    "FLOW                  PENDING  SYNCED  FAILED  PENDING   "
		    "SYNCED   FAILED STATE");
	row++;
	/*
	 * leave room for the total, the API heading and a line per platform
	 * shown, the sparkline and at least two alert lines (9 lines and
	 * the platforms)
	 */
	max_flows = rows - row - 9;
	for (ops = ps_platforms_all(); *ops != NULL; ops++) {
		const ps_dash_platform *pl = &d->platforms[(*ops)->id];

		if (!(((*ops)->rate == NULL || pl->off) && pl->requests == 0 &&
		      pl->remaining < 0))
			max_flows--;
	}
	if (max_flows < 1)
		max_flows = 1;
	if (d->n_flows == 0)
		ps_tui_text(tui, row++, 1, 0, PS_TUI_DIM,
			    "(no sync log entries yet)");
	ps_tui_list_show(&s->list, max_flows);
	for (i = s->list.top;
	     i < d->n_flows && (int)(i - s->list.top) < max_flows; i++) {
		int sel = i == s->list.sel;
		ps_tui_attr attr = sel ? PS_TUI_SELECTED : PS_TUI_NORMAL;

		if (sel) {
			ps_tui_fill(tui, row, PS_TUI_SELECTED);
			ps_tui_text(tui, row, 0, 1, PS_TUI_SELECTED, ">");
		}
		counts_row(tui, row, d->flows[i].name, d->flows[i].today,
			   d->flows[i].total, attr);
		if (d->flows[i].paused)
			ps_tui_text(tui, row, 74, 0,
				    sel ? PS_TUI_SELECTED : PS_TUI_WARN,
				    "paused");
		row++;
	}
	if (d->n_flows > 1)
		counts_row(tui, row++, "all flows", d->total_today, d->total,
			   PS_TUI_HEADING);
	row++;

	ps_tui_text(tui, row++, 1, 0, PS_TUI_HEADING,
		    "API, last hour   REQUESTS  THROTTLED   ERRORS  "
		    "BUDGET LEFT");
	for (ops = ps_platforms_all(); *ops != NULL; ops++) {
		const ps_dash_platform *pl = &d->platforms[(*ops)->id];
		char a[24], b[24], c[24], r[96];

		/* one that meters nothing, or is switched off, and was not
		 * used: nothing to say */
		if (((*ops)->rate == NULL || pl->off) && pl->requests == 0 &&
		    pl->remaining < 0)
			continue;
		ps_dashboard_budget(r, sizeof(r), d, (*ops)->id);
		ps_tui_textf(tui, row++, 1, 0,
			     pl->throttled > 0 ? PS_TUI_WARN : PS_TUI_NORMAL,
			     "%-15s %9s %10s %8s  %s", (*ops)->title,
			     ps_tui_format_count(a, sizeof(a), pl->requests),
			     ps_tui_format_count(b, sizeof(b), pl->throttled),
			     ps_tui_format_count(c, sizeof(c), pl->failed), r);
	}
	row++;

	for (p = 0; p < PS_DASH_HOURS; p++)
		if (d->hourly[p] > peak)
			peak = d->hourly[p];
	ps_tui_text(tui, row, 1, 0, PS_TUI_HEADING, "Orders/hour");
	ps_dashboard_sparkline(spark, sizeof(spark), d,
			       strcmp(nl_langinfo(CODESET), "UTF-8") != 0);
	ps_tui_text(tui, row, 14, PS_DASH_HOURS, PS_TUI_GOOD, spark);
	ps_tui_textf(tui, row, 14 + PS_DASH_HOURS + 1, 0, PS_TUI_DIM,
		     "last 24 h; peak %lld%s, this hour %lld", (long long)peak,
		     d->hourly_capped ? "+" : "",
		     (long long)d->hourly[PS_DASH_HOURS - 1]);
	row += 2;

	ps_tui_text(tui, row++, 1, 0, PS_TUI_HEADING, "Alerts");
	if (d->n_alerts == 0)
		ps_tui_text(tui, row++, 3, 0, PS_TUI_GOOD, "none");
	for (i = 0; i < d->n_alerts && row < rows; i++)
		ps_tui_textf(tui, row++, 3, 0, PS_TUI_BAD, "! %s",
			     d->alerts[i]);
}

/* Rows of flows dash_draw shows (the same sum, from the body height). */
static int
flow_rows(ps_tui *tui)
{
	int n = ps_tui_body_rows(tui) - 5 - 9;

	return n > 1 ? n : 1;
}

/* Send kind for the selected flow; the status line follows it. */
static int
send_request(struct dash *s, ps_tui *tui, ps_request_kind kind)
{
	const ps_dash_flow *f;
	int error;

	if (s->list.sel >= s->d.n_flows)
		return ps_error_set(PS_ENOTFOUND, "no flow selected");
	f = &s->d.flows[s->list.sel];
	if ((error = ps_dashboard_request(&s->req, ps_tui_store(tui), kind,
					  f->name, ps_tui_now(tui))) < 0)
		return error;
	/* the worker may answer at once (it polls often): look now */
	if ((error = ps_dashboard_request_poll(&s->req, ps_tui_store(tui))) < 0)
		return error;
	return PS_TUI_HANDLED;
}

/*
 * Whether the selected flow is paused, or will be once the worker answers
 * a pause or resume sent for it: p then toggles what the operator asked
 * for, not the figures of the last refresh.
 */
static int
will_be_paused(const struct dash *s)
{
	const ps_dash_flow *f;

	if (s->list.sel >= s->d.n_flows)
		return 0;
	f = &s->d.flows[s->list.sel];
	if (s->req.state == PS_DASH_REQ_WAITING &&
	    strcmp(s->req.flow, f->name) == 0) {
		if (s->req.kind == PS_REQUEST_PAUSE_FLOW)
			return 1;
		if (s->req.kind == PS_REQUEST_RESUME_FLOW)
			return 0;
	}
	return f->paused;
}

static int
dash_handle(void *state, ps_tui *tui, ps_tui_request req)
{
	struct dash *s = state;

	if (req == PS_TUI_REQ_TICK &&
	    mono_ms() - s->loaded_at < s->cost * REFRESH_FACTOR)
		return PS_TUI_HANDLED; /* not yet: see REFRESH_FACTOR */
	if (ps_tui_list_move(&s->list, req, flow_rows(tui)))
		return PS_TUI_HANDLED;
	switch (req) {
	case PS_TUI_REQ_ENTER:
		return ps_tui_push(tui, &ps_screen_log, NULL);
	case PS_TUI_REQ_PAUSE:
		return send_request(s, tui,
				    will_be_paused(s) ? PS_REQUEST_RESUME_FLOW
						      : PS_REQUEST_PAUSE_FLOW);
	case PS_TUI_REQ_RUN_NOW:
		return send_request(s, tui, PS_REQUEST_RUN_FLOW);
	case PS_TUI_REQ_RETRY_ALL:
		return send_request(s, tui, PS_REQUEST_RETRY_FAILED);
	default:
		return PS_TUI_UNHANDLED;
	}
}

static void
dash_status(void *state, ps_tui *tui, char *buf, size_t cap)
{
	const struct dash *s = state;
	char t[32];

	(void)tui;
	if (s->req.state != PS_DASH_REQ_NONE)
		ps_dashboard_request_text(buf, cap, &s->req, &s->d);
	else
		snprintf(buf, cap, "as of %s",
			 ps_tui_format_time(t, sizeof(t), s->d.now));
}

const ps_screen_ops ps_screen_dashboard = {
	"dashboard", "Dashboard", dash_open,
	dash_close,  dash_reload, dash_draw,
	dash_handle, dash_status, "p:pause n:run R:retry",
};
