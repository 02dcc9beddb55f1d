/*
 * log.h - leveled diagnostics on stderr, with secrets redacted.
 *
 * Lines look like
 *   2026-11-22T10:15:03Z info  worker: order 1042 synced as SO 3001
 * Every line (and every ps_error_set() detail) passes through the redactor
 * first: literal secrets registered with ps_log_add_secret() and the values
 * of credential-looking fields (Authorization, X-Auth-Token,
 * brightpearl-account-token, "token":, password=, ...) are replaced by "****".
 * The log level and sink are process-wide settings made at start-up.
 *
 * Under systemd, when stderr is the journal ($JOURNAL_STREAM names it),
 * each line starts with its syslog priority ("<3>" error, "<4>" warn,
 * "<6>" info, "<7>" debug; sd-daemon(3)), so journalctl -p filters.
 */
#ifndef PEARLSYNC_LOG_H
#define PEARLSYNC_LOG_H

#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>

typedef enum ps_log_level {
	PS_LOG_ERROR = 0,
	PS_LOG_WARN = 1,
	PS_LOG_INFO = 2,
	PS_LOG_DEBUG = 3,
} ps_log_level;

/*
 * ps_log_level_parse - "error", "warn", "info" or "debug" into *out.
 * Returns 0, or PS_EINVAL for anything else.
 */
int ps_log_level_parse(ps_log_level *out, const char *name);

/* ps_log_level_name - the name of level (static string). */
const char *ps_log_level_name(ps_log_level level);

/* ps_log_set_level - lines above level are dropped.  Default PS_LOG_INFO. */
void ps_log_set_level(ps_log_level level);
ps_log_level ps_log_get_level(void);

/*
 * ps_log_set_stream - where lines go (default stderr).  NULL restores
 * stderr.  The stream is borrowed; the caller keeps it open.
 */
void ps_log_set_stream(FILE *stream);

/*
 * ps_log_to_journal - 1 when stderr is the systemd journal's stream:
 * $JOURNAL_STREAM's "DEVICE:INODE" is stderr's (fstat).  Decided once, at
 * the first call; lines to stderr then carry priority prefixes.
 */
int ps_log_to_journal(void);

/*
 * ps_log - format and write one line at level, tagged with module
 * ("worker", "http", ...).  Thread-safe: lines are written whole.
 */
void ps_log(ps_log_level level, const char *module, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void ps_log_v(ps_log_level level, const char *module, const char *fmt,
	      va_list ap) __attribute__((format(printf, 3, 0)));

#define ps_log_error(mod, ...) ps_log(PS_LOG_ERROR, (mod), __VA_ARGS__)
#define ps_log_warn(mod, ...) ps_log(PS_LOG_WARN, (mod), __VA_ARGS__)
#define ps_log_info(mod, ...) ps_log(PS_LOG_INFO, (mod), __VA_ARGS__)
#define ps_log_debug(mod, ...) ps_log(PS_LOG_DEBUG, (mod), __VA_ARGS__)

/*
 * ps_log_add_secret - remember a literal secret (an API token, a password)
 * so that it is masked wherever it would be printed.  The text is copied.
 * Secrets shorter than 4 bytes are ignored (they would mask ordinary words).
 * Returns 0 or PS_ENOMEM.  Thread-safe.
 */
int ps_log_add_secret(const char *secret);

/* ps_log_clear_secrets - forget every registered secret (tests). */
void ps_log_clear_secrets(void);

/*
 * ps_redact - mask secrets in buf (NUL-terminated, capacity cap bytes) in
 * place.  The result is never longer than cap-1 bytes.  Used by the log and
 * by anything that stores text an operator will read (log entry reasons,
 * request dumps).
 */
void ps_redact(char *buf, size_t cap);

/*
 * ps_log_escape - src made safe for a terminal, into out (capacity cap
 * bytes, NUL-terminated when cap > 0): every control character a terminal
 * would act on is written visibly instead -- C0 bytes (ESC, BEL, CR, LF,
 * NUL...; tab is kept) and DEL as "\x1b", C1 controls encoded in UTF-8
 * (U+0080..U+009F) as "\u009b", and bytes that are not valid UTF-8 (a
 * lone 0x9b is CSI to an 8-bit terminal) as "\x9b".  Valid UTF-8 text
 * is copied as is.  A result that does not fit is cut before the escape
 * or character that would not fit, never inside one.  src NULL is "".
 * Returns out.  For human-readable output (the `logs` table, stderr log
 * lines); --json output escapes through its encoder instead.
 */
char *ps_log_escape(char *out, size_t cap, const char *src);

#endif
