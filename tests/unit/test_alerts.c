/*
 * test_alerts.c - the alerts (pearlsync/alerts.h) and the check of a
 * picked id against its cached list (pearlsync/setting_check.h), on a
 * scratch store: what raises an alert, what does not (a platform switched
 * off or never configured), worst first, and each alert's fix.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pearlsync/alerts.h"
#include "pearlsync/flow.h"
#include "pearlsync/platform.h"
#include "pearlsync/setting_check.h"
#include "pearlsync/settings.h"
#include "pearlsync/store.h"
#include "test_db.h"

#define NOW 1800000000000LL
#define HOUR 3600000LL

static int
setup(void **state)
{
	test_db *db = calloc(1, sizeof(*db));

	if (db == NULL || test_db_open(db, "alerts") < 0) {
		free(db);
		return -1;
	}
	*state = db;
	return 0;
}

static int
teardown(void **state)
{
	test_db_close(*state);
	free(*state);
	return 0;
}

static ps_store *
st_of(void **state)
{
	return ((test_db *)*state)->st;
}

static void
set(ps_store *st, const char *key, const char *value)
{
	assert_int_equal(
		ps_store_setting_set(NULL, st, key, value, "test", NOW), 0);
}

/* Every required connection setting of platform id, so it is "used". */
static void
connect_platform(ps_store *st, ps_platform id)
{
	const ps_platform_ops *ops = ps_platform_ops_of(id);
	size_t i;

	assert_non_null(ops);
	for (i = 0; i < ops->nfields; i++)
		if (ops->fields[i].required)
			set(st, ops->fields[i].key,
			    ops->fields[i].kind == PS_PLATFORM_FIELD_URL
				    ? "http://127.0.0.1:9"
				    : "sandbox");
}

static void
beat(ps_store *st, int64_t at)
{
	ps_heartbeat hb;

	ps_heartbeat_init(&hb);
	hb.pid = 42;
	hb.started_at = at - HOUR;
	hb.beat_at = at;
	hb.state = (char *)"running";
	assert_int_equal(ps_store_heartbeat_set(st, &hb), 0);
}

/* The alert whose text holds what, or NULL. */
static const ps_alert *
find(const ps_alerts *a, const char *what)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		if (strstr(a->v[i].what, what) != NULL)
			return &a->v[i];
	return NULL;
}

static void
load(ps_alerts *a, ps_store *st, int64_t failed)
{
	ps_alerts_options o = PS_ALERTS_OPTIONS_INIT;

	o.failed = failed;
	assert_int_equal(ps_alerts_load(a, st, NOW, &o), 0);
}

/* A fresh database: only the worker; no platform is used yet. */
static void
test_alerts__fresh_database(void **state)
{
	ps_alerts a;

	assert_int_equal(ps_alerts_load(&a, st_of(state), NOW, NULL), 0);
	assert_int_equal(a.n, 1);
	assert_int_equal(a.v[0].level, PS_ALERT_ERROR);
	assert_non_null(strstr(a.v[0].what, "never run"));
	assert_non_null(strstr(a.v[0].fix, "pearlsync worker"));
	assert_string_equal(ps_alert_level_name(PS_ALERT_WARNING), "warning");
}

static void
test_alerts__worker_running_then_stopped(void **state)
{
	ps_store *st = st_of(state);
	ps_alerts a;

	beat(st, NOW - 1000);
	load(&a, st, -1);
	assert_int_equal(a.n, 0);
	beat(st, NOW - PS_HEARTBEAT_STALE_MS - 60000);
	load(&a, st, -1);
	assert_int_equal(a.n, 1);
	assert_non_null(strstr(a.v[0].what, "worker is stopped"));
}

/* After setup, the order import off is an error naming its toggle. */
static void
test_alerts__order_import_off_after_setup(void **state)
{
	ps_store *st = st_of(state);
	const ps_alert *al;
	ps_alerts a;

	beat(st, NOW);
	set(st, "bigcommerce.defaults.warehouse_id", "2");
	connect_platform(st, PS_PLATFORM_BRIGHTPEARL);
	load(&a, st, -1);
	/* BigCommerce never configured: not used, nothing about it */
	assert_null(find(&a, "Import orders"));
	connect_platform(st, PS_PLATFORM_BIGCOMMERCE);
	load(&a, st, -1);
	assert_non_null(al = find(&a, "Import orders is off"));
	assert_int_equal(al->level, PS_ALERT_ERROR);
	assert_non_null(strstr(al->fix, "pearlsync settings set "
					"bigcommerce.orders.enabled true"));
	assert_non_null(strstr(al->fix, "Order sync"));
	/* once, though two flows share the toggle */
	assert_true(al == &a.v[0] || strstr(a.v[0].what, "Import") == NULL);
	set(st, "bigcommerce.orders.enabled", "true");
	load(&a, st, -1);
	assert_null(find(&a, "Import orders"));
	assert_int_equal(a.n, 0);
	/* a platform switched off raises nothing */
	set(st, "bigcommerce.orders.enabled", "false");
	set(st, "bigcommerce.enabled", "false");
	load(&a, st, -1);
	assert_null(find(&a, "Import orders"));
}

static void
test_alerts__incomplete_connection(void **state)
{
	ps_store *st = st_of(state);
	const ps_alert *al;
	ps_alerts a;

	beat(st, NOW);
	set(st, "brightpearl.account", "sandbox");
	load(&a, st, -1);
	assert_non_null(al = find(&a, "Brightpearl not connected"));
	assert_non_null(strstr(al->fix, "pearlsync settings set brightpearl."));
	/* its required settings are not listed a second time */
	assert_null(find(&a, "brightpearl.token is not set"));
}

/* A picked id its cached list no longer has; a list never fetched
 * raises nothing. */
static void
test_alerts__picked_id_vanished(void **state)
{
	ps_store *st = st_of(state);
	const ps_alert *al;
	ps_alerts a;

	beat(st, NOW);
	connect_platform(st, PS_PLATFORM_BRIGHTPEARL);
	connect_platform(st, PS_PLATFORM_BIGCOMMERCE);
	set(st, "bigcommerce.orders.enabled", "true");
	set(st, "bigcommerce.defaults.warehouse_id", "3");
	load(&a, st, -1);
	assert_int_equal(a.n, 0);
	assert_int_equal(
		ps_store_cache_set(st, "bp.warehouses",
				   "[{\"id\":\"2\",\"name\":\"Main\"},"
				   "{\"id\":\"3\",\"name\":\"Outlet\"}]",
				   NOW - 60000),
		0);
	load(&a, st, -1);
	assert_int_equal(a.n, 0);
	/* a refresh without warehouse 3 */
	assert_int_equal(
		ps_store_cache_set(st, "bp.warehouses",
				   "[{\"id\":\"2\",\"name\":\"Main\"}]",
				   NOW - 60000),
		0);
	load(&a, st, -1);
	assert_non_null(al = find(&a, "bigcommerce.defaults.warehouse_id '3'"));
	assert_non_null(strstr(al->what, "no such Brightpearl warehouse"));
	assert_non_null(strstr(al->what, "fetched 1m ago"));
	assert_non_null(strstr(al->fix, "Defaults, Warehouse"));
	/* a list of ids: one gone is enough */
	set(st, "bigcommerce.defaults.warehouse_id", "2");
	set(st, "bigcommerce.inventory.warehouses", "2,3");
	load(&a, st, -1);
	assert_non_null(find(&a, "bigcommerce.inventory.warehouses '3'"));
}

static void
test_alerts__credentials_throttling_worst_first(void **state)
{
	ps_store *st = st_of(state);
	int64_t hour = NOW / HOUR * HOUR;
	const ps_alert *al;
	ps_alerts a;
	size_t i;

	beat(st, NOW);
	connect_platform(st, PS_PLATFORM_BRIGHTPEARL);
	connect_platform(st, PS_PLATFORM_BIGCOMMERCE);
	set(st, "bigcommerce.orders.enabled", "true");
	set(st, "bigcommerce.defaults.warehouse_id", "2");
	/* refusals in the hourly counters alone are not the worker's record */
	assert_int_equal(ps_store_http_count_add(st, hour,
						 PS_PLATFORM_BIGCOMMERCE, "x",
						 "auth", 3),
			 0);
	assert_int_equal(ps_store_http_count_add(st, hour,
						 PS_PLATFORM_BRIGHTPEARL, "x",
						 "throttled", 4),
			 0);
	load(&a, st, 6);
	assert_null(find(&a, "credentials"));
	assert_non_null(al = find(&a, "Brightpearl is throttling us"));
	assert_int_equal(al->level, PS_ALERT_WARNING);
	assert_non_null(find(&a, "6 sync log entries failed"));
	/* the worker recorded BigCommerce's 401/403 answers */
	assert_int_equal(ps_store_cache_set(st, "worker.platforms",
					    "{\"bigcommerce\":{\"auth\":"
					    "\"auth_failed\",\"auth_since_ms\":"
					    "1}}",
					    NOW),
			 0);
	load(&a, st, 6);
	assert_non_null(al = find(&a, "BigCommerce refuses our credentials"));
	assert_int_equal(al->level, PS_ALERT_ERROR);
	assert_ptr_equal(al, &a.v[0]);
	assert_non_null(strstr(al->fix, "check-connection"));
	for (i = 1; i < a.n; i++)
		assert_true(a.v[i - 1].level <= a.v[i].level);
	/* it answered again: the credentials work */
	assert_int_equal(
		ps_store_cache_set(st, "worker.platforms",
				   "{\"bigcommerce\":{\"auth\":\"ok\"}}", NOW),
		0);
	load(&a, st, 0);
	assert_null(find(&a, "credentials"));
	assert_null(find(&a, "entries failed"));
}

/* One parked entry of a flow that talks to BigCommerce. */
static void
park(ps_store *st, const char *key, ps_platform platform, int code)
{
	const ps_flow_ops *const *f;
	ps_log_entry e;
	int64_t id;

	for (f = ps_flows_all(); *f != NULL; f++)
		if ((*f)->source == platform || (*f)->target == platform)
			break;
	assert_non_null(*f);
	ps_log_entry_init(&e);
	e.flow = (char *)(*f)->name;
	e.dedupe_key = (char *)key;
	e.source_platform = (*f)->source;
	e.target_platform = (*f)->target;
	e.kind = (char *)"order.import";
	e.subject = (char *)key;
	assert_int_equal(ps_store_log_add(&id, st, &e, NOW), 0);
	assert_int_equal(
		ps_store_log_mark_failed(st, id, "refused", code, 0, NOW), 0);
}

/*
 * Refused credentials the worker is waiting to see changed: the alert
 * says so with the parked entries, after a restart too (the answers'
 * state is "unknown" then), and `status`, /healthz read the same record.
 */
static void
test_alerts__waiting_for_credentials(void **state)
{
	ps_store *st = st_of(state);
	ps_auth_state rec[PS_PLATFORM_MAX];
	const ps_alert *al;
	ps_alerts a;

	beat(st, NOW);
	connect_platform(st, PS_PLATFORM_BRIGHTPEARL);
	connect_platform(st, PS_PLATFORM_BIGCOMMERCE);
	park(st, "bc:order:1", PS_PLATFORM_BIGCOMMERCE, PS_EAUTH);
	park(st, "bc:order:2", PS_PLATFORM_BIGCOMMERCE, PS_EAUTH);
	park(st, "bc:order:3", PS_PLATFORM_BIGCOMMERCE, PS_EINVAL);
	load(&a, st, 3);
	assert_null(find(&a, "credentials"));
	assert_int_equal(ps_auth_states_load(rec, st, 1), 0);
	assert_string_equal(rec[PS_PLATFORM_BIGCOMMERCE].auth, "unknown");
	assert_false(rec[PS_PLATFORM_BIGCOMMERCE].waiting);

	assert_int_equal(
		ps_store_cursor_set(st, PS_AUTH_REFUSED_CURSOR "bigcommerce",
				    "0123abcd", NOW),
		0);
	load(&a, st, 3);
	assert_non_null(
		al = find(&a, "BigCommerce refused our credentials, waiting "
			      "for new credentials: 2 entries parked"));
	assert_int_equal(al->level, PS_ALERT_ERROR);
	assert_non_null(strstr(al->fix, "correct the BigCommerce credentials"));
	assert_non_null(strstr(al->fix, "resume by themselves"));
	assert_null(find(&a, "Brightpearl refuse"));
	assert_int_equal(ps_auth_states_load(rec, st, 1), 0);
	assert_true(rec[PS_PLATFORM_BIGCOMMERCE].waiting);
	assert_int_equal(rec[PS_PLATFORM_BIGCOMMERCE].parked, 2);
	assert_int_equal(ps_auth_states_load(rec, st, 0), 0);
	assert_int_equal(rec[PS_PLATFORM_BIGCOMMERCE].parked, 0);

	/* the worker saw new credentials: it clears the record */
	assert_int_equal(
		ps_store_cursor_set(st, PS_AUTH_REFUSED_CURSOR "bigcommerce",
				    "", NOW),
		0);
	load(&a, st, 3);
	assert_null(find(&a, "credentials"));
}

static void
test_alerts__paused_flow(void **state)
{
	ps_store *st = st_of(state);
	const ps_alert *al;
	ps_alerts a;

	beat(st, NOW);
	set(st, "sync.paused_flows", "order_import_bc");
	load(&a, st, -1);
	assert_non_null(al = find(&a, "flow order_import_bc is paused"));
	assert_non_null(strstr(al->fix, "pearlsync resume order_import_bc"));
}

/* The check when an id is set, against the cache only (no config). */
static void
test_alerts__setting_check_cached(void **state)
{
	ps_store *st = st_of(state);
	ps_setting_check_options o = PS_SETTING_CHECK_OPTIONS_INIT;

	o.now = NOW;
	assert_string_equal(
		ps_setting_check_list("bigcommerce.defaults.warehouse_id"),
		"bp.warehouses");
	assert_null(ps_setting_check_list("sync.poll_interval_seconds"));
	assert_null(ps_setting_check_list(NULL));
	/* never fetched: anything goes; unset and free text too */
	assert_int_equal(ps_setting_check(st,
					  "bigcommerce.defaults.warehouse_id",
					  "99", &o),
			 0);
	assert_int_equal(ps_setting_check(st,
					  "bigcommerce.defaults.warehouse_id",
					  NULL, &o),
			 0);
	assert_int_equal(
		ps_setting_check(st, "sync.poll_interval_seconds", "30", NULL),
		0);
	assert_int_equal(
		ps_store_cache_set(st, "bp.warehouses",
				   "[{\"id\":\"2\",\"name\":\"Main\"}]", NOW),
		0);
	assert_int_equal(ps_setting_check(st,
					  "bigcommerce.defaults.warehouse_id",
					  "2", &o),
			 0);
	assert_int_equal(ps_setting_check(st,
					  "bigcommerce.defaults.warehouse_id",
					  "99", &o),
			 PS_EINVAL);
	assert_non_null(strstr(ps_error_last(), "no Brightpearl warehouse "
						"has the id '99' (there are: "
						"2 Main)"));
	assert_int_equal(ps_setting_check(st,
					  "bigcommerce.inventory.warehouses",
					  "2,99", &o),
			 PS_EINVAL);
	assert_int_equal(ps_setting_check(st,
					  "bigcommerce.inventory.warehouses",
					  "2", &o),
			 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name)                                                                \
	cmocka_unit_test_setup_teardown(test_alerts__##name, setup, teardown)
		T(fresh_database),
		T(worker_running_then_stopped),
		T(order_import_off_after_setup),
		T(incomplete_connection),
		T(picked_id_vanished),
		T(credentials_throttling_worst_first),
		T(waiting_for_credentials),
		T(paused_flow),
		T(setting_check_cached),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
