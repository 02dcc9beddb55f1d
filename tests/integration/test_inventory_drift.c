/*
 * test_inventory_drift.c - stock changed in BigCommerce behind
 * pearlsync's back (the control panel, another app, an order Brightpearl
 * never saw) is set back to Brightpearl's level by the next reconcile, in
 * batched requests.
 *
 * End to end: the inventory flow runs in a worker with its listener on
 * against pearlsync-sandbox (flow_fixture.h); the test changes levels
 * through the sandbox's control API, asks for a reconcile as the operator
 * does ("run now"), and reads the outcome and the request counts from the
 * sandbox's own state.  The expected level of a SKU is Brightpearl's
 * in stock less allocated in warehouse 2, the one
 * bigcommerce.inventory.warehouses names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka needs the four above first */
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "flow_fixture.h"
#include "pearlsync/store.h"

#define DEADLINE_MS 20000
#define WAREHOUSE "2"

static flow_fixture fx;

/* ---- the sandbox's state ---------------------------------------------- */

/*
 * Brightpearl's level of every stock-tracked SKU (new object sku -> level):
 * in stock less allocated in WAREHOUSE, never below 0.
 */
static json_t *
bp_levels(void)
{
	json_t *state = fx_ctl(&fx, "GET", "/brightpearl/state", NULL);
	json_t *products = json_object_get(state, "products");
	json_t *stock = json_object_get(state, "stock"), *out = json_object();
	const char *id;
	json_t *p;

	json_object_foreach (products, id, p) {
		const char *sku = json_string_value(
			json_object_get(json_object_get(p, "identity"), "sku"));
		json_t *w =
			json_object_get(json_object_get(stock, id), WAREHOUSE);
		json_int_t lvl;

		if (sku == NULL ||
		    !json_is_true(json_object_get(json_object_get(p, "stock"),
						  "stockTracked")))
			continue;
		lvl = json_integer_value(json_object_get(w, "inStock")) -
		      json_integer_value(json_object_get(w, "allocated"));
		json_object_set_new(out, sku, json_integer(lvl > 0 ? lvl : 0));
	}
	json_decref(state);
	return out;
}

/*
 * Tracked SKUs whose BigCommerce level differs from Brightpearl's; when
 * report is set each is printed.
 */
static size_t
differences(int report)
{
	json_t *want = bp_levels();
	json_t *inv = fx_ctl(&fx, "GET", "/bigcommerce/inventory", NULL), *it;
	size_t i, n = 0;

	json_array_foreach (inv, i, it) {
		const char *sku = json_string_value(json_object_get(it, "sku"));
		json_t *w = sku ? json_object_get(want, sku) : NULL;
		json_int_t have = json_integer_value(
			json_object_get(it, "inventory_level"));

		if (w == NULL ||
		    strcmp(json_string_value(
				   json_object_get(it, "inventory_tracking")),
			   "none") == 0 ||
		    json_integer_value(w) == have)
			continue;
		if (report)
			fprintf(stderr,
				"  %s: BigCommerce %lld, Brightpearl "
				"%lld\n",
				sku, (long long)have,
				(long long)json_integer_value(w));
		n++;
	}
	json_decref(inv);
	json_decref(want);
	return n;
}

static int
in_step(void *arg)
{
	(void)arg;
	return differences(0) == 0;
}

/* ---- pearlsync -------------------------------------------------------- */

/* The operator's "run now" for the inventory flow. */
static void
run_now(void)
{
	assert_int_equal(ps_store_request_add(NULL, fx.st, PS_REQUEST_RUN_FLOW,
					      "inventory",
					      flow_fixture_now_ms()),
			 0);
}

/* Worker passes until BigCommerce agrees with Brightpearl. */
static void
settle(void)
{
	int rc = flow_fixture_run_until(&fx, in_step, NULL, DEADLINE_MS);

	if (rc != 1)
		differences(1);
	assert_int_equal(rc, 1);
}

/* The newest reconcile entry (caller disposes). */
static void
last_reconcile(ps_log_entry *out)
{
	ps_log_query q = PS_LOG_QUERY_INIT;
	ps_log_entry *rows = NULL;
	size_t n = 0, i;
	int found = 0;

	ps_log_entry_init(out);
	q.flow = "inventory_export_bc";
	assert_int_equal(ps_store_log_list(&rows, &n, fx.st, &q), 0);
	for (i = 0; i < n; i++)
		if (strncmp(rows[i].dedupe_key, "inventory:reconcile:", 20) ==
			    0 &&
		    (!found || rows[i].id > out->id)) {
			ps_log_entry_dispose(out);
			assert_int_equal(
				ps_store_log_get(out, fx.st, rows[i].id), 0);
			found = 1;
		}
	ps_log_entries_free(rows, n);
	assert_true(found);
}

/* ---- tests ------------------------------------------------------------ */

/*
 * The demo store starts with five BigCommerce levels lowered by its own
 * orders.  The first reconcile sets them; then six levels (variant- and
 * product-tracked) are changed in BigCommerce, and the next reconcile
 * must set every one back, in three BigCommerce requests.
 */
static void
test_inventory_drift__reconcile_sets_bigcommerce_back(void **state)
{
	static const char *const drifted[] = {"TEE-RED-S",  "TEE-BLU-M",
					      "HOOD-GRY-L", "CAP-BLK",
					      "MUG-LOGO",   "BTL-STEEL"};
	ps_log_entry e;
	size_t i;
	int64_t total;

	(void)state;
	assert_true(differences(0) > 0);
	/* the first pass records the first reconcile */
	settle();

	/* behind pearlsync's back */
	fx_ctl_ok(&fx, "POST", "/bigcommerce/inventory",
		  "{\"items\":[{\"sku\":\"TEE-RED-S\",\"level\":1},"
		  "{\"sku\":\"TEE-BLU-M\",\"level\":0},"
		  "{\"sku\":\"HOOD-GRY-L\",\"level\":7},"
		  "{\"sku\":\"CAP-BLK\",\"level\":3},"
		  "{\"sku\":\"MUG-LOGO\",\"level\":500},"
		  "{\"sku\":\"BTL-STEEL\",\"level\":1}]}");
	assert_int_equal(differences(0), 6);
	assert_int_equal(fx_bc_level(&fx, "TEE-RED-S"), 1);

	fx_ctl_ok(&fx, "POST", "/requests/reset", "{}");
	run_now();
	settle();

	total = fx_requests(&fx, "bigcommerce", NULL);
	fprintf(stderr,
		"reconcile of 11 products, 6 drifted: BigCommerce requests "
		"%" PRId64 " (catalog products %" PRId64 ", inventory items "
		"%" PRId64 ", absolute adjustments %" PRId64 ")\n",
		total,
		fx_requests(&fx, "bigcommerce", "GET v3/catalog/products"),
		fx_requests(&fx, "bigcommerce",
			    "GET v3/inventory/locations/{id}/items"),
		fx_requests(&fx, "bigcommerce",
			    "PUT v3/inventory/adjustments/absolute"));
	assert_int_equal(
		fx_requests(&fx, "bigcommerce", "GET v3/catalog/products"), 1);
	assert_int_equal(fx_requests(&fx, "bigcommerce",
				     "GET v3/inventory/locations/{id}/items"),
			 1);
	assert_int_equal(fx_requests(&fx, "bigcommerce",
				     "PUT v3/inventory/adjustments/absolute"),
			 1);
	assert_int_equal(
		fx_requests(&fx, "bigcommerce", "GET v3/catalog/variants"), 0);
	assert_int_equal(total, 3);

	/* the entry says what it read and corrected, and names the SKUs */
	last_reconcile(&e);
	assert_int_equal(e.status, PS_ENTRY_SYNCED);
	assert_null(e.order_number);
	assert_non_null(e.detail);
	assert_non_null(
		strstr(e.detail, "11 products: 11 BigCommerce levels read"));
	assert_non_null(strstr(e.detail, "6 differed, 6 corrected"));
	assert_non_null(strstr(e.detail, "TEE-RED-S 1->40"));
	assert_non_null(strstr(e.detail, "MUG-LOGO 500->120"));
	assert_non_null(strstr(e.detail, "5 unchanged"));
	assert_non_null(e.target_id);
	for (i = 0; i < sizeof(drifted) / sizeof(*drifted); i++)
		assert_non_null(strstr(e.target_id, drifted[i]));
	ps_log_entry_dispose(&e);

	/* nothing differs: the next reconcile reads, and sends nothing */
	fx_ctl_ok(&fx, "POST", "/requests/reset", "{}");
	run_now();
	assert_int_equal(ps_worker_run_once(fx.worker, NULL), 0);
	last_reconcile(&e);
	assert_int_equal(e.status, PS_ENTRY_SYNCED);
	assert_non_null(strstr(e.detail, "0 differed, 0 corrected"));
	assert_null(e.target_id);
	ps_log_entry_dispose(&e);
	assert_int_equal(fx_requests(&fx, "bigcommerce",
				     "PUT v3/inventory/adjustments/absolute"),
			 0);
}

/*
 * A stock webhook for a product whose BigCommerce level drifted after
 * the last reconcile: when Brightpearl's new level differs from the one
 * last seen, it is sent; the entry names the SKU where the log search
 * looks (target id), not as an order number.
 */
static void
test_inventory_drift__webhook_entry_names_the_sku(void **state)
{
	ps_log_query q = PS_LOG_QUERY_INIT;
	ps_log_entry *rows = NULL;
	size_t n = 0;

	(void)state;
	fx_ctl_ok(&fx, "POST", "/brightpearl/stock",
		  "{\"sku\":\"SOCK-3PK\",\"warehouseId\":2,"
		  "\"inStock\":64}");
	settle();
	assert_int_equal(fx_bc_level(&fx, "SOCK-3PK"), 64);
	q.text = "SOCK-3PK";
	q.flow = "inventory_export_bc";
	assert_int_equal(ps_store_log_list(&rows, &n, fx.st, &q), 0);
	assert_true(n >= 1);
	assert_string_equal(rows[0].target_id, "SOCK-3PK");
	assert_null(rows[0].order_number);
	assert_non_null(strstr(rows[0].detail, "level 64 sent"));
	ps_log_entries_free(rows, n);
}

/* Synced inventory entries whose SKU is arg. */
static size_t
synced_for(const char *sku)
{
	ps_log_query q = PS_LOG_QUERY_INIT;
	ps_log_entry *rows = NULL;
	size_t n = 0, i, k = 0;

	q.flow = "inventory_export_bc";
	q.text = sku;
	q.status = PS_ENTRY_SYNCED;
	assert_int_equal(ps_store_log_list(&rows, &n, fx.st, &q), 0);
	for (i = 0; i < n; i++) {
		int stock = strncmp(rows[i].dedupe_key, "bp:stock:", 9) == 0;

		/* the kind says the same as the key */
		assert_int_equal(stock,
				 strcmp(rows[i].kind, "product.stock") == 0);
		if (!stock)
			assert_string_equal(rows[i].kind,
					    "inventory.reconcile");
		k += stock;
	}
	ps_log_entries_free(rows, n);
	return k;
}

static size_t want_synced;

static int
cap_synced(void *arg)
{
	(void)arg;
	return synced_for("CAP-BLK") >= want_synced;
}

/*
 * A stock webhook compares with the level last seen in BigCommerce, but
 * not for ever: once that is older than one reconcile interval it is read
 * again.  Here BigCommerce's CAP-BLK drifts after the last reconcile and a
 * Brightpearl change elsewhere (warehouse 3) leaves its level as it was.
 */
static void
test_inventory_drift__webhook_rereads_a_stale_level(void **state)
{
	char *cached = NULL;

	(void)state;
	fx_ctl_ok(&fx, "POST", "/bigcommerce/inventory",
		  "{\"sku\":\"CAP-BLK\",\"level\":2}");
	want_synced = synced_for("CAP-BLK") + 1;
	fx_ctl_ok(&fx, "POST", "/brightpearl/stock",
		  "{\"sku\":\"CAP-BLK\",\"warehouseId\":3,"
		  "\"inStock\":9}");
	assert_int_equal(
		flow_fixture_run_until(&fx, cap_synced, NULL, DEADLINE_MS), 1);
	/* the level seen minutes ago is trusted: nothing sent */
	assert_int_equal(fx_bc_level(&fx, "CAP-BLK"), 2);

	/* an interval (15 minutes) later it is not */
	assert_int_equal(ps_store_cache_get(&cached, NULL, fx.st,
					    "inventory.bc.CAP-BLK"),
			 0);
	assert_int_equal(ps_store_cache_set(fx.st, "inventory.bc.CAP-BLK",
					    cached,
					    flow_fixture_now_ms() - 16 * 60000),
			 0);
	free(cached);
	want_synced++;
	fx_ctl_ok(&fx, "POST", "/brightpearl/stock",
		  "{\"sku\":\"CAP-BLK\",\"warehouseId\":3,"
		  "\"inStock\":10}");
	assert_int_equal(
		flow_fixture_run_until(&fx, cap_synced, NULL, DEADLINE_MS), 1);
	assert_int_equal(fx_bc_level(&fx, "CAP-BLK"), 80);
}

/* The merchant switches product_id's inventory tracking in BigCommerce. */
static void
bc_set_tracking(int64_t product_id, const char *tracking)
{
	static const char *const hdr[] = {"X-Auth-Token: sandbox-token",
					  "Content-Type: application/json",
					  NULL};
	char path[128], body[64];

	snprintf(path, sizeof(path), "/stores/sandbox/v3/catalog/products/%lld",
		 (long long)product_id);
	snprintf(body, sizeof(body), "{\"inventory_tracking\":\"%s\"}",
		 tracking);
	assert_int_equal(
		fx_api(NULL, &fx, "bigcommerce", "PUT", path, hdr, body), 200);
}

static const char *
bc_tracking(const char *sku)
{
	static char out[16];
	json_t *inv = fx_ctl(&fx, "GET", "/bigcommerce/inventory", NULL), *it;
	size_t i;

	out[0] = '\0';
	json_array_foreach (inv, i, it) {
		if (strcmp(json_string_value(json_object_get(it, "sku")),
			   sku) == 0)
			snprintf(out, sizeof(out), "%s",
				 json_string_value(json_object_get(
					 it, "inventory_tracking")));
	}
	json_decref(inv);
	return out;
}

static int
mug_is_70(void *arg)
{
	(void)arg;
	return fx_bc_level(&fx, "MUG-LOGO") == 70;
}

/*
 * The merchant switches MUG-LOGO (product 113) from product to variant
 * tracking after the reconcile cached its ids: BigCommerce refuses the
 * level by product id, and the flow reads the SKU again and sends it by
 * variant id instead of failing.
 */
static void
test_inventory_drift__changed_tracking_is_read_again(void **state)
{
	(void)state;
	assert_string_equal(bc_tracking("MUG-LOGO"), "product");
	bc_set_tracking(113, "variant");
	assert_string_equal(bc_tracking("MUG-LOGO"), "variant");
	fx_ctl_ok(&fx, "POST", "/brightpearl/stock",
		  "{\"sku\":\"MUG-LOGO\",\"warehouseId\":2,"
		  "\"inStock\":70}");
	assert_int_equal(
		flow_fixture_run_until(&fx, mug_is_70, NULL, DEADLINE_MS), 1);
	bc_set_tracking(113, "product");
}

/*
 * A catalogue of 1,212 SKUs with 400 drifted: the reconcile reads the
 * catalog 250 products a page and the stock 1000 items a page, and sends
 * every correction in one request: 5 + 2 + 1 requests, not 1,212.
 */
static void
test_inventory_drift__large_catalogue_in_batched_requests(void **state)
{
	enum { N = 1200, DRIFT = 400 };
	ps_log_entry e;
	json_t *bp = json_array(), *items = json_array(), *body;
	char sku[32], *txt;
	int64_t reads_p, reads_i, puts, total;
	size_t i;

	(void)state;
	for (i = 0; i < N; i++) {
		snprintf(sku, sizeof(sku), "BULK-%04zu", i);
		json_array_append_new(bp, json_pack("{s:s,s:s,s:{s:i}}", "sku",
						    sku, "name", sku, "stock",
						    WAREHOUSE, (int)(i % 97)));
		body = json_pack("{s:s,s:s,s:i,s:s,s:s,s:i}", "name", sku,
				 "type", "physical", "weight", 1, "sku", sku,
				 "inventory_tracking",
				 i % 2 ? "product" : "variant",
				 "inventory_level", (int)(i % 97));
		txt = json_dumps(body, JSON_COMPACT);
		fx_ctl_ok(&fx, "POST", "/bigcommerce/products", txt);
		free(txt);
		json_decref(body);
	}
	body = json_pack("{s:o}", "products", bp);
	txt = json_dumps(body, JSON_COMPACT);
	fx_ctl_ok(&fx, "POST", "/brightpearl/seed", txt);
	free(txt);
	json_decref(body);
	run_now();
	settle();

	for (i = 0; i < DRIFT; i++) {
		snprintf(sku, sizeof(sku), "BULK-%04zu", i * 3);
		json_array_append_new(items, json_pack("{s:s,s:i}", "sku", sku,
						       "level", 1000 + (int)i));
	}
	body = json_pack("{s:o}", "items", items);
	txt = json_dumps(body, JSON_COMPACT);
	fx_ctl_ok(&fx, "POST", "/bigcommerce/inventory", txt);
	free(txt);
	json_decref(body);
	assert_int_equal(differences(0), DRIFT);

	fx_ctl_ok(&fx, "POST", "/requests/reset", "{}");
	run_now();
	settle();
	reads_p = fx_requests(&fx, "bigcommerce", "GET v3/catalog/products");
	reads_i = fx_requests(&fx, "bigcommerce",
			      "GET v3/inventory/locations/{id}/items");
	puts = fx_requests(&fx, "bigcommerce",
			   "PUT v3/inventory/adjustments/absolute");
	total = fx_requests(&fx, "bigcommerce", NULL);
	fprintf(stderr,
		"reconcile of %d products, %d drifted: BigCommerce requests "
		"%" PRId64 " (catalog products %" PRId64 ", inventory items "
		"%" PRId64 ", absolute adjustments %" PRId64
		"); Brightpearl requests %" PRId64 "\n",
		N + 11, DRIFT, total, reads_p, reads_i, puts,
		flow_fixture_requests(&fx, "brightpearl", NULL));
	/* 1,212 SKUs in 1,208 products: ceil(1208/250), ceil(1213/1000) */
	assert_int_equal(reads_p, 5);
	assert_int_equal(reads_i, 2);
	assert_int_equal(puts, 1);
	assert_int_equal(total, 8);

	/* the detail and target id stay bounded */
	last_reconcile(&e);
	assert_non_null(strstr(e.detail, "400 differed, 400 corrected"));
	assert_non_null(strstr(e.detail, "and 390 more"));
	assert_true(strlen(e.detail) < 1024);
	assert_non_null(strstr(e.target_id, "BULK-0000"));
	assert_true(strlen(e.target_id) < 256);
	ps_log_entry_dispose(&e);
}

/* ---- fixture ---------------------------------------------------------- */

static int
setup(void **state)
{
	static const char *const flows[] = {"inventory", NULL};

	*state = &fx;
	if (flow_fixture_open(&fx, NULL) < 0 ||
	    flow_fixture_set(&fx, "bigcommerce.inventory.warehouses",
			     WAREHOUSE) < 0 ||
	    flow_fixture_set(&fx, "bigcommerce.inventory.enabled", "true") <
		    0 ||
	    flow_fixture_start_worker(&fx, flows) < 0)
		return -1;
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_inventory_drift__reconcile_sets_bigcommerce_back),
		cmocka_unit_test(
			test_inventory_drift__webhook_entry_names_the_sku),
		cmocka_unit_test(
			test_inventory_drift__webhook_rereads_a_stale_level),
		cmocka_unit_test(
			test_inventory_drift__changed_tracking_is_read_again),
		cmocka_unit_test(
			test_inventory_drift__large_catalogue_in_batched_requests),
	};

	return cmocka_run_group_tests(tests, setup, flow_fixture_teardown);
}
