/*
 * test_listener_flood.c - the webhook listener under a flood of idle and
 * slow connections, end to end: the worker with its listener, the sandbox
 * delivering BigCommerce's order callbacks as the platform does (with the
 * hook's secret header the listener checks, and retries), and a client
 * with no credentials holding as many connections as it can.
 *
 * What is checked is read from outside pearlsync: the sandbox's record of
 * its delivery (attempts, answer, when it was delivered) and the
 * Brightpearl order the import made from the stored event.
 *
 * Attackers on another loopback address (127.0.0.2) model a client other
 * than the platform; attackers on 127.0.0.1 model the case where the
 * platform's deliveries and the flood share an address (a reverse proxy in
 * front of the listener): there the per-address limit cannot tell them
 * apart, and what is promised is that a delivery gets through once the
 * idle connections time out, well before the old 30 s.
 */
/* clang-format off */
#define _DEFAULT_SOURCE /* usleep */
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

#include "flow_fixture.h"
#include "raw_conn.h"

/* Connections in a flood: more than the old listener's 64 in all. */
#define FLOOD_IDLE 70
#define FLOOD_SLOW 4

static flow_fixture fx;

typedef struct flood {
	int fd[FLOOD_IDLE + FLOOD_SLOW];
	size_t n;
	size_t nslow; /* the first nslow of fd are the slow ones */
} flood;

/*
 * Open nslow slow connections from src (a chunked POST whose first chunk
 * announces ffffffffffffffff bytes, then a trickle and silence), then
 * nidle connections that send nothing.  Connections the listener refuses
 * (closed as they arrive) still count: the client made them.
 */
static void
flood_open(flood *f, const char *src, size_t nslow, size_t nidle)
{
	static const char slow[] = "POST /webhooks/bigcommerce HTTP/1.1\r\n"
				   "Host: 127.0.0.1\r\n"
				   "Content-Type: application/json\r\n"
				   "Transfer-Encoding: chunked\r\n\r\n"
				   "ffffffffffffffff\r\n{\"scope\":";
	size_t i;

	assert_true(nslow + nidle <= sizeof(f->fd) / sizeof(f->fd[0]));
	f->n = 0;
	f->nslow = nslow;
	for (i = 0; i < nslow + nidle; i++) {
		int fd = raw_conn_open(src, fx.listen_port);

		assert_true(fd >= 0);
		if (i < nslow)
			(void)raw_conn_send(fd, slow, sizeof(slow) - 1);
		f->fd[f->n++] = fd;
	}
}

static void
flood_close(flood *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		close(f->fd[i]);
	f->n = 0;
}

/*
 * The sandbox's delivery of store/order/created for order bc_id: waits up
 * to deadline_ms for it to be delivered; its attempts, or 0 when it was
 * not delivered in time.
 */
static int
wait_delivered(int64_t bc_id, int64_t deadline_ms)
{
	int64_t end = flow_fixture_now_ms() + deadline_ms;
	char want[48];

	snprintf(want, sizeof(want), "\"id\":%" PRId64 "}", bc_id);
	do {
		json_t *d = fx_ctl(&fx, "GET", "/webhooks?platform=bigcommerce",
				   NULL);
		json_t *x;
		size_t i;
		int attempts = 0;

		json_array_foreach (d, i, x) {
			const char *ev =
				json_string_value(json_object_get(x, "event"));
			const char *st =
				json_string_value(json_object_get(x, "state"));
			const char *body =
				json_string_value(json_object_get(x, "body"));

			if (ev == NULL || st == NULL || body == NULL ||
			    strcmp(ev, "store/order/created") != 0 ||
			    strstr(body, want) == NULL)
				continue;
			if (strcmp(st, "delivered") == 0)
				attempts = (int)json_integer_value(
					json_object_get(x, "attempts"));
		}
		json_decref(d);
		if (attempts > 0)
			return attempts;
		usleep(50000);
	} while (flow_fixture_now_ms() < end);
	return 0;
}

/* 1 when Brightpearl has the order whose externalRef is *(int64_t *)arg. */
static int
imported(void *arg)
{
	json_t *state = fx_ctl(&fx, "GET", "/brightpearl/state", NULL);
	json_t *o;
	const char *k, *ext;
	char want[32];
	int yes = 0;

	snprintf(want, sizeof(want), "%" PRId64, *(int64_t *)arg);
	json_object_foreach (json_object_get(state, "orders"), k, o) {
		ext = json_string_value(json_object_get(o, "externalRef"));
		if (ext != NULL && strcmp(ext, want) == 0)
			yes = 1;
	}
	json_decref(state);
	return yes;
}

static int64_t
place_order(void)
{
	return fx_bc_order_place(&fx, "[{\"sku\":\"CAP-BLK\",\"quantity\":1}]",
				 "\"status_id\":11");
}

/* ---- tests -------------------------------------------------------------- */

/*
 * A flood from another address: the platform's delivery is answered at once,
 * stored and imported; the slow connections (the ffffffffffffffff chunk)
 * are closed within the idle timeout, not held for 30 s.
 */
static void
test_delivery_through_flood_from_another_address(void **state)
{
	flood f;
	int64_t id, t0;
	int attempts;
	size_t i;
	char buf[256];

	(void)state;
	flood_open(&f, "127.0.0.2", FLOOD_SLOW, FLOOD_IDLE);
	t0 = flow_fixture_now_ms();
	id = place_order();
	attempts = wait_delivered(id, 3000);
	if (attempts == 0) {
		flood_close(&f);
		fail_msg("order %" PRId64 "'s webhook not delivered within "
			 "3 s of a flood from 127.0.0.2",
			 id);
	}
	print_message("delivered in %" PRId64 " ms, %d attempt(s)\n",
		      flow_fixture_now_ms() - t0, attempts);
	assert_int_equal(attempts, 1);
	assert_int_equal(fx_run_until(&fx, imported, &id, 20000), 1);
	/* the slow ones: closed by the listener within its idle timeout */
	for (i = 0; i < f.nslow; i++) {
		int64_t left = t0 + 9000 - flow_fixture_now_ms();
		long got = raw_conn_wait(f.fd[i], buf, sizeof(buf),
					 left > 0 ? (int)left : 0);

		if (got < 0) {
			flood_close(&f);
			fail_msg("slow connection %zu still open after 9 s", i);
		}
	}
	print_message("slow connections closed after %" PRId64 " ms\n",
		      flow_fixture_now_ms() - t0);
	flood_close(&f);
}

/*
 * A flood from the platform's own address: the listener cannot tell the
 * two apart, so the delivery is refused while the flood holds the
 * address's connections; the platform's retry gets it through once the
 * idle ones time out (the old listener held them 30 s).
 */
static void
test_delivery_through_flood_from_the_same_address(void **state)
{
	flood f;
	int64_t id, t0;
	int attempts;

	(void)state;
	flood_open(&f, "127.0.0.1", FLOOD_SLOW, FLOOD_IDLE);
	t0 = flow_fixture_now_ms();
	id = place_order();
	/* the sandbox retries at 7.4 s and 14.6 s; the old listener freed
	 * its connections after 30 s */
	attempts = wait_delivered(id, 20000);
	flood_close(&f);
	if (attempts == 0)
		fail_msg("order %" PRId64 "'s webhook not delivered within "
			 "20 s of a flood from 127.0.0.1",
			 id);
	print_message("delivered in %" PRId64 " ms, %d attempt(s)\n",
		      flow_fixture_now_ms() - t0, attempts);
	assert_int_equal(fx_run_until(&fx, imported, &id, 20000), 1);
}

/*
 * A body trickled a byte at a time never lets the connection go idle; it
 * is dropped at the body deadline (10 s after its headers) instead of
 * being held for as long as the client cares to trickle.
 */
static void
test_trickled_body_dropped_at_its_deadline(void **state)
{
	static const char head[] = "POST /webhooks/bigcommerce HTTP/1.1\r\n"
				   "Host: 127.0.0.1\r\n"
				   "Content-Type: application/json\r\n"
				   "Content-Length: 100000\r\n\r\n{";
	int64_t t0 = flow_fixture_now_ms(), took;
	char buf[256];
	long got = -1;
	int fd;

	(void)state;
	fd = raw_conn_open("127.0.0.3", fx.listen_port);
	assert_true(fd >= 0);
	assert_int_equal(raw_conn_send(fd, head, sizeof(head) - 1), 0);
	while (flow_fixture_now_ms() - t0 < 16000) {
		if (raw_conn_send(fd, " ", 1) < 0)
			break; /* closed under us */
		if ((got = raw_conn_wait(fd, buf, sizeof(buf), 500)) >= 0)
			break;
	}
	took = flow_fixture_now_ms() - t0;
	close(fd);
	if (got < 0 && took >= 16000)
		fail_msg("a trickled body was still being read after 16 s");
	print_message("trickled body dropped after %" PRId64 " ms\n", took);
	assert_true(took >= 9000);
}

/* ---- fixture ------------------------------------------------------------ */

static int
setup(void **state)
{

	*state = &fx;
	if (flow_fixture_open(&fx, NULL) < 0)
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
			test_delivery_through_flood_from_another_address),
		cmocka_unit_test(
			test_delivery_through_flood_from_the_same_address),
		cmocka_unit_test(test_trickled_body_dropped_at_its_deadline),
	};

	return cmocka_run_group_tests(tests, setup, flow_fixture_teardown);
}
