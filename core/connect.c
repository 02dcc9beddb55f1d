/*
 * connect.c - the HTTP client and the connectors built from the stored
 * connection settings and the machine config.
 *
 * A setting left unset is either optional (NULL here, the connector's own
 * default applies) or required (PS_ESETTING from ps_settings_get, whose
 * detail names the key and says how to set it).
 */
#include "pearlsync/connect.h"
#include "internal.h"
#include "setting_keys.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pearlsync/log.h"
#include "pearlsync/settings.h"
#include "pearlsync/store.h"

int
ps_connect_http(ps_http **out, const ps_config *cfg,
		const ps_http_options *base)
{
	ps_http_options o = PS_HTTP_OPTIONS_INIT;

	*out = NULL;
	if (base != NULL)
		o = *base;
	o.connect_timeout_ms = cfg->connect_timeout_ms;
	o.total_timeout_ms = cfg->total_timeout_ms;
	o.ca_file = cfg->ca_file[0] != '\0' ? cfg->ca_file : NULL;
	return ps_http_new(out, &o);
}

/*
 * The OAuth token set Brightpearl granted, kept as one change-set: access
 * token, expiry and the rotated refresh token commit together or not at
 * all, before the connector puts the new access token on a request.  The
 * old refresh token is already spent, so nothing here may keep the new
 * one from the disk: the write is one BEGIN IMMEDIATE transaction of its
 * own (the worker holds no transaction around network calls).
 */
static int
bp_tokens_save(void *ctx, const ps_bp_tokens *t)
{
	ps_store *st = ctx;
	char expires[32];
	ps_setting_kv kv[3];
	int error;

	if (ps_store_in_transaction(st) > 0)
		ps_log_warn("brightpearl",
			    "new OAuth tokens saved inside a store "
			    "transaction: they are durable only when it "
			    "commits");
	snprintf(expires, sizeof(expires), "%" PRId64,
		 t->expires_at > 0 ? t->expires_at : 0);
	kv[0].key = PS_SET_BP_TOKEN;
	kv[0].value = t->access_token;
	kv[1].key = PS_SET_BP_TOKEN_EXPIRES_AT;
	kv[1].value = expires;
	kv[2].key = PS_SET_BP_REFRESH_TOKEN;
	kv[2].value = t->refresh_token;
	error = ps_store_settings_set_many(NULL, st, kv, 3, "worker",
					   (int64_t)time(NULL) * 1000);
	if (error < 0)
		return ps_error_set(error,
				    "keeping the new Brightpearl OAuth tokens: "
				    "%s",
				    ps_error_last());
	return 0;
}

/* Zero a secret before freeing it, so it does not linger in the heap. */
static void
free_secret(char *s)
{
	if (s != NULL) {
		volatile char *p = s;

		while (*p != '\0')
			*p++ = '\0';
	}
	free(s);
}

static ps_bp_auth
bp_auth_mode(const char *mode)
{
	if (mode != NULL && strcmp(mode, "oauth") == 0)
		return PS_BP_AUTH_OAUTH;
	if (mode != NULL && strcmp(mode, "staff") == 0)
		return PS_BP_AUTH_STAFF;
	return PS_BP_AUTH_PRIVATE;
}

/* An optional integer setting, 0 when unset. */
static int
get_int_opt(int64_t *out, ps_store *st, const char *key)
{
	int error = ps_settings_get_int(out, st, key);

	*out = error < 0 ? 0 : *out;
	if (error == PS_ESETTING) {
		ps_error_clear();
		error = 0;
	}
	return error;
}

int
ps_connect_bp(ps_bp **out, ps_store *st, const ps_config *cfg, ps_http *http)
{
	ps_bp_options o = PS_BP_OPTIONS_INIT;
	char *url = NULL, *account = NULL, *app_ref = NULL, *token = NULL;
	char *mode = NULL, *dev_ref = NULL, *refresh = NULL;
	char *client_id = NULL, *client_secret = NULL;
	int64_t instance = 0, expires_at = 0;
	int error;

	*out = NULL;
	if ((error = ps_settings_get_opt(&url, st, PS_SET_BP_BASE_URL)) < 0 ||
	    (error = ps_settings_get(&account, st, PS_SET_BP_ACCOUNT)) < 0 ||
	    (error = ps_settings_get_opt(&app_ref, st, PS_SET_BP_APP_REF)) <
		    0 ||
	    (error = ps_settings_get(&token, st, PS_SET_BP_TOKEN)) < 0 ||
	    (error = ps_settings_get_opt(&mode, st, PS_SET_BP_AUTH_MODE)) < 0)
		goto done;
	if ((error = get_int_opt(&instance, st,
				 PS_SET_BP_INSTALLED_INTEGRATION_INSTANCE_ID)) <
	    0)
		goto done;
	o.auth = bp_auth_mode(mode);
	if (o.auth == PS_BP_AUTH_OAUTH &&
	    ((error = ps_settings_get_opt(&dev_ref, st, PS_SET_BP_DEV_REF)) <
		     0 ||
	     (error = ps_settings_get_opt(&refresh, st,
					  PS_SET_BP_REFRESH_TOKEN)) < 0 ||
	     (error = ps_settings_get_opt(&client_id, st,
					  PS_SET_BP_CLIENT_ID)) < 0 ||
	     (error = ps_settings_get_opt(&client_secret, st,
					  PS_SET_BP_CLIENT_SECRET)) < 0 ||
	     (error = get_int_opt(&expires_at, st,
				  PS_SET_BP_TOKEN_EXPIRES_AT)) < 0))
		goto done;
	o.base_url = url != NULL
			     ? url
			     : ps_config_base_url(cfg, PS_PLATFORM_BRIGHTPEARL);
	o.account = account;
	o.app_ref = app_ref;
	o.token = token;
	o.instance_id = instance;
	o.dev_ref = dev_ref;
	o.refresh_token = refresh;
	o.expires_at = expires_at;
	o.client_id = client_id;
	o.client_secret = client_secret;
	o.save = bp_tokens_save;
	o.save_ctx = st;
	error = ps_bp_new(out, http, &o);
done:
	free(url);
	free(account);
	free(app_ref);
	free_secret(token);
	free_secret(refresh);
	free_secret(client_secret);
	free(client_id);
	free(dev_ref);
	free(mode);
	return error;
}

int
ps_connect_bc(ps_bc **out, ps_store *st, const ps_config *cfg, ps_http *http)
{
	ps_bc_options o = PS_BC_OPTIONS_INIT;
	char *url = NULL, *hash = NULL, *token = NULL;
	int error;

	*out = NULL;
	if ((error = ps_settings_get_opt(&url, st, PS_SET_BC_BASE_URL)) < 0 ||
	    (error = ps_settings_get(&hash, st, PS_SET_BC_STORE_HASH)) < 0 ||
	    (error = ps_settings_get(&token, st, PS_SET_BC_TOKEN)) < 0)
		goto done;
	o.base_url = url != NULL
			     ? url
			     : ps_config_base_url(cfg, PS_PLATFORM_BIGCOMMERCE);
	o.store_hash = hash;
	o.access_token = token;
	error = ps_bc_new(out, http, &o);
done:
	free(url);
	free(hash);
	free(token);
	return error;
}
