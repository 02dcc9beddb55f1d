/*
 * test_worker_monitor.c - the service manager protocol (notify.c), the
 * shared stats and the /healthz and /metrics pages (monitor.c), and the
 * log's totals they read (log_stats.c, migration 11).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <sqlite3.h>

#include "pearlsync/alerts.h"
#include "pearlsync/store.h"
#include "pearlsync/worker.h"
#include "internal.h"
#include "worker/worker_int.h"
#include "test_db.h"

#define NOW 1800000000000LL

/* A datagram socket bound to an abstract name; its "@name" in at. */
static int
abstract_socket(char *at, size_t cap)
{
	struct sockaddr_un sa;
	socklen_t len;
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);

	assert_true(fd >= 0);
	snprintf(at, cap, "@ps-monitor-test-%ld", (long)getpid());
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path + 1, at + 1, strlen(at) - 1);
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(at));
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, len), 0);
	return fd;
}

static void
test_notify__abstract_path_none_and_bad(void **state)
{
	char at[64], buf[128];
	ssize_t n;
	int fd;

	(void)state;
	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(ps_worker__notify("READY=1"), 0);
	fd = abstract_socket(at, sizeof(at));
	setenv("NOTIFY_SOCKET", at, 1);
	assert_int_equal(ps_worker__notify("READY=1\nSTATUS=x"), 0);
	n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	assert_int_equal(n, (ssize_t)strlen("READY=1\nSTATUS=x"));
	buf[n] = '\0';
	assert_string_equal(buf, "READY=1\nSTATUS=x");
	close(fd);
	setenv("NOTIFY_SOCKET", "relative/path", 1);
	assert_int_equal(ps_worker__notify("READY=1"), PS_EINVAL);
	setenv("NOTIFY_SOCKET", "/nonexistent/ps-notify.sock", 1);
	assert_int_equal(ps_worker__notify("READY=1"), PS_EIO);
	unsetenv("NOTIFY_SOCKET");
	ps_error_clear();
}

static void
test_notify__watchdog_usec_and_pid(void **state)
{
	char pid[32];

	(void)state;
	unsetenv("WATCHDOG_PID");
	unsetenv("WATCHDOG_USEC");
	assert_int_equal(ps_worker__watchdog_ms(), 0);
	setenv("WATCHDOG_USEC", "3000000", 1);
	assert_int_equal(ps_worker__watchdog_ms(), 3000);
	setenv("WATCHDOG_USEC", "500", 1); /* under a ms: still a watchdog */
	assert_int_equal(ps_worker__watchdog_ms(), 1);
	setenv("WATCHDOG_USEC", "12x", 1);
	assert_int_equal(ps_worker__watchdog_ms(), 0);
	setenv("WATCHDOG_USEC", "0", 1);
	assert_int_equal(ps_worker__watchdog_ms(), 0);
	setenv("WATCHDOG_USEC", "2000000", 1);
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	setenv("WATCHDOG_PID", pid, 1);
	assert_int_equal(ps_worker__watchdog_ms(), 2000);
	snprintf(pid, sizeof(pid), "%ld", (long)getpid() + 1);
	setenv("WATCHDOG_PID", pid, 1);
	assert_int_equal(ps_worker__watchdog_ms(), 0);
	unsetenv("WATCHDOG_PID");
	unsetenv("WATCHDOG_USEC");
}

static void
test_stats__auth_follows_the_last_tick(void **state)
{
	ps_worker__stats s;
	ps_platform bc = PS_PLATFORM_BIGCOMMERCE;

	(void)state;
	ps_worker__stats_init(&s, NOW);
	/* nothing yet: unknown, no change */
	assert_int_equal(ps_worker__stats_tick_done(&s, NOW), 0);
	assert_int_equal(s.platform[bc].auth, PS_WORKER__AUTH_UNKNOWN);
	/* a tick with an ok and a 401: failed */
	ps_worker__stats_requests(&s, bc, PS_HTTP_OUT_OK, 3, NOW);
	ps_worker__stats_requests(&s, bc, PS_HTTP_OUT_AUTH, 1, NOW);
	assert_int_equal(ps_worker__stats_tick_done(&s, NOW + 1), 1);
	assert_int_equal(s.platform[bc].auth, PS_WORKER__AUTH_FAILED);
	assert_int_equal(s.platform[bc].auth_since, NOW + 1);
	/* network errors only: no answer, the state stays */
	ps_worker__stats_requests(&s, bc, PS_HTTP_OUT_NETWORK, 2, NOW);
	assert_int_equal(ps_worker__stats_tick_done(&s, NOW + 2), 0);
	assert_int_equal(s.platform[bc].auth, PS_WORKER__AUTH_FAILED);
	/* answers without 401/403: ok again; a 429 is a change too */
	ps_worker__stats_requests(&s, bc, PS_HTTP_OUT_THROTTLED, 1, NOW + 3);
	assert_int_equal(ps_worker__stats_tick_done(&s, NOW + 3), 1);
	assert_int_equal(s.platform[bc].auth, PS_WORKER__AUTH_OK);
	assert_int_equal(s.platform[bc].throttled_at, NOW + 3);
	assert_int_equal(s.platform[bc].requests[PS_HTTP_OUT_OK], 3);
	assert_int_equal(s.platform[bc].requests[PS_HTTP_OUT_NETWORK], 2);
	/* out of range: ignored */
	ps_worker__stats_requests(&s, PS_PLATFORM_MAX, PS_HTTP_OUT_OK, 1, NOW);
	ps_worker__stats_delivery(&s, bc, 200);
	ps_worker__stats_delivery(&s, bc, 401);
	ps_worker__stats_delivery(&s, bc, 413);
	assert_int_equal(s.platform[bc].hooks_received, 1);
	assert_int_equal(s.platform[bc].hooks_refused, 2);
	ps_worker__stats_dispose(&s);
}

static void
add_entry(ps_store *st, const char *flow, const char *key, int64_t now)
{
	ps_log_entry e;

	ps_log_entry_init(&e);
	e.flow = (char *)flow;
	e.dedupe_key = (char *)key;
	e.source_platform = PS_PLATFORM_BIGCOMMERCE;
	e.target_platform = PS_PLATFORM_BRIGHTPEARL;
	assert_int_equal(ps_store_log_add(NULL, st, &e, now), 0);
}

static int
sum_row(const char *flow, ps_entry_status status, int64_t count, void *p)
{
	char *out = p;
	size_t len = strlen(out);

	snprintf(out + len, 512 - len, "%s/%s=%lld ", flow,
		 ps_entry_status_name(status), (long long)count);
	return 0;
}

static void
test_totals__follow_inserts_updates_deletes(void **state)
{
	test_db db;
	char out[512] = "";
	int64_t at;

	(void)state;
	assert_int_equal(test_db_open(&db, "monitor"), 0);
	add_entry(db.st, "a", "k1", NOW);
	add_entry(db.st, "a", "k2", NOW + 10);
	add_entry(db.st, "b", "k3", NOW + 20);
	assert_int_equal(
		ps_store_log_mark_synced(db.st, 1, "9", NULL, NOW + 30), 0);
	assert_int_equal(ps_store_log_state_counts(db.st, sum_row, out), 0);
	assert_string_equal(out, "a/pending=1 a/synced=1 b/pending=1 ");
	assert_int_equal(ps_store_log_oldest(&at, db.st, "a", PS_ENTRY_PENDING),
			 0);
	assert_int_equal(at, NOW + 10);
	assert_int_equal(
		ps_store_log_last_updated(&at, db.st, "a", PS_ENTRY_SYNCED), 0);
	assert_int_equal(at, NOW + 30);
	assert_int_equal(ps_store_log_oldest(&at, db.st, "b", PS_ENTRY_FAILED),
			 PS_ENOTFOUND);
	assert_int_equal(at, 0);
	/* a row deleted by hand (an operator's sqlite3) leaves the totals */
	{
		sqlite3 *raw = NULL;

		assert_int_equal(sqlite3_open(db.path, &raw), SQLITE_OK);
		sqlite3_busy_timeout(raw, 5000);
		assert_int_equal(sqlite3_exec(raw,
					      "DELETE FROM log_entries WHERE"
					      " dedupe_key = 'k3'",
					      NULL, NULL, NULL),
				 SQLITE_OK);
		sqlite3_close(raw);
	}
	out[0] = '\0';
	assert_int_equal(ps_store_log_state_counts(db.st, sum_row, out), 0);
	assert_string_equal(out, "a/pending=1 a/synced=1 b/pending=0 ");
	ps_error_clear();
	test_db_close(&db);
}

static void
test_metrics__escapes_labels_and_reports(void **state)
{
	ps_worker__stats s;
	test_db db;
	ps_heartbeat hb;
	char *page = NULL;
	unsigned status = 0;

	(void)state;
	assert_int_equal(test_db_open(&db, "monitor"), 0);
	ps_worker__stats_init(&s, NOW - 5000);
	/* a flow name with a quote, a backslash and a line feed */
	add_entry(db.st, "odd\"fl\\ow\nx", "k1", NOW - 60000);
	ps_worker__stats_requests(&s, PS_PLATFORM_BRIGHTPEARL,
				  PS_HTTP_OUT_THROTTLED, 2, NOW);
	assert_int_equal(ps_worker__metrics(&page, db.st, &s, NOW), 0);
	assert_non_null(strstr(page, "# TYPE pearlsync_entries gauge\n"));
	assert_non_null(strstr(page, "pearlsync_entries{flow=\"odd\\\"fl\\\\ow"
				     "\\nx\",state=\"pending\"} 1\n"));
	assert_non_null(strstr(page,
			       "pearlsync_oldest_pending_age_seconds{flow=\"odd"
			       "\\\"fl\\\\ow\\nx\"} 60.000\n"));
	assert_non_null(strstr(page, "pearlsync_http_throttles_total{platform="
				     "\"brightpearl\"} 2\n"));
	assert_non_null(strstr(page, "pearlsync_worker_up 0\n"));
	assert_non_null(strstr(page, "pearlsync_store_up 1\n"));
	free(page);

	/* no heartbeat: 503 naming it */
	assert_int_equal(ps_worker__health(&page, &status, db.st, &s, NOW), 0);
	assert_int_equal(status, 503);
	assert_non_null(strstr(page, "heartbeat: none written yet"));
	free(page);
	/* a fresh one: 200 */
	ps_heartbeat_init(&hb);
	hb.pid = 1;
	hb.beat_at = NOW - 1000;
	hb.state = (char *)"running";
	assert_int_equal(ps_store_heartbeat_set(db.st, &hb), 0);
	assert_int_equal(ps_worker__health(&page, &status, db.st, &s, NOW), 0);
	assert_int_equal(status, 200);
	assert_non_null(strstr(page, "{\"status\":\"ok\""));
	free(page);
	/* stale, and a platform's auth failed: 503 with both */
	ps_worker__stats_requests(&s, PS_PLATFORM_BIGCOMMERCE, PS_HTTP_OUT_AUTH,
				  1, NOW);
	ps_worker__stats_tick_done(&s, NOW);
	assert_int_equal(ps_worker__health(&page, &status, db.st, &s,
					   NOW + PS_HEARTBEAT_STALE_MS),
			 0);
	assert_int_equal(status, 503);
	assert_non_null(strstr(page, "\"heartbeat\":{\"status\":\"stale\""));
	assert_non_null(strstr(page, "bigcommerce: auth_failed"));
	free(page);
	ps_worker__stats_dispose(&s);

	/* a restarted worker knows nothing of the answers yet, but still
	 * waits for Brightpearl's refused credentials to change: 503 */
	ps_worker__stats_init(&s, NOW);
	assert_int_equal(
		ps_store_cursor_set(db.st, PS_AUTH_REFUSED_CURSOR "brightpearl",
				    "0123abcd", NOW),
		0);
	assert_int_equal(ps_worker__health(&page, &status, db.st, &s, NOW), 0);
	assert_int_equal(status, 503);
	assert_non_null(
		strstr(page, "brightpearl: waiting for new credentials"));
	assert_non_null(strstr(page, "\"waiting_for_credentials\":true"));
	free(page);
	/* they changed: the worker cleared its record */
	assert_int_equal(
		ps_store_cursor_set(db.st, PS_AUTH_REFUSED_CURSOR "brightpearl",
				    "", NOW),
		0);
	assert_int_equal(ps_worker__health(&page, &status, db.st, &s, NOW), 0);
	assert_int_equal(status, 200);
	free(page);
	ps_worker__stats_dispose(&s);
	test_db_close(&db);
}

/* The pacing row read once for status, the console and /metrics: fresh
 * rows only, long flow lists cut with "...", and the gauges. */
static void
test_pacing__reader_and_gauges(void **state)
{
	ps_worker_pacing pc[PS_PLATFORM_MAX];
	ps_worker__stats s;
	test_db db;
	char row[2048], line[400], *page = NULL;
	size_t i, len;

	(void)state;
	assert_int_equal(test_db_open(&db, "monitor"), 0);
	/* no row yet: nothing known, no error */
	assert_int_equal(ps_worker_pacing_load(pc, db.st, NOW), 0);
	assert_int_equal(pc[PS_PLATFORM_BRIGHTPEARL].known, 0);
	/* twenty waiting flows with long names overflow the list */
	len = (size_t)snprintf(row, sizeof(row),
			       "{\"brightpearl\":{\"left\":9,\"quota\":200,"
			       "\"window_ms\":60000,\"rate\":1.5,"
			       "\"short\":true,\"waiting\":[");
	for (i = 0; i < 20; i++)
		len += (size_t)snprintf(row + len, sizeof(row) - len,
					"%s\"a_rather_long_flow_name_%02zu\"",
					i ? "," : "", i);
	snprintf(row + len, sizeof(row) - len,
		 "],\"holding\":[\"order_import_bc\"]},"
		 "\"bigcommerce\":{\"left\":140,\"quota\":150,"
		 "\"window_ms\":30000,\"rate\":0,\"short\":false,"
		 "\"waiting\":[],\"holding\":[]}}");
	assert_int_equal(ps_store_cache_set(db.st, PS_WORKER_PACING_CACHE, row,
					    NOW - 1000),
			 0);
	assert_int_equal(ps_worker_pacing_load(pc, db.st, NOW), 0);
	assert_int_equal(pc[PS_PLATFORM_BRIGHTPEARL].known, 1);
	assert_int_equal(pc[PS_PLATFORM_BRIGHTPEARL].short_budget, 1);
	assert_int_equal(pc[PS_PLATFORM_BRIGHTPEARL].left, 9);
	assert_int_equal(pc[PS_PLATFORM_BRIGHTPEARL].quota, 200);
	assert_int_equal(pc[PS_PLATFORM_BRIGHTPEARL].nwaiting, 20);
	assert_int_equal(pc[PS_PLATFORM_BRIGHTPEARL].nholding, 1);
	assert_true(strlen(pc[PS_PLATFORM_BRIGHTPEARL].waiting) <
		    sizeof(pc[0].waiting));
	assert_non_null(strstr(pc[PS_PLATFORM_BRIGHTPEARL].waiting,
			       "a_rather_long_flow_name_00, "));
	assert_non_null(strstr(pc[PS_PLATFORM_BRIGHTPEARL].waiting, "..."));
	assert_int_equal(pc[PS_PLATFORM_BIGCOMMERCE].known, 1);
	assert_int_equal(pc[PS_PLATFORM_BIGCOMMERCE].short_budget, 0);
	assert_int_equal(pc[PS_PLATFORM_SHIPHERO].known, 0);
	ps_worker_pacing_describe(line, sizeof(line),
				  &pc[PS_PLATFORM_BIGCOMMERCE]);
	assert_string_equal(line, "0.0 requests/s");
	ps_worker_pacing_describe(line, 24, &pc[PS_PLATFORM_BRIGHTPEARL]);
	assert_string_equal(line, "1.5 requests/s; waiting");

	ps_worker__stats_init(&s, NOW - 5000);
	assert_int_equal(ps_worker__metrics(&page, db.st, &s, NOW), 0);
	assert_non_null(strstr(page, "# TYPE pearlsync_pacing_active gauge\n"));
	assert_non_null(strstr(
		page, "pearlsync_pacing_active{platform=\"brightpearl\"} 1\n"));
	assert_non_null(strstr(
		page, "pearlsync_pacing_active{platform=\"bigcommerce\"} 0\n"));
	assert_non_null(strstr(
		page, "pearlsync_pacing_rate{platform=\"brightpearl\"} 1.5\n"));
	assert_non_null(strstr(page, "pearlsync_pacing_flows_waiting{platform="
				     "\"brightpearl\"} 20\n"));
	assert_non_null(strstr(page, "pearlsync_pacing_flows_holding{platform="
				     "\"brightpearl\"} 1\n"));
	assert_null(
		strstr(page, "pearlsync_pacing_active{platform=\"shiphero\""));
	free(page);
	/* a row the worker wrote long ago says nothing of now */
	assert_int_equal(ps_worker_pacing_load(pc, db.st, NOW + 60000), 0);
	assert_int_equal(pc[PS_PLATFORM_BRIGHTPEARL].known, 0);
	assert_int_equal(ps_worker__metrics(&page, db.st, &s, NOW + 60000), 0);
	assert_null(strstr(page, "pearlsync_pacing_active{"));
	free(page);
	ps_worker__stats_dispose(&s);
	test_db_close(&db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_notify__abstract_path_none_and_bad),
		cmocka_unit_test(test_notify__watchdog_usec_and_pid),
		cmocka_unit_test(test_stats__auth_follows_the_last_tick),
		cmocka_unit_test(test_totals__follow_inserts_updates_deletes),
		cmocka_unit_test(test_metrics__escapes_labels_and_reports),
		cmocka_unit_test(test_pacing__reader_and_gauges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
