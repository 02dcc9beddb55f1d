/*
 * lists_int.h - the BigCommerce plug-in's pickers (lists.c), for its ops
 * table (plugin.c).
 */
#ifndef PEARLSYNC_BIGCOMMERCE_LISTS_INT_H
#define PEARLSYNC_BIGCOMMERCE_LISTS_INT_H

#include <stddef.h>
#include <stdint.h>

#include "pearlsync/platform.h"

/* How many lists: the ops table's nlists. */
#define PS_BC__NLISTS 1

extern const ps_platform_list ps_bc__lists[PS_BC__NLISTS];

/* The lists_fetch slot (platform.h); conn is a ps_bc. */
int ps_bc__lists_fetch(size_t *out_fetched, void *conn, ps_store *st,
		       int64_t now);

#endif
