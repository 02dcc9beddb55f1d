/*
 * settings.c - the catalogue of operator settings and its validation.
 *
 * The catalogue is the single list of keys an operator can set, written
 * as rows of settings.def files (setting_keys.h): the general ones here,
 * the rest in the platform plug-ins and flow groups that own them.  The
 * store refuses any other key and any value its type rejects, so what the
 * flows read is always well formed; whether it is *right* (does warehouse 7
 * exist?) is checked by the setup steps against the platform.
 */
#include "pearlsync/settings.h"
#include "internal.h"
#include "setting_keys.h"
#include "pearlsync/platform.h"
#include "pearlsync/setup.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The general settings; the platforms' and flow groups' come first. */
static const ps_setting_def catalogue[] = {
/* clang-format off */
#include "setting_rows.h"
#include "settings.def"
#include "report/settings.def"
	/* clang-format on */
};

static const char *const type_names[] = {"string", "secret", "bool",  "int",
					 "enum",   "id",     "ids",   "url",
					 "date",   "names",  "email", "emails"};

const char *
ps_setting_type_name(ps_setting_type t)
{
	return (unsigned)t < PS__ARRAY_LEN(type_names) ? type_names[t] : "?";
}

/*
 * The catalogue is each registered platform's own settings (platform.h),
 * in registry order, then each flow group's (setup.h), then the table
 * above.
 */
size_t
ps_settings_count(void)
{
	const ps_platform_ops *const *p;
	const ps_flow_group *const *g;
	size_t n = PS__ARRAY_LEN(catalogue);

	for (p = ps_platforms_all(); *p != NULL; p++)
		n += (*p)->nsettings;
	for (g = ps_flow_groups_all(); *g != NULL; g++)
		n += (*g)->nsettings;
	return n;
}

const ps_setting_def *
ps_settings_at(size_t i)
{
	const ps_platform_ops *const *p;
	const ps_flow_group *const *g;

	for (p = ps_platforms_all(); *p != NULL; p++) {
		if (i < (*p)->nsettings)
			return &(*p)->settings[i];
		i -= (*p)->nsettings;
	}
	for (g = ps_flow_groups_all(); *g != NULL; g++) {
		if (i < (*g)->nsettings)
			return &(*g)->settings[i];
		i -= (*g)->nsettings;
	}
	return i < PS__ARRAY_LEN(catalogue) ? &catalogue[i] : NULL;
}

const ps_setting_def *
ps_settings_find(const char *key)
{
	const ps_setting_def *d;
	size_t i;

	for (i = 0; key != NULL && (d = ps_settings_at(i)) != NULL; i++)
		if (strcmp(d->key, key) == 0)
			return d;
	return NULL;
}

/*
 * Keys that were renamed, old to new.  Schema version 8 moved the
 * BigCommerce pair's settings under "bigcommerce." (store.c, migration 8,
 * carries stored values and history over); the command line still takes
 * the old keys.  Never remove a row: operators' scripts use them.
 */
static const struct {
	const char *old_key;
	const char *new_key;
} renamed[] = {
	{"orders.enabled", PS_SET_BC_ORDERS_ENABLED},
	{"orders.import_statuses", PS_SET_BC_ORDERS_IMPORT_STATUSES},
	{"orders.sync_statuses", PS_SET_BC_ORDERS_SYNC_STATUSES},
	{"orders.import_guests", PS_SET_BC_ORDERS_IMPORT_GUESTS},
	{"orders.start_date", PS_SET_BC_ORDERS_START_DATE},
	{"orders.reference_prefix", PS_SET_BC_ORDERS_REFERENCE_PREFIX},
	{"defaults.channel_id", PS_SET_BC_DEFAULTS_CHANNEL_ID},
	{"defaults.warehouse_id", PS_SET_BC_DEFAULTS_WAREHOUSE_ID},
	{"defaults.project_id", PS_SET_BC_DEFAULTS_PROJECT_ID},
	{"defaults.lead_source_id", PS_SET_BC_DEFAULTS_LEAD_SOURCE_ID},
	{"defaults.price_list_id", PS_SET_BC_DEFAULTS_PRICE_LIST_ID},
	{"defaults.order_status_id", PS_SET_BC_DEFAULTS_ORDER_STATUS_ID},
	{"defaults.nominal_code", PS_SET_BC_DEFAULTS_NOMINAL_CODE},
	{"defaults.shipping_nominal_code",
	 PS_SET_BC_DEFAULTS_SHIPPING_NOMINAL_CODE},
	{"defaults.tax_code", PS_SET_BC_DEFAULTS_TAX_CODE},
	{"items.product_match_field", PS_SET_BC_ITEMS_PRODUCT_MATCH_FIELD},
	{"customers.auto_create", PS_SET_BC_CUSTOMERS_AUTO_CREATE},
	{"customers.update_existing", PS_SET_BC_CUSTOMERS_UPDATE_EXISTING},
	{"fulfilment.enabled", PS_SET_BC_FULFILMENT_ENABLED},
	{"fulfilment.trigger", PS_SET_BC_FULFILMENT_TRIGGER},
	{"fulfilment.trigger_status", PS_SET_BC_FULFILMENT_TRIGGER_STATUS},
	{"notes.enabled", PS_SET_BC_NOTES_ENABLED},
	{"notes.customer_message_field",
	 PS_SET_BC_NOTES_CUSTOMER_MESSAGE_FIELD},
	{"notes.staff_notes_field", PS_SET_BC_NOTES_STAFF_NOTES_FIELD},
	{"notes.bp_note_to_bc_field", PS_SET_BC_NOTES_BP_NOTE_TO_BC_FIELD},
	{"payments.enabled", PS_SET_BC_PAYMENTS_ENABLED},
	{"payments.captured_only", PS_SET_BC_PAYMENTS_CAPTURED_ONLY},
	{"inventory.enabled", PS_SET_BC_INVENTORY_ENABLED},
	{"inventory.warehouses", PS_SET_BC_INVENTORY_WAREHOUSES},
	{"inventory.interval_minutes", PS_SET_BC_INVENTORY_INTERVAL_MINUTES},
};

const char *
ps_settings_renamed(const char *key)
{
	size_t i;

	for (i = 0; key != NULL && i < PS__ARRAY_LEN(renamed); i++)
		if (strcmp(renamed[i].old_key, key) == 0)
			return renamed[i].new_key;
	return NULL;
}

int
ps_settings_is_secret(const char *key)
{
	const ps_setting_def *d = ps_settings_find(key);

	return d != NULL && d->type == PS_SETTING_SECRET;
}

/* A positive decimal integer without sign, spaces or leading zeros. */
static int
is_id(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 18 || s[0] == '0')
		return 0;
	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

static int
parse_int(int64_t *out, const char *s)
{
	char *end;
	long long v;

	if (s[0] == '\0' || isspace((unsigned char)s[0]))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = (int64_t)v;
	return 0;
}

static int
digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SSZ", fields in range. */
static int
is_date(const char *s)
{
	size_t n = strlen(s);
	int mo, d, h, mi, se;

	if (n != 10 && n != 20)
		return 0;
	if (!digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' ||
	    !digits(s + 8, 2))
		return 0;
	mo = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (mo < 1 || mo > 12 || d < 1 || d > 31)
		return 0;
	if (n == 10)
		return 1;
	if (s[10] != 'T' || !digits(s + 11, 2) || s[13] != ':' ||
	    !digits(s + 14, 2) || s[16] != ':' || !digits(s + 17, 2) ||
	    s[19] != 'Z')
		return 0;
	h = (s[11] - '0') * 10 + (s[12] - '0');
	mi = (s[14] - '0') * 10 + (s[15] - '0');
	se = (s[17] - '0') * 10 + (s[18] - '0');
	return h < 24 && mi < 60 && se < 61;
}

static int
has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* Comma-separated non-empty elements; ids when want_ids. */
static int
check_list(const char *key, const char *v, int want_ids)
{
	const char *p = v, *comma;
	size_t n;

	if (v[0] == '\0')
		return 0; /* the empty list */
	for (;;) {
		comma = strchr(p, ',');
		n = comma ? (size_t)(comma - p) : strlen(p);
		if (n == 0)
			return ps_error_set(PS_EINVAL,
					    "setting '%s': empty element in "
					    "list '%s'",
					    key, v);
		if (want_ids && !is_id(p, n))
			return ps_error_set(PS_EINVAL,
					    "setting '%s': '%.*s' is not an id "
					    "(ids are positive whole numbers, "
					    "separated by commas)",
					    key, (int)n, p);
		if (!want_ids && (isspace((unsigned char)p[0]) ||
				  isspace((unsigned char)p[n - 1])))
			return ps_error_set(PS_EINVAL,
					    "setting '%s': element '%.*s' has "
					    "surrounding spaces",
					    key, (int)n, p);
		if (comma == NULL)
			return 0;
		p = comma + 1;
	}
}

/*
 * An e-mail address as pearlsync sends to it: local@domain, the local part
 * printable ASCII without spaces or the characters that would need
 * quoting, the domain dot-separated labels of letters, digits and hyphens.
 * Display names ("Ops <ops@x>") are not accepted: SMTP wants the address.
 */
static int
is_email(const char *s, size_t n)
{
	const char *at = memchr(s, '@', n);
	size_t i, local, label = 0;

	if (at == NULL || at == s ||
	    memchr(at + 1, '@', n - (size_t)(at - s) - 1))
		return 0;
	local = (size_t)(at - s);
	for (i = 0; i < local; i++)
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f ||
		    strchr("<>()[]\\,;:\"", s[i]) != NULL)
			return 0;
	if (s[0] == '.' || s[local - 1] == '.')
		return 0;
	for (i = local + 1; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (label == 0 || s[i - 1] == '-')
				return 0;
			label = 0;
		} else if (isalnum(c) || (c == '-' && label > 0)) {
			label++;
		} else {
			return 0;
		}
	}
	return label > 0 && s[n - 1] != '-';
}

/* Comma-separated addresses (no blanks), at least one. */
static int
check_emails(const char *key, const char *v, int many)
{
	const char *p = v, *comma;
	size_t n;

	for (;;) {
		comma = many ? strchr(p, ',') : NULL;
		n = comma ? (size_t)(comma - p) : strlen(p);
		if (!is_email(p, n))
			return ps_error_set(
				PS_EINVAL,
				"setting '%s': '%.*s' is not an "
				"e-mail address (name@example.com%s)",
				key, (int)n, p,
				many ? ", separated by commas" : "");
		if (comma == NULL)
			return 0;
		p = comma + 1;
	}
}

int
ps_settings_validate(const char *key, const char *value)
{
	const ps_setting_def *d;
	int64_t n;
	size_t i;

	if (key == NULL || key[0] == '\0')
		return ps_error_set(PS_EINVAL, "setting name is empty");
	d = ps_settings_find(key);
	if (d == NULL)
		return ps_error_set(PS_EINVAL, "unknown setting '%s'", key);
	if (value == NULL)
		return 0;
	if (has_control(value))
		return ps_error_set(PS_EINVAL,
				    "setting '%s': value contains control "
				    "characters",
				    key);
	if (strlen(value) > 4096)
		return ps_error_set(
			PS_EINVAL, "setting '%s': value longer than 4096 bytes",
			key);
	switch (d->type) {
	case PS_SETTING_STRING:
	case PS_SETTING_SECRET:
		if (value[0] == '\0')
			return ps_error_set(PS_EINVAL,
					    "setting '%s': empty value (unset "
					    "it instead)",
					    key);
		return 0;
	case PS_SETTING_BOOL:
		if (strcmp(value, "true") == 0 || strcmp(value, "false") == 0)
			return 0;
		return ps_error_set(PS_EINVAL,
				    "setting '%s': '%s' is not true or false",
				    key, value);
	case PS_SETTING_INT:
		if (parse_int(&n, value) != 0)
			return ps_error_set(PS_EINVAL,
					    "setting '%s': '%s' is not a whole "
					    "number",
					    key, value);
		if (n < d->min || n > d->max)
			return ps_error_set(PS_EINVAL,
					    "setting '%s': %s is outside "
					    "%lld..%lld",
					    key, value, (long long)d->min,
					    (long long)d->max);
		return 0;
	case PS_SETTING_ENUM:
		for (i = 0; d->choices[i] != NULL; i++)
			if (strcmp(d->choices[i], value) == 0)
				return 0;
		{
			char allowed[256] = "";
			size_t len = 0;
			for (i = 0; d->choices[i] != NULL; i++) {
				int w = snprintf(allowed + len,
						 sizeof(allowed) - len, "%s%s",
						 i ? ", " : "", d->choices[i]);
				if (w < 0 || (size_t)w >= sizeof(allowed) - len)
					break;
				len += (size_t)w;
			}
			return ps_error_set(PS_EINVAL,
					    "setting '%s': '%s' is not one of "
					    "%s",
					    key, value, allowed);
		}
	case PS_SETTING_ID:
		if (is_id(value, strlen(value)))
			return 0;
		return ps_error_set(PS_EINVAL,
				    "setting '%s': '%s' is not an id (a "
				    "positive whole number)",
				    key, value);
	case PS_SETTING_ID_LIST:
		return check_list(key, value, 1);
	case PS_SETTING_TEXT_LIST:
		return check_list(key, value, 0);
	case PS_SETTING_URL:
		if ((strncmp(value, "http://", 7) == 0 && value[7] != '\0') ||
		    (strncmp(value, "https://", 8) == 0 && value[8] != '\0')) {
			if (strchr(value, ' ') == NULL)
				return 0;
		}
		return ps_error_set(PS_EINVAL,
				    "setting '%s': '%s' is not an http:// or "
				    "https:// URL",
				    key, value);
	case PS_SETTING_DATE:
		if (is_date(value))
			return 0;
		return ps_error_set(PS_EINVAL,
				    "setting '%s': '%s' is not a date "
				    "(YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)",
				    key, value);
	case PS_SETTING_EMAIL:
		return check_emails(key, value, 0);
	case PS_SETTING_EMAIL_LIST:
		return check_emails(key, value, 1);
	}
	return ps_error_set(PS_EINVAL, "setting '%s': unknown type", key);
}

char *
ps_settings_display(char *buf, size_t cap, const char *key, const char *value)
{
	if (cap == 0)
		return buf;
	if (value == NULL)
		buf[0] = '\0';
	else if (ps_settings_is_secret(key))
		ps_util__strlcpy(buf, "********", cap);
	else
		ps_util__strlcpy(buf, value, cap);
	return buf;
}

int
ps_settings_get(char **out, ps_store *st, const char *key)
{
	const ps_setting_def *d;
	int error;

	if (out == NULL)
		return ps_error_set(PS_EINVAL, "ps_settings_get: out is NULL");
	*out = NULL;
	d = ps_settings_find(key);
	if (d == NULL)
		return ps_error_set(PS_EINVAL, "unknown setting '%s'",
				    key ? key : "");
	error = ps_store_setting_get(out, st, key);
	if (error != PS_ENOTFOUND)
		return error;
	if (d->default_value == NULL)
		return ps_error_set(PS_ESETTING,
				    "setting '%s' is not set (%s); set it in "
				    "the console or with 'pearlsync settings "
				    "set %s VALUE'",
				    key, d->description, key);
	*out = ps_util__strdup(d->default_value);
	if (*out == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	return 0;
}

int
ps_settings_get_bool(int *out, ps_store *st, const char *key)
{
	char *v = NULL;
	int error;

	if ((error = ps_settings_get(&v, st, key)) < 0)
		return error;
	*out = strcmp(v, "true") == 0;
	free(v);
	return 0;
}

int
ps_settings_get_int(int64_t *out, ps_store *st, const char *key)
{
	char *v = NULL;
	int error;

	if ((error = ps_settings_get(&v, st, key)) < 0)
		return error;
	if (parse_int(out, v) != 0)
		error = ps_error_set(PS_ESETTING,
				     "setting '%s': '%s' is not a number", key,
				     v);
	free(v);
	return error;
}

int
ps_settings_list_contains(const char *list, const char *item)
{
	const char *p = list, *comma;
	size_t n, len;

	if (list == NULL || item == NULL)
		return 0;
	len = strlen(item);
	while (*p != '\0') {
		comma = strchr(p, ',');
		n = comma ? (size_t)(comma - p) : strlen(p);
		if (n == len && strncmp(p, item, n) == 0)
			return 1;
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	return 0;
}

int
ps_settings_missing_required(char *buf, size_t cap, ps_store *st)
{
	const ps_setting_def *d;
	size_t i, len = 0;
	int missing = 0, error;
	char *v;

	if (cap > 0)
		buf[0] = '\0';
	for (i = 0; (d = ps_settings_at(i)) != NULL; i++) {
		if (!d->required || d->default_value)
			continue;
		v = NULL;
		error = ps_store_setting_get(&v, st, d->key);
		free(v);
		if (error == 0)
			continue;
		if (error != PS_ENOTFOUND)
			return error;
		missing++;
		if (cap > len) {
			int w = snprintf(buf + len, cap - len, "%s%s",
					 len ? "," : "", d->key);
			if (w > 0)
				len += (size_t)w < cap - len ? (size_t)w
							     : cap - len - 1;
		}
	}
	return missing;
}

int
ps_settings_paused_flows(char **out, ps_store *st)
{
	int error = ps_store_setting_get(out, st, PS_SET_SYNC_PAUSED_FLOWS);

	if (error == PS_ENOTFOUND) {
		ps_error_clear();
		*out = NULL;
		return 0;
	}
	return error;
}

int
ps_settings_get_opt(char **out, ps_store *st, const char *key)
{
	int error = ps_settings_get(out, st, key);

	if (error == PS_ESETTING) {
		ps_error_clear();
		*out = NULL;
		return 0;
	}
	return error;
}

char *
ps_settings_value(ps_store *st, const char *key)
{
	char *v = NULL;

	if (ps_settings_get(&v, st, key) < 0) {
		ps_error_clear();
		return NULL;
	}
	if (v != NULL && v[0] == '\0') {
		free(v);
		v = NULL;
	}
	return v;
}
