/*
 * settings.h - the catalogue of operator settings.
 *
 * Every key an operator can set (in the console, with the CLI or by import)
 * is listed once, in a static table, with its type, default and a one-line
 * description.  The store validates every write against it, the console
 * builds its forms from it and the CLI prints it.  Values are text; the
 * typed getters here read them from the store with the default applied.
 */
#ifndef PEARLSYNC_SETTINGS_H
#define PEARLSYNC_SETTINGS_H

#include <stddef.h>
#include <stdint.h>

#include "pearlsync/store.h"

typedef enum ps_setting_type {
	PS_SETTING_STRING = 0, /* free text, one line */
	PS_SETTING_SECRET,     /* free text, masked on display */
	PS_SETTING_BOOL,       /* "true" or "false" */
	PS_SETTING_INT,        /* decimal integer, min..max */
	PS_SETTING_ENUM,       /* one of choices */
	PS_SETTING_ID,         /* a platform id: positive integer */
	PS_SETTING_ID_LIST,    /* comma-separated ids ("1,2,11"), no blanks */
	PS_SETTING_URL,        /* http:// or https:// URL */
	PS_SETTING_DATE,       /* "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SSZ" */
	PS_SETTING_TEXT_LIST,  /* comma-separated names ("Completed,Shipped") */
	PS_SETTING_EMAIL,      /* one e-mail address ("ops@example.com") */
	PS_SETTING_EMAIL_LIST  /* comma-separated e-mail addresses */
} ps_setting_type;

typedef struct ps_setting_def {
	const char *key; /* "bigcommerce.defaults.warehouse_id" */
	ps_setting_type type;
	const char *default_value;  /* NULL: none */
	const char *const *choices; /* ENUM: NULL-terminated; else NULL */
	int64_t min, max;           /* INT only */
	int required;               /* flows refuse to run without it */
	const char *description;    /* one line, for the console and CLI */
} ps_setting_def;

/* ps_setting_type_name - "string", "secret", "bool", ... (static). */
const char *ps_setting_type_name(ps_setting_type t);

/* ps_settings_count / ps_settings_at - walk the catalogue in order. */
size_t ps_settings_count(void);
const ps_setting_def *ps_settings_at(size_t i);

/* ps_settings_find - the definition of key (static), or NULL if unknown. */
const ps_setting_def *ps_settings_find(const char *key);

/*
 * ps_settings_validate - 0 if value is acceptable for key; value NULL
 * (unset) is always acceptable for a known key.  PS_EINVAL with the detail
 * "unknown setting 'x'" or "setting 'k': <reason>".
 */
int ps_settings_validate(const char *key, const char *value);

/*
 * ps_settings_renamed - the key that replaced key (static), or NULL when
 * key was never renamed.  For the command line, which still accepts the
 * old keys of operators' scripts.
 */
const char *ps_settings_renamed(const char *key);

/* ps_settings_is_secret - nonzero if key's value must be masked. */
int ps_settings_is_secret(const char *key);

/*
 * ps_settings_display - the value as it may be shown into buf (cap bytes):
 * secrets become "********" (or "" when unset), others are copied (cut to
 * fit).  value may be NULL.  Returns buf.
 */
char *ps_settings_display(char *buf, size_t cap, const char *key,
			  const char *value);

/*
 * ps_settings_get - the stored value of key, or its default, into *out
 * (caller frees).  PS_EINVAL for an unknown key; PS_ESETTING when neither
 * exists (the detail names the key and says to set it).
 */
int ps_settings_get(char **out, ps_store *st, const char *key);

/* ps_settings_get_bool - 1/0 into *out; errors as ps_settings_get. */
int ps_settings_get_bool(int *out, ps_store *st, const char *key);

/* ps_settings_get_int - an INT or ID setting into *out. */
int ps_settings_get_int(int64_t *out, ps_store *st, const char *key);

/*
 * ps_settings_get_opt - ps_settings_get for an optional setting: *out is
 * NULL (and 0 returned) when it is unset and has no default.  Other
 * failures are returned.
 */
int ps_settings_get_opt(char **out, ps_store *st, const char *key);

/*
 * ps_settings_value - the value (owned), or NULL when it is unset, empty
 * or cannot be read (the error is cleared): for callers that treat all
 * three alike, such as a secret that switches a check on.
 */
char *ps_settings_value(ps_store *st, const char *key);

/*
 * ps_settings_paused_flows - the flows the operator paused (the setting
 * sync.paused_flows, comma-separated names) into *out (owned; NULL when
 * none are paused).  Returns 0 or a store error.
 */
int ps_settings_paused_flows(char **out, ps_store *st);

/*
 * ps_settings_list_contains - for an ID_LIST or TEXT_LIST value (NULL =
 * empty list): nonzero if item is one of its elements.
 */
int ps_settings_list_contains(const char *list, const char *item);

/*
 * ps_settings_missing_required - write into buf (cap bytes) the
 * comma-separated required keys that have no value and no default ("" when
 * all are set) and return how many.  Negative PS_E* on a store error.
 */
int ps_settings_missing_required(char *buf, size_t cap, ps_store *st);

#endif
