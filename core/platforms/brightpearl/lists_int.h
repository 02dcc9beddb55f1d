/*
 * lists_int.h - the Brightpearl plug-in's pickers (lists.c), for its ops
 * table (plugin.c).
 */
#ifndef PEARLSYNC_BRIGHTPEARL_LISTS_INT_H
#define PEARLSYNC_BRIGHTPEARL_LISTS_INT_H

#include <stddef.h>
#include <stdint.h>

#include "pearlsync/platform.h"

/* How many lists: the ops table's nlists. */
#define PS_BP__NLISTS 9

extern const ps_platform_list ps_bp__lists[PS_BP__NLISTS];

/* The lists_fetch slot (platform.h); conn is a ps_bp. */
int ps_bp__lists_fetch(size_t *out_fetched, void *conn, ps_store *st,
		       int64_t now);

#endif
