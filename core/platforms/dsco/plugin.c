/*
 * plugin.c - DSCO as a platform plug-in (platform.h).
 *
 * Only its identity so far: the name the config file's base_urls and the
 * database use, and its default API address.  Its connector, webhooks and
 * rate dialect come with its flows.
 */
#include "pearlsync/platform.h"

const ps_platform_ops ps_platform_dsco = {
	.id = PS_PLATFORM_DSCO,
	.name = "dsco",
	.code = "dsco",
	.title = "DSCO",
	.default_base_url = PS_CONFIG_DEFAULT_URL_DSCO,
};
