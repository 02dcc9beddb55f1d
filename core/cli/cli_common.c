/*
 * cli_common.c - what every subcommand needs: error and usage printing,
 * loading the config, opening the database, the clock and formatting.
 *
 * Everything a subcommand prints about a failure goes through
 * ps_cli_error(), which redacts, so a token that slipped into an error
 * detail (a value echoed back by validation, say) still prints as ****.
 */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pearlsync/config.h"
#include "pearlsync/log.h"
#include "pearlsync/settings.h"
#include "pearlsync/store.h"

void
ps_cli_error(const char *fmt, ...)
{
	char msg[PS_ERROR_MAX + 256], shown[4 * (PS_ERROR_MAX + 256)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ps_redact(msg, sizeof(msg));
	/* errors quote platform data: no raw control byte on the terminal */
	fprintf(stderr, "pearlsync: %s\n",
		ps_log_escape(shown, sizeof(shown), msg));
}

void
ps_cli_print_synopsis(FILE *out, const ps_cli_command *cmd)
{
	const char *u = cmd->usage, *end = strstr(u, "\n\n");

	if (end == NULL)
		end = u + strlen(u);
	fprintf(out, "%.*s\n", (int)(end - u), u);
}

int
ps_cli_usage_error(const char *cmd_name, const char *fmt, ...)
{
	const ps_cli_command *cmd = ps_cli_find(cmd_name);
	char msg[PS_ERROR_MAX], shown[4 * PS_ERROR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ps_redact(msg, sizeof(msg));
	/* what went wrong and where to read more, then only the synopsis:
	 * the whole help page buries the one line that matters */
	fprintf(stderr, "pearlsync: %s; see 'pearlsync %s --help'\n",
		ps_log_escape(shown, sizeof(shown), msg), cmd_name);
	if (cmd != NULL)
		ps_cli_print_synopsis(stderr, cmd);
	return PS_EXIT_USAGE;
}

int
ps_cli_error_prefix(int code, const char *fmt, ...)
{
	char prev[PS_ERROR_MAX], prefix[512];
	va_list ap;

	/* copy first: ps_error_last() points at the buffer being rewritten */
	snprintf(prev, sizeof(prev), "%s", ps_error_last());
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	return ps_error_set(code, "%s: %s", prefix, prev);
}

int
ps_cli_exit_status(int code)
{
	if (code >= 0)
		return PS_EXIT_OK;
	if (code == PS_ECONFIG || code == PS_EUSAGE)
		return PS_EXIT_USAGE;
	return PS_EXIT_FAIL;
}

int
ps_cli_load_config(ps_config *cfg, const ps_cli_global *g)
{
	if (ps_config_load(cfg, g->config_path) < 0) {
		ps_cli_error("%s", ps_error_last());
		return PS_EXIT_USAGE;
	}
	ps_log_set_level(cfg->log_level);
	return PS_EXIT_OK;
}

/* Register every stored secret so no output path can print it. */
static int
register_secret(const char *key, const char *value, void *payload)
{
	(void)payload;
	if (value != NULL && ps_settings_is_secret(key))
		return ps_log_add_secret(value) < 0 ? -1 : 0;
	return 0;
}

int
ps_cli_open_store(ps_store **out, ps_config *cfg_out, const ps_cli_global *g)
{
	ps_config cfg;
	ps_store *st = NULL;
	int status, error;

	*out = NULL;
	if ((status = ps_cli_load_config(&cfg, g)) != PS_EXIT_OK)
		return status;
	error = ps_store_open(&st, cfg.db_path, PS_STORE_OPEN_NO_CREATE);
	if (error == PS_ENOTFOUND) {
		ps_cli_error("no database at %s; run 'pearlsync init' first",
			     cfg.db_path);
		return PS_EXIT_FAIL;
	}
	if (error < 0) {
		ps_cli_error("%s: %s", cfg.db_path, ps_error_last());
		return PS_EXIT_FAIL;
	}
	if (ps_store_setting_foreach(st, register_secret, NULL) != 0) {
		ps_cli_error("%s: reading settings: %s", cfg.db_path,
			     ps_error_last());
		ps_store_close(st);
		return PS_EXIT_FAIL;
	}
	if (cfg_out != NULL)
		*cfg_out = cfg;
	*out = st;
	return PS_EXIT_OK;
}

long long
ps_cli_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000LL + ts.tv_nsec / 1000000L;
}

char *
ps_cli_format_time(char *buf, size_t cap, long long ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms <= 0 || localtime_r(&t, &tm) == NULL ||
	    strftime(buf, cap, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(buf, cap, "-");
	return buf;
}

char *
ps_cli_format_age(char *buf, size_t cap, long long ms)
{
	long long s = ms < 0 ? 0 : ms / 1000;

	if (s < 60)
		snprintf(buf, cap, "%llds", s);
	else if (s < 3600)
		snprintf(buf, cap, "%lldm %llds", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, cap, "%lldh %lldm", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, cap, "%lldd %lldh", s / 86400, s % 86400 / 3600);
	return buf;
}

int
ps_cli_parse_long(long *out, const char *text, long min, long max)
{
	char *end;
	long v;

	if (text == NULL || text[0] == '\0')
		return -1;
	errno = 0;
	v = strtol(text, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}
