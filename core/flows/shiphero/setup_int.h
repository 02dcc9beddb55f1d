/*
 * setup_int.h - the ShipHero flow group's setup (setup.c), its initial
 * product sync (product_sync.c) and its shipping-method refresh
 * (methods.c), for the flow registry, the command line and the console.
 */
#ifndef PEARLSYNC_FLOWS_SH_SETUP_INT_H
#define PEARLSYNC_FLOWS_SH_SETUP_INT_H

#include <stdint.h>

#include "pearlsync/flow.h"
#include "pearlsync/setup.h"
#include "pearlsync/store.h"

extern const ps_flow_group ps_flow_group_shiphero;
extern const ps_flow_ops ps_flow_product_sync_sh;
extern const ps_flow_ops ps_flow_shipping_methods_sh;

/* Mapping kinds of the ShipHero setup, both "bp>sh". */
#define PS_SH_MAP_WAREHOUSE "shiphero_warehouse"
#define PS_SH_MAP_SHIPPING_METHOD "shiphero_shipping_method"
#define PS_SH_MAP_DIRECTION "bp>sh"

/* The cursor stream of the initial product sync (a JSON object). */
#define PS_SH_PRODUCT_SYNC_STREAM "shiphero.product_sync"
/* The cursor stream whose time is the last shipping-method refresh. */
#define PS_SH_METHODS_STREAM "shiphero.shipping_methods"
/*
 * Cache kind: the Brightpearl method ids still mapped in the shipping-
 * method map that the last refresh no longer found (a JSON array of
 * {"id", "name"}; empty when none).
 */
#define PS_SH_LIST_METHODS_VANISHED "sh.shipping_methods_vanished"

/* Where the initial product sync stands. */
typedef struct ps_sh_product_progress {
	int started;        /* the operator started it at least once */
	int listing;        /* still queueing Brightpearl products */
	int64_t total;      /* Brightpearl products with a SKU at the start */
	int64_t queued;     /* of which queued so far */
	int64_t done;       /* created or adopted in ShipHero */
	int64_t failed;     /* waiting for the operator */
	int64_t started_at; /* ms, 0 when never started */
} ps_sh_product_progress;

/*
 * ps_sh_product_progress_get - the progress of the initial product sync
 * from its cursor and the sync log.  0 or a PS_E* store error.
 */
int ps_sh_product_progress_get(ps_sh_product_progress *out, ps_store *st);

/* ps_sh_product_progress_text - p as a bar, "[####......] 12/50". */
int ps_sh_product_progress_text(char *buf, size_t cap,
				const ps_sh_product_progress *p);

/*
 * ps_sh_methods_refresh - read Brightpearl's shipping methods into the
 * cache the shipping-method map's picker reads (bp.shipping_methods),
 * note the mapped ones that vanished (PS_SH_LIST_METHODS_VANISHED) and
 * the time (PS_SH_METHODS_STREAM).  *out_methods and *out_vanished (may
 * be NULL): how many.  conn is a ps_bp *.
 */
int ps_sh_methods_refresh(size_t *out_methods, size_t *out_vanished, void *conn,
			  ps_store *st, int64_t now);

#endif
