/*
 * test_outage.c - a whole Brightpearl outage, end to end: the sandbox's
 * Brightpearl answers 503 to everything while BigCommerce orders wait,
 * then recovers.
 *
 * The connectors use the production retry policy (six attempts, backoff
 * from 0.5 s), so a pass that spent each order's retries one after another
 * would take minutes; the circuit breaker makes it take seconds and holds
 * the orders, without using up their attempts, until a probe finds
 * Brightpearl back.  Outcomes are read from the sandbox: its request
 * counters and the Brightpearl orders it holds (each exactly once).
 *
 * The second test is the five-minute outage of issue 18 on a fake clock
 * (the worker's and its HTTP client's; the sandbox keeps real time, with
 * quotas off): Brightpearl answers 503 to everything for five minutes
 * while orders arrive by webhook, and comes back just after a probe
 * failed, the worst moment.  The breaker's cool-down is capped at 10 s,
 * so the first request Brightpearl serves after it is back must follow
 * within that and a tick; with the former 60 s cap it took a minute,
 * which alone was half of a clean drain of a thousand orders.
 */
#define _DEFAULT_SOURCE
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "flow_fixture.h"
#include "pearlsync/log.h"
#include "pearlsync/worker.h"

/* Orders placed during the outage. */
#define ORDERS 12
/* The demo store's own two orders, imported before the outage. */
#define DEMO_ORDERS 2

static flow_fixture fx;

/* Deliveries of BigCommerce webhooks the sandbox has made. */
static size_t
hooks_delivered(void)
{
	json_t *j = fx_ctl(&fx, "GET", "/webhooks?platform=bigcommerce", NULL);
	char *text = json_dumps(j, JSON_COMPACT);
	size_t n = fx_count(text, "\"state\":\"delivered\"");

	free(text);
	json_decref(j);
	return n;
}

/*
 * Brightpearl sales orders carrying a BigCommerce reference: *out_distinct
 * different references, the return value all of them.
 */
static size_t
bp_orders(size_t *out_distinct)
{
	json_t *state = fx_ctl(&fx, "GET", "/brightpearl/state", NULL);
	json_t *seen = json_object(), *o;
	const char *k, *ref;
	size_t n = 0;

	json_object_foreach (json_object_get(state, "orders"), k, o) {
		ref = json_string_value(json_object_get(o, "externalRef"));
		if (ref == NULL || *ref == '\0')
			continue;
		n++;
		json_object_set_new(seen, ref, json_true());
	}
	*out_distinct = json_object_size(seen);
	json_decref(seen);
	json_decref(state);
	return n;
}

static int
all_imported(void *arg)
{
	size_t distinct;

	(void)arg;
	bp_orders(&distinct);
	return distinct >= ORDERS + DEMO_ORDERS;
}

/* The import entries whose reason contains text. */
static size_t
entries_saying(const char *text)
{
	ps_log_query q = PS_LOG_QUERY_INIT;
	ps_log_entry *v = NULL;
	size_t n = 0, i, hits = 0;

	q.flow = "order_import_bc";
	q.limit = 1000;
	assert_int_equal(ps_store_log_list(&v, &n, fx.st, &q), 0);
	for (i = 0; i < n; i++)
		if (v[i].reason != NULL && strstr(v[i].reason, text) != NULL)
			hits++;
	ps_log_entries_free(v, n);
	return hits;
}

static void
test_outage__orders_wait_out_a_brightpearl_outage(void **state)
{
	int64_t t0, pass_ms, down_at, up_at, drain_ms, bp_reqs;
	size_t before, total, distinct;
	int i;

	(void)state;
	fx_ctl_ok(&fx, "POST", "/faults",
		  "{\"platform\":\"brightpearl\",\"rate\":1.0,"
		  "\"kinds\":[\"503\"],\"seed\":18}");
	before = hooks_delivered();
	for (i = 0; i < ORDERS; i++)
		fx_bc_order_place(&fx,
				  "[{\"sku\":\"TEE-RED-M\",\"quantity\":1}]",
				  "\"status_id\":11");
	for (i = 0; i < 500 && hooks_delivered() < before + ORDERS; i++)
		usleep(20 * 1000);
	assert_true(hooks_delivered() >= before + ORDERS);

	/* one pass with every order due: seconds, not an order's retries
	 * (about 8 s each) one after another */
	fx_ctl_ok(&fx, "POST", "/requests/reset", NULL);
	t0 = down_at = flow_fixture_now_ms();
	assert_int_equal(ps_worker_run_once(fx.worker, NULL), 0);
	pass_ms = flow_fixture_now_ms() - t0;
	bp_reqs = fx_requests(&fx, "brightpearl", NULL);
	fprintf(stderr,
		"outage: the first pass took %" PRId64 " ms and sent %" PRId64
		" Brightpearl requests for %d orders\n",
		pass_ms, bp_reqs, ORDERS);
	assert_true(pass_ms < 10000);
	assert_true(bp_reqs <= 6);
	/* the operator reads why on the entries */
	assert_true(entries_saying("Brightpearl unreachable since") > 0);
	assert_true(entries_saying("next try in") > 0);

	/* the worker goes on ticking while Brightpearl stays down: the
	 * orders are held, nothing is sent, nothing gives up */
	fx_ctl_ok(&fx, "POST", "/requests/reset", NULL);
	t0 = flow_fixture_now_ms();
	fx_passes(&fx, 20, 100);
	fprintf(stderr, "outage: 20 more passes took %" PRId64 " ms\n",
		flow_fixture_now_ms() - t0);
	assert_int_equal(fx_requests(&fx, "brightpearl", NULL), 0);
	assert_int_equal(entries_saying("gave up"), 0);
	bp_orders(&distinct);
	assert_int_equal(distinct, DEMO_ORDERS);

	/* Brightpearl is back: a probe finds it, every order goes in once */
	fx_ctl_ok(&fx, "POST", "/faults", "{\"platform\":\"*\",\"rate\":0}");
	up_at = flow_fixture_now_ms();
	if (!fx_run_until(&fx, all_imported, NULL, 30000))
		flow_fixture_log_dump(&fx);
	drain_ms = flow_fixture_now_ms() - up_at;
	fprintf(stderr,
		"outage: down %" PRId64 " ms; all in %" PRId64
		" ms after recovery\n",
		up_at - down_at, drain_ms);
	total = bp_orders(&distinct);
	assert_int_equal(distinct, ORDERS + DEMO_ORDERS);
	assert_int_equal(total, distinct);
}

/* ---- the five-minute outage, on a fake clock ---------------------------- */

/* How long Brightpearl is down (fake time). */
#define LONG_OUTAGE_MS (5 * 60 * 1000)
/* Fake time between worker passes: the worker's own idle tick. */
#define STEP_MS 1000
/* The promise: a Brightpearl that is back is noticed within the breaker's
 * cool-down cap (10 s), plus the tick that sends the probe. */
#define PROBE_BOUND_MS (10000 + STEP_MS)

/* The worker's and its HTTP client's clock: unix ms, moved by the test and
 * by the client's waits (retry backoff, the limiter). */
static int64_t fake_now;

static int64_t
fake_clock_now(void *ctx)
{
	(void)ctx;
	return fake_now;
}

static void
fake_clock_sleep(void *ctx, int64_t ms)
{
	(void)ctx;
	if (ms > 0)
		fake_now += ms;
}

static const ps_clock fake_clock = {fake_clock_now, fake_clock_sleep, NULL};

/* One tick of fake time and a worker pass. */
static void
step(void)
{
	fake_now += STEP_MS;
	assert_int_equal(ps_worker_run_once(fx.worker, NULL), 0);
}

/* Passes until Brightpearl's request counter passes n (1), or limit_ms of
 * fake time (0). */
static int
step_until_requests_above(int64_t n, int64_t limit_ms)
{
	int64_t end = fake_now + limit_ms;

	while (fake_now < end) {
		step();
		if (fx_requests(&fx, "brightpearl", NULL) > n)
			return 1;
	}
	return 0;
}

static void
test_outage__five_minutes_down_recovery_noticed_within_the_probe_bound(
	void **state)
{
	int64_t down_at, up_at, first_ok_ms, drained_ms, sent_down, n;
	size_t before, total, distinct;
	int placed = 0;

	(void)state;
	fx_ctl_ok(&fx, "POST", "/faults",
		  "{\"platform\":\"brightpearl\",\"rate\":1.0,"
		  "\"kinds\":[\"503\"],\"seed\":18}");
	fx_ctl_ok(&fx, "POST", "/requests/reset", NULL);
	before = hooks_delivered();
	down_at = fake_now;
	/* five minutes down; an order arrives every 23 s, its webhook
	 * delivered to the listener before the next pass */
	while (fake_now - down_at < LONG_OUTAGE_MS) {
		if (placed < ORDERS &&
		    fake_now - down_at >=
			    (int64_t)placed * (LONG_OUTAGE_MS / (ORDERS + 1))) {
			int i;

			fx_bc_order_place(
				&fx, "[{\"sku\":\"TEE-RED-M\",\"quantity\":1}]",
				"\"status_id\":11");
			placed++;
			for (i = 0; i < 500 &&
				    hooks_delivered() < before + (size_t)placed;
			     i++)
				usleep(10 * 1000);
		}
		step();
	}
	assert_int_equal(placed, ORDERS);
	assert_true(hooks_delivered() >= before + ORDERS);
	sent_down = fx_requests(&fx, "brightpearl", NULL);
	fprintf(stderr,
		"long outage: %" PRId64 " Brightpearl requests in %d s down\n",
		sent_down, LONG_OUTAGE_MS / 1000);
	assert_int_equal(entries_saying("gave up"), 0);
	bp_orders(&distinct);
	assert_int_equal(distinct, DEMO_ORDERS);

	/* Brightpearl comes back right after a probe failed: the longest
	 * wait the breaker can make */
	n = fx_requests(&fx, "brightpearl", NULL);
	assert_true(step_until_requests_above(n, 120000));
	fx_ctl_ok(&fx, "POST", "/faults", "{\"platform\":\"*\",\"rate\":0}");
	up_at = fake_now;
	n = fx_requests(&fx, "brightpearl", NULL);
	assert_true(step_until_requests_above(n, 180000));
	first_ok_ms = fake_now - up_at;

	/* every order in once, straight after: no entry kept a backoff
	 * from the outage */
	while (!all_imported(NULL) && fake_now - up_at < 180000)
		step();
	drained_ms = fake_now - up_at;
	fprintf(stderr,
		"long outage: first request served %" PRId64
		" ms after recovery, all in after %" PRId64 " ms\n",
		first_ok_ms, drained_ms);
	if (!all_imported(NULL))
		flow_fixture_log_dump(&fx);
	assert_true(first_ok_ms <= PROBE_BOUND_MS);
	assert_true(drained_ms <= first_ok_ms + 5 * STEP_MS);
	total = bp_orders(&distinct);
	assert_int_equal(distinct, ORDERS + DEMO_ORDERS);
	assert_int_equal(total, distinct);
	assert_int_equal(entries_saying("gave up"), 0);
	/* the cost of probing: the threshold's failures, then one probe
	 * every 5 to 10 s */
	assert_true(sent_down <= 6 + LONG_OUTAGE_MS / 5000);
	assert_true(sent_down >= LONG_OUTAGE_MS / 10000);
}

/* The production retry policy over the real clock. */
static int
setup(void **state)
{
	ps_http_options production = PS_HTTP_OPTIONS_INIT;

	*state = &fx;
	if (flow_fixture_open(&fx, NULL) < 0 ||
	    flow_fixture_reconnect(&fx, &production) < 0)
		return -1;
	if (flow_fixture_start_import(&fx) < 0)
		return -1;
	return 0;
}

/* The production retry policy over the fake clock, from the wall time. */
static int
setup_fake_clock(void **state)
{
	ps_http_options production = PS_HTTP_OPTIONS_INIT;

	*state = &fx;
	fake_now = flow_fixture_now_ms();
	production.clock = &fake_clock;
	if (flow_fixture_open(&fx, NULL) < 0)
		return -1;
	fx.clock = &fake_clock;
	if (flow_fixture_reconnect(&fx, &production) < 0)
		return -1;
	if (flow_fixture_start_import(&fx) < 0)
		return -1;
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_outage__orders_wait_out_a_brightpearl_outage,
			setup, flow_fixture_teardown),
		cmocka_unit_test_setup_teardown(
			test_outage__five_minutes_down_recovery_noticed_within_the_probe_bound,
			setup_fake_clock, flow_fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
