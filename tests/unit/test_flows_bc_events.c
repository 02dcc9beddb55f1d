/*
 * test_flows_bc_events.c - webhook events for the BigCommerce <-> Brightpearl
 * flows: the plug-ins' webhook_decode (the event name from the body or the
 * topic, id sets, bad bodies, BigCommerce order ids), and which flows record
 * entries for which decoded events (with their dedupe keys), reading the
 * decoded form and never the body.
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

#include "flows/bigcommerce/pair_int.h"
#include "pearlsync/flow.h"
#include "pearlsync/platform.h"
#include "pearlsync/store.h"

static ps_webhook_event dec; /* the last decode (too big for the stack) */

static int
decode(ps_platform p, const char *topic, const char *body)
{
	const ps_platform_ops *ops = ps_platform_ops_of(p);

	assert_non_null(ops);
	assert_non_null(ops->webhook_decode);
	return ops->webhook_decode(&dec, topic, body, strlen(body));
}

/*
 * A Brightpearl event as the worker hands it to the flows: decoded, with
 * a payload the flows must not read.
 */
static ps_event
bp_event(const char *body)
{
	ps_event ev;

	assert_int_equal(decode(PS_PLATFORM_BRIGHTPEARL, NULL, body), 0);
	ps_event_init(&ev);
	ev.id = 42;
	ev.platform = PS_PLATFORM_BRIGHTPEARL;
	ev.topic = dec.topic;
	ev.object = dec.object;
	ev.ids = dec.ids;
	ev.nids = dec.nids;
	ev.payload = (char *)(uintptr_t) "not json: never read";
	return ev;
}

static void
test_decode_full_event_and_idset(void **state)
{
	(void)state;
	assert_int_equal(
		decode(PS_PLATFORM_BRIGHTPEARL, "ignored",
		       "{\"accountCode\":\"acme\",\"id\":\"7,9-11\","
		       "\"fullEvent\":\"goods-out-note.modified.shipped\"}"),
		0);
	assert_string_equal(dec.topic, "goods-out-note.modified.shipped");
	assert_string_equal(dec.object, "goods-out-note");
	assert_int_equal(dec.nids, 4);
	assert_int_equal(dec.ids[0], 7);
	assert_int_equal(dec.ids[1], 9);
	assert_int_equal(dec.ids[3], 11);
}

static void
test_decode_topic_fallback_and_numbers(void **state)
{
	(void)state;
	assert_int_equal(decode(PS_PLATFORM_BRIGHTPEARL,
				"product.modified.on-hand-modified",
				"{\"id\":1007}"),
			 0);
	assert_string_equal(dec.topic, "product.modified.on-hand-modified");
	assert_string_equal(dec.object, "product");
	assert_int_equal(dec.nids, 1);
	assert_int_equal(dec.ids[0], 1007);
}

static void
test_decode_rejects(void **state)
{
	static const char *const bad[] = {
		"not json",
		"[1,2]",
		"{\"fullEvent\":\"order.modified\"}",
		"{\"fullEvent\":\"order.modified\",\"id\":\"x\"}",
		"{\"fullEvent\":\"order.modified\",\"id\":\"9-3\"}",
		"{\"fullEvent\":\"order.modified\",\"id\":\"1,,2\"}",
		"{\"fullEvent\":\"order.modified\",\"id\":\"-4\"}",
		"{\"id\":\"4\"}"};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(decode(PS_PLATFORM_BRIGHTPEARL, NULL, bad[i]),
				 PS_EINVAL);
		assert_int_equal(dec.nids, 0);
		assert_string_equal(dec.object, "");
	}
}

static void
test_idset_is_capped(void **state)
{
	(void)state;
	assert_int_equal(decode(PS_PLATFORM_BRIGHTPEARL,
				"product.modified.on-hand-modified",
				"{\"id\":\"1-100000\"}"),
			 0);
	assert_int_equal(dec.nids, PS_WEBHOOK_MAX_IDS);
	assert_int_equal(dec.ids[PS_WEBHOOK_MAX_IDS - 1], PS_WEBHOOK_MAX_IDS);
}

static void
test_bc_order_event(void **state)
{
	(void)state;
	assert_int_equal(decode(PS_PLATFORM_BIGCOMMERCE, NULL,
				"{\"scope\":\"store/order/updated\","
				"\"data\":{\"type\":\"order\",\"id\":250}}"),
			 0);
	assert_string_equal(dec.topic, "store/order/updated");
	assert_string_equal(dec.object, "order");
	assert_int_equal(dec.nids, 1);
	assert_int_equal(dec.ids[0], 250);
	assert_int_equal(dec.changed_at, 0);
	assert_string_equal(dec.value, "");
	/* what BigCommerce says with the change: its time, the new status */
	assert_int_equal(decode(PS_PLATFORM_BIGCOMMERCE, NULL,
				"{\"scope\":\"store/order/statusUpdated\","
				"\"created_at\":1764700000,\"data\":{"
				"\"type\":\"order\",\"id\":251,\"status\":{"
				"\"previous_status_id\":11,"
				"\"new_status_id\":2}}}"),
			 0);
	assert_int_equal(dec.changed_at, 1764700000);
	assert_string_equal(dec.value, "2");
	/* a refund (webhooks.v3 store_order_refund_created): the order,
	 * and the refund's id as the value */
	assert_int_equal(decode(PS_PLATFORM_BIGCOMMERCE, NULL,
				"{\"scope\":\"store/order/refund/created\","
				"\"data\":{\"type\":\"order\",\"id\":252,"
				"\"refund\":{\"refund_id\":3}}}"),
			 0);
	assert_string_equal(dec.topic, "store/order/refund/created");
	assert_int_equal(dec.ids[0], 252);
	assert_string_equal(dec.value, "3");
	/* an event stored before events were typed: the topic it was stored
	 * under stands in for a body without a scope */
	assert_int_equal(decode(PS_PLATFORM_BIGCOMMERCE, "store/order/created",
				"{\"data\":{\"id\":7}}"),
			 0);
	assert_string_equal(dec.topic, "store/order/created");
	assert_int_equal(dec.ids[0], 7);
	assert_int_equal(decode(PS_PLATFORM_BIGCOMMERCE, NULL,
				"{\"scope\":\"store/product/updated\","
				"\"data\":{\"id\":250}}"),
			 PS_EINVAL);
	assert_int_equal(decode(PS_PLATFORM_BIGCOMMERCE, NULL,
				"{\"scope\":\"store/order/created\","
				"\"data\":{}}"),
			 PS_EINVAL);
	assert_int_equal(decode(PS_PLATFORM_BIGCOMMERCE, NULL,
				"{\"scope\":\"store/order/created\","
				"\"data\":{\"id\":\"12\"}}"),
			 PS_EINVAL);
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

	ev = bp_event("{\"id\":\"501\",\"fullEvent\":"
		      "\"goods-out-note.modified.shipped\"}");
	assert_int_equal(ship->on_event(&env, &ev), 0);
	assert_int_equal(ship->on_event(&env, &ev), 0); /* repeated */
	assert_true(has_key(st, "bp:gon:501:shipment"));
	assert_int_equal(inv->on_event(&env, &ev), 0);
	assert_int_equal(status->on_event(&env, &ev), 0);

	/* status trigger: a shipped note still records its entry (performed,
	 * it ships only while the order is at the trigger status) */
	assert_int_equal(ps_store_setting_set(NULL, st,
					      "bigcommerce.fulfilment.trigger",
					      "status", "test", 1000),
			 0);
	ev = bp_event("{\"id\":\"502\",\"fullEvent\":"
		      "\"goods-out-note.modified.shipped\"}");
	assert_int_equal(ship->on_event(&env, &ev), 0);
	assert_true(has_key(st, "bp:gon:502:shipment"));
	ev = bp_event("{\"id\":\"101\",\"fullEvent\":"
		      "\"order.modified.order-status\"}");
	assert_int_equal(ship->on_event(&env, &ev), 0);
	assert_true(has_key(st, "bp:order:101:ship-on-status:ev42"));
	/* no status synced back: the status export records nothing */
	assert_int_equal(status->on_event(&env, &ev), 0);
	assert_false(has_key(st, "bp:order:101:status:ev42"));
	assert_int_equal(ps_store_setting_set(
				 NULL, st, "bigcommerce.orders.sync_statuses",
				 "4", "test", 1000),
			 0);
	assert_int_equal(status->on_event(&env, &ev), 0);
	assert_true(has_key(st, "bp:order:101:status:ev42"));

	ev = bp_event("{\"id\":\"1007\",\"fullEvent\":"
		      "\"product.modified.on-hand-modified\"}");
	assert_int_equal(inv->on_event(&env, &ev), 0);
	assert_true(has_key(st, "bp:stock:1007:ev42"));

	/* not decoded (object ""): the flows do not read the body, so they
	 * record nothing (the worker decodes such events first) */
	ps_event_init(&ev);
	ev.id = 43;
	ev.platform = PS_PLATFORM_BRIGHTPEARL;
	ev.topic = (char *)(uintptr_t) "product.modified.on-hand-modified";
	ev.object = (char *)(uintptr_t) "";
	ev.payload = (char *)(uintptr_t) "{\"id\":\"1008\"}";
	assert_int_equal(inv->on_event(&env, &ev), 0);
	assert_false(has_key(st, "bp:stock:1008:ev43"));

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

/* The order import reads the decoded order id and topic, not the body. */
static void
test_order_import_on_event(void **state)
{
	const ps_flow_ops *orders = ps_flow_find("order_import_bc");
	static const int64_t ids[] = {77};
	char path[64];
	ps_store *st = open_store(path, sizeof(path));
	ps_flow_env env;
	ps_event ev;

	(void)state;
	assert_non_null(orders);
	memset(&env, 0, sizeof(env));
	env.store = st;
	env.now = 1000;
	ps_event_init(&ev);
	ev.id = 9;
	ev.platform = PS_PLATFORM_BIGCOMMERCE;
	ev.object = (char *)(uintptr_t) "order";
	ev.ids = (int64_t *)(uintptr_t)ids;
	ev.nids = 1;
	ev.payload = (char *)(uintptr_t) "garbage";
	ev.topic = (char *)(uintptr_t) "store/order/created";
	assert_int_equal(orders->on_event(&env, &ev), 0);
	assert_true(has_key(st, "bc:order:77:import"));
	ev.topic = (char *)(uintptr_t) "store/order/statusUpdated";
	assert_int_equal(orders->on_event(&env, &ev), 0);
	assert_true(has_key(st, "bc:order:77:status:ev9"));
	ev.topic = (char *)(uintptr_t) "store/order/updated";
	assert_int_equal(orders->on_event(&env, &ev), 0);
	assert_true(has_key(st, "bc:order:77:updated:ev9"));
	/* with what BigCommerce said: keyed by the change, so a second
	 * delivery (another event) records nothing new, and the status
	 * change has the key the poll gives it */
	ev.id = 11;
	ev.changed_at = 1764700000;
	assert_int_equal(orders->on_event(&env, &ev), 0);
	assert_true(has_key(st, "bc:order:77:updated:1764700000"));
	assert_false(has_key(st, "bc:order:77:updated:ev11"));
	ev.topic = (char *)(uintptr_t) "store/order/statusUpdated";
	ev.value = (char *)(uintptr_t) "2";
	assert_int_equal(orders->on_event(&env, &ev), 0);
	assert_true(has_key(st, "bc:order:77:status:2"));
	assert_false(has_key(st, "bc:order:77:status:ev11"));
	ev.value = NULL;
	ev.changed_at = 0;
	ev.topic = (char *)(uintptr_t) "store/order/updated";
	/* another platform's event, or an order event not decoded */
	ev.id = 10;
	ev.platform = PS_PLATFORM_BRIGHTPEARL;
	assert_int_equal(orders->on_event(&env, &ev), 0);
	assert_false(has_key(st, "bc:order:77:updated:ev10"));
	ev.platform = PS_PLATFORM_BIGCOMMERCE;
	ev.object = (char *)(uintptr_t) "";
	assert_int_equal(orders->on_event(&env, &ev), 0);
	assert_false(has_key(st, "bc:order:77:updated:ev10"));

	ps_store_close(st);
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_full_event_and_idset),
		cmocka_unit_test(test_decode_topic_fallback_and_numbers),
		cmocka_unit_test(test_decode_rejects),
		cmocka_unit_test(test_idset_is_capped),
		cmocka_unit_test(test_bc_order_event),
		cmocka_unit_test(test_on_event_entries),
		cmocka_unit_test(test_order_import_on_event),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
