/*
 * test_anomalies.c - the anomaly alerts (pearlsync/anomalies.h) on a
 * scratch store: the log's hourly buckets kept by the schema's triggers,
 * then each anomaly planted (an hour far quieter than the same hour of
 * the past days, a burst of failures, a platform throttling without a
 * pause, an inventory pass zeroing many SKUs) raises its alert among
 * ps_alerts_load's, and a normal history raises none.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "pearlsync/alerts.h"
#include "pearlsync/anomalies.h"
#include "pearlsync/settings.h"
#include "pearlsync/store.h"
#include "store/store_int.h"
#include "test_db.h"

#define HOUR 3600000LL
#define DAY (24 * HOUR)
/* half past an hour */
#define NOW (500000LL * HOUR + HOUR / 2)
#define FLOW "order_import_bc"

static int
setup(void **state)
{
	test_db *db = calloc(1, sizeof(*db));

	if (db == NULL || test_db_open(db, "anomalies") < 0) {
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

/*
 * n entries of flow, kind order.import, in status (2 synced, 3 failed),
 * first recorded and last changed at `at`, through the log's table (the
 * triggers count them).
 */
static void
plant(ps_store *st, const char *flow, int64_t at, int n, int status)
{
	static int seq;
	char sql[1024];

	if (n <= 0)
		return;
	snprintf(sql, sizeof(sql),
		 "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1"
		 " FROM c WHERE i < %d)"
		 " INSERT INTO log_entries(flow, dedupe_key, status,"
		 " inserted_at, updated_at, source_platform, target_platform,"
		 " kind) SELECT '%s', 'k:%d:' || i, %d, %lld, %lld, 2, 1,"
		 " 'order.import' FROM c",
		 n, flow, ++seq, status, (long long)at, (long long)at);
	assert_int_equal(ps_store__exec_sql(st, sql), 0);
}

/* days of history before the current hour: per hour `per_hour` orders
 * synced and `failed` failed. */
static void
history(ps_store *st, int days, int per_hour, int failed)
{
	int64_t h;

	for (h = NOW / HOUR - 1 - 24 * days; h < NOW / HOUR - 1; h++) {
		plant(st, FLOW, h * HOUR + 60000, per_hour, 2);
		plant(st, FLOW, h * HOUR + 120000, failed, 3);
	}
}

static const ps_anomaly *
find(const ps_anomalies *an, ps_anomaly_kind kind, const char *subject)
{
	size_t i;

	for (i = 0; i < an->n; i++)
		if (an->v[i].kind == kind &&
		    strcmp(an->v[i].subject, subject) == 0)
			return &an->v[i];
	return NULL;
}

/* Whether an alert's text contains s. */
static int
alert_has(ps_store *st, const char *s)
{
	ps_alerts a;
	size_t i;

	assert_int_equal(ps_alerts_load(&a, st, NOW, NULL), 0);
	for (i = 0; i < a.n; i++)
		if (strstr(a.v[i].what, s) != NULL)
			return 1;
	return 0;
}

static int
on_row(int64_t hour, const char *flow, int64_t orders, int64_t synced,
       int64_t failed, void *payload)
{
	char *rows = payload;
	size_t len = strlen(rows);

	snprintf(rows + len, 512 - len, "%lld %s %lld %lld %lld\n",
		 (long long)hour, flow, (long long)orders, (long long)synced,
		 (long long)failed);
	return 0;
}

static void
test_anomalies__triggers_keep_hours(void **state)
{
	ps_store *st = st_of(state);
	char sql[512], rows[512] = "";
	int64_t first;

	assert_int_equal(ps_store_log_first_hour(&first, st), PS_ENOTFOUND);
	plant(st, FLOW, NOW - 10 * HOUR, 3, 2);
	plant(st, "other", NOW, 2, 0); /* pending: counted as orders only */
	/* a pending entry failing, then failing again, then synced */
	snprintf(sql, sizeof(sql),
		 "UPDATE log_entries SET status = 3, updated_at = %lld"
		 " WHERE flow = 'other'",
		 (long long)NOW);
	assert_int_equal(ps_store__exec_sql(st, sql), 0);
	snprintf(sql, sizeof(sql),
		 "UPDATE log_entries SET status = 3, attempts = 2,"
		 " updated_at = %lld WHERE flow = 'other'",
		 (long long)NOW);
	assert_int_equal(ps_store__exec_sql(st, sql), 0);
	snprintf(sql, sizeof(sql),
		 "UPDATE log_entries SET status = 2, updated_at = %lld"
		 " WHERE flow = 'other' AND dedupe_key LIKE '%%:1'",
		 (long long)(NOW + HOUR));
	assert_int_equal(ps_store__exec_sql(st, sql), 0);
	assert_int_equal(ps_store_log_first_hour(&first, st), 0);
	assert_int_equal(first, NOW / HOUR - 10);
	/* read back as the alerts read them */
	assert_int_equal(
		ps_store_log_hours(st, 0, NOW / HOUR + 2, on_row, rows), 0);
	assert_string_equal(rows, "499990 order_import_bc 3 3 0\n"
				  "500000 other 2 0 2\n"
				  "500001 other 0 1 0\n");
	/* the window's end is excluded */
	rows[0] = '\0';
	assert_int_equal(ps_store_log_hours(st, 0, NOW / HOUR, on_row, rows),
			 0);
	assert_string_equal(rows, "499990 order_import_bc 3 3 0\n");
}

static void
test_anomalies__normal_history_raises_nothing(void **state)
{
	ps_store *st = st_of(state);
	ps_anomalies an;
	const ps_anomaly *a;

	history(st, 14, 20, 1);
	/* the last hour as usual: half an hour of this one, the previous
	 * one whole */
	plant(st, FLOW, NOW / HOUR * HOUR - HOUR + 1000, 20, 2);
	plant(st, FLOW, NOW / HOUR * HOUR - HOUR + 2000, 1, 3);
	plant(st, FLOW, NOW / HOUR * HOUR + 1000, 10, 2);
	assert_int_equal(ps_anomalies_load(&an, st, NOW), 0);
	assert_non_null(a = find(&an, PS_ANOMALY_ORDER_DROP, FLOW));
	assert_false(a->active);
	assert_true(a->usual > 20.9 && a->usual < 21.1); /* 20 + 1 failed */
	assert_true(a->value > 20.4 && a->value < 20.6);
	assert_int_equal(a->days, 14);
	assert_non_null(a = find(&an, PS_ANOMALY_FAILURE_SPIKE, FLOW));
	assert_false(a->active);
	assert_false(alert_has(st, FLOW));
}

static void
test_anomalies__quiet_hour(void **state)
{
	ps_store *st = st_of(state);
	ps_anomalies an;
	const ps_anomaly *a;

	history(st, 14, 20, 0);
	plant(st, FLOW, NOW / HOUR * HOUR + 1000, 2, 2);
	assert_int_equal(ps_anomalies_load(&an, st, NOW), 0);
	assert_non_null(a = find(&an, PS_ANOMALY_ORDER_DROP, FLOW));
	assert_true(a->active);
	assert_true(a->value > 1.9 && a->value < 2.1);
	assert_true(a->threshold > 4.9 && a->threshold < 5.1);
	assert_true(alert_has(st, FLOW ": 2 order(s) in the last hour, "
				       "usually 20 at this hour"));
	/* a threshold the hour passes */
	set(st, "alerts.order_drop_percent", "5");
	assert_false(alert_has(st, "order(s) in the last hour"));
}

static void
test_anomalies__quiet_hour_needs_history(void **state)
{
	ps_store *st = st_of(state);
	ps_anomalies an;

	history(st, 6, 20, 0); /* half of 14 days is 7 */
	assert_int_equal(ps_anomalies_load(&an, st, NOW), 0);
	assert_null(find(&an, PS_ANOMALY_ORDER_DROP, FLOW));
	assert_false(alert_has(st, "order(s) in the last hour"));
	set(st, "alerts.history_days", "12");
	assert_true(alert_has(st, "order(s) in the last hour"));
}

static void
test_anomalies__quiet_hours_stay_quiet(void **state)
{
	ps_store *st = st_of(state);

	history(st, 14, 3, 0); /* below alerts.order_min_usual */
	assert_false(alert_has(st, "order(s) in the last hour"));
	set(st, "alerts.order_min_usual", "3");
	assert_true(alert_has(st, "order(s) in the last hour"));
}

static void
test_anomalies__failure_spike(void **state)
{
	ps_store *st = st_of(state);
	ps_anomalies an;
	const ps_anomaly *a;

	history(st, 3, 49, 1); /* 2% failed */
	plant(st, FLOW, NOW / HOUR * HOUR + 1000, 10, 2);
	plant(st, FLOW, NOW / HOUR * HOUR + 2000, 4, 3);
	/* 4 of 14 (29%, 27 points up) but fewer than alerts.failure_min */
	assert_false(alert_has(st, "failed in the last hour"));
	plant(st, FLOW, NOW / HOUR * HOUR + 3000, 8, 3);
	assert_int_equal(ps_anomalies_load(&an, st, NOW), 0);
	assert_non_null(a = find(&an, PS_ANOMALY_FAILURE_SPIKE, FLOW));
	assert_true(a->active);
	assert_int_equal(a->count, 12);
	assert_true(a->usual > 0.019 && a->usual < 0.021);
	assert_true(alert_has(st, FLOW ": 12 of 22 entries failed in the "
				       "last hour (55%), usually 2%"));
	set(st, "alerts.failure_spike_points", "60");
	assert_false(alert_has(st, "failed in the last hour"));
}

static void
test_anomalies__usual_failures_are_no_spike(void **state)
{
	ps_store *st = st_of(state);

	history(st, 3, 10, 10); /* half of everything fails, always */
	plant(st, FLOW, NOW / HOUR * HOUR + 1000, 6, 2);
	plant(st, FLOW, NOW / HOUR * HOUR + 1000, 6, 3);
	assert_false(alert_has(st, "failed in the last hour"));
}

static void
worker_platforms(ps_store *st, int64_t since, int64_t at)
{
	char json[256];

	snprintf(json, sizeof(json),
		 "{\"bigcommerce\":{\"auth\":\"ok\",\"throttled_at_ms\":%lld,"
		 "\"throttled_since_ms\":%lld}}",
		 (long long)at, (long long)since);
	assert_int_equal(ps_store_cache_set(st, "worker.platforms", json, NOW),
			 0);
}

static void
test_anomalies__throttled(void **state)
{
	ps_store *st = st_of(state);
	ps_anomalies an;
	const ps_anomaly *a;

	/* 20 minutes of throttle answers, the last one now */
	worker_platforms(st, NOW - 20 * 60000, NOW);
	assert_int_equal(ps_anomalies_load(&an, st, NOW), 0);
	assert_non_null(a = find(&an, PS_ANOMALY_THROTTLED, "bigcommerce"));
	assert_true(a->active);
	assert_true(a->value > 1199 && a->value < 1201);
	assert_true(alert_has(st, "BigCommerce has been throttling us for "
				  "20m without a pause"));
	/* shorter than alerts.throttle_seconds (15 min) */
	worker_platforms(st, NOW - 5 * 60000, NOW);
	assert_false(alert_has(st, "throttling us for"));
	set(st, "alerts.throttle_seconds", "60");
	assert_true(alert_has(st, "throttling us for 5m"));
	/* one answer is no episode, however long ago it began */
	worker_platforms(st, NOW - 60000, NOW - 60000);
	assert_false(alert_has(st, "throttling us for"));
	/* over: no throttle answer for longer than the gap */
	worker_platforms(st, NOW - 60 * 60000, NOW - PS_THROTTLE_GAP_MS - 1);
	assert_false(alert_has(st, "throttling us for"));
}

static void
test_anomalies__zero_stock(void **state)
{
	ps_store *st = st_of(state);
	ps_anomalies an;
	const ps_anomaly *a;

	assert_int_equal(ps_stock_pass_record(st, "inventory_export_bc",
					      NOW - 60000, 300, 3, "A,B,C"),
			 0);
	assert_false(alert_has(st, "to zero"));
	assert_int_equal(ps_stock_pass_record(st, "inventory_export_bc",
					      NOW - 60000, 300, 40, "A,B,C"),
			 0);
	assert_int_equal(ps_anomalies_load(&an, st, NOW), 0);
	assert_non_null(
		a = find(&an, PS_ANOMALY_ZERO_STOCK, "inventory_export_bc"));
	assert_true(a->active);
	assert_true(alert_has(st, "inventory_export_bc set 40 of 300 SKUs to "
				  "zero in its last pass (A,B,C)"));
	/* a day later, the pass is old news */
	assert_int_equal(ps_stock_pass_record(st, "inventory_export_bc",
					      NOW - PS_STOCK_PASS_FRESH_MS - 1,
					      300, 40, "A"),
			 0);
	assert_false(alert_has(st, "to zero"));
}

/* Mean ms of one ps_alerts_load over 20. */
static double
alerts_ms(ps_store *st)
{
	struct timespec t0, t1;
	ps_alerts a;
	int i;

	assert_int_equal(ps_alerts_load(&a, st, NOW, NULL), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 20; i++)
		assert_int_equal(ps_alerts_load(&a, st, NOW, NULL), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return ((double)(t1.tv_sec - t0.tv_sec) * 1e3 +
		(double)(t1.tv_nsec - t0.tv_nsec) / 1e6) /
	       20;
}

/* The cost on a full history: 90 days x 24 hours x 8 flows of buckets
 * (14 days of them read), printed beside the alerts without any. */
static void
test_anomalies__cost(void **state)
{
	ps_store *st = st_of(state);
	char sql[512];
	double empty;

	empty = alerts_ms(st);
	snprintf(sql, sizeof(sql),
		 "WITH RECURSIVE h(x) AS (SELECT %lld UNION ALL SELECT x + 1"
		 " FROM h WHERE x < %lld), f(y) AS (SELECT 1 UNION ALL SELECT"
		 " y + 1 FROM f WHERE y < 8)"
		 " INSERT INTO log_hourly(hour, flow, orders, synced, failed)"
		 " SELECT x, 'flow' || y, 30, 29, 1 FROM h, f",
		 (long long)(NOW / HOUR - 24 * 90), (long long)(NOW / HOUR));
	assert_int_equal(ps_store__exec_sql(st, sql), 0);
	print_message("alerts: %.3f ms without history, %.3f ms with 8 "
		      "flows' hourly history\n",
		      empty, alerts_ms(st));
}

int
main(void)
{
#define T(name)                                                                \
	cmocka_unit_test_setup_teardown(test_anomalies__##name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(triggers_keep_hours),
		T(normal_history_raises_nothing),
		T(quiet_hour),
		T(quiet_hour_needs_history),
		T(quiet_hours_stay_quiet),
		T(failure_spike),
		T(usual_failures_are_no_spike),
		T(throttled),
		T(zero_stock),
		T(cost),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
