/*
 * model_setup.c - the setup steps: field tables, step status, cached
 * platform lists, connection tests.  No curses here; the setup screens
 * draw what this module computes and call it for every change.
 *
 * The step tables are static data.  A step's status is recomputed from the
 * store each time it is asked (a handful of indexed reads), so the console
 * shows what another console or the CLI changed without invalidation.
 */
#include "model_setup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "model_mapping.h"
#include "pearlsync/connect.h"
#include "pearlsync/log.h"
#include "pearlsync/settings.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

const char *const ps_setup_datacentres[] = {"euw1", "use1", "usw1", NULL};

/* clang-format off */
#define F(type, label, key, list, by_name, req) \
	{type, label, key, list, by_name, req}
/* clang-format on */

static const ps_setup_field connections[] = {
	F(PS_SETUP_FIELD_DATACENTRE, "Brightpearl datacentre or URL",
	  "brightpearl.base_url", NULL, 0, 0),
	F(PS_SETUP_FIELD_TEXT, "Brightpearl account code",
	  "brightpearl.account", NULL, 0, 1),
	F(PS_SETUP_FIELD_TEXT, "Brightpearl app reference",
	  "brightpearl.app_ref", NULL, 0, 1),
	F(PS_SETUP_FIELD_SECRET, "Brightpearl token", "brightpearl.token", NULL,
	  0, 1),
	F(PS_SETUP_FIELD_TEST_BP, "Test Brightpearl connection", NULL, NULL, 0,
	  0),
	F(PS_SETUP_FIELD_TEXT, "BigCommerce API URL (blank: default)",
	  "bigcommerce.base_url", NULL, 0, 0),
	F(PS_SETUP_FIELD_TEXT, "BigCommerce store hash",
	  "bigcommerce.store_hash", NULL, 0, 1),
	F(PS_SETUP_FIELD_SECRET, "BigCommerce access token",
	  "bigcommerce.token", NULL, 0, 1),
	F(PS_SETUP_FIELD_TEST_BC, "Test BigCommerce connection", NULL, NULL, 0,
	  0),
};

static const ps_setup_field order_sync[] = {
	F(PS_SETUP_FIELD_BOOL, "Import orders", "orders.enabled", NULL, 0, 0),
	F(PS_SETUP_FIELD_PICK_MANY, "BigCommerce statuses to import",
	  "orders.import_statuses", PS_SETUP_LIST_BC_STATUSES, 0, 1),
	F(PS_SETUP_FIELD_PICK_MANY, "Brightpearl statuses synced back",
	  "orders.sync_statuses", PS_SETUP_LIST_BP_STATUSES, 1, 0),
	F(PS_SETUP_FIELD_BOOL, "Import guest orders", "orders.import_guests",
	  NULL, 0, 0),
};

static const ps_setup_field defaults[] = {
	F(PS_SETUP_FIELD_PICK, "Channel", "defaults.channel_id",
	  PS_SETUP_LIST_BP_CHANNELS, 0, 1),
	F(PS_SETUP_FIELD_PICK, "Warehouse", "defaults.warehouse_id",
	  PS_SETUP_LIST_BP_WAREHOUSES, 0, 1),
	F(PS_SETUP_FIELD_PICK, "Project", "defaults.project_id",
	  PS_SETUP_LIST_BP_PROJECTS, 0, 0),
	F(PS_SETUP_FIELD_PICK, "Lead source", "defaults.lead_source_id",
	  PS_SETUP_LIST_BP_LEAD_SOURCES, 0, 0),
};

static const ps_setup_field status_mapping[] = {
	F(PS_SETUP_FIELD_MAPPING, "BigCommerce to Brightpearl statuses",
	  "order_status", "bc>bp", 0, 1),
	F(PS_SETUP_FIELD_MAPPING, "Brightpearl to BigCommerce statuses",
	  "order_status", "bp>bc", 0, 0),
};

static const ps_setup_field items[] = {
	F(PS_SETUP_FIELD_ENUM, "Product match field",
	  "items.product_match_field", NULL, 0, 1),
	F(PS_SETUP_FIELD_BOOL, "Create unknown customers",
	  "customers.auto_create", NULL, 0, 0),
	F(PS_SETUP_FIELD_BOOL, "Update known customers",
	  "customers.update_existing", NULL, 0, 0),
};

static const ps_setup_field fulfilment[] = {
	F(PS_SETUP_FIELD_BOOL, "Send shipments to BigCommerce",
	  "fulfilment.enabled", NULL, 0, 0),
	F(PS_SETUP_FIELD_ENUM, "Trigger (status or goods_out)",
	  "fulfilment.trigger", NULL, 0, 1),
	F(PS_SETUP_FIELD_PICK, "Trigger status", "fulfilment.trigger_status",
	  PS_SETUP_LIST_BP_STATUSES, 1, 0),
	F(PS_SETUP_FIELD_MAPPING, "Shipping methods, BC to Brightpearl",
	  "shipping_method", "bc>bp", 0, 0),
	F(PS_SETUP_FIELD_MAPPING, "Shipping methods, Brightpearl to BC",
	  "shipping_method", "bp>bc", 0, 0),
};

static const ps_setup_field notes[] = {
	F(PS_SETUP_FIELD_BOOL, "Copy Brightpearl notes to BigCommerce",
	  "notes.enabled", NULL, 0, 0),
	F(PS_SETUP_FIELD_PICK, "Customer message to Brightpearl field",
	  "notes.customer_message_field", PS_SETUP_LIST_BP_FIELDS, 0, 0),
	F(PS_SETUP_FIELD_PICK, "Staff notes to Brightpearl field",
	  "notes.staff_notes_field", PS_SETUP_LIST_BP_FIELDS, 0, 0),
	F(PS_SETUP_FIELD_TEXT, "Brightpearl notes to BigCommerce field",
	  "notes.bp_note_to_bc_field", NULL, 0, 0),
};

static const ps_setup_field payments[] = {
	F(PS_SETUP_FIELD_BOOL, "Record payments", "payments.enabled", NULL, 0,
	  0),
	F(PS_SETUP_FIELD_BOOL, "Captured payments only",
	  "payments.captured_only", NULL, 0, 0),
	F(PS_SETUP_FIELD_MAPPING, "Payment methods", "payment_method", "bc>bp",
	  0, 0),
};

static const ps_setup_field inventory[] = {
	F(PS_SETUP_FIELD_BOOL, "Send stock levels", "inventory.enabled", NULL,
	  0, 0),
	F(PS_SETUP_FIELD_PICK_MANY, "Warehouses summed", "inventory.warehouses",
	  PS_SETUP_LIST_BP_WAREHOUSES, 0, 0),
	F(PS_SETUP_FIELD_TEXT, "Minutes between full comparisons",
	  "inventory.interval_minutes", NULL, 0, 0),
};

#undef F

static const struct step_def {
	const char *title;
	const char *help;
	const ps_setup_field *fields;
	size_t n;
} steps[PS_SETUP_STEP_COUNT] = {
	{"Connections", "Brightpearl and BigCommerce API credentials",
	 connections, ARRAY_LEN(connections)},
	{"Order sync", "Which orders are imported and which statuses go back",
	 order_sync, ARRAY_LEN(order_sync)},
	{"Defaults",
	 "Channel, warehouse, project and lead source of new orders", defaults,
	 ARRAY_LEN(defaults)},
	{"Status mapping", "Order statuses mapped both ways, with defaults",
	 status_mapping, ARRAY_LEN(status_mapping)},
	{"Items and customers", "How products match; unknown customers", items,
	 ARRAY_LEN(items)},
	{"Fulfilment", "When shipments go to BigCommerce; shipping methods",
	 fulfilment, ARRAY_LEN(fulfilment)},
	{"Notes", "Which fields receive the order notes", notes,
	 ARRAY_LEN(notes)},
	{"Payments", "Payments recorded in Brightpearl; method mapping",
	 payments, ARRAY_LEN(payments)},
	{"Inventory", "Stock levels sent to BigCommerce", inventory,
	 ARRAY_LEN(inventory)},
};

const char *
ps_setup_step_title(ps_setup_step step)
{
	return (unsigned)step < PS_SETUP_STEP_COUNT ? steps[step].title : NULL;
}

const char *
ps_setup_step_help(ps_setup_step step)
{
	return (unsigned)step < PS_SETUP_STEP_COUNT ? steps[step].help : NULL;
}

size_t
ps_setup_field_count(ps_setup_step step)
{
	return (unsigned)step < PS_SETUP_STEP_COUNT ? steps[step].n : 0;
}

const ps_setup_field *
ps_setup_field_at(ps_setup_step step, size_t i)
{
	if ((unsigned)step >= PS_SETUP_STEP_COUNT || i >= steps[step].n)
		return NULL;
	return &steps[step].fields[i];
}

/* ------------------------------------------------------------------------ */
/* Cached lists                                                              */

void
ps_setup_choices_dispose(ps_setup_choices *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n; i++) {
		free(c->items[i].id);
		free(c->items[i].name);
	}
	free(c->items);
	memset(c, 0, sizeof(*c));
}

int
ps_setup_choices_load(ps_setup_choices *out, ps_store *st, const char *kind)
{
	char *text = NULL;
	json_t *root = NULL, *item;
	json_error_t jerr;
	int64_t at = 0;
	size_t i;
	int error;

	memset(out, 0, sizeof(*out));
	error = ps_store_cache_get(&text, &at, st, kind);
	if (error == PS_ENOTFOUND) {
		ps_error_clear();
		return 0;
	}
	if (error < 0)
		return error;
	root = json_loads(text, 0, &jerr);
	if (root == NULL || !json_is_array(root)) {
		error = ps_error_set(PS_EINVAL,
				     "cached list %s is not a JSON array; "
				     "refresh the lists",
				     kind);
		goto done;
	}
	out->fetched_at = at;
	if (json_array_size(root) == 0)
		goto done;
	out->items = calloc(json_array_size(root), sizeof(*out->items));
	if (out->items == NULL) {
		error = ps_error_set(PS_ENOMEM, "out of memory");
		goto done;
	}
	json_array_foreach(root, i, item)
	{
		const char *id = json_string_value(json_object_get(item, "id"));
		const char *name =
			json_string_value(json_object_get(item, "name"));
		ps_setup_choice *c = &out->items[out->n];

		if (id == NULL) {
			error = ps_error_set(PS_EINVAL,
					     "cached list %s: item %zu has no "
					     "id; refresh the lists",
					     kind, i + 1);
			goto done;
		}
		c->id = strdup(id);
		c->name = strdup(name != NULL ? name : id);
		out->n++;
		if (c->id == NULL || c->name == NULL) {
			error = ps_error_set(PS_ENOMEM, "out of memory");
			goto done;
		}
	}
done:
	if (error < 0)
		ps_setup_choices_dispose(out);
	json_decref(root);
	free(text);
	return error;
}

const ps_setup_choice *
ps_setup_choices_find(const ps_setup_choices *c, const char *value, int by_name)
{
	size_t i;

	if (c == NULL || value == NULL)
		return NULL;
	for (i = 0; i < c->n; i++)
		if (strcmp(by_name ? c->items[i].name : c->items[i].id,
			   value) == 0)
			return &c->items[i];
	return NULL;
}

/* Cache a list given as parallel arrays of (id, name) in JSON. */
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
list_add(json_t *arr, const char *id, const char *name)
{
	json_t *o = json_object();

	if (o == NULL || json_array_append_new(arr, o) < 0 ||
	    json_object_set_new(o, "id", json_string(id)) < 0 ||
	    json_object_set_new(o, "name", json_string(name ? name : id)) < 0)
		return ps_error_set(PS_ENOMEM, "out of memory");
	return 0;
}

/* Human name of a cache kind for messages. */
static const char *
list_noun(const char *kind)
{
	static const struct {
		const char *kind, *noun;
	} nouns[] = {
		{PS_SETUP_LIST_BC_STATUSES, "BigCommerce status"},
		{PS_SETUP_LIST_BP_STATUSES, "Brightpearl status"},
		{PS_SETUP_LIST_BP_WAREHOUSES, "warehouse"},
		{PS_SETUP_LIST_BP_CHANNELS, "channel"},
		{PS_SETUP_LIST_BP_LEAD_SOURCES, "lead source"},
		{PS_SETUP_LIST_BP_PROJECTS, "project"},
		{PS_SETUP_LIST_BP_SHIPPING, "shipping method"},
		{PS_SETUP_LIST_BP_PAYMENT, "payment method"},
		{PS_SETUP_LIST_BP_FIELDS, "custom field"},
	};
	size_t i;

	for (i = 0; i < ARRAY_LEN(nouns); i++)
		if (strcmp(nouns[i].kind, kind) == 0)
			return nouns[i].noun;
	return "value";
}

/*
 * Check every element of value (a comma-separated list when many) against
 * the cached list kind.  0 when all exist or the list was never fetched;
 * PS_EINVAL with "warehouse 9 no longer exists ..." otherwise.
 */
static int
check_in_list(ps_store *st, const char *kind, const char *value, int by_name,
	      int many)
{
	ps_setup_choices c;
	char item[256];
	const char *p = value, *end;
	size_t len;
	int error;

	if (value == NULL || value[0] == '\0')
		return 0;
	if ((error = ps_setup_choices_load(&c, st, kind)) < 0)
		return error;
	if (c.fetched_at == 0 && c.n == 0)
		goto done;
	while (*p != '\0') {
		end = many ? strchr(p, ',') : NULL;
		len = end != NULL ? (size_t)(end - p) : strlen(p);
		if (len >= sizeof(item))
			len = sizeof(item) - 1;
		memcpy(item, p, len);
		item[len] = '\0';
		if (ps_setup_choices_find(&c, item, by_name) == NULL) {
			error = ps_error_set(PS_EINVAL,
					     "%s '%s' is not in the list "
					     "fetched from the platform "
					     "(choose another, or refresh the "
					     "lists with r)",
					     list_noun(kind), item);
			goto done;
		}
		p += len;
		if (*p == ',')
			p++;
	}
done:
	ps_setup_choices_dispose(&c);
	return error;
}

/* ------------------------------------------------------------------------ */
/* Fields                                                                    */

/* A setting's value with the default applied, NULL when none. */
static int
setting_opt(char **out, ps_store *st, const char *key)
{
	int error = ps_settings_get(out, st, key);

	if (error == PS_ESETTING) {
		ps_error_clear();
		*out = NULL;
		return 0;
	}
	return error;
}

static int
is_setting_field(const ps_setup_field *f)
{
	switch (f->type) {
	case PS_SETUP_FIELD_MAPPING:
	case PS_SETUP_FIELD_TEST_BP:
	case PS_SETUP_FIELD_TEST_BC:
		return 0;
	default:
		return f->key != NULL;
	}
}

/* The datacentre code of url, or NULL. */
static const char *
datacentre_of(const char *url)
{
	char want[96];
	size_t i;

	for (i = 0; url != NULL && ps_setup_datacentres[i] != NULL; i++) {
		snprintf(want, sizeof(want),
			 "https://%s.brightpearlconnect.com",
			 ps_setup_datacentres[i]);
		if (strcmp(url, want) == 0)
			return ps_setup_datacentres[i];
	}
	return NULL;
}

int
ps_setup_field_get(char **out, ps_store *st, const ps_setup_field *f)
{
	const char *dc;
	char *v = NULL, *copy;
	int error;

	*out = NULL;
	if (f == NULL || !is_setting_field(f))
		return ps_error_set(PS_EINVAL, "this field has no setting");
	if ((error = setting_opt(&v, st, f->key)) < 0)
		return error;
	if (f->type == PS_SETUP_FIELD_DATACENTRE &&
	    (dc = datacentre_of(v)) != NULL) {
		copy = strdup(dc);
		free(v);
		if (copy == NULL)
			return ps_error_set(PS_ENOMEM, "out of memory");
		v = copy;
	}
	*out = v;
	return 0;
}

/* Remember the outcome of a connection test (NULL: not tested since the
 * credentials changed). */
static int
test_remember(ps_store *st, const char *kind, int ok, const char *message,
	      int64_t now)
{
	json_t *o;
	char *text;
	int error;

	if (message == NULL)
		return ps_store_cache_set(st, kind, "null", now);
	o = json_pack("{s:b, s:s}", "ok", ok, "message", message);
	text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (text == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	error = ps_store_cache_set(st, kind, text, now);
	free(text);
	return error;
}

/* The last test: *out_state -1 never/not since a change, 0 failed, 1 ok;
 * message into buf. */
static int
test_recall(int *out_state, char *buf, size_t cap, ps_store *st,
	    const char *kind)
{
	char *text = NULL;
	json_t *o;
	int error;

	*out_state = -1;
	buf[0] = '\0';
	error = ps_store_cache_get(&text, NULL, st, kind);
	if (error == PS_ENOTFOUND) {
		ps_error_clear();
		return 0;
	}
	if (error < 0)
		return error;
	o = json_loads(text, JSON_DECODE_ANY, NULL);
	if (json_is_object(o)) {
		*out_state = json_is_true(json_object_get(o, "ok")) ? 1 : 0;
		const char *m =
			json_string_value(json_object_get(o, "message"));

		snprintf(buf, cap, "%s", m != NULL ? m : "");
	}
	json_decref(o);
	free(text);
	return 0;
}

int
ps_setup_field_set(ps_store *st, const ps_setup_field *f, const char *value,
		   int64_t now)
{
	char url[160];
	const char *v = value;
	size_t i;
	int error;

	if (f == NULL || !is_setting_field(f))
		return ps_error_set(PS_EINVAL, "this field has no setting");
	if (v != NULL && v[0] == '\0')
		v = NULL;
	if (v == NULL && f->required)
		return ps_error_set(PS_EINVAL, "%s is required; choose one",
				    f->label);
	if (f->type == PS_SETUP_FIELD_DATACENTRE && v != NULL) {
		for (i = 0; ps_setup_datacentres[i] != NULL; i++)
			if (strcmp(v, ps_setup_datacentres[i]) == 0)
				break;
		if (ps_setup_datacentres[i] != NULL) {
			snprintf(url, sizeof(url),
				 "https://%s.brightpearlconnect.com", v);
			v = url;
		}
	}
	if ((f->type == PS_SETUP_FIELD_PICK ||
	     f->type == PS_SETUP_FIELD_PICK_MANY) &&
	    (error = check_in_list(st, f->list, v, f->by_name,
				   f->type == PS_SETUP_FIELD_PICK_MANY)) < 0)
		return error;
	if ((error = ps_store_setting_set(NULL, st, f->key, v, PS_SETUP_ACTOR,
					  now)) < 0)
		return error;
	/* New credentials make the last connection test meaningless. */
	if (strncmp(f->key, "brightpearl.", 12) == 0)
		error = test_remember(st, PS_SETUP_TEST_BP, 0, NULL, now);
	else if (strncmp(f->key, "bigcommerce.", 12) == 0)
		error = test_remember(st, PS_SETUP_TEST_BC, 0, NULL, now);
	return error;
}

/* Append the cached names of the ids in value ("2 Main, 3 Store"). */
static int
display_pick(char *buf, size_t cap, ps_store *st, const ps_setup_field *f,
	     const char *value)
{
	ps_setup_choices c;
	const ps_setup_choice *ch;
	char item[256];
	const char *p = value, *end;
	size_t len, used = 0;
	int error;

	if ((error = ps_setup_choices_load(&c, st, f->list)) < 0)
		return error;
	buf[0] = '\0';
	while (*p != '\0' && used + 1 < cap) {
		end = f->type == PS_SETUP_FIELD_PICK_MANY ? strchr(p, ',')
							  : NULL;
		len = end != NULL ? (size_t)(end - p) : strlen(p);
		if (len >= sizeof(item))
			len = sizeof(item) - 1;
		memcpy(item, p, len);
		item[len] = '\0';
		ch = ps_setup_choices_find(&c, item, f->by_name);
		if (ch == NULL && c.fetched_at != 0)
			snprintf(buf + used, cap - used, "%s%s (missing!)",
				 used ? ", " : "", item);
		else if (ch == NULL || f->by_name ||
			 strcmp(ch->id, ch->name) == 0)
			snprintf(buf + used, cap - used, "%s%s",
				 used ? ", " : "", item);
		else
			snprintf(buf + used, cap - used, "%s%s %s",
				 used ? ", " : "", item, ch->name);
		used = strlen(buf);
		p += len;
		if (*p == ',')
			p++;
	}
	ps_setup_choices_dispose(&c);
	return 0;
}

int
ps_setup_field_display(char *buf, size_t cap, ps_store *st,
		       const ps_setup_field *f)
{
	const ps_mapedit_kind *k;
	char *v = NULL, tmp[256];
	size_t rows = 0;
	int state, has_default = 0, error = 0;

	buf[0] = '\0';
	switch (f->type) {
	case PS_SETUP_FIELD_TEST_BP:
	case PS_SETUP_FIELD_TEST_BC:
		error = test_recall(&state, tmp, sizeof(tmp), st,
				    f->type == PS_SETUP_FIELD_TEST_BP
					    ? PS_SETUP_TEST_BP
					    : PS_SETUP_TEST_BC);
		if (error == 0)
			snprintf(buf, cap, "%s",
				 state < 0 ? "(not tested)" : tmp);
		return error;
	case PS_SETUP_FIELD_MAPPING:
		k = ps_mapedit_kind_find(f->key, f->list);
		if (k == NULL)
			return ps_error_set(PS_EINVAL, "no editor for %s %s",
					    f->key, f->list);
		error = ps_mapedit_check(&rows, &has_default, tmp, sizeof(tmp),
					 st, k);
		if (error == 0)
			snprintf(buf, cap, "%zu row%s%s%s", rows,
				 rows == 1 ? "" : "s",
				 has_default ? ", with default" : "",
				 tmp[0] ? " (stale values!)" : "");
		return error;
	default:
		break;
	}
	if ((error = ps_setup_field_get(&v, st, f)) < 0)
		return error;
	if (v == NULL)
		snprintf(buf, cap, "(not set)");
	else if (f->type == PS_SETUP_FIELD_SECRET)
		ps_settings_display(buf, cap, f->key, v);
	else if (f->type == PS_SETUP_FIELD_PICK ||
		 f->type == PS_SETUP_FIELD_PICK_MANY)
		error = display_pick(buf, cap, st, f, v);
	else
		snprintf(buf, cap, "%s", v);
	free(v);
	return error;
}

/* ------------------------------------------------------------------------ */
/* Step status                                                               */

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

/* Generic checks: required fields set, picks still in their lists,
 * mapping tables without stale values. */
static int
check_fields(int *out_done, char *why, size_t cap, ps_store *st,
	     ps_setup_step step)
{
	const ps_setup_field *f;
	const ps_mapedit_kind *k;
	char *v = NULL;
	size_t i, rows;
	int error = 0;

	for (i = 0; i < steps[step].n && *out_done; i++) {
		f = &steps[step].fields[i];
		if (f->type == PS_SETUP_FIELD_MAPPING) {
			k = ps_mapedit_kind_find(f->key, f->list);
			if (k == NULL)
				continue;
			if ((error = ps_mapedit_check(&rows, NULL, why, cap, st,
						      k)) < 0)
				return error;
			if (why[0] != '\0')
				*out_done = 0;
			else if (f->required && rows == 0) {
				*out_done = 0;
				snprintf(why, cap,
					 "no %s mapping yet (%s; Enter edits)",
					 strcmp(k->kind, "order_status") == 0
						 ? "order status"
						 : k->kind,
					 k->direction);
			}
			continue;
		}
		if (!is_setting_field(f))
			continue;
		if ((error = setting_opt(&v, st, f->key)) < 0)
			return error;
		if (v == NULL && f->required) {
			*out_done = 0;
			snprintf(why, cap, "%s is not set", f->label);
		} else if (v != NULL && (f->type == PS_SETUP_FIELD_PICK ||
					 f->type == PS_SETUP_FIELD_PICK_MANY)) {
			if (check_in_list(st, f->list, v, f->by_name,
					  f->type == PS_SETUP_FIELD_PICK_MANY) <
			    0) {
				*out_done = 0;
				snprintf(why, cap, "%s: %s", f->label,
					 ps_error_last());
				ps_error_clear();
			}
		}
		free(v);
		v = NULL;
	}
	return 0;
}

static int
check_test(int *out_done, char *why, size_t cap, ps_store *st, const char *kind,
	   const char *name)
{
	char msg[200];
	int state, error;

	if ((error = test_recall(&state, msg, sizeof(msg), st, kind)) < 0)
		return error;
	if (state < 0) {
		*out_done = 0;
		snprintf(why, cap, "test the %s connection", name);
	} else if (state == 0) {
		*out_done = 0;
		snprintf(why, cap, "%s: %s", name, msg);
	}
	return 0;
}

int
ps_setup_step_check(int *out_done, char *why, size_t cap, ps_store *st,
		    ps_setup_step step)
{
	char *v = NULL;
	int error;

	*out_done = 1;
	why[0] = '\0';
	if ((unsigned)step >= PS_SETUP_STEP_COUNT)
		return ps_error_set(PS_EINVAL, "no such setup step");
	if ((error = check_fields(out_done, why, cap, st, step)) < 0 ||
	    !*out_done)
		return error;
	switch (step) {
	case PS_SETUP_CONNECTIONS:
		if ((error = check_test(out_done, why, cap, st,
					PS_SETUP_TEST_BP, "Brightpearl")) < 0 ||
		    !*out_done)
			return error;
		return check_test(out_done, why, cap, st, PS_SETUP_TEST_BC,
				  "BigCommerce");
	case PS_SETUP_FULFILMENT:
		if (!setting_bool(st, "fulfilment.enabled"))
			return 0;
		if ((error = setting_opt(&v, st, "fulfilment.trigger")) < 0)
			return error;
		if (v != NULL && strcmp(v, "status") == 0) {
			free(v);
			if ((error = setting_opt(
				     &v, st, "fulfilment.trigger_status")) < 0)
				return error;
			if (v == NULL) {
				*out_done = 0;
				snprintf(why, cap, "choose the trigger status");
			}
		}
		free(v);
		return 0;
	case PS_SETUP_NOTES:
		if (!setting_bool(st, "notes.enabled"))
			return 0;
		if ((error = setting_opt(&v, st,
					 "notes.customer_message_field")) < 0)
			return error;
		if (v == NULL &&
		    (error = setting_opt(&v, st, "notes.staff_notes_field")) <
			    0)
			return error;
		if (v == NULL) {
			*out_done = 0;
			snprintf(why, cap,
				 "choose the Brightpearl field for notes");
		}
		free(v);
		return 0;
	case PS_SETUP_PAYMENTS:
		if (setting_bool(st, "payments.enabled")) {
			size_t rows = 0;
			const ps_mapedit_kind *k =
				ps_mapedit_kind_find("payment_method", "bc>bp");

			if ((error = ps_mapedit_check(&rows, NULL, why, cap, st,
						      k)) < 0)
				return error;
			if (rows == 0) {
				*out_done = 0;
				snprintf(why, cap, "map the payment methods");
			}
		}
		return 0;
	case PS_SETUP_INVENTORY:
		if (!setting_bool(st, "inventory.enabled"))
			return 0;
		if ((error = setting_opt(&v, st, "inventory.warehouses")) < 0)
			return error;
		if (v == NULL) {
			*out_done = 0;
			snprintf(why, cap, "choose the warehouses summed");
		}
		free(v);
		return 0;
	default:
		return 0;
	}
}

/* ------------------------------------------------------------------------ */
/* Connectors                                                                */

int
ps_setup_connect_bp(ps_bp **out, ps_store *st, const ps_config *cfg,
		    ps_http *http)
{
	return ps_connect_bp(out, st, cfg, http);
}

int
ps_setup_connect_bc(ps_bc **out, ps_store *st, const ps_config *cfg,
		    ps_http *http)
{
	return ps_connect_bc(out, st, cfg, http);
}

/* The one-line outcome of a check, as `pearlsync check-connection`. */
static void
outcome(char *msg, size_t cap, int code, const char *what, const char *name)
{
	const char *how;

	if (code == 0) {
		snprintf(msg, cap, "OK: %s %s", what, name ? name : "");
		return;
	}
	switch (code) {
	case PS_EAUTH:
		how = "authentication failed";
		break;
	case PS_ESETTING:
	case PS_EINVAL:
		how = "not configured";
		break;
	default:
		how = "unreachable";
		break;
	}
	snprintf(msg, cap, "%s: %s", how, ps_error_last());
	ps_redact(msg, cap);
}

int
ps_setup_test_connection(char *msg, size_t cap, ps_store *st,
			 const ps_config *cfg, ps_http *http,
			 ps_platform platform, int64_t now)
{
	ps_bp *bp = NULL;
	ps_bc *bc = NULL;
	char *name = NULL;
	const char *kind, *what;
	int error, rerr;

	if (platform == PS_PLATFORM_BRIGHTPEARL) {
		kind = PS_SETUP_TEST_BP;
		what = "Brightpearl account";
		if ((error = ps_setup_connect_bp(&bp, st, cfg, http)) == 0)
			error = ps_bp_check_connection(&name, bp);
	} else if (platform == PS_PLATFORM_BIGCOMMERCE) {
		kind = PS_SETUP_TEST_BC;
		what = "BigCommerce store";
		if ((error = ps_setup_connect_bc(&bc, st, cfg, http)) == 0)
			error = ps_bc_check_connection(&name, bc);
	} else {
		snprintf(msg, cap, "only Brightpearl and BigCommerce");
		return ps_error_set(PS_EINVAL, "%s", msg);
	}
	outcome(msg, cap, error, what, name);
	rerr = test_remember(st, kind, error == 0, msg, now);
	if (error == 0)
		error = rerr;
	free(name);
	ps_bp_free(bp);
	ps_bc_free(bc);
	return error;
}

/* ------------------------------------------------------------------------ */
/* Fetching the lists                                                        */

static const struct {
	ps_bp_ref_kind ref;
	const char *cache;
} bp_lists[] = {
	{PS_BP_REF_ORDER_STATUS, PS_SETUP_LIST_BP_STATUSES},
	{PS_BP_REF_WAREHOUSE, PS_SETUP_LIST_BP_WAREHOUSES},
	{PS_BP_REF_CHANNEL, PS_SETUP_LIST_BP_CHANNELS},
	{PS_BP_REF_LEAD_SOURCE, PS_SETUP_LIST_BP_LEAD_SOURCES},
	{PS_BP_REF_PROJECT, PS_SETUP_LIST_BP_PROJECTS},
	{PS_BP_REF_SHIPPING_METHOD, PS_SETUP_LIST_BP_SHIPPING},
	{PS_BP_REF_PAYMENT_METHOD, PS_SETUP_LIST_BP_PAYMENT},
};

static int
fetch_bp_ref(ps_store *st, ps_bp *bp, size_t which, int64_t now)
{
	ps_bp_ref_list l = {0};
	json_t *arr = json_array();
	char id[32];
	size_t i;
	int error;

	if (arr == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	if ((error = ps_bp_ref_list_get(&l, bp, bp_lists[which].ref)) < 0)
		goto done;
	for (i = 0; i < l.n && error == 0; i++) {
		const ps_bp_ref *r = &l.items[i];

		/* Sales order statuses only: the others never apply. */
		if (bp_lists[which].ref == PS_BP_REF_ORDER_STATUS &&
		    r->code != NULL && strcmp(r->code, "SO") != 0)
			continue;
		if (bp_lists[which].ref == PS_BP_REF_PAYMENT_METHOD)
			error = list_add(arr, r->code ? r->code : "", r->name);
		else {
			snprintf(id, sizeof(id), "%lld", (long long)r->id);
			error = list_add(arr, id, r->name);
		}
	}
	if (error == 0)
		error = cache_put(st, bp_lists[which].cache, arr, now);
done:
	ps_bp_ref_list_dispose(&l);
	json_decref(arr);
	return error;
}

static int
fetch_bp_fields(ps_store *st, ps_bp *bp, int64_t now)
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
		error = cache_put(st, PS_SETUP_LIST_BP_FIELDS, arr, now);
done:
	ps_bp_field_meta_list_dispose(&l);
	json_decref(arr);
	return error;
}

int
ps_setup_refresh_bp(char *msg, size_t cap, ps_store *st, ps_bp *bp, int64_t now)
{
	char first[PS_ERROR_MAX] = "";
	size_t i, ok = 0, total = ARRAY_LEN(bp_lists) + 1;
	int error = 0, e;

	for (i = 0; i <= ARRAY_LEN(bp_lists); i++) {
		e = i < ARRAY_LEN(bp_lists) ? fetch_bp_ref(st, bp, i, now)
					    : fetch_bp_fields(st, bp, now);
		if (e == 0) {
			ok++;
		} else if (error == 0) {
			error = e;
			snprintf(first, sizeof(first), "%s", ps_error_last());
		}
	}
	if (error == 0)
		snprintf(msg, cap, "%zu lists fetched from Brightpearl", ok);
	else
		snprintf(msg, cap,
			 "%zu of %zu lists fetched from Brightpearl: "
			 "%s",
			 ok, total, first);
	ps_redact(msg, cap);
	if (error != 0)
		ps_error_set(error, "%s", msg);
	return error;
}

int
ps_setup_refresh_bc(char *msg, size_t cap, ps_store *st, ps_bc *bc, int64_t now)
{
	ps_bc_order_status_list l = {0};
	json_t *arr = json_array();
	char id[32];
	size_t i;
	int error;

	if (arr == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	if ((error = ps_bc_order_statuses_list(&l, bc)) < 0)
		goto done;
	for (i = 0; i < l.count && error == 0; i++) {
		const ps_bc_order_status *s = &l.items[i];
		const char *name = s->custom_label && s->custom_label[0]
					   ? s->custom_label
					   : s->name;

		snprintf(id, sizeof(id), "%d", s->id);
		error = list_add(arr, id, name);
	}
	if (error == 0)
		error = cache_put(st, PS_SETUP_LIST_BC_STATUSES, arr, now);
done:
	if (error == 0)
		snprintf(msg, cap, "1 list fetched from BigCommerce");
	else {
		snprintf(msg, cap, "BigCommerce statuses not fetched: %s",
			 ps_error_last());
		ps_redact(msg, cap);
	}
	ps_bc_order_status_list_dispose(&l);
	json_decref(arr);
	return error;
}

int
ps_setup_refresh(char *msg, size_t cap, ps_store *st, const ps_config *cfg,
		 ps_http *http, int64_t now)
{
	char a[PS_ERROR_MAX + 64] = "", b[PS_ERROR_MAX + 64] = "";
	ps_bp *bp = NULL;
	ps_bc *bc = NULL;
	int error, e2;

	if ((error = ps_setup_connect_bp(&bp, st, cfg, http)) == 0)
		error = ps_setup_refresh_bp(a, sizeof(a), st, bp, now);
	else
		outcome(a, sizeof(a), error, "", NULL);
	if ((e2 = ps_setup_connect_bc(&bc, st, cfg, http)) == 0)
		e2 = ps_setup_refresh_bc(b, sizeof(b), st, bc, now);
	else
		outcome(b, sizeof(b), e2, "", NULL);
	snprintf(msg, cap, "%s; %s", a, b);
	ps_bp_free(bp);
	ps_bc_free(bc);
	if (error == 0)
		error = e2;
	if (error != 0)
		ps_error_set(error, "%s", msg);
	return error;
}
