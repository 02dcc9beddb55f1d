#!/bin/sh
# Defect: after a complete setup with "Import orders" off the worker skips
# every order flow while the dashboard says "Alerts: none".  Now, at 80x24,
# the dashboard alerts that the order import is off, the worker line keeps
# its pid on screen and the skipped flows show under it; the Alerts line
# opens the list of every alert with its fix (when more alerts than fit
# wait, the last line says "+N more"); switching the import on (the
# fix) clears the alert and the worker imports the demo store's orders
# (read from the sandbox's state).
set -eu
. "$PS_SOURCE_DIR/tests/console/lib.sh"
start_sandbox

step="a complete setup, order import left off"
configure_sandbox 5
"$ps" settings set bigcommerce.orders.enabled false >/dev/null
"$ps" mappings set order_status 'bc>bp' 11 2 >/dev/null
"$ps" mappings set-default payment_method 'bc>bp' BIGCOMMERCE >/dev/null
"$ps" worker --no-listen >"$tmp/worker.out" 2>"$tmp/err.worker" </dev/null &
worker_pid=$!

step="the dashboard alerts"
start_console c
wait_for c "[1 Dashboard]"
wait_match c '^ Worker +running, pid [0-9]+, heartbeat'
wait_match c '^ Skipping +order_import_bc: bigcommerce.orders.enabled is off'
wait_match c '^ Alerts \([0-9]+\)'
wait_for c "! Import orders is off: bigcommerce.orders.enabled is false"
screen_of c | grep -q "^   none" && fail "alerts say none"
[ "$(bp_orders)" -eq 0 ] || fail "orders imported while the import is off"

step="the list of every alert, with its fix"
keys c G G
wait_match c '^>Alerts \([0-9]+\) +Enter: every alert and its fix'
keys c Enter
wait_for c "> Alerts"
wait_for c "error: Import orders is off"
wait_for c "fix: pearlsync settings set bigcommerce.orders.enabled true"
keys c q
wait_for c "[1 Dashboard]"
wait_gone c "> Alerts"

step="more alerts than fit: +N more, and the list has them all"
"$ps" settings set sync.paused_flows \
	order_import_bc,status_export_bc,shipment_export_bc,inventory_export_bc,notes_bc \
	>/dev/null
"$ps" settings set --force bigcommerce.defaults.warehouse_id 99 >/dev/null
wait_match c '^>Alerts \(7\)'
wait_match c '^   \+3 more: G G selects Alerts, Enter lists all' # one flow row more above
keys c Enter
wait_for c "error: Import orders is off"
wait_for c "error: bigcommerce.defaults.warehouse_id '99': no such Brightpearl"
for f in order_import_bc status_export_bc shipment_export_bc \
	inventory_export_bc; do
	wait_for c "warning: flow $f is paused"
done
# the last one is below the screen: the list scrolls
keys c j j j j j j
wait_for c "warning: flow notes_bc is paused"
wait_for c "fix: resume it: p on the dashboard, or pearlsync resume notes_bc"
wait_gone c "error: Import orders is off"
keys c q
wait_for c "[1 Dashboard]"
"$ps" settings unset sync.paused_flows >/dev/null
"$ps" settings set bigcommerce.defaults.warehouse_id 2 >/dev/null
wait_gone c "more: G"

step="the fix clears it and orders import"
"$ps" settings set bigcommerce.orders.enabled true >/dev/null
wait_gone c "Import orders is off" 20
wait_gone c "order_import_bc: bigcommerce.orders.enabled is off" 20
deadline=$(($(date +%s) + 30))
until [ "$(bp_orders)" -eq 2 ]; do
	[ "$(date +%s)" -lt "$deadline" ] || fail "orders never imported"
	kill -0 "$worker_pid" 2>/dev/null || fail "worker exited"
	sleep 0.2
done

step="quit"
keys c Q
wait_exit c
[ "$rc" = 0 ] || fail "console exit status $rc"
grep -q "sandbox-token" "$tmp"/err.* && fail "token printed"
echo ok
