/*
 * work.c - jobs on a thread of their own (work.h).
 *
 * The thread is detached: whichever of the job's thread (done) and the
 * console (abandon or free) comes second frees the job, under its lock.
 */
#include "work.h"
#include "tui.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pearlsync/connect.h"
#include "pearlsync/common.h"

struct ps_tui_job {
	pthread_mutex_t lock;
	ps_config cfg;
	ps_http_options http_opts;
	ps_tui_job_fn fn;
	void *arg;
	void (*free_arg)(void *);
	volatile sig_atomic_t cancel; /* the HTTP client's waits stop */
	int done, abandoned, code;
	char what[160];
	char msg[PS_ERROR_MAX + 256];
};

static void
ps_tui_job__free(ps_tui_job *j)
{
	if (j == NULL)
		return;
	pthread_mutex_destroy(&j->lock);
	if (j->free_arg != NULL)
		j->free_arg(j->arg);
	free(j);
}

static void *
ps_tui_job__main(void *arg)
{
	ps_tui_job *j = arg;
	char msg[sizeof(j->msg)];
	ps_store *st = NULL;
	ps_http *http = NULL;
	int code, drop;

	msg[0] = '\0';
	j->http_opts.cancel = &j->cancel;
	if ((code = ps_store_open(&st, j->cfg.db_path,
				  PS_STORE_OPEN_NO_CREATE)) < 0 ||
	    (code = ps_connect_http(&http, &j->cfg, &j->http_opts)) < 0)
		snprintf(msg, sizeof(msg), "%s", ps_error_last());
	else
		code = j->fn(j, j->arg, st, &j->cfg, http, msg, sizeof(msg));
	ps_http_free(http);
	ps_store_close(st);
	pthread_mutex_lock(&j->lock);
	j->code = code;
	snprintf(j->msg, sizeof(j->msg), "%s", msg);
	j->done = 1;
	drop = j->abandoned;
	pthread_mutex_unlock(&j->lock);
	if (drop)
		ps_tui_job__free(j);
	return NULL;
}

int
ps_tui_job_start(ps_tui_job **out, const ps_config *cfg,
		 const ps_http_options *http_opts, const char *what,
		 ps_tui_job_fn fn, void *arg, void (*free_arg)(void *))
{
	ps_tui_job *j;
	pthread_attr_t attr;
	pthread_t t;
	int rc;

	*out = NULL;
	if (cfg == NULL || cfg->db_path[0] == '\0' || fn == NULL) {
		if (free_arg != NULL)
			free_arg(arg);
		return ps_error_set(PS_EINVAL, "no database to work on");
	}
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		if (free_arg != NULL)
			free_arg(arg);
		return ps_error_set(PS_ENOMEM, "out of memory");
	}
	pthread_mutex_init(&j->lock, NULL);
	j->cfg = *cfg;
	j->http_opts = http_opts != NULL
			       ? *http_opts
			       : (ps_http_options)PS_HTTP_OPTIONS_INIT;
	j->fn = fn;
	j->arg = arg;
	j->free_arg = free_arg;
	snprintf(j->what, sizeof(j->what), "%s", what != NULL ? what : "");
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&t, &attr, ps_tui_job__main, j);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		ps_tui_job__free(j);
		return ps_error_set(PS_ENOMEM, "cannot start a thread: %s",
				    strerror(rc));
	}
	*out = j;
	return 0;
}

const char *
ps_tui_job_what(const ps_tui_job *j)
{
	return j != NULL ? j->what : "";
}

int
ps_tui_job_poll(ps_tui_job *j, int *out_code, char *msg, size_t cap)
{
	int done;

	pthread_mutex_lock(&j->lock);
	done = j->done;
	if (done) {
		*out_code = j->code;
		snprintf(msg, cap, "%s", j->msg);
	}
	pthread_mutex_unlock(&j->lock);
	return done;
}

void *
ps_tui_job_arg(ps_tui_job *j)
{
	return j != NULL ? j->arg : NULL;
}

int
ps_tui_job_commit(ps_tui_job *j, int code, int (*commit)(void *arg))
{
	pthread_mutex_lock(&j->lock);
	if (!j->abandoned)
		code = commit(j->arg);
	pthread_mutex_unlock(&j->lock);
	return code;
}

void
ps_tui_job_abandon(ps_tui_job *j)
{
	int done;

	if (j == NULL)
		return;
	pthread_mutex_lock(&j->lock);
	j->abandoned = 1;
	j->cancel = 1;
	done = j->done;
	pthread_mutex_unlock(&j->lock);
	if (done)
		ps_tui_job__free(j);
}

void
ps_tui_job_free(ps_tui_job *j)
{
	ps_tui_job_abandon(j);
}

void
ps_tui_job_draw(struct ps_tui *tui, int row, const ps_tui_job *j)
{
	if (j == NULL)
		return;
	ps_tui_fill(tui, row, PS_TUI_NORMAL);
	ps_tui_textf(tui, row, 1, 0, PS_TUI_WARN, "Working... %s (Esc cancels)",
		     j->what);
}
