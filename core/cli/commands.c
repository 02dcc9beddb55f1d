/*
 * commands.c - the subcommand table and the small commands (help, version).
 * Larger commands have a file each (cmd_<name>.c) and are declared in
 * commands.h.
 */
#include "cli.h"

#include <string.h>

#include "commands.h"
#include "pearlsync/version.h"

static int
cmd_version(const ps_cli_global *g, int argc, char **argv)
{
	(void)g;
	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "usage: pearlsync version\n");
		return PS_EXIT_USAGE;
	}
	printf("pearlsync %s\n", PS_VERSION);
	return PS_EXIT_OK;
}

static int
cmd_help(const ps_cli_global *g, int argc, char **argv)
{
	const ps_cli_command *c;

	(void)g;
	if (argc == 1) {
		ps_cli_print_main_usage(stdout);
		return PS_EXIT_OK;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: pearlsync help [COMMAND]\n");
		return PS_EXIT_USAGE;
	}
	for (c = ps_cli_commands; c->name != NULL; c++) {
		if (strcmp(c->name, argv[1]) == 0) {
			ps_cli_print_usage(stdout, c);
			return PS_EXIT_OK;
		}
	}
	fprintf(stderr, "pearlsync: no command '%s'; see pearlsync --help\n",
		argv[1]);
	return PS_EXIT_USAGE;
}

const ps_cli_command ps_cli_commands[] = {
	{"help", cmd_help, "show a command's usage",
	 "usage: pearlsync help [COMMAND]\n\n"
	 "Print COMMAND's usage, options and examples; without COMMAND, the\n"
	 "list of commands.  'pearlsync COMMAND --help' does the same.\n"},
	{"version", cmd_version, "print the version",
	 "usage: pearlsync version\n"},
	PS_CLI_MORE_COMMANDS{NULL, NULL, NULL, NULL},
};
