/*
 * plugin.c - ShipHero as a platform plug-in (platform.h): its settings,
 * its connection (tokens, and the one-time exchange of a password for
 * them), its webhooks (webhooks.c), its credit dialect (rate.c) and its
 * warehouse picker (lists.c).
 *
 * The connection step asks for a user name and password, or a developer
 * refresh token.  A password found in the settings is traded for tokens
 * by the next connect (the connection test), the tokens are stored and
 * the password is erased in the same change-set: it is never kept
 * beyond that.  The access token is refreshed before it expires and the
 * new one stored (shiphero.access_token, shiphero.token_expires_at).
 */
#include "platforms/shiphero/shiphero_int.h"
#include "platforms/connector.h"
#include "internal.h"
#include "setting_keys.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pearlsync/log.h"
#include "pearlsync/platform.h"
#include "pearlsync/settings.h"

/* Store a token set (and erase the password) as one change-set. */
static int
sh_tokens_store(ps_store *st, const ps_sh_tokens *t, int drop_password)
{
	char expires[32];
	ps_setting_kv kv[4];
	size_t n = 0;
	int error;

	snprintf(expires, sizeof(expires), "%" PRId64,
		 t->expires_at > 0 ? t->expires_at : 0);
	kv[n].key = PS_SET_SHIPHERO_ACCESS_TOKEN;
	kv[n++].value = t->access_token;
	kv[n].key = PS_SET_SHIPHERO_TOKEN_EXPIRES_AT;
	kv[n++].value = expires;
	kv[n].key = PS_SET_SHIPHERO_REFRESH_TOKEN;
	kv[n++].value = t->refresh_token;
	if (drop_password) {
		kv[n].key = PS_SET_SHIPHERO_PASSWORD;
		kv[n++].value = NULL;
	}
	error = ps_store_settings_set_many(NULL, st, kv, n, "worker",
					   (int64_t)time(NULL) * 1000);
	/* the history must not keep the password either */
	if (error == 0 && drop_password)
		error = ps_store_setting_history_forget(
			st, PS_SET_SHIPHERO_PASSWORD);
	if (error < 0)
		return ps_error_set(error,
				    "ShipHero: storing the new tokens: %s",
				    ps_error_last());
	return 0;
}

static int
sh_tokens_save(void *ctx, const ps_sh_tokens *t)
{
	return sh_tokens_store(ctx, t, 0);
}

/* The password in the settings, traded for tokens, then erased. */
static int
sh_exchange_password(ps_store *st, ps_http *http, const ps_sh_options *o,
		     const char *username, const char *password)
{
	ps_sh_grant g;
	ps_sh_tokens t;
	int error;

	if (username == NULL)
		return ps_error_set(PS_ESETTING,
				    "ShipHero: a password is set but no user "
				    "name (shiphero.username)");
	if ((error = ps_sh_login(&g, http, o, username, password)) < 0)
		return error;
	t.access_token = g.access_token;
	t.refresh_token = g.refresh_token;
	t.expires_at = g.expires_at;
	error = sh_tokens_store(st, &t, 1);
	if (error == 0)
		ps_log_info(PS_SH__MOD,
			    "ShipHero password exchanged for tokens for %s; "
			    "the password is not kept",
			    username);
	ps_sh_grant_dispose(&g);
	return error;
}

static int
sh_connect(void **out, ps_store *st, const ps_config *cfg, ps_http *http)
{
	ps_sh_options o = PS_SH_OPTIONS_INIT;
	char *url = NULL, *user = NULL, *pw = NULL, *refresh = NULL,
	     *access = NULL;
	int64_t expires = 0;
	ps_sh *sh = NULL;
	int error;

	*out = NULL;
	if ((error = ps_settings_get_opt(&url, st, PS_SET_SHIPHERO_BASE_URL)) <
		    0 ||
	    (error = ps_settings_get_opt(&user, st, PS_SET_SHIPHERO_USERNAME)) <
		    0 ||
	    (error = ps_settings_get_opt(&pw, st, PS_SET_SHIPHERO_PASSWORD)) <
		    0)
		goto done;
	o.base_url = url != NULL
			     ? url
			     : ps_config_base_url(cfg, PS_PLATFORM_SHIPHERO);
	o.account = user;
	if (pw != NULL &&
	    (error = sh_exchange_password(st, http, &o, user, pw)) < 0)
		goto done;
	if ((error = ps_settings_get_opt(&refresh, st,
					 PS_SET_SHIPHERO_REFRESH_TOKEN)) < 0 ||
	    (error = ps_settings_get_opt(&access, st,
					 PS_SET_SHIPHERO_ACCESS_TOKEN)) < 0)
		goto done;
	if (access != NULL &&
	    ps_settings_get_int(&expires, st,
				PS_SET_SHIPHERO_TOKEN_EXPIRES_AT) < 0) {
		ps_error_clear();
		expires = 0;
	}
	o.refresh_token = refresh;
	o.access_token = access;
	o.expires_at = expires;
	o.save = sh_tokens_save;
	o.save_ctx = st;
	if (refresh == NULL && access == NULL) {
		error = ps_error_set(PS_ESETTING,
				     "ShipHero is not connected: set "
				     "shiphero.username and shiphero.password "
				     "(exchanged once for tokens) or "
				     "shiphero.refresh_token");
		goto done;
	}
	error = ps_sh_new(&sh, http, &o);
	*out = sh;
done:
	free(url);
	free(user);
	ps_conn__free_secret(pw);
	ps_conn__free_secret(refresh);
	ps_conn__free_secret(access);
	return error;
}

static void
sh_free(void *conn)
{
	ps_sh_free(conn);
}

static int
sh_check(char **out_name, void *conn)
{
	return ps_sh_check_connection(out_name, conn);
}

static const ps_setting_def settings[] = {
/* clang-format off */
#include "setting_rows.h"
#include "platforms/shiphero/settings.def"
	/* clang-format on */
};

/*
 * The API URL is not asked here (the connection step fills an 80x24
 * screen): the config file's base_urls or `settings set
 * shiphero.base_url` name a stand-in.
 */
static const ps_platform_field fields[] = {
	{PS_PLATFORM_FIELD_TEXT, PS_SET_SHIPHERO_USERNAME, "ShipHero user name",
	 0, NULL, NULL},
	{PS_PLATFORM_FIELD_SECRET, PS_SET_SHIPHERO_PASSWORD,
	 "ShipHero password (used once)", 0, NULL, NULL},
	{PS_PLATFORM_FIELD_SECRET, PS_SET_SHIPHERO_REFRESH_TOKEN,
	 "ShipHero refresh token (or password)", 0, NULL, NULL},
};

const ps_platform_ops ps_platform_shiphero = {
	.id = PS_PLATFORM_SHIPHERO,
	.name = "shiphero",
	.code = "sh",
	.title = "ShipHero",
	.check_noun = "account",
	.default_base_url = PS_CONFIG_DEFAULT_URL_SHIPHERO,
	.enabled_setting = PS_SET_SHIPHERO_ENABLED,
	.account_setting = PS_SET_SHIPHERO_USERNAME,
	.settings = settings,
	.nsettings = PS__ARRAY_LEN(settings),
	.fields = fields,
	.nfields = PS__ARRAY_LEN(fields),
	.setup_help = "user name and password (traded for tokens when the "
		      "connection is tested, then erased), or a developer "
		      "refresh token",
	.connect = sh_connect,
	.free = sh_free,
	.check = sh_check,
	.webhook_accept = ps_sh__webhook_accept,
	.webhook_decode = ps_sh__webhook_decode,
	.webhook_ok_body = "{\"code\":\"200\",\"Status\":\"Success\"}",
	.hooks_sync = ps_sh__hooks_sync,
	.rate = &ps_sh__rate_dialect,
	.lists = ps_sh__lists,
	.nlists = PS_SH__NLISTS,
	.lists_fetch = ps_sh__lists_fetch,
};
