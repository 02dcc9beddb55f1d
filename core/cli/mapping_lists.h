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

#endif
