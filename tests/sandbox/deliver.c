/*
 * deliver.c - the outbound webhook sender of pearlsync-sandbox.
 *
 * One thread walks the delivery list (filled by sb_deliver() under the
 * lock), makes each due attempt with a minimal HTTP/1.1 client over a plain
 * socket (receivers are test listeners on loopback, so http:// only), lets
 * the platform classify the reply and schedules the next retry.  The lock
 * is released while talking to a receiver.
 */
#include "sandbox.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* Timeout of one attempt (connect + send + status line), milliseconds. */
#define ATTEMPT_TIMEOUT_MS 5000

/* Split "http://host[:port]/path"; 0 on success. */
static int
split_url(const char *url, char *host, size_t hl, char *port, size_t pl,
	  const char **path)
{
	const char *p, *h, *slash, *colon;
	size_t n;

	if (strncmp(url, "http://", 7) != 0)
		return -1;
	h = url + 7;
	slash = strchr(h, '/');
	*path = slash ? slash : "/";
	if (!slash)
		slash = h + strlen(h);
	colon = memchr(h, ':', (size_t)(slash - h));
	p = colon ? colon : slash;
	n = (size_t)(p - h);
	if (n == 0 || n >= hl)
		return -1;
	memcpy(host, h, n);
	host[n] = '\0';
	if (colon) {
		n = (size_t)(slash - colon - 1);
		if (n == 0 || n >= pl)
			return -1;
		memcpy(port, colon + 1, n);
		port[n] = '\0';
	} else {
		snprintf(port, pl, "80");
	}
	return 0;
}

static int
wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd pfd;
	int64_t left = deadline - sb_now_ms();
	int rc;

	if (left <= 0)
		return -1;
	pfd.fd = fd;
	pfd.events = events;
	do {
		rc = poll(&pfd, 1, (int)left);
	} while (rc < 0 && errno == EINTR);
	return rc == 1 ? 0 : -1;
}

/*
 * One attempt; returns the HTTP status or 0 when there was no reply
 * (refused, reset, timeout).  Called without the lock; d's strings do not
 * change while the delivery is pending.
 */
static int
attempt(const char *method, const char *url, const char *ctype,
	const char *body, const sb_pair *headers, size_t nheaders,
	int64_t timeout_ms)
{
	struct addrinfo hints, *ai = NULL;
	char host[256], port[16], head[4096], reply[512];
	const char *path;
	int64_t deadline = sb_now_ms() +
			   (timeout_ms > 0 ? timeout_ms : ATTEMPT_TIMEOUT_MS);
	size_t blen = body ? strlen(body) : 0, off, got = 0, i;
	int fd = -1, status = 0, n;
	ssize_t w;

	if (split_url(url, host, sizeof(host), port, sizeof(port), &path))
		return 0;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, port, &hints, &ai) != 0 || !ai)
		return 0;
	fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
	if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) != 0)
		goto done;
	n = snprintf(head, sizeof(head),
		     "%s %s HTTP/1.1\r\nHost: %s:%s\r\n"
		     "User-Agent: pearlsync-sandbox\r\nConnection: close\r\n"
		     "Content-Length: %zu\r\n",
		     method, path, host, port, blen);
	if (ctype && n > 0 && (size_t)n < sizeof(head))
		n += snprintf(head + n, sizeof(head) - (size_t)n,
			      "Content-Type: %s\r\n", ctype);
	for (i = 0; i < nheaders && n > 0 && (size_t)n < sizeof(head); i++)
		n += snprintf(head + n, sizeof(head) - (size_t)n, "%s: %s\r\n",
			      headers[i].name, headers[i].value);
	if (n <= 0 || (size_t)n + 2 >= sizeof(head))
		goto done;
	n += snprintf(head + n, sizeof(head) - (size_t)n, "\r\n");
	for (off = 0; off < (size_t)n; off += (size_t)w) {
		if (wait_fd(fd, POLLOUT, deadline))
			goto done;
		w = send(fd, head + off, (size_t)n - off, MSG_NOSIGNAL);
		if (w <= 0)
			goto done;
	}
	for (off = 0; off < blen; off += (size_t)w) {
		if (wait_fd(fd, POLLOUT, deadline))
			goto done;
		w = send(fd, body + off, blen - off, MSG_NOSIGNAL);
		if (w <= 0)
			goto done;
	}
	while (got + 1 < sizeof(reply) && !memchr(reply, '\n', got)) {
		if (wait_fd(fd, POLLIN, deadline))
			goto done;
		w = recv(fd, reply + got, sizeof(reply) - 1 - got, 0);
		if (w <= 0)
			break;
		got += (size_t)w;
	}
	reply[got] = '\0';
	if (strncmp(reply, "HTTP/1.", 7) == 0 && got > 12) {
		long v = strtol(reply + 9, NULL, 10);

		if (v >= 100 && v <= 599)
			status = (int)v;
	}
done:
	if (fd >= 0)
		close(fd);
	freeaddrinfo(ai);
	return status;
}

/* The earliest pending delivery due at or before now, or the wait. */
static sb_delivery *
next_due(sb_sandbox *sb, int64_t now, int64_t *wait_ms)
{
	sb_delivery *d, *best = NULL;

	*wait_ms = 1000;
	for (d = sb->deliveries; d; d = d->next) {
		if (d->done)
			continue;
		if (d->next_at_ms <= now) {
			/* oldest first: the list is newest first */
			best = d;
			continue;
		}
		if (d->next_at_ms - now < *wait_ms)
			*wait_ms = d->next_at_ms - now;
	}
	return best;
}

static void *
deliver_main(void *arg)
{
	sb_sandbox *sb = arg;

	sb_lock(sb);
	while (!sb->stopping) {
		int64_t wait_ms, now = sb_now_ms();
		sb_delivery *d = next_due(sb, now, &wait_ms);
		char *method, *url, *ctype, *body;
		sb_pair hdrs[16];
		size_t nh, i;
		int status, verdict, last;

		if (!d) {
			struct timespec ts;

			sb_deadline(&ts, wait_ms);
			pthread_cond_timedwait(&sb->wake, &sb->lock, &ts);
			continue;
		}
		/* Copy what the attempt needs: a reset may free d meanwhile. */
		method = strdup(d->method);
		url = strdup(d->url);
		ctype = d->ctype ? strdup(d->ctype) : NULL;
		body = d->body ? strdup(d->body) : NULL;
		nh = d->nheaders;
		for (i = 0; i < nh; i++) {
			hdrs[i].name = strdup(d->headers[i].name);
			hdrs[i].value = strdup(d->headers[i].value);
		}
		d->attempts++;
		d->next_at_ms = INT64_MAX; /* in flight */
		{
			uint64_t id = d->id;
			int64_t timeout_ms = d->pf->hook_timeout_ms;

			sb_unlock(sb);
			status = attempt(method, url, ctype, body, hdrs, nh,
					 timeout_ms);
			sb_lock(sb);
			for (d = sb->deliveries; d && d->id != id; d = d->next)
				;
		}
		free(method);
		free(url);
		free(ctype);
		free(body);
		for (i = 0; i < nh; i++) {
			free(hdrs[i].name);
			free(hdrs[i].value);
		}
		if (!d)
			continue; /* reset while in flight */
		d->last_status = status;
		last = (size_t)d->attempts > d->nschedule;
		if (d->pf->ops->on_delivery)
			verdict =
				d->pf->ops->on_delivery(d->pf, d, status, last);
		else
			verdict = status >= 200 && status < 300 ? 1 : 0;
		if (verdict == 1) {
			d->done = 1;
		} else if (verdict < 0 || last) {
			d->done = -1;
		} else {
			double scale = d->pf->hook_time_scale;
			int64_t delay = d->schedule_ms[d->attempts - 1];

			if (scale > 1)
				delay = (int64_t)((double)delay / scale);
			d->next_at_ms = sb_now_ms() + delay;
		}
	}
	sb_unlock(sb);
	return NULL;
}

int
sb_deliver_start(sb_sandbox *sb)
{
	if (pthread_create(&sb->deliver_thread, NULL, deliver_main, sb) != 0)
		return -1;
	sb->deliver_started = 1;
	return 0;
}

void
sb_deliver_stop(sb_sandbox *sb)
{
	sb_lock(sb);
	sb->stopping = 1;
	pthread_cond_broadcast(&sb->wake);
	sb_unlock(sb);
	if (sb->deliver_started)
		pthread_join(sb->deliver_thread, NULL);
	sb->deliver_started = 0;
}

json_t *
sb_deliveries_json(sb_sandbox *sb, const char *platform)
{
	json_t *out = json_array();
	sb_delivery *d;

	/* oldest first */
	for (d = sb->deliveries; d; d = d->next) {
		json_t *o;

		if (platform && strcmp(platform, d->pf->ops->name) != 0)
			continue;
		o = json_pack("{s:I,s:s,s:s,s:s,s:s?,s:s?,s:i,s:i,s:s,s:I}",
			      "id", (json_int_t)d->id, "platform",
			      d->pf->ops->name, "method", d->method, "url",
			      d->url, "event", d->event, "body", d->body,
			      "attempts", d->attempts, "last_status",
			      d->last_status, "state",
			      d->done > 0   ? "delivered"
			      : d->done < 0 ? "failed"
					    : "pending",
			      "hook_id", (json_int_t)d->hook_id);
		json_array_insert_new(out, 0, o);
	}
	return out;
}
