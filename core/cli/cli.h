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
/*
 * In a usage text, a line holding only this (after its indent) is
 * replaced by the registered platforms, one a line (ps_cli_print_usage).
 */
#define PS_CLI_PLATFORMS "@PLATFORMS@"
/* The same for the flows that preview: "NOUN ID  what it prints". */
#define PS_CLI_PREVIEWS "@PREVIEWS@"

void ps_cli_print_usage(FILE *out, const ps_cli_command *cmd);

/* Print cmd's synopsis ("usage: ..." up to the first blank line). */
void ps_cli_print_synopsis(FILE *out, const ps_cli_command *cmd);

/* Print the overall usage (every command's summary) to out. */
void ps_cli_print_main_usage(FILE *out);

/* ps_cli_find - the table entry named name, or NULL. */
const ps_cli_command *ps_cli_find(const char *name);

/* ------------------------------------------------------------------------ */
/* Helpers shared by the subcommands (cli_common.c)                          */

struct ps_config;
struct ps_store;

/* Print "pearlsync: <message>" on stderr (the message is redacted). */
void ps_cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * ps_cli_usage_error - print "pearlsync: <message>; see 'pearlsync CMD
 * --help'" and the synopsis of the command named cmd_name (its usage up
 * to the first blank line) on stderr; return PS_EXIT_USAGE.
 */
int ps_cli_usage_error(const char *cmd_name, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * ps_cli_error_prefix - make the last error "<prefix>: <previous detail>",
 * the prefix formatted from fmt; returns code.
 */
int ps_cli_error_prefix(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * ps_cli_exit_status - the exit status for a PS_E* code: PS_EXIT_USAGE for
 * PS_ECONFIG and PS_EUSAGE, PS_EXIT_FAIL for others, PS_EXIT_OK for >= 0.
 */
int ps_cli_exit_status(int code);

/*
 * ps_cli_load_config - resolve the config file (--config, $PEARLSYNC_CONFIG,
 * /etc, defaults) into *cfg and apply its log level.  On error prints the
 * "FILE:LINE: message" and returns PS_EXIT_USAGE; else PS_EXIT_OK.
 */
int ps_cli_load_config(struct ps_config *cfg, const ps_cli_global *g);

/*
 * ps_cli_open_store - load the config and open its database, which must
 * already exist (PS_EXIT_FAIL with a hint to run `pearlsync init`
 * otherwise).  Secret settings found in it are registered with the
 * redactor.  *out is NULL unless PS_EXIT_OK is returned; close it with
 * ps_store_close.  cfg (may be NULL) receives the config.
 */
int ps_cli_open_store(struct ps_store **out, struct ps_config *cfg,
		      const ps_cli_global *g);

/* ps_cli_now_ms - the wall clock in unix milliseconds. */
long long ps_cli_now_ms(void);

/*
 * ps_cli_format_time - ms as local "YYYY-MM-DD HH:MM:SS" into buf, or "-"
 * for 0.  Returns buf.
 */
char *ps_cli_format_time(char *buf, size_t cap, long long ms);

/*
 * ps_cli_format_age - a duration in ms as "5s", "3m 4s", "2h 5m", "3d 4h".
 * Returns buf.
 */
char *ps_cli_format_age(char *buf, size_t cap, long long ms);

/*
 * ps_cli_parse_long - a whole decimal number in min..max into *out.
 * Returns 0 or -1.
 */
int ps_cli_parse_long(long *out, const char *text, long min, long max);

/* Actor recorded in the settings history for changes made by the CLI. */
#define PS_CLI_ACTOR "cli"

#endif
