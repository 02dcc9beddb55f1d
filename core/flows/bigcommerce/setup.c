/*
 * setup.c - the setup steps and mapping tables of the BigCommerce <->
 * Brightpearl flows, as data for the console (pearlsync/setup.h): order
 * sync, defaults, status mapping, items and customers, fulfilment, notes,
 * payments and inventory, in the order the peer integration guides walk
 * a merchant through them.
 */
#include "internal.h"
#include "setting_keys.h"
#include "flows/bigcommerce/setup_int.h"
#include "flows/bigcommerce/pair_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pearlsync/settings.h"
#include "pearlsync/setup.h"

/* clang-format off */
#define F(type, label, key, list, by_name, req) \
	{type, label, key, list, by_name, req, NULL, (ps_platform)0}
/* clang-format on */

static const ps_setup_field order_sync[] = {
	F(PS_SETUP_FIELD_BOOL, "Import orders", PS_SET_BC_ORDERS_ENABLED, NULL,
	  0, 0),
	F(PS_SETUP_FIELD_PICK_MANY, "BigCommerce statuses to import",
	  PS_SET_BC_ORDERS_IMPORT_STATUSES, PS_SETUP_LIST_BC_STATUSES, 0, 1),
	F(PS_SETUP_FIELD_PICK_MANY, "Brightpearl statuses synced back",
	  PS_SET_BC_ORDERS_SYNC_STATUSES, PS_SETUP_LIST_BP_STATUSES, 1, 0),
	F(PS_SETUP_FIELD_BOOL, "Import guest orders",
	  PS_SET_BC_ORDERS_IMPORT_GUESTS, NULL, 0, 0),
	F(PS_SETUP_FIELD_START_DATE, "Import orders created from",
	  PS_SET_BC_ORDERS_START_DATE, NULL, 0, 0),
};

static const ps_setup_field defaults[] = {
	F(PS_SETUP_FIELD_PICK, "Channel", PS_SET_BC_DEFAULTS_CHANNEL_ID,
	  PS_SETUP_LIST_BP_CHANNELS, 0, 1),
	F(PS_SETUP_FIELD_PICK, "Warehouse", PS_SET_BC_DEFAULTS_WAREHOUSE_ID,
	  PS_SETUP_LIST_BP_WAREHOUSES, 0, 1),
	F(PS_SETUP_FIELD_PICK, "Project", PS_SET_BC_DEFAULTS_PROJECT_ID,
	  PS_SETUP_LIST_BP_PROJECTS, 0, 0),
	F(PS_SETUP_FIELD_PICK, "Lead source", PS_SET_BC_DEFAULTS_LEAD_SOURCE_ID,
	  PS_SETUP_LIST_BP_LEAD_SOURCES, 0, 0),
	F(PS_SETUP_FIELD_PICK, "Tax code", PS_SET_BC_DEFAULTS_TAX_CODE,
	  PS_SETUP_LIST_BP_TAX_CODES, 0, 0),
	F(PS_SETUP_FIELD_MAPPING, "Tax codes by BigCommerce tax class",
	  "tax_code", "bc>bp", 0, 0),
};

static const ps_setup_field status_mapping[] = {
	F(PS_SETUP_FIELD_MAPPING, "BigCommerce to Brightpearl statuses",
	  "order_status", "bc>bp", 0, 1),
	F(PS_SETUP_FIELD_MAPPING, "Brightpearl to BigCommerce statuses",
	  "order_status", "bp>bc", 0, 0),
};

static const ps_setup_field items[] = {
	F(PS_SETUP_FIELD_ENUM, "Product match field",
	  PS_SET_BC_ITEMS_PRODUCT_MATCH_FIELD, NULL, 0, 1),
	F(PS_SETUP_FIELD_BOOL, "Create unknown customers",
	  PS_SET_BC_CUSTOMERS_AUTO_CREATE, NULL, 0, 0),
	F(PS_SETUP_FIELD_BOOL, "Update known customers",
	  PS_SET_BC_CUSTOMERS_UPDATE_EXISTING, NULL, 0, 0),
};

static const ps_setup_field fulfilment[] = {
	F(PS_SETUP_FIELD_BOOL, "Send shipments to BigCommerce",
	  PS_SET_BC_FULFILMENT_ENABLED, NULL, 0, 0),
	F(PS_SETUP_FIELD_ENUM, "Trigger (status or goods_out)",
	  PS_SET_BC_FULFILMENT_TRIGGER, NULL, 0, 1),
	F(PS_SETUP_FIELD_PICK, "Trigger status",
	  PS_SET_BC_FULFILMENT_TRIGGER_STATUS, PS_SETUP_LIST_BP_STATUSES, 1, 0),
	F(PS_SETUP_FIELD_MAPPING, "Shipping methods, BC to Brightpearl",
	  "shipping_method", "bc>bp", 0, 0),
	F(PS_SETUP_FIELD_MAPPING, "Shipping methods, Brightpearl to BC",
	  "shipping_method", "bp>bc", 0, 0),
};

static const ps_setup_field notes[] = {
	F(PS_SETUP_FIELD_BOOL, "Copy Brightpearl notes to BigCommerce",
	  PS_SET_BC_NOTES_ENABLED, NULL, 0, 0),
	F(PS_SETUP_FIELD_PICK, "Customer message to Brightpearl field",
	  PS_SET_BC_NOTES_CUSTOMER_MESSAGE_FIELD, PS_SETUP_LIST_BP_FIELDS, 0,
	  0),
	F(PS_SETUP_FIELD_PICK, "Staff notes to Brightpearl field",
	  PS_SET_BC_NOTES_STAFF_NOTES_FIELD, PS_SETUP_LIST_BP_FIELDS, 0, 0),
	F(PS_SETUP_FIELD_ENUM, "Brightpearl notes to BigCommerce field",
	  PS_SET_BC_NOTES_BP_NOTE_TO_BC_FIELD, NULL, 0, 0),
};

static const ps_setup_field payments[] = {
	F(PS_SETUP_FIELD_BOOL, "Record payments", PS_SET_BC_PAYMENTS_ENABLED,
	  NULL, 0, 0),
	F(PS_SETUP_FIELD_BOOL, "Captured payments only",
	  PS_SET_BC_PAYMENTS_CAPTURED_ONLY, NULL, 0, 0),
	F(PS_SETUP_FIELD_MAPPING, "Payment methods", "payment_method", "bc>bp",
	  0, 0),
};

static const ps_setup_field inventory[] = {
	F(PS_SETUP_FIELD_BOOL, "Send stock levels", PS_SET_BC_INVENTORY_ENABLED,
	  NULL, 0, 0),
	F(PS_SETUP_FIELD_PICK_MANY, "Warehouses summed",
	  PS_SET_BC_INVENTORY_WAREHOUSES, PS_SETUP_LIST_BP_WAREHOUSES, 0, 0),
	F(PS_SETUP_FIELD_TEXT, "Minutes between full comparisons",
	  PS_SET_BC_INVENTORY_INTERVAL_MINUTES, NULL, 0, 0),
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

/* Needs attention with why unless one of keys (NULL-terminated) is set,
 * when the boolean setting on is true. */
static int
need_one_of(int *out_done, char *why, size_t cap, ps_store *st, const char *on,
	    const char *const *keys, const char *reason)
{
	char *v = NULL;
	size_t i;
	int error;

	if (!setting_bool(st, on))
		return 0;
	for (i = 0; keys[i] != NULL && v == NULL; i++)
		if ((error = ps_settings_get_opt(&v, st, keys[i])) < 0)
			return error;
	if (v == NULL) {
		*out_done = 0;
		snprintf(why, cap, "%s", reason);
	}
	free(v);
	return 0;
}

/*
 * Order sync: with imports on, the start date must be set, or the first
 * poll takes every order the store ever had in the chosen statuses.
 */
static int
check_order_sync(int *out_done, char *why, size_t cap, ps_store *st)
{
	static const char *const keys[] = {PS_SET_BC_ORDERS_START_DATE, NULL};

	return need_one_of(out_done, why, cap, st, PS_SET_BC_ORDERS_ENABLED,
			   keys,
			   "set the start date (unset, the first poll "
			   "imports every old order)");
}

static int
check_fulfilment(int *out_done, char *why, size_t cap, ps_store *st)
{
	static const char *const keys[] = {PS_SET_BC_FULFILMENT_TRIGGER_STATUS,
					   NULL};
	char *v = NULL;
	int error, by_status;

	if (!setting_bool(st, PS_SET_BC_FULFILMENT_ENABLED))
		return 0;
	if ((error = ps_settings_get_opt(&v, st,
					 PS_SET_BC_FULFILMENT_TRIGGER)) < 0)
		return error;
	by_status = v != NULL && strcmp(v, "status") == 0;
	free(v);
	if (!by_status)
		return 0;
	return need_one_of(out_done, why, cap, st, PS_SET_BC_FULFILMENT_ENABLED,
			   keys, "choose the trigger status");
}

static int
check_notes(int *out_done, char *why, size_t cap, ps_store *st)
{
	static const char *const keys[] = {
		PS_SET_BC_NOTES_CUSTOMER_MESSAGE_FIELD,
		PS_SET_BC_NOTES_STAFF_NOTES_FIELD, NULL};

	return need_one_of(out_done, why, cap, st, PS_SET_BC_NOTES_ENABLED,
			   keys, "choose the Brightpearl field for notes");
}

static int
check_payments(int *out_done, char *why, size_t cap, ps_store *st)
{
	size_t rows = 0;
	int error;

	if (!setting_bool(st, PS_SET_BC_PAYMENTS_ENABLED))
		return 0;
	if ((error = ps_setup_mapping_rows(&rows, st, "payment_method",
					   "bc>bp")) < 0)
		return error;
	if (rows == 0) {
		*out_done = 0;
		snprintf(why, cap, "map the payment methods");
	}
	return 0;
}

static int
check_inventory(int *out_done, char *why, size_t cap, ps_store *st)
{
	static const char *const keys[] = {PS_SET_BC_INVENTORY_WAREHOUSES,
					   NULL};

	return need_one_of(out_done, why, cap, st, PS_SET_BC_INVENTORY_ENABLED,
			   keys, "choose the warehouses summed");
}

static const ps_setup_step_def steps[] = {
	{"Order sync", "Which orders are imported and which statuses go back",
	 order_sync, PS__ARRAY_LEN(order_sync), check_order_sync},
	{"Defaults",
	 "Channel, warehouse, project, lead source and tax codes of new "
	 "orders",
	 defaults, PS__ARRAY_LEN(defaults), NULL},
	{"Status mapping", "Order statuses mapped both ways, with defaults",
	 status_mapping, PS__ARRAY_LEN(status_mapping), NULL},
	{"Items and customers", "How products match; unknown customers", items,
	 PS__ARRAY_LEN(items), NULL},
	{"Fulfilment", "When shipments go to BigCommerce; shipping methods",
	 fulfilment, PS__ARRAY_LEN(fulfilment), check_fulfilment},
	{"Notes", "Which fields receive the order notes", notes,
	 PS__ARRAY_LEN(notes), check_notes},
	{"Payments", "Payments recorded in Brightpearl; method mapping",
	 payments, PS__ARRAY_LEN(payments), check_payments},
	{"Inventory", "Stock levels sent to BigCommerce", inventory,
	 PS__ARRAY_LEN(inventory), check_inventory},
};

static const ps_setup_mapping_kind mappings[] = {
	{"order_status", "bc>bp", "Order statuses, BigCommerce to Brightpearl",
	 "BigCommerce status", "Brightpearl status", PS_SETUP_LIST_BC_STATUSES,
	 PS_SETUP_LIST_BP_STATUSES},
	{"order_status", "bp>bc", "Order statuses, Brightpearl to BigCommerce",
	 "Brightpearl status", "BigCommerce status", PS_SETUP_LIST_BP_STATUSES,
	 PS_SETUP_LIST_BC_STATUSES},
	{"shipping_method", "bc>bp",
	 "Shipping methods, BigCommerce to Brightpearl",
	 "BigCommerce method name", "Brightpearl method", NULL,
	 PS_SETUP_LIST_BP_SHIPPING},
	{"shipping_method", "bp>bc",
	 "Shipping methods, Brightpearl to BigCommerce", "Brightpearl method",
	 "BigCommerce method name", PS_SETUP_LIST_BP_SHIPPING, NULL},
	{"payment_method", "bc>bp",
	 "Payment methods, BigCommerce to Brightpearl",
	 "BigCommerce payment method", "Brightpearl method code", NULL,
	 PS_SETUP_LIST_BP_PAYMENT},
	{"warehouse", "bp>bc", "Warehouses, Brightpearl to BigCommerce",
	 "Brightpearl warehouse", "BigCommerce location id",
	 PS_SETUP_LIST_BP_WAREHOUSES, NULL},
	{"channel", "bc>bp", "Channels, BigCommerce to Brightpearl",
	 "BigCommerce channel id", "Brightpearl channel", NULL,
	 PS_SETUP_LIST_BP_CHANNELS},
	{"tax_code", "bc>bp", "Tax codes, BigCommerce to Brightpearl",
	 "BigCommerce tax class id, or zero_rated, shipping, handling, "
	 "gift_wrapping, discount",
	 "Brightpearl tax code", NULL, PS_SETUP_LIST_BP_TAX_CODES},
	{"product", "bc>bp", "Products, BigCommerce to Brightpearl",
	 "BigCommerce SKU", "Brightpearl product", NULL,
	 PS_SETUP_LIST_BP_PRODUCTS},
};

static const char *const fulfilment_triggers[] = {"status", "goods_out", NULL};
static const char *const bp_note_fields[] = {"staff_notes", "customer_message",
					     NULL};
static const char *const match_fields[] = {"sku",  "barcode", "ean", "upc",
					   "isbn", "mpn",     NULL};

static const ps_setting_def settings[] = {
/* clang-format off */
#include "setting_rows.h"
#include "flows/bigcommerce/settings.def"
	/* clang-format on */
};

const ps_flow_group ps_flow_group_bigcommerce = {
	.name = "bigcommerce",
	.title = "BigCommerce orders",
	.steps = steps,
	.nsteps = PS__ARRAY_LEN(steps),
	.mappings = mappings,
	.nmappings = PS__ARRAY_LEN(mappings),
	.settings = settings,
	.nsettings = PS__ARRAY_LEN(settings),
	.reconciler = &ps_reconciler_bigcommerce,
};
