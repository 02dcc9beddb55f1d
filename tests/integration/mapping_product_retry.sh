#!/bin/sh
# The failed order's whole loop, through the worker and the sandbox: an
# order with a SKU Brightpearl does not know fails ("not found in
# Brightpearl ... no product mapping"); the operator maps that SKU to the
# Brightpearl product by its Brightpearl SKU from the CLI, which stores the
# product's id; a retry imports the order with that product on its row.
# Before, the SKU itself was stored, ignored by the import, and the retry
# failed again.  Refusals: a SKU no product has, an id that does not
# exist, each with exit 1 and nothing stored.
set -eu
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/lib.sh"
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/sandbox.sh"
start_sandbox
connect_sandbox
ok mappings set-default payment_method 'bc>bp' BIGCOMMERCE
ok settings set sync.poll_interval_seconds 5

nrefs() { bp_refs | wc -l | tr -d ' '; }
bp_refs_has() { bp_refs | grep -cx "$1" || :; }

step="an order with an unknown SKU fails"
start_worker
wait_for nrefs 2 # the demo store's two orders
before=$(nrefs)
sb_post bigcommerce/orders '{"billing_address":{"first_name":"Old","last_name":"Mug","email":"old.mug@example.com","street_1":"1 St","city":"C","zip":"12345","country_iso2":"US"},"lines":[{"sku":"OLD-MUG-1","quantity":2,"price":"9.95"}],"status_id":11}'
order=$(grep -o '"id": *[0-9]*' "$tmp/sb.reply" | head -n 1 | grep -o '[0-9]*$')
[ -n "$order" ] || fail "the sandbox gave no order id: $(cat "$tmp/sb.reply")"
failed_reason() {
	"$ps" logs --status failed --search "$order" --limit 1 2>/dev/null |
		grep -c "SKU 'OLD-MUG-1' not found in Brightpearl" || :
}
wait_for failed_reason 1
[ "$(nrefs)" -eq "$before" ] || fail "imported without a product"

step="map the SKU by Brightpearl SKU: refusals first"
snapshot maps
run mappings set product 'bc>bp' OLD-MUG-1 NO-SUCH-SKU
expect_rc 1
expect_err "no Brightpearl product has SKU 'NO-SUCH-SKU'"
expect_err "nothing was stored"
run mappings set product 'bc>bp' OLD-MUG-1 99999
expect_rc 1
expect_err "Brightpearl product 99999 does not exist"
run mappings set product 'bc>bp' OLD-MUG-1 MUG
expect_rc 1
expect_err "names containing it: 1008 MUG-LOGO Logo mug 350ml"
expect_unchanged maps

step="map the SKU by Brightpearl SKU: the id is stored"
ok mappings set product 'bc>bp' OLD-MUG-1 MUG-LOGO
expect_out "SKU 'MUG-LOGO' is Brightpearl product 1008 (Logo mug 350ml): storing 1008"
ok mappings export --kind product
expect_out '^product,bc>bp,OLD-MUG-1,1008$'

step="retry: the order reaches Brightpearl with product 1008"
ok retry --failed --flow orders
wait_for "bp_refs_has $order" 1
curl -s "$control/brightpearl/state" >"$tmp/state.json"
python3 - "$tmp/state.json" "$order" <<'PY' || fail "no row of product 1008 on order $order"
import json, sys
state = json.load(open(sys.argv[1]))
orders = state.get("orders", {})
orders = orders.values() if isinstance(orders, dict) else orders
for o in orders:
    if str(o.get("externalRef", "")).endswith(sys.argv[2]):
        rows = o.get("orderRows") or o.get("rows") or {}
        rows = rows.values() if isinstance(rows, dict) else rows
        ids = [int(r.get("productId") or 0) for r in rows]
        qty = [r.get("quantity", {}) for r in rows]
        print("order", sys.argv[2], "rows", ids, qty)
        sys.exit(0 if 1008 in ids else 1)
sys.exit(1)
PY
stop_worker
check_sanitizers
grep -q "sandbox-token" "$tmp"/*.out "$tmp"/*.err 2>/dev/null && fail "token printed"
echo "mapping_product_retry: ok"
