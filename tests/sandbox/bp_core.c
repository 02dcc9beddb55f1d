/*
 * bp_core.c - the Brightpearl simulator (placeholder while it is written).
 */
#include "sandbox.h"

static void
bp_handle(sb_platform *pf, sb_request *req, sb_response *resp)
{
	(void)pf;
	(void)req;
	sb_resp_json(resp, 404, json_pack("{s:[{s:s,s:s}]}", "errors", "code",
					  "CMNC-404", "message",
					  "Cannot find the resource"),
		     "application/json;charset=UTF-8");
}

static const sb_platform_ops bp_ops = {
	"brightpearl", bp_handle, NULL, NULL, NULL, NULL, NULL, NULL,
};

void
sb_bp_register(sb_sandbox *sb)
{
	sb_platform_add(sb, &bp_ops, NULL);
}
