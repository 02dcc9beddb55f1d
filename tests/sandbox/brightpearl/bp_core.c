/*
 * bp_core.c - the Brightpearl simulator: wire behaviour shared by every
 * resource.
 *
 * Requests arrive as {base}/public-api/{account}/{service}/...; this file
 * checks the account and the auth headers (private-app, staff and OAuth
 * bearer forms), counts the request against the account's rolling window,
 * stamps the throttle headers on every reply (401 and 503 included),
 * provides the envelope, id sets, the generic resource-search engine,
 * webhook firing and the /_sandbox/brightpearl/ control calls.  Resource
 * handlers live in bp_api.c.
 */
#include "bp.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* 503 body past the cap (reference section 4; wording UNCONFIRMED). */
static const char bp_throttle_text[] = "You have sent too many requests. "
				       "Please wait before sending another "
				       "request";

/* Webhook retry delays (ms, divided by the platform's time scale). */
static const int64_t bp_hook_schedule[] = {60000, 120000, 300000, 600000,
					   1800000};

int64_t
bp_next_id(bp_state *bp, enum bp_seq seq)
{
	return ++bp->next_id[seq];
}

/* ---- envelope ----------------------------------------------------------- */

void
bp_ok_status(sb_response *resp, int status, json_t *value)
{
	if (!value) {
		sb_resp_json(resp, status, json_object(), BP_CTYPE);
		return;
	}
	sb_resp_json(resp, status, json_pack("{s:o}", "response", value),
		     BP_CTYPE);
}

void
bp_ok(sb_response *resp, json_t *value)
{
	bp_ok_status(resp, 200, value);
}

void
bp_err(sb_response *resp, int status, const char *code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sb_resp_json(resp, status,
		     json_pack("{s:[{s:s,s:s}]}", "errors", "code", code,
			       "message", msg),
		     BP_CTYPE);
}

void
bp_msgtype(sb_response *resp, const char *name)
{
	sb_resp_header(resp, 1, "Message-Type", "%s", name);
}

/* ---- id sets ------------------------------------------------------------ */

int
bp_idset_parse(bp_idset *set, const char *s)
{
	const char *p = s;

	memset(set, 0, sizeof(*set));
	if (!s || !*s)
		return -1;
	if (strcmp(s, "*") == 0) {
		set->all = 1;
		return 0;
	}
	while (*p) {
		char *end;
		long long lo, hi;

		if (!isdigit((unsigned char)*p))
			return -1;
		lo = strtoll(p, &end, 10);
		hi = lo;
		p = end;
		if (*p == '-') {
			p++;
			if (!isdigit((unsigned char)*p))
				return -1;
			hi = strtoll(p, &end, 10);
			p = end;
			if (hi < lo) /* only ascending ranges */
				return -1;
		}
		if (set->n >= sizeof(set->lo) / sizeof(set->lo[0]))
			return -1;
		set->lo[set->n] = lo;
		set->hi[set->n] = hi;
		set->n++;
		if (*p == ',') {
			p++;
			if (!*p)
				return -1;
		} else if (*p) {
			return -1;
		}
	}
	return 0;
}

int
bp_idset_has(const bp_idset *set, int64_t id)
{
	size_t i;

	if (set->all)
		return 1;
	for (i = 0; i < set->n; i++)
		if (id >= set->lo[i] && id <= set->hi[i])
			return 1;
	return 0;
}

static int
cmp_id(const void *a, const void *b)
{
	int64_t x = json_integer_value(json_array_get(*(json_t *const *)a, 0));
	int64_t y = json_integer_value(json_array_get(*(json_t *const *)b, 0));

	return x < y ? -1 : x > y;
}

/* Sort [[id, obj], ...] pairs by id, then keep up to cap objects. */
static json_t *
pairs_to_sorted(json_t *pairs, size_t cap)
{
	size_t n = json_array_size(pairs), i;
	json_t **v = calloc(n ? n : 1, sizeof(*v));
	json_t *out = json_array();

	for (i = 0; i < n; i++)
		v[i] = json_array_get(pairs, i);
	qsort(v, n, sizeof(*v), cmp_id);
	for (i = 0; i < n && i < cap; i++)
		json_array_append(out, json_array_get(v[i], 1));
	free(v);
	json_decref(pairs);
	return out;
}

size_t
bp_idset_span(const bp_idset *set)
{
	size_t i, n = 0;

	if (set->all)
		return (size_t)-1;
	for (i = 0; i < set->n; i++) {
		/* ascending and apart, as clients normalise them */
		if (i > 0 && set->lo[i] <= set->hi[i - 1])
			return (size_t)-1;
		if (set->hi[i] - set->lo[i] >= (int64_t)1 << 30)
			return (size_t)-1;
		n += (size_t)(set->hi[i] - set->lo[i]) + 1;
	}
	return n;
}

json_t *
bp_idset_select(const bp_idset *set, json_t *coll, size_t cap)
{
	json_t *pairs = json_array(), *v;
	const char *key;
	int64_t id;
	char buf[32];
	size_t i;

	if (bp_idset_span(set) <= json_object_size(coll)) {
		/* a set smaller than the collection: look each id up, so a
		 * read of 200 products costs 200 lookups, not a scan of all */
		for (i = 0; i < set->n; i++)
			for (id = set->lo[i]; id <= set->hi[i]; id++) {
				snprintf(buf, sizeof(buf), "%lld",
					 (long long)id);
				if ((v = json_object_get(coll, buf)) != NULL)
					json_array_append_new(
						pairs,
						json_pack("[IO]",
							  (json_int_t)id, v));
			}
		return pairs_to_sorted(pairs, cap);
	}
	json_object_foreach (coll, key, v) {
		if (sb_parse_int(key, &id) == 0 && bp_idset_has(set, id))
			json_array_append_new(
				pairs, json_pack("[IO]", (json_int_t)id, v));
	}
	return pairs_to_sorted(pairs, cap);
}

json_t *
bp_idset_select_arr(const bp_idset *set, json_t *arr, const char *idkey,
		    size_t cap)
{
	json_t *pairs = json_array(), *v;
	size_t i;

	json_array_foreach (arr, i, v) {
		int64_t id = sb_json_int(json_object_get(v, idkey), -1);

		if (bp_idset_has(set, id))
			json_array_append_new(
				pairs, json_pack("[IO]", (json_int_t)id, v));
	}
	return pairs_to_sorted(pairs, cap);
}

/* ---- time and numbers --------------------------------------------------- */

static int64_t
days_from_civil(int64_t y, int m, int d)
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
bp_parse_time(const char *s, int64_t *out)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, ms = 0, off = 0, n = 0;

	if (!s || sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
		return -1;
	s += n;
	if (*s == 'T' || *s == ' ') {
		if (sscanf(s + 1, "%2d:%2d:%2d%n", &h, &mi, &sec, &n) != 3)
			return -1;
		s += 1 + n;
		if (*s == '.') {
			int digits = 0;

			s++;
			while (isdigit((unsigned char)*s)) {
				if (digits < 3) {
					ms = ms * 10 + (*s - '0');
					digits++;
				}
				s++;
			}
			while (digits++ < 3)
				ms *= 10;
		}
		if (*s == 'Z') {
			s++;
		} else if (*s == '+' || *s == '-') {
			int oh, om;

			if (sscanf(s + 1, "%2d:%2d", &oh, &om) != 2)
				return -1;
			off = (oh * 60 + om) * (*s == '-' ? -1 : 1);
			s += 6;
		}
	}
	if (*s)
		return -1;
	*out = ((days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec -
		 off * 60) *
		1000) +
	       ms;
	return 0;
}

double
bp_num(const json_t *v, double def)
{
	char *end;
	double d;

	if (json_is_number(v))
		return json_number_value(v);
	if (json_is_string(v)) {
		d = strtod(json_string_value(v), &end);
		if (end != json_string_value(v) && *end == '\0')
			return d;
	}
	return def;
}

json_t *
bp_money(double v)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%.4f", round(v * 10000.0) / 10000.0);
	return json_string(buf);
}

/* ---- search ------------------------------------------------------------- */

static const char *const bp_search_params[] = {
	"pageSize", "firstResult", "sort", "columns", "countOnly", NULL};

static int
is_search_param(const char *name)
{
	size_t i;

	for (i = 0; bp_search_params[i]; i++)
		if (strcmp(bp_search_params[i], name) == 0)
			return 1;
	return 0;
}

static json_t *
col_json(const bp_col *c)
{
	return json_pack("{s:s,s:b,s:b,s:s,s:o,s:b,s:b}", "name", c->name,
			 "sortable", 1, "filterable", 1, "reportDataType",
			 c->type, "referenceData",
			 c->ref ? json_pack("[s]", c->ref) : json_array(),
			 "isFreeTextSearchable", 0, "required", 0);
}

static int
ci_contains(const char *hay, const char *needle)
{
	size_t n = strlen(needle), i;

	for (i = 0; hay[i]; i++)
		if (strncasecmp(hay + i, needle, n) == 0)
			return 1;
	return n == 0;
}

/* Does value v pass filter text f of type t?  -1 = filter unparsable. */
static int
filter_match(const char *t, json_t *v, const char *f)
{
	int64_t n, a, b;
	char buf[64];
	const char *s;

	if (strcmp(t, "IDSET") == 0) {
		bp_idset set;

		if (bp_idset_parse(&set, f))
			return -1;
		return json_is_null(v) ? 0
				       : bp_idset_has(&set, sb_json_int(v, -1));
	}
	if (strcmp(t, "INTEGER") == 0) {
		if (sb_parse_int(f, &n))
			return -1;
		return !json_is_null(v) && sb_json_int(v, INT64_MIN) == n;
	}
	if (strcmp(t, "BOOLEAN") == 0) {
		if (strcmp(f, "true") && strcmp(f, "false"))
			return -1;
		return json_is_true(v) == (strcmp(f, "true") == 0);
	}
	if (strcmp(t, "PERIOD") == 0 || strcmp(t, "DATETIME") == 0) {
		const char *slash = strchr(f, '/');
		size_t l;

		if (!json_is_string(v) ||
		    bp_parse_time(json_string_value(v), &n))
			return 0;
		if (!slash)
			return bp_parse_time(f, &a) ? -1 : n >= a;
		l = (size_t)(slash - f);
		if (l >= sizeof(buf))
			return -1;
		memcpy(buf, f, l);
		buf[l] = '\0';
		if (l && bp_parse_time(buf, &a))
			return -1;
		if (slash[1] && bp_parse_time(slash + 1, &b))
			return -1;
		return (!l || n >= a) && (!slash[1] || n <= b);
	}
	if (json_is_integer(v)) {
		snprintf(buf, sizeof(buf), "%lld",
			 (long long)json_integer_value(v));
		s = buf;
	} else {
		s = sb_json_str(v, NULL);
	}
	if (!s)
		return 0;
	if (strcmp(t, "SEARCH_STRING") == 0 ||
	    strcmp(t, "FREE_TEXT_QUERY") == 0)
		return ci_contains(s, f);
	if (strcmp(t, "STRING_SET") == 0) {
		char item[256];
		const char *p = f;

		while (*p) {
			size_t l = strcspn(p, ",");

			if (l < sizeof(item)) {
				memcpy(item, p, l);
				item[l] = '\0';
				if (strcasecmp(item, s) == 0)
					return 1;
			}
			p += l;
			if (*p == ',')
				p++;
		}
		return 0;
	}
	/* STRING: exact, case-insensitive (SKU and reference lookups) */
	return strcasecmp(s, f) == 0;
}

/* qsort has no context argument: the sort key lives here, used only under
 * the sandbox lock. */
static size_t sort_col;
static int sort_desc;

static int
cmp_cells(json_t *a, json_t *b)
{
	if (json_is_null(a) || !a)
		return (json_is_null(b) || !b) ? 0 : -1;
	if (json_is_null(b) || !b)
		return 1;
	if (json_is_number(a) && json_is_number(b))
		return json_number_value(a) < json_number_value(b)   ? -1
		       : json_number_value(a) > json_number_value(b) ? 1
								     : 0;
	return strcmp(sb_json_str(a, ""), sb_json_str(b, ""));
}

/* By the sort column; ties by the first (id) column, ascending, so pages
 * are stable whatever the direction. */
static int
cmp_rows(const void *pa, const void *pb)
{
	json_t *ra = *(json_t *const *)pa, *rb = *(json_t *const *)pb;
	int r = cmp_cells(json_array_get(ra, sort_col),
			  json_array_get(rb, sort_col));

	if (r != 0)
		return sort_desc ? -r : r;
	return cmp_cells(json_array_get(ra, 0), json_array_get(rb, 0));
}

static int
find_col(const bp_col *cols, size_t ncols, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < ncols; i++)
		if (strlen(cols[i].name) == len &&
		    strncmp(cols[i].name, name, len) == 0)
			return (int)i;
	return -1;
}

/*
 * The last search's kept rows, in order: reused while the same rows array
 * (referenced here, so its address cannot be taken by another) is searched
 * with the same filters and sort, so a client paging through 20,000 rows
 * filters and checks the order once, not once a page.  The sandbox lock
 * covers it, as it covers sort_col.
 */
static struct {
	json_t *rows;
	const bp_col *cols;
	char *key;
	json_t **vec;
	size_t n;
	int si, desc;
} last_search;

/* "name=value&..." of the filters and sort of req (not the paging). */
static char *
search_key(const sb_request *req)
{
	size_t j, len = 1;
	char *key, *p;

	for (j = 0; j < req->nquery; j++)
		if (strcmp(req->query[j].name, "sort") == 0 ||
		    !is_search_param(req->query[j].name))
			len += strlen(req->query[j].name) +
			       strlen(req->query[j].value) + 2;
	if ((key = p = malloc(len)) == NULL)
		return NULL;
	for (j = 0; j < req->nquery; j++)
		if (strcmp(req->query[j].name, "sort") == 0 ||
		    !is_search_param(req->query[j].name))
			p += sprintf(p, "%s=%s&", req->query[j].name,
				     req->query[j].value);
	*p = '\0';
	return key;
}

/*
 * The rows of rows that req's filters keep, sorted as it asks, into
 * last_search (borrowed cells of rows); -1 with resp filled when a filter
 * cannot be parsed.
 */
static int
search_select(sb_request *req, sb_response *resp, const bp_col *cols,
	      size_t ncols, json_t *rows)
{
	int qcol[64], si = 0, desc = 0;
	json_t *row, **vec;
	const char *v;
	size_t i, j, n = 0, nq = req->nquery < 64 ? req->nquery : 64;
	char *key = search_key(req);

	if (key != NULL && last_search.key != NULL &&
	    last_search.rows == rows && last_search.cols == cols &&
	    strcmp(last_search.key, key) == 0) {
		free(key);
		return 0;
	}
	for (j = 0; j < nq; j++)
		qcol[j] = is_search_param(req->query[j].name)
				  ? -1
				  : find_col(cols, ncols, req->query[j].name,
					     strlen(req->query[j].name));
	vec = calloc(json_array_size(rows) + 1, sizeof(*vec));
	if (vec == NULL) {
		free(key);
		bp_err(resp, 500, "CMNC-500", "out of memory");
		return -1;
	}
	json_array_foreach (rows, i, row) {
		int keep = 1;

		for (j = 0; j < nq && keep; j++) {
			int c = qcol[j], m;

			if (c < 0)
				continue; /* paging, or an unknown filter:
					   * ignored */
			m = filter_match(cols[c].type,
					 json_array_get(row, (size_t)c),
					 req->query[j].value);
			if (m < 0) {
				bp_err(resp, 500, "CMNC-018",
				       "The filter %s=%s cannot be parsed as: "
				       "%s",
				       req->query[j].name, req->query[j].value,
				       strcmp(cols[c].type, "IDSET") == 0
					       ? "IDSET"
					       : cols[c].type);
				free(vec);
				free(key);
				return -1;
			}
			keep = m;
		}
		if (keep)
			vec[n++] = row;
	}
	/* sort: "col.DESC", "col|DESC" or "a,b.DESC" (first key used) */
	v = sb_req_query(req, "sort");
	if (v && *v) {
		size_t l = strcspn(v, ".|,");
		int c = find_col(cols, ncols, v, l);

		if (c >= 0)
			si = c;
		if (v[l] == '.' || v[l] == '|')
			desc = strncasecmp(v + l + 1, "DESC", 4) == 0;
	}
	sort_col = (size_t)si;
	sort_desc = desc;
	/* rows kept in order already (the cached product rows) need no
	 * sort: a check is linear, a sort of 20,000 rows is not */
	for (i = 1; i < n && cmp_rows(&vec[i - 1], &vec[i]) <= 0; i++)
		;
	if (i < n)
		qsort(vec, n, sizeof(*vec), cmp_rows);
	json_decref(last_search.rows);
	free(last_search.key);
	free(last_search.vec);
	last_search.rows = json_incref(rows);
	last_search.cols = cols;
	last_search.key = key != NULL ? key : strdup("\x01"); /* no reuse */
	last_search.vec = vec;
	last_search.n = n;
	last_search.si = si;
	last_search.desc = desc;
	return 0;
}

void
bp_search(sb_request *req, sb_response *resp, const bp_col *cols, size_t ncols,
	  json_t *rows, json_t *reference)
{
	json_t *page, *meta, *colsj, *out;
	int sel[64], nsel = 0, si, desc;
	const char *v;
	int64_t page_size = BP_PAGE_MAX, first = 1;
	size_t i, n, total;
	json_t **vec;

	if (!reference)
		reference = json_object();
	if (search_select(req, resp, cols, ncols, rows) < 0)
		goto fail;
	vec = last_search.vec;
	n = last_search.n;
	si = last_search.si;
	desc = last_search.desc;
	/* columns */
	v = sb_req_query(req, "columns");
	if (v && *v) {
		const char *p = v;

		while (*p && nsel < 64) {
			size_t l = strcspn(p, ",");
			int c = find_col(cols, ncols, p, l);

			if (c >= 0)
				sel[nsel++] = c;
			p += l;
			if (*p == ',')
				p++;
		}
	}
	if (nsel == 0)
		for (i = 0; i < ncols && i < 64; i++)
			sel[nsel++] = (int)i;
	/* paging */
	v = sb_req_query(req, "pageSize");
	if (v && (sb_parse_int(v, &page_size) || page_size < 1))
		page_size = BP_PAGE_MAX;
	if (page_size > BP_PAGE_MAX)
		page_size = BP_PAGE_MAX;
	v = sb_req_query(req, "firstResult");
	if (v && (sb_parse_int(v, &first) || first < 1))
		first = 1;
	total = n;
	page = json_array();
	for (i = (size_t)first - 1;
	     i < n && (int64_t)json_array_size(page) < page_size; i++) {
		json_t *r = json_array();
		int k;

		for (k = 0; k < nsel; k++) {
			json_t *cell = json_array_get(vec[i], (size_t)sel[k]);

			json_array_append(r, cell ? cell : json_null());
		}
		json_array_append_new(page, r);
	}
	/* reference maps keyed by the row id (the product search's category
	 * membership) describe the rows returned, not every row there is */
	{
		json_t *memb =
			json_object_get(reference, "productCategoryMembership");

		if (json_is_object(memb)) {
			json_t *cut = json_object();
			char key[32];

			for (i = (size_t)first - 1;
			     i < n &&
			     i - ((size_t)first - 1) < json_array_size(page);
			     i++) {
				json_t *m;

				snprintf(key, sizeof(key), "%lld",
					 (long long)sb_json_int(
						 json_array_get(vec[i], 0), 0));
				m = json_object_get(memb, key);
				json_object_set_new(cut, key,
						    m ? json_incref(m)
						      : json_array());
			}
			json_object_set_new(reference,
					    "productCategoryMembership", cut);
		}
	}
	colsj = json_array();
	for (i = 0; i < (size_t)nsel; i++)
		json_array_append_new(colsj, col_json(&cols[sel[i]]));
	meta = json_pack("{s:b,s:I,s:I}", "morePagesAvailable",
			 (size_t)first - 1 + json_array_size(page) < total,
			 "resultsAvailable", (json_int_t)total,
			 "resultsReturned", (json_int_t)json_array_size(page));
	if (json_array_size(page) > 0) {
		json_object_set_new(meta, "firstResult", json_integer(first));
		json_object_set_new(
			meta, "lastResult",
			json_integer(first - 1 +
				     (json_int_t)json_array_size(page)));
	}
	json_object_set_new(meta, "columns", colsj);
	json_object_set_new(meta, "sorting",
			    json_pack("[{s:o,s:s}]", "filterable",
				      col_json(&cols[si]), "direction",
				      desc ? "DESC" : "ASC"));
	v = sb_req_query(req, "countOnly");
	if (v && strcmp(v, "true") == 0) {
		json_decref(page);
		page = json_array();
		json_object_set_new(meta, "resultsReturned", json_integer(0));
		json_object_del(meta, "firstResult");
		json_object_del(meta, "lastResult");
	}
	out = json_pack("{s:{s:o,s:o},s:O}", "response", "results", page,
			"metaData", meta, "reference", reference);
	sb_resp_json(resp, 200, out, BP_CTYPE);
	bp_msgtype(resp, "bulk-data-search");
fail:
	json_decref(rows);
	json_decref(reference);
}

/* ---- webhooks ----------------------------------------------------------- */

static const char *const bp_events[] = {
	"drop-ship-note.created",
	"drop-ship-note.destroyed",
	"drop-ship-note.modified.shipped",
	"goods-in-note.created",
	"quarantine-release.created",
	"goods-out-note.created",
	"goods-out-note.destroyed",
	"goods-out-note.modified",
	"goods-out-note.modified.printed",
	"goods-out-note.modified.picked",
	"goods-out-note.modified.packed",
	"goods-out-note.modified.un-printed",
	"goods-out-note.modified.un-picked",
	"goods-out-note.modified.un-packed",
	"goods-out-note.modified.shipped",
	"order.modified",
	"order.modified.order-status",
	"order.modified.fully-shipped",
	"sales-order.created",
	"product.created",
	"product.modified",
	"product.destroyed",
	"product.modified.on-hand-modified",
	NULL,
};

int
bp_event_valid(const char *name)
{
	size_t i, n = strlen(name);

	for (i = 0; bp_events[i]; i++) {
		/* an exact event, or a resource-type prefix ("product") */
		if (strcmp(bp_events[i], name) == 0)
			return 1;
		if (strncmp(bp_events[i], name, n) == 0 &&
		    bp_events[i][n] == '.' && strchr(name, '.') == NULL)
			return 1;
	}
	return 0;
}

/* Does subscription sub cover event ev?  Exact or a dotted prefix. */
static int
subscribed(const char *sub, const char *ev)
{
	size_t n = strlen(sub);

	return strcmp(sub, ev) == 0 ||
	       (strncmp(sub, ev, n) == 0 && ev[n] == '.' &&
		strchr(sub, '.') == NULL);
}

/* Replace every ${var} in tpl; new heap string. */
static char *
render_template(const char *tpl, json_t *vars)
{
	size_t cap = strlen(tpl) * 2 + 256, len = 0;
	char *out = malloc(cap);
	const char *p = tpl;

	if (!out)
		return NULL;
	while (*p) {
		const char *val = NULL, *end;
		size_t vl, need;
		char name[64];

		if (p[0] == '$' && p[1] == '{' && (end = strchr(p, '}')) &&
		    (size_t)(end - p - 2) < sizeof(name)) {
			memcpy(name, p + 2, (size_t)(end - p - 2));
			name[end - p - 2] = '\0';
			val = sb_json_str(json_object_get(vars, name), NULL);
		}
		if (val) {
			vl = strlen(val);
			p = strchr(p, '}') + 1;
		} else {
			val = p;
			vl = 1;
			p++;
		}
		need = len + vl + 1;
		if (need > cap) {
			char *q;

			cap = need * 2;
			q = realloc(out, cap);
			if (!q) {
				free(out);
				return NULL;
			}
			out = q;
		}
		memcpy(out + len, val, vl);
		len += vl;
	}
	out[len] = '\0';
	return out;
}

void
bp_fire(bp_state *bp, const char *event, int64_t id)
{
	const char *key;
	json_t *hook;
	char ids[32], when[48], rtype[64], life[32], spec[64];
	const char *dot1 = strchr(event, '.'), *dot2;
	json_t *vars;

	snprintf(ids, sizeof(ids), "%lld", (long long)id);
	sb_iso_now(when, sizeof(when), 1);
	snprintf(rtype, sizeof(rtype), "%.*s",
		 (int)(dot1 ? (size_t)(dot1 - event) : strlen(event)), event);
	dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
	snprintf(life, sizeof(life), "%.*s",
		 dot1 ? (int)(dot2 ? (size_t)(dot2 - dot1 - 1)
				   : strlen(dot1 + 1))
		      : 0,
		 dot1 ? dot1 + 1 : "");
	snprintf(spec, sizeof(spec), "%s", dot2 ? dot2 + 1 : "");
	vars = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "account-code",
			 bp->pf->sb->opt.bp_account, "resource-type", rtype,
			 "resource-id", ids, "lifecycle-event", life,
			 "resource-specifier", spec, "full-event", event,
			 "raised-on", when, "brightpearl-version",
			 "5.0.0-sandbox");
	json_object_foreach (bp->webhooks, key, hook) {
		const char *sub =
			sb_json_str(json_object_get(hook, "subscribeTo"), "");
		const char *method = sb_json_str(
			json_object_get(hook, "httpMethod"), "POST");
		char *url, *body = NULL;
		int has_body = strcmp(method, "POST") == 0 ||
			       strcmp(method, "PUT") == 0;

		if (!subscribed(sub, event))
			continue;
		url = render_template(
			sb_json_str(json_object_get(hook, "uriTemplate"), ""),
			vars);
		if (has_body)
			body = render_template(
				sb_json_str(
					json_object_get(hook, "bodyTemplate"),
					""),
				vars);
		if (url)
			sb_deliver(bp->pf, method, url,
				   has_body
					   ? sb_json_str(json_object_get(
								 hook,
								 "contentType"),
							 "application/json")
					   : NULL,
				   body, NULL, 0, bp_hook_schedule,
				   sizeof(bp_hook_schedule) /
					   sizeof(bp_hook_schedule[0]),
				   (uint64_t)sb_json_int(
					   json_object_get(hook, "id"), 0),
				   event);
		free(url);
		free(body);
	}
	json_decref(vars);
}

/*
 * Quality of service (reference section 13): 0 = retried only when the
 * receiver answered 503; 1 = retried on anything but 2xx and 4xx.
 */
static int
bp_on_delivery(sb_platform *pf, sb_delivery *d, int status, int last)
{
	bp_state *bp = pf->priv;
	char key[32];
	json_t *hook;
	int64_t qos;

	(void)last;
	if (status >= 200 && status < 300)
		return 1;
	snprintf(key, sizeof(key), "%llu", (unsigned long long)d->hook_id);
	hook = json_object_get(bp->webhooks, key);
	qos = sb_json_int(json_object_get(hook, "qualityOfService"), 1);
	if (qos == 0)
		return status == 503 ? 0 : -1;
	if (status >= 400 && status < 500)
		return -1;
	return 0;
}

/* ---- auth and throttle -------------------------------------------------- */

static void
bp_string_reply(sb_response *resp, int status, const char *text)
{
	sb_resp_json(resp, status, json_pack("{s:s}", "response", text),
		     BP_CTYPE);
}

/* Sandbox time for token expiry: wall seconds plus the control offset. */
static int64_t
bp_time_s(const bp_state *bp)
{
	return (int64_t)time(NULL) + bp->clock_offset_s;
}

/* 0 if authorised, else fills a 401 and returns -1. */
static int
bp_auth(bp_state *bp, sb_request *req, sb_response *resp)
{
	const sb_options *o = &bp->pf->sb->opt;
	const char *app = sb_req_header(req, "brightpearl-app-ref");
	const char *tok = sb_req_header(req, "brightpearl-account-token");
	const char *staff = sb_req_header(req, "brightpearl-staff-token");
	const char *authz = sb_req_header(req, "Authorization");
	char msg[300];

	if (authz && strncasecmp(authz, "Bearer ", 7) == 0) {
		const char *bearer = authz + 7;
		json_t *exp = json_object_get(bp->access, bearer);
		int64_t until = exp ? json_integer_value(exp) : 0;

		if (strcmp(bearer, o->bp_token) == 0)
			until = bp->initial_exp;
		else if (!exp) {
			snprintf(msg, sizeof(msg),
				 "Invalid instance token: %.200s", bearer);
			bp_string_reply(resp, 401, msg);
			return -1;
		}
		/*
		 * No recorded reply shows a bearer call without the dev ref;
		 * the help page (4414330000657) lists it as required.  The
		 * body is the generic unauthenticated one.  Switch:
		 * "require_dev_ref".
		 */
		if (bp->require_dev_ref &&
		    !sb_req_header(req, "brightpearl-dev-ref")) {
			bp_string_reply(resp, 401,
					"Not authenticated. You must provide a "
					"valid authentication token.");
			return -1;
		}
		if (bp->expired || (until > 0 && bp_time_s(bp) >= until)) {
			bp_string_reply(resp, 401,
					"Authorization token expired");
			return -1;
		}
		sb_resp_header(resp, 1,
			       "Brightpearl-Installed-Integration-Instance-Id",
			       "%d", 1);
		return 0;
	}
	if (!tok)
		tok = staff;
	if (!app || !tok) {
		bp_string_reply(resp, 401,
				"Not authenticated. You must provide a valid "
				"authentication token.");
		return -1;
	}
	if (strcmp(app, o->bp_app_ref) != 0 || strcmp(tok, o->bp_token) != 0) {
		snprintf(msg, sizeof(msg), "Invalid instance token: %.200s",
			 tok);
		bp_string_reply(resp, 401, msg);
		return -1;
	}
	return 0;
}

static void
stamp_headers(sb_response *resp, int remaining, int64_t period)
{
	char uuid[40];
	static unsigned long long ruid; /* request counter, under the lock */

	sb_resp_header(resp, 1, "brightpearl-requests-remaining", "%d",
		       remaining);
	sb_resp_header(resp, 1, "brightpearl-next-throttle-period", "%lld",
		       (long long)period);
	snprintf(uuid, sizeof(uuid), "00000000-0000-4000-8000-%012llx", ++ruid);
	sb_resp_header(resp, 1, "Ruid", "%s", uuid);
	sb_resp_header(resp, 1, "Cache-Control", "no-cache, must-revalidate");
	sb_resp_header(resp, 1, "Pragma", "no-cache");
}

/* ---- OAuth token endpoint (section 2) ----------------------------------- */

/* Fixed codes a test can use; the access token is --bp-token. */
#define BP_OAUTH_CODE "sandbox-code"
#define BP_OAUTH_REFRESH "sandbox-refresh"

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

		if (l > n && strncmp(p, name, n) == 0 && p[n] == '=') {
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
bp_oauth_token(bp_state *bp, sb_request *req, sb_response *resp)
{
	const sb_options *o = &bp->pf->sb->opt;
	const char *body = req->body ? req->body : "";
	char grant[64], client[128], code[128];
	const char *domain = strstr(bp->pf->sb->base_url, "://");
	json_t *out;

	/* a host, as the real api_domain ("ws-use.brightpearl.com") */
	domain = domain ? domain + 3 : bp->pf->sb->base_url;
	req->endpoint = "POST /oauth/token";
	if (!form_value(body, "grant_type", grant, sizeof(grant)) ||
	    !form_value(body, "client_id", client, sizeof(client)) ||
	    strcmp(client, o->bp_app_ref) != 0) {
		sb_resp_json(resp, 400,
			     json_pack("{s:s}", "error", "invalid_client"),
			     BP_CTYPE);
		return;
	}
	if (strcmp(grant, "authorization_code") == 0) {
		if (!form_value(body, "code", code, sizeof(code)) ||
		    strcmp(code, BP_OAUTH_CODE) != 0)
			goto bad_grant;
		out = json_pack("{s:s,s:s,s:s,s:s,s:s,s:i}", "access_token",
				o->bp_token, "refresh_token", bp->refresh,
				"installation_instance_id", "1", "api_domain",
				domain, "token_type", "Bearer", "expires_in",
				604800);
	} else if (strcmp(grant, "refresh_token") == 0) {
		char access[64];
		int64_t ttl = bp->access_ttl_s > 0 ? bp->access_ttl_s : 604800;

		/*
		 * Rotation: each refresh answers a new refresh token and the
		 * one sent stops working (a used one gets invalid_grant).
		 */
		if (!form_value(body, "refresh_token", code, sizeof(code)) ||
		    strcmp(code, bp->refresh) != 0)
			goto bad_grant;
		bp->expired = 0;
		bp->grants++;
		snprintf(access, sizeof(access), "sandbox-access-%lld",
			 (long long)bp->grants);
		snprintf(bp->refresh, sizeof(bp->refresh),
			 "sandbox-refresh-%lld", (long long)bp->grants);
		json_object_set_new(bp->access, access,
				    json_integer(bp->access_ttl_s > 0
							 ? bp_time_s(bp) + ttl
							 : 0));
		out = json_pack("{s:s,s:s,s:s,s:s,s:I}", "access_token", access,
				"refresh_token", bp->refresh, "api_domain",
				domain, "token_type", "Bearer", "expires_in",
				(json_int_t)ttl);
	} else {
		goto bad_grant;
	}
	sb_resp_json(resp, 200, out, BP_CTYPE);
	return;
bad_grant:
	sb_resp_json(resp, 400,
		     json_pack("{s:s,s:s}", "error", "invalid_grant",
			       "error_description",
			       "Invalid authorization code or refresh token"),
		     BP_CTYPE);
}

/*
 * The quota units req costs: 1, or under the per-message reading the
 * number of messages in a multi-message (1..10; a body that cannot be
 * read, or an empty list, is still one request).  More than 10 is
 * charged 10: the handler refuses it with a 400 whatever it costs.
 */
static int
bp_cost(const bp_state *bp, const sb_request *req, const char *rest)
{
	json_t *in;
	size_t n;

	if (!bp->multi_per_message || strcmp(req->method, "POST") != 0 ||
	    strcmp(rest, "/multi-message") != 0 || req->body == NULL)
		return 1;
	in = json_loadb(req->body, req->body_len, 0, NULL);
	n = json_array_size(json_object_get(in, "messages"));
	json_decref(in);
	return n < 1 ? 1 : n > 10 ? 10 : (int)n;
}

static void
bp_handle(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bp_state *bp = pf->priv;
	const sb_options *o = &pf->sb->opt;
	const char *p = req->path;
	size_t alen = strlen(o->bp_account);
	int remaining, cost;
	int64_t period;

	req->endpoint = "unknown";
	if (strcmp(req->method, "POST") == 0 &&
	    (strcmp(p, "/oauth/token") == 0 ||
	     (strncmp(p + 1, o->bp_account, alen) == 0 &&
	      strcmp(p + 1 + alen, "/oauth/token") == 0))) {
		if (bp->token_hold_ms > 0) {
			/* an unresponsive token endpoint: nothing rotates */
			req->endpoint = "POST /oauth/token (held)";
			resp->hold_ms = bp->token_hold_ms;
			resp->drop = 1;
			return;
		}
		bp_oauth_token(bp, req, resp);
		return;
	}
	/* {base}/public-api/{account}/... */
	if (strncmp(p, "/public-api/", 12) != 0 ||
	    strncmp(p + 12, o->bp_account, alen) != 0 ||
	    (p[12 + alen] != '/' && p[12 + alen] != '\0')) {
		bp_err(resp, 404, "CMNC-404", "Cannot find the resource %s", p);
		stamp_headers(resp, BP_QUOTA - 1, 60000);
		return;
	}
	cost = bp_cost(bp, req, p + 12 + alen);
	if (!sb_window_take_n(&bp->quota, sb_now_ms(), cost, &remaining,
			      &period)) {
		/* remaining: what is left, too little for this request */
		req->endpoint = "throttled";
		bp_string_reply(resp, 503, bp_throttle_text);
		bp_msgtype(resp, "api-proxy");
		stamp_headers(resp, remaining, period);
		return;
	}
	bp->units += cost;
	if (bp->quota.limit <= 0)
		remaining = BP_QUOTA - 1;
	if (bp_auth(bp, req, resp) == 0) {
		bp_api_handle(bp, req, resp, p + 12 + alen);
	} else {
		req->endpoint = "unauthorised";
		bp_msgtype(resp, "api-proxy");
	}
	stamp_headers(resp, remaining, period);
}

/* The path after /public-api/{account}, or "" when req is not an API call. */
static const char *
bp_rest(const sb_platform *pf, const char *p)
{
	const char *acct = pf->sb->opt.bp_account;
	size_t alen = strlen(acct);

	if (strncmp(p, "/public-api/", 12) != 0 ||
	    strncmp(p + 12, acct, alen) != 0)
		return "";
	return p + 12 + alen;
}

static void
bp_fault_reply(sb_platform *pf, int status, sb_request *req, sb_response *resp)
{
	bp_state *bp = pf->priv;
	int remaining, cost;
	int64_t period;

	/* an injected failure still counts against the window */
	cost = bp_cost(bp, req, bp_rest(pf, req->path));
	if (!sb_window_take_n(&bp->quota, sb_now_ms(), cost, &remaining,
			      &period))
		remaining = 0;
	else
		bp->units += cost;
	if (bp->quota.limit <= 0)
		remaining = BP_QUOTA - 1;
	if (status == 503) {
		sb_resp_text(resp, 503, "text/html",
			     "<html><body><h1>503 Service Unavailable</h1>"
			     "</body></html>");
	} else if (status == 429) {
		/* the burst-limit form one client library describes */
		sb_resp_json(
			resp, 429,
			json_pack("{s:s}", "response", "Too many requests"),
			BP_CTYPE);
		sb_resp_header(resp, 1, "Retry-After", "1");
	} else {
		bp_err(resp, status, "CMNU-003", "Internal Server Error");
	}
	stamp_headers(resp, remaining, period);
}

/* ---- state -------------------------------------------------------------- */

static void
bp_clear(bp_state *bp)
{
	json_t **all[] = {
		&bp->orders,           &bp->dup_guard,    &bp->statuses,
		&bp->contacts,         &bp->addresses,    &bp->products,
		&bp->prices,           &bp->stock,        &bp->warehouses,
		&bp->channels,         &bp->lead_sources, &bp->projects,
		&bp->shipping_methods, &bp->price_lists,  &bp->payment_methods,
		&bp->tax_codes,        &bp->custom_meta,  &bp->payments,
		&bp->reservations,     &bp->gons,         &bp->notes,
		&bp->webhooks,         &bp->strict,       &bp->gins,
		&bp->search_rows};
	size_t i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		json_decref(*all[i]);
		*all[i] = NULL;
	}
}

static void
bp_reset(sb_platform *pf, int demo)
{
	bp_state *bp = pf->priv;
	const sb_options *o = &pf->sb->opt;

	bp_clear(bp);
	memset(bp->next_id, 0, sizeof(bp->next_id));
	bp->expired = 0;
	bp->clock_offset_s = 0;
	bp->access_ttl_s = 0;
	bp->initial_exp = 0;
	json_decref(bp->access);
	bp->access = json_object();
	snprintf(bp->refresh, sizeof(bp->refresh), "%s", BP_OAUTH_REFRESH);
	bp->grants = 0;
	bp->require_dev_ref = 1;
	bp->token_hold_ms = 0;
	bp->orders = json_object();
	bp->dup_guard = json_object();
	bp->statuses = json_array();
	bp->contacts = json_object();
	bp->addresses = json_object();
	bp->products = json_object();
	bp->prices = json_object();
	bp->stock = json_object();
	bp->warehouses = json_array();
	bp->channels = json_array();
	bp->lead_sources = json_array();
	bp->projects = json_array();
	bp->shipping_methods = json_array();
	bp->price_lists = json_array();
	bp->payment_methods = json_array();
	bp->tax_codes = json_array();
	bp->custom_meta = json_array();
	bp->payments = json_object();
	bp->reservations = json_object();
	bp->gons = json_object();
	bp->gins = json_object();
	bp->notes = json_object();
	bp->webhooks = json_object();
	bp->strict = json_object();
	/* ids start where a young real account's would, not at 1 */
	bp->next_id[BP_SEQ_ORDER] = 100;
	bp->next_id[BP_SEQ_ROW] = 1000;
	bp->next_id[BP_SEQ_CONTACT] = 200;
	bp->next_id[BP_SEQ_PRODUCT] = 1000;
	bp->next_id[BP_SEQ_GON] = 500;
	bp->next_id[BP_SEQ_GIN] = 700;
	sb_window_dispose(&bp->quota);
	sb_window_init(&bp->quota, SB_WINDOW_ROLLING,
		       sb_quota_scale(pf->sb, BP_QUOTA), o->bp_window_ms);
	bp->multi_per_message = o->bp_multi_per_message;
	bp->units = 0;
	bp_seed_reference(bp);
	if (demo)
		bp_seed_demo(bp);
}

int
bp_strict(bp_state *bp, const char *name)
{
	json_t *v = json_object_get(bp->strict, name);

	return v == NULL || json_is_true(v);
}

static json_t *
bp_state_json(sb_platform *pf)
{
	bp_state *bp = pf->priv;

	return json_pack("{s:O,s:O,s:O,s:O,s:O,s:O,s:O,s:O,s:O,s:O}",
			 "goodsInNotes", bp->gins, "orders", bp->orders,
			 "contacts", bp->contacts, "products", bp->products,
			 "stock", bp->stock, "payments", bp->payments, "notes",
			 bp->notes, "goodsOutNotes", bp->gons, "webhooks",
			 bp->webhooks, "reservations", bp->reservations);
}

static void
bp_free(sb_platform *pf)
{
	bp_state *bp = pf->priv;

	bp_clear(bp);
	json_decref(bp->access);
	sb_window_dispose(&bp->quota);
	free(bp);
}

/* ---- control API -------------------------------------------------------- */

static void
ctl_err(sb_response *resp, int status, const char *msg)
{
	sb_resp_json(resp, status, json_pack("{s:s}", "error", msg), NULL);
}

/*
 * Apply a product spec of the control API to stored product p (the
 * /product-service/product/{id} shape, reference digest section 10):
 * name -> salesChannels[0].productName, description ->
 * salesChannels[0].description {languageCode, text, format}, sku and
 * barcode -> identity, weight -> stock.weight.magnitude, groupId ->
 * productGroupId, options [{name, value}] -> variations [{optionId,
 * optionName, optionValueId, optionValue}] (Brightpearl's product GET
 * lists a variant's options there; ids are made up per name and value),
 * price (with priceListId, default 1) -> the product's price list entry.
 */
static void
product_spec_apply(bp_state *bp, json_t *p, const json_t *spec)
{
	json_t *ch = json_array_get(json_object_get(p, "salesChannels"), 0);
	json_t *v, *o, *vars;
	char key[32];
	size_t i;

	bp->product_gen++;

	if (ch == NULL) {
		ch = json_pack("{s:s}", "salesChannelName", "Brightpearl");
		json_object_set_new(p, "salesChannels", json_pack("[o]", ch));
	}
	if (json_is_string(v = json_object_get(spec, "name")))
		json_object_set(ch, "productName", v);
	if (json_is_string(v = json_object_get(spec, "description")))
		json_object_set_new(ch, "description",
				    json_pack("{s:s,s:O,s:s}", "languageCode",
					      "EN", "text", v, "format",
					      "HTML_FRAGMENT"));
	if (json_is_string(v = json_object_get(spec, "sku")))
		json_object_set(json_object_get(p, "identity"), "sku", v);
	if (json_is_string(v = json_object_get(spec, "barcode")))
		json_object_set(json_object_get(p, "identity"), "barcode", v);
	if (json_is_number(v = json_object_get(spec, "weight")))
		json_object_set_new(json_object_get(p, "stock"), "weight",
				    json_pack("{s:O}", "magnitude", v));
	if (json_is_integer(v = json_object_get(spec, "groupId")))
		json_object_set(p, "productGroupId", v);
	if (json_is_array(v = json_object_get(spec, "options"))) {
		vars = json_array();
		json_array_foreach (v, i, o) {
			const char *n =
				sb_json_str(json_object_get(o, "name"), "");
			const char *val =
				sb_json_str(json_object_get(o, "value"), "");

			json_array_append_new(
				vars,
				json_pack("{s:i,s:s,s:i,s:s}", "optionId",
					  (int)(strlen(n) + 1), "optionName", n,
					  "optionValueId",
					  (int)(strlen(val) + 100),
					  "optionValue", val));
		}
		json_object_set_new(p, "variations", vars);
	}
	if (json_object_get(spec, "price")) {
		int64_t list =
			sb_json_int(json_object_get(spec, "priceListId"), 1);
		json_t *cur, *e,
			*q = json_pack(
				"{s:o}", "1",
				bp_money(bp_num(json_object_get(spec, "price"),
						0)));
		int found = 0;

		snprintf(key, sizeof(key), "%lld",
			 (long long)sb_json_int(json_object_get(p, "id"), 0));
		if ((cur = json_object_get(bp->prices, key)) == NULL) {
			cur = json_array();
			json_object_set_new(bp->prices, key, cur);
		}
		json_array_foreach (cur, i, e) {
			if (sb_json_int(json_object_get(e, "priceListId"), 0) ==
			    list) {
				json_object_set(e, "quantityPrice", q);
				found = 1;
			}
		}
		if (!found)
			json_array_append_new(
				cur,
				json_pack("{s:I,s:s,s:i,s:O}", "priceListId",
					  (json_int_t)list, "currencyCode",
					  "USD", "currencyId", 1,
					  "quantityPrice", q));
		json_decref(q);
	}
}

/*
 * Control "product": the merchant edits (or, with "create": true and no
 * match, adds) a product in Brightpearl's screens.  Body {productId or
 * sku, create?, and the spec of product_spec_apply}.  updatedOn and
 * version move, and product.modified (or product.created) fires.
 */
static void
ctl_product(bp_state *bp, json_t *in, sb_response *resp)
{
	int64_t pid = sb_json_int(json_object_get(in, "productId"), 0);
	char key[32], when[48];
	json_t *p;
	int created = 0;

	if (!pid && json_is_string(json_object_get(in, "sku")))
		pid = bp_product_by_sku(
			bp, sb_json_str(json_object_get(in, "sku"), ""));
	if (pid <= 0 && json_is_true(json_object_get(in, "create"))) {
		json_t *body =
			json_pack("{s:i,s:{},s:{s:b}}", "brandId", 1,
				  "identity", "stock", "stockTracked", 1);

		pid = bp_product_create(bp, body);
		json_decref(body);
		created = 1;
	}
	snprintf(key, sizeof(key), "%lld", (long long)pid);
	if (pid <= 0 || (p = json_object_get(bp->products, key)) == NULL) {
		ctl_err(resp, 404, "no such product");
		return;
	}
	product_spec_apply(bp, p, in);
	json_object_set_new(p, "updatedOn",
			    json_string(sb_iso_now(when, sizeof(when), 0)));
	json_object_set_new(
		p, "version",
		json_integer(sb_json_int(json_object_get(p, "version"), 1) +
			     1));
	bp->product_gen++;
	bp_fire(bp, created ? "product.created" : "product.modified", pid);
	sb_resp_json(resp, 200,
		     json_pack("{s:I}", "productId", (json_int_t)pid), NULL);
}

static void
ctl_seed(bp_state *bp, json_t *in, sb_response *resp)
{
	json_t *out = json_object(), *ids, *v, *arr;
	size_t i;
	struct {
		const char *name;
		json_t **dst;
		const char *idkey;
	} lists[] = {
		{"warehouses", &bp->warehouses, "id"},
		{"channels", &bp->channels, "id"},
		{"leadSources", &bp->lead_sources, "id"},
		{"projects", &bp->projects, "id"},
		{"shippingMethods", &bp->shipping_methods, "id"},
		{"priceLists", &bp->price_lists, "id"},
		{"paymentMethods", &bp->payment_methods, NULL},
		{"statuses", &bp->statuses, "statusId"},
	};
	size_t k;

	for (k = 0; k < sizeof(lists) / sizeof(lists[0]); k++) {
		arr = json_object_get(in, lists[k].name);
		ids = json_array();
		json_array_foreach (arr, i, v) {
			json_t *c = json_deep_copy(v);

			if (lists[k].idkey &&
			    !json_object_get(c, lists[k].idkey))
				json_object_set_new(
					c, lists[k].idkey,
					json_integer(
						bp_next_id(
							bp,
							k == 7 ? BP_SEQ_STATUS
							       : BP_SEQ_MISC) +
						(k == 7 ? 100 : 1000)));
			if (lists[k].idkey)
				json_array_append(
					ids,
					json_object_get(c, lists[k].idkey));
			json_array_append_new(*lists[k].dst, c);
		}
		json_object_set_new(out, lists[k].name, ids);
	}
	/* products: {sku, name, price, stock:{"2":10}, brandId?} */
	ids = json_array();
	json_array_foreach (json_object_get(in, "products"), i, v) {
		const char *sku = sb_json_str(json_object_get(v, "sku"), "");
		json_t *body = json_pack(
			"{s:i,s:{s:s},s:[{s:s,s:s}],s:{s:b}}", "brandId", 1,
			"identity", "sku", sku, "salesChannels",
			"salesChannelName", "Brightpearl", "productName",
			sb_json_str(json_object_get(v, "name"), sku), "stock",
			"stockTracked",
			!json_is_false(json_object_get(v, "stockTracked")));
		int64_t pid;
		const char *wh;
		json_t *q;

		if (json_object_get(v, "barcode"))
			json_object_set(json_object_get(body, "identity"),
					"barcode",
					json_object_get(v, "barcode"));
		pid = bp_product_create(bp, body);
		json_decref(body);
		/* weight, description, groupId, options, a price on another
		 * list (priceListId) */
		if (json_object_get(v, "weight") ||
		    json_object_get(v, "description") ||
		    json_object_get(v, "groupId") ||
		    json_object_get(v, "options") ||
		    json_object_get(v, "priceListId")) {
			char k2[32];

			snprintf(k2, sizeof(k2), "%lld", (long long)pid);
			product_spec_apply(
				bp, json_object_get(bp->products, k2), v);
		}
		if (json_object_get(v, "price") &&
		    !json_object_get(v, "priceListId")) {
			char key[32];

			snprintf(key, sizeof(key), "%lld", (long long)pid);
			json_object_set_new(
				bp->prices, key,
				json_pack("[{s:i,s:s,s:i,s:{s:o}}]",
					  "priceListId", 1, "currencyCode",
					  "USD", "currencyId", 1,
					  "quantityPrice", "1",
					  bp_money(bp_num(
						  json_object_get(v, "price"),
						  0))));
		}
		json_object_foreach (json_object_get(v, "stock"), wh, q) {
			int64_t w;

			if (sb_parse_int(wh, &w) == 0)
				bp_stock_set(bp, pid, w, sb_json_int(q, 0));
		}
		json_array_append_new(ids, json_integer(pid));
	}
	json_object_set_new(out, "products", ids);
	/* customers: {email, firstName, lastName, isSupplier?, isStaff?}:
	 * a supplier or staff member is seeded here too (section 8's
	 * relationshipToAccount) */
	ids = json_array();
	json_array_foreach (json_object_get(in, "customers"), i, v) {
		json_t *body = json_pack(
			"{s:s,s:s,s:{s:{s:{s:s}}},s:{s:b,s:b}}", "firstName",
			sb_json_str(json_object_get(v, "firstName"), "Test"),
			"lastName",
			sb_json_str(json_object_get(v, "lastName"), "Customer"),
			"communication", "emails", "PRI", "email",
			sb_json_str(json_object_get(v, "email"), ""),
			"relationshipToAccount", "isSupplier",
			json_is_true(json_object_get(v, "isSupplier")),
			"isStaff", json_is_true(json_object_get(v, "isStaff")));

		json_array_append_new(
			ids, json_integer(bp_contact_create(bp, body)));
		json_decref(body);
	}
	json_object_set_new(out, "customers", ids);
	sb_resp_json(resp, 200, out, NULL);
}

static json_t *
order_of(bp_state *bp, json_t *in)
{
	char key[32];

	snprintf(key, sizeof(key), "%lld",
		 (long long)sb_json_int(json_object_get(in, "orderId"), -1));
	return json_object_get(bp->orders, key);
}

static void
ctl_ship(bp_state *bp, json_t *in, sb_response *resp)
{
	json_t *order = order_of(bp, in), *ids = NULL, *body, *rows, *row;
	json_t *products = json_array();
	int64_t wh = sb_json_int(json_object_get(in, "warehouseId"), 0);
	size_t i;

	if (!order) {
		json_decref(products);
		ctl_err(resp, 404, "no such order");
		return;
	}
	if (!wh)
		wh = sb_json_int(json_object_get(order, "warehouseId"), 2);
	rows = json_object_get(order, "rows");
	json_array_foreach (rows, i, row) {
		int64_t left = (int64_t)llround(bp_num(
				       json_object_get(row, "quantity"), 0)) -
			       sb_json_int(json_object_get(row, "_onGon"), 0);

		if (json_is_array(json_object_get(in, "rows"))) {
			/* only the listed {rowId|sku, quantity} */
			json_t *want;
			size_t j;

			left = 0;
			json_array_foreach (json_object_get(in, "rows"), j,
					    want) {
				if (sb_json_int(json_object_get(want, "rowId"),
						-1) ==
					    sb_json_int(
						    json_object_get(row, "id"),
						    -2) ||
				    (json_object_get(want, "sku") &&
				     json_equal(json_object_get(want, "sku"),
						json_object_get(row, "sku"))))
					left = sb_json_int(
						json_object_get(want,
								"quantity"),
						0);
			}
		}
		if (left <= 0 || !json_object_get(row, "productId"))
			continue;
		json_array_append_new(
			products,
			json_pack("{s:O,s:O,s:I}", "productId",
				  json_object_get(row, "productId"),
				  "salesOrderRowId", json_object_get(row, "id"),
				  "quantity", (json_int_t)left));
	}
	if (json_array_size(products) == 0) {
		json_decref(products);
		ctl_err(resp, 400, "nothing left to ship");
		return;
	}
	body = json_pack("{s:[{s:I,s:o}],s:I}", "warehouses", "warehouseId",
			 (json_int_t)wh, "products", products,
			 "shippingMethodId",
			 (json_int_t)sb_json_int(
				 json_object_get(in, "shippingMethodId"), 0));
	if (bp_gon_create(bp, order, body, resp, &ids) == 0) {
		json_t *id;
		size_t k;

		json_array_foreach (ids, k, id) {
			char key[32];
			json_t *gon;

			snprintf(key, sizeof(key), "%lld",
				 (long long)json_integer_value(id));
			gon = json_object_get(bp->gons, key);
			if (json_object_get(in, "tracking"))
				bp_gon_set_tracking(
					bp, gon,
					json_pack("{s:O}", "reference",
						  json_object_get(in,
								  "tracking")),
					resp);
			if (!json_is_false(json_object_get(in, "ship")))
				bp_gon_ship(bp, gon, resp);
		}
		sb_resp_json(resp, 200,
			     json_pack("{s:O}", "goodsOutNoteIds", ids), NULL);
	}
	json_decref(ids);
	json_decref(body);
}

/*
 * The merchant invoices an order: it gets an invoice reference and tax
 * date (the /order/ GET's "invoices", section 7.3) and from then on the
 * PUT keeps its rows (sales-order PUT page).
 */
static void
ctl_invoice(bp_state *bp, json_t *in, sb_response *resp)
{
	json_t *order = order_of(bp, in);
	char ref[32], when[48];
	int64_t id;

	if (!order) {
		ctl_err(resp, 404, "no such order");
		return;
	}
	id = sb_json_int(json_object_get(order, "id"), 0);
	if (!json_object_get(order, "_invoice")) {
		sb_iso_now(when, sizeof(when), 0);
		snprintf(ref, sizeof(ref), "SI-%lld", (long long)id);
		json_object_set_new(
			order, "_invoice",
			json_pack("{s:s,s:s,s:s}", "invoiceReference", ref,
				  "taxDate", when, "dueDate", when));
		bp_order_touch(order);
		bp_fire(bp, "order.modified", id);
	}
	sb_resp_json(resp, 200,
		     json_deep_copy(json_object_get(order, "_invoice")), NULL);
}

/* The rules the control call `strict` can relax (README). */
static const char *const bp_strict_rules[] = {
	"orderReferences", "reservationRows", "reservationWarehouse",
	"tax_code_known", NULL};

static void
ctl_strict(bp_state *bp, json_t *in, sb_response *resp)
{
	json_t *out = json_object(), *v;
	const char *k;
	size_t i;

	json_object_foreach (in, k, v) {
		for (i = 0; bp_strict_rules[i]; i++)
			if (strcmp(bp_strict_rules[i], k) == 0)
				break;
		if (!bp_strict_rules[i] || !json_is_boolean(v)) {
			json_decref(out);
			ctl_err(resp, 400, "unknown strictness rule or value");
			return;
		}
		json_object_set(bp->strict, k, v);
	}
	for (i = 0; bp_strict_rules[i]; i++)
		json_object_set_new(
			out, bp_strict_rules[i],
			json_boolean(bp_strict(bp, bp_strict_rules[i])));
	sb_resp_json(resp, 200, out, NULL);
}

static void
bp_control(sb_platform *pf, const char *action, sb_request *req,
	   sb_response *resp)
{
	bp_state *bp = pf->priv;
	json_t *in = sb_req_json(req, NULL), *order;
	const char *a = action;

	if (!in)
		in = json_object();
	if (strcmp(a, "seed") == 0) {
		ctl_seed(bp, in, resp);
	} else if (strcmp(a, "order-status") == 0) {
		order = order_of(bp, in);
		if (!order)
			ctl_err(resp, 404, "no such order");
		else if (bp_order_set_status(
				 bp, order,
				 sb_json_int(json_object_get(in, "statusId"),
					     -1),
				 sb_json_str(json_object_get(in, "note"), NULL),
				 resp) == 0)
			sb_resp_json(resp, 200, json_object(), NULL);
	} else if (strcmp(a, "note") == 0) {
		order = order_of(bp, in);
		if (!order)
			ctl_err(resp, 404, "no such order");
		else
			sb_resp_json(
				resp, 200,
				json_pack(
					"{s:I}", "noteId",
					(json_int_t)bp_note_add(
						bp,
						sb_json_int(
							json_object_get(
								in, "orderId"),
							0),
						sb_json_str(json_object_get(
								    in, "text"),
							    ""),
						json_is_true(json_object_get(
							in, "isPublic")))),
				NULL);
	} else if (strcmp(a, "order-row") == 0) {
		/* the merchant edits a row's value in the Brightpearl screens
		 * (as the sales-order row PUT does, section 7: net and tax
		 * are the row's values, the order's total their sum) */
		json_t *rows, *row;
		size_t idx =
			(size_t)sb_json_int(json_object_get(in, "index"), 0);

		order = order_of(bp, in);
		rows = order ? json_object_get(order, "rows") : NULL;
		row = rows ? json_array_get(rows, idx) : NULL;
		if (!row) {
			ctl_err(resp, 404, "no such order row");
		} else {
			if (json_object_get(in, "net"))
				json_object_set_new(
					row, "net",
					bp_money(bp_num(
						json_object_get(in, "net"),
						0)));
			if (json_object_get(in, "tax"))
				json_object_set_new(
					row, "tax",
					bp_money(bp_num(
						json_object_get(in, "tax"),
						0)));
			bp_order_touch(order);
			bp_fire(bp, "order.modified",
				sb_json_int(json_object_get(in, "orderId"), 0));
			sb_resp_json(resp, 200, json_object(), NULL);
		}
	} else if (strcmp(a, "ship") == 0) {
		ctl_ship(bp, in, resp);
	} else if (strcmp(a, "contact-delete") == 0) {
		/* the merchant deletes a contact in the Brightpearl screens
		 * (the API has no DELETE for contacts, section 8) */
		char key[32];

		snprintf(key, sizeof(key), "%lld",
			 (long long)sb_json_int(
				 json_object_get(in, "contactId"), -1));
		if (json_object_del(bp->contacts, key) != 0)
			ctl_err(resp, 404, "no such contact");
		else
			sb_resp_json(resp, 200, json_object(), NULL);
	} else if (strcmp(a, "invoice") == 0) {
		ctl_invoice(bp, in, resp);
	} else if (strcmp(a, "product") == 0) {
		ctl_product(bp, in, resp);
	} else if (strcmp(a, "stock") == 0) {
		int64_t pid = sb_json_int(json_object_get(in, "productId"), 0);

		if (!pid && json_object_get(in, "sku"))
			pid = bp_product_by_sku(
				bp,
				sb_json_str(json_object_get(in, "sku"), ""));
		if (pid <= 0) {
			ctl_err(resp, 404, "no such product");
		} else {
			bp_stock_set(
				bp, pid,
				sb_json_int(json_object_get(in, "warehouseId"),
					    2),
				sb_json_int(json_object_get(in, "inStock"), 0));
			bp_fire(bp, "product.modified.on-hand-modified", pid);
			sb_resp_json(resp, 200, json_object(), NULL);
		}
	} else if (strcmp(a, "quota") == 0) {
		int64_t limit =
			sb_json_int(json_object_get(in, "limit"), BP_QUOTA);
		int64_t win = sb_json_int(json_object_get(in, "window_ms"),
					  pf->sb->opt.bp_window_ms);

		sb_window_dispose(&bp->quota);
		sb_window_init(&bp->quota, SB_WINDOW_ROLLING, (int)limit, win);
		sb_resp_json(resp, 200, json_object(), NULL);
	} else if (strcmp(a, "config") == 0) {
		json_t *v = json_object_get(in, "multi_message_cost");
		const char *cost = json_string_value(v);

		if (cost != NULL && strcmp(cost, "one") == 0)
			bp->multi_per_message = 0;
		else if (cost != NULL && strcmp(cost, "per_message") == 0)
			bp->multi_per_message = 1;
		if (v != NULL && cost == NULL)
			cost = "";
		if (cost != NULL && strcmp(cost, "one") != 0 &&
		    strcmp(cost, "per_message") != 0)
			ctl_err(resp, 400,
				"multi_message_cost: \"one\" or "
				"\"per_message\"");
		else
			sb_resp_json(
				resp, 200,
				json_pack("{s:s,s:I}", "multi_message_cost",
					  bp->multi_per_message ? "per_message"
								: "one",
					  "units_charged",
					  (json_int_t)bp->units),
				NULL);
	} else if (strcmp(a, "auth") == 0) {
		json_t *v;

		bp->expired = json_is_true(json_object_get(in, "expired"));
		if ((v = json_object_get(in, "access_ttl_s")) != NULL) {
			bp->access_ttl_s = json_integer_value(v);
			bp->initial_exp =
				bp->access_ttl_s > 0
					? bp_time_s(bp) + bp->access_ttl_s
					: 0;
		}
		if ((v = json_object_get(in, "advance_s")) != NULL)
			bp->clock_offset_s += json_integer_value(v);
		if ((v = json_object_get(in, "require_dev_ref")) != NULL)
			bp->require_dev_ref = json_is_true(v);
		if ((v = json_object_get(in, "token_hold_ms")) != NULL)
			bp->token_hold_ms = json_integer_value(v);
		sb_resp_json(resp, 200,
			     json_pack("{s:I,s:I,s:s,s:I}", "clock_offset_s",
				       (json_int_t)bp->clock_offset_s,
				       "access_ttl_s",
				       (json_int_t)bp->access_ttl_s,
				       "refresh_token", bp->refresh, "grants",
				       (json_int_t)bp->grants),
			     NULL);
	} else if (strcmp(a, "state") == 0) {
		sb_resp_json(resp, 200, bp_state_json(pf), NULL);
	} else if (strncmp(a, "orders", 6) == 0 &&
		   strcmp(req->method, "GET") == 0) {
		json_t *all = json_array(), *o;
		const char *k;

		json_object_foreach (bp->orders, k, o)
			json_array_append_new(all, bp_render_order(bp, o));
		sb_resp_json(resp, 200, all, NULL);
	} else if (strcmp(a, "strict") == 0) {
		ctl_strict(bp, in, resp);
	} else if (strcmp(a, "fire") == 0) {
		bp_fire(bp, sb_json_str(json_object_get(in, "event"), ""),
			sb_json_int(json_object_get(in, "id"), 0));
		sb_resp_json(resp, 200, json_object(), NULL);
	} else {
		ctl_err(resp, 404, "unknown brightpearl control call");
	}
	json_decref(in);
}

static const sb_platform_ops bp_ops = {
	"brightpearl",  bp_handle,      bp_control,    bp_reset,
	bp_fault_reply, bp_on_delivery, bp_state_json, bp_free,
};

void
sb_bp_register(sb_sandbox *sb)
{
	bp_state *bp = calloc(1, sizeof(*bp));

	if (!bp)
		return;
	bp->pf = sb_platform_add(sb, &bp_ops, bp);
	if (!bp->pf)
		free(bp);
}
