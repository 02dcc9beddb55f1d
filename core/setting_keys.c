/*
 * setting_keys.c - the constants setting_keys.h declares, one per row of
 * the settings.def files.
 */
#define PS_SETTING_KEYS_DEFINE
#include "setting_keys.h"
