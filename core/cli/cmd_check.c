/*
 * cmd_check.c - `pearlsync check-connection PLATFORM|all`: one cheap
 * authenticated call to a platform (or to every registered one that
 * connects) with the stored credentials, and one line each saying whether
 * it worked.
 *
 * The plug-ins' connect and check slots (platform.h) do the work, so the
 * console's setup step and this command agree.  Few retries: the operator
 * is waiting for an answer.
 */
#include "commands.h"

#include <stdlib.h>
#include <string.h>

#include "pearlsync/config.h"
#include "pearlsync/connect.h"
#include "pearlsync/http.h"
#include "pearlsync/platform.h"
#include "pearlsync/store.h"

const char ps_cli_usage_check_connection[] =
	"usage: pearlsync check-connection PLATFORM|all\n"
	"\n"
	"Make one cheap authenticated request to PLATFORM (its name or code,\n"
	"as `pearlsync status` lists them), or with `all` to every platform\n"
	"that has a connection, with the credentials stored by\n"
	"`pearlsync settings`, and print one line each:\n"
	"  OK: TITLE account-or-store NAME\n"
	"  authentication failed: REASON\n"
	"  unreachable: REASON\n"
	"  not configured: REASON         (a required setting is missing)\n"
	"\n"
	"The base URL is the setting NAME.base_url when set, else the config\n"
	"file's.\n"
	"\n"
	"Exit status: 0 connected, 1 not (any of them), 2 bad usage or config\n"
	"file.\n"
	"\n"
	"Example:\n"
	"  pearlsync check-connection bp\n";

/* Print the one line for code (0 = success, name printed) and return the
 * exit status. */
static int
report(int code, const ps_platform_ops *ops, const char *name)
{
	char msg[PS_ERROR_MAX + 64];

	if (code == 0) {
		printf("OK: %s%s%s %s\n", ops->title,
		       ops->check_noun ? " " : "",
		       ops->check_noun ? ops->check_noun : "",
		       name ? name : "");
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

/* Connect and check one platform; prints its line. */
static int
check_one(const ps_platform_ops *ops, ps_store *st, const ps_config *cfg,
	  ps_http *http)
{
	void *conn = NULL;
	char *name = NULL;
	int error, status;

	if ((error = ops->connect(&conn, st, cfg, http)) == 0)
		error = ops->check(&name, conn);
	status = report(error, ops, name);
	free(name);
	if (conn != NULL)
		ops->free(conn);
	return status;
}

static int
can_check(const ps_platform_ops *ops)
{
	return ops != NULL && ops->connect != NULL && ops->check != NULL;
}

int
ps_cli_cmd_check_connection(const ps_cli_global *g, int argc, char **argv)
{
	const ps_platform_ops *const *all = ps_platforms_all();
	const ps_platform_ops *one = NULL;
	ps_http_options ho = PS_HTTP_OPTIONS_INIT;
	ps_config cfg;
	ps_store *st = NULL;
	ps_http *http = NULL;
	size_t i;
	int status, error;

	if (argc == 2 && strcmp(argv[1], "all") != 0 &&
	    !can_check(one = ps_platform_ops_named(argv[1])))
		argc = 0;
	if (argc != 2)
		return ps_cli_usage_error("check-connection",
					  "check-connection needs a platform "
					  "that connects, or all");
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
	if (one != NULL) {
		status = check_one(one, st, &cfg, http);
	} else {
		for (i = 0; all[i] != NULL; i++)
			if (can_check(all[i]) &&
			    check_one(all[i], st, &cfg, http) != PS_EXIT_OK)
				status = PS_EXIT_FAIL;
	}
	ps_http_free(http);
	ps_store_close(st);
	return status;
}
