/*
 * listener.c - the webhook listener: libmicrohttpd on one internal thread.
 *
 * Routes: /webhooks/<platform>[/...] for every registered platform with a
 * webhook_accept slot (platform.h); GET (or HEAD) /healthz and /metrics
 * for monitoring (monitor.c), any other method there 405.  The listener owns
 * the transport: methods (POST, PUT), size and time limits, and storing; the
 * platform's plug-in verifies the delivery (secrets, signatures) and decodes it
 * into a typed event, which is stored with the body as received.
 *
 * Answers: 200 (stored), 401 (the plug-in refused the credentials), 400
 * (malformed body, unknown topic, no object id), 404 (no such platform or
 * route), 405, 413 (body announced over PS_WORKER__MAX_BODY), 503 (the
 * store failed: the platform will deliver again).  Nothing is stored
 * unless the answer is 200.  The thread only validates and inserts; it
 * never calls a platform.
 *
 * What a client without credentials can hold (PS_WORKER__LISTEN_* in
 * worker_int.h): PS_WORKER__LISTEN_PER_IP connections from one address
 * (more are closed as they arrive) and PS_WORKER__LISTEN_MAX_CONNECTIONS
 * in all.  A connection silent for PS_WORKER__LISTEN_IDLE_TIMEOUT_S
 * seconds, before or during its headers or body, is closed.  A body
 * announced (Content-Length) over PS_WORKER__MAX_BODY is answered 413
 * before any of it is read; a chunked one is cut off (the connection
 * closed) as soon as it passes the cap; a body still arriving
 * PS_WORKER__LISTEN_BODY_DEADLINE_MS after its headers is dropped.
 *
 * Loopback: the per-address limit counts 127.0.0.1 like any address.  The
 * listener binds loopback by default so that a reverse proxy or tunnel on
 * the same machine fronts it; every delivery then comes from the proxy's
 * address, and exempting loopback would exempt the whole internet behind
 * it.  A delivery holds a connection for milliseconds, so the limit is far
 * above what honest senders use at once.  A flood through the proxy's
 * address refuses deliveries while it lasts (each idle connection goes
 * after the idle timeout); the platforms retry refused deliveries and the
 * poll catches what they give up on.  Per-client limits for traffic
 * behind a proxy belong to the proxy, which also buffers slow bodies
 * before it connects here.
 */
#include "internal.h"
#include "worker_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <jansson.h>
#include <microhttpd.h>

#include "pearlsync/platform.h"

#define MOD "listener"
#define PREFIX "/webhooks/"

/* A line of libmicrohttpd's said again within this many ms is counted. */
#define LOG_REPEAT_MS 60000

struct ps_listener {
	struct MHD_Daemon *daemon;
	ps_store *st; /* used by the daemon's thread only */
	ps_clock clock;
	int port;
	ps_worker__stats *stats; /* borrowed, may be NULL */
	/* libmicrohttpd's last line and how often it came again unwritten */
	char log_last[256];
	int64_t log_last_ms; /* ps_clock_system() ms */
	unsigned long log_repeats;
};

/* The body of one request as it arrives. */
typedef struct conn_body {
	char *data;
	size_t len;
	int64_t started_ms; /* headers complete, ps_clock_system() ms */
} conn_body;

static enum MHD_Result
reply_typed(struct MHD_Connection *conn, unsigned status, const char *text,
	    const char *type)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(
		strlen(text), (void *)(uintptr_t)text, MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
reply(struct MHD_Connection *conn, unsigned status, const char *text)
{
	return reply_typed(conn, status, text, "text/plain");
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/*
 * libmicrohttpd's own messages, into the log.  A flood makes it write one
 * line per refused connection; a line said again within LOG_REPEAT_MS is
 * counted instead, and the count written with the next line that differs
 * or when the listener stops.  Called on the daemon's thread (and on the
 * caller's while the daemon starts or stops, when that thread is not
 * running), so the fields need no lock.
 */
static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	ps_listener *l = cls;
	int64_t now = ps_clock_system()->now_ms(NULL);
	char line[sizeof(l->log_last)];
	size_t n;

	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	if (strcmp(line, l->log_last) == 0 &&
	    now - l->log_last_ms < LOG_REPEAT_MS) {
		l->log_repeats++;
		return;
	}
	if (l->log_repeats > 0)
		ps_log_warn(MOD, "%s (%lu more times)", l->log_last,
			    l->log_repeats);
	ps_log_warn(MOD, "%s", line);
	ps_util__strlcpy(l->log_last, line, sizeof(l->log_last));
	l->log_last_ms = now;
	l->log_repeats = 0;
}

/* A request header for the plug-in (ps_webhook_request.header). */
static const char *
header_of(void *ctx, const char *name)
{
	return MHD_lookup_connection_value(ctx, MHD_HEADER_KIND, name);
}

/*
 * The platform a URL routes to and the rest of its path after
 * /webhooks/<name>, or NULL: no platform takes webhooks there.
 */
static const ps_platform_ops *
route(const char *url, const char **out_rest)
{
	const ps_platform_ops *const *p;
	size_t n;

	if (strncmp(url, PREFIX, strlen(PREFIX)) != 0)
		return NULL;
	url += strlen(PREFIX);
	for (p = ps_platforms_all(); *p != NULL; p++) {
		if ((*p)->webhook_accept == NULL)
			continue;
		n = strlen((*p)->name);
		if (strncmp(url, (*p)->name, n) == 0 &&
		    (url[n] == '\0' || url[n] == '/')) {
			*out_rest = url + n;
			return *p;
		}
	}
	return NULL;
}

static enum MHD_Result
handle(ps_listener *l, struct MHD_Connection *conn, const ps_platform_ops *ops,
       const char *method, const char *rest, const conn_body *b)
{
	ps_webhook_request req;
	ps_webhook_event *ev;
	enum MHD_Result ret;
	int error;

	if ((ev = malloc(sizeof(*ev))) == NULL)
		return MHD_NO;
	memset(&req, 0, sizeof(req));
	req.method = method;
	req.path = rest;
	req.body = b->data != NULL ? b->data : "";
	req.body_len = b->len;
	req.header = header_of;
	req.header_ctx = conn;
	req.now = l->clock.now_ms(l->clock.ctx);
	req.store = l->st;
	error = ops->webhook_accept(ev, &req);
	if (error < 0) {
		unsigned status = error == PS_EAUTH ? MHD_HTTP_UNAUTHORIZED
				  : error == PS_ENOTFOUND
					  ? MHD_HTTP_NOT_FOUND
					  : MHD_HTTP_BAD_REQUEST;

		ps_log_warn(MOD, "%s callback refused: %s", ops->title,
			    ps_error_last());
		ps_error_clear();
		ret = reply(conn, status,
			    status == MHD_HTTP_UNAUTHORIZED ? "unauthorized\n"
			    : status == MHD_HTTP_NOT_FOUND  ? "not found\n"
							    : "malformed "
							      "callback\n");
		ps_worker__stats_delivery(l->stats, ops->id, status);
	} else if (ps_store_event_add_typed(
			   NULL, l->st, ops->id,
			   &(ps_event_change){ev->topic, ev->object, ev->ids,
					      ev->nids, ev->changed_at,
					      ev->value},
			   req.body, req.now) < 0) {
		ps_log_error(MOD, "storing a %s event: %s", ops->title,
			     ps_error_last());
		ps_error_clear();
		ret = reply(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "try again\n");
		ps_worker__stats_delivery(l->stats, ops->id, 503);
	} else {
		ps_worker__stats_delivery(l->stats, ops->id, 200);
		ps_log_debug(MOD, "%s %s stored", ops->title, ev->topic);
		ret = ops->webhook_ok_body != NULL
			      ? reply_typed(conn, MHD_HTTP_OK,
					    ops->webhook_ok_body,
					    "application/json")
			      : reply(conn, MHD_HTTP_OK, "");
	}
	free(ev);
	return ret;
}

/*
 * 1 when the request announces a body over PS_WORKER__MAX_BODY.  A
 * Content-Length that does not parse is left to libmicrohttpd, which
 * refuses it.
 */
static int
announced_too_big(struct MHD_Connection *conn)
{
	const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						     "Content-Length");
	unsigned long long n;
	char *end;

	if (cl == NULL)
		return 0;
	errno = 0;
	n = strtoull(cl, &end, 10);
	if (end == cl || *end != '\0')
		return 0;
	return errno == ERANGE || n > PS_WORKER__MAX_BODY;
}

/*
 * /healthz and /metrics: answered at once (no body is read), from the
 * listener's store connection.  A page that cannot be built is a 500.
 */
static enum MHD_Result
monitor(ps_listener *l, struct MHD_Connection *conn, const char *url,
	const char *method)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	unsigned status = MHD_HTTP_OK;
	int64_t now = l->clock.now_ms(l->clock.ctx);
	char *page = NULL;
	int error;

	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		r = MHD_create_response_from_buffer(
			strlen("method not allowed\n"),
			(void *)(uintptr_t) "method not allowed\n",
			MHD_RESPMEM_PERSISTENT);
		if (r == NULL)
			return MHD_NO;
		MHD_add_response_header(r, "Allow", "GET, HEAD");
		MHD_add_response_header(r, "Content-Type", "text/plain");
		ret = MHD_queue_response(conn, MHD_HTTP_METHOD_NOT_ALLOWED, r);
		MHD_destroy_response(r);
		return ret;
	}
	if (strcmp(url, "/healthz") == 0)
		error = ps_worker__health(&page, &status, l->st, l->stats, now);
	else
		error = ps_worker__metrics(&page, l->st, l->stats, now);
	if (error < 0) {
		ps_log_error(MOD, "%s: %s", url, ps_error_last());
		ps_error_clear();
		return reply(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "error\n");
	}
	r = MHD_create_response_from_buffer(strlen(page), page,
					    MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(page);
		return MHD_NO;
	}
	MHD_add_response_header(
		r, "Content-Type",
		strcmp(url, "/healthz") == 0
			? "application/json"
			: "text/plain; version=0.0.4; charset=utf-8");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* The first call for a request: its headers are in, no body yet. */
static enum MHD_Result
on_headers(ps_listener *l, struct MHD_Connection *conn, const char *method,
	   const ps_platform_ops *ops, void **con_cls)
{
	conn_body *b;

	if (ops == NULL)
		return reply(conn, MHD_HTTP_NOT_FOUND, "not found\n");
	if (strcmp(method, "POST") != 0 && strcmp(method, "PUT") != 0) {
		ps_worker__stats_delivery(l->stats, ops->id, 405);
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
			     "method not allowed\n");
	}
	/* answered before the body is read; the connection then closes */
	if (announced_too_big(conn)) {
		ps_log_warn(MOD,
			    "webhook refused: body announced over %zu bytes",
			    PS_WORKER__MAX_BODY);
		ps_worker__stats_delivery(l->stats, ops->id, 413);
		return reply(conn, MHD_HTTP_CONTENT_TOO_LARGE, "too large\n");
	}
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return MHD_NO;
	b->started_ms = ps_clock_system()->now_ms(NULL);
	*con_cls = b;
	return MHD_YES;
}

/*
 * A piece of the body.  MHD_NO closes the connection without an answer:
 * for a client too slow to be worth one.
 */
static enum MHD_Result
on_body(conn_body *b, const char *upload, size_t *upload_size)
{
	char *nd;

	/* MHD's timeout and our clock both run on real time */
	if (ps_clock_system()->now_ms(NULL) - b->started_ms >
	    PS_WORKER__LISTEN_BODY_DEADLINE_MS) {
		ps_log_warn(MOD,
			    "webhook dropped: body still arriving after %d ms",
			    PS_WORKER__LISTEN_BODY_DEADLINE_MS);
		return MHD_NO;
	}
	/*
	 * A chunked body, counted as it arrives.  libmicrohttpd 0.9 takes no
	 * answer while a body is being read, so the connection is closed.
	 */
	if (*upload_size > PS_WORKER__MAX_BODY - b->len) {
		ps_log_warn(MOD, "webhook dropped: body over %zu bytes",
			    PS_WORKER__MAX_BODY);
		return MHD_NO;
	}
	if ((nd = realloc(b->data, b->len + *upload_size + 1)) == NULL)
		return MHD_NO;
	memcpy(nd + b->len, upload, *upload_size);
	b->data = nd;
	b->len += *upload_size;
	b->data[b->len] = '\0';
	*upload_size = 0;
	return MHD_YES;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
	   const char *method, const char *version, const char *upload,
	   size_t *upload_size, void **con_cls)
{
	ps_listener *l = cls;
	conn_body *b = *con_cls;
	const ps_platform_ops *ops;
	const char *rest = "";

	(void)version;
	if (b == NULL &&
	    (strcmp(url, "/healthz") == 0 || strcmp(url, "/metrics") == 0))
		return monitor(l, conn, url, method);
	ops = route(url, &rest);
	if (b == NULL)
		return on_headers(l, conn, method, ops, con_cls);
	if (*upload_size > 0)
		return on_body(b, upload, upload_size);
	return handle(l, conn, ops, method, rest, b);
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
	     enum MHD_RequestTerminationCode toe)
{
	conn_body *b = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (b != NULL) {
		free(b->data);
		free(b);
		*con_cls = NULL;
	}
}

int
ps_worker__listener_start(ps_listener **out, const char *db_path,
			  const char *address, int port, const ps_clock *clock)
{
	return ps_worker__listener_open(out, db_path, address, port, clock,
					NULL);
}

int
ps_worker__listener_open(ps_listener **out, const char *db_path,
			 const char *address, int port, const ps_clock *clock,
			 ps_worker__stats *stats)
{
	struct sockaddr_in6 a6;
	struct sockaddr_in a4;
	struct sockaddr *sa;
	/* AUTO: epoll or poll, so no descriptor number limits the count */
	unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
	const union MHD_DaemonInfo *info;
	ps_listener *l;
	int error;

	*out = NULL;
	memset(&a4, 0, sizeof(a4));
	memset(&a6, 0, sizeof(a6));
	if (inet_pton(AF_INET, address, &a4.sin_addr) == 1) {
		a4.sin_family = AF_INET;
		a4.sin_port = htons((uint16_t)port);
		sa = (struct sockaddr *)&a4;
	} else if (inet_pton(AF_INET6, address, &a6.sin6_addr) == 1) {
		a6.sin6_family = AF_INET6;
		a6.sin6_port = htons((uint16_t)port);
		sa = (struct sockaddr *)&a6;
		flags |= MHD_USE_IPv6;
	} else {
		return ps_error_set(PS_EINVAL,
				    "listener address '%s' is not an IP "
				    "address",
				    address);
	}
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	l->clock = *clock;
	l->stats = stats;
	if ((error = ps_store_open(&l->st, db_path, 0)) < 0 ||
	    (error = ps_store_page_cache_set(l->st,
					     PS_STORE_WORKER_CACHE_KIB)) < 0)
		goto fail;
	l->daemon = MHD_start_daemon(
		flags, (uint16_t)port, NULL, NULL, on_request, l,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, l, MHD_OPTION_SOCK_ADDR,
		sa, MHD_OPTION_NOTIFY_COMPLETED, on_completed, (void *)NULL,
		MHD_OPTION_CONNECTION_TIMEOUT, PS_WORKER__LISTEN_IDLE_TIMEOUT_S,
		MHD_OPTION_CONNECTION_LIMIT, PS_WORKER__LISTEN_MAX_CONNECTIONS,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, PS_WORKER__LISTEN_PER_IP,
		MHD_OPTION_END);
	if (l->daemon == NULL) {
		error = ps_error_set(PS_EIO,
				     "cannot listen on %s port %d (in use, or "
				     "not an address of this machine)",
				     address, port);
		goto fail;
	}
	info = MHD_get_daemon_info(l->daemon, MHD_DAEMON_INFO_BIND_PORT);
	l->port = info != NULL ? (int)info->port : port;
	*out = l;
	return 0;
fail:
	ps_worker__listener_stop(l);
	return error;
}

int
ps_worker__listener_port(const ps_listener *l)
{
	return l != NULL ? l->port : 0;
}

void
ps_worker__listener_stop(ps_listener *l)
{
	if (l == NULL)
		return;
	if (l->daemon != NULL)
		MHD_stop_daemon(l->daemon);
	if (l->log_repeats > 0)
		ps_log_warn(MOD, "%s (%lu more times)", l->log_last,
			    l->log_repeats);
	ps_store_close(l->st);
	free(l);
}
