/*
 * replay.c - the generic part of a replay (replay.h): the window, the
 * queueing of the entries a flow's replay slot hands over against the
 * sync log's unique keys, the tally, and the time syntax of --since and
 * --until.
 *
 * What lies in the window, and which keys say an object is synced, is the
 * flow's business (its replay slot); this file never names a platform.
 */
#include "internal.h"
#include "setting_keys.h"
#include "pearlsync/replay.h"
#include "pearlsync/settings.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ps_replay {
	ps_flow_env *env;
	const ps_replay_options *o;
	size_t totals[PS_REPLAY_OUTCOME_COUNT];
	/* the entries the slot's objects were found with (owned), so the
	 * pass over the local log does not report them twice */
	int64_t *seen;
	size_t nseen, capseen;
};

/* The most failed entries of the window the local-log pass takes. */
#define FAILED_MAX 1000

static const char *const outcome_names[PS_REPLAY_OUTCOME_COUNT] = {
	"already synced", "queued", "in progress", "skipped"};
static const char *const outcome_keys[PS_REPLAY_OUTCOME_COUNT] = {
	"synced", "queued", "waiting", "skipped"};

const char *
ps_replay_outcome_name(ps_replay_outcome o)
{
	return (unsigned)o < PS_REPLAY_OUTCOME_COUNT ? outcome_names[o] : "?";
}

const char *
ps_replay_outcome_key(ps_replay_outcome o)
{
	return (unsigned)o < PS_REPLAY_OUTCOME_COUNT ? outcome_keys[o] : "?";
}

int64_t
ps_replay_since(const ps_replay *r)
{
	return r->o->since_ms;
}

int64_t
ps_replay_until(const ps_replay *r)
{
	return r->o->until_ms;
}

int
ps_replay_dry_run(const ps_replay *r)
{
	return r->o->dry_run;
}

int
ps_replay_in_window(const ps_replay *r, int64_t t)
{
	return t >= r->o->since_ms && t <= r->o->until_ms;
}

static void
seen_add(ps_replay *r, int64_t id)
{
	int64_t *v;
	size_t cap;

	if (id <= 0)
		return;
	if (r->nseen == r->capseen) {
		cap = r->capseen ? r->capseen * 2 : 64;
		if ((v = realloc(r->seen, cap * sizeof(*v))) == NULL)
			return; /* at worst an entry is listed twice */
		r->seen = v;
		r->capseen = cap;
	}
	r->seen[r->nseen++] = id;
}

static int
seen_has(const ps_replay *r, int64_t id)
{
	size_t i;

	for (i = 0; i < r->nseen; i++)
		if (r->seen[i] == id)
			return 1;
	return 0;
}

static int
emit(ps_replay *r, const char *object, const char *id,
     ps_replay_outcome outcome, int64_t entry_id, const char *detail)
{
	ps_replay_item it;

	seen_add(r, entry_id);
	r->totals[outcome]++;
	if (r->o->cb == NULL)
		return 0;
	it.object = object;
	it.id = id;
	it.outcome = outcome;
	it.detail = detail;
	it.entry_id = entry_id;
	if (r->o->cb(&it, r->o->payload) != 0)
		return ps_error_set(PS_ESTOPPED, "replay stopped");
	return 0;
}

int
ps_replay_report(ps_replay *r, const char *object, const char *id,
		 ps_replay_outcome outcome, int64_t entry_id, const char *fmt,
		 ...)
{
	char detail[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	return emit(r, object, id, outcome, entry_id, detail);
}

/*
 * What to do with the existing entry x (the key is taken): the outcome,
 * its detail, and whether to make it due again (*act 1: retry a failed
 * one, 2: re-open a skipped one).
 */
static ps_replay_outcome
judge(int *act, char *detail, size_t cap, const ps_log_entry *x, unsigned flags,
      int dry_run)
{
	const char *again = dry_run ? "would be queued again" : "queued again";

	*act = 0;
	switch (x->status) {
	case PS_ENTRY_SYNCED:
		if (x->target_id != NULL && x->target_id[0] != '\0') {
			snprintf(detail, cap, "synced, target %s (entry %lld)",
				 x->target_id, (long long)x->id);
			return PS_REPLAY_SYNCED;
		}
		if (flags & PS_REPLAY_REOPEN_SKIPPED) {
			*act = 2;
			snprintf(detail, cap, "skipped before (%s); %s",
				 x->detail && x->detail[0] ? x->detail
							   : "no target",
				 again);
			return PS_REPLAY_QUEUED;
		}
		snprintf(detail, cap, "handled (entry %lld: %s)",
			 (long long)x->id,
			 x->detail && x->detail[0] ? x->detail : "no target");
		return PS_REPLAY_SYNCED;
	case PS_ENTRY_FAILED:
		*act = 1;
		snprintf(detail, cap, "failed before (%s); %s",
			 x->reason && x->reason[0] ? x->reason : "no reason",
			 again);
		return PS_REPLAY_QUEUED;
	case PS_ENTRY_IN_FLIGHT:
		snprintf(detail, cap, "being performed now (entry %lld)",
			 (long long)x->id);
		return PS_REPLAY_WAITING;
	default:
		snprintf(detail, cap, "already queued (entry %lld%s%s)",
			 (long long)x->id,
			 x->reason && x->reason[0] ? ": " : "",
			 x->reason && x->reason[0] ? x->reason : "");
		return PS_REPLAY_WAITING;
	}
}

/* One transaction: read the key, decide, write.  BEGIN IMMEDIATE holds
 * the write lock, so a worker cannot claim the entry in between. */
static int
queue_locked(ps_replay_outcome *out, int64_t *out_id, char *detail, size_t cap,
	     ps_replay *r, const ps_log_entry *e, unsigned flags)
{
	ps_store *st = r->env->store;
	ps_log_entry x;
	int error, act = 0;

	ps_log_entry_init(&x);
	error = ps_store_log_get_by_key(&x, st, e->dedupe_key);
	if (error == PS_ENOTFOUND) {
		ps_error_clear();
		*out = PS_REPLAY_QUEUED;
		if (!r->o->dry_run &&
		    (error = ps_store_log_add(out_id, st, e, r->env->now)) < 0)
			goto done;
		error = 0;
		if (*out_id > 0)
			snprintf(detail, cap, "not synced; queued (entry %lld)",
				 (long long)*out_id);
		else
			snprintf(detail, cap, "not synced; would be queued");
		goto done;
	}
	if (error < 0)
		goto done;
	*out_id = x.id;
	*out = judge(&act, detail, cap, &x, flags, r->o->dry_run);
	if (r->o->dry_run || act == 0)
		goto done;
	if (act == 1)
		error = ps_store_log_retry(st, x.id, r->env->now);
	else
		error = ps_store_log_mark_pending(
			st, x.id, "replay: queued again", 0, r->env->now);
done:
	ps_log_entry_dispose(&x);
	return error;
}

int
ps_replay_queue(ps_replay *r, const char *object, const char *id,
		const ps_log_entry *e, unsigned flags)
{
	ps_replay_outcome outcome = PS_REPLAY_QUEUED;
	char detail[512] = "";
	int64_t entry_id = 0;
	int error, tx = 0;

	if (!r->o->dry_run) {
		if ((error = ps_store_begin(r->env->store)) < 0)
			return error;
		tx = 1;
	}
	error = queue_locked(&outcome, &entry_id, detail, sizeof(detail), r, e,
			     flags);
	if (tx && error < 0)
		ps_store_rollback(r->env->store);
	else if (tx)
		error = ps_store_commit(r->env->store);
	if (error < 0)
		return error;
	return emit(r, object, id, outcome, entry_id, detail);
}

char *
ps_replay_supported(char *buf, size_t cap)
{
	const ps_flow_ops *const *all = ps_flows_all();
	size_t i, len = 0;
	int n;

	if (cap == 0)
		return buf;
	buf[0] = '\0';
	for (i = 0; all[i] != NULL; i++) {
		if (all[i]->replay == NULL)
			continue;
		n = snprintf(buf + len, cap - len, "%s%s%s%s%s",
			     len > 0 ? ", " : "", all[i]->name,
			     all[i]->alias ? " (" : "",
			     all[i]->alias ? all[i]->alias : "",
			     all[i]->alias ? ")" : "");
		if (n < 0 || (size_t)n >= cap - len)
			break;
		len += (size_t)n;
	}
	if (len == 0)
		snprintf(buf, cap, "none");
	return buf;
}

char *
ps_replay_flow_held(char *buf, size_t cap, ps_store *st,
		    const ps_flow_ops *flow)
{
	char *paused = NULL;
	int on = 1;

	if (cap == 0)
		return buf;
	buf[0] = '\0';
	paused = ps_settings_value(st, PS_SET_SYNC_PAUSED_FLOWS);
	if (paused != NULL && ps_settings_list_contains(paused, flow->name))
		snprintf(buf, cap, "%s is paused by the operator", flow->name);
	else if (flow->enabled_setting != NULL &&
		 ps_settings_get_bool(&on, st, flow->enabled_setting) == 0 &&
		 !on)
		snprintf(buf, cap, "%s is off", flow->enabled_setting);
	ps_error_clear();
	free(paused);
	return buf;
}

/* ---- the local log: entries that failed in the window ------------------ */

typedef struct failed_set {
	const ps_replay *r;
	ps_log_entry *v;
	size_t n;
} failed_set;

static int
collect_failed(const ps_log_entry *e, void *payload)
{
	failed_set *f = payload;
	ps_log_entry *d;

	if (e->inserted_at > f->r->o->until_ms || seen_has(f->r, e->id))
		return 0;
	d = &f->v[f->n];
	ps_log_entry_init(d);
	d->id = e->id;
	d->kind = ps_util__strdup(e->kind ? e->kind : "");
	d->subject =
		ps_util__strdup(e->subject && e->subject[0]
					? e->subject
					: (e->source_id ? e->source_id : ""));
	d->reason = ps_util__strdup(e->reason ? e->reason : "");
	if (d->kind == NULL || d->subject == NULL || d->reason == NULL) {
		ps_log_entry_dispose(d);
		return ps_error_set(PS_ENOMEM, "out of memory");
	}
	f->n++;
	return 0;
}

/*
 * The flow's entries that failed at or after the window's start and
 * existed by its end, and that no object of the slot was found with
 * (an edit, a reconcile, an object the platform no longer lists): queued
 * again, attempts from zero, like `pearlsync retry`.
 */
static int
replay_failed(ps_replay *r, const ps_flow_ops *flow)
{
	failed_set f;
	char object[64], detail[512];
	size_t i;
	int error;

	f.r = r;
	f.n = 0;
	if ((f.v = calloc(FAILED_MAX, sizeof(*f.v))) == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	error = ps_store_log_foreach_since(r->env->store, flow->name,
					   PS_ENTRY_FAILED, r->o->since_ms,
					   FAILED_MAX, collect_failed, &f);
	for (i = 0; i < f.n && error == 0; i++) {
		const ps_log_entry *e = &f.v[i];

		snprintf(object, sizeof(object), "%.*s",
			 (int)strcspn(e->kind, "."), e->kind);
		if (!r->o->dry_run &&
		    (error = ps_store_log_retry(r->env->store, e->id,
						r->env->now)) < 0) {
			if (error != PS_EINVAL)
				break;
			/* claimed or synced meanwhile: not ours to touch */
			ps_error_clear();
			error = 0;
			continue;
		}
		snprintf(detail, sizeof(detail),
			 "failed in the window (%s); %s (entry %lld)",
			 e->reason[0] ? e->reason : "no reason",
			 r->o->dry_run ? "would be queued again"
				       : "queued again",
			 (long long)e->id);
		error = emit(r, object[0] ? object : "entry", e->subject,
			     PS_REPLAY_QUEUED, e->id, detail);
	}
	for (i = 0; i < f.n; i++)
		ps_log_entry_dispose(&f.v[i]);
	free(f.v);
	return error;
}

int
ps_replay_run(size_t *totals, const ps_flow_ops *flow, ps_flow_env *env,
	      const ps_replay_options *options)
{
	ps_replay r;
	char list[1024];
	int error;

	if (totals != NULL)
		memset(totals, 0, sizeof(r.totals));
	if (flow == NULL || env == NULL || options == NULL)
		return ps_error_set(PS_EINVAL, "replay: nothing to replay");
	if (flow->replay == NULL)
		return ps_error_set(PS_EINVAL,
				    "flow %s cannot be replayed; flows that "
				    "can: %s",
				    flow->name,
				    ps_replay_supported(list, sizeof(list)));
	if (options->until_ms <= options->since_ms)
		return ps_error_set(PS_EINVAL,
				    "the window is empty: --until must be "
				    "after --since");
	memset(&r, 0, sizeof(r));
	r.env = env;
	r.o = options;
	error = flow->replay(env, &r);
	if (error == 0)
		error = replay_failed(&r, flow);
	if (totals != NULL)
		memcpy(totals, r.totals, sizeof(r.totals));
	free(r.seen);
	return error;
}

/* ---- --since / --until ------------------------------------------------- */

/* "90m", "2h", "3d", "45s" before now. */
static int
parse_ago(int64_t *out, const char *text, int64_t now_ms)
{
	char *end = NULL;
	long long n;
	int64_t unit;

	errno = 0;
	n = strtoll(text, &end, 10);
	if (end == text || errno != 0 || n < 0 || end[0] == '\0' ||
	    end[1] != '\0')
		return -1;
	switch (end[0]) {
	case 's':
		unit = 1000;
		break;
	case 'm':
		unit = 60000;
		break;
	case 'h':
		unit = 3600000;
		break;
	case 'd':
		unit = 86400000;
		break;
	default:
		return -1;
	}
	if (n > 3650LL * 86400000 / unit)
		return -1;
	*out = now_ms - (int64_t)n * unit;
	return 0;
}

static int
digits(const char *p, int n, int *out)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)p[i]))
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	*out = v;
	return 0;
}

/* "YYYY-MM-DD[(T| )HH:MM[:SS]][Z|+HH:MM|-HH:MM]". */
static int
parse_iso(int64_t *out, const char *p)
{
	int y, mo, d, h = 0, mi = 0, s = 0, oh = 0, om = 0, sign = 0;

	if (digits(p, 4, &y) < 0 || p[4] != '-' || digits(p + 5, 2, &mo) < 0 ||
	    p[7] != '-' || digits(p + 8, 2, &d) < 0)
		return -1;
	p += 10;
	if (*p == 'T' || *p == ' ') {
		if (digits(p + 1, 2, &h) < 0 || p[3] != ':' ||
		    digits(p + 4, 2, &mi) < 0)
			return -1;
		p += 6;
		if (*p == ':') {
			if (digits(p + 1, 2, &s) < 0)
				return -1;
			p += 3;
		}
	}
	if (*p == 'Z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		if (digits(p + 1, 2, &oh) < 0 || p[3] != ':' ||
		    digits(p + 4, 2, &om) < 0)
			return -1;
		p += 6;
	}
	if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
	    mi > 59 || s > 60 || oh > 23 || om > 59)
		return -1;
	*out = (ps_util__days_from_civil(y, mo, d) * 86400 + h * 3600 +
		mi * 60 + s - sign * (oh * 3600 + om * 60)) *
	       1000;
	return 0;
}

int
ps_replay_time_parse(int64_t *out, const char *text, int64_t now_ms)
{
	*out = 0;
	if (text == NULL || text[0] == '\0')
		return ps_error_set(PS_EINVAL, "an empty time");
	if (strlen(text) <= 12 && parse_ago(out, text, now_ms) == 0)
		return 0;
	if (parse_iso(out, text) == 0)
		return 0;
	*out = 0;
	return ps_error_set(PS_EINVAL,
			    "'%s' is not a time: use 2026-12-03T14:00Z, "
			    "2026-12-03 14:00+01:00, 2026-12-03 or 90m/2h/3d "
			    "ago",
			    text);
}
