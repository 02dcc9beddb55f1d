/*
 * payments.c - Brightpearl customer payments (create, found again by
 * transaction reference) and sales credits (the refund side of an order),
 * and the batch form of the payment create.
 */
#include "platforms/brightpearl/brightpearl_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- payments ----------------------------------------------------------- */

int
ps_bp__build_payment_create(ps_bp__msg *m, const ps_bp_payment *p)
{
	json_t *b = NULL;
	int auth, error = 0;

	memset(m, 0, sizeof(*m));
	if (p->order_id <= 0 || p->method_code == NULL || p->type == NULL ||
	    p->currency == NULL || p->payment_date == NULL)
		return ps_error_set(PS_EINVAL,
				    "Brightpearl payment: order, "
				    "method, type, currency and date are "
				    "required");
	auth = strcmp(p->type, "AUTH") == 0 || strcmp(p->type, "VOID") == 0;
	b = json_pack("{s:s, s:s, s:I, s:s, s:s}", "paymentMethodCode",
		      p->method_code, "paymentType", p->type, "orderId",
		      (json_int_t)p->order_id, "currencyIsoCode", p->currency,
		      "paymentDate", p->payment_date);
	if (b == NULL)
		return ps_error_set(PS_ENOMEM,
				    "Brightpearl payment: out of "
				    "memory or a field is not UTF-8");
	if ((error = ps_conn__json_set_money(
		     b, auth ? "amountAuthorized" : "amountPaid", p->amount)) <
		    0 ||
	    (error = ps_conn__json_set_str(b, "transactionRef",
					   p->transaction_ref, 0)) < 0 ||
	    (error = ps_conn__json_set_str(b, "transactionCode",
					   p->transaction_code, 0)) < 0 ||
	    (error = ps_conn__json_set_str(b, "authorizationExpiry",
					   p->auth_expiry, 0)) < 0 ||
	    (error = ps_conn__json_set_str(b, "journalRef", p->journal_ref,
					   0)) < 0 ||
	    (error = ps_bp__path(&m->path,
				 "/accounting-service/customer-payment")) < 0) {
		json_decref(b);
		return error;
	}
	m->method = "POST";
	m->body = b;
	/*
	 * With a transaction reference a repeat cannot record a second
	 * payment (the pair is unique), so retrying is safe; the repeat's
	 * refusal is resolved by looking the payment up.
	 */
	m->idempotent = p->transaction_ref != NULL;
	m->what = "customer payment create";
	return 0;
}

/* The id of the payment on p->order_id with p's transaction reference. */
static int
payment_find(int64_t *out_id, ps_bp *bp, const void *ctx)
{
	const ps_bp_payment *p = ctx;
	char q[64];
	json_t *rows = NULL, *row;
	const char *ref, *code;
	size_t i;
	int error;

	*out_id = 0;
	snprintf(q, sizeof(q), "orderId=%" PRId64, p->order_id);
	if ((error = ps_bp__search(
		     &rows, bp, "/accounting-service/customer-payment-search",
		     q, "customer payment search")) < 0)
		return error;
	json_array_foreach (rows, i, row) {
		ref = json_string_value(json_object_get(row, "transactionRef"));
		code = json_string_value(
			json_object_get(row, "paymentMethodCode"));
		if (ref == NULL || strcmp(ref, p->transaction_ref) != 0 ||
		    (code != NULL && p->method_code != NULL &&
		     strcasecmp(code, p->method_code) != 0))
			continue;
		error = ps_conn__json_int(out_id, row, "paymentId",
					  "Brightpearl customer payment "
					  "search");
		break;
	}
	json_decref(rows);
	if (error == 0 && *out_id == 0)
		error = PS_ENOTFOUND;
	return error;
}

int
ps_bp_payment_find(int64_t *out_id, ps_bp *bp, int64_t order_id,
		   const char *transaction_ref, const char *method_code)
{
	ps_bp_payment p;

	memset(&p, 0, sizeof(p));
	p.order_id = order_id;
	p.transaction_ref = transaction_ref;
	p.method_code = method_code;
	return payment_find(out_id, bp, &p);
}

int
ps_bp_payment_create(int64_t *out_id, ps_bp *bp, const ps_bp_payment *p)
{
	ps_bp__msg m;
	int64_t id = 0;
	int error;

	if (out_id != NULL)
		*out_id = 0;
	if ((error = ps_bp__build_payment_create(&m, p)) < 0)
		return error;
	error = ps_bp__create_recoverable(
		&id, NULL, bp, &m, 1,
		p->transaction_ref != NULL ? payment_find : NULL, p);
	if (error == 0 && out_id != NULL)
		*out_id = id;
	ps_bp__msg_dispose(&m);
	return error;
}

/* ---- sales credits ------------------------------------------------------ */

/* A sales credit in the sales-order GET shape (rows array). */
static int
credit_read(ps_bp_order *o, const json_t *j)
{
	char what[PS__BP_WHAT_MAX];
	const json_t *rows, *r;
	size_t i;
	int error;

	memset(o, 0, sizeof(*o));
	if ((error = ps_conn__json_int(&o->id, j, "id",
				       "Brightpearl sales credit")) < 0)
		return error;
	snprintf(what, sizeof(what), "Brightpearl sales credit %" PRId64,
		 o->id);
	o->order_type = "SC";
	if ((error = ps_conn__json_int_opt(&o->parent_id, j, "parentId", what,
					   0)) < 0 ||
	    (error = ps_conn__json_str_opt(&o->ref, j, "ref", what)) < 0 ||
	    (error = ps_conn__json_str_opt(&o->external_ref, j, "externalRef",
					   what)) < 0 ||
	    (error = ps_conn__json_int_opt(&o->status_id, j, "statusId", what,
					   0)) < 0 ||
	    (error = ps_conn__json_int_opt(&o->customer_id, j, "customer.id",
					   what, 0)) < 0 ||
	    (error = ps_conn__json_int_opt(&o->warehouse_id, j, "warehouseId",
					   what, 0)) < 0 ||
	    (error = ps_conn__json_int_opt(&o->channel_id, j, "channelId", what,
					   0)) < 0 ||
	    (error = ps_conn__json_str_opt(&o->currency, j, "currency.code",
					   what)) < 0 ||
	    (error = ps_conn__json_str_opt(&o->placed_on, j, "placedOn",
					   what)) < 0 ||
	    (error = ps_conn__json_str_opt(&o->payment_status, j,
					   "orderPaymentStatus", what)) < 0 ||
	    (error = ps_conn__json_money_opt(&o->total_net, j, "total.net",
					     what, 0)) < 0 ||
	    (error = ps_conn__json_money_opt(&o->total_tax, j, "total.tax",
					     what, 0)) < 0 ||
	    (error = ps_conn__json_money_opt(&o->total, j, "total.gross", what,
					     0)) < 0)
		return error;
	rows = json_object_get(j, "rows");
	if ((error = ps_bp__alloc_items((void **)&o->rows,
					json_array_size(rows),
					sizeof(*o->rows))) < 0)
		return error;
	json_array_foreach (rows, i, r) {
		ps_bp_order_row *row = &o->rows[o->nrows];

		if ((error = ps_conn__json_int_opt(&row->id, r, "id", what,
						   0)) < 0 ||
		    (error = ps_conn__json_int_opt(&row->product_id, r,
						   "productId", what, 0)) < 0 ||
		    (error = ps_conn__json_str_opt(&row->name, r, "name",
						   what)) < 0 ||
		    (error = ps_conn__json_str_opt(&row->sku, r, "sku", what)) <
			    0 ||
		    (error = ps_conn__json_int_opt(&row->quantity, r,
						   "quantity", what, 0)) < 0 ||
		    (error = ps_conn__json_money_opt(&row->net, r, "net", what,
						     0)) < 0 ||
		    (error = ps_conn__json_money_opt(&row->tax, r, "tax", what,
						     0)) < 0 ||
		    (error = ps_conn__json_str_opt(&row->tax_code, r, "taxCode",
						   what)) < 0 ||
		    (error = ps_conn__json_str_opt(&row->nominal_code, r,
						   "nominalCode", what)) < 0)
			return error;
		o->nrows++;
	}
	ps_bp__sort_items(o->rows, o->nrows, sizeof(*o->rows), ps_bp__cmp_rows);
	return 0;
}

int
ps_bp_credit_get(ps_bp_order_list *out, ps_bp *bp, const int64_t *ids, size_t n)
{
	json_t *all = NULL;
	int error;

	memset(out, 0, sizeof(*out));
	if ((error = ps_bp__get_ids(&all, bp, "/order-service/sales-credit/",
				    NULL, ids, n, "sales credit get")) < 0)
		return error;
	error = ps_bp__order_list_fill(out, all, credit_read);
	json_decref(all);
	if (error < 0)
		ps_bp_order_list_dispose(out);
	return error;
}

int
ps_bp_credit_find(ps_bp_ids *out, ps_bp *bp, int64_t parent_id)
{
	char q[80];
	json_t *rows = NULL, *row;
	const char *what = "Brightpearl sales credit search";
	int64_t type;
	size_t i;
	int error;

	out->ids = NULL;
	out->n = 0;
	snprintf(q, sizeof(q), "parentOrderId=%" PRId64 "&orderTypeId=3",
		 parent_id);
	if ((error = ps_bp__search(&rows, bp, "/order-service/order-search", q,
				   "sales credit search")) < 0)
		return error;
	if ((error = ps_bp__alloc_items((void **)&out->ids,
					json_array_size(rows),
					sizeof(*out->ids))) < 0)
		goto done;
	json_array_foreach (rows, i, row) {
		int64_t parent;

		if ((error = ps_conn__json_int_opt(&type, row, "orderTypeId",
						   what, 3)) < 0 ||
		    (error = ps_conn__json_int_opt(&parent, row,
						   "parentOrderId", what,
						   parent_id)) < 0)
			goto done;
		if (type != 3 || parent != parent_id)
			continue;
		if ((error = ps_conn__json_int(&out->ids[out->n], row,
					       "orderId", what)) < 0)
			goto done;
		out->n++;
	}
	ps_bp__sort_items(out->ids, out->n, sizeof(*out->ids), ps_bp__cmp_i64p);
done:
	json_decref(rows);
	if (error < 0)
		ps_bp_ids_dispose(out);
	return error;
}

/*
 * The sales-credit POST takes the sales-order POST's field set plus
 * parentId (reference section 7.8): the order's body, sent to the credit
 * resource.
 */
static int
build_credit_create(ps_bp__msg *m, ps_bp *bp, const ps_bp_order *c)
{
	int error;

	if (c->parent_id <= 0)
		return ps_error_set(PS_EINVAL, "Brightpearl sales credit: no "
					       "parent order");
	if ((error = ps_bp__build_order_create(m, bp, c)) < 0)
		return error;
	free(m->path);
	m->path = NULL;
	if ((error = ps_conn__json_set_int(m->body, "parentId", c->parent_id,
					   0)) < 0 ||
	    (error = ps_bp__path(&m->path, "/order-service/sales-credit")) <
		    0) {
		ps_bp__msg_dispose(m);
		return error;
	}
	m->what = "sales credit create";
	return 0;
}

static int
find_credit(int64_t *out_id, ps_bp *bp, const void *ctx)
{
	return ps_bp_credit_find_external(out_id, bp, ctx);
}

int
ps_bp_credit_create(int64_t *out_id, int *out_existed, ps_bp *bp,
		    const ps_bp_order *credit)
{
	ps_bp__msg m;
	int error;

	*out_id = 0;
	if (out_existed != NULL)
		*out_existed = 0;
	if ((error = build_credit_create(&m, bp, credit)) < 0)
		return error;
	error = ps_bp__create_recoverable(out_id, out_existed, bp, &m, 1,
					  m.idempotent ? find_credit : NULL,
					  credit->external_ref);
	ps_bp__msg_dispose(&m);
	return error;
}

int
ps_bp_credit_find_external(int64_t *out_id, ps_bp *bp, const char *external_ref)
{
	ps_conn_buf q = PS_CONN_BUF_INIT(2048);
	const char *what = "Brightpearl sales credit search";
	json_t *rows = NULL, *row;
	const char *ref;
	int64_t id, type, inst;
	size_t i;
	int error;

	*out_id = 0;
	if (external_ref == NULL || external_ref[0] == '\0')
		return ps_error_set(PS_EINVAL, "Brightpearl sales credit "
					       "search: no externalRef");
	ps_conn__buf_add(&q, "orderTypeId=3&externalRef=");
	ps_conn__buf_add_urlenc(&q, external_ref);
	if ((error = ps_conn__buf_check(&q, what)) < 0 ||
	    (error = ps_bp__search(&rows, bp, "/order-service/order-search",
				   ps_conn__buf_str(&q),
				   "sales credit search by externalRef")) < 0)
		goto done;
	json_array_foreach (rows, i, row) {
		/* the filters may be loose; insist on exact matches */
		if (ps_conn__json_str_opt(&ref, row, "externalRef", what) < 0 ||
		    ref == NULL || strcmp(ref, external_ref) != 0 ||
		    ps_conn__json_int_opt(&type, row, "orderTypeId", what, 3) <
			    0 ||
		    type != 3 ||
		    ps_conn__json_int_opt(&inst, row,
					  "installedIntegrationInstanceId",
					  what, 0) < 0 ||
		    (bp->instance_id > 0 && inst > 0 &&
		     inst != bp->instance_id))
			continue;
		if ((error = ps_conn__json_int(&id, row, "orderId", what)) < 0)
			goto done;
		if (*out_id == 0 || id < *out_id)
			*out_id = id;
	}
	if (*out_id == 0)
		error = ps_error_set(PS_ENOTFOUND,
				     "no Brightpearl sales credit has "
				     "externalRef '%s'",
				     external_ref);
done:
	json_decref(rows);
	ps_conn__buf_dispose(&q);
	return error;
}

/* ---- goods-in on a sales credit (restock) ------------------------------- */

/* What find_goods_in looks for. */
typedef struct gin_key {
	int64_t credit_id;
	const char *batch_ref;
} gin_key;

int
ps_bp_credit_goods_in_find(int64_t *out_id, ps_bp *bp, int64_t credit_id,
			   const char *batch_ref)
{
	const char *what = "Brightpearl goods-in notes";
	json_t *root = NULL, *notes, *n;
	const char *k, *ref;
	char *path = NULL;
	int64_t id;
	int error;

	*out_id = 0;
	if ((error = ps_bp__path(&path,
				 "/warehouse-service/order/%" PRId64
				 "/goods-note/goods-in",
				 credit_id)) < 0 ||
	    (error = ps_bp__request(&root, NULL, bp, "GET", path, NULL, 1,
				    "goods-in note get")) < 0)
		goto done;
	notes = ps_bp__response(root);
	json_object_foreach (notes, k, n) {
		if (ps_conn__json_str_opt(&ref, n, "userBatchReference", what) <
			    0 ||
		    ref == NULL || strcmp(ref, batch_ref) != 0)
			continue;
		if ((error = ps_conn__json_int_opt(&id, n, "goodsInNoteId",
						   what, 0)) < 0)
			goto done;
		if (id <= 0)
			id = strtoll(k, NULL, 10);
		*out_id = id > 0 ? id : -1;
		break;
	}
	if (*out_id == 0)
		error = PS_ENOTFOUND;
done:
	json_decref(root);
	free(path);
	return error;
}

static int
find_goods_in(int64_t *out_id, ps_bp *bp, const void *ctx)
{
	const gin_key *g = ctx;

	return ps_bp_credit_goods_in_find(out_id, bp, g->credit_id,
					  g->batch_ref);
}

int
ps_bp_credit_goods_in(int64_t *out_id, ps_bp *bp, const ps_bp_goods_in *gi)
{
	ps_bp__msg m = {0};
	json_t *body = NULL, *moved, *line;
	gin_key key = {gi->credit_id, gi->batch_ref};
	int64_t id = 0;
	size_t i;
	int error = 0;

	if (out_id != NULL)
		*out_id = 0;
	if (gi->credit_id <= 0 || gi->warehouse_id <= 0 || gi->nlines == 0 ||
	    gi->batch_ref == NULL || gi->batch_ref[0] == '\0')
		return ps_error_set(PS_EINVAL,
				    "Brightpearl goods-in: credit, "
				    "warehouse, lines and a batch reference "
				    "are required");
	body = json_pack("{s:b, s:I, s:s, s:[]}", "transfer", 0, "warehouseId",
			 (json_int_t)gi->warehouse_id, "userBatchReference",
			 gi->batch_ref, "goodsMoved");
	if (body == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	moved = json_object_get(body, "goodsMoved");
	for (i = 0; i < gi->nlines; i++) {
		const ps_bp_goods_in_line *l = &gi->lines[i];

		/* purchaseOrderRowId names the credit's row */
		line = json_pack("{s:I, s:I, s:I}", "productId",
				 (json_int_t)l->product_id,
				 "purchaseOrderRowId", (json_int_t)l->row_id,
				 "quantity", (json_int_t)l->quantity);
		if (line == NULL || json_array_append_new(moved, line) < 0) {
			error = ps_error_set(PS_ENOMEM, NULL);
			goto done;
		}
		if (gi->currency != NULL &&
		    ps_bp__set_new(line, "productValue",
				   json_pack("{s:s, s:f}", "currency",
					     gi->currency, "value",
					     (double)l->unit_value /
						     PS_MONEY_SCALE)) < 0) {
			error = ps_error_set(PS_ENOMEM, NULL);
			goto done;
		}
	}
	if ((error = ps_conn__json_set_str(body, "receivedOn", gi->received_on,
					   0)) < 0 ||
	    (error = ps_bp__path(&m.path,
				 "/warehouse-service/order/%" PRId64
				 "/goods-note/goods-in",
				 gi->credit_id)) < 0)
		goto done;
	m.method = "POST";
	m.body = body;
	body = NULL;
	/* userBatchReference is unique across goods-in notes: a repeat is
	 * refused, and resolved by looking the note up */
	m.idempotent = 1;
	m.what = "goods-in note create";
	error = ps_bp__create_recoverable(&id, NULL, bp, &m, 1, find_goods_in,
					  &key);
	if (error == 0 && out_id != NULL)
		*out_id = id;
done:
	json_decref(body);
	ps_bp__msg_dispose(&m);
	return error;
}

/* ---- batch forms -------------------------------------------------------- */

int
ps_bp_batch_payment_create(ps_bp_batch *b, const ps_bp_payment *p)
{
	ps_bp__msg m = {0};
	int error;

	if ((error = ps_bp__build_payment_create(&m, p)) < 0)
		return error;
	return ps_bp__batch_push(b, &m);
}
