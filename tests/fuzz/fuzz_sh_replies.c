/*
 * fuzz_sh_replies.c - ShipHero replies into models: shipments since a
 * date (every page, a shipment's extra lines), one shipment, the order
 * lookup, order_create, warehouses, webhooks, a product, a token grant,
 * and a webhook delivery's body (signature check and decoding).  The
 * first byte picks the operation, the rest is the reply script (fuzz.h).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "pearlsync/platform.h"
#include "pearlsync/shiphero.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
count_shipment(void *ctx, const ps_sh_shipment *s)
{
	size_t *n = ctx;

	*n += s->nlines + s->nlabels;
	return 0;
}

static void
options(ps_sh_options *o, fuzz_script *script)
{
	static const ps_sh_options init = PS_SH_OPTIONS_INIT;

	*o = init;
	o->base_url = "https://public-api.example.test";
	o->account = "fuzz";
	o->access_token = "fuzz-access-0001";
	o->refresh_token = "fuzz-refresh-0002";
	o->page_size = 2;
	o->send = fuzz_send;
	o->send_ctx = script;
}

static void
orders(ps_sh *sh, int create)
{
	static const ps_sh_line_new lines[] = {
		{"GON-1-1", "TEST-1", 2, 750000, "Test", "V2FyZWhvdXNlOjE="},
	};
	ps_sh_order_new on;
	ps_sh_order o;

	memset(&on, 0, sizeof(on));
	on.partner_order_id = "GON-1";
	on.order_number = "GO-1";
	on.shipping.title = "Ground";
	on.lines = lines;
	on.nlines = 1;
	if ((create ? ps_sh_order_create(&o, sh, &on)
		    : ps_sh_order_find(&o, sh, "GON-1")) == 0)
		ps_sh_order_dispose(&o);
}

static void
others(ps_sh *sh, int which)
{
	ps_sh_warehouse_list wl;
	ps_sh_webhook_list hl;
	ps_sh_product p;
	ps_sh_shipment s;

	switch (which) {
	case 0:
		if (ps_sh_warehouses(&wl, sh) == 0)
			ps_sh_warehouse_list_dispose(&wl);
		break;
	case 1:
		if (ps_sh_webhooks_list(&hl, sh) == 0)
			ps_sh_webhook_list_dispose(&hl);
		break;
	case 2:
		if (ps_sh_product_find_sku(&p, sh, "TEST-1") == 0)
			ps_sh_product_dispose(&p);
		break;
	default:
		if (ps_sh_shipment_get(&s, sh, "U2hpcG1lbnQ6MQ==") == 0)
			ps_sh_shipment_dispose(&s);
		break;
	}
}

static void
webhook(const uint8_t *data, size_t size)
{
	const ps_platform_ops *ops = ps_platform_ops_of(PS_PLATFORM_SHIPHERO);
	ps_webhook_event ev;

	(void)ps_sh_webhook_verify("fuzz-secret", (const char *)data, size,
				   "AAAA");
	(void)ops->webhook_decode(&ev, NULL, (const char *)data, size);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_script script;
	ps_sh_options o;
	ps_sh_grant g;
	ps_sh *sh = NULL;
	size_t n = 0;
	int op;

	fuzz_quiet();
	if (size == 0)
		return 0;
	op = data[0] % 10;
	fuzz_script_init(&script, data + 1, size - 1);
	options(&o, &script);
	if (op == 8) {
		webhook(data + 1, size - 1);
		return 0;
	}
	if (op == 9) {
		if (ps_sh_login(&g, NULL, &o, "fuzz@example.test",
				"fuzz-password") == 0)
			ps_sh_grant_dispose(&g);
		return 0;
	}
	if (ps_sh_new(&sh, NULL, &o) < 0)
		abort();
	if (op == 0)
		(void)ps_sh_shipments_since(sh, 1796083200, count_shipment, &n);
	else if (op == 1 || op == 2)
		orders(sh, op == 2);
	else
		others(sh, op - 3);
	ps_sh_free(sh);
	return 0;
}
