/*
 * cmd_console.c - `pearlsync console`: open the operator console (tui/) on
 * the configured database.
 *
 * The console is a client of the database like the other commands: it
 * works whether the worker runs or not.  PS_TUI_SCRIPT names a key script
 * to read instead of the keyboard (tests; see tui/tui.h), in which case no
 * terminal is needed.
 */
#include "commands.h"

#include <getopt.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "pearlsync/config.h"
#include "pearlsync/store.h"
#include "pearlsync/console.h"

const char ps_cli_usage_console[] =
	"usage: pearlsync console [--screen NAME]\n"
	"\n"
	"Open the operator console on the configured database: dashboard,\n"
	"setup steps, mapping editors, sync log and settings history.  Press\n"
	"? or F1 inside for every key; q goes back, Q quits.  Works whether\n"
	"the worker runs or not.  Needs a terminal of at least 80x24.\n"
	"\n"
	"Options:\n"
	"  --screen NAME   start on dashboard (default), setup, mappings,\n"
	"                  log or history\n"
	"\n"
	"Environment:\n"
	"  NO_COLOR        when set and not empty: no colours\n"
	"  PS_TUI_SCRIPT   read keys from this file instead of the keyboard\n"
	"                  (for tests)\n"
	"\n"
	"Exit status: 0 when the operator quit, 1 the database or the\n"
	"terminal could not be used, 2 bad usage or config file.\n";

int
ps_cli_cmd_console(const ps_cli_global *g, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"screen", required_argument, NULL, 's'},
		{NULL, 0, NULL, 0},
	};
	ps_console_options o = {NULL, NULL, NULL, NULL};
	ps_store *st = NULL;
	ps_config cfg;
	const char *script;
	int c, status, error;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			o.first_screen = optarg;
			if (!ps_console_screen_known(optarg))
				return ps_cli_usage_error("console",
							  "unknown screen '%s'",
							  optarg);
			break;
		default:
			return ps_cli_usage_error("console",
						  "unknown option '%s'",
						  argv[optind - 1]);
		}
	}
	if (optind < argc)
		return ps_cli_usage_error("console", "unexpected argument '%s'",
					  argv[optind]);
	if ((status = ps_cli_open_store(&st, &cfg, g)) != PS_EXIT_OK)
		return status;
	setlocale(LC_ALL, "");
	script = getenv("PS_TUI_SCRIPT");
	o.store = st;
	o.config = &cfg;
	o.script = script != NULL && script[0] != '\0' ? script : NULL;
	error = ps_console_run(&o);
	ps_store_close(st);
	if (error < 0) {
		ps_cli_error("console: %s", ps_error_last());
		return PS_EXIT_FAIL;
	}
	return PS_EXIT_OK;
}
