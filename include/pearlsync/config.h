/*
 * config.h - the machine settings, read from a libconfig file.
 *
 * The config file holds only what belongs to the machine pearlsync runs on:
 * where the database is, the log level, the webhook listener's address and
 * port, HTTP timeouts, an optional CA bundle and each platform's base URL
 * (so pointing at the sandbox or at a real account is a one-line change).
 * Everything an operator edits lives in the database instead.
 *
 * Which file is read (the first that applies):
 *   1. the path given on the command line (--config FILE): must exist;
 *   2. $PEARLSYNC_CONFIG, when set and non-empty: must exist;
 *   3. /etc/pearlsync/pearlsync.conf, if it exists;
 *   4. none: the built-in defaults.
 * Keys the file leaves out keep their defaults.  An unknown key, a value of
 * the wrong type or out of range, or a syntax error is an error whose detail
 * reads "FILE:LINE: message".
 */
#ifndef PEARLSYNC_CONFIG_H
#define PEARLSYNC_CONFIG_H

#include "pearlsync/common.h"
#include "pearlsync/log.h"

/* The system-wide file consulted when neither --config nor the env is set. */
#define PS_CONFIG_SYSTEM_PATH "/etc/pearlsync/pearlsync.conf"
/* The environment variable naming a config file. */
#define PS_CONFIG_ENV "PEARLSYNC_CONFIG"

/* Database path used by root (a system service). */
#define PS_CONFIG_DEFAULT_DB_SYSTEM "/var/lib/pearlsync/pearlsync.db"

#define PS_CONFIG_DEFAULT_LISTEN_ADDRESS "127.0.0.1"
#define PS_CONFIG_DEFAULT_LISTEN_PORT 8470
#define PS_CONFIG_DEFAULT_CONNECT_TIMEOUT_MS 10000L
#define PS_CONFIG_DEFAULT_TOTAL_TIMEOUT_MS 60000L

#define PS_CONFIG_DEFAULT_URL_BRIGHTPEARL "https://use1.brightpearlconnect.com"
#define PS_CONFIG_DEFAULT_URL_BIGCOMMERCE "https://api.bigcommerce.com"
#define PS_CONFIG_DEFAULT_URL_DSCO "https://api.dsco.io/api/v3"
#define PS_CONFIG_DEFAULT_URL_SHIPHERO "https://public-api.shiphero.com"

/* Capacity of the path and URL fields, terminating NUL included. */
#define PS_CONFIG_PATH_MAX 1024
#define PS_CONFIG_URL_MAX 512
#define PS_CONFIG_ADDRESS_MAX 64

/*
 * The machine settings.  Plain storage, no heap: copy it, keep it on the
 * stack, no dispose needed.
 */
typedef struct ps_config {
	char db_path[PS_CONFIG_PATH_MAX];           /* SQLite database file */
	ps_log_level log_level;                     /* stderr log threshold */
	char listen_address[PS_CONFIG_ADDRESS_MAX]; /* webhook listener IP */
	int listen_port;                            /* 1..65535 */
	long connect_timeout_ms;                    /* per HTTP attempt, > 0 */
	long total_timeout_ms;                      /* per HTTP attempt, > 0 */
	char ca_file[PS_CONFIG_PATH_MAX];           /* "" = the system bundle */
	char base_url[PS_PLATFORM_MAX][PS_CONFIG_URL_MAX]; /* no trailing / */
	char source[PS_CONFIG_PATH_MAX]; /* file read, "" = defaults */
} ps_config;

/*
 * ps_config_init - fill cfg with the built-in defaults.  The default
 * database is PS_CONFIG_DEFAULT_DB_SYSTEM for root; for any other user it
 * is $XDG_DATA_HOME/pearlsync/pearlsync.db, else
 * $HOME/.local/share/pearlsync/pearlsync.db, else ./pearlsync.db, so that a
 * merchant trying pearlsync without root gets a working install.
 */
void ps_config_init(ps_config *cfg);

/*
 * ps_config_default_db_path - the default database path into out (cap
 * bytes) as ps_config_init chooses it, for root when for_root is nonzero
 * and from the environment (XDG_DATA_HOME, HOME) otherwise.
 */
void ps_config_default_db_path(char *out, size_t cap, int for_root);

/*
 * ps_config_load_file - read the libconfig file at path on top of what cfg
 * holds (call ps_config_init first).  Validates every key; on any error cfg
 * is left unchanged.  Returns 0, or PS_ECONFIG with the detail
 * "FILE:LINE: message" (or "FILE: message" when the file cannot be read).
 */
int ps_config_load_file(ps_config *cfg, const char *path);

/*
 * ps_config_resolve - the lookup: fill cfg with defaults, then read the
 * first of explicit_path, env_path (each ignored when NULL or empty; an
 * absent file named by either is an error) and system_path (read only if
 * it exists; may be NULL).  cfg->source names the file read.  Returns 0 or
 * PS_ECONFIG (detail as for ps_config_load_file).
 */
int ps_config_resolve(ps_config *cfg, const char *explicit_path,
		      const char *env_path, const char *system_path);

/*
 * ps_config_load - ps_config_resolve with $PEARLSYNC_CONFIG and
 * PS_CONFIG_SYSTEM_PATH: what the pearlsync command does.
 */
int ps_config_load(ps_config *cfg, const char *explicit_path);

/*
 * ps_config_base_url - the configured base URL for platform p (borrowed
 * from cfg), or NULL for a value outside the enum.
 */
const char *ps_config_base_url(const ps_config *cfg, ps_platform p);

#endif
