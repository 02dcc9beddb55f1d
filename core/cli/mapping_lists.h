/*
 * mapping_lists.h - checking mapping values against the platforms' lists
 * for `pearlsync mappings` (mapping_lists.c).
 *
 * A flow group's mapping table (pearlsync/setup.h) names the list its
 * sources and its targets come from ("bp.warehouses", "dsco.warehouses",
 * ...).  Before an import, the lists a file's rows need are fetched afresh
 * from each platform that is configured, so a DSCO warehouse code or a
 * Brightpearl id that does not exist now is refused.  A platform that is
 * switched off or not configured is checked against its cached copy, and
 * a list never fetched lets any value through (as in the console: setup
 * may happen offline).  A configured platform that cannot be reached
 * refuses the import, unless offline is asked for.
 *
 * Tables whose targets come from a list too long to fetch (a plug-in's
 * lookup_kind: products) have their targets looked up one by one
 * (ps_cli_maplists_target), so a SKU becomes the product id the order
 * imports read.
 */
#ifndef PEARLSYNC_CLI_MAPPING_LISTS_H
#define PEARLSYNC_CLI_MAPPING_LISTS_H

#include <stddef.h>

#include "cli.h"
#include "pearlsync/store.h"

typedef struct ps_cli_maplists ps_cli_maplists;

/* ps_cli_maplists_new - an empty checker over st (borrowed).  PS_ENOMEM. */
int ps_cli_maplists_new(ps_cli_maplists **out, ps_store *st);
void ps_cli_maplists_free(ps_cli_maplists *ml);

/*
 * ps_cli_maplists_need - note that a row of (kind, direction) is coming:
 * the lists it is checked against are fetched by _fetch.
 */
void ps_cli_maplists_need(ps_cli_maplists *ml, const char *kind,
			  const char *direction);

/*
 * ps_cli_maplists_fetch - fetch the noted lists from their platforms
 * (offline: none; the cached copies serve).  PS_E* with the platform and
 * reason when a configured platform's lists could not be fetched.
 */
int ps_cli_maplists_fetch(ps_cli_maplists *ml, const ps_cli_global *g,
			  int offline);

/*
 * ps_cli_maplists_check - whether source and target of a (kind,
 * direction) row are in their lists: 0, or PS_EINVAL with the reason
 * ("DSCO warehouse code 'XX' is not in DSCO's list (WH01, WH02)").
 */
int ps_cli_maplists_check(ps_cli_maplists *ml, const char *kind,
			  const char *direction, const char *source,
			  const char *target);

/*
 * ps_cli_maplists_target - the target to store for a row of (kind,
 * direction) into *out (caller frees): target itself, except in a
 * looked-up table, where it is the id of the item target names (a code
 * such as a SKU, or an id checked to exist: the plug-in's lookup_resolve),
 * and how (cap bytes) says what was found ("SKU 'X' is ... product 1008").
 * Offline, or with that platform not configured, only a numeric id is
 * taken, unchecked (how says so).  PS_ENOTFOUND / PS_EINVAL with the
 * candidates, or the lookup's error.
 */
int ps_cli_maplists_target(char **out, char *how, size_t cap,
			   ps_cli_maplists *ml, const ps_cli_global *g,
			   int offline, const char *kind, const char *direction,
			   const char *target);

/* ps_cli_maplists_is_lookup - whether (kind, direction)'s targets are
 * looked up one by one (products). */
int ps_cli_maplists_is_lookup(const char *kind, const char *direction);

#endif
