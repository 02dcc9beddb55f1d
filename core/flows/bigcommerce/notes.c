/*
 * notes_bc.c - Brightpearl order notes to BigCommerce, for orders that
 * came from BigCommerce (bigcommerce.notes.enabled).
 *
 * Ownership: this flow owns one direction only, Brightpearl notes ->
 * the BigCommerce field bigcommerce.notes.bp_note_to_bc_field ("staff_notes",
 * the default, or "customer_message").  BigCommerce staff notes and customer
 * message -> Brightpearl notes belong to the order import (order_import_bc), at
 * import and on every later edit; two flows writing the same direction gave
 * every customer message twice.
 *
 * Brightpearl raises no webhook for a new note, so poll asks the
 * order-note search for the notes added since the newest one it saw (one
 * request when nothing is new) and records, for each note on an order
 * that came from BigCommerce, one entry (kind
 * note.copy, subject the note, subject order its Brightpearl order;
 * dedupe key bp:note:<id>:order:<bp order>:bc).  Performing it appends
 * "<text> [BP note <id>]" to the BigCommerce field unless the field holds
 * that marker or that text already (so an entry is safe to perform twice).
 *
 * No echo (DESIGN.md "Ownership and echo"): the notes pearlsync itself
 * added to Brightpearl (the import's "Staff notes: ..." and "Customer
 * message: ...", a status change's note) are remembered in the store's
 * written table and never recorded here; the field value this flow writes
 * to BigCommerce is remembered too, so the import sees it as pearlsync's
 * own write, not as a merchant's edit.  The note labels are a fallback for
 * notes written before pearlsync remembered its writes.
 */
#include "flows/bigcommerce/echo_int.h"
#include "flows/bigcommerce/pair_int.h"
#include "internal.h"
#include "setting_keys.h"
#include "pearlsync/bigcommerce.h"
#include "pearlsync/brightpearl.h"
#include "pearlsync/replay.h"
#include "pearlsync/settings.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FLOW "notes_bc"
/* The time of the newest Brightpearl note seen (ISO-8601). */
#define CURSOR "notes_bc.bp_notes"
#define MARK "[BP note "

/* ---- Brightpearl -> BigCommerce: poll ------------------------------- */

/* The labels of the import's notes (order_import_bc_plan.c), and the
 * prefix of the notes an older pearlsync copied from BigCommerce. */
static const char *const import_labels[] = {
	"Staff notes: ", "Customer message: ", "BigCommerce staff notes: ",
	"BigCommerce customer message: "};

/* 1 when note came from pearlsync (recorded write, else by label). */
static int
note_is_ours(ps_flow_env *env, int64_t bp_order, const ps_bp_note *note)
{
	size_t i;
	int ours;

	if (note->text == NULL)
		return 1; /* nothing to copy */
	ours = ps_echo__bp_note_is_ours(env, bp_order, note->text);
	if (ours != 0)
		return ours;
	for (i = 0; i < PS__ARRAY_LEN(import_labels); i++)
		if (strncmp(note->text, import_labels[i],
			    strlen(import_labels[i])) == 0)
			return 1;
	return 0;
}

/*
 * One order-note search for the notes added since the cursor (the time of
 * the newest note seen; a day back at the first poll), so an idle poll
 * costs one request.  A note on an order that did not come from
 * BigCommerce, or one pearlsync wrote itself, records nothing; the rest
 * record an entry each (a note seen again finds its entry there).
 */
static int
notes_poll(ps_flow_env *env)
{
	ps_bp_note_row *rows = NULL;
	char since[48], newest[48];
	int64_t newest_ms;
	size_t n = 0, i;
	int error, ours;

	if (PS_PAIR_BP(env) == NULL)
		return 0;
	ps_pair__poll_since(since, sizeof(since), env, CURSOR);
	if ((error = ps_bp_notes_added_since(&rows, &n, PS_PAIR_BP(env),
					     since)) < 0)
		return error;
	ps_util__strlcpy(newest, since, sizeof(newest));
	if (ps_bp_time_parse(&newest_ms, since) < 0)
		newest_ms = 0;
	if ((error = ps_store_begin(env->store)) < 0)
		goto done;
	for (i = 0; i < n && error == 0; i++) {
		ps_bp_note note = {rows[i].id, 0, 0, rows[i].text, 0, NULL};
		char key[96], id[32], order[32], bc[32];
		int64_t bc_id, at;

		if (ps_bp_time_parse(&at, rows[i].added_on) == 0 &&
		    at > newest_ms) {
			newest_ms = at;
			ps_util__strlcpy(newest, rows[i].added_on,
					 sizeof(newest));
		}
		error = ps_pair__bc_order_of(&bc_id, env->store,
					     rows[i].order_id);
		if (error == PS_ENOTFOUND) {
			ps_error_clear();
			error = 0;
			continue;
		}
		if (error < 0)
			break;
		if ((ours = note_is_ours(env, rows[i].order_id, &note)) != 0) {
			error = ours < 0 ? ours : 0;
			continue;
		}
		snprintf(id, sizeof(id), "%" PRId64, rows[i].id);
		snprintf(order, sizeof(order), "%" PRId64, rows[i].order_id);
		snprintf(bc, sizeof(bc), "%" PRId64, bc_id);
		snprintf(key, sizeof(key), "bp:note:%s:order:%s:bc", id, order);
		error = ps_pair__log_add(env, FLOW, key, PS_PAIR_KIND_NOTE_COPY,
					 id, order, PS_PLATFORM_BRIGHTPEARL, id,
					 PS_PLATFORM_BIGCOMMERCE, bc);
		if (error > 0)
			error = 0; /* seen before */
	}
	error = ps_pair__poll_end(env, CURSOR, newest, error);
done:
	ps_bp_note_rows_free(rows, n);
	return error;
}

/*
 * replay slot: the order notes added in the window, chosen as the poll
 * chooses them (on an order from BigCommerce, not written by pearlsync),
 * each queued under the poll's key.  Performing one is safe twice (the
 * note's marker or text in the field is enough).
 */
static int
notes_replay(ps_flow_env *env, struct ps_replay *r)
{
	ps_bp_note_row *rows = NULL;
	char since[48], key[96], id[32], order[32], bc[32];
	size_t n = 0, i;
	int64_t bc_id;
	int error, ours;

	if (PS_PAIR_BP(env) == NULL)
		return ps_error_set(PS_ESETTING,
				    "replay needs Brightpearl connected");
	ps_pair__replay_since(since, sizeof(since), r);
	if ((error = ps_bp_notes_added_since(&rows, &n, PS_PAIR_BP(env),
					     since)) < 0)
		return error;
	for (i = 0; i < n && error == 0; i++) {
		ps_bp_note note = {rows[i].id, 0, 0, rows[i].text, 0, NULL};

		if (!ps_pair__replay_in(r, rows[i].added_on))
			continue;
		snprintf(id, sizeof(id), "%" PRId64, rows[i].id);
		snprintf(order, sizeof(order), "%" PRId64, rows[i].order_id);
		error = ps_pair__bc_order_of(&bc_id, env->store,
					     rows[i].order_id);
		if (error == PS_ENOTFOUND) {
			ps_error_clear();
			error = ps_replay_report(
				r, "note", id, PS_REPLAY_SKIPPED, 0,
				"Brightpearl order %s did not come from "
				"BigCommerce",
				order);
			continue;
		}
		if (error < 0)
			break;
		if ((ours = note_is_ours(env, rows[i].order_id, &note)) != 0) {
			error = ours < 0 ? ours
					 : ps_replay_report(
						   r, "note", id,
						   PS_REPLAY_SKIPPED, 0,
						   "written by pearlsync "
						   "itself");
			continue;
		}
		snprintf(bc, sizeof(bc), "%" PRId64, bc_id);
		snprintf(key, sizeof(key), "bp:note:%s:order:%s:bc", id, order);
		error = ps_pair__replay_queue(r, "note", FLOW, key,
					      PS_PAIR_KIND_NOTE_COPY, id, order,
					      PS_PLATFORM_BRIGHTPEARL, id,
					      PS_PLATFORM_BIGCOMMERCE, bc);
	}
	ps_bp_note_rows_free(rows, n);
	return error;
}

/* ---- perform: Brightpearl note -> BigCommerce field ----------------- */

static int
perform_bp_note(ps_flow_env *env, int64_t note_id, int64_t bp_order,
		ps_flow_result *res)
{
	ps_bp_note_list notes = {NULL, 0, NULL};
	ps_bc_order bc;
	char *field = NULL, *text = NULL, marker[48], bcid[32];
	const ps_bp_note *note = NULL;
	const char *old;
	int64_t bc_id;
	size_t i, len;
	int error, to_staff;

	memset(&bc, 0, sizeof(bc));
	error = ps_pair__bc_order_of(&bc_id, env->store, bp_order);
	if (error == PS_ENOTFOUND) {
		ps_error_clear();
		return ps_pair__result(res, NULL,
				       "skipped: Brightpearl order %" PRId64
				       " did not come from BigCommerce",
				       bp_order);
	}
	if (error < 0)
		return error;
	snprintf(bcid, sizeof(bcid), "%" PRId64, bc_id);
	if (ps_settings_get(&field, env->store,
			    PS_SET_BC_NOTES_BP_NOTE_TO_BC_FIELD) < 0)
		ps_error_clear();
	to_staff = field == NULL || field[0] == '\0' ||
		   strcmp(field, "customer_message") != 0;
	if ((error = ps_bp_note_list_get(&notes, PS_PAIR_BP(env), bp_order)) <
	    0)
		goto done;
	for (i = 0; i < notes.n; i++)
		if (notes.items[i].id == note_id)
			note = &notes.items[i];
	if (note == NULL || note->text == NULL) {
		error = ps_error_set(PS_ENOTFOUND,
				     "note %" PRId64
				     " not found on Brightpearl order %" PRId64,
				     note_id, bp_order);
		goto done;
	}
	if ((error = ps_bc_order_get(&bc, PS_PAIR_BC(env), bc_id)) < 0)
		goto done;
	old = to_staff ? bc.staff_notes : bc.customer_message;
	snprintf(marker, sizeof(marker), MARK "%" PRId64 "]", note_id);
	if (strstr(old, marker) != NULL || strstr(old, note->text) != NULL) {
		error = ps_pair__result(
			res, bcid,
			"note %" PRId64 " already in "
			"BigCommerce %s",
			note_id, to_staff ? "staff notes" : "customer message");
		goto done;
	}
	len = strlen(old) + strlen(note->text) + strlen(marker) + 4;
	if ((text = malloc(len)) == NULL) {
		error = ps_error_set(PS_ENOMEM, NULL);
		goto done;
	}
	snprintf(text, len, "%s%s%s %s", old, old[0] ? "\n" : "", note->text,
		 marker);
	/* remembered before the write: the order import must see the
	 * field's new value as pearlsync's, even after a crash right after
	 * BigCommerce took it */
	if ((error = ps_store_written_set(
		     env->store, PS_PLATFORM_BIGCOMMERCE, "order", bcid,
		     to_staff ? "staff_notes" : "customer_message", text, FLOW,
		     env->now)) < 0)
		goto done;
	if ((error = ps_bc_order_update_notes(PS_PAIR_BC(env), bc_id,
					      to_staff ? text : NULL,
					      to_staff ? NULL : text)) < 0)
		goto done;
	error = ps_pair__result(
		res, bcid, "Brightpearl note %" PRId64 " -> BigCommerce %s",
		note_id, to_staff ? "staff notes" : "customer message");
done:
	free(text);
	free(field);
	ps_bc_order_dispose(&bc);
	ps_bp_note_list_dispose(&notes);
	return error;
}

static int
notes_perform(ps_flow_env *env, const ps_log_entry *entry, ps_flow_result *res)
{
	int64_t note = 0, bp_order = 0;
	int error;

	if (PS_PAIR_BP(env) == NULL || PS_PAIR_BC(env) == NULL)
		return ps_error_set(PS_ESETTING,
				    "waiting for the Brightpearl and "
				    "BigCommerce connections");
	if (ps_log_entry_is(entry, PS_PAIR_KIND_NOTE_COPY)) {
		if ((error = ps_pair__entry_subject(&note, entry)) < 0 ||
		    (error = ps_pair__entry_subject_order(&bp_order, entry)) <
			    0)
			return error;
		return perform_bp_note(env, note, bp_order, res);
	}
	if (ps_log_entry_is(entry, PS_PAIR_KIND_ORDER_NOTES))
		/* recorded by an older pearlsync, when this flow also
		 * copied BigCommerce notes into Brightpearl */
		return ps_pair__result(res, NULL,
				       "skipped: BigCommerce notes reach "
				       "Brightpearl through the order import "
				       "(order_import_bc)");
	return ps_error_set(PS_EDATA,
			    "notes entry %lld of kind '%s' not "
			    "understood",
			    (long long)entry->id,
			    entry->kind ? entry->kind : "");
}

/* What the flow writes (README.md, "Who writes what"). */
static const ps_flow_owns notes_owns[] = {
	{PS_PLATFORM_BIGCOMMERCE, "order", "staff_notes",
	 PS_PLATFORM_BRIGHTPEARL},
	{PS_PLATFORM_BIGCOMMERCE, "order", "customer_message",
	 PS_PLATFORM_BRIGHTPEARL},
};

const ps_flow_ops ps_flow_notes_bc = {
	.name = FLOW,
	.alias = "notes",
	.description = "Brightpearl order notes to BigCommerce",
	.source = PS_PLATFORM_BRIGHTPEARL,
	.target = PS_PLATFORM_BIGCOMMERCE,
	.enabled_setting = PS_SET_BC_NOTES_ENABLED,
	.owns = notes_owns,
	.nowns = PS__ARRAY_LEN(notes_owns),
	.init = NULL,
	.fini = NULL,
	.on_event = NULL,
	.poll = notes_poll,
	.poll_interval_ms = 0,
	.perform = notes_perform,
	.replay = notes_replay,
	.replay_help = "the Brightpearl order notes added in the window on "
		       "orders from BigCommerce; each missing copy is queued.",
};
