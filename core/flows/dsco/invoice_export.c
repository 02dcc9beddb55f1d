/*
 * invoice_export.c - invoiced Brightpearl orders to DSCO invoices, for
 * orders that came from a DSCO purchase order (xref "order").
 *
 * Discovery: the poll lists the Brightpearl orders updated since its
 * cursor, keeps those linked to a DSCO order (a look-up in the local
 * cross-reference, no request), reads them (in id sets) and records one
 * entry per invoiced order (kind order.invoice, key
 * dsco:order:<id>:invoice:<invoiceReference>), so an order is invoiced in
 * DSCO once, whichever poll sees it first.
 *
 * The invoice (POST /invoice, synchronous): invoiceId the Brightpearl
 * invoice reference, invoiceDate its tax date, the DSCO order by its id;
 * one line per Brightpearl product row, tied to its PO line (lineNumber,
 * sku) as the shipments are (out_common.c), with quantity and unit price
 * (row net / quantity); rows without a product (the delivery charge) make
 * the freight amount; tax the order's tax; total the order's total.
 *
 * Exactly once: the invoice id is the identity.  DSCO refuses a second
 * invoice with the same invoiceId and offers no read of a new invoice
 * until its post-processing ends, so a retry after a crash sends again
 * and a refusal as a duplicate is adopted as the invoice sent before.
 */
#include "flows/bigcommerce/pair_int.h"
#include "flows/dsco/out_int.h"
#include "internal.h"
#include "setting_keys.h"
#include "pearlsync/settings.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FLOW "invoice_export_dsco"
#define CURSOR "invoice_export_dsco.updated_on"

static int
inv_poll(ps_flow_env *env)
{
	ps_bp_order_ref *refs = NULL;
	ps_bp_order_list orders = {NULL, 0, NULL};
	int64_t *ids = NULL;
	char since[48], best[48], key[160], id[32], *dsco_id = NULL;
	size_t n = 0, nids = 0, i;
	int error;

	if (PS_DSOUT_BP(env) == NULL)
		return 0;
	ps_pair__poll_since(since, sizeof(since), env, CURSOR);
	if ((error = ps_bp_orders_updated_since(&refs, &n, PS_DSOUT_BP(env),
						since)) < 0)
		return error;
	ps_util__strlcpy(best, since, sizeof(best));
	if ((ids = calloc(n + 1, sizeof(*ids))) == NULL) {
		error = ps_error_set(PS_ENOMEM, NULL);
		goto done;
	}
	for (i = 0; i < n; i++) {
		if (strcmp(refs[i].updated_on, best) > 0)
			ps_util__strlcpy(best, refs[i].updated_on,
					 sizeof(best));
		if (ps_dsout__dsco_order_of(&dsco_id, env->store, refs[i].id) <
		    0) {
			ps_error_clear();
			continue;
		}
		free(dsco_id);
		dsco_id = NULL;
		ids[nids++] = refs[i].id;
	}
	if (nids > 0 &&
	    (error = ps_bp_order_get(&orders, PS_DSOUT_BP(env), ids, nids)) < 0)
		goto done;
	if ((error = ps_store_begin(env->store)) < 0)
		goto done;
	for (i = 0; i < orders.n && error == 0; i++) {
		const ps_bp_order *o = &orders.items[i];

		if (o->invoice_ref == NULL || o->invoice_ref[0] == '\0')
			continue;
		if ((error = ps_dsout__dsco_order_of(&dsco_id, env->store,
						     o->id)) < 0)
			break;
		snprintf(id, sizeof(id), "%" PRId64, o->id);
		snprintf(key, sizeof(key), "dsco:order:%s:invoice:%s", id,
			 o->invoice_ref);
		error = ps_pair__log_add(
			env, FLOW, key, PS_DSOUT_KIND_ORDER_INVOICE, id, NULL,
			PS_PLATFORM_BRIGHTPEARL, id, PS_PLATFORM_DSCO, dsco_id);
		free(dsco_id);
		dsco_id = NULL;
	}
	error = ps_pair__poll_end(env, CURSOR, best, error);
done:
	ps_bp_order_list_dispose(&orders);
	free(ids);
	free(refs);
	return error;
}

/* 1 when the last error says DSCO has an invoice with that id already. */
static int
is_duplicate(void)
{
	const char *m = ps_error_last();
	const char *w = "duplicate";
	size_t i, n = strlen(w);

	for (; m != NULL && *m != '\0'; m++) {
		for (i = 0; i < n && m[i] != '\0' &&
			    tolower((unsigned char)m[i]) == w[i];
		     i++)
			;
		if (i == n)
			return 1;
	}
	return 0;
}

/*
 * The PO line of d that row belongs to: the lowest-numbered matching line
 * no earlier row took (used[]; updated), else the lowest-numbered
 * matching one, so two rows of one item invoice two lines; NULL none.
 */
static const ps_dsco_order_line *
line_of(ps_store *st, const ps_dsco_order *d, const ps_bp_order_row *row,
	unsigned char *used)
{
	size_t i, best = d->nlines, free_best = d->nlines;

	for (i = 0; i < d->nlines; i++) {
		if (!ps_dsout__row_matches(st, d, i, row))
			continue;
		if (best == d->nlines ||
		    d->lines[i].line_number < d->lines[best].line_number)
			best = i;
		if (!used[i] &&
		    (free_best == d->nlines ||
		     d->lines[i].line_number < d->lines[free_best].line_number))
			free_best = i;
	}
	if (free_best < d->nlines)
		best = free_best;
	if (best == d->nlines)
		return NULL;
	used[best] = 1;
	return &d->lines[best];
}

static int
send_invoice(int *out_adopted, ps_flow_env *env, const ps_bp_order *o,
	     const char *dsco_id)
{
	ps_dsco_order d;
	ps_dsco_invoice inv;
	ps_dsco_invoice_line *lines = NULL;
	unsigned char *used = NULL;
	size_t i, n = 0;
	int error;

	*out_adopted = 0;
	memset(&d, 0, sizeof(d));
	if ((error = ps_dsco_order_get(&d, PS_DSOUT_DSCO(env),
				       PS_DSCO_KEY_DSCO_ORDER_ID, dsco_id)) < 0)
		return error;
	memset(&inv, 0, sizeof(inv));
	if ((lines = calloc(o->nrows + 1, sizeof(*lines))) == NULL ||
	    (used = calloc(d.nlines + 1, 1)) == NULL) {
		error = ps_error_set(PS_ENOMEM, NULL);
		goto done;
	}
	for (i = 0; i < o->nrows; i++) {
		const ps_bp_order_row *row = &o->rows[i];
		const ps_dsco_order_line *l =
			line_of(env->store, &d, row, used);

		if (l == NULL && row->product_id == 0) {
			inv.freight += row->net;
			continue;
		}
		if (l == NULL) {
			error = ps_error_set(
				PS_EDATA,
				"Brightpearl row %" PRId64
				" (SKU %s) matches no line of "
				"DSCO order %s",
				row->id, row->sku ? row->sku : "none", dsco_id);
			goto done;
		}
		if (row->quantity <= 0)
			continue;
		lines[n].line_number = l->line_number;
		lines[n].sku = l->sku;
		lines[n].quantity = row->quantity;
		lines[n].unit_price = row->net / row->quantity;
		inv.subtotal += row->net;
		n++;
	}
	if (n == 0) {
		error = ps_error_set(PS_EDATA,
				     "Brightpearl order %" PRId64
				     " has no product rows to invoice",
				     o->id);
		goto done;
	}
	inv.invoice_id = o->invoice_ref;
	inv.order.dsco_order_id = dsco_id;
	if (o->invoice_date != NULL)
		(void)ps_bp_time_parse(&inv.invoice_date, o->invoice_date);
	inv.currency = o->currency;
	inv.total = o->total;
	inv.tax = o->total_tax;
	inv.lines = lines;
	inv.nlines = n;
	error = ps_dsco_invoice_send(PS_DSOUT_DSCO(env), &inv);
	if (error == PS_EDATA && is_duplicate()) {
		ps_error_clear();
		*out_adopted = 1;
		error = 0;
	}
done:
	free(lines);
	free(used);
	ps_dsco_order_dispose(&d);
	return error;
}

static int
inv_perform(ps_flow_env *env, const ps_log_entry *entry, ps_flow_result *res)
{
	ps_bp_order_list orders = {NULL, 0, NULL};
	const ps_bp_order *o;
	char *dsco_id = NULL;
	int64_t id;
	int adopted = 0, error;

	if (PS_DSOUT_BP(env) == NULL || PS_DSOUT_DSCO(env) == NULL)
		return ps_error_set(PS_ESETTING, "waiting for the Brightpearl "
						 "and DSCO connections");
	if (!ps_log_entry_is(entry, PS_DSOUT_KIND_ORDER_INVOICE))
		return ps_error_set(PS_EDATA,
				    "invoice entry %lld of kind '%s' not "
				    "understood",
				    (long long)entry->id,
				    entry->kind ? entry->kind : "");
	if ((error = ps_pair__entry_subject(&id, entry)) < 0)
		return error;
	if ((error = ps_dsout__dsco_order_of(&dsco_id, env->store, id)) < 0) {
		if (error != PS_ENOTFOUND)
			return error;
		ps_error_clear();
		return ps_pair__result(res, NULL,
				       "skipped: Brightpearl order %" PRId64
				       " did not come from DSCO",
				       id);
	}
	if ((error = ps_bp_order_get(&orders, PS_DSOUT_BP(env), &id, 1)) < 0)
		goto done;
	if (orders.n == 0) {
		error = ps_error_set(PS_ENOTFOUND,
				     "Brightpearl order %" PRId64 " not found",
				     id);
		goto done;
	}
	o = &orders.items[0];
	if (o->invoice_ref == NULL || o->invoice_ref[0] == '\0') {
		error = ps_pair__result(res, NULL,
					"skipped: Brightpearl order %" PRId64
					" is not invoiced",
					id);
		goto done;
	}
	if ((error = send_invoice(&adopted, env, o, dsco_id)) < 0) {
		error = ps_util__error_wrap(error, "invoice %s",
					    o->invoice_ref);
		goto done;
	}
	{
		ps_log_entry f;

		ps_log_entry_init(&f);
		f.order_number = dsco_id;
		f.total = o->total;
		f.has_total = 1;
		f.currency = (char *)(uintptr_t)o->currency;
		if ((error = ps_store_log_set_fields(env->store, entry->id, &f,
						     env->now)) < 0)
			goto done;
	}
	error = ps_pair__result(res, o->invoice_ref,
				"Brightpearl order %" PRId64 " invoice %s -> "
				"DSCO order %s%s",
				id, o->invoice_ref, dsco_id,
				adopted ? " (already there)" : "");
done:
	ps_bp_order_list_dispose(&orders);
	free(dsco_id);
	return error;
}

static const ps_flow_owns inv_owns[] = {
	{PS_PLATFORM_DSCO, "invoice", "*", PS_PLATFORM_BRIGHTPEARL},
};

const ps_flow_ops ps_flow_invoice_export_dsco = {
	.name = FLOW,
	.alias = "dsco-invoices",
	.description = "Invoiced Brightpearl orders to DSCO invoices",
	.source = PS_PLATFORM_BRIGHTPEARL,
	.target = PS_PLATFORM_DSCO,
	.enabled_setting = PS_SET_DSCO_ENABLED,
	.owns = inv_owns,
	.nowns = PS__ARRAY_LEN(inv_owns),
	.poll = inv_poll,
	.poll_interval_ms = 0,
	.perform = inv_perform,
};
