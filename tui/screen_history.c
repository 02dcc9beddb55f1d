/*
 * screen_history.c - the settings history: every change-set with its diff
 * (secrets masked), cut lines read in full with Enter, and rollback to
 * the selected version: b first shows what the rollback would change,
 * then asks.
 */
#include "tui.h"

#include <stdio.h>
#include <stdlib.h>

#include "model_history.h"

struct hist {
	ps_history h;
	ps_tui_list list;
	int64_t target; /* the version a pending confirmation is about */
	/* while the confirmation is open: what the rollback would change */
	ps_history_line *preview; /* owned, n_preview of them */
	size_t n_preview;
};

static void
drop_preview(struct hist *s)
{
	ps_history_lines_free(s->preview, s->n_preview);
	s->preview = NULL;
	s->n_preview = 0;
}

static int
hist_reload(void *state, ps_tui *tui)
{
	struct hist *s = state;
	int error;

	if ((error = ps_history_load(&s->h, ps_tui_store(tui))) < 0)
		return error;
	ps_tui_list_set_count(&s->list, s->h.n);
	return 0;
}

static int
hist_open(void **out, ps_tui *tui, const void *arg)
{
	struct hist *s;
	int error;

	(void)arg;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	ps_history_init(&s->h);
	if ((error = hist_reload(s, tui)) < 0) {
		ps_history_dispose(&s->h);
		free(s);
		return error;
	}
	*out = s;
	return 0;
}

static void
hist_close(void *state)
{
	struct hist *s = state;

	if (s == NULL)
		return;
	drop_preview(s);
	ps_history_dispose(&s->h);
	free(s);
}

/* The rollback's changes, in place of the history, while it is asked. */
static void
draw_preview(struct hist *s, ps_tui *tui)
{
	int rows = ps_tui_body_rows(tui) - 1, i;
	size_t k;

	ps_tui_textf(tui, 0, 1, 0, PS_TUI_HEADING,
		     "Rolling back to version %lld would change %zu %s:",
		     (long long)s->target, s->n_preview,
		     s->n_preview == 1 ? "value" : "values");
	for (i = 1, k = 0; i < rows && k < s->n_preview; i++, k++) {
		if (i == rows - 1 && k + 1 < s->n_preview) {
			ps_tui_textf(tui, i, 4, 0, PS_TUI_DIM,
				     "\xe2\x80\xa6 and %zu more",
				     s->n_preview - k);
			break;
		}
		ps_tui_cell(tui, i, 4, 0, PS_TUI_NORMAL, s->preview[k].text);
	}
}

static void
hist_draw(void *state, ps_tui *tui)
{
	struct hist *s = state;
	int rows = ps_tui_body_rows(tui) - 1, i;
	int64_t selv = s->h.n > 0 ? s->h.lines[s->list.sel].version : 0;
	const ps_history_line *l;
	size_t k;

	if (s->preview != NULL) {
		draw_preview(s, tui);
		return;
	}
	if (s->h.n == 0) {
		ps_tui_text(tui, 1, 2, 0, PS_TUI_DIM,
			    "No settings have been changed yet.");
		return;
	}
	ps_tui_list_show(&s->list, rows);
	for (i = 0; i < rows; i++) {
		k = s->list.top + (size_t)i;
		if (k >= s->h.n)
			break;
		l = &s->h.lines[k];
		if (k == s->list.sel)
			ps_tui_fill(tui, i, PS_TUI_SELECTED);
		ps_tui_cell(tui, i, l->heading ? 1 : 4, 0,
			    k == s->list.sel     ? PS_TUI_SELECTED
			    : l->heading         ? PS_TUI_HEADING
			    : l->version == selv ? PS_TUI_NORMAL
						 : PS_TUI_DIM,
			    l->text);
	}
}

static int
rollback_confirmed(ps_tui *tui, void *payload, int yes)
{
	struct hist *s = payload;
	int64_t v;
	int error;

	drop_preview(s);
	if (!yes)
		return 0;
	error = ps_history_rollback(&v, &s->h, ps_tui_store(tui), s->target,
				    ps_tui_now(tui));
	if (error < 0)
		return error;
	ps_tui_list_set_count(&s->list, s->h.n);
	s->list.sel = 0;
	s->list.top = 0;
	if (v == 0)
		ps_tui_message(tui, 0,
			       "nothing to roll back: the settings "
			       "are as of version %lld",
			       (long long)s->target);
	else
		ps_tui_message(tui, 0,
			       "rolled back to version %lld "
			       "(recorded as version %lld)",
			       (long long)s->target, (long long)v);
	return 0;
}

static int
hist_handle(void *state, ps_tui *tui, ps_tui_request req)
{
	struct hist *s = state;
	char q[160];
	int error;

	if (ps_tui_list_move(&s->list, req, ps_tui_body_rows(tui) - 1))
		return PS_TUI_HANDLED;
	if (req == PS_TUI_REQ_ENTER && s->h.n > 0) {
		/* the line in full: values may be longer than the screen */
		snprintf(q, sizeof(q), "Change in version %lld",
			 (long long)s->h.lines[s->list.sel].version);
		return ps_tui_view(tui, q, s->h.lines[s->list.sel].text);
	}
	if (req != PS_TUI_REQ_ROLLBACK)
		return PS_TUI_UNHANDLED;
	if (s->h.n == 0)
		return PS_TUI_HANDLED;
	s->target = s->h.lines[s->list.sel].version;
	if (s->target == s->h.latest) {
		ps_tui_message(tui, 0, "version %lld is the current one",
			       (long long)s->target);
		return PS_TUI_HANDLED;
	}
	drop_preview(s);
	if ((error = ps_history_rollback_preview(&s->preview, &s->n_preview,
						 ps_tui_store(tui),
						 s->target)) < 0)
		return error;
	if (s->n_preview == 0) {
		drop_preview(s);
		ps_tui_message(tui, 0,
			       "nothing to roll back: the settings are as of "
			       "version %lld",
			       (long long)s->target);
		return PS_TUI_HANDLED;
	}
	if (s->n_preview == 1)
		snprintf(q, sizeof(q), "Roll back this value to version %lld?",
			 (long long)s->target);
	else
		snprintf(q, sizeof(q),
			 "Roll back these %zu values to version %lld?",
			 s->n_preview, (long long)s->target);
	ps_tui_confirm(tui, q, rollback_confirmed, s);
	return PS_TUI_HANDLED;
}

static void
hist_status(void *state, ps_tui *tui, char *buf, size_t cap)
{
	struct hist *s = state;

	(void)tui;
	if (s->h.n == 0)
		snprintf(buf, cap, "no history");
	else
		snprintf(buf, cap, "version %lld selected; %zu change-sets",
			 (long long)s->h.lines[s->list.sel].version,
			 s->h.versions);
}

const ps_screen_ops ps_screen_history = {
	"history",   "History",   hist_open,
	hist_close,  hist_reload, hist_draw,
	hist_handle, hist_status, "Enter:view b:roll back",
};
