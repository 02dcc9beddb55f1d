/*
 * taxes.c - BigCommerce order taxes: GET /v2/orders/{id}/taxes?details=true,
 * one order at a time or the first pages of several at once, and the tax
 * class of a line or fee from them.
 *
 * Shape: orders.v2.oas2.yml, orderTaxes_Base.  tax_class_id is nullable
 * (automatic tax); order_product_id and line_item_type come only with
 * details=true, order_product_id documented as a string and null for
 * shipping and gift wrapping, so an integer, a string of digits and null
 * are all taken.
 */
#include "pearlsync/bigcommerce.h"
#include "platforms/bigcommerce/bigcommerce_int.h"
#include "platforms/connector.h"
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

/* Reads several orders' first pages at once, as payments.c does. */
#define BC_TAX_PARALLEL 4

static const struct ps_bc__field tax_fields[] = {
	FLD(ps_bc_order_tax, "id", id, BK_I64, 1),
	FLD(ps_bc_order_tax, "order_address_id", order_address_id, BK_I64, 0),
	FLD(ps_bc_order_tax, "name", name, BK_STR, 0),
	FLD(ps_bc_order_tax, "class", class_name, BK_STR, 0),
	FLD(ps_bc_order_tax, "line_item_type", line_item_type, BK_STR, 0),
	FLD(ps_bc_order_tax, "rate", rate, BK_MONEY, 0),
	FLD(ps_bc_order_tax, "line_amount", line_amount, BK_MONEY, 0),
};

int
ps_bc__class_id(int64_t *out, const json_t *obj, const char *name,
		const char *what)
{
	const json_t *v = json_object_get(obj, name);

	*out = -1;
	if (v == NULL || json_is_null(v))
		return 0;
	return ps_conn__json_int_value(out, v, name, what);
}

static void
tax_dispose(void *t)
{
	FIELDS_FREE(t, tax_fields);
}

static int
tax_row(void *item, const json_t *row, void *ctx)
{
	ps_bc_order_tax *t = item;
	const json_t *line = json_object_get(row, "order_product_id");
	char what[96];
	int error;

	snprintf(what, sizeof(what), "BigCommerce order %lld tax %lld",
		 *(const long long *)ctx, ps_bc__peek_id(row, "id"));
	if ((error = FIELDS_PARSE(t, tax_fields, row, what)) < 0)
		return error;
	if ((error = ps_bc__class_id(&t->tax_class_id, row, "tax_class_id",
				     what)) < 0)
		goto fail;
	t->order_product_id = 0;
	if (line != NULL && !json_is_null(line) &&
	    !(json_is_string(line) && json_string_length(line) == 0) &&
	    (error = ps_conn__json_int_value(&t->order_product_id, line,
					     "order_product_id", what)) < 0)
		goto fail;
	return 0;
fail:
	tax_dispose(t);
	return error;
}

void
ps_bc_order_tax_list_dispose(ps_bc_order_tax_list *l)
{
	if (l == NULL)
		return;
	ps_bc__items_dispose(l->items, l->count, sizeof(*l->items),
			     tax_dispose);
	memset(l, 0, sizeof(*l));
}

int
ps_bc_order_taxes_list(ps_bc_order_tax_list *out, ps_bc *bc, int64_t order_id)
{
	struct ps_bc__vec v = {NULL, 0, 0, sizeof(ps_bc_order_tax)};
	long long lid = (long long)order_id;
	char path[80], what[80];
	int error;

	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "/v2/orders/%lld/taxes?details=true", lid);
	snprintf(what, sizeof(what), "reading the taxes of order %lld", lid);
	error = ps_bc__walk(bc, &v, path, "v2/orders/{id}/taxes", what, 0,
			    tax_row, &lid, 0);
	if (error < 0) {
		ps_bc__vec_dispose(&v, tax_dispose);
		return error;
	}
	out->items = v.items;
	out->count = v.count;
	return 0;
}

/*
 * The one page of taxes in resp, when it is the whole list: 1 with *out
 * filled, 0 when it is not (a full page, not JSON, an error status: the
 * caller reads the list the ordinary way), or an error (memory).
 */
static int
tax_page(ps_bc_order_tax_list *out, ps_bc *bc, const ps_http_response *resp,
	 int64_t order_id)
{
	struct ps_bc__vec v = {NULL, 0, 0, sizeof(ps_bc_order_tax)};
	long long lid = (long long)order_id;
	json_t *root = NULL;
	size_t i;
	int error = 0;

	if (resp->status == 204 ||
	    (resp->status >= 200 && resp->status < 300 && resp->body_len == 0))
		return 1; /* no taxes */
	if (resp->status < 200 || resp->status > 299)
		return 0;
	if (ps_http_response_json(&root, resp, PS_PLATFORM_BIGCOMMERCE) < 0) {
		ps_error_clear();
		return 0;
	}
	if (!json_is_array(root) ||
	    json_array_size(root) >= (size_t)bc->page_limit)
		goto done; /* 0: maybe another page */
	for (i = 0; i < json_array_size(root); i++) {
		void *slot = ps_bc__vec_push(&v);

		if (slot == NULL) {
			error = ps_error_set(PS_ENOMEM, NULL);
			goto done;
		}
		if (tax_row(slot, json_array_get(root, i), &lid) < 0) {
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
	ps_bc__vec_dispose(&v, tax_dispose);
	json_decref(root);
	return error;
}

int
ps_bc_order_taxes_list_many(ps_bc_order_tax_list *outs, ps_bc *bc,
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
					  "/v2/orders/%lld/taxes?details=true"
					  "&limit=%d&page=1",
					  (long long)ids[i], bc->page_limit);
			if ((error = ps_conn__buf_check(
				     &urls[i], "a BigCommerce list URL")) < 0)
				goto done;
			reqs[i].platform = PS_PLATFORM_BIGCOMMERCE;
			reqs[i].account = bc->hash;
			reqs[i].method = "GET";
			reqs[i].url = urls[i].data;
			reqs[i].endpoint = "v2/orders/{id}/taxes";
			reqs[i].headers = headers;
			reqs[i].idempotent = 1;
		}
		if (ps_http_send_many(resps, errs, bc->http, reqs, n,
				      BC_TAX_PARALLEL) < 0)
			ps_error_clear(); /* each is read again below */
	}
	for (i = 0; i < n; i++) {
		got = 0;
		if (many && errs[i] == 0 &&
		    (got = tax_page(&outs[i], bc, &resps[i], ids[i])) < 0) {
			error = got;
			goto done;
		}
		if (got == 0 &&
		    (error = ps_bc_order_taxes_list(&outs[i], bc, ids[i])) < 0)
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
			ps_bc_order_tax_list_dispose(&outs[i]);
	return error;
}

int64_t
ps_bc_order_taxes_class(const ps_bc_order_tax_list *l, const char *type,
			int64_t line, int *mixed)
{
	int64_t found = -1;
	size_t i;

	if (mixed != NULL)
		*mixed = 0;
	for (i = 0; l != NULL && i < l->count; i++) {
		const ps_bc_order_tax *t = &l->items[i];

		if (t->tax_class_id < 0 || strcmp(t->line_item_type, type) != 0)
			continue;
		if (line != 0 && t->order_product_id != line)
			continue;
		if (found >= 0 && found != t->tax_class_id) {
			if (mixed != NULL)
				*mixed = 1;
			return -1;
		}
		found = t->tax_class_id;
	}
	return found;
}
