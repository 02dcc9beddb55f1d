/*
 * test_shiphero_fulfilment.c - Brightpearl goods-out notes become
 * ShipHero orders exactly once (gon_export_sh) and ShipHero shipments
 * come back as tracking and shipped events on the notes
 * (tracking_import_sh), through the worker against pearlsync-sandbox.
 *
 * Each scenario makes 50 goods-out notes through the Brightpearl
 * simulator: 4 created before go-live, 2 in a warehouse with no ShipHero
 * mapping, 44 in the two mapped warehouses, of which one is deleted in
 * Brightpearl before it ships (its ShipHero order is canceled), one
 * ships as two shipments, one ships partly, one ships as one shipment of
 * two packages, and the other 40 ship whole.  Outcomes are read from the
 * simulators' own state: exactly the expected ShipHero orders, and the
 * Brightpearl notes shipped with the right tracking.
 *
 * Scenarios: webhooks delivered; every webhook lost (the polls alone);
 * every webhook delivered twice; kill -9 of the worker at random moments
 * with 30% of the platforms' requests failing.  And a forged ShipHero
 * webhook (bad HMAC) is refused with 401 and stores nothing.
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
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "flow_fixture.h"
#include "pearlsync/log.h"
#include "pearlsync/shiphero.h"
#include "pearlsync/store.h"

#define DEADLINE_MS 90000
#define NPRE 4    /* notes before go-live */
#define NAFTER 46 /* notes after: 44 mapped, 2 unmapped */
#define NMAPPED 44
#define IDX_DELETED 0
#define IDX_SPLIT 1    /* two shipments */
#define IDX_PARTIAL 2  /* one of two lines shipped */
#define IDX_PACKAGES 3 /* one shipment, two packages */

enum mode { MODE_HOOKS, MODE_LOST, MODE_DUP, MODE_CHAOS };

static flow_fixture fx;

typedef struct note {
	int64_t order_id, gon_id;
	int wh;
} note;

static note pre[NPRE], after[NAFTER];
static char wh_primary[64], wh_east[64];

/* ---- setup ----------------------------------------------------------- */

static void
settings(void)
{
	assert_int_equal(ps_sh_global_id(wh_primary, sizeof(wh_primary),
					 "Warehouse", 7145),
			 0);
	assert_int_equal(
		ps_sh_global_id(wh_east, sizeof(wh_east), "Warehouse", 7146),
		0);
	fx_set(&fx, "brightpearl.account", "sandbox");
	fx_set(&fx, "shiphero.orders.enabled", "true");
	fx_map(&fx, "shiphero_warehouse", "bp>sh", "2", wh_primary);
	fx_map(&fx, "shiphero_warehouse", "bp>sh", "3", wh_east);
	fx_map(&fx, "shiphero_shipping_method", "bp>sh", "7", "UPS/Ground");
	/* the poll looks for deleted notes every time */
	fx_set(&fx, "shiphero.orders.delete_check_minutes", "0");
}

/* A Brightpearl sales order of two lines, customer reference SO-<tag>. */
static int64_t
order_make(const char *tag)
{
	ps_bp_order_row rows[2];
	ps_bp_order o;
	char ref[32];
	int64_t id = 0;

	memset(rows, 0, sizeof(rows));
	memset(&o, 0, sizeof(o));
	rows[0].product_id = fx_bp_product(&fx, "TEE-RED-S");
	rows[0].name = "TEE-RED-S";
	rows[0].quantity = 2;
	rows[0].net = 20 * PS_MONEY_SCALE;
	rows[1].product_id = fx_bp_product(&fx, "MUG-LOGO");
	rows[1].name = "MUG-LOGO";
	rows[1].quantity = 1;
	rows[1].net = 8 * PS_MONEY_SCALE;
	rows[0].tax_code = rows[1].tax_code = "T";
	snprintf(ref, sizeof(ref), "SO-%s", tag);
	o.customer_id = 201;
	o.ref = ref;
	o.status_id = 2;
	o.warehouse_id = 2;
	o.shipping_method_id = 7;
	o.rows = rows;
	o.nrows = 2;
	assert_int_equal(ps_bp_order_create(&id, NULL, fx.bp, &o), 0);
	return id;
}

/* A goods-out note for all of order_id in wh, not shipped. */
static int64_t
gon_make(int64_t order_id, int wh)
{
	char body[256];
	json_t *r;
	int64_t id;

	snprintf(body, sizeof(body),
		 "{\"orderId\":%" PRId64 ",\"warehouseId\":%d,"
		 "\"shippingMethodId\":7,\"ship\":false}",
		 order_id, wh);
	r = fx_ctl(&fx, "POST", "/brightpearl/ship", body);
	id = json_integer_value(
		json_array_get(json_object_get(r, "goodsOutNoteIds"), 0));
	json_decref(r);
	assert_true(id > 0);
	return id;
}

static void
iso_at(char *buf, size_t cap, time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void
webhook_faults(double drop, double dup)
{
	static const char *const platforms[] = {"brightpearl", "shiphero"};
	char body[160];
	size_t i;

	for (i = 0; i < 2; i++) {
		snprintf(body, sizeof(body),
			 "{\"platform\":\"%s\",\"drop_rate\":%g,"
			 "\"duplicate_rate\":%g,\"time_scale\":1000,"
			 "\"seed\":7}",
			 platforms[i], drop, dup);
		fx_ctl_ok(&fx, "POST", "/webhooks", body);
	}
}

static void
faults(double rate)
{
	char body[200];

	snprintf(body, sizeof(body),
		 "{\"platform\":\"*\",\"rate\":%g,\"kinds\":[\"429\",\"503\","
		 "\"500\",\"drop\"],\"seed\":11}",
		 rate);
	fx_ctl_ok(&fx, "POST", "/faults", body);
}

/* Notes before go-live, go-live, the others. */
static void
make_notes(void)
{
	char golive[48], tag[16];
	time_t t0 = time(NULL);
	size_t i;

	iso_at(golive, sizeof(golive), t0 + 2);
	fx_set(&fx, "shiphero.go_live", golive);
	for (i = 0; i < NPRE; i++) {
		snprintf(tag, sizeof(tag), "PRE%zu", i);
		pre[i].order_id = order_make(tag);
		pre[i].wh = 2;
		pre[i].gon_id = gon_make(pre[i].order_id, 2);
	}
	while (time(NULL) < t0 + 3)
		usleep(50000);
	for (i = 0; i < NAFTER; i++) {
		snprintf(tag, sizeof(tag), "%zu", i);
		after[i].order_id = order_make(tag);
		after[i].wh = i >= NMAPPED ? 4 : (i % 2 ? 3 : 2);
		after[i].gon_id = gon_make(after[i].order_id, after[i].wh);
	}
}

/* ---- driving the worker ---------------------------------------------- */

static enum mode cur_mode;

/* Kill -9 the worker (a forked child running passes) a few times. */
static void
chaos_kills(int times)
{
	int k;

	for (k = 0; k < times; k++) {
		pid_t pid;
		int status;

		ps_worker_free(fx.worker);
		fx.worker = NULL;
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			ps_http_options ho = PS_HTTP_OPTIONS_INIT;

			/* the child's own store handle and connections */
			fx.st = NULL;
			ho.max_attempts = 4;
			ho.backoff_base_ms = 2;
			ho.backoff_cap_ms = 20;
			if (flow_fixture_reconnect(&fx, &ho) < 0 ||
			    flow_fixture_restart_worker(&fx) < 0)
				_exit(3);
			for (;;) {
				(void)ps_worker_run_once(fx.worker, NULL);
				usleep(20000);
			}
		}
		usleep((useconds_t)(50000 + rand() % 400000));
		kill(pid, SIGKILL);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status));
		assert_int_equal(flow_fixture_restart_worker(&fx), 0);
	}
}

static int
drive(int (*check)(int64_t), int64_t arg)
{
	if (cur_mode == MODE_CHAOS)
		chaos_kills(4);
	return fx_rounds_until(&fx, check, arg, DEADLINE_MS);
}

/* ---- ShipHero's side --------------------------------------------------- */

static json_t *
sh_orders(void)
{
	json_t *r = fx_ctl(&fx, "GET", "/shiphero/orders", NULL);

	if (json_is_object(r) && json_is_array(json_object_get(r, "orders"))) {
		json_t *a = json_incref(json_object_get(r, "orders"));

		json_decref(r);
		return a;
	}
	return r;
}

static void
partner_of(char *buf, size_t cap, int64_t gon)
{
	snprintf(buf, cap, "BP-GON-%" PRId64, gon);
}

/* How many ShipHero orders carry the note's partner id. */
static size_t
sh_count(const json_t *orders, int64_t gon)
{
	char want[48];
	json_t *o;
	size_t i, n = 0;

	partner_of(want, sizeof(want), gon);
	json_array_foreach (orders, i, o)
		n += strcmp(json_string_value(
				    json_object_get(o, "partner_order_id")),
			    want) == 0;
	return n;
}

static int
all_orders_made(int64_t unused)
{
	json_t *a = sh_orders();
	size_t i, ok = 0;

	(void)unused;
	for (i = 0; i < NMAPPED; i++)
		ok += sh_count(a, after[i].gon_id) >= 1;
	json_decref(a);
	return ok == NMAPPED;
}

static json_t *
sh_order(int64_t gon)
{
	char path[96];

	snprintf(path, sizeof(path), "/shiphero/orders/BP-GON-%" PRId64, gon);
	return fx_ctl(&fx, "GET", path, NULL);
}

static const char *
sh_status(const json_t *o)
{
	const char *s =
		json_string_value(json_object_get(o, "fulfillment_status"));

	return s ? s : "";
}

static int
deleted_canceled(int64_t gon)
{
	json_t *o = sh_order(gon);
	int ok = strcmp(sh_status(o), "canceled") == 0;

	json_decref(o);
	return ok;
}

/* Ship lines [from, to) of the note's order, one package per line when
 * per_line, else one package; tracking TRK-<idx>[-a|-b]. */
static void
sh_ship(int64_t gon, size_t idx, size_t from, size_t to, int per_line,
	const char *suffix)
{
	json_t *o = sh_order(gon), *lines = json_object_get(o, "line_items");
	char body[1024], path[96];
	size_t len = 0, i;

	assert_true(json_array_size(lines) >= to);
	len += (size_t)snprintf(body + len, sizeof(body) - len,
				"{\"packages\":[");
	for (i = from; i < to; i++) {
		json_t *l = json_array_get(lines, i);
		const char *pl = json_string_value(
			json_object_get(l, "partner_line_item_id"));
		json_int_t q =
			json_integer_value(json_object_get(l, "quantity"));

		if (i == from || per_line)
			len += (size_t)snprintf(body + len, sizeof(body) - len,
						"%s{\"lines\":[",
						i == from ? "" : ",");
		else
			len += (size_t)snprintf(body + len, sizeof(body) - len,
						",");
		len += (size_t)snprintf(body + len, sizeof(body) - len,
					"{\"partner_line_item_id\":\"%s\","
					"\"quantity\":%" JSON_INTEGER_FORMAT
					"}",
					pl, q);
		if (per_line || i + 1 == to)
			len += (size_t)snprintf(
				body + len, sizeof(body) - len,
				"],\"tracking_number\":\"TRK-%zu%s%s\","
				"\"carrier\":\"UPS\",\"method\":\"Ground\"}",
				idx,
				per_line ? (i == from ? "-a" : "-b") : suffix,
				"");
	}
	snprintf(body + len, sizeof(body) - len, "]}");
	snprintf(path, sizeof(path), "/shiphero/orders/BP-GON-%" PRId64 "/ship",
		 gon);
	fx_ctl_ok(&fx, "POST", path, body);
	json_decref(o);
}

static void
ship_all(void)
{
	size_t i;

	for (i = 1; i < NMAPPED; i++) {
		int64_t g = after[i].gon_id;

		if (i == IDX_SPLIT) {
			sh_ship(g, i, 0, 1, 0, "-a");
			sh_ship(g, i, 1, 2, 0, "-b");
		} else if (i == IDX_PARTIAL) {
			sh_ship(g, i, 0, 1, 0, "-a");
		} else if (i == IDX_PACKAGES) {
			sh_ship(g, i, 0, 2, 1, "");
		} else {
			sh_ship(g, i, 0, 2, 0, "");
		}
	}
}

/* ---- Brightpearl's side ------------------------------------------------ */

static json_t *
bp_state(void)
{
	return fx_ctl(&fx, "GET", "/brightpearl/state", NULL);
}

static json_t *
bp_gon(json_t *state, int64_t id)
{
	char key[32];

	snprintf(key, sizeof(key), "%" PRId64, id);
	return json_object_get(json_object_get(state, "goodsOutNotes"), key);
}

static int
gon_shipped(const json_t *g)
{
	return json_is_true(
		json_object_get(json_object_get(g, "status"), "shipped"));
}

static const char *
gon_ref(const json_t *g)
{
	const char *s = json_string_value(
		json_object_get(json_object_get(g, "shipping"), "reference"));

	return s ? s : "";
}

static int
all_tracked(int64_t unused)
{
	json_t *st = bp_state();
	size_t i;
	int ok = 1;

	(void)unused;
	for (i = 1; i < NMAPPED && ok; i++) {
		json_t *g = bp_gon(st, after[i].gon_id);

		if (i == IDX_PARTIAL)
			ok = strcmp(gon_ref(g), "TRK-2-a") == 0;
		else
			ok = gon_shipped(g);
	}
	json_decref(st);
	return ok;
}

/* 1 when note n's text holds needle. */
static int
text_has(const json_t *n, const char *needle)
{
	const char *t = json_string_value(json_object_get(n, "text"));

	return t != NULL && strstr(t, needle) != NULL;
}

/* Notes on the order carrying needle (the state's notes: an array, or
 * arrays keyed by order id). */
static size_t
order_notes_with(json_t *state, int64_t order_id, const char *needle)
{
	json_t *notes = json_object_get(state, "notes"), *n, *x;
	const char *k;
	char oid[32];
	size_t i, c = 0;

	snprintf(oid, sizeof(oid), "%" PRId64, order_id);
	if (json_is_array(notes)) {
		json_array_foreach (notes, i, n)
			c += json_integer_value(json_object_get(
				     n, "orderId")) == order_id &&
			     text_has(n, needle);
		return c;
	}
	json_object_foreach (notes, k, n) {
		if (json_is_array(n)) {
			if (strcmp(k, oid) == 0)
				json_array_foreach (n, i, x)
					c += text_has(x, needle);
		} else {
			c += json_integer_value(json_object_get(
				     n, "orderId")) == order_id &&
			     text_has(n, needle);
		}
	}
	return c;
}

/* ---- the log ----------------------------------------------------------- */

static size_t
entries(const char *flow, const char *kind, int status)
{
	ps_log_query q = PS_LOG_QUERY_INIT;
	ps_log_entry *v = NULL;
	size_t n = 0;

	q.flow = flow;
	q.kind = kind;
	q.status = status;
	q.limit = 1000;
	assert_int_equal(ps_store_log_list(&v, &n, fx.st, &q), 0);
	ps_log_entries_free(v, n);
	return n;
}

static void
assert_entry_reason(int64_t gon, const char *needle)
{
	ps_log_entry e;
	char key[64];

	snprintf(key, sizeof(key), "bp:gon:%" PRId64 ":sh-order", gon);
	assert_int_equal(ps_store_log_get_by_key(&e, fx.st, key), 0);
	assert_int_equal(e.status, PS_ENTRY_SYNCED);
	assert_non_null(e.detail);
	if (strstr(e.detail, needle) == NULL)
		fprintf(stderr, "%s: '%s'\n", key, e.detail);
	assert_non_null(strstr(e.detail, needle));
	ps_log_entry_dispose(&e);
}

/* ---- the scenario ------------------------------------------------------ */

static void
scenario(enum mode mode)
{
	static const char *const flows[] = {"shiphero-orders",
					    "shiphero-tracking", NULL};
	json_t *orders, *st, *o, *l;
	char path[160];
	size_t i, j;
	long status;

	cur_mode = mode;
	srand(42);
	assert_int_equal(flow_fixture_open(&fx, NULL), 0);
	fx.sh_in_worker = 1;
	settings();
	assert_int_equal(flow_fixture_start_worker(&fx, flows), 0);
	fx_passes(&fx, 1, 0); /* registers the webhooks */
	if (mode == MODE_LOST)
		webhook_faults(1.0, 0.0);
	else if (mode == MODE_DUP)
		webhook_faults(0.0, 1.0);
	make_notes();
	if (mode == MODE_CHAOS)
		faults(0.3);

	/* every note in a mapped warehouse since go-live: one order */
	if (!drive(all_orders_made, 0))
		flow_fixture_log_dump(&fx);
	assert_true(all_orders_made(0));

	/* the merchant deletes a note before it ships */
	snprintf(path, sizeof(path),
		 "/public-api/sandbox/warehouse-service/order/%" PRId64
		 "/goods-note/goods-out/%" PRId64,
		 after[IDX_DELETED].order_id, after[IDX_DELETED].gon_id);
	{
		static const char *const h[] = {
			"brightpearl-app-ref: sandbox_pearlsync",
			"brightpearl-account-token: sandbox-token", NULL};

		/* the control API ignores faults; the API does not */
		do
			status = fx_api(NULL, &fx, "brightpearl", "DELETE",
					path, h, NULL);
		while (status != 200 && mode == MODE_CHAOS &&
		       (status >= 500 || status == 429 || status == 0));
		assert_int_equal(status, 200);
	}
	if (!drive(deleted_canceled, after[IDX_DELETED].gon_id))
		flow_fixture_log_dump(&fx);
	assert_true(deleted_canceled(after[IDX_DELETED].gon_id));

	/* the 3PL ships */
	ship_all();
	if (!drive(all_tracked, 0))
		flow_fixture_log_dump(&fx);
	if (mode == MODE_CHAOS) {
		faults(0.0);
		fx_rounds_until(&fx, all_tracked, 0, DEADLINE_MS);
	}
	assert_true(all_tracked(0));
	fx_passes(&fx, 2, 100); /* anything late would show now */

	/* ShipHero: exactly the expected orders */
	orders = sh_orders();
	for (i = 0; i < NPRE; i++)
		assert_int_equal(sh_count(orders, pre[i].gon_id), 0);
	for (i = 0; i < NAFTER; i++)
		assert_int_equal(sh_count(orders, after[i].gon_id),
				 i < NMAPPED ? 1 : 0);
	assert_int_equal(json_array_size(orders), NMAPPED);
	json_array_foreach (orders, i, o) {
		const char *want_wh = NULL;
		int64_t gon = strtoll(json_string_value(json_object_get(
					      o, "partner_order_id")) +
					      7,
				      NULL, 10);

		for (j = 0; j < NMAPPED; j++)
			if (after[j].gon_id == gon)
				want_wh =
					after[j].wh == 2 ? wh_primary : wh_east;
		assert_non_null(want_wh);
		assert_int_equal(
			json_array_size(json_object_get(o, "line_items")), 2);
		json_array_foreach (json_object_get(o, "line_items"), j, l) {
			const char *lw = json_string_value(
				json_object_get(l, "locked_to_warehouse_id"));

			if (lw == NULL)
				lw = json_string_value(
					json_object_get(l, "warehouse_id"));
			assert_non_null(lw);
			assert_string_equal(lw, want_wh);
		}
		assert_int_equal(strncmp(json_string_value(json_object_get(
						 o, "order_number")),
					 "SO-", 3),
				 0);
	}
	json_decref(orders);
	o = sh_order(after[IDX_DELETED].gon_id);
	assert_string_equal(sh_status(o), "canceled");
	json_decref(o);

	/* Brightpearl: the notes shipped, with their tracking */
	st = bp_state();
	for (i = 0; i < NPRE; i++)
		assert_false(gon_shipped(bp_gon(st, pre[i].gon_id)));
	for (i = NMAPPED; i < NAFTER; i++)
		assert_false(gon_shipped(bp_gon(st, after[i].gon_id)));
	for (i = 1; i < NMAPPED; i++) {
		json_t *g = bp_gon(st, after[i].gon_id);
		char want[32];

		if (i == IDX_PARTIAL) {
			assert_false(gon_shipped(g));
			assert_string_equal(gon_ref(g), "TRK-2-a");
			continue;
		}
		assert_true(gon_shipped(g));
		if (i == IDX_SPLIT || i == IDX_PACKAGES)
			snprintf(want, sizeof(want), "TRK-%zu-a", i);
		else
			snprintf(want, sizeof(want), "TRK-%zu", i);
		assert_string_equal(gon_ref(g), want);
		/* UPS/Ground maps back to Brightpearl method 7 */
		assert_int_equal(json_integer_value(json_object_get(
					 json_object_get(g, "shipping"),
					 "shippingMethodId")),
				 7);
	}
	/* the second tracking numbers, once each, in an order note */
	assert_int_equal(
		order_notes_with(st, after[IDX_SPLIT].order_id, "TRK-1-b"), 1);
	assert_int_equal(
		order_notes_with(st, after[IDX_PACKAGES].order_id, "TRK-3-b"),
		1);
	assert_int_equal(order_notes_with(st, after[5].order_id, "TRK-5"), 0);
	json_decref(st);

	/* the log: one entry per shipment, the skips visible, no failure */
	assert_int_equal(entries("tracking_import_sh", "shipment.import", -1),
			 NMAPPED);
	assert_int_equal(entries("tracking_import_sh", "shipment.import",
				 PS_ENTRY_SYNCED),
			 NMAPPED);
	for (i = NMAPPED; i < NAFTER; i++)
		assert_entry_reason(after[i].gon_id,
				    "skipped: warehouse 4 not mapped");
	if (mode == MODE_HOOKS || mode == MODE_DUP)
		for (i = 0; i < NPRE; i++)
			assert_entry_reason(pre[i].gon_id, "before go-live");
	assert_int_equal(fx_failed_entries(&fx), 0);
	/* the partial note's entry says how much is covered */
	{
		ps_log_query q = PS_LOG_QUERY_INIT;
		ps_log_entry *v = NULL;
		char sub[32];
		size_t n = 0, k, partial = 0;

		snprintf(sub, sizeof(sub), "%" PRId64,
			 after[IDX_PARTIAL].gon_id);
		q.flow = "tracking_import_sh";
		q.limit = 1000;
		assert_int_equal(ps_store_log_list(&v, &n, fx.st, &q), 0);
		for (k = 0; k < n; k++)
			if (v[k].subject_order != NULL &&
			    strcmp(v[k].subject_order, sub) == 0) {
				partial++;
				assert_non_null(v[k].shipment_status);
				assert_string_equal(v[k].shipment_status,
						    "partial: 2/3 units");
				assert_non_null(v[k].order_number);
				assert_string_equal(v[k].order_number, "SO-2");
			}
		assert_int_equal(partial, 1);
		ps_log_entries_free(v, n);
	}
	fprintf(stderr,
		"%s: %d notes; requests: ShipHero %" PRId64
		", Brightpearl %" PRId64 "\n",
		mode == MODE_HOOKS  ? "webhooks"
		: mode == MODE_LOST ? "webhooks lost"
		: mode == MODE_DUP  ? "webhooks doubled"
				    : "kill -9 and faults",
		NPRE + NAFTER, fx_requests(&fx, "shiphero", NULL),
		fx_requests(&fx, "brightpearl", NULL));
	flow_fixture_close(&fx);
}

static void
test_webhooks(void **state)
{
	(void)state;
	scenario(MODE_HOOKS);
}

static void
test_webhooks_lost(void **state)
{
	(void)state;
	scenario(MODE_LOST);
}

static void
test_webhooks_duplicated(void **state)
{
	(void)state;
	scenario(MODE_DUP);
}

static void
test_kill_and_faults(void **state)
{
	(void)state;
	scenario(MODE_CHAOS);
}

/* A Shipment Update signed with the wrong secret: 401, nothing stored. */
static void
test_forged_webhook(void **state)
{
	static const char *const flows[] = {"shiphero-tracking", NULL};
	static const char body[] =
		"{\"test\":\"0\",\"fulfillment\":{\"shipment_id\":424242,"
		"\"partner_order_id\":\"BP-GON-501\",\"line_items\":[]}}";
	const char *h[3];
	char url[160], sig[128];
	sandbox_reply r;
	ps_log_entry e;
	ps_event *ev = NULL;
	size_t nev = 0;

	(void)state;
	assert_int_equal(flow_fixture_open(&fx, NULL), 0);
	fx.sh_in_worker = 1;
	settings();
	assert_int_equal(flow_fixture_start_worker(&fx, flows), 0);
	fx_passes(&fx, 1, 0);
	snprintf(sig, sizeof(sig), "%s: %s", PS_SH_HMAC_HEADER,
		 "bm90IHRoZSByaWdodCBzaWduYXR1cmUgYXQgYWxsIQ==");
	h[0] = "Content-Type: application/json";
	h[1] = sig;
	h[2] = NULL;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/webhooks/shiphero",
		 fx.listen_port);
	assert_int_equal(sandbox_http(&r, "POST", url, h, body, NULL), 401);
	sandbox_reply_dispose(&r);
	/* and without a signature */
	h[1] = NULL;
	assert_int_equal(sandbox_http(&r, "POST", url, h, body, NULL), 401);
	sandbox_reply_dispose(&r);
	fx_passes(&fx, 2, 50);
	assert_int_equal(
		ps_store_log_get_by_key(&e, fx.st, "sh:shipment:424242"),
		PS_ENOTFOUND);
	assert_int_equal(ps_store_event_claim(&ev, &nev, fx.st, 100,
					      flow_fixture_now_ms()),
			 0);
	assert_int_equal(nev, 0);
	ps_events_free(ev, nev);
	flow_fixture_close(&fx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forged_webhook),
		cmocka_unit_test(test_webhooks),
		cmocka_unit_test(test_webhooks_lost),
		cmocka_unit_test(test_webhooks_duplicated),
		cmocka_unit_test(test_kill_and_faults),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
