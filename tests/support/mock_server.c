/*
 * mock_server.c - the scripted libmicrohttpd server of mock_server.h.
 *
 * One thread per connection, so a stalled reply blocks only its own
 * connection; stalls wait on a condition variable that mock_server_stop
 * broadcasts, so stopping never waits for a stall to run out.  Each
 * request's record is created by the URI log callback (which sees the raw
 * URI, query included), filled while the body arrives, and handed to the
 * server's list when the reply is chosen.
 */
#include "mock_server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

/* Recorded request bodies are cut here. */
#define MOCK_BODY_MAX ((size_t)4 << 20)

/* A mock_reply with its strings owned. */
typedef struct owned_reply {
	mock_reply r;
	char *headers;
	char *body;
} owned_reply;

struct mock_server {
	struct MHD_Daemon *daemon;
	int port;
	char url[64];
	char *cert, *key; /* must outlive the daemon */
	pthread_mutex_t lock;
	pthread_cond_t wake; /* broadcast on stop */
	int stopping;
	owned_reply *script; /* FIFO from head */
	size_t head, nscript, capscript;
	owned_reply fallback;
	mock_request **reqs;
	size_t nreqs, capreqs;
};

/* Per-request state kept in MHD's con_cls. */
typedef struct pending {
	mock_request *q;
	int started;
	size_t body_cap;
} pending;

static void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL) {
		fprintf(stderr, "mock_server: out of memory\n");
		abort();
	}
	return p;
}

static void *
xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (p == NULL) {
		fprintf(stderr, "mock_server: out of memory\n");
		abort();
	}
	return p;
}

static char *
xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static char *
xstrdup(const char *s)
{
	return s ? xstrndup(s, strlen(s)) : NULL;
}

static void
request_free(mock_request *q)
{
	size_t i;

	if (q == NULL)
		return;
	for (i = 0; i < q->nheaders; i++) {
		free(q->headers[i].name);
		free(q->headers[i].value);
	}
	free(q->headers);
	free(q->method);
	free(q->path);
	free(q->query);
	free(q->body);
	free(q);
}

static void
owned_copy(owned_reply *o, const mock_reply *r)
{
	size_t blen =
		r->body ? (r->body_len ? r->body_len : strlen(r->body)) : 0;

	o->r = *r;
	o->headers = xstrdup(r->headers);
	o->body = r->body ? xstrndup(r->body, blen) : NULL;
	o->r.headers = o->headers;
	o->r.body = o->body;
	o->r.body_len = blen;
	if (o->r.status == 0)
		o->r.status = 200;
}

static void
owned_free(owned_reply *o)
{
	free(o->headers);
	free(o->body);
	memset(o, 0, sizeof(*o));
}

/* --- MHD callbacks ------------------------------------------------------ */

static void *
on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	pending *p = xmalloc(sizeof(*p));
	const char *qm = strchr(uri, '?');

	(void)cls;
	(void)conn;
	memset(p, 0, sizeof(*p));
	p->q = xmalloc(sizeof(*p->q));
	memset(p->q, 0, sizeof(*p->q));
	if (qm != NULL) {
		p->q->path = xstrndup(uri, (size_t)(qm - uri));
		p->q->query = xstrdup(qm + 1);
	} else {
		p->q->path = xstrdup(uri);
	}
	p->q->body = xstrdup("");
	return p;
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
	     enum MHD_RequestTerminationCode why)
{
	pending *p = *con_cls;

	(void)cls;
	(void)conn;
	(void)why;
	if (p != NULL) {
		request_free(p->q); /* NULL once recorded */
		free(p);
	}
	*con_cls = NULL;
}

static enum MHD_Result
add_header(void *cls, enum MHD_ValueKind kind, const char *key,
	   const char *value)
{
	mock_request *q = cls;

	(void)kind;
	q->headers =
		xrealloc(q->headers, (q->nheaders + 1) * sizeof(*q->headers));
	q->headers[q->nheaders].name = xstrdup(key);
	q->headers[q->nheaders].value = xstrdup(value ? value : "");
	q->nheaders++;
	return MHD_YES;
}

/* Body source of truncated and oversized replies. */
typedef struct source {
	char *body; /* owned copy, or NULL: generate 'x' */
	size_t len; /* bytes available */
	int truncate;
} source;

static ssize_t
read_source(void *cls, uint64_t pos, char *buf, size_t max)
{
	source *s = cls;
	size_t n;

	if (pos >= s->len)
		return s->truncate ? MHD_CONTENT_READER_END_WITH_ERROR
				   : MHD_CONTENT_READER_END_OF_STREAM;
	n = s->len - (size_t)pos;
	if (n > max)
		n = max;
	if (s->body != NULL)
		memcpy(buf, s->body + pos, n);
	else
		memset(buf, 'x', n);
	return (ssize_t)n;
}

static void
free_source(void *cls)
{
	source *s = cls;

	free(s->body);
	free(s);
}

static void
add_reply_headers(struct MHD_Response *resp, const char *text)
{
	const char *line = text;

	while (line != NULL && *line != '\0') {
		size_t len = strcspn(line, "\n");
		const char *colon = memchr(line, ':', len);

		if (colon != NULL) {
			char *name = xstrndup(line, (size_t)(colon - line));
			const char *v = colon + 1;
			size_t vlen;
			char *value;

			while (*v == ' ')
				v++;
			vlen = len - (size_t)(v - line);
			while (vlen > 0 &&
			       (v[vlen - 1] == '\r' || v[vlen - 1] == ' '))
				vlen--;
			value = xstrndup(v, vlen);
			MHD_add_response_header(resp, name, value);
			free(name);
			free(value);
		}
		line += len;
		if (*line == '\n')
			line++;
	}
}

/* Pop the next scripted reply (a copy the caller frees). */
static void
next_reply(mock_server *m, owned_reply *out)
{
	pthread_mutex_lock(&m->lock);
	if (m->head < m->nscript) {
		*out = m->script[m->head++];
	} else {
		owned_copy(out, &m->fallback.r);
	}
	pthread_mutex_unlock(&m->lock);
}

static void
stall(mock_server *m, long ms)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&m->lock);
	while (!m->stopping &&
	       pthread_cond_timedwait(&m->wake, &m->lock, &until) == 0)
		;
	pthread_mutex_unlock(&m->lock);
}

static enum MHD_Result
send_reply(mock_server *m, struct MHD_Connection *conn, owned_reply *o)
{
	struct MHD_Response *resp = NULL;
	enum MHD_Result ret;
	source *s;

	switch (o->r.action) {
	case MOCK_DROP:
		return MHD_NO;
	case MOCK_STALL:
		stall(m, o->r.stall_ms > 0 ? o->r.stall_ms : 10000);
		__attribute__((fallthrough)); /* then reply */
	case MOCK_REPLY:
		resp = MHD_create_response_from_buffer(
			o->r.body_len, o->body ? o->body : (char *)"",
			MHD_RESPMEM_MUST_COPY);
		break;
	case MOCK_TRUNCATE:
	case MOCK_OVERSIZE:
	case MOCK_OVERSIZE_CHUNKED:
		s = xmalloc(sizeof(*s));
		s->truncate = o->r.action == MOCK_TRUNCATE;
		s->body = s->truncate ? xstrndup(o->body ? o->body : "",
						 o->r.body_len)
				      : NULL;
		s->len = s->truncate ? o->r.body_len : o->r.size;
		resp = MHD_create_response_from_callback(
			o->r.action == MOCK_OVERSIZE_CHUNKED
				? MHD_SIZE_UNKNOWN
				: (uint64_t)s->len + (s->truncate ? 64 : 0),
			4096, read_source, s, free_source);
		break;
	}
	if (resp == NULL)
		return MHD_NO;
	add_reply_headers(resp, o->headers);
	ret = MHD_queue_response(conn, (unsigned)o->r.status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static int
client_port(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
		conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

	if (ci == NULL || ci->client_addr == NULL ||
	    ci->client_addr->sa_family != AF_INET)
		return 0;
	return ntohs(((const struct sockaddr_in *)(const void *)ci->client_addr)
			     ->sin_port);
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
	   const char *method, const char *version, const char *upload,
	   size_t *upload_size, void **con_cls)
{
	mock_server *m = cls;
	pending *p = *con_cls;
	owned_reply reply;
	enum MHD_Result ret;

	(void)version;
	if (p == NULL) { /* no URI callback ran: record the decoded path */
		p = on_uri(m, url, conn);
		*con_cls = p;
	}
	if (!p->started) {
		p->started = 1;
		p->q->method = xstrdup(method);
		p->q->client_port = client_port(conn);
		MHD_get_connection_values(conn, MHD_HEADER_KIND, add_header,
					  p->q);
		return MHD_YES;
	}
	if (*upload_size > 0) {
		mock_request *q = p->q;
		size_t n = *upload_size;

		if (q->body_len + n > MOCK_BODY_MAX)
			n = MOCK_BODY_MAX - q->body_len;
		if (q->body_len + n + 1 > p->body_cap) {
			p->body_cap = (q->body_len + n + 1) * 2;
			q->body = xrealloc(q->body, p->body_cap);
		}
		memcpy(q->body + q->body_len, upload, n);
		q->body_len += n;
		q->body[q->body_len] = '\0';
		*upload_size = 0;
		return MHD_YES;
	}
	/* the whole request is in: record it, then reply */
	pthread_mutex_lock(&m->lock);
	if (m->nreqs == m->capreqs) {
		m->capreqs = m->capreqs ? m->capreqs * 2 : 16;
		m->reqs = xrealloc(m->reqs, m->capreqs * sizeof(*m->reqs));
	}
	m->reqs[m->nreqs++] = p->q;
	p->q = NULL;
	pthread_mutex_unlock(&m->lock);

	next_reply(m, &reply);
	ret = send_reply(m, conn, &reply);
	owned_free(&reply);
	return ret;
}

/* --- public ------------------------------------------------------------- */

int
mock_server_start(mock_server **out, const mock_server_options *opts)
{
	static const mock_reply unscripted = {
		MOCK_REPLY, 501, NULL, "unscripted", 0, 0, 0};
	struct sockaddr_in sa;
	const union MHD_DaemonInfo *info;
	int tls = opts && opts->tls_cert_pem && opts->tls_key_pem;
	unsigned flags =
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION;
	mock_server *m;

	*out = NULL;
	if (tls && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
		return -1;
	m = xmalloc(sizeof(*m));
	memset(m, 0, sizeof(*m));
	pthread_mutex_init(&m->lock, NULL);
	pthread_cond_init(&m->wake, NULL);
	owned_copy(&m->fallback, &unscripted);

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (tls) {
		m->cert = xstrdup(opts->tls_cert_pem);
		m->key = xstrdup(opts->tls_key_pem);
		m->daemon = MHD_start_daemon(
			flags | MHD_USE_TLS, 0, NULL, NULL, on_request, m,
			MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
			MHD_OPTION_URI_LOG_CALLBACK, on_uri, m,
			MHD_OPTION_NOTIFY_COMPLETED, on_completed, m,
			MHD_OPTION_HTTPS_MEM_KEY, m->key,
			MHD_OPTION_HTTPS_MEM_CERT, m->cert, MHD_OPTION_END);
	} else {
		m->daemon = MHD_start_daemon(
			flags, 0, NULL, NULL, on_request, m,
			MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
			MHD_OPTION_URI_LOG_CALLBACK, on_uri, m,
			MHD_OPTION_NOTIFY_COMPLETED, on_completed, m,
			MHD_OPTION_END);
	}
	if (m->daemon == NULL)
		goto fail;
	info = MHD_get_daemon_info(m->daemon, MHD_DAEMON_INFO_BIND_PORT);
	if (info == NULL || info->port == 0)
		goto fail;
	m->port = info->port;
	snprintf(m->url, sizeof(m->url), "%s://127.0.0.1:%d",
		 tls ? "https" : "http", m->port);
	*out = m;
	return 0;
fail:
	mock_server_stop(m);
	return -1;
}

void
mock_server_stop(mock_server *m)
{
	if (m == NULL)
		return;
	pthread_mutex_lock(&m->lock);
	m->stopping = 1;
	pthread_cond_broadcast(&m->wake);
	pthread_mutex_unlock(&m->lock);
	if (m->daemon != NULL)
		MHD_stop_daemon(m->daemon);
	mock_server_clear(m);
	free(m->script);
	free(m->reqs);
	owned_free(&m->fallback);
	free(m->cert);
	free(m->key);
	pthread_cond_destroy(&m->wake);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

int
mock_server_port(const mock_server *m)
{
	return m->port;
}

const char *
mock_server_url(const mock_server *m)
{
	return m->url;
}

void
mock_server_push(mock_server *m, const mock_reply *r)
{
	pthread_mutex_lock(&m->lock);
	if (m->nscript == m->capscript) {
		m->capscript = m->capscript ? m->capscript * 2 : 16;
		m->script =
			xrealloc(m->script, m->capscript * sizeof(*m->script));
	}
	owned_copy(&m->script[m->nscript++], r);
	pthread_mutex_unlock(&m->lock);
}

void
mock_server_reply(mock_server *m, int status, const char *headers,
		  const char *body)
{
	mock_reply r = {MOCK_REPLY, status, headers, body, 0, 0, 0};

	mock_server_push(m, &r);
}

void
mock_server_act(mock_server *m, mock_action action)
{
	mock_reply r = {action, 200, NULL, NULL, 0, 0, 0};

	mock_server_push(m, &r);
}

void
mock_server_set_default(mock_server *m, const mock_reply *r)
{
	pthread_mutex_lock(&m->lock);
	owned_free(&m->fallback);
	owned_copy(&m->fallback, r);
	pthread_mutex_unlock(&m->lock);
}

size_t
mock_server_pending(mock_server *m)
{
	size_t n;

	pthread_mutex_lock(&m->lock);
	n = m->nscript - m->head;
	pthread_mutex_unlock(&m->lock);
	return n;
}

size_t
mock_server_request_count(mock_server *m)
{
	size_t n;

	pthread_mutex_lock(&m->lock);
	n = m->nreqs;
	pthread_mutex_unlock(&m->lock);
	return n;
}

const mock_request *
mock_server_request(mock_server *m, size_t i)
{
	const mock_request *q = NULL;

	pthread_mutex_lock(&m->lock);
	if (i < m->nreqs)
		q = m->reqs[i];
	pthread_mutex_unlock(&m->lock);
	return q;
}

void
mock_server_clear(mock_server *m)
{
	size_t i;

	pthread_mutex_lock(&m->lock);
	for (i = 0; i < m->nreqs; i++)
		request_free(m->reqs[i]);
	m->nreqs = 0;
	for (i = m->head; i < m->nscript; i++)
		owned_free(&m->script[i]);
	m->head = m->nscript = 0;
	pthread_mutex_unlock(&m->lock);
}

const char *
mock_request_header(const mock_request *q, const char *name)
{
	size_t i;

	for (i = 0; q != NULL && i < q->nheaders; i++) {
		if (strcasecmp(q->headers[i].name, name) == 0)
			return q->headers[i].value;
	}
	return NULL;
}

/* --- fake clock and random ----------------------------------------------- */

static int64_t
fake_now(void *ctx)
{
	return ((mock_clock *)ctx)->now;
}

static void
fake_sleep(void *ctx, int64_t ms)
{
	mock_clock *c = ctx;
	size_t gap = c->server ? mock_server_request_count(c->server) : 0;
	int64_t total = 0;
	int i;

	if (gap >= MOCK_CLOCK_MAX_GAPS)
		gap = MOCK_CLOCK_MAX_GAPS - 1;
	c->now += ms;
	c->waits[gap] += ms;
	c->nsleeps++;
	for (i = 0; i < MOCK_CLOCK_MAX_GAPS; i++)
		total += c->waits[i];
	if (c->cancel_flag != NULL && total >= c->cancel_after)
		*c->cancel_flag = 1;
}

void
mock_clock_init(mock_clock *c, mock_server *server, int64_t start)
{
	memset(c, 0, sizeof(*c));
	c->clock.now_ms = fake_now;
	c->clock.sleep_ms = fake_sleep;
	c->clock.ctx = c;
	c->now = start;
	c->server = server;
}

static uint64_t
fake_random(void *ctx)
{
	mock_random *r = ctx;
	uint64_t v;

	if (r->n == 0)
		return 0;
	v = r->values[r->next % r->n];
	r->next++;
	return v;
}

void
mock_random_init(mock_random *r, const uint64_t *values, size_t n)
{
	memset(r, 0, sizeof(*r));
	r->random.next = fake_random;
	r->random.ctx = r;
	r->values = values;
	r->n = n;
}
