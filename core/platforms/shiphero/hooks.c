/*
 * hooks.c - ShipHero webhook registration: create (the signing secret
 * comes back only then), list, delete by name, and the plug-in's
 * hooks_sync that keeps the Shipment Update webhook pointing at the
 * listener.
 */
#include "platforms/shiphero/shiphero_int.h"
#include "platforms/connector.h"
#include "internal.h"
#include "setting_keys.h"
#include "pearlsync/log.h"
#include "pearlsync/settings.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

void
ps_sh_webhook_dispose(ps_sh_webhook *w)
{
	if (w == NULL)
		return;
	free(w->id);
	free(w->name);
	free(w->url);
	free(w->shop_name);
	ps_conn__free_secret(w->shared_signature_secret);
	memset(w, 0, sizeof(*w));
}

void
ps_sh_webhook_list_dispose(ps_sh_webhook_list *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++)
		ps_sh_webhook_dispose(&l->items[i]);
	free(l->items);
	memset(l, 0, sizeof(*l));
}

static int
hook_parse(ps_sh_webhook *out, const json_t *node)
{
	int error;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(node))
		return ps_error_set(PS_EDATA, "ShipHero webhook: the reply has "
					      "no webhook");
	if ((error = ps_conn__json_int_opt(&out->legacy_id, node, "legacy_id",
					   "ShipHero webhook", 0)) < 0 ||
	    (error = ps_sh__dup(&out->id, node, "id")) < 0 ||
	    (error = ps_sh__dup(&out->name, node, "name")) < 0 ||
	    (error = ps_sh__dup(&out->url, node, "url")) < 0 ||
	    (error = ps_sh__dup(&out->shop_name, node, "shop_name")) < 0 ||
	    (error = ps_sh__dup(&out->shared_signature_secret, node,
				"shared_signature_secret")) < 0) {
		ps_sh_webhook_dispose(out);
		return error;
	}
	if (out->shared_signature_secret != NULL &&
	    (error = ps_log_add_secret(out->shared_signature_secret)) < 0) {
		ps_sh_webhook_dispose(out);
		return error;
	}
	return 0;
}

int
ps_sh_webhook_register(ps_sh_webhook *out, ps_sh *sh, const char *name,
		       const char *url, const char *shop_name)
{
	json_t *d, *r = NULL;
	int error;

	memset(out, 0, sizeof(*out));
	if (name == NULL || name[0] == '\0' || url == NULL || url[0] == '\0')
		return ps_error_set(PS_EINVAL, "ShipHero webhook: a name and a "
					       "URL are required");
	if ((d = json_pack("{s:s,s:s}", "name", name, "url", url)) == NULL)
		return ps_error_set(PS_EINVAL, "ShipHero webhook: the name or "
					       "URL is not UTF-8");
	if (ps_conn__json_set_str(d, "shop_name", shop_name, 0) < 0 ||
	    (error = ps_sh__set_customer(sh, d)) < 0) {
		json_decref(d);
		return ps_error_set(PS_ENOMEM, NULL);
	}
	error = ps_sh__call(&r, sh, &ps_sh__op_webhook_create,
			    json_pack("{s:o}", "data", d));
	if (error == 0)
		error = hook_parse(out, json_object_get(r, "webhook"));
	json_decref(r);
	return error;
}

struct list_ctx {
	ps_sh_webhook_list *out;
	size_t cap;
};

static int
list_node(void *ctx, const json_t *node)
{
	struct list_ctx *c = ctx;
	ps_sh_webhook *v;
	int error;

	if (c->out->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 8;

		if ((v = realloc(c->out->items, cap * sizeof(*v))) == NULL)
			return ps_error_set(PS_ENOMEM, NULL);
		c->out->items = v;
		c->cap = cap;
	}
	if ((error = hook_parse(&c->out->items[c->out->n], node)) < 0)
		return error;
	c->out->n++;
	return 0;
}

int
ps_sh_webhooks_list(ps_sh_webhook_list *out, ps_sh *sh)
{
	struct list_ctx c = {out, 0};
	json_t *vars = json_object();
	int error;

	memset(out, 0, sizeof(*out));
	if (vars == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	if ((error = ps_sh__set_customer(sh, vars)) == 0)
		error = ps_sh__walk(sh, &ps_sh__op_webhooks, vars, 50,
				    list_node, &c);
	json_decref(vars);
	if (error < 0)
		ps_sh_webhook_list_dispose(out);
	return error;
}

int
ps_sh_webhook_delete(ps_sh *sh, const char *name, const char *shop_name)
{
	json_t *d, *r = NULL;
	int error;

	if (name == NULL || name[0] == '\0')
		return ps_error_set(PS_EINVAL, "ShipHero webhook delete: no "
					       "name");
	if ((d = json_pack("{s:s}", "name", name)) == NULL)
		return ps_error_set(PS_EINVAL, "ShipHero webhook delete: the "
					       "name is not UTF-8");
	if (ps_conn__json_set_str(d, "shop_name", shop_name, 0) < 0 ||
	    (error = ps_sh__set_customer(sh, d)) < 0) {
		json_decref(d);
		return ps_error_set(PS_ENOMEM, NULL);
	}
	error = ps_sh__call(&r, sh, &ps_sh__op_webhook_delete,
			    json_pack("{s:o}", "data", d));
	json_decref(r);
	return error;
}

/* public_url + "/webhooks/shiphero" into *out (owned). */
static int
hook_url(char **out, const char *public_url)
{
	ps_conn_buf b = PS_CONN_BUF_INIT(2048);
	size_t n = strlen(public_url);

	while (n > 0 && public_url[n - 1] == '/')
		n--;
	ps_conn__buf_addn(&b, public_url, n);
	ps_conn__buf_add(&b, "/webhooks/shiphero");
	return ps_conn__buf_detach(out, &b);
}

/*
 * The plug-in's hooks_sync: a Shipment Update webhook pointing at the
 * listener whose signing secret pearlsync holds.  ShipHero shows the
 * secret only when a webhook is created, so one registered elsewhere, or
 * before the secret was lost, or at another URL, is deleted (by name)
 * and created again, and the new secret stored.  Deliveries that fail in
 * between are retried by ShipHero and caught by the shipments poll.
 */
int
ps_sh__hooks_sync(size_t *out_changed, void *conn, ps_store *st,
		  const char *public_url, int64_t now)
{
	ps_sh *sh = conn;
	ps_sh_webhook_list l = {0};
	ps_sh_webhook w = {0};
	const ps_sh_webhook *have = NULL;
	char *url = NULL, *secret = NULL;
	size_t i;
	int error;

	*out_changed = 0;
	if (public_url == NULL || (strncmp(public_url, "https://", 8) != 0 &&
				   strncmp(public_url, "http://", 7) != 0))
		return ps_error_set(PS_ESETTING, "webhooks.public_url must be "
						 "an http:// or https:// URL");
	if ((error = hook_url(&url, public_url)) < 0)
		return error;
	secret = ps_settings_value(st, PS_SET_SHIPHERO_WEBHOOK_SECRET);
	if ((error = ps_sh_webhooks_list(&l, sh)) < 0)
		goto done;
	for (i = 0; i < l.n; i++)
		if (l.items[i].name != NULL &&
		    strcmp(l.items[i].name, PS_SH_WEBHOOK_SHIPMENT_UPDATE) == 0)
			have = &l.items[i];
	if (have != NULL && secret != NULL && have->url != NULL &&
	    strcmp(have->url, url) == 0)
		goto done;
	if (have != NULL &&
	    (error = ps_sh_webhook_delete(sh, have->name, have->shop_name)) <
		    0 &&
	    error != PS_ENOTFOUND)
		goto done;
	if ((error = ps_sh_webhook_register(&w, sh,
					    PS_SH_WEBHOOK_SHIPMENT_UPDATE, url,
					    have ? have->shop_name : NULL)) < 0)
		goto done;
	if (w.shared_signature_secret == NULL) {
		error = ps_error_set(PS_EDATA,
				     "ShipHero webhook_create: the reply has "
				     "no shared_signature_secret: deliveries "
				     "cannot be verified");
		goto done;
	}
	if ((error = ps_store_setting_set(
		     NULL, st, PS_SET_SHIPHERO_WEBHOOK_SECRET,
		     w.shared_signature_secret, "worker", now)) < 0)
		goto done;
	*out_changed = 1;
	ps_log_info(PS_SH__MOD, "Shipment Update webhook registered to %s",
		    url);
done:
	ps_sh_webhook_dispose(&w);
	ps_sh_webhook_list_dispose(&l);
	ps_conn__free_secret(secret);
	free(url);
	return error;
}
