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
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pearlsync/platform.h"

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

/*
 * Blank out the comments of text (C and C++ style), keeping newlines and
 * string and character literals, so examples in documentation do not
 * count but names in code and in strings do.
 */
static void
strip_comments(char *t)
{
	char *p = t, q;

	while (*p != '\0') {
		if (p[0] == '/' && p[1] == '*') {
			while (*p != '\0' && !(p[0] == '*' && p[1] == '/')) {
				if (*p != '\n')
					*p = ' ';
				p++;
			}
			if (*p != '\0')
				p[0] = p[1] = ' ', p += 2;
		} else if (p[0] == '/' && p[1] == '/') {
			while (*p != '\0' && *p != '\n')
				*p++ = ' ';
		} else if (*p == '"' || *p == '\'') {
			q = *p++;
			while (*p != '\0' && *p != q && *p != '\n')
				p += p[0] == '\\' && p[1] != '\0' ? 2 : 1;
			if (*p == q)
				p++;
		} else {
			p++;
		}
	}
}

static size_t
scan_file(const char *path, const char *shown)
{
	size_t lineno = 0, found = 0, i, len;
	char *text, *line, *next;
	FILE *f = fopen(path, "r");
	long size;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	assert_true(size >= 0);
	rewind(f);
	text = malloc((size_t)size + 1);
	assert_non_null(text);
	len = fread(text, 1, (size_t)size, f);
	text[len] = '\0';
	fclose(f);
	strip_comments(text);
	for (line = text; line != NULL && *line != '\0'; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		lineno++;
		for (i = 0; i < nneedles; i++) {
			if (!has(line, needles[i], needle_word[i]))
				continue;
			fprintf(stderr, "%s:%zu: names '%s': %s\n", shown,
				lineno, needles[i], line);
			found++;
			break;
		}
	}
	free(text);
	return found;
}

static size_t
scan_dir(const char *top, const char *rel)
{
	char path[1024], shown[512];
	struct dirent *d;
	size_t found = 0, n;
	DIR *dir;

	snprintf(path, sizeof(path), "%s/%s", top, rel);
	dir = opendir(path);
	assert_non_null(dir);
	while ((d = readdir(dir)) != NULL) {
		n = strlen(d->d_name);
		if (n < 3 || d->d_name[0] == '.' ||
		    (strcmp(d->d_name + n - 2, ".c") != 0 &&
		     strcmp(d->d_name + n - 2, ".h") != 0))
			continue;
		snprintf(path, sizeof(path), "%s/%s/%s", top, rel, d->d_name);
		snprintf(shown, sizeof(shown), "%s/%s", rel, d->d_name);
		found += scan_file(path, shown);
	}
	closedir(dir);
	return found;
}

static void
test_no_platform_outside_the_registry(void **state)
{
	const ps_platform_ops *const *p;
	const char *top = getenv("PS_SOURCE_DIR");
	char buf[128], path[1024];
	size_t found = 0, i, k;

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
		found += scan_dir(top, dirs[i]);
	for (k = 0; k < sizeof(headers) / sizeof(headers[0]); k++) {
		snprintf(path, sizeof(path), "%s/%s", top, headers[k]);
		found += scan_file(path, headers[k]);
	}
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
