/*
 * fuzz_listener.c - the webhook request path: the worker's listener
 * (libmicrohttpd, routing, method and size limits, each platform's
 * secret or HMAC check, body decoding, storing the event), started once
 * on loopback with its own store and fed one request per input over a
 * fresh connection.
 *
 * Input: the request in the bad-input suite's format (tests/data/bad/
 * README.md): "METHOD PATH", header lines, an empty line, the body.
 * Host, Connection: close and a Content-Length (unless one is given) are
 * added; {{hmac}} in a header becomes ShipHero's signature of the body,
 * so mutations reach the decoders behind the signature check.  The store
 * has webhooks.secret FUZZ_HOOK_SECRET and shiphero.webhook_secret
 * FUZZ_SH_SECRET.  Connections end with a reset so that millions of them
 * leave no TIME_WAIT behind.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fuzz.h"
#include "internal.h"
#include "pearlsync/store.h"
#include "worker/worker_int.h"

#define FUZZ_HOOK_SECRET "bad-input-hook-secret-0001"
#define FUZZ_SH_SECRET "bad-input-shiphero-secret-0002"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static ps_listener *listener;
static int port;
/* on tmpfs when there is one: each stored event is a synced commit */
static char dir[64];

/* At exit: stop the listener and remove its scratch store. */
static void
stop(void)
{
	char path[160];

	ps_worker__listener_stop(listener);
	listener = NULL;
	snprintf(path, sizeof(path), "%s/pearlsync.db", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/pearlsync.db-wal", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/pearlsync.db-shm", dir);
	unlink(path);
	rmdir(dir);
}

static void
start(void)
{
	char path[128];
	int64_t now = (int64_t)time(NULL) * 1000;
	ps_store *st = NULL;
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/ps-fuzz-listener-XXXXXX",
		 access("/dev/shm", W_OK) == 0 ? "/dev/shm"
		 : tmp != NULL                 ? tmp
					       : P_tmpdir);
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof(path), "%s/pearlsync.db", dir);
	if (ps_store_open(&st, path, 0) < 0 ||
	    ps_store_setting_set(NULL, st, "webhooks.secret", FUZZ_HOOK_SECRET,
				 "fuzz", now) < 0 ||
	    ps_store_setting_set(NULL, st, "shiphero.webhook_secret",
				 FUZZ_SH_SECRET, "fuzz", now) < 0)
		abort();
	ps_store_close(st);
	if (ps_worker__listener_start(&listener, path, "127.0.0.1", 0,
				      ps_clock_system()) < 0)
		abort();
	port = ps_worker__listener_port(listener);
	atexit(stop);
}

/* The request on the wire, as the bad-input suite builds it. */
static char *
build(size_t *out_len, const char *in, size_t in_len)
{
	const char *hdr_end = memmem(in, in_len, "\n\n", 2);
	const char *body = hdr_end != NULL ? hdr_end + 2 : in + in_len;
	size_t body_len = (size_t)(in + in_len - body), cap, n = 0, len;
	const char *eol, *p, *e, *ph;
	const void *parts[1] = {body};
	size_t lens[1] = {body_len};
	unsigned char mac[32];
	char sig[64], *out;
	int has_cl = 0;

	ps_crypto__hmac_sha256(mac, FUZZ_SH_SECRET, strlen(FUZZ_SH_SECRET),
			       parts, lens, 1);
	ps_crypto__base64_encode(sig, sizeof(sig), mac, sizeof(mac));
	cap = in_len * 2 + 512;
	if ((out = malloc(cap)) == NULL)
		abort();
	eol = memchr(in, '\n', (size_t)(body - in));
	if (eol == NULL)
		eol = hdr_end != NULL ? hdr_end : in + in_len;
	n += (size_t)snprintf(out + n, cap - n, "%.*s HTTP/1.1\r\n",
			      (int)(eol - in), in);
	n += (size_t)snprintf(out + n, cap - n,
			      "Host: 127.0.0.1\r\nConnection: close\r\n");
	for (p = eol + 1; hdr_end != NULL && p < hdr_end + 1; p = e + 1) {
		e = memchr(p, '\n', (size_t)(hdr_end + 1 - p));
		if (e == NULL)
			e = hdr_end + 1;
		len = (size_t)(e - p);
		if (len >= 15 && strncasecmp(p, "content-length:", 15) == 0)
			has_cl = 1;
		ph = memmem(p, len, "{{hmac}}", 8);
		if (ph != NULL)
			n += (size_t)snprintf(out + n, cap - n,
					      "%.*s%s%.*s\r\n", (int)(ph - p),
					      p, sig, (int)(e - ph - 8),
					      ph + 8);
		else
			n += (size_t)snprintf(out + n, cap - n, "%.*s\r\n",
					      (int)len, p);
	}
	if (!has_cl)
		n += (size_t)snprintf(out + n, cap - n,
				      "Content-Length: %zu\r\n", body_len);
	n += (size_t)snprintf(out + n, cap - n, "\r\n");
	memcpy(out + n, body, body_len);
	*out_len = n + body_len;
	return out;
}

static void
exchange(const char *req, size_t len)
{
	struct sockaddr_in a;
	struct linger lg = {1, 0};
	struct pollfd pf;
	char buf[4096];
	size_t off = 0, got = 0;
	char *end, *cl;
	ssize_t k;
	int fd, tries, one = 1;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	/*
	 * A refused connection (the listener's limits, a full backlog) is
	 * the listener's answer too: try a few times, then move on.
	 */
	for (tries = 0;; tries++) {
		if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
			abort();
		if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0)
			break;
		close(fd);
		if (tries == 20)
			return;
		usleep(10000);
	}
	while (off < len) {
		k = send(fd, req + off, len - off, MSG_NOSIGNAL);
		if (k <= 0)
			break;
		off += (size_t)k;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
	shutdown(fd, SHUT_WR);
	/* the answer, or the listener closing; bounded for a silent one */
	pf.fd = fd;
	pf.events = POLLIN;
	while (got < sizeof(buf) - 1 && poll(&pf, 1, 8000) > 0 &&
	       (k = recv(fd, buf + got, sizeof(buf) - 1 - got, 0)) > 0) {
		got += (size_t)k;
		buf[got] = '\0';
		/* ack at once: the listener's Nagle waits for it otherwise */
		setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
		/* a whole answer: no need to wait for the listener's close */
		if ((end = strstr(buf, "\r\n\r\n")) != NULL &&
		    (cl = strcasestr(buf, "\r\nContent-Length:")) != NULL &&
		    cl < end &&
		    got >= (size_t)(end + 4 - buf) + strtoul(cl + 17, NULL, 10))
			break;
	}
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *req;
	size_t len;

	fuzz_quiet();
	if (listener == NULL)
		start();
	req = build(&len, (const char *)data, size);
	exchange(req, len);
	free(req);
	return 0;
}
