/*
 * plugin.c - BigCommerce as a platform plug-in (platform.h): its
 * connection settings, connect and check, and its webhooks.
 *
 * Webhooks: POST /webhooks/bigcommerce.  The header X-Pearlsync-Secret
 * must equal the setting webhooks.secret (hooks.c registers the hooks with
 * it).  When a Standard Webhooks signature is sent and the setting
 * bigcommerce.client_secret is set, the signature must match too and the
 * timestamp be within PS_BC__SIGNATURE_TOLERANCE_S; both settings are read
 * for every delivery, so a `settings set` applies without a restart.  The
 * body must be JSON with a known order scope and data.id, the order id: a
 * positive integer (the order import acts on nothing else, so a callback
 * without one is refused rather than stored and dropped: BigCommerce then
 * sees the failure and retries).
 */
#include "platforms/bigcommerce/rate_int.h"
#include "platforms/bigcommerce/webhooks_int.h"
#include "internal.h"
#include "setting_keys.h"
#include "platforms/connector.h"
#include "platforms/bigcommerce/lists_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "pearlsync/connect.h"
#include "pearlsync/platform.h"
#include "pearlsync/settings.h"

static int
bc_connect(void **out, ps_store *st, const ps_config *cfg, ps_http *http)
{
	ps_bc *bc = NULL;
	int error = ps_connect_bc(&bc, st, cfg, http);

	*out = bc;
	return error;
}

static void
bc_free(void *conn)
{
	ps_bc_free(conn);
}

static int
bc_check(char **out_name, void *conn)
{
	return ps_bc_check_connection(out_name, conn);
}

/*
 * 1 when no signature is sent or no client secret is set (the secret
 * header is the check then), 1 when one v1 signature matches and the
 * timestamp is within tolerance, 0 otherwise.
 */
static int
signature_ok(const ps_webhook_request *req)
{
	const char *id, *ts, *sig, *p;
	unsigned char mac[32];
	char want[64], *csecret, *end;
	const void *parts[5];
	size_t lens[5], n;
	long long t, now_s;
	int ok = 0;

	sig = req->header(req->header_ctx, "webhook-signature");
	if (sig == NULL)
		return 1;
	if ((csecret = ps_settings_value(req->store,
					 PS_SET_BC_CLIENT_SECRET)) == NULL)
		return 1;
	id = req->header(req->header_ctx, "webhook-id");
	ts = req->header(req->header_ctx, "webhook-timestamp");
	if (id == NULL || ts == NULL)
		goto done;
	t = strtoll(ts, &end, 10);
	now_s = req->now / 1000;
	if (end == ts || *end != '\0' ||
	    t < now_s - PS_BC__SIGNATURE_TOLERANCE_S ||
	    t > now_s + PS_BC__SIGNATURE_TOLERANCE_S)
		goto done;
	parts[0] = id;
	lens[0] = strlen(id);
	parts[1] = ".";
	lens[1] = 1;
	parts[2] = ts;
	lens[2] = strlen(ts);
	parts[3] = ".";
	lens[3] = 1;
	parts[4] = req->body != NULL ? req->body : "";
	lens[4] = req->body_len;
	ps_crypto__hmac_sha256(mac, csecret, strlen(csecret), parts, lens, 5);
	if (ps_crypto__base64_encode(want, sizeof(want), mac, sizeof(mac)) < 0)
		goto done;
	/* a space-separated list of "v1,<base64>" */
	for (p = sig; *p != '\0' && !ok;) {
		while (*p == ' ')
			p++;
		n = strcspn(p, " ");
		ok = n > 3 && strncmp(p, "v1,", 3) == 0 &&
		     ps_crypto__secure_equal(p + 3, n - 3, want, strlen(want));
		p += n;
	}
done:
	ps_conn__free_secret(csecret);
	return ok;
}

static int
known_scope(const char *scope)
{
	size_t i;

	for (i = 0; ps_bc__hook_scopes[i] != NULL; i++)
		if (strcmp(ps_bc__hook_scopes[i], scope) == 0)
			return 1;
	return 0;
}

/* Why data.id cannot name an order, or NULL when it can. */
static const char *
bad_order_id(const json_t *id)
{
	if (id == NULL)
		return "missing";
	if (json_is_string(id))
		return "a string, not an integer";
	if (!json_is_integer(id))
		return "not an integer";
	if (json_integer_value(id) <= 0)
		return "not a positive order id";
	return NULL;
}

/*
 * A BigCommerce callback body: {"scope": "store/order/...", "data":
 * {"id": <order id>}}.  The scope names the topic (topic, the one it was
 * stored under, stands in for a body without one).
 */
static int
bc_webhook_decode(ps_webhook_event *out, const char *topic, const char *body,
		  size_t len)
{
	const char *why, *name;
	json_t *doc = NULL, *scope, *data, *id;
	int error = 0;

	memset(out, 0, sizeof(*out));
	doc = json_loadb(body != NULL ? body : "", body != NULL ? len : 0, 0,
			 NULL);
	scope = json_object_get(doc, "scope");
	data = json_object_get(doc, "data");
	id = json_object_get(data, "id");
	name = json_is_string(scope) ? json_string_value(scope) : topic;
	if (!json_is_object(doc) || name == NULL || name[0] == '\0' ||
	    !json_is_object(data)) {
		error = ps_error_set(PS_EINVAL, "malformed body");
	} else if (!known_scope(name)) {
		error = ps_error_set(PS_EINVAL, "unknown scope %s", name);
	} else if ((why = bad_order_id(id)) != NULL) {
		error = ps_error_set(PS_EINVAL, "data.id is %s (scope %s)", why,
				     name);
	} else {
		ps_util__strlcpy(out->topic, name, sizeof(out->topic));
		json_t *ns = json_object_get(json_object_get(data, "status"),
					     "new_status_id");
		json_t *at = json_object_get(doc, "created_at");

		ps_util__strlcpy(out->object, "order", sizeof(out->object));
		out->ids[0] = (int64_t)json_integer_value(id);
		out->nids = 1;
		if (json_is_integer(at) && json_integer_value(at) > 0)
			out->changed_at = (int64_t)json_integer_value(at);
		/* webhooks.v3 store_order_refund_created: data.refund.
		 * refund_id names the refund */
		json_t *rid = json_object_get(json_object_get(data, "refund"),
					      "refund_id");

		if (strcmp(name, "store/order/refund/created") == 0 &&
		    json_is_integer(rid) && json_integer_value(rid) > 0)
			snprintf(out->value, sizeof(out->value),
				 "%" JSON_INTEGER_FORMAT,
				 json_integer_value(rid));
		if (strcmp(name, "store/order/statusUpdated") == 0 &&
		    json_is_integer(ns) && json_integer_value(ns) >= 0)
			snprintf(out->value, sizeof(out->value),
				 "%" JSON_INTEGER_FORMAT,
				 json_integer_value(ns));
	}
	json_decref(doc);
	return error;
}

static int
bc_webhook_accept(ps_webhook_event *out, const ps_webhook_request *req)
{
	const char *given;
	char *secret;
	int ok;

	memset(out, 0, sizeof(*out));
	if (req->path[0] != '\0')
		return ps_error_set(PS_ENOTFOUND, "no such route");
	if (strcmp(req->method, "POST") != 0)
		return ps_error_set(PS_EINVAL, "method %s not allowed",
				    req->method);
	secret = ps_settings_value(req->store, PS_SET_WEBHOOKS_SECRET);
	given = req->header(req->header_ctx, PS_BC__SECRET_HEADER);
	ok = secret != NULL && given != NULL &&
	     ps_crypto__secure_equal(given, strlen(given), secret,
				     strlen(secret));
	ps_conn__free_secret(secret);
	if (!ok || !signature_ok(req))
		return ps_error_set(PS_EAUTH,
				    "secret or signature missing or wrong");
	return bc_webhook_decode(out, NULL, req->body, req->body_len);
}

static int
bc_hooks_sync(size_t *out_changed, void *conn, ps_store *st,
	      const char *public_url, int64_t now)
{
	char *secret = ps_settings_value(st, PS_SET_WEBHOOKS_SECRET);
	int error;

	*out_changed = 0;
	if ((error = ps_bc_webhook_destination_check(conn, public_url)) < 0) {
		ps_conn__free_secret(secret);
		return error;
	}
	if (secret == NULL)
		return ps_error_set(PS_ESETTING,
				    "webhooks.public_url is set but "
				    "webhooks.secret is not: hooks not "
				    "registered");
	error = ps_bc__hooks_sync(out_changed, conn, public_url, secret, st,
				  now);
	ps_conn__free_secret(secret);
	return error;
}

static const ps_setting_def settings[] = {
/* clang-format off */
#include "setting_rows.h"
#include "platforms/bigcommerce/settings.def"
	/* clang-format on */
};

static const ps_platform_field fields[] = {
	{PS_PLATFORM_FIELD_URL, PS_SET_BC_BASE_URL,
	 "BigCommerce API URL (blank: default)", 0, NULL, NULL},
	{PS_PLATFORM_FIELD_TEXT, PS_SET_BC_STORE_HASH, "BigCommerce store hash",
	 1, NULL, NULL},
	{PS_PLATFORM_FIELD_SECRET, PS_SET_BC_TOKEN, "BigCommerce access token",
	 1, NULL, NULL},
};

const ps_platform_ops ps_platform_bigcommerce = {
	.id = PS_PLATFORM_BIGCOMMERCE,
	.name = "bigcommerce",
	.code = "bc",
	.title = "BigCommerce",
	.check_noun = "store",
	.default_base_url = PS_CONFIG_DEFAULT_URL_BIGCOMMERCE,
	.enabled_setting = PS_SET_BC_ENABLED,
	.account_setting = PS_SET_BC_STORE_HASH,
	.settings = settings,
	.nsettings = PS__ARRAY_LEN(settings),
	.fields = fields,
	.nfields = PS__ARRAY_LEN(fields),
	.setup_help = "the store's API account: store hash and access token",
	.connect = bc_connect,
	.free = bc_free,
	.check = bc_check,
	.webhook_accept = bc_webhook_accept,
	.webhook_decode = bc_webhook_decode,
	.hooks_sync = bc_hooks_sync,
	.rate = &ps_bc__rate_dialect,
	.lists = ps_bc__lists,
	.nlists = PS_BC__NLISTS,
	.lists_fetch = ps_bc__lists_fetch,
};
