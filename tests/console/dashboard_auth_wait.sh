#!/bin/sh
# A refused Brightpearl token parks the orders the worker imports until
# the token changes.  At 80x24 the dashboard's alert says so from what the
# worker recorded, with the count of parked entries (not from this hour's
# request counters, which a restart or a quiet hour empties); the list of
# alerts gives the fix.  Correcting the token clears the alert and the
# parked orders reach Brightpearl (read from the sandbox's state) with no
# retry.  PS_CAPTURE_DIR, when it names a directory, receives the screens.
set -eu
. "$PS_SOURCE_DIR/tests/console/lib.sh"
start_sandbox

step="a wrong Brightpearl token"
configure_sandbox 5
"$ps" mappings set order_status 'bc>bp' 11 2 >/dev/null
"$ps" mappings set-default payment_method 'bc>bp' BIGCOMMERCE >/dev/null
"$ps" settings set --force brightpearl.token wrong-token-5521 >/dev/null
"$ps" worker --no-listen >"$tmp/worker.out" 2>"$tmp/err.worker" </dev/null &
worker_pid=$!

step="the dashboard says the work waits for new credentials"
start_console c
wait_for c "[1 Dashboard]"
wait_match c '^   ! Brightpearl refused our credentials, waiting for new credentials: 2 ent' 30
[ "$(bp_orders)" -eq 0 ] || fail "orders reached Brightpearl with a wrong token"
[ -d "${PS_CAPTURE_DIR:-}" ] && screen_of c >"$PS_CAPTURE_DIR/auth-wait-dashboard.txt"
keys c G G Enter
wait_for c "> Alerts"
wait_for c "error: Brightpearl refused our credentials, waiting for new credentials: 2"
wait_for c "fix: correct the Brightpearl credentials, then test them"
[ -d "${PS_CAPTURE_DIR:-}" ] && screen_of c >"$PS_CAPTURE_DIR/auth-wait-list.txt"
keys c q
wait_for c "[1 Dashboard]"

step="the corrected token resumes the parked orders"
"$ps" settings set brightpearl.token sandbox-token >/dev/null
wait_gone c "refused our credentials" 30
deadline=$(($(date +%s) + 30))
until [ "$(bp_orders)" -eq 2 ]; do
	[ "$(date +%s)" -lt "$deadline" ] || fail "parked orders never imported"
	kill -0 "$worker_pid" 2>/dev/null || fail "worker exited"
	sleep 0.2
done

step="quit"
keys c Q
wait_exit c
[ "$rc" = 0 ] || fail "console exit status $rc"
grep -q "wrong-token-5521" "$tmp"/err.* "$tmp/worker.out" && fail "token printed"
echo ok
