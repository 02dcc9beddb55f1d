/*
 * screen_help.c - F1 / ?: every key, generated from the requests table,
 * so the list cannot drift from the bindings.
 */
#include "tui.h"

#include <stdio.h>
#include <stdlib.h>

struct help {
	ps_tui_list list;
};

static int
help_open(void **out, ps_tui *tui, const void *arg)
{
	struct help *h;
	size_t n;

	(void)tui;
	(void)arg;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	ps_tui_requests(&n);
	ps_tui_list_set_count(&h->list, n);
	*out = h;
	return 0;
}

static void
help_close(void *state)
{
	free(state);
}

static void
help_draw(void *state, ps_tui *tui)
{
	struct help *h = state;
	const ps_tui_request_info *r;
	int rows = ps_tui_body_rows(tui) - 2, i;
	size_t n, k;

	r = ps_tui_requests(&n);
	ps_tui_text(tui, 0, 1, 0, PS_TUI_HEADING, "Keys");
	ps_tui_text(tui, 0, 14, 0, PS_TUI_DIM,
		    "(screens use the keys that apply to them)");
	ps_tui_list_show(&h->list, rows);
	for (i = 0; i < rows; i++) {
		k = h->list.top + (size_t)i;
		if (k >= n)
			break;
		if (k == h->list.sel)
			ps_tui_fill(tui, i + 2, PS_TUI_SELECTED);
		ps_tui_text(tui, i + 2, 2, 11,
			    k == h->list.sel ? PS_TUI_SELECTED : PS_TUI_HEADING,
			    r[k].keys);
		ps_tui_cell(tui, i + 2, 14, 0,
			    k == h->list.sel ? PS_TUI_SELECTED : PS_TUI_NORMAL,
			    r[k].help);
	}
}

static int
help_handle(void *state, ps_tui *tui, ps_tui_request req)
{
	struct help *h = state;

	if (ps_tui_list_move(&h->list, req, ps_tui_body_rows(tui) - 2))
		return PS_TUI_HANDLED;
	if (req == PS_TUI_REQ_HELP || req == PS_TUI_REQ_ENTER) {
		ps_tui_pop(tui);
		return PS_TUI_HANDLED;
	}
	return PS_TUI_UNHANDLED;
}

static void
help_status(void *state, ps_tui *tui, char *buf, size_t cap)
{
	struct help *h = state;
	size_t n;

	(void)tui;
	ps_tui_requests(&n);
	snprintf(buf, cap, "key %zu of %zu", h->list.sel + 1, n);
}

const ps_screen_ops ps_screen_help = {
	"help",    "Keys",      help_open,   help_close, NULL,
	help_draw, help_handle, help_status, "",
};
