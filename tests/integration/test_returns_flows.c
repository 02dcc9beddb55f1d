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
#include "sandbox_ctl.h"
#include "sandbox_proc.h"

#define SECRET "s3cr3t-path-token"
#define DEADLINE_MS 15000

static sandbox_proc sb;
static char db_path[256];
static int listen_port;
static ps_http *http;
static ps_bp *bp;
static ps_bc *bc;
static ps_store *st;
static ps_worker *worker;
static int64_t next_bc_order_ext = 1;

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static json_t *
ctl(const char *method, const char *path, const char *body)
{
	return sandbox_ctl(&sb, method, path, body);
}

static void
ctl_ok(const char *method, const char *path, const char *body)
{
	sandbox_ctl_ok(&sb, method, path, body);
}

static void
set(const char *key, const char *value)
{
	assert_int_equal(
	    ps_store_setting_set(NULL, st, key, value, "test", now_ms()), 0);
}

static void
map(const char *kind, const char *source, const char *target)
{
	ps_mapping m = {kind, "bp>bc", source, target};

	assert_int_equal(ps_store_mapping_set(NULL, st, &m, "test", now_ms()),
			 0);
}

static void
start_worker(void)
{
	static const ps_flow_ops *flows[5];
	ps_worker_options o = PS_WORKER_OPTIONS_INIT;
	ps_config cfg;

	flows[0] = ps_flow_find("statuses");
	flows[1] = ps_flow_find("shipments");
	flows[2] = ps_flow_find("inventory");
	flows[3] = ps_flow_find("notes");
	flows[4] = NULL;
	assert_non_null(flows[0]);
	assert_non_null(flows[3]);
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
	assert_int_equal(ps_worker_new(&worker, st, &cfg, &o), 0);
}

/* Worker passes until check() holds or the deadline passes. */
static void
dump(void)
{
	ps_log_query q = PS_LOG_QUERY_INIT;
	ps_log_entry *rows = NULL;
	size_t n = 0, i;
	json_t *d = ctl("GET", "/webhooks?platform=brightpearl", NULL);
	char *txt = json_dumps(d, JSON_COMPACT);

	fprintf(stderr, "deliveries: %.1500s\n", txt ? txt : "");
	free(txt);
	json_decref(d);
	d = ctl("GET", "/brightpearl/state", NULL);
	txt = json_dumps(json_object_get(d, "webhooks"), JSON_COMPACT);
	fprintf(stderr, "hooks: %.1500s\n", txt ? txt : "");
	free(txt);
	txt = json_dumps(json_object_get(d, "goodsOutNotes"), JSON_COMPACT);
	fprintf(stderr, "gons: %.800s\n", txt ? txt : "");
	free(txt);
	json_decref(d);
	if (ps_store_log_list(&rows, &n, st, &q) == 0)
		for (i = 0; i < n; i++)
			fprintf(stderr, "entry %s %s %s %s\n",
				rows[i].dedupe_key,
				ps_entry_status_name(rows[i].status),
				rows[i].reason ? rows[i].reason : "",
				rows[i].detail ? rows[i].detail : "");
	ps_log_entries_free(rows, n);
}

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
	if (getenv("PS_TEST_DUMP"))
		dump();
	return 0;
}

/* ---- orders ----------------------------------------------------------- */

typedef struct pair {
	int64_t bc_id, bp_id;
} pair;

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

/* A BigCommerce order and its imported Brightpearl twin (with xref). */
static pair
make_order(const char *sku1, int q1, const char *sku2, int q2)
{
	ps_bp_order_row rows[2];
	ps_bp_order o;
	char body[512], ext[32], a[32], b[32];
	json_t *r;
	pair p;

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
	snprintf(a, sizeof(a), "%" PRId64, p.bc_id);
	snprintf(b, sizeof(b), "%" PRId64, p.bp_id);
	assert_int_equal(ps_store_xref_set(st, "order", PS_PLATFORM_BIGCOMMERCE,
					   a, PS_PLATFORM_BRIGHTPEARL, b,
					   now_ms()),
			 0);
	next_bc_order_ext++;
	return p;
}

/* The BigCommerce order picture: status and shipments (new reference). */
static json_t *
bc_picture(int64_t bc_id)
{
	char path[64];

	snprintf(path, sizeof(path), "/bigcommerce/orders/%" PRId64, bc_id);
	return ctl("GET", path, NULL);
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

static size_t
bc_shipments(int64_t bc_id, json_t **out)
{
	json_t *j = bc_picture(bc_id);
	size_t n = json_array_size(json_object_get(j, "shipments"));

	if (out)
		*out = json_incref(json_object_get(j, "shipments"));
	json_decref(j);
	return n;
}

typedef struct want_ships {
	int64_t bc_id;
	size_t n;
} want_ships;

static int
has_shipments(void *arg)
{
	want_ships *w = arg;

	return bc_shipments(w->bc_id, NULL) >= w->n;
}

static void
ship(const pair *p, const char *rows_json, const char *tracking)
{
	char body[512];

	snprintf(body, sizeof(body),
		 "{\"orderId\":%" PRId64 ",\"warehouseId\":2,\"tracking\":"
		 "\"%s\",\"shippingMethodId\":7,\"rows\":%s,\"ship\":true}",
		 p->bp_id, tracking, rows_json);
	ctl_ok("POST", "/brightpearl/ship", body);
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
	pair p;
	want_ships w;
	json_t *ships, *deliveries, *d;
	size_t i;
	int status[3];
	char url[256];

	(void)state;
	set("fulfilment.enabled", "true");
	set("fulfilment.trigger", "goods_out");
	map("shipping_method", "7", "Express (mapped)");
	p = make_order("TEE-RED-M", 3, "MUG-LOGO", 2);
	w.bc_id = p.bc_id;

	ship(&p, "[{\"sku\":\"TEE-RED-M\",\"quantity\":1}]", "TRK-1");
	w.n = 1;
	assert_true(run_until(has_shipments, &w));
	status[0] = bc_status(p.bc_id);
	ship(&p,
	     "[{\"sku\":\"TEE-RED-M\",\"quantity\":2},"
	     "{\"sku\":\"MUG-LOGO\",\"quantity\":1}]",
	     "TRK-2");
	w.n = 2;
	assert_true(run_until(has_shipments, &w));
	status[1] = bc_status(p.bc_id);
	ship(&p, "[{\"sku\":\"MUG-LOGO\",\"quantity\":1}]", "TRK-3");
	w.n = 3;
	assert_true(run_until(has_shipments, &w));
	status[2] = bc_status(p.bc_id);
	assert_int_equal(status[0], 3);
	assert_int_equal(status[1], 3);
	assert_int_equal(status[2], 2);

	assert_int_equal(bc_shipments(p.bc_id, &ships), 3);
	assert_int_equal(shipped_qty(ships, 0), 1);
	assert_int_equal(shipped_qty(ships, 1), 3);
	assert_int_equal(shipped_qty(ships, 2), 1);
	assert_string_equal(json_string_value(json_object_get(
				json_array_get(ships, 0), "tracking_number")),
			    "TRK-1");
	assert_string_equal(json_string_value(json_object_get(
				json_array_get(ships, 2), "shipping_method")),
			    "Express (mapped)");
	json_decref(ships);

	/* the same webhook delivered again: no second shipment */
	deliveries = ctl("GET", "/webhooks?platform=brightpearl", NULL);
	snprintf(url, sizeof(url),
		 "http://127.0.0.1:%d/webhooks/brightpearl/" SECRET
		 "/goods-out-note.modified.shipped",
		 listen_port);
	json_array_foreach (json_object_get(deliveries, "deliveries")
				? json_object_get(deliveries, "deliveries")
				: deliveries,
			    i, d) {
		const char *ev =
		    json_string_value(json_object_get(d, "event"));
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
	for (i = 0; i < 3; i++)
		assert_int_equal(ps_worker_run_once(worker, NULL), 0);
	assert_int_equal(bc_shipments(p.bc_id, NULL), 3);
}

/* The status export's entries (n of them into *rows; free them). */
static size_t
status_rows(ps_log_entry **rows)
{
	ps_log_query q = PS_LOG_QUERY_INIT;
	size_t n = 0;

	q.flow = "status_export_bc";
	q.limit = 1000;
	assert_int_equal(ps_store_log_list(rows, &n, st, &q), 0);
	return n;
}

/* The merchant sets Brightpearl status status_id on p's order, then the
 * worker makes enough passes to record whatever that change records. */
static void
set_status_and_settle(const pair *p, int status_id)
{
	char body[128];
	int i;

	snprintf(body, sizeof(body),
		 "{\"orderId\":%" PRId64 ",\"statusId\":%d}", p->bp_id,
		 status_id);
	ctl_ok("POST", "/brightpearl/order-status", body);
	for (i = 0; i < 20; i++) {
		assert_int_equal(ps_worker_run_once(worker, NULL), 0);
		usleep(20000);
	}
}

/* A status nobody syncs back costs nothing: with orders.sync_statuses
 * unset no entry is recorded (poll or webhook), and with a list of ids
 * only the orders at one of them. */
static void
test_status_export_only_selected(void **state)
{
	ps_log_entry *rows = NULL;
	size_t n, k;
	pair p;

	(void)state;
	p = make_order("CAP-BLK", 1, "BAG-TOTE", 1);
	set_status_and_settle(&p, 6);
	n = status_rows(&rows);
	ps_log_entries_free(rows, n);
	assert_int_equal(n, 0);
	/* ids listed: the poll and the webhook filter on them */
	set("orders.sync_statuses", "4");
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
	assert_int_equal(bc_status(p.bc_id), 11);
}

static void
test_status_trigger_and_status_export(void **state)
{
	pair p, q;
	want_ships w;
	char body[128];

	(void)state;
	/* trigger (a): the order reaching the trigger status ships it */
	set("fulfilment.trigger", "status");
	set("fulfilment.trigger_status", "7");
	p = make_order("CAP-BLK", 2, "BAG-TOTE", 1);
	snprintf(body, sizeof(body), "{\"orderId\":%" PRId64 ",\"statusId\":7}",
		 p.bp_id);
	ctl_ok("POST", "/brightpearl/order-status", body);
	w.bc_id = p.bc_id;
	w.n = 1;
	assert_true(run_until(has_shipments, &w));
	assert_int_equal(bc_status(p.bc_id), 2);
	assert_int_equal(bc_shipments(p.bc_id, NULL), 1);
	set("fulfilment.trigger", "goods_out");

	/* status export: selected status mapped; unselected left alone */
	set("orders.sync_statuses", "4");
	map("order_status", "4", "10");
	q = make_order("SOCK-3PK", 1, "BTL-STEEL", 1);
	snprintf(body, sizeof(body), "{\"orderId\":%" PRId64 ",\"statusId\":6}",
		 q.bp_id);
	ctl_ok("POST", "/brightpearl/order-status", body);
	snprintf(body, sizeof(body), "{\"orderId\":%" PRId64 ",\"statusId\":4}",
		 q.bp_id);
	ctl_ok("POST", "/brightpearl/order-status", body);
	{
		int64_t end = now_ms() + DEADLINE_MS;

		while (bc_status(q.bc_id) != 10 && now_ms() < end) {
			assert_int_equal(ps_worker_run_once(worker, NULL), 0);
			usleep(20000);
		}
	}
	assert_int_equal(bc_status(q.bc_id), 10);
}

static void
test_lost_webhook_poll(void **state)
{
	pair p;
	want_ships w;

	(void)state;
	set("fulfilment.trigger", "goods_out");
	p = make_order("HOOD-GRY-M", 2, "SOCK-3PK", 1);
	/* every Brightpearl delivery is lost */
	ctl_ok("POST", "/webhooks",
	       "{\"platform\":\"brightpearl\",\"drop_rate\":1.0,"
	       "\"seed\":3}");
	ship(&p, "[{\"sku\":\"HOOD-GRY-M\",\"quantity\":2}]", "TRK-P");
	w.bc_id = p.bc_id;
	w.n = 1;
	assert_true(run_until(has_shipments, &w));
	assert_int_equal(bc_status(p.bc_id), 3);
	/* a status change whose webhook is lost: the poll carries it */
	{
		char body[128];
		int64_t end = now_ms() + DEADLINE_MS;

		set("orders.sync_statuses", "4");
		map("order_status", "4", "10");
		snprintf(body, sizeof(body),
			 "{\"orderId\":%" PRId64 ",\"statusId\":4}",
			 p.bp_id);
		ctl_ok("POST", "/brightpearl/order-status", body);
		while (bc_status(p.bc_id) != 10 && now_ms() < end) {
			assert_int_equal(ps_worker_run_once(worker, NULL), 0);
			usleep(20000);
		}
		assert_int_equal(bc_status(p.bc_id), 10);
		/* it was the poll's entry, no webhook got through */
		{
			ps_log_entry e;
			char key[96];

			snprintf(key, sizeof(key),
				 "bp:order:%" PRId64 ":status:s4", p.bp_id);
			assert_int_equal(ps_store_log_get_by_key(&e, st, key),
					 0);
			assert_int_equal(e.status, PS_ENTRY_SYNCED);
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
			assert_int_equal(ps_store_log_list(&rows, &n, st, &q),
					 0);
			for (i = 0; i < n; i++)
				assert_null(strstr(rows[i].dedupe_key,
						   prefix));
			ps_log_entries_free(rows, n);
		}
	}
	ctl_ok("POST", "/webhooks",
	       "{\"platform\":\"brightpearl\",\"drop_rate\":0}");
	/* more passes: the poll finds the same note again, nothing new */
	assert_int_equal(ps_worker_run_once(worker, NULL), 0);
	assert_int_equal(bc_shipments(p.bc_id, NULL), 1);
}

static int64_t
bc_level(const char *sku)
{
	json_t *j = ctl("GET", "/bigcommerce/inventory", NULL), *it, *items;
	int64_t level = -1;
	size_t i;

	items = json_is_array(j) ? j : json_object_get(j, "items");
	json_array_foreach (items, i, it)
		if (strcmp(json_string_value(json_object_get(it, "sku")),
			   sku) == 0)
			level = json_integer_value(json_object_get(it, "inventory_level"));
	json_decref(j);
	return level;
}

static int
level_is_77(void *arg)
{
	return bc_level(arg) == 77;
}

static int64_t
bc_inventory_puts(void)
{
	json_t *j = ctl("GET", "/requests", NULL);
	int64_t n = json_integer_value(json_object_get(
	    json_object_get(json_object_get(j, "bigcommerce"), "endpoints"),
	    "PUT v3/inventory/adjustments/absolute"));

	json_decref(j);
	return n;
}

static int
events_done(void *arg)
{
	ps_event *ev = NULL;
	size_t n = 0;

	(void)arg;
	/* nothing left unclaimed: the worker has taken every event */
	assert_int_equal(ps_store_event_claim(&ev, &n, st, 1, now_ms()), 0);
	ps_events_free(ev, n);
	return n == 0;
}

static void
test_inventory(void **state)
{
	int64_t puts;

	(void)state;
	set("inventory.warehouses", "2");
	set("inventory.enabled", "true");
	/* the first pass runs the full reconcile */
	assert_int_equal(ps_worker_run_once(worker, NULL), 0);

	ctl_ok("POST", "/brightpearl/stock",
	       "{\"sku\":\"CAP-BLK\",\"warehouseId\":2,\"inStock\":77}");
	assert_true(run_until(level_is_77, (void *)"CAP-BLK"));

	/* the same level again: the event is handled, nothing is sent */
	ctl_ok("POST", "/requests/reset", "{}");
	ctl_ok("POST", "/brightpearl/stock",
	       "{\"sku\":\"CAP-BLK\",\"warehouseId\":2,\"inStock\":77}");
	usleep(200000);
	assert_true(run_until(events_done, NULL));
	assert_int_equal(ps_worker_run_once(worker, NULL), 0);
	puts = bc_inventory_puts();
	assert_int_equal(puts, 0);
	assert_int_equal(bc_level("CAP-BLK"), 77);
}

typedef struct notes_want {
	pair p;
} notes_want;

static size_t
count_sub(const char *hay, const char *needle)
{
	size_t n = 0;
	const char *p = hay;

	while (hay && (p = strstr(p, needle)) != NULL) {
		n++;
		p += strlen(needle);
	}
	return n;
}

static int
notes_arrived(void *arg)
{
	notes_want *w = arg;
	ps_bc_order o;
	int ok;

	memset(&o, 0, sizeof(o));
	assert_int_equal(ps_bc_order_get(&o, bc, w->p.bc_id), 0);
	ok = count_sub(o.staff_notes, "Customer called about delivery") >= 1;
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
	set("notes.enabled", "true");
	set("notes.bp_note_to_bc_field", "staff_notes");
	w.p = make_order("TEE-BLU-M", 1, "MUG-LOGO", 1);
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
	assert_true(ps_store_log_add(&id, st, &e, now_ms()) >= 0);
	assert_int_equal(
	    ps_store_log_mark_synced(st, id, bpid, NULL, now_ms()), 0);

	snprintf(body, sizeof(body),
		 "{\"orderId\":%" PRId64
		 ",\"text\":\"Customer called about delivery\"}",
		 w.p.bp_id);
	ctl_ok("POST", "/brightpearl/note", body);
	assert_int_equal(ps_bc_order_update_notes(bc, w.p.bc_id,
						  "Gift wrap please", NULL),
			 0);
	assert_true(run_until(notes_arrived, &w));
	/* a few more passes: nothing echoes back or repeats */
	for (i = 0; i < 4; i++) {
		assert_int_equal(ps_worker_run_once(worker, NULL), 0);
		usleep(50000);
	}
	memset(&o, 0, sizeof(o));
	assert_int_equal(ps_bc_order_get(&o, bc, w.p.bc_id), 0);
	assert_int_equal(count_sub(o.staff_notes,
				   "Customer called about delivery"),
			 1);
	assert_int_equal(count_sub(o.staff_notes, "Gift wrap please"), 1);
	ps_bc_order_dispose(&o);
	assert_int_equal(ps_bp_note_list_get(&nl, bp, w.p.bp_id), 0);
	/* BigCommerce notes -> Brightpearl belong to the order import (not
	 * running here): this flow copies only the other way */
	for (i = 0; i < nl.n; i++)
		n += count_sub(nl.items[i].text, "Gift wrap please");
	assert_int_equal(n, 0);
	for (i = 0, n = 0; i < nl.n; i++)
		n += count_sub(nl.items[i].text,
			       "Customer called about delivery");
	assert_int_equal(n, 1);
	ps_bp_note_list_dispose(&nl);
}

/* ---- fixture ---------------------------------------------------------- */

static int
setup(void **state)
{
	static const char *const args[] = {"--seed", "demo", "--quota", "off",
					   NULL};
	ps_http_options ho = PS_HTTP_OPTIONS_INIT;
	ps_bp_options bo = PS_BP_OPTIONS_INIT;
	ps_bc_options co = PS_BC_OPTIONS_INIT;
	char url[128];
	int fd;

	(void)state;
	ps_lib_init();
	ps_log_set_level(PS_LOG_WARN);
	if (sandbox_proc_start(&sb, args, 15000) < 0)
		return -1;
	snprintf(db_path, sizeof(db_path), "/tmp/ps-returns-XXXXXX");
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
	listen_port = sandbox_free_port();
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", listen_port);
	set("webhooks.public_url", url);
	set("webhooks.secret", SECRET);
	set("orders.enabled", "true");
	set("fulfilment.enabled", "true");
	set("inventory.warehouses", "2");
	start_worker();
	/* the first pass registers the Brightpearl webhooks */
	if (ps_worker_run_once(worker, NULL) < 0)
		return -1;
	return 0;
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
	    cmocka_unit_test(test_status_export_only_selected),
	    cmocka_unit_test(test_partial_shipments),
	    cmocka_unit_test(test_status_trigger_and_status_export),
	    cmocka_unit_test(test_lost_webhook_poll),
	    cmocka_unit_test(test_inventory),
	    cmocka_unit_test(test_notes),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
