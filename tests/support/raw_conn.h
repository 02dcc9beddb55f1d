/*
 * raw_conn.h - plain TCP clients for tests that must misbehave as no HTTP
 * library will: open a connection and say nothing, send half a request,
 * announce a body and never send it.  Used against the webhook listener.
 */
#ifndef PEARLSYNC_TEST_RAW_CONN_H
#define PEARLSYNC_TEST_RAW_CONN_H

#include <stddef.h>

/*
 * raw_conn_open - a TCP connection to 127.0.0.1:port from the loopback
 * address src ("127.0.0.2": Linux answers the whole of 127/8), connected
 * and blocking.  The descriptor, or -1 (reason on stderr).
 */
int raw_conn_open(const char *src, int port);

/* raw_conn_send - send all of text; 0, or -1 when the peer is gone. */
int raw_conn_send(int fd, const char *text, size_t len);

/*
 * raw_conn_wait - wait up to timeout_ms for the peer to answer or close:
 * what arrived (at most cap-1 bytes, NUL-terminated) into buf.  The byte
 * count (0: closed without a word), or -1 when nothing happened in time.
 */
long raw_conn_wait(int fd, char *buf, size_t cap, int timeout_ms);

/* raw_conn_status - the status code of an HTTP reply in buf, or 0. */
int raw_conn_status(const char *buf);

#endif
