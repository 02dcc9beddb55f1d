/*
 * requests.c - the requests table as data, for the help screen.
 *
 * The key codes of PS_TUI_REQUESTS are not expanded here (they may name
 * ncurses constants); term.c builds the bindings from the same list.
 */
#include "tui.h"

static const ps_tui_request_info requests[] = {
#define PS_TUI__REQ_INFO(id, keys, help, k1, k2)                               \
	{PS_TUI_REQ_##id, #id, keys, help},
	PS_TUI_REQUESTS(PS_TUI__REQ_INFO)
#undef PS_TUI__REQ_INFO
};

const ps_tui_request_info *
ps_tui_requests(size_t *out_n)
{
	*out_n = sizeof(requests) / sizeof(requests[0]);
	return requests;
}

const ps_tui_request_info *
ps_tui_request_find(ps_tui_request req)
{
	size_t i;

	for (i = 0; i < sizeof(requests) / sizeof(requests[0]); i++)
		if (requests[i].request == req)
			return &requests[i];
	return NULL;
}
