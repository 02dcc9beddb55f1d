/*
 * setup.c - the setup steps and mapping tables of the DSCO <-> Brightpearl
 * flows, as data for the console (pearlsync/setup.h), in the order the
 * peer connector's DSCO guide walks a supplier through them: connect and
 * test, customers, products, inventory, order status and defaults,
 * shipping methods, warehouses, the shipment trigger and the cancel
 * status.
 *
 * The settings themselves are DSCO's (core/platforms/dsco/settings.def).
 * No field is marked required: a merchant without DSCO must see these
 * steps done, so what DSCO needs is checked by the steps' own checks, and
 * only while DSCO (or the part of it the step serves) is switched on.
 */
#include "internal.h"
#include "setting_keys.h"
#include "flows/dsco/setup_int.h"
#include "platforms/connector.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pearlsync/platform.h"
#include "pearlsync/settings.h"
#include "pearlsync/setup.h"

/* clang-format off */
#define F(type, label, key, list, by_name) \
	{type, label, key, list, by_name, 0, NULL, (ps_platform)0}
/* clang-format on */

static const ps_setup_field connect[] = {
	F(PS_SETUP_FIELD_BOOL, "Sync with DSCO", PS_SET_DSCO_ENABLED, NULL, 0),
	F(PS_SETUP_FIELD_URL, "DSCO API URL (blank: production)",
	  PS_SET_DSCO_BASE_URL, NULL, 0),
	F(PS_SETUP_FIELD_TEXT, "DSCO client id", PS_SET_DSCO_CLIENT_ID, NULL,
	  0),
	F(PS_SETUP_FIELD_SECRET, "DSCO client secret",
	  PS_SET_DSCO_CLIENT_SECRET, NULL, 0),
	F(PS_SETUP_FIELD_SECRET, "DSCO legacy API token", PS_SET_DSCO_TOKEN,
	  NULL, 0),
	{PS_SETUP_FIELD_TEST, "Test the DSCO connection", NULL, NULL, 0, 0,
	 NULL, PS_PLATFORM_DSCO},
};

static const ps_setup_field customers[] = {
	F(PS_SETUP_FIELD_BOOL, "Import DSCO purchase orders",
	  PS_SET_DSCO_ORDERS_ENABLED, NULL, 0),
	F(PS_SETUP_FIELD_ENUM, "Customers (auto or map)",
	  PS_SET_DSCO_CUSTOMERS_MODE, NULL, 0),
	F(PS_SETUP_FIELD_MAPPING, "Customers, DSCO retailer to Brightpearl",
	  "dsco_customer", "dsco>bp", 0),
};

static const ps_setup_field products[] = {
	F(PS_SETUP_FIELD_ENUM, "DSCO unique id field",
	  PS_SET_DSCO_ITEMS_MATCH_FIELD, NULL, 0),
	F(PS_SETUP_FIELD_ENUM, "Brightpearl unique id field",
	  PS_SET_DSCO_ITEMS_BP_FIELD, NULL, 0),
	F(PS_SETUP_FIELD_MAPPING, "Products mapped by hand", "dsco_product",
	  "dsco>bp", 0),
};

static const ps_setup_field inventory[] = {
	F(PS_SETUP_FIELD_BOOL, "Send stock levels to DSCO",
	  PS_SET_DSCO_INVENTORY_ENABLED, NULL, 0),
	F(PS_SETUP_FIELD_PICK_MANY, "Brightpearl warehouses read",
	  PS_SET_DSCO_INVENTORY_WAREHOUSES, PS_SETUP_LIST_BP_WAREHOUSES, 0),
};

static const ps_setup_field orders[] = {
	F(PS_SETUP_FIELD_PICK, "Order status", PS_SET_DSCO_ORDER_STATUS,
	  PS_SETUP_LIST_BP_STATUSES, 0),
	F(PS_SETUP_FIELD_PICK, "Channel", PS_SET_DSCO_CHANNEL_ID,
	  PS_SETUP_LIST_BP_CHANNELS, 0),
	F(PS_SETUP_FIELD_PICK, "Warehouse", PS_SET_DSCO_DEFAULTS_WAREHOUSE_ID,
	  PS_SETUP_LIST_BP_WAREHOUSES, 0),
	F(PS_SETUP_FIELD_TEXT, "Price list id",
	  PS_SET_DSCO_DEFAULTS_PRICE_LIST_ID, NULL, 0),
	F(PS_SETUP_FIELD_PICK, "Tax code", PS_SET_DSCO_DEFAULTS_TAX_CODE,
	  PS_SETUP_LIST_BP_TAX_CODES, 0),
	F(PS_SETUP_FIELD_PICK, "Project", PS_SET_DSCO_DEFAULTS_PROJECT_ID,
	  PS_SETUP_LIST_BP_PROJECTS, 0),
	F(PS_SETUP_FIELD_PICK, "Lead source",
	  PS_SET_DSCO_DEFAULTS_LEAD_SOURCE_ID, PS_SETUP_LIST_BP_LEAD_SOURCES,
	  0),
	F(PS_SETUP_FIELD_TEXT, "Nominal code of rows",
	  PS_SET_DSCO_DEFAULTS_NOMINAL_CODE, NULL, 0),
	F(PS_SETUP_FIELD_TEXT, "Order reference prefix",
	  PS_SET_DSCO_REFERENCE_PREFIX, NULL, 0),
};

static const ps_setup_field shipping[] = {
	F(PS_SETUP_FIELD_MAPPING, "Brightpearl method to DSCO service level",
	  "dsco_shipping_method", "bp>dsco", 0),
};

static const ps_setup_field warehouses[] = {
	F(PS_SETUP_FIELD_MAPPING, "Brightpearl warehouse to DSCO warehouse",
	  "dsco_warehouse", "bp>dsco", 0),
};

static const ps_setup_field trigger[] = {
	F(PS_SETUP_FIELD_ENUM, "Trigger (status or goods_out)",
	  PS_SET_DSCO_SHIPMENT_TRIGGER, NULL, 0),
	F(PS_SETUP_FIELD_PICK, "Trigger status",
	  PS_SET_DSCO_SHIPMENT_TRIGGER_STATUS, PS_SETUP_LIST_BP_STATUSES, 1),
};

static const ps_setup_field cancel[] = {
	F(PS_SETUP_FIELD_PICK, "Cancel status", PS_SET_DSCO_CANCEL_STATUS,
	  PS_SETUP_LIST_BP_STATUSES, 0),
};

#undef F

static int
setting_bool(ps_store *st, const char *key)
{
	int b = 0;

	if (ps_settings_get_bool(&b, st, key) < 0) {
		ps_error_clear();
		return 0;
	}
	return b;
}

/* Needs attention with reason when key is unset. */
static int
need(int *out_done, char *why, size_t cap, ps_store *st, const char *key,
     const char *reason)
{
	char *v = NULL;
	int error;

	if ((error = ps_settings_get_opt(&v, st, key)) < 0)
		return error;
	if (v == NULL || v[0] == '\0') {
		*out_done = 0;
		snprintf(why, cap, "%s", reason);
	}
	free(v);
	return 0;
}

/* Needs attention with reason when the mapping table has no row. */
static int
need_rows(int *out_done, char *why, size_t cap, ps_store *st, const char *kind,
	  const char *direction, const char *reason)
{
	size_t rows = 0;
	int error;

	if ((error = ps_setup_mapping_rows(&rows, st, kind, direction)) < 0)
		return error;
	if (rows == 0) {
		*out_done = 0;
		snprintf(why, cap, "%s", reason);
	}
	return 0;
}

/* Whether key's value equals value (0 when unset or unreadable). */
static int
setting_is(ps_store *st, const char *key, const char *value)
{
	char *v = NULL;
	int is;

	if (ps_settings_get(&v, st, key) < 0) {
		ps_error_clear();
		return 0;
	}
	is = v != NULL && strcmp(v, value) == 0;
	free(v);
	return is;
}

static int
dsco_on(ps_store *st)
{
	return setting_bool(st, PS_SET_DSCO_ENABLED);
}

static int
orders_on(ps_store *st)
{
	return dsco_on(st) && setting_bool(st, PS_SET_DSCO_ORDERS_ENABLED);
}

static int
check_connect(int *out_done, char *why, size_t cap, ps_store *st)
{
	char *id = NULL, *secret = NULL, *token = NULL;
	int error, creds;

	if (!dsco_on(st))
		return 0;
	if ((error = ps_settings_get_opt(&id, st, PS_SET_DSCO_CLIENT_ID)) < 0 ||
	    (error = ps_settings_get_opt(&secret, st,
					 PS_SET_DSCO_CLIENT_SECRET)) < 0 ||
	    (error = ps_settings_get_opt(&token, st, PS_SET_DSCO_TOKEN)) < 0)
		goto done;
	creds = (id != NULL && secret != NULL) || token != NULL;
	if (!creds) {
		*out_done = 0;
		snprintf(why, cap,
			 "set the DSCO client id and secret (or a legacy "
			 "token)");
	}
done:
	free(id);
	ps_conn__free_secret(secret);
	ps_conn__free_secret(token);
	return error;
}

static int
check_customers(int *out_done, char *why, size_t cap, ps_store *st)
{
	if (!orders_on(st) ||
	    !setting_is(st, PS_SET_DSCO_CUSTOMERS_MODE, "map"))
		return 0;
	return need_rows(out_done, why, cap, st, "dsco_customer", "dsco>bp",
			 "map the DSCO retailers to Brightpearl customers");
}

static int
check_inventory(int *out_done, char *why, size_t cap, ps_store *st)
{
	if (!dsco_on(st) || !setting_bool(st, PS_SET_DSCO_INVENTORY_ENABLED))
		return 0;
	return need(out_done, why, cap, st, PS_SET_DSCO_INVENTORY_WAREHOUSES,
		    "choose the Brightpearl warehouses read");
}

static int
check_orders(int *out_done, char *why, size_t cap, ps_store *st)
{
	int error;

	if (!orders_on(st))
		return 0;
	if ((error = need(out_done, why, cap, st, PS_SET_DSCO_ORDER_STATUS,
			  "choose the status of new orders")) < 0 ||
	    !*out_done)
		return error;
	if ((error = need(out_done, why, cap, st, PS_SET_DSCO_CHANNEL_ID,
			  "choose the channel of DSCO orders")) < 0 ||
	    !*out_done)
		return error;
	return need(out_done, why, cap, st, PS_SET_DSCO_DEFAULTS_WAREHOUSE_ID,
		    "choose the warehouse of DSCO orders");
}

static int
check_shipping(int *out_done, char *why, size_t cap, ps_store *st)
{
	if (!orders_on(st))
		return 0;
	return need_rows(out_done, why, cap, st, "dsco_shipping_method",
			 "bp>dsco",
			 "map the shipping methods (or set a default)");
}

static int
check_warehouses(int *out_done, char *why, size_t cap, ps_store *st)
{
	if (!dsco_on(st))
		return 0;
	return need_rows(out_done, why, cap, st, "dsco_warehouse", "bp>dsco",
			 "map the warehouses (or set a default)");
}

static int
check_trigger(int *out_done, char *why, size_t cap, ps_store *st)
{
	if (!orders_on(st) ||
	    !setting_is(st, PS_SET_DSCO_SHIPMENT_TRIGGER, "status"))
		return 0;
	return need(out_done, why, cap, st, PS_SET_DSCO_SHIPMENT_TRIGGER_STATUS,
		    "choose the trigger status");
}

static int
check_cancel(int *out_done, char *why, size_t cap, ps_store *st)
{
	if (!orders_on(st))
		return 0;
	return need(out_done, why, cap, st, PS_SET_DSCO_CANCEL_STATUS,
		    "choose the status of cancelled orders");
}

static const ps_setup_step_def steps[] = {
	{"DSCO connect and test",
	 "Switch DSCO on, enter its API credentials and test them", connect,
	 PS__ARRAY_LEN(connect), check_connect},
	{"DSCO customers",
	 "Purchase orders on or off; customers created, or mapped by retailer",
	 customers, PS__ARRAY_LEN(customers), check_customers},
	{"DSCO products",
	 "The unique id field on each side; products mapped by hand", products,
	 PS__ARRAY_LEN(products), NULL},
	{"DSCO inventory", "Stock levels sent to DSCO, from which warehouses",
	 inventory, PS__ARRAY_LEN(inventory), check_inventory},
	{"DSCO order defaults",
	 "Status, channel, warehouse and other defaults of new orders", orders,
	 PS__ARRAY_LEN(orders), check_orders},
	{"DSCO shipping methods",
	 "Brightpearl shipping methods as DSCO service level codes", shipping,
	 PS__ARRAY_LEN(shipping), check_shipping},
	{"DSCO warehouses", "Brightpearl warehouses as DSCO warehouse codes",
	 warehouses, PS__ARRAY_LEN(warehouses), check_warehouses},
	{"DSCO shipment trigger",
	 "When shipments go to DSCO: a status, or each goods-out note", trigger,
	 PS__ARRAY_LEN(trigger), check_trigger},
	{"DSCO cancel status", "The Brightpearl status of orders DSCO cancels",
	 cancel, PS__ARRAY_LEN(cancel), check_cancel},
};

static const ps_setup_mapping_kind mappings[] = {
	{"dsco_customer", "dsco>bp", "Customers, DSCO retailer to Brightpearl",
	 "DSCO retailer id", "Brightpearl contact id", NULL, NULL},
	{"dsco_product", "dsco>bp", "Products, DSCO item to Brightpearl",
	 "DSCO item id (the unique id field's value)", "Brightpearl product",
	 NULL, PS_SETUP_LIST_BP_PRODUCTS},
	{"dsco_shipping_method", "bp>dsco",
	 "Shipping methods, Brightpearl to DSCO", "Brightpearl method",
	 "DSCO service level code", PS_SETUP_LIST_BP_SHIPPING,
	 PS_SETUP_LIST_DSCO_SERVICE_LEVELS},
	{"dsco_warehouse", "bp>dsco", "Warehouses, Brightpearl to DSCO",
	 "Brightpearl warehouse", "DSCO warehouse code",
	 PS_SETUP_LIST_BP_WAREHOUSES, PS_SETUP_LIST_DSCO_WAREHOUSES},
};

const ps_flow_group ps_flow_group_dsco = {
	.name = "dsco",
	.title = "DSCO drop-ship orders",
	.steps = steps,
	.nsteps = PS__ARRAY_LEN(steps),
	.mappings = mappings,
	.nmappings = PS__ARRAY_LEN(mappings),
	.settings = NULL,
	.nsettings = 0,
};
