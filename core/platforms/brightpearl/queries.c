/*
 * queries.c - typed Brightpearl calls the flows' polls and set-up need,
 * so that no flow knows a Brightpearl path, search column or webhook
 * body: the product, goods-out note and order searches (every page, into
 * plain structs), and registering the webhooks the flows act on.
 */
#include "internal.h"
#include "platforms/brightpearl/brightpearl_int.h"
#include "platforms/connector.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "pearlsync/brightpearl.h"

/* The callback body pearlsync registers (Brightpearl's common template). */
static const char body_template[] =
	"{\"accountCode\":\"${account-code}\","
	"\"resourceType\":\"${resource-type}\",\"id\":\"${resource-id}\","
	"\"lifecycleEvent\":\"${lifecycle-event}\","
	"\"fullEvent\":\"${full-event}\",\"raisedOn\":\"${raised-on}\"}";

int
ps_bp_webhooks_ensure(size_t *out_created, ps_bp *bp, const char *public_url,
		      const char *secret, const char *const *events, size_t n)
{
	ps_bp_webhook_list hooks = {NULL, 0, NULL};
	char url[1024];
	size_t i, j, len = strlen(public_url), created = 0;
	int error = 0, found;

	if (out_created != NULL)
		*out_created = 0;
	while (len > 0 && public_url[len - 1] == '/')
		len--;
	if ((error = ps_bp_webhook_list_get(&hooks, bp)) < 0)
		goto done;
	for (i = 0; i < n; i++) {
		ps_bp_webhook w;

		if ((size_t)snprintf(url, sizeof(url),
				     "%.*s/webhooks/brightpearl/%s/%s",
				     (int)len, public_url, secret,
				     events[i]) >= sizeof(url)) {
			error = ps_error_set(PS_ESETTING,
					     "webhooks.public_url is too long");
			goto done;
		}
		found = 0;
		for (j = 0; j < hooks.n && !found; j++)
			found = hooks.items[j].subscribe_to != NULL &&
				hooks.items[j].uri_template != NULL &&
				strcmp(hooks.items[j].subscribe_to,
				       events[i]) == 0 &&
				strcmp(hooks.items[j].uri_template, url) == 0;
		if (found)
			continue;
		memset(&w, 0, sizeof(w));
		w.subscribe_to = events[i];
		w.http_method = "POST";
		w.uri_template = url;
		w.body_template = body_template;
		w.content_type = "application/json";
		w.id_set_accepted = 1;
		w.qos = 1;
		if ((error = ps_bp_webhook_create(NULL, bp, &w)) < 0)
			goto done;
		created++;
		ps_log_info("brightpearl", "registered Brightpearl webhook %s",
			    events[i]);
	}
done:
	if (out_created != NULL)
		*out_created = created;
	ps_bp_webhook_list_dispose(&hooks);
	return error;
}

/* Search column of each bigcommerce.items.product_match_field value. */
static const char *
ps_bp__match_column(const char *field)
{
	static const char *const map[][2] = {
		{"sku", "SKU"}, {"barcode", "barcode"}, {"ean", "EAN"},
		{"upc", "UPC"}, {"isbn", "ISBN"},       {"mpn", "MPN"}};
	size_t i;

	for (i = 0; i < PS__ARRAY_LEN(map); i++)
		if (strcmp(map[i][0], field) == 0)
			return map[i][1];
	return NULL;
}

void
ps_bp_product_refs_free(ps_bp_product_ref *p, size_t n)
{
	size_t i;

	for (i = 0; p != NULL && i < n; i++)
		free(p[i].match);
	free(p);
}

int
ps_bp_products_tracked(ps_bp_product_ref **out, size_t *out_n, ps_bp *bp,
		       const char *field)
{
	const char *col = ps_bp__match_column(field);
	ps_bp_product_ref *v = NULL;
	json_t *rows = NULL, *row;
	char query[128];
	size_t i, n = 0;
	int error = 0;

	*out = NULL;
	*out_n = 0;
	if (col == NULL)
		return ps_error_set(
			PS_ESETTING,
			"bigcommerce.items.product_match_field '%s' is not "
			"a product identity field",
			field);
	snprintf(query, sizeof(query), "stockTracked=true&columns=productId,%s",
		 col);
	if ((error = ps_bp__search(&rows, bp, "/product-service/product-search",
				   query, "product search")) < 0)
		goto done;
	if ((v = calloc(json_array_size(rows) + 1, sizeof(*v))) == NULL) {
		error = ps_error_set(PS_ENOMEM, NULL);
		goto done;
	}
	json_array_foreach (rows, i, row) {
		json_t *id = json_object_get(row, "productId");
		const char *m = json_string_value(json_object_get(row, col));

		if (!json_is_integer(id) || m == NULL || m[0] == '\0')
			continue;
		v[n].id = (int64_t)json_integer_value(id);
		if ((v[n].match = ps_util__strdup(m)) == NULL) {
			error = ps_error_set(PS_ENOMEM, NULL);
			goto done;
		}
		n++;
	}
	*out = v;
	*out_n = n;
	v = NULL;
done:
	ps_bp_product_refs_free(v, n);
	json_decref(rows);
	return error;
}

/*
 * A search of path for rows whose PERIOD column `column` is at or after
 * since (ISO-8601), then `rest` ("&columns=...", more filters): every
 * page into *rows (new reference).  what names it in errors.
 */
static int
search_since(json_t **rows, ps_bp *bp, const char *path, const char *column,
	     const char *since, const char *rest, const char *what)
{
	ps_conn_buf q = PS_CONN_BUF_INIT(1024);
	int error;

	*rows = NULL;
	ps_conn__buf_addf(&q, "%s=", column);
	ps_conn__buf_add_urlenc(&q, since);
	ps_conn__buf_add(&q, "%2F");
	ps_conn__buf_add(&q, rest);
	if ((error = ps_conn__buf_check(&q, what)) == 0)
		error = ps_bp__search(rows, bp, path, ps_conn__buf_str(&q),
				      what);
	ps_conn__buf_dispose(&q);
	return error;
}

int
ps_bp_gons_shipped_since(ps_bp_gon_ref **out, size_t *out_n, ps_bp *bp,
			 const char *since)
{
	ps_bp_gon_ref *v = NULL;
	json_t *rows = NULL, *row;
	size_t i, n = 0;
	int error = 0;

	*out = NULL;
	*out_n = 0;
	if ((error = search_since(&rows, bp,
				  "/warehouse-service/goods-note/"
				  "goods-out-search",
				  "shipped=true&shippedOn", since,
				  "&columns=goodsOutNoteId,orderId,shippedOn",
				  "goods-out note search")) < 0)
		goto done;
	if ((v = calloc(json_array_size(rows) + 1, sizeof(*v))) == NULL) {
		error = ps_error_set(PS_ENOMEM, NULL);
		goto done;
	}
	json_array_foreach (rows, i, row) {
		json_t *id = json_object_get(row, "goodsOutNoteId");
		json_t *order = json_object_get(row, "orderId");
		const char *on =
			json_string_value(json_object_get(row, "shippedOn"));

		if (!json_is_integer(id) || !json_is_integer(order))
			continue;
		v[n].id = (int64_t)json_integer_value(id);
		v[n].order_id = (int64_t)json_integer_value(order);
		ps_util__strlcpy(v[n].shipped_on, on ? on : "",
				 sizeof(v[n].shipped_on));
		n++;
	}
	*out = v;
	*out_n = n;
	v = NULL;
done:
	free(v);
	json_decref(rows);
	return error;
}

int
ps_bp_gons_created_since(ps_bp_gon_row **out, size_t *out_n, ps_bp *bp,
			 const char *since)
{
	ps_bp_gon_row *v = NULL;
	json_t *rows = NULL, *row;
	size_t i, n = 0;
	int error = 0;

	*out = NULL;
	*out_n = 0;
	if ((error = search_since(&rows, bp,
				  "/warehouse-service/goods-note/"
				  "goods-out-search",
				  "createdOn", since,
				  "&columns=goodsOutNoteId,orderId,warehouseId,"
				  "shipped,createdOn",
				  "goods-out note search")) < 0)
		goto done;
	if ((v = calloc(json_array_size(rows) + 1, sizeof(*v))) == NULL) {
		error = ps_error_set(PS_ENOMEM, NULL);
		goto done;
	}
	json_array_foreach (rows, i, row) {
		json_t *id = json_object_get(row, "goodsOutNoteId");
		json_t *order = json_object_get(row, "orderId");
		json_t *wh = json_object_get(row, "warehouseId");
		const char *on =
			json_string_value(json_object_get(row, "createdOn"));

		if (!json_is_integer(id) || !json_is_integer(order))
			continue;
		v[n].id = (int64_t)json_integer_value(id);
		v[n].order_id = (int64_t)json_integer_value(order);
		v[n].warehouse_id = json_is_integer(wh)
					    ? (int64_t)json_integer_value(wh)
					    : 0;
		v[n].shipped = json_is_true(json_object_get(row, "shipped"));
		ps_util__strlcpy(v[n].created_on, on ? on : "",
				 sizeof(v[n].created_on));
		n++;
	}
	*out = v;
	*out_n = n;
	v = NULL;
done:
	free(v);
	json_decref(rows);
	return error;
}

/*
 * The order search for updatedOn >= since, and orderStatusId = status_id
 * unless it is 0 (the filter is the search's own: order-search lists
 * orderStatusId as an INTEGER filter).
 */
static int
ps_bp__orders_search(ps_bp_order_ref **out, size_t *out_n, ps_bp *bp,
		     const char *since, int64_t status_id)
{
	ps_bp_order_ref *v = NULL;
	json_t *rows = NULL, *row;
	size_t i, n = 0;
	int error = 0;
	char rest[128];

	*out = NULL;
	*out_n = 0;
	snprintf(rest, sizeof(rest),
		 "&columns=orderId,orderStatusId,updatedOn");
	if (status_id > 0)
		snprintf(rest + strlen(rest), sizeof(rest) - strlen(rest),
			 "&orderStatusId=%" PRId64, status_id);
	if ((error = search_since(&rows, bp, "/order-service/order-search",
				  "updatedOn", since, rest, "order search")) <
	    0)
		goto done;
	if ((v = calloc(json_array_size(rows) + 1, sizeof(*v))) == NULL) {
		error = ps_error_set(PS_ENOMEM, NULL);
		goto done;
	}
	json_array_foreach (rows, i, row) {
		json_t *id = json_object_get(row, "orderId");
		json_t *status = json_object_get(row, "orderStatusId");
		const char *on =
			json_string_value(json_object_get(row, "updatedOn"));

		if (!json_is_integer(id))
			continue;
		v[n].id = (int64_t)json_integer_value(id);
		v[n].status_id = json_is_integer(status)
					 ? (int64_t)json_integer_value(status)
					 : 0;
		ps_util__strlcpy(v[n].updated_on, on ? on : "",
				 sizeof(v[n].updated_on));
		n++;
	}
	*out = v;
	*out_n = n;
	v = NULL;
done:
	free(v);
	json_decref(rows);
	return error;
}

int
ps_bp_orders_updated_since(ps_bp_order_ref **out, size_t *out_n, ps_bp *bp,
			   const char *since)
{
	return ps_bp__orders_search(out, out_n, bp, since, 0);
}

int
ps_bp_orders_at_status_since(ps_bp_order_ref **out, size_t *out_n, ps_bp *bp,
			     const char *since, int64_t status_id)
{
	*out = NULL;
	*out_n = 0;
	if (status_id <= 0)
		return ps_error_set(PS_EINVAL,
				    "order search: status id %" PRId64
				    " is not a Brightpearl status",
				    status_id);
	return ps_bp__orders_search(out, out_n, bp, since, status_id);
}

void
ps_bp_note_rows_free(ps_bp_note_row *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i].text);
	free(v);
}

/*
 * Notes by the date they were added: the order-note search (columns
 * noteId, orderId, noteText, dateAdded; sorted by noteId), so an idle
 * poll costs one request where reading each order's notes cost one per
 * order.
 */
int
ps_bp_notes_added_since(ps_bp_note_row **out, size_t *out_n, ps_bp *bp,
			const char *since)
{
	ps_bp_note_row *v = NULL;
	json_t *rows = NULL, *row;
	size_t i, n = 0;
	int error = 0;

	*out = NULL;
	*out_n = 0;
	if ((error = search_since(&rows, bp, "/order-service/order-note-search",
				  "dateAdded", since,
				  "&columns=noteId,orderId,noteText,dateAdded"
				  "&sort=noteId.ASC",
				  "order note search")) < 0)
		goto done;
	if ((v = calloc(json_array_size(rows) + 1, sizeof(*v))) == NULL) {
		error = ps_error_set(PS_ENOMEM, NULL);
		goto done;
	}
	json_array_foreach (rows, i, row) {
		json_t *id = json_object_get(row, "noteId");
		json_t *order = json_object_get(row, "orderId");
		const char *text =
			json_string_value(json_object_get(row, "noteText"));
		const char *on =
			json_string_value(json_object_get(row, "dateAdded"));

		if (!json_is_integer(id) || !json_is_integer(order))
			continue;
		if ((v[n].text = ps_util__strdup(text ? text : "")) == NULL) {
			error = ps_error_set(PS_ENOMEM, NULL);
			goto done;
		}
		v[n].id = (int64_t)json_integer_value(id);
		v[n].order_id = (int64_t)json_integer_value(order);
		ps_util__strlcpy(v[n].added_on, on ? on : "",
				 sizeof(v[n].added_on));
		n++;
	}
	*out = v;
	*out_n = n;
	v = NULL;
done:
	ps_bp_note_rows_free(v, n);
	json_decref(rows);
	return error;
}

int
ps_bp_orders_created_since(ps_bp_order_claim **out, size_t *out_n, ps_bp *bp,
			   const char *since)
{
	ps_bp_order_claim *v = NULL;
	json_t *rows = NULL, *row;
	size_t i, n = 0;
	int error = 0;

	*out = NULL;
	*out_n = 0;
	/* order-search lists createdOn (PERIOD), externalRef and
	 * installedIntegrationInstanceId among its columns (section 7.7) */
	if ((error = search_since(&rows, bp, "/order-service/order-search",
				  "createdOn", since,
				  "&columns=orderId,orderTypeId,externalRef,"
				  "installedIntegrationInstanceId,createdOn",
				  "order search")) < 0)
		goto done;
	if ((v = calloc(json_array_size(rows) + 1, sizeof(*v))) == NULL) {
		error = ps_error_set(PS_ENOMEM, NULL);
		goto done;
	}
	json_array_foreach (rows, i, row) {
		json_t *id = json_object_get(row, "orderId");
		json_t *type = json_object_get(row, "orderTypeId");
		json_t *inst =
			json_object_get(row, "installedIntegrationInstanceId");
		const char *ref =
			json_string_value(json_object_get(row, "externalRef"));
		const char *on =
			json_string_value(json_object_get(row, "createdOn"));

		if (!json_is_integer(id))
			continue;
		v[n].id = (int64_t)json_integer_value(id);
		v[n].type_id = json_is_integer(type)
				       ? (int64_t)json_integer_value(type)
				       : 0;
		v[n].instance_id = json_is_integer(inst)
					   ? (int64_t)json_integer_value(inst)
					   : 0;
		ps_util__strlcpy(v[n].external_ref, ref ? ref : "",
				 sizeof(v[n].external_ref));
		ps_util__strlcpy(v[n].created_on, on ? on : "",
				 sizeof(v[n].created_on));
		n++;
	}
	*out = v;
	*out_n = n;
	v = NULL;
done:
	free(v);
	json_decref(rows);
	return error;
}

static int
change_cmp(const void *a, const void *b)
{
	const ps_bp_product_change *x = a, *y = b;
	int c = strcmp(x->updated_on, y->updated_on);

	if (c != 0)
		return c;
	return (x->id > y->id) - (x->id < y->id);
}

int
ps_bp_products_changed(ps_bp_product_change **out, size_t *out_n, ps_bp *bp,
		       const char *since)
{
	ps_bp_product_change *v = NULL;
	json_t *rows = NULL, *row;
	size_t i, n = 0;
	int error;

	*out = NULL;
	*out_n = 0;
	if ((error = search_since(&rows, bp, "/product-service/product-search",
				  "updatedOn", since,
				  "&columns=productId,productGroupId,updatedOn",
				  "product search by updatedOn")) < 0)
		goto done;
	if ((v = calloc(json_array_size(rows) + 1, sizeof(*v))) == NULL) {
		error = ps_error_set(PS_ENOMEM, NULL);
		goto done;
	}
	json_array_foreach (rows, i, row) {
		json_t *id = json_object_get(row, "productId");
		json_t *group = json_object_get(row, "productGroupId");
		const char *on =
			json_string_value(json_object_get(row, "updatedOn"));

		if (!json_is_integer(id) || on == NULL)
			continue;
		v[n].id = (int64_t)json_integer_value(id);
		v[n].group_id =
			json_is_integer(group) ? json_integer_value(group) : 0;
		ps_util__strlcpy(v[n].updated_on, on, sizeof(v[n].updated_on));
		n++;
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), change_cmp);
	*out = v;
	*out_n = n;
	v = NULL;
done:
	free(v);
	json_decref(rows);
	return error;
}

static int
id_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

int
ps_bp_product_group_ids(int64_t **out, size_t *out_n, ps_bp *bp,
			int64_t group_id)
{
	json_t *rows = NULL, *row;
	int64_t *v = NULL;
	char query[96];
	size_t i, n = 0;
	int error;

	*out = NULL;
	*out_n = 0;
	snprintf(query, sizeof(query),
		 "productGroupId=%lld&columns=productId,productGroupId",
		 (long long)group_id);
	if ((error = ps_bp__search(&rows, bp, "/product-service/product-search",
				   query, "product search by group")) < 0)
		goto done;
	if ((v = calloc(json_array_size(rows) + 1, sizeof(*v))) == NULL) {
		error = ps_error_set(PS_ENOMEM, NULL);
		goto done;
	}
	json_array_foreach (rows, i, row) {
		json_t *id = json_object_get(row, "productId");

		if (json_is_integer(id))
			v[n++] = (int64_t)json_integer_value(id);
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), id_cmp);
	*out = v;
	*out_n = n;
	v = NULL;
done:
	free(v);
	json_decref(rows);
	return error;
}
