/*
 * screen_mappings.c - the mapping editors: the list of every mapping
 * table (main screen 3) and one table's editor (pushed with Enter, also
 * from the setup steps).
 *
 * The editor is a view of model_mapping.c: add (a), change the target
 * (Enter or e), delete (d, confirmed), import (i) and export (o) CSV.
 * Values that come from a platform list are chosen in a picker of the
 * cached values, so an operator cannot type a status that does not exist.
 * A product table's target is found by a live search on its platform (the
 * plug-in's lookup slots: SKU, name or id) and chosen in a picker of
 * "id  SKU  name"; the id is what is stored, because the id is what the
 * order imports read.  The search runs as a job on its own thread (work.h)
 * while the editor keeps answering keys; Esc or Ctrl-C cancels it.  When
 * the keys come from a script it runs inline, as the setup's work does.
 *
 * An import the model refuses is shown in a box of its own (one line per
 * bad row, scrolling) that stays until the operator closes it.
 */
#include "tui.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_mapping.h"
#include "model_setup.h"
#include "pearlsync/connect.h"
#include "pearlsync/platform.h"
#include "work.h"

/* ------------------------------------------------------------------------ */
/* The list of tables                                                        */

struct tables {
	ps_tui_list list;
	size_t rows[32];
	int has_default[32];
	int stale[32];
};

static int
tables_reload(void *state, ps_tui *tui)
{
	struct tables *t = state;
	char why[256];
	size_t i;
	int error;

	for (i = 0; i < ps_mapedit_kind_count() && i < 32; i++) {
		if ((error = ps_mapedit_check(
			     &t->rows[i], &t->has_default[i], why, sizeof(why),
			     ps_tui_store(tui), ps_mapedit_kind_at(i))) < 0)
			return error;
		t->stale[i] = why[0] != '\0';
	}
	return 0;
}

static int
tables_open(void **out, ps_tui *tui, const void *arg)
{
	struct tables *t;
	int error;

	(void)arg;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	ps_tui_list_set_count(&t->list, ps_mapedit_kind_count() < 32
						? ps_mapedit_kind_count()
						: 32);
	if ((error = tables_reload(t, tui)) < 0) {
		free(t);
		return error;
	}
	*out = t;
	return 0;
}

static void
tables_close(void *state)
{
	free(state);
}

static void
tables_draw(void *state, ps_tui *tui)
{
	struct tables *t = state;
	const ps_mapedit_kind *k;
	ps_tui_attr a;
	size_t i;
	int row;

	ps_tui_text(tui, 0, 1, 0, PS_TUI_HEADING,
		    "Mapping tables (Enter opens the editor)");
	ps_tui_text(tui, 2, 2, 0, PS_TUI_HEADING, "Table");
	ps_tui_text(tui, 2, 52, 0, PS_TUI_HEADING, "Rows");
	ps_tui_text(tui, 2, 59, 0, PS_TUI_HEADING, "Default");
	for (i = 0; i < t->list.count; i++) {
		k = ps_mapedit_kind_at(i);
		row = 3 + (int)i;
		a = i == t->list.sel ? PS_TUI_SELECTED : PS_TUI_NORMAL;
		if (i == t->list.sel)
			ps_tui_fill(tui, row, PS_TUI_SELECTED);
		ps_tui_cell(tui, row, 2, 48, a, k->title);
		ps_tui_textf(tui, row, 52, 6, a, "%4zu", t->rows[i]);
		ps_tui_text(tui, row, 59, 8, a,
			    t->has_default[i] ? "yes" : "no");
		if (t->stale[i])
			ps_tui_text(tui, row, 67, 0,
				    i == t->list.sel ? a : PS_TUI_WARN,
				    "stale!");
	}
	row = 4 + (int)t->list.count;
	ps_tui_textf(tui, row, 2, 0, PS_TUI_DIM, "kind %s, direction %s",
		     ps_mapedit_kind_at(t->list.sel)->kind,
		     ps_mapedit_kind_at(t->list.sel)->direction);
}

extern const ps_screen_ops ps_screen_mapedit;

static int
tables_handle(void *state, ps_tui *tui, ps_tui_request req)
{
	struct tables *t = state;

	if (ps_tui_list_move(&t->list, req, (int)t->list.count))
		return PS_TUI_HANDLED;
	if (req == PS_TUI_REQ_ENTER || req == PS_TUI_REQ_EDIT)
		return ps_tui_push(tui, &ps_screen_mapedit,
				   ps_mapedit_kind_at(t->list.sel));
	return PS_TUI_UNHANDLED;
}

const ps_screen_ops ps_screen_mappings = {
	"mappings",  "Mappings",    tables_open, tables_close, tables_reload,
	tables_draw, tables_handle, NULL,        "Enter:open",
};

/* ------------------------------------------------------------------------ */
/* One table's editor                                                        */

struct editor {
	ps_mapedit ed;
	ps_tui_list list;
	char source[256]; /* the row being added or edited */
	int adding;
	char **ids; /* what the open picker's items stand for */
	size_t nids;
	/* looked-up tables (products): the plug-in and its connection,
	 * made on first use; conn NULL while the platform is not set up */
	const ps_platform_ops *lookup; /* static */
	void *conn;                    /* owned, freed by lookup->free */
	ps_http *http;                 /* owned */
	ps_config cfg; /* the built-in defaults when the console has none */
	/* a product search on its own thread (work.h); NULL: none runs */
	ps_tui *tui;
	ps_tui_job *job;
};

static void
ids_free(struct editor *e)
{
	size_t i;

	for (i = 0; i < e->nids; i++)
		free(e->ids[i]);
	free(e->ids);
	e->ids = NULL;
	e->nids = 0;
}

static int
editor_reload(void *state, ps_tui *tui)
{
	struct editor *e = state;
	int error;

	(void)tui;
	if ((error = ps_mapedit_reload(&e->ed)) < 0)
		return error;
	ps_tui_list_set_count(&e->list, e->ed.n);
	return 0;
}

static int
editor_open(void **out, ps_tui *tui, const void *arg)
{
	struct editor *e;
	int error;

	if (arg == NULL)
		return ps_error_set(PS_EINVAL, "no mapping table given");
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	if ((error = ps_mapedit_open(&e->ed, ps_tui_store(tui), arg)) < 0) {
		ps_mapedit_close(&e->ed);
		free(e);
		return error;
	}
	ps_tui_list_set_count(&e->list, e->ed.n);
	e->tui = tui;
	*out = e;
	return 0;
}

static void
editor_close(void *state)
{
	struct editor *e = state;

	if (e == NULL)
		return;
	if (e->job != NULL) {
		ps_tui_job_abandon(e->job);
		e->job = NULL;
		ps_tui_busy(e->tui, 0);
	}
	ids_free(e);
	ps_mapedit_close(&e->ed);
	if (e->conn != NULL)
		e->lookup->free(e->conn);
	ps_http_free(e->http);
	free(e);
}

/* One side of a row as the editor shows it: "id  name". */
static void
row_side(char *buf, size_t cap, const char *id, const char *name)
{
	snprintf(buf, cap, "%s%s%s", id, name ? "  " : "", name ? name : "");
}

static void
editor_draw(void *state, ps_tui *tui)
{
	struct editor *e = state;
	const ps_mapedit_kind *k = e->ed.kind;
	char cell[1024];
	int rows = ps_tui_body_rows(tui) - 5, i, row;
	ps_tui_attr a;
	size_t r;

	ps_tui_text(tui, 0, 1, 0, PS_TUI_HEADING, k->title);
	ps_tui_job_draw(tui, 1, e->job);
	ps_tui_text(tui, 2, 2, 36, PS_TUI_HEADING, k->source_label);
	ps_tui_text(tui, 2, 40, 36, PS_TUI_HEADING, k->target_label);
	if (e->ed.n == 0)
		ps_tui_text(tui, 3, 2, 0, PS_TUI_DIM,
			    "No rows yet: a adds one (an empty source is the "
			    "default row).");
	ps_tui_list_show(&e->list, rows);
	for (i = 0; i < rows; i++) {
		const ps_mapedit_row *m;

		r = e->list.top + (size_t)i;
		if (r >= e->ed.n)
			break;
		m = &e->ed.rows[r];
		row = 3 + i;
		a = r == e->list.sel ? PS_TUI_SELECTED : PS_TUI_NORMAL;
		if (r == e->list.sel)
			ps_tui_fill(tui, row, PS_TUI_SELECTED);
		if (m->source[0] == '\0') {
			ps_tui_cell(tui, row, 2, 36,
				    a == PS_TUI_NORMAL ? PS_TUI_DIM : a,
				    "(default: anything else)");
		} else {
			row_side(cell, sizeof(cell), m->source, m->source_name);
			ps_tui_cell(tui, row, 2, 36, a, cell);
		}
		row_side(cell, sizeof(cell), m->target, m->target_name);
		ps_tui_cell(tui, row, 40, 36, a, cell);
		if (m->stale)
			ps_tui_text(tui, row, 77, 0,
				    a == PS_TUI_NORMAL ? PS_TUI_WARN : a, "!");
	}
	ps_tui_text(tui, ps_tui_body_rows(tui) - 1, 2, 0, PS_TUI_DIM,
		    "a:add  Enter:change target  v:view  d:delete  "
		    "i:import CSV  o:export CSV");
}

/* A value for one side: a picker of the cached list, else a prompt. */
static int pick_or_prompt(struct editor *e, ps_tui *tui, const char *list,
			  const char *label, int with_default,
			  const char *current, ps_tui_pick_cb pick_cb,
			  ps_tui_prompt_cb prompt_cb);

static int
commit_target(struct editor *e, ps_tui *tui, const char *target)
{
	size_t i;
	int error;

	if ((error = ps_mapedit_set(&e->ed, e->source, target,
				    ps_tui_now(tui))) < 0)
		return error;
	ps_tui_list_set_count(&e->list, e->ed.n);
	for (i = 0; i < e->ed.n; i++)
		if (strcmp(e->ed.rows[i].source, e->source) == 0)
			e->list.sel = i;
	if (e->ed.note[0] != '\0')
		ps_tui_message(tui, 0, "Saved: %s.", e->ed.note);
	else
		ps_tui_message(tui, 0, "Saved.");
	return 0;
}

static int
on_target_text(ps_tui *tui, void *payload, const char *text)
{
	if (text == NULL)
		return 0;
	return commit_target(payload, tui, text);
}

static int
on_target_pick(ps_tui *tui, void *payload, long index, const char *item)
{
	struct editor *e = payload;

	(void)item;
	if (index < 0 || (size_t)index >= e->nids)
		return 0;
	return commit_target(e, tui, e->ids[index]);
}

static int on_product_search(ps_tui *tui, void *payload, const char *text);

static int
ask_target(struct editor *e, ps_tui *tui, const char *current)
{
	if (ps_mapedit_kind_lookup(e->ed.kind) != NULL) {
		char prompt[160];

		snprintf(prompt, sizeof(prompt),
			 "Find the %s (SKU, name or id):",
			 e->ed.kind->target_label);
		ps_tui_prompt(tui, prompt, current, 0, on_product_search, e);
		return 0;
	}
	return pick_or_prompt(e, tui, e->ed.kind->target_list,
			      e->ed.kind->target_label, 0, current,
			      on_target_pick, on_target_text);
}

static int
on_source_text(ps_tui *tui, void *payload, const char *text)
{
	struct editor *e = payload;

	if (text == NULL)
		return 0;
	snprintf(e->source, sizeof(e->source), "%s", text);
	return ask_target(e, tui, NULL);
}

static int
on_source_pick(ps_tui *tui, void *payload, long index, const char *item)
{
	struct editor *e = payload;

	(void)item;
	if (index < 0 || (size_t)index >= e->nids)
		return 0;
	snprintf(e->source, sizeof(e->source), "%s",
		 e->ids[index] ? e->ids[index] : "");
	return ask_target(e, tui, NULL);
}

static int
ids_add(struct editor *e, const char *id)
{
	char **g = realloc(e->ids, (e->nids + 1) * sizeof(*g));

	if (g == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	e->ids = g;
	e->ids[e->nids] = NULL;
	if (id != NULL && (e->ids[e->nids] = strdup(id)) == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	e->nids++;
	return 0;
}

static int
pick_or_prompt(struct editor *e, ps_tui *tui, const char *list,
	       const char *label, int with_default, const char *current,
	       ps_tui_pick_cb pick_cb, ps_tui_prompt_cb prompt_cb)
{
	ps_setup_choices c = {0};
	char **labels = NULL, prompt[128], text[256];
	size_t i, initial = 0;
	int error = 0;

	ids_free(e);
	if (list != NULL &&
	    (error = ps_setup_choices_load(&c, ps_tui_store(tui), list)) < 0)
		return error;
	if (c.n == 0) {
		snprintf(prompt, sizeof(prompt), "%s%s: ", label,
			 with_default ? " (empty: the default row)" : "");
		ps_tui_prompt(tui, prompt, current, 0, prompt_cb, e);
		goto done;
	}
	if ((labels = calloc(c.n + 1, sizeof(*labels))) == NULL) {
		error = ps_error_set(PS_ENOMEM, "out of memory");
		goto done;
	}
	if (with_default) {
		if ((error = ids_add(e, NULL)) < 0)
			goto done;
		labels[0] = strdup("(default: anything else)");
	}
	for (i = 0; i < c.n; i++) {
		if ((error = ids_add(e, c.items[i].id)) < 0)
			goto done;
		snprintf(text, sizeof(text), "%-6s %s", c.items[i].id,
			 c.items[i].name);
		labels[e->nids - 1] = strdup(text);
		if (current != NULL && strcmp(current, c.items[i].id) == 0)
			initial = e->nids - 1;
	}
	for (i = 0; i < e->nids; i++)
		if (labels[i] == NULL) {
			error = ps_error_set(PS_ENOMEM, "out of memory");
			goto done;
		}
	error = ps_tui_pick(tui, label, (const char *const *)labels, e->nids,
			    initial, pick_cb, e);
done:
	if (labels != NULL)
		for (i = 0; i < c.n + 1; i++)
			free(labels[i]);
	free(labels);
	ps_setup_choices_dispose(&c);
	return error;
}

/* ------------------------------------------------------------------------ */
/* Looked-up tables (products): the target is found on its platform         */

/*
 * The plug-in's connection for lookups, made from the stored connection
 * settings (no request yet).  Not configured: e->conn stays NULL and the
 * model takes only numeric ids.
 */
/* The operator waits for a lookup: few retries, short waits. */
static void
lookup_http_options(ps_http_options *o)
{
	*o = (ps_http_options)PS_HTTP_OPTIONS_INIT;
	o->max_attempts = 2;
	o->backoff_base_ms = 200;
	o->backoff_cap_ms = 1000;
	o->max_wait_ms = 5000;
}

static int
editor_lookup(struct editor *e, ps_tui *tui)
{
	ps_http_options o;
	const ps_config *cfg = ps_tui_config(tui);
	int error;

	if (e->conn != NULL)
		return 0;
	if ((e->lookup = ps_mapedit_kind_lookup(e->ed.kind)) == NULL ||
	    e->lookup->connect == NULL)
		return 0;
	if (cfg == NULL) {
		ps_config_init(&e->cfg);
		cfg = &e->cfg;
	}
	lookup_http_options(&o);
	if (e->http == NULL && (error = ps_connect_http(&e->http, cfg, &o)) < 0)
		return error;
	error = e->lookup->connect(&e->conn, ps_tui_store(tui), cfg, e->http);
	if (error == PS_ESETTING) {
		ps_error_clear();
		error = 0;
	}
	e->ed.lookup_conn = e->conn;
	return error;
}

static int
on_product_pick(ps_tui *tui, void *payload, long index, const char *item)
{
	struct editor *e = payload;

	(void)item;
	if (index < 0 || (size_t)index >= e->nids)
		return 0;
	return commit_target(e, tui, e->ids[index]);
}

/* The search's items (n of them, for text) in a picker. */
static int
show_matches(struct editor *e, ps_tui *tui, const char *text,
	     const ps_platform_item *items, size_t n)
{
	char **labels = NULL, title[160], line[256];
	size_t i;
	int error;

	ids_free(e);
	if (n == 0)
		return ps_error_set(PS_ENOTFOUND,
				    "No %s matches '%s' (by SKU, name or id); "
				    "try another search",
				    e->ed.kind->target_label, text);
	if ((labels = calloc(n, sizeof(*labels))) == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		snprintf(line, sizeof(line), "%-7s %-16s %s", items[i].id,
			 items[i].code[0] ? items[i].code : "-", items[i].name);
		if ((error = ids_add(e, items[i].id)) < 0)
			goto done;
		if ((labels[i] = strdup(line)) == NULL) {
			error = ps_error_set(PS_ENOMEM, "out of memory");
			goto done;
		}
	}
	snprintf(title, sizeof(title), "%zu match%s for '%s': id  SKU  name", n,
		 n == 1 ? "" : "es", text);
	error = ps_tui_pick(tui, title, (const char *const *)labels, n, 0,
			    on_product_pick, e);
done:
	for (i = 0; i < n; i++)
		free(labels[i]);
	free(labels);
	return error;
}

/* What a background search works on and finds (the job's arg). */
struct search {
	const ps_platform_ops *lookup; /* static */
	char text[PS_TUI_INPUT_MAX];
	int unconnected; /* the platform is not set up: text is an id */
	ps_platform_item *items;
	size_t n;
};

static void
search_free(void *arg)
{
	struct search *a = arg;

	if (a != NULL)
		free(a->items);
	free(a);
}

/* On the job's thread: its own connection to the platform, the search. */
static int
search_run(ps_tui_job *j, void *arg, ps_store *st, const ps_config *cfg,
	   ps_http *http, char *msg, size_t cap)
{
	struct search *a = arg;
	void *conn = NULL;
	int error;

	(void)j;
	error = a->lookup->connect(&conn, st, cfg, http);
	if (error == PS_ESETTING) {
		ps_error_clear();
		a->unconnected = 1;
		return 0;
	}
	if (error == 0)
		error = a->lookup->lookup_search(&a->items, &a->n, conn,
						 a->text, 200);
	if (error < 0)
		snprintf(msg, cap, "%s", ps_error_last());
	if (conn != NULL)
		a->lookup->free(conn);
	return error;
}

/* Ask for the product again, with why above the prompt. */
static void
search_again(struct editor *e, ps_tui *tui, const char *text, const char *why)
{
	char prompt[160];

	snprintf(prompt, sizeof(prompt),
		 "Find the %s (SKU, name or id):", e->ed.kind->target_label);
	ps_tui_prompt(tui, prompt, text, 0, on_product_search, e);
	ps_tui_message(tui, 1, "%s", why);
}

/* The timer while a search runs: its outcome once it is done. */
static int
search_poll(struct editor *e, ps_tui *tui)
{
	char msg[PS_ERROR_MAX + 256];
	struct search *a;
	int code, error;

	if (!ps_tui_job_poll(e->job, &code, msg, sizeof(msg)))
		return 0;
	a = ps_tui_job_arg(e->job);
	ps_tui_busy(tui, 0);
	error = 0;
	if (code < 0) {
		search_again(e, tui, a->text, msg);
	} else if (a->unconnected) {
		/* no connection: the model takes an id, refuses a code */
		error = commit_target(e, tui, a->text);
	} else if ((error = show_matches(e, tui, a->text, a->items, a->n)) ==
		   PS_ENOTFOUND) {
		search_again(e, tui, a->text, ps_error_last());
		error = 0;
	}
	ps_tui_job_free(e->job);
	e->job = NULL;
	return error;
}

/* Esc or Ctrl-C while a search runs: abandon it and say so. */
static void
search_cancel(struct editor *e, ps_tui *tui)
{
	char what[160];

	snprintf(what, sizeof(what), "%s", ps_tui_job_what(e->job));
	ps_tui_job_abandon(e->job);
	e->job = NULL;
	ps_tui_busy(tui, 0);
	ps_tui_message(tui, 1, "Cancelled %s", what);
}

/* The search prompt's answer: the matching items in a picker.  The
 * search runs on a thread when the console can (Esc cancels it). */
static int
on_product_search(ps_tui *tui, void *payload, const char *text)
{
	struct editor *e = payload;
	ps_platform_item *items = NULL;
	ps_http_options o;
	struct search *a;
	size_t n = 0;
	char what[160];
	int error;

	if (text == NULL || text[0] == '\0')
		return 0;
	if (e->job != NULL)
		return ps_error_set(PS_EINVAL,
				    "Still %s; wait, or Esc "
				    "cancels it",
				    ps_tui_job_what(e->job));
	/* the model's connection (no request yet): it names the product
	 * saved */
	if ((error = editor_lookup(e, tui)) < 0)
		return error;
	lookup_http_options(&o);
	if (ps_tui_background(tui) &&
	    (e->lookup = ps_mapedit_kind_lookup(e->ed.kind)) != NULL &&
	    e->lookup->connect != NULL && e->lookup->lookup_search != NULL) {
		if ((a = calloc(1, sizeof(*a))) == NULL)
			return ps_error_set(PS_ENOMEM, "out of memory");
		a->lookup = e->lookup;
		snprintf(a->text, sizeof(a->text), "%s", text);
		snprintf(what, sizeof(what), "searching %s for '%s'",
			 ps_platform_title(e->lookup->id), text);
		if ((error = ps_tui_job_start(&e->job, ps_tui_config(tui), &o,
					      what, search_run, a,
					      search_free)) < 0)
			return error;
		ps_tui_busy(tui, 1);
		return 0;
	}
	if (e->conn == NULL || e->lookup->lookup_search == NULL)
		/* no connection: the model takes an id, refuses a code */
		return commit_target(e, tui, text);
	if ((error = e->lookup->lookup_search(&items, &n, e->conn, text, 200)) <
	    0)
		return error;
	error = show_matches(e, tui, text, items, n);
	free(items);
	return error;
}

/* ------------------------------------------------------------------------ */
/* A box of text lines over the editor (an import's refusal)                 */

struct msgbox_arg {
	const char *title;
	const char *const *lines;
	size_t n;
	const char *footer;
};

struct msgbox {
	char *title, *footer;
	char **lines;
	size_t n;
	size_t top;   /* first display row shown */
	size_t nrows; /* display rows after wrapping, at the last draw */
};

static void
msgbox_close(void *state)
{
	struct msgbox *m = state;
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->n; i++)
		free(m->lines[i]);
	free(m->lines);
	free(m->title);
	free(m->footer);
	free(m);
}

static int
msgbox_open(void **out, ps_tui *tui, const void *arg)
{
	const struct msgbox_arg *a = arg;
	struct msgbox *m;
	size_t i;

	(void)tui;
	if (a == NULL)
		return ps_error_set(PS_EINVAL, "no text to show");
	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (m->lines = calloc(a->n + 1, sizeof(*m->lines))) == NULL ||
	    (m->title = strdup(a->title)) == NULL ||
	    (m->footer = strdup(a->footer ? a->footer : "")) == NULL)
		goto oom;
	for (i = 0; i < a->n; i++, m->n++)
		if ((m->lines[i] = strdup(a->lines[i])) == NULL)
			goto oom;
	*out = m;
	return 0;
oom:
	msgbox_close(m);
	return ps_error_set(PS_ENOMEM, "out of memory");
}

/* Draw (or only count, draw 0) the lines wrapped to width from display
 * row top; returns the number of display rows in all. */
static size_t
msgbox_lines(struct msgbox *m, ps_tui *tui, int draw, int row0, int rows,
	     int width)
{
	size_t i, k = 0, n;
	const char *p;
	int indent;

	for (i = 0; i < m->n; i++) {
		p = m->lines[i];
		indent = 0;
		do {
			n = ps_tui_utf8_fit(p, width - indent, NULL);
			if (n == 0 && *p != '\0')
				n = 1;
			/* break at the last space that fits, if any */
			if (p[n] != '\0' && p[n] != ' ') {
				size_t b = n;

				while (b > 0 && p[b - 1] != ' ')
					b--;
				if (b > 0)
					n = b;
			}
			if (draw && k >= m->top && k < m->top + (size_t)rows)
				ps_tui_textf(tui, row0 + (int)(k - m->top),
					     2 + indent, width - indent,
					     PS_TUI_NORMAL, "%.*s", (int)n, p);
			k++;
			p += n;
			while (*p == ' ')
				p++;
			indent = 4; /* continuation lines stand in */
		} while (*p != '\0');
	}
	return k;
}

static void
msgbox_draw(void *state, ps_tui *tui)
{
	struct msgbox *m = state;
	int rows = ps_tui_body_rows(tui) - 4, width = ps_tui_body_cols(tui) - 4;

	if (rows < 1)
		rows = 1;
	if (width < 10)
		width = 10;
	ps_tui_text(tui, 0, 1, 0, PS_TUI_BAD, m->title);
	m->nrows = msgbox_lines(m, tui, 0, 2, rows, width);
	if (m->top + (size_t)rows > m->nrows)
		m->top = m->nrows > (size_t)rows ? m->nrows - (size_t)rows : 0;
	msgbox_lines(m, tui, 1, 2, rows, width);
	if (m->nrows > (size_t)rows)
		ps_tui_textf(tui, ps_tui_body_rows(tui) - 2, 2, 0, PS_TUI_DIM,
			     "lines %zu-%zu of %zu (Up/Down, PgUp/PgDn)",
			     m->top + 1, m->top + (size_t)rows, m->nrows);
	ps_tui_text(tui, ps_tui_body_rows(tui) - 1, 2, 0, PS_TUI_DIM,
		    m->footer);
}

static int
msgbox_handle(void *state, ps_tui *tui, ps_tui_request req)
{
	struct msgbox *m = state;
	size_t page =
		(size_t)(ps_tui_body_rows(tui) > 5 ? ps_tui_body_rows(tui) - 4
						   : 1);

	switch (req) {
	case PS_TUI_REQ_UP:
		if (m->top > 0)
			m->top--;
		return PS_TUI_HANDLED;
	case PS_TUI_REQ_DOWN:
		if (m->top + page < m->nrows)
			m->top++;
		return PS_TUI_HANDLED;
	case PS_TUI_REQ_PAGE_UP:
		m->top = m->top > page ? m->top - page : 0;
		return PS_TUI_HANDLED;
	case PS_TUI_REQ_PAGE_DOWN:
		m->top += page; /* draw clamps it */
		return PS_TUI_HANDLED;
	case PS_TUI_REQ_HOME:
		m->top = 0;
		return PS_TUI_HANDLED;
	case PS_TUI_REQ_END:
		m->top = m->nrows;
		return PS_TUI_HANDLED;
	case PS_TUI_REQ_ENTER:
		ps_tui_pop(tui);
		return PS_TUI_HANDLED;
	default:
		return PS_TUI_UNHANDLED;
	}
}

static const ps_screen_ops screen_msgbox = {
	.name = "mapedit-import",
	.title = "Import refused",
	.open = msgbox_open,
	.close = msgbox_close,
	.reload = NULL,
	.draw = msgbox_draw,
	.handle = msgbox_handle,
	.status = NULL,
	.hint = "Enter:close",
};

static int
on_delete(ps_tui *tui, void *payload, int yes)
{
	struct editor *e = payload;
	int error;

	if (!yes || e->list.sel >= e->ed.n)
		return 0;
	if ((error = ps_mapedit_remove(&e->ed, e->list.sel, ps_tui_now(tui))) <
	    0)
		return error;
	ps_tui_list_set_count(&e->list, e->ed.n);
	ps_tui_message(tui, 0, "Deleted.");
	return 0;
}

/*
 * The import prompt's answer.  The prompt always closes (a refusal kept it
 * open before, its message hidden by the prompt); the outcome stays on
 * screen until a key: a message when rows were imported, a box listing
 * every bad row when the file was refused.
 */
static int
on_import(ps_tui *tui, void *payload, const char *text)
{
	struct editor *e = payload;
	struct msgbox_arg a;
	char title[PS_TUI_INPUT_MAX + 64], tail[PS_TUI_INPUT_MAX + 160];
	const char **lines;
	size_t n = 0, i;
	int error;

	if (text == NULL || text[0] == '\0')
		return 0;
	if ((error = editor_lookup(e, tui)) < 0)
		return error;
	if ((error = ps_mapedit_import_file(&n, &e->ed, text, 0,
					    ps_tui_now(tui))) == 0) {
		ps_tui_list_set_count(&e->list, e->ed.n);
		ps_tui_message(tui, 0, "%zu row%s imported from %s.", n,
			       n == 1 ? "" : "s", text);
		return 0;
	}
	if (error == PS_ENOMEM)
		return error;
	/* the problems, a blank line, then what to do about them */
	n = e->ed.nproblems > 0 ? e->ed.nproblems : 1;
	if ((lines = calloc(n + 3, sizeof(*lines))) == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	for (i = 0; i < e->ed.nproblems; i++)
		lines[i] = e->ed.problems[i];
	if (e->ed.nproblems == 0)
		lines[0] = ps_error_last();
	snprintf(tail, sizeof(tail),
		 "Nothing was imported.  Fix the file and import it again "
		 "(i); to check it from a shell: pearlsync mappings import "
		 "--check %s",
		 text);
	lines[n] = "";
	lines[n + 1] = tail;
	a.lines = lines;
	a.n = n + 2;
	snprintf(title, sizeof(title),
		 "%zu problem%s: nothing imported from %s", n,
		 n == 1 ? "" : "s", text);
	a.title = title;
	a.footer = "Enter or q: close";
	error = ps_tui_push(tui, &screen_msgbox, &a);
	free(lines);
	return error < 0 ? error : 0;
}

static int
on_export(ps_tui *tui, void *payload, const char *text)
{
	struct editor *e = payload;
	int error;

	if (text == NULL || text[0] == '\0')
		return 0;
	if ((error = ps_mapedit_export_file(&e->ed, text)) < 0)
		return error;
	ps_tui_message(tui, 0, "%zu row%s exported to %s.", e->ed.n,
		       e->ed.n == 1 ? "" : "s", text);
	return 0;
}

/* The selected row in full (v): a list cell may end with an ellipsis. */
static int
editor_show(struct editor *e, ps_tui *tui)
{
	const ps_mapedit_row *m = &e->ed.rows[e->list.sel];
	char src[1024], dst[1024], text[2400];

	row_side(src, sizeof(src), m->source, m->source_name);
	row_side(dst, sizeof(dst), m->target, m->target_name);
	snprintf(text, sizeof(text), "%s: %s\n%s: %s%s",
		 e->ed.kind->source_label,
		 m->source[0] ? src : "(default: anything else)",
		 e->ed.kind->target_label, dst,
		 m->stale ? "\n\n! not in the platform's list as last fetched"
			  : "");
	return ps_tui_view(tui, e->ed.kind->title, text);
}

static int
editor_handle(void *state, ps_tui *tui, ps_tui_request req)
{
	struct editor *e = state;
	char q[320];
	int error;

	if (ps_tui_list_move(&e->list, req, ps_tui_body_rows(tui) - 5))
		return PS_TUI_HANDLED;
	if (e->job != NULL) {
		switch (req) {
		case PS_TUI_REQ_TICK:
			error = search_poll(e, tui);
			return error < 0 ? error : PS_TUI_HANDLED;
		case PS_TUI_REQ_BACK:
			search_cancel(e, tui);
			return PS_TUI_HANDLED;
		case PS_TUI_REQ_ADD:
		case PS_TUI_REQ_ENTER:
		case PS_TUI_REQ_EDIT:
		case PS_TUI_REQ_DELETE:
		case PS_TUI_REQ_IMPORT:
		case PS_TUI_REQ_EXPORT:
			ps_tui_message(tui, 1,
				       "Still %s; wait, or Esc cancels it",
				       ps_tui_job_what(e->job));
			return PS_TUI_HANDLED;
		default:
			break;
		}
	}
	switch (req) {
	case PS_TUI_REQ_ADD:
		e->source[0] = '\0';
		error = pick_or_prompt(e, tui, e->ed.kind->source_list,
				       e->ed.kind->source_label, 1, NULL,
				       on_source_pick, on_source_text);
		return error < 0 ? error : PS_TUI_HANDLED;
	case PS_TUI_REQ_ENTER:
	case PS_TUI_REQ_EDIT:
		if (e->list.sel >= e->ed.n)
			return PS_TUI_HANDLED;
		snprintf(e->source, sizeof(e->source), "%s",
			 e->ed.rows[e->list.sel].source);
		error = ask_target(e, tui, e->ed.rows[e->list.sel].target);
		return error < 0 ? error : PS_TUI_HANDLED;
	case PS_TUI_REQ_SHOW:
		if (e->list.sel >= e->ed.n)
			return PS_TUI_HANDLED;
		error = editor_show(e, tui);
		return error < 0 ? error : PS_TUI_HANDLED;
	case PS_TUI_REQ_DELETE:
		if (e->list.sel >= e->ed.n)
			return PS_TUI_HANDLED;
		snprintf(q, sizeof(q), "Delete the row for %s?",
			 e->ed.rows[e->list.sel].source[0]
				 ? e->ed.rows[e->list.sel].source
				 : "the default");
		ps_tui_confirm(tui, q, on_delete, e);
		return PS_TUI_HANDLED;
	case PS_TUI_REQ_IMPORT:
		ps_tui_prompt(tui, "Import rows from CSV file: ", NULL, 0,
			      on_import, e);
		return PS_TUI_HANDLED;
	case PS_TUI_REQ_EXPORT:
		snprintf(q, sizeof(q), "%s-%.2s%.2s.csv", e->ed.kind->kind,
			 e->ed.kind->direction, e->ed.kind->direction + 3);
		ps_tui_prompt(tui, "Export rows to CSV file: ", q, 0, on_export,
			      e);
		return PS_TUI_HANDLED;
	default:
		return PS_TUI_UNHANDLED;
	}
}

static void
editor_status(void *state, ps_tui *tui, char *buf, size_t cap)
{
	struct editor *e = state;

	(void)tui;
	snprintf(buf, cap, "%zu row%s%s", e->ed.n, e->ed.n == 1 ? "" : "s",
		 e->ed.has_default ? ", with default" : ", no default");
}

const ps_screen_ops ps_screen_mapedit = {
	"mapedit",     "Mapping editor", editor_open,
	editor_close,  editor_reload,    editor_draw,
	editor_handle, editor_status,    "a:add d:delete i/o:CSV",
};
