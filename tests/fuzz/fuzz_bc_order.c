/*
 * fuzz_bc_order.c - BigCommerce order replies into models, and the
 * order import's plan built from them.  The input is the reply script
 * (fuzz.h): the order (GET /v2/orders/{id}, lines inline or read from
 * /products and /shipping_addresses), then its transactions; then, from
 * the start again, the pages of an order list.  Every order that parses
 * goes through the importable filter and the pure plan, rendered as the
 * preview would, with settings and resolved ids that let the plan go all
 * the way (one product in three unknown, every payment mapped).
 */
#include <stdlib.h>
#include <string.h>

#include "platforms/bigcommerce/bigcommerce_int.h"
#include "flows/bigcommerce/order_import_int.h"
#include "fuzz.h"
#include "pearlsync/bigcommerce.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
plan(const ps_bc_order *o, const ps_bc_transaction_list *txns)
{
	ps_oib_settings s;
	ps_oib_resolved r;
	ps_oib_plan p;
	int64_t *pids = calloc(o->nproducts + 1, sizeof(*pids));
	const char **codes = calloc(txns->count + 1, sizeof(*codes));
	char why[256], *text = NULL;
	size_t i;

	if (pids == NULL || codes == NULL)
		abort();
	memset(&s, 0, sizeof(s));
	s.import_statuses = (char *)"11,1";
	s.import_guests = 1;
	s.channel_id = 1;
	s.warehouse_id = 2;
	s.match_field = PS_BP_IDENTITY_SKU;
	s.captured_only = 1;
	s.reference_prefix = (char *)"BC-";
	memset(&r, 0, sizeof(r));
	r.customer_id = o->customer_id > 0 ? 201 : 0;
	r.status_id = 2;
	r.shipping_method_id = 6;
	for (i = 0; i < o->nproducts; i++)
		pids[i] = i % 3 == 2 ? 0 : 1001 + (int64_t)i;
	r.product_ids = pids;
	for (i = 0; i < txns->count; i++)
		codes[i] = "BIGCOMMERCE";
	r.payment_codes = codes;

	(void)ps_oib__importable(&s, o, why, sizeof(why));
	if (ps_oib__plan_build(&p, o, txns, &s, &r) == 0) {
		if (ps_oib__plan_render(&text, &p) == 0)
			free(text);
		text = NULL;
		if (ps_oib__plan_summary(&text, &p) == 0)
			free(text);
	}
	ps_oib__plan_dispose(&p);
	free(codes);
	free(pids);
}

static ps_bc *
connector(fuzz_script *script)
{
	ps_bc_options o = PS_BC_OPTIONS_INIT;
	ps_bc *bc = NULL;

	o.base_url = "http://127.0.0.1:9/bigcommerce/";
	o.store_hash = "fuzz";
	o.access_token = "fuzz-token-0001";
	if (ps_bc_new(&bc, NULL, &o) < 0)
		abort();
	ps_bc__set_transport(bc, fuzz_send, script);
	return bc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ps_bc_order_query q = PS_BC_ORDER_QUERY_INIT;
	ps_bc_transaction_list txns = {0};
	ps_bc_order_list l = {0};
	ps_bc_order o;
	fuzz_script script;
	ps_bc *bc;
	size_t i;

	fuzz_quiet();
	bc = connector(&script);

	fuzz_script_init(&script, data, size);
	memset(&o, 0, sizeof(o));
	if (ps_bc_order_get(&o, bc, 218) == 0) {
		(void)ps_bc_transactions_list(&txns, bc, 218);
		plan(&o, &txns);
		ps_bc_transaction_list_dispose(&txns);
		ps_bc_order_dispose(&o);
	}

	fuzz_script_init(&script, data, size);
	q.with_lines = 1;
	q.max_orders = 20;
	if (ps_bc_orders_list(&l, bc, &q) == 0) {
		for (i = 0; i < l.count; i++)
			plan(&l.items[i], &txns);
		ps_bc_order_list_dispose(&l);
	}
	ps_bc_free(bc);
	return 0;
}
