/*
 * test_report.c - the daily report's text (counts, reasons, caps, escaping,
 * line lengths, headers), its settings, its daily slot and the worker's
 * schedule (first enable, failure backoff, no second send).
 */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "pearlsync/log.h"
#include "pearlsync/report.h"
#include "pearlsync/settings.h"
#include "pearlsync/store.h"
#include "test_db.h"

/* 2026-12-03 18:00:00 UTC */
#define NOW ((int64_t)1796320800 * 1000)
#define HOUR ((int64_t)3600 * 1000)

static const ps_flow_ops flow_a = {.name = "orders_in",
				   .source = PS_PLATFORM_BIGCOMMERCE,
				   .target = PS_PLATFORM_BRIGHTPEARL};
static const ps_flow_ops flow_b = {.name = "shipments_out",
				   .source = PS_PLATFORM_BRIGHTPEARL,
				   .target = PS_PLATFORM_BIGCOMMERCE};
static const ps_flow_ops flow_c = {.name = "notes_to_3pl",
				   .source = PS_PLATFORM_BRIGHTPEARL,
				   .target = PS_PLATFORM_SHIPHERO};
static const ps_flow_ops *const flows[] = {&flow_a, &flow_b, &flow_c, NULL};

struct fixture {
	test_db db;
	ps_store *st;
	int seq;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL || test_db_open(&f->db, "report") < 0)
		return -1;
	f->st = f->db.st;
	setenv("TZ", "UTC", 1);
	tzset();
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	test_db_close(&f->db);
	free(f);
	return 0;
}

/* One entry of flow in status, last updated at `at`. */
static void
add(struct fixture *f, const ps_flow_ops *flow, ps_entry_status status,
    const char *order, const char *reason, int64_t at)
{
	ps_log_entry e;
	char key[64], subject[32];
	int64_t id = 0;

	ps_log_entry_init(&e);
	snprintf(key, sizeof(key), "k%d", ++f->seq);
	snprintf(subject, sizeof(subject), "%d", 1000 + f->seq);
	e.flow = (char *)flow->name;
	e.dedupe_key = key;
	e.source_platform = flow->source;
	e.target_platform = flow->target;
	e.kind = (char *)"order.import";
	e.subject = subject;
	e.order_number = (char *)order;
	e.status =
		status == PS_ENTRY_FAILED ? PS_ENTRY_FAILED : PS_ENTRY_PENDING;
	e.reason = (char *)reason;
	assert_int_equal(ps_store_log_add(&id, f->st, &e, at), 0);
	if (status == PS_ENTRY_SYNCED)
		assert_int_equal(
			ps_store_log_mark_synced(f->st, id, "SO1", NULL, at),
			0);
}

static char *
build(struct fixture *f, int64_t since, size_t max_listed, const char *site)
{
	ps_report_options o = PS_REPORT_OPTIONS_INIT;
	char *m = NULL;

	o.since = since;
	o.now = NOW;
	o.from = "pearlsync@example.com";
	o.recipients = "ops@example.com,boss@example.org";
	o.site = site;
	o.flows = flows;
	o.max_listed = max_listed;
	assert_int_equal(ps_report_build(&m, NULL, NULL, f->st, &o), 0);
	assert_non_null(m);
	if (getenv("PS_TEST_DUMP") != NULL) /* to see what a test sees */
		fputs(m, stderr);
	return m;
}

/* Every line ends in CRLF; no body line is longer than 78 columns. */
static void
assert_lines_ok(const char *m)
{
	const char *p = m, *nl;
	size_t cols, i;

	while ((nl = strchr(p, '\n')) != NULL) {
		assert_true(nl > p && nl[-1] == '\r');
		for (cols = 0, i = 0; p + i < nl - 1; i++)
			if (((unsigned char)p[i] & 0xc0) != 0x80)
				cols++;
		if (cols > 78)
			fail_msg("line longer than 78: %.*s", (int)(nl - p), p);
		for (i = 0; p + i < nl - 1; i++)
			if ((unsigned char)p[i] < 0x20 && p[i] != '\t')
				fail_msg("control byte in: %.*s", (int)(nl - p),
					 p);
		p = nl + 1;
	}
	assert_string_equal(p, ""); /* ends with a line end */
}

/* The table row of flow says synced, failed, pending. */
static void
assert_row(const char *m, const char *flow, long synced, long failed,
	   long pending)
{
	char needle[64];
	const char *p;
	long s = -1, f = -1, pe = -1;

	snprintf(needle, sizeof(needle), "\r\n  %s ", flow);
	p = strstr(m, needle);
	assert_non_null(p);
	assert_int_equal(sscanf(p + strlen(needle), "%ld %ld %ld", &s, &f, &pe),
			 3);
	assert_int_equal(s, synced);
	assert_int_equal(f, failed);
	assert_int_equal(pe, pending);
}

/* ---- degenerate -------------------------------------------------------- */

static void
test_report__null_and_empty(void **state)
{
	struct fixture *f = *state;
	ps_report_options o = PS_REPORT_OPTIONS_INIT;
	int64_t synced = 9, failed = 9;
	char *m = (char *)"x";

	assert_int_equal(ps_report_build(NULL, NULL, NULL, f->st, &o),
			 PS_EINVAL);
	assert_int_equal(ps_report_build(&m, NULL, NULL, NULL, &o), PS_EINVAL);
	assert_null(m);
	o.now = NOW;
	o.since = NOW - PS_REPORT_DAY_MS;
	o.flows = flows;
	o.site = "Acme";
	assert_int_equal(ps_report_build(&m, &synced, &failed, f->st, &o), 0);
	assert_int_equal(synced, 0);
	assert_int_equal(failed, 0);
	assert_non_null(strstr(
		m, "Subject: pearlsync daily report: 0 synced, 0 failed (Acme)"
		   "\r\n"));
	assert_non_null(strstr(m, "Date: Thu, 03 Dec 2026 18:00:00 +0000\r\n"));
	assert_null(strstr(m, "\r\nFrom:")); /* no sender: no From */
	assert_null(strstr(m, "\r\nFailed"));
	assert_non_null(strstr(m, "\r\n\r\npearlsync report for Acme\r\n"));
	assert_lines_ok(m);
	free(m);
}

/* ---- counts, reasons, period --------------------------------------------- */

static void
test_report__counts_reasons_by_pair(void **state)
{
	struct fixture *f = *state;
	int64_t since = NOW - PS_REPORT_DAY_MS;
	char *m;
	int i;

	for (i = 0; i < 3; i++)
		add(f, &flow_a, PS_ENTRY_SYNCED, "1001", NULL, NOW - HOUR);
	add(f, &flow_a, PS_ENTRY_FAILED, "2001",
	    "SKU 'TEE-RED-M' not found in Brightpearl", NOW - 2 * HOUR);
	add(f, &flow_a, PS_ENTRY_FAILED, "2002", "customer has no e-mail",
	    NOW - HOUR);
	add(f, &flow_a, PS_ENTRY_PENDING, "3001",
	    "waiting for setting bigcommerce.defaults.warehouse_id",
	    NOW - HOUR);
	add(f, &flow_b, PS_ENTRY_SYNCED, NULL, NULL, NOW - HOUR);
	add(f, &flow_c, PS_ENTRY_FAILED, NULL, "warehouse 9 is not mapped",
	    NOW - HOUR);
	/* before the period: not counted, not listed */
	for (i = 0; i < 5; i++)
		add(f, &flow_a, PS_ENTRY_SYNCED, NULL, NULL, since - 1);
	add(f, &flow_a, PS_ENTRY_FAILED, "0999", "old failure", since - HOUR);

	m = build(f, since, 0, "Acme");
	assert_non_null(strstr(
		m, "Subject: pearlsync daily report: 4 synced, 3 failed (Acme)"
		   "\r\n"));
	assert_non_null(strstr(m, "From: pearlsync <pearlsync@example.com>"));
	assert_non_null(strstr(m, "To: ops@example.com, boss@example.org\r\n"));
	assert_non_null(strstr(m, "Totals: 4 synced, 3 failed, 1 pending"));
	/* one section per pair, both directions in the first */
	assert_non_null(strstr(m, "\r\nBigCommerce <-> Brightpearl\r\n"));
	assert_non_null(strstr(m, "\r\nBrightpearl <-> ShipHero\r\n"));
	assert_null(strstr(m, "Brightpearl <-> BigCommerce"));
	assert_row(m, "orders_in", 3, 2, 1);
	assert_row(m, "shipments_out", 1, 0, 0);
	assert_row(m, "notes_to_3pl", 0, 1, 0);
	assert_non_null(strstr(m, "Failed, with reasons (2)\r\n"));
	/* newest first, each with its reason on the next line */
	assert_non_null(strstr(m, "  - orders_in: import order 1005 (order "
				  "2002), 2026-12-03 17:00\r\n"
				  "    customer has no e-mail\r\n"
				  "  - orders_in: import order 1004 (order "
				  "2001), 2026-12-03 16:00\r\n"
				  "    SKU 'TEE-RED-M' not found in Brightpearl"
				  "\r\n"));
	assert_non_null(strstr(m, "Pending, waiting for the operator or a "
				  "setting (1)\r\n"));
	assert_non_null(strstr(
		m,
		"    waiting for setting bigcommerce.defaults.warehouse_id"));
	assert_non_null(strstr(m, "warehouse 9 is not mapped"));
	assert_null(strstr(m, "old failure"));
	assert_null(strstr(m, "and "));
	assert_true(strstr(m, "ShipHero") > strstr(m, "customer has no"));
	assert_lines_ok(m);
	free(m);
}

static void
test_report__lists_are_capped(void **state)
{
	struct fixture *f = *state;
	char reason[32], *m, *p;
	int i, listed = 0;

	for (i = 0; i < 25; i++) {
		snprintf(reason, sizeof(reason), "reason number %d", i);
		add(f, &flow_a, PS_ENTRY_FAILED, NULL, reason,
		    NOW - HOUR + i * 1000);
	}
	m = build(f, NOW - PS_REPORT_DAY_MS, 0, "Acme");
	for (p = m; (p = strstr(p, "    reason number ")) != NULL; p++)
		listed++;
	assert_int_equal(listed, PS_REPORT_MAX_LISTED);
	/* the newest are the ones shown */
	assert_non_null(strstr(m, "reason number 24\r\n"));
	assert_null(strstr(m, "reason number 14\r\n"));
	assert_non_null(strstr(m, "  ... and 15 more for orders_in\r\n"));
	assert_non_null(strstr(m, "Failed, with reasons (25)"));
	free(m);
	m = build(f, NOW - PS_REPORT_DAY_MS, 3, "Acme");
	assert_non_null(strstr(m, "  ... and 22 more for orders_in\r\n"));
	free(m);
}

/* ---- escaping and wrapping ---------------------------------------------- */

static void
test_report__reasons_escaped_and_wrapped(void **state)
{
	struct fixture *f = *state;
	char long_word[301], *m;

	memset(long_word, 'x', 300);
	long_word[300] = '\0';
	ps_log_add_secret("tok-5ecret-abcdef");
	add(f, &flow_a, PS_ENTRY_FAILED, "A\x1b[31mB",
	    "bad \x1b[2J\r\nline; Größe ✓ ok", NOW - HOUR);
	add(f, &flow_a, PS_ENTRY_FAILED, NULL,
	    "Brightpearl said: the product with the SKU given does not exist "
	    "in the warehouse that the channel maps to, so nothing was "
	    "written; fix the mapping and retry the entry",
	    NOW - 2 * HOUR);
	add(f, &flow_a, PS_ENTRY_FAILED, NULL, long_word, NOW - 3 * HOUR);
	add(f, &flow_a, PS_ENTRY_FAILED, NULL,
	    "rejected token tok-5ecret-abcdef", NOW - 4 * HOUR);
	m = build(f, NOW - PS_REPORT_DAY_MS, 0, "Acme");
	assert_null(strchr(m, '\x1b'));
	assert_non_null(strstr(m, "bad \\x1b[2J\\x0d\\x0aline; Größe ✓ ok"));
	assert_non_null(strstr(m, "(order A\\x1b[31mB)"));
	/* wrapped at a space, continued with the same indent */
	assert_non_null(strstr(m, "    Brightpearl said: the product with the "
				  "SKU given does not exist in the\r\n"
				  "    warehouse that the channel maps to"));
	/* a word longer than a line is cut (74 columns after the indent) */
	assert_non_null(strstr(m, "\r\n    xxxxxxxx"));
	assert_null(strstr(m, "tok-5ecret-abcdef"));
	assert_non_null(strstr(m, "rejected token ****"));
	assert_lines_ok(m);
	free(m);
	ps_log_clear_secrets();
}

static void
test_report__non_ascii_site_is_encoded(void **state)
{
	struct fixture *f = *state;
	char *m = build(f, NOW - PS_REPORT_DAY_MS, 0, "Bäckerei Müller");

	/* "pearlsync daily report: 0 synced, 0 failed (B" in base64 */
	assert_non_null(strstr(m, "Subject: =?UTF-8?B?"));
	assert_null(strstr(m, "Subject: pearlsync"));
	assert_non_null(strstr(m, "pearlsync report for Bäckerei Müller\r\n"));
	assert_lines_ok(m);
	free(m);
}

/* ---- settings ------------------------------------------------------------ */

static void
test_report__settings_validate_addresses(void **state)
{
	(void)state;
	assert_int_equal(
		ps_settings_validate("report.recipients", "ops@example.com"),
		0);
	assert_int_equal(ps_settings_validate("report.recipients",
					      "a@x.example,b.c+d@mail.x-y.org"),
			 0);
	assert_int_equal(ps_settings_validate("report.recipients",
					      "a@example.com, b@example.com"),
			 PS_EINVAL);
	assert_non_null(strstr(ps_error_last(), "not an e-mail address"));
	assert_int_equal(ps_settings_validate("report.recipients", "ops"),
			 PS_EINVAL);
	assert_int_equal(
		ps_settings_validate("report.recipients", "a@example.com,"),
		PS_EINVAL);
	assert_int_equal(ps_settings_validate("report.recipients",
					      "Ops <ops@example.com>"),
			 PS_EINVAL);
	assert_int_equal(ps_settings_validate("report.recipients", "a@b@c"),
			 PS_EINVAL);
	assert_int_equal(ps_settings_validate("report.recipients", "a@-x.com"),
			 PS_EINVAL);
	assert_int_equal(ps_settings_validate("report.from", "a@x.com,b@y.com"),
			 PS_EINVAL);
	assert_int_equal(ps_settings_validate("report.from", "pearlsync@x.com"),
			 0);
	assert_int_equal(ps_settings_validate("report.hour", "24"), PS_EINVAL);
	assert_int_equal(ps_settings_validate("report.hour", "0"), 0);
	assert_true(ps_settings_is_secret("report.smtp_password"));
}

/* ---- the schedule ----------------------------------------------------------
 */

static void
test_report__slot_is_the_last_hour_passed(void **state)
{
	(void)state;
	/* NOW is 18:00 UTC on 3 Dec */
	assert_int_equal(ps_report_slot(NOW, 18), NOW);
	assert_int_equal(ps_report_slot(NOW + 1, 7), NOW - 11 * HOUR);
	assert_int_equal(ps_report_slot(NOW, 19), NOW - 23 * HOUR);
	assert_int_equal(ps_report_slot(NOW, 0), NOW - 18 * HOUR);
}

/* A loopback port nobody listens on. */
static int
closed_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0), port;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	close(s);
	return port;
}

static void
set(struct fixture *f, const char *key, const char *value)
{
	assert_int_equal(ps_store_setting_set(NULL, f->st, key, value, "test",
					      NOW - 10 * PS_REPORT_DAY_MS),
			 0);
}

static void
test_report__tick_schedule_and_backoff(void **state)
{
	struct fixture *f = *state;
	ps_report_timer t = PS_REPORT_TIMER_INIT;
	char port[16], v[32];
	int64_t last = -1;

	ps_log_set_level(PS_LOG_ERROR);
	/* off: nothing recorded */
	assert_int_equal(ps_report_tick(&t, f->st, NULL, NOW), 0);
	assert_int_equal(ps_report_last_sent(&last, f->st), 0);
	assert_int_equal(last, 0);
	snprintf(port, sizeof(port), "%d", closed_port());
	set(f, "report.enabled", "true");
	set(f, "report.hour", "7");
	set(f, "report.smtp_server", "127.0.0.1");
	set(f, "report.smtp_port", port);
	set(f, "report.starttls", "false");
	set(f, "report.from", "pearlsync@example.com");
	set(f, "report.recipients", "ops@example.com");
	/* first tick after switching on: the first report is the next one */
	assert_int_equal(ps_report_tick(&t, f->st, NULL, NOW), 0);
	assert_int_equal(ps_report_last_sent(&last, f->st), 0);
	assert_int_equal(last, NOW);
	assert_int_equal(ps_report_tick(&t, f->st, NULL, NOW + HOUR), 0);
	/* a day later, 07:00 has passed: due, but the server is down */
	snprintf(v, sizeof(v), "%lld", (long long)(NOW - PS_REPORT_DAY_MS));
	assert_int_equal(ps_store_cursor_set(f->st, PS_REPORT_CURSOR, v, NOW),
			 0);
	assert_int_equal(ps_report_tick(&t, f->st, NULL, NOW), PS_ENET);
	assert_non_null(strstr(ps_error_last(), "smtp://127.0.0.1:"));
	assert_int_equal(t.failures, 1);
	assert_int_equal(t.next_try, NOW + PS_REPORT_RETRY_BASE_MS);
	/* not before the backoff; then doubling */
	assert_int_equal(ps_report_tick(&t, f->st, NULL, NOW + 1000), 0);
	assert_int_equal(
		ps_report_tick(&t, f->st, NULL, NOW + PS_REPORT_RETRY_BASE_MS),
		PS_ENET);
	assert_int_equal(t.next_try, NOW + 3 * PS_REPORT_RETRY_BASE_MS);
	/* the failed attempts did not count as a send */
	assert_int_equal(ps_report_last_sent(&last, f->st), 0);
	assert_int_equal(last, NOW - PS_REPORT_DAY_MS);
	/* switched off: the backoff is forgotten */
	set(f, "report.enabled", "false");
	assert_int_equal(ps_report_tick(&t, f->st, NULL, NOW + 2000), 0);
	assert_int_equal(t.failures, 0);
	assert_int_equal(t.next_try, 0);
}

static void
test_report__send_needs_settings(void **state)
{
	struct fixture *f = *state;
	char *m = NULL;

	assert_int_equal(ps_report_run(&m, f->st, NULL, 0, NOW, 1),
			 PS_ESETTING);
	assert_non_null(strstr(ps_error_last(), "report.smtp_server"));
	assert_null(m);
	set(f, "report.smtp_server", "mail.example.com/evil");
	set(f, "report.from", "pearlsync@example.com");
	set(f, "report.recipients", "ops@example.com");
	assert_int_equal(ps_report_run(&m, f->st, NULL, 0, NOW, 1),
			 PS_ESETTING);
	assert_non_null(strstr(ps_error_last(), "is not a host name"));
	/* a dry run needs none of it, and records nothing */
	assert_int_equal(ps_report_run(&m, f->st, NULL, 0, NOW, 0), 0);
	assert_non_null(strstr(m, "To: ops@example.com\r\n"));
	free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_report__null_and_empty),
		T(test_report__counts_reasons_by_pair),
		T(test_report__lists_are_capped),
		T(test_report__reasons_escaped_and_wrapped),
		T(test_report__non_ascii_site_is_encoded),
		T(test_report__settings_validate_addresses),
		T(test_report__slot_is_the_last_hour_passed),
		T(test_report__tick_schedule_and_backoff),
		T(test_report__send_needs_settings),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
