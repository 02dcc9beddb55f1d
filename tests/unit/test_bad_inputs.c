/*
 * test_bad_inputs.c - the data-driven bad-input suite: every directory
 * under tests/data/bad/ (README.md there describes a case) is fed through
 * the real entry point its kind names, in a child process of its own with
 * a time bound, and must give the expected reason.
 *
 *	listener-bc, listener-bp, listener-sh: the worker's webhook listener
 *	    over loopback HTTP; the reply's status, the listener's log line,
 *	    and the store's events (one more for a 200, none otherwise).
 *	bc-order, bp-reply, dsco-order, sh-reply: the connector reading the
 *	    input as the platform's reply from a mock server; the error
 *	    detail.
 *	settings, csv, config: the pearlsync CLI; its exit status and what
 *	    it printed.
 *
 * A crash, a sanitizer report or a case past CASE_SECONDS fails the case.
 * One line per failing case names its directory; the exit status is 1 if
 * any failed.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "internal.h"
#include "mock_server.h"
#include "platforms/bigcommerce/bigcommerce_int.h"
#include "pearlsync/bigcommerce.h"
#include "pearlsync/brightpearl.h"
#include "pearlsync/dsco.h"
#include "pearlsync/log.h"
#include "pearlsync/shiphero.h"
#include "pearlsync/store.h"
#include "raw_conn.h"
#include "test_db.h"
#include "worker/worker_int.h"

#define CASE_SECONDS 20
/* the secrets the cases' requests carry (README.md) */
#define HOOK_SECRET "bad-input-hook-secret-0001"
#define SH_SECRET "bad-input-shiphero-secret-0002"

static test_db db;
static const char *bin_dir;
static char conf[256];

/* ---- small helpers -------------------------------------------------------
 */

static char *
slurp(const char *path, size_t *out_len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (f == NULL)
		return NULL;
	for (;;) {
		if (cap - len < 4096) {
			cap = cap * 2 + 8192;
			if ((buf = realloc(buf, cap + 1)) == NULL)
				abort();
		}
		if ((n = fread(buf + len, 1, cap - len, f)) == 0)
			break;
		len += n;
	}
	fclose(f);
	buf[len] = '\0';
	if (out_len != NULL)
		*out_len = len;
	return buf;
}

static char *
case_file(const char *dir, const char *name, size_t *out_len)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return slurp(path, out_len);
}

/* The expected file: "reason: TEXT", "status: N", "exit: N" lines. */
typedef struct expect {
	char reason[512]; /* "" : no reason checked */
	int status;       /* HTTP status, -1: not checked, 0: no answer */
	int exit_code;    /* CLI exit status, -1: not checked */
	int ok;           /* connector: the read succeeds */
} expect;

static int
expect_read(expect *e, const char *dir)
{
	char *text = case_file(dir, "expected", NULL), *line, *save = NULL;

	memset(e, 0, sizeof(*e));
	e->status = -1;
	e->exit_code = -1;
	if (text == NULL)
		return -1;
	for (line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "reason: ", 8) == 0)
			snprintf(e->reason, sizeof(e->reason), "%s", line + 8);
		else if (strncmp(line, "status: ", 8) == 0)
			e->status = atoi(line + 8);
		else if (strncmp(line, "exit: ", 6) == 0)
			e->exit_code = atoi(line + 6);
		else if (strcmp(line, "ok") == 0)
			e->ok = 1;
	}
	free(text);
	return 0;
}

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
	return 1;
}

/* ---- listener cases ------------------------------------------------------
 */

static long
events_count(void)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *q = NULL;
	long n = -1;

	if (sqlite3_open_v2(db.path, &h, SQLITE_OPEN_READONLY, NULL) ==
		    SQLITE_OK &&
	    sqlite3_prepare_v2(h, "SELECT count(*) FROM events", -1, &q,
			       NULL) == SQLITE_OK &&
	    sqlite3_step(q) == SQLITE_ROW)
		n = (long)sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(h);
	return n;
}

/*
 * The case's request as sent: "METHOD PATH" on the first line, header
 * lines, an empty line, the body.  {{hmac}} in a header is replaced by
 * ShipHero's signature of the body; a Content-Length is added unless the
 * case gives one.
 */
static char *
request_build(size_t *out_len, const char *in, size_t in_len)
{
	const char *eol, *body, *p, *hdr_end;
	size_t body_len, cap;
	char *out, sig[64];
	unsigned char mac[32];
	const void *parts[1];
	size_t lens[1], n = 0;
	int has_cl = 0;

	hdr_end = memmem(in, in_len, "\n\n", 2);
	body = hdr_end != NULL ? hdr_end + 2 : in + in_len;
	body_len = (size_t)(in + in_len - body);
	parts[0] = body;
	lens[0] = body_len;
	ps_crypto__hmac_sha256(mac, SH_SECRET, strlen(SH_SECRET), parts, lens,
			       1);
	ps_crypto__base64_encode(sig, sizeof(sig), mac, sizeof(mac));
	cap = in_len + 512;
	if ((out = malloc(cap)) == NULL)
		abort();
	eol = memchr(in, '\n', (size_t)(body - in));
	if (eol == NULL)
		eol = hdr_end != NULL ? hdr_end : in + in_len;
	n += (size_t)snprintf(out + n, cap - n, "%.*s HTTP/1.1\r\n",
			      (int)(eol - in), in);
	n += (size_t)snprintf(out + n, cap - n,
			      "Host: 127.0.0.1\r\nConnection: close\r\n");
	for (p = eol + 1; hdr_end != NULL && p < hdr_end + 1;) {
		const char *e = memchr(p, '\n', (size_t)(hdr_end + 1 - p));
		const char *ph;
		size_t len;

		if (e == NULL)
			e = hdr_end + 1;
		len = (size_t)(e - p);
		if (strncasecmp(p, "content-length:", 15) == 0)
			has_cl = 1;
		ph = memmem(p, len, "{{hmac}}", 8);
		if (ph != NULL)
			n += (size_t)snprintf(out + n, cap - n,
					      "%.*s%s%.*s\r\n", (int)(ph - p),
					      p, sig, (int)(e - ph - 8),
					      ph + 8);
		else
			n += (size_t)snprintf(out + n, cap - n, "%.*s\r\n",
					      (int)len, p);
		p = e + 1;
	}
	if (!has_cl)
		n += (size_t)snprintf(out + n, cap - n,
				      "Content-Length: %zu\r\n", body_len);
	n += (size_t)snprintf(out + n, cap - n, "\r\n");
	memcpy(out + n, body, body_len);
	*out_len = n + body_len;
	return out;
}

static int
run_listener(const char *name, const char *dir, const expect *e)
{
	ps_listener *l = NULL;
	char *in, *req, reply[4096], *log;
	size_t in_len, req_len, log_len;
	long before, after, got;
	int fd, status, bad = 0;
	FILE *logf;

	if ((in = case_file(dir, "input", &in_len)) == NULL)
		return fail("%s: no input\n", name);
	logf = tmpfile();
	ps_log_set_stream(logf);
	ps_log_set_level(PS_LOG_DEBUG);
	before = events_count();
	if (ps_worker__listener_start(&l, db.path, "127.0.0.1", 0,
				      ps_clock_system()) < 0)
		return fail("%s: listener: %s\n", name, ps_error_last());
	req = request_build(&req_len, in, in_len);
	if ((fd = raw_conn_open("127.0.0.1", ps_worker__listener_port(l))) < 0)
		return fail("%s: cannot connect\n", name);
	(void)raw_conn_send(fd, req, req_len);
	shutdown(fd, SHUT_WR);
	got = raw_conn_wait(fd, reply, sizeof(reply),
			    (CASE_SECONDS - 5) * 1000);
	close(fd);
	ps_worker__listener_stop(l);
	fflush(logf);
	after = events_count();
	status = got > 0 ? raw_conn_status(reply) : got == 0 ? 0 : -1;
	rewind(logf);
	log = NULL;
	log_len = 0;
	{
		char buf[4096];
		size_t n;
		FILE *m = open_memstream(&log, &log_len);

		while ((n = fread(buf, 1, sizeof(buf), logf)) > 0)
			fwrite(buf, 1, n, m);
		fclose(m);
	}
	fclose(logf);
	if (status == -1)
		bad = fail("%s: no answer in time\n", name);
	else if (e->status >= 0 && status != e->status)
		bad = fail("%s: status %d, want %d\n", name, status, e->status);
	else if (e->reason[0] != '\0' && strstr(log, e->reason) == NULL)
		bad = fail("%s: status %d, no \"%s\" in the log:\n%s", name,
			   status, e->reason, log);
	else if (after != before + (status == 200 ? 1 : 0))
		bad = fail("%s: events %ld -> %ld for status %d\n", name,
			   before, after, status);
	free(log);
	free(req);
	free(in);
	return bad;
}

/* ---- connector cases -----------------------------------------------------
 */

static int64_t
fixed_now_ms(void *ctx)
{
	(void)ctx;
	return 1796083200000LL;
}

static void
no_sleep(void *ctx, int64_t ms)
{
	(void)ctx;
	(void)ms;
}

/*
 * What a paged read handed on: the records that parsed, and the reason
 * of the first one that did not (the read goes on past it, as a poll
 * does).
 */
typedef struct walked {
	size_t n, nbad;
	char bad[PS_ERROR_MAX];
} walked;

static int
count_dsco(void *ctx, const ps_dsco_order *o)
{
	(void)o;
	((walked *)ctx)->n++;
	return 0;
}

static int
bad_record(walked *w, const char *reason)
{
	if (w->nbad++ == 0)
		snprintf(w->bad, sizeof(w->bad), "%s", reason);
	return 0;
}

static int
bad_dsco(void *ctx, const char *id, const char *po, const char *reason)
{
	(void)id;
	(void)po;
	return bad_record(ctx, reason);
}

static int
count_sh(void *ctx, const ps_sh_shipment *s)
{
	(void)s;
	((walked *)ctx)->n++;
	return 0;
}

static int
bad_sh(void *ctx, const char *id, int64_t legacy, const char *partner,
       const char *reason)
{
	(void)id;
	(void)legacy;
	(void)partner;
	return bad_record(ctx, reason);
}

/* A read that went on past a bad record fails the case like a refusal
 * with that record's reason. */
static int
walk_result(int error, const walked *w)
{
	if (error == 0 && w->nbad > 0)
		return ps_error_set(PS_EDATA, "%s", w->bad);
	return error;
}

/*
 * The connectors' transport in the cases: the request the case is about
 * (its URL holds route) goes over HTTP to the mock server, which answers
 * every request with the case's input, so a connector that asks again
 * after a garbled reply gets the same reply again; any other request (an
 * order's lines or addresses read separately, a next page) is answered
 * 204 with no body, which reads as "nothing more".
 */
typedef struct route {
	ps_http *http;
	const char *route;
	const char *unless; /* or NULL: a request whose URL holds this is
			       another request (DSCO's next pages) */
	const char *other;  /* or NULL: the body (200) of any other request,
			       else 204 with no body */
} route;

static int
route_send(void *ctx, ps_http_response *out, const ps_http_request *req)
{
	const route *r = ctx;
	const char *at = strstr(req->url, r->route);

	if (at != NULL &&
	    (at[strlen(r->route)] == '\0' || at[strlen(r->route)] == '?') &&
	    (r->unless == NULL || strstr(req->url, r->unless) == NULL))
		return ps_http_send(out, r->http, req);
	memset(out, 0, sizeof(*out));
	out->status = 204;
	if (r->other != NULL) {
		out->status = 200;
		if ((out->body = strdup(r->other)) == NULL)
			return ps_error_set(PS_ENOMEM, NULL);
		out->body_len = strlen(r->other);
	}
	return 0;
}

static int
read_bc(mock_server *m, ps_http *h)
{
	ps_bc_options o = PS_BC_OPTIONS_INIT;
	route rt = {h, "/v2/orders/218", NULL, NULL};
	char url[128];
	ps_bc *bc = NULL;
	ps_bc_order ord;
	int error;

	snprintf(url, sizeof(url), "%s/bigcommerce/", mock_server_url(m));
	o.base_url = url;
	o.store_hash = "badin";
	o.access_token = "bad-input-token-0003";
	if ((error = ps_bc_new(&bc, h, &o)) < 0)
		return error;
	ps_bc__set_transport(bc, route_send, &rt);
	memset(&ord, 0, sizeof(ord));
	if ((error = ps_bc_order_get(&ord, bc, 218)) == 0)
		ps_bc_order_dispose(&ord);
	ps_bc_free(bc);
	return error;
}

static int
read_bp(mock_server *m, ps_http *h)
{
	ps_bp_options o = PS_BP_OPTIONS_INIT;
	route rt = {h, "/order-service/order/1", NULL, NULL};
	ps_bp_order_list l;
	static const int64_t ids[] = {1};
	char url[128];
	ps_bp *bp = NULL;
	int error;

	snprintf(url, sizeof(url), "%s/brightpearl", mock_server_url(m));
	o.base_url = url;
	o.account = "badin";
	o.app_ref = "badin-app";
	o.token = "bad-input-token-0004";
	o.send = route_send;
	o.send_ctx = &rt;
	if ((error = ps_bp_new(&bp, h, &o)) < 0)
		return error;
	memset(&l, 0, sizeof(l));
	if ((error = ps_bp_order_get(&l, bp, ids, 1)) == 0) {
		/* the order asked for, once: never dropped, never doubled */
		if (l.n != 1 || l.items[0].id != 1)
			error = ps_error_set(
				PS_EDATA, "asked for order 1, read %zu orders",
				l.n);
		ps_bp_order_list_dispose(&l);
	}
	ps_bp_free(bp);
	return error;
}

static int
read_dsco(mock_server *m, ps_http *h)
{
	ps_dsco_options o = PS_DSCO_OPTIONS_INIT;
	/* DSCO ends a scroll with an empty page */
	route rt = {h, "/order/page", "scrollId=", "{\"orders\":[]}"};
	ps_dsco_order_query q;
	ps_dsco *d = NULL;
	walked w;
	int more = 0, error;

	o.base_url = mock_server_url(m);
	o.auth = PS_DSCO_AUTH_STATIC_TOKEN;
	o.access_token = "bad-input-token-0005";
	o.now = fixed_now_ms;
	o.sleep = no_sleep;
	o.send = route_send;
	o.send_ctx = &rt;
	if ((error = ps_dsco_new(&d, h, &o)) < 0)
		return error;
	memset(&q, 0, sizeof(q));
	memset(&w, 0, sizeof(w));
	q.since = fixed_now_ms(NULL) - 86400000;
	q.bad = bad_dsco;
	q.bad_ctx = &w;
	error = ps_dsco_orders_foreach(&more, NULL, d, &q, 100, count_dsco, &w);
	ps_dsco_free(d);
	return walk_result(error, &w);
}

static int
read_sh(mock_server *m, ps_http *h)
{
	ps_sh_options o = PS_SH_OPTIONS_INIT;
	route rt = {h, "/graphql", NULL, NULL};
	ps_sh *sh = NULL;
	walked w;
	int error;

	o.base_url = mock_server_url(m);
	o.account = "badin";
	o.access_token = "bad-input-token-0006";
	o.refresh_token = "bad-input-token-0007";
	o.send = route_send;
	o.send_ctx = &rt;
	if ((error = ps_sh_new(&sh, h, &o)) < 0)
		return error;
	memset(&w, 0, sizeof(w));
	error = ps_sh_shipments_walk(sh, 1796083200, count_sh, bad_sh, &w);
	ps_sh_free(sh);
	return walk_result(error, &w);
}

static int
run_connector(const char *name, const char *dir, const char *kind,
	      const expect *e)
{
	ps_http_options ho = PS_HTTP_OPTIONS_INIT;
	mock_clock clk;
	mock_server *m = NULL;
	ps_http *h = NULL;
	mock_reply r;
	char *in;
	size_t in_len;
	int error, bad = 0;

	if ((in = case_file(dir, "input", &in_len)) == NULL)
		return fail("%s: no input\n", name);
	if (mock_server_start(&m, NULL) < 0)
		return fail("%s: mock server\n", name);
	memset(&r, 0, sizeof(r));
	r.action = MOCK_REPLY;
	r.status = 200;
	r.headers = "Content-Type: application/json\n";
	r.body = in;
	r.body_len = in_len;
	mock_server_set_default(m, &r);
	/* the platforms' rate limits wait on a clock that only pretends */
	mock_clock_init(&clk, m, fixed_now_ms(NULL));
	ho.clock = &clk.clock;
	ho.max_attempts = 1;
	ho.total_timeout_ms = 5000;
	if (ps_http_new(&h, &ho) < 0)
		return fail("%s: http: %s\n", name, ps_error_last());
	ps_error_clear();
	if (strcmp(kind, "bc-order") == 0)
		error = read_bc(m, h);
	else if (strcmp(kind, "bp-reply") == 0)
		error = read_bp(m, h);
	else if (strcmp(kind, "dsco-order") == 0)
		error = read_dsco(m, h);
	else
		error = read_sh(m, h);
	if (mock_server_request_count(m) == 0)
		bad = fail("%s: the input was never served\n", name);
	else if (e->ok && error < 0)
		bad = fail("%s: refused (%s), want accepted\n", name,
			   ps_error_last());
	else if (!e->ok && error == 0)
		bad = fail("%s: accepted, want \"%s\"\n", name, e->reason);
	else if (!e->ok && strstr(ps_error_last(), e->reason) == NULL)
		bad = fail("%s: reason \"%s\", want \"%s\"\n", name,
			   ps_error_last(), e->reason);
	ps_http_free(h);
	mock_server_stop(m);
	free(in);
	return bad;
}

/* ---- CLI cases -----------------------------------------------------------
 */

/* Run pearlsync with argv, output into *out; the exit status or -1. */
static int
cli(char **out, char *const argv[])
{
	char path[512], tmpl[256];
	int fd, st;
	pid_t pid;

	/* the output goes next to the suite's database */
	test_db_file(tmpl, sizeof(tmpl), &db, "cli-out-XXXXXX");
	fd = mkstemp(tmpl);

	if (fd < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/pearlsync", bin_dir);
	if ((pid = fork()) == 0) {
		int nul = open("/dev/null", O_RDONLY);

		dup2(nul, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		execv(path, argv);
		_exit(127);
	}
	close(fd);
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return -1;
	*out = slurp(tmpl, NULL);
	unlink(tmpl);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int
run_cli(const char *name, const char *dir, const char *kind, const expect *e)
{
	char input[1600], *out = NULL, *text = NULL, *nl;
	char *argv[8];
	int rc, bad = 0;

	snprintf(input, sizeof(input), "%s/input", dir);
	argv[0] = (char *)"pearlsync";
	argv[1] = (char *)"--config";
	argv[2] = conf;
	if (strcmp(kind, "settings") == 0) {
		/* the key on the first line, the value after it */
		if ((text = case_file(dir, "input", NULL)) == NULL)
			return fail("%s: no input\n", name);
		nl = strchr(text, '\n');
		if (nl != NULL)
			*nl = '\0';
		argv[3] = (char *)"settings";
		argv[4] = (char *)"set";
		argv[5] = text;
		argv[6] = nl != NULL ? nl + 1 : (char *)"";
		argv[7] = NULL;
	} else if (strcmp(kind, "csv") == 0) {
		argv[3] = (char *)"mappings";
		argv[4] = (char *)"import";
		argv[5] = input;
		argv[6] = NULL;
	} else {
		argv[2] = input;
		argv[3] = (char *)"status";
		argv[4] = NULL;
	}
	rc = cli(&out, argv);
	if (out == NULL)
		bad = fail("%s: could not run pearlsync\n", name);
	else if (strstr(out, "Sanitizer") != NULL ||
		 strstr(out, "runtime error:") != NULL || rc >= 128)
		bad = fail("%s: pearlsync crashed (exit %d):\n%s", name, rc,
			   out);
	else if (e->exit_code >= 0 && rc != e->exit_code)
		bad = fail("%s: exit %d, want %d:\n%s", name, rc, e->exit_code,
			   out);
	else if (e->reason[0] != '\0' && strstr(out, e->reason) == NULL)
		bad = fail("%s: exit %d, no \"%s\" in:\n%s", name, rc,
			   e->reason, out);
	free(out);
	free(text);
	return bad;
}

/* ---- the walk ------------------------------------------------------------
 */

static int
run_case(const char *name, const char *dir)
{
	char *kind = case_file(dir, "kind", NULL), *p;
	expect e;
	int bad;

	if (kind == NULL || expect_read(&e, dir) < 0)
		return fail("%s: no kind or no expected file\n", name);
	for (p = kind; *p != '\0' && *p != '\n' && *p != ' '; p++)
		;
	*p = '\0';
	if (strncmp(kind, "listener-", 9) == 0)
		bad = run_listener(name, dir, &e);
	else if (strcmp(kind, "bc-order") == 0 ||
		 strcmp(kind, "bp-reply") == 0 ||
		 strcmp(kind, "dsco-order") == 0 ||
		 strcmp(kind, "sh-reply") == 0)
		bad = run_connector(name, dir, kind, &e);
	else if (strcmp(kind, "settings") == 0 || strcmp(kind, "csv") == 0 ||
		 strcmp(kind, "config") == 0)
		bad = run_cli(name, dir, kind, &e);
	else
		bad = fail("%s: unknown kind '%s'\n", name, kind);
	free(kind);
	return bad;
}

static int
by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int
setup(void)
{
	int64_t now = (int64_t)time(NULL) * 1000;
	char *out = NULL;
	char *argv[] = {(char *)"pearlsync", (char *)"--config", conf,
			(char *)"init", NULL};
	FILE *f;

	if (test_db_open(&db, "badin") < 0)
		return -1;
	if (ps_store_setting_set(NULL, db.st, "webhooks.secret", HOOK_SECRET,
				 "test", now) < 0 ||
	    ps_store_setting_set(NULL, db.st, "shiphero.webhook_secret",
				 SH_SECRET, "test", now) < 0) {
		fprintf(stderr, "settings: %s\n", ps_error_last());
		return -1;
	}
	ps_store_close(db.st);
	db.st = NULL;
	test_db_file(conf, sizeof(conf), &db, "pearlsync.conf");
	if ((f = fopen(conf, "w")) == NULL)
		return -1;
	fprintf(f, "database = \"%s\";\nlog_level = \"warn\";\n", db.path);
	fclose(f);
	if (cli(&out, argv) != 0) {
		fprintf(stderr, "pearlsync init failed:\n%s", out ? out : "");
		free(out);
		return -1;
	}
	free(out);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *src = getenv("PS_SOURCE_DIR");
	struct dirent **names = NULL;
	char top[1024], dir[1400];
	int n, i, failed = 0, ran = 0, st;
	time_t t0;
	pid_t pid;

	bin_dir = getenv("PS_BIN_DIR");
	if (argc > 1)
		snprintf(top, sizeof(top), "%s", argv[1]);
	else if (src != NULL)
		snprintf(top, sizeof(top), "%s/tests/data/bad", src);
	else
		return fprintf(stderr, "PS_SOURCE_DIR is not set\n"), 2;
	if (bin_dir == NULL)
		return fprintf(stderr, "PS_BIN_DIR is not set\n"), 2;
	signal(SIGPIPE, SIG_IGN);
	if (setup() < 0)
		return 1;
	if ((n = scandir(top, &names, NULL, by_name)) < 0)
		return fprintf(stderr, "%s: %s\n", top, strerror(errno)), 1;
	for (i = 0; i < n; i++) {
		struct stat sb;

		snprintf(dir, sizeof(dir), "%s/%s", top, names[i]->d_name);
		if (names[i]->d_name[0] == '.' || stat(dir, &sb) < 0 ||
		    !S_ISDIR(sb.st_mode))
			continue;
		ran++;
		fflush(stdout);
		t0 = time(NULL);
		if ((pid = fork()) == 0) {
			alarm(CASE_SECONDS);
			_exit(run_case(names[i]->d_name, dir));
		}
		if (pid < 0 || waitpid(pid, &st, 0) < 0) {
			failed++;
			continue;
		}
		if (time(NULL) - t0 > 3)
			fprintf(stderr, "%s: took %lld s\n", names[i]->d_name,
				(long long)(time(NULL) - t0));
		if (WIFSIGNALED(st)) {
			printf("%s: %s\n", names[i]->d_name,
			       WTERMSIG(st) == SIGALRM ? "hung (over the time "
							 "bound)"
						       : "crashed");
			failed++;
		} else if (WEXITSTATUS(st) != 0) {
			if (WEXITSTATUS(st) != 1)
				printf("%s: exit %d (sanitizer?)\n",
				       names[i]->d_name, WEXITSTATUS(st));
			failed++;
		}
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	printf("%d bad-input cases, %d failed\n", ran, failed);
	test_db_close(&db);
	return failed > 0 || ran == 0;
}
