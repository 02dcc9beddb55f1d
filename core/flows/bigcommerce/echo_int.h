/*
 * echo_int.h - the echo guard as the flows use it (DESIGN.md "Ownership and
 * echo").
 *
 * Scalar fields (an order's status, a BigCommerce notes field) go straight
 * to ps_store_written_*: one value per (platform, object, id, field).
 * Brightpearl order notes are a list that only grows, and pearlsync does
 * not always learn the id of a note it added (a status change writes its
 * note as a side effect; a multi-message create may be cut off), so a
 * note pearlsync wrote is remembered by its order and the hash of its text:
 * a note on that order with that text is pearlsync's own, whoever's id it
 * has.  A merchant's note with exactly the same text would be a duplicate
 * of pearlsync's, so nothing is lost by skipping it.
 *
 * Names are ps_echo__<name>; used only in core/flows/.
 */
#ifndef PEARLSYNC_FLOWS_ECHO_H
#define PEARLSYNC_FLOWS_ECHO_H

#include <stdint.h>

#include "pearlsync/flow.h"

/*
 * ps_echo__bp_note_mark - remember that flow added (or is about to add)
 * a note with text to Brightpearl order bp_order.  0 or a PS_E* code.
 */
int ps_echo__bp_note_mark(ps_flow_env *env, const char *flow, int64_t bp_order,
			  const char *text);

/*
 * ps_echo__bp_note_is_ours - 1 when a note with text on bp_order is one
 * pearlsync wrote, 0 when not, or a negative PS_E* code.
 */
int ps_echo__bp_note_is_ours(ps_flow_env *env, int64_t bp_order,
			     const char *text);

#endif
