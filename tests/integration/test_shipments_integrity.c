/*
 * test_shipments_integrity.c - Brightpearl goods-out notes reach
 * BigCommerce as shipments exactly once, by either trigger, with every
 * Brightpearl webhook lost; each shipment pearlsync makes records the
 * status BigCommerce moves the order to (the order import's echo guard);
 * and the shipment entries carry order number, shipping method and
 * shipment status.
 *
 * The worker runs with its listener on against pearlsync-sandbox; the
 * test acts as the merchant through the control API (ship notes, change
 * a status) and as the order import (Brightpearl order with its xref).
 * Outcomes are read from the sandbox's BigCommerce state.
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

#include <jansson.h>

#include "flow_fixture.h"
#include "pearlsync/log.h"
#include "pearlsync/store.h"

#define DEADLINE_MS 20000
#define FLOW "shipment_export_bc"
#define METHOD "Express (mapped)"

static flow_fixture fx;

/* ---- orders and notes ------------------------------------------------ */

/* The merchant ships rows_json of p in Brightpearl (a goods-out note with
 * tracking, method 7); returns the note id. */
static int64_t
ship(const fx_order *p, const char *rows_json, const char *tracking)
{
	int64_t id = fx_ship(&fx, p->bp_id, rows_json, tracking);

	assert_true(id > 0);
	return id;
}

/* ---- the BigCommerce side, from the sandbox's own state -------------- */

/*
 * The shipment of bc_id with tracking number `tracking` holds exactly
 * `want` ("SKU:q,SKU:q", SKUs in order-line order) and the mapped method.
 */
static void
assert_shipment(int64_t bc_id, const char *tracking, const char *want)
{
	json_t *j = fx_bc_order(&fx, bc_id), *sh, *it, *pr, *found = NULL;
	char got[256];
	size_t i, k, len = 0;

	json_array_foreach (json_object_get(j, "shipments"), i, sh)
		if (strcmp(json_string_value(
				   json_object_get(sh, "tracking_number")),
			   tracking) == 0) {
			assert_null(found); /* one shipment per note */
			found = sh;
		}
	if (found == NULL)
		fprintf(stderr, "order %" PRId64 ": no shipment %s\n", bc_id,
			tracking);
	assert_non_null(found);
	assert_string_equal(
		json_string_value(json_object_get(found, "shipping_method")),
		METHOD);
	/* no shipping_carrier mapping: the carrier comes from the
	 * Brightpearl method (7, carrier UPS), so the e-mail can link it */
	assert_string_equal(
		json_string_value(json_object_get(found, "tracking_carrier")),
		"ups");
	got[0] = '\0';
	json_array_foreach (json_object_get(j, "products"), k, pr)
		json_array_foreach (json_object_get(found, "items"), i, it)
			if (json_integer_value(
				    json_object_get(it, "order_product_id")) ==
			    json_integer_value(json_object_get(pr, "id")))
				len += (size_t)snprintf(
					got + len, sizeof(got) - len,
					"%s%s:%" JSON_INTEGER_FORMAT,
					len ? "," : "",
					json_string_value(
						json_object_get(pr, "sku")),
					json_integer_value(json_object_get(
						it, "quantity")));
	assert_string_equal(got, want);
	json_decref(j);
}

typedef struct want_ships {
	const fx_order *o;
	size_t n;
} want_ships;

static int
has_shipments(void *arg)
{
	const want_ships *w = arg;
	size_t i;

	for (i = 0; i < w->n; i++)
		if (fx_bc_shipment_count(&fx, w[i].o->bc_id) < w[i].n)
			return 0;
	return 1;
}

/* ---- the log --------------------------------------------------------- */

static void
entry_by_key(ps_log_entry *out, const char *key)
{
	int rc = ps_store_log_get_by_key(out, fx.st, key);

	if (rc != 0)
		fprintf(stderr, "no entry %s\n", key);
	assert_int_equal(rc, 0);
}

/* The note's entry: synced, with order #, method and shipment status (the
 * order's after the entry was performed; NULL: any "shipped..."). */
static void
assert_gon_entry(int64_t gon, const fx_order *p, const char *shipment_status)
{
	ps_log_entry e;
	char key[64], num[32], id[32], order[32];

	snprintf(key, sizeof(key), "bp:gon:%" PRId64 ":shipment", gon);
	snprintf(num, sizeof(num), "%" PRId64, p->bc_id);
	snprintf(id, sizeof(id), "%" PRId64, gon);
	snprintf(order, sizeof(order), "%" PRId64, p->bp_id);
	entry_by_key(&e, key);
	assert_int_equal(e.status, PS_ENTRY_SYNCED);
	/* typed: the note, and its order (known at the latest once
	 * performed) */
	assert_string_equal(e.kind, "goods-out-note.ship");
	assert_string_equal(e.subject, id);
	assert_string_equal(e.subject_order, order);
	assert_non_null(e.order_number);
	assert_string_equal(e.order_number, num);
	assert_non_null(e.shipping_method);
	assert_string_equal(e.shipping_method, METHOD);
	assert_non_null(e.shipment_status);
	if (shipment_status != NULL)
		assert_string_equal(e.shipment_status, shipment_status);
	else
		assert_int_equal(strncmp(e.shipment_status, "shipped", 7), 0);
	ps_log_entry_dispose(&e);
}

/* The poll's entry for p at the trigger status (8). */
static void
assert_order_entry(const fx_order *p, const char *shipment_status)
{
	ps_log_entry e;
	char key[96], num[32], id[32];

	snprintf(key, sizeof(key), "bp:order:%" PRId64 ":ship-on-status:s8",
		 p->bp_id);
	snprintf(num, sizeof(num), "%" PRId64, p->bc_id);
	snprintf(id, sizeof(id), "%" PRId64, p->bp_id);
	entry_by_key(&e, key);
	assert_int_equal(e.status, PS_ENTRY_SYNCED);
	assert_string_equal(e.kind, "order.ship");
	assert_string_equal(e.subject, id);
	assert_string_equal(e.subject_order, "");
	assert_non_null(e.order_number);
	assert_string_equal(e.order_number, num);
	assert_non_null(e.shipping_method);
	assert_string_equal(e.shipping_method, METHOD);
	assert_non_null(e.shipment_status);
	assert_string_equal(e.shipment_status, shipment_status);
	ps_log_entry_dispose(&e);
}

/* No entry of the flow failed, and none came from a webhook. */
static void
assert_clean_log(int webhooks_lost)
{
	ps_log_query q = PS_LOG_QUERY_INIT;
	ps_log_entry *rows = NULL;
	size_t n = 0, i;

	q.flow = FLOW;
	q.limit = 1000;
	assert_int_equal(ps_store_log_list(&rows, &n, fx.st, &q), 0);
	assert_true(n > 0);
	for (i = 0; i < n; i++) {
		if (rows[i].status != PS_ENTRY_SYNCED)
			fprintf(stderr, "entry %s %s: %s\n", rows[i].dedupe_key,
				ps_entry_status_name(rows[i].status),
				rows[i].reason ? rows[i].reason : "");
		assert_int_equal(rows[i].status, PS_ENTRY_SYNCED);
		if (webhooks_lost)
			assert_null(strstr(rows[i].dedupe_key, ":ev"));
	}
	ps_log_entries_free(rows, n);
}

/* ---- tests ----------------------------------------------------------- */

/*
 * Status trigger (by status name), every Brightpearl webhook lost: the
 * poll alone ships each order reaching the status, note by note, with
 * lines and tracking; a note shipped while its order is not at the status
 * waits for it, one shipped after the order got there follows; ten more
 * rounds change nothing and cost no read of an order.
 */
static void
test_shipments__status_trigger_without_webhooks(void **state)
{
	fx_order a, b, c, d;
	int64_t gb1, gb2, gc1, gc2, gd;
	want_ships w[4];
	size_t counts[4];
	int i;

	(void)state;
	fx_ctl_ok(
		&fx, "POST", "/webhooks",
		"{\"platform\":\"brightpearl\",\"drop_rate\":1.0,\"seed\":5}");
	fx_set(&fx, "bigcommerce.fulfilment.trigger", "status");
	fx_set(&fx, "bigcommerce.fulfilment.trigger_status", "Shipped");

	a = fx_order_make(&fx, "TEE-RED-M", 3, "MUG-LOGO", 2);
	b = fx_order_make(&fx, "HOOD-GRY-M", 2, "SOCK-3PK", 1);
	c = fx_order_make(&fx, "CAP-BLK", 2, "BAG-TOTE", 1);
	d = fx_order_make(&fx, "BTL-STEEL", 1, "TEE-BLU-M", 1);
	/* a: one note for everything; b: two notes; c: one of two notes
	 * before the status; d: shipped, but its status comes later */
	ship(&a,
	     "[{\"sku\":\"TEE-RED-M\",\"quantity\":3},"
	     "{\"sku\":\"MUG-LOGO\",\"quantity\":2}]",
	     "TRK-A1");
	gb1 = ship(&b, "[{\"sku\":\"HOOD-GRY-M\",\"quantity\":2}]", "TRK-B1");
	gb2 = ship(&b, "[{\"sku\":\"SOCK-3PK\",\"quantity\":1}]", "TRK-B2");
	gc1 = ship(&c, "[{\"sku\":\"CAP-BLK\",\"quantity\":1}]", "TRK-C1");
	gd = ship(&d,
		  "[{\"sku\":\"BTL-STEEL\",\"quantity\":1},"
		  "{\"sku\":\"TEE-BLU-M\",\"quantity\":1}]",
		  "TRK-D1");
	fx_bp_status_set(&fx, a.bp_id, 8);
	fx_bp_status_set(&fx, b.bp_id, 8);
	fx_bp_status_set(&fx, c.bp_id, 8);

	w[0].o = &a, w[0].n = 1;
	w[1].o = &b, w[1].n = 2;
	w[2].o = &c, w[2].n = 1;
	w[3].o = &d, w[3].n = 0;
	assert_true(fx_run_until(&fx, has_shipments, w, DEADLINE_MS));
	fx_passes(&fx, 5, 20);
	/* d's note waits for its order's status */
	assert_int_equal(fx_bc_shipment_count(&fx, d.bc_id), 0);
	{
		ps_log_entry e;
		char key[64];

		snprintf(key, sizeof(key), "bp:gon:%" PRId64 ":shipment", gd);
		entry_by_key(&e, key);
		assert_int_equal(e.status, PS_ENTRY_SYNCED);
		assert_non_null(strstr(e.detail, "not the trigger status"));
		assert_null(e.shipment_status);
		ps_log_entry_dispose(&e);
	}
	assert_int_equal(fx_bc_status(&fx, c.bc_id), 3);

	/* c's second note is shipped after the order reached the status;
	 * d reaches it */
	gc2 = ship(&c,
		   "[{\"sku\":\"CAP-BLK\",\"quantity\":1},"
		   "{\"sku\":\"BAG-TOTE\",\"quantity\":1}]",
		   "TRK-C2");
	fx_bp_status_set(&fx, d.bp_id, 8);
	w[2].n = 2;
	w[3].n = 1;
	assert_true(fx_run_until(&fx, has_shipments, w, DEADLINE_MS));

	assert_shipment(a.bc_id, "TRK-A1", "TEE-RED-M:3,MUG-LOGO:2");
	assert_shipment(b.bc_id, "TRK-B1", "HOOD-GRY-M:2");
	assert_shipment(b.bc_id, "TRK-B2", "SOCK-3PK:1");
	assert_shipment(c.bc_id, "TRK-C1", "CAP-BLK:1");
	assert_shipment(c.bc_id, "TRK-C2", "CAP-BLK:1,BAG-TOTE:1");
	assert_shipment(d.bc_id, "TRK-D1", "BTL-STEEL:1,TEE-BLU-M:1");

	/* ten more rounds: nothing new, and idle polls read no order */
	for (i = 0; i < 4; i++)
		counts[i] = fx_bc_shipment_count(&fx, w[i].o->bc_id);
	fx_ctl_ok(&fx, "POST", "/requests/reset", "{}");
	fx_passes(&fx, 10, 20);
	for (i = 0; i < 4; i++)
		assert_int_equal(fx_bc_shipment_count(&fx, w[i].o->bc_id),
				 counts[i]);
	assert_int_equal(fx_requests(&fx, "bigcommerce", NULL), 0);
	assert_int_equal(fx_requests(&fx, "brightpearl",
				     "GET /order-service/order/{idset}"),
			 0);
	fprintf(stderr,
		"ten idle rounds: %" PRId64 " Brightpearl requests "
		"(%" PRId64 " order searches, %" PRId64
		" goods-out searches)\n",
		fx_requests(&fx, "brightpearl", NULL),
		fx_requests(&fx, "brightpearl",
			    "GET /order-service/order-search"),
		fx_requests(
			&fx, "brightpearl",
			"GET /warehouse-service/goods-note/goods-out-search"));

	/* every order ends Shipped, which pearlsync recorded as its own */
	for (i = 0; i < 4; i++) {
		assert_int_equal(fx_bc_status(&fx, w[i].o->bc_id), 2);
		assert_int_equal(ps_store_written_int_is(
					 fx.st, PS_PLATFORM_BIGCOMMERCE,
					 "order", w[i].o->bc_id, "status", 2),
				 1);
	}
	/* the log: order #, method, shipment status; nothing failed */
	/* b's first note: "shipped 2/3 items" if its own entry made the
	 * shipment, "shipped" if the order's entry shipped both first */
	assert_gon_entry(gb1, &b, NULL);
	assert_gon_entry(gb2, &b, "shipped");
	assert_gon_entry(gc1, &c, "shipped 1/3 items");
	assert_gon_entry(gc2, &c, "shipped");
	/* d's note entry waited; the order's entry shipped it */
	assert_order_entry(&a, "shipped");
	assert_order_entry(&d, "shipped");
	assert_clean_log(1);
	fx_ctl_ok(&fx, "POST", "/webhooks",
		  "{\"platform\":\"brightpearl\",\"drop_rate\":0}");
}

typedef struct want_status {
	int64_t bc_id;
	int status;
} want_status;

static int
reached_status(void *arg)
{
	const want_status *w = arg;

	return fx_bc_shipment_count(&fx, w->bc_id) > 0 &&
	       fx_bc_status(&fx, w->bc_id) == w->status;
}

/*
 * goods_out trigger, webhooks delivered: each shipment records the status
 * BigCommerce moved the order to (3, then 2) as pearlsync's own write, so
 * the order import sees no change; the entry says how much is shipped.
 */
static void
test_shipments__goods_out_records_status_write(void **state)
{
	want_status w;
	int64_t g1, g2;
	fx_order e;

	(void)state;
	fx_set(&fx, "bigcommerce.fulfilment.trigger", "goods_out");
	e = fx_order_make(&fx, "TEE-RED-M", 2, "CAP-BLK", 1);
	w.bc_id = e.bc_id;

	g1 = ship(&e, "[{\"sku\":\"TEE-RED-M\",\"quantity\":1}]", "TRK-E1");
	w.status = 3;
	assert_true(fx_run_until(&fx, reached_status, &w, DEADLINE_MS));
	assert_int_equal(ps_store_written_int_is(fx.st, PS_PLATFORM_BIGCOMMERCE,
						 "order", e.bc_id, "status", 3),
			 1);
	assert_gon_entry(g1, &e, "shipped 1/3 items");

	fx_ctl_ok(&fx, "POST", "/requests/reset", "{}");
	g2 = ship(&e,
		  "[{\"sku\":\"TEE-RED-M\",\"quantity\":1},"
		  "{\"sku\":\"CAP-BLK\",\"quantity\":1}]",
		  "TRK-E2");
	w.status = 2;
	assert_true(fx_run_until(&fx, reached_status, &w, DEADLINE_MS));
	assert_int_equal(fx_bc_shipment_count(&fx, e.bc_id), 2);
	fprintf(stderr,
		"one note shipped: %" PRId64 " BigCommerce requests (%" PRId64
		" order reads)\n",
		fx_requests(&fx, "bigcommerce", NULL),
		fx_requests(&fx, "bigcommerce", "GET v2/orders/{id}"));
	assert_int_equal(ps_store_written_int_is(fx.st, PS_PLATFORM_BIGCOMMERCE,
						 "order", e.bc_id, "status", 2),
			 1);
	assert_int_equal(ps_store_written_int_is(fx.st, PS_PLATFORM_BIGCOMMERCE,
						 "order", e.bc_id, "status", 3),
			 0);
	assert_gon_entry(g2, &e, "shipped");
	assert_shipment(e.bc_id, "TRK-E1", "TEE-RED-M:1");
	assert_shipment(e.bc_id, "TRK-E2", "TEE-RED-M:1,CAP-BLK:1");
	fx_passes(&fx, 10, 20);
	assert_int_equal(fx_bc_shipment_count(&fx, e.bc_id), 2);
	assert_clean_log(0);
}

/*
 * Ship in BigCommerce (as the merchant in the control panel, or a lost
 * attempt of pearlsync's) the first nlines lines of p in full.
 */
static void
bc_ship_first(const fx_order *p, size_t nlines, const char *tracking,
	      const char *comments)
{
	json_t *pic = fx_bc_order(&fx, p->bc_id), *body, *items = json_array(),
	       *pr;
	char path[96], *txt;
	size_t i;

	json_array_foreach (json_object_get(pic, "products"), i, pr)
		if (i < nlines)
			json_array_append_new(
				items,
				json_pack("{s:O,s:O}", "order_product_id",
					  json_object_get(pr, "id"), "quantity",
					  json_object_get(pr, "quantity")));
	body = json_pack(
		"{s:O,s:o,s:s,s:s,s:s}", "order_address_id",
		json_object_get(
			json_array_get(
				json_object_get(pic, "shipping_addresses"), 0),
			"id"),
		"items", items, "tracking_number", tracking, "shipping_method",
		METHOD, "comments", comments);
	assert_non_null(body);
	txt = json_dumps(body, JSON_COMPACT);
	snprintf(path, sizeof(path),
		 "/bigcommerce/orders/%" PRId64 "/shipments", p->bc_id);
	fx_ctl_ok(&fx, "POST", path, txt);
	free(txt);
	json_decref(body);
	json_decref(pic);
}

/*
 * Status trigger: an order with no goods-out note that was already
 * shipped in full in BigCommerce reaches the trigger status: nothing is
 * shipped again and nothing fails.
 */
static void
test_shipments__status_trigger_nothing_left(void **state)
{
	ps_log_entry e;
	char key[96];
	fx_order h;

	(void)state;
	fx_set(&fx, "bigcommerce.fulfilment.trigger", "status");
	fx_set(&fx, "bigcommerce.fulfilment.trigger_status", "8");
	h = fx_order_make(&fx, "CAP-BLK", 1, "MUG-LOGO", 1);
	bc_ship_first(&h, 2, "BY-HAND", "shipped by hand");
	fx_bp_status_set(&fx, h.bp_id, 8);
	fx_passes(&fx, 10, 20);
	assert_int_equal(fx_bc_shipment_count(&fx, h.bc_id), 1);
	snprintf(key, sizeof(key), "bp:order:%" PRId64 ":ship-on-status:s8",
		 h.bp_id);
	entry_by_key(&e, key);
	assert_int_equal(e.status, PS_ENTRY_SYNCED);
	assert_non_null(strstr(e.detail, "nothing left to ship"));
	assert_string_equal(e.shipment_status, "shipped");
	ps_log_entry_dispose(&e);
	assert_clean_log(0);
}

/*
 * A shipment already in BigCommerce for a note (the worker died between
 * the POST and recording it) is adopted: no second shipment, and the
 * status it gave the order is recorded as pearlsync's.
 */
static void
test_shipments__adopts_after_crash(void **state)
{
	char comments[64];
	int64_t g;
	fx_order f;

	(void)state;
	fx_set(&fx, "bigcommerce.fulfilment.trigger", "goods_out");
	f = fx_order_make(&fx, "MUG-LOGO", 2, "SOCK-3PK", 1);
	g = ship(&f, "[{\"sku\":\"MUG-LOGO\",\"quantity\":2}]", "TRK-F1");
	/* what the lost attempt had posted, with its reference */
	snprintf(comments, sizeof(comments), "[gon-%" PRId64 "]", g);
	bc_ship_first(&f, 1, "TRK-F1", comments);
	assert_int_equal(fx_bc_status(&fx, f.bc_id), 3);
	assert_int_equal(ps_store_written_int_is(fx.st, PS_PLATFORM_BIGCOMMERCE,
						 "order", f.bc_id, "status", 3),
			 0);
	fx_passes(&fx, 10, 20);
	assert_int_equal(fx_bc_shipment_count(&fx, f.bc_id), 1);
	assert_gon_entry(g, &f, "shipped 2/3 items");
	assert_int_equal(ps_store_written_int_is(fx.st, PS_PLATFORM_BIGCOMMERCE,
						 "order", f.bc_id, "status", 3),
			 1);
	assert_clean_log(0);
}

/* ---- fixture --------------------------------------------------------- */

static int
setup(void **state)
{
	static const char *const flows[] = {"shipments", NULL};

	*state = &fx;
	if (flow_fixture_open(&fx, NULL) < 0 ||
	    flow_fixture_set(&fx, "bigcommerce.fulfilment.enabled", "true") <
		    0 ||
	    flow_fixture_map(&fx, "shipping_method", "bp>bc", "7", METHOD) <
		    0 ||
	    flow_fixture_start_worker(&fx, flows) < 0)
		return -1;
	/* the first pass registers the Brightpearl webhooks */
	return ps_worker_run_once(fx.worker, NULL) < 0 ? -1 : 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_shipments__status_trigger_without_webhooks),
		cmocka_unit_test(
			test_shipments__goods_out_records_status_write),
		cmocka_unit_test(test_shipments__adopts_after_crash),
		cmocka_unit_test(test_shipments__status_trigger_nothing_left),
	};

	return cmocka_run_group_tests(tests, setup, flow_fixture_teardown);
}
