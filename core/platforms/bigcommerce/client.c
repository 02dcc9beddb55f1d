/*
 * client.c - the BigCommerce connector's transport: the context, the
 * growable arrays the readers fill, the request with its auth headers and
 * error bodies, v3 envelopes, page walks, and the store-info read behind
 * the connection check.
 *
 * Every request goes through ps_bc__call(): it builds the URL from the
 * configured base and store hash, adds the X-Auth-Token and JSON headers,
 * sends through ps_http (which owns rate limiting and retries) and turns
 * the HTTP status into a PS_E* code with BigCommerce's own error message.
 *
 * Wire facts the connector relies on (see the API reference digest): v2
 * lists are bare arrays paged with page/limit and answer 204 with no body
 * when a page is empty; v3 wraps data in {"data": ..., "meta":
 * {"pagination"}}; money is a decimal string ("12.3400"), parsed exactly;
 * v2 dates are RFC 2822, v3 dates ISO 8601 or epoch seconds.
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

/* Sends of an idempotent request whose 2xx body was not JSON. */
#define BC_PARSE_ATTEMPTS 3

/* --- small utilities ------------------------------------------------------ */

void *
ps_bc__vec_push(struct ps_bc__vec *v)
{
	char *slot;

	if (v->count == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 8;
		void *p;

		if (cap > SIZE_MAX / v->size)
			return NULL;
		p = realloc(v->items, cap * v->size);
		if (p == NULL)
			return NULL;
		v->items = p;
		v->cap = cap;
	}
	slot = (char *)v->items + v->count * v->size;
	memset(slot, 0, v->size);
	v->count++;
	return slot;
}

/* Dispose count items of size bytes each, then free the array. */
void
ps_bc__items_dispose(void *items, size_t count, size_t size,
		     ps_bc__dispose_fn dispose)
{
	size_t i;

	for (i = 0; dispose && i < count; i++)
		dispose((char *)items + i * size);
	free(items);
}

void
ps_bc__vec_dispose(struct ps_bc__vec *v, ps_bc__dispose_fn dispose)
{
	ps_bc__items_dispose(v->items, v->count, v->size, dispose);
	v->items = NULL;
	v->count = v->cap = 0;
}

/* --- requests ------------------------------------------------------------- */

/*
 * The sentence BigCommerce put in an error body: v2 arrays of {message,
 * details}, v3 {title, errors{field: text}}, customers v2 {errors: [...]},
 * variants {batch_errors: [...]}; else the start of the raw body.
 */
static void
error_message(char *buf, size_t cap, const ps_http_response *r)
{
	json_t *root = NULL, *first = NULL;
	ps_conn_buf s = PS_CONN_BUF_INIT(0);

	buf[0] = '\0';
	if (r->body_len > 0)
		root = json_loadb(r->body, r->body_len, 0, NULL);
	if (json_is_array(root))
		first = json_array_get(root, 0);
	else if (json_is_array(json_object_get(root, "errors")))
		first = json_array_get(json_object_get(root, "errors"), 0);
	else if (json_is_array(json_object_get(root, "batch_errors")))
		first = json_array_get(json_object_get(root, "batch_errors"),
				       0);
	else if (json_is_object(root))
		first = root;
	if (json_is_object(first)) {
		const char *msg =
			json_string_value(json_object_get(first, "message"));
		const char *title =
			json_string_value(json_object_get(first, "title"));
		const json_t *errs = json_object_get(first, "errors");
		const json_t *det = json_object_get(first, "details");
		const char *key;
		json_t *val;

		ps_conn__buf_add(&s, msg ? msg : title ? title : "");
		if (json_is_object(det) &&
		    json_is_string(json_object_get(det, "invalid_reason"))) {
			ps_conn__buf_add(&s, " (");
			ps_conn__buf_add(&s, json_string_value(json_object_get(
						     det, "invalid_reason")));
			ps_conn__buf_add(&s, ")");
		}
		if (json_is_object(errs)) {
			json_object_foreach ((json_t *)errs, key, val) {
				ps_conn__buf_add(&s, s.len ? "; " : "");
				ps_conn__buf_add(&s, key);
				if (json_is_string(val)) {
					ps_conn__buf_add(&s, ": ");
					ps_conn__buf_add(
						&s, json_string_value(val));
				}
			}
		}
	}
	if (s.len && !s.error)
		ps_util__strlcpy(buf, s.data, cap);
	else if (r->body_len > 0)
		snprintf(buf, cap, "%.200s", r->body);
	else
		snprintf(buf, cap, "no details");
	ps_conn__buf_dispose(&s);
	json_decref(root);
}

/*
 * Send one request.  Returns 0 with a 2xx in *resp; otherwise an error with
 * the detail "BigCommerce: <what>: <cause>".  404 is PS_ENOTFOUND; other 4xx
 * (but 401/403/429, which ps_http maps) are PS_EDATA; anything else
 * PS_EHTTP.  *resp is always left for the caller to dispose.
 */
int
ps_bc__call(ps_bc *bc, ps_http_response *resp, const struct ps_bc__req *rq)
{
	const char *headers[4];
	ps_http_request req;
	ps_conn_buf url = PS_CONN_BUF_INIT(0);
	char *body = NULL, msg[600];
	int error = 0, nh = 0;

	ps_conn__buf_add(&url, bc->root);
	ps_conn__buf_add(&url, rq->path);
	if (rq->body != NULL) {
		body = json_dumps(rq->body,
				  JSON_COMPACT | JSON_REAL_PRECISION(15));
		if (body == NULL) {
			error = ps_error_set(PS_ENOMEM, NULL);
			goto done;
		}
	}
	if ((error = ps_conn__buf_check(&url, "a BigCommerce request URL")) < 0)
		goto done;
	headers[nh++] = bc->auth_header;
	headers[nh++] = "Accept: application/json";
	if (body != NULL)
		headers[nh++] = "Content-Type: application/json";
	headers[nh] = NULL;

	memset(&req, 0, sizeof(req));
	req.platform = PS_PLATFORM_BIGCOMMERCE;
	req.account = bc->hash;
	req.method = rq->method;
	req.url = url.data;
	req.endpoint = rq->endpoint;
	req.headers = headers;
	req.body = body;
	req.body_len = body ? strlen(body) : 0;
	req.idempotent = rq->idempotent;

	error = bc->send ? bc->send(bc->send_ctx, resp, &req)
			 : ps_http_send(resp, bc->http, &req);
	if (error == PS_EAUTH) {
		error = ps_error_set(PS_EAUTH,
				     "BigCommerce: %s: store '%s' refused the "
				     "access token (HTTP %ld); check the API "
				     "account and its scopes",
				     rq->what, bc->hash, resp->status);
		goto done;
	}
	if (error < 0) {
		error = ps_util__error_wrap(error, "BigCommerce: %s", rq->what);
		goto done;
	}
	if (resp->status >= 200 && resp->status < 300)
		goto done;
	error_message(msg, sizeof(msg), resp);
	if (resp->status == 404)
		error = ps_error_set(PS_ENOTFOUND,
				     "BigCommerce: %s: not found "
				     "(%s)",
				     rq->what, msg);
	else if (resp->status >= 400 && resp->status < 500)
		error = ps_error_set(PS_EDATA,
				     "BigCommerce: %s: refused with HTTP %ld: "
				     "%s",
				     rq->what, resp->status, msg);
	else
		error = ps_error_set(PS_EHTTP,
				     "BigCommerce: %s: unexpected HTTP %ld: %s",
				     rq->what, resp->status, msg);
done:
	free(body);
	ps_conn__buf_dispose(&url);
	return error;
}

/*
 * Send and parse the JSON reply into *out (new reference; NULL for 204 or
 * an empty body, which callers treat as "nothing").  A 2xx whose body is
 * not JSON (cut or garbled on the way) is asked for again when repeating
 * the request is harmless; a create instead reports PS_EPARSE and its
 * caller looks the object up.
 */
int
ps_bc__call_json(json_t **out, ps_bc *bc, const struct ps_bc__req *rq)
{
	ps_http_response resp = PS_HTTP_RESPONSE_INIT;
	int error, attempt;

	*out = NULL;
	for (attempt = 1;; attempt++) {
		if ((error = ps_bc__call(bc, &resp, rq)) < 0)
			break;
		if (resp.status == 204 || resp.body_len == 0)
			break;
		error = ps_http_response_json(out, &resp,
					      PS_PLATFORM_BIGCOMMERCE);
		if (error == 0)
			break;
		error = ps_util__error_wrap(error, "BigCommerce: %s", rq->what);
		if (!rq->idempotent || attempt >= BC_PARSE_ATTEMPTS)
			break;
		ps_log_warn("bigcommerce", "%s; asking again", ps_error_last());
		ps_http_response_dispose(&resp);
	}
	ps_http_response_dispose(&resp);
	return error;
}

/* The v3 payload: root["data"] when enveloped, else root itself. */
json_t *
ps_bc__v3_data(json_t *root)
{
	json_t *data = json_object_get(root, "data");

	return data ? data : root;
}

/*
 * Walk every page of a list.  path already holds its query (or none); page
 * and limit are appended.  v2 pages are bare arrays and end with 204 or a
 * short page; v3 pages are {data, meta.pagination} and end at total_pages
 * or a short page.  Each row is parsed by fn into a new slot of v; a row
 * for which fn answers 1 takes no slot and the walk goes on.
 */
int
ps_bc__walk_limit(ps_bc *bc, struct ps_bc__vec *v, const char *path,
		  const char *endpoint, const char *what, int is_v3,
		  ps_bc__row_fn fn, void *ctx, size_t max, int limit)
{
	int page, error = 0;
	json_t *root = NULL;

	for (page = 1;; page++) {
		ps_conn_buf p = PS_CONN_BUF_INIT(0);
		struct ps_bc__req rq = {"GET", NULL, endpoint, NULL, 1, what};
		const json_t *rows, *pag;
		size_t i;

		ps_conn__buf_add(&p, path);
		if (limit > 0)
			ps_conn__buf_addf(&p, "%slimit=%d&page=%d",
					  strchr(path, '?') ? "&" : "?", limit,
					  page);
		if ((error = ps_conn__buf_check(&p, "a BigCommerce list URL")) <
		    0) {
			ps_conn__buf_dispose(&p);
			return error;
		}
		rq.path = p.data;
		error = ps_bc__call_json(&root, bc, &rq);
		ps_conn__buf_dispose(&p);
		if (error < 0)
			goto done;
		if (root == NULL) /* 204: no (more) rows */
			goto done;
		rows = is_v3 ? ps_bc__v3_data(root) : root;
		if (!json_is_array(rows)) {
			error = ps_error_set(PS_EPARSE,
					     "BigCommerce: %s: expected a list "
					     "in the reply (page %d)",
					     what, page);
			goto done;
		}
		for (i = 0; i < json_array_size(rows); i++) {
			void *slot;

			if (max && v->count >= max)
				goto done;
			if ((slot = ps_bc__vec_push(v)) == NULL) {
				error = ps_error_set(PS_ENOMEM, NULL);
				goto done;
			}
			error = fn(slot, json_array_get(rows, i), ctx);
			if (error != 0)
				v->count--; /* fn freed its partial slot */
			if (error < 0)
				goto done;
			error = 0;
		}
		/*
		 * v3 says how many pages there are: trust that over the row
		 * count (a server may cap per_page below what was asked).
		 * v2 says nothing: a short page is the last one.
		 */
		pag = json_object_get(json_object_get(root, "meta"),
				      "pagination");
		if (limit <= 0) /* an endpoint that is not paged */
			goto done;
		if (is_v3 &&
		    json_is_integer(json_object_get(pag, "total_pages"))) {
			if (page >= json_integer_value(json_object_get(
					    pag, "total_pages")) ||
			    json_array_size(rows) == 0)
				goto done;
		} else if (json_array_size(rows) < (size_t)limit) {
			goto done;
		}
		if (page >= 100000) {
			error = ps_error_set(PS_EREMOTE,
					     "BigCommerce: %s: the list never "
					     "ends (page %d)",
					     what, page);
			goto done;
		}
		json_decref(root);
		root = NULL;
	}
done:
	json_decref(root);
	return error;
}

/* ps_bc__walk_limit with the configured page size (options.page_limit). */
int
ps_bc__walk(ps_bc *bc, struct ps_bc__vec *v, const char *path,
	    const char *endpoint, const char *what, int is_v3, ps_bc__row_fn fn,
	    void *ctx, size_t max)
{
	return ps_bc__walk_limit(bc, v, path, endpoint, what, is_v3, fn, ctx,
				 max, bc->page_limit);
}

/* --- context -------------------------------------------------------------- */

int
ps_bc_new(ps_bc **out, ps_http *http, const ps_bc_options *opts)
{
	ps_bc *bc = NULL;
	ps_conn_buf s = PS_CONN_BUF_INIT(0);
	size_t blen;
	int error = 0;

	*out = NULL;
	if (opts == NULL || opts->store_hash == NULL ||
	    *opts->store_hash == '\0')
		return ps_error_set(PS_EINVAL,
				    "BigCommerce: the store hash is not set");
	if (opts->access_token == NULL || *opts->access_token == '\0')
		return ps_error_set(PS_EINVAL,
				    "BigCommerce: the access token is not set");
	if (opts->base_url == NULL || *opts->base_url == '\0')
		return ps_error_set(PS_EINVAL,
				    "BigCommerce: the API base URL is not set");
	if (opts->page_limit < 1 || opts->page_limit > PS_BC_PAGE_MAX)
		return ps_error_set(PS_EINVAL,
				    "BigCommerce: page limit %d is outside "
				    "1..%d",
				    opts->page_limit, PS_BC_PAGE_MAX);
	if (opts->inventory_batch < 1 ||
	    opts->inventory_batch > PS_BC_INVENTORY_BATCH_MAX)
		return ps_error_set(PS_EINVAL,
				    "BigCommerce: inventory batch %d is "
				    "outside 1..%d",
				    opts->inventory_batch,
				    PS_BC_INVENTORY_BATCH_MAX);
	if (strpbrk(opts->store_hash, "/?#% \r\n") != NULL ||
	    strpbrk(opts->access_token, "\r\n") != NULL)
		return ps_error_set(PS_EINVAL,
				    "BigCommerce: the store hash or token "
				    "contains characters it cannot have");
	if ((error = ps_log_add_secret(opts->access_token)) < 0)
		return error;
	if ((bc = calloc(1, sizeof(*bc))) == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	bc->http = http;
	bc->page_limit = opts->page_limit;
	bc->inventory_batch = opts->inventory_batch;
	bc->location_id = opts->location_id > 0 ? opts->location_id : 1;
	blen = strlen(opts->base_url);
	while (blen > 0 && opts->base_url[blen - 1] == '/')
		blen--;
	ps_conn__buf_addn(&s, opts->base_url, blen);
	ps_conn__buf_add(&s, "/stores/");
	ps_conn__buf_add(&s, opts->store_hash);
	if ((error = ps_conn__buf_detach(&bc->root, &s)) < 0)
		goto done;
	ps_conn__buf_add(&s, "X-Auth-Token: ");
	ps_conn__buf_add(&s, opts->access_token);
	if ((error = ps_conn__buf_detach(&bc->auth_header, &s)) < 0)
		goto done;
	if ((bc->hash = ps_util__strdup(opts->store_hash)) == NULL) {
		error = ps_error_set(PS_ENOMEM, NULL);
		goto done;
	}
	*out = bc;
	bc = NULL;
done:
	ps_bc_free(bc);
	return error;
}

void
ps_bc_free(ps_bc *bc)
{
	if (bc == NULL)
		return;
	free(bc->root);
	free(bc->hash);
	ps_conn__free_secret(bc->auth_header);
	free(bc);
}

void
ps_bc__set_transport(ps_bc *bc, ps_bc__send_fn fn, void *ctx)
{
	bc->send = fn;
	bc->send_ctx = ctx;
}

/* --- store ---------------------------------------------------------------- */

static const struct ps_bc__field store_fields[] = {
	FLD(ps_bc_store_info, "id", id, BK_STR, 0),
	FLD(ps_bc_store_info, "name", name, BK_STR, 1),
	FLD(ps_bc_store_info, "domain", domain, BK_STR, 0),
	FLD(ps_bc_store_info, "currency", currency, BK_STR, 0),
	FLD(ps_bc_store_info, "admin_email", admin_email, BK_STR, 0),
};

void
ps_bc_store_info_dispose(ps_bc_store_info *s)
{
	FIELDS_FREE(s, store_fields);
}

int
ps_bc_store_get(ps_bc_store_info *out, ps_bc *bc)
{
	struct ps_bc__req rq = {"GET",      "/v2/store",
				"v2/store", NULL,
				1,          "reading the store information"};
	json_t *root = NULL;
	int error;

	memset(out, 0, sizeof(*out));
	if ((error = ps_bc__call_json(&root, bc, &rq)) < 0)
		goto done;
	error = FIELDS_PARSE(out, store_fields, root,
			     "BigCommerce store information");
done:
	json_decref(root);
	return error;
}

int
ps_bc_check_connection(char **out_name, ps_bc *bc)
{
	ps_bc_store_info info;
	int error;

	*out_name = NULL;
	if ((error = ps_bc_store_get(&info, bc)) < 0)
		return error;
	*out_name = info.name;
	info.name = NULL;
	ps_bc_store_info_dispose(&info);
	return 0;
}

/* May a failed create have reached BigCommerce? */
int
ps_bc__ambiguous(int error)
{
	return error == PS_ENET || error == PS_ETIMEOUT ||
	       error == PS_EREMOTE || error == PS_EHTTP || error == PS_EPARSE;
}

int
ps_bc__whole_page(struct ps_bc__vec *v, ps_bc *bc, const ps_http_response *resp,
		  int is_v3, int paged, ps_bc__row_fn fn, void *ctx)
{
	const json_t *rows, *pages;
	json_t *root = NULL;
	size_t i;
	int error = 0;

	if (resp->status == 204 ||
	    (resp->status >= 200 && resp->status < 300 && resp->body_len == 0))
		return 1; /* an empty list */
	if (resp->status < 200 || resp->status > 299)
		return 0;
	if (ps_http_response_json(&root, resp, PS_PLATFORM_BIGCOMMERCE) < 0) {
		ps_error_clear();
		return 0;
	}
	rows = is_v3 ? ps_bc__v3_data(root) : root;
	pages = is_v3 ? json_object_get(
				json_object_get(json_object_get(root, "meta"),
						"pagination"),
				"total_pages")
		      : NULL;
	if (!json_is_array(rows) ||
	    (paged &&
	     (json_is_integer(pages)
		      ? json_integer_value(pages) > 1
		      : json_array_size(rows) >= (size_t)bc->page_limit)))
		goto done; /* 0: maybe another page */
	for (i = 0; i < json_array_size(rows); i++) {
		void *slot = ps_bc__vec_push(v);

		if (slot == NULL) {
			error = ps_error_set(PS_ENOMEM, NULL);
			goto done;
		}
		if (fn(slot, json_array_get(rows, i), ctx) < 0) {
			v->count--;
			ps_error_clear();
			goto done; /* the ordinary read reports it */
		}
	}
	error = 1;
done:
	json_decref(root);
	return error;
}

/* Lists read at once by ps_bc__first_pages. */
#define BC_PARALLEL 4

int
ps_bc__first_pages(ps_bc *bc, const char *head, const char *tail,
		   const char *endpoint, int paged, const int64_t *ids,
		   size_t n,
		   int (*page)(size_t i, const ps_http_response *resp,
			       void *ctx),
		   int (*read)(size_t i, void *ctx), void *ctx)
{
	const char *headers[3];
	ps_http_request *reqs = NULL;
	ps_http_response *resps = NULL;
	ps_conn_buf *urls = NULL;
	int *errs = NULL, got;
	size_t i;
	int error = 0, many = bc->send == NULL && n > 1;

	if (many) {
		reqs = calloc(n, sizeof(*reqs));
		resps = calloc(n, sizeof(*resps));
		urls = calloc(n, sizeof(*urls));
		errs = calloc(n, sizeof(*errs));
		if (reqs == NULL || resps == NULL || urls == NULL ||
		    errs == NULL) {
			error = ps_error_set(PS_ENOMEM, NULL);
			goto done;
		}
		headers[0] = bc->auth_header;
		headers[1] = "Accept: application/json";
		headers[2] = NULL;
		for (i = 0; i < n; i++) {
			ps_conn__buf_add(&urls[i], bc->root);
			ps_conn__buf_addf(&urls[i], "%s%lld%s", head,
					  (long long)ids[i], tail);
			if (paged)
				ps_conn__buf_addf(&urls[i], "%slimit=%d&page=1",
						  strchr(tail, '?') ? "&" : "?",
						  bc->page_limit);
			if ((error = ps_conn__buf_check(
				     &urls[i], "a BigCommerce list URL")) < 0)
				goto done;
			reqs[i].platform = PS_PLATFORM_BIGCOMMERCE;
			reqs[i].account = bc->hash;
			reqs[i].method = "GET";
			reqs[i].url = urls[i].data;
			reqs[i].endpoint = endpoint;
			reqs[i].headers = headers;
			reqs[i].idempotent = 1;
		}
		if (ps_http_send_many(resps, errs, bc->http, reqs, n,
				      BC_PARALLEL) < 0)
			ps_error_clear(); /* each is read again below */
	}
	for (i = 0; i < n; i++) {
		got = 0;
		if (many && errs[i] == 0 &&
		    (got = page(i, &resps[i], ctx)) < 0) {
			error = got;
			goto done;
		}
		if (got == 0 && (error = read(i, ctx)) < 0)
			goto done;
	}
done:
	for (i = 0; many && i < n; i++) {
		if (resps)
			ps_http_response_dispose(&resps[i]);
		if (urls)
			ps_conn__buf_dispose(&urls[i]);
	}
	free(reqs);
	free(resps);
	free(urls);
	free(errs);
	return error;
}
