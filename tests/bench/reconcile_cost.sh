#!/bin/sh
# reconcile_cost.sh - what `pearlsync reconcile` costs each platform's
# request pool: N BigCommerce orders (1000) placed and imported, then one
# reconcile over their window with nothing to find; prints the sandbox's
# own request counts per platform and endpoint, and per 1,000 orders.
# Stock is compared too (the demo's 12 SKUs: a fixed cost, not per order).
#   sh tests/bench/reconcile_cost.sh [N]        (scripts/bench reconcile)
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
n=${1:-1000}
PS_BIN_DIR=${PS_BIN_DIR:-"$root/build/bin"}
PS_SOURCE_DIR="$root"
export PS_BIN_DIR PS_SOURCE_DIR
. "$root/tests/integration/fixtures/cli/lib.sh"
. "$root/tests/integration/fixtures/cli/sandbox.sh"
start_sandbox
connect_sandbox
ok settings set bigcommerce.inventory.enabled true
ok settings set bigcommerce.inventory.warehouses 2
ok settings set bigcommerce.defaults.tax_code T
k=0
while [ "$k" -lt "$n" ]; do
	sb_post bigcommerce/orders '{"customer_id":1,"billing_address":{"first_name":"Ada","last_name":"Lovelace","email":"ada@example.com","street_1":"1 St","city":"C","zip":"12345","country_iso2":"US"},"lines":[{"sku":"SOCK-3PK","quantity":1}],"status_id":11}'
	k=$((k + 1))
done
"$ps" sync-once orders >/dev/null 2>&1 || :
"$ps" sync-once inventory >/dev/null 2>&1 || :
sb_post requests/reset '{}'
run reconcile --since 1d --json
[ "$rc" -le 1 ] || fail "reconcile: $(cat "$tmp/err")"
jq -r '"orders \(.orders), SKUs \(.skus), differences \(.differences | length)"' "$tmp/out"
curl -s "$control/requests" >"$tmp/counts"
for p in brightpearl bigcommerce; do
	jq -r --arg p "$p" --argjson n "$n" '.[$p] |
		"\($p): \(.total) requests, \(.total * 1000 / $n | floor) per 1,000 orders",
		(.endpoints | to_entries[] | "    \(.key)  \(.value)")' "$tmp/counts"
done
exit 0
