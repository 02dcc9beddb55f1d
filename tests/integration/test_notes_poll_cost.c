/*
 * test_notes_poll_cost.c - what watching Brightpearl's order notes costs
 * the account's shared request pool.
 *
 * Brightpearl raises no webhook for a new order note, so the notes flow
 * polls.  With thirty orders from BigCommerce and nothing new, an idle
 * poll must cost one request (the order-note search), not one per order;
 * a note the merchant adds still reaches the BigCommerce order.  Worker
 * with its listener on, against pearlsync-sandbox; the counts are the
 * sandbox's own.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka needs the four above first */
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "flow_fixture.h"
#include "pearlsync/bigcommerce.h"

#define ORDERS 30
#define DEADLINE_MS 20000
#define NOTE "Leave with the neighbour at number 12"

static flow_fixture fx;
static int64_t noted_bc;

static int
note_reached_bc(void *arg)
{
	ps_bc_order o;
	int found;

	(void)arg;
	memset(&o, 0, sizeof(o));
	if (ps_bc_order_get(&o, fx.bc, noted_bc) < 0)
		return 0;
	found = o.staff_notes != NULL && strstr(o.staff_notes, NOTE) != NULL;
	ps_bc_order_dispose(&o);
	return found;
}

static void
test_idle_poll_costs_one_request(void **state)
{
	static const char *const flows[] = {"notes_bc", NULL};
	fx_order orders[ORDERS];
	char body[256];
	int64_t idle, polls = 10;
	size_t i;

	(void)state;
	assert_int_equal(flow_fixture_setup_steps(&fx), 0);
	fx_set(&fx, "bigcommerce.notes.enabled", "true");
	for (i = 0; i < ORDERS; i++)
		orders[i] = fx_order_make(&fx, "CAP-BLK", 1, "TEE-RED-M", 1);
	assert_int_equal(flow_fixture_start_worker(&fx, flows), 0);
	fx_passes(&fx, 1, 0); /* the first poll, from a day back */

	/* idle: each worker pass (ps_worker_run_once) polls the flow once */
	fx_ctl_ok(&fx, "POST", "/requests/reset", NULL);
	fx_passes(&fx, (int)polls, 0);
	idle = fx_requests(&fx, "brightpearl", NULL);
	fprintf(stderr,
		"notes_bc idle: %" PRId64 " Brightpearl requests in %" PRId64
		" polls, %d orders from BigCommerce\n",
		idle, polls, ORDERS);
	assert_int_equal(idle, polls);
	assert_int_equal(fx_requests(&fx, "brightpearl",
				     "GET /order-service/order-note-search"),
			 polls);

	/* a merchant's note still reaches BigCommerce */
	noted_bc = orders[ORDERS / 2].bc_id;
	snprintf(body, sizeof(body),
		 "{\"orderId\":%" PRId64 ",\"text\":\"" NOTE "\"}",
		 orders[ORDERS / 2].bp_id);
	fx_ctl_ok(&fx, "POST", "/brightpearl/note", body);
	assert_true(fx_run_until(&fx, note_reached_bc, NULL, DEADLINE_MS));
	assert_int_equal(fx_failed_entries(&fx), 0);
}

static int
setup(void **state)
{
	*state = &fx;
	return flow_fixture_open(&fx, NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_idle_poll_costs_one_request),
	};

	return cmocka_run_group_tests(tests, setup, flow_fixture_teardown);
}
