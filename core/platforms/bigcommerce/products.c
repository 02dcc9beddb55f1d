/*
 * products.c - the BigCommerce catalog and inventory: products and
 * variants joined into SKUs, find by SKU, stock levels and their update.
 */
#include "pearlsync/bigcommerce.h"
#include "platforms/bigcommerce/bigcommerce_int.h"
#include "platforms/connector.h"
#include "internal.h"
#include "pearlsync/log.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

/* --- catalog and inventory ------------------------------------------------ */

const char *
ps_bc_tracking_name(ps_bc_tracking t)
{
	switch (t) {
	case PS_BC_TRACKING_NONE:
		return "none";
	case PS_BC_TRACKING_PRODUCT:
		return "product";
	case PS_BC_TRACKING_VARIANT:
		return "variant";
	}
	return "?";
}

/* The parts of a product the SKU lookups need. */
struct bc_product {
	int64_t id;
	char *name;
	char *sku;
	char *tracking;
	int64_t inventory_level;
	int64_t base_variant_id;
};

static const struct ps_bc__field bc_product_fields[] = {
	FLD(struct bc_product, "id", id, BK_I64, 1),
	FLD(struct bc_product, "name", name, BK_STR, 0),
	FLD(struct bc_product, "sku", sku, BK_STR, 0),
	FLD(struct bc_product, "inventory_tracking", tracking, BK_STR, 0),
	FLD(struct bc_product, "inventory_level", inventory_level, BK_I64, 0),
	FLD(struct bc_product, "base_variant_id", base_variant_id, BK_I64, 0),
};

struct bc_variant {
	int64_t id;
	int64_t product_id;
	char *sku;
	int64_t inventory_level;
	int has_options;
};

static const struct ps_bc__field bc_variant_fields[] = {
	FLD(struct bc_variant, "id", id, BK_I64, 1),
	FLD(struct bc_variant, "product_id", product_id, BK_I64, 1),
	FLD(struct bc_variant, "sku", sku, BK_STR, 0),
	FLD(struct bc_variant, "inventory_level", inventory_level, BK_I64, 0),
};

static void
bc_product_dispose(void *p)
{
	FIELDS_FREE(p, bc_product_fields);
}

static void
bc_variant_dispose(void *v)
{
	FIELDS_FREE(v, bc_variant_fields);
}

static int
bc_product_row(void *item, const json_t *row, void *ctx)
{
	char what[80];

	(void)ctx;
	snprintf(what, sizeof(what), "BigCommerce product %lld",
		 ps_bc__peek_id(row, "id"));
	return FIELDS_PARSE(item, bc_product_fields, row, what);
}

static int
bc_variant_row(void *item, const json_t *row, void *ctx)
{
	struct bc_variant *v = item;
	const json_t *opts = json_object_get(row, "option_values");
	char what[80];
	int error;

	(void)ctx;
	snprintf(what, sizeof(what), "BigCommerce variant %lld",
		 ps_bc__peek_id(row, "id"));
	if ((error = FIELDS_PARSE(v, bc_variant_fields, row, what)) < 0)
		return error;
	v->has_options = json_is_array(opts) && json_array_size(opts) > 0;
	return 0;
}

static int
tracking_parse(ps_bc_tracking *out, const struct bc_product *p)
{
	if (strcmp(p->tracking, "none") == 0 || *p->tracking == '\0')
		*out = PS_BC_TRACKING_NONE;
	else if (strcmp(p->tracking, "product") == 0)
		*out = PS_BC_TRACKING_PRODUCT;
	else if (strcmp(p->tracking, "variant") == 0)
		*out = PS_BC_TRACKING_VARIANT;
	else
		return ps_error_set(PS_EPARSE,
				    "BigCommerce product %lld: field "
				    "'inventory_tracking' has the unknown "
				    "value '%.40s'",
				    (long long)p->id, p->tracking);
	return 0;
}

/* The fields of out that come from product p, with sku and variant_id. */
static int
sku_fill(ps_bc_sku *out, const char *sku, int64_t variant_id,
	 const struct bc_product *p)
{
	int error;

	memset(out, 0, sizeof(*out));
	if ((error = tracking_parse(&out->tracking, p)) < 0)
		return error;
	out->sku = ps_util__strdup(sku);
	out->product_name = ps_util__strdup(p->name);
	if (out->sku == NULL || out->product_name == NULL) {
		ps_bc_sku_dispose(out);
		return ps_error_set(PS_ENOMEM, NULL);
	}
	out->product_id = p->id;
	out->variant_id = variant_id;
	return 0;
}

/* One ps_bc_sku from a variant and its product. */
static int
sku_make(ps_bc_sku *out, const void *row, const struct bc_product *p)
{
	const struct bc_variant *v = row;
	int error;

	if ((error = sku_fill(out, v->sku, v->id, p)) < 0)
		return error;
	/* A variant with options is never the base one; BigCommerce sets
	 * base_variant_id only for products without options. */
	out->is_base_variant = !v->has_options && (p->base_variant_id == 0 ||
						   v->id == p->base_variant_id);
	out->inventory_level = out->tracking == PS_BC_TRACKING_PRODUCT
				       ? p->inventory_level
				       : v->inventory_level;
	return 0;
}

void
ps_bc_sku_dispose(ps_bc_sku *s)
{
	if (s == NULL)
		return;
	free(s->sku);
	free(s->product_name);
	memset(s, 0, sizeof(*s));
}

static void
sku_dispose_v(void *s)
{
	ps_bc_sku_dispose(s);
}

void
ps_bc_sku_list_dispose(ps_bc_sku_list *l)
{
	if (l == NULL)
		return;
	ps_bc__items_dispose(l->items, l->count, sizeof(*l->items),
			     sku_dispose_v);
	memset(l, 0, sizeof(*l));
}

#define PRODUCT_FIELDS                                                         \
	"include_fields=name,sku,inventory_tracking,inventory_level,"          \
	"base_variant_id"

int
ps_bc_catalog_find_sku(ps_bc_sku *out, ps_bc *bc, const char *sku)
{
	struct ps_bc__vec vars = {NULL, 0, 0, sizeof(struct bc_variant)};
	struct bc_product prod;
	struct bc_variant *match = NULL;
	ps_conn_buf p = PS_CONN_BUF_INIT(0);
	char what[BC_QUERY_VALUE_MAX + 64];
	struct ps_bc__req rq = {"GET", NULL, "v3/catalog/products/{id}",
				NULL,  1,    what};
	json_t *root = NULL;
	size_t i;
	int error;

	memset(out, 0, sizeof(*out));
	memset(&prod, 0, sizeof(prod));
	if (sku == NULL || *sku == '\0' || strlen(sku) > BC_QUERY_VALUE_MAX)
		return ps_error_set(PS_EINVAL,
				    "a SKU to look up in "
				    "BigCommerce is empty or too long");
	snprintf(what, sizeof(what), "looking up SKU '%s'", sku);
	ps_conn__buf_add(&p, "/v3/catalog/variants?sku=");
	ps_conn__buf_add_urlenc(&p, sku);
	if ((error = ps_conn__buf_check(&p, "a SKU lookup URL")) < 0)
		goto done;
	if ((error = ps_bc__walk(bc, &vars, p.data, "v3/catalog/variants", what,
				 1, bc_variant_row, NULL, 0)) < 0)
		goto done;
	/* The filter is exact, but a server may match loosely: prefer an
	 * exact match, then one differing only in case. */
	for (i = 0; i < vars.count && match == NULL; i++)
		if (strcmp(((struct bc_variant *)vars.items)[i].sku, sku) == 0)
			match = &((struct bc_variant *)vars.items)[i];
	for (i = 0; i < vars.count && match == NULL; i++)
		if (strcasecmp(((struct bc_variant *)vars.items)[i].sku, sku) ==
		    0)
			match = &((struct bc_variant *)vars.items)[i];
	if (match == NULL) {
		error = ps_error_set(PS_ENOTFOUND,
				     "SKU '%s' not found in BigCommerce "
				     "(variant search by SKU)",
				     sku);
		goto done;
	}
	ps_conn__buf_dispose(&p);
	ps_conn__buf_addf(&p, "/v3/catalog/products/%lld?" PRODUCT_FIELDS,
			  (long long)match->product_id);
	if ((error = ps_conn__buf_check(&p, "a product URL")) < 0)
		goto done;
	rq.path = p.data;
	if ((error = ps_bc__call_json(&root, bc, &rq)) < 0)
		goto done;
	if ((error = bc_product_row(&prod, ps_bc__v3_data(root), NULL)) < 0)
		goto done;
	error = sku_make(out, match, &prod);
done:
	bc_product_dispose(&prod);
	ps_bc__vec_dispose(&vars, bc_variant_dispose);
	json_decref(root);
	ps_conn__buf_dispose(&p);
	return error;
}

static int
product_cmp(const void *a, const void *b)
{
	int64_t x = ((const struct bc_product *)a)->id;
	int64_t y = ((const struct bc_product *)b)->id;

	return (x > y) - (x < y);
}

/*
 * The SKUs of rows (variants or stock items: a struct with a char *sku at
 * sku_off and an int64_t product id at product_off) joined to their
 * products, each made by make, into *out.  Rows without a SKU and rows
 * whose product appeared between the two walks are left out.  prods is
 * sorted here.
 */
static int
join_products(ps_bc_sku_list *out, struct ps_bc__vec *prods,
	      const struct ps_bc__vec *rows, size_t sku_off, size_t product_off,
	      int (*make)(ps_bc_sku *, const void *, const struct bc_product *))
{
	struct ps_bc__vec skus = {NULL, 0, 0, sizeof(ps_bc_sku)};
	size_t i;
	int error = 0;

	/* an empty page leaves items NULL, which qsort and bsearch must not
	 * see even with a count of 0 (their arguments are declared nonnull) */
	if (prods->count > 1)
		qsort(prods->items, prods->count, prods->size, product_cmp);
	for (i = 0; i < rows->count && prods->count > 0; i++) {
		const char *row = (const char *)rows->items + i * rows->size;
		const char *sku = *(char *const *)(const void *)(row + sku_off);
		struct bc_product key, *p;
		ps_bc_sku *slot;

		memcpy(&key.id, row + product_off, sizeof(key.id));
		if (sku == NULL || *sku == '\0')
			continue;
		p = bsearch(&key, prods->items, prods->count, prods->size,
			    product_cmp);
		if (p == NULL) /* created between the two walks */
			continue;
		if ((slot = ps_bc__vec_push(&skus)) == NULL) {
			error = ps_error_set(PS_ENOMEM, NULL);
			goto done;
		}
		if ((error = make(slot, row, p)) < 0) {
			skus.count--;
			goto done;
		}
	}
	out->items = skus.items;
	out->count = skus.count;
	memset(&skus, 0, sizeof(skus));
done:
	ps_bc__vec_dispose(&skus, sku_dispose_v);
	return error;
}

int
ps_bc_catalog_list_skus(ps_bc_sku_list *out, ps_bc *bc)
{
	struct ps_bc__vec prods = {NULL, 0, 0, sizeof(struct bc_product)};
	struct ps_bc__vec vars = {NULL, 0, 0, sizeof(struct bc_variant)};
	int error;

	memset(out, 0, sizeof(*out));
	if ((error = ps_bc__walk(bc, &prods,
				 "/v3/catalog/products?" PRODUCT_FIELDS,
				 "v3/catalog/products", "listing products", 1,
				 bc_product_row, NULL, 0)) < 0)
		goto done;
	if ((error = ps_bc__walk(bc, &vars, "/v3/catalog/variants",
				 "v3/catalog/variants", "listing variants", 1,
				 bc_variant_row, NULL, 0)) < 0)
		goto done;
	error = join_products(
		out, &prods, &vars, offsetof(struct bc_variant, sku),
		offsetof(struct bc_variant, product_id), sku_make);
done:
	ps_bc__vec_dispose(&vars, bc_variant_dispose);
	ps_bc__vec_dispose(&prods, bc_product_dispose);
	return error;
}

/* One item of GET /v3/inventory/locations/{id}/items. */
struct bc_stock_item {
	char *sku;
	int64_t variant_id;
	int64_t product_id;
	int64_t onhand; /* total_inventory_onhand: what an absolute sets */
};

static const struct ps_bc__field bc_stock_item_fields[] = {
	FLD(struct bc_stock_item, "identity.sku", sku, BK_STR, 0),
	FLD(struct bc_stock_item, "identity.variant_id", variant_id, BK_I64, 1),
	FLD(struct bc_stock_item, "identity.product_id", product_id, BK_I64, 1),
	FLD(struct bc_stock_item, "total_inventory_onhand", onhand, BK_I64, 1),
};

static void
bc_stock_item_dispose(void *it)
{
	FIELDS_FREE(it, bc_stock_item_fields);
}

static int
bc_stock_item_row(void *item, const json_t *row, void *ctx)
{
	char what[96];

	(void)ctx;
	snprintf(
		what, sizeof(what), "BigCommerce inventory item (variant %lld)",
		ps_bc__peek_id(json_object_get(row, "identity"), "variant_id"));
	return FIELDS_PARSE(item, bc_stock_item_fields, row, what);
}

/*
 * A product as the stock list needs it: no strings.  20,000 of these are
 * 0.5 MB where struct bc_product with its name, SKU and tracking text
 * is some 3 MB.
 */
struct bc_product_lite {
	int64_t id;
	int64_t base_variant_id;
	ps_bc_tracking tracking;
};

static int
bc_product_lite_row(void *item, const json_t *row, void *ctx)
{
	struct bc_product_lite *l = item;
	struct bc_product p;
	int error;

	memset(&p, 0, sizeof(p));
	if ((error = bc_product_row(&p, row, ctx)) == 0 &&
	    (error = tracking_parse(&l->tracking, &p)) == 0) {
		l->id = p.id;
		l->base_variant_id = p.base_variant_id;
	}
	bc_product_dispose(&p);
	return error;
}

static int
lite_cmp(const void *a, const void *b)
{
	int64_t x = ((const struct bc_product_lite *)a)->id;
	int64_t y = ((const struct bc_product_lite *)b)->id;

	return (x > y) - (x < y);
}

#define LITE_FIELDS "include_fields=inventory_tracking,base_variant_id"

/*
 * Why the inventory items and not the catalog's inventory_level: the
 * catalog reads only the default location (reference digest section 11A),
 * the items list reads the location pearlsync writes, so a comparison can
 * never chase a level kept elsewhere; and it takes 1000 items a page
 * against the catalog's 250 [spec:inventory.v3.yml "Limit of 1000 items"].
 * The catalog walk is still needed for inventory_tracking, which the
 * items do not carry; it keeps only ids and tracking (no strings), and
 * the SKUs carry no product name (NULL): the reconcile of a 20,000-SKU
 * store must fit the worker's memory bound.
 */
int
ps_bc_inventory_list(ps_bc_sku_list *out, ps_bc *bc)
{
	struct ps_bc__vec prods = {NULL, 0, 0, sizeof(struct bc_product_lite)};
	struct ps_bc__vec items = {NULL, 0, 0, sizeof(struct bc_stock_item)};
	struct ps_bc__vec skus = {NULL, 0, 0, sizeof(ps_bc_sku)};
	char path[96], what[96];
	size_t i;
	int error;

	memset(out, 0, sizeof(*out));
	if ((error = ps_bc__walk(bc, &prods,
				 "/v3/catalog/products?" LITE_FIELDS,
				 "v3/catalog/products", "listing products", 1,
				 bc_product_lite_row, NULL, 0)) < 0)
		goto done;
	if (prods.count > 0 && prods.count < prods.cap) {
		/* the doubling's slack back before the next walk */
		void *v = realloc(prods.items, prods.count * prods.size);

		if (v != NULL) {
			prods.items = v;
			prods.cap = prods.count;
		}
	}
	if (prods.count > 1)
		qsort(prods.items, prods.count, prods.size, lite_cmp);
	snprintf(path, sizeof(path), "/v3/inventory/locations/%lld/items",
		 (long long)bc->location_id);
	snprintf(what, sizeof(what), "reading the stock at location %lld",
		 (long long)bc->location_id);
	if ((error = ps_bc__walk_limit(bc, &items, path,
				       "v3/inventory/locations/{id}/items",
				       what, 1, bc_stock_item_row, NULL, 0,
				       PS_BC_INVENTORY_PAGE_MAX)) < 0)
		goto done;
	/* one allocation of the size needed, not doublings of it */
	if (items.count > 0 &&
	    (skus.items = malloc(items.count * sizeof(ps_bc_sku))) == NULL) {
		error = ps_error_set(PS_ENOMEM, NULL);
		goto done;
	}
	skus.cap = items.count;
	for (i = 0; i < items.count && prods.count > 0; i++) {
		struct bc_stock_item *it =
			(struct bc_stock_item *)items.items + i;
		struct bc_product_lite key, *p;
		ps_bc_sku *slot;

		if (it->sku == NULL || *it->sku == '\0')
			continue;
		key.id = it->product_id;
		p = bsearch(&key, prods.items, prods.count, prods.size,
			    lite_cmp);
		if (p == NULL) /* created between the two walks */
			continue;
		if ((slot = ps_bc__vec_push(&skus)) == NULL) {
			error = ps_error_set(PS_ENOMEM, NULL);
			goto done;
		}
		memset(slot, 0, sizeof(*slot));
		/* the item's SKU moves to the list: no copy */
		slot->sku = it->sku;
		it->sku = NULL;
		slot->product_id = p->id;
		slot->variant_id = it->variant_id;
		slot->tracking = p->tracking;
		slot->is_base_variant = p->base_variant_id == it->variant_id;
		slot->inventory_level = it->onhand;
	}
	out->items = skus.items;
	out->count = skus.count;
	memset(&skus, 0, sizeof(skus));
done:
	ps_bc__vec_dispose(&skus, sku_dispose_v);
	ps_bc__vec_dispose(&items, bc_stock_item_dispose);
	ps_bc__vec_dispose(&prods, NULL);
	return error;
}

/*
 * Why /v3/inventory/adjustments/absolute and not PUT /v3/catalog/variants:
 * it takes 2000 items a request against the variants batch's 50 (40 times
 * fewer requests against a 150-per-30-s quota: a 20,000-SKU reconcile is 10
 * requests), it sets product- and variant-tracked items alike in one body,
 * names the location explicitly, and an absolute level never fails for
 * insufficient stock.  The catalog writes call it internally anyway.
 */
int
ps_bc_inventory_set(size_t *out_sent, ps_bc *bc, const ps_bc_stock *items,
		    size_t n, const char *reason)
{
	size_t start = 0, i;
	int error = 0;

	if (out_sent)
		*out_sent = 0;
	for (i = 0; i < n; i++) {
		if (items[i].tracking == PS_BC_TRACKING_NONE ||
		    (items[i].tracking == PS_BC_TRACKING_PRODUCT &&
		     items[i].product_id <= 0) ||
		    (items[i].tracking == PS_BC_TRACKING_VARIANT &&
		     items[i].variant_id <= 0))
			return ps_error_set(PS_EINVAL,
					    "BigCommerce stock item %zu "
					    "(product %lld, variant %lld) has "
					    "no tracked id to set",
					    i + 1,
					    (long long)items[i].product_id,
					    (long long)items[i].variant_id);
		if (items[i].quantity < 0 || items[i].quantity > INT32_MAX)
			return ps_error_set(PS_EINVAL,
					    "BigCommerce stock level %lld for "
					    "product %lld is out of range",
					    (long long)items[i].quantity,
					    (long long)items[i].product_id);
	}
	while (start < n) {
		size_t end = start + (size_t)bc->inventory_batch;
		char what[96];
		struct ps_bc__req rq = {"PUT",
					"/v3/inventory/adjustments/absolute",
					"v3/inventory/adjustments/absolute",
					NULL,
					1,
					what};
		json_t *arr = json_array(), *root = NULL;

		if (end > n)
			end = n;
		snprintf(what, sizeof(what),
			 "setting stock levels (items %zu-%zu of %zu)",
			 start + 1, end, n);
		rq.body = json_pack("{s:s,s:o}", "reason",
				    reason ? reason : "pearlsync", "items",
				    json_incref(arr));
		for (i = start; rq.body && arr && i < end; i++) {
			const ps_bc_stock *it = &items[i];
			int v = it->tracking == PS_BC_TRACKING_VARIANT;

			if (json_array_append_new(
				    arr,
				    json_pack("{s:I,s:I,s:I}", "location_id",
					      (json_int_t)bc->location_id,
					      v ? "variant_id" : "product_id",
					      (json_int_t)(v ? it->variant_id
							     : it->product_id),
					      "quantity",
					      (json_int_t)it->quantity)) < 0)
				break;
		}
		if (rq.body == NULL || arr == NULL || i < end) {
			json_decref(arr);
			json_decref(rq.body);
			return ps_error_set(PS_ENOMEM, NULL);
		}
		json_decref(arr);
		error = ps_bc__call_json(&root, bc, &rq);
		json_decref(root);
		json_decref(rq.body);
		if (error < 0)
			return error;
		if (out_sent)
			*out_sent = end;
		start = end;
	}
	return 0;
}
