/*
 * test_sh_setup_flows.c - the ShipHero setup's flows without a network:
 * when the shipping-method refresh is due (on request, never refreshed,
 * shiphero.methods.refresh_hours after the last one), that the product
 * sync only starts when the operator asks, and its progress text.
 */
/* cmocka needs these first */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <stdlib.h>
#include <string.h>

#include "flows/shiphero/setup_int.h"
#include "pearlsync/settings.h"
#include "pearlsync/store.h"
#include "test_db.h"

#define HOUR (3600LL * 1000)
#define T0 1800000000000LL

static int
setup(void **state)
{
	test_db *db = calloc(1, sizeof(*db));

	if (db == NULL || test_db_open(db, "shsetupflows") < 0) {
		free(db);
		return -1;
	}
	*state = db;
	return 0;
}

static int
teardown(void **state)
{
	test_db_close(*state);
	free(*state);
	return 0;
}

/* Poll flow at now with no connectors: 0 when it did nothing, the
 * refresh's PS_ESETTING ("not connected") when it tried. */
static int
poll_at(const ps_flow_ops *flow, ps_store *st, int64_t now, int run_now)
{
	ps_flow_env env;

	memset(&env, 0, sizeof(env));
	env.store = st;
	env.now = now;
	env.run_now = run_now;
	return flow->poll(&env);
}

static void
test_methods_schedule(void **state)
{
	test_db *db = *state;
	const ps_flow_ops *f = &ps_flow_shipping_methods_sh;

	/* never refreshed: due at once */
	assert_int_equal(poll_at(f, db->st, T0, 0), PS_ESETTING);
	assert_int_equal(
		ps_store_cursor_set(db->st, PS_SH_METHODS_STREAM, "1", T0), 0);
	/* the default: daily */
	assert_int_equal(poll_at(f, db->st, T0 + 23 * HOUR, 0), 0);
	assert_int_equal(poll_at(f, db->st, T0 + 24 * HOUR, 0), PS_ESETTING);
	/* on request whenever */
	assert_int_equal(poll_at(f, db->st, T0 + 1, 1), PS_ESETTING);
	/* a shorter schedule */
	assert_int_equal(ps_store_setting_set(NULL, db->st,
					      "shiphero.methods.refresh_hours",
					      "2", "test", T0),
			 0);
	assert_int_equal(poll_at(f, db->st, T0 + 2 * HOUR - 1, 0), 0);
	assert_int_equal(poll_at(f, db->st, T0 + 2 * HOUR, 0), PS_ESETTING);
	assert_string_equal(f->alias, "shiphero-methods");
	assert_ptr_equal(ps_flow_find("shiphero-methods"), f);
}

static void
test_products_start_on_request(void **state)
{
	test_db *db = *state;
	const ps_flow_ops *f = &ps_flow_product_sync_sh;
	ps_sh_product_progress p;
	char *c = NULL;

	/* a scheduled poll does not start it */
	assert_int_equal(poll_at(f, db->st, T0, 0), 0);
	assert_int_equal(ps_store_cursor_get(&c, NULL, db->st,
					     PS_SH_PRODUCT_SYNC_STREAM),
			 PS_ENOTFOUND);
	assert_int_equal(ps_sh_product_progress_get(&p, db->st), 0);
	assert_int_equal(p.started, 0);
	/* the operator's request does (here without Brightpearl) */
	assert_int_equal(poll_at(f, db->st, T0, 1), PS_ESETTING);
	assert_ptr_equal(ps_flow_find("shiphero-products"), f);
}

static int
history_cb(const ps_setting_change *c, void *payload)
{
	char *seen = payload;

	if (c->old_value != NULL && strstr(c->old_value, "hunter") != NULL)
		strcat(seen, "o");
	if (c->new_value != NULL && strstr(c->new_value, "hunter") != NULL)
		strcat(seen, "n");
	return 0;
}

/* A password traded for tokens leaves the settings history too; the
 * history of other keys is kept. */
static void
test_history_forget(void **state)
{
	test_db *db = *state;
	char seen[64] = "", other[64] = "";

	assert_int_equal(ps_store_setting_set(NULL, db->st, "shiphero.password",
					      "hunter2", "test", T0),
			 0);
	assert_int_equal(ps_store_setting_set(NULL, db->st, "shiphero.password",
					      "hunter3", "test", T0 + 1),
			 0);
	assert_int_equal(ps_store_setting_set(NULL, db->st, "shiphero.username",
					      "hunter@example.com", "test",
					      T0 + 2),
			 0);
	assert_int_equal(ps_store_setting_history_foreach(
				 db->st, "shiphero.password", history_cb, seen),
			 0);
	assert_string_equal(seen, "onn"); /* newest first */
	seen[0] = '\0';
	assert_int_equal(
		ps_store_setting_history_forget(db->st, "shiphero.password"),
		0);
	assert_int_equal(ps_store_setting_history_foreach(
				 db->st, "shiphero.password", history_cb, seen),
			 0);
	assert_string_equal(seen, "");
	assert_int_equal(ps_store_setting_history_foreach(db->st,
							  "shiphero.username",
							  history_cb, other),
			 0);
	assert_string_equal(other, "n");
}

static void
test_progress_text(void **state)
{
	ps_sh_product_progress p;
	char buf[96];

	(void)state;
	memset(&p, 0, sizeof(p));
	ps_sh_product_progress_text(buf, sizeof(buf), &p);
	assert_string_equal(buf, "(not started)");
	p.started = 1;
	p.listing = 1;
	ps_sh_product_progress_text(buf, sizeof(buf), &p);
	assert_string_equal(buf, "[....................] 0/0 listing");
	p.listing = 0;
	p.total = 3;
	p.done = 1;
	p.failed = 2;
	ps_sh_product_progress_text(buf, sizeof(buf), &p);
	assert_string_equal(buf, "[######..............] 1/3, failed 2");
	p.done = 3;
	p.failed = 0;
	ps_sh_product_progress_text(buf, sizeof(buf), &p);
	assert_string_equal(buf, "[####################] 3/3");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_methods_schedule, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_products_start_on_request,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_history_forget, setup,
						teardown),
		cmocka_unit_test(test_progress_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
