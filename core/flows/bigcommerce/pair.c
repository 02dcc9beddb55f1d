/*
 * pair.c - what the flows of the BigCommerce <-> Brightpearl pair share:
 * matching typed webhook events, registering the Brightpearl webhooks the
 * return flows act on, recording log entries, following the order
 * cross-reference, results, and the poll cursor's transaction.
 *
 * No wire format here: events arrive decoded (topic, object, ids) and the
 * Brightpearl calls are the connector's typed ones (pearlsync/
 * brightpearl.h).
 */
#include "flows/bigcommerce/pair_int.h"
#include "pearlsync/replay.h"
#include "internal.h"
#include "setting_keys.h"
#include "pearlsync/settings.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int
parse_i64(int64_t *out, const char *s, const char **end)
{
	char *e;
	long long v;

	errno = 0;
	v = strtoll(s, &e, 10);
	if (e == s || errno != 0 || v <= 0)
		return PS_EPARSE;
	*out = (int64_t)v;
	*end = e;
	return 0;
}

int
ps_pair__setting_is(ps_store *st, const char *key, const char *value)
{
	char *t = NULL;
	int is;

	if (ps_settings_get(&t, st, key) < 0) {
		ps_error_clear();
		return 0;
	}
	is = t != NULL && strcmp(t, value) == 0;
	free(t);
	return is;
}

int
ps_pair__bp_status_setting(int64_t *out, ps_flow_env *env, const char *key)
{
	char *t = NULL;
	int error;

	*out = 0;
	if (ps_settings_get(&t, env->store, key) < 0) {
		ps_error_clear();
		return 0;
	}
	error = ps_bp_order_status_resolve(out, PS_PAIR_BP(env), t, key);
	free(t);
	return error;
}

int
ps_pair__event_is(const ps_event *ev, ps_platform platform, const char *name)
{
	size_t n = strlen(name);

	return ev->platform == platform && ev->object != NULL &&
	       ev->object[0] != '\0' && ev->topic != NULL &&
	       strncmp(ev->topic, name, n) == 0 &&
	       (ev->topic[n] == '\0' || ev->topic[n] == '.');
}

/*
 * Register the Brightpearl webhooks for events, calling back at the
 * listener's public address with the secret in the path.  Without a
 * public URL or a secret nothing is done.
 */
static int
webhooks_ensure(ps_flow_env *env, const char *const *events, size_t n)
{
	char *base = NULL, *secret = NULL;
	int error = 0;

	if (PS_PAIR_BP(env) == NULL)
		return 0;
	if (ps_settings_get(&base, env->store, PS_SET_WEBHOOKS_PUBLIC_URL) <
		    0 ||
	    ps_settings_get(&secret, env->store, PS_SET_WEBHOOKS_SECRET) < 0 ||
	    base[0] == '\0' || secret[0] == '\0') {
		ps_error_clear();
		goto done;
	}
	error = ps_bp_webhooks_ensure(NULL, PS_PAIR_BP(env), base, secret,
				      events, n);
done:
	free(base);
	free(secret);
	return error;
}

typedef struct hooks_state {
	int registered;
} hooks_state;

int
ps_pair__hooks_init_later(void **out_state, ps_flow_env *env)
{
	hooks_state *hs = calloc(1, sizeof(*hs));

	*out_state = hs;
	env->state = hs;
	return hs ? 0 : ps_error_set(PS_ENOMEM, NULL);
}

int
ps_pair__hooks_init(void **out_state, ps_flow_env *env,
		    const char *const *events, size_t n)
{
	hooks_state *hs = calloc(1, sizeof(*hs));

	*out_state = NULL;
	if (hs == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	*out_state = hs;
	env->state = hs;
	if (PS_PAIR_BP(env) != NULL && webhooks_ensure(env, events, n) == 0)
		hs->registered = 1;
	ps_error_clear();
	return 0;
}

int
ps_pair__hooks_poll(ps_flow_env *env, const char *const *events, size_t n)
{
	hooks_state *hs = env->state;
	int error;

	if (hs == NULL || hs->registered || PS_PAIR_BP(env) == NULL)
		return 0;
	if ((error = webhooks_ensure(env, events, n)) < 0)
		return error;
	hs->registered = 1;
	return 0;
}

void
ps_pair__hooks_fini(void *state)
{
	free(state);
}

int
ps_pair__log_add(ps_flow_env *env, const char *flow, const char *key,
		 const char *kind, const char *subject,
		 const char *subject_order, ps_platform source,
		 const char *source_id, ps_platform target,
		 const char *order_number)
{
	ps_log_entry e;
	int rc;

	ps_log_entry_init(&e);
	/* borrowed strings: e is never disposed */
	e.flow = (char *)(uintptr_t)flow;
	e.dedupe_key = (char *)(uintptr_t)key;
	e.kind = (char *)(uintptr_t)kind;
	e.subject = (char *)(uintptr_t)subject;
	e.subject_order = (char *)(uintptr_t)subject_order;
	e.source_platform = source;
	e.source_id = (char *)(uintptr_t)source_id;
	e.target_platform = target;
	e.order_number = (char *)(uintptr_t)order_number;
	rc = ps_store_log_add(NULL, env->store, &e, env->now);
	return rc < 0 ? rc : 0;
}

static int
entry_id(int64_t *out, const ps_log_entry *e, const char *value,
	 const char *what)
{
	const char *end;

	*out = 0;
	if (value == NULL || parse_i64(out, value, &end) < 0 || *end != '\0') {
		*out = 0;
		return ps_error_set(PS_EDATA, "log entry %lld (%s) has no %s",
				    (long long)e->id,
				    e->kind && e->kind[0] ? e->kind : "no kind",
				    what);
	}
	return 0;
}

int
ps_pair__entry_subject(int64_t *out, const ps_log_entry *e)
{
	return entry_id(out, e, e->subject, "subject id");
}

int
ps_pair__entry_subject_order(int64_t *out, const ps_log_entry *e)
{
	return entry_id(out, e, e->subject_order, "subject order id");
}

static int
xref_lookup(int64_t *out, ps_store *st, ps_platform from, int64_t id,
	    ps_platform to)
{
	char num[32], *s = NULL;
	const char *end;
	int error;

	*out = 0;
	snprintf(num, sizeof(num), "%" PRId64, id);
	if ((error = ps_store_xref_get(&s, st, "order", from, num, to)) < 0)
		return error;
	if (parse_i64(out, s, &end) < 0 || *end != '\0')
		error = ps_error_set(PS_EDATA,
				     "order cross-reference '%s' is "
				     "not a number",
				     s);
	free(s);
	return error;
}

int
ps_pair__bc_order_of(int64_t *out, ps_store *st, int64_t bp_order_id)
{
	return xref_lookup(out, st, PS_PLATFORM_BRIGHTPEARL, bp_order_id,
			   PS_PLATFORM_BIGCOMMERCE);
}

int
ps_pair__bp_order_of(int64_t *out, ps_store *st, int64_t bc_order_id)
{
	return xref_lookup(out, st, PS_PLATFORM_BIGCOMMERCE, bc_order_id,
			   PS_PLATFORM_BRIGHTPEARL);
}

int
ps_pair__setting_on(ps_store *st, const char *key)
{
	int on = 0;

	if (ps_settings_get_bool(&on, st, key) < 0) {
		ps_error_clear();
		return 0;
	}
	return on;
}

int
ps_pair__result(ps_flow_result *res, const char *target_id, const char *fmt,
		...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	free(res->detail);
	free(res->target_id);
	res->detail = ps_util__strdup(buf);
	res->target_id = target_id ? ps_util__strdup(target_id) : NULL;
	if (res->detail == NULL || (target_id && res->target_id == NULL))
		return ps_error_set(PS_ENOMEM, NULL);
	return 0;
}

void
ps_pair__poll_since(char *buf, size_t cap, ps_flow_env *env, const char *cursor)
{
	char *stored = NULL;
	time_t t;
	struct tm tm;

	if (ps_store_cursor_get(&stored, NULL, env->store, cursor) == 0) {
		ps_util__strlcpy(buf, stored, cap);
		free(stored);
		return;
	}
	ps_error_clear();
	t = (time_t)((env->now - 86400000) / 1000);
	gmtime_r(&t, &tm);
	strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int
ps_pair__poll_end(ps_flow_env *env, const char *cursor, const char *value,
		  int error)
{
	if (error == 0)
		error = ps_store_cursor_set(env->store, cursor, value,
					    env->now);
	if (error < 0) {
		ps_store_rollback(env->store);
		return error;
	}
	return ps_store_commit(env->store);
}

int
ps_pair__replay_queue(struct ps_replay *r, const char *object, const char *flow,
		      const char *key, const char *kind, const char *subject,
		      const char *subject_order, ps_platform source,
		      const char *source_id, ps_platform target,
		      const char *order_number)
{
	ps_log_entry e;

	ps_log_entry_init(&e);
	/* borrowed strings: e is never disposed */
	e.flow = (char *)(uintptr_t)flow;
	e.dedupe_key = (char *)(uintptr_t)key;
	e.kind = (char *)(uintptr_t)kind;
	e.subject = (char *)(uintptr_t)subject;
	e.subject_order = (char *)(uintptr_t)subject_order;
	e.source_platform = source;
	e.source_id = (char *)(uintptr_t)source_id;
	e.target_platform = target;
	e.order_number = (char *)(uintptr_t)order_number;
	return ps_replay_queue(r, object, subject, &e, 0);
}

void
ps_pair__replay_since(char *buf, size_t cap, const struct ps_replay *r)
{
	time_t t = (time_t)(ps_replay_since(r) / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int
ps_pair__replay_in(const struct ps_replay *r, const char *iso)
{
	int64_t at;

	if (ps_bp_time_parse(&at, iso) < 0)
		return 1;
	return ps_replay_in_window(r, at);
}
