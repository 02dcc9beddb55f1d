/*
 * model_log.h - the sync log browser's model: the filter (status, flow,
 * text), the page of entries shown and the selection, paged through the
 * store with keyset paging (ps_store_log_list's before_id), so a log of a
 * million entries is browsed without loading more than a page.
 *
 * Paging: the page shows the page_size newest entries older than
 * page_before (0 = from the newest).  Moving past the last row loads the
 * next page; moving above the first row goes back to the previous page,
 * whose before_id was pushed on a stack.  Changing the filter starts again
 * from the newest.  No curses here: unit tested in test_tui_models.c.
 */
#ifndef PEARLSYNC_MODEL_LOG_H
#define PEARLSYNC_MODEL_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "pearlsync/store.h"

#define PS_LOG_BROWSER_TEXT_MAX 128

typedef struct ps_log_browser {
	/* filter */
	int status;                         /* ps_entry_status or -1 for any */
	char *flow;                         /* owned; NULL for any */
	char text[PS_LOG_BROWSER_TEXT_MAX]; /* "" for any */
	/* paging */
	size_t page_size;    /* rows per page, 1..1000 */
	int64_t page_before; /* before_id of the page shown; 0 = newest */
	int64_t *back;       /* owned: before_ids of the earlier pages */
	size_t n_back, cap_back;
	size_t page_no; /* 1-based, for the status line */
	/* the page */
	ps_log_entry *rows; /* owned, n of them, newest first */
	size_t n;
	int more; /* nonzero when an older page exists */
	/* nonzero: the search stopped on its budget (ps_store_log_search)
	 * with the page not full; the next page starts below this id */
	int64_t resume;
	size_t sel; /* index into rows */
} ps_log_browser;

/* ps_log_browser_init - no filter, page_size rows (clamped 1..1000). */
void ps_log_browser_init(ps_log_browser *b, size_t page_size);

/* ps_log_browser_dispose - free everything; accepts NULL. */
void ps_log_browser_dispose(ps_log_browser *b);

/*
 * ps_log_browser_load - (re)read the current page from st, keeping the
 * selection on the same entry id when it is still there.  Returns 0 or the
 * store's PS_E*.
 */
int ps_log_browser_load(ps_log_browser *b, ps_store *st);

/*
 * Filter setters: each starts again from the newest page and loads it.
 * flow NULL or "" means any; text NULL or "" means any.
 * ps_log_browser_cycle_status goes any -> pending -> synced -> failed ->
 * any.
 */
int ps_log_browser_set_status(ps_log_browser *b, ps_store *st, int status);
int ps_log_browser_cycle_status(ps_log_browser *b, ps_store *st);
int ps_log_browser_set_flow(ps_log_browser *b, ps_store *st, const char *flow);
int ps_log_browser_set_text(ps_log_browser *b, ps_store *st, const char *text);
int ps_log_browser_clear(ps_log_browser *b, ps_store *st);

/*
 * ps_log_browser_set_page_size - new rows per page (terminal resized):
 * reloads from the first entry of the current page.
 */
int ps_log_browser_set_page_size(ps_log_browser *b, ps_store *st,
				 size_t page_size);

/*
 * Movement.  down/up move the selection one row, crossing into the next or
 * previous page at the edges; page_down/page_up load the next/previous
 * page; first goes back to the newest.  Each returns 0 (also when there is
 * nowhere to go) or a store error.
 */
int ps_log_browser_down(ps_log_browser *b, ps_store *st);
int ps_log_browser_up(ps_log_browser *b, ps_store *st);
int ps_log_browser_page_down(ps_log_browser *b, ps_store *st);
int ps_log_browser_page_up(ps_log_browser *b, ps_store *st);
int ps_log_browser_first(ps_log_browser *b, ps_store *st);
/* ps_log_browser_last_row - select the last row of the page shown. */
void ps_log_browser_last_row(ps_log_browser *b);

/* ps_log_browser_selected - the selected entry (borrowed) or NULL. */
const ps_log_entry *ps_log_browser_selected(const ps_log_browser *b);

/*
 * ps_log_browser_retry_selected - operator retry of the selected entry
 * (ps_store_log_retry), then reload.  PS_ENOTFOUND when nothing is
 * selected; PS_EINVAL (detail for the operator) when it is synced or in
 * flight.
 */
int ps_log_browser_retry_selected(ps_log_browser *b, ps_store *st, int64_t now);

/*
 * ps_log_browser_retry_filtered - retry every FAILED entry the filter
 * matches (all pages, not only the one shown), in one transaction; *out
 * receives how many.  A status filter other than any/failed matches no
 * failed entry (0).  Then reload.
 */
int ps_log_browser_retry_filtered(size_t *out, ps_log_browser *b, ps_store *st,
				  int64_t now);

/*
 * ps_log_browser_describe - the filter in words into buf: "all entries",
 * "failed, flow order_import_bc, text \"1042\"".  Returns buf.
 */
char *ps_log_browser_describe(char *buf, size_t cap, const ps_log_browser *b);

#endif
