/*
 * send.c - sending the report by SMTP and the daily schedule (report.h).
 *
 * libcurl speaks SMTP: the URL's scheme picks plain SMTP (smtp://, with
 * STARTTLS when required) or TLS from the first byte (smtps://).  The
 * password is a secret: the store registers it for redaction when it is
 * read, and the conversation, logged only at debug level, shows the AUTH
 * exchange as "****" (the base64 of "user\0password" would not be caught
 * by the literal redactor).  The message body is never logged.
 */
#include "pearlsync/report.h"
#include "internal.h"
#include "setting_keys.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pearlsync/log.h"
#include "pearlsync/settings.h"

#define MOD "report"
#define URL_MAX 320

void
ps_report_smtp_dispose(ps_report_smtp *s)
{
	if (s == NULL)
		return;
	free(s->url);
	free(s->user);
	free(s->password);
	free(s->from);
	free(s->recipients);
	memset(s, 0, sizeof(*s));
}

/* A host name, IPv4 or [IPv6] address: nothing that could end the URL. */
static int
is_host(const char *h)
{
	if (h[0] == '\0')
		return 0;
	for (; *h; h++)
		if (!isalnum((unsigned char)*h) && strchr(".-_[]:", *h) == NULL)
			return 0;
	return 1;
}

/* report.smtp_server (and port) as a URL into s->url. */
static int
load_url(ps_report_smtp *s, ps_store *st)
{
	char *server = NULL, *port_text = NULL, url[URL_MAX];
	const char *scheme = "smtp", *host;
	int64_t port = 0;
	int error;

	if ((error = ps_settings_get(&server, st, PS_SET_REPORT_SMTP_SERVER)) <
	    0)
		return error;
	host = server;
	if (strncmp(host, "smtps://", 8) == 0) {
		scheme = "smtps";
		host += 8;
	} else if (strncmp(host, "smtp://", 7) == 0) {
		host += 7;
	}
	if (!is_host(host)) {
		error = ps_error_set(PS_ESETTING,
				     "setting '%s': '%s' is not a host name "
				     "(mail.example.com, or smtps://host for "
				     "TLS from the start)",
				     PS_SET_REPORT_SMTP_SERVER, server);
		goto done;
	}
	/* unset port: the scheme's submission port */
	error = ps_store_setting_get(&port_text, st, PS_SET_REPORT_SMTP_PORT);
	if (error == PS_ENOTFOUND) {
		ps_error_clear();
		port = strcmp(scheme, "smtps") == 0 ? 465 : 587;
		error = 0;
	} else if (error == 0) {
		error = ps_settings_get_int(&port, st, PS_SET_REPORT_SMTP_PORT);
	}
	if (error < 0)
		goto done;
	snprintf(url, sizeof(url), "%s://%s:%lld", scheme, host,
		 (long long)port);
	if ((s->url = ps_util__strdup(url)) == NULL)
		error = ps_error_set(PS_ENOMEM, "out of memory");
done:
	free(server);
	free(port_text);
	return error;
}

int
ps_report_smtp_load(ps_report_smtp *out, ps_store *st, const char *ca_file)
{
	int error;

	if (out == NULL)
		return ps_error_set(PS_EINVAL, "ps_report_smtp_load: NULL");
	memset(out, 0, sizeof(*out));
	if (st == NULL)
		return ps_error_set(PS_EINVAL, "ps_report_smtp_load: NULL");
	out->ca_file = ca_file != NULL && ca_file[0] != '\0' ? ca_file : NULL;
	/* The worker sends from its own loop: the whole exchange stays
	 * under the heartbeat's 15 s of grace, so a slow server never makes
	 * the worker look stopped (a report is a few kilobytes). */
	out->connect_timeout_ms = 5000;
	out->timeout_ms = 12000;
	if ((error = load_url(out, st)) < 0 ||
	    (error = ps_settings_get_bool(&out->starttls, st,
					  PS_SET_REPORT_STARTTLS)) < 0 ||
	    (error = ps_settings_get_opt(&out->user, st,
					 PS_SET_REPORT_SMTP_USER)) < 0 ||
	    (error = ps_settings_get_opt(&out->password, st,
					 PS_SET_REPORT_SMTP_PASSWORD)) < 0 ||
	    (error = ps_settings_get(&out->from, st, PS_SET_REPORT_FROM)) < 0 ||
	    (error = ps_settings_get(&out->recipients, st,
				     PS_SET_REPORT_RECIPIENTS)) < 0)
		return error;
	if (out->password != NULL && ps_log_add_secret(out->password) < 0)
		return ps_error_set(PS_ENOMEM, "out of memory");
	return 0;
}

/* ------------------------------------------------------------------------ */
/* The SMTP conversation                                                     */

typedef struct upload {
	const char *p;
	size_t left;
} upload;

static size_t
read_cb(char *buf, size_t size, size_t nmemb, void *userp)
{
	upload *u = userp;
	size_t n = size * nmemb;

	if (n > u->left)
		n = u->left;
	memcpy(buf, u->p, n);
	u->p += n;
	u->left -= n;
	return n;
}

/* Whether the client is inside the AUTH exchange (debug_cb). */
typedef struct conversation {
	int in_auth;
} conversation;

/* One protocol line for the debug log; AUTH and its answers masked. */
static int
debug_cb(CURL *c, curl_infotype type, char *data, size_t size, void *userp)
{
	conversation *cv = userp;
	char line[512];
	size_t n = size < sizeof(line) - 1 ? size : sizeof(line) - 1;

	(void)c;
	if (type != CURLINFO_HEADER_IN && type != CURLINFO_HEADER_OUT)
		return 0;
	memcpy(line, data, n);
	line[n] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	if (type == CURLINFO_HEADER_OUT) {
		if (strncmp(line, "AUTH ", 5) == 0) {
			cv->in_auth = 1;
			/* keep the mechanism: "AUTH PLAIN ****" */
			line[5 + strcspn(line + 5, " ")] = '\0';
			ps_log_debug(MOD, "> %s ****", line);
		} else if (cv->in_auth) {
			ps_log_debug(MOD, "> ****");
		} else {
			ps_log_debug(MOD, "> %s", line);
		}
		return 0;
	}
	if (cv->in_auth && line[0] != '3')
		cv->in_auth = 0; /* 235 accepted, 5xx refused */
	ps_log_debug(MOD, "< %s", line);
	return 0;
}

/* Map a failed transfer to a PS_E* code with the server's reply. */
static int
map_error(CURL *c, CURLcode rc, const char *url, const char *errbuf)
{
	long reply = 0;
	int code;

	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply);
	switch (rc) {
	case CURLE_LOGIN_DENIED:
		code = PS_EAUTH;
		break;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
		code = PS_ENET;
		break;
	case CURLE_OPERATION_TIMEDOUT:
		code = PS_ETIMEOUT;
		break;
	case CURLE_USE_SSL_FAILED:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
		code = PS_ETLS;
		break;
	case CURLE_OUT_OF_MEMORY:
		code = PS_ENOMEM;
		break;
	default:
		code = PS_EREMOTE;
		break;
	}
	if (rc == CURLE_USE_SSL_FAILED)
		return ps_error_set(code,
				    "SMTP server %s does not offer STARTTLS "
				    "and report.starttls is on (turn it off "
				    "only for a server on a trusted network)",
				    url);
	if (reply >= 400)
		return ps_error_set(code, "SMTP server %s: %s (reply %ld)", url,
				    errbuf[0] ? errbuf : curl_easy_strerror(rc),
				    reply);
	return ps_error_set(code, "SMTP server %s: %s", url,
			    errbuf[0] ? errbuf : curl_easy_strerror(rc));
}

/* The RCPT list: one "<addr>" per comma-separated recipient. */
static int
recipients_list(struct curl_slist **out, const char *recipients)
{
	struct curl_slist *l = NULL, *grown;
	const char *p = recipients, *comma;
	char addr[320];
	size_t n;

	*out = NULL;
	while (p != NULL && *p != '\0') {
		comma = strchr(p, ',');
		n = comma ? (size_t)(comma - p) : strlen(p);
		if (n == 0 || n + 3 > sizeof(addr)) {
			curl_slist_free_all(l);
			return ps_error_set(PS_ESETTING,
					    "setting '%s': bad address list",
					    PS_SET_REPORT_RECIPIENTS);
		}
		snprintf(addr, sizeof(addr), "<%.*s>", (int)n, p);
		if ((grown = curl_slist_append(l, addr)) == NULL) {
			curl_slist_free_all(l);
			return ps_error_set(PS_ENOMEM, "out of memory");
		}
		l = grown;
		p = comma ? comma + 1 : NULL;
	}
	if (l == NULL)
		return ps_error_set(PS_ESETTING, "setting '%s' has no address",
				    PS_SET_REPORT_RECIPIENTS);
	*out = l;
	return 0;
}

int
ps_report_send(const ps_report_smtp *s, const char *message)
{
	char errbuf[CURL_ERROR_SIZE] = "", from[330];
	struct curl_slist *rcpt = NULL;
	conversation cv = {0};
	upload up;
	CURL *c = NULL;
	CURLcode rc;
	int error;

	if (s == NULL || message == NULL || s->url == NULL || s->from == NULL)
		return ps_error_set(PS_EINVAL, "ps_report_send: NULL");
	if ((error = recipients_list(&rcpt, s->recipients)) < 0)
		return error;
	if ((c = curl_easy_init()) == NULL) {
		error = ps_error_set(PS_ENOMEM, "cannot start libcurl");
		goto done;
	}
	up.p = message;
	up.left = strlen(message);
	snprintf(from, sizeof(from), "<%s>", s->from);
	curl_easy_setopt(c, CURLOPT_URL, s->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, s->connect_timeout_ms);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, s->timeout_ms);
	curl_easy_setopt(c, CURLOPT_USE_SSL,
			 s->starttls ? (long)CURLUSESSL_ALL
				     : (long)CURLUSESSL_NONE);
	if (s->ca_file != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, s->ca_file);
	if (s->user != NULL) {
		curl_easy_setopt(c, CURLOPT_USERNAME, s->user);
		curl_easy_setopt(c, CURLOPT_PASSWORD,
				 s->password != NULL ? s->password : "");
	}
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(c, CURLOPT_READDATA, &up);
	if (ps_log_get_level() >= PS_LOG_DEBUG) {
		curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, debug_cb);
		curl_easy_setopt(c, CURLOPT_DEBUGDATA, &cv);
		curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
	}
	if ((rc = curl_easy_perform(c)) != CURLE_OK)
		error = map_error(c, rc, s->url, errbuf);
done:
	curl_easy_cleanup(c);
	curl_slist_free_all(rcpt);
	return error;
}

/* ------------------------------------------------------------------------ */
/* Running and scheduling                                                    */

int
ps_report_last_sent(int64_t *out, ps_store *st)
{
	char *v = NULL, *end;
	long long t;
	int error;

	if (out == NULL)
		return ps_error_set(PS_EINVAL, "ps_report_last_sent: NULL");
	*out = 0;
	error = ps_store_cursor_get(&v, NULL, st, PS_REPORT_CURSOR);
	if (error == PS_ENOTFOUND) {
		ps_error_clear();
		return 0;
	}
	if (error < 0)
		return error;
	t = strtoll(v, &end, 10);
	if (end != v && *end == '\0' && t > 0)
		*out = (int64_t)t;
	free(v);
	return 0;
}

static int
record_sent(ps_store *st, int64_t now)
{
	char v[32];

	snprintf(v, sizeof(v), "%lld", (long long)now);
	return ps_store_cursor_set(st, PS_REPORT_CURSOR, v, now);
}

int
ps_report_run(char **out_message, ps_store *st, const char *ca_file,
	      int64_t since, int64_t now, int send)
{
	ps_report_options o = PS_REPORT_OPTIONS_INIT;
	ps_report_smtp smtp;
	char *message = NULL, *from = NULL, *to = NULL, *site = NULL;
	int64_t last = 0;
	int error;

	memset(&smtp, 0, sizeof(smtp));
	if (out_message)
		*out_message = NULL;
	if (st == NULL)
		return ps_error_set(PS_EINVAL, "ps_report_run: NULL");
	if (since <= 0) {
		if ((error = ps_report_last_sent(&last, st)) < 0)
			return error;
		since = last > 0 && last < now ? last : now - PS_REPORT_DAY_MS;
	}
	o.since = since;
	o.now = now;
	site = ps_settings_value(st, PS_SET_BP_ACCOUNT);
	o.site = site;
	if (send) {
		if ((error = ps_report_smtp_load(&smtp, st, ca_file)) < 0)
			goto done;
		o.from = smtp.from;
		o.recipients = smtp.recipients;
	} else {
		o.from = from = ps_settings_value(st, PS_SET_REPORT_FROM);
		o.recipients = to =
			ps_settings_value(st, PS_SET_REPORT_RECIPIENTS);
	}
	if ((error = ps_report_build(&message, NULL, NULL, st, &o)) < 0)
		goto done;
	if (send) {
		if ((error = ps_report_send(&smtp, message)) < 0)
			goto done;
		if ((error = record_sent(st, now)) < 0) {
			ps_util__error_wrap(error, "the report was sent but "
						   "its time not recorded");
			goto done;
		}
	}
	if (out_message) {
		*out_message = message;
		message = NULL;
	}
done:
	ps_report_smtp_dispose(&smtp);
	free(message);
	free(from);
	free(to);
	free(site);
	return error;
}

int64_t
ps_report_slot(int64_t now, int hour)
{
	time_t t = (time_t)(now / 1000), s;
	struct tm tm;
	int back;

	for (back = 0; back <= 2; back++) {
		localtime_r(&t, &tm);
		tm.tm_mday -= back;
		tm.tm_hour = hour;
		tm.tm_min = 0;
		tm.tm_sec = 0;
		tm.tm_isdst = -1;
		s = mktime(&tm);
		if (s != (time_t)-1 && (int64_t)s * 1000 <= now)
			return (int64_t)s * 1000;
	}
	return now - PS_REPORT_DAY_MS; /* mktime failed: a day ago */
}

/* The wait after the n-th failure in a row (n >= 1). */
static int64_t
retry_delay(int n)
{
	int64_t d = PS_REPORT_RETRY_BASE_MS;

	while (--n > 0 && d < PS_REPORT_RETRY_CAP_MS)
		d *= 2;
	return d < PS_REPORT_RETRY_CAP_MS ? d : PS_REPORT_RETRY_CAP_MS;
}

int
ps_report_tick(ps_report_timer *t, ps_store *st, const char *ca_file,
	       int64_t now)
{
	int64_t hour = 0, last = 0, delay;
	int enabled = 0, error;

	if (t == NULL || st == NULL)
		return ps_error_set(PS_EINVAL, "ps_report_tick: NULL");
	if (ps_settings_get_bool(&enabled, st, PS_SET_REPORT_ENABLED) < 0 ||
	    !enabled) {
		ps_error_clear();
		t->failures = 0;
		t->next_try = 0;
		return 0;
	}
	if (now < t->next_try)
		return 0;
	if ((error = ps_settings_get_int(&hour, st, PS_SET_REPORT_HOUR)) < 0 ||
	    (error = ps_report_last_sent(&last, st)) < 0)
		return error;
	if (last == 0) {
		/*
		 * Never sent: the first report goes out at the next slot and
		 * covers the time since now, rather than one at once and
		 * another at the hour.
		 */
		ps_log_info(MOD,
			    "daily report on: the first goes out at %02d:00",
			    (int)hour);
		return record_sent(st, now);
	}
	if (last >= ps_report_slot(now, (int)hour))
		return 0;
	if ((error = ps_report_run(NULL, st, ca_file, 0, now, 1)) < 0) {
		t->failures++;
		delay = retry_delay(t->failures);
		t->next_try = now + delay;
		ps_log_warn(MOD,
			    "daily report not sent: %s; next attempt in %lld "
			    "min",
			    ps_error_last(), (long long)(delay / 60000));
		return error;
	}
	t->failures = 0;
	t->next_try = 0;
	ps_log_info(MOD, "daily report sent");
	return 1;
}
