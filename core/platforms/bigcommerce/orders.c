/*
 * orders.c - BigCommerce orders: list (by query or modified time), read one
 * or many with their products and shipping addresses, status and note
 * updates, and the order-status list.
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

/* --- orders --------------------------------------------------------------- */

static const struct ps_bc__field address_fields[] = {
	FLD(ps_bc_address, "first_name", first_name, BK_STR, 0),
	FLD(ps_bc_address, "last_name", last_name, BK_STR, 0),
	FLD(ps_bc_address, "company", company, BK_STR, 0),
	FLD(ps_bc_address, "street_1", street_1, BK_STR, 0),
	FLD(ps_bc_address, "street_2", street_2, BK_STR, 0),
	FLD(ps_bc_address, "city", city, BK_STR, 0),
	FLD(ps_bc_address, "state", state, BK_STR, 0),
	FLD(ps_bc_address, "zip", zip, BK_STR, 0),
	FLD(ps_bc_address, "country", country, BK_STR, 0),
	FLD(ps_bc_address, "country_iso2", country_iso2, BK_STR, 0),
	FLD(ps_bc_address, "phone", phone, BK_STR, 0),
	FLD(ps_bc_address, "email", email, BK_STR, 0),
};

static const struct ps_bc__field order_fields[] = {
	FLD(ps_bc_order, "id", id, BK_I64, 1),
	FLD(ps_bc_order, "customer_id", customer_id, BK_I64, 0),
	FLD(ps_bc_order, "channel_id", channel_id, BK_I64, 0),
	FLD(ps_bc_order, "status_id", status_id, BK_INT, 1),
	FLD(ps_bc_order, "status", status, BK_STR, 0),
	FLD(ps_bc_order, "date_created", date_created, BK_RFC2822, 1),
	FLD(ps_bc_order, "date_modified", date_modified, BK_RFC2822, 1),
	FLD(ps_bc_order, "date_shipped", date_shipped, BK_RFC2822, 0),
	FLD(ps_bc_order, "subtotal_ex_tax", subtotal_ex_tax, BK_MONEY, 1),
	FLD(ps_bc_order, "subtotal_inc_tax", subtotal_inc_tax, BK_MONEY, 1),
	FLD(ps_bc_order, "subtotal_tax", subtotal_tax, BK_MONEY, 0),
	FLD(ps_bc_order, "shipping_cost_ex_tax", shipping_cost_ex_tax, BK_MONEY,
	    0),
	FLD(ps_bc_order, "shipping_cost_inc_tax", shipping_cost_inc_tax,
	    BK_MONEY, 0),
	FLD(ps_bc_order, "shipping_cost_tax", shipping_cost_tax, BK_MONEY, 0),
	FLD(ps_bc_order, "handling_cost_ex_tax", handling_cost_ex_tax, BK_MONEY,
	    0),
	FLD(ps_bc_order, "handling_cost_inc_tax", handling_cost_inc_tax,
	    BK_MONEY, 0),
	FLD(ps_bc_order, "wrapping_cost_ex_tax", wrapping_cost_ex_tax, BK_MONEY,
	    0),
	FLD(ps_bc_order, "wrapping_cost_inc_tax", wrapping_cost_inc_tax,
	    BK_MONEY, 0),
	FLD(ps_bc_order, "total_ex_tax", total_ex_tax, BK_MONEY, 1),
	FLD(ps_bc_order, "total_inc_tax", total_inc_tax, BK_MONEY, 1),
	FLD(ps_bc_order, "total_tax", total_tax, BK_MONEY, 0),
	FLD(ps_bc_order, "discount_amount", discount_amount, BK_MONEY, 0),
	FLD(ps_bc_order, "coupon_discount", coupon_discount, BK_MONEY, 0),
	FLD(ps_bc_order, "store_credit_amount", store_credit_amount, BK_MONEY,
	    0),
	FLD(ps_bc_order, "gift_certificate_amount", gift_certificate_amount,
	    BK_MONEY, 0),
	FLD(ps_bc_order, "refunded_amount", refunded_amount, BK_MONEY, 0),
	FLD(ps_bc_order, "is_tax_inclusive_pricing", is_tax_inclusive_pricing,
	    BK_BOOL, 0),
	FLD(ps_bc_order, "is_deleted", is_deleted, BK_BOOL, 0),
	FLD(ps_bc_order, "items_total", items_total, BK_I64, 0),
	FLD(ps_bc_order, "items_shipped", items_shipped, BK_I64, 0),
	FLD(ps_bc_order, "currency_code", currency_code, BK_STR, 0),
	FLD(ps_bc_order, "default_currency_code", default_currency_code, BK_STR,
	    0),
	FLD(ps_bc_order, "payment_method", payment_method, BK_STR, 0),
	FLD(ps_bc_order, "payment_status", payment_status, BK_STR, 0),
	FLD(ps_bc_order, "payment_provider_id", payment_provider_id, BK_STR, 0),
	FLD(ps_bc_order, "customer_message", customer_message, BK_STR, 0),
	FLD(ps_bc_order, "staff_notes", staff_notes, BK_STR, 0),
	FLD(ps_bc_order, "order_source", order_source, BK_STR, 0),
	FLD(ps_bc_order, "external_source", external_source, BK_STR, 0),
	FLD(ps_bc_order, "external_id", external_id, BK_STR, 0),
};

static const struct ps_bc__field product_fields[] = {
	FLD(ps_bc_order_product, "id", id, BK_I64, 1),
	FLD(ps_bc_order_product, "order_id", order_id, BK_I64, 0),
	FLD(ps_bc_order_product, "product_id", product_id, BK_I64, 0),
	FLD(ps_bc_order_product, "variant_id", variant_id, BK_I64, 0),
	FLD(ps_bc_order_product, "order_address_id", order_address_id, BK_I64,
	    0),
	FLD(ps_bc_order_product, "sku", sku, BK_STR, 0),
	FLD(ps_bc_order_product, "upc", upc, BK_STR, 0),
	FLD(ps_bc_order_product, "name", name, BK_STR, 0),
	FLD(ps_bc_order_product, "type", type, BK_STR, 0),
	FLD(ps_bc_order_product, "quantity", quantity, BK_I64, 1),
	FLD(ps_bc_order_product, "quantity_shipped", quantity_shipped, BK_I64,
	    0),
	FLD(ps_bc_order_product, "quantity_refunded", quantity_refunded, BK_I64,
	    0),
	FLD(ps_bc_order_product, "price_ex_tax", price_ex_tax, BK_MONEY, 1),
	FLD(ps_bc_order_product, "price_inc_tax", price_inc_tax, BK_MONEY, 1),
	FLD(ps_bc_order_product, "price_tax", price_tax, BK_MONEY, 0),
	FLD(ps_bc_order_product, "total_ex_tax", total_ex_tax, BK_MONEY, 0),
	FLD(ps_bc_order_product, "total_inc_tax", total_inc_tax, BK_MONEY, 0),
	FLD(ps_bc_order_product, "total_tax", total_tax, BK_MONEY, 0),
	FLD(ps_bc_order_product, "parent_order_product_id",
	    parent_order_product_id, BK_I64, 0),
};

static const struct ps_bc__field shipaddr_fields[] = {
	FLD(ps_bc_shipping_address, "id", id, BK_I64, 1),
	FLD(ps_bc_shipping_address, "shipping_method", shipping_method, BK_STR,
	    0),
	FLD(ps_bc_shipping_address, "cost_ex_tax", cost_ex_tax, BK_MONEY, 0),
	FLD(ps_bc_shipping_address, "cost_inc_tax", cost_inc_tax, BK_MONEY, 0),
	FLD(ps_bc_shipping_address, "cost_tax", cost_tax, BK_MONEY, 0),
	FLD(ps_bc_shipping_address, "items_total", items_total, BK_I64, 0),
	FLD(ps_bc_shipping_address, "items_shipped", items_shipped, BK_I64, 0),
};

static void
address_dispose(ps_bc_address *a)
{
	FIELDS_FREE(a, address_fields);
}

/* An address member of obj; absent or null gives empty strings. */
static int
address_parse(ps_bc_address *a, const json_t *obj, const char *what)
{
	json_t *empty = NULL;
	int error;

	if (obj == NULL || json_is_null(obj))
		obj = empty = json_object();
	if (obj == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	error = FIELDS_PARSE(a, address_fields, obj, what);
	json_decref(empty);
	return error;
}

static void
product_dispose(void *p)
{
	FIELDS_FREE(p, product_fields);
}

static void
shipaddr_dispose(void *p)
{
	ps_bc_shipping_address *s = p;

	FIELDS_FREE(s, shipaddr_fields);
	address_dispose(&s->address);
}

void
ps_bc_order_dispose(ps_bc_order *o)
{
	size_t i;

	if (o == NULL)
		return;
	if (o->strings != NULL) { /* compacted: one block holds them all */
		free(o->strings);
		free(o->products);
		free(o->shipping_addresses);
		memset(o, 0, sizeof(*o));
		return;
	}
	FIELDS_FREE(o, order_fields);
	address_dispose(&o->billing_address);
	for (i = 0; i < o->nproducts; i++)
		product_dispose(&o->products[i]);
	free(o->products);
	for (i = 0; i < o->nshipping_addresses; i++)
		shipaddr_dispose(&o->shipping_addresses[i]);
	free(o->shipping_addresses);
	memset(o, 0, sizeof(*o));
}

static void
order_dispose_v(void *o)
{
	ps_bc_order_dispose(o);
}

static void
problem_dispose_v(void *p)
{
	free(((ps_bc_order_problem *)p)->reason);
}

void
ps_bc_order_list_dispose(ps_bc_order_list *l)
{
	if (l == NULL)
		return;
	ps_bc__items_dispose(l->items, l->count, sizeof(*l->items),
			     order_dispose_v);
	ps_bc__items_dispose(l->bad, l->nbad, sizeof(*l->bad),
			     problem_dispose_v);
	memset(l, 0, sizeof(*l));
}

/* A currency code, when given, is ISO 4217's three letters. */
static int
currency_check(const char *code, const char *field, const char *what)
{
	size_t i;

	if (code == NULL || code[0] == '\0')
		return 0;
	for (i = 0; i < 4; i++)
		if (i < 3 ? !((code[i] >= 'A' && code[i] <= 'Z') ||
			      (code[i] >= 'a' && code[i] <= 'z'))
			  : code[i] != '\0')
			return ps_error_set(PS_EDATA,
					    "%s: field '%s' is not a "
					    "three-letter currency code",
					    what, field);
	return 0;
}

static int
order_row(void *item, const json_t *row, void *ctx)
{
	ps_bc_order *o = item;
	char what[80];
	int error;

	(void)ctx;
	snprintf(what, sizeof(what), "BigCommerce order %lld",
		 ps_bc__peek_id(row, "id"));
	if ((error = FIELDS_PARSE(o, order_fields, row, what)) < 0)
		return error;
	if ((error = ps_bc__class_id(&o->shipping_cost_tax_class_id, row,
				     "shipping_cost_tax_class_id", what)) < 0 ||
	    (error = ps_bc__class_id(&o->handling_cost_tax_class_id, row,
				     "handling_cost_tax_class_id", what)) < 0 ||
	    (error = ps_bc__class_id(&o->wrapping_cost_tax_class_id, row,
				     "wrapping_cost_tax_class_id", what)) < 0) {
		ps_bc_order_dispose(o);
		return error;
	}
	if ((error = currency_check(o->currency_code, "currency_code", what)) <
		    0 ||
	    (error = currency_check(o->default_currency_code,
				    "default_currency_code", what)) < 0) {
		ps_bc_order_dispose(o);
		return error;
	}
	snprintf(what, sizeof(what), "BigCommerce order %lld billing address",
		 (long long)o->id);
	if ((error = address_parse(&o->billing_address,
				   json_object_get(row, "billing_address"),
				   what)) < 0)
		ps_bc_order_dispose(o);
	return error;
}

static int
product_row(void *item, const json_t *row, void *ctx)
{
	ps_bc_order_product *p = item;
	const json_t *disc = json_object_get(row, "applied_discounts");
	char what[96];
	size_t i;
	int error;

	snprintf(what, sizeof(what), "BigCommerce order %lld product line %lld",
		 *(const long long *)ctx, ps_bc__peek_id(row, "id"));
	if ((error = FIELDS_PARSE(p, product_fields, row, what)) < 0)
		return error;
	for (i = 0; json_is_array(disc) && i < json_array_size(disc); i++) {
		ps_money amount = 0;
		const json_t *a =
			json_object_get(json_array_get(disc, i), "amount");

		if (a == NULL || json_is_null(a))
			continue;
		if ((error = ps_conn__json_money(&amount,
						 json_array_get(disc, i),
						 "amount", what)) < 0) {
			product_dispose(p);
			return error;
		}
		p->discount += amount;
	}
	return 0;
}

static int
shipaddr_row(void *item, const json_t *row, void *ctx)
{
	ps_bc_shipping_address *s = item;
	char what[96];
	int error;

	snprintf(what, sizeof(what),
		 "BigCommerce order %lld shipping address %lld",
		 *(const long long *)ctx, ps_bc__peek_id(row, "id"));
	if ((error = FIELDS_PARSE(s, shipaddr_fields, row, what)) < 0)
		return error;
	if ((error = address_parse(&s->address, row, what)) < 0)
		FIELDS_FREE(s, shipaddr_fields);
	return error;
}

/* The query parameters that bring an order's lines inline (see below). */
#define BC_ORDER_INCLUDE                                                       \
	"include=consignments.line_items&consignment_structure=object"

static int order_full_row(ps_bc_order *o, const json_t *row, int *need);
static int order_read_parts(ps_bc *bc, ps_bc_order *o, int need);
static int list_path(ps_conn_buf *p, const ps_bc_order_query *q);

/* What a ps_bc_orders_list walk needs besides the row. */
struct list_ctx {
	ps_bc *bc;             /* reads what BigCommerce cut short */
	int with_lines;        /* the inline lines and addresses too */
	int skip_bad;          /* a row that does not parse goes to bad */
	struct ps_bc__vec bad; /* of ps_bc_order_problem */
	/* ps_bc_orders_foreach only: the chunk being filled (of
	 * ps_bc_order), handed to fn once it holds chunk orders and
	 * problems; max and seen stand in for the walk's own bound */
	struct ps_bc__vec items;
	size_t chunk, max, seen;
	ps_bc_order_chunk_fn fn;
	void *payload;
};

/*
 * Keep the order of row that did not parse (ps_error_last() says why) in
 * c->bad, with its id when that can still be read.  1 (no slot taken).
 */
static int
problem_add(struct list_ctx *c, const json_t *row)
{
	ps_bc_order_problem *p;
	long long id = ps_bc__peek_id(row, "id");
	char *reason = ps_util__strdup(ps_error_last());

	if (reason == NULL || (p = ps_bc__vec_push(&c->bad)) == NULL) {
		free(reason);
		return ps_error_set(PS_ENOMEM, NULL);
	}
	ps_error_clear();
	p->id = id > 0 ? (int64_t)id : 0;
	p->reason = reason;
	return 1;
}

/* One order of a listing, with its lines when asked (see list_ctx). */
static int
order_list_row(void *item, const json_t *row, void *ctx)
{
	struct list_ctx *c = ctx;
	ps_bc_order *o = item;
	int error, need = 0;

	if (!c->with_lines)
		error = order_row(o, row, NULL);
	else if ((error = order_full_row(o, row, &need)) == 0 && need &&
		 (error = order_read_parts(c->bc, o, need)) < 0)
		ps_bc_order_dispose(o);
	if (error == PS_EDATA && c->skip_bad)
		return problem_add(c, row);
	return error;
}

int
ps_bc_orders_list(ps_bc_order_list *out, ps_bc *bc, const ps_bc_order_query *q)
{
	static const ps_bc_order_query all = PS_BC_ORDER_QUERY_INIT;
	struct ps_bc__vec v = {NULL, 0, 0, sizeof(ps_bc_order)};
	struct list_ctx c;
	ps_conn_buf p = PS_CONN_BUF_INIT(0);
	int error;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	if (q == NULL)
		q = &all;
	c.bc = bc;
	c.with_lines = q->with_lines;
	c.skip_bad = q->skip_bad;
	c.bad.size = sizeof(ps_bc_order_problem);
	if ((error = list_path(&p, q)) < 0)
		goto done;
	error = ps_bc__walk(bc, &v, p.data, "v2/orders", "listing orders", 0,
			    order_list_row, &c, q->max_orders);
done:
	ps_conn__buf_dispose(&p);
	if (error < 0) {
		ps_bc__vec_dispose(&v, order_dispose_v);
		ps_bc__vec_dispose(&c.bad, problem_dispose_v);
		return error;
	}
	out->items = v.items;
	out->count = v.count;
	out->bad = c.bad.items;
	out->nbad = c.bad.count;
	return 0;
}

/* The listing's URL for q into p (checked). */
static int
list_path(ps_conn_buf *p, const ps_bc_order_query *q)
{
	char date[48];

	ps_conn__buf_add(p, "/v2/orders?sort=date_modified:asc");
	if (q->min_date_modified > 0) {
		ps_bc__date_format_rfc2822(date, sizeof(date),
					   q->min_date_modified);
		ps_conn__buf_add(p, "&min_date_modified=");
		ps_conn__buf_add_urlenc(p, date);
	}
	if (q->max_date_modified > 0) {
		ps_bc__date_format_rfc2822(date, sizeof(date),
					   q->max_date_modified);
		ps_conn__buf_add(p, "&max_date_modified=");
		ps_conn__buf_add_urlenc(p, date);
	}
	if (q->status_id >= 0)
		ps_conn__buf_addf(p, "&status_id=%d", q->status_id);
	if (q->min_id > 0)
		ps_conn__buf_addf(p, "&min_id=%lld", (long long)q->min_id);
	if (q->with_lines)
		ps_conn__buf_add(p, "&" BC_ORDER_INCLUDE);
	return ps_conn__buf_check(p, "the order list URL");
}

/*
 * The page size of a streamed listing with the lines inline: a page's
 * reply is held whole, as text and then as a Jansson tree several times
 * its size, and an order with its consignments is a few kB of JSON, so
 * 250 of them make a transient of about 10 MB; 50 keep it near 2 MB for
 * one more listing request per 50 orders.
 */
#define BC_LINES_PAGE 50

/* Hand the chunk gathered so far to the caller's fn, then free what fn
 * left in it; the chunk starts empty again either way. */
static int
chunk_flush(struct list_ctx *c)
{
	ps_bc_order_list l;
	int error;

	if (c->items.count == 0 && c->bad.count == 0)
		return 0;
	l.items = c->items.items;
	l.count = c->items.count;
	l.bad = c->bad.items;
	l.nbad = c->bad.count;
	error = c->fn(&l, c->payload);
	ps_bc__vec_dispose(&c->items, order_dispose_v);
	ps_bc__vec_dispose(&c->bad, problem_dispose_v);
	c->items.size = sizeof(ps_bc_order);
	c->bad.size = sizeof(ps_bc_order_problem);
	return error < 0 ? error : 0;
}

/*
 * A row of a ps_bc_orders_foreach walk: parsed into the chunk instead of
 * the walk's own vector (1 gives its slot back), so the walk holds one
 * page's reply and at most one chunk of parsed orders at any time.
 */
static int
order_chunk_row(void *item, const json_t *row, void *ctx)
{
	struct list_ctx *c = ctx;
	ps_bc_order *o;
	int error;

	(void)item;
	if (c->max && c->seen >= c->max)
		return 1;
	c->seen++;
	if ((o = ps_bc__vec_push(&c->items)) == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	if ((error = order_list_row(o, row, c)) != 0)
		c->items.count--; /* freed, or a problem kept instead */
	if (error < 0)
		return error;
	if (c->items.count + c->bad.count >= c->chunk &&
	    (error = chunk_flush(c)) < 0)
		return error;
	return 1;
}

int
ps_bc_orders_foreach(ps_bc *bc, const ps_bc_order_query *q, size_t chunk,
		     ps_bc_order_chunk_fn fn, void *payload)
{
	static const ps_bc_order_query all = PS_BC_ORDER_QUERY_INIT;
	struct ps_bc__vec v = {NULL, 0, 0, sizeof(ps_bc_order)};
	struct list_ctx c;
	ps_conn_buf p = PS_CONN_BUF_INIT(0);
	int error, limit = bc->page_limit;

	if (fn == NULL)
		return ps_error_set(PS_EINVAL, "ps_bc_orders_foreach: no fn");
	if (q == NULL)
		q = &all;
	memset(&c, 0, sizeof(c));
	c.bc = bc;
	c.with_lines = q->with_lines;
	c.skip_bad = q->skip_bad;
	c.bad.size = sizeof(ps_bc_order_problem);
	c.items.size = sizeof(ps_bc_order);
	c.chunk = chunk ? chunk : 1;
	c.max = q->max_orders;
	c.fn = fn;
	c.payload = payload;
	if (q->with_lines && limit > BC_LINES_PAGE)
		limit = BC_LINES_PAGE;
	if ((error = list_path(&p, q)) == 0)
		error = ps_bc__walk_limit(bc, &v, p.data, "v2/orders",
					  "listing orders", 0, order_chunk_row,
					  &c, 0, limit);
	if (error == 0)
		error = chunk_flush(&c);
	ps_conn__buf_dispose(&p);
	ps_bc__vec_dispose(&v, order_dispose_v);
	ps_bc__vec_dispose(&c.items, order_dispose_v);
	ps_bc__vec_dispose(&c.bad, problem_dispose_v);
	return error;
}

/*
 * The strings tab fills in base: with dst NULL, the bytes they take with
 * their terminators; else each is copied to dst, freed and pointed at its
 * copy, and the bytes used are returned the same way.
 */
static size_t
strings_pack(char *dst, void *base, const struct ps_bc__field *tab, size_t n)
{
	size_t i, used = 0;

	for (i = 0; i < n; i++) {
		char **sp;
		size_t len;

		if (tab[i].kind != BK_STR)
			continue;
		sp = (char **)((char *)base + tab[i].offset);
		if (*sp == NULL)
			continue;
		len = strlen(*sp) + 1;
		if (dst != NULL) {
			memcpy(dst + used, *sp, len);
			free(*sp);
			*sp = dst + used;
		}
		used += len;
	}
	return used;
}

#define PACK(dst, base, tab)                                                   \
	strings_pack((dst), (base), (tab), PS__ARRAY_LEN(tab))

/* Every string of o into dst (or only their size with dst NULL). */
static size_t
order_pack(char *dst, ps_bc_order *o)
{
	size_t i, used = 0;

#define AT (dst ? dst + used : NULL)
	used += PACK(AT, o, order_fields);
	used += PACK(AT, &o->billing_address, address_fields);
	for (i = 0; i < o->nproducts; i++)
		used += PACK(AT, &o->products[i], product_fields);
	for (i = 0; i < o->nshipping_addresses; i++) {
		used += PACK(AT, &o->shipping_addresses[i], shipaddr_fields);
		used += PACK(AT, &o->shipping_addresses[i].address,
			     address_fields);
	}
#undef AT
	return used;
}

void
ps_bc_order_compact(ps_bc_order *o)
{
	char *block;
	size_t len;

	if (o == NULL || o->strings != NULL)
		return;
	len = order_pack(NULL, o);
	if ((block = malloc(len ? len : 1)) == NULL)
		return;
	order_pack(block, o);
	o->strings = block;
}

size_t
ps_bc_order_size(const ps_bc_order *o)
{
	size_t i, n;

	if (o == NULL)
		return 0;
	if (o->strings != NULL)
		return sizeof(*o) + o->nproducts * sizeof(*o->products) +
		       o->nshipping_addresses * sizeof(*o->shipping_addresses) +
		       order_pack(NULL, (ps_bc_order *)o) + 16;
	n = sizeof(*o) + FIELDS_SIZE(o, order_fields) +
	    FIELDS_SIZE(&o->billing_address, address_fields);
	for (i = 0; i < o->nproducts; i++)
		n += sizeof(o->products[i]) +
		     FIELDS_SIZE(&o->products[i], product_fields);
	for (i = 0; i < o->nshipping_addresses; i++)
		n += sizeof(o->shipping_addresses[i]) +
		     FIELDS_SIZE(&o->shipping_addresses[i], shipaddr_fields) +
		     FIELDS_SIZE(&o->shipping_addresses[i].address,
				 address_fields);
	return n;
}

int
ps_bc_orders_list_modified_since(ps_bc_order_list *out, ps_bc *bc,
				 int64_t since, int status_id)
{
	ps_bc_order_query q = PS_BC_ORDER_QUERY_INIT;

	q.min_date_modified = since;
	q.status_id = status_id;
	return ps_bc_orders_list(out, bc, &q);
}

/*
 * BC_ORDER_INCLUDE (above) brings an order's lines and shipping addresses
 * inline.  BigCommerce answers it with {pickups, shipping, downloads,
 * email: {gift_certificates}}, each consignment holding the full order
 * product objects of /v2/orders/{id}/products, but at most
 * BC_INLINE_LINES_MAX of them (then with an undocumented "__warning__").
 */
#define BC_INLINE_LINES_MAX 50

/* What order_inline could not fill: read it separately. */
#define BC_NEED_PRODUCTS 1
#define BC_NEED_ADDRESSES 2

static int
product_id_cmp(const void *a, const void *b)
{
	const ps_bc_order_product *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

/*
 * Parse one consignment's line_items into prods.  Sets *cut when the list
 * may be incomplete (a "__warning__", BC_INLINE_LINES_MAX items, or mere
 * {url, resource} references instead of full lines).
 */
static int
consignment_lines(struct ps_bc__vec *prods, const json_t *cons, long long *lid,
		  int *cut)
{
	const json_t *items = json_object_get(cons, "line_items");
	size_t i;
	int error;

	if (json_object_get(cons, "__warning__") != NULL)
		*cut = 1;
	if (items == NULL || json_is_null(items))
		return 0;
	if (!json_is_array(items) ||
	    json_array_size(items) >= BC_INLINE_LINES_MAX) {
		*cut = 1;
		return 0;
	}
	for (i = 0; i < json_array_size(items); i++) {
		const json_t *row = json_array_get(items, i);
		void *slot;

		if (json_object_get(row, "quantity") == NULL) {
			*cut = 1; /* a reference, not the line */
			return 0;
		}
		if ((slot = ps_bc__vec_push(prods)) == NULL)
			return ps_error_set(PS_ENOMEM, NULL);
		if ((error = product_row(slot, row, lid)) < 0) {
			prods->count--;
			return error;
		}
	}
	return 0;
}

/* Every consignment of kind (an array, or absent) into prods. */
static int
consignment_kind_lines(struct ps_bc__vec *prods, const json_t *arr,
		       long long *lid, int *cut)
{
	size_t i;
	int error;

	if (arr != NULL && !json_is_array(arr)) {
		*cut = 1;
		return 0;
	}
	for (i = 0; i < json_array_size(arr); i++)
		if ((error = consignment_lines(prods, json_array_get(arr, i),
					       lid, cut)) < 0)
			return error;
	return 0;
}

/*
 * Fill o's products and shipping addresses from the row's consignments
 * object (include=consignments.line_items&consignment_structure=object).
 * *need gets BC_NEED_PRODUCTS when some consignment's lines were cut
 * (products are then left empty) and both bits when the row has no
 * consignments object at all (a server that ignores the include).
 */
/*
 * Give back what v reserved past its items: an order's two lines would
 * otherwise keep the eight slots of the vector's first growth, and parsed
 * orders are held while their imports wait (ps_bc_orders_foreach).
 */
static void
vec_fit(struct ps_bc__vec *v)
{
	void *p;

	if (v->count == 0 || v->count == v->cap)
		return;
	if ((p = realloc(v->items, v->count * v->size)) == NULL)
		return; /* the larger block still holds them */
	v->items = p;
	v->cap = v->count;
}

static int
order_inline(ps_bc_order *o, const json_t *row, int *need)
{
	struct ps_bc__vec prods = {NULL, 0, 0, sizeof(ps_bc_order_product)};
	struct ps_bc__vec addrs = {NULL, 0, 0, sizeof(ps_bc_shipping_address)};
	const json_t *cons = json_object_get(row, "consignments");
	const json_t *ship;
	long long lid = (long long)o->id;
	size_t i;
	int cut = 0, error = 0;

	*need = 0;
	if (!json_is_object(cons)) {
		*need = BC_NEED_PRODUCTS | BC_NEED_ADDRESSES;
		return 0;
	}
	ship = json_object_get(cons, "shipping");
	if (ship != NULL && !json_is_array(ship)) {
		*need = BC_NEED_PRODUCTS | BC_NEED_ADDRESSES;
		return 0;
	}
	for (i = 0; i < json_array_size(ship); i++) {
		const json_t *c = json_array_get(ship, i);
		void *slot;

		if ((slot = ps_bc__vec_push(&addrs)) == NULL) {
			error = ps_error_set(PS_ENOMEM, NULL);
			goto done;
		}
		if ((error = shipaddr_row(slot, c, &lid)) < 0) {
			addrs.count--;
			goto done;
		}
		if ((error = consignment_lines(&prods, c, &lid, &cut)) < 0)
			goto done;
	}
	if ((error = consignment_kind_lines(&prods,
					    json_object_get(cons, "pickups"),
					    &lid, &cut)) < 0 ||
	    (error = consignment_kind_lines(&prods,
					    json_object_get(cons, "downloads"),
					    &lid, &cut)) < 0 ||
	    (error = consignment_kind_lines(
		     &prods, ps_conn__json_at(cons, "email.gift_certificates"),
		     &lid, &cut)) < 0)
		goto done;
	if (cut) {
		*need = BC_NEED_PRODUCTS;
	} else {
		/* /products lists by line id; consignments group by address. */
		if (prods.count > 1)
			qsort(prods.items, prods.count, prods.size,
			      product_id_cmp);
		vec_fit(&prods);
		o->products = prods.items;
		o->nproducts = prods.count;
		memset(&prods, 0, sizeof(prods));
	}
	vec_fit(&addrs);
	o->shipping_addresses = addrs.items;
	o->nshipping_addresses = addrs.count;
	memset(&addrs, 0, sizeof(addrs));
done:
	ps_bc__vec_dispose(&prods, product_dispose);
	ps_bc__vec_dispose(&addrs, shipaddr_dispose);
	return error;
}

/*
 * Read what order_inline could not fill (need) with the separate paged
 * lists /v2/orders/{id}/products and /shipping_addresses.
 */
static int
order_read_parts(ps_bc *bc, ps_bc_order *o, int need)
{
	struct ps_bc__vec prods = {NULL, 0, 0, sizeof(ps_bc_order_product)};
	struct ps_bc__vec addrs = {NULL, 0, 0, sizeof(ps_bc_shipping_address)};
	long long lid = (long long)o->id;
	char path[96], what[80];
	int error = 0;

	if (need & BC_NEED_PRODUCTS) {
		snprintf(path, sizeof(path), "/v2/orders/%lld/products", lid);
		snprintf(what, sizeof(what), "reading the lines of order %lld",
			 lid);
		if ((error = ps_bc__walk(bc, &prods, path,
					 "v2/orders/{id}/products", what, 0,
					 product_row, &lid, 0)) < 0)
			goto done;
	}
	if (need & BC_NEED_ADDRESSES) {
		snprintf(path, sizeof(path),
			 "/v2/orders/%lld/shipping_addresses", lid);
		snprintf(what, sizeof(what),
			 "reading the shipping addresses of order %lld", lid);
		if ((error = ps_bc__walk(bc, &addrs, path,
					 "v2/orders/{id}/shipping_addresses",
					 what, 0, shipaddr_row, &lid, 0)) < 0)
			goto done;
	}
	if (need & BC_NEED_PRODUCTS) {
		ps_bc__items_dispose(o->products, o->nproducts,
				     sizeof(*o->products), product_dispose);
		vec_fit(&prods);
		o->products = prods.items;
		o->nproducts = prods.count;
		memset(&prods, 0, sizeof(prods));
	}
	if (need & BC_NEED_ADDRESSES) {
		ps_bc__items_dispose(
			o->shipping_addresses, o->nshipping_addresses,
			sizeof(*o->shipping_addresses), shipaddr_dispose);
		o->shipping_addresses = addrs.items;
		o->nshipping_addresses = addrs.count;
		memset(&addrs, 0, sizeof(addrs));
	}
done:
	ps_bc__vec_dispose(&prods, product_dispose);
	ps_bc__vec_dispose(&addrs, shipaddr_dispose);
	return error;
}

/*
 * Whether o is order id.  A reply about another order (a cache or proxy
 * mixing replies up) must not be taken for this one, or the import
 * records it under the wrong id.  PS_EREMOTE: asking again may get the
 * right one.  (Lines' order_id is not checked: BigCommerce's own examples
 * disagree with their order there.)
 */
static int
order_is(const ps_bc_order *o, int64_t id)
{
	if (o->id == id)
		return 0;
	return ps_error_set(PS_EREMOTE,
			    "BigCommerce: reading order %lld: the reply is "
			    "about order %lld (field 'id'); nothing of it was "
			    "used",
			    (long long)id, (long long)o->id);
}

/* order_row, then the inline lines and addresses (*need as order_inline). */
static int
order_full_row(ps_bc_order *o, const json_t *row, int *need)
{
	int error;

	if ((error = order_row(o, row, NULL)) < 0)
		return error;
	if ((error = order_inline(o, row, need)) < 0)
		ps_bc_order_dispose(o);
	return error;
}

int
ps_bc_order_get(ps_bc_order *out, ps_bc *bc, int64_t id)
{
	long long lid = (long long)id;
	char path[160], what[64];
	struct ps_bc__req rq = {"GET", path, "v2/orders/{id}", NULL, 1, what};
	json_t *root = NULL;
	int error, need = 0;

	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "/v2/orders/%lld?" BC_ORDER_INCLUDE, lid);
	snprintf(what, sizeof(what), "reading order %lld", lid);
	if ((error = ps_bc__call_json(&root, bc, &rq)) < 0) {
		if (error == PS_ENOTFOUND)
			error = ps_error_set(PS_ENOTFOUND,
					     "BigCommerce order %lld not found",
					     lid);
		goto done;
	}
	if (root == NULL) {
		/* 204 or a 2xx with no body: no order to read */
		error = ps_error_set(PS_EDATA,
				     "BigCommerce: reading order %lld: the "
				     "reply is empty",
				     lid);
		goto done;
	}
	if ((error = order_full_row(out, root, &need)) < 0 ||
	    (error = order_is(out, id)) < 0)
		goto done;
	if (need && (error = order_read_parts(bc, out, need)) < 0)
		goto done;
done:
	json_decref(root);
	if (error < 0)
		ps_bc_order_dispose(out);
	return error;
}

/* The sorted, distinct ids a ps_bc_orders_get_many run asks for. */
struct many_ctx {
	const int64_t *ids; /* sorted, distinct */
	size_t n;
};

static int
id_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static int
id_wanted(const struct many_ctx *c, int64_t id)
{
	return c->n > 0 &&
	       bsearch(&id, c->ids, c->n, sizeof(*c->ids), id_cmp) != NULL;
}

/* One order of a get_many listing and what its inline parts lacked. */
struct many_row {
	int64_t id; /* 0: a listed order nobody asked for */
	ps_bc_order o;
	int need;
	int gone; /* o was handed out, or its line read failed */
};

static void
many_row_dispose(void *r)
{
	ps_bc_order_dispose(&((struct many_row *)r)->o);
}

/* A listed row: parsed when it was asked for, else left zeroed (id 0);
 * so is one whose data does not parse: the caller's direct read of it
 * reports why, on that order alone. */
static int
many_row(void *item, const json_t *row, void *ctx)
{
	struct many_row *r = item;
	int64_t id = (int64_t)ps_bc__peek_id(row, "id");
	int error;

	if (!id_wanted(ctx, id))
		return 0;
	error = order_full_row(&r->o, row, &r->need);
	if (error == 0)
		r->id = id;
	else if (error == PS_EDATA) {
		ps_log_info("bigcommerce", "%s", ps_error_last());
		ps_error_clear();
		memset(r, 0, sizeof(*r));
		error = 0;
	}
	return error;
}

/*
 * Read the orders with ids lo..hi (hi - lo < the page limit, so one page
 * normally holds them) with their inline lines into rows.
 */
static int
many_run(ps_bc *bc, struct ps_bc__vec *rows, struct many_ctx *c, int64_t lo,
	 int64_t hi)
{
	char path[224], what[96];

	snprintf(path, sizeof(path),
		 "/v2/orders?min_id=%lld&max_id=%lld&" BC_ORDER_INCLUDE,
		 (long long)lo, (long long)hi);
	snprintf(what, sizeof(what), "reading orders %lld to %lld",
		 (long long)lo, (long long)hi);
	return ps_bc__walk(bc, rows, path, "v2/orders", what, 0, many_row, c,
			   0);
}

static int
many_row_cmp(const void *a, const void *b)
{
	const struct many_row *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

int
ps_bc_orders_get_many(ps_bc_order_list *out, ps_bc *bc, const int64_t *ids,
		      size_t n)
{
	struct ps_bc__vec rows = {NULL, 0, 0, sizeof(struct many_row)};
	struct many_ctx c = {NULL, 0};
	int64_t *sorted = NULL;
	ps_bc_order *items = NULL;
	size_t i, j;
	int error = 0;

	memset(out, 0, sizeof(*out));
	if (n == 0)
		return 0;
	if (ids == NULL)
		return ps_error_set(PS_EINVAL, "no order ids");
	sorted = malloc(n * sizeof(*sorted));
	items = calloc(n, sizeof(*items));
	if (sorted == NULL || items == NULL) {
		error = ps_error_set(PS_ENOMEM, NULL);
		goto done;
	}
	memcpy(sorted, ids, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), id_cmp);
	for (i = j = 0; i < n; i++) /* distinct, positive */
		if (sorted[i] > 0 && (j == 0 || sorted[j - 1] != sorted[i]))
			sorted[j++] = sorted[i];
	c.ids = sorted;
	c.n = j;

	/* Runs whose span fits one page: lo..hi with hi - lo < limit. */
	for (i = 0; i < c.n; i = j) {
		for (j = i + 1;
		     j < c.n && sorted[j] - sorted[i] < bc->page_limit; j++)
			;
		if ((error = many_run(bc, &rows, &c, sorted[i],
				      sorted[j - 1])) < 0)
			goto done;
	}
	if (rows.count > 1)
		qsort(rows.items, rows.count, rows.size, many_row_cmp);

	/* Cut line lists: read the lines directly; a failure leaves id 0. */
	for (i = 0; i < rows.count; i++) {
		struct many_row *r = (struct many_row *)rows.items + i;

		if (r->id == 0 || r->need == 0)
			continue;
		if ((error = order_read_parts(bc, &r->o, r->need)) < 0) {
			if (error == PS_ENOMEM)
				goto done;
			ps_log_warn("bigcommerce", "%s", ps_error_last());
			ps_bc_order_dispose(&r->o);
			r->gone = 1;
			error = 0;
		}
		r->need = 0;
	}

	/* Hand each order to the first position that asked for it. */
	for (i = 0; i < n; i++) {
		struct many_row key, *r;

		memset(&key, 0, sizeof(key));
		key.id = ids[i];
		r = NULL;
		if (ids[i] > 0 && rows.count > 0)
			r = bsearch(&key, rows.items, rows.count, rows.size,
				    many_row_cmp);
		if (r == NULL || r->gone)
			continue;
		items[i] = r->o;
		memset(&r->o, 0, sizeof(r->o));
		r->gone = 1;
	}
	out->items = items;
	out->count = n;
	items = NULL;
done:
	if (items != NULL)
		ps_bc__items_dispose(items, n, sizeof(*items), order_dispose_v);
	ps_bc__vec_dispose(&rows, many_row_dispose);
	free(sorted);
	return error;
}

/* PUT /v2/orders/{id} with body (stolen). */
static int
order_put(ps_bc *bc, int64_t id, json_t *body, const char *what)
{
	char path[64];
	struct ps_bc__req rq = {"PUT", path, "v2/orders/{id}", body, 1, what};
	json_t *root = NULL;
	int error;

	if (body == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	snprintf(path, sizeof(path), "/v2/orders/%lld", (long long)id);
	error = ps_bc__call_json(&root, bc, &rq);
	if (error == PS_ENOTFOUND)
		error = ps_error_set(PS_ENOTFOUND,
				     "BigCommerce order %lld not found (%s)",
				     (long long)id, what);
	json_decref(root);
	json_decref(body);
	return error;
}

int
ps_bc_order_update_status(ps_bc *bc, int64_t id, int status_id)
{
	char what[96];

	if (status_id < 0)
		return ps_error_set(PS_EINVAL,
				    "BigCommerce status id %d is invalid",
				    status_id);
	snprintf(what, sizeof(what), "setting order %lld to status %d",
		 (long long)id, status_id);
	return order_put(bc, id, json_pack("{s:i}", "status_id", status_id),
			 what);
}

int
ps_bc_order_update_notes(ps_bc *bc, int64_t id, const char *staff_notes,
			 const char *customer_message)
{
	char what[96];
	json_t *body;

	if (staff_notes == NULL && customer_message == NULL)
		return ps_error_set(PS_EINVAL,
				    "no note given for BigCommerce order %lld",
				    (long long)id);
	if ((body = json_object()) == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	if ((staff_notes &&
	     json_object_set_new(body, "staff_notes",
				 json_string(staff_notes)) < 0) ||
	    (customer_message &&
	     json_object_set_new(body, "customer_message",
				 json_string(customer_message)) < 0)) {
		json_decref(body);
		return ps_error_set(PS_EINVAL,
				    "the note for BigCommerce order %lld is "
				    "not valid UTF-8",
				    (long long)id);
	}
	snprintf(what, sizeof(what), "updating the notes of order %lld",
		 (long long)id);
	return order_put(bc, id, body, what);
}

/* --- order statuses ------------------------------------------------------- */

static const struct ps_bc__field status_fields[] = {
	FLD(ps_bc_order_status, "id", id, BK_INT, 1),
	FLD(ps_bc_order_status, "name", name, BK_STR, 0),
	FLD(ps_bc_order_status, "system_label", system_label, BK_STR, 0),
	FLD(ps_bc_order_status, "custom_label", custom_label, BK_STR, 0),
	FLD(ps_bc_order_status, "order", order, BK_INT, 0),
};

static void
status_dispose(void *s)
{
	FIELDS_FREE(s, status_fields);
}

static int
status_row(void *item, const json_t *row, void *ctx)
{
	char what[80];

	(void)ctx;
	snprintf(what, sizeof(what), "BigCommerce order status %lld",
		 ps_bc__peek_id(row, "id"));
	return FIELDS_PARSE(item, status_fields, row, what);
}

void
ps_bc_order_status_list_dispose(ps_bc_order_status_list *l)
{
	if (l == NULL)
		return;
	ps_bc__items_dispose(l->items, l->count, sizeof(*l->items),
			     status_dispose);
	memset(l, 0, sizeof(*l));
}

int
ps_bc_order_statuses_list(ps_bc_order_status_list *out, ps_bc *bc)
{
	struct ps_bc__req rq = {
		"GET", "/v2/order_statuses",    "v2/order_statuses", NULL,
		1,     "listing order statuses"};
	struct ps_bc__vec v = {NULL, 0, 0, sizeof(ps_bc_order_status)};
	json_t *root = NULL;
	size_t i;
	int error;

	memset(out, 0, sizeof(*out));
	/* Not paged: the statuses are a short fixed list. */
	if ((error = ps_bc__call_json(&root, bc, &rq)) < 0)
		goto done;
	if (root != NULL && !json_is_array(root)) {
		error = ps_error_set(PS_EPARSE, "BigCommerce: listing order "
						"statuses: expected a list");
		goto done;
	}
	for (i = 0; i < json_array_size(root); i++) {
		void *slot = ps_bc__vec_push(&v);

		if (slot == NULL) {
			error = ps_error_set(PS_ENOMEM, NULL);
			goto done;
		}
		if ((error = status_row(slot, json_array_get(root, i), NULL)) <
		    0) {
			v.count--;
			goto done;
		}
	}
	out->items = v.items;
	out->count = v.count;
	memset(&v, 0, sizeof(v));
done:
	ps_bc__vec_dispose(&v, status_dispose);
	json_decref(root);
	return error;
}
