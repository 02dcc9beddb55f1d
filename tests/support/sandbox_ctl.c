/*
 * sandbox_ctl.c - control-API calls and a free port for sandbox tests
 * (see sandbox_ctl.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka needs the four above first */
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sandbox_ctl.h"

json_t *
sandbox_ctl(const sandbox_proc *sp, const char *method, const char *path,
	    const char *body)
{
	sandbox_reply r;
	char url[512];
	json_t *j;
	int ok;

	snprintf(url, sizeof(url), "%s%s", sp->control, path);
	sandbox_http(&r, method, url, NULL, body, NULL);
	ok = r.status >= 200 && r.status <= 299;
	if (!ok)
		fprintf(stderr, "control %s %s -> %ld %s\n", method, path,
			r.status, r.body ? r.body : "");
	j = NULL;
	if (ok)
		j = r.body_len ? json_loadb(r.body, r.body_len, 0, NULL)
			       : json_object();
	sandbox_reply_dispose(&r);
	assert_true(ok);
	assert_non_null(j);
	return j;
}

void
sandbox_ctl_ok(const sandbox_proc *sp, const char *method, const char *path,
	       const char *body)
{
	json_decref(sandbox_ctl(sp, method, path, body));
}

int
sandbox_free_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	assert_true(fd >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}
