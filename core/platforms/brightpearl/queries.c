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

/* The references read so far by ps_bp_products_tracked. */
struct refs_acc {
	ps_bp_product_ref *v;
	size_t n, cap;
	const char *col;
};

/* One search page's rows into compact references (id and match value). */
static int
refs_page(void *ctx, json_t *rows)
{
	struct refs_acc *a = ctx;
	json_t *row;
	size_t i;

	json_array_foreach (rows, i, row) {
		json_t *id = json_object_get(row, "productId");
		const char *m = json_string_value(json_object_get(row, a->col));

		if (!json_is_integer(id) || m == NULL || m[0] == '\0')
			continue;
		if (a->n == a->cap) {
			size_t cap = a->cap ? a->cap * 2 : 512;
			ps_bp_product_ref *v = realloc(a->v, cap * sizeof(*v));

			if (v == NULL)
				return ps_error_set(PS_ENOMEM, NULL);
			a->v = v;
			a->cap = cap;
		}
		a->v[a->n].id = (int64_t)json_integer_value(id);
		if ((a->v[a->n].match = ps_util__strdup(m)) == NULL)
			return ps_error_set(PS_ENOMEM, NULL);
		a->n++;
	}
	return 0;
}

/*
 * Page by page into compact references: 20,000 products never sit in
 * memory as search rows, only one page of them (pageSize) at a time.
 */
int
ps_bp_products_tracked(ps_bp_product_ref **out, size_t *out_n, ps_bp *bp,
		       const char *field)
{
	struct refs_acc a = {NULL, 0, 0, NULL};
	char query[128];
	int error;

	*out = NULL;
	*out_n = 0;
	if ((a.col = ps_bp__match_column(field)) == NULL)
		return ps_error_set(
			PS_ESETTING,
			"bigcommerce.items.product_match_field '%s' is not "
			"a product identity field",
			field);
	snprintf(query, sizeof(query), "stockTracked=true&columns=productId,%s",
		 a.col);
	if ((error = ps_bp__search_each(bp, "/product-service/product-search",
					query, "product search", 0, refs_page,
					&a)) < 0) {
		ps_bp_product_refs_free(a.v, a.n);
		return error;
	}
	if (a.v == NULL && (a.v = calloc(1, sizeof(*a.v))) == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	if (a.n > 0 && a.n < a.cap) { /* the doubling's slack back */
		ps_bp_product_ref *v = realloc(a.v, a.n * sizeof(*v));

		if (v != NULL)
			a.v = v;
	}
	*out = a.v;
	*out_n = a.n;
	return 0;
}

/*
 * Reads one search row into item: 1 when taken, 0 to pass the row over
 * (it lacks what the caller needs), or a PS_E* code.
 */
typedef int (*row_fn)(void *item, const json_t *row);

/* What take_page gathers across the pages of one search. */
struct take_ctx {
	char *v; /* the items taken, n of cap (calloc'd and zeroed) */
	size_t n, cap, size;
	row_fn fn;
};

/*
 * A page of a search_take: its rows become items as the page arrives, so
 * a search over a large account holds one page's tree and the compact
 * items, not every page's tree at once.  The array stays zeroed past the
 * last item.
 */
static int
take_page(void *ctx, json_t *rows)
{
	struct take_ctx *t = ctx;
	size_t i, need = t->n + json_array_size(rows) + 1;
	int r;

	if (need > t->cap) {
		size_t cap = t->cap ? t->cap : 64;
		char *grown;

		while (cap < need)
			cap *= 2;
		if ((grown = realloc(t->v, cap * t->size)) == NULL)
			return ps_error_set(PS_ENOMEM, NULL);
		memset(grown + t->cap * t->size, 0, (cap - t->cap) * t->size);
		t->v = grown;
		t->cap = cap;
	}
	for (i = 0; i < json_array_size(rows); i++) {
		if ((r = t->fn(t->v + t->n * t->size,
			       json_array_get(rows, i))) < 0)
			return r;
		if (r > 0)
			t->n++;
	}
	return 0;
}

/*
 * search_take - the search of path for rows whose column is at or after
 * since (plus rest, already encoded), each row read by fn into an array
 * of size-byte items: *out (zeroed past the last) and *out_n.  What
 * every "since" reader below does.  *out stays NULL on an error (items
 * with owned strings pass dispose; NULL: free).
 */
static int
search_take(void **out, size_t *out_n, ps_bp *bp, const char *path,
	    const char *column, const char *since, const char *rest,
	    const char *what, size_t size, row_fn fn,
	    void (*dispose)(void *v, size_t n))
{
	ps_conn_buf q = PS_CONN_BUF_INIT(1024);
	struct take_ctx t = {NULL, 0, 0, size, fn};
	int error;

	*out = NULL;
	*out_n = 0;
	ps_conn__buf_addf(&q, "%s=", column);
	ps_conn__buf_add_urlenc(&q, since);
	ps_conn__buf_add(&q, "%2F");
	ps_conn__buf_add(&q, rest);
	if ((error = ps_conn__buf_check(&q, what)) == 0 &&
	    (t.v = calloc(1, size)) == NULL)
		error = ps_error_set(PS_ENOMEM, NULL);
	if (error == 0) {
		t.cap = 1;
		error = ps_bp__search_each(bp, path, ps_conn__buf_str(&q), what,
					   PS__BP_SEARCH_MAX_ROWS, take_page,
					   &t);
	}
	ps_conn__buf_dispose(&q);
	if (error == 0) {
		*out = t.v;
		*out_n = t.n;
		return 0;
	}
	if (dispose != NULL)
		dispose(t.v, t.n);
	else
		free(t.v);
	return error;
}

/* A string column into a fixed buffer ("" when absent). */
static void
str_col(char *dst, size_t cap, const json_t *row, const char *col)
{
	const char *s = json_string_value(json_object_get(row, col));

	ps_util__strlcpy(dst, s ? s : "", cap);
}

/* An integer column, 0 when absent or not an integer. */
static int64_t
int_col(const json_t *row, const char *col)
{
	const json_t *v = json_object_get(row, col);

	return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

/* Both columns present and integers. */
static int
has_ints(const json_t *row, const char *a, const char *b)
{
	return json_is_integer(json_object_get(row, a)) &&
	       (b == NULL || json_is_integer(json_object_get(row, b)));
}

static int
gon_ref_row(void *item, const json_t *row)
{
	ps_bp_gon_ref *g = item;

	if (!has_ints(row, "goodsOutNoteId", "orderId"))
		return 0;
	g->id = int_col(row, "goodsOutNoteId");
	g->order_id = int_col(row, "orderId");
	str_col(g->shipped_on, sizeof(g->shipped_on), row, "shippedOn");
	return 1;
}

int
ps_bp_gons_shipped_since(ps_bp_gon_ref **out, size_t *out_n, ps_bp *bp,
			 const char *since)
{
	return search_take((void **)out, out_n, bp,
			   "/warehouse-service/goods-note/goods-out-search",
			   "shipped=true&shippedOn", since,
			   "&columns=goodsOutNoteId,orderId,shippedOn",
			   "goods-out note search", sizeof(**out), gon_ref_row,
			   NULL);
}

static int
gon_row(void *item, const json_t *row)
{
	ps_bp_gon_row *g = item;

	if (!has_ints(row, "goodsOutNoteId", "orderId"))
		return 0;
	g->id = int_col(row, "goodsOutNoteId");
	g->order_id = int_col(row, "orderId");
	g->warehouse_id = int_col(row, "warehouseId");
	g->shipped = json_is_true(json_object_get(row, "shipped"));
	str_col(g->created_on, sizeof(g->created_on), row, "createdOn");
	return 1;
}

int
ps_bp_gons_created_since(ps_bp_gon_row **out, size_t *out_n, ps_bp *bp,
			 const char *since)
{
	return search_take((void **)out, out_n, bp,
			   "/warehouse-service/goods-note/goods-out-search",
			   "createdOn", since,
			   "&columns=goodsOutNoteId,orderId,warehouseId,"
			   "shipped,createdOn",
			   "goods-out note search", sizeof(**out), gon_row,
			   NULL);
}

static int
order_ref_row(void *item, const json_t *row)
{
	ps_bp_order_ref *o = item;

	if (!has_ints(row, "orderId", NULL))
		return 0;
	o->id = int_col(row, "orderId");
	o->status_id = int_col(row, "orderStatusId");
	str_col(o->updated_on, sizeof(o->updated_on), row, "updatedOn");
	return 1;
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
	char rest[128];

	snprintf(rest, sizeof(rest),
		 "&columns=orderId,orderStatusId,updatedOn");
	if (status_id > 0)
		snprintf(rest + strlen(rest), sizeof(rest) - strlen(rest),
			 "&orderStatusId=%" PRId64, status_id);
	return search_take((void **)out, out_n, bp,
			   "/order-service/order-search", "updatedOn", since,
			   rest, "order search", sizeof(**out), order_ref_row,
			   NULL);
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

static void
note_rows_dispose(void *v, size_t n)
{
	ps_bp_note_rows_free(v, n);
}

static int
note_row(void *item, const json_t *row)
{
	ps_bp_note_row *r = item;
	const char *text = json_string_value(json_object_get(row, "noteText"));

	if (!has_ints(row, "noteId", "orderId"))
		return 0;
	if ((r->text = ps_util__strdup(text ? text : "")) == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	r->id = int_col(row, "noteId");
	r->order_id = int_col(row, "orderId");
	str_col(r->added_on, sizeof(r->added_on), row, "dateAdded");
	return 1;
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
	return search_take((void **)out, out_n, bp,
			   "/order-service/order-note-search", "dateAdded",
			   since,
			   "&columns=noteId,orderId,noteText,dateAdded"
			   "&sort=noteId.ASC",
			   "order note search", sizeof(**out), note_row,
			   note_rows_dispose);
}

static int
claim_row(void *item, const json_t *row)
{
	ps_bp_order_claim *c = item;

	if (!has_ints(row, "orderId", NULL))
		return 0;
	c->id = int_col(row, "orderId");
	c->type_id = int_col(row, "orderTypeId");
	c->instance_id = int_col(row, "installedIntegrationInstanceId");
	str_col(c->external_ref, sizeof(c->external_ref), row, "externalRef");
	str_col(c->created_on, sizeof(c->created_on), row, "createdOn");
	return 1;
}

int
ps_bp_orders_created_since(ps_bp_order_claim **out, size_t *out_n, ps_bp *bp,
			   const char *since)
{
	/* order-search lists createdOn (PERIOD), externalRef and
	 * installedIntegrationInstanceId among its columns (section 7.7) */
	return search_take((void **)out, out_n, bp,
			   "/order-service/order-search", "createdOn", since,
			   "&columns=orderId,orderTypeId,externalRef,"
			   "installedIntegrationInstanceId,createdOn",
			   "order search", sizeof(**out), claim_row, NULL);
}

static int
change_row(void *item, const json_t *row)
{
	ps_bp_product_change *c = item;

	if (!has_ints(row, "productId", NULL) ||
	    !json_is_string(json_object_get(row, "updatedOn")))
		return 0;
	c->id = int_col(row, "productId");
	c->group_id = int_col(row, "productGroupId");
	str_col(c->updated_on, sizeof(c->updated_on), row, "updatedOn");
	return 1;
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
	int error = search_take(
		(void **)out, out_n, bp, "/product-service/product-search",
		"updatedOn", since,
		"&columns=productId,productGroupId,"
		"updatedOn",
		"product search by updatedOn", sizeof(**out), change_row, NULL);

	if (error == 0 && *out_n > 1)
		qsort(*out, *out_n, sizeof(**out), change_cmp);
	return error;
}

static int
id_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static int
id_row(void *item, const json_t *row)
{
	if (!has_ints(row, "productId", NULL))
		return 0;
	*(int64_t *)item = int_col(row, "productId");
	return 1;
}

int
ps_bp_product_group_ids(int64_t **out, size_t *out_n, ps_bp *bp,
			int64_t group_id)
{
	struct take_ctx t = {NULL, 0, 0, sizeof(**out), id_row};
	char query[96];
	int error;

	*out = NULL;
	*out_n = 0;
	snprintf(query, sizeof(query),
		 "productGroupId=%lld&columns=productId,productGroupId",
		 (long long)group_id);
	if ((t.v = calloc(1, t.size)) == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	t.cap = 1;
	if ((error = ps_bp__search_each(bp, "/product-service/product-search",
					query, "product search by group",
					PS__BP_SEARCH_MAX_ROWS, take_page,
					&t)) == 0) {
		if (t.n > 1)
			qsort(t.v, t.n, sizeof(**out), id_cmp);
		*out = (int64_t *)(void *)t.v;
		*out_n = t.n;
		t.v = NULL;
	}
	free(t.v);
	return error;
}
