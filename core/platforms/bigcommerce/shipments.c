/*
 * shipments.c - BigCommerce order shipments: list, and create exactly once
 * (found again by the reference in its comments after a failure whose
 * fate is unknown).
 */
#include "pearlsync/bigcommerce.h"
#include "platforms/bigcommerce/bigcommerce_int.h"
#include "platforms/connector.h"
#include "internal.h"
#include "pearlsync/log.h"

#include <ctype.h>
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

/* --- shipments ------------------------------------------------------------ */

static const struct ps_bc__field shipment_fields[] = {
	FLD(ps_bc_shipment, "id", id, BK_I64, 1),
	FLD(ps_bc_shipment, "order_id", order_id, BK_I64, 0),
	FLD(ps_bc_shipment, "order_address_id", order_address_id, BK_I64, 0),
	FLD(ps_bc_shipment, "date_created", date_created, BK_RFC2822, 0),
	FLD(ps_bc_shipment, "tracking_number", tracking_number, BK_STR, 0),
	FLD(ps_bc_shipment, "tracking_carrier", tracking_carrier, BK_STR, 0),
	FLD(ps_bc_shipment, "tracking_link", tracking_link, BK_STR, 0),
	FLD(ps_bc_shipment, "shipping_provider", shipping_provider, BK_STR, 0),
	FLD(ps_bc_shipment, "shipping_method", shipping_method, BK_STR, 0),
	FLD(ps_bc_shipment, "comments", comments, BK_STR, 0),
};

static const struct ps_bc__field shipment_item_fields[] = {
	FLD(ps_bc_shipment_item, "order_product_id", order_product_id, BK_I64,
	    1),
	FLD(ps_bc_shipment_item, "product_id", product_id, BK_I64, 0),
	FLD(ps_bc_shipment_item, "quantity", quantity, BK_I64, 1),
};

void
ps_bc_shipment_dispose(ps_bc_shipment *s)
{
	if (s == NULL)
		return;
	FIELDS_FREE(s, shipment_fields);
	free(s->items);
	memset(s, 0, sizeof(*s));
}

static void
shipment_dispose_v(void *s)
{
	ps_bc_shipment_dispose(s);
}

void
ps_bc_shipment_list_dispose(ps_bc_shipment_list *l)
{
	if (l == NULL)
		return;
	ps_bc__items_dispose(l->items, l->count, sizeof(*l->items),
			     shipment_dispose_v);
	memset(l, 0, sizeof(*l));
}

static int
shipment_row(void *item, const json_t *row, void *ctx)
{
	ps_bc_shipment *s = item;
	const json_t *items = json_object_get(row, "items");
	char what[80];
	int error;

	(void)ctx;
	snprintf(what, sizeof(what), "BigCommerce shipment %lld",
		 ps_bc__peek_id(row, "id"));
	if ((error = FIELDS_PARSE(s, shipment_fields, row, what)) < 0)
		return error;
	s->items = ps_bc__subitems_parse(&error, &s->nitems, sizeof(*s->items),
					 items, shipment_item_fields,
					 PS__ARRAY_LEN(shipment_item_fields),
					 what);
	if (error < 0)
		ps_bc_shipment_dispose(s);
	return error;
}

int
ps_bc_shipments_list(ps_bc_shipment_list *out, ps_bc *bc, int64_t order_id)
{
	struct ps_bc__vec v = {NULL, 0, 0, sizeof(ps_bc_shipment)};
	char path[64], what[64];
	int error;

	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "/v2/orders/%lld/shipments",
		 (long long)order_id);
	snprintf(what, sizeof(what), "listing the shipments of order %lld",
		 (long long)order_id);
	error = ps_bc__walk(bc, &v, path, "v2/orders/{id}/shipments", what, 0,
			    shipment_row, NULL, 0);
	if (error < 0) {
		ps_bc__vec_dispose(&v, shipment_dispose_v);
		return error;
	}
	out->items = v.items;
	out->count = v.count;
	return 0;
}

static json_t *
shipment_body(const ps_bc_shipment_new *s)
{
	json_t *body = json_object(), *items = json_array();
	ps_conn_buf comments = PS_CONN_BUF_INIT(0);
	size_t i;
	int bad = body == NULL || items == NULL;

	for (i = 0; !bad && i < s->nitems; i++)
		bad = json_array_append_new(
			      items,
			      json_pack(
				      "{s:I,s:I}", "order_product_id",
				      (json_int_t)s->items[i].order_product_id,
				      "quantity",
				      (json_int_t)s->items[i].quantity)) < 0;
	if (s->comments)
		ps_conn__buf_add(&comments, s->comments);
	if (s->ref) {
		ps_conn__buf_add(&comments, comments.len ? " [" : "[");
		ps_conn__buf_add(&comments, s->ref);
		ps_conn__buf_add(&comments, "]");
	}
	bad = bad || comments.error ||
	      json_object_set_new(body, "order_address_id",
				  json_integer(s->order_address_id)) < 0 ||
	      json_object_set(body, "items", items) < 0 ||
	      (s->tracking_number &&
	       json_object_set_new(body, "tracking_number",
				   json_string(s->tracking_number)) < 0) ||
	      (s->shipping_provider &&
	       json_object_set_new(body, "shipping_provider",
				   json_string(s->shipping_provider)) < 0) ||
	      (s->tracking_carrier &&
	       json_object_set_new(body, "tracking_carrier",
				   json_string(s->tracking_carrier)) < 0) ||
	      (s->shipping_method &&
	       json_object_set_new(body, "shipping_method",
				   json_string(s->shipping_method)) < 0) ||
	      (s->tracking_link &&
	       json_object_set_new(body, "tracking_link",
				   json_string(s->tracking_link)) < 0) ||
	      (comments.len &&
	       json_object_set_new(body, "comments",
				   json_string(comments.data)) < 0);
	json_decref(items);
	ps_conn__buf_dispose(&comments);
	if (bad) {
		json_decref(body);
		return NULL;
	}
	return body;
}

/* The order's shipment whose comments carry "[ref]": 0 and *out, or
 * PS_ENOTFOUND, or the listing's error. */
static int
shipment_find_ref(ps_bc_shipment *out, ps_bc *bc, int64_t order_id,
		  const char *ref)
{
	ps_bc_shipment_list l;
	ps_conn_buf tag = PS_CONN_BUF_INIT(0);
	size_t i;
	int error;

	memset(out, 0, sizeof(*out));
	ps_conn__buf_add(&tag, "[");
	ps_conn__buf_add(&tag, ref);
	ps_conn__buf_add(&tag, "]");
	if ((error = ps_conn__buf_check(&tag, "a shipment reference")) < 0)
		goto done;
	if ((error = ps_bc_shipments_list(&l, bc, order_id)) < 0)
		goto done;
	error = PS_ENOTFOUND;
	for (i = 0; i < l.count; i++) {
		if (strstr(l.items[i].comments, tag.data) != NULL) {
			*out = l.items[i];
			memset(&l.items[i], 0, sizeof(l.items[i]));
			error = 0;
			break;
		}
	}
	ps_bc_shipment_list_dispose(&l);
done:
	ps_conn__buf_dispose(&tag);
	return error;
}

int
ps_bc_shipment_create(ps_bc_shipment *out, ps_bc *bc, int64_t order_id,
		      const ps_bc_shipment_new *s)
{
	char path[64], what[96];
	struct ps_bc__req rq = {"POST", path, "v2/orders/{id}/shipments",
				NULL,   0,    what};
	json_t *root = NULL;
	size_t i;
	int error = 0, attempt, found;

	memset(out, 0, sizeof(*out));
	if (s == NULL || s->nitems == 0 || s->items == NULL ||
	    s->order_address_id <= 0)
		return ps_error_set(PS_EINVAL,
				    "shipment for BigCommerce order %lld needs "
				    "a shipping address and at least one item",
				    (long long)order_id);
	for (i = 0; i < s->nitems; i++)
		if (s->items[i].quantity <= 0 ||
		    s->items[i].order_product_id <= 0)
			return ps_error_set(PS_EINVAL,
					    "shipment for BigCommerce order "
					    "%lld: item %zu has no product "
					    "line or quantity",
					    (long long)order_id, i + 1);
	snprintf(path, sizeof(path), "/v2/orders/%lld/shipments",
		 (long long)order_id);
	snprintf(what, sizeof(what), "creating a shipment for order %lld%s%s",
		 (long long)order_id, s->ref ? " ref " : "",
		 s->ref ? s->ref : "");
	if ((rq.body = shipment_body(s)) == NULL)
		return ps_error_set(PS_EINVAL,
				    "shipment for BigCommerce order %lld: a "
				    "text field is not valid UTF-8",
				    (long long)order_id);
	if (s->ref && (found = shipment_find_ref(out, bc, order_id, s->ref)) !=
			      PS_ENOTFOUND) {
		error = found; /* 0: already made, or the listing failed */
		goto done;
	}
	for (attempt = 1;; attempt++) {
		if ((error = ps_bc__call_json(&root, bc, &rq)) == 0) {
			error = root ? shipment_row(out, ps_bc__v3_data(root),
						    NULL)
				     : ps_error_set(PS_EPARSE,
						    "BigCommerce: %s: the "
						    "reply was empty",
						    what);
			goto done;
		}
		if (s->ref == NULL || !ps_bc__ambiguous(error) ||
		    attempt >= BC_CREATE_ATTEMPTS)
			goto done;
		ps_log_warn("bigcommerce", "%s", ps_error_last());
		found = shipment_find_ref(out, bc, order_id, s->ref);
		if (found != PS_ENOTFOUND) {
			error = found;
			goto done;
		}
	}
done:
	json_decref(root);
	json_decref(rq.body);
	return error;
}

/*
 * Carrier names as merchants write them, to AfterShip slugs (the values
 * BigCommerce's tracking_carrier takes: orders.v2 OpenAPI, "Creating
 * shipments").  Longer names first where one contains another.
 */
static const struct {
	const char *name;
	const char *slug;
} carriers[] = {
	{"royal mail", "royal-mail"},
	{"parcelforce", "parcel-force"},
	{"canada post", "canada-post"},
	{"australia post", "australia-post"},
	{"fedex", "fedex"},
	{"federal express", "fedex"},
	{"usps", "usps"},
	{"postnl", "postnl"},
	{"yodel", "yodel"},
	{"dhl", "dhl"},
	{"dpd", "dpd"},
	{"gls", "gls"},
	{"tnt", "tnt"},
	{"ups", "ups"},
};

/* 1 when word occurs in s (case-insensitive) not inside a longer word. */
static int
has_word(const char *s, const char *word)
{
	size_t n = strlen(word);
	const char *p;

	for (p = s; *p != '\0'; p++)
		if (strncasecmp(p, word, n) == 0 &&
		    (p == s || !isalnum((unsigned char)p[-1])) &&
		    !isalnum((unsigned char)p[n]))
			return 1;
	return 0;
}

/* UPS tracking numbers: "1Z", then 16 letters and digits. */
static int
ups_tracking(const char *t)
{
	size_t i;

	if (strncasecmp(t, "1Z", 2) != 0 || strlen(t) != 18)
		return 0;
	for (i = 2; i < 18; i++)
		if (!isalnum((unsigned char)t[i]))
			return 0;
	return 1;
}

const char *
ps_bc_tracking_carrier(const char *name, const char *tracking)
{
	size_t i;

	for (i = 0; name != NULL && i < PS__ARRAY_LEN(carriers); i++)
		if (has_word(name, carriers[i].name))
			return carriers[i].slug;
	if (tracking != NULL && ups_tracking(tracking))
		return "ups";
	return NULL;
}
