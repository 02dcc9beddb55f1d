/*
 * ds.h - shared declarations of the DSCO (Rithum) simulator (ds_*.c).
 *
 * ds_core.c owns the state, options, auth, throttling, error bodies, the
 * asynchronous request queue and its change logs, the control API and the
 * demo seed; ds_api.c the resource handlers (orders, acknowledgements,
 * shipments, cancellations, inventory, invoices, warehouses) and the route
 * table.  Every function runs with the sandbox lock held.
 *
 * Orders, items, inventory and invoices are JSON objects keyed by their id
 * (jansson objects are hash tables), with secondary indexes by poNumber and
 * supplierOrderNumber, so thousands of POs cost the simulator little.
 * Fields whose name starts with '_' are internal and never rendered.
 */
#ifndef PEARLSYNC_SANDBOX_DS_H
#define PEARLSYNC_SANDBOX_DS_H

#include "sandbox.h"

/* Endpoint classes that carry a documented rate limit (README, DSCO). */
enum ds_limit {
	DS_LIM_ORDER_GET,  /* GET /order/page, GET /order/: 10/s, 500/min */
	DS_LIM_ACK,        /* POST /order/acknowledge: 15/s, 1000/min */
	DS_LIM_SHIP,       /* POST /order/singleShipment: 15/s, 300/min */
	DS_LIM_INVOICE,    /* POST /invoice: 15/s, 1000/min */
	DS_LIM_INV_SINGLE, /* POST /inventory/singleItem: 5/s, 300/min */
	DS_LIM_COUNT,
	DS_LIM_NONE = -1
};

/* The change logs. */
enum ds_log { DS_LOG_ORDER, DS_LOG_INVENTORY, DS_LOG_INVOICE, DS_LOG_COUNT };

/* What an asynchronous request does with each element of its array. */
enum ds_async_kind {
	DS_ASYNC_ACK,
	DS_ASYNC_SHIP,
	DS_ASYNC_CANCEL,
	DS_ASYNC_INVENTORY,
	DS_ASYNC_INVENTORY_SKIP, /* skipItemsThatDontExist=true */
	DS_ASYNC_INVOICE
};

typedef struct ds_state {
	sb_platform *pf;
	json_t *orders;             /* {"dscoOrderId": order} */
	json_t *order_ids;          /* [dscoOrderId] in creation order */
	json_t *by_po;              /* {"poNumber": dscoOrderId} */
	json_t *by_son;             /* {"supplierOrderNumber": dscoOrderId} */
	json_t *items;              /* {"sku": catalogue item} */
	json_t *inventory;          /* {"sku": ItemInventory} */
	json_t *warehouses;         /* [Warehouse] */
	json_t *invoices;           /* {"invoiceId": invoice} */
	json_t *logs[DS_LOG_COUNT]; /* [log entry], oldest first */
	json_t *pending; /* [{requestId, kind, due_ms, payload}] FIFO */
	json_t *done;    /* {"requestId": {"log": n, "count": n}} */
	json_t *tokens;  /* {"access token": expiry, monotonic ms} */
	json_t *scrolls; /* {"scrollId": {items, pos, per, expires_ms}} */
	json_t *strict;  /* {"rule": false} relaxes an UNCONFIRMED rule */
	json_t *streams; /* {"id": Stream, with "_query"} */
	json_t *events;  /* [{id, order, reasons, source, stream?}] */
	int64_t next_event, last_event_ms, next_stream;
	json_t *cancel_codes;   /* [code] accepted by item cancels */
	json_t *service_levels; /* [code] accepted on a package */
	int observed_forms;     /* orderType "dropship" as seen on the wire */
	int64_t async_delay_ms; /* queue to change log; 0 = at once */
	int64_t token_ttl_s;
	int64_t until_lag_s;   /* `until` must be this far in the past */
	int64_t scroll_ttl_ms; /* a page not fetched in time is gone */
	int64_t next_order, next_item, next_package, next_request;
	int64_t next_token;
	sb_window per_s[DS_LIM_COUNT], per_min[DS_LIM_COUNT];
} ds_state;

/* Real limits per second and per minute, by enum ds_limit. */
extern const int ds_limit_s[DS_LIM_COUNT], ds_limit_min[DS_LIM_COUNT];

/* ---- replies ------------------------------------------------------------ */
/* {"message": text} with status (the gateway form, UNCONFIRMED). */
void ds_message(sb_response *resp, int status, const char *text);
/*
 * The standard envelope {status, requestId, eventDate, messages}.  msgs is
 * stolen (NULL = []); request_id NULL makes a fresh one.
 */
void ds_envelope(ds_state *ds, sb_response *resp, int http, const char *status,
		 const char *request_id, json_t *msgs);
/* One message {code, severity, description}; new reference. */
json_t *ds_msg(const char *code, const char *severity, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A 400 failure envelope with one error message. */
void ds_fail(ds_state *ds, sb_response *resp, const char *code, const char *fmt,
	     ...) __attribute__((format(printf, 4, 5)));

/* ---- time, ids, strictness ---------------------------------------------- */
/* Wall-clock epoch ms. */
int64_t ds_wall_ms(void);
/* ISO-8601 UTC "2026-01-02T03:04:05.678Z" of epoch ms into buf (>= 32). */
const char *ds_iso(char *buf, size_t len, int64_t ms);
/* Parse ISO-8601 (date-time with optional fraction and offset) to epoch
 * ms; 0 on success. */
int ds_parse_time(const char *s, int64_t *out);
/* A fresh request id (new JSON string). */
json_t *ds_request_id(ds_state *ds);
/* Is the UNCONFIRMED rule enforced (default yes)? */
int ds_strict(ds_state *ds, const char *rule);
/* Is s in the JSON string array arr? */
int ds_in_list(json_t *arr, const char *s);
/* A JSON string or integer id as text into buf; NULL if neither. */
const char *ds_id_text(json_t *v, char *buf, size_t len);

/* ---- orders (ds_api.c) -------------------------------------------------- */
/* Borrowed order, or NULL. */
json_t *ds_order_by_id(ds_state *ds, const char *id);
json_t *ds_order_by_key(ds_state *ds, const char *key, const char *value);
/* The order an object names by dscoOrderId / poNumber /
 * supplierOrderNumber; borrowed or NULL. */
json_t *ds_order_of(ds_state *ds, json_t *obj);
/* A copy without internal fields; new reference. */
json_t *ds_order_render(json_t *order);
/* Mark an order changed now; reason is the stream event reason
 * ("create", "add_shipment", ...). */
void ds_order_touch(ds_state *ds, json_t *order, const char *reason);
/* Recompute line and order statuses after a change. */
void ds_order_settle(json_t *order);
/* Create a PO from the control API's description; borrowed order or NULL
 * with *err set. */
json_t *ds_order_create(ds_state *ds, json_t *in, const char **err);
/* Append an activity entry to a line. */
void ds_line_activity(json_t *line, const char *action, int64_t qty,
		      const char *reason);

/*
 * Appliers shared by the sync endpoints and the async queue.  Each checks
 * one object and, when valid, applies it; 0 on success, or -1 with an
 * error message appended to msgs (a JSON array).
 */
int ds_apply_ack(ds_state *ds, json_t *item, json_t *msgs);
int ds_apply_shipment(ds_state *ds, json_t *item, json_t *msgs);
int ds_apply_cancel(ds_state *ds, json_t *item, json_t *msgs);
/* skip: unknown SKUs succeed with a warning instead of failing */
int ds_apply_inventory(ds_state *ds, json_t *item, int skip, json_t *msgs);
int ds_apply_invoice(ds_state *ds, json_t *item, json_t *msgs);

/* ---- async queue (ds_core.c) -------------------------------------------- */
/* Queue an array of objects (not stolen); the request id goes to rid. */
void ds_async_queue(ds_state *ds, enum ds_async_kind kind, json_t *items,
		    char *rid, size_t len);
/* Apply every queued request whose time has come. */
void ds_async_run(ds_state *ds, int all);
/* Answer GET /<what>/log. */
void ds_log_get(ds_state *ds, enum ds_log which, sb_request *req,
		sb_response *resp);

/* ---- scrolls ------------------------------------------------------------ */
/* Store the items of a paged answer (not stolen); returns the scroll
 * (borrowed) and its scrollId in id. */
json_t *ds_scroll_new(ds_state *ds, json_t *items, size_t per, char *id,
		      size_t len);
/* Borrowed scroll or NULL when unknown or expired (then dropped). */
json_t *ds_scroll_get(ds_state *ds, const char *id);
/* Take the next page (new reference array), refreshing the expiry. */
json_t *ds_scroll_page(ds_state *ds, json_t *scroll, int *more);

/* ---- gate (ds_core.c) --------------------------------------------------- */
/*
 * ds_gate - the checks every known route passes after routing: bearer
 * token (401), then the endpoint's rate limits (429).  0 to go on; else the
 * reply is filled.
 */
int ds_gate(ds_state *ds, sb_request *req, sb_response *resp,
	    enum ds_limit lim);

/* ---- streams (ds_stream.c) ---------------------------------------------- */
/* Record a change of order for the order streams. */
void ds_event_add(ds_state *ds, json_t *order, const char *reason);
/* Answer /stream and /stream/...; 0 when path is not a stream route. */
int ds_stream_handle(ds_state *ds, sb_request *req, sb_response *resp);
/* Stream route counter keys, appended to arr. */
void ds_stream_routes(json_t *arr);

/* ---- api ---------------------------------------------------------------- */
void ds_api_handle(ds_state *ds, sb_request *req, sb_response *resp);
void ds_seed_demo(ds_state *ds);
/* The counter keys of every route served; new reference. */
json_t *ds_routes_json(void);

#endif
