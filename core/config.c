/*
 * config.c - machine settings from a libconfig file.
 *
 * The file's shape is fixed by one table (config_keys): a key's group, its
 * name, its type and where it lands in ps_config.  The loader walks the
 * parsed tree rather than looking keys up, so that anything the table does
 * not know is reported with its line: a misspelt key silently ignored would
 * leave the machine on a default the operator thinks they changed.
 *
 * libconfig's own errors (syntax, duplicate keys) carry a line number; they
 * are mapped here, once, to PS_ECONFIG with "FILE:LINE: message".
 */
#include "pearlsync/config.h"
#include "pearlsync/platform.h"
#include "internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libconfig.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum key_kind {
	KEY_PATH,      /* string into a PS_CONFIG_PATH_MAX field */
	KEY_ADDRESS,   /* numeric IPv4/IPv6 address */
	KEY_LOG_LEVEL, /* error|warn|info|debug */
	KEY_PORT,      /* integer 1..65535 */
	KEY_TIMEOUT,   /* integer milliseconds, 1..24h */
	KEY_URL,       /* http:// or https:// URL into base_url[platform] */
};

struct config_key {
	const char *group; /* NULL: top level */
	const char *name;
	enum key_kind kind;
	size_t offset;        /* into ps_config; for KEY_URL unused */
	ps_platform platform; /* KEY_URL only */
};

#define FIELD(f) offsetof(ps_config, f)

static const struct config_key config_keys[] = {
	{NULL, "database", KEY_PATH, FIELD(db_path), 0},
	{NULL, "log_level", KEY_LOG_LEVEL, FIELD(log_level), 0},
	{"listener", "address", KEY_ADDRESS, FIELD(listen_address), 0},
	{"listener", "port", KEY_PORT, FIELD(listen_port), 0},
	{"http", "connect_timeout_ms", KEY_TIMEOUT, FIELD(connect_timeout_ms),
	 0},
	{"http", "timeout_ms", KEY_TIMEOUT, FIELD(total_timeout_ms), 0},
	{"http", "ca_file", KEY_PATH, FIELD(ca_file), 0},
};

/* base_urls.<name>: one key per registered platform (platform.h). */
#define URL_GROUP "base_urls"

/* The longest timeout accepted: a day, well past any sane HTTP call. */
#define MAX_TIMEOUT_MS (24L * 3600L * 1000L)

/*
 * The default database for a user who is not root: the XDG data directory,
 * which needs no privileges and survives reboots (unlike /tmp).
 */
void
ps_config_default_db_path(char *buf, size_t cap, int for_root)
{
	const char *xdg, *home;

	if (for_root) {
		ps_util__strlcpy(buf, PS_CONFIG_DEFAULT_DB_SYSTEM, cap);
		return;
	}
	xdg = getenv("XDG_DATA_HOME");
	home = getenv("HOME");
	/* XDG says a relative XDG_DATA_HOME is invalid and must be ignored */
	if (xdg != NULL && xdg[0] == '/' &&
	    (size_t)snprintf(buf, cap, "%s/pearlsync/pearlsync.db", xdg) < cap)
		return;
	if (home != NULL && home[0] == '/' &&
	    (size_t)snprintf(buf, cap, "%s/.local/share/pearlsync/pearlsync.db",
			     home) < cap)
		return;
	ps_util__strlcpy(buf, "pearlsync.db", cap);
}

void
ps_config_init(ps_config *cfg)
{
	const ps_platform_ops *const *p;

	memset(cfg, 0, sizeof(*cfg));
	ps_config_default_db_path(cfg->db_path, sizeof(cfg->db_path),
				  geteuid() == 0);
	cfg->log_level = PS_LOG_INFO;
	ps_util__strlcpy(cfg->listen_address, PS_CONFIG_DEFAULT_LISTEN_ADDRESS,
			 sizeof(cfg->listen_address));
	cfg->listen_port = PS_CONFIG_DEFAULT_LISTEN_PORT;
	cfg->connect_timeout_ms = PS_CONFIG_DEFAULT_CONNECT_TIMEOUT_MS;
	cfg->total_timeout_ms = PS_CONFIG_DEFAULT_TOTAL_TIMEOUT_MS;
	for (p = ps_platforms_all(); *p != NULL; p++)
		if ((*p)->default_base_url != NULL)
			ps_util__strlcpy(cfg->base_url[(*p)->id],
					 (*p)->default_base_url,
					 sizeof(cfg->base_url[0]));
}

/* Record "FILE:LINE: message" for setting s. */
static int setting_error(const config_setting_t *s, const char *path,
			 const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
setting_error(const config_setting_t *s, const char *path, const char *fmt, ...)
{
	char msg[512];
	const char *file = config_setting_source_file(s);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return ps_error_set(PS_ECONFIG, "%s:%u: %s", file ? file : path,
			    config_setting_source_line(s), msg);
}

static const char *
type_name(int type)
{
	switch (type) {
	case CONFIG_TYPE_GROUP:
		return "a group";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return "an integer";
	case CONFIG_TYPE_FLOAT:
		return "a number with a fraction";
	case CONFIG_TYPE_STRING:
		return "a string";
	case CONFIG_TYPE_BOOL:
		return "a boolean";
	case CONFIG_TYPE_ARRAY:
		return "an array";
	case CONFIG_TYPE_LIST:
		return "a list";
	default:
		return "an unknown type";
	}
}

static const struct config_key *
find_key(const char *group, const char *name, struct config_key *url)
{
	const ps_platform_ops *ops;
	size_t i;

	if (group != NULL && strcmp(group, URL_GROUP) == 0) {
		if ((ops = ps_platform_ops_named(name)) == NULL ||
		    strcmp(ops->name, name) != 0)
			return NULL;
		url->group = URL_GROUP;
		url->name = ops->name;
		url->kind = KEY_URL;
		url->offset = 0;
		url->platform = ops->id;
		return url;
	}
	for (i = 0; i < PS__ARRAY_LEN(config_keys); i++) {
		const struct config_key *k = &config_keys[i];

		if (strcmp(k->name, name) != 0)
			continue;
		if ((group == NULL) != (k->group == NULL))
			continue;
		if (group == NULL || strcmp(group, k->group) == 0)
			return k;
	}
	return NULL;
}

static int
is_group_name(const char *name)
{
	size_t i;

	if (strcmp(name, URL_GROUP) == 0)
		return 1;
	for (i = 0; i < PS__ARRAY_LEN(config_keys); i++)
		if (config_keys[i].group != NULL &&
		    strcmp(config_keys[i].group, name) == 0)
			return 1;
	return 0;
}

static int
want_type(const config_setting_t *s, const char *path, const char *key,
	  int want)
{
	int type = config_setting_type(s);

	if (type == want ||
	    (want == CONFIG_TYPE_INT && type == CONFIG_TYPE_INT64))
		return 0;
	return setting_error(s, path, "'%s' must be %s, not %s", key,
			     type_name(want), type_name(type));
}

/* Apply one known key's value from s to cfg, validating it. */
static int
apply_key(ps_config *cfg, const struct config_key *k, const config_setting_t *s,
	  const char *path, const char *key)
{
	char *base = (char *)cfg;
	const char *str = NULL;
	long long num = 0;
	int error;

	if (k->kind == KEY_PORT || k->kind == KEY_TIMEOUT) {
		if ((error = want_type(s, path, key, CONFIG_TYPE_INT)) < 0)
			return error;
		num = config_setting_get_int64(s);
	} else {
		if ((error = want_type(s, path, key, CONFIG_TYPE_STRING)) < 0)
			return error;
		str = config_setting_get_string(s);
	}

	switch (k->kind) {
	case KEY_PATH:
		if (str[0] == '\0' && k->offset == FIELD(db_path))
			return setting_error(s, path, "'%s' must not be empty",
					     key);
		if (strlen(str) >= PS_CONFIG_PATH_MAX)
			return setting_error(s, path, "'%s' is too long", key);
		ps_util__strlcpy(base + k->offset, str, PS_CONFIG_PATH_MAX);
		return 0;
	case KEY_ADDRESS: {
		unsigned char buf[16];

		if (strlen(str) >= PS_CONFIG_ADDRESS_MAX ||
		    (inet_pton(AF_INET, str, buf) != 1 &&
		     inet_pton(AF_INET6, str, buf) != 1))
			return setting_error(
				s, path,
				"'%s' must be a numeric IPv4 or IPv6 address, "
				"not '%s'",
				key, str);
		ps_util__strlcpy(base + k->offset, str, PS_CONFIG_ADDRESS_MAX);
		return 0;
	}
	case KEY_LOG_LEVEL: {
		ps_log_level level;

		if (ps_log_level_parse(&level, str) < 0)
			return setting_error(s, path,
					     "'%s' must be one of error, warn, "
					     "info, debug, not '%s'",
					     key, str);
		cfg->log_level = level;
		return 0;
	}
	case KEY_PORT:
		if (num < 1 || num > 65535)
			return setting_error(s, path,
					     "'%s' must be 1..65535, not %lld",
					     key, num);
		cfg->listen_port = (int)num;
		return 0;
	case KEY_TIMEOUT:
		if (num < 1 || num > MAX_TIMEOUT_MS)
			return setting_error(
				s, path,
				"'%s' must be 1..%ld milliseconds, "
				"not %lld",
				key, MAX_TIMEOUT_MS, num);
		*(long *)(void *)(base + k->offset) = (long)num;
		return 0;
	case KEY_URL: {
		size_t len = strlen(str);

		if (strncmp(str, "http://", 7) != 0 &&
		    strncmp(str, "https://", 8) != 0)
			return setting_error(s, path,
					     "'%s' must start with http:// or "
					     "https://, not '%s'",
					     key, str);
		if (len >= PS_CONFIG_URL_MAX)
			return setting_error(s, path, "'%s' is too long", key);
		/* connectors append "/path": keep one slash between */
		while (len > 0 && str[len - 1] == '/')
			len--;
		memcpy(cfg->base_url[k->platform], str, len);
		cfg->base_url[k->platform][len] = '\0';
		return 0;
	}
	}
	return setting_error(s, path, "internal: unhandled key '%s'", key);
}

/* Walk one level of the tree; group is NULL at the top. */
static int
walk(ps_config *cfg, const config_setting_t *parent, const char *group,
     const char *path)
{
	int i, n = config_setting_length(parent), error;

	for (i = 0; i < n; i++) {
		const config_setting_t *s =
			config_setting_get_elem(parent, (unsigned)i);
		const char *name = config_setting_name(s);
		const struct config_key *k;
		struct config_key url;
		char key[128];

		if (name == NULL)
			continue;
		snprintf(key, sizeof(key), "%s%s%s", group ? group : "",
			 group ? "." : "", name);
		if (group == NULL && is_group_name(name)) {
			if ((error = want_type(s, path, key,
					       CONFIG_TYPE_GROUP)) < 0)
				return error;
			if ((error = walk(cfg, s, name, path)) < 0)
				return error;
			continue;
		}
		k = find_key(group, name, &url);
		if (k == NULL)
			return setting_error(s, path, "unknown key '%s'", key);
		if ((error = apply_key(cfg, k, s, path, key)) < 0)
			return error;
	}
	return 0;
}

int
ps_config_load_file(ps_config *cfg, const char *path)
{
	config_t lc;
	ps_config next;
	FILE *f;
	int error = 0;

	/*
	 * Open it ourselves first: libconfig reports a missing file as a
	 * parse error at line 0, which would read as a syntax problem.
	 */
	f = fopen(path, "r");
	if (f == NULL)
		return ps_error_set(PS_ECONFIG, "%s: cannot read: %s", path,
				    strerror(errno));
	fclose(f);

	next = *cfg;
	config_init(&lc);
	if (config_read_file(&lc, path) != CONFIG_TRUE) {
		const char *file = config_error_file(&lc);

		error = ps_error_set(PS_ECONFIG, "%s:%d: %s",
				     file ? file : path, config_error_line(&lc),
				     config_error_text(&lc));
		goto done;
	}
	if ((error = walk(&next, config_root_setting(&lc), NULL, path)) < 0)
		goto done;
	ps_util__strlcpy(next.source, path, sizeof(next.source));
	*cfg = next;
done:
	config_destroy(&lc);
	return error;
}

int
ps_config_resolve(ps_config *cfg, const char *explicit_path,
		  const char *env_path, const char *system_path)
{
	struct stat st;

	ps_config_init(cfg);
	if (explicit_path != NULL && explicit_path[0] != '\0')
		return ps_config_load_file(cfg, explicit_path);
	if (env_path != NULL && env_path[0] != '\0')
		return ps_config_load_file(cfg, env_path);
	if (system_path != NULL && stat(system_path, &st) == 0)
		return ps_config_load_file(cfg, system_path);
	return 0;
}

int
ps_config_load(ps_config *cfg, const char *explicit_path)
{
	return ps_config_resolve(cfg, explicit_path, getenv(PS_CONFIG_ENV),
				 PS_CONFIG_SYSTEM_PATH);
}

const char *
ps_config_base_url(const ps_config *cfg, ps_platform p)
{
	if ((int)p < 0 || p >= PS_PLATFORM_MAX || ps_platform_ops_of(p) == NULL)
		return NULL;
	return cfg->base_url[p];
}
