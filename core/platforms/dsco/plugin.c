/*
 * plugin.c - DSCO as a platform plug-in (platform.h).
 *
 * Only its identity so far: the name the config file's base_urls and the
 * database use, its default API address and its settings.  Its
 * connector, webhooks and rate dialect come with its flows.
 */
#include "internal.h"
#include "pearlsync/platform.h"

static const char *const shipment_triggers[] = {"status", "goods_out", NULL};

static const ps_setting_def settings[] = {
/* clang-format off */
#include "setting_rows.h"
#include "platforms/dsco/settings.def"
	/* clang-format on */
};

const ps_platform_ops ps_platform_dsco = {
	.id = PS_PLATFORM_DSCO,
	.name = "dsco",
	.code = "dsco",
	.title = "DSCO",
	.default_base_url = PS_CONFIG_DEFAULT_URL_DSCO,
	.settings = settings,
	.nsettings = PS__ARRAY_LEN(settings),
};
