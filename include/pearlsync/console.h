/*
 * console.h - starting the operator console (the library in tui/) from a
 * program: what `pearlsync console` needs, and nothing of the console's
 * insides.
 */
#ifndef PEARLSYNC_CONSOLE_H
#define PEARLSYNC_CONSOLE_H

#include "pearlsync/config.h"
#include "pearlsync/store.h"

typedef struct ps_console_options {
	ps_store *store;         /* borrowed, read-write; required */
	const ps_config *config; /* borrowed; NULL: built-in defaults */
	/*
	 * A file of keys to play instead of the keyboard (tests; syntax in
	 * tui/tui.h), or NULL.
	 */
	const char *script;
	/* The first screen: "dashboard" (NULL too), "setup", "mappings",
	 * "log" or "history". */
	const char *first_screen;
} ps_console_options;

/* ps_console_screen_known - 1 when name is one of first_screen's names. */
int ps_console_screen_known(const char *name);

/*
 * ps_console_run - run the console until the operator quits (see
 * ps_tui_run in tui/tui.h).  The caller has called setlocale(LC_ALL, "").
 * Returns 0, PS_EINVAL (no store, unknown screen) or PS_EIO (no terminal,
 * unreadable script) with the detail set.
 */
int ps_console_run(const ps_console_options *o);

#endif
