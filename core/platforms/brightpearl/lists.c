/*
 * lists.c - the Brightpearl lists the console offers as pickers: order
 * statuses (sales orders only), warehouses, channels, lead sources,
 * projects, shipping and payment methods, tax codes (picked by code:
 * the sales-order row's taxCode), and the sales-order custom
 * fields, each cached as a JSON array of {"id", "name"} (platform.h).
 */
#include "internal.h"
#include "platforms/brightpearl/lists_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "pearlsync/brightpearl.h"
#include "pearlsync/setup.h"

/* The reference lists, in the order of ps_bp__lists; the custom fields
 * come last. */
static const ps_bp_ref_kind refs[] = {
	PS_BP_REF_ORDER_STATUS,   PS_BP_REF_WAREHOUSE,
	PS_BP_REF_CHANNEL,        PS_BP_REF_LEAD_SOURCE,
	PS_BP_REF_PROJECT,        PS_BP_REF_SHIPPING_METHOD,
	PS_BP_REF_PAYMENT_METHOD, PS_BP_REF_TAX_CODE,
};

const ps_platform_list ps_bp__lists[PS_BP__NLISTS] = {
	{PS_SETUP_LIST_BP_STATUSES, "Brightpearl status"},
	{PS_SETUP_LIST_BP_WAREHOUSES, "warehouse"},
	{PS_SETUP_LIST_BP_CHANNELS, "channel"},
	{PS_SETUP_LIST_BP_LEAD_SOURCES, "lead source"},
	{PS_SETUP_LIST_BP_PROJECTS, "project"},
	{PS_SETUP_LIST_BP_SHIPPING, "shipping method"},
	{PS_SETUP_LIST_BP_PAYMENT, "payment method"},
	{PS_SETUP_LIST_BP_TAX_CODES, "tax code"},
	{PS_SETUP_LIST_BP_FIELDS, "custom field"},
};

static int
list_add(json_t *arr, const char *id, const char *name)
{
	json_t *o = json_object();

	if (o == NULL || json_array_append_new(arr, o) < 0 ||
	    json_object_set_new(o, "id", json_string(id)) < 0 ||
	    json_object_set_new(o, "name", json_string(name ? name : id)) < 0)
		return ps_error_set(PS_ENOMEM, "out of memory");
	return 0;
}

static int
cache_put(ps_store *st, const char *kind, json_t *arr, int64_t now)
{
	char *text = json_dumps(arr, JSON_COMPACT);
	int error;

	if (text == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	error = ps_store_cache_set(st, kind, text, now);
	free(text);
	return error;
}

static int
fetch_ref(ps_store *st, ps_bp *bp, size_t which, int64_t now)
{
	ps_bp_ref_list l = {0};
	json_t *arr = json_array();
	char id[32];
	size_t i;
	int error;

	if (arr == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	if ((error = ps_bp_ref_list_get(&l, bp, refs[which])) < 0)
		goto done;
	for (i = 0; i < l.n && error == 0; i++) {
		const ps_bp_ref *r = &l.items[i];

		/* Sales order statuses only: the others never apply. */
		if (refs[which] == PS_BP_REF_ORDER_STATUS && r->code != NULL &&
		    strcmp(r->code, "SO") != 0)
			continue;
		/* payment methods and tax codes are picked by code */
		if (refs[which] == PS_BP_REF_PAYMENT_METHOD ||
		    refs[which] == PS_BP_REF_TAX_CODE) {
			error = list_add(arr, r->code ? r->code : "", r->name);
		} else {
			snprintf(id, sizeof(id), "%lld", (long long)r->id);
			error = list_add(arr, id, r->name);
		}
	}
	if (error == 0)
		error = cache_put(st, ps_bp__lists[which].kind, arr, now);
done:
	ps_bp_ref_list_dispose(&l);
	json_decref(arr);
	return error;
}

static int
fetch_fields(ps_store *st, ps_bp *bp, const char *kind, int64_t now)
{
	ps_bp_field_meta_list l = {0};
	json_t *arr = json_array();
	size_t i;
	int error;

	if (arr == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	if ((error = ps_bp_custom_fields_list(&l, bp)) < 0)
		goto done;
	for (i = 0; i < l.n && error == 0; i++)
		if (l.items[i].code != NULL)
			error = list_add(arr, l.items[i].code, l.items[i].name);
	if (error == 0)
		error = cache_put(st, kind, arr, now);
done:
	ps_bp_field_meta_list_dispose(&l);
	json_decref(arr);
	return error;
}

int
ps_bp__lists_fetch(size_t *out_fetched, void *conn, ps_store *st, int64_t now)
{
	char first[PS_ERROR_MAX] = "";
	size_t i;
	int error = 0, e;

	*out_fetched = 0;
	for (i = 0; i < PS_BP__NLISTS; i++) {
		e = i < PS__ARRAY_LEN(refs)
			    ? fetch_ref(st, conn, i, now)
			    : fetch_fields(st, conn, ps_bp__lists[i].kind, now);
		if (e == 0) {
			(*out_fetched)++;
		} else if (error == 0) {
			error = e;
			ps_util__strlcpy(first, ps_error_last(), sizeof(first));
		}
	}
	if (error != 0)
		ps_error_set(error, "%s", first);
	return error;
}
