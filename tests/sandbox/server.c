/*
 * server.c - the libmicrohttpd side of pearlsync-sandbox.
 *
 * Accumulates each request (headers, decoded query, body up to
 * SB_MAX_BODY), hands it to sb_dispatch() and turns the sb_response into an
 * MHD reply, applying the transport faults: a dropped connection (MHD_NO)
 * and a truncated body (a callback reply that announces the full length,
 * sends half and ends with an error).  One thread per connection, so an
 * injected stall only holds its own client.
 */
#include "sandbox.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if MHD_VERSION < 0x00097002
typedef int MHD_Result_t;
#else
typedef enum MHD_Result MHD_Result_t;
#endif

/* Per-request accumulation state (MHD's con_cls). */
typedef struct conn_state {
	char *body;
	size_t len, cap;
	int too_big;
} conn_state;

static char *
dup_str(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = malloc(n);

	if (p)
		memcpy(p, s, n);
	return p;
}

static MHD_Result_t
collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
	       const char *value)
{
	sb_request *req = cls;

	(void)kind;
	if (req->nheaders < SB_MAX_PAIRS) {
		req->headers[req->nheaders].name = dup_str(key);
		req->headers[req->nheaders].value = dup_str(value ? value : "");
		req->nheaders++;
	}
	return MHD_YES;
}

static MHD_Result_t
collect_query(void *cls, enum MHD_ValueKind kind, const char *key,
	      const char *value)
{
	sb_request *req = cls;

	(void)kind;
	if (req->nquery < SB_MAX_PAIRS) {
		req->query[req->nquery].name = dup_str(key);
		req->query[req->nquery].value = dup_str(value ? value : "");
		req->nquery++;
	}
	return MHD_YES;
}

static void
request_dispose(sb_request *req)
{
	size_t i;

	for (i = 0; i < req->nheaders; i++) {
		free(req->headers[i].name);
		free(req->headers[i].value);
	}
	for (i = 0; i < req->nquery; i++) {
		free(req->query[i].name);
		free(req->query[i].value);
	}
}

/* Truncated reply: serve the first half of the body, then fail. */
typedef struct trunc_ctx {
	char *body;
	size_t send; /* bytes to send before failing */
} trunc_ctx;

static ssize_t
trunc_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	trunc_ctx *t = cls;
	size_t n;

	if (pos >= t->send)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	n = t->send - (size_t)pos;
	if (n > max)
		n = max;
	memcpy(buf, t->body + pos, n);
	return (ssize_t)n;
}

static void
trunc_free(void *cls)
{
	trunc_ctx *t = cls;

	free(t->body);
	free(t);
}

static MHD_Result_t
queue_reply(struct MHD_Connection *conn, sb_response *resp)
{
	struct MHD_Response *r;
	MHD_Result_t ret;
	size_t i;

	if (resp->truncate && resp->body_len >= 2) {
		trunc_ctx *t = calloc(1, sizeof(*t));

		if (!t)
			return MHD_NO;
		t->body = resp->body;
		t->send = resp->body_len / 2;
		r = MHD_create_response_from_callback(
			resp->body_len, 4096, trunc_read, t, trunc_free);
		if (!r) {
			free(t);
			return MHD_NO;
		}
		resp->body = NULL; /* now owned by t */
	} else {
		r = MHD_create_response_from_buffer(
			resp->body_len, resp->body ? resp->body : (char *)"",
			MHD_RESPMEM_MUST_COPY);
		if (!r)
			return MHD_NO;
	}
	for (i = 0; i < resp->nheaders; i++)
		MHD_add_response_header(r, resp->headers[i].name,
					resp->headers[i].value);
	ret = MHD_queue_response(
		conn, (unsigned)(resp->status ? resp->status : 500), r);
	MHD_destroy_response(r);
	return ret;
}

static MHD_Result_t
on_request(void *cls, struct MHD_Connection *conn, const char *url,
	   const char *method, const char *version, const char *upload_data,
	   size_t *upload_data_size, void **con_cls)
{
	sb_sandbox *sb = cls;
	conn_state *cs = *con_cls;
	sb_request req;
	sb_response resp;
	MHD_Result_t ret;

	(void)version;
	if (!cs) {
		cs = calloc(1, sizeof(*cs));
		if (!cs)
			return MHD_NO;
		*con_cls = cs;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		size_t n = *upload_data_size;

		if (!cs->too_big && cs->len + n > SB_MAX_BODY)
			cs->too_big = 1;
		if (!cs->too_big) {
			if (cs->len + n + 1 > cs->cap) {
				size_t cap = (cs->len + n + 1) * 2;
				char *p = realloc(cs->body, cap);

				if (!p)
					return MHD_NO;
				cs->body = p;
				cs->cap = cap;
			}
			memcpy(cs->body + cs->len, upload_data, n);
			cs->len += n;
			cs->body[cs->len] = '\0';
		}
		*upload_data_size = 0;
		return MHD_YES;
	}

	memset(&req, 0, sizeof(req));
	memset(&resp, 0, sizeof(resp));
	req.method = method;
	req.url = url;
	req.path = url;
	req.body = cs->body;
	req.body_len = cs->len;
	MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_header, &req);
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_query,
				  &req);
	if (cs->too_big)
		sb_resp_json(&resp, 413,
			     json_pack("{s:s}", "error", "body too large"),
			     NULL);
	else
		sb_dispatch(sb, &req, &resp);
	request_dispose(&req);
	if (resp.drop)
		ret = MHD_NO;
	else
		ret = queue_reply(conn, &resp);
	sb_resp_dispose(&resp);
	return ret;
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
	     enum MHD_RequestTerminationCode toe)
{
	conn_state *cs = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (cs) {
		free(cs->body);
		free(cs);
		*con_cls = NULL;
	}
}

static char *
read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n + 1);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		if (buf)
			buf[n] = '\0';
	}
	fclose(f);
	return buf;
}

int
sb_server_start(sb_sandbox *sb)
{
	unsigned flags =
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION;
	const union MHD_DaemonInfo *info;
	struct sockaddr_in addr;
	int tls = sb->opt.tls_cert != NULL;

	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)sb->opt.listen_port);
	if (inet_pton(AF_INET, sb->opt.listen_host, &addr.sin_addr) != 1) {
		fprintf(stderr, "pearlsync-sandbox: bad listen address '%s'\n",
			sb->opt.listen_host);
		return -1;
	}
	if (tls) {
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			fprintf(stderr, "pearlsync-sandbox: libmicrohttpd "
					"has no TLS support\n");
			return -1;
		}
		sb->tls_cert_pem = read_file(sb->opt.tls_cert);
		sb->tls_key_pem = read_file(sb->opt.tls_key);
		if (!sb->tls_cert_pem || !sb->tls_key_pem) {
			fprintf(stderr, "pearlsync-sandbox: cannot read TLS "
					"certificate or key\n");
			return -1;
		}
		flags |= MHD_USE_TLS;
		sb->daemon = MHD_start_daemon(
			flags, 0, NULL, NULL, on_request, sb,
			MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
			MHD_OPTION_NOTIFY_COMPLETED, on_completed, sb,
			MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
			MHD_OPTION_HTTPS_MEM_CERT, sb->tls_cert_pem,
			MHD_OPTION_HTTPS_MEM_KEY, sb->tls_key_pem,
			MHD_OPTION_END);
	} else {
		sb->daemon = MHD_start_daemon(
			flags, 0, NULL, NULL, on_request, sb,
			MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
			MHD_OPTION_NOTIFY_COMPLETED, on_completed, sb,
			MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
			MHD_OPTION_END);
	}
	if (!sb->daemon) {
		fprintf(stderr, "pearlsync-sandbox: cannot listen on %s:%d\n",
			sb->opt.listen_host, sb->opt.listen_port);
		return -1;
	}
	info = MHD_get_daemon_info(sb->daemon, MHD_DAEMON_INFO_BIND_PORT);
	snprintf(sb->base_url, sizeof(sb->base_url), "%s://%s:%u",
		 tls ? "https" : "http", sb->opt.listen_host,
		 info ? (unsigned)info->port : (unsigned)sb->opt.listen_port);
	return 0;
}

void
sb_server_stop(sb_sandbox *sb)
{
	if (sb->daemon)
		MHD_stop_daemon(sb->daemon);
	sb->daemon = NULL;
	free(sb->tls_cert_pem);
	free(sb->tls_key_pem);
	sb->tls_cert_pem = sb->tls_key_pem = NULL;
}
