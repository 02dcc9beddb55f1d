/*
 * screen_mappings.c - the mapping editors: the list of every mapping
 * table (main screen 3) and one table's editor (pushed with Enter, also
 * from the setup steps).
 *
 * The editor is a view of model_mapping.c: add (a), change the target
 * (Enter or e), delete (d, confirmed), import (i) and export (o) CSV.
 * Values that come from a platform list are chosen in a picker of the
 * cached values, so an operator cannot type a status that does not exist.
 */
#include "tui.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_mapping.h"
#include "model_setup.h"

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
		ps_tui_text(tui, row, 2, 48, a, k->title);
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
	*out = e;
	return 0;
}

static void
editor_close(void *state)
{
	struct editor *e = state;

	if (e == NULL)
		return;
	ids_free(e);
	ps_mapedit_close(&e->ed);
	free(e);
}

static void
editor_draw(void *state, ps_tui *tui)
{
	struct editor *e = state;
	const ps_mapedit_kind *k = e->ed.kind;
	int rows = ps_tui_body_rows(tui) - 5, i, row;
	ps_tui_attr a;
	size_t r;

	ps_tui_text(tui, 0, 1, 0, PS_TUI_HEADING, k->title);
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
		if (m->source[0] == '\0')
			ps_tui_text(tui, row, 2, 36,
				    a == PS_TUI_NORMAL ? PS_TUI_DIM : a,
				    "(default: anything else)");
		else
			ps_tui_textf(tui, row, 2, 36, a, "%s%s%s", m->source,
				     m->source_name ? "  " : "",
				     m->source_name ? m->source_name : "");
		ps_tui_textf(tui, row, 40, 36, a, "%s%s%s", m->target,
			     m->target_name ? "  " : "",
			     m->target_name ? m->target_name : "");
		if (m->stale)
			ps_tui_text(tui, row, 77, 0,
				    a == PS_TUI_NORMAL ? PS_TUI_WARN : a, "!");
	}
	ps_tui_text(tui, ps_tui_body_rows(tui) - 1, 2, 0, PS_TUI_DIM,
		    "a:add  Enter:change target  d:delete  i:import CSV  "
		    "o:export CSV");
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

static int
ask_target(struct editor *e, ps_tui *tui, const char *current)
{
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

static int
on_import(ps_tui *tui, void *payload, const char *text)
{
	struct editor *e = payload;
	size_t n = 0;
	int error;

	if (text == NULL || text[0] == '\0')
		return 0;
	if ((error = ps_mapedit_import_file(&n, &e->ed, text, 0,
					    ps_tui_now(tui))) < 0)
		return error;
	ps_tui_list_set_count(&e->list, e->ed.n);
	ps_tui_message(tui, 0, "%zu row%s imported from %s.", n,
		       n == 1 ? "" : "s", text);
	return 0;
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

static int
editor_handle(void *state, ps_tui *tui, ps_tui_request req)
{
	struct editor *e = state;
	char q[320];
	int error;

	if (ps_tui_list_move(&e->list, req, ps_tui_body_rows(tui) - 5))
		return PS_TUI_HANDLED;
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
