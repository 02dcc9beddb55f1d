/*
 * test_config.c - the machine config: file fixtures in, ps_config or a
 * "FILE:LINE: message" error out, and the lookup order.
 *
 * Fixtures live in tests/integration/fixtures/config/; the bad ones are one
 * table, each row naming the line the error must point at.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pearlsync/config.h"

static char fixture_dir[1024];

static const char *
fixture(const char *name)
{
	static char path[1200];

	snprintf(path, sizeof(path), "%s/%s", fixture_dir, name);
	return path;
}

static void
test_config__defaults(void **state)
{
	ps_config c;

	(void)state;
	ps_config_init(&c);
	assert_string_equal(c.listen_address, "127.0.0.1");
	assert_int_equal(c.listen_port, PS_CONFIG_DEFAULT_LISTEN_PORT);
	assert_int_equal(c.log_level, PS_LOG_INFO);
	assert_true(c.connect_timeout_ms > 0);
	assert_true(c.total_timeout_ms >= c.connect_timeout_ms);
	assert_string_equal(c.ca_file, "");
	assert_string_equal(c.source, "");
	assert_string_equal(ps_config_base_url(&c, PS_PLATFORM_BRIGHTPEARL),
			    "https://use1.brightpearlconnect.com");
	assert_string_equal(ps_config_base_url(&c, PS_PLATFORM_BIGCOMMERCE),
			    "https://api.bigcommerce.com");
	assert_string_equal(ps_config_base_url(&c, PS_PLATFORM_DSCO),
			    "https://api.dsco.io/api/v3");
	assert_string_equal(ps_config_base_url(&c, PS_PLATFORM_SHIPHERO),
			    "https://public-api.shiphero.com");
	assert_null(ps_config_base_url(&c, PS_PLATFORM_COUNT));
	assert_true(strlen(c.db_path) > 0);
	assert_non_null(strstr(c.db_path, "pearlsync.db"));
}

static void
test_config__default_db_follows_xdg_for_users(void **state)
{
	char *old_xdg = getenv("XDG_DATA_HOME"), *old_home = getenv("HOME");
	char xdg[1024] = "", home[1024] = "", buf[PS_CONFIG_PATH_MAX];

	(void)state;
	if (old_xdg != NULL)
		snprintf(xdg, sizeof(xdg), "%s", old_xdg);
	if (old_home != NULL)
		snprintf(home, sizeof(home), "%s", old_home);
	setenv("XDG_DATA_HOME", "/data/home", 1);
	setenv("HOME", "/home/merchant", 1);
	ps_config_default_db_path(buf, sizeof(buf), 0);
	assert_string_equal(buf, "/data/home/pearlsync/pearlsync.db");
	ps_config_default_db_path(buf, sizeof(buf), 1);
	assert_string_equal(buf, PS_CONFIG_DEFAULT_DB_SYSTEM);
	/* a relative XDG_DATA_HOME is ignored, as the spec says */
	setenv("XDG_DATA_HOME", "relative", 1);
	ps_config_default_db_path(buf, sizeof(buf), 0);
	assert_string_equal(
		buf, "/home/merchant/.local/share/pearlsync/pearlsync.db");
	unsetenv("XDG_DATA_HOME");
	unsetenv("HOME");
	ps_config_default_db_path(buf, sizeof(buf), 0);
	assert_string_equal(buf, "pearlsync.db");
	if (old_xdg != NULL)
		setenv("XDG_DATA_HOME", xdg, 1);
	if (old_home != NULL)
		setenv("HOME", home, 1);
}

static void
test_config__good_file_sets_every_key(void **state)
{
	ps_config c;

	(void)state;
	ps_config_init(&c);
	assert_int_equal(ps_config_load_file(&c, fixture("good.conf")), 0);
	assert_string_equal(c.db_path, "/srv/pearlsync/test.db");
	assert_int_equal(c.log_level, PS_LOG_DEBUG);
	assert_string_equal(c.listen_address, "0.0.0.0");
	assert_int_equal(c.listen_port, 9000);
	assert_int_equal(c.connect_timeout_ms, 2500);
	assert_int_equal(c.total_timeout_ms, 30000);
	assert_string_equal(c.ca_file, "/etc/ssl/certs/test-ca.pem");
	/* trailing slashes are dropped so connectors can append "/path" */
	assert_string_equal(c.base_url[PS_PLATFORM_BRIGHTPEARL],
			    "http://127.0.0.1:8480");
	assert_string_equal(c.base_url[PS_PLATFORM_BIGCOMMERCE],
			    "http://127.0.0.1:8480");
	assert_string_equal(c.base_url[PS_PLATFORM_DSCO],
			    "http://127.0.0.1:8480/api/v3");
	assert_string_equal(c.source, fixture("good.conf"));
}

static void
test_config__partial_and_empty_files_keep_defaults(void **state)
{
	ps_config c, d;

	(void)state;
	ps_config_init(&d);
	ps_config_init(&c);
	assert_int_equal(ps_config_load_file(&c, fixture("partial.conf")), 0);
	assert_string_equal(c.db_path, "partial.db");
	assert_int_equal(c.listen_port, d.listen_port);
	assert_string_equal(c.base_url[PS_PLATFORM_SHIPHERO],
			    d.base_url[PS_PLATFORM_SHIPHERO]);

	ps_config_init(&c);
	assert_int_equal(ps_config_load_file(&c, fixture("empty.conf")), 0);
	assert_string_equal(c.db_path, d.db_path);
	assert_int_equal(c.total_timeout_ms, d.total_timeout_ms);
}

/* One bad file: the error must name the file and line, and say why. */
struct bad_case {
	const char *file;
	int line;
	const char *says; /* a phrase the message must contain */
};

static const struct bad_case bad_cases[] = {
	{"syntax_error.conf", 5, "syntax error"},
	{"wrong_type.conf", 4, "'http.timeout_ms' must be an integer"},
	{"unknown_key.conf", 3, "unknown key 'databse_path'"},
	{"unknown_nested_key.conf", 3, "unknown key 'listener.adress'"},
	{"bad_port.conf", 2, "'listener.port' must be 1..65535"},
	{"bad_url.conf", 2, "must start with http:// or https://"},
	{"bad_level.conf", 1, "one of error, warn, info, debug"},
	{"group_as_scalar.conf", 1, "'http' must be a group"},
};

static void
test_config__bad_files_name_file_and_line(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *bc = &bad_cases[i];
		char want[1300];
		ps_config c, before;

		ps_config_init(&c);
		before = c;
		snprintf(want, sizeof(want), "%s:%d: ", fixture(bc->file),
			 bc->line);
		assert_int_equal(ps_config_load_file(&c, fixture(bc->file)),
				 PS_ECONFIG);
		if (strncmp(ps_error_last(), want, strlen(want)) != 0 ||
		    strstr(ps_error_last(), bc->says) == NULL)
			fail_msg("%s: got '%s', want prefix '%s' and '%s'",
				 bc->file, ps_error_last(), want, bc->says);
		/* a failed load leaves the config as it was */
		assert_memory_equal(&c, &before, sizeof(c));
	}
}

static void
test_config__missing_file_is_an_error(void **state)
{
	ps_config c;

	(void)state;
	ps_config_init(&c);
	assert_int_equal(ps_config_load_file(&c, fixture("no-such.conf")),
			 PS_ECONFIG);
	assert_non_null(strstr(ps_error_last(), "no-such.conf: cannot read"));
	/* named explicitly or by the env: missing is an error */
	assert_int_equal(
		ps_config_resolve(&c, fixture("no-such.conf"), NULL, NULL),
		PS_ECONFIG);
	assert_int_equal(
		ps_config_resolve(&c, NULL, fixture("no-such.conf"), NULL),
		PS_ECONFIG);
	/* the system file is optional: absent means defaults */
	assert_int_equal(
		ps_config_resolve(&c, NULL, NULL, fixture("no-such.conf")), 0);
	assert_string_equal(c.source, "");
}

static void
test_config__lookup_order(void **state)
{
	ps_config c;

	(void)state;
	assert_int_equal(ps_config_resolve(&c, fixture("explicit.conf"),
					   fixture("env.conf"),
					   fixture("system.conf")),
			 0);
	assert_string_equal(c.db_path, "from-explicit.db");
	assert_int_equal(ps_config_resolve(&c, NULL, fixture("env.conf"),
					   fixture("system.conf")),
			 0);
	assert_string_equal(c.db_path, "from-env.db");
	/* an empty env value counts as unset */
	assert_int_equal(
		ps_config_resolve(&c, NULL, "", fixture("system.conf")), 0);
	assert_string_equal(c.db_path, "from-system.db");
	assert_string_equal(c.source, fixture("system.conf"));
}

static void
test_config__env_var_is_read_by_load(void **state)
{
	ps_config c;

	(void)state;
	setenv(PS_CONFIG_ENV, fixture("env.conf"), 1);
	assert_int_equal(ps_config_load(&c, NULL), 0);
	assert_string_equal(c.db_path, "from-env.db");
	/* --config beats the environment */
	assert_int_equal(ps_config_load(&c, fixture("explicit.conf")), 0);
	assert_string_equal(c.db_path, "from-explicit.db");
	setenv(PS_CONFIG_ENV, fixture("syntax_error.conf"), 1);
	assert_int_equal(ps_config_load(&c, NULL), PS_ECONFIG);
	unsetenv(PS_CONFIG_ENV);
}

/*
 * The example file loads as shipped (everything commented out) and with
 * every documented key uncommented, and the values it shows are the
 * built-in defaults.
 */
static void
test_config__example_file_documents_the_defaults(void **state)
{
	char src[1200], tmp[] = "/tmp/ps-config-example-XXXXXX";
	char line[1024];
	const char *top = getenv("PS_SOURCE_DIR");
	FILE *in, *out;
	ps_config c, d;
	int fd, uncommented = 0;

	(void)state;
	snprintf(src, sizeof(src), "%s/config/pearlsync.conf.example",
		 top != NULL ? top : ".");
	ps_config_init(&d);
	ps_config_init(&c);
	assert_int_equal(ps_config_load_file(&c, src), 0);

	in = fopen(src, "r");
	assert_non_null(in);
	fd = mkstemp(tmp);
	assert_true(fd >= 0);
	out = fdopen(fd, "w");
	assert_non_null(out);
	while (fgets(line, sizeof(line), in) != NULL) {
		char *p = line;

		while (*p == ' ' || *p == '\t')
			p++;
		/* "#key = value;" is a documented key; "# text" is prose */
		if (p[0] == '#' && p[1] >= 'a' && p[1] <= 'z') {
			*p = ' ';
			uncommented++;
		}
		fputs(line, out);
	}
	fclose(in);
	fclose(out);
	assert_int_equal(ps_config_load_file(&c, tmp), 0);
	unlink(tmp);
	assert_int_equal(uncommented, 11);
	assert_string_equal(c.db_path, PS_CONFIG_DEFAULT_DB_SYSTEM);
	assert_string_equal(c.listen_address, d.listen_address);
	assert_int_equal(c.listen_port, d.listen_port);
	assert_int_equal(c.log_level, d.log_level);
	assert_int_equal(c.connect_timeout_ms, d.connect_timeout_ms);
	assert_int_equal(c.total_timeout_ms, d.total_timeout_ms);
	assert_string_equal(c.ca_file, d.ca_file);
	assert_memory_equal(c.base_url, d.base_url, sizeof(c.base_url));
}

int
main(void)
{
	const char *src = getenv("PS_SOURCE_DIR");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config__defaults),
		cmocka_unit_test(test_config__default_db_follows_xdg_for_users),
		cmocka_unit_test(test_config__good_file_sets_every_key),
		cmocka_unit_test(
			test_config__partial_and_empty_files_keep_defaults),
		cmocka_unit_test(test_config__bad_files_name_file_and_line),
		cmocka_unit_test(test_config__missing_file_is_an_error),
		cmocka_unit_test(test_config__lookup_order),
		cmocka_unit_test(test_config__env_var_is_read_by_load),
		cmocka_unit_test(
			test_config__example_file_documents_the_defaults),
	};

	snprintf(fixture_dir, sizeof(fixture_dir),
		 "%s/tests/integration/fixtures/config",
		 src != NULL ? src : ".");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
