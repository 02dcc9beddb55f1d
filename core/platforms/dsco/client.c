/*
 * client.c - the DSCO connector's transport: the context, the access
 * token, the request with its headers, retries and error bodies, the
 * standard envelope, dates, and the connection check.
 *
 * Every request goes through ps_dsco__call().  With client credentials
 * it first makes sure a token is held that does not expire within
 * PS_DSCO_REFRESH_MARGIN_MS (POST /oauth2/token, form-encoded, no
 * Authorization header), sends "Authorization: Bearer <token>" and JSON
 * headers through ps_http (which owns the limiter and retries 429 and
 * 500/502/503/504), fetches a new token once when the reply is a 401 or
 * 403, and sends a 408 again itself (ps_http hands 4xx back as data).
 *
 * Error bodies DSCO is known to send: the standard envelope {status,
 * requestId, messages[{code, severity, description}]}, the token
 * endpoint's {error, error_description} and the gateway's {message}.
 */
#include "internal.h"
#include "platforms/dsco/dsco_int.h"
#include "pearlsync/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

/* DSCO's cap on a small-batch body. */
#define DSCO_BODY_MAX ((size_t)5 << 20)

/* --- clock ---------------------------------------------------------------- */

int64_t
ps_dsco__now(ps_dsco *d)
{
	const ps_clock *w;

	if (d->now != NULL)
		return d->now(d->now_ctx);
	w = ps_clock_wall();
	return w->now_ms(w->ctx);
}

void
ps_dsco__sleep(ps_dsco *d, int64_t ms)
{
	const ps_clock *c;

	if (ms <= 0)
		return;
	if (d->sleep != NULL) {
		d->sleep(d->sleep_ctx, ms);
		return;
	}
	c = ps_clock_system();
	c->sleep_ms(c->ctx, ms);
}

/* --- dates ---------------------------------------------------------------- */

/* n digits at *p into *out; advances *p.  -1 if not digits. */
static int
digits(int *out, const char **p, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

int
ps_dsco_date_parse(int64_t *out, const char *text)
{
	const char *p = text;
	int y, mo, dd, h = 0, mi = 0, s = 0, ms = 0, oh, om, sign;
	int64_t days, t;

	*out = 0;
	if (text == NULL)
		return ps_error_set(PS_EPARSE, "no date");
	if (digits(&y, &p, 4) < 0 || *p++ != '-' || digits(&mo, &p, 2) < 0 ||
	    *p++ != '-' || digits(&dd, &p, 2) < 0)
		goto bad;
	if (mo < 1 || mo > 12 || dd < 1 || dd > 31)
		goto bad;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (digits(&h, &p, 2) < 0 || *p++ != ':' ||
		    digits(&mi, &p, 2) < 0)
			goto bad;
		if (*p == ':') {
			p++;
			if (digits(&s, &p, 2) < 0)
				goto bad;
			if (*p == '.') {
				int scale = 100;

				p++;
				if (*p < '0' || *p > '9')
					goto bad;
				for (; *p >= '0' && *p <= '9'; p++) {
					ms += (*p - '0') * scale;
					scale /= 10;
				}
			}
		}
		if (h > 23 || mi > 59 || s > 60)
			goto bad;
	}
	days = ps_util__days_from_civil(y, mo, dd);
	t = ((days * 24 + h) * 60 + mi) * 60 + s;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '-' ? -1 : 1;
		if (digits(&oh, &p, 2) < 0)
			goto bad;
		if (*p == ':')
			p++;
		if (digits(&om, &p, 2) < 0 || oh > 23 || om > 59)
			goto bad;
		t -= sign * (oh * 3600 + om * 60);
	}
	if (*p != '\0')
		goto bad;
	*out = t * 1000 + ms;
	return 0;
bad:
	return ps_error_set(PS_EPARSE, "'%.40s' is not an ISO-8601 date", text);
}

char *
ps_dsco_date_format(char *buf, size_t cap, int64_t ms)
{
	int64_t s = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
	int64_t days = s >= 0 ? s / 86400 : (s - 86399) / 86400;
	int64_t sod = s - days * 86400, z, era, doe, yoe, y, doy, mp;
	unsigned m, d;

	/* civil_from_days (H. Hinnant) */
	z = days + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	y += m <= 2;
	snprintf(buf, cap, "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ",
		 (long long)y, m, d, (int)(sod / 3600), (int)(sod / 60 % 60),
		 (int)(sod % 60), (int)(ms - s * 1000));
	return buf;
}

int
ps_dsco__json_ms(json_t *obj, const char *key, int64_t ms)
{
	char buf[PS_DSCO_DATE_MAX];

	if (ms == 0)
		return 0;
	ps_dsco_date_format(buf, sizeof(buf), ms);
	if (json_object_set_new(obj, key, json_string(buf)) < 0)
		return ps_error_set(PS_ENOMEM, NULL);
	return 0;
}

int
ps_dsco__json_amount(json_t *obj, const char *key, ps_money amount)
{
	if (json_object_set_new(obj, key,
				json_real((double)amount / PS_MONEY_SCALE)) < 0)
		return ps_error_set(PS_ENOMEM, NULL);
	return 0;
}

char *
ps_dsco__dumps(const json_t *obj)
{
	/* 15 significant digits: 7.7 stays "7.7", cents stay exact */
	return json_dumps(obj, JSON_COMPACT | JSON_REAL_PRECISION(15));
}

/* --- messages and envelopes ----------------------------------------------- */

int
ps_dsco__messages(char **out, const json_t *messages)
{
	ps_conn_buf b = PS_CONN_BUF_INIT(4096);
	size_t i;

	*out = NULL;
	for (i = 0; json_is_array(messages) && i < json_array_size(messages);
	     i++) {
		const json_t *m = json_array_get(messages, i);
		const json_t *code = json_object_get(m, "code");
		const json_t *desc = json_object_get(m, "description");

		if (b.len > 0)
			ps_conn__buf_add(&b, "; ");
		if (json_is_string(m)) {
			ps_conn__buf_add(&b, json_string_value(m));
			continue;
		}
		if (json_is_string(code) && json_string_length(code) > 0) {
			ps_conn__buf_add(&b, json_string_value(code));
			if (desc != NULL && !json_is_null(desc))
				ps_conn__buf_add(&b, ": ");
		}
		if (json_is_string(desc)) {
			ps_conn__buf_add(&b, json_string_value(desc));
		} else if (desc != NULL && !json_is_null(desc)) {
			char *t = json_dumps(desc,
					     JSON_COMPACT | JSON_ENCODE_ANY);

			ps_conn__buf_add(&b, t != NULL ? t : "?");
			free(t);
		}
	}
	if (b.error == PS_ETOOBIG) /* keep what fits */
		b.error = 0;
	ps_conn__buf_add(&b, "");
	if (b.error == PS_ETOOBIG)
		b.error = 0;
	return ps_conn__buf_detach(out, &b);
}

static ps_dsco_outcome_status
outcome_of(const char *s, ps_dsco_outcome_status dflt)
{
	if (s == NULL)
		return dflt;
	if (strcasecmp(s, "success") == 0)
		return PS_DSCO_OUTCOME_SUCCESS;
	if (strcasecmp(s, "failure") == 0)
		return PS_DSCO_OUTCOME_FAILURE;
	return PS_DSCO_OUTCOME_PENDING;
}

int
ps_dsco__envelope(ps_dsco_outcome *out, const json_t *root, int default_pending)
{
	const json_t *rid = json_object_get(root, "requestId");
	int error;

	memset(out, 0, sizeof(*out));
	out->status =
		outcome_of(json_string_value(json_object_get(root, "status")),
			   default_pending ? PS_DSCO_OUTCOME_PENDING
					   : PS_DSCO_OUTCOME_SUCCESS);
	if (json_is_false(json_object_get(root, "success")))
		out->status = PS_DSCO_OUTCOME_FAILURE;
	if (json_is_string(rid) || json_is_integer(rid)) {
		if ((error = ps_conn__json_dup(&out->request_id, root,
					       "requestId", "DSCO reply")) < 0)
			return error;
	}
	return ps_dsco__messages(&out->messages,
				 json_object_get(root, "messages"));
}

void
ps_dsco_outcome_dispose(ps_dsco_outcome *o)
{
	if (o == NULL)
		return;
	free(o->request_id);
	free(o->messages);
	memset(o, 0, sizeof(*o));
}

const char *
ps_dsco__order_ref_name(char *buf, size_t cap, const ps_dsco_order_ref *r)
{
	if (r->dsco_order_id != NULL && r->dsco_order_id[0] != '\0')
		snprintf(buf, cap, "order %s", r->dsco_order_id);
	else if (r->po_number != NULL && r->po_number[0] != '\0')
		snprintf(buf, cap, "PO %s", r->po_number);
	else if (r->supplier_order_number != NULL)
		snprintf(buf, cap, "supplier order %s",
			 r->supplier_order_number);
	else
		snprintf(buf, cap, "order (unnamed)");
	return buf;
}

/*
 * What DSCO said in an error body: the envelope's messages, the token
 * endpoint's error and error_description, the gateway's message; else
 * the start of the raw body.
 */
static void
error_message(char *buf, size_t cap, const ps_http_response *r)
{
	json_t *root = NULL;
	char *msgs = NULL;
	const char *m, *e, *ed;

	buf[0] = '\0';
	if (r->body_len > 0)
		root = json_loadb(r->body, r->body_len, 0, NULL);
	m = json_string_value(json_object_get(root, "message"));
	e = json_string_value(json_object_get(root, "error"));
	ed = json_string_value(json_object_get(root, "error_description"));
	if (json_is_array(json_object_get(root, "messages")) &&
	    ps_dsco__messages(&msgs, json_object_get(root, "messages")) == 0 &&
	    msgs[0] != '\0')
		snprintf(buf, cap, "%s", msgs);
	else if (e != NULL)
		snprintf(buf, cap, "%s%s%s", e, ed ? ": " : "", ed ? ed : "");
	else if (m != NULL)
		snprintf(buf, cap, "%s", m);
	else if (r->body_len > 0)
		snprintf(buf, cap, "%.200s", r->body);
	else
		snprintf(buf, cap, "no details");
	free(msgs);
	json_decref(root);
}

/* --- token ---------------------------------------------------------------- */

static int
set_token(ps_dsco *d, const char *token, int64_t expires_at_ms)
{
	ps_conn_buf b = PS_CONN_BUF_INIT(0);
	char *t = NULL, *h = NULL;
	int error;

	if (strpbrk(token, "\r\n") != NULL)
		return ps_error_set(PS_EDATA,
				    "DSCO: the access token contains a line "
				    "break");
	if ((error = ps_log_add_secret(token)) < 0)
		return error;
	if ((t = ps_util__strdup(token)) == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	ps_conn__buf_add(&b, "Authorization: Bearer ");
	ps_conn__buf_add(&b, token);
	if ((error = ps_conn__buf_detach(&h, &b)) < 0) {
		ps_conn__free_secret(t);
		return error;
	}
	ps_conn__free_secret(d->token);
	ps_conn__free_secret(d->auth_header);
	d->token = t;
	d->auth_header = h;
	d->expires_at_ms = expires_at_ms;
	return 0;
}

int
ps_dsco_token_refresh(ps_dsco *d)
{
	ps_conn_buf form = PS_CONN_BUF_INIT(0);
	const char *headers[] = {
		"Content-Type: application/x-www-form-urlencoded",
		"Accept: application/json", NULL};
	ps_http_response resp = PS_HTTP_RESPONSE_INIT;
	ps_http_request req;
	json_t *root = NULL;
	const char *tok;
	int64_t expires_in = 3600, now;
	char msg[400];
	int error;

	if (d->auth != PS_DSCO_AUTH_CLIENT_CREDENTIALS)
		return ps_error_set(PS_ESETTING,
				    "DSCO: a static token cannot be refreshed; "
				    "set dsco.client_id and dsco.client_secret "
				    "to use client credentials");
	ps_conn__buf_add(&form, "grant_type=client_credentials&client_id=");
	ps_conn__buf_add_urlenc(&form, d->client_id);
	ps_conn__buf_add(&form, "&client_secret=");
	ps_conn__buf_add_urlenc(&form, d->client_secret);
	if ((error = ps_conn__buf_check(&form, "the DSCO token request")) < 0)
		goto done;

	memset(&req, 0, sizeof(req));
	req.platform = PS_PLATFORM_DSCO;
	req.account = NULL; /* one budget per platform */
	req.method = "POST";
	req.url = d->token_url;
	req.endpoint = "oauth2/token";
	req.headers = headers;
	req.body = form.data;
	req.body_len = form.len;
	req.idempotent = 1; /* a second token is harmless */
	now = ps_dsco__now(d);
	error = d->send ? d->send(d->send_ctx, &resp, &req)
			: ps_http_send(&resp, d->http, &req);
	if (error == PS_EAUTH ||
	    (error == 0 && resp.status >= 400 && resp.status < 500)) {
		error_message(msg, sizeof(msg), &resp);
		error = ps_error_set(
			PS_EAUTH,
			"DSCO: the token endpoint refused client "
			"'%s' (HTTP %ld: %s); check dsco.client_id "
			"and dsco.client_secret",
			d->client_id, resp.status, msg);
		goto done;
	}
	if (error < 0) {
		error = ps_util__error_wrap(error,
					    "DSCO: fetching an access token");
		goto done;
	}
	if (resp.status < 200 || resp.status > 299) {
		error = ps_error_set(PS_EHTTP,
				     "DSCO: fetching an access token: "
				     "unexpected HTTP %ld",
				     resp.status);
		goto done;
	}
	if ((error = ps_http_response_json(&root, &resp, PS_PLATFORM_DSCO)) < 0)
		goto done;
	if ((error = ps_conn__json_str(&tok, root, "access_token",
				       "DSCO token reply")) < 0 ||
	    (error = ps_conn__json_int_opt(&expires_in, root, "expires_in",
					   "DSCO token reply", 3600)) < 0)
		goto done;
	if (tok[0] == '\0') {
		error = ps_error_set(PS_EDATA,
				     "DSCO token reply: empty access_token");
		goto done;
	}
	if (expires_in <= 0)
		expires_in = 3600;
	if ((error = set_token(d, tok, now + expires_in * 1000)) < 0)
		goto done;
	if (d->save != NULL &&
	    d->save(d->save_ctx, d->token, d->expires_at_ms) < 0) {
		ps_log_warn("dsco", "keeping the new access token failed: %s",
			    ps_error_last());
		ps_error_clear();
	}
done:
	json_decref(root);
	ps_http_response_dispose(&resp);
	ps_conn__free_secret(form.data);
	return error;
}

/* A token that is still good for the margin, fetching one when not. */
static int
ensure_token(ps_dsco *d)
{
	if (d->auth != PS_DSCO_AUTH_CLIENT_CREDENTIALS)
		return 0;
	if (d->token != NULL &&
	    (d->expires_at_ms == 0 ||
	     ps_dsco__now(d) < d->expires_at_ms - PS_DSCO_REFRESH_MARGIN_MS))
		return 0;
	return ps_dsco_token_refresh(d);
}

/* --- requests ------------------------------------------------------------- */

int
ps_dsco__call(json_t **out, long *out_status, ps_dsco *d,
	      const struct ps_dsco__req *rq)
{
	const char *headers[4];
	ps_http_request req;
	ps_http_response resp = PS_HTTP_RESPONSE_INIT;
	ps_conn_buf url = PS_CONN_BUF_INIT(0);
	char *body = NULL, msg[800];
	int error = 0, attempt, refreshed = 0;
	int64_t wait = PS_DSCO_RETRY_BASE_MS;

	*out = NULL;
	if (out_status != NULL)
		*out_status = 0;
	ps_conn__buf_add(&url, d->base_url);
	ps_conn__buf_add(&url, rq->path);
	if ((error = ps_conn__buf_check(&url, "a DSCO request URL")) < 0)
		goto done;
	if (rq->body != NULL) {
		if ((body = ps_dsco__dumps(rq->body)) == NULL) {
			error = ps_error_set(PS_ENOMEM, NULL);
			goto done;
		}
		if (strlen(body) > DSCO_BODY_MAX) {
			error = ps_error_set(PS_ETOOBIG,
					     "DSCO %s: the request is %zu "
					     "bytes, more than DSCO's 5 MB; "
					     "send fewer at once",
					     rq->what, strlen(body));
			goto done;
		}
	}
	for (attempt = 1;; attempt++) {
		int nh = 0;

		if ((error = ensure_token(d)) < 0)
			goto done;
		headers[nh++] = d->auth_header;
		headers[nh++] = "Accept: application/json";
		if (body != NULL)
			headers[nh++] = "Content-Type: application/json";
		headers[nh] = NULL;
		memset(&req, 0, sizeof(req));
		req.platform = PS_PLATFORM_DSCO;
		req.account = NULL; /* one budget per platform */
		req.method = rq->method;
		req.url = url.data;
		req.endpoint = rq->endpoint;
		req.headers = headers;
		req.body = body;
		req.body_len = body ? strlen(body) : 0;
		req.idempotent = rq->idempotent;
		ps_http_response_dispose(&resp);
		error = d->send ? d->send(d->send_ctx, &resp, &req)
				: ps_http_send(&resp, d->http, &req);
		if (out_status != NULL)
			*out_status = resp.status;
		if (error == PS_EAUTH &&
		    d->auth == PS_DSCO_AUTH_CLIENT_CREDENTIALS && !refreshed) {
			/* the token may have been revoked or expired early */
			refreshed = 1;
			ps_error_clear();
			if ((error = ps_dsco_token_refresh(d)) < 0)
				goto done;
			continue;
		}
		if (error == 0 && resp.status == 408 &&
		    attempt < PS_DSCO_RETRY_MAX) {
			ps_log_warn("dsco",
				    "DSCO %s: request timeout (HTTP 408); "
				    "sending again in %lld ms",
				    rq->what, (long long)wait);
			ps_dsco__sleep(d, wait);
			wait *= 2;
			continue;
		}
		break;
	}
	if (error == PS_EAUTH) {
		error_message(msg, sizeof(msg), &resp);
		error = ps_error_set(PS_EAUTH,
				     "DSCO %s: the %s was refused (HTTP %ld: "
				     "%s); check %s",
				     rq->what,
				     d->auth == PS_DSCO_AUTH_STATIC_TOKEN
					     ? "API token"
					     : "access token",
				     resp.status, msg,
				     d->auth == PS_DSCO_AUTH_STATIC_TOKEN
					     ? "dsco.token"
					     : "the client's API access");
		goto done;
	}
	if (error < 0) {
		error = ps_util__error_wrap(error, "DSCO %s", rq->what);
		goto done;
	}
	if (resp.status >= 200 && resp.status < 300) {
		if (resp.body_len > 0 &&
		    (error = ps_http_response_json(out, &resp,
						   PS_PLATFORM_DSCO)) < 0)
			error = ps_util__error_wrap(error, "DSCO %s", rq->what);
		goto done;
	}
	error_message(msg, sizeof(msg), &resp);
	if (resp.status == 404)
		error = ps_error_set(PS_ENOTFOUND, "DSCO %s: not found (%s)",
				     rq->what, msg);
	else if (resp.status >= 400 && resp.status < 500)
		error = ps_error_set(PS_EDATA, "DSCO %s refused: %s (HTTP %ld)",
				     rq->what, msg, resp.status);
	else
		error = ps_error_set(PS_EHTTP,
				     "DSCO %s: unexpected HTTP %ld: %s",
				     rq->what, resp.status, msg);
done:
	ps_http_response_dispose(&resp);
	free(body);
	ps_conn__buf_dispose(&url);
	return error;
}

/* --- context -------------------------------------------------------------- */

static int
dup_field(char **out, const char *s)
{
	if (s == NULL)
		return 0;
	if ((*out = ps_util__strdup(s)) == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	return 0;
}

static int
empty(const char *s)
{
	return s == NULL || *s == '\0';
}

int
ps_dsco_new(ps_dsco **out, ps_http *http, const ps_dsco_options *opts)
{
	ps_dsco *d = NULL;
	ps_conn_buf s = PS_CONN_BUF_INIT(0);
	size_t blen;
	int error = 0;

	*out = NULL;
	if (opts == NULL || empty(opts->base_url))
		return ps_error_set(PS_ESETTING,
				    "DSCO: the API base URL is not set "
				    "(dsco.base_url)");
	if (http == NULL && opts->send == NULL)
		return ps_error_set(PS_EINVAL, "DSCO: no HTTP client");
	if (opts->auth == PS_DSCO_AUTH_CLIENT_CREDENTIALS &&
	    empty(opts->client_id))
		return ps_error_set(PS_ESETTING,
				    "DSCO: the client id is not set "
				    "(dsco.client_id)");
	if (opts->auth == PS_DSCO_AUTH_CLIENT_CREDENTIALS &&
	    empty(opts->client_secret))
		return ps_error_set(PS_ESETTING,
				    "DSCO: the client secret is not set "
				    "(dsco.client_secret)");
	if (opts->auth == PS_DSCO_AUTH_STATIC_TOKEN &&
	    empty(opts->access_token))
		return ps_error_set(PS_ESETTING,
				    "DSCO: the API token is not set "
				    "(dsco.token)");
	if (opts->auth != PS_DSCO_AUTH_CLIENT_CREDENTIALS &&
	    opts->auth != PS_DSCO_AUTH_STATIC_TOKEN)
		return ps_error_set(PS_EINVAL, "DSCO: unknown auth mode %d",
				    (int)opts->auth);
	if (opts->orders_per_page != 0 &&
	    (opts->orders_per_page < 10 || opts->orders_per_page > 1000))
		return ps_error_set(PS_ESETTING,
				    "DSCO: orders per page %d is outside "
				    "10..1000",
				    opts->orders_per_page);
	if (!empty(opts->client_secret) &&
	    (error = ps_log_add_secret(opts->client_secret)) < 0)
		return error;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	d->http = http;
	d->auth = opts->auth;
	d->save = opts->save;
	d->save_ctx = opts->save_ctx;
	d->send = opts->send;
	d->send_ctx = opts->send_ctx;
	d->now = opts->now;
	d->now_ctx = opts->now_ctx;
	d->sleep = opts->sleep;
	d->sleep_ctx = opts->sleep_ctx;
	d->orders_per_page =
		opts->orders_per_page ? opts->orders_per_page : 100;
	blen = strlen(opts->base_url);
	while (blen > 0 && opts->base_url[blen - 1] == '/')
		blen--;
	ps_conn__buf_addn(&s, opts->base_url, blen);
	if ((error = ps_conn__buf_detach(&d->base_url, &s)) < 0)
		goto done;
	if (!empty(opts->token_url)) {
		error = dup_field(&d->token_url, opts->token_url);
	} else {
		ps_conn__buf_add(&s, d->base_url);
		ps_conn__buf_add(&s, "/oauth2/token");
		error = ps_conn__buf_detach(&d->token_url, &s);
	}
	if (error < 0)
		goto done;
	if (d->auth == PS_DSCO_AUTH_CLIENT_CREDENTIALS) {
		if ((error = dup_field(&d->client_id, opts->client_id)) < 0 ||
		    (error = dup_field(&d->client_secret,
				       opts->client_secret)) < 0)
			goto done;
		if (!empty(opts->access_token) &&
		    (error = set_token(d, opts->access_token,
				       opts->access_expires_at_ms)) < 0)
			goto done;
	} else {
		if ((error = set_token(d, opts->access_token, 0)) < 0)
			goto done;
	}
	*out = d;
	d = NULL;
done:
	ps_dsco_free(d);
	return error;
}

void
ps_dsco_free(ps_dsco *d)
{
	if (d == NULL)
		return;
	free(d->base_url);
	free(d->token_url);
	free(d->client_id);
	ps_conn__free_secret(d->client_secret);
	ps_conn__free_secret(d->token);
	ps_conn__free_secret(d->auth_header);
	free(d);
}

int
ps_dsco_check_connection(char **out_name, ps_dsco *d)
{
	struct ps_dsco__req rq = {"GET",   "/hello",
				  "hello", NULL,
				  1,       "connection check (GET /hello)"};
	json_t *root = NULL;
	char buf[200];
	int error;

	*out_name = NULL;
	if ((error = ps_dsco__call(&root, NULL, d, &rq)) < 0)
		return error;
	json_decref(root);
	if (d->auth == PS_DSCO_AUTH_CLIENT_CREDENTIALS)
		snprintf(buf, sizeof(buf), "client %s", d->client_id);
	else
		snprintf(buf, sizeof(buf), "static token");
	if ((*out_name = ps_util__strdup(buf)) == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	return 0;
}
