/*
 * rate_int.h - how BigCommerce meters its API: the limiter's dialect,
 * for the plug-in table (plugin.c) only.
 */
#ifndef PEARLSYNC_BC_RATE_INT_H
#define PEARLSYNC_BC_RATE_INT_H

#include "pearlsync/http.h"

extern const ps_http_dialect ps_bc__rate_dialect;

#endif
