#!/bin/sh
# A refused token parks the work and a corrected one resumes it, with no
# retry by the operator: the real worker (listener on) imports orders by
# webhook; the Brightpearl token is changed to a wrong one with `settings
# set` beside it; new orders wait "for Brightpearl credentials" and the
# sandbox sees only a few requests with the wrong token however long the
# worker runs; the token is corrected the same way and the waiting orders
# reach Brightpearl on their own.  The wrong token appears in no output.
set -eu
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/lib.sh"
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/sandbox.sh"

start_sandbox
connect_sandbox
ok settings set sync.poll_interval_seconds 86400

bp_count() { bp_refs | wc -l | tr -d ' '; }
# 401s the sandbox's Brightpearl answered since the counters were reset
bp_refused() {
	curl -s "$control/requests" | tr -d ' \n' |
		sed -n 's/.*"brightpearl":{[^}]*"unauthorised":\([0-9]*\).*/\1/p' |
		grep . || echo 0
}
waiting() {
	"$ps" logs --status failed --search "waiting for Brightpearl credentials" --limit 1000 |
		grep -c "waiting for Brightpearl credentials" || :
}
place() {
	curl -sf -X POST "$control/bigcommerce/orders" -d '{"billing_address":{"first_name":"A","last_name":"W","email":"a'$1'@example.com","street_1":"1 St","city":"C","zip":"12345","country_iso2":"US"},"lines":[{"sku":"CAP-BLK","quantity":1}],"status_id":11}' >/dev/null || fail "placing order $1"
}

step="start"
start_worker
wait_for hooks 4 # the order scopes and store/order/refund/created
wait_for bp_count 2

step="wrong token"
ok settings set brightpearl.token wrong-token-7731
curl -sf -X POST "$control/requests/reset" >/dev/null
for k in 1 2 3 4 5; do place "$k"; done
wait_for waiting 5
n=$(bp_refused)
# one refusal parks the order; the flows that start with the first
# webhook (each asks for Brightpearl's webhook list once) add a few
[ "$n" -ge 1 ] && [ "$n" -le 6 ] || fail "Brightpearl answered $n requests with 401, want 1..6: $(curl -s "$control/requests")"
# the worker ticks every second: five more seconds send nothing more
sleep 5
m=$(bp_refused)
[ "$m" -eq "$n" ] || fail "Brightpearl 401s went from $n to $m while waiting"
[ "$(bp_count)" -eq 2 ] || fail "orders reached Brightpearl with a wrong token"
ok status
expect_out "brightpearl auth_failed"
# a sixth order waits too, without a request
place 6
wait_for waiting 6
[ "$(bp_refused)" -eq "$n" ] || fail "a new order sent the wrong token again"

step="token corrected"
ok settings set brightpearl.token sandbox-token
wait_for bp_count 8
[ "$(waiting)" -eq 0 ] || fail "entries still wait for credentials"
[ "$(bp_refused)" -eq "$n" ] || fail "401s after the token was corrected"

stop_worker
[ "$worker_rc" -eq 0 ] || fail "worker exit status $worker_rc"
cat "$tmp/w.err" "$tmp/w.out" >>"$tmp/all-output"
if grep -q "wrong-token-7731" "$tmp/all-output"; then
	fail "the token appeared in an output"
fi
cp "$tmp/w.err" "$tmp/err"
check_sanitizers
exit 0
