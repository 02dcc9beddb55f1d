/*
 * client.c - the ShipHero connector's core: options, tokens (login,
 * refresh), the GraphQL call with its envelope and error mapping, the
 * Relay walk, and the small helpers the other files share.
 *
 * Tokens: ShipHero's token endpoint trades a user name and password for
 * an access token (28 days) and a refresh token; the refresh endpoint
 * trades the refresh token, which stays the same, for a new access
 * token.  The password is used once, at setup, and never kept.  Before a
 * call the access token is refreshed when it expires within
 * PS_SH_REFRESH_MARGIN_S (or is not known at all); a 401, or a GraphQL
 * error that says the token is bad, refreshes once and sends again.
 */
#include "platforms/shiphero/shiphero_int.h"
#include "platforms/connector.h"
#include "internal.h"
#include "pearlsync/log.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#define SH_URL_MAX 2048

static int
has_text(const char *s)
{
	return s != NULL && s[0] != '\0';
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

/* 1 when needle occurs in hay, ignoring ASCII case. */
static int
ci_contains(const char *hay, const char *needle)
{
	size_t n = strlen(needle), i, j;

	for (i = 0; hay[i] != '\0'; i++) {
		for (j = 0; j < n && hay[i + j] != '\0' &&
			    tolower((unsigned char)hay[i + j]) ==
				    tolower((unsigned char)needle[j]);
		     j++)
			;
		if (j == n)
			return 1;
	}
	return 0;
}

static int64_t
sh_now(const ps_sh *sh)
{
	return sh->now != NULL ? sh->now(sh->now_ctx) : (int64_t)time(NULL);
}

static int
sh_send(ps_sh_send_fn send, void *ctx, ps_http *http, ps_http_response *res,
	const ps_http_request *req)
{
	if (send != NULL)
		return send(ctx, res, req);
	return ps_http_send(res, http, req);
}

/* "{base}{tail}" into *out (owned). */
static int
url_of(char **out, const char *base, const char *tail)
{
	ps_conn_buf b = PS_CONN_BUF_INIT(SH_URL_MAX);
	size_t n = strlen(base);

	while (n > 0 && base[n - 1] == '/')
		n--;
	ps_conn__buf_addn(&b, base, n);
	ps_conn__buf_add(&b, tail);
	return ps_conn__buf_detach(out, &b);
}

static int
set_bearer(ps_sh *sh)
{
	ps_conn_buf hb = PS_CONN_BUF_INIT(16384);

	ps_conn__free_secret(sh->auth_header);
	sh->auth_header = NULL;
	if (sh->access_token == NULL)
		return 0;
	ps_conn__buf_addf(&hb, "Authorization: Bearer %s", sh->access_token);
	return ps_conn__buf_detach(&sh->auth_header, &hb);
}

int
ps_sh_new(ps_sh **out, ps_http *http, const ps_sh_options *opts)
{
	ps_sh *sh;
	int error = 0;

	*out = NULL;
	if (opts == NULL || !has_text(opts->base_url))
		return ps_error_set(PS_ESETTING, "ShipHero: no API base URL");
	if (http == NULL && opts->send == NULL)
		return ps_error_set(PS_EINVAL, "ShipHero: no HTTP client");
	if (!has_text(opts->access_token) && !has_text(opts->refresh_token))
		return ps_error_set(PS_ESETTING,
				    "ShipHero: no refresh token "
				    "(shiphero.refresh_token): connect with "
				    "the account's user name and password, or "
				    "paste a developer refresh token");
	if ((sh = calloc(1, sizeof(*sh))) == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	sh->http = http;
	sh->expires_at = opts->expires_at;
	sh->page_size = opts->page_size < 1     ? 1
			: opts->page_size > 100 ? 100
						: opts->page_size;
	sh->send = opts->send;
	sh->send_ctx = opts->send_ctx;
	sh->save = opts->save;
	sh->save_ctx = opts->save_ctx;
	sh->now = opts->now;
	sh->now_ctx = opts->now_ctx;
	sh->quota.credits_remaining = sh->quota.max_available = -1;
	sh->quota.increment_rate = sh->quota.last_cost = -1;
	if ((error = url_of(&sh->base_url, opts->base_url, "")) < 0 ||
	    (error = url_of(&sh->graphql_url, opts->base_url, "/graphql")) <
		    0 ||
	    (error = url_of(&sh->refresh_url, opts->base_url,
			    "/auth/refresh")) < 0 ||
	    (error = dup_opt(&sh->access_token, opts->access_token)) < 0 ||
	    (error = dup_opt(&sh->refresh_token, opts->refresh_token)) < 0 ||
	    (error = dup_opt(&sh->customer_account_id,
			     opts->customer_account_id)) < 0)
		goto fail;
	sh->account = ps_util__strdup(opts->account ? opts->account : "");
	if (sh->account == NULL) {
		error = ps_error_set(PS_ENOMEM, NULL);
		goto fail;
	}
	if ((sh->access_token != NULL &&
	     (error = ps_log_add_secret(sh->access_token)) < 0) ||
	    (sh->refresh_token != NULL &&
	     (error = ps_log_add_secret(sh->refresh_token)) < 0) ||
	    (error = set_bearer(sh)) < 0)
		goto fail;
	*out = sh;
	return 0;
fail:
	ps_sh_free(sh);
	return error;
}

void
ps_sh_free(ps_sh *sh)
{
	if (sh == NULL)
		return;
	free(sh->base_url);
	free(sh->graphql_url);
	free(sh->refresh_url);
	free(sh->account);
	free(sh->customer_account_id);
	ps_conn__free_secret(sh->access_token);
	ps_conn__free_secret(sh->refresh_token);
	ps_conn__free_secret(sh->auth_header);
	free(sh);
}

void
ps_sh_grant_dispose(ps_sh_grant *g)
{
	if (g == NULL)
		return;
	ps_conn__free_secret(g->access_token);
	ps_conn__free_secret(g->refresh_token);
	memset(g, 0, sizeof(*g));
}

ps_sh_quota
ps_sh_quota_last(const ps_sh *sh)
{
	return sh->quota;
}

/* ---- tokens ------------------------------------------------------------- */

/* Wipe and free a JSON text that held a secret. */
static void
free_secret_text(char *s)
{
	ps_conn__free_secret(s);
}

/*
 * POST a JSON body (holding a secret) to a token endpoint; the reply's
 * tokens into *g.  who names the credential for the refusal message.
 */
static int
token_post(ps_sh_grant *g, ps_sh_send_fn send, void *ctx, ps_http *http,
	   const char *url, const char *endpoint, const char *account,
	   json_t *body, int64_t now, const char *refused)
{
	ps_http_response res = PS_HTTP_RESPONSE_INIT;
	ps_http_request req;
	const char *headers[] = {"Content-Type: application/json", NULL};
	char *text = json_dumps(body, JSON_COMPACT);
	json_t *root = NULL, *v;
	int error;

	memset(g, 0, sizeof(*g));
	if (text == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	memset(&req, 0, sizeof(req));
	req.platform = PS_PLATFORM_SHIPHERO;
	req.account = account;
	req.method = "POST";
	req.url = url;
	req.endpoint = endpoint;
	req.headers = headers;
	req.body = text;
	req.body_len = strlen(text);
	/* a token grant creates nothing: asking twice is harmless */
	req.idempotent = 1;
	error = sh_send(send, ctx, http, &res, &req);
	if (error == PS_EAUTH ||
	    (error == 0 && res.status >= 400 && res.status < 500)) {
		error = ps_error_set(PS_EAUTH, "ShipHero %s (HTTP %ld)",
				     refused, res.status);
		goto done;
	}
	if (error < 0)
		goto done;
	if (res.status < 200 || res.status > 299) {
		error = ps_error_set(PS_EHTTP, "ShipHero %s: HTTP %ld",
				     endpoint, res.status);
		goto done;
	}
	if ((error = ps_conn__json_parse(&root, res.body, res.body_len,
					 "ShipHero token endpoint")) < 0)
		goto done;
	v = json_object_get(root, "access_token");
	if (!json_is_string(v) || !has_text(json_string_value(v))) {
		error = ps_error_set(PS_EDATA,
				     "ShipHero %s: the reply has no "
				     "access_token",
				     endpoint);
		goto done;
	}
	g->access_token = ps_util__strdup(json_string_value(v));
	v = json_object_get(root, "refresh_token");
	if (json_is_string(v) && has_text(json_string_value(v)))
		g->refresh_token = ps_util__strdup(json_string_value(v));
	v = json_object_get(root, "expires_in");
	if (json_is_integer(v) && json_integer_value(v) > 0)
		g->expires_at = now + (int64_t)json_integer_value(v);
	if (g->access_token == NULL ||
	    (json_is_string(v = json_object_get(root, "refresh_token")) &&
	     has_text(json_string_value(v)) && g->refresh_token == NULL)) {
		error = ps_error_set(PS_ENOMEM, NULL);
		goto done;
	}
	if ((error = ps_log_add_secret(g->access_token)) < 0 ||
	    (g->refresh_token != NULL &&
	     (error = ps_log_add_secret(g->refresh_token)) < 0))
		goto done;
done:
	if (error < 0)
		ps_sh_grant_dispose(g);
	/* the reply's tokens live in the body too */
	if (res.body != NULL)
		memset(res.body, 0, res.body_len);
	json_decref(root);
	ps_http_response_dispose(&res);
	free_secret_text(text);
	return error;
}

int
ps_sh_login(ps_sh_grant *out, ps_http *http, const ps_sh_options *opts,
	    const char *username, const char *password)
{
	json_t *body;
	char *url = NULL;
	int64_t now;
	int error;

	memset(out, 0, sizeof(*out));
	if (opts == NULL || !has_text(opts->base_url))
		return ps_error_set(PS_ESETTING, "ShipHero: no API base URL");
	if (!has_text(username) || !has_text(password))
		return ps_error_set(PS_EINVAL, "ShipHero login needs a user "
					       "name and a password");
	if (http == NULL && opts->send == NULL)
		return ps_error_set(PS_EINVAL, "ShipHero: no HTTP client");
	if ((error = ps_log_add_secret(password)) < 0)
		return error;
	if ((error = url_of(&url, opts->base_url, "/auth/token")) < 0)
		return error;
	body = json_pack("{s:s,s:s}", "username", username, "password",
			 password);
	if (body == NULL) {
		free(url);
		return ps_error_set(PS_EINVAL, "ShipHero login: the user name "
					       "or password is not UTF-8");
	}
	now = opts->now != NULL ? opts->now(opts->now_ctx)
				: (int64_t)time(NULL);
	error = token_post(out, opts->send, opts->send_ctx, http, url,
			   "auth/token",
			   opts->account ? opts->account : username, body, now,
			   "refused the user name or password");
	if (error == 0 && out->refresh_token == NULL) {
		ps_sh_grant_dispose(out);
		error = ps_error_set(PS_EDATA, "ShipHero auth/token: the reply "
					       "has no refresh_token");
	}
	/* the body held the password: wipe it before it is freed */
	json_object_set_new(body, "password", json_string(""));
	json_decref(body);
	free(url);
	return error;
}

int
ps_sh_refresh(ps_sh *sh)
{
	ps_sh_grant g;
	ps_sh_tokens t;
	json_t *body;
	int error, saved = 0;

	if (!has_text(sh->refresh_token))
		return ps_error_set(PS_ESETTING,
				    "ShipHero: the access token expired and "
				    "no refresh token is set "
				    "(shiphero.refresh_token)");
	body = json_pack("{s:s}", "refresh_token", sh->refresh_token);
	if (body == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	error = token_post(&g, sh->send, sh->send_ctx, sh->http,
			   sh->refresh_url, "auth/refresh", sh->account, body,
			   sh_now(sh),
			   "refused the refresh token: connect again with "
			   "the account's user name and password");
	json_object_set_new(body, "refresh_token", json_string(""));
	json_decref(body);
	if (error < 0)
		return error;
	ps_conn__free_secret(sh->access_token);
	sh->access_token = g.access_token;
	g.access_token = NULL;
	sh->expires_at = g.expires_at;
	if (g.refresh_token != NULL &&
	    strcmp(g.refresh_token, sh->refresh_token) != 0) {
		ps_conn__free_secret(sh->refresh_token);
		sh->refresh_token = g.refresh_token;
		g.refresh_token = NULL;
	}
	ps_sh_grant_dispose(&g);
	if ((error = set_bearer(sh)) < 0)
		return error;
	if (sh->save != NULL) {
		t.access_token = sh->access_token;
		t.refresh_token = sh->refresh_token;
		t.expires_at = sh->expires_at;
		saved = sh->save(sh->save_ctx, &t);
	}
	return saved < 0 ? saved : 0;
}

/*
 * Before a call: refresh when there is no access token, or it expires
 * within the margin.  A failed early refresh is not fatal while the
 * current token is still valid.
 */
static int
before_call(ps_sh *sh)
{
	int64_t now;
	int error;

	if (!has_text(sh->refresh_token))
		return 0;
	now = sh_now(sh);
	if (sh->access_token != NULL &&
	    (sh->expires_at == 0 ||
	     now < sh->expires_at - PS_SH_REFRESH_MARGIN_S))
		return 0;
	error = ps_sh_refresh(sh);
	if (error < 0 && error != PS_EAUTH && sh->access_token != NULL &&
	    sh->expires_at != 0 && now < sh->expires_at) {
		ps_log_warn(PS_SH__MOD,
			    "token refresh: %s; the current access token is "
			    "still valid",
			    ps_error_last());
		ps_error_clear();
		return 0;
	}
	return error;
}

/* ---- the GraphQL call --------------------------------------------------- */

/* An auth failure told in a GraphQL error rather than a 401. */
static int
auth_message(const char *m)
{
	return ci_contains(m, "unauthorized") ||
	       ci_contains(m, "not authorized") ||
	       ci_contains(m, "authentication") ||
	       (ci_contains(m, "token") &&
		(ci_contains(m, "expired") || ci_contains(m, "invalid")));
}

/*
 * The "errors" of a reply as one PS_E* code and detail.  The code comes
 * from the first error that says what it is; the detail carries every
 * message.  *out_auth: an error said the token is bad.
 */
static int
map_errors(const json_t *errs, const ps_sh__op *op, int *out_auth)
{
	ps_conn_buf d = PS_CONN_BUF_INIT(PS_ERROR_MAX - 64);
	const json_t *e;
	size_t i;
	int code = PS_EDATA, set = 0, error;
	long wait = -1;

	*out_auth = 0;
	json_array_foreach ((json_t *)errs, i, e) {
		const char *m =
			json_string_value(json_object_get(e, "message"));
		const json_t *c = json_object_get(e, "code");

		if (m == NULL)
			m = "(no message)";
		if (json_is_integer(c) && json_integer_value(c) == 30) {
			const json_t *tr = json_object_get(e, "time_remaining");

			wait = json_is_string(tr)
				       ? strtol(json_string_value(tr), NULL, 10)
				       : 0;
			if (wait < 0)
				wait = 0;
			code = PS_ERATELIMIT;
			set = 1;
		} else if (auth_message(m)) {
			*out_auth = 1;
			if (!set)
				code = PS_EAUTH;
			set = 1;
		} else if (!set && (ci_contains(m, "already exists") ||
				    ci_contains(m, "duplicate"))) {
			code = PS_EEXISTS;
			set = 1;
		} else if (!set && (ci_contains(m, "not found") ||
				    ci_contains(m, "invalid id") ||
				    ci_contains(m, "does not exist"))) {
			code = PS_ENOTFOUND;
			set = 1;
		}
		if (d.len > 0)
			ps_conn__buf_add(&d, "; ");
		ps_conn__buf_add(&d, m);
		if (json_is_integer(c))
			ps_conn__buf_addf(&d,
					  " (code %" JSON_INTEGER_FORMAT ")",
					  json_integer_value(c));
	}
	if (code == PS_ERATELIMIT)
		error = ps_error_set(code,
				     "ShipHero %s: throttled, retry "
				     "after %ld s (%s)",
				     op->field, wait + 1, ps_conn__buf_str(&d));
	else
		error = ps_error_set(code, "ShipHero %s: %s", op->field,
				     d.len > 0 ? ps_conn__buf_str(&d)
					       : "an error without a message");
	ps_conn__buf_dispose(&d);
	return error;
}

/* The HTTP client's throttle error, in ShipHero's words. */
static int
throttled(const ps_http_response *res, const ps_sh__op *op)
{
	long s = ps_sh__throttle_seconds(res->body, res->body_len);
	int64_t ra = ps_http_response_header_number(res, "Retry-After");

	if (s < 0)
		s = ra >= 0 ? (long)ra : 0;
	else
		s++;
	return ps_error_set(PS_ERATELIMIT,
			    "ShipHero %s: throttled, retry after %ld s "
			    "(out of API credits)",
			    op->field, s);
}

/* One POST of the document; the raw reply in *res. */
static int
post_once(ps_http_response *res, ps_sh *sh, const ps_sh__op *op,
	  const char *body)
{
	ps_http_request req;
	const char *headers[3];
	size_t nh = 0;

	if (sh->auth_header != NULL)
		headers[nh++] = sh->auth_header;
	headers[nh++] = "Content-Type: application/json";
	headers[nh] = NULL;
	memset(&req, 0, sizeof(req));
	req.platform = PS_PLATFORM_SHIPHERO;
	req.account = sh->account;
	req.method = "POST";
	req.url = sh->graphql_url;
	req.endpoint = op->endpoint;
	req.headers = headers;
	req.body = body;
	req.body_len = strlen(body);
	req.idempotent = op->idempotent;
	return sh_send(sh->send, sh->send_ctx, sh->http, res, &req);
}

/*
 * Read one reply: 0 with *out the result of data.<field>, or an error;
 * *out_auth when the token was refused.
 */
static int
read_reply(json_t **out, int *out_auth, ps_sh *sh, const ps_sh__op *op,
	   const ps_http_response *res)
{
	json_t *root = NULL, *errs, *data, *r;
	char what[96];
	ps_sh_quota q;
	int error;

	*out = NULL;
	*out_auth = 0;
	if (ps_sh__quota_read(&q, res->body, res->body_len))
		sh->quota = q;
	if (res->status == 401 || res->status == 403) {
		*out_auth = 1;
		return ps_error_set(PS_EAUTH,
				    "ShipHero %s: the access token "
				    "was refused (HTTP %ld)",
				    op->field, res->status);
	}
	snprintf(what, sizeof(what), "ShipHero %s", op->field);
	if ((error = ps_conn__json_parse(&root, res->body, res->body_len,
					 what)) < 0) {
		if (res->status < 200 || res->status > 299)
			error = ps_error_set(PS_EHTTP, "ShipHero %s: HTTP %ld",
					     op->field, res->status);
		return error;
	}
	errs = json_object_get(root, "errors");
	if (json_is_array(errs) && json_array_size(errs) > 0) {
		error = map_errors(errs, op, out_auth);
		goto done;
	}
	if (res->status < 200 || res->status > 299) {
		error = ps_error_set(PS_EHTTP, "ShipHero %s: HTTP %ld",
				     op->field, res->status);
		goto done;
	}
	data = json_object_get(root, "data");
	r = json_object_get(data, op->field);
	if (!json_is_object(r)) {
		error = ps_error_set(PS_EDATA,
				     "ShipHero %s: the reply has no "
				     "data.%s",
				     op->field, op->field);
		goto done;
	}
	*out = json_incref(r);
done:
	json_decref(root);
	return error;
}

int
ps_sh__call(json_t **out, ps_sh *sh, const ps_sh__op *op, json_t *vars)
{
	ps_http_response res = PS_HTTP_RESPONSE_INIT;
	json_t *env;
	char *body = NULL;
	int error, auth, attempt;

	*out = NULL;
	env = json_pack("{s:s,s:o}", "query", op->query, "variables",
			vars != NULL ? vars : json_object());
	if (env == NULL)
		return ps_error_set(PS_EINVAL,
				    "ShipHero %s: a value is not "
				    "valid UTF-8",
				    op->field);
	body = json_dumps(env, JSON_COMPACT);
	json_decref(env);
	if (body == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	for (attempt = 0;; attempt++) {
		if ((error = before_call(sh)) < 0)
			break;
		ps_http_response_dispose(&res);
		error = post_once(&res, sh, op, body);
		if (error == PS_ERATELIMIT) {
			error = throttled(&res, op);
			break;
		}
		if (error < 0 && error != PS_EAUTH)
			break;
		error = read_reply(out, &auth, sh, op, &res);
		if (error == 0 || !auth || attempt > 0 ||
		    !has_text(sh->refresh_token))
			break;
		/* refused: refresh once and send again */
		ps_log_info(PS_SH__MOD, "%s: %s; refreshing the access token",
			    op->field, ps_error_last());
		ps_error_clear();
		if ((error = ps_sh_refresh(sh)) < 0)
			break;
	}
	ps_http_response_dispose(&res);
	free(body);
	return error;
}

int
ps_sh__walk(ps_sh *sh, const ps_sh__op *op, json_t *vars, int first,
	    ps_sh__node_fn fn, void *ctx)
{
	return ps_sh__walk_from(sh, op, vars, NULL, first, NULL, fn, ctx);
}

int
ps_sh__walk_from(ps_sh *sh, const ps_sh__op *op, json_t *vars, const char *path,
		 int first, const char *start, ps_sh__node_fn fn, void *ctx)
{
	json_t *r = NULL, *conn, *edges, *edge, *pi, *cur;
	char *after = NULL;
	size_t i;
	int error = 0, more = 1;

	if (json_object_set_new(vars, "first", json_integer(first)) < 0)
		return ps_error_set(PS_ENOMEM, NULL);
	if (start != NULL && (after = ps_util__strdup(start)) == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	while (more && error == 0) {
		if (json_object_set_new(vars, "after",
					after ? json_string(after)
					      : json_null()) < 0) {
			error = ps_error_set(PS_ENOMEM, NULL);
			break;
		}
		if ((error = ps_sh__call(&r, sh, op, json_incref(vars))) < 0)
			break;
		conn = ps_conn__json_at(r, path != NULL ? path : "data");
		edges = json_object_get(conn, "edges");
		/* a page that cannot be read is not an empty page */
		if (!json_is_array(edges)) {
			error = ps_error_set(PS_EDATA,
					     "ShipHero %s: the reply has no "
					     "list of edges",
					     op->field);
			json_decref(r);
			r = NULL;
			break;
		}
		json_array_foreach (edges, i, edge) {
			json_t *node = json_object_get(edge, "node");

			if (!json_is_object(node))
				error = ps_error_set(PS_EDATA,
						     "ShipHero %s: edge %zu "
						     "has no node",
						     op->field, i);
			else
				error = fn(ctx, node);
			if (error != 0)
				break;
		}
		pi = json_object_get(conn, "pageInfo");
		more = json_is_true(json_object_get(pi, "hasNextPage"));
		cur = json_object_get(pi, "endCursor");
		if (error == 0 && more) {
			/* a cursor that does not move would loop forever */
			if (!json_is_string(cur) ||
			    (after != NULL &&
			     strcmp(after, json_string_value(cur)) == 0)) {
				error = ps_error_set(PS_EDATA,
						     "ShipHero %s: the next "
						     "page has no new cursor",
						     op->field);
			} else {
				free(after);
				after = ps_util__strdup(json_string_value(cur));
				if (after == NULL)
					error = ps_error_set(PS_ENOMEM, NULL);
			}
		}
		json_decref(r);
		r = NULL;
	}
	free(after);
	return error;
}

int
ps_sh_check_connection(char **out_name, ps_sh *sh)
{
	json_t *r = NULL, *acct;
	const char *name;
	int error;

	*out_name = NULL;
	if ((error = ps_sh__call(&r, sh, &ps_sh__op_account, NULL)) < 0)
		return error;
	acct = json_object_get(r, "data");
	name = json_string_value(json_object_get(acct, "username"));
	if (!has_text(name))
		name = json_string_value(json_object_get(acct, "email"));
	if (!has_text(name))
		name = json_string_value(json_object_get(acct, "id"));
	if (!has_text(name))
		name = "(unnamed account)";
	*out_name = ps_util__strdup(name);
	json_decref(r);
	return *out_name != NULL ? 0 : ps_error_set(PS_ENOMEM, NULL);
}

/* ---- helpers ------------------------------------------------------------ */

int
ps_sh__set_customer(const ps_sh *sh, json_t *obj)
{
	if (sh->customer_account_id == NULL)
		return 0;
	return json_object_set_new(obj, "customer_account_id",
				   json_string(sh->customer_account_id)) < 0
		       ? ps_error_set(PS_ENOMEM, NULL)
		       : 0;
}

int
ps_sh_global_id(char *out, size_t cap, const char *type, int64_t legacy)
{
	char plain[96];
	int n;

	if (cap > 0)
		out[0] = '\0';
	if (type == NULL || legacy <= 0)
		return ps_error_set(PS_EINVAL, "ShipHero id: no type or a "
					       "legacy id <= 0");
	n = snprintf(plain, sizeof(plain), "%s:%" PRId64, type, legacy);
	if (n < 0 || (size_t)n >= sizeof(plain) ||
	    ps_crypto__base64_encode(out, cap, (const unsigned char *)plain,
				     (size_t)n) < 0)
		return ps_error_set(
			PS_EINVAL, "ShipHero id of %s %" PRId64 " does not fit",
			type, legacy);
	return 0;
}

int64_t
ps_sh__date(const char *s)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, n = 0;

	if (!has_text(s))
		return 0;
	if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
		return 0;
	if ((s[10] == 'T' || s[10] == ' ') &&
	    sscanf(s + 11, "%2d:%2d:%2d", &h, &mi, &sec) != 3)
		h = mi = sec = 0;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    sec > 60)
		return 0;
	return ps_util__days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 +
	       sec;
}

void
ps_sh__date_format(char *out, size_t cap, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, cap, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		snprintf(out, cap, "1970-01-01T00:00:00");
}

int
ps_sh__dup(char **out, const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	const json_t *v = json_object_get(obj, key);
	char num[32];

	*out = NULL;
	/* ids come as strings, a few as numbers */
	if (s == NULL && json_is_integer(v)) {
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
			 json_integer_value(v));
		s = num;
	}
	if (!has_text(s))
		return 0;
	*out = ps_util__strdup(s);
	return *out != NULL ? 0 : ps_error_set(PS_ENOMEM, NULL);
}

int
ps_sh__set_money(json_t *obj, const char *key, ps_money amount)
{
	char buf[PS_MONEY_STR_MAX];

	if (ps_money_format(buf, sizeof(buf), amount, 2) == NULL ||
	    json_object_set_new(obj, key, json_string(buf)) < 0)
		return ps_error_set(PS_ENOMEM, NULL);
	return 0;
}
