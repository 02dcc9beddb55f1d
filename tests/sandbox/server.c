/*
 * server.c - the libmicrohttpd side of pearlsync-sandbox.
 *
 * Accumulates each request (headers, decoded query, body up to
 * SB_MAX_BODY), hands it to sb_dispatch() and turns the sb_response into an
 * MHD reply, applying the transport faults: a dropped connection (MHD_NO)
 * and a truncated body (a callback reply that announces the full length,
 * sends half and ends with an error).  One thread per connection, so an
 * injected stall only holds its own client.
 *
 * Recording: when the environment names a file in PEARLSYNC_SANDBOX_RECORD
 * at start-up, every request addressed to a platform (not the control API)
 * is appended to it as one JSON object per line -- method, platform, path,
 * decoded query, headers and body, plus the status the sandbox replied --
 * so a test can check afterwards what its client sent.  Secret values are
 * replaced by "<redacted>" before they reach the file: credential headers
 * (an Authorization keeps its scheme word), and query, form and JSON body
 * members whose name says token, secret, password or code.
 */
#include "sandbox.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <ctype.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#if MHD_VERSION < 0x00097002
typedef int MHD_Result_t;
#else
typedef enum MHD_Result MHD_Result_t;
#endif

#define SB_RECORD_ENV "PEARLSYNC_SANDBOX_RECORD"
#define SB_REDACTED "<redacted>"

/* The recording file; one writer at a time across connection threads. */
static FILE *record_file;
static pthread_mutex_t record_lock = PTHREAD_MUTEX_INITIALIZER;

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

/*
 * A name whose value is a credential, case-insensitively: one containing
 * a credential word or, with code != 0 (query and form fields, where an
 * OAuth authorisation code travels), exactly "code"; a JSON "code" is a
 * currency or status code and is kept.
 */
static int
secret_name(const char *name, int code)
{
	static const char *const words[] = {
		"token",   "secret", "password", "authorization",
		"api-key", "apikey", "cookie",   "signature"};
	size_t i, j, n = strlen(name), w;

	if (code && strcasecmp(name, "code") == 0)
		return 1;
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		w = strlen(words[i]);
		for (j = 0; j + w <= n; j++)
			if (strncasecmp(name + j, words[i], w) == 0)
				return 1;
	}
	return 0;
}

/*
 * Replace in text every occurrence of secret (at least 4 characters, so
 * that a short value cannot blank the line) by SB_REDACTED.  Returns text
 * or a new string replacing it (text is then freed).
 */
static char *
redact_text(char *text, const char *secret)
{
	size_t n = secret ? strlen(secret) : 0, hits = 0, len;
	const char *p;
	char *out, *o;

	if (n < 4 || !text)
		return text;
	for (p = text; (p = strstr(p, secret)); p += n)
		hits++;
	if (!hits)
		return text;
	len = strlen(text) + hits * sizeof(SB_REDACTED);
	out = malloc(len + 1);
	if (!out) {
		free(text);
		return NULL;
	}
	for (o = out, p = text; *p;) {
		if (strncmp(p, secret, n) == 0) {
			memcpy(o, SB_REDACTED, sizeof(SB_REDACTED) - 1);
			o += sizeof(SB_REDACTED) - 1;
			p += n;
		} else {
			*o++ = *p++;
		}
	}
	*o = '\0';
	free(text);
	return out;
}

/* Replace, in place and recursively, the secret members of a JSON body. */
static void
redact_json(json_t *v)
{
	const char *key;
	json_t *member;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach (v, key, member) {
			if (secret_name(key, 0) && !json_is_object(member) &&
			    !json_is_array(member))
				json_object_set_new(v, key,
						    json_string(SB_REDACTED));
			else
				redact_json(member);
		}
	} else if (json_is_array(v)) {
		json_array_foreach (v, i, member)
			redact_json(member);
	}
}

static int
hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode one application/x-www-form-urlencoded token of n bytes. */
static json_t *
form_decode(const char *s, size_t n)
{
	char *out = malloc(n + 1);
	size_t i, o = 0;
	json_t *v;

	if (!out)
		return NULL;
	for (i = 0; i < n; i++) {
		if (s[i] == '+') {
			out[o++] = ' ';
		} else if (s[i] == '%' && i + 2 < n && hex_val(s[i + 1]) >= 0 &&
			   hex_val(s[i + 2]) >= 0) {
			out[o++] = (char)(hex_val(s[i + 1]) * 16 +
					  hex_val(s[i + 2]));
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	v = json_stringn(out, o);
	free(out);
	return v;
}

/* A form body as an object of its (redacted) fields. */
static json_t *
form_fields(const char *body)
{
	json_t *o = json_object();
	const char *p = body;

	while (o && *p) {
		size_t n = strcspn(p, "&"), k = strcspn(p, "=");
		json_t *name, *value;

		if (k > n)
			k = n;
		name = form_decode(p, k);
		if (name && json_string_value(name)) {
			if (secret_name(json_string_value(name), 1))
				value = json_string(SB_REDACTED);
			else
				value = k < n ? form_decode(p + k + 1,
							    n - k - 1)
					      : json_string("");
			json_object_set_new(o, json_string_value(name), value);
		}
		json_decref(name);
		p += n;
		if (*p == '&')
			p++;
	}
	return o;
}

static const char *
redacted_header(const char *name, const char *value, char *buf, size_t len)
{
	size_t sp;

	if (!secret_name(name, 0) &&
	    strcasecmp(name, "brightpearl-account-token") &&
	    strcasecmp(name, "brightpearl-staff-token"))
		return value;
	sp = strcspn(value, " ");
	if (strcasecmp(name, "authorization") == 0 && value[sp] == ' ' &&
	    sp < len - sizeof(SB_REDACTED) - 1) {
		snprintf(buf, len, "%.*s " SB_REDACTED, (int)sp, value);
		return buf;
	}
	return SB_REDACTED;
}

/*
 * Append one platform request (and its reply status) to the record.  The
 * sandbox's own tokens and the values listed (comma-separated) in
 * PEARLSYNC_SANDBOX_RECORD_REDACT -- secrets a test knows that travel
 * elsewhere than in a credential member, e.g. inside a webhook URL -- are
 * blanked wherever they occur in the line.
 */
static void
record_request(const sb_sandbox *sb, const sb_request *req,
	       const sb_response *resp)
{
	json_t *line, *headers, *query, *body = NULL;
	const char *ctype = sb_req_header(req, "Content-Type");
	const char *platform_end, *extra = getenv(SB_RECORD_ENV "_REDACT");
	char buf[64];
	size_t i;
	char *text;

	if (!record_file || strncmp(req->url, "/_sandbox", 9) == 0)
		return;
	headers = json_object();
	query = json_object();
	for (i = 0; i < req->nheaders; i++) {
		char lower[128];
		size_t j;

		for (j = 0; req->headers[i].name[j] && j + 1 < sizeof(lower);
		     j++)
			lower[j] = (char)tolower(
				(unsigned char)req->headers[i].name[j]);
		lower[j] = '\0';
		json_object_set_new(headers, lower,
				    json_string(redacted_header(
					    lower, req->headers[i].value, buf,
					    sizeof(buf))));
	}
	for (i = 0; i < req->nquery; i++)
		json_object_set_new(
			query, req->query[i].name,
			json_string(secret_name(req->query[i].name, 1)
					    ? SB_REDACTED
					    : req->query[i].value));
	if (req->body && req->body_len) {
		if (ctype &&
		    strncasecmp(ctype, "application/x-www-form-urlencoded",
				33) == 0) {
			body = json_pack("{s:o}", "form",
					 form_fields(req->body));
		} else {
			json_t *j = json_loadb(req->body, req->body_len,
					       JSON_DECODE_ANY, NULL);

			if (j) {
				redact_json(j);
				body = json_pack("{s:o}", "json", j);
			} else {
				body = json_pack("{s:s%}", "text", req->body,
						 req->body_len);
			}
		}
	}
	platform_end = strchr(req->url + 1, '/');
	line = json_pack("{s:s, s:s%, s:s, s:o, s:o, s:i}", "method",
			 req->method, "platform", req->url + 1,
			 platform_end ? (size_t)(platform_end - req->url - 1)
				      : strlen(req->url + 1),
			 "path", platform_end ? platform_end : "/", "query",
			 query, "headers", headers, "status",
			 resp->drop ? 0 : resp->status);
	if (line && body)
		json_object_update(line, body);
	json_decref(body);
	text = line ? json_dumps(line, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
	json_decref(line);
	text = redact_text(text, sb->opt.bp_token);
	text = redact_text(text, sb->opt.bc_token);
	if (text && extra && *extra) {
		char *list = strdup(extra), *save = NULL, *tok;

		for (tok = list ? strtok_r(list, ",", &save) : NULL; tok;
		     tok = strtok_r(NULL, ",", &save))
			text = redact_text(text, tok);
		free(list);
	}
	if (!text)
		return;
	pthread_mutex_lock(&record_lock);
	fputs(text, record_file);
	fputc('\n', record_file);
	fflush(record_file);
	pthread_mutex_unlock(&record_lock);
	free(text);
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
	record_request(sb, &req, &resp);
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
	const char *record = getenv(SB_RECORD_ENV);

	if (record && *record && !record_file) {
		record_file = fopen(record, "a");
		if (!record_file) {
			fprintf(stderr,
				"pearlsync-sandbox: cannot open the "
				"record file '%s'\n",
				record);
			return -1;
		}
	}
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
	if (record_file)
		fclose(record_file);
	record_file = NULL;
}
