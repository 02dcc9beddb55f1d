#!/bin/sh
# Defect: the dashboard's worker line was cut to 63 bytes and pushed the
# pid and heartbeat off an 80-column screen when the worker skips flows
# (its state then lists each skipped flow and why).  Now the Worker line
# keeps "running, pid N, heartbeat ..." on screen at 80x24 and at 60x20,
# the skipped flows go on their own line, cut with an ellipsis, and the alerts
# still show at 60x20.
set -eu
. "$PS_SOURCE_DIR/tests/console/lib.sh"
start_sandbox

step="a worker that skips flows"
configure_sandbox 5
"$ps" settings set bigcommerce.orders.enabled false >/dev/null
"$ps" worker --no-listen >"$tmp/worker.out" 2>"$tmp/err.worker" </dev/null &
worker_pid=$!

step="80x24"
start_console c
wait_for c "[1 Dashboard]"
wait_match c '^ Worker +running, pid [0-9]+, heartbeat [0-9]+s ago, since '
wait_match c '^ Skipping +order_import_bc: bigcommerce.orders.enabled is off.*…$'

step="60x20"
PS_COLS=60 PS_ROWS=20 start_console s
wait_for s "Dashboard]"
wait_match s '^ Worker +running, pid [0-9]+, heartbeat [0-9]+s ago$'
wait_match s '^ Skipping +order_import_bc: bigcommerce.orders.en.*…$'
wait_match s '^ Alerts \([0-9]+\)'
wait_match s '^   ! Import orders is off'
screen_of s | sed 's/…/./g' | awk 'length($0) > 60 { bad = 1 } END { exit bad }' ||
	fail "a line wider than 60 columns"

keys c Q
keys s Q
wait_exit c
[ "$rc" = 0 ] || fail "console exit status $rc"
wait_exit s
[ "$rc" = 0 ] || fail "console exit status $rc"
echo ok
