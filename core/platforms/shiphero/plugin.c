/*
 * plugin.c - ShipHero as a platform plug-in (platform.h).
 *
 * Only its identity so far: the name the config file's base_urls and the
 * database use, its default API address and its settings.  Its
 * connector, webhooks and rate dialect come with its flows.
 */
#include "internal.h"
#include "pearlsync/platform.h"

static const ps_setting_def settings[] = {
/* clang-format off */
#include "setting_rows.h"
#include "platforms/shiphero/settings.def"
	/* clang-format on */
};

const ps_platform_ops ps_platform_shiphero = {
	.id = PS_PLATFORM_SHIPHERO,
	.name = "shiphero",
	.code = "sh",
	.title = "ShipHero",
	.default_base_url = PS_CONFIG_DEFAULT_URL_SHIPHERO,
	.settings = settings,
	.nsettings = PS__ARRAY_LEN(settings),
};
