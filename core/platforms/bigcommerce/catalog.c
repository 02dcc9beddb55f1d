/*
 * catalog.c - BigCommerce catalog writes: create a product with its
 * variants, batch updates of products and variants, and the variants of
 * one product (to adopt a product whose create reply was lost).
 *
 * The limits are BigCommerce's [spec:catalog/products_catalog.v3.yml PUT
 * /catalog/products "Batches are limited to 10 products"; POST "Only one
 * product can be created at a time"; spec:catalog/
 * product-variants_catalog.v3.yml PUT /catalog/variants, 50 a request,
 * 413 beyond].  Prices and weights are JSON numbers there, so they are
 * sent as reals (four places at most: ps_money).
 */
#include "pearlsync/bigcommerce.h"
#include "platforms/bigcommerce/bigcommerce_int.h"
#include "platforms/connector.h"
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#define PRODUCT_BATCH_MAX 10
#define VARIANT_BATCH_MAX 50

void
ps_bc_created_dispose(ps_bc_created *c)
{
	if (c == NULL)
		return;
	free(c->variant_ids);
	memset(c, 0, sizeof(*c));
}

void
ps_bc_catalog_outcomes_dispose(ps_bc_catalog_outcome *o, size_t n)
{
	size_t i;

	for (i = 0; o != NULL && i < n; i++) {
		free(o[i].why);
		o[i].why = NULL;
		o[i].code = 0;
	}
}

static int
set_num(json_t *o, const char *key, ps_money m)
{
	if (json_object_set_new(o, key, json_real((double)m / PS_MONEY_SCALE)) <
	    0)
		return ps_error_set(PS_ENOMEM, NULL);
	return 0;
}

static int
set_str(json_t *o, const char *key, const char *s)
{
	if (s != NULL && json_object_set_new(o, key, json_string(s)) < 0)
		return ps_error_set(PS_ENOMEM, NULL);
	return 0;
}

/* The set fields of f into o; variant: no name or description. */
static int
fields_json(json_t *o, const ps_bc_catalog_fields *f, int variant)
{
	int error;

	if ((!variant && (error = set_str(o, "name", f->name)) < 0) ||
	    (error = set_str(o, "sku", f->sku)) < 0 ||
	    (error = set_str(o, "upc", f->upc)) < 0 ||
	    (!variant &&
	     (error = set_str(o, "description", f->description)) < 0) ||
	    (f->has_weight && (error = set_num(o, "weight", f->weight)) < 0) ||
	    (f->has_price && (error = set_num(o, "price", f->price)) < 0))
		return error;
	return 0;
}

/* One request with status kept: 409 becomes PS_EEXISTS, detail kept. */
static int
call(json_t **out, ps_bc *bc, const struct ps_bc__req *rq)
{
	ps_http_response resp = PS_HTTP_RESPONSE_INIT;
	int error;

	*out = NULL;
	error = ps_bc__call(bc, &resp, rq);
	if (error == PS_EDATA && resp.status == 409) {
		char *why = ps_util__strdup(ps_error_last());

		error = ps_error_set(PS_EEXISTS, "%s", why ? why : "conflict");
		free(why);
	}
	if (error == 0 && resp.body_len > 0 &&
	    (error = ps_conn__json_parse(out, resp.body, resp.body_len,
					 rq->what)) < 0)
		error = ps_error_set(PS_EPARSE,
				     "BigCommerce: %s: the reply "
				     "is not JSON",
				     rq->what);
	ps_http_response_dispose(&resp);
	return error;
}

static json_t *
variant_json(const ps_bc_variant_new *v)
{
	json_t *o = json_object(), *ov = json_array();
	size_t i;

	if (o == NULL || ov == NULL || fields_json(o, &v->f, 1) < 0)
		goto fail;
	for (i = 0; i < v->noptions; i++)
		if (json_array_append_new(
			    ov, json_pack("{s:s,s:s}", "option_display_name",
					  v->options[i].option, "label",
					  v->options[i].label)) < 0)
			goto fail;
	if (json_object_set_new(o, "option_values", ov) < 0)
		goto fail_o;
	return o;
fail:
	json_decref(ov);
fail_o:
	json_decref(o);
	return NULL;
}

/* The created variants' ids, matched to v by SKU (BigCommerce's order is
 * not promised). */
static int
created_read(ps_bc_created *out, const json_t *data, const ps_bc_variant_new *v,
	     size_t nv)
{
	const json_t *vars = json_object_get(data, "variants"), *row;
	size_t i, k, want = nv ? nv : 1;
	int error;

	if ((error = ps_conn__json_int(&out->product_id, data, "id",
				       "BigCommerce created product")) < 0)
		return error;
	if ((out->variant_ids = calloc(want, sizeof(int64_t))) == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	out->nvariants = want;
	if (nv == 0)
		return ps_conn__json_int_opt(&out->variant_ids[0], data,
					     "base_variant_id",
					     "BigCommerce created product", 0);
	json_array_foreach (vars, k, row) {
		const char *sku =
			json_string_value(json_object_get(row, "sku"));

		for (i = 0; sku != NULL && i < nv; i++)
			if (v[i].f.sku && strcmp(v[i].f.sku, sku) == 0 &&
			    (error = ps_conn__json_int(
				     &out->variant_ids[i], row, "id",
				     "BigCommerce created variant")) < 0)
				return error;
	}
	return 0;
}

/*
 * Variant ids the create's reply did not carry (the spec does not promise
 * the variants in it): read the product's variants and match by SKU.
 */
static int
created_complete(ps_bc_created *out, ps_bc *bc, const ps_bc_variant_new *v,
		 size_t nv)
{
	ps_bc_sku_list l = {0};
	size_t i, k, missing = 0;
	int error;

	for (i = 0; i < nv; i++)
		missing += out->variant_ids[i] == 0;
	if (missing == 0)
		return 0;
	if ((error = ps_bc_catalog_variants_of(&l, bc, out->product_id)) < 0)
		return error;
	for (i = 0; i < nv; i++)
		for (k = 0; out->variant_ids[i] == 0 && k < l.count; k++)
			if (v[i].f.sku &&
			    strcmp(l.items[k].sku, v[i].f.sku) == 0)
				out->variant_ids[i] = l.items[k].variant_id;
	ps_bc_sku_list_dispose(&l);
	return 0;
}

int
ps_bc_catalog_create(ps_bc_created *out, ps_bc *bc,
		     const ps_bc_catalog_fields *p, const ps_bc_variant_new *v,
		     size_t nv)
{
	char what[160];
	struct ps_bc__req rq = {
		"POST", "/v3/catalog/products", "v3/catalog/products", NULL, 0,
		what};
	json_t *body = json_object(), *vars = NULL, *root = NULL;
	size_t i;
	int error = 0;

	memset(out, 0, sizeof(*out));
	snprintf(what, sizeof(what), "creating product '%.60s' (SKU %.40s)",
		 p->name ? p->name : "",
		 p->sku && *p->sku  ? p->sku
		 : nv && v[0].f.sku ? v[0].f.sku
				    : "-");
	if (body == NULL ||
	    json_object_set_new(body, "type", json_string("physical")) < 0) {
		error = ps_error_set(PS_ENOMEM, NULL);
		goto done;
	}
	if ((error = fields_json(body, p, 0)) < 0)
		goto done;
	/* required by BigCommerce: sent for it to judge when absent */
	if ((json_object_get(body, "name") == NULL &&
	     (error = set_str(body, "name", "")) < 0) ||
	    (!p->has_weight && (error = set_num(body, "weight", 0)) < 0) ||
	    (!p->has_price && (error = set_num(body, "price", 0)) < 0))
		goto done;
	if (nv > 0) {
		if ((vars = json_array()) == NULL ||
		    json_object_set(body, "variants", vars) < 0) {
			error = ps_error_set(PS_ENOMEM, NULL);
			goto done;
		}
		for (i = 0; i < nv; i++)
			if (json_array_append_new(vars, variant_json(&v[i])) <
			    0) {
				error = ps_error_set(PS_ENOMEM, NULL);
				goto done;
			}
	}
	rq.body = body;
	if ((error = call(&root, bc, &rq)) < 0)
		goto done;
	if ((error = created_read(out, ps_bc__v3_data(root), v, nv)) < 0 ||
	    (error = created_complete(out, bc, v, nv)) < 0)
		ps_bc_created_dispose(out);
done:
	json_decref(root);
	json_decref(vars);
	json_decref(body);
	return error;
}

/* One PUT of items [from, to) of u; the outcome of each into out. */
static int
put_batch(ps_bc_catalog_outcome *out, ps_bc *bc, const ps_bc_catalog_update *u,
	  size_t from, size_t to, int variant)
{
	char what[128];
	struct ps_bc__req rq = {
		"PUT",
		variant ? "/v3/catalog/variants" : "/v3/catalog/products",
		variant ? "v3/catalog/variants" : "v3/catalog/products",
		NULL,
		1,
		what};
	json_t *arr = json_array(), *root = NULL;
	size_t i;
	int error = 0;

	if (to - from == 1)
		snprintf(what, sizeof(what), "updating %s %lld",
			 variant ? "variant" : "product",
			 (long long)u[from].id);
	else
		snprintf(what, sizeof(what), "updating %zu %s (ids %lld-%lld)",
			 to - from, variant ? "variants" : "products",
			 (long long)u[from].id, (long long)u[to - 1].id);
	for (i = from; arr != NULL && i < to; i++) {
		json_t *o = json_pack("{s:I}", "id", (json_int_t)u[i].id);

		if (o == NULL || fields_json(o, &u[i].f, variant) < 0 ||
		    json_array_append_new(arr, o) < 0) {
			error = ps_error_set(PS_ENOMEM, NULL);
			goto done;
		}
	}
	if (arr == NULL) {
		error = ps_error_set(PS_ENOMEM, NULL);
		goto done;
	}
	rq.body = arr;
	error = call(&root, bc, &rq);
	for (i = from; i < to; i++) {
		free(out[i].why);
		out[i].why = NULL;
		out[i].code = error;
		if (error < 0)
			out[i].why = ps_util__strdup(ps_error_last());
	}
done:
	json_decref(root);
	json_decref(arr);
	return error;
}

/* A refusal of the data (not of the transport): worth splitting. */
static int
refused(int error)
{
	return error == PS_EDATA || error == PS_EEXISTS ||
	       error == PS_ENOTFOUND;
}

static int
update(ps_bc_catalog_outcome *out, size_t *out_requests, ps_bc *bc,
       const ps_bc_catalog_update *u, size_t n, int variant)
{
	size_t max = variant ? VARIANT_BATCH_MAX : PRODUCT_BATCH_MAX;
	size_t start, end, i, sent = 0;
	int error = 0, e;

	memset(out, 0, n * sizeof(*out));
	for (start = 0; start < n; start = end) {
		end = start + max < n ? start + max : n;
		e = put_batch(out, bc, u, start, end, variant);
		sent++;
		if (e < 0 && refused(e) && end - start > 1) {
			/* one bad item refuses all: find it */
			for (i = start; i < end; i++) {
				e = put_batch(out, bc, u, i, i + 1, variant);
				sent++;
				if (e < 0 && !refused(e))
					break;
			}
		}
		if (e < 0 && !refused(e)) {
			error = e;
			for (i = end; i < n; i++) {
				out[i].code = e;
				out[i].why = ps_util__strdup(ps_error_last());
			}
			break;
		}
	}
	if (out_requests)
		*out_requests = sent;
	return error;
}

int
ps_bc_catalog_products_update(ps_bc_catalog_outcome *out, size_t *out_requests,
			      ps_bc *bc, const ps_bc_catalog_update *u,
			      size_t n)
{
	return update(out, out_requests, bc, u, n, 0);
}

int
ps_bc_catalog_variants_update(ps_bc_catalog_outcome *out, size_t *out_requests,
			      ps_bc *bc, const ps_bc_catalog_update *u,
			      size_t n)
{
	return update(out, out_requests, bc, u, n, 1);
}

struct variant_row {
	int64_t id;
	int64_t product_id;
	char *sku;
};

static const struct ps_bc__field variant_row_fields[] = {
	FLD(struct variant_row, "id", id, BK_I64, 1),
	FLD(struct variant_row, "product_id", product_id, BK_I64, 1),
	FLD(struct variant_row, "sku", sku, BK_STR, 0),
};

static int
variant_row_read(void *item, const json_t *row, void *ctx)
{
	(void)ctx;
	return FIELDS_PARSE(item, variant_row_fields, row,
			    "BigCommerce variant");
}

static void
variant_row_dispose(void *item)
{
	FIELDS_FREE(item, variant_row_fields);
}

int
ps_bc_catalog_variants_of(ps_bc_sku_list *out, ps_bc *bc, int64_t product_id)
{
	struct ps_bc__vec rows = {NULL, 0, 0, sizeof(struct variant_row)};
	char path[96], what[96];
	size_t i;
	int error;

	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "/v3/catalog/products/%lld/variants",
		 (long long)product_id);
	snprintf(what, sizeof(what), "reading the variants of product %lld",
		 (long long)product_id);
	if ((error = ps_bc__walk(bc, &rows, path,
				 "v3/catalog/products/{id}/variants", what, 1,
				 variant_row_read, NULL, 0)) < 0)
		goto done;
	if (rows.count > 0 &&
	    (out->items = calloc(rows.count, sizeof(*out->items))) == NULL) {
		error = ps_error_set(PS_ENOMEM, NULL);
		goto done;
	}
	for (i = 0; i < rows.count; i++) {
		struct variant_row *r = (struct variant_row *)rows.items + i;
		ps_bc_sku *s = &out->items[out->count];

		s->product_id = r->product_id;
		s->variant_id = r->id;
		s->sku = ps_util__strdup(r->sku ? r->sku : "");
		s->product_name = ps_util__strdup("");
		out->count++;
		if (s->sku == NULL || s->product_name == NULL) {
			error = ps_error_set(PS_ENOMEM, NULL);
			goto done;
		}
	}
done:
	ps_bc__vec_dispose(&rows, variant_row_dispose);
	if (error < 0)
		ps_bc_sku_list_dispose(out);
	return error;
}
