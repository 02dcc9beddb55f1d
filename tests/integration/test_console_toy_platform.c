/*
 * test_console_toy_platform.c - a platform that exists only in this file
 * plugs in.
 *
 * "ToyShop" is a plug-in (platform.h) served by this test's mock server
 * and one flow of its own, defined here and nowhere else.  It registers
 * (ps_platform_register); its settings join the catalogue; the console's
 * setup model shows its connection step and its test reaches the toy
 * store; the worker connects it, its listener routes /webhooks/toyshop to
 * its webhook_accept and stores the typed event; its flow records an
 * entry for it and performs it: the item read from the toy store is
 * written to the toy store's mirror; its rate dialect feeds the limiter,
 * and the dashboard shows its budget.  Nothing
 * outside this file and the registries knows ToyShop exists.
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "mock_server.h"
#include "model_dashboard.h"
#include "model_setup.h"
#include "pearlsync/config.h"
#include "pearlsync/connect.h"
#include "pearlsync/flow.h"
#include "pearlsync/platform.h"
#include "pearlsync/settings.h"
#include "pearlsync/store.h"
#include "pearlsync/worker.h"
#include "sandbox_proc.h"

#define TOY_ID ((ps_platform)9)
#define TOKEN "toy-token-3141"

/* ---- the plug-in ----------------------------------------------------------
 */

typedef struct toy_conn {
	ps_http *http;
	char *url;
	char *token;
} toy_conn;

static int
toy_connect(void **out, ps_store *st, const ps_config *cfg, ps_http *http)
{
	toy_conn *c;
	int error;

	(void)cfg;
	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return PS_ENOMEM;
	c->http = http;
	if ((error = ps_settings_get(&c->url, st, "toyshop.url")) < 0 ||
	    (error = ps_settings_get(&c->token, st, "toyshop.token")) < 0) {
		free(c->url);
		free(c->token);
		free(c);
		return error;
	}
	*out = c;
	return 0;
}

static void
toy_free(void *conn)
{
	toy_conn *c = conn;

	if (c == NULL)
		return;
	free(c->url);
	free(c->token);
	free(c);
}

/* One request to the toy store; the reply's body into *out_body. */
static int
toy_send(char **out_body, toy_conn *c, const char *method, const char *path,
	 const char *body)
{
	ps_http_response r = PS_HTTP_RESPONSE_INIT;
	ps_http_request q;
	char url[512], auth[128];
	const char *headers[2] = {auth, NULL};
	int error;

	snprintf(url, sizeof(url), "%s%s", c->url, path);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", c->token);
	memset(&q, 0, sizeof(q));
	q.platform = TOY_ID;
	q.account = c->url;
	q.method = method;
	q.url = url;
	q.endpoint = path;
	q.headers = headers;
	q.body = body;
	q.body_len = body != NULL ? strlen(body) : 0;
	q.idempotent = 1;
	if ((error = ps_http_send(&r, c->http, &q)) < 0)
		return error;
	if (r.status != 200) {
		ps_http_response_dispose(&r);
		return ps_error_set(PS_EREMOTE, "ToyShop answered %ld",
				    r.status);
	}
	if (out_body != NULL) {
		*out_body = strndup(r.body != NULL ? r.body : "", r.body_len);
		if (*out_body == NULL)
			error = PS_ENOMEM;
	}
	ps_http_response_dispose(&r);
	return error;
}

static int
toy_check(char **out_name, void *conn)
{
	int error = toy_send(NULL, conn, "GET", "/ping", NULL);

	*out_name = error == 0 ? strdup("the toy store") : NULL;
	return error;
}

static int
toy_accept(ps_webhook_event *out, const ps_webhook_request *req)
{
	const char *given = req->header(req->header_ctx, "X-Toy-Token");
	json_t *doc, *item;
	char *token = NULL;
	int ok;

	memset(out, 0, sizeof(*out));
	if (ps_settings_get(&token, req->store, "toyshop.token") < 0)
		ps_error_clear();
	ok = token != NULL && given != NULL && strcmp(token, given) == 0;
	free(token);
	if (!ok)
		return ps_error_set(PS_EAUTH, "wrong toy token");
	doc = json_loadb(req->body, req->body_len, 0, NULL);
	item = json_object_get(doc, "item");
	ok = json_is_integer(item) && json_integer_value(item) > 0;
	if (ok) {
		snprintf(out->topic, sizeof(out->topic), "item.changed");
		snprintf(out->object, sizeof(out->object), "item");
		out->ids[0] = json_integer_value(item);
		out->nids = 1;
	}
	json_decref(doc);
	return ok ? 0 : ps_error_set(PS_EINVAL, "no item");
}

/* Its rate dialect: every reply says the credits left and the quota. */
static int
toy_rate_read(ps_http_budget_hint *out, const ps_http_response *r)
{
	long left = (long)ps_http_response_header_number(r, "X-Toy-Credits");
	long quota = (long)ps_http_response_header_number(r, "X-Toy-Quota");

	if (left < 0)
		return 0;
	out->remaining = left;
	out->quota = quota;
	out->reset_ms = -1;
	out->window_ms = -1;
	out->refill_per_s = 1;
	return 1;
}

static const ps_http_dialect toy_rate = {
	.unit = "credits",
	.read = toy_rate_read,
};

static const ps_setting_def toy_settings[] = {
	{.key = "toyshop.url",
	 .type = PS_SETTING_URL,
	 .required = 1,
	 .description = "ToyShop API URL"},
	{.key = "toyshop.token",
	 .type = PS_SETTING_SECRET,
	 .required = 1,
	 .description = "ToyShop token"},
};

static const ps_platform_field toy_fields[] = {
	{.kind = PS_PLATFORM_FIELD_URL,
	 .key = "toyshop.url",
	 .label = "ToyShop API URL",
	 .required = 1},
	{.kind = PS_PLATFORM_FIELD_SECRET,
	 .key = "toyshop.token",
	 .label = "ToyShop token",
	 .required = 1},
};

static const ps_platform_ops toy_platform = {
	.id = TOY_ID,
	.name = "toyshop",
	.code = "ts",
	.title = "ToyShop",
	.account_setting = "toyshop.url",
	.settings = toy_settings,
	.nsettings = 2,
	.fields = toy_fields,
	.nfields = 2,
	.setup_help = "the toy store's URL and token",
	.connect = toy_connect,
	.free = toy_free,
	.check = toy_check,
	.webhook_accept = toy_accept,
	.rate = &toy_rate,
};

/* ---- its flow -------------------------------------------------------------
 */

static int
toy_on_event(ps_flow_env *env, const ps_event *ev)
{
	char key[96], id[32];
	ps_log_entry e;
	size_t i;
	int error;

	if (ev->platform != TOY_ID || ev->object == NULL ||
	    strcmp(ev->object, "item") != 0)
		return 0;
	for (i = 0; i < ev->nids; i++) {
		snprintf(key, sizeof(key), "toyshop:item:%lld:%lld",
			 (long long)ev->ids[i], (long long)ev->id);
		snprintf(id, sizeof(id), "%lld", (long long)ev->ids[i]);
		ps_log_entry_init(&e);
		e.flow = (char *)"toy_mirror";
		e.dedupe_key = key;
		e.source_platform = TOY_ID;
		e.target_platform = TOY_ID;
		e.source_id = id;
		if ((error = ps_store_log_add(NULL, env->store, &e, env->now)) <
		    0)
			return error;
	}
	return 0;
}

static int
toy_perform(ps_flow_env *env, const ps_log_entry *entry, ps_flow_result *res)
{
	toy_conn *c = env->conn[TOY_ID];
	char path[64], *item = NULL;
	int error;

	snprintf(path, sizeof(path), "/items/%s", entry->source_id);
	if ((error = toy_send(&item, c, "GET", path, NULL)) < 0)
		return error;
	snprintf(path, sizeof(path), "/mirror/%s", entry->source_id);
	error = toy_send(NULL, c, "PUT", path, item);
	free(item);
	if (error < 0)
		return error;
	res->target_id = strdup(entry->source_id);
	return res->target_id != NULL ? 0 : PS_ENOMEM;
}

static const ps_flow_ops toy_flow = {
	.name = "toy_mirror",
	.description = "ToyShop items into the ToyShop mirror",
	.source = TOY_ID,
	.target = TOY_ID,
	.on_event = toy_on_event,
	.perform = toy_perform,
};

static const ps_flow_ops *const toy_flows[] = {&toy_flow, NULL};

/* ---- the test -------------------------------------------------------------
 */

static char dir[] = "/tmp/ps-toy-XXXXXX";

static void
set(ps_store *st, const char *key, const char *value)
{
	assert_int_equal(
		ps_store_setting_set(NULL, st, key, value, "test", 1000), 0);
}

static void
test_toy_platform_plugs_in(void **state)
{
	const ps_platform_ops *const *p;
	ps_worker_options o = PS_WORKER_OPTIONS_INIT;
	const mock_request *q;
	mock_server *m = NULL;
	ps_worker *w = NULL;
	ps_store *st = NULL;
	ps_config cfg;
	ps_log_entry *entries = NULL;
	ps_log_query lq = PS_LOG_QUERY_INIT;
	sandbox_reply r;
	char url[128];
	const char *good[] = {"X-Toy-Token: " TOKEN, NULL};
	const char *bad[] = {"X-Toy-Token: nope", NULL};
	size_t n = 0, i, found = 0;
	int tick;

	(void)state;
	/* it registers, once, and its names resolve */
	assert_int_equal(ps_platform_register(&toy_platform), 0);
	assert_int_equal(ps_platform_register(&toy_platform), 0);
	assert_string_equal(ps_platform_name(TOY_ID), "toyshop");
	assert_ptr_equal(ps_platform_ops_named("ts"), &toy_platform);
	for (p = ps_platforms_all(); *p != NULL; p++)
		found += *p == &toy_platform;
	assert_int_equal(found, 1);
	/* its settings are in the catalogue; the token is a secret */
	assert_non_null(ps_settings_find("toyshop.url"));
	assert_true(ps_settings_is_secret("toyshop.token"));

	assert_non_null(mkdtemp(dir));
	ps_config_init(&cfg);
	snprintf(cfg.db_path, sizeof(cfg.db_path), "%s/pearlsync.db", dir);
	snprintf(cfg.listen_address, sizeof(cfg.listen_address), "127.0.0.1");
	cfg.listen_port = 0;
	assert_int_equal(ps_store_open(&st, cfg.db_path, 0), 0);
	assert_int_equal(mock_server_start(&m, NULL), 0);
	set(st, "toyshop.url", mock_server_url(m));
	set(st, "toyshop.token", TOKEN);
	set(st, "webhooks.secret", "unused-by-the-toy");

	/* the console's Connections step shows its fields and its test */
	{
		const ps_setup_field *f;
		ps_http *http = NULL;
		char msg[256];
		int has_url = 0, has_token = 0, has_test = 0;

		for (i = 0;
		     (f = ps_setup_field_at(PS_SETUP_CONNECTIONS, i)) != NULL;
		     i++) {
			has_url += f->key != NULL &&
				   strcmp(f->key, "toyshop.url") == 0;
			has_token += f->key != NULL &&
				     strcmp(f->key, "toyshop.token") == 0 &&
				     f->type == PS_SETUP_FIELD_SECRET;
			has_test += f->type == PS_SETUP_FIELD_TEST &&
				    f->platform == TOY_ID &&
				    strstr(f->label, "ToyShop") != NULL;
		}
		assert_int_equal(has_url, 1);
		assert_int_equal(has_token, 1);
		assert_int_equal(has_test, 1);
		/* and its test reaches the toy store */
		mock_server_reply(m, 200, "Content-Type: application/json\n",
				  "{}");
		assert_int_equal(ps_connect_http(&http, &cfg, NULL), 0);
		assert_int_equal(ps_setup_test_connection(msg, sizeof(msg), st,
							  &cfg, http, TOY_ID,
							  2000),
				 0);
		assert_non_null(strstr(msg, "the toy store"));
		assert_null(strstr(msg, TOKEN));
		ps_http_free(http);
		assert_int_equal(mock_server_request_count(m), 1);
		assert_string_equal(mock_server_request(m, 0)->path, "/ping");
	}

	o.flows = toy_flows;
	o.listen = 1;
	o.connect = 1;
	o.tick_ms = 10;
	assert_int_equal(ps_worker_new(&w, st, &cfg, &o), 0);
	assert_int_equal(ps_worker_start(w), 0);

	/* a delivery with the wrong token is refused and stores nothing */
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/webhooks/toyshop",
		 ps_worker_listen_port(w));
	assert_int_equal(
		sandbox_http(&r, "POST", url, bad, "{\"item\":7}", NULL), 401);
	sandbox_reply_dispose(&r);
	/* a malformed one: 400 */
	assert_int_equal(
		sandbox_http(&r, "POST", url, good, "{\"thing\":7}", NULL),
		400);
	sandbox_reply_dispose(&r);

	/* the toy store: the item, then the mirror's answer */
	mock_server_reply(m, 200,
			  "Content-Type: application/json\n"
			  "X-Toy-Credits: 9\nX-Toy-Quota: 10\n",
			  "{\"name\":\"Wooden duck\",\"price\":\"4.50\"}");
	mock_server_reply(m, 200,
			  "Content-Type: application/json\n"
			  "X-Toy-Credits: 8\nX-Toy-Quota: 10\n",
			  "{}");
	assert_int_equal(
		sandbox_http(&r, "POST", url, good, "{\"item\":7}", NULL), 200);
	sandbox_reply_dispose(&r);
	for (tick = 0; tick < 50 && mock_server_request_count(m) < 3; tick++) {
		assert_int_equal(ps_worker_tick(w), 0);
		usleep(20000);
	}

	/* the toy store saw the read, then the write of what was read */
	assert_int_equal(mock_server_request_count(m), 3);
	q = mock_server_request(m, 1);
	assert_string_equal(q->method, "GET");
	assert_string_equal(q->path, "/items/7");
	q = mock_server_request(m, 2);
	assert_string_equal(q->method, "PUT");
	assert_string_equal(q->path, "/mirror/7");
	assert_string_equal(q->body,
			    "{\"name\":\"Wooden duck\",\"price\":\"4.50\"}");
	assert_string_equal(mock_request_header(q, "Authorization"),
			    "Bearer " TOKEN);

	/* the console's dashboard shows its budget, as the worker recorded
	 * it from the replies' headers */
	assert_int_equal(ps_worker_tick(w), 0);
	{
		ps_dashboard d;
		char budget[128];

		assert_int_equal(ps_dashboard_load(&d, st, 3000), 0);
		ps_dashboard_budget(budget, sizeof(budget), &d, TOY_ID);
		assert_non_null(strstr(budget, "8/10 credits"));
	}

	/* and the entry says so */
	assert_int_equal(ps_store_log_list(&entries, &n, st, &lq), 0);
	found = 0;
	for (i = 0; i < n; i++)
		if (strcmp(entries[i].flow, "toy_mirror") == 0) {
			assert_int_equal(entries[i].status, PS_ENTRY_SYNCED);
			assert_string_equal(entries[i].target_id, "7");
			found++;
		}
	assert_int_equal(found, 1);
	ps_log_entries_free(entries, n);

	ps_worker_free(w);
	ps_store_close(st);
	mock_server_stop(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_toy_platform_plugs_in),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
