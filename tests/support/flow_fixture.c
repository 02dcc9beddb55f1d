/*
 * flow_fixture.c - the sandbox, scratch database, connectors and worker
 * shared by the end-to-end flow tests (see flow_fixture.h).
 */
#define _DEFAULT_SOURCE
#include "flow_fixture.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "pearlsync/config.h"
#include "pearlsync/flow.h"
#include "pearlsync/log.h"

#define FIXTURE_SECRET "fixture-path-secret"
/* Room in flow_fixture.flows, less the terminating NULL. */
#define FIXTURE_MAX_FLOWS 8

int64_t
flow_fixture_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A loopback port free at the time of asking (0 on failure). */
static int
free_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = 0;

	if (fd < 0)
		return 0;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	close(fd);
	return port;
}

int
flow_fixture_set(flow_fixture *fx, const char *key, const char *value)
{
	if (ps_store_setting_set(NULL, fx->st, key, value, "test",
				 flow_fixture_now_ms()) < 0) {
		fprintf(stderr, "setting %s: %s\n", key, ps_error_last());
		return -1;
	}
	return 0;
}

int
flow_fixture_open(flow_fixture *fx, const char *const *sandbox_args)
{
	static const char *const dflt[] = {"--seed", "demo", "--quota", "off",
					   NULL};
	ps_http_options ho = PS_HTTP_OPTIONS_INIT;
	ps_bp_options bo = PS_BP_OPTIONS_INIT;
	ps_bc_options co = PS_BC_OPTIONS_INIT;
	char url[128];
	int fd;

	memset(fx, 0, sizeof(*fx));
	ps_lib_init();
	ps_log_set_level(PS_LOG_WARN);
	if (sandbox_proc_start(&fx->sb, sandbox_args ? sandbox_args : dflt,
			       15000) < 0)
		return -1;
	snprintf(fx->db_path, sizeof(fx->db_path), "/tmp/ps-flow-XXXXXX");
	if ((fd = mkstemp(fx->db_path)) < 0)
		goto fail;
	close(fd);
	unlink(fx->db_path);
	ho.max_attempts = 4;
	ho.backoff_base_ms = 2;
	ho.backoff_cap_ms = 20;
	bo.base_url = sandbox_proc_url(&fx->sb, "brightpearl");
	bo.account = "sandbox";
	bo.app_ref = "sandbox_pearlsync";
	bo.token = "sandbox-token";
	bo.instance_id = 7;
	co.base_url = sandbox_proc_url(&fx->sb, "bigcommerce");
	co.store_hash = "sandbox";
	co.access_token = "sandbox-token";
	if (ps_store_open(&fx->st, fx->db_path, 0) < 0 ||
	    ps_http_new(&fx->http, &ho) < 0 ||
	    ps_bp_new(&fx->bp, fx->http, &bo) < 0 ||
	    ps_bc_new(&fx->bc, fx->http, &co) < 0) {
		fprintf(stderr, "fixture: %s\n", ps_error_last());
		goto fail;
	}
	if ((fx->listen_port = free_port()) == 0)
		goto fail;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", fx->listen_port);
	if (flow_fixture_set(fx, "webhooks.public_url", url) < 0 ||
	    flow_fixture_set(fx, "webhooks.secret", FIXTURE_SECRET) < 0)
		goto fail;
	return 0;
fail:
	flow_fixture_close(fx);
	return -1;
}

int
flow_fixture_start_worker(flow_fixture *fx, const char *const *flows)
{
	const ps_flow_ops **ops = fx->flows;
	ps_worker_options o = PS_WORKER_OPTIONS_INIT;
	ps_config cfg;
	size_t i;

	for (i = 0; flows[i] != NULL && i < FIXTURE_MAX_FLOWS; i++)
		if ((ops[i] = ps_flow_find(flows[i])) == NULL) {
			fprintf(stderr, "fixture: no flow '%s'\n", flows[i]);
			return -1;
		}
	ops[i] = NULL;
	ps_config_init(&cfg);
	snprintf(cfg.db_path, sizeof(cfg.db_path), "%s", fx->db_path);
	snprintf(cfg.listen_address, sizeof(cfg.listen_address), "127.0.0.1");
	cfg.listen_port = fx->listen_port;
	o.flows = ops;
	o.listen = 1;
	o.register_hooks = 1;
	o.bp = fx->bp;
	o.bc = fx->bc;
	o.connect = 0;
	o.tick_ms = 10;
	o.backoff_base_ms = 10;
	o.backoff_cap_ms = 50;
	if (ps_worker_new(&fx->worker, fx->st, &cfg, &o) < 0) {
		fprintf(stderr, "fixture: worker: %s\n", ps_error_last());
		return -1;
	}
	return 0;
}

void
flow_fixture_close(flow_fixture *fx)
{
	ps_worker_free(fx->worker);
	ps_bp_free(fx->bp);
	ps_bc_free(fx->bc);
	ps_http_free(fx->http);
	ps_store_close(fx->st);
	if (fx->db_path[0] != '\0')
		unlink(fx->db_path);
	if (fx->sb.pid > 0)
		sandbox_proc_stop(&fx->sb);
	memset(fx, 0, sizeof(*fx));
}

json_t *
flow_fixture_ctl(flow_fixture *fx, const char *method, const char *path,
		 const char *body)
{
	sandbox_reply r;
	char url[512];
	json_t *j = NULL;

	snprintf(url, sizeof(url), "%s%s", fx->sb.control, path);
	sandbox_http(&r, method, url, NULL, body, NULL);
	if (r.status < 200 || r.status > 299)
		fprintf(stderr, "control %s %s -> %ld %.300s\n", method, path,
			r.status, r.body ? r.body : "");
	else
		j = r.body_len ? json_loadb(r.body, r.body_len, 0, NULL)
			       : json_object();
	sandbox_reply_dispose(&r);
	return j;
}

int64_t
flow_fixture_requests(flow_fixture *fx, const char *platform,
		      const char *endpoint)
{
	json_t *j = flow_fixture_ctl(fx, "GET", "/requests", NULL), *p, *v;
	int64_t n = -1;

	if (j == NULL)
		return -1;
	p = json_object_get(j, platform);
	v = endpoint
		    ? json_object_get(json_object_get(p, "endpoints"), endpoint)
		    : json_object_get(p, "total");
	if (json_is_integer(v))
		n = json_integer_value(v);
	else if (p != NULL)
		n = 0; /* an endpoint never called has no counter */
	json_decref(j);
	return n;
}

int
flow_fixture_run_until(flow_fixture *fx, int (*check)(void *arg), void *arg,
		       int64_t deadline_ms)
{
	int64_t end = flow_fixture_now_ms() + deadline_ms;

	do {
		if (ps_worker_run_once(fx->worker, NULL) < 0) {
			fprintf(stderr, "worker pass: %s\n", ps_error_last());
			return -1;
		}
		if (check(arg))
			return 1;
		usleep(20000);
	} while (flow_fixture_now_ms() < end);
	return 0;
}
