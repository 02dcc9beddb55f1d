/*
 * status_alerts.h - the alerts part of `pearlsync status` (status_alerts.c).
 */
#ifndef PEARLSYNC_CLI_STATUS_ALERTS_H
#define PEARLSYNC_CLI_STATUS_ALERTS_H

#include <jansson.h>

#include "pearlsync/store.h"

/*
 * ps_cli_alerts_json - set doc's member "alerts" to the alerts of st as of
 * now (ms), worst first: [{"level", "what", "fix"}].  counts is status's
 * {FLOW: {STATUS: N}} (borrowed): its failed entries make an alert.
 * Returns 0 or a PS_E* (doc unchanged).
 */
int ps_cli_alerts_json(json_t *doc, ps_store *st, long long now,
		       const json_t *counts);

/* ps_cli_alerts_print - the "alerts:" block of the text output. */
void ps_cli_alerts_print(const json_t *alerts);

#endif
