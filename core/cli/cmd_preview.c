/*
 * cmd_preview.c - `pearlsync preview order BC_ORDER_ID`: what importing one
 * BigCommerce order would send to Brightpearl, and why, changing nothing.
 *
 * The order import's plan (BigCommerce order -> Brightpearl requests) is
 * the same pure function the worker uses; here the customer and products
 * are looked up with reads only, a missing customer is shown as the
 * contact the import would create, and nothing is written to either
 * platform or to the database.
 */
#include "commands.h"

#include <stdlib.h>
#include <string.h>

#include "pearlsync/flow.h"
#include "pearlsync/platform.h"
#include "pearlsync/config.h"
#include "pearlsync/connect.h"
#include "pearlsync/store.h"

const char ps_cli_usage_preview[] =
	"usage: pearlsync preview NOUN ID\n"
	"\n"
	"Print what a flow would send for one object, and why: which\n"
	"mapping, default or setting decided each value.  The object is read\n"
	"from its platform and the target is only looked up: nothing is\n"
	"written to either platform or to the database.  A failure the entry\n"
	"would hit (unknown SKU, unmapped status, missing default) is printed\n"
	"as the reason it would fail with.  NOUN and ID:\n"
	"  " PS_CLI_PREVIEWS "\n"
	"\n"
	"Exit status: 0 the entry would go through, 1 it would fail (or a\n"
	"platform cannot be reached), 2 bad usage or config file.\n"
	"\n"
	"Example:\n"
	"  pearlsync preview order 1042\n";

int
ps_cli_cmd_preview(const ps_cli_global *g, int argc, char **argv)
{
	ps_http_options ho = PS_HTTP_OPTIONS_INIT;
	ps_flow_env env;
	ps_config cfg;
	ps_store *st = NULL;
	ps_http *http = NULL;
	ps_platform_conns conns;
	void *state = NULL;
	char *text = NULL;
	long id;
	int status, error;

	const ps_flow_ops *const *flows = ps_flows_all();
	const ps_flow_ops *flow = NULL;
	size_t i;

	for (i = 0; argc == 3 && flows[i] != NULL; i++)
		if (flows[i]->preview != NULL &&
		    flows[i]->preview_noun != NULL &&
		    strcmp(flows[i]->preview_noun, argv[1]) == 0)
			flow = flows[i];
	if (argc != 3 || flow == NULL ||
	    ps_cli_parse_long(&id, argv[2], 1, 0x7fffffffL) < 0)
		return ps_cli_usage_error("preview", "preview needs: NOUN ID");
	if ((status = ps_cli_open_store(&st, &cfg, g)) != PS_EXIT_OK)
		return status;
	ho.max_attempts = 3;
	ho.backoff_base_ms = 200;
	ho.backoff_cap_ms = 2000;
	ho.max_wait_ms = 10000;
	memset(&env, 0, sizeof(env));
	memset(&conns, 0, sizeof(conns));
	if ((error = ps_connect_http(&http, &cfg, &ho)) < 0 ||
	    (error = ps_platforms_connect(&conns, st, &cfg, http, NULL)) < 0)
		goto done;
	if (conns.conn[flow->source] == NULL ||
	    conns.conn[flow->target] == NULL) {
		error = ps_error_set(PS_ESETTING, "%s",
				     conns.note[flow->source][0] != '\0'
					     ? conns.note[flow->source]
					     : conns.note[flow->target]);
		goto done;
	}
	env.store = st;
	memcpy(env.conn, conns.conn, sizeof(env.conn));
	env.now = ps_cli_now_ms();
	if ((error = flow->init != NULL ? flow->init(&state, &env) : 0) < 0)
		goto done;
	env.state = state;
	if ((error = flow->preview(&text, &env, argv[2])) < 0)
		goto done;
	fputs(text, stdout);
done:
	if (error < 0) {
		ps_cli_error("the import of order %ld would fail: %s (%s)", id,
			     ps_error_last(), ps_error_name(error));
		status = PS_EXIT_FAIL;
	}
	free(text);
	if (flow->fini != NULL)
		flow->fini(state);
	ps_platforms_disconnect(&conns);
	ps_http_free(http);
	ps_store_close(st);
	return status;
}
