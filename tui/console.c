/*
 * console.c - pearlsync/console.h: the console started from a program.
 */
#include "pearlsync/console.h"

#include <string.h>

#include "tui.h"

static const struct {
	const char *name;
	ps_tui_request request;
} screens[] = {
	{"dashboard", PS_TUI_REQ_VIEW_DASHBOARD},
	{"setup", PS_TUI_REQ_VIEW_SETUP},
	{"mappings", PS_TUI_REQ_VIEW_MAPPINGS},
	{"log", PS_TUI_REQ_VIEW_LOG},
	{"history", PS_TUI_REQ_VIEW_HISTORY},
};

static ps_tui_request
screen_of(const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < sizeof(screens) / sizeof(screens[0]);
	     i++)
		if (strcmp(screens[i].name, name) == 0)
			return screens[i].request;
	return PS_TUI_REQ_NONE;
}

int
ps_console_screen_known(const char *name)
{
	return screen_of(name) != PS_TUI_REQ_NONE;
}

int
ps_console_run(const ps_console_options *o)
{
	ps_tui_options t = PS_TUI_OPTIONS_INIT;

	if (o == NULL)
		return ps_error_set(PS_EINVAL, "console: no options");
	if (o->first_screen != NULL &&
	    (t.first = screen_of(o->first_screen)) == PS_TUI_REQ_NONE)
		return ps_error_set(PS_EINVAL, "console: unknown screen '%s'",
				    o->first_screen);
	t.store = o->store;
	t.config = o->config;
	t.script = o->script;
	return ps_tui_run(&t);
}
