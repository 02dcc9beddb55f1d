/*
 * test_dsco_out.c - Brightpearl shipments, stock and invoices reach DSCO
 * through the worker: a partial goods-out note is one DSCO package with
 * exactly its lines, the rest a second one that completes the PO; the
 * status trigger ships the notes once the order gets there; an unmapped
 * shipping method is a failed entry until the operator maps it and
 * retries; a burst of stock changes is one batch of only the changed
 * SKUs; an invoiced order is one DSCO invoice; and with 30% of DSCO's
 * replies faulted and the worker restarted between rounds nothing is
 * sent twice or lost.
 *
 * The test plays the DSCO order import (the PO acknowledged, its
 * Brightpearl order made with the order xref) and the merchant (notes
 * shipped, stock set, orders invoiced through the Brightpearl control
 * API).  Outcomes are read from the sandbox's DSCO state.
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
#include "pearlsync/dsco.h"
#include "pearlsync/store.h"

#define DEADLINE_MS 20000
/* 100 characters: DSCO takes at most 90 */
#define LONG_SKU                                                               \
	"LONG-SKU-0123456789012345678901234567890123456789012345678901234567"  \
	"890123456789012345678901234567890"

static flow_fixture fx;

/* The string j holds, "" when it holds none. */
static const char *
jstr(const json_t *j)
{
	const char *v = json_string_value(j);

	return v != NULL ? v : "";
}

/* A DSCO PO and its Brightpearl order. */
typedef struct po {
	char dsco_id[32];
	int64_t bp_id;
} po;

/* ---- DSCO side, from the sandbox's state ------------------------------ */

static json_t *
ds_order(const char *dsco_id)
{
	char path[96];

	snprintf(path, sizeof(path), "/dsco/order?dscoOrderId=%s", dsco_id);
	return fx_ctl(&fx, "GET", path, NULL);
}

/* The order object of a control reply (bare or under "order"). */
static json_t *
order_obj(json_t *r)
{
	json_t *o = json_object_get(r, "order");

	return o != NULL ? o : r;
}

static size_t
package_count(const char *dsco_id)
{
	json_t *r = ds_order(dsco_id);
	size_t n = json_array_size(json_object_get(order_obj(r), "packages"));

	json_decref(r);
	return n;
}

/* Units of sku in the package with tracking number t; -1: no package. */
static int64_t
package_units(const char *dsco_id, const char *t, const char *sku)
{
	json_t *r = ds_order(dsco_id), *p, *it;
	size_t i, j;
	int64_t units = -1;

	json_array_foreach (json_object_get(order_obj(r), "packages"), i, p) {
		if (strcmp(jstr(json_object_get(p, "trackingNumber")), t) != 0)
			continue;
		units = 0;
		json_array_foreach (json_object_get(p, "items"), j, it)
			if (sku == NULL ||
			    strcmp(jstr(json_object_get(it, "sku")), sku) == 0)
				units += json_integer_value(
					json_object_get(it, "quantity"));
	}
	json_decref(r);
	return units;
}

static const char *
lifecycle_is(const char *dsco_id, char *buf, size_t cap)
{
	json_t *r = ds_order(dsco_id);

	snprintf(buf, cap, "%s",
		 jstr(json_object_get(order_obj(r), "dscoLifecycle")));
	json_decref(r);
	return buf;
}

/* How many invoices DSCO holds with invoiceId id. */
static size_t
invoices_with(const char *id, json_t **out)
{
	json_t *r = fx_ctl(&fx, "GET", "/dsco/invoices", NULL), *all, *v;
	const char *k;
	size_t i, n = 0;

	all = json_object_get(r, "invoices");
	if (all == NULL)
		all = r;
	if (json_is_array(all)) {
		json_array_foreach (all, i, v)
			if (strcmp(jstr(json_object_get(v, "invoiceId")), id) ==
			    0) {
				n++;
				if (out)
					*out = json_incref(v);
			}
	} else {
		json_object_foreach (all, k, v)
			if (strcmp(k, id) == 0 ||
			    strcmp(jstr(json_object_get(v, "invoiceId")), id) ==
				    0) {
				n++;
				if (out)
					*out = json_incref(v);
			}
	}
	json_decref(r);
	return n;
}

/* ---- making POs as the order import would ----------------------------- */

static void
acknowledge(const char *dsco_id)
{
	ps_dsco_ack ack;
	char *rid = NULL;

	memset(&ack, 0, sizeof(ack));
	ack.order.dsco_order_id = dsco_id;
	assert_int_equal(ps_dsco_orders_acknowledge(&rid, fx.ds, &ack, 1), 0);
	free(rid);
	fx_ctl_ok(&fx, "POST", "/dsco/process", "{}");
}

/* A PO as the order import leaves it: acknowledged when ack is set. */
static po
po_make_ack(const char *number, const char *sku1, int q1, const char *sku2,
	    int q2, int ack_it)
{
	char body[512], b[32];
	ps_bp_order_row rows[3];
	ps_bp_order o;
	json_t *r;
	po p;

	snprintf(body, sizeof(body),
		 "{\"poNumber\":\"%s\",\"lines\":["
		 "{\"sku\":\"%s\",\"quantity\":%d,\"expectedCost\":7.5,"
		 "\"lineNumber\":1},"
		 "{\"sku\":\"%s\",\"quantity\":%d,\"expectedCost\":4,"
		 "\"lineNumber\":2}]}",
		 number, sku1, q1, sku2, q2);
	r = fx_ctl(&fx, "POST", "/dsco/orders", body);
	snprintf(p.dsco_id, sizeof(p.dsco_id), "%s",
		 jstr(json_object_get(order_obj(r), "dscoOrderId")));
	json_decref(r);
	assert_true(p.dsco_id[0] != '\0');
	if (ack_it)
		acknowledge(p.dsco_id);

	memset(rows, 0, sizeof(rows));
	memset(&o, 0, sizeof(o));
	rows[0].product_id = fx_bp_product(&fx, sku1);
	rows[0].name = sku1;
	rows[0].quantity = q1;
	rows[0].net = ps_money_from_cents(750) * q1;
	rows[1].product_id = fx_bp_product(&fx, sku2);
	rows[1].name = sku2;
	rows[1].quantity = q2;
	rows[1].net = ps_money_from_cents(400) * q2;
	rows[2].name = "Delivery";
	rows[2].quantity = 1;
	rows[2].net = ps_money_from_cents(500);
	rows[0].tax_code = rows[1].tax_code = rows[2].tax_code = "T";
	o.customer_id = 201;
	o.ref = number;
	o.status_id = 2;
	o.warehouse_id = 2;
	o.shipping_method_id = 7;
	o.rows = rows;
	o.nrows = 3;
	assert_int_equal(ps_bp_order_create(&p.bp_id, NULL, fx.bp, &o), 0);
	snprintf(b, sizeof(b), "%" PRId64, p.bp_id);
	assert_int_equal(ps_store_xref_set(fx.st, "order", PS_PLATFORM_DSCO,
					   p.dsco_id, PS_PLATFORM_BRIGHTPEARL,
					   b, flow_fixture_now_ms()),
			 0);
	return p;
}

static po
po_make(const char *number, const char *sku1, int q1, const char *sku2, int q2)
{
	return po_make_ack(number, sku1, q1, sku2, q2, 1);
}

/* ---- checks for fx_rounds_until (arg: index into `want`) --------------- */

typedef struct want {
	const char *dsco_id;
	size_t packages;
} want;

static want wants[8];

static int
has_packages(int64_t i)
{
	return package_count(wants[i].dsco_id) >= wants[i].packages;
}

static int
rounds_until_packages(const po *p, size_t n)
{
	wants[0].dsco_id = p->dsco_id;
	wants[0].packages = n;
	return fx_rounds_until(&fx, has_packages, 0, DEADLINE_MS);
}

/* The first log entry of flow whose key has prefix, or -1 (*status). */
static int64_t
entry_of(const char *key, ps_entry_status *status, char *reason, size_t cap)
{
	ps_log_entry e;
	int64_t id;

	ps_log_entry_init(&e);
	if (ps_store_log_get_by_key(&e, fx.st, key) < 0)
		return -1;
	id = e.id;
	if (status)
		*status = e.status;
	if (reason)
		snprintf(reason, cap, "%s", e.reason ? e.reason : "");
	ps_log_entry_dispose(&e);
	return id;
}

/* ---- setup ------------------------------------------------------------ */

static int
group_setup(void **state)
{
	static const char *const flows[] = {"dsco-shipments", "dsco-invoices",
					    "dsco-inventory", NULL};

	*state = &fx;
	if (flow_fixture_open(&fx, NULL) < 0 ||
	    flow_fixture_set(&fx, "dsco.enabled", "true") < 0 ||
	    flow_fixture_set(&fx, "sync.poll_interval_seconds", "5") < 0 ||
	    flow_fixture_map(&fx, "dsco_shipping_method", "bp>dsco", "7",
			     "UPCG") < 0 ||
	    flow_fixture_map(&fx, "dsco_warehouse", "bp>dsco", "2", "WH01") <
		    0 ||
	    flow_fixture_map(&fx, "dsco_warehouse", "bp>dsco", "3", "WH02") <
		    0 ||
	    flow_fixture_start_worker(&fx, flows) < 0)
		return -1;
	*state = &fx;
	return 0;
}

/* ---- tests ------------------------------------------------------------ */

/* A partial note is one package of its lines; the rest completes the PO. */
static void
test_partial_then_rest(void **state)
{
	po p = po_make("RTL-OUT-1", "TEE-RED-S", 3, "MUG-LOGO", 1);
	char lc[32];

	(void)state;
	fx_ship(&fx, p.bp_id, "[{\"sku\":\"TEE-RED-S\",\"quantity\":2}]",
		"1Z-PART-1");
	assert_true(rounds_until_packages(&p, 1));
	assert_int_equal(package_units(p.dsco_id, "1Z-PART-1", "TEE-RED-S"), 2);
	assert_int_equal(package_units(p.dsco_id, "1Z-PART-1", NULL), 2);
	assert_string_equal(lifecycle_is(p.dsco_id, lc, sizeof(lc)),
			    "acknowledged");

	fx_ship(&fx, p.bp_id, NULL, "1Z-REST-2");
	assert_true(rounds_until_packages(&p, 2));
	assert_int_equal(package_units(p.dsco_id, "1Z-REST-2", "TEE-RED-S"), 1);
	assert_int_equal(package_units(p.dsco_id, "1Z-REST-2", "MUG-LOGO"), 1);
	assert_string_equal(lifecycle_is(p.dsco_id, lc, sizeof(lc)),
			    "completed");
	/* more rounds, and the poll's second look: still two packages */
	fx_round(&fx);
	fx_round(&fx);
	assert_int_equal(package_count(p.dsco_id), 2);
}

/* The service level and warehouse are the mapped ones. */
static void
test_package_fields(void **state)
{
	po p = po_make("RTL-OUT-2", "TEE-RED-L", 1, "HOOD-GRY-M", 1);
	json_t *r, *pkg;

	(void)state;
	fx_ship(&fx, p.bp_id, NULL, "1Z-FIELDS");
	assert_true(rounds_until_packages(&p, 1));
	r = ds_order(p.dsco_id);
	pkg = json_array_get(json_object_get(order_obj(r), "packages"), 0);
	assert_string_equal(json_string_value(json_object_get(
				    pkg, "shippingServiceLevelCode")),
			    "UPCG");
	assert_string_equal(
		json_string_value(json_object_get(pkg, "warehouseCode")),
		"WH01");
	json_decref(r);
}

/* Unmapped method: a failed entry naming it; mapped and retried: shipped. */
static void
test_unmapped_method(void **state)
{
	po p = po_make("RTL-OUT-3", "TEE-BLU-M", 1, "HOOD-GRY-M", 1);
	char key[64], reason[512];
	ps_entry_status st = PS_ENTRY_PENDING;
	int64_t gon, id;
	int i;

	(void)state;
	assert_int_equal(ps_store_mapping_remove(
				 NULL, fx.st, "dsco_shipping_method", "bp>dsco",
				 "7", "test", flow_fixture_now_ms()),
			 0);
	gon = fx_ship(&fx, p.bp_id, NULL, "1Z-UNMAPPED");
	assert_true(gon > 0);
	snprintf(key, sizeof(key), "dsco:gon:%" PRId64 ":shipment", gon);
	for (i = 0; i < 40 && st != PS_ENTRY_FAILED; i++) {
		fx_round(&fx);
		entry_of(key, &st, reason, sizeof(reason));
	}
	assert_int_equal(st, PS_ENTRY_FAILED);
	assert_non_null(strstr(reason, "dsco_shipping_method"));
	assert_non_null(strstr(reason, "Express shipping"));
	assert_int_equal(package_count(p.dsco_id), 0);

	fx_map(&fx, "dsco_shipping_method", "bp>dsco", "7", "UPCG");
	id = entry_of(key, NULL, NULL, 0);
	assert_int_equal(ps_store_log_retry(fx.st, id, flow_fixture_now_ms()),
			 0);
	assert_true(rounds_until_packages(&p, 1));
	fx_round(&fx);
	assert_int_equal(package_count(p.dsco_id), 1);
}

/* Status trigger: nothing ships until the order reaches the status. */
static void
test_status_trigger(void **state)
{
	po p = po_make("RTL-OUT-4", "TEE-RED-M", 2, "TEE-RED-L", 1);

	(void)state;
	fx_set(&fx, "dsco.shipment_trigger", "status");
	fx_set(&fx, "dsco.shipment_trigger_status", "8");
	fx_ship(&fx, p.bp_id, "[{\"sku\":\"TEE-RED-M\",\"quantity\":2}]",
		"1Z-STATUS-1");
	fx_round(&fx);
	fx_round(&fx);
	assert_int_equal(package_count(p.dsco_id), 0);
	fx_bp_status_set(&fx, p.bp_id, 8);
	assert_true(rounds_until_packages(&p, 1));
	assert_int_equal(package_units(p.dsco_id, "1Z-STATUS-1", NULL), 2);
	/* a note shipped while the order is at the status goes too */
	fx_ship(&fx, p.bp_id, NULL, "1Z-STATUS-2");
	assert_true(rounds_until_packages(&p, 2));
	fx_round(&fx);
	assert_int_equal(package_count(p.dsco_id), 2);
	fx_set(&fx, "dsco.shipment_trigger", "goods_out");
}

static char invoice_id[32];

static int
has_invoice(int64_t arg)
{
	(void)arg;
	return invoices_with(invoice_id, NULL) >= 1;
}

/* An invoiced order is one DSCO invoice with its lines, freight, total. */
static void
test_invoice_once(void **state)
{
	po p = po_make("RTL-OUT-5", "TEE-RED-S", 2, "MUG-LOGO", 3);
	json_t *inv = NULL, *r, *lines;
	char body[64];

	(void)state;
	snprintf(body, sizeof(body), "{\"orderId\":%" PRId64 "}", p.bp_id);
	r = fx_ctl(&fx, "POST", "/brightpearl/invoice", body);
	snprintf(invoice_id, sizeof(invoice_id), "%s",
		 json_string_value(json_object_get(r, "invoiceReference")));
	json_decref(r);
	assert_true(fx_rounds_until(&fx, has_invoice, 0, DEADLINE_MS));
	fx_round(&fx);
	fx_round(&fx);
	assert_int_equal(invoices_with(invoice_id, &inv), 1);
	assert_non_null(inv);
	lines = json_object_get(inv, "lineItems");
	assert_int_equal(json_array_size(lines), 2);
	assert_true(json_number_value(json_object_get(json_array_get(lines, 0),
						      "unitPrice")) == 7.5);
	assert_int_equal(json_integer_value(json_object_get(
				 json_array_get(lines, 1), "quantity")),
			 3);
	assert_true(json_number_value(json_object_get(inv, "freightAmount")) ==
		    5.0);
	/* 2 * 7.50 + 3 * 4.00 + 5.00 net, no tax on these rows' code */
	assert_true(json_number_value(json_object_get(inv, "totalAmount")) >=
		    32.0);
	json_decref(inv);
	{
		/* the log entry shows the DSCO order and the total */
		ps_log_entry e;
		char key[96];

		snprintf(key, sizeof(key), "dsco:order:%" PRId64 ":invoice:%s",
			 p.bp_id, invoice_id);
		ps_log_entry_init(&e);
		assert_int_equal(ps_store_log_get_by_key(&e, fx.st, key), 0);
		assert_int_equal(e.status, PS_ENTRY_SYNCED);
		assert_string_equal(e.order_number, p.dsco_id);
		assert_true(e.has_total);
		assert_true(e.total >= ps_money_from_cents(3200));
		ps_log_entry_dispose(&e);
	}
}

/* DSCO's level of sku in warehouse code; -1 when it has none. */
static int64_t
ds_level(const char *sku, const char *code)
{
	json_t *r = fx_ctl(&fx, "GET", "/dsco/inventory", NULL), *all, *it, *w;
	size_t i, j;
	int64_t q = -1;

	all = json_object_get(r, "inventory");
	if (all == NULL)
		all = r;
	if (json_is_object(all))
		it = json_object_get(all, sku);
	else
		it = NULL;
	json_array_foreach (json_is_array(all) ? all : NULL, i, w)
		if (strcmp(jstr(json_object_get(w, "sku")), sku) == 0)
			it = w;
	json_array_foreach (json_object_get(it, "warehouses"), j, w)
		if (strcmp(jstr(json_object_get(w, "code")), code) == 0)
			q = json_integer_value(json_object_get(w, "quantity"));
	json_decref(r);
	return q;
}

static int
level_is(int64_t both)
{
	return ds_level("CAP-BLK", "WH01") == both / 1000 &&
	       ds_level("BAG-TOTE", "WH02") == both % 1000;
}

static int
levels_check(int64_t arg)
{
	return level_is(arg);
}

/* The first sweep sends every level; a burst of changes is one batch of
 * the changed SKUs only. */
static void
test_inventory_burst(void **state)
{
	int64_t before, after;
	json_t *r;

	(void)state;
	fx_set(&fx, "dsco.inventory.warehouses", "2,3");
	fx_set(&fx, "dsco.inventory_enabled", "true");
	fx_ctl_ok(&fx, "POST", "/brightpearl/stock",
		  "{\"sku\":\"CAP-BLK\",\"warehouseId\":2,\"inStock\":40}");
	fx_ctl_ok(&fx, "POST", "/brightpearl/stock",
		  "{\"sku\":\"BAG-TOTE\",\"warehouseId\":3,\"inStock\":12}");
	/* a product whose SKU DSCO refuses (over 90 characters) */
	fx_ctl_ok(&fx, "POST", "/brightpearl/seed",
		  "{\"products\":[{\"sku\":\"" LONG_SKU "\",\"name\":\"Long\","
		  "\"price\":1,\"stock\":{\"2\":5}}]}");
	assert_true(fx_rounds_until(&fx, levels_check, 40 * 1000 + 12,
				    DEADLINE_MS));
	/* the refused item is a failed entry naming it; the rest went */
	{
		ps_log_query q = PS_LOG_QUERY_INIT;
		ps_log_entry *v = NULL;
		size_t n = 0;

		q.flow = "inventory_export_dsco";
		q.kind = "product.stock";
		assert_int_equal(ps_store_log_list(&v, &n, fx.st, &q), 0);
		assert_int_equal(n, 1);
		assert_int_equal(v[0].status, PS_ENTRY_FAILED);
		assert_non_null(strstr(v[0].reason, LONG_SKU));
		ps_log_entries_free(v, n);
	}
	/* the burst: five stock changes of two SKUs */
	fx_ctl_ok(&fx, "POST", "/brightpearl/stock",
		  "{\"sku\":\"CAP-BLK\",\"warehouseId\":2,\"inStock\":39}");
	fx_ctl_ok(&fx, "POST", "/brightpearl/stock",
		  "{\"sku\":\"CAP-BLK\",\"warehouseId\":2,\"inStock\":38}");
	fx_ctl_ok(&fx, "POST", "/brightpearl/stock",
		  "{\"sku\":\"CAP-BLK\",\"warehouseId\":2,\"inStock\":37}");
	fx_ctl_ok(&fx, "POST", "/brightpearl/stock",
		  "{\"sku\":\"BAG-TOTE\",\"warehouseId\":3,\"inStock\":0}");
	fx_ctl_ok(&fx, "POST", "/brightpearl/stock",
		  "{\"sku\":\"BAG-TOTE\",\"warehouseId\":3,\"inStock\":11}");
	before = fx_requests(&fx, "dsco", "POST inventory/batch/small");
	/* the sweep is due now (the interval is a minute at least) */
	assert_int_equal(ps_store_cursor_set(fx.st,
					     "inventory_export_dsco.sync", "1",
					     flow_fixture_now_ms()),
			 0);
	assert_true(fx_rounds_until(&fx, levels_check, 37 * 1000 + 11,
				    DEADLINE_MS));
	after = fx_requests(&fx, "dsco", "POST inventory/batch/small");
	assert_int_equal(after - before, 1);
	/* the batch carried the two changed SKUs only: the last request
	 * in DSCO's inventory change log has their two entries */
	r = fx_ctl(&fx, "GET", "/dsco/state", NULL);
	{
		json_t *logs = json_object_get(json_object_get(r, "logs"),
					       "inventory");
		json_t *last = json_array_get(logs, json_array_size(logs) - 1);
		const char *rid =
			json_string_value(json_object_get(last, "requestId"));
		size_t i, n = 0, cap = 0, bag = 0;
		json_t *v;

		assert_non_null(rid);
		json_array_foreach (logs, i, v) {
			const char *sku;

			if (strcmp(jstr(json_object_get(v, "requestId")),
				   rid) != 0)
				continue;
			n++;
			sku = json_string_value(json_object_get(
				json_object_get(v, "payload"), "sku"));
			cap += sku && strcmp(sku, "CAP-BLK") == 0;
			bag += sku && strcmp(sku, "BAG-TOTE") == 0;
		}
		assert_int_equal(n, 2);
		assert_int_equal(cap, 1);
		assert_int_equal(bag, 1);
	}
	json_decref(r);
	fx_set(&fx, "dsco.inventory_enabled", "false");
}

/*
 * A crash after the POST: DSCO already has the note's package (sent by an
 * attempt whose outcome pearlsync never recorded) and the order's invoice.
 * The entries adopt both: no second package, no failed invoice.  The
 * sandbox's duplicate-tracking refusal is off, so a second package would
 * be accepted and counted.
 */
static void
test_adopt_after_crash(void **state)
{
	po p = po_make("RTL-OUT-6", "TEE-RED-S", 5, "MUG-LOGO", 5);
	ps_dsco_ship_line line;
	ps_dsco_ship_package pkg;
	ps_dsco_shipment sh;
	ps_dsco_invoice_line il;
	ps_dsco_invoice inv;
	char body[64], key[96], reason[256];
	ps_entry_status st = PS_ENTRY_PENDING;
	json_t *r;
	int i;

	(void)state;
	fx_ctl_ok(&fx, "POST", "/dsco/config",
		  "{\"strict\":{\"duplicateTracking\":false}}");
	memset(&line, 0, sizeof(line));
	line.line_number = 1;
	line.sku = "TEE-RED-S";
	line.quantity = 2;
	memset(&pkg, 0, sizeof(pkg));
	pkg.tracking_number = "1Z-CRASHED";
	pkg.service_level = "UPCG";
	pkg.lines = &line;
	pkg.nlines = 1;
	memset(&sh, 0, sizeof(sh));
	sh.order.dsco_order_id = p.dsco_id;
	sh.packages = &pkg;
	sh.npackages = 1;
	assert_int_equal(ps_dsco_shipment_send(fx.ds, &sh), 0);
	assert_int_equal(package_count(p.dsco_id), 1);

	snprintf(body, sizeof(body), "{\"orderId\":%" PRId64 "}", p.bp_id);
	r = fx_ctl(&fx, "POST", "/brightpearl/invoice", body);
	snprintf(invoice_id, sizeof(invoice_id), "%s",
		 jstr(json_object_get(r, "invoiceReference")));
	json_decref(r);
	memset(&il, 0, sizeof(il));
	il.line_number = 1;
	il.sku = "TEE-RED-S";
	il.quantity = 5;
	il.unit_price = ps_money_from_cents(750);
	memset(&inv, 0, sizeof(inv));
	inv.invoice_id = invoice_id;
	inv.order.dsco_order_id = p.dsco_id;
	inv.total = ps_money_from_cents(3750);
	inv.lines = &il;
	inv.nlines = 1;
	assert_int_equal(ps_dsco_invoice_send(fx.ds, &inv), 0);

	fx_ship(&fx, p.bp_id, "[{\"sku\":\"TEE-RED-S\",\"quantity\":2}]",
		"1Z-CRASHED");
	snprintf(key, sizeof(key), "dsco:order:%" PRId64 ":invoice:%s", p.bp_id,
		 invoice_id);
	for (i = 0; i < 60 && st != PS_ENTRY_SYNCED; i++) {
		fx_round(&fx);
		entry_of(key, &st, reason, sizeof(reason));
	}
	assert_int_equal(st, PS_ENTRY_SYNCED);
	fx_round(&fx);
	fx_round(&fx);
	assert_int_equal(package_count(p.dsco_id), 1);
	assert_int_equal(package_units(p.dsco_id, "1Z-CRASHED", NULL), 2);
	assert_int_equal(invoices_with(invoice_id, NULL), 1);
	assert_int_equal(fx_failed_entries(&fx), 0);
	fx_ctl_ok(&fx, "POST", "/dsco/config",
		  "{\"strict\":{\"duplicateTracking\":true}}");
}

/* A note shipped before the PO is acknowledged waits and then ships. */
static void
test_waits_for_acknowledgement(void **state)
{
	po p = po_make_ack("RTL-OUT-7", "TEE-RED-M", 1, "TEE-RED-L", 1, 0);
	char key[64], reason[256];
	ps_entry_status st = PS_ENTRY_SYNCED;
	int64_t gon;

	(void)state;
	gon = fx_ship(&fx, p.bp_id, NULL, "1Z-EARLY");
	snprintf(key, sizeof(key), "dsco:gon:%" PRId64 ":shipment", gon);
	fx_round(&fx);
	fx_round(&fx);
	assert_true(entry_of(key, &st, reason, sizeof(reason)) > 0);
	assert_true(st != PS_ENTRY_SYNCED);
	assert_non_null(strstr(reason, "not acknowledged"));
	assert_int_equal(package_count(p.dsco_id), 0);
	acknowledge(p.dsco_id);
	assert_true(rounds_until_packages(&p, 1));
	assert_int_equal(package_units(p.dsco_id, "1Z-EARLY", NULL), 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_partial_then_rest),
		cmocka_unit_test(test_package_fields),
		cmocka_unit_test(test_unmapped_method),
		cmocka_unit_test(test_status_trigger),
		cmocka_unit_test(test_invoice_once),
		cmocka_unit_test(test_adopt_after_crash),
		cmocka_unit_test(test_waits_for_acknowledgement),
		cmocka_unit_test(test_inventory_burst),
	};

	return cmocka_run_group_tests(tests, group_setup,
				      flow_fixture_teardown);
}
