/*
 * products.c - Brightpearl products and stock: product identities, search
 * by SKU/barcode/..., product reads and warehouse availability.
 */
#include "platforms/brightpearl/brightpearl_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- products and stock ------------------------------------------------- */

static const struct {
	const char *name;   /* our name */
	const char *column; /* product-search column */
} identities[PS_BP_IDENTITY_COUNT] = {
	{"sku", "SKU"}, {"barcode", "barcode"}, {"ean", "EAN"},
	{"upc", "UPC"}, {"isbn", "ISBN"},       {"mpn", "MPN"},
};

int
ps_bp_identity_parse(ps_bp_identity *out, const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < PS_BP_IDENTITY_COUNT; i++) {
		if (strcasecmp(name, identities[i].name) == 0) {
			*out = (ps_bp_identity)i;
			return 0;
		}
	}
	return ps_error_set(PS_EINVAL,
			    "unknown product identity field '%s' "
			    "(expected sku, barcode, ean, upc, isbn or mpn)",
			    name != NULL ? name : "");
}

const char *
ps_bp_identity_name(ps_bp_identity id)
{
	if ((unsigned)id >= PS_BP_IDENTITY_COUNT)
		return "?";
	return identities[id].name;
}

void
ps_bp_product_list_dispose(ps_bp_product_list *l)
{
	if (l == NULL)
		return;
	free(l->items);
	json_decref((json_t *)l->priv__);
	memset(l, 0, sizeof(*l));
}

/* A product from one product-search row. */
static int
product_row_read(ps_bp_product *p, const json_t *row)
{
	const char *what = "Brightpearl product search";
	int error;

	memset(p, 0, sizeof(*p));
	if ((error = ps_conn__json_int(&p->id, row, "productId", what)) < 0 ||
	    (error = ps_conn__json_str_opt(&p->sku, row, "SKU", what)) < 0 ||
	    (error = ps_conn__json_str_opt(&p->barcode, row, "barcode", what)) <
		    0 ||
	    (error = ps_conn__json_str_opt(&p->ean, row, "EAN", what)) < 0 ||
	    (error = ps_conn__json_str_opt(&p->upc, row, "UPC", what)) < 0 ||
	    (error = ps_conn__json_str_opt(&p->isbn, row, "ISBN", what)) < 0 ||
	    (error = ps_conn__json_str_opt(&p->mpn, row, "MPN", what)) < 0 ||
	    (error = ps_conn__json_str_opt(&p->name, row, "productName",
					   what)) < 0 ||
	    (error = ps_conn__json_str_opt(&p->status, row, "productStatus",
					   what)) < 0 ||
	    (error = ps_conn__json_bool_opt(&p->stock_tracked, row,
					    "stockTracked", what, 0)) < 0)
		return error;
	return 0;
}

int
ps_bp_product_find(ps_bp_product_list *out, ps_bp *bp, ps_bp_identity field,
		   const char *value)
{
	ps_conn_buf q = PS_CONN_BUF_INIT(2048);
	json_t *rows = NULL, *row;
	const char *v;
	char what[PS__BP_WHAT_MAX];
	size_t i;
	int error;

	memset(out, 0, sizeof(*out));
	if ((unsigned)field >= PS_BP_IDENTITY_COUNT || value == NULL ||
	    value[0] == '\0')
		return ps_error_set(PS_EINVAL, "Brightpearl product search: no "
					       "field or value");
	snprintf(what, sizeof(what), "product search by %s",
		 identities[field].column);
	ps_conn__buf_addf(&q, "%s=", identities[field].column);
	ps_conn__buf_add_urlenc(&q, value);
	if ((error = ps_conn__buf_check(&q, "Brightpearl product search")) <
		    0 ||
	    (error = ps_bp__search(&rows, bp, "/product-service/product-search",
				   ps_conn__buf_str(&q), what)) < 0)
		goto done;
	out->priv__ = json_incref(rows);
	if ((error = ps_bp__alloc_items((void **)&out->items,
					json_array_size(rows),
					sizeof(*out->items))) < 0)
		goto done;
	json_array_foreach (rows, i, row) {
		/* the column may match loosely; only exact values count */
		v = json_string_value(
			json_object_get(row, identities[field].column));
		if (v == NULL || strcmp(v, value) != 0)
			continue;
		if ((error = product_row_read(&out->items[out->n], row)) < 0)
			goto done;
		out->n++;
	}
	ps_bp__sort_items(out->items, out->n, sizeof(*out->items),
			  ps_bp__cmp_id_field);
done:
	json_decref(rows);
	ps_conn__buf_dispose(&q);
	if (error < 0)
		ps_bp_product_list_dispose(out);
	return error;
}

static int
product_read(ps_bp_product *p, const json_t *j)
{
	char what[PS__BP_WHAT_MAX];
	const json_t *chan;
	int error;

	memset(p, 0, sizeof(*p));
	if ((error = ps_conn__json_int(&p->id, j, "id",
				       "Brightpearl product")) < 0)
		return error;
	snprintf(what, sizeof(what), "Brightpearl product %" PRId64, p->id);
	if ((error = ps_conn__json_str_opt(&p->sku, j, "identity.sku", what)) <
		    0 ||
	    (error = ps_conn__json_str_opt(&p->barcode, j, "identity.barcode",
					   what)) < 0 ||
	    (error = ps_conn__json_str_opt(&p->ean, j, "identity.ean", what)) <
		    0 ||
	    (error = ps_conn__json_str_opt(&p->upc, j, "identity.upc", what)) <
		    0 ||
	    (error = ps_conn__json_str_opt(&p->isbn, j, "identity.isbn",
					   what)) < 0 ||
	    (error = ps_conn__json_str_opt(&p->mpn, j, "identity.mpn", what)) <
		    0 ||
	    (error = ps_conn__json_str_opt(&p->status, j, "status", what)) <
		    0 ||
	    (error = ps_conn__json_bool_opt(&p->stock_tracked, j,
					    "stock.stockTracked", what, 0)) < 0)
		return error;
	chan = json_array_get(json_object_get(j, "salesChannels"), 0);
	if (chan != NULL && (error = ps_conn__json_str_opt(
				     &p->name, chan, "productName", what)) < 0)
		return error;
	return 0;
}

int
ps_bp_product_get(ps_bp_product_list *out, ps_bp *bp, const int64_t *ids,
		  size_t n)
{
	json_t *all = NULL, *arr = NULL, *item;
	size_t i;
	int error;

	memset(out, 0, sizeof(*out));
	if ((error = ps_bp__get_ids(&all, bp, "/product-service/product/", NULL,
				    ids, n, "product get")) < 0)
		return error;
	out->priv__ = all;
	if ((arr = ps_bp__values_of(all)) == NULL) {
		error = ps_error_set(PS_ENOMEM, NULL);
		goto done;
	}
	if ((error = ps_bp__alloc_items((void **)&out->items,
					json_array_size(arr),
					sizeof(*out->items))) < 0)
		goto done;
	json_array_foreach (arr, i, item) {
		if ((error = product_read(&out->items[out->n], item)) < 0)
			goto done;
		out->n++;
	}
	ps_bp__sort_items(out->items, out->n, sizeof(*out->items),
			  ps_bp__cmp_id_field);
done:
	json_decref(arr);
	if (error < 0)
		ps_bp_product_list_dispose(out);
	return error;
}

void
ps_bp_stock_list_dispose(ps_bp_stock_list *l)
{
	if (l == NULL)
		return;
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

static int
cmp_stock(const void *a, const void *b)
{
	const ps_bp_stock *x = a, *y = b;

	if (x->product_id != y->product_id)
		return (x->product_id > y->product_id) -
		       (x->product_id < y->product_id);
	return (x->warehouse_id > y->warehouse_id) -
	       (x->warehouse_id < y->warehouse_id);
}

static int
stock_read(ps_bp_stock *s, const json_t *j, const char *what)
{
	int error;

	if ((error = ps_conn__json_int_opt(&s->in_stock, j, "inStock", what,
					   0)) < 0 ||
	    (error = ps_conn__json_int_opt(&s->on_hand, j, "onHand", what, 0)) <
		    0 ||
	    (error = ps_conn__json_int_opt(&s->allocated, j, "allocated", what,
					   0)) < 0 ||
	    (error = ps_conn__json_int_opt(&s->in_transit, j, "inTransit", what,
					   0)) < 0)
		return error;
	return 0;
}

int
ps_bp_availability_get(ps_bp_stock_list *out, ps_bp *bp,
		       const int64_t *product_ids, size_t n)
{
	json_t *all = NULL, *prod, *whs, *w;
	const char *pkey, *wkey;
	char what[PS__BP_WHAT_MAX];
	size_t count = 0;
	int64_t pid, wid;
	int error;

	out->items = NULL;
	out->n = 0;
	if ((error = ps_bp__get_ids(
		     &all, bp, "/warehouse-service/product-availability/", NULL,
		     product_ids, n, "product availability")) < 0)
		return error;
	if (json_is_array(all) && json_array_size(all) == 0)
		goto done;
	if (!json_is_object(all)) {
		error = ps_error_set(PS_EDATA,
				     "Brightpearl product "
				     "availability: reply is %s, expected an "
				     "object keyed by product id",
				     ps_conn__json_type_name(all));
		goto done;
	}
	json_object_foreach (all, pkey, prod) {
		count += 1 +
			 json_object_size(json_object_get(prod, "warehouses"));
	}
	if ((error = ps_bp__alloc_items((void **)&out->items, count,
					sizeof(*out->items))) < 0)
		goto done;
	json_object_foreach (all, pkey, prod) {
		json_t *k = json_string(pkey);

		error = ps_conn__json_int_value(&pid, k, "product id",
						"Brightpearl availability");
		json_decref(k);
		if (error < 0)
			goto done;
		snprintf(what, sizeof(what),
			 "Brightpearl availability of product %" PRId64, pid);
		out->items[out->n].product_id = pid;
		if ((error = stock_read(&out->items[out->n],
					json_object_get(prod, "total"), what)) <
		    0)
			goto done;
		out->n++;
		whs = json_object_get(prod, "warehouses");
		json_object_foreach (whs, wkey, w) {
			k = json_string(wkey);
			error = ps_conn__json_int_value(&wid, k, "warehouses",
							what);
			json_decref(k);
			if (error < 0)
				goto done;
			out->items[out->n].product_id = pid;
			out->items[out->n].warehouse_id = wid;
			if ((error = stock_read(&out->items[out->n], w, what)) <
			    0)
				goto done;
			out->n++;
		}
	}
	ps_bp__sort_items(out->items, out->n, sizeof(*out->items), cmp_stock);
done:
	json_decref(all);
	if (error < 0)
		ps_bp_stock_list_dispose(out);
	return error;
}
