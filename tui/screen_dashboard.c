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
	int on_alerts;       /* the Alerts line is selected, not a flow */
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

/* text cut to width display columns, ending with an ellipsis when it does
 * not fit (ps_tui_cell), at row, col. */
static void
text_fit(ps_tui *tui, int row, int col, int width, ps_tui_attr attr,
	 const char *text)
{
	if (width > 0)
		ps_tui_cell(tui, row, col, width, attr, text);
}

/*
 * The worker's own state is "running" followed by "; FLOW: why" for each
 * flow it skips (and "; waiting for ..." while it waits on a platform):
 * the first part goes on the Worker line, the rest two lines under it
 * (under Last sync, on the otherwise blank line).
 */
static void
draw_worker(const ps_dashboard *d, ps_tui *tui, int row)
{
	char age[32], started[32], state[48], line[3][160];
	const char *rest = "";
	int width = ps_tui_body_cols(tui) - 14, i;
	size_t n;

	ps_tui_text(tui, row, 1, 0, PS_TUI_HEADING, "Worker");
	ps_tui_format_age(age, sizeof(age), d->heartbeat_age_ms);
	switch (d->worker) {
	case PS_DASH_WORKER_NEVER:
		ps_tui_text(tui, row, 14, 0, PS_TUI_BAD, "never started");
		return;
	case PS_DASH_WORKER_STOPPED:
		snprintf(line[0], sizeof(line[0]),
			 "stopped (last heartbeat %s ago, pid %lld)", age,
			 (long long)d->worker_pid);
		snprintf(line[1], sizeof(line[1]), "stopped (%s ago)", age);
		text_fit(tui, row, 14, width, PS_TUI_BAD,
			 ps_tui_utf8_width(line[0]) <= width ? line[0]
							     : line[1]);
		return;
	default:
		break;
	}
	n = strcspn(d->worker_state, ";");
	if (d->worker_state[n] == ';') {
		rest = d->worker_state + n + 1;
		rest += strspn(rest, " ");
	}
	if (n == 0 || n > 40) {
		snprintf(state, sizeof(state), "running");
	} else {
		snprintf(state, sizeof(state), "%.*s", (int)n, d->worker_state);
	}
	ps_tui_format_time(started, sizeof(started), d->worker_started_at);
	/* the most detail that fits */
	snprintf(line[0], sizeof(line[0]),
		 "%s, pid %lld, heartbeat %s ago, since %s", state,
		 (long long)d->worker_pid, age, started);
	snprintf(line[1], sizeof(line[1]), "%s, pid %lld, heartbeat %s ago",
		 state, (long long)d->worker_pid, age);
	snprintf(line[2], sizeof(line[2]), "%s, pid %lld", state,
		 (long long)d->worker_pid);
	for (i = 0; i < 2 && ps_tui_utf8_width(line[i]) > width; i++)
		;
	text_fit(tui, row, 14, width, PS_TUI_GOOD, line[i]);
	if (rest[0] != '\0') {
		ps_tui_text(tui, row + 2, 1, 0, PS_TUI_HEADING,
			    strncmp(rest, "waiting", 7) == 0 ? "Now"
							     : "Skipping");
		text_fit(tui, row + 2, 14, width, PS_TUI_WARN, rest);
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

/* How many platform rows the API table shows (see the loop below). */
static int
api_rows(const ps_dashboard *d)
{
	const ps_platform_ops *const *ops;
	int n = 0;

	for (ops = ps_platforms_all(); *ops != NULL; ops++) {
		const ps_dash_platform *pl = &d->platforms[(*ops)->id];

		if (((*ops)->rate == NULL || pl->off) && pl->requests == 0 &&
		    pl->remaining < 0)
			continue;
		n += 1 + (pl->pacing[0] != '\0');
	}
	return n;
}
/* One alert on a line: "! what", and its fix when 30 columns are left. */
static void
alert_line(ps_tui *tui, int row, const ps_alert *al)
{
	int cols = ps_tui_body_cols(tui), used;
	char fix[240];

	used = 3 + ps_tui_text(tui, row, 3, 2,
			       al->level == PS_ALERT_ERROR ? PS_TUI_BAD
							   : PS_TUI_WARN,
			       "! ");
	text_fit(tui, row, used, cols - used,
		 al->level == PS_ALERT_ERROR ? PS_TUI_BAD : PS_TUI_WARN,
		 al->what);
	used += ps_tui_utf8_width(al->what) + 2;
	snprintf(fix, sizeof(fix), "fix: %s", al->fix);
	/* wide terminals: the fix too, cut when long (Enter lists it) */
	if (cols - used >= 30)
		text_fit(tui, row, used, cols - used, PS_TUI_DIM, fix);
}

/*
 * The Alerts heading (selectable: Enter lists every alert with its fix)
 * and as many alerts as fit in rows, worst first; when some do not fit,
 * the last line says how many more and how to see them.
 */
static void
draw_alerts(const struct dash *s, ps_tui *tui, int row, int rows)
{
	const ps_alerts *a = &s->d.alerts;
	size_t i, total = a->n + a->dropped, shown;
	int room = rows - row - 1;

	if (s->on_alerts) {
		ps_tui_fill(tui, row, PS_TUI_SELECTED);
		ps_tui_text(tui, row, 0, 1, PS_TUI_SELECTED, ">");
	}
	if (total == 0) {
		ps_tui_text(tui, row++, 1, 0,
			    s->on_alerts ? PS_TUI_SELECTED : PS_TUI_HEADING,
			    "Alerts");
		ps_tui_text(tui, row, 3, 0, PS_TUI_GOOD, "none");
		return;
	}
	ps_tui_textf(tui, row++, 1, 0,
		     s->on_alerts ? PS_TUI_SELECTED : PS_TUI_HEADING,
		     "Alerts (%zu)%s", total,
		     s->on_alerts ? "  Enter: every alert and its fix" : "");
	if (room < 1)
		return;
	shown = total <= (size_t)room ? a->n : (size_t)room - 1;
	if (shown > a->n)
		shown = a->n;
	for (i = 0; i < shown; i++)
		alert_line(tui, row++, &a->v[i]);
	if (shown < total)
		ps_tui_textf(tui, row, 3, 0, PS_TUI_WARN,
			     "+%zu more: G G selects Alerts, Enter lists all",
			     total - shown);
}

static void
dash_draw(void *state, ps_tui *tui)
{
	struct dash *s = state;
	const ps_dashboard *d = &s->d;
	const ps_platform_ops *const *ops;
	int rows = ps_tui_body_rows(tui), row = 0, p, max_flows, cut, room,
	    total;
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
	row += 2; /* the line between: draw_worker's Skipping line */

	ps_tui_text(tui, row, 22, 0, PS_TUI_DIM,
		    "-------- today -------- ---------- total ---------");
	row++;
	ps_tui_text(tui, row, 1, 0, PS_TUI_HEADING,
		    "FLOW                  PENDING  SYNCED  FAILED  PENDING   "
		    "SYNCED   FAILED STATE");
	row++;
	/* leave room for the totals, the API table (its heading and a row
	 * per platform shown), the sparkline and at least two alert lines */
	max_flows = rows - row - 9 - api_rows(d);
	if (max_flows < 1)
		max_flows = 1;
	if (d->n_flows == 0)
		ps_tui_text(tui, row++, 1, 0, PS_TUI_DIM,
			    "(no sync log entries yet)");
	ps_tui_list_show(&s->list, max_flows);
	for (i = s->list.top;
	     i < d->n_flows && (int)(i - s->list.top) < max_flows; i++) {
		int sel = !s->on_alerts && i == s->list.sel;
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
	/* alerts come before blank lines: the three between the sections
	 * below go, one by one, while alerts would not fit otherwise */
	room = rows - row - 6 - api_rows(d);
	total = (int)(d->alerts.n + d->alerts.dropped);
	cut = total > room ? total - room : 0;
	if (cut > 3)
		cut = 3;
	row += cut < 2; /* before the API table: the second to go */

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
		/* the budget is short: what the worker does about it */
		if (pl->pacing[0] != '\0')
			ps_tui_textf(tui, row++, 3, 0, PS_TUI_WARN, "%s",
				     pl->pacing);
	}
	row += cut < 1; /* before Orders/hour: the first */

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
	row += 1 + (cut < 3); /* before Alerts: the last */

	draw_alerts(s, tui, row, rows);
}

/* ---- the list of every alert (Enter on the Alerts line) -------------- */

struct alerts_view {
	ps_alerts alerts;
	int top; /* first line shown */
};

static int
alerts_reload(void *state, ps_tui *tui)
{
	struct alerts_view *v = state;
	ps_dashboard *d;
	int error;

	/* the same figures as the dashboard: the failed count comes along */
	if ((d = malloc(sizeof(*d))) == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	error = ps_dashboard_load(d, ps_tui_store(tui), ps_tui_now(tui));
	if (error == 0)
		v->alerts = d->alerts;
	free(d);
	return error;
}

static int
alerts_open(void **out, ps_tui *tui, const void *arg)
{
	struct alerts_view *v;
	int error;

	(void)arg;
	if ((v = calloc(1, sizeof(*v))) == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	if ((error = alerts_reload(v, tui)) < 0) {
		free(v);
		return error;
	}
	*out = v;
	return 0;
}

/*
 * Word-wrap text into width columns from row (indent col), skipping the
 * first *skip lines; returns the next row.  ASCII-minded: the alerts are
 * composed by pearlsync from keys, ids and names.
 */
static int
wrap(ps_tui *tui, int row, int col, ps_tui_attr attr, const char *text,
     int *skip, int rows)
{
	int width = ps_tui_body_cols(tui) - col;
	size_t n, cut;

	if (width < 8)
		width = 8;
	while (*text != '\0') {
		n = ps_tui_utf8_fit(text, width, NULL);
		cut = n;
		if (text[n] != '\0') {
			while (cut > 0 && text[cut] != ' ')
				cut--;
			if (cut == 0)
				cut = n;
		}
		if (*skip > 0)
			(*skip)--;
		else if (row < rows)
			ps_tui_textf(tui, row++, col, 0, attr, "%.*s", (int)cut,
				     text);
		else
			row++;
		text += cut;
		text += strspn(text, " ");
	}
	return row;
}

static void
alerts_draw(void *state, ps_tui *tui)
{
	struct alerts_view *v = state;
	int rows = ps_tui_body_rows(tui), row = 0, skip = v->top;
	char line[256];
	size_t i;

	if (v->alerts.n == 0) {
		ps_tui_text(tui, 0, 1, 0, PS_TUI_GOOD,
			    "No alerts: nothing stops the sync.");
		return;
	}
	for (i = 0; i < v->alerts.n; i++) {
		const ps_alert *al = &v->alerts.v[i];

		snprintf(line, sizeof(line), "%s: %s",
			 ps_alert_level_name(al->level), al->what);
		row = wrap(tui, row, 1,
			   al->level == PS_ALERT_ERROR ? PS_TUI_BAD
						       : PS_TUI_WARN,
			   line, &skip, rows);
		snprintf(line, sizeof(line), "fix: %s", al->fix);
		row = wrap(tui, row, 3, PS_TUI_NORMAL, line, &skip, rows);
		if (skip > 0)
			skip--;
		else
			row++;
	}
	if (v->alerts.dropped > 0 && skip == 0 && row < rows)
		ps_tui_textf(tui, row, 1, 0, PS_TUI_DIM,
			     "(%zu more not listed)", v->alerts.dropped);
}

static int
alerts_handle(void *state, ps_tui *tui, ps_tui_request req)
{
	struct alerts_view *v = state;

	(void)tui;
	switch (req) {
	case PS_TUI_REQ_UP:
	case PS_TUI_REQ_PAGE_UP:
		v->top -= req == PS_TUI_REQ_UP ? 1 : 10;
		if (v->top < 0)
			v->top = 0;
		return PS_TUI_HANDLED;
	case PS_TUI_REQ_DOWN:
	case PS_TUI_REQ_PAGE_DOWN:
		/* at most two lines a field of 200 bytes each: bounded */
		if (v->top < (int)v->alerts.n * 6)
			v->top += req == PS_TUI_REQ_DOWN ? 1 : 10;
		return PS_TUI_HANDLED;
	case PS_TUI_REQ_HOME:
		v->top = 0;
		return PS_TUI_HANDLED;
	default:
		return PS_TUI_UNHANDLED;
	}
}

static void
alerts_status(void *state, ps_tui *tui, char *buf, size_t cap)
{
	const struct alerts_view *v = state;

	(void)tui;
	snprintf(buf, cap, "%zu alert%s, worst first",
		 v->alerts.n + v->alerts.dropped,
		 v->alerts.n + v->alerts.dropped == 1 ? "" : "s");
}

static const ps_screen_ops screen_alerts = {
	.name = "alerts",
	.title = "Alerts",
	.open = alerts_open,
	.close = dash_close,
	.reload = alerts_reload,
	.draw = alerts_draw,
	.handle = alerts_handle,
	.status = alerts_status,
	.hint = "j/k:scroll",
};

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

/*
 * The Alerts line is one more stop below the flows: Down, PgDn or End
 * (G) on the last flow selects it (so G G from anywhere), Up or Home goes
 * back to the flows.
 */
static int
alerts_move(struct dash *s, ps_tui_request req)
{
	switch (req) {
	case PS_TUI_REQ_DOWN:
	case PS_TUI_REQ_PAGE_DOWN:
	case PS_TUI_REQ_END:
		if (s->on_alerts)
			return 1;
		if (s->d.n_flows > 0 && s->list.sel + 1 < s->d.n_flows)
			return 0; /* the flow list moves */
		s->on_alerts = 1;
		return 1;
	case PS_TUI_REQ_UP:
	case PS_TUI_REQ_PAGE_UP:
		if (!s->on_alerts)
			return 0;
		s->on_alerts = 0;
		return 1;
	case PS_TUI_REQ_HOME:
		s->on_alerts = 0;
		return 0; /* and the list goes to its first row */
	default:
		return 0;
	}
}

static int
dash_handle(void *state, ps_tui *tui, ps_tui_request req)
{
	struct dash *s = state;

	if (req == PS_TUI_REQ_TICK &&
	    mono_ms() - s->loaded_at < s->cost * REFRESH_FACTOR)
		return PS_TUI_HANDLED; /* not yet: see REFRESH_FACTOR */
	if (alerts_move(s, req))
		return PS_TUI_HANDLED;
	if (ps_tui_list_move(&s->list, req, flow_rows(tui)))
		return PS_TUI_HANDLED;
	if (s->on_alerts &&
	    (req == PS_TUI_REQ_PAUSE || req == PS_TUI_REQ_RUN_NOW ||
	     req == PS_TUI_REQ_RETRY_ALL))
		return ps_error_set(PS_EINVAL, "select a flow first (Up)");
	switch (req) {
	case PS_TUI_REQ_ENTER:
		if (s->on_alerts)
			return ps_tui_push(tui, &screen_alerts, NULL);
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
	.name = "dashboard",
	.title = "Dashboard",
	.open = dash_open,
	.close = dash_close,
	.reload = dash_reload,
	.draw = dash_draw,
	.handle = dash_handle,
	.status = dash_status,
	.hint = "p:pause n:run R:retry",
};
