/*
 * dsco_int.h - what the DSCO -> Brightpearl order flows share: their
 * connectors out of the flow environment, the settings they read, and the
 * helpers in order_import.c that find the Brightpearl order of a DSCO
 * purchase order and resolve a Brightpearl status setting.
 *
 * Names are ps_dsf__<name>; nothing here is used outside core/flows/.
 *
 * The order cross-reference: entity "order", PS_PLATFORM_DSCO (the
 * dscoOrderId as a string) <-> PS_PLATFORM_BRIGHTPEARL (the sales order
 * id), set by order_import_dsco as soon as the order exists.
 */
#ifndef PEARLSYNC_FLOWS_DSCO_INT_H
#define PEARLSYNC_FLOWS_DSCO_INT_H

#include <stddef.h>
#include <stdint.h>

#include "pearlsync/brightpearl.h"
#include "pearlsync/dsco.h"
#include "pearlsync/flow.h"
#include "pearlsync/store.h"

#define PS_DSF_BP(env) ((ps_bp *)(env)->conn[PS_PLATFORM_BRIGHTPEARL])
#define PS_DSF_DSCO(env) ((ps_dsco *)(env)->conn[PS_PLATFORM_DSCO])

/* Log entry kinds (subject: the dscoOrderId). */
#define PS_DSF_KIND_ORDER_IMPORT "order.import"
#define PS_DSF_KIND_ORDER_CANCEL "order.cancel"

/* The mapping tables the import reads (direction "dsco>bp"). */
#define PS_DSF_MAP_DIRECTION "dsco>bp"
#define PS_DSF_MAP_CUSTOMER "dsco_customer" /* retailer id -> contact */
#define PS_DSF_MAP_PRODUCT "dsco_product"   /* identifier -> product */

/* Poll windows overlap the last one by this much (entries dedupe). */
#define PS_DSF_POLL_OVERLAP_MS 60000
/* A first poll looks back this far. */
#define PS_DSF_FIRST_LOOKBACK_MS (30LL * 86400 * 1000)

typedef struct ps_dsf_settings {
	char *prefix;      /* dsco.reference_prefix ("DSCO-") */
	int customers_map; /* dsco.customers.mode is "map" */
	char *match_field; /* dsco.items.match_field */
	ps_bp_identity bp_field;
	char *order_status; /* dsco.order_status: id or name, or NULL */
	char *cancel_status;
	int64_t channel_id, warehouse_id, price_list_id, project_id,
		lead_source_id;
	char *tax_code, *nominal_code;
} ps_dsf_settings;

int ps_dsf__settings_load(ps_dsf_settings *s, ps_store *st);
void ps_dsf__settings_dispose(ps_dsf_settings *s);

/*
 * A poll's choice for one PO: 1 and its entry's dedupe key in key (cap
 * bytes), 0 for no entry, or a PS_E* code.
 */
typedef int (*ps_dsf_key_fn)(char *key, size_t cap, ps_flow_env *env,
			     const ps_dsco_order *o);

/*
 * ps_dsf__poll - read the POs updated since cursor (less the overlap;
 * the first time PS_DSF_FIRST_LOOKBACK_MS back), every page, then record
 * an entry of flow and kind for each PO key_of chooses and advance the
 * cursor to the window's end, in one transaction.
 */
int ps_dsf__poll(ps_flow_env *env, const char *flow, const char *kind,
		 const char *cursor, ps_dsf_key_fn key_of);

/*
 * ps_dsf__bp_order - the Brightpearl order of DSCO order dsco_id: the
 * xref, else (lookup non-zero) the order whose externalRef is
 * prefix + dsco_id, which is then linked.  *out 0 when there is none.
 */
int ps_dsf__bp_order(int64_t *out, ps_flow_env *env, const ps_dsf_settings *s,
		     const char *dsco_id, int lookup);

/*
 * ps_dsf__follow - follow an asynchronous DSCO request on the order log
 * to its outcome; 0 on success, PS_EDATA naming what (e.g. "acknowledge")
 * and order po on failure, PS_ETIMEOUT while still processing.
 */
int ps_dsf__follow(ps_flow_env *env, const char *request_id, const char *what,
		   const char *po);

/*
 * ps_dsf__request_get / _put / _drop - the id of an asynchronous request
 * already sent for (dsco_id, what), kept in the cursor table so that a
 * retry follows it instead of sending it again.
 */
int ps_dsf__request_get(char **out, ps_store *st, const char *dsco_id,
			const char *what);
int ps_dsf__request_put(ps_flow_env *env, const char *dsco_id, const char *what,
			const char *request_id);

extern const ps_flow_ops ps_flow_order_import_dsco;
extern const ps_flow_ops ps_flow_cancel_import_dsco;

#endif
