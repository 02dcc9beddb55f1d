/*
 * model_mapping.h - the mapping editors of the operator console, without
 * curses.
 *
 * One editor per (kind, direction) of value mapping: order statuses both
 * ways, shipping methods both ways, payment methods, warehouses, products,
 * channels.  The editor lists the rows (the default row first), adds,
 * edits and deletes them through the store's mapping setters (actor
 * "console", so the settings history records every change), and imports
 * and exports CSV in the same dialect as `pearlsync mappings`: a header
 * "kind,direction,source,target", RFC 4180 quoting, an empty source for
 * the default row.
 *
 * Where a side's values come from a platform list cached by the setup
 * model (model_setup.h), a value absent from that list is refused, and
 * rows whose values have since disappeared are flagged stale.  Tables
 * whose targets come from a list too long to cache (a plug-in's
 * lookup_kind: products) store the item's id, the value the flows read: a
 * code given instead (a SKU) is looked up through the plug-in and replaced
 * by its item's id, an id is checked to exist, and without a connection to
 * that platform only a numeric id is taken.
 */
#ifndef PEARLSYNC_TUI_MODEL_MAPPING_H
#define PEARLSYNC_TUI_MODEL_MAPPING_H

#include <stddef.h>
#include <stdint.h>

#include "pearlsync/platform.h"
#include "pearlsync/setup.h"
#include "pearlsync/store.h"

/* What a (kind, direction) maps between: a flow group's table
 * (pearlsync/setup.h).  Static. */
typedef ps_setup_mapping_kind ps_mapedit_kind;

/* ps_mapedit_kind_count / _at - every editor in menu order (static). */
size_t ps_mapedit_kind_count(void);
const ps_mapedit_kind *ps_mapedit_kind_at(size_t i);

/* ps_mapedit_kind_find - the editor of (kind, direction), or NULL. */
const ps_mapedit_kind *ps_mapedit_kind_find(const char *kind,
					    const char *direction);

/* One row as the editor shows it.  Strings owned by the editor. */
typedef struct ps_mapedit_row {
	char *source; /* "" for the default row */
	char *target;
	char *source_name; /* name from the cached list, or NULL */
	char *target_name;
	int stale; /* a value is missing from its cached list */
} ps_mapedit_row;

typedef struct ps_mapedit {
	ps_store *st;                /* borrowed */
	const ps_mapedit_kind *kind; /* static */
	ps_mapedit_row *rows;        /* owned; the default row first */
	size_t n;
	int has_default;
	/*
	 * For a table whose targets are looked up (ps_mapedit_kind_lookup):
	 * the plug-in's connection, borrowed, NULL when not connected (set
	 * by the caller after open).
	 */
	void *lookup_conn;
	/* What the last import refused: one line per problem, "row 3: ...";
	 * owned, replaced by each import. */
	char **problems;
	size_t nproblems;
	/* what the last set did to the target ("SKU 'X' is ..."), or "" */
	char note[256];
} ps_mapedit;

/*
 * ps_mapedit_kind_lookup - the plug-in whose lookup_kind kind's targets
 * come from (products: looked up live, never from a cached list), or NULL.
 * Static.
 */
const ps_platform_ops *ps_mapedit_kind_lookup(const ps_mapedit_kind *kind);

/*
 * ps_mapedit_open - an editor of kind over st (borrowed: it must outlive
 * the editor), loaded.  *ed is initialised by the call; ps_mapedit_close
 * frees it (and accepts one that failed to open).  PS_EINVAL, PS_ESTORE,
 * PS_ENOMEM.
 */
int ps_mapedit_open(ps_mapedit *ed, ps_store *st, const ps_mapedit_kind *kind);
void ps_mapedit_close(ps_mapedit *ed);

/* ps_mapedit_reload - read the rows again (after changes elsewhere). */
int ps_mapedit_reload(ps_mapedit *ed);

/*
 * ps_mapedit_set - add or replace the row for source ("" or NULL: the
 * default row) with target, then reload.  PS_EINVAL with an operator
 * message when target is empty or a value is not in its cached list
 * ("Brightpearl status 99 no longer exists (refresh the lists with r)").
 * A looked-up table stores the id a code (SKU) target resolves to
 * (ed->note says so); PS_ENOTFOUND / PS_EINVAL name the candidates when it
 * resolves to none or several, and request errors pass through.
 */
int ps_mapedit_set(ps_mapedit *ed, const char *source, const char *target,
		   int64_t now);

/*
 * ps_mapedit_edit - change row i to (source, target); a changed source
 * removes the old row in the same change-set.  Checks as for set.
 * PS_EINVAL for i out of range.
 */
int ps_mapedit_edit(ps_mapedit *ed, size_t i, const char *source,
		    const char *target, int64_t now);

/* ps_mapedit_remove - delete row i, then reload.  PS_EINVAL out of range. */
int ps_mapedit_remove(ps_mapedit *ed, size_t i, int64_t now);

/*
 * ps_mapedit_export - the rows as CSV text (header first) into *out
 * (caller frees), *out_len its length.
 */
int ps_mapedit_export(char **out, size_t *out_len, const ps_mapedit *ed);

/*
 * ps_mapedit_export_file - the CSV written to path (created 0644 or
 * truncated).  PS_EIO with the path and reason.
 */
int ps_mapedit_export_file(const ps_mapedit *ed, const char *path);

/* ps_mapedit_import flags */
#define PS_MAPEDIT_REPLACE 0x1u /* drop this editor's rows first */

/*
 * ps_mapedit_import - apply CSV text (len bytes) as one change-set, all
 * or nothing.  The header must be kind,direction,source,target; every row
 * must be of this editor's kind and direction and pass the checks of
 * ps_mapedit_set.  On refusal PS_EINVAL names the row as a spreadsheet
 * numbers it (header = 1) and nothing is written.  *out_n (may be NULL)
 * receives the number of rows read.  Reloads on success.  Every row is
 * checked even after a bad one: ed->problems then lists each bad row
 * ("row 4: ...") and the error's message is the first of them followed by
 * "(and N more)".  Looked-up targets are resolved as by ps_mapedit_set.
 */
int ps_mapedit_import(size_t *out_n, ps_mapedit *ed, const char *text,
		      size_t len, unsigned flags, int64_t now);

/* ps_mapedit_import_file - the same from a file (at most 16 MiB). */
int ps_mapedit_import_file(size_t *out_n, ps_mapedit *ed, const char *path,
			   unsigned flags, int64_t now);

/*
 * ps_mapedit_check - for the setup steps: the number of rows of kind
 * (default included) into *out_rows, *out_default 1 when a default row
 * exists (either may be NULL), and the first stale value's message into
 * why (cap bytes, "" when none).  Returns 0 or a negative PS_E*.
 */
int ps_mapedit_check(size_t *out_rows, int *out_default, char *why, size_t cap,
		     ps_store *st, const ps_mapedit_kind *kind);

#endif
