/*
 * main.c - the pearlsync command: global options, then one subcommand.
 *
 *   pearlsync [--config FILE] COMMAND [ARGS...]
 *
 * --config may also follow the command name (until a "--"), and
 * `pearlsync COMMAND --help` is the same as `pearlsync help COMMAND`.
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

void
ps_cli_print_main_usage(FILE *out)
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

const ps_cli_command *
ps_cli_find(const char *name)
{
	const ps_cli_command *c;

	for (c = ps_cli_commands; c->name != NULL; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

/*
 * Remove "--config FILE" / "--config=FILE" found at or after argv[from]
 * (up to "--") and record it in g, so every subcommand accepts it.
 * Returns -1 when --config is the last word.
 */
static int
take_config_option(ps_cli_global *g, int *argc, char **argv, int from)
{
	int i = from, n = *argc, skip, j;

	while (i < n && strcmp(argv[i], "--") != 0) {
		if (strcmp(argv[i], "--config") == 0) {
			if (i + 1 >= n)
				return -1;
			g->config_path = argv[i + 1];
			skip = 2;
		} else if (strncmp(argv[i], "--config=", 9) == 0) {
			g->config_path = argv[i] + 9;
			skip = 1;
		} else {
			i++;
			continue;
		}
		for (j = i; j + skip <= n; j++)
			argv[j] = argv[j + skip];
		n -= skip;
	}
	*argc = n;
	return 0;
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
			ps_cli_print_main_usage(stdout);
			return PS_EXIT_OK;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("pearlsync %s\n", PS_VERSION);
			return PS_EXIT_OK;
		} else {
			fprintf(stderr, "pearlsync: unknown option '%s'\n\n",
				argv[i]);
			ps_cli_print_main_usage(stderr);
			return PS_EXIT_USAGE;
		}
	}
	if (i >= argc) {
		ps_cli_print_main_usage(stderr);
		return PS_EXIT_USAGE;
	}
	cmd = ps_cli_find(argv[i]);
	if (cmd == NULL) {
		fprintf(stderr, "pearlsync: unknown command '%s'\n\n", argv[i]);
		ps_cli_print_main_usage(stderr);
		return PS_EXIT_USAGE;
	}
	if (i + 1 < argc && (strcmp(argv[i + 1], "-h") == 0 ||
			     strcmp(argv[i + 1], "--help") == 0)) {
		ps_cli_print_usage(stdout, cmd);
		return PS_EXIT_OK;
	}
	if (take_config_option(&g, &argc, argv, i + 1) < 0) {
		fprintf(stderr, "pearlsync: --config needs a FILE\n");
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
