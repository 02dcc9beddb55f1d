/*
 * test_report_smtp.c - the daily report received by a real SMTP server.
 *
 * The server is aiosmtpd (Debian's python3-aiosmtpd), started by the test
 * with tests/integration/fixtures/report/smtp_sink.py: it requires AUTH,
 * checks the user and password, and writes each message, its envelope and
 * its own protocol log to the scratch directory.  Against it:
 *
 *   - the worker, at its daily hour with a seeded store, sends the report
 *     once: From/To/Subject, the counts and a failed entry's reason arrive;
 *     a later tick and a restarted worker send nothing more;
 *   - `pearlsync report --send` logging at debug level: the password (and
 *     its base64 AUTH forms) appears neither in what pearlsync printed nor
 *     in the server's record of the session; a wrong password is refused
 *     with a clear reason.
 *
 * Exits 77 (skipped) when no python3 can import aiosmtpd.
 */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pearlsync/config.h"
#include "pearlsync/log.h"
#include "pearlsync/report.h"
#include "pearlsync/settings.h"
#include "pearlsync/store.h"
#include "pearlsync/worker.h"
#include "test_db.h"

/* 2026-12-03 18:00:00 UTC; the report hour is 07:00 */
#define NOW ((int64_t)1796320800 * 1000)
#define HOUR ((int64_t)3600 * 1000)
#define DAY (24 * HOUR)
#define PASSWORD "Sm7p-pa55word-9f2c"
/* base64 of "\0ops\0" PASSWORD (AUTH PLAIN) and of PASSWORD (AUTH LOGIN) */
#define PLAIN_B64 "AG9wcwBTbTdwLXBhNTV3b3JkLTlmMmM="
#define LOGIN_B64 "U203cC1wYTU1d29yZC05ZjJj"

static const char *python; /* one that imports aiosmtpd */

struct fixture {
	test_db db;
	char sink_dir[256];
	pid_t sink;
	int port;
	char ca[256]; /* the sink's certificate when it speaks STARTTLS */
};

/* ---- the SMTP sink ----------------------------------------------------- */

/* A self-signed certificate for 127.0.0.1 into f->ca (and its key). */
static int
make_cert(struct fixture *f, char *key, size_t cap)
{
	char cmd[1024];

	test_db_file(f->ca, sizeof(f->ca), &f->db, "cert.pem");
	test_db_file(key, cap, &f->db, "key.pem");
	snprintf(cmd, sizeof(cmd),
		 "openssl req -x509 -newkey rsa:2048 -nodes -days 1 "
		 "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 "
		 "-keyout '%s' -out '%s' >/dev/null 2>&1",
		 key, f->ca);
	return system(cmd) == 0 ? 0 : -1;
}

static int
sink_start(struct fixture *f, int tls)
{
	char script[512], buf[128], key[256], *argv[12];
	const char *src = getenv("PS_SOURCE_DIR");
	int fds[2], argc = 0;
	size_t len = 0;
	pid_t parent = getpid();

	snprintf(script, sizeof(script),
		 "%s/tests/integration/fixtures/report/smtp_sink.py",
		 src ? src : ".");
	test_db_file(f->sink_dir, sizeof(f->sink_dir), &f->db, "sink");
	if (mkdir(f->sink_dir, 0700) != 0 || pipe(fds) != 0)
		return -1;
	argv[argc++] = (char *)python;
	argv[argc++] = script;
	argv[argc++] = f->sink_dir;
	argv[argc++] = (char *)"--user";
	argv[argc++] = (char *)"ops";
	argv[argc++] = (char *)"--password";
	argv[argc++] = (char *)PASSWORD;
	if (tls) {
		if (make_cert(f, key, sizeof(key)) < 0)
			return -1;
		argv[argc++] = (char *)"--tls";
		argv[argc++] = f->ca;
		argv[argc++] = key;
	}
	argv[argc] = NULL;
	if ((f->sink = fork()) < 0)
		return -1;
	if (f->sink == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(127);
		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		close(fds[1]);
		execvp(python, argv);
		_exit(127);
	}
	close(fds[1]);
	for (;;) {
		struct pollfd p = {fds[0], POLLIN, 0};
		ssize_t r;

		if (poll(&p, 1, 20000) <= 0)
			break;
		r = read(fds[0], buf + len, sizeof(buf) - 1 - len);
		if (r <= 0)
			break;
		len += (size_t)r;
		buf[len] = '\0';
		if (strchr(buf, '\n') != NULL &&
		    sscanf(buf, "ready %d", &f->port) == 1)
			break;
	}
	close(fds[0]);
	if (f->port <= 0) {
		fprintf(stderr, "smtp sink did not start\n");
		return -1;
	}
	return 0;
}

static void
sink_stop(struct fixture *f)
{
	int status;

	if (f->sink <= 0)
		return;
	kill(f->sink, SIGTERM);
	waitpid(f->sink, &status, 0);
	f->sink = 0;
}

/* The contents of a file in the sink's directory (caller frees), or NULL. */
static char *
sink_file(struct fixture *f, const char *name)
{
	char path[512], *data = NULL;
	long n;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", f->sink_dir, name);
	if ((fp = fopen(path, "rb")) == NULL)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	if (n >= 0 && (data = calloc(1, (size_t)n + 1)) != NULL &&
	    fread(data, 1, (size_t)n, fp) != (size_t)n) {
		free(data);
		data = NULL;
	}
	fclose(fp);
	return data;
}

/* ---- fixture ----------------------------------------------------------- */

static void
set(ps_store *st, const char *key, const char *value)
{
	assert_int_equal(
		ps_store_setting_set(NULL, st, key, value, "test", NOW - DAY),
		0);
}

static void
add(ps_store *st, const char *flow, ps_platform from, ps_platform to, int n,
    ps_entry_status status, const char *reason, int64_t at)
{
	static int seq;
	ps_log_entry e;
	char key[32], subject[32];
	int64_t id;

	while (n-- > 0) {
		ps_log_entry_init(&e);
		snprintf(key, sizeof(key), "key-%d", ++seq);
		snprintf(subject, sizeof(subject), "%d", 100 + seq);
		e.flow = (char *)flow;
		e.dedupe_key = key;
		e.source_platform = from;
		e.target_platform = to;
		e.kind = (char *)"order.import";
		e.subject = subject;
		e.status = status == PS_ENTRY_FAILED ? PS_ENTRY_FAILED
						     : PS_ENTRY_PENDING;
		e.reason = (char *)reason;
		assert_int_equal(ps_store_log_add(&id, st, &e, at), 0);
		if (status == PS_ENTRY_SYNCED)
			assert_int_equal(
				ps_store_log_mark_synced(st, id, "1", NULL, at),
				0);
	}
}

static int
setup_with(void **state, int tls)
{
	struct fixture *f = calloc(1, sizeof(*f));
	ps_store *st;
	char port[16], since[32];

	if (f == NULL || test_db_open(&f->db, "report-smtp") < 0)
		return -1;
	*state = f;
	if (sink_start(f, tls) < 0)
		return -1;
	st = f->db.st;
	snprintf(port, sizeof(port), "%d", f->port);
	set(st, "report.enabled", "true");
	set(st, "report.hour", "7");
	set(st, "report.smtp_server", "127.0.0.1");
	set(st, "report.smtp_port", port);
	set(st, "report.starttls", "false"); /* loopback, no certificate */
	set(st, "report.smtp_user", "ops");
	set(st, "report.smtp_password", PASSWORD);
	set(st, "report.from", "pearlsync@example.com");
	set(st, "report.recipients", "ops@example.com,owner@example.org");
	set(st, "brightpearl.account", "acme");
	add(st, "order_import_bc", PS_PLATFORM_BIGCOMMERCE,
	    PS_PLATFORM_BRIGHTPEARL, 12, PS_ENTRY_SYNCED, NULL, NOW - 3 * HOUR);
	add(st, "order_import_bc", PS_PLATFORM_BIGCOMMERCE,
	    PS_PLATFORM_BRIGHTPEARL, 2, PS_ENTRY_FAILED,
	    "SKU 'TEE-RED-M' not found in Brightpearl (product search by SKU)",
	    NOW - 2 * HOUR);
	add(st, "shipment_export_bc", PS_PLATFORM_BRIGHTPEARL,
	    PS_PLATFORM_BIGCOMMERCE, 3, PS_ENTRY_SYNCED, NULL, NOW - HOUR);
	/* the last report went out yesterday at 07:00 */
	snprintf(since, sizeof(since), "%lld",
		 (long long)(NOW - DAY - 11 * HOUR));
	assert_int_equal(ps_store_cursor_set(st, PS_REPORT_CURSOR, since,
					     NOW - DAY - 11 * HOUR),
			 0);
	return 0;
}

static int
setup(void **state)
{
	return setup_with(state, 0);
}

/* The sink requires STARTTLS (and AUTH only after it). */
static int
setup_tls(void **state)
{
	return setup_with(state, 1);
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	sink_stop(f);
	test_db_close(&f->db);
	free(f);
	return 0;
}

/* ---- the worker sends it ---------------------------------------------- */

static int64_t fake_now;

static int64_t
clock_now(void *ctx)
{
	(void)ctx;
	return fake_now;
}

static void
clock_sleep(void *ctx, int64_t ms)
{
	(void)ctx;
	fake_now += ms;
}

static ps_worker *
worker(struct fixture *f)
{
	static const ps_clock clock = {clock_now, clock_sleep, NULL};
	ps_worker_options o = PS_WORKER_OPTIONS_INIT;
	ps_worker *w = NULL;
	ps_config cfg;

	ps_config_init(&cfg);
	snprintf(cfg.db_path, sizeof(cfg.db_path), "%s", f->db.path);
	o.clock = &clock;
	o.connect = 0; /* no platform: only the report has work */
	assert_int_equal(ps_worker_new(&w, f->db.st, &cfg, &o), 0);
	return w;
}

static void
test_report_smtp__worker_sends_once_a_day(void **state)
{
	struct fixture *f = *state;
	char *msg, *env, *next;
	ps_worker *w;
	int64_t last = 0;

	fake_now = NOW;
	w = worker(f);
	assert_int_equal(ps_worker_start(w), 0);
	assert_int_equal(ps_worker_tick(w), 0);
	msg = sink_file(f, "msg-1.eml");
	assert_non_null(msg);
	assert_non_null(strstr(msg, "From: pearlsync <pearlsync@example.com>"
				    "\r\n"));
	assert_non_null(strstr(msg, "To: ops@example.com, owner@example.org"
				    "\r\n"));
	assert_non_null(strstr(msg, "Subject: pearlsync daily report: 15 "
				    "synced, 2 failed (acme)\r\n"));
	assert_non_null(strstr(msg, "Content-Type: text/plain; "
				    "charset=UTF-8\r\n"));
	assert_non_null(strstr(msg, "Totals: 15 synced, 2 failed, 0 pending"));
	assert_non_null(strstr(msg, "\r\nBigCommerce <-> Brightpearl\r\n"));
	assert_non_null(strstr(msg, "    SKU 'TEE-RED-M' not found in "
				    "Brightpearl (product search by SKU)\r\n"));
	/* the period began at the previous report */
	assert_non_null(strstr(msg, "Period: 2026-12-02 07:00 to 2026-12-03 "
				    "18:00"));
	assert_null(strstr(msg, PASSWORD));
	free(msg);
	/* the envelope: MAIL FROM, each RCPT TO, the login */
	env = sink_file(f, "msg-1.env");
	assert_non_null(env);
	assert_string_equal(env, "pearlsync@example.com\nops@example.com\n"
				 "owner@example.org\nauth:ops\n");
	free(env);
	assert_int_equal(ps_report_last_sent(&last, f->db.st), 0);
	assert_int_equal(last, NOW);

	/* later the same day, and after a restart: nothing more */
	fake_now = NOW + 2 * HOUR;
	assert_int_equal(ps_worker_tick(w), 0);
	ps_worker_free(w);
	w = worker(f);
	assert_int_equal(ps_worker_start(w), 0);
	assert_int_equal(ps_worker_tick(w), 0);
	next = sink_file(f, "msg-2.eml");
	assert_null(next);

	/* the next day at 07:00 the next one goes out */
	fake_now = NOW + 13 * HOUR;
	assert_int_equal(ps_worker_tick(w), 0);
	next = sink_file(f, "msg-2.eml");
	assert_non_null(next);
	assert_non_null(strstr(next, "Period: 2026-12-03 18:00 to "
				     "2026-12-04 07:00"));
	free(next);
	ps_worker_free(w);
}

/* ---- the CLI sends it, the password stays hidden ---------------------- */

/* Run pearlsync with args; stdout and stderr into out (caller frees). */
static int
run_cli(struct fixture *f, const char *const *args, char **out)
{
	char conf[512], log[512], cmd[4096];
	const char *bin = getenv("PS_BIN_DIR");
	size_t len = 0;
	FILE *fp;
	int rc;

	test_db_file(conf, sizeof(conf), &f->db, "pearlsync.conf");
	test_db_file(log, sizeof(log), &f->db, "cli.out");
	fp = fopen(conf, "w");
	assert_non_null(fp);
	fprintf(fp, "database = \"%s\";\nlog_level = \"debug\";\n", f->db.path);
	if (f->ca[0] != '\0')
		fprintf(fp, "http = { ca_file = \"%s\"; };\n", f->ca);
	fclose(fp);
	len = (size_t)snprintf(cmd, sizeof(cmd),
			       "TZ=UTC '%s/pearlsync' "
			       "--config '%s'",
			       bin ? bin : ".", conf);
	for (; *args != NULL; args++)
		len += (size_t)snprintf(cmd + len, sizeof(cmd) - len, " '%s'",
					*args);
	snprintf(cmd + len, sizeof(cmd) - len, " >'%s' 2>&1", log);
	rc = system(cmd);
	*out = sink_file(f, "../cli.out");
	assert_non_null(*out);
	if (getenv("PS_TEST_DUMP") != NULL) /* to see what a test sees */
		fputs(*out, stderr);
	/* an ASan build's report fails the test whatever the exit status */
	assert_null(strstr(*out, "Sanitizer"));
	assert_null(strstr(*out, "runtime error:"));
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static void
assert_no_secret(const char *text)
{
	assert_null(strstr(text, PASSWORD));
	assert_null(strstr(text, PLAIN_B64));
	assert_null(strstr(text, LOGIN_B64));
}

static void
test_report_smtp__cli_send_hides_the_password(void **state)
{
	struct fixture *f = *state;
	static const char *const send[] = {"report", "--send", "--since",
					   "2026-12-01", NULL};
	char *out = NULL, *msg, *session;

	ps_store_close(f->db.st); /* the CLI opens it */
	f->db.st = NULL;
	assert_int_equal(run_cli(f, send, &out), 0);
	assert_non_null(strstr(out, "report sent"));
	/* the conversation is in the debug log, AUTH masked */
	assert_non_null(strstr(out, "> AUTH PLAIN ****"));
	assert_non_null(strstr(out, "< 235"));
	assert_non_null(strstr(out, "> RCPT TO:<owner@example.org>"));
	assert_no_secret(out);
	free(out);
	msg = sink_file(f, "msg-1.eml");
	assert_non_null(msg);
	assert_non_null(strstr(msg, "2 failed (acme)"));
	assert_non_null(strstr(msg, "SKU 'TEE-RED-M' not found"));
	assert_no_secret(msg);
	free(msg);
	/* what the server recorded of the session */
	session = sink_file(f, "session.log");
	assert_non_null(session);
	assert_non_null(strstr(session, "AUTH PLAIN"));
	assert_no_secret(session);
	free(session);
}

static void
test_report_smtp__wrong_password_is_refused(void **state)
{
	struct fixture *f = *state;
	static const char *const send[] = {"report", "--send", NULL};
	char *out = NULL;

	set(f->db.st, "report.smtp_password", "not-the-password");
	ps_store_close(f->db.st);
	f->db.st = NULL;
	assert_int_equal(run_cli(f, send, &out), 1);
	assert_non_null(strstr(out, "report not sent: SMTP server "
				    "smtp://127.0.0.1:"));
	assert_null(strstr(out, "not-the-password"));
	assert_no_secret(out);
	free(out);
	assert_null(sink_file(f, "msg-1.eml"));
}

static void
test_report_smtp__starttls_required(void **state)
{
	struct fixture *f = *state;
	static const char *const send[] = {"report", "--send", "--since",
					   "2026-12-01", NULL};
	char *out = NULL, *msg;

	/* the plain sink offers no STARTTLS: nothing is sent */
	set(f->db.st, "report.starttls", "true");
	ps_store_close(f->db.st);
	f->db.st = NULL;
	assert_int_equal(run_cli(f, send, &out), 1);
	assert_non_null(strstr(out, "does not offer STARTTLS and "
				    "report.starttls is on"));
	assert_null(strstr(out, "> AUTH"));
	assert_no_secret(out);
	free(out);
	msg = sink_file(f, "msg-1.eml");
	assert_null(msg);
}

static void
test_report_smtp__sent_over_starttls(void **state)
{
	struct fixture *f = *state;
	static const char *const send[] = {"report", "--send", "--since",
					   "2026-12-01", NULL};
	char *out = NULL, *msg, *env;

	set(f->db.st, "report.starttls", "true");
	ps_store_close(f->db.st);
	f->db.st = NULL;
	assert_int_equal(run_cli(f, send, &out), 0);
	assert_non_null(strstr(out, "> STARTTLS"));
	assert_non_null(strstr(out, "< 220 Ready to start TLS"));
	assert_true(strstr(out, "> AUTH PLAIN ****") >
		    strstr(out, "> STARTTLS"));
	assert_no_secret(out);
	free(out);
	msg = sink_file(f, "msg-1.eml");
	assert_non_null(msg);
	assert_non_null(strstr(msg, "Subject: pearlsync daily report: 15 "
				    "synced, 2 failed (acme)\r\n"));
	free(msg);
	env = sink_file(f, "msg-1.env");
	assert_non_null(env);
	assert_non_null(strstr(env, "auth:ops\n"));
	free(env);
}

/* A python3 that has aiosmtpd, or NULL. */
static const char *
find_python(void)
{
	static const char *const candidates[] = {"python3", "/usr/bin/python3",
						 NULL};
	char cmd[256];
	size_t i;

	for (i = 0; candidates[i] != NULL; i++) {
		snprintf(cmd, sizeof(cmd),
			 "%s -c 'import aiosmtpd' >/dev/null 2>&1",
			 candidates[i]);
		if (system(cmd) == 0)
			return candidates[i];
	}
	return NULL;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_report_smtp__worker_sends_once_a_day),
		T(test_report_smtp__cli_send_hides_the_password),
		T(test_report_smtp__wrong_password_is_refused),
		T(test_report_smtp__starttls_required),
		cmocka_unit_test_setup_teardown(
			test_report_smtp__sent_over_starttls, setup_tls,
			teardown),
#undef T
	};

	setenv("TZ", "UTC", 1);
	tzset();
	if ((python = find_python()) == NULL) {
		printf("SKIP: no python3 with aiosmtpd (Debian package "
		       "python3-aiosmtpd; scripts/install-deps)\n");
		return 77;
	}
	ps_log_set_level(PS_LOG_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
