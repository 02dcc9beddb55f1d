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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_outage__orders_wait_out_a_brightpearl_outage),
	};

	return cmocka_run_group_tests(tests, setup, flow_fixture_teardown);
}
