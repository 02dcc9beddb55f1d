/*
 * report_int.h - declarations shared by the files of core/report/ only.
 */
#ifndef PEARLSYNC_REPORT_INT_H
#define PEARLSYNC_REPORT_INT_H

#include <stddef.h>

#include "pearlsync/flow.h"

/* A growing text buffer capped at PS_REPORT_MAX_BYTES; the first error
 * sticks (later appends do nothing), so callers check it once. */
typedef struct ps_report__buf {
	char *data; /* owned, NUL-terminated when len > 0 */
	size_t len, cap;
	int error; /* 0, or the first PS_E* code */
} ps_report__buf;

/* Append n bytes of s / a formatted line (cut at 1023 bytes). */
int ps_report__add(ps_report__buf *b, const char *s, size_t n);
int ps_report__addf(ps_report__buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * ps_report__wrap - text as lines of at most 78 columns (UTF-8 characters)
 * ending in CRLF: the first led by first, the rest by indent; broken at
 * spaces, a word longer than the line cut at a character boundary.
 */
int ps_report__wrap(ps_report__buf *b, const char *first, const char *indent,
		    const char *text);

/* Nonzero when flow f runs between a and z (either direction). */
int ps_report__pair_of(const ps_flow_ops *f, ps_platform a, ps_platform z);

/* The site name the subject shows (site, or the host name), escaped. */
int ps_report__site_name(char *buf, size_t cap, const char *site);

#endif
