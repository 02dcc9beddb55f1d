/*
 * internal.h - declarations shared between core/ files and nowhere else.
 *
 * Names here are ps_<module>__<name>.  tui/ and tests outside tests/unit
 * must not include this file.
 */
#ifndef PEARLSYNC_INTERNAL_H
#define PEARLSYNC_INTERNAL_H

#include "pearlsync/common.h"
#include "pearlsync/log.h"

#include <stdint.h>

#define PS__ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ps_util__strdup - strdup that maps failure to NULL (callers: PS_ENOMEM). */
char *ps_util__strdup(const char *s);

/*
 * ps_util__strlcpy - copy at most cap-1 bytes of src into dst and terminate.
 * Returns strlen(src), so a result >= cap means the copy was cut.
 */
size_t ps_util__strlcpy(char *dst, const char *src, size_t cap);

/*
 * ps_util__error_wrap - set the last error to "<prefix>: <the last error's
 * detail>", prefix printf-formatted, and return code (the caller keeps the
 * inner code or picks another).  For callers that add what they were doing
 * to a failure from below.
 */
int ps_util__error_wrap(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- crypto.c: what checking a webhook signature needs ---- */

/* SHA-256 and HMAC-SHA256 (out: 32 bytes). */
void ps_crypto__sha256(unsigned char out[32], const void *data, size_t len);
void ps_crypto__hmac_sha256(unsigned char out[32], const void *key,
			    size_t key_len, const void *const *parts,
			    const size_t *lens, size_t nparts);

/*
 * ps_crypto__base64_encode - standard base64 with padding of n bytes into
 * out (cap bytes, NUL-terminated).  Returns the length or -1 if it does
 * not fit.
 */
int ps_crypto__base64_encode(char *out, size_t cap, const unsigned char *in,
			     size_t n);

/* ps_crypto__secure_equal - 1 if a and b are equal, constant time in the
 * length of b. */
int ps_crypto__secure_equal(const char *a, size_t alen, const char *b,
			    size_t blen);

/*
 * ps_util__days_from_civil - days since 1970-01-01 of the proleptic
 * Gregorian date y-m-d (m 1-12, d 1-31; not range-checked), negative
 * before 1970.  In core/date.c.
 */
int64_t ps_util__days_from_civil(int64_t y, int m, int d);

/* ---- setting_check.c: the platforms' cached lists, for alerts.c ---- */

struct json_t;
struct ps_platform_ops;
struct ps_store;

/* The platform serving list kind (NULL: none) and the list's label. */
const struct ps_platform_ops *ps_setting_check__owner(const char **label,
						      const char *kind);

/*
 * The cached list kind as a JSON array (new reference) and when it was
 * fetched; *out NULL when never fetched or damaged.  A store failure is
 * returned as its negative code.
 */
int ps_setting_check__cached(struct json_t **out, int64_t *at,
			     struct ps_store *st, const char *kind);

/*
 * Whether item (n bytes) is an id (by_name: a name) of arr's entries;
 * either: an id or a name.
 */
int ps_setting_check__has(const struct json_t *arr, const char *item, size_t n,
			  int by_name, int either);

#endif
