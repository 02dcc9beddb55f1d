#!/bin/sh
# Payments taken from the BigCommerce order without reading its
# transactions where the order describes them whole, and read where it
# does not.  The worker (listener on) imports, with payments on and
# captured_only at its default (on), the demo store's orders and:
#   A  a card payment captured at stripe: from the order, no read;
#   B  store credit 5.00 and the rest at stripe (split tender): read,
#      one payment per transaction;
#   C  an authorisation only: from the order, no read, nothing recorded;
#   D  (after a mapping row keyed by the gateway 'stripe') a captured
#      card payment: read, as the gateway row takes precedence.
# Everything is read from the sandbox: the BigCommerce request counter of
# GET /v3/orders/{id}/transactions, and Brightpearl's payments (amount,
# method, transactionRef, transactionCode) against BigCommerce's orders
# and transactions.
set -eu
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/lib.sh"
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/sandbox.sh"
command -v jq >/dev/null || { echo "SKIP: jq not installed"; exit 77; }

start_sandbox
connect_sandbox
ok settings set bigcommerce.payments.enabled true
ok settings set sync.poll_interval_seconds 5
ok mappings set-default payment_method 'bc>bp' BIGCOMMERCE
# a display name: no gateway or method can equal it
ok mappings set payment_method 'bc>bp' 'Credit Card' PAYPAL

place() { # place NAME PAYMENT_JSON - an order; its id in $tmp/NAME
	sb_post bigcommerce/orders '{"billing_address":{"first_name":"P","last_name":"Q","email":"'"$1"'@example.com","street_1":"1 St","city":"C","zip":"12345","country_iso2":"US"},"lines":[{"sku":"TEE-RED-M","quantity":1},{"sku":"MUG-LOGO","quantity":2}],"status_id":11,"shipping_cost":"4.00","tax_rate":"0.08","payment":'"$2"'}'
	jq -r '.order.id' "$tmp/sb.reply" >"$tmp/$1"
}
txn_reads() {
	curl -s "$control/requests" |
		jq '.bigcommerce.endpoints["GET v3/orders/{id}/transactions"] // 0'
}
norders() { bp_refs | wc -l | tr -d ' '; }
bc_order() { curl -s "$control/bigcommerce/orders/$(cat "$tmp/$1")"; }
# payments NAME - Brightpearl's payments of order NAME, sorted by
# reference: "ref code method type amount" lines
payments() {
	curl -s "$control/brightpearl/state" | jq -r --arg ref "$(cat "$tmp/$1")" '
		[.orders[] | select(.reference == $ref or .externalRef == $ref) | .id] as $ids
		| [.payments[] | select(.orderId as $o | $ids | index($o))]
		| sort_by(.transactionRef)[]
		| "\(.transactionRef) \(.transactionCode // "-") \(.paymentMethodCode) \(.paymentType) \(if .paymentType == "AUTH" then .amountAuthorized else .amountPaid end)"'
}
money() { jq -r --arg v "$1" -n '$v | tonumber | . * 100 | round / 100 | tostring'; }

step="orders placed"
place a '{"gateway":"stripe","captured":true}'
place b '{"gateway":"stripe","captured":true,"store_credit":"5.00"}'
place c '{"gateway":"stripe","captured":false}'
bc_order b | jq -e '.order.store_credit_amount == "5.0000" and
	(.transactions | length) == 2' >/dev/null ||
	fail "the split-tender order: $(bc_order b | jq -c '[.order.store_credit_amount, .transactions]')"
curl -sf -X POST "$control/requests/reset" >/dev/null

step="the worker imports them (2 demo orders and 3)"
start_worker
wait_for norders 5
# the entries are synced once the payments are recorded
synced() { "$ps" logs --status synced --json | jq '[.[] | select(.kind == "order.import")] | length'; }
wait_for synced 5

step="one transactions read: the split tender's"
[ "$(txn_reads)" -eq 1 ] || fail "transactions reads: $(txn_reads), want 1"

step="A: from the order"
total=$(money "$(bc_order a | jq -r '.order.total_inc_tax')")
ptx=$(bc_order a | jq -r '.order.payment_provider_id')
want="bc-ord-$(cat "$tmp/a") $ptx PAYPAL RECEIPT $total"
got=$(payments a | while read -r r c m t v; do echo "$r $c $m $t $(money "$v")"; done)
[ "$got" = "$want" ] || fail "payment: '$got', want '$want'"

step="B: read, one payment per transaction"
want=$(bc_order b | jq -r '.transactions | sort_by("bc-txn-\(.id)")[] |
	"bc-txn-\(.id) \(if .gateway_transaction_id == "" then "-" else .gateway_transaction_id end) PAYPAL RECEIPT \(.amount)"' |
	while read -r r c m t v; do echo "$r $c $m $t $(money "$v")"; done)
got=$(payments b | while read -r r c m t v; do echo "$r $c $m $t $(money "$v")"; done)
[ "$got" = "$want" ] || fail "payments: '$got', want '$want'"
[ "$(echo "$got" | wc -l)" -eq 2 ] || fail "want 2 payments: $got"

step="C: authorised only, nothing recorded"
[ -z "$(payments c)" ] || fail "payments: $(payments c)"

step="D: a mapping row keyed by the gateway: read"
ok mappings set payment_method 'bc>bp' stripe BIGCOMMERCE
place d '{"gateway":"stripe","captured":true}'
wait_for norders 6
wait_for synced 6
[ "$(txn_reads)" -eq 2 ] || fail "transactions reads: $(txn_reads), want 2"
want=$(bc_order d | jq -r '.transactions[0] |
	"bc-txn-\(.id) \(.gateway_transaction_id) BIGCOMMERCE RECEIPT \(.amount)"' |
	while read -r r c m t v; do echo "$r $c $m $t $(money "$v")"; done)
got=$(payments d | while read -r r c m t v; do echo "$r $c $m $t $(money "$v")"; done)
[ "$got" = "$want" ] || fail "payment: '$got', want '$want'"

step="every order once, and no other payment"
[ "$(bp_refs | uniq -d | wc -l)" -eq 0 ] || fail "a duplicate order"
n=$(curl -s "$control/brightpearl/state" | jq '.payments | length')
# demo 100 (captured, from the order), A, B's two, D
[ "$n" -eq 5 ] || fail "want 5 payments in all, have $n"

stop_worker
grep -q "sandbox-token" "$tmp/all-output" "$tmp/w.err" && fail "token printed"
echo ok
