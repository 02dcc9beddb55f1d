/*
 * worker.c - the worker loop: heartbeat, operator requests, webhook events,
 * polls, due log entries and the retry policy.
 *
 * The worker is the only place that decides what happens to a failed
 * entry.  A flow's perform returns a code; ps_flow_classify turns it into
 * "retry later" (failed, next attempt scheduled with capped exponential
 * backoff and jitter, until sync.max_attempts), "wait for the operator"
 * (failed, nothing scheduled) or "waiting for a setting" (pending, looked
 * at again every poll interval, so fixing the setting is enough).
 *
 * A flow is skipped (no poll, nothing performed; its events still reach
 * on_event so nothing is lost) while it is paused (sync.paused_flows), its
 * enabled setting is off, or a platform it needs is not configured.  The
 * reason is logged once when it changes and shown in the heartbeat state.
 */
#include "pearlsync/worker.h"
#include "internal.h"
#include "setting_keys.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "pearlsync/alerts.h"
#include "pearlsync/connect.h"
#include "pearlsync/privacy.h"
#include "pearlsync/report.h"
#include "pearlsync/settings.h"
#include "worker_int.h"

#define MOD "worker"
#define SKIP_MAX 160
#define STATE_MAX 512
/* Longest single sleep between two looks at the stop flag. */
#define SLEEP_SLICE_MS 200
/* Events taken per tick, and the wait before offering a failed one again. */
#define EVENT_BATCH 64
#define EVENT_RETRY_MS 5000
/* A heartbeat between entries when the last is older than this. */
#define BEAT_IN_BATCH_MS 5000
/* Entries due within this long of a flow's last claim: arrivals are often. */
#define ARRIVALS_OFTEN_MS 2000
/* A first-class flow keeps lower ones waiting this long after its work. */
#define FIRST_BUSY_MS 10000
/* Requests taken per tick. */
#define REQUEST_BATCH 32
/* The API budget is recorded at least this often while known. */
#define RATE_RECORD_MS 10000
/* Hex digits of a credentials fingerprint, and its cursor's prefix. */
#define AUTH_FP_LEN 16
#define AUTH_CURSOR PS_AUTH_REFUSED_CURSOR /* alerts.h */

/* Per-flow run-time state. */
typedef struct flow_rt {
	const ps_flow_ops *ops;
	void *state;
	int inited;
	int64_t next_poll; /* ms; 0 = at once */
	int64_t last_poll; /* ms; 0 = not yet */
	int run_now;       /* an operator asked */
	int held;          /* entries held for a circuit breaker (logged) */
	/* pacing (see "Pacing" below) */
	int64_t last_claim; /* ms of the last claim that got entries; 0 */
	int64_t hold_until; /* ms; 0: not holding due entries for a batch */
	int yielding; /* waiting for a first-class flow: a budget is short */
	char skip[SKIP_MAX]; /* why it is skipped now; "" = runs */
} flow_rt;

/* An event an on_event refused, offered again later. */
typedef struct held_event {
	ps_event ev;
	int64_t retry_at;
} held_event;

struct ps_worker {
	ps_store *st;
	ps_config cfg;
	ps_worker_options o;
	flow_rt *flows;
	size_t nflows;
	/* connectors */
	ps_http *http;
	ps_platform_conns conns;
	int own_conn;
	int64_t conn_version; /* settings version they were built from */
	int conn_built;
	char conn_note[SKIP_MAX];
	/* listener and hooks */
	ps_listener *listener;
	int64_t next_hooks;
	/* events on_event refused */
	held_event *held;
	size_t nheld;
	/* bookkeeping */
	int64_t started_at;
	size_t failed; /* entries failed or left waiting */
	int backlog;
	size_t full_batches;
	int64_t hold_ms; /* sync.batch_hold_ms, read each tick */
	/* when a first-class flow on each platform last had due work (ms) */
	int64_t first_busy[PS_PLATFORM_MAX];
	int64_t hooks_seen; /* deliveries stored, at the last look */
	char *svc_pacing;   /* the last "worker.pacing" cache row written */
	int64_t last_beat;
	int beats; /* the heartbeat is ours (written once: not sync-once) */
	long rate_left[PS_PLATFORM_MAX]; /* last recorded API budget */
	int64_t rate_at[PS_PLATFORM_MAX];
	char state[STATE_MAX];
	volatile sig_atomic_t no_stop;
	/* the HTTP client's clock: base's time, sleeps that keep beating */
	ps_clock http_clock;
	const ps_clock *http_base;
	int wait_tx_logged; /* "cannot beat inside a transaction" said once */
	ps_report_timer report; /* the daily e-mail report (report.h) */
	/* privacy.retention_days (privacy.h): the next sweep, and what the
	 * current one has redacted so far */
	int64_t retain_next;
	int64_t retain_values;
	/* the service manager and monitoring (svc_* below) */
	ps_worker__stats stats; /* shared with the listener */
	int64_t wd_every_ms;    /* WATCHDOG=1 period (half of systemd's) */
	int64_t wd_last_ms;     /* monotonic ms of the last WATCHDOG=1 */
	int stopping_sent;      /* STOPPING=1 said */
	char svc_status[256];   /* the last STATUS= line sent */
	char *svc_flows;        /* the last "worker.flows" cache row written */
	/* credentials a platform refused (auth_*): their fingerprint, ""
	 * while none are refused; the 401/403 count at the batch's start */
	char auth_fp[PS_PLATFORM_MAX][AUTH_FP_LEN + 1];
	int64_t auth_seen[PS_PLATFORM_MAX];
	int auth_loaded;
	/* the credentials now and the last ones a platform took, and the
	 * settings version auth_cur was computed from */
	char auth_cur[PS_PLATFORM_MAX][AUTH_FP_LEN + 1];
	char auth_ok[PS_PLATFORM_MAX][AUTH_FP_LEN + 1];
	int64_t auth_version;
	ps_worker__audit audit; /* the audit trail's choke point */
};

/* ------------------------------------------------------------------------ */
/* Clock                                                                     */

static int64_t
now_ms(const ps_worker *w)
{
	return w->o.clock->now_ms(w->o.clock->ctx);
}

static int
stopping(const ps_worker *w)
{
	return *w->o.stop != 0;
}

/* ------------------------------------------------------------------------ */
/* Retry schedule                                                            */

int64_t
ps_worker_retry_delay(int64_t base_ms, int64_t cap_ms, int attempt, uint64_t r)
{
	int64_t d = base_ms > 0 ? base_ms : 1;
	int i;

	for (i = 1; i < attempt && d < cap_ms; i++)
		d *= 2;
	if (d > cap_ms)
		d = cap_ms;
	return d / 2 + (int64_t)(r % (uint64_t)(d / 2 + 1));
}

/*
 * The circuit breakers of the HTTP client the connectors use (the worker's
 * own, or the one the caller passed with its connectors): the ms until a
 * platform f needs is sent requests again (0: now), and in *out_open
 * whether one of them is open (cooling down, or its probe due).
 */
static int64_t
breaker_wait(const ps_worker *w, const flow_rt *f, int *out_open)
{
	const ps_http *h = w->http != NULL ? w->http : w->o.http_client;
	int64_t a, b;
	int oa = 0, ob = 0;

	a = ps_http_breaker_wait_ms(h, f->ops->source, &oa);
	b = ps_http_breaker_wait_ms(h, f->ops->target, &ob);
	*out_open = oa || ob;
	return a > b ? a : b;
}

/*
 * How many of f's due entries to claim now.  While a platform f needs is
 * down and cooling down, none: they stay due and untouched (a claim counts
 * an attempt, and an outage must not use up sync.max_attempts); when its
 * probe is due, one, whose outcome decides for the rest; else a batch.
 */
static size_t
breaker_claim(ps_worker *w, flow_rt *f)
{
	int open;
	int64_t wait = breaker_wait(w, f, &open);

	if (wait > 0 && !f->held)
		ps_log_info(MOD,
			    "flow %s: entries held, a platform it needs is "
			    "unreachable (next try in %lld s)",
			    f->ops->name, (long long)((wait + 999) / 1000));
	else if (!open && f->held)
		ps_log_info(MOD, "flow %s: entries go again", f->ops->name);
	f->held = open;
	if (wait > 0)
		return 0;
	return open ? 1 : w->o.claim_batch;
}

/* ------------------------------------------------------------------------ */
/* Settings                                                                  */

/* A bool setting; a store error or a bad value reads as dflt. */
static int
setting_bool(ps_store *st, const char *key, int dflt)
{
	int v;

	if (ps_settings_get_bool(&v, st, key) < 0) {
		ps_error_clear();
		return dflt;
	}
	return v;
}

static int64_t
setting_int(ps_store *st, const char *key, int64_t dflt)
{
	int64_t v;

	if (ps_settings_get_int(&v, st, key) < 0) {
		ps_error_clear();
		return dflt;
	}
	return v;
}

/* ------------------------------------------------------------------------ */
/* Connectors                                                                */

/* (Re)build bp and bc when the settings changed since the last build. */
static void
refresh_connectors(ps_worker *w)
{
	int64_t version = 0;
	int error;

	if (!w->own_conn)
		return;
	if (ps_store_settings_version(&version, w->st) < 0) {
		ps_error_clear();
		return;
	}
	if (w->conn_built && version == w->conn_version)
		return;
	ps_platforms_disconnect(&w->conns);
	w->conn_note[0] = '\0';
	if (w->http == NULL)
		return; /* ps_worker_new made it, or failed */
	if ((error = ps_platforms_connect(&w->conns, w->st, &w->cfg, w->http,
					  MOD)) < 0)
		ps_log_error(MOD, "connecting the platforms: %s",
			     ps_error_last());
	ps_error_clear();
	w->conn_version = version;
	w->conn_built = 1;
}

/* ------------------------------------------------------------------------ */
/* Refused credentials                                                       */

/*
 * When a platform answers 401/403 the entry that met it is parked as
 * waiting for that platform's credentials (failed, error code PS_EAUTH,
 * nothing scheduled), and every flow that talks to the platform is held:
 * no poll, no entry, so a wrong token is not sent again and again.  The
 * credentials' fingerprint (a digest of the platform's own settings: a
 * change of token, account or URL by the console, the command line or an
 * import changes it) is remembered, in memory and in the cursor
 * "auth.refused.<platform>" so a restart keeps waiting.  Each tick
 * compares it with the settings: once they differ the flows run again and
 * the parked entries are due at once, without a retry by the operator.
 *
 * Credentials no request has shown good yet (new ones, or at start) are
 * probed like a platform coming back (breaker_claim): one entry per claim
 * until one succeeds, so a wrong token is refused once, not once per
 * entry of a batch.
 */

/* The fingerprint of platform p's settings into out (hex); "" when p has
 * none or the store cannot say. */
static void
auth_fingerprint(char out[AUTH_FP_LEN + 1], ps_store *st, ps_platform p)
{
	const ps_platform_ops *ops = ps_platform_ops_of(p);
	unsigned char md[32];
	char *buf = NULL, *v, *g;
	size_t i, len = 0, cap = 0, need;

	out[0] = '\0';
	if (ops == NULL || ops->nsettings == 0)
		return;
	for (i = 0; i < ops->nsettings; i++) {
		v = NULL;
		if (ps_store_setting_get(&v, st, ops->settings[i].key) < 0) {
			if (ps_error_last_code() != PS_ENOTFOUND) {
				free(buf);
				ps_error_clear();
				return;
			}
			ps_error_clear();
		}
		need = strlen(ops->settings[i].key) + (v ? strlen(v) : 0) + 3;
		if (len + need > cap) {
			cap = (len + need) * 2;
			if ((g = realloc(buf, cap)) == NULL) {
				free(v);
				free(buf);
				return;
			}
			buf = g;
		}
		len += (size_t)snprintf(buf + len, cap - len, "%s%c%s\n",
					ops->settings[i].key, v ? '=' : '-',
					v ? v : "");
		free(v);
	}
	ps_crypto__sha256(md, buf, len);
	free(buf);
	for (i = 0; i < AUTH_FP_LEN / 2; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static void
auth_count_one(void *ctx, ps_platform platform, const char *endpoint,
	       ps_http_outcome outcome, int64_t count)
{
	int64_t *n = ctx;

	(void)endpoint;
	if (outcome == PS_HTTP_OUT_AUTH && (unsigned)platform < PS_PLATFORM_MAX)
		n[platform] += count;
}

/* The 401/403 answers per platform since the counts were last flushed. */
static void
auth_counts(const ps_worker *w, int64_t out[PS_PLATFORM_MAX])
{
	const ps_http *h = w->http != NULL ? w->http : w->o.http_client;

	memset(out, 0, sizeof(int64_t) * PS_PLATFORM_MAX);
	if (h != NULL)
		ps_http_counts_foreach(h, auth_count_one, out);
}

static void
auth_snapshot(ps_worker *w)
{
	auth_counts(w, w->auth_seen);
}

/*
 * Which of f's platforms refused: the one whose 401/403 count grew since
 * the snapshot, else the one the detail names, else f's target.
 */
static ps_platform
auth_refused_by(const ps_worker *w, const flow_rt *f, const char *detail)
{
	ps_platform cand[2] = {f->ops->source, f->ops->target};
	int64_t now[PS_PLATFORM_MAX];
	size_t i;

	auth_counts(w, now);
	for (i = 0; i < 2; i++)
		if ((unsigned)cand[i] < PS_PLATFORM_MAX &&
		    now[cand[i]] > w->auth_seen[cand[i]])
			return cand[i];
	for (i = 0; i < 2; i++)
		if (strstr(detail, ps_platform_title(cand[i])) != NULL)
			return cand[i];
	return f->ops->target;
}

static int
auth_blocked(const ps_worker *w, ps_platform p)
{
	return (unsigned)p < PS_PLATFORM_MAX && w->auth_fp[p][0] != '\0';
}

/* Remember that p refused its current credentials. */
static void
auth_block(ps_worker *w, ps_platform p, const char *detail)
{
	char stream[64], why[PS_ERROR_MAX];

	/* detail may be ps_error_last(), which the store calls below reset */
	snprintf(why, sizeof(why), "%s", detail);
	detail = why;

	if ((unsigned)p >= PS_PLATFORM_MAX || auth_blocked(w, p))
		return;
	auth_fingerprint(w->auth_fp[p], w->st, p);
	if (w->auth_fp[p][0] == '\0')
		return; /* nothing to watch: the operator retries */
	ps_log_warn(MOD,
		    "%s refused the credentials; its flows wait until they "
		    "change: %s",
		    ps_platform_title(p), detail);
	snprintf(stream, sizeof(stream), AUTH_CURSOR "%s", ps_platform_name(p));
	if (ps_store_cursor_set(w->st, stream, w->auth_fp[p], now_ms(w)) < 0) {
		ps_log_warn(MOD, "remembering the refused credentials: %s",
			    ps_error_last());
		ps_error_clear();
	}
}

/* "waiting for <Title> credentials ..." when f talks to a platform whose
 * credentials were refused; 0 and why untouched otherwise. */
static int
auth_waiting(const ps_worker *w, const ps_flow_ops *ops, char *why, size_t cap)
{
	ps_platform p = auth_blocked(w, ops->source)   ? ops->source
			: auth_blocked(w, ops->target) ? ops->target
						       : PS_PLATFORM_MAX;

	if (p == PS_PLATFORM_MAX)
		return 0;
	snprintf(why, cap,
		 "waiting for %s credentials (refused; resumes when they "
		 "change)",
		 ps_platform_title(p));
	return 1;
}

/* Park entry e of f, refused with detail, until the credentials change. */
static int
auth_park(ps_worker *w, const flow_rt *f, const ps_log_entry *e,
	  const char *detail, int64_t now)
{
	char reason[PS_ERROR_MAX + 128], why[PS_ERROR_MAX];
	ps_platform p = auth_refused_by(w, f, detail);

	snprintf(why, sizeof(why), "%s", detail); /* as in auth_block */
	detail = why;
	auth_block(w, p, detail);
	if (auth_blocked(w, p))
		snprintf(reason, sizeof(reason),
			 "waiting for %s credentials: %s", ps_platform_title(p),
			 detail);
	else /* no settings to watch: the operator retries */
		snprintf(reason, sizeof(reason), "%s", detail);
	ps_log_warn(MOD, "entry %lld %s", (long long)e->id, reason);
	return ps_store_log_mark_failed(w->st, e->id, reason, PS_EAUTH, 0, now);
}

/* Resume what waited for p's credentials: its flows' parked entries. */
static void
auth_resume(ps_worker *w, ps_platform p)
{
	char stream[64];
	size_t i, n, total = 0;

	w->auth_fp[p][0] = '\0';
	snprintf(stream, sizeof(stream), AUTH_CURSOR "%s", ps_platform_name(p));
	if (ps_store_cursor_set(w->st, stream, "", now_ms(w)) < 0)
		ps_error_clear();
	for (i = 0; i < w->nflows; i++) {
		flow_rt *f = &w->flows[i];

		if (f->ops->source != p && f->ops->target != p)
			continue;
		f->run_now = 1;
		if (ps_store_log_resume_auth(&n, w->st, f->ops->name,
					     now_ms(w)) < 0) {
			ps_log_warn(MOD, "resuming %s: %s", f->ops->name,
				    ps_error_last());
			ps_error_clear();
			continue;
		}
		total += n;
	}
	ps_log_info(MOD,
		    "%s credentials changed: flows run again, %zu waiting "
		    "entr%s due now",
		    ps_platform_title(p), total, total == 1 ? "y" : "ies");
}

/* Entries of held flows that fell due (new orders, say) wait too. */
static void
auth_park_due(ps_worker *w)
{
	char why[SKIP_MAX];
	size_t i, n;

	for (i = 0; i < w->nflows; i++) {
		flow_rt *f = &w->flows[i];

		if (!auth_waiting(w, f->ops, why, sizeof(why)))
			continue;
		if (ps_store_log_park_auth(&n, w->st, f->ops->name, why,
					   now_ms(w)) < 0) {
			ps_log_warn(MOD, "parking %s: %s", f->ops->name,
				    ps_error_last());
			ps_error_clear();
		} else if (n > 0) {
			ps_log_info(MOD, "%zu %s entr%s %s", n, f->ops->name,
				    n == 1 ? "y" : "ies", why);
		}
	}
}

/* f's entries or poll went through: its platforms took the credentials. */
static void
auth_proven(ps_worker *w, const flow_rt *f)
{
	ps_platform p[2] = {f->ops->source, f->ops->target};
	size_t i;

	for (i = 0; i < 2; i++)
		if ((unsigned)p[i] < PS_PLATFORM_MAX && !auth_blocked(w, p[i]))
			memcpy(w->auth_ok[p[i]], w->auth_cur[p[i]],
			       sizeof(w->auth_ok[p[i]]));
}

/* How many of f's entries to claim: one while a platform it needs has
 * credentials not shown good yet, else claim. */
static size_t
auth_claim(const ps_worker *w, const flow_rt *f, size_t claim)
{
	ps_platform p[2] = {f->ops->source, f->ops->target};
	size_t i;

	for (i = 0; i < 2 && claim > 1; i++)
		if ((unsigned)p[i] < PS_PLATFORM_MAX &&
		    strcmp(w->auth_ok[p[i]], w->auth_cur[p[i]]) != 0)
			return 1;
	return claim;
}

/*
 * Once per tick: load the refusals a previous run remembered (the first
 * time); when the settings changed, take every platform's fingerprint
 * again and resume each whose refused credentials were replaced.
 */
static void
auth_check(ps_worker *w)
{
	const ps_platform_ops *const *o;
	char stream[64], *v;
	int64_t version = 0;

	if (!w->auth_loaded) {
		w->auth_loaded = 1;
		for (o = ps_platforms_all(); *o != NULL; o++) {
			ps_platform p = (*o)->id;

			if ((unsigned)p >= PS_PLATFORM_MAX)
				continue;
			v = NULL;
			snprintf(stream, sizeof(stream), AUTH_CURSOR "%s",
				 (*o)->name);
			if (ps_store_cursor_get(&v, NULL, w->st, stream) < 0) {
				ps_error_clear();
				continue;
			}
			if (v[0] != '\0')
				ps_util__strlcpy(w->auth_fp[p], v,
						 sizeof(w->auth_fp[p]));
			free(v);
		}
	}
	auth_park_due(w);
	if (ps_store_settings_version(&version, w->st) < 0) {
		ps_error_clear();
		return;
	}
	if (version == w->auth_version && version != 0)
		return;
	w->auth_version = version;
	for (o = ps_platforms_all(); *o != NULL; o++) {
		ps_platform p = (*o)->id;

		if ((unsigned)p >= PS_PLATFORM_MAX)
			continue;
		auth_fingerprint(w->auth_cur[p], w->st, p);
		if (auth_blocked(w, p) && w->auth_cur[p][0] != '\0' &&
		    strcmp(w->auth_cur[p], w->auth_fp[p]) != 0)
			auth_resume(w, p);
	}
}

/* ------------------------------------------------------------------------ */
/* Flows                                                                     */

/*
 * A flow must not leave a store transaction open: the worker's connection
 * would keep the write lock, every later write of the worker (heartbeat,
 * claims) would sit uncommitted inside it and the listener could store no
 * event.  Roll back what was left and say which flow did it.
 */
static void
close_leaked_transaction(ps_worker *w, const char *who, const char *step)
{
	if (!ps_store_in_transaction(w->st))
		return;
	ps_log_error(MOD, "%s left a store transaction open (%s): rolled back",
		     who, step);
	while (ps_store_in_transaction(w->st))
		ps_store_rollback(w->st);
}

static void
env_init(ps_flow_env *env, ps_worker *w, flow_rt *f)
{
	memset(env, 0, sizeof(*env));
	env->store = w->st;
	memcpy(env->conn, w->conns.conn, sizeof(env->conn));
	env->now = now_ms(w);
	env->stop = w->o.stop;
	env->state = f != NULL ? f->state : NULL;
	env->backlog = w->backlog;
}

/* Call init once the flow's platforms are there (init may need them). */
static int
flow_ensure_init(ps_worker *w, flow_rt *f)
{
	ps_flow_env env;
	int error;

	if (f->inited)
		return 0;
	if (f->ops->init != NULL) {
		env_init(&env, w, f);
		error = f->ops->init(&f->state, &env);
		close_leaked_transaction(w, f->ops->name, "init");
		if (error < 0)
			return error;
	}
	f->inited = 1;
	return 0;
}

static int
platform_ready(const ps_worker *w, ps_platform p)
{
	const ps_platform_ops *ops = ps_platform_ops_of(p);

	if (ops == NULL || ops->connect == NULL)
		return 1; /* no connector of ours: the flow manages */
	return (unsigned)p < PS_PLATFORM_MAX && w->conns.conn[p] != NULL;
}

/* Work out f->skip for this tick; log when it changes. */
static void
flow_update_skip(ps_worker *w, flow_rt *f, const char *paused)
{
	char why[SKIP_MAX] = "";
	const ps_flow_ops *ops = f->ops;

	if (paused != NULL && ps_settings_list_contains(paused, ops->name))
		snprintf(why, sizeof(why), "paused by the operator");
	else if (ops->enabled_setting != NULL &&
		 !setting_bool(w->st, ops->enabled_setting, 0))
		snprintf(why, sizeof(why), "%s is off", ops->enabled_setting);
	else if (!platform_ready(w, ops->source))
		snprintf(why, sizeof(why), "%s is not configured",
			 ps_platform_name(ops->source));
	else if (!platform_ready(w, ops->target))
		snprintf(why, sizeof(why), "%s is not configured",
			 ps_platform_name(ops->target));
	else
		auth_waiting(w, ops, why, sizeof(why));
	if (strcmp(why, f->skip) != 0) {
		if (why[0] != '\0')
			ps_log_info(MOD, "flow %s skipped: %s", ops->name, why);
		else
			ps_log_info(MOD, "flow %s runs", ops->name);
		ps_util__strlcpy(f->skip, why, sizeof(f->skip));
	}
}

static void
update_skips(ps_worker *w)
{
	char *paused = ps_settings_value(w->st, PS_SET_SYNC_PAUSED_FLOWS);
	size_t i;

	for (i = 0; i < w->nflows; i++)
		flow_update_skip(w, &w->flows[i], paused);
	free(paused);
}

static flow_rt *
flow_by_name(ps_worker *w, const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < w->nflows; i++)
		if (strcmp(w->flows[i].ops->name, name) == 0 ||
		    (w->flows[i].ops->alias != NULL &&
		     strcmp(w->flows[i].ops->alias, name) == 0))
			return &w->flows[i];
	return NULL;
}

static int64_t
poll_interval(ps_worker *w, const flow_rt *f)
{
	if (f->ops->poll_interval_ms > 0)
		return f->ops->poll_interval_ms;
	return setting_int(w->st, PS_SET_SYNC_POLL_INTERVAL_SECONDS, 60) * 1000;
}

/* Poll f now.  Failures are logged; the next poll is scheduled anyway. */
static int
flow_poll(ps_worker *w, flow_rt *f)
{
	ps_flow_env env;
	int error, asked = f->run_now;

	f->run_now = 0;
	f->last_poll = now_ms(w);
	f->next_poll = f->last_poll + poll_interval(w, f);
	if (f->ops->poll == NULL)
		return 0;
	if ((error = flow_ensure_init(w, f)) < 0) {
		ps_log_error(MOD, "flow %s: init: %s", f->ops->name,
			     ps_error_last());
		return error;
	}
	env_init(&env, w, f);
	env.run_now = asked;
	auth_snapshot(w);
	error = f->ops->poll(&env);
	close_leaked_transaction(w, f->ops->name, "poll");
	if (error < 0) {
		char why[PS_ERROR_MAX];

		snprintf(why, sizeof(why), "%s", ps_error_last());
		if (error == PS_EAUTH)
			auth_block(w, auth_refused_by(w, f, why), why);
		ps_log_warn(MOD, "flow %s: poll failed: %s", f->ops->name, why);
		return error;
	}
	auth_proven(w, f);
	ps_log_debug(MOD, "flow %s polled", f->ops->name);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Entries                                                                   */

/* "waiting for <key>: detail" when the detail names a setting. */
static void
setting_reason(char *buf, size_t cap, const char *detail)
{
	const char *p = strstr(detail, "setting '");
	const char *q;

	if (p != NULL) {
		p += strlen("setting '");
		q = strchr(p, '\'');
		if (q != NULL && q > p) {
			snprintf(buf, cap, "waiting for %.*s: %s", (int)(q - p),
				 p, detail);
			return;
		}
	}
	snprintf(buf, cap, "waiting for a setting: %s", detail);
}

/* Record the outcome of one perform of f's entry e. */
static int
record_result(ps_worker *w, const flow_rt *f, const ps_log_entry *e, int code,
	      const ps_flow_result *res)
{
	char reason[PS_ERROR_MAX + 128], what[128];
	int64_t now = now_ms(w), max, delay, down;
	const ps_random *rnd = w->o.random;
	int open;

	if (code == 0) {
		auth_proven(w, f);
		ps_log_entry_describe(what, sizeof(what), e);
		ps_log_info(MOD, "%s entry %lld (%s) synced%s%s", e->flow,
			    (long long)e->id,
			    what[0] != '\0'           ? what
			    : e->order_number != NULL ? e->order_number
						      : e->dedupe_key,
			    res->target_id ? " as " : "",
			    res->target_id ? res->target_id : "");
		if (res->warning != NULL)
			ps_log_warn(MOD, "%s entry %lld: %s", e->flow,
				    (long long)e->id, res->warning);
		return ps_store_log_mark_synced_warn(
			w->st, e->id, res->target_id, res->detail, res->warning,
			now);
	}
	if (code == PS_ESTOPPED) {
		/* the stop flag cut a wait short: not the entry's fault */
		ps_log_info(MOD,
			    "entry %lld interrupted by the stop; due "
			    "again at the next start",
			    (long long)e->id);
		return ps_store_log_mark_pending(
			w->st, e->id,
			"interrupted by a stop; checking whether the attempt "
			"completed",
			now, now);
	}
	w->failed++;
	snprintf(reason, sizeof(reason), "%s", ps_error_last());
	ps_redact(reason, sizeof(reason));
	if (code == PS_EAUTH)
		return auth_park(w, f, e, reason, now);
	switch (ps_flow_classify(code)) {
	case PS_FLOW_RETRY:
		/*
		 * A platform f needs is down (its breaker is open): not this
		 * entry's fault, so no step of its backoff and no giving up;
		 * it is due when the probe may go, and goes once the
		 * platform answers (breaker_claim).
		 */
		if ((down = breaker_wait(w, f, &open)) > 0) {
			ps_log_info(MOD,
				    "entry %lld waits for the platform: %s",
				    (long long)e->id, reason);
			return ps_store_log_mark_failed(w->st, e->id, reason,
							code, now + down, now);
		}
		max = setting_int(w->st, PS_SET_SYNC_MAX_ATTEMPTS, 8);
		if (e->attempts >= max) {
			size_t len = strlen(reason);

			snprintf(reason + len, sizeof(reason) - len,
				 " (gave up after %d attempts; retry to try "
				 "again)",
				 e->attempts);
			ps_log_warn(MOD, "entry %lld failed: %s",
				    (long long)e->id, reason);
			return ps_store_log_mark_failed(w->st, e->id, reason,
							code, 0, now);
		}
		delay = ps_worker_retry_delay(w->o.backoff_base_ms,
					      w->o.backoff_cap_ms, e->attempts,
					      rnd->next(rnd->ctx));
		ps_log_info(MOD,
			    "entry %lld failed (attempt %d), retry in %llds: "
			    "%s",
			    (long long)e->id, e->attempts,
			    (long long)(delay / 1000), reason);
		return ps_store_log_mark_failed(w->st, e->id, reason, code,
						now + delay, now);
	case PS_FLOW_WAIT_SETTING: {
		char why[PS_ERROR_MAX + 160];

		setting_reason(why, sizeof(why), reason);
		ps_log_warn(MOD, "entry %lld %s", (long long)e->id, why);
		return ps_store_log_mark_pending(
			w->st, e->id, why,
			now + setting_int(w->st,
					  PS_SET_SYNC_POLL_INTERVAL_SECONDS,
					  60) *
					1000,
			now);
	}
	case PS_FLOW_WAIT_OPERATOR:
	default:
		ps_log_warn(MOD,
			    "entry %lld failed, waiting for the "
			    "operator: %s",
			    (long long)e->id, reason);
		return ps_store_log_mark_failed(w->st, e->id, reason, code, 0,
						now);
	}
}

static int
perform_one(ps_worker *w, flow_rt *f, const ps_log_entry *e)
{
	ps_flow_result res = PS_FLOW_RESULT_INIT;
	ps_flow_env env;
	int code, error;

	ps_error_clear();
	if ((code = flow_ensure_init(w, f)) == 0) {
		env_init(&env, w, f);
		ps_worker__audit_begin(&w->audit, e, 1);
		code = f->ops->perform(&env, e, &res);
		if (code > 0)
			code = 0;
		if (code < 0 && ps_error_last_code() == 0)
			ps_error_set(code, "%s", ps_strerror(code));
		ps_worker__audit_outcome(&w->audit, 0, code, &res);
	}
	if (ps_store_in_transaction(w->st)) {
		/* a flow must not leave a transaction open */
		ps_log_error(MOD, "flow %s left a transaction open",
			     f->ops->name);
		while (ps_store_in_transaction(w->st))
			ps_store_rollback(w->st);
	}
	error = record_result(w, f, e, code, &res);
	ps_worker__audit_finish(&w->audit);
	ps_flow_result_dispose(&res);
	if (error < 0)
		ps_log_error(MOD, "recording entry %lld: %s", (long long)e->id,
			     ps_error_last());
	return error;
}

/*
 * Perform k (> 1) entries through the flow's perform_batch and record each
 * outcome.  *out_done: 0 when the flow declined (nothing was attempted),
 * so the caller performs them one at a time.
 */
static int
perform_many(ps_worker *w, flow_rt *f, const ps_log_entry *v, size_t k,
	     int *out_done)
{
	ps_flow_result res[PS_FLOW_BATCH_MAX];
	int codes[PS_FLOW_BATCH_MAX];
	ps_flow_env env;
	size_t i;
	int code, error = 0, rerr;

	*out_done = 0;
	for (i = 0; i < k; i++) {
		res[i].target_id = NULL;
		res[i].detail = NULL;
		res[i].warning = NULL;
		codes[i] = PS_ESTOPPED;
	}
	ps_error_clear();
	if ((code = flow_ensure_init(w, f)) == 0) {
		env_init(&env, w, f);
		ps_worker__audit_begin(&w->audit, v, k);
		code = f->ops->perform_batch(&env, v, k, res, codes);
	}
	if (ps_store_in_transaction(w->st)) {
		ps_log_error(MOD, "flow %s left a transaction open",
			     f->ops->name);
		while (ps_store_in_transaction(w->st))
			ps_store_rollback(w->st);
	}
	if (code < 0) {
		/* nothing attempted: the caller goes one at a time */
		for (i = 0; i < k; i++) {
			ps_worker__audit_outcome(&w->audit, i, PS_ESTOPPED,
						 NULL);
			ps_flow_result_dispose(&res[i]);
		}
		ps_worker__audit_finish(&w->audit);
		ps_error_clear();
		return 0;
	}
	*out_done = 1;
	/* every outcome in one transaction: a batch writes once */
	if (ps_store_begin(w->st) < 0) {
		ps_log_warn(MOD, "recording a batch: %s", ps_error_last());
		ps_error_clear();
	}
	for (i = 0; i < k; i++) {
		ps_error_clear();
		if (codes[i] > 0)
			codes[i] = 0;
		if (codes[i] < 0) {
			ps_error_set(codes[i], "%s",
				     res[i].detail ? res[i].detail
						   : ps_strerror(codes[i]));
		}
		ps_worker__audit_outcome(&w->audit, i, codes[i], &res[i]);
		rerr = record_result(w, f, &v[i], codes[i], &res[i]);
		ps_flow_result_dispose(&res[i]);
		if (rerr < 0) {
			ps_log_error(MOD, "recording entry %lld: %s",
				     (long long)v[i].id, ps_error_last());
			if (error == 0)
				error = rerr;
		}
	}
	if (ps_store_in_transaction(w->st) &&
	    (rerr = ps_store_commit(w->st)) < 0) {
		/* the entries stay in flight: the next start treats them as
		 * interrupted and looks their work up before redoing it */
		ps_log_error(MOD, "recording a batch: %s", ps_error_last());
		ps_store_rollback(w->st);
		if (error == 0)
			error = rerr;
	}
	ps_worker__audit_finish(&w->audit);
	return error;
}

static int write_heartbeat(ps_worker *w, const char *state);
static void svc_cache(ps_worker *w, const char *kind, json_t *doc, char **last);

/* ------------------------------------------------------------------------ */
/* Pacing                                                                    */

/*
 * The HTTP client's limiter spreads a short budget over its window
 * (http.h: ps_http_limit_pace).  The worker helps it two ways.
 *
 * Batches: an order alone costs Brightpearl two or three requests, in a
 * batch well under one.  So while orders arrive often (one due within
 * ARRIVALS_OFTEN_MS of the flow's last claim) or the budget is short, a
 * flow that can batch holds its due entries until a full batch is due or
 * the oldest has waited sync.batch_hold_ms.  With budget to spare and
 * orders far apart, an order goes at once.
 *
 * Priorities: while a platform's budget is short and a first-class flow
 * on it (new orders) had due work within FIRST_BUSY_MS, flows of a lower
 * class on that platform (notes, status, stock) neither poll nor perform;
 * they go again when the budget recovers or the orders stop.
 */

/* The HTTP client the connectors use: the worker's own or the caller's. */
static const ps_http *
pace_client(const ps_worker *w)
{
	return w->http != NULL ? w->http : w->o.http_client;
}

/* Non-zero while the limiter is pacing requests to p. */
static int
budget_short(const ps_worker *w, ps_platform p)
{
	ps_http_pace pc;

	return ps_http_limit_pace(&pc, pace_client(w), p) && pc.short_budget;
}

static int
flow_budget_short(const ps_worker *w, const flow_rt *f)
{
	return budget_short(w, f->ops->target) ||
	       (f->ops->source != f->ops->target &&
		budget_short(w, f->ops->source));
}

/* One platform of f that a busy first-class flow needs, short of budget. */
static int
yields_on(const ps_worker *w, ps_platform p)
{
	int64_t busy = w->first_busy[p];

	return busy > 0 && now_ms(w) - busy < FIRST_BUSY_MS &&
	       budget_short(w, p);
}

/* Non-zero when f waits for a first-class flow now (logged on change). */
static int
flow_yields(ps_worker *w, flow_rt *f)
{
	int y = 0;

	if (f->ops->priority < PS_FLOW_PRIORITY_FIRST)
		y = yields_on(w, f->ops->target) ||
		    yields_on(w, f->ops->source);
	if (y)
		f->hold_until = 0; /* not holding: waiting */
	if (y != f->yielding)
		ps_log_info(MOD, "flow %s: %s", f->ops->name,
			    y ? "waiting: the API budget is short and new "
				"orders go first"
			      : "goes again");
	f->yielding = y;
	return y;
}

/* f (first class) has due work now: lower flows on its platforms wait. */
static void
first_busy(ps_worker *w, const flow_rt *f)
{
	if (f->ops->priority < PS_FLOW_PRIORITY_FIRST)
		return;
	w->first_busy[f->ops->target] = now_ms(w);
	w->first_busy[f->ops->source] = now_ms(w);
}

/*
 * Non-zero when f's due entries are held for a batch to form (see above);
 * claim is how many a batch would take.  A store error reads as "go".
 */
static int
hold_for_batch(ps_worker *w, flow_rt *f, size_t claim)
{
	int64_t now = now_ms(w), first = 0;
	size_t due = 0;

	f->hold_until = 0;
	/* neither holds nor keeps others waiting: no need to look */
	if ((w->hold_ms <= 0 || f->ops->perform_batch == NULL) &&
	    f->ops->priority < PS_FLOW_PRIORITY_FIRST)
		return 0;
	if (ps_store_log_due_peek(&due, &first, w->st, f->ops->name, claim,
				  now) < 0) {
		ps_error_clear();
		return 0;
	}
	if (due > 0)
		first_busy(w, f);
	if (w->hold_ms <= 0 || f->ops->perform_batch == NULL || claim < 2 ||
	    due == 0 || due >= claim || now - first >= w->hold_ms)
		return 0;
	if (!(f->last_claim > 0 && first - f->last_claim < ARRIVALS_OFTEN_MS) &&
	    !flow_budget_short(w, f))
		return 0;
	f->hold_until = first + w->hold_ms;
	return 1;
}

/* The earliest time a held flow goes (ms), or 0 when none is held. */
static int64_t
hold_wake_at(const ps_worker *w)
{
	int64_t at = 0;
	size_t i;

	for (i = 0; i < w->nflows; i++) {
		int64_t h = w->flows[i].hold_until;

		/* a flow skipped since it began holding holds nothing */
		if (w->flows[i].skip[0] != '\0' || w->flows[i].yielding)
			continue;
		if (h > 0 && (at == 0 || h < at))
			at = h;
	}
	return at;
}

/*
 * The cache row "worker.pacing" for the console and `status --json`: per
 * platform with a known budget, what is left, the pace and which flows
 * wait or hold: {"brightpearl": {"left": 37, "quota": 200, "window_ms":
 * 60000, "rate": 3.3, "short": true, "waiting": ["notes_bc"], "holding":
 * ["order_import_bc"]}}.
 */
static void
svc_pacing(ps_worker *w)
{
	const ps_platform_ops *const *p;
	json_t *doc = json_object();
	size_t i;

	if (doc == NULL)
		return;
	for (p = ps_platforms_all(); *p != NULL; p++) {
		ps_http_pace pc;
		json_t *one, *waiting, *holding;

		if (!ps_http_limit_pace(&pc, pace_client(w), (*p)->id))
			continue;
		one = json_object();
		waiting = json_array();
		holding = json_array();
		for (i = 0; i < w->nflows; i++) {
			const flow_rt *f = &w->flows[i];

			if (f->ops->target != (*p)->id &&
			    f->ops->source != (*p)->id)
				continue;
			if (f->yielding)
				json_array_append_new(
					waiting, json_string(f->ops->name));
			if (f->hold_until > 0)
				json_array_append_new(
					holding, json_string(f->ops->name));
		}
		json_object_set_new(one, "left", json_integer(pc.left));
		json_object_set_new(one, "quota", json_integer(pc.quota));
		json_object_set_new(one, "window_ms",
				    json_integer(pc.window_ms));
		/* tenths of a unit a second: the row is compared as text */
		json_object_set_new(
			one, "rate",
			json_real((double)(int64_t)(pc.rate * 10 + 0.5) / 10));
		json_object_set_new(one, "short",
				    json_boolean(pc.short_budget));
		json_object_set_new(one, "waiting", waiting);
		json_object_set_new(one, "holding", holding);
		json_object_set_new(doc, (*p)->name, one);
	}
	svc_cache(w, PS_WORKER_PACING_CACHE, doc, &w->svc_pacing);
}

/*
 * An entry claimed in a batch after a refusal held its flow (auth_*):
 * parked like the refused one, without a request.  1 when parked.
 */
static int
auth_park_claimed(ps_worker *w, flow_rt *f, const ps_log_entry *e)
{
	char why[SKIP_MAX];
	int error;

	if (!auth_waiting(w, f->ops, why, sizeof(why)))
		return 0;
	if ((error = ps_store_log_mark_failed(w->st, e->id, why, PS_EAUTH, 0,
					      now_ms(w))) < 0) {
		ps_log_error(MOD, "recording entry %lld: %s", (long long)e->id,
			     ps_error_last());
		ps_error_clear();
	}
	return 1;
}

/*
 * Claim and perform one batch of f's due entries (fewer, or none, while a
 * platform it needs is down: breaker_claim; none while f waits for new
 * orders or, when may_hold, holds its entries for a batch: see "Pacing").
 * *out_n: how many were claimed.  Entries claimed but not performed
 * because of a stop are put back (pending, due now).
 */
static int
perform_batch(ps_worker *w, flow_rt *f, int may_hold, size_t *out_n)
{
	ps_log_entry *v = NULL;
	size_t n = 0, i, claim;
	int error, done;

	*out_n = 0;
	if (f->ops->perform == NULL)
		return 0;
	if ((claim = auth_claim(w, f, breaker_claim(w, f))) == 0)
		return 0;
	if (may_hold && (flow_yields(w, f) || hold_for_batch(w, f, claim)))
		return 0;
	if ((error = ps_store_log_claim_due(&v, &n, w->st, f->ops->name, claim,
					    now_ms(w))) < 0)
		return error;
	*out_n = n;
	if (n > 0) {
		f->last_claim = now_ms(w);
		first_busy(w, f);
	}
	auth_snapshot(w);
	/* full batches in a row: many are due */
	w->full_batches = n >= w->o.claim_batch ? w->full_batches + 1 : 0;
	w->backlog =
		w->full_batches * w->o.claim_batch >= w->o.backlog_threshold;
	for (i = 0; i < n; i++) {
		if (auth_park_claimed(w, f, &v[i]) > 0)
			continue;
		if (stopping(w)) {
			/* not started: put back so the next run takes it */
			if ((error = ps_store_log_mark_pending(
				     w->st, v[i].id,
				     v[i].reason ? v[i].reason : NULL,
				     now_ms(w), now_ms(w))) < 0)
				break;
			continue;
		}
		done = 0;
		if (f->ops->perform_batch != NULL && n - i > 1) {
			size_t k = n - i < PS_FLOW_BATCH_MAX
					   ? n - i
					   : PS_FLOW_BATCH_MAX;

			if ((error = perform_many(w, f, &v[i], k, &done)) < 0)
				break;
			if (done)
				i += k - 1;
		}
		if (!done && (error = perform_one(w, f, &v[i])) < 0)
			break;
		/* slow platforms: keep the heartbeat fresh within a batch */
		if (w->beats && now_ms(w) - w->last_beat >= BEAT_IN_BATCH_MS &&
		    write_heartbeat(w, w->state) < 0)
			ps_error_clear();
	}
	ps_log_entries_free(v, n);
	return error;
}

/* ------------------------------------------------------------------------ */
/* Events                                                                    */

/*
 * Offer ev to every flow in one transaction.  0, or the refusing code.
 *
 * The flows' init runs first, outside the transaction: an init may talk
 * to a platform (registering webhooks, with the limiter's and the retry
 * policy's waits), and the store's write lock must never be held across
 * network calls, or the listener cannot store events and the worker's own
 * heartbeat waits behind the call.
 */
static int
dispatch_event(ps_worker *w, const ps_event *ev)
{
	ps_flow_env env;
	size_t i;
	int error;

	for (i = 0; i < w->nflows; i++) {
		flow_rt *f = &w->flows[i];

		if (f->ops->on_event != NULL &&
		    (error = flow_ensure_init(w, f)) < 0) {
			ps_log_warn(MOD, "flow %s: init: %s", f->ops->name,
				    ps_error_last());
			return error;
		}
	}
	if ((error = ps_store_begin(w->st)) < 0)
		return error;
	for (i = 0; i < w->nflows; i++) {
		flow_rt *f = &w->flows[i];

		if (f->ops->on_event == NULL)
			continue;
		env_init(&env, w, f);
		if ((error = f->ops->on_event(&env, ev)) < 0) {
			ps_log_warn(MOD, "flow %s: event %lld (%s): %s",
				    f->ops->name, (long long)ev->id,
				    ev->topic ? ev->topic : "",
				    ps_error_last());
			goto fail;
		}
	}
	ps_worker__audit_event(&w->audit, ev);
	if ((error = ps_store_event_mark_processed(w->st, ev->id, now_ms(w))) <
	    0)
		goto fail;
	while (ps_store_in_transaction(w->st) > 1)
		ps_store_commit(w->st);
	return ps_store_commit(w->st);
fail:
	while (ps_store_in_transaction(w->st))
		ps_store_rollback(w->st);
	return error;
}

/*
 * An event stored without its decoded form (object ""; before events were
 * typed, or by ps_store_event_add) through its platform's webhook_decode,
 * so that the flows see topic, object and ids alone.  0: ev is typed; 1:
 * it names nothing to act on (logged and marked processed); < 0: a store
 * or memory error (offer it again later).
 */
static int
decode_event(ps_worker *w, ps_event *ev)
{
	const ps_platform_ops *ops = ps_platform_ops_of(ev->platform);
	ps_webhook_event d;
	char *topic, *object, *value;
	int64_t *ids = NULL;
	int error;

	if (ev->object != NULL && ev->object[0] != '\0')
		return 0;
	if (ops == NULL || ops->webhook_decode == NULL)
		error = ps_error_set(PS_EINVAL, "no decoder for platform %d",
				     (int)ev->platform);
	else
		error = ops->webhook_decode(
			&d, ev->topic, ev->payload != NULL ? ev->payload : "",
			ev->payload != NULL ? strlen(ev->payload) : 0);
	if (error < 0) {
		ps_log_warn(MOD, "event %lld (%s): not decoded, dropped: %s",
			    (long long)ev->id, ev->topic ? ev->topic : "",
			    ps_error_last());
		error = ps_store_event_mark_processed(w->st, ev->id, now_ms(w));
		return error < 0 ? error : 1;
	}
	topic = ps_util__strdup(d.topic);
	object = ps_util__strdup(d.object);
	value = ps_util__strdup(d.value);
	if (d.nids > 0 && (ids = malloc(d.nids * sizeof(*ids))) != NULL)
		memcpy(ids, d.ids, d.nids * sizeof(*ids));
	if (topic == NULL || object == NULL || value == NULL ||
	    (d.nids > 0 && ids == NULL)) {
		free(topic);
		free(object);
		free(value);
		free(ids);
		return ps_error_set(PS_ENOMEM, "out of memory");
	}
	free(ev->topic);
	free(ev->object);
	free(ev->ids);
	free(ev->value);
	ev->topic = topic;
	ev->value = value;
	ev->changed_at = d.changed_at;
	ev->object = object;
	ev->ids = ids;
	ev->nids = d.nids;
	return 0;
}

/* Keep ev (moved) to offer again later. */
static int
hold_event(ps_worker *w, ps_event *ev)
{
	held_event *nv = realloc(w->held, (w->nheld + 1) * sizeof(*nv));

	if (nv == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	w->held = nv;
	nv[w->nheld].ev = *ev;
	nv[w->nheld].retry_at = now_ms(w) + EVENT_RETRY_MS;
	w->nheld++;
	ps_event_init(ev);
	return 0;
}

static int
process_events(ps_worker *w, int all_held)
{
	ps_event *v = NULL;
	size_t n = 0, i, keep = 0;
	int error = 0, rc;

	/* first the held ones whose time has come */
	for (i = 0; i < w->nheld; i++) {
		held_event *h = &w->held[i];

		if (!all_held && h->retry_at > now_ms(w)) {
			w->held[keep++] = *h;
			continue;
		}
		if ((rc = decode_event(w, &h->ev)) == 0)
			rc = dispatch_event(w, &h->ev);
		if (rc == PS_EBUSY || rc == PS_ESTORE ||
		    (rc < 0 && rc != PS_ENOMEM)) {
			h->retry_at = now_ms(w) + EVENT_RETRY_MS;
			w->held[keep++] = *h;
			continue;
		}
		ps_event_dispose(&h->ev);
	}
	w->nheld = keep;
	while (!stopping(w)) {
		if ((error = ps_store_event_claim(&v, &n, w->st, EVENT_BATCH,
						  now_ms(w))) < 0)
			return error;
		for (i = 0; i < n; i++) {
			if ((rc = decode_event(w, &v[i])) == 1)
				continue;
			if ((rc < 0 || dispatch_event(w, &v[i]) < 0) &&
			    (error = hold_event(w, &v[i])) < 0)
				break;
		}
		ps_events_free(v, n);
		v = NULL;
		if (error < 0 || n < EVENT_BATCH)
			break;
	}
	return error;
}

/* ------------------------------------------------------------------------ */
/* Operator requests                                                         */

/* Add (add != 0) or remove name in the paused list. */
static int
set_paused(ps_worker *w, const char *name, int add)
{
	char *list = ps_settings_value(w->st, PS_SET_SYNC_PAUSED_FLOWS);
	char out[1024] = "";
	const char *p = list, *comma;
	size_t len = 0;
	int error;

	while (p != NULL && *p != '\0') {
		comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);

		if (n > 0 && !(strlen(name) == n && strncmp(p, name, n) == 0))
			len += (size_t)snprintf(out + len, sizeof(out) - len,
						"%s%.*s", len ? "," : "",
						(int)n, p);
		if (len >= sizeof(out))
			break;
		p = comma ? comma + 1 : NULL;
	}
	if (add && len < sizeof(out))
		snprintf(out + len, sizeof(out) - len, "%s%s", len ? "," : "",
			 name);
	free(list);
	error = ps_store_setting_set(NULL, w->st, PS_SET_SYNC_PAUSED_FLOWS,
				     out[0] != '\0' ? out : NULL, "worker",
				     now_ms(w));
	return error;
}

static int
handle_request(ps_worker *w, const ps_request *r, char *result, size_t cap)
{
	const char *arg = r->argument;
	flow_rt *f = NULL;
	size_t count = 0;
	char *end = NULL;
	long long id;
	int error = 0;

	if (r->kind == PS_REQUEST_RUN_FLOW ||
	    r->kind == PS_REQUEST_PAUSE_FLOW ||
	    r->kind == PS_REQUEST_RESUME_FLOW ||
	    (r->kind == PS_REQUEST_RETRY_FAILED && arg != NULL &&
	     arg[0] != '\0')) {
		if ((f = flow_by_name(w, arg)) == NULL) {
			snprintf(result, cap, "no flow '%s'", arg ? arg : "");
			return 0;
		}
	}
	switch (r->kind) {
	case PS_REQUEST_RETRY_ENTRY:
		errno = 0;
		id = arg != NULL ? strtoll(arg, &end, 10) : 0;
		if (arg == NULL || end == arg || *end != '\0' || errno != 0) {
			snprintf(result, cap, "bad entry id '%s'",
				 arg ? arg : "");
			return 0;
		}
		error = ps_store_log_retry(w->st, (int64_t)id, now_ms(w));
		if (error == PS_ENOTFOUND || error == PS_EINVAL) {
			snprintf(result, cap, "%s", ps_error_last());
			return 0;
		}
		if (error == 0)
			snprintf(result, cap, "entry %lld will be retried", id);
		break;
	case PS_REQUEST_RETRY_FAILED:
		error = ps_store_log_retry_failed(
			&count, w->st, f ? f->ops->name : NULL, now_ms(w));
		if (error == 0)
			snprintf(result, cap, "%zu entries will be retried",
				 count);
		break;
	case PS_REQUEST_RUN_FLOW:
		f->run_now = 1;
		if (f->skip[0] != '\0')
			snprintf(result, cap, "flow %s is skipped: %s",
				 f->ops->name, f->skip);
		else
			snprintf(result, cap, "flow %s will run now",
				 f->ops->name);
		break;
	case PS_REQUEST_PAUSE_FLOW:
	case PS_REQUEST_RESUME_FLOW:
		error = set_paused(w, f->ops->name,
				   r->kind == PS_REQUEST_PAUSE_FLOW);
		if (error == 0)
			snprintf(result, cap, "flow %s %s", f->ops->name,
				 r->kind == PS_REQUEST_PAUSE_FLOW ? "paused"
								  : "resumed");
		break;
	default:
		snprintf(result, cap, "unknown request");
		break;
	}
	return error;
}

static int
process_requests(ps_worker *w)
{
	ps_request *v = NULL;
	size_t n = 0, i;
	char result[PS_ERROR_MAX];
	int error;

	if ((error = ps_store_request_claim(&v, &n, w->st, REQUEST_BATCH,
					    now_ms(w))) < 0)
		return error;
	for (i = 0; i < n; i++) {
		result[0] = '\0';
		if ((error = handle_request(w, &v[i], result, sizeof(result))) <
		    0)
			snprintf(result, sizeof(result), "failed: %s",
				 ps_error_last());
		ps_log_info(MOD, "request %lld %s: %s", (long long)v[i].id,
			    ps_request_kind_name(v[i].kind), result);
		if ((error = ps_store_request_complete(w->st, v[i].id, result,
						       now_ms(w))) < 0)
			break;
	}
	ps_requests_free(v, n);
	return error;
}

/* ------------------------------------------------------------------------ */
/* Service manager and monitoring                                            */

/*
 * What systemd and the monitoring endpoints are told (notify.c,
 * monitor.c).  The watchdog runs on CLOCK_MONOTONIC, as systemd's does:
 * a wall clock set back would otherwise hold the pings and get the worker
 * killed.  Pings come from the loop (between ticks and in its sleep
 * slices) and from the HTTP client's clock, which the client reads before
 * each attempt and sleeps through for the rate limiter and backoff, so
 * the longest time without a ping is one HTTP attempt (the config's
 * http.timeout_ms, 60 s by default) plus a store wait; a loop that stops
 * turning for WatchdogSec= is killed.
 */
static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Send state; a failure is logged at debug level (systemd gone is no
 * reason to stop syncing).  It may run in the middle of an HTTP request
 * (http_clock_now), so the caller's last error is kept as it was.
 */
static void
svc_notify(const char *state)
{
	char saved[PS_ERROR_MAX];
	int code = ps_error_last_code();

	ps_util__strlcpy(saved, ps_error_last(), sizeof(saved));
	if (ps_worker__notify(state) < 0) {
		ps_log_debug(MOD, "%s", ps_error_last());
		if (code != 0)
			ps_error_set(code, "%s", saved);
		else
			ps_error_clear();
	}
}

static void
svc_init(ps_worker *w)
{
	ps_worker__stats_init(&w->stats, w->started_at);
	w->wd_every_ms = ps_worker__watchdog_ms() / 2;
	if (w->wd_every_ms > 0)
		ps_log_info(MOD, "systemd watchdog: a ping every %lld ms",
			    (long long)w->wd_every_ms);
	w->wd_last_ms = mono_ms();
}

/* WATCHDOG=1 when half the watchdog time has passed; STOPPING=1 once. */
static void
svc_beat(ps_worker *w)
{
	int64_t t;

	if (stopping(w) && !w->stopping_sent) {
		w->stopping_sent = 1;
		svc_notify("STOPPING=1\nSTATUS=stopping: finishing the entry "
			   "in hand");
	}
	if (w->wd_every_ms <= 0)
		return;
	t = mono_ms();
	if (t - w->wd_last_ms < w->wd_every_ms)
		return;
	w->wd_last_ms = t;
	svc_notify("WATCHDOG=1");
}

typedef struct svc_counts {
	int64_t by_status[PS_ENTRY_STATUS_COUNT];
} svc_counts;

static int
svc_count_row(const char *flow, ps_entry_status status, int64_t count,
	      void *payload)
{
	svc_counts *c = payload;

	(void)flow;
	if ((unsigned)status < PS_ENTRY_STATUS_COUNT)
		c->by_status[status] += count;
	return 0;
}

/* "; bigcommerce: credentials refused" for each platform whose auth failed */
static void
svc_auth_note(ps_worker *w, char *buf, size_t cap)
{
	const ps_platform_ops *const *p;
	size_t len = 0;

	buf[0] = '\0';
	pthread_mutex_lock(&w->stats.lock);
	for (p = ps_platforms_all(); *p != NULL && len < cap; p++)
		if (w->stats.platform[(*p)->id].auth == PS_WORKER__AUTH_FAILED)
			len += (size_t)snprintf(buf + len, cap - len,
						"; %s: credentials refused",
						(*p)->name);
	pthread_mutex_unlock(&w->stats.lock);
}

/*
 * The STATUS= line, e.g. "running: 3 pending, 0 failed; last poll
 * 12:03:04 UTC; 2 of 9 flows on", sent when it changes.  "paused" when
 * every flow that would run is paused by the operator, "idle" when none
 * is on; platforms whose credentials failed are named at the end.
 */
static void
svc_status(ps_worker *w)
{
	char line[sizeof(w->svc_status) + 8], when[32] = "none yet";
	char auth[128];
	svc_counts c;
	int64_t last = 0;
	size_t i, on = 0, paused = 0;
	struct tm tm;
	time_t t;

	if (getenv("NOTIFY_SOCKET") == NULL)
		return;
	memset(&c, 0, sizeof(c));
	if (ps_store_log_state_counts(w->st, svc_count_row, &c) < 0)
		ps_error_clear();
	for (i = 0; i < w->nflows; i++) {
		if (w->flows[i].skip[0] == '\0')
			on++;
		else if (strcmp(w->flows[i].skip, "paused by the operator") ==
			 0)
			paused++;
		if (w->flows[i].last_poll > last)
			last = w->flows[i].last_poll;
	}
	if (last > 0) {
		t = (time_t)(last / 1000);
		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%H:%M:%S UTC", &tm);
	}
	svc_auth_note(w, auth, sizeof(auth));
	snprintf(line, sizeof(line),
		 "STATUS=%s: %lld pending, %lld failed; last poll %s; %zu of "
		 "%zu flows on%s",
		 on > 0       ? "running"
		 : paused > 0 ? "paused"
			      : "idle",
		 (long long)(c.by_status[PS_ENTRY_PENDING] +
			     c.by_status[PS_ENTRY_IN_FLIGHT]),
		 (long long)c.by_status[PS_ENTRY_FAILED], when, on, w->nflows,
		 auth);
	if (strcmp(line + 7, w->svc_status) == 0)
		return;
	ps_util__strlcpy(w->svc_status, line + 7, sizeof(w->svc_status));
	svc_notify(line);
}

/* The HTTP client's counts of this tick, into the shared stats. */
static void
svc_count(void *ctx, ps_platform platform, const char *endpoint,
	  ps_http_outcome outcome, int64_t count)
{
	ps_worker *w = ctx;

	(void)endpoint;
	ps_worker__stats_requests(&w->stats, platform, outcome, count,
				  now_ms(w));
}

/* Write a cache row for `status --json`; failures are logged. */
static void
svc_cache(ps_worker *w, const char *kind, json_t *doc, char **last)
{
	char *text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);

	json_decref(doc);
	if (text == NULL)
		return;
	if (last != NULL && *last != NULL && strcmp(*last, text) == 0) {
		free(text);
		return;
	}
	if (ps_store_cache_set(w->st, kind, text, now_ms(w)) < 0) {
		ps_log_warn(MOD, "recording %s: %s", kind, ps_error_last());
		ps_error_clear();
	}
	if (last != NULL) {
		free(*last);
		*last = text;
	} else {
		free(text);
	}
}

/*
 * After a flush: each platform's auth and throttle state, logged when it
 * changes and kept in the cache row "worker.platforms" for `status
 * --json` (monitor.c answers /healthz from the same stats).
 */
static void
svc_platforms(ps_worker *w)
{
	const ps_platform_ops *const *p;
	ps_worker__auth before[PS_PLATFORM_MAX];
	json_t *doc;
	size_t i;

	pthread_mutex_lock(&w->stats.lock);
	for (i = 0; i < PS_PLATFORM_MAX; i++)
		before[i] = w->stats.platform[i].auth;
	pthread_mutex_unlock(&w->stats.lock);
	if (!ps_worker__stats_tick_done(&w->stats, now_ms(w)))
		return;
	if ((doc = json_object()) == NULL)
		return;
	pthread_mutex_lock(&w->stats.lock);
	for (p = ps_platforms_all(); *p != NULL; p++) {
		const ps_worker__platform_stats *ps =
			&w->stats.platform[(*p)->id];
		json_t *one = json_object();

		json_object_set_new(
			one, "auth",
			json_string(ps_worker__auth_name(ps->auth)));
		json_object_set_new(one, "auth_since_ms",
				    json_integer(ps->auth_since));
		json_object_set_new(one, "throttled_at_ms",
				    json_integer(ps->throttled_at));
		json_object_set_new(one, "throttled_since_ms",
				    json_integer(ps->throttled_since));
		json_object_set_new(doc, (*p)->name, one);
		if (ps->auth == before[(*p)->id])
			continue;
		if (ps->auth == PS_WORKER__AUTH_FAILED)
			ps_log_warn(MOD,
				    "%s refused the credentials (401/403): "
				    "authentication failed",
				    (*p)->title);
		else if (before[(*p)->id] == PS_WORKER__AUTH_FAILED)
			ps_log_info(MOD, "%s accepts the credentials again",
				    (*p)->title);
	}
	pthread_mutex_unlock(&w->stats.lock);
	svc_cache(w, "worker.platforms", doc, NULL);
}

/* Each flow's polls and why it is skipped, for `status --json`. */
static void
svc_flows(ps_worker *w)
{
	json_t *doc = json_object();
	size_t i;

	if (doc == NULL)
		return;
	for (i = 0; i < w->nflows; i++) {
		const flow_rt *f = &w->flows[i];
		json_t *one = json_object();

		json_object_set_new(one, "skip", json_string(f->skip));
		json_object_set_new(one, "last_poll_ms",
				    json_integer(f->last_poll));
		json_object_set_new(
			one, "next_poll_ms",
			json_integer(f->skip[0] == '\0' ? f->next_poll : 0));
		json_object_set_new(doc, f->ops->name, one);
	}
	svc_cache(w, "worker.flows", doc, &w->svc_flows);
}

/* Once per tick of ps_worker_run. */
static void
svc_tick(ps_worker *w)
{
	svc_flows(w);
	svc_pacing(w);
	svc_status(w);
	svc_beat(w);
}

/* ------------------------------------------------------------------------ */
/* Heartbeat, counters, hooks                                                */

static int
write_heartbeat(ps_worker *w, const char *state)
{
	ps_heartbeat hb;

	ps_heartbeat_init(&hb);
	hb.pid = (int64_t)getpid();
	hb.started_at = w->started_at;
	hb.beat_at = now_ms(w);
	hb.state = (char *)(uintptr_t)state;
	w->last_beat = hb.beat_at;
	w->beats = 1;
	return ps_store_heartbeat_set(w->st, &hb);
}

/*
 * The HTTP client's clock.  Its waits (rate limiter, retry backoff, a
 * platform's Retry-After) can last up to max_wait_ms, far longer than the
 * heartbeat's 15 s of grace, and they happen inside a flow's init, poll or
 * perform, where the tick's own heartbeat writes cannot run.  So each
 * sleep (the client sleeps in slices of at most PS_HTTP_WAIT_SLICE_MS)
 * refreshes the heartbeat when it is older than BEAT_IN_BATCH_MS.  The
 * write is a short one of its own; inside a store transaction (a flow that
 * holds one across a request) it would become part of that transaction
 * and stay invisible, so it is skipped and that is logged once.
 */
static int64_t
http_clock_now(void *ctx)
{
	ps_worker *w = ctx;

	svc_beat(w); /* the client reads the time before each attempt */
	return w->http_base->now_ms(w->http_base->ctx);
}

static void
http_clock_sleep(void *ctx, int64_t ms)
{
	ps_worker *w = ctx;
	char state[STATE_MAX + 64];

	w->http_base->sleep_ms(w->http_base->ctx, ms);
	svc_beat(w);
	if (!w->beats || now_ms(w) - w->last_beat < BEAT_IN_BATCH_MS)
		return;
	if (ps_store_in_transaction(w->st)) {
		if (!w->wait_tx_logged)
			ps_log_error(MOD,
				     "a store transaction is open while "
				     "waiting on a platform: the heartbeat "
				     "cannot be refreshed");
		w->wait_tx_logged = 1;
		return;
	}
	snprintf(state, sizeof(state),
		 "%s; waiting for a platform's rate "
		 "limit or retry backoff",
		 w->state[0] != '\0' ? w->state : "running");
	if (write_heartbeat(w, state) < 0) {
		ps_log_warn(MOD, "heartbeat while waiting: %s",
			    ps_error_last());
		ps_error_clear();
	}
}

/* "running" plus the skipped flows. */
static void
compose_state(ps_worker *w)
{
	size_t i, len;

	len = (size_t)snprintf(w->state, sizeof(w->state), "running");
	for (i = 0; i < w->nflows && len < sizeof(w->state); i++) {
		if (w->flows[i].skip[0] == '\0')
			continue;
		len += (size_t)snprintf(w->state + len, sizeof(w->state) - len,
					"; %s: %s", w->flows[i].ops->name,
					w->flows[i].skip);
	}
}

typedef struct flush_ctx {
	ps_store *st;
	int64_t bucket;
	int error;
} flush_ctx;

static void
flush_one(void *ctx, ps_platform platform, const char *endpoint,
	  ps_http_outcome outcome, int64_t count)
{
	flush_ctx *c = ctx;
	int error;

	if (c->error < 0)
		return;
	error = ps_store_http_count_add(c->st, c->bucket, platform, endpoint,
					ps_http_outcome_name(outcome), count);
	if (error < 0)
		c->error = error;
}

/*
 * The API budget the limiter believes is left, for the console: a row of
 * the budgets table (ps_store_budget_set) per configured account.  Skipped
 * while unknown (no request yet); rewritten when it changes and at least
 * every RATE_RECORD_MS so its age tells how fresh it is.  A failure is
 * logged, never returned.
 */
static void
record_rate_limits(ps_worker *w)
{
	const ps_platform_ops *const *p;
	int64_t now = now_ms(w);
	ps_http_budget b;
	char *account;
	int error;

	if (w->http == NULL)
		return;
	for (p = ps_platforms_all(); *p != NULL; p++) {
		const ps_platform_ops *ops = *p;
		ps_platform id = ops->id;

		if (ops->account_setting == NULL ||
		    (account = ps_settings_value(w->st,
						 ops->account_setting)) == NULL)
			continue;
		error = 0;
		if (ps_http_limit_budget(&b, w->http, id, account) &&
		    (b.remaining != w->rate_left[id] ||
		     now - w->rate_at[id] >= RATE_RECORD_MS))
			error = ps_store_budget_set(w->st, id, account,
						    b.remaining, b.quota,
						    b.unit, now);
		else
			b.remaining = -1; /* nothing recorded */
		free(account);
		if (error < 0) {
			ps_log_warn(MOD, "recording the %s API budget: %s",
				    ops->title, ps_error_last());
			ps_error_clear();
		} else if (b.remaining >= 0) {
			w->rate_left[id] = b.remaining;
			w->rate_at[id] = now;
		}
	}
}

static int
flush_counts(ps_worker *w)
{
	flush_ctx c;
	int error;

	if (w->http == NULL)
		return 0;
	c.st = w->st;
	c.bucket = now_ms(w) / 3600000 * 3600000;
	c.error = 0;
	if ((error = ps_store_begin(w->st)) < 0)
		return error;
	ps_http_counts_foreach(w->http, flush_one, &c);
	if (c.error < 0) {
		ps_store_rollback(w->st);
		return c.error;
	}
	if ((error = ps_store_commit(w->st)) < 0)
		return error;
	ps_http_counts_foreach(w->http, svc_count, w);
	ps_http_counts_reset(w->http);
	record_rate_limits(w);
	svc_platforms(w);
	return 0;
}

static void
maybe_sync_hooks(ps_worker *w)
{
	const ps_platform_ops *const *p;
	char *url = NULL;
	size_t changed;

	if (!w->o.register_hooks || now_ms(w) < w->next_hooks)
		return;
	w->next_hooks = now_ms(w) + w->o.hooks_interval_ms;
	if ((url = ps_settings_value(w->st, PS_SET_WEBHOOKS_PUBLIC_URL)) ==
	    NULL)
		return;
	for (p = ps_platforms_all(); *p != NULL; p++) {
		const ps_platform_ops *ops = *p;
		void *conn = w->conns.conn[ops->id];

		if (ops->hooks_sync == NULL || conn == NULL)
			continue;
		changed = 0;
		if (ops->hooks_sync(&changed, conn, w->st, url, now_ms(w)) <
		    0) {
			ps_log_warn(MOD, "registering %s hooks: %s", ops->title,
				    ps_error_last());
			ps_error_clear();
		} else if (changed > 0) {
			ps_log_info(MOD,
				    "%s hooks: %zu created or re-activated",
				    ops->title, changed);
		}
	}
	free(url);
}

/* ------------------------------------------------------------------------ */
/* Life cycle                                                                */

int
ps_worker_new(ps_worker **out, ps_store *store, const ps_config *cfg,
	      const ps_worker_options *options)
{
	ps_worker_options dflt = PS_WORKER_OPTIONS_INIT;
	const ps_flow_ops *const *flows;
	ps_worker *w = NULL;
	size_t n = 0, i;
	int error = 0;

	if (out == NULL)
		return ps_error_set(PS_EINVAL, "ps_worker_new: no out");
	*out = NULL;
	if (store == NULL || cfg == NULL)
		return ps_error_set(PS_EINVAL, "ps_worker_new: no store or "
					       "config");
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	w->st = store;
	w->cfg = *cfg;
	w->o = options != NULL ? *options : dflt;
	if (w->o.clock == NULL)
		w->o.clock = ps_clock_wall();
	if (w->o.random == NULL)
		w->o.random = ps_random_system();
	if (w->o.stop == NULL)
		w->o.stop = &w->no_stop;
	if (w->o.tick_ms <= 0)
		w->o.tick_ms = 1000;
	if (w->o.claim_batch == 0)
		w->o.claim_batch = PS_FLOW_BATCH_MAX;
	if (w->o.backoff_base_ms <= 0)
		w->o.backoff_base_ms = 30000;
	if (w->o.backoff_cap_ms < w->o.backoff_base_ms)
		w->o.backoff_cap_ms = w->o.backoff_base_ms;
	if (w->o.hooks_interval_ms <= 0)
		w->o.hooks_interval_ms = 300000;
	w->o.http = NULL; /* borrowed only during this call */
	for (i = 0; i < PS_PLATFORM_MAX; i++)
		w->rate_left[i] = -1;
	flows = options != NULL && options->flows != NULL ? options->flows
							  : ps_flows_all();
	while (flows[n] != NULL)
		n++;
	if (n > 0 && (w->flows = calloc(n, sizeof(*w->flows))) == NULL) {
		error = ps_error_set(PS_ENOMEM, "out of memory");
		goto done;
	}
	w->nflows = n;
	for (i = 0; i < n; i++)
		w->flows[i].ops = flows[i];
	memcpy(w->conns.conn, w->o.conn, sizeof(w->conns.conn));
	w->own_conn = w->o.connect;
	for (i = 0; i < PS_PLATFORM_MAX; i++)
		if (w->o.conn[i] != NULL)
			w->own_conn = 0;
	if (w->own_conn) {
		ps_http_options ho = PS_HTTP_OPTIONS_INIT;

		if (options != NULL && options->http != NULL)
			ho = *options->http;
		/* a stop cuts backoff and limiter waits short (PS_ESTOPPED) */
		if (ho.cancel == NULL)
			ho.cancel = w->o.stop;
		/* its waits keep the heartbeat fresh (http_clock_sleep) */
		w->http_base = ho.clock != NULL ? ho.clock : ps_clock_system();
		w->http_clock.now_ms = http_clock_now;
		w->http_clock.sleep_ms = http_clock_sleep;
		w->http_clock.ctx = w;
		ho.clock = &w->http_clock;
		if ((error = ps_connect_http(&w->http, &w->cfg, &ho)) < 0)
			goto done;
	}
	if ((error = ps_worker__audit_init(&w->audit, w->st, w->o.clock,
					   w->http)) < 0)
		goto done;
	w->started_at = now_ms(w);
	svc_init(w);
	refresh_connectors(w);
	if (w->o.listen) {
		error = ps_worker__listener_open(
			&w->listener, cfg->db_path, cfg->listen_address,
			cfg->listen_port, w->o.clock, &w->stats);
		if (error < 0)
			goto done;
		ps_log_info(MOD, "listening for webhooks on %s:%d",
			    cfg->listen_address,
			    ps_worker__listener_port(w->listener));
	}
done:
	if (error < 0) {
		ps_worker_free(w);
		return error;
	}
	*out = w;
	return 0;
}

void
ps_worker_free(ps_worker *w)
{
	size_t i;

	if (w == NULL)
		return;
	ps_worker__listener_stop(w->listener);
	ps_worker__stats_dispose(&w->stats);
	free(w->svc_flows);
	free(w->svc_pacing);
	for (i = 0; i < w->nflows; i++)
		if (w->flows[i].inited && w->flows[i].ops->fini != NULL)
			w->flows[i].ops->fini(w->flows[i].state);
	free(w->flows);
	for (i = 0; i < w->nheld; i++)
		ps_event_dispose(&w->held[i].ev);
	free(w->held);
	if (w->own_conn)
		ps_platforms_disconnect(&w->conns);
	ps_worker__audit_dispose(&w->audit);
	ps_http_free(w->http);
	free(w);
}

int
ps_worker_listen_port(const ps_worker *w)
{
	return w != NULL && w->listener != NULL
		       ? ps_worker__listener_port(w->listener)
		       : 0;
}

int
ps_worker_start(ps_worker *w)
{
	size_t n = 0;
	int error;

	if ((error = ps_store_recover_interrupted(&n, w->st, now_ms(w))) < 0)
		return error;
	if (n > 0)
		ps_log_info(MOD,
			    "%zu interrupted entries will be checked and "
			    "retried",
			    n);
	return write_heartbeat(w, "starting");
}

/* Steps 1-4 and 6 of a tick; entries are done by the caller. */
/*
 * privacy.retention_days: once an hour, redact the personal data of the
 * records last written before then (privacy.h), 500 values a tick so the
 * flows keep running; a sweep that redacted something ends by merging the
 * search index and emptying the WAL (no VACUUM: it would stop the worker
 * for as long as rewriting the file takes; the redaction zeroes what it
 * frees).
 */
static void
retention_tick(ps_worker *w)
{
	ps_privacy_stats stats;
	int64_t days = 0, now = now_ms(w);

	if (now < w->retain_next ||
	    ps_settings_get_int(&days, w->st, PS_SET_PRIVACY_RETENTION_DAYS) <
		    0 ||
	    days <= 0) {
		ps_error_clear();
		return;
	}
	if (ps_privacy_retain(&stats, w->st, now - days * 86400000LL, 500) <
	    0) {
		ps_log_warn(MOD,
			    "privacy retention: %s; next attempt in 10 min",
			    ps_error_last());
		w->retain_next = now + 600000;
		return;
	}
	w->retain_values += stats.values;
	if (!stats.done)
		return;
	if (w->retain_values > 0) {
		if (ps_privacy_compact(w->st, 0) < 0)
			ps_log_warn(MOD, "privacy retention: %s",
				    ps_error_last());
		ps_log_info(MOD,
			    "privacy retention: %lld value%s older than %lld "
			    "day%s redacted",
			    (long long)w->retain_values,
			    w->retain_values == 1 ? "" : "s", (long long)days,
			    days == 1 ? "" : "s");
	}
	w->retain_values = 0;
	w->retain_next = now + 3600000;
}

static int
tick_prelude(ps_worker *w, int poll_all)
{
	size_t i;
	int error;

	refresh_connectors(w);
	w->hold_ms = setting_int(w->st, PS_SET_SYNC_BATCH_HOLD_MS, 3000);
	auth_check(w);
	update_skips(w);
	compose_state(w);
	if ((error = write_heartbeat(w, w->state)) < 0)
		return error;
	if ((error = process_requests(w)) < 0)
		return error;
	update_skips(w); /* a request may have paused or resumed a flow */
	if ((error = process_events(w, 0)) < 0)
		return error;
	maybe_sync_hooks(w);
	ps_worker__audit_prune(&w->audit, now_ms(w));
	/* the daily report: logs its own failures and retries later */
	ps_report_tick(&w->report, w->st, w->cfg.ca_file, now_ms(w));
	retention_tick(w);
	for (i = 0; i < w->nflows && !stopping(w); i++) {
		flow_rt *f = &w->flows[i];

		if (f->skip[0] != '\0') {
			f->run_now = 0;
			continue;
		}
		if (!poll_all && !f->run_now && flow_yields(w, f))
			continue; /* polled once the budget allows */
		if (poll_all || f->run_now || now_ms(w) >= f->next_poll)
			flow_poll(w, f);
	}
	return 0;
}

/* Perform due entries of every running flow: one batch, or all (drain). */
static int
tick_entries(ps_worker *w, int drain, size_t *out_claimed)
{
	size_t i, n, total = 0;
	int error = 0;

	for (i = 0; i < w->nflows && !stopping(w); i++) {
		flow_rt *f = &w->flows[i];

		if (f->skip[0] != '\0')
			continue;
		do {
			/* a drain (sync-once) takes everything now */
			if ((error = perform_batch(w, f, !drain, &n)) < 0)
				goto done;
			total += n;
		} while (drain && n > 0 && !stopping(w));
	}
done:
	if (out_claimed != NULL)
		*out_claimed = total;
	return error;
}

int
ps_worker_tick(ps_worker *w)
{
	size_t claimed = 0;
	int error;

	if ((error = tick_prelude(w, 0)) < 0 ||
	    (error = tick_entries(w, 0, &claimed)) < 0)
		goto done;
	error = flush_counts(w);
done:
	return error;
}

/*
 * Non-zero when the listener stored a delivery since the last look: the
 * idle wait ends so a webhook's order does not wait out the tick.
 */
static int
hooks_arrived(ps_worker *w)
{
	int64_t n = ps_worker__stats_hooks(&w->stats);

	if (n == w->hooks_seen)
		return 0;
	w->hooks_seen = n;
	return 1;
}

int
ps_worker_run(ps_worker *w)
{
	int64_t slept, wake_at;
	size_t claimed;
	int error;

	if ((error = ps_worker_start(w)) < 0)
		ps_log_error(MOD, "starting: %s", ps_error_last());
	ps_log_info(MOD, "running (pid %ld)", (long)getpid());
	/* the store is open and the listener (if any) bound: ready */
	svc_notify("READY=1\nSTATUS=starting: first tick");
	while (!stopping(w)) {
		claimed = 0;
		if ((error = tick_prelude(w, 0)) < 0 ||
		    (error = tick_entries(w, 0, &claimed)) < 0 ||
		    (error = flush_counts(w)) < 0) {
			ps_log_error(MOD, "tick: %s", ps_error_last());
			while (ps_store_in_transaction(w->st))
				ps_store_rollback(w->st);
		}
		/* never carry a transaction (and its lock) into the sleep */
		close_leaked_transaction(w, "the tick", "end of tick");
		svc_tick(w);
		if (claimed > 0)
			continue; /* more may be due: no idle wait */
		wake_at = hold_wake_at(w);
		for (slept = 0;
		     slept < w->o.tick_ms && !stopping(w) &&
		     (wake_at == 0 || now_ms(w) < wake_at) && !hooks_arrived(w);
		     slept += SLEEP_SLICE_MS) {
			w->o.clock->sleep_ms(w->o.clock->ctx,
					     w->o.tick_ms - slept <
							     SLEEP_SLICE_MS
						     ? w->o.tick_ms - slept
						     : SLEEP_SLICE_MS);
			svc_beat(w);
		}
	}
	svc_beat(w); /* STOPPING=1 */
	ps_log_info(MOD, "stopping");
	flush_counts(w);
	if ((error = write_heartbeat(w, "stopped")) < 0) {
		ps_log_error(MOD, "heartbeat: %s", ps_error_last());
		return error;
	}
	return 0;
}

int
ps_worker_run_once(ps_worker *w, size_t *out_failed)
{
	int error;

	w->failed = 0;
	if ((error = ps_worker_start(w)) < 0 ||
	    (error = tick_prelude(w, 1)) < 0 ||
	    (error = tick_entries(w, 1, NULL)) < 0 ||
	    (error = flush_counts(w)) < 0)
		goto done;
	error = write_heartbeat(w, "stopped");
done:
	if (out_failed != NULL)
		*out_failed = w->failed;
	return error;
}

/*
 * 1 when another process runs the worker now: its heartbeat is fresh and
 * not "stopped".  A store error reads as running (the safe side).
 */
static int
worker_running(ps_worker *w)
{
	ps_heartbeat hb;
	int running, error;

	ps_heartbeat_init(&hb);
	error = ps_store_heartbeat_get(&hb, w->st);
	if (error == PS_ENOTFOUND) {
		ps_error_clear();
		return 0;
	}
	if (error < 0) {
		ps_error_clear();
		return 1;
	}
	running = now_ms(w) - hb.beat_at <= PS_HEARTBEAT_STALE_MS &&
		  (hb.state == NULL || strcmp(hb.state, "stopped") != 0);
	ps_heartbeat_dispose(&hb);
	return running;
}

/*
 * Entries (and event and request claims) a crashed run left in flight are
 * due again, as at a worker's start, unless a worker is running now: those
 * in flight are then its own, in hand.
 */
static int
recover_if_no_worker(ps_worker *w)
{
	size_t n = 0;
	int error;

	if (worker_running(w)) {
		ps_log_debug(MOD, "a worker is running: its in-flight entries "
				  "are left to it");
		return 0;
	}
	if ((error = ps_store_recover_interrupted(&n, w->st, now_ms(w))) < 0)
		return error;
	if (n > 0)
		ps_log_info(MOD,
			    "%zu interrupted entries will be checked and "
			    "retried",
			    n);
	return 0;
}

int
ps_worker_sync_flow(ps_worker *w, const char *flow, size_t *out_failed)
{
	flow_rt *f = flow_by_name(w, flow);
	size_t n;
	int error;

	w->failed = 0;
	if (out_failed != NULL)
		*out_failed = 0;
	if (f == NULL)
		return ps_error_set(PS_ENOTFOUND, "no flow '%s'",
				    flow ? flow : "");
	refresh_connectors(w);
	if (!platform_ready(w, f->ops->source) ||
	    !platform_ready(w, f->ops->target))
		return ps_error_set(PS_ESETTING,
				    "flow %s needs %s and %s connected; see "
				    "'pearlsync check-connection'",
				    f->ops->name,
				    ps_platform_name(f->ops->source),
				    ps_platform_name(f->ops->target));
	if ((error = recover_if_no_worker(w)) < 0)
		goto done;
	f->run_now = 1; /* the operator asked for this flow */
	if ((error = flow_poll(w, f)) < 0)
		goto done;
	do {
		if ((error = perform_batch(w, f, 0, &n)) < 0)
			goto done;
	} while (n > 0 && !stopping(w));
	error = flush_counts(w);
done:
	if (out_failed != NULL)
		*out_failed = w->failed;
	return error;
}
