/*
 * dsco.h - the DSCO (Rithum) connector: typed operations of one drop-ship
 * supplier account on the DSCO API v3, over the HTTP client.
 *
 * Flows call these functions with plain C structs and get plain C structs
 * back; no JSON crosses this header.  The connector owns the wire rules:
 * the OAuth2 client-credentials token (fetched form-encoded from
 * /oauth2/token, refreshed 60 s before it expires and once on a 401) or
 * the legacy static token, the JSON headers, order pages followed by
 * scrollId, ids that are strings of digits (numbers accepted too),
 * unknown fields ignored, and the change logs that report what an
 * asynchronous request (202) finally did.
 *
 * Retries: 429 and 500/502/503/504 are retried by the HTTP client with its
 * backoff and budget (http.h); 408 is retried here with exponential
 * backoff through the injected sleep, up to PS_DSCO_RETRY_MAX attempts.
 * DSCO asks clients to keep retrying for up to two hours; an interactive
 * worker does not block that long: after the budget the error is returned
 * and the worker retries the log entry later on its own schedule.  Other
 * 4xx are never retried.
 *
 * Strings in structs are `const char *`.  In structs a caller fills in
 * (shipments, inventory, invoices...) they are borrowed for the call.  In
 * structs filled by the connector they are owned by the containing object
 * and released by its _dispose function.  Money is ps_money; dates are
 * unix milliseconds (0: absent).
 *
 * Errors: 0 on success or a negative PS_E* code with an operator-readable
 * detail in ps_error_last() that names the object ("DSCO order
 * 1022178919: shipment refused: ...") and never contains a secret:
 *   PS_EAUTH       the credentials or token were refused (401/403);
 *   PS_ENOTFOUND   a single object asked for does not exist (404);
 *   PS_EDATA       DSCO refused the request (other 4xx, its messages in the
 *                  detail), an asynchronous request failed in its change
 *                  log, or a reply lacks a required field;
 *   PS_ETIMEOUT    also: an asynchronous request still processing when
 *                  ps_dsco_request_follow gave up waiting;
 *   PS_EREMOTE, PS_ERATELIMIT, PS_ENET, PS_ETLS, PS_EHTTP: from the HTTP
 *                  client after its retry budget (see http.h);
 *   PS_EPARSE      the reply was not JSON;  PS_ESETTING, PS_EINVAL,
 *                  PS_ENOMEM.
 * A ps_dsco is used by one thread at a time (like its ps_http).
 */
#ifndef PEARLSYNC_DSCO_H
#define PEARLSYNC_DSCO_H

#include <stddef.h>
#include <stdint.h>

#include "pearlsync/common.h"
#include "pearlsync/http.h"
#include "pearlsync/money.h"

/* ---- options ------------------------------------------------------------- */

typedef enum ps_dsco_auth {
	/* OAuth2 client credentials: client_id + client_secret */
	PS_DSCO_AUTH_CLIENT_CREDENTIALS = 0,
	/* the legacy long-lived API token, sent as is */
	PS_DSCO_AUTH_STATIC_TOKEN = 1
} ps_dsco_auth;

/*
 * The transport: ps_http_send by default.  Tests may substitute a function
 * with the same contract to script replies and record requests.
 */
typedef int (*ps_dsco_send_fn)(void *ctx, ps_http_response *out,
			       const ps_http_request *req);

/* Wall clock, unix milliseconds.  NULL: the system clock. */
typedef int64_t (*ps_dsco_now_fn)(void *ctx);

/* Block for ms milliseconds (retry backoff, change-log polling). */
typedef void (*ps_dsco_sleep_fn)(void *ctx, int64_t ms);

/*
 * Called with each access token the token endpoint grants (client
 * credentials only), so a later process may start with it
 * (options.access_token).  A failure is logged and otherwise ignored:
 * a new token can always be fetched.  Optional.
 */
typedef int (*ps_dsco_token_save_fn)(void *ctx, const char *access_token,
				     int64_t expires_at_ms);

typedef struct ps_dsco_options {
	/* "https://api.dsco.io/api/v3" or the sandbox's; no trailing "/" */
	const char *base_url;
	ps_dsco_auth auth;
	const char *client_id;     /* client credentials */
	const char *client_secret; /* client credentials */
	/*
	 * Static token mode: the API token (required).  Client
	 * credentials: a previously granted access token to start with, or
	 * NULL; used until access_expires_at_ms minus the refresh margin.
	 */
	const char *access_token;
	int64_t access_expires_at_ms;
	const char *token_url; /* NULL: {base_url}/oauth2/token */
	ps_dsco_token_save_fn save;
	void *save_ctx;
	ps_dsco_send_fn send; /* NULL: ps_http_send */
	void *send_ctx;       /* passed to send */
	ps_dsco_now_fn now;   /* NULL: the system's wall clock */
	void *now_ctx;
	ps_dsco_sleep_fn sleep; /* NULL: the system's sleep */
	void *sleep_ctx;
	int orders_per_page; /* 10..1000; 0: 100 */
} ps_dsco_options;

#define PS_DSCO_OPTIONS_INIT                                                   \
	{                                                                      \
		NULL, PS_DSCO_AUTH_CLIENT_CREDENTIALS, NULL, NULL, NULL, 0,    \
			NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,  \
			0                                                      \
	}

/* The access token is refreshed this long before it expires. */
#define PS_DSCO_REFRESH_MARGIN_MS 60000
/* Attempts of a request answered 408 (the first included). */
#define PS_DSCO_RETRY_MAX 4
/* First wait after a 408; doubled each time. */
#define PS_DSCO_RETRY_BASE_MS 1000
/* DSCO refuses an order window whose end is less than this in the past. */
#define PS_DSCO_UNTIL_LAG_MS 5000

typedef struct ps_dsco ps_dsco;

/*
 * ps_dsco_new - a connector over http (borrowed: it must outlive the
 * ps_dsco; may be NULL only when opts->send is set).  Strings in opts are
 * copied; the secret and tokens are registered with ps_log_add_secret.
 * No request is sent.  Returns 0, PS_ESETTING (base URL missing, client id
 * or secret missing in client-credentials mode, token missing in static
 * mode; the detail names it) or PS_ENOMEM; *out is NULL on failure.
 */
int ps_dsco_new(ps_dsco **out, ps_http *http, const ps_dsco_options *opts);

/* ps_dsco_free - release d (secrets are wiped); NULL is fine. */
void ps_dsco_free(ps_dsco *d);

/*
 * ps_dsco_token_refresh - client credentials: fetch a new access token now
 * (the connector does it itself before expiry and once on a 401).
 * PS_EAUTH when the endpoint refuses the client id or secret; PS_ESETTING
 * in static-token mode.
 */
int ps_dsco_token_refresh(ps_dsco *d);

/*
 * ps_dsco_check_connection - a token (client credentials) and GET /hello.
 * *out_name (owned) names the connection: "client <id>" or "static token".
 */
int ps_dsco_check_connection(char **out_name, ps_dsco *d);

/* ---- orders (read) ------------------------------------------------------- */

typedef enum ps_dsco_lifecycle {
	PS_DSCO_LIFECYCLE_UNKNOWN = 0, /* absent or a value not known here */
	PS_DSCO_LIFECYCLE_RECEIVED,
	PS_DSCO_LIFECYCLE_CREATED,
	PS_DSCO_LIFECYCLE_ACKNOWLEDGED,
	PS_DSCO_LIFECYCLE_COMPLETED
} ps_dsco_lifecycle;

/* The legacy dscoStatus (deprecated by DSCO, still sent). */
typedef enum ps_dsco_status {
	PS_DSCO_STATUS_UNKNOWN = 0,
	PS_DSCO_STATUS_CREATED = 1,
	PS_DSCO_STATUS_SHIPMENT_PENDING = 2,
	PS_DSCO_STATUS_SHIPPED = 3,
	PS_DSCO_STATUS_CANCELLED = 4
} ps_dsco_status;

/* Bits for ps_dsco_order_query.statuses. */
#define PS_DSCO_STATUS_BIT(s) (1u << (s))

typedef enum ps_dsco_line_status {
	PS_DSCO_LINE_UNKNOWN = 0,
	PS_DSCO_LINE_ACCEPTED,
	PS_DSCO_LINE_REJECTED,
	PS_DSCO_LINE_CANCELLED
} ps_dsco_line_status;

/* Names as DSCO writes them ("acknowledged", "shipment_pending"); static. */
const char *ps_dsco_lifecycle_name(ps_dsco_lifecycle l);
const char *ps_dsco_status_name(ps_dsco_status s);
const char *ps_dsco_line_status_name(ps_dsco_line_status s);

typedef struct ps_dsco_address {
	const char *name; /* "name", else "firstName lastName" */
	const char *company;
	const char *address1; /* address1, else address[0] */
	const char *address2; /* address2, else address[1] */
	const char *city;
	const char *region; /* region, else state */
	const char *postal;
	const char *country;
	const char *phone;
	const char *email;
} ps_dsco_address;

typedef struct ps_dsco_order_line {
	int64_t line_number; /* 0: absent */
	const char *sku;
	const char *partner_sku;
	const char *dsco_item_id;
	const char *upc;
	const char *ean;
	int64_t quantity;
	ps_money expected_cost; /* the supplier's cost: the PO price */
	ps_money consumer_price;
	const char *title;
	ps_dsco_line_status status;
	int64_t accepted_quantity;  /* 0 when absent */
	int64_t cancelled_quantity; /* 0 when absent */
	int64_t shipped_quantity;   /* 0 when absent */
	int64_t remaining_quantity; /* -1 when absent */
	int cancel_requested;
	const char *cancel_requested_code;
	const char *cancel_code; /* set once cancelled */
	const char *warehouse_code;
} ps_dsco_order_line;

typedef struct ps_dsco_package_item {
	int64_t line_number; /* 0: absent */
	const char *sku;
	int64_t quantity;
} ps_dsco_package_item;

/* A shipment DSCO already has for the order (read side). */
typedef struct ps_dsco_package {
	const char *tracking_number;
	const char *ship_carrier;
	const char *ship_method;
	const char *service_level; /* shippingServiceLevelCode */
	const char *tracking_url;  /* trackingUrl or tracking_url */
	int64_t ship_date;         /* unix ms, 0 absent */
	ps_dsco_package_item *items;
	size_t nitems;
} ps_dsco_package;

typedef struct ps_dsco_order {
	const char *dsco_order_id; /* digits */
	const char *po_number;
	const char *consumer_order_number;
	const char *supplier_order_number;
	ps_dsco_lifecycle lifecycle;
	ps_dsco_status status;
	int cancel_requested;
	const char *cancel_requested_code;
	int test;
	const char *order_type; /* lower case: "dropship" */
	const char *currency;
	const char *retailer_id;
	const char *trading_partner_name;
	int64_t created;     /* dscoCreateDate, unix ms */
	int64_t last_update; /* dscoLastUpdate, unix ms */
	int64_t ship_by;     /* shipByDate, unix ms, 0 absent */
	/* what the retailer asked for */
	const char *requested_carrier;
	const char *requested_method;
	const char *requested_service_level;
	/* what the supplier should use */
	const char *ship_carrier;
	const char *ship_method;
	const char *ship_service_level;
	/* warehouse codes (the supplier's): requested, ship */
	const char *requested_warehouse_code;
	const char *ship_warehouse_code;
	ps_dsco_address shipping;
	const char *gift_message;
	ps_dsco_order_line *lines;
	size_t nlines;
	ps_dsco_package *packages;
	size_t npackages;
} ps_dsco_order;

void ps_dsco_order_dispose(ps_dsco_order *o);

typedef struct ps_dsco_order_list {
	ps_dsco_order *items;
	size_t count;
	/* non-zero when the cap stopped the read before the last page */
	int more;
} ps_dsco_order_list;

void ps_dsco_order_list_dispose(ps_dsco_order_list *l);

/* Which dates the window counts. */
typedef enum ps_dsco_window {
	PS_DSCO_WINDOW_UPDATED = 0, /* ordersUpdatedSince (exclusive) */
	PS_DSCO_WINDOW_CREATED = 1  /* ordersCreatedSince (inclusive) */
} ps_dsco_window;

/*
 * Called with an order of a page that does not parse: its dscoOrderId
 * and poNumber when they can be read (else NULL) and the reason.  Return
 * 0 to go on, < 0 to stop the read with that error.
 */
typedef int (*ps_dsco_bad_fn)(void *ctx, const char *dsco_order_id,
			      const char *po_number, const char *reason);

typedef struct ps_dsco_order_query {
	ps_dsco_window window;
	int64_t since; /* unix ms */
	/*
	 * unix ms; 0: now.  Either way never later than now minus
	 * PS_DSCO_UNTIL_LAG_MS (DSCO refuses a window that ends later); the
	 * end actually used is returned in ps_dsco_orders_foreach's
	 * *out_until so the next window can start there.
	 */
	int64_t until;
	unsigned statuses; /* PS_DSCO_STATUS_BIT(...) ored; 0: all */
	int include_test;  /* includeTestOrders */
	/* when set, the window is ignored: the orders with that number */
	const char *consumer_order_number;
	/*
	 * NULL: an order that does not parse fails the read with PS_EDATA
	 * naming it.  Set: such an order goes to bad(bad_ctx, ...) and the
	 * read goes on past it, so one bad PO cannot stop the rest.
	 */
	ps_dsco_bad_fn bad;
	void *bad_ctx;
} ps_dsco_order_query;

/*
 * Called with each order read; the order is borrowed for the call (steal
 * what you keep by copying).  Return 0 to go on, > 0 to stop (the read
 * returns 0 and *out_more 1), < 0 to stop with that error.
 */
typedef int (*ps_dsco_order_fn)(void *ctx, const ps_dsco_order *o);

/*
 * ps_dsco_orders_foreach - GET /order/page for the window, then every
 * page by scrollId until an empty page, calling fn for each order: at
 * most one page is held in memory.  max > 0 stops after max orders with
 * *out_more 1 when more may follow (0: no cap).  *out_until (may be NULL)
 * gets the window's end as sent.  An order that does not parse goes to
 * q->bad, or fails the read with PS_EDATA naming it (q->bad NULL).
 */
int ps_dsco_orders_foreach(int *out_more, int64_t *out_until, ps_dsco *d,
			   const ps_dsco_order_query *q, size_t max,
			   ps_dsco_order_fn fn, void *ctx);

/*
 * ps_dsco_orders_list - the same, into *out (at most max orders, 0: no
 * cap; out->more as *out_more above).
 */
int ps_dsco_orders_list(ps_dsco_order_list *out, int64_t *out_until, ps_dsco *d,
			const ps_dsco_order_query *q, size_t max);

/* How an order (or a request naming one) is identified. */
typedef enum ps_dsco_key {
	PS_DSCO_KEY_DSCO_ORDER_ID = 0,
	PS_DSCO_KEY_PO_NUMBER,
	PS_DSCO_KEY_SUPPLIER_ORDER_NUMBER
} ps_dsco_key;

/*
 * ps_dsco_order_get - GET /order/?orderKey=..&value=.. into *out.
 * PS_ENOTFOUND when DSCO has no such order.
 */
int ps_dsco_order_get(ps_dsco_order *out, ps_dsco *d, ps_dsco_key key,
		      const char *value);

/* ---- writes ---------------------------------------------------------------
 */

/*
 * An order named in a write: the fields set are all sent; at least one.
 * Acknowledgements and cancellations name it by the first set of
 * dsco_order_id, po_number, supplier_order_number.
 */
typedef struct ps_dsco_order_ref {
	const char *dsco_order_id;
	const char *po_number;
	const char *supplier_order_number;
} ps_dsco_order_ref;

typedef struct ps_dsco_ack {
	ps_dsco_order_ref order;
	/* sent as supplierOrderNumber (the Brightpearl order), or NULL */
	const char *new_supplier_order_number;
} ps_dsco_ack;

/*
 * ps_dsco_orders_acknowledge - POST /order/acknowledge for n orders
 * (asynchronous): *out_request_id (owned) is the change log's key
 * (ps_dsco_request_follow with PS_DSCO_LOG_ORDER).
 */
int ps_dsco_orders_acknowledge(char **out_request_id, ps_dsco *d,
			       const ps_dsco_ack *acks, size_t n);

/* One line of a package being sent. */
typedef struct ps_dsco_ship_line {
	int64_t line_number; /* 0: not sent */
	const char *sku;     /* sku, partner_sku or dsco_item_id: one */
	const char *partner_sku;
	const char *dsco_item_id;
	int64_t quantity; /* > 0 */
} ps_dsco_ship_line;

typedef struct ps_dsco_ship_package {
	const char *tracking_number; /* required */
	int64_t ship_date;           /* unix ms; 0: not sent */
	/* carrier + method, or the service level code (or all three) */
	const char *carrier;
	const char *method;
	const char *service_level;
	const char *warehouse_code; /* the supplier's code, or NULL */
	const char *tracking_url;   /* or NULL */
	ps_money ship_cost;         /* sent when has_ship_cost */
	int has_ship_cost;
	const ps_dsco_ship_line *lines;
	size_t nlines;
} ps_dsco_ship_package;

typedef struct ps_dsco_shipment {
	ps_dsco_order_ref order;
	const ps_dsco_ship_package *packages;
	size_t npackages;
} ps_dsco_shipment;

/*
 * ps_dsco_shipment_send - POST /order/singleShipment (synchronous, 201).
 * PS_EDATA "DSCO order <id>: shipment refused: <messages>" when refused.
 */
int ps_dsco_shipment_send(ps_dsco *d, const ps_dsco_shipment *s);

/*
 * ps_dsco_shipments_batch - POST /order/shipment/batch/small with n
 * shipments (asynchronous): *out_request_id (owned) for the order log.
 */
int ps_dsco_shipments_batch(char **out_request_id, ps_dsco *d,
			    const ps_dsco_shipment *s, size_t n);

typedef struct ps_dsco_cancel_line {
	int64_t line_number; /* 0: not sent */
	const char *sku;     /* sku, partner_sku or dsco_item_id: one */
	const char *partner_sku;
	const char *dsco_item_id;
	int64_t quantity;        /* cancelledQuantity, > 0 */
	const char *cancel_code; /* "CXSS"... (ps_dsco_cancel_codes) */
	const char *reason;      /* cancelledReason, or NULL */
} ps_dsco_cancel_line;

typedef struct ps_dsco_cancel {
	ps_dsco_order_ref order;
	const ps_dsco_cancel_line *lines;
	size_t nlines;
} ps_dsco_cancel;

/* What a standard envelope said (cancel replies, async 202s). */
typedef enum ps_dsco_outcome_status {
	PS_DSCO_OUTCOME_PENDING = 0,
	PS_DSCO_OUTCOME_SUCCESS,
	PS_DSCO_OUTCOME_FAILURE
} ps_dsco_outcome_status;

typedef struct ps_dsco_outcome {
	ps_dsco_outcome_status status;
	char *request_id; /* owned, may be NULL */
	/* "code: description; ..." of the messages, owned, "" when none */
	char *messages;
} ps_dsco_outcome;

void ps_dsco_outcome_dispose(ps_dsco_outcome *o);

/*
 * ps_dsco_items_cancel - POST /order/item/cancel.  DSCO answers at once
 * (200, out->status SUCCESS) or queues it (202, PENDING with the request
 * id for the order log).  A refusal is PS_EDATA with out filled too.
 */
int ps_dsco_items_cancel(ps_dsco_outcome *out, ps_dsco *d,
			 const ps_dsco_cancel *c);

/*
 * ps_dsco_items_cancel_batch - POST /order/item/cancel/batch/small
 * (asynchronous): *out_request_id (owned) for the order log.
 */
int ps_dsco_items_cancel_batch(char **out_request_id, ps_dsco *d,
			       const ps_dsco_cancel *c, size_t n);

/* ---- inventory ------------------------------------------------------------
 */

typedef enum ps_dsco_stock_status {
	PS_DSCO_STOCK_AUTO = 0, /* in-stock when quantity > 0, else out */
	PS_DSCO_STOCK_IN_STOCK,
	PS_DSCO_STOCK_OUT_OF_STOCK,
	PS_DSCO_STOCK_DISCONTINUED,
	PS_DSCO_STOCK_HIDDEN
} ps_dsco_stock_status;

typedef struct ps_dsco_stock_warehouse {
	const char *code; /* the supplier's warehouse code */
	int64_t quantity; /* >= 0 */
} ps_dsco_stock_warehouse;

/*
 * One item's stock.  quantityAvailable is sent as the sum of the
 * warehouses' quantities (DSCO requires them equal); at least one
 * warehouse.
 */
typedef struct ps_dsco_stock_item {
	const char *sku;
	ps_dsco_stock_status status;
	const ps_dsco_stock_warehouse *warehouses;
	size_t nwarehouses;
} ps_dsco_stock_item;

/* ps_dsco_inventory_send - POST /inventory/singleItem (synchronous). */
int ps_dsco_inventory_send(ps_dsco *d, const ps_dsco_stock_item *item);

/*
 * ps_dsco_inventory_batch - POST /inventory/batch/small with n items
 * (asynchronous; skip_unknown adds skipItemsThatDontExist=true):
 * *out_request_id (owned) for PS_DSCO_LOG_INVENTORY.  PS_ETOOBIG when the
 * body would pass DSCO's 5 MB: send fewer.
 */
int ps_dsco_inventory_batch(char **out_request_id, ps_dsco *d,
			    const ps_dsco_stock_item *items, size_t n,
			    int skip_unknown);

/* ---- invoices -------------------------------------------------------------
 */

typedef struct ps_dsco_invoice_line {
	int64_t line_number; /* 0: not sent */
	const char *sku;
	int64_t quantity;
	ps_money unit_price; /* required by DSCO */
} ps_dsco_invoice_line;

typedef struct ps_dsco_invoice {
	const char *invoice_id; /* the supplier's invoice number */
	ps_dsco_order_ref order;
	int64_t invoice_date; /* unix ms; 0: not sent */
	const char *currency; /* or NULL */
	ps_money total;
	ps_money subtotal; /* lineItemsSubtotal */
	ps_money freight;  /* freightAmount */
	ps_money tax;      /* salesTaxAmount */
	const ps_dsco_invoice_line *lines;
	size_t nlines;
	/* ship block, sent when tracking_number is set */
	const char *tracking_number;
	const char *carrier;
	const char *method;
	int64_t ship_date;
	const char *warehouse_code;
} ps_dsco_invoice;

/* ps_dsco_invoice_send - POST /invoice (synchronous, 201). */
int ps_dsco_invoice_send(ps_dsco *d, const ps_dsco_invoice *inv);

/* ---- change logs ----------------------------------------------------------
 */

typedef enum ps_dsco_log_kind {
	PS_DSCO_LOG_ORDER = 0, /* /order/log: acks, shipments, cancels */
	PS_DSCO_LOG_INVENTORY, /* /inventory/log */
	PS_DSCO_LOG_INVOICE    /* /invoice/log */
} ps_dsco_log_kind;

typedef struct ps_dsco_log_entry {
	ps_dsco_outcome_status status;
	char *results; /* "code: description; ...", owned, "" when none */
	/* what the entry was about, from its payload, owned, may be NULL */
	char *subject; /* "order 1022178919", "sku ABC123" */
} ps_dsco_log_entry;

typedef struct ps_dsco_change_log {
	int completed; /* top-level status COMPLETED */
	ps_dsco_log_entry *items;
	size_t count;
} ps_dsco_change_log;

void ps_dsco_change_log_dispose(ps_dsco_change_log *l);

/*
 * ps_dsco_change_log_get - GET /<kind>/log?requestId=.., every page.  No
 * entries (DSCO has not processed it yet) is not an error: count 0.
 */
int ps_dsco_change_log_get(ps_dsco_change_log *out, ps_dsco *d,
			   ps_dsco_log_kind kind, const char *request_id);

typedef struct ps_dsco_follow_options {
	int64_t first_wait_ms; /* 0: 1000 */
	int64_t max_wait_ms;   /* one wait at most; 0: 15000 */
	int64_t total_ms;      /* give up after; 0: 120000 */
} ps_dsco_follow_options;

/*
 * ps_dsco_request_follow - poll the change log of request_id (waits
 * doubling from first_wait_ms, through the injected sleep) until it is
 * COMPLETED with entries, at most total_ms.  out (may be NULL) gets the
 * final outcome: SUCCESS when every entry succeeded, FAILURE when any
 * failed (messages: "<subject>: <results>; ..."), PENDING on timeout.
 * Returns 0 for SUCCESS, PS_EDATA for FAILURE ("DSCO request <id>:
 * failed: ..."), PS_ETIMEOUT when still processing (look again later),
 * or the read's error.  opts NULL: the defaults.
 */
int ps_dsco_request_follow(ps_dsco_outcome *out, ps_dsco *d,
			   ps_dsco_log_kind kind, const char *request_id,
			   const ps_dsco_follow_options *opts);

/* ---- reference lists ------------------------------------------------------
 */

typedef struct ps_dsco_warehouse {
	const char *warehouse_id; /* DSCO's id */
	const char *code;         /* the supplier's code */
	const char *name;
	const char *status; /* "active" ... */
} ps_dsco_warehouse;

typedef struct ps_dsco_warehouse_list {
	ps_dsco_warehouse *items;
	size_t count;
} ps_dsco_warehouse_list;

void ps_dsco_warehouse_list_dispose(ps_dsco_warehouse_list *l);

/* ps_dsco_warehouses_list - GET /warehouse/page, every page. */
int ps_dsco_warehouses_list(ps_dsco_warehouse_list *out, ps_dsco *d);

/* A code of a built-in table, with what it means. */
typedef struct ps_dsco_code {
	const char *code;
	const char *description;
} ps_dsco_code;

/*
 * ps_dsco_service_levels - DSCO's standard shipping service level codes
 * ("USGA" USPS Ground Advantage, "UPCG" UPS Ground, "FECG" FedEx Ground,
 * ...).  Static; *out_n gets the count.  Accounts may map codes of their
 * own, so a code not in the table is not necessarily wrong.
 */
const ps_dsco_code *ps_dsco_service_levels(size_t *out_n);

/*
 * ps_dsco_cancel_codes - the supplier cancel codes ("CXSS" Out of Stock,
 * ...).  Static; *out_n gets the count.
 */
const ps_dsco_code *ps_dsco_cancel_codes(size_t *out_n);

/* ---- dates ----------------------------------------------------------------
 */

/*
 * ps_dsco_date_parse - ISO-8601 as DSCO writes it ("2025-11-06T23:02:30
 * +00:00", "2014-01-01T10:30:00.000Z") into unix ms.  PS_EPARSE otherwise.
 */
int ps_dsco_date_parse(int64_t *out, const char *text);

/*
 * ps_dsco_date_format - unix ms as "2025-11-06T23:02:30.000Z" into buf
 * (cap >= PS_DSCO_DATE_MAX).  Returns buf.
 */
#define PS_DSCO_DATE_MAX 32
char *ps_dsco_date_format(char *buf, size_t cap, int64_t ms);

#endif
