/*
 * cmd_init.c - `pearlsync init`: create the database, or bring an existing
 * one up to this binary's schema.
 *
 * The database holds API tokens, so the file is 0600 (the store enforces
 * it) and a directory init has to create is 0700.  Existing directories are
 * left as they are: they may be shared, and changing them is the
 * administrator's call.
 */
#include "commands.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "pearlsync/config.h"
#include "pearlsync/store.h"

const char ps_cli_usage_init[] =
	"usage: pearlsync init\n"
	"\n"
	"Create the database named by the config file's 'database' key, or\n"
	"upgrade an existing one to this version's schema.  Running it again\n"
	"is harmless.  The file is created with mode 0600 (it holds API\n"
	"tokens); missing parent directories are created with mode 0700.\n"
	"\n"
	"Exit status: 0 done, 1 the database could not be created or\n"
	"upgraded, 2 bad usage or config file.\n"
	"\n"
	"Example:\n"
	"  pearlsync --config /etc/pearlsync/pearlsync.conf init\n";

/* mkdir -p of the directory part of path, new directories 0700. */
static int
make_parent_dirs(const char *path)
{
	char dir[PS_CONFIG_PATH_MAX];
	char *p;
	size_t n = strlen(path);

	if (n >= sizeof(dir))
		return ps_error_set(PS_EINVAL, "path too long");
	memcpy(dir, path, n + 1);
	p = strrchr(dir, '/');
	if (p == NULL || p == dir)
		return 0;
	*p = '\0';
	for (p = dir + 1;; p++) {
		char c = *p;

		if (c != '/' && c != '\0')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			return ps_error_set(PS_EIO, "cannot create %s: %s", dir,
					    strerror(errno));
		*p = c;
		if (c == '\0')
			break;
	}
	return 0;
}

int
ps_cli_cmd_init(const ps_cli_global *g, int argc, char **argv)
{
	ps_config cfg;
	ps_store *st = NULL;
	struct stat sb;
	int status, existed, version = 0, error;

	(void)argv;
	if (argc > 1)
		return ps_cli_usage_error("init", "init takes no arguments");
	if ((status = ps_cli_load_config(&cfg, g)) != PS_EXIT_OK)
		return status;
	existed = stat(cfg.db_path, &sb) == 0;
	if (!existed && make_parent_dirs(cfg.db_path) < 0) {
		ps_cli_error("%s", ps_error_last());
		return PS_EXIT_FAIL;
	}
	if ((error = ps_store_open(&st, cfg.db_path, 0)) < 0 ||
	    (error = ps_store_schema_version(&version, st)) < 0) {
		ps_cli_error("%s: %s", cfg.db_path, ps_error_last());
		ps_store_close(st);
		return PS_EXIT_FAIL;
	}
	ps_store_close(st);
	printf("%s %s (schema version %d)\n",
	       existed ? "database ready:" : "created database", cfg.db_path,
	       version);
	return PS_EXIT_OK;
}
