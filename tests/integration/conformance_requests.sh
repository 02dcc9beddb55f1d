#!/bin/sh
# conformance_requests.sh - check the requests pearlsync itself sends.
#
# Starts pearlsync-sandbox with request recording on
# (PEARLSYNC_SANDBOX_RECORD, see tests/sandbox/README.md), drives the real
# worker through a representative scenario -- the demo orders, orders with
# shipping, a coupon and a zero-rated line, a shipment, a status change and
# a note made in Brightpearl, a stock change, Brightpearl products into
# the BigCommerce catalog -- and then validates every
# recorded request with tests/conformance/requests.js: BigCommerce ones
# against the official OpenAPI files, Brightpearl ones against the rules
# in tests/conformance/brightpearl-requests.json.  Skips (exit 77) when
# the spec folder is absent; fails when node or its modules are missing.
set -eu
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/lib.sh"

specs="$PS_SOURCE_DIR/../shared/specs/bigcommerce"
tool="$PS_SOURCE_DIR/tests/conformance"
if [ ! -f "$specs/orders.v2.oas2.yml" ]; then
	echo "SKIPPED: BigCommerce OpenAPI specs not found at $specs"
	exit 77
fi
command -v node >/dev/null 2>&1 || fail "node is not installed; run scripts/install-deps"
[ -d "$tool/node_modules/ajv" ] || fail "$tool/node_modules is missing; run scripts/install-deps"

. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/sandbox.sh"

record="$tmp/requests.jsonl"
PEARLSYNC_SANDBOX_RECORD=$record
PEARLSYNC_SANDBOX_RECORD_REDACT=shell-secret-5150
export PEARLSYNC_SANDBOX_RECORD_REDACT
export PEARLSYNC_SANDBOX_RECORD
start_sandbox
unset PEARLSYNC_SANDBOX_RECORD PEARLSYNC_SANDBOX_RECORD_REDACT
connect_sandbox
ok settings set bigcommerce.fulfilment.enabled true
ok settings set bigcommerce.notes.enabled true
ok settings set bigcommerce.payments.enabled true
ok settings set bigcommerce.inventory.enabled true
ok settings set bigcommerce.inventory.warehouses 2
ok mappings set-default payment_method 'bc>bp' BIGCOMMERCE
ok settings set bigcommerce.catalog.enabled true
ok settings set bigcommerce.catalog.price_list_id 1

bp_count() { bp_refs | wc -l | tr -d ' '; }
# place JSON - a BigCommerce order placed by a shopper
place() { sb_post bigcommerce/orders "$1"; }
addr='"billing_address":{"first_name":"Cora","last_name":"Nform","email":"cora@example.com","street_1":"1 Spec St","city":"Austin","state":"Texas","zip":"78701","country_iso2":"US"}'

step="import"
start_worker
wait_for bp_count 2
place '{'"$addr"',"lines":[{"sku":"CAP-BLK","quantity":2},{"sku":"TEE-RED-S","quantity":1}],"shipping_cost":"7.50","coupon":{"code":"SPEC10","amount":"3.00"},"tax_rate":"0.0825","payment":{"gateway":"cash","captured":true},"status_id":11}'
place '{'"$addr"',"customer":{"email":"zero@example.com","first_name":"Zed","last_name":"Rated"},"lines":[{"sku":"GIFT-CARD","quantity":1},{"sku":"BTL-STEEL","quantity":1}],"tax_rate":"0","discount_amount":"1.00","customer_message":"Leave at the door","status_id":11}'
wait_for bp_count 4

step="brightpearl changes"
oid=$(curl -s "$control/brightpearl/orders" | grep -o '"id": *[0-9]*' | head -1 | grep -o '[0-9]*$')
[ -n "$oid" ] || fail "no Brightpearl order"
sb_post brightpearl/ship '{"orderId":'"$oid"',"warehouseId":2,"tracking":"1Z999","shippingMethodId":6,"ship":true}'
sb_post brightpearl/order-status '{"orderId":'"$oid"',"statusId":7,"note":"ready"}'
sb_post brightpearl/note '{"orderId":'"$oid"',"text":"Packed with care","isPublic":true}'
sb_post brightpearl/stock '{"sku":"CAP-BLK","warehouseId":2,"inStock":3}'
sb_post bigcommerce/orders/100/status '{"status_id":9}'
# the catalog: a new product group (a create with variants) and a price
sb_post brightpearl/seed '{"products":[{"sku":"SPEC-TEE-S","name":"Spec tee","price":20,"weight":0.2,"groupId":77,"options":[{"name":"Size","value":"S"}]},{"sku":"SPEC-TEE-M","name":"Spec tee","price":21,"weight":0.25,"groupId":77,"options":[{"name":"Size","value":"M"}]},{"sku":"SPEC-MUG","name":"Spec mug","price":7,"weight":0.4,"barcode":"012345678905"}]}'
# a refund of one line, credited and restocked (sales credit, its payment,
# its goods-in)
ok settings set bigcommerce.refunds.enabled true
ok settings set bigcommerce.refunds.restock true
line=$(curl -s "$control/bigcommerce/orders/100" |
	node -e 'let s = ""; process.stdin.on("data", (d) => { s += d; }).on("end", () => console.log(JSON.parse(s).products[0].id));')
[ -n "$line" ] || fail "no line on order 100"
sb_post bigcommerce/orders/100/refunds '{"items":[{"item_type":"PRODUCT","item_id":'"$line"',"quantity":1}],"provider_id":"cash"}'
# let the worker react to the webhooks and run a poll of each flow
sleep 3
run run orders
sleep 1
sb_post brightpearl/product '{"sku":"SPEC-MUG","price":7.5}'
run run catalog
run run refunds
sleep 3
stop_worker
# a reconciliation: its list pages, searches and id-set reads, and the
# reads of an archived order an imported Brightpearl order claims
sb_post bigcommerce/orders/100/archive '{}'
run reconcile --since 1d
[ "$rc" -le 1 ] || fail "reconcile: $(cat "$tmp/err")"
grep -q "is archived in BigCommerce" "$tmp/out" || fail "the archived order is not reported"
# stop the sandbox too: the record is complete and closed, and a sanitizer
# report from the recording code would be in its stderr
kill "$sb_pid"
wait "$sb_pid" || fail "sandbox exit status $?"
sb_pid=""
if grep -q "Sanitizer\|runtime error:" "$tmp/sandbox.err"; then
	cat "$tmp/sandbox.err" >&2
	fail "sanitizer report from the sandbox"
fi

step="validate"
[ -s "$record" ] || fail "nothing recorded"
node "$tool/requests.js" --record "$record" --specs "$specs" \
	--rules "$tool/brightpearl-requests.json" \
	--findings "$tool/request-findings.json" >"$tmp/out" 2>"$tmp/err" ||
	fail "pearlsync sent requests the sources do not back"
cat "$tmp/out"
grep -q "sandbox-token\|shell-secret-5150" "$record" && fail "a secret reached the record"
grep -q '"brightpearl-account-token":"<redacted>"' "$record" || fail "no redacted credential header in the record"

step="the checks can fail"
# The same traffic with shapes a real account would refuse: a sales-order
# row without taxCode, a reservation on row 0, an undocumented Brightpearl
# endpoint, an undocumented BigCommerce operation and query parameter.
node -e '
const fs = require("fs");
const out = [];
for (const l of fs.readFileSync(process.argv[1], "utf8").split("\n").filter(Boolean)) {
	const r = JSON.parse(l);
	for (const m of (r.json && r.json.messages) || []) {
		if (m.uri === "/order-service/sales-order") delete m.body.rows[0].taxCode;
		if (/reservation/.test(m.uri)) m.body.products[0].salesOrderRowId = "0";
	}
	out.push(JSON.stringify(r));
}
const bp = { method: "GET", platform: "brightpearl", path: "/public-api/sandbox/order-service/order-everything",
	     query: {}, headers: { "brightpearl-app-ref": "a", "brightpearl-account-token": "<redacted>" }, status: 404 };
const bc = { method: "GET", platform: "bigcommerce", path: "/stores/sandbox/v3/catalog/products",
	     query: { colour: "red" }, headers: { "x-auth-token": "<redacted>" }, status: 200 };
const bc2 = Object.assign({}, bc, { method: "DELETE", path: "/stores/sandbox/v2/time", query: {} });
out.push(JSON.stringify(bp), JSON.stringify(bc), JSON.stringify(bc2));
fs.writeFileSync(process.argv[2], out.join("\n") + "\n");
' "$record" "$tmp/bad.jsonl"
if node "$tool/requests.js" --record "$tmp/bad.jsonl" --specs "$specs" \
	--rules "$tool/brightpearl-requests.json" \
	--findings "$tool/request-findings.json" >"$tmp/out" 2>"$tmp/err"; then
	fail "tampered requests passed"
fi
for want in "sales-order: rule sales-order-post.*must have required property 'taxCode'" \
	"reservation/warehouse/2: rule reservation-post.*salesOrderRowId" \
	"order-everything: no rule backs this request" \
	"query parameter 'colour' is not declared" \
	"DELETE /stores/sandbox/v2/time: matches no documented operation"; do
	grep -q "$want" "$tmp/out" || fail "no failure matching: $want"
done
exit 0
