/*
 * bigcommerce_int.h - what the BigCommerce connector's unit tests reach
 * that callers do not: the date codecs and a transport seam that replaces
 * ps_http_send() so requests are asserted and replies scripted in process.
 * Below those, what the connector's files share: the context, the growable
 * arrays, the field tables (fields.c) and the request helpers (client.c).
 */
#ifndef PEARLSYNC_BIGCOMMERCE_INTERNAL_H
#define PEARLSYNC_BIGCOMMERCE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "pearlsync/bigcommerce.h"
#include "pearlsync/http.h"

/*
 * ps_bc__send_fn - stands in for ps_http_send(); same contract.  *out is
 * PS_HTTP_RESPONSE_INIT; whatever it fills is released with
 * ps_http_response_dispose(), so body and headers are malloc'd.
 */
typedef int (*ps_bc__send_fn)(void *ctx, ps_http_response *out,
			      const ps_http_request *req);

/* ps_bc__set_transport - route bc's requests to fn (NULL: ps_http_send). */
void ps_bc__set_transport(ps_bc *bc, ps_bc__send_fn fn, void *ctx);

/*
 * ps_bc__date_parse_rfc2822 - "Tue, 05 Mar 2019 21:40:11 +0000" (weekday
 * optional, seconds optional, zone +hhmm/-hhmm/GMT/UT/Z) into Unix seconds.
 * Returns 0 or PS_EPARSE.
 */
int ps_bc__date_parse_rfc2822(int64_t *out, const char *text);

/*
 * ps_bc__date_parse_iso8601 - "2019-03-05T21:40:11Z", with optional
 * fraction, zone "+hh:mm"/"+hhmm"/"Z" or none (UTC), or a bare date.
 * Returns 0 or PS_EPARSE.
 */
int ps_bc__date_parse_iso8601(int64_t *out, const char *text);

/* ps_bc__date_format_rfc2822 - Unix seconds as "Tue, 05 Mar 2019 ... +0000"
 * into buf (cap >= 32). */
void ps_bc__date_format_rfc2822(char *buf, size_t cap, int64_t t);

/* Connector-level attempts of a create that is made exactly-once by lookup. */
#define BC_CREATE_ATTEMPTS 4

/* SKUs or ids longer than this are refused before building a URL. */
#define BC_QUERY_VALUE_MAX 512

/* ---- shared by the connector's files ------------------------------------ */

/* The ps_bc context. */
struct ps_bc {
	ps_http *http;       /* borrowed */
	ps_bc__send_fn send; /* NULL: ps_http_send */
	void *send_ctx;
	char *root;        /* "{base}/stores/{hash}", owned */
	char *hash;        /* owned */
	char *auth_header; /* "X-Auth-Token: ...", owned, secret */
	int page_limit;
	int inventory_batch;
	int64_t location_id;
};

/* A growable array of fixed-size, zero-initialised elements. */
struct ps_bc__vec {
	void *items;
	size_t count, cap, size;
};

/* ps_bc__vec_push - a new zeroed slot at the end of v, NULL when out of
 * memory. */
void *ps_bc__vec_push(struct ps_bc__vec *v);

typedef void (*ps_bc__dispose_fn)(void *item);

/* ps_bc__items_dispose - dispose count items of size bytes each (dispose
 * may be NULL), then free the array.  ps_bc__vec_dispose does so for v and
 * leaves it empty. */
void ps_bc__items_dispose(void *items, size_t count, size_t size,
			  ps_bc__dispose_fn dispose);
void ps_bc__vec_dispose(struct ps_bc__vec *v, ps_bc__dispose_fn dispose);

/* ---- field tables (fields.c) -------------------------------------------- */

/* The kinds of member a field table reads. */
enum ps_bc__kind {
	BK_I64,     /* int64_t: JSON integer or a string of digits */
	BK_INT,     /* int */
	BK_STR,     /* char *, owned; "" when absent or null */
	BK_MONEY,   /* ps_money from "12.3400", 12.34 or 12 */
	BK_BOOL,    /* int 0/1 from true/false, 0/1, "true"/"false" */
	BK_RFC2822, /* int64_t Unix seconds; "" is 0 */
	BK_ISO8601, /* int64_t Unix seconds; "" is 0 */
	BK_EPOCH    /* int64_t Unix seconds from an integer */
};

struct ps_bc__field {
	const char *name;   /* JSON member */
	unsigned char kind; /* enum ps_bc__kind */
	unsigned char required;
	size_t offset;
};

#define FLD(type, json, member, kind, req)                                     \
	{                                                                      \
		(json), (kind), (req), offsetof(type, member)                  \
	}

#define FIELDS_PARSE(base, tab, obj, what)                                     \
	ps_bc__fields_parse((base), (tab), PS__ARRAY_LEN(tab), (obj), (what))
#define FIELDS_FREE(base, tab)                                                 \
	ps_bc__fields_free((base), (tab), PS__ARRAY_LEN(tab))
#define FIELDS_SIZE(base, tab)                                                 \
	ps_bc__fields_size((base), (tab), PS__ARRAY_LEN(tab))

/*
 * ps_bc__fields_parse - fill base from obj by tab with the shared connector
 * getters ("BigCommerce order 1042: field 'total_inc_tax' is \"x\", not an
 * amount").  Absent or null optional members keep their zero value
 * (strings become "").  On failure what was filled is freed.  what starts
 * with "BigCommerce".  ps_bc__fields_free frees what a table filled.
 */
int ps_bc__fields_parse(void *base, const struct ps_bc__field *tab, size_t n,
			const json_t *obj, const char *what);
void ps_bc__fields_free(void *base, const struct ps_bc__field *tab, size_t n);
/* ps_bc__fields_size - the heap the strings a table filled take, each
 * as the malloc chunk that holds it: a memory budget's measure. */
size_t ps_bc__fields_size(const void *base, const struct ps_bc__field *tab,
			  size_t n);

/*
 * ps_bc__subitems_parse - a new array of size-byte items, each filled from
 * the sub-objects of arr by tab, with *n its length.  NULL with *n 0 for an
 * absent, null or empty arr (*error 0) or on failure (*error < 0).
 */
void *ps_bc__subitems_parse(int *error, size_t *n, size_t size,
			    const json_t *arr, const struct ps_bc__field *tab,
			    size_t ntab, const char *what);

/* ps_bc__class_id - a tax class id member (name) of obj into *out: -1
 * when absent or null (class 0 is a real class, the store's default). */
int ps_bc__class_id(int64_t *out, const json_t *obj, const char *name,
		    const char *what);

/* ps_bc__peek_id - the id member name of obj for naming it in errors, or
 * -1. */
long long ps_bc__peek_id(const json_t *obj, const char *name);

/* ---- requests (client.c) ------------------------------------------------ */

/* One request: what ps_bc__call sends. */
struct ps_bc__req {
	const char *method;
	const char *path;     /* after the root: "/v2/orders?page=1" */
	const char *endpoint; /* counter label */
	json_t *body;         /* borrowed, NULL for none */
	int idempotent;
	const char *what; /* "listing orders": for the operator */
};

/* Parse row into item: 0, a negative error (item left empty: the walk
 * stops) or 1 (item left empty: the row was dealt with otherwise). */
typedef int (*ps_bc__row_fn)(void *item, const json_t *row, void *ctx);

/*
 * ps_bc__call - send one request.  0 with a 2xx in *resp; otherwise an error
 * with the detail "BigCommerce: <what>: <cause>": 404 PS_ENOTFOUND, other
 * 4xx (but 401/403/429, which ps_http maps) PS_EDATA, anything else
 * PS_EHTTP.  *resp is always left for the caller to dispose.
 */
int ps_bc__call(ps_bc *bc, ps_http_response *resp, const struct ps_bc__req *rq);

/*
 * ps_bc__call_json - ps_bc__call and parse the JSON reply into *out (new
 * reference; NULL for 204 or an empty body).  A 2xx whose body is not JSON
 * is asked for again when repeating the request is harmless; a create
 * instead reports PS_EPARSE and its caller looks the object up.
 */
int ps_bc__call_json(json_t **out, ps_bc *bc, const struct ps_bc__req *rq);

/* ps_bc__v3_data - root["data"] when enveloped, else root (borrowed). */
json_t *ps_bc__v3_data(json_t *root);

/*
 * ps_bc__walk_limit - walk every page of a list at path (its query already
 * in it; page and limit are appended), v2 bare arrays or v3 envelopes,
 * parsing each row by fn into a new slot of v; a row fn answers 1 for
 * takes no slot.  At most max rows (0: no cap), limit rows a page.
 * ps_bc__walk uses the configured page size.
 */
int ps_bc__walk_limit(ps_bc *bc, struct ps_bc__vec *v, const char *path,
		      const char *endpoint, const char *what, int is_v3,
		      ps_bc__row_fn fn, void *ctx, size_t max, int limit);
/*
 * ps_bc__whole_page - the rows of resp into v through fn when resp is the
 * whole list: 1 (v filled; a 204 or empty body is an empty list), 0 when
 * it may not be (a full page, more pages, not JSON, an error status: the
 * caller reads the list the ordinary way), or PS_ENOMEM.  is_v3: rows
 * under "data" and meta.pagination says the pages; paged 0: the
 * endpoint has no pages, so one reply is the whole list.
 */
int ps_bc__whole_page(struct ps_bc__vec *v, ps_bc *bc,
		      const ps_http_response *resp, int is_v3, int paged,
		      ps_bc__row_fn fn, void *ctx);

/*
 * ps_bc__first_pages - the first page of n lists at once (reads that
 * would otherwise add up): GET root + head + ids[i] + tail (with limit
 * and page=1 when paged), a few at a time.  For each i, page(i, resp, ctx)
 * takes a reply that holds the whole list (1), or says 0; a list not
 * taken so (or not sent: a test transport, one id) is read by read(i,
 * ctx) the ordinary way.  Returns 0 or the first failure.
 */
int ps_bc__first_pages(ps_bc *bc, const char *head, const char *tail,
		       const char *endpoint, int paged, const int64_t *ids,
		       size_t n,
		       int (*page)(size_t i, const ps_http_response *resp,
				   void *ctx),
		       int (*read)(size_t i, void *ctx), void *ctx);

int ps_bc__walk(ps_bc *bc, struct ps_bc__vec *v, const char *path,
		const char *endpoint, const char *what, int is_v3,
		ps_bc__row_fn fn, void *ctx, size_t max);

/* ps_bc__ambiguous - may a create that failed with error have reached
 * BigCommerce (so it must be looked for before sending again)? */
int ps_bc__ambiguous(int error);

#endif
