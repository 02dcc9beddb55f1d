/*
 * main.c - the pearlsync command: global options, then one subcommand.
 *
 *   pearlsync [--config FILE] COMMAND [ARGS...]
 *
 * Subcommands live in the table in commands.c; this file only parses the
 * global options and dispatches, so that `pearlsync help CMD` and the
 * usage errors behave the same for every command.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#include "pearlsync/common.h"
#include "pearlsync/version.h"

static void
print_main_usage(FILE *out)
{
	const ps_cli_command *c;

	fprintf(out, "usage: pearlsync [--config FILE] COMMAND [ARGS...]\n"
		     "\n"
		     "Keeps Brightpearl in step with BigCommerce, DSCO and "
		     "ShipHero.\n\nCommands:\n");
	for (c = ps_cli_commands; c->name != NULL; c++)
		fprintf(out, "  %-16s %s\n", c->name, c->summary);
	fprintf(out, "\nGlobal options:\n"
		     "  --config FILE    machine settings (default: "
		     "$PEARLSYNC_CONFIG, then\n"
		     "                   /etc/pearlsync/pearlsync.conf, then "
		     "built-in defaults)\n"
		     "  -h, --help       this text\n"
		     "  --version        print the version\n"
		     "\nRun 'pearlsync help COMMAND' for a command's options.\n");
}

static const ps_cli_command *
find_command(const char *name)
{
	const ps_cli_command *c;

	for (c = ps_cli_commands; c->name != NULL; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

void
ps_cli_print_usage(FILE *out, const ps_cli_command *cmd)
{
	fprintf(out, "%s", cmd->usage);
}

int
main(int argc, char **argv)
{
	ps_cli_global g = {0};
	const ps_cli_command *cmd;
	int i = 1, status;

	while (i < argc && argv[i][0] == '-') {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
			g.config_path = argv[i + 1];
			i += 2;
		} else if (strncmp(argv[i], "--config=", 9) == 0) {
			g.config_path = argv[i] + 9;
			i++;
		} else if (strcmp(argv[i], "-h") == 0 ||
			   strcmp(argv[i], "--help") == 0) {
			print_main_usage(stdout);
			return PS_EXIT_OK;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("pearlsync %s\n", PS_VERSION);
			return PS_EXIT_OK;
		} else {
			fprintf(stderr, "pearlsync: unknown option '%s'\n\n",
				argv[i]);
			print_main_usage(stderr);
			return PS_EXIT_USAGE;
		}
	}
	if (i >= argc) {
		print_main_usage(stderr);
		return PS_EXIT_USAGE;
	}
	cmd = find_command(argv[i]);
	if (cmd == NULL) {
		fprintf(stderr, "pearlsync: unknown command '%s'\n\n", argv[i]);
		print_main_usage(stderr);
		return PS_EXIT_USAGE;
	}
	if (ps_lib_init() < 0) {
		fprintf(stderr, "pearlsync: %s\n", ps_error_last());
		return PS_EXIT_FAIL;
	}
	status = cmd->run(&g, argc - i, argv + i);
	ps_lib_shutdown();
	return status;
}
