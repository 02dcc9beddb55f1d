/*
 * main.c - pearlsync-sandbox: command line, start-up and shutdown.
 *
 *   pearlsync-sandbox [--listen HOST:PORT] [--seed demo|empty]
 *       [--quota real|off|xN] [--tls CERT KEY]
 *       [--bp-account A] [--bp-app-ref R] [--bp-token T] [--bp-window-ms MS]
 *       [--bp-multi-message-cost one|per_message]
 *       [--bc-store S] [--bc-token T] [--bc-window-ms MS]
 *       [--dsco-client-id I] [--dsco-client-secret S] [--dsco-token T]
 *       [--dsco-token-ttl-s S] [--dsco-async-ms MS]
 *       [--sh-user U] [--sh-password P] [--sh-refresh-token R]
 *       [--sh-token T] [--sh-token-ttl S] [--sh-schema FILE]
 *
 * Registers every platform, starts the daemon and the delivery thread,
 * prints one "NAME BASEURL" line per platform and then "ready" (flushed),
 * and waits for SIGINT or SIGTERM, after which it stops and exits 0.
 */
#include "sandbox.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
usage(FILE *f)
{
	fputs("usage: pearlsync-sandbox [--listen HOST:PORT] "
	      "[--seed demo|empty]\n"
	      "         [--quota real|off|xN] [--tls CERT KEY]\n"
	      "         [--bp-account A] [--bp-app-ref R] [--bp-token T] "
	      "[--bp-window-ms MS]\n"
	      "         [--bp-multi-message-cost one|per_message]\n"
	      "         [--bc-store S] [--bc-token T] [--bc-window-ms MS]\n"
	      "         [--dsco-client-id I] [--dsco-client-secret S] "
	      "[--dsco-token T]\n"
	      "         [--dsco-token-ttl-s S] [--dsco-async-ms MS]\n"
	      "         [--sh-user U] [--sh-password P]\n"
	      "         [--sh-refresh-token R] [--sh-token T]\n"
	      "         [--sh-token-ttl S] [--sh-schema FILE]\n",
	      f);
}

static int
parse_listen(sb_options *o, char *arg)
{
	char *colon = strrchr(arg, ':');
	int64_t port;

	if (!colon || colon == arg)
		return -1;
	*colon = '\0';
	if (sb_parse_int(colon + 1, &port) || port < 0 || port > 65535)
		return -1;
	o->listen_host = arg;
	o->listen_port = (int)port;
	return 0;
}

static int
parse_quota(sb_options *o, const char *arg)
{
	char *end;
	double v;

	if (strcmp(arg, "real") == 0) {
		o->quota_mode = SB_QUOTA_REAL;
		return 0;
	}
	if (strcmp(arg, "off") == 0) {
		o->quota_mode = SB_QUOTA_OFF;
		return 0;
	}
	if (arg[0] != 'x')
		return -1;
	v = strtod(arg + 1, &end);
	if (*end != '\0' || end == arg + 1 || !(v > 0))
		return -1;
	o->quota_mode = SB_QUOTA_SCALED;
	o->quota_scale = v;
	return 0;
}

static int
parse_ms(const char *arg, int64_t *out)
{
	return sb_parse_int(arg, out) || *out <= 0 ? -1 : 0;
}

static int
parse_args(sb_options *o, int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		int more = i + 1 < argc;

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			exit(0);
		} else if (strcmp(a, "--listen") == 0 && more) {
			if (parse_listen(o, argv[++i]))
				return -1;
		} else if (strcmp(a, "--seed") == 0 && more) {
			a = argv[++i];
			if (strcmp(a, "demo") == 0)
				o->seed_demo = 1;
			else if (strcmp(a, "empty") == 0)
				o->seed_demo = 0;
			else
				return -1;
		} else if (strcmp(a, "--quota") == 0 && more) {
			if (parse_quota(o, argv[++i]))
				return -1;
		} else if (strcmp(a, "--tls") == 0 && i + 2 < argc) {
			o->tls_cert = argv[++i];
			o->tls_key = argv[++i];
		} else if (strcmp(a, "--bp-account") == 0 && more) {
			o->bp_account = argv[++i];
		} else if (strcmp(a, "--bp-app-ref") == 0 && more) {
			o->bp_app_ref = argv[++i];
		} else if (strcmp(a, "--bp-token") == 0 && more) {
			o->bp_token = argv[++i];
		} else if (strcmp(a, "--bp-window-ms") == 0 && more) {
			if (parse_ms(argv[++i], &o->bp_window_ms))
				return -1;
		} else if (strcmp(a, "--bp-multi-message-cost") == 0 && more) {
			a = argv[++i];
			if (strcmp(a, "one") == 0)
				o->bp_multi_per_message = 0;
			else if (strcmp(a, "per_message") == 0)
				o->bp_multi_per_message = 1;
			else
				return -1;
		} else if (strcmp(a, "--bc-store") == 0 && more) {
			o->bc_store = argv[++i];
		} else if (strcmp(a, "--bc-token") == 0 && more) {
			o->bc_token = argv[++i];
		} else if (strcmp(a, "--bc-window-ms") == 0 && more) {
			if (parse_ms(argv[++i], &o->bc_window_ms))
				return -1;
		} else if (strncmp(a, "--dsco-", 7) == 0 && more) {
			if (sb_dsco_option(a + 7, argv[++i]))
				return -1;
		} else if (strcmp(a, "--sh-user") == 0 && more) {
			o->sh_user = argv[++i];
		} else if (strcmp(a, "--sh-password") == 0 && more) {
			o->sh_password = argv[++i];
		} else if (strcmp(a, "--sh-refresh-token") == 0 && more) {
			o->sh_refresh = argv[++i];
		} else if (strcmp(a, "--sh-token") == 0 && more) {
			o->sh_token = argv[++i];
		} else if (strcmp(a, "--sh-schema") == 0 && more) {
			o->sh_schema = argv[++i];
		} else if (strcmp(a, "--sh-token-ttl") == 0 && more) {
			if (parse_ms(argv[++i], &o->sh_token_ttl_s))
				return -1;
		} else {
			fprintf(stderr, "pearlsync-sandbox: bad option '%s'\n",
				a);
			return -1;
		}
	}
	return 0;
}

int
main(int argc, char **argv)
{
	sb_options opt = SB_OPTIONS_INIT;
	sb_sandbox sb;
	sigset_t set;
	int sig = 0, rc = 1;
	size_t i;

	if (parse_args(&opt, argc, argv)) {
		usage(stderr);
		return 2;
	}
	/* Block the stop signals in every thread; main waits for them. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (sb_init(&sb, &opt)) {
		fprintf(stderr, "pearlsync-sandbox: init failed\n");
		return 1;
	}
	sb_bp_register(&sb);
	sb_bc_register(&sb);
	sb_dsco_register(&sb);
	sb_sh_register(&sb);
	sb_lock(&sb);
	sb_reset_all(&sb, opt.seed_demo);
	sb_unlock(&sb);
	if (sb_deliver_start(&sb))
		goto done;
	if (sb_server_start(&sb))
		goto done;
	for (i = 0; i < sb.nplatforms; i++)
		printf("%s %s/%s\n", sb.platforms[i]->ops->name, sb.base_url,
		       sb.platforms[i]->ops->name);
	printf("control %s/_sandbox\nready\n", sb.base_url);
	fflush(stdout);
	while (sigwait(&set, &sig) != 0)
		;
	rc = 0;
done:
	sb_deliver_stop(&sb);
	sb_server_stop(&sb);
	sb_dispose(&sb);
	return rc;
}
