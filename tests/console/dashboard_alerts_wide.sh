#!/bin/sh
# At 200x50 each alert line carries its fix.  A setup whose default
# warehouse was forced to one Brightpearl does not have (99), with no
# worker started: the dashboard lists, worst first, that the worker has
# never run and that warehouse 99 is no Brightpearl warehouse, each with
# the command that fixes it.  Setting a warehouse that exists clears that
# alert.
set -eu
. "$PS_SOURCE_DIR/tests/console/lib.sh"
start_sandbox

step="setup with an id Brightpearl does not have"
configure_sandbox 5
if "$ps" settings set bigcommerce.defaults.warehouse_id 99 2>"$tmp/set.err"; then
	fail "warehouse 99 accepted"
fi
grep -q "no Brightpearl warehouse has the id '99'" "$tmp/set.err" ||
	fail "refusal: $(cat "$tmp/set.err")"
"$ps" settings set --force bigcommerce.defaults.warehouse_id 99 >/dev/null

step="the alerts, with their fixes"
PS_COLS=200 PS_ROWS=50 start_console w
wait_for w "[1 Dashboard]"
wait_match w '^   ! the worker has never run: nothing syncs +fix: start it: pearlsync worker'
wait_match w "^   ! bigcommerce.defaults.warehouse_id '99': no such Brightpearl warehouse .* fix: pick another: console setup, Defaults, Warehouse"
# worst first: the errors come before any warning
screen_of w | awk '/^ Alerts/ { on = 1; next } on && /^   ! / { print }' \
	>"$tmp/alerts"
[ "$(head -1 "$tmp/alerts" | grep -c 'worker has never run')" -eq 1 ] ||
	fail "worker alert not first"

step="a warehouse that exists clears it"
"$ps" settings set bigcommerce.defaults.warehouse_id 2 >/dev/null
wait_gone w "no such Brightpearl warehouse"

keys w Q
wait_exit w
[ "$rc" = 0 ] || fail "console exit status $rc"
grep -q "sandbox-token" "$tmp"/err.* && fail "token printed"
echo ok
