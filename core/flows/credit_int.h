/*
 * credit_int.h - a refund credited in Brightpearl, whichever platform it
 * comes from: the sales credit against the original order, the money
 * paid back against it, the restocked goods received.  A flow that reads
 * refunds (BigCommerce's refund_import_bc; a DSCO or ShipHero return
 * flow plugs in the same way) prices its refunded items on the original
 * order's rows with ps_credit__row and hands the result to
 * ps_credit__apply, which writes exactly once.
 *
 * Names are ps_credit__<name>; nothing here is used outside core/flows/.
 */
#ifndef PEARLSYNC_FLOWS_CREDIT_INT_H
#define PEARLSYNC_FLOWS_CREDIT_INT_H

#include <stddef.h>
#include <stdint.h>

#include "pearlsync/brightpearl.h"
#include "pearlsync/money.h"

/*
 * ps_credit__row - credit row *r from the original order row src for qty
 * of it: gross (including tax) is what the platform refunded for it, the
 * tax src's share of it to the cent; gross 0 (the platform does not say)
 * is src's own value for qty of its quantity.  The tax code, nominal
 * code, product and name are src's (borrowed).
 */
void ps_credit__row(ps_bp_order_row *r, const ps_bp_order_row *src, int64_t qty,
		    ps_money gross);

/* One refund as the flow planned it (everything borrowed). */
typedef struct ps_credit__refund {
	/*
	 * The credit's externalRef, also the payment's transactionRef and
	 * the goods-in's userBatchReference: what finds each write again.
	 */
	const char *ref;
	const ps_bp_order *credit; /* parent_id, rows, external_ref = ref */
	const char *method;        /* payment-method code */
	const char *currency;      /* of the payment and the goods' value */
	ps_money paid;             /* paid back; 0: no payment */
	const char *paid_on;       /* ISO-8601 */
	/* restocked products: product, quantity, unit value; row_id is
	 * filled from the created credit */
	ps_bp_goods_in_line *back;
	size_t nback;
	int64_t warehouse_id; /* with nback > 0 */
} ps_credit__refund;

/* What ps_credit__apply did. */
typedef struct ps_credit__done {
	int64_t credit_id;
	int existed; /* the credit was found, not created */
	int64_t payment_id;
	int64_t goods_in_id; /* 0 when nothing was restocked */
} ps_credit__done;

/*
 * ps_credit__apply - write refund r to Brightpearl: the credit (looked up
 * by r->ref first when lookup is set: the entry's earlier attempt may
 * have made it), then the PAYMENT, then the goods-in.  Each write is
 * keyed by r->ref, which Brightpearl keeps unique, and a repeat refused
 * as a duplicate is found and adopted, so calling it again after any
 * failure or crash leaves one of each.  Errors as the connector's.
 */
int ps_credit__apply(ps_credit__done *out, ps_bp *bp, ps_credit__refund *r,
		     int lookup);

#endif
