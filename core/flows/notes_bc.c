/*
 * notes_bc.c - order notes both ways between Brightpearl and BigCommerce,
 * for orders that came from BigCommerce (notes.enabled).
 *
 * Brightpearl -> BigCommerce: Brightpearl raises no webhook for a new
 * note, so poll lists the notes of the BigCommerce orders imported in the
 * last three days (the newest NOTES_POLL_ORDERS of them) and records one
 * entry per new note (dedupe key bp:note:<id>:bc).  Performing it appends
 * "<text> [BP note <id>]" to the BigCommerce field notes.bp_note_to_bc_field
 * ("staff_notes", the default, or "customer_message") unless the field
 * already holds that marker or that text.
 *
 * BigCommerce -> Brightpearl: a store/order/updated (or created) webhook
 * records an entry; performing it reads the order's staff notes and
 * customer message, drops the lines pearlsync wrote (those carrying a
 * "[BP note" marker), and adds what is left as a Brightpearl order note
 * "BigCommerce staff notes: ..." / "BigCommerce customer message: ...",
 * unless the order already has a note with exactly that text.
 *
 * No echo: notes starting with "BigCommerce " are never sent back, and the
 * marker lines are never sent forward; the text checks make every entry
 * safe to perform twice.
 */
#include "bc_return.h"
#include "internal.h"
#include "pearlsync/bigcommerce.h"
#include "pearlsync/brightpearl.h"
#include "pearlsync/settings.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FLOW "notes_bc"
#define NOTES_POLL_ORDERS 25
#define NOTES_POLL_WINDOW_MS (3 * 24 * 3600 * 1000LL)
#define MARK "[BP note "
#define FROM_BC "BigCommerce "

/* ---- BigCommerce -> Brightpearl: events ----------------------------- */

static int
notes_on_event(ps_flow_env *env, const ps_event *ev)
{
	char key[128], id[32];
	int64_t order;

	if (ev->platform != PS_PLATFORM_BIGCOMMERCE || ev->topic == NULL ||
	    (strcmp(ev->topic, "store/order/updated") != 0 &&
	     strcmp(ev->topic, "store/order/created") != 0))
		return 0;
	if (ps_bcret__bc_event_order(&order, ev) < 0) {
		ps_error_clear();
		return 0; /* not an order body: nothing for this flow */
	}
	snprintf(id, sizeof(id), "%" PRId64, order);
	snprintf(key, sizeof(key), "bc:order:%s:notes:ev%" PRId64, id, ev->id);
	return ps_bcret__log_add(env, FLOW, key, PS_PLATFORM_BIGCOMMERCE, id,
				 PS_PLATFORM_BRIGHTPEARL, id);
}

/* ---- Brightpearl -> BigCommerce: poll ------------------------------- */

typedef struct poll_ctx {
	int64_t orders[NOTES_POLL_ORDERS];
	size_t n;
} poll_ctx;

static int
notes_poll(ps_flow_env *env)
{
	ps_log_query q = PS_LOG_QUERY_INIT;
	ps_log_entry *rows = NULL;
	ps_bp_note_list notes = {NULL, 0, NULL};
	poll_ctx pc;
	size_t nrows = 0, i, j;
	int error = 0;

	if (env->bp == NULL)
		return 0;
	memset(&pc, 0, sizeof(pc));
	q.flow = "order_import_bc";
	q.status = PS_ENTRY_SYNCED;
	q.limit = 200;
	if ((error = ps_store_log_list(&rows, &nrows, env->store, &q)) < 0)
		return error;
	for (i = 0; i < nrows && pc.n < NOTES_POLL_ORDERS; i++) {
		char *end;
		int64_t id;

		if (rows[i].target_id == NULL ||
		    env->now - rows[i].updated_at > NOTES_POLL_WINDOW_MS)
			continue;
		id = strtoll(rows[i].target_id, &end, 10);
		if (id <= 0 || *end != '\0')
			continue;
		for (j = 0; j < pc.n && pc.orders[j] != id; j++)
			;
		if (j == pc.n)
			pc.orders[pc.n++] = id;
	}
	ps_log_entries_free(rows, nrows);
	for (i = 0; i < pc.n; i++) {
		if (env->stop && *env->stop)
			break;
		if ((error = ps_bp_note_list_get(&notes, env->bp,
						 pc.orders[i])) < 0)
			return error;
		if ((error = ps_store_begin(env->store)) < 0)
			goto done;
		for (j = 0; j < notes.n && error == 0; j++) {
			char key[96], id[32], order[32];

			if (notes.items[j].text == NULL ||
			    strncmp(notes.items[j].text, FROM_BC,
				    strlen(FROM_BC)) == 0)
				continue;
			snprintf(id, sizeof(id), "%" PRId64,
				 notes.items[j].id);
			snprintf(order, sizeof(order), "%" PRId64,
				 pc.orders[i]);
			snprintf(key, sizeof(key), "bp:note:%s:order:%s:bc", id,
				 order);
			error = ps_bcret__log_add(env, FLOW, key,
						  PS_PLATFORM_BRIGHTPEARL, id,
						  PS_PLATFORM_BIGCOMMERCE,
						  order);
		}
		if (error < 0)
			ps_store_rollback(env->store);
		else
			error = ps_store_commit(env->store);
		ps_bp_note_list_dispose(&notes);
		if (error < 0)
			goto done;
	}
done:
	ps_bp_note_list_dispose(&notes);
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
	error = ps_bcret__bc_order_of(&bc_id, env->store, bp_order);
	if (error == PS_ENOTFOUND) {
		ps_error_clear();
		return ps_bcret__result(res, NULL,
					"skipped: Brightpearl order %" PRId64
					" did not come from BigCommerce",
					bp_order);
	}
	if (error < 0)
		return error;
	snprintf(bcid, sizeof(bcid), "%" PRId64, bc_id);
	if (ps_settings_get(&field, env->store, "notes.bp_note_to_bc_field") <
	    0)
		ps_error_clear();
	to_staff = field == NULL || field[0] == '\0' ||
		   strcmp(field, "customer_message") != 0;
	if ((error = ps_bp_note_list_get(&notes, env->bp, bp_order)) < 0)
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
	if ((error = ps_bc_order_get(&bc, env->bc, bc_id)) < 0)
		goto done;
	old = to_staff ? bc.staff_notes : bc.customer_message;
	snprintf(marker, sizeof(marker), MARK "%" PRId64 "]", note_id);
	if (strstr(old, marker) != NULL || strstr(old, note->text) != NULL) {
		error = ps_bcret__result(res, bcid,
					 "note %" PRId64 " already in "
					 "BigCommerce %s",
					 note_id,
					 to_staff ? "staff notes"
						  : "customer message");
		goto done;
	}
	len = strlen(old) + strlen(note->text) + strlen(marker) + 4;
	if ((text = malloc(len)) == NULL) {
		error = ps_error_set(PS_ENOMEM, NULL);
		goto done;
	}
	snprintf(text, len, "%s%s%s %s", old, old[0] ? "\n" : "", note->text,
		 marker);
	if ((error = ps_bc_order_update_notes(env->bc, bc_id,
					      to_staff ? text : NULL,
					      to_staff ? NULL : text)) < 0)
		goto done;
	error = ps_bcret__result(res, bcid,
				 "Brightpearl note %" PRId64
				 " -> BigCommerce %s",
				 note_id,
				 to_staff ? "staff notes" : "customer message");
done:
	free(text);
	free(field);
	ps_bc_order_dispose(&bc);
	ps_bp_note_list_dispose(&notes);
	return error;
}

/* ---- perform: BigCommerce fields -> Brightpearl note ---------------- */

/* nonzero when the n bytes at p contain MARK */
static int
has_mark(const char *p, size_t n)
{
	size_t m = strlen(MARK), i;

	for (i = 0; i + m <= n; i++)
		if (memcmp(p + i, MARK, m) == 0)
			return 1;
	return 0;
}

/* text without the lines carrying a Brightpearl marker (owned). */
static char *
own_lines(const char *text)
{
	size_t n = strlen(text), len = 0;
	char *out = malloc(n + 1);
	const char *p = text, *eol;

	if (out == NULL)
		return NULL;
	while (*p != '\0') {
		eol = strchr(p, '\n');
		if (eol == NULL)
			eol = p + strlen(p);
		if (!has_mark(p, (size_t)(eol - p))) {
			if (len > 0)
				out[len++] = '\n';
			memcpy(out + len, p, (size_t)(eol - p));
			len += (size_t)(eol - p);
		}
		p = *eol ? eol + 1 : eol;
	}
	while (len > 0 && (out[len - 1] == '\n' || out[len - 1] == ' ' ||
			   out[len - 1] == '\r'))
		len--;
	out[len] = '\0';
	return out;
}

static int
perform_bc_order(ps_flow_env *env, int64_t bc_id, ps_flow_result *res)
{
	ps_bp_note_list notes = {NULL, 0, NULL};
	ps_bc_order bc;
	const char *what[2] = {"staff notes", "customer message"};
	char *mine = NULL, *note = NULL, bpid[32], detail[256];
	int64_t bp_id;
	size_t i, j, len, added = 0;
	int error, have;

	memset(&bc, 0, sizeof(bc));
	detail[0] = '\0';
	error = ps_bcret__bp_order_of(&bp_id, env->store, bc_id);
	if (error == PS_ENOTFOUND) {
		ps_error_clear();
		return ps_bcret__result(res, NULL,
					"skipped: BigCommerce order %" PRId64
					" is not in Brightpearl",
					bc_id);
	}
	if (error < 0)
		return error;
	snprintf(bpid, sizeof(bpid), "%" PRId64, bp_id);
	if ((error = ps_bc_order_get(&bc, env->bc, bc_id)) < 0)
		goto done;
	if ((error = ps_bp_note_list_get(&notes, env->bp, bp_id)) < 0)
		goto done;
	for (i = 0; i < 2; i++) {
		free(mine);
		free(note);
		note = NULL;
		if ((mine = own_lines(i == 0 ? bc.staff_notes
					     : bc.customer_message)) == NULL) {
			error = ps_error_set(PS_ENOMEM, NULL);
			goto done;
		}
		if (mine[0] == '\0')
			continue;
		len = strlen(mine) + 64;
		if ((note = malloc(len)) == NULL) {
			error = ps_error_set(PS_ENOMEM, NULL);
			goto done;
		}
		snprintf(note, len, FROM_BC "%s: %s", what[i], mine);
		for (j = 0, have = 0; j < notes.n && !have; j++)
			have = notes.items[j].text != NULL &&
			       strcmp(notes.items[j].text, note) == 0;
		if (have)
			continue;
		if ((error = ps_bp_note_add(NULL, env->bp, bp_id, note, 0)) <
		    0)
			goto done;
		added++;
		snprintf(detail + strlen(detail),
			 sizeof(detail) - strlen(detail), "%s%s",
			 detail[0] ? ", " : "", what[i]);
	}
	if (added)
		error = ps_bcret__result(res, bpid,
					 "BigCommerce %s -> Brightpearl order "
					 "note",
					 detail);
	else
		error = ps_bcret__result(res, bpid,
					 "no new BigCommerce notes");
done:
	free(mine);
	free(note);
	ps_bc_order_dispose(&bc);
	ps_bp_note_list_dispose(&notes);
	return error;
}

static int
notes_perform(ps_flow_env *env, const ps_log_entry *entry,
	      ps_flow_result *res)
{
	long long a = 0, b = 0;

	if (env->bp == NULL || env->bc == NULL)
		return ps_error_set(PS_ESETTING,
				    "waiting for the Brightpearl and "
				    "BigCommerce connections");
	if (sscanf(entry->dedupe_key, "bp:note:%lld:order:%lld:", &a, &b) ==
		2 &&
	    a > 0 && b > 0)
		return perform_bp_note(env, a, b, res);
	if (sscanf(entry->dedupe_key, "bc:order:%lld:", &a) == 1 && a > 0)
		return perform_bc_order(env, a, res);
	return ps_error_set(PS_EDATA, "notes entry '%s' not understood",
			    entry->dedupe_key);
}

const ps_flow_ops ps_flow_notes_bc = {
	.name = FLOW,
	.alias = "notes",
	.description = "Order notes both ways between Brightpearl and "
		       "BigCommerce",
	.source = PS_PLATFORM_BRIGHTPEARL,
	.target = PS_PLATFORM_BIGCOMMERCE,
	.enabled_setting = "notes.enabled",
	.init = NULL,
	.fini = NULL,
	.on_event = notes_on_event,
	.poll = notes_poll,
	.poll_interval_ms = 0,
	.perform = notes_perform,
};
