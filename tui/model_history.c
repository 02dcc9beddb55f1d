/*
 * model_history.c - builds the settings history lines (model_history.h).
 *
 * The store hands rows newest first, each with its change-set version;
 * a heading is emitted whenever the version changes.  Values go through
 * ps_settings_display, so a secret shows as ******** in the diff.
 */
#include "model_history.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pearlsync/settings.h"
#include "tui.h"

void
ps_history_init(ps_history *h)
{
	memset(h, 0, sizeof(*h));
}

static void
clear_lines(ps_history *h)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		free(h->lines[i].text);
	h->n = 0;
	h->latest = 0;
	h->versions = 0;
}

void
ps_history_dispose(ps_history *h)
{
	if (h == NULL)
		return;
	clear_lines(h);
	free(h->lines);
	memset(h, 0, sizeof(*h));
}

static int
add(ps_history *h, int64_t version, int heading, const char *text)
{
	ps_history_line *grown;
	size_t cap;

	if (h->n == h->cap) {
		cap = h->cap ? h->cap * 2 : 64;
		if ((grown = realloc(h->lines, cap * sizeof(*grown))) == NULL)
			return ps_error_set(PS_ENOMEM, "out of memory");
		h->lines = grown;
		h->cap = cap;
	}
	if ((h->lines[h->n].text = strdup(text)) == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	h->lines[h->n].version = version;
	h->lines[h->n].heading = heading;
	h->n++;
	return 0;
}

/* A value for the diff: "(unset)", masked, or quoted when blank-edged. */
static const char *
shown(char *buf, size_t cap, const char *key, const char *value)
{
	size_t n;

	if (value == NULL)
		return "(unset)";
	if (strncmp(key, "mapping:", 8) == 0)
		snprintf(buf, cap, "%s", value);
	else
		ps_settings_display(buf, cap, key, value);
	n = strlen(buf);
	if ((n == 0 || buf[0] == ' ' || buf[n - 1] == ' ') && n + 3 <= cap) {
		memmove(buf + 1, buf, n);
		buf[0] = '"';
		buf[n + 1] = '"';
		buf[n + 2] = '\0';
	}
	return buf;
}

static int
on_change(const ps_setting_change *c, void *payload)
{
	ps_history *h = payload;
	char line[800], when[32], a[256], b[256];
	int error;

	if (h->n == 0 || h->lines[h->n - 1].version != c->version) {
		if (h->latest == 0)
			h->latest = c->version;
		h->versions++;
		snprintf(line, sizeof(line), "version %lld  %s  by %s",
			 (long long)c->version,
			 ps_tui_format_time(when, sizeof(when), c->at),
			 c->actor != NULL ? c->actor : "?");
		if ((error = add(h, c->version, 1, line)) < 0)
			return error;
	}
	snprintf(line, sizeof(line), "%s: %s -> %s", c->key,
		 shown(a, sizeof(a), c->key, c->old_value),
		 shown(b, sizeof(b), c->key, c->new_value));
	return add(h, c->version, 0, line);
}

int
ps_history_load(ps_history *h, ps_store *st)
{
	int error;

	clear_lines(h);
	error = ps_store_setting_history_foreach(st, NULL, on_change, h);
	if (error != 0) {
		clear_lines(h);
		return error < 0 ? error : PS_ERROR;
	}
	return 0;
}

int
ps_history_rollback(int64_t *out_version, ps_history *h, ps_store *st,
		    int64_t version, int64_t now)
{
	int error;

	*out_version = 0;
	error = ps_store_settings_rollback(out_version, st, version,
					   PS_TUI_ACTOR, now);
	if (error < 0)
		return error;
	return ps_history_load(h, st);
}
