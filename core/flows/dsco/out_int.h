/*
 * out_int.h - what the flows from Brightpearl to DSCO share (shipments,
 * stock, invoices): their two connectors, typed, out of the flow
 * environment; the order cross-reference the DSCO order import writes;
 * and the rule that ties a Brightpearl order row to a line of the DSCO
 * purchase order (out_common.c).
 *
 * Names are ps_dsout__<name>; nothing here is used outside core/flows/.
 */
#ifndef PEARLSYNC_FLOWS_DSCO_OUT_INT_H
#define PEARLSYNC_FLOWS_DSCO_OUT_INT_H

#include <stddef.h>
#include <stdint.h>

#include "pearlsync/brightpearl.h"
#include "pearlsync/dsco.h"
#include "pearlsync/flow.h"
#include "pearlsync/store.h"

/* The Brightpearl and DSCO connectors (NULL: not configured). */
#define PS_DSOUT_BP(env) ((ps_bp *)(env)->conn[PS_PLATFORM_BRIGHTPEARL])
#define PS_DSOUT_DSCO(env) ((ps_dsco *)(env)->conn[PS_PLATFORM_DSCO])

/* Mapping kinds (direction "bp>dsco" unless said otherwise). */
#define PS_DSOUT_MAP_SHIPPING "dsco_shipping_method" /* method id -> code */
#define PS_DSOUT_MAP_WAREHOUSE "dsco_warehouse"      /* warehouse id -> code */
#define PS_DSOUT_MAP_PRODUCT "dsco_product" /* dsco>bp: DSCO id -> product */
#define PS_DSOUT_BP_DSCO "bp>dsco"
#define PS_DSOUT_DSCO_BP "dsco>bp"

/* Log entry kinds of the three flows. */
#define PS_DSOUT_KIND_GON_SHIP "goods-out-note.ship"
#define PS_DSOUT_KIND_ORDER_SHIP "order.ship"
#define PS_DSOUT_KIND_ORDER_INVOICE "order.invoice"
#define PS_DSOUT_KIND_STOCK_SYNC "inventory.sync"
#define PS_DSOUT_KIND_STOCK_RECONCILE "inventory.reconcile"
#define PS_DSOUT_KIND_SKU_STOCK "product.stock"

/*
 * ps_dsout__dsco_order_of - the dscoOrderId linked to Brightpearl order
 * bp_order_id (xref "order") into *out (caller frees).  PS_ENOTFOUND
 * when the order did not come from DSCO.
 */
int ps_dsout__dsco_order_of(char **out, ps_store *st, int64_t bp_order_id);

/*
 * ps_dsout__row_matches - 1 when Brightpearl order row `row` is for line
 * li of DSCO order d.  A row whose externalRef names a line of d (its
 * lineNumber, as the order import sets it) is for that line only.
 * Otherwise by item: the row's SKU equals one of the line's identifiers
 * (sku, partnerSku, upc, ean, dscoItemId), or the dsco_product mapping
 * (DSCO identifier -> Brightpearl product id) maps one of them to the
 * row's product.  0 otherwise.
 */
int ps_dsout__row_matches(ps_store *st, const ps_dsco_order *d, size_t li,
			  const ps_bp_order_row *row);

/*
 * ps_dsout__row_of - the row of o with id row_id, else the first with
 * product product_id (a goods-out note names both); NULL when none.
 */
const ps_bp_order_row *ps_dsout__row_of(const ps_bp_order *o, int64_t row_id,
					int64_t product_id);

/*
 * ps_dsout__take - spread qty of row over the DSCO lines of d it matches,
 * lowest line number first, each up to what it has left: its quantity
 * less what DSCO says is shipped and cancelled and less taken[i] (what
 * this request already gives it; updated).  qty_out[i] += what line i
 * gets.  PS_EDATA naming the row when no line matches or more is asked
 * than the lines have left (a line is never shipped twice).
 */
int ps_dsout__take(ps_store *st, const ps_dsco_order *d,
		   const ps_bp_order_row *row, int64_t qty, int64_t *taken,
		   int64_t *qty_out);

/*
 * ps_dsout__map - the bp>dsco mapping of kind for the Brightpearl id into
 * *out (owned), falling back to the kind's default row; NULL (and 0)
 * when there is neither.
 */
int ps_dsout__map(char **out, ps_store *st, const char *kind, int64_t id);

/*
 * Results, log entries, poll cursors and webhook registration are the
 * BigCommerce pair's helpers (flows/bigcommerce/pair_int.h), which know
 * nothing of BigCommerce but their name.
 */

extern const ps_flow_ops ps_flow_shipment_export_dsco;
extern const ps_flow_ops ps_flow_inventory_export_dsco;
extern const ps_flow_ops ps_flow_invoice_export_dsco;

#endif
