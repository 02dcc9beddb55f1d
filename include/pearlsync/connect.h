/*
 * connect.h - build the HTTP client and the platform connectors from what
 * is stored.
 *
 * The operator's connection settings live in the database (brightpearl.*,
 * bigcommerce.*); the machine's timeouts, CA bundle and default base URLs
 * live in the config file.  Every process that talks to a platform (the
 * worker, `pearlsync check-connection`, `sync-once`, the console's setup
 * step) builds its client here, so they all agree on which URL and which
 * credentials are used.
 */
#ifndef PEARLSYNC_CONNECT_H
#define PEARLSYNC_CONNECT_H

#include "pearlsync/bigcommerce.h"
#include "pearlsync/brightpearl.h"
#include "pearlsync/config.h"
#include "pearlsync/http.h"
#include "pearlsync/store.h"

/*
 * ps_connect_http - a ps_http with the retry policy of base (NULL: the
 * defaults of PS_HTTP_OPTIONS_INIT) and the connect timeout, total timeout
 * and CA file of cfg.  The clock, random source and cancel flag of base are
 * borrowed as ps_http_new says.  *out is NULL on failure.  Returns 0 or
 * PS_ENOMEM.
 */
int ps_connect_http(ps_http **out, const ps_config *cfg,
		    const ps_http_options *base);

/*
 * ps_connect_bp - a Brightpearl connector over http (borrowed) from the
 * settings brightpearl.account, .token (required), .app_ref, .auth_mode,
 * .installed_integration_instance_id and .base_url (overrides cfg's base
 * URL when set).  *out is NULL on failure.  Returns 0, PS_ESETTING (a
 * required setting is unset; the detail names it), PS_EINVAL, PS_ENOMEM or
 * a store error.
 */
int ps_connect_bp(ps_bp **out, ps_store *st, const ps_config *cfg,
		  ps_http *http);

/*
 * ps_connect_bc - a BigCommerce connector over http (borrowed) from the
 * settings bigcommerce.store_hash, .token (required) and .base_url
 * (overrides cfg's when set).  The setting bigcommerce.enabled is not
 * consulted (the caller decides whether a switched-off platform is used).
 * Errors as ps_connect_bp.
 */
int ps_connect_bc(ps_bc **out, ps_store *st, const ps_config *cfg,
		  ps_http *http);

#endif
