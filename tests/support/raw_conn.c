/*
 * raw_conn.c - plain TCP clients for misbehaving tests (raw_conn.h).
 */
#include "raw_conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int
raw_conn_open(const char *src, int port)
{
	struct sockaddr_in from, to;
	int fd;

	memset(&from, 0, sizeof(from));
	memset(&to, 0, sizeof(to));
	from.sin_family = AF_INET;
	to.sin_family = AF_INET;
	to.sin_port = htons((unsigned short)port);
	if (inet_pton(AF_INET, src, &from.sin_addr) != 1 ||
	    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr) != 1)
		return -1;
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		perror("raw_conn_open: socket");
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&from, sizeof(from)) < 0 ||
	    connect(fd, (struct sockaddr *)&to, sizeof(to)) < 0) {
		fprintf(stderr, "raw_conn_open: %s -> port %d: %s\n", src, port,
			strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int
raw_conn_send(int fd, const char *text, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = send(fd, text, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		text += n;
		len -= (size_t)n;
	}
	return 0;
}

long
raw_conn_wait(int fd, char *buf, size_t cap, int timeout_ms)
{
	struct pollfd p = {fd, POLLIN, 0};
	ssize_t n;
	int r;

	buf[0] = '\0';
	do {
		r = poll(&p, 1, timeout_ms);
	} while (r < 0 && errno == EINTR);
	if (r <= 0)
		return -1;
	n = recv(fd, buf, cap - 1, 0);
	if (n < 0) /* a reset: closed without a word */
		n = 0;
	buf[n] = '\0';
	return (long)n;
}

int
raw_conn_status(const char *buf)
{
	int code = 0;

	if (strncmp(buf, "HTTP/1.", 7) != 0 || strlen(buf) < 12)
		return 0;
	if (sscanf(buf + 9, "%3d", &code) != 1)
		return 0;
	return code;
}
