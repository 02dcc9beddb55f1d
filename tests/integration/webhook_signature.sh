#!/bin/sh
# The BigCommerce webhook signature check, end to end, switched on and
# changed with `pearlsync settings set` while the worker runs (listener
# on, as systemd runs it).  The sandbox signs every callback (Standard
# Webhooks) with its app's client secret.
#   - no bigcommerce.client_secret: deliveries pass on the secret header;
#   - a wrong one: every delivery is refused (401) and nothing is stored;
#     the sandbox keeps retrying, so nothing is lost;
#   - the right one: the retried delivery and new ones are accepted and
#     the orders reach Brightpearl.
# Polling is once a day, so only the callbacks can import an order; the
# outcome is read from the sandbox's own state.  The secrets never appear
# in the worker's or the CLI's output.
set -eu
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/lib.sh"
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/sandbox.sh"

right=sig-right-4711
wrong=sig-wrong-0815

start_sandbox
connect_sandbox
ok settings set sync.poll_interval_seconds 86400
sb_post bigcommerce/config '{"client_secret":"'$right'"}'
# sandbox retries come every few ms (time_scale): keep them coming
sb_post webhooks '{"platform":"bigcommerce","time_scale":20}'

bp_count() { bp_refs | wc -l | tr -d ' '; }
# refused - how many sandbox deliveries were last answered 401
refused() {
	curl -s "$control/webhooks?platform=bigcommerce" |
		grep -o '"last_status": *401' | wc -l | tr -d ' '
}
place() {
	sb_post bigcommerce/orders '{"billing_address":{"first_name":"S","last_name":"G","email":"'$1'@example.com","street_1":"1 St","city":"C","zip":"12345","country_iso2":"US"},"lines":[{"sku":"CAP-BLK","quantity":1}],"status_id":11}'
	grep -o '"order": *{"id": *[0-9]*' "$tmp/sb.reply" | grep -o '[0-9]*$'
}

step="no client secret"
start_worker
wait_for hooks 4 # the order scopes and store/order/refund/created
wait_for bp_count 2 # the demo store's two orders, by the first poll
place first >/dev/null
wait_for bp_count 3

step="wrong client secret"
ok settings set bigcommerce.client_secret "$wrong"
a=$(place second)
i=0
until [ "$(refused)" -ge 1 ]; do
	i=$((i + 1))
	[ "$i" -le 200 ] || fail "no delivery refused; worker: $(tail -5 "$tmp/w.err")"
	sleep 0.1
done
sleep 1
[ "$(bp_count)" = 3 ] || fail "order $a reached Brightpearl through a delivery signed with another key"
grep -q "callback refused: secret or signature" "$tmp/w.err" ||
	fail "the refusal is not logged: $(tail -5 "$tmp/w.err")"

step="right client secret"
ok settings set bigcommerce.client_secret "$right"
b=$(place third)
# order b by its first delivery, order a by the sandbox's retry
wait_for bp_count 5
bp_refs | grep -qx "$a" || fail "order $a lost"
bp_refs | grep -qx "$b" || fail "order $b missing"

stop_worker
[ "$worker_rc" -eq 0 ] || fail "worker exit status $worker_rc"
for s in "$right" "$wrong"; do
	if grep -q -e "$s" "$tmp/w.err" "$tmp/w.out" "$tmp/all-output"; then
		fail "a client secret was printed"
	fi
done
cp "$tmp/w.err" "$tmp/err"
check_sanitizers
exit 0
