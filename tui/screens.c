/*
 * screens.c - the main screens, in the order of the header tabs, Tab and
 * the number keys.
 */
#include "tui.h"

const ps_tui_main_screen ps_tui_main_screens[] = {
	{PS_TUI_REQ_VIEW_DASHBOARD, "1", "Dashboard", &ps_screen_dashboard},
	{PS_TUI_REQ_VIEW_SETUP, "2", "Setup", &ps_screen_setup},
	{PS_TUI_REQ_VIEW_MAPPINGS, "3", "Mappings", &ps_screen_mappings},
	{PS_TUI_REQ_VIEW_LOG, "4", "Sync log", &ps_screen_log},
	{PS_TUI_REQ_VIEW_HISTORY, "5", "History", &ps_screen_history},
	{PS_TUI_REQ_NONE, NULL, NULL, NULL},
};
