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
	error = ps_bc__walk(bc, &v, path, "v3/orders/{id}/transactions", what,
			    1, txn_row, &lid, 0);
	if (error < 0) {
		ps_bc__vec_dispose(&v, txn_dispose);
		return error;
	}
	out->items = v.items;
	out->count = v.count;
	return 0;
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
	error = ps_bc__walk(bc, &v, path,
			    "v3/orders/{id}/payment_actions/refunds", what, 1,
			    refund_row, &lid, 0);
	if (error < 0) {
		ps_bc__vec_dispose(&v, refund_dispose);
		return error;
	}
	out->items = v.items;
	out->count = v.count;
	return 0;
}

#define BC_PARALLEL 4

/*
 * The one page of transactions in resp, when it is the whole list: 1 with
 * *out filled, 0 when it is not (another page, not JSON, an error status:
 * the caller reads the list the ordinary way), or an error (memory).
 */
static int
txn_page(ps_bc_transaction_list *out, ps_bc *bc, const ps_http_response *resp,
	 int64_t order_id)
{
	struct ps_bc__vec v = {NULL, 0, 0, sizeof(ps_bc_transaction)};
	long long lid = (long long)order_id;
	const json_t *rows, *pages;
	json_t *root = NULL;
	size_t i;
	int error = 0;

	if (resp->status == 204 ||
	    (resp->status >= 200 && resp->status < 300 && resp->body_len == 0))
		return 1; /* no transactions */
	if (resp->status < 200 || resp->status > 299)
		return 0;
	if (ps_http_response_json(&root, resp, PS_PLATFORM_BIGCOMMERCE) < 0) {
		ps_error_clear();
		return 0;
	}
	rows = ps_bc__v3_data(root);
	pages = json_object_get(
		json_object_get(json_object_get(root, "meta"), "pagination"),
		"total_pages");
	if (!json_is_array(rows) ||
	    (json_is_integer(pages)
		     ? json_integer_value(pages) > 1
		     : json_array_size(rows) >= (size_t)bc->page_limit))
		goto done; /* 0: more than one page */
	for (i = 0; i < json_array_size(rows); i++) {
		void *slot = ps_bc__vec_push(&v);

		if (slot == NULL) {
			error = ps_error_set(PS_ENOMEM, NULL);
			goto done;
		}
		if (txn_row(slot, json_array_get(rows, i), &lid) < 0) {
			v.count--;
			ps_error_clear();
			goto done; /* the ordinary read reports it */
		}
	}
	out->items = v.items;
	out->count = v.count;
	memset(&v, 0, sizeof(v));
	error = 1;
done:
	ps_bc__vec_dispose(&v, txn_dispose);
	json_decref(root);
	return error;
}

int
ps_bc_transactions_list_many(ps_bc_transaction_list *outs, ps_bc *bc,
			     const int64_t *ids, size_t n)
{
	const char *headers[3];
	ps_http_request *reqs = NULL;
	ps_http_response *resps = NULL;
	ps_conn_buf *urls = NULL;
	int *errs = NULL, got;
	size_t i;
	int error = 0, many;

	for (i = 0; i < n; i++)
		memset(&outs[i], 0, sizeof(outs[i]));
	many = bc->send == NULL && n > 1;
	if (many) {
		reqs = calloc(n, sizeof(*reqs));
		resps = calloc(n, sizeof(*resps));
		urls = calloc(n, sizeof(*urls));
		errs = calloc(n, sizeof(*errs));
		if (reqs == NULL || resps == NULL || urls == NULL ||
		    errs == NULL) {
			error = ps_error_set(PS_ENOMEM, NULL);
			goto done;
		}
		headers[0] = bc->auth_header;
		headers[1] = "Accept: application/json";
		headers[2] = NULL;
		for (i = 0; i < n; i++) {
			ps_conn__buf_add(&urls[i], bc->root);
			ps_conn__buf_addf(&urls[i],
					  "/v3/orders/%lld/transactions"
					  "?limit=%d&page=1",
					  (long long)ids[i], bc->page_limit);
			if ((error = ps_conn__buf_check(
				     &urls[i], "a BigCommerce list URL")) < 0)
				goto done;
			reqs[i].platform = PS_PLATFORM_BIGCOMMERCE;
			reqs[i].account = bc->hash;
			reqs[i].method = "GET";
			reqs[i].url = urls[i].data;
			reqs[i].endpoint = "v3/orders/{id}/transactions";
			reqs[i].headers = headers;
			reqs[i].idempotent = 1;
		}
		if (ps_http_send_many(resps, errs, bc->http, reqs, n,
				      BC_PARALLEL) < 0)
			ps_error_clear(); /* each is read again below */
	}
	for (i = 0; i < n; i++) {
		got = 0;
		if (many && errs[i] == 0 &&
		    (got = txn_page(&outs[i], bc, &resps[i], ids[i])) < 0) {
			error = got;
			goto done;
		}
		if (got == 0 &&
		    (error = ps_bc_transactions_list(&outs[i], bc, ids[i])) < 0)
			goto done;
	}
done:
	for (i = 0; many && i < n; i++) {
		if (resps)
			ps_http_response_dispose(&resps[i]);
		if (urls)
			ps_conn__buf_dispose(&urls[i]);
	}
	free(reqs);
	free(resps);
	free(urls);
	free(errs);
	if (error < 0)
		for (i = 0; i < n; i++)
			ps_bc_transaction_list_dispose(&outs[i]);
	return error;
}
