/*
 * sandbox_proc.h - run pearlsync-sandbox as a child process from a test.
 *
 * sandbox_proc_start() runs $PS_BIN_DIR/pearlsync-sandbox --listen
 * 127.0.0.1:0 plus the caller's arguments, reads its stdout until the
 * "ready" line (or a deadline) and records the base URL printed for each
 * platform.  sandbox_proc_stop() sends SIGTERM and reaps the child.
 * sandbox_http() is a small libcurl wrapper for tests that talk to the
 * sandbox (or any loopback server) directly.
 */
#ifndef PEARLSYNC_TEST_SANDBOX_PROC_H
#define PEARLSYNC_TEST_SANDBOX_PROC_H

#include <stddef.h>
#include <sys/types.h>

#define SANDBOX_PROC_MAX_PLATFORMS 8

typedef struct sandbox_proc {
	pid_t pid;         /* the child, or 0 */
	int out_fd;        /* read end of its stdout, kept open until stop */
	char base[128];    /* "http://127.0.0.1:PORT" */
	char control[160]; /* base + "/_sandbox" */
	struct {
		char name[32];
		char url[160]; /* e.g. "http://127.0.0.1:PORT/brightpearl" */
	} platforms[SANDBOX_PROC_MAX_PLATFORMS];
	size_t nplatforms;
} sandbox_proc;

/*
 * sandbox_proc_start - start the sandbox with extra arguments (a
 * NULL-terminated list, or NULL) and wait up to timeout_ms for "ready".
 * Returns 0 and fills *sp, or -1 (the child is killed and reaped; a
 * reason is printed to stderr).  The binary is $PS_BIN_DIR/
 * pearlsync-sandbox, or "pearlsync-sandbox" on PATH when PS_BIN_DIR is
 * unset.
 */
int sandbox_proc_start(sandbox_proc *sp, const char *const *args,
		       int timeout_ms);

/*
 * sandbox_proc_stop - SIGTERM the child and wait for it (SIGKILL after
 * 10 s).  Returns its exit status (0 on a clean exit), 128+signal when it
 * was killed by a signal, or -1 when nothing was running.
 */
int sandbox_proc_stop(sandbox_proc *sp);

/*
 * sandbox_proc_signal_stop - like sandbox_proc_stop with another signal
 * (SIGINT).
 */
int sandbox_proc_signal_stop(sandbox_proc *sp, int sig);

/* Base URL of a platform ("brightpearl"), borrowed, or NULL. */
const char *sandbox_proc_url(const sandbox_proc *sp, const char *platform);

/* ---- HTTP for tests ----------------------------------------------------- */

typedef struct sandbox_reply {
	long status;   /* HTTP status, 0 when the transfer failed */
	int curl_code; /* CURLcode of the transfer */
	char *body;    /* NUL-terminated, owned */
	size_t body_len;
	char *headers; /* raw header block, owned */
} sandbox_reply;

/*
 * sandbox_http - one request.  headers: NULL-terminated "Name: value"
 * list or NULL; body: sent as-is (Content-Type application/json unless a
 * header says otherwise) or NULL; ca_file: a CA bundle for https or NULL.
 * Fills *out (free with sandbox_reply_dispose) and returns out->status.
 */
long sandbox_http(sandbox_reply *out, const char *method, const char *url,
		  const char *const *headers, const char *body,
		  const char *ca_file);

/* Value of a response header (case-insensitive), copied into buf; NULL
 * when absent. */
const char *sandbox_reply_header(const sandbox_reply *r, const char *name,
				 char *buf, size_t len);

void sandbox_reply_dispose(sandbox_reply *r);

#endif
