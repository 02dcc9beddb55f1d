/*
 * cancel_import.c - purchase orders the retailer cancels in DSCO (whole or
 * per line), carried to their Brightpearl orders.
 *
 * Log entries (kind, subject the dscoOrderId; dedupe key):
 *   order.cancel   dsco:order:<id>:cancel:<state>   one per cancellation
 *                                                   state of an imported
 *                                                   PO (<state>: a hash
 *                                                   of the request flags
 *                                                   and cancelled
 *                                                   quantities)
 *
 * Poll: the same window as the import (ordersUpdatedSince from a cursor
 * of its own).  A PO with a cancel request (order or line) or cancelled
 * quantity gets an entry for its current state; the state hash makes a
 * repeated read of the same state a no-op and a later change a new entry.
 *
 * Perform, reading the PO and the Brightpearl order again:
 *   - no Brightpearl order (the PO was never imported): synced, nothing
 *     to do; the import reads the PO as it is then and leaves out what is
 *     cancelled;
 *   - a goods-out note of the Brightpearl order is shipped: the entry
 *     fails with the reason, waiting for the operator (the goods are on
 *     their way; nothing is changed on either side);
 *   - a cancel request (cancelRequested) is confirmed to DSCO with
 *     POST /order/item/cancel, code CXSC, for the quantity still open,
 *     and followed to its outcome; then the PO is read again;
 *   - the whole PO cancelled: the Brightpearl order moves to
 *     dsco.cancel_status (unless it is there already);
 *   - some lines cancelled: an order note naming each cancelled line, its
 *     SKU and quantity, added once (a note with the same text is not added
 *     again).  Rows are not edited: Brightpearl can PATCH or DELETE a
 *     row, but a row changed that way keeps its stock reservation (a
 *     separate resource) and, once part of it is allocated to a
 *     goods-out note, cannot shrink cleanly; the note leaves the decision
 *     to the person who picks and ships, with what the retailer did in
 *     front of them.
 */
#include "flows/bigcommerce/pair_int.h"
#include "flows/dsco/dsco_int.h"
#include "internal.h"
#include "setting_keys.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FLOW_NAME "cancel_import_dsco"
#define CURSOR_STREAM "dsco.cancels.updated"
#define CANCEL_CODE "CXSC" /* cancelled at the customer's request */

static const ps_flow_owns dsci_owns[] = {
	{PS_PLATFORM_BRIGHTPEARL, "order", "status", PS_PLATFORM_DSCO},
	{PS_PLATFORM_BRIGHTPEARL, "order", "notes", PS_PLATFORM_DSCO},
};

/* FNV-1a of the PO's cancellation state; 0 when there is none. */
static uint32_t
cancel_state(const ps_dsco_order *o)
{
	uint32_t h = 2166136261u;
	char buf[96];
	size_t i;
	int any = 0;
	const char *p;

	snprintf(buf, sizeof(buf), "o%d%d|", o->cancel_requested,
		 o->status == PS_DSCO_STATUS_CANCELLED);
	any = o->cancel_requested || o->status == PS_DSCO_STATUS_CANCELLED;
	for (p = buf; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	for (i = 0; i < o->nlines; i++) {
		const ps_dsco_order_line *l = &o->lines[i];

		snprintf(buf, sizeof(buf), "%" PRId64 ":%" PRId64 ":%d:%d|",
			 l->line_number, l->cancelled_quantity,
			 l->cancel_requested,
			 l->status == PS_DSCO_LINE_CANCELLED);
		if (l->cancelled_quantity > 0 || l->cancel_requested ||
		    l->status == PS_DSCO_LINE_CANCELLED)
			any = 1;
		for (p = buf; *p; p++)
			h = (h ^ (unsigned char)*p) * 16777619u;
	}
	return any ? (h ? h : 1) : 0;
}

/* ---- poll --------------------------------------------------------------- */

static int
cancel_key(char *key, size_t cap, ps_flow_env *env, const ps_dsco_order *o)
{
	uint32_t h = cancel_state(o);

	(void)env;
	if (h == 0)
		return 0;
	snprintf(key, cap, "dsco:order:%s:cancel:%08" PRIx32, o->dsco_order_id,
		 h);
	return 1;
}

static int
dsci_poll(ps_flow_env *env)
{
	return ps_dsf__poll(env, FLOW_NAME, PS_DSF_KIND_ORDER_CANCEL,
			    CURSOR_STREAM, cancel_key);
}

/* ---- perform ------------------------------------------------------------ */

/* The quantity of l still open (neither shipped nor cancelled). */
static int64_t
open_quantity(const ps_dsco_order_line *l)
{
	int64_t q;

	if (l->status == PS_DSCO_LINE_CANCELLED)
		return 0;
	if (l->remaining_quantity >= 0)
		return l->remaining_quantity;
	q = l->quantity - l->cancelled_quantity - l->shipped_quantity;
	return q > 0 ? q : 0;
}

/* The first shipped goods-out note of order bp_id into *out (0: none). */
static int
shipped_note(int64_t *out, ps_flow_env *env, int64_t bp_id)
{
	ps_bp_gon_list gl = {0};
	size_t i;
	int error;

	*out = 0;
	if ((error = ps_bp_gon_for_order(&gl, PS_DSF_BP(env), bp_id)) < 0)
		return error;
	for (i = 0; i < gl.n && *out == 0; i++)
		if (gl.items[i].shipped)
			*out = gl.items[i].id;
	ps_bp_gon_list_dispose(&gl);
	return 0;
}

/* Confirm the retailer's cancel request for every line still open. */
static int
confirm_request(int *out_sent, ps_flow_env *env, const ps_dsco_order *o)
{
	ps_dsco_cancel_line *cl;
	ps_dsco_cancel c;
	ps_dsco_outcome out = {0};
	char *req = NULL;
	size_t i, n = 0;
	int by_line = 0, error;

	*out_sent = 0;
	if ((error = ps_dsf__request_get(&req, env->store, o->dsco_order_id,
					 "cancel")) < 0)
		return error;
	if (req != NULL) { /* sent before: follow that one */
		error = ps_dsf__follow(env, req, "cancel", o->po_number);
		if (error == 0 || error == PS_EDATA)
			ps_dsf__request_put(env, o->dsco_order_id, "cancel",
					    "");
		free(req);
		*out_sent = error == 0;
		return error;
	}
	if ((cl = calloc(o->nlines ? o->nlines : 1, sizeof(*cl))) == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	/* a request that names lines flags the order too: then only those
	 * lines; an order-level request alone covers every line */
	for (i = 0; i < o->nlines && !by_line; i++)
		by_line = o->lines[i].cancel_requested;
	for (i = 0; i < o->nlines; i++) {
		const ps_dsco_order_line *l = &o->lines[i];
		int64_t q = open_quantity(l);

		if (q == 0 ||
		    !(by_line ? l->cancel_requested : o->cancel_requested))
			continue;
		/* the line number picks the line; DSCO wants an item
		 * identifier too */
		cl[n].line_number = l->line_number;
		if (l->sku && l->sku[0])
			cl[n].sku = l->sku;
		else if (l->partner_sku && l->partner_sku[0])
			cl[n].partner_sku = l->partner_sku;
		else
			cl[n].dsco_item_id = l->dsco_item_id;
		cl[n].quantity = q;
		cl[n].cancel_code = CANCEL_CODE;
		cl[n].reason = "Cancelled at the retailer's request";
		n++;
	}
	if (n == 0) {
		free(cl);
		return 0;
	}
	memset(&c, 0, sizeof(c));
	c.order.dsco_order_id = o->dsco_order_id;
	c.lines = cl;
	c.nlines = n;
	error = ps_dsco_items_cancel(&out, PS_DSF_DSCO(env), &c);
	free(cl);
	if (error == PS_EDATA) {
		error = ps_error_set(PS_EDATA, "DSCO PO %s: cancel refused: %s",
				     o->po_number,
				     out.messages && out.messages[0]
					     ? out.messages
					     : "no reason given");
	} else if (error == 0 && out.status == PS_DSCO_OUTCOME_PENDING &&
		   out.request_id != NULL) {
		if ((error = ps_dsf__request_put(env, o->dsco_order_id,
						 "cancel", out.request_id)) ==
		    0)
			error = ps_dsf__follow(env, out.request_id, "cancel",
					       o->po_number);
		if (error == 0 || error == PS_EDATA)
			ps_dsf__request_put(env, o->dsco_order_id, "cancel",
					    "");
	}
	ps_dsco_outcome_dispose(&out);
	*out_sent = error == 0;
	return error;
}

static int
wholly_cancelled(const ps_dsco_order *o)
{
	size_t i;

	if (o->status == PS_DSCO_STATUS_CANCELLED)
		return 1;
	for (i = 0; i < o->nlines; i++)
		if (o->lines[i].status != PS_DSCO_LINE_CANCELLED)
			return 0;
	return o->nlines > 0;
}

/* "DSCO PO x: the retailer cancelled line 2 (SKU A) x 1, ..." or "". */
static void
line_note(char *buf, size_t cap, const ps_dsco_order *o)
{
	size_t i, len;
	int n = 0;

	snprintf(buf, cap, "DSCO PO %s: the retailer cancelled", o->po_number);
	for (i = 0; i < o->nlines; i++) {
		const ps_dsco_order_line *l = &o->lines[i];
		int64_t q = l->cancelled_quantity;

		if (q <= 0 && l->status == PS_DSCO_LINE_CANCELLED)
			q = l->quantity;
		if (q <= 0)
			continue;
		len = strlen(buf);
		snprintf(buf + len, cap - len,
			 "%s line %" PRId64 " (SKU %s) x %" PRId64,
			 n ? "," : "", l->line_number, l->sku ? l->sku : "?",
			 q);
		n++;
	}
	if (n == 0)
		buf[0] = '\0';
}

static int
note_once(int *out_added, ps_flow_env *env, int64_t bp_id, const char *text)
{
	ps_bp_note_list nl = {0};
	size_t i;
	int error;

	*out_added = 0;
	if ((error = ps_bp_note_list_get(&nl, PS_DSF_BP(env), bp_id)) < 0)
		return error;
	for (i = 0; i < nl.n; i++)
		if (nl.items[i].text && strcmp(nl.items[i].text, text) == 0)
			break;
	if (i == nl.n) {
		error = ps_bp_note_add(NULL, PS_DSF_BP(env), bp_id, text, 0);
		*out_added = error == 0;
	}
	ps_bp_note_list_dispose(&nl);
	return error;
}

static int
set_status(int *out_moved, ps_flow_env *env, const ps_dsf_settings *s,
	   const ps_dsco_order *o, int64_t bp_id)
{
	ps_bp_order_list ol = {0};
	int64_t status_id = 0;
	char note[256];
	int error;

	*out_moved = 0;
	if (s->cancel_status == NULL)
		return ps_error_set(PS_ESETTING,
				    "waiting for setting dsco.cancel_status");
	if ((error = ps_bp_order_status_resolve(&status_id, PS_DSF_BP(env),
						s->cancel_status,
						PS_SET_DSCO_CANCEL_STATUS)) < 0)
		return error;
	if ((error = ps_bp_order_get(&ol, PS_DSF_BP(env), &bp_id, 1)) < 0)
		return error;
	if (ol.n == 1 && ol.items[0].status_id == status_id) {
		ps_bp_order_list_dispose(&ol);
		return 0;
	}
	ps_bp_order_list_dispose(&ol);
	snprintf(note, sizeof(note), "DSCO PO %s cancelled by the retailer",
		 o->po_number);
	if ((error = ps_bp_order_status_set(PS_DSF_BP(env), bp_id, status_id,
					    note)) < 0)
		return error;
	*out_moved = 1;
	return ps_store_written_int_set(env->store, PS_PLATFORM_BRIGHTPEARL,
					"order", bp_id, "status", status_id,
					FLOW_NAME, env->now);
}

static int
requested(const ps_dsco_order *o)
{
	size_t i;

	if (o->cancel_requested)
		return 1;
	for (i = 0; i < o->nlines; i++)
		if (o->lines[i].cancel_requested && open_quantity(&o->lines[i]))
			return 1;
	return 0;
}

static int
dsci_perform(ps_flow_env *env, const ps_log_entry *entry, ps_flow_result *res)
{
	ps_dsf_settings s;
	ps_dsco_order o;
	char sid[24], note[1024];
	int64_t bp_id = 0, gon = 0;
	int confirmed = 0, moved = 0, added = 0, error;

	if (PS_DSF_DSCO(env) == NULL)
		return ps_error_set(PS_ESETTING,
				    "waiting for setting dsco.client_id");
	if (PS_DSF_BP(env) == NULL)
		return ps_error_set(PS_ESETTING,
				    "waiting for setting brightpearl.account");
	if ((error = ps_dsf__settings_load(&s, env->store)) < 0)
		return error;
	memset(&o, 0, sizeof(o));
	if ((error = ps_dsco_order_get(
		     &o, PS_DSF_DSCO(env), PS_DSCO_KEY_DSCO_ORDER_ID,
		     entry->subject ? entry->subject : "")) < 0)
		goto done;
	/* the xref, else the duplicate guard's reference (an import
	 * interrupted before it linked the order) */
	if ((error = ps_dsf__bp_order(&bp_id, env, &s, o.dsco_order_id, 1)) < 0)
		goto done;
	if (bp_id == 0) {
		error = ps_pair__result(res, NULL,
					"skipped: DSCO PO %s is not in "
					"Brightpearl (its import leaves out "
					"what is cancelled)",
					o.po_number);
		goto done;
	}
	snprintf(sid, sizeof(sid), "%" PRId64, bp_id);
	if ((error = shipped_note(&gon, env, bp_id)) < 0)
		goto done;
	if (gon > 0) {
		error = ps_error_set(PS_EDATA,
				     "DSCO PO %s was cancelled by the retailer "
				     "after Brightpearl order %" PRId64
				     " shipped (goods-out note %" PRId64
				     "): nothing changed; settle it with the "
				     "retailer",
				     o.po_number, bp_id, gon);
		goto done;
	}
	if (requested(&o)) {
		if ((error = confirm_request(&confirmed, env, &o)) < 0)
			goto done;
		ps_dsco_order_dispose(&o);
		memset(&o, 0, sizeof(o));
		if ((error = ps_dsco_order_get(&o, PS_DSF_DSCO(env),
					       PS_DSCO_KEY_DSCO_ORDER_ID,
					       entry->subject)) < 0)
			goto done;
	}
	if (wholly_cancelled(&o)) {
		if ((error = set_status(&moved, env, &s, &o, bp_id)) < 0)
			goto done;
		error = ps_pair__result(
			res, sid,
			"DSCO PO %s cancelled: Brightpearl order %" PRId64
			" %s %s%s",
			o.po_number, bp_id, moved ? "moved to" : "already at",
			s.cancel_status,
			confirmed ? "; cancel confirmed to DSCO (CXSC)" : "");
		goto done;
	}
	line_note(note, sizeof(note), &o);
	if (note[0] != '\0' &&
	    (error = note_once(&added, env, bp_id, note)) < 0)
		goto done;
	error = ps_pair__result(
		res, sid, "%s%s%s",
		note[0] ? note : "DSCO PO: nothing cancelled",
		added ? " (note added to the Brightpearl order)"
		      : (note[0] ? " (note already there)" : ""),
		confirmed ? "; cancel confirmed to DSCO (CXSC)" : "");
done:
	ps_dsco_order_dispose(&o);
	ps_dsf__settings_dispose(&s);
	return error;
}

const ps_flow_ops ps_flow_cancel_import_dsco = {
	.name = FLOW_NAME,
	.alias = "dsco-cancels",
	.description = "DSCO purchase-order cancellations into Brightpearl "
		       "(cancel status or a note), confirmed to DSCO",
	.source = PS_PLATFORM_DSCO,
	.target = PS_PLATFORM_BRIGHTPEARL,
	.enabled_setting = PS_SET_DSCO_ORDERS_ENABLED,
	.owns = dsci_owns,
	.nowns = PS__ARRAY_LEN(dsci_owns),
	.poll = dsci_poll,
	.poll_interval_ms = 0,
	.perform = dsci_perform,
};
