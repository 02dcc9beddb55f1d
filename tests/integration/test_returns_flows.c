/*
 * test_returns_flows.c - the flows from Brightpearl back to BigCommerce,
 * end to end through the worker against pearlsync-sandbox.
 *
 * The worker runs with its webhook listener on loopback; its flows'
 * start-up registers the Brightpearl webhooks (secret in the path) and
 * the sandbox delivers them as the real service would.  The test acts as
 * the merchant through the sandbox's control API (ship goods-out notes,
 * change a status or stock, add notes) and as the order import by
 * creating the Brightpearl order with its externalRef and the xref.
 * Each check runs worker passes until the effect shows or a deadline.
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
#include <unistd.h>

#include <jansson.h>

#include "flow_fixture.h"
#include "pearlsync/bigcommerce.h"
#include "pearlsync/brightpearl.h"
#include "pearlsync/log.h"
#include "pearlsync/store.h"
#include "pearlsync/worker.h"

#define DEADLINE_MS 15000

static flow_fixture fx;

/* What the Brightpearl side was told and did, then every entry. */
static void
dump(void)
{
	json_t *d = fx_ctl(&fx, "GET", "/webhooks?platform=brightpearl", NULL);
	char *txt = json_dumps(d, JSON_COMPACT);

	fprintf(stderr, "deliveries: %.1500s\n", txt ? txt : "");
	free(txt);
	json_decref(d);
	d = fx_ctl(&fx, "GET", "/brightpearl/state", NULL);
	txt = json_dumps(json_object_get(d, "webhooks"), JSON_COMPACT);
	fprintf(stderr, "hooks: %.1500s\n", txt ? txt : "");
	free(txt);
	txt = json_dumps(json_object_get(d, "goodsOutNotes"), JSON_COMPACT);
	fprintf(stderr, "gons: %.800s\n", txt ? txt : "");
	free(txt);
	json_decref(d);
	flow_fixture_log_dump(&fx);
}

/* Worker passes until check() holds or the deadline passes. */
static int
run_until(int (*check)(void *), void *arg)
{
	int ok = fx_run_until(&fx, check, arg, DEADLINE_MS);

	if (!ok && getenv("PS_TEST_DUMP"))
		dump();
	return ok;
}

/* ---- orders ----------------------------------------------------------- */

typedef struct want_ships {
	int64_t bc_id;
	size_t n;
} want_ships;

static int
has_shipments(void *arg)
{
	want_ships *w = arg;

	return fx_bc_shipment_count(&fx, w->bc_id) >= w->n;
}

/* Sum of quantities of shipment i (by SKU through order products). */
static int64_t
shipped_qty(json_t *ships, size_t i)
{
	json_t *items = json_object_get(json_array_get(ships, i), "items"), *it;
	size_t k;
	int64_t q = 0;

	json_array_foreach (items, k, it)
		q += json_integer_value(json_object_get(it, "quantity"));
	return q;
}

/* ---- tests ------------------------------------------------------------ */

static void
test_partial_shipments(void **state)
{
	fx_order p;
	want_ships w;
	json_t *ships, *deliveries, *d;
	size_t i;
	int status[3];
	char url[256];

	(void)state;
	fx_set(&fx, "bigcommerce.fulfilment.enabled", "true");
	fx_set(&fx, "bigcommerce.fulfilment.trigger", "goods_out");
	fx_map(&fx, "shipping_method", "bp>bc", "7", "Express (mapped)");
	p = fx_order_make(&fx, "TEE-RED-M", 3, "MUG-LOGO", 2);
	w.bc_id = p.bc_id;

	fx_ship(&fx, p.bp_id, "[{\"sku\":\"TEE-RED-M\",\"quantity\":1}]",
		"TRK-1");
	w.n = 1;
	assert_true(run_until(has_shipments, &w));
	status[0] = fx_bc_status(&fx, p.bc_id);
	fx_ship(&fx, p.bp_id,
		"[{\"sku\":\"TEE-RED-M\",\"quantity\":2},"
		"{\"sku\":\"MUG-LOGO\",\"quantity\":1}]",
		"TRK-2");
	w.n = 2;
	assert_true(run_until(has_shipments, &w));
	status[1] = fx_bc_status(&fx, p.bc_id);
	fx_ship(&fx, p.bp_id, "[{\"sku\":\"MUG-LOGO\",\"quantity\":1}]",
		"TRK-3");
	w.n = 3;
	assert_true(run_until(has_shipments, &w));
	status[2] = fx_bc_status(&fx, p.bc_id);
	assert_int_equal(status[0], 3);
	assert_int_equal(status[1], 3);
	assert_int_equal(status[2], 2);

	ships = fx_bc_shipments(&fx, p.bc_id);
	assert_int_equal(json_array_size(ships), 3);
	assert_int_equal(shipped_qty(ships, 0), 1);
	assert_int_equal(shipped_qty(ships, 1), 3);
	assert_int_equal(shipped_qty(ships, 2), 1);
	assert_string_equal(
		json_string_value(json_object_get(json_array_get(ships, 0),
						  "tracking_number")),
		"TRK-1");
	assert_string_equal(
		json_string_value(json_object_get(json_array_get(ships, 2),
						  "shipping_method")),
		"Express (mapped)");
	json_decref(ships);

	/* the same webhook delivered again: no second shipment */
	deliveries = fx_ctl(&fx, "GET", "/webhooks?platform=brightpearl", NULL);
	snprintf(url, sizeof(url),
		 "http://127.0.0.1:%d/webhooks/brightpearl/" FLOW_FIXTURE_SECRET
		 "/goods-out-note.modified.shipped",
		 fx.listen_port);
	json_array_foreach (json_object_get(deliveries, "deliveries")
				    ? json_object_get(deliveries, "deliveries")
				    : deliveries,
			    i, d) {
		const char *ev = json_string_value(json_object_get(d, "event"));
		sandbox_reply r;

		if (ev == NULL ||
		    strcmp(ev, "goods-out-note.modified.shipped") != 0)
			continue;
		sandbox_http(&r, "POST", url, NULL,
			     json_string_value(json_object_get(d, "body")),
			     NULL);
		assert_int_equal(r.status, 200);
		sandbox_reply_dispose(&r);
	}
	json_decref(deliveries);
	fx_passes(&fx, 3, 0);
	assert_int_equal(fx_bc_shipment_count(&fx, p.bc_id), 3);
}

/* The status export's entries (n of them into *rows; free them). */
static size_t
status_rows(ps_log_entry **rows)
{
	ps_log_query q = PS_LOG_QUERY_INIT;
	size_t n = 0;

	q.flow = "status_export_bc";
	q.limit = 1000;
	assert_int_equal(ps_store_log_list(rows, &n, fx.st, &q), 0);
	return n;
}

/* The merchant sets Brightpearl status status_id on p's order, then the
 * worker makes enough passes to record whatever that change records. */
static void
set_status_and_settle(const fx_order *p, int status_id)
{
	fx_bp_status_set(&fx, p->bp_id, status_id);
	fx_passes(&fx, 20, 20);
}

/* A status nobody syncs back costs nothing: with
 * bigcommerce.orders.sync_statuses unset no entry is recorded (poll or
 * webhook), and with a list of ids only the orders at one of them. */
static void
test_status_export_only_selected(void **state)
{
	ps_log_entry *rows = NULL;
	size_t n, k;
	fx_order p;

	(void)state;
	p = fx_order_make(&fx, "CAP-BLK", 1, "BAG-TOTE", 1);
	set_status_and_settle(&p, 6);
	n = status_rows(&rows);
	ps_log_entries_free(rows, n);
	assert_int_equal(n, 0);
	/* ids listed: the poll and the webhook filter on them */
	fx_set(&fx, "bigcommerce.orders.sync_statuses", "4");
	set_status_and_settle(&p, 5);
	/* webhook entries do not carry the status: performing them reads it
	 * and skips; the poll records none for status 5 */
	n = status_rows(&rows);
	for (k = 0; k < n; k++) {
		assert_null(strstr(rows[k].dedupe_key, ":status:s5"));
		assert_int_equal(rows[k].status, PS_ENTRY_SYNCED);
		assert_non_null(strstr(rows[k].detail, "skipped"));
	}
	ps_log_entries_free(rows, n);
	assert_int_equal(fx_bc_status(&fx, p.bc_id), 11);
}

static void
test_status_trigger_and_status_export(void **state)
{
	fx_order p, q;
	want_ships w;

	(void)state;
	/* trigger (a): the order reaching the trigger status ships it */
	fx_set(&fx, "bigcommerce.fulfilment.trigger", "status");
	fx_set(&fx, "bigcommerce.fulfilment.trigger_status", "7");
	p = fx_order_make(&fx, "CAP-BLK", 2, "BAG-TOTE", 1);
	fx_bp_status_set(&fx, p.bp_id, 7);
	w.bc_id = p.bc_id;
	w.n = 1;
	assert_true(run_until(has_shipments, &w));
	assert_int_equal(fx_bc_status(&fx, p.bc_id), 2);
	assert_int_equal(fx_bc_shipment_count(&fx, p.bc_id), 1);
	fx_set(&fx, "bigcommerce.fulfilment.trigger", "goods_out");

	/* status export: selected status mapped; unselected left alone */
	fx_set(&fx, "bigcommerce.orders.sync_statuses", "4");
	fx_map(&fx, "order_status", "bp>bc", "4", "10");
	q = fx_order_make(&fx, "SOCK-3PK", 1, "BTL-STEEL", 1);
	fx_bp_status_set(&fx, q.bp_id, 6);
	fx_bp_status_set(&fx, q.bp_id, 4);
	{
		int64_t end = flow_fixture_now_ms() + DEADLINE_MS;

		while (fx_bc_status(&fx, q.bc_id) != 10 &&
		       flow_fixture_now_ms() < end)
			fx_passes(&fx, 1, 20);
	}
	assert_int_equal(fx_bc_status(&fx, q.bc_id), 10);
}

static void
test_lost_webhook_poll(void **state)
{
	fx_order p;
	want_ships w;

	(void)state;
	fx_set(&fx, "bigcommerce.fulfilment.trigger", "goods_out");
	p = fx_order_make(&fx, "HOOD-GRY-M", 2, "SOCK-3PK", 1);
	/* every Brightpearl delivery is lost */
	fx_ctl_ok(&fx, "POST", "/webhooks",
		  "{\"platform\":\"brightpearl\",\"drop_rate\":1.0,"
		  "\"seed\":3}");
	fx_ship(&fx, p.bp_id, "[{\"sku\":\"HOOD-GRY-M\",\"quantity\":2}]",
		"TRK-P");
	w.bc_id = p.bc_id;
	w.n = 1;
	assert_true(run_until(has_shipments, &w));
	assert_int_equal(fx_bc_status(&fx, p.bc_id), 3);
	/* a status change whose webhook is lost: the poll carries it */
	{
		int64_t end = flow_fixture_now_ms() + DEADLINE_MS;

		fx_set(&fx, "bigcommerce.orders.sync_statuses", "4");
		fx_map(&fx, "order_status", "bp>bc", "4", "10");
		fx_bp_status_set(&fx, p.bp_id, 4);
		while (fx_bc_status(&fx, p.bc_id) != 10 &&
		       flow_fixture_now_ms() < end)
			fx_passes(&fx, 1, 20);
		assert_int_equal(fx_bc_status(&fx, p.bc_id), 10);
		/* it was the poll's entry, no webhook got through */
		{
			ps_log_entry e;
			char key[96];

			snprintf(key, sizeof(key),
				 "bp:order:%" PRId64 ":status:s4", p.bp_id);
			assert_int_equal(
				ps_store_log_get_by_key(&e, fx.st, key), 0);
			assert_int_equal(e.status, PS_ENTRY_SYNCED);
			assert_string_equal(e.kind, "order.status");
			snprintf(key, sizeof(key), "%" PRId64, p.bp_id);
			assert_string_equal(e.subject, key);
			ps_log_entry_dispose(&e);
		}
		{
			ps_log_query q = PS_LOG_QUERY_INIT;
			ps_log_entry *rows = NULL;
			size_t n = 0, i;
			char prefix[64];

			snprintf(prefix, sizeof(prefix),
				 "bp:order:%" PRId64 ":status:ev", p.bp_id);
			q.limit = 1000;
			assert_int_equal(
				ps_store_log_list(&rows, &n, fx.st, &q), 0);
			for (i = 0; i < n; i++)
				assert_null(strstr(rows[i].dedupe_key, prefix));
			ps_log_entries_free(rows, n);
		}
	}
	fx_ctl_ok(&fx, "POST", "/webhooks",
		  "{\"platform\":\"brightpearl\",\"drop_rate\":0}");
	/* more passes: the poll finds the same note again, nothing new */
	fx_passes(&fx, 1, 0);
	assert_int_equal(fx_bc_shipment_count(&fx, p.bc_id), 1);
}

static int
level_is_77(void *arg)
{
	return fx_bc_level(&fx, arg) == 77;
}

static int
events_done(void *arg)
{
	ps_event *ev = NULL;
	size_t n = 0;

	(void)arg;
	/* nothing left unclaimed: the worker has taken every event */
	assert_int_equal(
		ps_store_event_claim(&ev, &n, fx.st, 1, flow_fixture_now_ms()),
		0);
	ps_events_free(ev, n);
	return n == 0;
}

static void
test_inventory(void **state)
{
	int64_t puts;

	(void)state;
	fx_set(&fx, "bigcommerce.inventory.warehouses", "2");
	fx_set(&fx, "bigcommerce.inventory.enabled", "true");
	/* the first pass runs the full reconcile */
	fx_passes(&fx, 1, 0);

	fx_ctl_ok(&fx, "POST", "/brightpearl/stock",
		  "{\"sku\":\"CAP-BLK\",\"warehouseId\":2,\"inStock\":77}");
	assert_true(run_until(level_is_77, (void *)"CAP-BLK"));

	/* the same level again: the event is handled, nothing is sent */
	fx_ctl_ok(&fx, "POST", "/requests/reset", "{}");
	fx_ctl_ok(&fx, "POST", "/brightpearl/stock",
		  "{\"sku\":\"CAP-BLK\",\"warehouseId\":2,\"inStock\":77}");
	usleep(200000);
	assert_true(run_until(events_done, NULL));
	fx_passes(&fx, 1, 0);
	puts = fx_requests(&fx, "bigcommerce",
			   "PUT v3/inventory/adjustments/absolute");
	assert_int_equal(puts, 0);
	assert_int_equal(fx_bc_level(&fx, "CAP-BLK"), 77);
}

typedef struct notes_want {
	fx_order p;
} notes_want;

static int
notes_arrived(void *arg)
{
	notes_want *w = arg;
	ps_bc_order o;
	int ok;

	memset(&o, 0, sizeof(o));
	assert_int_equal(ps_bc_order_get(&o, fx.bc, w->p.bc_id), 0);
	ok = fx_count(o.staff_notes, "Customer called about delivery") >= 1;
	ps_bc_order_dispose(&o);
	return ok;
}

static void
test_notes(void **state)
{
	notes_want w;
	ps_log_entry e;
	ps_bp_note_list nl = {NULL, 0, NULL};
	ps_bc_order o;
	char body[256], bpid[32], bcid[32], key[64];
	char flow_name[] = "order_import_bc";
	int64_t id;
	size_t i, n = 0;

	(void)state;
	fx_set(&fx, "bigcommerce.notes.enabled", "true");
	fx_set(&fx, "bigcommerce.notes.bp_note_to_bc_field", "staff_notes");
	w.p = fx_order_make(&fx, "TEE-BLU-M", 1, "MUG-LOGO", 1);
	/* the import's synced entry, which the notes poll follows */
	ps_log_entry_init(&e);
	snprintf(key, sizeof(key), "bc:order:%" PRId64 ":import", w.p.bc_id);
	snprintf(bpid, sizeof(bpid), "%" PRId64, w.p.bp_id);
	snprintf(bcid, sizeof(bcid), "%" PRId64, w.p.bc_id);
	e.flow = flow_name;
	e.dedupe_key = key;
	e.source_id = bcid;
	e.source_platform = PS_PLATFORM_BIGCOMMERCE;
	e.target_platform = PS_PLATFORM_BRIGHTPEARL;
	e.status = PS_ENTRY_FAILED;
	assert_true(ps_store_log_add(&id, fx.st, &e, flow_fixture_now_ms()) >=
		    0);
	assert_int_equal(ps_store_log_mark_synced(fx.st, id, bpid, NULL,
						  flow_fixture_now_ms()),
			 0);

	snprintf(body, sizeof(body),
		 "{\"orderId\":%" PRId64
		 ",\"text\":\"Customer called about delivery\"}",
		 w.p.bp_id);
	fx_ctl_ok(&fx, "POST", "/brightpearl/note", body);
	assert_int_equal(ps_bc_order_update_notes(fx.bc, w.p.bc_id,
						  "Gift wrap please", NULL),
			 0);
	assert_true(run_until(notes_arrived, &w));
	/* a few more passes: nothing echoes back or repeats */
	fx_passes(&fx, 4, 50);
	memset(&o, 0, sizeof(o));
	assert_int_equal(ps_bc_order_get(&o, fx.bc, w.p.bc_id), 0);
	assert_int_equal(
		fx_count(o.staff_notes, "Customer called about delivery"), 1);
	assert_int_equal(fx_count(o.staff_notes, "Gift wrap please"), 1);
	ps_bc_order_dispose(&o);
	assert_int_equal(ps_bp_note_list_get(&nl, fx.bp, w.p.bp_id), 0);
	/* BigCommerce notes -> Brightpearl belong to the order import (not
	 * running here): this flow copies only the other way */
	for (i = 0; i < nl.n; i++)
		n += fx_count(nl.items[i].text, "Gift wrap please");
	assert_int_equal(n, 0);
	for (i = 0, n = 0; i < nl.n; i++)
		n += fx_count(nl.items[i].text,
			      "Customer called about delivery");
	assert_int_equal(n, 1);
	ps_bp_note_list_dispose(&nl);
	/* the note's entry names the note and its Brightpearl order */
	{
		ps_log_query q = PS_LOG_QUERY_INIT;
		ps_log_entry *rows = NULL;
		char label[96];

		q.flow = "notes_bc";
		q.kind = "note.copy";
		q.limit = 1000;
		assert_int_equal(ps_store_log_list(&rows, &n, fx.st, &q), 0);
		for (i = 0; i < n; i++)
			if (strcmp(rows[i].subject_order, bpid) == 0)
				break;
		assert_true(i < n);
		assert_int_equal(rows[i].status, PS_ENTRY_SYNCED);
		assert_string_equal(rows[i].subject, rows[i].source_id);
		snprintf(body, sizeof(body), "note %s of order %s",
			 rows[i].subject, bpid);
		assert_string_equal(
			ps_log_entry_subject(label, sizeof(label), &rows[i]),
			body);
		ps_log_entries_free(rows, n);
	}
}

/* ---- fixture ---------------------------------------------------------- */

static int
setup(void **state)
{
	static const char *const flows[] = {"statuses", "shipments",
					    "inventory", "notes", NULL};

	*state = &fx;
	if (flow_fixture_open(&fx, NULL) < 0 ||
	    flow_fixture_set(&fx, "bigcommerce.orders.enabled", "true") < 0 ||
	    flow_fixture_set(&fx, "bigcommerce.fulfilment.enabled", "true") <
		    0 ||
	    flow_fixture_set(&fx, "bigcommerce.inventory.warehouses", "2") <
		    0 ||
	    flow_fixture_start_worker(&fx, flows) < 0)
		return -1;
	/* the first pass registers the Brightpearl webhooks */
	if (ps_worker_run_once(fx.worker, NULL) < 0)
		return -1;
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_export_only_selected),
		cmocka_unit_test(test_partial_shipments),
		cmocka_unit_test(test_status_trigger_and_status_export),
		cmocka_unit_test(test_lost_webhook_poll),
		cmocka_unit_test(test_inventory),
		cmocka_unit_test(test_notes),
	};

	return cmocka_run_group_tests(tests, setup, flow_fixture_teardown);
}
