/*
 * queries.c - every GraphQL document pearlsync sends to ShipHero.
 *
 * Each one is a constant: values travel in "variables", never spliced
 * into the text, so a SKU or an address with quotes cannot change what
 * is asked.  Each names only fields the schema has (the conformance
 * suite validates them against it), and each carries the complexity the
 * limiter reserves before sending it: ShipHero runs an operation only
 * when the credit bucket holds its complexity, and a connection counts
 * its `first` nodes times what each node holds (nested connections
 * multiply), so pages are sized to stay well under the smallest bucket
 * seen (1001 credits).
 */
#include "platforms/shiphero/shiphero_int.h"

#include <string.h>

#define ORDER_FIELDS                                                           \
	"id legacy_id order_number partner_order_id shop_name "                \
	"fulfillment_status"

#define SHIPMENT_LINE_FIELDS                                                   \
	"id line_item_id shipping_label_id quantity "                          \
	"line_item { sku partner_line_item_id }"

#define SHIPMENT_FIELDS                                                        \
	"id legacy_id order_id warehouse_id created_date "                     \
	"shipped_off_shiphero dropshipment total_packages "                    \
	"order { id order_number partner_order_id } "                          \
	"line_items(first: 50) { pageInfo { hasNextPage endCursor } "          \
	"edges { node { " SHIPMENT_LINE_FIELDS " } } } "                       \
	"shipping_labels { id tracking_number tracking_url carrier "           \
	"shipping_name shipping_method cost status package_number "            \
	"created_date }"

#define PRODUCT_FIELDS                                                         \
	"id legacy_id sku name barcode warehouse_products { warehouse_id "     \
	"price }"

#define WEBHOOK_FIELDS "id legacy_id name url shop_name"

const ps_sh__op ps_sh__op_account = {
	"account", "graphql/account",
	"query Account { account { request_id complexity data { id "
	"legacy_id email username warehouses { id legacy_id identifier "
	"company_name address { city country } } } } }",
	2, 1};

const ps_sh__op ps_sh__op_order_create = {
	"order_create", "graphql/order_create",
	"mutation OrderCreate($data: CreateOrderInput!) { "
	"order_create(data: $data) { request_id complexity "
	"order { " ORDER_FIELDS " } } }",
	10, 0};

const ps_sh__op ps_sh__op_orders_by_partner = {
	"orders", "graphql/orders",
	"query OrdersByPartner($partner_order_id: String, "
	"$customer_account_id: String, $first: Int, $after: String) { "
	"orders(partner_order_id: $partner_order_id, "
	"customer_account_id: $customer_account_id) { request_id complexity "
	"data(first: $first, after: $after) { "
	"pageInfo { hasNextPage endCursor } "
	"edges { node { " ORDER_FIELDS " } } } } }",
	26, 1};

const ps_sh__op ps_sh__op_order_cancel = {
	"order_cancel", "graphql/order_cancel",
	"mutation OrderCancel($data: CancelOrderInput!) { "
	"order_cancel(data: $data) { request_id complexity "
	"order { " ORDER_FIELDS " } } }",
	10, 1};

const ps_sh__op ps_sh__op_shipments = {
	"shipments", "graphql/shipments",
	"query Shipments($date_from: ISODateTime, $first: Int, "
	"$after: String) { shipments(date_from: $date_from) { request_id "
	"complexity data(first: $first, after: $after) { "
	"pageInfo { hasNextPage endCursor } "
	"edges { node { " SHIPMENT_FIELDS " } } } } }",
	PS_SH__SHIPMENT_PAGE *(PS_SH__SHIPMENT_LINES + 1) + 1, 1};

const ps_sh__op ps_sh__op_shipment = {
	"shipment", "graphql/shipment",
	"query Shipment($id: String) { shipment(id: $id) { request_id "
	"complexity data { " SHIPMENT_FIELDS " } } }",
	PS_SH__SHIPMENT_LINES + 2, 1};

const ps_sh__op ps_sh__op_shipment_lines = {
	"shipment", "graphql/shipment/line_items",
	"query ShipmentLines($id: String, $first: Int, $after: String) { "
	"shipment(id: $id) { request_id complexity data { "
	"line_items(first: $first, after: $after) { "
	"pageInfo { hasNextPage endCursor } "
	"edges { node { " SHIPMENT_LINE_FIELDS " } } } } } }",
	102, 1};

const ps_sh__op ps_sh__op_product = {
	"product", "graphql/product",
	"query ProductBySku($sku: String) { product(sku: $sku) { request_id "
	"complexity data { " PRODUCT_FIELDS " } } }",
	2, 1};

const ps_sh__op ps_sh__op_product_create = {
	"product_create", "graphql/product_create",
	"mutation ProductCreate($data: CreateProductInput!) { "
	"product_create(data: $data) { request_id complexity "
	"product { " PRODUCT_FIELDS " } } }",
	10, 0};

const ps_sh__op ps_sh__op_webhooks = {
	"webhooks", "graphql/webhooks",
	"query Webhooks($customer_account_id: String, $first: Int, "
	"$after: String) { webhooks(customer_account_id: "
	"$customer_account_id) { request_id complexity "
	"data(first: $first, after: $after) { "
	"pageInfo { hasNextPage endCursor } "
	"edges { node { " WEBHOOK_FIELDS " } } } } }",
	51, 1};

const ps_sh__op ps_sh__op_webhook_create = {
	"webhook_create", "graphql/webhook_create",
	"mutation WebhookCreate($data: CreateWebhookInput!) { "
	"webhook_create(data: $data) { request_id complexity "
	"webhook { " WEBHOOK_FIELDS " shared_signature_secret } } }",
	5, 0};

const ps_sh__op ps_sh__op_webhook_delete = {
	"webhook_delete", "graphql/webhook_delete",
	"mutation WebhookDelete($data: DeleteWebhookInput!) { "
	"webhook_delete(data: $data) { request_id complexity } }",
	5, 1};

const ps_sh__op *const ps_sh__ops[] = {
	&ps_sh__op_account,
	&ps_sh__op_order_create,
	&ps_sh__op_orders_by_partner,
	&ps_sh__op_order_cancel,
	&ps_sh__op_shipments,
	&ps_sh__op_shipment,
	&ps_sh__op_shipment_lines,
	&ps_sh__op_product,
	&ps_sh__op_product_create,
	&ps_sh__op_webhooks,
	&ps_sh__op_webhook_create,
	&ps_sh__op_webhook_delete,
	NULL,
};

const ps_sh__op *
ps_sh__op_by_endpoint(const char *endpoint)
{
	size_t i;

	if (endpoint == NULL)
		return NULL;
	for (i = 0; ps_sh__ops[i] != NULL; i++)
		if (strcmp(ps_sh__ops[i]->endpoint, endpoint) == 0)
			return ps_sh__ops[i];
	return NULL;
}
