/*
 * ds_core.c - the DSCO simulator's state, options, OAuth2 token endpoint,
 * auth and rate-limit gate, error bodies, asynchronous queue with its
 * change logs, scrolls, control API and registration.
 *
 * Error bodies the spec does not document are guesses (README, DSCO,
 * "UNCONFIRMED"): 401 {"message":"Unauthorized"}, 429
 * {"message":"Too Many Requests"}, 403 for unknown routes in the AWS API
 * Gateway form, 404 {"message":...} for an unknown order or expired page.
 */
#include "ds.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

const int ds_limit_s[DS_LIM_COUNT] = {10, 15, 15, 15, 5};
const int ds_limit_min[DS_LIM_COUNT] = {500, 1000, 300, 1000, 300};

/* Defaults of the command-line options (README, DSCO). */
#define DS_DEFAULT_CLIENT_ID "sandbox-client"
#define DS_DEFAULT_CLIENT_SECRET "sandbox-secret"
#define DS_DEFAULT_TOKEN "sandbox-dsco-token"
#define DS_DEFAULT_TTL_S 3600
#define DS_DEFAULT_ASYNC_MS 300
#define DS_DEFAULT_UNTIL_LAG_S 5
#define DS_SCROLL_TTL_MS (5 * 60 * 1000)

static struct {
	const char *client_id, *client_secret, *token;
	int64_t token_ttl_s, async_ms;
} ds_opt = {DS_DEFAULT_CLIENT_ID, DS_DEFAULT_CLIENT_SECRET, DS_DEFAULT_TOKEN,
	    DS_DEFAULT_TTL_S, DS_DEFAULT_ASYNC_MS};

int
sb_dsco_option(const char *name, const char *value)
{
	int64_t n;

	if (strcmp(name, "client-id") == 0) {
		ds_opt.client_id = value;
	} else if (strcmp(name, "client-secret") == 0) {
		ds_opt.client_secret = value;
	} else if (strcmp(name, "token") == 0) {
		ds_opt.token = value;
	} else if (strcmp(name, "token-ttl-s") == 0) {
		if (sb_parse_int(value, &n) || n <= 0)
			return -1;
		ds_opt.token_ttl_s = n;
	} else if (strcmp(name, "async-ms") == 0) {
		if (sb_parse_int(value, &n) || n < 0)
			return -1;
		ds_opt.async_ms = n;
	} else {
		return -1;
	}
	return 0;
}

/* ---- replies ------------------------------------------------------------ */

void
ds_message(sb_response *resp, int status, const char *text)
{
	sb_resp_json(resp, status, json_pack("{s:s}", "message", text), NULL);
}

json_t *
ds_msg(const char *code, const char *severity, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return json_pack("{s:s,s:s,s:s}", "code", code, "severity", severity,
			 "description", buf);
}

void
ds_envelope(ds_state *ds, sb_response *resp, int http, const char *status,
	    const char *request_id, json_t *msgs)
{
	char when[40];
	json_t *rid = request_id ? json_string(request_id) : ds_request_id(ds);

	sb_resp_json(resp, http,
		     json_pack("{s:s,s:o,s:s,s:o}", "status", status,
			       "requestId", rid, "eventDate",
			       ds_iso(when, sizeof(when), ds_wall_ms()),
			       "messages", msgs ? msgs : json_array()),
		     NULL);
}

void
ds_fail(ds_state *ds, sb_response *resp, const char *code, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	ds_envelope(ds, resp, 400, "failure", NULL,
		    json_pack("[o]", ds_msg(code, "error", "%s", buf)));
}

/* ---- time, ids, strictness ---------------------------------------------- */

int64_t
ds_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *
ds_iso(char *buf, size_t len, int64_t ms)
{
	time_t s = (time_t)(ms / 1000);
	struct tm tm;
	char day[32];

	gmtime_r(&s, &tm);
	strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03dZ", day, (int)(ms % 1000));
	return buf;
}

static int
digits(const char **p, int n, int *out)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t
civil_days(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int
ds_parse_time(const char *s, int64_t *out)
{
	int y, mo, d, h = 0, mi = 0, se = 0, ms = 0, oh, om, sign;
	const char *p = s;

	if (!s || digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) ||
	    *p++ != '-' || digits(&p, 2, &d))
		return -1;
	if (*p == 'T' || *p == ' ') {
		p++;
		if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi))
			return -1;
		if (*p == ':' && (p++, digits(&p, 2, &se)))
			return -1;
		if (*p == '.') {
			int scale = 100;

			for (p++; isdigit((unsigned char)*p); p++) {
				ms += (*p - '0') * scale;
				scale /= 10;
			}
		}
	}
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    se > 60)
		return -1;
	*out = ((civil_days(y, mo, d) * 24 + h) * 60 + mi) * 60000LL +
	       se * 1000LL + ms;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '-' ? -1 : 1;
		if (digits(&p, 2, &oh))
			return -1;
		if (*p == ':')
			p++;
		if (digits(&p, 2, &om))
			return -1;
		*out -= sign * ((int64_t)oh * 3600 + om * 60) * 1000;
	}
	return *p == '\0' ? 0 : -1;
}

json_t *
ds_request_id(ds_state *ds)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "sbx-%08llx-%04lld",
		 (unsigned long long)(ds_wall_ms() & 0xffffffff),
		 (long long)++ds->next_request);
	return json_string(buf);
}

int
ds_strict(ds_state *ds, const char *rule)
{
	json_t *v = json_object_get(ds->strict, rule);

	return v == NULL || json_is_true(v);
}

int
ds_in_list(json_t *arr, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach (arr, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return 1;
	return 0;
}

const char *
ds_id_text(json_t *v, char *buf, size_t len)
{
	if (json_is_string(v) && json_string_length(v) > 0)
		return json_string_value(v);
	if (json_is_integer(v)) {
		snprintf(buf, len, "%lld", (long long)json_integer_value(v));
		return buf;
	}
	return NULL;
}

/* ---- scrolls ------------------------------------------------------------ */

json_t *
ds_scroll_new(ds_state *ds, json_t *items, size_t per, char *id, size_t len)
{
	json_t *s;
	const char *k;
	json_t *v;
	void *tmp;
	int64_t now = sb_now_ms();

	/* drop expired scrolls so the table stays small */
	json_object_foreach_safe (ds->scrolls, tmp, k, v)
		if (sb_json_int(json_object_get(v, "expires_ms"), 0) < now)
			json_object_del(ds->scrolls, k);
	snprintf(id, len, "scroll-%lld-%llx", (long long)++ds->next_request,
		 (unsigned long long)(ds_wall_ms() & 0xfffffff));
	s = json_pack("{s:O,s:i,s:I,s:I}", "items", items, "pos", 0, "per",
		      (json_int_t)per, "expires_ms",
		      (json_int_t)(now + ds->scroll_ttl_ms));
	json_object_set_new(ds->scrolls, id, s);
	return s;
}

json_t *
ds_scroll_get(ds_state *ds, const char *id)
{
	json_t *s = json_object_get(ds->scrolls, id);

	if (!s)
		return NULL;
	if (sb_json_int(json_object_get(s, "expires_ms"), 0) < sb_now_ms()) {
		json_object_del(ds->scrolls, id);
		return NULL;
	}
	return s;
}

json_t *
ds_scroll_page(ds_state *ds, json_t *scroll, int *more)
{
	json_t *items = json_object_get(scroll, "items");
	size_t pos = (size_t)sb_json_int(json_object_get(scroll, "pos"), 0);
	size_t per = (size_t)sb_json_int(json_object_get(scroll, "per"), 1000);
	size_t n = json_array_size(items), i;
	json_t *page = json_array();

	for (i = pos; i < n && i < pos + per; i++)
		json_array_append(page, json_array_get(items, i));
	json_object_set_new(scroll, "pos", json_integer((json_int_t)i));
	json_object_set_new(
		scroll, "expires_ms",
		json_integer((json_int_t)(sb_now_ms() + ds->scroll_ttl_ms)));
	/* a full page says "there may be more": the next one may be empty */
	*more = json_array_size(page) == per;
	return page;
}

/* ---- async queue and change logs ---------------------------------------- */

static enum ds_log
kind_log(enum ds_async_kind k)
{
	switch (k) {
	case DS_ASYNC_INVENTORY:
	case DS_ASYNC_INVENTORY_SKIP:
		return DS_LOG_INVENTORY;
	case DS_ASYNC_INVOICE:
		return DS_LOG_INVOICE;
	default:
		return DS_LOG_ORDER;
	}
}

void
ds_async_queue(ds_state *ds, enum ds_async_kind kind, json_t *items, char *rid,
	       size_t len)
{
	json_t *id = ds_request_id(ds);
	json_t *e = json_pack("{s:O,s:i,s:I,s:O}", "requestId", id, "kind",
			      (int)kind, "due_ms",
			      (json_int_t)(sb_now_ms() + ds->async_delay_ms),
			      "payload", items);

	snprintf(rid, len, "%s", json_string_value(id));
	json_decref(id);
	json_array_append_new(ds->pending, e);
	if (ds->async_delay_ms == 0)
		ds_async_run(ds, 1);
}

static void
async_one(ds_state *ds, json_t *e)
{
	enum ds_async_kind kind =
		(enum ds_async_kind)sb_json_int(json_object_get(e, "kind"), 0);
	enum ds_log which = kind_log(kind);
	const char *rid = json_string_value(json_object_get(e, "requestId"));
	json_t *items = json_object_get(e, "payload"), *it;
	char when[40];
	size_t i, first = json_array_size(ds->logs[which]);

	json_array_foreach (items, i, it) {
		json_t *msgs = json_array();
		int rc;

		switch (kind) {
		case DS_ASYNC_ACK:
			rc = ds_apply_ack(ds, it, msgs);
			break;
		case DS_ASYNC_SHIP:
			rc = ds_apply_shipment(ds, it, msgs);
			break;
		case DS_ASYNC_CANCEL:
			rc = ds_apply_cancel(ds, it, msgs);
			break;
		case DS_ASYNC_INVENTORY:
		case DS_ASYNC_INVENTORY_SKIP:
			rc = ds_apply_inventory(
				ds, it, kind == DS_ASYNC_INVENTORY_SKIP, msgs);
			break;
		default:
			rc = ds_apply_invoice(ds, it, msgs);
			break;
		}
		json_array_append_new(
			ds->logs[which],
			json_pack("{s:O,s:s,s:s,s:s,s:s,s:s,s:o,s:I}",
				  "payload", it, "dateProcessed",
				  ds_iso(when, sizeof(when), ds_wall_ms()),
				  "status", rc == 0 ? "success" : "failure",
				  "requestMethod", "api", "requestMethodDetail",
				  "sandbox", "requestId", rid, "results", msgs,
				  "_ms", (json_int_t)ds_wall_ms()));
	}
	json_object_set_new(ds->done, rid,
			    json_pack("{s:s,s:i,s:I,s:I}", "requestId", rid,
				      "log", (int)which, "first",
				      (json_int_t)first, "count",
				      (json_int_t)json_array_size(items)));
}

void
ds_async_run(ds_state *ds, int all)
{
	int64_t now = sb_now_ms();

	while (json_array_size(ds->pending) > 0) {
		json_t *e = json_array_get(ds->pending, 0);

		if (!all && sb_json_int(json_object_get(e, "due_ms"), 0) > now)
			break;
		json_incref(e);
		json_array_remove(ds->pending, 0);
		async_one(ds, e);
		json_decref(e);
	}
}

static json_t *
log_render(json_t *entry)
{
	json_t *out = json_deep_copy(entry);

	json_object_del(out, "_ms");
	return out;
}

static int
log_status_ok(const char *filter, json_t *entry)
{
	const char *st = json_string_value(json_object_get(entry, "status"));

	if (!filter)
		return 1;
	if (strcmp(filter, "success_or_failure") == 0)
		return strcmp(st, "pending") != 0;
	return strcmp(filter, st) == 0;
}

void
ds_log_get(ds_state *ds, enum ds_log which, sb_request *req, sb_response *resp)
{
	const char *rid = sb_req_query(req, "requestId");
	const char *scroll = sb_req_query(req, "scrollId");
	const char *start = sb_req_query(req, "startDate");
	const char *end = sb_req_query(req, "endDate");
	const char *filter = sb_req_query(req, "status");
	json_t *logs = ds->logs[which], *out, *sel, *page, *s, *e;
	char sid[64];
	int64_t lo, hi;
	size_t i;
	int more;

	if (filter && strcmp(filter, "pending") != 0 &&
	    strcmp(filter, "success") != 0 && strcmp(filter, "failure") != 0 &&
	    strcmp(filter, "success_or_failure") != 0) {
		ds_fail(ds, resp, "INVALID_PARAMETER", "bad status '%s'",
			filter);
		return;
	}
	if (scroll) {
		s = ds_scroll_get(ds, scroll);
		if (!s) {
			ds_message(resp, 404, "Page not found or expired");
			return;
		}
		page = ds_scroll_page(ds, s, &more);
		out = json_pack("{s:o}", "logs", page);
		if (more)
			json_object_set_new(out, "scrollId",
					    json_string(scroll));
		sb_resp_json(resp, 200, out, NULL);
		return;
	}
	if (rid) {
		json_t *d = json_object_get(ds->done, rid);

		sel = json_array();
		if (d && sb_json_int(json_object_get(d, "log"), -1) ==
				 (int64_t)which) {
			size_t first = (size_t)sb_json_int(
				json_object_get(d, "first"), 0);
			size_t n = (size_t)sb_json_int(
				json_object_get(d, "count"), 0);

			for (i = first; i < first + n; i++) {
				e = json_array_get(logs, i);
				if (e && log_status_ok(filter, e))
					json_array_append_new(sel,
							      log_render(e));
			}
		}
		/* unknown or not processed yet: PROCESSING with no logs */
		out = json_pack("{s:s,s:o}", "status",
				d ? "COMPLETED" : "PROCESSING", "logs", sel);
		sb_resp_json(resp, 200, out, NULL);
		return;
	}
	if (!start || !end || ds_parse_time(start, &lo) ||
	    ds_parse_time(end, &hi)) {
		ds_fail(ds, resp, "INVALID_PARAMETER",
			"requestId, or startDate and endDate (ISO-8601), "
			"are required");
		return;
	}
	sel = json_array();
	json_array_foreach (logs, i, e) {
		int64_t t = sb_json_int(json_object_get(e, "_ms"), 0);

		if (t >= lo && t < hi && log_status_ok(filter, e))
			json_array_append_new(sel, log_render(e));
	}
	s = ds_scroll_new(ds, sel, 1000, sid, sizeof(sid));
	json_decref(sel);
	page = ds_scroll_page(ds, s, &more);
	out = json_pack("{s:o}", "logs", page);
	if (more)
		json_object_set_new(out, "scrollId", json_string(sid));
	sb_resp_json(resp, 200, out, NULL);
}

/* ---- OAuth2 token endpoint and the gate --------------------------------- */

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Value of name in an x-www-form-urlencoded body, decoded into buf. */
static const char *
form_value(const char *body, const char *name, char *buf, size_t len)
{
	size_t n = strlen(name);
	const char *p = body;

	while (p && *p) {
		const char *end = strchr(p, '&');
		size_t l = end ? (size_t)(end - p) : strlen(p);

		if (l >= n + 1 && strncmp(p, name, n) == 0 && p[n] == '=') {
			size_t i, o = 0;

			for (i = n + 1; i < l && o + 1 < len; i++) {
				if (p[i] == '+') {
					buf[o++] = ' ';
				} else if (p[i] == '%' && i + 2 < l &&
					   hexval(p[i + 1]) >= 0 &&
					   hexval(p[i + 2]) >= 0) {
					buf[o++] =
						(char)(hexval(p[i + 1]) * 16 +
						       hexval(p[i + 2]));
					i += 2;
				} else {
					buf[o++] = p[i];
				}
			}
			buf[o] = '\0';
			return buf;
		}
		p = end ? end + 1 : NULL;
	}
	return NULL;
}

static void
oauth_error(sb_response *resp, int status, const char *error, const char *text)
{
	sb_resp_json(resp, status,
		     json_pack("{s:s,s:s}", "error", error, "error_description",
			       text),
		     NULL);
}

static void
ds_token(ds_state *ds, sb_request *req, sb_response *resp)
{
	const char *body = req->body ? req->body : "";
	char grant[64], id[256], secret[256], tok[96];
	sb_rng rng;

	req->endpoint = "POST /oauth2/token";
	if (!form_value(body, "grant_type", grant, sizeof(grant)) ||
	    !form_value(body, "client_id", id, sizeof(id)) ||
	    !form_value(body, "client_secret", secret, sizeof(secret))) {
		oauth_error(resp, 400, "invalid_request",
			    "grant_type, client_id and client_secret are "
			    "required");
		return;
	}
	if (strcmp(grant, "client_credentials") != 0) {
		oauth_error(resp, 400, "invalid_request",
			    "grant_type must be client_credentials");
		return;
	}
	if (strcmp(id, ds_opt.client_id) != 0 ||
	    strcmp(secret, ds_opt.client_secret) != 0) {
		oauth_error(resp, 401, "invalid_client",
			    "Client authentication failed");
		return;
	}
	/* several tokens stay valid at once, each until its own expiry */
	sb_rng_seed(&rng, (uint64_t)ds_wall_ms() ^
				  (uint64_t)(++ds->next_token * 0x9e3779b9u));
	snprintf(tok, sizeof(tok), "dsco-at-%lld-%016llx",
		 (long long)ds->next_token,
		 (unsigned long long)sb_rng_next(&rng));
	json_object_set_new(ds->tokens, tok,
			    json_integer((json_int_t)(sb_now_ms() +
						      ds->token_ttl_s * 1000)));
	sb_resp_json(resp, 200,
		     json_pack("{s:s,s:s,s:I}", "access_token", tok,
			       "token_type", "Bearer", "expires_in",
			       (json_int_t)ds->token_ttl_s),
		     NULL);
}

/* Is the Authorization header a live token? */
static int
authorised(ds_state *ds, sb_request *req)
{
	const char *h = sb_req_header(req, "Authorization");
	json_t *exp;

	if (!h || strncasecmp(h, "bearer ", 7) != 0)
		return 0;
	h += 7;
	while (*h == ' ')
		h++;
	if (strcmp(h, ds_opt.token) == 0)
		return 1; /* the legacy static token never expires */
	exp = json_object_get(ds->tokens, h);
	if (!exp)
		return 0;
	if (json_integer_value(exp) <= sb_now_ms()) {
		json_object_del(ds->tokens, h);
		return 0;
	}
	return 1;
}

int
ds_gate(ds_state *ds, sb_request *req, sb_response *resp, enum ds_limit lim)
{
	int64_t now = sb_now_ms(), reset;
	int rem;

	if (!authorised(ds, req)) {
		/* UNCONFIRMED body: the spec documents none for 401 */
		ds_message(resp, 401, "Unauthorized");
		req->endpoint = "unauthorised";
		return -1;
	}
	if (lim == DS_LIM_NONE)
		return 0;
	if (!sb_window_take(&ds->per_s[lim], now, &rem, &reset) ||
	    !sb_window_take(&ds->per_min[lim], now, &rem, &reset)) {
		/* UNCONFIRMED body and header */
		ds_message(resp, 429, "Too Many Requests");
		sb_resp_header(resp, 1, "Retry-After", "%lld",
			       (long long)(reset + 999) / 1000);
		req->endpoint = "throttled";
		return -1;
	}
	return 0;
}

static void
ds_handle(sb_platform *pf, sb_request *req, sb_response *resp)
{
	ds_state *ds = pf->priv;

	ds_async_run(ds, 0);
	req->endpoint = "unknown";
	if (strcmp(req->path, "/oauth2/token") == 0 &&
	    strcmp(req->method, "POST") == 0) {
		ds_token(ds, req, resp);
		return;
	}
	ds_api_handle(ds, req, resp);
}

static void
ds_fault_reply(sb_platform *pf, int status, sb_request *req, sb_response *resp)
{
	(void)pf;
	(void)req;
	if (status == 429) {
		ds_message(resp, 429, "Too Many Requests");
		sb_resp_header(resp, 1, "Retry-After", "1");
	} else if (status == 503) {
		ds_message(resp, 503, "Service Unavailable");
	} else {
		ds_message(resp, status, "Internal server error");
	}
}

/* ---- state -------------------------------------------------------------- */

static const char *const ds_rules[] = {"requireAcknowledged",
				       "duplicateTracking", "knownSku", NULL};
static const char *const ds_default_cancel[] = {
	"CXSS", "CXSD", "CXSN", "CXSB", "CXSI", "CXST", "CXSC",
	"CXSO", "CXRR", "CXRF", "CXRN", "CXLS", "CXRO", NULL};
static const char *const ds_default_levels[] = {
	"ASEE", "ASEP", "ASEL", "ASET", "FECG", "FEHD", "FESP", "FE2D", "FEPO",
	"ONCG", "PSDD", "UPCG", "UPSV", "UPSP", "USGA", "USPM", NULL};

static json_t *
str_list(const char *const *v)
{
	json_t *a = json_array();

	for (; *v; v++)
		json_array_append_new(a, json_string(*v));
	return a;
}

static void
ds_clear(ds_state *ds)
{
	json_t **all[] = {
		&ds->orders,     &ds->order_ids,    &ds->by_po,
		&ds->by_son,     &ds->items,        &ds->inventory,
		&ds->warehouses, &ds->invoices,     &ds->pending,
		&ds->done,       &ds->tokens,       &ds->scrolls,
		&ds->strict,     &ds->cancel_codes, &ds->service_levels,
		&ds->logs[0],    &ds->logs[1],      &ds->logs[2],
		&ds->streams,    &ds->events};
	size_t i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		json_decref(*all[i]);
		*all[i] = NULL;
	}
	for (i = 0; i < DS_LIM_COUNT; i++) {
		sb_window_dispose(&ds->per_s[i]);
		sb_window_dispose(&ds->per_min[i]);
	}
}

static void
ds_reset(sb_platform *pf, int demo)
{
	ds_state *ds = pf->priv;
	size_t i;

	ds_clear(ds);
	ds->orders = json_object();
	ds->order_ids = json_array();
	ds->by_po = json_object();
	ds->by_son = json_object();
	ds->items = json_object();
	ds->inventory = json_object();
	ds->warehouses = json_array();
	ds->invoices = json_object();
	ds->pending = json_array();
	ds->done = json_object();
	ds->tokens = json_object();
	ds->scrolls = json_object();
	ds->strict = json_object();
	ds->streams = json_object();
	ds->events = json_array();
	ds->next_event = 0;
	ds->last_event_ms = 0;
	ds->next_stream = 0;
	ds->cancel_codes = str_list(ds_default_cancel);
	ds->service_levels = str_list(ds_default_levels);
	for (i = 0; i < DS_LOG_COUNT; i++)
		ds->logs[i] = json_array();
	ds->observed_forms = 0;
	ds->async_delay_ms = ds_opt.async_ms;
	ds->token_ttl_s = ds_opt.token_ttl_s;
	ds->until_lag_s = DS_DEFAULT_UNTIL_LAG_S;
	ds->scroll_ttl_ms = DS_SCROLL_TTL_MS;
	/* ids look like a real account's: long digit strings */
	ds->next_order = 1022178900;
	ds->next_item = 1296623800;
	ds->next_package = 5001000;
	ds->next_request = 0;
	ds->next_token = 0;
	for (i = 0; i < DS_LIM_COUNT; i++) {
		sb_window_init(&ds->per_s[i], SB_WINDOW_ROLLING,
			       sb_quota_scale(pf->sb, ds_limit_s[i]), 1000);
		sb_window_init(&ds->per_min[i], SB_WINDOW_ROLLING,
			       sb_quota_scale(pf->sb, ds_limit_min[i]), 60000);
	}
	if (demo)
		ds_seed_demo(ds);
}

static json_t *
strip_map(json_t *coll)
{
	json_t *out = json_object(), *v;
	const char *k;

	json_object_foreach (coll, k, v)
		json_object_set_new(out, k, ds_order_render(v));
	return out;
}

static json_t *
config_json(ds_state *ds)
{
	json_t *strict = json_object();
	size_t i;

	for (i = 0; ds_rules[i]; i++)
		json_object_set_new(strict, ds_rules[i],
				    json_boolean(ds_strict(ds, ds_rules[i])));
	return json_pack("{s:b,s:I,s:I,s:I,s:I,s:o,s:O,s:O}", "observedForms",
			 ds->observed_forms, "asyncDelayMs",
			 (json_int_t)ds->async_delay_ms, "tokenTtlS",
			 (json_int_t)ds->token_ttl_s, "untilLagS",
			 (json_int_t)ds->until_lag_s, "scrollTtlMs",
			 (json_int_t)ds->scroll_ttl_ms, "strict", strict,
			 "cancelCodes", ds->cancel_codes, "serviceLevels",
			 ds->service_levels);
}

static json_t *
ds_state_json(sb_platform *pf)
{
	ds_state *ds = pf->priv;
	json_t *logs;

	ds_async_run(ds, 0);
	logs = json_pack("{s:O,s:O,s:O}", "order", ds->logs[DS_LOG_ORDER],
			 "inventory", ds->logs[DS_LOG_INVENTORY], "invoice",
			 ds->logs[DS_LOG_INVOICE]);
	return json_pack("{s:o,s:O,s:O,s:O,s:O,s:o,s:I,s:o,s:O,s:I}", "orders",
			 strip_map(ds->orders), "items", ds->items, "inventory",
			 ds->inventory, "warehouses", ds->warehouses,
			 "invoices", ds->invoices, "logs", logs, "pending",
			 (json_int_t)json_array_size(ds->pending), "config",
			 config_json(ds), "streams", ds->streams, "events",
			 (json_int_t)json_array_size(ds->events));
}

static void
ds_free(sb_platform *pf)
{
	ds_state *ds = pf->priv;

	ds_clear(ds);
	free(ds);
}

/* ---- control API -------------------------------------------------------- */

static void
ctl_err(sb_response *resp, int status, const char *msg)
{
	sb_resp_json(resp, status, json_pack("{s:s}", "error", msg), NULL);
}

static int
strings_only(json_t *arr)
{
	size_t i;
	json_t *v;

	if (!json_is_array(arr))
		return 0;
	json_array_foreach (arr, i, v)
		if (!json_is_string(v))
			return 0;
	return 1;
}

static void
ctl_config(ds_state *ds, json_t *in, sb_response *resp)
{
	json_t *v, *strict = json_object_get(in, "strict");
	const char *k;
	size_t i;

	json_object_foreach (strict, k, v) {
		for (i = 0; ds_rules[i]; i++)
			if (strcmp(ds_rules[i], k) == 0)
				break;
		if (!ds_rules[i] || !json_is_boolean(v)) {
			ctl_err(resp, 400, "unknown strictness rule or value");
			return;
		}
	}
	if (((v = json_object_get(in, "cancelCodes")) && !strings_only(v)) ||
	    ((v = json_object_get(in, "serviceLevels")) && !strings_only(v))) {
		ctl_err(resp, 400, "code lists must be arrays of strings");
		return;
	}
	json_object_update(ds->strict, strict);
	if ((v = json_object_get(in, "cancelCodes")) != NULL) {
		json_decref(ds->cancel_codes);
		ds->cancel_codes = json_deep_copy(v);
	}
	if ((v = json_object_get(in, "serviceLevels")) != NULL) {
		json_decref(ds->service_levels);
		ds->service_levels = json_deep_copy(v);
	}
	if ((v = json_object_get(in, "observedForms")) != NULL)
		ds->observed_forms = json_is_true(v);
	if ((v = json_object_get(in, "asyncDelayMs")) != NULL)
		ds->async_delay_ms = sb_json_int(v, ds->async_delay_ms);
	if ((v = json_object_get(in, "tokenTtlS")) != NULL)
		ds->token_ttl_s = sb_json_int(v, ds->token_ttl_s);
	if ((v = json_object_get(in, "untilLagS")) != NULL)
		ds->until_lag_s = sb_json_int(v, ds->until_lag_s);
	if ((v = json_object_get(in, "scrollTtlMs")) != NULL)
		ds->scroll_ttl_ms = sb_json_int(v, ds->scroll_ttl_ms);
	sb_resp_json(resp, 200, config_json(ds), NULL);
}

/* The order a control call names by dscoOrderId or poNumber. */
static json_t *
ctl_order(ds_state *ds, json_t *in, sb_response *resp)
{
	json_t *o = ds_order_of(ds, in);

	if (!o)
		ctl_err(resp, 404, "no such order");
	return o;
}

/* The lines a control call names ("lines": [lineNumber...]); all when
 * absent.  New reference. */
static json_t *
ctl_lines(json_t *order, json_t *in)
{
	json_t *want = json_object_get(in, "lines"), *out = json_array(), *l;
	size_t i, j;

	json_array_foreach (json_object_get(order, "lineItems"), i, l) {
		json_t *w;
		int hit = !json_is_array(want);

		json_array_foreach (want, j, w) {
			json_int_t n =
				json_is_object(w)
					? sb_json_int(json_object_get(
							      w, "lineNumber"),
						      -1)
					: sb_json_int(w, -1);

			if (n ==
			    sb_json_int(json_object_get(l, "lineNumber"), 0))
				hit = 1;
		}
		if (hit)
			json_array_append(out, l);
	}
	return out;
}

/* The retailer asks the supplier to cancel (cancelRequested). */
static void
ctl_request_cancel(ds_state *ds, json_t *in, sb_response *resp)
{
	json_t *o = ctl_order(ds, in, resp), *lines, *l;
	const char *code = sb_json_str(json_object_get(in, "code"), "CXRR");
	size_t i;

	if (!o)
		return;
	lines = ctl_lines(o, in);
	json_array_foreach (lines, i, l) {
		json_object_set_new(l, "cancelRequested", json_true());
		json_object_set_new(l, "cancelRequestedCode",
				    json_string(code));
	}
	json_decref(lines);
	json_object_set_new(o, "cancelRequested", json_true());
	json_object_set_new(o, "cancelRequestedCode", json_string(code));
	ds_order_touch(ds, o, "update_order_info");
	sb_resp_json(resp, 200, ds_order_render(o), NULL);
}

/* The retailer cancels outright: remaining quantity goes to cancelled. */
static void
ctl_hard_cancel(ds_state *ds, json_t *in, sb_response *resp)
{
	json_t *o = ctl_order(ds, in, resp), *lines, *l;
	const char *code = sb_json_str(json_object_get(in, "code"), "CXRR");
	size_t i;

	if (!o)
		return;
	lines = ctl_lines(o, in);
	json_array_foreach (lines, i, l) {
		json_int_t rem =
			sb_json_int(json_object_get(l, "remainingQuantity"), 0);

		if (rem <= 0)
			continue;
		json_object_set_new(
			l, "cancelledQuantity",
			json_integer(
				sb_json_int(
					json_object_get(l, "cancelledQuantity"),
					0) +
				rem));
		json_object_set_new(l, "cancelCode", json_string(code));
		json_object_set_new(l, "cancelledReason",
				    json_string("Cancelled by the retailer"));
		ds_line_activity(l, "cancel", rem, "Cancelled by the retailer");
	}
	json_decref(lines);
	ds_order_settle(o);
	ds_order_touch(ds, o, "update_status_lifecycle");
	sb_resp_json(resp, 200, ds_order_render(o), NULL);
}

/* Add or replace catalogue items: {"items":[{sku, title, upc, ...}]}. */
static void
ctl_items(ds_state *ds, json_t *in, sb_response *resp)
{
	json_t *items = json_object_get(in, "items"), *it;
	size_t i;

	json_array_foreach (items, i, it) {
		const char *sku = sb_json_str(json_object_get(it, "sku"), NULL);
		json_t *copy;
		char id[32];

		if (!sku || !*sku) {
			ctl_err(resp, 400, "every item needs a sku");
			return;
		}
		copy = json_deep_copy(it);
		if (!json_object_get(copy, "dscoItemId")) {
			snprintf(id, sizeof(id), "%lld",
				 (long long)++ds->next_item);
			json_object_set_new(copy, "dscoItemId",
					    json_string(id));
		}
		json_object_set_new(ds->items, sku, copy);
	}
	sb_resp_json(resp, 200, json_incref(ds->items), NULL);
}

static void
ctl_warehouses(ds_state *ds, json_t *in, sb_response *resp)
{
	json_t *list = json_object_get(in, "warehouses"), *w;
	size_t i;

	json_array_foreach (list, i, w) {
		json_t *copy = json_deep_copy(w);
		char id[32];

		if (!json_is_string(json_object_get(w, "code"))) {
			json_decref(copy);
			ctl_err(resp, 400, "every warehouse needs a code");
			return;
		}
		if (!json_object_get(copy, "warehouseId")) {
			snprintf(id, sizeof(id), "%zu",
				 json_array_size(ds->warehouses) + 9001);
			json_object_set_new(copy, "warehouseId",
					    json_string(id));
		}
		if (!json_object_get(copy, "status"))
			json_object_set_new(copy, "status",
					    json_string("active"));
		json_array_append_new(ds->warehouses, copy);
	}
	sb_resp_json(resp, 200, json_incref(ds->warehouses), NULL);
}

static void
ctl_quota(ds_state *ds, json_t *in, sb_response *resp)
{
	int64_t ps = sb_json_int(json_object_get(in, "perSecond"), 0);
	int64_t pm = sb_json_int(json_object_get(in, "perMinute"), 0);
	size_t i;

	/* one override for every limited endpoint; <= 0 = unlimited */
	for (i = 0; i < DS_LIM_COUNT; i++) {
		sb_window_dispose(&ds->per_s[i]);
		sb_window_dispose(&ds->per_min[i]);
		sb_window_init(&ds->per_s[i], SB_WINDOW_ROLLING, (int)ps, 1000);
		sb_window_init(&ds->per_min[i], SB_WINDOW_ROLLING, (int)pm,
			       60000);
	}
	sb_resp_json(resp, 200, json_object(), NULL);
}

/*
 * Many POs at once for benchmarks: {count, prefix?, template?} where
 * template is an `orders` body without poNumber (default: one line of
 * the first catalogue SKU); poNumbers are prefix-000001...
 */
static void
ctl_orders_bulk(ds_state *ds, json_t *in, sb_response *resp)
{
	int64_t n = sb_json_int(json_object_get(in, "count"), 0), i;
	const char *prefix = sb_json_str(json_object_get(in, "prefix"), "BULK");
	json_t *tpl = json_object_get(in, "template"), *body;
	const char *err = NULL;
	char po[160];

	if (n < 1 || n > 100000) {
		ctl_err(resp, 400, "count must be 1..100000");
		return;
	}
	body = json_is_object(tpl) ? json_deep_copy(tpl) : json_object();
	if (!json_object_get(body, "lines")) {
		const char *sku =
			json_object_iter_key(json_object_iter(ds->items));

		json_object_set_new(body, "lines",
				    json_pack("[{s:s,s:i,s:f}]", "sku",
					      sku ? sku : "SKU-1", "quantity",
					      1, "expectedCost", 5.0));
	}
	for (i = 1; i <= n; i++) {
		snprintf(po, sizeof(po), "%s-%06lld", prefix, (long long)i);
		json_object_set_new(body, "poNumber", json_string(po));
		if (!ds_order_create(ds, body, &err)) {
			json_decref(body);
			ctl_err(resp, 400, err);
			return;
		}
	}
	json_decref(body);
	sb_resp_json(resp, 200,
		     json_pack("{s:I,s:I}", "created", (json_int_t)n, "orders",
			       (json_int_t)json_array_size(ds->order_ids)),
		     NULL);
}

static void
ds_control(sb_platform *pf, const char *action, sb_request *req,
	   sb_response *resp)
{
	ds_state *ds = pf->priv;
	json_t *in = sb_req_json(req, NULL), *o;
	const char *a = action;
	const char *err = NULL;
	int get = strcmp(req->method, "GET") == 0;

	if (!in)
		in = json_object();
	ds_async_run(ds, 0);
	if (strcmp(a, "orders") == 0 && !get) {
		o = ds_order_create(ds, in, &err);
		if (!o)
			ctl_err(resp, 400, err);
		else
			sb_resp_json(resp, 200, ds_order_render(o), NULL);
	} else if (strcmp(a, "orders") == 0) {
		sb_resp_json(resp, 200, strip_map(ds->orders), NULL);
	} else if (strcmp(a, "orders-bulk") == 0) {
		ctl_orders_bulk(ds, in, resp);
	} else if (strcmp(a, "order") == 0) {
		/* GET with ?dscoOrderId= or ?poNumber= */
		json_t *q = json_object();
		const char *v;

		if ((v = sb_req_query(req, "dscoOrderId")) != NULL)
			json_object_set_new(q, "dscoOrderId", json_string(v));
		if ((v = sb_req_query(req, "poNumber")) != NULL)
			json_object_set_new(q, "poNumber", json_string(v));
		json_object_update_missing(q, in);
		if ((o = ctl_order(ds, q, resp)) != NULL)
			sb_resp_json(resp, 200, ds_order_render(o), NULL);
		json_decref(q);
	} else if (strcmp(a, "release") == 0) {
		/* received -> created: the order reaches the supplier */
		if ((o = ctl_order(ds, in, resp)) != NULL) {
			if (strcmp(sb_json_str(
					   json_object_get(o, "dscoLifecycle"),
					   ""),
				   "received") == 0) {
				json_object_set_new(o, "dscoLifecycle",
						    json_string("created"));
				ds_order_touch(ds, o, "create");
			}
			sb_resp_json(resp, 200, ds_order_render(o), NULL);
		}
	} else if (strcmp(a, "request-cancel") == 0) {
		ctl_request_cancel(ds, in, resp);
	} else if (strcmp(a, "cancel") == 0) {
		ctl_hard_cancel(ds, in, resp);
	} else if (strcmp(a, "items") == 0) {
		if (get)
			sb_resp_json(resp, 200, json_incref(ds->items), NULL);
		else
			ctl_items(ds, in, resp);
	} else if (strcmp(a, "inventory") == 0) {
		if (get) {
			sb_resp_json(resp, 200, json_incref(ds->inventory),
				     NULL);
		} else {
			json_t *msgs = json_array();

			if (ds_apply_inventory(ds, in, 0, msgs) == 0)
				sb_resp_json(
					resp, 200,
					json_deep_copy(json_object_get(
						ds->inventory,
						sb_json_str(json_object_get(
								    in, "sku"),
							    ""))),
					NULL);
			else
				sb_resp_json(resp, 400,
					     json_pack("{s:O}", "error", msgs),
					     NULL);
			json_decref(msgs);
		}
	} else if (strcmp(a, "warehouses") == 0) {
		if (get)
			sb_resp_json(resp, 200, json_incref(ds->warehouses),
				     NULL);
		else
			ctl_warehouses(ds, in, resp);
	} else if (strcmp(a, "invoices") == 0) {
		sb_resp_json(resp, 200, json_incref(ds->invoices), NULL);
	} else if (strcmp(a, "state") == 0) {
		sb_resp_json(resp, 200, ds_state_json(pf), NULL);
	} else if (strcmp(a, "config") == 0) {
		ctl_config(ds, in, resp);
	} else if (strcmp(a, "process") == 0) {
		ds_async_run(ds, 1);
		sb_resp_json(resp, 200, json_object(), NULL);
	} else if (strcmp(a, "expire-tokens") == 0) {
		json_object_clear(ds->tokens);
		sb_resp_json(resp, 200, json_object(), NULL);
	} else if (strcmp(a, "quota") == 0) {
		ctl_quota(ds, in, resp);
	} else if (strcmp(a, "routes") == 0) {
		sb_resp_json(resp, 200, ds_routes_json(), NULL);
	} else {
		ctl_err(resp, 404, "unknown dsco control call");
	}
	json_decref(in);
}

static const sb_platform_ops ds_ops = {
	"dsco",         ds_handle, ds_control,    ds_reset,
	ds_fault_reply, NULL,      ds_state_json, ds_free,
};

void
sb_dsco_register(sb_sandbox *sb)
{
	ds_state *ds = calloc(1, sizeof(*ds));

	if (!ds)
		return;
	ds->pf = sb_platform_add(sb, &ds_ops, ds);
	if (!ds->pf)
		free(ds);
}
