/*
 * plugin.c - Brightpearl as a platform plug-in (platform.h): its
 * connection settings, connect and check, and its webhooks.
 *
 * Webhooks: POST or PUT /webhooks/brightpearl/<secret>[/<topic...>].
 * Brightpearl signs nothing, so the secret (the setting webhooks.secret)
 * is in the path the hook was registered with.  The body is Brightpearl's
 * event: {"fullEvent": "goods-out-note.modified.shipped", "id": "12-14,20",
 * ...}; the event name comes from fullEvent, else from the path, and the
 * ids from "id", a number or an id set.  A delivery without a name or an
 * id is refused (400): there would be nothing to act on.
 */
#include "internal.h"
#include "setting_keys.h"
#include "platforms/brightpearl/rate_int.h"
#include "platforms/connector.h"
#include "platforms/brightpearl/lists_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "pearlsync/brightpearl.h"
#include "pearlsync/connect.h"
#include "pearlsync/platform.h"
#include "pearlsync/settings.h"
#include "pearlsync/setup.h"

static int
bp_connect(void **out, ps_store *st, const ps_config *cfg, ps_http *http)
{
	ps_bp *bp = NULL;
	int error = ps_connect_bp(&bp, st, cfg, http);

	*out = bp;
	return error;
}

static void
bp_free(void *conn)
{
	ps_bp_free(conn);
}

static int
bp_check(char **out_name, void *conn)
{
	return ps_bp_check_connection(out_name, conn);
}

/* A decimal id > 0 at p into *out, *end after it.  -1 if none. */
static int
parse_id(int64_t *out, const char *p, const char **end)
{
	int64_t v = 0;
	const char *q = p;

	while (*q >= '0' && *q <= '9') {
		if (v > (INT64_MAX - (*q - '0')) / 10)
			return -1;
		v = v * 10 + (*q - '0');
		q++;
	}
	if (q == p || v <= 0)
		return -1;
	*out = v;
	*end = q;
	return 0;
}

/* Brightpearl's id set ("1-3,7,9") into out->ids.  -1 if malformed. */
static int
parse_idset(ps_webhook_event *out, const char *s)
{
	int64_t a, b;
	const char *p = s;

	while (*p != '\0') {
		if (parse_id(&a, p, &p) < 0)
			return -1;
		b = a;
		if (*p == '-' && parse_id(&b, p + 1, &p) < 0)
			return -1;
		if (b < a)
			return -1;
		for (; a <= b && out->nids < PS_WEBHOOK_MAX_IDS; a++)
			out->ids[out->nids++] = a;
		if (*p == ',')
			p++;
		else if (*p != '\0')
			return -1;
	}
	return out->nids > 0 ? 0 : -1;
}

/* "goods-out-note.modified.shipped" -> object "goods-out-note". */
static void
object_of(char *out, size_t cap, const char *full_event)
{
	size_t n = strcspn(full_event, ".");

	if (n >= cap)
		n = cap - 1;
	memcpy(out, full_event, n);
	out[n] = '\0';
}

/*
 * A Brightpearl event body: the name from fullEvent, else topic (the
 * path's tail the hook was registered with), the ids from "id".
 */
static int
bp_webhook_decode(ps_webhook_event *out, const char *topic, const char *body,
		  size_t len)
{
	char num[32];
	json_t *doc = NULL, *fe, *id;
	int ok, error = 0;

	memset(out, 0, sizeof(*out));
	if (topic != NULL && strlen(topic) < sizeof(out->topic))
		ps_util__strlcpy(out->topic, topic, sizeof(out->topic));
	doc = json_loadb(body != NULL ? body : "", body != NULL ? len : 0, 0,
			 NULL);
	if (!json_is_object(doc)) {
		error = ps_error_set(PS_EINVAL, "body is not a JSON object");
		goto done;
	}
	fe = json_object_get(doc, "fullEvent");
	if (json_is_string(fe) && json_string_length(fe) > 0) {
		if (json_string_length(fe) >= sizeof(out->topic)) {
			error = ps_error_set(PS_EINVAL, "event name too long");
			goto done;
		}
		ps_util__strlcpy(out->topic, json_string_value(fe),
				 sizeof(out->topic));
	}
	if (out->topic[0] == '\0') {
		error = ps_error_set(PS_EINVAL, "no event name");
		goto done;
	}
	object_of(out->object, sizeof(out->object), out->topic);
	id = json_object_get(doc, "id");
	if (json_is_integer(id)) {
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
			 json_integer_value(id));
		ok = parse_idset(out, num) == 0;
	} else {
		ok = json_is_string(id) &&
		     parse_idset(out, json_string_value(id)) == 0;
	}
	if (!ok)
		error = ps_error_set(PS_EINVAL, "%s: no resource id",
				     out->topic);
done:
	json_decref(doc);
	if (error < 0)
		memset(out, 0, sizeof(*out));
	return error;
}

static const char *const auth_modes[] = {"private_app", "oauth", "staff", NULL};

static const ps_setting_def settings[] = {
/* clang-format off */
#include "setting_rows.h"
#include "platforms/brightpearl/settings.def"
	/* clang-format on */
};

/*
 * The datacentres Brightpearl's URI-syntax help page names (article
 * 212645003: euw1, use1); any other host can be typed as a URL.
 */
static const char *const datacentres[] = {"euw1  Europe",
					  "use1  United States east", NULL};

static int
bp_webhook_accept(ps_webhook_event *out, const ps_webhook_request *req)
{
	const char *rest = req->path, *slash;
	char *secret = NULL;
	size_t slen;
	int ok;

	memset(out, 0, sizeof(*out));
	if (rest[0] != '/' || rest[1] == '\0')
		return ps_error_set(PS_ENOTFOUND, "no such route");
	rest++;
	if (strcmp(req->method, "POST") != 0 && strcmp(req->method, "PUT") != 0)
		return ps_error_set(PS_EINVAL, "method %s not allowed",
				    req->method);
	slash = strchr(rest, '/');
	slen = slash != NULL ? (size_t)(slash - rest) : strlen(rest);
	if (ps_settings_get(&secret, req->store, PS_SET_WEBHOOKS_SECRET) < 0)
		ps_error_clear();
	ok = secret != NULL && secret[0] != '\0' &&
	     ps_crypto__secure_equal(rest, slen, secret, strlen(secret));
	ps_conn__free_secret(secret);
	if (!ok)
		return ps_error_set(PS_EAUTH, "wrong secret in the path");
	return bp_webhook_decode(out, slash != NULL ? slash + 1 : NULL,
				 req->body, req->body_len);
}

static const ps_platform_field fields[] = {
	{PS_PLATFORM_FIELD_URL, PS_SET_BP_BASE_URL,
	 "Brightpearl datacentre or URL", 0,
	 "https://%s.brightpearlconnect.com", datacentres},
	{PS_PLATFORM_FIELD_TEXT, PS_SET_BP_ACCOUNT, "Brightpearl account code",
	 1, NULL, NULL},
	{PS_PLATFORM_FIELD_TEXT, PS_SET_BP_APP_REF, "Brightpearl app reference",
	 1, NULL, NULL},
	{PS_PLATFORM_FIELD_SECRET, PS_SET_BP_TOKEN, "Brightpearl token", 1,
	 NULL, NULL},
	/* the modes: private_app (system token), oauth, staff */
	{PS_PLATFORM_FIELD_TEXT, PS_SET_BP_AUTH_MODE, "Brightpearl auth mode",
	 0, NULL, NULL},
	{PS_PLATFORM_FIELD_TEXT, PS_SET_BP_DEV_REF,
	 "Brightpearl dev reference (OAuth)", 0, NULL, NULL},
	{PS_PLATFORM_FIELD_SECRET, PS_SET_BP_REFRESH_TOKEN,
	 "Brightpearl refresh token (OAuth)", 0, NULL, NULL},
};

/* ---- products, looked up live ------------------------------------------ */

static void
bp_item(ps_platform_item *it, const ps_bp_product *p)
{
	snprintf(it->id, sizeof(it->id), "%lld", (long long)p->id);
	snprintf(it->code, sizeof(it->code), "%s", p->sku ? p->sku : "");
	snprintf(it->name, sizeof(it->name), "%s", p->name ? p->name : "");
}

static int
bp_lookup_search(ps_platform_item **out, size_t *out_n, void *conn,
		 const char *text, size_t max)
{
	ps_bp_product_list l = {0};
	size_t i;
	int error;

	*out = NULL;
	*out_n = 0;
	if ((error = ps_bp_product_search(&l, conn, text, max)) < 0)
		return error;
	if ((*out = calloc(l.n + 1, sizeof(**out))) == NULL) {
		ps_bp_product_list_dispose(&l);
		return ps_error_set(PS_ENOMEM, NULL);
	}
	for (i = 0; i < l.n; i++)
		bp_item(&(*out)[i], &l.items[i]);
	*out_n = l.n;
	ps_bp_product_list_dispose(&l);
	return 0;
}

static int
bp_lookup_resolve(ps_platform_item *out, char *how, size_t cap, void *conn,
		  const char *value)
{
	int64_t id;
	int error;

	memset(out, 0, sizeof(*out));
	if ((error = ps_bp_product_resolve(&id, how, cap, conn, value)) < 0)
		return error;
	snprintf(out->id, sizeof(out->id), "%lld", (long long)id);
	return 0;
}

const ps_platform_ops ps_platform_brightpearl = {
	.id = PS_PLATFORM_BRIGHTPEARL,
	.name = "brightpearl",
	.code = "bp",
	.title = "Brightpearl",
	.check_noun = "account",
	.default_base_url = PS_CONFIG_DEFAULT_URL_BRIGHTPEARL,
	.enabled_setting = NULL,
	.account_setting = PS_SET_BP_ACCOUNT,
	.settings = settings,
	.nsettings = PS__ARRAY_LEN(settings),
	.fields = fields,
	.nfields = PS__ARRAY_LEN(fields),
	.setup_help = "the Brightpearl account, its app reference, the "
		      "authentication mode and its tokens",
	.connect = bp_connect,
	.free = bp_free,
	.check = bp_check,
	.webhook_accept = bp_webhook_accept,
	.webhook_decode = bp_webhook_decode,
	.hooks_sync = NULL, /* the flows register the events they act on */
	.rate = &ps_bp__rate_dialect,
	.lists = ps_bp__lists,
	.nlists = PS_BP__NLISTS,
	.lists_fetch = ps_bp__lists_fetch,
	.lookup_kind = PS_SETUP_LIST_BP_PRODUCTS,
	.lookup_search = bp_lookup_search,
	.lookup_resolve = bp_lookup_resolve,
};
