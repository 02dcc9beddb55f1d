/*
 * test_tui_setup.c - the console's setup-step model (tui/model_setup.c)
 * against a real SQLite store, and its connection test and list refresh
 * against the sandbox.  No curses involved.
 */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model_mapping.h"
#include "model_setup.h"
#include "pearlsync/flow.h"
#include "pearlsync/common.h"
#include "pearlsync/connect.h"
#include "pearlsync/settings.h"
#include "pearlsync/store.h"
#include "sandbox_proc.h"
#include "test_db.h"

#define NOW 1700000000000LL

struct fixture {
	test_db db;
	ps_store *st; /* db.st */
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	if (test_db_open(&f->db, "tuisetup") < 0)
		return -1;
	f->st = f->db.st;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	test_db_close(&f->db);
	free(f);
	return 0;
}

/* The field of step whose setting (or mapping kind) is key. */
/* The built-in walk-through: Connections, then the BigCommerce flow
 * group's steps, then the DSCO group's. */
enum {
	PS_SETUP_ORDER_SYNC = 1,
	PS_SETUP_DEFAULTS,
	PS_SETUP_STATUS_MAPPING,
	PS_SETUP_ITEMS,
	PS_SETUP_FULFILMENT,
	PS_SETUP_NOTES,
	PS_SETUP_PAYMENTS,
	PS_SETUP_INVENTORY,
	PS_SETUP_DSCO_CONNECT,
	PS_SETUP_DSCO_CUSTOMERS,
	PS_SETUP_DSCO_PRODUCTS,
	PS_SETUP_DSCO_INVENTORY,
	PS_SETUP_DSCO_ORDERS,
	PS_SETUP_DSCO_SHIPPING,
	PS_SETUP_DSCO_WAREHOUSES,
	PS_SETUP_DSCO_TRIGGER,
	PS_SETUP_DSCO_CANCEL,
	PS_SETUP_SH_GO_LIVE,
	PS_SETUP_SH_WAREHOUSES,
	PS_SETUP_SH_METHODS,
	PS_SETUP_SH_PRODUCTS,
	PS_SETUP_STEP_COUNT
};

static const ps_setup_field *
field(ps_setup_step step, const char *key)
{
	const ps_setup_field *fl;
	size_t i;

	for (i = 0; (fl = ps_setup_field_at(step, i)) != NULL; i++)
		if (fl->key != NULL && strcmp(fl->key, key) == 0)
			return fl;
	fail_msg("no field %s in step %d", key, (int)step);
	return NULL;
}

static void
set(ps_store *st, const char *key, const char *value)
{
	assert_int_equal(
		ps_store_setting_set(NULL, st, key, value, "test", NOW), 0);
}

static char *
stored(ps_store *st, const char *key)
{
	char *v = NULL;
	int e = ps_store_setting_get(&v, st, key);

	if (e == PS_ENOTFOUND)
		return NULL;
	assert_int_equal(e, 0);
	return v;
}

/* Done flag and reason of a step. */
static int
check(ps_store *st, ps_setup_step step, char *why, size_t cap)
{
	int done = -1;

	assert_int_equal(ps_setup_step_check(&done, why, cap, st, step), 0);
	assert_true(done == 0 || done == 1);
	assert_true(done ? why[0] == '\0' : why[0] != '\0');
	return done;
}

/* ------------------------------------------------------------------------ */

static void
test_tui_setup__steps_in_guide_order(void **state)
{
	static const char *const want[] = {"Connections",
					   "Order sync",
					   "Defaults",
					   "Status mapping",
					   "Items and customers",
					   "Fulfilment",
					   "Notes",
					   "Payments",
					   "Inventory",
					   "DSCO connect and test",
					   "DSCO customers",
					   "DSCO products",
					   "DSCO inventory",
					   "DSCO order defaults",
					   "DSCO shipping methods",
					   "DSCO warehouses",
					   "DSCO shipment trigger",
					   "DSCO cancel status",
					   "ShipHero go-live",
					   "ShipHero warehouses",
					   "ShipHero methods",
					   "ShipHero products"};
	size_t i, j;

	(void)state;
	assert_int_equal(ps_setup_step_count(), PS_SETUP_STEP_COUNT);
	for (i = 0; i < PS_SETUP_STEP_COUNT; i++) {
		assert_string_equal(ps_setup_step_title((ps_setup_step)i),
				    want[i]);
		assert_non_null(ps_setup_step_help((ps_setup_step)i));
		assert_true(ps_setup_field_count((ps_setup_step)i) > 0);
		/* Every setting field names a key the catalogue knows; every
		 * mapping field has an editor. */
		for (j = 0; j < ps_setup_field_count((ps_setup_step)i); j++) {
			const ps_setup_field *f =
				ps_setup_field_at((ps_setup_step)i, j);

			if (f->type == PS_SETUP_FIELD_MAPPING)
				assert_non_null(
					ps_mapedit_kind_find(f->key, f->list));
			else if (f->type == PS_SETUP_FIELD_RUN)
				assert_non_null(ps_flow_find(f->key));
			else if (f->key != NULL)
				assert_non_null(ps_settings_find(f->key));
		}
	}
	assert_null(ps_setup_step_title(PS_SETUP_STEP_COUNT));
	assert_int_equal(ps_setup_field_count(PS_SETUP_STEP_COUNT), 0);
	assert_null(ps_setup_field_at(PS_SETUP_CONNECTIONS, 1000));
	assert_null(ps_setup_field_at(PS_SETUP_STEP_COUNT, 0));
}

static void
test_tui_setup__empty_store_needs_attention(void **state)
{
	struct fixture *f = *state;
	char why[256];

	assert_int_equal(check(f->st, PS_SETUP_CONNECTIONS, why, sizeof(why)),
			 0);
	assert_non_null(strstr(why, "Brightpearl account code is not set"));
	assert_int_equal(check(f->st, PS_SETUP_DEFAULTS, why, sizeof(why)), 0);
	assert_non_null(strstr(why, "Channel"));
	assert_int_equal(
		check(f->st, PS_SETUP_STATUS_MAPPING, why, sizeof(why)), 0);
	assert_non_null(strstr(why, "no order status mapping yet (bc>bp"));
	/* Catalogue defaults make these steps complete out of the box. */
	assert_int_equal(check(f->st, PS_SETUP_ORDER_SYNC, why, sizeof(why)),
			 1);
	assert_int_equal(check(f->st, PS_SETUP_ITEMS, why, sizeof(why)), 1);
	assert_int_equal(check(f->st, PS_SETUP_INVENTORY, why, sizeof(why)), 1);
	assert_int_equal(ps_setup_step_check(&(int){0}, why, sizeof(why), f->st,
					     PS_SETUP_STEP_COUNT),
			 PS_EINVAL);
}

static void
test_tui_setup__no_default_warehouse_refused(void **state)
{
	struct fixture *f = *state;
	const ps_setup_field *wh =
		field(PS_SETUP_DEFAULTS, "bigcommerce.defaults.warehouse_id");
	int64_t v0 = 0, v1 = 0;

	assert_int_equal(ps_store_settings_version(&v0, f->st), 0);
	assert_int_equal(ps_setup_field_set(f->st, wh, "", NOW), PS_EINVAL);
	assert_non_null(strstr(ps_error_last(), "Warehouse is required"));
	assert_int_equal(ps_setup_field_set(f->st, wh, NULL, NOW), PS_EINVAL);
	/* A malformed id is refused by the catalogue. */
	assert_int_equal(ps_setup_field_set(f->st, wh, "abc", NOW), PS_EINVAL);
	assert_int_equal(ps_store_settings_version(&v1, f->st), 0);
	assert_int_equal(v0, v1);
	assert_null(stored(f->st, "bigcommerce.defaults.warehouse_id"));
}

struct actor_seen {
	const char *key;
	char actor[32];
	char value[64];
};

static int
history_cb(const ps_setting_change *c, void *payload)
{
	struct actor_seen *a = payload;

	if (strcmp(c->key, a->key) != 0)
		return 0;
	snprintf(a->actor, sizeof(a->actor), "%s", c->actor);
	snprintf(a->value, sizeof(a->value), "%s",
		 c->new_value ? c->new_value : "(null)");
	return 1; /* newest first: stop at the first */
}

static void
test_tui_setup__pick_checked_against_cached_list(void **state)
{
	struct fixture *f = *state;
	const ps_setup_field *wh =
		field(PS_SETUP_DEFAULTS, "bigcommerce.defaults.warehouse_id");
	struct actor_seen seen = {"bigcommerce.defaults.warehouse_id", "", ""};
	char buf[128], why[256];
	char *v;

	/* Never fetched: any well-formed id is taken (offline setup). */
	assert_int_equal(ps_setup_field_set(f->st, wh, "7", NOW), 0);
	set(f->st, "bigcommerce.defaults.channel_id", "1");
	assert_int_equal(check(f->st, PS_SETUP_DEFAULTS, why, sizeof(why)), 1);
	assert_int_equal(
		ps_store_cache_set(f->st, PS_SETUP_LIST_BP_WAREHOUSES,
				   "[{\"id\":\"2\",\"name\":\"Main\"},"
				   "{\"id\":\"3\",\"name\":\"Store\"}]",
				   NOW),
		0);
	/* 7 is now stale: the step says so and the display flags it. */
	assert_int_equal(check(f->st, PS_SETUP_DEFAULTS, why, sizeof(why)), 0);
	assert_non_null(strstr(why, "Warehouse"));
	assert_non_null(strstr(why, "'7'"));
	assert_int_equal(ps_setup_field_display(buf, sizeof(buf), f->st, wh),
			 0);
	assert_string_equal(buf, "7 (missing!)");
	/* A value not in the list is refused, nothing written. */
	assert_int_equal(ps_setup_field_set(f->st, wh, "9", NOW), PS_EINVAL);
	assert_non_null(strstr(ps_error_last(), "warehouse '9'"));
	v = stored(f->st, "bigcommerce.defaults.warehouse_id");
	assert_string_equal(v, "7");
	free(v);
	assert_int_equal(ps_setup_field_set(f->st, wh, "3", NOW + 1), 0);
	assert_int_equal(ps_setup_field_display(buf, sizeof(buf), f->st, wh),
			 0);
	assert_string_equal(buf, "3 Store");
	/* The change is in the history with the console as actor. */
	assert_int_equal(ps_store_setting_history_foreach(
				 f->st, "bigcommerce.defaults.warehouse_id",
				 history_cb, &seen),
			 1);
	assert_string_equal(seen.actor, "console");
	assert_string_equal(seen.value, "3");
}

static void
test_tui_setup__pick_many_and_by_name(void **state)
{
	struct fixture *f = *state;
	const ps_setup_field *imp = field(PS_SETUP_ORDER_SYNC,
					  "bigcommerce.orders.import_statuses");
	const ps_setup_field *back =
		field(PS_SETUP_ORDER_SYNC, "bigcommerce.orders.sync_statuses");
	char buf[256];
	char *v;

	assert_int_equal(
		ps_store_cache_set(f->st, PS_SETUP_LIST_BC_STATUSES,
				   "[{\"id\":\"9\",\"name\":\"Awaiting "
				   "Fulfillment\"},{\"id\":\"11\",\"name\":"
				   "\"Awaiting Fulfillment 2\"}]",
				   NOW),
		0);
	assert_int_equal(
		ps_store_cache_set(f->st, PS_SETUP_LIST_BP_STATUSES,
				   "[{\"id\":\"4\",\"name\":\"Invoiced\"},"
				   "{\"id\":\"8\",\"name\":\"Shipped\"}]",
				   NOW),
		0);
	assert_int_equal(ps_setup_field_set(f->st, imp, "9,11", NOW), 0);
	assert_int_equal(ps_setup_field_set(f->st, imp, "9,12", NOW),
			 PS_EINVAL);
	assert_non_null(strstr(ps_error_last(), "'12'"));
	assert_int_equal(ps_setup_field_display(buf, sizeof(buf), f->st, imp),
			 0);
	assert_string_equal(
		buf, "9 Awaiting Fulfillment, 11 Awaiting Fulfillment 2");
	/* Brightpearl statuses synced back are stored by name. */
	assert_int_equal(ps_setup_field_set(f->st, back, "4", NOW), PS_EINVAL);
	assert_int_equal(
		ps_setup_field_set(f->st, back, "Invoiced,Shipped", NOW), 0);
	v = stored(f->st, "bigcommerce.orders.sync_statuses");
	assert_string_equal(v, "Invoiced,Shipped");
	free(v);
	/* Not required: it may be cleared. */
	assert_int_equal(ps_setup_field_set(f->st, back, "", NOW), 0);
	assert_null(stored(f->st, "bigcommerce.orders.sync_statuses"));
}

static void
test_tui_setup__secrets_masked(void **state)
{
	struct fixture *f = *state;
	const ps_setup_field *tok =
		field(PS_SETUP_CONNECTIONS, "bigcommerce.token");
	char buf[128];
	size_t i;

	assert_int_equal(ps_setup_field_display(buf, sizeof(buf), f->st, tok),
			 0);
	assert_string_equal(buf, "(not set)");
	assert_int_equal(ps_setup_field_set(f->st, tok, "s3cret-tok", NOW), 0);
	assert_int_equal(ps_setup_field_display(buf, sizeof(buf), f->st, tok),
			 0);
	assert_string_equal(buf, "********");
	/* No field of any step shows it. */
	for (i = 0; i < ps_setup_field_count(PS_SETUP_CONNECTIONS); i++) {
		assert_int_equal(
			ps_setup_field_display(
				buf, sizeof(buf), f->st,
				ps_setup_field_at(PS_SETUP_CONNECTIONS, i)),
			0);
		assert_null(strstr(buf, "s3cret"));
	}
}

static void
test_tui_setup__datacentre(void **state)
{
	struct fixture *f = *state;
	const ps_setup_field *dc =
		field(PS_SETUP_CONNECTIONS, "brightpearl.base_url");
	char *v = NULL;

	assert_int_equal(ps_setup_field_set(f->st, dc, "euw1", NOW), 0);
	v = stored(f->st, "brightpearl.base_url");
	assert_string_equal(v, "https://euw1.brightpearlconnect.com");
	free(v);
	assert_int_equal(ps_setup_field_get(&v, f->st, dc), 0);
	assert_string_equal(v, "euw1");
	free(v);
	assert_int_equal(ps_setup_field_set(f->st, dc,
					    "http://127.0.0.1:9/brightpearl",
					    NOW),
			 0);
	assert_int_equal(ps_setup_field_get(&v, f->st, dc), 0);
	assert_string_equal(v, "http://127.0.0.1:9/brightpearl");
	free(v);
	/* Any bare word is a datacentre; anything else must be a URL. */
	assert_int_equal(ps_setup_field_set(f->st, dc, "mars1", NOW), 0);
	v = stored(f->st, "brightpearl.base_url");
	assert_string_equal(v, "https://mars1.brightpearlconnect.com");
	free(v);
	assert_int_equal(ps_setup_field_set(f->st, dc, "not a url", NOW),
			 PS_EINVAL);
	assert_int_equal(ps_setup_field_set(f->st, dc, NULL, NOW), 0);
	assert_null(stored(f->st, "brightpearl.base_url"));
	/* Action and mapping fields hold no setting. */
	assert_int_equal(
		ps_setup_field_get(&v, f->st,
				   ps_setup_field_at(PS_SETUP_CONNECTIONS, 7)),
		PS_EINVAL);
	assert_null(v);
}

static void
test_tui_setup__conditional_steps(void **state)
{
	struct fixture *f = *state;
	char why[256];
	ps_mapping m = {"payment_method", "bc>bp", "", "BIGCOMMERCE"};

	/* Fulfilment on a status trigger needs the status. */
	set(f->st, "bigcommerce.fulfilment.enabled", "true");
	assert_int_equal(check(f->st, PS_SETUP_FULFILMENT, why, sizeof(why)),
			 1);
	set(f->st, "bigcommerce.fulfilment.trigger", "status");
	assert_int_equal(check(f->st, PS_SETUP_FULFILMENT, why, sizeof(why)),
			 0);
	assert_string_equal(why, "choose the trigger status");
	set(f->st, "bigcommerce.fulfilment.trigger_status", "Shipped");
	assert_int_equal(check(f->st, PS_SETUP_FULFILMENT, why, sizeof(why)),
			 1);
	/* Notes on need a field. */
	set(f->st, "bigcommerce.notes.enabled", "true");
	assert_int_equal(check(f->st, PS_SETUP_NOTES, why, sizeof(why)), 0);
	set(f->st, "bigcommerce.notes.staff_notes_field", "PCF_STAFF");
	assert_int_equal(check(f->st, PS_SETUP_NOTES, why, sizeof(why)), 1);
	/* Payments on need a method mapping. */
	set(f->st, "bigcommerce.payments.enabled", "true");
	assert_int_equal(check(f->st, PS_SETUP_PAYMENTS, why, sizeof(why)), 0);
	assert_string_equal(why, "map the payment methods");
	assert_int_equal(ps_store_mapping_set(NULL, f->st, &m, "test", NOW), 0);
	assert_int_equal(check(f->st, PS_SETUP_PAYMENTS, why, sizeof(why)), 1);
	/* Inventory on needs warehouses. */
	set(f->st, "bigcommerce.inventory.enabled", "true");
	assert_int_equal(check(f->st, PS_SETUP_INVENTORY, why, sizeof(why)), 0);
	set(f->st, "bigcommerce.inventory.warehouses", "2,3");
	assert_int_equal(check(f->st, PS_SETUP_INVENTORY, why, sizeof(why)), 1);
}

/* The DSCO steps are done while DSCO is off, and each asks for what it
 * needs once DSCO (and its purchase orders) are on. */
static void
test_tui_setup__dsco_steps(void **state)
{
	struct fixture *f = *state;
	char why[256];
	ps_mapping ship = {"dsco_shipping_method", "bp>dsco", "", "UPCG"};
	ps_mapping wh = {"dsco_warehouse", "bp>dsco", "2", "WH01"};
	ps_mapping cust = {"dsco_customer", "dsco>bp", "", "204"};
	ps_setup_step s;

	for (s = PS_SETUP_DSCO_CONNECT; s <= PS_SETUP_DSCO_CANCEL; s++)
		assert_int_equal(check(f->st, s, why, sizeof(why)), 1);
	set(f->st, "dsco.enabled", "true");
	assert_int_equal(check(f->st, PS_SETUP_DSCO_CONNECT, why, sizeof(why)),
			 0);
	assert_string_equal(why, "test the DSCO connection");
	assert_int_equal(ps_store_cache_set(f->st, PS_SETUP_TEST_PREFIX "dsco",
					    "{\"ok\":true,\"message\":"
					    "\"OK: DSCO\"}",
					    NOW),
			 0);
	/* a test passed once, but the credentials have since gone */
	assert_int_equal(check(f->st, PS_SETUP_DSCO_CONNECT, why, sizeof(why)),
			 0);
	assert_non_null(strstr(why, "client id and secret"));
	set(f->st, "dsco.token", "legacy-token");
	assert_int_equal(check(f->st, PS_SETUP_DSCO_CONNECT, why, sizeof(why)),
			 1);
	/* warehouses are mapped for stock even without purchase orders */
	assert_int_equal(
		check(f->st, PS_SETUP_DSCO_WAREHOUSES, why, sizeof(why)), 0);
	assert_int_equal(ps_store_mapping_set(NULL, f->st, &wh, "test", NOW),
			 0);
	assert_int_equal(
		check(f->st, PS_SETUP_DSCO_WAREHOUSES, why, sizeof(why)), 1);
	assert_int_equal(check(f->st, PS_SETUP_DSCO_ORDERS, why, sizeof(why)),
			 1);
	set(f->st, "dsco.orders.enabled", "true");
	assert_int_equal(check(f->st, PS_SETUP_DSCO_ORDERS, why, sizeof(why)),
			 0);
	assert_string_equal(why, "choose the status of new orders");
	set(f->st, "dsco.order_status", "2");
	set(f->st, "dsco.channel_id", "1");
	set(f->st, "dsco.defaults.warehouse_id", "2");
	assert_int_equal(check(f->st, PS_SETUP_DSCO_ORDERS, why, sizeof(why)),
			 1);
	assert_int_equal(check(f->st, PS_SETUP_DSCO_CANCEL, why, sizeof(why)),
			 0);
	set(f->st, "dsco.cancel_status", "5");
	assert_int_equal(check(f->st, PS_SETUP_DSCO_CANCEL, why, sizeof(why)),
			 1);
	assert_int_equal(check(f->st, PS_SETUP_DSCO_SHIPPING, why, sizeof(why)),
			 0);
	assert_int_equal(ps_store_mapping_set(NULL, f->st, &ship, "test", NOW),
			 0);
	assert_int_equal(check(f->st, PS_SETUP_DSCO_SHIPPING, why, sizeof(why)),
			 1);
	/* customers by map need a row; the trigger by status its status */
	assert_int_equal(
		check(f->st, PS_SETUP_DSCO_CUSTOMERS, why, sizeof(why)), 1);
	set(f->st, "dsco.customers.mode", "map");
	assert_int_equal(
		check(f->st, PS_SETUP_DSCO_CUSTOMERS, why, sizeof(why)), 0);
	assert_int_equal(ps_store_mapping_set(NULL, f->st, &cust, "test", NOW),
			 0);
	assert_int_equal(
		check(f->st, PS_SETUP_DSCO_CUSTOMERS, why, sizeof(why)), 1);
	set(f->st, "dsco.shipment_trigger", "status");
	assert_int_equal(check(f->st, PS_SETUP_DSCO_TRIGGER, why, sizeof(why)),
			 0);
	set(f->st, "dsco.shipment_trigger_status", "Shipped");
	assert_int_equal(check(f->st, PS_SETUP_DSCO_TRIGGER, why, sizeof(why)),
			 1);
	set(f->st, "dsco.inventory_enabled", "true");
	assert_int_equal(
		check(f->st, PS_SETUP_DSCO_INVENTORY, why, sizeof(why)), 0);
	set(f->st, "dsco.inventory.warehouses", "2");
	assert_int_equal(
		check(f->st, PS_SETUP_DSCO_INVENTORY, why, sizeof(why)), 1);
}

static void
test_tui_setup__status_mapping_stale(void **state)
{
	struct fixture *f = *state;
	ps_mapping m = {"order_status", "bc>bp", "11", "2"};
	char why[256], buf[128];

	assert_int_equal(ps_store_mapping_set(NULL, f->st, &m, "test", NOW), 0);
	assert_int_equal(
		check(f->st, PS_SETUP_STATUS_MAPPING, why, sizeof(why)), 1);
	assert_int_equal(ps_setup_field_display(
				 buf, sizeof(buf), f->st,
				 ps_setup_field_at(PS_SETUP_STATUS_MAPPING, 0)),
			 0);
	assert_string_equal(buf, "1 row");
	/* Brightpearl status 2 disappears from the fetched list. */
	assert_int_equal(
		ps_store_cache_set(f->st, PS_SETUP_LIST_BP_STATUSES,
				   "[{\"id\":\"1\",\"name\":\"Draft\"}]", NOW),
		0);
	assert_int_equal(
		check(f->st, PS_SETUP_STATUS_MAPPING, why, sizeof(why)), 0);
	assert_non_null(strstr(why, "no longer exists"));
	assert_int_equal(ps_setup_field_display(
				 buf, sizeof(buf), f->st,
				 ps_setup_field_at(PS_SETUP_STATUS_MAPPING, 0)),
			 0);
	assert_string_equal(buf, "1 row (stale values!)");
}

static void
test_tui_setup__choices_degenerate(void **state)
{
	struct fixture *f = *state;
	ps_setup_choices c;

	/* Never fetched: empty, not an error. */
	assert_int_equal(ps_setup_choices_load(&c, f->st, "bp.warehouses"), 0);
	assert_int_equal(c.n, 0);
	assert_int_equal(c.fetched_at, 0);
	assert_null(ps_setup_choices_find(&c, "2", 0));
	ps_setup_choices_dispose(&c);
	ps_setup_choices_dispose(NULL);
	/* Fetched but empty. */
	assert_int_equal(ps_store_cache_set(f->st, "bp.projects", "[]", NOW),
			 0);
	assert_int_equal(ps_setup_choices_load(&c, f->st, "bp.projects"), 0);
	assert_int_equal(c.n, 0);
	assert_int_equal(c.fetched_at, NOW);
	ps_setup_choices_dispose(&c);
	/* Corrupt cache text. */
	assert_int_equal(ps_store_cache_set(f->st, "bp.channels", "{}", NOW),
			 0);
	assert_int_equal(ps_setup_choices_load(&c, f->st, "bp.channels"),
			 PS_EINVAL);
	assert_int_equal(c.n, 0);
	assert_int_equal(ps_store_cache_set(f->st, "bp.channels",
					    "[{\"name\":\"x\"}]", NOW),
			 0);
	assert_int_equal(ps_setup_choices_load(&c, f->st, "bp.channels"),
			 PS_EINVAL);
	assert_null(c.items);
}

/* ------------------------------------------------------------------------ */
/* Against the sandbox                                                       */

static sandbox_proc sbx;
static int sbx_up;

static int
sandbox_group_setup(void **state)
{
	static const char *const args[] = {"--seed", "demo", NULL};

	(void)state;
	if (sandbox_proc_start(&sbx, args, 15000) < 0)
		return -1;
	sbx_up = 1;
	return 0;
}

static int
sandbox_group_teardown(void **state)
{
	(void)state;
	if (sbx_up)
		sandbox_proc_stop(&sbx);
	return 0;
}

/* Point the store at the sandbox with its default credentials. */
static void
configure_sandbox(ps_store *st, const char *bp_token)
{
	set(st, "brightpearl.base_url", sandbox_proc_url(&sbx, "brightpearl"));
	set(st, "brightpearl.account", "sandbox");
	set(st, "brightpearl.app_ref", "sandbox_pearlsync");
	set(st, "brightpearl.token", bp_token);
	set(st, "bigcommerce.base_url", sandbox_proc_url(&sbx, "bigcommerce"));
	set(st, "bigcommerce.store_hash", "sandbox");
	set(st, "bigcommerce.token", "sandbox-token");
}

static ps_http *
quick_http(const ps_config *cfg)
{
	ps_http_options o = PS_HTTP_OPTIONS_INIT;
	ps_http *h = NULL;

	o.max_attempts = 1;
	assert_int_equal(ps_connect_http(&h, cfg, &o), 0);
	return h;
}

static void
test_tui_setup__test_connection_sandbox(void **state)
{
	struct fixture *f = *state;
	const ps_setup_field *tok =
		field(PS_SETUP_CONNECTIONS, "brightpearl.token");
	ps_config cfg;
	ps_http *http;
	char msg[512], why[256], buf[256];

	ps_config_init(&cfg);
	http = quick_http(&cfg);
	configure_sandbox(f->st, "wrong-token");
	assert_int_equal(check(f->st, PS_SETUP_CONNECTIONS, why, sizeof(why)),
			 0);
	assert_string_equal(why, "test the Brightpearl connection");

	assert_int_equal(ps_setup_test_connection(msg, sizeof(msg), f->st, &cfg,
						  http, PS_PLATFORM_BRIGHTPEARL,
						  NOW),
			 PS_EAUTH);
	assert_non_null(strstr(msg, "authentication failed"));
	assert_null(strstr(msg, "wrong-token"));
	assert_int_equal(check(f->st, PS_SETUP_CONNECTIONS, why, sizeof(why)),
			 0);
	assert_non_null(strstr(why, "Brightpearl: authentication failed"));

	/* The right token through the field: the old result is forgotten. */
	assert_int_equal(ps_setup_field_set(f->st, tok, "sandbox-token", NOW),
			 0);
	assert_int_equal(ps_setup_field_display(
				 buf, sizeof(buf), f->st,
				 ps_setup_field_at(PS_SETUP_CONNECTIONS, 7)),
			 0);
	assert_string_equal(buf, "(not tested)");
	assert_int_equal(ps_setup_test_connection(msg, sizeof(msg), f->st, &cfg,
						  http, PS_PLATFORM_BRIGHTPEARL,
						  NOW),
			 0);
	assert_true(strncmp(msg, "OK: Brightpearl account ", 24) == 0);
	assert_int_equal(check(f->st, PS_SETUP_CONNECTIONS, why, sizeof(why)),
			 0);
	assert_string_equal(why, "test the BigCommerce connection");
	assert_int_equal(ps_setup_test_connection(msg, sizeof(msg), f->st, &cfg,
						  http, PS_PLATFORM_BIGCOMMERCE,
						  NOW),
			 0);
	assert_true(strncmp(msg, "OK: BigCommerce store ", 22) == 0);
	assert_int_equal(check(f->st, PS_SETUP_CONNECTIONS, why, sizeof(why)),
			 1);
	assert_int_equal(ps_setup_field_display(
				 buf, sizeof(buf), f->st,
				 ps_setup_field_at(PS_SETUP_CONNECTIONS, 11)),
			 0);
	assert_true(strncmp(buf, "OK: BigCommerce", 15) == 0);
	/* DSCO without credentials: not configured, and says which. */
	assert_int_equal(ps_setup_test_connection(msg, sizeof(msg), f->st, &cfg,
						  http, PS_PLATFORM_DSCO, NOW),
			 PS_ESETTING);
	assert_non_null(strstr(msg, "dsco.client_id"));
	ps_http_free(http);
}

/* The stored value of key, "" when unset (static storage). */
static const char *
stored_text(ps_store *st, const char *key)
{
	static char buf[256];
	char *v = NULL;

	buf[0] = '\0';
	if (ps_store_setting_get(&v, st, key) == 0)
		snprintf(buf, sizeof(buf), "%s", v);
	else
		ps_error_clear();
	free(v);
	return buf;
}

/*
 * A changed token is tried before it is written: a refused one leaves
 * the store as it was (and the try's scratch database goes away); one
 * the platform takes is saved with the test remembered as passed; while
 * the platform's other fields are missing there is nothing to test and
 * the value is saved.
 */
static void
test_tui_setup__credentials_tested_before_saving(void **state)
{
	struct fixture *f = *state;
	const ps_setup_field *tok =
		field(PS_SETUP_CONNECTIONS, "brightpearl.token");
	const ps_setup_field *bc_tok =
		field(PS_SETUP_CONNECTIONS, "bigcommerce.token");
	ps_config cfg;
	ps_http *http;
	char msg[512], why[256];
	int tested = 0;

	assert_true(ps_setup_field_needs_test(tok));
	assert_false(ps_setup_field_needs_test(
		field(PS_SETUP_ORDER_SYNC, "bigcommerce.orders.enabled")));
	ps_config_init(&cfg);
	http = quick_http(&cfg);
	configure_sandbox(f->st, "sandbox-token");

	assert_int_equal(ps_setup_field_try(msg, sizeof(msg), &tested, f->st,
					    &cfg, http, tok, "typo-token", NOW),
			 PS_EAUTH);
	assert_int_equal(tested, 1);
	assert_non_null(strstr(msg, "authentication failed"));
	assert_null(strstr(msg, "typo-token"));
	assert_string_equal(stored_text(f->st, "brightpearl.token"),
			    "sandbox-token");

	assert_int_equal(ps_setup_field_save(msg, sizeof(msg), f->st, &cfg,
					     http, tok, "typo-token", NOW),
			 PS_EAUTH);
	assert_string_equal(stored_text(f->st, "brightpearl.token"),
			    "sandbox-token");

	/* a value the form refuses is refused before any request */
	assert_int_equal(ps_setup_field_check(f->st, tok, ""), PS_EINVAL);

	assert_int_equal(ps_setup_field_save(msg, sizeof(msg), f->st, &cfg,
					     http, tok, "sandbox-token", NOW),
			 0);
	assert_non_null(strstr(msg, "Tested and saved: OK: Brightpearl"));
	/* the BigCommerce test still asks: the Brightpearl one passed */
	assert_int_equal(check(f->st, PS_SETUP_CONNECTIONS, why, sizeof(why)),
			 0);
	assert_string_equal(why, "test the BigCommerce connection");

	/* nothing to test yet: no store hash */
	assert_int_equal(ps_store_setting_set(NULL, f->st,
					      "bigcommerce.store_hash", NULL,
					      "test", NOW),
			 0);
	assert_int_equal(ps_setup_field_save(msg, sizeof(msg), f->st, &cfg,
					     http, bc_tok, "other-token", NOW),
			 0);
	assert_string_equal(stored_text(f->st, "bigcommerce.token"),
			    "other-token");
	ps_http_free(http);
}

/* A job runs the test on its own thread and connection. */
static void
test_tui_setup__job_in_background(void **state)
{
	struct fixture *f = *state;
	const ps_setup_field *tok =
		field(PS_SETUP_CONNECTIONS, "brightpearl.token");
	ps_setup_job *j = NULL;
	ps_config cfg;
	char msg[512];
	int code = 1, i;

	ps_config_init(&cfg);
	snprintf(cfg.db_path, sizeof(cfg.db_path), "%s", f->db.path);
	configure_sandbox(f->st, "sandbox-token");
	assert_int_equal(ps_setup_job_start(&j, &cfg, NULL, PS_SETUP_JOB_SAVE,
					    PS_PLATFORM_BRIGHTPEARL, tok,
					    "typo-token", NOW),
			 0);
	assert_non_null(strstr(ps_tui_job_what(j), "testing the new"));
	for (i = 0; i < 500 && !ps_tui_job_poll(j, &code, msg, sizeof(msg));
	     i++)
		usleep(20000);
	assert_int_equal(code, PS_EAUTH);
	ps_tui_job_free(j);
	assert_string_equal(stored_text(f->st, "brightpearl.token"),
			    "sandbox-token");

	assert_int_equal(ps_setup_job_start(&j, &cfg, NULL, PS_SETUP_JOB_TEST,
					    PS_PLATFORM_BRIGHTPEARL, NULL, NULL,
					    NOW),
			 0);
	for (i = 0; i < 500 && !ps_tui_job_poll(j, &code, msg, sizeof(msg));
	     i++)
		usleep(20000);
	assert_int_equal(code, 0);
	assert_true(strncmp(msg, "OK: Brightpearl", 15) == 0);
	ps_tui_job_free(j);
	/* abandoned at once: nothing is written, nothing leaks */
	assert_int_equal(ps_setup_job_start(&j, &cfg, NULL, PS_SETUP_JOB_SAVE,
					    PS_PLATFORM_BRIGHTPEARL, tok,
					    "sandbox-token-2", NOW),
			 0);
	ps_tui_job_abandon(j);
	usleep(300000);
	assert_string_equal(stored_text(f->st, "brightpearl.token"),
			    "sandbox-token");
}

static void
test_tui_setup__unconfigured_connection(void **state)
{
	struct fixture *f = *state;
	ps_config cfg;
	ps_http *http;
	char msg[512];

	ps_config_init(&cfg);
	http = quick_http(&cfg);
	assert_int_equal(ps_setup_test_connection(msg, sizeof(msg), f->st, &cfg,
						  http, PS_PLATFORM_BIGCOMMERCE,
						  NOW),
			 PS_ESETTING);
	assert_true(strncmp(msg, "not configured: ", 16) == 0);
	ps_http_free(http);
}

static void
test_tui_setup__refresh_lists_sandbox(void **state)
{
	struct fixture *f = *state;
	const ps_setup_field *wh =
		field(PS_SETUP_DEFAULTS, "bigcommerce.defaults.warehouse_id");
	ps_setup_choices c;
	ps_config cfg;
	ps_http *http;
	char msg[1024];
	size_t i;

	ps_config_init(&cfg);
	http = quick_http(&cfg);
	configure_sandbox(f->st, "sandbox-token");
	assert_int_equal(
		ps_setup_refresh(msg, sizeof(msg), f->st, &cfg, http, NOW + 5),
		0);
	assert_non_null(strstr(msg, "9 lists fetched from Brightpearl"));
	assert_non_null(strstr(msg, "1 list fetched from BigCommerce"));

	/* The demo seed's warehouses 2 and 3, nothing else made up. */
	assert_int_equal(
		ps_setup_choices_load(&c, f->st, PS_SETUP_LIST_BP_WAREHOUSES),
		0);
	assert_int_equal(c.fetched_at, NOW + 5);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.items[0].id, "2");
	assert_string_equal(c.items[1].id, "3");
	ps_setup_choices_dispose(&c);
	/* Sales order statuses only (no PO/SC ones). */
	assert_int_equal(
		ps_setup_choices_load(&c, f->st, PS_SETUP_LIST_BP_STATUSES), 0);
	assert_int_equal(c.n, 8);
	ps_setup_choices_dispose(&c);
	assert_int_equal(
		ps_setup_choices_load(&c, f->st, PS_SETUP_LIST_BP_PAYMENT), 0);
	assert_non_null(ps_setup_choices_find(&c, "PAYPAL", 0));
	ps_setup_choices_dispose(&c);
	assert_int_equal(
		ps_setup_choices_load(&c, f->st, PS_SETUP_LIST_BC_STATUSES), 0);
	assert_true(c.n >= 10);
	assert_non_null(ps_setup_choices_find(&c, "11", 0));
	for (i = 0; i < c.n; i++)
		assert_true(c.items[i].name[0] != '\0');
	ps_setup_choices_dispose(&c);
	assert_int_equal(
		ps_setup_choices_load(&c, f->st, PS_SETUP_LIST_BP_SHIPPING), 0);
	assert_non_null(ps_setup_choices_find(&c, "6", 0));
	ps_setup_choices_dispose(&c);

	/* Now the pick is checked against the real values. */
	assert_int_equal(ps_setup_field_set(f->st, wh, "99", NOW), PS_EINVAL);
	assert_int_equal(ps_setup_field_set(f->st, wh, "2", NOW), 0);
	ps_http_free(http);
}

static void
test_tui_setup__refresh_failure_keeps_cache(void **state)
{
	struct fixture *f = *state;
	ps_setup_choices c;
	ps_config cfg;
	ps_http *http;
	char msg[1024];

	ps_config_init(&cfg);
	http = quick_http(&cfg);
	configure_sandbox(f->st, "wrong-token");
	assert_int_equal(ps_store_cache_set(f->st, PS_SETUP_LIST_BP_WAREHOUSES,
					    "[{\"id\":\"5\",\"name\":\"Old\"}]",
					    NOW),
			 0);
	assert_int_equal(
		ps_setup_refresh(msg, sizeof(msg), f->st, &cfg, http, NOW + 9),
		PS_EAUTH);
	assert_non_null(strstr(msg, "0 of 9 lists fetched from Brightpearl"));
	/* BigCommerce still fetched. */
	assert_non_null(strstr(msg, "1 list fetched from BigCommerce"));
	assert_int_equal(
		ps_setup_choices_load(&c, f->st, PS_SETUP_LIST_BP_WAREHOUSES),
		0);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.items[0].id, "5");
	assert_int_equal(c.fetched_at, NOW);
	ps_setup_choices_dispose(&c);
	ps_http_free(http);
}

/* The ShipHero steps are done while ShipHero is off; then go-live and
 * the warehouse map are asked for once notes are to go, the product sync
 * until it has created every product it listed, and the shipping-method
 * map while a mapped method has vanished from Brightpearl. */
static void
test_tui_setup__shiphero_steps(void **state)
{
	struct fixture *f = *state;
	char why[256], buf[128];
	ps_mapping wh = {"shiphero_warehouse", "bp>sh", "2",
			 "V2FyZWhvdXNlOjE="};
	ps_log_entry e;
	ps_setup_step s;
	int i;

	for (s = PS_SETUP_SH_GO_LIVE; s <= PS_SETUP_SH_PRODUCTS; s++)
		assert_int_equal(check(f->st, s, why, sizeof(why)), 1);
	set(f->st, "shiphero.enabled", "true");
	/* notes not sent yet: go-live and warehouses wait */
	assert_int_equal(check(f->st, PS_SETUP_SH_GO_LIVE, why, sizeof(why)),
			 1);
	set(f->st, "shiphero.orders.enabled", "true");
	assert_int_equal(check(f->st, PS_SETUP_SH_GO_LIVE, why, sizeof(why)),
			 0);
	assert_string_equal(why, "set the go-live date and time");
	set(f->st, "shiphero.go_live", "2026-01-05T08:00:00Z");
	assert_int_equal(check(f->st, PS_SETUP_SH_GO_LIVE, why, sizeof(why)),
			 1);
	assert_int_equal(check(f->st, PS_SETUP_SH_WAREHOUSES, why, sizeof(why)),
			 0);
	assert_int_equal(ps_store_mapping_set(NULL, f->st, &wh, "test", NOW),
			 0);
	assert_int_equal(check(f->st, PS_SETUP_SH_WAREHOUSES, why, sizeof(why)),
			 1);

	/* the product sync: not started, half done, done */
	assert_int_equal(check(f->st, PS_SETUP_SH_PRODUCTS, why, sizeof(why)),
			 0);
	assert_string_equal(why, "start the initial product sync");
	assert_int_equal(
		ps_setup_run_status(buf, sizeof(buf), f->st, "product_sync_sh"),
		0);
	assert_string_equal(buf, "(not started)");
	assert_int_equal(ps_store_cursor_set(f->st, "shiphero.product_sync",
					     "{\"listing\":false,\"after\":2,"
					     "\"total\":4,\"queued\":4,"
					     "\"started_at\":1}",
					     NOW),
			 0);
	for (i = 1; i <= 4; i++) {
		char key[32], id[8];
		int64_t row = 0;

		ps_log_entry_init(&e);
		snprintf(id, sizeof(id), "%d", i);
		snprintf(key, sizeof(key), "sh.product:%d", i);
		e.flow = (char *)"product_sync_sh";
		e.dedupe_key = key;
		e.source_id = id;
		e.source_platform = PS_PLATFORM_BRIGHTPEARL;
		e.target_platform = PS_PLATFORM_SHIPHERO;
		assert_true(ps_store_log_add(&row, f->st, &e, NOW) >= 0);
		if (i <= 2)
			assert_int_equal(ps_store_log_mark_synced(
						 f->st, row, id, NULL, NOW),
					 0);
	}
	assert_int_equal(check(f->st, PS_SETUP_SH_PRODUCTS, why, sizeof(why)),
			 0);
	assert_string_equal(why, "product sync 2/4");
	assert_int_equal(
		ps_setup_run_status(buf, sizeof(buf), f->st, "product_sync_sh"),
		0);
	assert_string_equal(buf, "[##########..........] 2/4");
	/* a flow no group knows has no status */
	assert_int_equal(ps_setup_run_status(buf, sizeof(buf), f->st, "nope"),
			 0);
	assert_string_equal(buf, "");

	/* a mapped method Brightpearl no longer has */
	assert_int_equal(check(f->st, PS_SETUP_SH_METHODS, why, sizeof(why)),
			 1);
	assert_int_equal(
		ps_store_cache_set(f->st, "sh.shipping_methods_vanished",
				   "[{\"id\":\"9\",\"name\":\"ups:ground\"}]",
				   NOW),
		0);
	assert_int_equal(check(f->st, PS_SETUP_SH_METHODS, why, sizeof(why)),
			 0);
	assert_non_null(strstr(why, "vanished"));
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
	const struct CMUnitTest model[] = {
		T(test_tui_setup__steps_in_guide_order),
		T(test_tui_setup__empty_store_needs_attention),
		T(test_tui_setup__no_default_warehouse_refused),
		T(test_tui_setup__pick_checked_against_cached_list),
		T(test_tui_setup__pick_many_and_by_name),
		T(test_tui_setup__secrets_masked),
		T(test_tui_setup__datacentre),
		T(test_tui_setup__conditional_steps),
		T(test_tui_setup__dsco_steps),
		T(test_tui_setup__status_mapping_stale),
		T(test_tui_setup__choices_degenerate),
		T(test_tui_setup__shiphero_steps),
	};
	const struct CMUnitTest sandbox[] = {
		T(test_tui_setup__test_connection_sandbox),
		T(test_tui_setup__unconfigured_connection),
		T(test_tui_setup__credentials_tested_before_saving),
		T(test_tui_setup__job_in_background),
		T(test_tui_setup__refresh_lists_sandbox),
		T(test_tui_setup__refresh_failure_keeps_cache),
	};
	int failed;

	ps_lib_init();
	failed = cmocka_run_group_tests_name("model", model, NULL, NULL);
	failed += cmocka_run_group_tests_name("sandbox", sandbox,
					      sandbox_group_setup,
					      sandbox_group_teardown);
	return failed;
}
