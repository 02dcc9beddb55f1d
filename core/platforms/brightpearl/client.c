/*
 * client.c - the Brightpearl connector's wire layer: the context, the
 * authenticated request, the envelope and its errors, id-set chunking,
 * search paging, the connection check, the helpers every typed operation
 * shares (list reads, create-then-look-up) and multi-message batches.  The
 * typed operations are in the other files of this directory (orders.c,
 * contacts.c, products.c, refs.c, payments.c, goods_out.c, webhooks.c);
 * they call down into this file and it calls none of them.
 *
 * Brightpearl answers {"response": X} on success and {"errors": [{code,
 * message}]} on failure, except that auth failures and the throttle carry
 * a bare string in "response".  Every reply is turned into either a JSON
 * value for the operation or one readable sentence here, so the operations
 * never look at HTTP statuses.
 *
 * The operations build each request from a C struct and read the reply
 * into C structs with the type-checked getters of connector.h.  Lists keep
 * the parsed replies alive (priv__) and point their strings into them, so
 * reading a thousand orders costs no string copies; the list's _dispose
 * releases both.  Brightpearl's string-keyed maps (orderRows, availability,
 * goods-out notes) are turned into arrays sorted by id, so callers see a
 * stable order.
 */
#include "platforms/brightpearl/brightpearl_int.h"
#include "platforms/brightpearl/rate_int.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define PS__BP_URL_MAX 8192
#define PS__BP_SNIPPET 200
#define PS__BP_GARBLED_RETRIES 3 /* extra asks after an unreadable reply */

/* ---- context ------------------------------------------------------------ */

static int
dup_header(char **out, const char *name, const char *value)
{
	ps_conn_buf b = PS_CONN_BUF_INIT(4096);

	ps_conn__buf_addf(&b, "%s: %s", name, value);
	return ps_conn__buf_detach(out, &b);
}

static int
has_text(const char *s)
{
	return s != NULL && s[0] != '\0';
}

/* ---- OAuth -------------------------------------------------------------- */

/*
 * OAuth instance apps (help.brightpearl.com articles 360032240811 and
 * 4414330000657; api-docs.brightpearl.com utilities/oauth-token/post):
 * calls carry "Authorization: Bearer <access token>" with the app and
 * developer refs; the token endpoint is POST {datacentre host}/oauth/token,
 * form-encoded, with account_code in the body; a refresh sends
 * grant_type=refresh_token, refresh_token, client_id (the integration ref)
 * and client_secret for confidential apps.  The reply is snake_case:
 * access_token, refresh_token, expires_in (seconds), api_domain,
 * token_type.  Each refresh rotates the refresh token.
 *
 * Order of a refresh, chosen so no usable refresh token is ever lost:
 *  1. the request goes out with the stored refresh token; nothing local
 *     changes before the reply (a crash here leaves the stored token,
 *     which is still the valid one unless Brightpearl rotated it and the
 *     reply was lost in transit, which no client can recover from: the
 *     app must be authorised again and the error says so);
 *  2. the granted set is parked in pending_* and handed to the save
 *     function, which writes access token, expiry and refresh token in
 *     one store transaction;
 *  3. only after a successful save does the new access token go on any
 *     request.  A failed save keeps the set parked (never used, never
 *     dropped) and is tried again before the next request; the refresh
 *     token is never traded twice.
 */

static int64_t
bp_now(const ps_bp *bp)
{
	return bp->now != NULL ? bp->now(bp->now_ctx) : (int64_t)time(NULL);
}

static int
set_bearer(ps_bp *bp)
{
	ps_conn_buf hb = PS_CONN_BUF_INIT(4096);

	ps_conn__free_secret(bp->auth_header);
	bp->auth_header = NULL;
	ps_conn__buf_addf(&hb, "Authorization: Bearer %s", bp->token);
	return ps_conn__buf_detach(&bp->auth_header, &hb);
}

static int
dup_opt(char **out, const char *s)
{
	*out = NULL;
	if (!has_text(s))
		return 0;
	*out = ps_util__strdup(s);
	return *out != NULL ? 0 : ps_error_set(PS_ENOMEM, NULL);
}

static int
oauth_init(ps_bp *bp, const ps_bp_options *opts)
{
	ps_conn_buf b = PS_CONN_BUF_INIT(PS__BP_URL_MAX);
	int error;

	bp->expires_at = opts->expires_at;
	bp->save = opts->save;
	bp->save_ctx = opts->save_ctx;
	bp->now = opts->now;
	bp->now_ctx = opts->now_ctx;
	if ((error = dup_opt(&bp->refresh_token, opts->refresh_token)) < 0 ||
	    (error = dup_opt(&bp->client_secret, opts->client_secret)) < 0 ||
	    (error = dup_opt(&bp->client_id, has_text(opts->client_id)
						     ? opts->client_id
						     : opts->app_ref)) < 0)
		return error;
	if (has_text(opts->token_url)) {
		ps_conn__buf_add(&b, opts->token_url);
	} else {
		ps_conn__buf_add(&b, bp->base_url);
		ps_conn__buf_add(&b, "/oauth/token");
	}
	if ((error = ps_conn__buf_detach(&bp->token_url, &b)) < 0)
		return error;
	return set_bearer(bp);
}

/* Save the parked set, then make it the one in use. */
static int
adopt_pending(ps_bp *bp)
{
	ps_bp_tokens t;
	int error;

	t.access_token = bp->pending_access;
	t.refresh_token = bp->pending_refresh;
	t.expires_at = bp->pending_expires_at;
	if ((error = bp->save(bp->save_ctx, &t)) < 0)
		return error;
	ps_conn__free_secret(bp->token);
	ps_conn__free_secret(bp->refresh_token);
	bp->token = bp->pending_access;
	bp->refresh_token = bp->pending_refresh;
	bp->expires_at = bp->pending_expires_at;
	bp->pending_access = bp->pending_refresh = NULL;
	bp->pending_expires_at = 0;
	return set_bearer(bp);
}

static void
form_add(ps_conn_buf *b, const char *name, const char *value)
{
	if (b->len > 0)
		ps_conn__buf_add(b, "&");
	ps_conn__buf_add(b, name);
	ps_conn__buf_add(b, "=");
	ps_conn__buf_add_urlenc(b, value);
}

static void describe_failure(ps_conn_buf *b, const ps_http_response *res);
static int status_error(const ps_http_response *res, const char *what);

/* The token endpoint's reply into pending_*. */
static int
take_grant(ps_bp *bp, const ps_http_response *res)
{
	json_t *root = NULL, *v;
	const char *access, *refresh;
	int64_t expires_at = 0;
	int error = 0;

	if ((error = ps_conn__json_parse(&root, res->body, res->body_len,
					 "Brightpearl token endpoint")) < 0)
		return error;
	access = json_string_value(json_object_get(root, "access_token"));
	refresh = json_string_value(json_object_get(root, "refresh_token"));
	if (!has_text(access)) {
		error = ps_error_set(PS_EDATA, "Brightpearl token endpoint: "
					       "the reply has no access_token");
		goto done;
	}
	v = json_object_get(root, "expires_in");
	if (json_is_integer(v) && json_integer_value(v) > 0)
		expires_at = bp_now(bp) + (int64_t)json_integer_value(v);
	/* a reply without a new refresh token leaves the old one valid */
	bp->pending_access = ps_util__strdup(access);
	bp->pending_refresh = ps_util__strdup(
		has_text(refresh) ? refresh : bp->refresh_token);
	bp->pending_expires_at = expires_at;
	if (bp->pending_access == NULL || bp->pending_refresh == NULL) {
		ps_conn__free_secret(bp->pending_access);
		ps_conn__free_secret(bp->pending_refresh);
		bp->pending_access = bp->pending_refresh = NULL;
		error = ps_error_set(PS_ENOMEM, NULL);
		goto done;
	}
	if ((error = ps_log_add_secret(bp->pending_access)) < 0 ||
	    (error = ps_log_add_secret(bp->pending_refresh)) < 0)
		goto done;
done:
	json_decref(root);
	return error;
}

int
ps_bp_refresh(ps_bp *bp)
{
	ps_http_response res = PS_HTTP_RESPONSE_INIT;
	ps_http_request req;
	ps_conn_buf form = PS_CONN_BUF_INIT(16384);
	ps_conn_buf why = PS_CONN_BUF_INIT(PS_ERROR_MAX);
	const char *headers[3];
	int error = 0;

	if (bp->auth != PS_BP_AUTH_OAUTH || !has_text(bp->refresh_token))
		return ps_error_set(PS_ESETTING,
				    "Brightpearl: no OAuth refresh token is "
				    "set (brightpearl.refresh_token)");
	if (bp->pending_access != NULL)
		return adopt_pending(bp);
	form_add(&form, "grant_type", "refresh_token");
	form_add(&form, "refresh_token", bp->refresh_token);
	form_add(&form, "client_id", bp->client_id);
	if (has_text(bp->client_secret))
		form_add(&form, "client_secret", bp->client_secret);
	form_add(&form, "account_code", bp->account);
	if ((error = ps_conn__buf_check(&form, "Brightpearl token request")) <
	    0)
		goto done;
	headers[0] = "Content-Type: application/x-www-form-urlencoded";
	headers[1] = "Accept: application/json";
	headers[2] = NULL;
	memset(&req, 0, sizeof(req));
	req.platform = PS_PLATFORM_BRIGHTPEARL;
	req.account = bp->account;
	req.method = "POST";
	req.url = bp->token_url;
	req.endpoint = "oauth/token";
	req.headers = headers;
	req.body = ps_conn__buf_str(&form);
	req.body_len = strlen(req.body);
	/* a repeat would send a refresh token the first try may have used */
	req.idempotent = 0;
	ps_log_debug("brightpearl", "POST %s (token refresh)", req.url);
	if (bp->send != NULL)
		error = bp->send(bp->send_ctx, &res, &req);
	else
		error = ps_http_send(&res, bp->http, &req);
	if (res.status == 400 || res.status == 401 || res.status == 403) {
		describe_failure(&why, &res);
		error = ps_error_set(PS_EAUTH,
				     "Brightpearl refused the OAuth refresh "
				     "token for account '%s' (HTTP %ld: %s): "
				     "authorise the app again and store its "
				     "new tokens",
				     bp->account, res.status,
				     ps_conn__buf_str(&why));
		goto done;
	}
	if (error < 0)
		goto done;
	if (res.status < 200 || res.status > 299) {
		error = status_error(&res, "token refresh");
		goto done;
	}
	if ((error = take_grant(bp, &res)) < 0)
		goto done;
	error = adopt_pending(bp);
done:
	ps_http_response_dispose(&res);
	ps_conn__buf_dispose(&why);
	/* the form holds the refresh token and maybe the client secret */
	if (form.data != NULL)
		memset(form.data, 0, form.len);
	ps_conn__buf_dispose(&form);
	return error;
}

/*
 * Before a request: a parked set is saved first; an access token that
 * expires within the margin is refreshed.  A failed early refresh is not
 * fatal while the current token is still valid.
 */
static int
oauth_before(ps_bp *bp)
{
	int64_t now;
	int error;

	if (bp->auth != PS_BP_AUTH_OAUTH || !has_text(bp->refresh_token))
		return 0;
	now = bp_now(bp);
	if (bp->pending_access == NULL &&
	    (bp->expires_at == 0 ||
	     now < bp->expires_at - PS_BP_REFRESH_MARGIN_S))
		return 0;
	error = ps_bp_refresh(bp);
	if (error < 0 && error != PS_EAUTH && bp->expires_at != 0 &&
	    now < bp->expires_at) {
		ps_log_warn("brightpearl",
			    "token refresh: %s; the current "
			    "access token is still valid",
			    ps_error_last());
		ps_error_clear();
		return 0;
	}
	return error;
}

int
ps_bp_new(ps_bp **out, ps_http *http, const ps_bp_options *opts)
{
	ps_bp *bp = NULL;
	ps_conn_buf b = PS_CONN_BUF_INIT(PS__BP_URL_MAX);
	size_t len;
	int error = 0;

	*out = NULL;
	if (opts == NULL)
		return ps_error_set(PS_EINVAL, "Brightpearl: no options");
	if (!has_text(opts->base_url))
		return ps_error_set(PS_ESETTING, "Brightpearl base URL is not "
						 "set");
	if (!has_text(opts->account))
		return ps_error_set(PS_ESETTING, "Brightpearl account code is "
						 "not set");
	if (!has_text(opts->app_ref))
		return ps_error_set(PS_ESETTING, "Brightpearl app reference is "
						 "not set");
	if (!has_text(opts->token))
		return ps_error_set(PS_ESETTING, "Brightpearl token is not "
						 "set");
	if (opts->auth == PS_BP_AUTH_OAUTH && !has_text(opts->dev_ref))
		return ps_error_set(
			PS_ESETTING,
			"Brightpearl developer reference is not "
			"set (OAuth apps send brightpearl-dev-ref)");
	if (opts->auth == PS_BP_AUTH_OAUTH && has_text(opts->refresh_token) &&
	    opts->save == NULL)
		return ps_error_set(PS_EINVAL, "Brightpearl: a refresh token "
					       "without a save function");
	if (http == NULL && opts->send == NULL)
		return ps_error_set(PS_EINVAL, "Brightpearl: no HTTP client");
	if ((error = ps_log_add_secret(opts->token)) < 0 ||
	    (error = ps_log_add_secret(opts->refresh_token)) < 0 ||
	    (error = ps_log_add_secret(opts->client_secret)) < 0)
		return error;

	bp = calloc(1, sizeof(*bp));
	if (bp == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	bp->http = http;
	bp->auth = opts->auth;
	bp->instance_id = opts->instance_id;
	bp->idset_max = opts->idset_max;
	if (bp->idset_max <= 0 || bp->idset_max > 200)
		bp->idset_max = 200;
	bp->page_size = opts->page_size;
	if (bp->page_size <= 0 || bp->page_size > 500)
		bp->page_size = 500;
	bp->send = opts->send;
	bp->send_ctx = opts->send_ctx;
	bp->last_remaining = -1;

	bp->base_url = ps_util__strdup(opts->base_url);
	bp->account = ps_util__strdup(opts->account);
	bp->app_ref = ps_util__strdup(opts->app_ref);
	bp->token = ps_util__strdup(opts->token);
	if (bp->base_url == NULL || bp->account == NULL ||
	    bp->app_ref == NULL || bp->token == NULL) {
		error = ps_error_set(PS_ENOMEM, NULL);
		goto done;
	}
	len = strlen(bp->base_url);
	while (len > 0 && bp->base_url[len - 1] == '/')
		bp->base_url[--len] = '\0';
	ps_conn__buf_add(&b, bp->base_url);
	ps_conn__buf_add(&b, "/public-api/");
	ps_conn__buf_add_urlenc(&b, bp->account);
	if ((error = ps_conn__buf_detach(&bp->prefix, &b)) < 0)
		goto done;

	if (bp->auth == PS_BP_AUTH_OAUTH) {
		if ((error = oauth_init(bp, opts)) < 0)
			goto done;
	} else if ((error = dup_header(&bp->auth_header,
				       bp->auth == PS_BP_AUTH_STAFF
					       ? "brightpearl-staff-token"
					       : "brightpearl-account-token",
				       bp->token)) < 0) {
		goto done;
	}
	if ((error = dup_header(&bp->app_header, "brightpearl-app-ref",
				bp->app_ref)) < 0)
		goto done;
	if (has_text(opts->dev_ref)) {
		bp->dev_ref = ps_util__strdup(opts->dev_ref);
		if (bp->dev_ref == NULL ||
		    (error = dup_header(&bp->dev_header, "brightpearl-dev-ref",
					bp->dev_ref)) < 0) {
			error = error ? error : ps_error_set(PS_ENOMEM, NULL);
			goto done;
		}
	}
	*out = bp;
	bp = NULL;
done:
	ps_conn__buf_dispose(&b);
	ps_bp_free(bp);
	return error;
}

void
ps_bp_free(ps_bp *bp)
{
	if (bp == NULL)
		return;
	free(bp->base_url);
	free(bp->account);
	free(bp->prefix);
	free(bp->app_ref);
	free(bp->dev_ref);
	ps_conn__free_secret(bp->token);
	ps_conn__free_secret(bp->auth_header);
	ps_conn__free_secret(bp->refresh_token);
	ps_conn__free_secret(bp->client_secret);
	ps_conn__free_secret(bp->pending_access);
	ps_conn__free_secret(bp->pending_refresh);
	free(bp->client_id);
	free(bp->token_url);
	free(bp->app_header);
	free(bp->dev_header);
	free(bp);
}

const char *
ps_bp_account(const ps_bp *bp)
{
	return bp->account;
}

void
ps_bp_ids_dispose(ps_bp_ids *ids)
{
	if (ids == NULL)
		return;
	free(ids->ids);
	ids->ids = NULL;
	ids->n = 0;
}

void
ps_bp__msg_dispose(ps_bp__msg *m)
{
	if (m == NULL)
		return;
	free(m->path);
	json_decref(m->body);
	memset(m, 0, sizeof(*m));
}

char *
ps_bp__body_text(const json_t *body)
{
	return json_dumps(body, JSON_COMPACT);
}

/* ---- requests as they go on the wire ------------------------------------ */

void
ps_bp_wire_dispose(ps_bp_wire *w)
{
	if (w == NULL)
		return;
	free(w->path);
	free(w->body);
	memset(w, 0, sizeof(*w));
}

/* *out = message m as text; m is disposed of either way. */
static int
wire_from_msg(ps_bp_wire *out, ps_bp__msg *m, int error)
{
	memset(out, 0, sizeof(*out));
	if (error < 0) {
		ps_bp__msg_dispose(m);
		return error;
	}
	out->method = m->method;
	out->path = m->path;
	m->path = NULL;
	if (m->body != NULL &&
	    (out->body = ps_bp__body_text(m->body)) == NULL) {
		ps_bp__msg_dispose(m);
		ps_bp_wire_dispose(out);
		return ps_error_set(PS_ENOMEM, NULL);
	}
	ps_bp__msg_dispose(m);
	return 0;
}

int
ps_bp_wire_address_create(ps_bp_wire *out, const ps_bp_address *a)
{
	ps_bp__msg m = {0};

	return wire_from_msg(out, &m, ps_bp__build_address_create(&m, a));
}

int
ps_bp_wire_contact_create(ps_bp_wire *out, const ps_bp_contact *c,
			  int64_t address_id)
{
	ps_bp__msg m = {0};

	return wire_from_msg(out, &m,
			     ps_bp__build_contact_create(&m, c, address_id));
}

int
ps_bp_wire_contact_patch(ps_bp_wire *out, int64_t id, const ps_bp_contact *was,
			 const ps_bp_contact *c)
{
	ps_bp__msg m = {0};
	int error;

	memset(out, 0, sizeof(*out));
	if ((m.body = json_array()) == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	if ((error = ps_bp__build_contact_patch(m.body, was, c)) < 0 ||
	    json_array_size(m.body) == 0) {
		ps_bp__msg_dispose(&m);
		return error; /* 0: nothing differs, nothing sent */
	}
	m.method = "PATCH";
	error = ps_bp__path(&m.path, "/contact-service/contact/%" PRId64, id);
	return wire_from_msg(out, &m, error);
}

int
ps_bp_wire_order_create(ps_bp_wire *out, ps_bp *bp, const ps_bp_order *o)
{
	ps_bp__msg m = {0};

	return wire_from_msg(out, &m, ps_bp__build_order_create(&m, bp, o));
}

int
ps_bp_wire_fields_set(ps_bp_wire *out, int64_t order_id,
		      const ps_bp_field_value *values, size_t n)
{
	ps_bp__msg m = {0};

	return wire_from_msg(out, &m,
			     ps_bp__build_fields_set(&m, order_id, values, n));
}

int
ps_bp_wire_note_add(ps_bp_wire *out, int64_t order_id, const char *text,
		    int is_public)
{
	ps_bp__msg m = {0};

	return wire_from_msg(
		out, &m, ps_bp__build_note_add(&m, order_id, text, is_public));
}

int
ps_bp_wire_payment_create(ps_bp_wire *out, const ps_bp_payment *p)
{
	ps_bp__msg m = {0};

	return wire_from_msg(out, &m, ps_bp__build_payment_create(&m, p));
}

int
ps_bp_wire_reservation_create(ps_bp_wire *out, int64_t order_id,
			      int64_t warehouse_id,
			      const ps_bp_reservation_line *lines, size_t n)
{
	ps_bp__msg m = {0};

	return wire_from_msg(out, &m,
			     ps_bp__build_reservation_create(
				     &m, order_id, warehouse_id, lines, n));
}

int
ps_bp__path(char **out, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	*out = NULL;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return ps_error_set(PS_ETOOBIG, "Brightpearl request path too "
						"long");
	*out = ps_util__strdup(buf);
	if (*out == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	return 0;
}

/* ---- replies and errors ------------------------------------------------- */

json_t *
ps_bp__response(const json_t *root)
{
	if (!json_is_object(root))
		return NULL;
	return json_object_get(root, "response");
}

int
ps_bp__reply_id(int64_t *out, const json_t *root, const char *what)
{
	const json_t *r = ps_bp__response(root);

	if (r != NULL && (json_is_integer(r) || json_is_string(r)) &&
	    ps_conn__json_int_value(out, r, "response", what) == 0 && *out > 0)
		return 0;
	return ps_error_set(PS_EDATA,
			    "Brightpearl %s: the reply carries no "
			    "new id",
			    what);
}

/*
 * Write what Brightpearl said about a failure into b: the errors array
 * ("ORDC-005 You have not supplied an order type code"), a bare string in
 * "response", or the start of a non-JSON body.
 */
static void
describe_failure(ps_conn_buf *b, const ps_http_response *res)
{
	json_t *root = NULL, *errs, *item;
	const char *code, *msg;
	size_t i, len;

	if (res->body != NULL && res->body_len > 0)
		root = json_loadb(res->body, res->body_len, 0, NULL);
	errs = json_is_object(root) ? json_object_get(root, "errors") : NULL;
	if (json_is_array(errs) && json_array_size(errs) > 0) {
		json_array_foreach (errs, i, item) {
			code = json_string_value(json_object_get(item, "code"));
			msg = json_string_value(
				json_object_get(item, "message"));
			if (i > 0)
				ps_conn__buf_add(b, "; ");
			if (code != NULL)
				ps_conn__buf_addf(b, "%s ", code);
			ps_conn__buf_add(b, msg != NULL ? msg : "(no message)");
		}
	} else if (json_is_string(ps_bp__response(root))) {
		ps_conn__buf_add(b, json_string_value(ps_bp__response(root)));
	} else if (res->body != NULL && res->body_len > 0) {
		len = res->body_len < PS__BP_SNIPPET ? res->body_len
						     : PS__BP_SNIPPET;
		for (i = 0; i < len; i++) {
			char c = res->body[i];

			ps_conn__buf_addn(b, (c >= 32 && c < 127) ? &c : "?",
					  1);
		}
		if (len < res->body_len)
			ps_conn__buf_add(b, "...");
	} else {
		ps_conn__buf_add(b, "(empty body)");
	}
	json_decref(root);
}

static int
status_error(const ps_http_response *res, const char *what)
{
	ps_conn_buf b = PS_CONN_BUF_INIT(PS_ERROR_MAX);
	int code;

	if (res->status == 404)
		code = PS_ENOTFOUND;
	else if (res->status == 401 || res->status == 403)
		code = PS_EAUTH;
	else if (res->status >= 500 && !ps_bp__is_refusal(res))
		code = PS_EREMOTE;
	else
		code = PS_EDATA;
	describe_failure(&b, res);
	code = ps_error_set(code, "Brightpearl %s: %s (HTTP %ld)", what,
			    ps_conn__buf_str(&b), res->status);
	ps_conn__buf_dispose(&b);
	return code;
}

/* "order-service/sales-order" from "/order-service/sales-order/12,13". */
static void
endpoint_label(char *buf, size_t cap, const char *path)
{
	const char *p = path, *end;
	int slashes = 0;

	if (*p == '/')
		p++;
	for (end = p; *end != '\0' && *end != '?'; end++) {
		if (*end == '/' && ++slashes == 2)
			break;
	}
	if ((size_t)(end - p) >= cap)
		end = p + cap - 1;
	memcpy(buf, p, (size_t)(end - p));
	buf[end - p] = '\0';
}

/* extra: one more request header ("If-Match: 7"), or NULL. */
static int
request_once(json_t **out, long *out_status, ps_bp *bp, const char *method,
	     const char *path, const json_t *body, int idempotent,
	     const char *what, const char *extra)
{
	ps_http_response res = PS_HTTP_RESPONSE_INIT;
	ps_http_request req;
	ps_conn_buf url = PS_CONN_BUF_INIT(PS__BP_URL_MAX);
	const char *headers[8];
	char endpoint[96];
	char *text = NULL;
	size_t nh = 0;
	int error = 0;

	*out = NULL;
	if (out_status != NULL)
		*out_status = 0;
	ps_conn__buf_add(&url, bp->prefix);
	ps_conn__buf_add(&url, path);
	if ((error = ps_conn__buf_check(&url, "Brightpearl request URL")) < 0)
		goto done;
	if (body != NULL) {
		text = ps_bp__body_text(body);
		if (text == NULL) {
			error = ps_error_set(PS_ENOMEM, NULL);
			goto done;
		}
	}
	headers[nh++] = bp->app_header;
	headers[nh++] = bp->auth_header;
	if (bp->dev_header != NULL)
		headers[nh++] = bp->dev_header;
	headers[nh++] = "Accept: application/json";
	if (text != NULL)
		headers[nh++] = "Content-Type: application/json";
	if (extra != NULL)
		headers[nh++] = extra;
	headers[nh] = NULL;
	endpoint_label(endpoint, sizeof(endpoint), path);

	memset(&req, 0, sizeof(req));
	req.platform = PS_PLATFORM_BRIGHTPEARL;
	req.account = bp->account;
	req.method = method;
	req.url = ps_conn__buf_str(&url);
	req.endpoint = endpoint;
	req.headers = headers;
	req.body = text;
	req.body_len = text != NULL ? strlen(text) : 0;
	req.idempotent = idempotent;
	/*
	 * Brightpearl does not say whether a multi-message counts as one
	 * request or one per message.  Declaring one per message keeps the
	 * limiter from sending a batch the window can only pay for under
	 * the kinder reading (a 503 and a wait for the whole period); when
	 * it is in fact one, the next reply's remaining count gives the
	 * difference back, so the pessimism costs at most a few units at
	 * the end of a window.
	 */
	if (body != NULL && strcmp(path, "/multi-message") == 0)
		req.cost = (long)json_array_size(
			json_object_get(body, "messages"));

	ps_log_debug("brightpearl", "%s %s", method, req.url);
	if (bp->send != NULL)
		error = bp->send(bp->send_ctx, &res, &req);
	else
		error = ps_http_send(&res, bp->http, &req);
	if (out_status != NULL)
		*out_status = res.status;
	bp->last_attempts += res.attempts > 0 ? res.attempts : 1;
	{
		int64_t rem = ps_http_response_header_number(
			&res, "brightpearl-requests-remaining");

		if (rem >= 0)
			bp->last_remaining =
				rem > LONG_MAX ? LONG_MAX : (long)rem;
	}
	if (error == PS_EAUTH) {
		ps_conn_buf b = PS_CONN_BUF_INIT(PS_ERROR_MAX);

		describe_failure(&b, &res);
		error = ps_error_set(PS_EAUTH,
				     "Brightpearl refused the credentials "
				     "for account '%s' (%s): %s",
				     bp->account, what, ps_conn__buf_str(&b));
		ps_conn__buf_dispose(&b);
		goto done;
	}
	if (error < 0)
		goto done;
	if (res.status < 200 || res.status > 299) {
		error = status_error(&res, what);
		goto done;
	}
	if (res.body_len == 0)
		goto done;
	{
		char label[160];

		snprintf(label, sizeof(label), "Brightpearl (%s)", what);
		error = ps_conn__json_parse(out, res.body, res.body_len, label);
	}
	if (error == 0 && json_is_object(*out) &&
	    json_is_array(json_object_get(*out, "errors"))) {
		/* a 2xx that still reports errors: take them at their word */
		json_decref(*out);
		*out = NULL;
		error = status_error(&res, what);
		if (error == PS_EREMOTE)
			error = PS_EDATA;
	}
done:
	ps_http_response_dispose(&res);
	free(text);
	ps_conn__buf_dispose(&url);
	return error;
}

static int
request_with(json_t **out, long *out_status, ps_bp *bp, const char *method,
	     const char *path, const json_t *body, int idempotent,
	     const char *what, const char *extra)
{
	long status = 0;
	int error, tries = 0, refreshed = 0;

	bp->last_attempts = 0;
	if ((error = oauth_before(bp)) < 0)
		return error;
	/*
	 * A 2xx whose body is cut or garbled says nothing about the data;
	 * when asking again is harmless, ask again (the HTTP client only
	 * retries what it can see failed).
	 */
	for (;;) {
		error = request_once(out, &status, bp, method, path, body,
				     idempotent, what, extra);
		if (out_status != NULL)
			*out_status = status;
		if (error == PS_EAUTH && status == 401 && !refreshed &&
		    bp->auth == PS_BP_AUTH_OAUTH &&
		    has_text(bp->refresh_token)) {
			/* expired or revoked access token: refresh, once */
			refreshed = 1;
			ps_log_info("brightpearl",
				    "%s: access token refused; "
				    "refreshing it",
				    what);
			if ((error = ps_bp_refresh(bp)) < 0)
				return error;
			continue;
		}
		if (error != PS_EPARSE || !idempotent ||
		    ++tries > PS__BP_GARBLED_RETRIES)
			return error;
		ps_log_warn("brightpearl", "%s: %s; asking again", what,
			    ps_error_last());
	}
}

int
ps_bp__request(json_t **out, long *out_status, ps_bp *bp, const char *method,
	       const char *path, const json_t *body, int idempotent,
	       const char *what)
{
	return request_with(out, out_status, bp, method, path, body, idempotent,
			    what, NULL);
}

int
ps_bp__request_if_match(json_t **out, long *out_status, ps_bp *bp,
			const char *method, const char *path,
			const json_t *body, int64_t version, const char *what)
{
	char hdr[48];

	snprintf(hdr, sizeof(hdr), "If-Match: %" PRId64, version);
	return request_with(out, out_status, bp, method, path, body, 1, what,
			    hdr);
}

int
ps_bp__send_msg(json_t **out, ps_bp *bp, const ps_bp__msg *m)
{
	return ps_bp__request(out, NULL, bp, m->method, m->path, m->body,
			      m->idempotent, m->what);
}

/* ---- id sets ------------------------------------------------------------ */

static int
merge_into(json_t *acc, json_t *part)
{
	if (json_is_array(acc) && json_is_array(part))
		return json_array_extend(acc, part);
	if (json_is_object(acc) && json_is_object(part))
		return json_object_update(acc, part);
	return -1;
}

/* ps_bp__get_ids's chunk callback: merge each reply into *ctx. */
static int
merge_chunk(void *ctx, json_t *resp, const char *what)
{
	json_t **acc = ctx;

	if (*acc == NULL) {
		*acc = json_incref(resp);
		return 0;
	}
	if (merge_into(*acc, resp) < 0)
		return ps_error_set(PS_EDATA,
				    "Brightpearl %s: replies of "
				    "different shapes",
				    what);
	return 0;
}

int
ps_bp__get_ids_each(ps_bp *bp, const char *head, const char *tail,
		    const int64_t *ids, size_t n, const char *what,
		    ps_bp__chunk_fn fn, void *ctx)
{
	ps_conn_buf path = PS_CONN_BUF_INIT(PS__BP_URL_MAX);
	json_t *root = NULL, *resp;
	int64_t *sorted = NULL;
	size_t nsorted = 0, i, k;
	int error = 0;

	if ((error = ps_conn__ids_normalise(&sorted, &nsorted, ids, n)) < 0)
		goto done;
	for (i = 0; i < nsorted; i += (size_t)bp->idset_max) {
		k = nsorted - i;
		if (k > (size_t)bp->idset_max)
			k = (size_t)bp->idset_max;
		ps_conn__buf_clear(&path);
		ps_conn__buf_add(&path, head);
		ps_conn__idset_add(&path, sorted + i, k);
		ps_conn__buf_add(&path, tail != NULL ? tail : "");
		if ((error = ps_conn__buf_check(&path, "Brightpearl id set")) <
		    0)
			goto done;
		json_decref(root);
		root = NULL;
		error = ps_bp__request(&root, NULL, bp, "GET",
				       ps_conn__buf_str(&path), NULL, 1, what);
		if (error == PS_ENOTFOUND) {
			/* a multi-id GET with nothing found answers 404 */
			error = 0;
			ps_error_clear();
			continue;
		}
		if (error < 0)
			goto done;
		resp = ps_bp__response(root);
		if (root != NULL && resp == NULL) {
			/* JSON, but not Brightpearl's {"response": ...} */
			error = ps_error_set(PS_EDATA,
					     "Brightpearl %s: the reply is %s "
					     "with no response",
					     what,
					     ps_conn__json_type_name(root));
			goto done;
		}
		if (resp == NULL ||
		    (json_is_array(resp) && json_array_size(resp) == 0))
			continue;
		if (!json_is_array(resp) && !json_is_object(resp)) {
			error = ps_error_set(PS_EDATA,
					     "Brightpearl %s: reply is %s, "
					     "expected a list",
					     what,
					     ps_conn__json_type_name(resp));
			goto done;
		}
		if ((error = fn(ctx, resp, what)) < 0)
			goto done;
	}
done:
	json_decref(root);
	free(sorted);
	ps_conn__buf_dispose(&path);
	return error;
}

int
ps_bp__get_ids(json_t **out, ps_bp *bp, const char *head, const char *tail,
	       const int64_t *ids, size_t n, const char *what)
{
	json_t *acc = NULL;
	int error;

	*out = NULL;
	if ((error = ps_bp__get_ids_each(bp, head, tail, ids, n, what,
					 merge_chunk, &acc)) < 0) {
		json_decref(acc);
		return error;
	}
	if (acc == NULL && (acc = json_array()) == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	*out = acc;
	return 0;
}

/* ---- search ------------------------------------------------------------- */

/* The rows of one page as objects keyed by column name, appended to acc. */
static int
page_rows(json_t *acc, const json_t *resp, const char *what)
{
	const json_t *results, *columns, *row, *col;
	json_t *obj;
	const char *name;
	size_t i, j;

	results = json_object_get(resp, "results");
	columns = ps_conn__json_at(resp, "metaData.columns");
	if (results == NULL || json_array_size(results) == 0)
		return 0;
	if (!json_is_array(results) || !json_is_array(columns))
		return ps_error_set(PS_EDATA,
				    "Brightpearl %s: search reply "
				    "without results or column list",
				    what);
	json_array_foreach (results, i, row) {
		if (!json_is_array(row))
			return ps_error_set(PS_EDATA,
					    "Brightpearl %s: search "
					    "row %zu is not a list",
					    what, i);
		obj = json_object();
		if (obj == NULL || json_array_append_new(acc, obj) < 0)
			return ps_error_set(PS_ENOMEM, NULL);
		json_array_foreach (columns, j, col) {
			name = json_string_value(json_object_get(col, "name"));
			if (name == NULL || j >= json_array_size(row))
				continue;
			if (json_object_set(obj, name, json_array_get(row, j)) <
			    0)
				return ps_error_set(PS_ENOMEM, NULL);
		}
	}
	return 0;
}

int
ps_bp__search_each(ps_bp *bp, const char *path, const char *query,
		   const char *what, size_t cap, ps_bp__page_fn fn, void *ctx)
{
	ps_conn_buf url = PS_CONN_BUF_INIT(PS__BP_URL_MAX);
	json_t *page = NULL, *root = NULL, *resp;
	int64_t first = 1, last, available, returned;
	size_t rows = 0;
	int more, error = 0;

	for (;;) {
		ps_conn__buf_clear(&url);
		ps_conn__buf_add(&url, path);
		ps_conn__buf_add(&url, "?");
		if (query != NULL && query[0] != '\0') {
			ps_conn__buf_add(&url, query);
			ps_conn__buf_add(&url, "&");
		}
		ps_conn__buf_addf(&url, "pageSize=%d&firstResult=%" PRId64,
				  bp->page_size, first);
		if ((error = ps_conn__buf_check(&url, "Brightpearl search")) <
		    0)
			goto done;
		json_decref(root);
		root = NULL;
		if ((error = ps_bp__request(&root, NULL, bp, "GET",
					    ps_conn__buf_str(&url), NULL, 1,
					    what)) < 0)
			goto done;
		resp = ps_bp__response(root);
		if (!json_is_object(resp)) {
			error = ps_error_set(PS_EDATA,
					     "Brightpearl %s: search "
					     "reply has no response object",
					     what);
			goto done;
		}
		json_decref(page);
		if ((page = json_array()) == NULL) {
			error = ps_error_set(PS_ENOMEM, NULL);
			goto done;
		}
		if ((error = page_rows(page, resp, what)) < 0 ||
		    (error = fn(ctx, page)) < 0)
			goto done;
		rows += json_array_size(page);
		if ((error = ps_conn__json_int_opt(&returned, resp,
						   "metaData.resultsReturned",
						   what, 0)) < 0 ||
		    (error = ps_conn__json_int_opt(&available, resp,
						   "metaData.resultsAvailable",
						   what, 0)) < 0 ||
		    (error = ps_conn__json_int_opt(&last, resp,
						   "metaData.lastResult", what,
						   first + returned - 1)) < 0 ||
		    (error = ps_conn__json_bool_opt(
			     &more, resp, "metaData.morePagesAvailable", what,
			     0)) < 0)
			goto done;
		if (!more || returned <= 0 || last < first || last >= available)
			break;
		if (cap > 0 && rows >= cap) {
			error = ps_error_set(PS_ETOOBIG,
					     "Brightpearl %s: more "
					     "than %zu results; narrow the "
					     "search",
					     what, cap);
			goto done;
		}
		first = last + 1;
	}
done:
	json_decref(page);
	json_decref(root);
	ps_conn__buf_dispose(&url);
	return error;
}

/* ps_bp__search's page callback: the rows appended to ctx. */
static int
take_page(void *ctx, json_t *rows)
{
	return json_array_extend(ctx, rows) < 0 ? ps_error_set(PS_ENOMEM, NULL)
						: 0;
}

int
ps_bp__search(json_t **out, ps_bp *bp, const char *path, const char *query,
	      const char *what)
{
	json_t *acc = NULL;
	int error;

	*out = NULL;
	if ((acc = json_array()) == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	if ((error = ps_bp__search_each(bp, path, query, what,
					PS__BP_SEARCH_MAX_ROWS, take_page,
					acc)) < 0) {
		json_decref(acc);
		return error;
	}
	*out = acc;
	return 0;
}

/* ---- connection check --------------------------------------------------- */

/* The first of a few likely name fields in the configuration reply. */
static const char *
config_name(const json_t *resp)
{
	static const char *const keys[] = {"accountName", "companyName", "name",
					   "accountCode"};
	const json_t *v;
	size_t i;

	for (i = 0; i < PS__ARRAY_LEN(keys); i++) {
		v = json_is_object(resp) ? json_object_get(resp, keys[i])
					 : NULL;
		if (json_is_string(v) && json_string_length(v) > 0)
			return json_string_value(v);
	}
	return NULL;
}

int
ps_bp_check_connection(char **out_name, ps_bp *bp)
{
	json_t *root = NULL;
	const char *name;
	int error;

	*out_name = NULL;
	error = ps_bp__request(&root, NULL, bp, "GET",
			       "/integration-service/account-configuration",
			       NULL, 1, "connection check");
	if (error == PS_ENOTFOUND) {
		/* no configuration resource: any cheap authenticated GET */
		ps_error_clear();
		error = ps_bp__request(&root, NULL, bp, "GET",
				       "/order-service/order-status", NULL, 1,
				       "connection check");
	}
	if (error < 0)
		goto done;
	name = config_name(ps_bp__response(root));
	*out_name = ps_util__strdup(name != NULL ? name : bp->account);
	if (*out_name == NULL)
		error = ps_error_set(PS_ENOMEM, NULL);
done:
	json_decref(root);
	return error;
}

/* ---- small helpers ------------------------------------------------------ */

/* An array of n zeroed elements of size sz in *out, or PS_ENOMEM. */
int
ps_bp__alloc_items(void **out, size_t n, size_t sz)
{
	*out = NULL;
	if (n == 0)
		return 0;
	*out = calloc(n, sz);
	if (*out == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	return 0;
}

/* qsort that accepts an empty (NULL) array. */
void
ps_bp__sort_items(void *base, size_t n, size_t sz,
		  int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, sz, cmp);
}

/* The elements of a reply that is either an array or an object keyed by
 * id, as an array (new reference). */
json_t *
ps_bp__values_of(json_t *v)
{
	json_t *arr, *item;
	const char *key;

	if (json_is_array(v))
		return json_incref(v);
	arr = json_array();
	if (arr == NULL || !json_is_object(v))
		return arr;
	json_object_foreach (v, key, item)
		json_array_append(arr, item);
	return arr;
}

/*
 * GET the list at path: *root the reply, *arr its values (ps_bp__values_of),
 * *priv a reference to *root for the strings the items will borrow, and
 * *items a zeroed array of as many size-byte items.  A 404 is an empty
 * list (Brightpearl may report an empty collection as "not found"): 0,
 * with *arr and *items left NULL.
 */
int
ps_bp__list_get(json_t **root, json_t **arr, void **priv, void **items,
		size_t size, ps_bp *bp, const char *path, const char *what)
{
	int error;

	error = ps_bp__request(root, NULL, bp, "GET", path, NULL, 1, what);
	if (error == PS_ENOTFOUND) {
		ps_error_clear();
		return 0;
	}
	if (error < 0)
		return error;
	*arr = ps_bp__values_of(ps_bp__response(*root));
	*priv = json_incref(*root);
	return ps_bp__alloc_items(items, json_array_size(*arr), size);
}

int
ps_bp__cmp_id_field(const void *a, const void *b)
{
	/* every list item starts with int64_t id */
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

int
ps_bp__set_new(json_t *o, const char *key, json_t *v)
{
	if (v == NULL || json_object_set_new(o, key, v) < 0)
		return ps_error_set(PS_ENOMEM, NULL);
	return 0;
}

int
ps_bp__qty_string(json_t *o, const char *key, int64_t qty)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRId64, qty);
	return ps_bp__set_new(o, key, json_string(buf));
}

/*
 * Creating something is not idempotent, but after a failure whose fate is
 * unknown (the connection dropped after the request went out, a garbled or
 * 5xx reply) the object can often be looked for.
 * ps_bp__create_recoverable sends m; on such a failure it calls find (when
 * given): found means the first attempt took effect and its id is returned;
 * not found means it did not, so it is safe to send again.  The result is
 * at most one object, and usually success where a plain retry would have
 * risked a duplicate.
 */
#define PS__BP_CREATE_TRIES 4

static int
fate_unknown(int error)
{
	return error == PS_ENET || error == PS_ETIMEOUT || error == PS_EPARSE ||
	       error == PS_EREMOTE;
}

int
ps_bp__create_recoverable(int64_t *out_id, int *out_found, ps_bp *bp,
			  const ps_bp__msg *m, int want_id, ps_bp__find_fn find,
			  const void *ctx)
{
	char saved[PS_ERROR_MAX];
	json_t *root = NULL;
	int error = 0, saved_code, tries, found;

	*out_id = 0;
	if (out_found != NULL)
		*out_found = 0;
	for (tries = 0; tries < PS__BP_CREATE_TRIES; tries++) {
		json_decref(root);
		root = NULL;
		error = ps_bp__send_msg(&root, bp, m);
		if (error == 0) {
			if (want_id)
				error = ps_bp__reply_id(out_id, root, m->what);
			/* an ack without the id still happened: look it up */
			if (error == 0 || find == NULL)
				break;
		}
		/*
		 * A refusal (PS_EDATA) after an attempt that may have got
		 * through (an earlier try here, or a retry inside the HTTP
		 * client for a request marked idempotent) may be the server
		 * refusing a duplicate, e.g. a payment's transaction
		 * reference: look before believing it.
		 */
		if (find == NULL ||
		    (error < 0 && !fate_unknown(error) &&
		     !(error == PS_EDATA && (tries > 0 || m->idempotent))))
			break;
		saved_code = error;
		ps_util__strlcpy(saved, ps_error_last(), sizeof(saved));
		found = find(out_id, bp, ctx);
		if (found == 0) {
			ps_log_info("brightpearl",
				    "%s: %s; it took effect, adopting id "
				    "%" PRId64,
				    m->what, saved, *out_id);
			ps_error_clear();
			if (out_found != NULL)
				*out_found = 1;
			error = 0;
			break;
		}
		if (found != PS_ENOTFOUND) {
			error = found;
			break;
		}
		error = ps_error_set(saved_code, "%s", saved);
		if (!fate_unknown(saved_code))
			break;
		ps_log_warn("brightpearl",
			    "%s: %s; not created, sending "
			    "again",
			    m->what, saved);
	}
	json_decref(root);
	return error;
}

/* ---- batches ------------------------------------------------------------ */

int
ps_bp_batch_new(ps_bp_batch **out, ps_bp *bp)
{
	ps_bp_batch *b;

	*out = NULL;
	b = calloc(1, sizeof(*b));
	if (b == NULL || (b->keep = json_array()) == NULL) {
		free(b);
		return ps_error_set(PS_ENOMEM, NULL);
	}
	b->bp = bp;
	*out = b;
	return 0;
}

void
ps_bp_batch_free(ps_bp_batch *b)
{
	size_t i;

	if (b == NULL)
		return;
	for (i = 0; i < b->n; i++)
		ps_bp__msg_dispose(&b->msgs[i]);
	free(b->msgs);
	free(b->results);
	json_decref(b->keep);
	free(b);
}

size_t
ps_bp_batch_count(const ps_bp_batch *b)
{
	return b->n;
}

int
ps_bp__batch_push(ps_bp_batch *b, ps_bp__msg *m)
{
	ps_bp__msg *p;
	size_t ncap;

	if (b->sent) {
		ps_bp__msg_dispose(m);
		return ps_error_set(PS_EINVAL, "Brightpearl batch already "
					       "sent");
	}
	if (b->n == b->cap) {
		ncap = b->cap ? b->cap * 2 : 16;
		p = realloc(b->msgs, ncap * sizeof(*p));
		if (p == NULL) {
			ps_bp__msg_dispose(m);
			return ps_error_set(PS_ENOMEM, NULL);
		}
		b->msgs = p;
		b->cap = ncap;
	}
	b->msgs[b->n++] = *m;
	memset(m, 0, sizeof(*m));
	return 0;
}

/* Fill result r from one processed message {label, statusCode, body}. */
static void
batch_result(ps_bp_batch_result *r, const json_t *pm, json_t *keep)
{
	const char *content;
	json_t *env, *resp, *errs, *e;
	json_int_t status;

	status = json_integer_value(json_object_get(pm, "statusCode"));
	r->status = (long)status;
	content = json_string_value(ps_conn__json_at(pm, "body.content"));
	env = content != NULL ? json_loads(content, JSON_DECODE_ANY, NULL)
			      : NULL;
	if (env != NULL)
		json_array_append_new(keep, env);
	resp = ps_bp__response(env);
	/* a new object's id: {"response": 123} (or "123") */
	if (json_is_integer(resp)) {
		r->id = (int64_t)json_integer_value(resp);
	} else if (json_is_string(resp)) {
		const char *t = json_string_value(resp);
		char *end;
		long long v;

		errno = 0;
		v = strtoll(t, &end, 10);
		if (errno == 0 && end != t && *end == '\0' && v > 0)
			r->id = (int64_t)v;
	}
	errs = json_is_object(env) ? json_object_get(env, "errors") : NULL;
	e = json_array_get(errs, 0);
	if (e != NULL)
		r->message = json_string_value(json_object_get(e, "message"));
	else if (json_is_string(resp))
		r->message = json_string_value(resp);
	if (status >= 200 && status <= 299 && e == NULL)
		r->error = 0;
	else if (status == 404)
		r->error = PS_ENOTFOUND;
	else if (status == 401 || status == 403)
		r->error = PS_EAUTH;
	else if (status >= 500)
		r->error = PS_EREMOTE;
	else
		r->error = PS_EDATA;
}

/* Send messages [from, from+k) as one multi-message request. */
static int
batch_send_chunk(ps_bp_batch *b, size_t from, size_t k)
{
	json_t *req = NULL, *msgs, *m, *root = NULL, *resp, *pm;
	const char *label;
	char lbuf[24];
	size_t i, idx;
	int idempotent = 1, error = 0;
	char *endp;

	req = json_pack("{s:s, s:s, s:[]}", "processingMode", "SEQUENTIAL",
			"onFail", "CONTINUE", "messages");
	if (req == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	msgs = json_object_get(req, "messages");
	for (i = from; i < from + k; i++) {
		snprintf(lbuf, sizeof(lbuf), "m%zu", i);
		m = json_pack("{s:s, s:s, s:s}", "label", lbuf, "uri",
			      b->msgs[i].path, "httpMethod", b->msgs[i].method);
		if (m == NULL || json_array_append_new(msgs, m) < 0) {
			error = ps_error_set(PS_ENOMEM, NULL);
			goto done;
		}
		if (b->msgs[i].body != NULL &&
		    json_object_set(m, "body", b->msgs[i].body) < 0) {
			error = ps_error_set(PS_ENOMEM, NULL);
			goto done;
		}
		idempotent = idempotent && b->msgs[i].idempotent;
	}
	if ((error = ps_bp__request(&root, NULL, b->bp, "POST",
				    "/multi-message", req, idempotent,
				    "multi-message")) < 0)
		goto done;
	resp = ps_bp__response(root);
	json_array_foreach (json_object_get(resp, "processedMessages"), i, pm) {
		label = json_string_value(json_object_get(pm, "label"));
		if (label == NULL || label[0] != 'm')
			continue;
		idx = (size_t)strtoul(label + 1, &endp, 10);
		if (*endp != '\0' || idx < from || idx >= from + k)
			continue;
		batch_result(&b->results[idx], pm, b->keep);
	}
	/* messages neither processed nor failed above stay "unprocessed" */
done:
	json_decref(root);
	json_decref(req);
	return error;
}

/*
 * How many of the next left messages the next multi-message carries.
 * Each declares its messages as its cost (request_once), which keeps the
 * limiter from sending a batch the remaining count cannot pay for; but a
 * batch the limiter had to hold is sent when the window's period is over,
 * and Brightpearl's period is only the time until its oldest request
 * leaves the rolling minute, after which the limiter no longer knows the
 * count.  So: as many as the count pays for, the limiter's when it knows
 * it, else the last reply's (in a rolling window the count only grows
 * while we send nothing), and a single message when that is spent, whose
 * reply says the count again.  Under the kinder reading this costs a
 * request or so where a window runs out; under the per-message reading it
 * is what keeps Brightpearl from refusing.
 */
static size_t
batch_chunk(const ps_bp_batch *b, size_t left)
{
	ps_http_budget budget;
	size_t k = left < PS_BP_BATCH_MAX ? left : PS_BP_BATCH_MAX;
	long r = b->bp->last_remaining;

	if (b->bp->http != NULL &&
	    ps_http_limit_budget(&budget, b->bp->http, PS_PLATFORM_BRIGHTPEARL,
				 b->bp->account))
		r = budget.remaining;
	if (r < 0)
		return k; /* nothing said yet */
	if (r < 1)
		return 1;
	return (size_t)r < k ? (size_t)r : k;
}

int
ps_bp_batch_send(ps_bp_batch *b)
{
	size_t i, k;
	int error = 0;

	if (b->sent)
		return ps_error_set(PS_EINVAL, "Brightpearl batch already "
					       "sent");
	b->sent = 1;
	if (b->n == 0)
		return 0;
	b->results = calloc(b->n, sizeof(*b->results));
	if (b->results == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	for (i = 0; i < b->n; i++) {
		b->results[i].error = PS_ESTOPPED;
		b->results[i].message = "not processed";
	}
	for (i = 0; i < b->n; i += k) {
		k = batch_chunk(b, b->n - i);
		if ((error = batch_send_chunk(b, i, k)) < 0) {
			for (; i < b->n; i++)
				b->results[i].error = error;
			return error;
		}
	}
	return 0;
}

const ps_bp_batch_result *
ps_bp_batch_result_get(const ps_bp_batch *b, size_t i)
{
	if (b->results == NULL || i >= b->n)
		return NULL;
	return &b->results[i];
}
