/*
 * cmd_forget.c - `pearlsync forget --email ADDRESS [--dry-run]`: redact a
 * customer's personal data everywhere in the local database (privacy.h).
 */
#include "commands.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pearlsync/config.h"
#include "pearlsync/privacy.h"
#include "pearlsync/store.h"

const char ps_cli_usage_forget[] =
	"usage: pearlsync forget --email ADDRESS [--dry-run]\n"
	"\n"
	"Redact the customer with e-mail ADDRESS everywhere in the local\n"
	"database: the address, and the names, phone and postal address\n"
	"found with it, in the sync log's details and reasons, stored webhook\n"
	"payloads, requests, cached replies and the contact directory.  What\n"
	"was synced stays: the log's entries with their ids, amounts, SKUs,\n"
	"states and times, and the cross-references.  The database is then\n"
	"compacted so the old bytes leave the file and its WAL.  Nothing is\n"
	"sent to a platform.  Safe next to a running worker.\n"
	"\n"
	"  --email ADDRESS  the customer's e-mail address (any case)\n"
	"  --dry-run        count what would be redacted; change nothing\n"
	"\n"
	"privacy.retention_days makes the worker do the same for every\n"
	"record older than that many days.\n"
	"\n"
	"Exit status: 0 done (or counted), 1 the database failed or stayed\n"
	"busy, 2 bad usage.\n"
	"\n"
	"Examples:\n"
	"  pearlsync forget --email ada@example.com --dry-run\n"
	"  pearlsync forget --email ada@example.com\n";

int
ps_cli_cmd_forget(const ps_cli_global *g, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"email", required_argument, NULL, 'e'},
		{"dry-run", no_argument, NULL, 'n'},
		{NULL, 0, NULL, 0},
	};
	ps_privacy_stats stats;
	const char *email = NULL;
	ps_store *st = NULL;
	ps_config cfg;
	int dry_run = 0, c, status, error;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case 'e':
			email = optarg;
			break;
		case 'n':
			dry_run = 1;
			break;
		case ':':
			return ps_cli_usage_error("forget", "%s needs a value",
						  argv[optind - 1]);
		default:
			return ps_cli_usage_error("forget",
						  "unknown option '%s'",
						  argv[optind - 1]);
		}
	}
	if (optind < argc)
		return ps_cli_usage_error("forget", "unexpected '%s'",
					  argv[optind]);
	if (email == NULL || email[0] == '\0')
		return ps_cli_usage_error("forget", "--email is required");
	if ((status = ps_cli_open_store(&st, &cfg, g)) != PS_EXIT_OK)
		return status;
	error = ps_privacy_forget(&stats, st, email, dry_run);
	if (error == PS_EINVAL) {
		ps_store_close(st);
		return ps_cli_usage_error("forget", "%s", ps_error_last());
	}
	if (error < 0) {
		ps_cli_error("forget: %s", ps_error_last());
		status = PS_EXIT_FAIL;
	} else {
		printf("%s %lld value%s (%lld in the sync log), %s %lld "
		       "contact%s%s\n",
		       dry_run ? "would redact" : "redacted",
		       (long long)stats.values, stats.values == 1 ? "" : "s",
		       (long long)stats.log_rows,
		       dry_run ? "would delete" : "deleted",
		       (long long)stats.rows, stats.rows == 1 ? "" : "s",
		       dry_run ? " (dry run: nothing changed)"
			       : "; database compacted");
	}
	ps_store_close(st);
	return status;
}
