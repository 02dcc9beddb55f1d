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

#include <stdlib.h>
#include <string.h>

#include "pearlsync/settings.h"

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

int
ps_connect_bp(ps_bp **out, ps_store *st, const ps_config *cfg, ps_http *http)
{
	ps_bp_options o = PS_BP_OPTIONS_INIT;
	char *url = NULL, *account = NULL, *app_ref = NULL, *token = NULL;
	char *mode = NULL;
	int64_t instance = 0;
	int error;

	*out = NULL;
	if ((error = ps_settings_get_opt(&url, st, PS_SET_BP_BASE_URL)) < 0 ||
	    (error = ps_settings_get(&account, st, PS_SET_BP_ACCOUNT)) < 0 ||
	    (error = ps_settings_get_opt(&app_ref, st, PS_SET_BP_APP_REF)) <
		    0 ||
	    (error = ps_settings_get(&token, st, PS_SET_BP_TOKEN)) < 0 ||
	    (error = ps_settings_get_opt(&mode, st, PS_SET_BP_AUTH_MODE)) < 0)
		goto done;
	error = ps_settings_get_int(
		&instance, st, PS_SET_BP_INSTALLED_INTEGRATION_INSTANCE_ID);
	if (error == PS_ESETTING) {
		ps_error_clear();
		error = 0;
	} else if (error < 0) {
		goto done;
	}
	o.base_url = url != NULL
			     ? url
			     : ps_config_base_url(cfg, PS_PLATFORM_BRIGHTPEARL);
	o.account = account;
	o.app_ref = app_ref;
	o.token = token;
	o.instance_id = instance;
	o.auth = mode != NULL && strcmp(mode, "oauth") == 0
			 ? PS_BP_AUTH_OAUTH
			 : PS_BP_AUTH_PRIVATE;
	error = ps_bp_new(out, http, &o);
done:
	free(url);
	free(account);
	free(app_ref);
	free(token);
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
