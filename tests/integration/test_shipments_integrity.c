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

#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "pearlsync/bigcommerce.h"
#include "pearlsync/brightpearl.h"
#include "pearlsync/config.h"
#include "pearlsync/flow.h"
#include "pearlsync/log.h"
#include "pearlsync/store.h"
#include "pearlsync/worker.h"
#include "sandbox_proc.h"

#define SECRET "ship-path-token"
#define DEADLINE_MS 20000
#define FLOW "shipment_export_bc"
#define METHOD "Express (mapped)"

static sandbox_proc sb;
static char db_path[256];
static int listen_port;
static ps_http *http;
static ps_bp *bp;
static ps_bc *bc;
static ps_store *st;
static ps_worker *worker;

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A control call that must succeed; the reply (new reference). */
static json_t *
ctl(const char *method, const char *path, const char *body)
{
	sandbox_reply r;
	char url[512];
	json_t *j;

	snprintf(url, sizeof(url), "%s%s", sb.control, path);
	sandbox_http(&r, method, url, NULL, body, NULL);
	if (r.status < 200 || r.status > 299)
		fprintf(stderr, "control %s %s -> %ld %s\n", method, path,
			r.status, r.body ? r.body : "");
	assert_true(r.status >= 200 && r.status <= 299);
	j = r.body_len ? json_loadb(r.body, r.body_len, 0, NULL)
		       : json_object();
	sandbox_reply_dispose(&r);
	assert_non_null(j);
	return j;
}

static void
ctl_ok(const char *method, const char *path, const char *body)
{
	json_decref(ctl(method, path, body));
}

static void
set(const char *key, const char *value)
{
	assert_int_equal(
	    ps_store_setting_set(NULL, st, key, value, "test", now_ms()), 0);
}

static void
rounds(int n)
{
	int i;

	for (i = 0; i < n; i++) {
		assert_int_equal(ps_worker_run_once(worker, NULL), 0);
		usleep(20000);
	}
}

/* Worker passes until check(arg) holds or the deadline passes. */
static int
run_until(int (*check)(void *), void *arg)
{
	int64_t end = now_ms() + DEADLINE_MS;

	do {
		assert_int_equal(ps_worker_run_once(worker, NULL), 0);
		if (check(arg))
			return 1;
		usleep(20000);
	} while (now_ms() < end);
	return 0;
}

/* ---- orders and notes ------------------------------------------------ */

typedef struct order {
	int64_t bc_id, bp_id;
} order;

static int64_t
bp_product(const char *sku)
{
	ps_bp_product_list pl = {NULL, 0, NULL};
	int64_t id;

	assert_int_equal(ps_bp_product_find(&pl, bp, PS_BP_IDENTITY_SKU, sku),
			 0);
	assert_int_equal(pl.n, 1);
	id = pl.items[0].id;
	ps_bp_product_list_dispose(&pl);
	return id;
}

/* A BigCommerce order of two lines and its imported Brightpearl twin. */
static order
make_order(const char *sku1, int q1, const char *sku2, int q2)
{
	ps_bp_order_row rows[2];
	ps_bp_order o;
	char body[768], ext[32], b[32];
	json_t *r;
	order p;

	snprintf(body, sizeof(body),
		 "{\"customer\":{\"email\":\"ada@example.com\","
		 "\"first_name\":\"Ada\",\"last_name\":\"L\"},"
		 "\"billing_address\":{\"first_name\":\"Ada\",\"last_name\":"
		 "\"L\",\"street_1\":\"1 Road\",\"city\":\"Town\",\"zip\":"
		 "\"12345\",\"country\":\"United States\",\"country_iso2\":"
		 "\"US\",\"email\":\"ada@example.com\"},"
		 "\"lines\":[{\"sku\":\"%s\",\"quantity\":%d},"
		 "{\"sku\":\"%s\",\"quantity\":%d}],\"status_id\":11}",
		 sku1, q1, sku2, q2);
	r = ctl("POST", "/bigcommerce/orders", body);
	p.bc_id = json_integer_value(
	    json_object_get(json_object_get(r, "order"), "id"));
	json_decref(r);
	assert_true(p.bc_id > 0);
	memset(rows, 0, sizeof(rows));
	memset(&o, 0, sizeof(o));
	rows[0].product_id = bp_product(sku1);
	rows[0].name = sku1;
	rows[0].quantity = q1;
	rows[1].product_id = bp_product(sku2);
	rows[1].name = sku2;
	rows[1].quantity = q2;
	snprintf(ext, sizeof(ext), "%" PRId64, p.bc_id);
	o.customer_id = 201;
	o.external_ref = ext;
	o.status_id = 2;
	o.warehouse_id = 2;
	o.shipping_method_id = 6;
	o.rows = rows;
	o.nrows = 2;
	assert_int_equal(ps_bp_order_create(&p.bp_id, NULL, bp, &o), 0);
	snprintf(b, sizeof(b), "%" PRId64, p.bp_id);
	assert_int_equal(ps_store_xref_set(st, "order", PS_PLATFORM_BIGCOMMERCE,
					   ext, PS_PLATFORM_BRIGHTPEARL, b,
					   now_ms()),
			 0);
	return p;
}

/* The merchant ships rows_json of p in Brightpearl (a goods-out note with
 * tracking, method 7); returns the note id. */
static int64_t
ship(const order *p, const char *rows_json, const char *tracking)
{
	char body[512];
	json_t *r;
	int64_t id;

	snprintf(body, sizeof(body),
		 "{\"orderId\":%" PRId64 ",\"warehouseId\":2,\"tracking\":"
		 "\"%s\",\"shippingMethodId\":7,\"rows\":%s,\"ship\":true}",
		 p->bp_id, tracking, rows_json);
	r = ctl("POST", "/brightpearl/ship", body);
	id = json_integer_value(
	    json_array_get(json_object_get(r, "goodsOutNoteIds"), 0));
	json_decref(r);
	assert_true(id > 0);
	return id;
}

static void
set_bp_status(const order *p, int status_id)
{
	char body[128];

	snprintf(body, sizeof(body),
		 "{\"orderId\":%" PRId64 ",\"statusId\":%d}", p->bp_id,
		 status_id);
	ctl_ok("POST", "/brightpearl/order-status", body);
}

/* ---- the BigCommerce side, from the sandbox's own state -------------- */

/* The order picture: order, products, shipments (new reference). */
static json_t *
bc_picture(int64_t bc_id)
{
	char path[64];

	snprintf(path, sizeof(path), "/bigcommerce/orders/%" PRId64, bc_id);
	return ctl("GET", path, NULL);
}

static size_t
bc_shipment_count(int64_t bc_id)
{
	json_t *j = bc_picture(bc_id);
	size_t n = json_array_size(json_object_get(j, "shipments"));

	json_decref(j);
	return n;
}

static int
bc_status(int64_t bc_id)
{
	json_t *j = bc_picture(bc_id);
	int s = (int)json_integer_value(
	    json_object_get(json_object_get(j, "order"), "status_id"));

	json_decref(j);
	return s;
}

/*
 * The shipment of bc_id with tracking number `tracking` holds exactly
 * `want` ("SKU:q,SKU:q", SKUs in order-line order) and the mapped method.
 */
static void
assert_shipment(int64_t bc_id, const char *tracking, const char *want)
{
	json_t *j = bc_picture(bc_id), *sh, *it, *pr, *found = NULL;
	char got[256];
	size_t i, k, len = 0;

	json_array_foreach (json_object_get(j, "shipments"), i, sh)
		if (strcmp(json_string_value(json_object_get(
			       sh, "tracking_number")),
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
	got[0] = '\0';
	json_array_foreach (json_object_get(j, "products"), k, pr)
		json_array_foreach (json_object_get(found, "items"), i, it)
			if (json_integer_value(json_object_get(
				it, "order_product_id")) ==
			    json_integer_value(json_object_get(pr, "id")))
				len += (size_t)snprintf(
				    got + len, sizeof(got) - len,
				    "%s%s:%" JSON_INTEGER_FORMAT,
				    len ? "," : "",
				    json_string_value(
					json_object_get(pr, "sku")),
				    json_integer_value(
					json_object_get(it, "quantity")));
	assert_string_equal(got, want);
	json_decref(j);
}

typedef struct want_ships {
	const order *o;
	size_t n;
} want_ships;

static int
has_shipments(void *arg)
{
	const want_ships *w = arg;
	size_t i;

	for (i = 0; i < w->n; i++)
		if (bc_shipment_count(w[i].o->bc_id) < w[i].n)
			return 0;
	return 1;
}

/* Requests of one platform's endpoint since the last counter reset. */
static int64_t
requests(const char *platform, const char *endpoint)
{
	json_t *j = ctl("GET", "/requests", NULL), *pf;
	int64_t n;

	pf = json_object_get(j, platform);
	n = endpoint ? json_integer_value(json_object_get(
			   json_object_get(pf, "endpoints"), endpoint))
		     : json_integer_value(json_object_get(pf, "total"));
	json_decref(j);
	return n;
}

/* ---- the log --------------------------------------------------------- */

static void
entry_by_key(ps_log_entry *out, const char *key)
{
	int rc = ps_store_log_get_by_key(out, st, key);

	if (rc != 0)
		fprintf(stderr, "no entry %s\n", key);
	assert_int_equal(rc, 0);
}

/* The note's entry: synced, with order #, method and shipment status (the
 * order's after the entry was performed; NULL: any "shipped..."). */
static void
assert_gon_entry(int64_t gon, const order *p, const char *shipment_status)
{
	ps_log_entry e;
	char key[64], num[32];

	snprintf(key, sizeof(key), "bp:gon:%" PRId64 ":shipment", gon);
	snprintf(num, sizeof(num), "%" PRId64, p->bc_id);
	entry_by_key(&e, key);
	assert_int_equal(e.status, PS_ENTRY_SYNCED);
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
assert_order_entry(const order *p, const char *shipment_status)
{
	ps_log_entry e;
	char key[96], num[32];

	snprintf(key, sizeof(key), "bp:order:%" PRId64 ":ship-on-status:s8",
		 p->bp_id);
	snprintf(num, sizeof(num), "%" PRId64, p->bc_id);
	entry_by_key(&e, key);
	assert_int_equal(e.status, PS_ENTRY_SYNCED);
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
	assert_int_equal(ps_store_log_list(&rows, &n, st, &q), 0);
	assert_true(n > 0);
	for (i = 0; i < n; i++) {
		if (rows[i].status != PS_ENTRY_SYNCED)
			fprintf(stderr, "entry %s %s: %s\n",
				rows[i].dedupe_key,
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
	order a, b, c, d;
	int64_t gb1, gb2, gc1, gc2, gd;
	want_ships w[4];
	size_t counts[4];
	int i;

	(void)state;
	ctl_ok("POST", "/webhooks",
	       "{\"platform\":\"brightpearl\",\"drop_rate\":1.0,\"seed\":5}");
	set("fulfilment.trigger", "status");
	set("fulfilment.trigger_status", "Shipped");

	a = make_order("TEE-RED-M", 3, "MUG-LOGO", 2);
	b = make_order("HOOD-GRY-M", 2, "SOCK-3PK", 1);
	c = make_order("CAP-BLK", 2, "BAG-TOTE", 1);
	d = make_order("BTL-STEEL", 1, "TEE-BLU-M", 1);
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
	set_bp_status(&a, 8);
	set_bp_status(&b, 8);
	set_bp_status(&c, 8);

	w[0].o = &a, w[0].n = 1;
	w[1].o = &b, w[1].n = 2;
	w[2].o = &c, w[2].n = 1;
	w[3].o = &d, w[3].n = 0;
	assert_true(run_until(has_shipments, w));
	rounds(5);
	/* d's note waits for its order's status */
	assert_int_equal(bc_shipment_count(d.bc_id), 0);
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
	assert_int_equal(bc_status(c.bc_id), 3);

	/* c's second note is shipped after the order reached the status;
	 * d reaches it */
	gc2 = ship(&c,
		   "[{\"sku\":\"CAP-BLK\",\"quantity\":1},"
		   "{\"sku\":\"BAG-TOTE\",\"quantity\":1}]",
		   "TRK-C2");
	set_bp_status(&d, 8);
	w[2].n = 2;
	w[3].n = 1;
	assert_true(run_until(has_shipments, w));

	assert_shipment(a.bc_id, "TRK-A1", "TEE-RED-M:3,MUG-LOGO:2");
	assert_shipment(b.bc_id, "TRK-B1", "HOOD-GRY-M:2");
	assert_shipment(b.bc_id, "TRK-B2", "SOCK-3PK:1");
	assert_shipment(c.bc_id, "TRK-C1", "CAP-BLK:1");
	assert_shipment(c.bc_id, "TRK-C2", "CAP-BLK:1,BAG-TOTE:1");
	assert_shipment(d.bc_id, "TRK-D1", "BTL-STEEL:1,TEE-BLU-M:1");

	/* ten more rounds: nothing new, and idle polls read no order */
	for (i = 0; i < 4; i++)
		counts[i] = bc_shipment_count(w[i].o->bc_id);
	ctl_ok("POST", "/requests/reset", "{}");
	rounds(10);
	for (i = 0; i < 4; i++)
		assert_int_equal(bc_shipment_count(w[i].o->bc_id), counts[i]);
	assert_int_equal(requests("bigcommerce", NULL), 0);
	assert_int_equal(
	    requests("brightpearl", "GET /order-service/order/{idset}"), 0);
	fprintf(stderr,
		"ten idle rounds: %" PRId64 " Brightpearl requests "
		"(%" PRId64 " order searches, %" PRId64
		" goods-out searches)\n",
		requests("brightpearl", NULL),
		requests("brightpearl", "GET /order-service/order-search"),
		requests("brightpearl",
			 "GET /warehouse-service/goods-note/goods-out-search"));

	/* every order ends Shipped, which pearlsync recorded as its own */
	for (i = 0; i < 4; i++) {
		assert_int_equal(bc_status(w[i].o->bc_id), 2);
		assert_int_equal(ps_store_written_int_is(
				     st, PS_PLATFORM_BIGCOMMERCE, "order",
				     w[i].o->bc_id, "status", 2),
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
	ctl_ok("POST", "/webhooks",
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

	return bc_shipment_count(w->bc_id) > 0 &&
	       bc_status(w->bc_id) == w->status;
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
	order e;

	(void)state;
	set("fulfilment.trigger", "goods_out");
	e = make_order("TEE-RED-M", 2, "CAP-BLK", 1);
	w.bc_id = e.bc_id;

	g1 = ship(&e, "[{\"sku\":\"TEE-RED-M\",\"quantity\":1}]", "TRK-E1");
	w.status = 3;
	assert_true(run_until(reached_status, &w));
	assert_int_equal(ps_store_written_int_is(st, PS_PLATFORM_BIGCOMMERCE,
						 "order", e.bc_id, "status",
						 3),
			 1);
	assert_gon_entry(g1, &e, "shipped 1/3 items");

	ctl_ok("POST", "/requests/reset", "{}");
	g2 = ship(&e,
		  "[{\"sku\":\"TEE-RED-M\",\"quantity\":1},"
		  "{\"sku\":\"CAP-BLK\",\"quantity\":1}]",
		  "TRK-E2");
	w.status = 2;
	assert_true(run_until(reached_status, &w));
	assert_int_equal(bc_shipment_count(e.bc_id), 2);
	fprintf(stderr,
		"one note shipped: %" PRId64 " BigCommerce requests (%" PRId64
		" order reads)\n",
		requests("bigcommerce", NULL),
		requests("bigcommerce", "GET v2/orders/{id}"));
	assert_int_equal(ps_store_written_int_is(st, PS_PLATFORM_BIGCOMMERCE,
						 "order", e.bc_id, "status",
						 2),
			 1);
	assert_int_equal(ps_store_written_int_is(st, PS_PLATFORM_BIGCOMMERCE,
						 "order", e.bc_id, "status",
						 3),
			 0);
	assert_gon_entry(g2, &e, "shipped");
	assert_shipment(e.bc_id, "TRK-E1", "TEE-RED-M:1");
	assert_shipment(e.bc_id, "TRK-E2", "TEE-RED-M:1,CAP-BLK:1");
	rounds(10);
	assert_int_equal(bc_shipment_count(e.bc_id), 2);
	assert_clean_log(0);
}

/*
 * Ship in BigCommerce (as the merchant in the control panel, or a lost
 * attempt of pearlsync's) the first nlines lines of p in full.
 */
static void
bc_ship_first(const order *p, size_t nlines, const char *tracking,
	      const char *comments)
{
	json_t *pic = bc_picture(p->bc_id), *body, *items = json_array(), *pr;
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
		json_array_get(json_object_get(pic, "shipping_addresses"), 0),
		"id"),
	    "items", items, "tracking_number", tracking, "shipping_method",
	    METHOD, "comments", comments);
	assert_non_null(body);
	txt = json_dumps(body, JSON_COMPACT);
	snprintf(path, sizeof(path),
		 "/bigcommerce/orders/%" PRId64 "/shipments", p->bc_id);
	ctl_ok("POST", path, txt);
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
	order h;

	(void)state;
	set("fulfilment.trigger", "status");
	set("fulfilment.trigger_status", "8");
	h = make_order("CAP-BLK", 1, "MUG-LOGO", 1);
	bc_ship_first(&h, 2, "BY-HAND", "shipped by hand");
	set_bp_status(&h, 8);
	rounds(10);
	assert_int_equal(bc_shipment_count(h.bc_id), 1);
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
	order f;

	(void)state;
	set("fulfilment.trigger", "goods_out");
	f = make_order("MUG-LOGO", 2, "SOCK-3PK", 1);
	g = ship(&f, "[{\"sku\":\"MUG-LOGO\",\"quantity\":2}]", "TRK-F1");
	/* what the lost attempt had posted, with its reference */
	snprintf(comments, sizeof(comments), "[gon-%" PRId64 "]", g);
	bc_ship_first(&f, 1, "TRK-F1", comments);
	assert_int_equal(bc_status(f.bc_id), 3);
	assert_int_equal(ps_store_written_int_is(st, PS_PLATFORM_BIGCOMMERCE,
						 "order", f.bc_id, "status",
						 3),
			 0);
	rounds(10);
	assert_int_equal(bc_shipment_count(f.bc_id), 1);
	assert_gon_entry(g, &f, "shipped 2/3 items");
	assert_int_equal(ps_store_written_int_is(st, PS_PLATFORM_BIGCOMMERCE,
						 "order", f.bc_id, "status",
						 3),
			 1);
	assert_clean_log(0);
}

/* ---- fixture --------------------------------------------------------- */

static int
free_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
		close(fd);
		return -1;
	}
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static int
start_worker(void)
{
	static const ps_flow_ops *flows[2];
	ps_worker_options o = PS_WORKER_OPTIONS_INIT;
	ps_config cfg;

	flows[0] = ps_flow_find("shipments");
	flows[1] = NULL;
	if (flows[0] == NULL)
		return -1;
	ps_config_init(&cfg);
	snprintf(cfg.db_path, sizeof(cfg.db_path), "%s", db_path);
	snprintf(cfg.listen_address, sizeof(cfg.listen_address), "127.0.0.1");
	cfg.listen_port = listen_port;
	o.flows = flows;
	o.listen = 1;
	o.register_hooks = 1;
	o.bp = bp;
	o.bc = bc;
	o.connect = 0;
	o.tick_ms = 10;
	o.backoff_base_ms = 10;
	o.backoff_cap_ms = 50;
	return ps_worker_new(&worker, st, &cfg, &o);
}

static int
setup(void **state)
{
	static const char *const args[] = {"--seed", "demo", "--quota", "off",
					   NULL};
	ps_http_options ho = PS_HTTP_OPTIONS_INIT;
	ps_bp_options bo = PS_BP_OPTIONS_INIT;
	ps_bc_options co = PS_BC_OPTIONS_INIT;
	ps_mapping m = {"shipping_method", "bp>bc", "7", METHOD};
	char url[128];
	int fd;

	(void)state;
	ps_lib_init();
	ps_log_set_level(PS_LOG_WARN);
	if (sandbox_proc_start(&sb, args, 15000) < 0)
		return -1;
	snprintf(db_path, sizeof(db_path), "/tmp/ps-ships-XXXXXX");
	if ((fd = mkstemp(db_path)) < 0)
		return -1;
	close(fd);
	unlink(db_path);
	if (ps_store_open(&st, db_path, 0) < 0)
		return -1;
	ho.max_attempts = 4;
	ho.backoff_base_ms = 2;
	ho.backoff_cap_ms = 20;
	if (ps_http_new(&http, &ho) < 0)
		return -1;
	bo.base_url = sandbox_proc_url(&sb, "brightpearl");
	bo.account = "sandbox";
	bo.app_ref = "sandbox_pearlsync";
	bo.token = "sandbox-token";
	bo.instance_id = 7;
	co.base_url = sandbox_proc_url(&sb, "bigcommerce");
	co.store_hash = "sandbox";
	co.access_token = "sandbox-token";
	if (ps_bp_new(&bp, http, &bo) < 0 || ps_bc_new(&bc, http, &co) < 0)
		return -1;
	if ((listen_port = free_port()) < 0)
		return -1;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", listen_port);
	if (ps_store_setting_set(NULL, st, "webhooks.public_url", url, "test",
				 now_ms()) < 0 ||
	    ps_store_setting_set(NULL, st, "webhooks.secret", SECRET, "test",
				 now_ms()) < 0 ||
	    ps_store_setting_set(NULL, st, "fulfilment.enabled", "true",
				 "test", now_ms()) < 0 ||
	    ps_store_mapping_set(NULL, st, &m, "test", now_ms()) < 0)
		return -1;
	if (start_worker() < 0)
		return -1;
	/* the first pass registers the Brightpearl webhooks */
	return ps_worker_run_once(worker, NULL) < 0 ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	ps_worker_free(worker);
	ps_bp_free(bp);
	ps_bc_free(bc);
	ps_http_free(http);
	ps_store_close(st);
	unlink(db_path);
	sandbox_proc_stop(&sb);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_shipments__status_trigger_without_webhooks),
	    cmocka_unit_test(test_shipments__goods_out_records_status_write),
	    cmocka_unit_test(test_shipments__adopts_after_crash),
	    cmocka_unit_test(test_shipments__status_trigger_nothing_left),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
