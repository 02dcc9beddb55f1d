/*
 * model_setup.h - the setup steps of the operator console, without curses.
 *
 * The nine steps follow the order the peer integration guides walk a
 * merchant through: connections, order sync, defaults, status mapping,
 * items and customers, fulfilment, notes, payments, inventory.  Each step
 * is a static list of fields (a setting, a pick from values fetched from
 * the platforms, a mapping table, an action) and a status computed from
 * the store: done, or needs attention with the reason.
 *
 * Values offered in drop-downs are the platforms' real values (statuses,
 * warehouses, channels, ...), fetched through the connectors and kept in
 * the store's cache table under the names listed below, so the console
 * works offline once fetched and a refresh action fetches them again.
 * Every change goes through the store's setters with the actor "console",
 * so the settings history records it and it can be rolled back.  A value
 * that is not in the cached list (a warehouse since deleted) is refused
 * with a message; without a cached list any well-formed value is taken.
 *
 * Secrets are never returned in clear by this module: display values of
 * secret settings are masked.
 */
#ifndef PEARLSYNC_TUI_MODEL_SETUP_H
#define PEARLSYNC_TUI_MODEL_SETUP_H

#include <stddef.h>
#include <stdint.h>

#include "pearlsync/bigcommerce.h"
#include "pearlsync/brightpearl.h"
#include "pearlsync/config.h"
#include "pearlsync/http.h"
#include "pearlsync/store.h"

/* The actor recorded in the settings history for console changes. */
#define PS_SETUP_ACTOR "console"

/*
 * Cache kinds (ps_store_cache_set/get).  Each holds a JSON array of
 * {"id": "text", "name": "text"} objects; "id" is what settings and
 * mappings store (Brightpearl payment methods: the code).
 */
#define PS_SETUP_LIST_BC_STATUSES "bc.order_statuses"
#define PS_SETUP_LIST_BP_STATUSES "bp.order_statuses"
#define PS_SETUP_LIST_BP_WAREHOUSES "bp.warehouses"
#define PS_SETUP_LIST_BP_CHANNELS "bp.channels"
#define PS_SETUP_LIST_BP_LEAD_SOURCES "bp.lead_sources"
#define PS_SETUP_LIST_BP_PROJECTS "bp.projects"
#define PS_SETUP_LIST_BP_SHIPPING "bp.shipping_methods"
#define PS_SETUP_LIST_BP_PAYMENT "bp.payment_methods"
#define PS_SETUP_LIST_BP_FIELDS "bp.order_custom_fields"
/* Results of the last connection tests: {"ok":bool,"message":"..."}. */
#define PS_SETUP_TEST_BP "setup.test.brightpearl"
#define PS_SETUP_TEST_BC "setup.test.bigcommerce"

typedef enum ps_setup_step {
	PS_SETUP_CONNECTIONS = 0,
	PS_SETUP_ORDER_SYNC,
	PS_SETUP_DEFAULTS,
	PS_SETUP_STATUS_MAPPING,
	PS_SETUP_ITEMS,
	PS_SETUP_FULFILMENT,
	PS_SETUP_NOTES,
	PS_SETUP_PAYMENTS,
	PS_SETUP_INVENTORY,
	PS_SETUP_STEP_COUNT
} ps_setup_step;

typedef enum ps_setup_field_type {
	PS_SETUP_FIELD_TEXT = 0,   /* free text (or id/url) setting */
	PS_SETUP_FIELD_SECRET,     /* free text, never shown */
	PS_SETUP_FIELD_BOOL,       /* "true"/"false" setting */
	PS_SETUP_FIELD_ENUM,       /* one of the catalogue's choices */
	PS_SETUP_FIELD_PICK,       /* one id from a cached list */
	PS_SETUP_FIELD_PICK_MANY,  /* comma-separated ids from a cached list */
	PS_SETUP_FIELD_DATACENTRE, /* sets brightpearl.base_url */
	PS_SETUP_FIELD_MAPPING,    /* a mapping table (mapping editor) */
	PS_SETUP_FIELD_TEST_BP,    /* action: test the Brightpearl connection */
	PS_SETUP_FIELD_TEST_BC     /* action: test the BigCommerce connection */
} ps_setup_field_type;

typedef struct ps_setup_field {
	ps_setup_field_type type;
	const char *label; /* "Default warehouse" (static) */
	const char *key;   /* setting key; MAPPING: mapping kind; else NULL */
	const char *list;  /* PICK*: cache kind; MAPPING: direction */
	int by_name;       /* PICK*: the setting stores the item's name */
	int required;      /* an empty value is refused */
} ps_setup_field;

/* ps_setup_step_title - "Connections", ... (static); NULL past the end. */
const char *ps_setup_step_title(ps_setup_step step);

/* ps_setup_step_help - one line saying what the step is for (static). */
const char *ps_setup_step_help(ps_setup_step step);

/* ps_setup_field_count / ps_setup_field_at - a step's fields in order
 * (static; NULL past the end). */
size_t ps_setup_field_count(ps_setup_step step);
const ps_setup_field *ps_setup_field_at(ps_setup_step step, size_t i);

/*
 * ps_setup_step_check - whether step is complete: *out_done 1 (done) or 0
 * (needs attention), and the reason into why (cap bytes; "" when done).
 * Reads settings, mappings, cached lists and the last connection tests.
 * Returns 0 or a negative PS_E* on a store error.
 */
int ps_setup_step_check(int *out_done, char *why, size_t cap, ps_store *st,
			ps_setup_step step);

/* ------------------------------------------------------------------------ */
/* Cached lists                                                              */

typedef struct ps_setup_choice {
	char *id;   /* the stored value (owned) */
	char *name; /* what the operator reads (owned) */
} ps_setup_choice;

typedef struct ps_setup_choices {
	ps_setup_choice *items; /* owned */
	size_t n;
	int64_t fetched_at; /* ms, 0 when never fetched */
} ps_setup_choices;

/*
 * ps_setup_choices_load - the cached list kind into *out (initialised by
 * the call; caller disposes).  A list never fetched is empty with
 * fetched_at 0 (not an error).  PS_ESTORE/PS_ENOMEM; PS_EINVAL when the
 * cached text is not a list of {id, name}.
 */
int ps_setup_choices_load(ps_setup_choices *out, ps_store *st,
			  const char *kind);

/* ps_setup_choices_dispose - free c's items and zero it; NULL ok. */
void ps_setup_choices_dispose(ps_setup_choices *c);

/* ps_setup_choices_find - the item whose id (or name when by_name) is
 * value (borrowed), or NULL. */
const ps_setup_choice *ps_setup_choices_find(const ps_setup_choices *c,
					     const char *value, int by_name);

/* ------------------------------------------------------------------------ */
/* Reading and writing fields                                                */

/*
 * ps_setup_field_display - the field's current value as shown into buf
 * (cap bytes): secrets "********" (or "(not set)"), picks "7 Main
 * warehouse" with the cached name, mappings "3 rows, default X", the
 * last test result for actions.  Returns 0 or a negative PS_E*.
 */
int ps_setup_field_display(char *buf, size_t cap, ps_store *st,
			   const ps_setup_field *f);

/*
 * ps_setup_field_get - the raw stored value of a setting field into *out
 * (caller frees; the catalogue default applies; NULL when unset).  For a
 * secret it is the secret: only for filling a connector, never to show.
 * DATACENTRE yields the datacentre code when the base URL is one, else the
 * URL.  PS_EINVAL for a field without a setting.
 */
int ps_setup_field_get(char **out, ps_store *st, const ps_setup_field *f);

/*
 * ps_setup_field_set - set the field to value (NULL or "" unsets it) with
 * actor "console".  Refused with PS_EINVAL and an operator message when:
 * the field is required and value is empty ("a default warehouse is
 * required"); a PICK value is not in the cached list ("warehouse 9 is not
 * in the Brightpearl list (refresh with r)"); the catalogue rejects it.
 * DATACENTRE takes "euw1", "use1", "usw1" or a full URL.  Nothing is
 * written on refusal.
 */
int ps_setup_field_set(ps_store *st, const ps_setup_field *f, const char *value,
		       int64_t now);

/* The Brightpearl datacentres offered (NULL-terminated, static). */
extern const char *const ps_setup_datacentres[];

/* ------------------------------------------------------------------------ */
/* Talking to the platforms                                                  */

/*
 * ps_setup_connect_bp / ps_setup_connect_bc - a connector built from the
 * stored settings by ps_connect_bp / ps_connect_bc (connect.h), so the
 * console, the CLI and the worker agree (base URL: the setting, else
 * cfg's), over http (borrowed).  *out NULL on failure: PS_ESETTING naming the missing
 * setting, PS_ENOMEM.
 */
int ps_setup_connect_bp(ps_bp **out, ps_store *st, const ps_config *cfg,
			ps_http *http);
int ps_setup_connect_bc(ps_bc **out, ps_store *st, const ps_config *cfg,
			ps_http *http);

/*
 * ps_setup_test_connection - one cheap authenticated call to platform
 * (Brightpearl or BigCommerce) with the stored settings; the one-line
 * outcome ("OK: Brightpearl account Sandbox", "authentication failed:
 * ...", "not configured: ...") goes into msg (cap bytes, secrets
 * redacted) and is remembered in the cache for the step status.  Returns
 * 0 when connected, else the PS_E* of the failure.
 */
int ps_setup_test_connection(char *msg, size_t cap, ps_store *st,
			     const ps_config *cfg, ps_http *http,
			     ps_platform platform, int64_t now);

/*
 * ps_setup_refresh_bp / ps_setup_refresh_bc - fetch every reference list
 * of that platform and replace the cached copies.  A list that fails
 * keeps its old copy; the first failure is returned and msg (cap bytes)
 * says what was fetched ("9 lists fetched from Brightpearl").
 */
int ps_setup_refresh_bp(char *msg, size_t cap, ps_store *st, ps_bp *bp,
			int64_t now);
int ps_setup_refresh_bc(char *msg, size_t cap, ps_store *st, ps_bc *bc,
			int64_t now);

/*
 * ps_setup_refresh - both platforms with the stored settings (each that
 * can be connected); msg as above for both.  Returns the first failure.
 */
int ps_setup_refresh(char *msg, size_t cap, ps_store *st, const ps_config *cfg,
		     ps_http *http, int64_t now);

#endif
