#!/bin/sh
# The webhook path through the real worker: with webhooks.public_url set
# the worker registers its BigCommerce hooks; orders placed in the sandbox
# reach Brightpearl through store/order/created callbacks alone (polling
# is set to once a day), half of them delivered twice, each imported
# once; a status changed by the merchant reaches Brightpearl by the
# statusUpdated callback, and the worker keeps beating while it works.
set -eu
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/lib.sh"
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/sandbox.sh"

start_sandbox
connect_sandbox
ok settings set sync.poll_interval_seconds 86400
ok mappings set order_status 'bc>bp' 10 8

bp_count() { bp_refs | wc -l; }

step="hooks"
start_worker
wait_for hooks 4 # the order scopes and store/order/refund/created
# the demo store's orders 100 and 101 came in by the first poll
wait_for bp_count 2

step="orders by webhook"
curl -sf -X POST "$control/webhooks" -d '{"platform":"bigcommerce","duplicate_rate":0.5,"seed":3}' >/dev/null
k=0
first=""
while [ "$k" -lt 10 ]; do
	curl -sf -X POST "$control/bigcommerce/orders" -d '{"billing_address":{"first_name":"W","last_name":"H","email":"w'$k'@example.com","street_1":"1 St","city":"C","zip":"12345","country_iso2":"US"},"lines":[{"sku":"CAP-BLK","quantity":1}],"status_id":11}' >"$tmp/placed" || fail "placing order $k"
	[ -n "$first" ] || first=$(grep -o '"order": *{"id": *[0-9]*' "$tmp/placed" | grep -o '[0-9]*$')
	k=$((k + 1))
done
[ -n "$first" ] || fail "no order id in $(head -c 200 "$tmp/placed")"
wait_for bp_count 12

step="status by webhook"
# the merchant marks the first webhook order Completed (10 -> BP 8)
curl -sf -X POST "$control/bigcommerce/orders/$first/status" -d '{"status_id":10}' >/dev/null || fail "changing the status of order $first"
# bp_status - the statusId of the Brightpearl order with externalRef
# $first (a key of the orders object in the sandbox state, depth 3)
bp_status() {
	curl -s "$control/brightpearl/state" | awk -v want="$first" '
	BEGIN { RS = "\001" }
	{
		d = 0; n = length($0); key = ""; ref = ""; st = ""; out = "none"
		for (i = 1; i <= n; i++) {
			c = substr($0, i, 1)
			if (c == "\"") {
				j = i + 1
				while (j <= n && substr($0, j, 1) != "\"") {
					if (substr($0, j, 1) == "\\") j++
					j++
				}
				tok = substr($0, i + 1, j - i - 1); i = j
				if (d == 3 && key == "externalRef") ref = tok
				key = tok
			} else if (c == "{" || c == "[") {
				d++
				if (d == 3) { ref = ""; st = "" }
			} else if (c == "}" || c == "]") {
				if (d == 3 && ref == want) out = st
				d--
			} else if (d == 3 && key == "statusId" && c ~ /[0-9]/) {
				st = st c
			} else if (c == ",") {
				key = ""
			}
		}
		print out
	}'
}
wait_for bp_status 8
# the worker still beats (it ticks every second): no lock or wait holds it
age=$("$ps" status --json | grep -o '"heartbeat_age_ms": *[0-9]*' | grep -o '[0-9]*$')
[ -n "$age" ] && [ "$age" -lt 5000 ] || fail "worker heartbeat ${age:-missing} ms old; worker: $(tail -5 "$tmp/w.err")"

stop_worker
[ "$worker_rc" -eq 0 ] || fail "worker exit status $worker_rc"
cp "$tmp/w.err" "$tmp/err"
check_sanitizers
exit 0
