/*
 * bigcommerce.c - the BigCommerce connector: requests, wire-format parsing
 * and the typed operations of bigcommerce.h.
 *
 * Every request goes through bc_call(): it builds the URL from the
 * configured base and store hash, adds the X-Auth-Token and JSON headers,
 * sends through ps_http (which owns rate limiting and retries) and turns
 * the HTTP status into a PS_E* code with BigCommerce's own error message.
 * Replies are parsed with field tables (struct bc_field) so that every
 * struct is filled, freed and reported on in one way: a bad or missing
 * field names the object and the field for the operator.
 *
 * Wire facts this file relies on (see the API reference digest): v2 lists
 * are bare arrays paged with page/limit and answer 204 with no body when a
 * page is empty; v3 wraps data in {"data": ..., "meta": {"pagination"}};
 * money is a decimal string ("12.3400"), parsed exactly; v2 dates are RFC
 * 2822, v3 dates ISO 8601 or epoch seconds.
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

/* Connector-level attempts of a create that is made exactly-once by lookup. */
#define BC_CREATE_ATTEMPTS 4
/* Sends of an idempotent request whose 2xx body was not JSON. */
#define BC_PARSE_ATTEMPTS 3
/* SKUs or ids longer than this are refused before building a URL. */
#define BC_QUERY_VALUE_MAX 512

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

/* --- small utilities ------------------------------------------------------ */

/* A growable array of fixed-size, zero-initialised elements. */
struct vec {
	void *items;
	size_t count, cap, size;
};

static void *
vec_push(struct vec *v)
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

typedef void (*dispose_fn)(void *item);

/* Dispose count items of size bytes each, then free the array. */
static void
items_dispose(void *items, size_t count, size_t size, dispose_fn dispose)
{
	size_t i;

	for (i = 0; dispose && i < count; i++)
		dispose((char *)items + i * size);
	free(items);
}

static void
vec_dispose(struct vec *v, dispose_fn dispose)
{
	items_dispose(v->items, v->count, v->size, dispose);
	v->items = NULL;
	v->count = v->cap = 0;
}

/* --- dates ---------------------------------------------------------------- */

static void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static const char *const month_names[12] = {"Jan", "Feb", "Mar", "Apr",
					    "May", "Jun", "Jul", "Aug",
					    "Sep", "Oct", "Nov", "Dec"};
static const char *const day_names[7] = {"Thu", "Fri", "Sat", "Sun",
					 "Mon", "Tue", "Wed"};

/* Read exactly n digits (n <= 9) at *p; advance.  -1 if not digits. */
static int
digits(const char **p, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	return v;
}

static int
valid_time(int64_t y, int mo, int d, int h, int mi, int s)
{
	static const int mdays[12] = {31, 29, 31, 30, 31, 30,
				      31, 31, 30, 31, 30, 31};

	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	if (mo == 2 && d == 29 && !leap)
		return 0;
	return y >= 1900 && y <= 9999 && mo >= 1 && mo <= 12 && d >= 1 &&
	       d <= mdays[mo - 1] && h >= 0 && h <= 23 && mi >= 0 && mi <= 59 &&
	       s >= 0 && s <= 60;
}

int
ps_bc__date_parse_rfc2822(int64_t *out, const char *text)
{
	const char *p = text;
	int d, mo = -1, h, mi, s = 0, zone = 0, i, y;

	if (text == NULL)
		return ps_error_set(PS_EPARSE, "no date");
	while (*p == ' ')
		p++;
	/* Optional "Tue, ": look at p[3] only when p[1] and p[2] are not
	 * the end of a shorter string */
	if (p[0] >= 'A' && p[0] <= 'Z' && p[1] != '\0' && p[2] != '\0' &&
	    p[3] == ',') {
		p += 4;
		while (*p == ' ')
			p++;
	}
	d = digits(&p, 2);
	if (d < 0) {
		p = p[0] >= '0' && p[0] <= '9' ? p : NULL;
		d = p ? digits(&p, 1) : -1;
	}
	if (d < 0 || *p++ != ' ')
		goto bad;
	for (i = 0; i < 12; i++)
		if (strncmp(p, month_names[i], 3) == 0)
			mo = i + 1;
	if (mo < 0)
		goto bad;
	p += 3;
	if (*p++ != ' ' || (y = digits(&p, 4)) < 0 || *p++ != ' ')
		goto bad;
	if ((h = digits(&p, 2)) < 0 || *p++ != ':' || (mi = digits(&p, 2)) < 0)
		goto bad;
	if (*p == ':') {
		p++;
		if ((s = digits(&p, 2)) < 0)
			goto bad;
	}
	while (*p == ' ')
		p++;
	if (*p == '+' || *p == '-') {
		int sign = *p++ == '-' ? -1 : 1, hh, mm;

		if ((hh = digits(&p, 2)) < 0 || (mm = digits(&p, 2)) < 0 ||
		    hh > 23 || mm > 59)
			goto bad;
		zone = sign * (hh * 3600 + mm * 60);
	} else if (strcmp(p, "GMT") == 0 || strcmp(p, "UT") == 0 ||
		   strcmp(p, "UTC") == 0 || strcmp(p, "Z") == 0) {
		p += strlen(p);
	} else if (*p != '\0') {
		goto bad;
	}
	while (*p == ' ')
		p++;
	if (*p != '\0' || !valid_time(y, mo, d, h, mi, s))
		goto bad;
	*out = ps_util__days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s -
	       zone;
	return 0;
bad:
	return ps_error_set(PS_EPARSE, "'%.60s' is not an RFC 2822 date", text);
}

int
ps_bc__date_parse_iso8601(int64_t *out, const char *text)
{
	const char *p = text;
	int y, mo, d, h = 0, mi = 0, s = 0, zone = 0;

	if (text == NULL)
		return ps_error_set(PS_EPARSE, "no date");
	if ((y = digits(&p, 4)) < 0 || *p++ != '-' ||
	    (mo = digits(&p, 2)) < 0 || *p++ != '-' || (d = digits(&p, 2)) < 0)
		goto bad;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if ((h = digits(&p, 2)) < 0 || *p++ != ':' ||
		    (mi = digits(&p, 2)) < 0)
			goto bad;
		if (*p == ':') {
			p++;
			if ((s = digits(&p, 2)) < 0)
				goto bad;
			if (*p == '.' || *p == ',') {
				p++;
				if (*p < '0' || *p > '9')
					goto bad;
				while (*p >= '0' && *p <= '9')
					p++;
			}
		}
		if (*p == 'Z' || *p == 'z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			int sign = *p++ == '-' ? -1 : 1, hh, mm;

			if ((hh = digits(&p, 2)) < 0)
				goto bad;
			if (*p == ':')
				p++;
			if ((mm = digits(&p, 2)) < 0 || hh > 23 || mm > 59)
				goto bad;
			zone = sign * (hh * 3600 + mm * 60);
		}
	}
	if (*p != '\0' || !valid_time(y, mo, d, h, mi, s))
		goto bad;
	*out = ps_util__days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s -
	       zone;
	return 0;
bad:
	return ps_error_set(PS_EPARSE, "'%.60s' is not an ISO 8601 date", text);
}

void
ps_bc__date_format_rfc2822(char *buf, size_t cap, int64_t t)
{
	int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
	int64_t secs = t - days * 86400, y;
	int m, d, wd = (int)(((days % 7) + 7) % 7);

	civil_from_days(days, &y, &m, &d);
	snprintf(buf, cap, "%s, %02d %s %04lld %02d:%02d:%02d +0000",
		 day_names[wd], d, month_names[m - 1], (long long)y,
		 (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
}

/* --- field tables --------------------------------------------------------- */

enum bc_kind {
	BK_I64,     /* int64_t: JSON integer or a string of digits */
	BK_INT,     /* int */
	BK_STR,     /* char *, owned; "" when absent or null */
	BK_MONEY,   /* ps_money from "12.3400", 12.34 or 12 */
	BK_BOOL,    /* int 0/1 from true/false, 0/1, "true"/"false" */
	BK_RFC2822, /* int64_t Unix seconds; "" is 0 */
	BK_ISO8601, /* int64_t Unix seconds; "" is 0 */
	BK_EPOCH    /* int64_t Unix seconds from an integer */
};

struct bc_field {
	const char *name;   /* JSON member */
	unsigned char kind; /* enum bc_kind */
	unsigned char required;
	size_t offset;
};

#define FLD(type, json, member, kind, req)                                     \
	{                                                                      \
		(json), (kind), (req), offsetof(type, member)                  \
	}

static void
fields_free(void *base, const struct bc_field *tab, size_t n)
{
	size_t i;

	for (i = 0; base && i < n; i++) {
		if (tab[i].kind == BK_STR) {
			char **sp = (char **)((char *)base + tab[i].offset);

			free(*sp);
			*sp = NULL;
		}
	}
}

/* A date member: RFC 2822 or ISO 8601 (either is accepted in either
 * place), an integer of epoch seconds, or "" for "not set" (0). */
static int
date_value(int64_t *out, const json_t *obj, const char *name, int rfc,
	   const char *what)
{
	const json_t *v = ps_conn__json_at(obj, name);
	const char *s;
	int rc;

	if (json_is_integer(v)) {
		*out = (int64_t)json_integer_value(v);
		return 0;
	}
	if (!json_is_string(v))
		return ps_error_set(PS_EDATA,
				    "%s: field '%s' is %s, expected "
				    "a date",
				    what, name, ps_conn__json_type_name(v));
	s = json_string_value(v);
	if (*s == '\0') {
		*out = 0;
		return 0;
	}
	rc = rfc ? ps_bc__date_parse_rfc2822(out, s)
		 : ps_bc__date_parse_iso8601(out, s);
	if (rc < 0)
		rc = rfc ? ps_bc__date_parse_iso8601(out, s)
			 : ps_bc__date_parse_rfc2822(out, s);
	if (rc < 0)
		return ps_error_set(PS_EDATA,
				    "%s: field '%s' is \"%.40s\", not a date",
				    what, name, s);
	return 0;
}

static int
parse_field(void *base, const struct bc_field *f, const json_t *obj,
	    const char *what)
{
	void *dst = (char *)base + f->offset;
	int64_t x = 0;
	int error;

	switch ((enum bc_kind)f->kind) {
	case BK_I64:
	case BK_EPOCH:
		return f->required ? ps_conn__json_int((int64_t *)dst, obj,
						       f->name, what)
				   : ps_conn__json_int_opt((int64_t *)dst, obj,
							   f->name, what, 0);
	case BK_INT:
		error = f->required ? ps_conn__json_int(&x, obj, f->name, what)
				    : ps_conn__json_int_opt(&x, obj, f->name,
							    what, 0);
		if (error < 0)
			return error;
		if (x < INT_MIN || x > INT_MAX)
			return ps_error_set(PS_EDATA,
					    "%s: field '%s' is out of range",
					    what, f->name);
		*(int *)dst = (int)x;
		return 0;
	case BK_STR:
		free(*(char **)dst);
		*(char **)dst = NULL;
		return f->required ? ps_conn__json_dup((char **)dst, obj,
						       f->name, what)
				   : ps_conn__json_dup_opt((char **)dst, obj,
							   f->name, what);
	case BK_MONEY:
		return f->required
			       ? ps_conn__json_money((ps_money *)dst, obj,
						     f->name, what)
			       : ps_conn__json_money_opt((ps_money *)dst, obj,
							 f->name, what, 0);
	case BK_BOOL:
		return ps_conn__json_bool_opt((int *)dst, obj, f->name, what,
					      0);
	case BK_RFC2822:
	case BK_ISO8601:
		if (ps_conn__json_at(obj, f->name) == NULL) {
			if (f->required)
				return ps_error_set(PS_EDATA,
						    "%s: field '%s' missing",
						    what, f->name);
			*(int64_t *)dst = 0;
			return 0;
		}
		return date_value((int64_t *)dst, obj, f->name,
				  f->kind == BK_RFC2822, what);
	}
	return ps_error_set(PS_EINVAL, "bad field kind");
}

/*
 * Fill base from obj by tab with the shared connector getters, so messages
 * read like every connector's: "BigCommerce order 1042: field
 * 'total_inc_tax' is \"x\", not an amount".  Absent or null optional
 * members keep their zero value (strings become "").  On failure what was
 * filled is freed.  what starts with "BigCommerce".
 */
static int
fields_parse(void *base, const struct bc_field *tab, size_t n,
	     const json_t *obj, const char *what)
{
	size_t i;
	int error = 0;

	if (!json_is_object(obj)) {
		error = ps_error_set(PS_EDATA,
				     "%s: expected a JSON object, "
				     "got %s",
				     what, ps_conn__json_type_name(obj));
		goto done;
	}
	for (i = 0; i < n; i++)
		if ((error = parse_field(base, &tab[i], obj, what)) < 0)
			goto done;
	for (i = 0; i < n; i++) {
		char **sp = (char **)((char *)base + tab[i].offset);

		if (tab[i].kind == BK_STR && *sp == NULL &&
		    (*sp = ps_util__strdup("")) == NULL) {
			error = ps_error_set(PS_ENOMEM, NULL);
			goto done;
		}
	}
done:
	if (error < 0)
		fields_free(base, tab, n);
	return error;
}

#define FIELDS_PARSE(base, tab, obj, what)                                     \
	fields_parse((base), (tab), PS__ARRAY_LEN(tab), (obj), (what))
#define FIELDS_FREE(base, tab) fields_free((base), (tab), PS__ARRAY_LEN(tab))

/*
 * A nested array of sub-objects (an order's shipment or refund lines):
 * a new array of size-byte items, each filled from arr by tab, with *n set
 * to its length.  NULL with *n 0 for an absent, null or empty arr (and
 * *error 0), or on failure (*error < 0; nothing is left allocated).
 */
static void *
subitems_parse(int *error, size_t *n, size_t size, const json_t *arr,
	       const struct bc_field *tab, size_t ntab, const char *what)
{
	char *items;
	size_t i;

	*error = 0;
	*n = 0;
	if (json_array_size(arr) == 0)
		return NULL;
	if ((items = calloc(json_array_size(arr), size)) == NULL) {
		*error = ps_error_set(PS_ENOMEM, NULL);
		return NULL;
	}
	for (i = 0; i < json_array_size(arr); i++) {
		if ((*error = fields_parse(items + i * size, tab, ntab,
					   json_array_get(arr, i), what)) < 0) {
			while (i-- > 0)
				fields_free(items + i * size, tab, ntab);
			free(items);
			*n = 0;
			return NULL;
		}
		(*n)++;
	}
	return items;
}

/* The id of obj for naming it in errors, or -1. */
static long long
peek_id(const json_t *obj, const char *name)
{
	const json_t *v = json_object_get(obj, name);
	int64_t id = -1;

	if (json_is_integer(v))
		id = (int64_t)json_integer_value(v);
	else if (json_is_string(v))
		id = strtoll(json_string_value(v), NULL, 10);
	return (long long)id;
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
			json_object_foreach((json_t *)errs, key, val)
			{
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

struct bc_req {
	const char *method;
	const char *path;     /* after the root: "/v2/orders?page=1" */
	const char *endpoint; /* counter label */
	json_t *body;         /* borrowed, NULL for none */
	int idempotent;
	const char *what; /* "listing orders": for the operator */
};

/*
 * Send one request.  Returns 0 with a 2xx in *resp; otherwise an error with
 * the detail "BigCommerce: <what>: <cause>".  404 is PS_ENOTFOUND; other 4xx
 * (but 401/403/429, which ps_http maps) are PS_EDATA; anything else
 * PS_EHTTP.  *resp is always left for the caller to dispose.
 */
static int
bc_call(ps_bc *bc, ps_http_response *resp, const struct bc_req *rq)
{
	const char *headers[4];
	ps_http_request req;
	ps_conn_buf url = PS_CONN_BUF_INIT(0);
	char *body = NULL, msg[600];
	int error = 0, nh = 0;

	ps_conn__buf_add(&url, bc->root);
	ps_conn__buf_add(&url, rq->path);
	if (rq->body != NULL) {
		body = json_dumps(rq->body, JSON_COMPACT);
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
static int
bc_call_json(json_t **out, ps_bc *bc, const struct bc_req *rq)
{
	ps_http_response resp = PS_HTTP_RESPONSE_INIT;
	int error, attempt;

	*out = NULL;
	for (attempt = 1;; attempt++) {
		if ((error = bc_call(bc, &resp, rq)) < 0)
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
static json_t *
v3_data(json_t *root)
{
	json_t *data = json_object_get(root, "data");

	return data ? data : root;
}

/* Parse row into item: 0, a negative error (item left empty: the walk
 * stops) or 1 (item left empty: the row was dealt with otherwise). */
typedef int (*row_fn)(void *item, const json_t *row, void *ctx);

/*
 * Walk every page of a list.  path already holds its query (or none); page
 * and limit are appended.  v2 pages are bare arrays and end with 204 or a
 * short page; v3 pages are {data, meta.pagination} and end at total_pages
 * or a short page.  Each row is parsed by fn into a new slot of v; a row
 * for which fn answers 1 takes no slot and the walk goes on.
 */
static int
bc_walk_limit(ps_bc *bc, struct vec *v, const char *path, const char *endpoint,
	      const char *what, int is_v3, row_fn fn, void *ctx, size_t max,
	      int limit)
{
	int page, error = 0;
	json_t *root = NULL;

	for (page = 1;; page++) {
		ps_conn_buf p = PS_CONN_BUF_INIT(0);
		struct bc_req rq = {"GET", NULL, endpoint, NULL, 1, what};
		const json_t *rows, *pag;
		size_t i;

		ps_conn__buf_add(&p, path);
		ps_conn__buf_addf(&p, "%slimit=%d&page=%d",
				  strchr(path, '?') ? "&" : "?", limit, page);
		if ((error = ps_conn__buf_check(&p, "a BigCommerce list URL")) <
		    0) {
			ps_conn__buf_dispose(&p);
			return error;
		}
		rq.path = p.data;
		error = bc_call_json(&root, bc, &rq);
		ps_conn__buf_dispose(&p);
		if (error < 0)
			goto done;
		if (root == NULL) /* 204: no (more) rows */
			goto done;
		rows = is_v3 ? v3_data(root) : root;
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
			if ((slot = vec_push(v)) == NULL) {
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

/* bc_walk_limit with the configured page size (options.page_limit). */
static int
bc_walk(ps_bc *bc, struct vec *v, const char *path, const char *endpoint,
	const char *what, int is_v3, row_fn fn, void *ctx, size_t max)
{
	return bc_walk_limit(bc, v, path, endpoint, what, is_v3, fn, ctx, max,
			     bc->page_limit);
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

static const struct bc_field store_fields[] = {
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
	struct bc_req rq = {"GET",      "/v2/store",
			    "v2/store", NULL,
			    1,          "reading the store information"};
	json_t *root = NULL;
	int error;

	memset(out, 0, sizeof(*out));
	if ((error = bc_call_json(&root, bc, &rq)) < 0)
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

/* --- orders --------------------------------------------------------------- */

static const struct bc_field address_fields[] = {
	FLD(ps_bc_address, "first_name", first_name, BK_STR, 0),
	FLD(ps_bc_address, "last_name", last_name, BK_STR, 0),
	FLD(ps_bc_address, "company", company, BK_STR, 0),
	FLD(ps_bc_address, "street_1", street_1, BK_STR, 0),
	FLD(ps_bc_address, "street_2", street_2, BK_STR, 0),
	FLD(ps_bc_address, "city", city, BK_STR, 0),
	FLD(ps_bc_address, "state", state, BK_STR, 0),
	FLD(ps_bc_address, "zip", zip, BK_STR, 0),
	FLD(ps_bc_address, "country", country, BK_STR, 0),
	FLD(ps_bc_address, "country_iso2", country_iso2, BK_STR, 0),
	FLD(ps_bc_address, "phone", phone, BK_STR, 0),
	FLD(ps_bc_address, "email", email, BK_STR, 0),
};

static const struct bc_field order_fields[] = {
	FLD(ps_bc_order, "id", id, BK_I64, 1),
	FLD(ps_bc_order, "customer_id", customer_id, BK_I64, 0),
	FLD(ps_bc_order, "channel_id", channel_id, BK_I64, 0),
	FLD(ps_bc_order, "status_id", status_id, BK_INT, 1),
	FLD(ps_bc_order, "status", status, BK_STR, 0),
	FLD(ps_bc_order, "date_created", date_created, BK_RFC2822, 1),
	FLD(ps_bc_order, "date_modified", date_modified, BK_RFC2822, 1),
	FLD(ps_bc_order, "date_shipped", date_shipped, BK_RFC2822, 0),
	FLD(ps_bc_order, "subtotal_ex_tax", subtotal_ex_tax, BK_MONEY, 1),
	FLD(ps_bc_order, "subtotal_inc_tax", subtotal_inc_tax, BK_MONEY, 1),
	FLD(ps_bc_order, "subtotal_tax", subtotal_tax, BK_MONEY, 0),
	FLD(ps_bc_order, "shipping_cost_ex_tax", shipping_cost_ex_tax, BK_MONEY,
	    0),
	FLD(ps_bc_order, "shipping_cost_inc_tax", shipping_cost_inc_tax,
	    BK_MONEY, 0),
	FLD(ps_bc_order, "shipping_cost_tax", shipping_cost_tax, BK_MONEY, 0),
	FLD(ps_bc_order, "handling_cost_ex_tax", handling_cost_ex_tax, BK_MONEY,
	    0),
	FLD(ps_bc_order, "handling_cost_inc_tax", handling_cost_inc_tax,
	    BK_MONEY, 0),
	FLD(ps_bc_order, "wrapping_cost_ex_tax", wrapping_cost_ex_tax, BK_MONEY,
	    0),
	FLD(ps_bc_order, "wrapping_cost_inc_tax", wrapping_cost_inc_tax,
	    BK_MONEY, 0),
	FLD(ps_bc_order, "total_ex_tax", total_ex_tax, BK_MONEY, 1),
	FLD(ps_bc_order, "total_inc_tax", total_inc_tax, BK_MONEY, 1),
	FLD(ps_bc_order, "total_tax", total_tax, BK_MONEY, 0),
	FLD(ps_bc_order, "discount_amount", discount_amount, BK_MONEY, 0),
	FLD(ps_bc_order, "coupon_discount", coupon_discount, BK_MONEY, 0),
	FLD(ps_bc_order, "store_credit_amount", store_credit_amount, BK_MONEY,
	    0),
	FLD(ps_bc_order, "gift_certificate_amount", gift_certificate_amount,
	    BK_MONEY, 0),
	FLD(ps_bc_order, "refunded_amount", refunded_amount, BK_MONEY, 0),
	FLD(ps_bc_order, "is_tax_inclusive_pricing", is_tax_inclusive_pricing,
	    BK_BOOL, 0),
	FLD(ps_bc_order, "is_deleted", is_deleted, BK_BOOL, 0),
	FLD(ps_bc_order, "items_total", items_total, BK_I64, 0),
	FLD(ps_bc_order, "items_shipped", items_shipped, BK_I64, 0),
	FLD(ps_bc_order, "currency_code", currency_code, BK_STR, 0),
	FLD(ps_bc_order, "default_currency_code", default_currency_code, BK_STR,
	    0),
	FLD(ps_bc_order, "payment_method", payment_method, BK_STR, 0),
	FLD(ps_bc_order, "payment_status", payment_status, BK_STR, 0),
	FLD(ps_bc_order, "payment_provider_id", payment_provider_id, BK_STR, 0),
	FLD(ps_bc_order, "customer_message", customer_message, BK_STR, 0),
	FLD(ps_bc_order, "staff_notes", staff_notes, BK_STR, 0),
	FLD(ps_bc_order, "order_source", order_source, BK_STR, 0),
	FLD(ps_bc_order, "external_source", external_source, BK_STR, 0),
	FLD(ps_bc_order, "external_id", external_id, BK_STR, 0),
};

static const struct bc_field product_fields[] = {
	FLD(ps_bc_order_product, "id", id, BK_I64, 1),
	FLD(ps_bc_order_product, "order_id", order_id, BK_I64, 0),
	FLD(ps_bc_order_product, "product_id", product_id, BK_I64, 0),
	FLD(ps_bc_order_product, "variant_id", variant_id, BK_I64, 0),
	FLD(ps_bc_order_product, "order_address_id", order_address_id, BK_I64,
	    0),
	FLD(ps_bc_order_product, "sku", sku, BK_STR, 0),
	FLD(ps_bc_order_product, "upc", upc, BK_STR, 0),
	FLD(ps_bc_order_product, "name", name, BK_STR, 0),
	FLD(ps_bc_order_product, "type", type, BK_STR, 0),
	FLD(ps_bc_order_product, "quantity", quantity, BK_I64, 1),
	FLD(ps_bc_order_product, "quantity_shipped", quantity_shipped, BK_I64,
	    0),
	FLD(ps_bc_order_product, "quantity_refunded", quantity_refunded, BK_I64,
	    0),
	FLD(ps_bc_order_product, "price_ex_tax", price_ex_tax, BK_MONEY, 1),
	FLD(ps_bc_order_product, "price_inc_tax", price_inc_tax, BK_MONEY, 1),
	FLD(ps_bc_order_product, "price_tax", price_tax, BK_MONEY, 0),
	FLD(ps_bc_order_product, "total_ex_tax", total_ex_tax, BK_MONEY, 0),
	FLD(ps_bc_order_product, "total_inc_tax", total_inc_tax, BK_MONEY, 0),
	FLD(ps_bc_order_product, "total_tax", total_tax, BK_MONEY, 0),
	FLD(ps_bc_order_product, "parent_order_product_id",
	    parent_order_product_id, BK_I64, 0),
};

static const struct bc_field shipaddr_fields[] = {
	FLD(ps_bc_shipping_address, "id", id, BK_I64, 1),
	FLD(ps_bc_shipping_address, "shipping_method", shipping_method, BK_STR,
	    0),
	FLD(ps_bc_shipping_address, "cost_ex_tax", cost_ex_tax, BK_MONEY, 0),
	FLD(ps_bc_shipping_address, "cost_inc_tax", cost_inc_tax, BK_MONEY, 0),
	FLD(ps_bc_shipping_address, "cost_tax", cost_tax, BK_MONEY, 0),
	FLD(ps_bc_shipping_address, "items_total", items_total, BK_I64, 0),
	FLD(ps_bc_shipping_address, "items_shipped", items_shipped, BK_I64, 0),
};

static void
address_dispose(ps_bc_address *a)
{
	FIELDS_FREE(a, address_fields);
}

/* An address member of obj; absent or null gives empty strings. */
static int
address_parse(ps_bc_address *a, const json_t *obj, const char *what)
{
	json_t *empty = NULL;
	int error;

	if (obj == NULL || json_is_null(obj))
		obj = empty = json_object();
	if (obj == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	error = FIELDS_PARSE(a, address_fields, obj, what);
	json_decref(empty);
	return error;
}

static void
product_dispose(void *p)
{
	FIELDS_FREE(p, product_fields);
}

static void
shipaddr_dispose(void *p)
{
	ps_bc_shipping_address *s = p;

	FIELDS_FREE(s, shipaddr_fields);
	address_dispose(&s->address);
}

void
ps_bc_order_dispose(ps_bc_order *o)
{
	size_t i;

	if (o == NULL)
		return;
	FIELDS_FREE(o, order_fields);
	address_dispose(&o->billing_address);
	for (i = 0; i < o->nproducts; i++)
		product_dispose(&o->products[i]);
	free(o->products);
	for (i = 0; i < o->nshipping_addresses; i++)
		shipaddr_dispose(&o->shipping_addresses[i]);
	free(o->shipping_addresses);
	memset(o, 0, sizeof(*o));
}

static void
order_dispose_v(void *o)
{
	ps_bc_order_dispose(o);
}

static void
problem_dispose_v(void *p)
{
	free(((ps_bc_order_problem *)p)->reason);
}

void
ps_bc_order_list_dispose(ps_bc_order_list *l)
{
	if (l == NULL)
		return;
	items_dispose(l->items, l->count, sizeof(*l->items), order_dispose_v);
	items_dispose(l->bad, l->nbad, sizeof(*l->bad), problem_dispose_v);
	memset(l, 0, sizeof(*l));
}

static int
order_row(void *item, const json_t *row, void *ctx)
{
	ps_bc_order *o = item;
	char what[80];
	int error;

	(void)ctx;
	snprintf(what, sizeof(what), "BigCommerce order %lld",
		 peek_id(row, "id"));
	if ((error = FIELDS_PARSE(o, order_fields, row, what)) < 0)
		return error;
	snprintf(what, sizeof(what), "BigCommerce order %lld billing address",
		 (long long)o->id);
	if ((error = address_parse(&o->billing_address,
				   json_object_get(row, "billing_address"),
				   what)) < 0)
		ps_bc_order_dispose(o);
	return error;
}

static int
product_row(void *item, const json_t *row, void *ctx)
{
	ps_bc_order_product *p = item;
	const json_t *disc = json_object_get(row, "applied_discounts");
	char what[96];
	size_t i;
	int error;

	snprintf(what, sizeof(what), "BigCommerce order %lld product line %lld",
		 *(const long long *)ctx, peek_id(row, "id"));
	if ((error = FIELDS_PARSE(p, product_fields, row, what)) < 0)
		return error;
	for (i = 0; json_is_array(disc) && i < json_array_size(disc); i++) {
		ps_money amount = 0;
		const json_t *a =
			json_object_get(json_array_get(disc, i), "amount");

		if (a == NULL || json_is_null(a))
			continue;
		if ((error = ps_conn__json_money(&amount,
						 json_array_get(disc, i),
						 "amount", what)) < 0) {
			product_dispose(p);
			return error;
		}
		p->discount += amount;
	}
	return 0;
}

static int
shipaddr_row(void *item, const json_t *row, void *ctx)
{
	ps_bc_shipping_address *s = item;
	char what[96];
	int error;

	snprintf(what, sizeof(what),
		 "BigCommerce order %lld shipping address %lld",
		 *(const long long *)ctx, peek_id(row, "id"));
	if ((error = FIELDS_PARSE(s, shipaddr_fields, row, what)) < 0)
		return error;
	if ((error = address_parse(&s->address, row, what)) < 0)
		FIELDS_FREE(s, shipaddr_fields);
	return error;
}

/* The query parameters that bring an order's lines inline (see below). */
#define BC_ORDER_INCLUDE                                                       \
	"include=consignments.line_items&consignment_structure=object"

static int order_full_row(ps_bc_order *o, const json_t *row, int *need);
static int order_read_parts(ps_bc *bc, ps_bc_order *o, int need);

/* What a ps_bc_orders_list walk needs besides the row. */
struct list_ctx {
	ps_bc *bc;      /* reads what BigCommerce cut short */
	int with_lines; /* the inline lines and addresses too */
	int skip_bad;   /* a row that does not parse goes to bad */
	struct vec bad; /* of ps_bc_order_problem */
};

/*
 * Keep the order of row that did not parse (ps_error_last() says why) in
 * c->bad, with its id when that can still be read.  1 (no slot taken).
 */
static int
problem_add(struct list_ctx *c, const json_t *row)
{
	ps_bc_order_problem *p;
	long long id = peek_id(row, "id");
	char *reason = ps_util__strdup(ps_error_last());

	if (reason == NULL || (p = vec_push(&c->bad)) == NULL) {
		free(reason);
		return ps_error_set(PS_ENOMEM, NULL);
	}
	ps_error_clear();
	p->id = id > 0 ? (int64_t)id : 0;
	p->reason = reason;
	return 1;
}

/* One order of a listing, with its lines when asked (see list_ctx). */
static int
order_list_row(void *item, const json_t *row, void *ctx)
{
	struct list_ctx *c = ctx;
	ps_bc_order *o = item;
	int error, need = 0;

	if (!c->with_lines)
		error = order_row(o, row, NULL);
	else if ((error = order_full_row(o, row, &need)) == 0 && need &&
		 (error = order_read_parts(c->bc, o, need)) < 0)
		ps_bc_order_dispose(o);
	if (error == PS_EDATA && c->skip_bad)
		return problem_add(c, row);
	return error;
}

int
ps_bc_orders_list(ps_bc_order_list *out, ps_bc *bc, const ps_bc_order_query *q)
{
	static const ps_bc_order_query all = PS_BC_ORDER_QUERY_INIT;
	struct vec v = {NULL, 0, 0, sizeof(ps_bc_order)};
	struct list_ctx c;
	ps_conn_buf p = PS_CONN_BUF_INIT(0);
	char date[48];
	int error;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	if (q == NULL)
		q = &all;
	c.bc = bc;
	c.with_lines = q->with_lines;
	c.skip_bad = q->skip_bad;
	c.bad.size = sizeof(ps_bc_order_problem);
	ps_conn__buf_add(&p, "/v2/orders?sort=date_modified:asc");
	if (q->min_date_modified > 0) {
		ps_bc__date_format_rfc2822(date, sizeof(date),
					   q->min_date_modified);
		ps_conn__buf_add(&p, "&min_date_modified=");
		ps_conn__buf_add_urlenc(&p, date);
	}
	if (q->max_date_modified > 0) {
		ps_bc__date_format_rfc2822(date, sizeof(date),
					   q->max_date_modified);
		ps_conn__buf_add(&p, "&max_date_modified=");
		ps_conn__buf_add_urlenc(&p, date);
	}
	if (q->status_id >= 0)
		ps_conn__buf_addf(&p, "&status_id=%d", q->status_id);
	if (q->min_id > 0)
		ps_conn__buf_addf(&p, "&min_id=%lld", (long long)q->min_id);
	if (q->with_lines)
		ps_conn__buf_add(&p, "&" BC_ORDER_INCLUDE);
	if ((error = ps_conn__buf_check(&p, "the order list URL")) < 0)
		goto done;
	error = bc_walk(bc, &v, p.data, "v2/orders", "listing orders", 0,
			order_list_row, &c, q->max_orders);
done:
	ps_conn__buf_dispose(&p);
	if (error < 0) {
		vec_dispose(&v, order_dispose_v);
		vec_dispose(&c.bad, problem_dispose_v);
		return error;
	}
	out->items = v.items;
	out->count = v.count;
	out->bad = c.bad.items;
	out->nbad = c.bad.count;
	return 0;
}

int
ps_bc_orders_list_modified_since(ps_bc_order_list *out, ps_bc *bc,
				 int64_t since, int status_id)
{
	ps_bc_order_query q = PS_BC_ORDER_QUERY_INIT;

	q.min_date_modified = since;
	q.status_id = status_id;
	return ps_bc_orders_list(out, bc, &q);
}

/*
 * BC_ORDER_INCLUDE (above) brings an order's lines and shipping addresses
 * inline.  BigCommerce answers it with {pickups, shipping, downloads,
 * email: {gift_certificates}}, each consignment holding the full order
 * product objects of /v2/orders/{id}/products, but at most
 * BC_INLINE_LINES_MAX of them (then with an undocumented "__warning__").
 */
#define BC_INLINE_LINES_MAX 50

/* What order_inline could not fill: read it separately. */
#define BC_NEED_PRODUCTS 1
#define BC_NEED_ADDRESSES 2

static int
product_id_cmp(const void *a, const void *b)
{
	const ps_bc_order_product *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

/*
 * Parse one consignment's line_items into prods.  Sets *cut when the list
 * may be incomplete (a "__warning__", BC_INLINE_LINES_MAX items, or mere
 * {url, resource} references instead of full lines).
 */
static int
consignment_lines(struct vec *prods, const json_t *cons, long long *lid,
		  int *cut)
{
	const json_t *items = json_object_get(cons, "line_items");
	size_t i;
	int error;

	if (json_object_get(cons, "__warning__") != NULL)
		*cut = 1;
	if (items == NULL || json_is_null(items))
		return 0;
	if (!json_is_array(items) ||
	    json_array_size(items) >= BC_INLINE_LINES_MAX) {
		*cut = 1;
		return 0;
	}
	for (i = 0; i < json_array_size(items); i++) {
		const json_t *row = json_array_get(items, i);
		void *slot;

		if (json_object_get(row, "quantity") == NULL) {
			*cut = 1; /* a reference, not the line */
			return 0;
		}
		if ((slot = vec_push(prods)) == NULL)
			return ps_error_set(PS_ENOMEM, NULL);
		if ((error = product_row(slot, row, lid)) < 0) {
			prods->count--;
			return error;
		}
	}
	return 0;
}

/* Every consignment of kind (an array, or absent) into prods. */
static int
consignment_kind_lines(struct vec *prods, const json_t *arr, long long *lid,
		       int *cut)
{
	size_t i;
	int error;

	if (arr != NULL && !json_is_array(arr)) {
		*cut = 1;
		return 0;
	}
	for (i = 0; i < json_array_size(arr); i++)
		if ((error = consignment_lines(prods, json_array_get(arr, i),
					       lid, cut)) < 0)
			return error;
	return 0;
}

/*
 * Fill o's products and shipping addresses from the row's consignments
 * object (include=consignments.line_items&consignment_structure=object).
 * *need gets BC_NEED_PRODUCTS when some consignment's lines were cut
 * (products are then left empty) and both bits when the row has no
 * consignments object at all (a server that ignores the include).
 */
static int
order_inline(ps_bc_order *o, const json_t *row, int *need)
{
	struct vec prods = {NULL, 0, 0, sizeof(ps_bc_order_product)};
	struct vec addrs = {NULL, 0, 0, sizeof(ps_bc_shipping_address)};
	const json_t *cons = json_object_get(row, "consignments");
	const json_t *ship;
	long long lid = (long long)o->id;
	size_t i;
	int cut = 0, error = 0;

	*need = 0;
	if (!json_is_object(cons)) {
		*need = BC_NEED_PRODUCTS | BC_NEED_ADDRESSES;
		return 0;
	}
	ship = json_object_get(cons, "shipping");
	if (ship != NULL && !json_is_array(ship)) {
		*need = BC_NEED_PRODUCTS | BC_NEED_ADDRESSES;
		return 0;
	}
	for (i = 0; i < json_array_size(ship); i++) {
		const json_t *c = json_array_get(ship, i);
		void *slot;

		if ((slot = vec_push(&addrs)) == NULL) {
			error = ps_error_set(PS_ENOMEM, NULL);
			goto done;
		}
		if ((error = shipaddr_row(slot, c, &lid)) < 0) {
			addrs.count--;
			goto done;
		}
		if ((error = consignment_lines(&prods, c, &lid, &cut)) < 0)
			goto done;
	}
	if ((error = consignment_kind_lines(&prods,
					    json_object_get(cons, "pickups"),
					    &lid, &cut)) < 0 ||
	    (error = consignment_kind_lines(&prods,
					    json_object_get(cons, "downloads"),
					    &lid, &cut)) < 0 ||
	    (error = consignment_kind_lines(
		     &prods, ps_conn__json_at(cons, "email.gift_certificates"),
		     &lid, &cut)) < 0)
		goto done;
	if (cut) {
		*need = BC_NEED_PRODUCTS;
	} else {
		/* /products lists by line id; consignments group by address. */
		if (prods.count > 1)
			qsort(prods.items, prods.count, prods.size,
			      product_id_cmp);
		o->products = prods.items;
		o->nproducts = prods.count;
		memset(&prods, 0, sizeof(prods));
	}
	o->shipping_addresses = addrs.items;
	o->nshipping_addresses = addrs.count;
	memset(&addrs, 0, sizeof(addrs));
done:
	vec_dispose(&prods, product_dispose);
	vec_dispose(&addrs, shipaddr_dispose);
	return error;
}

/*
 * Read what order_inline could not fill (need) with the separate paged
 * lists /v2/orders/{id}/products and /shipping_addresses.
 */
static int
order_read_parts(ps_bc *bc, ps_bc_order *o, int need)
{
	struct vec prods = {NULL, 0, 0, sizeof(ps_bc_order_product)};
	struct vec addrs = {NULL, 0, 0, sizeof(ps_bc_shipping_address)};
	long long lid = (long long)o->id;
	char path[96], what[80];
	int error = 0;

	if (need & BC_NEED_PRODUCTS) {
		snprintf(path, sizeof(path), "/v2/orders/%lld/products", lid);
		snprintf(what, sizeof(what), "reading the lines of order %lld",
			 lid);
		if ((error = bc_walk(bc, &prods, path,
				     "v2/orders/{id}/products", what, 0,
				     product_row, &lid, 0)) < 0)
			goto done;
	}
	if (need & BC_NEED_ADDRESSES) {
		snprintf(path, sizeof(path),
			 "/v2/orders/%lld/shipping_addresses", lid);
		snprintf(what, sizeof(what),
			 "reading the shipping addresses of order %lld", lid);
		if ((error = bc_walk(bc, &addrs, path,
				     "v2/orders/{id}/shipping_addresses", what,
				     0, shipaddr_row, &lid, 0)) < 0)
			goto done;
	}
	if (need & BC_NEED_PRODUCTS) {
		items_dispose(o->products, o->nproducts, sizeof(*o->products),
			      product_dispose);
		o->products = prods.items;
		o->nproducts = prods.count;
		memset(&prods, 0, sizeof(prods));
	}
	if (need & BC_NEED_ADDRESSES) {
		items_dispose(o->shipping_addresses, o->nshipping_addresses,
			      sizeof(*o->shipping_addresses), shipaddr_dispose);
		o->shipping_addresses = addrs.items;
		o->nshipping_addresses = addrs.count;
		memset(&addrs, 0, sizeof(addrs));
	}
done:
	vec_dispose(&prods, product_dispose);
	vec_dispose(&addrs, shipaddr_dispose);
	return error;
}

/*
 * Whether o is order id.  A reply about another order (a cache or proxy
 * mixing replies up) must not be taken for this one, or the import
 * records it under the wrong id.  PS_EREMOTE: asking again may get the
 * right one.  (Lines' order_id is not checked: BigCommerce's own examples
 * disagree with their order there.)
 */
static int
order_is(const ps_bc_order *o, int64_t id)
{
	if (o->id == id)
		return 0;
	return ps_error_set(PS_EREMOTE,
			    "BigCommerce: reading order %lld: the reply is "
			    "about order %lld (field 'id'); nothing of it was "
			    "used",
			    (long long)id, (long long)o->id);
}

/* order_row, then the inline lines and addresses (*need as order_inline). */
static int
order_full_row(ps_bc_order *o, const json_t *row, int *need)
{
	int error;

	if ((error = order_row(o, row, NULL)) < 0)
		return error;
	if ((error = order_inline(o, row, need)) < 0)
		ps_bc_order_dispose(o);
	return error;
}

int
ps_bc_order_get(ps_bc_order *out, ps_bc *bc, int64_t id)
{
	long long lid = (long long)id;
	char path[160], what[64];
	struct bc_req rq = {"GET", path, "v2/orders/{id}", NULL, 1, what};
	json_t *root = NULL;
	int error, need = 0;

	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "/v2/orders/%lld?" BC_ORDER_INCLUDE, lid);
	snprintf(what, sizeof(what), "reading order %lld", lid);
	if ((error = bc_call_json(&root, bc, &rq)) < 0) {
		if (error == PS_ENOTFOUND)
			error = ps_error_set(PS_ENOTFOUND,
					     "BigCommerce order %lld not found",
					     lid);
		goto done;
	}
	if ((error = order_full_row(out, root, &need)) < 0 ||
	    (error = order_is(out, id)) < 0)
		goto done;
	if (need && (error = order_read_parts(bc, out, need)) < 0)
		goto done;
done:
	json_decref(root);
	if (error < 0)
		ps_bc_order_dispose(out);
	return error;
}

/* The sorted, distinct ids a ps_bc_orders_get_many run asks for. */
struct many_ctx {
	const int64_t *ids; /* sorted, distinct */
	size_t n;
};

static int
id_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static int
id_wanted(const struct many_ctx *c, int64_t id)
{
	return c->n > 0 &&
	       bsearch(&id, c->ids, c->n, sizeof(*c->ids), id_cmp) != NULL;
}

/* One order of a get_many listing and what its inline parts lacked. */
struct many_row {
	int64_t id; /* 0: a listed order nobody asked for */
	ps_bc_order o;
	int need;
	int gone; /* o was handed out, or its line read failed */
};

static void
many_row_dispose(void *r)
{
	ps_bc_order_dispose(&((struct many_row *)r)->o);
}

/* A listed row: parsed when it was asked for, else left zeroed (id 0);
 * so is one whose data does not parse: the caller's direct read of it
 * reports why, on that order alone. */
static int
many_row(void *item, const json_t *row, void *ctx)
{
	struct many_row *r = item;
	int64_t id = (int64_t)peek_id(row, "id");
	int error;

	if (!id_wanted(ctx, id))
		return 0;
	error = order_full_row(&r->o, row, &r->need);
	if (error == 0)
		r->id = id;
	else if (error == PS_EDATA) {
		ps_log_info("bigcommerce", "%s", ps_error_last());
		ps_error_clear();
		memset(r, 0, sizeof(*r));
		error = 0;
	}
	return error;
}

/*
 * Read the orders with ids lo..hi (hi - lo < the page limit, so one page
 * normally holds them) with their inline lines into rows.
 */
static int
many_run(ps_bc *bc, struct vec *rows, struct many_ctx *c, int64_t lo,
	 int64_t hi)
{
	char path[224], what[96];

	snprintf(path, sizeof(path),
		 "/v2/orders?min_id=%lld&max_id=%lld&" BC_ORDER_INCLUDE,
		 (long long)lo, (long long)hi);
	snprintf(what, sizeof(what), "reading orders %lld to %lld",
		 (long long)lo, (long long)hi);
	return bc_walk(bc, rows, path, "v2/orders", what, 0, many_row, c, 0);
}

static int
many_row_cmp(const void *a, const void *b)
{
	const struct many_row *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

int
ps_bc_orders_get_many(ps_bc_order_list *out, ps_bc *bc, const int64_t *ids,
		      size_t n)
{
	struct vec rows = {NULL, 0, 0, sizeof(struct many_row)};
	struct many_ctx c = {NULL, 0};
	int64_t *sorted = NULL;
	ps_bc_order *items = NULL;
	size_t i, j;
	int error = 0;

	memset(out, 0, sizeof(*out));
	if (n == 0)
		return 0;
	if (ids == NULL)
		return ps_error_set(PS_EINVAL, "no order ids");
	sorted = malloc(n * sizeof(*sorted));
	items = calloc(n, sizeof(*items));
	if (sorted == NULL || items == NULL) {
		error = ps_error_set(PS_ENOMEM, NULL);
		goto done;
	}
	memcpy(sorted, ids, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), id_cmp);
	for (i = j = 0; i < n; i++) /* distinct, positive */
		if (sorted[i] > 0 && (j == 0 || sorted[j - 1] != sorted[i]))
			sorted[j++] = sorted[i];
	c.ids = sorted;
	c.n = j;

	/* Runs whose span fits one page: lo..hi with hi - lo < limit. */
	for (i = 0; i < c.n; i = j) {
		for (j = i + 1;
		     j < c.n && sorted[j] - sorted[i] < bc->page_limit; j++)
			;
		if ((error = many_run(bc, &rows, &c, sorted[i],
				      sorted[j - 1])) < 0)
			goto done;
	}
	if (rows.count > 1)
		qsort(rows.items, rows.count, rows.size, many_row_cmp);

	/* Cut line lists: read the lines directly; a failure leaves id 0. */
	for (i = 0; i < rows.count; i++) {
		struct many_row *r = (struct many_row *)rows.items + i;

		if (r->id == 0 || r->need == 0)
			continue;
		if ((error = order_read_parts(bc, &r->o, r->need)) < 0) {
			if (error == PS_ENOMEM)
				goto done;
			ps_log_warn("bigcommerce", "%s", ps_error_last());
			ps_bc_order_dispose(&r->o);
			r->gone = 1;
			error = 0;
		}
		r->need = 0;
	}

	/* Hand each order to the first position that asked for it. */
	for (i = 0; i < n; i++) {
		struct many_row key, *r;

		memset(&key, 0, sizeof(key));
		key.id = ids[i];
		r = NULL;
		if (ids[i] > 0 && rows.count > 0)
			r = bsearch(&key, rows.items, rows.count, rows.size,
				    many_row_cmp);
		if (r == NULL || r->gone)
			continue;
		items[i] = r->o;
		memset(&r->o, 0, sizeof(r->o));
		r->gone = 1;
	}
	out->items = items;
	out->count = n;
	items = NULL;
done:
	if (items != NULL)
		items_dispose(items, n, sizeof(*items), order_dispose_v);
	vec_dispose(&rows, many_row_dispose);
	free(sorted);
	return error;
}

/* PUT /v2/orders/{id} with body (stolen). */
static int
order_put(ps_bc *bc, int64_t id, json_t *body, const char *what)
{
	char path[64];
	struct bc_req rq = {"PUT", path, "v2/orders/{id}", body, 1, what};
	json_t *root = NULL;
	int error;

	if (body == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	snprintf(path, sizeof(path), "/v2/orders/%lld", (long long)id);
	error = bc_call_json(&root, bc, &rq);
	if (error == PS_ENOTFOUND)
		error = ps_error_set(PS_ENOTFOUND,
				     "BigCommerce order %lld not found (%s)",
				     (long long)id, what);
	json_decref(root);
	json_decref(body);
	return error;
}

int
ps_bc_order_update_status(ps_bc *bc, int64_t id, int status_id)
{
	char what[96];

	if (status_id < 0)
		return ps_error_set(PS_EINVAL,
				    "BigCommerce status id %d is invalid",
				    status_id);
	snprintf(what, sizeof(what), "setting order %lld to status %d",
		 (long long)id, status_id);
	return order_put(bc, id, json_pack("{s:i}", "status_id", status_id),
			 what);
}

int
ps_bc_order_update_notes(ps_bc *bc, int64_t id, const char *staff_notes,
			 const char *customer_message)
{
	char what[96];
	json_t *body;

	if (staff_notes == NULL && customer_message == NULL)
		return ps_error_set(PS_EINVAL,
				    "no note given for BigCommerce order %lld",
				    (long long)id);
	if ((body = json_object()) == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	if ((staff_notes &&
	     json_object_set_new(body, "staff_notes",
				 json_string(staff_notes)) < 0) ||
	    (customer_message &&
	     json_object_set_new(body, "customer_message",
				 json_string(customer_message)) < 0)) {
		json_decref(body);
		return ps_error_set(PS_EINVAL,
				    "the note for BigCommerce order %lld is "
				    "not valid UTF-8",
				    (long long)id);
	}
	snprintf(what, sizeof(what), "updating the notes of order %lld",
		 (long long)id);
	return order_put(bc, id, body, what);
}

/* --- order statuses ------------------------------------------------------- */

static const struct bc_field status_fields[] = {
	FLD(ps_bc_order_status, "id", id, BK_INT, 1),
	FLD(ps_bc_order_status, "name", name, BK_STR, 0),
	FLD(ps_bc_order_status, "system_label", system_label, BK_STR, 0),
	FLD(ps_bc_order_status, "custom_label", custom_label, BK_STR, 0),
	FLD(ps_bc_order_status, "order", order, BK_INT, 0),
};

static void
status_dispose(void *s)
{
	FIELDS_FREE(s, status_fields);
}

static int
status_row(void *item, const json_t *row, void *ctx)
{
	char what[80];

	(void)ctx;
	snprintf(what, sizeof(what), "BigCommerce order status %lld",
		 peek_id(row, "id"));
	return FIELDS_PARSE(item, status_fields, row, what);
}

void
ps_bc_order_status_list_dispose(ps_bc_order_status_list *l)
{
	if (l == NULL)
		return;
	items_dispose(l->items, l->count, sizeof(*l->items), status_dispose);
	memset(l, 0, sizeof(*l));
}

int
ps_bc_order_statuses_list(ps_bc_order_status_list *out, ps_bc *bc)
{
	struct bc_req rq = {
		"GET", "/v2/order_statuses",    "v2/order_statuses", NULL,
		1,     "listing order statuses"};
	struct vec v = {NULL, 0, 0, sizeof(ps_bc_order_status)};
	json_t *root = NULL;
	size_t i;
	int error;

	memset(out, 0, sizeof(*out));
	/* Not paged: the statuses are a short fixed list. */
	if ((error = bc_call_json(&root, bc, &rq)) < 0)
		goto done;
	if (root != NULL && !json_is_array(root)) {
		error = ps_error_set(PS_EPARSE, "BigCommerce: listing order "
						"statuses: expected a list");
		goto done;
	}
	for (i = 0; i < json_array_size(root); i++) {
		void *slot = vec_push(&v);

		if (slot == NULL) {
			error = ps_error_set(PS_ENOMEM, NULL);
			goto done;
		}
		if ((error = status_row(slot, json_array_get(root, i), NULL)) <
		    0) {
			v.count--;
			goto done;
		}
	}
	out->items = v.items;
	out->count = v.count;
	memset(&v, 0, sizeof(v));
done:
	vec_dispose(&v, status_dispose);
	json_decref(root);
	return error;
}

/* --- shipments ------------------------------------------------------------ */

static const struct bc_field shipment_fields[] = {
	FLD(ps_bc_shipment, "id", id, BK_I64, 1),
	FLD(ps_bc_shipment, "order_id", order_id, BK_I64, 0),
	FLD(ps_bc_shipment, "order_address_id", order_address_id, BK_I64, 0),
	FLD(ps_bc_shipment, "date_created", date_created, BK_RFC2822, 0),
	FLD(ps_bc_shipment, "tracking_number", tracking_number, BK_STR, 0),
	FLD(ps_bc_shipment, "tracking_carrier", tracking_carrier, BK_STR, 0),
	FLD(ps_bc_shipment, "tracking_link", tracking_link, BK_STR, 0),
	FLD(ps_bc_shipment, "shipping_provider", shipping_provider, BK_STR, 0),
	FLD(ps_bc_shipment, "shipping_method", shipping_method, BK_STR, 0),
	FLD(ps_bc_shipment, "comments", comments, BK_STR, 0),
};

static const struct bc_field shipment_item_fields[] = {
	FLD(ps_bc_shipment_item, "order_product_id", order_product_id, BK_I64,
	    1),
	FLD(ps_bc_shipment_item, "product_id", product_id, BK_I64, 0),
	FLD(ps_bc_shipment_item, "quantity", quantity, BK_I64, 1),
};

void
ps_bc_shipment_dispose(ps_bc_shipment *s)
{
	if (s == NULL)
		return;
	FIELDS_FREE(s, shipment_fields);
	free(s->items);
	memset(s, 0, sizeof(*s));
}

static void
shipment_dispose_v(void *s)
{
	ps_bc_shipment_dispose(s);
}

void
ps_bc_shipment_list_dispose(ps_bc_shipment_list *l)
{
	if (l == NULL)
		return;
	items_dispose(l->items, l->count, sizeof(*l->items),
		      shipment_dispose_v);
	memset(l, 0, sizeof(*l));
}

static int
shipment_row(void *item, const json_t *row, void *ctx)
{
	ps_bc_shipment *s = item;
	const json_t *items = json_object_get(row, "items");
	char what[80];
	int error;

	(void)ctx;
	snprintf(what, sizeof(what), "BigCommerce shipment %lld",
		 peek_id(row, "id"));
	if ((error = FIELDS_PARSE(s, shipment_fields, row, what)) < 0)
		return error;
	s->items = subitems_parse(&error, &s->nitems, sizeof(*s->items), items,
				  shipment_item_fields,
				  PS__ARRAY_LEN(shipment_item_fields), what);
	if (error < 0)
		ps_bc_shipment_dispose(s);
	return error;
}

int
ps_bc_shipments_list(ps_bc_shipment_list *out, ps_bc *bc, int64_t order_id)
{
	struct vec v = {NULL, 0, 0, sizeof(ps_bc_shipment)};
	char path[64], what[64];
	int error;

	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "/v2/orders/%lld/shipments",
		 (long long)order_id);
	snprintf(what, sizeof(what), "listing the shipments of order %lld",
		 (long long)order_id);
	error = bc_walk(bc, &v, path, "v2/orders/{id}/shipments", what, 0,
			shipment_row, NULL, 0);
	if (error < 0) {
		vec_dispose(&v, shipment_dispose_v);
		return error;
	}
	out->items = v.items;
	out->count = v.count;
	return 0;
}

static json_t *
shipment_body(const ps_bc_shipment_new *s)
{
	json_t *body = json_object(), *items = json_array();
	ps_conn_buf comments = PS_CONN_BUF_INIT(0);
	size_t i;
	int bad = body == NULL || items == NULL;

	for (i = 0; !bad && i < s->nitems; i++)
		bad = json_array_append_new(
			      items,
			      json_pack(
				      "{s:I,s:I}", "order_product_id",
				      (json_int_t)s->items[i].order_product_id,
				      "quantity",
				      (json_int_t)s->items[i].quantity)) < 0;
	if (s->comments)
		ps_conn__buf_add(&comments, s->comments);
	if (s->ref) {
		ps_conn__buf_add(&comments, comments.len ? " [" : "[");
		ps_conn__buf_add(&comments, s->ref);
		ps_conn__buf_add(&comments, "]");
	}
	bad = bad || comments.error ||
	      json_object_set_new(body, "order_address_id",
				  json_integer(s->order_address_id)) < 0 ||
	      json_object_set(body, "items", items) < 0 ||
	      (s->tracking_number &&
	       json_object_set_new(body, "tracking_number",
				   json_string(s->tracking_number)) < 0) ||
	      (s->shipping_provider &&
	       json_object_set_new(body, "shipping_provider",
				   json_string(s->shipping_provider)) < 0) ||
	      (s->tracking_carrier &&
	       json_object_set_new(body, "tracking_carrier",
				   json_string(s->tracking_carrier)) < 0) ||
	      (s->shipping_method &&
	       json_object_set_new(body, "shipping_method",
				   json_string(s->shipping_method)) < 0) ||
	      (s->tracking_link &&
	       json_object_set_new(body, "tracking_link",
				   json_string(s->tracking_link)) < 0) ||
	      (comments.len &&
	       json_object_set_new(body, "comments",
				   json_string(comments.data)) < 0);
	json_decref(items);
	ps_conn__buf_dispose(&comments);
	if (bad) {
		json_decref(body);
		return NULL;
	}
	return body;
}

/* The order's shipment whose comments carry "[ref]": 0 and *out, or
 * PS_ENOTFOUND, or the listing's error. */
static int
shipment_find_ref(ps_bc_shipment *out, ps_bc *bc, int64_t order_id,
		  const char *ref)
{
	ps_bc_shipment_list l;
	ps_conn_buf tag = PS_CONN_BUF_INIT(0);
	size_t i;
	int error;

	memset(out, 0, sizeof(*out));
	ps_conn__buf_add(&tag, "[");
	ps_conn__buf_add(&tag, ref);
	ps_conn__buf_add(&tag, "]");
	if ((error = ps_conn__buf_check(&tag, "a shipment reference")) < 0)
		goto done;
	if ((error = ps_bc_shipments_list(&l, bc, order_id)) < 0)
		goto done;
	error = PS_ENOTFOUND;
	for (i = 0; i < l.count; i++) {
		if (strstr(l.items[i].comments, tag.data) != NULL) {
			*out = l.items[i];
			memset(&l.items[i], 0, sizeof(l.items[i]));
			error = 0;
			break;
		}
	}
	ps_bc_shipment_list_dispose(&l);
done:
	ps_conn__buf_dispose(&tag);
	return error;
}

/* May a failed create have reached BigCommerce? */
static int
ambiguous(int error)
{
	return error == PS_ENET || error == PS_ETIMEOUT ||
	       error == PS_EREMOTE || error == PS_EHTTP || error == PS_EPARSE;
}

int
ps_bc_shipment_create(ps_bc_shipment *out, ps_bc *bc, int64_t order_id,
		      const ps_bc_shipment_new *s)
{
	char path[64], what[96];
	struct bc_req rq = {"POST", path, "v2/orders/{id}/shipments",
			    NULL,   0,    what};
	json_t *root = NULL;
	size_t i;
	int error = 0, attempt, found;

	memset(out, 0, sizeof(*out));
	if (s == NULL || s->nitems == 0 || s->items == NULL ||
	    s->order_address_id <= 0)
		return ps_error_set(PS_EINVAL,
				    "shipment for BigCommerce order %lld needs "
				    "a shipping address and at least one item",
				    (long long)order_id);
	for (i = 0; i < s->nitems; i++)
		if (s->items[i].quantity <= 0 ||
		    s->items[i].order_product_id <= 0)
			return ps_error_set(PS_EINVAL,
					    "shipment for BigCommerce order "
					    "%lld: item %zu has no product "
					    "line or quantity",
					    (long long)order_id, i + 1);
	snprintf(path, sizeof(path), "/v2/orders/%lld/shipments",
		 (long long)order_id);
	snprintf(what, sizeof(what), "creating a shipment for order %lld%s%s",
		 (long long)order_id, s->ref ? " ref " : "",
		 s->ref ? s->ref : "");
	if ((rq.body = shipment_body(s)) == NULL)
		return ps_error_set(PS_EINVAL,
				    "shipment for BigCommerce order %lld: a "
				    "text field is not valid UTF-8",
				    (long long)order_id);
	if (s->ref && (found = shipment_find_ref(out, bc, order_id, s->ref)) !=
			      PS_ENOTFOUND) {
		error = found; /* 0: already made, or the listing failed */
		goto done;
	}
	for (attempt = 1;; attempt++) {
		if ((error = bc_call_json(&root, bc, &rq)) == 0) {
			error = root ? shipment_row(out, v3_data(root), NULL)
				     : ps_error_set(PS_EPARSE,
						    "BigCommerce: %s: the "
						    "reply was empty",
						    what);
			goto done;
		}
		if (s->ref == NULL || !ambiguous(error) ||
		    attempt >= BC_CREATE_ATTEMPTS)
			goto done;
		ps_log_warn("bigcommerce", "%s", ps_error_last());
		found = shipment_find_ref(out, bc, order_id, s->ref);
		if (found != PS_ENOTFOUND) {
			error = found;
			goto done;
		}
	}
done:
	json_decref(root);
	json_decref(rq.body);
	return error;
}

/* --- catalog and inventory ------------------------------------------------ */

const char *
ps_bc_tracking_name(ps_bc_tracking t)
{
	switch (t) {
	case PS_BC_TRACKING_NONE:
		return "none";
	case PS_BC_TRACKING_PRODUCT:
		return "product";
	case PS_BC_TRACKING_VARIANT:
		return "variant";
	}
	return "?";
}

/* The parts of a product the SKU lookups need. */
struct bc_product {
	int64_t id;
	char *name;
	char *sku;
	char *tracking;
	int64_t inventory_level;
	int64_t base_variant_id;
};

static const struct bc_field bc_product_fields[] = {
	FLD(struct bc_product, "id", id, BK_I64, 1),
	FLD(struct bc_product, "name", name, BK_STR, 0),
	FLD(struct bc_product, "sku", sku, BK_STR, 0),
	FLD(struct bc_product, "inventory_tracking", tracking, BK_STR, 0),
	FLD(struct bc_product, "inventory_level", inventory_level, BK_I64, 0),
	FLD(struct bc_product, "base_variant_id", base_variant_id, BK_I64, 0),
};

struct bc_variant {
	int64_t id;
	int64_t product_id;
	char *sku;
	int64_t inventory_level;
	int has_options;
};

static const struct bc_field bc_variant_fields[] = {
	FLD(struct bc_variant, "id", id, BK_I64, 1),
	FLD(struct bc_variant, "product_id", product_id, BK_I64, 1),
	FLD(struct bc_variant, "sku", sku, BK_STR, 0),
	FLD(struct bc_variant, "inventory_level", inventory_level, BK_I64, 0),
};

static void
bc_product_dispose(void *p)
{
	FIELDS_FREE(p, bc_product_fields);
}

static void
bc_variant_dispose(void *v)
{
	FIELDS_FREE(v, bc_variant_fields);
}

static int
bc_product_row(void *item, const json_t *row, void *ctx)
{
	char what[80];

	(void)ctx;
	snprintf(what, sizeof(what), "BigCommerce product %lld",
		 peek_id(row, "id"));
	return FIELDS_PARSE(item, bc_product_fields, row, what);
}

static int
bc_variant_row(void *item, const json_t *row, void *ctx)
{
	struct bc_variant *v = item;
	const json_t *opts = json_object_get(row, "option_values");
	char what[80];
	int error;

	(void)ctx;
	snprintf(what, sizeof(what), "BigCommerce variant %lld",
		 peek_id(row, "id"));
	if ((error = FIELDS_PARSE(v, bc_variant_fields, row, what)) < 0)
		return error;
	v->has_options = json_is_array(opts) && json_array_size(opts) > 0;
	return 0;
}

static int
tracking_parse(ps_bc_tracking *out, const struct bc_product *p)
{
	if (strcmp(p->tracking, "none") == 0 || *p->tracking == '\0')
		*out = PS_BC_TRACKING_NONE;
	else if (strcmp(p->tracking, "product") == 0)
		*out = PS_BC_TRACKING_PRODUCT;
	else if (strcmp(p->tracking, "variant") == 0)
		*out = PS_BC_TRACKING_VARIANT;
	else
		return ps_error_set(PS_EPARSE,
				    "BigCommerce product %lld: field "
				    "'inventory_tracking' has the unknown "
				    "value '%.40s'",
				    (long long)p->id, p->tracking);
	return 0;
}

/* The fields of out that come from product p, with sku and variant_id. */
static int
sku_fill(ps_bc_sku *out, const char *sku, int64_t variant_id,
	 const struct bc_product *p)
{
	int error;

	memset(out, 0, sizeof(*out));
	if ((error = tracking_parse(&out->tracking, p)) < 0)
		return error;
	out->sku = ps_util__strdup(sku);
	out->product_name = ps_util__strdup(p->name);
	if (out->sku == NULL || out->product_name == NULL) {
		ps_bc_sku_dispose(out);
		return ps_error_set(PS_ENOMEM, NULL);
	}
	out->product_id = p->id;
	out->variant_id = variant_id;
	return 0;
}

/* One ps_bc_sku from a variant and its product. */
static int
sku_make(ps_bc_sku *out, const void *row, const struct bc_product *p)
{
	const struct bc_variant *v = row;
	int error;

	if ((error = sku_fill(out, v->sku, v->id, p)) < 0)
		return error;
	/* A variant with options is never the base one; BigCommerce sets
	 * base_variant_id only for products without options. */
	out->is_base_variant = !v->has_options && (p->base_variant_id == 0 ||
						   v->id == p->base_variant_id);
	out->inventory_level = out->tracking == PS_BC_TRACKING_PRODUCT
				       ? p->inventory_level
				       : v->inventory_level;
	return 0;
}

void
ps_bc_sku_dispose(ps_bc_sku *s)
{
	if (s == NULL)
		return;
	free(s->sku);
	free(s->product_name);
	memset(s, 0, sizeof(*s));
}

static void
sku_dispose_v(void *s)
{
	ps_bc_sku_dispose(s);
}

void
ps_bc_sku_list_dispose(ps_bc_sku_list *l)
{
	if (l == NULL)
		return;
	items_dispose(l->items, l->count, sizeof(*l->items), sku_dispose_v);
	memset(l, 0, sizeof(*l));
}

#define PRODUCT_FIELDS                                                         \
	"include_fields=name,sku,inventory_tracking,inventory_level,"          \
	"base_variant_id"

int
ps_bc_catalog_find_sku(ps_bc_sku *out, ps_bc *bc, const char *sku)
{
	struct vec vars = {NULL, 0, 0, sizeof(struct bc_variant)};
	struct bc_product prod;
	struct bc_variant *match = NULL;
	ps_conn_buf p = PS_CONN_BUF_INIT(0);
	char what[BC_QUERY_VALUE_MAX + 64];
	struct bc_req rq = {"GET", NULL, "v3/catalog/products/{id}",
			    NULL,  1,    what};
	json_t *root = NULL;
	size_t i;
	int error;

	memset(out, 0, sizeof(*out));
	memset(&prod, 0, sizeof(prod));
	if (sku == NULL || *sku == '\0' || strlen(sku) > BC_QUERY_VALUE_MAX)
		return ps_error_set(PS_EINVAL,
				    "a SKU to look up in "
				    "BigCommerce is empty or too long");
	snprintf(what, sizeof(what), "looking up SKU '%s'", sku);
	ps_conn__buf_add(&p, "/v3/catalog/variants?sku=");
	ps_conn__buf_add_urlenc(&p, sku);
	if ((error = ps_conn__buf_check(&p, "a SKU lookup URL")) < 0)
		goto done;
	if ((error = bc_walk(bc, &vars, p.data, "v3/catalog/variants", what, 1,
			     bc_variant_row, NULL, 0)) < 0)
		goto done;
	/* The filter is exact, but a server may match loosely: prefer an
	 * exact match, then one differing only in case. */
	for (i = 0; i < vars.count && match == NULL; i++)
		if (strcmp(((struct bc_variant *)vars.items)[i].sku, sku) == 0)
			match = &((struct bc_variant *)vars.items)[i];
	for (i = 0; i < vars.count && match == NULL; i++)
		if (strcasecmp(((struct bc_variant *)vars.items)[i].sku, sku) ==
		    0)
			match = &((struct bc_variant *)vars.items)[i];
	if (match == NULL) {
		error = ps_error_set(PS_ENOTFOUND,
				     "SKU '%s' not found in BigCommerce "
				     "(variant search by SKU)",
				     sku);
		goto done;
	}
	ps_conn__buf_dispose(&p);
	ps_conn__buf_addf(&p, "/v3/catalog/products/%lld?" PRODUCT_FIELDS,
			  (long long)match->product_id);
	if ((error = ps_conn__buf_check(&p, "a product URL")) < 0)
		goto done;
	rq.path = p.data;
	if ((error = bc_call_json(&root, bc, &rq)) < 0)
		goto done;
	if ((error = bc_product_row(&prod, v3_data(root), NULL)) < 0)
		goto done;
	error = sku_make(out, match, &prod);
done:
	bc_product_dispose(&prod);
	vec_dispose(&vars, bc_variant_dispose);
	json_decref(root);
	ps_conn__buf_dispose(&p);
	return error;
}

static int
product_cmp(const void *a, const void *b)
{
	int64_t x = ((const struct bc_product *)a)->id;
	int64_t y = ((const struct bc_product *)b)->id;

	return (x > y) - (x < y);
}

/*
 * The SKUs of rows (variants or stock items: a struct with a char *sku at
 * sku_off and an int64_t product id at product_off) joined to their
 * products, each made by make, into *out.  Rows without a SKU and rows
 * whose product appeared between the two walks are left out.  prods is
 * sorted here.
 */
static int
join_products(ps_bc_sku_list *out, struct vec *prods, const struct vec *rows,
	      size_t sku_off, size_t product_off,
	      int (*make)(ps_bc_sku *, const void *, const struct bc_product *))
{
	struct vec skus = {NULL, 0, 0, sizeof(ps_bc_sku)};
	size_t i;
	int error = 0;

	/* an empty page leaves items NULL, which qsort and bsearch must not
	 * see even with a count of 0 (their arguments are declared nonnull) */
	if (prods->count > 1)
		qsort(prods->items, prods->count, prods->size, product_cmp);
	for (i = 0; i < rows->count && prods->count > 0; i++) {
		const char *row = (const char *)rows->items + i * rows->size;
		const char *sku = *(char *const *)(const void *)(row + sku_off);
		struct bc_product key, *p;
		ps_bc_sku *slot;

		memcpy(&key.id, row + product_off, sizeof(key.id));
		if (sku == NULL || *sku == '\0')
			continue;
		p = bsearch(&key, prods->items, prods->count, prods->size,
			    product_cmp);
		if (p == NULL) /* created between the two walks */
			continue;
		if ((slot = vec_push(&skus)) == NULL) {
			error = ps_error_set(PS_ENOMEM, NULL);
			goto done;
		}
		if ((error = make(slot, row, p)) < 0) {
			skus.count--;
			goto done;
		}
	}
	out->items = skus.items;
	out->count = skus.count;
	memset(&skus, 0, sizeof(skus));
done:
	vec_dispose(&skus, sku_dispose_v);
	return error;
}

int
ps_bc_catalog_list_skus(ps_bc_sku_list *out, ps_bc *bc)
{
	struct vec prods = {NULL, 0, 0, sizeof(struct bc_product)};
	struct vec vars = {NULL, 0, 0, sizeof(struct bc_variant)};
	int error;

	memset(out, 0, sizeof(*out));
	if ((error = bc_walk(bc, &prods, "/v3/catalog/products?" PRODUCT_FIELDS,
			     "v3/catalog/products", "listing products", 1,
			     bc_product_row, NULL, 0)) < 0)
		goto done;
	if ((error = bc_walk(bc, &vars, "/v3/catalog/variants",
			     "v3/catalog/variants", "listing variants", 1,
			     bc_variant_row, NULL, 0)) < 0)
		goto done;
	error = join_products(
		out, &prods, &vars, offsetof(struct bc_variant, sku),
		offsetof(struct bc_variant, product_id), sku_make);
done:
	vec_dispose(&vars, bc_variant_dispose);
	vec_dispose(&prods, bc_product_dispose);
	return error;
}

/* One item of GET /v3/inventory/locations/{id}/items. */
struct bc_stock_item {
	char *sku;
	int64_t variant_id;
	int64_t product_id;
	int64_t onhand; /* total_inventory_onhand: what an absolute sets */
};

static const struct bc_field bc_stock_item_fields[] = {
	FLD(struct bc_stock_item, "identity.sku", sku, BK_STR, 0),
	FLD(struct bc_stock_item, "identity.variant_id", variant_id, BK_I64, 1),
	FLD(struct bc_stock_item, "identity.product_id", product_id, BK_I64, 1),
	FLD(struct bc_stock_item, "total_inventory_onhand", onhand, BK_I64, 1),
};

static void
bc_stock_item_dispose(void *it)
{
	FIELDS_FREE(it, bc_stock_item_fields);
}

static int
bc_stock_item_row(void *item, const json_t *row, void *ctx)
{
	char what[96];

	(void)ctx;
	snprintf(what, sizeof(what),
		 "BigCommerce inventory item (variant %lld)",
		 peek_id(json_object_get(row, "identity"), "variant_id"));
	return FIELDS_PARSE(item, bc_stock_item_fields, row, what);
}

/* One ps_bc_sku from a location's item and its product. */
static int
sku_from_item(ps_bc_sku *out, const void *row, const struct bc_product *p)
{
	const struct bc_stock_item *it = row;
	int error;

	if ((error = sku_fill(out, it->sku, it->variant_id, p)) < 0)
		return error;
	out->is_base_variant = p->base_variant_id == it->variant_id;
	out->inventory_level = it->onhand;
	return 0;
}

/*
 * Why the inventory items and not the catalog's inventory_level: the
 * catalog reads only the default location (reference digest §11A), the
 * items list reads the location pearlsync writes, so a comparison can
 * never chase a level kept elsewhere; and it takes 1000 items a page
 * against the catalog's 250 [spec:inventory.v3.yml "Limit of 1000 items"].
 * The catalog walk is still needed for inventory_tracking, which the
 * items do not carry.
 */
int
ps_bc_inventory_list(ps_bc_sku_list *out, ps_bc *bc)
{
	struct vec prods = {NULL, 0, 0, sizeof(struct bc_product)};
	struct vec items = {NULL, 0, 0, sizeof(struct bc_stock_item)};
	char path[96], what[96];
	int error;

	memset(out, 0, sizeof(*out));
	if ((error = bc_walk(bc, &prods, "/v3/catalog/products?" PRODUCT_FIELDS,
			     "v3/catalog/products", "listing products", 1,
			     bc_product_row, NULL, 0)) < 0)
		goto done;
	snprintf(path, sizeof(path), "/v3/inventory/locations/%lld/items",
		 (long long)bc->location_id);
	snprintf(what, sizeof(what), "reading the stock at location %lld",
		 (long long)bc->location_id);
	if ((error = bc_walk_limit(bc, &items, path,
				   "v3/inventory/locations/{id}/items", what, 1,
				   bc_stock_item_row, NULL, 0,
				   PS_BC_INVENTORY_PAGE_MAX)) < 0)
		goto done;
	error = join_products(
		out, &prods, &items, offsetof(struct bc_stock_item, sku),
		offsetof(struct bc_stock_item, product_id), sku_from_item);
done:
	vec_dispose(&items, bc_stock_item_dispose);
	vec_dispose(&prods, bc_product_dispose);
	return error;
}

/*
 * Why /v3/inventory/adjustments/absolute and not PUT /v3/catalog/variants:
 * it takes 2000 items a request against the variants batch's 50 (40 times
 * fewer requests against a 150-per-30-s quota: a 20,000-SKU reconcile is 10
 * requests), it sets product- and variant-tracked items alike in one body,
 * names the location explicitly, and an absolute level never fails for
 * insufficient stock.  The catalog writes call it internally anyway.
 */
int
ps_bc_inventory_set(size_t *out_sent, ps_bc *bc, const ps_bc_stock *items,
		    size_t n, const char *reason)
{
	size_t start = 0, i;
	int error = 0;

	if (out_sent)
		*out_sent = 0;
	for (i = 0; i < n; i++) {
		if (items[i].tracking == PS_BC_TRACKING_NONE ||
		    (items[i].tracking == PS_BC_TRACKING_PRODUCT &&
		     items[i].product_id <= 0) ||
		    (items[i].tracking == PS_BC_TRACKING_VARIANT &&
		     items[i].variant_id <= 0))
			return ps_error_set(PS_EINVAL,
					    "BigCommerce stock item %zu "
					    "(product %lld, variant %lld) has "
					    "no tracked id to set",
					    i + 1,
					    (long long)items[i].product_id,
					    (long long)items[i].variant_id);
		if (items[i].quantity < 0 || items[i].quantity > INT32_MAX)
			return ps_error_set(PS_EINVAL,
					    "BigCommerce stock level %lld for "
					    "product %lld is out of range",
					    (long long)items[i].quantity,
					    (long long)items[i].product_id);
	}
	while (start < n) {
		size_t end = start + (size_t)bc->inventory_batch;
		char what[96];
		struct bc_req rq = {"PUT",
				    "/v3/inventory/adjustments/absolute",
				    "v3/inventory/adjustments/absolute",
				    NULL,
				    1,
				    what};
		json_t *arr = json_array(), *root = NULL;

		if (end > n)
			end = n;
		snprintf(what, sizeof(what),
			 "setting stock levels (items %zu-%zu of %zu)",
			 start + 1, end, n);
		rq.body = json_pack("{s:s,s:o}", "reason",
				    reason ? reason : "pearlsync", "items",
				    json_incref(arr));
		for (i = start; rq.body && arr && i < end; i++) {
			const ps_bc_stock *it = &items[i];
			int v = it->tracking == PS_BC_TRACKING_VARIANT;

			if (json_array_append_new(
				    arr,
				    json_pack("{s:I,s:I,s:I}", "location_id",
					      (json_int_t)bc->location_id,
					      v ? "variant_id" : "product_id",
					      (json_int_t)(v ? it->variant_id
							     : it->product_id),
					      "quantity",
					      (json_int_t)it->quantity)) < 0)
				break;
		}
		if (rq.body == NULL || arr == NULL || i < end) {
			json_decref(arr);
			json_decref(rq.body);
			return ps_error_set(PS_ENOMEM, NULL);
		}
		json_decref(arr);
		error = bc_call_json(&root, bc, &rq);
		json_decref(root);
		json_decref(rq.body);
		if (error < 0)
			return error;
		if (out_sent)
			*out_sent = end;
		start = end;
	}
	return 0;
}

/* --- customers ------------------------------------------------------------ */

static const struct bc_field customer_fields[] = {
	FLD(ps_bc_customer, "id", id, BK_I64, 1),
	FLD(ps_bc_customer, "email", email, BK_STR, 0),
	FLD(ps_bc_customer, "first_name", first_name, BK_STR, 0),
	FLD(ps_bc_customer, "last_name", last_name, BK_STR, 0),
	FLD(ps_bc_customer, "company", company, BK_STR, 0),
	FLD(ps_bc_customer, "phone", phone, BK_STR, 0),
	FLD(ps_bc_customer, "notes", notes, BK_STR, 0),
	FLD(ps_bc_customer, "customer_group_id", customer_group_id, BK_I64, 0),
	FLD(ps_bc_customer, "date_created", date_created, BK_ISO8601, 0),
	FLD(ps_bc_customer, "date_modified", date_modified, BK_ISO8601, 0),
};

void
ps_bc_customer_dispose(ps_bc_customer *c)
{
	if (c == NULL)
		return;
	FIELDS_FREE(c, customer_fields);
	memset(c, 0, sizeof(*c));
}

static void
customer_dispose_v(void *c)
{
	ps_bc_customer_dispose(c);
}

void
ps_bc_customer_list_dispose(ps_bc_customer_list *l)
{
	if (l == NULL)
		return;
	items_dispose(l->items, l->count, sizeof(*l->items),
		      customer_dispose_v);
	memset(l, 0, sizeof(*l));
}

static int
customer_row(void *item, const json_t *row, void *ctx)
{
	char what[80];

	(void)ctx;
	snprintf(what, sizeof(what), "BigCommerce customer %lld",
		 peek_id(row, "id"));
	return FIELDS_PARSE(item, customer_fields, row, what);
}

static int
customers_query(ps_bc_customer_list *out, ps_bc *bc, const char *path,
		const char *what)
{
	struct vec v = {NULL, 0, 0, sizeof(ps_bc_customer)};
	int error;

	memset(out, 0, sizeof(*out));
	error = bc_walk(bc, &v, path, "v3/customers", what, 1, customer_row,
			NULL, 0);
	if (error < 0) {
		vec_dispose(&v, customer_dispose_v);
		return error;
	}
	out->items = v.items;
	out->count = v.count;
	return 0;
}

int
ps_bc_customer_get(ps_bc_customer *out, ps_bc *bc, int64_t id)
{
	ps_bc_customer_list l;
	char path[64], what[64];
	size_t i;
	int error;

	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "/v3/customers?id:in=%lld", (long long)id);
	snprintf(what, sizeof(what), "reading customer %lld", (long long)id);
	if ((error = customers_query(&l, bc, path, what)) < 0)
		return error;
	error = ps_error_set(PS_ENOTFOUND,
			     "BigCommerce customer %lld not "
			     "found",
			     (long long)id);
	for (i = 0; i < l.count; i++) {
		if (l.items[i].id == id) {
			*out = l.items[i];
			memset(&l.items[i], 0, sizeof(l.items[i]));
			error = 0;
			break;
		}
	}
	ps_bc_customer_list_dispose(&l);
	return error;
}

int
ps_bc_customers_find_email(ps_bc_customer_list *out, ps_bc *bc,
			   const char *email)
{
	ps_conn_buf p = PS_CONN_BUF_INIT(0);
	char what[BC_QUERY_VALUE_MAX + 64];
	int error;

	memset(out, 0, sizeof(*out));
	if (email == NULL || *email == '\0' ||
	    strlen(email) > BC_QUERY_VALUE_MAX)
		return ps_error_set(PS_EINVAL,
				    "an email to look up in "
				    "BigCommerce is empty or too long");
	snprintf(what, sizeof(what), "searching customers by email '%s'",
		 email);
	ps_conn__buf_add(&p, "/v3/customers?email:in=");
	ps_conn__buf_add_urlenc(&p, email);
	if ((error = ps_conn__buf_check(&p, "a customer search URL")) == 0)
		error = customers_query(out, bc, p.data, what);
	ps_conn__buf_dispose(&p);
	return error;
}

/* --- transactions and refunds --------------------------------------------- */

static const struct bc_field txn_fields[] = {
	FLD(ps_bc_transaction, "id", id, BK_I64, 1),
	FLD(ps_bc_transaction, "order_id", order_id, BK_I64, 0),
	FLD(ps_bc_transaction, "event", event_name, BK_STR, 1),
	FLD(ps_bc_transaction, "method", method, BK_STR, 0),
	FLD(ps_bc_transaction, "amount", amount, BK_MONEY, 1),
	FLD(ps_bc_transaction, "currency", currency, BK_STR, 0),
	FLD(ps_bc_transaction, "gateway", gateway, BK_STR, 0),
	FLD(ps_bc_transaction, "gateway_transaction_id", gateway_transaction_id,
	    BK_STR, 0),
	FLD(ps_bc_transaction, "payment_method_id", payment_method_id, BK_STR,
	    0),
	FLD(ps_bc_transaction, "test", test, BK_BOOL, 0),
	FLD(ps_bc_transaction, "date_created", date_created, BK_ISO8601, 0),
};

static void
txn_dispose(void *t)
{
	FIELDS_FREE(t, txn_fields);
}

void
ps_bc_transaction_list_dispose(ps_bc_transaction_list *l)
{
	if (l == NULL)
		return;
	items_dispose(l->items, l->count, sizeof(*l->items), txn_dispose);
	memset(l, 0, sizeof(*l));
}

static int
txn_row(void *item, const json_t *row, void *ctx)
{
	static const struct {
		const char *name;
		ps_bc_txn_event event;
	} events[] = {
		{"purchase", PS_BC_TXN_PURCHASE},
		{"authorization", PS_BC_TXN_AUTHORIZATION},
		{"capture", PS_BC_TXN_CAPTURE},
		{"refund", PS_BC_TXN_REFUND},
		{"void", PS_BC_TXN_VOID},
		{"pending", PS_BC_TXN_PENDING},
		{"settled", PS_BC_TXN_SETTLED},
	};
	ps_bc_transaction *t = item;
	const char *status = json_string_value(json_object_get(row, "status"));
	char what[96];
	size_t i;
	int error;

	snprintf(what, sizeof(what), "BigCommerce order %lld transaction %lld",
		 *(const long long *)ctx, peek_id(row, "id"));
	if ((error = FIELDS_PARSE(t, txn_fields, row, what)) < 0)
		return error;
	t->event = PS_BC_TXN_OTHER;
	for (i = 0; i < PS__ARRAY_LEN(events); i++)
		if (strcmp(t->event_name, events[i].name) == 0)
			t->event = events[i].event;
	/* An absent status is taken as ok: not every gateway fills it. */
	t->ok = status == NULL || strcmp(status, "ok") == 0;
	t->captured = t->ok && (t->event == PS_BC_TXN_PURCHASE ||
				t->event == PS_BC_TXN_CAPTURE);
	t->authorized = t->ok && t->event == PS_BC_TXN_AUTHORIZATION;
	return 0;
}

int
ps_bc_transactions_list(ps_bc_transaction_list *out, ps_bc *bc,
			int64_t order_id)
{
	struct vec v = {NULL, 0, 0, sizeof(ps_bc_transaction)};
	long long lid = (long long)order_id;
	char path[64], what[80];
	int error;

	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "/v3/orders/%lld/transactions", lid);
	snprintf(what, sizeof(what), "listing the transactions of order %lld",
		 lid);
	error = bc_walk(bc, &v, path, "v3/orders/{id}/transactions", what, 1,
			txn_row, &lid, 0);
	if (error < 0) {
		vec_dispose(&v, txn_dispose);
		return error;
	}
	out->items = v.items;
	out->count = v.count;
	return 0;
}

static const struct bc_field refund_fields[] = {
	FLD(ps_bc_refund, "id", id, BK_I64, 1),
	FLD(ps_bc_refund, "order_id", order_id, BK_I64, 0),
	FLD(ps_bc_refund, "created", created, BK_ISO8601, 0),
	FLD(ps_bc_refund, "reason", reason, BK_STR, 0),
	FLD(ps_bc_refund, "total_amount", total_amount, BK_MONEY, 1),
	FLD(ps_bc_refund, "total_tax", total_tax, BK_MONEY, 0),
};

static const struct bc_field refund_item_fields[] = {
	FLD(ps_bc_refund_item, "item_type", item_type, BK_STR, 1),
	FLD(ps_bc_refund_item, "item_id", item_id, BK_I64, 0),
	FLD(ps_bc_refund_item, "quantity", quantity, BK_I64, 0),
	FLD(ps_bc_refund_item, "requested_amount", requested_amount, BK_MONEY,
	    0),
};

static void
refund_dispose(void *p)
{
	ps_bc_refund *r = p;
	size_t i;

	FIELDS_FREE(r, refund_fields);
	for (i = 0; i < r->nitems; i++)
		FIELDS_FREE(&r->items[i], refund_item_fields);
	free(r->items);
	memset(r, 0, sizeof(*r));
}

void
ps_bc_refund_list_dispose(ps_bc_refund_list *l)
{
	if (l == NULL)
		return;
	items_dispose(l->items, l->count, sizeof(*l->items), refund_dispose);
	memset(l, 0, sizeof(*l));
}

static int
refund_row(void *item, const json_t *row, void *ctx)
{
	ps_bc_refund *r = item;
	const json_t *items = json_object_get(row, "items");
	char what[96];
	int error;

	snprintf(what, sizeof(what), "BigCommerce order %lld refund %lld",
		 *(const long long *)ctx, peek_id(row, "id"));
	if ((error = FIELDS_PARSE(r, refund_fields, row, what)) < 0)
		return error;
	r->items = subitems_parse(&error, &r->nitems, sizeof(*r->items), items,
				  refund_item_fields,
				  PS__ARRAY_LEN(refund_item_fields), what);
	if (error < 0)
		refund_dispose(r);
	return error;
}

int
ps_bc_refunds_list(ps_bc_refund_list *out, ps_bc *bc, int64_t order_id)
{
	struct vec v = {NULL, 0, 0, sizeof(ps_bc_refund)};
	long long lid = (long long)order_id;
	char path[80], what[80];
	int error;

	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "/v3/orders/%lld/payment_actions/refunds",
		 lid);
	snprintf(what, sizeof(what), "listing the refunds of order %lld", lid);
	error = bc_walk(bc, &v, path, "v3/orders/{id}/payment_actions/refunds",
			what, 1, refund_row, &lid, 0);
	if (error < 0) {
		vec_dispose(&v, refund_dispose);
		return error;
	}
	out->items = v.items;
	out->count = v.count;
	return 0;
}

/* --- webhooks ------------------------------------------------------------- */

static const struct bc_field hook_fields[] = {
	FLD(ps_bc_webhook, "id", id, BK_I64, 1),
	FLD(ps_bc_webhook, "scope", scope, BK_STR, 1),
	FLD(ps_bc_webhook, "destination", destination, BK_STR, 1),
	FLD(ps_bc_webhook, "is_active", is_active, BK_BOOL, 0),
	FLD(ps_bc_webhook, "created_at", created_at, BK_EPOCH, 0),
	FLD(ps_bc_webhook, "updated_at", updated_at, BK_EPOCH, 0),
};

void
ps_bc_webhook_dispose(ps_bc_webhook *w)
{
	size_t i;

	if (w == NULL)
		return;
	FIELDS_FREE(w, hook_fields);
	for (i = 0; i < w->nheaders; i++) {
		free(w->headers[i].name);
		free(w->headers[i].value);
	}
	free(w->headers);
	memset(w, 0, sizeof(*w));
}

static void
hook_dispose_v(void *w)
{
	ps_bc_webhook_dispose(w);
}

void
ps_bc_webhook_list_dispose(ps_bc_webhook_list *l)
{
	if (l == NULL)
		return;
	items_dispose(l->items, l->count, sizeof(*l->items), hook_dispose_v);
	memset(l, 0, sizeof(*l));
}

static int
hook_row(void *item, const json_t *row, void *ctx)
{
	ps_bc_webhook *w = item;
	const json_t *hdrs = json_object_get(row, "headers");
	const char *key;
	json_t *val;
	char what[80];
	int error;

	(void)ctx;
	snprintf(what, sizeof(what), "BigCommerce webhook %lld",
		 peek_id(row, "id"));
	if ((error = FIELDS_PARSE(w, hook_fields, row, what)) < 0)
		return error;
	if (json_is_object(hdrs) && json_object_size(hdrs) > 0) {
		w->headers =
			calloc(json_object_size(hdrs), sizeof(*w->headers));
		if (w->headers == NULL) {
			error = ps_error_set(PS_ENOMEM, NULL);
			goto done;
		}
		json_object_foreach((json_t *)hdrs, key, val)
		{
			ps_bc_header *h = &w->headers[w->nheaders];

			if (!json_is_string(val))
				continue;
			h->name = ps_util__strdup(key);
			h->value = ps_util__strdup(json_string_value(val));
			w->nheaders++;
			if (h->name == NULL || h->value == NULL) {
				error = ps_error_set(PS_ENOMEM, NULL);
				goto done;
			}
		}
	}
done:
	if (error < 0)
		ps_bc_webhook_dispose(w);
	return error;
}

int
ps_bc_webhooks_list(ps_bc_webhook_list *out, ps_bc *bc)
{
	struct vec v = {NULL, 0, 0, sizeof(ps_bc_webhook)};
	int error;

	memset(out, 0, sizeof(*out));
	error = bc_walk(bc, &v, "/v3/hooks", "v3/hooks", "listing webhooks", 1,
			hook_row, NULL, 0);
	if (error < 0) {
		vec_dispose(&v, hook_dispose_v);
		return error;
	}
	out->items = v.items;
	out->count = v.count;
	return 0;
}

/* The hook with this scope and destination: 0, PS_ENOTFOUND or an error. */
static int
hook_find(ps_bc_webhook *out, ps_bc *bc, const char *scope,
	  const char *destination)
{
	ps_bc_webhook_list l;
	size_t i;
	int error;

	memset(out, 0, sizeof(*out));
	if ((error = ps_bc_webhooks_list(&l, bc)) < 0)
		return error;
	error = PS_ENOTFOUND;
	for (i = 0; i < l.count; i++) {
		if (strcmp(l.items[i].scope, scope) == 0 &&
		    strcmp(l.items[i].destination, destination) == 0) {
			*out = l.items[i];
			memset(&l.items[i], 0, sizeof(l.items[i]));
			error = 0;
			break;
		}
	}
	ps_bc_webhook_list_dispose(&l);
	return error;
}

int
ps_bc_webhook_create(ps_bc_webhook *out, ps_bc *bc, const char *scope,
		     const char *destination, const ps_bc_header_spec *headers,
		     size_t nheaders)
{
	char what[300];
	struct bc_req rq = {"POST", "/v3/hooks", "v3/hooks", NULL, 0, what};
	json_t *hdrs = NULL, *root = NULL;
	size_t i;
	int error = 0, attempt, found;

	memset(out, 0, sizeof(*out));
	if (scope == NULL || *scope == '\0' || destination == NULL ||
	    *destination == '\0')
		return ps_error_set(PS_EINVAL, "a BigCommerce webhook needs a "
					       "scope and a destination");
	snprintf(what, sizeof(what), "registering webhook %.60s -> %.200s",
		 scope, destination);
	if ((hdrs = json_object()) == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	for (i = 0; i < nheaders; i++) {
		if (headers[i].name == NULL || headers[i].value == NULL ||
		    json_object_set_new(hdrs, headers[i].name,
					json_string(headers[i].value)) < 0) {
			json_decref(hdrs);
			return ps_error_set(PS_EINVAL,
					    "BigCommerce webhook header %zu is "
					    "empty or not UTF-8",
					    i + 1);
		}
	}
	rq.body = json_pack("{s:s,s:s,s:b,s:o}", "scope", scope, "destination",
			    destination, "is_active", 1, "headers", hdrs);
	if (rq.body == NULL)
		return ps_error_set(PS_EINVAL,
				    "BigCommerce webhook scope or "
				    "destination is not valid UTF-8");
	for (attempt = 1;; attempt++) {
		if ((error = bc_call_json(&root, bc, &rq)) == 0) {
			error = root ? hook_row(out, v3_data(root), NULL)
				     : ps_error_set(PS_EPARSE,
						    "BigCommerce: %s: the "
						    "reply was empty",
						    what);
			goto done;
		}
		if (error == PS_EDATA) {
			/* Refused: maybe because the hook already exists
			 * (one per scope and destination): adopt it. */
			char why[PS_ERROR_MAX];

			ps_util__strlcpy(why, ps_error_last(), sizeof(why));
			found = hook_find(out, bc, scope, destination);
			if (found == 0)
				error = 0;
			else
				ps_error_set(error, "%s", why);
			goto done;
		}
		if (!ambiguous(error) || attempt >= BC_CREATE_ATTEMPTS)
			goto done;
		/* One hook per scope and destination: look before retrying. */
		ps_log_warn("bigcommerce", "%s", ps_error_last());
		found = hook_find(out, bc, scope, destination);
		if (found != PS_ENOTFOUND) {
			error = found;
			goto done;
		}
	}
done:
	json_decref(root);
	json_decref(rq.body);
	return error;
}

int
ps_bc_webhook_set_active(ps_bc_webhook *out, ps_bc *bc, int64_t id, int active)
{
	char path[64], what[80];
	struct bc_req rq = {"PUT", path, "v3/hooks/{id}", NULL, 1, what};
	ps_bc_webhook tmp;
	json_t *root = NULL;
	int error;

	memset(&tmp, 0, sizeof(tmp));
	if (out != NULL)
		memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "/v3/hooks/%lld", (long long)id);
	snprintf(what, sizeof(what), "%s webhook %lld",
		 active ? "re-activating" : "deactivating", (long long)id);
	if ((rq.body = json_pack("{s:b}", "is_active", active)) == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	if ((error = bc_call_json(&root, bc, &rq)) < 0)
		goto done;
	if (out != NULL)
		error = root ? hook_row(out, v3_data(root), NULL)
			     : ps_error_set(PS_EPARSE,
					    "BigCommerce: %s: the "
					    "reply was empty",
					    what);
	else if (root != NULL &&
		 (error = hook_row(&tmp, v3_data(root), NULL)) == 0)
		ps_bc_webhook_dispose(&tmp);
done:
	json_decref(root);
	json_decref(rq.body);
	return error;
}

int
ps_bc_webhook_delete(ps_bc *bc, int64_t id)
{
	char path[64], what[64];
	struct bc_req rq = {"DELETE", path, "v3/hooks/{id}", NULL, 1, what};
	ps_http_response resp = PS_HTTP_RESPONSE_INIT;
	int error;

	snprintf(path, sizeof(path), "/v3/hooks/%lld", (long long)id);
	snprintf(what, sizeof(what), "deleting webhook %lld", (long long)id);
	error = bc_call(bc, &resp, &rq);
	/* A 404 on a repeat means an earlier attempt (whose reply was lost)
	 * deleted it: the goal is reached. */
	if (error == PS_ENOTFOUND && resp.attempts > 1)
		error = 0;
	ps_http_response_dispose(&resp);
	return error;
}

/* Transfers at once for reads that go one per order. */
#define BC_PARALLEL 4

/*
 * The one page of transactions in resp, when it is the whole list: 1 with
 * *out filled, 0 when it is not (another page, not JSON, an error status:
 * the caller reads the list the ordinary way), or an error (memory).
 */
static int
txn_page(ps_bc_transaction_list *out, ps_bc *bc, const ps_http_response *resp,
	 int64_t order_id)
{
	struct vec v = {NULL, 0, 0, sizeof(ps_bc_transaction)};
	long long lid = (long long)order_id;
	const json_t *rows, *pages;
	json_t *root = NULL;
	size_t i;
	int error = 0;

	if (resp->status == 204 || (resp->status >= 200 && resp->status < 300 &&
				    resp->body_len == 0))
		return 1; /* no transactions */
	if (resp->status < 200 || resp->status > 299)
		return 0;
	if (ps_http_response_json(&root, resp, PS_PLATFORM_BIGCOMMERCE) < 0) {
		ps_error_clear();
		return 0;
	}
	rows = v3_data(root);
	pages = json_object_get(
		json_object_get(json_object_get(root, "meta"), "pagination"),
		"total_pages");
	if (!json_is_array(rows) ||
	    (json_is_integer(pages) ? json_integer_value(pages) > 1
				    : json_array_size(rows) >=
					      (size_t)bc->page_limit))
		goto done; /* 0: more than one page */
	for (i = 0; i < json_array_size(rows); i++) {
		void *slot = vec_push(&v);

		if (slot == NULL) {
			error = ps_error_set(PS_ENOMEM, NULL);
			goto done;
		}
		if (txn_row(slot, json_array_get(rows, i), &lid) < 0) {
			v.count--;
			ps_error_clear();
			goto done; /* the ordinary read reports it */
		}
	}
	out->items = v.items;
	out->count = v.count;
	memset(&v, 0, sizeof(v));
	error = 1;
done:
	vec_dispose(&v, txn_dispose);
	json_decref(root);
	return error;
}

int
ps_bc_transactions_list_many(ps_bc_transaction_list *outs, ps_bc *bc,
			     const int64_t *ids, size_t n)
{
	const char *headers[3];
	ps_http_request *reqs = NULL;
	ps_http_response *resps = NULL;
	ps_conn_buf *urls = NULL;
	int *errs = NULL, got;
	size_t i;
	int error = 0, many;

	for (i = 0; i < n; i++)
		memset(&outs[i], 0, sizeof(outs[i]));
	many = bc->send == NULL && n > 1;
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
			ps_conn__buf_addf(&urls[i],
					  "/v3/orders/%lld/transactions"
					  "?limit=%d&page=1",
					  (long long)ids[i], bc->page_limit);
			if ((error = ps_conn__buf_check(
				     &urls[i], "a BigCommerce list URL")) < 0)
				goto done;
			reqs[i].platform = PS_PLATFORM_BIGCOMMERCE;
			reqs[i].account = bc->hash;
			reqs[i].method = "GET";
			reqs[i].url = urls[i].data;
			reqs[i].endpoint = "v3/orders/{id}/transactions";
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
		    (got = txn_page(&outs[i], bc, &resps[i], ids[i])) < 0) {
			error = got;
			goto done;
		}
		if (got == 0 && (error = ps_bc_transactions_list(
					 &outs[i], bc, ids[i])) < 0)
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
	if (error < 0)
		for (i = 0; i < n; i++)
			ps_bc_transaction_list_dispose(&outs[i]);
	return error;
}
