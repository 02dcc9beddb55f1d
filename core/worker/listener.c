/*
 * listener.c - the webhook listener: libmicrohttpd on one internal thread.
 *
 * Routes:
 *   POST /webhooks/bigcommerce
 *       BigCommerce order callbacks.  The header X-Pearlsync-Secret must
 *       equal the setting webhooks.secret (the worker registers the hooks
 *       with it); when Standard Webhooks headers are present and a client
 *       secret is known, the signature must match too and the timestamp be
 *       recent.  The body must be JSON with a known order scope and
 *       data.id, the order id: a positive integer.  Stored as an event
 *       with the scope as topic.
 *   POST|PUT /webhooks/brightpearl/<secret>/<topic...>
 *       Brightpearl callbacks (Brightpearl signs nothing, so the secret is
 *       in the path).  Stored as an event with <topic...> as topic (or the
 *       body's fullEvent when the path has none).
 *
 * Answers: 200 (stored), 401 (secret or signature wrong or missing, or no
 * secret configured), 400 (malformed body, unknown scope, data.id not an
 * order id), 404, 405, 413 (body announced over PS_WORKER__MAX_BODY), 503
 * (the store failed: the platform will deliver again).  Nothing is stored
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

#include "pearlsync/settings.h"

#define MOD "listener"
#define BC_PATH "/webhooks/bigcommerce"
#define BP_PREFIX "/webhooks/brightpearl/"

/* A line of libmicrohttpd's said again within this many ms is counted. */
#define LOG_REPEAT_MS 60000

struct ps_listener {
	struct MHD_Daemon *daemon;
	ps_store *st; /* used by the daemon's thread only */
	ps_clock clock;
	char *client_secret;
	int port;
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
reply(struct MHD_Connection *conn, unsigned status, const char *text)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(
		strlen(text), (void *)(uintptr_t)text, MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "text/plain");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
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

/* The configured secret, or NULL (unset or unreadable). */
static char *
load_secret(ps_listener *l)
{
	char *v = NULL;

	if (ps_settings_get(&v, l->st, "webhooks.secret") < 0) {
		ps_error_clear();
		return NULL;
	}
	if (v != NULL && v[0] == '\0') {
		free(v);
		v = NULL;
	}
	return v;
}

/*
 * Standard Webhooks: 1 when no signature is sent or no client secret is
 * known (the secret header is the check then), 1 when one v1 signature
 * matches and the timestamp is within tolerance, 0 otherwise.
 */
static int
signature_ok(ps_listener *l, struct MHD_Connection *conn, const char *body,
	     size_t len)
{
	const char *id, *ts, *sig, *p;
	unsigned char mac[32];
	char want[64];
	const void *parts[5];
	size_t lens[5];
	long long t, now_s;
	char *end;
	size_t n;

	sig = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
					  "webhook-signature");
	if (sig == NULL || l->client_secret == NULL)
		return 1;
	id = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "webhook-id");
	ts = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
					 "webhook-timestamp");
	if (id == NULL || ts == NULL)
		return 0;
	t = strtoll(ts, &end, 10);
	if (end == ts || *end != '\0')
		return 0;
	now_s = l->clock.now_ms(l->clock.ctx) / 1000;
	if (t < now_s - PS_WORKER__SIGNATURE_TOLERANCE_S ||
	    t > now_s + PS_WORKER__SIGNATURE_TOLERANCE_S)
		return 0;
	parts[0] = id;
	lens[0] = strlen(id);
	parts[1] = ".";
	lens[1] = 1;
	parts[2] = ts;
	lens[2] = strlen(ts);
	parts[3] = ".";
	lens[3] = 1;
	parts[4] = body;
	lens[4] = len;
	ps_worker__hmac_sha256(mac, l->client_secret, strlen(l->client_secret),
			       parts, lens, 5);
	if (ps_worker__base64_encode(want, sizeof(want), mac, sizeof(mac)) < 0)
		return 0;
	/* a space-separated list of "v1,<base64>" */
	for (p = sig; *p != '\0';) {
		while (*p == ' ')
			p++;
		n = strcspn(p, " ");
		if (n > 3 && strncmp(p, "v1,", 3) == 0 &&
		    ps_worker__secure_equal(p + 3, n - 3, want, strlen(want)))
			return 1;
		p += n;
	}
	return 0;
}

static int
known_scope(const char *scope)
{
	size_t i;

	for (i = 0; ps_worker__bc_scopes[i] != NULL; i++)
		if (strcmp(ps_worker__bc_scopes[i], scope) == 0)
			return 1;
	return 0;
}

/*
 * Why data.id cannot name an order, or NULL when it can (a positive JSON
 * integer).  The order import acts on nothing else, so a callback without
 * one is refused rather than stored and dropped: the platform then sees
 * the failure and retries (or deactivates a hook that keeps sending them).
 */
static const char *
bad_order_id(const json_t *id)
{
	if (id == NULL)
		return "missing";
	if (json_is_string(id))
		return "a string, not an integer";
	if (!json_is_integer(id))
		return "not an integer";
	if (json_integer_value(id) <= 0)
		return "not a positive order id";
	return NULL;
}

static enum MHD_Result
handle_bc(ps_listener *l, struct MHD_Connection *conn, const conn_body *b)
{
	const char *given;
	char *secret = NULL;
	json_t *doc = NULL, *scope, *data, *id;
	json_error_t jerr;
	unsigned status;
	const char *text, *why;
	int ok;

	secret = load_secret(l);
	given = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
					    PS_WORKER__SECRET_HEADER);
	ok = secret != NULL && given != NULL &&
	     ps_worker__secure_equal(given, strlen(given), secret,
				     strlen(secret));
	free(secret);
	if (!ok || !signature_ok(l, conn, b->data ? b->data : "", b->len)) {
		ps_log_warn(MOD, "BigCommerce callback refused: secret or "
				 "signature missing or wrong");
		return reply(conn, MHD_HTTP_UNAUTHORIZED, "unauthorized\n");
	}
	doc = json_loadb(b->data ? b->data : "", b->len, 0, &jerr);
	scope = json_object_get(doc, "scope");
	data = json_object_get(doc, "data");
	id = json_object_get(data, "id");
	if (!json_is_object(doc) || !json_is_string(scope) ||
	    !json_is_object(data)) {
		status = MHD_HTTP_BAD_REQUEST;
		text = "malformed callback\n";
		ps_log_warn(MOD,
			    "BigCommerce callback refused: malformed body");
	} else if (!known_scope(json_string_value(scope))) {
		status = MHD_HTTP_BAD_REQUEST;
		text = "unknown scope\n";
		ps_log_warn(MOD, "BigCommerce callback refused: scope %s",
			    json_string_value(scope));
	} else if ((why = bad_order_id(id)) != NULL) {
		status = MHD_HTTP_BAD_REQUEST;
		text = "data.id is not an order id\n";
		ps_log_warn(MOD,
			    "BigCommerce callback refused: data.id is %s "
			    "(scope %s)",
			    why, json_string_value(scope));
	} else if (ps_store_event_add(NULL, l->st, PS_PLATFORM_BIGCOMMERCE,
				      json_string_value(scope), b->data,
				      l->clock.now_ms(l->clock.ctx)) < 0) {
		status = MHD_HTTP_SERVICE_UNAVAILABLE;
		text = "try again\n";
		ps_log_error(MOD, "storing a BigCommerce event: %s",
			     ps_error_last());
	} else {
		status = MHD_HTTP_OK;
		text = "";
		ps_log_debug(MOD, "BigCommerce %s stored",
			     json_string_value(scope));
	}
	json_decref(doc);
	return reply(conn, status, text);
}

static enum MHD_Result
handle_bp(ps_listener *l, struct MHD_Connection *conn, const char *rest,
	  const conn_body *b)
{
	const char *slash = strchr(rest, '/');
	size_t slen = slash ? (size_t)(slash - rest) : strlen(rest);
	char *secret = load_secret(l);
	char topic[256];
	json_t *doc = NULL, *fe;
	int ok;

	ok = secret != NULL &&
	     ps_worker__secure_equal(rest, slen, secret, strlen(secret));
	free(secret);
	if (!ok) {
		ps_log_warn(MOD, "Brightpearl callback refused: wrong secret "
				 "in the path");
		return reply(conn, MHD_HTTP_UNAUTHORIZED, "unauthorized\n");
	}
	topic[0] = '\0';
	if (slash != NULL && slash[1] != '\0')
		snprintf(topic, sizeof(topic), "%s", slash + 1);
	if (b->len > 0) {
		doc = json_loadb(b->data, b->len, 0, NULL);
		if (doc == NULL) {
			ps_log_warn(MOD, "Brightpearl callback refused: body "
					 "is not JSON");
			return reply(conn, MHD_HTTP_BAD_REQUEST,
				     "malformed callback\n");
		}
		fe = json_object_get(doc, "fullEvent");
		if (topic[0] == '\0' && json_is_string(fe))
			snprintf(topic, sizeof(topic), "%s",
				 json_string_value(fe));
		json_decref(doc);
	}
	if (topic[0] == '\0')
		return reply(conn, MHD_HTTP_BAD_REQUEST, "no topic\n");
	if (ps_store_event_add(NULL, l->st, PS_PLATFORM_BRIGHTPEARL, topic,
			       b->data ? b->data : "",
			       l->clock.now_ms(l->clock.ctx)) < 0) {
		ps_log_error(MOD, "storing a Brightpearl event: %s",
			     ps_error_last());
		return reply(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "try again\n");
	}
	return reply(conn, MHD_HTTP_OK, "");
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

/* The first call for a request: its headers are in, no body yet. */
static enum MHD_Result
on_headers(struct MHD_Connection *conn, const char *method, int is_bc,
	   int is_bp, void **con_cls)
{
	conn_body *b;

	if (!is_bc && !is_bp)
		return reply(conn, MHD_HTTP_NOT_FOUND, "not found\n");
	if (strcmp(method, "POST") != 0 &&
	    !(is_bp && strcmp(method, "PUT") == 0))
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
			     "method not allowed\n");
	/* answered before the body is read; the connection then closes */
	if (announced_too_big(conn)) {
		ps_log_warn(MOD,
			    "webhook refused: body announced over %zu bytes",
			    PS_WORKER__MAX_BODY);
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
	int is_bc, is_bp;

	(void)version;
	is_bc = strcmp(url, BC_PATH) == 0;
	is_bp = strncmp(url, BP_PREFIX, strlen(BP_PREFIX)) == 0;
	if (b == NULL)
		return on_headers(conn, method, is_bc, is_bp, con_cls);
	if (*upload_size > 0)
		return on_body(b, upload, upload_size);
	if (is_bc)
		return handle_bc(l, conn, b);
	return handle_bp(l, conn, url + strlen(BP_PREFIX), b);
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
			  const char *address, int port, const ps_clock *clock,
			  const char *bc_client_secret)
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
	if (bc_client_secret != NULL &&
	    (l->client_secret = ps_util__strdup(bc_client_secret)) == NULL) {
		error = ps_error_set(PS_ENOMEM, "out of memory");
		goto fail;
	}
	if ((error = ps_store_open(&l->st, db_path, 0)) < 0)
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
	free(l->client_secret);
	free(l);
}
