/*
 * test_connector_bp.c - every Brightpearl connector operation end to end
 * against pearlsync-sandbox: once cleanly, once with 30% of the sandbox's
 * replies faulted (every operation must still succeed, and nothing may be
 * created twice), with refused credentials, and with a check that the
 * token never reaches the log.
 *
 * The sandbox runs as a child process on an ephemeral port with quotas off
 * (its throttling is exercised by the HTTP client's own tests).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pearlsync/brightpearl.h"
#include "pearlsync/http.h"
#include "pearlsync/log.h"
#include "sandbox_proc.h"

#define TOKEN "sandbox-token"
#define BAD_TOKEN "wrong-token-0000"
#define INSTANCE 7

/* ---- the sandbox process ------------------------------------------ */

static sandbox_proc sb;
static char sb_root[256]; /* http://127.0.0.1:PORT */
static char bp_base[300]; /* .../brightpearl */
static FILE *log_capture; /* everything ps_log wrote */

static int
sandbox_start(void)
{
	static const char *const args[] = {"--seed", "demo", "--quota", "off",
					   NULL};
	const char *url;

	if (sandbox_proc_start(&sb, args, 15000) < 0)
		return -1;
	url = sandbox_proc_url(&sb, "brightpearl");
	if (url == NULL)
		return -1;
	snprintf(bp_base, sizeof(bp_base), "%s", url);
	snprintf(sb_root, sizeof(sb_root), "%s", sb.base);
	return 0;
}

static void
sandbox_stop(void)
{
	if (sb.pid > 0)
		sandbox_proc_stop(&sb);
}

static const char *const auth_headers[] = {
	"brightpearl-app-ref: sandbox_pearlsync",
	"brightpearl-account-token: " TOKEN, NULL};

/* A raw request to the sandbox (control API, or test setup). */
static long
raw(const char *method, const char *url, const char *body, int with_auth)
{
	sandbox_reply r;
	long status;

	status = sandbox_http(&r, method, url, with_auth ? auth_headers : NULL,
			      body, NULL);
	sandbox_reply_dispose(&r);
	return status;
}

/* GET url (authenticated as the sandbox app) and parse the reply. */
static json_t *
raw_get_json(const char *url)
{
	sandbox_reply r;
	json_t *j;

	assert_int_equal(sandbox_http(&r, "GET", url, auth_headers, NULL, NULL),
			 200);
	j = json_loadb(r.body, r.body_len, 0, NULL);
	assert_non_null(j);
	sandbox_reply_dispose(&r);
	return j;
}

static void
set_faults(double rate)
{
	const char *seed = getenv("PS_TEST_FAULT_SEED"); /* for soak runs */
	char url[400], body[256];

	snprintf(url, sizeof(url), "%s/_sandbox/faults", sb_root);
	snprintf(body, sizeof(body),
		 "{\"platform\":\"brightpearl\",\"rate\":%.2f,\"seed\":%s,"
		 "\"kinds\":[\"429\",\"503\",\"500\",\"drop\",\"truncate\","
		 "\"invalid\"]}",
		 rate, seed != NULL ? seed : "4242");
	assert_int_equal(raw("POST", url, body, 0), 200);
}

/* ---- fixtures ----------------------------------------------------------- */

typedef struct ctx {
	ps_http *http; /* for the connector */
	ps_bp *bp;
} ctx;

static ps_bp *
new_bp(ps_http *h, const char *token, ps_bp_auth auth, int idset_max,
       int page_size)
{
	ps_bp_options o = PS_BP_OPTIONS_INIT;
	ps_bp *bp = NULL;

	o.base_url = bp_base;
	o.account = "sandbox";
	o.app_ref = "sandbox_pearlsync";
	o.token = token;
	o.auth = auth;
	if (auth == PS_BP_AUTH_OAUTH)
		o.dev_ref = "sandbox_dev";
	o.instance_id = INSTANCE;
	o.idset_max = idset_max;
	o.page_size = page_size;
	assert_int_equal(ps_bp_new(&bp, h, &o), 0);
	return bp;
}

static int
group_setup(void **state)
{
	ps_http_options ho = PS_HTTP_OPTIONS_INIT;
	ctx *c = calloc(1, sizeof(*c));

	if (c == NULL || sandbox_start() < 0)
		return -1;
	log_capture = tmpfile();
	if (log_capture == NULL)
		return -1;
	ps_log_set_stream(log_capture);
	ps_log_set_level(PS_LOG_DEBUG);
	/* a generous attempt budget with tiny waits: faults stay quick */
	ho.max_attempts = 12;
	ho.backoff_base_ms = 2;
	ho.backoff_cap_ms = 20;
	ho.max_wait_ms = 50;
	ho.connect_timeout_ms = 2000;
	ho.total_timeout_ms = 5000;
	if (ps_http_new(&c->http, &ho) < 0)
		return -1;
	c->bp = new_bp(c->http, TOKEN, PS_BP_AUTH_PRIVATE, 200, 500);
	*state = c;
	return 0;
}

static int
group_teardown(void **state)
{
	ctx *c = *state;

	sandbox_stop();
	ps_bp_free(c->bp);
	ps_http_free(c->http);
	free(c);
	ps_log_set_stream(NULL);
	if (log_capture != NULL)
		fclose(log_capture);
	return 0;
}

/* ---- every operation, as one scenario ----------------------------------- */

static int64_t
ref_find(ps_bp *bp, ps_bp_ref_kind kind, const char *name)
{
	ps_bp_ref_list l;
	int64_t id = -1;
	size_t i;

	assert_int_equal(ps_bp_ref_list_get(&l, bp, kind), 0);
	assert_true(l.n > 0);
	for (i = 0; i < l.n; i++)
		if (l.items[i].name != NULL &&
		    strcmp(l.items[i].name, name) == 0)
			id = l.items[i].id;
	ps_bp_ref_list_dispose(&l);
	return id;
}

/*
 * Run every operation once with references unique to tag, asserting each
 * result.  Used clean and under faults.
 */
static void
every_operation(ctx *c, const char *tag)
{
	ps_bp *bp = c->bp;
	char ext[64], email[96], text[96], tref[64];
	int64_t product_id, contact_id, order_id, again_id, found_id, id,
		note_id, pay_id, pay_again, hook_id;
	int existed;
	ps_bp_product_list pl;
	ps_bp_stock_list sl;
	ps_bp_ids ids;
	ps_bp_contact_list cl;
	ps_bp_order_list ol;
	ps_bp_note_list nl;
	ps_bp_field_meta_list fl;
	ps_bp_webhook_list wl;
	ps_bp_gon_list gl;
	ps_bp_ref_list rl;
	char *name = NULL;
	size_t i;
	int matches;

	/* connection and reference data */
	assert_int_equal(ps_bp_check_connection(&name, bp), 0);
	assert_string_equal(name, "sandbox");
	free(name);
	assert_int_equal(ref_find(bp, PS_BP_REF_WAREHOUSE, "Main warehouse"),
			 2);
	assert_true(ref_find(bp, PS_BP_REF_ORDER_STATUS, "New web order") > 0);
	assert_true(ref_find(bp, PS_BP_REF_CHANNEL, "BigCommerce store") > 0);
	assert_true(ref_find(bp, PS_BP_REF_LEAD_SOURCE, "Web") > 0);
	assert_true(ref_find(bp, PS_BP_REF_PROJECT, "Online sales") > 0);
	assert_int_equal(
		ref_find(bp, PS_BP_REF_SHIPPING_METHOD, "Standard shipping"),
		6);
	assert_true(ref_find(bp, PS_BP_REF_PRICE_LIST, "Retail USD") > 0);
	assert_int_equal(ps_bp_ref_list_get(&rl, bp, PS_BP_REF_PAYMENT_METHOD),
			 0);
	assert_true(rl.n >= 1);
	assert_string_equal(rl.items[0].code, "BIGCOMMERCE");
	ps_bp_ref_list_dispose(&rl);

	/* products and stock */
	assert_int_equal(
		ps_bp_product_find(&pl, bp, PS_BP_IDENTITY_SKU, "TEE-RED-M"),
		0);
	assert_int_equal(pl.n, 1);
	product_id = pl.items[0].id;
	assert_string_equal(pl.items[0].sku, "TEE-RED-M");
	ps_bp_product_list_dispose(&pl);
	assert_int_equal(ps_bp_product_find(&pl, bp, PS_BP_IDENTITY_EAN,
					    "0000000000000"),
			 0);
	assert_int_equal(pl.n, 0);
	ps_bp_product_list_dispose(&pl);
	{
		int64_t pids[] = {product_id, product_id + 1, 999999};

		assert_int_equal(ps_bp_product_get(&pl, bp, pids, 3), 0);
		assert_int_equal(pl.n, 2);
		assert_int_equal(pl.items[0].id, product_id);
		assert_string_equal(pl.items[0].sku, "TEE-RED-M");
		assert_true(pl.items[0].stock_tracked);
		ps_bp_product_list_dispose(&pl);
		assert_int_equal(ps_bp_availability_get(&sl, bp, pids, 2), 0);
		assert_true(sl.n >= 2);
		assert_int_equal(sl.items[0].product_id, product_id);
		assert_int_equal(sl.items[0].warehouse_id, 0);
		assert_true(sl.items[0].on_hand > 0);
		ps_bp_stock_list_dispose(&sl);
	}

	/* contacts */
	snprintf(email, sizeof(email), "grace.%s@example.com", tag);
	assert_int_equal(ps_bp_contact_find_email(&ids, bp, email), 0);
	assert_int_equal(ids.n, 0);
	ps_bp_ids_dispose(&ids);
	{
		ps_bp_contact nc = {0};

		nc.first_name = "Grace";
		nc.last_name = "Hopper";
		nc.email = email;
		nc.telephone = "555-0100";
		nc.address.line1 = "1 Compiler Street";
		nc.address.line3 = "Arlington";
		nc.address.postal_code = "22201";
		nc.address.country_iso = "USA";
		assert_int_equal(ps_bp_contact_create(&contact_id, bp, &nc), 0);
		assert_true(contact_id > 0);
	}
	assert_int_equal(ps_bp_contact_find_email(&ids, bp, email), 0);
	assert_int_equal(ids.n, 1);
	assert_int_equal(ids.ids[0], contact_id);
	ps_bp_ids_dispose(&ids);
	{
		ps_bp_contact up = {0};

		up.first_name = "Amazing Grace";
		assert_int_equal(ps_bp_contact_update(bp, contact_id, &up), 0);
	}
	assert_int_equal(ps_bp_contact_get(&cl, bp, &contact_id, 1), 0);
	assert_int_equal(cl.n, 1);
	assert_string_equal(cl.items[0].first_name, "Amazing Grace");
	assert_string_equal(cl.items[0].last_name, "Hopper");
	assert_string_equal(cl.items[0].email, email);
	ps_bp_contact_list_dispose(&cl);
	/* a phone the contact never had is added (the sandbox, like
	 * JSON-Patch, refuses a replace of a missing member), with and
	 * without a stale idea of the contact */
	{
		ps_bp_contact nc = {0}, up = {0}, stale = {0};
		int64_t cid = 0;
		char em2[96];

		snprintf(em2, sizeof(em2), "nophone.%s@example.com", tag);
		nc.first_name = "Joan";
		nc.last_name = "Clarke";
		nc.email = em2;
		assert_int_equal(ps_bp_contact_create(&cid, bp, &nc), 0);
		up.telephone = "01908 640404";
		up.mobile = "07700 900123";
		assert_int_equal(ps_bp_contact_update(bp, cid, &up), 0);
		assert_int_equal(ps_bp_contact_get(&cl, bp, &cid, 1), 0);
		assert_string_equal(cl.items[0].telephone, "01908 640404");
		assert_string_equal(cl.items[0].mobile, "07700 900123");
		ps_bp_contact_list_dispose(&cl);
		/* a caller whose idea of a contact is stale (a phone it
		 * does not have) sends a replace, which is refused; the
		 * update then reads the contact and adds the phone */
		snprintf(em2, sizeof(em2), "stale.%s@example.com", tag);
		assert_int_equal(ps_bp_contact_create(&cid, bp, &nc), 0);
		stale.first_name = "Joan";
		stale.telephone = "000"; /* it has none */
		up.mobile = NULL;
		assert_int_equal(
			ps_bp_contact_update_from(bp, cid, &stale, &up), 0);
		assert_int_equal(ps_bp_contact_get(&cl, bp, &cid, 1), 0);
		assert_string_equal(cl.items[0].telephone, "01908 640404");
		ps_bp_contact_list_dispose(&cl);
	}

	/* orders */
	snprintf(ext, sizeof(ext), "bc-%s-1", tag);
	{
		ps_bp_order_row rows[2] = {{0}};
		ps_bp_order o = {0};

		rows[0].product_id = product_id;
		rows[0].name = "Classic tee red M";
		rows[0].quantity = 2;
		rows[0].net = ps_money_from_cents(3800);
		rows[0].tax = ps_money_from_cents(304);
		rows[0].tax_code = "T";
		rows[1].name = "Shipping";
		rows[1].quantity = 1;
		rows[1].net = ps_money_from_cents(595);
		rows[1].tax_code = "N";
		o.customer_id = contact_id;
		o.external_ref = ext;
		o.ref = "#1001";
		o.status_id = 2;
		o.warehouse_id = 2;
		o.channel_id = 1;
		o.lead_source_id = 1;
		o.project_id = 1;
		o.price_list_id = 1;
		o.currency = "USD";
		o.shipping_method_id = 6;
		o.delivery.full_name = "Grace Hopper";
		o.delivery.line1 = "1 Compiler Street";
		o.delivery.country_iso = "USA";
		o.rows = rows;
		o.nrows = 2;
		assert_int_equal(
			ps_bp_order_create(&order_id, &existed, bp, &o), 0);
		assert_true(order_id > 0);
		/* the duplicate guard: same externalRef, same order */
		assert_int_equal(
			ps_bp_order_create(&again_id, &existed, bp, &o), 0);
		assert_int_equal(again_id, order_id);
	}
	assert_int_equal(ps_bp_order_find_external(&found_id, bp, ext), 0);
	assert_int_equal(found_id, order_id);
	assert_int_equal(ps_bp_order_get(&ol, bp, &order_id, 1), 0);
	assert_int_equal(ol.n, 1);
	assert_int_equal(ol.items[0].customer_id, contact_id);
	assert_int_equal(ol.items[0].status_id, 2);
	assert_int_equal(ol.items[0].channel_id, 1);
	assert_int_equal(ol.items[0].warehouse_id, 2);
	assert_int_equal(ol.items[0].shipping_method_id, 6);
	assert_string_equal(ol.items[0].ref, "#1001");
	assert_int_equal(ol.items[0].nrows, 2);
	assert_int_equal(ol.items[0].total_net, ps_money_from_cents(4395));
	assert_int_equal(ol.items[0].total_tax, ps_money_from_cents(304));
	assert_int_equal(ol.items[0].total, ps_money_from_cents(4699));
	ps_bp_order_list_dispose(&ol);

	assert_int_equal(
		ps_bp_order_status_set(bp, order_id, 3, "moved by the test"),
		0);
	assert_int_equal(ps_bp_order_get(&ol, bp, &order_id, 1), 0);
	assert_int_equal(ol.items[0].status_id, 3);
	ps_bp_order_list_dispose(&ol);

	/* notes */
	snprintf(text, sizeof(text), "Customer message %s", tag);
	assert_int_equal(ps_bp_note_add(&note_id, bp, order_id, text, 0), 0);
	assert_true(note_id > 0);
	assert_int_equal(ps_bp_note_list_get(&nl, bp, order_id), 0);
	matches = 0;
	for (i = 0; i < nl.n; i++)
		matches += strcmp(nl.items[i].text, text) == 0;
	assert_int_equal(matches, 1); /* never added twice */
	ps_bp_note_list_dispose(&nl);

	/* custom fields */
	assert_int_equal(ps_bp_custom_fields_list(&fl, bp), 0);
	assert_true(fl.n >= 3);
	ps_bp_field_meta_list_dispose(&fl);
	{
		ps_bp_field_value v[3] = {
			{"PCF_SOURCE", PS_BP_FIELD_TEXT, "BigCommerce", 0},
			{"PCF_GIFT", PS_BP_FIELD_SELECT, NULL, 160},
			{"PCF_PRIORITY", PS_BP_FIELD_YESNO, NULL, 1}};

		assert_int_equal(ps_bp_order_fields_set(bp, order_id, v, 3), 0);
	}

	/* reservation and payment */
	{
		ps_bp_order_list one;
		ps_bp_reservation_line line;

		assert_int_equal(ps_bp_order_get(&one, bp, &order_id, 1), 0);
		line.product_id = product_id;
		line.row_id = one.items[0].rows[0].product_id == product_id
				      ? one.items[0].rows[0].id
				      : one.items[0].rows[1].id;
		line.quantity = 2;
		ps_bp_order_list_dispose(&one);
		assert_int_equal(
			ps_bp_reservation_create(bp, order_id, 2, &line, 1), 0);
	}
	snprintf(tref, sizeof(tref), "txn-%s", tag);
	{
		ps_bp_payment p = {0};

		p.order_id = order_id;
		p.method_code = "BIGCOMMERCE";
		p.type = "RECEIPT";
		p.currency = "USD";
		p.amount = ps_money_from_cents(4699);
		p.transaction_ref = tref;
		p.payment_date = "2026-11-22T10:00:00Z";
		assert_int_equal(ps_bp_payment_create(&pay_id, bp, &p), 0);
		assert_true(pay_id > 0);
		/* the same transaction again is the same payment */
		assert_int_equal(ps_bp_payment_create(&pay_again, bp, &p), 0);
		assert_int_equal(pay_again, pay_id);
	}

	/* goods-out notes: none yet, then one made through the raw API */
	assert_int_equal(ps_bp_gon_for_order(&gl, bp, order_id), 0);
	assert_int_equal(gl.n, 0);
	ps_bp_gon_list_dispose(&gl);

	/* sales credits: none raised against the new order */
	assert_int_equal(ps_bp_credit_find(&ids, bp, order_id), 0);
	assert_int_equal(ids.n, 0);
	ps_bp_ids_dispose(&ids);

	/* webhooks */
	{
		ps_bp_webhook w = {0};
		char uri[128];

		snprintf(uri, sizeof(uri),
			 "http://127.0.0.1:1/hooks/%s?t=${resource-id}", tag);
		w.subscribe_to = "order.modified.order-status";
		w.http_method = "POST";
		w.uri_template = uri;
		w.body_template = "{\"id\":\"${resource-id}\"}";
		w.content_type = "application/json";
		w.id_set_accepted = 1;
		w.qos = 1;
		assert_int_equal(ps_bp_webhook_create(&hook_id, bp, &w), 0);
		assert_int_equal(ps_bp_webhook_list_get(&wl, bp), 0);
		matches = 0;
		for (i = 0; i < wl.n; i++)
			if (wl.items[i].id == hook_id) {
				matches++;
				assert_string_equal(wl.items[i].uri_template,
						    uri);
			}
		assert_int_equal(matches, 1);
		ps_bp_webhook_list_dispose(&wl);
		assert_int_equal(ps_bp_webhook_delete(bp, hook_id), 0);
	}

	/* a batch of status changes (idempotent writes) */
	{
		ps_bp_batch *b;

		assert_int_equal(ps_bp_batch_new(&b, bp), 0);
		for (i = 0; i < 12; i++)
			assert_int_equal(ps_bp_batch_status_set(b, order_id,
								i % 2 ? 3 : 2,
								NULL),
					 0);
		assert_int_equal(ps_bp_batch_send(b), 0);
		for (i = 0; i < 12; i++)
			assert_int_equal(ps_bp_batch_result_get(b, i)->error,
					 0);
		ps_bp_batch_free(b);
	}
	(void)id;
}

static void
test_connector_bp__every_operation(void **state)
{
	ctx *c = *state;

	every_operation(c, "clean");
}

/* How many search results the sandbox has for a query (raw GET). */
static int64_t
count_search(const char *path_and_query)
{
	char url[512];
	json_t *j;
	int64_t n;

	snprintf(url, sizeof(url), "%s/public-api/sandbox%s", bp_base,
		 path_and_query);
	j = raw_get_json(url);
	n = json_integer_value(json_object_get(
		json_object_get(json_object_get(j, "response"), "metaData"),
		"resultsAvailable"));
	json_decref(j);
	return n;
}

static void
test_connector_bp__every_operation_under_faults(void **state)
{
	static const char *const tags[] = {"faulty1", "faulty2", "faulty3"};
	ctx *c = *state;
	ps_bp_note_list nl;
	int64_t order_id, injected;
	char url[512], text[96];
	json_t *j;
	size_t i, k, msgs;

	set_faults(0.30);
	for (k = 0; k < 3; k++)
		every_operation(c, tags[k]);
	/* the faults were real: many replies were spoiled */
	snprintf(url, sizeof(url), "%s/_sandbox/faults", sb_root);
	j = raw_get_json(url);
	injected = json_integer_value(
		json_object_get(json_object_get(j, "brightpearl"), "injected"));
	json_decref(j);
	set_faults(0.0);
	assert_true(injected >= 30);

	/* nothing was created twice: one order, one note, one contact each */
	for (k = 0; k < 3; k++) {
		snprintf(url, sizeof(url),
			 "/order-service/order-search?externalRef=bc-%s-1",
			 tags[k]);
		assert_int_equal(count_search(url), 1);
		snprintf(url, sizeof(url),
			 "/contact-service/contact-search?primaryEmail="
			 "grace.%s%%40example.com",
			 tags[k]);
		assert_int_equal(count_search(url), 1);
		snprintf(url, sizeof(url), "bc-%s-1", tags[k]);
		assert_int_equal(
			ps_bp_order_find_external(&order_id, c->bp, url), 0);
		assert_int_equal(ps_bp_note_list_get(&nl, c->bp, order_id), 0);
		snprintf(text, sizeof(text), "Customer message %s", tags[k]);
		for (i = 0, msgs = 0; i < nl.n; i++)
			msgs += strcmp(nl.items[i].text, text) == 0;
		assert_int_equal(msgs, 1);
		ps_bp_note_list_dispose(&nl);
	}
}

static void
test_connector_bp__chunks_and_pages(void **state)
{
	ctx *c = *state;
	ps_bp *small = new_bp(c->http, TOKEN, PS_BP_AUTH_PRIVATE, 2, 1);
	int64_t ids[] = {1001, 1002, 1003, 1004, 1005};
	ps_bp_product_list pl;
	ps_bp_ids found;
	ps_bp_contact nc = {0};
	int64_t a, b;

	/* five products in id sets of two */
	assert_int_equal(ps_bp_product_get(&pl, small, ids, 5), 0);
	assert_int_equal(pl.n, 5);
	assert_int_equal(pl.items[4].id, 1005);
	ps_bp_product_list_dispose(&pl);

	/* two contacts sharing an email, read one row per page */
	nc.first_name = "Twin";
	nc.last_name = "One";
	nc.email = "twins@example.com";
	assert_int_equal(ps_bp_contact_create(&a, small, &nc), 0);
	nc.last_name = "Two";
	assert_int_equal(ps_bp_contact_create(&b, c->bp, &nc), 0);
	assert_int_equal(
		ps_bp_contact_find_email(&found, small, "TWINS@example.com"),
		0);
	assert_int_equal(found.n, 2);
	assert_int_equal(found.ids[0], a < b ? a : b);
	assert_int_equal(found.ids[1], a < b ? b : a);
	ps_bp_ids_dispose(&found);
	ps_bp_free(small);
}

static void
test_connector_bp__sales_credit_and_goods_out(void **state)
{
	ctx *c = *state;
	char url[512], body[512];
	int64_t order_id;
	ps_bp_ids ids;
	ps_bp_order_list cl;
	ps_bp_gon_list gl;
	ps_bp_order o = {0};
	ps_bp_order_row row = {0};

	row.product_id = 1002;
	row.quantity = 1;
	row.net = ps_money_from_cents(1900);
	row.tax_code = "N";
	o.customer_id = 201;
	o.external_ref = "bc-credit-1";
	o.warehouse_id = 2;
	o.rows = &row;
	o.nrows = 1;
	assert_int_equal(ps_bp_order_create(&order_id, NULL, c->bp, &o), 0);

	/* a goods-out note and a credit made through the raw API */
	snprintf(url, sizeof(url),
		 "%s/public-api/sandbox/warehouse-service/order/%" PRId64
		 "/goods-note/goods-out",
		 bp_base, order_id);
	{
		ps_bp_order_list ol;

		assert_int_equal(ps_bp_order_get(&ol, c->bp, &order_id, 1), 0);
		assert_int_equal(ol.n, 1);
		snprintf(body, sizeof(body),
			 "{\"warehouses\":[{\"warehouseId\":2,\"products\":"
			 "[{\"productId\":1002,\"salesOrderRowId\":%" PRId64
			 ",\"quantity\":1}]}],\"shippingMethodId\":6}",
			 ol.items[0].rows[0].id);
		ps_bp_order_list_dispose(&ol);
	}
	assert_int_equal(raw("POST", url, body, 1), 200);
	snprintf(url, sizeof(url),
		 "%s/public-api/sandbox/order-service/sales-credit", bp_base);
	snprintf(body, sizeof(body),
		 "{\"customer\":{\"id\":201},\"parentId\":%" PRId64 ","
		 "\"warehouseId\":2,\"rows\":[{\"productId\":1002,"
		 "\"name\":\"Return\",\"quantity\":\"1\",\"net\":\"19.00\","
		 "\"tax\":\"0\",\"taxCode\":\"N\"}]}",
		 order_id);
	assert_int_equal(raw("POST", url, body, 1), 200);

	assert_int_equal(ps_bp_gon_for_order(&gl, c->bp, order_id), 0);
	assert_int_equal(gl.n, 1);
	assert_int_equal(gl.items[0].order_id, order_id);
	assert_int_equal(gl.items[0].warehouse_id, 2);
	{
		int64_t gid = gl.items[0].id;

		ps_bp_gon_list_dispose(&gl);
		assert_int_equal(ps_bp_gon_get(&gl, c->bp, &gid, 1), 0);
		assert_int_equal(gl.n, 1);
		assert_int_equal(gl.items[0].nlines, 1);
		assert_int_equal(gl.items[0].lines[0].product_id, 1002);
		assert_non_null(gl.items[0].created_on);
		assert_true(gl.items[0].created_by > 0);
		assert_false(gl.items[0].shipped);
		ps_bp_gon_list_dispose(&gl);

		/* found by creation date, tracked, shipped once */
		{
			ps_bp_gon_row *rows = NULL;
			size_t n = 0, k, hits = 0;

			assert_int_equal(ps_bp_gons_created_since(
						 &rows, &n, c->bp,
						 "2000-01-01T00:00:00Z"),
					 0);
			for (k = 0; k < n; k++)
				if (rows[k].id == gid) {
					hits++;
					assert_int_equal(rows[k].order_id,
							 order_id);
					assert_int_equal(rows[k].warehouse_id,
							 2);
					assert_false(rows[k].shipped);
				}
			assert_int_equal(hits, 1);
			free(rows);
		}
		assert_int_equal(
			ps_bp_gon_tracking_set(c->bp, gid, "TRK-77", 7), 0);
		assert_int_equal(ps_bp_gon_ship(c->bp, gid, NULL), 0);
		assert_int_equal(ps_bp_gon_ship(c->bp, gid, NULL), 0);
		assert_int_equal(ps_bp_gon_get(&gl, c->bp, &gid, 1), 0);
		assert_true(gl.items[0].shipped);
		assert_string_equal(gl.items[0].tracking_ref, "TRK-77");
		assert_int_equal(gl.items[0].shipping_method_id, 7);
		ps_bp_gon_list_dispose(&gl);
		/* Brightpearl refuses tracking changes once shipped */
		assert_int_equal(
			ps_bp_gon_tracking_set(c->bp, gid, "TRK-78", 0),
			PS_EDATA);
	}

	assert_int_equal(ps_bp_credit_find(&ids, c->bp, order_id), 0);
	assert_int_equal(ids.n, 1);
	assert_int_equal(ps_bp_credit_get(&cl, c->bp, ids.ids, ids.n), 0);
	assert_int_equal(cl.n, 1);
	assert_int_equal(cl.items[0].parent_id, order_id);
	assert_int_equal(cl.items[0].nrows, 1);
	assert_int_equal(cl.items[0].rows[0].net, ps_money_from_cents(1900));
	ps_bp_order_list_dispose(&cl);
	ps_bp_ids_dispose(&ids);
}

static void
test_connector_bp__batch_of_creates(void **state)
{
	ctx *c = *state;
	ps_bp_batch *b;
	ps_bp_order o = {0};
	ps_bp_order_row row = {0};
	ps_bp_payment p = {0};
	const ps_bp_batch_result *r;
	int64_t found, base_id;
	ps_bp_note_list nl;

	row.product_id = 1002;
	row.quantity = 1;
	row.net = ps_money_from_cents(1900);
	row.tax_code = "N";
	o.customer_id = 201;
	o.warehouse_id = 2;
	o.rows = &row;
	o.nrows = 1;
	o.external_ref = "bc-batch-0";
	assert_int_equal(ps_bp_order_create(&base_id, NULL, c->bp, &o), 0);
	assert_int_equal(ps_bp_batch_new(&b, c->bp), 0);
	o.external_ref = "bc-batch-1";
	assert_int_equal(ps_bp_batch_order_create(b, &o), 0);
	o.external_ref = "bc-batch-2";
	assert_int_equal(ps_bp_batch_order_create(b, &o), 0);
	assert_int_equal(ps_bp_batch_note_add(b, base_id, "batched note", 0),
			 0);
	p.order_id = base_id;
	p.method_code = "PAYPAL";
	p.type = "RECEIPT";
	p.currency = "USD";
	p.amount = ps_money_from_cents(500);
	p.payment_date = "2026-11-22T10:00:00Z";
	assert_int_equal(ps_bp_batch_payment_create(b, &p), 0);
	p.method_code = "NO-SUCH-METHOD";
	assert_int_equal(ps_bp_batch_payment_create(b, &p), 0);
	assert_int_equal(ps_bp_batch_send(b), 0);

	r = ps_bp_batch_result_get(b, 0);
	assert_int_equal(r->error, 0);
	assert_int_equal(ps_bp_order_find_external(&found, c->bp, "bc-batch-1"),
			 0);
	assert_int_equal(r->id, found);
	r = ps_bp_batch_result_get(b, 1);
	assert_int_equal(r->error, 0);
	assert_int_equal(ps_bp_order_find_external(&found, c->bp, "bc-batch-2"),
			 0);
	assert_int_equal(r->id, found);
	assert_int_equal(ps_bp_batch_result_get(b, 2)->error, 0);
	assert_true(ps_bp_batch_result_get(b, 3)->id > 0);
	r = ps_bp_batch_result_get(b, 4);
	assert_int_equal(r->error, PS_EDATA);
	assert_int_equal(r->status, 400);
	assert_non_null(r->message);
	ps_bp_batch_free(b);

	assert_int_equal(ps_bp_note_list_get(&nl, c->bp, base_id), 0);
	assert_true(nl.n >= 1);
	assert_string_equal(nl.items[nl.n - 1].text, "batched note");
	ps_bp_note_list_dispose(&nl);
}

/* The row for contact id in r, or NULL. */
static const ps_bp_contact_row *
row_of(const ps_bp_contact_rows *r, int64_t id)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (r->items[i].id == id)
			return &r->items[i];
	return NULL;
}

/* The rows are in (updatedOn, id) order and max is the last stamp. */
static void
assert_directory_order(const ps_bp_contact_rows *r)
{
	size_t i;
	int c;

	for (i = 1; i < r->n; i++) {
		/* the sandbox writes every stamp in one format */
		c = strcmp(r->items[i - 1].updated_on, r->items[i].updated_on);
		assert_true(c < 0 ||
			    (c == 0 && r->items[i - 1].id < r->items[i].id));
	}
	if (r->n > 0)
		assert_string_equal(r->max_updated_on,
				    r->items[r->n - 1].updated_on);
}

/* Requests the sandbox counted on one endpoint since the last reset. */
static int64_t
requests_on(const char *endpoint, int64_t *out_total)
{
	char url[400];
	json_t *j, *bp;
	int64_t n;

	snprintf(url, sizeof(url), "%s/_sandbox/requests", sb_root);
	j = raw_get_json(url);
	bp = json_object_get(j, "brightpearl");
	n = (int64_t)json_integer_value(
		json_object_get(json_object_get(bp, "endpoints"), endpoint));
	*out_total = (int64_t)json_integer_value(json_object_get(bp, "total"));
	json_decref(j);
	return n;
}

static void
test_connector_bp__contact_directory_and_batched_creates(void **state)
{
	ctx *c = *state;
	ps_bp_contact k = {0}, upd = {0};
	ps_bp_contact_rows all, since, fresh, paged;
	ps_bp *small;
	ps_bp_batch *b;
	ps_bp_ids ids;
	const ps_bp_contact_row *row;
	int64_t id[3], batch_ids[12], total;
	char email[3][64], bemail[12][64], url[400], *max;
	size_t i;

	/* three contacts, then the whole directory */
	for (i = 0; i < 3; i++) {
		snprintf(email[i], sizeof(email[i]), "Dir.%zu@Example.com", i);
		k.first_name = "Dir";
		k.last_name = "Contact";
		k.email = email[i];
		k.telephone = "0100";
		assert_int_equal(ps_bp_contact_create(&id[i], c->bp, &k), 0);
	}
	assert_int_equal(ps_bp_contact_changes(&all, c->bp, NULL), 0);
	assert_true(all.n >= 3);
	assert_directory_order(&all);
	assert_non_null(row_of(&all, 201)); /* the seeded ones too */
	for (i = 0; i < 3; i++) {
		row = row_of(&all, id[i]);
		assert_non_null(row);
		snprintf(email[i], sizeof(email[i]), "dir.%zu@example.com", i);
		assert_string_equal(row->email, email[i]);
		assert_string_equal(row->first_name, "Dir");
		assert_string_equal(row->last_name, "Contact");
		assert_string_equal(row->telephone, "0100");
		assert_true(strcmp(row->updated_on, all.max_updated_on) <= 0);
	}
	max = strdup(all.max_updated_on);
	assert_non_null(max);

	/* read in pages of 5, the directory is the same */
	small = new_bp(c->http, TOKEN, PS_BP_AUTH_PRIVATE, 200, 5);
	assert_int_equal(ps_bp_contact_changes(&paged, small, ""), 0);
	assert_true(all.n > 5);
	assert_int_equal(paged.n, all.n);
	for (i = 0; i < all.n; i++)
		assert_int_equal(paged.items[i].id, all.items[i].id);
	ps_bp_contact_rows_dispose(&paged);
	ps_bp_free(small);

	/* one changes; asking from the newest stamp returns it, and only
	 * rows at or after that stamp */
	upd.last_name = "Renamed";
	assert_int_equal(ps_bp_contact_update(c->bp, id[1], &upd), 0);
	assert_int_equal(ps_bp_contact_changes(&since, c->bp, max), 0);
	assert_directory_order(&since);
	row = row_of(&since, id[1]);
	assert_non_null(row);
	assert_string_equal(row->last_name, "Renamed");
	for (i = 0; i < since.n; i++)
		assert_true(strcmp(since.items[i].updated_on, max) >= 0);
	assert_true(since.n < all.n);
	assert_null(row_of(&since, 201));
	ps_bp_contact_rows_dispose(&all);

	/* twelve contacts in one batch: two multi-message requests */
	snprintf(url, sizeof(url), "%s/_sandbox/requests/reset", sb_root);
	assert_int_equal(raw("POST", url, "{}", 0), 200);
	assert_int_equal(ps_bp_batch_new(&b, c->bp), 0);
	for (i = 0; i < 12; i++) {
		snprintf(bemail[i], sizeof(bemail[i]), "Batch.%zu@Example.com",
			 i);
		memset(&k, 0, sizeof(k));
		k.first_name = "Batch";
		k.last_name = "Customer";
		k.email = bemail[i];
		k.address.line1 = "ignored by the batch";
		assert_int_equal(ps_bp_batch_contact_create(b, &k, 0), 0);
	}
	assert_int_equal(ps_bp_batch_send(b), 0);
	assert_int_equal(requests_on("POST /multi-message", &total), 2);
	assert_int_equal(total, 2);
	for (i = 0; i < 12; i++) {
		assert_int_equal(ps_bp_batch_result_get(b, i)->error, 0);
		batch_ids[i] = ps_bp_batch_result_get(b, i)->id;
		assert_true(batch_ids[i] > 0);
	}
	ps_bp_batch_free(b);

	/* each is found by its email, searched and in the directory */
	assert_int_equal(
		ps_bp_contact_changes(&fresh, c->bp, since.max_updated_on), 0);
	assert_directory_order(&fresh);
	for (i = 0; i < 12; i++) {
		assert_int_equal(
			ps_bp_contact_find_email(&ids, c->bp, bemail[i]), 0);
		assert_int_equal(ids.n, 1);
		assert_int_equal(ids.ids[0], batch_ids[i]);
		ps_bp_ids_dispose(&ids);
		row = row_of(&fresh, batch_ids[i]);
		assert_non_null(row);
		snprintf(bemail[i], sizeof(bemail[i]), "batch.%zu@example.com",
			 i);
		assert_string_equal(row->email, bemail[i]);
	}
	ps_bp_contact_rows_dispose(&fresh);
	ps_bp_contact_rows_dispose(&since);
	free(max);
}

static void
test_connector_bp__refused_credentials(void **state)
{
	ctx *c = *state;
	ps_bp *bad = new_bp(c->http, BAD_TOKEN, PS_BP_AUTH_PRIVATE, 200, 500);
	ps_bp *oauth = new_bp(c->http, BAD_TOKEN, PS_BP_AUTH_OAUTH, 200, 500);
	char *name = NULL;
	ps_bp_ref_list l;

	assert_int_equal(ps_bp_check_connection(&name, bad), PS_EAUTH);
	assert_null(name);
	assert_non_null(strstr(ps_error_last(), "Invalid instance token"));
	assert_null(strstr(ps_error_last(), BAD_TOKEN));
	ps_log_error("test", "check failed: %s", ps_error_last());
	assert_int_equal(ps_bp_ref_list_get(&l, oauth, PS_BP_REF_WAREHOUSE),
			 PS_EAUTH);
	assert_null(strstr(ps_error_last(), BAD_TOKEN));
	ps_log_error("test", "list failed: %s", ps_error_last());
	ps_bp_free(bad);
	ps_bp_free(oauth);

	/* and the good OAuth token works */
	oauth = new_bp(c->http, TOKEN, PS_BP_AUTH_OAUTH, 200, 500);
	assert_int_equal(ps_bp_check_connection(&name, oauth), 0);
	free(name);
	ps_bp_free(oauth);
}

/* Last: everything the tests logged, at debug level, holds no token. */
static void
test_connector_bp__tokens_never_logged(void **state)
{
	char *text;
	long len;

	(void)state;
	fflush(log_capture);
	len = ftell(log_capture);
	assert_true(len > 0);
	text = calloc(1, (size_t)len + 1);
	assert_non_null(text);
	rewind(log_capture);
	assert_int_equal(fread(text, 1, (size_t)len, log_capture), (size_t)len);
	/* the log is real: it has the requests and the failures */
	assert_non_null(strstr(text, "brightpearl"));
	assert_non_null(strstr(text, "check failed"));
	/* the fault run went through the recovery paths */
	assert_true(strstr(text, "adopting id") != NULL ||
		    strstr(text, "sending again") != NULL);
	assert_null(strstr(text, TOKEN));
	assert_null(strstr(text, BAD_TOKEN));
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_connector_bp__every_operation),
		cmocka_unit_test(test_connector_bp__chunks_and_pages),
		cmocka_unit_test(test_connector_bp__sales_credit_and_goods_out),
		cmocka_unit_test(test_connector_bp__batch_of_creates),
		cmocka_unit_test(
			test_connector_bp__contact_directory_and_batched_creates),
		cmocka_unit_test(
			test_connector_bp__every_operation_under_faults),
		cmocka_unit_test(test_connector_bp__refused_credentials),
		cmocka_unit_test(test_connector_bp__tokens_never_logged),
	};

	ps_lib_init();
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
