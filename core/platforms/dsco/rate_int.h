/*
 * rate_int.h - how DSCO meters its API: the limiter's dialect, for the
 * plug-in table (plugin.c) and tests only.
 */
#ifndef PEARLSYNC_DSCO_RATE_INT_H
#define PEARLSYNC_DSCO_RATE_INT_H

#include "pearlsync/http.h"

extern const ps_http_dialect ps_dsco__rate_dialect;

#endif
