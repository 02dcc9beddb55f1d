/*
 * dsco_int.h - what the files of the DSCO connector share: client.c (the
 * context, the token, the request with its retries and error bodies, the
 * standard envelope, dates) and the operations built on it: orders.c
 * (reading orders), writes.c (acknowledge, shipments, cancels, inventory,
 * invoices), logs.c (change logs), lists.c (warehouses, code tables and
 * the console's pickers).  Operation files call client.c only.
 */
#ifndef PEARLSYNC_DSCO_INT_H
#define PEARLSYNC_DSCO_INT_H

#include <jansson.h>

#include "platforms/connector.h"
#include "pearlsync/dsco.h"

/* The ps_dsco context.  Strings owned; secrets freed wiped. */
struct ps_dsco {
	ps_http *http;  /* borrowed */
	char *base_url; /* without trailing '/' */
	ps_dsco_auth auth;
	char *client_id;
	char *client_secret;
	char *token_url;
	char *token;           /* the access token in use, or NULL */
	char *auth_header;     /* "Authorization: Bearer <token>" */
	int64_t expires_at_ms; /* 0: unknown (static token: never) */
	ps_dsco_token_save_fn save;
	void *save_ctx;
	ps_dsco_send_fn send;
	void *send_ctx;
	ps_dsco_now_fn now;
	void *now_ctx;
	ps_dsco_sleep_fn sleep;
	void *sleep_ctx;
	int orders_per_page;
};

/* One request of an operation. */
struct ps_dsco__req {
	const char *method;   /* "GET", "POST" */
	const char *path;     /* below the base URL, query included */
	const char *endpoint; /* counter and limiter label: "order/page" */
	const json_t *body;   /* borrowed, or NULL */
	int idempotent;       /* see ps_http_request */
	const char *what;     /* for errors: "order 1022178919: shipment" */
};

/*
 * ps_dsco__call - send rq (the token first, when one is due) and on a 2xx
 * hand back the parsed reply in *out (new reference; NULL for an empty
 * body) and the status in *out_status (may be NULL).  A 401/403 fetches a
 * new token and sends once more (client credentials); a 408 is sent again
 * after a backoff, up to PS_DSCO_RETRY_MAX attempts.  Non-2xx replies:
 * 404 PS_ENOTFOUND, other 4xx PS_EDATA "DSCO <what> refused: <messages>
 * (HTTP <status>)", anything else PS_EHTTP.
 */
int ps_dsco__call(json_t **out, long *out_status, ps_dsco *d,
		  const struct ps_dsco__req *rq);

/* Wall-clock unix ms from the injected clock. */
int64_t ps_dsco__now(ps_dsco *d);

/* Sleep through the injected sleep. */
void ps_dsco__sleep(ps_dsco *d, int64_t ms);

/*
 * ps_dsco__messages - "code: description; ..." of an array of DSCO
 * messages ({code, severity, description}) into *out (owned, "" when
 * none).  Returns 0 or PS_ENOMEM.
 */
int ps_dsco__messages(char **out, const json_t *messages);

/*
 * ps_dsco__envelope - read the standard envelope {status, requestId,
 * messages} of root into *out.  Missing status: PENDING when
 * default_pending, else SUCCESS.
 */
int ps_dsco__envelope(ps_dsco_outcome *out, const json_t *root,
		      int default_pending);

/*
 * ps_dsco__order_ref_name - "order 1022178919", "PO BOX.1" or "supplier
 * order SO-1" for messages, into buf.
 */
const char *ps_dsco__order_ref_name(char *buf, size_t cap,
				    const ps_dsco_order_ref *r);

/*
 * ps_dsco__json_ms - set key to the date ms as ISO-8601 (when ms != 0).
 * ps_dsco__json_amount - set key to amount as a JSON number.
 */
int ps_dsco__json_ms(json_t *obj, const char *key, int64_t ms);
int ps_dsco__json_amount(json_t *obj, const char *key, ps_money amount);

/* ps_dsco__dumps - obj as compact JSON text with money-safe reals. */
char *ps_dsco__dumps(const json_t *obj);

/* The order walk of orders.c, for lists.c and tests: see dsco.h. */

#endif
