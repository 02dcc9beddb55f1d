/*
 * test_setting_keys.c - setting keys are compile-time names, and every
 * one of them is in the catalogue.
 *
 * Code names a key with the PS_SET_* constant made from its settings.def
 * row (core/setting_keys.h), so a key the catalogue lacks does not
 * compile.  What the compiler cannot see is a string literal handed to
 * the settings calls: this test reads every .c and .h under core/ and
 * tui/ and fails, naming file and line, on any string literal shaped
 * like a key ("a.b") given as an argument to ps_settings_get*,
 * ps_settings_validate, ps_settings_find, ps_settings_is_secret,
 * ps_store_setting_* or a file's own setting_* helper, whether the catalogue
 * knows the key (use its name) or not (a typo, or a key read before it was
 * catalogued).  Comments do not count.
 *
 * It also checks the names against the catalogue: each row's constant
 * holds its key, keys are unique, every catalogue entry comes from a row,
 * and each renamed BigCommerce pair key still resolves from its old name.
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

#include "pearlsync/settings.h"
#include "setting_keys.h"
#include "source_scan.h"

/* Callees whose string-literal arguments are keys: exact names, then
 * prefixes ("setting_" is the files' own helpers, setting_opt and kin). */
static const char *const callees[] = {
	"ps_settings_get",     "ps_settings_get_bool",
	"ps_settings_get_int", "ps_settings_validate",
	"ps_settings_find",    "ps_settings_is_secret",
	"ps_settings_display", "ps_settings_get_opt",
	"ps_settings_value",   NULL};
static const char *const callee_prefixes[] = {"ps_store_setting_", "setting_",
					      NULL};

static int
is_ident(int c)
{
	return isalnum(c) || c == '_';
}

static int
is_callee(const char *name, size_t n)
{
	size_t i, k;

	for (i = 0; callees[i] != NULL; i++)
		if (strlen(callees[i]) == n &&
		    strncmp(callees[i], name, n) == 0)
			return 1;
	for (i = 0; callee_prefixes[i] != NULL; i++) {
		k = strlen(callee_prefixes[i]);
		if (n > k && strncmp(callee_prefixes[i], name, k) == 0)
			return 1;
	}
	return 0;
}

static size_t
line_of(const char *text, const char *at)
{
	size_t line = 1;

	for (; text < at; text++)
		line += *text == '\n';
	return line;
}

/*
 * The literal at p (on its opening quote), adjacent literals joined, into
 * buf; returns the character after it.
 */
static const char *
read_literal(char *buf, size_t cap, const char *p)
{
	size_t len = 0;

	buf[0] = '\0';
	while (*p == '"') {
		for (p++; *p != '\0' && *p != '"' && *p != '\n'; p++) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			if (len + 1 < cap)
				buf[len++] = *p;
		}
		if (*p == '"')
			p++;
		while (isspace((unsigned char)*p))
			p++;
	}
	buf[len] = '\0';
	return p;
}

/* "word.word[.word...]": lower case, digits, '_' — the shape of a key. */
static int
key_shaped(const char *s)
{
	int dots = 0, run = 0;

	for (; *s != '\0'; s++) {
		if (*s == '.') {
			if (run == 0)
				return 0;
			dots++, run = 0;
		} else if (islower((unsigned char)*s) ||
			   isdigit((unsigned char)*s) || *s == '_') {
			run++;
		} else {
			return 0;
		}
	}
	return dots > 0 && run > 0;
}

/*
 * Report every key-shaped string literal among the direct arguments of a
 * settings call in text (comments already blanked); returns how many.
 * Other literals (an actor "cli", a "mapping:..." history key) pass.
 */
static size_t
scan_text(const char *text, const char *shown, void *ctx)
{
	const char *p = text, *name;
	char lit[256];
	size_t found = 0, n;
	int depth;

	(void)ctx;
	while (*p != '\0') {
		if (*p == '\'' || *p == '"') { /* skip literals outside calls */
			char q = *p++;
			while (*p != '\0' && *p != q && *p != '\n')
				p += p[0] == '\\' && p[1] != '\0' ? 2 : 1;
			if (*p == q)
				p++;
			continue;
		}
		if (!is_ident((unsigned char)*p) ||
		    (p > text && is_ident((unsigned char)p[-1]))) {
			p++;
			continue;
		}
		name = p;
		while (is_ident((unsigned char)*p))
			p++;
		n = (size_t)(p - name);
		if (!is_callee(name, n))
			continue;
		while (isspace((unsigned char)*p))
			p++;
		if (*p != '(')
			continue;
		for (depth = 0; *p != '\0';) {
			if (*p == '"') {
				const char *at = p;
				p = read_literal(lit, sizeof(lit), p);
				if (depth != 1 || !key_shaped(lit))
					continue;
				fprintf(stderr,
					"%s:%zu: %.*s is given \"%s\": %s\n",
					shown, line_of(text, at), (int)n, name,
					lit,
					ps_settings_find(lit)
						? "use its PS_SET_ name"
						: "not in the settings "
						  "catalogue");
				found++;
				continue;
			}
			if (*p == '\'') {
				p++;
				while (*p != '\0' && *p != '\'')
					p += p[0] == '\\' && p[1] ? 2 : 1;
				if (*p != '\0')
					p++;
				continue;
			}
			if (*p == '(')
				depth++;
			else if (*p == ')' && --depth == 0) {
				p++;
				break;
			}
			p++;
		}
	}
	return found;
}

/* The scanner itself: what it must and must not report. */
static void
test_scanner_finds_literal_keys(void **state)
{
	char text[] =
		"x = ps_settings_get(&v, st, \"orders.enabled\");\n"
		"/* ps_settings_get(&v, st, \"in.a.comment\") */\n"
		"y = ps_settings_get_int(&n, st, PS_SET_SYNC_MAX_ATTEMPTS);\n"
		"z = setting_opt(&v, st,\n"
		"\t\"bigcommerce.\" \"orders.enabled\");\n"
		"ps_error_set(PS_EINVAL, \"setting '%s' bad\", key);\n"
		"ps_store_setting_set(NULL, st, k, f(\"x\"), \"cli\", 0);\n"
		"ps_store_setting_history_foreach(st, \"nope.key\", cb, 0);\n";

	(void)state;
	source_strip_comments(text);
	/* the unknown old key, the known key as a literal (joined from
	 * two) and the unknown "nope.key"; not the comment, not the name,
	 * not the actor "cli", not "x" inside a nested call, not the
	 * message given to ps_error_set */
	assert_int_equal(scan_text(text, "sample.c", NULL), 3);
}

static void
test_no_literal_keys_in_core_or_console(void **state)
{
	const char *top = getenv("PS_SOURCE_DIR");
	size_t found = 0, files = 0;
	int ok = 1;

	(void)state;
	if (top == NULL)
		top = ".";
	found += source_scan_tree(top, "core", 1, scan_text, NULL, &files, &ok);
	found += source_scan_tree(top, "tui", 1, scan_text, NULL, &files, &ok);
	assert_true(ok);
	assert_true(files > 50); /* the trees were really read */
	if (found > 0)
		fail_msg("%zu string literals given as setting keys", found);
}

struct row {
	const char *name_value; /* what the PS_SET_ constant holds */
	const char *key;        /* the key written in the row */
	const char *group;      /* the .def it came from */
};

/* clang-format off */
#define ROW(name, key) {name, key, def},
#define PS_SETTING_ROW(name, key, type, d, desc) ROW(name, key)
#define PS_SETTING_ROW_REQ(name, key, type, d, desc) ROW(name, key)
#define PS_SETTING_ROW_ENUM(name, key, ch, d, desc) ROW(name, key)
#define PS_SETTING_ROW_INT(name, key, d, lo, hi, desc) ROW(name, key)
/* clang-format on */

static void
test_names_match_the_catalogue(void **state)
{
	/* the same files, in the same order, as setting_keys.h */
	struct row rows[] = {
#define def "brightpearl"
#include "platforms/brightpearl/settings.def"
#undef def
#define def "bigcommerce"
#include "platforms/bigcommerce/settings.def"
#undef def
#define def "dsco"
#include "platforms/dsco/settings.def"
#undef def
#define def "shiphero"
#include "platforms/shiphero/settings.def"
#undef def
#define def "pair"
#include "flows/bigcommerce/settings.def"
#undef def
#define def "general"
#include "settings.def"
#undef def
#define def "report"
#include "report/settings.def"
#undef def
	};
	size_t n = sizeof(rows) / sizeof(rows[0]), i, j;
	const char *old;

	(void)state;
	assert_int_equal(n, ps_settings_count());
	for (i = 0; i < n; i++) {
		assert_string_equal(rows[i].name_value, rows[i].key);
		assert_non_null(ps_settings_find(rows[i].key));
		/* the catalogue walks the rows in the same order */
		assert_string_equal(ps_settings_at(i)->key, rows[i].key);
		for (j = i + 1; j < n; j++)
			assert_string_not_equal(rows[i].key, rows[j].key);
		if (strcmp(rows[i].group, "pair") != 0) {
			assert_null(ps_settings_renamed(rows[i].key));
			continue;
		}
		/* the pair's keys: under "bigcommerce.", old name kept;
		 * the refunds' came after the move and never had one */
		assert_int_equal(strncmp(rows[i].key, "bigcommerce.", 12), 0);
		old = rows[i].key + 12;
		if (strncmp(old, "refunds.", 8) == 0) {
			assert_null(ps_settings_renamed(old));
			continue;
		}
		assert_null(ps_settings_find(old));
		/* keys added after schema version 9 never had an old name */
		if (strncmp(old, "catalog.", 8) == 0) {
			assert_null(ps_settings_renamed(old));
			continue;
		}
		assert_non_null(ps_settings_renamed(old));
		assert_string_equal(ps_settings_renamed(old), rows[i].key);
	}
	assert_null(ps_settings_renamed("sync.max_attempts"));
	assert_null(ps_settings_renamed(NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scanner_finds_literal_keys),
		cmocka_unit_test(test_no_literal_keys_in_core_or_console),
		cmocka_unit_test(test_names_match_the_catalogue),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
