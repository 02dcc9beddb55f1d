/*
 * setting_rows.h - the settings.def row macros as ps_setting_def
 * initialisers (setting_keys.h describes the rows).  Include it just
 * before the .def, inside the table:
 *
 *	static const ps_setting_def settings[] = {
 *	#include "setting_rows.h"
 *	#include "platforms/<name>/settings.def"
 *	};
 *
 * No include guard: each inclusion (re)defines the macros.
 */
#undef PS_SETTING_ROW
#undef PS_SETTING_ROW_REQ
#undef PS_SETTING_ROW_ENUM
#undef PS_SETTING_ROW_INT

/* clang-format off */
#define PS_SETTING_ROW(name, key, type, def, desc) \
	{key, PS_SETTING_##type, def, NULL, 0, 0, 0, desc},
#define PS_SETTING_ROW_REQ(name, key, type, def, desc) \
	{key, PS_SETTING_##type, def, NULL, 0, 0, 1, desc},
#define PS_SETTING_ROW_ENUM(name, key, choices, def, desc) \
	{key, PS_SETTING_ENUM, def, choices, 0, 0, 0, desc},
#define PS_SETTING_ROW_INT(name, key, def, lo, hi, desc) \
	{key, PS_SETTING_INT, def, NULL, lo, hi, 0, desc},
/* clang-format on */
