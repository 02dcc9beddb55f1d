/*
 * brightpearl_int.h - what the files of the Brightpearl connector share:
 * client.c (transport, envelope, id sets, search, batches and the helpers
 * of every operation) and the typed operations built on it.  Calls go one
 * way: client.c calls no operation file; orders.c calls contacts.c;
 * payments.c calls orders.c and contacts.c; no other file calls another
 * operation file.
 */
#ifndef PEARLSYNC_BRIGHTPEARL_INT_H
#define PEARLSYNC_BRIGHTPEARL_INT_H

#include <jansson.h>

#include "platforms/connector.h"
#include "pearlsync/brightpearl.h"

/* The ps_bp context.  Strings owned. */
struct ps_bp {
	ps_http *http;  /* borrowed */
	char *base_url; /* without trailing '/' */
	char *account;
	char *prefix; /* base_url "/public-api/" account */
	ps_bp_auth auth;
	char *app_ref;
	char *dev_ref;
	char *token;
	char *auth_header; /* "brightpearl-account-token: ..." or Bearer */
	/* OAuth refresh (client.c); secrets freed with ps_conn__free_secret */
	char *refresh_token;
	int64_t expires_at; /* Unix s, 0 unknown */
	char *client_id;
	char *client_secret;
	char *token_url;
	ps_bp_tokens_save_fn save;
	void *save_ctx;
	ps_bp_now_fn now;
	void *now_ctx;
	/* a granted set not saved yet: neither used nor dropped */
	char *pending_access, *pending_refresh;
	int64_t pending_expires_at;
	char *app_header; /* "brightpearl-app-ref: ..." */
	char *dev_header; /* NULL unless dev_ref */
	int64_t instance_id;
	int idset_max;
	int page_size;
	ps_bp_send_fn send;
	void *send_ctx;
	int last_attempts; /* requests sent by the last ps_bp__request */
	/*
	 * brightpearl-requests-remaining of the last reply that had it, -1
	 * before any: what batch_chunk falls back on once the limiter has
	 * forgotten the count (client.c).
	 */
	long last_remaining;
};

/*
 * One write, ready to send directly or to queue in a batch.  path is
 * relative to the account prefix ("/order-service/sales-order").
 */
typedef struct ps_bp__msg {
	const char *method; /* static string */
	char *path;         /* owned */
	json_t *body;       /* owned, or NULL */
	int idempotent;     /* safe to repeat (see ps_http_request) */
	const char *what;   /* static: "sales order create" for messages */
} ps_bp__msg;

void ps_bp__msg_dispose(ps_bp__msg *m);

/*
 * ps_bp__request - send method path (relative to the prefix) with body
 * (borrowed, may be NULL) and on a 2xx reply hand back the whole parsed
 * envelope in *out (new reference; NULL for an empty body).  Non-2xx
 * replies become errors: 404 PS_ENOTFOUND, other 4xx PS_EDATA, 5xx
 * PS_EREMOTE, with Brightpearl's codes and messages in the detail prefixed
 * by "Brightpearl <what>: ".  *out_status (optional) gets the HTTP status.
 * bp->last_attempts counts the requests it sent (retries included), so a
 * caller can tell "not found" from "already done by a lost first try".
 */
int ps_bp__request(json_t **out, long *out_status, ps_bp *bp,
		   const char *method, const char *path, const json_t *body,
		   int idempotent, const char *what);

/*
 * ps_bp__request_if_match - ps_bp__request with "If-Match: <version>"
 * (optimistic concurrency: Brightpearl answers 412, PS_EDATA with
 * *out_status 412, when the object changed since that version).  Sent as
 * idempotent: a repeat of a write that landed meets a new version and
 * gets 412, never a second write.
 */
int ps_bp__request_if_match(json_t **out, long *out_status, ps_bp *bp,
			    const char *method, const char *path,
			    const json_t *body, int64_t version,
			    const char *what);

/* ps_bp__send_msg - ps_bp__request for a prepared message. */
int ps_bp__send_msg(json_t **out, ps_bp *bp, const ps_bp__msg *m);

/*
 * ps_bp__response - the "response" member of an envelope (borrowed), or
 * NULL when absent.
 */
json_t *ps_bp__response(const json_t *root);

/*
 * ps_bp__reply_id - the integer in an envelope's "response" ({"response":
 * 123}); PS_EDATA naming what when it is not one.
 */
int ps_bp__reply_id(int64_t *out, const json_t *root, const char *what);

/*
 * ps_bp__get_ids - GET head + idset + tail for ids in chunks of
 * idset_max.  The responses are merged into *out (new reference): an array
 * when Brightpearl answers with arrays, an object when it answers with
 * objects keyed by id.  404 and empty chunks add nothing; zero ids gives an
 * empty array without a request.
 */
int ps_bp__get_ids(json_t **out, ps_bp *bp, const char *head, const char *tail,
		   const int64_t *ids, size_t n, const char *what);

/*
 * ps_bp__get_ids_each - as ps_bp__get_ids, but each chunk's reply (the
 * "response", an array or an object keyed by id; borrowed) goes to fn as
 * it arrives and is dropped after, so a reader of 20,000 products keeps
 * one chunk of JSON at a time, never all of it.  fn's error stops it.
 */
typedef int (*ps_bp__chunk_fn)(void *ctx, json_t *resp, const char *what);
int ps_bp__get_ids_each(ps_bp *bp, const char *head, const char *tail,
			const int64_t *ids, size_t n, const char *what,
			ps_bp__chunk_fn fn, void *ctx);

/*
 * ps_bp__search - GET path?query&firstResult=..&pageSize=.. page after
 * page until every result is read; *out (new reference) is an array of
 * objects, one per row, keyed by the column names of metaData.columns.
 * query is already URL-encoded ("SKU=ABC"), may be "" or NULL.
 */
int ps_bp__search(json_t **out, ps_bp *bp, const char *path, const char *query,
		  const char *what);

/* A runaway search stops here (ps_bp__search_each's cap for most callers). */
#define PS__BP_SEARCH_MAX_ROWS 200000

/*
 * ps_bp__search_each - as ps_bp__search, but each page's rows (an array
 * of objects keyed by column name; borrowed) go to fn and are dropped
 * after: one page of JSON at a time.  cap > 0 stops with PS_ETOOBIG once
 * that many rows were read and more remain.
 */
typedef int (*ps_bp__page_fn)(void *ctx, json_t *rows);
int ps_bp__search_each(ps_bp *bp, const char *path, const char *query,
		       const char *what, size_t cap, ps_bp__page_fn fn,
		       void *ctx);

/* Build the message for each write shared by direct calls and batches. */
int ps_bp__build_order_create(ps_bp__msg *m, ps_bp *bp,
			      const ps_bp_order *order);
int ps_bp__build_status_set(ps_bp__msg *m, int64_t order_id, int64_t status_id,
			    const char *note_text);
int ps_bp__build_note_add(ps_bp__msg *m, int64_t order_id, const char *text,
			  int is_public);
int ps_bp__build_payment_create(ps_bp__msg *m, const ps_bp_payment *p);
int ps_bp__build_reservation_create(ps_bp__msg *m, int64_t order_id,
				    int64_t warehouse_id,
				    const ps_bp_reservation_line *lines,
				    size_t n);
/* the postal address POST (a->line1 required) and the contact POST with
 * address_id (0: none) as default, billing and delivery address */
int ps_bp__build_address_create(ps_bp__msg *m, const ps_bp_address *a);
/* The JSON-Patch ops (appended to ops) that turn contact was into c:
 * only the names, e-mail and phones that differ (contacts.c). */
int ps_bp__build_contact_patch(json_t *ops, const ps_bp_contact *was,
			       const ps_bp_contact *c);
/* The custom-field PATCH of an order (orders.c). */
int ps_bp__build_fields_set(ps_bp__msg *m, int64_t order_id,
			    const ps_bp_field_value *values, size_t n);
/* A body as the client sends it (owned): compact JSON, members in
 * insertion order.  NULL when out of memory (client.c). */
char *ps_bp__body_text(const json_t *body);
int ps_bp__build_contact_create(ps_bp__msg *m, const ps_bp_contact *c,
				int64_t address_id);

/* The batch behind ps_bp_batch (client.c); the typed adders live with
 * their operations and queue through ps_bp__batch_push. */
struct ps_bp_batch {
	ps_bp *bp;
	ps_bp__msg *msgs;
	ps_bp_batch_result *results; /* after send */
	size_t n, cap;
	json_t *keep; /* replies, which the result messages point into */
	int sent;
};

/* ps_bp__batch_push - queue *m in b, taking ownership of it (even on
 * failure).  PS_EINVAL once b was sent. */
int ps_bp__batch_push(ps_bp_batch *b, ps_bp__msg *m);

/* Room for an operation's "what" text naming one object. */
#define PS__BP_WHAT_MAX 96

/* ---- helpers the operations share (client.c) ---------------------------- */

/* ps_bp__alloc_items - an array of n zeroed elements of size sz in *out
 * (NULL for n == 0), or PS_ENOMEM. */
int ps_bp__alloc_items(void **out, size_t n, size_t sz);

/* ps_bp__sort_items - qsort that accepts an empty (NULL) array. */
void ps_bp__sort_items(void *base, size_t n, size_t sz,
		       int (*cmp)(const void *, const void *));

/* ps_bp__values_of - the elements of a reply that is either an array or an
 * object keyed by id, as an array (new reference). */
json_t *ps_bp__values_of(json_t *v);

/*
 * ps_bp__list_get - GET the list at path: *root the reply, *arr its values
 * (ps_bp__values_of), *priv a reference to *root for the strings the items
 * will borrow, and *items a zeroed array of as many size-byte items.  A 404
 * is an empty list: 0, with *arr and *items left NULL.
 */
int ps_bp__list_get(json_t **root, json_t **arr, void **priv, void **items,
		    size_t size, ps_bp *bp, const char *path, const char *what);

/* ps_bp__cmp_id_field - qsort order of list items by their leading
 * int64_t id. */
int ps_bp__cmp_id_field(const void *a, const void *b);

/* ps_bp__set_new - json_object_set_new of v (NULL: out of memory) under
 * key; PS_ENOMEM on failure. */
int ps_bp__set_new(json_t *o, const char *key, json_t *v);

/* ps_bp__qty_string - set key to qty as a decimal string. */
int ps_bp__qty_string(json_t *o, const char *key, int64_t qty);

/* ps_bp__find_fn - look for the object a create may have made; 0 with
 * *out_id when found, PS_ENOTFOUND when not, another PS_E* on failure. */
typedef int (*ps_bp__find_fn)(int64_t *out_id, ps_bp *bp, const void *ctx);

/*
 * ps_bp__create_recoverable - send the create m; after a failure whose fate
 * is unknown, call find (when given) and adopt what it finds (*out_found 1)
 * or send again.  want_id: read the new id from the reply into *out_id.
 */
int ps_bp__create_recoverable(int64_t *out_id, int *out_found, ps_bp *bp,
			      const ps_bp__msg *m, int want_id,
			      ps_bp__find_fn find, const void *ctx);

/* ---- what one operation file lends another ------------------------------ */

/* contacts.c: the address codec (ps_bp__address_json NULL for an empty
 * address or out of memory, ps_bp__address_json_all an object with every
 * field a has, ps_bp__address_read borrowing o's strings) and the qsort
 * order of int64_t values. */
json_t *ps_bp__address_json(const ps_bp_address *a);
json_t *ps_bp__address_json_all(const ps_bp_address *a);
int ps_bp__address_read(ps_bp_address *a, const json_t *o, const char *what);
int ps_bp__cmp_i64p(const void *a, const void *b);

/* orders.c: the qsort order of order rows, and filling an order list from
 * the merged reply all (sales credits read the same shape). */
int ps_bp__cmp_rows(const void *a, const void *b);
int ps_bp__order_list_fill(ps_bp_order_list *l, json_t *all,
			   int (*fn)(ps_bp_order *, const json_t *));

/* ps_bp__path - *out = printf-formatted path (owned). */
int ps_bp__path(char **out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
