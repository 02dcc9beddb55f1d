/*
 * test_settings.c - the settings catalogue, settings with their history and
 * rollback, and mappings (defaults, bulk import, history).
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

#include "pearlsync/log.h"
#include "pearlsync/settings.h"
#include "pearlsync/store.h"
#include "store/store_int.h"
#include "test_db.h"

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
	if (test_db_open(&f->db, "settings") < 0)
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

static int
count_history_cb(const ps_setting_change *c, void *payload)
{
	(void)c;
	(*(int *)payload)++;
	return 0;
}

static int
history_rows(ps_store *st, const char *key)
{
	int n = 0;

	assert_int_equal(
		ps_store_setting_history_foreach(st, key, count_history_cb, &n),
		0);
	return n;
}

static int
count_settings_cb(const char *key, const char *value, void *payload)
{
	(void)key;
	(void)value;
	(*(int *)payload)++;
	return 0;
}

static int
settings_rows(ps_store *st)
{
	int n = 0;

	assert_int_equal(ps_store_setting_foreach(st, count_settings_cb, &n),
			 0);
	return n;
}

/* The stored value of key, or "(unset)"; into a static buffer. */
static const char *
value_of(ps_store *st, const char *key)
{
	static char buf[256];
	char *v = NULL;
	int rc = ps_store_setting_get(&v, st, key);

	if (rc == PS_ENOTFOUND)
		return "(unset)";
	assert_int_equal(rc, 0);
	snprintf(buf, sizeof(buf), "%s", v);
	free(v);
	return buf;
}

static const char *
mapping_of(ps_store *st, const char *kind, const char *dir, const char *src,
	   unsigned flags)
{
	static char buf[256];
	char *v = NULL;
	int rc = ps_store_mapping_get(&v, st, kind, dir, src, flags);

	if (rc == PS_ENOTFOUND)
		return "(none)";
	assert_int_equal(rc, 0);
	snprintf(buf, sizeof(buf), "%s", v);
	free(v);
	return buf;
}

/* ---- the catalogue ----------------------------------------------------- */

static void
test_settings__catalogue_is_well_formed(void **state)
{
	size_t i, j;

	(void)state;
	assert_true(ps_settings_count() >= 34);
	assert_null(ps_settings_at(ps_settings_count()));
	for (i = 0; i < ps_settings_count(); i++) {
		const ps_setting_def *d = ps_settings_at(i);
		assert_non_null(d->key);
		assert_non_null(strchr(d->key, '.'));
		assert_non_null(d->description);
		assert_true(strlen(d->description) > 0);
		assert_ptr_equal(ps_settings_find(d->key), d);
		assert_int_equal(d->choices != NULL,
				 d->type == PS_SETTING_ENUM);
		/* every default is itself a valid value */
		if (d->default_value)
			assert_int_equal(
				ps_settings_validate(d->key, d->default_value),
				0);
		for (j = 0; j < i; j++)
			assert_string_not_equal(ps_settings_at(j)->key, d->key);
	}
	assert_true(ps_settings_find("bigcommerce.defaults.warehouse_id")
			    ->required);
	assert_int_equal(ps_settings_find("brightpearl.token")->type,
			 PS_SETTING_SECRET);
	assert_string_equal(ps_setting_type_name(PS_SETTING_ID_LIST), "ids");
	assert_null(ps_settings_find("nope"));
	assert_null(ps_settings_find(NULL));
}

static void
test_settings__every_brief_key_exists(void **state)
{
	static const char *const keys[] = {
		"brightpearl.base_url",
		"brightpearl.account",
		"brightpearl.app_ref",
		"brightpearl.token",
		"brightpearl.auth_mode",
		"brightpearl.installed_integration_instance_id",
		"bigcommerce.store_hash",
		"bigcommerce.token",
		"bigcommerce.base_url",
		"bigcommerce.orders.enabled",
		"bigcommerce.orders.import_statuses",
		"bigcommerce.orders.sync_statuses",
		"bigcommerce.orders.import_guests",
		"bigcommerce.orders.start_date",
		"bigcommerce.defaults.channel_id",
		"bigcommerce.defaults.warehouse_id",
		"bigcommerce.defaults.project_id",
		"bigcommerce.defaults.lead_source_id",
		"bigcommerce.defaults.price_list_id",
		"bigcommerce.items.product_match_field",
		"bigcommerce.customers.auto_create",
		"bigcommerce.fulfilment.trigger",
		"bigcommerce.fulfilment.trigger_status",
		"bigcommerce.notes.customer_message_field",
		"bigcommerce.notes.staff_notes_field",
		"bigcommerce.notes.bp_note_to_bc_field",
		"bigcommerce.payments.enabled",
		"bigcommerce.payments.captured_only",
		"bigcommerce.inventory.enabled",
		"bigcommerce.inventory.warehouses",
		"webhooks.public_url",
		"webhooks.secret"};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (ps_settings_find(keys[i]) == NULL)
			fail_msg("missing setting %s", keys[i]);
	assert_true(ps_settings_is_secret("webhooks.secret"));
	assert_true(ps_settings_is_secret("bigcommerce.token"));
	assert_false(ps_settings_is_secret("bigcommerce.store_hash"));
	assert_false(ps_settings_is_secret("unknown.key"));
}

struct vcase {
	const char *key;
	const char *value;
	int ok;
};

static void
test_settings__validate_by_type(void **state)
{
	static const struct vcase cases[] = {
		{"bigcommerce.orders.enabled", "true", 1},
		{"bigcommerce.orders.enabled", "false", 1},
		{"bigcommerce.orders.enabled", "yes", 0},
		{"bigcommerce.orders.enabled", "", 0},
		{"bigcommerce.defaults.warehouse_id", "2", 1},
		{"bigcommerce.defaults.warehouse_id", "0", 0},
		{"bigcommerce.defaults.warehouse_id", "-3", 0},
		{"bigcommerce.defaults.warehouse_id", "02", 0},
		{"bigcommerce.defaults.warehouse_id", "2x", 0},
		{"bigcommerce.defaults.warehouse_id", " 2", 0},
		{"bigcommerce.orders.import_statuses", "11", 1},
		{"bigcommerce.orders.import_statuses", "1,2,11", 1},
		{"bigcommerce.orders.import_statuses", "", 1},
		{"bigcommerce.orders.import_statuses", "1,,2", 0},
		{"bigcommerce.orders.import_statuses", "1, 2", 0},
		{"bigcommerce.orders.import_statuses", "1,", 0},
		{"bigcommerce.orders.sync_statuses", "Completed,Shipped", 1},
		{"bigcommerce.orders.sync_statuses", "Completed, Shipped", 0},
		{"brightpearl.auth_mode", "oauth", 1},
		{"brightpearl.auth_mode", "private_app", 1},
		{"brightpearl.auth_mode", "OAUTH", 0},
		{"bigcommerce.items.product_match_field", "mpn", 1},
		{"bigcommerce.items.product_match_field", "title", 0},
		{"bigcommerce.fulfilment.trigger", "goods_out", 1},
		{"bigcommerce.fulfilment.trigger", "shipped", 0},
		{"webhooks.public_url", "https://example.com/hooks", 1},
		{"webhooks.public_url", "http://127.0.0.1:8080", 1},
		{"webhooks.public_url", "ftp://example.com", 0},
		{"webhooks.public_url", "https://", 0},
		{"webhooks.public_url", "https://a b", 0},
		{"bigcommerce.orders.start_date", "2026-01-31", 1},
		{"bigcommerce.orders.start_date", "2026-01-31T23:59:59Z", 1},
		{"bigcommerce.orders.start_date", "2026-13-01", 0},
		{"bigcommerce.orders.start_date", "2026-1-1", 0},
		{"bigcommerce.orders.start_date", "2026-01-31T24:00:00Z", 0},
		{"bigcommerce.inventory.interval_minutes", "15", 1},
		{"bigcommerce.inventory.interval_minutes", "0", 0},
		{"bigcommerce.inventory.interval_minutes", "1441", 0},
		{"bigcommerce.inventory.interval_minutes",
		 "99999999999999999999", 0},
		{"brightpearl.token", "tok", 1},
		{"brightpearl.token", "", 0},
		{"brightpearl.account", "line\nbreak", 0},
		{"bigcommerce.store_hash", "abc123", 1},
	};
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rc = ps_settings_validate(cases[i].key, cases[i].value);
		if ((rc == 0) != cases[i].ok)
			fail_msg("%s = '%s': got %d (%s)", cases[i].key,
				 cases[i].value, rc, ps_error_last());
		if (!cases[i].ok) {
			assert_int_equal(rc, PS_EINVAL);
			assert_non_null(strstr(ps_error_last(), cases[i].key));
		}
	}
	assert_int_equal(
		ps_settings_validate("bigcommerce.orders.enabled", NULL), 0);
	assert_int_equal(ps_settings_validate(NULL, "x"), PS_EINVAL);
	assert_int_equal(ps_settings_validate("", "x"), PS_EINVAL);
	assert_int_equal(ps_settings_validate("orders.colour", "red"),
			 PS_EINVAL);
	assert_string_equal(ps_error_last(), "unknown setting 'orders.colour'");
	assert_int_equal(ps_settings_validate("brightpearl.auth_mode", "x"),
			 PS_EINVAL);
	assert_non_null(strstr(ps_error_last(), "private_app, oauth"));
}

static void
test_settings__display_masks_secrets(void **state)
{
	char buf[8];
	char big[64];

	(void)state;
	assert_string_equal(ps_settings_display(big, sizeof(big),
						"bigcommerce.token", "s3cret"),
			    "********");
	assert_string_equal(ps_settings_display(big, sizeof(big),
						"bigcommerce.token", NULL),
			    "");
	assert_string_equal(ps_settings_display(big, sizeof(big),
						"bigcommerce.store_hash",
						"abc"),
			    "abc");
	assert_string_equal(
		ps_settings_display(buf, sizeof(buf),
				    "bigcommerce.orders.sync_statuses",
				    "Completed,Shipped"),
		"Complet");
}

static void
test_settings__list_contains(void **state)
{
	(void)state;
	assert_true(ps_settings_list_contains("1,2,11", "11"));
	assert_true(ps_settings_list_contains("1,2,11", "1"));
	assert_false(ps_settings_list_contains("1,2,11", "12"));
	assert_false(ps_settings_list_contains("11", "1"));
	assert_false(ps_settings_list_contains("", "1"));
	assert_false(ps_settings_list_contains(NULL, "1"));
	assert_false(ps_settings_list_contains("1", NULL));
}

/* ---- settings in the store --------------------------------------------- */

static void
test_settings__get_set_and_defaults(void **state)
{
	struct fixture *f = *state;
	char *v = NULL;
	int64_t version = -1, n = 0;
	int b = -1;

	assert_int_equal(
		ps_store_setting_get(NULL, f->st, "bigcommerce.orders.enabled"),
		PS_EINVAL);
	assert_int_equal(ps_store_setting_get(&v, f->st, NULL), PS_EINVAL);
	assert_int_equal(
		ps_store_setting_get(&v, f->st, "bigcommerce.orders.enabled"),
		PS_ENOTFOUND);
	assert_null(v);
	/* the default applies until set */
	assert_int_equal(
		ps_settings_get_bool(&b, f->st, "bigcommerce.orders.enabled"),
		0);
	assert_int_equal(b, 0);
	assert_int_equal(
		ps_settings_get(&v, f->st, "bigcommerce.defaults.warehouse_id"),
		PS_ESETTING);
	assert_non_null(
		strstr(ps_error_last(), "bigcommerce.defaults.warehouse_id"));
	assert_int_equal(ps_settings_get(&v, f->st, "bogus.key"), PS_EINVAL);

	assert_int_equal(ps_store_setting_set(&version, f->st,
					      "bigcommerce.orders.enabled",
					      "true", "cli", 100),
			 0);
	assert_int_equal(version, 1);
	assert_int_equal(
		ps_settings_get_bool(&b, f->st, "bigcommerce.orders.enabled"),
		0);
	assert_int_equal(b, 1);
	assert_int_equal(
		ps_store_setting_set(&version, f->st,
				     "bigcommerce.defaults.warehouse_id", "7",
				     "console", 101),
		0);
	assert_int_equal(version, 2);
	assert_int_equal(
		ps_settings_get_int(&n, f->st,
				    "bigcommerce.defaults.warehouse_id"),
		0);
	assert_int_equal(n, 7);
	assert_int_equal(settings_rows(f->st), 2);

	/* unset */
	assert_int_equal(ps_store_setting_set(&version, f->st,
					      "bigcommerce.orders.enabled",
					      NULL, "cli", 102),
			 0);
	assert_int_equal(version, 3);
	assert_string_equal(value_of(f->st, "bigcommerce.orders.enabled"),
			    "(unset)");
	assert_int_equal(ps_store_settings_version(&n, f->st), 0);
	assert_int_equal(n, 3);
}

static void
test_settings__noop_set_writes_nothing(void **state)
{
	struct fixture *f = *state;
	int64_t version = -1;

	assert_int_equal(ps_store_setting_set(&version, f->st,
					      "bigcommerce.store_hash", "abc",
					      "cli", 1),
			 0);
	assert_int_equal(version, 1);
	assert_int_equal(ps_store_setting_set(&version, f->st,
					      "bigcommerce.store_hash", "abc",
					      "console", 2),
			 0);
	assert_int_equal(version, 0);
	assert_int_equal(ps_store_setting_set(&version, f->st,
					      "bigcommerce.orders.enabled",
					      NULL, "cli", 3),
			 0);
	assert_int_equal(version, 0);
	assert_int_equal(history_rows(f->st, NULL), 1);
}

static void
test_settings__rejected_values_write_nothing(void **state)
{
	struct fixture *f = *state;
	ps_setting_kv kv[] = {{"bigcommerce.orders.enabled", "true"},
			      {"bigcommerce.defaults.warehouse_id", "seven"}};
	int64_t version = -1;

	assert_int_equal(ps_store_setting_set(&version, f->st, "orders.colour",
					      "red", "cli", 1),
			 PS_EINVAL);
	assert_string_equal(ps_error_last(), "unknown setting 'orders.colour'");
	assert_int_equal(ps_store_setting_set(&version, f->st,
					      "bigcommerce.orders.enabled",
					      "maybe", "cli", 1),
			 PS_EINVAL);
	assert_int_equal(ps_store_setting_set(&version, f->st,
					      "bigcommerce.orders.enabled",
					      "true", "", 1),
			 PS_EINVAL);
	assert_int_equal(ps_store_setting_set(&version, f->st,
					      "bigcommerce.orders.enabled",
					      "true", NULL, 1),
			 PS_EINVAL);
	/* a batch with one bad pair writes none of it */
	assert_int_equal(
		ps_store_settings_set_many(&version, f->st, kv, 2, "import", 1),
		PS_EINVAL);
	assert_non_null(
		strstr(ps_error_last(), "bigcommerce.defaults.warehouse_id"));
	assert_int_equal(version, 0);
	assert_int_equal(settings_rows(f->st), 0);
	assert_int_equal(history_rows(f->st, NULL), 0);
	/* history keys are not settings */
	assert_int_equal(ps_store_setting_set(&version, f->st,
					      "mapping:order_status:bc>bp:x",
					      "y", "cli", 1),
			 PS_EINVAL);
	assert_int_equal(settings_rows(f->st), 0);
}

struct seen {
	int n;
	ps_setting_change last;
	char key[64], old[64], new_[64], actor[16];
	int64_t versions[8];
};

static int
record_change(const ps_setting_change *c, void *payload)
{
	struct seen *s = payload;

	if (s->n < 8)
		s->versions[s->n] = c->version;
	if (s->n++ == 0) {
		s->last = *c;
		snprintf(s->key, sizeof(s->key), "%s", c->key);
		snprintf(s->old, sizeof(s->old), "%s",
			 c->old_value ? c->old_value : "(null)");
		snprintf(s->new_, sizeof(s->new_), "%s",
			 c->new_value ? c->new_value : "(null)");
		snprintf(s->actor, sizeof(s->actor), "%s", c->actor);
	}
	return 0;
}

static int
stop_now(const ps_setting_change *c, void *payload)
{
	(void)c;
	(void)payload;
	return 5;
}

static void
test_settings__history_records_each_change(void **state)
{
	struct fixture *f = *state;
	ps_setting_kv kv[] = {{"bigcommerce.defaults.channel_id", "3"},
			      {"bigcommerce.defaults.project_id", "4"},
			      {"bigcommerce.store_hash", "h1"}};
	struct seen s;
	int64_t version = 0;

	assert_int_equal(ps_store_setting_set(NULL, f->st,
					      "bigcommerce.store_hash", "h1",
					      "cli", 10),
			 0);
	assert_int_equal(ps_store_setting_set(NULL, f->st,
					      "bigcommerce.store_hash", "h2",
					      "console", 20),
			 0);
	/* one change-set, unchanged pairs skipped */
	kv[2].value = "h2";
	assert_int_equal(ps_store_settings_set_many(&version, f->st, kv, 3,
						    "import", 30),
			 0);
	assert_int_equal(version, 3);
	assert_int_equal(history_rows(f->st, NULL), 4);
	assert_int_equal(history_rows(f->st, "bigcommerce.store_hash"), 2);

	memset(&s, 0, sizeof(s));
	assert_int_equal(
		ps_store_setting_history_foreach(
			f->st, "bigcommerce.store_hash", record_change, &s),
		0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.key, "bigcommerce.store_hash"); /* newest */
	assert_string_equal(s.old, "h1");
	assert_string_equal(s.new_, "h2");
	assert_string_equal(s.actor, "console");
	assert_int_equal(s.last.at, 20);
	assert_int_equal(s.last.version, 2);

	memset(&s, 0, sizeof(s));
	assert_int_equal(ps_store_setting_history_foreach(f->st, NULL,
							  record_change, &s),
			 0);
	assert_int_equal(s.versions[0], 3);
	assert_int_equal(s.versions[1], 3);
	assert_int_equal(s.versions[2], 2);
	assert_int_equal(s.versions[3], 1);
	assert_int_equal(
		ps_store_setting_history_foreach(f->st, NULL, stop_now, NULL),
		5);
}

static void
test_settings__rollback_restores_and_is_recorded(void **state)
{
	struct fixture *f = *state;
	int64_t v1 = 0, v2 = 0, v3 = 0, rb = 0, latest = 0;
	ps_mapping m = {"order_status", "bc>bp", "Shipped", "4"};

	assert_int_equal(ps_store_setting_set(&v1, f->st,
					      "bigcommerce.orders.enabled",
					      "true", "cli", 1),
			 0);
	assert_int_equal(
		ps_store_setting_set(&v2, f->st,
				     "bigcommerce.defaults.warehouse_id", "2",
				     "cli", 2),
		0);
	assert_int_equal(ps_store_mapping_set(&v3, f->st, &m, "console", 3), 0);
	assert_int_equal(v3, 3);
	assert_int_equal(ps_store_setting_set(NULL, f->st,
					      "bigcommerce.orders.enabled",
					      "false", "cli", 4),
			 0);
	assert_int_equal(
		ps_store_setting_set(NULL, f->st,
				     "bigcommerce.defaults.warehouse_id", "9",
				     "cli", 5),
		0);

	assert_int_equal(ps_store_settings_rollback(&rb, f->st, 99, "cli", 6),
			 PS_ENOTFOUND);
	assert_int_equal(ps_store_settings_rollback(&rb, f->st, -1, "cli", 6),
			 PS_EINVAL);
	/* back to v2: the mapping set later disappears too */
	assert_int_equal(ps_store_settings_rollback(&rb, f->st, v2, "cli", 6),
			 0);
	assert_int_equal(rb, 6);
	assert_string_equal(value_of(f->st, "bigcommerce.orders.enabled"),
			    "true");
	assert_string_equal(
		value_of(f->st, "bigcommerce.defaults.warehouse_id"), "2");
	assert_string_equal(
		mapping_of(f->st, "order_status", "bc>bp", "Shipped", 0),
		"(none)");
	assert_int_equal(history_rows(f->st, NULL), 5 + 3);
	/* rolling back to where we are changes nothing */
	assert_int_equal(ps_store_settings_rollback(&rb, f->st, 6, "cli", 7),
			 0);
	assert_int_equal(rb, 0);
	/* the rollback itself can be rolled back */
	assert_int_equal(ps_store_settings_rollback(&rb, f->st, 5, "cli", 8),
			 0);
	assert_string_equal(value_of(f->st, "bigcommerce.orders.enabled"),
			    "false");
	assert_string_equal(
		value_of(f->st, "bigcommerce.defaults.warehouse_id"), "9");
	assert_string_equal(
		mapping_of(f->st, "order_status", "bc>bp", "Shipped", 0), "4");
	/* to 0: everything unset */
	assert_int_equal(ps_store_settings_rollback(&rb, f->st, 0, "cli", 9),
			 0);
	assert_int_equal(settings_rows(f->st), 0);
	assert_string_equal(
		mapping_of(f->st, "order_status", "bc>bp", "Shipped", 0),
		"(none)");
	assert_int_equal(ps_store_settings_version(&latest, f->st), 0);
	assert_int_equal(latest, rb);
}

static void
test_settings__secrets_read_or_written_are_redacted(void **state)
{
	struct fixture *f = *state;
	char *v = NULL;

	ps_log_clear_secrets();
	assert_int_equal(ps_store_setting_set(NULL, f->st, "bigcommerce.token",
					      "tok-SET-12345", "cli", 1),
			 0);
	ps_error_set(PS_EAUTH, "rejected tok-SET-12345");
	assert_string_equal(ps_error_last(), "rejected ****");

	ps_log_clear_secrets();
	assert_int_equal(ps_store_setting_get(&v, f->st, "bigcommerce.token"),
			 0);
	assert_string_equal(v, "tok-SET-12345"); /* the caller gets it */
	free(v);
	ps_error_set(PS_EAUTH, "rejected tok-SET-12345");
	assert_string_equal(ps_error_last(), "rejected ****");
	ps_log_clear_secrets();
	/* ordinary settings are not registered */
	assert_int_equal(ps_store_setting_set(NULL, f->st,
					      "bigcommerce.store_hash",
					      "hash-abcdef", "cli", 2),
			 0);
	assert_int_equal(
		ps_store_setting_get(&v, f->st, "bigcommerce.store_hash"), 0);
	free(v);
	ps_error_set(PS_EAUTH, "store hash-abcdef");
	assert_string_equal(ps_error_last(), "store hash-abcdef");
}

static void
test_settings__missing_required(void **state)
{
	struct fixture *f = *state;
	char buf[512];
	int n;

	n = ps_settings_missing_required(buf, sizeof(buf), f->st);
	assert_true(n >= 4);
	assert_non_null(strstr(buf, "bigcommerce.defaults.warehouse_id"));
	assert_int_equal(
		ps_store_setting_set(NULL, f->st,
				     "bigcommerce.defaults.warehouse_id", "2",
				     "cli", 1),
		0);
	assert_int_equal(ps_settings_missing_required(buf, sizeof(buf), f->st),
			 n - 1);
	assert_null(strstr(buf, "bigcommerce.defaults.warehouse_id"));
}

/* ---- mappings ---------------------------------------------------------- */

static void
test_settings__mapping_rejects_malformed(void **state)
{
	struct fixture *f = *state;
	ps_mapping m = {"order_status", "bc>bp", "Shipped", "4"};
	char *v = NULL;

	assert_int_equal(ps_store_mapping_set(NULL, f->st, NULL, "cli", 1),
			 PS_EINVAL);
	m.kind = "";
	assert_int_equal(ps_store_mapping_set(NULL, f->st, &m, "cli", 1),
			 PS_EINVAL);
	m.kind = "Order Status";
	assert_int_equal(ps_store_mapping_set(NULL, f->st, &m, "cli", 1),
			 PS_EINVAL);
	m.kind = "order_status";
	m.direction = "bc>bc";
	assert_int_equal(ps_store_mapping_set(NULL, f->st, &m, "cli", 1),
			 PS_EINVAL);
	m.direction = "bc-bp";
	assert_int_equal(ps_store_mapping_set(NULL, f->st, &m, "cli", 1),
			 PS_EINVAL);
	m.direction = "bc>xx";
	assert_int_equal(ps_store_mapping_set(NULL, f->st, &m, "cli", 1),
			 PS_EINVAL);
	m.direction = "bc>bp";
	m.target = "";
	assert_int_equal(ps_store_mapping_set(NULL, f->st, &m, "cli", 1),
			 PS_EINVAL);
	assert_int_equal(
		ps_store_mapping_get(&v, f->st, "order_status", "nope", "x", 0),
		PS_EINVAL);
	assert_int_equal(history_rows(f->st, NULL), 0);
	assert_int_equal(ps_store_mapping_remove(NULL, f->st, "order_status",
						 "bc>bp", "Shipped", "cli", 1),
			 PS_ENOTFOUND);
}

static void
test_settings__mapping_default_fallback(void **state)
{
	struct fixture *f = *state;
	ps_mapping m = {"shipping_method", "bp>bc", "7", "UPS Ground"};
	ps_mapping def = {"shipping_method", "bp>bc", NULL, "Standard"};
	char *v = NULL;

	assert_int_equal(ps_store_mapping_get(&v, f->st, "shipping_method",
					      "bp>bc", "7",
					      PS_STORE_MAPPING_FALLBACK),
			 PS_ENOTFOUND);
	assert_non_null(strstr(ps_error_last(), "no default"));
	assert_int_equal(ps_store_mapping_set(NULL, f->st, &m, "console", 1),
			 0);
	assert_int_equal(ps_store_mapping_set(NULL, f->st, &def, "console", 2),
			 0);
	assert_string_equal(
		mapping_of(f->st, "shipping_method", "bp>bc", "7", 0),
		"UPS Ground");
	assert_string_equal(
		mapping_of(f->st, "shipping_method", "bp>bc", "8", 0),
		"(none)");
	assert_string_equal(mapping_of(f->st, "shipping_method", "bp>bc", "8",
				       PS_STORE_MAPPING_FALLBACK),
			    "Standard");
	assert_string_equal(
		mapping_of(f->st, "shipping_method", "bp>bc", NULL, 0),
		"Standard");
	/* directions and kinds are separate */
	assert_string_equal(mapping_of(f->st, "shipping_method", "bc>bp", "7",
				       PS_STORE_MAPPING_FALLBACK),
			    "(none)");
	assert_string_equal(mapping_of(f->st, "warehouse", "bp>bc", "7",
				       PS_STORE_MAPPING_FALLBACK),
			    "(none)");
	/* removing the default: fallback finds nothing */
	assert_int_equal(ps_store_mapping_remove(NULL, f->st, "shipping_method",
						 "bp>bc", NULL, "console", 3),
			 0);
	assert_string_equal(mapping_of(f->st, "shipping_method", "bp>bc", "8",
				       PS_STORE_MAPPING_FALLBACK),
			    "(none)");
	assert_int_equal(history_rows(f->st, "mapping:shipping_method:bp>bc:"),
			 2);
	assert_int_equal(history_rows(f->st, "mapping:shipping_method:bp>bc:7"),
			 1);
}

struct mlist {
	int n;
	char text[512];
};

static int
list_mapping(const ps_mapping *m, void *payload)
{
	struct mlist *l = payload;
	size_t len = strlen(l->text);

	snprintf(l->text + len, sizeof(l->text) - len, "%s|%s|%s|%s;", m->kind,
		 m->direction, m->source, m->target);
	l->n++;
	return 0;
}

struct nested {
	ps_store *st;
	int outer, inner;
};

static int
count_inner(const ps_mapping *m, void *payload)
{
	(void)m;
	((struct nested *)payload)->inner++;
	return 0;
}

static int
walk_again(const ps_mapping *m, void *payload)
{
	struct nested *n = payload;

	(void)m;
	n->outer++;
	return ps_store_mapping_foreach(n->st, NULL, NULL, count_inner, n);
}

static void
test_settings__foreach_may_reenter_the_store(void **state)
{
	struct fixture *f = *state;
	ps_mapping rows[] = {{"channel", "bc>bp", "a", "1"},
			     {"channel", "bc>bp", "b", "2"},
			     {"channel", "bc>bp", "c", "3"}};
	struct nested n = {f->st, 0, 0};

	assert_int_equal(
		ps_store_mapping_import(NULL, f->st, rows, 3, 0, "import", 1),
		0);
	assert_int_equal(
		ps_store_mapping_foreach(f->st, NULL, NULL, walk_again, &n), 0);
	assert_int_equal(n.outer, 3);
	assert_int_equal(n.inner, 9);
}

static void
test_settings__mapping_import_is_all_or_nothing(void **state)
{
	struct fixture *f = *state;
	ps_mapping good[] = {
		{"order_status", "bc>bp", "Shipped", "4"},
		{"order_status", "bc>bp", "Awaiting Fulfillment", "2"},
		{"order_status", "bc>bp", NULL, "1"},
		{"warehouse", "bp>sh", "2", "WH-EAST"},
	};
	ps_mapping bad[] = {
		{"order_status", "bc>bp", "Cancelled", "5"},
		{"order_status", "bc>xx", "Refunded", "6"},
	};
	ps_mapping dup[] = {
		{"order_status", "bc>bp", "Cancelled", "5"},
		{"order_status", "bc>bp", "Cancelled", "6"},
	};
	ps_mapping replace[] = {
		{"order_status", "bc>bp", "Shipped", "9"},
	};
	struct mlist l;
	int64_t version = -1;

	assert_int_equal(ps_store_mapping_import(&version, f->st, NULL, 0, 0,
						 "import", 1),
			 0);
	assert_int_equal(version, 0);
	assert_int_equal(ps_store_mapping_import(&version, f->st, good, 4, 0,
						 "import", 1),
			 0);
	assert_int_equal(version, 1);
	assert_int_equal(history_rows(f->st, NULL), 4);

	assert_int_equal(ps_store_mapping_import(&version, f->st, bad, 2, 0,
						 "import", 2),
			 PS_EINVAL);
	assert_non_null(strstr(ps_error_last(), "row 2"));
	assert_int_equal(ps_store_mapping_import(&version, f->st, dup, 2, 0,
						 "import", 2),
			 PS_EINVAL);
	assert_non_null(strstr(ps_error_last(), "twice"));
	assert_string_equal(
		mapping_of(f->st, "order_status", "bc>bp", "Cancelled", 0),
		"(none)");
	assert_int_equal(history_rows(f->st, NULL), 4);

	memset(&l, 0, sizeof(l));
	assert_int_equal(ps_store_mapping_foreach(f->st, "order_status", NULL,
						  list_mapping, &l),
			 0);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.text, "order_status|bc>bp||1;"
				    "order_status|bc>bp|Awaiting Fulfillment|2;"
				    "order_status|bc>bp|Shipped|4;");

	/* replace drops the other order_status bc>bp rows, not warehouses */
	assert_int_equal(ps_store_mapping_import(&version, f->st, replace, 1,
						 PS_STORE_MAPPING_REPLACE,
						 "import", 3),
			 0);
	assert_int_equal(version, 2);
	memset(&l, 0, sizeof(l));
	assert_int_equal(
		ps_store_mapping_foreach(f->st, NULL, NULL, list_mapping, &l),
		0);
	assert_string_equal(l.text, "order_status|bc>bp|Shipped|9;"
				    "warehouse|bp>sh|2|WH-EAST;");
	/* and the whole import can be rolled back */
	assert_int_equal(
		ps_store_settings_rollback(&version, f->st, 1, "console", 4),
		0);
	assert_string_equal(mapping_of(f->st, "order_status", "bc>bp",
				       "Awaiting Fulfillment", 0),
			    "2");
	assert_string_equal(
		mapping_of(f->st, "order_status", "bc>bp", "Shipped", 0), "4");
	assert_string_equal(mapping_of(f->st, "order_status", "bc>bp", "Other",
				       PS_STORE_MAPPING_FALLBACK),
			    "1");
}

static void
test_settings__mapping_import_inside_failed_transaction_rolls_back(void **state)
{
	struct fixture *f = *state;
	ps_mapping rows[] = {{"product", "bc>bp", "SKU-1", "1001"}};

	assert_int_equal(ps_store_begin(f->st), 0);
	assert_int_equal(
		ps_store_mapping_import(NULL, f->st, rows, 1, 0, "import", 1),
		0);
	assert_string_equal(mapping_of(f->st, "product", "bc>bp", "SKU-1", 0),
			    "1001");
	assert_int_equal(ps_store_rollback(f->st), 0);
	assert_string_equal(mapping_of(f->st, "product", "bc>bp", "SKU-1", 0),
			    "(none)");
	assert_int_equal(history_rows(f->st, NULL), 0);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_settings__catalogue_is_well_formed),
		cmocka_unit_test(test_settings__every_brief_key_exists),
		cmocka_unit_test(test_settings__validate_by_type),
		cmocka_unit_test(test_settings__display_masks_secrets),
		cmocka_unit_test(test_settings__list_contains),
		T(test_settings__get_set_and_defaults),
		T(test_settings__noop_set_writes_nothing),
		T(test_settings__rejected_values_write_nothing),
		T(test_settings__history_records_each_change),
		T(test_settings__rollback_restores_and_is_recorded),
		T(test_settings__secrets_read_or_written_are_redacted),
		T(test_settings__missing_required),
		T(test_settings__mapping_rejects_malformed),
		T(test_settings__mapping_default_fallback),
		T(test_settings__mapping_import_is_all_or_nothing),
		T(test_settings__foreach_may_reenter_the_store),
		T(test_settings__mapping_import_inside_failed_transaction_rolls_back),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
