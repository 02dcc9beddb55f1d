/*
 * screen_dashboard.c - the first screen: is the worker alive, how the sync
 * is going per flow, API usage, orders per hour and what needs attention.
 * The figures are gathered by model_dashboard.c on open and every refresh.
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
	double loaded_at; /* monotonic ms of the last load */
	double cost;      /* ms the last load took */
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

	error = ps_dashboard_load(&s->d, ps_tui_store(tui), ps_tui_now(tui));
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
	ps_tui_textf(tui, row, 22, 0, attr, "%7s %7s %7s   %8s %8s %8s",
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
	const ps_dashboard *d = &((struct dash *)state)->d;
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
		    "-------- today --------   ---------- total ---------");
	row++;
	ps_tui_text(tui, row, 1, 0, PS_TUI_HEADING,
		    "FLOW                  PENDING  SYNCED  FAILED    PENDING   "
		    "SYNCED   FAILED");
	row++;
	/* leave room for API, sparkline and at least two alert lines */
	max_flows = rows - row - 9;
	if (d->n_flows == 0)
		ps_tui_text(tui, row++, 1, 0, PS_TUI_DIM,
			    "(no sync log entries yet)");
	for (i = 0; i < d->n_flows && (int)i < max_flows; i++)
		counts_row(tui, row++, d->flows[i].name, d->flows[i].today,
			   d->flows[i].total, PS_TUI_NORMAL);
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

		/* one that meters nothing and was not used: nothing to say */
		if ((*ops)->rate == NULL && pl->requests == 0 &&
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

static int
dash_handle(void *state, ps_tui *tui, ps_tui_request req)
{
	struct dash *s = state;

	if (req == PS_TUI_REQ_TICK &&
	    mono_ms() - s->loaded_at < s->cost * REFRESH_FACTOR)
		return PS_TUI_HANDLED; /* not yet: see REFRESH_FACTOR */
	if (req == PS_TUI_REQ_ENTER)
		return ps_tui_push(tui, &ps_screen_log, NULL);
	return PS_TUI_UNHANDLED;
}

static void
dash_status(void *state, ps_tui *tui, char *buf, size_t cap)
{
	const ps_dashboard *d = &((struct dash *)state)->d;
	char t[32];

	(void)tui;
	snprintf(buf, cap, "as of %s",
		 ps_tui_format_time(t, sizeof(t), d->now));
}

const ps_screen_ops ps_screen_dashboard = {
	"dashboard", "Dashboard", dash_open,   dash_close,  dash_reload,
	dash_draw,   dash_handle, dash_status, "Enter:log",
};
