/*
 * webhooks.c - ShipHero's webhook deliveries, for the listener: the
 * signature checked on the raw bytes before anything parses them, then
 * the Shipment Update body decoded into a typed event.
 *
 * POST /webhooks/shiphero.  X-ShipHero-HMAC-SHA256 must be
 * base64(HMAC-SHA256(shiphero.webhook_secret, raw body)), compared in
 * constant time; the setting is read for every delivery, so a new secret
 * applies without a restart.  ShipHero retries (5 times, 10 s timeout)
 * and may deliver twice: the event carries the shipment id, which the
 * flow de-duplicates on, and the flow confirms it through the shipments
 * query before acting.  The listener answers a stored delivery with
 * {"code":"200","Status":"Success"} (the plug-in's webhook_ok_body).
 */
#include "platforms/shiphero/shiphero_int.h"
#include "platforms/connector.h"
#include "internal.h"
#include "setting_keys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "pearlsync/settings.h"

int
ps_sh_webhook_verify(const char *secret, const char *body, size_t len,
		     const char *signature)
{
	unsigned char mac[32];
	char want[64];
	const void *parts[1];
	size_t lens[1], n;
	int ok;

	if (secret == NULL || secret[0] == '\0' || signature == NULL)
		return ps_error_set(PS_EAUTH, "ShipHero webhook: signature or "
					      "secret missing");
	while (*signature == ' ')
		signature++;
	n = strlen(signature);
	while (n > 0 && signature[n - 1] == ' ')
		n--;
	parts[0] = body != NULL ? body : "";
	lens[0] = body != NULL ? len : 0;
	ps_crypto__hmac_sha256(mac, secret, strlen(secret), parts, lens, 1);
	if (ps_crypto__base64_encode(want, sizeof(want), mac, sizeof(mac)) < 0)
		return ps_error_set(PS_EAUTH, "ShipHero webhook: signature "
					      "check failed");
	ok = n > 0 && ps_crypto__secure_equal(signature, n, want, strlen(want));
	memset(mac, 0, sizeof(mac));
	memset(want, 0, sizeof(want));
	return ok ? 0
		  : ps_error_set(PS_EAUTH, "ShipHero webhook: signature "
					   "does not match the body");
}

/* A positive id, as a number or a string of digits; 0 when not. */
static int64_t
positive_id(const json_t *v)
{
	int64_t n = 0;

	if (v == NULL || ps_conn__json_int_value(&n, v, "id", "webhook") < 0) {
		ps_error_clear();
		return 0;
	}
	return n > 0 ? n : 0;
}

/*
 * A Shipment Update: {"webhook_type": "Shipment Update", "fulfillment":
 * {"shipment_id": N, "partner_order_id": ..., ...}}.  The event is the
 * shipment (its legacy id) with the partner order id as its value.
 */
int
ps_sh__webhook_decode(ps_webhook_event *out, const char *topic,
		      const char *body, size_t len)
{
	json_t *doc, *f, *type;
	const char *name, *poid;
	int64_t id;
	int error = 0;

	memset(out, 0, sizeof(*out));
	doc = json_loadb(body != NULL ? body : "", body != NULL ? len : 0, 0,
			 NULL);
	f = json_object_get(doc, "fulfillment");
	type = json_object_get(doc, "webhook_type");
	if (!json_is_string(type))
		type = json_object_get(f, "webhook_type");
	name = json_is_string(type) ? json_string_value(type) : topic;
	if (!json_is_object(doc) || name == NULL || name[0] == '\0') {
		error = ps_error_set(PS_EINVAL, "malformed body");
	} else if (strcmp(name, PS_SH_WEBHOOK_SHIPMENT_UPDATE) != 0) {
		error = ps_error_set(PS_EINVAL, "unknown webhook type %.60s",
				     name);
	} else if (!json_is_object(f) ||
		   (id = positive_id(json_object_get(f, "shipment_id"))) == 0) {
		error = ps_error_set(PS_EINVAL,
				     "fulfillment.shipment_id is "
				     "missing or not a positive "
				     "id (%s)",
				     name);
	} else {
		ps_util__strlcpy(out->topic, name, sizeof(out->topic));
		ps_util__strlcpy(out->object, "shipment", sizeof(out->object));
		out->ids[0] = id;
		out->nids = 1;
		poid = json_string_value(
			json_object_get(f, "partner_order_id"));
		if (poid != NULL)
			ps_util__strlcpy(out->value, poid, sizeof(out->value));
	}
	json_decref(doc);
	return error;
}

int
ps_sh__webhook_accept(ps_webhook_event *out, const ps_webhook_request *req)
{
	char *secret;
	int error;

	memset(out, 0, sizeof(*out));
	if (req->path[0] != '\0')
		return ps_error_set(PS_ENOTFOUND, "no such route");
	if (strcmp(req->method, "POST") != 0)
		return ps_error_set(PS_EINVAL, "method %s not allowed",
				    req->method);
	secret = ps_settings_value(req->store, PS_SET_SHIPHERO_WEBHOOK_SECRET);
	error = ps_sh_webhook_verify(
		secret, req->body, req->body_len,
		req->header(req->header_ctx, PS_SH_HMAC_HEADER));
	ps_conn__free_secret(secret);
	if (error < 0)
		return error;
	return ps_sh__webhook_decode(out, NULL, req->body, req->body_len);
}
