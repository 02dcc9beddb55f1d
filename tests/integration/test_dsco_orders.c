/*
 * test_dsco_orders.c - DSCO purchase orders into Brightpearl and the
 * retailer's cancellations, end to end: the worker with order_import_dsco
 * and cancel_import_dsco against pearlsync-sandbox.
 *
 * POs are made through the sandbox's DSCO control API and outcomes are
 * read from the sandbox's own state: the Brightpearl orders (one per
 * externalRef, the customer, the rows, the status, the notes) and the
 * DSCO side (lifecycle, supplierOrderNumber, the acknowledgements and
 * cancels in its order change log).  Covered: new and known customers,
 * products by unique id and by the dsco_product map, multi-line POs, an
 * unknown item (a failed entry naming the line and SKU; after mapping, a
 * retry imports it once), the customer map, cancels before shipping
 * (outright and by request, whole and per line) and after shipping (a
 * failed entry), and 30% of DSCO replies faulted with the worker
 * restarted between rounds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pearlsync/flow.h"
#include "pearlsync/store.h"
#include "flow_fixture.h"

static flow_fixture fx_;
static flow_fixture *fx = &fx_;

/* ---- the sandbox's state ------------------------------------------------ */

/* The DSCO PO dsco_id as the sandbox holds it (new reference). */
static json_t *
ds_order(const char *dsco_id)
{
	char path[128];

	snprintf(path, sizeof(path), "/dsco/order?dscoOrderId=%s", dsco_id);
	return fx_ctl(fx, "GET", path, NULL);
}

static const char *
jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

/* Acknowledgements of dsco_id in DSCO's order change log. */
static size_t
ack_count(const char *dsco_id)
{
	json_t *st = fx_ctl(fx, "GET", "/dsco/state", NULL);
	json_t *log = json_object_get(json_object_get(st, "logs"), "order");
	json_t *e;
	size_t i, n = 0;

	json_array_foreach (log, i, e) {
		json_t *p = json_object_get(e, "payload");

		if ((strcmp(jstr(p, "dscoOrderId"), dsco_id) == 0 ||
		     strcmp(jstr(p, "id"), dsco_id) == 0) &&
		    json_object_get(p, "shipments") == NULL &&
		    json_object_get(p, "lineItems") == NULL)
			n++;
	}
	json_decref(st);
	return n;
}

/* Brightpearl orders whose externalRef is "DSCO-<dsco_id>"; the last one's
 * id in *out_id (may be NULL). */
static size_t
bp_orders_for(const char *dsco_id, int64_t *out_id)
{
	json_t *all = fx_ctl(fx, "GET", "/brightpearl/orders", NULL), *o;
	char ext[64];
	size_t i, n = 0;

	snprintf(ext, sizeof(ext), "DSCO-%s", dsco_id);
	json_array_foreach (all, i, o) {
		if (strcmp(jstr(o, "externalRef"), ext) == 0) {
			n++;
			if (out_id)
				*out_id = json_integer_value(
					json_object_get(o, "id"));
		}
	}
	json_decref(all);
	return n;
}

static int64_t
bp_customer(json_t *o)
{
	return json_integer_value(json_object_get(
		json_object_get(json_object_get(o, "parties"), "customer"),
		"contactId"));
}

static int64_t
bp_status(int64_t bp_id)
{
	json_t *o = fx_bp_order(fx, bp_id);
	int64_t s = json_integer_value(json_object_get(
		json_object_get(o, "orderStatus"), "orderStatusId"));

	json_decref(o);
	return s;
}

/* The texts of Brightpearl order bp_id's notes, joined by "\n" (owned). */
static char *
bp_notes(int64_t bp_id)
{
	json_t *st = fx_ctl(fx, "GET", "/brightpearl/state", NULL);
	json_t *all = json_object_get(st, "notes"), *n;
	char *out = strdup(""), *grown;
	const char *k;

	assert_non_null(out);
	json_object_foreach (all, k, n) {
		if (json_integer_value(json_object_get(n, "orderId")) != bp_id)
			continue;
		grown = malloc(strlen(out) + strlen(jstr(n, "text")) + 2);
		assert_non_null(grown);
		sprintf(grown, "%s%s\n", out, jstr(n, "text"));
		free(out);
		out = grown;
		(void)k;
	}
	json_decref(st);
	return out;
}

/* A PO: lines_json the control API's "lines", email NULL for none. */
static char *
po_make(const char *po, const char *email, const char *lines_json,
	const char *extra)
{
	char body[2048];
	json_t *r;
	char *id;

	snprintf(body, sizeof(body),
		 "{\"poNumber\":\"%s\",\"lines\":%s,"
		 "\"shipping\":{\"name\":\"Grace Hopper\","
		 "\"address1\":\"1 Navy Yard\",\"city\":\"Arlington\","
		 "\"region\":\"VA\",\"postal\":\"22201\",\"country\":\"US\""
		 "%s%s%s}%s%s}",
		 po, lines_json, email ? ",\"email\":\"" : "",
		 email ? email : "", email ? "\"" : "", extra ? "," : "",
		 extra ? extra : "");
	r = fx_ctl(fx, "POST", "/dsco/orders", body);
	id = strdup(jstr(r, "dscoOrderId"));
	assert_true(id[0] != '\0');
	json_decref(r);
	return id;
}

/* ---- waiting ------------------------------------------------------------ */

typedef struct want {
	const char *const *ids;
	size_t n;
} want;

/* Every PO in w imported and acknowledged. */
static int
all_imported(void *arg)
{
	const want *w = arg;
	size_t i;

	for (i = 0; i < w->n; i++) {
		json_t *o = ds_order(w->ids[i]);
		int ok = strcmp(jstr(o, "dscoLifecycle"), "acknowledged") == 0;

		json_decref(o);
		if (!ok || bp_orders_for(w->ids[i], NULL) != 1)
			return 0;
	}
	return 1;
}

static void
wait_imported(const char *const *ids, size_t n)
{
	want w = {ids, n};

	if (!fx_run_until(fx, all_imported, &w, 30000)) {
		flow_fixture_log_dump(fx);
		fail_msg("POs not imported in time");
	}
}

/* The log entry with dedupe key key (status and reason). */
static int
entry_of(ps_log_entry *out, const char *key)
{
	return ps_store_log_get_by_key(out, fx->st, key);
}

typedef struct status_want {
	int64_t bp_id, status;
} status_want;

static int
status_is(void *arg)
{
	const status_want *w = arg;

	return bp_status(w->bp_id) == w->status;
}

/* ---- setup -------------------------------------------------------------- */

static int
group_setup(void **state)
{
	static const char *const flows[] = {"dsco-orders", "dsco-cancels",
					    NULL};
	static const char *const settings[][2] = {
		{"brightpearl.account", "sandbox"},
		{"brightpearl.installed_integration_instance_id", "7"},
		{"dsco.orders.enabled", "true"},
		{"dsco.order_status", "2"},
		{"dsco.cancel_status", "Cancelled"},
		{"dsco.channel_id", "1"},
		{"dsco.defaults.warehouse_id", "2"},
		{"dsco.defaults.tax_code", "T"},
		{"sync.poll_interval_seconds", "5"},
	};
	json_t *cfg;
	size_t i;

	*state = fx;
	if (flow_fixture_open(fx, NULL) < 0)
		return -1;
	/* DSCO's change log at once: the follow needs no wait */
	cfg = flow_fixture_ctl(fx, "POST", "/dsco/config",
			       "{\"asyncDelayMs\":0,\"untilLagS\":0}");
	if (cfg == NULL)
		return -1;
	json_decref(cfg);
	for (i = 0; i < sizeof(settings) / sizeof(*settings); i++)
		if (flow_fixture_set(fx, settings[i][0], settings[i][1]) < 0)
			return -1;
	return flow_fixture_start_worker(fx, flows);
}

/* ---- tests -------------------------------------------------------------- */

/*
 * The demo POs and a mix: a new customer, a known one (Ada, contact 201),
 * two lines, a product only the dsco_product map knows, and an unknown
 * item that fails naming its line and SKU until it is mapped.
 */
static void
test_import_mix(void **state)
{
	const char *demo[] = {"1022178901", "1022178902", "1022178903",
			      "1022178904"};
	char *fresh, *known, *mapped, *unknown;
	const char *ids[8];
	char key[96], tmp[32];
	ps_log_entry e;
	json_t *o, *bo;
	int64_t bp = 0, cap = fx_bp_product(fx, "CAP-BLK");
	int64_t mug = fx_bp_product(fx, "MUG-LOGO");
	size_t i;

	(void)state;
	fresh = po_make("PO-NEW-1", "grace@example.com",
			"[{\"sku\":\"TEE-RED-M\",\"quantity\":2,"
			"\"expectedCost\":5.5}]",
			NULL);
	known = po_make("PO-KNOWN-1", "ada@example.com",
			"[{\"sku\":\"TEE-BLU-M\",\"quantity\":1,"
			"\"expectedCost\":6},{\"sku\":\"HOOD-GRY-M\","
			"\"quantity\":3,\"expectedCost\":12.25}]",
			NULL);
	snprintf(tmp, sizeof(tmp), "%lld", (long long)cap);
	fx_map(fx, "dsco_product", "dsco>bp", "RTL-CAP-99", tmp);
	mapped = po_make("PO-MAP-1", NULL,
			 "[{\"sku\":\"RTL-CAP-99\",\"quantity\":4,"
			 "\"expectedCost\":3}]",
			 NULL);
	unknown = po_make("PO-UNK-1", "grace@example.com",
			  "[{\"sku\":\"MUG-LOGO\",\"quantity\":1,"
			  "\"expectedCost\":4},{\"sku\":\"NOPE-77\","
			  "\"quantity\":1,\"expectedCost\":2}]",
			  NULL);
	for (i = 0; i < 4; i++)
		ids[i] = demo[i];
	ids[4] = fresh;
	ids[5] = known;
	ids[6] = mapped;
	wait_imported(ids, 7);

	/* each PO: one order, acknowledged once with its id */
	for (i = 0; i < 7; i++) {
		assert_int_equal(bp_orders_for(ids[i], &bp), 1);
		o = ds_order(ids[i]);
		snprintf(tmp, sizeof(tmp), "%lld", (long long)bp);
		assert_string_equal(jstr(o, "supplierOrderNumber"), tmp);
		bo = fx_bp_order(fx, bp);
		assert_string_equal(jstr(bo, "reference"), jstr(o, "poNumber"));
		assert_int_equal(json_integer_value(json_object_get(
					 json_object_get(bo, "orderStatus"),
					 "orderStatusId")),
				 2);
		assert_int_equal(
			json_object_size(json_object_get(bo, "orderRows")),
			json_array_size(json_object_get(o, "lineItems")));
		json_decref(bo);
		json_decref(o);
		assert_int_equal(ack_count(ids[i]), 1);
	}
	/* the known customer is Ada; the new one is not */
	bp_orders_for(known, &bp);
	bo = fx_bp_order(fx, bp);
	assert_int_equal(bp_customer(bo), 201);
	json_decref(bo);
	bp_orders_for(fresh, &bp);
	bo = fx_bp_order(fx, bp);
	assert_true(bp_customer(bo) > 0 && bp_customer(bo) != 201);
	json_decref(bo);
	/* the mapped product, its price the expected cost */
	bp_orders_for(mapped, &bp);
	bo = fx_bp_order(fx, bp);
	{
		const char *k;
		json_t *row;

		json_object_foreach (json_object_get(bo, "orderRows"), k, row) {
			assert_int_equal(json_integer_value(json_object_get(
						 row, "productId")),
					 cap);
			(void)k;
		}
	}
	json_decref(bo);

	/* the unknown item: failed, naming the line and the SKU; nothing
	 * in Brightpearl, not acknowledged */
	snprintf(key, sizeof(key), "dsco:order:%s:import", unknown);
	assert_int_equal(entry_of(&e, key), 0);
	assert_int_equal(e.status, PS_ENTRY_FAILED);
	assert_non_null(strstr(e.reason, "line 2"));
	assert_non_null(strstr(e.reason, "NOPE-77"));
	ps_log_entry_dispose(&e);
	assert_int_equal(bp_orders_for(unknown, NULL), 0);
	o = ds_order(unknown);
	assert_string_equal(jstr(o, "dscoLifecycle"), "created");
	json_decref(o);

	/* mapped and retried: imported once */
	snprintf(tmp, sizeof(tmp), "%lld", (long long)mug);
	fx_map(fx, "dsco_product", "dsco>bp", "NOPE-77", tmp);
	assert_int_equal(entry_of(&e, key), 0);
	assert_int_equal(
		ps_store_log_retry(fx->st, e.id, flow_fixture_now_ms()), 0);
	ps_log_entry_dispose(&e);
	ids[0] = unknown;
	wait_imported(ids, 1);
	fx_passes(fx, 3, 50);
	assert_int_equal(bp_orders_for(unknown, NULL), 1);
	assert_int_equal(ack_count(unknown), 1);
	free(fresh);
	free(known);
	free(mapped);
	free(unknown);
}

/* dsco.customers.mode map: the retailer's contact, else the default. */
static void
test_customer_map(void **state)
{
	char *a, *b;
	const char *ids[2];
	int64_t bp = 0;
	json_t *bo;

	(void)state;
	fx_set(fx, "dsco.customers.mode", "map");
	fx_map(fx, "dsco_customer", "dsco>bp", "RET-A", "201");
	fx_map(fx, "dsco_customer", "dsco>bp", "", "202");
	a = po_make("PO-CMAP-A", "x@example.com",
		    "[{\"sku\":\"CAP-BLK\",\"quantity\":1,\"expectedCost\":3}]",
		    "\"retailerId\":\"RET-A\"");
	b = po_make("PO-CMAP-B", "y@example.com",
		    "[{\"sku\":\"CAP-BLK\",\"quantity\":1,\"expectedCost\":3}]",
		    "\"retailerId\":\"RET-B\"");
	ids[0] = a;
	ids[1] = b;
	wait_imported(ids, 2);
	bp_orders_for(a, &bp);
	bo = fx_bp_order(fx, bp);
	assert_int_equal(bp_customer(bo), 201);
	json_decref(bo);
	bp_orders_for(b, &bp);
	bo = fx_bp_order(fx, bp);
	assert_int_equal(bp_customer(bo), 202);
	json_decref(bo);
	fx_set(fx, "dsco.customers.mode", "auto");
	free(a);
	free(b);
}

typedef struct bad_want {
	const char *key;
	const char *reason;
} bad_want;

static int
entry_failed_with(void *arg)
{
	const bad_want *w = arg;
	ps_log_entry e;
	int hit;

	memset(&e, 0, sizeof(e));
	if (entry_of(&e, w->key) < 0)
		return 0;
	hit = e.status != PS_ENTRY_SYNCED && e.status != PS_ENTRY_IN_FLIGHT &&
	      e.reason != NULL && strstr(e.reason, w->reason) != NULL;
	ps_log_entry_dispose(&e);
	return hit;
}

/*
 * One PO whose data does not parse (a line's cost "NaN") among good ones
 * in the same poll window: the good ones are imported, the bad one fails
 * its own entry naming the field and creates nothing in Brightpearl; it
 * never stops the poll.
 */
static void
test_bad_po_in_window(void **state)
{
	const char *good_ids[2];
	char *good1, *bad, *good2, key[96];
	bad_want w;

	(void)state;
	good1 = po_make("PO-BAD-G1", "g1@example.com",
			"[{\"sku\":\"CAP-BLK\",\"quantity\":1,"
			"\"expectedCost\":3}]",
			NULL);
	bad = po_make("PO-BAD-X", "x2@example.com",
		      "[{\"sku\":\"CAP-BLK\",\"quantity\":1,"
		      "\"expectedCost\":\"NaN\"}]",
		      NULL);
	good2 = po_make("PO-BAD-G2", "g2@example.com",
			"[{\"sku\":\"CAP-BLK\",\"quantity\":2,"
			"\"expectedCost\":3}]",
			NULL);
	good_ids[0] = good1;
	good_ids[1] = good2;
	wait_imported(good_ids, 2);
	snprintf(key, sizeof(key), "dsco:order:%s:import", bad);
	w.key = key;
	w.reason = "field 'expectedCost' is \"NaN\", not an amount";
	if (!fx_run_until(fx, entry_failed_with, &w, 30000)) {
		flow_fixture_log_dump(fx);
		fail_msg("the bad PO has no failed entry with its reason");
	}
	assert_int_equal(bp_orders_for(good1, NULL), 1);
	assert_int_equal(bp_orders_for(good2, NULL), 1);
	assert_int_equal(bp_orders_for(bad, NULL), 0);
	free(good1);
	free(bad);
	free(good2);
}

/*
 * Cancels: outright (whole PO), by request (whole, confirmed to DSCO with
 * CXSC), one line by request (a note, status unchanged), and after
 * shipping (a failed entry, nothing changed).
 */
static void
test_cancels(void **state)
{
	const char *two = "[{\"sku\":\"CAP-BLK\",\"quantity\":2,"
			  "\"expectedCost\":3},{\"sku\":\"MUG-LOGO\","
			  "\"quantity\":1,\"expectedCost\":4}]";
	char *c1, *c2, *c3, *c4, body[256], key[128], *notes;
	const char *ids[4];
	int64_t b1 = 0, b2 = 0, b3 = 0, b4 = 0;
	status_want sw;
	ps_log_query q = PS_LOG_QUERY_INIT;
	ps_log_entry *rows = NULL;
	size_t n = 0, i, failed = 0;
	json_t *o, *l;

	(void)state;
	c1 = po_make("PO-CX-1", "c@example.com", two, NULL);
	c2 = po_make("PO-CX-2", "c@example.com", two, NULL);
	c3 = po_make("PO-CX-3", "c@example.com", two, NULL);
	c4 = po_make("PO-CX-4", "c@example.com", two, NULL);
	ids[0] = c1;
	ids[1] = c2;
	ids[2] = c3;
	ids[3] = c4;
	wait_imported(ids, 4);
	bp_orders_for(c1, &b1);
	bp_orders_for(c2, &b2);
	bp_orders_for(c3, &b3);
	bp_orders_for(c4, &b4);
	/* c4 ships in Brightpearl before the retailer cancels it */
	fx_ship(fx, b4, NULL, "TRK-CX-4");

	snprintf(body, sizeof(body), "{\"dscoOrderId\":\"%s\"}", c1);
	fx_ctl_ok(fx, "POST", "/dsco/cancel", body);
	snprintf(body, sizeof(body), "{\"dscoOrderId\":\"%s\"}", c2);
	fx_ctl_ok(fx, "POST", "/dsco/request-cancel", body);
	snprintf(body, sizeof(body), "{\"dscoOrderId\":\"%s\",\"lines\":[2]}",
		 c3);
	fx_ctl_ok(fx, "POST", "/dsco/request-cancel", body);
	snprintf(body, sizeof(body), "{\"dscoOrderId\":\"%s\"}", c4);
	fx_ctl_ok(fx, "POST", "/dsco/cancel", body);

	sw.bp_id = b2;
	sw.status = 5;
	if (!fx_run_until(fx, status_is, &sw, 30000)) {
		flow_fixture_log_dump(fx);
		fail_msg("PO-CX-2 not cancelled in Brightpearl");
	}
	fx_passes(fx, 5, 50);
	assert_int_equal(bp_status(b1), 5);
	assert_int_equal(bp_status(b2), 5);
	assert_int_equal(bp_status(b3), 2);
	assert_int_equal(bp_status(b4), 2);
	/* the request was confirmed: DSCO cancelled every line (CXSC) */
	o = ds_order(c2);
	assert_string_equal(jstr(o, "dscoStatus"), "cancelled");
	json_array_foreach (json_object_get(o, "lineItems"), i, l)
		assert_string_equal(jstr(l, "status"), "cancelled");
	json_decref(o);
	/* one line: cancelled in DSCO, a note in Brightpearl */
	o = ds_order(c3);
	l = json_array_get(json_object_get(o, "lineItems"), 1);
	assert_string_equal(jstr(l, "status"), "cancelled");
	l = json_array_get(json_object_get(o, "lineItems"), 0);
	assert_string_not_equal(jstr(l, "status"), "cancelled");
	json_decref(o);
	notes = bp_notes(b3);
	snprintf(body, sizeof(body),
		 "DSCO PO PO-CX-3: the retailer cancelled line 2 (SKU "
		 "MUG-LOGO) x 1");
	assert_int_equal(fx_count(notes, body), 1);
	free(notes);
	/* after shipping: one failed entry naming the shipment */
	q.flow = "cancel_import_dsco";
	q.status = PS_ENTRY_FAILED;
	assert_int_equal(ps_store_log_list(&rows, &n, fx->st, &q), 0);
	for (i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "dsco:order:%s:", c4);
		assert_non_null(strstr(rows[i].dedupe_key, key));
		assert_non_null(strstr(rows[i].reason, "shipped"));
		failed++;
	}
	ps_log_entries_free(rows, n);
	assert_int_equal(failed, 1);
	free(c1);
	free(c2);
	free(c3);
	free(c4);
}

/*
 * 30% of DSCO replies faulted, the worker restarted (no cache survives)
 * between rounds: every PO still exactly one Brightpearl order,
 * acknowledged exactly once.
 */
static void
test_faults_restarts(void **state)
{
	enum { NPO = 12 };
	char *ids[NPO], po[32];
	int round;
	size_t i;
	want w;

	(void)state;
	for (i = 0; i < NPO; i++) {
		snprintf(po, sizeof(po), "PO-FLT-%02zu", i);
		ids[i] = po_make(po, i % 2 ? "ada@example.com" : NULL,
				 "[{\"sku\":\"TEE-RED-S\",\"quantity\":1,"
				 "\"expectedCost\":5},{\"sku\":\"BAG-TOTE\","
				 "\"quantity\":2,\"expectedCost\":8}]",
				 NULL);
	}
	fx_ctl_ok(fx, "POST", "/faults",
		  "{\"platform\":\"dsco\",\"rate\":0.3,\"seed\":13,"
		  "\"kinds\":[\"503\",\"500\",\"429\",\"drop\",\"truncate\"]}");
	w.ids = (const char *const *)ids;
	w.n = NPO;
	for (round = 0; round < 12 && !all_imported(&w); round++) {
		fx_passes(fx, 3, 30);
		assert_int_equal(flow_fixture_restart_worker(fx), 0);
		/* operator retries of whatever waits for one */
		ps_store_log_retry_failed(&i, fx->st, "order_import_dsco",
					  flow_fixture_now_ms());
	}
	fx_ctl_ok(fx, "POST", "/faults", "{\"platform\":\"dsco\",\"rate\":0}");
	wait_imported((const char *const *)ids, NPO);
	for (i = 0; i < NPO; i++) {
		assert_int_equal(bp_orders_for(ids[i], NULL), 1);
		assert_int_equal(ack_count(ids[i]), 1);
		free(ids[i]);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_import_mix),
		cmocka_unit_test(test_customer_map),
		cmocka_unit_test(test_bad_po_in_window),
		cmocka_unit_test(test_cancels),
		cmocka_unit_test(test_faults_restarts),
	};

	return cmocka_run_group_tests(tests, group_setup,
				      flow_fixture_teardown);
}
