/*
 * logs.c - the change logs (/order/log, /inventory/log, /invoice/log)
 * that say what an asynchronous request finally did, and the helper
 * that waits for a request to finish.
 *
 * A log read by requestId answers {"status": "PROCESSING"|"COMPLETED",
 * "logs": [{payload, status, results[]...}], "scrollId"?}.  No entries
 * means DSCO has not processed the request yet.  The async failure that
 * would otherwise go unseen (a shipment accepted with 202, then dropped)
 * is an entry with status "failure" and its reasons in results.
 */
#include "internal.h"
#include "platforms/dsco/dsco_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

/* Pages of one request's log read at most. */
#define DSCO_LOG_PAGES_MAX 100

static const char *const log_paths[] = {"/order/log", "/inventory/log",
					"/invoice/log"};
static const char *const log_endpoints[] = {"order/log", "inventory/log",
					    "invoice/log"};

void
ps_dsco_change_log_dispose(ps_dsco_change_log *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->count; i++) {
		free(l->items[i].results);
		free(l->items[i].subject);
	}
	free(l->items);
	memset(l, 0, sizeof(*l));
}

/* What a log entry's payload was about: "order 1", "sku X", ... */
static int
subject_of(char **out, const json_t *payload)
{
	static const struct {
		const char *key, *label;
	} keys[] = {
		{"invoiceId", "invoice"},
		{"dscoOrderId", "order"},
		{"poNumber", "PO"},
		{"supplierOrderNumber", "supplier order"},
		{"sku", "sku"},
		{"id", "order"},
	};
	char buf[200];
	size_t i;

	*out = NULL;
	if (json_is_array(payload))
		payload = json_array_get(payload, 0);
	for (i = 0; json_is_object(payload) && i < PS__ARRAY_LEN(keys); i++) {
		const json_t *v = json_object_get(payload, keys[i].key);

		if (json_is_string(v))
			snprintf(buf, sizeof(buf), "%s %.150s", keys[i].label,
				 json_string_value(v));
		else if (json_is_integer(v))
			snprintf(buf, sizeof(buf), "%s %" JSON_INTEGER_FORMAT,
				 keys[i].label, json_integer_value(v));
		else
			continue;
		if ((*out = ps_util__strdup(buf)) == NULL)
			return ps_error_set(PS_ENOMEM, NULL);
		return 0;
	}
	return 0;
}

static int
read_page(ps_dsco_change_log *out, const json_t *root)
{
	const json_t *logs = json_object_get(root, "logs");
	const char *st = json_string_value(json_object_get(root, "status"));
	size_t i, n = json_is_array(logs) ? json_array_size(logs) : 0;
	ps_dsco_log_entry *p;
	int error;

	if (st != NULL)
		out->completed = strcasecmp(st, "COMPLETED") == 0;
	if (n == 0)
		return 0;
	p = realloc(out->items, (out->count + n) * sizeof(*p));
	if (p == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	out->items = p;
	for (i = 0; i < n; i++) {
		const json_t *e = json_array_get(logs, i);
		const char *s = json_string_value(json_object_get(e, "status"));
		ps_dsco_log_entry *le = &out->items[out->count];

		memset(le, 0, sizeof(*le));
		out->count++;
		le->status = s == NULL ? PS_DSCO_OUTCOME_PENDING
			     : strcasecmp(s, "success") == 0
				     ? PS_DSCO_OUTCOME_SUCCESS
			     : strcasecmp(s, "failure") == 0
				     ? PS_DSCO_OUTCOME_FAILURE
				     : PS_DSCO_OUTCOME_PENDING;
		if ((error = ps_dsco__messages(&le->results,
					       json_object_get(e, "results"))) <
			    0 ||
		    (error = subject_of(&le->subject,
					json_object_get(e, "payload"))) < 0)
			return error;
	}
	return 0;
}

int
ps_dsco_change_log_get(ps_dsco_change_log *out, ps_dsco *d,
		       ps_dsco_log_kind kind, const char *request_id)
{
	ps_conn_buf path = PS_CONN_BUF_INIT(0);
	json_t *root = NULL;
	char *scroll = NULL, what[160];
	int page, error = 0;

	memset(out, 0, sizeof(*out));
	if ((unsigned)kind >= PS__ARRAY_LEN(log_paths) || request_id == NULL ||
	    request_id[0] == '\0')
		return ps_error_set(PS_EINVAL, "DSCO change log: no request "
					       "id");
	snprintf(what, sizeof(what), "change log of request %.100s",
		 request_id);
	for (page = 1; page <= DSCO_LOG_PAGES_MAX; page++) {
		struct ps_dsco__req rq = {"GET", NULL, log_endpoints[kind],
					  NULL,  1,    what};
		const json_t *sid, *logs;

		ps_conn__buf_clear(&path);
		ps_conn__buf_add(&path, log_paths[kind]);
		ps_conn__buf_add(&path, "?requestId=");
		ps_conn__buf_add_urlenc(&path, request_id);
		if (scroll != NULL) {
			ps_conn__buf_add(&path, "&scrollId=");
			ps_conn__buf_add_urlenc(&path, scroll);
		}
		if ((error = ps_conn__buf_check(&path, "a DSCO log URL")) < 0)
			goto done;
		rq.path = path.data;
		json_decref(root);
		root = NULL;
		if ((error = ps_dsco__call(&root, NULL, d, &rq)) < 0)
			goto done;
		if ((error = read_page(out, root)) < 0)
			goto done;
		logs = json_object_get(root, "logs");
		sid = json_object_get(root, "scrollId");
		if (!json_is_array(logs) || json_array_size(logs) == 0 ||
		    !json_is_string(sid) || json_string_length(sid) == 0)
			break;
		free(scroll);
		if ((scroll = ps_util__strdup(json_string_value(sid))) ==
		    NULL) {
			error = ps_error_set(PS_ENOMEM, NULL);
			goto done;
		}
	}
done:
	free(scroll);
	json_decref(root);
	ps_conn__buf_dispose(&path);
	if (error < 0)
		ps_dsco_change_log_dispose(out);
	return error;
}

/* The outcome of a finished log: FAILURE with its reasons, or SUCCESS. */
static int
summarise(ps_dsco_outcome *o, const ps_dsco_change_log *l)
{
	ps_conn_buf b = PS_CONN_BUF_INIT(4096);
	size_t i, failed = 0;

	o->status = PS_DSCO_OUTCOME_SUCCESS;
	for (i = 0; i < l->count; i++) {
		const ps_dsco_log_entry *e = &l->items[i];

		if (e->status != PS_DSCO_OUTCOME_FAILURE)
			continue;
		o->status = PS_DSCO_OUTCOME_FAILURE;
		if (failed++ > 0)
			ps_conn__buf_add(&b, "; ");
		if (e->subject != NULL) {
			ps_conn__buf_add(&b, e->subject);
			ps_conn__buf_add(&b, ": ");
		}
		ps_conn__buf_add(&b, e->results[0] ? e->results : "failed");
	}
	if (b.error == PS_ETOOBIG)
		b.error = 0;
	ps_conn__buf_add(&b, "");
	if (b.error == PS_ETOOBIG)
		b.error = 0;
	return ps_conn__buf_detach(&o->messages, &b);
}

/* Any entry still pending? */
static int
any_pending(const ps_dsco_change_log *l)
{
	size_t i;

	for (i = 0; i < l->count; i++)
		if (l->items[i].status == PS_DSCO_OUTCOME_PENDING)
			return 1;
	return 0;
}

int
ps_dsco_request_follow(ps_dsco_outcome *out, ps_dsco *d, ps_dsco_log_kind kind,
		       const char *request_id,
		       const ps_dsco_follow_options *opts)
{
	ps_dsco_outcome o;
	ps_dsco_change_log l;
	int64_t wait =
		opts && opts->first_wait_ms > 0 ? opts->first_wait_ms : 1000;
	int64_t cap = opts && opts->max_wait_ms > 0 ? opts->max_wait_ms : 15000;
	int64_t total = opts && opts->total_ms > 0 ? opts->total_ms : 120000;
	int64_t waited = 0;
	int error = 0;

	memset(&o, 0, sizeof(o));
	memset(&l, 0, sizeof(l));
	if (request_id == NULL || request_id[0] == '\0') {
		error = ps_error_set(PS_EINVAL,
				     "DSCO: no request id to follow");
		goto done;
	}
	if ((o.request_id = ps_util__strdup(request_id)) == NULL) {
		error = ps_error_set(PS_ENOMEM, NULL);
		goto done;
	}
	for (;;) {
		ps_dsco_change_log_dispose(&l);
		if ((error = ps_dsco_change_log_get(&l, d, kind, request_id)) <
		    0)
			goto done;
		if (l.count > 0 && l.completed && !any_pending(&l))
			break;
		if (waited >= total) {
			o.status = PS_DSCO_OUTCOME_PENDING;
			error = ps_error_set(PS_ETIMEOUT,
					     "DSCO request %s: still "
					     "processing after %lld s; it "
					     "will be looked at again",
					     request_id,
					     (long long)(waited / 1000));
			goto done;
		}
		if (wait > total - waited)
			wait = total - waited;
		ps_dsco__sleep(d, wait);
		waited += wait;
		wait = wait * 2 > cap ? cap : wait * 2;
	}
	if ((error = summarise(&o, &l)) < 0)
		goto done;
	if (o.status == PS_DSCO_OUTCOME_FAILURE)
		error = ps_error_set(PS_EDATA, "DSCO request %s: failed: %s",
				     request_id, o.messages);
done:
	ps_dsco_change_log_dispose(&l);
	if (out != NULL)
		*out = o;
	else
		ps_dsco_outcome_dispose(&o);
	return error;
}
