/*
 * mangen.c - fill the man page templates from the tables the program uses.
 *
 *   pearlsync-mangen TEMPLATE OUT PEARLSYNC
 *
 * Copies the roff TEMPLATE to OUT, replacing each line that is only one of
 * these comments by text generated from the same tables as `--help`:
 *
 *   .\" {{COMMANDS}}    every command of `PEARLSYNC --help`: its summary and
 *                     its `PEARLSYNC help NAME` text
 *   .\" {{SETTINGS}}    every operator setting of the catalogue (settings.h):
 *                     key, type, default, range or choices, description
 *   .\" {{BASE_URLS}}   the config file's base_urls keys, one per platform
 *
 * The prose around them is written by hand in the templates; a test
 * (tests/integration/man_drift.sh) checks that prose against the tables
 * too.  Built with the program, never installed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pearlsync/platform.h"
#include "pearlsync/settings.h"

/* Write s as roff text: backslashes escaped, hyphens as minus signs. */
static void
put_text(FILE *out, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			fputs("\\e", out);
		else if (*s == '-')
			fputs("\\-", out);
		else
			fputc(*s, out);
	}
}

/* Write one line of text; a leading '.' or '\'' must not be a request. */
static void
put_line(FILE *out, const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", out);
	put_text(out, s);
	fputc('\n', out);
}

/* Run `bin args` and return its whole output (caller frees), or NULL. */
static char *
run(const char *bin, const char *args)
{
	char cmd[4096], *buf = NULL, *grown;
	size_t len = 0, cap = 0, n;
	FILE *p;

	if ((size_t)snprintf(cmd, sizeof(cmd), "'%s' %s", bin, args) >=
	    sizeof(cmd))
		return NULL;
	if ((p = popen(cmd, "r")) == NULL)
		return NULL;
	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			if ((grown = realloc(buf, cap)) == NULL)
				break;
			buf = grown;
		}
		if ((n = fread(buf + len, 1, cap - len - 1, p)) == 0)
			break;
		len += n;
	}
	if (pclose(p) != 0 || buf == NULL) {
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	return buf;
}

/*
 * The commands: `--help` lists them under "Commands:" as
 * "  NAME  summary"; each one's text comes from `help NAME`.
 */
static int
put_commands(FILE *out, const char *bin)
{
	char *main_usage = run(bin, "--help"), *line, *next, *usage;
	char args[256];
	int in_list = 0, count = 0;

	if (main_usage == NULL) {
		fprintf(stderr, "mangen: '%s --help' failed\n", bin);
		return -1;
	}
	for (line = main_usage; *line != '\0'; line = next) {
		char *name, *summary;

		next = line + strcspn(line, "\n");
		if (*next == '\n')
			*next++ = '\0';
		if (strcmp(line, "Commands:") == 0) {
			in_list = 1;
			continue;
		}
		if (!in_list)
			continue;
		if (line[0] != ' ')
			break;
		name = line + strspn(line, " ");
		summary = name + strcspn(name, " ");
		if (*summary != '\0')
			*summary++ = '\0';
		summary += strspn(summary, " ");
		snprintf(args, sizeof(args), "help '%s'", name);
		if ((usage = run(bin, args)) == NULL) {
			fprintf(stderr, "mangen: '%s %s' failed\n", bin, args);
			free(main_usage);
			return -1;
		}
		fprintf(out, ".SS \"");
		put_text(out, name);
		fprintf(out, "\"\n");
		put_line(out, summary);
		fprintf(out, ".PP\n.in +4n\n.nf\n");
		for (char *u = usage, *un; *u != '\0'; u = un) {
			un = u + strcspn(u, "\n");
			if (*un == '\n')
				*un++ = '\0';
			put_line(out, u);
		}
		fprintf(out, ".fi\n.in\n");
		free(usage);
		count++;
	}
	free(main_usage);
	if (count == 0) {
		fprintf(stderr, "mangen: no commands in '%s --help'\n", bin);
		return -1;
	}
	return 0;
}

/* The settings, under one subsection per first key component. */
static void
put_settings(FILE *out)
{
	char group[64] = "";
	size_t i, glen;

	for (i = 0; i < ps_settings_count(); i++) {
		const ps_setting_def *d = ps_settings_at(i);
		const char *const *c, *desc;
		size_t dlen;

		glen = strcspn(d->key, ".");
		if (glen >= sizeof(group))
			glen = sizeof(group) - 1;
		if (strncmp(group, d->key, glen) != 0 || group[glen] != '\0') {
			memcpy(group, d->key, glen);
			group[glen] = '\0';
			fprintf(out, ".SS \"%s.*\"\n", group);
		}
		fprintf(out, ".TP\n.B ");
		put_text(out, d->key);
		fprintf(out, "\n");
		desc = d->description != NULL ? d->description : "";
		put_text(out, desc);
		dlen = strlen(desc);
		fprintf(out, "%s\n.br\n\\fI%s\\fR",
			dlen > 0 && desc[dlen - 1] == '.' ? "" : ".",
			ps_setting_type_name(d->type));
		if (d->type == PS_SETTING_INT && d->max == INT64_MAX)
			fprintf(out, ", at least %lld", (long long)d->min);
		else if (d->type == PS_SETTING_INT)
			fprintf(out, ", %lld to %lld", (long long)d->min,
				(long long)d->max);
		if (d->type == PS_SETTING_ENUM && d->choices != NULL) {
			fprintf(out, ", one of");
			for (c = d->choices; *c != NULL; c++) {
				fprintf(out, "%s \\(lq",
					c == d->choices ? "" : ",");
				put_text(out, *c);
				fprintf(out, "\\(rq");
			}
		}
		if (d->default_value != NULL) {
			fprintf(out, "; default \\(lq");
			put_text(out, d->default_value);
			fprintf(out, "\\(rq");
		}
		if (d->required)
			fprintf(out, "; required");
		fprintf(out, ".\n");
	}
}

/* base_urls.NAME for each platform, with its built-in default. */
static void
put_base_urls(FILE *out)
{
	const ps_platform_ops *const *p;

	for (p = ps_platforms_all(); *p != NULL; p++) {
		fprintf(out, ".TP\n.B base_urls.");
		put_text(out, (*p)->name);
		fprintf(out, "\n%s API; default \\(lq", (*p)->title);
		put_text(out,
			 (*p)->default_base_url ? (*p)->default_base_url : "");
		fprintf(out, "\\(rq.\n");
	}
}

int
main(int argc, char **argv)
{
	char line[4096];
	FILE *in, *out;
	int error = 0;

	if (argc != 4) {
		fprintf(stderr, "usage: pearlsync-mangen TEMPLATE OUT "
				"PEARLSYNC\n");
		return 2;
	}
	if ((in = fopen(argv[1], "r")) == NULL) {
		perror(argv[1]);
		return 1;
	}
	if ((out = fopen(argv[2], "w")) == NULL) {
		perror(argv[2]);
		fclose(in);
		return 1;
	}
	while (error == 0 && fgets(line, sizeof(line), in) != NULL) {
		if (strcmp(line, ".\\\" {{COMMANDS}}\n") == 0)
			error = put_commands(out, argv[3]);
		else if (strcmp(line, ".\\\" {{SETTINGS}}\n") == 0)
			put_settings(out);
		else if (strcmp(line, ".\\\" {{BASE_URLS}}\n") == 0)
			put_base_urls(out);
		else
			fputs(line, out);
	}
	fclose(in);
	if (fclose(out) != 0 || error != 0) {
		remove(argv[2]);
		return 1;
	}
	return 0;
}
