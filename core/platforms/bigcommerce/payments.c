/*
 * payments.c - BigCommerce order transactions (one order, or many in
 * parallel) and refunds.
 */
#include "pearlsync/bigcommerce.h"
#include "platforms/bigcommerce/bigcommerce_int.h"
#include "platforms/connector.h"
#include "internal.h"
#include "pearlsync/log.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

/* --- transactions and refunds --------------------------------------------- */

static const struct ps_bc__field txn_fields[] = {
	FLD(ps_bc_transaction, "id", id, BK_I64, 1),
	FLD(ps_bc_transaction, "order_id", order_id, BK_I64, 0),
	FLD(ps_bc_transaction, "event", event_name, BK_STR, 1),
	FLD(ps_bc_transaction, "method", method, BK_STR, 0),
	FLD(ps_bc_transaction, "amount", amount, BK_MONEY, 1),
	FLD(ps_bc_transaction, "currency", currency, BK_STR, 0),
	FLD(ps_bc_transaction, "gateway", gateway, BK_STR, 0),
	FLD(ps_bc_transaction, "gateway_transaction_id", gateway_transaction_id,
	    BK_STR, 0),
	FLD(ps_bc_transaction, "payment_method_id", payment_method_id, BK_STR,
	    0),
	FLD(ps_bc_transaction, "test", test, BK_BOOL, 0),
	FLD(ps_bc_transaction, "date_created", date_created, BK_ISO8601, 0),
};

static void
txn_dispose(void *t)
{
	FIELDS_FREE(t, txn_fields);
}

void
ps_bc_transaction_list_dispose(ps_bc_transaction_list *l)
{
	if (l == NULL)
		return;
	ps_bc__items_dispose(l->items, l->count, sizeof(*l->items),
			     txn_dispose);
	memset(l, 0, sizeof(*l));
}

static int
txn_row(void *item, const json_t *row, void *ctx)
{
	static const struct {
		const char *name;
		ps_bc_txn_event event;
	} events[] = {
		{"purchase", PS_BC_TXN_PURCHASE},
		{"authorization", PS_BC_TXN_AUTHORIZATION},
		{"capture", PS_BC_TXN_CAPTURE},
		{"refund", PS_BC_TXN_REFUND},
		{"void", PS_BC_TXN_VOID},
		{"pending", PS_BC_TXN_PENDING},
		{"settled", PS_BC_TXN_SETTLED},
	};
	ps_bc_transaction *t = item;
	const char *status = json_string_value(json_object_get(row, "status"));
	char what[96];
	size_t i;
	int error;

	snprintf(what, sizeof(what), "BigCommerce order %lld transaction %lld",
		 *(const long long *)ctx, ps_bc__peek_id(row, "id"));
	if ((error = FIELDS_PARSE(t, txn_fields, row, what)) < 0)
		return error;
	t->event = PS_BC_TXN_OTHER;
	for (i = 0; i < PS__ARRAY_LEN(events); i++)
		if (strcmp(t->event_name, events[i].name) == 0)
			t->event = events[i].event;
	/* An absent status is taken as ok: not every gateway fills it. */
	t->ok = status == NULL || strcmp(status, "ok") == 0;
	t->captured = t->ok && (t->event == PS_BC_TXN_PURCHASE ||
				t->event == PS_BC_TXN_CAPTURE);
	t->authorized = t->ok && t->event == PS_BC_TXN_AUTHORIZATION;
	return 0;
}

int
ps_bc_transactions_list(ps_bc_transaction_list *out, ps_bc *bc,
			int64_t order_id)
{
	struct ps_bc__vec v = {NULL, 0, 0, sizeof(ps_bc_transaction)};
	long long lid = (long long)order_id;
	char path[64], what[80];
	int error;

	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "/v3/orders/%lld/transactions", lid);
	snprintf(what, sizeof(what), "listing the transactions of order %lld",
		 lid);
	/* not paged: orders.v3 declares no query parameters for it */
	error = ps_bc__walk_limit(bc, &v, path, "v3/orders/{id}/transactions",
				  what, 1, txn_row, &lid, 0, 0);
	if (error < 0) {
		ps_bc__vec_dispose(&v, txn_dispose);
		return error;
	}
	out->items = v.items;
	out->count = v.count;
	return 0;
}

/* --- the payment the order itself describes --------------------------------
 */

int
ps_bc_order_payment(ps_bc_transaction_list *out, const ps_bc_order *o,
		    char *why, size_t cap)
{
	const char *st = o->payment_status ? o->payment_status : "";
	const char *ptx = o->payment_provider_id ? o->payment_provider_id : "";
	const char *cur =
		o->default_currency_code && o->default_currency_code[0]
			? o->default_currency_code
			: (o->currency_code ? o->currency_code : "");
	ps_bc_transaction *t;
	int captured = strcmp(st, "captured") == 0;

	memset(out, 0, sizeof(*out));
	why[0] = '\0';
	/* "capture pending", "partially refunded", "paid", "" ...: what was
	 * taken is only in the transactions */
	if (!captured && strcmp(st, "authorized") != 0)
		snprintf(why, cap, "payment status '%s'", st);
	else if (o->store_credit_amount != 0 || o->gift_certificate_amount != 0)
		snprintf(why, cap,
			 "split tender (store credit or gift certificate)");
	else if (o->refunded_amount != 0)
		snprintf(why, cap, "partly refunded");
	else if (o->total_inc_tax <= 0)
		snprintf(why, cap, "no amount to pay");
	else if (ptx[0] == '\0')
		snprintf(why, cap, "no payment_provider_id");
	else if (cur[0] == '\0')
		snprintf(why, cap, "no currency");
	else if (o->date_modified - o->date_created >
		 PS_BC_ORDER_PAYMENT_SETTLE_S)
		/* a capture days later, or totals edited after the payment:
		 * the date and the amount are the transaction's own */
		snprintf(why, cap, "changed after it was placed");
	if (why[0] != '\0')
		return 0;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	out->items = t;
	out->count = 1;
	t->order_id = o->id;
	t->event = captured ? PS_BC_TXN_PURCHASE : PS_BC_TXN_AUTHORIZATION;
	t->event_name =
		ps_util__strdup(captured ? "purchase" : "authorization");
	t->method = ps_util__strdup("");
	t->gateway = ps_util__strdup("");
	t->payment_method_id = ps_util__strdup("");
	t->currency = ps_util__strdup(cur);
	t->gateway_transaction_id = ps_util__strdup(ptx);
	t->amount = o->total_inc_tax;
	t->date_created = o->date_created;
	t->ok = 1;
	t->captured = captured;
	t->authorized = !captured;
	t->from_order = 1;
	if (t->event_name == NULL || t->method == NULL || t->gateway == NULL ||
	    t->payment_method_id == NULL || t->currency == NULL ||
	    t->gateway_transaction_id == NULL) {
		ps_bc_transaction_list_dispose(out);
		return ps_error_set(PS_ENOMEM, "out of memory");
	}
	return 1;
}

static const struct ps_bc__field refund_fields[] = {
	FLD(ps_bc_refund, "id", id, BK_I64, 1),
	FLD(ps_bc_refund, "order_id", order_id, BK_I64, 0),
	FLD(ps_bc_refund, "created", created, BK_ISO8601, 0),
	FLD(ps_bc_refund, "reason", reason, BK_STR, 0),
	FLD(ps_bc_refund, "total_amount", total_amount, BK_MONEY, 1),
	FLD(ps_bc_refund, "total_tax", total_tax, BK_MONEY, 0),
};

static const struct ps_bc__field refund_item_fields[] = {
	FLD(ps_bc_refund_item, "item_type", item_type, BK_STR, 1),
	FLD(ps_bc_refund_item, "item_id", item_id, BK_I64, 0),
	FLD(ps_bc_refund_item, "quantity", quantity, BK_I64, 0),
	FLD(ps_bc_refund_item, "requested_amount", requested_amount, BK_MONEY,
	    0),
};

static void
refund_dispose(void *p)
{
	ps_bc_refund *r = p;
	size_t i;

	FIELDS_FREE(r, refund_fields);
	free(r->provider_id);
	for (i = 0; i < r->nitems; i++)
		FIELDS_FREE(&r->items[i], refund_item_fields);
	free(r->items);
	memset(r, 0, sizeof(*r));
}

void
ps_bc_refund_list_dispose(ps_bc_refund_list *l)
{
	if (l == NULL)
		return;
	ps_bc__items_dispose(l->items, l->count, sizeof(*l->items),
			     refund_dispose);
	memset(l, 0, sizeof(*l));
}

static int
refund_row(void *item, const json_t *row, void *ctx)
{
	ps_bc_refund *r = item;
	const json_t *items = json_object_get(row, "items");
	char what[96];
	int error;

	snprintf(what, sizeof(what), "BigCommerce order %lld refund %lld",
		 *(const long long *)ctx, ps_bc__peek_id(row, "id"));
	if ((error = FIELDS_PARSE(r, refund_fields, row, what)) < 0)
		return error;
	r->items = ps_bc__subitems_parse(
		&error, &r->nitems, sizeof(*r->items), items,
		refund_item_fields, PS__ARRAY_LEN(refund_item_fields), what);
	if (error == 0) {
		/* Refund.payments[0].provider_id: how the money went back */
		const char *prov = json_string_value(json_object_get(
			json_array_get(json_object_get(row, "payments"), 0),
			"provider_id"));

		r->provider_id = ps_util__strdup(prov != NULL ? prov : "");
		if (r->provider_id == NULL)
			error = ps_error_set(PS_ENOMEM, NULL);
	}
	if (error < 0)
		refund_dispose(r);
	return error;
}

int
ps_bc_refunds_list(ps_bc_refund_list *out, ps_bc *bc, int64_t order_id)
{
	struct ps_bc__vec v = {NULL, 0, 0, sizeof(ps_bc_refund)};
	long long lid = (long long)order_id;
	char path[80], what[80];
	int error;

	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "/v3/orders/%lld/payment_actions/refunds",
		 lid);
	snprintf(what, sizeof(what), "listing the refunds of order %lld", lid);
	/* not paged: orders.v3 declares no page or limit for it */
	error = ps_bc__walk_limit(bc, &v, path,
				  "v3/orders/{id}/payment_actions/refunds",
				  what, 1, refund_row, &lid, 0, 0);
	if (error < 0) {
		ps_bc__vec_dispose(&v, refund_dispose);
		return error;
	}
	out->items = v.items;
	out->count = v.count;
	return 0;
}

int
ps_bc_refunds_since(ps_bc_refund_list *out, ps_bc *bc, const char *created_min)
{
	struct ps_bc__vec v = {NULL, 0, 0, sizeof(ps_bc_refund)};
	ps_conn_buf p = PS_CONN_BUF_INIT(0);
	long long none = 0;
	int error;

	memset(out, 0, sizeof(*out));
	ps_conn__buf_add(&p, "/v3/orders/payment_actions/refunds");
	if (created_min != NULL && created_min[0] != '\0') {
		ps_conn__buf_add(&p, "?created:min=");
		ps_conn__buf_add_urlenc(&p, created_min);
	}
	if ((error = ps_conn__buf_check(&p, "the refund list URL")) < 0)
		goto done;
	error = ps_bc__walk(bc, &v, p.data, "v3/orders/payment_actions/refunds",
			    "listing the refunds since a date", 1, refund_row,
			    &none, 0);
done:
	ps_conn__buf_dispose(&p);
	if (error < 0) {
		ps_bc__vec_dispose(&v, refund_dispose);
		return error;
	}
	out->items = v.items;
	out->count = v.count;
	return 0;
}

/* What ps_bc__first_pages fills: the lists of ids. */
typedef struct txn_lists {
	ps_bc_transaction_list *outs;
	ps_bc *bc;
	const int64_t *ids;
} txn_lists;

static int
txn_page(size_t i, const ps_http_response *resp, void *ctx)
{
	txn_lists *l = ctx;
	struct ps_bc__vec v = {NULL, 0, 0, sizeof(ps_bc_transaction)};
	long long lid = (long long)l->ids[i];
	int got = ps_bc__whole_page(&v, l->bc, resp, 1, 0, txn_row, &lid);

	if (got == 1) {
		l->outs[i].items = v.items;
		l->outs[i].count = v.count;
	} else {
		ps_bc__vec_dispose(&v, txn_dispose);
	}
	return got;
}

static int
txn_read(size_t i, void *ctx)
{
	txn_lists *l = ctx;

	return ps_bc_transactions_list(&l->outs[i], l->bc, l->ids[i]);
}

int
ps_bc_transactions_list_many(ps_bc_transaction_list *outs, ps_bc *bc,
			     const int64_t *ids, size_t n)
{
	txn_lists l = {outs, bc, ids};
	size_t i;
	int error;

	for (i = 0; i < n; i++)
		memset(&outs[i], 0, sizeof(outs[i]));
	error = ps_bc__first_pages(bc, "/v3/orders/", "/transactions",
				   "v3/orders/{id}/transactions", 0, ids, n,
				   txn_page, txn_read, &l);
	if (error < 0)
		for (i = 0; i < n; i++)
			ps_bc_transaction_list_dispose(&outs[i]);
	return error;
}
