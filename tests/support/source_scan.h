/*
 * source_scan.h - reading the project's own C sources, for the tests that
 * check the code itself (no platform named outside the registry, no
 * setting key as a bare string).
 *
 * A scan hands each .c and .h file to a callback as text with its
 * comments blanked out (newlines and string literals kept, so line
 * numbers and strings stay as written), with the file's path relative to
 * the top of the tree for messages.
 */
#ifndef PEARLSYNC_TEST_SOURCE_SCAN_H
#define PEARLSYNC_TEST_SOURCE_SCAN_H

#include <stddef.h>

/*
 * The callback: look at text (comments blanked) of the file shown as
 * `shown`; return how many findings it reported.
 */
typedef size_t (*source_scan_fn)(const char *text, const char *shown,
				 void *ctx);

/* source_strip_comments - blank C and C++ comments out of t in place. */
void source_strip_comments(char *t);

/* source_read - the whole file, NUL-terminated (malloc), or NULL. */
char *source_read(const char *path);

/*
 * source_scan_file - fn on top/rel.  *ok is cleared (it is never set)
 * when the file cannot be read.  Returns fn's findings.
 */
size_t source_scan_file(const char *top, const char *rel, source_scan_fn fn,
			void *ctx, int *ok);

/*
 * source_scan_tree - fn on every .c and .h under top/rel (below it too
 * when recursive); *files (may be NULL) counts the files read, *ok is
 * cleared when a directory or file cannot be read.
 */
size_t source_scan_tree(const char *top, const char *rel, int recursive,
			source_scan_fn fn, void *ctx, size_t *files, int *ok);

#endif
