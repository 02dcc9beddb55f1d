/*
 * test_tui_screens.c - every console screen drawn in-process at 80x24 from
 * a key script and compared, as text, with its golden file in
 * tests/console/golden/<case>.txt.
 *
 * The database is seeded the same way for every case (tests/console/
 * seed.h), the clock is fixed at PS_SEED_NOW and TZ is UTC, so a dump only
 * changes when a screen does.  To regenerate the golden files after an
 * intended change, run the test with PS_UPDATE_GOLDEN=1 and review the
 * diff (git diff tests/console/golden).
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
#include "pearlsync/store.h"
#include "tui.h"
#include "test_db.h"

struct screen_case {
	const char *name;   /* golden file: tests/console/golden/NAME.txt */
	const char *script; /* keys; a final :dump is appended */
	int empty;          /* nonzero: an empty database; 2: seed plus one
			     * entry with UTF-8 text; 3: seed, the first
			     * flow paused */
	int rows, cols;     /* 0: 24x80 */
};

static const struct screen_case cases[] = {
	{"dashboard", "", 0, 0, 0},
	{"dashboard_empty", "", 1, 0, 0},
	{"dashboard_enter_log", "<Enter>\n", 0, 0, 0},
	{"dashboard_select", "jj\n", 0, 0, 0},
	{"dashboard_select_clamped", "jjjjjjjjjjk\n", 0, 0, 0},
	{"dashboard_alerts_selected", "jjjjjjjj\n", 0, 0, 0},
	{"dashboard_alerts_list", "GG<Enter>\n", 0, 0, 0},
	{"dashboard_pause", "jp\n", 0, 0, 0},
	{"dashboard_run_now", "jjn\n", 0, 0, 0},
	{"dashboard_retry_failed", "R\n", 0, 0, 0},
	{"dashboard_paused", "", 3, 0, 0},
	{"dashboard_resume", "p\n", 3, 0, 0},
	{"dashboard_pause_twice", "pp\n", 0, 0, 0},
	{"dashboard_no_worker_pause", "p\n", 1, 0, 0},
	{"help", "?\n", 0, 0, 0},
	{"help_scrolled", "<F1>G\n", 0, 0, 0},
	{"setup_tab", "2\n", 0, 0, 0},
	{"log", "4\n", 0, 0, 0},
	{"log_empty", "4\n", 1, 0, 0},
	{"log_page2", "4<PgDn>\n", 0, 0, 0},
	{"log_down_across_pages", "4jjjjjjjjjjjjjjjjjjjjjj\n", 0, 0, 0},
	{"log_failed", "4sss\n", 0, 0, 0},
	{"log_detail_failed", "4sss<Enter>\n", 0, 0, 0},
	{"log_detail_synced", "4<Enter>\n", 0, 0, 0},
	{"log_search_prompt", "4/104\n", 0, 0, 0},
	{"log_search", "4/1042<Enter>\n", 0, 0, 0},
	{"log_search_cancelled", "4/abc<Esc>\n", 0, 0, 0},
	{"log_flow_picker", "4f\n", 0, 0, 0},
	{"log_flow_chosen", "4fjj<Enter>\n", 0, 0, 0},
	{"log_retry_one", "4sssr\n", 0, 0, 0},
	{"log_retry_synced_refused", "4r\n", 0, 0, 0},
	{"log_retry_all_confirm", "4sssR\n", 0, 0, 0},
	{"log_retry_all_done", "4sssRy\n", 0, 0, 0},
	{"log_resized", "4\n:resize 30 100\n", 0, 0, 0},
	{"history", "5\n", 0, 0, 0},
	{"history_empty", "5\n", 1, 0, 0},
	{"history_rollback_confirm", "5jjb\n", 0, 0, 0},
	{"history_rolled_back", "5jjjjjjby\n", 0, 0, 0},
	{"tab_cycles", "<Tab><Tab><Tab><Tab>\n", 0, 0, 0},
	{"back_from_detail", "4<Enter>q\n", 0, 0, 0},
	{"log_utf8", "4\n", 2, 0, 0},
	{"log_detail_utf8", "4<Enter>\n", 2, 0, 0},
	{"log_search_utf8", "4/Größe<Enter>\n", 2, 0, 0},
};

static int64_t
fixed_clock(void *payload)
{
	(void)payload;
	return PS_SEED_NOW;
}

/* Wide and accented characters in every text column of the log. */
static void
add_utf8_entry(ps_store *st)
{
	ps_log_entry e;
	int64_t id;

	ps_log_entry_init(&e);
	e.flow = (char *)"order_import_bc";
	e.dedupe_key = (char *)"utf8:1";
	e.order_number = (char *)"Ω-7";
	e.total = 1234500;
	e.has_total = 1;
	e.currency = (char *)"EUR";
	e.shipping_method = (char *)"Livraison élégante";
	e.shipment_status = (char *)"配送済み";
	e.source_platform = PS_PLATFORM_BIGCOMMERCE;
	e.target_platform = PS_PLATFORM_BRIGHTPEARL;
	e.source_id = (char *)"777";
	assert_int_equal(ps_store_log_add(&id, st, &e, PS_SEED_NOW - 60000), 0);
	assert_int_equal(
		ps_store_log_mark_failed(st, id,
					 "Größe 'XL' nicht gefunden: 日本語の"
					 "商品名が長すぎるため切り詰められます"
					 "。Ünïcödé everywhere, and a line "
					 "long enough to wrap twice on an "
					 "eighty column terminal.",
					 PS_EDATA, 0, PS_SEED_NOW - 50000),
		0);
}

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void
run_case(const struct screen_case *c)
{
	const char *src = getenv("PS_SOURCE_DIR");
	const char *update = getenv("PS_UPDATE_GOLDEN");
	char script[160], dump[160], golden[1024];
	ps_tui_options o = PS_TUI_OPTIONS_INIT;
	ps_store *st = NULL;
	char *want, *got;
	test_db db;
	FILE *f;
	int error;

	assert_int_equal(test_db_open(&db, "tui-screens"), 0);
	st = db.st;
	test_db_file(script, sizeof(script), &db, "keys");
	test_db_file(dump, sizeof(dump), &db, "screen.txt");
	snprintf(golden, sizeof(golden), "%s/tests/console/golden/%s.txt",
		 src != NULL ? src : ".", c->name);

	if (!c->empty || c->empty == 3) {
		assert_int_equal(ps_seed_log(st, 60,
					     PS_SEED_NOW - 60 * 20 * 60000LL,
					     20 * 60000LL),
				 0);
		assert_int_equal(ps_seed_rest(st, PS_SEED_NOW), 0);
	}
	if (c->empty == 2)
		add_utf8_entry(st);
	if (c->empty == 3)
		assert_int_equal(ps_store_setting_set(NULL, st,
						      "sync.paused_flows",
						      "order_import_bc", "test",
						      PS_SEED_NOW),
				 0);
	f = fopen(script, "w");
	assert_non_null(f);
	fprintf(f, "# %s\n%s:dump %s\n", c->name, c->script, dump);
	fclose(f);

	o.store = st;
	o.script = script;
	o.clock = fixed_clock;
	o.rows = c->rows;
	o.cols = c->cols;
	o.no_color = 1;
	error = ps_tui_run(&o);
	if (error < 0)
		fail_msg("%s: %s", c->name, ps_error_last());

	got = slurp(dump);
	assert_non_null(got);
	if (update != NULL && strcmp(update, "1") == 0) {
		f = fopen(golden, "w");
		assert_non_null(f);
		fputs(got, f);
		fclose(f);
	}
	want = slurp(golden);
	if (want == NULL)
		fail_msg("%s: no golden file %s (run with PS_UPDATE_GOLDEN=1)",
			 c->name, golden);
	if (strcmp(want, got) != 0) {
		fprintf(stderr, "--- want %s\n%s--- got\n%s", golden, want,
			got);
		fail_msg("%s: screen differs from the golden file", c->name);
	}
	free(want);
	free(got);
	test_db_close(&db);
}

static void
test_tui_screens__golden(void **state)
{
	run_case(*state);
}

static void
test_tui_screens__bad_script_is_an_error(void **state)
{
	ps_tui_options o = PS_TUI_OPTIONS_INIT;
	char script[160];
	test_db db;
	FILE *f;

	(void)state;
	assert_int_equal(test_db_open(&db, "tui-screens"), 0);
	test_db_file(script, sizeof(script), &db, "keys");
	o.store = db.st;
	o.clock = fixed_clock;
	assert_int_equal(ps_tui_run(&o) == 0, 0); /* no script, no tty */
	assert_int_equal(ps_tui_run(NULL), PS_EINVAL);
	o.script = script;
	assert_int_equal(ps_tui_run(&o), PS_EIO); /* missing file */
	f = fopen(script, "w");
	assert_non_null(f);
	fputs("4<Nope>\n", f);
	fclose(f);
	assert_int_equal(ps_tui_run(&o), PS_EINVAL);
	assert_non_null(strstr(ps_error_last(), "unknown key <Nope>"));
	f = fopen(script, "w");
	assert_non_null(f);
	fputs(":frobnicate\n", f);
	fclose(f);
	assert_int_equal(ps_tui_run(&o), PS_EINVAL);
	test_db_close(&db);
}

int
main(void)
{
	struct CMUnitTest tests[sizeof(cases) / sizeof(cases[0]) + 1];
	size_t i, n = sizeof(cases) / sizeof(cases[0]);

	for (i = 0; i < n; i++) {
		tests[i].name = cases[i].name;
		tests[i].test_func = test_tui_screens__golden;
		tests[i].setup_func = NULL;
		tests[i].teardown_func = NULL;
		tests[i].initial_state = (void *)&cases[i];
	}
	tests[n].name = "test_tui_screens__bad_script_is_an_error";
	tests[n].test_func = test_tui_screens__bad_script_is_an_error;
	tests[n].setup_func = NULL;
	tests[n].teardown_func = NULL;
	tests[n].initial_state = NULL;
	setenv("TZ", "UTC", 1);
	tzset();
	setlocale(LC_ALL, "C.UTF-8");
	unsetenv("NO_COLOR");
	return _cmocka_run_group_tests("test_tui_screens", tests, n + 1, NULL,
				       NULL);
}
