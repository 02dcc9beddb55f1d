/*
 * test_connector_bc.c - every BigCommerce connector operation end to end
 * against pearlsync-sandbox: the real HTTP client, the simulator's paths,
 * paging, 204s, envelopes and error bodies; then the same operations with
 * 30% of the sandbox's answers faulted (each must still succeed within its
 * retry budget, and creates must stay exactly once); a refused token; and
 * a check that the token never reaches a log line.
 *
 * Uses only the public API.  The sandbox is spawned once per run
 * (tests/support/sandbox_proc.h) and reset to its demo seed before each
 * test through its control API.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "pearlsync/bigcommerce.h"
#include "pearlsync/http.h"
#include "pearlsync/log.h"
#include "sandbox_proc.h"

#define STORE "sandbox"
#define TOKEN "sandbox-token"

struct sandbox {
	sandbox_proc proc;
	char bc_url[256];  /* ".../bigcommerce" */
	char ctl_url[256]; /* ".../_sandbox" */
};

static struct sandbox sbx;
static ps_http *http;
static FILE *log_sink;

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Start the sandbox (demo seed, no quota: the tests are about behaviour,
 * not pacing) on an ephemeral port. */
static int
sandbox_start(struct sandbox *s)
{
	static const char *const args[] = {"--seed", "demo", "--quota", "off",
					   NULL};
	const char *url;

	if (sandbox_proc_start(&s->proc, args, 20000) != 0)
		return -1;
	url = sandbox_proc_url(&s->proc, "bigcommerce");
	if (url == NULL)
		return -1;
	snprintf(s->bc_url, sizeof(s->bc_url), "%s", url);
	snprintf(s->ctl_url, sizeof(s->ctl_url), "%s", s->proc.control);
	return 0;
}

static void
sandbox_stop(struct sandbox *s)
{
	if (s->proc.pid > 0)
		sandbox_proc_stop(&s->proc);
}

/* A control call; returns the parsed reply (new reference) or NULL. */
static json_t *
ctl(const char *method, const char *path, const char *body)
{
	char url[512];
	ps_http_request rq;
	ps_http_response r = PS_HTTP_RESPONSE_INIT;
	json_t *out = NULL;

	snprintf(url, sizeof(url), "%s%s", sbx.ctl_url, path);
	memset(&rq, 0, sizeof(rq));
	rq.platform = PS_PLATFORM_BIGCOMMERCE;
	rq.account = "control";
	rq.method = method;
	rq.url = url;
	rq.endpoint = "control";
	rq.body = body;
	rq.body_len = body ? strlen(body) : 0;
	rq.idempotent = 0;
	if (ps_http_send(&r, http, &rq) == 0 && r.status < 300)
		ps_http_response_json(&out, &r, PS_PLATFORM_BIGCOMMERCE);
	else
		fail_msg("control %s %s: %ld %s", method, path, r.status,
			 r.body ? r.body : "");
	ps_http_response_dispose(&r);
	return out;
}

static void
ctl_do(const char *method, const char *path, const char *body)
{
	json_decref(ctl(method, path, body));
}

static ps_bc *
bc_open(const char *token, int page_limit)
{
	ps_bc_options o = PS_BC_OPTIONS_INIT;
	ps_bc *bc = NULL;

	o.base_url = sbx.bc_url;
	o.store_hash = STORE;
	o.access_token = token;
	if (page_limit)
		o.page_limit = page_limit;
	assert_int_equal(ps_bc_new(&bc, http, &o), 0);
	return bc;
}

static int
group_setup(void **state)
{
	ps_http_options ho = PS_HTTP_OPTIONS_INIT;

	(void)state;
	ps_lib_init();
	log_sink = fopen("/dev/null", "w");
	ps_log_set_stream(log_sink);
	if (sandbox_start(&sbx) != 0) {
		sandbox_stop(&sbx);
		fprintf(stderr, "could not start pearlsync-sandbox\n");
		return -1;
	}
	/* A generous attempt budget with tiny waits: fast under faults. */
	ho.max_attempts = 10;
	ho.backoff_base_ms = 2;
	ho.backoff_cap_ms = 20;
	ho.max_wait_ms = 50;
	ho.connect_timeout_ms = 2000;
	ho.total_timeout_ms = 10000;
	return ps_http_new(&http, &ho);
}

static int
group_teardown(void **state)
{
	(void)state;
	ps_http_free(http);
	sandbox_stop(&sbx);
	ps_log_set_stream(NULL);
	if (log_sink)
		fclose(log_sink);
	ps_lib_shutdown();
	return 0;
}

/*
 * The store every test starts from, made through the control API so the
 * tests do not depend on the sandbox's demo seed: a variant-tracked tee in
 * two sizes, a product-tracked mug, untracked socks, one customer, her
 * paid order (100) and a guest's authorised order (101).
 */
static const char *const seed_calls[] = {
	"/bigcommerce/products",
	"{\"name\":\"Tee Shirt\",\"type\":\"physical\",\"weight\":0.3,"
	"\"price\":25,\"sku\":\"TEE\",\"inventory_tracking\":\"variant\","
	"\"variants\":[{\"sku\":\"TEE-RED-M\",\"inventory_level\":40,"
	"\"option_values\":[{\"label\":\"M\",\"option_display_name\":"
	"\"Size\"}]},{\"sku\":\"TEE-RED-L\",\"inventory_level\":35,"
	"\"option_values\":[{\"label\":\"L\",\"option_display_name\":"
	"\"Size\"}]}]}",
	"/bigcommerce/products",
	"{\"name\":\"Enamel Mug\",\"type\":\"physical\",\"weight\":0.5,"
	"\"price\":12.5,\"sku\":\"MUG-WHT\",\"inventory_tracking\":"
	"\"product\",\"inventory_level\":100}",
	"/bigcommerce/products",
	"{\"name\":\"Wool Socks\",\"type\":\"physical\",\"weight\":0.1,"
	"\"price\":9.99,\"sku\":\"SOCK-GRY\",\"inventory_tracking\":"
	"\"none\"}",
	"/bigcommerce/customers",
	"{\"email\":\"jane@example.com\",\"first_name\":\"Jane\","
	"\"last_name\":\"Doe\"}",
	"/bigcommerce/orders",
	"{\"billing_address\":{\"first_name\":\"Jane\",\"last_name\":"
	"\"Doe\",\"street_1\":\"1 Main Street\",\"city\":\"Austin\","
	"\"state\":\"Texas\",\"zip\":\"78701\",\"country\":"
	"\"United States\",\"email\":\"jane@example.com\"},\"status_id\":"
	"11,\"customer_id\":1,\"lines\":[{\"sku\":\"TEE-RED-M\","
	"\"quantity\":2},{\"sku\":\"MUG-WHT\",\"quantity\":1}],"
	"\"customer_message\":\"Please gift wrap\",\"currency\":\"USD\","
	"\"tax_rate\":\"0.0825\",\"prices_include_tax\":false,"
	"\"shipping_cost\":\"5.00\",\"payment\":{\"gateway\":"
	"\"braintree\",\"captured\":true}}",
	"/bigcommerce/orders",
	"{\"billing_address\":{\"first_name\":\"Sam\",\"last_name\":"
	"\"Guest\",\"street_1\":\"2 High Street\",\"city\":\"Portland\","
	"\"zip\":\"97201\",\"country\":\"United States\",\"email\":"
	"\"sam@example.org\"},\"status_id\":11,\"lines\":[{\"sku\":"
	"\"MUG-WHT\",\"quantity\":1}],\"currency\":\"USD\",\"tax_rate\":"
	"\"0.2\",\"prices_include_tax\":true,\"shipping_cost\":\"4.00\","
	"\"payment\":{\"gateway\":\"stripe\",\"captured\":false}}",
};

static int
reset(void **state)
{
	size_t i;

	(void)state;
	ctl_do("POST", "/faults", "{\"platform\":\"*\",\"rate\":0}");
	ctl_do("POST", "/reset", "{\"seed\":\"empty\"}");
	for (i = 0; i + 1 < sizeof(seed_calls) / sizeof(seed_calls[0]); i += 2)
		ctl_do("POST", seed_calls[i], seed_calls[i + 1]);
	return 0;
}

/* --- one pass over every operation ---------------------------------------- */

static const char order_body[] =
	"{\"billing_address\":{\"first_name\":\"Ann\",\"last_name\":\"Lee\","
	"\"street_1\":\"3 Elm Road\",\"city\":\"Leeds\",\"zip\":\"LS1 1AA\","
	"\"country\":\"United Kingdom\",\"email\":\"ann@example.net\"},"
	"\"status_id\":11,\"lines\":[{\"sku\":\"SOCK-GRY\",\"quantity\":3}],"
	"\"currency\":\"GBP\",\"tax_rate\":\"0.2\",\"shipping_cost\":\"3.50\","
	"\"prices_include_tax\":true,\"payment\":{\"gateway\":\"stripe\","
	"\"captured\":true}}";

static const ps_bc_order_product *
line_with_sku(const ps_bc_order *o, const char *sku)
{
	size_t i;

	for (i = 0; i < o->nproducts; i++)
		if (strcmp(o->products[i].sku, sku) == 0)
			return &o->products[i];
	fail_msg("order %lld has no line %s", (long long)o->id, sku);
	return NULL;
}

static void
check_orders(ps_bc *bc)
{
	ps_bc_order_list l;
	ps_bc_order o;
	ps_money lines = 0;
	size_t i;
	ps_bc *paged = bc_open(TOKEN, 2);

	assert_int_equal(ps_bc_orders_list_modified_since(&l, bc, 0, -1), 0);
	assert_int_equal(l.count, 2);
	assert_int_equal(l.items[0].id, 100);
	assert_string_equal(l.items[0].billing_address.email,
			    "jane@example.com");
	assert_true(l.items[0].date_modified > 1600000000);
	ps_bc_order_list_dispose(&l);

	/* status filter and a 204 for "nothing since" */
	assert_int_equal(ps_bc_orders_list_modified_since(&l, bc, 0, 2), 0);
	assert_int_equal(l.count, 0);
	ps_bc_order_list_dispose(&l);
	assert_int_equal(
		ps_bc_orders_list_modified_since(&l, bc, 4102444800LL, -1), 0);
	assert_int_equal(l.count, 0);
	ps_bc_order_list_dispose(&l);

	/* paging across several pages of two */
	for (i = 0; i < 5; i++)
		ctl_do("POST", "/bigcommerce/orders", order_body);
	assert_int_equal(ps_bc_orders_list_modified_since(&l, paged, 0, 11), 0);
	assert_int_equal(l.count, 7);
	for (i = 1; i < l.count; i++) {
		assert_true(l.items[i].date_modified >=
			    l.items[i - 1].date_modified);
		assert_true(l.items[i].id != l.items[i - 1].id);
	}
	ps_bc_order_list_dispose(&l);
	ps_bc_free(paged);

	/* one order with its lines and address; money adds up exactly */
	assert_int_equal(ps_bc_order_get(&o, bc, 100), 0);
	assert_int_equal(o.status_id, 11);
	assert_int_equal(o.customer_id, 1);
	assert_string_equal(o.customer_message, "Please gift wrap");
	assert_int_equal(o.nproducts, 2);
	assert_int_equal(line_with_sku(&o, "TEE-RED-M")->quantity, 2);
	assert_int_equal(line_with_sku(&o, "MUG-WHT")->quantity, 1);
	for (i = 0; i < o.nproducts; i++)
		lines += o.products[i].total_ex_tax;
	assert_int_equal(lines, o.subtotal_ex_tax);
	assert_int_equal(o.subtotal_ex_tax, 625000);
	assert_int_equal(o.total_inc_tax,
			 o.subtotal_inc_tax + o.shipping_cost_inc_tax +
				 o.handling_cost_inc_tax +
				 o.wrapping_cost_inc_tax - o.discount_amount -
				 o.coupon_discount);
	assert_int_equal(o.nshipping_addresses, 1);
	assert_true(o.shipping_addresses[0].id > 0);
	ps_bc_order_dispose(&o);

	assert_int_equal(ps_bc_order_get(&o, bc, 99999), PS_ENOTFOUND);
	assert_non_null(strstr(ps_error_last(), "order 99999"));
}

static void
check_order_updates(ps_bc *bc)
{
	ps_bc_order o;

	assert_int_equal(ps_bc_order_update_status(bc, 101, 9), 0);
	assert_int_equal(
		ps_bc_order_update_notes(bc, 101, "Packed by Ann", NULL), 0);
	assert_int_equal(
		ps_bc_order_update_notes(bc, 101, NULL, "Leave at door"), 0);
	assert_int_equal(ps_bc_order_get(&o, bc, 101), 0);
	assert_int_equal(o.status_id, 9);
	assert_string_equal(o.staff_notes, "Packed by Ann");
	assert_string_equal(o.customer_message, "Leave at door");
	ps_bc_order_dispose(&o);
	assert_int_equal(ps_bc_order_update_status(bc, 99999, 2), PS_ENOTFOUND);
}

static void
check_statuses(ps_bc *bc)
{
	ps_bc_order_status_list l;

	assert_int_equal(ps_bc_order_statuses_list(&l, bc), 0);
	assert_int_equal(l.count, 15);
	assert_int_equal(l.items[11].id, 11);
	assert_string_equal(l.items[11].system_label, "Awaiting Fulfillment");
	ps_bc_order_status_list_dispose(&l);
}

static void
check_shipments(ps_bc *bc)
{
	ps_bc_order o, after;
	ps_bc_shipment s1, s1again, s2, bad;
	ps_bc_shipment_list l;
	ps_bc_shipment_item it1[1], it2[2];
	ps_bc_shipment_new n = {0};
	const ps_bc_order_product *tee, *mug;

	assert_int_equal(ps_bc_order_get(&o, bc, 100), 0);
	tee = line_with_sku(&o, "TEE-RED-M");
	mug = line_with_sku(&o, "MUG-WHT");
	memset(it1, 0, sizeof(it1));
	memset(it2, 0, sizeof(it2));
	it1[0].order_product_id = tee->id;
	it1[0].quantity = 1;
	n.order_address_id = o.shipping_addresses[0].id;
	n.items = it1;
	n.nitems = 1;
	n.tracking_number = "1Z999AA10123456784";
	n.shipping_provider = "ups";
	n.shipping_method = "UPS Ground";
	n.ref = "gon-5001";

	/* partial: one of two shirts */
	assert_int_equal(ps_bc_shipment_create(&s1, bc, 100, &n), 0);
	assert_true(s1.id > 0);
	assert_int_equal(s1.order_id, 100);
	assert_string_equal(s1.tracking_number, "1Z999AA10123456784");
	assert_string_equal(s1.shipping_provider, "ups");
	assert_int_equal(s1.nitems, 1);
	assert_int_equal(s1.items[0].quantity, 1);
	assert_int_equal(ps_bc_order_get(&after, bc, 100), 0);
	assert_int_equal(after.status_id, 3);
	ps_bc_order_dispose(&after);

	/* the same goods-out note again: the same shipment, no second one */
	assert_int_equal(ps_bc_shipment_create(&s1again, bc, 100, &n), 0);
	assert_int_equal(s1again.id, s1.id);
	ps_bc_shipment_dispose(&s1again);

	/* the rest: order becomes Shipped */
	it2[0].order_product_id = tee->id;
	it2[0].quantity = 1;
	it2[1].order_product_id = mug->id;
	it2[1].quantity = 1;
	n.items = it2;
	n.nitems = 2;
	n.ref = "gon-5002";
	n.tracking_number = "1Z999AA10123456785";
	assert_int_equal(ps_bc_shipment_create(&s2, bc, 100, &n), 0);
	assert_true(s2.id != s1.id);
	assert_int_equal(s2.nitems, 2);
	assert_int_equal(ps_bc_order_get(&after, bc, 100), 0);
	assert_int_equal(after.status_id, 2);
	assert_int_equal(line_with_sku(&after, "TEE-RED-M")->quantity_shipped,
			 2);
	ps_bc_order_dispose(&after);

	assert_int_equal(ps_bc_shipments_list(&l, bc, 100), 0);
	assert_int_equal(l.count, 2);
	ps_bc_shipment_list_dispose(&l);
	assert_int_equal(ps_bc_shipments_list(&l, bc, 101), 0);
	assert_int_equal(l.count, 0);
	ps_bc_shipment_list_dispose(&l);

	/* shipping more than is left is refused with BigCommerce's words */
	n.ref = "gon-5003";
	assert_int_equal(ps_bc_shipment_create(&bad, bc, 100, &n), PS_EDATA);
	ps_bc_shipment_dispose(&s1);
	ps_bc_shipment_dispose(&s2);
	ps_bc_order_dispose(&o);
}

static const ps_bc_sku *
sku_in(const ps_bc_sku_list *l, const char *sku)
{
	size_t i;

	for (i = 0; i < l->count; i++)
		if (strcmp(l->items[i].sku, sku) == 0)
			return &l->items[i];
	return NULL;
}

/* Poll (BigCommerce applies adjustments asynchronously) until sku shows
 * level, with a deadline. */
static void
wait_level(ps_bc *bc, const char *sku, int64_t level)
{
	int64_t deadline = mono_ms() + 10000;

	for (;;) {
		ps_bc_sku now;

		assert_int_equal(ps_bc_catalog_find_sku(&now, bc, sku), 0);
		if (now.inventory_level == level) {
			ps_bc_sku_dispose(&now);
			return;
		}
		ps_bc_sku_dispose(&now);
		if (mono_ms() > deadline)
			fail_msg("%s never reached level %lld", sku,
				 (long long)level);
		nanosleep(&(struct timespec){0, 20000000}, NULL);
	}
}

static void
check_catalog_inventory(ps_bc *bc)
{
	ps_bc_sku tee, mug, sock, none;
	ps_bc_sku_list l;
	ps_bc_stock st[3];
	size_t sent = 0;

	assert_int_equal(ps_bc_catalog_find_sku(&tee, bc, "TEE-RED-M"), 0);
	assert_true(tee.product_id > 0);
	assert_true(tee.variant_id > 0);
	assert_int_equal(tee.tracking, PS_BC_TRACKING_VARIANT);
	assert_false(tee.is_base_variant);
	assert_string_equal(tee.product_name, "Tee Shirt");
	assert_int_equal(ps_bc_catalog_find_sku(&mug, bc, "MUG-WHT"), 0);
	assert_int_equal(mug.tracking, PS_BC_TRACKING_PRODUCT);
	assert_true(mug.is_base_variant);
	assert_int_equal(ps_bc_catalog_find_sku(&sock, bc, "SOCK-GRY"), 0);
	assert_int_equal(sock.tracking, PS_BC_TRACKING_NONE);
	assert_int_equal(ps_bc_catalog_find_sku(&none, bc, "NO-SUCH"),
			 PS_ENOTFOUND);
	assert_non_null(strstr(ps_error_last(), "NO-SUCH"));

	assert_int_equal(ps_bc_catalog_list_skus(&l, bc), 0);
	assert_int_equal(l.count, 4);
	assert_non_null(sku_in(&l, "TEE-RED-L"));
	assert_int_equal(sku_in(&l, "TEE-RED-M")->variant_id, tee.variant_id);
	assert_int_equal(sku_in(&l, "TEE-RED-M")->inventory_level,
			 tee.inventory_level);
	assert_int_equal(sku_in(&l, "MUG-WHT")->inventory_level,
			 mug.inventory_level);
	ps_bc_sku_list_dispose(&l);

	memset(st, 0, sizeof(st));
	st[0].tracking = tee.tracking;
	st[0].product_id = tee.product_id;
	st[0].variant_id = tee.variant_id;
	st[0].quantity = 7;
	st[1].tracking = mug.tracking;
	st[1].product_id = mug.product_id;
	st[1].variant_id = mug.variant_id;
	st[1].quantity = 55;
	assert_int_equal(ps_bc_inventory_set(&sent, bc, st, 2, "test"), 0);
	assert_int_equal(sent, 2);
	wait_level(bc, "TEE-RED-M", 7);
	wait_level(bc, "MUG-WHT", 55);

	/* an untracked item is refused before anything is sent */
	st[2].tracking = sock.tracking;
	st[2].product_id = sock.product_id;
	st[2].quantity = 3;
	assert_int_equal(ps_bc_inventory_set(&sent, bc, st, 3, NULL),
			 PS_EINVAL);
	ps_bc_sku_dispose(&tee);
	ps_bc_sku_dispose(&mug);
	ps_bc_sku_dispose(&sock);
}

static void
check_customers(ps_bc *bc)
{
	ps_bc_customer_list l;
	ps_bc_customer c;

	assert_int_equal(ps_bc_customers_find_email(&l, bc, "jane@example.com"),
			 0);
	assert_int_equal(l.count, 1);
	assert_string_equal(l.items[0].first_name, "Jane");
	assert_int_equal(ps_bc_customer_get(&c, bc, l.items[0].id), 0);
	assert_string_equal(c.email, "jane@example.com");
	ps_bc_customer_dispose(&c);
	ps_bc_customer_list_dispose(&l);
	assert_int_equal(
		ps_bc_customers_find_email(&l, bc, "nobody+x@example.com"), 0);
	assert_int_equal(l.count, 0);
	ps_bc_customer_list_dispose(&l);
	assert_int_equal(ps_bc_customer_get(&c, bc, 987654), PS_ENOTFOUND);
}

static void
check_payments(ps_bc *bc)
{
	ps_bc_transaction_list t;
	ps_bc_refund_list r;
	ps_bc_order o;
	ps_money captured = 0;
	size_t i;
	int any_auth = 0, any_capture = 0;

	assert_int_equal(ps_bc_order_get(&o, bc, 100), 0);
	assert_int_equal(ps_bc_transactions_list(&t, bc, 100), 0);
	assert_true(t.count >= 1);
	for (i = 0; i < t.count; i++)
		if (t.items[i].captured)
			captured += t.items[i].amount;
	assert_int_equal(captured, o.total_inc_tax);
	ps_bc_transaction_list_dispose(&t);
	ps_bc_order_dispose(&o);

	/* the guest order was only authorised */
	assert_int_equal(ps_bc_transactions_list(&t, bc, 101), 0);
	for (i = 0; i < t.count; i++) {
		any_auth |= t.items[i].authorized;
		any_capture |= t.items[i].captured;
	}
	assert_true(any_auth);
	assert_false(any_capture);
	ps_bc_transaction_list_dispose(&t);

	assert_int_equal(ps_bc_refunds_list(&r, bc, 100), 0);
	assert_int_equal(r.count, 0);
	ps_bc_refund_list_dispose(&r);
}

static void
check_webhooks(ps_bc *bc)
{
	ps_bc_header_spec h[1] = {{"X-Pearlsync-Secret", "s3cr3t-hook"}};
	ps_bc_webhook w, again, upd;
	ps_bc_webhook_list l;

	assert_int_equal(ps_bc_webhook_create(&w, bc, "store/order/created",
					      "https://127.0.0.1/bc/hooks", h,
					      1),
			 0);
	assert_true(w.id > 0);
	assert_true(w.is_active);
	assert_int_equal(w.nheaders, 1);
	assert_string_equal(w.headers[0].value, "s3cr3t-hook");

	/* registering it again (a restarted worker) finds the same hook */
	assert_int_equal(ps_bc_webhook_create(&again, bc, "store/order/created",
					      "https://127.0.0.1/bc/hooks", h,
					      1),
			 0);
	assert_int_equal(again.id, w.id);
	ps_bc_webhook_dispose(&again);

	assert_int_equal(ps_bc_webhooks_list(&l, bc), 0);
	assert_int_equal(l.count, 1);
	assert_int_equal(l.items[0].id, w.id);
	assert_string_equal(l.items[0].scope, "store/order/created");
	ps_bc_webhook_list_dispose(&l);

	assert_int_equal(ps_bc_webhook_set_active(&upd, bc, w.id, 0), 0);
	assert_false(upd.is_active);
	ps_bc_webhook_dispose(&upd);
	assert_int_equal(ps_bc_webhook_set_active(NULL, bc, w.id, 1), 0);
	assert_int_equal(ps_bc_webhooks_list(&l, bc), 0);
	assert_true(l.items[0].is_active);
	ps_bc_webhook_list_dispose(&l);

	/* a second hook for another scope, then delete both */
	assert_int_equal(
		ps_bc_webhook_create(&again, bc, "store/order/statusUpdated",
				     "https://127.0.0.1/bc/hooks", NULL, 0),
		0);
	assert_int_equal(ps_bc_webhook_delete(bc, w.id), 0);
	assert_int_equal(ps_bc_webhook_delete(bc, again.id), 0);
	assert_int_equal(ps_bc_webhooks_list(&l, bc), 0);
	assert_int_equal(l.count, 0);
	ps_bc_webhook_list_dispose(&l);
	ps_bc_webhook_dispose(&w);
	ps_bc_webhook_dispose(&again);
}

static void
check_store(ps_bc *bc)
{
	char *name = NULL;

	assert_int_equal(ps_bc_check_connection(&name, bc), 0);
	assert_string_equal(name, "pearlsync sandbox store");
	free(name);
}

static void
every_operation(ps_bc *bc)
{
	check_store(bc);
	check_orders(bc);
	check_order_updates(bc);
	check_statuses(bc);
	check_shipments(bc);
	check_catalog_inventory(bc);
	check_customers(bc);
	check_payments(bc);
	check_webhooks(bc);
}

/* --- orders with their lines inline ----------------------------------------
 */

/* BigCommerce requests served since the last /requests/reset. */
static int64_t
bc_requests(const char *endpoint)
{
	json_t *req = ctl("GET", "/requests", NULL);
	json_t *bc = json_object_get(req, "bigcommerce");
	int64_t n = json_integer_value(
		endpoint ? json_object_get(json_object_get(bc, "endpoints"),
					   endpoint)
			 : json_object_get(bc, "total"));

	json_decref(req);
	return n;
}

static void
assert_same_order(const ps_bc_order *a, const ps_bc_order *b)
{
	size_t i;

	assert_int_equal(a->id, b->id);
	assert_int_equal(a->status_id, b->status_id);
	assert_int_equal(a->total_inc_tax, b->total_inc_tax);
	assert_int_equal(a->date_modified, b->date_modified);
	assert_string_equal(a->billing_address.email, b->billing_address.email);
	assert_int_equal(a->nproducts, b->nproducts);
	for (i = 0; i < a->nproducts; i++) {
		const ps_bc_order_product *x = &a->products[i];
		const ps_bc_order_product *y = &b->products[i];

		assert_int_equal(x->id, y->id);
		assert_int_equal(x->order_id, y->order_id);
		assert_int_equal(x->product_id, y->product_id);
		assert_int_equal(x->variant_id, y->variant_id);
		assert_int_equal(x->order_address_id, y->order_address_id);
		assert_string_equal(x->sku, y->sku);
		assert_string_equal(x->name, y->name);
		assert_string_equal(x->type, y->type);
		assert_int_equal(x->quantity, y->quantity);
		assert_int_equal(x->price_inc_tax, y->price_inc_tax);
		assert_int_equal(x->total_ex_tax, y->total_ex_tax);
		assert_int_equal(x->discount, y->discount);
	}
	assert_int_equal(a->nshipping_addresses, b->nshipping_addresses);
	for (i = 0; i < a->nshipping_addresses; i++) {
		const ps_bc_shipping_address *x = &a->shipping_addresses[i];
		const ps_bc_shipping_address *y = &b->shipping_addresses[i];

		assert_int_equal(x->id, y->id);
		assert_string_equal(x->shipping_method, y->shipping_method);
		assert_int_equal(x->cost_inc_tax, y->cost_inc_tax);
		assert_int_equal(x->cost_tax, y->cost_tax);
		assert_int_equal(x->items_total, y->items_total);
		assert_string_equal(x->address.street_1, y->address.street_1);
		assert_string_equal(x->address.zip, y->address.zip);
		assert_string_equal(x->address.country_iso2,
				    y->address.country_iso2);
	}
}

static void
test_connector_bc__orders_read_inline(void **state)
{
	ps_bc *bc = bc_open(TOKEN, 0);
	ps_bc_order o, one;
	ps_bc_order_list l;
	int64_t ids[32];
	char big[8192];
	size_t i, len;

	(void)state;
	/* order 100: two lines and a shipping address in one request */
	ctl_do("POST", "/requests/reset", "{}");
	assert_int_equal(ps_bc_order_get(&o, bc, 100), 0);
	assert_int_equal(bc_requests(NULL), 1);
	assert_int_equal(o.nproducts, 2);
	assert_int_equal(line_with_sku(&o, "TEE-RED-M")->quantity, 2);
	assert_int_equal(o.nshipping_addresses, 1);
	assert_int_equal(o.products[0].order_address_id,
			 o.shipping_addresses[0].id);
	assert_string_equal(o.shipping_addresses[0].address.city, "Austin");
	assert_int_equal(o.shipping_addresses[0].cost_ex_tax, 50000);
	ps_bc_order_dispose(&o);

	/* 30 orders (100..129), asked for out of order: one request */
	for (i = 0; i < 28; i++)
		ctl_do("POST", "/bigcommerce/orders", order_body);
	for (i = 0; i < 30; i++)
		ids[i] = 100 + (int64_t)((i * 7) % 30);
	ctl_do("POST", "/requests/reset", "{}");
	assert_int_equal(ps_bc_orders_get_many(&l, bc, ids, 30), 0);
	assert_int_equal(bc_requests(NULL), 1);
	assert_int_equal(bc_requests("GET v2/orders"), 1);
	assert_int_equal(l.count, 30);
	for (i = 0; i < 30; i++) {
		assert_int_equal(ps_bc_order_get(&one, bc, ids[i]), 0);
		assert_same_order(&l.items[i], &one);
		ps_bc_order_dispose(&one);
	}
	ps_bc_order_list_dispose(&l);

	/* 60 lines: 50 come inline, so the lines are read from /products */
	len = (size_t)snprintf(big, sizeof(big),
			       "{\"billing_address\":{\"first_name\":\"Bo\","
			       "\"last_name\":\"Bulk\",\"street_1\":\"9 Dock "
			       "Road\",\"city\":\"Austin\",\"zip\":\"78701\","
			       "\"country\":\"United States\",\"email\":"
			       "\"bo@example.com\"},\"status_id\":11,"
			       "\"lines\":[");
	for (i = 0; i < 60; i++)
		len += (size_t)snprintf(big + len, sizeof(big) - len,
					"%s{\"sku\":\"BULK-%02zu\",\"name\":"
					"\"Bulk part %zu\",\"quantity\":%zu,"
					"\"price\":\"1.50\"}",
					i ? "," : "", i, i, i + 1);
	snprintf(big + len, sizeof(big) - len, "]}");
	assert_true(len + 3 < sizeof(big));
	ctl_do("POST", "/bigcommerce/orders", big);
	ctl_do("POST", "/requests/reset", "{}");
	assert_int_equal(ps_bc_order_get(&o, bc, 130), 0);
	assert_int_equal(o.nproducts, 60);
	assert_int_equal(bc_requests(NULL), 2);
	assert_int_equal(bc_requests("GET v2/orders/{id}/products"), 1);
	for (i = 0; i < 60; i++)
		assert_int_equal(o.products[i].quantity, (int64_t)i + 1);

	/* and among others in one listing: the listing plus its lines */
	ids[0] = 130;
	ids[1] = 101;
	ids[2] = 131; /* no such order */
	ctl_do("POST", "/requests/reset", "{}");
	assert_int_equal(ps_bc_orders_get_many(&l, bc, ids, 3), 0);
	assert_int_equal(bc_requests(NULL), 2);
	assert_int_equal(l.items[0].id, 130);
	assert_same_order(&l.items[0], &o);
	assert_int_equal(l.items[1].id, 101);
	assert_int_equal(l.items[1].nproducts, 1);
	assert_int_equal(l.items[2].id, 0);
	ps_bc_order_list_dispose(&l);
	ps_bc_order_dispose(&o);
	ps_bc_free(bc);
}

/* What stream_chunk saw of a ps_bc_orders_foreach walk. */
struct stream_seen {
	ps_bc *bc;
	size_t chunks, orders, max_chunk;
	int64_t last_id;
	int stop_after;   /* chunks before PS_ESTOPPED; 0: never */
	ps_bc_order kept; /* the first order, moved out of its chunk */
};

static int
stream_chunk(ps_bc_order_list *l, void *payload)
{
	struct stream_seen *st = payload;
	ps_bc_order fresh;
	size_t i, before;

	st->chunks++;
	if (l->count > st->max_chunk)
		st->max_chunk = l->count;
	for (i = 0; i < l->count; i++) {
		/* the listing's order: date_modified, here also id */
		assert_true(l->items[i].id > st->last_id);
		st->last_id = l->items[i].id;
	}
	st->orders += l->count;
	/* compacted, an order reads the same and takes less */
	before = ps_bc_order_size(&l->items[0]);
	ps_bc_order_compact(&l->items[0]);
	assert_true(ps_bc_order_size(&l->items[0]) < before);
	assert_int_equal(ps_bc_order_get(&fresh, st->bc, l->items[0].id), 0);
	assert_same_order(&l->items[0], &fresh);
	ps_bc_order_dispose(&fresh);
	if (st->kept.id == 0) { /* moved out: the walk must not free it */
		st->kept = l->items[0];
		memset(&l->items[0], 0, sizeof(l->items[0]));
	}
	if (st->stop_after && st->chunks == (size_t)st->stop_after)
		return PS_ESTOPPED;
	return 0;
}

/* The listing streamed: the same orders as ps_bc_orders_list, in chunks
 * of at most the size asked, read in pages of at most 50 when the lines
 * come inline; fn's error ends the walk. */
static void
test_connector_bc__orders_stream_in_chunks(void **state)
{
	ps_bc *bc = bc_open(TOKEN, 0);
	ps_bc_order_query q = PS_BC_ORDER_QUERY_INIT;
	ps_bc_order_list all;
	struct stream_seen st;
	size_t i;

	(void)state;
	for (i = 0; i < 110; i++)
		ctl_do("POST", "/bigcommerce/orders", order_body);
	q.with_lines = 1;
	assert_int_equal(ps_bc_orders_list(&all, bc, &q), 0);
	assert_true(all.count >= 110);

	memset(&st, 0, sizeof(st));
	st.bc = bc;
	ctl_do("POST", "/requests/reset", "{}");
	assert_int_equal(ps_bc_orders_foreach(bc, &q, 40, stream_chunk, &st),
			 0);
	assert_int_equal(st.orders, all.count);
	assert_int_equal(st.max_chunk, 40);
	assert_int_equal(st.chunks, (all.count + 39) / 40);
	assert_int_equal(st.kept.id, all.items[0].id);
	assert_same_order(&st.kept, &all.items[0]);
	ps_bc_order_dispose(&st.kept);
	/* pages of 50 (and the reads of each chunk's first order) */
	assert_int_equal(bc_requests("GET v2/orders"), all.count / 50 + 1);

	memset(&st, 0, sizeof(st));
	st.bc = bc;
	st.stop_after = 1;
	assert_int_equal(ps_bc_orders_foreach(bc, &q, 40, stream_chunk, &st),
			 PS_ESTOPPED);
	assert_int_equal(st.chunks, 1);
	assert_int_equal(st.orders, 40);
	ps_bc_order_dispose(&st.kept);
	ps_bc_order_list_dispose(&all);
	ps_bc_free(bc);
}

/* The transactions of many orders: the same lists as one at a time, one
 * request each (several at once), and under faults still the same. */
static void
test_connector_bc__transactions_read_together(void **state)
{
	ps_bc *bc = bc_open(TOKEN, 0);
	ps_bc_transaction_list many[12], one;
	int64_t ids[12];
	size_t i, k, round;

	(void)state;
	for (i = 0; i < 10; i++)
		ctl_do("POST", "/bigcommerce/orders", order_body);
	for (i = 0; i < 12; i++)
		ids[i] = 100 + (int64_t)i; /* 100, 101: the demo's own */
	for (round = 0; round < 2; round++) {
		if (round == 1)
			ctl_do("POST", "/faults",
			       "{\"platform\":\"bigcommerce\",\"rate\":0.3,"
			       "\"seed\":7,\"kinds\":[\"429\",\"500\","
			       "\"drop\",\"truncate\",\"invalid\"]}");
		ctl_do("POST", "/requests/reset", "{}");
		assert_int_equal(
			ps_bc_transactions_list_many(many, bc, ids, 12), 0);
		if (round == 0)
			assert_int_equal(
				bc_requests("GET v3/orders/{id}/transactions"),
				12);
		ctl_do("POST", "/faults", "{\"platform\":\"*\",\"rate\":0}");
		for (i = 0; i < 12; i++) {
			assert_int_equal(
				ps_bc_transactions_list(&one, bc, ids[i]), 0);
			assert_int_equal(many[i].count, one.count);
			if (i >= 2)
				assert_true(one.count >= 1);
			for (k = 0; k < one.count; k++) {
				assert_int_equal(many[i].items[k].id,
						 one.items[k].id);
				assert_int_equal(many[i].items[k].order_id,
						 ids[i]);
				assert_int_equal(many[i].items[k].amount,
						 one.items[k].amount);
				assert_int_equal(many[i].items[k].captured,
						 one.items[k].captured);
			}
			ps_bc_transaction_list_dispose(&one);
			ps_bc_transaction_list_dispose(&many[i]);
		}
	}
	/* an order that does not exist fails the call, leaving nothing */
	ids[5] = 99999;
	assert_int_equal(ps_bc_transactions_list_many(many, bc, ids, 12),
			 PS_ENOTFOUND);
	for (i = 0; i < 12; i++)
		assert_int_equal(many[i].count, 0);
	ps_bc_free(bc);
}

/* --- tests ---------------------------------------------------------------- */

static void
test_connector_bc__every_operation(void **state)
{
	ps_bc *bc = bc_open(TOKEN, 0);

	(void)state;
	every_operation(bc);
	ps_bc_free(bc);
}

static void
test_connector_bc__survives_30pct_faults(void **state)
{
	ps_bc *bc = bc_open(TOKEN, 0);
	json_t *faults, *state_j, *orders, *ord;
	size_t i;
	int64_t injected;

	(void)state;
	ctl_do("POST", "/faults",
	       "{\"platform\":\"bigcommerce\",\"rate\":0.3,\"seed\":42,"
	       "\"latency_ms\":5,\"kinds\":[\"429\",\"503\",\"500\",\"drop\","
	       "\"truncate\",\"invalid\",\"latency\"]}");
	every_operation(bc);
	faults = ctl("GET", "/faults", NULL);
	injected = json_integer_value(json_object_get(
		json_object_get(faults, "bigcommerce"), "injected"));
	json_decref(faults);
	ctl_do("POST", "/faults", "{\"platform\":\"*\",\"rate\":0}");
	assert_true(injected >= 20); /* the faults really happened */

	/* exactly once: two shipments on order 100, no hooks left */
	state_j = ctl("GET", "/bigcommerce/state", NULL);
	orders = json_object_get(state_j, "orders");
	json_array_foreach (orders, i, ord) {
		const json_t *o = json_object_get(ord, "order");

		if (json_integer_value(json_object_get(o, "id")) == 100)
			assert_int_equal(json_array_size(json_object_get(
						 ord, "shipments")),
					 2);
	}
	assert_int_equal(json_array_size(json_object_get(state_j, "hooks")), 0);
	json_decref(state_j);
	ps_bc_free(bc);
}

static void
test_connector_bc__paces_itself_under_a_quota(void **state)
{
	ps_http_options ho = PS_HTTP_OPTIONS_INIT;
	ps_http *paced = NULL;
	ps_bc_options o = PS_BC_OPTIONS_INIT;
	ps_bc *bc = NULL;
	json_t *req, *limited;
	int64_t started = mono_ms();

	(void)state;
	/* 20 requests a second: the operations below need several windows,
	 * so the limiter must wait on X-Rate-Limit-* instead of being
	 * refused. */
	ho.backoff_base_ms = 2;
	ho.backoff_cap_ms = 20;
	ho.max_wait_ms = 3000;
	assert_int_equal(ps_http_new(&paced, &ho), 0);
	o.base_url = sbx.bc_url;
	o.store_hash = STORE;
	o.access_token = TOKEN;
	assert_int_equal(ps_bc_new(&bc, paced, &o), 0);
	ctl_do("POST", "/bigcommerce/config",
	       "{\"quota\":20,\"window_ms\":1000}");
	ctl_do("POST", "/requests/reset", "{}");
	check_orders(bc);
	check_shipments(bc);
	check_catalog_inventory(bc);
	req = ctl("GET", "/requests", NULL);
	/* more than one window's quota, so some had to wait */
	assert_true(json_integer_value(json_object_get(
			    json_object_get(req, "bigcommerce"), "total")) >
		    25);
	limited = json_object_get(
		json_object_get(json_object_get(req, "bigcommerce"),
				"endpoints"),
		"rate-limited");
	assert_int_equal(json_integer_value(limited), 0);
	assert_true(mono_ms() - started >= 1000); /* it did wait */
	json_decref(req);
	ps_bc_free(bc);
	ps_http_free(paced);
}

static void
test_connector_bc__refused_token_is_auth_error(void **state)
{
	ps_bc *bc = bc_open("wrong-token-123", 0);
	ps_bc_order_list l;
	char *name = NULL;

	(void)state;
	assert_int_equal(ps_bc_check_connection(&name, bc), PS_EAUTH);
	assert_null(name);
	assert_non_null(strstr(ps_error_last(), "refused the access token"));
	assert_null(strstr(ps_error_last(), "wrong-token-123"));
	assert_int_equal(ps_bc_orders_list(&l, bc, NULL), PS_EAUTH);
	ps_bc_free(bc);
}

static void
test_connector_bc__token_never_logged(void **state)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	ps_bc *bc, *bad;
	ps_bc_order o;
	char *name = NULL;

	(void)state;
	assert_non_null(mem);
	ps_log_set_stream(mem);
	ps_log_set_level(PS_LOG_DEBUG);
	bc = bc_open(TOKEN, 0);
	bad = bc_open("wrong-token-456", 0);
	ctl_do("POST", "/faults",
	       "{\"platform\":\"bigcommerce\",\"rate\":0.5,\"seed\":3,"
	       "\"kinds\":[\"500\",\"drop\",\"invalid\"]}");
	assert_int_equal(ps_bc_check_connection(&name, bc), 0);
	free(name);
	assert_int_equal(ps_bc_order_get(&o, bc, 100), 0);
	ps_bc_order_dispose(&o);
	ps_log_error("test", "%s", ps_error_last());
	assert_int_equal(ps_bc_check_connection(&name, bad), PS_EAUTH);
	ps_log_error("test", "%s", ps_error_last());
	ctl_do("POST", "/faults", "{\"platform\":\"*\",\"rate\":0}");
	ps_log_set_level(PS_LOG_INFO);
	ps_log_set_stream(log_sink);
	fclose(mem);
	assert_non_null(text);
	assert_true(len > 0); /* something was logged */
	assert_null(strstr(text, TOKEN));
	assert_null(strstr(text, "wrong-token-456"));
	free(text);
	ps_bc_free(bc);
	ps_bc_free(bad);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup(f, reset)
	const struct CMUnitTest tests[] = {
		T(test_connector_bc__every_operation),
		T(test_connector_bc__orders_read_inline),
		T(test_connector_bc__orders_stream_in_chunks),
		T(test_connector_bc__transactions_read_together),
		T(test_connector_bc__survives_30pct_faults),
		T(test_connector_bc__paces_itself_under_a_quota),
		T(test_connector_bc__refused_token_is_auth_error),
		T(test_connector_bc__token_never_logged),
	};
#undef T
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
