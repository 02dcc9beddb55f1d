/*
 * screen_placeholder.c - stands in for a main screen that this build does
 * not have yet, so the tabs and number keys always work.
 */
#include "tui.h"

static int
placeholder_open(void **out, ps_tui *tui, const void *arg)
{
	(void)tui;
	*out = (void *)(arg != NULL ? arg : "This screen");
	return 0;
}

static void
placeholder_draw(void *state, ps_tui *tui)
{
	ps_tui_textf(tui, 1, 2, 0, PS_TUI_HEADING, "%s", (const char *)state);
	ps_tui_text(tui, 3, 2, 0, PS_TUI_NORMAL,
		    "Not available in this build; use the pearlsync command "
		    "line.");
}

const ps_screen_ops ps_screen_placeholder = {
	"placeholder",
	"Not available",
	placeholder_open,
	NULL,
	NULL,
	placeholder_draw,
	NULL,
	NULL,
	"",
};
