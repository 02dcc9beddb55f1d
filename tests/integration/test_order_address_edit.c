/*
 * test_order_address_edit.c - billing and shipping addresses edited in
 * BigCommerce after the order import, end to end: the worker with every
 * flow and its webhook listener on, against pearlsync-sandbox.  The test
 * edits the addresses through the BigCommerce API the sandbox serves, as
 * the merchant's control panel does, and reads the Brightpearl order from
 * the sandbox's own state (/_sandbox/brightpearl/orders).
 *
 * - by webhook: polls are an hour apart, so only the store/order/updated
 *   webhook can carry the edit (worker ticks, no forced poll);
 * - by poll: BigCommerce deliveries are all dropped and the poll finds the
 *   edit (entry "address:<hash>");
 * - after the Brightpearl order is shipped or invoiced: the entry fails
 *   naming the changed fields, the Brightpearl order keeps its address,
 *   and a later status edit of the same order still goes through;
 * - the sandbox's sales-order PUT refuses what the documentation says it
 *   refuses (a stale or missing If-Match, an invoiced order's rows), and
 *   the connector reads the order again after a 412.
 */
#define _DEFAULT_SOURCE
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "flow_fixture.h"
#include "pearlsync/log.h"

#define DEADLINE_MS 20000

static flow_fixture fx;

/* The merchant edits BigCommerce order id through the v2 API. */
static void
bc_put(const char *path, const char *body)
{
	static const char *const h[] = {"X-Auth-Token: sandbox-token",
					"Content-Type: application/json",
					"Accept: application/json", NULL};
	char p[256];
	long status;

	snprintf(p, sizeof(p), "/stores/sandbox/v2%s", path);
	status = fx_api(NULL, &fx, "bigcommerce", "PUT", p, h, body);
	if (status != 200)
		fprintf(stderr, "PUT %s -> %ld\n", p, status);
	assert_int_equal(status, 200);
}

static int
imported(int64_t bc_id)
{
	return fx_bp_order_of(&fx, bc_id) > 0;
}

/* parties.<party>.<field> of Brightpearl order bp_id, copied; "" when
 * absent. */
static char *
bp_field(int64_t bp_id, const char *party, const char *field)
{
	json_t *o = fx_bp_order(&fx, bp_id);
	const char *v = json_string_value(json_object_get(
		json_object_get(json_object_get(o, "parties"), party), field));
	char *out = strdup(v ? v : "");

	json_decref(o);
	return out;
}

static int
bp_field_is(int64_t bp_id, const char *party, const char *field,
	    const char *want)
{
	char *v = bp_field(bp_id, party, field);
	int ok = strcmp(v, want) == 0;

	free(v);
	return ok;
}

static int64_t
place_order(const char *street)
{
	int64_t id;

	id = fx_bc_order_place_at(&fx, street,
				  "[{\"sku\":\"TEE-BLU-M\",\"quantity\":1},"
				  "{\"sku\":\"MUG-LOGO\",\"quantity\":2}]",
				  "\"status_id\":11");
	assert_true(fx_rounds_until(&fx, imported, id, DEADLINE_MS));
	return id;
}

/* The id of BigCommerce order id's first shipping address. */
static int64_t
bc_address_id(int64_t id)
{
	json_t *r = fx_bc_order(&fx, id);
	int64_t aid;

	aid = json_integer_value(json_object_get(
		json_array_get(json_object_get(r, "shipping_addresses"), 0),
		"id"));
	json_decref(r);
	assert_true(aid > 0);
	return aid;
}

/* The merchant moves the parcel and corrects the billing address. */
static void
edit_addresses(int64_t id, const char *ship_street, const char *ship_zip,
	       const char *bill_city)
{
	char p[128], body[512];

	snprintf(p, sizeof(p),
		 "/orders/%" PRId64 "/shipping_addresses/%" PRId64, id,
		 bc_address_id(id));
	snprintf(body, sizeof(body),
		 "{\"first_name\":\"Grace\",\"last_name\":\"H\","
		 "\"street_1\":\"%s\",\"zip\":\"%s\"}",
		 ship_street, ship_zip);
	bc_put(p, body);
	if (bill_city) {
		snprintf(p, sizeof(p), "/orders/%" PRId64, id);
		snprintf(body, sizeof(body),
			 "{\"billing_address\":{\"city\":\"%s\"}}", bill_city);
		bc_put(p, body);
	}
}

/* The log entry of order bc_id whose key contains kind ("updated:",
 * "address:"), with the given status; 1 when there is one.  Its detail
 * or reason is copied to *text (may be NULL). */
static int
entry_of(int64_t bc_id, const char *kind, ps_entry_status status, char **text)
{
	ps_log_query q = PS_LOG_QUERY_INIT;
	ps_log_entry *rows = NULL;
	char prefix[64];
	size_t n = 0, i;
	int found = 0;

	snprintf(prefix, sizeof(prefix), "bc:order:%" PRId64 ":%s", bc_id,
		 kind);
	assert_int_equal(ps_store_log_list(&rows, &n, fx.st, &q), 0);
	for (i = 0; i < n && !found; i++) {
		const char *t;

		if (strncmp(rows[i].dedupe_key, prefix, strlen(prefix)) != 0 ||
		    rows[i].status != status)
			continue;
		t = status == PS_ENTRY_FAILED ? rows[i].reason : rows[i].detail;
		if (text)
			*text = strdup(t ? t : "");
		found = 1;
	}
	ps_log_entries_free(rows, n);
	return found;
}

/* The id of order bc_id's failed entry, 0 when none. */
static int64_t
failed_entry_id(int64_t bc_id)
{
	ps_log_query q = PS_LOG_QUERY_INIT;
	ps_log_entry *rows = NULL;
	char prefix[64];
	size_t n = 0, i;
	int64_t id = 0;

	snprintf(prefix, sizeof(prefix), "bc:order:%" PRId64 ":", bc_id);
	q.status = PS_ENTRY_FAILED;
	assert_int_equal(ps_store_log_list(&rows, &n, fx.st, &q), 0);
	for (i = 0; i < n; i++)
		if (strncmp(rows[i].dedupe_key, prefix, strlen(prefix)) == 0)
			id = rows[i].id;
	ps_log_entries_free(rows, n);
	return id;
}

/* Drop every BigCommerce webhook delivery (on) or none. */
static void
drop_bc_deliveries(int on)
{
	fx_ctl_ok(&fx, "POST", "/webhooks",
		  on ? "{\"platform\":\"bigcommerce\",\"drop_rate\":1.0}"
		     : "{\"platform\":\"bigcommerce\",\"drop_rate\":0}");
}

/* ---- checks ------------------------------------------------------------- */

static const char *want_street;

static int
delivery_street_is(int64_t bp_id)
{
	return bp_field_is(bp_id, "delivery", "addressLine1", want_street);
}

static int
address_entry_failed(int64_t bc_id)
{
	return entry_of(bc_id, "", PS_ENTRY_FAILED, NULL);
}

static int
bp_status_is(int64_t arg)
{
	json_t *o = fx_bp_order(&fx, arg / 100);
	int ok = json_integer_value(json_object_get(
			 json_object_get(o, "orderStatus"), "orderStatusId")) ==
		 arg % 100;

	json_decref(o);
	return ok;
}

/* ---- tests -------------------------------------------------------------- */

static void
test_address_edit_by_webhook_updates_brightpearl(void **state)
{
	int64_t id, bp_id;

	(void)state;
	id = place_order("1 Old Road");
	bp_id = fx_bp_order_of(&fx, id);
	/* the import itself sends the names */
	assert_true(bp_field_is(bp_id, "billing", "addressFullName", "Ada L"));
	assert_true(
		bp_field_is(bp_id, "delivery", "addressLine1", "1 Old Road"));

	edit_addresses(id, "9 New Street", "54321", "Newtown");
	want_street = "9 New Street";
	assert_true(fx_ticks_until(&fx, delivery_street_is, bp_id,
				   DEADLINE_MS)); /* ticks only */
	assert_true(bp_field_is(bp_id, "delivery", "postalCode", "54321"));
	assert_true(
		bp_field_is(bp_id, "delivery", "addressFullName", "Grace H"));
	assert_true(bp_field_is(bp_id, "billing", "addressLine3", "Newtown"));
	assert_true(
		bp_field_is(bp_id, "billing", "addressLine1", "1 Old Road"));
	/* the rest of the order is as it was */
	{
		json_t *o = fx_bp_order(&fx, bp_id),
		       *r = json_object_get(o, "orderRows");
		const char *k;
		json_t *row;
		size_t lines = 0;

		json_object_foreach (r, k, row)
			lines += json_integer_value(
					 json_object_get(row, "productId")) > 0;
		assert_int_equal(lines, 2);
		assert_true(
			json_integer_value(json_object_get(
				json_object_get(json_object_get(o, "parties"),
						"customer"),
				"contactId")) > 0);
		json_decref(o);
	}
	/* a webhook's entry carried it, and its detail names the fields */
	{
		ps_log_query q = PS_LOG_QUERY_INIT;
		ps_log_entry *rows = NULL;
		size_t n = 0, i, named = 0;

		assert_int_equal(ps_store_log_list(&rows, &n, fx.st, &q), 0);
		for (i = 0; i < n; i++)
			if (rows[i].detail &&
			    strstr(rows[i].detail,
				   "delivery address (name, street, "
				   "postcode) updated")) {
				assert_non_null(strstr(rows[i].dedupe_key,
						       ":updated:"));
				assert_int_equal(rows[i].status,
						 PS_ENTRY_SYNCED);
				named++;
			}
		ps_log_entries_free(rows, n);
		assert_int_equal(named, 1);
	}
	assert_int_equal(fx_failed_entries(&fx), 0);
}

static void
test_address_edit_by_poll_updates_brightpearl(void **state)
{
	int64_t id, bp_id;
	char *detail = NULL;

	(void)state;
	id = place_order("2 Old Road");
	bp_id = fx_bp_order_of(&fx, id);
	drop_bc_deliveries(1);
	edit_addresses(id, "7 Poll Lane", "11111", NULL);
	want_street = "7 Poll Lane";
	assert_true(
		fx_rounds_until(&fx, delivery_street_is, bp_id, DEADLINE_MS));
	drop_bc_deliveries(0);
	assert_true(bp_field_is(bp_id, "delivery", "postalCode", "11111"));
	assert_true(entry_of(id, "address:", PS_ENTRY_SYNCED, &detail));
	assert_non_null(strstr(detail, "delivery address ("));
	free(detail);
	assert_int_equal(fx_failed_entries(&fx), 0);
}

/* ---- the sales-order PUT itself ----------------------------------------- */

/* PUT /sales-order/{id} with body and If-Match if_match (NULL: none). */
static long
so_put(int64_t bp_id, const char *if_match, const char *body)
{
	char path[128], im[64];
	const char *h[6];
	size_t n = 0;

	h[n++] = "brightpearl-app-ref: sandbox_pearlsync";
	h[n++] = "brightpearl-account-token: sandbox-token";
	h[n++] = "Content-Type: application/json";
	if (if_match) {
		snprintf(im, sizeof(im), "If-Match: %s", if_match);
		h[n++] = im;
	}
	h[n] = NULL;
	snprintf(path, sizeof(path),
		 "/public-api/sandbox/order-service/sales-order/%" PRId64,
		 bp_id);
	return fx_api(NULL, &fx, "brightpearl", "PUT", path, h, body);
}

/* The sales-order GET of bp_id: its one order (new reference). */
static json_t *
so_get(int64_t bp_id)
{
	static const char *const h[] = {
		"brightpearl-app-ref: sandbox_pearlsync",
		"brightpearl-account-token: sandbox-token", NULL};
	char path[128];
	json_t *r = NULL, *o;

	snprintf(path, sizeof(path),
		 "/public-api/sandbox/order-service/sales-order/%" PRId64,
		 bp_id);
	assert_int_equal(fx_api(&r, &fx, "brightpearl", "GET", path, h, NULL),
			 200);
	o = json_incref(json_array_get(json_object_get(r, "response"), 0));
	json_decref(r);
	assert_non_null(o);
	return o;
}

/* Shipped (lock "ship") or invoiced ("invoice") before the edit. */
static void
edit_after(const char *lock, const char *state_word)
{
	int64_t id, bp_id;
	char body[256], *reason = NULL, *before_zip;

	id = place_order("3 Old Road");
	bp_id = fx_bp_order_of(&fx, id);
	snprintf(body, sizeof(body), "{\"orderId\":%" PRId64 "}", bp_id);
	fx_ctl_ok(&fx, "POST",
		  strcmp(lock, "ship") == 0 ? "/brightpearl/ship"
					    : "/brightpearl/invoice",
		  body);
	fx_round(&fx);
	before_zip = bp_field(bp_id, "delivery", "postalCode");
	edit_addresses(id, "8 Too Late Road", "99999", NULL);
	assert_true(
		fx_rounds_until(&fx, address_entry_failed, id, DEADLINE_MS));
	assert_true(entry_of(id, "", PS_ENTRY_FAILED, &reason));
	fprintf(stderr, "reason: %s\n", reason);
	assert_non_null(strstr(reason, "delivery address (name, street, "
				       "postcode)"));
	assert_non_null(strstr(reason, state_word));
	assert_non_null(strstr(reason, "by hand"));
	free(reason);
	/* Brightpearl keeps its address */
	assert_true(
		bp_field_is(bp_id, "delivery", "addressLine1", "3 Old Road"));
	assert_true(bp_field_is(bp_id, "delivery", "postalCode", before_zip));
	free(before_zip);

	/* retried as it is: refused again, still naming the fields */
	{
		int64_t eid = failed_entry_id(id);

		assert_true(eid > 0);
		assert_int_equal(
			ps_store_log_retry(fx.st, eid, flow_fixture_now_ms()),
			0);
		fx_round(&fx);
		assert_int_equal(failed_entry_id(id), eid);
		assert_true(entry_of(id, "", PS_ENTRY_FAILED, &reason));
		assert_non_null(strstr(reason, "delivery address (name, "
					       "street, postcode)"));
		free(reason);
		reason = NULL;
		assert_true(bp_field_is(bp_id, "delivery", "addressLine1",
					"3 Old Road"));
	}

	/* a later status edit of the same order is not held up */
	snprintf(body, sizeof(body), "/bigcommerce/orders/%" PRId64 "/status",
		 id);
	fx_ctl_ok(&fx, "POST", body, "{\"status_id\":9}");
	assert_true(fx_rounds_until(&fx, bp_status_is, bp_id * 100 + 7,
				    DEADLINE_MS));
	assert_true(entry_of(id, "status:9", PS_ENTRY_SYNCED, NULL));
	assert_true(
		bp_field_is(bp_id, "delivery", "addressLine1", "3 Old Road"));

	/* the operator corrects Brightpearl by hand and retries: done */
	{
		int64_t eid = failed_entry_id(id);
		json_t *so = so_get(bp_id), *a;
		char v[32], *b;

		a = json_object_get(json_object_get(so, "delivery"), "address");
		json_object_set_new(a, "addressFullName",
				    json_string("Grace H"));
		json_object_set_new(a, "addressLine1",
				    json_string("8 Too Late Road"));
		json_object_set_new(a, "postalCode", json_string("99999"));
		snprintf(v, sizeof(v), "%" PRId64,
			 (int64_t)json_integer_value(
				 json_object_get(so, "version")));
		b = json_dumps(so, JSON_COMPACT);
		assert_int_equal(so_put(bp_id, v, b), 200);
		free(b);
		json_decref(so);
		assert_int_equal(
			ps_store_log_retry(fx.st, eid, flow_fixture_now_ms()),
			0);
		fx_round(&fx);
		assert_int_equal(failed_entry_id(id), 0);
	}
}

static void
test_address_edit_after_shipping_fails_naming_fields(void **state)
{
	(void)state;
	edit_after("ship", "shipped");
}

static void
test_address_edit_after_invoicing_fails_naming_fields(void **state)
{
	(void)state;
	edit_after("invoice", "invoiced");
}

static void
test_sandbox_sales_order_put_refuses_what_the_docs_refuse(void **state)
{
	int64_t id, bp_id, version;
	json_t *o, *rows;
	char *body, v[32], old[32];

	(void)state;
	id = place_order("4 Old Road");
	bp_id = fx_bp_order_of(&fx, id);
	o = so_get(bp_id);
	version = json_integer_value(json_object_get(o, "version"));
	assert_true(version > 0); /* the GET hands out the version */
	json_object_set_new(
		json_object_get(json_object_get(o, "delivery"), "address"),
		"addressLine1", json_string("5 Put Street"));
	body = json_dumps(o, JSON_COMPACT);
	snprintf(v, sizeof(v), "%" PRId64, version);
	snprintf(old, sizeof(old), "%" PRId64, version - 1);
	assert_int_equal(so_put(bp_id, NULL, body), 412);
	assert_int_equal(so_put(bp_id, old, body), 412);
	assert_int_equal(so_put(bp_id, "x", body), 412);
	assert_true(
		bp_field_is(bp_id, "delivery", "addressLine1", "4 Old Road"));
	assert_int_equal(so_put(bp_id, v, body), 200);
	assert_true(
		bp_field_is(bp_id, "delivery", "addressLine1", "5 Put Street"));
	/* the same version again is stale now */
	assert_int_equal(so_put(bp_id, v, body), 412);
	free(body);
	json_decref(o);

	/* invoiced: the same rows, each with its id */
	{
		char b[64];

		snprintf(b, sizeof(b), "{\"orderId\":%" PRId64 "}", bp_id);
		fx_ctl_ok(&fx, "POST", "/brightpearl/invoice", b);
	}
	o = so_get(bp_id);
	assert_non_null(json_object_get(json_object_get(o, "invoice"),
					"invoiceReference"));
	snprintf(v, sizeof(v), "%" PRId64,
		 (int64_t)json_integer_value(json_object_get(o, "version")));
	rows = json_object_get(o, "rows");
	assert_true(json_array_size(rows) >= 2);
	json_array_remove(rows, 0);
	body = json_dumps(o, JSON_COMPACT);
	assert_int_equal(so_put(bp_id, v, body), 400);
	free(body);
	json_object_del(json_array_get(rows, 0), "id");
	body = json_dumps(o, JSON_COMPACT);
	assert_int_equal(so_put(bp_id, v, body), 400);
	free(body);
	json_decref(o);
	/* the whole order back, changed only in its address: accepted */
	o = so_get(bp_id);
	json_object_set_new(
		json_object_get(json_object_get(o, "delivery"), "address"),
		"addressLine1", json_string("6 Invoiced Way"));
	body = json_dumps(o, JSON_COMPACT);
	assert_int_equal(so_put(bp_id, v, body), 200);
	free(body);
	json_decref(o);
	assert_true(bp_field_is(bp_id, "delivery", "addressLine1",
				"6 Invoiced Way"));
}

static void
test_connector_reads_again_after_412(void **state)
{
	ps_bp_sales_order so;
	ps_bp_address d;
	int64_t id, bp_id, v0;
	json_t *req;
	char body[128];

	(void)state;
	id = place_order("10 Race Road");
	bp_id = fx_bp_order_of(&fx, id);
	assert_int_equal(ps_bp_sales_order_get(&so, fx.bp, bp_id), 0);
	v0 = so.version;
	assert_false(so.invoiced);
	assert_string_equal(so.shipping_status, "SNS");
	assert_string_equal(so.delivery.line1, "10 Race Road");
	/* the merchant changes the order meanwhile */
	snprintf(body, sizeof(body), "{\"orderId\":%" PRId64 ",\"statusId\":3}",
		 bp_id);
	fx_ctl_ok(&fx, "POST", "/brightpearl/order-status", body);
	fx_ctl_ok(&fx, "POST", "/requests/reset", "{}");
	d = so.delivery;
	d.line1 = "11 Race Road";
	assert_int_equal(ps_bp_sales_order_addresses_set(fx.bp, &so, NULL, &d),
			 0);
	assert_true(so.version > v0); /* it read the order again */
	req = fx_ctl(&fx, "GET", "/requests", NULL);
	{
		json_t *ep = json_object_get(
			json_object_get(req, "brightpearl"), "endpoints");

		assert_int_equal(
			json_integer_value(json_object_get(
				ep, "PUT /order-service/sales-order/{id}")),
			2);
		assert_int_equal(
			json_integer_value(json_object_get(
				ep, "GET /order-service/sales-order/{idset}")),
			1);
	}
	json_decref(req);
	ps_bp_sales_order_dispose(&so);
	assert_true(
		bp_field_is(bp_id, "delivery", "addressLine1", "11 Race Road"));
	assert_true(bp_status_is(bp_id * 100 + 3)); /* not undone */
}

/* ---- fixture ------------------------------------------------------------ */

static int
setup(void **state)
{
	*state = &fx;
	if (flow_fixture_open(&fx, NULL) < 0)
		return -1;
	ps_log_set_level(PS_LOG_ERROR);

	/* only a webhook or a forced pass (run_once) reads BigCommerce */
	if (flow_fixture_setup_steps(&fx) < 0 ||
	    flow_fixture_set(&fx, "sync.poll_interval_seconds", "3600") < 0 ||
	    flow_fixture_start_worker(&fx, NULL) < 0)
		return -1;
	if (ps_worker_run_once(fx.worker, NULL) < 0)
		return -1;
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_address_edit_by_webhook_updates_brightpearl),
		cmocka_unit_test(test_address_edit_by_poll_updates_brightpearl),
		cmocka_unit_test(
			test_address_edit_after_shipping_fails_naming_fields),
		cmocka_unit_test(
			test_address_edit_after_invoicing_fails_naming_fields),
		cmocka_unit_test(
			test_sandbox_sales_order_put_refuses_what_the_docs_refuse),
		cmocka_unit_test(test_connector_reads_again_after_412),
	};

	return cmocka_run_group_tests(tests, setup, flow_fixture_teardown);
}
