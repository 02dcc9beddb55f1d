/*
 * screen_log.c - the sync log browser: a filtered, paged list of log
 * entries (model_log.h), Enter for an entry's detail, r/R to retry.
 *
 * The columns follow the terminal's width: order number, inserted, status
 * and the reason always (60 columns and up), the others as room allows;
 * the reason takes what is left and a cut value ends with an ellipsis
 * (Enter shows it whole).  The filter outlives the screen: it is saved in
 * the console session when the screen closes and restored when it opens.
 */
#include "tui.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_dashboard.h"
#include "model_log.h"
#include "pearlsync/flow.h"
#include "pearlsync/money.h"
#include "pearlsync/privacy.h"

/* Rows above the entries: the filter line and the column headings. */
#define TOP_ROWS 2
/* The reason column is never narrower than this. */
#define REASON_MIN 12

/* The list's columns, left to right; the reason (last) takes the rest. */
enum col_id {
	COL_ORDER,
	COL_TOTAL,
	COL_INSERTED,
	COL_SYNCED,
	COL_STATUS,
	COL_SHIP_METHOD,
	COL_SHIPMENT,
	COL_WHAT,
	COL_REASON,
	COL_COUNT
};

static const struct column {
	const char *heading;
	int width;    /* display columns; 0: the rest (the reason) */
	int min_cols; /* shown from this terminal width on */
	int wide;     /* its width from WIDE_COLS on */
} columns[COL_COUNT] = {
	[COL_ORDER] = {"ORDER #", 10, 0, 12},
	[COL_TOTAL] = {"        TOTAL", 13, 80, 13},
	[COL_INSERTED] = {"INSERTED", 11, 0, 11},
	[COL_SYNCED] = {"SYNCED", 11, 100, 11},
	[COL_STATUS] = {"STATUS", 7, 0, 9},
	[COL_SHIP_METHOD] = {"SHIP METHOD", 11, 110, 16},
	[COL_SHIPMENT] = {"SHIPMENT", 11, 110, 12},
	[COL_WHAT] = {"WHAT", 24, 150, 38},
	[COL_REASON] = {"REASON", 0, 0, 0},
};

/* From this width on the columns take their wide widths. */
#define WIDE_COLS 180

/* Where each column starts for a body cols wide (x, -1: not shown) and
 * how wide it is (w; the reason: the rest). */
static void
layout(int x[COL_COUNT], int w[COL_COUNT], int cols)
{
	int i, at = 1;

	for (i = 0; i < COL_COUNT; i++) {
		x[i] = -1;
		w[i] = cols >= WIDE_COLS ? columns[i].wide : columns[i].width;
		if (cols < columns[i].min_cols)
			continue;
		if (i != COL_REASON && at + w[i] + 1 + REASON_MIN > cols)
			continue; /* a narrow terminal: the reason first */
		x[i] = at;
		at += w[i] + 1;
	}
	w[COL_REASON] = cols - x[COL_REASON];
}

struct logscr {
	ps_log_browser b;
	ps_tui *tui;
	char **flows; /* picker choices, owned */
	size_t n_flows;
	char forget[256]; /* the address F is about to forget */
};

static size_t
page_rows(ps_tui *tui)
{
	int r = ps_tui_body_rows(tui) - TOP_ROWS;

	return r > 1 ? (size_t)r : 1;
}

/* The filter the operator left the screen with, for this session. */
static int
restore_filter(struct logscr *s, const ps_tui_session *ss)
{
	if (!ss->log_saved)
		return 0;
	s->b.status = ss->log_status;
	snprintf(s->b.text, sizeof(s->b.text), "%s", ss->log_text);
	if (ss->log_flow[0] != '\0' &&
	    (s->b.flow = strdup(ss->log_flow)) == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	return 0;
}

static void
save_filter(ps_tui_session *ss, const struct logscr *s)
{
	ss->log_saved = 1;
	ss->log_status = s->b.status;
	snprintf(ss->log_flow, sizeof(ss->log_flow), "%s",
		 s->b.flow != NULL ? s->b.flow : "");
	snprintf(ss->log_text, sizeof(ss->log_text), "%s", s->b.text);
}

static int
log_open(void **out, ps_tui *tui, const void *arg)
{
	struct logscr *s;
	int error;

	(void)arg;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	s->tui = tui;
	ps_log_browser_init(&s->b, page_rows(tui));
	if ((error = restore_filter(s, ps_tui_session_get(tui))) < 0) {
		ps_log_browser_dispose(&s->b);
		free(s);
		return error;
	}
	if ((error = ps_log_browser_load(&s->b, ps_tui_store(tui))) < 0) {
		ps_log_browser_dispose(&s->b);
		free(s);
		return error;
	}
	*out = s;
	return 0;
}

static void
free_flows(struct logscr *s)
{
	size_t i;

	for (i = 0; i < s->n_flows; i++)
		free(s->flows[i]);
	free(s->flows);
	s->flows = NULL;
	s->n_flows = 0;
}

static void
log_close(void *state)
{
	struct logscr *s = state;

	if (s == NULL)
		return;
	save_filter(ps_tui_session_get(s->tui), s);
	ps_log_browser_dispose(&s->b);
	free_flows(s);
	free(s);
}

static int
log_reload(void *state, ps_tui *tui)
{
	struct logscr *s = state;

	return ps_log_browser_load(&s->b, ps_tui_store(tui));
}

/* "11-22 14:32" for the columns; "-" for 0. */
static char *
short_time(char *buf, size_t cap, int64_t ms)
{
	char full[32];

	ps_tui_format_time(full, sizeof(full), ms);
	snprintf(buf, cap, "%s", ms > 0 && strlen(full) >= 16 ? full + 5 : "-");
	return buf;
}

static ps_tui_attr
status_attr(ps_entry_status st)
{
	switch (st) {
	case PS_ENTRY_SYNCED:
		return PS_TUI_GOOD;
	case PS_ENTRY_FAILED:
		return PS_TUI_BAD;
	default:
		return PS_TUI_WARN;
	}
}

/* The reason column: why it failed or what it waits for; "-" if none. */
static const char *
reason_of(const ps_log_entry *e)
{
	return e->reason != NULL && e->reason[0] != '\0' ? e->reason : "-";
}

static void
log_draw(void *state, ps_tui *tui)
{
	struct logscr *s = state;
	const ps_log_entry *e;
	char filter[256], money[PS_MONEY_STR_MAX], total[48], ins[32], syn[32];
	char what[192];
	int x[COL_COUNT], w[COL_COUNT], c, row;
	ps_tui_attr a;
	size_t i;

	layout(x, w, ps_tui_body_cols(tui));
	ps_log_browser_describe(filter, sizeof(filter), &s->b);
	ps_tui_text(tui, 0, 1, 0, PS_TUI_HEADING, "Filter:");
	ps_tui_cell(tui, 0, 9, 0, PS_TUI_NORMAL, filter);
	for (c = 0; c < COL_COUNT; c++)
		if (x[c] >= 0)
			ps_tui_text(tui, 1, x[c], w[c], PS_TUI_HEADING,
				    columns[c].heading);
	if (s->b.n == 0) {
		ps_tui_text(tui, TOP_ROWS + 1, 2, 0, PS_TUI_DIM,
			    "No entries match this filter.");
		return;
	}
	for (i = 0; i < s->b.n; i++) {
		e = &s->b.rows[i];
		row = TOP_ROWS + (int)i;
		a = i == s->b.sel ? PS_TUI_SELECTED : PS_TUI_NORMAL;
		if (i == s->b.sel)
			ps_tui_fill(tui, row, PS_TUI_SELECTED);
		if (e->has_total)
			snprintf(total, sizeof(total), "%s %s",
				 ps_money_format(money, sizeof(money), e->total,
						 2),
				 e->currency ? e->currency : "");
		else
			snprintf(total, sizeof(total), "-");
		ps_tui_cell(tui, row, x[COL_ORDER], w[COL_ORDER], a,
			    e->order_number
				    ? e->order_number
				    : (e->source_id ? e->source_id : "-"));
		if (x[COL_TOTAL] >= 0)
			ps_tui_textf(tui, row, x[COL_TOTAL], 13, a, "%13s",
				     total);
		ps_tui_text(tui, row, x[COL_INSERTED], w[COL_INSERTED], a,
			    short_time(ins, sizeof(ins), e->inserted_at));
		if (x[COL_SYNCED] >= 0)
			ps_tui_text(tui, row, x[COL_SYNCED], w[COL_SYNCED], a,
				    short_time(syn, sizeof(syn), e->synced_at));
		/* synced with a warning (a refused reservation): "synced!"
		 * in the warning colour; the detail shows the reason */
		if (e->status == PS_ENTRY_SYNCED && e->reason != NULL &&
		    strncmp(e->reason, PS_LOG_WARNING_PREFIX,
			    sizeof(PS_LOG_WARNING_PREFIX) - 1) == 0)
			ps_tui_cell(tui, row, x[COL_STATUS], w[COL_STATUS],
				    i == s->b.sel ? a : PS_TUI_WARN, "synced!");
		else
			ps_tui_cell(tui, row, x[COL_STATUS], w[COL_STATUS],
				    i == s->b.sel ? a : status_attr(e->status),
				    ps_entry_status_name(e->status));
		if (x[COL_SHIP_METHOD] >= 0)
			ps_tui_cell(tui, row, x[COL_SHIP_METHOD],
				    w[COL_SHIP_METHOD], a,
				    e->shipping_method ? e->shipping_method
						       : "-");
		if (x[COL_SHIPMENT] >= 0)
			ps_tui_cell(
				tui, row, x[COL_SHIPMENT], w[COL_SHIPMENT], a,
				e->shipment_status ? e->shipment_status : "-");
		if (x[COL_WHAT] >= 0)
			ps_tui_cell(
				tui, row, x[COL_WHAT], w[COL_WHAT], a,
				ps_log_entry_describe(what, sizeof(what), e)[0]
					? what
					: "-");
		ps_tui_cell(tui, row, x[COL_REASON], w[COL_REASON], a,
			    reason_of(e));
	}
}

static int
search_done(ps_tui *tui, void *payload, const char *text)
{
	struct logscr *s = payload;

	if (text == NULL)
		return 0;
	return ps_log_browser_set_text(&s->b, ps_tui_store(tui), text);
}

static int
flow_chosen(ps_tui *tui, void *payload, long index, const char *item)
{
	struct logscr *s = payload;

	if (index < 0)
		return 0;
	return ps_log_browser_set_flow(&s->b, ps_tui_store(tui),
				       index == 0 ? NULL : item);
}

static int
add_flow(struct logscr *s, const char *name)
{
	char **grown;
	size_t i;

	for (i = 0; i < s->n_flows; i++)
		if (strcmp(s->flows[i], name) == 0)
			return 0;
	grown = realloc(s->flows, (s->n_flows + 1) * sizeof(*grown));
	if (grown == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	s->flows = grown;
	if ((s->flows[s->n_flows] = strdup(name)) == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	s->n_flows++;
	return 0;
}

/* Flows to choose from: the registry's, then any seen on this page. */
static int
pick_flow(struct logscr *s, ps_tui *tui)
{
	const ps_flow_ops *const *f;
	size_t i, initial = 0;
	int error = 0;

	free_flows(s);
	error = add_flow(s, "(any flow)");
	for (f = ps_flows_all(); error == 0 && *f != NULL; f++)
		if (ps_dashboard_flow_listed(ps_tui_store(tui), *f))
			error = add_flow(s, (*f)->name);
	for (i = 0; error == 0 && i < s->b.n; i++)
		error = add_flow(s, s->b.rows[i].flow);
	if (error < 0)
		return error;
	for (i = 1; s->b.flow != NULL && i < s->n_flows; i++)
		if (strcmp(s->flows[i], s->b.flow) == 0)
			initial = i;
	return ps_tui_pick(tui, "Flow", (const char *const *)s->flows,
			   s->n_flows, initial, flow_chosen, s);
}

static int
retry_all_confirmed(ps_tui *tui, void *payload, int yes)
{
	struct logscr *s = payload;
	size_t n;
	int error;

	if (!yes)
		return 0;
	error = ps_log_browser_retry_filtered(&n, &s->b, ps_tui_store(tui),
					      ps_tui_now(tui));
	if (error < 0)
		return error;
	ps_tui_message(tui, 0, "%zu failed %s queued for retry", n,
		       n == 1 ? "entry" : "entries");
	return 0;
}

/* ---- F: forget a customer (privacy.h) --------------------------------- */

/* The first e-mail address in text into out (cap bytes), else "". */
static void
first_email(char *out, size_t cap, const char *text)
{
	const char *at, *a, *z;

	out[0] = '\0';
	for (at = text != NULL ? strchr(text, '@') : NULL; at != NULL;
	     at = strchr(at + 1, '@')) {
		for (a = at; a > text && (isalnum((unsigned char)a[-1]) ||
					  strchr("._%+-", a[-1]) != NULL);
		     a--)
			;
		for (z = at + 1;
		     isalnum((unsigned char)*z) || *z == '.' || *z == '-'; z++)
			;
		while (z > at + 1 && z[-1] == '.')
			z--;
		if (a < at && memchr(at + 1, '.', (size_t)(z - at - 1)) &&
		    (size_t)(z - a) < cap) {
			memcpy(out, a, (size_t)(z - a));
			out[z - a] = '\0';
			return;
		}
	}
}

static int
forget_confirmed(ps_tui *tui, void *payload, int yes)
{
	struct logscr *s = payload;
	ps_privacy_stats st;
	int error;

	if (!yes)
		return 0;
	if ((error = ps_privacy_forget(&st, ps_tui_store(tui), s->forget, 0)) <
	    0)
		return error;
	ps_tui_message(tui, 0,
		       "%s forgotten: %lld value%s redacted, %lld "
		       "contact%s deleted",
		       s->forget, (long long)st.values,
		       st.values == 1 ? "" : "s", (long long)st.rows,
		       st.rows == 1 ? "" : "s");
	return ps_log_browser_load(&s->b, ps_tui_store(tui));
}

static int
forget_typed(ps_tui *tui, void *payload, const char *text)
{
	struct logscr *s = payload;
	ps_privacy_stats st;
	char q[512];
	int error;

	if (text == NULL || text[0] == '\0')
		return 0;
	/* the dry run: what would go, and whether the address is one */
	if ((error = ps_privacy_forget(&st, ps_tui_store(tui), text, 1)) < 0)
		return error;
	snprintf(s->forget, sizeof(s->forget), "%s", text);
	/* short: the question and [y/N] fit 60 columns */
	snprintf(q, sizeof(q), "Forget %s (%lld value%s, %lld contact%s)?",
		 s->forget, (long long)st.values, st.values == 1 ? "" : "s",
		 (long long)st.rows, st.rows == 1 ? "" : "s");
	ps_tui_confirm(tui, q, forget_confirmed, s);
	return 0;
}

static int
log_handle(void *state, ps_tui *tui, ps_tui_request req)
{
	struct logscr *s = state;
	ps_store *st = ps_tui_store(tui);
	const ps_log_entry *e;
	char filter[256], q[320];
	int64_t id;
	int error;

	switch (req) {
	case PS_TUI_REQ_DOWN:
		return ps_log_browser_down(&s->b, st);
	case PS_TUI_REQ_UP:
		return ps_log_browser_up(&s->b, st);
	case PS_TUI_REQ_PAGE_DOWN:
		return ps_log_browser_page_down(&s->b, st);
	case PS_TUI_REQ_PAGE_UP:
		return ps_log_browser_page_up(&s->b, st);
	case PS_TUI_REQ_HOME:
		return ps_log_browser_first(&s->b, st);
	case PS_TUI_REQ_END:
		ps_log_browser_last_row(&s->b);
		return PS_TUI_HANDLED;
	case PS_TUI_REQ_RESIZE:
		return ps_log_browser_set_page_size(&s->b, st, page_rows(tui));
	case PS_TUI_REQ_ENTER:
		if ((e = ps_log_browser_selected(&s->b)) == NULL)
			return PS_TUI_HANDLED;
		id = e->id;
		return ps_tui_push(tui, &ps_screen_log_detail, &id);
	case PS_TUI_REQ_SEARCH:
		ps_tui_prompt(tui, "Search (order #, id, reason):", s->b.text,
			      0, search_done, s);
		return PS_TUI_HANDLED;
	case PS_TUI_REQ_FILTER_STATUS:
		return ps_log_browser_cycle_status(&s->b, st);
	case PS_TUI_REQ_FILTER_FLOW:
		return pick_flow(s, tui);
	case PS_TUI_REQ_FILTER_CLEAR:
		return ps_log_browser_clear(&s->b, st);
	case PS_TUI_REQ_RETRY:
		if ((e = ps_log_browser_selected(&s->b)) == NULL)
			return PS_TUI_HANDLED;
		id = e->id;
		if ((error = ps_log_browser_retry_selected(
			     &s->b, st, ps_tui_now(tui))) < 0)
			return error;
		ps_tui_message(tui, 0, "entry %lld queued for retry",
			       (long long)id);
		return PS_TUI_HANDLED;
	case PS_TUI_REQ_RETRY_ALL:
		if (s->b.status != -1 && s->b.status != PS_ENTRY_FAILED) {
			ps_tui_message(tui, 1,
				       "the filter shows no failed "
				       "entries");
			return PS_TUI_HANDLED;
		}
		ps_log_browser_describe(filter, sizeof(filter), &s->b);
		snprintf(q, sizeof(q),
			 "Retry every failed entry in the filter (%s)?",
			 filter);
		ps_tui_confirm(tui, q, retry_all_confirmed, s);
		return PS_TUI_HANDLED;
	case PS_TUI_REQ_FORGET:
		/* the selected entry's customer, when it names one */
		s->forget[0] = '\0';
		if ((e = ps_log_browser_selected(&s->b)) != NULL)
			first_email(s->forget, sizeof(s->forget), e->reason);
		if (e != NULL && s->forget[0] == '\0')
			first_email(s->forget, sizeof(s->forget), e->detail);
		ps_tui_prompt(tui,
			      "Forget the customer with e-mail:", s->forget, 0,
			      forget_typed, s);
		return PS_TUI_HANDLED;
	default:
		return PS_TUI_UNHANDLED;
	}
}

static void
log_status(void *state, ps_tui *tui, char *buf, size_t cap)
{
	struct logscr *s = state;

	(void)tui;
	if (s->b.n == 0 && s->b.resume != 0)
		snprintf(buf, cap,
			 "no match in the newest entries searched, "
			 "more: PgDn");
	else if (s->b.n == 0)
		snprintf(buf, cap, "no entries");
	else
		snprintf(buf, cap, "page %zu, row %zu of %zu%s", s->b.page_no,
			 s->b.sel + 1, s->b.n, s->b.more ? ", more: PgDn" : "");
}

const ps_screen_ops ps_screen_log = {
	"log",      "Sync log", log_open,
	log_close,  log_reload, log_draw,
	log_handle, log_status, "s f / c:filter r R:retry",
};
