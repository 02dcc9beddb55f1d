/*
 * test_tui_mapping.c - the console's mapping-editor model
 * (tui/model_mapping.c) against a real SQLite store: rows, the default
 * row, checks against cached platform lists, the history, CSV in and out.
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

#include "model_mapping.h"
#include "model_setup.h"
#include "pearlsync/common.h"
#include "pearlsync/store.h"
#include "test_db.h"

#define NOW 1700000000000LL

struct fixture {
	test_db db;
	ps_store *st; /* db.st */
	ps_mapedit ed;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	if (test_db_open(&f->db, "tuimap") < 0)
		return -1;
	f->st = f->db.st;
	if (ps_mapedit_open(&f->ed, f->st,
			    ps_mapedit_kind_find("order_status", "bc>bp")) != 0)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	ps_mapedit_close(&f->ed);
	test_db_close(&f->db);
	free(f);
	return 0;
}

static void
seed_lists(ps_store *st)
{
	assert_int_equal(
		ps_store_cache_set(st, PS_SETUP_LIST_BC_STATUSES,
				   "[{\"id\":\"9\",\"name\":\"Awaiting "
				   "Fulfillment\"},{\"id\":\"11\",\"name\":"
				   "\"Awaiting Payment\"},{\"id\":\"5\","
				   "\"name\":\"Cancelled\"}]",
				   NOW),
		0);
	assert_int_equal(
		ps_store_cache_set(st, PS_SETUP_LIST_BP_STATUSES,
				   "[{\"id\":\"2\",\"name\":\"New web order\"},"
				   "{\"id\":\"5\",\"name\":\"Cancelled\"}]",
				   NOW),
		0);
}

static int64_t
version(ps_store *st)
{
	int64_t v = -1;

	assert_int_equal(ps_store_settings_version(&v, st), 0);
	return v;
}

/* ------------------------------------------------------------------------ */

static void
test_tui_mapping__kinds(void **state)
{
	const ps_mapedit_kind *k;
	size_t i, j;

	(void)state;
	assert_true(ps_mapedit_kind_count() >= 7);
	for (i = 0; i < ps_mapedit_kind_count(); i++) {
		k = ps_mapedit_kind_at(i);
		assert_ptr_equal(ps_mapedit_kind_find(k->kind, k->direction),
				 k);
		for (j = 0; j < i; j++)
			assert_false(strcmp(ps_mapedit_kind_at(j)->kind,
					    k->kind) == 0 &&
				     strcmp(ps_mapedit_kind_at(j)->direction,
					    k->direction) == 0);
	}
	assert_null(ps_mapedit_kind_at(ps_mapedit_kind_count()));
	assert_non_null(ps_mapedit_kind_find("order_status", "bp>bc"));
	assert_non_null(ps_mapedit_kind_find("shipping_method", "bc>bp"));
	assert_non_null(ps_mapedit_kind_find("shipping_method", "bp>bc"));
	assert_non_null(ps_mapedit_kind_find("payment_method", "bc>bp"));
	assert_non_null(ps_mapedit_kind_find("warehouse", "bp>bc"));
	assert_non_null(ps_mapedit_kind_find("product", "bc>bp"));
	assert_null(ps_mapedit_kind_find("order_status", "bc>sh"));
	assert_null(ps_mapedit_kind_find(NULL, "bc>bp"));
}

static void
test_tui_mapping__empty_and_degenerate(void **state)
{
	struct fixture *f = *state;
	ps_mapedit ed;

	assert_int_equal(f->ed.n, 0);
	assert_false(f->ed.has_default);
	assert_int_equal(ps_mapedit_remove(&f->ed, 0, NOW), PS_EINVAL);
	assert_int_equal(ps_mapedit_edit(&f->ed, 0, "9", "2", NOW), PS_EINVAL);
	assert_int_equal(ps_mapedit_open(&ed, f->st, NULL), PS_EINVAL);
	ps_mapedit_close(&ed);
	ps_mapedit_close(NULL);
	/* An empty target is refused. */
	assert_int_equal(ps_mapedit_set(&f->ed, "9", "", NOW), PS_EINVAL);
	assert_int_equal(ps_mapedit_set(&f->ed, "9", NULL, NOW), PS_EINVAL);
	assert_int_equal(version(f->st), 0);
}

struct seen {
	char key[96];
	char actor[32];
	size_t n;
};

static int
history_cb(const ps_setting_change *c, void *payload)
{
	struct seen *s = payload;

	if (s->n++ == 0) {
		snprintf(s->key, sizeof(s->key), "%s", c->key);
		snprintf(s->actor, sizeof(s->actor), "%s", c->actor);
	}
	return 0;
}

static void
test_tui_mapping__add_edit_remove_default(void **state)
{
	struct fixture *f = *state;
	struct seen s = {"", "", 0};
	char *t = NULL;

	seed_lists(f->st);
	assert_int_equal(ps_mapedit_set(&f->ed, "9", "2", NOW), 0);
	assert_int_equal(ps_mapedit_set(&f->ed, "", "5", NOW), 0);
	assert_int_equal(f->ed.n, 2);
	assert_true(f->ed.has_default);
	/* The default row first, names from the cached lists. */
	assert_string_equal(f->ed.rows[0].source, "");
	assert_string_equal(f->ed.rows[0].target, "5");
	assert_string_equal(f->ed.rows[0].target_name, "Cancelled");
	assert_null(f->ed.rows[0].source_name);
	assert_string_equal(f->ed.rows[1].source_name, "Awaiting Fulfillment");
	assert_string_equal(f->ed.rows[1].target_name, "New web order");
	assert_false(f->ed.rows[1].stale);
	/* The history records the change as the console's. */
	assert_int_equal(
		ps_store_setting_history_foreach(f->st, NULL, history_cb, &s),
		0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.key, "mapping:order_status:bc>bp:");
	assert_string_equal(s.actor, "console");
	/* The flows see it. */
	assert_int_equal(ps_store_mapping_get(&t, f->st, "order_status",
					      "bc>bp", "11",
					      PS_STORE_MAPPING_FALLBACK),
			 0);
	assert_string_equal(t, "5");
	free(t);

	/* Edit the target in place, then move the row to another source. */
	assert_int_equal(ps_mapedit_edit(&f->ed, 1, "9", "5", NOW), 0);
	assert_string_equal(f->ed.rows[1].target, "5");
	assert_int_equal(ps_mapedit_edit(&f->ed, 1, "11", "2", NOW), 0);
	assert_int_equal(f->ed.n, 2);
	assert_string_equal(f->ed.rows[1].source, "11");
	assert_int_equal(ps_store_mapping_get(&t, f->st, "order_status",
					      "bc>bp", "9", 0),
			 PS_ENOTFOUND);
	/* Removing the default. */
	assert_int_equal(ps_mapedit_remove(&f->ed, 0, NOW), 0);
	assert_int_equal(f->ed.n, 1);
	assert_false(f->ed.has_default);
	assert_string_equal(f->ed.rows[0].source, "11");
}

static void
test_tui_mapping__values_must_exist(void **state)
{
	struct fixture *f = *state;
	int64_t v;
	size_t rows = 9;
	int def = 9;
	char why[256];

	/* Without fetched lists anything non-empty goes (offline setup). */
	assert_int_equal(ps_mapedit_set(&f->ed, "77", "88", NOW), 0);
	seed_lists(f->st);
	assert_int_equal(ps_mapedit_reload(&f->ed), 0);
	assert_true(f->ed.rows[0].stale);
	assert_int_equal(ps_mapedit_check(&rows, &def, why, sizeof(why), f->st,
					  f->ed.kind),
			 0);
	assert_int_equal(rows, 1);
	assert_int_equal(def, 0);
	assert_non_null(strstr(why, "no longer exists"));

	v = version(f->st);
	assert_int_equal(ps_mapedit_set(&f->ed, "9", "99", NOW), PS_EINVAL);
	assert_non_null(strstr(ps_error_last(), "Brightpearl status '99'"));
	assert_int_equal(ps_mapedit_set(&f->ed, "12", "2", NOW), PS_EINVAL);
	assert_non_null(strstr(ps_error_last(), "BigCommerce status '12'"));
	assert_int_equal(ps_mapedit_edit(&f->ed, 0, "9", "99", NOW), PS_EINVAL);
	assert_int_equal(version(f->st), v);
	/* Fixing the stale row clears the flag. */
	assert_int_equal(ps_mapedit_edit(&f->ed, 0, "9", "2", NOW), 0);
	assert_int_equal(f->ed.n, 1);
	assert_false(f->ed.rows[0].stale);
	assert_int_equal(ps_mapedit_check(NULL, NULL, why, sizeof(why), f->st,
					  f->ed.kind),
			 0);
	assert_string_equal(why, "");
}

static void
test_tui_mapping__free_text_side(void **state)
{
	struct fixture *f = *state;
	ps_mapedit ed;

	assert_int_equal(ps_store_cache_set(f->st, PS_SETUP_LIST_BP_SHIPPING,
					    "[{\"id\":\"6\",\"name\":\"STD\"}]",
					    NOW),
			 0);
	assert_int_equal(ps_mapedit_open(&ed, f->st,
					 ps_mapedit_kind_find("shipping_method",
							      "bc>bp")),
			 0);
	/* BigCommerce method names are free text; the target is checked. */
	assert_int_equal(ps_mapedit_set(&ed, "Flat Rate, 2 days", "6", NOW), 0);
	assert_int_equal(ps_mapedit_set(&ed, "Free", "7", NOW), PS_EINVAL);
	assert_int_equal(ed.n, 1);
	assert_string_equal(ed.rows[0].source, "Flat Rate, 2 days");
	assert_string_equal(ed.rows[0].target_name, "STD");
	ps_mapedit_close(&ed);
}

static void
test_tui_mapping__csv_roundtrip(void **state)
{
	struct fixture *f = *state;
	ps_mapedit ed;
	char *csv = NULL, *again = NULL;
	size_t len = 0, len2 = 0, n = 0;

	assert_int_equal(ps_mapedit_open(&ed, f->st,
					 ps_mapedit_kind_find("shipping_method",
							      "bc>bp")),
			 0);
	assert_int_equal(ps_mapedit_set(&ed, "", "6", NOW), 0);
	assert_int_equal(ps_mapedit_set(&ed, "Say \"hi\", then ship", "7", NOW),
			 0);
	assert_int_equal(ps_mapedit_export(&csv, &len, &ed), 0);
	assert_int_equal(strlen(csv), len);
	assert_string_equal(csv, "kind,direction,source,target\n"
				 "shipping_method,bc>bp,,6\n"
				 "shipping_method,bc>bp,\"Say \"\"hi\"\", then "
				 "ship\",7\n");
	/* Replace everything with the file: same rows come back. */
	assert_int_equal(
		ps_mapedit_import(&n, &ed, csv, len, PS_MAPEDIT_REPLACE, NOW),
		0);
	assert_int_equal(n, 2);
	assert_int_equal(ps_mapedit_export(&again, &len2, &ed), 0);
	assert_string_equal(again, csv);
	free(again);
	/* An empty table exports only the header. */
	assert_int_equal(ps_mapedit_export(&again, &len2, &f->ed), 0);
	assert_string_equal(again, "kind,direction,source,target\n");
	free(again);
	free(csv);
	ps_mapedit_close(&ed);
}

static void
test_tui_mapping__csv_dialect(void **state)
{
	struct fixture *f = *state;
	static const char text[] =
		"\xEF\xBB\xBFkind,direction,source,target\r\n"
		"order_status,bc>bp,9,2\r\n"
		"\r\n"
		"\"order_status\",bc>bp,,\"5\"\r\n";
	size_t n = 0;

	seed_lists(f->st);
	assert_int_equal(
		ps_mapedit_import(&n, &f->ed, text, sizeof(text) - 1, 0, NOW),
		0);
	assert_int_equal(n, 2);
	assert_int_equal(f->ed.n, 2);
	assert_true(f->ed.has_default);
	assert_string_equal(f->ed.rows[1].source, "9");
	assert_string_equal(f->ed.rows[1].target, "2");
}

/* Each bad file is refused as a whole, naming the row. */
static void
test_tui_mapping__csv_refused(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char *text;
		const char *msg;
	} bad[] = {
		{"", "row 1: the header"},
		{"kind,direction,source\n", "row 1: the header"},
		{"kind,direction,target,source\n", "row 1: the header"},
		{"kind,direction,source,target\norder_status,bc>bp,9,2\n"
		 "order_status,bc>bp,11\n",
		 "row 3: 3 fields"},
		{"kind,direction,source,target\norder_status,bc>bp,9,2\n"
		 "order_status,bp>bc,2,9\n",
		 "row 3: order_status bp>bc does not belong"},
		{"kind,direction,source,target\norder_status,bc>bp,9,2\n"
		 "order_status,bc>bp,11,99\n",
		 "row 3: Brightpearl status '99'"},
		{"kind,direction,source,target\norder_status,bc>bp,9,\n",
		 "row 2: the Brightpearl status must not be empty"},
		{"kind,direction,source,target\norder_status,bc>bp,\"9,2\n",
		 "row 2: unterminated"},
		{"kind,direction,source,target\norder_status,bc>bp,9\"x,2\n",
		 "row 2: a quote inside"},
		{"kind,direction,source,target\norder_status,bc>bp,9,2\n"
		 "order_status,bc>bp,9,5\n",
		 "row 3: source '9' appears twice (also row 2)"},
	};
	size_t i, n;
	int64_t v;

	seed_lists(f->st);
	assert_int_equal(ps_mapedit_set(&f->ed, "5", "5", NOW), 0);
	v = version(f->st);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = 42;
		assert_int_equal(ps_mapedit_import(&n, &f->ed, bad[i].text,
						   strlen(bad[i].text),
						   PS_MAPEDIT_REPLACE, NOW),
				 PS_EINVAL);
		if (strstr(ps_error_last(), bad[i].msg) == NULL)
			fail_msg("case %zu: '%s' lacks '%s'", i,
				 ps_error_last(), bad[i].msg);
		assert_int_equal(n, 0);
		assert_int_equal(version(f->st), v);
		assert_int_equal(f->ed.n, 1);
	}
}

/* Every bad row is listed, not only the first. */
static void
test_tui_mapping__csv_every_problem(void **state)
{
	struct fixture *f = *state;
	static const char text[] = "kind,direction,source,target\n"
				   "order_status,bc>bp,9,2\n"
				   "order_status,bc>bp,11,99\n"
				   "order_status,bc>bp,12\n"
				   "order_status,bc>bp,5,98\n";
	size_t n = 42;
	int64_t v;

	seed_lists(f->st);
	v = version(f->st);
	assert_int_equal(
		ps_mapedit_import(&n, &f->ed, text, sizeof(text) - 1, 0, NOW),
		PS_EINVAL);
	assert_non_null(strstr(ps_error_last(), "row 3:"));
	assert_non_null(strstr(ps_error_last(), "(and 2 more)"));
	assert_int_equal(f->ed.nproblems, 3);
	assert_non_null(strstr(f->ed.problems[0], "row 3: "));
	assert_non_null(strstr(f->ed.problems[1], "row 4: 3 fields"));
	assert_non_null(strstr(f->ed.problems[2], "row 5: "));
	assert_non_null(strstr(f->ed.problems[2], "'98'"));
	assert_int_equal(n, 0);
	assert_int_equal(version(f->st), v);
	/* a good import clears them */
	assert_int_equal(
		ps_mapedit_import(&n, &f->ed, text,
				  strlen("kind,direction,source,target\n"
					 "order_status,bc>bp,9,2\n"),
				  0, NOW),
		0);
	assert_int_equal(f->ed.nproblems, 0);
}

/* Without a Brightpearl connection a product table takes only an id: a
 * SKU would be stored and never read by the order import. */
static void
test_tui_mapping__product_needs_id(void **state)
{
	struct fixture *f = *state;
	static const char text[] = "kind,direction,source,target\n"
				   "product,bc>bp,OLD-1,1007\n"
				   "product,bc>bp,OLD-2,CAP-BLK\n";
	ps_mapedit p;
	size_t n = 0;

	(void)f;
	assert_int_equal(
		ps_mapedit_open(&p, f->st,
				ps_mapedit_kind_find("product", "bc>bp")),
		0);
	assert_non_null(ps_mapedit_kind_lookup(p.kind));
	assert_null(ps_mapedit_kind_lookup(f->ed.kind));
	assert_int_equal(ps_mapedit_set(&p, "OLD-1", "CAP-BLK", NOW),
			 PS_EINVAL);
	assert_non_null(
		strstr(ps_error_last(), "not a Brightpearl product id"));
	assert_int_equal(ps_mapedit_set(&p, "OLD-1", "0", NOW), PS_EINVAL);
	assert_int_equal(p.n, 0);
	assert_int_equal(ps_mapedit_set(&p, "OLD-1", "1007", NOW), 0);
	assert_int_equal(p.n, 1);
	assert_int_equal(
		ps_mapedit_import(&n, &p, text, sizeof(text) - 1, 0, NOW),
		PS_EINVAL);
	assert_int_equal(p.nproblems, 1);
	assert_non_null(strstr(p.problems[0], "row 3: 'CAP-BLK' is not a"));
	ps_mapedit_close(&p);
}

static void
test_tui_mapping__csv_files(void **state)
{
	struct fixture *f = *state;
	char path[192], missing[192];
	size_t n = 0;
	ps_mapedit other;

	seed_lists(f->st);
	assert_int_equal(ps_mapedit_set(&f->ed, "9", "2", NOW), 0);
	assert_int_equal(ps_mapedit_set(&f->ed, "", "5", NOW), 0);
	snprintf(path, sizeof(path), "%s/statuses.csv", f->db.dir);
	assert_int_equal(ps_mapedit_export_file(&f->ed, path), 0);
	/* Merge (no replace) keeps rows not in the file. */
	assert_int_equal(ps_mapedit_remove(&f->ed, 1, NOW), 0);
	assert_int_equal(ps_mapedit_set(&f->ed, "11", "2", NOW), 0);
	assert_int_equal(ps_mapedit_import_file(&n, &f->ed, path, 0, NOW), 0);
	assert_int_equal(n, 2);
	assert_int_equal(f->ed.n, 3);
	/* Replace drops them, but only in this table. */
	assert_int_equal(
		ps_mapedit_open(&other, f->st,
				ps_mapedit_kind_find("product", "bc>bp")),
		0);
	assert_int_equal(ps_mapedit_set(&other, "TEE", "1001", NOW), 0);
	assert_int_equal(ps_mapedit_import_file(&n, &f->ed, path,
						PS_MAPEDIT_REPLACE, NOW),
			 0);
	assert_int_equal(f->ed.n, 2);
	assert_int_equal(ps_mapedit_reload(&other), 0);
	assert_int_equal(other.n, 1);
	ps_mapedit_close(&other);
	unlink(path);

	snprintf(missing, sizeof(missing), "%s/nope/x.csv", f->db.dir);
	assert_int_equal(ps_mapedit_import_file(&n, &f->ed, missing, 0, NOW),
			 PS_EIO);
	assert_non_null(strstr(ps_error_last(), "cannot read"));
	assert_int_equal(ps_mapedit_export_file(&f->ed, missing), PS_EIO);
	assert_non_null(strstr(ps_error_last(), "cannot write"));
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_tui_mapping__kinds),
		T(test_tui_mapping__empty_and_degenerate),
		T(test_tui_mapping__add_edit_remove_default),
		T(test_tui_mapping__values_must_exist),
		T(test_tui_mapping__free_text_side),
		T(test_tui_mapping__csv_roundtrip),
		T(test_tui_mapping__csv_dialect),
		T(test_tui_mapping__csv_refused),
		T(test_tui_mapping__csv_every_problem),
		T(test_tui_mapping__product_needs_id),
		T(test_tui_mapping__csv_files),
	};

	ps_lib_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
