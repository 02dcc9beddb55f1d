/*
 * test_platform_registry.c - the worker, listener, HTTP client, command
 * line and console name no platform.
 *
 * Everything they know about a platform comes through its plug-in
 * (platform.h), found in the registry (core/platforms/registry.c, the
 * lines between "registry lines" markers) and the flow groups' own
 * directories.  This test takes every registered plug-in's name, title,
 * short code and connector symbols (ps_<code>_..., PS_PLATFORM_<NAME>,
 * ps_connect_<code>) and lists where any of them occurs in the sources of
 * core/worker/, core/http/, core/cli/, tui/ and the headers those include
 * for their own contract (worker.h, http.h, flow.h, platform.h): in code
 * and strings, not in comments (documentation may give examples).  Any
 * occurrence fails the test, naming file and line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pearlsync/platform.h"
#include "source_scan.h"

static const char *const dirs[] = {"core/worker", "core/http", "core/cli",
				   "tui"};
static const char *const headers[] = {
	"include/pearlsync/worker.h", "include/pearlsync/http.h",
	"include/pearlsync/flow.h", "include/pearlsync/platform.h"};

#define MAX_NEEDLES 64

static char needles[MAX_NEEDLES][128];
static int needle_word[MAX_NEEDLES]; /* match as a whole word only */
static size_t nneedles;

static void
add(const char *s, int word)
{
	assert_true(nneedles < MAX_NEEDLES);
	snprintf(needles[nneedles], sizeof(needles[0]), "%s", s);
	needle_word[nneedles++] = word;
}

/* Case-insensitive search of needle in line; word: not inside a word. */
static int
has(const char *line, const char *needle, int word)
{
	size_t n = strlen(needle);
	const char *p;

	for (p = line; *p != '\0'; p++) {
		if (strncasecmp(p, needle, n) != 0)
			continue;
		if (!word)
			return 1;
		if ((p == line ||
		     !(isalnum((unsigned char)p[-1]) || p[-1] == '_')) &&
		    !(isalnum((unsigned char)p[n]) || p[n] == '_'))
			return 1;
	}
	return 0;
}

/* Report each line of text that names a platform. */
static size_t
scan_text(const char *text, const char *shown, void *ctx)
{
	const char *line = text, *end;
	char buf[4096];
	size_t lineno = 0, found = 0, i, n;

	(void)ctx;
	for (; *line != '\0'; line = *end != '\0' ? end + 1 : end) {
		end = line + strcspn(line, "\n");
		n = (size_t)(end - line);
		if (n >= sizeof(buf))
			n = sizeof(buf) - 1;
		memcpy(buf, line, n);
		buf[n] = '\0';
		lineno++;
		for (i = 0; i < nneedles; i++) {
			if (!has(buf, needles[i], needle_word[i]))
				continue;
			fprintf(stderr, "%s:%zu: names '%s': %s\n", shown,
				lineno, needles[i], buf);
			found++;
			break;
		}
	}
	return found;
}

static void
test_no_platform_outside_the_registry(void **state)
{
	const ps_platform_ops *const *p;
	const char *top = getenv("PS_SOURCE_DIR");
	char buf[128];
	size_t found = 0, i, k;
	int ok = 1;

	(void)state;
	if (top == NULL)
		top = ".";
	for (p = ps_platforms_all(); *p != NULL; p++) {
		add((*p)->name, 0);
		add((*p)->title, 0);
		snprintf(buf, sizeof(buf), "ps_%s_", (*p)->code);
		add(buf, 0);
		snprintf(buf, sizeof(buf), "ps_connect_%s", (*p)->code);
		add(buf, 0);
		snprintf(buf, sizeof(buf), "PS_PLATFORM_%s", (*p)->name);
		add(buf, 0);
		/* the bare code ("bp", "bc") only as a word of its own in
		 * identifiers and strings, e.g. a cache kind "bp.statuses" */
		snprintf(buf, sizeof(buf), "\"%s.", (*p)->code);
		add(buf, 0);
	}
	assert_true(nneedles >= 12); /* the built-in plug-ins are there */
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		found += source_scan_tree(top, dirs[i], 0, scan_text, NULL,
					  NULL, &ok);
	for (k = 0; k < sizeof(headers) / sizeof(headers[0]); k++)
		found +=
			source_scan_file(top, headers[k], scan_text, NULL, &ok);
	assert_true(ok);
	if (found > 0)
		fail_msg("%zu lines outside the registry name a platform",
			 found);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_platform_outside_the_registry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
