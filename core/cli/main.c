/*
 * main.c - the pearlsync command: global options, then one subcommand.
 *
 *   pearlsync [--config FILE] COMMAND [ARGS...]
 *
 * --config may also follow the command name (until a "--"), and
 * `pearlsync COMMAND --help` is the same as `pearlsync help COMMAND`.
 *
 * Subcommands live in the table in commands.c; this file only parses the
 * global options and dispatches, so that `pearlsync help CMD` and the
 * usage errors behave the same for every command.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#include "pearlsync/common.h"
#include "pearlsync/flow.h"
#include "pearlsync/log.h"
#include "pearlsync/platform.h"
#include "pearlsync/version.h"

void
ps_cli_print_main_usage(FILE *out)
{
	const ps_cli_command *c;

	const ps_platform_ops *const *p;

	fprintf(out, "usage: pearlsync [--config FILE] COMMAND [ARGS...]\n"
		     "\n"
		     "Keeps these platforms in step:\n");
	for (p = ps_platforms_all(); *p != NULL; p++)
		fprintf(out, "%s %s", p == ps_platforms_all() ? " " : ",",
			(*p)->title);
	fprintf(out, ".\n\nCommands:\n");
	for (c = ps_cli_commands; c->name != NULL; c++)
		fprintf(out, "  %-16s %s\n", c->name, c->summary);
	fprintf(out,
		"\nGlobal options:\n"
		"  --config FILE    machine settings (default: "
		"$PEARLSYNC_CONFIG, then\n"
		"                   /etc/pearlsync/pearlsync.conf, then "
		"built-in defaults)\n"
		"  -h, --help       this text\n"
		"  --version        print the version\n"
		"\nRun 'pearlsync help COMMAND' for a command's options.\n");
}

const ps_cli_command *
ps_cli_find(const char *name)
{
	const ps_cli_command *c;

	for (c = ps_cli_commands; c->name != NULL; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

/*
 * Remove "--config FILE" / "--config=FILE" found at or after argv[from]
 * (up to "--") and record it in g, so every subcommand accepts it.
 * Returns -1 when --config is the last word.
 */
static int
take_config_option(ps_cli_global *g, int *argc, char **argv, int from)
{
	int i = from, n = *argc, skip, j;

	while (i < n && strcmp(argv[i], "--") != 0) {
		if (strcmp(argv[i], "--config") == 0) {
			if (i + 1 >= n)
				return -1;
			g->config_path = argv[i + 1];
			skip = 2;
		} else if (strncmp(argv[i], "--config=", 9) == 0) {
			g->config_path = argv[i] + 9;
			skip = 1;
		} else {
			i++;
			continue;
		}
		for (j = i; j + skip <= n; j++)
			argv[j] = argv[j + skip];
		n -= skip;
	}
	*argc = n;
	return 0;
}

/* The first placeholder (PS_CLI_PLATFORMS, PS_CLI_PREVIEWS) in u. */
static const char *
next_placeholder(const char *u)
{
	const char *a = strstr(u, PS_CLI_PLATFORMS);
	const char *b = strstr(u, PS_CLI_PREVIEWS);

	return a == NULL ? b : b == NULL ? a : a < b ? a : b;
}

/* "noun ID  help", the help wrapped at 72 columns under itself. */
static void
print_wrapped(FILE *out, int indent, const char *noun, const char *help)
{
	const char *w = help != NULL ? help : "", *end;
	int col, start;

	col = fprintf(out, "%*s%s ID  ", indent, "", noun);
	start = col;
	while (*w != '\0') {
		while (*w == ' ')
			w++;
		end = w + strcspn(w, " ");
		if (end == w)
			break;
		if (col > start && col + (int)(end - w) + 1 > 72) {
			fprintf(out, "\n%*s", start, "");
			col = start;
		} else if (col > start) {
			fputc(' ', out);
			col++;
		}
		fwrite(w, 1, (size_t)(end - w), out);
		col += (int)(end - w);
		w = end;
	}
	fputc('\n', out);
}

void
ps_cli_print_usage(FILE *out, const ps_cli_command *cmd)
{
	const ps_platform_ops *const *p;
	const ps_flow_ops *const *f;
	const char *u = cmd->usage, *at, *line;
	int indent;

	/*
	 * A line holding only PS_CLI_PLATFORMS (after its indent) stands for
	 * the registered platforms, one a line at that indent: code, title
	 * and the route of its webhooks.
	 */
	while ((at = next_placeholder(u)) != NULL) {
		int previews = strncmp(at, PS_CLI_PREVIEWS,
				       strlen(PS_CLI_PREVIEWS)) == 0;

		for (line = at; line > u && line[-1] != '\n'; line--)
			;
		indent = (int)(at - line);
		fwrite(u, 1, (size_t)(line - u), out);
		for (p = ps_platforms_all(); !previews && *p != NULL; p++) {
			fprintf(out, "%*s%-5s %s", indent, "", (*p)->code,
				(*p)->title);
			if ((*p)->webhook_accept != NULL)
				fprintf(out, " (webhooks: /webhooks/%s)",
					(*p)->name);
			fputc('\n', out);
		}
		for (f = ps_flows_all(); previews && *f != NULL; f++)
			if ((*f)->preview != NULL && (*f)->preview_noun != NULL)
				print_wrapped(out, indent, (*f)->preview_noun,
					      (*f)->preview_help);
		u = at + strlen(previews ? PS_CLI_PREVIEWS : PS_CLI_PLATFORMS);
		if (*u == '\n')
			u++;
	}
	fputs(u, out);
}

/* One line for a mistake before the command, and the synopsis. */
static int
main_usage_error(const char *what, const char *word)
{
	char shown[256];

	fprintf(stderr,
		"pearlsync: %s '%s'; see 'pearlsync --help'\n"
		"usage: pearlsync [--config FILE] COMMAND [ARGS...]\n",
		what, ps_log_escape(shown, sizeof(shown), word));
	return PS_EXIT_USAGE;
}

int
main(int argc, char **argv)
{
	ps_cli_global g = {0};
	const ps_cli_command *cmd;
	int i = 1, status;

	while (i < argc && argv[i][0] == '-') {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
			g.config_path = argv[i + 1];
			i += 2;
		} else if (strncmp(argv[i], "--config=", 9) == 0) {
			g.config_path = argv[i] + 9;
			i++;
		} else if (strcmp(argv[i], "-h") == 0 ||
			   strcmp(argv[i], "--help") == 0) {
			ps_cli_print_main_usage(stdout);
			return PS_EXIT_OK;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("pearlsync %s\n", PS_VERSION);
			return PS_EXIT_OK;
		} else {
			return main_usage_error("unknown option", argv[i]);
		}
	}
	if (i >= argc) {
		ps_cli_print_main_usage(stderr);
		return PS_EXIT_USAGE;
	}
	cmd = ps_cli_find(argv[i]);
	if (cmd == NULL) {
		return main_usage_error("unknown command", argv[i]);
	}
	if (i + 1 < argc && (strcmp(argv[i + 1], "-h") == 0 ||
			     strcmp(argv[i + 1], "--help") == 0)) {
		ps_cli_print_usage(stdout, cmd);
		return PS_EXIT_OK;
	}
	if (take_config_option(&g, &argc, argv, i + 1) < 0) {
		fprintf(stderr, "pearlsync: --config needs a FILE\n");
		return PS_EXIT_USAGE;
	}
	if (ps_lib_init() < 0) {
		fprintf(stderr, "pearlsync: %s\n", ps_error_last());
		return PS_EXIT_FAIL;
	}
	status = cmd->run(&g, argc - i, argv + i);
	ps_lib_shutdown();
	return status;
}
