/*
 * plugin.c - DSCO as a platform plug-in (platform.h): its settings, the
 * connection step of setup, connect and check, the rate dialect and the
 * console's pickers.
 *
 * Authentication: OAuth2 client credentials when dsco.client_id and
 * dsco.client_secret are both set (DSCO's current scheme), else the
 * legacy static API token dsco.token.  DSCO has no webhooks for a
 * supplier: its flows poll orders and change logs.
 */
#include "internal.h"
#include "setting_keys.h"
#include "platforms/connector.h"
#include "platforms/dsco/lists_int.h"
#include "platforms/dsco/rate_int.h"

#include <stdlib.h>

#include "pearlsync/dsco.h"
#include "pearlsync/platform.h"
#include "pearlsync/settings.h"

static const char *const shipment_triggers[] = {"status", "goods_out", NULL};
static const char *const dsco_customer_modes[] = {"auto", "map", NULL};
static const char *const dsco_match_fields[] = {"sku", "partnerSku", "upc",
						"ean", "dscoItemId", NULL};
static const char *const dsco_bp_fields[] = {"sku",  "barcode", "ean", "upc",
					     "isbn", "mpn",     NULL};

static const ps_setting_def settings[] = {
/* clang-format off */
#include "setting_rows.h"
#include "platforms/dsco/settings.def"
	/* clang-format on */
};

static int
dsco_connect(void **out, ps_store *st, const ps_config *cfg, ps_http *http)
{
	ps_dsco_options o = PS_DSCO_OPTIONS_INIT;
	ps_dsco *d = NULL;
	char *url = NULL, *id = NULL, *secret = NULL, *token = NULL;
	int error;

	*out = NULL;
	if ((error = ps_settings_get_opt(&url, st, PS_SET_DSCO_BASE_URL)) < 0 ||
	    (error = ps_settings_get_opt(&id, st, PS_SET_DSCO_CLIENT_ID)) < 0 ||
	    (error = ps_settings_get_opt(&secret, st,
					 PS_SET_DSCO_CLIENT_SECRET)) < 0 ||
	    (error = ps_settings_get_opt(&token, st, PS_SET_DSCO_TOKEN)) < 0)
		goto done;
	o.base_url =
		url != NULL ? url : ps_config_base_url(cfg, PS_PLATFORM_DSCO);
	if (id != NULL && id[0] != '\0' && secret != NULL &&
	    secret[0] != '\0') {
		o.auth = PS_DSCO_AUTH_CLIENT_CREDENTIALS;
		o.client_id = id;
		o.client_secret = secret;
	} else if (token != NULL && token[0] != '\0') {
		o.auth = PS_DSCO_AUTH_STATIC_TOKEN;
		o.access_token = token;
	} else {
		error = ps_error_set(PS_ESETTING,
				     "DSCO is not configured: set "
				     "dsco.client_id and dsco.client_secret "
				     "(or the legacy dsco.token)");
		goto done;
	}
	if ((error = ps_dsco_new(&d, http, &o)) < 0)
		goto done;
	*out = d;
done:
	free(url);
	free(id);
	ps_conn__free_secret(secret);
	ps_conn__free_secret(token);
	return error;
}

static void
dsco_free(void *conn)
{
	ps_dsco_free(conn);
}

static int
dsco_check(char **out_name, void *conn)
{
	return ps_dsco_check_connection(out_name, conn);
}

static const ps_platform_field fields[] = {
	{PS_PLATFORM_FIELD_URL, PS_SET_DSCO_BASE_URL, "DSCO API URL", 0, NULL,
	 NULL},
	{PS_PLATFORM_FIELD_TEXT, PS_SET_DSCO_CLIENT_ID, "DSCO client id", 0,
	 NULL, NULL},
	{PS_PLATFORM_FIELD_SECRET, PS_SET_DSCO_CLIENT_SECRET,
	 "DSCO client secret", 0, NULL, NULL},
	{PS_PLATFORM_FIELD_SECRET, PS_SET_DSCO_TOKEN, "DSCO legacy API token",
	 0, NULL, NULL},
};

const ps_platform_ops ps_platform_dsco = {
	.id = PS_PLATFORM_DSCO,
	.name = "dsco",
	.code = "dsco",
	.title = "DSCO",
	.check_noun = NULL,
	.default_base_url = PS_CONFIG_DEFAULT_URL_DSCO,
	.enabled_setting = PS_SET_DSCO_ENABLED,
	.account_setting = NULL,
	.settings = settings,
	.nsettings = PS__ARRAY_LEN(settings),
	.fields = fields,
	.nfields = PS__ARRAY_LEN(fields),
	.setup_help = "the OAuth2 client id and secret DSCO issued to the "
		      "supplier account (or a legacy API token); blank URL: "
		      "production",
	.connect = dsco_connect,
	.free = dsco_free,
	.check = dsco_check,
	.webhook_accept = NULL,
	.webhook_decode = NULL,
	.hooks_sync = NULL,
	.rate = &ps_dsco__rate_dialect,
	.lists = ps_dsco__lists,
	.nlists = PS_DSCO__NLISTS,
	.lists_fetch = ps_dsco__lists_fetch,
};
