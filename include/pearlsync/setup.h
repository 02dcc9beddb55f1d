/*
 * setup.h - what the console's setup walk-through and mapping editor are
 * made of, as data: the fields of a step, the steps and mapping tables of
 * a flow group, and the registry of flow groups.
 *
 * The walk-through is: one Connections step built from the platform
 * registry (platform.h: every plug-in's connection fields and a test
 * action), then the steps of every flow group in registry order.  A flow
 * group is the set of flows that serve one pair of platforms (the
 * BigCommerce orders flows and their Brightpearl counterparts, under
 * core/flows/bigcommerce/); its steps and mapping tables live with it, so
 * the console renders whatever the registries give and names no platform.
 *
 * Everything here is static const data; the console keeps the values in
 * the store (settings, mappings, the cache of fetched lists).
 */
#ifndef PEARLSYNC_SETUP_H
#define PEARLSYNC_SETUP_H

#include <stddef.h>

#include "pearlsync/common.h"
#include "pearlsync/settings.h"
#include "pearlsync/store.h"

/*
 * Cache kinds of the lists the built-in plug-ins fetch (platform.h,
 * ps_platform_list).  Each holds a JSON array of {"id": "text", "name":
 * "text"} objects; "id" is what settings and mappings store (Brightpearl
 * payment methods: the code).
 */
#define PS_SETUP_LIST_BC_STATUSES "bc.order_statuses"
#define PS_SETUP_LIST_BP_STATUSES "bp.order_statuses"
#define PS_SETUP_LIST_BP_WAREHOUSES "bp.warehouses"
#define PS_SETUP_LIST_BP_CHANNELS "bp.channels"
#define PS_SETUP_LIST_BP_LEAD_SOURCES "bp.lead_sources"
#define PS_SETUP_LIST_BP_PROJECTS "bp.projects"
#define PS_SETUP_LIST_BP_SHIPPING "bp.shipping_methods"
#define PS_SETUP_LIST_BP_PAYMENT "bp.payment_methods"
#define PS_SETUP_LIST_BP_TAX_CODES "bp.tax_codes"
#define PS_SETUP_LIST_BP_FIELDS "bp.order_custom_fields"
/*
 * Not a cached list: a mapping side of this kind holds a Brightpearl
 * product id, found by a live product search (ps_bp_product_search) and
 * checked with ps_bp_product_resolve; too many to fetch and cache.
 */
#define PS_SETUP_LIST_BP_PRODUCTS "bp.products"
#define PS_SETUP_LIST_DSCO_WAREHOUSES "dsco.warehouses"
#define PS_SETUP_LIST_DSCO_SERVICE_LEVELS "dsco.service_levels"
#define PS_SETUP_LIST_DSCO_CANCEL_CODES "dsco.cancel_codes"

/*
 * The cache kind holding the last connection test of a platform:
 * PS_SETUP_TEST_PREFIX + the plug-in's name ("setup.test.brightpearl"),
 * {"ok": bool, "message": "..."}.
 */
#define PS_SETUP_TEST_PREFIX "setup.test."

typedef enum ps_setup_field_type {
	PS_SETUP_FIELD_TEXT = 0,   /* free text (or id) setting */
	PS_SETUP_FIELD_SECRET,     /* free text, never shown */
	PS_SETUP_FIELD_BOOL,       /* "true"/"false" setting */
	PS_SETUP_FIELD_ENUM,       /* one of the catalogue's choices */
	PS_SETUP_FIELD_PICK,       /* one id from a cached list */
	PS_SETUP_FIELD_PICK_MANY,  /* comma-separated ids from a cached list */
	PS_SETUP_FIELD_URL,        /* a base URL; word_url: a word for one */
	PS_SETUP_FIELD_MAPPING,    /* a mapping table (mapping editor) */
	PS_SETUP_FIELD_TEST,       /* action: test platform's connection */
	PS_SETUP_FIELD_RUN,        /* action: ask the worker to run flow key */
	PS_SETUP_FIELD_START_DATE, /* a date setting; unset, today is offered */
} ps_setup_field_type;

typedef struct ps_setup_field {
	ps_setup_field_type type;
	const char *label; /* "Default warehouse" */
	const char *key;   /* setting key; MAPPING: mapping kind; else NULL */
	const char *list;  /* PICK*: cache kind; MAPPING: direction */
	int by_name;       /* PICK*: the setting stores the item's name */
	int required;      /* an empty value is refused */
	/*
	 * URL only, or NULL: a bare word w stands for this pattern with w
	 * for its %s (ps_platform_field.word_url).
	 */
	const char *word_url;
	ps_platform platform; /* TEST: whose connection */
} ps_setup_field;

/*
 * One mapping table the mapping editor offers: (kind, direction) as
 * stored (store.h), with the headings and the cached lists its sources
 * and targets are checked against (NULL: free text).
 */
typedef struct ps_setup_mapping_kind {
	const char *kind;         /* "order_status" */
	const char *direction;    /* "bc>bp" */
	const char *title;        /* "Order statuses, BigCommerce to ..." */
	const char *source_label; /* column heading: "BigCommerce status" */
	const char *target_label;
	const char *source_list; /* cache kind of valid sources, or NULL */
	const char *target_list; /* cache kind of valid targets, or NULL */
} ps_setup_mapping_kind;

/* One step of the walk-through. */
typedef struct ps_setup_step_def {
	const char *title; /* "Order sync" */
	const char *help;  /* one line saying what the step is for */
	const ps_setup_field *fields;
	size_t nfields;
	/*
	 * check - what the generic checks (required fields set, picks in
	 * their lists, mappings without stale rows) cannot see: set
	 * *out_done 0 and the reason into why (cap bytes) when the step
	 * needs attention; leave them alone otherwise.  Returns 0 or a
	 * PS_E* store error.  NULL: nothing more to check.
	 */
	int (*check)(int *out_done, char *why, size_t cap, ps_store *st);
} ps_setup_step_def;

/* The flows that serve one pair of platforms, as the console shows them. */
typedef struct ps_flow_group {
	const char *name;               /* "bigcommerce" */
	const char *title;              /* "BigCommerce orders" */
	const ps_setup_step_def *steps; /* after Connections, in order */
	size_t nsteps;
	const ps_setup_mapping_kind *mappings; /* the editor's menu order */
	size_t nmappings;
	/*
	 * The group's own settings, under "<name>.": they join the
	 * catalogue (settings.h) after the platforms', in group order.
	 */
	const ps_setting_def *settings;
	size_t nsettings;
	/*
	 * run_status - optional: what the run of one of the group's flows
	 * (a RUN field's key) has done so far, into buf (cap bytes, e.g. a
	 * progress bar).  Returns 1 when it knows the flow, 0 when not, or
	 * a PS_E* store error.
	 */
	int (*run_status)(char *buf, size_t cap, ps_store *st,
			  const char *flow);
	/*
	 * What `pearlsync reconcile` compares between the pair's platforms
	 * (reconcile.h), or NULL: nothing.
	 */
	const struct ps_reconciler *reconciler;
} ps_flow_group;

/*
 * ps_flow_groups_all - every flow group, NULL-terminated, in the order
 * the console walks them.  Static.
 */
const ps_flow_group *const *ps_flow_groups_all(void);

/*
 * ps_setup_run_status - what the run of flow has done so far, from the
 * group that knows it (run_status), into buf; "" when none does.  0 or a
 * PS_E* store error.
 */
int ps_setup_run_status(char *buf, size_t cap, ps_store *st, const char *flow);

/*
 * ps_setup_mapping_rows - how many rows the mapping table (kind,
 * direction) has, the default included.  0 or a PS_E* store error.
 */
int ps_setup_mapping_rows(size_t *out, ps_store *st, const char *kind,
			  const char *direction);

#endif
