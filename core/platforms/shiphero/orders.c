/*
 * orders.c - ShipHero warehouses and orders: the account's warehouses,
 * order_create with partner ids (adopting the order when the outcome of
 * a create is unknown), the lookup by partner_order_id and order_cancel.
 */
#include "platforms/shiphero/shiphero_int.h"
#include "platforms/connector.h"
#include "internal.h"
#include "pearlsync/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

/* ---- warehouses --------------------------------------------------------- */

static void
warehouse_dispose(ps_sh_warehouse *w)
{
	free(w->id);
	free(w->identifier);
	free(w->company_name);
	free(w->city);
	free(w->country);
	memset(w, 0, sizeof(*w));
}

void
ps_sh_warehouse_list_dispose(ps_sh_warehouse_list *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++)
		warehouse_dispose(&l->items[i]);
	free(l->items);
	memset(l, 0, sizeof(*l));
}

static int
warehouse_parse(ps_sh_warehouse *w, const json_t *node)
{
	const json_t *addr = json_object_get(node, "address");
	int64_t legacy = 0;
	int error;

	memset(w, 0, sizeof(*w));
	if ((error = ps_conn__json_int_opt(&legacy, node, "legacy_id",
					   "ShipHero warehouse", 0)) < 0 ||
	    (error = ps_sh__dup(&w->id, node, "id")) < 0 ||
	    (error = ps_sh__dup(&w->identifier, node, "identifier")) < 0 ||
	    (error = ps_sh__dup(&w->company_name, node, "company_name")) < 0 ||
	    (error = ps_sh__dup(&w->city, addr, "city")) < 0 ||
	    (error = ps_sh__dup(&w->country, addr, "country")) < 0) {
		warehouse_dispose(w);
		return error;
	}
	w->legacy_id = legacy;
	if (w->id == NULL) {
		warehouse_dispose(w);
		return ps_error_set(PS_EDATA, "ShipHero warehouse: field 'id' "
					      "missing");
	}
	return 0;
}

int
ps_sh_warehouses(ps_sh_warehouse_list *out, ps_sh *sh)
{
	json_t *r = NULL, *arr, *node;
	size_t i;
	int error;

	memset(out, 0, sizeof(*out));
	if ((error = ps_sh__call(&r, sh, &ps_sh__op_account, NULL)) < 0)
		return error;
	arr = ps_conn__json_at(r, "data.warehouses");
	if (json_array_size(arr) > 0 &&
	    (out->items = calloc(json_array_size(arr), sizeof(*out->items))) ==
		    NULL) {
		error = ps_error_set(PS_ENOMEM, NULL);
		goto done;
	}
	json_array_foreach (arr, i, node) {
		if (!json_is_object(node))
			continue;
		if ((error = warehouse_parse(&out->items[out->n], node)) < 0)
			break;
		out->n++;
	}
done:
	if (error < 0)
		ps_sh_warehouse_list_dispose(out);
	json_decref(r);
	return error;
}

/* ---- orders ------------------------------------------------------------- */

void
ps_sh_order_dispose(ps_sh_order *o)
{
	if (o == NULL)
		return;
	free(o->id);
	free(o->order_number);
	free(o->partner_order_id);
	free(o->shop_name);
	free(o->fulfillment_status);
	memset(o, 0, sizeof(*o));
}

int
ps_sh__order_parse(ps_sh_order *out, const json_t *node)
{
	int64_t legacy = 0;
	int error;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(node))
		return ps_error_set(PS_EDATA, "ShipHero order: the reply has "
					      "no order");
	if ((error = ps_conn__json_int_opt(&legacy, node, "legacy_id",
					   "ShipHero order", 0)) < 0 ||
	    (error = ps_sh__dup(&out->id, node, "id")) < 0 ||
	    (error = ps_sh__dup(&out->order_number, node, "order_number")) <
		    0 ||
	    (error = ps_sh__dup(&out->partner_order_id, node,
				"partner_order_id")) < 0 ||
	    (error = ps_sh__dup(&out->shop_name, node, "shop_name")) < 0 ||
	    (error = ps_sh__dup(&out->fulfillment_status, node,
				"fulfillment_status")) < 0)
		goto fail;
	out->legacy_id = legacy;
	if (out->id == NULL) {
		error = ps_error_set(PS_EDATA, "ShipHero order: field 'id' "
					       "missing");
		goto fail;
	}
	return 0;
fail:
	ps_sh_order_dispose(out);
	return error;
}

static int
set_str(json_t *o, const char *key, const char *s)
{
	return ps_conn__json_set_str(o, key, s, 0) < 0
		       ? ps_error_set(PS_EINVAL, "ShipHero: %s is not UTF-8",
				      key)
		       : 0;
}

static int
address_json(json_t **out, const ps_sh_address *a)
{
	json_t *o = json_object();
	int error = 0;

	*out = NULL;
	if (o == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	if ((error = set_str(o, "first_name", a->first_name)) < 0 ||
	    (error = set_str(o, "last_name", a->last_name)) < 0 ||
	    (error = set_str(o, "company", a->company)) < 0 ||
	    (error = set_str(o, "address1", a->address1)) < 0 ||
	    (error = set_str(o, "address2", a->address2)) < 0 ||
	    (error = set_str(o, "city", a->city)) < 0 ||
	    (error = set_str(o, "state", a->state)) < 0 ||
	    (error = set_str(o, "state_code", a->state_code)) < 0 ||
	    (error = set_str(o, "zip", a->zip)) < 0 ||
	    (error = set_str(o, "country", a->country)) < 0 ||
	    (error = set_str(o, "country_code", a->country_code)) < 0 ||
	    (error = set_str(o, "email", a->email)) < 0 ||
	    (error = set_str(o, "phone", a->phone)) < 0) {
		json_decref(o);
		return error;
	}
	*out = o;
	return 0;
}

static int
line_json(json_t **out, const ps_sh_line_new *l, size_t i)
{
	json_t *o;
	int error;

	*out = NULL;
	if (l->sku == NULL || l->sku[0] == '\0' ||
	    l->partner_line_item_id == NULL ||
	    l->partner_line_item_id[0] == '\0' || l->quantity <= 0)
		return ps_error_set(PS_EINVAL,
				    "ShipHero order line %zu: a SKU, a partner "
				    "line id and a quantity > 0 are required",
				    i + 1);
	if ((o = json_object()) == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	if ((error = set_str(o, "sku", l->sku)) < 0 ||
	    (error = set_str(o, "partner_line_item_id",
			     l->partner_line_item_id)) < 0 ||
	    (error = ps_conn__json_set_int(o, "quantity", l->quantity, 1)) <
		    0 ||
	    (error = ps_sh__set_money(o, "price", l->price)) < 0 ||
	    (error = set_str(o, "product_name", l->product_name)) < 0 ||
	    (error = set_str(o, "warehouse_id", l->warehouse_id)) < 0) {
		json_decref(o);
		return error;
	}
	*out = o;
	return 0;
}

/* The CreateOrderInput of o. */
static int
order_input(json_t **out, const ps_sh *sh, const ps_sh_order_new *o)
{
	json_t *d = json_object(), *v = NULL, *lines;
	char date[32];
	size_t i;
	int error = 0;

	*out = NULL;
	if (d == NULL || (lines = json_array()) == NULL ||
	    json_object_set_new(d, "line_items", lines) < 0) {
		json_decref(d);
		return ps_error_set(PS_ENOMEM, NULL);
	}
	if ((error = set_str(d, "partner_order_id", o->partner_order_id)) < 0 ||
	    (error = set_str(d, "order_number", o->order_number)) < 0 ||
	    (error = set_str(d, "shop_name", o->shop_name)) < 0 ||
	    (error = set_str(d, "email", o->email)) < 0 ||
	    (error = ps_sh__set_money(d, "total_price", o->total_price)) < 0 ||
	    (error = ps_sh__set_money(d, "subtotal", o->subtotal)) < 0 ||
	    (error = ps_sh__set_money(d, "total_tax", o->total_tax)) < 0 ||
	    (error = ps_sh__set_money(d, "total_discounts",
				      o->total_discounts)) < 0 ||
	    (error = ps_sh__set_customer(sh, d)) < 0)
		goto fail;
	if (o->order_date > 0) {
		ps_sh__date_format(date, sizeof(date), o->order_date);
		if ((error = set_str(d, "order_date", date)) < 0)
			goto fail;
	}
	if ((error = address_json(&v, &o->shipping_address)) < 0 ||
	    json_object_set_new(d, "shipping_address", v) < 0)
		goto fail;
	if (o->billing_address != NULL &&
	    ((error = address_json(&v, o->billing_address)) < 0 ||
	     json_object_set_new(d, "billing_address", v) < 0))
		goto fail;
	if (o->shipping.title != NULL && o->shipping.title[0] != '\0') {
		if ((v = json_object()) == NULL ||
		    json_object_set_new(d, "shipping_lines", v) < 0 ||
		    (error = set_str(v, "title", o->shipping.title)) < 0 ||
		    (error = ps_sh__set_money(v, "price", o->shipping.price)) <
			    0 ||
		    (error = set_str(v, "carrier", o->shipping.carrier)) < 0 ||
		    (error = set_str(v, "method", o->shipping.method)) < 0)
			goto fail;
	}
	for (i = 0; i < o->nlines; i++) {
		if ((error = line_json(&v, &o->lines[i], i)) < 0)
			goto fail;
		if (json_array_append_new(lines, v) < 0) {
			error = ps_error_set(PS_ENOMEM, NULL);
			goto fail;
		}
	}
	*out = d;
	return 0;
fail:
	json_decref(d);
	return error < 0 ? error : ps_error_set(PS_ENOMEM, NULL);
}

/* The outcome of a create may be that it happened: look before retrying. */
static int
fate_unknown(int error)
{
	return error == PS_ENET || error == PS_ETIMEOUT ||
	       error == PS_EREMOTE || error == PS_EPARSE;
}

int
ps_sh_order_create(ps_sh_order *out, ps_sh *sh, const ps_sh_order_new *o)
{
	json_t *d = NULL, *r = NULL;
	char why[PS_ERROR_MAX];
	int error, found;

	memset(out, 0, sizeof(*out));
	if (o == NULL || o->partner_order_id == NULL ||
	    o->partner_order_id[0] == '\0' || o->order_number == NULL ||
	    o->order_number[0] == '\0' || o->nlines == 0 || o->lines == NULL)
		return ps_error_set(PS_EINVAL,
				    "ShipHero order: a partner order id, an "
				    "order number and at least one line are "
				    "required");
	if ((error = order_input(&d, sh, o)) < 0)
		return error;
	error = ps_sh__call(&r, sh, &ps_sh__op_order_create,
			    json_pack("{s:o}", "data", d));
	if (error == 0) {
		error = ps_sh__order_parse(out, json_object_get(r, "order"));
	} else if (fate_unknown(error)) {
		ps_util__strlcpy(why, ps_error_last(), sizeof(why));
		ps_log_warn(PS_SH__MOD,
			    "order %s: %s; looking it up before trying again",
			    o->partner_order_id, why);
		found = ps_sh_order_find(out, sh, o->partner_order_id);
		if (found == 0) {
			out->adopted = 1;
			error = 0;
		} else {
			ps_error_set(error, "%s", why);
		}
	} else if (error == PS_EEXISTS) {
		ps_util__strlcpy(why, ps_error_last(), sizeof(why));
		ps_error_set(PS_EEXISTS,
			     "ShipHero order with partner order id "
			     "%s exists: %s",
			     o->partner_order_id, why);
	}
	json_decref(r);
	return error;
}

struct find_ctx {
	ps_sh_order *out;
	int have; /* *out holds a candidate */
	int error;
};

static int
canceled(const ps_sh_order *o)
{
	return o->fulfillment_status != NULL &&
	       (strcmp(o->fulfillment_status, "canceled") == 0 ||
		strcmp(o->fulfillment_status, "cancelled") == 0);
}

static int
find_node(void *ctx, const json_t *node)
{
	struct find_ctx *f = ctx;
	ps_sh_order o;
	int error;

	if ((error = ps_sh__order_parse(&o, node)) < 0)
		return error;
	if (!f->have || (canceled(f->out) && !canceled(&o))) {
		ps_sh_order_dispose(f->out);
		*f->out = o;
		f->have = 1;
	} else {
		ps_sh_order_dispose(&o);
	}
	/* a live one is the answer: stop reading */
	return canceled(f->out) ? 0 : 1;
}

int
ps_sh_order_find(ps_sh_order *out, ps_sh *sh, const char *partner_order_id)
{
	struct find_ctx f = {out, 0, 0};
	json_t *vars;
	int error;

	memset(out, 0, sizeof(*out));
	if (partner_order_id == NULL || partner_order_id[0] == '\0')
		return ps_error_set(PS_EINVAL, "ShipHero order lookup: no "
					       "partner order id");
	vars = json_pack("{s:s}", "partner_order_id", partner_order_id);
	if (vars == NULL)
		return ps_error_set(PS_EINVAL, "ShipHero order lookup: the "
					       "partner order id is not UTF-8");
	if ((error = ps_sh__set_customer(sh, vars)) == 0)
		error = ps_sh__walk(sh, &ps_sh__op_orders_by_partner, vars, 25,
				    find_node, &f);
	json_decref(vars);
	if (error == 1)
		error = 0;
	if (error < 0) {
		ps_sh_order_dispose(out);
		return error;
	}
	if (!f.have)
		return ps_error_set(PS_ENOTFOUND,
				    "ShipHero has no order with partner order "
				    "id %s",
				    partner_order_id);
	return 0;
}

int
ps_sh_order_cancel(ps_sh_order *out, ps_sh *sh, const char *order_id,
		   const char *reason)
{
	json_t *d, *r = NULL;
	int error;

	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if (order_id == NULL || order_id[0] == '\0')
		return ps_error_set(PS_EINVAL, "ShipHero order cancel: no "
					       "order id");
	if ((d = json_pack("{s:s}", "order_id", order_id)) == NULL)
		return ps_error_set(PS_EINVAL, "ShipHero order cancel: the "
					       "order id is not UTF-8");
	if ((error = set_str(d, "reason", reason)) < 0 ||
	    (error = ps_sh__set_customer(sh, d)) < 0) {
		json_decref(d);
		return error;
	}
	error = ps_sh__call(&r, sh, &ps_sh__op_order_cancel,
			    json_pack("{s:o}", "data", d));
	if (error == 0 && out != NULL)
		error = ps_sh__order_parse(out, json_object_get(r, "order"));
	json_decref(r);
	return error;
}
