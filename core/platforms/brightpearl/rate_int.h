/*
 * rate_int.h - how Brightpearl meters its API: the limiter's dialect,
 * for the plug-in table (plugin.c) only.
 */
#ifndef PEARLSYNC_BP_RATE_INT_H
#define PEARLSYNC_BP_RATE_INT_H

#include "pearlsync/http.h"

extern const ps_http_dialect ps_bp__rate_dialect;

/* ps_bp__is_refusal - 1 when 5xx reply r is Brightpearl refusing the
 * request (a recorded client-mistake code), not failing. */
int ps_bp__is_refusal(const ps_http_response *r);

#endif
