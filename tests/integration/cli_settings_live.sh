#!/bin/sh
# `pearlsync settings set` and `settings import` check an id picked from a
# platform's list against that list, fetched afresh when the copy fetched
# before is missing: a warehouse Brightpearl does not have is refused
# (exit 1, naming the ones it has, nothing stored); a platform that cannot
# be reached refuses too and says --force stores the value unchecked; a
# free-text setting is not checked.  `pearlsync status` then lists the
# forced id as an alert with its fix.
set -eu
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/lib.sh"
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/sandbox.sh"

start_sandbox
connect_platforms

step="an id Brightpearl does not have"
run settings set defaults.warehouse_id 99
expect_rc 1
expect_err "no Brightpearl warehouse has the id '99'"
expect_err "2 Main warehouse"
expect_err "nothing was changed"
run settings get bigcommerce.defaults.warehouse_id
[ "$rc" -ne 0 ] || ! grep -q 99 "$tmp/out" || fail "99 was stored"

step="an id it has"
ok settings set defaults.warehouse_id 2
expect_out "bigcommerce.defaults.warehouse_id set"

step="a list of ids: one unknown refuses the lot"
run settings set bigcommerce.orders.import_statuses 11,77
expect_rc 1
expect_err "no BigCommerce status has the id '77'"
ok settings set bigcommerce.orders.import_statuses 11,10

step="settings import checks the same"
printf '{"settings": {"bigcommerce.defaults.channel_id": "42"}}\n' \
	>"$tmp/doc.json"
run settings import "$tmp/doc.json"
expect_rc 1
expect_err "no Brightpearl channel has the id '42'"
expect_err "nothing was imported"
run settings import --force "$tmp/doc.json"
expect_rc 0

step="status: the forced id is an alert with its fix"
ok settings set --force bigcommerce.defaults.warehouse_id 99
ok status
expect_out "bigcommerce.defaults.warehouse_id '99': no such Brightpearl warehouse"
expect_out "fix: pick another: console setup, Defaults, Warehouse"
ok status --json
grep -q '"level": "error"' "$tmp/out" || fail "no error level in --json"

step="the platform cannot be reached"
# a fresh database: nothing cached, Brightpearl on a closed port
rm -f "$db"
ok init
ok settings set brightpearl.base_url "http://127.0.0.1:9/brightpearl"
ok settings set brightpearl.account sandbox
ok settings set brightpearl.app_ref sandbox_pearlsync
printf 'sandbox-token\n' >"$tmp/token"
run_in "$tmp/token" settings set brightpearl.token -
expect_rc 0
run settings set bigcommerce.defaults.warehouse_id 2
expect_rc 1
expect_err "cannot fetch the warehouse list from Brightpearl"
expect_err "use --force to store it unchecked"
ok settings set --force bigcommerce.defaults.warehouse_id 2
ok settings get bigcommerce.defaults.warehouse_id
expect_out "^2$"

step="free text is not checked"
ok settings set bigcommerce.orders.reference_prefix BC-

grep -q "sandbox-token" "$tmp/all-output" && fail "token printed"
echo ok
