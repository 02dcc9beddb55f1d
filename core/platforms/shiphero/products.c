/*
 * products.c - ShipHero products, for the initial product sync: the
 * product with a SKU, and product_create (keyed by SKU: a create whose
 * outcome is unknown, or that ShipHero refuses because the SKU exists,
 * returns the product found by it).
 */
#include "platforms/shiphero/shiphero_int.h"
#include "platforms/connector.h"
#include "internal.h"
#include "pearlsync/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

void
ps_sh_product_dispose(ps_sh_product *p)
{
	if (p == NULL)
		return;
	free(p->id);
	free(p->sku);
	free(p->name);
	free(p->barcode);
	memset(p, 0, sizeof(*p));
}

static int
product_parse(ps_sh_product *out, const json_t *node)
{
	const json_t *wps = json_object_get(node, "warehouse_products"), *wp;
	size_t i;
	int error;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(node))
		return ps_error_set(PS_EDATA, "ShipHero product: the reply has "
					      "no product");
	if ((error = ps_conn__json_int_opt(&out->legacy_id, node, "legacy_id",
					   "ShipHero product", 0)) < 0 ||
	    (error = ps_sh__dup(&out->id, node, "id")) < 0 ||
	    (error = ps_sh__dup(&out->sku, node, "sku")) < 0 ||
	    (error = ps_sh__dup(&out->name, node, "name")) < 0 ||
	    (error = ps_sh__dup(&out->barcode, node, "barcode")) < 0)
		goto fail;
	/* the price lives per warehouse: the first one that has one */
	json_array_foreach ((json_t *)wps, i, wp) {
		const char *p = json_string_value(json_object_get(wp, "price"));

		if (p != NULL && p[0] != '\0' &&
		    ps_money_parse(&out->price, p) == 0)
			break;
		out->price = 0;
	}
	if (out->id == NULL || out->sku == NULL) {
		error = ps_error_set(PS_EDATA, "ShipHero product: field 'id' "
					       "or 'sku' missing");
		goto fail;
	}
	return 0;
fail:
	ps_sh_product_dispose(out);
	return error;
}

int
ps_sh_product_find_sku(ps_sh_product *out, ps_sh *sh, const char *sku)
{
	json_t *r = NULL, *node;
	int error;

	memset(out, 0, sizeof(*out));
	if (sku == NULL || sku[0] == '\0')
		return ps_error_set(PS_EINVAL, "ShipHero product: no SKU");
	error = ps_sh__call(&r, sh, &ps_sh__op_product,
			    json_pack("{s:s}", "sku", sku));
	if (error == PS_ENOTFOUND)
		return ps_error_set(PS_ENOTFOUND,
				    "ShipHero has no product with SKU %s", sku);
	if (error < 0)
		return error;
	node = json_object_get(r, "data");
	if (!json_is_object(node))
		error = ps_error_set(PS_ENOTFOUND,
				     "ShipHero has no product with SKU %s",
				     sku);
	else
		error = product_parse(out, node);
	json_decref(r);
	return error;
}

static int
product_input(json_t **out, const ps_sh *sh, const ps_sh_product_new *p)
{
	json_t *d, *wp, *dims;
	int error;

	*out = NULL;
	d = json_pack("{s:s,s:s,s:[{s:s,s:i}]}", "sku", p->sku, "name", p->name,
		      "warehouse_products", "warehouse_id", p->warehouse_id,
		      "on_hand", 0);
	if (d == NULL)
		return ps_error_set(PS_EINVAL,
				    "ShipHero product %s: a value "
				    "is not UTF-8",
				    p->sku);
	wp = json_array_get(json_object_get(d, "warehouse_products"), 0);
	if ((error = ps_sh__set_money(d, "price", p->price)) < 0 ||
	    (error = ps_sh__set_money(wp, "price", p->price)) < 0 ||
	    (error = ps_sh__set_customer(sh, d)) < 0 ||
	    ps_conn__json_set_str(d, "barcode", p->barcode, 0) < 0)
		goto fail;
	if (p->weight != NULL && p->weight[0] != '\0') {
		if ((dims = json_pack("{s:s}", "weight", p->weight)) == NULL ||
		    json_object_set_new(d, "dimensions", dims) < 0) {
			error = ps_error_set(PS_EINVAL,
					     "ShipHero product %s: "
					     "bad weight",
					     p->sku);
			goto fail;
		}
	}
	*out = d;
	return 0;
fail:
	json_decref(d);
	return error < 0 ? error : ps_error_set(PS_ENOMEM, NULL);
}

int
ps_sh_product_create(ps_sh_product *out, ps_sh *sh, const ps_sh_product_new *p)
{
	json_t *d = NULL, *r = NULL;
	char why[PS_ERROR_MAX];
	int error;

	memset(out, 0, sizeof(*out));
	if (p == NULL || p->sku == NULL || p->sku[0] == '\0' ||
	    p->name == NULL || p->name[0] == '\0' || p->warehouse_id == NULL ||
	    p->warehouse_id[0] == '\0')
		return ps_error_set(PS_EINVAL,
				    "ShipHero product: a SKU, a name and a "
				    "warehouse are required");
	if ((error = product_input(&d, sh, p)) < 0)
		return error;
	error = ps_sh__call(&r, sh, &ps_sh__op_product_create,
			    json_pack("{s:o}", "data", d));
	if (error == 0) {
		error = product_parse(out, json_object_get(r, "product"));
	} else if (error == PS_EEXISTS || error == PS_ENET ||
		   error == PS_ETIMEOUT || error == PS_EREMOTE ||
		   error == PS_EPARSE) {
		int e = error;

		ps_util__strlcpy(why, ps_error_last(), sizeof(why));
		ps_log_info(PS_SH__MOD, "product %s: %s; looking it up", p->sku,
			    why);
		if (ps_sh_product_find_sku(out, sh, p->sku) == 0)
			error = 0;
		else
			error = ps_error_set(e, "%s", why);
	}
	json_decref(r);
	return error;
}
