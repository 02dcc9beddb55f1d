/*
 * bigcommerce.h - the BigCommerce connector: typed operations over the
 * store's v2 and v3 Management REST APIs.
 *
 * A ps_bc holds one store's base URL, store hash and access token and sends
 * every request through a caller-owned ps_http (rate limiting and retries
 * live there).  Operations turn the wire format into the plain C structs
 * below, so flows never see JSON: money is ps_money (exact, from the API's
 * decimal strings), times are Unix seconds (from v2's RFC 2822 and v3's
 * ISO 8601 dates), and every string a struct holds is owned by it.
 *
 * Strings in returned structs are never NULL ("" when BigCommerce sent
 * nothing or null); absent numbers are 0.
 *
 * Memory: each struct X has ps_bc_X_dispose(X *), which frees what it owns
 * and zeroes it; each list type ps_bc_X_list {items, count} has
 * ps_bc_X_list_dispose().  Dispose functions accept NULL and a zeroed
 * struct.  Out-structs are zeroed first by every operation and hold nothing
 * on failure.
 *
 * Errors: 0 on success, otherwise a negative PS_E* code with an operator
 * sentence in ps_error_last() naming the BigCommerce object and field, e.g.
 * "BigCommerce order 1042: field 'total_inc_tax' is \"x\", not an amount".
 *   PS_EAUTH      the token was refused (401/403);
 *   PS_ENOTFOUND  the object does not exist (404, or an empty lookup);
 *   PS_EDATA      BigCommerce rejected the request (400/409/413/422), the
 *                 detail quotes its message; or a reply's field is missing
 *                 or malformed (the detail names object and field);
 *   PS_EPARSE     the reply was not JSON (the detail gives line, column);
 *   PS_EHTTP      any other unexpected status;
 *   PS_ENET, PS_ETIMEOUT, PS_EREMOTE, PS_ERATELIMIT, PS_ETLS, PS_ETOOBIG,
 *   PS_ESTOPPED   from ps_http_send() once its retry budget is spent.
 *
 * Retries: ps_http retries transient failures.  On top of that, a request
 * that is safe to repeat (GET, PUT, DELETE) is sent again, up to three
 * times in all, when its 2xx body arrives garbled; creates (shipments,
 * webhooks) are made exactly once by looking the object up after any
 * failure that may have reached BigCommerce (see each function).
 *
 * Threads: a ps_bc is used by one thread at a time, like its ps_http.
 */
#ifndef PEARLSYNC_BIGCOMMERCE_H
#define PEARLSYNC_BIGCOMMERCE_H

#include <stddef.h>
#include <stdint.h>

#include "pearlsync/common.h"
#include "pearlsync/http.h"
#include "pearlsync/money.h"

/* Most rows BigCommerce returns per page, v2 and v3. */
#define PS_BC_PAGE_MAX 250
/* Most items a page of /v3/inventory/.../items holds. */
#define PS_BC_INVENTORY_PAGE_MAX 1000
/* Most items /v3/inventory/adjustments/absolute takes in one request. */
#define PS_BC_INVENTORY_BATCH_MAX 2000

typedef struct ps_bc_options {
	const char *base_url;     /* "https://api.bigcommerce.com" or the
				     sandbox root; "/stores/{hash}/..." is
				     appended */
	const char *store_hash;   /* required */
	const char *access_token; /* required; registered as a log secret */
	int page_limit;           /* rows per list page, 1..250 */
	int inventory_batch;      /* items per inventory request, 1..2000 */
	int64_t location_id;      /* inventory location written, 1 = default */
} ps_bc_options;

/* clang-format off */
#define PS_BC_OPTIONS_INIT                                                     \
	{"https://api.bigcommerce.com", NULL, NULL, PS_BC_PAGE_MAX,            \
	 PS_BC_INVENTORY_BATCH_MAX, 1}
/* clang-format on */

typedef struct ps_bc ps_bc;

/*
 * ps_bc_new - a connector for one store.  http is borrowed and must outlive
 * the ps_bc; the strings in opts are copied.  The access token is
 * registered with ps_log_add_secret() so it never reaches a log line.
 * Returns 0, PS_EINVAL (missing hash or token, bad limits: the detail says
 * which) or PS_ENOMEM; *out is NULL on failure.
 */
int ps_bc_new(ps_bc **out, ps_http *http, const ps_bc_options *opts);

/* ps_bc_free - free bc (not its ps_http); NULL is fine. */
void ps_bc_free(ps_bc *bc);

/*
 * ps_bc_check_connection - one cheap authenticated call (GET /v2/store);
 * *out_name is the store's name (caller frees).  PS_EAUTH when the token is
 * refused, PS_ENET/PS_ETIMEOUT/PS_ETLS when the host cannot be reached.
 */
int ps_bc_check_connection(char **out_name, ps_bc *bc);

/* --- store ---------------------------------------------------------------- */

typedef struct ps_bc_store_info {
	char *id;
	char *name;
	char *domain;
	char *currency; /* default currency code, "USD" */
	char *admin_email;
} ps_bc_store_info;

/* ps_bc_store_get - GET /v2/store. */
int ps_bc_store_get(ps_bc_store_info *out, ps_bc *bc);
void ps_bc_store_info_dispose(ps_bc_store_info *s);

/* --- orders --------------------------------------------------------------- */

typedef struct ps_bc_address {
	char *first_name, *last_name, *company;
	char *street_1, *street_2, *city, *state, *zip;
	char *country, *country_iso2, *phone, *email;
} ps_bc_address;

typedef struct ps_bc_order_product {
	int64_t id; /* order product id: shipments, refunds */
	int64_t order_id;
	int64_t product_id;       /* 0 for a custom line */
	int64_t variant_id;       /* 0 when absent */
	int64_t order_address_id; /* the shipping address it ships to */
	char *sku;                /* "" for a custom line without one */
	char *upc;                /* barcode, "" when none */
	char *name;
	char *type; /* "physical", "digital", ... */
	int64_t quantity;
	int64_t quantity_shipped;
	int64_t quantity_refunded;
	ps_money price_ex_tax; /* per unit */
	ps_money price_inc_tax;
	ps_money price_tax;
	ps_money total_ex_tax; /* per line, before discounts */
	ps_money total_inc_tax;
	ps_money total_tax;
	ps_money discount;               /* sum of applied_discounts[].amount */
	int64_t parent_order_product_id; /* 0 unless part of a bundle */
} ps_bc_order_product;

typedef struct ps_bc_shipping_address {
	int64_t id; /* the order_address_id for shipments */
	ps_bc_address address;
	char *shipping_method;
	ps_money cost_ex_tax;
	ps_money cost_inc_tax;
	ps_money cost_tax;
	int64_t items_total;
	int64_t items_shipped;
} ps_bc_shipping_address;

typedef struct ps_bc_order {
	int64_t id;
	int64_t customer_id; /* 0 = guest */
	int64_t channel_id;
	int status_id;
	char *status;         /* label as BigCommerce shows it */
	int64_t date_created; /* Unix seconds */
	int64_t date_modified;
	int64_t date_shipped; /* 0 when not shipped */
	ps_money subtotal_ex_tax, subtotal_inc_tax, subtotal_tax;
	ps_money shipping_cost_ex_tax, shipping_cost_inc_tax, shipping_cost_tax;
	ps_money handling_cost_ex_tax, handling_cost_inc_tax;
	ps_money wrapping_cost_ex_tax, wrapping_cost_inc_tax;
	ps_money total_ex_tax, total_inc_tax, total_tax;
	ps_money discount_amount, coupon_discount;
	ps_money store_credit_amount, gift_certificate_amount;
	ps_money refunded_amount;
	int is_tax_inclusive_pricing;
	/* The tax classes of the order's fees; -1 when the order does not
	 * say (absent or null).  Class 0 is the store's default class. */
	int64_t shipping_cost_tax_class_id;
	int64_t handling_cost_tax_class_id;
	int64_t wrapping_cost_tax_class_id;
	int is_deleted;
	int64_t items_total;
	int64_t items_shipped;
	char *currency_code;         /* display currency */
	char *default_currency_code; /* transactional currency: use this */
	char *payment_method;
	char *payment_status; /* "captured", "authorized", "" ... */
	char *payment_provider_id;
	char *customer_message;
	char *staff_notes;
	char *order_source;
	char *external_source;
	char *external_id;
	ps_bc_address billing_address;
	/* Filled by ps_bc_order_get() and ps_bc_orders_get_many(); empty in
	 * ps_bc_orders_list() results. */
	ps_bc_order_product *products;
	size_t nproducts;
	ps_bc_shipping_address *shipping_addresses;
	size_t nshipping_addresses;
	/* private: after ps_bc_order_compact, the one block that holds every
	 * string above (NULL before); ps_bc_order_dispose frees it */
	char *strings;
} ps_bc_order;

/*
 * An order of a listing that could not be read (ps_bc_order_query
 * skip_bad): what is known of it, for its own log entry.
 */
typedef struct ps_bc_order_problem {
	int64_t id;   /* 0: the reply's id itself is unusable */
	char *reason; /* owned: names the order and the field */
} ps_bc_order_problem;

typedef struct ps_bc_order_list {
	ps_bc_order *items;
	size_t count;
	ps_bc_order_problem *bad; /* owned; only with skip_bad */
	size_t nbad;
} ps_bc_order_list;

void ps_bc_order_dispose(ps_bc_order *o);
void ps_bc_order_list_dispose(ps_bc_order_list *l);

/*
 * One tax applied to an order, as GET /v2/orders/{id}/taxes?details=true
 * lists it: one row per tax rate and taxed thing (a product line, the
 * shipping, handling or gift wrapping).  The order's products do not say
 * their tax class; these rows do.
 */
typedef struct ps_bc_order_tax {
	int64_t id;
	int64_t order_address_id;
	int64_t tax_class_id;     /* -1: null or absent (automatic tax) */
	char *name;               /* the rate's name, "" when none */
	char *class_name;         /* "class": the tax class's name */
	char *line_item_type;     /* "item", "shipping", "handling",
				     "gift-wrapping"; "" when not said */
	int64_t order_product_id; /* the line (item, handling); 0: none */
	ps_money rate;            /* percent, "8.0000" is 80000 */
	ps_money line_amount;
} ps_bc_order_tax;

typedef struct ps_bc_order_tax_list {
	ps_bc_order_tax *items;
	size_t count;
} ps_bc_order_tax_list;

void ps_bc_order_tax_list_dispose(ps_bc_order_tax_list *l);

/*
 * ps_bc_order_taxes_list - GET /v2/orders/{id}/taxes?details=true, every
 * page (204: no taxes, an empty list).
 */
int ps_bc_order_taxes_list(ps_bc_order_tax_list *out, ps_bc *bc,
			   int64_t order_id);

/*
 * ps_bc_order_taxes_list_many - the taxes of orders ids[0..n-1] into
 * outs[0..n-1], the first pages read several at a time; a list with
 * more pages, or a read that failed, is read again the ordinary way.  An
 * error is the first order's that still failed; every outs[i] is then
 * empty.
 */
int ps_bc_order_taxes_list_many(ps_bc_order_tax_list *outs, ps_bc *bc,
				const int64_t *ids, size_t n);

/*
 * ps_bc_order_taxes_class - the tax class of what l taxes: a product line
 * (type "item", order_product_id line) or a fee (type "shipping",
 * "handling", "gift-wrapping"; line 0).  -1 when no row with a class says,
 * or when the rows disagree (then *mixed, when not NULL, is 1).
 */
int64_t ps_bc_order_taxes_class(const ps_bc_order_tax_list *l, const char *type,
				int64_t line, int *mixed);

typedef struct ps_bc_order_query {
	int64_t min_date_modified; /* Unix seconds, inclusive; 0: no bound */
	int64_t max_date_modified; /* 0: no bound */
	int status_id;             /* -1: any status */
	int64_t min_id;            /* 0: no bound */
	size_t max_orders;         /* stop after this many; 0: all */
	int with_lines;            /* non-zero: each order with its products and
				      shipping addresses, as ps_bc_order_get fills them */
	int skip_bad; /* non-zero: an order whose data does not parse
			 (PS_EDATA) goes to out->bad instead of failing
			 the whole list */
} ps_bc_order_query;

#define PS_BC_ORDER_QUERY_INIT                                                 \
	{                                                                      \
		0, 0, -1, 0, 0, 0, 0                                           \
	}

/*
 * ps_bc_orders_list - GET /v2/orders with q's filters, sorted by
 * date_modified ascending, every page (a 204 or a short page ends the
 * walk) up to q->max_orders.  Orders come without products and shipping
 * addresses unless q->with_lines, which asks for them inline (an order
 * whose lines BigCommerce cut short has them read separately).  q NULL:
 * every order.  One order that does not parse fails the whole list with
 * PS_EDATA naming it and the field, unless q->skip_bad: then it is left
 * out of items and described in out->bad (its id when that could be
 * read, and why), and the walk goes on; transport errors still fail the
 * whole list.
 */
int ps_bc_orders_list(ps_bc_order_list *out, ps_bc *bc,
		      const ps_bc_order_query *q);

/*
 * ps_bc_orders_foreach - ps_bc_orders_list without holding the whole
 * listing: the orders (and, with q->skip_bad, the problems) go to fn in
 * chunks of at most chunk of them, in listing order, as the pages are
 * read, so at most one page's reply and one chunk are held at a time.
 * fn may move orders out of the chunk (leaving a zeroed slot); what it
 * leaves is freed when it returns.  fn returning < 0 ends the walk with
 * that code.  A transport or parse error ends it too, after the chunks
 * delivered before it: the caller must not take the walk for complete
 * unless 0 is returned.  chunk 0 counts as 1.  With q->with_lines the
 * pages are of at most 50 orders whatever the configured page size.
 */
typedef int (*ps_bc_order_chunk_fn)(ps_bc_order_list *chunk, void *payload);
int ps_bc_orders_foreach(ps_bc *bc, const ps_bc_order_query *q, size_t chunk,
			 ps_bc_order_chunk_fn fn, void *payload);

/*
 * ps_bc_order_compact - move every string of o (its own, its billing
 * address's, its lines' and shipping addresses') into one block, for an
 * order held a while: some sixty small allocations become one, about a
 * third of the heap.  The strings must not be freed or replaced one by
 * one afterwards (none of this library's users do); ps_bc_order_dispose
 * frees the block.  Out of memory leaves o as it was.
 */
void ps_bc_order_compact(ps_bc_order *o);

/*
 * ps_bc_order_size - about how many bytes of heap order o takes: its
 * structs and its strings, each string as the malloc chunk holding it.
 * For memory budgets.
 */
size_t ps_bc_order_size(const ps_bc_order *o);

/*
 * ps_bc_orders_list_modified_since - ps_bc_orders_list for orders modified
 * at or after since (Unix seconds), optionally only status_id (-1: any).
 * The caller keeps the largest date_modified seen as its cursor.
 */
int ps_bc_orders_list_modified_since(ps_bc_order_list *out, ps_bc *bc,
				     int64_t since, int status_id);

/*
 * ps_bc_order_get - the order with its products and shipping addresses.
 * One GET /v2/orders/{id}?include=consignments.line_items
 * (consignment_structure=object) brings them inline; the paged lists
 * /products (and /shipping_addresses) are read only when a consignment's
 * lines were cut at BigCommerce's 50 or the reply has no consignments.
 * Products are in line id order, as /products lists them.  PS_ENOTFOUND
 * when there is no order id; PS_EREMOTE when the reply is about another
 * order (its id, or a line's order_id, is not id): nothing of it is
 * returned.
 */
int ps_bc_order_get(ps_bc_order *out, ps_bc *bc, int64_t id);

/*
 * ps_bc_orders_get_many - the orders ids[0..n-1] as ps_bc_order_get fills
 * them, in as few requests as their spread allows: runs of close ids are
 * read with GET /v2/orders?min_id=&max_id= and
 * include=consignments.line_items (consignment_structure=object), so the
 * lines and shipping addresses come inline; a run spans fewer ids than
 * the page limit, so it is normally one request.  An order whose inline
 * lines were cut is completed from its /products list.  out->count is n and
 * out->items[i] answers ids[i]; an id the listing did not return (deleted,
 * or an inline line list BigCommerce cut short and the direct read then
 * failed, or whose data did not parse) has items[i].id 0, for the caller
 * to read with ps_bc_order_get (which reports why);
 * so has every repeat of an id after its first position.  n 0 is an empty
 * list.  An error means nothing was returned.
 */
int ps_bc_orders_get_many(ps_bc_order_list *out, ps_bc *bc, const int64_t *ids,
			  size_t n);

/*
 * ps_bc_order_update_status - PUT /v2/orders/{id} {"status_id": n}.
 * Repeating it is harmless.  PS_ENOTFOUND for an unknown order.
 */
int ps_bc_order_update_status(ps_bc *bc, int64_t id, int status_id);

/*
 * ps_bc_order_update_notes - replace staff_notes and/or customer_message
 * (NULL leaves a field unchanged; both NULL is PS_EINVAL).  The whole text
 * is replaced: to append, read the order first.
 */
int ps_bc_order_update_notes(ps_bc *bc, int64_t id, const char *staff_notes,
			     const char *customer_message);

/* --- order statuses ------------------------------------------------------- */

typedef struct ps_bc_order_status {
	int id;
	char *name;
	char *system_label;
	char *custom_label; /* what the merchant renamed it to */
	int order;          /* display position */
} ps_bc_order_status;

typedef struct ps_bc_order_status_list {
	ps_bc_order_status *items;
	size_t count;
} ps_bc_order_status_list;

/* ps_bc_order_statuses_list - GET /v2/order_statuses (all of them). */
int ps_bc_order_statuses_list(ps_bc_order_status_list *out, ps_bc *bc);
void ps_bc_order_status_list_dispose(ps_bc_order_status_list *l);

/* --- shipments ------------------------------------------------------------ */

typedef struct ps_bc_shipment_item {
	int64_t order_product_id;
	int64_t product_id; /* read-only; 0 in requests */
	int64_t quantity;
} ps_bc_shipment_item;

typedef struct ps_bc_shipment {
	int64_t id;
	int64_t order_id;
	int64_t order_address_id;
	int64_t date_created; /* Unix seconds */
	char *tracking_number;
	char *tracking_carrier;
	char *tracking_link;
	char *shipping_provider;
	char *shipping_method;
	char *comments;
	ps_bc_shipment_item *items;
	size_t nitems;
} ps_bc_shipment;

typedef struct ps_bc_shipment_list {
	ps_bc_shipment *items;
	size_t count;
} ps_bc_shipment_list;

void ps_bc_shipment_dispose(ps_bc_shipment *s);
void ps_bc_shipment_list_dispose(ps_bc_shipment_list *l);

/* What to ship: strings may be NULL (not sent). */
typedef struct ps_bc_shipment_new {
	int64_t order_address_id;         /* required */
	const ps_bc_shipment_item *items; /* required, quantity > 0 each */
	size_t nitems;
	const char *tracking_number;   /* <= 50 chars */
	const char *shipping_provider; /* "", "ups", "fedex", "carrier_N" */
	const char *tracking_carrier;  /* AfterShip slug */
	const char *shipping_method;   /* free text */
	const char *tracking_link;
	const char *comments;
	/*
	 * Optional reference unique to this shipment (e.g. the goods-out
	 * note id).  It is written into comments as "[ref]" and makes the
	 * create exactly-once: when the POST fails in a way that may have
	 * reached BigCommerce, the order's shipments are listed and one
	 * carrying the reference is adopted instead of failing; and a
	 * shipment already carrying it is returned without a second POST.
	 */
	const char *ref;
} ps_bc_shipment_new;

/*
 * ps_bc_shipment_create - POST /v2/orders/{order_id}/shipments; *out is
 * the created (or adopted) shipment.  Not idempotent without ref: after a
 * PS_ENET/PS_ETIMEOUT/PS_EREMOTE the shipment may exist.  PS_EDATA when
 * BigCommerce refuses it (e.g. more than the remaining quantity).
 */
int ps_bc_shipment_create(ps_bc_shipment *out, ps_bc *bc, int64_t order_id,
			  const ps_bc_shipment_new *s);

/* ps_bc_shipments_list - every shipment of the order (204 is empty). */
int ps_bc_shipments_list(ps_bc_shipment_list *out, ps_bc *bc, int64_t order_id);

/*
 * ps_bc_tracking_carrier - the tracking_carrier BigCommerce understands
 * (an AfterShip courier slug: "ups", "royal-mail", ...) for a carrier or
 * shipping-method name ("UPS", "Royal Mail Tracked 48", "FedEx Ground")
 * or, failing that, a tracking number of a recognisable shape (UPS's
 * "1Z" + 16); NULL when neither says.  Either argument may be NULL.
 * Static string.
 */
const char *ps_bc_tracking_carrier(const char *name, const char *tracking);

/*
 * ps_bc_webhook_destination_check - whether BigCommerce can deliver
 * webhooks to public_url.  BigCommerce's own API delivers only to
 * https:// on port 443; a connector pointed elsewhere (the sandbox, a
 * test server) accepts any http:// or https:// URL.  Returns 0, or
 * PS_ESETTING with a detail saying what to set up instead.
 */
int ps_bc_webhook_destination_check(const ps_bc *bc, const char *public_url);

/* --- catalog and inventory ------------------------------------------------ */

typedef enum ps_bc_tracking {
	PS_BC_TRACKING_NONE = 0, /* stock not tracked: skip it */
	PS_BC_TRACKING_PRODUCT,  /* write the product's level */
	PS_BC_TRACKING_VARIANT   /* write each variant's level */
} ps_bc_tracking;

/* ps_bc_tracking_name - "none", "product", "variant" (static). */
const char *ps_bc_tracking_name(ps_bc_tracking t);

/* One sellable SKU: a variant (a product without options has one). */
typedef struct ps_bc_sku {
	char *sku;
	int64_t product_id;
	int64_t variant_id;
	int is_base_variant; /* the product's own (option-less) variant */
	char *product_name;
	ps_bc_tracking tracking; /* the product's inventory_tracking */
	int64_t inventory_level; /* the level that tracking reads */
} ps_bc_sku;

typedef struct ps_bc_sku_list {
	ps_bc_sku *items;
	size_t count;
} ps_bc_sku_list;

void ps_bc_sku_dispose(ps_bc_sku *s);
void ps_bc_sku_list_dispose(ps_bc_sku_list *l);

/* ---- catalog writes (catalog.c) ------------------------------------------ */

/*
 * The catalog fields pearlsync may write on a product or a variant.  A
 * NULL string or a has_ flag of 0 leaves that field out of the request,
 * so an update sends only what is set.  Variants take sku, upc, weight
 * and price (name and description belong to the product).
 */
typedef struct ps_bc_catalog_fields {
	const char *name;        /* 1..250 characters, unique in the store */
	const char *sku;         /* unique (case-insensitive) */
	const char *upc;         /* the barcode; at most 14 characters */
	const char *description; /* HTML allowed */
	ps_money weight;         /* in the store's weight unit; has_weight */
	ps_money price;          /* in the store's currency; has_price */
	int has_weight, has_price;
} ps_bc_catalog_fields;

/* One option value of a new variant: option "Colour", label "Red". */
typedef struct ps_bc_option_value {
	const char *option;
	const char *label;
} ps_bc_option_value;

typedef struct ps_bc_variant_new {
	ps_bc_catalog_fields f;
	const ps_bc_option_value *options; /* noptions, borrowed */
	size_t noptions;
} ps_bc_variant_new;

/* What a create made: the product and its variants' ids. */
typedef struct ps_bc_created {
	int64_t product_id;
	int64_t *variant_ids; /* owned: one per variant asked for, in order;
				 with none asked for, the base variant */
	size_t nvariants;
} ps_bc_created;

void ps_bc_created_dispose(ps_bc_created *c);

/*
 * ps_bc_catalog_create - POST /v3/catalog/products: one physical product
 * (BigCommerce creates one a request) with p's fields (name, weight and
 * price are required: a missing one is sent as "" or 0 for BigCommerce to
 * judge) and the nv variants v, each with its option values, created in
 * the same request.  On success *out holds the ids.  A duplicate name or
 * SKU (HTTP 409) is PS_EEXISTS; other refusals PS_EDATA with
 * BigCommerce's words; a reply lost to the network is PS_ENET/PS_EHTTP
 * and the caller must look the product up (by SKU) before trying again.
 */
int ps_bc_catalog_create(ps_bc_created *out, ps_bc *bc,
			 const ps_bc_catalog_fields *p,
			 const ps_bc_variant_new *v, size_t nv);

/* One item of a batch update: the product or variant id and the fields
 * to send (ps_bc_catalog_fields: unset fields are left out). */
typedef struct ps_bc_catalog_update {
	int64_t id;
	ps_bc_catalog_fields f;
} ps_bc_catalog_update;

/* What became of one item of a batch: code 0 or a PS_E* code, why the
 * operator-readable reason (owned; NULL when code is 0). */
typedef struct ps_bc_catalog_outcome {
	int code;
	char *why;
} ps_bc_catalog_outcome;

void ps_bc_catalog_outcomes_dispose(ps_bc_catalog_outcome *o, size_t n);

/*
 * ps_bc_catalog_products_update / ps_bc_catalog_variants_update - PUT
 * /v3/catalog/products (at most 10 a request) or PUT /v3/catalog/variants
 * (at most 50) with the n items of u, in as few requests as those limits
 * allow.  BigCommerce refuses a whole batch for one bad item, so a
 * refused batch is sent again one item a request, and each item gets its
 * own outcome in out[0..n-1] (zeroed here).  *out_requests (may be NULL)
 * counts the requests sent.  Returns 0 when every item was tried (see
 * out), or a transport error (PS_ENET, PS_ERATELIMIT, ...) that stopped
 * the work: items not tried then have that code.
 */
int ps_bc_catalog_products_update(ps_bc_catalog_outcome *out,
				  size_t *out_requests, ps_bc *bc,
				  const ps_bc_catalog_update *u, size_t n);
int ps_bc_catalog_variants_update(ps_bc_catalog_outcome *out,
				  size_t *out_requests, ps_bc *bc,
				  const ps_bc_catalog_update *u, size_t n);

/*
 * ps_bc_catalog_variants_of - the variants of product product_id
 * (GET /v3/catalog/products/{id}/variants, every page) as SKUs with
 * their ids; product fields other than product_id are left empty.
 */
int ps_bc_catalog_variants_of(ps_bc_sku_list *out, ps_bc *bc,
			      int64_t product_id);

/*
 * ps_bc_catalog_find_sku - the variant whose SKU is sku and its product's
 * tracking (GET /v3/catalog/variants?sku=, then the product): two requests.
 * PS_ENOTFOUND when no variant has the SKU.
 */
int ps_bc_catalog_find_sku(ps_bc_sku *out, ps_bc *bc, const char *sku);

/*
 * ps_bc_catalog_list_skus - every variant of every product with its
 * product's tracking, from GET /v3/catalog/products and /v3/catalog/variants
 * (250 rows a page): about count/125 requests, for full reconciles.
 * Variants without a SKU are left out.
 */
int ps_bc_catalog_list_skus(ps_bc_sku_list *out, ps_bc *bc);

/*
 * ps_bc_inventory_list - every SKU with its product's tracking and its
 * on-hand level at the configured location (options.location_id), the
 * level ps_bc_inventory_set writes: GET /v3/catalog/products (250 a page,
 * for the tracking) and GET /v3/inventory/locations/{id}/items (1000 a
 * page), so P products with V variants cost P/250 + V/1000 requests.
 * Items without a SKU are left out; product_name is NULL (stock needs no
 * names, and 20,000 of them are memory the worker's bound has no room
 * for).  PS_ENOTFOUND when BigCommerce has no such location.
 */
int ps_bc_inventory_list(ps_bc_sku_list *out, ps_bc *bc);

typedef struct ps_bc_stock {
	ps_bc_tracking tracking; /* PRODUCT: product_id; VARIANT: variant_id */
	int64_t product_id;
	int64_t variant_id;
	int64_t quantity; /* absolute on-hand level, >= 0 */
} ps_bc_stock;

/*
 * ps_bc_inventory_set - set absolute stock levels at the configured
 * location with PUT /v3/inventory/adjustments/absolute, up to
 * options.inventory_batch (2000) items per request, one request after the
 * other as BigCommerce asks.  An item whose tracking is NONE is
 * PS_EINVAL (the caller skips untracked items and says why).  reason may
 * be NULL.  *out_sent (optional) counts items in requests that succeeded.
 * The adjustment is applied asynchronously by BigCommerce: a read straight
 * after may still show the old level.  PUT is absolute, so a retry is
 * harmless.
 */
int ps_bc_inventory_set(size_t *out_sent, ps_bc *bc, const ps_bc_stock *items,
			size_t n, const char *reason);

/* --- customers ------------------------------------------------------------ */

typedef struct ps_bc_customer {
	int64_t id;
	char *email;
	char *first_name;
	char *last_name;
	char *company;
	char *phone;
	char *notes;
	int64_t customer_group_id;
	int64_t date_created; /* Unix seconds */
	int64_t date_modified;
} ps_bc_customer;

typedef struct ps_bc_customer_list {
	ps_bc_customer *items;
	size_t count;
} ps_bc_customer_list;

void ps_bc_customer_dispose(ps_bc_customer *c);
void ps_bc_customer_list_dispose(ps_bc_customer_list *l);

/* ps_bc_customer_get - GET /v3/customers?id:in=id; PS_ENOTFOUND if none. */
int ps_bc_customer_get(ps_bc_customer *out, ps_bc *bc, int64_t id);

/*
 * ps_bc_customers_find_email - customers whose email is email (exact,
 * GET /v3/customers?email:in=); an empty list when none.
 */
int ps_bc_customers_find_email(ps_bc_customer_list *out, ps_bc *bc,
			       const char *email);

/* --- transactions and refunds --------------------------------------------- */

typedef enum ps_bc_txn_event {
	PS_BC_TXN_OTHER = 0,
	PS_BC_TXN_PURCHASE,      /* authorised and captured at once */
	PS_BC_TXN_AUTHORIZATION, /* authorised only */
	PS_BC_TXN_CAPTURE,
	PS_BC_TXN_REFUND,
	PS_BC_TXN_VOID,
	PS_BC_TXN_PENDING,
	PS_BC_TXN_SETTLED
} ps_bc_txn_event;

typedef struct ps_bc_transaction {
	int64_t id;
	int64_t order_id;
	ps_bc_txn_event event;
	char *event_name; /* as sent: "purchase", "capture", ... */
	char *method;     /* "credit_card", "store_credit", ... */
	ps_money amount;
	char *currency;
	char *gateway;
	char *gateway_transaction_id;
	char *payment_method_id;
	int ok; /* status "ok" (not "error") */
	int test;
	int64_t date_created; /* Unix seconds */
	/*
	 * Derived: money taken (a successful purchase or capture), or only
	 * reserved (a successful authorization).
	 */
	int captured;
	int authorized;
	/* Built by ps_bc_order_payment from the order's own fields, not
	 * read: id 0, gateway and method "" (the order does not say). */
	int from_order;
} ps_bc_transaction;

typedef struct ps_bc_transaction_list {
	ps_bc_transaction *items;
	size_t count;
} ps_bc_transaction_list;

void ps_bc_transaction_list_dispose(ps_bc_transaction_list *l);

/* ps_bc_transactions_list - GET /v3/orders/{id}/transactions (204 empty). */
int ps_bc_transactions_list(ps_bc_transaction_list *out, ps_bc *bc,
			    int64_t order_id);

/*
 * ps_bc_transactions_list_many - the transactions of orders ids[0..n-1]
 * into outs[0..n-1], the first pages read several at a time
 * (ps_http_send_many); a list with more pages, or a read that failed or
 * was not sent, is read again the ordinary way with its retries.  An
 * error is the first order's that still failed; every outs[i] is then
 * empty.
 */
int ps_bc_transactions_list_many(ps_bc_transaction_list *outs, ps_bc *bc,
				 const int64_t *ids, size_t n);

/*
 * ps_bc_order_payment - the payment order o's own fields describe, when
 * they describe it whole, as the one transaction the transactions read
 * would hold of it.  That is when the order has a single tender (no store
 * credit, no gift certificate), nothing refunded, a positive
 * total_inc_tax, a payment_provider_id (the gateway's transaction id) and
 * payment_status "captured" or "authorized", and was not changed more than
 * PS_BC_ORDER_PAYMENT_SETTLE_S after it was placed (a later capture, or an
 * edit of the totals after the payment, would make the order's fields
 * differ from the transaction's).  Then *out holds one transaction
 * (from_order set, event purchase or authorization, amount total_inc_tax,
 * currency the transactional one, gateway_transaction_id the
 * payment_provider_id, date_created the order's) and 1 is returned.
 * Otherwise 0, *out empty and why (size cap) says what the order leaves
 * open: the transactions are to be read.  PS_ENOMEM.
 */
#define PS_BC_ORDER_PAYMENT_SETTLE_S 600
int ps_bc_order_payment(ps_bc_transaction_list *out, const ps_bc_order *o,
			char *why, size_t cap);

typedef struct ps_bc_refund_item {
	char *item_type; /* "PRODUCT", "SHIPPING", "ORDER", "FEE" */
	int64_t item_id;
	int64_t quantity;          /* 0 for amount-only items */
	ps_money requested_amount; /* 0 when not sent */
} ps_bc_refund_item;

typedef struct ps_bc_refund {
	int64_t id;
	int64_t order_id;
	int64_t created; /* Unix seconds */
	char *reason;
	ps_money total_amount;
	ps_money total_tax;
	ps_bc_refund_item *items;
	size_t nitems;
	char *provider_id; /* payments[0].provider_id, "" when none */
} ps_bc_refund;

typedef struct ps_bc_refund_list {
	ps_bc_refund *items;
	size_t count;
} ps_bc_refund_list;

void ps_bc_refund_list_dispose(ps_bc_refund_list *l);

/* ps_bc_refunds_list - GET /v3/orders/{id}/payment_actions/refunds. */
int ps_bc_refunds_list(ps_bc_refund_list *out, ps_bc *bc, int64_t order_id);

/*
 * ps_bc_refunds_since - every order's refunds created at or after
 * created_min (RFC 3339; NULL or "": all), GET /v3/orders/
 * payment_actions/refunds?created:min=, every page, by refund id.
 */
int ps_bc_refunds_since(ps_bc_refund_list *out, ps_bc *bc,
			const char *created_min);

/* --- webhooks ------------------------------------------------------------- */

typedef struct ps_bc_header {
	char *name;  /* owned */
	char *value; /* owned */
} ps_bc_header;

/* A custom header to register with a hook (borrowed strings). */
typedef struct ps_bc_header_spec {
	const char *name;
	const char *value;
} ps_bc_header_spec;

typedef struct ps_bc_webhook {
	int64_t id;
	char *scope; /* "store/order/created" */
	char *destination;
	int is_active;
	ps_bc_header *headers; /* custom headers sent with each callback */
	size_t nheaders;
	int64_t created_at; /* Unix seconds */
	int64_t updated_at;
} ps_bc_webhook;

typedef struct ps_bc_webhook_list {
	ps_bc_webhook *items;
	size_t count;
} ps_bc_webhook_list;

void ps_bc_webhook_dispose(ps_bc_webhook *w);
void ps_bc_webhook_list_dispose(ps_bc_webhook_list *l);

/*
 * ps_bc_webhook_create - POST /v3/hooks, active, with the custom headers
 * (name/value pairs, may be 0) BigCommerce adds to each callback (how
 * pearlsync authenticates them).  A hook is unique per scope and
 * destination, so when the POST fails in a way that may have reached
 * BigCommerce, or is refused because such a hook exists, the hooks are
 * listed and the matching one is returned as it is (check is_active and
 * headers; ps_bc_webhook_set_active() re-activates it).
 */
int ps_bc_webhook_create(ps_bc_webhook *out, ps_bc *bc, const char *scope,
			 const char *destination,
			 const ps_bc_header_spec *headers, size_t nheaders);

/* ps_bc_webhooks_list - every hook this token created (all pages). */
int ps_bc_webhooks_list(ps_bc_webhook_list *out, ps_bc *bc);

/*
 * ps_bc_webhook_set_active - PUT /v3/hooks/{id} {"is_active": active}:
 * re-activates a hook BigCommerce deactivated.  out may be NULL.
 */
int ps_bc_webhook_set_active(ps_bc_webhook *out, ps_bc *bc, int64_t id,
			     int active);

/*
 * ps_bc_webhook_delete - DELETE /v3/hooks/{id}.  PS_ENOTFOUND if there was
 * no such hook (but not when a retried attempt finds it already deleted).
 */
int ps_bc_webhook_delete(ps_bc *bc, int64_t id);

#endif
