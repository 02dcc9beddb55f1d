/*
 * audit_hook.c - the worker's one way into the audit trail.
 *
 * The worker opens an attempt row before a flow performs an entry (so a
 * worker killed mid-attempt leaves an attempt that never ended), keeps
 * what the HTTP client's observer reports while it is open, and writes the
 * attempt's end and its requests' summaries once the outcome is recorded,
 * in one transaction.  Flows know nothing of it: every flow, every
 * platform, through this one path.
 *
 * The audit must never cost an entry: a write that fails is logged at
 * warn and dropped, and the thread's last error (which the worker copies
 * into the entry's reason) is put back as it was.
 */
#include "internal.h"
#include "setting_keys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pearlsync/audit.h"
#include "pearlsync/log.h"
#include "pearlsync/settings.h"
#include "worker_int.h"

#define MOD "worker"
#define DAY_MS ((int64_t)86400000)

/* Keep the thread's last error across fn's store calls. */
typedef struct saved_error {
	int code;
	char text[PS_ERROR_MAX];
} saved_error;

static void
save_error(saved_error *s)
{
	s->code = ps_error_last_code();
	ps_util__strlcpy(s->text, ps_error_last(), sizeof(s->text));
}

static void
restore_error(const saved_error *s)
{
	if (s->code != 0)
		ps_error_set(s->code, "%s", s->text);
	else
		ps_error_clear();
}

static void
dropped(const char *what)
{
	ps_log_warn(MOD, "audit trail: %s: %s", what, ps_error_last());
	ps_error_clear();
}

static void
on_exchange(void *ctx, const ps_http_exchange *x)
{
	ps_worker__audit *a = ctx;
	ps_worker__audit_req *r;

	if (a->nopen == 0)
		return; /* a poll's or a hook's request: no record of its own */
	if (a->nreqs >= PS_WORKER__AUDIT_REQUESTS) {
		a->dropped++;
		return;
	}
	r = &a->reqs[a->nreqs++];
	r->platform = x->platform;
	ps_util__strlcpy(r->method, x->method ? x->method : "?",
			 sizeof(r->method));
	ps_util__strlcpy(r->path, x->path ? x->path : "/", sizeof(r->path));
	r->status = x->status;
	r->error = x->error;
	r->elapsed_ms = x->elapsed_ms;
	r->bytes = x->bytes;
	r->at = a->clock->now_ms(a->clock->ctx);
}

int
ps_worker__audit_init(ps_worker__audit *a, ps_store *st, const ps_clock *clock,
		      ps_http *http)
{
	memset(a, 0, sizeof(*a));
	a->st = st;
	a->clock = clock;
	a->open = calloc(PS_FLOW_BATCH_MAX, sizeof(*a->open));
	a->reqs = calloc(PS_WORKER__AUDIT_REQUESTS, sizeof(*a->reqs));
	if (a->open == NULL || a->reqs == NULL) {
		ps_worker__audit_dispose(a);
		return ps_error_set(PS_ENOMEM, "out of memory");
	}
	if (http != NULL)
		ps_http_set_observer(http, on_exchange, a);
	return 0;
}

void
ps_worker__audit_dispose(ps_worker__audit *a)
{
	if (a == NULL)
		return;
	free(a->open);
	free(a->reqs);
	a->open = NULL;
	a->reqs = NULL;
	a->nopen = a->nreqs = 0;
}

void
ps_worker__audit_begin(ps_worker__audit *a, const ps_log_entry *v, size_t k)
{
	int64_t version = -1, now;
	saved_error se;
	size_t i;
	int began;

	if (a->open == NULL)
		return;
	save_error(&se);
	if (k > PS_FLOW_BATCH_MAX)
		k = PS_FLOW_BATCH_MAX;
	if (ps_store_settings_version(&version, a->st) < 0) {
		dropped("reading the settings version");
		version = -1;
	}
	now = a->clock->now_ms(a->clock->ctx);
	a->nreqs = a->dropped = 0;
	/* a batch's attempts open in one transaction */
	began = k > 1 && ps_store_begin(a->st) == 0;
	for (i = 0; i < k; i++) {
		ps_worker__audit_slot *s = &a->open[i];

		memset(s, 0, sizeof(*s));
		s->entry_id = v[i].id;
		ps_util__strlcpy(s->outcome, "in flight", sizeof(s->outcome));
		if (ps_store_audit_attempt_begin(
			    &s->attempt_id, a->st, &v[i], version,
			    i > 0 ? a->open[0].attempt_id : 0, now) < 0)
			dropped("opening an attempt");
	}
	if (began && ps_store_commit(a->st) < 0) {
		dropped("opening attempts");
		ps_store_rollback(a->st);
		for (i = 0; i < k; i++)
			a->open[i].attempt_id = 0;
	}
	ps_error_clear();
	a->nopen = k;
	restore_error(&se);
}

static const char *
outcome_of(int code)
{
	if (code >= 0)
		return "synced";
	if (code == PS_ESTOPPED)
		return "interrupted";
	if (code == PS_EAUTH)
		return "failed: credentials refused";
	switch (ps_flow_classify(code)) {
	case PS_FLOW_RETRY:
		return "failed: will retry";
	case PS_FLOW_WAIT_SETTING:
		return "waiting for a setting";
	default:
		return "failed: waits for the operator";
	}
}

void
ps_worker__audit_outcome(ps_worker__audit *a, size_t i, int code,
			 const ps_flow_result *res)
{
	ps_worker__audit_slot *s;

	if (i >= a->nopen)
		return;
	s = &a->open[i];
	/* a batch its flow declined: each entry is then performed alone */
	ps_util__strlcpy(s->outcome,
			 res == NULL && code == PS_ESTOPPED
				 ? "not attempted in a batch"
				 : outcome_of(code),
			 sizeof(s->outcome));
	if (code >= 0) {
		ps_util__strlcpy(s->reason,
				 res != NULL && res->warning ? res->warning
							     : "",
				 sizeof(s->reason));
		ps_util__strlcpy(s->target,
				 res != NULL && res->target_id ? res->target_id
							       : "",
				 sizeof(s->target));
	} else {
		ps_util__strlcpy(s->reason, ps_error_last(), sizeof(s->reason));
		s->target[0] = '\0';
	}
	ps_redact(s->reason, sizeof(s->reason));
}

void
ps_worker__audit_finish(ps_worker__audit *a)
{
	ps_audit_request r;
	ps_worker__audit_req more;
	int64_t now;
	saved_error se;
	size_t i, j, n;
	int began;

	if (a->nopen == 0)
		return;
	save_error(&se);
	now = a->clock->now_ms(a->clock->ctx);
	began = ps_store_begin(a->st) == 0;
	if (!began)
		dropped("starting to record attempts");
	n = a->nreqs;
	if (a->dropped > 0) {
		/* one summary row says how many more were made */
		memset(&more, 0, sizeof(more));
		more.platform = a->reqs[n - 1].platform;
		ps_util__strlcpy(more.method, "...", sizeof(more.method));
		snprintf(more.path, sizeof(more.path),
			 "(%zu more requests not listed)", a->dropped);
		more.at = now;
	}
	for (i = 0; i < a->nopen; i++) {
		ps_worker__audit_slot *s = &a->open[i];

		if (s->attempt_id == 0)
			continue;
		if (ps_store_audit_attempt_end(a->st, s->attempt_id, s->outcome,
					       s->reason, s->target, now) < 0)
			dropped("closing an attempt");
		/* a batch's requests: once, under its first attempt */
		for (j = 0; i == 0 && j <= n; j++) {
			const ps_worker__audit_req *q =
				j < n ? &a->reqs[j] : &more;

			if (j == n && a->dropped == 0)
				break;
			r.platform = q->platform;
			r.method = q->method;
			r.path = q->path;
			r.status = q->status;
			r.error = q->error;
			r.at = q->at;
			r.duration_ms = q->elapsed_ms;
			r.bytes = q->bytes;
			if (ps_store_audit_request_add(a->st, s->attempt_id,
						       s->entry_id, &r) < 0) {
				dropped("recording a request");
				break;
			}
		}
	}
	if (began && ps_store_commit(a->st) < 0) {
		dropped("recording attempts");
		ps_store_rollback(a->st);
	}
	a->nopen = a->nreqs = a->dropped = 0;
	restore_error(&se);
}

void
ps_worker__audit_event(ps_worker__audit *a, const ps_event *ev)
{
	saved_error se;

	save_error(&se);
	if (ps_store_audit_event_add(a->st, ev) < 0)
		dropped("recording an event");
	restore_error(&se);
}

void
ps_worker__audit_prune(ps_worker__audit *a, int64_t now)
{
	int64_t days = 0;
	size_t n = 0;

	if (now < a->next_prune)
		return;
	a->next_prune = now + DAY_MS;
	if (ps_settings_get_int(&days, a->st, PS_SET_LOG_AUDIT_KEEP_DAYS) < 0) {
		dropped("reading log.audit_keep_days");
		return;
	}
	if (days <= 0)
		return; /* kept for ever */
	if (ps_store_audit_prune(&n, a->st, now - days * DAY_MS) < 0) {
		dropped("pruning");
		return;
	}
	if (n > 0)
		ps_log_info(MOD,
			    "audit trail: %zu rows older than %lld days "
			    "pruned",
			    n, (long long)days);
}
