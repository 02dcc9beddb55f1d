/*
 * credit.c - a refund credited in Brightpearl (credit_int.h): the rows'
 * pricing and the three writes, each found again by the refund's
 * reference.
 */
#include "flows/credit_int.h"
#include "internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* a * b / c rounded half away from zero to the cent (ps_money). */
static ps_money
share(ps_money a, ps_money b, ps_money c)
{
	long double v;
	int64_t cents;

	if (c == 0)
		return 0;
	v = (long double)a * (long double)b / (long double)c;
	v /= (long double)(PS_MONEY_SCALE / 100);
	cents = (int64_t)(v < 0 ? v - 0.5L : v + 0.5L);
	return ps_money_from_cents(cents);
}

void
ps_credit__row(ps_bp_order_row *r, const ps_bp_order_row *src, int64_t qty,
	       ps_money gross)
{
	ps_money whole = src->net + src->tax;

	memset(r, 0, sizeof(*r));
	r->product_id = src->product_id;
	r->name = src->name;
	r->quantity = qty;
	r->tax_code = src->tax_code;
	r->nominal_code = src->nominal_code;
	r->external_ref = src->external_ref;
	if (gross == 0 && src->quantity > 0) {
		r->net = share(src->net, qty, src->quantity);
		r->tax = share(src->tax, qty, src->quantity);
	} else {
		r->tax = share(gross, src->tax, whole);
		r->net = gross - r->tax;
	}
}

/* The credit's row of each restocked product (the first unused row of
 * that product). */
static int
rows_back(ps_bp_goods_in_line *back, size_t n, const ps_bp_order *sc)
{
	size_t i, k;
	char *used = calloc(sc->nrows + 1, 1);

	if (used == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		for (k = 0; k < sc->nrows; k++)
			if (!used[k] &&
			    sc->rows[k].product_id == back[i].product_id)
				break;
		if (k == sc->nrows) {
			free(used);
			return ps_error_set(PS_EDATA,
					    "sales credit %" PRId64 " has no "
					    "row for product %" PRId64,
					    sc->id, back[i].product_id);
		}
		used[k] = 1;
		back[i].row_id = sc->rows[k].id;
	}
	free(used);
	return 0;
}

int
ps_credit__apply(ps_credit__done *out, ps_bp *bp, ps_credit__refund *r,
		 int lookup)
{
	ps_bp_order_list credits = {NULL, 0, NULL};
	ps_bp_payment pay;
	ps_bp_goods_in gi;
	int error = 0;

	memset(out, 0, sizeof(*out));
	/* 1. the credit: looked up first after any earlier attempt */
	if (lookup) {
		error = ps_bp_credit_find_external(&out->credit_id, bp, r->ref);
		if (error == PS_ENOTFOUND) {
			ps_error_clear();
			error = 0;
		} else if (error < 0) {
			goto done;
		} else {
			out->existed = 1;
		}
	}
	if (out->credit_id == 0 &&
	    (error = ps_bp_credit_create(&out->credit_id, &out->existed, bp,
					 r->credit)) < 0)
		goto done;

	/* 2. the money paid back */
	if (r->paid > 0) {
		memset(&pay, 0, sizeof(pay));
		pay.order_id = out->credit_id;
		pay.method_code = r->method;
		pay.type = "PAYMENT";
		pay.currency = r->currency;
		pay.amount = r->paid;
		pay.transaction_ref = r->ref;
		pay.payment_date = r->paid_on;
		if ((error = ps_bp_payment_create(&out->payment_id, bp, &pay)) <
		    0)
			goto done;
	}

	/* 3. the goods back into stock, against the credit's rows */
	if (r->nback > 0) {
		if ((error = ps_bp_credit_get(&credits, bp, &out->credit_id,
					      1)) < 0)
			goto done;
		if (credits.n == 0) {
			error = ps_error_set(PS_ENOTFOUND,
					     "Brightpearl sales credit %" PRId64
					     " not found",
					     out->credit_id);
			goto done;
		}
		if ((error = rows_back(r->back, r->nback, &credits.items[0])) <
		    0)
			goto done;
		memset(&gi, 0, sizeof(gi));
		gi.credit_id = out->credit_id;
		gi.warehouse_id = r->warehouse_id;
		gi.lines = r->back;
		gi.nlines = r->nback;
		gi.batch_ref = r->ref;
		gi.received_on = r->paid_on;
		gi.currency = r->currency;
		error = ps_bp_credit_goods_in(&out->goods_in_id, bp, &gi);
	}
done:
	ps_bp_order_list_dispose(&credits);
	return error;
}
