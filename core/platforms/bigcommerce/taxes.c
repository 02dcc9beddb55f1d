/*
 * taxes.c - BigCommerce order taxes: GET /v2/orders/{id}/taxes?details=true,
 * one order at a time or the first pages of several at once, and the tax
 * class of a line or fee from them.
 *
 * Shape: orders.v2.oas2.yml, orderTaxes_Base.  tax_class_id is nullable
 * (automatic tax); order_product_id and line_item_type come only with
 * details=true, order_product_id documented as a string and null for
 * shipping and gift wrapping, so an integer, a string of digits and null
 * are all taken.
 */
#include "pearlsync/bigcommerce.h"
#include "platforms/bigcommerce/bigcommerce_int.h"
#include "platforms/connector.h"
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

/* Reads several orders' first pages at once, as payments.c does. */

static const struct ps_bc__field tax_fields[] = {
	FLD(ps_bc_order_tax, "id", id, BK_I64, 1),
	FLD(ps_bc_order_tax, "order_address_id", order_address_id, BK_I64, 0),
	FLD(ps_bc_order_tax, "name", name, BK_STR, 0),
	FLD(ps_bc_order_tax, "class", class_name, BK_STR, 0),
	FLD(ps_bc_order_tax, "line_item_type", line_item_type, BK_STR, 0),
	FLD(ps_bc_order_tax, "rate", rate, BK_MONEY, 0),
	FLD(ps_bc_order_tax, "line_amount", line_amount, BK_MONEY, 0),
};

int
ps_bc__class_id(int64_t *out, const json_t *obj, const char *name,
		const char *what)
{
	const json_t *v = json_object_get(obj, name);

	*out = -1;
	if (v == NULL || json_is_null(v))
		return 0;
	return ps_conn__json_int_value(out, v, name, what);
}

static void
tax_dispose(void *t)
{
	FIELDS_FREE(t, tax_fields);
}

static int
tax_row(void *item, const json_t *row, void *ctx)
{
	ps_bc_order_tax *t = item;
	const json_t *line = json_object_get(row, "order_product_id");
	char what[96];
	int error;

	snprintf(what, sizeof(what), "BigCommerce order %lld tax %lld",
		 *(const long long *)ctx, ps_bc__peek_id(row, "id"));
	if ((error = FIELDS_PARSE(t, tax_fields, row, what)) < 0)
		return error;
	if ((error = ps_bc__class_id(&t->tax_class_id, row, "tax_class_id",
				     what)) < 0)
		goto fail;
	t->order_product_id = 0;
	if (line != NULL && !json_is_null(line) &&
	    !(json_is_string(line) && json_string_length(line) == 0) &&
	    (error = ps_conn__json_int_value(&t->order_product_id, line,
					     "order_product_id", what)) < 0)
		goto fail;
	return 0;
fail:
	tax_dispose(t);
	return error;
}

void
ps_bc_order_tax_list_dispose(ps_bc_order_tax_list *l)
{
	if (l == NULL)
		return;
	ps_bc__items_dispose(l->items, l->count, sizeof(*l->items),
			     tax_dispose);
	memset(l, 0, sizeof(*l));
}

int
ps_bc_order_taxes_list(ps_bc_order_tax_list *out, ps_bc *bc, int64_t order_id)
{
	struct ps_bc__vec v = {NULL, 0, 0, sizeof(ps_bc_order_tax)};
	long long lid = (long long)order_id;
	char path[80], what[80];
	int error;

	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "/v2/orders/%lld/taxes?details=true", lid);
	snprintf(what, sizeof(what), "reading the taxes of order %lld", lid);
	error = ps_bc__walk(bc, &v, path, "v2/orders/{id}/taxes", what, 0,
			    tax_row, &lid, 0);
	if (error < 0) {
		ps_bc__vec_dispose(&v, tax_dispose);
		return error;
	}
	out->items = v.items;
	out->count = v.count;
	return 0;
}

/* What ps_bc__first_pages fills: the lists of ids. */
typedef struct tax_lists {
	ps_bc_order_tax_list *outs;
	ps_bc *bc;
	const int64_t *ids;
} tax_lists;

static int
tax_page(size_t i, const ps_http_response *resp, void *ctx)
{
	tax_lists *l = ctx;
	struct ps_bc__vec v = {NULL, 0, 0, sizeof(ps_bc_order_tax)};
	long long lid = (long long)l->ids[i];
	int got = ps_bc__whole_page(&v, l->bc, resp, 0, 1, tax_row, &lid);

	if (got == 1) {
		l->outs[i].items = v.items;
		l->outs[i].count = v.count;
	} else {
		ps_bc__vec_dispose(&v, tax_dispose);
	}
	return got;
}

static int
tax_read(size_t i, void *ctx)
{
	tax_lists *l = ctx;

	return ps_bc_order_taxes_list(&l->outs[i], l->bc, l->ids[i]);
}

int
ps_bc_order_taxes_list_many(ps_bc_order_tax_list *outs, ps_bc *bc,
			    const int64_t *ids, size_t n)
{
	tax_lists l = {outs, bc, ids};
	size_t i;
	int error;

	for (i = 0; i < n; i++)
		memset(&outs[i], 0, sizeof(outs[i]));
	error = ps_bc__first_pages(bc, "/v2/orders/", "/taxes?details=true",
				   "v2/orders/{id}/taxes", 1, ids, n, tax_page,
				   tax_read, &l);
	if (error < 0)
		for (i = 0; i < n; i++)
			ps_bc_order_tax_list_dispose(&outs[i]);
	return error;
}

int64_t
ps_bc_order_taxes_class(const ps_bc_order_tax_list *l, const char *type,
			int64_t line, int *mixed)
{
	int64_t found = -1;
	size_t i;

	if (mixed != NULL)
		*mixed = 0;
	for (i = 0; l != NULL && i < l->count; i++) {
		const ps_bc_order_tax *t = &l->items[i];

		if (t->tax_class_id < 0 || strcmp(t->line_item_type, type) != 0)
			continue;
		if (line != 0 && t->order_product_id != line)
			continue;
		if (found >= 0 && found != t->tax_class_id) {
			if (mixed != NULL)
				*mixed = 1;
			return -1;
		}
		found = t->tax_class_id;
	}
	return found;
}
