/*
 * test_flows_bc_events.c - reading stored webhook events for the flows
 * that return Brightpearl's changes to BigCommerce: the event name from
 * the body or the topic, id sets, bad bodies, BigCommerce order ids, and
 * which flows record entries for which events (with their dedupe keys).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flows/bigcommerce/bp_events_int.h"
#include "pearlsync/flow.h"
#include "pearlsync/store.h"

static ps_event
bp_event(const char *topic, const char *payload)
{
	ps_event ev;

	ps_event_init(&ev);
	ev.id = 42;
	ev.platform = PS_PLATFORM_BRIGHTPEARL;
	ev.topic = (char *)(uintptr_t)topic;
	ev.payload = (char *)(uintptr_t)payload;
	return ev;
}

static void
test_parse_full_event_and_idset(void **state)
{
	ps_event ev = bp_event(
	    "ignored", "{\"accountCode\":\"acme\",\"id\":\"7,9-11\","
		       "\"fullEvent\":\"goods-out-note.modified.shipped\"}");
	ps_bpev_event e;

	(void)state;
	assert_int_equal(ps_bpev__event_parse(&e, &ev), 0);
	assert_string_equal(e.full_event, "goods-out-note.modified.shipped");
	assert_int_equal(e.nids, 4);
	assert_int_equal(e.ids[0], 7);
	assert_int_equal(e.ids[1], 9);
	assert_int_equal(e.ids[3], 11);
	assert_true(ps_bpev__event_is(&e, "goods-out-note.modified.shipped"));
	assert_true(ps_bpev__event_is(&e, "goods-out-note"));
	assert_false(ps_bpev__event_is(&e, "goods-out-note.modified.ship"));
	assert_false(ps_bpev__event_is(&e, "order.modified"));
}

static void
test_parse_topic_fallback_and_numbers(void **state)
{
	ps_event ev = bp_event("product.modified.on-hand-modified",
			       "{\"id\":1007}");
	ps_bpev_event e;

	(void)state;
	assert_int_equal(ps_bpev__event_parse(&e, &ev), 0);
	assert_string_equal(e.full_event, "product.modified.on-hand-modified");
	assert_int_equal(e.nids, 1);
	assert_int_equal(e.ids[0], 1007);
}

static void
test_parse_rejects(void **state)
{
	static const char *const bad[] = {
	    "not json", "[1,2]", "{\"fullEvent\":\"order.modified\"}",
	    "{\"fullEvent\":\"order.modified\",\"id\":\"x\"}",
	    "{\"fullEvent\":\"order.modified\",\"id\":\"9-3\"}",
	    "{\"fullEvent\":\"order.modified\",\"id\":\"1,,2\"}",
	    "{\"fullEvent\":\"order.modified\",\"id\":\"-4\"}"};
	ps_bpev_event e;
	ps_event ev;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ev = bp_event(NULL, bad[i]);
		assert_int_equal(ps_bpev__event_parse(&e, &ev), PS_EPARSE);
	}
	ev = bp_event("order.modified", "{\"id\":\"1\"}");
	ev.platform = PS_PLATFORM_BIGCOMMERCE;
	assert_int_equal(ps_bpev__event_parse(&e, &ev), PS_EINVAL);
}

static void
test_idset_is_capped(void **state)
{
	ps_event ev = bp_event("product.modified.on-hand-modified",
			       "{\"id\":\"1-100000\"}");
	ps_bpev_event e;

	(void)state;
	assert_int_equal(ps_bpev__event_parse(&e, &ev), 0);
	assert_int_equal(e.nids, PS_BPEV_EVENT_MAX_IDS);
}

static void
test_bc_order_event(void **state)
{
	ps_event ev;
	int64_t id;

	(void)state;
	ps_event_init(&ev);
	ev.platform = PS_PLATFORM_BIGCOMMERCE;
	ev.topic = (char *)(uintptr_t) "store/order/updated";
	ev.payload = (char *)(uintptr_t) "{\"scope\":\"store/order/updated\","
					 "\"data\":{\"type\":\"order\","
					 "\"id\":250}}";
	assert_int_equal(ps_bpev__bc_event_order(&id, &ev), 0);
	assert_int_equal(id, 250);
	ev.topic = (char *)(uintptr_t) "store/product/updated";
	assert_int_equal(ps_bpev__bc_event_order(&id, &ev), PS_EINVAL);
	ev.topic = (char *)(uintptr_t) "store/order/created";
	ev.payload = (char *)(uintptr_t) "{\"data\":{}}";
	assert_int_equal(ps_bpev__bc_event_order(&id, &ev), PS_EPARSE);
}

/* ---- which flow records what ---------------------------------------- */

static ps_store *
open_store(char *path, size_t cap)
{
	ps_store *st = NULL;
	int fd;

	snprintf(path, cap, "/tmp/ps-flows-bc-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	unlink(path);
	assert_int_equal(ps_store_open(&st, path, 0), 0);
	return st;
}

static int
has_key(ps_store *st, const char *key)
{
	ps_log_entry e;
	int rc = ps_store_log_get_by_key(&e, st, key);

	if (rc == 0)
		ps_log_entry_dispose(&e);
	return rc == 0;
}

static void
test_on_event_entries(void **state)
{
	const ps_flow_ops *ship = ps_flow_find("shipments");
	const ps_flow_ops *inv = ps_flow_find("inventory");
	const ps_flow_ops *status = ps_flow_find("statuses");
	char path[64];
	ps_store *st = open_store(path, sizeof(path));
	ps_flow_env env;
	ps_event ev;

	(void)state;
	assert_non_null(ship);
	assert_non_null(inv);
	assert_non_null(status);
	memset(&env, 0, sizeof(env));
	env.store = st;
	env.now = 1000;

	ev = bp_event(NULL, "{\"id\":\"501\",\"fullEvent\":"
			    "\"goods-out-note.modified.shipped\"}");
	assert_int_equal(ship->on_event(&env, &ev), 0);
	assert_int_equal(ship->on_event(&env, &ev), 0); /* repeated */
	assert_true(has_key(st, "bp:gon:501:shipment"));
	assert_int_equal(inv->on_event(&env, &ev), 0);
	assert_int_equal(status->on_event(&env, &ev), 0);

	/* status trigger: a shipped note still records its entry (performed,
	 * it ships only while the order is at the trigger status) */
	assert_int_equal(ps_store_setting_set(NULL, st, "fulfilment.trigger",
					      "status", "test", 1000),
			 0);
	ev = bp_event(NULL, "{\"id\":\"502\",\"fullEvent\":"
			    "\"goods-out-note.modified.shipped\"}");
	assert_int_equal(ship->on_event(&env, &ev), 0);
	assert_true(has_key(st, "bp:gon:502:shipment"));
	ev = bp_event(NULL, "{\"id\":\"101\",\"fullEvent\":"
			    "\"order.modified.order-status\"}");
	assert_int_equal(ship->on_event(&env, &ev), 0);
	assert_true(has_key(st, "bp:order:101:ship-on-status:ev42"));
	/* no status synced back: the status export records nothing */
	assert_int_equal(status->on_event(&env, &ev), 0);
	assert_false(has_key(st, "bp:order:101:status:ev42"));
	assert_int_equal(ps_store_setting_set(NULL, st, "orders.sync_statuses",
					      "4", "test", 1000),
			 0);
	assert_int_equal(status->on_event(&env, &ev), 0);
	assert_true(has_key(st, "bp:order:101:status:ev42"));

	ev = bp_event(NULL, "{\"id\":\"1007\",\"fullEvent\":"
			    "\"product.modified.on-hand-modified\"}");
	assert_int_equal(inv->on_event(&env, &ev), 0);
	assert_true(has_key(st, "bp:stock:1007:ev42"));

	/* inventory poll: one reconcile per interval */
	assert_int_equal(inv->poll(&env), 0);
	assert_true(has_key(st, "inventory:reconcile:1000"));
	env.now = 1000 + 14 * 60000;
	assert_int_equal(inv->poll(&env), 0);
	assert_false(has_key(st, "inventory:reconcile:841000"));
	env.now = 1000 + 15 * 60000;
	assert_int_equal(inv->poll(&env), 0);
	assert_true(has_key(st, "inventory:reconcile:901000"));

	ps_store_close(st);
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_full_event_and_idset),
	    cmocka_unit_test(test_parse_topic_fallback_and_numbers),
	    cmocka_unit_test(test_parse_rejects),
	    cmocka_unit_test(test_idset_is_capped),
	    cmocka_unit_test(test_bc_order_event),
	    cmocka_unit_test(test_on_event_entries),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
