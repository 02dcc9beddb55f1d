/*
 * mock_server.h - an in-process HTTP server with scripted replies, and the
 * fake clock and random source that go with it, for tests of the http
 * module and of the connectors.
 *
 * The server listens on 127.0.0.1 on an ephemeral port (plain HTTP, or
 * HTTPS when given a certificate and key).  Each request it receives takes
 * the next reply from a FIFO script (or the default reply when the script
 * is empty) and is recorded whole: method, path, raw query, headers and
 * body.  Replies can also misbehave: drop the connection, truncate the
 * body, stall past the client's timeout, or send an oversized body.
 *
 *	mock_server *m;
 *	mock_server_start(&m, NULL);
 *	mock_server_reply(m, 429, "Retry-After: 2\n", "");
 *	mock_server_reply(m, 200, "Content-Type: application/json\n", "{}");
 *	... point the client at mock_server_url(m) ...
 *	assert_int_equal(mock_server_request_count(m), 2);
 *	mock_server_stop(m);
 *
 * Note: libcurl re-sends a request by itself when a kept-alive connection
 * closes without any reply, so MOCK_DROP on a reused connection shows up
 * as two recorded requests for one ps_http attempt.  Drop the first
 * request of a client, or a non-idempotent one (ps_http gives those a
 * fresh connection), to see the drop reach ps_http.
 *
 * All functions are thread-safe against the server's own threads.  Failing
 * allocations abort the test (this is test code).
 */
#ifndef PEARLSYNC_TEST_MOCK_SERVER_H
#define PEARLSYNC_TEST_MOCK_SERVER_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "pearlsync/http.h"

typedef enum mock_action {
	MOCK_REPLY = 0, /* status, headers, body */
	MOCK_DROP,      /* read the whole request, close without a reply */
	MOCK_TRUNCATE,  /* status and headers, Content-Length 64 bytes more
			   than the body, the body, then close */
	MOCK_STALL,     /* wait stall_ms (or until the server stops), then
			   reply as MOCK_REPLY */
	MOCK_OVERSIZE,  /* size bytes of 'x' with a Content-Length */
	MOCK_OVERSIZE_CHUNKED /* size bytes of 'x', chunked (no length) */
} mock_action;

typedef struct mock_reply {
	mock_action action;
	int status; /* 0: 200 */
	const char
		*headers; /* "Name: value" lines separated by '\n', or NULL */
	const char *body; /* or NULL for none */
	size_t body_len;  /* 0: strlen(body); binary bodies set it */
	size_t size;      /* MOCK_OVERSIZE*: bytes to send */
	long stall_ms;    /* MOCK_STALL: 0 means 10 s */
} mock_reply;

typedef struct mock_header {
	char *name;
	char *value;
} mock_header;

/* One request as received.  Everything is NUL-terminated and owned. */
typedef struct mock_request {
	char *method;
	char *path;  /* without the query, not decoded */
	char *query; /* raw text after '?', or NULL when there was none */
	mock_header *headers;
	size_t nheaders;
	char *body; /* "" when none */
	size_t body_len;
	int client_port; /* the client's TCP port: equal ports, same connection
			  */
} mock_request;

typedef struct mock_server_options {
	const char *tls_cert_pem; /* both set: serve HTTPS */
	const char *tls_key_pem;
} mock_server_options;

typedef struct mock_server mock_server;

/*
 * mock_server_start - listen on 127.0.0.1:0 (opts may be NULL).  Returns
 * 0, or -1 when the server cannot start (or TLS was asked for and this
 * libmicrohttpd lacks it: callers may skip).
 */
int mock_server_start(mock_server **out, const mock_server_options *opts);

/* mock_server_stop - release stalled replies, stop and free; NULL is fine. */
void mock_server_stop(mock_server *m);

/* The port, and "http://127.0.0.1:PORT" (or https), borrowed. */
int mock_server_port(const mock_server *m);
const char *mock_server_url(const mock_server *m);

/* Append a reply to the script (strings are copied). */
void mock_server_push(mock_server *m, const mock_reply *r);

/* Shorthand for a MOCK_REPLY push; headers and body may be NULL. */
void mock_server_reply(mock_server *m, int status, const char *headers,
		       const char *body);

/* Shorthand for a misbehaving reply (status 200, no headers, no body). */
void mock_server_act(mock_server *m, mock_action action);

/* The reply used when the script is empty (default 501, body "unscripted"). */
void mock_server_set_default(mock_server *m, const mock_reply *r);

/* Replies still waiting in the script. */
size_t mock_server_pending(mock_server *m);

/* Requests received so far, and the i-th (borrowed until stop/clear). */
size_t mock_server_request_count(mock_server *m);
const mock_request *mock_server_request(mock_server *m, size_t i);

/* Forget recorded requests and pending replies. */
void mock_server_clear(mock_server *m);

/* The first header named name (case-insensitive) in q, or NULL. */
const char *mock_request_header(const mock_request *q, const char *name);

/*
 * A fake clock: now_ms returns now; sleep_ms adds to now and records the
 * sleep.  Sleeps are grouped by the number of requests the bound server
 * had received when they happened, so waits[k] is the total time slept
 * between request k and request k+1 (waits[0]: before the first).
 */
#define MOCK_CLOCK_MAX_GAPS 64
typedef struct mock_clock {
	ps_clock clock; /* pass &c.clock in ps_http_options */
	int64_t now;    /* ms */
	int64_t waits[MOCK_CLOCK_MAX_GAPS];
	int nsleeps;         /* sleep_ms calls */
	mock_server *server; /* may be NULL: everything goes to waits[0] */
	/* optional: set *cancel_flag = 1 once total sleep reaches cancel_after
	 */
	volatile sig_atomic_t *cancel_flag;
	int64_t cancel_after;
} mock_clock;

void mock_clock_init(mock_clock *c, mock_server *server, int64_t start);

/*
 * A fake random source returning values[0], values[1], ... cyclically
 * (a single value when n is 1).
 */
typedef struct mock_random {
	ps_random random; /* pass &r.random in ps_http_options */
	const uint64_t *values;
	size_t n, next;
} mock_random;

void mock_random_init(mock_random *r, const uint64_t *values, size_t n);

#endif
