/*
 * webhooks_int.h - what the BigCommerce plug-in's files share about
 * webhooks: the scopes it registers and accepts, the secret header and
 * the hook registration (hooks.c), used by the plug-in table (plugin.c).
 */
#ifndef PEARLSYNC_BC_WEBHOOKS_INT_H
#define PEARLSYNC_BC_WEBHOOKS_INT_H

#include <stddef.h>
#include <stdint.h>

#include "pearlsync/bigcommerce.h"
#include "pearlsync/store.h"

/* The header pearlsync asks BigCommerce to send with every callback. */
#define PS_BC__SECRET_HEADER "X-Pearlsync-Secret"

/* Accepted Standard Webhooks timestamp skew, seconds. */
#define PS_BC__SIGNATURE_TOLERANCE_S 300

/* The order scopes the listener accepts and the worker registers. */
extern const char *const ps_bc__hook_scopes[];

/*
 * ps_bc__hooks_sync - make sure BigCommerce has an active hook for each
 * order scope with destination public_url + "/webhooks/bigcommerce" and
 * the secret header: create missing ones, re-activate deactivated ones.
 * *out_changed (may be NULL) receives how many were created or
 * re-activated.  With st (may be NULL) the state left is recorded as cache
 * "bc.webhooks" (see hooks.c), stamped now, even when a later step failed.
 */
int ps_bc__hooks_sync(size_t *out_changed, ps_bc *bc, const char *public_url,
		      const char *secret, ps_store *st, int64_t now);

#endif
