/*
 * cmd_check.c - `pearlsync check-connection bp|bc`: one cheap authenticated
 * call to a platform with the stored credentials, and one line saying
 * whether it worked.
 *
 * The credentials come from the database (settings brightpearl.* and
 * bigcommerce.*), the base URL from the setting when set, else from the
 * config file.  The connectors' own check functions do the call, so the
 * console's setup step and this command agree.  Few retries: the operator
 * is waiting for an answer.
 */
#include "commands.h"

#include <stdlib.h>
#include <string.h>

#include "pearlsync/bigcommerce.h"
#include "pearlsync/brightpearl.h"
#include "pearlsync/config.h"
#include "pearlsync/connect.h"
#include "pearlsync/http.h"
#include "pearlsync/store.h"

const char ps_cli_usage_check_connection[] =
	"usage: pearlsync check-connection bp|bc\n"
	"\n"
	"Make one cheap authenticated request to Brightpearl (bp) or\n"
	"BigCommerce (bc) with the credentials stored by `pearlsync settings`\n"
	"and print one line:\n"
	"  OK: Brightpearl account NAME   (or OK: BigCommerce store NAME)\n"
	"  authentication failed: REASON\n"
	"  unreachable: REASON\n"
	"  not configured: REASON         (a required setting is missing)\n"
	"\n"
	"The base URL is the setting brightpearl.base_url or\n"
	"bigcommerce.base_url when set, else the config file's.\n"
	"\n"
	"Exit status: 0 connected, 1 not, 2 bad usage or config file.\n"
	"\n"
	"Example:\n"
	"  pearlsync check-connection bp\n";

/* Print the one line for code (0 = success, name printed) and return the
 * exit status. */
static int
report(int code, const char *what, const char *name)
{
	char msg[PS_ERROR_MAX + 64];

	if (code == 0) {
		printf("OK: %s %s\n", what, name);
		return PS_EXIT_OK;
	}
	switch (code) {
	case PS_EAUTH:
		snprintf(msg, sizeof(msg), "authentication failed: %s",
			 ps_error_last());
		break;
	case PS_ESETTING:
	case PS_EINVAL:
		snprintf(msg, sizeof(msg), "not configured: %s",
			 ps_error_last());
		break;
	case PS_ENET:
	case PS_ETIMEOUT:
	case PS_ETLS:
	case PS_EREMOTE:
	case PS_ERATELIMIT:
		snprintf(msg, sizeof(msg), "unreachable: %s", ps_error_last());
		break;
	default:
		snprintf(msg, sizeof(msg), "unreachable: unexpected reply: %s",
			 ps_error_last());
		break;
	}
	ps_redact(msg, sizeof(msg));
	printf("%s\n", msg);
	return PS_EXIT_FAIL;
}

static int
check_bp(char **out_name, ps_store *st, const ps_config *cfg, ps_http *http)
{
	ps_bp *bp = NULL;
	int error;

	if ((error = ps_connect_bp(&bp, st, cfg, http)) == 0)
		error = ps_bp_check_connection(out_name, bp);
	ps_bp_free(bp);
	return error;
}

static int
check_bc(char **out_name, ps_store *st, const ps_config *cfg, ps_http *http)
{
	ps_bc *bc = NULL;
	int error;

	if ((error = ps_connect_bc(&bc, st, cfg, http)) == 0)
		error = ps_bc_check_connection(out_name, bc);
	ps_bc_free(bc);
	return error;
}

int
ps_cli_cmd_check_connection(const ps_cli_global *g, int argc, char **argv)
{
	ps_http_options ho = PS_HTTP_OPTIONS_INIT;
	ps_platform platform;
	ps_config cfg;
	ps_store *st = NULL;
	ps_http *http = NULL;
	char *name = NULL;
	int status, error;

	if (argc != 2 || ps_platform_parse(&platform, argv[1]) < 0 ||
	    (platform != PS_PLATFORM_BRIGHTPEARL &&
	     platform != PS_PLATFORM_BIGCOMMERCE))
		return ps_cli_usage_error("check-connection",
					  "check-connection needs bp or bc");
	if ((status = ps_cli_open_store(&st, &cfg, g)) != PS_EXIT_OK)
		return status;
	ho.max_attempts = 2;
	ho.backoff_base_ms = 200;
	ho.backoff_cap_ms = 1000;
	ho.max_wait_ms = 5000;
	if ((error = ps_connect_http(&http, &cfg, &ho)) < 0) {
		ps_cli_error("%s", ps_error_last());
		ps_store_close(st);
		return PS_EXIT_FAIL;
	}
	if (platform == PS_PLATFORM_BRIGHTPEARL)
		error = check_bp(&name, st, &cfg, http);
	else
		error = check_bc(&name, st, &cfg, http);
	status = report(error,
			platform == PS_PLATFORM_BRIGHTPEARL
				? "Brightpearl account"
				: "BigCommerce store",
			name);
	free(name);
	ps_http_free(http);
	ps_store_close(st);
	return status;
}
