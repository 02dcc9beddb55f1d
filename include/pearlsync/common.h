/*
 * common.h - error codes, the thread-local last error and library init.
 *
 * Every fallible pearlsync function returns an int: 0 on success or a
 * negative PS_E* code below.  The code says what kind of failure it was (the
 * retry policy and the worker branch on it); the human sentence, written for
 * an operator, is kept per thread and read with ps_error_last().
 */
#ifndef PEARLSYNC_COMMON_H
#define PEARLSYNC_COMMON_H

#include <stdarg.h>
#include <stddef.h>

/*
 * The one list of error codes: name, value, short description.  Values are
 * part of the ABI and of stored log entries: never renumber, only append.
 */
#define PS_ERROR_CODES(X)                                                      \
	X(PS_OK, 0, "success")                                                 \
	X(PS_ERROR, -1, "generic error")                                       \
	X(PS_ENOMEM, -2, "out of memory")                                      \
	X(PS_EINVAL, -3, "invalid argument")                                   \
	X(PS_ENOTFOUND, -4, "not found")                                       \
	X(PS_EEXISTS, -5, "already exists")                                    \
	X(PS_EIO, -6, "input/output error")                                    \
	X(PS_ECONFIG, -7, "configuration error")                               \
	X(PS_ESTORE, -8, "database error")                                     \
	X(PS_EBUSY, -9, "database busy")                                       \
	X(PS_EPARSE, -10, "malformed data")                                    \
	X(PS_ETOOBIG, -11, "too large")                                        \
	X(PS_ENET, -12, "network error")                                       \
	X(PS_ETIMEOUT, -13, "timed out")                                       \
	X(PS_EAUTH, -14, "authentication failed")                              \
	X(PS_ERATELIMIT, -15, "rate limited")                                  \
	X(PS_EHTTP, -16, "unexpected HTTP status")                             \
	X(PS_EREMOTE, -17, "remote service error")                             \
	X(PS_EDATA, -18, "data rejected")                                      \
	X(PS_ESETTING, -19, "setting missing or invalid")                      \
	X(PS_EMAPPING, -20, "mapping missing")                                 \
	X(PS_ETLS, -21, "TLS error")                                           \
	X(PS_ESTOPPED, -22, "stopped")                                         \
	X(PS_EVERSION, -23, "unsupported version")                             \
	X(PS_EUSAGE, -24, "usage error")

enum ps_error_code {
#define PS__ERROR_ENUM(name, value, text) name = value,
	PS_ERROR_CODES(PS__ERROR_ENUM)
#undef PS__ERROR_ENUM
};

/* Longest detail message kept by ps_error_set(); longer ones are cut. */
#define PS_ERROR_MAX 1024

/*
 * ps_strerror - the short description of code (a static string), or
 * "unknown error" for a value not in the list.  Thread-safe.
 */
const char *ps_strerror(int code);

/*
 * ps_error_name - the symbolic name of code ("PS_ENOTFOUND"), static.
 */
const char *ps_error_name(int code);

/*
 * ps_error_set - record the detail of the failure being returned, printf
 * style, for this thread, and return code so callers can write
 * `return ps_error_set(PS_EINVAL, "...")`.  Registered secrets are redacted
 * from the stored text (see log.h).
 */
int ps_error_set(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int ps_error_vset(int code, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/*
 * ps_error_last - the detail of this thread's last error, or the code's
 * ps_strerror() text if no detail was set.  Borrowed; valid until this
 * thread's next ps_error_set()/ps_error_clear().  Never NULL.
 */
const char *ps_error_last(void);

/* ps_error_last_code - the code passed to the last ps_error_set(), or 0. */
int ps_error_last_code(void);

/* ps_error_clear - forget this thread's last error. */
void ps_error_clear(void);

/*
 * The platforms pearlsync talks to, by the id their plug-in has
 * (pearlsync/platform.h).  Values are stored in the database: append
 * only.  A plug-in that is not built in (a test's) takes an id below
 * PS_PLATFORM_MAX that no built-in one uses.
 */
typedef enum ps_platform {
	PS_PLATFORM_BRIGHTPEARL = 0,
	PS_PLATFORM_BIGCOMMERCE = 1,
	PS_PLATFORM_DSCO = 2,
	PS_PLATFORM_SHIPHERO = 3,
	PS_PLATFORM_COUNT /* the built-in ids */
} ps_platform;

/* Every platform id is below this. */
#define PS_PLATFORM_MAX 16

/*
 * ps_platform_name - the registered plug-in's name ("brightpearl",
 * "bigcommerce", ...); ps_platform_code - its short form on the command
 * line ("bp", "bc", ...); ps_platform_title - what operators read
 * ("Brightpearl").  Static strings; "?" for an id no plug-in has.
 */
const char *ps_platform_name(ps_platform p);
const char *ps_platform_code(ps_platform p);
const char *ps_platform_title(ps_platform p);

/*
 * ps_platform_parse - a registered plug-in's name or code (case-sensitive)
 * into *out.  Returns 0 or PS_EINVAL.
 */
int ps_platform_parse(ps_platform *out, const char *name);

/*
 * ps_lib_init - initialise global state of the libraries pearlsync uses
 * (libcurl, SQLite).  Call once from main() before any thread starts; safe to
 * call again.  ps_lib_shutdown releases it.
 */
int ps_lib_init(void);
void ps_lib_shutdown(void);

#endif
