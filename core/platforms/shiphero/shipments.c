/*
 * shipments.c - ShipHero shipments, for tracking back: every shipment
 * since a date, page after page with one page held at a time, and one
 * shipment by id (to confirm a webhook).  A shipment's packages are its
 * shipping labels; its lines say which order line, how many and in which
 * package.  ShipHero sends empty strings and nulls freely: both read as
 * "not said".
 */
#include "platforms/shiphero/shiphero_int.h"
#include "platforms/connector.h"
#include "internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

void
ps_sh_shipment_dispose(ps_sh_shipment *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nlines; i++) {
		ps_sh_shipment_line *l = &s->lines[i];

		free(l->id);
		free(l->line_item_id);
		free(l->shipping_label_id);
		free(l->sku);
		free(l->partner_line_item_id);
	}
	for (i = 0; i < s->nlabels; i++) {
		ps_sh_label *b = &s->labels[i];

		free(b->id);
		free(b->tracking_number);
		free(b->tracking_url);
		free(b->carrier);
		free(b->shipping_name);
		free(b->shipping_method);
		free(b->status);
	}
	free(s->lines);
	free(s->labels);
	free(s->id);
	free(s->order_id);
	free(s->order_number);
	free(s->partner_order_id);
	free(s->warehouse_id);
	memset(s, 0, sizeof(*s));
}

static int
line_parse(ps_sh_shipment_line *l, const json_t *node, const char *what)
{
	const json_t *li = json_object_get(node, "line_item");
	int error;

	if ((error = ps_conn__json_int_opt(&l->quantity, node, "quantity", what,
					   0)) < 0 ||
	    (error = ps_sh__dup(&l->id, node, "id")) < 0 ||
	    (error = ps_sh__dup(&l->line_item_id, node, "line_item_id")) < 0 ||
	    (error = ps_sh__dup(&l->shipping_label_id, node,
				"shipping_label_id")) < 0 ||
	    (error = ps_sh__dup(&l->sku, li, "sku")) < 0 ||
	    (error = ps_sh__dup(&l->partner_line_item_id, li,
				"partner_line_item_id")) < 0)
		return error;
	if (l->quantity < 0)
		return ps_error_set(PS_EDATA,
				    "%s: a line's field 'quantity' is %" PRId64
				    "; a shipped quantity is never negative",
				    what, l->quantity);
	return 0;
}

static int
label_parse(ps_sh_label *b, const json_t *node, const char *what)
{
	int error;

	if ((error = ps_conn__json_money_opt(&b->cost, node, "cost", what, 0)) <
		    0 ||
	    (error = ps_conn__json_int_opt(&b->package_number, node,
					   "package_number", what, 0)) < 0 ||
	    (error = ps_sh__dup(&b->id, node, "id")) < 0 ||
	    (error = ps_sh__dup(&b->tracking_number, node, "tracking_number")) <
		    0 ||
	    (error = ps_sh__dup(&b->tracking_url, node, "tracking_url")) < 0 ||
	    (error = ps_sh__dup(&b->carrier, node, "carrier")) < 0 ||
	    (error = ps_sh__dup(&b->shipping_name, node, "shipping_name")) <
		    0 ||
	    (error = ps_sh__dup(&b->shipping_method, node, "shipping_method")) <
		    0 ||
	    (error = ps_sh__dup(&b->status, node, "status")) < 0)
		return error;
	b->created_at = ps_sh__date(
		json_string_value(json_object_get(node, "created_date")));
	return 0;
}

/* A JSON true; null and absent are false (ShipHero sends null). */
static int
truthy(const json_t *o, const char *key)
{
	return json_is_true(json_object_get(o, key));
}

static int
shipment_parse(ps_sh_shipment *out, const json_t *node)
{
	const json_t *order = json_object_get(node, "order");
	const json_t *lines = ps_conn__json_at(node, "line_items");
	const json_t *edges = json_object_get(lines, "edges");
	const json_t *labels = json_object_get(node, "shipping_labels");
	const json_t *e;
	char what[PS_SH__WHAT_MAX];
	size_t i;
	int error;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(node))
		return ps_error_set(PS_EDATA, "ShipHero shipment: the reply "
					      "has no shipment");
	if ((error = ps_sh__dup(&out->id, node, "id")) < 0)
		return error;
	snprintf(what, sizeof(what), "ShipHero shipment %s",
		 out->id ? out->id : "(no id)");
	if (out->id == NULL) {
		error = ps_error_set(PS_EDATA, "%s: field 'id' missing", what);
		goto fail;
	}
	if ((error = ps_conn__json_int_opt(&out->legacy_id, node, "legacy_id",
					   what, 0)) < 0 ||
	    (error = ps_conn__json_int_opt(&out->total_packages, node,
					   "total_packages", what, 0)) < 0 ||
	    (error = ps_sh__dup(&out->order_id, node, "order_id")) < 0 ||
	    (error = ps_sh__dup(&out->warehouse_id, node, "warehouse_id")) <
		    0 ||
	    (error = ps_sh__dup(&out->order_number, order, "order_number")) <
		    0 ||
	    (error = ps_sh__dup(&out->partner_order_id, order,
				"partner_order_id")) < 0)
		goto fail;
	if (out->legacy_id < 0) {
		error = ps_error_set(PS_EDATA,
				     "%s: field 'legacy_id' is %" PRId64
				     ", not a shipment id",
				     what, out->legacy_id);
		goto fail;
	}
	if (out->order_id == NULL &&
	    (error = ps_sh__dup(&out->order_id, order, "id")) < 0)
		goto fail;
	out->created_at = ps_sh__date(
		json_string_value(json_object_get(node, "created_date")));
	out->shipped_off_shiphero = truthy(node, "shipped_off_shiphero");
	out->dropshipment = truthy(node, "dropshipment");
	if (json_array_size(edges) > 0 &&
	    (out->lines = calloc(json_array_size(edges),
				 sizeof(*out->lines))) == NULL)
		goto nomem;
	json_array_foreach ((json_t *)edges, i, e) {
		const json_t *n = json_object_get(e, "node");

		if (!json_is_object(n))
			continue;
		out->nlines++;
		if ((error = line_parse(&out->lines[out->nlines - 1], n,
					what)) < 0)
			goto fail;
	}
	if (json_array_size(labels) > 0 &&
	    (out->labels = calloc(json_array_size(labels),
				  sizeof(*out->labels))) == NULL)
		goto nomem;
	json_array_foreach ((json_t *)labels, i, e) {
		if (!json_is_object(e))
			continue;
		out->nlabels++;
		if ((error = label_parse(&out->labels[out->nlabels - 1], e,
					 what)) < 0)
			goto fail;
	}
	if (out->total_packages == 0)
		out->total_packages = (int64_t)out->nlabels;
	return 0;
nomem:
	error = ps_error_set(PS_ENOMEM, NULL);
fail:
	ps_sh_shipment_dispose(out);
	return error;
}

struct lines_ctx {
	ps_sh_shipment *s;
	size_t cap;
};

static int
more_line(void *ctx, const json_t *node)
{
	struct lines_ctx *c = ctx;
	ps_sh_shipment_line *v;
	char what[PS_SH__WHAT_MAX];

	if (c->s->nlines == c->cap) {
		size_t cap = c->cap * 2 + 16;

		if ((v = realloc(c->s->lines, cap * sizeof(*v))) == NULL)
			return ps_error_set(PS_ENOMEM, NULL);
		memset(v + c->s->nlines, 0, (cap - c->s->nlines) * sizeof(*v));
		c->s->lines = v;
		c->cap = cap;
	}
	snprintf(what, sizeof(what), "ShipHero shipment %s", c->s->id);
	c->s->nlines++;
	return line_parse(&c->s->lines[c->s->nlines - 1], node, what);
}

int
ps_sh__shipment_read(ps_sh_shipment *out, ps_sh *sh, const json_t *node)
{
	const json_t *pi = ps_conn__json_at(node, "line_items.pageInfo");
	const char *after;
	struct lines_ctx c;
	json_t *vars;
	int error;

	if ((error = shipment_parse(out, node)) < 0)
		return error;
	if (!json_is_true(json_object_get(pi, "hasNextPage")))
		return 0;
	/* a shipment of many lines: the rest, page after page */
	after = json_string_value(json_object_get(pi, "endCursor"));
	if (after == NULL) {
		error = ps_error_set(PS_EDATA,
				     "ShipHero shipment %s: more "
				     "lines but no cursor",
				     out->id);
		goto fail;
	}
	c.s = out;
	c.cap = out->nlines;
	if ((vars = json_pack("{s:s}", "id", out->id)) == NULL) {
		error = ps_error_set(PS_ENOMEM, NULL);
		goto fail;
	}
	error = ps_sh__walk_from(sh, &ps_sh__op_shipment_lines, vars,
				 "data.line_items", 100, after, more_line, &c);
	json_decref(vars);
	if (error == 0)
		return 0;
fail:
	ps_sh_shipment_dispose(out);
	return error;
}

struct walk_ctx {
	ps_sh *sh;
	ps_sh_shipment_fn fn;
	ps_sh_shipment_bad_fn bad;
	void *ctx;
};

/* Pass node, which did not parse, to w->bad with the reason just set. */
static int
report_bad(struct walk_ctx *w, const json_t *node)
{
	const json_t *id = json_object_get(node, "id");
	const json_t *legacy = json_object_get(node, "legacy_id");
	const json_t *partner =
		ps_conn__json_at(node, "order.partner_order_id");
	char reason[PS_ERROR_MAX];

	snprintf(reason, sizeof(reason), "%s", ps_error_last());
	ps_error_clear();
	return w->bad(w->ctx, json_string_value(id),
		      json_is_integer(legacy) && json_integer_value(legacy) > 0
			      ? json_integer_value(legacy)
			      : 0,
		      json_string_value(partner), reason);
}

static int
shipment_node(void *ctx, const json_t *node)
{
	struct walk_ctx *w = ctx;
	ps_sh_shipment s;
	int error;

	if ((error = ps_sh__shipment_read(&s, w->sh, node)) < 0)
		return error == PS_EDATA && w->bad != NULL ? report_bad(w, node)
							   : error;
	error = w->fn(w->ctx, &s);
	ps_sh_shipment_dispose(&s);
	return error;
}

int
ps_sh_shipments_since(ps_sh *sh, int64_t since, ps_sh_shipment_fn fn, void *ctx)
{
	return ps_sh_shipments_walk(sh, since, fn, NULL, ctx);
}

int
ps_sh_shipments_walk(ps_sh *sh, int64_t since, ps_sh_shipment_fn fn,
		     ps_sh_shipment_bad_fn bad, void *ctx)
{
	struct walk_ctx w = {sh, fn, bad, ctx};
	char date[32];
	json_t *vars;
	int error, first;

	if (fn == NULL)
		return ps_error_set(PS_EINVAL, "ShipHero shipments: no "
					       "callback");
	ps_sh__date_format(date, sizeof(date), since > 0 ? since : 0);
	if ((vars = json_pack("{s:s}", "date_from", date)) == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	first = sh->page_size < PS_SH__SHIPMENT_PAGE ? sh->page_size
						     : PS_SH__SHIPMENT_PAGE;
	error = ps_sh__walk(sh, &ps_sh__op_shipments, vars, first,
			    shipment_node, &w);
	json_decref(vars);
	return error;
}

int
ps_sh_shipment_get(ps_sh_shipment *out, ps_sh *sh, const char *id)
{
	json_t *r = NULL, *node;
	int error;

	memset(out, 0, sizeof(*out));
	if (id == NULL || id[0] == '\0')
		return ps_error_set(PS_EINVAL, "ShipHero shipment: no id");
	error = ps_sh__call(&r, sh, &ps_sh__op_shipment,
			    json_pack("{s:s}", "id", id));
	if (error < 0)
		return error;
	node = json_object_get(r, "data");
	if (!json_is_object(node))
		error = ps_error_set(PS_ENOTFOUND,
				     "ShipHero has no shipment %s", id);
	else
		error = ps_sh__shipment_read(out, sh, node);
	json_decref(r);
	return error;
}
