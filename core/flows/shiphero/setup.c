/*
 * setup.c - the setup steps and mapping tables of the Brightpearl ->
 * ShipHero flows, as data for the console (pearlsync/setup.h), in the
 * order the hosted connector's ShipHero guide walks a merchant through
 * them.  Connecting (user name and password, traded once for tokens by
 * the plug-in; the password is not kept) is part of the Connections
 * step, which every platform shares.  Then: go-live, the warehouse map,
 * the shipping-method map (with its refresh: flow shipping_methods_sh)
 * and the initial product sync (flow product_sync_sh).
 */
#include "internal.h"
#include "setting_keys.h"
#include "flows/shiphero/setup_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "pearlsync/settings.h"
#include "pearlsync/setup.h"
#include "pearlsync/shiphero.h"

/* clang-format off */
#define F(type, label, key, list, by_name, req) \
	{type, label, key, list, by_name, req, NULL, (ps_platform)0}
/* clang-format on */

static const ps_setup_field go_live[] = {
	F(PS_SETUP_FIELD_BOOL, "Send goods-out notes to ShipHero",
	  PS_SET_SHIPHERO_ORDERS_ENABLED, NULL, 0, 0),
	F(PS_SETUP_FIELD_TEXT, "Go-live date and time", PS_SET_SHIPHERO_GO_LIVE,
	  NULL, 0, 0),
	F(PS_SETUP_FIELD_TEXT, "ShipHero order number prefix",
	  PS_SET_SHIPHERO_REFERENCE_PREFIX, NULL, 0, 0),
};

static const ps_setup_field warehouses[] = {
	F(PS_SETUP_FIELD_MAPPING, "Brightpearl to ShipHero warehouses",
	  PS_SH_MAP_WAREHOUSE, PS_SH_MAP_DIRECTION, 0, 0),
};

static const ps_setup_field methods[] = {
	F(PS_SETUP_FIELD_MAPPING, "Shipping methods to ShipHero",
	  PS_SH_MAP_SHIPPING_METHOD, PS_SH_MAP_DIRECTION, 0, 0),
	F(PS_SETUP_FIELD_TEXT, "Hours between method refreshes",
	  PS_SET_SHIPHERO_METHODS_REFRESH_HOURS, NULL, 0, 0),
	F(PS_SETUP_FIELD_RUN, "Refresh shipping methods now",
	  "shipping_methods_sh", NULL, 0, 0),
};

static const ps_setup_field products[] = {
	F(PS_SETUP_FIELD_RUN, "Start the initial product sync",
	  "product_sync_sh", NULL, 0, 0),
};

#undef F

/* "37 methods, refreshed 2026-05-01 10:00 UTC" or "(never refreshed)". */
static int
methods_status(char *buf, size_t cap, ps_store *st)
{
	char *text = NULL, when[40];
	int64_t at = 0;
	size_t n = 0;
	int error;
	json_t *j;

	error = ps_store_cache_get(&text, &at, st, PS_SETUP_LIST_BP_SHIPPING);
	if (error == PS_ENOTFOUND) {
		ps_error_clear();
		snprintf(buf, cap, "(never refreshed)");
		return 0;
	}
	if (error < 0)
		return error;
	j = json_loads(text, 0, NULL);
	n = json_array_size(j);
	json_decref(j);
	free(text);
	{
		time_t t = (time_t)(at / 1000);
		struct tm tm;

		if (gmtime_r(&t, &tm) == NULL ||
		    strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm) ==
			    0)
			snprintf(when, sizeof(when), "?");
	}
	snprintf(buf, cap, "%zu methods, refreshed %s", n, when);
	return 0;
}

/*
 * A progress bar of the product sync: "[#####.....] 12/50", then
 * "listing" while products are still being queued, "failed N" when
 * some wait for the operator.
 */
int
ps_sh_product_progress_text(char *buf, size_t cap,
			    const ps_sh_product_progress *p)
{
	char bar[24];
	int64_t fill = 0;
	size_t i, w = 20;

	if (!p->started) {
		snprintf(buf, cap, "(not started)");
		return 0;
	}
	if (p->total > 0)
		fill = p->done * (int64_t)w / p->total;
	for (i = 0; i < w; i++)
		bar[i] = (int64_t)i < fill ? '#' : '.';
	bar[w] = '\0';
	snprintf(buf, cap, "[%s] %lld/%lld%s%s", bar, (long long)p->done,
		 (long long)p->total, p->listing ? " listing" : "",
		 p->failed > 0 ? ", failed" : "");
	if (p->failed > 0) {
		size_t used = strlen(buf);

		snprintf(buf + used, cap - used, " %lld", (long long)p->failed);
	}
	return 0;
}

static int
products_status(char *buf, size_t cap, ps_store *st)
{
	ps_sh_product_progress p;
	int error;

	if ((error = ps_sh_product_progress_get(&p, st)) < 0)
		return error;
	return ps_sh_product_progress_text(buf, cap, &p);
}

static int
run_status(char *buf, size_t cap, ps_store *st, const char *flow)
{
	int error;

	if (flow == NULL)
		return 0;
	if (strcmp(flow, ps_flow_product_sync_sh.name) == 0)
		error = products_status(buf, cap, st);
	else if (strcmp(flow, ps_flow_shipping_methods_sh.name) == 0)
		error = methods_status(buf, cap, st);
	else
		return 0;
	return error < 0 ? error : 1;
}

static int
setting_on(ps_store *st, const char *key)
{
	int b = 0;

	if (ps_settings_get_bool(&b, st, key) < 0) {
		ps_error_clear();
		return 0;
	}
	return b;
}

/* Go-live: needed once goods-out notes are to go to ShipHero. */
static int
check_go_live(int *out_done, char *why, size_t cap, ps_store *st)
{
	char *v = NULL;
	int error;

	if (!setting_on(st, PS_SET_SHIPHERO_ENABLED) ||
	    !setting_on(st, PS_SET_SHIPHERO_ORDERS_ENABLED))
		return 0;
	if ((error = ps_settings_get_opt(&v, st, PS_SET_SHIPHERO_GO_LIVE)) < 0)
		return error;
	if (v == NULL) {
		*out_done = 0;
		snprintf(why, cap, "set the go-live date and time");
	}
	free(v);
	return 0;
}

/* The warehouse map: notes of unmapped warehouses never go to ShipHero,
 * so sending notes needs at least one row. */
static int
check_warehouses(int *out_done, char *why, size_t cap, ps_store *st)
{
	size_t rows = 0;
	int error;

	if (!setting_on(st, PS_SET_SHIPHERO_ENABLED) ||
	    !setting_on(st, PS_SET_SHIPHERO_ORDERS_ENABLED))
		return 0;
	if ((error = ps_setup_mapping_rows(&rows, st, PS_SH_MAP_WAREHOUSE,
					   PS_SH_MAP_DIRECTION)) < 0)
		return error;
	if (rows == 0) {
		*out_done = 0;
		snprintf(why, cap, "map a Brightpearl warehouse to ShipHero");
	}
	return 0;
}

/* The shipping-method map: a method it maps that Brightpearl's last
 * refresh did not find needs attention. */
static int
check_methods(int *out_done, char *why, size_t cap, ps_store *st)
{
	char *text = NULL;
	int error;

	if (!setting_on(st, PS_SET_SHIPHERO_ENABLED))
		return 0;
	error = ps_store_cache_get(&text, NULL, st,
				   PS_SH_LIST_METHODS_VANISHED);
	if (error == PS_ENOTFOUND) {
		ps_error_clear();
		return 0;
	}
	if (error < 0)
		return error;
	if (text != NULL && strcmp(text, "[]") != 0) {
		*out_done = 0;
		snprintf(why, cap,
			 "a mapped shipping method vanished from Brightpearl");
	}
	free(text);
	return 0;
}

/* The product sync: done when every product it listed is in ShipHero. */
static int
check_products(int *out_done, char *why, size_t cap, ps_store *st)
{
	ps_sh_product_progress p;
	int error;

	if (!setting_on(st, PS_SET_SHIPHERO_ENABLED))
		return 0;
	if ((error = ps_sh_product_progress_get(&p, st)) < 0)
		return error;
	if (!p.started) {
		*out_done = 0;
		snprintf(why, cap, "start the initial product sync");
	} else if (p.listing || p.done + p.failed < p.total) {
		*out_done = 0;
		snprintf(why, cap, "product sync %lld/%lld", (long long)p.done,
			 (long long)p.total);
	} else if (p.failed > 0) {
		*out_done = 0;
		snprintf(why, cap, "%lld products failed; see the sync log",
			 (long long)p.failed);
	}
	return 0;
}

static const ps_setup_step_def steps[] = {
	{"ShipHero go-live",
	 "Goods-out notes from this date and time go to "
	 "ShipHero",
	 go_live, PS__ARRAY_LEN(go_live), check_go_live},
	{"ShipHero warehouses",
	 "Which ShipHero warehouse ships each "
	 "Brightpearl warehouse's notes",
	 warehouses, PS__ARRAY_LEN(warehouses), check_warehouses},
	{"ShipHero methods",
	 "Brightpearl shipping methods to "
	 "ShipHero carrier and method; refreshed daily",
	 methods, PS__ARRAY_LEN(methods), check_methods},
	{"ShipHero products",
	 "Every Brightpearl product with a SKU created "
	 "in ShipHero (existing SKUs adopted)",
	 products, PS__ARRAY_LEN(products), check_products},
};

static const ps_setup_mapping_kind mappings[] = {
	{PS_SH_MAP_WAREHOUSE, PS_SH_MAP_DIRECTION,
	 "Warehouses, Brightpearl to ShipHero", "Brightpearl warehouse",
	 "ShipHero warehouse", PS_SETUP_LIST_BP_WAREHOUSES,
	 PS_SH_LIST_WAREHOUSES},
	{PS_SH_MAP_SHIPPING_METHOD, PS_SH_MAP_DIRECTION,
	 "Shipping methods, Brightpearl to ShipHero",
	 "Brightpearl shipping method", "ShipHero carrier:method",
	 PS_SETUP_LIST_BP_SHIPPING, NULL},
};

const ps_flow_group ps_flow_group_shiphero = {
	.name = "shiphero",
	.title = "ShipHero fulfilment",
	.steps = steps,
	.nsteps = PS__ARRAY_LEN(steps),
	.mappings = mappings,
	.nmappings = PS__ARRAY_LEN(mappings),
	.settings = NULL,
	.nsettings = 0,
	.run_status = run_status,
};
