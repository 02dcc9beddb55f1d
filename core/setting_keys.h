/*
 * setting_keys.h - every setting key as a compile-time name.
 *
 * Each entry of the settings catalogue (pearlsync/settings.h) is written
 * once, as a row of a settings.def file kept next to the code it belongs
 * to: the general ones in core/settings.def, each platform's in
 * core/platforms/<name>/settings.def, each flow group's in
 * core/flows/<name>/settings.def.  A row is one of
 *
 *   PS_SETTING_ROW(NAME, "key", TYPE, default, "description")
 *   PS_SETTING_ROW_REQ(NAME, "key", TYPE, default, "description")
 *   PS_SETTING_ROW_ENUM(NAME, "key", choices, default, "description")
 *   PS_SETTING_ROW_INT(NAME, "key", default, min, max, "description")
 *
 * TYPE is a ps_setting_type without its PS_SETTING_ prefix, default a
 * string or NULL, choices a NULL-terminated array defined by the file
 * holding the table.  _REQ marks a setting the flows cannot run without.
 *
 * The file that owns a table includes setting_rows.h and then its .def
 * inside the initialiser.  This header turns every row into NAME, a
 * constant holding "key" (setting_keys.c defines them), so code reads
 * ps_settings_get(&v, st, PS_SET_BC_ORDERS_ENABLED) and a misspelt or
 * missing key does not compile.  tests/unit/test_setting_keys.c checks
 * that no string literal is passed as a key in core/ or tui/.
 *
 * A new settings.def gets a line below.
 */
#ifndef PS_SETTING_KEYS_H
#define PS_SETTING_KEYS_H

#ifdef PS_SETTING_KEYS_DEFINE
#define PS__SETTING_KEY(name, key) const char name[] = key;
#else
#define PS__SETTING_KEY(name, key) extern const char name[];
#endif

/* clang-format off */
#define PS_SETTING_ROW(name, key, type, def, desc) PS__SETTING_KEY(name, key)
#define PS_SETTING_ROW_REQ(name, key, type, def, desc) \
	PS__SETTING_KEY(name, key)
#define PS_SETTING_ROW_ENUM(name, key, choices, def, desc) \
	PS__SETTING_KEY(name, key)
#define PS_SETTING_ROW_INT(name, key, def, lo, hi, desc) \
	PS__SETTING_KEY(name, key)
/* clang-format on */

/* clang-format off */
#include "platforms/brightpearl/settings.def"
#include "platforms/bigcommerce/settings.def"
#include "platforms/dsco/settings.def"
#include "platforms/shiphero/settings.def"
#include "flows/bigcommerce/settings.def"
#include "settings.def"
#include "report/settings.def"
/* clang-format on */

#undef PS_SETTING_ROW
#undef PS_SETTING_ROW_REQ
#undef PS_SETTING_ROW_ENUM
#undef PS_SETTING_ROW_INT
#undef PS__SETTING_KEY

#endif
