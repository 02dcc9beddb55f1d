/*
 * screen_reconcile.c - the reconciliation report (reconcile.h) on one
 * screen: what differs between the platforms of every connected pair,
 * over the last day, week or month of orders.
 *
 * Opened with x from any screen.  The report runs on a thread of its own
 * (it reads the platforms; Esc cancels it) and again on ^L; Left and
 * Right change the window.  m queues the missing orders that can be
 * imported (the same as `pearlsync reconcile --queue`): entries in the
 * database the worker performs, nothing sent from here.  Enter shows the
 * selected difference in full.  The screen names no platform: the texts
 * are the reconcilers', the platform titles the registry's.
 */
#include "tui.h"
#include "work.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pearlsync/connect.h"
#include "pearlsync/platform.h"
#include "pearlsync/reconcile.h"

/* The windows Left/Right step through: seconds back from now. */
static const struct {
	int64_t seconds;
	const char *name;
} windows[] = {
	{86400, "last day"},
	{7 * 86400, "last 7 days"},
	{30 * 86400, "last 30 days"},
};

#define NWIN (sizeof(windows) / sizeof(windows[0]))

/* What the job works on (its arg): the query in, the report out. */
struct recon_job {
	ps_recon_query q;
	int64_t now;
	ps_recon_report r;
};

struct recon {
	ps_tui *tui;
	size_t window; /* index into windows */
	ps_tui_job *job;
	ps_recon_report r; /* the last report (ran: it is valid) */
	int ran;
	char failed[PS_ERROR_MAX + 64]; /* why the last run failed, or "" */
	size_t sel, top;
};

static void
http_options(ps_http_options *o)
{
	*o = (ps_http_options)PS_HTTP_OPTIONS_INIT;
	o->max_attempts = 3;
	o->backoff_base_ms = 200;
	o->backoff_cap_ms = 2000;
	o->max_wait_ms = 30000;
}

static void
job_free(void *arg)
{
	struct recon_job *a = arg;

	if (a != NULL)
		ps_recon_report_dispose(&a->r);
	free(a);
}

/* On the job's thread: the report, on the job's own store and client. */
static int
job_run(ps_tui_job *j, void *arg, ps_store *st, const ps_config *cfg,
	ps_http *http, char *msg, size_t cap)
{
	struct recon_job *a = arg;
	int error;

	(void)j;
	if ((error = ps_reconcile_run(&a->r, st, cfg, http, &a->q, a->now)) < 0)
		snprintf(msg, cap, "%s", ps_error_last());
	return error;
}

/* The report is in: keep it (or why it failed). */
static void
took(struct recon *s, int code, const char *msg, ps_recon_report *r)
{
	ps_recon_report_dispose(&s->r);
	s->failed[0] = '\0';
	if (code < 0) {
		snprintf(s->failed, sizeof(s->failed), "%s", msg);
		ps_recon_report_dispose(r);
		s->ran = 0;
		return;
	}
	s->r = *r;
	memset(r, 0, sizeof(*r));
	s->ran = 1;
	if (s->sel >= s->r.n)
		s->sel = s->r.n ? s->r.n - 1 : 0;
	s->top = 0;
}

/* Run the report: on a thread when the console can, else inline. */
static int
start(struct recon *s, ps_tui *tui)
{
	ps_http_options o;
	struct recon_job *a;
	ps_http *http = NULL;
	char what[96];
	int error;

	if (s->job != NULL)
		return 0;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	a->now = ps_tui_now(tui) / 1000;
	a->q.until = a->now;
	a->q.since = a->now - windows[s->window].seconds;
	http_options(&o);
	if (ps_tui_background(tui)) {
		snprintf(what, sizeof(what), "comparing the platforms (%s)",
			 windows[s->window].name);
		if ((error = ps_tui_job_start(&s->job, ps_tui_config(tui), &o,
					      what, job_run, a, job_free)) < 0)
			return error;
		ps_tui_busy(tui, 1);
		return 0;
	}
	/* a script: inline, on the console's own store */
	if (ps_tui_config(tui) == NULL)
		error = ps_error_set(PS_ESETTING, "no configuration");
	else if ((error = ps_connect_http(&http, ps_tui_config(tui), &o)) == 0)
		error = ps_reconcile_run(&a->r, ps_tui_store(tui),
					 ps_tui_config(tui), http, &a->q,
					 a->now);
	took(s, error, error < 0 ? ps_error_last() : "", &a->r);
	ps_http_free(http);
	job_free(a);
	return 0;
}

/* The timer while the job runs: take its report once it is done. */
static void
poll_job(struct recon *s, ps_tui *tui)
{
	char msg[PS_ERROR_MAX + 64];
	struct recon_job *a;
	int code;

	if (s->job == NULL || !ps_tui_job_poll(s->job, &code, msg, sizeof(msg)))
		return;
	a = ps_tui_job_arg(s->job);
	took(s, code, msg, &a->r);
	ps_tui_job_free(s->job);
	s->job = NULL;
	ps_tui_busy(tui, 0);
}

static void
cancel(struct recon *s, ps_tui *tui)
{
	ps_tui_job_abandon(s->job);
	s->job = NULL;
	ps_tui_busy(tui, 0);
	ps_tui_message(tui, 1, "Cancelled the comparison");
}

static int
recon_open(void **out, ps_tui *tui, const void *arg)
{
	struct recon *s;
	int error;

	(void)arg;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	s->tui = tui;
	if ((error = start(s, tui)) < 0) {
		free(s);
		return error;
	}
	*out = s;
	return 0;
}

static void
recon_close(void *state)
{
	struct recon *s = state;

	if (s == NULL)
		return;
	if (s->job != NULL) {
		ps_tui_job_abandon(s->job);
		ps_tui_busy(s->tui, 0);
	}
	ps_recon_report_dispose(&s->r);
	free(s);
}

static int
list_rows(ps_tui *tui)
{
	int rows = ps_tui_body_rows(tui) - 4;

	return rows > 1 ? rows : 1;
}

static void
fmt_time(char *buf, size_t cap, int64_t unix_s)
{
	time_t t = (time_t)unix_s;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, cap, "%Y-%m-%d %H:%M", &tm);
}

static void
draw_counts(struct recon *s, ps_tui *tui)
{
	char line[256];
	size_t k, n, len;

	len = (size_t)snprintf(line, sizeof(line),
			       "%zu orders, %zu SKUs: ", s->r.orders,
			       s->r.skus);
	if (s->r.n == 0) {
		ps_tui_textf(tui, 1, 1, 0, PS_TUI_GOOD, "%snothing differs",
			     line);
		return;
	}
	for (k = 0; k < PS_RECON_KIND_COUNT && len < sizeof(line); k++) {
		if ((n = ps_recon_count(&s->r, (ps_recon_kind)k)) == 0)
			continue;
		len += (size_t)snprintf(line + len, sizeof(line) - len,
					"%s%zu %s",
					line[len - 2] == ':' ? "" : ", ", n,
					ps_recon_kind_name((ps_recon_kind)k));
	}
	ps_tui_cell(tui, 1, 1, 0, PS_TUI_WARN, line);
}

static void
recon_draw(void *state, ps_tui *tui)
{
	struct recon *s = state;
	char a[32], b[32];
	int rows = list_rows(tui), i, wide = ps_tui_body_cols(tui) >= 70;
	size_t k;

	if (s->ran) {
		fmt_time(a, sizeof(a), s->r.since);
		fmt_time(b, sizeof(b), s->r.until);
		ps_tui_textf(
			tui, 0, 1, 0, PS_TUI_HEADING, "%s%s to %s UTC (%s)",
			ps_tui_body_cols(tui) >= 75 ? "Orders created " : "", a,
			b, windows[s->window].name);
	} else {
		ps_tui_textf(tui, 0, 1, 0, PS_TUI_HEADING,
			     "Orders created in the %s",
			     windows[s->window].name);
	}
	if (s->job != NULL) {
		ps_tui_job_draw(tui, 1, s->job);
		return;
	}
	if (s->failed[0] != '\0') {
		ps_tui_cell(tui, 1, 1, 0, PS_TUI_BAD, s->failed);
		return;
	}
	if (!s->ran)
		return;
	draw_counts(s, tui);
	if (s->r.nnotes > 0)
		ps_tui_cell(tui, 2, 1, 0, PS_TUI_DIM, s->r.notes[0]);
	if (s->r.n == 0)
		return;
	ps_tui_text(tui, 3, 1, 9, PS_TUI_HEADING, "KIND");
	if (wide)
		ps_tui_text(tui, 3, 10, 11, PS_TUI_HEADING, "WHY");
	ps_tui_text(tui, 3, wide ? 22 : 10, 0, PS_TUI_HEADING, "DIFFERENCE");
	for (i = 0; i < rows; i++) {
		const ps_recon_item *it;
		ps_tui_attr attr;

		k = s->top + (size_t)i;
		if (k >= s->r.n)
			break;
		it = &s->r.items[k];
		attr = k == s->sel ? PS_TUI_SELECTED : PS_TUI_NORMAL;
		if (k == s->sel)
			ps_tui_fill(tui, 4 + i, attr);
		ps_tui_text(tui, 4 + i, 0, 1, attr, k == s->sel ? ">" : " ");
		ps_tui_text(tui, 4 + i, 1, 9, attr,
			    ps_recon_kind_name(it->kind));
		if (wide)
			ps_tui_cell(tui, 4 + i, 10, 11, attr,
				    it->why[0] ? it->why : "-");
		ps_tui_cell(tui, 4 + i, wide ? 22 : 10, 0, attr, it->text);
	}
}

static void
scroll_to_sel(struct recon *s, ps_tui *tui)
{
	size_t rows = (size_t)list_rows(tui);

	if (s->sel < s->top)
		s->top = s->sel;
	else if (s->sel >= s->top + rows)
		s->top = s->sel - rows + 1;
}

static int
queue_missing(struct recon *s, ps_tui *tui)
{
	size_t n;
	int error;

	if (!s->ran || s->job != NULL)
		return ps_error_set(PS_EBUSY, "Wait for the comparison");
	if (ps_recon_queueable(&s->r) == 0) {
		ps_tui_message(tui, 0, "No missing order to queue");
		return PS_TUI_HANDLED;
	}
	if ((error = ps_reconcile_queue(&n, ps_tui_store(tui), &s->r,
					ps_tui_now(tui))) < 0)
		return error;
	ps_tui_message(tui, 0,
		       "Queued %zu order%s for import; the worker imports %s",
		       n, n == 1 ? "" : "s", n == 1 ? "it" : "them");
	return (error = start(s, tui)) < 0 ? error : PS_TUI_HANDLED;
}

static int
recon_handle(void *state, ps_tui *tui, ps_tui_request req)
{
	struct recon *s = state;
	size_t rows = (size_t)list_rows(tui);
	char title[64];
	int error;

	switch (req) {
	case PS_TUI_REQ_TICK:
		poll_job(s, tui);
		return PS_TUI_HANDLED;
	case PS_TUI_REQ_BACK:
		if (s->job != NULL) {
			cancel(s, tui);
			return PS_TUI_HANDLED;
		}
		return PS_TUI_UNHANDLED;
	case PS_TUI_REQ_RELOAD:
		return (error = start(s, tui)) < 0 ? error : PS_TUI_UNHANDLED;
	case PS_TUI_REQ_LEFT:
	case PS_TUI_REQ_RIGHT:
		if (s->job != NULL)
			return PS_TUI_HANDLED;
		s->window =
			(s->window + (req == PS_TUI_REQ_RIGHT ? 1 : NWIN - 1)) %
			NWIN;
		return (error = start(s, tui)) < 0 ? error : PS_TUI_HANDLED;
	case PS_TUI_REQ_QUEUE_MISSING:
		return queue_missing(s, tui);
	case PS_TUI_REQ_RECONCILE:
		return PS_TUI_HANDLED; /* already here */
	case PS_TUI_REQ_UP:
		if (s->sel > 0)
			s->sel--;
		break;
	case PS_TUI_REQ_DOWN:
		if (s->sel + 1 < s->r.n)
			s->sel++;
		break;
	case PS_TUI_REQ_PAGE_UP:
		s->sel = s->sel > rows ? s->sel - rows : 0;
		break;
	case PS_TUI_REQ_PAGE_DOWN:
		s->sel = s->sel + rows < s->r.n ? s->sel + rows
			 : s->r.n               ? s->r.n - 1
						: 0;
		break;
	case PS_TUI_REQ_HOME:
		s->sel = 0;
		break;
	case PS_TUI_REQ_END:
		s->sel = s->r.n ? s->r.n - 1 : 0;
		break;
	case PS_TUI_REQ_ENTER:
		if (!s->ran || s->sel >= s->r.n)
			return PS_TUI_HANDLED;
		snprintf(title, sizeof(title), "%s",
			 ps_recon_kind_title(s->r.items[s->sel].kind));
		return (error = ps_tui_view(tui, title,
					    s->r.items[s->sel].text)) < 0
			       ? error
			       : PS_TUI_HANDLED;
	default:
		return PS_TUI_UNHANDLED;
	}
	scroll_to_sel(s, tui);
	return PS_TUI_HANDLED;
}

static void
recon_status(void *state, ps_tui *tui, char *buf, size_t cap)
{
	struct recon *s = state;
	size_t i, len = 0;

	(void)tui;
	buf[0] = '\0';
	if (!s->ran || s->job != NULL)
		return;
	for (i = 0; i < PS_PLATFORM_MAX && len < cap; i++) {
		const ps_platform_ops *ops = ps_platform_ops_of((ps_platform)i);

		if (ops == NULL || s->r.requests[i] <= 0)
			continue;
		len += (size_t)snprintf(buf + len, cap - len, "%s%s %lld",
					len ? ", " : "requests ", ops->code,
					(long long)s->r.requests[i]);
	}
}

const ps_screen_ops ps_screen_reconcile = {
	.name = "reconcile",
	.title = "Reconcile",
	.open = recon_open,
	.close = recon_close,
	.reload = NULL,
	.draw = recon_draw,
	.handle = recon_handle,
	.status = recon_status,
	.hint = "m:queue ^L:again",
};
