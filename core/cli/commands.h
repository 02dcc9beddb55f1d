/*
 * commands.h - subcommands implemented in their own files.  Add a command
 * by declaring its run function here and listing it in PS_CLI_MORE_COMMANDS.
 */
#ifndef PEARLSYNC_COMMANDS_H
#define PEARLSYNC_COMMANDS_H

#include "cli.h"

#define PS_CLI_MORE_COMMANDS

#endif
