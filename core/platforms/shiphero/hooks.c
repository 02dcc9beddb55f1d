/*
 * hooks.c - ShipHero webhook registration: create (the signing secret
 * comes back only then), list, delete by name.
 */
#include "platforms/shiphero/shiphero_int.h"
#include "platforms/connector.h"
#include "internal.h"
#include "pearlsync/log.h"

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
