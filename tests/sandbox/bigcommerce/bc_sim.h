/*
 * bc_sim.h - the BigCommerce simulator inside pearlsync-sandbox.
 *
 * bc_api.c answers the REST API under /bigcommerce/stores/{hash}/v2|v3,
 * bc_store.c keeps the in-memory store (orders, catalog, customers,
 * hooks) and raises webhook events, bc_control.c answers
 * /_sandbox/bigcommerce/... and registers the platform, bc_util.c holds
 * the wire formats (4-decimal money strings, RFC 2822 dates, SHA-1).
 *
 * Everything runs with the sandbox lock held (see sandbox.h), so the store
 * has no lock of its own.  State is kept as Jansson objects in the shape the
 * API returns, plus a few C fields (epoch times) that the filters need.
 */
#ifndef PEARLSYNC_BC_SIM_H
#define PEARLSYNC_BC_SIM_H

#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "sandbox.h"

/* Money in ten-thousandths, as BigCommerce's 4-decimal strings. */
typedef int64_t bc_money;
#define BC_MONEY_SCALE 10000

/* The real default quota: 150 requests per 30 s window (Standard/Plus). */
#define BC_QUOTA_REAL 150
#define BC_WINDOW_MS 30000
/* Documented batch limits. */
#define BC_VARIANT_BATCH_MAX 50
#define BC_PRODUCT_BATCH_MAX 10
#define BC_CUSTOMER_BATCH_MAX 10
#define BC_INVENTORY_ITEMS_MAX 2000
#define BC_PAGE_MAX 250
#define BC_HOOK_RETRIES 11

/* One order with its sub-resources. */
typedef struct bc_order {
	int64_t id;
	time_t created, modified, shipped; /* epoch s; shipped 0 = not yet */
	json_t *order;        /* v2 order fields except dates (owned) */
	json_t *lines;        /* v2 order products (owned) */
	json_t *addresses;    /* v2 shipping addresses (owned) */
	json_t *shipments;    /* v2 shipments, dates as epoch "_t" (owned) */
	json_t *transactions; /* v3 transactions (owned) */
	json_t *refunds;      /* v3 refunds (owned) */
	json_t *taxes;        /* v2 order taxes with the details=true members
				 (owned) */
	json_t *raw;      /* members served as they are, over the order's own
			     (control call "corrupt", for bad-input tests);
			     NULL: none (owned) */
	json_t *raw_read; /* the same, in GET /v2/orders/{id} only */
} bc_order;

typedef struct bc_state {
	sb_platform *pf;
	char store_hash[64];
	char token[256];
	char client_id[64];
	char store_id[16];       /* numeric string, as in webhook payloads */
	char client_secret[128]; /* signs callbacks (Standard Webhooks) */
	int64_t next_event;      /* webhook-id sequence */
	sb_window quota;
	int order_post_status; /* 201 by default, 200 per the spec */
	time_t clock_offset;   /* added to time(NULL), for tests */

	bc_order *orders;
	size_t norders, cap_orders;
	json_t *products;  /* v3 products, each with "variants" (owned) */
	json_t *customers; /* v3 customers (owned) */
	json_t *hooks;     /* v3 hooks (owned) */
	/*
	 * Catalog indexes (bc_catalog.c), so a lookup is not a scan of
	 * every product: "id" -> product, "id" -> variant, variant "id" ->
	 * its product, lower-case SKU -> variant, name -> product.  Values
	 * are the objects held in products (owned references).
	 */
	json_t *ix_product, *ix_variant, *ix_owner, *ix_sku, *ix_name;
	/* Catalog writes as received, [{method, path, body}] (owned). */
	json_t *catalog_writes;
	int64_t next_order, next_line, next_address, next_shipment;
	int64_t next_product, next_variant, next_customer, next_hook;
	int64_t next_transaction, next_refund, next_inventory_tx;
	int64_t hook_schedule_ms[BC_HOOK_RETRIES];
} bc_state;

/* ---- bc_util.c ---------------------------------------------------------- */

time_t bc_now(const bc_state *st);
/* "12.3400"; buf >= 32 bytes. */
const char *bc_money_str(char *buf, size_t len, bc_money m);
/* Money from a JSON number or numeric string; 0 on success, -1 if not. */
int bc_money_from_json(bc_money *out, const json_t *v);
/* v * rate, rounded half away from zero; rate in millionths. */
bc_money bc_money_mul(bc_money v, int64_t millionths);
/* RFC 2822 "Tue, 20 Nov 2012 00:00:00 +0000"; buf >= 40 bytes. */
const char *bc_rfc2822(char *buf, size_t len, time_t t);
/* ISO 8601 "2012-11-20T00:00:00+00:00"; buf >= 40 bytes. */
const char *bc_iso8601(char *buf, size_t len, time_t t);
/* Parse RFC 2822 or ISO 8601 (date-only too) or epoch digits; 0 on ok. */
int bc_parse_date(const char *s, time_t *out);
/* Lowercase hex SHA-1 of data; out >= 41 bytes. */
void bc_sha1_hex(char *out, const void *data, size_t len);
/* HMAC-SHA256 of msg under key. */
void bc_hmac_sha256(unsigned char out[32], const void *key, size_t klen,
		    const void *msg, size_t mlen);
/* Standard base64 with padding; out >= 4 * ceil(len / 3) + 1 bytes. */
void bc_base64(char *out, size_t outlen, const unsigned char *in, size_t len);
/* Integer query parameter: def when absent, -1 when malformed. */
int64_t bc_query_int(const sb_request *req, const char *name, int64_t def);

/* v2 error body: [{"status":..,"message":..}] */
void bc_v2_error(sb_response *resp, int status, const char *message);
/* v3 error body {status,title,type,errors}; errors stolen (NULL = {}). */
void bc_v3_error(sb_response *resp, int status, const char *title,
		 json_t *errors);
/*
 * Paging: read page/limit (defaults 1/50; limit above 250 -> 413 reply,
 * return -1).  v3 pagination meta for total rows; new reference.
 */
int bc_paging(const sb_request *req, sb_response *resp, int v3, int64_t *page,
	      int64_t *limit);
json_t *bc_pagination(int64_t total, int64_t count, int64_t page,
		      int64_t limit);
/* Does "a,b,c" contain item (exact match)? */
int bc_list_has(const char *list, const char *item);

/* ---- bc_store.c --------------------------------------------------------- */

bc_state *bc_state_new(sb_platform *pf);
void bc_state_free(bc_state *st);
void bc_state_clear(bc_state *st);
void bc_seed_demo(bc_state *st);

bc_order *bc_order_find(bc_state *st, int64_t id);
/* The v2 order as served; new reference. */
json_t *bc_order_json(bc_state *st, const bc_order *o);
/* A v2 shipment as served; new reference. */
json_t *bc_shipment_json(const bc_state *st, const json_t *sh);
/*
 * bc_order_create - create an order from a v2 POST /orders body, or from
 * the control API's richer body (control != 0: lines by SKU, tax rate,
 * coupon, payment).  On failure returns NULL and sets *status and *msg.
 * Fires store/order/created.
 */
bc_order *bc_order_create(bc_state *st, const json_t *body, int control,
			  int *status, char *msg, size_t msglen);
/* Apply a v2 PUT /orders/{id} body; 0 or an HTTP status with msg. */
int bc_order_update(bc_state *st, bc_order *o, const json_t *body, char *msg,
		    size_t msglen);
/*
 * bc_order_address_update - PUT /v2/orders/{id}/shipping_addresses/{aid}
 * (orders.v2 updateOrderShippingAddress): the shippingAddress_Put fields
 * of address a (one of o's) from body; anything else 400 "cannot be
 * written to".  Fires store/order/updated.  0, or the HTTP status with
 * msg.
 */
int bc_order_address_update(bc_state *st, bc_order *o, json_t *a,
			    const json_t *body, char *msg, size_t msglen);
/* Set the status, firing statusUpdated + updated when it changes. */
void bc_order_set_status(bc_state *st, bc_order *o, int status_id);
/* Create a shipment from a v2 POST body; new shipment json (borrowed from
 * the order) or NULL with *status/msg. */
json_t *bc_shipment_create(bc_state *st, bc_order *o, const json_t *body,
			   int *status, char *msg, size_t msglen);

/*
 * bc_refund_create - a refund made in the control panel (control API):
 * body as bc_refund_post's with "amount"? (a merchant override),
 * "provider_id"? and "offline"? in place of payments.  bc_refund_post -
 * POST /v3/orders/{id}/payment_actions/refunds (control 0): items by
 * item_type (PRODUCT with quantity; SHIPPING, HANDLING, ORDER with an
 * amount) and payments adding up to the refund.  Either updates
 * quantity_refunded, refunded_amount, payment_status, adds a refund
 * transaction, moves the order to Refunded (4) or Partially Refunded
 * (14) and fires store/order/refund/created.  Returns the refund
 * (borrowed) or NULL with msg (BigCommerce answers 422).
 * bc_refund_quote - POST .../refund_quotes: the RefundQuote_Full of
 * body's items (new reference), or NULL with msg.
 */
json_t *bc_refund_create(bc_state *st, bc_order *o, const json_t *body,
			 char *msg, size_t msglen);
json_t *bc_refund_post(bc_state *st, bc_order *o, const json_t *body,
		       int control, char *msg, size_t msglen);
json_t *bc_refund_quote(bc_state *st, bc_order *o, const json_t *body,
			char *msg, size_t msglen);

const char *bc_status_name(int id);
json_t *bc_status_json(int id);

/* Catalog. */
json_t *bc_product_find(bc_state *st, int64_t id);
json_t *bc_variant_find(bc_state *st, int64_t id, json_t **product);
json_t *bc_variant_by_sku(bc_state *st, const char *sku, json_t **product);
json_t *bc_product_create(bc_state *st, const json_t *body, int *status,
			  char *msg, size_t msglen);
/* Set the on-hand stock of a variant (or product-tracked product). */
void bc_inventory_set(bc_state *st, json_t *product, json_t *variant,
		      int64_t level);
/* Product as served (variants included if with_variants); new ref. */
json_t *bc_product_json(const json_t *p, int with_variants);
/*
 * The same with the catalog's include_fields and exclude_fields query
 * lists (either NULL: not given): with include, only "id" and the fields
 * named [spec:products_catalog.v3.yml IncludeFieldsParam "The ID and the
 * specified fields will be returned"]; variants still follow
 * with_variants (the include=variants sub-resource).
 */
json_t *bc_product_fields(const json_t *p, int with_variants,
			  const char *include, const char *exclude);

/* ---- bc_catalog.c ------------------------------------------------------- */

/* Make (bc_state_new) and empty (bc_state_clear) the indexes; free. */
void bc_catalog_init(bc_state *st);
void bc_catalog_clear(bc_state *st);
void bc_catalog_free(bc_state *st);
/* Index a product with its variants, or one variant of product p. */
void bc_index_product(bc_state *st, json_t *p);
void bc_index_variant(bc_state *st, json_t *p, json_t *v);
/* The product named name, the variant whose SKU is sku in any case. */
json_t *bc_product_by_name(bc_state *st, const char *name);
json_t *bc_variant_by_sku_ci(bc_state *st, const char *sku, json_t **product);
/*
 * bc_catalog_check - whether body may be written to product p (NULL: a
 * new product) or, with v set, to variant v of p: 0, or the HTTP status
 * (409 duplicate name or SKU, 422 a field out of its bounds) with the
 * title in msg and the offending field in *field (static).
 */
int bc_catalog_check(bc_state *st, const json_t *p, const json_t *v,
		     const json_t *body, char *msg, size_t msglen,
		     const char **field, const char **code);
/* Set a product's or a variant's SKU (and the base variant's with a
 * product's), keeping the index. */
void bc_catalog_set_sku(bc_state *st, json_t *p, json_t *v, const char *sku);
/* Set a product's name, keeping the index. */
void bc_catalog_set_name(bc_state *st, json_t *p, const char *name);
/* Remember a catalog write for the control API (catalog-writes). */
void bc_catalog_record(bc_state *st, const char *method, const char *path,
		       const json_t *body);

json_t *bc_customer_create(bc_state *st, const json_t *body, char *msg,
			   size_t msglen);
json_t *bc_customer_find(bc_state *st, int64_t id);

/* Raise a webhook event for every active hook matching scope. */
void bc_event(bc_state *st, const char *scope, json_t *data);
json_t *bc_hook_find(bc_state *st, int64_t id);
int bc_on_delivery(sb_platform *pf, sb_delivery *d, int status,
		   int last_attempt);

/* ---- bc_api.c ----------------------------------------------------------- */

void bc_handle(sb_platform *pf, sb_request *req, sb_response *resp);
/* Counter keys of every served route ("GET v2/orders", ...); new ref. */
json_t *bc_routes_json(void);
void bc_fault_reply(sb_platform *pf, int status, sb_request *req,
		    sb_response *resp);

/* ---- bc_control.c ------------------------------------------------------- */

void bc_control(sb_platform *pf, const char *action, sb_request *req,
		sb_response *resp);

#endif
