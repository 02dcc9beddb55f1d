/*
 * lists.c - DSCO's reference lists: the supplier's warehouses (GET
 * /warehouse/page), the built-in tables of standard shipping service
 * level codes and supplier cancel codes, and the console's pickers made
 * of them, cached as JSON arrays of {"id", "name"} (platform.h).
 *
 * The code tables come from DSCO's support articles ("Setting up
 * Supplier Ship Mapping", "Cancel Codes") and from codes seen accepted by
 * the API.  An account may map codes of its own onto these, so the
 * tables are what to offer first, not a closed list.
 */
#include "internal.h"
#include "platforms/dsco/dsco_int.h"
#include "platforms/dsco/lists_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "pearlsync/setup.h"

static const ps_dsco_code service_levels[] = {
	{"USGA", "USPS Ground Advantage"},
	{"USPM", "USPS Priority Mail"},
	{"UPCG", "UPS Ground"},
	{"UPSV", "UPS (code seen accepted; check the account's ship mapping)"},
	{"UPSP", "UPS (code seen accepted; check the account's ship mapping)"},
	{"FESD", "FedEx SameDay"},
	{"FSDC", "FedEx SameDay City"},
	{"FEFO", "FedEx First Overnight"},
	{"FEPO", "FedEx Priority Overnight"},
	{"FESO", "FedEx Standard Overnight"},
	{"F2DA", "FedEx 2Day A.M."},
	{"FE2D", "FedEx 2Day"},
	{"FEES", "FedEx Express Saver"},
	{"FECG", "FedEx Ground"},
	{"FEHD", "FedEx Home Delivery"},
	{"FESP", "FedEx SmartPost"},
	{"ONCG", "OnTrac Ground (code seen accepted)"},
	{"PSDD", "code seen accepted; check the account's ship mapping"},
	{"ASEE", "code seen accepted; check the account's ship mapping"},
	{"ASEP", "code seen accepted; check the account's ship mapping"},
	{"ASEL", "code seen accepted; check the account's ship mapping"},
	{"ASET", "code seen accepted; check the account's ship mapping"},
};

static const ps_dsco_code cancel_codes[] = {
	{"CXSS", "Out of Stock"},
	{"CXSD", "Discontinued"},
	{"CXSN", "Not Enough Stock"},
	{"CXSB", "Bad/Incorrect Address"},
	{"CXSI", "Invalid Ship Instructions"},
	{"CXST", "Can't Ship On Time"},
	{"CXSC", "Cancelled at Retailer Request"},
	{"CXSO", "Other"},
};

const ps_dsco_code *
ps_dsco_service_levels(size_t *out_n)
{
	*out_n = PS__ARRAY_LEN(service_levels);
	return service_levels;
}

const ps_dsco_code *
ps_dsco_cancel_codes(size_t *out_n)
{
	*out_n = PS__ARRAY_LEN(cancel_codes);
	return cancel_codes;
}

/* --- warehouses ----------------------------------------------------------- */

void
ps_dsco_warehouse_list_dispose(ps_dsco_warehouse_list *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->count; i++) {
		free((char *)l->items[i].warehouse_id);
		free((char *)l->items[i].code);
		free((char *)l->items[i].name);
		free((char *)l->items[i].status);
	}
	free(l->items);
	memset(l, 0, sizeof(*l));
}

static int
warehouse_parse(ps_dsco_warehouse *w, const json_t *o)
{
	char *id = NULL, *code = NULL, *name = NULL, *status = NULL;
	const char *what = "DSCO warehouse";
	int error;

	if ((error = ps_conn__json_dup_opt(&id, o, "warehouseId", what)) < 0 ||
	    (error = ps_conn__json_dup_opt(&code, o, "code", what)) < 0 ||
	    (error = ps_conn__json_dup_opt(&name, o, "name", what)) < 0 ||
	    (error = ps_conn__json_dup_opt(&status, o, "status", what)) < 0) {
		free(id);
		free(code);
		free(name);
		free(status);
		return error;
	}
	w->warehouse_id = id;
	w->code = code;
	w->name = name;
	w->status = status;
	return 0;
}

int
ps_dsco_warehouses_list(ps_dsco_warehouse_list *out, ps_dsco *d)
{
	ps_conn_buf path = PS_CONN_BUF_INIT(0);
	json_t *root = NULL;
	char *scroll = NULL;
	int page, error = 0;

	memset(out, 0, sizeof(*out));
	for (page = 1; page <= 1000; page++) {
		struct ps_dsco__req rq = {"GET", NULL, "warehouse/page",
					  NULL,  1,    "warehouse list"};
		const json_t *rows, *sid;
		ps_dsco_warehouse *p;
		size_t i, n;

		ps_conn__buf_clear(&path);
		ps_conn__buf_add(&path, "/warehouse/page");
		if (scroll != NULL) {
			ps_conn__buf_add(&path, "?scrollId=");
			ps_conn__buf_add_urlenc(&path, scroll);
		}
		if ((error = ps_conn__buf_check(&path, "a DSCO URL")) < 0)
			goto done;
		rq.path = path.data;
		json_decref(root);
		root = NULL;
		if ((error = ps_dsco__call(&root, NULL, d, &rq)) < 0)
			goto done;
		rows = json_object_get(root, "warehouses");
		n = json_is_array(rows) ? json_array_size(rows) : 0;
		if (n == 0)
			break;
		p = realloc(out->items, (out->count + n) * sizeof(*p));
		if (p == NULL) {
			error = ps_error_set(PS_ENOMEM, NULL);
			goto done;
		}
		out->items = p;
		for (i = 0; i < n; i++) {
			memset(&out->items[out->count], 0, sizeof(*p));
			if ((error = warehouse_parse(&out->items[out->count],
						     json_array_get(rows, i))) <
			    0)
				goto done;
			out->count++;
		}
		sid = json_object_get(root, "scrollId");
		if (!json_is_string(sid) || json_string_length(sid) == 0)
			break;
		free(scroll);
		if ((scroll = ps_util__strdup(json_string_value(sid))) ==
		    NULL) {
			error = ps_error_set(PS_ENOMEM, NULL);
			goto done;
		}
	}
done:
	free(scroll);
	json_decref(root);
	ps_conn__buf_dispose(&path);
	if (error < 0)
		ps_dsco_warehouse_list_dispose(out);
	return error;
}

/* --- the console's pickers ------------------------------------------------ */

const ps_platform_list ps_dsco__lists[PS_DSCO__NLISTS] = {
	{PS_SETUP_LIST_DSCO_WAREHOUSES, "DSCO warehouse"},
	{PS_SETUP_LIST_DSCO_SERVICE_LEVELS, "DSCO shipping service level"},
	{PS_SETUP_LIST_DSCO_CANCEL_CODES, "DSCO cancel code"},
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
put_codes(ps_store *st, const char *kind, const ps_dsco_code *codes, size_t n,
	  int64_t now)
{
	json_t *arr = json_array();
	char name[160];
	size_t i;
	int error = 0;

	if (arr == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	for (i = 0; i < n && error == 0; i++) {
		snprintf(name, sizeof(name), "%s  %s", codes[i].code,
			 codes[i].description);
		error = list_add(arr, codes[i].code, name);
	}
	if (error == 0)
		error = cache_put(st, kind, arr, now);
	json_decref(arr);
	return error;
}

static int
fetch_warehouses(ps_store *st, ps_dsco *d, int64_t now)
{
	ps_dsco_warehouse_list l;
	json_t *arr = json_array();
	char name[300];
	size_t i;
	int error;

	if (arr == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	if ((error = ps_dsco_warehouses_list(&l, d)) < 0)
		goto done;
	for (i = 0; i < l.count && error == 0; i++) {
		const ps_dsco_warehouse *w = &l.items[i];

		if (w->code == NULL || w->code[0] == '\0')
			continue; /* shipments name warehouses by code */
		snprintf(name, sizeof(name), "%s%s%s%s%s", w->code,
			 w->name ? "  " : "", w->name ? w->name : "",
			 w->status && strcmp(w->status, "active") != 0 ? " - "
								       : "",
			 w->status && strcmp(w->status, "active") != 0
				 ? w->status
				 : "");
		error = list_add(arr, w->code, name);
	}
	if (error == 0)
		error = cache_put(st, ps_dsco__lists[0].kind, arr, now);
done:
	ps_dsco_warehouse_list_dispose(&l);
	json_decref(arr);
	return error;
}

int
ps_dsco__lists_fetch(size_t *out_fetched, void *conn, ps_store *st, int64_t now)
{
	int error, first = 0;

	*out_fetched = 0;
	if ((error = fetch_warehouses(st, conn, now)) == 0)
		(*out_fetched)++;
	else
		first = error;
	if ((error = put_codes(st, ps_dsco__lists[1].kind, service_levels,
			       PS__ARRAY_LEN(service_levels), now)) == 0)
		(*out_fetched)++;
	else if (first == 0)
		first = error;
	if ((error = put_codes(st, ps_dsco__lists[2].kind, cancel_codes,
			       PS__ARRAY_LEN(cancel_codes), now)) == 0)
		(*out_fetched)++;
	else if (first == 0)
		first = error;
	return first;
}
