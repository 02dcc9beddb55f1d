/*
 * bp_api.c - the Brightpearl simulator's resources and route table.
 *
 * Each handler follows the reference digest section named in its comment
 * and in tests/sandbox/README.md.  Orders are kept in one internal form
 * (close to the sales-order POST shape, with row ids and fulfilment
 * counters in "_"-prefixed keys) and rendered in either the /order/ shape
 * or the /sales-order/ shape on the way out.
 */
#include "bp.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ID_KEY(buf, id) snprintf((buf), sizeof(buf), "%lld", (long long)(id))

static bp_state *
S(sb_platform *pf)
{
	return pf->priv;
}

static const char *
P(sb_request *req, size_t i)
{
	return i < req->nparams ? req->params[i] : "";
}

/* A copy of v without keys starting with '_' (recursively); new ref. */
static json_t *
clean(json_t *v)
{
	json_t *out, *x;
	const char *k;
	size_t i;

	if (json_is_object(v)) {
		out = json_object();
		json_object_foreach (v, k, x)
			if (k[0] != '_')
				json_object_set_new(out, k, clean(x));
		return out;
	}
	if (json_is_array(v)) {
		out = json_array();
		json_array_foreach (v, i, x)
			json_array_append_new(out, clean(x));
		return out;
	}
	return json_incref(v);
}

static json_t *
body_object(sb_request *req, sb_response *resp)
{
	json_t *in = sb_req_json(req, NULL);

	if (!json_is_object(in)) {
		json_decref(in);
		bp_err(resp, 400, "CMNC-010",
		       "You must supply a JSON formatted body with your "
		       "request");
		return NULL;
	}
	return in;
}

static int
idset_param(bp_idset *set, const char *s, sb_response *resp)
{
	if (bp_idset_parse(set, s) == 0)
		return 0;
	bp_err(resp, 400, "CMNC-400", "Invalid ID set: %s", s);
	return -1;
}

static int
id_param(int64_t *id, const char *s, sb_response *resp)
{
	if (sb_parse_int(s, id) == 0 && *id > 0)
		return 0;
	bp_err(resp, 400, "CMNC-400", "Invalid id: %s", s);
	return -1;
}

static json_t *
get_by_id(json_t *coll, int64_t id)
{
	char key[32];

	ID_KEY(key, id);
	return json_object_get(coll, key);
}

static char *
now_iso(char *buf, size_t len)
{
	return (char *)sb_iso_now(buf, len, 0);
}

/* A row's quantity (stored as a "2.0000" string) as a whole number. */
static int64_t
row_qty(json_t *row)
{
	return (int64_t)llround(bp_num(json_object_get(row, "quantity"), 0));
}

/* ---- stock -------------------------------------------------------------- */

static json_t *
stock_cell(bp_state *bp, int64_t pid, int64_t wh)
{
	char pk[32], wk[32];
	json_t *p, *w;

	ID_KEY(pk, pid);
	ID_KEY(wk, wh);
	p = json_object_get(bp->stock, pk);
	if (!p) {
		p = json_object();
		json_object_set_new(bp->stock, pk, p);
	}
	w = json_object_get(p, wk);
	if (!w) {
		w = json_pack("{s:i,s:i}", "inStock", 0, "allocated", 0);
		json_object_set_new(p, wk, w);
	}
	return w;
}

static void
stock_add(json_t *cell, const char *key, int64_t delta)
{
	json_object_set_new(
		cell, key,
		json_integer(json_integer_value(json_object_get(cell, key)) +
			     delta));
}

/*
 * Availability events: Brightpearl's event for a change of what a product
 * has on hand is product.modified.on-hand-modified (reference section 13,
 * the subscribable-resource-events page); reservations and goods-out
 * notes change it as the stock control call does.  One request collects
 * its products in a set and fires once per product.
 */
static void
avail_touch(json_t *set, int64_t pid)
{
	char k[32];

	ID_KEY(k, pid);
	json_object_set_new(set, k, json_true());
}

static void
avail_fire(bp_state *bp, json_t *set)
{
	const char *k;
	json_t *v;
	int64_t pid;

	json_object_foreach (set, k, v)
		if (sb_parse_int(k, &pid) == 0 && pid > 0)
			bp_fire(bp, "product.modified.on-hand-modified", pid);
	json_decref(set);
}

/* Does list arr (of objects with an integer idkey) have id? */
static int
list_has(json_t *arr, const char *idkey, int64_t id)
{
	json_t *e;
	size_t i;

	json_array_foreach (arr, i, e)
		if (sb_json_int(json_object_get(e, idkey), -1) == id)
			return 1;
	return 0;
}

void
bp_stock_set(bp_state *bp, int64_t pid, int64_t wh, int64_t in_stock)
{
	json_object_set_new(stock_cell(bp, pid, wh), "inStock",
			    json_integer(in_stock));
}

/* ---- reference data ----------------------------------------------------- */

void
bp_seed_reference(bp_state *bp)
{
	static const struct {
		int id;
		const char *name, *type, *state;
	} st[] = {
		{1, "Draft / Quote", "SO", "draft"},
		{2, "New web order", "SO", "open"},
		{3, "New phone order", "SO", "open"},
		{4, "Invoiced", "SO", "invoiced"},
		{5, "Cancelled", "SO", "cancelled"},
		{6, "Awaiting payment", "SO", "open"},
		{7, "Ready to ship", "SO", "open"},
		{8, "Shipped", "SO", "closed"},
		{9, "Pending PO", "PO", "open"},
		{10, "Credit - new", "SC", "open"},
		{11, "Credit - complete", "SC", "closed"},
	};
	size_t i;

	for (i = 0; i < sizeof(st) / sizeof(st[0]); i++)
		json_array_append_new(
			bp->statuses,
			json_pack("{s:i,s:s,s:s,s:i,s:b,s:b,s:s,s:i,s:[],s:s,"
				  "s:b,s:s}",
				  "statusId", st[i].id, "name", st[i].name,
				  "orderTypeCode", st[i].type, "sortOrder",
				  st[i].id * 10, "disabled", 0, "visible", 1,
				  "color", "#3366CC", "remindAfterDays", 0,
				  "alertEmails", "emailContent", "",
				  "batchProcess", 0, "state", st[i].state));
	bp->next_id[BP_SEQ_STATUS] = 20;
	json_array_append_new(bp->warehouses,
			      json_pack("{s:i,s:s,s:s,s:s,s:{s:i},s:b}", "id",
					2, "name", "Main warehouse", "typeCode",
					"warehouse", "typeDescription",
					"Warehouse", "address", "addressId", 2,
					"clickAndCollectEnabled", 0));
	json_array_append_new(
		bp->price_lists,
		json_pack("{s:i,s:{s:s,s:s,s:s},s:s,s:s,s:s,s:i,"
			  "s:s,s:b}",
			  "id", 1, "name", "languageCode", "en", "text",
			  "Retail USD", "format", "PLAINTEXT", "code", "RETAIL",
			  "currencyCode", "USD", "currencySymbol", "$",
			  "currencyId", 1, "priceListTypeCode", "SELL", "gross",
			  0));
	json_array_append_new(bp->tax_codes,
			      json_pack("{s:i,s:s,s:s,s:f}", "id", 2, "code",
					"T", "description", "Taxable", "rate",
					10.0));
	json_array_append_new(bp->tax_codes,
			      json_pack("{s:i,s:s,s:s}", "id", 1, "code", "N",
					"description", "Not taxable"));
	json_array_append_new(bp->custom_meta,
			      json_pack("{s:i,s:s,s:s,s:s,s:b}", "id", 131,
					"code", "PCF_SOURCE", "name",
					"Order source", "customFieldType",
					"TEXT", "required", 0));
	json_array_append_new(
		bp->custom_meta,
		json_pack("{s:i,s:s,s:s,s:s,s:b,s:{s:{s:i,s:s},s:{s:i,s:s}}}",
			  "id", 132, "code", "PCF_GIFT", "name", "Gift wrap",
			  "customFieldType", "SELECT", "required", 0, "options",
			  "160", "id", 160, "value", "Yes", "161", "id", 161,
			  "value", "No"));
	json_array_append_new(bp->custom_meta,
			      json_pack("{s:i,s:s,s:s,s:s,s:b}", "id", 133,
					"code", "PCF_PRIORITY", "name",
					"Priority", "customFieldType", "YESNO",
					"required", 0));
}

void
bp_seed_demo(bp_state *bp)
{
	static const struct {
		const char *sku, *name;
		double price;
		int main_stock, store_stock;
	} cat[] = {
		{"TEE-RED-S", "Classic tee red S", 19.00, 40, 5},
		{"TEE-RED-M", "Classic tee red M", 19.00, 55, 8},
		{"TEE-RED-L", "Classic tee red L", 19.00, 30, 0},
		{"TEE-BLU-M", "Classic tee blue M", 19.00, 25, 4},
		{"HOOD-GRY-M", "Pullover hoodie grey M", 49.50, 12, 2},
		{"HOOD-GRY-L", "Pullover hoodie grey L", 49.50, 0, 3},
		{"CAP-BLK", "Baseball cap black", 15.00, 80, 10},
		{"MUG-LOGO", "Logo mug 350ml", 9.95, 120, 24},
		{"BAG-TOTE", "Canvas tote bag", 12.50, 60, 6},
		{"SOCK-3PK", "Crew socks 3-pack", 11.00, 90, 0},
		{"BTL-STEEL", "Steel bottle 750ml", 24.00, 18, 2},
		{"GIFT-CARD", "Gift card", 25.00, -1, -1},
	};
	size_t i;

	json_array_append_new(bp->warehouses,
			      json_pack("{s:i,s:s,s:s,s:s,s:{s:i},s:b}", "id",
					3, "name", "Retail store", "typeCode",
					"store", "typeDescription", "Store",
					"address", "addressId", 3,
					"clickAndCollectEnabled", 1));
	json_array_append_new(
		bp->channels,
		json_pack("{s:i,s:s,s:i,s:i,s:i,s:i,s:i,s:[i]}", "id", 1,
			  "name", "BigCommerce store", "channelTypeId", 1,
			  "defaultWarehouseId", 2, "contactGroupId", 1,
			  "defaultPriceListId", 1, "channelBrandId", 1,
			  "warehouseIds", 2));
	json_array_append_new(
		bp->channels,
		json_pack("{s:i,s:s,s:i,s:i,s:i,s:i,s:i,s:[i]}", "id", 2,
			  "name", "Retail store", "channelTypeId", 2,
			  "defaultWarehouseId", 3, "contactGroupId", 1,
			  "defaultPriceListId", 1, "channelBrandId", 1,
			  "warehouseIds", 3));
	json_array_append_new(bp->lead_sources,
			      json_pack("{s:i,s:s,s:i}", "id", 1, "name", "Web",
					"ownerId", 0));
	json_array_append_new(bp->lead_sources,
			      json_pack("{s:i,s:s,s:i}", "id", 2, "name",
					"Marketplace", "ownerId", 0));
	json_array_append_new(bp->projects, json_pack("{s:i,s:s}", "id", 1,
						      "name", "Online sales"));
	json_array_append_new(bp->shipping_methods,
			      json_pack("{s:i,s:s,s:s,s:b,s:i,s:s}", "id", 6,
					"name", "Standard shipping", "code",
					"STD", "additionalInformationRequired",
					0, "methodType", 1, "carrier", "USPS"));
	json_array_append_new(bp->shipping_methods,
			      json_pack("{s:i,s:s,s:s,s:b,s:i,s:s}", "id", 7,
					"name", "Express shipping", "code",
					"EXP", "additionalInformationRequired",
					0, "methodType", 1, "carrier", "UPS"));
	json_array_append_new(
		bp->payment_methods,
		json_pack("{s:s,s:s,s:b,s:[{s:i,s:s,s:s}],s:s}", "name",
			  "BigCommerce payments", "code", "BIGCOMMERCE",
			  "isActive", 1, "bankAccounts", "paymentMethodId", 1,
			  "currencyIsoCode", "USD", "bankAccountNominalCode",
			  "1200", "installedIntegrationId", "1"));
	json_array_append_new(bp->payment_methods,
			      json_pack("{s:s,s:s,s:b,s:[{s:i,s:s,s:s}],s:s}",
					"name", "PayPal", "code", "PAYPAL",
					"isActive", 1, "bankAccounts",
					"paymentMethodId", 2, "currencyIsoCode",
					"USD", "bankAccountNominalCode", "1210",
					"installedIntegrationId", "1"));
	for (i = 0; i < sizeof(cat) / sizeof(cat[0]); i++) {
		json_t *body = json_pack(
			"{s:i,s:{s:s},s:[{s:s,s:s}],s:{s:b}}", "brandId", 1,
			"identity", "sku", cat[i].sku, "salesChannels",
			"salesChannelName", "Brightpearl", "productName",
			cat[i].name, "stock", "stockTracked",
			cat[i].main_stock >= 0);
		int64_t pid = bp_product_create(bp, body);
		char key[32];

		json_decref(body);
		ID_KEY(key, pid);
		json_object_set_new(bp->prices, key,
				    json_pack("[{s:i,s:s,s:i,s:{s:o}}]",
					      "priceListId", 1, "currencyCode",
					      "USD", "currencyId", 1,
					      "quantityPrice", "1",
					      bp_money(cat[i].price)));
		if (cat[i].main_stock >= 0) {
			bp_stock_set(bp, pid, 2, cat[i].main_stock);
			bp_stock_set(bp, pid, 3, cat[i].store_stock);
		}
	}
	{
		json_t *c = json_pack("{s:s,s:s,s:{s:{s:{s:s}}}}", "firstName",
				      "Ada", "lastName", "Lovelace",
				      "communication", "emails", "PRI", "email",
				      "ada@example.com");

		bp_contact_create(bp, c);
		json_decref(c);
		c = json_pack("{s:s,s:s,s:{s:{s:{s:s}}}}", "firstName", "Alan",
			      "lastName", "Turing", "communication", "emails",
			      "PRI", "email", "alan@example.com");
		bp_contact_create(bp, c);
		json_decref(c);
	}
}

/* ---- simple lists ------------------------------------------------------- */

static void
list_get(sb_request *req, sb_response *resp, json_t *arr, const char *idkey,
	 const char *msgtype)
{
	bp_idset set;

	if (req->nparams == 0) {
		bp_ok(resp, json_deep_copy(arr));
	} else {
		if (idset_param(&set, P(req, 0), resp))
			return;
		bp_ok(resp,
		      bp_idset_select_arr(&set, arr, idkey, BP_IDSET_CAP));
	}
	bp_msgtype(resp, msgtype);
}

static int
r_warehouses(sb_platform *pf, sb_request *req, sb_response *resp)
{
	list_get(req, resp, S(pf)->warehouses, "id", "get-warehouse");
	return 0;
}

static int
r_channels(sb_platform *pf, sb_request *req, sb_response *resp)
{
	list_get(req, resp, S(pf)->channels, "id", "get-channel");
	return 0;
}

static int
r_lead_sources(sb_platform *pf, sb_request *req, sb_response *resp)
{
	list_get(req, resp, S(pf)->lead_sources, "id", "get-lead-source");
	return 0;
}

static int
r_projects(sb_platform *pf, sb_request *req, sb_response *resp)
{
	list_get(req, resp, S(pf)->projects, "id", "get-project");
	return 0;
}

static int
r_shipping_methods(sb_platform *pf, sb_request *req, sb_response *resp)
{
	list_get(req, resp, S(pf)->shipping_methods, "id",
		 "get-shipping-method");
	return 0;
}

static int
r_price_lists(sb_platform *pf, sb_request *req, sb_response *resp)
{
	list_get(req, resp, S(pf)->price_lists, "id", "get-price-list");
	return 0;
}

static int
r_tax_codes(sb_platform *pf, sb_request *req, sb_response *resp)
{
	list_get(req, resp, S(pf)->tax_codes, "id", "get-tax-code");
	return 0;
}

static int
r_statuses(sb_platform *pf, sb_request *req, sb_response *resp)
{
	list_get(req, resp, S(pf)->statuses, "statusId", "get-order-status");
	return 0;
}

/* Payment methods have no id field (section 9): id sets select by
 * position, 1-based. */
static int
r_payment_methods(sb_platform *pf, sb_request *req, sb_response *resp)
{
	json_t *arr = S(pf)->payment_methods, *out, *v;
	bp_idset set;
	size_t i;

	if (req->nparams == 0) {
		bp_ok(resp, json_deep_copy(arr));
		return 0;
	}
	if (idset_param(&set, P(req, 0), resp))
		return 0;
	out = json_array();
	json_array_foreach (arr, i, v)
		if (bp_idset_has(&set, (int64_t)i + 1))
			json_array_append(out, v);
	bp_ok(resp, out);
	return 0;
}

static int
r_status_post(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bp_state *bp = S(pf);
	json_t *in = body_object(req, resp);
	int64_t id;

	if (!in)
		return 0;
	if (!json_is_string(json_object_get(in, "name"))) {
		json_decref(in);
		bp_err(resp, 400, "ORDC-030", "You must supply a status name");
		return 0;
	}
	id = bp_next_id(bp, BP_SEQ_STATUS);
	json_array_append_new(
		bp->statuses,
		json_pack(
			"{s:I,s:O,s:s,s:i,s:b,s:b,s:s,s:i,s:[],s:s,s:b,"
			"s:s}",
			"statusId", (json_int_t)id, "name",
			json_object_get(in, "name"), "orderTypeCode",
			sb_json_str(json_object_get(in, "orderTypeCode"), "SO"),
			"sortOrder", (int)id * 10, "disabled", 0, "visible", 1,
			"color",
			sb_json_str(json_object_get(in, "color"), "#999999"),
			"remindAfterDays", 0, "alertEmails", "emailContent", "",
			"batchProcess", 0, "state", "open"));
	json_decref(in);
	bp_ok(resp, json_integer(id));
	bp_msgtype(resp, "post-order-status");
	return 0;
}

static int
r_order_types(sb_platform *pf, sb_request *req, sb_response *resp)
{
	(void)pf;
	(void)req;
	bp_ok(resp, json_pack("[{s:i,s:s,s:s},{s:i,s:s,s:s},{s:i,s:s,s:s},"
			      "{s:i,s:s,s:s}]",
			      "id", 1, "code", "SO", "description",
			      "SALES_ORDER", "id", 2, "code", "PO",
			      "description", "PURCHASE_ORDER", "id", 3, "code",
			      "SC", "description", "SALES_CREDIT", "id", 4,
			      "code", "PC", "description", "PURCHASE_CREDIT"));
	return 0;
}

static int
r_shipping_statuses(sb_platform *pf, sb_request *req, sb_response *resp)
{
	(void)pf;
	(void)req;
	/* recorded reply: {id, code, description} (vicvans20/ruby-brightpearl
	 * spec/fixtures/order_shipping_status_get.yml) */
	bp_ok(resp, json_pack("[{s:i,s:s,s:s},{s:i,s:s,s:s},{s:i,s:s,s:s},"
			      "{s:i,s:s,s:s}]",
			      "id", 1, "code", "NST", "description",
			      "No stock tracked products on order", "id", 2,
			      "code", "SNS", "description", "Stock not shipped",
			      "id", 3, "code", "SPS", "description",
			      "Stock part shipped", "id", 4, "code", "ASS",
			      "description", "All stock shipped"));
	bp_msgtype(resp, "get-order-shipping-status");
	return 0;
}

static int
r_stock_statuses(sb_platform *pf, sb_request *req, sb_response *resp)
{
	(void)pf;
	(void)req;
	bp_ok(resp, json_pack("[{s:i,s:s,s:s},{s:i,s:s,s:s},{s:i,s:s,s:s},"
			      "{s:i,s:s,s:s}]",
			      "id", 1, "code", "NON", "name",
			      "No stock-tracked items", "id", 2, "code", "SON",
			      "name", "None fulfilled", "id", 3, "code", "SOP",
			      "name", "Part fulfilled", "id", 4, "code", "SOA",
			      "name", "All fulfilled"));
	return 0;
}

/* ---- contacts (section 8) ----------------------------------------------- */

/*
 * Brightpearl takes countryIsoCode as "the country's 3 character ISO code"
 * (https://api-docs.brightpearl.com/contact/postal-address/post.html):
 * 1 (with a 400 in resp) when address a carries any other code, such as
 * the 2-letter one.  The error code and text are the simulator's own: no
 * recorded reply shows this refusal.
 */
static int
bad_country(json_t *a, sb_response *resp)
{
	const char *c = sb_json_str(json_object_get(a, "countryIsoCode"), NULL);

	if (c == NULL || bp_country(c, NULL, NULL) == 0)
		return 0;
	bp_err(resp, 400, "CMNC-400",
	       "countryIsoCode '%s' is not a 3 character ISO country code", c);
	return 1;
}

/* Add the fields a recorded address GET carries next to countryIsoCode:
 * countryIsoCode2 and countryId (postal-address/get.html). */
static void
address_country_fields(json_t *a)
{
	const char *c = sb_json_str(json_object_get(a, "countryIsoCode"), NULL);
	const char *c2;
	int64_t id;

	if (c == NULL || bp_country(c, &c2, &id) != 0)
		return;
	json_object_set_new(a, "countryIsoCode2", json_string(c2));
	json_object_set_new(a, "countryId", json_integer(id));
}

/* Brightpearl's contact name limits: salutation, firstName and lastName
 * "Max length 32 chars" (https://api-docs.brightpearl.com/contact/contact/
 * post.html), counted in characters. */
static int
name_too_long(json_t *c)
{
	static const char *const keys[] = {"salutation", "firstName",
					   "lastName"};
	size_t i;

	for (i = 0; i < 3; i++) {
		const char *v = sb_json_str(json_object_get(c, keys[i]), "");
		size_t n = 0;

		for (; *v; v++)
			n += ((unsigned char)*v & 0xc0) != 0x80;
		if (n > 32)
			return 1;
	}
	return 0;
}

/* Accept nested communication.emails.PRI.email and flat emails.PRI. */
static const char *
contact_email(json_t *c, const char *slot)
{
	json_t *e = json_object_get(
		json_object_get(json_object_get(c, "communication"), "emails"),
		slot);

	if (json_is_object(e))
		return sb_json_str(json_object_get(e, "email"), NULL);
	e = json_object_get(json_object_get(c, "emails"), slot);
	if (json_is_string(e))
		return json_string_value(e);
	if (json_is_object(e))
		return sb_json_str(json_object_get(e, "email"), NULL);
	return NULL;
}

int64_t
bp_contact_create(bp_state *bp, json_t *body)
{
	int64_t id = bp_next_id(bp, BP_SEQ_CONTACT);
	json_t *c = json_deep_copy(body), *emails;
	const char *slots[] = {"PRI", "SEC", "TER"};
	char key[32], when[48];
	size_t i;

	/* store the nested form whichever was sent */
	emails = json_object();
	for (i = 0; i < 3; i++) {
		const char *e = contact_email(body, slots[i]);

		if (e)
			json_object_set_new(emails, slots[i],
					    json_pack("{s:s}", "email", e));
	}
	json_object_del(c, "emails");
	if (!json_is_object(json_object_get(c, "communication")))
		json_object_set_new(c, "communication", json_object());
	json_object_set_new(json_object_get(c, "communication"), "emails",
			    emails);
	if (json_is_object(json_object_get(body, "telephones"))) {
		json_object_set(json_object_get(c, "communication"),
				"telephones",
				json_object_get(body, "telephones"));
		json_object_del(c, "telephones");
	}
	json_object_set_new(c, "contactId", json_integer(id));
	json_object_set_new(c, "isPrimaryContact", json_true());
	/* the members every recorded contact GET has, empty or default
	 * (vicvans20/ruby-brightpearl spec/fixtures/customer/get/
	 * simple_get.yml): a JSON-Patch "add" below them then has a parent */
	{
		json_t *comm = json_object_get(c, "communication");
		static const char *const objs[] = {
			"emails", "telephones", "messagingVoips", "websites"};

		for (i = 0; i < 4; i++)
			if (!json_is_object(json_object_get(comm, objs[i])))
				json_object_set_new(comm, objs[i],
						    json_object());
		if (!json_object_get(c, "salutation"))
			json_object_set_new(c, "salutation", json_string(""));
		if (!json_object_get(c, "contactStatus"))
			json_object_set_new(c, "contactStatus",
					    json_pack("{s:{s:i}}", "current",
						      "contactStatusId", 0));
		if (!json_object_get(c, "marketingDetails"))
			json_object_set_new(
				c, "marketingDetails",
				json_pack("{s:b}", "isReceiveEmailNewsletter",
					  0));
		if (!json_object_get(c, "financialDetails"))
			json_object_set_new(c, "financialDetails",
					    json_object());
		if (!json_object_get(c, "assignment"))
			json_object_set_new(c, "assignment",
					    json_pack("{s:{}}", "current"));
		if (!json_object_get(c, "organisation"))
			json_object_set_new(c, "organisation", json_object());
		json_object_set_new(json_object_get(c, "organisation"),
				    "organisationId", json_integer(id));
		json_object_set_new(c, "tradeStatus", json_string("UNKNOWN"));
		json_object_set_new(c, "contactTags", json_string(""));
		json_object_set_new(c, "aliases", json_object());
		json_object_set_new(c, "companyId", json_integer(0));
	}
	if (!json_object_get(c, "relationshipToAccount"))
		json_object_set_new(
			c, "relationshipToAccount",
			json_pack("{s:b,s:b}", "isSupplier", 0, "isStaff", 0));
	json_object_set_new(c, "createdByid", json_integer(4));
	json_object_set_new(c, "createdOn",
			    json_string(now_iso(when, sizeof(when))));
	json_object_set_new(c, "updatedOn", json_string(when));
	ID_KEY(key, id);
	json_object_set_new(bp->contacts, key, c);
	return id;
}

static int
r_contact_post(sb_platform *pf, sb_request *req, sb_response *resp)
{
	json_t *in = body_object(req, resp);

	if (!in)
		return 0;
	if (name_too_long(in)) {
		json_decref(in);
		bp_err(resp, 400, "CONC-012",
		       "First and last names are limited to 32 characters");
		return 0;
	}
	bp_ok(resp, json_integer(bp_contact_create(S(pf), in)));
	bp_msgtype(resp, "post-contact");
	json_decref(in);
	return 0;
}

static int
r_contact_get(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bp_state *bp = S(pf);
	bp_idset set = {1, 0, {0}, {0}};
	json_t *list, *out;
	size_t n;

	if (req->nparams > 0 && idset_param(&set, P(req, 0), resp))
		return 0;
	list = bp_idset_select(&set, bp->contacts,
			       req->nparams ? BP_IDSET_CAP : BP_PAGE_MAX);
	n = json_array_size(list);
	if (n == 0) {
		json_decref(list);
		bp_err(resp, 404, "CMNC-404", "No Contact Found");
		return 0;
	}
	out = json_pack("{s:o,s:{s:b,s:I,s:i,s:I},s:[{s:s,s:s}]}", "response",
			list, "pagination", "morePagesAvailable", 0,
			"resultsReturned", (json_int_t)n, "firstResult", 1,
			"lastResult", (json_int_t)n, "sorting", "field",
			"contactId", "direction", "ASC");
	sb_resp_json(resp, 200, out, BP_CTYPE);
	bp_msgtype(resp, "get-contact");
	return 0;
}

/*
 * JSON-Patch (RFC 6902) on an object: replace, add and remove at any
 * depth ("/communication/telephones/PRI").  With allow_new the members
 * on the way are made as needed and a replace may create its member (the
 * custom-field map); without, the parent must exist and "replace" needs
 * the member itself (RFC 6902 section 4.3), as Brightpearl answers an op
 * that does not fit the path with 500 CMNC-044 "Invalid patch operation
 * (op) for given path (path)" (vicvans20/ruby-brightpearl
 * spec/fixtures/order_patch_error_operation.yml).
 */
static int
apply_patch(json_t *target, json_t *ops, int allow_new, sb_response *resp)
{
	json_t *op;
	size_t i;

	if (!json_is_array(ops)) {
		bp_err(resp, 400, "CMNC-010",
		       "You must supply a JSON formatted body with your "
		       "request");
		return -1;
	}
	json_array_foreach (ops, i, op) {
		const char *kind = sb_json_str(json_object_get(op, "op"), "");
		const char *path = sb_json_str(json_object_get(op, "path"), "");
		json_t *parent = target;
		const char *seg = path + 1, *slash;
		char key[128];
		int ok = path[0] == '/' && path[1] != '\0';

		/* walk to the last segment's parent */
		while (ok && (slash = strchr(seg, '/')) != NULL) {
			json_t *next;

			snprintf(key, sizeof(key), "%.*s", (int)(slash - seg),
				 seg);
			next = json_object_get(parent, key);
			if (!json_is_object(next)) {
				if (!allow_new) {
					ok = 0;
					break;
				}
				next = json_object();
				json_object_set_new(parent, key, next);
			}
			parent = next;
			seg = slash + 1;
		}
		if (ok)
			snprintf(key, sizeof(key), "%s", seg);
		if (ok && strcmp(kind, "remove") == 0) {
			ok = json_object_get(parent, key) != NULL || allow_new;
			if (ok)
				json_object_del(parent, key);
		} else if (ok && (strcmp(kind, "replace") == 0 ||
				  strcmp(kind, "add") == 0)) {
			ok = strcmp(kind, "add") == 0 || allow_new ||
			     json_object_get(parent, key) != NULL;
			if (ok)
				json_object_set(parent, key,
						json_object_get(op, "value"));
		} else {
			ok = 0;
		}
		if (!ok) {
			bp_err(resp, 500, "CMNC-044",
			       "Invalid patch operation (%s) for given path "
			       "(%s)",
			       kind, path);
			return -1;
		}
	}
	return 0;
}

static int
r_contact_patch(sb_platform *pf, sb_request *req, sb_response *resp)
{
	json_t *c, *ops, *copy;
	int64_t id;
	char when[48];

	if (id_param(&id, P(req, 0), resp))
		return 0;
	c = get_by_id(S(pf)->contacts, id);
	if (!c) {
		bp_err(resp, 404, "CMNC-404", "No Contact Found");
		return 0;
	}
	ops = sb_req_json(req, NULL);
	/* on a copy: a refused op changes nothing */
	copy = json_deep_copy(c);
	if (apply_patch(copy, ops, 0, resp) == 0) {
		if (name_too_long(copy)) {
			bp_err(resp, 400, "CONC-012",
			       "First and last names are limited to 32 "
			       "characters");
		} else {
			json_object_set_new(
				copy, "updatedOn",
				json_string(now_iso(when, sizeof(when))));
			json_object_clear(c);
			json_object_update(c, copy);
			bp_ok(resp, json_deep_copy(c));
			bp_msgtype(resp, "patch-contact");
		}
	}
	json_decref(copy);
	json_decref(ops);
	return 0;
}

static int
r_address_post(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bp_state *bp = S(pf);
	json_t *in = body_object(req, resp);
	int64_t id;
	char key[32];

	if (!in)
		return 0;
	if (!json_is_string(json_object_get(in, "addressLine1"))) {
		json_decref(in);
		bp_err(resp, 400, "CONC-004", "addressLine1 is required");
		return 0;
	}
	if (bad_country(in, resp)) {
		json_decref(in);
		return 0;
	}
	address_country_fields(in);
	id = bp_next_id(bp, BP_SEQ_ADDRESS);
	json_object_set_new(in, "addressId", json_integer(id));
	ID_KEY(key, id);
	json_object_set_new(bp->addresses, key, in);
	bp_ok(resp, json_integer(id));
	return 0;
}

static int
r_address_get(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bp_idset set;

	if (idset_param(&set, P(req, 0), resp))
		return 0;
	bp_ok(resp, bp_idset_select(&set, S(pf)->addresses, BP_IDSET_CAP));
	return 0;
}

/* Link addresses [{postalAddressId, type}] to a contact (section 8). */
static int
r_contact_address_put(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bp_state *bp = S(pf);
	json_t *c, *in, *item, *ids;
	int64_t id, aid;
	size_t i;
	char when[48];

	if (id_param(&id, P(req, 0), resp))
		return 0;
	c = get_by_id(bp->contacts, id);
	if (!c) {
		bp_err(resp, 404, "CMNC-404", "No Contact Found");
		return 0;
	}
	in = sb_req_json(req, NULL);
	if (!json_is_array(in)) {
		json_decref(in);
		bp_err(resp, 400, "CMNC-010",
		       "You must supply a JSON formatted body with your "
		       "request");
		return 0;
	}
	json_array_foreach (in, i, item) {
		const char *type =
			sb_json_str(json_object_get(item, "type"), "");

		aid = sb_json_int(json_object_get(item, "postalAddressId"), -1);
		if (!get_by_id(bp->addresses, aid) ||
		    (strcmp(type, "DEF") && strcmp(type, "BIL") &&
		     strcmp(type, "DEL"))) {
			json_decref(in);
			bp_err(resp, 400, "CONC-009",
			       "Invalid postal address or address type");
			return 0;
		}
	}
	ids = json_object_get(c, "postAddressIds");
	if (!json_is_object(ids)) {
		ids = json_object();
		json_object_set_new(c, "postAddressIds", ids);
	}
	json_array_foreach (in, i, item)
		json_object_set(
			ids, json_string_value(json_object_get(item, "type")),
			json_object_get(item, "postalAddressId"));
	json_decref(in);
	json_object_set_new(c, "updatedOn",
			    json_string(now_iso(when, sizeof(when))));
	sb_resp_json(resp, 200, json_object(), BP_CTYPE);
	bp_msgtype(resp, "put-contact-postal-address");
	return 0;
}

static const bp_col contact_cols[] = {
	{"contactId", "IDSET", NULL},
	{"primaryEmail", "SEARCH_STRING", NULL},
	{"secondaryEmail", "SEARCH_STRING", NULL},
	{"tertiaryEmail", "SEARCH_STRING", NULL},
	{"firstName", "SEARCH_STRING", NULL},
	{"lastName", "SEARCH_STRING", NULL},
	{"isSupplier", "BOOLEAN", NULL},
	{"companyName", "SEARCH_STRING", NULL},
	{"isStaff", "BOOLEAN", NULL},
	{"isCustomer", "BOOLEAN", NULL},
	{"createdOn", "PERIOD", NULL},
	{"updatedOn", "PERIOD", NULL},
	{"lastContactedOn", "PERIOD", NULL},
	{"lastOrderedOn", "PERIOD", NULL},
	{"nominalCode", "INTEGER", NULL},
	{"isPrimary", "BOOLEAN", NULL},
	{"pri", "STRING", NULL},
	{"sec", "STRING", NULL},
	{"mob", "STRING", NULL},
	{"exactCompanyName", "STRING", NULL},
	{"title", "STRING", NULL},
};

/* A value of c at a dotted-free path a.b (or a), JSON null when absent. */
static json_t *
field_or_null(json_t *c, const char *a, const char *b)
{
	json_t *v = json_object_get(c, a);

	if (v && b)
		v = json_object_get(v, b);
	return v ? v : json_null();
}

/* One telephone slot (PRI, SEC, MOB) of a contact, nested or flat. */
static json_t *
contact_phone(json_t *c, const char *slot)
{
	json_t *t = json_object_get(
		json_object_get(json_object_get(c, "communication"),
				"telephones"),
		slot);

	if (!json_is_string(t))
		t = json_object_get(json_object_get(c, "telephones"), slot);
	return json_is_string(t) ? t : json_null();
}

static int
r_contact_search(sb_platform *pf, sb_request *req, sb_response *resp)
{
	json_t *rows = json_array(), *c;
	const char *k;

	json_object_foreach (S(pf)->contacts, k, c) {
		json_t *rel = json_object_get(c, "relationshipToAccount");
		json_t *org = field_or_null(c, "organisation", "name");
		json_t *nominal =
			field_or_null(c, "financialDetails", "nominalCode");
		const char *e1 = contact_email(c, "PRI"),
			   *e2 = contact_email(c, "SEC"),
			   *e3 = contact_email(c, "TER");
		int sup = json_is_true(json_object_get(rel, "isSupplier"));
		int staff = json_is_true(json_object_get(rel, "isStaff"));
		int64_t code = 0;

		/* nominalCode is stored as text ("0") and searched as INTEGER
		 */
		if (json_is_string(nominal) &&
		    sb_parse_int(json_string_value(nominal), &code) == 0)
			nominal = json_integer(code);
		else
			nominal = json_incref(json_is_integer(nominal)
						      ? nominal
						      : json_null());
		json_array_append_new(
			rows,
			json_pack(
				"[O,s?,s?,s?,O,O,b,O,b,b,O,O,O,O,o,O,O,O,O,O,"
				"O]",
				json_object_get(c, "contactId"), e1, e2, e3,
				field_or_null(c, "firstName", NULL),
				field_or_null(c, "lastName", NULL), sup, org,
				staff,
				/* "A contact can be only one of customer,
				 * supplier or staff" (api-docs.brightpearl.com
				 * contact/contact/search.html, isCustomer) */
				!sup && !staff,
				field_or_null(c, "createdOn", NULL),
				field_or_null(c, "updatedOn", NULL),
				field_or_null(c, "lastContactedOn", NULL),
				field_or_null(c, "lastOrderedOn", NULL),
				nominal,
				field_or_null(c, "isPrimaryContact", NULL),
				contact_phone(c, "PRI"),
				contact_phone(c, "SEC"),
				contact_phone(c, "MOB"), org,
				field_or_null(c, "salutation", NULL)));
	}
	bp_search(req, resp, contact_cols,
		  sizeof(contact_cols) / sizeof(contact_cols[0]), rows, NULL);
	return 0;
}

/* ---- products (section 10) ---------------------------------------------- */

int64_t
bp_product_create(bp_state *bp, json_t *body)
{
	int64_t id = bp_next_id(bp, BP_SEQ_PRODUCT);
	json_t *p = json_deep_copy(body);
	char key[32], when[48];

	bp->product_gen++;

	json_object_set_new(p, "id", json_integer(id));
	if (!json_is_object(json_object_get(p, "identity")))
		json_object_set_new(p, "identity", json_object());
	if (!json_is_object(json_object_get(p, "stock")))
		json_object_set_new(p, "stock",
				    json_pack("{s:b}", "stockTracked", 1));
	if (!json_object_get(json_object_get(p, "stock"), "stockTracked"))
		json_object_set_new(json_object_get(p, "stock"), "stockTracked",
				    json_true());
	if (!json_object_get(p, "productTypeId"))
		json_object_set_new(p, "productTypeId", json_integer(1));
	json_object_set_new(p, "status", json_string("LIVE"));
	json_object_set_new(p, "version", json_integer(1));
	json_object_set_new(p, "createdOn",
			    json_string(now_iso(when, sizeof(when))));
	json_object_set_new(p, "updatedOn", json_string(when));
	ID_KEY(key, id);
	json_object_set_new(bp->products, key, p);
	return id;
}

int64_t
bp_product_by_sku(bp_state *bp, const char *sku)
{
	const char *k;
	json_t *p;

	json_object_foreach (bp->products, k, p) {
		const char *s = sb_json_str(
			json_object_get(json_object_get(p, "identity"), "sku"),
			NULL);

		if (s && strcasecmp(s, sku) == 0)
			return sb_json_int(json_object_get(p, "id"), -1);
	}
	return -1;
}

static int
r_product_post(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bp_state *bp = S(pf);
	json_t *in = body_object(req, resp);
	int64_t id;

	if (!in)
		return 0;
	if (!json_object_get(in, "brandId")) {
		json_decref(in);
		bp_err(resp, 400, "PRDC-014", "You must supply a brand ID.");
		return 0;
	}
	id = bp_product_create(bp, in);
	json_decref(in);
	bp_fire(bp, "product.created", id);
	bp_ok(resp, json_integer(id));
	bp_msgtype(resp, "post-product");
	return 0;
}

static int
r_product_get(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bp_idset set;
	json_t *list, *p;
	size_t i;
	const char *inc = sb_req_query(req, "includeOptional");

	if (idset_param(&set, P(req, 0), resp))
		return 0;
	list = bp_idset_select(&set, S(pf)->products, BP_IDSET_CAP);
	if (!inc || !strstr(inc, "customFields")) {
		json_t *out = json_array();

		json_array_foreach (list, i, p) {
			json_t *c = json_deep_copy(p);

			json_object_del(c, "customFields");
			json_array_append_new(out, c);
		}
		json_decref(list);
		list = out;
	}
	bp_ok(resp, list);
	bp_msgtype(resp, "get-product");
	return 0;
}

static const bp_col product_cols[] = {
	{"productId", "IDSET", NULL},
	{"productName", "SEARCH_STRING", NULL},
	{"SKU", "STRING", NULL},
	{"barcode", "STRING", NULL},
	{"EAN", "STRING", NULL},
	{"UPC", "STRING", NULL},
	{"ISBN", "STRING", NULL},
	{"MPN", "STRING", NULL},
	{"stockTracked", "BOOLEAN", NULL},
	{"salesChannelName", "STRING", NULL},
	{"createdOn", "PERIOD", NULL},
	{"updatedOn", "PERIOD", NULL},
	{"brightpearlCategoryCode", "IDSET", NULL},
	{"productGroupId", "INTEGER", NULL},
	{"brandId", "IDSET", NULL},
	{"productTypeId", "IDSET", NULL},
	{"productStatus", "STRING", NULL},
	{"primarySupplierId", "IDSET", NULL},
};

static json_t *
jget(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return v ? v : json_null();
}

static int
cmp_first_int(const void *a, const void *b)
{
	json_int_t x =
		json_integer_value(json_array_get(*(json_t *const *)a, 0));
	json_int_t y =
		json_integer_value(json_array_get(*(json_t *const *)b, 0));

	return (x > y) - (x < y);
}

/* Sort an array of rows by their first cell (an integer id). */
static void
json_array_sort_by_first_int(json_t *rows)
{
	size_t n = json_array_size(rows), i;
	json_t **v = calloc(n ? n : 1, sizeof(*v));

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(rows, i));
	qsort(v, n, sizeof(*v), cmp_first_int);
	json_array_clear(rows);
	for (i = 0; i < n; i++)
		json_array_append_new(rows, v[i]);
	free(v);
}

static int
r_product_search(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bp_state *bp = S(pf);
	json_t *rows, *p, *ref = json_object();
	const char *k;

	if (bp->search_rows == NULL || bp->search_gen != bp->product_gen) {
		json_decref(bp->search_rows);
		bp->search_rows = rows = json_array();
		bp->search_gen = bp->product_gen;
		json_object_foreach (bp->products, k, p) {
			json_t *id = json_object_get(p, "identity");
			json_t *ch = json_array_get(
				json_object_get(p, "salesChannels"), 0);

			json_array_append_new(
				rows,
				json_pack("[O,O,O,O,O,O,O,O,b,O,O,O,n,O,O,O,O,"
					  "n]",
					  jget(p, "id"),
					  jget(ch, "productName"),
					  jget(id, "sku"), jget(id, "barcode"),
					  jget(id, "ean"), jget(id, "upc"),
					  jget(id, "isbn"), jget(id, "mpn"),
					  json_is_true(json_object_get(
						  json_object_get(p, "stock"),
						  "stockTracked")),
					  jget(ch, "salesChannelName"),
					  jget(p, "createdOn"),
					  jget(p, "updatedOn"),
					  jget(p, "productGroupId"),
					  jget(p, "brandId"),
					  jget(p, "productTypeId"),
					  jget(p, "status")));
		}
		/* by id, the search's default order, once */
		json_array_sort_by_first_int(rows);
	}
	/* no product is in a category here: bp_search lists each row
	 * returned with an empty membership */
	json_object_set_new(ref, "productCategoryMembership", json_object());
	bp_search(req, resp, product_cols,
		  sizeof(product_cols) / sizeof(product_cols[0]),
		  json_incref(bp->search_rows), ref);
	return 0;
}

static int
r_product_price_get(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bp_state *bp = S(pf);
	bp_idset set;
	json_t *out = json_array(), *v;
	const char *k;

	if (idset_param(&set, P(req, 0), resp)) {
		json_decref(out);
		return 0;
	}
	json_object_foreach (bp->prices, k, v) {
		int64_t id;

		if (sb_parse_int(k, &id) == 0 && bp_idset_has(&set, id))
			json_array_append_new(out, json_pack("{s:I,s:O}",
							     "productId",
							     (json_int_t)id,
							     "priceLists", v));
	}
	if (json_array_size(out) == 0) {
		json_decref(out);
		bp_err(resp, 404, "CMNC-404", "No Product Prices Found");
		return 0;
	}
	bp_ok(resp, out);
	return 0;
}

static int
r_product_price_put(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bp_state *bp = S(pf);
	json_t *in = body_object(req, resp), *pl, *cur;
	int64_t id;
	size_t i;
	char key[32];

	if (!in)
		return 0;
	if (id_param(&id, P(req, 0), resp) || !get_by_id(bp->products, id)) {
		if (!resp->status)
			bp_err(resp, 404, "CMNC-404", "No Product Found");
		json_decref(in);
		return 0;
	}
	ID_KEY(key, id);
	cur = json_object_get(bp->prices, key);
	if (!cur) {
		cur = json_array();
		json_object_set_new(bp->prices, key, cur);
	}
	json_array_foreach (json_object_get(in, "priceLists"), i, pl) {
		json_t *q = json_object(), *v, *e;
		const char *qk;
		size_t j;
		int found = 0;

		json_object_foreach (json_object_get(pl, "quantityPrice"), qk,
				     v)
			json_object_set_new(q, qk, bp_money(bp_num(v, 0)));
		json_array_foreach (cur, j, e) {
			if (json_equal(json_object_get(e, "priceListId"),
				       json_object_get(pl, "priceListId"))) {
				json_object_set(e, "quantityPrice", q);
				found = 1;
			}
		}
		if (!found)
			json_array_append_new(
				cur,
				json_pack("{s:O,s:s,s:i,s:O}", "priceListId",
					  json_object_get(pl, "priceListId"),
					  "currencyCode", "USD", "currencyId",
					  1, "quantityPrice", q));
		json_decref(q);
	}
	json_decref(in);
	bp_ok(resp, NULL);
	return 0;
}

/* ---- availability (section 11) ------------------------------------------ */

static int
r_availability(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bp_state *bp = S(pf);
	bp_idset set;
	json_t *out = json_object(), *whs, *pids = NULL, *jk;
	const char *pk, *wk;
	size_t ip;

	if (idset_param(&set, P(req, 0), resp)) {
		json_decref(out);
		return 0;
	}
	/* a set smaller than the stock table: its ids looked up one by one
	 * (the keys, sorted, in pids), else a scan of the table */
	if (bp_idset_span(&set) <= json_object_size(bp->stock)) {
		size_t r;
		int64_t id;

		pids = json_array();
		for (r = 0; r < set.n; r++)
			for (id = set.lo[r]; id <= set.hi[r]; id++) {
				char key[32];

				ID_KEY(key, id);
				if (json_object_get(bp->stock, key))
					json_array_append_new(pids,
							      json_string(key));
			}
	} else {
		pids = json_array();
		json_object_foreach (bp->stock, pk, whs)
			json_array_append_new(pids, json_string(pk));
	}
	json_array_foreach (pids, ip, jk) {
		int64_t pid;
		json_t *p, *w, *total, *wout;
		int64_t ti = 0, ta = 0;

		pk = json_string_value(jk);
		whs = json_object_get(bp->stock, pk);
		if (sb_parse_int(pk, &pid) || !bp_idset_has(&set, pid))
			continue;
		p = get_by_id(bp->products, pid);
		/* only stock-tracked products appear */
		if (!p || !json_is_true(json_object_get(
				  json_object_get(p, "stock"), "stockTracked")))
			continue;
		wout = json_object();
		json_object_foreach (whs, wk, w) {
			int64_t in = json_integer_value(
					json_object_get(w, "inStock")),
				al = json_integer_value(
					json_object_get(w, "allocated"));

			ti += in;
			ta += al;
			json_object_set_new(
				wout, wk,
				json_pack("{s:I,s:I,s:I,s:i}", "inStock",
					  (json_int_t)in, "onHand",
					  (json_int_t)(in - al), "allocated",
					  (json_int_t)al, "inTransit", 0));
		}
		total = json_pack("{s:I,s:I,s:I,s:i}", "inStock",
				  (json_int_t)ti, "onHand",
				  (json_int_t)(ti - ta), "allocated",
				  (json_int_t)ta, "inTransit", 0);
		json_object_set_new(out, pk,
				    json_pack("{s:o,s:o}", "total", total,
					      "warehouses", wout));
	}
	json_decref(pids);
	bp_ok(resp, out);
	bp_msgtype(resp, "get-product-availability");
	return 0;
}

/* ---- orders (section 7) ------------------------------------------------- */

static json_t *
status_by_id(bp_state *bp, int64_t id)
{
	json_t *s;
	size_t i;

	json_array_foreach (bp->statuses, i, s)
		if (sb_json_int(json_object_get(s, "statusId"), -1) == id)
			return s;
	return NULL;
}

static double
order_net(json_t *o, double *tax)
{
	json_t *r;
	size_t i;
	double net = 0;

	*tax = 0;
	json_array_foreach (json_object_get(o, "rows"), i, r) {
		net += bp_num(json_object_get(r, "net"), 0);
		*tax += bp_num(json_object_get(r, "tax"), 0);
	}
	return net;
}

/* What a payment adds to its order's paid amount (section 9). */
static double
payment_effect(json_t *p)
{
	const char *t = sb_json_str(json_object_get(p, "paymentType"), "");
	double v = bp_num(json_object_get(p, "amountPaid"), 0);

	if (!strcmp(t, "RECEIPT") || !strcmp(t, "CAPTURE"))
		return v;
	if (!strcmp(t, "PAYMENT"))
		return -v;
	return 0;
}

/* Keep the order's running paid total ("_paid") in step. */
static void
order_paid_add(bp_state *bp, json_t *payment, double sign)
{
	json_t *o =
		get_by_id(bp->orders,
			  sb_json_int(json_object_get(payment, "orderId"), -1));

	if (o)
		json_object_set_new(o, "_paid",
				    json_real(json_number_value(json_object_get(
						      o, "_paid")) +
					      sign * payment_effect(payment)));
}

static double
order_paid(bp_state *bp, int64_t order_id)
{
	return json_number_value(
		json_object_get(get_by_id(bp->orders, order_id), "_paid"));
}

static const char *
payment_status(bp_state *bp, json_t *o)
{
	double tax, total = order_net(o, &tax);
	double paid = order_paid(bp, sb_json_int(json_object_get(o, "id"), 0));

	total += tax;
	if (total <= 0.00005)
		return "NOT_APPLICABLE";
	if (paid >= total - 0.00005)
		return "PAID";
	return paid > 0.00005 ? "PARTIALLY_PAID" : "UNPAID";
}

/* Shipping (NST/SNS/SPS/ASS), stock (NON/SON/SOP/SOA), allocation. */
static void
fulfilment(json_t *o, const char **ship, const char **stock, const char **alloc)
{
	json_t *r;
	size_t i;
	int64_t want = 0, shipped = 0, ongon = 0;

	json_array_foreach (json_object_get(o, "rows"), i, r) {
		if (!json_object_get(r, "productId"))
			continue;
		want += row_qty(r);
		shipped += sb_json_int(json_object_get(r, "_shipped"), 0);
		ongon += sb_json_int(json_object_get(r, "_onGon"), 0);
	}
	if (want == 0) {
		*ship = "NST";
		*stock = "NON";
		*alloc = "ANR";
		return;
	}
	*ship = shipped == 0 ? "SNS" : shipped < want ? "SPS" : "ASS";
	*stock = ongon == 0 ? "SON" : ongon < want ? "SOP" : "SOA";
	*alloc = ongon == 0 ? "ANA" : ongon < want ? "APA" : "AAA";
}

static json_t *
addr_or_empty(json_t *v)
{
	return json_is_object(v) ? json_deep_copy(v) : json_object();
}

json_t *
bp_render_order(bp_state *bp, json_t *o)
{
	json_t *out, *rows = json_object(), *r, *cust, *bill, *status;
	const char *ship, *stock, *alloc;
	double tax, net = order_net(o, &tax);
	const char *cur = sb_json_str(
		json_object_get(json_object_get(o, "currency"), "code"), "USD");
	size_t i;

	json_array_foreach (json_object_get(o, "rows"), i, r) {
		char key[32];
		double qty = bp_num(json_object_get(r, "quantity"), 0);
		double rn = bp_num(json_object_get(r, "net"), 0);
		char qbuf[32];

		snprintf(qbuf, sizeof(qbuf), "%.4f", qty);
		ID_KEY(key, sb_json_int(json_object_get(r, "id"), 0));
		json_object_set_new(
			rows, key,
			json_pack(
				"{s:s,s:I,s:O,s:O,s:{s:s},s:{s:s,s:o},"
				"s:{s:s,s:o},s:s,s:{s:s,s:s,s:s,s:{s:s,s:o},"
				"s:{s:s,s:o}},s:s,s:{s:b,s:b,s:i},s:i}",
				"orderRowSequence",
				sb_json_str(json_object_get(r, "sequence"),
					    "10"),
				"productId",
				(json_int_t)sb_json_int(
					json_object_get(r, "productId"), 0),
				"productName", jget(r, "name"), "productSku",
				jget(r, "sku"), "quantity", "magnitude", qbuf,
				"itemCost", "currencyCode", cur, "value",
				bp_money(0), "productPrice", "currencyCode",
				cur, "value", bp_money(qty > 0 ? rn / qty : 0),
				"discountPercentage", "0.00", "rowValue",
				"taxRate", "0.0000", "taxCode",
				sb_json_str(json_object_get(r, "taxCode"), "T"),
				"taxCalculator", "brightpearl", "rowNet",
				"currencyCode", cur, "value", bp_money(rn),
				"rowTax", "currencyCode", cur, "value",
				bp_money(bp_num(json_object_get(r, "tax"), 0)),
				"nominalCode",
				sb_json_str(json_object_get(r, "nominalCode"),
					    "4000"),
				"composition", "bundleParent", 0, "bundleChild",
				0, "parentOrderRowId", 0, "clonedFromId", 0));
		/* a row's externalRef on /order/ GETs: UNCONFIRMED, served
		 * like the order's (README) */
		if (json_is_string(json_object_get(r, "externalRef")))
			json_object_set(json_object_get(rows, key),
					"externalRef",
					json_object_get(r, "externalRef"));
	}
	fulfilment(o, &ship, &stock, &alloc);
	status = status_by_id(bp,
			      sb_json_int(json_object_get(o, "statusId"), 0));
	cust = addr_or_empty(
		json_object_get(json_object_get(o, "customer"), "address"));
	json_object_set(cust, "contactId",
			jget(json_object_get(o, "customer"), "id"));
	bill = addr_or_empty(
		json_object_get(json_object_get(o, "billing"), "address"));
	json_object_set(
		bill, "contactId",
		json_object_get(json_object_get(o, "billing"), "contactId")
			? json_object_get(json_object_get(o, "billing"),
					  "contactId")
			: jget(json_object_get(o, "customer"), "id"));
	out = json_pack(
		"{s:O,s:I,s:O,s:O,s:O,s:{s:s},s:{s:O,s:O},s:{s:[]},s:s,s:s,"
		"s:s,s:s,s:O,s:O,s:O,s:i,s:O,s:O,s:{s:O,s:O},s:[],"
		"s:{s:s,s:s,s:s,s:b},s:{s:o,s:o,s:o,s:o,s:o,s:o},"
		"s:{s:{s:O,s:O,s:O,s:O,s:O}},s:{s:o,s:o,s:o},s:o,s:O,s:i,"
		"s:b,s:i}",
		"id", jget(o, "id"), "parentOrderId",
		(json_int_t)sb_json_int(json_object_get(o, "parentId"), 0),
		"orderTypeCode", jget(o, "orderTypeCode"), "reference",
		jget(o, "ref"), "version", jget(o, "version"), "state", "tax",
		"NOT_INVOICED", "orderStatus", "orderStatusId",
		jget(o, "statusId"), "name", jget(status, "name"), "tax",
		"errors", "orderPaymentStatus", payment_status(bp, o),
		"stockStatusCode", stock, "allocationStatusCode", alloc,
		"shippingStatusCode", ship, "placedOn", jget(o, "placedOn"),
		"createdOn", jget(o, "createdOn"), "updatedOn",
		jget(o, "updatedOn"), "createdById", 4, "priceListId",
		jget(o, "priceListId"), "priceModeCode",
		jget(o, "priceModeCode"), "delivery", "deliveryDate",
		jget(json_object_get(o, "delivery"), "date"),
		"shippingMethodId",
		jget(json_object_get(o, "delivery"), "shippingMethodId"),
		"invoices", "currency", "accountingCurrencyCode", "USD",
		"orderCurrencyCode", cur, "exchangeRate", "1.000000",
		"fixedExchangeRate", 0, "totalValue", "net", bp_money(net),
		"taxAmount", bp_money(tax), "baseNet", bp_money(net),
		"baseTaxAmount", bp_money(tax), "baseTotal",
		bp_money(net + tax), "total", bp_money(net + tax), "assignment",
		"current", "staffOwnerContactId", jget(o, "staffOwnerId"),
		"projectId", jget(o, "projectId"), "channelId",
		jget(o, "channelId"), "leadSourceId", jget(o, "leadSourceId"),
		"teamId", jget(o, "teamId"), "parties", "customer", cust,
		"delivery",
		addr_or_empty(json_object_get(json_object_get(o, "delivery"),
					      "address")),
		"billing", bill, "orderRows", rows, "warehouseId",
		jget(o, "warehouseId"), "acknowledged", 0, "historicalOrder", 0,
		"orderWeighting", 100);
	if (!json_is_string(json_object_get(o, "ref")))
		json_object_set_new(out, "reference", json_string(""));
	if (!json_object_get(json_object_get(o, "delivery"),
			     "shippingMethodId"))
		json_object_set_new(json_object_get(out, "delivery"),
				    "shippingMethodId", json_integer(0));
	/* invoiced (control call "invoice"): recorded shape, section 7.3 */
	if (json_object_get(o, "_invoice")) {
		json_object_set_new(json_object_get(out, "state"), "tax",
				    json_string("INVOICED"));
		json_array_append(json_object_get(out, "invoices"),
				  json_object_get(o, "_invoice"));
	}
	/* externalRef on /order/ GETs is UNCONFIRMED; served (README). */
	if (json_object_get(o, "externalRef"))
		json_object_set(out, "externalRef",
				json_object_get(o, "externalRef"));
	if (json_object_get(o, "installedIntegrationInstanceId"))
		json_object_set(
			out, "installedIntegrationInstanceId",
			json_object_get(o, "installedIntegrationInstanceId"));
	/* nulls are omitted in Brightpearl replies */
	{
		const char *k;
		json_t *v;
		void *tmp;

		json_object_foreach_safe (out, tmp, k, v)
			if (json_is_null(v))
				json_object_del(out, k);
		json_object_foreach_safe (json_object_get(out, "delivery"), tmp,
					  k, v)
			if (json_is_null(v))
				json_object_del(
					json_object_get(out, "delivery"), k);
		json_object_foreach_safe (
			json_object_get(json_object_get(out, "assignment"),
					"current"),
			tmp, k, v)
			if (json_is_null(v))
				json_object_set_new(
					json_object_get(
						json_object_get(out,
								"assignment"),
						"current"),
					k, json_integer(0));
	}
	return out;
}

/* /sales-order/ GET shape: the POST shape plus read-only fields. */
static json_t *
render_sales_order(bp_state *bp, json_t *o)
{
	json_t *out = clean(o), *rows = json_array(), *r;
	const char *ship, *stock, *alloc;
	double tax, net = order_net(o, &tax);
	size_t i;

	json_array_foreach (json_object_get(o, "rows"), i, r) {
		json_t *c = clean(r);

		json_object_set_new(c, "bundleChild", json_false());
		json_object_set_new(c, "bundleParent", json_false());
		json_object_set_new(c, "parentRowId", json_integer(0));
		json_array_append_new(rows, c);
	}
	json_object_set_new(out, "rows", rows);
	json_object_del(out, "customFields");
	/* "version" stays: the PUT wants it back in If-Match and its page
	 * names the latest GET as the place to take it from (README,
	 * choices); the /order/ GET has it as recorded (section 7.3). */
	if (json_object_get(o, "_invoice"))
		json_object_set(out, "invoice", json_object_get(o, "_invoice"));
	fulfilment(o, &ship, &stock, &alloc);
	json_object_set_new(out, "createdBy", json_integer(4));
	json_object_set_new(out, "total",
			    json_pack("{s:o,s:o,s:o,s:o,s:o,s:o}", "net",
				      bp_money(net), "tax", bp_money(tax),
				      "gross", bp_money(net + tax), "baseNet",
				      bp_money(net), "baseTax", bp_money(tax),
				      "baseGross", bp_money(net + tax)));
	json_object_set_new(
		out, "isCanceled",
		json_boolean(sb_json_int(json_object_get(o, "statusId"), 0) ==
			     5));
	json_object_set_new(out, "orderPaymentStatus",
			    json_string(payment_status(bp, o)));
	json_object_set_new(out, "allocationStatusCode", json_string(alloc));
	json_object_set_new(out, "shippingStatusCode", json_string(ship));
	return out;
}

static int
valid_number(json_t *v)
{
	return !v || json_is_number(v) ||
	       (json_is_string(v) && bp_num(v, NAN) == bp_num(v, NAN));
}

/*
 * One sales-order row as stored, from request row r (number i, 0-based):
 * validated as the POST validates it (section 7.1), without its id.
 * NULL after an error reply.
 */
static json_t *
row_build(bp_state *bp, json_t *r, size_t i, sb_response *resp)
{
	json_t *row, *p = NULL;
	json_t *pid = json_object_get(r, "productId");
	char q[32];

	if (!json_is_object(r) ||
	    !valid_number(json_object_get(r, "quantity")) ||
	    !valid_number(json_object_get(r, "net")) ||
	    !valid_number(json_object_get(r, "tax"))) {
		bp_err(resp, 400, "ORDC-020",
		       "Row %zu: quantity, net and tax must be numbers", i + 1);
		return NULL;
	}
	if (pid) {
		p = get_by_id(bp->products, sb_json_int(pid, -1));
		if (!p) {
			bp_err(resp, 400, "ORDC-021",
			       "Product %lld does not exist",
			       (long long)sb_json_int(pid, -1));
			return NULL;
		}
	} else if (!json_is_string(json_object_get(r, "name"))) {
		bp_err(resp, 400, "ORDC-022",
		       "Row %zu needs a productId or a name", i + 1);
		return NULL;
	}
	row = json_deep_copy(r);
	if (p) {
		json_object_set_new(row, "productId",
				    json_integer(sb_json_int(pid, 0)));
		json_object_set(row, "sku",
				jget(json_object_get(p, "identity"), "sku"));
		if (!json_object_get(row, "name"))
			json_object_set(
				row, "name",
				jget(json_array_get(json_object_get(
							    p, "salesChannels"),
						    0),
				     "productName"));
	}
	snprintf(q, sizeof(q), "%.4f",
		 bp_num(json_object_get(r, "quantity"), 1));
	json_object_set_new(row, "quantity", json_string(q));
	json_object_set_new(row, "net",
			    bp_money(bp_num(json_object_get(r, "net"), 0)));
	json_object_set_new(row, "tax",
			    bp_money(bp_num(json_object_get(r, "tax"), 0)));
	return row;
}

/*
 * A sales-order row's tax code (number i, 0-based): 0, or -1 after an
 * error reply.  Required: the Sales Order POST and Sales Order Row PUT
 * pages list rows[].taxCode as required
 * (api-docs.brightpearl.com/order/sales-order/post.html,
 * api-docs.brightpearl.com/order/sales-order-row/put.html).  That an
 * unknown code is refused is no source's word: the strictness switch
 * "tax_code_known" (control call "strict"), on by default.  The codes
 * and wording are ours; the body is the recorded errors shape (§3).
 */
static int
row_tax_code(bp_state *bp, json_t *r, size_t i, sb_response *resp)
{
	const char *code = json_string_value(json_object_get(r, "taxCode"));
	json_t *t;
	size_t k;

	if (code == NULL || code[0] == '\0') {
		bp_err(resp, 400, "ORDC-023",
		       "Row %zu: you must supply a taxCode", i + 1);
		return -1;
	}
	if (!bp_strict(bp, "tax_code_known"))
		return 0;
	json_array_foreach (bp->tax_codes, k, t)
		if (strcmp(sb_json_str(json_object_get(t, "code"), ""), code) ==
		    0)
			return 0;
	bp_err(resp, 400, "ORDC-024", "Row %zu: tax code %s does not exist",
	       i + 1, code);
	return -1;
}

/* The sales-order POST's defaults for fields not sent (section 7.1); the
 * PUT, being replacement-style, applies them again. */
static void
order_defaults(json_t *o)
{
	if (!json_object_get(o, "warehouseId"))
		json_object_set_new(o, "warehouseId", json_integer(2));
	if (!json_object_get(o, "priceListId"))
		json_object_set_new(o, "priceListId", json_integer(1));
	if (!json_object_get(o, "priceModeCode"))
		json_object_set_new(o, "priceModeCode", json_string("EXC"));
	if (!json_object_get(o, "currency"))
		json_object_set_new(o, "currency",
				    json_pack("{s:s}", "code", "USD"));
}

/* Shared by sales-order and sales-credit POST (sections 7.1, 7.8). */
static void
order_create(bp_state *bp, sb_request *req, sb_response *resp, const char *type)
{
	json_t *in = body_object(req, resp), *o, *rows, *r;
	json_t *cust_id;
	const char *ext;
	int64_t iiid, id;
	char key[32], guard[300], when[48];
	size_t i;

	if (!in)
		return;
	cust_id = json_object_get(json_object_get(in, "customer"), "id");
	if (!cust_id)
		cust_id = json_object_get(in, "customerId");
	if (!cust_id) {
		bp_err(resp, 400, "ORDC-012", "You must supply a customer id");
		goto done;
	}
	/* the parties' addresses take the 3-letter countryIsoCode too
	 * (sales-order/post: the same address fields as postal-address) */
	if (bad_country(
		    json_object_get(json_object_get(in, "customer"), "address"),
		    resp) ||
	    bad_country(
		    json_object_get(json_object_get(in, "billing"), "address"),
		    resp) ||
	    bad_country(
		    json_object_get(json_object_get(in, "delivery"), "address"),
		    resp))
		goto done;
	if (!get_by_id(bp->contacts, sb_json_int(cust_id, -1))) {
		bp_err(resp, 400, "ORDC-013", "Customer %lld does not exist",
		       (long long)sb_json_int(cust_id, -1));
		goto done;
	}
	if (json_object_get(in, "statusId") &&
	    !status_by_id(bp,
			  sb_json_int(json_object_get(in, "statusId"), -1))) {
		bp_err(resp, 400, "ORDC-014", "Order status %lld not found",
		       (long long)sb_json_int(json_object_get(in, "statusId"),
					      -1));
		goto done;
	}
	if (bp_strict(bp, "orderReferences")) {
		/* No recorded refusal (README, strictness switches): an id
		 * that names no warehouse, channel or price list of the
		 * account is refused rather than stored. */
		static const struct {
			const char *field, *what, *code;
			size_t off;
		} refs[] = {
			{"warehouseId", "Warehouse", "ORDC-060",
			 offsetof(bp_state, warehouses)},
			{"channelId", "Channel", "ORDC-061",
			 offsetof(bp_state, channels)},
			{"priceListId", "Price list", "ORDC-062",
			 offsetof(bp_state, price_lists)},
		};
		size_t k;

		for (k = 0; k < sizeof(refs) / sizeof(refs[0]); k++) {
			json_t *v = json_object_get(in, refs[k].field);
			json_t *lst = *(json_t **)((char *)bp + refs[k].off);
			int64_t rid = sb_json_int(v, -1);

			if (!v || json_is_null(v) ||
			    (rid == 0 &&
			     strcmp(refs[k].field, "channelId") == 0))
				continue;
			if (rid <= 0 || !list_has(lst, "id", rid)) {
				bp_err(resp, 400, refs[k].code,
				       "%s %lld does not exist", refs[k].what,
				       (long long)rid);
				goto done;
			}
		}
	}
	/* sales-credit/post: parentId links the credit to an existing
	 * order; one that names no sales order is refused */
	if (strcmp(type, "SC") == 0 && json_object_get(in, "parentId") &&
	    !json_is_null(json_object_get(in, "parentId"))) {
		json_t *parent = get_by_id(
			bp->orders,
			sb_json_int(json_object_get(in, "parentId"), -1));

		if (!parent ||
		    strcmp(sb_json_str(json_object_get(parent, "orderTypeCode"),
				       ""),
			   "SO") != 0) {
			bp_err(resp, 400, "ORDC-031",
			       "Parent order %lld is not a sales order",
			       (long long)sb_json_int(
				       json_object_get(in, "parentId"), -1));
			goto done;
		}
	}
	/* duplicate guard: externalRef + installedIntegrationInstanceId */
	ext = sb_json_str(json_object_get(in, "externalRef"), NULL);
	iiid = sb_json_int(
		json_object_get(in, "installedIntegrationInstanceId"), 0);
	guard[0] = '\0';
	if (ext && iiid) {
		json_t *prev;

		snprintf(guard, sizeof(guard), "%s|%s|%lld", type, ext,
			 (long long)iiid);
		prev = json_object_get(bp->dup_guard, guard);
		if (prev) {
			bp_ok(resp, json_incref(prev));
			bp_msgtype(resp, "post-sales-order");
			goto done;
		}
	}
	rows = json_array();
	json_array_foreach (json_object_get(in, "rows"), i, r) {
		json_t *row = row_build(bp, r, i, resp);

		/* the sales-credit POST takes the sales-order row fields
		 * (reference section 7.8), taxCode required among them */
		if (row && row_tax_code(bp, r, i, resp) < 0) {
			json_decref(row);
			row = NULL;
		}
		if (!row) {
			json_decref(rows);
			goto done;
		}
		json_object_set_new(row, "id",
				    json_integer(bp_next_id(bp, BP_SEQ_ROW)));
		json_array_append_new(rows, row);
	}
	id = bp_next_id(bp, BP_SEQ_ORDER);
	o = json_deep_copy(in);
	json_object_set_new(o, "id", json_integer(id));
	json_object_set_new(o, "orderTypeCode", json_string(type));
	if (!json_is_object(json_object_get(o, "customer")))
		json_object_set_new(o, "customer", json_object());
	json_object_set_new(json_object_get(o, "customer"), "id",
			    json_integer(sb_json_int(cust_id, 0)));
	json_object_del(o, "customerId");
	json_object_set_new(o, "rows", rows);
	if (!json_object_get(o, "statusId"))
		json_object_set_new(o, "statusId",
				    json_integer(strcmp(type, "SC") ? 2 : 10));
	order_defaults(o);
	now_iso(when, sizeof(when));
	if (!json_object_get(o, "placedOn"))
		json_object_set_new(o, "placedOn", json_string(when));
	json_object_set_new(o, "createdOn", json_string(when));
	json_object_set_new(o, "updatedOn", json_string(when));
	json_object_set_new(o, "version", json_integer(1));
	json_object_set_new(o, "customFields", json_object());
	ID_KEY(key, id);
	json_object_set_new(bp->orders, key, o);
	if (guard[0])
		json_object_set_new(bp->dup_guard, guard, json_integer(id));
	bp_ok(resp, json_integer(id));
	if (strcmp(type, "SO") == 0) {
		bp_msgtype(resp, "post-sales-order");
		bp_fire(bp, "sales-order.created", id);
		bp_fire(bp, "order.modified", id);
	} else {
		bp_msgtype(resp, "post-sales-credit");
	}
done:
	json_decref(in);
}

static int
r_sales_order_post(sb_platform *pf, sb_request *req, sb_response *resp)
{
	order_create(S(pf), req, resp, "SO");
	return 0;
}

static int
r_sales_credit_post(sb_platform *pf, sb_request *req, sb_response *resp)
{
	order_create(S(pf), req, resp, "SC");
	return 0;
}

/* Orders of the given type in the id set, sorted, at most the cap. */
static json_t *
orders_select(bp_state *bp, const bp_idset *set, const char *type)
{
	json_t *all = bp_idset_select(set, bp->orders, (size_t)-1);
	json_t *out = json_array(), *o;
	size_t i;

	json_array_foreach (all, i, o) {
		if (type &&
		    strcmp(sb_json_str(json_object_get(o, "orderTypeCode"), ""),
			   type) != 0)
			continue;
		if (json_array_size(out) >= BP_IDSET_CAP)
			break;
		json_array_append(out, o);
	}
	json_decref(all);
	return out;
}

static int
r_order_get(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bp_state *bp = S(pf);
	bp_idset set;
	json_t *list, *out = json_array(), *o;
	const char *inc = sb_req_query(req, "includeOptional");
	size_t i;

	if (idset_param(&set, P(req, 0), resp)) {
		json_decref(out);
		return 0;
	}
	list = orders_select(bp, &set, NULL);
	json_array_foreach (list, i, o) {
		json_t *r = bp_render_order(bp, o);

		if (inc && strstr(inc, "customFields"))
			json_object_set(r, "customFields",
					json_object_get(o, "customFields"));
		json_array_append_new(out, r);
	}
	json_decref(list);
	/* a missing order is 200 {"response":[]} (recorded) */
	bp_ok(resp, out);
	bp_msgtype(resp, "get-order");
	return 0;
}

static int
r_sales_order_get(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bp_state *bp = S(pf);
	bp_idset set;
	json_t *list, *out = json_array(), *o;
	size_t i;

	if (idset_param(&set, P(req, 0), resp)) {
		json_decref(out);
		return 0;
	}
	list = orders_select(bp, &set, "SO");
	json_array_foreach (list, i, o)
		json_array_append_new(out, render_sales_order(bp, o));
	json_decref(list);
	bp_ok(resp, out);
	bp_msgtype(resp, "get-sales-order");
	return 0;
}

/* Sales-credit GET: 207 when only some ids were found (section 3). */
static int
r_sales_credit_get(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bp_state *bp = S(pf);
	bp_idset set;
	json_t *list, *out = json_array(), *o;
	size_t i, asked = 0;

	if (idset_param(&set, P(req, 0), resp)) {
		json_decref(out);
		return 0;
	}
	for (i = 0; i < set.n; i++)
		asked += (size_t)(set.hi[i] - set.lo[i] + 1);
	list = orders_select(bp, &set, "SC");
	json_array_foreach (list, i, o)
		json_array_append_new(out, render_sales_order(bp, o));
	json_decref(list);
	bp_ok_status(resp,
		     json_array_size(out) > 0 && json_array_size(out) < asked
			     ? 207
			     : 200,
		     out);
	bp_msgtype(resp, "get-sales-credit");
	return 0;
}

/* OPTIONS on an id set: the ids that exist, normalised and chunked. */
static void
options_uris(sb_request *req, sb_response *resp, json_t *coll,
	     const char *prefix, const char *type)
{
	bp_idset set;
	json_t *list, *uris = json_array(), *o;
	size_t i, n;
	char uri[4096];
	size_t len = 0, in_chunk = 0;
	int64_t run_lo = -1, run_hi = -1;

	if (idset_param(&set, P(req, 0), resp)) {
		json_decref(uris);
		return;
	}
	list = bp_idset_select(&set, coll, (size_t)-1);
	n = json_array_size(list);
	uri[0] = '\0';
	for (i = 0; i <= n; i++) {
		int64_t id = -1;

		o = json_array_get(list, i);
		if (o && type &&
		    strcmp(sb_json_str(json_object_get(o, "orderTypeCode"), ""),
			   type) != 0)
			continue;
		if (o)
			id = sb_json_int(json_object_get(o, "id"), -1);
		if (o && run_lo >= 0 && id == run_hi + 1 &&
		    in_chunk < BP_IDSET_CAP) {
			run_hi = id;
			in_chunk++;
			continue;
		}
		if (run_lo >= 0) {
			int w;

			if (len == 0)
				w = snprintf(uri, sizeof(uri), "%s", prefix);
			else
				w = snprintf(uri + len, sizeof(uri) - len, ",");
			len += (size_t)w;
			if (run_lo == run_hi)
				w = snprintf(uri + len, sizeof(uri) - len,
					     "%lld", (long long)run_lo);
			else
				w = snprintf(uri + len, sizeof(uri) - len,
					     "%lld-%lld", (long long)run_lo,
					     (long long)run_hi);
			len += (size_t)w;
			if (len >= sizeof(uri))
				len = sizeof(uri) - 1;
		}
		if (o && in_chunk >= BP_IDSET_CAP) {
			json_array_append_new(uris, json_string(uri));
			len = 0;
			in_chunk = 0;
		}
		run_lo = run_hi = id;
		if (o)
			in_chunk++;
	}
	if (len > 0)
		json_array_append_new(uris, json_string(uri));
	json_decref(list);
	bp_ok(resp, json_pack("{s:o}", "getUris", uris));
}

static int
r_order_options(sb_platform *pf, sb_request *req, sb_response *resp)
{
	options_uris(req, resp, S(pf)->orders, "/order/", NULL);
	return 0;
}

static int
r_sales_order_options(sb_platform *pf, sb_request *req, sb_response *resp)
{
	options_uris(req, resp, S(pf)->orders, "/sales-order/", "SO");
	return 0;
}

static int
r_product_options(sb_platform *pf, sb_request *req, sb_response *resp)
{
	options_uris(req, resp, S(pf)->products, "/product/", NULL);
	return 0;
}

int64_t
bp_note_add(bp_state *bp, int64_t order_id, const char *text, int is_public)
{
	int64_t id = bp_next_id(bp, BP_SEQ_NOTE);
	json_t *o = get_by_id(bp->orders, order_id);
	char key[32], when[48];

	ID_KEY(key, id);
	json_object_set_new(
		bp->notes, key,
		json_pack("{s:I,s:I,s:i,s:s,s:b,s:s,s:i,s:I}", "noteId",
			  (json_int_t)id, "orderId", (json_int_t)order_id,
			  "contactId", 4, "text", text, "isPublic", is_public,
			  "addedOn", now_iso(when, sizeof(when)), "addedBy", 4,
			  "orderStatusId",
			  (json_int_t)sb_json_int(
				  json_object_get(o, "statusId"), 0)));
	return id;
}

void
bp_order_touch(json_t *o)
{
	char when[48];

	json_object_set_new(o, "updatedOn",
			    json_string(now_iso(when, sizeof(when))));
	json_object_set_new(
		o, "version",
		json_integer(sb_json_int(json_object_get(o, "version"), 0) +
			     1));
}

static void reservation_release(bp_state *bp, json_t *o, json_t *touched);

int
bp_order_set_status(bp_state *bp, json_t *order, int64_t status_id,
		    const char *note_text, sb_response *resp)
{
	json_t *st = status_by_id(bp, status_id);
	int64_t oid = sb_json_int(json_object_get(order, "id"), 0);
	char text[256];

	if (!st ||
	    strcmp(sb_json_str(json_object_get(st, "orderTypeCode"), ""),
		   sb_json_str(json_object_get(order, "orderTypeCode"), "")) !=
		    0 ||
	    !json_is_true(json_object_get(st, "visible"))) {
		bp_err(resp, 400, "ORDC-017",
		       "Order status %lld is not valid for order %lld",
		       (long long)status_id, (long long)oid);
		return -1;
	}
	if (!note_text) {
		snprintf(text, sizeof(text), "Order status changed to %s",
			 sb_json_str(json_object_get(st, "name"), ""));
		note_text = text;
	}
	json_object_set_new(order, "statusId", json_integer(status_id));
	bp_order_touch(order);
	bp_note_add(bp, oid, note_text, 0);
	bp_fire(bp, "order.modified.order-status", oid);
	bp_fire(bp, "order.modified", oid);
	if (strcmp(sb_json_str(json_object_get(st, "state"), ""),
		   "cancelled") == 0) {
		json_t *touched = json_object();

		reservation_release(bp, order, touched);
		avail_fire(bp, touched);
	}
	return 0;
}

static json_t *
order_param(bp_state *bp, sb_request *req, sb_response *resp)
{
	int64_t id;
	json_t *o;

	if (id_param(&id, P(req, 0), resp))
		return NULL;
	o = get_by_id(bp->orders, id);
	if (!o)
		bp_err(resp, 404, "CMNC-404", "Cannot find order %lld",
		       (long long)id);
	return o;
}

static int
r_order_status_put(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bp_state *bp = S(pf);
	json_t *o = order_param(bp, req, resp), *in;

	if (!o)
		return 0;
	in = body_object(req, resp);
	if (!in)
		return 0;
	if (bp_order_set_status(
		    bp, o,
		    sb_json_int(json_object_get(in, "orderStatusId"), -1),
		    sb_json_str(
			    json_object_get(json_object_get(in, "orderNote"),
					    "text"),
			    NULL),
		    resp) == 0) {
		bp_ok(resp, NULL);
		bp_msgtype(resp, "put-order-status");
	}
	json_decref(in);
	return 0;
}

/*
 * Sales-order PUT (api-docs.brightpearl.com/order/sales-order/put.html):
 * replacement-style, so every writable field of the POST shape that is
 * not sent is removed or takes the POST default, and read-only fields are
 * ignored.  Refused, as the page says:
 *   - If-Match other than the order's current version: 412;
 *   - an invoiced order whose request does not carry the same number of
 *     rows and the id of every existing row: 400.
 * Strict where the page is silent (README, choices): no If-Match is 412
 * as well; a row id that is not on the order is 400; once any row is on a
 * goods-out note the rows follow the invoiced rule and those rows keep
 * their product and quantity; statusId must stay as it is (statuses move
 * through PUT /order/{id}/status, section 7.4).
 */
static const char *const so_read_only[] = {"id",
					   "orderTypeCode",
					   "createdOn",
					   "createdBy",
					   "updatedOn",
					   "total",
					   "isCanceled",
					   "orderPaymentStatus",
					   "allocationStatusCode",
					   "stockStatusCode",
					   "shippingStatusCode",
					   "version",
					   "invoice",
					   "customerId",
					   "orderWeighting",
					   "costPriceListId",
					   NULL};

static int
so_if_match(json_t *o, sb_request *req, sb_response *resp)
{
	const char *im = sb_req_header(req, "If-Match");
	int64_t have = sb_json_int(json_object_get(o, "version"), 0);
	char *end = NULL;
	long long want;

	if (!im || !*im) {
		bp_err(resp, 412, "ORDC-050",
		       "An If-Match header with the order version is "
		       "required");
		return -1;
	}
	want = strtoll(im, &end, 10);
	if (end == im || *end != '\0' || want != have) {
		bp_err(resp, 412, "ORDC-050",
		       "Order %lld has changed: its version is %lld, not %s",
		       (long long)sb_json_int(json_object_get(o, "id"), 0),
		       (long long)have, im);
		return -1;
	}
	return 0;
}

/* The existing row of o with id, or NULL. */
static json_t *
so_row(json_t *o, int64_t id)
{
	json_t *r;
	size_t i;

	json_array_foreach (json_object_get(o, "rows"), i, r)
		if (sb_json_int(json_object_get(r, "id"), -1) == id)
			return r;
	return NULL;
}

/* The new rows of o from request rows in; NULL after an error reply. */
static json_t *
so_rows(bp_state *bp, json_t *o, json_t *in, sb_response *resp)
{
	int64_t oid = sb_json_int(json_object_get(o, "id"), 0);
	json_t *rows = json_array(), *r, *old;
	int frozen = json_object_get(o, "_invoice") != NULL, seen = 0;
	size_t i;

	json_array_foreach (json_object_get(o, "rows"), i, r)
		if (sb_json_int(json_object_get(r, "_onGon"), 0) > 0)
			frozen = 1;
	json_array_foreach (in, i, r) {
		json_t *row = row_build(bp, r, i, resp), *idv;
		const char *k;
		json_t *x;

		if (row && row_tax_code(bp, r, i, resp) < 0) {
			json_decref(row);
			row = NULL;
		}
		if (!row)
			goto fail;
		idv = json_object_get(r, "id");
		old = idv ? so_row(o, sb_json_int(idv, -1)) : NULL;
		if (idv && !old) {
			json_decref(row);
			bp_err(resp, 400, "ORDC-051",
			       "Row %lld is not on order %lld",
			       (long long)sb_json_int(idv, -1), (long long)oid);
			goto fail;
		}
		if (old && sb_json_int(json_object_get(old, "_onGon"), 0) &&
		    (sb_json_int(json_object_get(old, "productId"), 0) !=
			     sb_json_int(json_object_get(row, "productId"),
					 0) ||
		     bp_num(json_object_get(old, "quantity"), 0) !=
			     bp_num(json_object_get(row, "quantity"), 0))) {
			json_decref(row);
			bp_err(resp, 400, "ORDC-052",
			       "Row %lld of order %lld is on a goods-out "
			       "note: its product and quantity cannot change",
			       (long long)sb_json_int(idv, -1), (long long)oid);
			goto fail;
		}
		if (old) {
			seen++;
			json_object_foreach (old, k, x)
				if (k[0] == '_')
					json_object_set(row, k, x);
			json_object_set(row, "id", json_object_get(old, "id"));
		} else {
			json_object_set_new(
				row, "id",
				json_integer(bp_next_id(bp, BP_SEQ_ROW)));
		}
		json_array_append_new(rows, row);
	}
	if (frozen && (json_array_size(rows) !=
			       json_array_size(json_object_get(o, "rows")) ||
		       (size_t)seen != json_array_size(rows))) {
		bp_err(resp, 400, "ORDC-051",
		       "Order %lld is %s: the request must contain its %zu "
		       "rows, each with its id",
		       (long long)oid,
		       json_object_get(o, "_invoice") ? "invoiced"
						      : "on a goods-out note",
		       json_array_size(json_object_get(o, "rows")));
		goto fail;
	}
	return rows;
fail:
	json_decref(rows);
	return NULL;
}

static int
r_sales_order_put(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bp_state *bp = S(pf);
	json_t *o = order_param(bp, req, resp), *in = NULL, *n = NULL;
	json_t *rows, *cust_id, *x;
	const char *k;
	size_t i;
	char key[32];

	if (!o)
		return 0;
	if (strcmp(sb_json_str(json_object_get(o, "orderTypeCode"), ""),
		   "SO") != 0) {
		bp_err(resp, 404, "CMNC-404", "Cannot find sales order %lld",
		       (long long)sb_json_int(json_object_get(o, "id"), 0));
		return 0;
	}
	if (so_if_match(o, req, resp) || !(in = body_object(req, resp)))
		return 0;
	cust_id = json_object_get(json_object_get(in, "customer"), "id");
	if (!cust_id) {
		bp_err(resp, 400, "ORDC-012", "You must supply a customer id");
		goto done;
	}
	/* the parties' addresses take the 3-letter countryIsoCode too
	 * (sales-order/post: the same address fields as postal-address) */
	if (bad_country(
		    json_object_get(json_object_get(in, "customer"), "address"),
		    resp) ||
	    bad_country(
		    json_object_get(json_object_get(in, "billing"), "address"),
		    resp) ||
	    bad_country(
		    json_object_get(json_object_get(in, "delivery"), "address"),
		    resp))
		goto done;
	if (!get_by_id(bp->contacts, sb_json_int(cust_id, -1))) {
		bp_err(resp, 400, "ORDC-013", "Customer %lld does not exist",
		       (long long)sb_json_int(cust_id, -1));
		goto done;
	}
	if (sb_json_int(json_object_get(in, "statusId"), -1) !=
	    sb_json_int(json_object_get(o, "statusId"), -1)) {
		bp_err(resp, 400, "ORDC-053",
		       "statusId must be the order's status (%lld); change "
		       "the status with PUT /order/{id}/status",
		       (long long)sb_json_int(json_object_get(o, "statusId"),
					      -1));
		goto done;
	}
	if (!(rows = so_rows(bp, o, json_object_get(in, "rows"), resp)))
		goto done;
	n = json_deep_copy(in);
	for (i = 0; so_read_only[i]; i++)
		json_object_del(n, so_read_only[i]);
	json_object_set_new(n, "rows", rows);
	json_object_set(n, "id", json_object_get(o, "id"));
	json_object_set_new(n, "orderTypeCode", json_string("SO"));
	json_object_set(n, "createdOn", json_object_get(o, "createdOn"));
	json_object_set(n, "version", json_object_get(o, "version"));
	json_object_set(n, "customFields", json_object_get(o, "customFields"));
	json_object_foreach (o, k, x)
		if (k[0] == '_')
			json_object_set(n, k, x);
	/* not sent: the POST defaults (section 7.1) */
	order_defaults(n);
	if (!json_object_get(n, "placedOn"))
		json_object_set(n, "placedOn", json_object_get(o, "createdOn"));
	bp_order_touch(n);
	ID_KEY(key, sb_json_int(json_object_get(o, "id"), 0));
	json_object_set(bp->orders, key, n); /* o is released here */
	bp_ok(resp, json_incref(json_object_get(n, "id")));
	bp_msgtype(resp, "put-sales-order");
	bp_fire(bp, "order.modified", sb_json_int(json_object_get(n, "id"), 0));
done:
	json_decref(n);
	json_decref(in);
	return 0;
}

static int
r_note_post(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bp_state *bp = S(pf);
	json_t *o = order_param(bp, req, resp), *in;

	if (!o)
		return 0;
	in = body_object(req, resp);
	if (!in)
		return 0;
	if (!json_is_string(json_object_get(in, "text"))) {
		bp_err(resp, 400, "ORDC-040", "You must supply note text");
	} else {
		bp_ok(resp,
		      json_integer(bp_note_add(
			      bp, sb_json_int(json_object_get(o, "id"), 0),
			      json_string_value(json_object_get(in, "text")),
			      json_is_true(json_object_get(in, "isPublic")))));
		bp_msgtype(resp, "post-order-note");
	}
	json_decref(in);
	return 0;
}

static int
r_note_get(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bp_state *bp = S(pf);
	json_t *o = order_param(bp, req, resp), *out, *n;
	bp_idset set = {1, 0, {0}, {0}};
	const char *k;
	int64_t oid;

	if (!o)
		return 0;
	if (req->nparams > 1 && idset_param(&set, P(req, 1), resp))
		return 0;
	oid = sb_json_int(json_object_get(o, "id"), 0);
	out = json_array();
	json_object_foreach (bp->notes, k, n) {
		if (sb_json_int(json_object_get(n, "orderId"), -1) != oid ||
		    !bp_idset_has(&set,
				  sb_json_int(json_object_get(n, "noteId"), 0)))
			continue;
		json_array_append_new(out, json_deep_copy(n));
		json_object_del(json_array_get(out, json_array_size(out) - 1),
				"orderId");
	}
	bp_ok(resp, out);
	bp_msgtype(resp, "get-order-note");
	return 0;
}

/*
 * GET /order-service/order-note-search: every order's notes, with the
 * columns the docs list (order/order-note/search.html: orderId, noteId,
 * contactId, noteText, isPublic, dateAdded, addedBy, orderStatusId;
 * sorted by noteId).
 */
static const bp_col note_cols[] = {
	{"noteId", "IDSET", NULL},     {"orderId", "IDSET", NULL},
	{"contactId", "IDSET", NULL},  {"noteText", "SEARCH_STRING", NULL},
	{"isPublic", "BOOLEAN", NULL}, {"dateAdded", "PERIOD", NULL},
	{"addedBy", "IDSET", NULL},    {"orderStatusId", "IDSET", NULL},
};

static int
r_note_search(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bp_state *bp = S(pf);
	json_t *rows = json_array(), *n;
	const char *k;

	json_object_foreach (bp->notes, k, n)
		json_array_append_new(
			rows,
			json_pack("[O,O,O,O,O,O,O,O]", jget(n, "noteId"),
				  jget(n, "orderId"), jget(n, "contactId"),
				  jget(n, "text"), jget(n, "isPublic"),
				  jget(n, "addedOn"), jget(n, "addedBy"),
				  jget(n, "orderStatusId")));
	bp_search(req, resp, note_cols,
		  sizeof(note_cols) / sizeof(note_cols[0]), rows, NULL);
	return 0;
}

static int
r_custom_meta(sb_platform *pf, sb_request *req, sb_response *resp)
{
	list_get(req, resp, S(pf)->custom_meta, "id",
		 "get-custom-field-meta-data");
	return 0;
}

static int
r_custom_get(sb_platform *pf, sb_request *req, sb_response *resp)
{
	json_t *o = order_param(S(pf), req, resp);

	if (!o)
		return 0;
	bp_ok(resp, json_deep_copy(json_object_get(o, "customFields")));
	bp_msgtype(resp, "get-custom-fields");
	return 0;
}

static int
r_custom_patch(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bp_state *bp = S(pf);
	json_t *o = order_param(bp, req, resp), *ops, *op, *copy;
	size_t i;

	if (!o)
		return 0;
	ops = sb_req_json(req, NULL);
	/* only fields in the meta-data may be set */
	json_array_foreach (ops, i, op) {
		const char *path = sb_json_str(json_object_get(op, "path"), "");
		char code[128];
		json_t *m;
		size_t j;
		int known = 0;

		snprintf(code, sizeof(code), "%.*s",
			 (int)strcspn(path + (path[0] == '/'), "/"),
			 path + (path[0] == '/'));
		json_array_foreach (bp->custom_meta, j, m)
			if (strcmp(sb_json_str(json_object_get(m, "code"), ""),
				   code) == 0)
				known = 1;
		if (!known) {
			bp_err(resp, 400, "CMNC-045",
			       "Custom field %s does not exist", code);
			json_decref(ops);
			return 0;
		}
	}
	copy = json_deep_copy(json_object_get(o, "customFields"));
	if (apply_patch(copy, ops, 1, resp) == 0) {
		json_object_set(o, "customFields", copy);
		bp_order_touch(o);
		bp_ok(resp, json_deep_copy(copy));
		bp_msgtype(resp, "patch-custom-fields");
	}
	json_decref(copy);
	json_decref(ops);
	return 0;
}

static const bp_col order_cols[] = {
	{"orderId", "IDSET", NULL},
	{"orderTypeId", "IDSET", "orderTypeNames"},
	{"contactId", "INTEGER", NULL},
	{"orderStatusId", "INTEGER", "orderStatusNames"},
	{"orderStockStatusId", "INTEGER", "orderStockStatusNames"},
	{"createdOn", "PERIOD", NULL},
	{"createdById", "INTEGER", NULL},
	{"customerRef", "STRING", NULL},
	{"orderPaymentStatusId", "INTEGER", "orderPaymentStatusNames"},
	{"updatedOn", "PERIOD", NULL},
	{"parentOrderId", "IDSET", NULL},
	{"orderShippingStatusId", "INTEGER", "orderShippingStatusNames"},
	{"externalRef", "STRING", NULL},
	{"installedIntegrationInstanceId", "INTEGER", NULL},
	{"warehouseId", "IDSET", NULL},
	{"staffOwnerContactId", "INTEGER", NULL},
	{"taxDate", "PERIOD", NULL},
	{"departmentId", "INTEGER", NULL},
	{"deliveryDate", "PERIOD", NULL},
};

static int
code_index(const char *code, const char *const *codes)
{
	int i;

	for (i = 0; codes[i]; i++)
		if (strcmp(codes[i], code) == 0)
			return i + 1;
	return 0;
}

static int
r_order_search(sb_platform *pf, sb_request *req, sb_response *resp)
{
	static const char *const ship_codes[] = {"NST", "SNS", "SPS", "ASS",
						 NULL};
	static const char *const stock_codes[] = {"NON", "SON", "SOP", "SOA",
						  NULL};
	static const char *const pay_codes[] = {
		"PAID", "PARTIALLY_PAID", "UNPAID", "NOT_APPLICABLE", NULL};
	bp_state *bp = S(pf);
	json_t *rows = json_array(), *o, *ref, *names = json_object(), *s;
	const char *k, *ship, *stock, *alloc;
	size_t i;

	json_array_foreach (bp->statuses, i, s) {
		char key[32];

		ID_KEY(key, sb_json_int(json_object_get(s, "statusId"), 0));
		json_object_set(names, key, json_object_get(s, "name"));
	}
	json_object_foreach (bp->orders, k, o) {
		const char *t =
			sb_json_str(json_object_get(o, "orderTypeCode"), "SO");

		fulfilment(o, &ship, &stock, &alloc);
		json_array_append_new(
			rows,
			json_pack(
				"[O,i,O,O,i,O,i,O,i,O,I,i,O,O,O,O,O,i,O]",
				jget(o, "id"), strcmp(t, "SC") ? 1 : 3,
				jget(json_object_get(o, "customer"), "id"),
				jget(o, "statusId"),
				code_index(stock, stock_codes),
				jget(o, "createdOn"), 4, jget(o, "ref"),
				code_index(payment_status(bp, o), pay_codes),
				jget(o, "updatedOn"),
				(json_int_t)sb_json_int(
					json_object_get(o, "parentId"), 0),
				code_index(ship, ship_codes),
				jget(o, "externalRef"),
				jget(o, "installedIntegrationInstanceId"),
				jget(o, "warehouseId"), jget(o, "staffOwnerId"),
				jget(o, "taxDate"), 0,
				jget(json_object_get(o, "delivery"), "date")));
	}
	ref = json_pack("{s:{s:s,s:s,s:s,s:s},s:o,s:{s:s,s:s,s:s,s:s},"
			"s:{s:s,s:s,s:s,s:s},s:{s:s,s:s,s:s,s:s}}",
			"orderTypeNames", "1", "SALES_ORDER", "2",
			"PURCHASE_ORDER", "3", "SALES_CREDIT", "4",
			"PURCHASE_CREDIT", "orderStatusNames", names,
			"orderStockStatusNames", "1", "NON", "2", "SON", "3",
			"SOP", "4", "SOA", "orderShippingStatusNames", "1",
			"NST", "2", "SNS", "3", "SPS", "4", "ASS",
			"orderPaymentStatusNames", "1", "PAID", "2",
			"PARTIALLY_PAID", "3", "UNPAID", "4", "NOT_APPLICABLE");
	bp_search(req, resp, order_cols,
		  sizeof(order_cols) / sizeof(order_cols[0]), rows, ref);
	return 0;
}

static const bp_col so_cols[] = {
	{"salesOrderId", "IDSET", NULL},
	{"customerId", "INTEGER", NULL},
	{"orderStatusId", "INTEGER", NULL},
	{"orderStockStatus", "STRING", NULL},
	{"createdOn", "PERIOD", NULL},
	{"createdById", "INTEGER", NULL},
	{"customerRef", "STRING", NULL},
	{"orderPaymentStatus", "STRING", NULL},
	{"updatedOn", "PERIOD", NULL},
	{"orderShippingStatus", "STRING", NULL},
	{"externalRef", "STRING", NULL},
	{"installedIntegrationInstanceId", "INTEGER", NULL},
	{"warehouseId", "IDSET", NULL},
	{"staffOwnerId", "INTEGER", NULL},
	{"taxDate", "PERIOD", NULL},
	{"channelId", "INTEGER", NULL},
	{"deliveryDate", "PERIOD", NULL},
	{"customerRefs", "STRING_SET", NULL},
};

static int
r_sales_order_search(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bp_state *bp = S(pf);
	json_t *rows = json_array(), *o;
	const char *k, *ship, *stock, *alloc;

	json_object_foreach (bp->orders, k, o) {
		if (strcmp(sb_json_str(json_object_get(o, "orderTypeCode"), ""),
			   "SO") != 0)
			continue;
		fulfilment(o, &ship, &stock, &alloc);
		json_array_append_new(
			rows,
			json_pack("[O,O,O,s,O,i,O,s,O,s,O,O,O,O,O,O,O,O]",
				  jget(o, "id"),
				  jget(json_object_get(o, "customer"), "id"),
				  jget(o, "statusId"), stock,
				  jget(o, "createdOn"), 4, jget(o, "ref"),
				  payment_status(bp, o), jget(o, "updatedOn"),
				  ship, jget(o, "externalRef"),
				  jget(o, "installedIntegrationInstanceId"),
				  jget(o, "warehouseId"),
				  jget(o, "staffOwnerId"), jget(o, "taxDate"),
				  jget(o, "channelId"),
				  jget(json_object_get(o, "delivery"), "date"),
				  jget(o, "ref")));
	}
	bp_search(req, resp, so_cols, sizeof(so_cols) / sizeof(so_cols[0]),
		  rows, NULL);
	return 0;
}

/* ---- reservations (section 11) ------------------------------------------ */

static json_t *row_by_id(json_t *order, int64_t row_id);

/*
 * Reservations are per sales-order row: each product line names the row
 * it reserves for (api-docs.brightpearl.com/warehouse/reservation/
 * post.html).  A row that is not the order's, or not of that product, is
 * refused (switch reservationRows), and so is a warehouse the account
 * does not have (switch reservationWarehouse); neither refusal has a
 * recorded body, so both use the documented error envelope (README).
 * Everything is checked before any stock is taken.
 */
static int
r_reservation_post(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bp_state *bp = S(pf);
	json_t *o = order_param(bp, req, resp), *in, *p, *rows, *touched;
	int64_t wh, oid, total = 0;
	size_t i;
	char key[32];

	if (!o)
		return 0;
	if (id_param(&wh, P(req, 1), resp))
		return 0;
	oid = sb_json_int(json_object_get(o, "id"), 0);
	ID_KEY(key, oid);
	if (json_object_get(bp->reservations, key)) {
		bp_err(resp, 400, "WHSC-020",
		       "A reservation already exists for order %s", key);
		return 0;
	}
	if (bp_strict(bp, "reservationWarehouse") &&
	    !list_has(bp->warehouses, "id", wh)) {
		bp_err(resp, 400, "WHSC-016", "Warehouse %lld does not exist",
		       (long long)wh);
		return 0;
	}
	in = body_object(req, resp);
	if (!in)
		return 0;
	json_array_foreach (json_object_get(in, "products"), i, p) {
		int64_t pid = sb_json_int(json_object_get(p, "productId"), 0);
		int64_t rid =
			sb_json_int(json_object_get(p, "salesOrderRowId"), 0);
		json_t *row = row_by_id(o, rid);

		if (pid <= 0) {
			json_decref(in);
			bp_err(resp, 400, "WHSC-014",
			       "Product ID must be set and greater than 0");
			return 0;
		}
		if (bp_strict(bp, "reservationRows") &&
		    (!row || sb_json_int(json_object_get(row, "productId"),
					 0) != pid)) {
			json_decref(in);
			bp_err(resp, 400, "WHSC-017",
			       "Sales order row %lld of product %lld is not "
			       "on order %lld",
			       (long long)rid, (long long)pid, (long long)oid);
			return 0;
		}
	}
	rows = json_object();
	touched = json_object();
	json_array_foreach (json_object_get(in, "products"), i, p) {
		int64_t pid = sb_json_int(json_object_get(p, "productId"), 0);
		int64_t q = sb_json_int(json_object_get(p, "quantity"), 0);
		json_t *cell, *prev;
		int64_t free_q;
		char rk[32];

		ID_KEY(rk,
		       sb_json_int(json_object_get(p, "salesOrderRowId"), 0));
		cell = stock_cell(bp, pid, wh);
		free_q = json_integer_value(json_object_get(cell, "inStock")) -
			 json_integer_value(json_object_get(cell, "allocated"));
		if (q > free_q) /* partial success is allowed */
			q = free_q > 0 ? free_q : 0;
		if (q == 0)
			continue;
		stock_add(cell, "allocated", q);
		avail_touch(touched, pid);
		total += q;
		/* repeated lines for one row are collapsed */
		prev = json_object_get(rows, rk);
		json_object_set_new(
			rows, rk,
			json_pack("{s:I,s:I}", "productId", (json_int_t)pid,
				  "quantity",
				  (json_int_t)(q +
					       sb_json_int(json_object_get(
								   prev,
								   "quantity"),
							   0))));
	}
	json_decref(in);
	if (total == 0) {
		json_decref(rows);
		json_decref(touched);
		bp_err(resp, 400, "WHSC-015", "Nothing could be reserved");
		return 0;
	}
	json_object_set_new(bp->reservations, key,
			    json_pack("{s:I,s:I,s:o}", "orderId",
				      (json_int_t)oid, "warehouseId",
				      (json_int_t)wh, "orderRows", rows));
	avail_fire(bp, touched);
	bp_ok(resp, NULL);
	return 0;
}

static int
r_reservation_get(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bp_state *bp = S(pf);
	json_t *r = json_object_get(bp->reservations, P(req, 0));

	if (!r) {
		bp_err(resp, 404, "CMNC-404",
		       "No reservation exists for order "
		       "%s",
		       P(req, 0));
		return 0;
	}
	bp_ok(resp, json_pack("[O]", r));
	return 0;
}

/* ---- goods-out notes (section 12) --------------------------------------- */

static json_t *
row_by_id(json_t *order, int64_t row_id)
{
	json_t *r;
	size_t i;

	json_array_foreach (json_object_get(order, "rows"), i, r)
		if (sb_json_int(json_object_get(r, "id"), -1) == row_id)
			return r;
	return NULL;
}

/*
 * Up to q units of row rk that order oid's reservation holds in warehouse
 * wh, taken off the reservation (a row, then the reservation, goes when
 * it is empty).  A goods-out note ships what the reservation set aside
 * rather than allocating the same units a second time.
 */
static int64_t
reservation_take(bp_state *bp, int64_t oid, const char *rk, int64_t wh,
		 int64_t q)
{
	char key[32];
	json_t *res, *rows, *r;
	int64_t have, take;

	ID_KEY(key, oid);
	res = json_object_get(bp->reservations, key);
	if (!res || sb_json_int(json_object_get(res, "warehouseId"), 0) != wh)
		return 0;
	rows = json_object_get(res, "orderRows");
	r = json_object_get(rows, rk);
	have = sb_json_int(json_object_get(r, "quantity"), 0);
	take = q < have ? q : have;
	if (take <= 0)
		return 0;
	if (take == have)
		json_object_del(rows, rk);
	else
		json_object_set_new(r, "quantity", json_integer(have - take));
	if (json_object_size(rows) == 0)
		json_object_del(bp->reservations, key);
	return take;
}

/*
 * Order o's reservation released, as a change to the cancelled status
 * does (reference section 7.4, order-status-update/put: "reservations
 * and coupons are removed"); its products go into touched.
 */
static void
reservation_release(bp_state *bp, json_t *o, json_t *touched)
{
	char key[32];
	json_t *res, *r;
	const char *rk;
	int64_t wh;

	ID_KEY(key, sb_json_int(json_object_get(o, "id"), 0));
	res = json_object_get(bp->reservations, key);
	if (!res)
		return;
	wh = sb_json_int(json_object_get(res, "warehouseId"), 2);
	json_object_foreach (json_object_get(res, "orderRows"), rk, r) {
		int64_t pid = sb_json_int(json_object_get(r, "productId"), 0);

		stock_add(stock_cell(bp, pid, wh), "allocated",
			  -sb_json_int(json_object_get(r, "quantity"), 0));
		avail_touch(touched, pid);
	}
	json_object_del(bp->reservations, key);
}

int
bp_gon_create(bp_state *bp, json_t *order, json_t *body, sb_response *resp,
	      json_t **ids_out)
{
	json_t *ids = json_array(), *w, *p, *touched;
	int64_t oid = sb_json_int(json_object_get(order, "id"), 0);
	size_t i, j;
	char when[48];

	*ids_out = NULL;
	/* validate first: the whole request succeeds or nothing changes */
	json_array_foreach (json_object_get(body, "warehouses"), i, w) {
		json_array_foreach (json_object_get(w, "products"), j, p) {
			json_t *row = row_by_id(
				order,
				sb_json_int(
					json_object_get(p, "salesOrderRowId"),
					-1));
			int64_t q =
				sb_json_int(json_object_get(p, "quantity"), 0);

			if (!row || q <= 0 ||
			    q + sb_json_int(json_object_get(row, "_onGon"), 0) >
				    row_qty(row)) {
				json_decref(ids);
				bp_err(resp, 400, "WHSC-030",
				       "Row %lld of order %lld cannot take "
				       "%lld more on a goods-out note",
				       (long long)sb_json_int(
					       json_object_get(
						       p, "salesOrderRowId"),
					       -1),
				       (long long)oid, (long long)q);
				return -1;
			}
		}
	}
	if (json_array_size(json_object_get(body, "warehouses")) == 0) {
		json_decref(ids);
		bp_err(resp, 400, "WHSC-031", "No warehouses given");
		return -1;
	}
	now_iso(when, sizeof(when));
	touched = json_object();
	json_array_foreach (json_object_get(body, "warehouses"), i, w) {
		int64_t gid = bp_next_id(bp, BP_SEQ_GON);
		int64_t wh = sb_json_int(json_object_get(w, "warehouseId"), 2);
		json_t *rows = json_object(), *gon;
		char key[32];

		json_array_foreach (json_object_get(w, "products"), j, p) {
			int64_t rid = sb_json_int(
				json_object_get(p, "salesOrderRowId"), 0);
			int64_t q =
				sb_json_int(json_object_get(p, "quantity"), 0);
			int64_t pid =
				sb_json_int(json_object_get(p, "productId"), 0);
			json_t *row = row_by_id(order, rid), *lst;
			char rk[32];

			json_object_set_new(
				row, "_onGon",
				json_integer(sb_json_int(json_object_get(
								 row, "_onGon"),
							 0) +
					     q));
			ID_KEY(rk, rid);
			/* reserved units are allocated already */
			stock_add(stock_cell(bp, pid, wh), "allocated",
				  q - reservation_take(bp, oid, rk, wh, q));
			avail_touch(touched, pid);
			lst = json_object_get(rows, rk);
			if (!lst) {
				lst = json_array();
				json_object_set_new(rows, rk, lst);
			}
			json_array_append_new(
				lst, json_pack("{s:I,s:I,s:I}", "productId",
					       (json_int_t)pid, "quantity",
					       (json_int_t)q, "locationId",
					       (json_int_t)wh));
		}
		gon = json_pack(
			"{s:I,s:I,s:b,s:b,s:{s:b,s:b,s:b,s:b},s:{s:s,s:I},"
			"s:s,s:s,s:i,s:o,s:I,s:[{s:s,s:i,s:s}],s:I}",
			"orderId", (json_int_t)oid, "warehouseId",
			(json_int_t)wh, "transfer", 0, "priority",
			json_is_true(json_object_get(body, "priority")),
			"status", "shipped", 0, "packed", 0, "picked", 0,
			"printed", 0, "shipping", "reference", "",
			"shippingMethodId",
			(json_int_t)sb_json_int(
				json_object_get(body, "shippingMethodId"), 0),
			"releaseDate",
			sb_json_str(json_object_get(w, "releaseDate"), when),
			"createdOn", when, "createdBy", 4, "orderRows", rows,
			"sequence",
			(json_int_t)(json_object_size(bp->gons) + 1), "events",
			"occured", when, "eventOwnerId", 4, "eventCode", "PLA",
			"lastEventVersion", (json_int_t)gid * 10);
		ID_KEY(key, gid);
		json_object_set_new(bp->gons, key, gon);
		json_array_append_new(ids, json_integer(gid));
		bp_fire(bp, "goods-out-note.created", gid);
	}
	bp_order_touch(order);
	bp_fire(bp, "order.modified", oid);
	avail_fire(bp, touched);
	*ids_out = ids;
	return 0;
}

static void
gon_event(json_t *gon, const char *code, const char *flag, int value,
	  const char *when)
{
	char on[32], by[32];
	json_t *st = json_object_get(gon, "status");

	json_object_set_new(st, flag, json_boolean(value));
	snprintf(on, sizeof(on), "%sOn", flag);
	snprintf(by, sizeof(by), "%sById", flag);
	if (value) {
		json_object_set_new(st, on, json_string(when));
		json_object_set_new(st, by, json_integer(4));
	}
	json_array_append_new(json_object_get(gon, "events"),
			      json_pack("{s:s,s:i,s:s}", "occured", when,
					"eventOwnerId", 4, "eventCode", code));
	json_object_set_new(
		gon, "lastEventVersion",
		json_integer(
			sb_json_int(json_object_get(gon, "lastEventVersion"),
				    0) +
			1));
}

static int64_t
gon_id(bp_state *bp, json_t *gon)
{
	const char *k;
	json_t *g;
	int64_t id = 0;

	json_object_foreach (bp->gons, k, g)
		if (g == gon)
			sb_parse_int(k, &id);
	return id;
}

int
bp_gon_ship(bp_state *bp, json_t *gon, sb_response *resp)
{
	json_t *st = json_object_get(gon, "status"), *lst, *l, *touched;
	json_t *order = get_by_id(
		bp->orders, sb_json_int(json_object_get(gon, "orderId"), 0));
	const char *rk, *ship, *stock, *alloc;
	int64_t wh = sb_json_int(json_object_get(gon, "warehouseId"), 2);
	char when[48];
	size_t i;

	if (json_is_true(json_object_get(st, "shipped"))) {
		bp_err(resp, 400, "WHSC-040",
		       "Goods-out note has already been shipped");
		return -1;
	}
	now_iso(when, sizeof(when));
	/* SHW back-fills the missing printed/picked/packed events */
	if (!json_is_true(json_object_get(st, "printed")))
		gon_event(gon, "PRI", "printed", 1, when);
	if (!json_is_true(json_object_get(st, "picked")))
		gon_event(gon, "PIC", "picked", 1, when);
	if (!json_is_true(json_object_get(st, "packed")))
		gon_event(gon, "PAC", "packed", 1, when);
	gon_event(gon, "SHW", "shipped", 1, when);
	touched = json_object();
	json_object_foreach (json_object_get(gon, "orderRows"), rk, lst) {
		int64_t rid;
		json_t *row;

		sb_parse_int(rk, &rid);
		row = row_by_id(order, rid);
		json_array_foreach (lst, i, l) {
			int64_t q =
				sb_json_int(json_object_get(l, "quantity"), 0);
			json_t *cell = stock_cell(
				bp,
				sb_json_int(json_object_get(l, "productId"), 0),
				wh);

			stock_add(cell, "inStock", -q);
			stock_add(cell, "allocated", -q);
			avail_touch(touched,
				    sb_json_int(json_object_get(l, "productId"),
						0));
			if (row)
				json_object_set_new(
					row, "_shipped",
					json_integer(
						sb_json_int(json_object_get(
								    row,
								    "_shipped"),
							    0) +
						q));
		}
	}
	bp_fire(bp, "goods-out-note.modified.shipped", gon_id(bp, gon));
	avail_fire(bp, touched);
	if (order) {
		bp_order_touch(order);
		fulfilment(order, &ship, &stock, &alloc);
		if (strcmp(ship, "ASS") == 0)
			bp_fire(bp, "order.modified.fully-shipped",
				sb_json_int(json_object_get(order, "id"), 0));
		bp_fire(bp, "order.modified",
			sb_json_int(json_object_get(order, "id"), 0));
	}
	return 0;
}

int
bp_gon_set_tracking(bp_state *bp, json_t *gon, json_t *shipping,
		    sb_response *resp)
{
	json_t *cur = json_object_get(gon, "shipping"), *v;
	const char *k;

	if (json_is_true(json_object_get(json_object_get(gon, "status"),
					 "shipped"))) {
		json_decref(shipping);
		bp_err(resp, 400, "WHSC-041",
		       "Goods-out note cannot be changed once shipped");
		return -1;
	}
	if (strlen(sb_json_str(json_object_get(shipping, "reference"), "")) >
	    64) {
		json_decref(shipping);
		bp_err(resp, 400, "WHSC-042",
		       "Shipping reference is limited to 64 characters");
		return -1;
	}
	json_object_foreach (shipping, k, v)
		json_object_set(cur, k, v);
	json_decref(shipping);
	bp_fire(bp, "goods-out-note.modified", gon_id(bp, gon));
	return 0;
}

static int
r_gon_post(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bp_state *bp = S(pf);
	json_t *o = order_param(bp, req, resp), *in, *ids = NULL;

	if (!o)
		return 0;
	in = body_object(req, resp);
	if (!in)
		return 0;
	if (bp_gon_create(bp, o, in, resp, &ids) == 0) {
		bp_ok(resp, ids);
		bp_msgtype(resp, "post-goods-out-note");
	}
	json_decref(in);
	return 0;
}

static int
r_gon_get(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bp_state *bp = S(pf);
	bp_idset orders, gons = {1, 0, {0}, {0}};
	json_t *out = json_object(), *g;
	const char *k;
	size_t n = 0;

	if (idset_param(&orders, P(req, 0), resp) ||
	    (req->nparams > 1 && idset_param(&gons, P(req, 1), resp))) {
		json_decref(out);
		return 0;
	}
	json_object_foreach (bp->gons, k, g) {
		int64_t gid;

		sb_parse_int(k, &gid);
		if (!bp_idset_has(
			    &orders,
			    sb_json_int(json_object_get(g, "orderId"), -1)) ||
		    !bp_idset_has(&gons, gid))
			continue;
		if (n++ >= BP_GON_IDSET_CAP)
			break;
		json_object_set_new(out, k, json_deep_copy(g));
	}
	bp_ok(resp, out);
	bp_msgtype(resp, "get-goods-out-note");
	return 0;
}

static json_t *
gon_param(bp_state *bp, const char *s, sb_response *resp)
{
	int64_t id;
	json_t *g;

	if (id_param(&id, s, resp))
		return NULL;
	g = get_by_id(bp->gons, id);
	if (!g)
		bp_err(resp, 404, "CMNC-404", "Cannot find goods-out note %s",
		       s);
	return g;
}

static int
r_gon_put(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bp_state *bp = S(pf);
	json_t *g = gon_param(bp, P(req, 0), resp), *in;

	if (!g)
		return 0;
	in = body_object(req, resp);
	if (!in)
		return 0;
	if (json_is_true(
		    json_object_get(json_object_get(g, "status"), "shipped"))) {
		bp_err(resp, 400, "WHSC-041",
		       "Goods-out note cannot be changed once shipped");
	} else {
		if (json_object_get(in, "priority"))
			json_object_set(g, "priority",
					json_object_get(in, "priority"));
		if (json_object_get(in, "labelUri"))
			json_object_set(g, "labelUri",
					json_object_get(in, "labelUri"));
		if (bp_gon_set_tracking(
			    bp, g,
			    json_is_object(json_object_get(in, "shipping"))
				    ? json_deep_copy(
					      json_object_get(in, "shipping"))
				    : json_object(),
			    resp) == 0) {
			bp_ok(resp, NULL);
			bp_msgtype(resp, "put-goods-out-note");
		}
	}
	json_decref(in);
	return 0;
}

static int
r_gon_event(sb_platform *pf, sb_request *req, sb_response *resp)
{
	static const struct {
		const char *code, *flag, *event;
		int value;
	} ev[] = {
		{"PRI", "printed", "goods-out-note.modified.printed", 1},
		{"UPR", "printed", "goods-out-note.modified.un-printed", 0},
		{"PIC", "picked", "goods-out-note.modified.picked", 1},
		{"UPI", "picked", "goods-out-note.modified.un-picked", 0},
		{"PAC", "packed", "goods-out-note.modified.packed", 1},
		{"UPA", "packed", "goods-out-note.modified.un-packed", 0},
	};
	bp_state *bp = S(pf);
	json_t *g = gon_param(bp, P(req, 0), resp), *in, *e;
	size_t i, j;
	char when[48];

	if (!g)
		return 0;
	in = body_object(req, resp);
	if (!in)
		return 0;
	now_iso(when, sizeof(when));
	json_array_foreach (json_object_get(in, "events"), i, e) {
		const char *code =
			sb_json_str(json_object_get(e, "eventCode"), "");

		if (json_is_true(json_object_get(json_object_get(g, "status"),
						 "shipped"))) {
			bp_err(resp, 400, "WHSC-040",
			       "Goods-out note has already been shipped");
			goto done;
		}
		if (strcmp(code, "SHW") == 0) {
			if (bp_gon_ship(bp, g, resp))
				goto done;
			continue;
		}
		for (j = 0; j < sizeof(ev) / sizeof(ev[0]); j++)
			if (strcmp(ev[j].code, code) == 0)
				break;
		if (j == sizeof(ev) / sizeof(ev[0])) {
			bp_err(resp, 400, "WHSC-043", "Unknown event code %s",
			       code);
			goto done;
		}
		gon_event(g, code, ev[j].flag, ev[j].value,
			  sb_json_str(json_object_get(e, "occured"), when));
		bp_fire(bp, ev[j].event, gon_id(bp, g));
	}
	bp_ok(resp, NULL);
	bp_msgtype(resp, "post-goods-out-note-event");
done:
	json_decref(in);
	return 0;
}

static int
r_gon_delete(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bp_state *bp = S(pf);
	json_t *g = gon_param(bp, P(req, 1), resp), *o, *lst, *l, *touched;
	const char *rk;
	size_t i;
	int64_t gid;

	if (!g)
		return 0;
	if (json_is_true(
		    json_object_get(json_object_get(g, "status"), "shipped"))) {
		bp_err(resp, 400, "WHSC-041",
		       "Goods-out note cannot be changed once shipped");
		return 0;
	}
	o = get_by_id(bp->orders,
		      sb_json_int(json_object_get(g, "orderId"), 0));
	touched = json_object();
	json_object_foreach (json_object_get(g, "orderRows"), rk, lst) {
		int64_t rid;
		json_t *row;

		sb_parse_int(rk, &rid);
		row = row_by_id(o, rid);
		json_array_foreach (lst, i, l) {
			int64_t q =
				sb_json_int(json_object_get(l, "quantity"), 0);

			stock_add(stock_cell(
					  bp,
					  sb_json_int(json_object_get(
							      l, "productId"),
						      0),
					  sb_json_int(json_object_get(
							      g, "warehouseId"),
						      2)),
				  "allocated", -q);
			avail_touch(touched,
				    sb_json_int(json_object_get(l, "productId"),
						0));
			if (row)
				json_object_set_new(
					row, "_onGon",
					json_integer(
						sb_json_int(
							json_object_get(
								row, "_onGon"),
							0) -
						q));
		}
	}
	gid = gon_id(bp, g);
	json_object_del(bp->gons, P(req, 1));
	bp_fire(bp, "goods-out-note.destroyed", gid);
	avail_fire(bp, touched);
	bp_ok(resp, NULL);
	return 0;
}

static const bp_col gon_cols[] = {
	{"goodsOutNoteId", "IDSET", NULL},     {"orderId", "IDSET", NULL},
	{"warehouseId", "IDSET", NULL},        {"shipped", "BOOLEAN", NULL},
	{"createdOn", "PERIOD", NULL},         {"shippedOn", "PERIOD", NULL},
	{"shippingMethodId", "INTEGER", NULL},
};

static int
r_gon_search(sb_platform *pf, sb_request *req, sb_response *resp)
{
	json_t *rows = json_array(), *g;
	const char *k;

	json_object_foreach (S(pf)->gons, k, g) {
		json_t *st = json_object_get(g, "status");
		int64_t id;

		sb_parse_int(k, &id);
		json_array_append_new(
			rows,
			json_pack("[I,O,O,b,O,O,O]", (json_int_t)id,
				  jget(g, "orderId"), jget(g, "warehouseId"),
				  json_is_true(json_object_get(st, "shipped")),
				  jget(g, "createdOn"), jget(st, "shippedOn"),
				  jget(json_object_get(g, "shipping"),
				       "shippingMethodId")));
	}
	bp_search(req, resp, gon_cols, sizeof(gon_cols) / sizeof(gon_cols[0]),
		  rows, NULL);
	return 0;
}

/* ---- goods-in notes: restocking a sales credit ------------------------ */

/*
 * Goods-In Note POST (api-docs.brightpearl.com/warehouse/goods-in-note/
 * post.html): POST /warehouse-service/order/{ID}/goods-note/goods-in
 * with {transfer, warehouseId, goodsMoved[{productId, purchaseOrderRowId,
 * quantity, destinationLocationId, productValue{currency,value}}],
 * receivedOn, userBatchReference}; the reply is the first note's id.
 * Brightpearl receives returned goods against a sales credit the same
 * way (its "receive" step on a credit), the row id naming the credit's
 * row.  Refused as the page describes: one warehouse per request, stock
 * until every row is received (no more than a row's quantity), and a
 * userBatchReference that is unique across all goods-in notes.  Refusals
 * of a sales order, an unknown row or product are ours (no recorded
 * wording).  Received stock adds to the warehouse's on-hand.
 */
static int
r_gin_post(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bp_state *bp = S(pf);
	json_t *o = order_param(bp, req, resp), *in, *g, *moved, *m, *note;
	json_t *touched = NULL;
	const char *type, *ubr, *k;
	int64_t wh, id;
	size_t i;
	char key[32], when[48];

	if (!o)
		return 0;
	in = body_object(req, resp);
	if (!in)
		return 0;
	type = sb_json_str(json_object_get(o, "orderTypeCode"), "SO");
	if (strcmp(type, "SO") == 0) {
		bp_err(resp, 400, "WHSC-101",
		       "Goods-in notes are received against purchase orders "
		       "and sales credits, not sales order %s",
		       P(req, 0));
		goto done;
	}
	wh = sb_json_int(json_object_get(in, "warehouseId"), -1);
	if (!list_has(bp->warehouses, "id", wh)) {
		bp_err(resp, 400, "WHSC-102", "Warehouse %lld does not exist",
		       (long long)wh);
		goto done;
	}
	moved = json_object_get(in, "goodsMoved");
	if (!json_is_array(moved) || json_array_size(moved) == 0) {
		bp_err(resp, 400, "WHSC-103", "goodsMoved must list the goods");
		goto done;
	}
	ubr = sb_json_str(json_object_get(in, "userBatchReference"), NULL);
	if (ubr != NULL)
		json_object_foreach (bp->gins, k, g)
			if (strcmp(sb_json_str(json_object_get(
						       g, "userBatchReference"),
					       ""),
				   ubr) == 0) {
				bp_err(resp, 400, "WHSC-104",
				       "userBatchReference %s is already used "
				       "by goods-in note %s",
				       ubr, k);
				goto done;
			}
	json_array_foreach (moved, i, m) {
		int64_t rid = sb_json_int(
			json_object_get(m, "purchaseOrderRowId"), -1);
		int64_t q = sb_json_int(json_object_get(m, "quantity"), 0);
		int64_t pid = sb_json_int(json_object_get(m, "productId"), -1);
		json_t *row = row_by_id(o, rid), *prev;
		int64_t got = q;
		size_t j;

		if (!row ||
		    sb_json_int(json_object_get(row, "productId"), 0) != pid) {
			bp_err(resp, 400, "WHSC-105",
			       "goodsMoved %zu: row %lld of order %s does "
			       "not hold product %lld",
			       i + 1, (long long)rid, P(req, 0),
			       (long long)pid);
			goto done;
		}
		json_object_foreach (bp->gins, k, g)
			json_array_foreach (json_object_get(g, "goodsMoved"), j,
					    prev)
				if (sb_json_int(
					    json_object_get(
						    prev, "purchaseOrderRowId"),
					    -1) == rid)
					got += sb_json_int(
						json_object_get(prev,
								"quantity"),
						0);
		for (j = 0; j < i; j++)
			if (sb_json_int(
				    json_object_get(json_array_get(moved, j),
						    "purchaseOrderRowId"),
				    -1) == rid)
				got += sb_json_int(
					json_object_get(
						json_array_get(moved, j),
						"quantity"),
					0);
		if (q < 1 || got > row_qty(row)) {
			bp_err(resp, 400, "WHSC-106",
			       "goodsMoved %zu: %lld of row %lld cannot be "
			       "received; the row holds %lld",
			       i + 1, (long long)q, (long long)rid,
			       (long long)row_qty(row));
			goto done;
		}
	}
	id = bp_next_id(bp, BP_SEQ_GIN);
	note = json_pack("{s:I, s:I, s:I, s:O, s:s, s:O}", "goodsInNoteId",
			 (json_int_t)id, "orderId",
			 (json_int_t)sb_json_int(json_object_get(o, "id"), 0),
			 "warehouseId", (json_int_t)wh, "transfer",
			 json_is_true(json_object_get(in, "transfer"))
				 ? json_true()
				 : json_false(),
			 "receivedOn",
			 sb_json_str(json_object_get(in, "receivedOn"),
				     now_iso(when, sizeof(when))),
			 "goodsMoved", moved);
	if (ubr != NULL)
		json_object_set_new(note, "userBatchReference",
				    json_string(ubr));
	touched = json_object();
	json_array_foreach (moved, i, m) {
		int64_t pid = sb_json_int(json_object_get(m, "productId"), 0);

		stock_add(stock_cell(bp, pid, wh), "inStock",
			  sb_json_int(json_object_get(m, "quantity"), 0));
		avail_touch(touched, pid);
	}
	ID_KEY(key, id);
	json_object_set_new(bp->gins, key, note);
	bp_order_touch(o);
	bp_ok(resp, json_integer(id));
	bp_msgtype(resp, "post-goods-in-note");
	bp_fire(bp, "goods-in-note.created", id);
	avail_fire(bp, touched);
done:
	json_decref(in);
	return 0;
}

/* The goods-in notes of an order set, keyed by note id as the goods-out
 * GET is (section 12; the goods-in GET's own shape is unrecorded). */
static int
r_gin_get(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bp_state *bp = S(pf);
	bp_idset orders;
	json_t *out = json_object(), *g;
	const char *k;

	if (idset_param(&orders, P(req, 0), resp)) {
		json_decref(out);
		return 0;
	}
	json_object_foreach (bp->gins, k, g)
		if (bp_idset_has(
			    &orders,
			    sb_json_int(json_object_get(g, "orderId"), -1)))
			json_object_set_new(out, k, json_deep_copy(g));
	bp_ok(resp, out);
	bp_msgtype(resp, "get-goods-in-note");
	return 0;
}

/* ---- payments (section 9) ----------------------------------------------- */

static int
r_payment_post(sb_platform *pf, sb_request *req, sb_response *resp)
{
	static const char *const types[] = {"AUTH",    "CAPTURE", "PAYMENT",
					    "RECEIPT", "VOID",    NULL};
	bp_state *bp = S(pf);
	json_t *in = body_object(req, resp), *p, *m;
	const char *method, *type, *tref, *k;
	int64_t id;
	size_t i;
	int known = 0;
	char key[32];

	if (!in)
		return 0;
	method = sb_json_str(json_object_get(in, "paymentMethodCode"), NULL);
	type = sb_json_str(json_object_get(in, "paymentType"), NULL);
	if (!method || !type || !json_object_get(in, "orderId") ||
	    !json_is_string(json_object_get(in, "currencyIsoCode")) ||
	    !json_is_string(json_object_get(in, "paymentDate"))) {
		bp_err(resp, 400, "ACCC-001",
		       "paymentMethodCode, paymentType, orderId, "
		       "currencyIsoCode and paymentDate are required");
		goto done;
	}
	for (i = 0; types[i]; i++)
		known |= strcmp(types[i], type) == 0;
	if (!known) {
		bp_err(resp, 400, "ACCC-002", "Invalid paymentType %s", type);
		goto done;
	}
	known = 0;
	json_array_foreach (bp->payment_methods, i, m)
		known |= strcasecmp(sb_json_str(json_object_get(m, "code"), ""),
				    method) == 0;
	if (!known) {
		bp_err(resp, 400, "ACCC-003", "Payment method %s not found",
		       method);
		goto done;
	}
	if (!get_by_id(bp->orders,
		       sb_json_int(json_object_get(in, "orderId"), -1))) {
		bp_err(resp, 400, "ACCC-004", "Order %lld not found",
		       (long long)sb_json_int(json_object_get(in, "orderId"),
					      -1));
		goto done;
	}
	if (strcmp(type, "AUTH") == 0 &&
	    !json_object_get(in, "authorizationExpiry")) {
		bp_err(resp, 400, "ACCC-005",
		       "authorizationExpiry is required for AUTH");
		goto done;
	}
	/* transactionRef + paymentMethodCode are unique together */
	tref = sb_json_str(json_object_get(in, "transactionRef"), NULL);
	if (tref) {
		json_object_foreach (bp->payments, k, p) {
			if (strcmp(sb_json_str(
					   json_object_get(p, "transactionRef"),
					   ""),
				   tref) == 0 &&
			    strcasecmp(
				    sb_json_str(json_object_get(
							p, "paymentMethodCode"),
						""),
				    method) == 0) {
				bp_err(resp, 400, "ACCC-010",
				       "A payment with transactionRef %s and "
				       "paymentMethodCode %s already exists",
				       tref, method);
				goto done;
			}
		}
	}
	id = bp_next_id(bp, BP_SEQ_PAYMENT);
	p = json_deep_copy(in);
	json_object_set_new(p, "paymentId", json_integer(id));
	json_object_set_new(
		p, "amountPaid",
		bp_money(bp_num(json_object_get(in, "amountPaid"), 0)));
	json_object_set_new(
		p, "amountAuthorized",
		bp_money(bp_num(json_object_get(in, "amountAuthorized"), 0)));
	{
		char when[48];

		json_object_set_new(p, "createdOn",
				    json_string(now_iso(when, sizeof(when))));
	}
	ID_KEY(key, id);
	order_paid_add(bp, p, 1);
	json_object_set_new(bp->payments, key, p);
	bp_ok(resp, json_integer(id));
	bp_msgtype(resp, "post-customer-payment");
done:
	json_decref(in);
	return 0;
}

static int
r_payment_delete(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bp_state *bp = S(pf);

	if (!json_object_get(bp->payments, P(req, 0))) {
		bp_err(resp, 404, "CMNC-404", "Cannot find payment %s",
		       P(req, 0));
		return 0;
	}
	order_paid_add(bp, json_object_get(bp->payments, P(req, 0)), -1);
	json_object_del(bp->payments, P(req, 0));
	bp_ok(resp, NULL);
	return 0;
}

static const bp_col payment_cols[] = {
	{"paymentId", "IDSET", NULL},
	{"transactionRef", "STRING", NULL},
	{"transactionCode", "STRING", NULL},
	{"paymentMethodCode", "STRING", NULL},
	{"paymentType", "STRING", NULL},
	{"orderId", "INTEGER", NULL},
	{"currencyId", "INTEGER", NULL},
	{"currencyCode", "STRING", NULL},
	{"amountAuthorized", "STRING", NULL},
	{"amountPaid", "STRING", NULL},
	{"expires", "PERIOD", NULL},
	{"paymentDate", "PERIOD", NULL},
	{"createdOn", "PERIOD", NULL},
	{"journalId", "INTEGER", NULL},
};

static int
r_payment_search(sb_platform *pf, sb_request *req, sb_response *resp)
{
	json_t *rows = json_array(), *p;
	const char *k;

	json_object_foreach (S(pf)->payments, k, p)
		json_array_append_new(
			rows,
			json_pack("[O,O,O,O,O,O,i,O,O,O,O,O,O,O]",
				  jget(p, "paymentId"),
				  jget(p, "transactionRef"),
				  jget(p, "transactionCode"),
				  jget(p, "paymentMethodCode"),
				  jget(p, "paymentType"), jget(p, "orderId"), 1,
				  jget(p, "currencyIsoCode"),
				  jget(p, "amountAuthorized"),
				  jget(p, "amountPaid"),
				  jget(p, "authorizationExpiry"),
				  jget(p, "paymentDate"), jget(p, "createdOn"),
				  jget(p, "journalId")));
	bp_search(req, resp, payment_cols,
		  sizeof(payment_cols) / sizeof(payment_cols[0]), rows, NULL);
	return 0;
}

/* ---- webhooks (section 13) ---------------------------------------------- */

static int
r_webhook_post(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bp_state *bp = S(pf);
	json_t *in = body_object(req, resp);
	const char *sub, *method;
	int64_t id;
	char key[32];

	if (!in)
		return 0;
	sub = sb_json_str(json_object_get(in, "subscribeTo"), "");
	method = sb_json_str(json_object_get(in, "httpMethod"), "POST");
	if (!bp_event_valid(sub)) {
		bp_err(resp, 400, "INTC-064",
		       "%s either does not exist or cannot be subscribed too",
		       sub);
		goto done;
	}
	if (!json_is_string(json_object_get(in, "uriTemplate"))) {
		bp_err(resp, 400, "INTC-060", "uriTemplate is required");
		goto done;
	}
	if ((strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0) &&
	    (!json_is_string(json_object_get(in, "bodyTemplate")) ||
	     !json_is_string(json_object_get(in, "contentType")))) {
		bp_err(resp, 400, "INTC-061",
		       "bodyTemplate and contentType are required for %s",
		       method);
		goto done;
	}
	id = bp_next_id(bp, BP_SEQ_WEBHOOK);
	json_object_set_new(in, "id", json_integer(id));
	if (!json_object_get(in, "httpMethod"))
		json_object_set_new(in, "httpMethod", json_string("POST"));
	if (!json_object_get(in, "idSetAccepted"))
		json_object_set_new(in, "idSetAccepted", json_false());
	if (!json_object_get(in, "qualityOfService"))
		json_object_set_new(in, "qualityOfService", json_integer(1));
	ID_KEY(key, id);
	json_object_set(bp->webhooks, key, in);
	bp_ok(resp, json_integer(id));
	bp_msgtype(resp, "post-webhook");
done:
	json_decref(in);
	return 0;
}

static int
r_webhook_get(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bp_idset set = {1, 0, {0}, {0}};
	json_t *list;

	if (req->nparams > 0 && idset_param(&set, P(req, 0), resp))
		return 0;
	list = bp_idset_select(&set, S(pf)->webhooks, BP_IDSET_CAP);
	if (req->nparams > 0 && json_array_size(list) == 0) {
		json_decref(list);
		bp_err(resp, 404, "CMNC-404",
		       "No webhooks available in ID Set %s", P(req, 0));
		return 0;
	}
	bp_ok(resp, list);
	bp_msgtype(resp, "get-webhook");
	return 0;
}

static int
r_webhook_delete(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bp_state *bp = S(pf);

	if (!json_object_get(bp->webhooks, P(req, 0))) {
		bp_err(resp, 404, "CMNC-404", "Cannot find webhook: %s",
		       P(req, 0));
		return 0;
	}
	json_object_del(bp->webhooks, P(req, 0));
	bp_ok(resp, NULL);
	bp_msgtype(resp, "delete-webhook");
	return 0;
}

static int
r_webhook_simulate(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bp_state *bp = S(pf);
	json_t *hook = json_object_get(bp->webhooks, P(req, 0)), *in, *td;
	const char *ev;
	bp_idset set;
	size_t i, n = 0;

	if (!hook) {
		bp_err(resp, 404, "CMNC-404", "Cannot find webhook: %s",
		       P(req, 0));
		return 0;
	}
	in = body_object(req, resp);
	if (!in)
		return 0;
	td = json_object_get(in, "testData");
	ev = sb_json_str(json_object_get(hook, "subscribeTo"), "");
	if (bp_idset_parse(
		    &set,
		    sb_json_str(json_object_get(td, "${resource-id}"), "1")) ||
	    set.all) {
		bp_err(resp, 400, "INTC-070", "Invalid ${resource-id}");
		goto done;
	}
	for (i = 0; i < set.n; i++)
		n += (size_t)(set.hi[i] - set.lo[i] + 1);
	if (n > 10) {
		bp_err(resp, 400, "INTC-071",
		       "At most 10 ids may be simulated");
		goto done;
	}
	for (i = 0; i < set.n; i++) {
		int64_t id;

		for (id = set.lo[i]; id <= set.hi[i]; id++)
			bp_fire(bp, ev, id);
	}
	bp_ok(resp, NULL);
done:
	json_decref(in);
	return 0;
}

/* ---- multi-message (section 14) ----------------------------------------- */

static const sb_route *route_find(sb_request *req, const char *path);

static int
r_multi(sb_platform *pf, sb_request *req, sb_response *resp)
{
	json_t *in = body_object(req, resp), *m, *done, *skipped;
	const char *mode;
	size_t i;
	int stop = 0, failed = 0;

	if (!in)
		return 0;
	mode = sb_json_str(json_object_get(in, "onFail"), "STOP");
	if (json_array_size(json_object_get(in, "messages")) > 10) {
		bp_err(resp, 400, "CMNC-060",
		       "A multi-message may hold at most 10 messages");
		json_decref(in);
		return 0;
	}
	done = json_array();
	skipped = json_array();
	json_array_foreach (json_object_get(in, "messages"), i, m) {
		sb_request sub;
		sb_response sr;
		const sb_route *rt;
		const char *uri = sb_json_str(json_object_get(m, "uri"), "");
		json_t *body = json_object_get(m, "body");
		char path[1024];

		if (stop) {
			json_array_append(skipped, json_object_get(m, "label"));
			continue;
		}
		memset(&sub, 0, sizeof(sub));
		memset(&sr, 0, sizeof(sr));
		snprintf(path, sizeof(path), "%.*s", (int)strcspn(uri, "?"),
			 uri);
		sub.method =
			sb_json_str(json_object_get(m, "httpMethod"), "POST");
		sub.url = sub.path = path;
		sub.body =
			body ? json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY)
			     : NULL;
		sub.body_len = sub.body ? strlen(sub.body) : 0;
		rt = route_find(&sub, path);
		if (!rt || strcmp(sub.method, "GET") == 0)
			bp_err(&sr, 404, "CMNC-404",
			       "Cannot find the resource %s", uri);
		else
			rt->fn(pf, &sub, &sr);
		free(sub.body);
		json_array_append_new(done,
				      json_pack("{s:O,s:i,s:{s:s#}}", "label",
						jget(m, "label"), "statusCode",
						sr.status, "body", "content",
						sr.body ? sr.body : "",
						(int)sr.body_len));
		if (sr.status >= 400) {
			failed = 1;
			if (strcmp(mode, "STOP") == 0)
				stop = 1;
		}
		sb_resp_dispose(&sr);
	}
	json_decref(in);
	bp_ok_status(resp, failed ? 207 : 200,
		     json_pack("{s:o,s:o}", "processedMessages", done,
			       "unprocessedMessages", skipped));
	bp_msgtype(resp, "multi-message");
	return 0;
}

/* ---- route table -------------------------------------------------------- */

#define R(m, p, f)                                                             \
	{                                                                      \
		m, p, f, m " " p                                               \
	}

static const sb_route bp_routes[] = {
	/* order-service (section 7) */
	R("POST", "/order-service/sales-order", r_sales_order_post),
	R("GET", "/order-service/sales-order/{idset}", r_sales_order_get),
	R("PUT", "/order-service/sales-order/{id}", r_sales_order_put),
	R("OPTIONS", "/order-service/sales-order/{idset}",
	  r_sales_order_options),
	R("GET", "/order-service/order/{idset}", r_order_get),
	R("OPTIONS", "/order-service/order/{idset}", r_order_options),
	R("PUT", "/order-service/order/{id}/status", r_order_status_put),
	R("POST", "/order-service/order/{id}/note", r_note_post),
	R("GET", "/order-service/order/{id}/note", r_note_get),
	R("GET", "/order-service/order/{id}/note/{idset}", r_note_get),
	R("GET", "/order-service/order-note-search", r_note_search),
	R("GET", "/order-service/order/{id}/custom-field", r_custom_get),
	R("PATCH", "/order-service/order/{id}/custom-field", r_custom_patch),
	R("GET", "/order-service/sale/custom-field-meta-data", r_custom_meta),
	R("GET", "/order-service/sale/custom-field-meta-data/{idset}",
	  r_custom_meta),
	R("GET", "/order-service/order-status", r_statuses),
	R("GET", "/order-service/order-status/{idset}", r_statuses),
	R("POST", "/order-service/order-status", r_status_post),
	R("GET", "/order-service/order-type", r_order_types),
	R("GET", "/order-service/order-shipping-status", r_shipping_statuses),
	R("GET", "/order-service/order-stock-status", r_stock_statuses),
	R("GET", "/order-service/order-search", r_order_search),
	R("GET", "/order-service/sales-order-search", r_sales_order_search),
	R("POST", "/order-service/sales-credit", r_sales_credit_post),
	R("GET", "/order-service/sales-credit/{idset}", r_sales_credit_get),
	/* contact-service (section 8) */
	R("POST", "/contact-service/postal-address", r_address_post),
	R("GET", "/contact-service/postal-address/{idset}", r_address_get),
	R("POST", "/contact-service/contact", r_contact_post),
	R("GET", "/contact-service/contact", r_contact_get),
	R("GET", "/contact-service/contact/{idset}", r_contact_get),
	R("PATCH", "/contact-service/contact/{id}", r_contact_patch),
	R("PUT", "/contact-service/contact/{id}/postal-address",
	  r_contact_address_put),
	R("GET", "/contact-service/contact-search", r_contact_search),
	R("GET", "/contact-service/lead-source", r_lead_sources),
	R("GET", "/contact-service/lead-source/{idset}", r_lead_sources),
	R("GET", "/contact-service/project", r_projects),
	R("GET", "/contact-service/project/{idset}", r_projects),
	/* product-service (section 10) */
	R("POST", "/product-service/product", r_product_post),
	R("GET", "/product-service/product/{idset}", r_product_get),
	R("OPTIONS", "/product-service/product/{idset}", r_product_options),
	R("GET", "/product-service/product-search", r_product_search),
	R("GET", "/product-service/product-price/{idset}", r_product_price_get),
	R("PUT", "/product-service/product-price/{id}/price-list",
	  r_product_price_put),
	R("GET", "/product-service/price-list", r_price_lists),
	R("GET", "/product-service/price-list/{idset}", r_price_lists),
	R("GET", "/product-service/channel", r_channels),
	R("GET", "/product-service/channel/{idset}", r_channels),
	/* warehouse-service (sections 11, 12) */
	R("GET", "/warehouse-service/warehouse", r_warehouses),
	R("GET", "/warehouse-service/warehouse/{idset}", r_warehouses),
	R("GET", "/warehouse-service/product-availability/{idset}",
	  r_availability),
	R("POST", "/warehouse-service/order/{id}/reservation/warehouse/{wh}",
	  r_reservation_post),
	R("GET", "/warehouse-service/order/{id}/reservation",
	  r_reservation_get),
	R("GET", "/warehouse-service/shipping-method", r_shipping_methods),
	R("GET", "/warehouse-service/shipping-method/{idset}",
	  r_shipping_methods),
	R("POST", "/warehouse-service/order/{id}/goods-note/goods-out",
	  r_gon_post),
	R("GET", "/warehouse-service/order/{idset}/goods-note/goods-out",
	  r_gon_get),
	R("GET", "/warehouse-service/order/{idset}/goods-note/goods-out/{gon}",
	  r_gon_get),
	R("DELETE", "/warehouse-service/order/{id}/goods-note/goods-out/{gon}",
	  r_gon_delete),
	R("PUT", "/warehouse-service/goods-note/goods-out/{id}", r_gon_put),
	R("POST", "/warehouse-service/goods-note/goods-out/{id}/event",
	  r_gon_event),
	R("GET", "/warehouse-service/goods-note/goods-out-search",
	  r_gon_search),
	R("POST", "/warehouse-service/order/{id}/goods-note/goods-in",
	  r_gin_post),
	R("GET", "/warehouse-service/order/{idset}/goods-note/goods-in",
	  r_gin_get),
	/* accounting-service (section 9) */
	R("POST", "/accounting-service/customer-payment", r_payment_post),
	R("DELETE", "/accounting-service/customer-payment/{id}",
	  r_payment_delete),
	R("GET", "/accounting-service/customer-payment-search",
	  r_payment_search),
	R("GET", "/accounting-service/payment-method", r_payment_methods),
	R("GET", "/accounting-service/payment-method/{idset}",
	  r_payment_methods),
	R("GET", "/accounting-service/tax-code", r_tax_codes),
	/* integration-service (section 13) */
	R("POST", "/integration-service/webhook", r_webhook_post),
	R("GET", "/integration-service/webhook", r_webhook_get),
	R("GET", "/integration-service/webhook/{idset}", r_webhook_get),
	R("DELETE", "/integration-service/webhook/{id}", r_webhook_delete),
	R("POST", "/integration-service/webhook/{id}/simulate",
	  r_webhook_simulate),
	/* multi-message (section 14) */
	R("POST", "/multi-message", r_multi),
};

static const size_t bp_nroutes = sizeof(bp_routes) / sizeof(bp_routes[0]);

static const sb_route *
route_find(sb_request *req, const char *path)
{
	return sb_route_match(bp_routes, bp_nroutes, req, path, NULL);
}

void
bp_api_handle(bp_state *bp, sb_request *req, sb_response *resp,
	      const char *rest)
{
	const sb_route *rt;
	int path_matched;

	rt = sb_route_match(bp_routes, bp_nroutes, req, rest, &path_matched);
	if (!rt) {
		req->endpoint = "unknown";
		bp_err(resp, path_matched ? 405 : 404, "CMNC-404",
		       "Cannot find the resource %s", rest);
		return;
	}
	rt->fn(bp->pf, req, resp);
}
