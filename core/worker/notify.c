/*
 * notify.c - the systemd service manager's notification protocol
 * (sd_notify(3)), spoken directly: one datagram of "KEY=VALUE" lines to
 * the AF_UNIX socket named by $NOTIFY_SOCKET.  A path starting with '@'
 * is in the abstract namespace (the '@' stands for the leading NUL).
 * Without $NOTIFY_SOCKET (not started by systemd, or Type= is not
 * notify) every call does nothing, so the worker behaves the same in a
 * terminal, under cron or in tests.
 *
 * The watchdog: systemd sets $WATCHDOG_USEC (and $WATCHDOG_PID, the
 * process meant) when the unit has WatchdogSec=; the worker then sends
 * WATCHDOG=1 every half of it from its own loop, so a loop that stops
 * turning is killed and restarted (Restart=on-failure).
 *
 * vsock: addresses (systemd 254+, for virtual machines) are not spoken;
 * the worker runs as a unit on the host.
 */
#include "internal.h"
#include "worker_int.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int
ps_worker__notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa;
	socklen_t len;
	size_t n;
	ssize_t sent;
	int fd;

	if (path == NULL || path[0] == '\0' || state == NULL)
		return 0;
	n = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || n >= sizeof(sa.sun_path))
		return ps_error_set(PS_EINVAL,
				    "NOTIFY_SOCKET is not a unix socket path "
				    "or abstract name");
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, n);
	if (path[0] == '@')
		sa.sun_path[0] = '\0'; /* abstract: the length says where */
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n +
			  (path[0] == '/' ? 1 : 0));
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return ps_error_set(PS_EIO, "notify socket: %s",
				    strerror(errno));
	sent = sendto(fd, state, strlen(state), MSG_NOSIGNAL,
		      (struct sockaddr *)&sa, len);
	n = (size_t)errno;
	close(fd);
	if (sent < 0)
		return ps_error_set(PS_EIO, "notifying the service manager: %s",
				    strerror((int)n));
	return 0;
}

int64_t
ps_worker__watchdog_ms(void)
{
	const char *usec = getenv("WATCHDOG_USEC");
	const char *pid = getenv("WATCHDOG_PID");
	unsigned long long v;
	char *end;

	if (usec == NULL || usec[0] == '\0')
		return 0;
	if (pid != NULL && pid[0] != '\0') {
		errno = 0;
		v = strtoull(pid, &end, 10);
		if (errno != 0 || *end != '\0' ||
		    v != (unsigned long long)getpid())
			return 0; /* meant for another process */
	}
	errno = 0;
	v = strtoull(usec, &end, 10);
	if (errno != 0 || end == usec || *end != '\0' || v == 0)
		return 0;
	v /= 1000;
	return v > 0 ? (int64_t)v : 1;
}
