/*
 * lists_int.h - the DSCO plug-in's pickers (lists.c), for its ops table
 * (plugin.c).
 */
#ifndef PEARLSYNC_DSCO_LISTS_INT_H
#define PEARLSYNC_DSCO_LISTS_INT_H

#include <stddef.h>
#include <stdint.h>

#include "pearlsync/platform.h"

/* How many lists: the ops table's nlists. */
#define PS_DSCO__NLISTS 3

extern const ps_platform_list ps_dsco__lists[PS_DSCO__NLISTS];

/* The lists_fetch slot (platform.h); conn is a ps_dsco. */
int ps_dsco__lists_fetch(size_t *out_fetched, void *conn, ps_store *st,
			 int64_t now);

#endif
