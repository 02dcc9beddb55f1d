/*
 * test_orders_bad_input.c - malformed and inconsistent BigCommerce orders,
 * end to end through the worker against pearlsync-sandbox.
 *
 * Every store/order webhook is lost (the sandbox drops them), so the
 * worker's poll is what finds the orders.  Orders are placed as a shopper
 * would and then damaged with the sandbox's "corrupt" control call: a
 * total that is not a number, a date that is not a date, a line whose
 * quantity is not an integer, totals that do not add up, a read that
 * answers about another order.  Outcomes are read from the sandbox's
 * Brightpearl state (which orders exist) and from each order's own log
 * entry (its status and reason).
 */
#define _DEFAULT_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "flow_fixture.h"
#include "pearlsync/log.h"
#include "pearlsync/money.h"
#include "pearlsync/worker.h"

static flow_fixture fx;

/* ---- the sandbox's picture ---------------------------------------------- */

/* How many Brightpearl orders have bc_id as their externalRef. */
static size_t
bp_orders_for(int64_t bc_id)
{
	json_t *state = fx_ctl(&fx, "GET", "/brightpearl/state", NULL);
	json_t *o;
	const char *k, *ext;
	char want[32];
	size_t n = 0;

	snprintf(want, sizeof(want), "%" PRId64, bc_id);
	json_object_foreach (json_object_get(state, "orders"), k, o) {
		ext = json_string_value(json_object_get(o, "externalRef"));
		if (ext != NULL && strcmp(ext, want) == 0)
			n++;
	}
	json_decref(state);
	return n;
}

/* The order's date_modified as the sandbox stores it (Unix seconds). */
static int64_t
bc_modified(int64_t bc_id)
{
	json_t *o = fx_bc_order(&fx, bc_id);
	const char *d = json_string_value(
		json_object_get(json_object_get(o, "order"), "date_modified"));
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	struct tm tm;
	char mon[4] = "";
	const char *m;
	int64_t t;

	memset(&tm, 0, sizeof(tm));
	assert_non_null(d);
	assert_int_equal(sscanf(d, "%*3s, %d %3s %d %d:%d:%d", &tm.tm_mday, mon,
				&tm.tm_year, &tm.tm_hour, &tm.tm_min,
				&tm.tm_sec),
			 6);
	assert_non_null(m = strstr(months, mon));
	tm.tm_mon = (int)(m - months) / 3;
	tm.tm_year -= 1900;
	t = (int64_t)timegm(&tm);
	json_decref(o);
	return t;
}

/* The first line id of the order. */
static int64_t
bc_line(int64_t bc_id)
{
	json_t *o = fx_bc_order(&fx, bc_id);
	int64_t id = json_integer_value(json_object_get(
		json_array_get(json_object_get(o, "products"), 0), "id"));

	json_decref(o);
	assert_true(id > 0);
	return id;
}

/* The sandbox's "corrupt" control call on order bc_id. */
static void
corrupt(int64_t bc_id, const char *body)
{
	char path[96];

	snprintf(path, sizeof(path), "/bigcommerce/orders/%" PRId64 "/corrupt",
		 bc_id);
	fx_ctl_ok(&fx, "POST", path, body);
}

static int64_t
place(void)
{
	return fx_bc_order_place(&fx, "[{\"sku\":\"CAP-BLK\",\"quantity\":1}]",
				 "\"status_id\":11");
}

/* ---- pearlsync's side ---------------------------------------------------- */

/* The entry bc:order:<id>:<change>: its status, its reason in why. */
static ps_entry_status
entry(int64_t bc_id, const char *change, char *why, size_t cap)
{
	ps_log_entry e;
	ps_entry_status s;
	char key[96];

	snprintf(key, sizeof(key), "bc:order:%" PRId64 ":%s", bc_id, change);
	if (ps_store_log_get_by_key(&e, fx.st, key) != 0) {
		flow_fixture_log_dump(&fx);
		fail_msg("no entry %s", key);
	}
	s = e.status;
	snprintf(why, cap, "%s", e.reason ? e.reason : "");
	ps_log_entry_dispose(&e);
	return s;
}

/* Assert that the import of bc_id failed naming the order and field. */
static void
import_failed(int64_t bc_id, const char *field)
{
	char why[1024], name[64];

	assert_int_equal(entry(bc_id, "import", why, sizeof(why)),
			 PS_ENTRY_FAILED);
	snprintf(name, sizeof(name), "order %" PRId64, bc_id);
	if (strstr(why, name) == NULL || strstr(why, field) == NULL)
		fail_msg("entry of %" PRId64 ": reason \"%s\" names not %s "
			 "and %s",
			 bc_id, why, name, field);
	assert_int_equal(bp_orders_for(bc_id), 0);
}

static int64_t
cursor(void)
{
	char *v = NULL;
	int64_t t;

	assert_int_equal(
		ps_store_cursor_get(&v, NULL, fx.st, "bc.orders.modified"), 0);
	t = strtoll(v, NULL, 10);
	free(v);
	return t;
}

/* ---- tests -------------------------------------------------------------- */

/*
 * Good orders around three malformed ones (a total "NaN", a date
 * "garbage", a line quantity "two"): one worker pass imports every good
 * one, each bad one fails its own import naming the field, the cursor
 * stands at the last good order, and the next poll still works.
 */
static void
test_poll_goes_past_malformed_orders(void **state)
{
	int64_t a, nan, garbage, qty, d, f;
	char body[160];
	size_t failed = 0;

	(void)state;
	a = place();
	nan = place();
	corrupt(nan, "{\"order\":{\"total_inc_tax\":\"NaN\"}}");
	garbage = place();
	corrupt(garbage, "{\"order\":{\"date_modified\":\"garbage\"}}");
	qty = place();
	snprintf(body, sizeof(body),
		 "{\"lines\":[{\"id\":%" PRId64 ",\"quantity\":\"two\"}]}",
		 bc_line(qty));
	corrupt(qty, body);
	d = place();

	assert_int_equal(ps_worker_run_once(fx.worker, &failed), 0);
	if (bp_orders_for(a) != 1 || bp_orders_for(d) != 1)
		flow_fixture_log_dump(&fx);
	assert_int_equal(bp_orders_for(a), 1);
	assert_int_equal(bp_orders_for(d), 1);
	import_failed(nan, "'total_inc_tax'");
	import_failed(garbage, "'date_modified'");
	import_failed(qty, "'quantity'");
	assert_true(failed >= 3);
	assert_int_equal(cursor(), bc_modified(d));

	/* the poll goes on: a later order is found by the next pass, and the
	 * bad ones are not recorded twice */
	f = place();
	assert_int_equal(ps_worker_run_once(fx.worker, NULL), 0);
	assert_int_equal(bp_orders_for(f), 1);
	assert_int_equal(bp_orders_for(a), 1);
	import_failed(nan, "'total_inc_tax'");
}

/* The order's member (an amount) plus delta, as BigCommerce writes it. */
static void
amount_plus(char *buf, size_t cap, int64_t bc_id, const char *member,
	    ps_money delta)
{
	json_t *o = fx_bc_order(&fx, bc_id);
	const char *v = json_string_value(
		json_object_get(json_object_get(o, "order"), member));
	ps_money m = 0;

	assert_non_null(v);
	assert_int_equal(ps_money_parse(&m, v), 0);
	ps_money_format(buf, cap, m + delta, 4);
	json_decref(o);
}

/*
 * Totals 62.00 above what the rows add up to, and a line of quantity 0:
 * both imports fail naming the field, nothing of either reaches
 * Brightpearl, and a good order in the same pass is imported.
 */
static void
test_bad_totals_refused_through_the_worker(void **state)
{
	int64_t off, zero, good;
	char ex[PS_MONEY_STR_MAX], inc[PS_MONEY_STR_MAX], body[256];

	(void)state;
	off = place();
	amount_plus(ex, sizeof(ex), off, "total_ex_tax",
		    ps_money_from_cents(6200));
	amount_plus(inc, sizeof(inc), off, "total_inc_tax",
		    ps_money_from_cents(6200));
	snprintf(body, sizeof(body),
		 "{\"order\":{\"total_ex_tax\":\"%s\",\"total_inc_tax\":"
		 "\"%s\"}}",
		 ex, inc);
	corrupt(off, body);
	zero = place();
	snprintf(body, sizeof(body),
		 "{\"lines\":[{\"id\":%" PRId64 ",\"quantity\":0}]}",
		 bc_line(zero));
	corrupt(zero, body);
	good = place();

	assert_int_equal(ps_worker_run_once(fx.worker, NULL), 0);
	if (bp_orders_for(good) != 1)
		flow_fixture_log_dump(&fx);
	assert_int_equal(bp_orders_for(good), 1);
	import_failed(off, "'total_ex_tax'");
	import_failed(off, "off by 62.00");
	import_failed(zero, "'quantity' is 0");
}

/*
 * A read of the order that answers about order 424242: the import does
 * not take it (the entry is not synced, and names the field), nothing is
 * filed in Brightpearl under either id, and the entry still names the
 * order asked for.
 */
static void
test_reply_about_another_order_refused(void **state)
{
	int64_t asked;
	ps_log_entry e;
	char why[1024], key[64];
	ps_entry_status st;

	(void)state;
	asked = place();
	corrupt(asked, "{\"read\":{\"id\":424242}}");
	assert_int_equal(ps_worker_run_once(fx.worker, NULL), 0);
	st = entry(asked, "import", why, sizeof(why));
	assert_int_not_equal(st, PS_ENTRY_SYNCED);
	if (strstr(why, "about order 424242 (field 'id')") == NULL)
		fail_msg("reason \"%s\"", why);
	assert_int_equal(bp_orders_for(asked), 0);
	assert_int_equal(bp_orders_for(424242), 0);
	snprintf(key, sizeof(key), "bc:order:%" PRId64 ":import", asked);
	assert_int_equal(ps_store_log_get_by_key(&e, fx.st, key), 0);
	assert_non_null(e.order_number);
	assert_int_equal(strtoll(e.order_number, NULL, 10), asked);
	ps_log_entry_dispose(&e);
}

static int
setup(void **state)
{
	json_t *drop;
	int ok;

	*state = &fx;
	if (flow_fixture_open(&fx, NULL) < 0)
		return -1;
	fx_set(&fx, "bigcommerce.orders.import_guests", "true");
	if (flow_fixture_start_import(&fx) < 0)
		return -1;
	/* from now on every order webhook is lost: the poll finds them */
	drop = flow_fixture_ctl(&fx, "POST", "/webhooks",
				"{\"platform\":\"bigcommerce\","
				"\"drop_rate\":1}");
	ok = drop != NULL;
	json_decref(drop);
	return ok ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_poll_goes_past_malformed_orders),
		cmocka_unit_test(test_bad_totals_refused_through_the_worker),
		cmocka_unit_test(test_reply_about_another_order_refused),
	};

	return cmocka_run_group_tests(tests, setup, flow_fixture_teardown);
}
