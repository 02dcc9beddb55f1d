/*
 * sandbox_proc.c - start, address and stop pearlsync-sandbox from tests,
 * and a small libcurl helper to talk to it.
 */
#include "sandbox_proc.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Parse one stdout line of the sandbox into sp. */
static void
take_line(sandbox_proc *sp, const char *line)
{
	const char *sp1 = strchr(line, ' ');
	size_t n;

	if (!sp1)
		return;
	n = (size_t)(sp1 - line);
	if (n == 7 && strncmp(line, "control", 7) == 0) {
		const char *tail = strstr(sp1 + 1, "/_sandbox");

		snprintf(sp->control, sizeof(sp->control), "%s", sp1 + 1);
		if (tail)
			snprintf(sp->base, sizeof(sp->base), "%.*s",
				 (int)(tail - sp1 - 1), sp1 + 1);
		return;
	}
	if (sp->nplatforms < SANDBOX_PROC_MAX_PLATFORMS && n < 32) {
		snprintf(sp->platforms[sp->nplatforms].name,
			 sizeof(sp->platforms[0].name), "%.*s", (int)n, line);
		snprintf(sp->platforms[sp->nplatforms].url,
			 sizeof(sp->platforms[0].url), "%s", sp1 + 1);
		sp->nplatforms++;
	}
}

static int
reap(pid_t pid, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	int status;
	pid_t r;

	for (;;) {
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR)
			return -1;
		if (now_ms() > deadline) {
			kill(pid, SIGKILL);
			if (waitpid(pid, &status, 0) != pid)
				return -1;
			break;
		}
		{
			struct timespec ts = {0, 10 * 1000000L};

			nanosleep(&ts, NULL);
		}
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -1;
}

int
sandbox_proc_start(sandbox_proc *sp, const char *const *args, int timeout_ms)
{
	const char *dir = getenv("PS_BIN_DIR");
	char bin[1024], buf[4096];
	const char *argv[64];
	size_t argc = 0, len = 0;
	int pipefd[2];
	long long deadline;
	pid_t pid, parent;

	memset(sp, 0, sizeof(*sp));
	sp->out_fd = -1;
	if (dir && *dir)
		snprintf(bin, sizeof(bin), "%s/pearlsync-sandbox", dir);
	else
		snprintf(bin, sizeof(bin), "pearlsync-sandbox");
	argv[argc++] = bin;
	argv[argc++] = "--listen";
	argv[argc++] = "127.0.0.1:0";
	while (args && *args && argc < 62)
		argv[argc++] = *args++;
	argv[argc] = NULL;
	if (pipe(pipefd) != 0)
		return -1;
	parent = getpid();
	pid = fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return -1;
	}
	if (pid == 0) {
		/* A test that fails an assertion skips its stop; the sandbox
		 * must still go with it, or it holds ctest's output pipe open
		 * until the test's timeout. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(127);
		dup2(pipefd[1], STDOUT_FILENO);
		close(pipefd[0]);
		close(pipefd[1]);
		execvp(bin, (char *const *)argv);
		fprintf(stderr, "sandbox_proc: cannot run %s: %s\n", bin,
			strerror(errno));
		_exit(127);
	}
	close(pipefd[1]);
	sp->pid = pid;
	sp->out_fd = pipefd[0];
	deadline = now_ms() + timeout_ms;
	for (;;) {
		struct pollfd pfd = {sp->out_fd, POLLIN, 0};
		long long left = deadline - now_ms();
		char *nl;
		ssize_t r;

		if (left <= 0) {
			fprintf(stderr,
				"sandbox_proc: no 'ready' within %d "
				"ms\n",
				timeout_ms);
			goto fail;
		}
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		r = read(sp->out_fd, buf + len, sizeof(buf) - 1 - len);
		if (r <= 0) {
			fprintf(stderr, "sandbox_proc: sandbox exited before "
					"'ready'\n");
			goto fail;
		}
		len += (size_t)r;
		buf[len] = '\0';
		while ((nl = strchr(buf, '\n')) != NULL) {
			*nl = '\0';
			if (strcmp(buf, "ready") == 0)
				return 0;
			take_line(sp, buf);
			len -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, len + 1);
		}
		if (len >= sizeof(buf) - 1)
			len = 0;
	}
fail:
	kill(pid, SIGKILL);
	reap(pid, 5000);
	close(sp->out_fd);
	memset(sp, 0, sizeof(*sp));
	sp->out_fd = -1;
	return -1;
}

int
sandbox_proc_signal_stop(sandbox_proc *sp, int sig)
{
	int rc;

	if (!sp || sp->pid <= 0)
		return -1;
	kill(sp->pid, sig);
	rc = reap(sp->pid, 10000);
	if (sp->out_fd >= 0)
		close(sp->out_fd);
	sp->out_fd = -1;
	sp->pid = 0;
	return rc;
}

int
sandbox_proc_stop(sandbox_proc *sp)
{
	return sandbox_proc_signal_stop(sp, SIGTERM);
}

const char *
sandbox_proc_url(const sandbox_proc *sp, const char *platform)
{
	size_t i;

	for (i = 0; i < sp->nplatforms; i++)
		if (strcmp(sp->platforms[i].name, platform) == 0)
			return sp->platforms[i].url;
	return NULL;
}

/* ---- HTTP --------------------------------------------------------------- */

typedef struct grow {
	char *p;
	size_t len;
} grow;

static size_t
on_data(char *ptr, size_t size, size_t nmemb, void *ud)
{
	grow *g = ud;
	size_t n = size * nmemb;
	char *q = realloc(g->p, g->len + n + 1);

	if (!q)
		return 0;
	g->p = q;
	memcpy(g->p + g->len, ptr, n);
	g->len += n;
	g->p[g->len] = '\0';
	return n;
}

long
sandbox_http(sandbox_reply *out, const char *method, const char *url,
	     const char *const *headers, const char *body, const char *ca_file)
{
	CURL *c = curl_easy_init();
	struct curl_slist *hl = NULL;
	grow b = {NULL, 0}, h = {NULL, 0};
	int has_ctype = 0;

	memset(out, 0, sizeof(*out));
	if (!c)
		return 0;
	for (; headers && *headers; headers++) {
		hl = curl_slist_append(hl, *headers);
		if (strncasecmp(*headers, "Content-Type:", 13) == 0)
			has_ctype = 1;
	}
	if (body && !has_ctype)
		hl = curl_slist_append(hl, "Content-Type: application/json");
	hl = curl_slist_append(hl, "Expect:");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &h);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 20000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, ca_file);
	out->curl_code = (int)curl_easy_perform(c);
	if (out->curl_code == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
	out->body = b.p ? b.p : calloc(1, 1);
	out->body_len = b.len;
	out->headers = h.p ? h.p : calloc(1, 1);
	curl_slist_free_all(hl);
	curl_easy_cleanup(c);
	return out->status;
}

const char *
sandbox_reply_header(const sandbox_reply *r, const char *name, char *buf,
		     size_t len)
{
	const char *p = r->headers;
	size_t n = strlen(name);

	while (p && *p) {
		const char *eol = strstr(p, "\r\n");
		size_t l = eol ? (size_t)(eol - p) : strlen(p);

		if (l > n && strncasecmp(p, name, n) == 0 && p[n] == ':') {
			const char *v = p + n + 1;

			while (*v == ' ')
				v++;
			snprintf(buf, len, "%.*s", (int)(l - (size_t)(v - p)),
				 v);
			return buf;
		}
		p = eol ? eol + 2 : p + l;
	}
	return NULL;
}

void
sandbox_reply_dispose(sandbox_reply *r)
{
	free(r->body);
	free(r->headers);
	memset(r, 0, sizeof(*r));
}
