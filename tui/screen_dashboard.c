/*
 * screen_dashboard.c - the first screen: is the worker alive, how is the
 * sync going.
 */
#include "tui.h"

#include <stdio.h>
#include <stdlib.h>

struct dash {
	char worker[128];
};

static int
dash_reload(void *state, ps_tui *tui)
{
	struct dash *d = state;
	ps_heartbeat hb;
	char age[32];
	int error;

	ps_heartbeat_init(&hb);
	error = ps_store_heartbeat_get(&hb, ps_tui_store(tui));
	if (error == PS_ENOTFOUND) {
		snprintf(d->worker, sizeof(d->worker), "never started");
		return 0;
	}
	if (error < 0)
		return error;
	snprintf(d->worker, sizeof(d->worker), "%s (heartbeat %s ago)",
		 ps_tui_now(tui) - hb.beat_at > PS_TUI_HEARTBEAT_STALE_MS
			 ? "stopped"
			 : "running",
		 ps_tui_format_age(age, sizeof(age),
				   ps_tui_now(tui) - hb.beat_at));
	ps_heartbeat_dispose(&hb);
	return 0;
}

static int
dash_open(void **out, ps_tui *tui, const void *arg)
{
	struct dash *d;
	int error;

	(void)arg;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	if ((error = dash_reload(d, tui)) < 0) {
		free(d);
		return error;
	}
	*out = d;
	return 0;
}

static void
dash_close(void *state)
{
	free(state);
}

static void
dash_draw(void *state, ps_tui *tui)
{
	struct dash *d = state;

	ps_tui_text(tui, 1, 2, 0, PS_TUI_HEADING, "Worker");
	ps_tui_text(tui, 1, 12, 0, PS_TUI_NORMAL, d->worker);
}

const ps_screen_ops ps_screen_dashboard = {
	"dashboard", "Dashboard", dash_open, dash_close, dash_reload,
	dash_draw,   NULL,	  NULL,	     "",
};
