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

/*
 * Read rows (a JSON array) into out->items with read, sorted by id; with
 * column set, only rows whose column equals value exactly (a search column
 * may match loosely).  The caller keeps rows alive through out->priv__.
 */
static int
list_fill(ps_bp_product_list *out, const json_t *rows,
	  int (*read)(ps_bp_product *, const json_t *), const char *column,
	  const char *value)
{
	const json_t *row;
	const char *v;
	size_t i;
	int error;

	if ((error = ps_bp__alloc_items((void **)&out->items,
					json_array_size(rows),
					sizeof(*out->items))) < 0)
		return error;
	json_array_foreach (rows, i, row) {
		if (column != NULL) {
			v = json_string_value(json_object_get(row, column));
			if (v == NULL || strcmp(v, value) != 0)
				continue;
		}
		if ((error = read(&out->items[out->n], row)) < 0)
			return error;
		out->n++;
	}
	ps_bp__sort_items(out->items, out->n, sizeof(*out->items),
			  ps_bp__cmp_id_field);
	return 0;
}

int
ps_bp_product_find(ps_bp_product_list *out, ps_bp *bp, ps_bp_identity field,
		   const char *value)
{
	ps_conn_buf q = PS_CONN_BUF_INIT(2048);
	json_t *rows = NULL;
	char what[PS__BP_WHAT_MAX];
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
	error = list_fill(out, rows, product_row_read, identities[field].column,
			  value);
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
	json_t *all = NULL, *arr = NULL;
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
	error = list_fill(out, arr, product_read, NULL, NULL);
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

/* The items read so far by ps_bp_availability_get, and their room. */
struct stock_acc {
	ps_bp_stock_list *out;
	size_t cap;
};

static int
stock_push(struct stock_acc *a, ps_bp_stock **slot)
{
	if (a->out->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 256;
		ps_bp_stock *v = realloc(a->out->items, cap * sizeof(*v));

		if (v == NULL)
			return ps_error_set(PS_ENOMEM, NULL);
		a->out->items = v;
		a->cap = cap;
	}
	*slot = &a->out->items[a->out->n];
	memset(*slot, 0, sizeof(**slot));
	return 0;
}

/* One chunk's reply (an object keyed by product id) into the items. */
static int
stock_chunk(void *ctx, json_t *all, const char *unused)
{
	struct stock_acc *a = ctx;
	json_t *prod, *whs, *w;
	const char *pkey, *wkey;
	char what[PS__BP_WHAT_MAX];
	ps_bp_stock *s = NULL;
	int64_t pid, wid;
	int error;

	(void)unused;
	if (json_is_array(all) && json_array_size(all) == 0)
		return 0;
	if (!json_is_object(all))
		return ps_error_set(PS_EDATA,
				    "Brightpearl product "
				    "availability: reply is %s, expected an "
				    "object keyed by product id",
				    ps_conn__json_type_name(all));
	json_object_foreach (all, pkey, prod) {
		json_t *k = json_string(pkey);

		error = ps_conn__json_int_value(&pid, k, "product id",
						"Brightpearl availability");
		json_decref(k);
		if (error < 0)
			return error;
		snprintf(what, sizeof(what),
			 "Brightpearl availability of product %" PRId64, pid);
		if ((error = stock_push(a, &s)) < 0)
			return error;
		s->product_id = pid;
		if ((error = stock_read(s, json_object_get(prod, "total"),
					what)) < 0)
			return error;
		a->out->n++;
		whs = json_object_get(prod, "warehouses");
		json_object_foreach (whs, wkey, w) {
			k = json_string(wkey);
			error = ps_conn__json_int_value(&wid, k, "warehouses",
							what);
			json_decref(k);
			if (error < 0)
				return error;
			if ((error = stock_push(a, &s)) < 0)
				return error;
			s->product_id = pid;
			s->warehouse_id = wid;
			if ((error = stock_read(s, w, what)) < 0)
				return error;
			a->out->n++;
		}
	}
	return 0;
}

/*
 * Each id set's reply is read into the compact items as it arrives and
 * dropped: the JSON of 20,000 products' availability (tens of MB as
 * Jansson trees) is never held at once, only 200 products' of it.
 */
int
ps_bp_availability_get(ps_bp_stock_list *out, ps_bp *bp,
		       const int64_t *product_ids, size_t n)
{
	struct stock_acc a = {out, 0};
	int error;

	out->items = NULL;
	out->n = 0;
	if ((error = ps_bp__get_ids_each(
		     bp, "/warehouse-service/product-availability/", NULL,
		     product_ids, n, "product availability", stock_chunk, &a)) <
	    0) {
		ps_bp_stock_list_dispose(out);
		return error;
	}
	if (out->n > 1)
		ps_bp__sort_items(out->items, out->n, sizeof(*out->items),
				  cmp_stock);
	return 0;
}

/* ---- finding the product an operator means ------------------------------ */

/* Whether s is a product id as a mapping stores it: digits, no sign. */
static int
is_id(const char *s, int64_t *out)
{
	char *end;
	long long v;

	*out = 0;
	if (s == NULL || s[0] < '0' || s[0] > '9' || strlen(s) > 18)
		return 0;
	v = strtoll(s, &end, 10);
	if (*end != '\0' || v <= 0)
		return 0;
	*out = (int64_t)v;
	return 1;
}

/* Append the rows of one search to all, skipping products already there. */
static int
search_merge(json_t *all, ps_bp *bp, const char *column, const char *text)
{
	ps_conn_buf q = PS_CONN_BUF_INIT(1024);
	json_t *rows = NULL, *row, *have;
	char what[PS__BP_WHAT_MAX];
	size_t i, j;
	int error, dup;

	snprintf(what, sizeof(what), "product search by %s", column);
	ps_conn__buf_addf(&q, "%s=", column);
	ps_conn__buf_add_urlenc(&q, text);
	if ((error = ps_conn__buf_check(&q, "Brightpearl product search")) <
		    0 ||
	    (error = ps_bp__search(&rows, bp, "/product-service/product-search",
				   ps_conn__buf_str(&q), what)) < 0)
		goto done;
	json_array_foreach (rows, i, row) {
		json_t *id = json_object_get(row, "productId");

		dup = 0;
		json_array_foreach (all, j, have)
			if (json_equal(json_object_get(have, "productId"), id))
				dup = 1;
		if (!dup && json_array_append(all, row) < 0) {
			error = ps_error_set(PS_ENOMEM, NULL);
			goto done;
		}
	}
done:
	json_decref(rows);
	ps_conn__buf_dispose(&q);
	return error;
}

int
ps_bp_product_search(ps_bp_product_list *out, ps_bp *bp, const char *text,
		     size_t max)
{
	json_t *all = NULL;
	int64_t id;
	int error;

	memset(out, 0, sizeof(*out));
	if (text == NULL || text[0] == '\0')
		return ps_error_set(PS_EINVAL, "Brightpearl product search: "
					       "nothing to search for");
	if ((all = json_array()) == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	/* the id first, then the exact SKU, then names: the list is sorted
	 * by id afterwards, but a cap keeps the closest matches */
	if ((is_id(text, &id) &&
	     (error = search_merge(all, bp, "productId", text)) < 0) ||
	    (error = search_merge(all, bp, "SKU", text)) < 0 ||
	    (error = search_merge(all, bp, "productName", text)) < 0)
		goto done;
	while (max > 0 && json_array_size(all) > max)
		json_array_remove(all, json_array_size(all) - 1);
	out->priv__ = json_incref(all);
	error = list_fill(out, all, product_row_read, NULL, NULL);
done:
	json_decref(all);
	if (error < 0)
		ps_bp_product_list_dispose(out);
	return error;
}

/* "1001 TEE-RED-M Red tee; 1002 ..." for at most five products. */
static void
candidates(char *buf, size_t cap, const ps_bp_product_list *l)
{
	size_t i, len = 0;

	buf[0] = '\0';
	for (i = 0; i < l->n && i < 5 && len < cap; i++)
		len += (size_t)snprintf(
			buf + len, cap - len, "%s%" PRId64 " %s %s",
			i ? "; " : "", l->items[i].id,
			l->items[i].sku ? l->items[i].sku : "-",
			l->items[i].name ? l->items[i].name : "");
	if (l->n > 5 && len < cap)
		snprintf(buf + len, cap - len, "; and more");
}

int
ps_bp_product_resolve(int64_t *out_id, char *out_how, size_t cap, ps_bp *bp,
		      const char *value)
{
	ps_bp_product_list l = {0};
	char list[400];
	int64_t id;
	int error;

	*out_id = 0;
	if (out_how != NULL && cap > 0)
		out_how[0] = '\0';
	if (value == NULL || value[0] == '\0')
		return ps_error_set(PS_EINVAL, "no Brightpearl product given");
	if (is_id(value, &id)) {
		if ((error = ps_bp_product_get(&l, bp, &id, 1)) < 0)
			return error;
		if (l.n == 0) {
			ps_bp_product_list_dispose(&l);
			return ps_error_set(PS_ENOTFOUND,
					    "Brightpearl product %" PRId64
					    " does not exist",
					    id);
		}
		if (out_how != NULL)
			snprintf(out_how, cap,
				 "product %" PRId64 " (SKU %s%s%s)", id,
				 l.items[0].sku ? l.items[0].sku : "-",
				 l.items[0].name ? ", " : "",
				 l.items[0].name ? l.items[0].name : "");
		*out_id = id;
		ps_bp_product_list_dispose(&l);
		return 0;
	}
	if ((error = ps_bp_product_find(&l, bp, PS_BP_IDENTITY_SKU, value)) < 0)
		return error;
	if (l.n == 1) {
		*out_id = l.items[0].id;
		if (out_how != NULL)
			snprintf(out_how, cap,
				 "SKU '%s' is Brightpearl product %" PRId64
				 "%s%s%s",
				 value, l.items[0].id,
				 l.items[0].name ? " (" : "",
				 l.items[0].name ? l.items[0].name : "",
				 l.items[0].name ? ")" : "");
		ps_bp_product_list_dispose(&l);
		return 0;
	}
	if (l.n > 1) {
		candidates(list, sizeof(list), &l);
		error = ps_error_set(PS_EINVAL,
				     "SKU '%s' matches %zu Brightpearl "
				     "products (%s): give the product id",
				     value, l.n, list);
		ps_bp_product_list_dispose(&l);
		return error;
	}
	ps_bp_product_list_dispose(&l);
	if ((error = ps_bp_product_search(&l, bp, value, 6)) < 0)
		return error;
	candidates(list, sizeof(list), &l);
	error = ps_error_set(PS_ENOTFOUND,
			     "no Brightpearl product has SKU '%s'%s%s%s", value,
			     l.n ? " (names containing it: " : "", list,
			     l.n ? ")" : "");
	ps_bp_product_list_dispose(&l);
	return error;
}

/* ---- the catalogue export's reads --------------------------------------- */

void
ps_bp_catalog_dispose(ps_bp_catalog *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n; i++)
		free(c->items[i].options);
	free(c->items);
	json_decref((json_t *)c->priv__);
	memset(c, 0, sizeof(*c));
}

/*
 * The options of a variant: "variations" [{optionId, optionName,
 * optionValueId, optionValue}] (Brightpearl's product GET; a product in
 * no group has none).
 */
static int
catalog_options(ps_bp_catalog_item *it, const json_t *j, const char *what)
{
	const json_t *vars = json_object_get(j, "variations"), *v;
	size_t i;
	int error;

	if (vars == NULL || json_is_null(vars) || json_array_size(vars) == 0)
		return 0;
	if (!json_is_array(vars))
		return ps_error_set(PS_EDATA,
				    "%s: field 'variations' is %s, "
				    "expected an array",
				    what, ps_conn__json_type_name(vars));
	it->options = calloc(json_array_size(vars), sizeof(*it->options));
	if (it->options == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	json_array_foreach (vars, i, v) {
		ps_bp_option *o = &it->options[it->noptions];

		if ((error = ps_conn__json_str(&o->name, v, "optionName",
					       what)) < 0 ||
		    (error = ps_conn__json_str(&o->value, v, "optionValue",
					       what)) < 0)
			return error;
		it->noptions++;
	}
	return 0;
}

static int
catalog_item_read(ps_bp_catalog_item *it, const json_t *j)
{
	char what[PS__BP_WHAT_MAX];
	const json_t *chan, *w;
	int error;

	memset(it, 0, sizeof(*it));
	if ((error = ps_conn__json_int(&it->id, j, "id",
				       "Brightpearl product")) < 0)
		return error;
	snprintf(what, sizeof(what), "Brightpearl product %" PRId64, it->id);
	if ((error = ps_conn__json_int_opt(&it->group_id, j, "productGroupId",
					   what, 0)) < 0 ||
	    (error = ps_conn__json_str_opt(&it->sku, j, "identity.sku", what)) <
		    0 ||
	    (error = ps_conn__json_str_opt(&it->barcode, j, "identity.barcode",
					   what)) < 0 ||
	    (error = ps_conn__json_str_opt(&it->updated_on, j, "updatedOn",
					   what)) < 0)
		return error;
	w = ps_conn__json_at(j, "stock.weight.magnitude");
	if (w != NULL && !json_is_null(w)) {
		if ((error = ps_conn__json_money(&it->weight, j,
						 "stock.weight.magnitude",
						 what)) < 0)
			return error;
		it->has_weight = 1;
	}
	chan = json_array_get(json_object_get(j, "salesChannels"), 0);
	if (chan != NULL &&
	    ((error = ps_conn__json_str_opt(&it->name, chan, "productName",
					    what)) < 0 ||
	     (error = ps_conn__json_str_opt(&it->description, chan,
					    "description.text", what)) < 0))
		return error;
	return catalog_options(it, j, what);
}

static int
catalog_cmp(const void *a, const void *b)
{
	const ps_bp_catalog_item *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

/* The quantity-1 price of each product on list, from the price reply. */
static int
catalog_prices(ps_bp_catalog *c, const json_t *prices, int64_t list)
{
	const json_t *row, *pl;
	size_t i, k;
	int error;

	json_array_foreach (prices, i, row) {
		ps_bp_catalog_item key, *it;

		memset(&key, 0, sizeof(key));
		if ((error = ps_conn__json_int(&key.id, row, "productId",
					       "Brightpearl product price")) <
		    0)
			return error;
		it = c->n ? bsearch(&key, c->items, c->n, sizeof(*c->items),
				    catalog_cmp)
			  : NULL;
		if (it == NULL)
			continue;
		json_array_foreach (json_object_get(row, "priceLists"), k, pl) {
			int64_t id = 0;

			if (ps_conn__json_int_opt(&id, pl, "priceListId",
						  "Brightpearl price list",
						  0) < 0 ||
			    id != list)
				continue;
			if (ps_conn__json_at(pl, "quantityPrice.1") == NULL)
				continue;
			if ((error = ps_conn__json_money(
				     &it->price, pl, "quantityPrice.1",
				     "Brightpearl product price")) < 0)
				return error;
			it->has_price = 1;
		}
	}
	return 0;
}

int
ps_bp_catalog_get(ps_bp_catalog *out, ps_bp *bp, const int64_t *ids, size_t n,
		  int64_t price_list_id)
{
	json_t *all = NULL, *arr = NULL, *prices = NULL, *keep = NULL;
	const json_t *row;
	size_t i;
	int error;

	memset(out, 0, sizeof(*out));
	if (n == 0)
		return 0;
	if ((error = ps_bp__get_ids(&all, bp, "/product-service/product/", NULL,
				    ids, n, "product get")) < 0)
		return error;
	if ((arr = ps_bp__values_of(all)) == NULL ||
	    (keep = json_array()) == NULL || json_array_append(keep, all) < 0) {
		error = ps_error_set(PS_ENOMEM, NULL);
		goto done;
	}
	out->priv__ = keep;
	keep = NULL;
	if ((error = ps_bp__alloc_items((void **)&out->items,
					json_array_size(arr),
					sizeof(*out->items))) < 0)
		goto done;
	json_array_foreach (arr, i, row) {
		if ((error = catalog_item_read(&out->items[out->n], row)) < 0) {
			free(out->items[out->n].options);
			goto done;
		}
		out->n++;
	}
	ps_bp__sort_items(out->items, out->n, sizeof(*out->items), catalog_cmp);
	if (price_list_id <= 0 || out->n == 0)
		goto done;
	if ((error = ps_bp__get_ids(&prices, bp,
				    "/product-service/product-price/", NULL,
				    ids, n, "product prices")) < 0)
		goto done;
	if (json_array_append(out->priv__, prices) < 0) {
		error = ps_error_set(PS_ENOMEM, NULL);
		goto done;
	}
	error = catalog_prices(out, prices, price_list_id);
done:
	json_decref(prices);
	json_decref(keep);
	json_decref(arr);
	json_decref(all);
	if (error < 0)
		ps_bp_catalog_dispose(out);
	return error;
}
