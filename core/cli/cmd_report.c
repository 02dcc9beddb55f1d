/*
 * cmd_report.c - `pearlsync report [--send] [--since DATE]`: print the
 * daily e-mail report, or send it now (report.h).
 */
#include "commands.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pearlsync/config.h"
#include "pearlsync/report.h"
#include "pearlsync/store.h"

const char ps_cli_usage_report[] =
	"usage: pearlsync report [--send] [--since DATE]\n"
	"\n"
	"Print the daily e-mail report: for each pair of platforms, every\n"
	"flow's synced, failed and pending entries, then the failed ones with\n"
	"their reasons and the pending ones waiting for the operator.  "
	"Without\n"
	"--send it is a dry run: the message is printed as it would be sent\n"
	"(headers, then the text) and nothing is recorded.\n"
	"\n"
	"  --send        send it now through the report.* SMTP settings and\n"
	"                record the time: the next report covers from now\n"
	"  --since DATE  report from DATE (YYYY-MM-DD, local midnight, or\n"
	"                YYYY-MM-DDTHH:MM:SSZ) instead of the last report\n"
	"                sent (or the last 24 hours when none was)\n"
	"\n"
	"The worker sends the report by itself once a day at report.hour when\n"
	"report.enabled is true; 'pearlsync settings list report.' shows the\n"
	"settings.\n"
	"\n"
	"Exit status: 0 printed or sent, 1 a setting is missing or the SMTP\n"
	"server refused (the reason is printed), 2 bad usage.\n"
	"\n"
	"Examples:\n"
	"  pearlsync report\n"
	"  pearlsync report --since 2026-12-01\n"
	"  pearlsync report --send\n";

static int
two(const char *s)
{
	return (s[0] - '0') * 10 + (s[1] - '0');
}

/* Days since 1970-01-01 of a UTC calendar date (H. Hinnant's method). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* DATE as unix ms: "YYYY-MM-DD" local midnight, or "...THH:MM:SSZ". */
static int
parse_since(int64_t *out, const char *s)
{
	struct tm tm;
	size_t i, n = strlen(s);
	time_t t;

	if (n != 10 && n != 20)
		return -1;
	for (i = 0; i < n; i++) {
		int digit = s[i] >= '0' && s[i] <= '9';
		int want = !(i == 4 || i == 7 || i == 10 || i == 13 ||
			     i == 16 || i == 19);
		if (digit != want)
			return -1;
	}
	if (s[4] != '-' || s[7] != '-' ||
	    (n == 20 &&
	     (s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != 'Z')))
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = two(s) * 100 + two(s + 2) - 1900;
	tm.tm_mon = two(s + 5) - 1;
	tm.tm_mday = two(s + 8);
	if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 ||
	    tm.tm_mday > 31)
		return -1;
	if (n == 20) {
		tm.tm_hour = two(s + 11);
		tm.tm_min = two(s + 14);
		tm.tm_sec = two(s + 17);
		if (tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
			return -1;
		/* UTC without timegm: days since the epoch by hand */
		*out = ((int64_t)days_from_civil(tm.tm_year + 1900,
						 tm.tm_mon + 1, tm.tm_mday) *
				86400 +
			tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec) *
		       1000;
		return 0;
	}
	tm.tm_isdst = -1;
	if ((t = mktime(&tm)) == (time_t)-1)
		return -1;
	*out = (int64_t)t * 1000;
	return 0;
}

/* The message for a terminal: CRLF as LF. */
static void
print_message(const char *m)
{
	for (; *m; m++)
		if (!(m[0] == '\r' && m[1] == '\n'))
			putchar(*m);
}

int
ps_cli_cmd_report(const ps_cli_global *g, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"send", no_argument, NULL, 's'},
		{"since", required_argument, NULL, 'S'},
		{NULL, 0, NULL, 0},
	};
	ps_store *st = NULL;
	ps_config cfg;
	char *message = NULL;
	int64_t since = 0, now;
	int send = 0, c, status, error;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			send = 1;
			break;
		case 'S':
			if (parse_since(&since, optarg) < 0)
				return ps_cli_usage_error(
					"report",
					"--since '%s' is not a date "
					"(YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)",
					optarg);
			break;
		case ':':
			return ps_cli_usage_error("report", "%s needs a value",
						  argv[optind - 1]);
		default:
			return ps_cli_usage_error("report",
						  "unknown option '%s'",
						  argv[optind - 1]);
		}
	}
	if (optind < argc)
		return ps_cli_usage_error("report", "unexpected '%s'",
					  argv[optind]);
	now = (int64_t)ps_cli_now_ms();
	if (since >= now)
		return ps_cli_usage_error("report", "--since is in the future");
	if ((status = ps_cli_open_store(&st, &cfg, g)) != PS_EXIT_OK)
		return status;
	error = ps_report_run(send ? NULL : &message, st, cfg.ca_file, since,
			      now, send);
	if (error < 0) {
		ps_cli_error("%s%s", send ? "report not sent: " : "",
			     ps_error_last());
		status = PS_EXIT_FAIL;
	} else if (send) {
		printf("report sent\n");
	} else {
		print_message(message);
	}
	free(message);
	ps_store_close(st);
	return status;
}
