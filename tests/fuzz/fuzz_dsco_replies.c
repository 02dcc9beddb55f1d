/*
 * fuzz_dsco_replies.c - DSCO replies into models: the order pages of a
 * window (every page by scrollId), one order by key, the change log of a
 * request (every page) and its follow, the warehouse pages, an
 * acknowledgement's request id and a client-credentials token grant.
 * The first byte picks the operation, the rest is the reply script
 * (fuzz.h).  The clock is fixed and sleeping takes no time, so a 408
 * retry or a follow's polling costs nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "pearlsync/dsco.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 2026-12-01T00:00:00Z */
#define FUZZ_NOW_MS 1796083200000LL

static int64_t
fake_now(void *ctx)
{
	int64_t *now = ctx;

	return *now;
}

static void
fake_sleep(void *ctx, int64_t ms)
{
	int64_t *now = ctx;

	*now += ms;
}

static int
count_order(void *ctx, const ps_dsco_order *o)
{
	size_t *n = ctx;

	(void)o;
	(*n)++;
	return 0;
}

static void
options(ps_dsco_options *o, fuzz_script *script, int64_t *now, int grant)
{
	static const ps_dsco_options init = PS_DSCO_OPTIONS_INIT;

	*o = init;
	o->base_url = "https://api.example.test/api/v3";
	o->auth = PS_DSCO_AUTH_CLIENT_CREDENTIALS;
	o->client_id = "fuzz-client";
	o->client_secret = "fuzz-secret-0003";
	if (!grant) {
		o->access_token = "fuzz-access-0001";
		o->access_expires_at_ms = FUZZ_NOW_MS + 3600000;
	}
	o->send = fuzz_send;
	o->send_ctx = script;
	o->now = fake_now;
	o->now_ctx = now;
	o->sleep = fake_sleep;
	o->sleep_ctx = now;
	o->orders_per_page = 10;
}

static void
orders(ps_dsco *d, int created)
{
	ps_dsco_order_query q;
	int64_t until = 0;
	size_t n = 0;
	int more = 0;

	memset(&q, 0, sizeof(q));
	q.window = created ? PS_DSCO_WINDOW_CREATED : PS_DSCO_WINDOW_UPDATED;
	q.since = FUZZ_NOW_MS - 86400000;
	(void)ps_dsco_orders_foreach(&more, &until, d, &q, 50, count_order, &n);
}

static void
others(ps_dsco *d, int which)
{
	static const ps_dsco_follow_options fast = {1000, 2000, 10000};
	ps_dsco_ack ack;
	ps_dsco_order o;
	ps_dsco_change_log l;
	ps_dsco_outcome out;
	ps_dsco_warehouse_list wl;
	char *id = NULL;
	char *name = NULL;

	switch (which) {
	case 0:
		if (ps_dsco_order_get(&o, d, PS_DSCO_KEY_PO_NUMBER,
				      "PO-1001") == 0)
			ps_dsco_order_dispose(&o);
		break;
	case 1:
		if (ps_dsco_change_log_get(&l, d, PS_DSCO_LOG_ORDER, "req-1") ==
		    0)
			ps_dsco_change_log_dispose(&l);
		break;
	case 2:
		memset(&out, 0, sizeof(out));
		(void)ps_dsco_request_follow(&out, d, PS_DSCO_LOG_INVENTORY,
					     "req-2", &fast);
		ps_dsco_outcome_dispose(&out);
		break;
	case 3:
		if (ps_dsco_warehouses_list(&wl, d) == 0)
			ps_dsco_warehouse_list_dispose(&wl);
		break;
	case 4:
		memset(&ack, 0, sizeof(ack));
		ack.order.po_number = "PO-1001";
		ack.new_supplier_order_number = "SO-7";
		if (ps_dsco_orders_acknowledge(&id, d, &ack, 1) == 0)
			free(id);
		break;
	default:
		if (ps_dsco_check_connection(&name, d) == 0)
			free(name);
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_script script;
	ps_dsco_options o;
	ps_dsco *d = NULL;
	int64_t now = FUZZ_NOW_MS;
	int op;

	fuzz_quiet();
	if (size == 0)
		return 0;
	op = data[0] % 9;
	fuzz_script_init(&script, data + 1, size - 1);
	options(&o, &script, &now, op == 8);
	if (ps_dsco_new(&d, NULL, &o) < 0)
		abort();
	if (op == 0 || op == 1)
		orders(d, op == 1);
	else if (op == 8)
		(void)ps_dsco_token_refresh(d);
	else
		others(d, op - 2);
	ps_dsco_free(d);
	return 0;
}
