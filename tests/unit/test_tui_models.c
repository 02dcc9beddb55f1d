/*
 * test_tui_models.c - the console's models without curses: the list and
 * text-input widgets, UTF-8 widths, the sync log browser (keyset paging,
 * filters, retry), the dashboard's aggregation and the settings history.
 * Each test gets a fresh database in a temporary directory; time is fixed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../console/seed.h"
#include "model_dashboard.h"
#include "store/store_int.h"
#include "model_history.h"
#include "model_log.h"
#include "pearlsync/flow.h"
#include "pearlsync/platform.h"
#include "pearlsync/setup.h"
#include "pearlsync/settings.h"
#include "pearlsync/worker.h"
#include "pearlsync/store.h"
#include "tui.h"
#include "test_db.h"

#define NOW PS_SEED_NOW
#define MIN 60000LL

struct fx {
	test_db db;
	ps_store *st; /* db.st */
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(test_db_open(&f->db, "tui"), 0);
	f->st = f->db.st;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	test_db_close(&f->db);
	free(f);
	return 0;
}

/* --- widgets ------------------------------------------------------------ */

static void
test_tui_models__list_moves_and_scrolls(void **state)
{
	ps_tui_list l = {0, 0, 0};

	(void)state;
	/* empty list: every move is handled and stays at 0 */
	assert_true(ps_tui_list_move(&l, PS_TUI_REQ_DOWN, 5));
	assert_true(ps_tui_list_move(&l, PS_TUI_REQ_END, 5));
	assert_int_equal(l.sel, 0);
	assert_false(ps_tui_list_move(&l, PS_TUI_REQ_ENTER, 5));
	ps_tui_list_set_count(&l, 12);
	ps_tui_list_move(&l, PS_TUI_REQ_END, 5);
	assert_int_equal(l.sel, 11);
	assert_int_equal(l.top, 7);
	ps_tui_list_move(&l, PS_TUI_REQ_PAGE_UP, 5);
	assert_int_equal(l.sel, 7);
	ps_tui_list_move(&l, PS_TUI_REQ_HOME, 5);
	assert_int_equal(l.sel, 0);
	assert_int_equal(l.top, 0);
	ps_tui_list_move(&l, PS_TUI_REQ_UP, 5);
	assert_int_equal(l.sel, 0);
	ps_tui_list_move(&l, PS_TUI_REQ_PAGE_DOWN, 5);
	assert_int_equal(l.sel, 4);
	/* shrinking keeps the selection in range */
	ps_tui_list_set_count(&l, 3);
	assert_int_equal(l.sel, 2);
	ps_tui_list_set_count(&l, 0);
	assert_int_equal(l.sel, 0);
}

static void
test_tui_models__input_edits_utf8(void **state)
{
	ps_tui_input in;

	(void)state;
	ps_tui_input_set(&in, NULL);
	assert_int_equal(in.len, 0);
	ps_tui_input_backspace(&in); /* nothing to remove */
	ps_tui_input_delete(&in);
	assert_int_equal(ps_tui_input_insert(&in, 'a'), 0);
	assert_int_equal(ps_tui_input_insert(&in, 0xe9), 0);   /* é */
	assert_int_equal(ps_tui_input_insert(&in, 0x20ac), 0); /* € */
	assert_string_equal(in.text, "a\xc3\xa9\xe2\x82\xac");
	assert_int_equal(ps_tui_input_insert(&in, '\n'), -1);
	assert_int_equal(ps_tui_input_insert(&in, 0xd800), -1);
	ps_tui_input_edit(&in, PS_TUI_REQ_LEFT);
	ps_tui_input_backspace(&in); /* removes é whole */
	assert_string_equal(in.text, "a\xe2\x82\xac");
	ps_tui_input_edit(&in, PS_TUI_REQ_HOME);
	ps_tui_input_delete(&in);
	assert_string_equal(in.text, "\xe2\x82\xac");
	ps_tui_input_edit(&in, PS_TUI_REQ_END);
	assert_int_equal(in.cursor, 3);
	/* set never keeps half a character */
	{
		char big[PS_TUI_INPUT_MAX + 8];

		memset(big, 'x', sizeof(big));
		memcpy(big + PS_TUI_INPUT_MAX - 2, "\xe2\x82\xac", 3);
		big[sizeof(big) - 1] = '\0';
		ps_tui_input_set(&in, big);
		assert_int_equal(in.len, PS_TUI_INPUT_MAX - 2);
		assert_int_equal(ps_tui_input_insert(&in, 0x20ac), -1);
	}
}

static void
test_tui_models__utf8_widths(void **state)
{
	int cols;

	(void)state;
	assert_int_equal(ps_tui_utf8_fit("", 5, &cols), 0);
	assert_int_equal(cols, 0);
	assert_int_equal(ps_tui_utf8_fit("abcdef", 0, NULL), 0);
	assert_int_equal(ps_tui_utf8_fit("abcdef", 4, &cols), 4);
	/* "Café" is 5 bytes, 4 columns; cutting at 3 keeps "Caf" */
	assert_int_equal(ps_tui_utf8_fit("Caf\xc3\xa9", 4, &cols), 5);
	assert_int_equal(cols, 4);
	assert_int_equal(ps_tui_utf8_fit("Caf\xc3\xa9", 3, NULL), 3);
	/* a wide CJK character does not fit in one column */
	assert_int_equal(ps_tui_utf8_fit("\xe6\x97\xa5", 1, &cols), 0);
	assert_int_equal(ps_tui_utf8_width("\xe6\x97\xa5x"), 3);
	/* a stray continuation byte counts as one column */
	assert_int_equal(ps_tui_utf8_width("\x80z"), 2);
}

static void
test_tui_models__ellipsize(void **state)
{
	char b[16];

	(void)state;
	/* degenerate: NULL, no room, empty */
	assert_string_equal(ps_tui_ellipsize(b, sizeof(b), NULL, 5), "");
	assert_string_equal(ps_tui_ellipsize(b, sizeof(b), "abc", 0), "");
	assert_string_equal(ps_tui_ellipsize(b, sizeof(b), "", 3), "");
	/* fits exactly: untouched */
	assert_string_equal(ps_tui_ellipsize(b, sizeof(b), "abc", 3), "abc");
	/* one too long: the last column becomes the mark */
	assert_string_equal(ps_tui_ellipsize(b, sizeof(b), "abcd", 3),
			    "ab\xe2\x80\xa6");
	assert_string_equal(ps_tui_ellipsize(b, sizeof(b), "abcd", 1),
			    "\xe2\x80\xa6");
	/* never half a character: "Café!" in 4 keeps "Caf" */
	assert_string_equal(ps_tui_ellipsize(b, sizeof(b), "Caf\xc3\xa9!", 4),
			    "Caf\xe2\x80\xa6");
	/* a wide character that does not fit before the mark */
	assert_string_equal(ps_tui_ellipsize(b, sizeof(b),
					     "a\xe6\x97\xa5"
					     "b",
					     3),
			    "a\xe2\x80\xa6");
	/* a short buffer cuts too, and still says so */
	assert_string_equal(ps_tui_ellipsize(b, 6, "abcdefgh", 20),
			    "ab\xe2\x80\xa6");
	assert_int_equal(ps_tui_utf8_width(ps_tui_ellipsize(
				 b, sizeof(b), "abcdefghijklmnopq", 10)),
			 10);
}

static void
test_tui_models__formats(void **state)
{
	char b[32];

	(void)state;
	assert_string_equal(ps_tui_format_count(b, sizeof(b), 0), "0");
	assert_string_equal(ps_tui_format_count(b, sizeof(b), 999), "999");
	assert_string_equal(ps_tui_format_count(b, sizeof(b), 1000), "1,000");
	assert_string_equal(ps_tui_format_count(b, sizeof(b), -1234567),
			    "-1,234,567");
	assert_string_equal(ps_tui_format_age(b, sizeof(b), 3000), "3s");
	assert_string_equal(ps_tui_format_age(b, sizeof(b), 3723000), "1h 2m");
	assert_string_equal(ps_tui_format_time(b, sizeof(b), 0), "-");
	assert_string_equal(ps_tui_format_time(b, sizeof(b), NOW),
			    "2026-11-22 12:00");
	assert_true(ps_tui_day_start(NOW) == NOW - 12 * 3600000LL);
}

static void
test_tui_models__requests_table_complete(void **state)
{
	const ps_tui_request_info *r;
	size_t n, i;

	(void)state;
	r = ps_tui_requests(&n);
	assert_true(n > 20);
	for (i = 0; i < n; i++) {
		assert_true(r[i].keys[0] != '\0');
		assert_true(r[i].help[0] != '\0');
		assert_ptr_equal(ps_tui_request_find(r[i].request), &r[i]);
	}
	assert_null(ps_tui_request_find(PS_TUI_REQ_TICK));
}

/* --- log browser -------------------------------------------------------- */

static void
test_tui_models__log_browser_empty(void **state)
{
	struct fx *f = *state;
	ps_log_browser b;

	ps_log_browser_init(&b, 0); /* clamped to 1 */
	assert_int_equal(b.page_size, 1);
	assert_int_equal(ps_log_browser_load(&b, f->st), 0);
	assert_int_equal(b.n, 0);
	assert_null(ps_log_browser_selected(&b));
	assert_int_equal(ps_log_browser_down(&b, f->st), 0);
	assert_int_equal(ps_log_browser_up(&b, f->st), 0);
	assert_int_equal(ps_log_browser_page_down(&b, f->st), 0);
	assert_int_equal(ps_log_browser_retry_selected(&b, f->st, NOW),
			 PS_ENOTFOUND);
	ps_log_browser_dispose(&b);
	ps_log_browser_dispose(NULL);
}

static void
test_tui_models__log_browser_pages_through_everything(void **state)
{
	struct fx *f = *state;
	ps_log_browser b;
	int64_t prev = INT64_MAX;
	size_t seen = 0, pages = 1;

	assert_int_equal(ps_seed_log(f->st, 95, NOW - 95 * MIN, MIN), 0);
	ps_log_browser_init(&b, 10);
	assert_int_equal(ps_log_browser_load(&b, f->st), 0);
	assert_int_equal(b.n, 10);
	assert_true(b.more);
	/* walk with Down: every entry once, newest first, 10 pages */
	for (;;) {
		const ps_log_entry *e = ps_log_browser_selected(&b);

		assert_non_null(e);
		assert_true(e->id < prev);
		prev = e->id;
		seen++;
		if (b.sel + 1 == b.n && !b.more)
			break;
		if (b.sel + 1 == b.n)
			pages++;
		assert_int_equal(ps_log_browser_down(&b, f->st), 0);
	}
	assert_int_equal(seen, 95);
	assert_int_equal(pages, 10);
	assert_int_equal(b.page_no, 10);
	assert_int_equal(b.n, 5);
	/* at the very end Down stays */
	assert_int_equal(ps_log_browser_down(&b, f->st), 0);
	assert_int_equal(b.sel, 4);
	/* Up from the first row goes back a page, to its last row */
	b.sel = 0;
	assert_int_equal(ps_log_browser_up(&b, f->st), 0);
	assert_int_equal(b.page_no, 9);
	assert_int_equal(b.sel, 9);
	assert_int_equal(b.rows[9].id, prev + 5);
	/* PgUp back to the first page, then Home */
	while (b.page_no > 1)
		assert_int_equal(ps_log_browser_page_up(&b, f->st), 0);
	assert_int_equal(b.rows[0].id, 95);
	assert_int_equal(ps_log_browser_page_down(&b, f->st), 0);
	assert_int_equal(ps_log_browser_first(&b, f->st), 0);
	assert_int_equal(b.page_no, 1);
	assert_int_equal(b.rows[0].id, 95);
	ps_log_browser_dispose(&b);
}

/*
 * A filtered search that stops on its budget (ps_store_log_search) shows
 * a short page with "more", and PgDn goes on from where it stopped: the
 * pages together hold every match once, newest first, and PgUp walks
 * back through the same pages.
 */
static void
test_tui_models__log_browser_search_resumes(void **state)
{
	struct fx *f = *state;
	ps_log_browser b;
	int64_t prev = INT64_MAX, first_ids[5];
	size_t seen = 0, stops = 0, first_n, i;

	assert_int_equal(ps_seed_log(f->st, 200, NOW - 200 * MIN, MIN), 0);
	ps_store__set_search_budget(f->st, 3);
	ps_log_browser_init(&b, 5);
	assert_int_equal(ps_log_browser_set_status(&b, f->st, PS_ENTRY_FAILED),
			 0);
	assert_int_equal(ps_log_browser_set_text(&b, f->st, "TEE-RED"), 0);
	first_n = b.n;
	for (i = 0; i < b.n; i++)
		first_ids[i] = b.rows[i].id;
	for (;;) {
		for (i = 0; i < b.n; i++) {
			assert_true(b.rows[i].id < prev);
			assert_int_equal(b.rows[i].status, PS_ENTRY_FAILED);
			prev = b.rows[i].id;
			seen++;
		}
		stops += b.resume != 0;
		if (!b.more)
			break;
		assert_int_equal(ps_log_browser_page_down(&b, f->st), 0);
	}
	assert_int_equal(seen, 20); /* i % 10 == 4 of 200 */
	assert_true(stops > 0);
	while (b.page_no > 1)
		assert_int_equal(ps_log_browser_page_up(&b, f->st), 0);
	assert_int_equal(b.n, first_n);
	for (i = 0; i < b.n; i++)
		assert_int_equal(b.rows[i].id, first_ids[i]);

	/* no synced entry has the reason: empty pages that say "more" */
	assert_int_equal(ps_log_browser_set_status(&b, f->st, PS_ENTRY_SYNCED),
			 0);
	assert_int_equal(b.n, 0);
	assert_true(b.more);
	assert_true(b.resume != 0);
	for (i = 0; b.more && i < 1000; i++) {
		assert_int_equal(ps_log_browser_page_down(&b, f->st), 0);
		assert_int_equal(b.n, 0);
	}
	assert_false(b.more);
	ps_store__set_search_budget(f->st, 0);
	ps_log_browser_dispose(&b);
}

static void
test_tui_models__log_browser_filters(void **state)
{
	struct fx *f = *state;
	ps_log_browser b;
	char d[128];
	size_t i;

	assert_int_equal(ps_seed_log(f->st, 95, NOW - 95 * MIN, MIN), 0);
	ps_log_browser_init(&b, 50);
	assert_int_equal(ps_log_browser_load(&b, f->st), 0);
	assert_string_equal(ps_log_browser_describe(d, sizeof(d), &b),
			    "all entries");
	/* status cycles any -> pending -> synced -> failed -> any */
	assert_int_equal(ps_log_browser_cycle_status(&b, f->st), 0);
	assert_int_equal(b.status, PS_ENTRY_PENDING);
	assert_int_equal(b.n, 9); /* i % 10 == 7: 7, 17, ..., 87 */
	assert_int_equal(ps_log_browser_cycle_status(&b, f->st), 0);
	assert_int_equal(ps_log_browser_cycle_status(&b, f->st), 0);
	assert_int_equal(b.status, PS_ENTRY_FAILED);
	assert_int_equal(b.n, 10); /* i % 10 == 4: 4, 14, ..., 94 */
	for (i = 0; i < b.n; i++)
		assert_int_equal(b.rows[i].status, PS_ENTRY_FAILED);
	assert_false(b.more);
	/* flow: pending fulfilments are i % 4 == 3 and i % 10 == 7 */
	assert_int_equal(ps_log_browser_set_status(&b, f->st, PS_ENTRY_PENDING),
			 0);
	assert_int_equal(ps_log_browser_set_flow(&b, f->st, "fulfilment_bp_bc"),
			 0);
	for (i = 0; i < b.n; i++)
		assert_string_equal(b.rows[i].flow, "fulfilment_bp_bc");
	assert_int_equal(b.n, 5); /* 87, 67, 47, 27, 7 */
	assert_string_equal(b.rows[0].order_number, "1087");
	assert_string_equal(ps_log_browser_describe(d, sizeof(d), &b),
			    "pending, flow fulfilment_bp_bc");
	/* text: the order number */
	assert_int_equal(ps_log_browser_set_text(&b, f->st, "1047"), 0);
	assert_int_equal(b.n, 1);
	assert_string_equal(b.rows[0].order_number, "1047");
	assert_int_equal(ps_log_browser_set_text(&b, f->st, "no such"), 0);
	assert_int_equal(b.n, 0);
	assert_int_equal(ps_log_browser_clear(&b, f->st), 0);
	assert_int_equal(b.n, 50);
	assert_int_equal(b.status, -1);
	assert_null(b.flow);
	assert_int_equal(ps_log_browser_set_status(&b, f->st, 9), PS_EINVAL);
	ps_log_browser_dispose(&b);
}

static void
test_tui_models__log_browser_retry(void **state)
{
	struct fx *f = *state;
	ps_log_browser b;
	ps_log_entry e;
	size_t n;

	assert_int_equal(ps_seed_log(f->st, 40, NOW - 40 * MIN, MIN), 0);
	ps_log_browser_init(&b, 10);
	assert_int_equal(ps_log_browser_set_status(&b, f->st, PS_ENTRY_FAILED),
			 0);
	assert_int_equal(b.n, 4); /* 4, 14, 24, 34 */
	/* retrying one: it leaves the failed filter, the selection stays */
	assert_int_equal(ps_log_browser_retry_selected(&b, f->st, NOW), 0);
	assert_int_equal(b.n, 3);
	assert_int_equal(ps_store_log_get(&e, f->st, 35), 0);
	assert_int_equal(e.status, PS_ENTRY_PENDING);
	assert_int_equal(e.attempts, 0);
	assert_true(e.next_attempt_at <= NOW);
	ps_log_entry_dispose(&e);
	/* a synced entry cannot be retried */
	assert_int_equal(ps_log_browser_set_status(&b, f->st, PS_ENTRY_SYNCED),
			 0);
	assert_int_equal(ps_log_browser_retry_selected(&b, f->st, NOW),
			 PS_EINVAL);
	/* R with a synced filter retries nothing */
	assert_int_equal(ps_log_browser_retry_filtered(&n, &b, f->st, NOW), 0);
	assert_int_equal(n, 0);
	/* R with a text filter retries only the matching failed entries */
	assert_int_equal(ps_log_browser_set_status(&b, f->st, -1), 0);
	assert_int_equal(ps_log_browser_set_text(&b, f->st, "1014"), 0);
	assert_int_equal(ps_log_browser_retry_filtered(&n, &b, f->st, NOW), 0);
	assert_int_equal(n, 1);
	/* R without text: every failed one left (i = 4 and 24) */
	assert_int_equal(ps_log_browser_clear(&b, f->st), 0);
	assert_int_equal(ps_log_browser_retry_filtered(&n, &b, f->st, NOW), 0);
	assert_int_equal(n, 2);
	assert_int_equal(ps_log_browser_set_status(&b, f->st, PS_ENTRY_FAILED),
			 0);
	assert_int_equal(b.n, 0);
	ps_log_browser_dispose(&b);
}

static void
test_tui_models__log_browser_resize_keeps_selection(void **state)
{
	struct fx *f = *state;
	ps_log_browser b;
	int64_t id;

	assert_int_equal(ps_seed_log(f->st, 30, NOW - 30 * MIN, MIN), 0);
	ps_log_browser_init(&b, 10);
	assert_int_equal(ps_log_browser_load(&b, f->st), 0);
	b.sel = 6;
	id = b.rows[6].id;
	assert_int_equal(ps_log_browser_set_page_size(&b, f->st, 20), 0);
	assert_int_equal(b.n, 20);
	assert_int_equal(b.rows[b.sel].id, id);
	assert_int_equal(ps_log_browser_set_page_size(&b, f->st, 3), 0);
	assert_int_equal(b.n, 3);
	assert_true(b.more);
	ps_log_browser_dispose(&b);
}

/* --- dashboard ---------------------------------------------------------- */

static void
test_tui_models__dashboard_empty_database(void **state)
{
	struct fx *f = *state;
	ps_dashboard d;
	size_t i, n, n_sh;
	int found = 0;

	assert_int_equal(ps_dashboard_load(&d, f->st, NOW), 0);
	assert_int_equal(d.worker, PS_DASH_WORKER_NEVER);
	/* only the registry's flows between platforms switched on (DSCO's
	 * and ShipHero's are off by default), all zero */
	for (i = 0, n = 0, n_sh = 0; ps_flows_all()[i] != NULL; i++) {
		const ps_flow_ops *fl = ps_flows_all()[i];

		n_sh += fl->source == PS_PLATFORM_SHIPHERO ||
			fl->target == PS_PLATFORM_SHIPHERO;
		n += fl->source != PS_PLATFORM_DSCO &&
		     fl->target != PS_PLATFORM_DSCO &&
		     fl->source != PS_PLATFORM_SHIPHERO &&
		     fl->target != PS_PLATFORM_SHIPHERO;
	}
	assert_true(n < i);
	assert_int_equal(d.n_flows, n);
	/* switched on, DSCO's flows have their rows too */
	assert_int_equal(ps_store_setting_set(NULL, f->st, "dsco.enabled",
					      "true", "test", NOW),
			 0);
	assert_int_equal(ps_dashboard_load(&d, f->st, NOW), 0);
	assert_int_equal(d.n_flows, i - n_sh);
	assert_int_equal(ps_store_setting_set(NULL, f->st, "dsco.enabled",
					      "false", "test", NOW),
			 0);
	assert_int_equal(ps_dashboard_load(&d, f->st, NOW), 0);
	for (i = 0; i < d.n_flows; i++)
		assert_int_equal(d.flows[i].total[PS_ENTRY_SYNCED], 0);
	assert_int_equal(d.last_synced_at, 0);
	assert_true(d.n_missing > 0);
	assert_int_equal(d.platforms[PS_PLATFORM_BRIGHTPEARL].remaining, -1);
	for (i = 0; i < d.alerts.n; i++)
		if (strstr(d.alerts.v[i].what, "never run") != NULL)
			found |= 1;
	assert_int_equal(found, 1);
	assert_int_equal(d.alerts.v[0].level, PS_ALERT_ERROR);
}

static void
test_tui_models__dashboard_aggregates(void **state)
{
	struct fx *f = *state;
	ps_dashboard d;
	char spark[128];
	int64_t sum = 0;
	size_t i;
	int k;

	/* 60 entries, one every 20 minutes, the last 20 minutes ago */
	assert_int_equal(ps_seed_log(f->st, 60, NOW - 60 * 20 * MIN, 20 * MIN),
			 0);
	assert_int_equal(ps_seed_rest(f->st, NOW), 0);
	assert_int_equal(ps_dashboard_load(&d, f->st, NOW), 0);
	assert_int_equal(d.worker, PS_DASH_WORKER_RUNNING);
	assert_int_equal(d.worker_pid, 4242);
	assert_int_equal(d.heartbeat_age_ms, 3000);
	/* the registry's flows first, then the others seen in the log */
	assert_true(d.n_flows >= 2);
	assert_string_equal(d.flows[d.n_flows - 1].name, "fulfilment_bp_bc");
	for (i = 0; i + 1 < d.n_flows; i++)
		assert_ptr_equal(ps_flow_find(d.flows[i].name),
				 ps_flows_all()[i]);
	for (i = 0; i < d.n_flows; i++)
		if (strcmp(d.flows[i].name, "order_import_bc") == 0)
			break;
	assert_true(i < d.n_flows);
	assert_int_equal(d.flows[i].total[PS_ENTRY_SYNCED] +
				 d.flows[i].total[PS_ENTRY_FAILED] +
				 d.flows[i].total[PS_ENTRY_PENDING],
			 45);
	assert_int_equal(d.total[PS_ENTRY_FAILED], 6);
	assert_int_equal(d.total[PS_ENTRY_PENDING], 6);
	assert_int_equal(d.total[PS_ENTRY_SYNCED], 48);
	assert_int_equal(d.flows[d.n_flows - 1].total[PS_ENTRY_SYNCED] +
				 d.flows[d.n_flows - 1].total[PS_ENTRY_FAILED] +
				 d.flows[d.n_flows - 1].total[PS_ENTRY_PENDING],
			 15);
	/* today = updated since 00:00 UTC: entries from 00:00 on (i >= 24,
	 * updated 20-30 s after insertion) */
	assert_int_equal(d.total_today[PS_ENTRY_SYNCED] +
				 d.total_today[PS_ENTRY_FAILED] +
				 d.total_today[PS_ENTRY_PENDING],
			 36);
	/* last synced: the newest synced entry, i = 59 */
	assert_string_equal(d.last_synced_order, "1059");
	assert_true(d.last_synced_at == NOW - 20 * MIN + 30000);
	assert_int_equal(d.platforms[PS_PLATFORM_BRIGHTPEARL].requests, 122);
	assert_int_equal(d.platforms[PS_PLATFORM_BRIGHTPEARL].throttled, 2);
	assert_int_equal(d.platforms[PS_PLATFORM_BRIGHTPEARL].remaining, 154);
	assert_int_equal(d.platforms[PS_PLATFORM_BRIGHTPEARL].quota, 200);
	assert_int_equal(d.platforms[PS_PLATFORM_BIGCOMMERCE].requests, 80);
	assert_int_equal(d.platforms[PS_PLATFORM_BIGCOMMERCE].remaining, -1);
	/* orders per hour: imports only, 3 entries an hour, 3/4 of them
	 * imports; the current hour (12:00-13:00) has none */
	for (k = 0; k < PS_DASH_HOURS; k++)
		sum += d.hourly[k];
	assert_int_equal(d.hourly[PS_DASH_HOURS - 1], 0);
	assert_true(sum > 30 && sum <= 60 * 3 / 4);
	assert_false(d.hourly_capped);
	ps_dashboard_sparkline(spark, sizeof(spark), &d, 1);
	assert_int_equal(strlen(spark), PS_DASH_HOURS);
	assert_int_equal(spark[PS_DASH_HOURS - 1], ' ');
	assert_non_null(strchr(spark, '@'));
	for (i = 0; i < d.alerts.n; i++)
		if (strstr(d.alerts.v[i].what, "6 sync log entries failed") !=
		    NULL)
			break;
	assert_true(i < d.alerts.n);
	/* an hour later without a heartbeat: stopped */
	assert_int_equal(ps_dashboard_load(&d, f->st, NOW + 3600000), 0);
	assert_int_equal(d.worker, PS_DASH_WORKER_STOPPED);
}

static void
test_tui_models__dashboard_budgets(void **state)
{
	struct fx *f = *state;
	const ps_platform_ops *const *ops;
	ps_dashboard d;
	char buf[96];
	int shown = 0;

	assert_int_equal(ps_dashboard_load(&d, f->st, NOW), 0);
	assert_string_equal(
		ps_dashboard_budget(buf, sizeof(buf), &d, PS_PLATFORM_DSCO),
		"unknown");
	/* two accounts of one platform: the newest figure is shown */
	assert_int_equal(ps_store_budget_set(f->st, PS_PLATFORM_BRIGHTPEARL,
					     "old", 5, 200, "requests",
					     NOW - 60000),
			 0);
	assert_int_equal(ps_store_budget_set(f->st, PS_PLATFORM_BRIGHTPEARL,
					     "acme", 170, 200, "requests",
					     NOW - 12000),
			 0);
	/* a credit bucket without a known size */
	assert_int_equal(ps_store_budget_set(f->st, PS_PLATFORM_SHIPHERO, NULL,
					     1999, -1, "credits", NOW - 2000),
			 0);
	/* set again: replaced, not added */
	assert_int_equal(ps_store_budget_set(f->st, PS_PLATFORM_SHIPHERO, "",
					     1500, -1, "credits", NOW - 1000),
			 0);
	assert_int_equal(ps_dashboard_load(&d, f->st, NOW), 0);
	assert_string_equal(ps_dashboard_budget(buf, sizeof(buf), &d,
						PS_PLATFORM_BRIGHTPEARL),
			    "170/200 requests, 12s ago");
	assert_string_equal(
		ps_dashboard_budget(buf, sizeof(buf), &d, PS_PLATFORM_SHIPHERO),
		"1,500 credits, 1s ago");
	assert_string_equal(ps_dashboard_budget(buf, sizeof(buf), &d,
						PS_PLATFORM_BIGCOMMERCE),
			    "unknown");
	/* every registered platform has a line, by its title */
	for (ops = ps_platforms_all(); *ops != NULL; ops++) {
		ps_dashboard_budget(buf, sizeof(buf), &d, (*ops)->id);
		if (d.platforms[(*ops)->id].remaining >= 0)
			shown++;
	}
	assert_int_equal(shown, 2);
	assert_int_equal(ps_store_budget_set(f->st, PS_PLATFORM_SHIPHERO, "",
					     -1, -1, "credits", NOW),
			 PS_EINVAL);
	assert_int_equal(ps_store_budget_set(f->st, PS_PLATFORM_SHIPHERO, "", 1,
					     -1, "", NOW),
			 PS_EINVAL);
}

static void
test_tui_models__dashboard_pacing(void **state)
{
	struct fx *f = *state;
	ps_dashboard d;

	/* the worker runs and paces Brightpearl; BigCommerce has budget */
	assert_int_equal(ps_seed_rest(f->st, NOW), 0);
	assert_int_equal(
		ps_store_cache_set(
			f->st, PS_WORKER_PACING_CACHE,
			"{\"brightpearl\":{\"left\":37,\"quota\":200,"
			"\"window_ms\":60000,\"rate\":2.5,\"short\":true,"
			"\"waiting\":[\"notes_bc\",\"status_export_bc\"],"
			"\"holding\":[\"order_import_bc\"]},"
			"\"bigcommerce\":{\"left\":140,\"quota\":150,"
			"\"window_ms\":30000,\"rate\":0,\"short\":false,"
			"\"waiting\":[],\"holding\":[]}}",
			NOW - 2000),
		0);
	assert_int_equal(ps_dashboard_load(&d, f->st, NOW), 0);
	assert_string_equal(d.platforms[PS_PLATFORM_BRIGHTPEARL].pacing,
			    "pacing 2.5 requests/s; waiting: notes_bc, "
			    "status_export_bc; holding: order_import_bc");
	assert_string_equal(d.platforms[PS_PLATFORM_BIGCOMMERCE].pacing, "");
	/* a row the worker wrote long ago says nothing of now */
	assert_int_equal(ps_dashboard_load(&d, f->st, NOW + 60000), 0);
	assert_string_equal(d.platforms[PS_PLATFORM_BRIGHTPEARL].pacing, "");
}

static void
test_tui_models__dashboard_http_outcomes(void **state)
{
	struct fx *f = *state;
	int64_t hour = NOW - NOW % 3600000LL;
	ps_dashboard d;

	/* the names the worker writes (ps_http_outcome_name) */
	assert_int_equal(ps_store_http_count_add(f->st, hour,
						 PS_PLATFORM_BIGCOMMERCE, "/a",
						 "ok", 10),
			 0);
	assert_int_equal(ps_store_http_count_add(f->st, hour,
						 PS_PLATFORM_BIGCOMMERCE, "/a",
						 "throttled", 3),
			 0);
	assert_int_equal(ps_store_http_count_add(f->st, hour,
						 PS_PLATFORM_BIGCOMMERCE, "/a",
						 "server-error", 2),
			 0);
	assert_int_equal(ps_store_http_count_add(f->st, hour,
						 PS_PLATFORM_BIGCOMMERCE, "/b",
						 "network", 1),
			 0);
	assert_int_equal(ps_store_http_count_add(f->st, hour,
						 PS_PLATFORM_BIGCOMMERCE, "/b",
						 "client-error", 4),
			 0);
	/* two hours ago: not in the last hour */
	assert_int_equal(ps_store_http_count_add(f->st, hour - 7200000,
						 PS_PLATFORM_BIGCOMMERCE, "/a",
						 "ok", 100),
			 0);
	assert_int_equal(ps_dashboard_load(&d, f->st, NOW), 0);
	assert_int_equal(d.platforms[PS_PLATFORM_BIGCOMMERCE].requests, 20);
	assert_int_equal(d.platforms[PS_PLATFORM_BIGCOMMERCE].throttled, 3);
	assert_int_equal(d.platforms[PS_PLATFORM_BIGCOMMERCE].failed, 3);
	assert_int_equal(d.platforms[PS_PLATFORM_BRIGHTPEARL].requests, 0);
}

static void
test_tui_models__dashboard_webhooks_deactivated(void **state)
{
	struct fx *f = *state;
	ps_dashboard d;
	size_t i;

	ps_hook_state hooks[2] = {
		{PS_PLATFORM_BIGCOMMERCE, (char *)"store/order/created",
		 (char *)"1", (char *)"https://x/webhooks/bigcommerce", 0, 0,
		 NOW},
		{PS_PLATFORM_BIGCOMMERCE, (char *)"store/order/updated",
		 (char *)"2", (char *)"https://x/webhooks/bigcommerce", 1, 0,
		 NOW},
	};

	assert_int_equal(ps_store_hooks_replace(f->st, PS_PLATFORM_BIGCOMMERCE,
						hooks, 2),
			 0);
	assert_int_equal(ps_dashboard_load(&d, f->st, NOW), 0);
	for (i = 0; i < d.alerts.n; i++)
		if (strstr(d.alerts.v[i].what,
			   "1 BigCommerce webhook deactivated"))
			break;
	assert_true(i < d.alerts.n);
	assert_non_null(strstr(d.alerts.v[i].fix, "webhooks.public_url"));
}

static void
test_tui_models__dashboard_paused_flows(void **state)
{
	struct fx *f = *state;
	ps_dashboard d;
	size_t i, n = 0;

	assert_int_equal(ps_dashboard_load(&d, f->st, NOW), 0);
	for (i = 0; i < d.n_flows; i++)
		assert_false(d.flows[i].paused);
	assert_true(d.n_flows >= 2);
	assert_int_equal(ps_store_setting_set(NULL, f->st, "sync.paused_flows",
					      d.flows[1].name, "test", NOW),
			 0);
	assert_int_equal(ps_dashboard_load(&d, f->st, NOW), 0);
	for (i = 0; i < d.n_flows; i++)
		if (d.flows[i].paused)
			n++;
	assert_int_equal(n, 1);
	assert_true(d.flows[1].paused);
}

/* Answer the oldest unclaimed request as the worker would. */
static void
answer(struct fx *f, ps_request_kind want_kind, const char *want_arg,
       const char *result)
{
	ps_request *v = NULL;
	size_t n = 0;

	assert_int_equal(ps_store_request_claim(&v, &n, f->st, 1, NOW), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].kind, want_kind);
	assert_string_equal(v[0].argument, want_arg);
	assert_int_equal(ps_store_request_complete(f->st, v[0].id, result, NOW),
			 0);
	ps_requests_free(v, n);
}

static void
test_tui_models__dashboard_requests(void **state)
{
	struct fx *f = *state;
	ps_dash_request r;
	ps_dashboard d;
	char buf[128];

	memset(&r, 0, sizeof(r));
	assert_string_equal(
		ps_dashboard_request_text(buf, sizeof(buf), &r, NULL), "");
	assert_int_equal(ps_dashboard_load(&d, f->st, NOW), 0);

	/* queued, no worker yet: waiting, and the text says so */
	assert_int_equal(ps_dashboard_request(&r, f->st, PS_REQUEST_PAUSE_FLOW,
					      "order_import_bc", NOW),
			 0);
	assert_int_equal(r.state, PS_DASH_REQ_WAITING);
	assert_int_equal(ps_dashboard_request_poll(&r, f->st), 0);
	assert_int_equal(r.state, PS_DASH_REQ_WAITING);
	assert_string_equal(ps_dashboard_request_text(buf, sizeof(buf), &r, &d),
			    "pause order_import_bc: waiting, no worker");
	d.worker = PS_DASH_WORKER_RUNNING;
	assert_string_equal(ps_dashboard_request_text(buf, sizeof(buf), &r, &d),
			    "pause order_import_bc: waiting for worker");

	/* answered */
	answer(f, PS_REQUEST_PAUSE_FLOW, "order_import_bc",
	       "flow order_import_bc paused");
	assert_int_equal(ps_dashboard_request_poll(&r, f->st), 0);
	assert_int_equal(r.state, PS_DASH_REQ_DONE);
	assert_string_equal(ps_dashboard_request_text(buf, sizeof(buf), &r, &d),
			    "order_import_bc: paused");

	/* a run while paused: done, the worker's reason shown */
	assert_int_equal(ps_dashboard_request(&r, f->st, PS_REQUEST_RUN_FLOW,
					      "order_import_bc", NOW),
			 0);
	answer(f, PS_REQUEST_RUN_FLOW, "order_import_bc",
	       "flow order_import_bc is skipped: paused by the operator");
	assert_int_equal(ps_dashboard_request_poll(&r, f->st), 0);
	assert_int_equal(r.state, PS_DASH_REQ_DONE);
	assert_string_equal(ps_dashboard_request_text(buf, sizeof(buf), &r, &d),
			    "order_import_bc: skipped: paused by the operator");

	/* failures the worker reports */
	assert_int_equal(ps_dashboard_request(&r, f->st,
					      PS_REQUEST_RETRY_FAILED, "nope",
					      NOW),
			 0);
	answer(f, PS_REQUEST_RETRY_FAILED, "nope", "no flow 'nope'");
	assert_int_equal(ps_dashboard_request_poll(&r, f->st), 0);
	assert_int_equal(r.state, PS_DASH_REQ_FAILED);
	assert_string_equal(ps_dashboard_request_text(buf, sizeof(buf), &r, &d),
			    "retry nope failed: no flow 'nope'");
	assert_int_equal(ps_dashboard_request(&r, f->st, PS_REQUEST_RESUME_FLOW,
					      "x", NOW),
			 0);
	answer(f, PS_REQUEST_RESUME_FLOW, "x", "failed: database is locked");
	assert_int_equal(ps_dashboard_request_poll(&r, f->st), 0);
	assert_int_equal(r.state, PS_DASH_REQ_FAILED);
	assert_string_equal(ps_dashboard_request_text(buf, sizeof(buf), &r, &d),
			    "resume x failed: database is locked");

	/* an answered request is not read again; a vanished one fails */
	r.id = 9999;
	assert_int_equal(ps_dashboard_request_poll(&r, f->st), 0);
	assert_int_equal(r.state, PS_DASH_REQ_FAILED);
	r.state = PS_DASH_REQ_WAITING;
	assert_int_equal(ps_dashboard_request_poll(&r, f->st), 0);
	assert_int_equal(r.state, PS_DASH_REQ_FAILED);
	assert_non_null(strstr(r.result, "gone"));

	/* a bad kind is refused and r keeps its last request */
	assert_true(ps_dashboard_request(&r, f->st, PS_REQUEST_KIND_COUNT, "x",
					 NOW) < 0);
	assert_int_equal(r.id, 9999);
}

/* --- history ------------------------------------------------------------ */

/* The line of h whose text is text, or -1. */
static long
history_find(const ps_history_line *lines, size_t n, const char *text)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(lines[i].text, text) == 0)
			return (long)i;
	return -1;
}

static void
test_tui_models__history_labels_mappings(void **state)
{
	struct fx *f = *state;
	ps_history h;

	ps_history_init(&h);
	assert_int_equal(ps_seed_rest(f->st, NOW), 0);
	/* without the platforms' lists: the editor's title and the ids */
	assert_int_equal(ps_history_load(&h, f->st), 0);
	assert_true(history_find(h.lines, h.n,
				 "Order statuses, BigCommerce to Brightpearl, "
				 "for 11: (unset) -> 4") >= 0);
	/* with them: the names the operator knows, ids beside them */
	assert_int_equal(ps_store_cache_set(f->st, PS_SETUP_LIST_BC_STATUSES,
					    "[{\"id\": \"11\", \"name\": "
					    "\"Awaiting Fulfillment\"}]",
					    NOW),
			 0);
	assert_int_equal(ps_store_cache_set(f->st, PS_SETUP_LIST_BP_STATUSES,
					    "[{\"id\": \"4\", \"name\": "
					    "\"Pending\"}]",
					    NOW),
			 0);
	assert_int_equal(ps_history_load(&h, f->st), 0);
	assert_true(history_find(h.lines, h.n,
				 "Order statuses, BigCommerce to Brightpearl, "
				 "for Awaiting Fulfillment (11): (unset) -> "
				 "Pending (4)") >= 0);
	/* no storage key is shown */
	assert_true(h.n > 0);
	{
		size_t i;

		for (i = 0; i < h.n; i++)
			assert_null(strstr(h.lines[i].text, "mapping:"));
	}
	ps_history_dispose(&h);
}

/* A change whose values were erased (the ShipHero password after its
 * token exchange) reads as such, not as "(unset) -> (unset)". */
static void
test_tui_models__history_values_not_kept(void **state)
{
	struct fx *f = *state;
	ps_history h;

	ps_history_init(&h);
	assert_int_equal(ps_store_setting_set(NULL, f->st, "shiphero.password",
					      "hunter2", "test", NOW),
			 0);
	assert_int_equal(
		ps_store_setting_history_forget(f->st, "shiphero.password"), 0);
	assert_int_equal(ps_history_load(&h, f->st), 0);
	assert_true(history_find(h.lines, h.n,
				 "shiphero.password: changed (values not "
				 "kept)") >= 0);
	{
		size_t i;

		for (i = 0; i < h.n; i++)
			assert_null(strstr(h.lines[i].text, "hunter2"));
	}
	ps_history_dispose(&h);
}

static void
test_tui_models__history_rollback_preview(void **state)
{
	struct fx *f = *state;
	ps_history_line *lines = NULL;
	ps_history h;
	size_t n = 99, i;
	int64_t nv;

	ps_history_init(&h);
	/* nothing recorded: nothing to change */
	assert_int_equal(ps_history_rollback_preview(&lines, &n, f->st, 1), 0);
	assert_int_equal(n, 0);
	assert_int_equal(ps_seed_rest(f->st, NOW), 0);
	/* the newest version: nothing to change */
	assert_int_equal(ps_history_rollback_preview(&lines, &n, f->st, 3), 0);
	assert_int_equal(n, 0);
	ps_history_lines_free(lines, n);
	/* to version 1: the mapping (3) and the three values of 2, now ->
	 * then, the secret masked */
	assert_int_equal(ps_history_rollback_preview(&lines, &n, f->st, 1), 0);
	assert_int_equal(n, 4);
	assert_true(history_find(lines, n,
				 "brightpearl.token: ******** -> ********") >=
		    0);
	assert_true(history_find(lines, n,
				 "bigcommerce.defaults.warehouse_id: 2 -> "
				 "(unset)") >= 0);
	assert_true(history_find(lines, n,
				 "Order statuses, BigCommerce to Brightpearl, "
				 "for 11: 4 -> (unset)") >= 0);
	for (i = 0; i < n; i++)
		assert_null(strstr(lines[i].text, "bp-secret"));
	ps_history_lines_free(lines, n);
	/* and that is what the rollback does: afterwards nothing is left */
	assert_int_equal(ps_history_load(&h, f->st), 0);
	assert_int_equal(ps_history_rollback(&nv, &h, f->st, 1, NOW), 0);
	assert_int_equal(nv, 4);
	assert_int_equal(ps_history_rollback_preview(&lines, &n, f->st, 1), 0);
	assert_int_equal(n, 0);
	ps_history_dispose(&h);
}

static void
test_tui_models__history_masks_and_rolls_back(void **state)
{
	struct fx *f = *state;
	ps_history h;
	char *v = NULL;
	int64_t nv;
	size_t i;

	ps_history_init(&h);
	assert_int_equal(ps_history_load(&h, f->st), 0);
	assert_int_equal(h.n, 0);
	assert_int_equal(ps_seed_rest(f->st, NOW), 0);
	assert_int_equal(ps_history_load(&h, f->st), 0);
	assert_int_equal(h.latest, 3);
	assert_int_equal(h.versions, 3);
	assert_true(h.lines[0].heading);
	assert_int_equal(h.lines[0].version, 3);
	assert_non_null(strstr(h.lines[0].text, "by cli"));
	for (i = 0; i < h.n; i++) {
		/* no secret in any line */
		assert_null(strstr(h.lines[i].text, "bp-secret"));
		assert_true(i == 0 ||
			    h.lines[i].version <= h.lines[i - 1].version);
	}
	for (i = 0; i < h.n; i++)
		if (strcmp(h.lines[i].text,
			   "brightpearl.token: ******** -> ********") == 0)
			break;
	assert_true(i < h.n);
	for (i = 0; i < h.n; i++)
		if (strcmp(h.lines[i].text,
			   "bigcommerce.defaults.warehouse_id: (unset) -> 2") ==
		    0)
			break;
	assert_true(i < h.n);
	/* roll back to version 1: the second change-set is undone */
	assert_int_equal(ps_history_rollback(&nv, &h, f->st, 1, NOW), 0);
	assert_int_equal(nv, 4);
	assert_int_equal(h.latest, 4);
	assert_non_null(strstr(h.lines[0].text, "by console"));
	assert_int_equal(ps_store_setting_get(&v, f->st, "brightpearl.token"),
			 0);
	assert_string_equal(v, "bp-secret-token-1");
	free(v);
	assert_int_equal(
		ps_store_setting_get(&v, f->st,
				     "bigcommerce.defaults.warehouse_id"),
		PS_ENOTFOUND);
	/* rolling back to the version just written changes nothing */
	assert_int_equal(ps_history_rollback(&nv, &h, f->st, 4, NOW), 0);
	assert_int_equal(nv, 0);
	assert_int_equal(ps_history_rollback(&nv, &h, f->st, 99, NOW),
			 PS_ENOTFOUND);
	ps_history_dispose(&h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tui_models__list_moves_and_scrolls),
		cmocka_unit_test(test_tui_models__input_edits_utf8),
		cmocka_unit_test(test_tui_models__utf8_widths),
		cmocka_unit_test(test_tui_models__ellipsize),
		cmocka_unit_test(test_tui_models__formats),
		cmocka_unit_test(test_tui_models__requests_table_complete),
		cmocka_unit_test_setup_teardown(
			test_tui_models__log_browser_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_tui_models__log_browser_pages_through_everything,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_tui_models__log_browser_filters, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_tui_models__log_browser_search_resumes, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_tui_models__log_browser_retry, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_tui_models__log_browser_resize_keeps_selection,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_tui_models__dashboard_empty_database, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_tui_models__dashboard_aggregates, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_tui_models__dashboard_budgets, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_tui_models__dashboard_pacing, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_tui_models__dashboard_http_outcomes, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_tui_models__dashboard_webhooks_deactivated, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_tui_models__dashboard_paused_flows, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_tui_models__dashboard_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_tui_models__history_masks_and_rolls_back, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_tui_models__history_labels_mappings, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_tui_models__history_values_not_kept, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_tui_models__history_rollback_preview, setup,
			teardown),
	};

	setenv("TZ", "UTC", 1);
	tzset();
	setlocale(LC_ALL, "C.UTF-8");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
