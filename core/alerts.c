/*
 * alerts.c - what stops or slows the sync, each with its fix (alerts.h).
 *
 * Every check reads a handful of rows: the heartbeat, settings, cached
 * lists (small JSON arrays), hook registrations, budgets, this hour's
 * request counters and the worker's record of each platform's
 * authentication (ps_auth_states_load).  Platforms and flows come from the
 * registries, and the labels an operator knows (the setup step's "Import
 * orders") from the flow groups' setup tables, so nothing here names a
 * platform.
 */
#include "pearlsync/alerts.h"
#include "internal.h"
#include "setting_keys.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pearlsync/anomalies.h"
#include "pearlsync/flow.h"
#include "pearlsync/platform.h"
#include "pearlsync/settings.h"
#include "pearlsync/setup.h"

#define HOUR_MS 3600000LL

const char *
ps_alert_level_name(ps_alert_level level)
{
	return level == PS_ALERT_ERROR ? "error" : "warning";
}

static void ps_alerts__add(ps_alerts *a, ps_alert_level level, const char *fix,
			   const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Keep a worst-first order: a new alert goes after the last of its level
 * or better. */
static void
ps_alerts__add(ps_alerts *a, ps_alert_level level, const char *fix,
	       const char *fmt, ...)
{
	ps_alert *slot;
	va_list ap;
	size_t at;

	if (a->n == PS_ALERTS_MAX) {
		a->dropped++;
		return;
	}
	for (at = a->n; at > 0 && a->v[at - 1].level > level; at--)
		;
	memmove(&a->v[at + 1], &a->v[at], (a->n - at) * sizeof(a->v[0]));
	a->n++;
	slot = &a->v[at];
	slot->level = level;
	va_start(ap, fmt);
	vsnprintf(slot->what, sizeof(slot->what), fmt, ap);
	va_end(ap);
	snprintf(slot->fix, sizeof(slot->fix), "%s", fix);
}

static void
ps_alerts__age(char *buf, size_t cap, int64_t ms)
{
	long long s = ms < 0 ? 0 : (long long)(ms / 1000);

	if (s < 60)
		snprintf(buf, cap, "%llds", s);
	else if (s < 3600)
		snprintf(buf, cap, "%lldm", s / 60);
	else if (s < 86400)
		snprintf(buf, cap, "%lldh %lldm", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, cap, "%lldd %lldh", s / 86400, s % 86400 / 3600);
}

/* ---- platforms ---------------------------------------------------------- */

/* Whether key has a non-empty stored (or default) value. */
static int
ps_alerts__is_set(ps_store *st, const char *key)
{
	char *v = ps_settings_value(st, key);
	int set = v != NULL;

	free(v);
	return set;
}

/* Whether the operator gave key a non-empty value (defaults aside). */
static int
ps_alerts__is_given(ps_store *st, const char *key)
{
	char *v = NULL;
	int given;

	if (ps_store_setting_get(&v, st, key) < 0) {
		ps_error_clear();
		return 0;
	}
	given = v != NULL && v[0] != '\0';
	free(v);
	return given;
}

/*
 * A platform the operator uses: switched on and at least one of its
 * connection settings given (a platform never configured is one the
 * merchant does not have).  Platforms without a connector count as used.
 */
static int
ps_alerts__platform_used(ps_store *st, const ps_platform_ops *ops)
{
	size_t i;

	if (ops == NULL)
		return 1;
	if (!ps_platform_switched_on(ops, st))
		return 0;
	if (ops->connect == NULL || ops->nfields == 0)
		return 1;
	for (i = 0; i < ops->nfields; i++)
		if (ops->fields[i].key != NULL &&
		    ops->fields[i].kind != PS_PLATFORM_FIELD_URL &&
		    ps_alerts__is_given(st, ops->fields[i].key))
			return 1;
	return 0;
}

/* The first required connection setting without a value, or NULL. */
static const char *
ps_alerts__platform_missing(ps_store *st, const ps_platform_ops *ops)
{
	size_t i;

	for (i = 0; ops != NULL && i < ops->nfields; i++)
		if (ops->fields[i].required && ops->fields[i].key != NULL &&
		    !ps_alerts__is_set(st, ops->fields[i].key))
			return ops->fields[i].key;
	return NULL;
}

/* Used and every required connection setting given. */
static int
ps_alerts__platform_ready(ps_store *st, ps_platform id)
{
	const ps_platform_ops *ops = ps_platform_ops_of(id);

	return ps_alerts__platform_used(st, ops) &&
	       ps_alerts__platform_missing(st, ops) == NULL;
}

/* The last connection test the console recorded failed: its message. */
static int
ps_alerts__test_failed(char *msg, size_t cap, ps_store *st,
		       const ps_platform_ops *ops)
{
	char kind[96], *text = NULL;
	int64_t at = 0;
	json_t *doc;
	int failed = 0;

	snprintf(kind, sizeof(kind), "%s%s", PS_SETUP_TEST_PREFIX, ops->name);
	if (ps_store_cache_get(&text, &at, st, kind) < 0) {
		ps_error_clear();
		return 0;
	}
	doc = json_loads(text, 0, NULL);
	free(text);
	if (json_is_object(doc) && json_is_false(json_object_get(doc, "ok"))) {
		const char *m =
			json_string_value(json_object_get(doc, "message"));

		snprintf(msg, cap, "%s", m != NULL ? m : "failed");
		failed = 1;
	}
	json_decref(doc);
	return failed;
}

/* ---- what the worker recorded ------------------------------------------ */

static const char *
ps_alerts__auth_word(const char *w)
{
	if (w != NULL && strcmp(w, "ok") == 0)
		return "ok";
	if (w != NULL && strcmp(w, "auth_failed") == 0)
		return "auth_failed";
	return "unknown";
}

/* The parked entries of the flows that talk to platform id. */
static int
ps_alerts__parked(size_t *out, ps_store *st, ps_platform id)
{
	const ps_flow_ops *const *f;
	size_t n;
	int error;

	*out = 0;
	for (f = ps_flows_all(); *f != NULL; f++) {
		if ((*f)->source != id && (*f)->target != id)
			continue;
		if ((error = ps_store_log_count_parked(&n, st, (*f)->name)) < 0)
			return error;
		*out += n;
	}
	return 0;
}

int
ps_auth_states_load(ps_auth_state out[PS_PLATFORM_MAX], ps_store *st,
		    int count_parked)
{
	const ps_platform_ops *const *p;
	char stream[64], *text = NULL, *fp;
	json_t *doc = NULL;
	size_t i;
	int error;

	for (i = 0; i < PS_PLATFORM_MAX; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		out[i].auth = "unknown";
	}
	error = ps_store_cache_get(&text, NULL, st, "worker.platforms");
	if (error == PS_ENOTFOUND)
		ps_error_clear();
	else if (error < 0)
		return error;
	if (text != NULL)
		doc = json_loads(text, 0, NULL);
	free(text);
	for (p = ps_platforms_all(); *p != NULL; p++) {
		ps_auth_state *a;
		json_t *r = json_object_get(doc, (*p)->name);

		if ((unsigned)(*p)->id >= PS_PLATFORM_MAX)
			continue;
		a = &out[(*p)->id];
		a->auth = ps_alerts__auth_word(
			json_string_value(json_object_get(r, "auth")));
		a->auth_since_ms =
			json_integer_value(json_object_get(r, "auth_since_ms"));
		a->throttled_at_ms = json_integer_value(
			json_object_get(r, "throttled_at_ms"));
		a->throttled_since_ms = json_integer_value(
			json_object_get(r, "throttled_since_ms"));
		fp = NULL;
		snprintf(stream, sizeof(stream), PS_AUTH_REFUSED_CURSOR "%s",
			 (*p)->name);
		error = ps_store_cursor_get(&fp, NULL, st, stream);
		if (error == PS_ENOTFOUND) {
			ps_error_clear();
			continue;
		}
		if (error < 0)
			goto done;
		a->waiting = fp[0] != '\0';
		free(fp);
		if (a->waiting && count_parked &&
		    (error = ps_alerts__parked(&a->parked, st, (*p)->id)) < 0)
			goto done;
	}
	error = 0;
done:
	json_decref(doc);
	return error;
}

/* This hour's throttle answers of one platform (the worker writes hourly
 * rows).  Whether a platform refuses the credentials is the worker's own
 * record (ps_auth_states_load), not these counts. */
struct ps_alerts__http {
	int64_t bucket; /* the newest hour seen */
	int64_t throttled;
};

static int
ps_alerts__on_http(int64_t bucket, ps_platform platform, const char *endpoint,
		   const char *outcome, int64_t count, void *payload)
{
	struct ps_alerts__http *h = payload;

	(void)endpoint;
	if ((unsigned)platform >= PS_PLATFORM_MAX)
		return 0;
	h = &h[platform];
	if (bucket > h->bucket) {
		memset(h, 0, sizeof(*h));
		h->bucket = bucket;
	} else if (bucket < h->bucket) {
		return 0;
	}
	/* the outcomes are ps_http_outcome_name()'s words */
	if (strcmp(outcome, "throttled") == 0)
		h->throttled += count;
	return 0;
}

/* The newest recorded budget of platform id: remaining and quota. */
static void
ps_alerts__budget(long *remaining, long *quota, const ps_store_budget *v,
		  size_t n, ps_platform id)
{
	int64_t at = -1;
	size_t i;

	*remaining = -1;
	*quota = -1;
	for (i = 0; i < n; i++)
		if (v[i].platform == id && v[i].updated_at > at) {
			at = v[i].updated_at;
			*remaining = v[i].remaining;
			*quota = v[i].quota;
		}
}

static int
ps_alerts__platforms(ps_alerts *a, ps_store *st, int64_t now)
{
	const ps_platform_ops *const *p;
	struct ps_alerts__http http[PS_PLATFORM_MAX];
	ps_auth_state auth[PS_PLATFORM_MAX];
	ps_store_budget *budgets = NULL;
	size_t nbudgets = 0;
	char msg[160], fix[200];
	const char *key;
	int error;

	memset(http, 0, sizeof(http));
	if ((error = ps_auth_states_load(auth, st, 1)) < 0)
		return error;
	if ((error = ps_store_http_count_foreach(st, now - HOUR_MS,
						 ps_alerts__on_http, http)) < 0)
		return error;
	if ((error = ps_store_budget_list(&budgets, &nbudgets, st)) < 0)
		return error;
	for (p = ps_platforms_all(); *p != NULL; p++) {
		const ps_platform_ops *ops = *p;
		const struct ps_alerts__http *h = &http[ops->id];
		long remaining, quota;

		if (!ps_alerts__platform_used(st, ops))
			continue; /* switched off or never set up */
		if ((key = ps_alerts__platform_missing(st, ops)) != NULL) {
			snprintf(fix, sizeof(fix),
				 "pearlsync settings set %s VALUE (console: "
				 "setup, Connections)",
				 key);
			ps_alerts__add(a, PS_ALERT_ERROR, fix,
				       "%s not connected: %s is empty, its "
				       "flows are skipped",
				       ops->title, key);
			continue;
		}
		snprintf(fix, sizeof(fix),
			 "correct the %s credentials, then test them: "
			 "console setup, Connections, t; or pearlsync "
			 "check-connection%s",
			 ops->title,
			 auth[ops->id].waiting ? "; parked entries resume "
						 "by themselves"
					       : "");
		if (auth[ops->id].waiting)
			ps_alerts__add(a, PS_ALERT_ERROR, fix,
				       "%s refused our credentials, waiting "
				       "for new credentials: %zu entr%s parked",
				       ops->title, auth[ops->id].parked,
				       auth[ops->id].parked == 1 ? "y" : "ies");
		else if (strcmp(auth[ops->id].auth, "auth_failed") == 0)
			ps_alerts__add(a, PS_ALERT_ERROR, fix,
				       "%s refuses our credentials (its last "
				       "answers were 401/403)",
				       ops->title);
		else if (ps_alerts__test_failed(msg, sizeof(msg), st, ops))
			ps_alerts__add(a, PS_ALERT_ERROR, fix,
				       "%s connection test failed: %s",
				       ops->title, msg);
		ps_alerts__budget(&remaining, &quota, budgets, nbudgets,
				  ops->id);
		if (h->throttled > 0)
			ps_alerts__add(
				a, PS_ALERT_WARNING,
				"the worker waits and retries by itself; if "
				"it persists, raise sync.poll_interval_seconds "
				"or find what else uses the API",
				"%s is throttling us: %lld request%s refused "
				"for the rate limit this hour",
				ops->title, (long long)h->throttled,
				h->throttled == 1 ? "" : "s");
		else if (remaining == 0)
			ps_alerts__add(
				a, PS_ALERT_WARNING,
				"the worker waits for the budget to refill; "
				"if it persists, raise "
				"sync.poll_interval_seconds",
				"%s API budget is used up (0 of %ld left)",
				ops->title, quota);
	}
	ps_store_budgets_free(budgets, nbudgets);
	return 0;
}

/* ---- the worker --------------------------------------------------------- */

static int
ps_alerts__worker(ps_alerts *a, ps_store *st, int64_t now)
{
	ps_heartbeat hb;
	char age[32];
	int error;

	ps_heartbeat_init(&hb);
	error = ps_store_heartbeat_get(&hb, st);
	if (error == PS_ENOTFOUND) {
		ps_error_clear();
		ps_alerts__add(a, PS_ALERT_ERROR,
			       "start it: pearlsync worker (or systemctl "
			       "start pearlsync)",
			       "the worker has never run: nothing syncs");
		return 0;
	}
	if (error < 0)
		return error;
	if (now - hb.beat_at > PS_HEARTBEAT_STALE_MS) {
		ps_alerts__age(age, sizeof(age), now - hb.beat_at);
		ps_alerts__add(a, PS_ALERT_ERROR,
			       "start it: pearlsync worker (or systemctl "
			       "start pearlsync)",
			       "the worker is stopped (no heartbeat for "
			       "%s): nothing syncs",
			       age);
	}
	ps_heartbeat_dispose(&hb);
	return 0;
}

/* ---- settings ----------------------------------------------------------- */

/* The platform whose settings key's prefix names ("dsco.x" -> DSCO), or
 * NULL for a general setting. */
static const ps_platform_ops *
ps_alerts__key_platform(const char *key)
{
	char prefix[32];
	const char *dot = strchr(key, '.');
	size_t n = dot != NULL ? (size_t)(dot - key) : 0;

	if (n == 0 || n >= sizeof(prefix))
		return NULL;
	memcpy(prefix, key, n);
	prefix[n] = '\0';
	return ps_platform_ops_named(prefix);
}

/* Whether a setting belongs to a platform the operator does not use. */
static int
ps_alerts__key_unused(ps_store *st, const char *key)
{
	const ps_platform_ops *ops = ps_alerts__key_platform(key);

	return ops != NULL && !ps_alerts__platform_used(st, ops);
}

/* The setup field (and its step) that edits setting key, or NULL. */
static const ps_setup_field *
ps_alerts__field(const ps_setup_step_def **out_step, const char *key)
{
	const ps_flow_group *const *g;
	size_t s, f;

	*out_step = NULL;
	for (g = ps_flow_groups_all(); *g != NULL; g++)
		for (s = 0; s < (*g)->nsteps; s++)
			for (f = 0; f < (*g)->steps[s].nfields; f++) {
				const ps_setup_field *fd =
					&(*g)->steps[s].fields[f];

				if (fd->key != NULL &&
				    fd->type != PS_SETUP_FIELD_MAPPING &&
				    strcmp(fd->key, key) == 0) {
					*out_step = &(*g)->steps[s];
					return fd;
				}
			}
	return NULL;
}

static void
ps_alerts__fix_set(char *fix, size_t cap, const char *key, const char *value)
{
	const ps_setup_step_def *step;
	const ps_setup_field *f = ps_alerts__field(&step, key);

	if (f != NULL)
		snprintf(fix, cap,
			 "pearlsync settings set %s %s (console: setup, %s, "
			 "%s)",
			 key, value, step->title, f->label);
	else
		snprintf(fix, cap, "pearlsync settings set %s %s", key, value);
}

static int
ps_alerts__missing(ps_alerts *a, ps_store *st)
{
	const ps_setting_def *d;
	char fix[200];
	size_t i;

	for (i = 0; (d = ps_settings_at(i)) != NULL; i++) {
		const ps_platform_ops *ops = ps_alerts__key_platform(d->key);

		/* an incomplete connection has its own alert */
		if (!d->required || d->default_value != NULL ||
		    ps_alerts__key_unused(st, d->key) ||
		    ps_alerts__platform_missing(st, ops) != NULL ||
		    ps_alerts__is_set(st, d->key))
			continue;
		ps_alerts__fix_set(fix, sizeof(fix), d->key,
				   d->type == PS_SETTING_ID ? "ID" : "VALUE");
		ps_alerts__add(a, PS_ALERT_ERROR, fix,
			       "%s is not set (%s): the flows needing it "
			       "wait",
			       d->key, d->description);
	}
	return 0;
}

/* A picked value (or one of a list's) that its list no longer has. */
static void
ps_alerts__pick(ps_alerts *a, ps_store *st, const ps_setup_step_def *step,
		const ps_setup_field *f, int64_t now)
{
	char *value, fix[200], age[32];
	const char *p, *end, *title, *label;
	const ps_platform_ops *ops;
	const ps_setting_def *def;
	int64_t at = 0;
	json_t *arr;
	int either;

	if (ps_alerts__key_unused(st, f->key) ||
	    (value = ps_settings_value(st, f->key)) == NULL)
		return;
	if (ps_setting_check__cached(&arr, &at, st, f->list) < 0)
		ps_error_clear();
	if (arr == NULL) {
		free(value); /* never fetched: nothing to check against */
		return;
	}
	def = ps_settings_find(f->key);
	either = def != NULL && def->type != PS_SETTING_ID &&
		 def->type != PS_SETTING_ID_LIST;
	for (p = value; *p != '\0'; p = *end ? end + 1 : end) {
		end = f->type == PS_SETUP_FIELD_PICK_MANY ? strchr(p, ',')
							  : NULL;
		if (end == NULL)
			end = p + strlen(p);
		if (end == p || ps_setting_check__has(arr, p, (size_t)(end - p),
						      f->by_name, either))
			continue;
		ps_alerts__age(age, sizeof(age), now - at);
		snprintf(fix, sizeof(fix),
			 "pick another: console setup, %s, %s; or pearlsync "
			 "settings set %s VALUE",
			 step->title, f->label, f->key);
		ops = ps_setting_check__owner(&label, f->list);
		/* labels may name their platform already */
		title = ops != NULL && strncmp(label, ops->title,
					       strlen(ops->title)) != 0
				? ops->title
				: "";
		ps_alerts__add(a, PS_ALERT_ERROR, fix,
			       "%s '%.*s': no such %s%s%s (list fetched %s "
			       "ago)",
			       f->key, (int)(end - p), p, title,
			       title[0] ? " " : "", label, age);
		break;
	}
	json_decref(arr);
	free(value);
}

static void
ps_alerts__picks(ps_alerts *a, ps_store *st, int64_t now)
{
	const ps_flow_group *const *g;
	size_t s, f;

	for (g = ps_flow_groups_all(); *g != NULL; g++)
		for (s = 0; s < (*g)->nsteps; s++)
			for (f = 0; f < (*g)->steps[s].nfields; f++) {
				const ps_setup_field *fd =
					&(*g)->steps[s].fields[f];

				if ((fd->type == PS_SETUP_FIELD_PICK ||
				     fd->type == PS_SETUP_FIELD_PICK_MANY) &&
				    fd->key != NULL && fd->list != NULL)
					ps_alerts__pick(a, st, &(*g)->steps[s],
							fd, now);
			}
}

/* ---- flows -------------------------------------------------------------- */

/*
 * A pair's order sync switched off once both its platforms are set up:
 * the setup step's explicit toggle ("Import orders") was left or turned
 * off, so the worker skips the flow.  The other toggles (notes, payments,
 * inventory...) are the operator's choice and raise nothing.  A toggle
 * shared by several flows is reported once.
 */
static void
ps_alerts__flows(ps_alerts *a, ps_store *st)
{
	static const char suffix[] = ".orders.enabled";
	const ps_flow_ops *const *f, *const *g;
	const ps_setup_step_def *step;
	const ps_setup_field *fd;
	char fix[200], *paused = NULL;
	size_t n;
	int on, seen;

	for (f = ps_flows_all(); *f != NULL; f++) {
		const char *key = (*f)->enabled_setting;

		if (!ps_alerts__platform_ready(st, (*f)->source) ||
		    !ps_alerts__platform_ready(st, (*f)->target))
			continue;
		if (key == NULL || (n = strlen(key)) < sizeof(suffix) - 1 ||
		    strcmp(key + n - (sizeof(suffix) - 1), suffix) != 0)
			continue;
		for (seen = 0, g = ps_flows_all(); g != f; g++)
			seen |= (*g)->enabled_setting != NULL &&
				strcmp((*g)->enabled_setting, key) == 0;
		if (seen || ps_settings_get_bool(&on, st, key) < 0) {
			ps_error_clear();
			continue;
		}
		if (on)
			continue;
		fd = ps_alerts__field(&step, key);
		ps_alerts__fix_set(fix, sizeof(fix), key, "true");
		ps_alerts__add(a, PS_ALERT_ERROR, fix,
			       "%s is off: %s is false, %s is skipped",
			       fd != NULL ? fd->label : key, key, (*f)->name);
	}
	if (ps_settings_paused_flows(&paused, st) < 0) {
		ps_error_clear();
		return;
	}
	for (f = ps_flows_all(); paused != NULL && *f != NULL; f++) {
		if (!ps_settings_list_contains(paused, (*f)->name))
			continue;
		snprintf(fix, sizeof(fix),
			 "resume it: p on the dashboard, or pearlsync resume "
			 "%s",
			 (*f)->name);
		ps_alerts__add(a, PS_ALERT_WARNING, fix,
			       "flow %s is paused: its work waits", (*f)->name);
	}
	free(paused);
}

/* ---- webhooks ----------------------------------------------------------- */

static void
ps_alerts__hooks(ps_alerts *a, ps_store *st)
{
	ps_hook_state *hooks = NULL;
	size_t n = 0, i, k, inactive;

	if (ps_store_hooks_list(&hooks, &n, st) < 0) {
		ps_error_clear();
		return;
	}
	for (i = 0; i < n; i = k) {
		inactive = 0;
		for (k = i; k < n && hooks[k].platform == hooks[i].platform;
		     k++)
			inactive += !hooks[k].active;
		/* registered, so in use: unless switched off since */
		if (inactive == 0 ||
		    (ps_platform_ops_of(hooks[i].platform) != NULL &&
		     !ps_platform_switched_on(
			     ps_platform_ops_of(hooks[i].platform), st)))
			continue;
		ps_alerts__add(
			a, PS_ALERT_WARNING,
			"the worker re-activates them every few minutes: "
			"check webhooks.public_url reaches the listener "
			"(pearlsync check-connection)",
			"%zu %s webhook%s deactivated: changes arrive only by "
			"polling",
			inactive, ps_platform_title(hooks[i].platform),
			inactive == 1 ? "" : "s");
	}
	ps_hook_states_free(hooks, n);
}

/* ---- anomalies ---------------------------------------------------------- */

/* Figures far from the usual (anomalies.h): a warning each. */
static int
ps_alerts__anomalies(ps_alerts *a, ps_store *st, int64_t now)
{
	ps_anomalies *an = malloc(sizeof(*an));
	char what[sizeof(a->v[0].what)], fix[sizeof(a->v[0].fix)];
	size_t i;
	int error;

	if (an == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory (alerts)");
	if ((error = ps_anomalies_load(an, st, now)) < 0) {
		free(an);
		return error;
	}
	for (i = 0; i < an->n; i++) {
		if (!an->v[i].active)
			continue;
		ps_anomaly_describe(&an->v[i], what, sizeof(what), fix,
				    sizeof(fix));
		ps_alerts__add(a, PS_ALERT_WARNING, fix, "%s", what);
	}
	free(an);
	return 0;
}

int
ps_alerts_load(ps_alerts *out, ps_store *st, int64_t now,
	       const ps_alerts_options *opts)
{
	static const ps_alerts_options defaults = PS_ALERTS_OPTIONS_INIT;
	int error;

	memset(out, 0, sizeof(*out));
	if (opts == NULL)
		opts = &defaults;
	if ((error = ps_alerts__worker(out, st, now)) < 0)
		return error;
	if ((error = ps_alerts__platforms(out, st, now)) < 0)
		return error;
	ps_alerts__flows(out, st);
	if ((error = ps_alerts__missing(out, st)) < 0)
		return error;
	ps_alerts__picks(out, st, now);
	ps_alerts__hooks(out, st);
	if ((error = ps_alerts__anomalies(out, st, now)) < 0)
		return error;
	if (opts->failed > 0)
		ps_alerts__add(out, PS_ALERT_WARNING,
			       "sync log (4), filter failed (s), r or R to "
			       "retry; or pearlsync retry --failed",
			       "%lld sync log entr%s failed",
			       (long long)opts->failed,
			       opts->failed == 1 ? "y" : "ies");
	return 0;
}
