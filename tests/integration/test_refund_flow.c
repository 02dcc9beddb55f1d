/*
 * test_refund_flow.c - BigCommerce refunds into Brightpearl sales
 * credits, end to end through the worker against pearlsync-sandbox.
 *
 * The test acts as the shopper (orders placed through the control API),
 * lets the order import bring them into Brightpearl, and acts as the
 * merchant refunding them through BigCommerce's own API (a refund quote,
 * then the refund with its payment).  What pearlsync made is read from
 * the Brightpearl sandbox's state: the sales credits (parent, rows,
 * amounts to the cent, tax and nominal codes), the customer payments
 * against them and the on-hand stock.  The last test kills the real
 * `pearlsync worker` with SIGKILL at seeded moments while refunds are
 * being credited, then checks every refund has exactly one credit, one
 * payment and one goods-in.
 */
#define _DEFAULT_SOURCE
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "flow_fixture.h"
#include "pearlsync/log.h"
#include "pearlsync/store.h"
#include "pearlsync/worker.h"

#define DEADLINE_MS 20000

static flow_fixture fx;
static char conf[512];
static char errlog[512]; /* stderr of the runs that are not killed */

static const char *
jstr(const json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	return v != NULL ? v : "";
}

static int64_t
jint(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);

	if (json_is_string(v))
		return strtoll(json_string_value(v), NULL, 10);
	return (int64_t)json_integer_value(v);
}

/* A money field ("12.3400" or a number) in cents. */
static int64_t
cents(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);
	double d = json_is_string(v) ? strtod(json_string_value(v), NULL)
				     : json_number_value(v);

	return (int64_t)(d * 100 + (d < 0 ? -0.5 : 0.5));
}

static int
setup(void **state)
{
	static const char *const settings[][2] = {
		{"brightpearl.account", "sandbox"},
		{"brightpearl.app_ref", "sandbox_pearlsync"},
		{"brightpearl.token", "sandbox-token"},
		{"bigcommerce.store_hash", "sandbox"},
		{"bigcommerce.token", "sandbox-token"},
		{"bigcommerce.orders.enabled", "true"},
		{"bigcommerce.orders.import_statuses", "11"},
		{"bigcommerce.defaults.channel_id", "1"},
		{"bigcommerce.defaults.warehouse_id", "2"},
		{"bigcommerce.defaults.tax_code", "T"},
		{"bigcommerce.defaults.nominal_code", "4000"},
		{"bigcommerce.defaults.shipping_nominal_code", "4040"},
		{"bigcommerce.refunds.enabled", "true"},
		{"sync.poll_interval_seconds", "86400"},
	};
	static const char *const flows[] = {"orders", "refunds", NULL};
	size_t i;
	FILE *fp;

	*state = &fx;
	if (flow_fixture_open(&fx, NULL) < 0)
		return -1;
	for (i = 0; i < sizeof(settings) / sizeof(*settings); i++)
		if (flow_fixture_set(&fx, settings[i][0], settings[i][1]) < 0)
			return -1;
	if (flow_fixture_set(&fx, "brightpearl.base_url",
			     sandbox_proc_url(&fx.sb, "brightpearl")) < 0 ||
	    flow_fixture_set(&fx, "bigcommerce.base_url",
			     sandbox_proc_url(&fx.sb, "bigcommerce")) < 0 ||
	    flow_fixture_map(&fx, "order_status", "bc>bp", "11", "2") < 0 ||
	    flow_fixture_map(&fx, "order_status", "bc>bp", "", "2") < 0 ||
	    /* the shipping row's own tax code, kept by its credit row */
	    flow_fixture_map(&fx, "tax_code", "bc>bp", "shipping", "N") < 0 ||
	    flow_fixture_map(&fx, "payment_method", "bc>bp", "",
			     "BIGCOMMERCE") < 0 ||
	    flow_fixture_map(&fx, "payment_method", "bc>bp", "storecredit",
			     "PAYPAL") < 0 ||
	    flow_fixture_start_worker(&fx, flows) < 0 ||
	    ps_worker_run_once(fx.worker, NULL) < 0)
		return -1;
	test_db_file(conf, sizeof(conf), &fx.db, "p.conf");
	test_db_file(errlog, sizeof(errlog), &fx.db, "stderr.txt");
	if ((fp = fopen(conf, "w")) == NULL)
		return -1;
	fprintf(fp, "database = \"%s\";\nlog_level = \"warn\";\n", fx.db.path);
	fclose(fp);
	return 0;
}

static int
imported(int64_t bc_id)
{
	return fx_bp_order_of(&fx, bc_id) != 0;
}

/* A shopper's order of lines (10% tax, 5.00 shipping), imported. */
static fx_order
place(const char *lines, int status)
{
	char fields[128];
	fx_order o;

	snprintf(fields, sizeof(fields),
		 "\"status_id\":%d,\"shipping_cost\":\"5.00\","
		 "\"tax_rate\":\"0.1\"",
		 status == 0 ? 11 : status);
	o.bc_id = fx_bc_order_place(&fx, lines, fields);
	o.bp_id = 0;
	if (status == 0) /* placed while the import is off */
		return o;
	{
		assert_true(
			fx_rounds_until(&fx, imported, o.bc_id, DEADLINE_MS));
		o.bp_id = fx_bp_order_of(&fx, o.bc_id);
	}
	return o;
}

/* The order product id of sku on BigCommerce order bc_id; with sku
 * NULL the order's shipping address id. */
static int64_t
bc_item(int64_t bc_id, const char *sku)
{
	json_t *o = fx_bc_order(&fx, bc_id), *l;
	int64_t id = 0;
	size_t i;

	if (sku == NULL)
		id = jint(json_array_get(
				  json_object_get(o, "shipping_addresses"), 0),
			  "id");
	json_array_foreach (json_object_get(o, "products"), i, l)
		if (sku != NULL && strcmp(jstr(l, "sku"), sku) == 0)
			id = jint(l, "id");
	json_decref(o);
	assert_true(id > 0);
	return id;
}

/* How the refunds pay the money back (BigCommerce's provider_id). */
static const char *provider = "storecredit";

static const char *const bc_headers[] = {"X-Auth-Token: sandbox-token",
					 "Content-Type: application/json",
					 "Accept: application/json", NULL};

/*
 * The merchant refunds items (a JSON array) of order bc_id as
 * BigCommerce asks: a quote first, then the refund of the quoted amount
 * to store credit.  The refund's id; *total its amount in cents.
 */
static int64_t
refund(int64_t bc_id, const char *items, int64_t *total)
{
	char path[128], body[1024];
	json_t *r = NULL, *d;
	long status;
	int64_t id;

	snprintf(path, sizeof(path),
		 "/stores/sandbox/v3/orders/%" PRId64
		 "/payment_actions/refund_quotes",
		 bc_id);
	snprintf(body, sizeof(body), "{\"items\":%s}", items);
	status = fx_api(&r, &fx, "bigcommerce", "POST", path, bc_headers, body);
	assert_int_equal(status, 201);
	d = json_object_get(r, "data");
	*total = cents(d, "total_refund_amount");
	json_decref(r);
	snprintf(path, sizeof(path),
		 "/stores/sandbox/v3/orders/%" PRId64
		 "/payment_actions/refunds",
		 bc_id);
	snprintf(body, sizeof(body),
		 "{\"items\":%s,\"payments\":[{\"provider_id\":"
		 "\"%s\",\"amount\":%" PRId64 ".%02" PRId64
		 ",\"offline\":false}]}",
		 items, provider, *total / 100, *total % 100);
	status = fx_api(&r, &fx, "bigcommerce", "POST", path, bc_headers, body);
	assert_int_equal(status, 201);
	id = jint(json_object_get(r, "data"), "id");
	json_decref(r);
	assert_true(id > 0);
	return id;
}

/* The Brightpearl sandbox's state (new reference). */
static json_t *
bp_state(void)
{
	return fx_ctl(&fx, "GET", "/brightpearl/state", NULL);
}

/* The sales credits whose externalRef is ref (new reference, array). */
static json_t *
credits_of(json_t *state, const char *ref)
{
	json_t *out = json_array(), *o;
	const char *k;

	json_object_foreach (json_object_get(state, "orders"), k, o)
		if (strcmp(jstr(o, "orderTypeCode"), "SC") == 0 &&
		    strcmp(jstr(o, "externalRef"), ref) == 0)
			json_array_append(out, o);
	return out;
}

static size_t
payments_on(json_t *state, int64_t order_id, json_t **one)
{
	json_t *p;
	const char *k;
	size_t n = 0;

	json_object_foreach (json_object_get(state, "payments"), k, p)
		if (jint(p, "orderId") == order_id) {
			n++;
			if (one != NULL)
				*one = p;
		}
	return n;
}

static size_t
goods_in_on(json_t *state, int64_t order_id)
{
	json_t *g;
	const char *k;
	size_t n = 0;

	json_object_foreach (json_object_get(state, "goodsInNotes"), k, g)
		n += jint(g, "orderId") == order_id;
	return n;
}

/* On-hand of sku in warehouse wh. */
static int64_t
on_hand(const char *sku, int wh)
{
	json_t *s = bp_state();
	char pk[32], wk[16];
	int64_t v;

	snprintf(pk, sizeof(pk), "%" PRId64, fx_bp_product(&fx, sku));
	snprintf(wk, sizeof(wk), "%d", wh);
	v = jint(json_object_get(
			 json_object_get(json_object_get(s, "stock"), pk), wk),
		 "inStock");
	json_decref(s);
	return v;
}

static char want_ref[64];

static int
credited(int64_t arg)
{
	json_t *s = bp_state(), *c = credits_of(s, want_ref);
	int ok = json_array_size(c) > 0 &&
		 payments_on(s, jint(json_array_get(c, 0), "id"), NULL) > 0;

	(void)arg;
	json_decref(c);
	json_decref(s);
	return ok;
}

/* The one credit of refund rid of order o, checked for its parent and
 * one PAYMENT of total cents by method; new reference. */
static json_t *
the_credit(const fx_order *o, int64_t rid, int64_t total, const char *method)
{
	json_t *s, *c, *credit, *pay = NULL, *r;
	int64_t sum = 0;
	size_t i;

	snprintf(want_ref, sizeof(want_ref), "%" PRId64 "-R%" PRId64, o->bc_id,
		 rid);
	if (!fx_rounds_until(&fx, credited, 0, DEADLINE_MS))
		flow_fixture_log_dump(&fx);
	s = bp_state();
	c = credits_of(s, want_ref);
	assert_int_equal(json_array_size(c), 1);
	credit = json_incref(json_array_get(c, 0));
	assert_int_equal(jint(credit, "parentId"), o->bp_id);
	json_array_foreach (json_object_get(credit, "rows"), i, r)
		sum += cents(r, "net") + cents(r, "tax");
	assert_int_equal(sum, total);
	assert_int_equal(payments_on(s, jint(credit, "id"), &pay), 1);
	assert_string_equal(jstr(pay, "paymentType"), "PAYMENT");
	assert_string_equal(jstr(pay, "paymentMethodCode"), method);
	assert_int_equal(cents(pay, "amountPaid"), total);
	json_decref(c);
	json_decref(s);
	return credit;
}

/* The row of credit c for sku (NULL: the shipping row): its net and tax
 * in cents, tax and nominal code. */
static void
row_is(json_t *c, const char *sku, int64_t net, int64_t tax,
       const char *tax_code, const char *nominal)
{
	json_t *r;
	size_t i;

	json_array_foreach (json_object_get(c, "rows"), i, r) {
		if (sku != NULL ? strcmp(jstr(r, "sku"), sku) != 0
				: strncmp(jstr(r, "name"), "Shipping", 8) != 0)
			continue;
		assert_int_equal(cents(r, "net"), net);
		assert_int_equal(cents(r, "tax"), tax);
		assert_string_equal(jstr(r, "taxCode"), tax_code);
		assert_string_equal(jstr(r, "nominalCode"), nominal);
		return;
	}
	fail_msg("no row for %s", sku ? sku : "shipping");
}

/* Two tees (19.00) and a mug (9.95) at 10% with 5.00 shipping: all of
 * it refunded and restocked into the default warehouse. */
static void
test_whole_order_restocked(void **state)
{
	fx_order o;
	char items[512];
	int64_t rid, total, tee0, mug0;
	json_t *c, *s;

	(void)state;
	fx_set(&fx, "bigcommerce.refunds.restock", "true");
	o = place("[{\"sku\":\"TEE-RED-M\",\"quantity\":2},"
		  "{\"sku\":\"MUG-LOGO\",\"quantity\":1}]",
		  11);
	tee0 = on_hand("TEE-RED-M", 2);
	mug0 = on_hand("MUG-LOGO", 2);
	snprintf(items, sizeof(items),
		 "[{\"item_type\":\"PRODUCT\",\"item_id\":%" PRId64
		 ",\"quantity\":2},{\"item_type\":\"PRODUCT\",\"item_id\":"
		 "%" PRId64 ",\"quantity\":1},{\"item_type\":\"SHIPPING\","
		 "\"item_id\":%" PRId64 ",\"amount\":5.50}]",
		 bc_item(o.bc_id, "TEE-RED-M"), bc_item(o.bc_id, "MUG-LOGO"),
		 bc_item(o.bc_id, NULL));
	rid = refund(o.bc_id, items, &total);
	assert_int_equal(total, 4180 + 1095 + 550);
	c = the_credit(&o, rid, total, "PAYPAL");
	assert_int_equal(json_array_size(json_object_get(c, "rows")), 3);
	row_is(c, "TEE-RED-M", 3800, 380, "T", "4000");
	row_is(c, "MUG-LOGO", 995, 100, "T", "4000");
	row_is(c, NULL, 500, 50, "N", "4040");
	assert_int_equal(on_hand("TEE-RED-M", 2), tee0 + 2);
	assert_int_equal(on_hand("MUG-LOGO", 2), mug0 + 1);
	s = bp_state();
	assert_int_equal(goods_in_on(s, jint(c, "id")), 1);
	json_decref(s);
	assert_int_equal(fx_bc_status(&fx, o.bc_id), 4); /* Refunded */
	json_decref(c);
	fx_set(&fx, "bigcommerce.refunds.restock", "");
}

/* One of two tees, no restock: one row for one unit, stock unchanged. */
static void
test_one_line_partial_no_restock(void **state)
{
	fx_order o;
	char items[256];
	int64_t rid, total, tee0;
	json_t *c, *s;

	(void)state;
	o = place("[{\"sku\":\"TEE-RED-M\",\"quantity\":2},"
		  "{\"sku\":\"CAP-BLK\",\"quantity\":1}]",
		  11);
	tee0 = on_hand("TEE-RED-M", 2);
	snprintf(items, sizeof(items),
		 "[{\"item_type\":\"PRODUCT\",\"item_id\":%" PRId64
		 ",\"quantity\":1}]",
		 bc_item(o.bc_id, "TEE-RED-M"));
	rid = refund(o.bc_id, items, &total);
	assert_int_equal(total, 2090);
	c = the_credit(&o, rid, total, "PAYPAL");
	assert_int_equal(json_array_size(json_object_get(c, "rows")), 1);
	row_is(c, "TEE-RED-M", 1900, 190, "T", "4000");
	assert_int_equal(
		jint(json_array_get(json_object_get(c, "rows"), 0), "quantity"),
		1);
	assert_int_equal(on_hand("TEE-RED-M", 2), tee0);
	s = bp_state();
	assert_int_equal(goods_in_on(s, jint(c, "id")), 0);
	json_decref(s);
	assert_int_equal(fx_bc_status(&fx, o.bc_id), 14); /* Partially */
	json_decref(c);
}

/* Shipping alone: the shipping row's codes, nothing restocked even with
 * restock on. */
static void
test_shipping_only(void **state)
{
	fx_order o;
	char items[256];
	int64_t rid, total, bag0;
	json_t *c;

	(void)state;
	fx_set(&fx, "bigcommerce.refunds.restock", "true");
	o = place("[{\"sku\":\"BAG-TOTE\",\"quantity\":1}]", 11);
	bag0 = on_hand("BAG-TOTE", 2);
	snprintf(items, sizeof(items),
		 "[{\"item_type\":\"SHIPPING\",\"item_id\":%" PRId64
		 ",\"amount\":5.50}]",
		 bc_item(o.bc_id, NULL));
	rid = refund(o.bc_id, items, &total);
	assert_int_equal(total, 550);
	/* worker ticks alone, no poll due: the refund webhook brings it */
	snprintf(want_ref, sizeof(want_ref), "%" PRId64 "-R%" PRId64, o.bc_id,
		 rid);
	assert_true(fx_ticks_until(&fx, credited, 0, DEADLINE_MS));
	c = the_credit(&o, rid, total, "PAYPAL");
	assert_int_equal(json_array_size(json_object_get(c, "rows")), 1);
	row_is(c, NULL, 500, 50, "N", "4040");
	assert_int_equal(on_hand("BAG-TOTE", 2), bag0);
	json_decref(c);
	fx_set(&fx, "bigcommerce.refunds.restock", "");
}

/* Restock into the refunds' own warehouse (3), and the payment method
 * by the mapping's default when the provider is not mapped. */
static void
test_restock_other_warehouse(void **state)
{
	fx_order o;
	char items[256];
	int64_t rid, total, s2, s3;
	json_t *c;

	(void)state;
	fx_set(&fx, "bigcommerce.refunds.restock", "true");
	fx_set(&fx, "bigcommerce.refunds.warehouse_id", "3");
	provider = "cash"; /* unmapped: the default mapping */
	o = place("[{\"sku\":\"SOCK-3PK\",\"quantity\":3}]", 11);
	s2 = on_hand("SOCK-3PK", 2);
	s3 = on_hand("SOCK-3PK", 3);
	snprintf(items, sizeof(items),
		 "[{\"item_type\":\"PRODUCT\",\"item_id\":%" PRId64
		 ",\"quantity\":2}]",
		 bc_item(o.bc_id, "SOCK-3PK"));
	rid = refund(o.bc_id, items, &total);
	assert_int_equal(total, 2 * 1210);
	c = the_credit(&o, rid, total, "BIGCOMMERCE");
	row_is(c, "SOCK-3PK", 2200, 220, "T", "4000");
	assert_int_equal(on_hand("SOCK-3PK", 3), s3 + 2);
	assert_int_equal(on_hand("SOCK-3PK", 2), s2);
	json_decref(c);
	provider = "storecredit";
	fx_set(&fx, "bigcommerce.refunds.warehouse_id", "");
	fx_set(&fx, "bigcommerce.refunds.restock", "");
}

/* An order-level amount (item ORDER): one free-text row without tax,
 * coded bigcommerce.defaults.tax_code, nothing restocked. */
static void
test_order_level_amount(void **state)
{
	fx_order o;
	char items[256];
	int64_t rid, total, cap0;
	json_t *c, *r;

	(void)state;
	fx_set(&fx, "bigcommerce.refunds.restock", "true");
	o = place("[{\"sku\":\"CAP-BLK\",\"quantity\":1}]", 11);
	cap0 = on_hand("CAP-BLK", 2);
	snprintf(items, sizeof(items),
		 "[{\"item_type\":\"ORDER\",\"item_id\":%" PRId64
		 ",\"amount\":3.00,\"reason\":\"late\"}]",
		 o.bc_id);
	rid = refund(o.bc_id, items, &total);
	assert_int_equal(total, 300);
	c = the_credit(&o, rid, total, "PAYPAL");
	assert_int_equal(json_array_size(json_object_get(c, "rows")), 1);
	r = json_array_get(json_object_get(c, "rows"), 0);
	assert_int_equal(cents(r, "net"), 300);
	assert_int_equal(cents(r, "tax"), 0);
	assert_string_equal(jstr(r, "taxCode"), "T");
	assert_null(json_object_get(r, "productId"));
	assert_int_equal(on_hand("CAP-BLK", 2), cap0);
	json_decref(c);
	fx_set(&fx, "bigcommerce.refunds.restock", "");
}

static char waiting_key[64];

static int
entry_waits(int64_t arg)
{
	ps_log_entry e;
	int ok;

	(void)arg;
	if (ps_store_log_get_by_key(&e, fx.st, waiting_key) < 0)
		return 0;
	ok = e.status != PS_ENTRY_SYNCED && e.reason != NULL &&
	     strstr(e.reason, "not imported into Brightpearl yet") != NULL;
	ps_log_entry_dispose(&e);
	return ok;
}

/* A refund of an order not imported yet waits (the import is off when
 * the order is placed), then goes once the order is imported. */
static void
test_waits_for_the_import(void **state)
{
	fx_order o;
	char items[256];
	int64_t rid, total;
	json_t *s, *c;

	(void)state;
	fx_set(&fx, "bigcommerce.orders.enabled", "false");
	o = place("[{\"sku\":\"CAP-BLK\",\"quantity\":2}]", 0);
	snprintf(items, sizeof(items),
		 "[{\"item_type\":\"PRODUCT\",\"item_id\":%" PRId64
		 ",\"quantity\":1}]",
		 bc_item(o.bc_id, "CAP-BLK"));
	rid = refund(o.bc_id, items, &total);
	snprintf(waiting_key, sizeof(waiting_key), "bc:refund:%" PRId64, rid);
	assert_true(fx_rounds_until(&fx, entry_waits, 0, DEADLINE_MS));
	snprintf(want_ref, sizeof(want_ref), "%" PRId64 "-R%" PRId64, o.bc_id,
		 rid);
	s = bp_state();
	c = credits_of(s, want_ref);
	assert_int_equal(json_array_size(c), 0);
	json_decref(c);
	json_decref(s);
	/* the import is switched on, importing the Partially Refunded
	 * status the refund gave the order: the order comes, then its
	 * credit */
	fx_set(&fx, "bigcommerce.orders.import_statuses", "11,14");
	fx_map(&fx, "order_status", "bc>bp", "14", "2");
	fx_set(&fx, "bigcommerce.orders.enabled", "true");
	assert_true(fx_rounds_until(&fx, imported, o.bc_id, DEADLINE_MS));
	o.bp_id = fx_bp_order_of(&fx, o.bc_id);
	c = the_credit(&o, rid, total, "PAYPAL");
	json_decref(c);
	fx_set(&fx, "bigcommerce.orders.import_statuses", "11");
}

/* A refund entry naming an order BigCommerce does not have fails with
 * the reason. */
static void
test_unknown_order_fails(void **state)
{
	ps_log_entry e;
	int64_t id = 0;
	static char flow[] = "refund_import_bc", key[] = "bc:refund:999001",
		    kind[] = "refund.import", rid[] = "999001",
		    oid[] = "999999";

	(void)state;
	ps_log_entry_init(&e);
	e.flow = flow;
	e.dedupe_key = key;
	e.kind = kind;
	e.subject = rid;
	e.subject_order = oid;
	e.source_platform = PS_PLATFORM_BIGCOMMERCE;
	e.source_id = rid;
	e.target_platform = PS_PLATFORM_BRIGHTPEARL;
	assert_true(ps_store_log_add(&id, fx.st, &e, flow_fixture_now_ms()) >=
		    0);
	fx_passes(&fx, 2, 20);
	assert_int_equal(ps_store_log_get_by_key(&e, fx.st, "bc:refund:999001"),
			 0);
	assert_int_equal(e.status, PS_ENTRY_FAILED);
	assert_non_null(strstr(e.reason, "does not exist"));
	ps_log_entry_dispose(&e);
}

/* ---- exactly once under SIGKILL ------------------------------------------ */

#define KILL_ORDERS 6
#define KILLS 16

static pid_t
spawn(const char *what)
{
	const char *bin = getenv("PS_BIN_DIR");
	char path[512];
	pid_t pid;

	snprintf(path, sizeof(path), "%s/pearlsync", bin ? bin : ".");
	pid = fork();
	if (pid == 0) {
		/* a killed worker says nothing; the others' stderr is kept
		 * for the sanitizers' reports */
		if (freopen("/dev/null", "w", stdout) == NULL ||
		    freopen(strcmp(what, "worker") == 0 ? "/dev/null" : errlog,
			    "a", stderr) == NULL)
			_exit(127);
		if (strcmp(what, "once") == 0)
			execl(path, path, "--config", conf, "worker", "--once",
			      "--no-listen", (char *)NULL);
		else if (strcmp(what, "retry") == 0)
			execl(path, path, "--config", conf, "retry", "--failed",
			      (char *)NULL);
		else
			execl(path, path, "--config", conf, "worker",
			      "--no-listen", (char *)NULL);
		_exit(127);
	}
	return pid;
}

static void
reap(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		;
}

static size_t
refunds_unsynced(int verbose)
{
	ps_log_entry *v = NULL;
	ps_log_query f = PS_LOG_QUERY_INIT;
	size_t n = 0, i, left = 0;

	f.limit = 1000;
	assert_int_equal(ps_store_log_list(&v, &n, fx.st, &f), 0);
	for (i = 0; i < n; i++)
		if (strcmp(v[i].flow, "refund_import_bc") == 0 &&
		    strcmp(v[i].dedupe_key, "bc:refund:999001") != 0 &&
		    v[i].status != PS_ENTRY_SYNCED) {
			if (verbose)
				fprintf(stderr, "left: %s %s\n",
					v[i].dedupe_key,
					v[i].reason ? v[i].reason : "");
			left++;
		}
	ps_log_entries_free(v, n);
	return left;
}

/* Refund entries whose credit was found by its reference rather than
 * created: a kill came after the create. */
static size_t
adopted(void)
{
	ps_log_entry *v = NULL;
	ps_log_query f = PS_LOG_QUERY_INIT;
	size_t n = 0, i, k = 0;

	f.limit = 1000;
	f.flow = "refund_import_bc";
	assert_int_equal(ps_store_log_list(&v, &n, fx.st, &f), 0);
	for (i = 0; i < n; i++)
		k += v[i].detail != NULL &&
		     strncmp(v[i].detail, "found sales credit", 18) == 0;
	ps_log_entries_free(v, n);
	return k;
}

static void
test_exactly_once_under_sigkill(void **state)
{
	const char *seed_env = getenv("REFUND_KILL_SEED");
	unsigned seed =
		seed_env ? (unsigned)strtoul(seed_env, NULL, 10) : 20261204u;
	fx_order o[KILL_ORDERS];
	int64_t rid[KILL_ORDERS], total[KILL_ORDERS], hood0;
	char items[256];
	json_t *s;
	int k, tries;

	(void)state;
	/* no duplicate guard: the flow's own lookup is what is tested */
	fx_set(&fx, "brightpearl.installed_integration_instance_id", "");
	fx_set(&fx, "bigcommerce.refunds.restock", "true");
	fx_set(&fx, "sync.poll_interval_seconds", "5");
	for (k = 0; k < KILL_ORDERS; k++)
		o[k] = place("[{\"sku\":\"HOOD-GRY-M\",\"quantity\":2}]", 11);
	/* the in-process worker stops here: only the killed ones credit */
	ps_worker_free(fx.worker);
	fx.worker = NULL;
	hood0 = on_hand("HOOD-GRY-M", 2);
	for (k = 0; k < KILL_ORDERS; k++) {
		snprintf(items, sizeof(items),
			 "[{\"item_type\":\"PRODUCT\",\"item_id\":%" PRId64
			 ",\"quantity\":%d}]",
			 bc_item(o[k].bc_id, "HOOD-GRY-M"), 1 + k % 2);
		rid[k] = refund(o[k].bc_id, items, &total[k]);
	}
	/* every Brightpearl reply 80 ms late: a kill 0.1-1.6 s into a
	 * worker's life lands between its requests, before and after the
	 * credit, its payment and its goods-in */
	fx_ctl_ok(&fx, "POST", "/faults",
		  "{\"platform\":\"brightpearl\",\"rate\":1,"
		  "\"kinds\":[\"latency\"],\"latency_ms\":80}");
	srand(seed);
	for (k = 0; k < KILLS; k++) {
		pid_t pid = spawn("worker");
		struct timespec ts;
		long ms = 100 + rand() % 1500;

		ts.tv_sec = ms / 1000;
		ts.tv_nsec = (ms % 1000) * 1000000L;
		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
		reap(pid);
	}
	fx_ctl_ok(&fx, "POST", "/faults", "{\"platform\":\"*\",\"rate\":0}");
	s = bp_state();
	{
		size_t made = 0;

		for (k = 0; k < KILL_ORDERS; k++) {
			json_t *c;

			snprintf(want_ref, sizeof(want_ref),
				 "%" PRId64 "-R%" PRId64, o[k].bc_id, rid[k]);
			c = credits_of(s, want_ref);
			made += json_array_size(c) > 0;
			json_decref(c);
		}
		/* credits made whose entries are not synced: a kill came
		 * after the create and before the outcome was recorded */
		fprintf(stderr,
			"after %d kills: %zu of %d refunds credited, %zu "
			"refund entries not synced\n",
			KILLS, made, KILL_ORDERS, refunds_unsynced(0));
	}
	json_decref(s);
	for (tries = 0; tries < 8 && refunds_unsynced(0) > 0; tries++) {
		reap(spawn("once"));
		if (refunds_unsynced(0) == 0)
			break;
		reap(spawn("retry"));
		sleep(1);
	}
	assert_int_equal(refunds_unsynced(1), 0);
	{
		/* no sanitizer report from the runs that ended by themselves */
		char line[512];
		FILE *fp = fopen(errlog, "r");

		while (fp != NULL && fgets(line, sizeof(line), fp) != NULL)
			if (strstr(line, "Sanitizer") != NULL ||
			    strstr(line, "runtime error:") != NULL)
				fail_msg("sanitizer: %s", line);
		if (fp != NULL)
			fclose(fp);
	}
	s = bp_state();
	{
		int64_t back = 0;

		for (k = 0; k < KILL_ORDERS; k++) {
			json_t *c, *credit;

			snprintf(want_ref, sizeof(want_ref),
				 "%" PRId64 "-R%" PRId64, o[k].bc_id, rid[k]);
			c = credits_of(s, want_ref);
			assert_int_equal(json_array_size(c), 1);
			credit = json_array_get(c, 0);
			assert_int_equal(jint(credit, "parentId"), o[k].bp_id);
			assert_int_equal(
				payments_on(s, jint(credit, "id"), NULL), 1);
			assert_int_equal(goods_in_on(s, jint(credit, "id")), 1);
			back += 1 + k % 2;
			json_decref(c);
		}
		json_decref(s);
		assert_int_equal(on_hand("HOOD-GRY-M", 2), hood0 + back);
		fprintf(stderr,
			"%d refunds under %d SIGKILLs: one credit, one "
			"payment, one goods-in each; %" PRId64
			" units back; %zu credits found again after a kill "
			"that followed their create\n",
			KILL_ORDERS, KILLS, back, adopted());
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole_order_restocked),
		cmocka_unit_test(test_one_line_partial_no_restock),
		cmocka_unit_test(test_shipping_only),
		cmocka_unit_test(test_restock_other_warehouse),
		cmocka_unit_test(test_order_level_amount),
		cmocka_unit_test(test_waits_for_the_import),
		cmocka_unit_test(test_unknown_order_fails),
		cmocka_unit_test(test_exactly_once_under_sigkill),
	};

	return cmocka_run_group_tests(tests, setup, flow_fixture_teardown);
}
