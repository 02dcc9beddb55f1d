/*
 * fuzz_bp_replies.c - Brightpearl replies into models: a product search
 * (every page), a contact search, sales orders, goods-out notes, stock
 * availability, and a multi-message reply for a batch of three writes.
 * The first byte picks the operation, the rest is the reply script
 * (fuzz.h), so each operation sees the whole input as its replies.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "pearlsync/brightpearl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static ps_bp *
connector(fuzz_script *script)
{
	ps_bp_options o = PS_BP_OPTIONS_INIT;
	ps_bp *bp = NULL;

	o.base_url = "https://use1.example.test";
	o.account = "fuzz";
	o.app_ref = "fuzz_pearlsync";
	o.token = "fuzz-token-0002";
	o.page_size = 2; /* more pages from a short script */
	o.idset_max = 2;
	o.send = fuzz_send;
	o.send_ctx = script;
	if (ps_bp_new(&bp, NULL, &o) < 0)
		abort();
	return bp;
}

static void
batch(ps_bp *bp)
{
	ps_bp_batch *b = NULL;
	size_t i;

	if (ps_bp_batch_new(&b, bp) < 0)
		abort();
	ps_bp_batch_status_set(b, 101, 2, "shipped");
	ps_bp_batch_note_add(b, 101, "a note", 0);
	ps_bp_batch_status_set(b, 102, 4, NULL);
	(void)ps_bp_batch_send(b);
	for (i = 0; i < 4; i++)
		(void)ps_bp_batch_result_get(b, i);
	ps_bp_batch_free(b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int64_t ids[] = {101, 102, 103, 988116, 489065};
	ps_bp_product_list pl = {0};
	ps_bp_contact_rows cr = {0};
	ps_bp_order_list ol = {0};
	ps_bp_gon_list gl = {0};
	ps_bp_stock_list sl = {0};
	fuzz_script script;
	ps_bp *bp;

	fuzz_quiet();
	if (size == 0)
		return 0;
	bp = connector(&script);
	fuzz_script_init(&script, data + 1, size - 1);
	switch (data[0] % 7) {
	case 0:
		if (ps_bp_product_find(&pl, bp, PS_BP_IDENTITY_SKU, "TEE-M") ==
		    0)
			ps_bp_product_list_dispose(&pl);
		break;
	case 1:
		if (ps_bp_contact_changes(&cr, bp, "2026-01-01") == 0)
			ps_bp_contact_rows_dispose(&cr);
		break;
	case 2:
		if (ps_bp_order_get(&ol, bp, ids, 5) == 0)
			ps_bp_order_list_dispose(&ol);
		break;
	case 3:
		if (ps_bp_gon_for_order(&gl, bp, 988116) == 0)
			ps_bp_gon_list_dispose(&gl);
		break;
	case 4:
		if (ps_bp_gon_get(&gl, bp, ids, 5) == 0)
			ps_bp_gon_list_dispose(&gl);
		break;
	case 5:
		if (ps_bp_availability_get(&sl, bp, ids, 5) == 0)
			ps_bp_stock_list_dispose(&sl);
		break;
	default:
		batch(bp);
		break;
	}
	ps_bp_free(bp);
	return 0;
}
