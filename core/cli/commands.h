/*
 * commands.h - subcommands implemented in their own files.
 *
 * To add a command: write core/cli/cmd_<name>.c defining
 *   int ps_cli_cmd_<name>(const ps_cli_global *g, int argc, char **argv);
 *   const char ps_cli_usage_<name>[];   (the full `help <name>` text)
 * declare both below with PS_CLI_DECLARE(<name>) and add one
 * PS_CLI_ENTRY(<name>, "summary") line to PS_CLI_MORE_COMMANDS.  The order
 * of PS_CLI_MORE_COMMANDS is the order of `pearlsync --help`.
 */
#ifndef PEARLSYNC_COMMANDS_H
#define PEARLSYNC_COMMANDS_H

#include <stdint.h>

#include "cli.h"
#include "pearlsync/store.h"

#define PS_CLI_DECLARE(name)                                                   \
	int ps_cli_cmd_##name(const ps_cli_global *g, int argc, char **argv);  \
	extern const char ps_cli_usage_##name[]

#define PS_CLI_ENTRY(name, summary)                                            \
	{#name, ps_cli_cmd_##name, summary, ps_cli_usage_##name},

PS_CLI_DECLARE(init);
PS_CLI_DECLARE(status);
PS_CLI_DECLARE(logs);
PS_CLI_DECLARE(settings);
PS_CLI_DECLARE(mappings);
PS_CLI_DECLARE(check_connection);
PS_CLI_DECLARE(console);
PS_CLI_DECLARE(worker);
PS_CLI_DECLARE(retry);
PS_CLI_DECLARE(sync_once);
PS_CLI_DECLARE(preview);
PS_CLI_DECLARE(pause);
PS_CLI_DECLARE(resume);
PS_CLI_DECLARE(run);
PS_CLI_DECLARE(report);
PS_CLI_DECLARE(reconcile);
PS_CLI_DECLARE(forget);

/*
 * ps_cli_settings_apply - write the settings and mappings of FILE (the
 * document `settings export` prints) into st as `settings import` does,
 * checked the same way but not against the platforms' lists.  The caller
 * holds a transaction and rolls it back to leave st as it was.
 */
int ps_cli_settings_apply(ps_store *st, const char *file, int64_t now);
PS_CLI_DECLARE(audit);
PS_CLI_DECLARE(replay);

/* clang-format off */
#define PS_CLI_MORE_COMMANDS                                                   \
	PS_CLI_ENTRY(init, "create or upgrade the database")                  \
	PS_CLI_ENTRY(status, "worker state and sync counts")                  \
	PS_CLI_ENTRY(logs, "list sync log entries")                           \
	PS_CLI_ENTRY(audit, "everything that happened to one order")          \
	PS_CLI_ENTRY(settings, "show, change, roll back, export, import "     \
			       "settings")                                    \
	PS_CLI_ENTRY(mappings, "show, change, import, export value mappings") \
	PS_CLI_ENTRY(console, "open the operator console")                   \
	{"check-connection", ps_cli_cmd_check_connection,                     \
	 "test the stored credentials of each platform",                     \
	 ps_cli_usage_check_connection},                                      \
	PS_CLI_ENTRY(worker, "run the sync worker (and webhook listener)")    \
	PS_CLI_ENTRY(retry, "retry a failed entry, or every failed entry")    \
	PS_CLI_ENTRY(pause, "ask the worker to pause a flow")                 \
	PS_CLI_ENTRY(resume, "ask the worker to resume a paused flow")        \
	PS_CLI_ENTRY(run, "ask the worker to run a flow now")                 \
	{"sync-once", ps_cli_cmd_sync_once,                                   \
	 "run one flow once and exit", ps_cli_usage_sync_once},                \
	PS_CLI_ENTRY(preview, "show what importing an order would send")      \
	PS_CLI_ENTRY(reconcile, "list what differs between the platforms")    \
	PS_CLI_ENTRY(replay, "re-run a flow over a past window")              \
	PS_CLI_ENTRY(report, "print the daily e-mail report, or send it now") \
	PS_CLI_ENTRY(forget, "redact a customer's personal data locally")
/* clang-format on */

#endif
