/*
 * test_tui_setup_screens.c - the setup and mapping screens, in-process:
 * a key script drives the console on a scratch database and every `:dump`
 * is compared with a golden text file at 80x24 under
 * tests/console/golden/ (setup_*.txt, mappings_*.txt).
 *
 * PS_UPDATE_GOLDEN=1 rewrites the golden files from the dumps instead of
 * comparing (review the diff before committing).
 */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model_setup.h"
#include "pearlsync/common.h"
#include "pearlsync/store.h"
#include "tui.h"
#include "test_db.h"

#define NOW 1700000000000LL

struct fixture {
	test_db db;
	ps_store *st; /* db.st */
};

static int64_t
fixed_clock(void *payload)
{
	(void)payload;
	return NOW;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	if (test_db_open(&f->db, "tuiscr") < 0)
		return -1;
	f->st = f->db.st;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	test_db_close(&f->db);
	free(f);
	return 0;
}

static char *
slurp(const char *path)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	long n;

	if (fp == NULL)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	buf = calloc(1, (size_t)n + 1);
	if (buf != NULL && fread(buf, 1, (size_t)n, fp) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(fp);
	return buf;
}

/*
 * Run script (its ":dump NAME" lines name golden files; the directory is
 * filled in here) on the fixture's store, starting on screen first, and
 * compare every dump.
 */
static void
run(struct fixture *f, ps_tui_request first, const char *script)
{
	ps_tui_options o = PS_TUI_OPTIONS_INIT;
	char spath[192], expanded[8192], names[24][64], dpath[256], gpath[512];
	const char *src = getenv("PS_SOURCE_DIR"), *p = script, *nl;
	size_t used = 0, nnames = 0, i, len;
	FILE *fp;
	char *got, *want;

	assert_non_null(src);
	/* Turn ":dump NAME" into ":dump DIR/NAME". */
	while (*p != '\0') {
		nl = strchr(p, '\n');
		len = nl ? (size_t)(nl - p) + 1 : strlen(p);
		if (strncmp(p, ":dump ", 6) == 0) {
			assert_true(nnames < 24);
			snprintf(names[nnames], sizeof(names[nnames]), "%.*s",
				 (int)(len - 6 - (nl != NULL)), p + 6);
			used += (size_t)snprintf(
				expanded + used, sizeof(expanded) - used,
				":dump %s/%s\n", f->db.dir, names[nnames]);
			nnames++;
		} else {
			used += (size_t)snprintf(expanded + used,
						 sizeof(expanded) - used,
						 "%.*s", (int)len, p);
		}
		assert_true(used < sizeof(expanded));
		p += len;
	}
	snprintf(spath, sizeof(spath), "%s/keys.script", f->db.dir);
	assert_non_null(fp = fopen(spath, "w"));
	fputs(expanded, fp);
	fclose(fp);

	o.store = f->st;
	o.script = spath;
	o.clock = fixed_clock;
	o.rows = 24;
	o.cols = 80;
	o.no_color = 1;
	o.first = first;
	if (ps_tui_run(&o) != 0)
		fail_msg("ps_tui_run: %s", ps_error_last());

	for (i = 0; i < nnames; i++) {
		snprintf(dpath, sizeof(dpath), "%s/%s", f->db.dir, names[i]);
		snprintf(gpath, sizeof(gpath), "%s/tests/console/golden/%s",
			 src, names[i]);
		got = slurp(dpath);
		if (got == NULL)
			fail_msg("no dump %s", names[i]);
		if (getenv("PS_UPDATE_GOLDEN") != NULL) {
			assert_non_null(fp = fopen(gpath, "w"));
			fputs(got, fp);
			fclose(fp);
		}
		want = slurp(gpath);
		if (want == NULL)
			fail_msg("no golden file %s", gpath);
		if (strcmp(got, want) != 0) {
			fprintf(stderr, "--- %s\n%s--- got\n%s", names[i], want,
				got);
			fail_msg("%s differs from its golden file", names[i]);
		}
		free(got);
		free(want);
		unlink(dpath);
	}
	unlink(spath);
}

static void
set(ps_store *st, const char *key, const char *value)
{
	assert_int_equal(
		ps_store_setting_set(NULL, st, key, value, "test", NOW), 0);
}

static void
cache(ps_store *st, const char *kind, const char *json)
{
	assert_int_equal(ps_store_cache_set(st, kind, json, NOW), 0);
}

/* A half-configured account with fetched lists. */
static void
seed(ps_store *st)
{
	set(st, "brightpearl.account", "acme");
	set(st, "brightpearl.app_ref", "acme_sync");
	set(st, "brightpearl.token", "bp-secret-token");
	set(st, "brightpearl.base_url", "https://use1.brightpearlconnect.com");
	set(st, "bigcommerce.store_hash", "abc123");
	set(st, "bigcommerce.token", "bc-secret-token");
	cache(st, PS_SETUP_TEST_PREFIX "brightpearl",
	      "{\"ok\":true,\"message\":\"OK: "
	      "Brightpearl account Acme Ltd\"}");
	cache(st, PS_SETUP_LIST_BP_WAREHOUSES,
	      "[{\"id\":\"2\",\"name\":\"Main warehouse\"},"
	      "{\"id\":\"3\",\"name\":\"Store room\"}]");
	cache(st, PS_SETUP_LIST_BP_CHANNELS,
	      "[{\"id\":\"1\",\"name\":\"BigCommerce store\"}]");
	cache(st, PS_SETUP_LIST_BC_STATUSES,
	      "[{\"id\":\"9\",\"name\":\"Awaiting Shipment\"},"
	      "{\"id\":\"11\",\"name\":\"Awaiting Fulfillment\"}]");
	cache(st, PS_SETUP_LIST_BP_STATUSES,
	      "[{\"id\":\"2\",\"name\":\"New web order\"},"
	      "{\"id\":\"8\",\"name\":\"Shipped\"}]");
}

static void
test_tui_setup_screens__steps_empty(void **state)
{
	run(*state, PS_TUI_REQ_VIEW_SETUP, ":dump setup_steps_empty.txt\n");
}

/* Every step's form, in order, on a half-configured account. */
static void
test_tui_setup_screens__every_step(void **state)
{
	struct fixture *f = *state;
	static const char *const names[] = {
		"connections",     "order_sync",     "defaults",
		"status_mapping",  "items",          "fulfilment",
		"notes",           "payments",       "inventory",
		"dsco_connect",    "dsco_customers", "dsco_products",
		"dsco_inventory",  "dsco_orders",    "dsco_shipping",
		"dsco_warehouses", "dsco_trigger",   "dsco_cancel"};
	char script[2048];
	size_t i, used = 0;

	seed(f->st);
	used += (size_t)snprintf(script, sizeof(script),
				 ":dump setup_steps.txt\n");
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		used += (size_t)snprintf(script + used, sizeof(script) - used,
					 "<Enter>\n:dump setup_%zu_%s.txt\n"
					 "q\nj\n",
					 i + 1, names[i]);
	run(f, PS_TUI_REQ_VIEW_SETUP, script);
}

static void
test_tui_setup_screens__pick_warehouse(void **state)
{
	struct fixture *f = *state;
	char *v = NULL;

	seed(f->st);
	/* Defaults step, Warehouse field, open the picker, choose 3. */
	run(f, PS_TUI_REQ_VIEW_SETUP,
	    "jj<Enter>j<Enter>\n:dump setup_warehouse_picker.txt\n"
	    "j<Enter>\n:dump setup_warehouse_chosen.txt\n"
	    "d\n:dump setup_warehouse_refused.txt\n");
	assert_int_equal(
		ps_store_setting_get(&v, f->st,
				     "bigcommerce.defaults.warehouse_id"),
		0);
	assert_string_equal(v, "3");
	free(v);
}

static void
test_tui_setup_screens__secret_prompt(void **state)
{
	struct fixture *f = *state;
	char *v = NULL;

	seed(f->st);
	/* nothing listens there: every connection test fails at once */
	set(f->st, "brightpearl.base_url", "http://127.0.0.1:1");
	/* Connections, the Brightpearl token: typed text is hidden; the
	 * new token is tested first, and saved only when asked to. */
	run(f, PS_TUI_REQ_VIEW_SETUP,
	    "<Enter>jjj<Enter>new-tok\n:dump setup_secret_prompt.txt\n"
	    "<Enter>\n:dump setup_secret_test_failed.txt\n"
	    "y\n:dump setup_secret_saved.txt\n");
	assert_int_equal(ps_store_setting_get(&v, f->st, "brightpearl.token"),
			 0);
	assert_string_equal(v, "new-tok");
	free(v);
}

/* A token whose test fails is not saved unless the operator says so. */
static void
test_tui_setup_screens__secret_kept(void **state)
{
	struct fixture *f = *state;
	char *v = NULL;

	seed(f->st);
	set(f->st, "brightpearl.base_url", "http://127.0.0.1:1");
	run(f, PS_TUI_REQ_VIEW_SETUP,
	    "<Enter>jjj<Enter>new-tok\n<Enter>\nn\n"
	    ":dump setup_secret_kept.txt\n");
	assert_int_equal(ps_store_setting_get(&v, f->st, "brightpearl.token"),
			 0);
	assert_string_equal(v, "bp-secret-token");
	free(v);
}

static void
test_tui_setup_screens__mappings(void **state)
{
	struct fixture *f = *state;
	ps_mapping m = {"order_status", "bc>bp", "", "2"};
	char *v = NULL;

	seed(f->st);
	assert_int_equal(ps_store_mapping_set(NULL, f->st, &m, "test", NOW), 0);
	/* The table list, the editor, add 11 -> 8 through the pickers. */
	run(f, PS_TUI_REQ_VIEW_MAPPINGS,
	    ":dump mappings_tables.txt\n"
	    "<Enter>\n:dump mappings_editor.txt\n"
	    "a\n:dump mappings_add_source.txt\n"
	    "jj<Enter>\n:dump mappings_add_target.txt\n"
	    "j<Enter>\n:dump mappings_added.txt\n"
	    "d\n:dump mappings_delete_confirm.txt\n"
	    "y\n:dump mappings_deleted.txt\n");
	assert_int_equal(ps_store_mapping_get(&v, f->st, "order_status",
					      "bc>bp", "11", 0),
			 PS_ENOTFOUND);
	assert_int_equal(ps_store_mapping_get(&v, f->st, "order_status",
					      "bc>bp", NULL, 0),
			 0);
	assert_string_equal(v, "2");
	free(v);
}

/* i imports a CSV file into the open table; o exports it. */
static void
test_tui_setup_screens__mapping_csv_keys(void **state)
{
	struct fixture *f = *state;
	char csv[192], script[1024], *v = NULL, *out;
	FILE *fp;

	seed(f->st);
	snprintf(csv, sizeof(csv), "%s/in.csv", f->db.dir);
	assert_non_null(fp = fopen(csv, "w"));
	fputs("kind,direction,source,target\norder_status,bc>bp,9,8\n"
	      "order_status,bc>bp,,2\n",
	      fp);
	fclose(fp);
	/* Import, then export with the proposed name under the scratch
	 * directory (Home puts the cursor before the name). */
	snprintf(script, sizeof(script),
		 "<Enter>i%s<Enter>j\n:dump mappings_imported.txt\n"
		 "o<Home>%s/<Enter>\n",
		 csv, f->db.dir);
	run(f, PS_TUI_REQ_VIEW_MAPPINGS, script);
	unlink(csv);
	assert_int_equal(ps_store_mapping_get(&v, f->st, "order_status",
					      "bc>bp", "9", 0),
			 0);
	assert_string_equal(v, "8");
	free(v);
	snprintf(csv, sizeof(csv), "%s/order_status-bcbp.csv", f->db.dir);
	out = slurp(csv);
	assert_non_null(out);
	assert_string_equal(out, "kind,direction,source,target\n"
				 "order_status,bc>bp,,2\n"
				 "order_status,bc>bp,9,8\n");
	free(out);
	unlink(csv);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_tui_setup_screens__steps_empty),
		T(test_tui_setup_screens__every_step),
		T(test_tui_setup_screens__pick_warehouse),
		T(test_tui_setup_screens__secret_prompt),
		T(test_tui_setup_screens__secret_kept),
		T(test_tui_setup_screens__mappings),
		T(test_tui_setup_screens__mapping_csv_keys),
	};

	ps_lib_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
