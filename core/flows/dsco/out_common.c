/*
 * out_common.c - what the flows from Brightpearl to DSCO share: the order
 * cross-reference and the tie between a Brightpearl order row and a line
 * of the DSCO purchase order.
 *
 * The order import gives each Brightpearl row the PO line's lineNumber as
 * its externalRef; a row read back with one that names a line of the PO
 * belongs to that line alone, whatever its SKU (two lines of one SKU, or
 * an item matched on another field or through the product map).
 * Otherwise a line is identified by the item: the Brightpearl order's
 * rows are read back with their SKU and product, and a row belongs to the
 * PO line whose identifiers (sku, partnerSku, upc, ean, dscoItemId)
 * include the row's SKU, or which the dsco_product mapping (the one the
 * order import uses) maps to the row's product.  Several lines of one
 * item are filled in line-number order, each up to what DSCO says it has
 * left, so a line is never shipped past its quantity.
 */
#include "flows/dsco/out_int.h"
#include "internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
ps_dsout__dsco_order_of(char **out, ps_store *st, int64_t bp_order_id)
{
	char id[32];

	snprintf(id, sizeof(id), "%" PRId64, bp_order_id);
	return ps_store_xref_get(out, st, "order", PS_PLATFORM_BRIGHTPEARL, id,
				 PS_PLATFORM_DSCO);
}

static int
same(const char *a, const char *b)
{
	return a != NULL && b != NULL && a[0] != '\0' && strcmp(a, b) == 0;
}

/* 1 when the dsco_product mapping sends DSCO identifier v to product. */
static int
mapped_to(ps_store *st, const char *v, int64_t product)
{
	char *target = NULL, *end;
	int hit;

	if (v == NULL || v[0] == '\0' || product <= 0)
		return 0;
	if (ps_store_mapping_get(&target, st, PS_DSOUT_MAP_PRODUCT,
				 PS_DSOUT_DSCO_BP, v, 0) < 0) {
		ps_error_clear();
		return 0;
	}
	hit = strtoll(target, &end, 10) == product && *end == '\0';
	free(target);
	return hit;
}

/* The number the order import gives line i of d (its lineNumber). */
static int64_t
line_no(const ps_dsco_order *d, size_t i)
{
	return d->lines[i].line_number > 0 ? d->lines[i].line_number
					   : (int64_t)i + 1;
}

/* The index of the line of d that row's externalRef names; -1: none. */
static long
line_by_ref(const ps_dsco_order *d, const ps_bp_order_row *row)
{
	const char *r = row->external_ref;
	char *end;
	long long v;
	size_t i;

	if (r == NULL || r[0] < '0' || r[0] > '9')
		return -1;
	v = strtoll(r, &end, 10);
	if (*end != '\0' || v <= 0)
		return -1;
	for (i = 0; i < d->nlines; i++)
		if (line_no(d, i) == v)
			return (long)i;
	return -1;
}

int
ps_dsout__row_matches(ps_store *st, const ps_dsco_order *d, size_t li,
		      const ps_bp_order_row *row)
{
	const ps_dsco_order_line *line = &d->lines[li];
	const char *ids[5];
	long by_ref = line_by_ref(d, row);
	size_t i;

	if (by_ref >= 0)
		return (size_t)by_ref == li;

	ids[0] = line->sku;
	ids[1] = line->partner_sku;
	ids[2] = line->upc;
	ids[3] = line->ean;
	ids[4] = line->dsco_item_id;
	for (i = 0; i < PS__ARRAY_LEN(ids); i++)
		if (same(ids[i], row->sku))
			return 1;
	for (i = 0; i < PS__ARRAY_LEN(ids); i++)
		if (mapped_to(st, ids[i], row->product_id))
			return 1;
	return 0;
}

const ps_bp_order_row *
ps_dsout__row_of(const ps_bp_order *o, int64_t row_id, int64_t product_id)
{
	size_t i;

	for (i = 0; i < o->nrows; i++)
		if (o->rows[i].id == row_id)
			return &o->rows[i];
	for (i = 0; i < o->nrows; i++)
		if (product_id > 0 && o->rows[i].product_id == product_id)
			return &o->rows[i];
	return NULL;
}

/* What DSCO line l has left to ship. */
static int64_t
line_left(const ps_dsco_order_line *l)
{
	int64_t left =
		l->quantity - l->shipped_quantity - l->cancelled_quantity;

	if (l->remaining_quantity >= 0 && l->remaining_quantity < left)
		left = l->remaining_quantity;
	return left > 0 ? left : 0;
}

int
ps_dsout__take(ps_store *st, const ps_dsco_order *d, const ps_bp_order_row *row,
	       int64_t qty, int64_t *taken, int64_t *qty_out)
{
	int64_t want = qty;
	size_t i, best;
	int matched = 0;

	while (qty > 0) {
		best = d->nlines;
		for (i = 0; i < d->nlines; i++) {
			const ps_dsco_order_line *l = &d->lines[i];

			if (!ps_dsout__row_matches(st, d, i, row))
				continue;
			matched = 1;
			if (line_left(l) - taken[i] <= 0)
				continue;
			if (best == d->nlines ||
			    l->line_number < d->lines[best].line_number)
				best = i;
		}
		if (best == d->nlines)
			break;
		{
			int64_t room = line_left(&d->lines[best]) - taken[best];
			int64_t q = room < qty ? room : qty;

			taken[best] += q;
			qty_out[best] += q;
			qty -= q;
		}
	}
	if (!matched)
		return ps_error_set(PS_EDATA,
				    "Brightpearl row %" PRId64 " (SKU %s) "
				    "matches no line of DSCO order %s",
				    row->id, row->sku ? row->sku : "none",
				    d->dsco_order_id);
	if (qty > 0)
		return ps_error_set(PS_EDATA,
				    "SKU %s: %" PRId64 " of %" PRId64
				    " more than DSCO order %s has left to ship",
				    row->sku ? row->sku : "none", qty, want,
				    d->dsco_order_id);
	return 0;
}

int
ps_dsout__map(char **out, ps_store *st, const char *kind, int64_t id)
{
	char num[32];
	int error;

	*out = NULL;
	snprintf(num, sizeof(num), "%" PRId64, id);
	error = ps_store_mapping_get(out, st, kind, PS_DSOUT_BP_DSCO, num,
				     PS_STORE_MAPPING_FALLBACK);
	if (error == PS_ENOTFOUND) {
		ps_error_clear();
		*out = NULL;
		return 0;
	}
	return error;
}
