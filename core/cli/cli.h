/*
 * cli.h - the pearlsync command's subcommand table.
 *
 * Each subcommand is a function taking the arguments after its name
 * (argv[0] is the subcommand name) and returning the process exit status:
 * 0 success, 1 failure, 2 usage error (unknown option, bad config file).
 */
#ifndef PEARLSYNC_CLI_H
#define PEARLSYNC_CLI_H

#include <stdio.h>

/* Exit statuses shared by every subcommand. */
#define PS_EXIT_OK 0
#define PS_EXIT_FAIL 1
#define PS_EXIT_USAGE 2

/* Options every subcommand accepts before or after its name. */
typedef struct ps_cli_global {
	const char *config_path; /* --config FILE, or NULL */
} ps_cli_global;

typedef struct ps_cli_command {
	const char *name;
	/* Runs the subcommand; g holds the global options. */
	int (*run)(const ps_cli_global *g, int argc, char **argv);
	const char *summary; /* one line for `pearlsync --help` */
	const char *usage;   /* full text for `pearlsync help NAME` */
} ps_cli_command;

/* The table, ending with a zeroed entry. */
extern const ps_cli_command ps_cli_commands[];

/* Print the usage of cmd to out. */
void ps_cli_print_usage(FILE *out, const ps_cli_command *cmd);

#endif
