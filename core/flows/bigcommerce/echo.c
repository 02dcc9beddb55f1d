/*
 * echo.c - Brightpearl notes pearlsync wrote, remembered per order and
 * text hash in the store's written table (see echo_int.h).
 */
#include "flows/bigcommerce/echo_int.h"
#include "internal.h"

#include <inttypes.h>
#include <stdio.h>

#define NOTE_OBJECT "order_note"

/* The written table's object id of a note: "<order>:<text hash>". */
static void
note_key(char *buf, size_t cap, int64_t bp_order, const char *text)
{
	const unsigned char *p = (const unsigned char *)(text ? text : "");
	uint64_t h = 14695981039346656037ull;

	for (; *p; p++)
		h = (h ^ *p) * 1099511628211ull;
	snprintf(buf, cap, "%" PRId64 ":%016" PRIx64, bp_order, h);
}

int
ps_echo__bp_note_mark(ps_flow_env *env, const char *flow, int64_t bp_order,
		      const char *text)
{
	char key[48];

	note_key(key, sizeof(key), bp_order, text);
	return ps_store_written_set(env->store, PS_PLATFORM_BRIGHTPEARL,
				    NOTE_OBJECT, key, "text", text, flow,
				    env->now);
}

int
ps_echo__bp_note_is_ours(ps_flow_env *env, int64_t bp_order, const char *text)
{
	char key[48];

	note_key(key, sizeof(key), bp_order, text);
	return ps_store_written_is(env->store, PS_PLATFORM_BRIGHTPEARL,
				   NOTE_OBJECT, key, "text", text);
}
