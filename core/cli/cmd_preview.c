/*
 * cmd_preview.c - `pearlsync preview order BC_ORDER_ID`: what importing one
 * BigCommerce order would send to Brightpearl, and why, changing nothing.
 *
 * The order import's plan (BigCommerce order -> Brightpearl requests) is
 * the same pure function the worker uses; here the customer and products
 * are looked up with reads only, a missing customer is shown as the
 * contact the import would create, and nothing is written to either
 * platform or to the database.
 *
 * The plan's text is printed tidied: a field with no value is left out
 * and an id that is unset (0) shows as an em dash, so the operator reads what
 * would be sent, not the shape of the request.  Failures are printed as
 * their human message; the internal error names stay out of it.
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

/* An unset id as the plan prints it: "project 0" (label, then " 0"). */
static int
is_unset_id(const char *item, size_t len)
{
	size_t i;

	if (len < 3 || strncmp(item + len - 2, " 0", 2) != 0)
		return 0;
	for (i = 0; i < len - 2; i++)
		if (!((item[i] >= 'a' && item[i] <= 'z') || item[i] == ' '))
			return 0;
	return 1;
}

/*
 * Print one indented plan line ("    a: 1, b: , project 0") without its
 * empty fields ("b: ", a trailing ", ") and with unset ids as an em dash.  A
 * line left with nothing is not printed.
 */
static void
print_tidy(FILE *out, const char *line)
{
	const char *p = line, *end, *next;
	size_t indent = strspn(line, " "), len;
	int printed = 0;

	for (p = line + indent; *p != '\0'; p = next) {
		end = strstr(p, ", ");
		next = end != NULL ? end + 2 : p + strlen(p);
		if (end == NULL)
			end = next;
		while (end > p && end[-1] == ' ')
			end--;
		len = (size_t)(end - p);
		if (len == 0 || p[len - 1] == ':')
			continue; /* "phone: ", "customer: " */
		fprintf(out, "%s%*s", printed ? ", " : "",
			printed ? 0 : (int)indent, "");
		if (is_unset_id(p, len))
			fprintf(out, "%.*s \xe2\x80\x94", (int)(len - 2), p);
		else if (strncmp(p, "row: ", 5) == 0 &&
			 strstr(p, " x   net ") &&
			 strstr(p, " x   net ") < end) {
			/* a product row: its name and quantity follow below */
			const char *x = strstr(p, " x   net ");

			fprintf(out, "%.*s  %.*s", (int)(x - p), p,
				(int)(end - (x + 5)), x + 5);
		} else
			fprintf(out, "%.*s", (int)len, p);
		printed = 1;
	}
	if (printed)
		fputc('\n', out);
}

/* The preview's text, tidied up to its "Why:" part (printed as it is). */
static void
print_preview(FILE *out, const char *text)
{
	const char *p = text, *nl;
	char line[2048];
	int why = 0;

	while (*p != '\0') {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		if (!why && strncmp(p, "Why:", 4) == 0)
			why = 1;
		if (!why && strncmp(p, "    ", 4) == 0 &&
		    (size_t)(nl - p) < sizeof(line)) {
			snprintf(line, sizeof(line), "%.*s", (int)(nl - p), p);
			print_tidy(out, line);
		} else {
			fprintf(out, "%.*s\n", (int)(nl - p), p);
		}
		p = *nl != '\0' ? nl + 1 : nl;
	}
}

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
	int status, error, planned = 0;

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
		const char *note = conns.note[flow->source][0] != '\0'
					   ? conns.note[flow->source]
					   : conns.note[flow->target];

		/* a note that filled its buffer was cut: say so */
		error = ps_error_set(PS_ESETTING, "%s%s", note,
				     strlen(note) + 1 >= sizeof(conns.note[0])
					     ? "\xe2\x80\xa6"
					     : "");
		goto done;
	}
	env.store = st;
	memcpy(env.conn, conns.conn, sizeof(env.conn));
	env.now = ps_cli_now_ms();
	if ((error = flow->init != NULL ? flow->init(&state, &env) : 0) < 0)
		goto done;
	env.state = state;
	planned = 1;
	if ((error = flow->preview(&text, &env, argv[2])) < 0)
		goto done;
	print_preview(stdout, text);
done:
	if (error < 0 && planned)
		ps_cli_error("the import of %s %ld would fail: %s",
			     flow->preview_noun, id, ps_error_last());
	else if (error < 0)
		ps_cli_error("cannot preview %s %ld: %s", flow->preview_noun,
			     id, ps_error_last());
	if (error < 0)
		status = PS_EXIT_FAIL;
	free(text);
	if (flow->fini != NULL)
		flow->fini(state);
	ps_platforms_disconnect(&conns);
	ps_http_free(http);
	ps_store_close(st);
	return status;
}
