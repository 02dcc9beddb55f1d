/*
 * reconcile.c - the generic half of the reconciliation report: run the
 * reconciler of every flow group whose platforms are connected, count
 * what it cost, queue the missing orders, and the report as JSON.
 *
 * Nothing here knows a platform: each pair's comparison is its group's
 * ps_reconciler (core/flows/<pair>/reconcile.c).
 */
#include "internal.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "pearlsync/platform.h"
#include "pearlsync/reconcile.h"
#include "pearlsync/setup.h"

static const char *const kind_names[PS_RECON_KIND_COUNT] = {
	"missing", "orphan", "total", "shipment", "stock"};
static const char *const kind_titles[PS_RECON_KIND_COUNT] = {
	"Missing orders", "Orders without a source", "Totals that differ",
	"Shipments not on the source", "Stock that differs"};

const char *
ps_recon_kind_name(ps_recon_kind k)
{
	return (unsigned)k < PS_RECON_KIND_COUNT ? kind_names[k] : "?";
}

const char *
ps_recon_kind_title(ps_recon_kind k)
{
	return (unsigned)k < PS_RECON_KIND_COUNT ? kind_titles[k] : "?";
}

int
ps_recon_add(ps_recon_report *r, const ps_recon_item *item)
{
	ps_recon_item *v;
	size_t cap;

	if (r->n == r->cap) {
		cap = r->cap ? r->cap * 2 : 16;
		if ((v = realloc(r->items, cap * sizeof(*v))) == NULL)
			return ps_error_set(PS_ENOMEM, "out of memory");
		r->items = v;
		r->cap = cap;
	}
	r->items[r->n++] = *item;
	return 0;
}

void
ps_recon_note(ps_recon_report *r, const char *fmt, ...)
{
	va_list ap;

	if (r->nnotes >= PS_RECON_NOTES_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(r->notes[r->nnotes], sizeof(r->notes[0]), fmt, ap);
	va_end(ap);
	r->nnotes++;
}

void
ps_recon_report_dispose(ps_recon_report *r)
{
	if (r == NULL)
		return;
	free(r->items);
	memset(r, 0, sizeof(*r));
}

size_t
ps_recon_count(const ps_recon_report *r, ps_recon_kind kind)
{
	size_t i, n = 0;

	for (i = 0; i < r->n; i++)
		n += r->items[i].kind == kind;
	return n;
}

size_t
ps_recon_queueable(const ps_recon_report *r)
{
	size_t i, n = 0;

	for (i = 0; i < r->n; i++)
		n += r->items[i].queueable != 0;
	return n;
}

static void
count_request(void *ctx, ps_platform platform, const char *endpoint,
	      ps_http_outcome outcome, int64_t count)
{
	int64_t *v = ctx;

	(void)endpoint;
	(void)outcome;
	if ((unsigned)platform < PS_PLATFORM_MAX)
		v[platform] += count;
}

static const ps_reconciler *
reconciler_named(const char *name)
{
	const ps_flow_group *const *g = ps_flow_groups_all();

	for (; *g != NULL; g++)
		if ((*g)->reconciler != NULL &&
		    strcmp((*g)->reconciler->name, name) == 0)
			return (*g)->reconciler;
	return NULL;
}

int
ps_reconcile_run(ps_recon_report *out, ps_store *st, const ps_config *cfg,
		 ps_http *http, const ps_recon_query *q, int64_t now)
{
	const ps_flow_group *const *g = ps_flow_groups_all();
	ps_platform_conns conns;
	int64_t before[PS_PLATFORM_MAX], after[PS_PLATFORM_MAX];
	char why[320] = "";
	size_t ran = 0, i;
	int error;

	memset(out, 0, sizeof(*out));
	memset(&conns, 0, sizeof(conns));
	memset(before, 0, sizeof(before));
	memset(after, 0, sizeof(after));
	out->since = q->since;
	out->until = q->until;
	if ((error = ps_platforms_connect(&conns, st, cfg, http, NULL)) < 0)
		return error;
	ps_http_counts_foreach(http, count_request, before);
	for (; *g != NULL && error == 0; g++) {
		const ps_reconciler *rc = (*g)->reconciler;
		ps_flow_env env;

		if (rc == NULL)
			continue;
		if (conns.conn[rc->source] == NULL ||
		    conns.conn[rc->target] == NULL) {
			const char *note = conns.conn[rc->source] == NULL
						   ? conns.note[rc->source]
						   : conns.note[rc->target];

			/* a note that filled its buffer was cut: say so */
			if (why[0] == '\0')
				snprintf(why, sizeof(why), "%.60s: %.200s%s",
					 rc->title, note,
					 strlen(note) + 1 >=
							 sizeof(conns.note[0])
						 ? "\xe2\x80\xa6"
						 : "");
			continue;
		}
		memset(&env, 0, sizeof(env));
		env.store = st;
		memcpy(env.conn, conns.conn, sizeof(env.conn));
		env.now = now;
		if ((error = rc->run(out, &env, q)) < 0)
			error = ps_util__error_wrap(error, "%s", rc->title);
		ran++;
	}
	ps_http_counts_foreach(http, count_request, after);
	for (i = 0; i < PS_PLATFORM_MAX; i++)
		out->requests[i] = after[i] - before[i];
	ps_platforms_disconnect(&conns);
	if (error == 0 && ran == 0)
		error = ps_error_set(PS_ESETTING, "nothing to reconcile: %s",
				     why[0] ? why
					    : "no pair of platforms has a "
					      "reconciliation");
	return error;
}

int
ps_reconcile_queue(size_t *out_queued, ps_store *st, const ps_recon_report *r,
		   int64_t now)
{
	size_t i, n = 0;
	int error;

	*out_queued = 0;
	if ((error = ps_store_begin(st)) < 0)
		return error;
	for (i = 0; i < r->n && error >= 0; i++) {
		const ps_reconciler *rc;

		if (!r->items[i].queueable)
			continue;
		rc = reconciler_named(r->items[i].group);
		if (rc == NULL || rc->queue == NULL)
			continue;
		if ((error = rc->queue(st, &r->items[i], now)) > 0)
			n++;
	}
	if (error < 0) {
		ps_store_rollback(st);
		return error;
	}
	if ((error = ps_store_commit(st)) < 0)
		return error;
	*out_queued = n;
	return 0;
}

static json_t *
item_json(const ps_recon_item *it)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b}",
			 "kind", ps_recon_kind_name(it->kind), "group",
			 it->group, "why", it->why, "source_id", it->source_id,
			 "target_id", it->target_id, "source_value",
			 it->source_value, "target_value", it->target_value,
			 "text", it->text, "queueable", it->queueable != 0);
}

char *
ps_reconcile_json(const ps_recon_report *r, long queued)
{
	json_t *doc, *items, *counts, *req, *notes;
	char *text = NULL;
	size_t i;

	doc = json_object();
	items = json_array();
	counts = json_object();
	req = json_object();
	notes = json_array();
	if (doc == NULL || items == NULL || counts == NULL || req == NULL ||
	    notes == NULL)
		goto done;
	for (i = 0; i < r->n; i++)
		json_array_append_new(items, item_json(&r->items[i]));
	for (i = 0; i < PS_RECON_KIND_COUNT; i++)
		json_object_set_new(counts, kind_names[i],
				    json_integer((json_int_t)ps_recon_count(
					    r, (ps_recon_kind)i)));
	for (i = 0; i < PS_PLATFORM_MAX; i++) {
		const ps_platform_ops *ops = ps_platform_ops_of((ps_platform)i);

		if (ops != NULL && r->requests[i] > 0)
			json_object_set_new(
				req, ops->name,
				json_integer((json_int_t)r->requests[i]));
	}
	for (i = 0; i < r->nnotes; i++)
		json_array_append_new(notes, json_string(r->notes[i]));
	json_object_set_new(doc, "since", json_integer(r->since));
	json_object_set_new(doc, "until", json_integer(r->until));
	json_object_set_new(doc, "orders", json_integer((json_int_t)r->orders));
	json_object_set_new(doc, "skus", json_integer((json_int_t)r->skus));
	json_object_set_new(doc, "queueable",
			    json_integer((json_int_t)ps_recon_queueable(r)));
	if (queued >= 0)
		json_object_set_new(doc, "queued",
				    json_integer((json_int_t)queued));
	json_object_set(doc, "requests", req);
	json_object_set(doc, "notes", notes);
	json_object_set(doc, "counts", counts);
	json_object_set(doc, "differences", items);
	text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
done:
	json_decref(items);
	json_decref(counts);
	json_decref(req);
	json_decref(notes);
	json_decref(doc);
	return text;
}

/* Digits at *p into *out (at most max of them, at least one). */
static int
digits(int64_t *out, const char **p, int n)
{
	int64_t v = 0;
	int i;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

int
ps_reconcile_parse_time(int64_t *out, const char *text, int64_t now)
{
	int64_t y, mo, d, h = 0, mi = 0, s = 0, n;
	const char *p = text;
	char *end;

	*out = 0;
	if (text == NULL || *text == '\0')
		goto bad;
	if (strcmp(text, "now") == 0) {
		*out = now;
		return 0;
	}
	if (isdigit((unsigned char)text[0]) && strchr(text, '-') == NULL) {
		n = strtoll(text, &end, 10);
		if (end == text || n < 0 || end[0] == '\0' || end[1] != '\0')
			goto bad;
		switch (*end) {
		case 'm':
			*out = now - n * 60;
			return 0;
		case 'h':
			*out = now - n * 3600;
			return 0;
		case 'd':
			*out = now - n * 86400;
			return 0;
		default:
			goto bad;
		}
	}
	if (digits(&y, &p, 4) < 0 || *p++ != '-' || digits(&mo, &p, 2) < 0 ||
	    *p++ != '-' || digits(&d, &p, 2) < 0 || mo < 1 || mo > 12 ||
	    d < 1 || d > 31)
		goto bad;
	if (*p == 'T' || *p == ' ') {
		p++;
		if (digits(&h, &p, 2) < 0 || *p++ != ':' ||
		    digits(&mi, &p, 2) < 0 || h > 23 || mi > 59)
			goto bad;
		if (*p == ':' && (p++, digits(&s, &p, 2) < 0 || s > 59))
			goto bad;
		if (*p == 'Z')
			p++;
	}
	if (*p != '\0')
		goto bad;
	*out = ps_util__days_from_civil(y, (int)mo, (int)d) * 86400 + h * 3600 +
	       mi * 60 + s;
	return 0;
bad:
	return ps_error_set(PS_EINVAL,
			    "'%s' is not a time: give a date (2026-03-01), a "
			    "UTC time (2026-03-01T14:30), 'now' or a time "
			    "ago (90m, 6h, 7d)",
			    text ? text : "");
}
