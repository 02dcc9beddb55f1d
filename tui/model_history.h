/*
 * model_history.h - the settings history as lines to show: one heading
 * per change-set (version, time, actor) followed by one line per change,
 * "key: old -> new", secrets masked, mappings by their editor's title and
 * value names, newest first.  No curses: unit tested.
 */
#ifndef PEARLSYNC_MODEL_HISTORY_H
#define PEARLSYNC_MODEL_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include "pearlsync/store.h"

typedef struct ps_history_line {
	int64_t version; /* the change-set this line belongs to */
	int heading;     /* nonzero: the change-set's heading line */
	char *text;      /* owned */
} ps_history_line;

typedef struct ps_history {
	ps_history_line *lines; /* owned, n of them */
	size_t n, cap;
	int64_t latest; /* newest version, 0 = no history */
	size_t versions;
} ps_history;

/* ps_history_init - empty.  ps_history_dispose frees (accepts NULL). */
void ps_history_init(ps_history *h);
void ps_history_dispose(ps_history *h);

/* ps_history_load - (re)read every change from st.  0 or PS_E*. */
int ps_history_load(ps_history *h, ps_store *st);

/*
 * ps_history_rollback - restore settings and mappings to their state as of
 * version (recorded as a new change-set by actor "console");
 * *out_version gets the new version, 0 when nothing differed.  Reloads h.
 */
int ps_history_rollback(int64_t *out_version, ps_history *h, ps_store *st,
			int64_t version, int64_t now);

/*
 * ps_history_rollback_preview - what ps_history_rollback to version would
 * change, one line per setting or mapping, "label: now -> as of version"
 * (secrets masked, mappings by their labels as in the history), into *out
 * (owned, *out_n lines; free with ps_history_lines_free).  NULL and 0 when the
 * settings are already as of version.  Read from the history, which
 * records every change.  0, PS_ENOMEM or the store's PS_E*.
 */
int ps_history_rollback_preview(ps_history_line **out, size_t *out_n,
				ps_store *st, int64_t version);

/* ps_history_lines_free - free n lines and the array; accepts NULL. */
void ps_history_lines_free(ps_history_line *lines, size_t n);

#endif
