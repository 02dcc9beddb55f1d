/*
 * cmd_preview.c - `pearlsync preview order BC_ORDER_ID`: what importing one
 * BigCommerce order would send to Brightpearl, and why, changing nothing.
 *
 * The order import's plan (BigCommerce order -> Brightpearl requests) is
 * the same pure function the worker uses; here the customer and products
 * are looked up with reads only, a missing customer is shown as the
 * contact the import would create, and nothing is written to either
 * platform or to the database.
 *
 * The plan's text is printed tidied: a field with no value is left out
 * and an id that is unset (0) shows as an em dash, so the operator reads what
 * would be sent, not the shape of the request.  Failures are printed as
 * their human message; the internal error names stay out of it.
 */
#include "commands.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "pearlsync/flow.h"
#include "pearlsync/platform.h"
#include "pearlsync/config.h"
#include "pearlsync/connect.h"
#include "pearlsync/store.h"
#include "pearlsync/money.h"

const char ps_cli_usage_preview[] =
	"usage: pearlsync preview NOUN ID [--json]\n"
	"       pearlsync preview NOUN ID --settings FILE [--json]\n"
	"       pearlsync preview --settings FILE [--recent N] [--json]\n"
	"\n"
	"Print what a flow would send for one object, and why: which\n"
	"mapping, default or setting decided each value.  The object is read\n"
	"from its platform and the target is only looked up: nothing is\n"
	"written to either platform or to the database.  A failure the entry\n"
	"would hit (unknown SKU, unmapped status, missing default) is printed\n"
	"as the reason it would fail with.  NOUN and ID:\n"
	"  " PS_CLI_PREVIEWS "\n"
	"\n"
	"  --json           the exact requests instead, as one JSON document:\n"
	"                   method, path and the body's exact bytes, with\n"
	"                   the ids the target assigns during the write as\n"
	"                   placeholders ({address_id}, {contact_id},\n"
	"                   {order_id}, {row_id:N} for the N-th order row)\n"
	"  --settings FILE  preview a settings change without applying it:\n"
	"                   FILE is a document as `settings export` prints\n"
	"                   it; the requests under the current settings and\n"
	"                   under the current settings plus FILE, and what\n"
	"                   differs.  An object done already is planned as if\n"
	"                   it were new\n"
	"  --recent N       without NOUN ID: the N objects done most recently\n"
	"                   (default 10), what differs for each\n"
	"\n"
	"Exit status: 0 the entry would go through (with --settings: the\n"
	"previews were made), 1 it would fail (or a platform cannot be\n"
	"reached, or FILE is not a valid document), 2 bad usage or config\n"
	"file.\n"
	"\n"
	"Examples:\n"
	"  pearlsync preview order 1042\n"
	"  pearlsync preview order 1042 --json\n"
	"  pearlsync preview --settings new-warehouse.json --recent 20\n";

/* An unset id as the plan prints it: "project 0" (label, then " 0"). */
static int
is_unset_id(const char *item, size_t len)
{
	size_t i;

	if (len < 3 || strncmp(item + len - 2, " 0", 2) != 0)
		return 0;
	for (i = 0; i < len - 2; i++)
		if (!((item[i] >= 'a' && item[i] <= 'z') || item[i] == ' '))
			return 0;
	return 1;
}

/*
 * Print one indented plan line ("    a: 1, b: , project 0") without its
 * empty fields ("b: ", a trailing ", ") and with unset ids as an em dash.  A
 * line left with nothing is not printed.
 */
static void
print_tidy(FILE *out, const char *line)
{
	const char *p = line, *end, *next;
	size_t indent = strspn(line, " "), len;
	int printed = 0;

	for (p = line + indent; *p != '\0'; p = next) {
		end = strstr(p, ", ");
		next = end != NULL ? end + 2 : p + strlen(p);
		if (end == NULL)
			end = next;
		while (end > p && end[-1] == ' ')
			end--;
		len = (size_t)(end - p);
		if (len == 0 || p[len - 1] == ':')
			continue; /* "phone: ", "customer: " */
		fprintf(out, "%s%*s", printed ? ", " : "",
			printed ? 0 : (int)indent, "");
		if (is_unset_id(p, len))
			fprintf(out, "%.*s \xe2\x80\x94", (int)(len - 2), p);
		else if (strncmp(p, "row: ", 5) == 0 &&
			 strstr(p, " x   net ") &&
			 strstr(p, " x   net ") < end) {
			/* a product row: its name and quantity follow below */
			const char *x = strstr(p, " x   net ");

			fprintf(out, "%.*s  %.*s", (int)(x - p), p,
				(int)(end - (x + 5)), x + 5);
		} else
			fprintf(out, "%.*s", (int)len, p);
		printed = 1;
	}
	if (printed)
		fputc('\n', out);
}

/* The preview's text, tidied up to its "Why:" part (printed as it is). */
static void
print_preview(FILE *out, const char *text)
{
	const char *p = text, *nl;
	char line[2048];
	int why = 0;

	while (*p != '\0') {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		if (!why && strncmp(p, "Why:", 4) == 0)
			why = 1;
		if (!why && strncmp(p, "    ", 4) == 0 &&
		    (size_t)(nl - p) < sizeof(line)) {
			snprintf(line, sizeof(line), "%.*s", (int)(nl - p), p);
			print_tidy(out, line);
		} else {
			fprintf(out, "%.*s\n", (int)(nl - p), p);
		}
		p = *nl != '\0' ? nl + 1 : nl;
	}
}

/* ---- differences between two previews ----------------------------------- */

/*
 * A body with its placeholders ("{order_id}") made JSON: each becomes 0,
 * the same on both sides, so only what the settings decide can differ.
 * NULL when it does not parse (then compared as text).
 */
static json_t *
body_json(const char *body)
{
	char *t;
	size_t i = 0, n = 0;
	json_t *j;

	if (body == NULL || (t = malloc(strlen(body) + 1)) == NULL)
		return NULL;
	while (body[i] != '\0') {
		size_t k = strspn(body + i + 1, "abcdefghijklmnopqrstuvwxyz_:"
						"0123456789");

		if (body[i] == '{' && k > 0 && body[i + 1 + k] == '}') {
			t[n++] = '0';
			i += k + 2;
			continue;
		}
		t[n++] = body[i++];
	}
	t[n] = '\0';
	j = json_loads(t, JSON_DECODE_ANY, NULL);
	free(t);
	return j;
}

/* v as short text (owned): JSON, strings quoted; "(none)" for NULL. */
static char *
value_text(const json_t *v)
{
	char *t;

	if (v == NULL)
		return strdup("(none)");
	t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_ENSURE_ASCII);
	return t != NULL ? t : strdup("?");
}

static int add_line(json_t *out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int
add_line(json_t *out, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return json_array_append_new(out, json_string(buf));
}

/* Every leaf of a and b that differs, as "where: old -> new", into out. */
static void
diff_values(json_t *out, const char *where, const json_t *a, const json_t *b)
{
	char path[512];
	const char *key;
	json_t *v;
	size_t i, n;

	if (a != NULL && b != NULL && json_equal((json_t *)a, (json_t *)b))
		return;
	if (json_is_object(a) && json_is_object(b)) {
		json_object_foreach ((json_t *)a, key, v) {
			snprintf(path, sizeof(path), "%s/%s", where, key);
			diff_values(out, path, v, json_object_get(b, key));
		}
		json_object_foreach ((json_t *)b, key, v) {
			if (json_object_get(a, key) != NULL)
				continue;
			snprintf(path, sizeof(path), "%s/%s", where, key);
			diff_values(out, path, NULL, v);
		}
		return;
	}
	if (json_is_array(a) && json_is_array(b)) {
		n = json_array_size(a) > json_array_size(b)
			    ? json_array_size(a)
			    : json_array_size(b);
		for (i = 0; i < n; i++) {
			snprintf(path, sizeof(path), "%s/%zu", where, i);
			diff_values(out, path, json_array_get(a, i),
				    json_array_get(b, i));
		}
		return;
	}
	{
		char *ta = value_text(a), *tb = value_text(b);

		add_line(out, "%s: %s -> %s", where, ta ? ta : "?",
			 tb ? tb : "?");
		free(ta);
		free(tb);
	}
}

/* The k-th request of step in reqs (counting from 0), or NULL. */
static json_t *
nth_step(json_t *reqs, const char *step, size_t k)
{
	size_t i;
	json_t *r;

	json_array_foreach (reqs, i, r) {
		const char *st = json_string_value(json_object_get(r, "step"));

		if (st != NULL && strcmp(st, step) == 0 && k-- == 0)
			return r;
	}
	return NULL;
}

/* How many requests of step come before index upto in reqs. */
static size_t
step_index(json_t *reqs, const char *step, size_t upto)
{
	size_t i, k = 0;

	for (i = 0; i < upto; i++)
		if (strcmp(json_string_value(json_object_get(
				   json_array_get(reqs, i), "step")),
			   step) == 0)
			k++;
	return k;
}

static const char *
str_of(const json_t *doc, const char *key)
{
	return json_string_value(json_object_get(doc, key));
}

/* One side's state in a line: "would fail: ...", "skipped: ...". */
static const char *
side_state(const json_t *doc, char *buf, size_t cap)
{
	if (str_of(doc, "error") != NULL)
		snprintf(buf, cap, "would fail: %s", str_of(doc, "error"));
	else if (str_of(doc, "skipped") != NULL)
		snprintf(buf, cap, "not imported: %s", str_of(doc, "skipped"));
	else
		snprintf(buf, cap, "%zu requests",
			 json_array_size(json_object_get(doc, "requests")));
	return buf;
}

/*
 * What differs between preview documents a (current settings) and b
 * (with the file), one line each: requests sent by one side only, a
 * path that changes, every body value that changes ("sales order
 * /statusId: 2 -> 4").  Requests are paired by step and rank.
 */
static json_t *
preview_diff(json_t *a, json_t *b)
{
	json_t *out = json_array(), *ra, *rb, *x, *y, *ja, *jb;
	char sa[512], sb[512], where[600];
	size_t i, k;
	int pass;

	if (out == NULL)
		return NULL;
	side_state(a, sa, sizeof(sa));
	side_state(b, sb, sizeof(sb));
	if (str_of(a, "error") != NULL || str_of(b, "error") != NULL ||
	    str_of(a, "skipped") != NULL || str_of(b, "skipped") != NULL) {
		if (strcmp(sa, sb) != 0)
			add_line(out, "outcome: %s -> %s", sa, sb);
		return out;
	}
	ra = json_object_get(a, "requests");
	rb = json_object_get(b, "requests");
	for (pass = 0; pass < 2; pass++) {
		json_t *from = pass ? rb : ra, *other = pass ? ra : rb;

		json_array_foreach (from, i, x) {
			const char *step = str_of(x, "step");

			k = step_index(from, step, i);
			y = nth_step(other, step, k);
			if (y == NULL) {
				add_line(out, "%s %s %s %s",
					 pass ? "+ sent:" : "- not sent:", step,
					 str_of(x, "method"),
					 str_of(x, "path"));
				continue;
			}
			if (pass)
				continue; /* pairs are compared once */
			/* "note", then "note 2", "note 3" */
			if (k > 0)
				snprintf(where, sizeof(where), "%s %zu", step,
					 k + 1);
			else
				snprintf(where, sizeof(where), "%s", step);
			if (strcmp(str_of(x, "path"), str_of(y, "path")) != 0)
				add_line(out, "%s path: %s -> %s", where,
					 str_of(x, "path"), str_of(y, "path"));
			ja = body_json(str_of(x, "body"));
			jb = body_json(str_of(y, "body"));
			if (ja != NULL && jb != NULL)
				diff_values(out, where, ja, jb);
			else if (str_of(x, "body") != NULL &&
				 str_of(y, "body") != NULL &&
				 strcmp(str_of(x, "body"), str_of(y, "body")))
				add_line(out, "%s body differs", where);
			json_decref(ja);
			json_decref(jb);
		}
	}
	return out;
}

/* The parsed body of the first request of step in doc (new ref), or NULL. */
static json_t *
step_body(const json_t *doc, const char *step)
{
	json_t *r = nth_step(json_object_get(doc, "requests"), step, 0);

	return r != NULL ? body_json(str_of(r, "body")) : NULL;
}

/* The sum of the rows' net and tax in order body o, as text. */
static void
order_total(char *buf, size_t cap, const json_t *o)
{
	ps_money sum = 0, m;
	json_t *row;
	size_t i;
	static const char *const parts[] = {"net", "tax"};
	size_t k;

	json_array_foreach (json_object_get(o, "rows"), i, row)
		for (k = 0; k < 2; k++) {
			const char *t = json_string_value(
				json_object_get(row, parts[k]));

			if (t != NULL && ps_money_parse(&m, t) == 0)
				sum += m;
		}
	ps_money_format(buf, cap, sum, 2);
}

/* One labelled change "label a -> b" into out when va and vb differ. */
static void
summary_add(json_t *out, const char *label, const json_t *va, const json_t *vb)
{
	char *ta, *tb;

	if ((va == NULL && vb == NULL) ||
	    (va != NULL && vb != NULL &&
	     json_equal((json_t *)va, (json_t *)vb)))
		return;
	ta = value_text(va);
	tb = value_text(vb);
	add_line(out, "%s %s -> %s", label, ta ? ta : "?", tb ? tb : "?");
	free(ta);
	free(tb);
}

/*
 * What an operator looks at first, from preview documents a and b: the
 * outcome, the order's status, warehouse, channel, shipping method,
 * number of rows and total, and the requests of each kind sent.  The
 * full list of differences (preview_diff) says the rest.
 */
static json_t *
preview_summary(const json_t *a, const json_t *b)
{
	static const struct {
		const char *label, *key, *sub;
	} fields[] = {
		{"status", "statusId", NULL},
		{"warehouse", "warehouseId", NULL},
		{"channel", "channelId", NULL},
		{"shipping method", "delivery", "shippingMethodId"},
		{"price list", "priceListId", NULL},
		{"project", "projectId", NULL},
		{"lead source", "leadSourceId", NULL},
		{"currency", "currency", "code"},
	};
	json_t *out = json_array(), *oa, *ob, *ra, *rb, *r;
	char sa[PS_MONEY_STR_MAX], sb[PS_MONEY_STR_MAX];
	size_t i, na, nb;

	if (out == NULL)
		return NULL;
	if (str_of(a, "error") || str_of(b, "error") || str_of(a, "skipped") ||
	    str_of(b, "skipped"))
		return out; /* the outcome line says it */
	oa = step_body(a, "sales order");
	ob = step_body(b, "sales order");
	for (i = 0; oa && ob && i < sizeof(fields) / sizeof(fields[0]); i++) {
		json_t *va = json_object_get(oa, fields[i].key);
		json_t *vb = json_object_get(ob, fields[i].key);

		if (fields[i].sub != NULL) {
			va = json_object_get(va, fields[i].sub);
			vb = json_object_get(vb, fields[i].sub);
		}
		summary_add(out, fields[i].label, va, vb);
	}
	if (oa && ob) {
		na = json_array_size(json_object_get(oa, "rows"));
		nb = json_array_size(json_object_get(ob, "rows"));
		if (na != nb)
			add_line(out, "rows %zu -> %zu", na, nb);
		order_total(sa, sizeof(sa), oa);
		order_total(sb, sizeof(sb), ob);
		if (strcmp(sa, sb) != 0)
			add_line(out, "total %s -> %s", sa, sb);
	}
	json_decref(oa);
	json_decref(ob);
	/* requests of each step: "payments 1 -> 0" */
	ra = json_object_get(a, "requests");
	rb = json_object_get(b, "requests");
	for (i = 0; i < json_array_size(ra) + json_array_size(rb); i++) {
		const char *step;

		r = i < json_array_size(ra)
			    ? json_array_get(ra, i)
			    : json_array_get(rb, i - json_array_size(ra));
		step = str_of(r, "step");
		if (i >= json_array_size(ra) && nth_step(ra, step, 0) != NULL)
			continue; /* counted from a */
		if (i < json_array_size(ra) && step_index(ra, step, i) > 0)
			continue; /* counted at its first */
		if (i >= json_array_size(ra) &&
		    step_index(rb, step, i - json_array_size(ra)) > 0)
			continue;
		for (na = 0; nth_step(ra, step, na) != NULL; na++)
			;
		for (nb = 0; nth_step(rb, step, nb) != NULL; nb++)
			;
		if (na != nb)
			add_line(out, "%s requests %zu -> %zu", step, na, nb);
	}
	return out;
}

/* ---- running previews ---------------------------------------------------- */

typedef struct preview_ctx {
	const ps_flow_ops *flow;
	ps_flow_env env;
	ps_store *st;
} preview_ctx;

/*
 * The preview document of source id (new reference); a plan that fails
 * becomes {"order": id, "error": message} when keep_errors, else NULL
 * with the error set.
 */
static json_t *
preview_doc(preview_ctx *c, const char *id, unsigned flags, int keep_errors,
	    int *error)
{
	char *text = NULL;
	json_t *doc;

	*error = c->flow->preview_requests(&text, &c->env, id, flags);
	if (*error < 0) {
		free(text);
		if (!keep_errors)
			return NULL;
		doc = json_pack("{s:s, s:s}", "order", id, "error",
				ps_error_last());
		ps_error_clear();
		*error = 0;
		return doc;
	}
	doc = json_loads(text, 0, NULL);
	free(text);
	if (doc == NULL)
		*error = ps_error_set(PS_ENOMEM, "out of memory");
	return doc;
}

/*
 * Preview id under the current settings, then under them plus file: the
 * file is written into the database in a transaction that is rolled back
 * before returning, so nothing stays.  *out {"order", "current",
 * "with_settings", "differences"}.
 */
static int
preview_pair(json_t **out, preview_ctx *c, const char *id, const char *file)
{
	json_t *a = NULL, *b = NULL, *d = NULL, *sum = NULL;
	int error, began = 0;

	*out = NULL;
	if ((a = preview_doc(c, id, PS_FLOW_PREVIEW_AS_NEW, 1, &error)) == NULL)
		return error;
	if ((error = ps_store_begin(c->st)) < 0)
		goto done;
	began = 1;
	if ((error = ps_cli_settings_apply(c->st, file, c->env.now)) < 0)
		goto done;
	if ((b = preview_doc(c, id, PS_FLOW_PREVIEW_AS_NEW, 1, &error)) == NULL)
		goto done;
	if ((d = preview_diff(a, b)) == NULL ||
	    (sum = preview_summary(a, b)) == NULL) {
		error = ps_error_set(PS_ENOMEM, "out of memory");
		goto done;
	}
	*out = json_pack("{s:s, s:O, s:O, s:O, s:O}", "order", id, "summary",
			 sum, "current", a, "with_settings", b, "differences",
			 d);
	if (*out == NULL)
		error = ps_error_set(PS_ENOMEM, "out of memory");
done:
	if (began)
		ps_store_rollback(c->st);
	json_decref(a);
	json_decref(b);
	json_decref(d);
	json_decref(sum);
	return error;
}

/* The requests of preview document doc, as text. */
static void
print_requests(FILE *out, const json_t *doc)
{
	json_t *r;
	size_t i;
	char buf[512];

	if (str_of(doc, "error") != NULL || str_of(doc, "skipped") != NULL) {
		fprintf(out, "  %s\n", side_state(doc, buf, sizeof(buf)));
		return;
	}
	json_array_foreach (json_object_get(doc, "requests"), i, r) {
		fprintf(out, "  %zu. %s %s  (%s)\n", i + 1, str_of(r, "method"),
			str_of(r, "path"), str_of(r, "step"));
		if (str_of(r, "body") != NULL)
			fprintf(out, "     %s\n", str_of(r, "body"));
	}
}

static void
print_differences(FILE *out, const json_t *d, const char *indent)
{
	json_t *v;
	size_t i;

	if (json_array_size(d) == 0)
		fprintf(out, "%sno difference\n", indent);
	json_array_foreach ((json_t *)d, i, v)
		fprintf(out, "%s%s\n", indent, json_string_value(v));
}

/* The source ids of the n objects flow did most recently (owned). */
static int
recent_ids(char ***out, size_t *out_n, ps_store *st, const ps_flow_ops *flow,
	   size_t n)
{
	ps_log_query q = PS_LOG_QUERY_INIT;
	ps_log_entry *page = NULL;
	size_t got = 0, np = 0, i, k;
	char **ids = calloc(n + 1, sizeof(*ids));
	int error = 0;

	*out = NULL;
	*out_n = 0;
	if (ids == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	q.status = PS_ENTRY_SYNCED;
	q.flow = flow->name;
	q.kind = flow->preview_kind;
	q.limit = 200;
	for (;;) {
		if ((error = ps_store_log_list(&page, &np, st, &q)) < 0 ||
		    np == 0)
			break;
		for (i = 0; i < np && got < n; i++) {
			const ps_log_entry *e = &page[i];

			if (e->target_id == NULL || e->source_id == NULL)
				continue; /* skipped: nothing was made */
			for (k = 0; k < got && strcmp(ids[k], e->source_id);
			     k++)
				;
			if (k < got)
				continue;
			if ((ids[got] = strdup(e->source_id)) == NULL) {
				error = ps_error_set(PS_ENOMEM,
						     "out of memory");
				break;
			}
			got++;
		}
		q.before_id = page[np - 1].id;
		ps_log_entries_free(page, np);
		page = NULL;
		if (error < 0 || got == n || np < q.limit)
			break;
	}
	if (error < 0) {
		for (i = 0; i < got; i++)
			free(ids[i]);
		free(ids);
		return error;
	}
	*out = ids;
	*out_n = got;
	return 0;
}

/* The summary line of pair ("noun ID: " first unless noun is NULL), then
 * its differences one per line. */
static void
print_summary(FILE *out, const char *noun, const json_t *pair)
{
	const json_t *d = json_object_get(pair, "differences");

	const json_t *sum = json_object_get(pair, "summary"), *v;
	size_t i;

	if (noun != NULL)
		fprintf(out, "%s %s: ", noun, str_of(pair, "order"));
	if (json_array_size(d) == 0) {
		fprintf(out, "no difference\n");
		return;
	}
	json_array_foreach ((json_t *)sum, i, v)
		fprintf(out, "%s%s", i ? ", " : "", json_string_value(v));
	fprintf(out, "%s%zu difference%s in the requests\n",
		json_array_size(sum) ? "; " : "", json_array_size(d),
		json_array_size(d) == 1 ? "" : "s");
	print_differences(out, d, "    ");
}

/* Parsed command line. */
typedef struct preview_args {
	const char *noun, *id, *settings;
	long recent;
	int json, has_recent;
} preview_args;

static int
parse_args(preview_args *a, int argc, char **argv)
{
	int i, npos = 0;

	memset(a, 0, sizeof(*a));
	a->recent = 10;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			a->json = 1;
		} else if (strcmp(argv[i], "--settings") == 0 && i + 1 < argc) {
			a->settings = argv[++i];
		} else if (strcmp(argv[i], "--recent") == 0 && i + 1 < argc) {
			if (ps_cli_parse_long(&a->recent, argv[++i], 1, 1000) <
			    0)
				return ps_cli_usage_error(
					"preview", "--recent takes 1 to 1000");
			a->has_recent = 1;
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			return ps_cli_usage_error(
				"preview", "unknown option '%s'", argv[i]);
		} else if (npos == 0) {
			a->noun = argv[i];
			npos++;
		} else if (npos == 1) {
			a->id = argv[i];
			npos++;
		} else {
			return ps_cli_usage_error("preview",
						  "preview needs: NOUN ID");
		}
	}
	if (npos == 1 || (npos == 0 && a->settings == NULL))
		return ps_cli_usage_error("preview", "preview needs: NOUN ID");
	if (npos == 2 && a->has_recent)
		return ps_cli_usage_error("preview",
					  "--recent goes without NOUN ID");
	if (a->has_recent && a->settings == NULL)
		return ps_cli_usage_error("preview",
					  "--recent needs --settings FILE");
	return PS_EXIT_OK;
}

/* The flow previewing noun (any flow with recent support when NULL). */
static const ps_flow_ops *
find_flow(const char *noun)
{
	const ps_flow_ops *const *flows = ps_flows_all();
	size_t i;

	for (i = 0; flows[i] != NULL; i++) {
		const ps_flow_ops *f = flows[i];

		if (f->preview == NULL || f->preview_noun == NULL)
			continue;
		if (noun != NULL && strcmp(f->preview_noun, noun) == 0)
			return f;
		if (noun == NULL && f->preview_requests != NULL &&
		    f->preview_kind != NULL)
			return f;
	}
	return NULL;
}

/* The modes that print requests (--json, --settings). */
static int
run_requests(preview_ctx *c, const preview_args *a)
{
	json_t *doc = NULL, *all = NULL, *pair;
	char **ids = NULL;
	size_t n = 0, i;
	int error = 0;

	if (a->settings == NULL) {
		if ((doc = preview_doc(c, a->id, 0, 0, &error)) == NULL)
			return error;
		json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII);
		fputc('\n', stdout);
		json_decref(doc);
		return 0;
	}
	if (a->id != NULL) {
		if ((error = preview_pair(&doc, c, a->id, a->settings)) < 0)
			return error;
		if (a->json) {
			json_dumpf(doc, stdout,
				   JSON_INDENT(2) | JSON_ENSURE_ASCII);
			fputc('\n', stdout);
		} else {
			printf("%s %s under the current settings:\n",
			       c->flow->preview_noun, a->id);
			print_requests(stdout, json_object_get(doc, "current"));
			printf("\nunder the current settings with %s:\n",
			       a->settings);
			print_requests(stdout,
				       json_object_get(doc, "with_settings"));
			printf("\nwhat would differ: ");
			print_summary(stdout, NULL, doc);
		}
		json_decref(doc);
		return 0;
	}
	if ((error = recent_ids(&ids, &n, c->st, c->flow, (size_t)a->recent)) <
	    0)
		return error;
	if ((all = json_array()) == NULL) {
		error = ps_error_set(PS_ENOMEM, "out of memory");
		goto done;
	}
	if (!a->json)
		printf("%s: the %zu %s%s imported most recently\n\n",
		       a->settings, n, c->flow->preview_noun,
		       n == 1 ? "" : "s");
	for (i = 0; i < n; i++) {
		if ((error = preview_pair(&pair, c, ids[i], a->settings)) < 0)
			goto done;
		if (!a->json)
			print_summary(stdout, c->flow->preview_noun, pair);
		json_array_append_new(all, pair);
	}
	if (a->json) {
		json_dumpf(all, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII);
		fputc('\n', stdout);
	}
done:
	json_decref(all);
	for (i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
	return error;
}

int
ps_cli_cmd_preview(const ps_cli_global *g, int argc, char **argv)
{
	ps_http_options ho = PS_HTTP_OPTIONS_INIT;
	preview_ctx c;
	preview_args a;
	ps_config cfg;
	ps_store *st = NULL;
	ps_http *http = NULL;
	ps_platform_conns conns;
	void *state = NULL;
	char *text = NULL;
	long id = 0;
	int status, error, planned = 0;
	const ps_flow_ops *flow;

	if ((status = parse_args(&a, argc, argv)) != PS_EXIT_OK)
		return status;
	flow = find_flow(a.noun);
	if (flow == NULL ||
	    (a.id != NULL && ps_cli_parse_long(&id, a.id, 1, 0x7fffffffL) < 0))
		return ps_cli_usage_error("preview", "preview needs: NOUN ID");
	if ((a.json || a.settings) && flow->preview_requests == NULL)
		return ps_cli_usage_error("preview",
					  "%s previews have no --json or "
					  "--settings",
					  flow->preview_noun);
	if ((status = ps_cli_open_store(&st, &cfg, g)) != PS_EXIT_OK)
		return status;
	ho.max_attempts = 3;
	ho.backoff_base_ms = 200;
	ho.backoff_cap_ms = 2000;
	ho.max_wait_ms = 10000;
	memset(&c, 0, sizeof(c));
	memset(&conns, 0, sizeof(conns));
	if ((error = ps_connect_http(&http, &cfg, &ho)) < 0 ||
	    (error = ps_platforms_connect(&conns, st, &cfg, http, NULL)) < 0)
		goto done;
	if (conns.conn[flow->source] == NULL ||
	    conns.conn[flow->target] == NULL) {
		const char *note = conns.note[flow->source][0] != '\0'
					   ? conns.note[flow->source]
					   : conns.note[flow->target];

		/* a note that filled its buffer was cut: say so */
		error = ps_error_set(PS_ESETTING, "%s%s", note,
				     strlen(note) + 1 >= sizeof(conns.note[0])
					     ? "\xe2\x80\xa6"
					     : "");
		goto done;
	}
	c.flow = flow;
	c.st = st;
	c.env.store = st;
	memcpy(c.env.conn, conns.conn, sizeof(c.env.conn));
	c.env.now = ps_cli_now_ms();
	if ((error = flow->init != NULL ? flow->init(&state, &c.env) : 0) < 0)
		goto done;
	c.env.state = state;
	planned = 1;
	if (a.json || a.settings) {
		error = run_requests(&c, &a);
		goto done;
	}
	if ((error = flow->preview(&text, &c.env, a.id)) < 0)
		goto done;
	print_preview(stdout, text);
done:
	if (error < 0 && planned && a.id != NULL && a.settings == NULL)
		ps_cli_error("the import of %s %ld would fail: %s",
			     flow->preview_noun, id, ps_error_last());
	else if (error < 0 && a.id != NULL)
		ps_cli_error("cannot preview %s %ld: %s", flow->preview_noun,
			     id, ps_error_last());
	else if (error < 0)
		ps_cli_error("cannot preview %s: %s", a.settings,
			     ps_error_last());
	if (error < 0)
		status = PS_EXIT_FAIL;
	free(text);
	if (flow->fini != NULL)
		flow->fini(state);
	ps_platforms_disconnect(&conns);
	ps_http_free(http);
	ps_store_close(st);
	return status;
}
