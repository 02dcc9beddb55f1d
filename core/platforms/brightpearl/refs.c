/*
 * refs.c - Brightpearl reference lists: custom-field metadata and the
 * reference data (order statuses, warehouses, channels, price lists and
 * the other kinds of ps_bp_ref_kind).
 */
#include "platforms/brightpearl/brightpearl_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- custom fields ------------------------------------------------------ */

void
ps_bp_field_meta_list_dispose(ps_bp_field_meta_list *l)
{
	if (l == NULL)
		return;
	free(l->items);
	json_decref((json_t *)l->priv__);
	memset(l, 0, sizeof(*l));
}

int
ps_bp_custom_fields_list(ps_bp_field_meta_list *out, ps_bp *bp)
{
	json_t *root = NULL, *arr = NULL, *item;
	const char *what = "Brightpearl custom field";
	size_t i;
	int error;

	memset(out, 0, sizeof(*out));
	if ((error = ps_bp__list_get(
		     &root, &arr, &out->priv__, (void **)&out->items,
		     sizeof(*out->items), bp,
		     "/order-service/sale/custom-field-meta-data",
		     "custom field list")) < 0)
		goto done;
	json_array_foreach (arr, i, item) {
		ps_bp_field_meta *f = &out->items[out->n];

		if ((error = ps_conn__json_int(&f->id, item, "id", what)) < 0 ||
		    (error = ps_conn__json_str(&f->code, item, "code", what)) <
			    0 ||
		    (error = ps_conn__json_str_opt(&f->name, item, "name",
						   what)) < 0 ||
		    (error = ps_conn__json_str_opt(
			     &f->type, item, "customFieldType", what)) < 0 ||
		    (error = ps_conn__json_bool_opt(&f->required, item,
						    "required", what, 0)) < 0)
			goto done;
		out->n++;
	}
	ps_bp__sort_items(out->items, out->n, sizeof(*out->items),
			  ps_bp__cmp_id_field);
done:
	json_decref(arr);
	json_decref(root);
	if (error < 0)
		ps_bp_field_meta_list_dispose(out);
	return error;
}

/* ---- reference data ----------------------------------------------------- */

static const struct {
	const char *name;
	const char *path;
	const char *id_key;
} ref_kinds[PS_BP_REF_COUNT] = {
	{"order status", "/order-service/order-status", "statusId"},
	{"warehouse", "/warehouse-service/warehouse", "id"},
	{"channel", "/product-service/channel", "id"},
	{"lead source", "/contact-service/lead-source", "id"},
	{"project", "/contact-service/project", "id"},
	{"shipping method", "/warehouse-service/shipping-method", "id"},
	{"price list", "/product-service/price-list", "id"},
	{"payment method", "/accounting-service/payment-method", "id"},
	{"tax code", "/accounting-service/tax-code", "id"},
};

const char *
ps_bp_ref_kind_name(ps_bp_ref_kind kind)
{
	if ((unsigned)kind >= PS_BP_REF_COUNT)
		return "?";
	return ref_kinds[kind].name;
}

void
ps_bp_ref_list_dispose(ps_bp_ref_list *l)
{
	if (l == NULL)
		return;
	free(l->items);
	json_decref((json_t *)l->priv__);
	memset(l, 0, sizeof(*l));
}

static int
cmp_ref_code(const void *a, const void *b)
{
	const char *x = ((const ps_bp_ref *)a)->code;
	const char *y = ((const ps_bp_ref *)b)->code;

	return strcmp(x != NULL ? x : "", y != NULL ? y : "");
}

static int
ref_read(ps_bp_ref *r, ps_bp_ref_kind kind, const json_t *j)
{
	char what[PS__BP_WHAT_MAX];
	const json_t *name;
	int disabled = 0, error;

	snprintf(what, sizeof(what), "Brightpearl %s", ref_kinds[kind].name);
	r->active = 1;
	if (kind == PS_BP_REF_PAYMENT_METHOD) {
		if ((error = ps_conn__json_int_opt(&r->id, j, "id", what, 0)) <
			    0 ||
		    (error = ps_conn__json_str(&r->code, j, "code", what)) <
			    0 ||
		    (error = ps_conn__json_bool_opt(&r->active, j, "isActive",
						    what, 1)) < 0)
			return error;
	} else if ((error = ps_conn__json_int(&r->id, j, ref_kinds[kind].id_key,
					      what)) < 0) {
		return error;
	}
	snprintf(what, sizeof(what), "Brightpearl %s %" PRId64,
		 ref_kinds[kind].name, r->id);
	/* price list names are {"text": ...}; everything else a string */
	name = ps_conn__json_at(j, "name");
	if (json_is_object(name))
		name = json_object_get(name, "text");
	r->name = json_string_value(name);
	switch (kind) {
	case PS_BP_REF_ORDER_STATUS:
		if ((error = ps_conn__json_str_opt(&r->code, j, "orderTypeCode",
						   what)) < 0 ||
		    (error = ps_conn__json_bool_opt(&disabled, j, "disabled",
						    what, 0)) < 0)
			return error;
		r->active = !disabled;
		break;
	case PS_BP_REF_WAREHOUSE:
		return ps_conn__json_str_opt(&r->code, j, "typeCode", what);
	case PS_BP_REF_CHANNEL:
		return ps_conn__json_int_opt(&r->extra, j, "defaultWarehouseId",
					     what, 0);
	case PS_BP_REF_SHIPPING_METHOD:
		if ((error = ps_conn__json_str_opt(&r->code, j, "code", what)) <
			    0 ||
		    (error = ps_conn__json_str_opt(&r->carrier, j, "carrier",
						   what)) < 0)
			return error;
		break;
	case PS_BP_REF_PRICE_LIST:
		if ((error = ps_conn__json_str_opt(&r->code, j, "code", what)) <
			    0 ||
		    (error = ps_conn__json_str_opt(&r->currency, j,
						   "currencyCode", what)) < 0)
			return error;
		break;
	case PS_BP_REF_TAX_CODE:
		/* [{"id","code","description","rate"}] (reference §10) */
		if (r->name == NULL)
			r->name = json_string_value(
				ps_conn__json_at(j, "description"));
		return ps_conn__json_str(&r->code, j, "code", what);
	case PS_BP_REF_LEAD_SOURCE:
	case PS_BP_REF_PROJECT:
	case PS_BP_REF_PAYMENT_METHOD:
	case PS_BP_REF_COUNT:
		break;
	}
	return 0;
}

int
ps_bp_ref_list_get(ps_bp_ref_list *out, ps_bp *bp, ps_bp_ref_kind kind)
{
	json_t *root = NULL, *arr = NULL, *item;
	char what[PS__BP_WHAT_MAX];
	size_t i;
	int error;

	memset(out, 0, sizeof(*out));
	if ((unsigned)kind >= PS_BP_REF_COUNT)
		return ps_error_set(PS_EINVAL,
				    "unknown Brightpearl reference "
				    "kind %d",
				    (int)kind);
	snprintf(what, sizeof(what), "%s list", ref_kinds[kind].name);
	if ((error = ps_bp__list_get(&root, &arr, &out->priv__,
				     (void **)&out->items, sizeof(*out->items),
				     bp, ref_kinds[kind].path, what)) < 0)
		goto done;
	json_array_foreach (arr, i, item) {
		if ((error = ref_read(&out->items[out->n], kind, item)) < 0)
			goto done;
		out->n++;
	}
	ps_bp__sort_items(out->items, out->n, sizeof(*out->items),
			  kind == PS_BP_REF_PAYMENT_METHOD
				  ? cmp_ref_code
				  : ps_bp__cmp_id_field);
done:
	json_decref(arr);
	json_decref(root);
	if (error < 0)
		ps_bp_ref_list_dispose(out);
	return error;
}

/* ---- order status settings ---------------------------------------------- */

/* 1 and *out when text is a whole positive decimal id, else 0. */
static int
ps_bp__status_id_parse(int64_t *out, const char *text)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || v <= 0)
		return 0;
	*out = v;
	return 1;
}

int
ps_bp_order_status_resolve(int64_t *out, ps_bp *bp, const char *id_or_name,
			   const char *setting_name)
{
	ps_bp_ref_list l;
	const char *name;
	size_t i;
	int error;

	*out = 0;
	if (id_or_name == NULL || id_or_name[0] == '\0')
		return 0;
	if (ps_bp__status_id_parse(out, id_or_name))
		return 0;
	if ((error = ps_bp_ref_list_get(&l, bp, PS_BP_REF_ORDER_STATUS)) < 0)
		return error;
	for (i = 0; i < l.n && *out == 0; i++) {
		name = l.items[i].name;
		if (name != NULL && strcmp(name, id_or_name) == 0)
			*out = l.items[i].id;
	}
	for (i = 0; i < l.n && *out == 0; i++) {
		name = l.items[i].name;
		if (name != NULL && strcasecmp(name, id_or_name) == 0)
			*out = l.items[i].id;
	}
	ps_bp_ref_list_dispose(&l);
	if (*out == 0)
		return ps_error_set(PS_ESETTING,
				    "%s%s'%s' is not a Brightpearl order "
				    "status (give its id or its name)",
				    setting_name != NULL ? setting_name : "",
				    setting_name != NULL ? " " : "",
				    id_or_name);
	return 0;
}
