/*
 * registry.c - the platform plug-ins pearlsync is built with, and the
 * calls that go through all of them.
 *
 * Add a platform by defining its `const ps_platform_ops
 * ps_platform_<name>` under core/platforms/<name>/ and giving it a line
 * in `builtin` below.  Nothing outside core/platforms/<name>/,
 * core/flows/<name>/, tests/sandbox/<name>/ and the registries names a
 * platform (tests/unit/test_platform_registry.c checks it).
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pearlsync/log.h"
#include "pearlsync/platform.h"
#include "pearlsync/settings.h"

/* ---- registry lines ----------------------------------------------------- */
extern const ps_platform_ops ps_platform_brightpearl;
extern const ps_platform_ops ps_platform_bigcommerce;
extern const ps_platform_ops ps_platform_dsco;
extern const ps_platform_ops ps_platform_shiphero;

static const ps_platform_ops *const builtin[] = {
	&ps_platform_brightpearl,
	&ps_platform_bigcommerce,
	&ps_platform_dsco,
	&ps_platform_shiphero,
};
/* ---- end of registry lines ---------------------------------------------- */

/* The built-in ones, then the registered ones; NULL-terminated. */
static const ps_platform_ops *all[PS_PLATFORM_MAX + 1];
static size_t nall;

static void
fill_builtin(void)
{
	size_t i;

	if (nall > 0)
		return;
	for (i = 0; i < PS__ARRAY_LEN(builtin); i++)
		all[nall++] = builtin[i];
}

const ps_platform_ops *const *
ps_platforms_all(void)
{
	fill_builtin();
	return all;
}

const ps_platform_ops *
ps_platform_ops_of(ps_platform id)
{
	size_t i;

	fill_builtin();
	for (i = 0; i < nall; i++)
		if (all[i]->id == id)
			return all[i];
	return NULL;
}

const ps_platform_ops *
ps_platform_ops_named(const char *s)
{
	size_t i;

	fill_builtin();
	for (i = 0; s != NULL && i < nall; i++)
		if (strcmp(all[i]->name, s) == 0 ||
		    strcmp(all[i]->code, s) == 0)
			return all[i];
	return NULL;
}

int
ps_platform_register(const ps_platform_ops *ops)
{
	size_t i;

	fill_builtin();
	if (ops == NULL || (unsigned)ops->id >= PS_PLATFORM_MAX ||
	    ops->name == NULL || ops->code == NULL || ops->title == NULL)
		return ps_error_set(PS_EINVAL, "platform plug-in: id out of "
					       "range or name, code or title "
					       "missing");
	for (i = 0; i < nall; i++)
		if (all[i]->id == ops->id ||
		    strcmp(all[i]->name, ops->name) == 0 ||
		    strcmp(all[i]->code, ops->code) == 0)
			return all[i] == ops
				       ? 0
				       : ps_error_set(PS_EEXISTS,
						      "platform plug-in '%s': "
						      "id, name or code taken "
						      "by '%s'",
						      ops->name, all[i]->name);
	if (nall >= PS_PLATFORM_MAX)
		return ps_error_set(PS_EINVAL,
				    "platform plug-in '%s': no "
				    "room in the registry",
				    ops->name);
	all[nall++] = ops;
	return 0;
}

/* ---- names -------------------------------------------------------------- */

const char *
ps_platform_name(ps_platform p)
{
	const ps_platform_ops *ops = ps_platform_ops_of(p);

	return ops != NULL ? ops->name : "?";
}

const char *
ps_platform_code(ps_platform p)
{
	const ps_platform_ops *ops = ps_platform_ops_of(p);

	return ops != NULL ? ops->code : "?";
}

const char *
ps_platform_title(ps_platform p)
{
	const ps_platform_ops *ops = ps_platform_ops_of(p);

	return ops != NULL ? ops->title : "?";
}

int
ps_platform_parse(ps_platform *out, const char *name)
{
	const ps_platform_ops *ops = ps_platform_ops_named(name);
	char known[256] = "";
	size_t i, len = 0;

	if (ops != NULL) {
		*out = ops->id;
		return 0;
	}
	for (i = 0; i < nall && len < sizeof(known); i++)
		len += (size_t)snprintf(known + len, sizeof(known) - len,
					"%s%s", i > 0 ? ", " : "",
					all[i]->code);
	return ps_error_set(PS_EINVAL, "unknown platform '%s' (%s)",
			    name ? name : "", known);
}

/* ---- connections -------------------------------------------------------- */

/* Non-zero when ops' enabled setting is unset, or set and true. */
int
ps_platform_switched_on(const ps_platform_ops *ops, ps_store *st)
{
	int on = 1;

	if (ops->enabled_setting == NULL)
		return 1;
	if (ps_settings_get_bool(&on, st, ops->enabled_setting) < 0) {
		ps_error_clear();
		return 1;
	}
	return on;
}

int
ps_platforms_connect(ps_platform_conns *out, ps_store *st, const ps_config *cfg,
		     ps_http *http, const char *log_mod)
{
	const ps_platform_ops *const *p;

	memset(out, 0, sizeof(*out));
	for (p = ps_platforms_all(); *p != NULL; p++) {
		const ps_platform_ops *ops = *p;
		char *note = out->note[ops->id];
		size_t cap = sizeof(out->note[0]);

		if (ops->connect == NULL)
			continue;
		if (!ps_platform_switched_on(ops, st)) {
			snprintf(note, cap, "%s is switched off (%s)",
				 ops->title, ops->enabled_setting);
		} else if (ops->connect(&out->conn[ops->id], st, cfg, http) <
			   0) {
			if (ps_error_last_code() == PS_ENOMEM) {
				ps_platforms_disconnect(out);
				return PS_ENOMEM;
			}
			out->conn[ops->id] = NULL;
			snprintf(note, cap, "%s not connected: %s", ops->title,
				 ps_error_last());
		} else {
			continue;
		}
		if (log_mod != NULL)
			ps_log_info(log_mod, "%s", note);
		ps_error_clear();
	}
	return 0;
}

void
ps_platforms_disconnect(ps_platform_conns *c)
{
	const ps_platform_ops *const *p;

	if (c == NULL)
		return;
	for (p = ps_platforms_all(); *p != NULL; p++)
		if ((*p)->free != NULL && c->conn[(*p)->id] != NULL)
			(*p)->free(c->conn[(*p)->id]);
	memset(c, 0, sizeof(*c));
}
